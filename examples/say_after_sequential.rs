//! `say_after` awaited one call after the other (协程与任务 > 协程, `In [4]`): `started at`,
//! `hello` one second later, `world` two seconds after that, `finished at`: three seconds in
//! all. The times are the wall clock's, in UTC.
//!
//! ```python
//! async def main():
//!     print(f"started at {time.strftime('%X')}")
//!     await say_after(1, 'hello')
//!     await say_after(2, 'world')
//!     print(f"finished at {time.strftime('%X')}")
//! ```

mod common;
use common::say;

/// Sleeps `delay` seconds, then prints `what`.
#[corio::coroutine]
async fn say_after(delay: u64, what: &str) {
    corio::sleep(delay).await;
    say!("{what}");
}

/// The notebook's `main()`.
#[corio::coroutine]
pub async fn program() {
    say!("started at {}", common::clock_time());
    say_after(1, "hello").await;
    say_after(2, "world").await;
    say!("finished at {}", common::clock_time());
}

fn main() {
    corio::run(program());
}
