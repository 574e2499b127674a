//! `call_soon`, `call_later`, `call_at` and their handles. Each expected trace is what CPython
//! 3.11 prints for the same program (the Python is in the comment above each test).

mod support;

use std::cell::Cell;
use std::rc::Rc;

use corio_runtime::{create_task, current_task, get_running_loop, sleep, time};
use support::{DropCounter, log, log_at, take_trace, virtual_run};

/// ```python
/// asyncio.create_task(t("task1")); loop.call_soon(log, "cb1")
/// asyncio.create_task(t("task2")); loop.call_soon(log, "cb2")
/// await asyncio.sleep(0); await asyncio.sleep(0)
/// # ['task1', 'cb1', 'task2', 'cb2']
/// ```
#[test]
fn call_soon_joins_the_fifo_beside_task_steps() {
    virtual_run(async {
        let lp = get_running_loop();
        create_task(async { log("task1") }).detach();
        let _ = lp.call_soon(|| log("cb1"));
        create_task(async { log("task2") }).detach();
        let _ = lp.call_soon(|| log("cb2"));
        sleep(0).await;
        sleep(0).await;
    });
    assert_eq!(take_trace(), ["task1", "cb1", "task2", "cb2"]);
}

/// A callback scheduled by a callback runs in the next pass, after what was already queued.
#[test]
fn call_soon_from_a_callback_runs_next_pass() {
    virtual_run(async {
        let lp = get_running_loop();
        let inner = lp.clone();
        let _ = lp.call_soon(move || {
            log("a");
            let _ = inner.call_soon(|| log("c"));
        });
        let _ = lp.call_soon(|| log("b"));
        log("main");
        sleep(0).await; // a, b run; c queued behind main's step
        log("main again");
        sleep(0).await;
    });
    assert_eq!(take_trace(), ["main", "a", "b", "main again", "c"]);
}

/// ```python
/// asyncio.create_task(sleeper("sleeper", 1)); await asyncio.sleep(0)
/// loop.call_later(1, lambda: (log("later"), loop.call_soon(log, "soon-from-later")))
/// loop.call_later(0.5, log, "half")
/// h = loop.call_later(0.7, log, "cancelled"); h.cancel()
/// await asyncio.sleep(2)
/// # ['half@0.5', 'later@1.0', 'sleeper@1.0', 'soon-from-later@1.0']
/// ```
/// A due timer's callback runs in the pass it comes due, at the tail; the task a timer of the
/// same deadline wakes steps one pass later, so `later` comes before `sleeper` although the
/// sleeper's timer was armed first.
#[test]
fn call_later_runs_at_the_tail_of_the_pass_its_timer_fires_in() {
    virtual_run(async {
        let lp = get_running_loop();
        create_task(async {
            sleep(1).await;
            log_at("sleeper");
        })
        .detach();
        sleep(0).await;
        let inner = lp.clone();
        let _ = lp.call_later(1, move || {
            log_at("later");
            let _ = inner.call_soon(|| log_at("soon-from-later"));
        });
        let _ = lp.call_later(0.5, || log_at("half"));
        let h = lp.call_later(0.7, || log_at("cancelled"));
        h.cancel();
        assert!(h.cancelled());
        sleep(2).await;
    });
    assert_eq!(
        take_trace(),
        ["0.5 half", "1 later", "1 sleeper", "1 soon-from-later"]
    );
}

/// Equal deadlines run in arming order; `call_at` takes loop time; `when()` reports it.
#[test]
fn call_at_orders_by_deadline_then_arming() {
    virtual_run(async {
        let lp = get_running_loop();
        let a = lp.call_at(2.0, || log_at("a"));
        let _ = lp.call_at(1.0, || log_at("b"));
        let _ = lp.call_later(2, || log_at("c"));
        let _ = lp.call_at(-5.0, || log_at("past"));
        assert_eq!(a.when(), 2.0);
        sleep(3).await;
    });
    assert_eq!(take_trace(), ["0 past", "1 b", "2 a", "2 c"]);
}

/// A cancelled timer is disarmed: the virtual clock no longer jumps to it, and its closure is
/// dropped at `cancel()`, once.
#[test]
fn cancelled_timer_is_disarmed_and_dropped_now() {
    let drops = DropCounter::default();
    let token = drops.token();
    let d = drops.clone();
    virtual_run(async move {
        let lp = get_running_loop();
        let h = lp.call_later(100, move || {
            let _keep = &token;
            log("never");
        });
        assert_eq!(d.count(), 0);
        h.cancel();
        assert_eq!(d.count(), 1);
        h.cancel();
        assert_eq!(d.count(), 1);
        sleep(1).await;
        assert_eq!(time(), 1.0);
    });
    assert_eq!(drops.count(), 1);
    assert!(take_trace().is_empty());
}

/// Cancelling a timer after it fired but before the end of its pass (from a task step of the
/// same pass) still stops it, as asyncio's `_cancelled` check when the handle runs.
#[test]
fn cancel_of_a_fired_timer_before_it_runs_stops_it() {
    virtual_run(async {
        let lp = get_running_loop();
        let handle = Rc::new(Cell::new(None));
        let h2 = handle.clone();
        // This task's timer fires in the same pass, and its step runs at the start of the
        // next... so instead cancel from a call_soon queued at the same time.
        let h = lp.call_later(1, || log("fired"));
        handle.set(Some(h));
        let _ = lp.call_later(1, move || {
            // Runs after "fired" (arming order): too late, it ran.
            let h = h2.take().unwrap();
            assert!(!h.cancelled());
            h.cancel();
            assert!(!h.cancelled(), "a callback that ran cannot be cancelled");
        });
        sleep(2).await;
    });
    assert_eq!(take_trace(), ["fired"]);
}

/// Cancelling a `call_soon` callback before its pass: it never runs.
#[test]
fn cancelled_call_soon_never_runs() {
    virtual_run(async {
        let lp = get_running_loop();
        let h = lp.call_soon(|| log("no"));
        let _ = lp.call_soon(|| log("yes"));
        assert_eq!(format!("{h:?}"), "<Handle pending>");
        h.cancel();
        assert_eq!(format!("{h:?}"), "<Handle cancelled>");
        sleep(0).await;
    });
    assert_eq!(take_trace(), ["yes"]);
}

/// A panicking callback does not kill the loop; callbacks run outside any task.
#[test]
fn a_panicking_callback_leaves_the_loop_running() {
    virtual_run(async {
        let lp = get_running_loop();
        let _ = lp.call_soon(|| {
            assert!(current_task().is_none());
            panic!("boom in callback");
        });
        let _ = lp.call_soon(|| log("next"));
        let _ = lp.call_later(1, || panic!("boom in timer"));
        sleep(2).await;
        log("main done");
    });
    assert_eq!(take_trace(), ["next", "main done"]);
}

/// Callbacks still pending when the loop ends are dropped without running.
#[test]
fn pending_callbacks_are_dropped_at_the_end() {
    let drops = DropCounter::default();
    let (t1, t2) = (drops.token(), drops.token());
    virtual_run(async move {
        let lp = get_running_loop();
        let _ = lp.call_soon(move || {
            let _k = &t1;
            log("never");
        });
        let _ = lp.call_later(5, move || {
            let _k = &t2;
            log("never");
        });
    });
    assert_eq!(drops.count(), 2);
    assert!(take_trace().is_empty());
}

/// The loop handle: its repr, flags, clock, and the errors of misuse.
#[test]
fn loop_handle_repr_and_misuse() {
    let lp = virtual_run(async {
        let lp = get_running_loop();
        assert_eq!(
            format!("{lp:?}"),
            "<corio.EventLoop running=True closed=False debug=False>"
        );
        sleep(1.5).await;
        assert_eq!(lp.time(), 1.5);
        assert!(lp.is_running() && !lp.is_closed() && !lp.get_debug());
        lp
    });
    assert_eq!(
        format!("{lp:?}"),
        "<corio.EventLoop running=False closed=True debug=False>"
    );
    let err = std::panic::catch_unwind(|| lp.time()).unwrap_err();
    assert_eq!(
        message(&err),
        "corio: EventLoop::time(): Event loop is closed"
    );
    let err = std::panic::catch_unwind(|| lp.call_soon_threadsafe(|| ())).unwrap_err();
    assert_eq!(
        message(&err),
        "corio: EventLoop::call_soon_threadsafe(): Event loop is closed"
    );
    let err = std::panic::catch_unwind(get_running_loop).unwrap_err();
    assert!(
        err.downcast_ref::<String>()
            .unwrap()
            .contains("no running event loop")
    );
}

/// Another loop's handle, used on this loop: asyncio's non-thread-safe-operation error.
#[test]
fn a_handle_of_another_loop_refuses_loop_only_methods() {
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let other = std::thread::spawn(move || {
        corio_runtime::run(async move {
            tx.send(get_running_loop()).unwrap();
            while stop_rx.try_recv().is_err() {
                sleep(0.001).await;
            }
        })
    });
    let lp = rx.recv().unwrap();
    virtual_run(async {
        let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = lp.call_soon(|| ());
        }))
        .unwrap_err();
        assert_eq!(
            message(&err),
            "corio: EventLoop::call_soon(): Non-thread-safe operation invoked on an event loop \
             other than the current one; use call_soon_threadsafe() from other threads"
        );
    });
    stop_tx.send(()).unwrap();
    other.join().unwrap();
}

/// A panic payload's message.
fn message(err: &Box<dyn std::any::Any + Send>) -> &str {
    err.downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .expect("a string payload")
}

/// `call_at` with a NaN time is a clear error.
#[test]
#[should_panic(expected = "corio: EventLoop::call_at(): when must be a finite loop time, got NaN")]
fn call_at_nan_panics() {
    virtual_run(async {
        let _ = get_running_loop().call_at(f64::NAN, || ());
    });
}
