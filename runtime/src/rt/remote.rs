//! The part of a loop other threads may touch: the queue of what they hand it, the thread to
//! wake, and the running/closed flags (asyncio's `call_soon_threadsafe` path).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use async_task::Runnable;

use crate::rt::task_state::TaskMeta;

/// What other threads hand to the loop.
pub(crate) enum Remote {
    /// A task woken on another thread.
    Step(Runnable<TaskMeta>),
    /// `cancel()` called on another thread for the task registered under `key` with `id`.
    Cancel { key: u32, id: u64 },
    /// A callback from `call_soon_threadsafe` (or `run_coroutine_threadsafe`): it joins the
    /// back of the ready queue, as `call_soon` from the loop's thread does.
    Call(Arc<dyn RunRemote>),
}

/// A callback another thread sent, as the loop and the sender's handle share it.
pub(crate) trait RunRemote: Send + Sync {
    /// Runs the callback (on the loop's thread) unless it was cancelled or has run.
    fn run(&self);
    /// Stops the callback from running; it is dropped when the loop reaches it.
    fn cancel(&self);
    fn cancelled(&self) -> bool;
}

/// A callback from another thread and its cancel flag, in one allocation (the only one a
/// threadsafe call makes).
pub(crate) struct RemoteCall<F> {
    cancelled: AtomicBool,
    f: Mutex<Option<F>>,
}

impl<F: FnOnce() + Send + 'static> RemoteCall<F> {
    pub(crate) fn new(f: F) -> Arc<Self> {
        Arc::new(RemoteCall {
            cancelled: AtomicBool::new(false),
            f: Mutex::new(Some(f)),
        })
    }
}

impl<F: FnOnce() + Send> RunRemote for RemoteCall<F> {
    fn run(&self) {
        let f = self.f.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(f) = f {
            if !self.cancelled() {
                // The panic hook has already reported a panic by the time it is caught here.
                let _ = catch_unwind(AssertUnwindSafe(f));
            }
        }
    }

    fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
    }

    fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }
}

/// The loop's side shared with other threads. Tasks keep it alive through their metadata, so
/// a late wake never dangles.
pub(crate) struct LoopShared {
    /// Numbers loops, so a future armed on one loop can tell it is polled on another.
    pub(crate) loop_id: u64,
    remote: Mutex<Vec<Remote>>,
    /// Set while `remote` is non-empty, so a pass checks the queue without taking the lock.
    has_remote: AtomicBool,
    /// Interrupts the loop's wait in its OS selector (the selector itself is the loop's).
    waker: mio::Waker,
    /// Set while the loop is (about to be) blocked in its selector: a wake from another thread
    /// notifies the selector (a syscall) only then. The loop sets it, then re-checks
    /// `has_remote`; a sender sets `has_remote`, then checks it (both `SeqCst`), so one of the
    /// two always sees the other.
    sleeping: AtomicBool,
    /// Outstanding thread work the loop knows of (`to_thread` calls not yet finished): under
    /// virtual time, a loop with nothing ready waits for it (parks) before it jumps the clock
    /// or reports a deadlock. Incremented on the loop's thread by
    /// [`LoopShared::start_external`], decremented by the worker *after* it has handed its
    /// result (and wake) to the loop, by [`LoopShared::finish_external`].
    external: AtomicUsize,
    /// Debug mode ([`Runner::debug`](crate::Runner::debug)): the loop records its tasks' call
    /// graphs.
    debug: AtomicBool,
    /// Debug mode reports a step or callback longer than this (nanoseconds).
    slow_callback_ns: AtomicU64,
    /// Threads blocked in a `ConcurrentFuture`'s `result` for a coroutine on this loop: thread
    /// work that can finish only once the loop moves on, so it does not hold the virtual
    /// clock (see [`LoopShared::external`]). Raised by the waiting thread; lowered by the
    /// thread that finishes the future, before the waiter wakes.
    blocked_on_loop: AtomicUsize,
    /// `to_thread` jobs this loop started on the default pool that have not returned yet,
    /// cancelled ones included: the end of `run` waits for them, as `asyncio.run` shuts its
    /// default executor down (see [`PoolJob`]).
    pool_jobs: AtomicUsize,
    /// Whether [`Runner::run`](crate::Runner::run) is running this loop (`loop.is_running()`).
    running: AtomicBool,
    /// Whether the loop has ended (`loop.is_closed()`); set under the `remote` lock, so a
    /// callback is either queued before the loop closes (and dropped by it) or refused.
    closed: AtomicBool,
}

impl LoopShared {
    /// The shared side of a loop about to run on this thread, whose selector `waker` wakes.
    pub(crate) fn new(loop_id: u64, waker: mio::Waker) -> Self {
        LoopShared {
            loop_id,
            remote: Mutex::new(Vec::new()),
            has_remote: AtomicBool::new(false),
            waker,
            sleeping: AtomicBool::new(false),
            external: AtomicUsize::new(0),
            debug: AtomicBool::new(false),
            slow_callback_ns: AtomicU64::new(100_000_000),
            blocked_on_loop: AtomicUsize::new(0),
            pool_jobs: AtomicUsize::new(0),
            running: AtomicBool::new(false),
            closed: AtomicBool::new(false),
        }
    }

    /// Whether the loop runs in debug mode.
    pub(crate) fn debug(&self) -> bool {
        self.debug.load(Ordering::Relaxed)
    }

    /// Sets debug mode; the loop's thread takes it on at its next entry.
    pub(crate) fn set_debug(&self, on: bool) {
        self.debug.store(on, Ordering::Relaxed);
    }

    /// In debug mode, steps and callbacks longer than this (nanoseconds) are reported.
    pub(crate) fn slow_callback_ns(&self) -> u64 {
        self.slow_callback_ns.load(Ordering::Relaxed)
    }

    pub(crate) fn set_slow_callback_ns(&self, ns: u64) {
        self.slow_callback_ns.store(ns, Ordering::Relaxed);
    }

    /// Hands `item` to the loop and wakes it.
    pub(crate) fn push_remote(&self, item: Remote) {
        self.remote
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(item);
        self.has_remote.store(true, Ordering::SeqCst);
        self.wake();
    }

    /// Hands a callback to the loop unless it has closed; gives it back if it has.
    pub(crate) fn push_call(&self, call: Arc<dyn RunRemote>) -> Result<(), Arc<dyn RunRemote>> {
        {
            let mut remote = self.remote.lock().unwrap_or_else(PoisonError::into_inner);
            if self.closed.load(Ordering::Acquire) {
                return Err(call);
            }
            remote.push(Remote::Call(call));
        }
        self.has_remote.store(true, Ordering::SeqCst);
        self.wake();
        Ok(())
    }

    /// Whether another thread has handed the loop something not taken yet.
    pub(crate) fn has_remote(&self) -> bool {
        self.has_remote.load(Ordering::SeqCst)
    }

    /// Wakes the loop if it sleeps in its selector.
    fn wake(&self) {
        if self.sleeping.load(Ordering::SeqCst) {
            // An error means the eventfd's counter is full: the loop will wake anyway.
            let _ = self.waker.wake();
        }
    }

    /// Runs `wait` (a blocking wait in the selector) unless another thread has handed the loop
    /// something meanwhile or `still_waiting` (re-checked once other threads would notify)
    /// says there is nothing to wait for; see `sleeping`.
    pub(crate) fn sleep<R>(
        &self,
        still_waiting: impl FnOnce(&Self) -> bool,
        wait: impl FnOnce() -> R,
    ) -> Option<R> {
        self.sleeping.store(true, Ordering::SeqCst);
        let result = (!self.has_remote() && still_waiting(self)).then(wait);
        self.sleeping.store(false, Ordering::SeqCst);
        result
    }

    /// Moves what other threads sent into `into` (a buffer the loop reuses), in order.
    pub(crate) fn take_remote(&self, into: &mut Vec<Remote>) {
        if !self.has_remote() {
            return;
        }
        let mut remote = self.remote.lock().unwrap_or_else(PoisonError::into_inner);
        self.has_remote.store(false, Ordering::Relaxed);
        std::mem::swap(&mut *remote, into);
    }

    /// Counts one piece of thread work the loop must wait for (see `external`).
    pub(crate) fn start_external(&self) {
        self.external.fetch_add(1, Ordering::AcqRel);
    }

    /// Ends one piece of thread work; call it after handing the work's result to the loop.
    pub(crate) fn finish_external(&self) {
        self.external.fetch_sub(1, Ordering::SeqCst);
        self.wake();
    }

    /// How much thread work is outstanding and can finish without the loop: the work
    /// counted, less the threads blocked waiting for this loop's coroutines.
    pub(crate) fn external(&self) -> usize {
        let blocked = self.blocked_on_loop.load(Ordering::SeqCst);
        self.external.load(Ordering::SeqCst).saturating_sub(blocked)
    }

    /// Counts a default-pool job started on this loop's thread until the returned guard is
    /// dropped (when the job has returned).
    pub(crate) fn start_pool_job(self: &Arc<Self>) -> PoolJob {
        self.pool_jobs.fetch_add(1, Ordering::SeqCst);
        PoolJob {
            shared: self.clone(),
            loop_thread: std::thread::current(),
        }
    }

    /// How many default-pool jobs started on this loop have not returned.
    pub(crate) fn pool_jobs(&self) -> usize {
        self.pool_jobs.load(Ordering::SeqCst)
    }

    /// A thread starts blocking on a coroutine of this loop; wakes the loop to see it.
    pub(crate) fn start_blocked(&self) {
        self.blocked_on_loop.fetch_add(1, Ordering::SeqCst);
        self.wake();
    }

    /// `count` threads blocked on this loop's coroutines stop counting as blocked (their
    /// result is ready, or they gave up).
    pub(crate) fn end_blocked(&self, count: usize) {
        if count > 0 {
            self.blocked_on_loop.fetch_sub(count, Ordering::SeqCst);
        }
    }

    /// Whether the loop is running (`loop.is_running()`).
    pub(crate) fn is_running(&self) -> bool {
        self.running.load(Ordering::Acquire)
    }

    /// Marks the loop running.
    pub(crate) fn start(&self) {
        self.running.store(true, Ordering::Release);
    }

    /// Marks the loop not running, still open (a `Runner` between runs).
    pub(crate) fn pause(&self) {
        self.running.store(false, Ordering::Release);
    }

    /// Whether the loop has ended (`loop.is_closed()`).
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Marks the loop closed and returns what was still queued for it.
    pub(crate) fn close(&self) -> Vec<Remote> {
        let mut remote = self.remote.lock().unwrap_or_else(PoisonError::into_inner);
        self.closed.store(true, Ordering::Release);
        self.running.store(false, Ordering::Release);
        self.has_remote.store(false, Ordering::Relaxed);
        std::mem::take(&mut *remote)
    }
}

/// One default-pool job of a loop, counted until dropped; dropping it unparks the loop's
/// thread, which the end of `run` parks on while it waits for the pool.
pub(crate) struct PoolJob {
    shared: Arc<LoopShared>,
    loop_thread: std::thread::Thread,
}

impl Drop for PoolJob {
    fn drop(&mut self) {
        self.shared.pool_jobs.fetch_sub(1, Ordering::SeqCst);
        self.loop_thread.unpark();
    }
}
