//! `as_completed!`: outputs in completion order, the timeout form (items before the deadline,
//! one `Err` at it, then the end), a drop at every poll point, per-child wakers, other
//! executors, and the `as_completed` example's exact output.

// The example is included as a module and declares its own `mod common;`.
#![allow(clippy::duplicate_mod)]

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use corio::{TimeoutError, as_completed, sleep, time};
use futures::{Stream, StreamExt};

mod support;
// `say!` in the included example reaches `crate::common`.
use support::common;
use support::{DropCounter, DropToken, assert_send, run_example, run_virtual, thread_after};

#[allow(dead_code)]
#[path = "../examples/as_completed.rs"]
mod as_completed_example;

/// Sleeps `delay` seconds, then outputs `name`.
async fn after(delay: f64, name: &str) -> &str {
    sleep(delay).await;
    name
}

#[test]
fn fixed_form_yields_in_completion_order() {
    let trace = run_virtual(async {
        // Used as the spread form is: no `pin!` (the stream is boxed once, `Unpin`).
        let mut results = as_completed!(
            after(3.0, "a"),
            after(1.0, "b"),
            async { "now" },
            after(2.0, "c")
        );
        let mut trace = Vec::new();
        while let Some(name) = results.next().await {
            trace.push((time(), name));
        }
        assert_eq!(results.next().await, None, "it stays ended");
        trace
    });
    assert_eq!(trace, [(0.0, "now"), (1.0, "b"), (2.0, "c"), (3.0, "a")]);
}

#[test]
fn spread_form_yields_in_completion_order() {
    let trace = run_virtual(async {
        let delays = [5, 3, 4, 1, 2];
        let mut results = as_completed!(
            ..delays.iter().map(|&d| async move {
                sleep(d).await;
                d
            })
        );
        assert_eq!(results.size_hint(), (5, Some(5)));
        let mut trace = Vec::new();
        while let Some(delay) = results.next().await {
            trace.push((time(), delay));
        }
        assert_eq!(results.remaining(), 0);
        trace
    });
    assert_eq!(trace, [(1.0, 1), (2.0, 2), (3.0, 3), (4.0, 4), (5.0, 5)]);
}

#[test]
fn children_finishing_together_come_in_argument_order() {
    let order = run_virtual(async {
        let results = as_completed!(..["x", "y", "z"].map(|name| after(1.0, name)));
        results.collect::<Vec<_>>().await
    });
    assert_eq!(order, ["x", "y", "z"]);
}

#[test]
fn every_child_starts_at_the_first_poll_even_when_one_is_ready_at_once() {
    let started = RefCell::new(Vec::new());
    let child = |delay: u64, name: &'static str| {
        let started = &started;
        async move {
            started.borrow_mut().push((time(), name));
            sleep(delay).await;
            name
        }
    };
    run_virtual(async {
        let mut spread = as_completed!(..[child(0, "spread now"), child(1, "spread later")]);
        assert_eq!(spread.next().await, Some("spread now"));
        let mut fixed = as_completed!(async { "fixed now" }, child(1, "fixed later"));
        assert_eq!(fixed.next().await, Some("fixed now"));
        // Children run inside the stream's polls: nothing polls them until 5.0, but their
        // timers were armed when they started, so both are ready at once then.
        sleep(5).await;
        assert_eq!(spread.next().await, Some("spread later"));
        assert_eq!(fixed.next().await, Some("fixed later"));
        assert_eq!(time(), 5.0);
    });
    assert_eq!(
        started.into_inner(),
        [
            (0.0, "spread now"),
            (0.0, "spread later"),
            (0.0, "fixed later")
        ]
    );
}

#[test]
fn spread_of_nothing_ends_at_once() {
    let mut results = as_completed!(..Vec::<std::future::Ready<u8>>::new());
    assert_eq!(futures::executor::block_on(results.next()), None);
}

#[test]
fn timeout_yields_what_finished_then_one_err_at_the_deadline_then_ends() {
    let dropped = DropCounter::default();
    let (trace, dropped_before_drop) = run_virtual(async {
        let children = [4.0, 1.0, 2.5, 3.0, 0.5].map(|delay| {
            let token = dropped.token();
            async move {
                let _token = token;
                sleep(delay).await;
                delay
            }
        });
        let mut results = as_completed!(..children, timeout = 2.75);
        let mut trace = Vec::new();
        while let Some(item) = results.next().await {
            trace.push((time(), item));
        }
        assert_eq!(results.next().await, None, "it stays ended");
        let dropped_before_drop = dropped.count();
        drop(results);
        (trace, dropped_before_drop)
    });
    assert_eq!(
        trace,
        [
            (0.5, Ok(0.5)),
            (1.0, Ok(1.0)),
            (2.5, Ok(2.5)),
            (2.75, Err(TimeoutError))
        ]
    );
    assert_eq!(
        dropped_before_drop, 3,
        "the unfinished children live until the stream is dropped"
    );
    assert_eq!(dropped.count(), 5, "then they are dropped, each once");
}

#[test]
fn a_child_finishing_at_the_deadline_is_yielded_not_timed_out() {
    let trace = run_virtual(async {
        let mut results = as_completed!(
            ..[after(2.0, "on time"), after(3.0, "late")],
            timeout = Duration::from_secs(2)
        );
        let mut trace = Vec::new();
        while let Some(item) = results.next().await {
            trace.push((time(), item));
        }
        trace
    });
    assert_eq!(trace, [(2.0, Ok("on time")), (2.0, Err(TimeoutError))]);
}

#[test]
fn timeout_not_reached_ends_without_err() {
    let trace = run_virtual(async {
        let results = as_completed!(..[after(1.0, "a"), after(2.0, "b")], timeout = 10);
        results.map(|item| (time(), item)).collect::<Vec<_>>().await
    });
    assert_eq!(trace, [(1.0, Ok("a")), (2.0, Ok("b"))]);
}

/// Returns `Pending` (waking itself) `yields` times, then outputs `yields`; `_alive` is dropped
/// with the future.
struct Yields {
    yields: usize,
    left: usize,
    _alive: DropToken,
}

impl Future for Yields {
    type Output = usize;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        if self.left == 0 {
            return Poll::Ready(self.yields);
        }
        self.left -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

fn yields(yields: usize, alive: &DropCounter) -> Yields {
    Yields {
        yields,
        left: yields,
        _alive: alive.token(),
    }
}

#[test]
fn dropping_the_fixed_form_at_every_poll_point_drops_each_child_once() {
    for polls in 0..=8 {
        let alive = DropCounter::default();
        let mut stream = Box::pin(as_completed!(
            yields(2, &alive),
            yields(0, &alive),
            yields(1, &alive)
        ));
        let mut cx = Context::from_waker(Waker::noop());
        let mut yielded = Vec::new();
        for _ in 0..polls {
            match stream.as_mut().poll_next(&mut cx) {
                Poll::Ready(Some(item)) => yielded.push(item),
                Poll::Ready(None) => break,
                Poll::Pending => {}
            }
        }
        assert_eq!(
            alive.count(),
            yielded.len(),
            "a yielded child was dropped before its output came out"
        );
        drop(stream);
        assert_eq!(
            alive.count(),
            3,
            "each child dropped once, after {polls} polls"
        );
        let expected = [0, 1, 2];
        assert_eq!(yielded, expected[..yielded.len()]);
    }
}

#[test]
fn dropping_the_spread_at_every_poll_point_drops_each_child_once() {
    for polls in 0..=8 {
        let alive = DropCounter::default();
        let children: Vec<Yields> = [3, 0, 2, 1]
            .into_iter()
            .map(|n| yields(n, &alive))
            .collect();
        let mut stream = as_completed!(..children);
        let mut cx = Context::from_waker(Waker::noop());
        let mut yielded = Vec::new();
        for _ in 0..polls {
            match Pin::new(&mut stream).poll_next(&mut cx) {
                Poll::Ready(Some(item)) => yielded.push(item),
                Poll::Ready(None) => break,
                Poll::Pending => {}
            }
        }
        assert_eq!(alive.count(), yielded.len());
        drop(stream);
        assert_eq!(
            alive.count(),
            4,
            "each child dropped once, after {polls} polls"
        );
        assert_eq!(yielded, [0, 1, 2, 3][..yielded.len()]);
    }
}

#[test]
fn dropping_the_timeout_form_at_every_step_drops_each_child_once() {
    for steps in 0..=4 {
        let alive = DropCounter::default();
        let yielded = run_virtual(async {
            let children = [3, 1, 2].map(|delay| {
                let token = alive.token();
                async move {
                    let _token = token;
                    sleep(delay).await;
                    delay
                }
            });
            let mut stream = as_completed!(..children, timeout = 2.5);
            let mut yielded = Vec::new();
            for _ in 0..steps {
                if let Some(item) = stream.next().await {
                    yielded.push(item);
                }
            }
            yielded
        });
        assert_eq!(
            alive.count(),
            3,
            "each child dropped once, after {steps} steps"
        );
        let expected = [Ok(1), Ok(2), Err(TimeoutError)];
        assert_eq!(yielded, expected[..steps.min(3)]);
    }
}

/// Whether each flag is set, and the waker of the future waiting on it.
type FlagSlots = Vec<(bool, Option<Waker>)>;

/// Flags that futures wait on; [`Flags::set`] wakes the waiter.
#[derive(Clone)]
struct Flags(Arc<Mutex<FlagSlots>>);

impl Flags {
    fn new(n: usize) -> Self {
        Flags(Arc::new(Mutex::new(vec![(false, None); n])))
    }
    fn set(&self, index: usize) {
        let waker = {
            let mut flags = self.0.lock().unwrap();
            flags[index].0 = true;
            flags[index].1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
    /// Waits for flag `index`, counting its polls in `polls[index]`.
    fn wait(
        &self,
        index: usize,
        polls: Rc<RefCell<Vec<usize>>>,
    ) -> impl Future<Output = usize> + use<> {
        let flags = self.clone();
        std::future::poll_fn(move |cx| {
            polls.borrow_mut()[index] += 1;
            let mut flags = flags.0.lock().unwrap();
            if flags[index].0 {
                Poll::Ready(index)
            } else {
                flags[index].1 = Some(cx.waker().clone());
                Poll::Pending
            }
        })
    }
}

#[test]
fn each_child_is_polled_only_when_woken() {
    let n = 1000;
    let flags = Flags::new(n);
    let polls = Rc::new(RefCell::new(vec![0; n]));
    let mut stream = as_completed!(..(0..n).map(|i| flags.wait(i, polls.clone())));
    let mut cx = Context::from_waker(Waker::noop());
    assert!(Pin::new(&mut stream).poll_next(&mut cx).is_pending());
    // Finish them from last to first: each comes out as it finishes, after one more poll.
    for i in (0..n).rev() {
        flags.set(i);
        assert_eq!(
            Pin::new(&mut stream).poll_next(&mut cx),
            Poll::Ready(Some(i))
        );
        assert!(Pin::new(&mut stream).poll_next(&mut cx).is_pending() || i == 0);
    }
    assert_eq!(Pin::new(&mut stream).poll_next(&mut cx), Poll::Ready(None));
    assert!(
        polls.borrow().iter().all(|&p| p == 2),
        "each child polled twice: {:?}",
        &polls.borrow()[..10]
    );
}

#[test]
fn runs_under_futures_block_on_with_wakes_from_other_threads() {
    let spread: Vec<u32> = futures::executor::block_on(
        as_completed!(..(0..10).map(|i| thread_after(10 + 15 * (9 - i), i as u32))).collect(),
    );
    assert_eq!(spread, (0..10).rev().collect::<Vec<_>>());
    let fixed: Vec<u32> = futures::executor::block_on(
        as_completed!(thread_after(60, 1), thread_after(5, 2), thread_after(30, 3)).collect(),
    );
    assert_eq!(fixed, [2, 3, 1]);
}

#[test]
fn runs_on_tokio_current_thread() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let order: Vec<(u64, &str)> = runtime.block_on(async {
        let start = tokio::time::Instant::now();
        let child = |millis, name| async move {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            name
        };
        let stream = as_completed!(child(30, "a"), child(10, "b"), child(20, "c"));
        stream
            .map(|name| (start.elapsed().as_millis() as u64, name))
            .collect()
            .await
    });
    assert_eq!(order, [(10, "b"), (20, "c"), (30, "a")]);
}

#[test]
fn timeout_works_off_the_corio_loop() {
    let child = |millis, value| async move {
        tokio::time::sleep(Duration::from_millis(millis)).await;
        value
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let items: Vec<_> = runtime.block_on(
        as_completed!(
            ..[child(5, 1), child(2_000, 2)],
            timeout = Duration::from_millis(300)
        )
        .collect(),
    );
    assert_eq!(items, [Ok(1), Err(TimeoutError)]);
    let items: Vec<_> = futures::executor::block_on(
        as_completed!(
            ..[thread_after(5, 1), thread_after(2_000, 2)],
            timeout = 0.3
        )
        .collect(),
    );
    assert_eq!(items, [Ok(1), Err(TimeoutError)]);
}

#[test]
fn runs_on_tokio_multi_thread_and_its_items_cross_threads() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let (spread, fixed) = runtime.block_on(async {
        tokio::spawn(async {
            let spread = assert_send(as_completed!(
                ..(0..40u64).map(|i| async move {
                    tokio::time::sleep(Duration::from_millis(3 * (40 - i))).await;
                    tokio::task::yield_now().await;
                    i
                })
            ));
            let fixed = assert_send(as_completed!(
                async {
                    tokio::spawn(async { String::from("spawned") })
                        .await
                        .unwrap()
                },
                async { thread_after(50, 0).await.to_string() },
            ));
            (
                spread.collect::<Vec<_>>().await,
                fixed.collect::<Vec<_>>().await,
            )
        })
        .await
        .unwrap()
    });
    // Real timers on two workers: every item arrives (their order is checked under virtual
    // time and on the paused current-thread runtime).
    let mut sorted = spread.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..40).collect::<Vec<_>>());
    assert_eq!(fixed, ["spawned", "0"]);
}

#[test]
fn the_as_completed_example_prints_in_completion_order() {
    let (printed, lines, end) = run_example(as_completed_example::program());
    assert_eq!(
        printed,
        [
            "b.txt (1s)",
            "c.txt (2s)",
            "a.txt (3s)",
            "b.txt (1s)",
            "c.txt (2s)"
        ]
    );
    assert_eq!(end, 5.5);
    let lines: Vec<(f64, &str)> = lines.iter().map(|(t, l)| (*t, l.as_str())).collect();
    assert_eq!(
        lines,
        [
            (1.0, "got b.txt (1s)"),
            (2.0, "got c.txt (2s)"),
            (3.0, "got a.txt (3s)"),
            (4.0, "got b.txt (1s)"),
            (5.0, "got c.txt (2s)"),
            (5.5, "timeout!"),
        ]
    );
}
