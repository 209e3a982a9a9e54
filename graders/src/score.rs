//! Scoring: verdicts -> points with partial credit, a percentage against a pass mark, and the
//! weighted exam aggregate with a per-domain breakdown.
//!
//! Pure arithmetic over verdicts; no I/O, no printing.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::state::Observation;
use crate::verdict::{Evidence, Reason, Verdict};
use crate::{Check, CheckSpec};

/// The CKA pass mark.
pub const DEFAULT_PASS_MARK: f64 = 66.0;

/// One check's outcome with its points.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckResult {
    /// Check id.
    pub id: String,
    /// Grader id.
    pub grader: &'static str,
    /// What it verifies.
    pub description: String,
    /// What to look at when it fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Points it is worth.
    pub points: u32,
    /// Points earned (all or nothing per check).
    pub earned: u32,
    /// The verdict comes from the reachability analyzer, not from a probe.
    pub predicted: bool,
    /// The verdict.
    pub verdict: Verdict,
}

/// Evaluate every check.
#[must_use]
pub fn grade(checks: &[Check], observation: &Observation) -> Vec<CheckResult> {
    checks
        .iter()
        .map(|check| {
            let predicted = (check.spec.is_probe() && !observation.probes.contains_key(&check.id))
                || matches!(check.spec, CheckSpec::Reachability(_));
            let verdict = match check.resolved_spec(&observation.state) {
                Ok(spec) => spec.evaluate(&check.id, observation),
                Err(unresolved) => Verdict::fail(
                    Reason::BindingUnresolved,
                    format!("A value this check needs could not be read: {unresolved}."),
                    Evidence::default(),
                ),
            };
            CheckResult {
                id: check.id.clone(),
                grader: check.spec.grader_id(),
                description: check.description.clone(),
                hint: check.hint.clone(),
                points: check.points,
                earned: if verdict.is_pass() { check.points } else { 0 },
                predicted: predicted && verdict.is_scored(),
                verdict,
            }
        })
        .collect()
}

/// A scenario's score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScoreCard {
    /// Every check.
    pub checks: Vec<CheckResult>,
    /// Points earned, after hint penalties.
    pub earned: u32,
    /// Points of the checks that were evaluated (errors and unevaluated checks excluded).
    pub possible: u32,
    /// Points of every check.
    pub total: u32,
    /// Points deducted for hints.
    pub penalty: u32,
    /// `earned / possible` in percent (0 when nothing was evaluated).
    pub percent: f64,
    /// The pass mark in percent.
    pub pass_mark: f64,
    /// `percent >= pass_mark` and at least one check evaluated.
    pub passed: bool,
    /// Checks whose verdict is an environment error.
    pub errors: usize,
    /// Checks that could not be evaluated from what was observed.
    pub not_evaluated: usize,
}

impl ScoreCard {
    /// Score results, deducting `penalty` points (never below zero).
    #[must_use]
    pub fn new(checks: Vec<CheckResult>, penalty: u32, pass_mark: f64) -> Self {
        let total = checks.iter().map(|c| c.points).sum();
        let possible: u32 = checks.iter().filter(|c| c.verdict.is_scored()).map(|c| c.points).sum();
        let earned = checks.iter().map(|c| c.earned).sum::<u32>().saturating_sub(penalty);
        let percent = if possible == 0 {
            0.0
        } else {
            f64::from(earned) * 100.0 / f64::from(possible)
        };
        let errors = checks
            .iter()
            .filter(|c| matches!(c.verdict, Verdict::Error { .. }))
            .count();
        let not_evaluated = checks
            .iter()
            .filter(|c| matches!(c.verdict, Verdict::NotEvaluated { .. }))
            .count();
        Self {
            checks,
            earned,
            possible,
            total,
            penalty,
            percent,
            pass_mark,
            passed: possible > 0 && percent >= pass_mark,
            errors,
            not_evaluated,
        }
    }

    /// Whether every check was evaluated.
    #[must_use]
    pub fn is_complete(&self) -> bool {
        self.errors == 0 && self.not_evaluated == 0
    }
}

/// One task of an exam.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExamTask {
    /// Scenario id.
    pub scenario: String,
    /// CKA domain.
    pub domain: String,
    /// Weight.
    pub weight: u32,
    /// The task's percentage.
    pub percent: f64,
}

/// A domain's share of an exam.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DomainScore {
    /// Sum of the domain's task weights.
    pub weight: u32,
    /// Weighted percentage within the domain.
    pub percent: f64,
}

/// The weighted exam result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExamScore {
    /// The tasks.
    pub tasks: Vec<ExamTask>,
    /// Weighted percentage.
    pub percent: f64,
    /// Pass mark.
    pub pass_mark: f64,
    /// Whether it passed.
    pub passed: bool,
    /// Per-domain breakdown.
    pub domains: BTreeMap<String, DomainScore>,
}

fn weighted(tasks: &[&ExamTask]) -> (u32, f64) {
    let weight: u32 = tasks.iter().map(|t| t.weight).sum();
    let sum: f64 = tasks.iter().map(|t| f64::from(t.weight) * t.percent).sum();
    (weight, if weight == 0 { 0.0 } else { sum / f64::from(weight) })
}

impl ExamScore {
    /// Aggregate task percentages by weight.
    #[must_use]
    pub fn new(tasks: Vec<ExamTask>, pass_mark: f64) -> Self {
        let all: Vec<&ExamTask> = tasks.iter().collect();
        let (weight, percent) = weighted(&all);
        let mut by_domain: BTreeMap<String, Vec<&ExamTask>> = BTreeMap::new();
        for task in &tasks {
            by_domain.entry(task.domain.clone()).or_default().push(task);
        }
        let domains = by_domain
            .into_iter()
            .map(|(domain, list)| {
                let (weight, percent) = weighted(&list);
                (domain, DomainScore { weight, percent })
            })
            .collect();
        Self {
            passed: weight > 0 && percent >= pass_mark,
            tasks,
            percent,
            pass_mark,
            domains,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{CheckResult, DEFAULT_PASS_MARK, ExamScore, ExamTask, ScoreCard};
    use crate::verdict::{Evidence, Reason, Verdict};

    fn result(points: u32, verdict: Verdict) -> CheckResult {
        let earned = if verdict.is_pass() { points } else { 0 };
        CheckResult {
            id: "c".into(),
            grader: "assert",
            description: String::new(),
            hint: None,
            points,
            earned,
            predicted: false,
            verdict,
        }
    }

    fn pass() -> Verdict {
        Verdict::Pass {
            evidence: Evidence::default(),
        }
    }

    fn fail() -> Verdict {
        Verdict::fail(Reason::FieldMismatch, "x", Evidence::default())
    }

    #[test]
    fn partial_credit_and_pass_mark() {
        let card = ScoreCard::new(
            vec![result(3, pass()), result(3, pass()), result(3, fail())],
            0,
            DEFAULT_PASS_MARK,
        );
        assert_eq!((card.earned, card.possible, card.total), (6, 9, 9));
        assert!((card.percent - 66.666).abs() < 0.01);
        assert!(card.passed, "66.7% >= 66%");
        let below = ScoreCard::new(vec![result(2, pass()), result(1, fail())], 0, 70.0);
        assert!(!below.passed);
    }

    #[test]
    fn penalties_deduct_but_never_below_zero() {
        let card = ScoreCard::new(vec![result(4, pass()), result(4, fail())], 2, DEFAULT_PASS_MARK);
        assert_eq!(card.earned, 2);
        assert_eq!(ScoreCard::new(vec![result(1, pass())], 5, DEFAULT_PASS_MARK).earned, 0);
    }

    #[test]
    fn environment_errors_and_unevaluated_checks_are_not_scored_against_the_learner() {
        let card = ScoreCard::new(
            vec![
                result(2, pass()),
                result(
                    5,
                    Verdict::Error {
                        reason: Reason::ProbeError,
                        message: "x".into(),
                    },
                ),
                result(3, Verdict::NotEvaluated { message: "y".into() }),
            ],
            0,
            DEFAULT_PASS_MARK,
        );
        assert_eq!((card.earned, card.possible, card.total), (2, 2, 10));
        assert!((card.percent - 100.0).abs() < f64::EPSILON);
        assert!(!card.is_complete());
        assert_eq!((card.errors, card.not_evaluated), (1, 1));
        let nothing = ScoreCard::new(
            vec![result(3, Verdict::NotEvaluated { message: "y".into() })],
            0,
            DEFAULT_PASS_MARK,
        );
        assert!(!nothing.passed, "nothing evaluated never passes");
    }

    #[test]
    fn exam_weights_tasks_and_breaks_down_by_domain() {
        let task = |scenario: &str, domain: &str, weight, percent| ExamTask {
            scenario: scenario.into(),
            domain: domain.into(),
            weight,
            percent,
        };
        let exam = ExamScore::new(
            vec![
                task("a", "services-networking", 2, 100.0),
                task("b", "services-networking", 1, 40.0),
                task("c", "troubleshooting", 1, 0.0),
            ],
            DEFAULT_PASS_MARK,
        );
        assert!((exam.percent - 60.0).abs() < 1e-9, "{}", exam.percent);
        assert!(!exam.passed);
        assert!((exam.domains["services-networking"].percent - 80.0).abs() < 1e-9);
        assert_eq!(exam.domains["troubleshooting"].weight, 1);
    }
}
