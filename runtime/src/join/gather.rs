//! Support for `gather!`, asyncio's `gather`: the slot of one child ([`MaybeDone`]), the `Ok`/`Err`
//! split of the `try` form ([`TryOutput`]), and the futures of the spread forms
//! ([`GatherAll`], [`TryGatherAll`]).
//!
//! The fixed form `gather!(a, b, c)` is a struct generated at the call site with one
//! [`MaybeDone`] per child; it allocates nothing and polls every unfinished child on each poll
//! (as `futures::join!` and `tokio::join!` do: with a handful of children, re-polling is cheaper
//! than a waker allocation per child). The spread form `gather!(..iter)` has any number of
//! children, so it gives each child its own waker and re-polls only the woken ones.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::join::child_wakers::Group;

pin_project! {
    /// One child of a gather: its future until it finishes, then its output until the gather
    /// hands it out.
    // pin-project-lite takes no attributes on variant fields, so they cannot carry docs:
    // `future` is the child's future, `output` its output.
    #[allow(missing_docs)]
    #[project = MaybeDoneProj]
    #[project_replace = MaybeDoneReplace]
    pub enum MaybeDone<F: Future> {
        /// Not finished: the future, pinned in place.
        Pending { #[pin] future: F },
        /// Finished: the output, not handed out yet.
        Done { output: F::Output },
        /// The output was handed out, or the child was dropped.
        Taken,
    }
}

impl<F: Future> MaybeDone<F> {
    /// A slot holding `future`, not polled yet.
    pub fn new(future: F) -> Self {
        MaybeDone::Pending { future }
    }

    /// Whether the child has not finished yet.
    pub fn is_pending(&self) -> bool {
        matches!(self, MaybeDone::Pending { .. })
    }

    /// Whether the slot holds an output not handed out yet.
    pub fn is_done(&self) -> bool {
        matches!(self, MaybeDone::Done { .. })
    }

    /// Polls the child if it is unfinished, keeping its output in the slot; returns whether it
    /// has finished (now or before).
    pub fn poll_done(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> bool {
        if let MaybeDoneProj::Pending { future } = self.as_mut().project() {
            match future.poll(cx) {
                Poll::Ready(output) => self.set(MaybeDone::Done { output }),
                Poll::Pending => return false,
            }
        }
        true
    }

    /// Takes the output out of a finished slot, leaving it `Taken`.
    ///
    /// # Panics
    ///
    /// If the slot holds no output: the gather was polled again after it completed.
    pub fn take_done(self: Pin<&mut Self>) -> F::Output {
        match self.project_replace(MaybeDone::Taken) {
            MaybeDoneReplace::Done { output } => output,
            _ => panic!("corio: a gather! future was polled again after it completed"),
        }
    }
}

impl<F: Future> MaybeDone<F>
where
    F::Output: TryOutput,
{
    /// The `try` form's poll of one child: `Ready(Ok(()))` once it has finished with `Ok`
    /// (the value stays in the slot), `Ready(Err(e))` when it finishes with `Err` (taken out),
    /// `Pending` while it runs.
    pub fn poll_try(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), <F::Output as TryOutput>::Err>> {
        if !self.as_mut().poll_done(cx) {
            return Poll::Pending;
        }
        match self.as_mut().project() {
            MaybeDoneProj::Done { output } if output.is_err() => {
                match self.take_done().into_result() {
                    Err(error) => Poll::Ready(Err(error)),
                    Ok(_) => unreachable!("is_err() said Err"),
                }
            }
            _ => Poll::Ready(Ok(())),
        }
    }

    /// Takes the `Ok` value out of a slot that finished with `Ok`.
    ///
    /// # Panics
    ///
    /// If the slot holds no `Ok` value: the gather was polled again after it completed.
    pub fn take_ok(self: Pin<&mut Self>) -> <F::Output as TryOutput>::Ok {
        match self.take_done().into_result() {
            Ok(value) => value,
            Err(_) => panic!("corio: a gather! future was polled again after it completed"),
        }
    }
}

/// The outputs `gather!(try ...)` accepts: `Result<T, E>`, split into its `Ok` and `Err` types
/// without requiring `Debug`.
#[diagnostic::on_unimplemented(
    message = "`gather!(try ...)` needs every child to output a `Result`, but one outputs `{Self}`",
    label = "this child's output is not a `Result`"
)]
pub trait TryOutput {
    /// The type of the `Ok` value.
    type Ok;
    /// The type of the `Err` value.
    type Err;
    /// Whether the output is an `Err`.
    fn is_err(&self) -> bool;
    /// The output as a `Result`.
    fn into_result(self) -> Result<Self::Ok, Self::Err>;
}

impl<T, E> TryOutput for Result<T, E> {
    type Ok = T;
    type Err = E;

    fn is_err(&self) -> bool {
        Result::is_err(self)
    }

    fn into_result(self) -> Result<T, E> {
        self
    }
}

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
            let mut slot = group.slot(index);
            if let MaybeDoneProj::Done { output } = slot.as_mut().project() {
                if output.is_err() {
                    let error = slot.take_done().into_result().err();
                    // Drop every other child (and every output) at once.
                    group.clear();
                    if let Some(error) = error {
                        return Poll::Ready(Err(error));
                    }
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
