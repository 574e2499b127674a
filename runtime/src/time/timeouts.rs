//! Timeout scopes: [`timeout`] and [`timeout_at`], as `asyncio.timeout()` and
//! `asyncio.timeout_at()`, with a deadline that can be moved while the work runs.
//!
//! asyncio writes `async with asyncio.timeout(10) as cm: ...`; Rust has no async `with`, so a
//! [`Timeout`] is a handle that [wraps](Timeout::wrap) one future. The handle is shared (clone
//! it into the future to call [`reschedule`](Timeout::reschedule) from inside), and stays
//! usable after the wrapped future has finished, to ask [`expired`](Timeout::expired).

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use crate::rt::context;
use crate::time::clock::NANOS_PER_SEC;
use crate::time::deadline;
use crate::time::delay::IntoDelay;
use crate::time::delay::TimeoutDelay;
use crate::time::sleep::Sleep;
use crate::time::timeout_error::TimeoutError;

/// A timeout scope that expires `delay` from now (seconds, a `Duration`, or an `Option<f64>`
/// of seconds, where `None` means no deadline: `timeout(None)`), as `asyncio.timeout(delay)`:
/// the deadline is `time() + delay`, computed here, on the running loop's clock.
///
/// ```
/// use corio_runtime::{Runner, TimeoutError, sleep, time, timeout};
///
/// Runner::new().virtual_time().run(async {
///     let scope = timeout(2);
///     assert_eq!(scope.wrap(sleep(10)).await, Err(TimeoutError));
///     assert_eq!(time(), 2.0);
///     assert!(scope.expired());
/// });
/// ```
///
/// # Panics
///
/// With `no running event loop` outside [`run`](crate::run); for a NaN, infinite or
/// overflowing delay (the message names the value).
pub fn timeout(delay: impl TimeoutDelay) -> Timeout {
    let delay_ns = delay.into_timeout_delay_nanos();
    let now = context::with_current("corio::timeout()", |core| core.now());
    let when = delay_ns.map(|ns| {
        now.checked_add(ns).unwrap_or_else(|| {
            panic!("corio::timeout(): a delay of {ns} ns overflows the loop clock")
        })
    });
    Timeout::new(when)
}

/// A timeout scope that expires at loop time `when` (as [`time()`](crate::time) reads it;
/// `None` means no deadline), as `asyncio.timeout_at(when)`. A `when` already past expires
/// the wrapped future at its first poll, if that poll leaves it pending.
///
/// # Panics
///
/// For a NaN, infinite or overflowing `when` (the message names the value).
pub fn timeout_at(when: impl Into<Option<f64>>) -> Timeout {
    Timeout::new(loop_time_nanos(when.into()))
}

/// Seconds of loop time to the clock's nanoseconds (the past clamped to the origin).
fn loop_time_nanos(when: Option<f64>) -> Option<u64> {
    when.map(IntoDelay::into_delay_nanos)
}

/// Where a [`Timeout`] stands, as asyncio's `_State`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Not wrapping a future yet.
    Created,
    /// Wrapping a future that has not finished.
    Active,
    /// The deadline passed: the wrapped future was dropped and gave `Err(TimeoutError)`.
    Expired,
    /// The wrapped future finished in time, or was dropped before it finished.
    Finished,
}

impl Phase {
    /// asyncio's name for the state, as its repr and error messages print it.
    fn name(self) -> &'static str {
        match self {
            Phase::Created => "created",
            Phase::Active => "active",
            Phase::Expired => "expired",
            Phase::Finished => "finished",
        }
    }
}

/// What the handles and the wrapped future share.
struct State {
    /// The deadline in loop-clock nanoseconds, or `None` for none.
    when: Cell<Option<u64>>,
    phase: Cell<Phase>,
    /// Set while the wrapped future is being polled (a reschedule from inside needs no wake).
    polling: Cell<bool>,
    /// The waker of the task polling the wrapped future, woken by a reschedule from outside.
    waker: RefCell<Option<Waker>>,
}

/// A timeout scope, as the object `async with asyncio.timeout(...) as cm` binds: it wraps one
/// future with [`wrap`](Timeout::wrap) and can move its deadline at any time while that
/// future runs. Cloning gives another handle to the same scope.
///
/// What it promises:
///
/// * **Loop time.** The deadline is a loop-clock time (virtual time applies) and is watched by
///   one of the loop's timers, re-armed when [`reschedule`](Timeout::reschedule) moves it.
/// * **The future first**, as `wait_for!`: each poll polls the wrapped future before looking
///   at the deadline, so a future that is ready never times out, and when the future's own
///   timer comes due at the deadline, the future wins.
/// * **On expiry the future is dropped** (its destructors run; a task it awaited is
///   cancelled) and the wrapper returns `Err(TimeoutError)` at the deadline's loop time; as
///   `wait_for!` does, it yields once first if the drop scheduled work (a cancelled task's
///   last step), so that work has run when the error returns. asyncio instead throws
///   `CancelledError` into the body and raises `TimeoutError` when the `async with` exits;
///   corio's cancellation is a drop (see the crate docs), so there is no body left to exit.
#[derive(Clone)]
pub struct Timeout {
    state: Rc<State>,
}

impl Timeout {
    fn new(when: Option<u64>) -> Self {
        Timeout {
            state: Rc::new(State {
                when: Cell::new(when),
                phase: Cell::new(Phase::Created),
                polling: Cell::new(false),
                waker: RefCell::new(None),
            }),
        }
    }

    /// The deadline in loop time (seconds, as [`time()`](crate::time)), or `None` if there is
    /// none, as `Timeout.when()`.
    pub fn when(&self) -> Option<f64> {
        self.state
            .when
            .get()
            .map(|ns| ns as f64 / NANOS_PER_SEC as f64)
    }

    /// Moves the deadline to loop time `when` (`None` removes it), as `Timeout.reschedule()`.
    /// While the wrapped future runs, this re-arms the timer: an earlier deadline (even one
    /// already past) expires the future at its next poll, a later one or `None` lets it run on.
    /// It may be called from inside the wrapped future or from any other task on the loop.
    /// Unlike asyncio, it may also be called before the scope wraps a future (asyncio raises
    /// `Timeout has not been entered`): it just sets the deadline.
    ///
    /// # Panics
    ///
    /// With `cannot change state of expired Timeout` (or `finished`) once the wrapped future has
    /// timed out or finished, as asyncio's `RuntimeError`; for a NaN, infinite or overflowing
    /// `when`.
    pub fn reschedule(&self, when: impl Into<Option<f64>>) {
        let phase = self.state.phase.get();
        if matches!(phase, Phase::Expired | Phase::Finished) {
            panic!(
                "corio: Timeout::reschedule(): cannot change state of {} Timeout",
                phase.name()
            );
        }
        self.state.when.set(loop_time_nanos(when.into()));
        if !self.state.polling.get() {
            if let Some(waker) = self.state.waker.borrow().as_ref() {
                waker.wake_by_ref();
            }
        }
    }

    /// Whether the deadline passed while the wrapped future ran (it was then dropped and
    /// the wrapper returned `Err(TimeoutError)`), as `Timeout.expired()`. `false` before the
    /// future is wrapped, while it runs, and when it finished in time.
    pub fn expired(&self) -> bool {
        self.state.phase.get() == Phase::Expired
    }

    /// Runs `future` under this scope, as the body of `async with timeout(...)`: the returned
    /// [`WithTimeout`] gives `Ok(output)`, or `Err(TimeoutError)` if the deadline passed first.
    /// The deadline's timer is armed at its first poll.
    ///
    /// # Panics
    ///
    /// With `has already been entered` if this scope (or a clone of it) already wrapped a
    /// future, as asyncio refuses to enter a `Timeout` twice.
    pub fn wrap<F: IntoFuture>(&self, future: F) -> WithTimeout<F::IntoFuture> {
        let phase = self.state.phase.get();
        if phase != Phase::Created {
            panic!(
                "corio: Timeout::wrap(): this Timeout has already been entered ({}); make a new \
                 one per future",
                phase.name()
            );
        }
        self.state.phase.set(Phase::Active);
        WithTimeout {
            future: Some(future.into_future()),
            scope: self.clone(),
            timer: None,
            expiring: false,
        }
    }
}

impl fmt::Debug for Timeout {
    /// asyncio's repr: `<Timeout [active] when=2.0>`, `<Timeout [expired]>`, ...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let phase = self.state.phase.get();
        write!(f, "<Timeout [{}]", phase.name())?;
        if phase == Phase::Active {
            match self.when() {
                Some(when) => write!(f, " when={:?}", (when * 1000.0).round() / 1000.0)?,
                None => f.write_str(" when=None")?,
            }
        }
        f.write_str(">")
    }
}

pin_project_lite::pin_project! {
    /// A future run under a [`Timeout`] scope, made by [`Timeout::wrap`]: its output is
    /// `Result<T, TimeoutError>`. Dropping it before it finishes drops the wrapped future once,
    /// disarms the timer and marks the scope finished.
    ///
    /// # Panics
    ///
    /// When polled again after it returned, or outside the loop it was first polled on;
    /// when the wrapped future panics (the panic goes through).
    #[must_use = "futures do nothing unless awaited"]
    pub struct WithTimeout<F> {
        // `None` once it finished or was dropped for the timeout.
        #[pin]
        future: Option<F>,
        scope: Timeout,
        // The timer and the deadline it was armed for.
        timer: Option<(u64, Sleep)>,
        // Expired, and the drop scheduled work that runs before the error returns.
        expiring: bool,
    }

    impl<F> PinnedDrop for WithTimeout<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            let state = &this.scope.state;
            if state.phase.get() == Phase::Active {
                state.phase.set(Phase::Finished);
            }
            state.waker.borrow_mut().take();
        }
    }
}

impl<F: Future> Future for WithTimeout<F> {
    type Output = Result<F::Output, TimeoutError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let state = &*this.scope.state;
        if *this.expiring {
            *this.expiring = false;
            return Poll::Ready(Err(TimeoutError));
        }
        let future = this
            .future
            .as_mut()
            .as_pin_mut()
            .expect("corio: a Timeout-wrapped future was polled again after it returned");
        /// Clears `polling` even if the future panics.
        struct Polling<'a>(&'a Cell<bool>);
        impl Drop for Polling<'_> {
            fn drop(&mut self) {
                self.0.set(false);
            }
        }
        state.polling.set(true);
        let polling = Polling(&state.polling);
        let polled = future.poll(cx);
        drop(polling);
        if let Poll::Ready(output) = polled {
            this.future.set(None);
            *this.timer = None;
            state.phase.set(Phase::Finished);
            return Poll::Ready(Ok(output));
        }
        {
            let mut waker = state.waker.borrow_mut();
            match &mut *waker {
                Some(w) => w.clone_from(cx.waker()),
                None => *waker = Some(cx.waker().clone()),
            }
        }
        let Some(deadline) = state.when.get() else {
            *this.timer = None;
            return Poll::Pending;
        };
        let now = context::with_current("a corio::timeout() scope", |core| core.now());
        if deadline > now {
            if this
                .timer
                .as_ref()
                .is_none_or(|(armed, _)| *armed != deadline)
            {
                *this.timer = Some((deadline, Sleep::from_nanos(deadline - now)));
            }
            let (_, timer) = this.timer.as_mut().expect("armed above");
            if Pin::new(timer).poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
        // Expired: drop the future now, and see whether that scheduled anything on the loop.
        *this.timer = None;
        state.phase.set(Phase::Expired);
        if deadline::drop_before_reporting(this.future.as_mut(), cx) {
            *this.expiring = true;
            return Poll::Pending;
        }
        Poll::Ready(Err(TimeoutError))
    }
}

impl<F> fmt::Debug for WithTimeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithTimeout")
            .field("scope", &self.scope)
            .field("pending", &self.future.is_some())
            .finish()
    }
}
