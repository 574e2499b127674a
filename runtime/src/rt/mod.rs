//! The loop core: the event loop and the raw tasks it steps, its remote queue, callbacks, the
//! loop handle, threads and settable futures.
//!
//! This is the one folder whose modules may import each other in a cycle: the loop steps
//! tasks, and a task schedules itself on the loop. Outside it, only task handles
//! (`crate::task`) and what waits on the loop's timers (`crate::time`) import it.

pub(crate) mod awaited_by;
pub(crate) mod bridge;
pub(crate) mod callbacks;
pub(crate) mod concurrent;
pub(crate) mod context;
pub(crate) mod context_store;
pub(crate) mod context_vars;
pub(crate) mod core;
pub(crate) mod executor;
pub(crate) mod fd_callbacks;
pub(crate) mod loop_handle;
pub(crate) mod remote;
pub(crate) mod runner;
pub(crate) mod settable;
pub(crate) mod shutdown;
pub(crate) mod signals;
pub(crate) mod slow;
pub(crate) mod spawn;
pub(crate) mod stepping;
pub(crate) mod task_body;
pub(crate) mod task_output;
pub(crate) mod task_state;
pub(crate) mod threads;
pub(crate) mod trace_log;
