//! [`TimeoutError`], the error of a deadline that passed.

use std::fmt;

/// A deadline passed before the awaited work finished: asyncio's `TimeoutError`.
///
/// `wait_for!` returns it when its future does not finish in time (the future is dropped, as
/// asyncio cancels it), and `as_completed!(..iter, timeout = t)` yields it once, as its last
/// item, when the timeout passes before every child finished (the unfinished children are
/// dropped with the stream).
///
/// It carries no data: its `Display` is `timed out`, its `Debug` is `TimeoutError`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TimeoutError;

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("timed out")
    }
}

impl std::error::Error for TimeoutError {}

#[cfg(test)]
mod tests {
    use super::TimeoutError;

    #[test]
    fn display_and_debug() {
        assert_eq!(TimeoutError.to_string(), "timed out");
        assert_eq!(format!("{TimeoutError:?}"), "TimeoutError");
        let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(TimeoutError);
        assert_eq!(boxed.to_string(), "timed out");
    }
}
