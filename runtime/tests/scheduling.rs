//! The loop reproduces CPython's `_run_once` order. Each expected trace below is what CPython
//! 3.11 prints for the same program (the Python is in the comment above each test).

mod support;

use corio_runtime::{Runner, create_task, sleep, time};
use support::{log, log_at, take_trace, virtual_run};

/// ```python
/// async def a(): log("A"); asyncio.create_task(x())   # x logs "X"
/// async def b(): log("B")
/// create_task(a()); create_task(b()); sleep(0) x3
/// ```
/// Work made ready during a pass (X) runs in the next pass, after what was ready (B).
#[test]
fn each_pass_runs_only_what_was_ready_when_it_began() {
    virtual_run(async {
        create_task(async {
            log("A");
            create_task(async { log("X") });
        });
        create_task(async { log("B") });
        for _ in 0..3 {
            sleep(0).await;
        }
    });
    assert_eq!(take_trace(), ["A", "B", "X"]);
}

/// The ready queue is FIFO: tasks take their first step in creation order.
#[test]
fn ready_queue_is_fifo() {
    virtual_run(async {
        for name in ["first", "second", "third", "fourth"] {
            create_task(async move { log(name) });
        }
        sleep(0).await;
    });
    assert_eq!(take_trace(), ["first", "second", "third", "fourth"]);
}

/// A new task's first step is queued at the end, never run inline by `create_task`.
#[test]
fn new_task_runs_on_a_later_pass_never_inline() {
    virtual_run(async {
        create_task(async { log("T") });
        log("main after create");
        sleep(0).await;
        log("main after sleep0");
    });
    assert_eq!(
        take_trace(),
        ["main after create", "T", "main after sleep0"]
    );
}

/// `sleep(0)` yields exactly once: two tasks alternate step by step.
#[test]
fn sleep_zero_yields_exactly_once() {
    virtual_run(async {
        let worker = |name: &'static str| async move {
            for i in 0..3 {
                log(format!("{name}{i}"));
                sleep(0).await;
            }
        };
        let a = create_task(worker("A"));
        let b = create_task(worker("B"));
        a.await.unwrap();
        b.await.unwrap();
        // No clock movement: sleep(0) arms no timer.
        assert_eq!(time(), 0.0);
    });
    assert_eq!(take_trace(), ["A0", "B0", "A1", "B1", "A2", "B2"]);
}

/// Timers that come due join the queue after what is already ready. `b` blocks the thread
/// for 5 ms, so `a`'s 1 ms timer is due while `b` is ready; `b` runs first, and `a`'s step
/// runs one pass after its timer fired (as asyncio's timer callback resolves a future that
/// then schedules the task).
#[test]
fn due_timers_join_after_what_is_ready() {
    Runner::new().run(async {
        let a = create_task(async {
            sleep(0.001).await;
            log("A");
        });
        let b = create_task(async {
            std::thread::sleep(std::time::Duration::from_millis(5));
            for i in 0..3 {
                log(format!("B{i}"));
                sleep(0).await;
            }
        });
        a.await.unwrap();
        b.await.unwrap();
    });
    assert_eq!(take_trace(), ["B0", "B1", "B2", "A"]);
}

/// Equal deadlines fire in arming order, not creation order: `y` arms its timer one pass
/// before `x` does, both for t = 1.0.
#[test]
fn equal_deadlines_fire_in_arming_order() {
    virtual_run(async {
        let x = create_task(async {
            sleep(0).await;
            sleep(1).await;
            log_at("X");
        });
        let y = create_task(async {
            sleep(1).await;
            log_at("Y");
        });
        x.await.unwrap();
        y.await.unwrap();
    });
    assert_eq!(take_trace(), ["1 Y", "1 X"]);
}

/// Timers fire in deadline order whatever order they were armed in.
#[test]
fn timers_fire_in_deadline_order() {
    virtual_run(async {
        let mut tasks = Vec::new();
        for delay in [3.0, 0.5, 2.25, 1.0, 0.75] {
            tasks.push(create_task(async move {
                sleep(delay).await;
                log_at(format!("slept {delay}"));
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    });
    assert_eq!(
        take_trace(),
        [
            "0.5 slept 0.5",
            "0.75 slept 0.75",
            "1 slept 1",
            "2.25 slept 2.25",
            "3 slept 3"
        ]
    );
}

/// Tasks woken by the same firing run in one pass; a task one of them creates runs after.
#[test]
fn a_task_created_after_a_timer_runs_after_its_peers() {
    virtual_run(async {
        let a = create_task(async {
            sleep(1).await;
            log("A");
            create_task(async { log("C") });
        });
        let b = create_task(async {
            sleep(1).await;
            log("B");
        });
        a.await.unwrap();
        b.await.unwrap();
        sleep(0).await;
    });
    assert_eq!(take_trace(), ["A", "B", "C"]);
}

/// A finished task wakes its awaiter on the next pass, after what was already ready.
#[test]
fn a_finished_task_wakes_its_awaiter_on_the_next_pass() {
    virtual_run(async {
        let t = create_task(async {
            log("T done");
            1
        });
        let u = create_task(async {
            log("U");
            sleep(0).await;
            log("U again");
        });
        assert_eq!(t.await.unwrap(), 1);
        log("main resumed");
        u.await.unwrap();
    });
    assert_eq!(take_trace(), ["T done", "U", "main resumed", "U again"]);
}

/// Virtual time: sleeps take no real time and the clock reads exact deadlines.
#[test]
fn virtual_time_jumps_to_each_deadline_exactly() {
    let started = std::time::Instant::now();
    let end = virtual_run(async {
        log_at("start");
        sleep(1).await;
        log_at("after 1");
        sleep(0.25).await;
        log_at("after 0.25");
        sleep(std::time::Duration::from_secs(3600)).await;
        log_at("after an hour");
        time()
    });
    assert_eq!(end, 3601.25);
    assert_eq!(
        take_trace(),
        [
            "0 start",
            "1 after 1",
            "1.25 after 0.25",
            "3601.25 after an hour"
        ]
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

/// Sequential awaits add up (3.0); concurrent tasks overlap (2.0), as the seed's say_after.
#[test]
fn say_after_sequential_and_concurrent_timings() {
    async fn say_after(delay: u64, what: &'static str) {
        sleep(delay).await;
        log_at(what);
    }
    let sequential = virtual_run(async {
        say_after(1, "hello").await;
        say_after(2, "world").await;
        time()
    });
    assert_eq!(sequential, 3.0);
    assert_eq!(take_trace(), ["1 hello", "3 world"]);

    let concurrent = virtual_run(async {
        let t1 = create_task(say_after(1, "hello"));
        let t2 = create_task(say_after(2, "world"));
        t1.await.unwrap();
        t2.await.unwrap();
        time()
    });
    assert_eq!(concurrent, 2.0);
    assert_eq!(take_trace(), ["1 hello", "2 world"]);
}

/// Each run under virtual time starts its clock at 0.
#[test]
fn each_virtual_loop_starts_at_zero() {
    assert_eq!(virtual_run(async { time() }), 0.0);
    virtual_run(async { sleep(5).await });
    assert_eq!(virtual_run(async { time() }), 0.0);
}

/// Under real time, `time()` is monotonic and a sleep takes about its delay.
#[test]
fn real_time_sleep_waits_for_its_deadline() {
    let (before, after) = corio_runtime::run(async {
        let before = time();
        sleep(0.02).await;
        (before, time())
    });
    assert!(after - before >= 0.02, "slept {} s", after - before);
}
