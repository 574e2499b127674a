//! `corio::wait(tasks, ReturnWhen::AllCompleted)` over n = 1k, 10k and 100k tasks: whether its
//! cost per task stays flat as n grows.
//!
//! Task `i` sleeps `i + 1` milliseconds (under virtual time, tokio's paused clock for its row), so
//! the tasks finish one per loop pass and `wait` is woken n times: the regime where a `wait`
//! that re-registers with every task on each poll costs O(n^2) (it did before it got a waker
//! per task), and the one a flat cost per task must hold in.
//!
//! One criterion group, `wait`, with three rows per n:
//!
//! * `corio_wait`: n tasks from `corio::create_task`, awaited with `corio::wait` inside
//!   `corio::run`;
//! * `corio_futures_unordered`: the same corio tasks pushed into one
//!   `futures::stream::FuturesUnordered` and drained, on the corio loop: the tasks without
//!   `wait`, each completion handled once;
//! * `tokio_join_set`: the same task body spawned on a `tokio::task::JoinSet` in tokio's
//!   current-thread runtime, drained with `join_next`.
//!
//! Before the group, `main` prints how many times `wait` was polled for each n: the factor
//! the registrations grow by beyond n.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use futures::StreamExt;
use futures::stream::FuturesUnordered;

const SIZES: [usize; 3] = [1_000, 10_000, 100_000];

/// Task `i`'s delay: its own deadline, so each task finishes in its own loop pass.
fn delay(i: usize) -> Duration {
    Duration::from_millis(i as u64 + 1)
}

/// Spawns `n` corio tasks that sleep in turn, then waits for all of them with `corio::wait`.
async fn corio_wait(n: usize) {
    let tasks: Vec<_> = (0..n)
        .map(|i| corio::create_task(corio::sleep(delay(i))))
        .collect();
    let (done, pending) = corio::wait(tasks, corio::ReturnWhen::AllCompleted).await;
    assert_eq!((done.len(), pending.len()), (n, 0));
}

/// Spawns the same corio tasks, then drains them through one `FuturesUnordered`.
async fn corio_futures_unordered(n: usize) {
    let mut tasks: FuturesUnordered<_> = (0..n)
        .map(|i| corio::create_task(corio::sleep(delay(i))))
        .collect();
    let mut finished = 0;
    while let Some(result) = tasks.next().await {
        result.expect("the task finished");
        finished += 1;
    }
    assert_eq!(finished, n);
}

/// Spawns the same tasks on a tokio `JoinSet` (paused clock), then drains it with `join_next`.
async fn tokio_join_set(n: usize) {
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        set.spawn(tokio::time::sleep(delay(i)));
    }
    let mut finished = 0;
    while let Some(result) = set.join_next().await {
        result.expect("the task finished");
        finished += 1;
    }
    assert_eq!(finished, n);
}

/// Counts the polls of the future it wraps in `polls`.
struct CountPolls<'a, F> {
    future: Pin<Box<F>>,
    polls: &'a Cell<usize>,
}

impl<F: Future> Future for CountPolls<'_, F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.set(self.polls.get() + 1);
        self.future.as_mut().poll(cx)
    }
}

/// How many times `corio::wait` is polled for `n` tasks.
fn wait_polls(n: usize) -> usize {
    let polls = Cell::new(0);
    virtual_run(async {
        let tasks: Vec<_> = (0..n)
            .map(|i| corio::create_task(corio::sleep(delay(i))))
            .collect();
        let future = Box::pin(corio::wait(tasks, corio::ReturnWhen::AllCompleted));
        let (done, _) = CountPolls {
            future,
            polls: &polls,
        }
        .await;
        assert_eq!(done.len(), n);
    });
    polls.get()
}

fn virtual_run<F: Future>(future: F) -> F::Output {
    corio::Runner::new().virtual_time().run(future)
}

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("tokio runtime")
}

fn bench_wait(c: &mut Criterion) {
    let mut group = c.benchmark_group("wait");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sampling_mode(SamplingMode::Flat);
    let rt = tokio_runtime();
    for n in SIZES {
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("corio_wait", n), &n, |b, &n| {
            b.iter(|| virtual_run(corio_wait(n)))
        });
        group.bench_with_input(
            BenchmarkId::new("corio_futures_unordered", n),
            &n,
            |b, &n| b.iter(|| virtual_run(corio_futures_unordered(n))),
        );
        group.bench_with_input(BenchmarkId::new("tokio_join_set", n), &n, |b, &n| {
            b.iter(|| rt.block_on(tokio_join_set(n)))
        });
    }
    group.finish();
}

fn main() {
    println!("polls of corio::wait (n tasks, each finishing in its own pass):");
    for n in SIZES {
        println!("  n = {n:>7}: {} polls", wait_polls(n));
    }
    println!();
    let mut c = Criterion::default().configure_from_args();
    bench_wait(&mut c);
    c.final_summary();
}
