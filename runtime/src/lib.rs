//! The event loop behind [corio](https://docs.rs/corio): asyncio's single-threaded loop, tasks,
//! cancellation, timers, a loop clock and virtual time.
//!
//! Use it through the `corio` facade, whose crate docs hold the asyncio -> corio map.

#![warn(missing_docs)]

mod clock;
mod delay;
mod event_loop;
mod sleep;
mod task;
mod timers;

pub use clock::time;
pub use delay::IntoDelay;
pub use event_loop::{Runner, run};
pub use sleep::{Sleep, sleep};
pub use task::{Task, TaskError, TaskRef, all_tasks, create_task, create_task_named, current_task};
