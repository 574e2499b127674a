//! The end of `run` as `asyncio.run`'s: clean-up tasks spawned by the destructors of
//! cancelled tasks run to completion, and the default pool's work returns, within
//! `Runner::shutdown_timeout`.

mod support;

use std::future::{Future, poll_fn};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};

use corio_runtime::{Runner, create_task, sleep, to_thread};
use support::{log_at, take_trace, virtual_run};

/// A future that never finishes: only cancellation ends it.
fn forever() -> impl Future<Output = ()> {
    poll_fn(|_| Poll::Pending)
}

/// Spawns, when dropped, a clean-up task that takes `seconds` of loop time ("flush on
/// shutdown").
struct FlushOnDrop(f64);

impl Drop for FlushOnDrop {
    fn drop(&mut self) {
        let seconds = self.0;
        create_task(async move {
            log_at("flush started");
            sleep(seconds).await;
            log_at("flushed");
        });
    }
}

/// A leftover task holding a `FlushOnDrop`, then a main task that ends at once.
async fn main_leaving_a_flush(seconds: f64) {
    create_task(async move {
        let _flush = FlushOnDrop(seconds);
        forever().await;
    });
    sleep(0).await;
    log_at("main done");
}

#[test]
fn a_clean_up_task_runs_to_completion_before_run_returns() {
    virtual_run(main_leaving_a_flush(2.0));
    assert_eq!(
        take_trace(),
        ["0 main done", "0 flush started", "2 flushed"]
    );
}

#[test]
fn a_clean_up_task_past_the_shutdown_timeout_is_cancelled() {
    Runner::new()
        .virtual_time()
        .shutdown_timeout(5)
        .run(main_leaving_a_flush(10.0));
    assert_eq!(take_trace(), ["0 main done", "0 flush started"]);
}

#[test]
fn a_zero_shutdown_timeout_gives_clean_up_its_ready_steps_only() {
    Runner::new()
        .virtual_time()
        .shutdown_timeout(0)
        .run(main_leaving_a_flush(1.0));
    assert_eq!(take_trace(), ["0 main done", "0 flush started"]);
}

/// Under real time too the clean-up finishes (here 50 ms of real time).
#[test]
fn real_time_clean_up_finishes_too() {
    let started = std::time::Instant::now();
    corio_runtime::run(main_leaving_a_flush(0.05));
    assert!(started.elapsed().as_secs_f64() >= 0.05);
    let trace = take_trace();
    assert_eq!(trace.len(), 3, "{trace:?}");
    assert!(trace[2].ends_with(" flushed"), "{trace:?}");
}

/// `to_thread` work a cancelled task started still returns before `run` does (asyncio's
/// `shutdown_default_executor`), within the shutdown timeout.
#[test]
fn run_waits_for_the_default_pools_work() {
    let finished = Arc::new(AtomicBool::new(false));
    let flag = finished.clone();
    corio_runtime::run(async move {
        create_task(to_thread(move || {
            std::thread::sleep(Duration::from_millis(100));
            flag.store(true, Ordering::SeqCst);
        }));
        sleep(0).await;
    });
    assert!(finished.load(Ordering::SeqCst));
}

/// Past the shutdown timeout, `run` returns without the pool's work.
#[test]
fn run_stops_waiting_for_the_pool_at_the_shutdown_timeout() {
    let finished = Arc::new(AtomicBool::new(false));
    let flag = finished.clone();
    let started = Instant::now();
    Runner::new().shutdown_timeout(0.05).run(async move {
        create_task(to_thread(move || {
            std::thread::sleep(Duration::from_secs(2));
            flag.store(true, Ordering::SeqCst);
        }));
        sleep(0).await;
    });
    assert!(!finished.load(Ordering::SeqCst));
    assert!(started.elapsed() < Duration::from_secs(1));
}
