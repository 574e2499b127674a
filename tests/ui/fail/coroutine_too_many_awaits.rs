// A coroutine numbers its `.await`s with a `u16`: it has at most 65535. This body has 65536
// (2^16: `doubled!` doubles them 16 times). The fn is still emitted, unchanged, beside the
// error: the deprecation warning at its use in `main` proves it, with its own attributes. Were
// the fn dropped, rustc would say nothing there: after a macro's error, it keeps quiet about
// the names it cannot find.
//
// The awaits sit in a `#[cfg(any())]` block: the attribute sees them (it runs before cfg
// stripping) but rustc then drops them, instead of type-checking 65536 awaits for minutes.
macro_rules! doubled {
    ([] $($awaits:tt)*) => {
        #[corio::coroutine]
        #[deprecated = "still emitted beside the error"]
        async fn too_many_awaits() {
            #[cfg(any())]
            {
                $($awaits)*
            }
        }
    };
    ([_ $($rest:tt)*] $($awaits:tt)*) => {
        doubled!([$($rest)*] $($awaits)* $($awaits)*);
    };
}

doubled!([_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _] x.await;);

fn main() {
    drop(too_many_awaits());
}
