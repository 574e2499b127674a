//! `shield`: the inner work keeps running when its awaiter is dropped or cancelled, and its
//! result is kept; the end of the loop still cancels it.

mod support;

use std::cell::Cell;
use std::rc::Rc;

use corio_runtime::__private::wait_for;
use corio_runtime::{Shield, create_task, shield, sleep, time};
use support::{DropCounter, log_at, take_trace, virtual_run};

#[test]
fn awaiting_a_shield_gives_the_result() {
    let out = virtual_run(async {
        let value = shield(async {
            sleep(1).await;
            42
        })
        .await;
        (value.unwrap(), time())
    });
    assert_eq!(out, (42, 1.0));
}

#[test]
fn the_work_finishes_after_its_awaiter_is_cancelled_and_keeps_its_result() {
    let drops = DropCounter::default();
    let token = drops.token();
    let result = Rc::new(Cell::new(None));
    let kept = result.clone();
    virtual_run(async move {
        let awaiter = create_task(async move {
            let value = shield(async move {
                let _token = token;
                sleep(2).await;
                log_at("work done");
                kept.set(Some(7));
                7
            })
            .await;
            log_at("awaiter never gets here");
            value
        });
        sleep(1).await;
        assert!(awaiter.cancel());
        assert!(awaiter.await.unwrap_err().is_cancelled());
        log_at("awaiter cancelled");
        assert_eq!(drops.count(), 0);
        sleep(5).await;
        assert_eq!(drops.count(), 1);
    });
    assert_eq!(result.get(), Some(7));
    assert_eq!(take_trace(), ["1 awaiter cancelled", "2 work done"]);
}

#[test]
fn a_timeout_around_a_shield_leaves_the_work_running() {
    virtual_run(async {
        let shielded = shield(async {
            sleep(3).await;
            log_at("work done");
        });
        let timed_out = wait_for(shielded, Some(1_000_000_000)).await;
        assert!(timed_out.is_err());
        log_at("timed out");
        sleep(5).await;
    });
    assert_eq!(take_trace(), ["1 timed out", "3 work done"]);
}

#[test]
fn the_work_starts_on_a_later_pass_as_a_task() {
    virtual_run(async {
        let shielded = shield(async { log_at("work started") });
        log_at("shield created");
        create_task(async { log_at("earlier task") }).detach();
        shielded.await.unwrap();
        log_at("awaited");
    });
    assert_eq!(
        take_trace(),
        [
            "0 shield created",
            "0 work started",
            "0 earlier task",
            "0 awaited"
        ]
    );
}

#[test]
fn a_panic_in_the_work_reaches_the_awaiter() {
    virtual_run(async {
        let err = shield(async { panic!("inner") }).await.unwrap_err();
        assert_eq!(err.panic_message(), Some("inner"));
    });
}

#[test]
fn shielding_an_existing_task_keeps_it_running_when_the_shield_is_dropped() {
    virtual_run(async {
        let task = create_task(async {
            sleep(2).await;
            "task result"
        });
        let shielded = Shield::from_task(task);
        assert!(!shielded.task().done());
        // Give up on it at 1.0: the task is not cancelled...
        assert!(wait_for(shielded, Some(1_000_000_000)).await.is_err());
        // ...and can still be found and finishes on its own.
        let remaining = corio_runtime::all_tasks();
        assert_eq!(remaining.len(), 2);
        sleep(5).await;
        assert!(remaining[1].done() && !remaining[1].cancelled());
    });
}

#[test]
fn into_task_gives_back_an_ordinary_task() {
    virtual_run(async {
        let shielded = shield(async { 5 });
        let task = shielded.into_task();
        assert_eq!(task.await.unwrap(), 5);
    });
}

#[test]
fn the_end_of_the_loop_cancels_unfinished_shielded_work_once() {
    let drops = DropCounter::default();
    let token = drops.token();
    let seen = drops.clone();
    virtual_run(async move {
        let shielded = shield(async move {
            let _token = token;
            sleep(100).await;
            log_at("never printed");
        });
        drop(shielded);
        sleep(1).await;
        assert_eq!(seen.count(), 0);
    });
    assert_eq!(drops.count(), 1);
    assert!(take_trace().is_empty());
}

#[test]
fn debug_names_the_task() {
    virtual_run(async {
        let shielded = shield(async {});
        assert_eq!(
            format!("{shielded:?}"),
            "Shield(<Task pending name='Task-2'>)"
        );
    });
}

#[test]
fn dropping_the_shield_at_any_point_lets_the_work_finish_once() {
    for cut in [0, 500_000_000, 1_500_000_000, 2_500_000_000u64] {
        let drops = DropCounter::default();
        let token = drops.token();
        let seen = drops.clone();
        virtual_run(async move {
            let shielded = shield(async move {
                let _token = token;
                for _ in 0..3 {
                    sleep(1).await;
                }
                log_at("work done");
            });
            assert!(wait_for(shielded, Some(cut)).await.is_err());
            assert_eq!(seen.count(), 0);
            sleep(10).await;
            assert_eq!(seen.count(), 1);
        });
        assert_eq!(drops.count(), 1);
        assert_eq!(take_trace(), ["3 work done"]);
    }
}
