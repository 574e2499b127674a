//! asyncio's `Barrier` (CPython's `test_locks.py` `BarrierTests` is the reference): indices in
//! arrival order, cycles, late arrivals waiting for the next cycle, abort/broken, reset, and a
//! cancelled waiter leaving without breaking the barrier.

mod support;

use corio_runtime::{Barrier, BrokenBarrierError, Task, create_task, sleep};
use support::{log_at, take_trace, virtual_run};

/// A task that arrives at `barrier` after `delay` seconds and logs what `wait()` gave it.
fn party(barrier: &Barrier, name: &'static str, delay: u64) -> Task<()> {
    let barrier = barrier.clone();
    create_task(async move {
        sleep(delay).await;
        let result = barrier.wait().await;
        log_at(format!("{name} {result:?}"));
    })
}

#[test]
fn barrier_releases_all_parties_when_the_last_arrives() {
    virtual_run(async {
        let barrier = Barrier::new(3);
        let tasks = [
            party(&barrier, "a", 1),
            party(&barrier, "b", 2),
            party(&barrier, "c", 3),
        ];
        sleep(2).await;
        sleep(0).await;
        assert_eq!(barrier.n_waiting(), 2);
        assert_eq!(format!("{barrier:?}"), "<Barrier [filling, waiters:2/3]>");
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.broken());
        assert_eq!(barrier.parties(), 3);
    });
    // The last to arrive passes first; the others follow in arrival order.
    assert_eq!(take_trace(), ["3 c Ok(2)", "3 a Ok(0)", "3 b Ok(1)"]);
}

#[test]
fn barrier_is_cyclic_and_late_arrivals_wait_for_the_next_cycle() {
    virtual_run(async {
        let barrier = Barrier::new(2);
        // Four parties arriving together: two full cycles.
        let tasks: Vec<_> = ["a", "b", "c", "d"]
            .into_iter()
            .map(|name| party(&barrier, name, 1))
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    assert_eq!(
        take_trace(),
        ["1 b Ok(1)", "1 a Ok(0)", "1 d Ok(1)", "1 c Ok(0)"]
    );
}

#[test]
fn barrier_arrival_during_draining_waits_for_the_next_cycle() {
    virtual_run(async {
        let barrier = Barrier::new(2);
        let a = party(&barrier, "a", 0);
        sleep(1).await;
        // main completes the cycle; a has not left yet (draining) when c arrives.
        assert_eq!(barrier.wait().await, Ok(1));
        assert_eq!(barrier.n_waiting(), 0, "draining");
        let c = party(&barrier, "c", 0);
        let d = party(&barrier, "d", 2);
        a.await.unwrap();
        c.await.unwrap();
        d.await.unwrap();
    });
    assert_eq!(take_trace(), ["1 a Ok(0)", "3 d Ok(1)", "3 c Ok(0)"]);
}

#[test]
fn barrier_abort_breaks_current_and_later_waits_until_reset() {
    virtual_run(async {
        let barrier = Barrier::new(3);
        let (a, b) = (party(&barrier, "a", 0), party(&barrier, "b", 0));
        sleep(1).await;
        barrier.abort();
        assert!(barrier.broken());
        assert_eq!(format!("{barrier:?}"), "<Barrier [broken]>");
        assert_eq!(barrier.wait().await, Err(BrokenBarrierError));
        a.await.unwrap();
        b.await.unwrap();
        barrier.reset();
        assert!(!barrier.broken());
        let (c, d) = (party(&barrier, "c", 1), party(&barrier, "d", 1));
        sleep(2).await;
        assert_eq!(barrier.wait().await, Ok(2));
        c.await.unwrap();
        d.await.unwrap();
    });
    assert_eq!(
        take_trace(),
        [
            "1 a Err(BrokenBarrierError)",
            "1 b Err(BrokenBarrierError)",
            "3 c Ok(0)",
            "3 d Ok(1)"
        ]
    );
    assert_eq!(BrokenBarrierError.to_string(), "barrier is broken");
}

#[test]
fn barrier_reset_fails_the_waiters_then_refills() {
    virtual_run(async {
        let barrier = Barrier::new(2);
        let a = party(&barrier, "a", 0);
        sleep(1).await;
        barrier.reset();
        assert!(!barrier.broken());
        // While a is still leaving (resetting), a new arrival waits for the refill.
        let b = party(&barrier, "b", 0);
        let c = party(&barrier, "c", 1);
        a.await.unwrap();
        b.await.unwrap();
        c.await.unwrap();
    });
    assert_eq!(
        take_trace(),
        ["1 a Err(BrokenBarrierError)", "2 c Ok(1)", "2 b Ok(0)"]
    );
}

#[test]
fn barrier_waiter_cancelled_leaves_without_breaking_it() {
    virtual_run(async {
        let barrier = Barrier::new(2);
        let a = party(&barrier, "a", 0);
        sleep(1).await;
        assert_eq!(barrier.n_waiting(), 1);
        a.cancel();
        sleep(0).await;
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.broken());
        let b = party(&barrier, "b", 1);
        assert_eq!(barrier.wait().await, Ok(0));
        b.await.unwrap();
        assert!(a.await.unwrap_err().is_cancelled());
    });
    assert_eq!(take_trace(), ["2 b Ok(1)"]);
}

#[test]
fn barrier_waiter_cancelled_while_draining_still_lets_the_cycle_end() {
    virtual_run(async {
        let barrier = Barrier::new(2);
        let a = party(&barrier, "a", 0);
        sleep(1).await;
        assert_eq!(barrier.wait().await, Ok(1)); // releases a, which has not run yet
        a.cancel();
        let (c, d) = (party(&barrier, "c", 1), party(&barrier, "d", 1));
        c.await.unwrap();
        d.await.unwrap();
        assert!(a.await.unwrap_err().is_cancelled());
    });
    assert_eq!(take_trace(), ["2 d Ok(1)", "2 c Ok(0)"]);
}

#[test]
#[should_panic(expected = "parties must be > 0")]
fn barrier_of_zero_parties_panics() {
    Barrier::new(0);
}
