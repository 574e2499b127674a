//! asyncio's locks (CPython's `test_locks.py` is the reference): Event, Lock, Semaphore,
//! BoundedSemaphore, Condition. FIFO order, no barging, cancellation of a waiter at every point
//! (the next waiter gets what it was given), exact misuse messages, traces with loop times.

mod support;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use corio_runtime::{
    BoundedSemaphore, Condition, Event, Lock, Semaphore, create_task, sleep, time,
};
use support::{log, log_at, take_trace, virtual_run};

/// Polls `fut` once with a no-op waker.
fn poll_once<F: Future>(fut: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(Waker::noop()))
}

// ---------------------------------------------------------------------------------------------
// Event

#[test]
fn event_wakes_every_waiter_in_order_when_set() {
    let event = Event::new();
    virtual_run({
        let event = event.clone();
        async move {
            let tasks: Vec<_> = (0..3)
                .map(|i| {
                    let event = event.clone();
                    create_task(async move {
                        event.wait().await;
                        log_at(format!("waiter {i} woke"));
                    })
                })
                .collect();
            sleep(0).await;
            assert_eq!(format!("{event:?}"), "<Event [unset, waiters:3]>");
            sleep(1).await;
            event.set();
            assert!(event.is_set());
            assert_eq!(format!("{event:?}"), "<Event [set]>");
            for task in tasks {
                task.await.unwrap();
            }
            // Set: wait returns at once, without suspending.
            assert!(poll_once(pin!(event.wait())).is_ready());
        }
    });
    assert_eq!(
        take_trace(),
        ["1 waiter 0 woke", "1 waiter 1 woke", "1 waiter 2 woke"]
    );
}

#[test]
fn event_waiter_woken_by_set_returns_even_if_cleared_before_it_runs() {
    virtual_run(async {
        let event = Event::new();
        let waiter = create_task({
            let event = event.clone();
            async move { event.wait().await }
        });
        sleep(0).await;
        event.set();
        event.clear();
        assert!(!event.is_set());
        assert!(waiter.await.unwrap(), "wait() gives true, as asyncio's");
        // A new wait blocks again.
        assert!(poll_once(pin!(event.wait())).is_pending());
    });
}

#[test]
fn event_dropped_waiter_leaves_the_others_waiting() {
    virtual_run(async {
        let event = Event::new();
        let spawn = |name: &'static str| {
            let event = event.clone();
            create_task(async move {
                event.wait().await;
                log_at(name);
            })
        };
        let (a, b) = (spawn("a"), spawn("b"));
        sleep(1).await;
        a.cancel();
        sleep(1).await;
        assert_eq!(format!("{event:?}"), "<Event [unset, waiters:1]>");
        event.set();
        b.await.unwrap();
        assert!(a.await.unwrap_err().is_cancelled());
    });
    assert_eq!(take_trace(), ["2 b"]);
}

// ---------------------------------------------------------------------------------------------
// Lock

/// A task that takes `lock`, logs, holds it for `hold` seconds, and releases it.
fn locker(lock: &Lock, name: &'static str, hold: u64) -> corio_runtime::Task<()> {
    let lock = lock.clone();
    create_task(async move {
        let _guard = lock.acquire().await;
        log_at(format!("{name} acquired"));
        sleep(hold).await;
    })
}

#[test]
fn lock_serves_waiters_first_in_first_out() {
    virtual_run(async {
        let lock = Lock::new();
        let tasks = [
            locker(&lock, "a", 1),
            locker(&lock, "b", 1),
            locker(&lock, "c", 1),
        ];
        sleep(0).await;
        assert_eq!(format!("{lock:?}"), "<Lock [locked, waiters:2]>");
        for task in tasks {
            task.await.unwrap();
        }
        assert!(!lock.locked());
        assert_eq!(format!("{lock:?}"), "<Lock [unlocked]>");
    });
    assert_eq!(
        take_trace(),
        ["0 a acquired", "1 b acquired", "2 c acquired"]
    );
}

/// CPython 3.11 prints the same (run the equivalent with `python3`): after `release()` the
/// lock reads unlocked, but the releaser's own new `acquire()` queues behind the woken waiter.
#[test]
fn lock_release_does_not_let_a_new_acquirer_barge() {
    virtual_run(async {
        let lock = Lock::new();
        let guard = lock.acquire().await;
        let waiter = locker(&lock, "waiter", 0);
        sleep(0).await;
        drop(guard);
        log(format!("locked after release: {}", lock.locked()));
        assert!(lock.try_acquire().is_none());
        let _again = lock.acquire().await;
        log("main acquired again");
        waiter.await.unwrap();
    });
    assert_eq!(
        take_trace(),
        [
            "locked after release: false",
            "0 waiter acquired",
            "main acquired again"
        ]
    );
}

#[test]
fn lock_waiter_cancelled_while_waiting_leaves_the_queue() {
    virtual_run(async {
        let lock = Lock::new();
        let guard = lock.acquire().await;
        let (a, b, c) = (
            locker(&lock, "a", 1),
            locker(&lock, "b", 1),
            locker(&lock, "c", 1),
        );
        sleep(1).await;
        b.cancel();
        sleep(0).await;
        assert_eq!(format!("{lock:?}"), "<Lock [locked, waiters:2]>");
        drop(guard);
        a.await.unwrap();
        c.await.unwrap();
        assert!(b.await.unwrap_err().is_cancelled());
    });
    assert_eq!(take_trace(), ["1 a acquired", "2 c acquired"]);
}

#[test]
fn lock_handed_to_a_waiter_cancelled_before_it_runs_goes_to_the_next() {
    virtual_run(async {
        let lock = Lock::new();
        let guard = lock.acquire().await;
        let (a, b) = (locker(&lock, "a", 1), locker(&lock, "b", 1));
        sleep(1).await;
        drop(guard); // wakes a ...
        a.cancel(); // ... which is cancelled before it runs
        b.await.unwrap();
        assert!(a.await.unwrap_err().is_cancelled());
        assert!(!lock.locked());
    });
    assert_eq!(take_trace(), ["1 b acquired"]);
}

#[test]
fn lock_cancelled_holder_releases_through_its_guard() {
    virtual_run(async {
        let lock = Lock::new();
        let (a, b) = (locker(&lock, "a", 10), locker(&lock, "b", 1));
        sleep(1).await;
        a.cancel(); // holding the lock, sleeping
        b.await.unwrap();
        assert!(a.await.unwrap_err().is_cancelled());
    });
    assert_eq!(take_trace(), ["0 a acquired", "1 b acquired"]);
}

#[test]
fn lock_acquire_dropped_at_every_point_loses_nothing() {
    // Points: never polled, queued, woken but not yet run. After each, a later waiter
    // must still get the lock.
    for point in 0..3 {
        virtual_run(async move {
            let lock = Lock::new();
            let guard = lock.acquire().await;
            let mut first = Box::pin(lock.acquire());
            if point >= 1 {
                assert!(poll_once(first.as_mut()).is_pending());
            }
            let next = locker(&lock, "next", 0);
            sleep(0).await;
            if point == 2 {
                drop(guard);
                drop(first);
            } else {
                drop(first);
                drop(guard);
            }
            next.await.unwrap();
            assert!(!lock.locked());
        });
        assert_eq!(take_trace(), ["0 next acquired"], "point {point}");
    }
}

#[test]
fn lock_explicit_acquire_and_release() {
    virtual_run(async {
        let lock = Lock::new();
        lock.acquire().await.forget();
        assert!(lock.locked());
        lock.release();
        assert!(!lock.locked());
        // A guard whose lock was released explicitly does nothing on drop.
        let guard = lock.acquire().await;
        lock.release();
        drop(guard);
        assert!(!lock.locked());
    });
}

#[test]
#[should_panic(expected = "Lock is not acquired.")]
fn lock_release_when_unlocked_panics() {
    Lock::new().release();
}

#[test]
fn lock_works_under_another_executor() {
    let lock = Lock::new();
    let order = Rc::new(RefCell::new(Vec::new()));
    futures_lite_block_on(async {
        let guard = lock.acquire().await;
        let mut waiter = pin!(async {
            let _g = lock.acquire().await;
            order.borrow_mut().push("waiter");
        });
        assert!(poll_once(waiter.as_mut()).is_pending());
        drop(guard);
        order.borrow_mut().push("released");
        waiter.await;
    });
    assert_eq!(*order.borrow(), ["released", "waiter"]);
}

/// A minimal executor: polls `fut` until ready, parking between polls (wakes come through a
/// thread-unparking waker).
fn futures_lite_block_on<F: Future>(fut: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
    let mut fut = pin!(fut);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut Context::from_waker(&waker)) {
            return out;
        }
        std::thread::park();
    }
}

// ---------------------------------------------------------------------------------------------
// Semaphore

#[test]
fn semaphore_limits_concurrency_in_fifo_order() {
    virtual_run(async {
        let sem = Semaphore::new(2);
        let tasks: Vec<_> = (0..5)
            .map(|i| {
                let sem = sem.clone();
                create_task(async move {
                    let _permit = sem.acquire().await;
                    log_at(format!("task {i} in"));
                    sleep(1).await;
                })
            })
            .collect();
        sleep(0).await;
        assert_eq!(sem.value(), 0);
        assert!(sem.locked());
        assert_eq!(
            format!("{sem:?}"),
            "<Semaphore [locked, value:0, waiters:3]>"
        );
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(sem.value(), 2);
        assert_eq!(format!("{sem:?}"), "<Semaphore [unlocked, value:2]>");
    });
    assert_eq!(
        take_trace(),
        [
            "0 task 0 in",
            "0 task 1 in",
            "1 task 2 in",
            "1 task 3 in",
            "2 task 4 in"
        ]
    );
}

#[test]
fn semaphore_release_hands_the_permit_to_the_waiter_not_a_newcomer() {
    virtual_run(async {
        let sem = Semaphore::new(0);
        let waiter = create_task({
            let sem = sem.clone();
            async move {
                sem.acquire().await.forget();
                log("waiter got a permit");
            }
        });
        sleep(0).await;
        sem.release();
        assert_eq!(sem.value(), 0, "the permit is on its way to the waiter");
        assert!(sem.locked());
        assert!(sem.try_acquire().is_none());
        sem.release();
        // A permit is free, but a woken waiter has not run yet: a newcomer still queues.
        assert_eq!(sem.value(), 1);
        assert!(sem.locked());
        sem.acquire().await.forget();
        log("main got a permit");
        waiter.await.unwrap();
        assert_eq!(sem.value(), 0);
    });
    assert_eq!(take_trace(), ["waiter got a permit", "main got a permit"]);
}

#[test]
fn semaphore_permit_of_a_waiter_cancelled_after_wakeup_goes_to_the_next() {
    virtual_run(async {
        let sem = Semaphore::new(1);
        let permit = sem.acquire().await;
        let spawn = |name: &'static str| {
            let sem = sem.clone();
            create_task(async move {
                let _p = sem.acquire().await;
                log_at(name);
                sleep(1).await;
            })
        };
        let (a, b, c) = (spawn("a"), spawn("b"), spawn("c"));
        sleep(1).await;
        drop(permit); // hands the permit to a
        a.cancel(); // a never runs: the permit must go to b
        b.cancel(); // cancelled while still waiting
        c.await.unwrap();
        assert!(a.await.unwrap_err().is_cancelled());
        assert!(b.await.unwrap_err().is_cancelled());
        assert_eq!(sem.value(), 1);
    });
    assert_eq!(take_trace(), ["1 c"]);
}

#[test]
fn semaphore_release_above_the_initial_value_is_allowed() {
    let sem = Semaphore::new(1);
    sem.release();
    assert_eq!(sem.value(), 2);
    let (p1, p2) = (sem.try_acquire().unwrap(), sem.try_acquire().unwrap());
    assert!(sem.try_acquire().is_none());
    drop((p1, p2));
    assert_eq!(sem.value(), 2);
}

#[test]
#[should_panic(expected = "BoundedSemaphore released too many times")]
fn bounded_semaphore_released_too_often_panics() {
    let sem = BoundedSemaphore::new(2);
    let permit = sem.try_acquire().unwrap();
    drop(permit);
    assert_eq!(sem.value(), 2);
    sem.release();
}

#[test]
fn bounded_semaphore_limits_like_a_semaphore() {
    virtual_run(async {
        let sem = BoundedSemaphore::new(1);
        let p = sem.acquire().await;
        assert!(sem.locked());
        assert_eq!(format!("{sem:?}"), "<BoundedSemaphore [locked, value:0]>");
        let other = create_task({
            let sem = sem.clone();
            async move {
                let _p = sem.acquire().await;
                time()
            }
        });
        sleep(2).await;
        drop(p);
        assert_eq!(other.await.unwrap(), 2.0);
        assert_eq!(sem.value(), 1);
    });
}

#[test]
fn semaphore_zero_blocks_until_released() {
    virtual_run(async {
        let sem = Semaphore::new(0);
        let waiter = create_task({
            let sem = sem.clone();
            async move {
                let _p = sem.acquire().await;
                time()
            }
        });
        sleep(3).await;
        sem.release();
        assert_eq!(waiter.await.unwrap(), 3.0);
        assert_eq!(sem.value(), 1);
    });
}

// ---------------------------------------------------------------------------------------------
// Condition

/// A task that waits on `cond` until notified, logging when it wakes with the lock held.
fn cond_waiter(cond: &Condition, name: &'static str) -> corio_runtime::Task<()> {
    let cond = cond.clone();
    create_task(async move {
        let guard = cond.acquire().await;
        let guard = guard.wait().await;
        assert!(cond.locked());
        log_at(format!("{name} notified"));
        sleep(1).await;
        drop(guard);
    })
}

#[test]
fn condition_notify_wakes_n_waiters_in_order_each_with_the_lock() {
    virtual_run(async {
        let cond = Condition::new();
        let tasks = [
            cond_waiter(&cond, "a"),
            cond_waiter(&cond, "b"),
            cond_waiter(&cond, "c"),
        ];
        sleep(1).await;
        assert!(!cond.locked());
        assert_eq!(format!("{cond:?}"), "<Condition [unlocked, waiters:3]>");
        let guard = cond.acquire().await;
        guard.notify(2);
        drop(guard);
        sleep(5).await;
        cond.acquire().await.notify_all();
        for task in tasks {
            task.await.unwrap();
        }
    });
    // a and b were notified together, but each holds the lock for a second in turn.
    assert_eq!(
        take_trace(),
        ["1 a notified", "2 b notified", "6 c notified"]
    );
}

#[test]
fn condition_wait_for_checks_the_predicate_with_the_lock_held() {
    let value = Rc::new(Cell::new(0));
    virtual_run({
        let value = value.clone();
        async move {
            let cond = Condition::new();
            let waiter = create_task({
                let (cond, value) = (cond.clone(), value.clone());
                async move {
                    let guard = cond.acquire().await;
                    let mut checks = 0;
                    let _guard = guard
                        .wait_for(|| {
                            checks += 1;
                            value.get() >= 3
                        })
                        .await;
                    log_at(format!("value {} after {checks} checks", value.get()));
                }
            });
            for _ in 0..3 {
                sleep(1).await;
                let guard = cond.acquire().await;
                value.set(value.get() + 1);
                guard.notify(1);
            }
            waiter.await.unwrap();
        }
    });
    assert_eq!(take_trace(), ["3 value 3 after 4 checks"]);
}

#[test]
fn condition_notification_of_a_cancelled_waiter_passes_to_the_next() {
    virtual_run(async {
        let cond = Condition::new();
        let (a, b) = (cond_waiter(&cond, "a"), cond_waiter(&cond, "b"));
        sleep(1).await;
        cond.acquire().await.notify(1); // notifies a ...
        a.cancel(); // ... which is cancelled before it runs: b gets the notification
        b.await.unwrap();
        assert!(a.await.unwrap_err().is_cancelled());
        assert!(!cond.locked());
    });
    assert_eq!(take_trace(), ["1 b notified"]);
}

#[test]
fn condition_waiter_cancelled_while_reacquiring_passes_the_notification_on() {
    virtual_run(async {
        let cond = Condition::new();
        let (a, b) = (cond_waiter(&cond, "a"), cond_waiter(&cond, "b"));
        sleep(1).await;
        let guard = cond.acquire().await;
        guard.notify(1);
        sleep(1).await; // a runs, finds the lock held, queues for it
        a.cancel();
        sleep(1).await;
        drop(guard);
        b.await.unwrap();
        assert!(a.await.unwrap_err().is_cancelled());
    });
    assert_eq!(take_trace(), ["3 b notified"]);
}

#[test]
fn condition_wait_dropped_before_its_first_poll_releases_the_lock() {
    virtual_run(async {
        let cond = Condition::new();
        let guard = cond.acquire().await;
        drop(guard.wait());
        assert!(!cond.locked());
        // Dropped while waiting: the lock stays released (the guard went into the wait).
        let guard = cond.acquire().await;
        let mut wait = Box::pin(guard.wait());
        assert!(poll_once(wait.as_mut()).is_pending());
        assert!(!cond.locked());
        drop(wait);
        assert!(!cond.locked());
        assert_eq!(format!("{cond:?}"), "<Condition [unlocked]>");
    });
}

#[test]
#[should_panic(expected = "cannot notify on un-acquired lock")]
fn condition_notify_without_the_lock_panics() {
    Condition::new().notify(1);
}

#[test]
#[should_panic(expected = "cannot notify on un-acquired lock")]
fn condition_notify_all_without_the_lock_panics() {
    Condition::new().notify_all();
}

// ---------------------------------------------------------------------------------------------
// No lost wakeups under random cancellation

/// A fixed xorshift sequence, so the stress tests are deterministic.
fn xorshift(state: &Cell<u64>) -> u64 {
    let mut x = state.get();
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    state.set(x);
    x
}

/// Counts a holder while alive (a cancelled holder is dropped without running on).
struct Inside(Rc<Cell<usize>>);

impl Inside {
    fn enter(count: &Rc<Cell<usize>>) -> Self {
        count.set(count.get() + 1);
        Inside(count.clone())
    }
}

impl Drop for Inside {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

/// 40 tasks each take a permit of `sem` (or the lock, when `permits` is 1 and `lock` is
/// set), hold it a random number of loop passes, and finish; main cancels random tasks at
/// random moments (waiting, woken, or holding). Mutual exclusion must hold throughout, every
/// task not cancelled must finish, and the primitive must end free with nobody queued.
fn stress(permits: usize, use_lock: bool, seed: u64) {
    virtual_run(async move {
        let rng = Rc::new(Cell::new(seed));
        let sem = Semaphore::new(permits);
        let lock = Lock::new();
        let inside = Rc::new(Cell::new(0usize));
        let finished = Rc::new(Cell::new(0usize));
        let mut tasks = Vec::new();
        for _ in 0..40 {
            let (sem, lock, inside, finished, rng) = (
                sem.clone(),
                lock.clone(),
                inside.clone(),
                finished.clone(),
                rng.clone(),
            );
            tasks.push(create_task(async move {
                let hold = xorshift(&rng) % 4;
                let _guard = if use_lock {
                    (Some(lock.acquire().await), None)
                } else {
                    (None, Some(sem.acquire().await))
                };
                let _inside = Inside::enter(&inside);
                assert!(inside.get() <= permits, "more holders than permits");
                for _ in 0..hold {
                    sleep(0).await;
                }
                finished.set(finished.get() + 1);
            }));
        }
        for _ in 0..30 {
            for _ in 0..xorshift(&rng) % 3 {
                sleep(0).await;
            }
            let victim = (xorshift(&rng) % tasks.len() as u64) as usize;
            tasks[victim].cancel();
        }
        let mut cancelled = 0;
        for task in tasks {
            match task.await {
                Ok(()) => {}
                Err(e) if e.is_cancelled() => cancelled += 1,
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(finished.get() + cancelled, 40);
        assert_eq!(inside.get(), 0);
        assert!(cancelled > 0);
        assert!(!lock.locked());
        assert!(!sem.locked() || permits == 0);
        assert_eq!(sem.value(), permits);
    });
}

#[test]
fn lock_random_cancellation_loses_no_wakeup() {
    for seed in 1..=20 {
        stress(1, true, seed * 0x9E37_79B9);
    }
}

#[test]
fn semaphore_random_cancellation_loses_no_permit() {
    for seed in 1..=20 {
        stress(3, false, seed * 0x9E37_79B9);
    }
}
