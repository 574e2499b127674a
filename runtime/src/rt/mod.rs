//! The loop core: the event loop, its remote queue, callbacks, the loop handle, threads and
//! settable futures.
//!
//! This is the one folder whose modules may import each other in a cycle: the loop steps
//! tasks, and a task schedules itself on the loop.

pub(crate) mod callbacks;
pub(crate) mod event_loop;
pub(crate) mod loop_handle;
pub(crate) mod settable;
pub(crate) mod threads;
