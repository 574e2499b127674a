//! Joining futures without a runtime: the slots and per-child wakers behind `gather!` and
//! `as_completed!`. Nothing here imports the loop, so the macros work on any executor.

pub(crate) mod as_completed;
pub(crate) mod child_wakers;
pub(crate) mod gather;
pub(crate) mod maybe_done;
