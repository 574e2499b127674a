//! Joining futures without a runtime: the slots and per-child wakers behind `gather!` and
//! `as_completed!`, and the check of their future arguments (`wait_for!`'s too). Nothing here
//! imports the loop, so the macros work on any executor.

pub(crate) mod as_completed;
pub(crate) mod child_wakers;
pub(crate) mod future_arg;
pub(crate) mod gather;
pub(crate) mod maybe_done;
