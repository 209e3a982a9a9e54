//! The countdown of a session: deadline, remaining time, and which warnings (5 minutes, 1
//! minute left) a tick crossed. Pure arithmetic over injected [`Timestamp`]s.

use serde::{Deserialize, Serialize};

use super::clock::Timestamp;

/// Remaining times at which the learner is warned, in milliseconds.
pub const WARNINGS_MS: [u64; 2] = [5 * 60_000, 60_000];

/// A running countdown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Countdown {
    /// When the timer started (after the scenario was verified broken).
    pub started: Timestamp,
    /// Time allowed, in milliseconds.
    pub limit_ms: u64,
}

impl Countdown {
    /// When time runs out.
    #[must_use]
    pub const fn deadline(&self) -> Timestamp {
        self.started.plus(self.limit_ms)
    }

    /// Time used so far (capped at the limit).
    #[must_use]
    pub fn elapsed(&self, now: Timestamp) -> u64 {
        now.since(self.started).min(self.limit_ms)
    }

    /// Time left (0 once expired).
    #[must_use]
    pub fn remaining(&self, now: Timestamp) -> u64 {
        self.deadline().since(now)
    }

    /// Whether time has run out.
    #[must_use]
    pub fn expired(&self, now: Timestamp) -> bool {
        now >= self.deadline()
    }

    /// The warnings (remaining milliseconds from [`WARNINGS_MS`]) crossed between two ticks:
    /// remaining time was above the threshold at `before` and at or below it at `now`. A
    /// threshold not below the limit (a 3-minute task has no 5-minute warning) never fires.
    #[must_use]
    pub fn warnings_crossed(&self, before: Timestamp, now: Timestamp) -> Vec<u64> {
        let (was, is) = (self.remaining(before), self.remaining(now));
        WARNINGS_MS
            .into_iter()
            .filter(|&w| w < self.limit_ms && was > w && is <= w && is > 0)
            .collect()
    }
}

/// What the foreground countdown does after one tick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tick {
    /// Keep showing the bar; print these warnings (remaining milliseconds) first.
    Continue(Vec<u64>),
    /// Time is up: grade now.
    Expired,
    /// The session ended elsewhere (submitted or abandoned in another terminal): stop.
    Ended,
}

/// Decide a tick from the previous and current time and whether the session still runs.
#[must_use]
pub fn tick(countdown: &Countdown, before: Timestamp, now: Timestamp, still_running: bool) -> Tick {
    if !still_running {
        Tick::Ended
    } else if countdown.expired(now) {
        Tick::Expired
    } else {
        Tick::Continue(countdown.warnings_crossed(before, now))
    }
}

#[cfg(test)]
mod tests {
    use super::{Countdown, Tick, tick};
    use crate::practice::clock::Timestamp;

    const MIN: u64 = 60_000;

    fn twelve_minutes() -> Countdown {
        Countdown {
            started: Timestamp(1_000_000),
            limit_ms: 12 * MIN,
        }
    }

    #[test]
    fn remaining_elapsed_and_expiry_follow_injected_time() {
        let c = twelve_minutes();
        let at = |ms: u64| c.started.plus(ms);
        assert_eq!(c.remaining(at(0)), 12 * MIN);
        assert_eq!(c.remaining(at(5 * MIN)), 7 * MIN);
        assert_eq!(c.elapsed(at(5 * MIN)), 5 * MIN);
        assert!(!c.expired(at(12 * MIN - 1)));
        assert!(c.expired(at(12 * MIN)));
        assert_eq!(c.remaining(at(20 * MIN)), 0);
        assert_eq!(c.elapsed(at(20 * MIN)), 12 * MIN, "capped at the limit");
    }

    #[test]
    fn the_foreground_tick_warns_grades_at_the_deadline_and_stops_when_ended_elsewhere() {
        let c = twelve_minutes();
        let at = |ms: u64| c.started.plus(ms);
        assert_eq!(tick(&c, at(0), at(1_000), true), Tick::Continue(vec![]));
        assert_eq!(
            tick(&c, at(7 * MIN - 500), at(7 * MIN + 500), true),
            Tick::Continue(vec![5 * MIN])
        );
        assert_eq!(tick(&c, at(12 * MIN - 500), at(12 * MIN + 500), true), Tick::Expired);
        assert_eq!(
            tick(&c, at(0), at(13 * MIN), false),
            Tick::Ended,
            "ended elsewhere wins"
        );
    }

    #[test]
    fn each_warning_fires_once_when_its_threshold_is_crossed() {
        let c = twelve_minutes();
        let at = |ms: u64| c.started.plus(ms);
        assert!(c.warnings_crossed(at(0), at(6 * MIN)).is_empty());
        assert_eq!(c.warnings_crossed(at(6 * MIN), at(7 * MIN)), [5 * MIN]);
        assert!(c.warnings_crossed(at(7 * MIN), at(8 * MIN)).is_empty(), "not again");
        assert_eq!(c.warnings_crossed(at(10 * MIN), at(11 * MIN)), [MIN]);
        // A long gap (laptop asleep) crosses both at once; expiry itself is not a warning.
        assert_eq!(c.warnings_crossed(at(0), at(11 * MIN + 30_000)), [5 * MIN, MIN]);
        assert!(c.warnings_crossed(at(11 * MIN), at(13 * MIN)).is_empty());
        let short = Countdown { limit_ms: 3 * MIN, ..c };
        assert_eq!(
            short.warnings_crossed(at(0), at(2 * MIN + 1)),
            [MIN],
            "no 5-minute warning"
        );
    }
}
