//! The I/O examples (`echo`, and the book chapter's programs as they land) under virtual time:
//! each line they print, and the loop time it was printed at. Loopback only.

// Each example declares its own `mod common;` (`say!` reaches the crate root's copy).
#![expect(
    clippy::duplicate_mod,
    reason = "every example declares its own `mod common;`"
)]

mod support;
// `say!` in the included examples reaches `crate::common`.
use support::common;
use support::run_example;

#[expect(dead_code, reason = "the example's `main` is not called here")]
#[path = "../examples/echo.rs"]
mod echo;

#[test]
fn echo_client_and_server_on_one_loop() {
    let ((), lines, end) = run_example(echo::program());
    let lines: Vec<(f64, &str)> = lines.iter().map(|(t, l)| (*t, l.as_str())).collect();
    assert_eq!(
        lines,
        [
            (0.0, r#"Send: "Hello World!""#),
            (0.0, r#"Received "Hello World!" from 127.0.0.1"#),
            (0.0, r#"Send: "Hello World!""#),
            (0.0, "Close the connection"),
            (0.0, r#"Received: "Hello World!""#),
            (0.0, "Close the connection"),
        ]
    );
    // I/O takes no virtual time.
    assert_eq!(end, 0.0);
}
