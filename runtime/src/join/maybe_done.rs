//! The slot of one joined child ([`MaybeDone`]) and the `Ok`/`Err` split of the `try` forms
//! ([`TryOutput`]): what the fixed `gather!`/`as_completed!` expansions and the spread forms'
//! child groups hold per child.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

pin_project! {
    /// One child of a gather: its future until it finishes, then its output until the gather
    /// hands it out.
    // pin-project-lite takes no attributes on variant fields, so they cannot carry docs:
    // `future` is the child's future, `output` its output.
    #[expect(missing_docs, reason = "pin-project-lite takes no docs on variant fields")]
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

    /// Whether the slot holds an `Err` output not handed out yet.
    pub fn holds_err(&self) -> bool {
        matches!(self, MaybeDone::Done { output } if output.is_err())
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
