//! Grade reports: one data structure ([`GradeReport`], with a versioned JSON schema) and its
//! renderings as text, JSON, JUnit XML, Markdown and HTML.
//!
//! Builds strings; the printer writes them. Must not grade or touch a cluster.

pub mod integrity;
mod junit;
mod suggest;
mod template;
mod text;

pub use text::fmt_percent;

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
    /// Where the observed state came from (`snapshot:<path>`).
    pub source: String,
    /// The score and every check's verdict.
    pub score: ScoreCard,
    /// The scenario's explanation of the root cause.
    pub explanation: String,
    /// Tamper evidence (JSON reports); see [`integrity`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrity: Option<integrity::Integrity>,
}

/// Several reports in one JUnit document (one test suite each).
pub fn junit_all(reports: &[&GradeReport]) -> Result<String, Error> {
    junit::render_all(reports)
}

/// A batch in one JUnit document: a suite per student (`Err`: not graded, with why).
pub fn junit_batch(entries: &[(Option<&str>, Result<&GradeReport, &str>)]) -> Result<String, Error> {
    junit::render_named(entries)
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
    /// Turn the `explain` flows the graders suggest into commands for this report's source
    /// (before sealing: the commands are part of the report).
    #[must_use]
    pub fn with_suggested_commands(mut self) -> Self {
        suggest::suggest_commands(&mut self.score, &self.source);
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
            ReportFormat::Junit => junit::render_all(&[self]),
            ReportFormat::Markdown => template::render(self, template::Kind::Markdown),
            ReportFormat::Html => template::render(self, template::Kind::Html),
            ReportFormat::Csv => Ok(crate::batch::csv(&[crate::batch::Row::Graded {
                student: String::new(),
                report: Box::new(self.clone()),
            }])),
        }
    }
}
