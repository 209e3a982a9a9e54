//! Scoring: verdicts -> points with partial credit, a percentage against a pass mark, and the
//! weighted exam aggregate with a per-domain breakdown.
//!
//! Objectives pay, guards gate. An *objective* is what the task asks to make work and earns its
//! points when it passes. A *guard* is what must stay true (blocked, unchanged, absent): it earns
//! nothing, because it is usually true before the learner does anything; when it fails, the
//! objectives it protects earn nothing either. Doing nothing therefore scores nothing, and a
//! shortcut that breaks a guard loses the credit of what it made work.
//!
//! Pure arithmetic over verdicts; no I/O, no printing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::state::Observation;
use crate::verdict::{Evidence, Reason, Verdict};
use crate::{Check, CheckSpec};

/// The CKA pass mark.
pub const DEFAULT_PASS_MARK: f64 = 66.0;

/// A guard's scope: the objectives whose credit it keeps or cancels.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Guard {
    /// Objective ids; empty means every objective of the scenario.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub protects: Vec<String>,
}

/// What a check is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Earns its points when it passes.
    Objective,
    /// Earns nothing; gates the objectives it protects.
    Guard,
}

/// Why an objective that passed earned nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum Gate {
    /// A guard protecting it failed.
    Cancelled {
        /// The first failing guard (in check order) that protects it.
        guard: String,
    },
    /// A guard protecting it could not be judged (environment error or not evaluated): its
    /// credit is withheld and its points are not scored, like an unevaluated check.
    Held {
        /// The first unjudged guard that protects it.
        guard: String,
    },
}

/// One check's outcome with its points.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckResult {
    /// Check id.
    pub id: String,
    /// Grader id.
    pub grader: &'static str,
    /// Objective or guard.
    pub role: Role,
    /// For a guard: the objectives it protects (empty: all).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub protects: Vec<String>,
    /// What it verifies.
    pub description: String,
    /// What to look at when it fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Points it is worth (0 for a guard).
    pub points: u32,
    /// Points earned (all or nothing per objective).
    pub earned: u32,
    /// For a failing guard: the points of passing objectives it cancelled.
    pub cost: u32,
    /// For a failing guard: the passing objectives it cancelled (and was charged for).
    pub cancelled: Vec<String>,
    /// For an objective that passed but earned nothing: the guard that cancelled or held it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gated: Option<Gate>,
    /// The verdict comes from the reachability analyzer, not from a probe.
    pub predicted: bool,
    /// The verdict.
    pub verdict: Verdict,
}

impl CheckResult {
    /// For a guard: whether it gates objective `id`.
    #[must_use]
    pub fn protects(&self, id: &str) -> bool {
        self.role == Role::Guard && (self.protects.is_empty() || self.protects.iter().any(|p| p == id))
    }

    /// Whether this result's points are scored: an objective whose verdict was judged and that
    /// no unjudged guard holds.
    #[must_use]
    pub fn is_scored(&self) -> bool {
        self.role == Role::Objective && self.verdict.is_scored() && !matches!(self.gated, Some(Gate::Held { .. }))
    }
}

/// Evaluate every check, then let the guards gate the objectives.
#[must_use]
pub fn grade(checks: &[Check], observation: &Observation) -> Vec<CheckResult> {
    let mut results: Vec<CheckResult> = checks.iter().map(|check| evaluate(check, observation)).collect();
    apply_guards(&mut results);
    results
}

/// Whether `check` asserts on an `HTTPRoute` whose status kubedrill predicted.
fn reads_predicted_route(check: &Check, observation: &Observation) -> bool {
    let CheckSpec::Assert(params) = &check.spec else {
        return false;
    };
    params.target.kind == crate::target::ObjectKind::HttpRoute
        && observation.state.http_routes.iter().any(|route| {
            route.metadata.name.as_deref() == Some(params.target.name.as_str())
                && route.metadata.namespace == params.target.namespace
                && crate::gateway::is_predicted(route)
        })
}

fn evaluate(check: &Check, observation: &Observation) -> CheckResult {
    let predicted = (check.spec.is_probe() && !observation.probes.contains_key(&check.id))
        || matches!(check.spec, CheckSpec::Reachability(_))
        || reads_predicted_route(check, observation);
    let verdict = match check.resolved_spec(&observation.state) {
        Ok(spec) => spec.evaluate(&check.id, observation),
        Err(unresolved) => Verdict::fail(
            Reason::BindingUnresolved,
            format!("A value this check needs could not be read: {unresolved}."),
            Evidence::default(),
        ),
    };
    let role = if check.guard.is_some() {
        Role::Guard
    } else {
        Role::Objective
    };
    CheckResult {
        id: check.id.clone(),
        grader: check.spec.grader_id(),
        role,
        protects: check.guard.as_ref().map(|g| g.protects.clone()).unwrap_or_default(),
        description: check.description.clone(),
        hint: check.hint.clone(),
        points: if role == Role::Guard { 0 } else { check.points },
        earned: if role == Role::Objective && verdict.is_pass() {
            check.points
        } else {
            0
        },
        cost: 0,
        cancelled: Vec::new(),
        gated: None,
        predicted: predicted && verdict.is_scored(),
        verdict,
    }
}

/// Cancel (failed guard) or hold (unjudged guard) the objectives each guard protects. A failure
/// outranks a hold; the first such guard in check order is named, and a cancelled objective's
/// points are charged to that guard's `cost`.
pub fn apply_guards(results: &mut [CheckResult]) {
    let guards: Vec<CheckResult> = results
        .iter()
        .filter(|r| r.role == Role::Guard && !r.verdict.is_pass())
        .cloned()
        .collect();
    let mut charged: BTreeMap<String, (u32, Vec<String>)> = BTreeMap::new();
    for result in results.iter_mut().filter(|r| r.role == Role::Objective) {
        let gating = |failed: bool| {
            guards
                .iter()
                .find(|g| g.verdict.is_failure() == failed && g.protects(&result.id))
                .map(|g| g.id.clone())
        };
        if let Some(guard) = gating(true) {
            if result.earned > 0 {
                let (cost, cancelled) = charged.entry(guard.clone()).or_default();
                *cost += result.earned;
                cancelled.push(result.id.clone());
            }
            result.earned = 0;
            result.gated = Some(Gate::Cancelled { guard });
        } else if let Some(guard) = gating(false) {
            result.earned = 0;
            result.gated = Some(Gate::Held { guard });
        }
    }
    for result in results.iter_mut() {
        if let Some((cost, cancelled)) = charged.remove(&result.id) {
            result.cost = cost;
            result.cancelled = cancelled;
        }
    }
}

/// A scenario's score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScoreCard {
    /// Every check.
    pub checks: Vec<CheckResult>,
    /// Points earned, after hint penalties.
    pub earned: u32,
    /// Points of the objectives that were judged (errors, unevaluated checks and objectives held
    /// by an unjudged guard excluded).
    pub possible: u32,
    /// Points of every objective.
    pub total: u32,
    /// Points deducted for hints.
    pub penalty: u32,
    /// `earned / possible` in percent (0 when nothing was evaluated).
    pub percent: f64,
    /// The pass mark in percent.
    pub pass_mark: f64,
    /// `percent >= pass_mark` and at least one objective judged.
    pub passed: bool,
    /// Checks whose verdict is an environment error.
    pub errors: usize,
    /// Checks that could not be evaluated from what was observed.
    pub not_evaluated: usize,
    /// Checks whose probe was altered by the cluster (counted in `errors` too): the attempt
    /// never passes.
    pub tampered: usize,
}

impl ScoreCard {
    /// Score results, deducting `penalty` points (never below zero).
    #[must_use]
    pub fn new(checks: Vec<CheckResult>, penalty: u32, pass_mark: f64) -> Self {
        let total = checks.iter().map(|c| c.points).sum();
        let possible: u32 = checks.iter().filter(|c| c.is_scored()).map(|c| c.points).sum();
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
        let tampered = checks.iter().filter(|c| c.verdict.is_tampered()).count();
        Self {
            checks,
            earned,
            possible,
            total,
            penalty,
            percent,
            pass_mark,
            passed: possible > 0 && percent >= pass_mark && tampered == 0,
            errors,
            not_evaluated,
            tampered,
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
    use super::{CheckResult, DEFAULT_PASS_MARK, ExamScore, ExamTask, Gate, Role, ScoreCard, apply_guards};
    use crate::verdict::{Evidence, Reason, Verdict};

    fn result(points: u32, verdict: Verdict) -> CheckResult {
        let earned = if verdict.is_pass() { points } else { 0 };
        CheckResult {
            id: "c".into(),
            grader: "assert",
            role: Role::Objective,
            protects: Vec::new(),
            description: String::new(),
            hint: None,
            points,
            earned,
            cost: 0,
            cancelled: Vec::new(),
            gated: None,
            predicted: false,
            verdict,
        }
    }

    fn objective(id: &str, points: u32, verdict: Verdict) -> CheckResult {
        CheckResult {
            id: id.into(),
            ..result(points, verdict)
        }
    }

    fn guard(id: &str, protects: &[&str], verdict: Verdict) -> CheckResult {
        CheckResult {
            id: id.into(),
            role: Role::Guard,
            protects: protects.iter().map(|p| (*p).to_owned()).collect(),
            earned: 0,
            ..result(0, verdict)
        }
    }

    fn gated(results: Vec<CheckResult>) -> ScoreCard {
        let mut results = results;
        apply_guards(&mut results);
        ScoreCard::new(results, 0, DEFAULT_PASS_MARK)
    }

    fn error() -> Verdict {
        Verdict::Error {
            reason: Reason::ProbeError,
            message: "x".into(),
        }
    }

    #[test]
    fn guards_earn_nothing_so_the_untouched_broken_state_scores_nothing() {
        let card = gated(vec![
            objective("works", 4, fail()),
            guard("still-blocked", &[], pass()),
            guard("unchanged", &[], pass()),
        ]);
        assert_eq!((card.earned, card.possible, card.total), (0, 4, 4));
        assert!((card.percent - 0.0).abs() < f64::EPSILON);
    }

    #[test]
    fn a_failing_guard_cancels_every_objective_it_protects_and_is_charged_for_them() {
        let card = gated(vec![
            objective("a", 3, pass()),
            objective("b", 2, pass()),
            objective("c", 5, pass()),
            guard("blocked", &["a", "b"], fail()),
            guard("kept", &["a"], fail()),
        ]);
        assert_eq!((card.earned, card.possible), (5, 10), "only c is unprotected");
        let by_id = |id: &str| card.checks.iter().find(|c| c.id == id).expect("check");
        assert_eq!(
            by_id("a").gated,
            Some(Gate::Cancelled {
                guard: "blocked".into()
            })
        );
        assert_eq!(by_id("blocked").cost, 5, "the first failing guard is charged");
        assert_eq!(by_id("blocked").cancelled, ["a", "b"]);
        assert_eq!(by_id("kept").cost, 0);
        assert_eq!(by_id("c").gated, None);
        let all = gated(vec![objective("a", 3, pass()), guard("g", &[], fail())]);
        assert_eq!(all.earned, 0, "an empty scope protects every objective");
    }

    #[test]
    fn an_unjudged_guard_holds_its_objectives_out_of_the_score() {
        let card = gated(vec![
            objective("a", 3, pass()),
            objective("b", 2, pass()),
            guard("blocked", &["a"], error()),
        ]);
        assert_eq!((card.earned, card.possible), (2, 2), "a is neither earned nor scored");
        assert_eq!(
            card.checks[0].gated,
            Some(Gate::Held {
                guard: "blocked".into()
            })
        );
        let failed_and_unjudged = gated(vec![
            objective("a", 3, pass()),
            guard("unjudged", &[], error()),
            guard("failed", &[], fail()),
        ]);
        assert_eq!(
            failed_and_unjudged.checks[0].gated,
            Some(Gate::Cancelled { guard: "failed".into() }),
            "a failure outranks a hold: the objective stays scored, at zero"
        );
        assert_eq!((failed_and_unjudged.earned, failed_and_unjudged.possible), (0, 3));
        let only_held = gated(vec![objective("a", 3, pass()), guard("g", &[], error())]);
        assert!(!only_held.passed, "nothing judged never passes");
    }

    #[test]
    fn a_tampered_probe_is_scored_as_a_failure_and_the_attempt_never_passes() {
        let tampered = || Verdict::Error {
            reason: Reason::ProbeTampered,
            message: "probe pod altered".into(),
        };
        let card = gated(vec![objective("a", 9, pass()), objective("b", 1, tampered())]);
        assert_eq!((card.earned, card.possible, card.tampered, card.errors), (9, 10, 1, 1));
        assert!(!card.passed, "90% with a tampered probe is not a pass");
        let guarded = gated(vec![objective("a", 9, pass()), guard("blocked", &[], tampered())]);
        assert_eq!(
            guarded.checks[0].gated,
            Some(Gate::Cancelled {
                guard: "blocked".into()
            }),
            "a tampered guard cancels, it does not merely hold"
        );
        assert_eq!((guarded.earned, guarded.possible), (0, 9));
    }

    #[test]
    fn a_passing_guard_leaves_objectives_alone_and_failing_objectives_cost_a_guard_nothing() {
        let card = gated(vec![
            objective("a", 3, pass()),
            objective("b", 2, fail()),
            guard("g", &[], pass()),
        ]);
        assert_eq!((card.earned, card.possible), (3, 5));
        let failing = gated(vec![objective("b", 2, fail()), guard("g", &[], fail())]);
        assert_eq!(failing.checks[1].cost, 0);
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
