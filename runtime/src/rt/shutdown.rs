//! The end of a loop, as `asyncio.run`'s: leftover tasks are cancelled and their futures
//! dropped; tasks their destructors spawn (asynchronous clean-up: a flush, a goodbye) run to
//! completion, for at most the runner's shutdown timeout of loop time; then what is left is
//! cancelled, the loop is closed and what it still holds (callbacks, what other threads sent
//! too late, signal handlers, fd callbacks) is dropped on its thread.
//!
//! Whatever a destructor does there, the loop ends: each destructor runs under its own
//! `catch_unwind`, so a panic in one neither stops the others nor leaves the loop half
//! closed. The first such panic is kept and handed back for `run` to resume once the thread
//! is free again (after the main future's own panic, which comes first); later ones are
//! discarded, their payloads dropped (or, should that panic too, leaked).

use std::any::Any;
use std::io::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::task::Waker;
use std::time::{Duration, Instant};

use crate::rt::bridge;
use crate::rt::core::LoopCore;
use crate::rt::signals;

/// A panic's payload.
pub(crate) type Payload = Box<dyn Any + Send + 'static>;

/// The first panic caught while a loop ends.
#[derive(Default)]
pub(crate) struct FirstPanic(Option<Payload>);

impl FirstPanic {
    /// Runs `f`, keeping its panic if it is the first.
    pub(crate) fn catch(&mut self, f: impl FnOnce()) {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(f)) {
            self.keep(payload);
        }
    }

    /// Drops each of `items` on its own, keeping the first panic.
    pub(crate) fn drop_each<T>(&mut self, items: impl IntoIterator<Item = T>) {
        for item in items {
            self.catch(|| drop(item));
        }
    }

    fn keep(&mut self, payload: Payload) {
        if self.0.is_none() {
            self.0 = Some(payload);
        } else {
            discard(payload);
        }
    }

    /// The first panic, if any.
    pub(crate) fn into_inner(self) -> Option<Payload> {
        self.0
    }
}

/// Drops a panic payload nobody will see; one whose destructor panics in turn is leaked.
pub(crate) fn discard(payload: Payload) {
    if let Err(nested) = catch_unwind(AssertUnwindSafe(|| drop(payload))) {
        std::mem::forget(nested);
    }
}

/// Ends `core`, running on this thread: cancels every leftover task, lets the clean-up tasks
/// their destructors spawn run for up to `grace_ns` of loop time, cancels and drops what is
/// left and every callback, then closes the loop. Never panics: returns the first panic a
/// destructor (or a clean-up task's callback) raised.
pub(crate) fn end(core: &LoopCore, grace_ns: u64) -> Option<Payload> {
    let mut panics = FirstPanic::default();
    if grace_ns > 0 {
        let drained = catch_unwind(AssertUnwindSafe(|| drain(core, grace_ns, &mut panics)));
        if let Err(payload) = drained {
            panics.keep(payload);
        }
        wait_for_pool_jobs(core, grace_ns);
    }
    let shut = catch_unwind(AssertUnwindSafe(|| shutdown(core, &mut panics)));
    if let Err(payload) = shut {
        panics.keep(payload);
    }
    let closed = catch_unwind(AssertUnwindSafe(|| close(core, &mut panics)));
    if let Err(payload) = closed {
        panics.keep(payload);
    }
    panics.into_inner()
}

/// Cancels every leftover task, then runs the loop (timers and I/O included) until no task
/// is left, as `asyncio.run` awaits its cancelled tasks: a task a destructor spawned runs to
/// its end. Past `grace_ns` of loop time, says so on stderr and returns (what is left is
/// cancelled next, as before).
fn drain(core: &LoopCore, grace_ns: u64, panics: &mut FirstPanic) {
    core.take_remote();
    let leftovers = core.task_entries();
    if leftovers.is_empty() {
        return;
    }
    for entry in leftovers {
        entry.meta().request_cancel();
        entry.waker().wake_by_ref();
    }
    let deadline_ns = core.now().saturating_add(grace_ns);
    // A timer at the deadline: a virtual clock with nothing else to wait for jumps there
    // instead of reporting a deadlock, and a real one wakes there.
    let deadline = core.arm_timer(deadline_ns, Waker::noop().clone());
    let mut fired = Vec::new();
    loop {
        let left = core.task_entries().len();
        if left == 0 {
            break;
        }
        if core.now() >= deadline_ns {
            let seconds = grace_ns as f64 / 1e9;
            // Not `eprintln!`: it panics when stderr is closed.
            let _ = writeln!(
                std::io::stderr(),
                "corio::run(): {left} clean-up task(s) still running {seconds} s after the \
                 main task finished were cancelled (see Runner::shutdown_timeout)"
            );
            break;
        }
        panics.catch(|| core.run_once(&mut fired));
        // A pass a panic cut short leaves what it fired: dropped here, not run.
        panics.drop_each(fired.drain(..));
    }
    core.disarm_timer(deadline);
}

/// Waits, in real time and for at most `grace_ns`, for the `to_thread` jobs this loop started
/// on the default pool (cancelled ones included), as `asyncio.run` shuts its default
/// executor down; past it, says so on stderr.
fn wait_for_pool_jobs(core: &LoopCore, grace_ns: u64) {
    let shared = core.shared();
    let deadline = Instant::now().checked_add(Duration::from_nanos(grace_ns));
    while shared.pool_jobs() > 0 {
        let now = Instant::now();
        match deadline {
            Some(deadline) if now >= deadline => {
                let (jobs, seconds) = (shared.pool_jobs(), grace_ns as f64 / 1e9);
                let _ = writeln!(
                    std::io::stderr(),
                    "corio::run(): {jobs} to_thread job(s) still running {seconds} s after the \
                     main task finished were not waited for (see Runner::shutdown_timeout)"
                );
                return;
            }
            // Each job's end unparks this thread.
            Some(deadline) => std::thread::park_timeout(deadline - now),
            None => std::thread::park(),
        }
    }
}

/// Drops the callbacks still queued or armed, without running them (asyncio's `close()`
/// discards its ready queue and timers). Returns whether there were any.
fn drop_callbacks(core: &LoopCore, panics: &mut FirstPanic) -> bool {
    let (queued, armed) = core.take_callbacks();
    let any = !queued.is_empty() || !armed.is_empty();
    panics.drop_each(queued);
    panics.drop_each(armed);
    any
}

/// Cancels every unfinished task and runs the loop, without advancing time, until each
/// one's future has been dropped. A destructor may spawn a task (asynchronous cleanup):
/// it runs while it has ready steps, then it is cancelled too.
fn shutdown(core: &LoopCore, panics: &mut FirstPanic) {
    loop {
        core.take_remote();
        // Woken outside the registry's borrow: waking schedules, and scheduling may touch
        // the registry.
        for entry in core.task_entries() {
            entry.meta().request_cancel();
            entry.waker().wake_by_ref();
        }
        let dropped = drop_callbacks(core, panics);
        if !core.has_ready() && !dropped {
            break;
        }
        loop {
            let mut ran = false;
            panics.catch(|| ran = core.run_one_step());
            if !ran {
                break;
            }
        }
    }
}

/// Marks the loop closed and drops, on the loop's thread, what other threads sent too late
/// and the callbacks still held.
///
/// Its signal handlers and fd callbacks go too (the signals get back the disposition they
/// had; the fds stay open).
fn close(core: &LoopCore, panics: &mut FirstPanic) {
    let late = core.shared().close();
    panics.drop_each(late);
    panics.drop_each(bridge::release_all(core.id()));
    drop_callbacks(core, panics);
    signals::remove_all(core, panics);
    let watches = core.unwatch_all_fds();
    for callback in watches {
        panics.catch(|| callback.remove());
    }
}
