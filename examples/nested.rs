//! The two awaitables of the notebook's 可等待对象 (awaitables) section, `In [12]` and
//! `In [13]`: a coroutine awaited directly prints `42`; the same coroutine wrapped in a task and
//! the task awaited prints `42` again.
//!
//! ```python
//! async def nested():
//!     return 42
//!
//! async def main():
//!     print(await nested())  # will print "42".
//!
//! async def main():
//!     task = asyncio.create_task(nested())
//!     print(await task)
//! ```

mod common;
use common::say;

use corio::TaskError;

#[corio::coroutine]
async fn nested() -> i32 {
    42
}

/// `In [12]`, 协程 (coroutine).
#[corio::coroutine]
pub async fn await_coroutine() {
    // Nothing happens if we just call "nested()".
    // A coroutine object is created but not awaited,
    // so it *won't run at all*.
    // nested();

    // Let's do it differently now and await it:
    say!("{}", nested().await); // will print "42".
}

/// `In [13]`, 任务 (Task).
#[corio::coroutine]
pub async fn await_task() -> Result<(), TaskError> {
    // Schedule nested() to run soon concurrently
    // with "main()".
    let task = corio::create_task(nested());

    // "task" can now be used to cancel "nested()", or
    // can simply be awaited to wait until it is complete:
    say!("{}", task.await?);
    Ok(())
}

/// Both cells, one after the other.
#[corio::coroutine]
pub async fn program() -> Result<(), TaskError> {
    await_coroutine().await;
    await_task().await
}

fn main() -> Result<(), TaskError> {
    corio::run(program())
}
