//! The notebook's 休眠 (sleeping) section, `In [18]`: prints the date and time once a second
//! for five seconds, reading the loop clock `corio::time()` (asyncio's `loop.time()`): five
//! lines such as `2023-07-25 18:53:59.767432` (the wall clock, in UTC).
//!
//! ```python
//! async def display_date():
//!     loop = asyncio.get_running_loop()
//!     end_time = loop.time() + 5.0
//!     while True:
//!         print(datetime.datetime.now())
//!         if (loop.time() + 1.0) >= end_time:
//!             break
//!         await asyncio.sleep(1)
//! ```

mod common;
use common::say;

/// The notebook's `display_date()`.
#[corio::coroutine]
pub async fn program() {
    let end_time = corio::time() + 5.0;
    loop {
        say!("{}", common::datetime_now());
        if corio::time() + 1.0 >= end_time {
            break;
        }
        corio::sleep(1).await;
    }
}

fn main() {
    corio::run(program());
}
