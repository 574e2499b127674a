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

#[expect(dead_code, reason = "the example's `main` is not called here")]
#[path = "../examples/flags.rs"]
mod flags;

#[test]
fn flags_downloads_in_completion_order_five_at_a_time() {
    let (counter, lines, end) = run_example(flags::program());
    let lines: Vec<(f64, &str)> = lines.iter().map(|(t, l)| (*t, l.as_str())).collect();
    // Each flag's line comes when its download ends: the server answers after 0.1 to 0.5 s,
    // five downloads at a time (the semaphore), so the order is completion order.
    assert_eq!(
        lines,
        [
            (0.1, "CD not found: http://127.0.0.1/flags/CD.gif"),
            (0.1, "CN OK (8 bytes)"),
            (0.2, "EG OK (8 bytes)"),
            (0.3, "DE OK (8 bytes)"),
            (0.4, "BR OK (8 bytes)"),
            (0.5, "BD OK (8 bytes)"),
            (0.5, "ET OK (8 bytes)"),
            (0.5, "FR OK (8 bytes)"),
            (0.5, "ID OK (8 bytes)"),
            (0.6, "IN OK (8 bytes)"),
            (0.6, "IR not found: http://127.0.0.1/flags/IR.gif"),
            (0.6, "MX OK (8 bytes)"),
            (0.7, "PK OK (8 bytes)"),
            (0.9, "PH OK (8 bytes)"),
            (0.9, "RU OK (8 bytes)"),
            (0.9, "TR OK (8 bytes)"),
            (1.0, "JP OK (8 bytes)"),
            (1.0, "NG not found: http://127.0.0.1/flags/NG.gif"),
            (1.3, "US OK (8 bytes)"),
            (1.4, "VN OK (8 bytes)"),
            (1.4, "------"),
            (1.4, "17 flags downloaded."),
            (1.4, "3 not found."),
            (1.4, "20 downloads in 1.40s"),
        ]
    );
    assert_eq!(end, 1.4);
    assert_eq!(
        counter.into_iter().collect::<Vec<_>>(),
        [
            (flags::DownloadStatus::Ok, 17),
            (flags::DownloadStatus::NotFound, 3)
        ]
    );
}

#[expect(dead_code, reason = "the example's `main` is not called here")]
#[path = "../examples/subprocess.rs"]
mod subprocess;

#[test]
fn subprocess_output_and_exit_codes() {
    if std::process::Command::new("sh")
        .arg("-c")
        .arg("command -v tr")
        .output()
        .map_or(true, |o| !o.status.success())
    {
        eprintln!("skipped: this test needs `sh` and `tr` on the PATH");
        return;
    }
    let (codes, lines, end) = run_example(subprocess::program());
    let lines: Vec<(f64, &str)> = lines.iter().map(|(t, l)| (*t, l.as_str())).collect();
    assert_eq!(
        lines,
        [
            (0.0, r#"["echo \"oops\" >&2; exit 3" exited with 3]"#),
            (0.0, "[stderr]\noops"),
            (0.0, r#"["sleep 0.2; echo \"hello\"" exited with 0]"#),
            (0.0, "[stdout]\nhello"),
            (0.0, "[tr] CORIO RUNS TR"),
        ]
    );
    assert_eq!(codes, (Some(0), Some(3), Some(0)));
    // Waiting for children takes no virtual time.
    assert_eq!(end, 0.0);
}

#[expect(dead_code, reason = "the example's `main` is not called here")]
#[path = "../examples/graceful_shutdown.rs"]
mod graceful_shutdown;

#[test]
fn graceful_shutdown_on_sigterm() {
    // The handler is installed before `ready` runs, so the signal never meets the default
    // disposition (which would end the test process).
    let ready = || {
        std::thread::spawn(|| {
            // SAFETY: `kill` with this process's own pid and a valid signal number.
            let sent = unsafe { libc::kill(libc::getpid(), libc::SIGTERM) };
            assert_eq!(sent, 0, "kill(getpid(), SIGTERM)");
        });
    };
    let ((), lines, end) = run_example(graceful_shutdown::program(ready));
    let lines: Vec<(f64, &str)> = lines.iter().map(|(t, l)| (*t, l.as_str())).collect();
    assert_eq!(
        lines,
        [
            (0.0, "serving; send SIGTERM to stop"),
            (0.0, r#"client got "HELLO""#),
            (0.0, "SIGTERM: closing the server"),
            (0.0, "closed cleanly"),
        ]
    );
    assert_eq!(end, 0.0);
}

#[expect(dead_code, reason = "the example's `main` is not called here")]
#[path = "../examples/charfinder.rs"]
mod charfinder;

#[test]
fn charfinder_answers_unicode_name_queries() {
    let ((), lines, end) = run_example(charfinder::program());
    let lines: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
    let rule = "─".repeat(66);
    assert_eq!(
        lines,
        [
            r#" From client: "white chess king""#.to_owned(),
            "   To client: 4 results.".to_owned(),
            "U+2654\t♔\tWHITE CHESS KING".to_owned(),
            "U+1FA09\t🨉\tWHITE CHESS KING ROTATED NINETY DEGREES".to_owned(),
            "U+1FA1E\t🨞\tWHITE CHESS TURNED KING".to_owned(),
            "U+1FA33\t🨳\tWHITE CHESS KING ROTATED TWO HUNDRED SEVENTY DEGREES".to_owned(),
            format!("{rule} 4 found"),
            r#" From client: "sun face""#.to_owned(),
            "   To client: 1 results.".to_owned(),
            "U+1F31E\t🌞\tSUN WITH FACE".to_owned(),
            format!("{rule} 1 found"),
            "Close client.".to_owned(),
        ]
    );
    assert_eq!(end, 0.0);
}
