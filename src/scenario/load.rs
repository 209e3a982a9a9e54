//! Loading a scenario folder: parse `scenario.yaml` strictly and check everything that does
//! not depend on a seed (ids, versions, points, hints, solution and shortcuts present).
//!
//! Seed-dependent checks live in `render`; this module must not render templates.

use std::collections::BTreeSet;

use serde_saphyr::{Location, Spanned};

use super::model::{API_VERSION, CheckEntry, MAX_WORKERS, ScenarioFile};
use super::positions::Positions;
use super::problem::{Problem, yaml_message};
use super::source::{ReadError, ScenarioDir};
use super::template::is_identifier;

/// The file every scenario folder has.
pub const SCENARIO_FILE: &str = "scenario.yaml";

/// Names every template sees besides the params.
pub const RESERVED_NAMES: &[&str] = &["seed", "scenario_id", "images"];

/// A parsed scenario folder.
#[derive(Debug)]
pub struct Scenario {
    /// Where its files are.
    pub dir: ScenarioDir,
    /// The parsed `scenario.yaml`.
    pub file: ScenarioFile,
    /// Where each field of `scenario.yaml` is written.
    pub positions: Positions,
}

impl Scenario {
    /// Read and parse `scenario.yaml` (types and unknown fields only).
    pub fn load(dir: ScenarioDir) -> Result<Self, Box<Problem>> {
        let path = dir.display(SCENARIO_FILE);
        let text = dir.read(SCENARIO_FILE).map_err(|e| match e {
            ReadError::Missing => Problem::new(&path, "no scenario.yaml in this folder")
                .hint("a scenario folder holds scenario.yaml; create one with `kubedrill scenario new <id>`"),
            ReadError::Io(reason) => Problem::new(&path, format!("cannot read: {reason}")),
        });
        let text = text.map_err(Box::new)?;
        let file: ScenarioFile = serde_saphyr::from_str(&text).map_err(|e| {
            let mut problem = Problem::new(&path, yaml_message(&e));
            if let Some(location) = e.location() {
                problem = problem.at(&location);
                if let Some(key) = key_on_line(&text, location.line()) {
                    problem = problem.field(key);
                }
            }
            let hint = parse_hint(&problem.message);
            Box::new(problem.hint(hint))
        })?;
        let positions = Positions::parse(&text).unwrap_or_default();
        Ok(Self { dir, file, positions })
    }

    /// Place a problem of `scenario.yaml` that names a field at the field's key (else at its
    /// nearest written parent, where a missing field belongs, keeping a column already found on
    /// that line), not where the check or step holding it starts. Other problems are left as
    /// they are.
    pub fn locate(&self, problem: &mut Problem) {
        if problem.file != self.dir.display(SCENARIO_FILE) {
            return;
        }
        let Some(field) = problem.field.as_deref() else {
            return;
        };
        if let Some(position) = self.positions.exact(field) {
            (problem.line, problem.column) = (Some(position.line), Some(position.column));
        } else if let Some(position) = self.positions.nearest(field)
            && problem.line != Some(position.line)
        {
            (problem.line, problem.column) = (Some(position.line), Some(position.column));
        }
    }

    /// The scenario id.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.file.id.value
    }

    /// Total points of the objectives (guards earn none).
    #[must_use]
    pub fn total_points(&self) -> u64 {
        self.file
            .checks
            .iter()
            .filter(|c| !c.value.guard)
            .map(|c| u64::from(c.value.points.unwrap_or(0)))
            .sum()
    }

    pub(crate) fn problem(&self, message: impl Into<String>, location: &Location) -> Problem {
        Problem::new(self.dir.display(SCENARIO_FILE), message).at(location)
    }

    /// Everything wrong that does not depend on a seed.
    #[must_use]
    pub fn static_problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        self.check_identity(&mut problems);
        self.check_params(&mut problems);
        self.check_hints(&mut problems);
        self.check_checks(&mut problems);
        self.check_solution_and_shortcuts(&mut problems);
        self.check_alternatives(&mut problems);
        problems
    }

    fn check_identity(&self, problems: &mut Vec<Problem>) {
        let f = &self.file;
        if f.api_version.value != API_VERSION {
            problems.push(
                self.problem(
                    format!("unsupported apiVersion `{}`", f.api_version.value),
                    &f.api_version.referenced,
                )
                .field("apiVersion")
                .hint(format!("this kubedrill reads `apiVersion: {API_VERSION}`")),
            );
        }
        if let Err(e) = graders::names::check_dns1123_label(self.id()) {
            problems.push(self.problem(format!("id {e}"), &f.id.referenced).field("id"));
        }
        let folder = self.dir.folder_name();
        if folder != self.id() {
            problems.push(
                self.problem(
                    format!("id `{}` differs from its folder `{folder}`", self.id()),
                    &f.id.referenced,
                )
                .field("id")
                .hint("rename the folder or the id so they match"),
            );
        }
        if f.time_limit.value.as_secs() < 60 {
            problems.push(
                self.problem("a task needs at least 1m", &f.time_limit.referenced)
                    .field("timeLimit")
                    .hint("CKA tasks take 4-20 minutes; write e.g. `timeLimit: 8m`"),
            );
        }
        if f.weight == 0 {
            problems.push(
                Problem::new(
                    self.dir.display(SCENARIO_FILE),
                    "`weight: 0` would leave the task out of exam scores",
                )
                .field("weight")
                .hint("use 1 (the default) or more"),
            );
        }
        if f.cluster.workers > MAX_WORKERS {
            problems.push(
                Problem::new(
                    self.dir.display(SCENARIO_FILE),
                    format!("at most {MAX_WORKERS} workers"),
                )
                .field("cluster.workers")
                .hint("each worker costs learners ~0.3 GiB; reproduce the fault with fewer nodes"),
            );
        }
        if f.title.trim().is_empty() || f.task.value.trim().is_empty() || f.explanation.value.trim().is_empty() {
            problems.push(
                Problem::new(
                    self.dir.display(SCENARIO_FILE),
                    "title, task and explanation must not be empty",
                )
                .hint("learners read these; write them in full"),
            );
        }
    }

    fn check_params(&self, problems: &mut Vec<Problem>) {
        for (name, spec) in &self.file.params {
            let field = format!("params.{name}");
            if !is_identifier(name) {
                problems.push(
                    self.problem(
                        format!("param name `{name}` cannot be used in templates"),
                        &spec.referenced,
                    )
                    .field(field)
                    .hint("use snake_case: lowercase letters, digits and `_`, starting with a letter"),
                );
            } else if RESERVED_NAMES.contains(&name.as_str()) {
                problems.push(
                    self.problem(format!("`{name}` is reserved"), &spec.referenced)
                        .field(field)
                        .hint(format!(
                            "templates already see {}; pick another name",
                            RESERVED_NAMES.join(", ")
                        )),
                );
            }
        }
    }

    fn check_hints(&self, problems: &mut Vec<Problem>) {
        let limit = self.file.time_limit.value;
        let mut previous = None;
        for (i, hint) in self.file.hints.iter().enumerate() {
            let after = hint.value.after;
            if after >= limit {
                problems.push(
                    self.problem(
                        format!("unlocks at {after}, not before the {limit} time limit"),
                        &hint.referenced,
                    )
                    .field(format!("hints[{i}].after"))
                    .hint("a hint must unlock while the learner can still use it"),
                );
            }
            if previous.is_some_and(|p| after < p) {
                problems.push(
                    self.problem("hints must be listed in unlock order", &hint.referenced)
                        .field(format!("hints[{i}].after")),
                );
            }
            previous = Some(after);
            if u64::from(hint.value.penalty) > self.total_points() {
                problems.push(
                    self.problem("penalty exceeds the scenario's total points", &hint.referenced)
                        .field(format!("hints[{i}].penalty")),
                );
            }
        }
    }

    fn check_checks(&self, problems: &mut Vec<Problem>) {
        let known: Vec<&str> = graders::GRADERS.iter().map(|(id, _)| *id).collect();
        if self.file.checks.is_empty() {
            problems.push(
                Problem::new(self.dir.display(SCENARIO_FILE), "no checks: nothing would be graded")
                    .field("checks")
                    .hint("add checks from the grader vocabulary in scenarios/README.md"),
            );
        } else if self.file.checks.iter().all(|c| c.value.guard) {
            problems.push(
                Problem::new(
                    self.dir.display(SCENARIO_FILE),
                    "every check is a guard: nothing earns points",
                )
                .field("checks")
                .hint("the checks of what the task asks to make work are objectives: drop their `guard: true`"),
            );
        }
        let mut seen = BTreeSet::new();
        for (i, check) in self.file.checks.iter().enumerate() {
            let c = &check.value;
            let field = format!("checks[{i}]");
            if graders::names::check_dns1123_label(&c.id).is_err() {
                problems.push(
                    self.problem(format!("check id `{}` must be kebab-case", c.id), &check.referenced)
                        .field(format!("{field}.id")),
                );
            }
            if !seen.insert(c.id.as_str()) {
                problems.push(
                    self.problem(format!("duplicate check id `{}`", c.id), &check.referenced)
                        .field(format!("{field}.id")),
                );
            }
            if !known.contains(&c.grader.as_str()) {
                problems.push(
                    self.problem(format!("unknown grader `{}`", c.grader), &check.referenced)
                        .field(format!("{field}.grader"))
                        .hint(format!("known graders: {}", known.join(", "))),
                );
            }
            problems.extend(self.role_problems(check, &field));
            if c.with.is_none() {
                problems.push(
                    self.problem("missing `with:` parameters", &check.referenced)
                        .field(format!("{field}.with")),
                );
            }
        }
    }

    fn check_alternatives(&self, problems: &mut Vec<Problem>) {
        let mut seen = BTreeSet::new();
        for (i, alternative) in self.file.alternatives.iter().enumerate() {
            let a = &alternative.value;
            let field = format!("alternatives[{i}]");
            if graders::names::check_dns1123_label(&a.id).is_err() || !seen.insert(a.id.as_str()) {
                problems.push(
                    self.problem(
                        format!("alternative id `{}` must be kebab-case and unique", a.id),
                        &alternative.referenced,
                    )
                    .field(format!("{field}.id")),
                );
            }
            if a.steps.is_empty() {
                problems.push(
                    self.problem("an alternative fix needs steps", &alternative.referenced)
                        .field(format!("{field}.steps")),
                );
            }
        }
    }

    /// Objectives are worth points; guards are not, and protect objectives of this scenario.
    fn role_problems(&self, check: &Spanned<CheckEntry>, field: &str) -> Vec<Problem> {
        let c = &check.value;
        let mut problems = Vec::new();
        let mut problem = |message: String, at: &str, hint: &str| {
            problems.push(
                self.problem(message, &check.referenced)
                    .field(format!("{field}.{at}"))
                    .hint(hint),
            );
        };
        match (c.guard, c.points) {
            (false, None | Some(0)) => problem(
                "an objective must be worth at least 1 point".to_owned(),
                "points",
                "give it points, or mark it `guard: true` if it must merely stay true",
            ),
            (true, Some(_)) => problem(
                "a guard earns no points".to_owned(),
                "points",
                "remove `points`: a guard keeps or cancels the credit of the objectives it protects",
            ),
            _ => {}
        }
        let objectives: BTreeSet<&str> = self
            .file
            .checks
            .iter()
            .filter(|o| !o.value.guard)
            .map(|o| o.value.id.as_str())
            .collect();
        match (&c.protects, c.guard) {
            (Some(_), false) => problem(
                "only a guard protects objectives".to_owned(),
                "protects",
                "add `guard: true`, or remove `protects`",
            ),
            (Some(list), true) if list.is_empty() => problem(
                "`protects` is empty".to_owned(),
                "protects",
                "remove it to protect every objective, or list objective ids",
            ),
            (Some(list), true) => {
                for id in list.iter().filter(|id| !objectives.contains(id.as_str())) {
                    problem(
                        format!("`{id}` is not an objective of this scenario"),
                        "protects",
                        "a guard protects objectives (checks without `guard: true`)",
                    );
                }
            }
            _ => {}
        }
        problems
    }

    fn check_solution_and_shortcuts(&self, problems: &mut Vec<Problem>) {
        let path = self.dir.display(SCENARIO_FILE);
        if self.file.solution.is_empty() {
            problems.push(
                Problem::new(&path, "no reference solution")
                    .field("solution")
                    .hint("add the steps that fix the scenario; self-tests prove they earn full marks"),
            );
        }
        if self.file.shortcuts.is_empty() {
            problems.push(
                Problem::new(&path, "no known shortcuts")
                    .field("shortcuts")
                    .hint("add at least one tempting wrong fix and the checks that must catch it"),
            );
        }
        let check_ids: BTreeSet<&str> = self.file.checks.iter().map(|c| c.value.id.as_str()).collect();
        let mut seen = BTreeSet::new();
        for (i, shortcut) in self.file.shortcuts.iter().enumerate() {
            let s = &shortcut.value;
            let field = format!("shortcuts[{i}]");
            if !seen.insert(s.id.as_str()) {
                problems.push(
                    self.problem(format!("duplicate shortcut id `{}`", s.id), &shortcut.referenced)
                        .field(format!("{field}.id")),
                );
            }
            if s.steps.is_empty() {
                problems.push(
                    self.problem("a shortcut needs steps", &shortcut.referenced)
                        .field(format!("{field}.steps")),
                );
            }
            if s.fails.is_empty() {
                problems.push(
                    self.problem("name the checks this shortcut must fail", &shortcut.referenced)
                        .field(format!("{field}.fails"))
                        .hint("a shortcut that fails no check would earn full marks"),
                );
            }
            for id in s.fails.iter().filter(|id| !check_ids.contains(id.as_str())) {
                problems.push(
                    self.problem(format!("`{id}` is not a check of this scenario"), &shortcut.referenced)
                        .field(format!("{field}.fails")),
                );
            }
        }
    }
}

/// The mapping key written on a 1-based line (`    points: -2` -> `points`), to name the field
/// of a value the parser rejected.
fn key_on_line(text: &str, line: u64) -> Option<&str> {
    let source = text.lines().nth(usize::try_from(line.checked_sub(1)?).ok()?)?;
    let (key, _) = source.trim_start().trim_start_matches("- ").split_once(':')?;
    let key = key.trim();
    let plain = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    plain.then_some(key)
}

fn parse_hint(message: &str) -> String {
    if message.starts_with("invalid u") || message.starts_with("invalid i") {
        "write a whole number (not negative, no quotes)".to_owned()
    } else if message.starts_with("unknown field") {
        "fix the spelling; scenarios/README.md lists every field".to_owned()
    } else if message.starts_with("missing field") {
        "add the field; scenarios/README.md lists the required ones".to_owned()
    } else if message.contains("unknown variant") {
        "use one of the values the message lists".to_owned()
    } else if message.contains("unexpected end of input") {
        "the file is empty or cut short".to_owned()
    } else {
        "see scenarios/README.md for the format".to_owned()
    }
}

/// What the catalogue shows about a scenario (no solution, no checks' parameters).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Summary {
    /// Scenario id.
    pub id: String,
    /// Title.
    pub title: String,
    /// CKA domain.
    pub domain: super::model::Domain,
    /// Difficulty.
    pub difficulty: super::model::Difficulty,
    /// Cluster profile.
    pub profile: super::model::Profile,
    /// Worker nodes.
    pub workers: u8,
    /// Time limit in seconds.
    pub time_limit_seconds: u64,
    /// Exam weight.
    pub weight: u32,
    /// Total points.
    pub points: u64,
    /// Number of checks.
    pub checks: usize,
    /// How many of them are guards (earning no points).
    pub guards: usize,
    /// Number of hints.
    pub hints: usize,
    /// Tags.
    pub tags: Vec<String>,
}

impl Scenario {
    /// The catalogue view.
    #[must_use]
    pub fn summary(&self) -> Summary {
        let f = &self.file;
        Summary {
            id: self.id().to_owned(),
            title: f.title.clone(),
            domain: f.domain,
            difficulty: f.difficulty,
            profile: f.cluster.profile,
            workers: f.cluster.workers,
            time_limit_seconds: f.time_limit.value.as_secs(),
            weight: f.weight,
            points: self.total_points(),
            checks: f.checks.len(),
            guards: f.checks.iter().filter(|c| c.value.guard).count(),
            hints: f.hints.len(),
            tags: f.tags.clone(),
        }
    }
}
