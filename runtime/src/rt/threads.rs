//! Threads and the loop: asyncio's `loop.call_soon_threadsafe` and `asyncio.to_thread`
//! (`run_coroutine_threadsafe` is in [`concurrent`](crate::rt::concurrent)).
//!
//! Everything another thread sends goes through the loop's remote queue and unparks the loop,
//! so it joins the back of the ready queue on the loop's next pass.

use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll, Waker};

use futures_executor::ThreadPool;

use crate::rt::context;
use crate::rt::loop_handle::EventLoop;
use crate::rt::remote::{LoopShared, RemoteCall, RunRemote};

/// Locks `mutex`, whose data stays consistent even if a holder panicked.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The handle [`EventLoop::call_soon_threadsafe`] returns: it can cancel the callback from any
/// thread before the loop runs it.
#[derive(Clone)]
pub struct ThreadsafeHandle {
    call: Arc<dyn RunRemote>,
}

impl ThreadsafeHandle {
    /// Cancels the callback: if the loop has not started it, it never runs (it is dropped on
    /// the loop's thread when its turn comes). Works from any thread.
    pub fn cancel(&self) {
        self.call.cancel();
    }

    /// Whether [`cancel`](ThreadsafeHandle::cancel) was called.
    pub fn cancelled(&self) -> bool {
        self.call.cancelled()
    }
}

impl fmt::Debug for ThreadsafeHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadsafeHandle")
            .field("cancelled", &self.cancelled())
            .finish()
    }
}

impl EventLoop {
    /// Schedules `f` on this loop from any thread, as `loop.call_soon_threadsafe(f)`: it joins
    /// the back of the loop's ready queue (through its remote queue, waking the loop) and runs
    /// on the loop's thread, in the order the calls were made from one thread.
    ///
    /// # Panics
    ///
    /// With `Event loop is closed` once the loop has ended, as asyncio's `RuntimeError`.
    pub fn call_soon_threadsafe(&self, f: impl FnOnce() + Send + 'static) -> ThreadsafeHandle {
        let call: Arc<dyn RunRemote> = RemoteCall::new(f);
        if self.shared().push_call(call.clone()).is_err() {
            panic!("corio: EventLoop::call_soon_threadsafe(): Event loop is closed");
        }
        ThreadsafeHandle { call }
    }
}

/// The thread pool behind [`to_thread`]: futures-executor's `ThreadPool`, started on first use
/// with asyncio's default executor size, `min(32, cpus + 4)` threads.
fn pool() -> &'static ThreadPool {
    static POOL: OnceLock<ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        ThreadPool::builder()
            .pool_size((cpus + 4).min(32))
            .name_prefix("corio-to-thread-")
            .create()
            .expect("corio: could not start the to_thread() thread pool")
    })
}

/// What a `to_thread` worker and its awaiter share.
struct ToThreadSlot<T> {
    result: Option<std::thread::Result<T>>,
    waker: Option<Waker>,
    /// The loop that counts this work as outstanding, until the worker has handed its result
    /// over or the awaiter gave up (whichever comes first takes it and ends the count).
    counted_by: Option<Arc<LoopShared>>,
}

impl<T> ToThreadSlot<T> {
    /// Ends the loop's count of this work, once: a cancelled `to_thread` no longer holds the
    /// virtual clock, though its thread goes on.
    fn uncount(slot: &Mutex<Self>) {
        let counted_by = lock(slot).counted_by.take();
        if let Some(shared) = counted_by {
            shared.finish_external();
        }
    }
}

/// The future [`to_thread`] returns; its output is the closure's return value.
#[must_use = "to_thread() does nothing unless awaited"]
pub struct ToThread<T> {
    /// The closure, until the first poll submits it.
    job: Option<Box<dyn FnOnce() -> T + Send>>,
    slot: Arc<Mutex<ToThreadSlot<T>>>,
}

/// Runs the blocking closure `f` on corio's thread pool and awaits its return value, as
/// `asyncio.to_thread(f)`.
///
/// Nothing happens until the future is first polled (a coroutine, as asyncio's); then `f` is
/// queued on a shared pool of `min(32, cpus + 4)` threads (futures-executor's `ThreadPool`; not
/// a thread per call). If `f` panics, the panic resumes in the awaiting task. Dropping the
/// future does not stop `f` (a thread cannot be cancelled, in asyncio either): its result is
/// dropped on the worker.
///
/// On a corio loop, an unfinished `to_thread` counts as outstanding work: under virtual time
/// the loop waits for it (the thread's real duration takes no virtual time) before it jumps
/// the clock or reports a deadlock; while the closure blocks on a coroutine of the same loop
/// (through [`run_coroutine_threadsafe`](crate::run_coroutine_threadsafe)'s `result`), it does not hold the clock. Once
/// the future is dropped (its task cancelled), the work no longer counts: the clock moves
/// on without waiting for the thread.
/// `to_thread` works on any executor; elsewhere nothing is counted.
pub fn to_thread<F, T>(f: F) -> ToThread<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    ToThread {
        job: Some(Box::new(f)),
        slot: Arc::new(Mutex::new(ToThreadSlot {
            result: None,
            waker: None,
            counted_by: None,
        })),
    }
}

impl<T: Send + 'static> ToThread<T> {
    /// A `ToThread` whose work is handed to `spawn` now (`run_in_executor` submits at once,
    /// as asyncio's does), counted as outstanding by the loop `counted_by`.
    pub(crate) fn started(
        job: Box<dyn FnOnce() -> T + Send>,
        counted_by: Option<Arc<LoopShared>>,
        spawn: impl FnOnce(Box<dyn FnOnce() + Send>),
    ) -> Self {
        let this = ToThread {
            job: None,
            slot: Arc::new(Mutex::new(ToThreadSlot {
                result: None,
                waker: None,
                counted_by: None,
            })),
        };
        this.start(job, counted_by, spawn);
        this
    }

    /// Hands `job` to `spawn`: run where `spawn` runs it, its result (or panic) goes to the
    /// slot and wakes the awaiter. Work the executor drops without running it ends as a panic
    /// that resumes in the awaiter, never as an await that hangs.
    fn start(
        &self,
        job: Box<dyn FnOnce() -> T + Send>,
        counted_by: Option<Arc<LoopShared>>,
        spawn: impl FnOnce(Box<dyn FnOnce() + Send>),
    ) {
        if let Some(shared) = &counted_by {
            shared.start_external();
        }
        lock(&self.slot).counted_by = counted_by;
        let delivery = Delivery {
            slot: Some(self.slot.clone()),
        };
        spawn(Box::new(move || {
            let mut delivery = delivery;
            let result = catch_unwind(AssertUnwindSafe(job));
            delivery.deliver(result);
        }));
    }
}

/// Hands a worker's result to its `ToThread`; dropped undelivered (the executor dropped the
/// work without running it), it hands over a panic instead.
struct Delivery<T> {
    slot: Option<Arc<Mutex<ToThreadSlot<T>>>>,
}

impl<T> Delivery<T> {
    fn deliver(&mut self, result: std::thread::Result<T>) {
        let Some(slot) = self.slot.take() else { return };
        let waker = {
            let mut slot = lock(&slot);
            slot.result = Some(result);
            slot.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        // After the wake has reached the loop's queue: see `LoopShared::external`.
        ToThreadSlot::uncount(&slot);
    }
}

impl<T> Drop for Delivery<T> {
    fn drop(&mut self) {
        self.deliver(Err(Box::new(
            "corio: the executor dropped the work without running it",
        )));
    }
}

impl<T: Send + 'static> Future for ToThread<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = &mut *self;
        if let Some(job) = this.job.take() {
            lock(&this.slot).waker = Some(cx.waker().clone());
            let counted_by = context::try_with_current(|core| core.shared().clone());
            // Counted until the job returns, cancelled or not: the end of `run` waits for it.
            let pool_job = counted_by.as_ref().map(LoopShared::start_pool_job);
            this.start(job, counted_by, |work| {
                pool().spawn_ok(async move {
                    work();
                    drop(pool_job);
                });
            });
            return Poll::Pending;
        }
        let mut slot = lock(&this.slot);
        match slot.result.take() {
            Some(Ok(value)) => Poll::Ready(value),
            Some(Err(payload)) => {
                drop(slot);
                resume_unwind(payload)
            }
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl<T> Drop for ToThread<T> {
    /// An awaiter that gives up (its task cancelled) stops the loop waiting for the thread:
    /// nothing on the loop will see its result.
    fn drop(&mut self) {
        ToThreadSlot::uncount(&self.slot);
    }
}

impl<T> fmt::Debug for ToThread<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<to_thread>")
    }
}
