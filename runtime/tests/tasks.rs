//! Tasks: results, names, cancellation (destructors run exactly once, at the next step),
//! panic containment, detaching, and the clean-up at the end of `run`.

mod support;

use std::cell::Cell;
use std::future::{Future, poll_fn};
use std::rc::Rc;
use std::task::Poll;

use corio_runtime::{all_tasks, create_task, create_task_named, current_task, sleep, time};
use support::{DropCounter, log, log_at, take_trace, virtual_run};

/// A future that never finishes: only cancellation ends it.
fn forever() -> impl Future<Output = ()> {
    poll_fn(|_| Poll::Pending)
}

#[test]
fn awaiting_a_task_gives_its_value() {
    let out = virtual_run(async {
        let task = create_task(async {
            sleep(1).await;
            42
        });
        task.await.unwrap()
    });
    assert_eq!(out, 42);
}

#[test]
fn tasks_are_named_like_asyncio() {
    virtual_run(async {
        assert_eq!(current_task().unwrap().name(), "Task-1");
        let a = create_task(async { current_task().unwrap().name().into_owned() });
        let b = create_task_named("worker", async {
            current_task().unwrap().name().into_owned()
        });
        assert_eq!(a.name(), "Task-2");
        assert_eq!(b.name(), "worker");
        assert_eq!(format!("{a:?}"), "<Task pending name='Task-2'>");
        assert_eq!(a.await.unwrap(), "Task-2");
        assert_eq!(b.await.unwrap(), "worker");
    });
}

#[test]
fn all_tasks_lists_unfinished_tasks_in_creation_order() {
    virtual_run(async {
        let quick = create_task(async {});
        let _slow = create_task_named("slow", sleep(10));
        let names = |tasks: Vec<corio_runtime::TaskRef>| {
            tasks
                .iter()
                .map(|t| t.name().into_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(all_tasks()), ["Task-1", "Task-2", "slow"]);
        quick.await.unwrap();
        assert_eq!(names(all_tasks()), ["Task-1", "slow"]);
    });
}

#[test]
fn cancel_drops_the_future_once_at_the_next_step() {
    let drops = DropCounter::default();
    let token_drops = drops.clone();
    virtual_run(async move {
        let token = token_drops.token();
        let mut task = create_task(async move {
            let _token = token;
            log_at("started");
            sleep(10).await;
            log_at("never printed");
        });
        sleep(1).await;
        assert!(task.cancel());
        // Marked, not yet dropped: the drop happens at the task's next step.
        assert_eq!(token_drops.count(), 0);
        assert!(!task.done());
        let result = (&mut task).await;
        log_at("awaited");
        assert!(result.unwrap_err().is_cancelled());
        assert!(task.done());
        assert!(task.cancelled());
        assert_eq!(token_drops.count(), 1);
        // The cancelled task's timer is gone: the loop ends without waiting 10 s.
    });
    assert_eq!(drops.count(), 1);
    assert_eq!(take_trace(), ["0 started", "1 awaited"]);
}

#[test]
fn cancel_before_the_first_step_never_polls_the_future() {
    let drops = DropCounter::default();
    let polled = Rc::new(Cell::new(false));
    let (token, flag) = (drops.token(), polled.clone());
    virtual_run(async move {
        let task = create_task(async move {
            let _token = token;
            flag.set(true);
        });
        assert!(task.cancel());
        assert!(task.await.unwrap_err().is_cancelled());
    });
    assert!(!polled.get());
    assert_eq!(drops.count(), 1);
}

#[test]
fn cancel_on_a_finished_task_returns_false() {
    virtual_run(async {
        let mut task = create_task(async { 7 });
        assert_eq!((&mut task).await.unwrap(), 7);
        assert!(task.done());
        assert!(!task.cancel());
        assert!(!task.cancelled());
    });
}

#[test]
fn cancelling_a_task_another_task_awaits() {
    let drops = DropCounter::default();
    let token = drops.token();
    virtual_run(async move {
        let target = create_task_named("target", async move {
            let _token = token;
            sleep(100).await;
            "finished"
        });
        let waiter = create_task(target);
        sleep(1).await;
        let target = all_tasks()
            .into_iter()
            .find(|t| t.name() == "target")
            .unwrap();
        assert!(target.cancel());
        assert!(waiter.await.unwrap().unwrap_err().is_cancelled());
        assert!(target.cancelled());
        assert_eq!(time(), 1.0);
    });
    assert_eq!(drops.count(), 1);
}

#[test]
fn dropping_a_task_while_awaited_cancels_it() {
    let drops = DropCounter::default();
    let token = drops.token();
    let seen = drops.clone();
    virtual_run(async move {
        let inner = create_task(async move {
            let _token = token;
            sleep(100).await;
            log("inner finished");
        });
        // The awaiter holds `inner` and is pending on it when it is cancelled.
        let awaiter = create_task(async move {
            let _ = inner.await;
            log("awaiter finished");
        });
        sleep(1).await;
        awaiter.cancel();
        sleep(0).await; // the awaiter's step drops `inner`, cancelling it
        sleep(0).await; // the inner task's step drops its future
        assert_eq!(all_tasks().len(), 1, "only main is left");
        assert_eq!(seen.count(), 1, "dropped before the loop's clean-up");
    });
    assert_eq!(drops.count(), 1);
    assert!(take_trace().is_empty());
}

#[test]
fn dropping_a_never_polled_task_detaches_it() {
    virtual_run(async {
        drop(create_task(async {
            sleep(1).await;
            log_at("detached task finished");
        }));
        sleep(2).await;
    });
    assert_eq!(take_trace(), ["1 detached task finished"]);
}

#[test]
fn a_panic_is_contained_in_its_task() {
    virtual_run(async {
        let bad = create_task(async {
            sleep(1).await;
            panic!("boom at one second");
        });
        let good = create_task(async {
            sleep(2).await;
            "still running"
        });
        let err = bad.await.unwrap_err();
        assert!(err.is_panic());
        assert_eq!(err.panic_message(), Some("boom at one second"));
        assert_eq!(err.to_string(), "task panicked: boom at one second");
        assert_eq!(good.await.unwrap(), "still running");
        assert_eq!(time(), 2.0);
    });
}

#[test]
fn a_panicking_task_drops_what_it_held_once() {
    let drops = DropCounter::default();
    let token = drops.token();
    virtual_run(async move {
        let task = create_task(async move {
            let _token = token;
            sleep(0).await;
            panic!("with a token");
        });
        assert!(task.await.is_err());
    });
    assert_eq!(drops.count(), 1);
}

#[test]
fn a_panic_in_the_main_future_resumes_after_cleanup() {
    let drops = DropCounter::default();
    let token = drops.token();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        virtual_run(async move {
            create_task(async move {
                let _token = token;
                forever().await;
            });
            sleep(1).await;
            panic!("main failed");
        })
    }));
    let payload = result.unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"main failed"));
    assert_eq!(
        drops.count(),
        1,
        "the leftover task was dropped before run returned"
    );
}

#[test]
fn leftover_tasks_are_cancelled_before_run_returns() {
    let drops = DropCounter::default();
    let tokens: Vec<_> = (0..5).map(|_| drops.token()).collect();
    let seen = drops.clone();
    let out = virtual_run(async move {
        for (i, token) in tokens.into_iter().enumerate() {
            create_task(async move {
                let _token = token;
                if i % 2 == 0 {
                    sleep(1000).await;
                } else {
                    forever().await;
                }
                log("never printed");
            });
        }
        sleep(1).await;
        assert_eq!(seen.count(), 0);
        "main done"
    });
    assert_eq!(out, "main done");
    assert_eq!(drops.count(), 5);
    assert!(take_trace().is_empty());
}

#[test]
fn a_task_can_cancel_itself_at_its_next_await() {
    virtual_run(async {
        let task = create_task(async {
            log("before");
            current_task().unwrap().cancel();
            sleep(0).await;
            log("never printed");
        });
        assert!(task.await.unwrap_err().is_cancelled());
    });
    assert_eq!(take_trace(), ["before"]);
}

#[test]
fn async_cleanup_spawned_from_a_destructor_runs_its_ready_steps() {
    struct SpawnsCleanup;
    impl Drop for SpawnsCleanup {
        fn drop(&mut self) {
            create_task(async {
                log("cleanup step 1");
                sleep(0).await;
                log("cleanup step 2");
            });
        }
    }
    virtual_run(async {
        create_task(async {
            let _guard = SpawnsCleanup;
            forever().await;
        });
        sleep(0).await;
    });
    assert_eq!(take_trace(), ["cleanup step 1", "cleanup step 2"]);
}

#[test]
fn result_is_none_while_running_then_the_result_without_waiting() {
    virtual_run(async {
        let mut ok = create_task(async {
            sleep(1).await;
            7
        });
        let mut crashed = create_task(async {
            sleep(1).await;
            panic!("crash")
        });
        let mut cancelled = create_task(sleep(5));
        assert!(
            ok.result().is_none(),
            "pending: None, as asyncio's InvalidStateError case"
        );
        cancelled.cancel_with("not needed");
        sleep(2).await;
        assert_eq!(ok.result().unwrap().unwrap(), 7);
        assert_eq!(
            crashed.result().unwrap().unwrap_err().to_string(),
            "task panicked: crash"
        );
        let err = cancelled.result().unwrap().unwrap_err();
        assert!(err.is_cancelled());
        assert_eq!(err.to_string(), "task was cancelled: not needed");
        // A clone reads it from a second place.
        let shared = create_task(async { String::from("twice") });
        sleep(0).await;
        let mut other = shared.clone();
        assert_eq!(other.result().unwrap().unwrap(), "twice");
        assert_eq!(shared.await.unwrap(), "twice");
    });
}

#[test]
#[should_panic(expected = "awaited again")]
fn result_taken_twice_panics_as_a_second_await() {
    virtual_run(async {
        let mut task = create_task(async { 1 });
        sleep(0).await;
        assert_eq!(task.result().unwrap().unwrap(), 1);
        let _ = task.result();
    });
}

#[test]
fn set_name_renames_the_task() {
    virtual_run(async {
        let task = create_task(sleep(1));
        task.set_name("renamed");
        assert_eq!(task.name(), "renamed");
        assert_eq!(format!("{task:?}"), "<Task pending name='renamed'>");
        task.await.unwrap();
    });
}
