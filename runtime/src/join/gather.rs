//! Support for `gather!`, asyncio's `gather`: the futures of the spread forms ([`GatherAll`],
//! [`TryGatherAll`]); each child sits in a `MaybeDone` slot.
//!
//! The fixed form `gather!(a, b, c)` is a struct generated at the call site with one
//! [`MaybeDone`] per child; it allocates nothing and polls every unfinished child on each poll
//! (as `futures::join!` and `tokio::join!` do: with a handful of children, re-polling is cheaper
//! than a waker allocation per child). The spread form `gather!(..iter)` has any number of
//! children, so it gives each child its own waker and re-polls only the woken ones.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::join::child_wakers::Group;
use crate::join::maybe_done::TryOutput;

/// The future of `gather!(..iter)`: runs every child concurrently and outputs their outputs
/// in argument (iteration) order, as `asyncio.gather(*aws)`.
///
/// Each child has its own waker, so a wake re-polls only that child: the cost per child stays
/// flat however many children there are. Children are polled inline, inside the task that
/// awaits the gather, first in argument order. Dropping it drops every unfinished child (and
/// every output not handed out) exactly once. `Send` when the children and their outputs are.
/// No children: outputs an empty `Vec` at the first poll.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct GatherAll<F: Future> {
    group: Group<F>,
}

impl<F: Future> GatherAll<F> {
    /// Gathers every future of `children`.
    pub fn new<I>(children: I) -> Self
    where
        I: IntoIterator,
        I::Item: IntoFuture<IntoFuture = F>,
    {
        GatherAll {
            group: Group::new(children.into_iter().map(IntoFuture::into_future), false),
        }
    }

    /// The number of children not finished yet.
    pub fn remaining(&self) -> usize {
        self.group.remaining()
    }
}

impl<F: Future> Future for GatherAll<F> {
    type Output = Vec<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<F::Output>> {
        let group = &mut self.group;
        group.poll_woken(cx);
        if group.remaining() > 0 {
            return Poll::Pending;
        }
        let outputs = (0..group.len())
            .map(|index| group.slot(index).take_done())
            .collect();
        Poll::Ready(outputs)
    }
}

/// The future of `gather!(try ..iter)`: like [`GatherAll`], but each child outputs a
/// `Result<T, E>`; outputs `Ok(Vec<T>)` in argument order when every child succeeds, or the
/// first `Err` (in completion order) as soon as one fails, after dropping every other child
/// at once.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct TryGatherAll<F: Future>
where
    F::Output: TryOutput,
{
    group: Group<F>,
}

impl<F: Future> TryGatherAll<F>
where
    F::Output: TryOutput,
{
    /// Gathers every future of `children`.
    pub fn new<I>(children: I) -> Self
    where
        I: IntoIterator,
        I::Item: IntoFuture<IntoFuture = F>,
    {
        TryGatherAll {
            group: Group::new(children.into_iter().map(IntoFuture::into_future), true),
        }
    }

    /// The number of children not finished yet.
    pub fn remaining(&self) -> usize {
        self.group.remaining()
    }
}

impl<F: Future> Future for TryGatherAll<F>
where
    F::Output: TryOutput,
{
    type Output = Result<Vec<<F::Output as TryOutput>::Ok>, <F::Output as TryOutput>::Err>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let group = &mut self.group;
        group.poll_woken(cx);
        while let Some(index) = group.pop_done() {
            let slot = group.slot(index);
            if slot.holds_err() {
                let error = slot.take_done().into_result().err();
                // Drop every other child (and every output) at once.
                group.clear();
                if let Some(error) = error {
                    return Poll::Ready(Err(error));
                }
            }
        }
        if group.remaining() > 0 {
            return Poll::Pending;
        }
        let outputs = (0..group.len())
            .map(|index| group.slot(index).take_ok())
            .collect();
        Poll::Ready(Ok(outputs))
    }
}

/// `gather!(..iter)`.
pub fn gather_all<I>(children: I) -> GatherAll<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    GatherAll::new(children)
}

/// `gather!(try ..iter)`.
pub fn try_gather_all<I>(children: I) -> TryGatherAll<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
    <I::Item as IntoFuture>::Output: TryOutput,
{
    TryGatherAll::new(children)
}

impl<F: Future> fmt::Debug for GatherAll<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatherAll")
            .field("children", &self.group.len())
            .field("remaining", &self.group.remaining())
            .finish()
    }
}

impl<F: Future> fmt::Debug for TryGatherAll<F>
where
    F::Output: TryOutput,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TryGatherAll")
            .field("children", &self.group.len())
            .field("remaining", &self.group.remaining())
            .finish()
    }
}
