//! How a coroutine's body tells its frame where it is suspended, without a pointer from the
//! body to its frame: one thread-local `u16`, [`SITE`], written only on the way out of a
//! suspension. Each instrumented `.await` of the body awaits its future wrapped in [`At`],
//! which stores the await's index in `SITE` when the future returns `Pending`; the body then
//! returns `Pending` at once, and the frame's poll takes the index (setting `SITE` back to
//! `NO_SITE`) as the site it is suspended at. Nested coroutines take theirs on the way out
//! before the enclosing body's `At` stores its own, so `SITE` holds `NO_SITE` at every other
//! moment, and a body suspended at an await the macro did not see (inside another macro's
//! input) reads `NO_SITE`.

use std::cell::Cell;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::join::future_arg::ItsFuture;

/// No await site: the body has not reached an instrumented `.await` during this poll.
pub(crate) const NO_SITE: u16 = u16::MAX;

thread_local! {
    /// The await site the body being polled on this thread suspended at; see the module docs.
    static SITE: Cell<u16> = const { Cell::new(NO_SITE) };
}

/// The future of the instrumented `.await` number `I` of a coroutine's body: polls `F`, and
/// when it returns `Pending` tells the body's frame (through [`SITE`]) that the body is
/// suspended here. Made by [`AwaitArg::into_at`]; its output type `O` is a parameter of its
/// own, as `join`'s `ArgFuture`'s is, so that an awaited `async { Default::default() }` takes
/// its output type from the await's use.
#[doc(hidden)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct At<F, O, const I: u16> {
    future: F,
    output: PhantomData<fn() -> O>,
}

impl<F: Future<Output = O>, O, const I: u16> Future for At<F, O, I> {
    type Output = O;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<O> {
        // SAFETY: `future` is pinned structurally: `At` never moves it out, has no `Drop`,
        // and is `Unpin` only when `F` is (`PhantomData<fn() -> O>` is always `Unpin`).
        let poll = unsafe { self.map_unchecked_mut(|at| &mut at.future) }.poll(cx);
        if poll.is_pending() {
            suspended_at(I);
        }
        poll
    }
}

impl<F: fmt::Debug, O, const I: u16> fmt::Debug for At<F, O, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.future.fmt(f)
    }
}

/// What an `.await` of a `#[corio::coroutine]` body awaits, checked where the user wrote it
/// and wrapped in its [`At`]: what is not a future is one error there, in rustc's words (the
/// way `join`'s `GatherArg` checks `gather!`'s arguments; see its module docs).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a future",
    label = "`{Self}` is not a future",
    note = "`{Self}` must be a future or must implement `IntoFuture` to be awaited"
)]
pub trait AwaitArg<Fut, Output> {
    /// The future, as the await number `I` of its body.
    fn into_at<const I: u16>(self) -> At<Fut, Output, I>;
}

impl<F: IntoFuture> AwaitArg<ItsFuture<F::IntoFuture>, F::Output> for F {
    #[inline(always)]
    fn into_at<const I: u16>(self) -> At<F::IntoFuture, F::Output, I> {
        At {
            future: self.into_future(),
            output: PhantomData,
        }
    }
}

/// Tells the frame of the body being polled that it suspends at site `index`. Not generic,
/// and a call when unoptimised, so that the thread-local's access takes no stack in each
/// level of a debug build's recursion.
#[inline]
fn suspended_at(index: u16) {
    SITE.set(index);
}

/// Takes the site an `At` of the body just suspended at stored, leaving `NO_SITE`.
#[inline(always)]
pub(crate) fn take_site() -> u16 {
    SITE.replace(NO_SITE)
}
