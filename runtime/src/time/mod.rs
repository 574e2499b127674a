//! Time: the loop clock, delays as asyncio writes them, the timer wheel, and what waits on
//! time (`sleep`, `wait_for!`, timeout scopes).
//!
//! `clock`, `delay`, `wheel` and `timeout_error` are leaves: they know nothing of the loop.

pub(crate) mod clock;
pub(crate) mod deadline;
pub(crate) mod delay;
pub(crate) mod sleep;
pub(crate) mod timeout_error;
pub(crate) mod timeouts;
pub(crate) mod wait_for;
pub(crate) mod wheel;
