//! The loop clock: one reading of time per loop, real or virtual.
//!
//! Times inside the loop are `u64` nanoseconds since the clock's origin, so timer arithmetic is
//! exact; [`time()`](fn@crate::time) converts to asyncio's `float` seconds at the edge.
//!
//! * **Real** time reads the monotonic clock ([`Instant`]). Its origin is fixed once per process,
//!   so `corio::time()` readings from different loops can be compared, as `loop.time()` readings
//!   (`time.monotonic()`) can in CPython.
//! * **Virtual** time starts at 0 and moves only when the loop has nothing ready: it jumps to the
//!   next timer's deadline. A test of `sleep(3600)` finishes at once and every timing is exact.

use std::cell::Cell;
use std::sync::OnceLock;
use std::time::Instant;

/// Nanoseconds in one second, for conversions at the API edge.
pub(crate) const NANOS_PER_SEC: u64 = 1_000_000_000;

/// The clock a loop reads.
pub(crate) enum Clock {
    /// Monotonic wall time since the process-wide origin.
    Real,
    /// Nanoseconds since the loop started; advanced only by [`Clock::advance_to`].
    Virtual(Cell<u64>),
}

impl Clock {
    /// Reads the clock in nanoseconds.
    pub(crate) fn now(&self) -> u64 {
        match self {
            Clock::Real => real_now(),
            Clock::Virtual(now) => now.get(),
        }
    }

    /// Moves a virtual clock forward to `deadline` (never backward); a real clock ignores it.
    pub(crate) fn advance_to(&self, deadline: u64) {
        if let Clock::Virtual(now) = self {
            now.set(now.get().max(deadline));
        }
    }
}

/// Nanoseconds since the process-wide origin of the real clock.
fn real_now() -> u64 {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    let origin = *ORIGIN.get_or_init(Instant::now);
    // u64 nanoseconds last 584 years of process uptime.
    origin.elapsed().as_nanos() as u64
}
