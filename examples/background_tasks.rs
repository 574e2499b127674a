//! The notebook's 创建任务 (creating tasks) section: ten tasks `some_coro(param=i)` started
//! and left to run in the background.
//!
//! asyncio keeps only weak references to tasks, so the notebook keeps each one in a
//! `background_tasks` set until it is done. corio's loop owns running tasks: `detach()` (or
//! dropping the handle) lets a task run unobserved to the end. Task `i` sleeps `(10 - i) / 10`
//! seconds, so they finish in reverse order, all within one second: `created 10 tasks`, then
//! `some_coro(9) done` at 0.1 s ... `some_coro(0) done` at 1.0 s, then `all done`. asyncio
//! prints the same lines:
//!
//! ```python
//! async def some_coro(param):
//!     await asyncio.sleep((10 - param) / 10)
//!     print(f"some_coro({param}) done")
//!
//! async def main():
//!     background_tasks = set()
//!     for i in range(10):
//!         task = asyncio.create_task(some_coro(param=i))
//!         background_tasks.add(task)
//!         task.add_done_callback(background_tasks.discard)
//!     print("created 10 tasks")
//!     while len(asyncio.all_tasks()) > 1:
//!         await asyncio.sleep(0.1)
//!     print("all done")
//! ```

mod common;
use common::say;

#[corio::coroutine]
async fn some_coro(param: u32) {
    corio::sleep(f64::from(10 - param) / 10.0).await;
    say!("some_coro({param}) done");
}

/// Starts the ten tasks, then waits until they are done.
#[corio::coroutine]
pub async fn program() {
    for i in 0..10 {
        // No set of references needed: the loop keeps the detached task running.
        corio::create_task(some_coro(i)).detach();
    }
    say!("created 10 tasks");

    // The only unfinished task left is this one once they are all done.
    while corio::all_tasks().len() > 1 {
        corio::sleep(0.1).await;
    }
    say!("all done");
}

fn main() {
    corio::run(program());
}
