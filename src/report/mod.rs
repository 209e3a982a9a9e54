//! Grade reports: one data structure ([`GradeReport`], with a versioned JSON schema) and its
//! renderings as text, JSON, JUnit XML, Markdown, HTML and CSV, alone or several in one
//! document ([`Entry`]: an exam's tasks, a batch's students).
//!
//! Builds strings; the printer writes them. Must not grade, touch a cluster, or know about
//! rosters and sessions (they hand over [`Entry`]s), and must not put an absolute path of the
//! grading machine into a report (reports are handed to students): [`Origin::source`] names
//! where the state came from.

mod csv;
pub mod integrity;
mod junit;
mod suggest;
mod template;
mod text;

pub use text::fmt_percent;

use std::path::{Component, Path, PathBuf};

use graders::score::ScoreCard;
use serde::Serialize;

use crate::error::Error;
use crate::output::Printer;
use crate::scenario::model::Domain;

/// Version of the JSON report schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Output formats for grade reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// For people (colour on a terminal).
    #[default]
    Text,
    /// Stable JSON (`schema_version`).
    Json,
    /// JUnit XML for CI test reporters.
    Junit,
    /// Markdown (from `templates/report.md.tera`).
    Markdown,
    /// HTML (from `templates/report.html.tera`).
    Html,
    /// CSV: one line per report (a batch: per student).
    Csv,
}

/// The scenario a report is about.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioInfo {
    /// Scenario id.
    pub id: String,
    /// Title.
    pub title: String,
    /// CKA domain.
    pub domain: Domain,
    /// The attempt's seed.
    pub seed: u64,
}

/// A graded attempt.
#[derive(Clone, Debug, Serialize)]
pub struct GradeReport {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The kubedrill that graded it.
    pub kubedrill_version: &'static str,
    /// What was graded.
    pub scenario: ScenarioInfo,
    /// Where the observed state came from (`snapshot:<file>`, `cluster:<name or kubeconfig>`;
    /// see [`Origin::source`]).
    pub source: String,
    /// The score and every check's verdict.
    pub score: ScoreCard,
    /// The scenario's explanation of the root cause.
    pub explanation: String,
    /// Tamper evidence (JSON reports); see [`integrity`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrity: Option<integrity::Integrity>,
}

/// Where a report's observed state came from.
#[derive(Clone, Copy, Debug)]
pub enum Origin<'a> {
    /// A snapshot file.
    Snapshot(&'a Path),
    /// A cluster reached through this kubeconfig.
    Kubeconfig(&'a Path),
    /// kubedrill's own kind cluster of this name.
    OwnCluster(&'a str),
}

impl<'a> Origin<'a> {
    /// A cluster: kubedrill's own when `own` names it, else the one `kubeconfig` reaches.
    #[must_use]
    pub fn cluster(kubeconfig: &'a Path, own: Option<&'a str>) -> Self {
        own.map_or(Origin::Kubeconfig(kubeconfig), Origin::OwnCluster)
    }

    /// The report's `source`: `snapshot:<path>`, `cluster:<path>` or `cluster:<name>`, with a
    /// path shown relative to the working directory when it lies under it, else by its file
    /// name only — never the absolute path of the grading machine.
    #[must_use]
    pub fn source(self) -> String {
        self.source_in(std::env::current_dir().ok().as_deref())
    }

    /// [`Origin::source`] with the working directory given (`None`: unknown).
    #[must_use]
    pub fn source_in(self, cwd: Option<&Path>) -> String {
        match self {
            Origin::Snapshot(path) => format!("snapshot:{}", shown_path(path, cwd)),
            Origin::Kubeconfig(path) => format!("cluster:{}", shown_path(path, cwd)),
            Origin::OwnCluster(name) => format!("cluster:{name}"),
        }
    }
}

/// `path` relative to `cwd` when it lies under it (a relative path that never climbs out with
/// `..` already does), else its file name.
fn shown_path(path: &Path, cwd: Option<&Path>) -> String {
    let relative = if path.is_absolute() {
        cwd.and_then(|cwd| path.strip_prefix(cwd).ok())
    } else {
        Some(path)
    };
    let inside: Option<PathBuf> = relative.and_then(|rel| {
        rel.components()
            .filter(|c| *c != Component::CurDir)
            .map(|c| match c {
                Component::Normal(part) => Some(part),
                _ => None,
            })
            .collect()
    });
    match inside.filter(|p| !p.as_os_str().is_empty()) {
        Some(rel) => rel.display().to_string(),
        None => path
            .file_name()
            .map_or_else(|| "?".to_owned(), |name| name.to_string_lossy().into_owned()),
    }
}

/// One line of a combined report: whose it is (a batch's student), and the report or why there
/// is none.
pub type Entry<'a> = (Option<&'a str>, Result<&'a GradeReport, &'a str>);

/// Reports as entries nobody is named in (an exam's tasks).
fn unnamed<'a>(reports: &[&'a GradeReport]) -> Vec<Entry<'a>> {
    reports.iter().map(|report| (None, Ok(*report))).collect()
}

/// Several reports in one JUnit document (one test suite each).
pub fn junit_all(reports: &[&GradeReport]) -> Result<String, Error> {
    junit::render(&unnamed(reports))
}

/// A batch in one JUnit document: a suite per student (`Err`: not graded, with why).
pub fn junit_batch(entries: &[Entry<'_>]) -> Result<String, Error> {
    junit::render(entries)
}

/// Several reports in one CSV document (one header, a line each).
pub fn csv_all(reports: &[&GradeReport]) -> Result<String, Error> {
    csv::render(&unnamed(reports))
}

/// A batch in one CSV document: a line per student (`Err`: not graded, with why).
pub fn csv_batch(entries: &[Entry<'_>]) -> Result<String, Error> {
    csv::render(entries)
}

/// The environment variable holding the key reports are signed with.
pub const KEY_ENV: &str = "KUBEDRILL_REPORT_KEY";

/// The signing key from [`KEY_ENV`], if set and not empty.
#[must_use]
pub fn signing_key() -> Option<Vec<u8>> {
    std::env::var_os(KEY_ENV)
        .filter(|k| !k.is_empty())
        .map(|k| k.to_string_lossy().into_owned().into_bytes())
}

impl GradeReport {
    /// Turn the `explain` flows the graders suggest into commands on the state `reached_as`
    /// names (`snapshot:<path>` or `cluster:<kubeconfig>`, paths as the grader gave them, so
    /// the commands run as printed from where grading ran), before sealing: the commands are
    /// part of the report.
    #[must_use]
    pub fn with_suggested_commands(mut self, reached_as: &str) -> Self {
        suggest::suggest_commands(&mut self.score, reached_as);
        self
    }

    /// Attach the integrity block: the scenario's files hash, the content digest, and a
    /// signature when `key` is given.
    #[must_use]
    pub fn sealed(mut self, scenario_sha256: String, key: Option<&[u8]>) -> Self {
        self.integrity = None;
        let value = serde_json::to_value(&self).unwrap_or_default();
        self.integrity = Some(integrity::seal(&value, scenario_sha256, key));
        self
    }

    /// Render in `format`; `printer` decides colour for text.
    pub fn render(&self, format: ReportFormat, printer: &Printer) -> Result<String, Error> {
        match format {
            ReportFormat::Text => Ok(text::render(self, printer)),
            ReportFormat::Json => serde_json::to_string_pretty(self)
                .map(|mut s| {
                    s.push('\n');
                    s
                })
                .map_err(|e| Error::Template {
                    name: "json report".to_owned(),
                    message: e.to_string(),
                }),
            ReportFormat::Junit => junit_all(&[self]),
            ReportFormat::Markdown => template::render(self, template::Kind::Markdown),
            ReportFormat::Html => template::render(self, template::Kind::Html),
            ReportFormat::Csv => csv_all(&[self]),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::Origin;

    #[test]
    fn a_source_never_names_an_absolute_path() {
        let cwd = Some(Path::new("/home/teacher/class"));
        let cases = [
            (
                Origin::Snapshot(Path::new("/home/teacher/class/alice/state.yaml")),
                "snapshot:alice/state.yaml",
            ),
            (
                Origin::Snapshot(Path::new("/tmp/grading/state.yaml")),
                "snapshot:state.yaml",
            ),
            (
                Origin::Snapshot(Path::new("./alice/state.yaml")),
                "snapshot:alice/state.yaml",
            ),
            (
                Origin::Snapshot(Path::new("../other/state.yaml")),
                "snapshot:state.yaml",
            ),
            (Origin::Snapshot(Path::new("/home/teacher/class")), "snapshot:class"),
            (
                Origin::Kubeconfig(Path::new("/home/teacher/.kube/alice.yaml")),
                "cluster:alice.yaml",
            ),
            (Origin::OwnCluster("kubedrill-kindnet"), "cluster:kubedrill-kindnet"),
            (
                Origin::cluster(
                    Path::new("/root/.local/share/kubedrill/kubeconfig"),
                    Some("kubedrill-calico"),
                ),
                "cluster:kubedrill-calico",
            ),
            (
                Origin::cluster(Path::new("/srv/bob.kubeconfig"), None),
                "cluster:bob.kubeconfig",
            ),
        ];
        for (origin, expected) in cases {
            assert_eq!(origin.source_in(cwd), expected, "{origin:?}");
        }
        assert_eq!(
            Origin::Snapshot(Path::new("/home/teacher/class/state.yaml")).source_in(None),
            "snapshot:state.yaml",
            "an unknown working directory shows the file name"
        );
    }
}
