//! Procedural macros of [corio](https://docs.rs/corio).
//!
//! This crate will hold `#[coroutine]`, `gather!`, `wait_for!` and `as_completed!`; use them
//! through the `corio` facade, which re-exports them. It is empty until the macros land.
