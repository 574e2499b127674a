//! asyncio's queues (CPython's `test_queues.py` is the reference): FIFO / LIFO / priority
//! order, `maxsize`, the nowait errors, blocked getters and putters woken in order, cancelled
//! waiters passing their wakeup on, `task_done`/`join`, and 3.13's `shutdown`.

mod support;

use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use corio_runtime::{
    GetNowaitError, LifoQueue, PriorityQueue, PutNowaitError, Queue, QueueEmpty, QueueFull,
    QueueShutDown, create_task, sleep, time,
};
use support::{DropCounter, log_at, take_trace, virtual_run};

fn poll_once<F: Future>(fut: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn queue_orders_fifo_lifo_and_priority() {
    let fifo = Queue::new(0);
    let lifo = LifoQueue::new(0);
    let prio = PriorityQueue::new(0);
    for i in [3, 1, 2] {
        fifo.put_nowait(i).unwrap();
        lifo.put_nowait(i).unwrap();
        prio.put_nowait(i).unwrap();
    }
    let drain = |get: &dyn Fn() -> Result<i32, GetNowaitError>| {
        std::iter::from_fn(|| get().ok()).collect::<Vec<_>>()
    };
    assert_eq!(drain(&|| fifo.get_nowait()), [3, 1, 2]);
    assert_eq!(drain(&|| lifo.get_nowait()), [2, 1, 3]);
    assert_eq!(drain(&|| prio.get_nowait()), [1, 2, 3]);
}

#[test]
fn queue_maxsize_full_and_nowait_errors() {
    let q = Queue::new(2);
    assert_eq!(q.maxsize(), 2);
    assert!(q.empty());
    assert!(!q.full());
    assert_eq!(q.get_nowait(), Err(GetNowaitError::Empty(QueueEmpty)));
    q.put_nowait("a").unwrap();
    q.put_nowait("b").unwrap();
    assert!(q.full());
    assert_eq!(q.qsize(), 2);
    let err = q.put_nowait("c").unwrap_err();
    assert_eq!(err.to_string(), "queue is full");
    assert!(matches!(err, PutNowaitError::Full(QueueFull("c"))));
    assert_eq!(err.into_inner(), "c");
    assert_eq!(format!("{q:?}"), "<Queue maxsize=2 tasks=2>");
    assert_eq!(QueueEmpty.to_string(), "queue is empty");
}

#[test]
fn queue_maxsize_zero_is_unbounded() {
    // asyncio: maxsize <= 0 means infinite (a negative maxsize does not compile: usize).
    let q = Queue::new(0);
    for i in 0..100_000 {
        q.put_nowait(i).unwrap();
    }
    assert!(!q.full());
    assert_eq!(q.qsize(), 100_000);
    assert_eq!(q.maxsize(), 0);
}

#[test]
fn queue_blocked_getters_are_served_in_order() {
    virtual_run(async {
        let q = Queue::new(0);
        let getters: Vec<_> = ["a", "b", "c"]
            .into_iter()
            .map(|name| {
                let q = q.clone();
                create_task(async move {
                    let item = q.get().await.unwrap();
                    log_at(format!("{name} got {item}"));
                })
            })
            .collect();
        sleep(0).await;
        assert_eq!(format!("{q:?}"), "<Queue maxsize=0 _getters[3]>");
        for i in 1..=3 {
            sleep(1).await;
            q.put_nowait(i).unwrap();
        }
        for g in getters {
            g.await.unwrap();
        }
    });
    assert_eq!(take_trace(), ["1 a got 1", "2 b got 2", "3 c got 3"]);
}

#[test]
fn queue_put_waits_while_full() {
    virtual_run(async {
        let q = Queue::new(1);
        let producer = create_task({
            let q = q.clone();
            async move {
                for i in 0..3 {
                    q.put(i).await.unwrap();
                    log_at(format!("put {i}"));
                }
            }
        });
        sleep(0).await;
        assert_eq!(format!("{q:?}"), "<Queue maxsize=1 _putters[1] tasks=1>");
        for _ in 0..3 {
            sleep(1).await;
            let item = q.get().await.unwrap();
            log_at(format!("got {item}"));
        }
        producer.await.unwrap();
    });
    assert_eq!(
        take_trace(),
        [
            "0 put 0", "1 got 0", "1 put 1", "2 got 1", "2 put 2", "3 got 2"
        ]
    );
}

/// CPython: a woken getter whose item was taken by `get_nowait` first goes back to waiting.
#[test]
fn queue_woken_getter_whose_item_was_taken_waits_again() {
    virtual_run(async {
        let q = Queue::new(0);
        let getter = create_task({
            let q = q.clone();
            async move { (q.get().await.unwrap(), time()) }
        });
        sleep(0).await;
        q.put_nowait("first").unwrap();
        assert_eq!(q.get_nowait(), Ok("first"));
        sleep(1).await;
        q.put_nowait("second").unwrap();
        assert_eq!(getter.await.unwrap(), ("second", 1.0));
    });
}

#[test]
fn queue_getter_cancelled_after_wakeup_passes_the_item_on() {
    virtual_run(async {
        let q = Queue::new(0);
        let spawn = |name: &'static str| {
            let q = q.clone();
            create_task(async move {
                let item = q.get().await.unwrap();
                log_at(format!("{name} got {item}"));
            })
        };
        let (a, b, c) = (spawn("a"), spawn("b"), spawn("c"));
        sleep(1).await;
        b.cancel(); // cancelled while waiting
        q.put_nowait(1).unwrap(); // wakes a ...
        a.cancel(); // ... which is cancelled before it runs: c must get the item
        c.await.unwrap();
        assert!(a.await.unwrap_err().is_cancelled());
        assert!(b.await.unwrap_err().is_cancelled());
        assert!(q.empty());
    });
    assert_eq!(take_trace(), ["1 c got 1"]);
}

#[test]
fn queue_putter_cancelled_after_wakeup_passes_the_slot_on() {
    let drops = DropCounter::default();
    let token = drops.token();
    virtual_run(async move {
        let q = Queue::new(1);
        q.put_nowait(None).unwrap();
        let spawn = |name: &'static str, item| {
            let q = q.clone();
            create_task(async move {
                q.put(item).await.unwrap();
                log_at(format!("{name} put"));
            })
        };
        let a = spawn("a", Some(token));
        let b = spawn("b", None);
        sleep(1).await;
        assert_eq!(q.get_nowait().unwrap().map(|_| ()), None); // frees the slot, wakes a ...
        a.cancel(); // ... which is cancelled before it runs: its item is dropped unput
        b.await.unwrap();
        assert!(a.await.unwrap_err().is_cancelled());
        assert!(q.get_nowait().unwrap().is_none());
    });
    assert_eq!(drops.count(), 1);
    assert_eq!(take_trace(), ["1 b put"]);
}

#[test]
fn queue_get_and_put_dropped_at_every_point_lose_nothing() {
    virtual_run(async {
        let q = Queue::new(1);
        // A get polled then dropped, then an item: the next get has it.
        let mut get = Box::pin(q.get());
        assert!(poll_once(get.as_mut()).is_pending());
        q.put_nowait(1).unwrap();
        drop(get);
        assert_eq!(q.get().await, Ok(1));
        // A get never polled takes nothing.
        q.put_nowait(2).unwrap();
        drop(q.get());
        assert_eq!(q.qsize(), 1);
        // A put polled (queue full) then dropped puts nothing.
        let mut put = Box::pin(q.put(3));
        assert!(poll_once(put.as_mut()).is_pending());
        drop(put);
        assert_eq!(q.get_nowait(), Ok(2));
        assert!(q.empty());
    });
}

#[test]
fn task_done_and_join() {
    virtual_run(async {
        let q = Queue::new(0);
        for i in 1..=3 {
            q.put_nowait(i).unwrap();
        }
        let worker = create_task({
            let q = q.clone();
            async move {
                while let Ok(secs) = q.get().await {
                    sleep(secs).await;
                    q.task_done();
                }
            }
        });
        q.join().await;
        log_at("joined");
        // Joining with nothing unfinished returns at once.
        assert!(poll_once(pin!(q.join())).is_ready());
        worker.cancel();
    });
    assert_eq!(take_trace(), ["6 joined"]);
}

#[test]
#[should_panic(expected = "task_done() called too many times")]
fn task_done_called_too_many_times_panics() {
    let q = Queue::new(0);
    q.put_nowait(1).unwrap();
    q.get_nowait().unwrap();
    q.task_done();
    q.task_done();
}

#[test]
fn shutdown_fails_puts_and_drains_gets_then_fails_them() {
    virtual_run(async {
        let q = Queue::new(1);
        q.put_nowait(1).unwrap();
        let blocked_put = create_task({
            let q = q.clone();
            async move { q.put(2).await }
        });
        sleep(0).await;
        q.shutdown(false);
        assert!(q.is_shut_down());
        assert_eq!(blocked_put.await.unwrap().unwrap_err().0, 2);
        assert!(matches!(
            q.put_nowait(3),
            Err(PutNowaitError::ShutDown(QueueShutDown(3)))
        ));
        assert_eq!(
            q.put(4).await.unwrap_err().to_string(),
            "queue is shut down"
        );
        // What was put before the shutdown still comes out.
        assert_eq!(q.get().await, Ok(1));
        assert_eq!(q.get().await, Err(QueueShutDown(())));
        assert_eq!(
            q.get_nowait(),
            Err(GetNowaitError::ShutDown(QueueShutDown(())))
        );
        assert_eq!(format!("{q:?}"), "<Queue maxsize=1 tasks=1 shutdown>");
    });
}

#[test]
fn shutdown_wakes_blocked_getters_with_an_error() {
    virtual_run(async {
        let q = Queue::<u8>::new(0);
        let getters: Vec<_> = (0..2)
            .map(|_| {
                let q = q.clone();
                create_task(async move { (q.get().await, time()) })
            })
            .collect();
        sleep(1).await;
        q.shutdown(false);
        for g in getters {
            assert_eq!(g.await.unwrap(), (Err(QueueShutDown(())), 1.0));
        }
    });
}

#[test]
fn shutdown_immediate_drops_the_items_and_releases_join() {
    let drops = DropCounter::default();
    let tokens: Vec<_> = (0..3).map(|_| drops.token()).collect();
    let seen = drops.clone();
    virtual_run(async move {
        let q = LifoQueue::new(0);
        for token in tokens {
            q.put_nowait(token).unwrap();
        }
        let joiner = create_task({
            let q = q.clone();
            async move {
                q.join().await;
                time()
            }
        });
        sleep(1).await;
        q.shutdown(true);
        assert_eq!(seen.count(), 3);
        assert!(q.empty());
        assert_eq!(joiner.await.unwrap(), 1.0);
        assert!(matches!(q.get_nowait(), Err(GetNowaitError::ShutDown(_))));
    });
}

#[test]
fn priority_queue_serves_blocked_getters_smallest_first() {
    virtual_run(async {
        let q = PriorityQueue::new(0);
        for item in [(2, "b"), (3, "c"), (1, "a")] {
            q.put(item).await.unwrap();
        }
        let mut out = Vec::new();
        while let Ok(item) = q.get_nowait() {
            out.push(item.1);
        }
        assert_eq!(out, ["a", "b", "c"]);
        assert_eq!(format!("{q:?}"), "<PriorityQueue maxsize=0 tasks=3>");
    });
}

#[test]
fn queue_works_under_another_executor() {
    // No loop: only wakers. Poll a getter by hand, feed it, poll again.
    let q = Queue::new(0);
    let mut get = pin!(q.get());
    assert!(poll_once(get.as_mut()).is_pending());
    q.put_nowait(7).unwrap();
    assert_eq!(poll_once(get.as_mut()), Poll::Ready(Ok(7)));
}

/// Producers and consumers on a small bounded queue while main cancels random consumers and
/// producers at random moments: every item put is either got by a consumer or still in the
/// queue (none lost, none duplicated), and every task left running finishes (no lost wakeup).
#[test]
fn queue_random_cancellation_loses_no_item_and_no_wakeup() {
    for seed in 1..=20u64 {
        let rng = Rc::new(std::cell::Cell::new(seed * 0x9E37_79B9));
        let next = move |rng: &std::cell::Cell<u64>| {
            let mut x = rng.get();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            rng.set(x);
            x
        };
        virtual_run(async move {
            let q = Queue::new(2);
            let got = Rc::new(std::cell::RefCell::new(Vec::new()));
            let put = Rc::new(std::cell::RefCell::new(Vec::new()));
            let mut tasks = Vec::new();
            for p in 0..4u32 {
                let (q, put) = (q.clone(), put.clone());
                tasks.push(create_task(async move {
                    for i in 0..10 {
                        let item = p * 100 + i;
                        if q.put(item).await.is_err() {
                            return;
                        }
                        put.borrow_mut().push(item);
                    }
                }));
            }
            for _ in 0..6 {
                let (q, got) = (q.clone(), got.clone());
                tasks.push(create_task(async move {
                    while let Ok(item) = q.get().await {
                        got.borrow_mut().push(item);
                        sleep(0).await;
                    }
                }));
            }
            for _ in 0..8 {
                for _ in 0..next(&rng) % 4 {
                    sleep(0).await;
                }
                let victim = (next(&rng) % tasks.len() as u64) as usize;
                tasks[victim].cancel();
            }
            // Let the survivors run until nothing moves, then end the consumers.
            sleep(1).await;
            let consumers_alive = tasks[4..].iter().any(|t| !t.done());
            if consumers_alive {
                assert!(
                    q.empty(),
                    "a live consumer left items unnoticed (seed {seed})"
                );
            }
            for producer in &tasks[..4] {
                if !producer.done() {
                    assert!(q.full() && !consumers_alive, "a producer was left waiting");
                }
            }
            q.shutdown(false);
            for task in tasks {
                let _ = task.await;
            }
            let mut left = Vec::new();
            while let Ok(item) = q.get_nowait() {
                left.push(item);
            }
            let mut seen = got.borrow().clone();
            seen.extend(left);
            seen.sort_unstable();
            let mut expected = put.borrow().clone();
            expected.sort_unstable();
            assert_eq!(seen, expected, "seed {seed}");
        });
    }
}
