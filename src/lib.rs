//! # corio: Python's asyncio, in Rust
//!
//! corio gives Rust programmers who learned concurrency from asyncio the same model, the same
//! names and the same printed output, with Rust's speed and compile-time checks: an
//! asyncio-style single-threaded event loop with tasks, cancellation, timers, a loop clock and
//! virtual time for tests.
//!
//! ```
//! async fn say_after(delay: u64, what: &str) {
//!     corio::sleep(delay).await;
//!     println!("{what}");
//! }
//!
//! // asyncio.run(main()), on a virtual clock so this example takes no real time.
//! let finished_at = corio::Runner::new().virtual_time().run(async {
//!     let task1 = corio::create_task(say_after(1, "hello"));
//!     let task2 = corio::create_task(say_after(2, "world"));
//!     task1.await.unwrap();
//!     task2.await.unwrap();
//!     corio::time()
//! });
//! assert_eq!(finished_at, 2.0); // the tasks ran concurrently
//! ```
//!
//! ## asyncio -> corio
//!
//! | asyncio | corio |
//! |---|---|
//! | `asyncio.run(main())` | [`run(main())`](run) returns the output; leftover tasks are cancelled and dropped before it returns |
//! | `asyncio.Runner()` | [`Runner::new()`](Runner), with [`.virtual_time()`](Runner::virtual_time) for tests |
//! | `asyncio.create_task(coro, name=...)` | [`create_task(fut)`](create_task), [`create_task_named(name, fut)`](create_task_named) -> [`Task<T>`](Task) |
//! | `await task` | `task.await` -> `Result<T, TaskError>` ([`TaskError::Cancelled`] or [`TaskError::Panicked`]) |
//! | `task.cancel()`, `.done()`, `.cancelled()`, `.get_name()` | [`Task::cancel`], [`Task::done`], [`Task::cancelled`], [`Task::name`] |
//! | `asyncio.current_task()`, `asyncio.all_tasks()` | [`current_task()`](current_task), [`all_tasks()`](all_tasks) -> [`TaskRef`] |
//! | `await asyncio.sleep(1)`, `sleep(0.5)`, `sleep(0)` | `sleep(1).await`, `sleep(0.5).await`, `sleep(0).await` (also a `Duration`) |
//! | `loop.time()` | [`time()`](time) |
//! | `RuntimeError: This event loop is already running` | `run` inside a running loop panics with `already running` |
//! | `RuntimeError: no running event loop` | `create_task`, `sleep`, `time` outside a loop panic with `no running event loop` |
//!
//! ## Scheduling: the same order as asyncio
//!
//! The loop keeps CPython's `_run_once` order, so programs print what asyncio prints, line for
//! line: one FIFO ready queue; each pass runs only what was ready when it began; timers that
//! come due join the queue after what is already ready, in deadline order and, for equal
//! deadlines, in arming order; a new task's first step is queued at the end (never run inline);
//! `sleep(0)` yields exactly once; a finished task wakes its awaiter on the next pass.
//!
//! ## Cancellation: drop, not an exception
//!
//! asyncio cancels by throwing `CancelledError` into the coroutine, which may clean up with more
//! awaits or even swallow it. Rust's native cancellation is drop, and corio follows it:
//!
//! * [`Task::cancel`] marks the task; at its next scheduling point the loop drops the task's
//!   future, so every destructor runs exactly once (destructors are the `finally`), and the
//!   awaiter gets [`TaskError::Cancelled`].
//! * A task cannot swallow cancellation or await during clean-up. For asynchronous clean-up,
//!   spawn a new task from a destructor; at the end of `run` such a task still runs the steps
//!   it has ready, then it is cancelled too.
//! * Dropping a [`Task`] handle that was never awaited detaches the task (the loop owns running
//!   tasks, so asyncio's "keep a reference" set is not needed); dropping it while an `.await`
//!   on it is pending cancels the task, as asyncio cancels the task a cancelled awaiter was
//!   waiting on.
//!
//! ## Time
//!
//! The loop reads one clock: the real monotonic clock by default, or a virtual clock that
//! starts at `0.0` and jumps to the next timer whenever nothing is ready, so a test of
//! `sleep(3600)` finishes at once and every timing is exact. Under virtual time, a loop with
//! nothing ready, no timer and an unfinished main future panics with a message saying it
//! deadlocked, instead of hanging.
//!
//! ## Threads
//!
//! The loop runs on one thread and its tasks need not be `Send`. Task wakers are `Send + Sync`:
//! a wake from any thread unparks the loop. [`TaskRef`] and [`Task::cancel`] work from any
//! thread.

pub use corio_runtime::{
    IntoDelay, Runner, Sleep, Task, TaskError, TaskRef, all_tasks, create_task, create_task_named,
    current_task, run, sleep, time,
};

/// The README's examples, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
