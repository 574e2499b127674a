//! corio: Python's asyncio model in Rust.
#![warn(missing_docs)]

pub use corio_runtime::*;
