//! Helpers shared by the examples (not an example itself: cargo builds only `examples/*.rs`).
//!
//! * [`say!`] prints a line like `println!`. While [`capture`] runs on this thread, the line is
//!   recorded instead, with the loop time it was said at: that is how `tests/examples.rs` checks
//!   every line and its timing under virtual time.
//! * [`clock_time`] and [`datetime_now`] format the wall clock like Python's
//!   `time.strftime('%X')` and `datetime.datetime.now()`, in **UTC**: std has no time zones, and
//!   the examples need no dependency for them.
//!
//! Each example declares `mod common;`; when one example includes another as a module, the
//! inner copy of this module goes unused (`say!` always calls the crate root's copy), hence the
//! `allow`s.
#![allow(dead_code, unused_imports, unused_macros)]

use std::cell::RefCell;
use std::time::{Duration, SystemTime};

/// `print(...)` for the examples: formats like `println!` and hands the line to [`emit`].
macro_rules! say {
    ($($arg:tt)*) => {
        crate::common::emit(::std::format!($($arg)*))
    };
}
pub(crate) use say;

thread_local! {
    /// The lines recorded by the running [`capture`], if any.
    static CAPTURED: RefCell<Option<Vec<(f64, String)>>> = const { RefCell::new(None) };
}

/// Prints `line`, or records it with the current loop time while [`capture`] runs.
pub fn emit(line: String) {
    CAPTURED.with_borrow_mut(|captured| match captured {
        Some(lines) => lines.push((corio::time(), line)),
        None => println!("{line}"),
    });
}

/// Runs `f` and returns what it said through [`say!`] on this thread, as
/// `(loop time, line)` pairs, instead of printing it.
pub fn capture(f: impl FnOnce()) -> Vec<(f64, String)> {
    /// Ends the capture even if `f` panics.
    struct Stop;
    impl Drop for Stop {
        fn drop(&mut self) {
            CAPTURED.set(None);
        }
    }
    CAPTURED.set(Some(Vec::new()));
    let stop = Stop;
    f();
    let lines = CAPTURED.take().unwrap_or_default();
    drop(stop);
    lines
}

/// The wall clock as `HH:MM:SS`, as Python's `time.strftime('%X')` (in UTC).
pub fn clock_time() -> String {
    datetime_now()[11..19].to_string()
}

/// The wall clock as `2023-07-25 18:53:59.767432`, as Python's `datetime.datetime.now()`
/// (in UTC).
pub fn datetime_now() -> String {
    let since_epoch = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    format_datetime(since_epoch)
}

/// Formats a time since 1970-01-01 00:00 UTC as `YYYY-MM-DD HH:MM:SS.ffffff`.
pub fn format_datetime(since_epoch: Duration) -> String {
    let secs = since_epoch.as_secs();
    let (year, month, day) = civil_from_days(secs / 86_400);
    let (hour, minute, second) = (secs / 3600 % 24, secs / 60 % 60, secs % 60);
    let micros = since_epoch.subsec_micros();
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}.{micros:06}")
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to `(year, month, day)`.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468; // days since 0000-03-01
    let (era, doe) = (z / 146_097, z % 146_097); // 400-year era, day of era
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // year of era
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of year, from March 1st
    let mp = (5 * doy + 2) / 153; // month, from March = 0
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (era * 400 + yoe + u64::from(month <= 2), month, day)
}
