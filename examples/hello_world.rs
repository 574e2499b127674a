//! The notebook's first coroutine (协程与任务 > 协程, `In [2]`): prints `Hello ...`, sleeps one
//! second, prints `... World!`.
//!
//! ```python
//! async def main():
//!     print('Hello ...')
//!     await asyncio.sleep(1)
//!     print('... World!')
//!
//! asyncio.run(main())
//! ```
//!
//! `#[corio::coroutine] async fn` is `async def`: calling it makes a coroutine object that runs
//! nothing until awaited (or handed to `corio::run`, as here).

mod common;
use common::say;

/// The notebook's `main()`.
#[corio::coroutine]
pub async fn program() {
    say!("Hello ...");
    corio::sleep(1).await;
    say!("... World!");
}

fn main() {
    corio::run(program());
}
