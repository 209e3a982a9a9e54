//! Classroom batch grading: a roster of students (each a kubeconfig and context, or a snapshot;
//! a namespace prefix when they share a cluster; their own scenario and seed if need be)
//! graded concurrently with a bounded pool. One student's unreachable cluster is an `Error`
//! row; it never stops the batch. Reports come out in roster order.
//!
//! Observation goes through the [`Observer`] trait (live clusters in `command`, fakes in
//! tests); grading itself is the graders crate's. Never prints, and never renders a report:
//! rows become [`Entry`]s for `report`'s combined formats, which know nothing of rosters.

use std::collections::BTreeSet;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::Duration;

use futures::StreamExt;
use graders::state::Observation;
use serde::{Deserialize, Serialize};

use crate::catalogue::render_for;
use crate::error::Error;
use crate::report::{Entry, GradeReport, Origin};
use crate::scenario::{Rendered, Scenario};

/// A roster file as written.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RosterFile {
    /// Default scenario for every student.
    #[serde(default)]
    scenario: Option<String>,
    /// Default seed.
    #[serde(default)]
    seed: Option<u64>,
    /// Allow probe pods on clusters kubedrill did not create (default false).
    #[serde(default)]
    allow_foreign_cluster: bool,
    students: Vec<StudentEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StudentEntry {
    name: String,
    #[serde(default)]
    scenario: Option<String>,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    kubeconfig: Option<PathBuf>,
    #[serde(default)]
    context: Option<String>,
    #[serde(default)]
    namespace_prefix: Option<String>,
    #[serde(default)]
    snapshot: Option<PathBuf>,
}

/// One student, defaults applied and paths resolved against the roster's folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Student {
    /// Name (also the per-student report's file name).
    pub name: String,
    /// Scenario id or path.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Where their cluster is: a kubeconfig (and context), or a snapshot file.
    pub source: Source,
    /// Their share of a shared cluster.
    pub namespace_prefix: Option<String>,
    /// Probe pods may be created on a cluster kubedrill did not create.
    pub allow_foreign_cluster: bool,
}

/// Where a student's cluster state comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// A live cluster.
    Cluster {
        /// The kubeconfig.
        kubeconfig: PathBuf,
        /// Its context (default: the current one).
        context: Option<String>,
    },
    /// A snapshot file.
    Snapshot(PathBuf),
}

/// Parse a roster (`path` names it in errors; relative paths resolve against its folder).
pub fn parse_roster(text: &str, path: &Path) -> Result<Vec<Student>, Error> {
    let bad = |message: String| Error::InvalidRoster {
        path: path.to_path_buf(),
        message,
    };
    let file: RosterFile = serde_saphyr::from_str(text).map_err(|e| bad(e.to_string()))?;
    let base = path.parent().unwrap_or_else(|| Path::new("."));
    let mut names = BTreeSet::new();
    let mut students = Vec::new();
    for (i, s) in file.students.into_iter().enumerate() {
        let at = format!("students[{i}] (`{}`)", s.name);
        let safe = !s.name.is_empty()
            && s.name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            && !s.name.starts_with('.');
        if !safe {
            return Err(bad(format!(
                "{at}: a name is letters, digits, `.`, `_` and `-` (it names report files)"
            )));
        }
        if !names.insert(s.name.clone()) {
            return Err(bad(format!("{at}: the name is used twice")));
        }
        let scenario = s
            .scenario
            .or_else(|| file.scenario.clone())
            .ok_or_else(|| bad(format!("{at}: no `scenario` (set it on the student or at the top)")))?;
        let seed = s
            .seed
            .or(file.seed)
            .ok_or_else(|| bad(format!("{at}: no `seed` (set it on the student or at the top)")))?;
        let source = match (s.kubeconfig, s.snapshot) {
            (Some(kubeconfig), None) => Source::Cluster {
                kubeconfig: base.join(kubeconfig),
                context: s.context,
            },
            (None, Some(snapshot)) => Source::Snapshot(base.join(snapshot)),
            _ => return Err(bad(format!("{at}: give exactly one of `kubeconfig` and `snapshot`"))),
        };
        students.push(Student {
            name: s.name,
            scenario,
            seed,
            source,
            namespace_prefix: s.namespace_prefix,
            allow_foreign_cluster: file.allow_foreign_cluster,
        });
    }
    if students.is_empty() {
        return Err(bad("`students` is empty".to_owned()));
    }
    Ok(students)
}

/// A boxed future, for the object-safe [`Observer`].
pub type Observing<'a> = Pin<Box<dyn Future<Output = Result<Observation, Error>> + 'a>>;

/// Reads a student's cluster state (and probes) for a rendered scenario.
pub trait Observer {
    /// Observe what `rendered`'s checks need on `student`'s cluster.
    fn observe<'a>(&'a self, student: &'a Student, rendered: &'a Rendered) -> Observing<'a>;
}

/// One roster line's outcome.
#[derive(Debug, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Row {
    /// Graded.
    Graded {
        /// Who.
        student: String,
        /// The sealed report.
        report: Box<GradeReport>,
    },
    /// Could not be graded (unreachable cluster, bad kubeconfig, unknown scenario...).
    Error {
        /// Who.
        student: String,
        /// Why.
        message: String,
        /// What to do.
        hints: Vec<String>,
    },
}

impl Row {
    /// The student's name.
    #[must_use]
    pub fn student(&self) -> &str {
        match self {
            Self::Graded { student, .. } | Self::Error { student, .. } => student,
        }
    }

    /// This row as a line of a combined report (JUnit, CSV): the student, and their report or
    /// why they could not be graded.
    pub fn entry(&self) -> Entry<'_> {
        match self {
            Self::Graded { student, report } => (Some(student.as_str()), Ok(report.as_ref())),
            Self::Error { student, message, .. } => (Some(student.as_str()), Err(message.as_str())),
        }
    }
}

/// How to grade a batch.
pub struct Batch<'a> {
    /// Grading options.
    pub pass_mark: f64,
    /// At most this many students at once.
    pub jobs: usize,
    /// Give up on one student after this long.
    pub per_student: Duration,
    /// The instructor's scenario folder.
    pub scenarios_dir: Option<&'a Path>,
    /// Key reports are signed with.
    pub key: Option<&'a [u8]>,
}

impl Batch<'_> {
    /// Grade every student (at most `jobs` at a time), rows in roster order.
    pub async fn run(&self, students: &[Student], observer: &dyn Observer) -> Vec<Row> {
        futures::stream::iter(students)
            .map(|student| async move {
                let graded = tokio::time::timeout(self.per_student, self.grade(student, observer)).await;
                let result = graded.unwrap_or_else(|_| {
                    Err(Error::Io {
                        path: PathBuf::from(&student.name),
                        message: format!("grading took longer than {} s", self.per_student.as_secs()),
                    })
                });
                match result {
                    Ok(report) => Row::Graded {
                        student: student.name.clone(),
                        report: Box::new(report),
                    },
                    Err(error) => Row::Error {
                        student: student.name.clone(),
                        message: error.to_string(),
                        hints: error.hints(),
                    },
                }
            })
            .buffered(self.jobs.max(1))
            .collect()
            .await
    }

    async fn grade(&self, student: &Student, observer: &dyn Observer) -> Result<GradeReport, Error> {
        let scenario: Scenario = crate::catalogue::resolve(&student.scenario, self.scenarios_dir)?;
        let rendered = render_for(&scenario, student.seed, student.namespace_prefix.as_deref())?;
        let observation = observer.observe(student, &rendered).await?;
        let origin = match &student.source {
            Source::Cluster { kubeconfig, .. } => Origin::Kubeconfig(kubeconfig),
            Source::Snapshot(path) => Origin::Snapshot(path),
        };
        let graded = match origin {
            Origin::Snapshot(path) => format!("`{}`", path.display()),
            _ => "the cluster".to_owned(),
        };
        let prefix = student.namespace_prefix.as_deref();
        crate::seed_match::ensure(&scenario, &rendered, prefix, graded, &[&observation.state])?;
        let source = origin.source();
        let reached_as = match &student.source {
            Source::Cluster { kubeconfig, .. } => format!("cluster:{}", kubeconfig.display()),
            Source::Snapshot(path) => format!("snapshot:{}", path.display()),
        };
        let attempt = crate::grading::Attempt {
            scenario: &scenario,
            rendered,
            source,
            reached_as,
            pass_mark: self.pass_mark,
            key: self.key,
        };
        crate::grading::report(attempt, &observation)
    }
}

/// Totals over rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Students.
    pub students: usize,
    /// At or above the pass mark.
    pub passed: usize,
    /// Below it.
    pub failed: usize,
    /// Not graded.
    pub errors: usize,
}

/// Count rows.
#[must_use]
pub fn summarize(rows: &[Row]) -> Summary {
    let mut summary = Summary {
        students: rows.len(),
        ..Summary::default()
    };
    for row in rows {
        match row {
            Row::Graded { report, .. } if report.score.passed && report.score.errors == 0 => summary.passed += 1,
            Row::Graded { report, .. } if report.score.errors > 0 => summary.errors += 1,
            Row::Graded { .. } => summary.failed += 1,
            Row::Error { .. } => summary.errors += 1,
        }
    }
    summary
}
