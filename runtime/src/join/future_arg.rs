//! [`GatherArg`], [`AsCompletedArg`], [`WaitForArg`]: the check `gather!`, `as_completed!` and
//! `wait_for!` make on each future argument, where the user wrote it, so that a non-future is
//! one error at that argument, in the macro's words.
//!
//! A plain `fn check<F: IntoFuture>(f: F) -> F::IntoFuture` is not enough: for a non-future
//! `1`, std's blanket `impl<F: Future> IntoFuture for F` still says `IntoFuture = {integer}`,
//! so every later use of the argument (the generated struct, its constructor, the `.await`)
//! raises "`{integer}` is not a future" again, some with notes into this crate. Here the future
//! type comes out through `<F::IntoFuture as Future>::Output`, which has no impl for a
//! non-future: its type is then left unknown, and rustc reports nothing more about a type it
//! could not infer once an error was reported. The expansions call the trait as a path
//! (`GatherArg::<_>::into_arg(arg)`), not through a generic function, so
//! the error has no "required by a bound" note pointing here either.
//!
//! The price: the future's type is worked out from its output type, so an argument whose
//! output is known only from how the macro's output is used afterwards (`async {
//! Default::default() }`, with the type written on the `let`) now needs that type inside
//! (`async { u8::default() }`); an output the argument itself settles (any `async fn`, any
//! block that returns a typed value) is unaffected.

use std::future::{Future, IntoFuture};

/// Defines one macro's future-argument trait: its message names the macro (an attribute
/// takes no `concat!`, and a marker type parameter would print as its full path).
macro_rules! future_arg {
    ($(#[$doc:meta])* $name:ident, $message:literal) => {
        $(#[$doc])*
        #[diagnostic::on_unimplemented(
            message = $message,
            label = "expected a future here",
            note = "a future is an `async` block, the call of an `async fn` or a \
                    `#[corio::coroutine]`, a task, or anything `IntoFuture`; a plain value goes \
                    in as `async {{ value }}`"
        )]
        pub trait $name<Fut> {
            /// The argument as a future.
            fn into_arg(self) -> Fut;
        }

        impl<F: IntoFuture> $name<ItsFuture<F::IntoFuture>> for F {
            #[inline(always)]
            fn into_arg(self) -> F::IntoFuture {
                self.into_future()
            }
        }
    };
}

future_arg!(
    /// A future argument of `gather!`'s fixed form.
    GatherArg,
    "`{Self}` is not a future: `gather!` takes futures"
);
future_arg!(
    /// A future argument of `as_completed!`'s fixed form.
    AsCompletedArg,
    "`{Self}` is not a future: `as_completed!` takes futures"
);
future_arg!(
    /// The future argument of `wait_for!`.
    WaitForArg,
    "`{Self}` is not a future: `wait_for!` takes a future and a timeout"
);

/// The iterator of `gather!(..iter)` and `as_completed!(..iter)`, checked as a whole where the
/// user wrote it (the same way as the traits above: for an iterator of non-futures its type is
/// left unknown); an identity.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an iterator of futures",
    label = "expected an iterator of futures after `..`",
    note = "`..` takes anything `IntoIterator` whose items are futures: a `Vec` or an array of \
            futures, `urls.iter().map(fetch)`"
)]
pub trait SpreadArg<It> {
    /// The argument, unchanged.
    fn into_arg(self) -> It;
}

impl<I: IntoIterator> SpreadArg<ItsFuture<<I::Item as IntoFuture>::IntoFuture, I>> for I
where
    I::Item: IntoFuture,
{
    #[inline(always)]
    fn into_arg(self) -> I {
        self
    }
}

/// `T` (by default `F` itself) when `F` is a future; when it is not, a type rustc cannot work
/// out (see the module docs).
type ItsFuture<F, T = F> = <<F as Future>::Output as Is<T>>::Type;

/// `<O as Is<T>>::Type` is `T`, whatever `O`: a way to write `T` so that the type depends on
/// `O` being known.
pub trait Is<T> {
    /// `T`.
    type Type;
}

impl<O: ?Sized, T> Is<T> for O {
    type Type = T;
}
