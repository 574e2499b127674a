//! Runs every example's program under virtual time and checks each line it prints and the loop
//! time it printed it at.
//!
//! The examples are included as modules; `say!` records lines while `common::capture` runs.
//! Wall-clock lines are checked by shape: in an expected line, `#` stands for any digit.

// The notebook includes the other examples again, and each example declares its own
// `mod common;` (`say!` always reaches the crate root's copy): files load several times on
// purpose.
#![allow(clippy::duplicate_mod)]

use std::future::Future;
use std::sync::Mutex;

#[path = "../examples/common/mod.rs"]
mod common;

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
    let ((), lines, end) = run(hello_world::program());
    assert_lines(&lines, &[(0.0, "Hello ..."), (1.0, "... World!")]);
    assert_eq!(end, 1.0);
}

#[test]
fn nested_run() {
    let _turn = PANIC_HOOK.lock().unwrap_or_else(|e| e.into_inner());
    let ((), lines, end) = run(nested_run::program());
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
    let ((), lines, end) = run(say_after_sequential::program());
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
    let (result, lines, end) = run(say_after_concurrent::program());
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
    let (result, lines, end) = run(nested::program());
    result.unwrap();
    assert_lines(&lines, &[(0.0, "42"), (0.0, "42")]);
    assert_eq!(end, 0.0);
}

#[test]
fn background_tasks() {
    let ((), lines, end) = run(background_tasks::program());
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
    let ((), lines, end) = run(display_date::program());
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
    let (result, mut lines, end) = run(notebook::program());
    result.unwrap();

    // nested_run's error line: checked apart, its wording is the runtime's.
    let (t, error) = lines.remove(4);
    assert_eq!(t, 1.0);
    assert!(
        error.starts_with("RuntimeError: ") && error.contains("already running"),
        "{error}"
    );
    // coroutine_repr's line: the address varies.
    let (t, repr) = lines.remove(7);
    assert_eq!(t, 2.0);
    assert!(
        repr.starts_with("<coroutine object main at 0x") && repr.ends_with('>'),
        "{repr}"
    );

    let started = format!("started at {TIME}");
    let finished = format!("finished at {TIME}");
    assert_lines(
        &lines,
        &[
            (0.0, "== 协程 (coroutines): hello_world =="),
            (0.0, "Hello ..."),
            (1.0, "... World!"),
            (1.0, "== 协程 (coroutines): nested_run =="),
            // (1.0, "RuntimeError: ... already running ..."), removed above
            (1.0, "Hello ..."),
            (2.0, "... World!"),
            (2.0, "== 协程 (coroutines): coroutine_repr =="),
            // (2.0, "<coroutine object main at 0x...>"), removed above
            (2.0, "RuntimeWarning: coroutine 'main' was never awaited"),
            (2.0, "== 协程 (coroutines): say_after_sequential =="),
            (2.0, &started),
            (3.0, "hello"),
            (5.0, "world"),
            (5.0, &finished),
            (5.0, "== 协程 (coroutines): say_after_concurrent =="),
            (5.0, &started),
            (6.0, "hello"),
            (7.0, "world"),
            (7.0, &finished),
            (
                7.0,
                "== 可等待对象 (awaitables): nested, 协程 (coroutine) ==",
            ),
            (7.0, "42"),
            (7.0, "== 可等待对象 (awaitables): nested, 任务 (Task) =="),
            (7.0, "42"),
            (7.0, "== 创建任务 (creating tasks): background_tasks =="),
            (7.0, "created 10 tasks"),
            (7.1, "some_coro(9) done"),
            (7.2, "some_coro(8) done"),
            (7.3, "some_coro(7) done"),
            (7.4, "some_coro(6) done"),
            (7.5, "some_coro(5) done"),
            (7.6, "some_coro(4) done"),
            (7.7, "some_coro(3) done"),
            (7.8, "some_coro(2) done"),
            (7.9, "some_coro(1) done"),
            (8.0, "some_coro(0) done"),
            (8.0, "all done"),
            (8.0, "== 休眠 (sleeping): display_date =="),
            (8.0, DATETIME),
            (9.0, DATETIME),
            (10.0, DATETIME),
            (11.0, DATETIME),
            (12.0, DATETIME),
            (
                12.0,
                "== 并发运行任务 (running tasks concurrently): factorial_gather ==",
            ),
            (12.0, "Task A: Compute factorial(2)..."),
            (12.0, "Task B: Compute factorial(2)..."),
            (12.0, "Task C: Compute factorial(2)..."),
            (13.0, "Task A: factorial(2) = 2"),
            (13.0, "Task B: Compute factorial(3)..."),
            (13.0, "Task C: Compute factorial(3)..."),
            (14.0, "Task B: factorial(3) = 6"),
            (14.0, "Task C: Compute factorial(4)..."),
            (15.0, "Task C: factorial(4) = 24"),
            (15.0, "[2, 6, 24]"),
            (15.0, "== 超时 (timeouts): wait_for_eternity =="),
            (16.0, "timeout!"),
            (16.0, "== as_completed: as_completed =="),
            (17.0, "got b.txt (1s)"),
            (18.0, "got c.txt (2s)"),
            (19.0, "got a.txt (3s)"),
            (20.0, "got b.txt (1s)"),
            (21.0, "got c.txt (2s)"),
            (21.5, "timeout!"),
        ],
    );
    assert_eq!(end, 21.5);
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
