//! `wait`: asyncio's three `return_when` modes and its timeout, with the loop time it returns
//! at, what lands in `done` and `pending`, and that nothing pending is ever cancelled.

mod support;

use corio_runtime::__private::wait_for;
use corio_runtime::{
    ReturnWhen, Task, TaskError, create_task, create_task_named, sleep, time, wait,
};
use support::{DropCounter, log_at, take_trace, virtual_run};

/// A task named `name` that sleeps `secs`, logs `name done` and returns `name`.
fn after(name: &'static str, secs: f64) -> Task<&'static str> {
    create_task_named(name, async move {
        sleep(secs).await;
        log_at(format!("{name} done"));
        name
    })
}

fn names<T>(tasks: &[Task<T>]) -> Vec<String> {
    tasks.iter().map(|t| t.name().into_owned()).collect()
}

#[test]
fn all_completed_returns_when_the_last_task_finishes() {
    virtual_run(async {
        let tasks = vec![after("c", 3.0), after("a", 1.0), after("b", 2.0)];
        let (done, pending) = wait(tasks, ReturnWhen::AllCompleted).await;
        log_at("wait returned");
        assert_eq!(names(&done), ["c", "a", "b"]); // the order they were given
        assert!(pending.is_empty());
        let mut results = Vec::new();
        for task in done {
            results.push(task.await.unwrap());
        }
        assert_eq!(results, ["c", "a", "b"]);
    });
    assert_eq!(
        take_trace(),
        ["1 a done", "2 b done", "3 c done", "3 wait returned"]
    );
}

#[test]
fn all_completed_is_the_default() {
    assert_eq!(ReturnWhen::default(), ReturnWhen::AllCompleted);
}

#[test]
fn first_completed_returns_at_the_first_finish_and_pending_tasks_run_on() {
    virtual_run(async {
        let tasks = vec![after("slow", 3.0), after("quick", 1.0), after("mid", 2.0)];
        let (done, pending) = wait(tasks, ReturnWhen::FirstCompleted).await;
        log_at("wait returned");
        assert_eq!(names(&done), ["quick"]);
        assert_eq!(names(&pending), ["slow", "mid"]);
        assert!(pending.iter().all(|t| !t.done() && !t.cancelled()));
        // Not cancelled: they finish at their own times.
        let (done, pending) = wait(pending, ReturnWhen::AllCompleted).await;
        log_at("second wait returned");
        assert_eq!(names(&done), ["slow", "mid"]);
        assert!(pending.is_empty());
    });
    assert_eq!(
        take_trace(),
        [
            "1 quick done",
            "1 wait returned",
            "2 mid done",
            "3 slow done",
            "3 second wait returned"
        ]
    );
}

#[test]
fn first_completed_counts_a_cancelled_task() {
    virtual_run(async {
        let a = after("a", 5.0);
        let b = after("b", 5.0);
        let canceller = b.task_ref_for_test();
        create_task(async move {
            sleep(1).await;
            canceller.cancel();
        })
        .detach();
        let (done, pending) = wait([a, b], ReturnWhen::FirstCompleted).await;
        assert_eq!(time(), 1.0);
        assert_eq!(names(&done), ["b"]);
        assert_eq!(names(&pending), ["a"]);
        assert!(done[0].cancelled());
    });
}

/// `all_tasks()` finds a task by name: how a test cancels a task whose handle `wait` owns.
trait TaskRefForTest {
    fn task_ref_for_test(&self) -> corio_runtime::TaskRef;
}

impl<T> TaskRefForTest for Task<T> {
    fn task_ref_for_test(&self) -> corio_runtime::TaskRef {
        corio_runtime::all_tasks()
            .into_iter()
            .find(|t| t.name() == self.name())
            .expect("the task is running")
    }
}

#[test]
fn first_exception_returns_at_the_first_panic() {
    virtual_run(async {
        let boom = create_task_named("boom", async {
            sleep(2).await;
            panic!("boom");
        });
        let tasks = vec![after("a", 1.0), boom, after("c", 3.0)];
        let (done, pending) = wait(tasks, ReturnWhen::FirstException).await;
        log_at("wait returned");
        assert_eq!(names(&done), ["a", "boom"]);
        assert_eq!(names(&pending), ["c"]);
        let mut done = done.into_iter();
        assert_eq!(done.next().unwrap().await.unwrap(), "a");
        let err = done.next().unwrap().await.unwrap_err();
        assert_eq!(err.panic_message(), Some("boom"));
        // `c` still runs.
        assert_eq!(pending.into_iter().next().unwrap().await.unwrap(), "c");
    });
    assert_eq!(take_trace(), ["1 a done", "2 wait returned", "3 c done"]);
}

#[test]
fn first_exception_ignores_cancellation_and_without_a_panic_waits_for_all() {
    virtual_run(async {
        let a = after("a", 1.0);
        let b = after("b", 5.0);
        let c = after("c", 3.0);
        let canceller = b.task_ref_for_test();
        create_task(async move {
            sleep(2).await;
            canceller.cancel();
        })
        .detach();
        let (done, pending) = wait([a, b, c], ReturnWhen::FirstException).await;
        log_at("wait returned");
        assert_eq!(names(&done), ["a", "b", "c"]);
        assert!(pending.is_empty());
        assert!(done[1].cancelled());
    });
    assert_eq!(take_trace(), ["1 a done", "3 c done", "3 wait returned"]);
}

#[test]
fn timeout_returns_pending_tasks_without_cancelling_them() {
    let drops = DropCounter::default();
    let token = drops.token();
    virtual_run(async move {
        let slow = create_task_named("slow", async move {
            let _token = token;
            sleep(2).await;
            log_at("slow done");
            "slow"
        });
        let tasks = vec![after("quick", 1.0), slow];
        let (done, pending) = wait(tasks, ReturnWhen::AllCompleted).timeout(1.5).await;
        log_at("wait returned");
        assert_eq!(names(&done), ["quick"]);
        assert_eq!(names(&pending), ["slow"]);
        assert_eq!(drops.count(), 0);
        assert!(!pending[0].cancelled());
        for task in pending {
            assert_eq!(task.await.unwrap(), "slow");
        }
        assert_eq!(drops.count(), 1);
    });
    assert_eq!(
        take_trace(),
        ["1 quick done", "1.5 wait returned", "2 slow done"]
    );
}

#[test]
fn a_task_that_finishes_before_the_timeout_wins() {
    virtual_run(async {
        let (done, pending) = wait([after("a", 1.0)], ReturnWhen::FirstCompleted)
            .timeout(std::time::Duration::from_secs(5))
            .await;
        assert_eq!(time(), 1.0);
        assert_eq!((done.len(), pending.len()), (1, 0));
    });
    take_trace();
}

#[test]
fn a_timeout_of_none_waits_as_long_as_it_takes() {
    virtual_run(async {
        let (done, _) = wait([after("a", 100.0)], ReturnWhen::AllCompleted)
            .timeout(None::<f64>)
            .await;
        assert_eq!(time(), 100.0);
        assert_eq!(done.len(), 1);
    });
    take_trace();
}

#[test]
fn a_timeout_of_zero_returns_at_once_with_what_is_done() {
    virtual_run(async {
        let finished = create_task_named("finished", async { "finished" });
        sleep(0).await;
        assert!(finished.done());
        let later = after("later", 1.0);
        let (done, pending) = wait([later, finished], ReturnWhen::AllCompleted)
            .timeout(0)
            .await;
        assert_eq!(time(), 0.0);
        assert_eq!(names(&done), ["finished"]);
        assert_eq!(names(&pending), ["later"]);
    });
    take_trace();
}

#[test]
fn a_satisfied_condition_returns_without_yielding() {
    virtual_run(async {
        let task = create_task(async { 7 });
        sleep(0).await;
        sleep(0).await;
        assert!(task.done());
        // Another task is ready; wait must return before it runs.
        create_task(async { log_at("other ran") }).detach();
        let (done, pending) = wait([task], ReturnWhen::AllCompleted).await;
        log_at("wait returned");
        assert!(pending.is_empty());
        assert_eq!(done.into_iter().next().unwrap().await.unwrap(), 7);
        sleep(0).await;
    });
    assert_eq!(take_trace(), ["0 wait returned", "0 other ran"]);
}

#[test]
fn dropping_the_wait_future_cancels_nothing() {
    let drops = DropCounter::default();
    let token = drops.token();
    virtual_run(async move {
        let worker = create_task(async move {
            let _token = token;
            sleep(5).await;
            log_at("worker done");
        });
        // `wait_for!` drops the `wait` future at its deadline.
        let waited = wait_for(
            wait([worker], ReturnWhen::AllCompleted),
            Some(1_000_000_000),
        );
        assert!(waited.await.is_err());
        log_at("gave up waiting");
        assert_eq!(drops.count(), 0);
        sleep(10).await;
        assert_eq!(drops.count(), 1);
    });
    assert_eq!(take_trace(), ["1 gave up waiting", "5 worker done"]);
}

#[test]
fn done_tasks_give_their_errors_when_awaited() {
    virtual_run(async {
        let panics = create_task(async { panic!("bad") });
        let cancelled = create_task(sleep(10));
        cancelled.cancel();
        let (done, _) = wait([panics, cancelled], ReturnWhen::AllCompleted).await;
        let errors: Vec<TaskError> = {
            let mut errors = Vec::new();
            for task in done {
                errors.push(task.await.unwrap_err());
            }
            errors
        };
        assert_eq!(errors[0].panic_message(), Some("bad"));
        assert!(errors[1].is_cancelled());
        assert_eq!(time(), 0.0);
    });
}

#[test]
#[should_panic(expected = "corio::wait(): Set of Tasks/Futures is empty")]
fn waiting_for_no_tasks_panics() {
    drop(wait(Vec::<Task<()>>::new(), ReturnWhen::AllCompleted));
}

#[test]
#[should_panic(expected = "delay NaN")]
fn a_nan_timeout_panics() {
    virtual_run(async {
        drop(wait([create_task(async {})], ReturnWhen::AllCompleted).timeout(f64::NAN));
    });
}

#[test]
fn pending_tasks_can_be_waited_for_again_many_times() {
    virtual_run(async {
        let mut pending: Vec<_> = (1..=4).map(|i| create_task(sleep(i))).collect();
        let mut rounds = Vec::new();
        while !pending.is_empty() {
            let (done, rest) = wait(pending, ReturnWhen::FirstCompleted).await;
            rounds.push((time(), done.len()));
            pending = rest;
        }
        assert_eq!(rounds, [(1.0, 1), (2.0, 1), (3.0, 1), (4.0, 1)]);
    });
}

/// The loop times at which the tests below give up: before the first poll, and between each
/// task's end.
const CUTS_NS: [u64; 4] = [0, 500_000_000, 1_500_000_000, 2_500_000_000];

#[test]
fn dropping_the_wait_at_any_point_cancels_nothing_and_drops_each_task_once() {
    for cut in CUTS_NS {
        let drops = DropCounter::default();
        let seen = drops.clone();
        let tokens: Vec<_> = (0..3).map(|_| drops.token()).collect();
        virtual_run(async move {
            let tasks: Vec<Task<u64>> = tokens
                .into_iter()
                .zip(1..)
                .map(|(token, secs)| {
                    create_task(async move {
                        let _token = token;
                        sleep(secs).await;
                        secs
                    })
                })
                .collect();
            let waited = wait_for(wait(tasks, ReturnWhen::AllCompleted), Some(cut)).await;
            assert!(waited.is_err(), "cut at {cut} ns");
            assert_eq!(seen.count() as f64, (cut as f64 / 1e9).floor());
            sleep(10).await;
            assert_eq!(seen.count(), 3);
        });
        assert_eq!(drops.count(), 3);
    }
}

/// As in CPython (`asyncio.wait` of two `sleep(1)` tasks and a `sleep(2)` one with
/// `FIRST_COMPLETED` returns 2 done, 1 pending): tasks finishing in the same pass are all done.
#[test]
fn first_completed_includes_every_task_that_finished_in_the_same_pass() {
    virtual_run(async {
        let tasks = vec![after("a", 1.0), after("b", 1.0), after("c", 2.0)];
        let (done, pending) = wait(tasks, ReturnWhen::FirstCompleted).await;
        assert_eq!(names(&done), ["a", "b"]);
        assert_eq!(names(&pending), ["c"]);
        assert_eq!(time(), 1.0);
    });
    take_trace();
}
