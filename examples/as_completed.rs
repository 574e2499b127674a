//! Taking results in completion order with `as_completed` (the notebook's last cell):
//!
//! ```python
//! for coro in asyncio.as_completed(coro_list):
//!     result = await coro
//!     # process result
//! ```
//!
//! The notebook gives no program around it, so this one is small and deterministic: three
//! downloads that take 3, 1 and 2 seconds come back in the order they finish, then the same
//! with `timeout=2.5`, which gives up on the slowest:
//!
//! ```python
//! async def download(name, seconds):
//!     await asyncio.sleep(seconds)
//!     return f"{name} ({seconds}s)"
//!
//! async def main():
//!     coro_list = [download("a.txt", 3), download("b.txt", 1), download("c.txt", 2)]
//!     for coro in asyncio.as_completed(coro_list):
//!         result = await coro
//!         print(f"got {result}")
//!     coro_list = [download("a.txt", 3), download("b.txt", 1), download("c.txt", 2)]
//!     try:
//!         for coro in asyncio.as_completed(coro_list, timeout=2.5):
//!             result = await coro
//!             print(f"got {result}")
//!     except TimeoutError:
//!         print("timeout!")
//! ```

mod common;
use common::say;

/// Downloads `name` in `seconds` (it sleeps), and describes it.
#[corio::coroutine]
async fn download(name: &str, seconds: u64) -> String {
    corio::sleep(seconds).await;
    format!("{name} ({seconds}s)")
}

/// The three downloads, in argument order, as a list.
fn coro_list() -> Vec<impl Future<Output = String>> {
    vec![
        download("a.txt", 3),
        download("b.txt", 1),
        download("c.txt", 2),
    ]
}

/// The program: outputs the results in the order they were printed.
#[corio::coroutine]
pub async fn program() -> Vec<String> {
    let mut printed = Vec::new();

    // The fixed form, with the futures written out.
    let mut results = corio::as_completed!(
        download("a.txt", 3),
        download("b.txt", 1),
        download("c.txt", 2),
    );
    while let Some(result) = results.next().await {
        say!("got {result}");
        printed.push(result);
    }

    // A timeout needs the spread form (a list of futures).
    let mut results = corio::as_completed!(..coro_list(), timeout = 2.5);
    while let Some(result) = results.next().await {
        match result {
            Ok(result) => {
                say!("got {result}");
                printed.push(result);
            }
            Err(corio::TimeoutError) => say!("timeout!"),
        }
    }
    printed
}

fn main() {
    corio::run(program());
}
