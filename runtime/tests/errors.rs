//! Misuse gets a clear error, never a hang: nested `run`, no running loop, polling a finished
//! future, awaiting a task twice, bad delays, and a deadlock under virtual time.

mod support;

use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use corio_runtime::{Runner, create_task, run, sleep, time};
use support::virtual_run;

/// The message of a caught panic.
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

fn panics_with(f: impl FnOnce()) -> String {
    panic_message(catch_unwind(AssertUnwindSafe(f)).unwrap_err())
}

/// Polls `future` once outside any loop.
fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
    let mut future = pin!(future);
    future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn run_inside_a_running_loop_says_already_running_and_the_outer_loop_goes_on() {
    let out = virtual_run(async {
        let message = panics_with(|| {
            run(async { 1 });
        });
        assert!(message.contains("already running"), "{message}");
        // The outer loop is intact: tasks and timers still work.
        let task = create_task(async {
            sleep(1).await;
            "outer still works"
        });
        (task.await.unwrap(), time())
    });
    assert_eq!(out, ("outer still works", 1.0));
}

#[test]
fn no_running_event_loop() {
    let message = panics_with(|| drop(create_task(async {})));
    assert!(message.contains("no running event loop"), "{message}");
    assert!(message.contains("corio::create_task()"), "{message}");

    let message = panics_with(|| {
        time();
    });
    assert!(message.contains("no running event loop"), "{message}");

    // `sleep` works without a loop (on the portable timer), but one armed on a loop's timers
    // still needs that loop: polled after it ended, it says there is no running loop.
    assert!(poll_once(sleep(1)).is_pending());
    let mut armed = Box::pin(sleep(1));
    run(async {
        let _ = poll_once(armed.as_mut());
    });
    let message = panics_with(|| {
        let _ = poll_once(armed.as_mut());
    });
    assert!(message.contains("no running event loop"), "{message}");
}

#[test]
fn polling_a_finished_sleep_again_panics() {
    let message = panics_with(|| {
        virtual_run(async {
            let mut nap = pin!(sleep(0));
            (&mut nap).await;
            (&mut nap).await;
        })
    });
    assert!(
        message.contains("polled again after it completed"),
        "{message}"
    );
}

#[test]
fn awaiting_a_task_twice_panics() {
    let message = panics_with(|| {
        virtual_run(async {
            let mut task = create_task(async { 1 });
            let _ = (&mut task).await;
            let _ = (&mut task).await;
        })
    });
    assert!(
        message.contains("awaited again after it returned its result"),
        "{message}"
    );
}

#[test]
fn bad_delays_panic_naming_the_value() {
    assert!(panics_with(|| drop(sleep(f64::NAN))).contains("NaN"));
    assert!(panics_with(|| drop(sleep(f64::INFINITY))).contains("inf seconds"));
    assert!(panics_with(|| drop(sleep(1e300))).contains("1e300 seconds overflows"));
    // Negative means zero: it yields once and the clock stays put.
    assert_eq!(
        virtual_run(async {
            sleep(-5).await;
            sleep(-0.5).await;
            time()
        }),
        0.0
    );
}

#[test]
fn a_deadlock_under_virtual_time_panics_instead_of_hanging() {
    let message = panics_with(|| {
        Runner::new()
            .virtual_time()
            .run(poll_fn(|_| Poll::<()>::Pending))
    });
    assert!(message.contains("deadlock"), "{message}");
}

#[test]
fn a_deadlock_waiting_on_a_task_that_waits_forever() {
    let message = panics_with(|| {
        virtual_run(async {
            let stuck = create_task(poll_fn(|_| Poll::<()>::Pending));
            stuck.await.unwrap();
        })
    });
    assert!(message.contains("deadlock"), "{message}");
}
