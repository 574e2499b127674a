// The expansion names everything by absolute path: it compiles in a module that shadows
// `core`, `std`, `Option`, `Result`, `Future`, `Poll` and their neighbours.
#![allow(dead_code, non_camel_case_types)]

mod shadowed {
    mod core {}
    mod std {}
    struct Option;
    struct Result;
    trait Future {}
    struct Poll;
    struct Some;
    struct None;
    struct Ok;
    struct Err;
    struct Pin;
    struct Context;
    struct IntoFuture;
    struct Vec;
    struct MaybeDone;
    struct Unpin;
    struct Drop;

    pub fn run() -> (
        (u8, &'static str),
        ::std::vec::Vec<u8>,
        ::core::result::Result<(u8, u8), ()>,
    ) {
        ::futures::executor::block_on(async {
            let fixed = corio::gather!(async { 1 }, async { "two" }).await;
            let spread =
                corio::gather!(..[::core::future::ready(3), ::core::future::ready(4)]).await;
            let tried = corio::gather!(try async { ::core::result::Result::Ok(5) }, async { ::core::result::Result::Ok(6) }).await;
            (fixed, spread, tried)
        })
    }
}

fn main() {
    assert_eq!(shadowed::run(), ((1, "two"), vec![3, 4], Ok((5, 6))));
}
