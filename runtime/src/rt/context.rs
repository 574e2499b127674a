//! Which loop runs on this thread: the one thread-local every loop entry point reads.

use std::cell::Cell;
use std::ptr;

use crate::coroutine::live;
use crate::rt::context_store::LoopVars;
use crate::rt::core::LoopCore;
use crate::rt::shutdown::{self, Payload};
use crate::rt::trace_log;

thread_local! {
    /// The loop running on this thread, or null. Set only by [`Enter`], which clears it before
    /// the [`LoopCore`] it points to is dropped.
    static CURRENT: Cell<*const LoopCore> = const { Cell::new(ptr::null()) };
}

/// Runs `f` with the loop running on this thread.
///
/// # Panics
///
/// With `{what} called with no running event loop` when no loop runs on this thread, the
/// message asyncio's `RuntimeError` carries.
#[inline]
pub(crate) fn with_current<R>(what: &str, f: impl FnOnce(&LoopCore) -> R) -> R {
    match try_with_current(f) {
        Some(r) => r,
        None => panic!("{what} called with no running event loop; call it inside corio::run()"),
    }
}

/// Runs `f` with the loop running on this thread, or returns `None` if there is none.
#[inline]
pub(crate) fn try_with_current<R>(f: impl FnOnce(&LoopCore) -> R) -> Option<R> {
    let core = CURRENT.with(Cell::get);
    if core.is_null() {
        return None;
    }
    // SAFETY: CURRENT is non-null only between `Enter::new` and `Enter::drop`, while the
    // `LoopCore` it points to is alive (on `Runner::run`'s stack, or boxed in its `Runner`); it is a
    // thread-local, so only the loop's own thread reads it, and `LoopCore` is only ever shared
    // by `&`.
    Some(f(unsafe { &*core }))
}

/// What the live frames are told while a loop runs here: in debug mode and on a traced run
/// (which labels steps with await sites), record, naming each task's outermost frame's task
/// with [`running_task`].
pub(crate) fn recording(debug: bool) -> Option<live::RunningTask> {
    (debug || trace_log::on()).then_some(running_task as live::RunningTask)
}

/// The task whose step runs on this thread: its metadata's address and id, or `(0, 0)`.
fn running_task() -> (usize, u64) {
    try_with_current(|core| {
        core.current_task().map(|meta| {
            // SAFETY: `current_task` points at the metadata of the task whose step is running,
            // alive for the whole step.
            let id = unsafe { meta.as_ref() }.id();
            (meta.as_ptr() as usize, id)
        })
    })
    .flatten()
    .unwrap_or((0, 0))
}

/// # Panics
///
/// With `already running` if a loop runs on this thread (asyncio's `RuntimeError`).
pub(crate) fn assert_none_running() {
    if !CURRENT.with(Cell::get).is_null() {
        panic!(
            "This event loop is already running: corio::run() was called inside a running \
             loop; await the future, or spawn it with corio::create_task()"
        );
    }
}

/// Marks a loop as running on this thread for as long as it lives. [`Enter::end`] ends the
/// loop (see [`shutdown`](crate::rt::shutdown)); dropped without it (a panic unwinding out of
/// the loop), it ends the loop itself, discarding a destructor's panic there, since the one
/// unwinding comes first. Either way the thread is unmarked last, whatever a destructor did.
///
/// While it lives, the thread's context (context variables) is kept empty between steps, the
/// caller's put back after everything else.
pub(crate) struct Enter<'a> {
    core: &'a LoopCore,
    ended: bool,
    vars: LoopVars,
}

impl<'a> Enter<'a> {
    /// # Panics
    ///
    /// With `already running` if a loop already runs on this thread; that loop is untouched.
    pub(crate) fn new(core: &'a LoopCore) -> Self {
        assert_none_running();
        CURRENT.with(|current| current.set(core));
        // Debug mode and a traced run: the frames that start while the loop runs join the live ones.
        live::set_recording(recording(core.shared().debug()));
        Enter {
            core,
            ended: false,
            vars: LoopVars::enter(),
        }
    }

    /// The context the loop was entered from, which the main task starts with a copy of.
    pub(crate) fn caller_vars(&self) -> &crate::rt::context_store::Ctx {
        self.vars.caller()
    }

    /// Leaves the loop without ending it (a `Runner` keeps it for its next run): the thread
    /// is unmarked, the loop stays open with its tasks, timers and callbacks.
    pub(crate) fn pause(mut self) {
        self.ended = true;
    }

    /// Cancels and drops every leftover task and callback (letting clean-up tasks run for up
    /// to `grace_ns` of loop time), and closes the loop; returns the first panic a destructor
    /// raised there. Never panics.
    pub(crate) fn end(&mut self, grace_ns: u64) -> Option<Payload> {
        self.ended = true;
        shutdown::end(self.core, grace_ns)
    }
}

impl Drop for Enter<'_> {
    fn drop(&mut self) {
        if !self.ended {
            // Unwinding: no grace period, the panic is on its way.
            if let Some(payload) = self.end(0) {
                shutdown::discard(payload);
            }
        }
        live::set_recording(None);
        CURRENT.with(|current| current.set(ptr::null()));
    }
}
