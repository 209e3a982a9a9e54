//! From an observation to a sealed grade report: the checks graded, the score, the scenario's
//! explanation, and the integrity block (shared by `grade` and batch grading).
//!
//! Pure apart from hashing the scenario's files; never observes a cluster or prints.

use graders::score::{ScoreCard, grade};
use graders::state::Observation;

use crate::error::Error;
use crate::report::{GradeReport, ScenarioInfo};
use crate::scenario::{Rendered, Scenario};

/// The scenario folder's files hash, for a report's integrity block.
pub fn scenario_sha256(scenario: &Scenario) -> Result<String, Error> {
    scenario.dir.sha256().map_err(|e| Error::Io {
        path: scenario.dir.display("").into(),
        message: e.to_string(),
    })
}

/// What was graded, and how.
pub struct Attempt<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// Rendered with the attempt's seed (and prefix).
    pub rendered: Rendered,
    /// Where the state came from (`cluster:...`, `snapshot:...`), as reports show it.
    pub source: String,
    /// The same with the path as the grader gave it (`snapshot:<path>`, `cluster:<kubeconfig>`),
    /// for the commands the report suggests: they run as printed from where grading ran.
    pub reached_as: String,
    /// Pass mark in percent.
    pub pass_mark: f64,
    /// Key to sign with.
    pub key: Option<&'a [u8]>,
}

/// Grade `observation` and seal the report.
pub fn report(attempt: Attempt<'_>, observation: &Observation) -> Result<GradeReport, Error> {
    let Attempt {
        scenario,
        rendered,
        source,
        reached_as,
        pass_mark,
        key,
    } = attempt;
    let card = ScoreCard::new(grade(&rendered.checks, observation), 0, pass_mark);
    let summary = scenario.summary();
    let report = GradeReport {
        schema_version: crate::report::SCHEMA_VERSION,
        kubedrill_version: env!("CARGO_PKG_VERSION"),
        scenario: ScenarioInfo {
            id: summary.id,
            title: summary.title,
            domain: summary.domain,
            seed: rendered.seed,
        },
        source,
        score: card,
        explanation: rendered.explanation,
        integrity: None,
    };
    Ok(report
        .with_suggested_commands(&reached_as)
        .sealed(scenario_sha256(scenario)?, key))
}
