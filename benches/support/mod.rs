//! Shared by the bench binaries: a counting global allocator, for the heap figures printed
//! beside the timings (criterion measures time only), the flag-driven children of the
//! spread benches ([`flags`]), [`yield_now`], and `timers_spread`'s workload ([`delays`],
//! [`sleep_all_unordered`]) and the streams echo ([`streams_echo`]), which the probe counts
//! too. Each bench uses part of it.
#![allow(dead_code)]

pub mod flags;
pub mod streams_echo;

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering};
use std::task::Poll;

/// Returns `Pending` once after waking itself: every executor's equivalent of `sleep(0)`, the
/// same yield for corio and every peer.
pub async fn yield_now() {
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await;
}

/// Counts live heap bytes and allocations while counting is on ([`start_counting`]);
/// otherwise it is `System` plus one relaxed load, so the timed benchmarks are not skewed.
/// Install it in a bench with
/// `#[global_allocator] static GLOBAL: support::CountingAlloc = support::CountingAlloc;`.
pub struct CountingAlloc;

static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call forwards to `System` unchanged; the counters are only bookkeeping.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE_BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        }
        // SAFETY: as above; `ptr` came from `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE_BYTES.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Turns counting on.
pub fn start_counting() {
    COUNTING.store(true, Ordering::SeqCst);
}

/// Turns counting off.
pub fn stop_counting() {
    COUNTING.store(false, Ordering::SeqCst);
}

/// Live bytes counted so far (allocated minus freed while counting was on).
pub fn live_bytes() -> isize {
    LIVE_BYTES.load(Ordering::SeqCst)
}

/// Allocations counted so far.
pub fn allocations() -> usize {
    ALLOCATIONS.load(Ordering::SeqCst)
}

/// The allocations made by one call of `f`.
pub fn allocations_of<T>(f: impl FnOnce() -> T) -> usize {
    start_counting();
    let before = allocations();
    std::hint::black_box(f());
    let made = allocations() - before;
    stop_counting();
    made
}

/// The CPU time (user and system, all threads) this process spent running `f`, for
/// `iter_custom`: on a shared machine another program's load stretches wall time but not
/// this, and for a one-thread loopback echo, whose kernel work runs in the sending thread,
/// CPU time is the wall time of a quiet machine. Python's `time.process_time()` is the same
/// clock, so `benches/asyncio_echo.py` reads it too.
pub fn cpu_time_of(f: impl FnOnce()) -> std::time::Duration {
    fn now() -> std::time::Duration {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: a valid clock id and a pointer to a local timespec.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
        assert_eq!(rc, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed");
        std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    }
    let start = now();
    f();
    now() - start
}

/// The medians of an A/B comparison run in alternation by [`paired`]: of `a`'s and `b`'s CPU
/// times in seconds, and of the per-pair ratios `a / b`, with their smallest and largest.
pub struct Paired {
    pub a: f64,
    pub b: f64,
    pub ratio: f64,
    pub min_ratio: f64,
    pub max_ratio: f64,
}

/// Runs `a` and `b` `pairs` times in alternation (which goes first alternates, so neither
/// always runs on the other's warm cache or after its frees), each timed by
/// [`cpu_time_of`]: on a shared machine, two criterion groups run seconds apart under
/// different loads, and their ratio moves by more than the differences being judged.
pub fn paired(pairs: usize, mut a: impl FnMut(), mut b: impl FnMut()) -> Paired {
    let mut time = |first_a: bool| {
        if first_a {
            let ta = cpu_time_of(&mut a);
            (ta, cpu_time_of(&mut b))
        } else {
            let tb = cpu_time_of(&mut b);
            (cpu_time_of(&mut a), tb)
        }
    };
    let (mut ta, mut tb, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for pair in 0..pairs {
        let (x, y) = time(pair % 2 == 0);
        let (x, y) = (x.as_secs_f64(), y.as_secs_f64());
        ta.push(x);
        tb.push(y);
        ratios.push(x / y);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    Paired {
        a: median(&mut ta),
        b: median(&mut tb),
        ratio: median(&mut ratios),
        min_ratio: ratios[0],
        max_ratio: ratios[ratios.len() - 1],
    }
}

/// `n` delays from a fixed xorshift64 sequence, uniform over `0..spread_ns` nanoseconds.
pub fn delays(n: usize, spread_ns: u64) -> Vec<std::time::Duration> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            std::time::Duration::from_nanos(state % spread_ns)
        })
        .collect()
}

/// `delays` each rounded up to a whole millisecond: the instants tokio's 1 ms tick fires them
/// at. Fed to both runtimes, it gives corio the batches tokio's wheel makes (about 100 timers
/// an instant for `timers_spread`), which measures the timers apart from the cost of firing
/// each exact deadline in a loop pass of its own.
pub fn on_ms_ticks(delays: &[std::time::Duration]) -> Vec<std::time::Duration> {
    const MS: u128 = 1_000_000;
    delays
        .iter()
        .map(|d| std::time::Duration::from_millis(d.as_nanos().div_ceil(MS) as u64))
        .collect()
}

/// Puts one sleep per delay into a single `FuturesUnordered` and drains it; returns how many
/// fired.
pub async fn sleep_all_unordered<S: std::future::Future>(
    delays: &[std::time::Duration],
    sleep: impl Fn(std::time::Duration) -> S,
) -> usize {
    use futures::StreamExt;
    let mut sleeps: futures::stream::FuturesUnordered<S> =
        delays.iter().map(|&d| sleep(d)).collect();
    let mut fired = 0;
    while sleeps.next().await.is_some() {
        fired += 1;
    }
    fired
}
