//! Timeout scopes, after CPython's test_timeouts: expiry at the exact loop time, `reschedule`
//! earlier / later / to `None` while the future runs (from inside and from another task),
//! `when()`, `expired()` before and after, misuse errors, and asyncio's repr.

mod support;

use corio_runtime::{TimeoutError, create_task, sleep, time, timeout, timeout_at};
use support::{DropCounter, log_at, take_trace, virtual_run};

#[test]
fn expires_at_the_exact_loop_time_and_drops_the_future_once() {
    let drops = DropCounter::default();
    let token = drops.token();
    let seen = drops.clone();
    virtual_run(async move {
        let scope = timeout(2);
        assert_eq!(scope.when(), Some(2.0));
        assert!(!scope.expired());
        let result = scope
            .wrap(async move {
                let _token = token;
                sleep(10).await;
                log_at("never printed");
            })
            .await;
        log_at("timed out");
        assert_eq!(result, Err(TimeoutError));
        assert!(scope.expired());
        assert_eq!(seen.count(), 1);
    });
    assert_eq!(drops.count(), 1);
    assert_eq!(take_trace(), ["2 timed out"]);
}

#[test]
fn a_future_that_finishes_in_time_gives_its_value() {
    virtual_run(async {
        let scope = timeout(2.5);
        let out = scope
            .wrap(async {
                sleep(1).await;
                "in time"
            })
            .await;
        assert_eq!(out, Ok("in time"));
        assert_eq!(time(), 1.0);
        assert!(!scope.expired());
        assert_eq!(scope.when(), Some(2.5));
        assert_eq!(format!("{scope:?}"), "<Timeout [finished]>");
    });
}

#[test]
fn at_an_exact_tie_the_future_wins() {
    virtual_run(async {
        let scope = timeout(1);
        assert_eq!(scope.wrap(sleep(1)).await, Ok(()));
        assert!(!scope.expired());
    });
}

#[test]
fn when_is_the_deadline_in_loop_time() {
    virtual_run(async {
        sleep(1).await;
        assert_eq!(timeout(2).when(), Some(3.0));
        assert_eq!(
            timeout(std::time::Duration::from_millis(500)).when(),
            Some(1.5)
        );
        assert_eq!(timeout(None).when(), None);
        assert_eq!(timeout_at(5.0).when(), Some(5.0));
        assert_eq!(timeout_at(None).when(), None);
    });
}

#[test]
fn timeout_at_a_past_time_expires_at_the_first_poll() {
    virtual_run(async {
        sleep(3).await;
        let scope = timeout_at(1.0);
        let result = scope.wrap(sleep(1)).await;
        assert_eq!(result, Err(TimeoutError));
        assert_eq!(time(), 3.0);
        assert!(scope.expired());
        // A ready future is never timed out, even so.
        assert_eq!(timeout_at(0.0).wrap(async { 5 }).await, Ok(5));
    });
}

#[test]
fn no_deadline_waits_as_long_as_it_takes() {
    virtual_run(async {
        let scope = timeout_at(None);
        assert_eq!(scope.wrap(sleep(3600)).await, Ok(()));
        assert_eq!(time(), 3600.0);
    });
}

#[test]
fn reschedule_earlier_from_inside() {
    virtual_run(async {
        let scope = timeout(10);
        let inner = scope.clone();
        let result = scope
            .wrap(async move {
                sleep(1).await;
                inner.reschedule(time() + 0.5);
                assert_eq!(format!("{inner:?}"), "<Timeout [active] when=1.5>");
                sleep(5).await;
            })
            .await;
        assert_eq!(result, Err(TimeoutError));
        assert_eq!(time(), 1.5);
        assert_eq!(scope.when(), Some(1.5));
    });
}

#[test]
fn reschedule_later_from_inside_lets_the_future_finish() {
    virtual_run(async {
        let scope = timeout(2);
        let inner = scope.clone();
        let result = scope
            .wrap(async move {
                sleep(1).await;
                inner.reschedule(5.0);
                sleep(3).await;
                log_at("finished");
            })
            .await;
        assert_eq!(result, Ok(()));
        assert!(!scope.expired());
    });
    assert_eq!(take_trace(), ["4 finished"]);
}

#[test]
fn reschedule_to_none_removes_the_deadline() {
    virtual_run(async {
        let scope = timeout(2);
        let inner = scope.clone();
        let result = scope
            .wrap(async move {
                inner.reschedule(None);
                assert_eq!(format!("{inner:?}"), "<Timeout [active] when=None>");
                sleep(100).await;
            })
            .await;
        assert_eq!(result, Ok(()));
        assert_eq!(time(), 100.0);
        assert_eq!(scope.when(), None);
    });
}

#[test]
fn reschedule_earlier_from_another_task_wakes_the_scope() {
    virtual_run(async {
        let scope = timeout(10);
        let other = scope.clone();
        create_task(async move {
            sleep(1).await;
            other.reschedule(time() + 1.0);
        })
        .detach();
        let result = scope.wrap(sleep(5)).await;
        log_at("expired");
        assert_eq!(result, Err(TimeoutError));
    });
    assert_eq!(take_trace(), ["2 expired"]);
}

#[test]
fn reschedule_to_the_past_from_another_task_expires_at_once() {
    virtual_run(async {
        let scope = timeout_at(None);
        let other = scope.clone();
        create_task(async move {
            sleep(1).await;
            other.reschedule(0.0);
        })
        .detach();
        assert_eq!(scope.wrap(sleep(5)).await, Err(TimeoutError));
        assert_eq!(time(), 1.0);
        assert!(scope.expired());
    });
}

#[test]
fn reschedule_before_wrapping_sets_the_deadline() {
    virtual_run(async {
        let scope = timeout_at(None);
        scope.reschedule(2.0);
        assert_eq!(format!("{scope:?}"), "<Timeout [created]>");
        assert_eq!(scope.wrap(sleep(5)).await, Err(TimeoutError));
        assert_eq!(time(), 2.0);
    });
}

#[test]
fn a_task_awaited_inside_is_cancelled_before_the_error_returns() {
    let drops = DropCounter::default();
    let token = drops.token();
    let seen = drops.clone();
    virtual_run(async move {
        let task = create_task(async move {
            let _token = token;
            sleep(10).await;
        });
        assert_eq!(timeout(1).wrap(task).await.unwrap_err(), TimeoutError);
        // The cancelled task's destructors have run when the error returns.
        assert_eq!(seen.count(), 1);
        assert_eq!(time(), 1.0);
    });
}

#[test]
fn dropping_the_wrapper_finishes_the_scope() {
    virtual_run(async {
        let scope = timeout(5);
        let wrapped = scope.wrap(sleep(1));
        assert_eq!(format!("{scope:?}"), "<Timeout [active] when=5.0>");
        drop(wrapped);
        assert!(!scope.expired());
        assert_eq!(format!("{scope:?}"), "<Timeout [finished]>");
    });
}

#[test]
#[should_panic(expected = "cannot change state of expired Timeout")]
fn reschedule_after_expiry_panics() {
    virtual_run(async {
        let scope = timeout(0);
        assert!(scope.wrap(sleep(1)).await.is_err());
        assert_eq!(format!("{scope:?}"), "<Timeout [expired]>");
        scope.reschedule(10.0);
    });
}

#[test]
#[should_panic(expected = "cannot change state of finished Timeout")]
fn reschedule_after_finishing_panics() {
    virtual_run(async {
        let scope = timeout(5);
        scope.wrap(async {}).await.unwrap();
        scope.reschedule(10.0);
    });
}

#[test]
#[should_panic(expected = "this Timeout has already been entered (active)")]
fn wrapping_twice_panics() {
    virtual_run(async {
        let scope = timeout(5);
        let _first = scope.wrap(async {});
        let _second = scope.wrap(async {});
    });
}

#[test]
#[should_panic(expected = "corio::timeout() called with no running event loop")]
fn timeout_outside_a_loop_panics() {
    let _ = timeout(1);
}

#[test]
#[should_panic(expected = "delay NaN")]
fn a_nan_deadline_panics() {
    let _ = timeout_at(f64::NAN);
}

#[test]
fn dropping_the_wrapper_at_any_point_drops_the_future_once() {
    for cut in [0, 500_000_000, 1_500_000_000, 2_500_000_000u64] {
        let drops = DropCounter::default();
        let token = drops.token();
        let seen = drops.clone();
        virtual_run(async move {
            let scope = timeout(10);
            let wrapped = scope.wrap(async move {
                let _token = token;
                for _ in 0..3 {
                    sleep(1).await;
                }
            });
            let given_up = corio_runtime::__private::wait_for(wrapped, Some(cut)).await;
            assert!(given_up.is_err());
            assert_eq!(seen.count(), 1);
            assert!(!scope.expired());
            assert_eq!(format!("{scope:?}"), "<Timeout [finished]>");
        });
        assert_eq!(drops.count(), 1);
    }
}
