//! Task wakers: `Send + Sync`, usable from any thread; waking twice queues one step; waking a
//! finished task does nothing. Under real time a wake from another thread unparks the loop.

mod support;

use std::cell::Cell;
use std::future::poll_fn;
use std::rc::Rc;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use corio_runtime::{TaskRef, create_task, current_task, run, sleep};
use support::virtual_run;

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn wakers_and_task_refs_are_send_and_sync() {
    assert_send_sync::<Waker>();
    assert_send_sync::<TaskRef>();
    assert_send_sync::<corio_runtime::Task<u32>>();
}

/// What a probe future shares with the test: how often it was polled, its latest waker, and
/// whether it may finish.
#[derive(Clone, Default)]
struct Probe {
    polls: Rc<Cell<u32>>,
    waker: Rc<Cell<Option<Waker>>>,
    ready: Rc<Cell<bool>>,
}

impl Probe {
    fn future(&self) -> impl std::future::Future<Output = ()> + 'static {
        let probe = self.clone();
        poll_fn(move |cx| {
            probe.polls.set(probe.polls.get() + 1);
            probe.waker.set(Some(cx.waker().clone()));
            if probe.ready.get() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    }
}

#[test]
fn waking_twice_queues_one_step() {
    virtual_run(async {
        let probe = Probe::default();
        let task = create_task(probe.future());
        sleep(0).await;
        assert_eq!(probe.polls.get(), 1);
        let w = probe.waker.take().unwrap();
        w.wake_by_ref();
        w.wake_by_ref();
        sleep(0).await;
        sleep(0).await;
        assert_eq!(probe.polls.get(), 2, "two wakes, one step");
        probe.ready.set(true);
        probe.waker.take().unwrap().wake();
        task.await.unwrap();
        assert_eq!(probe.polls.get(), 3);
    });
}

#[test]
fn waking_a_finished_task_does_nothing() {
    virtual_run(async {
        let probe = Probe::default();
        probe.ready.set(true);
        create_task(probe.future()).await.unwrap();
        let w = probe.waker.take().unwrap();
        w.wake_by_ref();
        thread::spawn(move || w.wake()).join().unwrap();
        sleep(0).await;
        sleep(0).await;
        assert_eq!(probe.polls.get(), 1);
    });
}

#[test]
fn a_wake_from_another_thread_unparks_the_real_time_loop() {
    let started = Instant::now();
    let woken_by_thread = run(async {
        let shared: Arc<Mutex<(bool, Option<Waker>)>> = Arc::default();
        let for_thread = Arc::clone(&shared);
        let helper = thread::spawn(move || {
            thread::sleep(Duration::from_millis(30));
            let waker = {
                let mut state = for_thread.lock().unwrap();
                state.0 = true;
                state.1.take()
            };
            waker.expect("the loop registered a waker").wake();
        });
        poll_fn(|cx| {
            let mut state = shared.lock().unwrap();
            if state.0 {
                Poll::Ready(())
            } else {
                state.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await;
        helper.join().unwrap();
        true
    });
    assert!(woken_by_thread);
    assert!(started.elapsed() >= Duration::from_millis(30));
}

#[test]
fn a_task_can_be_cancelled_from_another_thread() {
    let (to_thread, from_loop) = mpsc::channel::<TaskRef>();
    let canceller = thread::spawn(move || {
        let task = from_loop.recv().unwrap();
        thread::sleep(Duration::from_millis(10));
        assert!(task.cancel());
    });
    let result = run(async move {
        let task = create_task(async move {
            to_thread.send(current_task().unwrap()).unwrap();
            // Would take an hour if the cancel from the other thread were lost.
            sleep(3600).await;
        });
        task.await
    });
    canceller.join().unwrap();
    assert!(result.unwrap_err().is_cancelled());
}

#[test]
fn a_task_handle_can_cancel_from_another_thread() {
    let result = run(async {
        let task = create_task(sleep(3600));
        thread::scope(|s| {
            s.spawn(|| assert!(task.cancel())).join().unwrap();
        });
        task.await
    });
    assert!(result.unwrap_err().is_cancelled());
}
