//! Running tasks concurrently with `gather` (协程与任务 > 并发运行任务, `In [19]`): three
//! factorials computed side by side, one step per second, then the list of results,
//! `[2, 6, 24]`, in argument order.
//!
//! ```python
//! async def factorial(name, number):
//!     f = 1
//!     for i in range(2, number+1):
//!         print(f"Task {name}: Compute factorial({i})...")
//!         await asyncio.sleep(1)
//!         f *= i
//!     print(f"Task {name}: factorial({i}) = {f}")
//!     return f
//!
//! async def main():
//!     # Schedule three calls *concurrently*:
//!     L = await asyncio.gather(
//!         factorial("A", 2),
//!         factorial("B", 3),
//!         factorial("C", 4),
//!     )
//!     print(L)
//! ```
//!
//! `gather!` polls the three coroutines inside `main` rather than wrapping each in a task, as
//! asyncio does; with nothing else running beside them the output is the same, line for line.

mod common;
use common::say;

/// Computes `number!` one multiplication per second, printing each step.
#[corio::coroutine]
async fn factorial(name: &str, number: u64) -> u64 {
    let mut f = 1;
    let mut i = 2;
    for step in 2..=number {
        i = step;
        say!("Task {name}: Compute factorial({i})...");
        corio::sleep(1).await;
        f *= i;
    }
    say!("Task {name}: factorial({i}) = {f}");
    f
}

/// The notebook's `main()`: outputs the list it prints.
#[corio::coroutine]
pub async fn program() -> Vec<u64> {
    // Schedule three calls *concurrently*:
    let (a, b, c) = corio::gather!(factorial("A", 2), factorial("B", 3), factorial("C", 4)).await;
    let list = vec![a, b, c];
    say!("{list:?}");
    list
}

fn main() {
    corio::run(program());
}
