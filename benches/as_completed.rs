//! `as_completed!` beside `FuturesUnordered` (DESIGN.md section 6), in one criterion group so
//! the ratios come from one run.
//!
//! `as_completed/{10000,100000}`: `n` children, each waiting on its own flag; the stream is
//! polled once (every child registers), then a driver sets the flags from last to first and
//! the stream is drained, so children finish in reverse order. `as_completed!(..children)` vs
//! `futures::stream::FuturesUnordered`. The figure includes building the children (the same for
//! both); criterion's throughput gives the cost per child, which must stay flat from 10k to
//! 100k.

use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use futures::Stream;
use futures::stream::FuturesUnordered;

mod support;

use support::flags::{Flags, children};

/// Polls `stream` once, sets every flag from last to first, then drains it; returns the first
/// and last item, as a check (`n - 1` and `0`: reverse order).
fn drive_reverse<S: Stream<Item = usize> + Unpin>(flags: &Flags, mut stream: S) -> (usize, usize) {
    let mut cx = Context::from_waker(Waker::noop());
    assert!(Pin::new(&mut stream).poll_next(&mut cx).is_pending());
    for index in (0..flags.len()).rev() {
        flags.set(index);
    }
    let (mut first, mut last) = (None, 0);
    loop {
        match Pin::new(&mut stream).poll_next(&mut cx) {
            Poll::Ready(Some(item)) => {
                first.get_or_insert(item);
                last = item;
            }
            Poll::Ready(None) => return (first.unwrap_or_default(), last),
            Poll::Pending => {}
        }
    }
}

fn bench_as_completed(c: &mut Criterion) {
    let mut group = c.benchmark_group("as_completed");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(4));
    for n in [10_000, 100_000] {
        let check = |order: (usize, usize)| assert_eq!(order, (n - 1, 0));
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("corio_as_completed", n), &n, |b, &n| {
            b.iter(|| {
                let flags = Flags::new(n);
                let order = drive_reverse(&flags, corio::as_completed!(..children(&flags)));
                check(order);
            })
        });
        group.bench_with_input(BenchmarkId::new("futures_unordered", n), &n, |b, &n| {
            b.iter(|| {
                let flags = Flags::new(n);
                let stream: FuturesUnordered<_> = children(&flags).into_iter().collect();
                let order = drive_reverse(&flags, stream);
                check(order);
            })
        });
    }
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench_as_completed(&mut c);
    c.final_summary();
}
