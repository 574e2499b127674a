//! `gather!` beside its peers (DESIGN.md section 6), each figure in one criterion group with
//! its peers so the ratios come from one run:
//!
//! * `gather_8`: 8 children that are ready after one yield (each returns `Pending` once, waking
//!   itself), `gather!(a, ..., h)` vs `tokio::join!` and `futures::join!`. Each is awaited in
//!   an `async` block polled by hand with a no-op waker until ready (two polls), so no
//!   executor's overhead is in the figure. Before the group, `main` prints the heap
//!   allocations of one such run for each (a counting global allocator): the target is zero.
//! * `gather_spread/{10000,100000}`: `n` children, each waiting on its own flag, which a
//!   driver sets from last to first after the first poll; `gather!(..children)` vs
//!   `futures::future::join_all` and futures-concurrency's `Vec::join`. The figure includes
//!   building the children (the same for all); criterion's throughput gives the cost per
//!   child, which must stay flat from 10k to 100k.

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use futures_concurrency::future::Join as _;

mod support;

#[global_allocator]
static GLOBAL: support::CountingAlloc = support::CountingAlloc;

/// Ready after one yield: returns `Pending` once, waking itself, then `Ready(value)`.
struct YieldOnce {
    yielded: bool,
    value: u32,
}

fn yield_once(value: u32) -> YieldOnce {
    YieldOnce {
        yielded: false,
        value,
    }
}

impl Future for YieldOnce {
    type Output = u32;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        if self.yielded {
            Poll::Ready(self.value)
        } else {
            self.yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// Polls `future` with a no-op waker until it is ready.
fn poll_to_end<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

fn corio_8() -> u32 {
    poll_to_end(async {
        let (a, b, c, d, e, f, g, h) = corio::gather!(
            yield_once(1),
            yield_once(2),
            yield_once(3),
            yield_once(4),
            yield_once(5),
            yield_once(6),
            yield_once(7),
            yield_once(8),
        )
        .await;
        a + b + c + d + e + f + g + h
    })
}

fn tokio_8() -> u32 {
    poll_to_end(async {
        let (a, b, c, d, e, f, g, h) = tokio::join!(
            yield_once(1),
            yield_once(2),
            yield_once(3),
            yield_once(4),
            yield_once(5),
            yield_once(6),
            yield_once(7),
            yield_once(8),
        );
        a + b + c + d + e + f + g + h
    })
}

fn futures_8() -> u32 {
    poll_to_end(async {
        let (a, b, c, d, e, f, g, h) = futures::join!(
            yield_once(1),
            yield_once(2),
            yield_once(3),
            yield_once(4),
            yield_once(5),
            yield_once(6),
            yield_once(7),
            yield_once(8),
        );
        a + b + c + d + e + f + g + h
    })
}

use support::allocations_of as allocations;

fn bench_gather_8(c: &mut Criterion) {
    for (name, run) in [
        ("corio gather!", corio_8 as fn() -> u32),
        ("tokio::join!", tokio_8),
        ("futures::join!", futures_8),
    ] {
        assert_eq!(run(), 36);
        println!("gather_8 allocations per run: {name}: {}", allocations(run));
    }
    let mut group = c.benchmark_group("gather_8");
    group.sample_size(50);
    group.measurement_time(Duration::from_secs(3));
    group.bench_function("corio_gather", |b| b.iter(corio_8));
    group.bench_function("tokio_join", |b| b.iter(tokio_8));
    group.bench_function("futures_join", |b| b.iter(futures_8));
    group.finish();
}

use support::flags::{Flags, children};

/// Polls `future` once, sets every flag from last to first, then polls it to the end; returns
/// the sum of the outputs' first and last index, as a check.
fn drive_reverse<F: Future<Output = Vec<usize>>>(flags: &Flags, future: F) -> usize {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    assert!(future.as_mut().poll(&mut cx).is_pending());
    for index in (0..flags.len()).rev() {
        flags.set(index);
    }
    loop {
        if let Poll::Ready(outputs) = future.as_mut().poll(&mut cx) {
            return outputs[0] + outputs[outputs.len() - 1];
        }
    }
}

fn bench_gather_spread(c: &mut Criterion) {
    let mut group = c.benchmark_group("gather_spread");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(4));
    for n in [10_000, 100_000] {
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("corio_gather", n), &n, |b, &n| {
            b.iter(|| {
                let flags = Flags::new(n);
                drive_reverse(&flags, corio::gather!(..children(&flags)))
            })
        });
        group.bench_with_input(BenchmarkId::new("futures_join_all", n), &n, |b, &n| {
            b.iter(|| {
                let flags = Flags::new(n);
                drive_reverse(&flags, futures::future::join_all(children(&flags)))
            })
        });
        group.bench_with_input(
            BenchmarkId::new("futures_concurrency_join", n),
            &n,
            |b, &n| {
                b.iter(|| {
                    let flags = Flags::new(n);
                    drive_reverse(&flags, children(&flags).join())
                })
            },
        );
    }
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench_gather_8(&mut c);
    bench_gather_spread(&mut c);
    c.final_summary();
}
