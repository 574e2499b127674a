//! Runs the examples of asyncio's toolbox (`wait`, ...) under virtual time and checks each
//! line they print and the loop time it was printed at, as `tests/examples.rs` does for the
//! seed's first programs.

// Each example declares its own `mod common;` (`say!` always reaches the crate root's copy):
// files load several times on purpose.
#![allow(clippy::duplicate_mod)]

mod support;
// `say!` in the included examples reaches `crate::common`.
use support::common;
use support::run_example;

#[allow(dead_code)]
#[path = "../examples/wait.rs"]
mod wait;

#[test]
fn wait() {
    let ((), lines, end) = run_example(wait::program());
    assert_eq!(lines, [(0.0, "done".to_string())]);
    assert_eq!(end, 0.0);
}
