//! `TaskGroup`, after CPython's test_taskgroups: members run concurrently; the first failure
//! cancels the others (each destructor once); every failure is reported; cancelling the owner
//! or dropping the group cancels the members; nothing outlives the group.

mod support;

use std::cell::Cell;
use std::rc::Rc;

use corio_runtime::__private::wait_for;
use corio_runtime::{TaskGroup, all_tasks, create_task, current_task, sleep, time};
use support::{DropCounter, log_at, take_trace, virtual_run};

#[test]
fn members_run_concurrently_and_join_waits_for_all() {
    virtual_run(async {
        let group = TaskGroup::new();
        let a = group.create_task(async {
            sleep(1).await;
            log_at("a done");
            1
        });
        let b = group.create_task(async {
            sleep(3).await;
            log_at("b done");
            2
        });
        let c = group.create_task_named("c", async {
            sleep(2).await;
            log_at("c done");
            3
        });
        assert_eq!(c.name(), "c");
        assert_eq!(group.len(), 3);
        group.join().await.unwrap();
        log_at("joined");
        assert_eq!(a.await.unwrap() + b.await.unwrap() + c.await.unwrap(), 6);
        // No member outlives the group.
        assert_eq!(all_tasks(), [current_task().unwrap()]);
    });
    assert_eq!(
        take_trace(),
        ["1 a done", "2 c done", "3 b done", "3 joined"]
    );
}

#[test]
fn joining_an_empty_group_returns_at_once() {
    virtual_run(async {
        let group = TaskGroup::new();
        assert!(group.is_empty());
        group.join().await.unwrap();
        assert_eq!(time(), 0.0);
    });
}

#[test]
fn the_first_failure_cancels_the_other_members_once() {
    let drops = DropCounter::default();
    let (t1, t2) = (drops.token(), drops.token());
    let seen = drops.clone();
    virtual_run(async move {
        let group = TaskGroup::new();
        group.create_task(async move {
            let _token = t1;
            sleep(10).await;
            log_at("never: slow member");
        });
        let failing = group.create_task(async {
            sleep(1).await;
            log_at("failing");
            panic!("boom");
        });
        group.create_task(async move {
            let _token = t2;
            sleep(5).await;
            log_at("never: other member");
        });
        let err = group.join().await.unwrap_err();
        log_at("joined");
        assert_eq!(err.panic_messages(), ["boom"]);
        assert_eq!(
            err.to_string(),
            "unhandled errors in a TaskGroup (1 sub-exception)"
        );
        assert_eq!(seen.count(), 2);
        // The failed member's own handle reports the same panic, never a placeholder.
        let own = failing.await.unwrap_err();
        assert_eq!(own.panic_message(), Some("boom"));
        assert_eq!(own.to_string(), "task panicked: boom");
        assert_eq!(all_tasks().len(), 1);
    });
    assert_eq!(drops.count(), 2);
    assert_eq!(take_trace(), ["1 failing", "1 joined"]);
}

#[test]
fn every_failure_is_reported_in_order() {
    virtual_run(async {
        let group = TaskGroup::new();
        for (name, secs) in [("first", 1.0), ("second", 1.0)] {
            group.create_task(async move {
                sleep(secs).await;
                panic!("{name} failed");
            });
        }
        // Cancelled by the first failure before it can fail.
        group.create_task(async {
            sleep(2).await;
            panic!("third failed");
        });
        let err = group.join().await.unwrap_err();
        assert_eq!(time(), 1.0);
        assert_eq!(err.panic_messages(), ["first failed", "second failed"]);
        assert_eq!(
            err.to_string(),
            "unhandled errors in a TaskGroup (2 sub-exceptions)"
        );
        assert_eq!(err.into_failures().len(), 2);
    });
}

#[test]
fn a_cancelled_member_is_not_a_failure() {
    virtual_run(async {
        let group = TaskGroup::new();
        let victim = group.create_task(sleep(10));
        let survivor = group.create_task(async {
            sleep(2).await;
            "survived"
        });
        sleep(1).await;
        victim.cancel();
        group.join().await.unwrap();
        assert_eq!(time(), 2.0);
        assert!(victim.cancelled());
        assert_eq!(survivor.await.unwrap(), "survived");
    });
}

#[test]
fn cancelling_the_owner_cancels_the_members() {
    let drops = DropCounter::default();
    let (t1, t2) = (drops.token(), drops.token());
    virtual_run(async move {
        let owner = create_task(async move {
            let group = TaskGroup::new();
            for token in [t1, t2] {
                group.create_task(async move {
                    let _token = token;
                    sleep(10).await;
                    log_at("never: member");
                });
            }
            let _ = group.join().await;
            log_at("never: owner");
        });
        sleep(1).await;
        owner.cancel();
        assert!(owner.await.unwrap_err().is_cancelled());
        log_at("owner cancelled");
        // The members drop their futures at their next step.
        sleep(0).await;
        assert_eq!(drops.count(), 2);
        assert_eq!(all_tasks().len(), 1);
    });
    assert_eq!(take_trace(), ["1 owner cancelled"]);
}

#[test]
fn a_timeout_on_join_cancels_the_members() {
    let drops = DropCounter::default();
    let token = drops.token();
    virtual_run(async move {
        let group = TaskGroup::new();
        group.create_task(async move {
            let _token = token;
            sleep(10).await;
        });
        assert!(wait_for(group.join(), Some(2_000_000_000)).await.is_err());
        sleep(0).await;
        assert_eq!(drops.count(), 1);
        assert_eq!(time(), 2.0);
    });
}

#[test]
fn dropping_the_group_cancels_the_members() {
    let drops = DropCounter::default();
    let (t1, t2) = (drops.token(), drops.token());
    let started = Rc::new(Cell::new(0));
    let counter = started.clone();
    let seen = drops.clone();
    virtual_run(async move {
        let group = TaskGroup::new();
        let running = counter.clone();
        group.create_task(async move {
            let _token = t1;
            running.set(running.get() + 1);
            sleep(10).await;
        });
        sleep(1).await;
        // One member running, one not started yet.
        let not_started = counter.clone();
        group.create_task(async move {
            let _token = t2;
            not_started.set(not_started.get() + 1);
        });
        drop(group);
        sleep(0).await;
        assert_eq!(seen.count(), 2);
        assert_eq!(all_tasks().len(), 1);
    });
    assert_eq!(started.get(), 1);
    assert_eq!(drops.count(), 2);
}

#[test]
fn a_member_created_after_a_failure_never_runs() {
    let ran = Rc::new(Cell::new(false));
    let flag = ran.clone();
    virtual_run(async move {
        let group = TaskGroup::new();
        group.create_task(async { panic!("early") });
        sleep(0).await;
        assert!(group.failed());
        let late = group.create_task(async move { flag.set(true) });
        assert_eq!(
            format!("{group:?}"),
            "<TaskGroup tasks=1 errors=1 cancelling>"
        );
        let err = group.join().await.unwrap_err();
        assert_eq!(err.panic_messages(), ["early"]);
        assert!(late.await.unwrap_err().is_cancelled());
    });
    assert!(!ran.get());
}

#[test]
fn a_panic_in_the_owner_cancels_the_members() {
    let drops = DropCounter::default();
    let token = drops.token();
    virtual_run(async move {
        let owner = create_task(async move {
            let group = TaskGroup::new();
            group.create_task(async move {
                let _token = token;
                sleep(10).await;
            });
            sleep(1).await;
            panic!("owner failed");
        });
        let err = owner.await.unwrap_err();
        assert_eq!(err.panic_message(), Some("owner failed"));
        sleep(0).await;
        assert_eq!(drops.count(), 1);
    });
}

#[test]
fn members_may_be_added_while_others_run() {
    virtual_run(async {
        let group = TaskGroup::new();
        group.create_task(async {
            sleep(1).await;
            log_at("first");
        });
        sleep(2).await;
        group.create_task(async {
            sleep(1).await;
            log_at("second");
        });
        assert_eq!(format!("{group:?}"), "<TaskGroup tasks=1>");
        group.join().await.unwrap();
        log_at("joined");
    });
    assert_eq!(take_trace(), ["1 first", "3 second", "3 joined"]);
}

#[test]
fn the_error_debug_lists_the_failures() {
    virtual_run(async {
        let group = TaskGroup::new();
        group.create_task(async { panic!("x") });
        let err = group.join().await.unwrap_err();
        assert_eq!(
            format!("{err:?}"),
            "TaskGroupError { failures: [Panicked(\"x\")] }"
        );
    });
}

#[test]
fn dropping_join_at_any_point_drops_each_member_once() {
    for cut in [0, 500_000_000, 1_500_000_000, 2_500_000_000u64] {
        let drops = DropCounter::default();
        let seen = drops.clone();
        let tokens: Vec<_> = (0..3).map(|_| drops.token()).collect();
        let finished = Rc::new(Cell::new(0));
        let count = finished.clone();
        virtual_run(async move {
            let group = TaskGroup::new();
            for (token, secs) in tokens.into_iter().zip(1..) {
                let count = count.clone();
                group.create_task(async move {
                    let _token = token;
                    sleep(secs).await;
                    count.set(count.get() + 1);
                });
            }
            assert!(wait_for(group.join(), Some(cut)).await.is_err());
            sleep(0).await;
            assert_eq!(seen.count(), 3, "cut at {cut} ns");
            assert_eq!(all_tasks().len(), 1);
        });
        assert_eq!(drops.count(), 3);
        assert_eq!(finished.get() as f64, (cut as f64 / 1e9).floor());
    }
}

#[test]
#[should_panic(expected = "corio::TaskGroup::create_task() called with no running event loop")]
fn creating_a_member_outside_a_loop_panics() {
    let group = TaskGroup::new();
    drop(group.create_task(async {}));
}
