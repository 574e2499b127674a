//! The cost of `#[corio::coroutine]`'s frame: the same `async fn` bodies, bare and as
//! coroutines, side by side in one criterion group per workload (DESIGN.md section 6 target:
//! <= 5 % time and <= 32 bytes over the bare `async fn`).
//!
//! * `call_1000`: an outer fn awaits 1000 calls of a leaf fn that does a little arithmetic and
//!   awaits a ready future: the whole run is one poll, so this is the frame's per-call cost
//!   (construct, first poll, the await-site store, close, drop).
//! * `yield_1000`: the same, but each leaf yields once (a future that wakes itself and returns
//!   `Pending` once), so every leaf is polled twice and every poll goes through both frames.
//! * `nested_10_yield_100`: a chain of 10 nested coroutines whose innermost yields 100 times:
//!   each poll of the outermost goes down 10 frames.
//! * `frame_loop`: `yield_1000`'s fns (the loop's fn and its yielding leaf, both coroutines or
//!   both bare) inside `corio::run` on the real clock: each yield wakes the main task and
//!   waits for a loop pass, as in a real program, so the ratio shows how much of the frame's
//!   cost is left once the loop's own work per step is beside it. The rounds of a sample run
//!   in one `corio::run`, timed from inside it, so the loop's set-up is not counted.
//!
//! The first three are driven by a minimal loop (poll with a no-op waker until ready) so only
//! the futures are measured. Before the groups, `main` prints the size of each leaf's future,
//! and `frame_loop`'s paired ratio: on a shared machine, criterion's two `frame_loop` groups
//! run seconds apart, so other programs' load moves their ratio by more than the 5 % it is
//! judged on; the paired figure runs the bare and the coroutine rounds in alternation (each
//! round in its own `corio::run`, timed by the process's CPU time), `PAIRS` times, and prints
//! the median of each and the median of the per-pair ratios.

use std::future::Future;
use std::hint::black_box;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::Criterion;

mod support;

/// Pending once (waking itself), then ready.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if std::mem::replace(&mut self.0, true) {
            Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// Polls `future` with a no-op waker until it is ready.
fn drive<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

/// Runs `iters` rounds of `round` inside one `corio::run`; returns the time the rounds took.
fn on_corio_loop<F: Future<Output = u64>>(iters: u64, round: impl Fn() -> F) -> Duration {
    corio::run(async {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(round().await);
        }
        start.elapsed()
    })
}

/// The workloads' fns, once bare and once as coroutines: the bodies are token for token the
/// same.
macro_rules! workloads {
    ($module:ident $(, #[$attr:meta])?) => {
        mod $module {
            use super::*;

            $(#[$attr])?
            pub async fn leaf(x: u64) -> u64 {
                let y = std::future::ready(black_box(x)).await;
                y.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(7)
            }

            $(#[$attr])?
            pub async fn call_1000() -> u64 {
                let mut sum = 0u64;
                for i in 0..1000 {
                    sum = sum.wrapping_add(leaf(i).await);
                }
                sum
            }

            $(#[$attr])?
            pub async fn yielding_leaf(x: u64) -> u64 {
                YieldOnce(false).await;
                black_box(x).wrapping_mul(3)
            }

            $(#[$attr])?
            pub async fn yield_1000() -> u64 {
                let mut sum = 0u64;
                for i in 0..1000 {
                    sum = sum.wrapping_add(yielding_leaf(i).await);
                }
                sum
            }

            $(#[$attr])?
            pub async fn yield_100() -> u64 {
                for _ in 0..100 {
                    YieldOnce(false).await;
                }
                black_box(100)
            }

            $(#[$attr])? pub async fn depth1() -> u64 { yield_100().await + 1 }
            $(#[$attr])? pub async fn depth2() -> u64 { depth1().await + 1 }
            $(#[$attr])? pub async fn depth3() -> u64 { depth2().await + 1 }
            $(#[$attr])? pub async fn depth4() -> u64 { depth3().await + 1 }
            $(#[$attr])? pub async fn depth5() -> u64 { depth4().await + 1 }
            $(#[$attr])? pub async fn depth6() -> u64 { depth5().await + 1 }
            $(#[$attr])? pub async fn depth7() -> u64 { depth6().await + 1 }
            $(#[$attr])? pub async fn depth8() -> u64 { depth7().await + 1 }
            $(#[$attr])? pub async fn depth9() -> u64 { depth8().await + 1 }
        }
    };
}

workloads!(bare);
workloads!(coro, #[corio::coroutine]);

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("call_1000");
    group.sample_size(50);
    group.bench_function("bare_async_fn", |b| b.iter(|| drive(bare::call_1000())));
    group.bench_function("corio_coroutine", |b| b.iter(|| drive(coro::call_1000())));
    group.finish();

    let mut group = c.benchmark_group("yield_1000");
    group.sample_size(50);
    group.bench_function("bare_async_fn", |b| b.iter(|| drive(bare::yield_1000())));
    group.bench_function("corio_coroutine", |b| b.iter(|| drive(coro::yield_1000())));
    group.finish();

    let mut group = c.benchmark_group("nested_10_yield_100");
    group.sample_size(50);
    group.bench_function("bare_async_fn", |b| b.iter(|| drive(bare::depth9())));
    group.bench_function("corio_coroutine", |b| b.iter(|| drive(coro::depth9())));
    group.finish();

    let mut group = c.benchmark_group("frame_loop");
    group.sample_size(50);
    group.bench_function("bare_async_fn", |b| {
        b.iter_custom(|iters| on_corio_loop(iters, bare::yield_1000))
    });
    group.bench_function("corio_coroutine", |b| {
        b.iter_custom(|iters| on_corio_loop(iters, coro::yield_1000))
    });
    group.finish();
}

/// `frame_loop`'s pairs: how many, and the `yield_1000` rounds in each run of a pair.
const PAIRS: usize = 41;
const ROUNDS: u64 = 200;

/// `frame_loop` bare and as coroutines in alternation (see the module docs); prints the
/// medians.
fn frame_loop_paired() {
    let paired = support::paired(
        PAIRS,
        || {
            on_corio_loop(ROUNDS, coro::yield_1000);
        },
        || {
            on_corio_loop(ROUNDS, bare::yield_1000);
        },
    );
    let per_await = |t: f64| t / (ROUNDS * 1000) as f64 * 1e9;
    println!(
        "frame_loop paired ({PAIRS} pairs of {ROUNDS} x 1000 awaits, CPU time): bare {:.2} ns, \
         coroutine {:.2} ns per await; median ratio {:.3}",
        per_await(paired.b),
        per_await(paired.a),
        paired.ratio
    );
}

/// `size_of_val` of a future, without polling it.
fn size<F: Future>(future: F) -> usize {
    std::mem::size_of_val(&future)
}

fn main() {
    assert_eq!(drive(bare::call_1000()), drive(coro::call_1000()));
    assert_eq!(drive(bare::yield_1000()), drive(coro::yield_1000()));
    assert_eq!(drive(bare::depth9()), 109);
    assert_eq!(drive(coro::depth9()), 109);
    assert_eq!(
        corio::run(bare::yield_1000()),
        corio::run(coro::yield_1000())
    );
    println!("future sizes in bytes (bare async fn -> #[corio::coroutine]):");
    // The coroutines are dropped unpolled: keep their never-awaited reports off stderr.
    let (sizes, _reports) = corio::capture_never_awaited(|| {
        [
            ("leaf", size(bare::leaf(1)), size(coro::leaf(1))),
            (
                "call_1000",
                size(bare::call_1000()),
                size(coro::call_1000()),
            ),
            (
                "yielding_leaf",
                size(bare::yielding_leaf(1)),
                size(coro::yielding_leaf(1)),
            ),
            ("depth9", size(bare::depth9()), size(coro::depth9())),
        ]
    });
    for (name, bare, coro) in sizes {
        println!("  {name:<14} {bare:>4} -> {coro:>4} (+{})", coro - bare);
    }

    frame_loop_paired();

    let mut criterion = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2))
        .configure_from_args();
    bench(&mut criterion);
    criterion.final_summary();
}
