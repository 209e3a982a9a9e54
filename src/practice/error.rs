//! What can go wrong in a practice session, each with the exit code class and a hint.

use std::path::PathBuf;

/// A session, history or exam problem.
#[derive(Debug, thiserror::Error)]
pub enum PracticeError {
    /// No session is active.
    #[error("no practice session is active")]
    NoSession,
    /// A session is already active.
    #[error("a {mode} session for `{scenario}` is already active")]
    Active {
        /// `practice` or `exam`.
        mode: &'static str,
        /// Its (first) scenario.
        scenario: String,
    },
    /// Another kubedrill command holds the session lock.
    #[error("another kubedrill command (pid {pid}) is changing the session (lock `{}`)", path.display())]
    Locked {
        /// The holder's process id.
        pid: u32,
        /// The lock file.
        path: PathBuf,
    },
    /// The session file cannot be parsed.
    #[error("session file `{}` is corrupted: {message}", path.display())]
    CorruptSession {
        /// The file.
        path: PathBuf,
        /// The parser's reason.
        message: String,
    },
    /// The history database cannot be used.
    #[error("history database `{}`: {message}", path.display())]
    History {
        /// The database file.
        path: PathBuf,
        /// SQLite's reason.
        message: String,
    },
    /// A session file or folder could not be read or written.
    #[error("`{}`: {message}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The system's reason.
        message: String,
    },
    /// Not allowed in this mode (checking or hints during an exam).
    #[error("`{command}` is not available during an exam")]
    ExamForbids {
        /// The command.
        command: &'static str,
    },
    /// An exam-only command outside an exam.
    #[error("`{command}` needs an active exam")]
    NotAnExam {
        /// The command.
        command: &'static str,
    },
    /// No such task in the exam.
    #[error("there is no task {number} (the exam has {count})")]
    NoTask {
        /// 1-based number asked for.
        number: usize,
        /// How many there are.
        count: usize,
    },
    /// The solution is hidden until the scenario was attempted.
    #[error("the solution of `{scenario}` is shown after an attempt has been graded")]
    SolutionLocked {
        /// Scenario id.
        scenario: String,
    },
    /// `--profile` names a profile the scenario cannot run on.
    #[error("`{scenario}` needs NetworkPolicy enforcement, which the `{profile}` profile does not have")]
    ProfileTooWeak {
        /// Scenario id.
        scenario: String,
        /// The profile asked for.
        profile: crate::scenario::model::Profile,
    },
    /// The catalogue cannot supply an exam.
    #[error("cannot draw an exam: {reason}")]
    NoExam {
        /// Why.
        reason: String,
    },
}

impl PracticeError {
    /// Whether it is the user's input or state (exit 2) rather than the environment (exit 3).
    #[must_use]
    pub const fn is_usage(&self) -> bool {
        !matches!(
            self,
            Self::History { .. } | Self::Io { .. } | Self::CorruptSession { .. }
        )
    }

    /// What to do about it.
    #[must_use]
    pub fn hint(&self) -> String {
        match self {
            Self::NoSession => "start one with `kubedrill start <scenario>` (`kubedrill list` shows them)".to_owned(),
            Self::Active { .. } => "finish it with `kubedrill submit`, or drop it with `kubedrill abandon`".to_owned(),
            Self::Locked { path, .. } => format!(
                "wait for that command to finish; if it crashed, delete `{}`",
                path.display()
            ),
            Self::CorruptSession { .. } => {
                "`kubedrill abandon --force` sets it aside (renamed, not deleted); your history is untouched".to_owned()
            }
            Self::History { path, .. } => format!(
                "move `{}` aside to start a fresh history (kubedrill never deletes it); the session is kept, so `submit` can be retried",
                path.display()
            ),
            Self::Io { .. } => "check that kubedrill's data folder (`KUBEDRILL_HOME`) is writable".to_owned(),
            Self::ExamForbids { .. } => "as in the real exam, results come at the end: `kubedrill submit`".to_owned(),
            Self::NotAnExam { .. } => "start one with `kubedrill exam start`".to_owned(),
            Self::NoTask { .. } => "`kubedrill status` lists the exam's tasks".to_owned(),
            Self::SolutionLocked { scenario } => format!(
                "attempt it first (`kubedrill start {scenario}`), or pass `--force` if you really want to see it now"
            ),
            Self::ProfileTooWeak { .. } => {
                "use `--profile kindnet` or `--profile calico`, or leave `--profile` out".to_owned()
            }
            Self::NoExam { .. } => "lower `--tasks`, or drop `--domain` / `--profile`".to_owned(),
        }
    }

    /// An I/O error at `path`.
    pub fn io(path: impl Into<PathBuf>, error: &std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            message: error.to_string(),
        }
    }
}
