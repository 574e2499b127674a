//! The loop's signal handlers: asyncio's `add_signal_handler` / `remove_signal_handler`, and
//! [`run`](crate::run)'s SIGINT handling (asyncio's `Runner`), over the process-wide side that
//! [`crate::io::signal`] keeps.
//!
//! Each handled signal has a self-pipe: the signal handler writes a byte to it, and the loop
//! watches its read end like an `add_reader` fd whose callback drains it and `call_soon`s the
//! program's callback once per byte, as asyncio's `_read_from_self` and `_handle_signal` do: the
//! callback runs one pass after the loop saw the pipe, on the loop's thread, never inside the
//! signal handler. The watch is not polled on every pass (a loop that handles SIGINT on the
//! main thread must not pay a select per pass for it): every registration of the loop also
//! sets the loop's `pending` flag, which each pass reads (one atomic load) before it decides
//! whether to select.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::io;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::io::selector::{Direction, WatchKind};
use crate::io::signal::{self, Registration};
use crate::rt::callbacks::Callback;
use crate::rt::context;
use crate::rt::core::LoopCore;
use crate::rt::shutdown::FirstPanic;

/// A program's signal callback, shared by its handler and the calls queued for it.
type SignalCallback = Rc<RefCell<dyn FnMut()>>;

/// One loop's signal handlers.
pub(crate) struct Signals {
    /// Set by the signal handler of every signal this loop handles, before it writes to the
    /// pipe: a pass that finds it set selects, even if it would not have.
    pending: Arc<AtomicBool>,
    handlers: HashMap<i32, Handler>,
    /// `run`'s SIGINT handling, if it has any: put back when the program's SIGINT handler goes.
    interrupt: Option<Interrupt>,
}

/// A handled signal.
struct Handler {
    /// The signal's registration and its self-pipe, whose read end is watched (the watch's
    /// callback shares it, to drain it).
    registration: Rc<Registration>,
    /// Held here only: a queued call holds it weakly, so none runs once the handler is gone.
    callback: SignalCallback,
    /// Whether this is `run`'s SIGINT handling rather than a handler of the program's.
    interrupt: bool,
}

/// What it takes to reinstall `run`'s SIGINT handling.
struct Interrupt {
    /// Set by the first SIGINT; a SIGINT that finds it set ends the process at once.
    armed: Arc<AtomicBool>,
    callback: SignalCallback,
}

impl Signals {
    pub(crate) fn new() -> Self {
        Signals {
            pending: Arc::new(AtomicBool::new(false)),
            handlers: HashMap::new(),
            interrupt: None,
        }
    }

    /// Whether a signal this loop handles arrived since the last call.
    pub(crate) fn take_pending(&self) -> bool {
        self.pending.load(Ordering::Relaxed) && self.pending.swap(false, Ordering::AcqRel)
    }
}

impl fmt::Debug for Signals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut handled: Vec<i32> = self.handlers.keys().copied().collect();
        handled.sort_unstable();
        f.debug_struct("Signals")
            .field("handled", &handled)
            .finish_non_exhaustive()
    }
}

/// Handles `signal` on `core` with `callback`, replacing the handler it had (the program's, or
/// `run`'s SIGINT handling), as `loop.add_signal_handler`.
pub(crate) fn add_handler(
    core: &LoopCore,
    signal: i32,
    callback: impl FnMut() + 'static,
) -> io::Result<()> {
    install(core, signal, Rc::new(RefCell::new(callback)), None)
}

/// Removes the program's handler of `signal`, as `loop.remove_signal_handler`; returns whether
/// there was one. The signal gets back the disposition it had before corio handled it, or,
/// for SIGINT under `run`'s handling, that handling.
pub(crate) fn remove_handler(core: &LoopCore, signal: i32) -> bool {
    let handler = {
        let mut signals = core.signals().borrow_mut();
        match signals.handlers.get(&signal) {
            Some(handler) if !handler.interrupt => signals.handlers.remove(&signal),
            _ => None,
        }
    };
    let Some(handler) = handler else {
        return false;
    };
    let interrupt = core
        .signals()
        .borrow()
        .interrupt
        .as_ref()
        .filter(|_| signal == libc::SIGINT)
        .map(|i| (i.armed.clone(), i.callback.clone()));
    if let Some((armed, callback)) = interrupt {
        // Before the program's handler goes, so SIGINT never meets its default in between. An
        // error leaves SIGINT its default: the process dies by it, as without `run`.
        let _ = install(core, signal, callback, Some(armed));
    }
    drop_handler(core, handler);
    true
}

/// `run`'s SIGINT handling, as asyncio's `Runner` installs it: only on the main thread, only
/// if SIGINT has its default disposition. The first SIGINT runs `on_interrupt` in a pass; the
/// handler itself makes a second one end the process at once, by SIGINT's default action.
/// Returns whether it is installed.
pub(crate) fn handle_interrupt(core: &LoopCore, on_interrupt: impl FnMut() + 'static) -> bool {
    if !signal::on_main_thread() || !signal::is_default(libc::SIGINT) {
        return false;
    }
    let armed = Arc::new(AtomicBool::new(false));
    let callback: SignalCallback = Rc::new(RefCell::new(on_interrupt));
    if install(core, libc::SIGINT, callback.clone(), Some(armed.clone())).is_err() {
        return false;
    }
    core.signals().borrow_mut().interrupt = Some(Interrupt { armed, callback });
    true
}

/// Ends `run`'s SIGINT handling on `core` (a `Runner`'s run returned; its loop stays): SIGINT
/// gets back the disposition it had, unless the program's own handler replaced the handling.
pub(crate) fn end_interrupt(core: &LoopCore) {
    let handler = {
        let mut signals = core.signals().borrow_mut();
        signals.interrupt = None;
        match signals.handlers.get(&libc::SIGINT) {
            Some(handler) if handler.interrupt => signals.handlers.remove(&libc::SIGINT),
            _ => None,
        }
    };
    if let Some(handler) = handler {
        drop_handler(core, handler);
    }
}

/// Removes every handler of `core` (the loop is ending): each signal gets back the
/// disposition it had before.
pub(crate) fn remove_all(core: &LoopCore, panics: &mut FirstPanic) {
    let (handlers, interrupt) = {
        let mut signals = core.signals().borrow_mut();
        (
            std::mem::take(&mut signals.handlers),
            signals.interrupt.take(),
        )
    };
    for (_, handler) in handlers {
        panics.catch(|| drop_handler(core, handler));
    }
    panics.drop_each(interrupt);
}

/// Registers `signal` with a self-pipe, watches the pipe, and makes it `signal`'s handler
/// on `core` (the one it replaces goes, after, so the signal is never unhandled in between).
fn install(
    core: &LoopCore,
    signal: i32,
    callback: SignalCallback,
    interrupt: Option<Arc<AtomicBool>>,
) -> io::Result<()> {
    let pending = core.signals().borrow().pending.clone();
    let registration = Rc::new(Registration::new(signal, &pending, interrupt.as_ref())?);
    let fd = registration.pipe().as_raw_fd();
    let watched = registration.clone();
    let queued = Rc::downgrade(&callback);
    let kind = WatchKind {
        every_pass: false,
        // A loop that waits only for SIGINT to cancel it has nothing to wait for: under
        // virtual time, it still reports its deadlock. A program's handler is worth waiting
        // for.
        waited_for: interrupt.is_none(),
    };
    let watch = core.watch_fd(fd, Direction::Read, kind, move || {
        for _ in 0..watched.drain() {
            let queued = queued.clone();
            context::try_with_current(|core| {
                core.call_soon(Callback::new(move || {
                    if let Some(callback) = queued.upgrade() {
                        (callback.borrow_mut())();
                    }
                }));
            });
        }
    });
    let handler = Handler {
        registration,
        callback,
        interrupt: interrupt.is_some(),
    };
    if let Err(error) = watch {
        drop_handler(core, handler);
        return Err(error);
    }
    let replaced = core.signals().borrow_mut().handlers.insert(signal, handler);
    if let Some(replaced) = replaced {
        drop_handler(core, replaced);
    }
    Ok(())
}

/// Stops watching a handler's pipe, then drops its registration (which unregisters it) and its
/// callback.
fn drop_handler(core: &LoopCore, handler: Handler) {
    let Handler {
        registration,
        callback,
        ..
    } = handler;
    core.unwatch_fd(registration.pipe().as_raw_fd(), Direction::Read);
    drop(registration);
    drop(callback);
}
