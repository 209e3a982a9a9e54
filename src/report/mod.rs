//! Grade reports: one data structure ([`GradeReport`], with a versioned JSON schema) and its
//! renderings as text, JSON, JUnit XML, Markdown and HTML.
//!
//! Builds strings; the printer writes them. Must not grade or touch a cluster.

mod junit;
mod template;
mod text;

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
}

/// Several reports in one JUnit document (one test suite each).
pub fn junit_all(reports: &[&GradeReport]) -> Result<String, Error> {
    junit::render_all(reports)
}

impl GradeReport {
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
        }
    }
}
