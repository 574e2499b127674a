//! A million tasks under virtual time finish, and memory stays bounded: live heap per task
//! while all are pending stays within a fixed budget, and everything is freed when `run`
//! returns. A correctness test, not a speed test (the benchmarks measure speed).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

use corio_runtime::{Runner, create_task, sleep, time};

/// Counts live heap bytes and their peak.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to `System` unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live =
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed) + layout.size() as isize;
        PEAK.fetch_max(live.max(0) as usize, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const TASKS: usize = 1_000_000;

#[test]
fn a_million_sleeping_tasks_finish_with_bounded_memory() {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before.max(0) as usize, Ordering::Relaxed);

    let finished = Rc::new(Cell::new(0usize));
    let counted = finished.clone();
    let end = Runner::new().virtual_time().run(async move {
        for i in 0..TASKS {
            let counted = counted.clone();
            // Detached: the loop owns them. Deadlines spread over 0.001 .. 1.0 s.
            drop(create_task(async move {
                sleep(((i % 1000) + 1) as f64 / 1000.0).await;
                counted.set(counted.get() + 1);
            }));
        }
        sleep(2).await;
        time()
    });

    assert_eq!(end, 2.0);
    assert_eq!(finished.get(), TASKS);
    let peak_per_task = (PEAK.load(Ordering::Relaxed) as isize - before) / TASKS as isize;
    // A task (async-task's allocation, its registry entry, its timer node and its share of
    // the queues, at their doubling peak) takes about 255 B here; 512 B flags a leak or a
    // blow-up, not noise.
    eprintln!("peak live heap per pending task: {peak_per_task} B");
    assert!(peak_per_task <= 512, "peak {peak_per_task} B per task");
    let after = LIVE.load(Ordering::Relaxed);
    assert!(
        after - before < 1 << 20,
        "{} B still live after run returned",
        after - before
    );
}
