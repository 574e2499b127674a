//! A callback handed to the loop from another thread: corio's `call_soon_threadsafe` beside
//! tokio's `Handle::spawn` from another thread (tokio's way to run something on a
//! current-thread runtime from outside), 10k calls per round.
//!
//! Before the timings, `main` prints the heap allocations one `call_soon_threadsafe` makes on
//! the calling thread: one (the callback, its cancel flag and its place in the loop's queue
//! share one `Arc`).
//!
//! Each round: a thread makes the 10k calls; each callback bumps a counter; the loop's main
//! future waits until the counter reaches 10k.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{Criterion, SamplingMode, Throughput};

mod support;

#[global_allocator]
static GLOBAL: support::CountingAlloc = support::CountingAlloc;

const CALLS: usize = 10_000;

/// Waits (yielding) until `count` reaches `target`.
async fn until(count: &AtomicUsize, target: usize) {
    while count.load(Ordering::Acquire) < target {
        support::yield_now().await;
    }
}

fn corio_round() {
    corio::run(async {
        let event_loop = corio::get_running_loop();
        let count = Arc::new(AtomicUsize::new(0));
        let counter = count.clone();
        let sender = std::thread::spawn(move || {
            for _ in 0..CALLS {
                let counter = counter.clone();
                let _ = event_loop.call_soon_threadsafe(move || {
                    counter.fetch_add(1, Ordering::Release);
                });
            }
        });
        until(&count, CALLS).await;
        sender.join().unwrap();
    });
}

fn tokio_round(rt: &tokio::runtime::Runtime) {
    rt.block_on(async {
        let handle = tokio::runtime::Handle::current();
        let count = Arc::new(AtomicUsize::new(0));
        let counter = count.clone();
        let sender = std::thread::spawn(move || {
            for _ in 0..CALLS {
                let counter = counter.clone();
                handle.spawn(async move {
                    counter.fetch_add(1, Ordering::Release);
                });
            }
        });
        until(&count, CALLS).await;
        sender.join().unwrap();
    });
}

/// Heap allocations of one `call_soon_threadsafe`, counted while the loop's thread is
/// blocked (joining the caller), so only the call's own are counted; the loop's queue buffer
/// is grown beforehand (to 8 entries by 5 calls), so its amortized growth is not either.
fn allocations_per_call() -> usize {
    corio::run(async {
        let event_loop = corio::get_running_loop();
        std::thread::spawn(move || {
            for _ in 0..5 {
                let _ = event_loop.call_soon_threadsafe(|| {});
            }
            support::allocations_of(|| event_loop.call_soon_threadsafe(|| {}))
        })
        .join()
        .unwrap()
    })
}

fn main() {
    println!(
        "heap allocations per call_soon_threadsafe: {}",
        allocations_per_call()
    );
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("threadsafe_10k");
    group
        .sample_size(20)
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(CALLS as u64));
    group.bench_function("corio_call_soon_threadsafe", |b| b.iter(corio_round));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    group.bench_function("tokio_handle_spawn", |b| b.iter(|| tokio_round(&rt)));
    group.finish();
    c.final_summary();
}
