//! Debug mode's reports on stderr (issue 13 item 2), read from a child process: the test
//! runs this very binary again with `CORIO_DEBUG=1` (asyncio's `PYTHONASYNCIODEBUG`) and
//! `DEBUG_MODE_CHILD=1`, and the child runs [`program`]: a slow step, a coroutine never
//! awaited, a task's failure never retrieved.

use std::process::Command;
use std::time::Duration;

const CHILD: &str = "DEBUG_MODE_CHILD";

#[corio::coroutine]
async fn forgotten() {}

#[corio::coroutine]
async fn slow_worker() {
    // Holds the loop for 150 ms of real time: over debug mode's 100 ms.
    std::thread::sleep(Duration::from_millis(150));
    corio::sleep(1).await;
}

fn program() {
    corio::Runner::new().virtual_time().run(async {
        let debug = corio::get_running_loop().get_debug();
        println!("debug={debug}");
        drop(forgotten());
        let task = corio::create_task_named("slow", slow_worker());
        corio::sleep(0).await;
        task.await.unwrap();
        let failing = corio::create_task_try(async { Err::<(), _>("refused") });
        corio::sleep(0).await;
        drop(failing);
    });
}

/// Runs [`program`] when this binary is the child; otherwise does nothing.
#[test]
fn child() {
    if std::env::var_os(CHILD).is_some() {
        program();
    }
}

/// What the child wrote to stderr, its lines that come from corio.
fn run_child(debug: bool) -> (String, Vec<String>) {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env_remove("CORIO_DEBUG");
    if debug {
        command.env("CORIO_DEBUG", "1");
    }
    let output = command.output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let reports = stderr
        .lines()
        .filter(|line| {
            ["Executing", "RuntimeWarning", "Task exception"]
                .iter()
                .any(|start| line.starts_with(start))
        })
        .map(str::to_owned)
        .collect();
    (stdout, reports)
}

#[test]
fn debug_mode_reports_slow_steps_and_where_things_were_created() {
    let (stdout, reports) = run_child(true);
    assert!(stdout.contains("debug=true"), "{stdout}");
    let [never_awaited, slow, never_retrieved] = &reports[..] else {
        panic!("{reports:#?}");
    };
    assert_eq!(
        never_awaited,
        "RuntimeWarning: coroutine 'forgotten' was never awaited (created at \
         tests/debug_mode.rs:25:14)"
    );
    // The step's real duration varies: `took 0.150 seconds` or a little more.
    let start = "Executing <Task pending name='slow' coro=<slow_worker() running at \
                 tests/debug_mode.rs:18:21>> took 0.1";
    assert!(
        slow.starts_with(start) && slow.ends_with(" seconds"),
        "{slow}"
    );
    let took: f64 = slow[start.len() - 3..slow.len() - " seconds".len()]
        .parse()
        .unwrap();
    assert!((0.15..1.0).contains(&took), "{slow}");
    assert_eq!(
        never_retrieved,
        "Task exception was never retrieved: task 'Task-3' returned Err(\"refused\") \
         (created at tests/debug_mode.rs:29:23)"
    );
}

#[test]
fn outside_debug_mode_nothing_is_timed_and_no_place_is_said() {
    let (stdout, reports) = run_child(false);
    assert!(stdout.contains("debug=false"), "{stdout}");
    assert_eq!(
        reports,
        [
            "RuntimeWarning: coroutine 'forgotten' was never awaited",
            "Task exception was never retrieved: task 'Task-3' returned Err(\"refused\")",
        ]
    );
}
