//! The session: what a learner is doing right now (one practice task or an exam's tasks), as
//! stored in the session file so every terminal and every restart sees the same countdown;
//! and the hint rules (unlocked by time, or taken early for the hint's point penalty).
//!
//! Pure data and decisions; reading and writing the file is `store`'s job.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::clock::Timestamp;
use super::timer::Countdown;
use crate::scenario::model::{Domain, Profile};
use crate::scenario::render::Hint;

/// Version of the session file format.
pub const SESSION_VERSION: u32 = 1;

/// Practice (checking and hints allowed) or exam (neither, graded at the end).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// One task, `check` and `hint` allowed.
    Practice,
    /// Several tasks, no checking or hints until the end.
    Exam,
}

impl Mode {
    /// `practice` or `exam`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Practice => "practice",
            Self::Exam => "exam",
        }
    }
}

/// A hint the learner has taken.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakenHint {
    /// Its position in the scenario's hints.
    pub index: usize,
    /// When.
    pub at: Timestamp,
    /// Points it cost (0 once unlocked by time).
    pub penalty: u32,
}

/// Where a task's cluster is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    /// The profile's cluster.
    pub profile: Profile,
    /// Its dedicated kubeconfig.
    pub kubeconfig: PathBuf,
    /// The context in it (kind names it `kind-<cluster>`).
    pub context: Option<String>,
    /// A cluster the learner named with `--kubeconfig`, not kubedrill's own kind cluster.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub given: bool,
    /// Writes to it were allowed although kubedrill did not create it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_foreign: bool,
    /// The probe image is in its nodes under its tag (`--agnhost-loaded`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub agnhost_loaded: bool,
}

/// One task of a session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Scenario id.
    pub scenario: String,
    /// How the learner named it (an id, or a path to an instructor's folder).
    pub reference: String,
    /// Its title.
    pub title: String,
    /// Its CKA domain.
    pub domain: Domain,
    /// Exam weight.
    pub weight: u32,
    /// The seed it was set up with.
    pub seed: u64,
    /// Its cluster.
    pub access: Access,
    /// Flagged for review (exam).
    #[serde(default)]
    pub flagged: bool,
    /// Hints taken.
    #[serde(default)]
    pub hints: Vec<TakenHint>,
}

impl Task {
    /// Points the hints taken so far cost.
    #[must_use]
    pub fn hint_penalty(&self) -> u32 {
        self.hints.iter().map(|h| h.penalty).sum()
    }
}

/// An active session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// [`SESSION_VERSION`].
    pub version: u32,
    /// Unique id (also the attempts' key in history, so a retried submit records once).
    pub id: String,
    /// Practice or exam.
    pub mode: Mode,
    /// The countdown.
    pub countdown: Countdown,
    /// The instructor folder the scenarios came from, if any.
    #[serde(default)]
    pub scenarios_dir: Option<PathBuf>,
    /// The tasks (one in practice).
    pub tasks: Vec<Task>,
    /// The task shown by default (exam navigation).
    #[serde(default)]
    pub current: usize,
    /// How many times `check` graded so far.
    #[serde(default)]
    pub checks_run: u32,
}

/// What `hint` can give next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NextHint {
    /// Every hint is taken.
    AllTaken,
    /// Hint `index` is unlocked: free.
    Unlocked {
        /// Which.
        index: usize,
    },
    /// Hint `index` unlocks later; taking it now costs `penalty` points.
    Locked {
        /// Which.
        index: usize,
        /// Milliseconds until it is free.
        unlocks_in_ms: u64,
        /// Points it costs now.
        penalty: u32,
    },
}

/// The next hint for a task `elapsed_ms` into its countdown. Hints are taken in order.
#[must_use]
pub fn next_hint(hints: &[Hint], taken: &[TakenHint], elapsed_ms: u64) -> NextHint {
    let index = taken.len();
    let Some(hint) = hints.get(index) else {
        return NextHint::AllTaken;
    };
    let unlocks_at = hint.after.as_millis();
    if elapsed_ms >= unlocks_at {
        NextHint::Unlocked { index }
    } else {
        NextHint::Locked {
            index,
            unlocks_in_ms: unlocks_at - elapsed_ms,
            penalty: hint.penalty,
        }
    }
}

/// Take the next hint at `now`: free when unlocked, its penalty when `early` is allowed, and
/// nothing (the locked state, for the caller to explain) otherwise.
pub fn take_hint(hints: &[Hint], task: &mut Task, countdown: &Countdown, now: Timestamp, early: bool) -> NextHint {
    let next = next_hint(hints, &task.hints, countdown.elapsed(now));
    match next {
        NextHint::Unlocked { index } => task.hints.push(TakenHint {
            index,
            at: now,
            penalty: 0,
        }),
        NextHint::Locked { index, penalty, .. } if early => task.hints.push(TakenHint {
            index,
            at: now,
            penalty,
        }),
        NextHint::Locked { .. } | NextHint::AllTaken => {}
    }
    next
}

impl Session {
    /// A unique session id: start time, first scenario and 32 random bits (two sessions
    /// started in the same millisecond must still be recorded apart).
    #[must_use]
    pub fn new_id(started: Timestamp, scenario: &str) -> String {
        use std::hash::{BuildHasher, Hasher};
        let nonce = std::collections::hash_map::RandomState::new().build_hasher().finish();
        format!("{}-{scenario}-{:08x}", started.0, nonce & 0xffff_ffff)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use graders::Duration;

    use super::{Access, NextHint, Task, next_hint, take_hint};
    use crate::practice::clock::Timestamp;
    use crate::practice::timer::Countdown;
    use crate::scenario::model::{Domain, Profile};
    use crate::scenario::render::Hint;

    const MIN: u64 = 60_000;

    fn hints() -> Vec<Hint> {
        [(2, 1), (5, 2)]
            .into_iter()
            .map(|(minutes, penalty)| Hint {
                after: Duration::from_secs(minutes * 60),
                penalty,
                text: format!("after {minutes}m"),
            })
            .collect()
    }

    /// A task for tests.
    pub(crate) fn task() -> Task {
        Task {
            scenario: "s".into(),
            reference: "s".into(),
            title: "t".into(),
            domain: Domain::ServicesNetworking,
            weight: 1,
            seed: 1,
            access: Access {
                profile: Profile::Kindnet,
                kubeconfig: "/k".into(),
                context: None,
                given: false,
                allow_foreign: false,
                agnhost_loaded: false,
            },
            flagged: false,
            hints: Vec::new(),
        }
    }

    #[test]
    fn session_ids_are_unique_even_in_the_same_millisecond() {
        let (a, b) = (
            super::Session::new_id(Timestamp(5), "s"),
            super::Session::new_id(Timestamp(5), "s"),
        );
        assert!(a.starts_with("5-s-") && b.starts_with("5-s-"));
        assert_ne!(a, b);
    }

    #[test]
    fn hints_unlock_by_time_in_order() {
        let hints = hints();
        assert_eq!(
            next_hint(&hints, &[], MIN),
            NextHint::Locked {
                index: 0,
                unlocks_in_ms: MIN,
                penalty: 1
            }
        );
        assert_eq!(next_hint(&hints, &[], 2 * MIN), NextHint::Unlocked { index: 0 });
    }

    #[test]
    fn taking_a_hint_early_costs_its_penalty_only_when_asked() {
        let hints = hints();
        let countdown = Countdown {
            started: Timestamp(0),
            limit_ms: 10 * MIN,
        };
        let mut task = task();
        let at = |ms| Timestamp(0).plus(ms);
        // Locked and not forced: nothing taken.
        assert!(matches!(
            take_hint(&hints, &mut task, &countdown, at(MIN), false),
            NextHint::Locked { .. }
        ));
        assert!(task.hints.is_empty());
        // Unlocked at 3m: free.
        assert_eq!(
            take_hint(&hints, &mut task, &countdown, at(3 * MIN), false),
            NextHint::Unlocked { index: 0 }
        );
        // The second unlocks at 5m: taken early at 4m for 2 points.
        take_hint(&hints, &mut task, &countdown, at(4 * MIN), true);
        assert_eq!(task.hints.len(), 2);
        assert_eq!(task.hint_penalty(), 2);
        assert_eq!(
            take_hint(&hints, &mut task, &countdown, at(9 * MIN), true),
            NextHint::AllTaken
        );
        assert_eq!(task.hints.len(), 2);
    }
}
