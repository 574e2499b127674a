//! I/O on the loop, as asyncio's `SelectorEventLoop`: the selector the loop waits in, and
//! what is built on it.

pub(crate) mod net;
pub(crate) mod process;
pub(crate) mod selector;
pub(crate) mod signal;
pub(crate) mod source;
pub(crate) mod streams;
