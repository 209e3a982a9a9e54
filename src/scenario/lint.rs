//! `scenario lint`: everything that can be wrong with a scenario folder, found without a
//! cluster: schema, seed-independent rules, rendering with several seeds, manifests, grader
//! parameters, determinism, and duplicate ids across folders.
//!
//! Returns data; the printer reports it. Must not stop at the first problem.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use graders::score::{DEFAULT_PASS_MARK, ScoreCard, grade};
use graders::state::Observation;
use graders::verdict::Verdict;
use graders::{Check, CheckSpec};

use super::load::{SCENARIO_FILE, Scenario};
use super::mutate::{MutationReport, mutation_test};
use super::problem::Problem;
use super::render::{Rendered, Shortcut};
use super::simulate::Simulation;
use super::source::ScenarioDir;
use super::step::Step;
use crate::report::fmt_percent;

/// Seeds every scenario is rendered with.
pub const LINT_SEEDS: [u64; 5] = [1, 2, 3, 4, 5];

/// The lint result of one folder.
#[derive(Clone, Debug, Serialize)]
pub struct FolderReport {
    /// The folder's `scenario.yaml`, as shown to the user.
    pub file: String,
    /// The scenario id, when the file parsed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Everything wrong, in file order of discovery.
    pub problems: Vec<Problem>,
    /// Mutation testing with the first lint seed, when the steps can be simulated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mutation: Option<MutationReport>,
}

impl FolderReport {
    /// Whether the folder is valid.
    #[must_use]
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Lint one folder.
#[must_use]
pub fn lint_folder(dir: ScenarioDir) -> FolderReport {
    let file = dir.display(SCENARIO_FILE);
    let scenario = match Scenario::load(dir) {
        Ok(s) => s,
        Err(problem) => {
            return FolderReport {
                file,
                id: None,
                problems: vec![*problem],
                mutation: None,
            };
        }
    };
    let mut problems = scenario.static_problems();
    // Later seeds repeat earlier problems with other names in them: one report per field and
    // kind of problem (the message up to its first colon) is enough.
    let key = |p: &Problem| {
        format!(
            "{}|{:?}|{}",
            p.file,
            p.field,
            p.message.split(':').next().unwrap_or_default()
        )
    };
    let mut seen: BTreeSet<String> = problems.iter().map(key).collect();
    for seed in LINT_SEEDS {
        let found = match scenario.render(seed) {
            Ok(first) => match scenario.render(seed) {
                Ok(second) if second == first => {
                    let mut found = traffic_proof(&file, &first);
                    found.extend(unchanged_paths(&file, &first));
                    found
                }
                _ => vec![
                    Problem::new(&file, format!("rendering seed {seed} twice gave different results"))
                        .hint("params and templates must depend only on the seed"),
                ],
            },
            Err(found) => found,
        };
        for mut problem in found {
            if seen.insert(key(&problem)) {
                if seed != LINT_SEEDS[0] {
                    problem.message = format!("{} (with seed {seed})", problem.message);
                }
                problems.push(problem);
            }
        }
    }
    let mut mutation = scenario
        .render(LINT_SEEDS[0])
        .ok()
        .and_then(|rendered| mutation_test(&rendered, LINT_SEEDS[0]));
    if let Some(report) = &mut mutation {
        problems.extend(mutation_problems(&scenario, &file, report));
        report.accepted = report
            .survivors()
            .filter(|id| scenario.file.accepted.iter().any(|a| a.value.mutant == *id))
            .count();
    }
    FolderReport {
        file,
        id: Some(scenario.id().to_owned()),
        problems,
        mutation,
    }
}

/// A surviving mutant is an error unless accepted with a reason; an accepted mutant that no
/// longer survives is stale.
fn mutation_problems(scenario: &Scenario, file: &str, report: &MutationReport) -> Vec<Problem> {
    let accepted = &scenario.file.accepted;
    let mut problems: Vec<Problem> = report
        .survivors()
        .filter(|id| !accepted.iter().any(|a| a.value.mutant == *id))
        .map(|id| {
            Problem::new(file, format!("checks do not catch: {id} (every check still passes)"))
                .field("checks")
                .hint("add or tighten a check (a `reachability` guard with `onlyFrom` catches widened policies), or list it under `accepted:` with a reason")
        })
        .collect();
    for (i, entry) in accepted.iter().enumerate() {
        let field = format!("accepted[{i}]");
        if entry.value.reason.trim().is_empty() {
            problems.push(
                scenario
                    .problem("an accepted mutant needs a reason", &entry.referenced)
                    .field(format!("{field}.reason")),
            );
        }
        if !report.survivors().any(|id| id == entry.value.mutant) {
            problems.push(
                scenario
                    .problem(
                        format!("accepted mutant `{}` does not survive (with seed {})", entry.value.mutant, report.seed),
                        &entry.referenced,
                    )
                    .field(format!("{field}.mutant"))
                    .hint("the checks catch it now, or its id changed: remove the entry or copy the id from `scenario lint -o json`"),
            );
        }
    }
    problems
}

/// Lint many folders, adding a problem for every id used by more than one of them.
#[must_use]
pub fn lint_folders(dirs: Vec<ScenarioDir>) -> Vec<FolderReport> {
    let mut reports: Vec<FolderReport> = dirs.into_iter().map(lint_folder).collect();
    let mut by_id: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (index, report) in reports.iter().enumerate() {
        if let Some(id) = &report.id {
            by_id.entry(id.clone()).or_default().push(index);
        }
    }
    for indices in by_id.values().filter(|i| i.len() > 1) {
        let files: Vec<String> = indices.iter().map(|i| reports[*i].file.clone()).collect();
        for index in indices {
            let others: Vec<&str> = files
                .iter()
                .filter(|f| **f != reports[*index].file)
                .map(String::as_str)
                .collect();
            let id = reports[*index].id.clone().unwrap_or_default();
            let problem = Problem::new(
                &reports[*index].file,
                format!("duplicate scenario id `{id}`, also in {}", others.join(", ")),
            )
            .field("id")
            .hint("scenario ids must be unique; rename one of them");
            reports[*index].problems.push(problem);
        }
    }
    reports
}

/// Checks whose outcome is traffic, which the reachability analyzer can predict.
/// An `unchanged` check compares with the objects the setup applies: a target the setup does
/// not apply has no baseline, and a path that does not exist compares nothing with nothing and
/// always passes. Both are grading holes.
fn unchanged_paths(file: &str, rendered: &Rendered) -> Vec<Problem> {
    let mut problems = Vec::new();
    for check in &rendered.checks {
        let CheckSpec::Unchanged(params) = &check.spec else {
            continue;
        };
        let target = &params.target;
        let applied = rendered
            .setup_objects()
            .find(|m| m.kind == target.kind.to_string() && m.name == target.name && m.namespace == target.namespace);
        let Some(applied) = applied else {
            problems.push(
                Problem::new(
                    file,
                    format!(
                        "{} {} is not applied by the setup, so `unchanged` has nothing to compare it with",
                        target.kind, target.name
                    ),
                )
                .field(format!("checks.{}.with.target", check.id))
                .hint("compare objects the setup applies; for system objects use `assert` on the fields that matter"),
            );
            continue;
        };
        for path in &params.paths {
            if graders::state::value_at(&applied.object, path).is_none() {
                problems.push(
                    Problem::new(file, format!("`{path}` is not in {} {} as the setup applies it", target.kind, target.name))
                        .field(format!("checks.{}.with.paths", check.id))
                        .hint("an `unchanged` path that does not exist always passes; use dotted names, with numbers for list items (`spec.template.spec.containers.0.image`)"),
                );
            }
        }
    }
    problems
}

fn is_traffic(check: &Check) -> bool {
    matches!(
        check.spec,
        CheckSpec::Connectivity(_) | CheckSpec::Dns(_) | CheckSpec::Http(_) | CheckSpec::Reachability(_)
    )
}

/// The simulated cluster after setup and then `steps`, as an observation with the setup's
/// manifests as baseline, or `None` when the simulation cannot model the steps.
#[must_use]
pub fn simulated(rendered: &Rendered, steps: &[Step]) -> Option<(Simulation, Observation)> {
    let base = if crate::cluster::addons::needs_ingress(rendered) {
        Simulation::kind().with_ingress_controller()
    } else {
        Simulation::kind()
    };
    let simulation = base.replay(rendered, &rendered.setup)?.replay(rendered, steps)?;
    let observation = observe(&simulation, rendered)?;
    Some((simulation, observation))
}

/// What the analyzer and graders see of a simulation.
pub(crate) fn observe(simulation: &Simulation, rendered: &Rendered) -> Option<Observation> {
    Some(Observation {
        state: simulation.state()?,
        baseline: rendered.setup_baseline().ok(),
        ..Observation::default()
    })
}

/// Whether a check can be judged on a simulated state: the simulation has no Nodes, no
/// EndpointSlices and no workload status, and pod readiness only where the model knows it.
pub(crate) fn judged(check: &Check, observation: &Observation) -> bool {
    if check.resolved_spec(&observation.state).is_err() {
        return false; // a binding reads what the simulation does not model (a Node's address)
    }
    match &check.spec {
        CheckSpec::Endpoints(_) | CheckSpec::Rollout(_) => false,
        CheckSpec::PodsReady(p) => !observation.state.pods.iter().any(|pod| {
            pod.metadata.namespace.as_deref() == Some(p.namespace.as_str())
                && pod
                    .metadata
                    .annotations
                    .as_ref()
                    .is_some_and(|a| a.contains_key(super::simulate::READINESS_UNKNOWN))
        }),
        _ => true,
    }
}

/// The score of the judged checks on a simulated state (guards gate as when grading).
#[must_use]
pub fn simulated_card(rendered: &Rendered, observation: &Observation) -> ScoreCard {
    let checks: Vec<Check> = rendered
        .checks
        .iter()
        .filter(|c| judged(c, observation))
        .cloned()
        .collect();
    ScoreCard::new(grade(&checks, observation), 0, DEFAULT_PASS_MARK)
}

/// Predicted verdicts of the traffic checks on the state `steps` leave after setup, or `None`
/// when the simulation cannot model the steps.
#[must_use]
pub fn predicted(rendered: &Rendered, steps: &[Step]) -> Option<Vec<(String, Verdict)>> {
    let (_, observation) = simulated(rendered, steps)?;
    let verdicts = rendered
        .checks
        .iter()
        .filter(|c| is_traffic(c))
        .filter_map(|c| {
            let spec = c.resolved_spec(&observation.state).ok()?;
            Some((c.id.clone(), spec.evaluate(&c.id, &observation)))
        })
        .collect();
    Some(verdicts)
}

/// The most an untouched broken state may score, in percent.
pub const BROKEN_AT_MOST: f64 = 10.0;

/// Prove without a cluster, where the steps can be simulated: the reference solution and every
/// alternative fix fail no check and score 100%, the broken state scores at most
/// [`BROKEN_AT_MOST`], and each shortcut fails the checks it names and scores below the pass
/// mark. A rule is asserted only when every check it depends on can be judged on the simulation
/// (the fixture tests cover the rest).
fn traffic_proof(file: &str, rendered: &Rendered) -> Vec<Problem> {
    let mut problems = full_marks(file, rendered, &rendered.solution, None);
    for (i, alternative) in rendered.alternatives.iter().enumerate() {
        problems.extend(full_marks(
            file,
            rendered,
            &alternative.steps,
            Some((i, &alternative.id)),
        ));
    }
    problems.extend(broken_scores_nothing(file, rendered));
    for (i, shortcut) in rendered.shortcuts.iter().enumerate() {
        problems.extend(shortcut_is_caught(file, rendered, i, shortcut));
    }
    problems
}

/// Every objective modelled by the simulation and predicted (not "cannot tell") on it.
fn objectives_judged(rendered: &Rendered, observation: &Observation, card: &ScoreCard) -> bool {
    rendered
        .checks
        .iter()
        .filter(|c| c.guard.is_none())
        .all(|c| judged(c, observation) && card.checks.iter().any(|r| r.id == c.id && r.verdict.is_scored()))
}

/// A correct fix (the solution, or alternative `i`) fails no judged check.
fn full_marks(file: &str, rendered: &Rendered, steps: &[Step], alternative: Option<(usize, &str)>) -> Vec<Problem> {
    let Some((_, observation)) = simulated(rendered, steps) else {
        return Vec::new();
    };
    let card = simulated_card(rendered, &observation);
    card.checks
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Fail { .. }))
        .map(|check| {
            let message = check.verdict.message();
            match alternative {
                None => Problem::new(
                    file,
                    format!("with the reference solution applied, check `{}` is predicted to fail: {message}", check.id),
                )
                .field("solution")
                .hint("fix the solution (or the check); `kubedrill explain` on a snapshot shows the same trace"),
                Some((i, id)) => Problem::new(
                    file,
                    format!("alternative fix `{id}` is predicted to fail `{}`: {message}", check.id),
                )
                .field(format!("alternatives[{i}]"))
                .hint("a correct fix must earn full marks: loosen the check (named ports, matchExpressions, one policy or several), or fix the alternative"),
            }
        })
        .collect()
}

fn broken_scores_nothing(file: &str, rendered: &Rendered) -> Option<Problem> {
    let (_, observation) = simulated(rendered, &[])?;
    let card = simulated_card(rendered, &observation);
    if !objectives_judged(rendered, &observation, &card) || card.possible == 0 || card.percent <= BROKEN_AT_MOST {
        return None;
    }
    let paid: Vec<&str> = card
        .checks
        .iter()
        .filter(|c| c.earned > 0)
        .map(|c| c.id.as_str())
        .collect();
    Some(
        Problem::new(
            file,
            format!(
                "the untouched broken state scores {}% (at most {BROKEN_AT_MOST}% allowed); passing already: {}",
                fmt_percent(card.percent),
                paid.join(", ")
            ),
        )
        .field("checks")
        .hint("a check that holds before the learner does anything is a guard: mark it `guard: true`"),
    )
}

fn shortcut_is_caught(file: &str, rendered: &Rendered, i: usize, shortcut: &Shortcut) -> Vec<Problem> {
    let Some((_, observation)) = simulated(rendered, &shortcut.steps) else {
        return Vec::new();
    };
    let card = simulated_card(rendered, &observation);
    let mut problems: Vec<Problem> = card
        .checks
        .iter()
        .filter(|c| shortcut.fails.contains(&c.id) && c.verdict.is_pass())
        .map(|check| {
            Problem::new(
                file,
                format!(
                    "shortcut `{}` is predicted to pass `{}`, which it must fail",
                    shortcut.id, check.id
                ),
            )
            .field(format!("shortcuts[{i}].fails"))
            .hint("tighten the check, or drop it from `fails` if another check catches the shortcut")
        })
        .collect();
    let fails_judged = rendered
        .checks
        .iter()
        .filter(|c| shortcut.fails.contains(&c.id))
        .all(|c| judged(c, &observation));
    if objectives_judged(rendered, &observation, &card)
        && fails_judged
        && card.possible > 0
        && card.percent >= DEFAULT_PASS_MARK
    {
        problems.push(
            Problem::new(
                file,
                format!(
                    "shortcut `{}` is predicted to score {}%, at or above the {}% pass mark",
                    shortcut.id,
                    fmt_percent(card.percent),
                    fmt_percent(DEFAULT_PASS_MARK)
                ),
            )
            .field(format!("shortcuts[{i}]"))
            .hint("make what it breaks a guard, or give the checks it fails more points"),
        );
    }
    problems
}
