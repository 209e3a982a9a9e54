//! Time for practice sessions: a [`Clock`] trait so every timer decision is tested with injected
//! time (no sleeps), unix-millisecond [`Timestamp`]s that survive a restart in the session file,
//! and `mm:ss` formatting.
//!
//! The system clock honours `KUBEDRILL_NOW` (unix seconds) so the command-line flows can be
//! driven through a time-out in tests. Never sleeps, never prints.

use serde::{Deserialize, Serialize};

/// Milliseconds since the unix epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// This instant plus `ms` milliseconds.
    #[must_use]
    pub const fn plus(self, ms: u64) -> Self {
        Self(self.0.saturating_add_unsigned(ms))
    }

    /// Milliseconds from `earlier` to `self` (0 when `earlier` is later).
    #[must_use]
    pub fn since(self, earlier: Self) -> u64 {
        u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0)
    }
}

/// Where "now" comes from.
pub trait Clock {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The system clock, or `KUBEDRILL_NOW` (unix seconds) when set.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        if let Some(seconds) = std::env::var("KUBEDRILL_NOW")
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
        {
            return Timestamp(seconds.saturating_mul(1000));
        }
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Timestamp(ms)
    }
}

/// `m:ss` (or `h:mm:ss` from an hour), rounding up to the second so a countdown never shows
/// 0:00 while time remains.
#[must_use]
pub fn clock_text(ms: u64) -> String {
    let seconds = ms.div_ceil(1000);
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A timestamp as `YYYY-MM-DD HH:MM` UTC.
#[must_use]
pub fn utc_text(at: Timestamp) -> String {
    let (year, month, day, second) = civil(at);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        second / 3600,
        second / 60 % 60
    )
}

/// A timestamp as RFC 3339 UTC to the second (`2027-01-15T08:00:00Z`), for data output.
#[must_use]
pub fn rfc3339(at: Timestamp) -> String {
    let (year, month, day, second) = civil(at);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second / 3600,
        second / 60 % 60,
        second % 60
    )
}

/// Year, month, day and second of the day, UTC (days-to-civil, Howard Hinnant's algorithm).
fn civil(at: Timestamp) -> (i64, i64, i64, i64) {
    let seconds = at.0.div_euclid(1000);
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, rest)
}

#[cfg(test)]
mod tests {
    use super::{Timestamp, clock_text, rfc3339, utc_text};

    #[test]
    fn utc_dates() {
        assert_eq!(utc_text(Timestamp(0)), "1970-01-01 00:00");
        assert_eq!(rfc3339(Timestamp(0)), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(Timestamp(1_800_000_360_999)), "2027-01-15T08:06:00Z");
        assert_eq!(rfc3339(Timestamp(951_782_400_000 - 1_000)), "2000-02-28T23:59:59Z");
        assert_eq!(utc_text(Timestamp(951_782_400_000)), "2000-02-29 00:00");
        assert_eq!(utc_text(Timestamp(1_795_332_180_000)), "2026-11-22 07:23");
    }

    #[test]
    fn timestamps_and_clock_text() {
        let t = Timestamp(1_000);
        assert_eq!(t.plus(500), Timestamp(1_500));
        assert_eq!(t.plus(500).since(t), 500);
        assert_eq!(t.since(t.plus(500)), 0, "never negative");
        assert_eq!(clock_text(0), "0:00");
        assert_eq!(clock_text(1), "0:01", "rounds up");
        assert_eq!(clock_text(12 * 60_000), "12:00");
        assert_eq!(clock_text(3_600_000 + 61_000), "1:01:01");
    }
}
