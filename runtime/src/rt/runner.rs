//! Running a loop: [`Runner`] and [`run`], as asyncio's `Runner` and `asyncio.run`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::rt::context::Enter;
use crate::rt::core::LoopCore;
use crate::rt::spawn;
use crate::task::error::TaskError;

/// Options of a loop, set through [`Runner`].
#[derive(Clone, Copy, Debug, Default)]
struct Config {
    virtual_time: bool,
}

/// Configures and runs an event loop, as asyncio's `Runner`.
///
/// ```
/// let out = corio_runtime::Runner::new().virtual_time().run(async {
///     corio_runtime::sleep(3600).await; // an hour, at once
///     corio_runtime::time()
/// });
/// assert_eq!(out, 3600.0);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Runner {
    config: Config,
}

impl Runner {
    /// A runner with asyncio's defaults: the real monotonic clock.
    pub fn new() -> Self {
        Runner::default()
    }

    /// Runs on a virtual clock that starts at `0.0` and jumps to the next timer whenever
    /// nothing is ready, so sleeps take no real time and timings are exact. A loop that then
    /// has nothing ready, no timer and an unfinished main future can never progress: it panics
    /// with a message saying it deadlocked, instead of hanging.
    ///
    /// The clock moves only when nothing is ready, so a task that polls in a `sleep(0)` loop
    /// waiting for time to pass never lets it pass: wait with a non-zero `sleep` instead.
    pub fn virtual_time(mut self) -> Self {
        self.config.virtual_time = true;
        self
    }

    /// Runs `future` to completion on a new loop on this thread and returns its output, as
    /// `asyncio.run`.
    ///
    /// The future runs as the loop's first task (`Task-1`; it need not be `'static` or `Send`).
    /// When it finishes, leftover tasks are cancelled and their futures dropped before `run`
    /// returns, so no task outlives its loop. If the future panics, the panic resumes here
    /// after that clean-up; a panic in any other task is contained in that task's
    /// [`TaskError`].
    ///
    /// # Panics
    ///
    /// With `already running` if a loop already runs on this thread (that loop is left
    /// untouched and keeps working if the panic is caught); with the future's own panic; and,
    /// under virtual time, with `deadlock` when nothing can ever wake the future.
    pub fn run<F: Future>(&self, future: F) -> F::Output {
        let core = LoopCore::new(self.config.virtual_time);
        let enter = Enter::new(&core);
        core.shared().start();
        let mut main = spawn::spawn_main(&core, future);
        // What each pass fires, done at its end: a buffer kept across passes.
        let mut fired = Vec::new();
        while !main.is_finished() {
            core.run_once(&mut fired);
        }
        let mut cx = Context::from_waker(Waker::noop());
        let Poll::Ready(output) = Pin::new(&mut main).poll(&mut cx) else {
            unreachable!("a finished task has its output");
        };
        drop(main);
        drop(enter);
        match output {
            Some(Ok(value)) => value,
            Some(Err(TaskError::Panicked(payload))) => std::panic::resume_unwind(payload),
            Some(Err(TaskError::Cancelled)) | None => {
                panic!("corio::run(): the main task was cancelled before it finished")
            }
        }
    }
}

/// Runs `future` on a new event loop on this thread with the real clock, as `asyncio.run`.
///
/// See [`Runner::run`] for what happens to leftover tasks and panics.
///
/// ```
/// async fn main_coro() -> u32 {
///     corio_runtime::sleep(0).await;
///     42
/// }
/// assert_eq!(corio_runtime::run(main_coro()), 42);
/// ```
///
/// # Panics
///
/// With `already running` when called inside a running loop (asyncio's `RuntimeError`).
pub fn run<F: Future>(future: F) -> F::Output {
    Runner::new().run(future)
}
