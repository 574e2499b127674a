//! Spawn + await of 100k empty tasks, and the heap each live task costs.
//!
//! The workload is asyncio's `tasks = [create_task(f()) for _ in range(n)]; for t in tasks:
//! await t`, run inside one future on each single-threaded executor a corio user could pick
//! instead (DESIGN.md section 6):
//!
//! * `corio`: `corio::run` with `corio::create_task`;
//! * `async_task_bare`: bare async-task with a thread-local FIFO queue, the allocation primitive
//!   corio's tasks are built on: the floor under corio's figure;
//! * `tokio_current_thread`: `tokio::spawn` inside `block_on` of a current-thread runtime;
//! * `tokio_local_set`: `spawn_local` on a `LocalSet`, tokio's `!Send` task API;
//! * `async_executor`: async-executor's `LocalExecutor` (smol's), the target's yardstick;
//! * `futures_local_pool`: futures' `LocalPool` with `RemoteHandle`s.
//!
//! A second group, `eager_100k`, compares `create_task` with `create_eager_task` (asyncio
//! 3.12's eager tasks) on corio, for a task that finishes at once (the eager one never reaches
//! the ready queue) and for one that awaits once (a `yield_now`) before it finishes.
//!
//! All of the first group run in one criterion group, so the ratios in BENCHMARKS.md come from one run. Before the
//! criterion group, `main` prints the heap footprint per task: a counting global allocator
//! measures the live bytes while 100k tasks all wait on one shared gate (whose waker list is
//! reserved beforehand, so only the executor's own memory counts: task allocation, queues,
//! registries). Criterion cannot measure bytes, so those figures are printed, not benched.

use std::cell::{Cell, RefCell};
use std::future::{Future, poll_fn};
use std::task::{Poll, Waker};
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput};
use futures::task::LocalSpawnExt;

/// Tasks per iteration and per footprint measurement.
const N: usize = 100_000;

mod support;
use support::yield_now;

#[global_allocator]
static GLOBAL: support::CountingAlloc = support::CountingAlloc;

/// Spawns `n` tasks with `spawn`, then awaits every handle in spawn order.
async fn spawn_all_await_all<H: Future>(n: usize, mut spawn: impl FnMut() -> H) {
    let handles: Vec<H> = (0..n).map(|_| spawn()).collect();
    for handle in handles {
        handle.await;
    }
}

thread_local! {
    /// Whether the gate is open, and the wakers of the tasks waiting at it.
    static GATE_OPEN: Cell<bool> = const { Cell::new(false) };
    static GATE_WAITERS: RefCell<Vec<Waker>> = const { RefCell::new(Vec::new()) };
}

/// Waits until the gate opens. Holds no `Rc`, so tokio's `Send` spawn accepts it.
async fn wait_at_gate() {
    let mut registered = false;
    poll_fn(|cx| {
        if GATE_OPEN.get() {
            return Poll::Ready(());
        }
        if !registered {
            GATE_WAITERS.with_borrow_mut(|waiters| waiters.push(cx.waker().clone()));
            registered = true;
        }
        Poll::Pending
    })
    .await;
}

/// Heap used per task while `N` tasks are alive and waiting.
struct Footprint {
    bytes_per_task: f64,
    allocations_per_task: f64,
}

/// Spawns `N` tasks that wait at the gate, yields until all of them wait, reads the counters,
/// then opens the gate and awaits every task. Room for the handles and the gate's wakers is
/// reserved before the baseline, so it is not counted.
async fn footprint<H: Future>(mut spawn: impl FnMut() -> H) -> Footprint {
    let mut handles = Vec::with_capacity(N);
    GATE_OPEN.set(false);
    GATE_WAITERS.set(Vec::with_capacity(N));
    let (bytes_before, allocations_before) = (support::live_bytes(), support::allocations());
    handles.extend((0..N).map(|_| spawn()));
    while GATE_WAITERS.with_borrow(Vec::len) < N {
        yield_now().await;
    }
    let bytes = support::live_bytes() - bytes_before;
    let allocations = support::allocations() - allocations_before;
    GATE_OPEN.set(true);
    for waker in GATE_WAITERS.take() {
        waker.wake();
    }
    for handle in handles {
        handle.await;
    }
    Footprint {
        bytes_per_task: bytes as f64 / N as f64,
        allocations_per_task: allocations as f64 / N as f64,
    }
}

/// The floor: async-task's allocation, driven by a thread-local FIFO queue and nothing else.
mod bare {
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::future::Future;

    use async_task::Runnable;

    thread_local! {
        static QUEUE: RefCell<VecDeque<Runnable>> = const { RefCell::new(VecDeque::new()) };
    }

    fn schedule(runnable: Runnable) {
        QUEUE.with_borrow_mut(|queue| queue.push_back(runnable));
    }

    /// Spawns `future` and queues its first step.
    pub fn spawn<F>(future: F) -> async_task::Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (runnable, task) = async_task::spawn(future, schedule);
        runnable.schedule();
        task
    }

    /// Runs `future` as a task, and every task it spawns, until the queue is empty.
    pub fn block_on<F>(future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let task = spawn(future);
        while let Some(runnable) = QUEUE.with_borrow_mut(VecDeque::pop_front) {
            runnable.run();
        }
        futures::executor::block_on(task)
    }
}

fn corio_spawn_await() {
    corio::run(spawn_all_await_all(N, || corio::create_task(async {})));
}

fn bare_spawn_await() {
    bare::block_on(spawn_all_await_all(N, || bare::spawn(async {})));
}

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime")
}

fn print_footprints() {
    support::start_counting();
    let rt = tokio_runtime();
    let figures = [
        (
            "corio",
            corio::run(footprint(|| corio::create_task(wait_at_gate()))),
        ),
        (
            "async_task_bare",
            bare::block_on(footprint(|| bare::spawn(wait_at_gate()))),
        ),
        (
            "tokio_current_thread",
            rt.block_on(footprint(|| tokio::spawn(wait_at_gate()))),
        ),
        (
            "tokio_local_set",
            rt.block_on(
                tokio::task::LocalSet::new()
                    .run_until(footprint(|| tokio::task::spawn_local(wait_at_gate()))),
            ),
        ),
        ("async_executor", {
            let ex = async_executor::LocalExecutor::new();
            futures::executor::block_on(ex.run(footprint(|| ex.spawn(wait_at_gate()))))
        }),
        ("futures_local_pool", {
            let mut pool = futures::executor::LocalPool::new();
            let spawner = pool.spawner();
            pool.run_until(footprint(|| {
                spawner
                    .spawn_local_with_handle(wait_at_gate())
                    .expect("LocalPool spawn")
            }))
        }),
    ];
    support::stop_counting();
    println!("heap per live task ({N} tasks waiting on one gate; counting allocator):");
    for (name, f) in figures {
        println!(
            "  footprint/{name:<22} {:>7.1} B/task  {:>5.2} allocations/task",
            f.bytes_per_task, f.allocations_per_task
        );
    }
    println!();
}

fn bench_spawn_await(c: &mut Criterion) {
    let mut group = c.benchmark_group("spawn_await_100k");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(N as u64));

    group.bench_function("corio", |b| b.iter(corio_spawn_await));
    group.bench_function("async_task_bare", |b| b.iter(bare_spawn_await));
    let rt = tokio_runtime();
    group.bench_function("tokio_current_thread", |b| {
        b.iter(|| rt.block_on(spawn_all_await_all(N, || tokio::spawn(async {}))))
    });
    group.bench_function("tokio_local_set", |b| {
        b.iter(|| {
            let local = tokio::task::LocalSet::new();
            rt.block_on(local.run_until(spawn_all_await_all(N, || {
                tokio::task::spawn_local(async {})
            })))
        })
    });
    group.bench_function("async_executor", |b| {
        b.iter(|| {
            let ex = async_executor::LocalExecutor::new();
            futures::executor::block_on(ex.run(spawn_all_await_all(N, || ex.spawn(async {}))))
        })
    });
    group.bench_function("futures_local_pool", |b| {
        b.iter(|| {
            let mut pool = futures::executor::LocalPool::new();
            let spawner = pool.spawner();
            pool.run_until(spawn_all_await_all(N, || {
                spawner
                    .spawn_local_with_handle(async {})
                    .expect("LocalPool spawn")
            }))
        })
    });
    group.finish();
}

fn bench_eager(c: &mut Criterion) {
    let mut group = c.benchmark_group("eager_100k");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(N as u64));
    group.bench_function("create_task/at_once", |b| {
        b.iter(|| corio::run(spawn_all_await_all(N, || corio::create_task(async {}))))
    });
    group.bench_function("create_eager_task/at_once", |b| {
        b.iter(|| {
            corio::run(spawn_all_await_all(
                N,
                || corio::create_eager_task(async {}),
            ))
        })
    });
    group.bench_function("create_task/awaits_once", |b| {
        b.iter(|| corio::run(spawn_all_await_all(N, || corio::create_task(yield_now()))))
    });
    group.bench_function("create_eager_task/awaits_once", |b| {
        b.iter(|| {
            corio::run(spawn_all_await_all(N, || {
                corio::create_eager_task(yield_now())
            }))
        })
    });
    group.finish();
}

fn main() {
    print_footprints();
    let mut c = Criterion::default().configure_from_args();
    bench_spawn_await(&mut c);
    bench_eager(&mut c);
    c.final_summary();
}
