//! The event loop behind [corio](https://docs.rs/corio): asyncio's single-threaded loop, tasks,
//! cancellation, timers, a loop clock and virtual time.
//!
//! Use it through the `corio` facade, whose crate docs hold the asyncio -> corio map.

#![warn(missing_docs)]

mod as_completed;
mod barrier;
mod callbacks;
mod child_wakers;
mod clock;
mod condition;
mod coroutine;
mod delay;
mod event;
mod event_loop;
mod gather;
mod locks;
mod loop_handle;
mod queues;
mod semaphore;
mod settable;
mod shield;
mod sleep;
mod task;
mod task_group;
mod threads;
mod timeout_error;
mod timeouts;
mod timers;
mod wait;
mod wait_for;
mod waiters;

pub use as_completed::{AsCompleted, AsCompletedTimeout};
pub use barrier::{Barrier, BarrierWait, BrokenBarrierError};
pub use callbacks::{Handle, TimerHandle};
pub use clock::time;
pub use condition::{Condition, ConditionGuard, ConditionWait};
pub use coroutine::{
    AwaitSite, Coroutine, CoroutineInfo, CoroutineState, NeverAwaited, NeverAwaitedHook,
    capture_never_awaited, set_never_awaited_hook,
};
pub use delay::IntoDelay;
pub use event::{Event, EventWait};
pub use event_loop::{Runner, run};
pub use gather::{GatherAll, TryGatherAll};
pub use locks::{Acquire, Lock, LockGuard};
pub use loop_handle::{EventLoop, get_running_loop};
pub use queues::{
    GetNowaitError, LifoQueue, PriorityQueue, PutNowaitError, Queue, QueueEmpty, QueueFull,
    QueueShutDown,
};
pub use semaphore::{BoundedSemaphore, Semaphore, SemaphoreAcquire, SemaphorePermit};
pub use settable::{FutureError, SettableFuture, SettableWait};
pub use shield::{Shield, shield};
pub use sleep::{Sleep, sleep};
pub use task::{Task, TaskError, TaskRef, all_tasks, create_task, create_task_named, current_task};
pub use task_group::{MEMBER_PANICKED, TaskGroup, TaskGroupError};
pub use threads::{
    ConcurrentError, ConcurrentFuture, ThreadsafeHandle, ToThread, run_coroutine_threadsafe,
    to_thread,
};
pub use timeout_error::TimeoutError;
pub use timeouts::{Timeout, WithTimeout, timeout, timeout_at};
pub use wait::{ReturnWhen, WaitTasks, wait};
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
