//! [`GatherArg`], [`AsCompletedArg`], [`WaitForArg`]: the check `gather!`, `as_completed!` and
//! `wait_for!` make on each future argument, where the user wrote it, so that a non-future is
//! one error at that argument, in the macro's words. (The coroutine frame's `AwaitArg` makes
//! the same check on what an `.await` of a `#[corio::coroutine]` body awaits.)
//!
//! A plain `fn check<F: IntoFuture>(f: F) -> F::IntoFuture` is not enough: for a non-future
//! `1`, std's blanket `impl<F: Future> IntoFuture for F` still says `IntoFuture = {integer}`,
//! so every later use of the argument (the generated struct, its constructor, the `.await`)
//! raises "`{integer}` is not a future" again, some with notes into this crate. Here the future
//! type comes out through `<F::IntoFuture as Future>::Output`, which has no impl for a
//! non-future: its type is then left unknown, and rustc reports nothing more about a type it
//! could not infer once an error was reported. The expansions call the trait as a path
//! (`GatherArg::into_arg(arg)`), not through a generic function, so
//! the error has no "required by a bound" note pointing here either.
//!
//! The future type is worked out from its output type, which may not be known yet where the
//! macro is called (`async { Default::default() }`, with the type written on the `let`). So the
//! check hands out an [`ArgFuture`], whose output type is a parameter of its own: the output
//! type reaches the argument from how the macro's output is used, without waiting for the
//! future type. The spread forms' iterator has no such parameter: an item whose output is known
//! only from the use afterwards needs the type written inside it.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

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
        pub trait $name<Fut, Output> {
            /// The argument as a future.
            fn into_arg(self) -> ArgFuture<Fut, Output>;
        }

        impl<F: IntoFuture> $name<ItsFuture<F::IntoFuture>, F::Output> for F {
            #[inline(always)]
            fn into_arg(self) -> ArgFuture<F::IntoFuture, F::Output> {
                ArgFuture {
                    future: self.into_future(),
                    output: PhantomData,
                }
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

pin_project_lite::pin_project! {
    /// A future argument of `gather!`, `as_completed!` or `wait_for!`, checked: polls as the
    /// future `F`, whose output type `O` is a parameter (see the module docs). Send, Sync and
    /// Unpin as `F` is.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct ArgFuture<F, O> {
        #[pin]
        future: F,
        output: PhantomData<fn() -> O>,
    }
}

impl<F: Future<Output = O>, O> Future for ArgFuture<F, O> {
    type Output = O;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<O> {
        self.project().future.poll(cx)
    }
}

impl<F: fmt::Debug, O> fmt::Debug for ArgFuture<F, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.future.fmt(f)
    }
}

/// `as_completed!(a, b)`'s check that every child has the output type `T` of the first: its
/// stream yields them all.
#[diagnostic::on_unimplemented(
    message = "`as_completed!` yields every output into one stream, but this child outputs \
               `{Self}` and an earlier one `{T}`",
    label = "outputs `{Self}`, not `{T}`",
    note = "give every child one output type, or gather them with `gather!(a, b)`, whose \
            outputs may differ"
)]
pub trait SameOutput<T> {}

impl<T> SameOutput<T> for T {}

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
pub(crate) type ItsFuture<F, T = F> = <<F as Future>::Output as Is<T>>::Type;

/// `<O as Is<T>>::Type` is `T`, whatever `O`: a way to write `T` so that the type depends on
/// `O` being known.
pub trait Is<T> {
    /// `T`.
    type Type;
}

impl<O: ?Sized, T> Is<T> for O {
    type Type = T;
}
