//! `sleep`: suspend the current task for a delay, as `asyncio.sleep`.
//!
//! Inside a corio loop a sleep is one of the loop's timers, so it reads the loop's clock
//! (virtual time included) and fires in the loop's (deadline, arming order). Anywhere else
//! (`futures::executor::block_on`, tokio, smol, a bare `poll`) it is a portable timer:
//! [`futures_timer::Delay`], chosen because it needs no runtime and, on native targets, no
//! dependency at all (one helper thread, started on first use, keeps a heap of deadlines and
//! wakes from there), while `async-io`'s `Timer` would bring its whole reactor (`polling`,
//! `rustix`, ...) for one feature. It belongs to the async-rs project and is what many
//! executor-independent crates use for the same job.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_timer::Delay;

use crate::rt::context;
use crate::time::delay::IntoDelay;
use crate::time::wheel::TimerKey;

/// Suspends the current task for `delay`: seconds as an integer or float (`sleep(1)`,
/// `sleep(0.5)`) or a [`Duration`](std::time::Duration), as `asyncio.sleep`.
///
/// The timer is armed when the sleep is first polled (as asyncio arms it when the coroutine
/// first runs), at `time() + delay` on the running loop's clock. `sleep(0)` (or any delay of
/// zero or less) arms no timer: it yields exactly once, putting the task at the back of the
/// ready queue, as `asyncio.sleep(0)`. Dropping a pending sleep disarms its timer at once.
///
/// It works on any executor. A sleep first polled where no corio loop runs on the thread
/// (under `futures::executor::block_on`, tokio, smol, ...) waits on a portable real-time timer
/// ([`futures_timer`]) for its whole life instead: virtual time does not apply there, and the
/// wake may come a little after the delay (at the helper thread's granularity) but never before.
/// (Such a sleep moved into a corio loop keeps that timer, which a virtual-time loop cannot
/// see: awaited there with nothing else pending, it is reported as a deadlock.)
///
/// # Panics
///
/// At once, if `delay` is NaN, infinite or overflows the clock (the message names the value);
/// when polled again after it completed; when a sleep armed on a corio loop is polled outside
/// it (on another thread, or after the loop ended).
pub fn sleep(delay: impl IntoDelay) -> Sleep {
    Sleep {
        state: State::Unarmed {
            delay_ns: delay.into_delay_nanos(),
        },
    }
}

/// The future returned by [`sleep`].
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct Sleep {
    state: State,
}

impl Sleep {
    /// A sleep of `delay_ns` nanoseconds, already validated (for `wait_for!`'s deadline).
    pub(crate) fn from_nanos(delay_ns: u64) -> Sleep {
        Sleep {
            state: State::Unarmed { delay_ns },
        }
    }
}

#[derive(Debug)]
enum State {
    /// Not polled yet.
    Unarmed {
        delay_ns: u64,
    },
    /// `sleep(0)` has yielded once; the next poll completes.
    Yielded,
    /// Waiting on a timer of the loop numbered `loop_id`.
    Armed {
        loop_id: u64,
        key: TimerKey,
    },
    /// First polled where no corio loop runs: waiting on the portable timer.
    Portable(Delay),
    Done,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.state {
            State::Unarmed { delay_ns: 0 } => {
                self.state = State::Yielded;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            State::Unarmed { delay_ns } => {
                let armed = context::try_with_current(|core| {
                    let deadline = core.now().checked_add(delay_ns).unwrap_or_else(|| {
                        panic!("corio::sleep(): a delay of {delay_ns} ns overflows the loop clock")
                    });
                    let key = core.arm_timer(deadline, cx.waker().clone());
                    State::Armed {
                        loop_id: core.id(),
                        key,
                    }
                });
                match armed {
                    Some(armed) => {
                        self.state = armed;
                        Poll::Pending
                    }
                    None => {
                        self.state = State::Portable(Delay::new(Duration::from_nanos(delay_ns)));
                        // Polled at once so it registers the waker (it may even be due).
                        self.poll(cx)
                    }
                }
            }
            State::Portable(ref mut delay) => {
                std::task::ready!(Pin::new(delay).poll(cx));
                self.state = State::Done;
                Poll::Ready(())
            }
            State::Yielded => {
                self.state = State::Done;
                Poll::Ready(())
            }
            State::Armed { loop_id, key } => {
                let fired = context::with_current("corio::sleep()", |core| {
                    assert_eq!(
                        core.id(),
                        loop_id,
                        "corio::sleep() polled on a different event loop than the one it was \
                         armed on"
                    );
                    core.poll_timer(key, cx.waker())
                });
                if fired {
                    self.state = State::Done;
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }
            State::Done => panic!("corio: a Sleep was polled again after it completed"),
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let State::Armed { loop_id, key } = self.state {
            // Off its loop (the loop ended, or the sleep moved threads) there is nothing to
            // disarm: the loop's timers went with it.
            context::try_with_current(|core| {
                if core.id() == loop_id {
                    core.disarm_timer(key);
                }
            });
        }
    }
}
