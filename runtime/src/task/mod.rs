//! Tasks: the handle a spawned future gives, its errors, and what combines tasks (asyncio's
//! `TaskGroup`, `wait`, `shield`).

pub(crate) mod group;
pub(crate) mod shield;
pub(crate) mod task;
pub(crate) mod wait;
