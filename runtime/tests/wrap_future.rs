//! A `ConcurrentFuture` awaited on a loop (asyncio's `wrap_future`), its done callbacks, and
//! a thread blocked on one under virtual time.

mod support;

use std::sync::mpsc;
use std::thread;

use corio_runtime::{
    ConcurrentError, get_running_loop, run, run_coroutine_threadsafe, sleep, time, to_thread,
};
use support::virtual_run;

/// Awaited on its own loop, a concurrent future gives the coroutine's output when it
/// finishes; its done callback has run by then.
#[test]
fn a_concurrent_future_is_awaitable_on_its_loop() {
    let (done, was_done) = mpsc::channel();
    let out = virtual_run(async move {
        let lp = get_running_loop();
        let fut = run_coroutine_threadsafe(
            async {
                sleep(2).await;
                7
            },
            &lp,
        );
        fut.add_done_callback(move || done.send(time()).unwrap());
        let value = fut.await.unwrap();
        (value, time())
    });
    assert_eq!(out, (7, 2.0));
    assert_eq!(was_done.try_recv().unwrap(), 2.0);
}

/// A done callback added after the coroutine finished runs at once.
#[test]
fn a_done_callback_added_late_runs_at_once() {
    let (done, was_done) = mpsc::channel();
    virtual_run(async move {
        let lp = get_running_loop();
        let fut = run_coroutine_threadsafe(async { 1 }, &lp);
        while !fut.done() {
            sleep(0).await;
        }
        assert_eq!(time(), 0.0);
        fut.add_done_callback(move || done.send("ran").unwrap());
        assert_eq!(was_done.try_recv().unwrap(), "ran");
        assert_eq!(fut.await.unwrap(), 1);
    });
}

/// Cancelled, the awaited concurrent future gives `Cancelled`.
#[test]
fn a_cancelled_concurrent_future_awaits_to_cancelled() {
    virtual_run(async {
        let lp = get_running_loop();
        let fut = run_coroutine_threadsafe(sleep(10), &lp);
        assert!(fut.cancel());
        assert!(matches!(fut.await, Err(ConcurrentError::Cancelled)));
        assert_eq!(time(), 0.0);
    });
}

/// The fidelity program: a `to_thread` that blocks on a coroutine of its own loop under
/// virtual time ends (the blocked thread does not hold the clock while it waits for it), at
/// the coroutine's virtual time.
#[test]
fn a_thread_blocked_on_its_loops_coroutine_does_not_hang_virtual_time() {
    let out = virtual_run(async {
        let lp = get_running_loop();
        let value = to_thread(move || {
            run_coroutine_threadsafe(
                async {
                    sleep(5).await;
                    9
                },
                &lp,
            )
            .result_blocking()
            .unwrap()
        })
        .await;
        (value, time())
    });
    assert_eq!(out, (9, 5.0));
}

/// Awaited on another loop, running under virtual time, the wait counts as outstanding
/// work there: no deadlock report, and no virtual time passes.
#[test]
fn awaited_on_another_loop_it_is_outstanding_work_there() {
    let (send_loop, other_loop) = mpsc::channel();
    let other = thread::spawn(move || {
        run(async move {
            send_loop.send(get_running_loop()).unwrap();
            sleep(0.5).await;
        })
    });
    let other_loop = other_loop.recv().unwrap();
    let out = virtual_run(async move {
        let fut = run_coroutine_threadsafe(
            async {
                sleep(0.05).await;
                3
            },
            &other_loop,
        );
        (fut.await.unwrap(), time())
    });
    assert_eq!(out, (3, 0.0));
    other.join().unwrap();
}
