//! Callbacks on file descriptors: asyncio's `add_reader` / `add_writer` /
//! `remove_reader` / `remove_writer`, the door through which a foreign library (a database
//! driver, a C library with its own socket) puts its fds on the loop.
//!
//! The methods live on [`EventLoop`](crate::EventLoop). What they promise, as asyncio:
//!
//! * **Level-triggered.** While the fd is ready (readable for a reader, writable for a
//!   writer), its callback runs once per loop pass, until the fd is drained (or full) or the
//!   callback removed. One that reads nothing runs again on the next pass.
//! * **Where in a pass.** After the steps and callbacks that were ready when the pass began,
//!   before the callbacks of timers due in the same pass, in the order the selector reported
//!   the fds (an fd's reader before its writer): asyncio's `_process_events` queues reader
//!   handles before `_run_once` queues due timers. A task the callback wakes steps in the
//!   next pass.
//! * **One callback per fd and direction.** Adding again replaces it (the old one never runs
//!   again); `remove_*` returns whether there was one. Removing drops the callback at once,
//!   or right after it returns if it removes itself.
//! * A callback that **panics** does not kill the loop, nor lose its registration: the panic
//!   is caught after the panic hook has reported it (asyncio logs the exception and keeps the
//!   reader).
//! * The loop's end removes every fd callback still registered, without closing the fds.
//! * Callbacks run outside any task (`current_task()` is `None`) on the loop's thread.
//!
//! Where corio differs:
//!
//! * The fd is borrowed, never owned: the caller keeps it open until it removes the callback
//!   (asyncio has the same rule, unwritten). Closing it first is a bug in the program (the
//!   callback may never run again, or run for whatever reuses the number), never memory
//!   unsafety.
//! * An fd a corio socket already uses (a [`TcpStream`](crate::net::TcpStream)) cannot also
//!   have a callback: adding one fails with `AlreadyExists` (asyncio raises `RuntimeError`
//!   "File descriptor is used by transport").
//! * Under virtual time, a pass that finds an fd ready takes no loop time: a writer on an fd
//!   that stays writable keeps the clock still until it is removed, as a `sleep(0)` loop does.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// A callback run each time its fd is found ready, shared by the selector's watch and the
/// pass that runs it.
pub(crate) struct FdCallback {
    f: RefCell<Option<Box<dyn FnMut()>>>,
    removed: Cell<bool>,
}

impl FdCallback {
    pub(crate) fn new(f: impl FnMut() + 'static) -> Self {
        FdCallback {
            f: RefCell::new(Some(Box::new(f))),
            removed: Cell::new(false),
        }
    }

    /// Runs the callback unless it was removed. A panic is caught (the hook reported it).
    pub(crate) fn run(&self) {
        if self.removed.get() {
            return;
        }
        // A callback cannot run inside itself (it would need a nested loop, which `run`
        // refuses), so the borrow is free; `try_` keeps that a non-event if it ever were not.
        let Ok(mut f) = self.f.try_borrow_mut() else {
            return;
        };
        if let Some(f) = f.as_mut() {
            let _ = catch_unwind(AssertUnwindSafe(f));
        }
        // It runs in an empty context: what it set goes (see `context_vars`).
        crate::rt::context_store::discard_stray();
        // Removed while it ran (it removed or replaced itself): drop it now it has returned.
        let removed = self.removed.get().then(|| f.take());
        drop(f);
        drop(removed);
    }

    /// Marks the callback removed and drops it, now or, if it is running, when it returns.
    pub(crate) fn remove(&self) {
        self.removed.set(true);
        let taken = self.f.try_borrow_mut().ok().and_then(|mut f| f.take());
        drop(taken);
    }
}

impl fmt::Debug for FdCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FdCallback")
            .field("removed", &self.removed.get())
            .finish_non_exhaustive()
    }
}
