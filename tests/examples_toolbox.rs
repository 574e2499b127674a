//! Runs the examples of asyncio's toolbox (`wait`, ...) under virtual time and checks each
//! line they print and the loop time it was printed at, as `tests/examples.rs` does for the
//! seed's first programs.

// Each example declares its own `mod common;` (`say!` always reaches the crate root's copy):
// files load several times on purpose.
#![allow(clippy::duplicate_mod)]

use std::future::Future;

#[path = "../examples/common/mod.rs"]
mod common;

#[allow(dead_code)]
#[path = "../examples/wait.rs"]
mod wait;

/// Runs `program` on a virtual-time loop; returns its output, the lines it said with their loop
/// times, and the loop time at its end.
fn run<T>(program: impl Future<Output = T>) -> (T, Vec<(f64, String)>, f64) {
    let mut result = None;
    let lines = common::capture(|| {
        result = Some(
            corio::Runner::new()
                .virtual_time()
                .run(async { (program.await, corio::time()) }),
        );
    });
    let (output, end) = result.expect("the program ran");
    (output, lines, end)
}

#[test]
fn wait() {
    let ((), lines, end) = run(wait::program());
    assert_eq!(lines, [(0.0, "done".to_string())]);
    assert_eq!(end, 0.0);
}
