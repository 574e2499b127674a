//! A timeout armed at its first poll: how `wait_for!` and `wait(.., timeout)` meet their
//! deadline, on the loop's timers inside a corio loop and the portable timer elsewhere.

use std::future::Future;
use std::pin::Pin;
use std::task::Context;

use crate::rt::context;
use crate::time::sleep::Sleep;

/// Drops a timed-out future in place; returns whether the drop scheduled steps on the loop (a
/// task in it was cancelled, say). Then `cx` has been woken behind those steps, and the caller
/// returns `Pending` and reports the timeout at its next poll, so the cancelled work's last
/// step runs before the awaiter sees the error (asyncio waits for the cancelled task too).
pub(crate) fn drop_before_reporting<F>(mut future: Pin<&mut Option<F>>, cx: &Context<'_>) -> bool {
    let queued = || context::try_with_current(|core| core.queued_steps());
    let queued_before = queued();
    future.set(None);
    if queued() > queued_before {
        cx.waker().wake_by_ref();
        return true;
    }
    false
}

/// Where a timeout stands. The timer is armed at the first poll (at `time() + timeout`, as
/// asyncio arms it when the awaiting coroutine first runs); a timeout of zero has passed at
/// the first poll without arming anything.
#[derive(Debug)]
pub(crate) enum Deadline {
    /// No timeout: never passes.
    Never,
    /// Not polled yet: the timeout in nanoseconds.
    Unarmed(u64),
    /// The timer, armed at the first poll.
    Armed(Sleep),
    /// The deadline has passed.
    Passed,
}

impl Deadline {
    /// A deadline `timeout_ns` after the first poll, or none for `None`.
    pub(crate) fn after(timeout_ns: Option<u64>) -> Self {
        match timeout_ns {
            Some(ns) => Deadline::Unarmed(ns),
            None => Deadline::Never,
        }
    }

    /// Whether the deadline has passed; if not, `cx` is woken when it does.
    pub(crate) fn poll_passed(&mut self, cx: &mut Context<'_>) -> bool {
        let timer = match self {
            Deadline::Never => return false,
            Deadline::Passed | Deadline::Unarmed(0) => {
                *self = Deadline::Passed;
                return true;
            }
            Deadline::Unarmed(ns) => {
                *self = Deadline::Armed(Sleep::from_nanos(*ns));
                let Deadline::Armed(timer) = self else {
                    unreachable!("armed just above")
                };
                timer
            }
            Deadline::Armed(timer) => timer,
        };
        if Pin::new(timer).poll(cx).is_pending() {
            return false;
        }
        *self = Deadline::Passed;
        true
    }
}
