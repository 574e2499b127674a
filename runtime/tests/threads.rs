//! The threadsafe entry points, exercised from real threads: `call_soon_threadsafe`,
//! `run_coroutine_threadsafe`, `to_thread`.

mod support;

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use corio_runtime::{
    ConcurrentError, SettableFuture, create_task, get_running_loop, run_coroutine_threadsafe,
    sleep, time, to_thread,
};
use support::{log, log_at, take_trace, virtual_run};

/// Callbacks from another thread run on the loop's thread, in the order they were sent, and
/// can resolve a future the loop awaits (asyncio's documented pattern).
#[test]
fn call_soon_threadsafe_runs_on_the_loop_in_order() {
    let out = corio_runtime::run(async {
        let lp = get_running_loop();
        let loop_thread = thread::current().id();
        let fut: SettableFuture<u32> = lp.create_future();
        let (tx, rx) = mpsc::channel::<u32>();
        // The future is not Send: a loop-side task forwards what the callbacks send.
        let setter = fut.clone();
        let forward = create_task(async move {
            let mut got = Vec::new();
            while got.len() < 3 {
                while let Ok(n) = rx.try_recv() {
                    got.push(n);
                }
                sleep(0.001).await;
            }
            setter.set_result(got.iter().sum());
            got
        });
        let worker = thread::spawn(move || {
            for n in 1..=3 {
                let tx = tx.clone();
                let _ = lp.call_soon_threadsafe(move || {
                    assert_eq!(thread::current().id(), loop_thread);
                    tx.send(n).unwrap();
                });
            }
        });
        let sum = fut.await.unwrap();
        worker.join().unwrap();
        (sum, forward.await.unwrap())
    });
    assert_eq!(out, (6, vec![1, 2, 3]));
}

/// A cancelled threadsafe callback never runs.
#[test]
fn cancelled_threadsafe_callback_never_runs() {
    virtual_run(async {
        let lp = get_running_loop();
        let h = thread::spawn(move || {
            let h = lp.call_soon_threadsafe(|| log("no"));
            h.cancel();
            let _ = lp.call_soon_threadsafe(|| log("yes"));
            h
        })
        .join()
        .unwrap();
        assert!(h.cancelled());
        sleep(0).await;
    });
    assert_eq!(take_trace(), ["yes"]);
}

/// `run_coroutine_threadsafe`: another thread submits a coroutine and blocks for its result;
/// a short timeout expires while it sleeps on the loop, and a later call gets the value.
#[test]
fn run_coroutine_threadsafe_blocks_for_the_result_with_a_timeout() {
    corio_runtime::run(async {
        let lp = get_running_loop();
        let worker = thread::spawn(move || {
            let fut = run_coroutine_threadsafe(
                async {
                    sleep(0.2).await;
                    thread::current().name().map(str::to_owned)
                },
                &lp,
            );
            let early = fut.result(0.01);
            assert!(matches!(early, Err(ConcurrentError::Timeout)), "{early:?}");
            assert!(!fut.done());
            let value = fut.result(Duration::from_secs(10)).unwrap();
            assert!(fut.done());
            assert!(!fut.cancel(), "a finished future cannot be cancelled");
            value
        });
        // Keep the loop alive while the worker's coroutine runs.
        while !worker.is_finished() {
            sleep(0.01).await;
        }
        let ran_on = worker.join().unwrap();
        assert_eq!(ran_on, thread::current().name().map(str::to_owned));
    });
}

/// Cancelling from the submitting thread cancels the task on the loop (its future is dropped);
/// a panic in the coroutine reaches the submitter as `Panicked`.
#[test]
fn run_coroutine_threadsafe_cancel_and_panic() {
    corio_runtime::run(async {
        let lp = get_running_loop();
        let worker = thread::spawn(move || {
            let slow = run_coroutine_threadsafe(
                async {
                    sleep(3600).await;
                    1
                },
                &lp,
            );
            thread::sleep(Duration::from_millis(20));
            assert!(slow.cancel());
            let cancelled = slow.result(10).unwrap_err();
            assert!(
                matches!(cancelled, ConcurrentError::Cancelled),
                "{cancelled:?}"
            );

            let bad = run_coroutine_threadsafe(async { panic!("coroutine blew up") }, &lp);
            let err = bad.result(10).unwrap_err();
            assert_eq!(err.panic_message(), Some("coroutine blew up"));
            assert_eq!(err.to_string(), "the coroutine panicked: coroutine blew up");

            // Cancelled at once: before or after the loop started it, it ends cancelled.
            let early = run_coroutine_threadsafe(
                async {
                    sleep(3600).await;
                    2
                },
                &lp,
            );
            early.cancel();
            assert!(matches!(early.result(10), Err(ConcurrentError::Cancelled)));
        });
        while !worker.is_finished() {
            sleep(0.005).await;
        }
        worker.join().unwrap();
    });
}

/// A submission still pending when the loop ends is reported cancelled, not left hanging.
#[test]
fn run_coroutine_threadsafe_after_the_loop_ends_is_cancelled() {
    let (tx, rx) = mpsc::channel();
    virtual_run(async move {
        tx.send(get_running_loop()).unwrap();
    });
    let lp = rx.recv().unwrap();
    let err = std::panic::catch_unwind(|| run_coroutine_threadsafe(async { 1 }, &lp)).unwrap_err();
    assert_eq!(
        err.downcast_ref::<&str>().copied(),
        Some("corio: run_coroutine_threadsafe(): Event loop is closed")
    );
    // The concurrent future comes out of `run` unawaited, on purpose.
    #[allow(clippy::async_yields_async)]
    let pending = virtual_run(async move {
        let lp = get_running_loop();
        // Submitted, then the loop ends before it runs the submission.
        run_coroutine_threadsafe(async { 1 }, &lp)
    });
    assert!(matches!(pending.result(1), Err(ConcurrentError::Cancelled)));
}

/// Under virtual time a loop waiting only on `to_thread` work parks for it instead of
/// reporting a deadlock, and thread work takes no virtual time.
#[test]
fn to_thread_under_virtual_time_takes_no_virtual_time() {
    virtual_run(async {
        sleep(1).await;
        let name = to_thread(|| {
            thread::sleep(Duration::from_millis(30));
            thread::current().name().unwrap_or("").to_owned()
        })
        .await;
        assert!(name.starts_with("corio-to-thread-"), "{name}");
        log_at("thread done");
        // Beside a timer: the clock does not jump past the outstanding thread work.
        let timer = create_task(async {
            sleep(5).await;
            log_at("timer");
        });
        let v = to_thread(|| {
            thread::sleep(Duration::from_millis(30));
            7
        })
        .await;
        log_at(format!("got {v}"));
        timer.await.unwrap();
        assert_eq!(time(), 6.0);
    });
    assert_eq!(take_trace(), ["1 thread done", "1 got 7", "6 timer"]);
}

/// Many `to_thread` calls share the pool (no thread per call) and all complete.
#[test]
fn to_thread_runs_many_calls_on_a_pool() {
    let names = virtual_run(async {
        let tasks: Vec<_> = (0..64)
            .map(|i| {
                create_task(to_thread(move || {
                    (i * 2, thread::current().name().unwrap_or("").to_owned())
                }))
            })
            .collect();
        let mut names = std::collections::BTreeSet::new();
        for (i, t) in tasks.into_iter().enumerate() {
            let (v, name) = t.await.unwrap();
            assert_eq!(v, i * 2);
            names.insert(name);
        }
        names
    });
    let cpus = thread::available_parallelism().map_or(1, |n| n.get());
    assert!(names.len() <= (cpus + 4).min(32), "{names:?}");
}

/// A panic in the closure resumes in the awaiting task.
#[test]
fn to_thread_panic_resumes_in_the_awaiter() {
    virtual_run(async {
        let task = create_task(to_thread(|| -> u32 { panic!("blocking call failed") }));
        let err = task.await.unwrap_err();
        assert_eq!(err.panic_message(), Some("blocking call failed"));
    });
}

/// Without outstanding thread work, the virtual-time deadlock report still fires.
#[test]
#[should_panic(expected = "no thread work is outstanding")]
fn deadlock_is_still_reported() {
    virtual_run(async {
        let fut: SettableFuture<u32> = SettableFuture::new();
        let _ = fut.clone().await;
    });
}

/// Cancelled `to_thread` work no longer holds the virtual clock: the thread goes on (it
/// cannot be stopped), but the loop's timers fire without waiting for it. The thread waits
/// for a release the loop sends only after its `sleep(1)`, so a loop that waited for the
/// thread would see it time out instead. (The end of `run` then waits for the thread, as
/// `asyncio.run` waits for its default executor.)
#[test]
fn cancelled_to_thread_work_does_not_hold_virtual_time() {
    let (release, released) = mpsc::channel::<()>();
    let (report, reported) = mpsc::channel::<&'static str>();
    virtual_run(async move {
        let t = create_task(to_thread(move || {
            let got = released.recv_timeout(Duration::from_secs(60));
            report
                .send(if got.is_ok() { "released" } else { "timed out" })
                .unwrap();
        }));
        sleep(0).await;
        assert!(t.cancel());
        assert!(t.await.unwrap_err().is_cancelled());
        sleep(1).await;
        assert_eq!(time(), 1.0);
        release.send(()).unwrap();
    });
    assert_eq!(reported.recv().unwrap(), "released");
}

/// A cancelled `to_thread` whose thread waits on the loop's own timers does not freeze the
/// loop either: the clock moves on, and the loop's end cancels what the thread waits for.
#[test]
fn cancelled_to_thread_work_waiting_on_the_loop_does_not_hang() {
    let (report, reported) = mpsc::channel();
    virtual_run(async move {
        let lp = get_running_loop();
        let t = create_task(to_thread(move || {
            let waited = run_coroutine_threadsafe(sleep(5), &lp).result_blocking();
            report.send(format!("{waited:?}")).unwrap();
        }));
        // Until the thread's coroutine runs on the loop (main, the thread's task, its relay).
        while corio_runtime::all_tasks().len() < 3 {
            sleep(0).await;
        }
        assert!(t.cancel());
        let _ = t.await;
        sleep(1).await;
        assert_eq!(time(), 1.0);
    });
    assert_eq!(reported.recv().unwrap(), "Err(Cancelled)");
}
