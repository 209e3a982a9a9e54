//! `scenario lint`: everything that can be wrong with a scenario folder, found without a
//! cluster: schema, seed-independent rules, rendering with several seeds, manifests, grader
//! parameters, determinism, and duplicate ids across folders.
//!
//! Returns data; the printer reports it. Must not stop at the first problem.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

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
    let mut by_seed = BySeed::default();
    for seed in LINT_SEEDS {
        let mut found = seed_problems(&scenario, &file, seed);
        for p in &mut found {
            scenario.locate(p);
        }
        by_seed.add(seed, &scenario.params(seed), found);
    }
    problems.extend(by_seed.into_problems());
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
    for p in &mut problems {
        scenario.locate(p);
    }
    FolderReport {
        file,
        id: Some(scenario.id().to_owned()),
        problems,
        mutation,
    }
}

/// Everything wrong with one seed: rendering (twice, which must agree), the simulated
/// grading, and `unchanged` checks' targets.
fn seed_problems(scenario: &Scenario, file: &str, seed: u64) -> Vec<Problem> {
    match scenario.render(seed) {
        Ok(first) => match scenario.render(seed) {
            Ok(second) if second == first => {
                let mut found = traffic_proof(file, &first);
                found.extend(unchanged_paths(scenario, file, &first));
                found
            }
            _ => vec![
                Problem::new(file, "rendering the same seed twice gave different results")
                    .hint("params and templates must depend only on the seed"),
            ],
        },
        Err(found) => found,
    }
}

/// Problems found with several seeds, each kept once with the seeds it occurs with. A
/// problem of a later seed is one already seen when it reads the same, or when it is at the same
/// place (file, line, column, field, kind of object) and says the same up to its first colon
/// once each seed's param values are put back as `{{ name }}` (names and ports differ between
/// seeds; the detail after a colon may name pods).
#[derive(Default)]
struct BySeed {
    entries: Vec<SeenProblem>,
}

struct SeenProblem {
    problem: Problem,
    text: String,
    shape: String,
    seeds: Vec<u64>,
}

impl BySeed {
    fn add(&mut self, seed: u64, params: &Map<String, Value>, problems: Vec<Problem>) {
        for problem in problems {
            let text = problem.to_string();
            let shape = shape(&problem, params);
            let earlier = self
                .entries
                .iter_mut()
                .find(|e| !e.seeds.contains(&seed) && (e.text == text || e.shape == shape));
            if let Some(entry) = earlier {
                entry.seeds.push(seed);
            } else if !self.entries.iter().any(|e| e.text == text) {
                self.entries.push(SeenProblem {
                    problem,
                    text,
                    shape,
                    seeds: vec![seed],
                });
            }
        }
    }

    /// Each problem once, naming its seeds when it does not occur with all of them.
    fn into_problems(self) -> Vec<Problem> {
        self.entries
            .into_iter()
            .map(|mut e| {
                if e.seeds.len() < LINT_SEEDS.len() {
                    e.problem.seeds = e.seeds;
                }
                e.problem
            })
            .collect()
    }
}

/// Where a problem is and what it says, without what the seed chose.
fn shape(problem: &Problem, params: &Map<String, Value>) -> String {
    let field = problem
        .field
        .as_deref()
        .map(|f| f.split_once('/').map_or(f, |(kind, _)| kind));
    let gist = problem.message.split(':').next().unwrap_or_default();
    format!(
        "{}|{:?}|{:?}|{field:?}|{}",
        problem.file,
        problem.line,
        problem.column,
        with_params_named(gist, params)
    )
}

/// `text` with each whole-word occurrence of a param's value (a name, a port) replaced by
/// `{{ name }}`, longest value first, in one pass.
fn with_params_named(text: &str, params: &Map<String, Value>) -> String {
    let mut values: Vec<(String, &str)> = params
        .iter()
        .filter_map(|(name, value)| match value {
            Value::String(s) => Some((s.clone(), name.as_str())),
            Value::Number(n) => Some((n.to_string(), name.as_str())),
            _ => None,
        })
        .filter(|(value, _)| value.len() >= 2)
        .collect();
    values.sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
    let is_word = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut previous: Option<char> = None;
    while let Some(next) = rest.chars().next() {
        let whole_word = |value: &String| {
            rest.strip_prefix(value.as_str())
                .filter(|after| !after.chars().next().is_some_and(is_word))
        };
        let found = if previous.is_some_and(is_word) {
            None
        } else {
            values
                .iter()
                .find_map(|(value, name)| whole_word(value).map(|after| (value, *name, after)))
        };
        if let Some((value, name, after)) = found {
            out.push_str("{{ ");
            out.push_str(name);
            out.push_str(" }}");
            previous = value.chars().last();
            rest = after;
        } else {
            out.push(next);
            previous = Some(next);
            rest = &rest[next.len_utf8()..];
        }
    }
    out
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

/// An `unchanged` check compares with the objects the setup applies: a target the setup does
/// not apply has no baseline, and a path that does not exist compares nothing with nothing and
/// always passes. Both are grading holes.
fn unchanged_paths(scenario: &Scenario, file: &str, rendered: &Rendered) -> Vec<Problem> {
    let mut problems = Vec::new();
    for check in &rendered.checks {
        let CheckSpec::Unchanged(params) = &check.spec else {
            continue;
        };
        let index = scenario
            .file
            .checks
            .iter()
            .position(|c| c.value.id == check.id)
            .unwrap_or_default();
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
                .field(format!("checks[{index}].with.target"))
                .hint("compare objects the setup applies; for system objects use `assert` on the fields that matter"),
            );
            continue;
        };
        for (j, path) in params.paths.iter().enumerate() {
            if graders::state::value_at(&applied.object, path).is_none() {
                problems.push(
                    Problem::new(file, format!("`{path}` is not in {} {} as the setup applies it", target.kind, target.name))
                        .field(format!("checks[{index}].with.paths[{j}]"))
                        .hint("an `unchanged` path that does not exist always passes; use dotted names, with numbers for list items (`spec.template.spec.containers.0.image`)"),
                );
            }
        }
    }
    problems
}

/// Checks whose outcome is traffic, which the reachability analyzer can predict.
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
    let mut base = Simulation::kind();
    if crate::cluster::addons::needs_ingress(rendered) {
        base = base.with_ingress_controller();
    }
    if crate::cluster::addons::needs_gateway_controller(rendered) {
        let controller = crate::cluster::addons::gateway_controller().ok()?;
        base = base.with_addon(controller.into_iter().map(|m| m.object));
    }
    let simulation = base.replay(rendered, &rendered.setup)?.replay(rendered, steps)?;
    let observation = observe(&simulation, rendered)?;
    Some((simulation, observation))
}

/// What the analyzer and graders see of a simulation.
pub(crate) fn observe(simulation: &Simulation, rendered: &Rendered) -> Option<Observation> {
    let mut state = simulation.state()?;
    // No Gateway controller runs in the simulation: routes get the status one would write.
    graders::gateway::fill_predicted(&mut state);
    Some(Observation {
        state,
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

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value, json};

    use super::{BySeed, LINT_SEEDS, with_params_named};
    use crate::scenario::Problem;

    fn params(app: &str, port: u64) -> Map<String, Value> {
        let Value::Object(map) = json!({"app": app, "port": port, "seed": 1}) else {
            unreachable!("literal object")
        };
        map
    }

    fn problem(field: &str, message: &str, line: u64) -> Problem {
        let mut p = Problem::new("x/manifests/app.yaml", message).field(field);
        p.line = Some(line);
        p
    }

    /// Each seed's app name and port, as a `pick` would draw them.
    const DRAWN: [(&str, u64); 5] = [
        ("web", 8001),
        ("shop", 8002),
        ("store", 8003),
        ("web", 8004),
        ("cart", 8005),
    ];

    #[test]
    fn a_problem_every_seed_finds_is_reported_once_with_the_first_seeds_names() {
        let mut by_seed = BySeed::default();
        for (seed, (app, port)) in LINT_SEEDS.into_iter().zip(DRAWN) {
            let found = vec![
                problem(
                    &format!("Servcie/{app}"),
                    "unknown kind `Servcie`; did you mean `Service`?",
                    28,
                ),
                problem("checks[0].with", &format!("Service `{app}` has no port {port}"), 25),
            ];
            by_seed.add(seed, &params(app, port), found);
        }
        let problems = by_seed.into_problems();
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "x/manifests/app.yaml:28: `Servcie/web`: unknown kind `Servcie`; did you mean `Service`?",
                "x/manifests/app.yaml:25: `checks[0].with`: Service `web` has no port 8001",
            ]
        );
    }

    #[test]
    fn a_problem_only_some_seeds_find_names_those_seeds() {
        let mut by_seed = BySeed::default();
        for (seed, (app, port)) in LINT_SEEDS.into_iter().zip(DRAWN) {
            let mut found = vec![problem("Service/x", "unknown field `spec.selectr`", 12)];
            if app == "web" {
                found.push(problem("Service/x", "metadata.name: `web` is taken", 9));
            }
            by_seed.add(seed, &params(app, port), found);
        }
        let problems = by_seed.into_problems();
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(problems[0].seeds.is_empty(), "found with every seed");
        assert_eq!(problems[1].seeds, [1, 4]);
        assert!(
            problems[1].to_string().ends_with("is taken (with seeds 1, 4)"),
            "{}",
            problems[1]
        );
    }

    #[test]
    fn different_problems_at_one_place_stay_apart_and_exact_repeats_go() {
        let mut by_seed = BySeed::default();
        let unused = problem("checks[1].bindings", "binding `a` is never used", 30);
        let found = vec![
            unused.clone(),
            problem("checks[1].bindings", "binding `b` is never used", 30),
            unused,
        ];
        by_seed.add(1, &params("web", 80), found);
        let messages: Vec<String> = by_seed.into_problems().into_iter().map(|p| p.message).collect();
        assert_eq!(messages, ["binding `a` is never used", "binding `b` is never used"]);
    }

    #[test]
    fn param_values_are_named_as_whole_words_only() {
        let p = params("api", 8080);
        assert_eq!(
            with_params_named("check `frontend-reaches-api` sees api-0, not api:8080 or 18080", &p),
            "check `frontend-reaches-api` sees api-0, not {{ app }}:{{ port }} or 18080"
        );
    }
}
