//! "Task exception was never retrieved": a task's panic, or the `Err` of a task made with
//! `create_task_try`, that nobody retrieved is reported when its result is dropped (stderr by
//! default, or a replaceable hook); a result whose destructor panics is dropped with the
//! panic contained, wherever that happens, so a detached task cannot abort the process.
//!
//! The reports are process-wide, so each scenario that reads them runs in a child process:
//! this test binary re-run with `CORIO_SCENARIO` set, its stderr read by the parent.

mod support;

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use corio_runtime::{
    NeverRetrieved, TaskGroup, create_task, create_task_named, create_task_try,
    set_never_retrieved_hook, sleep,
};
use support::virtual_run;

/// A value whose destructor panics; counts its drops (`Send`, to be a panic payload too).
struct Loud(Arc<AtomicU32>);

impl Drop for Loud {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
        panic!("Loud dropped");
    }
}

#[test]
fn a_detached_task_whose_output_panics_on_drop_does_not_abort() {
    let drops = Arc::new(AtomicU32::new(0));
    let counter = drops.clone();
    // The brief's reproduction, on the real clock.
    corio_runtime::run(async move {
        let loud = Loud(counter);
        create_task(async move { loud }).detach();
        sleep(0.01).await;
    });
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the output was dropped once, its panic contained"
    );
}

#[test]
fn a_panic_payload_that_panics_on_drop_does_not_abort() {
    let drops = Arc::new(AtomicU32::new(0));
    let counter = drops.clone();
    virtual_run(async move {
        let loud = Loud(counter);
        create_task(async move {
            sleep(1).await;
            std::panic::panic_any(loud)
        })
        .detach();
        sleep(2).await;
    });
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn dropping_the_handle_of_a_finished_task_contains_its_outputs_panic() {
    let drops = Arc::new(AtomicU32::new(0));
    let counter = drops.clone();
    virtual_run(async move {
        let loud = Loud(counter.clone());
        let task = create_task(async move { loud });
        sleep(1).await;
        assert!(task.done());
        drop(task);
        assert_eq!(counter.load(Ordering::SeqCst), 1);
        // The loop goes on.
        sleep(1).await;
    });
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

/// Re-runs this binary's test `name` with `CORIO_SCENARIO=name`; returns the child's stderr
/// lines that are reports, in order.
fn reports_of_child(name: &str) -> Vec<String> {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env("CORIO_SCENARIO", name)
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "the child failed:\n{stderr}");
    stderr
        .lines()
        .filter(|line| line.contains("never retrieved") || line.starts_with("hook:"))
        .map(str::to_owned)
        .collect()
}

/// Whether this process is the child running scenario `name`.
fn in_child(name: &str) -> bool {
    std::env::var("CORIO_SCENARIO").as_deref() == Ok(name)
}

#[derive(Debug)]
#[allow(dead_code)] // read through `Debug`, in the report
struct Refused(u16);

#[test]
fn unretrieved_failures_are_reported_on_stderr() {
    const NAME: &str = "unretrieved_failures_are_reported_on_stderr";
    if !in_child(NAME) {
        assert_eq!(
            reports_of_child(NAME),
            [
                "Task exception was never retrieved: task 'Task-2' panicked: boom",
                "Task exception was never retrieved: task 'fetch' returned Err(Refused(80))",
                "Task exception was never retrieved: task 'Task-4' panicked",
                "Task exception was never retrieved: task 'late' panicked: dropped after the end",
            ]
        );
        return;
    }
    let late = virtual_run(async {
        // Detached, panics at 1: reported when its result is dropped, in that step.
        create_task(async {
            sleep(1).await;
            panic!("boom")
        })
        .detach();
        // A fallible task's `Err` (at 2); its handle dropped unawaited at 3.
        let fetch = create_task_try(async {
            sleep(2).await;
            Err::<(), _>(Refused(80))
        });
        fetch.set_name("fetch");
        sleep(3).await;
        drop(fetch);
        // A payload that is not a string.
        create_task(async { std::panic::panic_any(7_u8) }).detach();
        sleep(0).await;
        // Retrieved failures and cancellations are not reported.
        let awaited = create_task(async { panic!("awaited") });
        assert!(awaited.await.unwrap_err().is_panic());
        let caught = create_task_try(async { Err::<(), _>(Refused(1)) });
        assert!(caught.await.unwrap().is_err());
        let cancelled = create_task(sleep(5));
        cancelled.cancel();
        drop(cancelled);
        // A group member's failure is its group's.
        let group = TaskGroup::with_errors();
        group.create_task_try(async { Err::<(), _>(String::from("grouped")) });
        group.create_task(async { panic!("grouped panic") });
        assert_eq!(group.join().await.unwrap_err().failures().len(), 2);
        // A handle kept past the loop's end: reported when it is dropped, after `run`.
        let late = create_task_named("late", async { panic!("dropped after the end") });
        sleep(0).await;
        // (Wrapped: clippy objects to an async block that yields an awaitable.)
        Some(late)
    });
    drop(late);
}

#[test]
fn the_hook_replaces_stderr() {
    const NAME: &str = "the_hook_replaces_stderr";
    if !in_child(NAME) {
        assert_eq!(
            reports_of_child(NAME),
            [
                "hook: Task-2 / panicked: hooked",
                "hook: Task-3 / returned Err(Refused(9))"
            ]
        );
        return;
    }
    let seen: Arc<Mutex<Vec<NeverRetrieved>>> = Arc::default();
    let sink = seen.clone();
    let previous = set_never_retrieved_hook(Some(Box::new(move |report| {
        sink.lock().unwrap().push(report.clone());
    })));
    assert!(previous.is_none());
    virtual_run(async {
        create_task(async { panic!("hooked") }).detach();
        create_task_try(async { Err::<(), _>(Refused(9)) }).detach();
        sleep(0).await;
    });
    set_never_retrieved_hook(None);
    for report in seen.lock().unwrap().iter() {
        assert!(
            report
                .to_string()
                .starts_with("Task exception was never retrieved: ")
        );
        eprintln!("hook: {} / {}", report.task_name(), report.failure());
    }
}
