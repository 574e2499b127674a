//! The notebook's `In [3]`: calling `main()` without awaiting it shows the coroutine object,
//! `<coroutine object main at 0x...>`, and runs nothing; when the object goes away unawaited,
//! Python warns `RuntimeWarning: coroutine 'main' was never awaited`.
//!
//! ```python
//! async def main():
//!     print('Hello ...')
//!     await asyncio.sleep(1)
//!     print('... World!')
//!
//! main()
//! ```
//!
//! corio does the same: a `#[corio::coroutine]`'s `Debug` is Python's `repr`, and a coroutine
//! dropped before its first poll reports that it was never awaited (to stderr by default).
//! This program catches the report and prints it, so that it is part of the output, after the
//! repr: `<coroutine object main at 0x...>`, then
//! `RuntimeWarning: coroutine 'main' was never awaited`. Neither `Hello ...` nor `... World!`
//! is printed.

mod common;
use common::say;

/// The notebook's `main()` (named `main` for Python's repr; the Rust fn can't be).
#[corio::coroutine(name = "main")]
async fn main_coro() {
    say!("Hello ...");
    corio::sleep(1).await;
    say!("... World!");
}

/// The notebook's cell: `main()`, shown and never awaited.
#[corio::coroutine]
pub async fn program() {
    let ((), reports) = corio::capture_never_awaited(|| {
        // In [3]: main()
        #[allow(unused_must_use)] // the point: the coroutine is not awaited
        {
            say!("{:?}", main_coro());
        }
    });
    for report in reports {
        say!("RuntimeWarning: {report}");
    }
}

fn main() {
    corio::run(program());
}
