//! Delays as asyncio writes them: seconds as a float or an integer, or a [`Duration`].

use std::time::Duration;

use crate::time::clock::NANOS_PER_SEC;

/// A delay in seconds (`1`, `0.5`) or a [`Duration`], as `corio::sleep` and timeouts accept.
///
/// asyncio takes any real number of seconds; corio takes integers and floats of every width
/// (an untyped literal such as `1` or `0.5` infers to `i32` or `f64`) and `Duration`.
/// Negative delays mean zero, as in asyncio. NaN, infinities and delays too large for the
/// loop's nanosecond clock (about 584 years) are programming errors and panic with a message
/// naming the value: asyncio would sleep forever or raise, and a silent clamp would hide the bug.
pub trait IntoDelay {
    /// The delay in whole nanoseconds, negative clamped to zero.
    ///
    /// # Panics
    ///
    /// If the value is NaN, infinite, or does not fit in `u64` nanoseconds.
    fn into_delay_nanos(self) -> u64;
}

impl IntoDelay for Duration {
    fn into_delay_nanos(self) -> u64 {
        u64::try_from(self.as_nanos()).unwrap_or_else(|_| {
            panic!("corio: delay {self:?} overflows the loop clock (at most ~584 years)")
        })
    }
}

impl IntoDelay for &Duration {
    fn into_delay_nanos(self) -> u64 {
        (*self).into_delay_nanos()
    }
}

impl IntoDelay for f64 {
    fn into_delay_nanos(self) -> u64 {
        if self.is_nan() {
            panic!("corio: delay NaN is not a number of seconds");
        }
        if self.is_infinite() {
            panic!(
                "corio: delay {self:?} seconds is infinite; the loop clock needs a finite delay"
            );
        }
        if self <= 0.0 {
            return 0;
        }
        let nanos = (self * NANOS_PER_SEC as f64).round();
        // `u64::MAX as f64` rounds up to 2^64, so below it the cast is exact and in range
        // (NaN and infinities were turned away above).
        if nanos >= u64::MAX as f64 {
            panic!("corio: delay {self:?} seconds overflows the loop clock (at most ~584 years)");
        }
        nanos as u64
    }
}

impl IntoDelay for f32 {
    fn into_delay_nanos(self) -> u64 {
        f64::from(self).into_delay_nanos()
    }
}

macro_rules! signed_seconds {
    ($($t:ty)*) => {$(
        impl IntoDelay for $t {
            fn into_delay_nanos(self) -> u64 {
                if self <= 0 {
                    return 0;
                }
                (self as u64).checked_mul(NANOS_PER_SEC).unwrap_or_else(|| {
                    panic!("corio: delay {self} seconds overflows the loop clock (at most ~584 years)")
                })
            }
        }
    )*};
}

macro_rules! unsigned_seconds {
    ($($t:ty)*) => {$(
        impl IntoDelay for $t {
            fn into_delay_nanos(self) -> u64 {
                u64::try_from(self)
                    .ok()
                    .and_then(|secs| secs.checked_mul(NANOS_PER_SEC))
                    .unwrap_or_else(|| {
                        panic!("corio: delay {self} seconds overflows the loop clock (at most ~584 years)")
                    })
            }
        }
    )*};
}

signed_seconds!(i8 i16 i32 i64 isize);
unsigned_seconds!(u8 u16 u32 u64 usize);

/// A timeout as `wait_for!` takes it: anything [`IntoDelay`] (seconds as an integer or a float,
/// a `Duration`), or an `Option` of one, where `None` means no timeout. (The macro turns a
/// literal `None` into "no timeout" itself, since a bare `None` has no type to infer.)
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a timeout",
    label = "expected seconds (`1`, `0.5`), a `Duration`, or `None`",
    note = "`wait_for!(future, timeout)` takes the timeout as seconds (an integer or a float), \
            a `std::time::Duration`, an `Option` of either, or `None` for no timeout"
)]
pub trait IntoTimeout {
    /// The timeout in nanoseconds (negative clamped to zero), or `None` for no timeout.
    ///
    /// # Panics
    ///
    /// As [`IntoDelay::into_delay_nanos`]: if the value is NaN, infinite or too large.
    fn into_timeout_nanos(self) -> Option<u64>;
}

impl<T: IntoDelay> IntoTimeout for T {
    fn into_timeout_nanos(self) -> Option<u64> {
        Some(self.into_delay_nanos())
    }
}

impl<T: IntoDelay> IntoTimeout for Option<T> {
    fn into_timeout_nanos(self) -> Option<u64> {
        self.map(IntoDelay::into_delay_nanos)
    }
}

/// What [`timeout`](crate::timeout) takes: a delay (seconds as an integer or a float, or a
/// `Duration`), or an `Option<f64>` of seconds where `None` means no deadline, as asyncio's
/// `timeout(delay: float | None)`.
///
/// Unlike [`IntoTimeout`], the only `Option` it takes is `Option<f64>`, so that a bare
/// `timeout(None)` has a type to infer. An `Option<Duration>` goes in as
/// `d.map(|d| d.as_secs_f64())`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a timeout delay",
    label = "expected seconds (`1`, `0.5`), a `Duration`, `Some(seconds)` or `None`"
)]
pub trait TimeoutDelay {
    /// The delay in nanoseconds (negative clamped to zero), or `None` for no deadline.
    ///
    /// # Panics
    ///
    /// As [`IntoDelay::into_delay_nanos`]: if the value is NaN, infinite or too large.
    fn into_timeout_delay_nanos(self) -> Option<u64>;
}

impl<T: IntoDelay> TimeoutDelay for T {
    fn into_timeout_delay_nanos(self) -> Option<u64> {
        Some(self.into_delay_nanos())
    }
}

impl TimeoutDelay for Option<f64> {
    fn into_timeout_delay_nanos(self) -> Option<u64> {
        self.map(IntoDelay::into_delay_nanos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nanos(d: impl IntoDelay) -> u64 {
        d.into_delay_nanos()
    }

    #[test]
    fn seconds_of_every_kind() {
        assert_eq!(nanos(1), NANOS_PER_SEC);
        assert_eq!(nanos(0.5), NANOS_PER_SEC / 2);
        assert_eq!(nanos(2u8), 2 * NANOS_PER_SEC);
        assert_eq!(nanos(0.25f32), NANOS_PER_SEC / 4);
        assert_eq!(nanos(Duration::from_millis(1500)), 1_500_000_000);
    }

    #[test]
    fn negative_means_zero() {
        assert_eq!(nanos(-1), 0);
        assert_eq!(nanos(-0.5), 0);
        assert_eq!(nanos(-0.0), 0);
    }

    #[test]
    #[should_panic(expected = "delay NaN")]
    fn nan_panics() {
        nanos(f64::NAN);
    }

    #[test]
    #[should_panic(expected = "delay inf seconds is infinite")]
    fn infinity_panics() {
        nanos(f64::INFINITY);
    }

    #[test]
    #[should_panic(expected = "delay -inf seconds is infinite")]
    fn negative_infinity_panics() {
        nanos(f64::NEG_INFINITY);
    }

    #[test]
    #[should_panic(expected = "delay 1e30 seconds overflows")]
    fn huge_float_panics() {
        nanos(1e30);
    }

    #[test]
    #[should_panic(expected = "delay 18446744073709551615 seconds overflows")]
    fn huge_integer_panics() {
        nanos(u64::MAX);
    }

    #[test]
    #[should_panic(expected = "overflows the loop clock")]
    fn huge_duration_panics() {
        nanos(Duration::MAX);
    }
}
