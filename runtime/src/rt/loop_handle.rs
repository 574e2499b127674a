//! The loop as an object: [`get_running_loop`] and the [`EventLoop`] handle it returns, as
//! asyncio's `asyncio.get_running_loop()` and its loop object.

use std::fmt;
use std::sync::Arc;

use crate::rt::callbacks::{self, Handle, TimerHandle};
use crate::rt::context;
use crate::rt::core::LoopCore;
use crate::rt::remote::LoopShared;
use crate::rt::settable::SettableFuture;
use crate::time::clock::NANOS_PER_SEC;
use crate::time::delay::IntoDelay;

/// A handle to an event loop, as asyncio's loop object (`asyncio.get_running_loop()`).
///
/// It is `Clone`, `Send` and `Sync`, so another thread can hold it for
/// [`call_soon_threadsafe`](EventLoop::call_soon_threadsafe) and
/// [`run_coroutine_threadsafe`](crate::run_coroutine_threadsafe), and ask
/// [`is_running`](EventLoop::is_running) and [`is_closed`](EventLoop::is_closed). Its other
/// methods ([`time`](EventLoop::time), [`call_soon`](EventLoop::call_soon),
/// [`call_later`](EventLoop::call_later), [`call_at`](EventLoop::call_at),
/// [`create_future`](EventLoop::create_future)) are not thread-safe, as in asyncio: called
/// anywhere but on the running loop's own thread, they panic with `Non-thread-safe operation
/// invoked on an event loop other than the current one` (the message of asyncio's debug-mode
/// `RuntimeError`), or with `Event loop is closed` once it has ended.
///
/// `Debug` prints asyncio's loop repr with the class name `corio.EventLoop`:
/// `<corio.EventLoop running=True closed=False debug=False>`. corio has no debug mode, so
/// `debug` is always `False`.
#[derive(Clone)]
pub struct EventLoop {
    shared: Arc<LoopShared>,
}

/// The running loop, as `asyncio.get_running_loop()`.
///
/// # Panics
///
/// With `no running event loop` outside [`run`](crate::run), as asyncio's `RuntimeError`.
pub fn get_running_loop() -> EventLoop {
    context::with_current("corio::get_running_loop()", |core| EventLoop {
        shared: core.shared().clone(),
    })
}

impl EventLoop {
    pub(crate) fn shared(&self) -> &Arc<LoopShared> {
        &self.shared
    }

    /// Runs `f` on this loop's core, which must be running on this thread.
    fn on_loop<R>(&self, what: &str, f: impl FnOnce(&LoopCore) -> R) -> R {
        if self.is_closed() {
            panic!("corio: EventLoop::{what}: Event loop is closed");
        }
        let ran = context::try_with_current(|core| core.owns(&self.shared).then(|| f(core)));
        match ran.flatten() {
            Some(r) => r,
            None => panic!(
                "corio: EventLoop::{what}: Non-thread-safe operation invoked on an event loop \
                 other than the current one; use call_soon_threadsafe() from other threads"
            ),
        }
    }

    /// Whether the loop is running, as `loop.is_running()`. Thread-safe.
    pub fn is_running(&self) -> bool {
        self.shared.is_running()
    }

    /// Whether the loop has ended (its [`run`](crate::run) returned), as `loop.is_closed()`.
    /// Thread-safe.
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// Whether the loop runs in debug mode, as `loop.get_debug()`: corio has none, so `false`.
    pub fn get_debug(&self) -> bool {
        false
    }

    /// The loop's clock in seconds, as `loop.time()` (the same reading as
    /// [`corio::time()`](crate::time)).
    ///
    /// # Panics
    ///
    /// Off the loop's thread or after the loop ended (see [`EventLoop`]).
    pub fn time(&self) -> f64 {
        self.on_loop("time()", |core| core.now() as f64 / NANOS_PER_SEC as f64)
    }

    /// Schedules `f` to run on the next loop pass, after what is ready now, as
    /// `loop.call_soon(f)` (see the [`callbacks`](crate::Handle) ordering rules).
    ///
    /// # Panics
    ///
    /// Off the loop's thread or after the loop ended (see [`EventLoop`]).
    pub fn call_soon(&self, f: impl FnOnce() + 'static) -> Handle {
        self.on_loop("call_soon()", |core| callbacks::call_soon(core, f))
    }

    /// Schedules `f` to run `delay` from now (seconds as an integer or float, or a
    /// `Duration`; negative means now), as `loop.call_later(delay, f)`. It runs at the tail of
    /// the pass its timer comes due in, in (deadline, arming) order.
    ///
    /// # Panics
    ///
    /// Off the loop's thread or after the loop ended (see [`EventLoop`]); for a NaN or
    /// overflowing delay, as [`sleep`](crate::sleep()).
    pub fn call_later(&self, delay: impl IntoDelay, f: impl FnOnce() + 'static) -> TimerHandle {
        let delay_ns = delay.into_delay_nanos();
        self.on_loop("call_later()", |core| {
            let when_ns = core.now().saturating_add(delay_ns);
            callbacks::call_at(core, when_ns, f)
        })
    }

    /// Schedules `f` to run at loop time `when` (seconds on [`time`](EventLoop::time)'s
    /// clock), as `loop.call_at(when, f)`. A time in the past runs it on the next timer check.
    ///
    /// # Panics
    ///
    /// Off the loop's thread or after the loop ended (see [`EventLoop`]); for a NaN or
    /// infinite `when`.
    pub fn call_at(&self, when: f64, f: impl FnOnce() + 'static) -> TimerHandle {
        if !when.is_finite() {
            panic!("corio: EventLoop::call_at(): when must be a finite loop time, got {when}");
        }
        let when_ns = when.into_delay_nanos();
        self.on_loop("call_at()", |core| callbacks::call_at(core, when_ns, f))
    }

    /// A new pending [`SettableFuture`] of this loop, as `loop.create_future()`.
    ///
    /// # Panics
    ///
    /// Off the loop's thread or after the loop ended (see [`EventLoop`]).
    pub fn create_future<T: 'static, E: 'static>(&self) -> SettableFuture<T, E> {
        self.on_loop("create_future()", |_| SettableFuture::new())
    }
}

impl fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let py = |b: bool| if b { "True" } else { "False" };
        write!(
            f,
            "<corio.EventLoop running={} closed={} debug={}>",
            py(self.is_running()),
            py(self.is_closed()),
            py(self.get_debug())
        )
    }
}

/// The running loop's clock in seconds, as asyncio's `loop.time()`.
///
/// Under [`Runner::virtual_time`](crate::Runner::virtual_time) it starts at `0.0` and advances
/// only when the loop jumps to the next timer, so readings are exact (`say_after` run
/// concurrently finishes at exactly `2.0`). Under real time it is a monotonic reading in seconds
/// from an arbitrary, process-wide origin: compare readings, don't print them as dates.
///
/// # Panics
///
/// With `no running event loop` when called outside [`run`](crate::run).
pub fn time() -> f64 {
    let now = context::with_current("corio::time()", |core| core.now());
    now as f64 / NANOS_PER_SEC as f64
}
