//! `wait_for!` against its peer, `tokio::time::timeout` (DESIGN.md section 6: "`wait_for!` on
//! a ready future ... <= 1.0 x tokio").
//!
//! * `wait_for_ready`: wrap a ready future with a 1 s timeout and await it. corio runs inside a
//!   tokio current-thread runtime (its deadline would be the portable timer, but a ready future
//!   never arms it) and inside its own loop (the deadline would be a loop timer); tokio's
//!   `timeout` runs in the same tokio runtime.
//! * `wait_for_pending_once`: the inner future is pending once (it wakes itself), so the
//!   deadline is armed at the first poll and disarmed when the future wins at the second:
//!   corio's loop timer and corio's portable timer (`futures-timer`, under tokio) beside
//!   tokio's timer wheel.
//!
//! A counting global allocator reports heap allocations per operation for each variant.

use std::future::{Future, poll_fn, ready};
use std::hint::black_box;
use std::task::Poll;
use std::time::{Duration, Instant};

use criterion::Criterion;

mod support;

#[global_allocator]
static GLOBAL: support::CountingAlloc = support::CountingAlloc;

/// Pending once (waking itself), then ready with `value`.
async fn pending_once(value: u64) -> u64 {
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            return Poll::Ready(value);
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await
}

const TIMEOUT: Duration = Duration::from_secs(1);

/// One operation of each variant.
macro_rules! ops {
    (corio_ready) => {
        let _ = black_box(corio::wait_for!(ready(black_box(1u64)), TIMEOUT).await);
    };
    (tokio_ready) => {
        let _ = black_box(tokio::time::timeout(TIMEOUT, ready(black_box(1u64))).await);
    };
    (corio_pending) => {
        let _ = black_box(corio::wait_for!(pending_once(black_box(1u64)), TIMEOUT).await);
    };
    (tokio_pending) => {
        let _ = black_box(tokio::time::timeout(TIMEOUT, pending_once(black_box(1u64))).await);
    };
}

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

/// Times `iters` runs of `op` inside `block_on`.
fn timed<F: Future<Output = ()>>(
    block_on: impl FnOnce(std::pin::Pin<Box<dyn Future<Output = Duration> + '_>>) -> Duration,
    iters: u64,
    op: impl Fn() -> F,
) -> Duration {
    block_on(Box::pin(async move {
        let start = Instant::now();
        for _ in 0..iters {
            op().await;
        }
        start.elapsed()
    }))
}

/// Heap allocations per operation, over `n` operations after a warm-up.
fn allocations_per_op<F: Future<Output = ()>>(
    block_on: impl Fn(std::pin::Pin<Box<dyn Future<Output = u64> + '_>>) -> u64,
    op: impl Fn() -> F,
) -> f64 {
    const N: u64 = 10_000;
    let allocations = block_on(Box::pin(async move {
        for _ in 0..100 {
            op().await;
        }
        support::start_counting();
        let before = support::allocations();
        for _ in 0..N {
            op().await;
        }
        let made = support::allocations() - before;
        support::stop_counting();
        made as u64
    }));
    allocations as f64 / N as f64
}

fn wait_for_ready(c: &mut Criterion) {
    let rt = tokio_rt();
    let mut group = c.benchmark_group("wait_for_ready");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(2));
    group.bench_function("corio wait_for! (in tokio current-thread)", |b| {
        b.iter_custom(|iters| {
            timed(
                |f| rt.block_on(f),
                iters,
                || async {
                    ops!(corio_ready);
                },
            )
        })
    });
    group.bench_function("tokio::time::timeout (in tokio current-thread)", |b| {
        b.iter_custom(|iters| {
            timed(
                |f| rt.block_on(f),
                iters,
                || async {
                    ops!(tokio_ready);
                },
            )
        })
    });
    group.bench_function("corio wait_for! (in corio loop)", |b| {
        b.iter_custom(|iters| {
            timed(
                |f| corio::run(f),
                iters,
                || async {
                    ops!(corio_ready);
                },
            )
        })
    });
    group.finish();

    let allocs = [
        (
            "corio wait_for! (in tokio current-thread)",
            allocations_per_op(
                |f| rt.block_on(f),
                || async {
                    ops!(corio_ready);
                },
            ),
        ),
        (
            "tokio::time::timeout (in tokio current-thread)",
            allocations_per_op(
                |f| rt.block_on(f),
                || async {
                    ops!(tokio_ready);
                },
            ),
        ),
        (
            "corio wait_for! (in corio loop)",
            allocations_per_op(
                |f| corio::run(f),
                || async {
                    ops!(corio_ready);
                },
            ),
        ),
    ];
    for (name, per_op) in allocs {
        println!("wait_for_ready/{name}: {per_op} heap allocations per op");
    }
}

fn wait_for_pending_once(c: &mut Criterion) {
    let rt = tokio_rt();
    let mut group = c.benchmark_group("wait_for_pending_once");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(2));
    group.bench_function("corio wait_for! (corio loop timer)", |b| {
        b.iter_custom(|iters| {
            timed(
                |f| corio::run(f),
                iters,
                || async {
                    ops!(corio_pending);
                },
            )
        })
    });
    group.bench_function("corio wait_for! (portable timer, in tokio)", |b| {
        b.iter_custom(|iters| {
            timed(
                |f| rt.block_on(f),
                iters,
                || async {
                    ops!(corio_pending);
                },
            )
        })
    });
    group.bench_function("tokio::time::timeout (in tokio current-thread)", |b| {
        b.iter_custom(|iters| {
            timed(
                |f| rt.block_on(f),
                iters,
                || async {
                    ops!(tokio_pending);
                },
            )
        })
    });
    group.finish();

    let allocs = [
        (
            "corio wait_for! (corio loop timer)",
            allocations_per_op(
                |f| corio::run(f),
                || async {
                    ops!(corio_pending);
                },
            ),
        ),
        (
            "corio wait_for! (portable timer, in tokio)",
            allocations_per_op(
                |f| rt.block_on(f),
                || async {
                    ops!(corio_pending);
                },
            ),
        ),
        (
            "tokio::time::timeout (in tokio current-thread)",
            allocations_per_op(
                |f| rt.block_on(f),
                || async {
                    ops!(tokio_pending);
                },
            ),
        ),
    ];
    for (name, per_op) in allocs {
        println!("wait_for_pending_once/{name}: {per_op} heap allocations per op");
    }
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    wait_for_ready(&mut criterion);
    wait_for_pending_once(&mut criterion);
    criterion.final_summary();
}
