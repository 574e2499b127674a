//! `loop.run_in_executor(executor, f)`: blocking work on a pool of the program's own, awaited
//! on the loop as [`to_thread`](crate::to_thread)'s is on corio's default pool.

use futures_executor::ThreadPool;

use crate::rt::loop_handle::EventLoop;
use crate::rt::threads::ToThread;

/// One piece of work for an [`Executor`].
pub type Job = Box<dyn FnOnce() + Send + 'static>;

/// Something that runs [`Job`]s, for [`EventLoop::run_in_executor`]: asyncio's
/// `concurrent.futures.Executor`.
///
/// futures-executor's `ThreadPool` is one out of the box, and so is any `Fn(Job)` (say
/// `|job| drop(std::thread::spawn(job))`). `execute` should not block the loop: queue the
/// job and return. A job the executor drops without running it makes the awaiter panic with
/// `the executor dropped the work without running it`, rather than wait forever.
pub trait Executor {
    /// Runs `job`, typically on another thread.
    fn execute(&self, job: Job);
}

impl Executor for ThreadPool {
    fn execute(&self, job: Job) {
        self.spawn_ok(async move { job() });
    }
}

impl<F: Fn(Job)> Executor for F {
    fn execute(&self, job: Job) {
        self(job)
    }
}

impl EventLoop {
    /// Runs the blocking closure `f` on `executor` and returns a future of its return value,
    /// as `loop.run_in_executor(executor, f)`. The work is handed to `executor` now, not at
    /// the first poll (asyncio schedules it at once too). If `f` panics, the panic resumes in
    /// the awaiting task. [`to_thread`](crate::to_thread) stays the way to corio's default
    /// pool.
    ///
    /// As `to_thread`'s, the work counts as outstanding on this loop: under virtual time the
    /// clock waits for it (its real duration takes no virtual time) until it finishes or its
    /// future is dropped.
    pub fn run_in_executor<E, F, T>(&self, executor: &E, f: F) -> ToThread<T>
    where
        E: Executor + ?Sized,
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        ToThread::started(Box::new(f), Some(self.shared().clone()), |job| {
            executor.execute(job)
        })
    }
}
