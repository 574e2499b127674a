//! `wait_for!`: what it returns and when (loop times under virtual time), ties at the deadline,
//! what it drops and when, the timeout's forms, and the same macro on `block_on` and tokio
//! with real, short timeouts. Also the `wait_for_eternity` example's exact output.

// The example declares its own `mod common;` beside this file's: loaded twice on purpose.
#![allow(clippy::duplicate_mod)]

use std::cell::RefCell;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::{Duration, Instant};

use corio::{TimeoutError, create_task, sleep, time, wait_for};

mod support;
// `say!` in the included example reaches `crate::common`.
use support::common;
use support::{DropCounter, panic_message, run_example, run_virtual, yield_once};

#[allow(dead_code)]
#[path = "../examples/wait_for_eternity.rs"]
mod wait_for_eternity;

/// Sleeps `secs`, then returns `value`.
async fn after<T>(secs: f64, value: T) -> T {
    sleep(secs).await;
    value
}

#[test]
fn the_future_finishes_in_time() {
    let out = run_virtual(async { (wait_for!(after(1.0, "done"), 2).await, time()) });
    assert_eq!(out, (Ok("done"), 1.0));
}

#[test]
fn the_timeout_comes_first() {
    let out = run_virtual(async { (wait_for!(after(3600.0, "yay!"), 1.5).await, time()) });
    assert_eq!(out, (Err(TimeoutError), 1.5));
}

#[test]
fn a_ready_future_never_times_out() {
    let out = run_virtual(async {
        [
            wait_for!(async { 1 }, 0).await,
            wait_for!(async { 2 }, -1).await,
            wait_for!(async { 3 }, -0.5).await,
            wait_for!(async { 4 }, Duration::ZERO).await,
            wait_for!(async { 5 }, 1e-9).await,
        ]
    });
    assert_eq!(out, [Ok(1), Ok(2), Ok(3), Ok(4), Ok(5)]);
}

#[test]
fn a_timeout_of_zero_or_less_times_out_at_the_first_pending_poll() {
    let out = run_virtual(async {
        let drops = DropCounter::default();
        let token = drops.token();
        let zero = wait_for!(
            async move {
                let _token = token;
                yield_once().await;
            },
            0
        )
        .await;
        let negative = wait_for!(yield_once(), -3).await;
        (zero, negative, drops.count(), time())
    });
    assert_eq!(out, (Err(TimeoutError), Err(TimeoutError), 1, 0.0));
}

#[test]
fn the_inner_future_is_polled_first_at_every_poll() {
    // The deadline passes while the future is ready too: the future's output wins.
    let out = run_virtual(async {
        let mut waiting = pin!(wait_for!(after(1.0, "inner"), 0.5));
        // First poll arms both timers; then let the clock pass both deadlines before the
        // next poll.
        poll_fn(|cx| {
            assert!(waiting.as_mut().poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
        sleep(2).await;
        (waiting.await, time())
    });
    assert_eq!(out, (Ok("inner"), 2.0));
}

/// A future that finishes at exactly the deadline wins: both timers come due in one pass and
/// wake the task once; the future is polled first. This holds whether the future's timer was
/// armed before the deadline's (polled first) or after it (behind a `sleep(0)`).
#[test]
fn a_tie_at_the_deadline_goes_to_the_future() {
    let out = run_virtual(async {
        let armed_first = wait_for!(after(1.0, "armed first"), 1).await;
        let armed_later = wait_for!(
            async {
                sleep(0).await;
                after(1.0, "armed later").await
            },
            1
        )
        .await;
        (armed_first, armed_later, time())
    });
    assert_eq!(out, (Ok("armed first"), Ok("armed later"), 2.0));
}

/// A task that would finish at the deadline finishes one loop pass after its timer fires (its
/// awaiter is woken when it is done), so the deadline, which fired in the same pass, wins, and
/// the task is cancelled: asyncio gives the same result (its timeout is armed first). The
/// task's step was already queued, so it drops its future right after the error returns, in
/// the same pass (the documented exception).
#[test]
fn a_task_finishing_at_the_deadline_loses_and_is_cancelled() {
    let out = run_virtual(async {
        let drops = DropCounter::default();
        let token = drops.token();
        let task = create_task(async move {
            let _token = token;
            after(1.0, "task").await
        });
        let result = wait_for!(task, 1).await.map(Result::ok);
        let dropped_at_error = drops.count();
        sleep(0).await;
        (result, dropped_at_error, drops.count(), time())
    });
    assert_eq!(out, (Err(TimeoutError), 0, 1, 1.0));
}

#[test]
fn none_means_no_timeout() {
    let out = run_virtual(async {
        let bare = wait_for!(after(3600.0, 1), None).await;
        let keyword = wait_for!(after(3600.0, 2), timeout = None).await;
        let typed: Option<Duration> = None;
        let typed = wait_for!(after(3600.0, 3), typed).await;
        (bare, keyword, typed, time())
    });
    assert_eq!(out, (Ok(1), Ok(2), Ok(3), 10_800.0));
}

#[test]
fn timeouts_of_every_form() {
    let out = run_virtual(async {
        let mut ends = Vec::new();
        let _ = wait_for!(sleep(10), 1).await;
        ends.push(time());
        let _ = wait_for!(sleep(10), 0.25f32).await;
        ends.push(time());
        let _ = wait_for!(sleep(10), Duration::from_millis(500)).await;
        ends.push(time());
        let _ = wait_for!(sleep(10), &Duration::from_millis(250)).await;
        ends.push(time());
        let _ = wait_for!(sleep(10), Some(2u8)).await;
        ends.push(time());
        let _ = wait_for!(sleep(10), timeout = 1.0,).await;
        ends.push(time());
        ends
    });
    assert_eq!(out, [1.0, 1.25, 1.75, 2.0, 4.0, 5.0]);
}

#[test]
fn a_bad_timeout_panics_where_wait_for_is_called() {
    let message = panic_message(|| drop(wait_for!(async {}, f64::NAN)));
    assert!(message.contains("delay NaN"), "{message}");
    let message = panic_message(|| drop(wait_for!(async {}, f64::INFINITY)));
    assert!(message.contains("infinite"), "{message}");
    let message = panic_message(|| drop(wait_for!(async {}, Some(u64::MAX))));
    assert!(message.contains("overflows"), "{message}");
}

#[test]
fn the_inner_future_is_dropped_before_the_error_returns() {
    let out = run_virtual(async {
        let drops = DropCounter::default();
        let token = drops.token();
        let result = wait_for!(
            async move {
                let _token = token;
                sleep(3600).await;
            },
            1
        )
        .await;
        (result, drops.count(), time())
    });
    assert_eq!(out, (Err(TimeoutError), 1, 1.0));
}

/// asyncio's `wait_for` cancels the task it was waiting on and waits until it is cancelled.
/// corio's cancellation drops the task's future at the task's next step; `wait_for!` lets that
/// step run before it returns the error, at the same loop time.
#[test]
fn a_task_awaited_inside_is_cancelled_by_the_time_the_error_returns() {
    let out = run_virtual(async {
        let drops = DropCounter::default();
        let (spawned, passed) = (drops.token(), drops.token());
        let inside = wait_for!(
            async move {
                let task = create_task(async move {
                    let _token = spawned;
                    sleep(3600).await;
                });
                task.await
            },
            1
        )
        .await
        .map(Result::ok);
        let spawned_dropped_at_error = drops.count();
        let task = create_task(async move {
            let _token = passed;
            sleep(3600).await;
        });
        let passed_in = wait_for!(task, 1).await.map(Result::ok);
        (
            inside,
            spawned_dropped_at_error,
            passed_in,
            drops.count(),
            time(),
        )
    });
    assert_eq!(out, (Err(TimeoutError), 1, Err(TimeoutError), 2, 2.0));
}

/// Waiting on `&mut task` leaves the task running after a timeout, as `asyncio.shield` does.
#[test]
fn waiting_on_a_borrowed_task_keeps_it() {
    let out = run_virtual(async {
        let mut task = create_task(after(2.0, "kept"));
        let first = wait_for!(&mut task, 1).await.map(Result::ok);
        let second = wait_for!(&mut task, 5).await.map(Result::ok);
        (first, second, time())
    });
    assert_eq!(out, (Err(TimeoutError), Ok(Some("kept")), 2.0));
}

/// The loop runs tasks in its usual order around a timeout: the deadline's timer joins the
/// queue like any other, in (deadline, arming order).
#[test]
fn timeouts_interleave_with_other_tasks_in_deadline_order() {
    let trace = Rc::new(RefCell::new(Vec::new()));
    let log = |trace: &Rc<RefCell<Vec<String>>>, line: &str| {
        trace.borrow_mut().push(format!("{} {line}", time()));
    };
    run_virtual({
        let trace = trace.clone();
        async move {
            let other = create_task({
                let trace = trace.clone();
                async move {
                    sleep(1).await;
                    log(&trace, "other at 1");
                    sleep(1).await;
                    log(&trace, "other at 2");
                }
            });
            let result = wait_for!(sleep(10), 1.5).await;
            log(&trace, &format!("wait_for {result:?}"));
            other.await.unwrap();
            log(&trace, "done");
        }
    });
    assert_eq!(
        *trace.borrow(),
        [
            "1 other at 1",
            "1.5 wait_for Err(TimeoutError)",
            "2 other at 2",
            "2 done"
        ]
    );
}

/// Drop the `wait_for!` future after 0, 1, 2, ... polls (before, at and after its deadline,
/// and after it returned): the inner future's destructor runs exactly once each time.
#[test]
fn dropping_at_every_poll_point_drops_the_inner_future_once() {
    for timeout in [10.0, 1.2] {
        for polls in 0..6 {
            let (dropped_before, dropped_after) = run_virtual(async {
                let drops = DropCounter::default();
                let token = drops.token();
                let mut waiting = Box::pin(wait_for!(
                    async move {
                        let _token = token;
                        for _ in 0..3 {
                            sleep(0.5).await;
                        }
                    },
                    timeout
                ));
                let mut finished = false;
                for _ in 0..polls {
                    if !finished {
                        poll_fn(|cx| {
                            finished = waiting.as_mut().poll(cx).is_ready();
                            Poll::Ready(())
                        })
                        .await;
                    }
                    sleep(0.5).await;
                }
                let before = drops.count();
                drop(waiting);
                (before, drops.count())
            });
            assert!(dropped_before <= 1, "timeout {timeout}, {polls} polls");
            assert_eq!(dropped_after, 1, "timeout {timeout}, {polls} polls");
        }
    }
}

#[test]
fn polling_again_after_it_returned_panics() {
    let message = panic_message(|| {
        run_virtual(async {
            let mut waiting = pin!(wait_for!(async { 1 }, 1));
            assert_eq!((&mut waiting).await, Ok(1));
            let _ = (&mut waiting).await;
        })
    });
    assert!(
        message.contains("polled again after it returned"),
        "{message}"
    );
}

/// Borrowed data and generic code: the macro's future need not be `'static`.
#[test]
fn borrowed_data_and_generic_code() {
    async fn first_in_time<T: Clone>(items: &[T], timeout: impl corio::IntoDelay) -> Option<T> {
        wait_for!(async { items.first().cloned() }, timeout)
            .await
            .ok()
            .flatten()
    }
    let names = vec![String::from("ann"), String::from("bob")];
    let out = run_virtual(first_in_time(&names, 1));
    assert_eq!(out.as_deref(), Some("ann"));
}

#[test]
fn the_future_is_send_when_the_inner_one_is() {
    fn assert_send<T: Send>(_: &T) {}
    let waiting = wait_for!(async { String::from("x") }, Duration::from_secs(1));
    assert_send(&waiting);
}

// ----- other executors, real clock: the deadline is the portable timer -----

#[test]
fn on_block_on() {
    let ready = futures::executor::block_on(wait_for!(async { 5 }, 0));
    assert_eq!(ready, Ok(5));

    let in_time = futures::executor::block_on(wait_for!(after(0.002, "slept"), 5));
    assert_eq!(in_time, Ok("slept"));

    let start = Instant::now();
    let drops = DropCounter::default();
    let token = drops.token();
    let late = futures::executor::block_on(wait_for!(
        async move {
            let _token = token;
            sleep(60).await;
        },
        Duration::from_millis(5)
    ));
    assert_eq!(late, Err(TimeoutError));
    assert_eq!(drops.count(), 1);
    // Never early; and not an hour.
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_millis(5) && elapsed < Duration::from_secs(30),
        "{elapsed:?}"
    );
}

#[test]
fn on_tokio_current_thread() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let out = rt.block_on(async {
        let late = wait_for!(
            tokio::time::sleep(Duration::from_secs(60)),
            Duration::from_millis(3)
        )
        .await;
        let in_time = wait_for!(
            async {
                tokio::time::sleep(Duration::from_millis(1)).await;
                "tokio sleep"
            },
            5.0
        )
        .await;
        let corio_sleep = wait_for!(after(0.001, "corio sleep"), None).await;
        (late, in_time, corio_sleep)
    });
    assert_eq!(
        out,
        (Err(TimeoutError), Ok("tokio sleep"), Ok("corio sleep"))
    );
}

#[test]
fn on_tokio_multi_thread_with_outputs_crossing_threads() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let out = rt.block_on(async {
        let handles: Vec<_> = (0..4u64)
            .map(|i| {
                tokio::spawn(async move {
                    let fast = wait_for!(
                        async move {
                            tokio::time::sleep(Duration::from_millis(1)).await;
                            format!("fast {i}")
                        },
                        5
                    )
                    .await;
                    let slow = wait_for!(sleep(60), Duration::from_millis(2 + i)).await;
                    (fast, slow)
                })
            })
            .collect();
        let mut outs = Vec::new();
        for handle in handles {
            outs.push(handle.await.unwrap());
        }
        outs
    });
    let expected: Vec<_> = (0..4)
        .map(|i| (Ok(format!("fast {i}")), Err(TimeoutError)))
        .collect();
    assert_eq!(out, expected);
}

// ----- the example -----

#[test]
fn wait_for_eternity_prints_timeout_at_one_second() {
    let ((), lines, end) = run_example(wait_for_eternity::program());
    assert_eq!(lines, [(1.0, String::from("timeout!"))]);
    assert_eq!(end, 1.0);
}
