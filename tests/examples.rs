//! Runs every example's program under virtual time and checks each line it prints and the loop
//! time it printed it at.
//!
//! The examples are included as modules; `say!` records lines while `common::capture` runs.
//! Wall-clock lines are checked by shape: in an expected line, `#` stands for any digit.

// The notebook includes the other examples again, and each example declares its own
// `mod common;` (`say!` always reaches the crate root's copy): files load several times on
// purpose.
#![allow(clippy::duplicate_mod)]

use std::sync::Mutex;

mod support;
// `say!` in the included examples reaches `crate::common`.
use support::common;
use support::run_example;

#[allow(dead_code)]
#[path = "../examples/background_tasks.rs"]
mod background_tasks;
#[allow(dead_code)]
#[path = "../examples/display_date.rs"]
mod display_date;
#[allow(dead_code)]
#[path = "../examples/hello_world.rs"]
mod hello_world;
#[allow(dead_code)]
#[path = "../examples/nested.rs"]
mod nested;
#[allow(dead_code)]
#[path = "../examples/nested_run.rs"]
mod nested_run;
#[allow(dead_code)]
#[path = "../examples/notebook.rs"]
mod notebook;
#[allow(dead_code)]
#[path = "../examples/say_after_concurrent.rs"]
mod say_after_concurrent;
#[allow(dead_code)]
#[path = "../examples/say_after_sequential.rs"]
mod say_after_sequential;

/// `nested_run` swaps the process-wide panic hook; tests that run it take turns, so one cannot
/// restore the silent hook another installed.
static PANIC_HOOK: Mutex<()> = Mutex::new(());

/// Whether `line` matches `expected`, where each `#` of `expected` stands for one digit.
fn matches(line: &str, expected: &str) -> bool {
    line.chars().count() == expected.chars().count()
        && line
            .chars()
            .zip(expected.chars())
            .all(|(c, e)| c == e || (e == '#' && c.is_ascii_digit()))
}

/// Asserts `lines` are exactly `expected`, times included.
#[track_caller]
fn assert_lines(lines: &[(f64, String)], expected: &[(f64, &str)]) {
    let ok = lines.len() == expected.len()
        && lines
            .iter()
            .zip(expected)
            .all(|((t, line), (et, e))| t == et && matches(line, e));
    assert!(ok, "printed\n{lines:#?}\nexpected\n{expected:#?}");
}

const TIME: &str = "##:##:##";
const DATETIME: &str = "####-##-## ##:##:##.######";

#[test]
fn hello_world() {
    let ((), lines, end) = run_example(hello_world::program());
    assert_lines(&lines, &[(0.0, "Hello ..."), (1.0, "... World!")]);
    assert_eq!(end, 1.0);
}

#[test]
fn nested_run() {
    let _turn = PANIC_HOOK.lock().unwrap_or_else(|e| e.into_inner());
    let ((), lines, end) = run_example(nested_run::program());
    assert_eq!(lines.len(), 3, "{lines:#?}");
    let (t, error) = &lines[0];
    assert_eq!(*t, 0.0);
    assert!(
        error.starts_with("RuntimeError: ") && error.contains("already running"),
        "{error}"
    );
    assert_lines(&lines[1..], &[(0.0, "Hello ..."), (1.0, "... World!")]);
    assert_eq!(end, 1.0);
}

#[test]
fn say_after_sequential() {
    let ((), lines, end) = run_example(say_after_sequential::program());
    assert_lines(
        &lines,
        &[
            (0.0, &format!("started at {TIME}")),
            (1.0, "hello"),
            (3.0, "world"),
            (3.0, &format!("finished at {TIME}")),
        ],
    );
    assert_eq!(end, 3.0);
}

#[test]
fn say_after_concurrent() {
    let (result, lines, end) = run_example(say_after_concurrent::program());
    result.unwrap();
    assert_lines(
        &lines,
        &[
            (0.0, &format!("started at {TIME}")),
            (1.0, "hello"),
            (2.0, "world"),
            (2.0, &format!("finished at {TIME}")),
        ],
    );
    assert_eq!(end, 2.0);
}

#[test]
fn nested() {
    let (result, lines, end) = run_example(nested::program());
    result.unwrap();
    assert_lines(&lines, &[(0.0, "42"), (0.0, "42")]);
    assert_eq!(end, 0.0);
}

#[test]
fn background_tasks() {
    let ((), lines, end) = run_example(background_tasks::program());
    assert_lines(
        &lines,
        &[
            (0.0, "created 10 tasks"),
            (0.1, "some_coro(9) done"),
            (0.2, "some_coro(8) done"),
            (0.3, "some_coro(7) done"),
            (0.4, "some_coro(6) done"),
            (0.5, "some_coro(5) done"),
            (0.6, "some_coro(4) done"),
            (0.7, "some_coro(3) done"),
            (0.8, "some_coro(2) done"),
            (0.9, "some_coro(1) done"),
            (1.0, "some_coro(0) done"),
            (1.0, "all done"),
        ],
    );
    assert_eq!(end, 1.0);
}

#[test]
fn display_date() {
    let ((), lines, end) = run_example(display_date::program());
    assert_lines(
        &lines,
        &[
            (0.0, DATETIME),
            (1.0, DATETIME),
            (2.0, DATETIME),
            (3.0, DATETIME),
            (4.0, DATETIME),
        ],
    );
    assert_eq!(end, 4.0);
}

#[test]
fn notebook() {
    let _turn = PANIC_HOOK.lock().unwrap_or_else(|e| e.into_inner());
    let frames = std::rc::Rc::new(std::cell::RefCell::new(String::new()));
    let screen = {
        let frames = frames.clone();
        std::rc::Rc::new(move |text: &str| frames.borrow_mut().push_str(text))
    };
    let (result, mut lines, end) = run_example(notebook::program(screen));
    result.unwrap();

    // The async spinner drew 30 frames (0.0 .. 2.9 s), each followed by as many backspaces,
    // then the erase when it was cancelled at 3.0 s.
    let frame = |c: char| format!("{c} thinking!{}", "\x08".repeat(11));
    let mut expected: String = ['|', '/', '-', '\\']
        .iter()
        .cycle()
        .take(30)
        .map(|&c| frame(c))
        .collect();
    expected.push_str(&format!("{}{}", " ".repeat(11), "\x08".repeat(11)));
    assert_eq!(*frames.borrow(), expected);

    // nested_run's error line: checked apart, its wording is the runtime's.
    let (t, error) = lines.remove(9);
    assert_eq!(t, 4.0);
    assert!(
        error.starts_with("RuntimeError: ") && error.contains("already running"),
        "{error}"
    );
    // coroutine_repr's line: the address varies.
    let (t, repr) = lines.remove(12);
    assert_eq!(t, 5.0);
    assert!(
        repr.starts_with("<coroutine object main at 0x") && repr.ends_with('>'),
        "{repr}"
    );

    let started = format!("started at {TIME}");
    let finished = format!("finished at {TIME}");
    assert_lines(
        &lines,
        &[
            (
                0.0,
                "== 18.1 线程与协程对比 (threads vs coroutines): spinner_async ==",
            ),
            (0.0, "spinner object: <Task pending name='Task-2'>"),
            (3.0, "Answer: 42"),
            (3.0, "== 协程 (coroutines): hello_world =="),
            (3.0, "Hello ..."),
            (4.0, "... World!"),
            (4.0, "== 协程 (coroutines): event_loop =="),
            (
                4.0,
                "<corio.EventLoop running=True closed=False debug=False>",
            ),
            (4.0, "== 协程 (coroutines): nested_run =="),
            (4.0, "Hello ..."),
            (5.0, "... World!"),
            (5.0, "== 协程 (coroutines): coroutine_repr =="),
            (5.0, "RuntimeWarning: coroutine 'main' was never awaited"),
            (5.0, "== 协程 (coroutines): say_after_sequential =="),
            (5.0, &started),
            (6.0, "hello"),
            (8.0, "world"),
            (8.0, &finished),
            (8.0, "== 协程 (coroutines): say_after_concurrent =="),
            (8.0, &started),
            (9.0, "hello"),
            (10.0, "world"),
            (10.0, &finished),
            (
                10.0,
                "== 可等待对象 (awaitables): nested, 协程 (coroutine) ==",
            ),
            (10.0, "42"),
            (10.0, "== 可等待对象 (awaitables): nested, 任务 (Task) =="),
            (10.0, "42"),
            (10.0, "== 可等待对象 (awaitables): futures =="),
            (10.0, "hello ..."),
            (11.0, "... world"),
            (11.0, "== 创建任务 (creating tasks): background_tasks =="),
            (11.0, "created 10 tasks"),
            (11.1, "some_coro(9) done"),
            (11.2, "some_coro(8) done"),
            (11.3, "some_coro(7) done"),
            (11.4, "some_coro(6) done"),
            (11.5, "some_coro(5) done"),
            (11.6, "some_coro(4) done"),
            (11.7, "some_coro(3) done"),
            (11.8, "some_coro(2) done"),
            (11.9, "some_coro(1) done"),
            (12.0, "some_coro(0) done"),
            (12.0, "all done"),
            (12.0, "== 休眠 (sleeping): display_date =="),
            (12.0, DATETIME),
            (13.0, DATETIME),
            (14.0, DATETIME),
            (15.0, DATETIME),
            (16.0, DATETIME),
            (
                16.0,
                "== 并发运行任务 (running tasks concurrently): factorial_gather ==",
            ),
            (16.0, "Task A: Compute factorial(2)..."),
            (16.0, "Task B: Compute factorial(2)..."),
            (16.0, "Task C: Compute factorial(2)..."),
            (17.0, "Task A: factorial(2) = 2"),
            (17.0, "Task B: Compute factorial(3)..."),
            (17.0, "Task C: Compute factorial(3)..."),
            (18.0, "Task B: factorial(3) = 6"),
            (18.0, "Task C: Compute factorial(4)..."),
            (19.0, "Task C: factorial(4) = 24"),
            (19.0, "[2, 6, 24]"),
            (19.0, "== 超时 (timeouts): wait_for_eternity =="),
            (20.0, "timeout!"),
            (20.0, "== 简单等待 (waiting): wait =="),
            (20.0, "done"),
            (20.0, "== as_completed: as_completed =="),
            (21.0, "got b.txt (1s)"),
            (22.0, "got c.txt (2s)"),
            (23.0, "got a.txt (3s)"),
            (24.0, "got b.txt (1s)"),
            (25.0, "got c.txt (2s)"),
            (25.5, "timeout!"),
            (25.5, "== 流 (streams): echo =="),
            (25.5, r#"Send: "Hello World!""#),
            (25.5, r#"Received "Hello World!" from 127.0.0.1"#),
            (25.5, r#"Send: "Hello World!""#),
            (25.5, "Close the connection"),
            (25.5, r#"Received: "Hello World!""#),
            (25.5, "Close the connection"),
            (25.5, "== Fluent Python: flags =="),
            (25.6, "CD not found: http://127.0.0.1/flags/CD.gif"),
            (25.6, "CN OK (8 bytes)"),
            (25.7, "EG OK (8 bytes)"),
            (25.8, "DE OK (8 bytes)"),
            (25.9, "BR OK (8 bytes)"),
            (26.0, "BD OK (8 bytes)"),
            (26.0, "ET OK (8 bytes)"),
            (26.0, "FR OK (8 bytes)"),
            (26.0, "ID OK (8 bytes)"),
            (26.1, "IN OK (8 bytes)"),
            (26.1, "IR not found: http://127.0.0.1/flags/IR.gif"),
            (26.1, "MX OK (8 bytes)"),
            (26.2, "PK OK (8 bytes)"),
            (26.4, "PH OK (8 bytes)"),
            (26.4, "RU OK (8 bytes)"),
            (26.4, "TR OK (8 bytes)"),
            (26.5, "JP OK (8 bytes)"),
            (26.5, "NG not found: http://127.0.0.1/flags/NG.gif"),
            (26.8, "US OK (8 bytes)"),
            (26.9, "VN OK (8 bytes)"),
            (26.9, "------"),
            (26.9, "17 flags downloaded."),
            (26.9, "3 not found."),
            (26.9, "20 downloads in 1.40s"),
        ],
    );
    assert_eq!(end, 26.9);
}

#[test]
fn wall_clock_formatting() {
    use std::time::Duration;
    // The notebook's first date: 2023-07-25 18:53:59.767432 (taken as UTC).
    let at = Duration::new(1_690_311_239, 767_432_000);
    assert_eq!(common::format_datetime(at), "2023-07-25 18:53:59.767432");
    assert_eq!(
        common::format_datetime(Duration::ZERO),
        "1970-01-01 00:00:00.000000"
    );
    // A leap day, and the last second of a year.
    assert_eq!(
        common::format_datetime(Duration::from_secs(951_782_400)),
        "2000-02-29 00:00:00.000000"
    );
    assert_eq!(
        common::format_datetime(Duration::from_secs(1_704_067_199)),
        "2023-12-31 23:59:59.000000"
    );
    assert!(matches(&common::clock_time(), TIME));
    assert!(matches(&common::datetime_now(), DATETIME));
}
