//! Tasks: the handle a spawned future gives, its errors, and what combines tasks (asyncio's
//! `TaskGroup`, `wait`, `shield`).

pub(crate) mod call_graph;
pub(crate) mod done;
pub(crate) mod error;
pub(crate) mod group;
pub(crate) mod group_error;
pub(crate) mod handle;
pub(crate) mod shared;
pub(crate) mod shield;
pub(crate) mod wait;
