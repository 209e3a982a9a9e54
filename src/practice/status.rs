//! What `kubedrill status -o json|yaml` prints: a documented, stable shape (schema version 1)
//! built from the session and the time — whether a session is active, practice or exam, its
//! tasks, start, deadline, time left, hints — never the session file's own fields, which may
//! change with its format.
//!
//! Pure data; must not read files, grade or print.

use serde::Serialize;

use super::clock::{Timestamp, rfc3339};
use super::session::Session;

/// Version of the status document; a change that removes or renames a key bumps it.
pub const STATUS_SCHEMA_VERSION: u32 = 1;

/// The status document. Every key is always present; those describing a session are `null`
/// (`scenarios` empty) when none is active.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// [`STATUS_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// A session is running (possibly past its deadline, when it could not be graded yet).
    pub active: bool,
    /// `practice` or `exam`.
    pub kind: Option<&'static str>,
    /// The session's tasks (one in practice).
    pub scenarios: Vec<TaskStatus>,
    /// When the countdown started (RFC 3339, UTC).
    pub started_at: Option<String>,
    /// When time runs out (RFC 3339, UTC).
    pub deadline: Option<String>,
    /// The time allowed.
    pub time_limit_seconds: Option<u64>,
    /// Time left, rounded up to the second; 0 once time is up.
    pub time_left_seconds: Option<u64>,
    /// The deadline has passed.
    pub time_up: bool,
    /// Hints taken, all tasks.
    pub hints_taken: Option<usize>,
    /// Points those hints cost.
    pub hint_penalty: Option<u32>,
    /// `kubedrill check` runs so far.
    pub checks_run: Option<u32>,
    /// The current task's kubeconfig (`export KUBECONFIG=...`).
    pub kubeconfig: Option<String>,
    /// Set when this very command found the time up and graded the attempt, ending it.
    pub graded: Option<GradedStatus>,
}

/// One task of the session.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskStatus {
    /// 1-based task number (`kubedrill exam task N`).
    pub task: usize,
    /// Scenario id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// The seed it was set up with.
    pub seed: u64,
    /// Exam weight.
    pub weight: u32,
    /// Hints taken on it.
    pub hints_taken: usize,
    /// Points they cost.
    pub hint_penalty: u32,
    /// Flagged for review (exam).
    pub flagged: bool,
    /// The task commands act on.
    pub current: bool,
}

/// The grade of an attempt that status ended because its time was up.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GradedStatus {
    /// Score in percent (weighted over tasks in an exam).
    pub percent: f64,
    /// At or above the pass mark.
    pub passed: bool,
}

impl Status {
    /// No session.
    #[must_use]
    pub const fn idle() -> Self {
        Self {
            schema_version: STATUS_SCHEMA_VERSION,
            active: false,
            kind: None,
            scenarios: Vec::new(),
            started_at: None,
            deadline: None,
            time_limit_seconds: None,
            time_left_seconds: None,
            time_up: false,
            hints_taken: None,
            hint_penalty: None,
            checks_run: None,
            kubeconfig: None,
            graded: None,
        }
    }

    /// `session` as it stands at `now`.
    #[must_use]
    pub fn of(session: &Session, now: Timestamp) -> Self {
        let countdown = session.countdown;
        let scenarios: Vec<TaskStatus> = session
            .tasks
            .iter()
            .enumerate()
            .map(|(i, task)| TaskStatus {
                task: i + 1,
                id: task.scenario.clone(),
                title: task.title.clone(),
                seed: task.seed,
                weight: task.weight,
                hints_taken: task.hints.len(),
                hint_penalty: task.hint_penalty(),
                flagged: task.flagged,
                current: i == session.current,
            })
            .collect();
        Self {
            active: true,
            kind: Some(session.mode.as_str()),
            started_at: Some(rfc3339(countdown.started)),
            deadline: Some(rfc3339(countdown.deadline())),
            time_limit_seconds: Some(countdown.limit_ms.div_ceil(1000)),
            time_left_seconds: Some(countdown.remaining(now).div_ceil(1000)),
            time_up: countdown.expired(now),
            hints_taken: Some(scenarios.iter().map(|t| t.hints_taken).sum()),
            hint_penalty: Some(scenarios.iter().map(|t| t.hint_penalty).sum()),
            checks_run: Some(session.checks_run),
            kubeconfig: session
                .tasks
                .get(session.current)
                .map(|t| t.access.kubeconfig.display().to_string()),
            scenarios,
            ..Self::idle()
        }
    }

    /// `session`, which status has just graded and ended because its time was up.
    #[must_use]
    pub fn ended(session: &Session, now: Timestamp, graded: GradedStatus) -> Self {
        Self {
            active: false,
            graded: Some(graded),
            ..Self::of(session, now)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::{GradedStatus, Status};
    use crate::practice::clock::Timestamp;
    use crate::practice::session::{Access, Mode, SESSION_VERSION, Session, TakenHint, Task};
    use crate::practice::timer::Countdown;
    use crate::scenario::model::{Domain, Profile};

    const START: i64 = 1_800_000_000_000;

    fn task(scenario: &str, hints: Vec<TakenHint>) -> Task {
        Task {
            scenario: scenario.into(),
            reference: scenario.into(),
            title: format!("{scenario} title"),
            domain: Domain::ServicesNetworking,
            weight: 2,
            seed: 7,
            access: Access {
                profile: Profile::Kindnet,
                kubeconfig: PathBuf::from(format!("/k/{scenario}")),
                context: None,
                given: false,
                allow_foreign: false,
                agnhost_loaded: false,
            },
            flagged: scenario == "b",
            hints,
        }
    }

    fn exam() -> Session {
        let hint = |penalty| TakenHint {
            index: 0,
            at: Timestamp(START),
            penalty,
        };
        Session {
            version: SESSION_VERSION,
            id: "x".into(),
            mode: Mode::Exam,
            countdown: Countdown {
                started: Timestamp(START),
                limit_ms: 600_000,
            },
            scenarios_dir: None,
            tasks: vec![task("a", vec![hint(1)]), task("b", vec![hint(0), hint(2)])],
            current: 1,
            checks_run: 3,
        }
    }

    #[test]
    fn a_running_session_counts_down_from_its_deadline() {
        let status = Status::of(&exam(), Timestamp(START + 90_500));
        assert!(status.active && !status.time_up);
        assert_eq!(status.kind, Some("exam"));
        assert_eq!(status.started_at.as_deref(), Some("2027-01-15T08:00:00Z"));
        assert_eq!(status.deadline.as_deref(), Some("2027-01-15T08:10:00Z"));
        assert_eq!(status.time_limit_seconds, Some(600));
        assert_eq!(status.time_left_seconds, Some(510), "rounded up");
        assert_eq!((status.hints_taken, status.hint_penalty), (Some(3), Some(3)));
        assert_eq!(status.kubeconfig.as_deref(), Some("/k/b"), "the current task's");
        let numbers: Vec<(usize, bool, bool)> = status
            .scenarios
            .iter()
            .map(|t| (t.task, t.current, t.flagged))
            .collect();
        assert_eq!(numbers, [(1, false, false), (2, true, true)]);
    }

    #[test]
    fn past_the_deadline_no_time_is_left() {
        let status = Status::of(&exam(), Timestamp(START + 700_000));
        assert!(status.active && status.time_up);
        assert_eq!(status.time_left_seconds, Some(0));
        let ended = Status::ended(
            &exam(),
            Timestamp(START + 700_000),
            GradedStatus {
                percent: 50.0,
                passed: false,
            },
        );
        assert!(!ended.active && ended.time_up && ended.graded.is_some());
    }

    #[test]
    fn idle_and_active_documents_have_the_same_keys() {
        let keys = |status: &Status| {
            let value = serde_json::to_value(status).expect("json");
            value.as_object().expect("object").keys().cloned().collect::<Vec<_>>()
        };
        assert_eq!(keys(&Status::idle()), keys(&Status::of(&exam(), Timestamp(START))));
    }
}
