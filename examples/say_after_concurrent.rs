//! `say_after` run as two concurrent tasks (协程与任务 > 协程, `In [6]`): `started at`, `hello`
//! at one second, `world` at two, `finished at`: two seconds in all, not three. The times are
//! the wall clock's, in UTC.
//!
//! ```python
//! async def main():
//!     task1 = asyncio.create_task(say_after(1, 'hello'))
//!     task2 = asyncio.create_task(say_after(2, 'world'))
//!     print(f"started at {time.strftime('%X')}")
//!     await task1
//!     await task2
//!     print(f"finished at {time.strftime('%X')}")
//! ```

mod common;
use common::say;

use corio::TaskError;

/// Sleeps `delay` seconds, then prints `what`.
#[corio::coroutine]
async fn say_after(delay: u64, what: &str) {
    corio::sleep(delay).await;
    say!("{what}");
}

/// The notebook's `main()`. Awaiting a task gives `Result<T, TaskError>`; `?` re-raises the
/// task's failure, as `await task1` does in Python.
#[corio::coroutine]
pub async fn program() -> Result<(), TaskError> {
    let task1 = corio::create_task(say_after(1, "hello"));
    let task2 = corio::create_task(say_after(2, "world"));

    say!("started at {}", common::clock_time());

    // Wait until both tasks are completed (should take around 2 seconds.)
    task1.await?;
    task2.await?;

    say!("finished at {}", common::clock_time());
    Ok(())
}

fn main() -> Result<(), TaskError> {
    corio::run(program())
}
