//! The loop as an object: [`get_running_loop`] and the [`EventLoop`] handle it returns, as
//! asyncio's `asyncio.get_running_loop()` and its loop object.

use std::fmt;
use std::io;
use std::os::fd::RawFd;
use std::sync::Arc;

use crate::coroutine::live;
use crate::io::selector::{Direction, WatchKind};
use crate::rt::callbacks::{self, Handle, TimerHandle};
use crate::rt::context;
use crate::rt::core::LoopCore;
use crate::rt::remote::LoopShared;
use crate::rt::settable::SettableFuture;
use crate::rt::signals;
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
/// [`create_future`](EventLoop::create_future), the fd callbacks
/// ([`add_reader`](EventLoop::add_reader), ...) and the signal handlers
/// ([`add_signal_handler`](EventLoop::add_signal_handler), ...)) are not thread-safe, as in
/// asyncio: called
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

    /// Whether the loop runs in debug mode, as `loop.get_debug()`: see
    /// [`Runner::debug`](crate::Runner::debug). Thread-safe.
    pub fn get_debug(&self) -> bool {
        self.shared.debug()
    }

    /// Turns debug mode on or off, as `loop.set_debug()`. On the loop's thread it takes effect
    /// at once (coroutines that start from now on are recorded for the call graph); from
    /// another thread, at the loop's next run.
    pub fn set_debug(&self, on: bool) {
        self.shared.set_debug(on);
        let here = context::try_with_current(|core| core.owns(&self.shared)) == Some(true);
        if here {
            // A traced run keeps recording frames for its await sites.
            live::set_recording(context::recording(on));
        }
    }

    /// How long a step or callback may hold the loop before debug mode reports it, in
    /// seconds, as `loop.slow_callback_duration` (see
    /// [`Runner::slow_callback_duration`](crate::Runner::slow_callback_duration)).
    pub fn slow_callback_duration(&self) -> f64 {
        self.shared.slow_callback_ns() as f64 / 1e9
    }

    /// Sets [`slow_callback_duration`](Self::slow_callback_duration) (seconds, or a
    /// `Duration`).
    ///
    /// # Panics
    ///
    /// For a NaN, infinite or overflowing duration.
    pub fn set_slow_callback_duration(&self, duration: impl IntoDelay) {
        self.shared
            .set_slow_callback_ns(duration.into_delay_nanos());
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
    /// `loop.call_soon(f)` (see the [`callbacks`](crate::Handle) ordering rules). As asyncio's
    /// (`context=None`), `f` runs in a copy of the current context: it sees the
    /// [`ContextVar`](crate::ContextVar)s of the code that scheduled it, and what it sets goes
    /// with it. The same holds for `call_later` and `call_at`.
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

    /// Runs `callback` whenever `fd` is readable, as `loop.add_reader(fd, callback)`:
    /// level-triggered, so once per loop pass while data is unread, until
    /// [`remove_reader`](EventLoop::remove_reader); adding again replaces the callback (the
    /// old one never runs again).
    ///
    /// It runs where asyncio runs a reader: in the pass whose select found the fd ready, after
    /// what was ready when the pass began and before the callbacks of timers due in that pass
    /// (a task it wakes steps in the next pass); outside any task, on the loop's thread. A
    /// panic in it is caught (the panic hook reports it) and the reader stays. Under virtual
    /// time, passes that find an fd ready take no loop time.
    ///
    /// `fd` is a number, as asyncio's is an int: what a foreign library hands out, or
    /// `socket.as_raw_fd()`. The loop neither owns nor closes it: keep it open until the
    /// callback is removed (closing it first is a bug: the callback may never run again, or
    /// run for whatever reuses the number; never memory unsafety). The loop's end removes the
    /// callback, leaving the fd open.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a negative fd; the selector's error for an fd it cannot watch (a
    /// closed fd, a regular file), and `AlreadyExists` for one a corio socket already uses.
    ///
    /// # Panics
    ///
    /// Off the loop's thread or after the loop ended (see [`EventLoop`]).
    pub fn add_reader(&self, fd: RawFd, callback: impl FnMut() + 'static) -> io::Result<()> {
        self.add_fd_callback("add_reader()", fd, Direction::Read, callback)
    }

    /// Runs `callback` whenever `fd` is writable, as `loop.add_writer(fd, callback)`:
    /// once per loop pass while the fd can take data, until
    /// [`remove_writer`](EventLoop::remove_writer). See [`add_reader`](EventLoop::add_reader)
    /// for the rest.
    ///
    /// # Errors
    ///
    /// As [`add_reader`](EventLoop::add_reader).
    ///
    /// # Panics
    ///
    /// Off the loop's thread or after the loop ended (see [`EventLoop`]).
    pub fn add_writer(&self, fd: RawFd, callback: impl FnMut() + 'static) -> io::Result<()> {
        self.add_fd_callback("add_writer()", fd, Direction::Write, callback)
    }

    /// Stops the reader callback of `fd`, as `loop.remove_reader(fd)`; returns whether it had
    /// one. The callback never runs again and is dropped (once it returns, if it is running).
    ///
    /// # Panics
    ///
    /// Off the loop's thread or after the loop ended (see [`EventLoop`]).
    pub fn remove_reader(&self, fd: RawFd) -> bool {
        self.on_loop("remove_reader()", |core| {
            core.unwatch_fd(fd, Direction::Read)
        })
    }

    /// Stops the writer callback of `fd`, as `loop.remove_writer(fd)`; returns whether it had
    /// one.
    ///
    /// # Panics
    ///
    /// Off the loop's thread or after the loop ended (see [`EventLoop`]).
    pub fn remove_writer(&self, fd: RawFd) -> bool {
        self.on_loop("remove_writer()", |core| {
            core.unwatch_fd(fd, Direction::Write)
        })
    }

    fn add_fd_callback(
        &self,
        what: &str,
        fd: RawFd,
        direction: Direction,
        callback: impl FnMut() + 'static,
    ) -> io::Result<()> {
        let kind = WatchKind {
            every_pass: true,
            waited_for: true,
        };
        self.on_loop(what, |core| core.watch_fd(fd, direction, kind, callback))
    }

    /// Runs `callback` on this loop each time the process receives signal `sig`, as
    /// `loop.add_signal_handler(sig, callback)`; adding again replaces the callback.
    ///
    /// The callback never runs inside the signal handler: the handler (signal-hook's) only
    /// writes to a pipe the loop watches, and the callback runs on the loop's thread, one pass
    /// after the loop saw the pipe (asyncio's `call_soon` from `_handle_signal`). Deliveries
    /// the OS merges (a signal sent again before the first was delivered) run it once. After
    /// [`remove_signal_handler`](EventLoop::remove_signal_handler) it never runs again, even
    /// for a delivery already seen. A panic in it is caught, as in any loop callback.
    ///
    /// The names are in [`corio::signal`](crate::signal) (`SIGINT`, `SIGTERM`, `SIGHUP`,
    /// `SIGUSR1`, `SIGUSR2`); any catchable signal number works.
    ///
    /// Where corio differs from asyncio: any thread's loop may handle signals (asyncio: only
    /// the main thread's). A signal goes to the process, so every loop that handles it runs
    /// its callback. A SIGINT handler replaces [`run`](crate::run)'s SIGINT handling for as
    /// long as it is there.
    ///
    /// # Errors
    ///
    /// `InvalidInput`, with a message saying why, for a signal that cannot be handled: out of
    /// range, `SIGKILL` and `SIGSTOP` (they cannot be caught), and the faults `SIGILL`,
    /// `SIGFPE`, `SIGSEGV`. The OS's error if it refuses the handler.
    ///
    /// # Panics
    ///
    /// Off the loop's thread or after the loop ended (see [`EventLoop`]).
    pub fn add_signal_handler(&self, sig: i32, callback: impl FnMut() + 'static) -> io::Result<()> {
        self.on_loop("add_signal_handler()", |core| {
            signals::add_handler(core, sig, callback)
        })
    }

    /// Removes the handler of signal `sig`, as `loop.remove_signal_handler(sig)`; returns
    /// whether there was one (`false` for a signal with no handler, or an invalid one).
    ///
    /// The signal gets back what it did before corio handled it: normally its default action
    /// (SIGTERM, SIGINT, SIGHUP, SIGUSR1 and SIGUSR2 end the process), as asyncio restores
    /// `SIG_DFL`. SIGINT inside [`run`](crate::run) on the main thread gets back `run`'s
    /// handling (the first cancels the main task, a second ends the process), where asyncio
    /// gets back `KeyboardInterrupt`. The loop's end removes every handler it still has, the
    /// same way.
    ///
    /// # Panics
    ///
    /// Off the loop's thread or after the loop ended (see [`EventLoop`]).
    pub fn remove_signal_handler(&self, sig: i32) -> bool {
        self.on_loop("remove_signal_handler()", |core| {
            signals::remove_handler(core, sig)
        })
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
