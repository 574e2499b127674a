//! Support for `as_completed!`, asyncio's `as_completed`: the streams of the spread forms
//! ([`AsCompleted`], [`AsCompletedTimeout`]) and the box around the fixed form's
//! ([`AsCompletedFixed`]).
//!
//! The fixed form `as_completed!(a, b, c)` is a struct generated at the call site; the spread
//! forms give each child its own waker and re-poll only the woken ones, so the total work is
//! linear in the number of children, whatever order they finish in.

use std::fmt;
use std::future::{Future, IntoFuture, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use crate::join::child_wakers::Group;
use crate::time::delay::IntoDelay;
use crate::time::sleep::{Sleep, sleep};
use crate::time::timeout_error::TimeoutError;

/// The stream of `as_completed!(..iter)`: yields each child's output as soon as it finishes,
/// in completion order, as `for aw in asyncio.as_completed(aws): await aw`.
///
/// Children that finish during the same poll come out in the order they were woken (first
/// poll: argument order). Children are polled inline, inside the task that polls the stream;
/// a finished child's future is dropped before its output is yielded. Dropping the stream
/// drops every unfinished child exactly once. `Unpin`, and `Send` when the children and their
/// outputs are. Ends (`None`) once every child has been yielded.
#[must_use = "streams do nothing unless polled"]
pub struct AsCompleted<F: Future> {
    group: Group<F>,
}

impl<F: Future> AsCompleted<F> {
    /// Runs every future of `children`.
    pub fn new<I>(children: I) -> Self
    where
        I: IntoIterator,
        I::Item: IntoFuture<IntoFuture = F>,
    {
        AsCompleted {
            group: Group::new(children.into_iter().map(IntoFuture::into_future), true),
        }
    }

    /// The next output in completion order, or `None` when every child has been yielded.
    pub async fn next(&mut self) -> Option<F::Output> {
        poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// The number of children not yielded yet.
    pub fn remaining(&self) -> usize {
        self.group.remaining() + self.group.done_len()
    }
}

impl<F: Future> Stream for AsCompleted<F> {
    type Item = F::Output;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<F::Output>> {
        let group = &mut self.group;
        // Outputs of children that finished in an earlier poll come first.
        if let Some(index) = group.pop_done() {
            return Poll::Ready(Some(group.slot(index).take_done()));
        }
        if group.remaining() == 0 {
            return Poll::Ready(None);
        }
        group.poll_woken(cx);
        match group.pop_done() {
            Some(index) => Poll::Ready(Some(group.slot(index).take_done())),
            None => Poll::Pending,
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining(), Some(self.remaining()))
    }
}

/// The stream of `as_completed!(..iter, timeout = t)`: yields `Ok(output)` for each child that
/// finishes within `t` of the stream's first poll, in completion order; if the deadline passes
/// first, yields one `Err(TimeoutError)` and ends.
///
/// The deadline uses [`sleep`]'s timer. Children are polled before the timer, so a child that
/// finishes at the deadline is yielded, not timed out. Unlike asyncio (whose children are tasks
/// that keep running), the unfinished children are dropped when the stream is dropped; wrap
/// them in tasks to keep them running. `Unpin`; `Send` when the children and their outputs are.
#[must_use = "streams do nothing unless polled"]
pub struct AsCompletedTimeout<F: Future> {
    inner: AsCompleted<F>,
    deadline: Sleep,
    ended: bool,
}

impl<F: Future> AsCompletedTimeout<F> {
    /// Runs every future of `children`, with a deadline `timeout` after the first poll.
    ///
    /// # Panics
    ///
    /// At once, if `timeout` is NaN, infinite or too large (as [`sleep`]).
    pub fn new<I>(children: I, timeout: impl IntoDelay) -> Self
    where
        I: IntoIterator,
        I::Item: IntoFuture<IntoFuture = F>,
    {
        AsCompletedTimeout {
            inner: AsCompleted::new(children),
            deadline: sleep(timeout),
            ended: false,
        }
    }

    /// The next output in completion order, `Err(TimeoutError)` once if the deadline passes
    /// first, or `None` at the end.
    pub async fn next(&mut self) -> Option<Result<F::Output, TimeoutError>> {
        poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// The number of children not yielded yet.
    pub fn remaining(&self) -> usize {
        self.inner.remaining()
    }
}

impl<F: Future> Stream for AsCompletedTimeout<F> {
    type Item = Result<F::Output, TimeoutError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.ended {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(output)) => return Poll::Ready(Some(Ok(output))),
            Poll::Ready(None) => {
                this.ended = true;
                return Poll::Ready(None);
            }
            Poll::Pending => {}
        }
        match Pin::new(&mut this.deadline).poll(cx) {
            Poll::Ready(()) => {
                this.ended = true;
                Poll::Ready(Some(Err(TimeoutError)))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.ended {
            (0, Some(0))
        } else {
            (0, Some(self.remaining() + 1))
        }
    }
}

/// The stream of the fixed form `as_completed!(a, b, c)`: yields each child's output as soon as
/// it finishes, in completion order (see corio's `as_completed!`).
///
/// The children live, pinned, in a struct generated at the call site (one `MaybeDone` slot per
/// child, no per-child waker: a poll polls every unfinished child). This wrapper boxes that
/// struct once, so the stream is `Unpin` and used as the spread form is:
/// `let mut s = as_completed!(a, b); while let Some(x) = s.next().await { .. }`, no `pin!`.
/// The cost is that one allocation per `as_completed!` call, holding every child. `Send` when
/// the children and their outputs are.
#[must_use = "streams do nothing unless polled"]
pub struct AsCompletedFixed<S> {
    inner: Pin<Box<S>>,
}

impl<S: Stream> AsCompletedFixed<S> {
    /// The next output in completion order, or `None` when every child has been yielded.
    pub async fn next(&mut self) -> Option<S::Item> {
        poll_fn(|cx| self.inner.as_mut().poll_next(cx)).await
    }
}

impl<S: Stream> Stream for AsCompletedFixed<S> {
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl<S> fmt::Debug for AsCompletedFixed<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompletedFixed").finish_non_exhaustive()
    }
}

/// `as_completed!(a, b, c)`: boxes the stream generated at the call site. No `Stream` bound
/// here: children of different output types are reported once, where they are passed.
pub fn as_completed_fixed<S>(stream: S) -> AsCompletedFixed<S> {
    AsCompletedFixed {
        inner: Box::pin(stream),
    }
}

/// `as_completed!(..iter)`.
pub fn as_completed_all<I>(children: I) -> AsCompleted<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    AsCompleted::new(children)
}

/// `as_completed!(..iter, timeout = t)`.
pub fn as_completed_timeout<I>(
    children: I,
    timeout: impl IntoDelay,
) -> AsCompletedTimeout<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    AsCompletedTimeout::new(children, timeout)
}

impl<F: Future> fmt::Debug for AsCompleted<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("children", &self.group.len())
            .field("remaining", &self.group.remaining())
            .finish()
    }
}

impl<F: Future> fmt::Debug for AsCompletedTimeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompletedTimeout")
            .field("inner", &self.inner)
            .field("deadline", &self.deadline)
            .field("ended", &self.ended)
            .finish()
    }
}
