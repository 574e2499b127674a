//! Waiting for tasks with `wait` (协程与任务 > 简单等待, `In [2]`): one task is created,
//! `main()` waits for it, then checks that it is among the finished ones and prints `done`.
//!
//! ```python
//! async def foo():
//!     return 42
//!
//! task = asyncio.create_task(foo())
//! done, pending = await asyncio.wait({task})
//!
//! if task in done:
//!     print('done')
//! ```

mod common;
use common::say;

/// Returns 42.
#[corio::coroutine]
async fn foo() -> i32 {
    42
}

/// The notebook's cell. `corio::wait` takes the tasks by value and hands them back as
/// `(done, pending)` (both `Vec<Task<T>>`, nothing pending is cancelled); Python's
/// `task in done` is a look-up by the task's name (`Task-2`), since the handle moved into
/// `wait`.
#[corio::coroutine]
pub async fn program() {
    let task = corio::create_task(foo());
    let name = task.name().into_owned();
    let (done, _pending) = corio::wait([task], corio::ReturnWhen::AllCompleted).await;

    if done.iter().any(|task| task.name() == name) {
        say!("done");
    }
}

fn main() {
    corio::run(program());
}
