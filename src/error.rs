//! Command-level errors and the documented exit codes.
//!
//! Every error is one line naming the file, field or object, plus `hint:` lines. This module
//! describes errors; the printer prints them.

use std::path::PathBuf;

use crate::scenario::Problem;

/// Exit codes; stable, because CI pipelines depend on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Success (or graded at or above the pass mark).
    Success = 0,
    /// Graded below the pass mark, or a check failed.
    Failed = 1,
    /// Usage or input error (bad flags, malformed scenario, unknown id).
    Usage = 2,
    /// Environment error (Docker, kind, cluster unreachable, file system).
    Environment = 3,
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        Self::from(exit as u8)
    }
}

/// Why a command could not do its job.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No scenario with that id in the catalogue.
    #[error("no scenario `{id}` in the catalogue")]
    UnknownScenario {
        /// What the user asked for.
        id: String,
        /// The closest known id.
        suggestion: Option<String>,
    },
    /// The scenario has problems (the first is shown in the message, all by the printer).
    #[error("scenario has {} problem(s)", problems.len())]
    InvalidScenario {
        /// Every problem found.
        problems: Vec<Problem>,
        /// The scenario's folder on disk (`None` for a built-in one).
        folder: Option<PathBuf>,
    },
    /// A path could not be read or written.
    #[error("`{}`: {message}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The system's reason.
        message: String,
    },
    /// A snapshot file that cannot be read as cluster state.
    #[error("`{}`{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    InvalidSnapshot {
        /// The file.
        path: PathBuf,
        /// 1-based line, when known.
        line: Option<u64>,
        /// What is wrong.
        message: String,
    },
    /// A file given to `report verify` that is not a JSON grade report.
    #[error("`{}`{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    InvalidReport {
        /// The file.
        path: PathBuf,
        /// 1-based line, when known.
        line: Option<u64>,
        /// What is wrong.
        message: String,
    },
    /// The snapshot names another scenario or seed than the one asked for.
    #[error("`{}` was taken for {found}, not {wanted}", path.display())]
    SnapshotMismatch {
        /// The file.
        path: PathBuf,
        /// What it names.
        found: String,
        /// What was asked for.
        wanted: String,
    },
    /// A `--from`/`--to` that names nothing in the snapshot or is malformed.
    #[error("`{flow}`: {reason}")]
    BadFlow {
        /// What the user wrote.
        flow: String,
        /// What is wrong.
        reason: String,
    },
    /// Nothing of the attempt is in the graded state: the wrong seed (or its namespaces are gone).
    #[error(
        "nothing of `{scenario}` seed {seed} is in {graded}: none of its namespaces ({}) exists",
        expected.join(", ")
    )]
    WrongAttempt {
        /// Scenario id.
        scenario: String,
        /// The seed asked for.
        seed: u64,
        /// What was graded (`` `file` `` or `the cluster`).
        graded: String,
        /// The namespaces that seed's setup creates.
        expected: Vec<String>,
        /// A seed that matches, when one was found.
        matching_seed: Option<u64>,
    },
    /// Neither `--seed` nor the snapshot gives the attempt's seed.
    #[error("no seed: pass `--seed N` (only kubedrill's own snapshots record it)")]
    NoSeed,
    /// A path the user named does not exist.
    #[error("`{}` does not exist", path.display())]
    NotFound {
        /// The path.
        path: PathBuf,
    },
    /// A folder given to `scenario lint` holds no scenario.
    #[error("`{}` holds no scenario (no scenario.yaml in it or in its folders)", path.display())]
    NoScenarios {
        /// The folder.
        path: PathBuf,
    },
    /// `scenario new` would overwrite an existing folder.
    #[error("`{}` already exists", path.display())]
    AlreadyExists {
        /// The folder.
        path: PathBuf,
    },
    /// A scenario id that cannot be a folder and DNS name.
    #[error("`{id}` is not a valid scenario id: {reason}")]
    InvalidId {
        /// The id.
        id: String,
        /// Why.
        reason: String,
    },
    /// Docker, kind or the cluster failed (or a write to a foreign cluster was refused).
    #[error(transparent)]
    Cluster(#[from] crate::cluster::ClusterError),
    /// A namespace prefix was given for a scenario that cannot share a cluster.
    #[error("`{id}` cannot share a cluster (it {why}), so it cannot be graded under a namespace prefix")]
    NotShareable {
        /// Scenario id.
        id: String,
        /// What reaches beyond its namespaces.
        why: String,
    },
    /// A roster file that cannot be used.
    #[error("roster `{}`: {message}", path.display())]
    InvalidRoster {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A practice session, exam or history problem.
    #[error(transparent)]
    Practice(#[from] crate::practice::error::PracticeError),
    /// A built-in template failed (a bug in kubedrill, never user input).
    #[error("built-in template `{name}` failed: {message}")]
    Template {
        /// The template.
        name: String,
        /// Tera's reason.
        message: String,
    },
}

/// Read a file the user named: a missing one is [`Error::NotFound`] (exit 2), any other failure
/// [`Error::Io`] (exit 3).
pub fn read_input(path: &std::path::Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::NotFound {
            path: path.to_path_buf(),
        },
        _ => Error::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        },
    })
}

impl Error {
    /// The exit code this error maps to.
    #[must_use]
    pub fn exit(&self) -> Exit {
        match self {
            Self::Cluster(e) if e.is_refusal() => Exit::Usage,
            Self::Practice(e) if e.is_usage() => Exit::Usage,
            Self::Io { .. } | Self::Template { .. } | Self::Cluster(_) | Self::Practice(_) => Exit::Environment,
            Self::UnknownScenario { .. }
            | Self::NotFound { .. }
            | Self::NoScenarios { .. }
            | Self::InvalidSnapshot { .. }
            | Self::InvalidReport { .. }
            | Self::SnapshotMismatch { .. }
            | Self::NoSeed
            | Self::WrongAttempt { .. }
            | Self::BadFlow { .. }
            | Self::InvalidScenario { .. }
            | Self::AlreadyExists { .. }
            | Self::InvalidId { .. }
            | Self::NotShareable { .. }
            | Self::InvalidRoster { .. } => Exit::Usage,
        }
    }

    /// What to do about it.
    #[must_use]
    pub fn hints(&self) -> Vec<String> {
        match self {
            Self::UnknownScenario { suggestion, .. } => {
                let mut hints: Vec<String> = suggestion.iter().map(|s| format!("did you mean `{s}`?")).collect();
                hints.push("run `kubedrill list` to see every scenario".to_owned());
                hints
            }
            Self::InvalidScenario { folder: Some(folder), .. } => vec![format!(
                "fix each problem above at its file and line, then run `kubedrill scenario lint {}`: it also renders seeds 1-5 and simulates the grading",
                folder.display()
            )],
            Self::InvalidScenario { folder: None, .. } => {
                vec!["a built-in scenario failed its own checks: please report this as a kubedrill bug".to_owned()]
            }
            Self::Io { .. } => vec!["check the path's permissions and that its disk is not full".to_owned()],
            Self::NoScenarios { .. } => vec![
                "a scenario is a folder with a scenario.yaml; `kubedrill scenario new <id>` scaffolds one".to_owned(),
            ],
            Self::InvalidSnapshot { .. } => vec![
                "a snapshot is `kubectl get ... -o yaml|json` output, or a kubedrill Snapshot document (see README)"
                    .to_owned(),
            ],
            Self::InvalidReport { .. } => vec![
                "pass JSON reports as `kubedrill grade -o json` writes them (or a batch's `--report-dir` files)".to_owned(),
            ],
            Self::SnapshotMismatch { .. } => {
                vec!["grade with the scenario and seed the snapshot was taken for".to_owned()]
            }
            Self::BadFlow { .. } => vec![
                "e.g. `--from shop/frontend-7d9f --to shop/api:8080` or `--from shop/app=frontend --to shop/svc/api:http`"
                    .to_owned(),
            ],
            Self::WrongAttempt { matching_seed, .. } => match matching_seed {
                Some(seed) => vec![format!("its state matches seed {seed}: grade with `--seed {seed}`")],
                None => vec![
                    "grade with the seed the attempt was started with (`kubedrill history` lists them)".to_owned(),
                    "if its namespaces were deleted, set it up again: `kubedrill cluster setup <id> --seed N`".to_owned(),
                ],
            },
            Self::NoSeed => {
                vec!["the seed changes names and ports; use the one the attempt was started with (`kubedrill history` lists them)".to_owned()]
            }
            Self::NotFound { .. } => vec!["check the path (a relative path starts from the current folder)".to_owned()],
            Self::AlreadyExists { .. } => vec!["pick another id, or remove the folder first".to_owned()],
            Self::InvalidId { .. } => vec!["use lowercase letters, digits and `-`, e.g. `svc-wrong-port`".to_owned()],
            Self::Template { .. } => vec!["please report this as a kubedrill bug".to_owned()],
            Self::InvalidRoster { .. } => vec![
                "a roster has `scenario`, `seed` and `students: [{name, kubeconfig, context, namespacePrefix}]` (see README)"
                    .to_owned(),
            ],
            Self::NotShareable { .. } => vec![
                "give each student their own cluster (e.g. a kind cluster in their CI job) and grade without --namespace-prefix"
                    .to_owned(),
            ],
            Self::Cluster(e) => e.hints(),
            Self::Practice(e) => vec![e.hint()],
        }
    }
}
