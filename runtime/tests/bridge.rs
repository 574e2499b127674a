//! Thread bridges: from another thread, set an `Event`, put into a `Queue` and resolve a
//! `SettableFuture`, each in one safe line, through `EventLoop::threadsafe`.

mod support;

use std::sync::mpsc;
use std::thread;

use corio_runtime::{Event, LoopClosed, Queue, SettableFuture, get_running_loop, run, sleep};
use support::{DropCounter, virtual_run};

#[test]
fn an_event_is_set_from_another_thread() {
    run(async {
        let event = Event::new();
        let remote = get_running_loop().threadsafe(event.clone());
        let setter = thread::spawn(move || remote.call(|event| event.set()));
        event.wait().await;
        assert_eq!(setter.join().unwrap(), Ok(()));
    });
}

#[test]
fn a_queue_is_fed_from_another_thread_in_order() {
    let got = run(async {
        let queue: Queue<u32> = Queue::new(0);
        let remote = get_running_loop().threadsafe(queue.clone());
        thread::spawn(move || {
            for i in 0..3 {
                remote
                    .call(move |queue| queue.put_nowait(i).unwrap())
                    .unwrap();
            }
        });
        let mut got = Vec::new();
        for _ in 0..3 {
            got.push(queue.get().await.unwrap());
        }
        got
    });
    assert_eq!(got, [0, 1, 2]);
}

#[test]
fn a_settable_future_is_resolved_from_another_thread() {
    let value = run(async {
        let fut: SettableFuture<String> = get_running_loop().create_future();
        let remote = get_running_loop().threadsafe(fut.clone());
        thread::spawn(move || remote.call(|fut| fut.set_result("from a thread".into())));
        fut.await.unwrap()
    });
    assert_eq!(value, "from a thread");
}

/// Once the loop has ended, a call is refused, and the object was dropped by the loop's end,
/// on its thread.
#[test]
fn after_the_loop_ends_a_call_is_refused() {
    let drops = DropCounter::default();
    let (send, remote) = mpsc::channel();
    let token = drops.token();
    virtual_run(async move {
        send.send(get_running_loop().threadsafe(token)).unwrap();
    });
    assert_eq!(drops.count(), 1);
    let remote = remote.recv().unwrap();
    let refused = thread::spawn(move || remote.call(|_| unreachable!()))
        .join()
        .unwrap();
    assert_eq!(refused, Err(LoopClosed));
    assert_eq!(LoopClosed.to_string(), "Event loop is closed");
}

/// The last handle's drop, on any thread, drops the object on the loop while it runs.
#[test]
fn dropping_the_last_handle_drops_the_object_on_the_loop() {
    let drops = DropCounter::default();
    let token = drops.token();
    let seen = drops.clone();
    virtual_run(async move {
        let remote = get_running_loop().threadsafe(token);
        let copy = remote.clone();
        thread::spawn(move || drop(copy)).join().unwrap();
        thread::spawn(move || drop(remote)).join().unwrap();
        // The removal comes as a threadsafe call: within a couple of passes.
        for _ in 0..3 {
            sleep(0).await;
        }
        assert_eq!(seen.count(), 1);
    });
}

#[test]
#[should_panic(expected = "corio: EventLoop::threadsafe() must be called on the loop's own thread")]
fn bridging_from_another_thread_panics() {
    let (send, lp) = mpsc::channel();
    virtual_run(async move { send.send(get_running_loop()).unwrap() });
    let _ = lp.recv().unwrap().threadsafe(1);
}
