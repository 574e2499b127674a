//! A timeout (协程与任务 > 超时, `In [1]`): `eternity()` would sleep for an hour, `main()` waits
//! for it at most one second and prints `timeout!`; `yay!` is never printed.
//!
//! ```python
//! async def eternity():
//!     # Sleep for one hour
//!     await asyncio.sleep(3600)
//!     print('yay!')
//!
//! async def main():
//!     # Wait for at most 1 second
//!     try:
//!         await asyncio.wait_for(eternity(), timeout=1.0)
//!     except asyncio.TimeoutError:
//!         print('timeout!')
//! ```

mod common;
use common::say;

/// Sleeps for one hour, then prints `yay!`.
#[corio::coroutine]
async fn eternity() {
    corio::sleep(3600).await;
    say!("yay!");
}

/// The notebook's `main()`. `wait_for!` gives `Result<T, TimeoutError>`; matching the `Err` is
/// Python's `except asyncio.TimeoutError`. On the timeout `eternity()` is dropped, as asyncio
/// cancels it, so `yay!` never prints.
#[corio::coroutine]
pub async fn program() {
    if let Err(corio::TimeoutError) = corio::wait_for!(eternity(), timeout = 1.0).await {
        say!("timeout!");
    }
}

fn main() {
    corio::run(program());
}
