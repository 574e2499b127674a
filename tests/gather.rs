//! `gather!`: outputs in argument order whatever the completion order, the `try` form's
//! short-circuit, the spread form's per-child wakers, a drop at every poll point, other
//! executors, and the `factorial_gather` example's exact output.

// The example is included as a module and declares its own `mod common;`.
#![allow(clippy::duplicate_mod)]

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use corio::{gather, sleep, time};

mod support;
// `say!` in the included example reaches `crate::common`.
use support::common;
use support::{
    DropCounter, DropToken, assert_send, run_example, run_virtual, thread_after, yield_once,
};

#[allow(dead_code)]
#[path = "../examples/factorial_gather.rs"]
mod factorial_gather;

/// Sleeps `delay` seconds, records `(time, name)` in `trace`, outputs `name`.
async fn after(
    delay: u64,
    name: &'static str,
    trace: &RefCell<Vec<(f64, &'static str)>>,
) -> &'static str {
    sleep(delay).await;
    trace.borrow_mut().push((time(), name));
    name
}

#[test]
fn outputs_come_in_argument_order_not_completion_order() {
    let trace = RefCell::new(Vec::new());
    let (output, end) = run_virtual(async {
        let output = gather!(
            after(3, "a", &trace),
            after(1, "b", &trace),
            after(2, "c", &trace)
        )
        .await;
        (output, time())
    });
    assert_eq!(output, ("a", "b", "c"));
    assert_eq!(end, 3.0, "the children ran concurrently");
    assert_eq!(trace.into_inner(), [(1.0, "b"), (2.0, "c"), (3.0, "a")]);
}

#[test]
fn children_of_different_types_and_a_trailing_comma() {
    let output = run_virtual(async {
        gather!(async { 1u8 }, async { "two" }, std::future::ready(3.0),).await
    });
    assert_eq!(output, (1u8, "two", 3.0));
}

#[test]
fn one_child_gives_a_one_tuple() {
    assert_eq!(futures::executor::block_on(gather!(async { 7 })), (7,));
}

#[test]
fn tasks_are_gathered_like_futures() {
    let output = run_virtual(async {
        let a = corio::create_task(async {
            sleep(2).await;
            "a"
        });
        let b = corio::create_task(async { "b" });
        gather!(a, b).await
    });
    assert_eq!(output.0.unwrap(), "a");
    assert_eq!(output.1.unwrap(), "b");
}

/// Starts a background task, then gathers two children that log their first step, as plain
/// futures or as tasks; returns the log.
fn first_steps(as_tasks: bool) -> Vec<&'static str> {
    let log = Rc::new(RefCell::new(Vec::new()));
    let step = |name: &'static str| {
        let log = log.clone();
        async move { log.borrow_mut().push(name) }
    };
    run_virtual(async {
        let background = corio::create_task(step("background"));
        if as_tasks {
            let (a, b) =
                gather!(corio::create_task(step("a")), corio::create_task(step("b"))).await;
            a.unwrap();
            b.unwrap();
        } else {
            gather!(step("a"), step("b")).await;
        }
        background.await.unwrap();
    });
    Rc::try_unwrap(log).unwrap().into_inner()
}

#[test]
fn plain_children_run_inline_and_tasks_get_asyncios_interleaving() {
    // asyncio's `gather` wraps each coroutine in a task queued after `background`.
    assert_eq!(first_steps(true), ["background", "a", "b"]);
    // Plain futures run inside the awaiting task, before the loop's next pass.
    assert_eq!(first_steps(false), ["a", "b", "background"]);
}

#[test]
fn spread_outputs_a_vec_in_argument_order() {
    let trace = RefCell::new(Vec::new());
    let names = ["a", "b", "c", "d"];
    let delays = [4, 2, 3, 1];
    let (output, end) = run_virtual(async {
        let children = names
            .iter()
            .zip(delays)
            .map(|(name, delay)| after(delay, name, &trace));
        let output = gather!(..children).await;
        (output, time())
    });
    assert_eq!(output, names);
    assert_eq!(end, 4.0);
    assert_eq!(
        trace.into_inner(),
        [(1.0, "d"), (2.0, "b"), (3.0, "c"), (4.0, "a")]
    );
}

#[test]
fn spread_of_nothing_is_an_empty_vec() {
    let empty: Vec<std::future::Ready<u32>> = Vec::new();
    assert_eq!(
        futures::executor::block_on(gather!(..empty)),
        Vec::<u32>::new()
    );
}

/// Sleeps `delay`, then outputs `result`; `token` is dropped with the future.
async fn fallible(
    delay: u64,
    result: Result<u32, String>,
    token: DropToken,
) -> Result<u32, String> {
    let _token = token;
    sleep(delay).await;
    result
}

#[test]
fn try_outputs_every_ok_in_argument_order() {
    let dropped = DropCounter::default();
    let output = run_virtual(async {
        gather!(try
            fallible(2, Ok(1), dropped.token()),
            fallible(1, Ok(2), dropped.token()),
        )
        .await
    });
    assert_eq!(output, Ok((1, 2)));
    assert_eq!(dropped.count(), 2);
}

#[test]
fn try_returns_the_first_err_and_drops_the_rest_at_once() {
    let dropped = DropCounter::default();
    let (output, at, dropped_then) = run_virtual(async {
        let output = gather!(try
            fallible(5, Ok(1), dropped.token()),
            fallible(2, Err("second".to_string()), dropped.token()),
            fallible(1, Err("third".to_string()), dropped.token()),
            fallible(9, Ok(4), dropped.token()),
        )
        .await;
        (output, time(), dropped.count())
    });
    // The third child fails first (at 1.0): its error wins, the others are dropped then.
    assert_eq!(output, Err("third".to_string()));
    assert_eq!(at, 1.0);
    assert_eq!(
        dropped_then, 4,
        "every child dropped by the time the error is returned"
    );
    assert_eq!(dropped.count(), 4, "and exactly once");
}

#[test]
fn try_spread_returns_the_first_err_and_drops_the_rest_at_once() {
    let dropped = DropCounter::default();
    let (output, at, dropped_then) = run_virtual(async {
        let children = (0..10u64).map(|i| {
            let result = if i == 7 {
                Err(format!("child {i}"))
            } else {
                Ok(i as u32)
            };
            fallible(if i >= 7 { 10 - i } else { 20 }, result, dropped.token())
        });
        let output = gather!(try ..children).await;
        (output, time(), dropped.count())
    });
    assert_eq!(output, Err("child 7".to_string()));
    assert_eq!(at, 3.0);
    assert_eq!(dropped_then, 10);
    assert_eq!(dropped.count(), 10);
}

#[test]
fn try_spread_outputs_every_ok() {
    let output = run_virtual(async {
        let children = (0..5u64).map(|i| async move {
            sleep(5 - i).await;
            Ok::<_, String>(i * 10)
        });
        gather!(try ..children).await
    });
    assert_eq!(output, Ok(vec![0, 10, 20, 30, 40]));
}

/// A future that returns `Pending` (waking itself) `yields` times, then outputs a [`DropToken`];
/// counts its polls, and its `_alive` token is dropped with it.
struct Yields {
    yields: usize,
    polls: Arc<AtomicUsize>,
    output: Option<DropToken>,
    _alive: DropToken,
}

impl Future for Yields {
    type Output = DropToken;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<DropToken> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        if self.yields == 0 {
            return Poll::Ready(self.output.take().expect("polled after completion"));
        }
        self.yields -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Polls `future` `polls` times (or until it finishes) with a no-op waker, then drops it;
/// returns whether it finished.
fn poll_then_drop<F: Future>(future: F, polls: usize) -> bool {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..polls {
        if future.as_mut().poll(&mut cx).is_ready() {
            return true;
        }
    }
    false
}

#[test]
fn dropping_at_every_poll_point_drops_each_child_once() {
    for polls in 0..=5 {
        let (alive, outputs) = (DropCounter::default(), DropCounter::default());
        let child = |yields| Yields {
            yields,
            polls: Arc::default(),
            output: Some(outputs.token()),
            _alive: alive.token(),
        };
        let finished = poll_then_drop(gather!(child(0), child(2), child(1)), polls);
        assert_eq!(finished, polls >= 3, "after {polls} polls");
        assert_eq!(
            alive.count(),
            3,
            "each child dropped once, after {polls} polls"
        );
        assert_eq!(
            outputs.count(),
            3,
            "each output dropped once, after {polls} polls"
        );
    }
}

#[test]
fn dropping_try_at_every_poll_point_drops_each_child_once() {
    for spread in [false, true] {
        for polls in 0..=5 {
            let alive = DropCounter::default();
            let child = |yields: usize, result: Result<u8, u8>| {
                let token = alive.token();
                async move {
                    let _token = token;
                    for _ in 0..yields {
                        yield_once().await;
                    }
                    result
                }
            };
            let mut future: Pin<Box<dyn Future<Output = Result<Vec<u8>, u8>>>> = if spread {
                Box::pin(gather!(try ..[child(1, Ok(1)), child(3, Err(2)), child(5, Ok(3))]))
            } else {
                let fixed = gather!(try child(1, Ok(1)), child(3, Err(2)), child(5, Ok(3)));
                Box::pin(async { fixed.await.map(|(a, b, c)| vec![a, b, c]) })
            };
            let mut output = None;
            let mut cx = Context::from_waker(Waker::noop());
            for _ in 0..polls {
                if let Poll::Ready(result) = future.as_mut().poll(&mut cx) {
                    output = Some(result);
                    break;
                }
            }
            if polls >= 4 {
                // The second child fails at its fourth poll; the others are dropped then.
                assert_eq!(output, Some(Err(2)));
                assert_eq!(alive.count(), 3, "the error dropped every child");
            } else {
                assert_eq!(output, None);
            }
            drop(future);
            assert_eq!(
                alive.count(),
                3,
                "each child dropped once, after {polls} polls"
            );
        }
    }
}

#[test]
fn dropping_the_spread_at_every_poll_point_drops_each_child_once() {
    for polls in 0..=6 {
        let (alive, outputs) = (DropCounter::default(), DropCounter::default());
        let children: Vec<Yields> = [3, 0, 4, 1, 2]
            .into_iter()
            .map(|yields| Yields {
                yields,
                polls: Arc::default(),
                output: Some(outputs.token()),
                _alive: alive.token(),
            })
            .collect();
        let finished = poll_then_drop(gather!(..children), polls);
        assert_eq!(finished, polls >= 5, "after {polls} polls");
        assert_eq!(
            alive.count(),
            5,
            "each child dropped once, after {polls} polls"
        );
        assert_eq!(
            outputs.count(),
            5,
            "each output dropped once, after {polls} polls"
        );
    }
}

/// Whether each flag is set, and the waker of the future waiting on it.
type FlagSlots = Vec<(bool, Option<Waker>)>;

/// Flags that futures wait on; [`Flags::set`] wakes the waiter.
#[derive(Clone, Default)]
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
    fn wait(&self, index: usize, polls: Rc<RefCell<Vec<usize>>>) -> impl Future<Output = usize> {
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
fn a_wake_of_one_child_of_the_spread_repolls_only_that_child() {
    let n = 1000;
    let flags = Flags::new(n);
    let polls = Rc::new(RefCell::new(vec![0; n]));
    let children: Vec<_> = (0..n).map(|i| flags.wait(i, polls.clone())).collect();
    let mut future = std::pin::pin!(gather!(..children));
    let mut cx = Context::from_waker(Waker::noop());
    assert!(future.as_mut().poll(&mut cx).is_pending());
    assert!(
        polls.borrow().iter().all(|&p| p == 1),
        "first poll: every child once"
    );
    flags.set(500);
    assert!(future.as_mut().poll(&mut cx).is_pending());
    assert_eq!(polls.borrow()[500], 2);
    assert_eq!(
        polls.borrow().iter().sum::<usize>(),
        n + 1,
        "only the woken child re-polled"
    );
    for i in (0..n).rev() {
        flags.set(i);
    }
    let Poll::Ready(output) = future.as_mut().poll(&mut cx) else {
        panic!("every flag is set")
    };
    assert_eq!(output, (0..n).collect::<Vec<_>>());
    assert_eq!(
        polls.borrow().iter().sum::<usize>(),
        2 * n,
        "each child polled twice"
    );
}

#[test]
fn runs_under_futures_block_on_with_wakes_from_other_threads() {
    let fixed = futures::executor::block_on(gather!(thread_after(30, 1), thread_after(10, 2)));
    assert_eq!(fixed, (1, 2));
    let spread =
        futures::executor::block_on(gather!(..(0..20).map(|i| thread_after(20 - i, i as u32))));
    assert_eq!(spread, (0..20).collect::<Vec<_>>());
    let failed = futures::executor::block_on(gather!(try
        async { Ok::<u8, &str>(thread_after(20, 1).await as u8) },
        async { Err::<u8, &str>("no") },
    ));
    assert_eq!(failed, Err("no"));
}

#[test]
fn runs_on_tokio_current_thread() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let output = runtime.block_on(async {
        let slow = async {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            "slow"
        };
        let spread = (0..10u64).map(|i| async move {
            tokio::time::sleep(std::time::Duration::from_millis(10 - i)).await;
            i
        });
        gather!(slow, async { "fast" }, gather!(..spread)).await
    });
    assert_eq!(output, ("slow", "fast", (0..10).collect::<Vec<_>>()));
}

#[test]
fn runs_on_tokio_multi_thread_and_its_output_crosses_threads() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let output = runtime.block_on(async {
        let spawned = tokio::spawn(assert_send(async {
            let spread = (0..50u32).map(|i| async move {
                tokio::time::sleep(std::time::Duration::from_millis(u64::from(50 - i) / 5)).await;
                // Hop onto another worker now and then.
                tokio::task::yield_now().await;
                i
            });
            let fixed = gather!(
                tokio::spawn(async { String::from("spawned") }),
                thread_after(10, 7),
            );
            let tried = gather!(try ..(0..3).map(|i| async move { Ok::<u32, String>(i) }));
            gather!(
                assert_send(gather!(..spread)),
                assert_send(fixed),
                assert_send(tried)
            )
            .await
        }));
        spawned.await.unwrap()
    });
    let (spread, (spawned, seven), tried) = output;
    assert_eq!(spread, (0..50).collect::<Vec<_>>());
    assert_eq!(spawned.unwrap(), "spawned");
    assert_eq!(seven, 7);
    assert_eq!(tried, Ok(vec![0, 1, 2]));
}

#[test]
fn factorial_gather_prints_what_asyncio_prints() {
    let (list, lines, end) = run_example(factorial_gather::program());
    assert_eq!(list, [2, 6, 24]);
    assert_eq!(end, 3.0);
    let expected = [
        (0.0, "Task A: Compute factorial(2)..."),
        (0.0, "Task B: Compute factorial(2)..."),
        (0.0, "Task C: Compute factorial(2)..."),
        (1.0, "Task A: factorial(2) = 2"),
        (1.0, "Task B: Compute factorial(3)..."),
        (1.0, "Task C: Compute factorial(3)..."),
        (2.0, "Task B: factorial(3) = 6"),
        (2.0, "Task C: Compute factorial(4)..."),
        (3.0, "Task C: factorial(4) = 24"),
        (3.0, "[2, 6, 24]"),
    ];
    let lines: Vec<(f64, &str)> = lines.iter().map(|(t, l)| (*t, l.as_str())).collect();
    assert_eq!(lines, expected);
}
