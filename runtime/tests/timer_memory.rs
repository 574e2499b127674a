//! The timer store gives memory back after a burst (fault 4 of issue 12): a loop that once
//! armed a million timers and dropped them holds, after the burst, within 10 % of the heap it
//! held before it. Measured with a global allocator that counts the bytes each thread has
//! live (the loop allocates and frees on its own thread; the test harness's other threads do
//! not blur the count), so this test file is its own binary.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;

use corio_runtime::{Runner, get_running_loop, sleep, time};

/// The system allocator, counting the bytes live per thread.
struct Counting;

thread_local! {
    /// Bytes allocated minus bytes freed on this thread.
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

/// Adds `bytes` to this thread's count (not while the thread's locals are being torn down).
fn count(bytes: isize) {
    let _ = LIVE.try_with(|live| live.set(live.get() + bytes));
}

// SAFETY: every call is forwarded to `System` unchanged; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize);
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The bytes this thread has live.
fn live() -> isize {
    LIVE.with(Cell::get)
}

const BURST: usize = 1_000_000;

/// Asserts the heap after a burst is within 10 % of the heap before it.
fn assert_given_back(before: isize, peak: isize, after: isize) {
    assert!(
        peak - before > 40 << 20,
        "the burst should hold tens of MB: before {before}, peak {peak}"
    );
    assert!(
        after <= before + before / 10,
        "after the burst the loop holds {after} bytes, against {before} before it (peak {peak})"
    );
}

/// 1M sleeps armed (each polled once) then dropped: the wheel's nodes go back.
#[test]
fn a_million_dropped_sleeps_give_their_memory_back() {
    Runner::new().virtual_time().run(async {
        // A timer that outlives the burst, armed before it.
        let mut long_lived = Box::pin(sleep(3600));
        poll_fn(|cx| {
            assert!(long_lived.as_mut().poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
        let before = live();
        let mut sleeps: Vec<Pin<Box<_>>> =
            (0..BURST).map(|i| Box::pin(sleep(1 + i % 100))).collect();
        poll_fn(|cx| {
            for s in &mut sleeps {
                assert!(s.as_mut().poll(cx).is_pending());
            }
            Poll::Ready(())
        })
        .await;
        let peak = live();
        drop(sleeps);
        let after = live();
        assert_given_back(before, peak, after);
        // The long-lived timer still fires, on time.
        long_lived.await;
        assert_eq!(time(), 3600.0);
    });
}

/// 1M `call_later`s cancelled: their callbacks' slots and the wheel's nodes go back.
#[test]
fn a_million_cancelled_call_laters_give_their_memory_back() {
    Runner::new().virtual_time().run(async {
        let lp = get_running_loop();
        let before = live();
        let handles: Vec<_> = (0..BURST)
            .map(|i| lp.call_later(1 + i % 100, || unreachable!("cancelled")))
            .collect();
        let peak = live();
        for handle in &handles {
            handle.cancel();
        }
        drop(handles);
        let after = live();
        assert_given_back(before, peak, after);
        sleep(200).await;
        assert_eq!(time(), 200.0);
    });
}
