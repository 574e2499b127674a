//! Handles are shared, as asyncio's objects are (DESIGN.md 7.4): the sync primitives are
//! `Clone` handles to one primitive, a `Task<T: Clone>` can be awaited from several places,
//! a `TaskRef` can be awaited for the task's end, and `timeout(None)` compiles.

mod support;

use std::rc::Rc;

use corio_runtime::{
    Barrier, BoundedSemaphore, Condition, Event, LifoQueue, Lock, PriorityQueue, Queue, Semaphore,
    Shield, Task, all_tasks, create_task, create_task_named, current_task, shield, sleep, time,
    timeout, timeout_at, wait,
};
use support::{DropCounter, log_at, take_trace, virtual_run};

#[test]
fn a_cloned_lock_is_the_same_lock() {
    virtual_run(async {
        let lock = Lock::new();
        let holder = create_task({
            let lock = lock.clone();
            async move {
                let _guard = lock.acquire().await;
                log_at("holder has it");
                sleep(2).await;
            }
        });
        sleep(1).await;
        assert!(
            lock.locked(),
            "the clone's acquire locked this handle's lock"
        );
        let _guard = lock.acquire().await;
        log_at("main has it");
        holder.await.unwrap();
    });
    assert_eq!(take_trace(), ["0 holder has it", "2 main has it"]);
}

#[test]
fn every_primitive_is_a_clone_handle_to_one_primitive() {
    virtual_run(async {
        let event = Event::new();
        event.clone().set();
        assert!(event.is_set());

        let sem = Semaphore::new(1);
        let permit = sem.clone().try_acquire().map(|p| p.forget());
        assert!(permit.is_some());
        assert_eq!(sem.value(), 0);
        sem.release();

        let bounded = BoundedSemaphore::new(1);
        bounded.clone().try_acquire().unwrap().forget();
        assert!(bounded.locked());
        bounded.release();

        let cond = Condition::new();
        let other = cond.clone();
        let guard = other.acquire().await;
        assert!(cond.locked());
        drop(guard);
        assert!(!cond.locked());

        let lock = Lock::new();
        let over_lock = Condition::with_lock(lock.clone());
        let guard = over_lock.acquire().await;
        assert!(lock.locked(), "Condition::with_lock shares the given lock");
        drop(guard);

        let barrier = Barrier::new(2);
        let other = create_task({
            let barrier = barrier.clone();
            async move { barrier.wait().await }
        });
        // Main arrives first (the other task's first step comes later).
        assert_eq!(barrier.wait().await, Ok(0));
        assert_eq!(other.await.unwrap(), Ok(1));

        let queue = Queue::new(0);
        queue.clone().put_nowait(1).unwrap();
        assert_eq!(queue.get_nowait().unwrap(), 1);
        let lifo = LifoQueue::new(0);
        lifo.clone().put_nowait(1).unwrap();
        lifo.clone().put_nowait(2).unwrap();
        assert_eq!(lifo.get_nowait().unwrap(), 2);
        let prio = PriorityQueue::new(0);
        prio.clone().put_nowait(5).unwrap();
        prio.clone().put_nowait(3).unwrap();
        assert_eq!(prio.get_nowait().unwrap(), 3);
        assert_eq!(prio.qsize(), 1);
    });
}

#[test]
fn a_queue_handle_per_task_without_rc() {
    let got = virtual_run(async {
        let queue: Queue<u32> = Queue::new(1);
        let consumer = create_task({
            let queue = queue.clone();
            async move {
                let mut got = Vec::new();
                while let Ok(item) = queue.get().await {
                    got.push((item, time()));
                    sleep(1).await;
                }
                got
            }
        });
        for i in 0..3 {
            queue.put(i).await.unwrap();
        }
        sleep(5).await;
        queue.shutdown(false);
        consumer.await.unwrap()
    });
    assert_eq!(got, [(0, 0.0), (1, 1.0), (2, 2.0)]);
}

#[test]
fn a_shielded_clone_then_the_task_itself() {
    virtual_run(async {
        let task = create_task(async {
            sleep(1).await;
            String::from("result")
        });
        // asyncio: `await asyncio.shield(t)` then `await t`.
        let shielded = Shield::from_task(task.clone()).await.unwrap();
        assert_eq!((shielded.as_str(), time()), ("result", 1.0));
        assert_eq!(task.await.unwrap(), "result");
    });
}

#[test]
fn a_shield_dropped_on_timeout_leaves_the_clone_running() {
    virtual_run(async {
        let task = create_task(async {
            sleep(3).await;
            7
        });
        let scope = timeout(1);
        let shielded = scope.wrap(Shield::from_task(task.clone())).await;
        assert!(shielded.is_err(), "the wait timed out at 1");
        assert!(!task.done(), "the shield's drop did not cancel the task");
        assert_eq!(task.await.unwrap(), 7);
        assert_eq!(time(), 3.0);
    });
}

#[test]
fn every_clone_awaits_the_same_task_and_gets_its_own_copy() {
    let runs = Rc::new(std::cell::Cell::new(0));
    let out = virtual_run({
        let runs = runs.clone();
        async move {
            let task = create_task(async move {
                runs.set(runs.get() + 1);
                sleep(2).await;
                vec![1, 2]
            });
            let (a, b) = (task.clone(), task.clone());
            let waiters: Vec<Task<(Vec<u32>, f64)>> = [a, b]
                .into_iter()
                .map(|t| create_task(async move { (t.await.unwrap(), time()) }))
                .collect();
            let mut out = Vec::new();
            for waiter in waiters {
                out.push(waiter.await.unwrap());
            }
            out.push((task.await.unwrap(), time()));
            out
        }
    });
    assert_eq!(runs.get(), 1, "one task, run once");
    assert_eq!(
        out,
        [(vec![1, 2], 2.0), (vec![1, 2], 2.0), (vec![1, 2], 2.0)]
    );
}

#[test]
fn a_clone_made_after_the_task_finished_still_gets_the_result() {
    virtual_run(async {
        let task = create_task(async { 5 });
        sleep(1).await;
        assert!(task.done());
        let late = task.clone();
        assert_eq!(late.await.unwrap(), 5);
        assert_eq!(task.await.unwrap(), 5);
    });
}

#[test]
fn clones_share_one_panic_payload() {
    virtual_run(async {
        let task = create_task(async {
            sleep(1).await;
            panic!("boom")
        });
        let other: Task<u8> = task.clone();
        let first = task.await.unwrap_err();
        let second = other.await.unwrap_err();
        assert_eq!(first.panic_message(), Some("boom"));
        assert_eq!(second.to_string(), "task panicked: boom");
        // The original payload goes to the first `into_panic`; the next gets the message.
        let original = first.into_panic();
        assert_eq!(original.downcast_ref::<&str>(), Some(&"boom"));
        let copy = second.into_panic();
        assert_eq!(
            copy.downcast_ref::<String>().map(String::as_str),
            Some("boom")
        );
    });
}

#[test]
fn the_task_runs_on_when_every_clone_is_dropped_unawaited() {
    let drops = DropCounter::default();
    let token = drops.token();
    virtual_run(async move {
        let task = create_task(async move {
            let _token = token;
            sleep(2).await;
            log_at("finished");
        });
        let clone = task.clone();
        drop(task);
        drop(clone);
        sleep(3).await;
    });
    assert_eq!(drops.count(), 1);
    assert_eq!(take_trace(), ["2 finished"]);
}

#[test]
fn an_abandoned_await_on_a_clone_cancels_the_task_as_asyncio_does() {
    virtual_run(async {
        let task = create_task(async {
            sleep(5).await;
            1
        });
        // A task whose whole body is awaiting a clone.
        let waiter = create_task(task.clone());
        sleep(1).await;
        waiter.cancel();
        let err = task.await.unwrap_err();
        assert!(err.is_cancelled());
        assert_eq!(time(), 1.0);
    });
}

#[test]
fn wait_and_shield_take_clones() {
    virtual_run(async {
        let quick = create_task(async {
            sleep(1).await;
            "quick"
        });
        let (done, pending) = wait([quick.clone()], corio_runtime::ReturnWhen::AllCompleted).await;
        assert_eq!((done.len(), pending.len()), (1, 0));
        assert_eq!(shield(async { 2 }).await.unwrap(), 2);
        assert_eq!(quick.await.unwrap(), "quick");
    });
}

#[test]
fn a_task_ref_is_awaited_for_the_task_end() {
    virtual_run(async {
        let task = create_task(async {
            sleep(2).await;
            log_at("background done");
        });
        sleep(0).await;
        let background = all_tasks()
            .into_iter()
            .find(|t| Some(t) != current_task().as_ref())
            .unwrap();
        assert!(!background.done());
        (&background).await;
        log_at("ref awaited");
        assert!(background.done());
        // Already finished: ready at once.
        background.clone().await;
        // The result stays with the `Task` handle.
        task.await.unwrap();
    });
    assert_eq!(take_trace(), ["2 background done", "2 ref awaited"]);
}

#[test]
fn a_task_ref_await_sees_cancellation_and_panic_as_the_end() {
    virtual_run(async {
        let doomed = create_task(async { sleep(10).await });
        let crashing = create_task(async {
            sleep(1).await;
            panic!("crash")
        });
        sleep(0).await;
        let refs: Vec<_> = all_tasks()
            .into_iter()
            .filter(|t| Some(t) != current_task().as_ref())
            .collect();
        assert_eq!(refs.len(), 2);
        refs[1].clone().await;
        assert_eq!(time(), 1.0);
        doomed.cancel();
        refs[0].clone().await;
        assert_eq!(time(), 1.0);
        assert!(doomed.await.unwrap_err().is_cancelled());
        assert!(crashing.await.unwrap_err().is_panic());
    });
}

#[test]
fn timeout_none_and_timeout_at_none_compile_and_never_expire() {
    virtual_run(async {
        let scope = timeout(None);
        assert_eq!(scope.when(), None);
        assert_eq!(scope.wrap(sleep(100)).await, Ok(()));
        let at = timeout_at(None);
        assert_eq!(at.when(), None);
        assert_eq!(timeout(Some(1.5)).when(), Some(101.5));
    });
}

#[test]
fn a_handle_outlives_its_awaited_clones() {
    virtual_run(async {
        let task = create_task_named("worker", async { 3_u32 });
        let clone = task.clone();
        assert_eq!(clone.await.unwrap(), 3);
        sleep(1).await;
        // The clone that took the result is gone; this handle still reads the task.
        assert!(task.done() && !task.cancelled());
        assert_eq!(task.name(), "worker");
        assert_eq!(format!("{task:?}"), "<Task finished name='worker'>");
        assert_eq!(task.await.unwrap(), 3);
    });
}
