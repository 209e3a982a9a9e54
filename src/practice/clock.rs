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
        if let Some(seconds) = std::env::var("KUBEDRILL_NOW").ok().and_then(|s| s.trim().parse::<i64>().ok()) {
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
    if h > 0 { format!("{h}:{m:02}:{s:02}") } else { format!("{m}:{s:02}") }
}

#[cfg(test)]
mod tests {
    use super::{Timestamp, clock_text};

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
