//! A failure is an `Err` or a panic (DESIGN.md 7.3): `create_task_try` makes a task whose
//! `Err` counts as an exception (`wait(FirstException)` ends on it); a `TaskGroup<E>` member
//! made with `create_task_try` fails the group with its `Err`, which the group keeps whole
//! (no `E: Clone`), while the member's own handle names it; the group is a `Clone` handle
//! members use to add siblings.

mod support;

use std::fmt;
use std::io;

use corio_runtime::{
    ReturnWhen, Task, TaskFailure, TaskGroup, create_task, create_task_try, sleep, time, wait,
};
use support::{DropCounter, log_at, take_trace, virtual_run};

/// An error that is not `Clone`, as `io::Error` is not.
#[derive(Debug, PartialEq)]
struct Refused(u16);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "refused on port {}", self.0)
    }
}

#[test]
fn an_err_member_fails_the_group_and_siblings_are_cancelled_one_pass_later() {
    let drops = DropCounter::default();
    let (slow_token, quick_token) = (drops.token(), drops.token());
    let seen = drops.clone();
    virtual_run(async move {
        let group = TaskGroup::with_errors();
        let slow = group.create_task(async move {
            let _token = slow_token;
            sleep(5).await;
            log_at("never: slow");
        });
        let failing = group.create_task_try(async {
            sleep(1).await;
            log_at("failing");
            Err::<u8, _>(Refused(80))
        });
        // Its step at 1 was queued in the failing pass: it still runs, and fails too.
        let also = group.create_task_try(async move {
            let _token = quick_token;
            sleep(1).await;
            log_at("also failing");
            Err::<u8, _>(Refused(443))
        });
        let err = group.join().await.unwrap_err();
        log_at("joined");
        assert_eq!(
            err.to_string(),
            "unhandled errors in a TaskGroup (2 sub-exceptions)"
        );
        let errors: Vec<&Refused> = err.failures().iter().filter_map(TaskFailure::err).collect();
        assert_eq!(errors, [&Refused(80), &Refused(443)]);
        assert_eq!(
            format!("{err:?}"),
            "TaskGroupError { failures: [Err(Refused(80)), Err(Refused(443))] }"
        );
        assert_eq!(seen.count(), 2);
        // The failing members' own handles name their errors; no placeholder.
        let own = failing.await.unwrap_err();
        assert!(!own.is_cancelled() && !own.is_panic() && own.is_group_failure());
        assert_eq!(own.to_string(), "task failed: refused on port 80");
        assert_eq!(format!("{own:?}"), r#"Failed("refused on port 80")"#);
        assert_eq!(
            also.await.unwrap_err().to_string(),
            "task failed: refused on port 443"
        );
        assert!(slow.await.unwrap_err().is_cancelled());
    });
    assert_eq!(take_trace(), ["1 failing", "1 also failing", "1 joined"]);
}

#[test]
fn panics_and_errs_are_listed_in_the_order_they_happened() {
    virtual_run(async {
        let group: TaskGroup<String> = TaskGroup::with_errors();
        group.create_task_try(async {
            sleep(2).await;
            Err::<(), _>(String::from("late err"))
        });
        group.create_task(async {
            sleep(2).await;
            panic!("early panic")
        });
        let ok = group.create_task_try(async { Ok(7) });
        let err = group.join().await.unwrap_err();
        assert_eq!(time(), 2.0);
        assert_eq!(
            format!("{err:?}"),
            r#"TaskGroupError { failures: [Err("late err"), Panicked("early panic")] }"#
        );
        assert_eq!(err.panic_messages(), ["early panic"]);
        let shown: Vec<String> = err.failures().iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["late err", "task panicked: early panic"]);
        assert!(err.failures()[1].is_panic());
        assert_eq!(ok.await.unwrap(), 7);
    });
}

#[test]
fn a_group_of_io_errors_goes_into_anyhow_with_question_mark() {
    async fn download_all() -> anyhow::Result<u32> {
        let group = TaskGroup::<io::Error>::with_errors();
        let size = group.create_task_try(async { Ok(10_u32) });
        group.create_task_try(async {
            sleep(1).await;
            Err::<(), _>(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "reset by peer",
            ))
        });
        group.join().await?;
        Ok(size.await?)
    }
    let err = virtual_run(download_all()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unhandled errors in a TaskGroup (1 sub-exception)"
    );
    let group_err = err
        .downcast::<corio_runtime::TaskGroupError<io::Error>>()
        .expect("the TaskGroupError inside");
    let io = group_err.into_failures().pop().unwrap().into_err().unwrap();
    assert_eq!(io.kind(), io::ErrorKind::ConnectionReset);
}

#[test]
fn a_group_of_anyhow_errors_works() {
    virtual_run(async {
        let group = TaskGroup::<anyhow::Error>::with_errors();
        let task = group.create_task_try(async {
            anyhow::ensure!(1 + 1 == 3, "arithmetic is off");
            Ok(())
        });
        let err = group.join().await.unwrap_err();
        let failure = err.into_failures().pop().unwrap();
        assert_eq!(failure.to_string(), "arithmetic is off");
        assert_eq!(
            task.await.unwrap_err().to_string(),
            "task failed: arithmetic is off"
        );
    });
}

#[test]
fn a_member_adds_siblings_through_a_clone_and_join_waits_for_them() {
    virtual_run(async {
        let group = TaskGroup::new();
        let handle = group.clone();
        group.create_task(async move {
            sleep(1).await;
            log_at("parent adds a sibling");
            let sibling = handle.clone();
            handle.create_task(async move {
                sleep(2).await;
                log_at("sibling adds another");
                sibling.create_task(async {
                    sleep(1).await;
                    log_at("last");
                });
            });
        });
        group.join().await.unwrap();
        log_at("joined");
    });
    assert_eq!(
        take_trace(),
        [
            "1 parent adds a sibling",
            "3 sibling adds another",
            "4 last",
            "4 joined"
        ]
    );
}

#[test]
fn dropping_a_clone_cancels_nothing_dropping_the_owner_does() {
    let drops = DropCounter::default();
    let token = drops.token();
    virtual_run(async move {
        let group = TaskGroup::new();
        let member = group.create_task(async move {
            let _token = token;
            sleep(10).await;
        });
        drop(group.clone());
        sleep(1).await;
        assert!(!member.done());
        drop(group);
        sleep(0).await;
        assert!(member.await.unwrap_err().is_cancelled());
        assert_eq!(time(), 1.0);
    });
    assert_eq!(drops.count(), 1);
}

#[test]
#[should_panic(
    expected = "corio::TaskGroup::create_task(): the group has been joined (asyncio: TaskGroup is finished)"
)]
fn adding_a_member_after_join_is_a_clear_bug() {
    virtual_run(async {
        let group = TaskGroup::new();
        let handle = group.clone();
        group.join().await.unwrap();
        handle.create_task(async {});
    });
}

#[test]
fn create_task_try_gives_the_result_as_it_is() {
    virtual_run(async {
        let failed = create_task_try(async { Err::<u8, _>(Refused(22)) });
        let fine = create_task_try(async { Ok::<u8, Refused>(1) });
        sleep(0).await;
        assert_eq!(
            format!("{failed:?}"),
            "<Task finished exception=Err name='Task-2'>"
        );
        assert_eq!(format!("{fine:?}"), "<Task finished name='Task-3'>");
        assert_eq!(failed.await.unwrap(), Err(Refused(22)));
        assert_eq!(fine.await.unwrap(), Ok(1));
    });
}

/// A fallible task that sleeps `secs`, then returns `Ok(secs)` or `Err`.
fn fallible(secs: u32, fail: bool) -> Task<Result<u32, Refused>> {
    create_task_try(async move {
        sleep(secs).await;
        if fail {
            Err(Refused(secs as u16))
        } else {
            Ok(secs)
        }
    })
}

#[test]
fn wait_first_exception_ends_on_the_err_of_a_fallible_task() {
    virtual_run(async {
        let tasks = vec![fallible(1, false), fallible(2, true), fallible(5, false)];
        let (done, pending) = wait(tasks, ReturnWhen::FirstException).await;
        assert_eq!(time(), 2.0);
        assert_eq!((done.len(), pending.len()), (2, 1));
        let mut results = Vec::new();
        for task in done {
            results.push(task.await.unwrap());
        }
        assert_eq!(results, [Ok(1), Err(Refused(2))]);
        assert!(!pending[0].done(), "pending tasks run on");
    });
}

#[test]
fn wait_first_exception_ignores_the_err_of_a_plain_task() {
    virtual_run(async {
        // `create_task` cannot see that its output is a `Result`: an `Err` there is a value.
        let tasks = vec![
            create_task(async {
                sleep(1).await;
                Err::<u32, Refused>(Refused(1))
            }),
            create_task(async {
                sleep(3).await;
                Ok(3)
            }),
        ];
        let (done, pending) = wait(tasks, ReturnWhen::FirstException).await;
        assert_eq!(time(), 3.0);
        assert_eq!((done.len(), pending.len()), (2, 0));
    });
}

#[test]
fn wait_first_exception_ends_on_a_group_members_err() {
    virtual_run(async {
        let group = TaskGroup::with_errors();
        let failing = group.create_task_try(async {
            sleep(1).await;
            Err::<u32, _>(Refused(1))
        });
        let slow = group.create_task_try(async {
            sleep(4).await;
            Ok(4)
        });
        let (done, pending) = wait([failing, slow], ReturnWhen::FirstException).await;
        assert_eq!(time(), 1.0);
        assert_eq!((done.len(), pending.len()), (1, 1));
        let err = group.join().await.unwrap_err();
        assert_eq!(err.failures().len(), 1);
    });
}
