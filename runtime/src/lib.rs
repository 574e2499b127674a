//! The event loop behind [corio](https://docs.rs/corio): asyncio's single-threaded loop, tasks,
//! cancellation, timers, a loop clock and virtual time.
//!
//! Use it through the `corio` facade, whose crate docs hold the asyncio -> corio map.

#![warn(missing_docs)]

mod as_completed;
mod child_wakers;
mod clock;
mod coroutine;
mod delay;
mod event_loop;
mod gather;
mod sleep;
mod task;
mod timeout_error;
mod timers;
mod wait_for;

pub use as_completed::{AsCompleted, AsCompletedTimeout};
pub use clock::time;
pub use coroutine::{
    AwaitSite, Coroutine, CoroutineInfo, CoroutineState, NeverAwaited, NeverAwaitedHook,
    capture_never_awaited, set_never_awaited_hook,
};
pub use delay::IntoDelay;
pub use event_loop::{Runner, run};
pub use gather::{GatherAll, TryGatherAll};
pub use sleep::{Sleep, sleep};
pub use task::{Task, TaskError, TaskRef, all_tasks, create_task, create_task_named, current_task};
pub use timeout_error::TimeoutError;
pub use wait_for::WaitFor;

/// Support for the expansions of corio's macros. Not public API: names and signatures change
/// without notice.
#[doc(hidden)]
pub mod __private {
    pub use crate::Runner;
    pub use crate::as_completed::{as_completed_all, as_completed_timeout};
    pub use crate::coroutine::{AwaitSite, Coroutine, CoroutineInfo, at_await};
    pub use crate::gather::{MaybeDone, TryOutput, gather_all, try_gather_all};
    pub use crate::wait_for::{IntoTimeout, wait_for};
    pub use futures_core::Stream;
    pub use pin_project_lite::pin_project;
}
