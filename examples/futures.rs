//! The notebook's Futures section: a low-level awaitable that stands for an operation's
//! eventual result. A [`corio::SettableFuture`] (asyncio's `Future`) is created on the loop,
//! resolved by another task after one second, and awaited, as the asyncio docs'
//! `loop.create_future()` example:
//!
//! ```python
//! async def set_after(fut, delay, value):
//!     await asyncio.sleep(delay)
//!     fut.set_result(value)
//!
//! async def main():
//!     loop = asyncio.get_running_loop()
//!     fut = loop.create_future()
//!     loop.create_task(set_after(fut, 1, '... world'))
//!     print('hello ...')
//!     print(await fut)
//! ```
//!
//! It prints `hello ...` at 0 s and `... world` at 1 s.

mod common;
use common::say;

use corio::SettableFuture;

#[corio::coroutine]
async fn set_after(fut: SettableFuture<&'static str>, delay: u32, value: &'static str) {
    corio::sleep(delay).await;
    fut.set_result(value);
}

/// Creates the future, starts the task that resolves it, and awaits it.
#[corio::coroutine]
pub async fn program() {
    let event_loop = corio::get_running_loop();
    let fut = event_loop.create_future();
    corio::create_task(set_after(fut.clone(), 1, "... world")).detach();
    say!("hello ...");
    let value = fut.await.expect("nothing cancels the future");
    say!("{value}");
}

#[allow(dead_code)]
fn main() {
    corio::run(program());
}
