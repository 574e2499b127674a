//! Eager tasks, as asyncio 3.12's `eager_task_factory`: the first step runs inside
//! `create_eager_task` (or every `create_task` under `Runner::eager_tasks(true)`), until the
//! task first suspends. The expected order below is what CPython 3.12.1 printed for the same
//! program (the Python is in the comment above the test).

mod support;

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use corio_runtime::{
    Event, Runner, Task, TaskGroup, all_tasks, create_eager_task, create_eager_task_named,
    create_task, current_task, get_running_loop, sleep, time,
};
use support::{DropCounter, log, panic_message, take_trace, virtual_run};

/// The current task's name, or `None`, as the Python below prints it.
fn cur() -> String {
    match current_task() {
        Some(task) => task.name().into_owned(),
        None => "None".to_owned(),
    }
}

async fn quick(tag: String) -> String {
    log(format!("{tag}: runs in {}", cur()));
    tag
}

async fn steps(tag: &'static str, n: usize) -> String {
    log(format!("{tag}: start in {}", cur()));
    for i in 0..n {
        sleep(0).await;
        log(format!("{tag}: step {}", i + 1));
    }
    tag.to_owned()
}

async fn waiter(tag: &'static str, event: Event) -> String {
    log(format!("{tag}: waits"));
    event.wait().await;
    log(format!("{tag}: woken in {}", cur()));
    tag.to_owned()
}

async fn spawner(tag: &'static str) -> String {
    log(format!("{tag}: start in {}", cur()));
    let inner = create_eager_task(quick(format!("{tag}/inner")));
    log(format!(
        "{tag}: inner done={}, back in {}",
        py_bool(inner.done()),
        cur()
    ));
    sleep(0).await;
    log(format!("{tag}: end"));
    tag.to_owned()
}

fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// ```python
/// import asyncio
///
/// def eager(coro, name=None):
///     return asyncio.eager_task_factory(asyncio.get_running_loop(), coro, name=name)
///
/// def cur():
///     t = asyncio.current_task()
///     return t.get_name() if t else None
///
/// async def quick(tag):
///     print(f"{tag}: runs in {cur()}")
///     return tag
///
/// async def steps(tag, n):
///     print(f"{tag}: start in {cur()}")
///     for i in range(n):
///         await asyncio.sleep(0)
///         print(f"{tag}: step {i + 1}")
///     return tag
///
/// async def waiter(tag, ev):
///     print(f"{tag}: waits")
///     await ev.wait()
///     print(f"{tag}: woken in {cur()}")
///     return tag
///
/// async def spawner(tag):
///     print(f"{tag}: start in {cur()}")
///     inner = eager(quick(f"{tag}/inner"))
///     print(f"{tag}: inner done={inner.done()}, back in {cur()}")
///     await asyncio.sleep(0)
///     print(f"{tag}: end")
///     return tag
///
/// def callback():
///     t = eager(quick("callback"))
///     print(f"callback: task done={t.done()}, current={cur()}")
///
/// async def main():
///     ev = asyncio.Event()
///     r1 = asyncio.create_task(steps("r1", 2))
///     e1 = eager(steps("e1", 2))
///     print(f"main: e1 created, current={cur()}")
///     e2 = eager(quick("e2"))
///     print(f"main: e2 done={e2.done()}")
///     r2 = asyncio.create_task(quick("r2"))
///     e3 = eager(waiter("e3", ev))
///     e4 = eager(spawner("e4"))
///     asyncio.get_running_loop().call_soon(callback)
///     print("main: before first await")
///     await asyncio.sleep(0)
///     print("main: after first await")
///     ev.set()
///     e5 = eager(steps("e5", 1))
///     print(await asyncio.gather(r1, e1, e2, r2, e3, e4, e5))
///     print("main: end")
///
/// asyncio.run(main())
/// ```
///
/// Run with `~/.pyenv/versions/3.12.1/bin/python3`; its output is the expected trace.
#[test]
fn eager_and_regular_tasks_interleave_as_cpython_3_12() {
    virtual_run(async {
        let event = Event::new();
        let r1 = create_task(steps("r1", 2));
        let e1 = create_eager_task(steps("e1", 2));
        log(format!("main: e1 created, current={}", cur()));
        let e2 = create_eager_task(quick("e2".into()));
        log(format!("main: e2 done={}", py_bool(e2.done())));
        let r2 = create_task(quick("r2".into()));
        let e3 = create_eager_task(waiter("e3", event.clone()));
        let e4 = create_eager_task(spawner("e4"));
        let _ = get_running_loop().call_soon(|| {
            let t = create_eager_task(quick("callback".into()));
            log(format!(
                "callback: task done={}, current={}",
                py_bool(t.done()),
                cur()
            ));
        });
        log("main: before first await");
        sleep(0).await;
        log("main: after first await");
        event.set();
        let e5 = create_eager_task(steps("e5", 1));
        let mut results = Vec::new();
        for task in [r1, e1, e2, r2, e3, e4, e5] {
            results.push(format!("'{}'", task.await.unwrap()));
        }
        log(format!("[{}]", results.join(", ")));
        log("main: end");
    });
    assert_eq!(
        take_trace(),
        [
            "e1: start in Task-3",
            "main: e1 created, current=Task-1",
            "e2: runs in Task-4",
            "main: e2 done=True",
            "e3: waits",
            "e4: start in Task-7",
            "e4/inner: runs in Task-8",
            "e4: inner done=True, back in Task-7",
            "main: before first await",
            "r1: start in Task-2",
            "e1: step 1",
            "r2: runs in Task-5",
            "e4: end",
            "callback: runs in Task-9",
            "callback: task done=True, current=None",
            "main: after first await",
            "e5: start in Task-10",
            "r1: step 1",
            "e1: step 2",
            "e3: woken in Task-6",
            "e5: step 1",
            "r1: step 2",
            "['r1', 'e1', 'e2', 'r2', 'e3', 'e4', 'e5']",
            "main: end",
        ]
    );
}

/// The same program under `Runner::eager_tasks(true)`, every task created with `create_task`:
/// the trace CPython 3.12.1 prints with `loop.set_task_factory(asyncio.eager_task_factory)` at
/// the top of `main` and `asyncio.create_task` everywhere (r1 and r2 become eager too).
///
/// ```python
/// async def main():
///     asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
///     print(f"main in {cur()}")
///     t1 = asyncio.create_task(steps("t1", 1))
///     t2 = asyncio.create_task(quick("t2"))
///     print(f"main: t2 done={t2.done()}, current={cur()}")
///     await asyncio.sleep(0)
///     print("main: after first await")
///     print(await asyncio.gather(t1, t2))
/// ```
#[test]
fn runner_option_makes_every_create_task_eager_but_not_the_main_task() {
    Runner::new().virtual_time().eager_tasks(true).run(async {
        log(format!("main in {}", cur()));
        let t1 = create_task(steps("t1", 1));
        let t2 = create_task(quick("t2".into()));
        log(format!(
            "main: t2 done={}, current={}",
            py_bool(t2.done()),
            cur()
        ));
        sleep(0).await;
        log("main: after first await");
        let results = [t1.await.unwrap(), t2.await.unwrap()];
        log(format!("['{}']", results.join("', '")));
    });
    assert_eq!(
        take_trace(),
        [
            "main in Task-1",
            "t1: start in Task-2",
            "t2: runs in Task-3",
            "main: t2 done=True, current=Task-1",
            "t1: step 1",
            "main: after first await",
            "['t1', 't2']",
        ]
    );
}

/// Counts its polls.
struct CountPolls<F> {
    polls: Rc<Cell<u32>>,
    future: Pin<Box<F>>,
}

impl<F: Future> Future for CountPolls<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.set(self.polls.get() + 1);
        self.future.as_mut().poll(cx)
    }
}

/// A task that finishes without suspending is done when `create_eager_task` returns: polled
/// once, gone from `all_tasks()` (asyncio 3.12 registers it only if it is still pending), its
/// result waiting; and no loop pass stepped it: the task queued before it still runs first
/// in the next pass, and nothing else is queued.
#[test]
fn task_finishing_at_once_is_done_when_created_and_never_queued() {
    virtual_run(async {
        let polls = Rc::new(Cell::new(0));
        let regular = create_task(async { log("regular") });
        let before = all_tasks().len();
        let mut task = create_eager_task(CountPolls {
            polls: polls.clone(),
            future: Box::pin(async {
                log("eager");
                7
            }),
        });
        assert!(task.done());
        assert_eq!(polls.get(), 1);
        // Listed: main and `regular`; the finished eager task is not.
        assert_eq!(before, 2);
        assert_eq!(all_tasks().len(), 2);
        assert_eq!(task.result().unwrap().unwrap(), 7);
        sleep(0).await;
        log("main");
        drop(regular);
        assert_eq!(polls.get(), 1);
    });
    assert_eq!(take_trace(), ["eager", "regular", "main"]);
}

/// Under `Runner::eager_tasks(true)` a task that finishes at once takes no loop pass: a
/// thousand of them in a row have all finished, and left the task registry, before the main
/// task's next line.
#[test]
fn tasks_finishing_at_once_take_no_loop_pass() {
    Runner::new().virtual_time().eager_tasks(true).run(async {
        let done = Rc::new(Cell::new(0));
        let tasks: Vec<Task<()>> = (0..1000)
            .map(|_| {
                let done = done.clone();
                create_task(async move { done.set(done.get() + 1) })
            })
            .collect();
        assert_eq!(done.get(), 1000);
        assert!(tasks.iter().all(Task::done));
        assert_eq!(all_tasks().len(), 1);
    });
}

/// The eager step runs with the new task as the current task; the creator is current again
/// after it, also when the creator is itself in an eager step, and when it suspends.
#[test]
fn current_task_is_the_new_task_during_its_eager_step_and_restored_after() {
    virtual_run(async {
        let main = current_task().unwrap();
        let outer = create_eager_task_named("outer", async {
            let me = current_task().unwrap();
            log(format!("outer step in {}", me.name()));
            let inner = create_eager_task_named("inner", async {
                log(format!("inner step in {}", cur()));
                sleep(0).await;
                log(format!("inner resumed in {}", cur()));
            });
            log(format!("outer after inner in {}", cur()));
            assert_eq!(current_task().unwrap(), me);
            sleep(0).await;
            log(format!("outer resumed in {}", cur()));
            inner.await.unwrap();
        });
        assert_eq!(current_task().unwrap(), main);
        log(format!("main after outer in {}", cur()));
        outer.await.unwrap();
    });
    assert_eq!(
        take_trace(),
        [
            "outer step in outer",
            "inner step in inner",
            "outer after inner in outer",
            "main after outer in Task-1",
            "inner resumed in inner",
            "outer resumed in outer",
        ]
    );
}

/// An eager task that suspended is an ordinary task: cancelling it drops its future at its
/// next step (destructors once), and awaiting it gives a cancelled `TaskError`.
#[test]
fn cancelling_an_eager_task_that_suspended() {
    let drops = DropCounter::default();
    virtual_run({
        let drops = drops.clone();
        async move {
            let token = drops.token();
            let task = create_eager_task(async move {
                let _token = token;
                log("eager step");
                sleep(10).await;
                log("never");
            });
            log("main after create");
            assert!(!task.done());
            sleep(1).await;
            assert!(task.cancel_with("stop"));
            assert_eq!(drops.count(), 0);
            let error = task.await.unwrap_err();
            assert!(error.is_cancelled());
            assert_eq!(error.to_string(), "task was cancelled: stop");
            assert_eq!(drops.count(), 1);
            assert_eq!(time(), 1.0);
        }
    });
    assert_eq!(drops.count(), 1);
    assert_eq!(take_trace(), ["eager step", "main after create"]);
}

/// A panic in the eager step is contained in the task, as in any step: `create_eager_task`
/// returns normally with the task done, the creator's current task is back, and the awaiter
/// gets the panic.
#[test]
fn panic_in_the_eager_step_is_contained_and_reaches_the_awaiter() {
    virtual_run(async {
        let task = create_eager_task_named("boom", async {
            if cur() == "boom" {
                panic!("eager boom");
            }
        });
        assert!(task.done());
        assert_eq!(cur(), "Task-1");
        let error = task.await.unwrap_err();
        assert!(error.is_panic());
        assert_eq!(error.panic_message(), Some("eager boom"));
    });
}

/// A member of a group that already failed is created cancelled, even under
/// `Runner::eager_tasks(true)`: its future never runs.
#[test]
fn failed_group_member_never_starts_eagerly() {
    Runner::new().virtual_time().eager_tasks(true).run(async {
        let group = TaskGroup::new();
        let failing = group.create_task(async {
            sleep(1).await;
            panic!("member fails");
        });
        sleep(2).await;
        assert!(group.failed());
        let late = group.create_task(async { log("never runs") });
        assert!(!late.done());
        assert!(late.await.unwrap_err().is_cancelled());
        assert!(failing.await.unwrap_err().is_panic());
        assert!(group.join().await.is_err());
    });
    assert!(take_trace().is_empty());
}

/// Outside a running loop an eager task cannot start: it panics as `create_task` does
/// (asyncio: `RuntimeError: no running event loop`).
#[test]
fn outside_a_loop_it_panics_as_create_task() {
    let message = panic_message(|| drop(create_eager_task(async {})));
    assert_eq!(
        message,
        "corio::create_task() called with no running event loop; call it inside corio::run()"
    );
}

/// Group members under `Runner::eager_tasks(true)`: one that finishes at once leaves the
/// group before `create_task` returns; one that panics at once fails the group there, and the
/// member still running is cancelled, as for a failure in a later step.
#[test]
fn group_members_start_eagerly_and_fail_the_group_from_their_first_step() {
    Runner::new().virtual_time().eager_tasks(true).run(async {
        let group = TaskGroup::new();
        let slow = group.create_task(async {
            log("slow starts");
            sleep(5).await;
            log("slow never ends");
        });
        let quick = group.create_task(async { 1 });
        assert!(quick.done());
        assert_eq!(group.len(), 1);
        let bad = group.create_task(async {
            log("bad starts");
            panic!("bad at once");
        });
        assert!(bad.done());
        assert!(group.failed());
        log("created");
        let error = group.join().await.unwrap_err();
        assert_eq!(error.panic_messages(), ["bad at once"]);
        assert_eq!(time(), 0.0);
        assert!(slow.await.unwrap_err().is_cancelled());
        assert_eq!(quick.await.unwrap(), 1);
        assert!(bad.await.unwrap_err().is_panic());
    });
    assert_eq!(take_trace(), ["slow starts", "bad starts", "created"]);
}
