//! `corio::sleep` outside a corio loop: on `futures::executor::block_on` and tokio's runtimes it
//! waits on the portable timer (real time, never early), `sleep(0)` still yields exactly once,
//! and a sleep first polled outside a loop keeps the portable timer for its whole life. Only
//! `sleep` (and `wait_for!`) gained this: `create_task` and `time()` still need a loop.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use corio::{Sleep, sleep};

mod support;
use support::{panic_message, run_virtual};

/// Asserts `elapsed` is at least `at_least` (a timer never fires early) and not absurdly long.
#[track_caller]
fn assert_waited(elapsed: Duration, at_least: Duration) {
    assert!(
        elapsed >= at_least && elapsed < at_least + Duration::from_secs(30),
        "waited {elapsed:?}, expected at least {at_least:?}"
    );
}

/// A waker that counts its wakes.
#[derive(Default)]
struct CountWakes(AtomicUsize);

impl Wake for CountWakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn sleep_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Sleep>();
}

#[test]
fn on_block_on() {
    let start = Instant::now();
    futures::executor::block_on(sleep(0.005));
    assert_waited(start.elapsed(), Duration::from_millis(5));

    let start = Instant::now();
    futures::executor::block_on(async {
        sleep(Duration::from_millis(2)).await;
        sleep(1e-3).await;
    });
    assert_waited(start.elapsed(), Duration::from_millis(3));
}

#[test]
fn sleep_zero_yields_exactly_once_without_a_loop() {
    let wakes = Arc::new(CountWakes::default());
    let waker = Waker::from(wakes.clone());
    let mut cx = Context::from_waker(&waker);
    let mut nap = pin!(sleep(0));
    assert!(nap.as_mut().poll(&mut cx).is_pending());
    assert_eq!(wakes.0.load(Ordering::SeqCst), 1, "woke itself to yield");
    assert!(nap.as_mut().poll(&mut cx).is_ready());
}

#[test]
fn the_portable_timer_wakes_the_waker() {
    let wakes = Arc::new(CountWakes::default());
    let waker = Waker::from(wakes.clone());
    let mut cx = Context::from_waker(&waker);
    let mut nap = pin!(sleep(0.002));
    assert_eq!(nap.as_mut().poll(&mut cx), Poll::Pending);
    let start = Instant::now();
    while wakes.0.load(Ordering::SeqCst) == 0 {
        assert!(start.elapsed() < Duration::from_secs(30), "never woken");
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(nap.as_mut().poll(&mut cx), Poll::Ready(()));
}

#[test]
fn dropping_a_pending_portable_sleep_never_wakes() {
    let wakes = Arc::new(CountWakes::default());
    let waker = Waker::from(wakes.clone());
    let mut nap = Box::pin(sleep(0.001));
    assert!(
        nap.as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending()
    );
    drop(nap);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(wakes.0.load(Ordering::SeqCst), 0);
}

#[test]
fn on_tokio_current_thread() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let start = Instant::now();
    let out = rt.block_on(async {
        sleep(0.003).await;
        "slept"
    });
    assert_eq!(out, "slept");
    assert_waited(start.elapsed(), Duration::from_millis(3));
}

#[test]
fn on_tokio_multi_thread_across_tasks() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let start = Instant::now();
    let outs = rt.block_on(async {
        let handles: Vec<_> = (1..=4u64)
            .map(|i| {
                tokio::spawn(async move {
                    sleep(Duration::from_millis(i)).await;
                    i * 10
                })
            })
            .collect();
        let mut outs = Vec::new();
        for handle in handles {
            outs.push(handle.await.unwrap());
        }
        outs
    });
    assert_eq!(outs, [10, 20, 30, 40]);
    assert_waited(start.elapsed(), Duration::from_millis(4));
}

/// First polled outside any loop, the sleep is on the portable timer; awaited later inside a
/// (real-time) corio loop, it stays there and still completes.
#[test]
fn a_sleep_first_polled_outside_a_loop_keeps_the_portable_timer() {
    let mut nap = Box::pin(sleep(0.003));
    let start = Instant::now();
    assert!(
        nap.as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
            .is_pending()
    );
    corio::run(nap);
    assert_waited(start.elapsed(), Duration::from_millis(3));
}

/// Inside a loop, a sleep is the loop's timer: virtual time applies, as before.
#[test]
fn inside_a_loop_the_loop_timer_is_used() {
    let start = Instant::now();
    let at = run_virtual(async {
        sleep(3600).await;
        corio::time()
    });
    assert_eq!(at, 3600.0);
    assert!(start.elapsed() < Duration::from_secs(30));
}

#[test]
fn create_task_and_time_still_need_a_loop() {
    let message = panic_message(|| {
        futures::executor::block_on(async {
            drop(corio::create_task(async {}));
        })
    });
    assert!(message.contains("no running event loop"), "{message}");
    let message = panic_message(|| {
        futures::executor::block_on(async {
            sleep(0.001).await;
            corio::time();
        })
    });
    assert!(message.contains("no running event loop"), "{message}");
}
