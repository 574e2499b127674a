//! [`WaitFor`], the future `wait_for!` builds: a future and its deadline in one struct, as
//! `asyncio.wait_for`.
//!
//! The deadline is a [`Sleep`], so it is one of the loop's timers inside a corio loop (virtual
//! time applies, and it fires in the loop's (deadline, arming order)) and a portable timer on
//! any other executor.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::time::deadline::{self, Deadline};
use crate::time::timeout_error::TimeoutError;

pin_project_lite::pin_project! {
    /// The future of `wait_for!(future, timeout)`: waits for `future` for at most `timeout`,
    /// as `asyncio.wait_for`. Its output is `Result<T, TimeoutError>`.
    ///
    /// What it promises:
    ///
    /// * **The future first.** Every poll polls the inner future before it looks at the
    ///   deadline, so a future that is ready never times out, whatever the timeout (`0`, or
    ///   negative, included: CPython times such a call out without running the coroutine;
    ///   corio returns its value).
    /// * **The deadline is armed at the first poll**, right after the inner future's first
    ///   poll, at `time() + timeout` on the loop's clock (virtual time applies). A timeout of
    ///   zero or less arms nothing: if the first poll leaves the future pending, it times out
    ///   at once.
    /// * **At an exact tie, a timer inside the future wins.** When the future's own timer
    ///   (say `wait_for!(sleep(1), 1)`) is due at the deadline, both come due in the same loop
    ///   pass and wake the task once; the future is polled first and returns `Ok`, whichever
    ///   timer was armed first. A future that finishes one pass *after* its timer (awaiting a
    ///   `Task` whose sleep ends at the deadline) loses: the deadline's wake comes first. That
    ///   last case matches asyncio, where timers fire in arming order and the timeout is armed
    ///   before the inner coroutine starts, so asyncio's timeout wins every exact tie.
    /// * **On timeout the future is dropped before the error returns**: its destructors run
    ///   (a `Task` it was awaiting is cancelled). If that drop scheduled work on the loop (the
    ///   cancelled task's last step, which drops its future), `WaitFor` yields once so the
    ///   work runs first: when the error returns, the cancelled task's destructors have run,
    ///   as asyncio's `wait_for` waits for the cancelled task. It returns at the same loop
    ///   time: corio's cancellation cannot await, so there is nothing more to wait for. One
    ///   exception: a task whose step was already queued when it was cancelled (its own timer
    ///   came due in the same pass as the deadline) drops its future in that same pass, just
    ///   after the error returns.
    /// * **Dropping it** at any point drops the inner future exactly once and disarms the
    ///   deadline.
    /// * It is `Send` when the future is, and works on any executor: outside a corio loop the
    ///   deadline is a portable real-time timer (see [`sleep`](crate::sleep())).
    ///
    /// # Panics
    ///
    /// When polled again after it returned; when the inner future panics (the panic goes
    /// through). A bad timeout (NaN, infinite, too large) panics where `wait_for!` is called.
    #[must_use = "futures do nothing unless awaited"]
    pub struct WaitFor<F> {
        // `None` once it returned or was dropped for the timeout.
        #[pin]
        future: Option<F>,
        deadline: Deadline,
        phase: Phase,
    }
}

/// Where a [`WaitFor`] stands, apart from its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the future or the deadline.
    Waiting,
    /// Timed out; the future was dropped and its drop scheduled work on the loop, which runs
    /// before the next poll returns the error.
    Expiring,
    /// Returned its output or the error.
    Done,
}

/// A [`WaitFor`] of `future` for `timeout_ns` nanoseconds, or without a deadline for `None`:
/// what `wait_for!` expands to; the timeout was validated by
/// [`IntoTimeout`](crate::time::delay::IntoTimeout). The macro makes the argument a future
/// first (the `WaitForArg` check, spanned at it), and this takes any `F` with no bound, so a
/// non-future argument is one error at the argument, never one more pointing here.
pub fn wait_for<F>(future: F, timeout_ns: Option<u64>) -> WaitFor<F> {
    WaitFor {
        future: Some(future),
        deadline: Deadline::after(timeout_ns),
        phase: Phase::Waiting,
    }
}

impl<F: Future> Future for WaitFor<F> {
    type Output = Result<F::Output, TimeoutError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        match *this.phase {
            Phase::Waiting => {}
            Phase::Expiring => {
                *this.phase = Phase::Done;
                return Poll::Ready(Err(TimeoutError));
            }
            Phase::Done => panic!("corio: a wait_for! future was polled again after it returned"),
        }
        if let Some(future) = this.future.as_mut().as_pin_mut() {
            if let Poll::Ready(output) = future.poll(cx) {
                this.future.set(None);
                *this.phase = Phase::Done;
                return Poll::Ready(Ok(output));
            }
        }
        if !this.deadline.poll_passed(cx) {
            return Poll::Pending;
        }
        // Timed out. Drop the future now, and see whether that scheduled anything on the loop.
        *this.phase = Phase::Done;
        if deadline::drop_before_reporting(this.future.as_mut(), cx) {
            *this.phase = Phase::Expiring;
            return Poll::Pending;
        }
        Poll::Ready(Err(TimeoutError))
    }
}

impl<F> fmt::Debug for WaitFor<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitFor")
            .field("pending", &self.future.is_some())
            .field("deadline", &self.deadline)
            .finish()
    }
}
