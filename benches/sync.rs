//! Sync primitives and queues: corio's beside tokio's (`tokio::sync`) and smol's
//! (async-lock, async-channel), DESIGN.md section 6 / issue 5 ("<= 1.0 x tokio on the
//! single-thread loop").
//!
//! Each group has four rows:
//!
//! * `corio`: corio's primitive on the corio loop (`corio::run`, real clock);
//! * `tokio_current_thread`: tokio's primitive on tokio's current-thread runtime
//!   (`tokio::spawn` inside `block_on`): the whole-stack peer the target names;
//! * `tokio_sync_on_corio`: tokio's primitive on the corio loop: the primitive alone, on the
//!   same executor as corio's row;
//! * `async_lock_on_corio` / `async_channel_on_corio`: async-lock / async-channel on the corio
//!   loop, likewise.
//!
//! Workloads (the same in `benches/asyncio_sync.py` for CPython's figure):
//!
//! * `lock_handoff_100k`: two tasks each take the lock 50k times, yielding once while holding
//!   it (so the other task runs and queues for it). With a fair lock (FIFO, no barging), as
//!   corio's, tokio's and asyncio's are, every release hands the lock to the other task: 100k
//!   handoffs, each a wake and a task switch, plus the yield. async-lock's `Mutex` is not fair
//!   (a releaser may take it straight back), so its row measures a different schedule.
//! * `semaphore_100_waiters_100k`: 100 tasks contend on `Semaphore(10)`, each taking a permit
//!   1000 times and yielding once while holding it (so permits change hands and the 90 others
//!   queue): 100k acquisitions.
//! * `queue_1m_maxsize_100`: a producer task puts 1M integers into a queue bounded at 100, a
//!   consumer task gets them: corio's `Queue`, tokio's `mpsc::channel(100)`, async-channel's
//!   `bounded(100)`.

use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput};

const LOCK_ROUNDS: usize = 100_000;
const SEM_TASKS: usize = 100;
const SEM_PERMITS: usize = 10;
const SEM_ACQUISITIONS: usize = 100_000;
const QUEUE_ITEMS: usize = 1_000_000;
const QUEUE_MAXSIZE: usize = 100;

mod support;
use support::yield_now;

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime")
}

/// Spawns `n` tasks made by `task(i)` on the corio loop and awaits them all.
async fn corio_all<F: Future<Output = ()> + 'static>(n: usize, task: impl Fn(usize) -> F) {
    let tasks: Vec<_> = (0..n).map(|i| corio::create_task(task(i))).collect();
    for t in tasks {
        t.await.unwrap();
    }
}

/// The same on tokio (the futures must be `Send`).
async fn tokio_all<F: Future<Output = ()> + Send + 'static>(n: usize, task: impl Fn(usize) -> F) {
    let tasks: Vec<_> = (0..n).map(|i| tokio::spawn(task(i))).collect();
    for t in tasks {
        t.await.unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Lock handoff

fn lock_corio() {
    corio::run(async {
        let lock = corio::Lock::new();
        corio_all(2, |_| {
            let lock = lock.clone();
            async move {
                for _ in 0..LOCK_ROUNDS / 2 {
                    let _guard = lock.acquire().await;
                    yield_now().await;
                }
            }
        })
        .await;
    });
}

fn lock_tokio(rt: &tokio::runtime::Runtime) {
    rt.block_on(async {
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        tokio_all(2, |_| {
            let lock = lock.clone();
            async move {
                for _ in 0..LOCK_ROUNDS / 2 {
                    let _guard = lock.lock().await;
                    yield_now().await;
                }
            }
        })
        .await;
    });
}

fn lock_tokio_on_corio() {
    corio::run(async {
        let lock = Rc::new(tokio::sync::Mutex::new(()));
        corio_all(2, |_| {
            let lock = lock.clone();
            async move {
                for _ in 0..LOCK_ROUNDS / 2 {
                    let _guard = lock.lock().await;
                    yield_now().await;
                }
            }
        })
        .await;
    });
}

fn lock_async_lock_on_corio() {
    corio::run(async {
        let lock = Rc::new(async_lock::Mutex::new(()));
        corio_all(2, |_| {
            let lock = lock.clone();
            async move {
                for _ in 0..LOCK_ROUNDS / 2 {
                    let _guard = lock.lock().await;
                    yield_now().await;
                }
            }
        })
        .await;
    });
}

// ---------------------------------------------------------------------------------------------
// Semaphore with 100 waiters

const PER_TASK: usize = SEM_ACQUISITIONS / SEM_TASKS;

fn sem_corio() {
    corio::run(async {
        let sem = corio::Semaphore::new(SEM_PERMITS);
        corio_all(SEM_TASKS, |_| {
            let sem = sem.clone();
            async move {
                for _ in 0..PER_TASK {
                    let _permit = sem.acquire().await;
                    yield_now().await;
                }
            }
        })
        .await;
    });
}

fn sem_tokio(rt: &tokio::runtime::Runtime) {
    rt.block_on(async {
        let sem = Arc::new(tokio::sync::Semaphore::new(SEM_PERMITS));
        tokio_all(SEM_TASKS, |_| {
            let sem = sem.clone();
            async move {
                for _ in 0..PER_TASK {
                    let _permit = sem.acquire().await.unwrap();
                    yield_now().await;
                }
            }
        })
        .await;
    });
}

fn sem_tokio_on_corio() {
    corio::run(async {
        let sem = Rc::new(tokio::sync::Semaphore::new(SEM_PERMITS));
        corio_all(SEM_TASKS, |_| {
            let sem = sem.clone();
            async move {
                for _ in 0..PER_TASK {
                    let _permit = sem.acquire().await.unwrap();
                    yield_now().await;
                }
            }
        })
        .await;
    });
}

fn sem_async_lock_on_corio() {
    corio::run(async {
        let sem = Rc::new(async_lock::Semaphore::new(SEM_PERMITS));
        corio_all(SEM_TASKS, |_| {
            let sem = sem.clone();
            async move {
                for _ in 0..PER_TASK {
                    let _permit = sem.acquire().await;
                    yield_now().await;
                }
            }
        })
        .await;
    });
}

// ---------------------------------------------------------------------------------------------
// Queue producer / consumer

fn queue_corio() {
    corio::run(async {
        let q = corio::Queue::new(QUEUE_MAXSIZE);
        let consumer = corio::create_task({
            let q = q.clone();
            async move {
                let mut sum = 0usize;
                for _ in 0..QUEUE_ITEMS {
                    sum += q.get().await.unwrap();
                }
                sum
            }
        });
        for i in 0..QUEUE_ITEMS {
            q.put(i).await.unwrap();
        }
        assert_eq!(consumer.await.unwrap(), QUEUE_ITEMS * (QUEUE_ITEMS - 1) / 2);
    });
}

fn queue_tokio(rt: &tokio::runtime::Runtime) {
    rt.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::channel(QUEUE_MAXSIZE);
        let consumer = tokio::spawn(async move {
            let mut sum = 0usize;
            for _ in 0..QUEUE_ITEMS {
                sum += rx.recv().await.unwrap();
            }
            sum
        });
        for i in 0..QUEUE_ITEMS {
            tx.send(i).await.unwrap();
        }
        assert_eq!(consumer.await.unwrap(), QUEUE_ITEMS * (QUEUE_ITEMS - 1) / 2);
    });
}

fn queue_tokio_on_corio() {
    corio::run(async {
        let (tx, mut rx) = tokio::sync::mpsc::channel(QUEUE_MAXSIZE);
        let consumer = corio::create_task(async move {
            let mut sum = 0usize;
            for _ in 0..QUEUE_ITEMS {
                sum += rx.recv().await.unwrap();
            }
            sum
        });
        for i in 0..QUEUE_ITEMS {
            tx.send(i).await.unwrap();
        }
        assert_eq!(consumer.await.unwrap(), QUEUE_ITEMS * (QUEUE_ITEMS - 1) / 2);
    });
}

fn queue_async_channel_on_corio() {
    corio::run(async {
        let (tx, rx) = async_channel::bounded(QUEUE_MAXSIZE);
        let consumer = corio::create_task(async move {
            let mut sum = 0usize;
            for _ in 0..QUEUE_ITEMS {
                sum += rx.recv().await.unwrap();
            }
            sum
        });
        for i in 0..QUEUE_ITEMS {
            tx.send(i).await.unwrap();
        }
        assert_eq!(consumer.await.unwrap(), QUEUE_ITEMS * (QUEUE_ITEMS - 1) / 2);
    });
}

// ---------------------------------------------------------------------------------------------

fn group<'a>(
    c: &'a mut Criterion,
    name: &str,
    elements: usize,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(elements as u64));
    group
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let rt = tokio_runtime();

    let mut g = group(&mut c, "lock_handoff_100k", LOCK_ROUNDS);
    g.bench_function("corio", |b| b.iter(lock_corio));
    g.bench_function("tokio_current_thread", |b| b.iter(|| lock_tokio(&rt)));
    g.bench_function("tokio_sync_on_corio", |b| b.iter(lock_tokio_on_corio));
    g.bench_function("async_lock_on_corio", |b| b.iter(lock_async_lock_on_corio));
    g.finish();

    let mut g = group(&mut c, "semaphore_100_waiters_100k", SEM_ACQUISITIONS);
    g.bench_function("corio", |b| b.iter(sem_corio));
    g.bench_function("tokio_current_thread", |b| b.iter(|| sem_tokio(&rt)));
    g.bench_function("tokio_sync_on_corio", |b| b.iter(sem_tokio_on_corio));
    g.bench_function("async_lock_on_corio", |b| b.iter(sem_async_lock_on_corio));
    g.finish();

    let mut g = group(&mut c, "queue_1m_maxsize_100", QUEUE_ITEMS);
    g.bench_function("corio", |b| b.iter(queue_corio));
    g.bench_function("tokio_current_thread", |b| b.iter(|| queue_tokio(&rt)));
    g.bench_function("tokio_sync_on_corio", |b| b.iter(queue_tokio_on_corio));
    g.bench_function("async_channel_on_corio", |b| {
        b.iter(queue_async_channel_on_corio)
    });
    g.finish();

    c.final_summary();
}
