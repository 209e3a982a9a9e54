//! Rendering a loaded scenario for one seed: params drawn, every template rendered, every
//! step and check typed and validated, every manifest parsed as Kubernetes objects.
//!
//! Pure apart from reading the scenario's own files; must not touch a cluster or print.

use std::collections::{BTreeMap, BTreeSet};

use graders::binding::Binding;
use graders::{Check, CheckSpec, Duration, ParamProblem};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use serde_saphyr::{Location, Spanned};

use super::kinds::KnownKinds;
use super::load::Scenario;
use super::manifest::{Manifest, ManifestProblem, parse_all};
use super::problem::Problem;
use super::source::ReadError;
use super::step::Step;
use super::template::{Renderer, is_identifier};

/// A hint with its text rendered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Hint {
    /// Unlocked this long after the timer starts.
    pub after: Duration,
    /// Points deducted when taken early.
    pub penalty: u32,
    /// The hint.
    pub text: String,
}

/// A shortcut with its steps typed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Shortcut {
    /// Shortcut id.
    pub id: String,
    /// What the learner does instead.
    pub description: String,
    /// Steps applied on the broken state.
    pub steps: Vec<Step>,
    /// Checks that must fail afterwards.
    pub fails: Vec<String>,
}

/// Another correct fix, rendered.
#[derive(Clone, Debug, PartialEq)]
pub struct Alternative {
    /// Its id.
    pub id: String,
    /// How it differs from the reference solution.
    pub description: String,
    /// Steps applied on the broken state.
    pub steps: Vec<Step>,
}

/// A manifest file after rendering.
#[derive(Clone, Debug, PartialEq)]
pub struct RenderedFile {
    /// The rendered text, exactly as it will be applied.
    pub text: String,
    /// Its objects.
    pub objects: Vec<Manifest>,
}

/// One attempt's scenario: everything concrete.
#[derive(Clone, Debug, PartialEq)]
pub struct Rendered {
    /// The seed it was drawn with.
    pub seed: u64,
    /// Param values (and `seed`, `scenario_id`).
    pub params: Map<String, Value>,
    /// Setup steps.
    pub setup: Vec<Step>,
    /// Every manifest an `apply` step names, by path.
    pub files: BTreeMap<String, RenderedFile>,
    /// Task text.
    pub task: String,
    /// Hints.
    pub hints: Vec<Hint>,
    /// Explanation shown after grading.
    pub explanation: String,
    /// Checks.
    pub checks: Vec<Check>,
    /// Reference solution.
    pub solution: Vec<Step>,
    /// Known shortcuts.
    pub shortcuts: Vec<Shortcut>,
    /// Other correct fixes (full marks, like the solution).
    pub alternatives: Vec<Alternative>,
}

impl Rendered {
    /// The setup's manifests in apply order as one multi-document YAML stream.
    #[must_use]
    pub fn setup_yaml(&self) -> String {
        let mut out = String::new();
        for path in self.setup.iter().filter_map(Step::manifest) {
            if let Some(file) = self.files.get(path) {
                out.push_str("---\n# Source: ");
                out.push_str(path);
                out.push('\n');
                out.push_str(file.text.trim_start_matches("---\n"));
                if !out.ends_with('\n') {
                    out.push('\n');
                }
            }
        }
        out
    }

    /// The id of the scenario this attempt was rendered from.
    #[must_use]
    pub fn scenario_id(&self) -> &str {
        self.params
            .get("scenario_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// Objects the setup applies, in order.
    pub fn setup_objects(&self) -> impl Iterator<Item = &Manifest> {
        self.setup
            .iter()
            .filter_map(|s| self.files.get(s.manifest()?))
            .flat_map(|f| &f.objects)
    }

    /// The objects setup applies, as the baseline `unchanged` checks compare with when no
    /// copy of the live objects was recorded.
    pub fn setup_baseline(&self) -> Result<graders::state::Baseline, String> {
        let objects = self.setup_objects().map(|m| m.object.clone());
        let state = graders::state::ClusterState::from_objects(objects).map_err(|e| format!("rendered setup: {e}"))?;
        Ok(graders::state::Baseline {
            state,
            source: graders::state::BaselineSource::Manifests,
        })
    }

    /// Whether setup breaks something outside the scenario's own namespaces (kube-system,
    /// nodes, cluster-scoped objects): such a scenario cannot share a cluster.
    #[must_use]
    pub fn is_cluster_wide(&self) -> bool {
        super::footprint::footprint(self).cluster_wide.is_some()
    }
}

/// What every template can see, for hints on template errors.
const TEMPLATE_HINT: &str = "templates may use the params, `seed`, `scenario_id` and `images`";

/// `prefix` + `name`, which must still be a DNS-1123 label.
fn prefixed_name(prefix: &str, name: &str) -> Result<Value, super::params::ParamError> {
    let full = format!("{prefix}{name}");
    let valid = full.len() <= 63
        && full
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && full.starts_with(|c: char| c.is_ascii_lowercase());
    if valid {
        Ok(Value::String(full))
    } else {
        Err(super::params::ParamError::BadName(format!(
            "`{full}` (namespace prefix `{prefix}`) is not a DNS-1123 label of at most 63 characters"
        )))
    }
}

struct Context<'a> {
    scenario: &'a Scenario,
    name_prefix: Option<&'a str>,
    renderer: Renderer,
    /// Manifest files read and rendered, by path: (template, rendered text), parsed once all
    /// are known (a `CustomResourceDefinition` in one file declares kinds for the others).
    pending: BTreeMap<String, (String, String)>,
    /// Every path an `apply` named, each read once however often it is applied.
    attempted: BTreeSet<String>,
    files: BTreeMap<String, RenderedFile>,
    problems: Vec<Problem>,
}

impl Scenario {
    /// Render everything for `seed`; all problems found are returned together.
    pub fn render(&self, seed: u64) -> Result<Rendered, Vec<Problem>> {
        self.render_prefixed(seed, None)
    }

    /// Render with every generated name (`name` params, hence the scenario's namespaces)
    /// starting with `name_prefix`, so several students can share one cluster.
    pub fn render_prefixed(&self, seed: u64, name_prefix: Option<&str>) -> Result<Rendered, Vec<Problem>> {
        let mut cx = Context::new(self, name_prefix);
        cx.draw_params(seed);
        if !cx.problems.is_empty() {
            return Err(self.located(cx.problems));
        }
        let f = &self.file;
        let setup = cx.steps(&f.setup, "setup");
        if f.setup.is_empty() {
            cx.problems
                .push(Problem::new(self.dir.display("scenario.yaml"), "no setup steps").field("setup"));
        }
        let task = cx.text(&f.task.value, "task", Some(&f.task.referenced));
        let explanation = cx.text(&f.explanation.value, "explanation", Some(&f.explanation.referenced));
        let hints = f
            .hints
            .iter()
            .enumerate()
            .map(|(i, h)| Hint {
                after: h.value.after,
                penalty: h.value.penalty,
                text: cx.text(&h.value.text, &format!("hints[{i}].text"), Some(&h.referenced)),
            })
            .collect();
        let checks = cx.checks();
        let solution = cx.steps(&f.solution, "solution");
        let shortcuts = f
            .shortcuts
            .iter()
            .enumerate()
            .map(|(i, s)| Shortcut {
                id: s.value.id.clone(),
                description: cx.text(
                    &s.value.description,
                    &format!("shortcuts[{i}].description"),
                    Some(&s.referenced),
                ),
                steps: cx.steps(&s.value.steps, &format!("shortcuts[{i}].steps")),
                fails: s.value.fails.clone(),
            })
            .collect();
        let alternatives = f
            .alternatives
            .iter()
            .enumerate()
            .map(|(i, a)| Alternative {
                id: a.value.id.clone(),
                description: cx.text(
                    &a.value.description,
                    &format!("alternatives[{i}].description"),
                    Some(&a.referenced),
                ),
                steps: cx.steps(&a.value.steps, &format!("alternatives[{i}].steps")),
            })
            .collect();
        cx.parse_files();
        let rendered = Rendered {
            seed,
            params: cx.renderer.values().clone(),
            setup,
            files: std::mem::take(&mut cx.files),
            task,
            hints,
            explanation,
            checks,
            solution,
            shortcuts,
            alternatives,
        };
        cx.check_profile(&rendered);
        cx.check_slices(&rendered);
        if cx.problems.is_empty() {
            Ok(rendered)
        } else {
            Err(self.located(cx.problems))
        }
    }

    /// The param values drawn for `seed` (those that could be drawn, when some cannot).
    #[must_use]
    pub fn params(&self, seed: u64) -> Map<String, Value> {
        let mut cx = Context::new(self, None);
        cx.draw_params(seed);
        cx.renderer.values().clone()
    }

    /// Problems of `scenario.yaml` placed on the line of the field they name.
    fn located(&self, mut problems: Vec<Problem>) -> Vec<Problem> {
        for p in &mut problems {
            self.locate(p);
        }
        problems
    }
}

impl<'a> Context<'a> {
    fn new(scenario: &'a Scenario, name_prefix: Option<&'a str>) -> Self {
        Self {
            scenario,
            name_prefix,
            renderer: Renderer::new(Map::new()),
            pending: BTreeMap::new(),
            attempted: BTreeSet::new(),
            files: BTreeMap::new(),
            problems: Vec::new(),
        }
    }

    fn scenario_problem(&self, message: impl Into<String>, location: Option<&Location>) -> Problem {
        let problem = Problem::new(self.scenario.dir.display("scenario.yaml"), message);
        match location {
            Some(l) => problem.at(l),
            None => problem,
        }
    }

    fn draw_params(&mut self, seed: u64) {
        self.renderer.insert("seed", json!(seed));
        self.renderer.insert("scenario_id", json!(self.scenario.id()));
        self.renderer.insert("images", crate::images::as_template_value());
        for (name, spec) in &self.scenario.file.params {
            let generated = spec.value.generate(name, seed, &self.renderer).and_then(|value| {
                match (&spec.value, self.name_prefix, value.as_str()) {
                    (super::params::ParamSpec::Name(_), Some(prefix), Some(text)) => prefixed_name(prefix, text),
                    _ => Ok(value),
                }
            });
            match generated {
                Ok(value) => self.renderer.insert(name, value),
                Err(e) => {
                    let p = self
                        .scenario_problem(e.to_string(), Some(&spec.referenced))
                        .field(format!("params.{name}"));
                    self.problems.push(p);
                }
            }
        }
    }

    fn text(&mut self, template: &str, field: &str, location: Option<&Location>) -> String {
        self.renderer.render_str(template).unwrap_or_else(|e| {
            let p = self
                .scenario_problem(e.with_inner_position(), location)
                .field(field)
                .hint(TEMPLATE_HINT);
            self.problems.push(p);
            String::new()
        })
    }

    /// Render a templated value tree and type it; problems name `field` and the path inside.
    fn typed<T: DeserializeOwned>(&mut self, raw: &Value, location: &Location, field: &str) -> Option<T> {
        let rendered = self.rendered(raw, location, field)?;
        self.type_value(rendered, location, field)
    }

    /// Render a templated value tree; problems name `field`.
    fn rendered(&mut self, raw: &Value, location: &Location, field: &str) -> Option<Value> {
        match self.renderer.render_value(raw) {
            Ok(v) => Some(v),
            Err(e) => {
                let p = self
                    .scenario_problem(e.with_inner_position(), Some(location))
                    .field(field);
                self.problems.push(p);
                None
            }
        }
    }

    /// Type a rendered value tree; problems name `field` and the path inside.
    fn type_value<T: DeserializeOwned>(&mut self, rendered: Value, location: &Location, field: &str) -> Option<T> {
        serde_path_to_error::deserialize(rendered)
            .map_err(|e| {
                let inner = e.path().to_string();
                let full = if inner == "." {
                    field.to_owned()
                } else {
                    format!("{field}.{inner}")
                };
                let p = self.scenario_problem(e.inner().to_string(), Some(location)).field(full);
                self.problems.push(p);
            })
            .ok()
    }

    fn steps(&mut self, raw: &[Spanned<Value>], section: &str) -> Vec<Step> {
        let mut steps = Vec::new();
        for (i, spanned) in raw.iter().enumerate() {
            let field = format!("{section}[{i}]");
            let Some(step) = self.typed::<Step>(&spanned.value, &spanned.referenced, &field) else {
                continue;
            };
            for p in step.problems() {
                let problem = self
                    .scenario_problem(p.message, Some(&spanned.referenced))
                    .field(format!("{field}.{}", p.field));
                self.problems.push(problem);
            }
            if let Some(path) = step.manifest() {
                self.render_file(path, &spanned.referenced, &field);
            }
            steps.push(step);
        }
        steps
    }

    fn render_file(&mut self, path: &str, location: &Location, field: &str) {
        if step_path_is_invalid(path) || !self.attempted.insert(path.to_owned()) {
            return;
        }
        let dir = &self.scenario.dir;
        let shown = dir.display(path);
        let template = match dir.read(path) {
            Ok(text) => text,
            Err(ReadError::Missing) => {
                let p = self
                    .scenario_problem(
                        format!("`{path}` does not exist in the scenario folder"),
                        Some(location),
                    )
                    .field(field);
                self.problems.push(p);
                return;
            }
            Err(ReadError::Io(e)) => {
                self.problems.push(Problem::new(shown, format!("cannot read: {e}")));
                return;
            }
        };
        match self.renderer.render_str(&template) {
            Ok(rendered) => {
                self.pending.insert(path.to_owned(), (template, rendered));
            }
            Err(e) => {
                let mut p = Problem::new(shown, e.message).hint(TEMPLATE_HINT);
                if let Some((line, column)) = e.position {
                    (p.line, p.column) = (Some(line), Some(column));
                }
                self.problems.push(p);
            }
        }
    }

    /// Parse every rendered manifest file against the kinds the scenario may use, reporting
    /// each problem at its line in the template the author wrote.
    fn parse_files(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        let mut kinds = KnownKinds::new(&self.scenario.file.cluster.addons);
        for (_, text) in pending.values().filter(|(_, t)| t.contains("CustomResourceDefinition")) {
            kinds.declare_crds(&parse_all(text, None).objects);
        }
        for (path, (template, text)) in pending {
            let parsed = parse_all(&text, Some(&kinds));
            if !parsed.problems.is_empty() {
                let shown = self.scenario.dir.display(&path);
                let origins = self.renderer.line_origins(&template);
                let source = Source {
                    template: &template,
                    rendered: &text,
                    origins: origins.as_deref(),
                };
                let problems = parsed.problems.into_iter().map(|m| source.problem(&shown, m));
                self.problems.extend(problems);
            }
            self.files.insert(
                path,
                RenderedFile {
                    text,
                    objects: parsed.objects,
                },
            );
        }
    }

    fn checks(&mut self) -> Vec<Check> {
        let mut checks = Vec::new();
        for (i, entry) in self.scenario.file.checks.iter().enumerate() {
            let c = &entry.value;
            if !graders::GRADERS.iter().any(|(id, _)| *id == c.grader) {
                continue; // reported once, by the static checks
            }
            let field = format!("checks[{i}]");
            let (with, location) = match &c.with {
                Some(w) => (w.value.clone(), w.referenced),
                None => continue, // reported by the static checks
            };
            let bindings = self.bindings(c.bindings.as_ref(), &field);
            let Some(with) = self.rendered(&with, &location, &field) else {
                continue;
            };
            self.binding_references(&with, &bindings, &location, &field);
            let samples = bindings
                .iter()
                .map(|(name, b)| (name.clone(), b.value_type.sample()))
                .collect();
            let with_samples = graders::binding::substitute(&with, &samples);
            let raw = json!({"grader": c.grader, "with": with_samples});
            let Some(spec) = self.type_value::<CheckSpec>(raw, &location, &field) else {
                continue;
            };
            for p in spec.problems() {
                let problem = self
                    .scenario_problem(p.message, Some(&location))
                    .field(format!("{field}.with.{}", p.field));
                self.problems.push(problem);
            }
            let at = Some(&entry.referenced);
            let description = self.text(&c.description, &format!("{field}.description"), at);
            let hint = c.hint.as_ref().map(|h| self.text(h, &format!("{field}.hint"), at));
            checks.push(Check {
                id: c.id.clone(),
                points: if c.guard { 0 } else { c.points.unwrap_or(0) },
                guard: c.guard.then(|| graders::score::Guard {
                    protects: c.protects.clone().unwrap_or_default(),
                }),
                description,
                hint,
                timeout: c.timeout,
                interval: c.interval,
                spec,
                bound_with: (!bindings.is_empty()).then_some(with),
                bindings,
            });
        }
        checks
    }

    /// A check's typed bindings, with their problems reported.
    fn bindings(&mut self, raw: Option<&Spanned<Value>>, field: &str) -> BTreeMap<String, Binding> {
        let Some(raw) = raw else { return BTreeMap::new() };
        let field = format!("{field}.bindings");
        let bindings: BTreeMap<String, Binding> = self.typed(&raw.value, &raw.referenced, &field).unwrap_or_default();
        for (name, binding) in &bindings {
            let mut found = binding.problems(&format!("{field}.{name}"));
            if !is_identifier(name) {
                found.push(ParamProblem::new(
                    format!("{field}.{name}"),
                    "binding names are snake_case",
                ));
            }
            for p in found {
                let problem = self.scenario_problem(p.message, Some(&raw.referenced)).field(p.field);
                self.problems.push(problem);
            }
        }
        bindings
    }

    /// Every `${name}` in the parameters must be a binding, and every binding must be used.
    fn binding_references(
        &mut self,
        with: &Value,
        bindings: &BTreeMap<String, Binding>,
        location: &Location,
        field: &str,
    ) {
        let mut used = BTreeMap::new();
        collect_references(with, &format!("{field}.with"), &mut used);
        for (name, at) in used.iter().filter(|(n, _)| !bindings.contains_key(*n)) {
            let p = self
                .scenario_problem(format!("`${{{name}}}` names no binding of this check"), Some(location))
                .field(at)
                .hint("declare it under the check's `bindings:`");
            self.problems.push(p);
        }
        for name in bindings.keys().filter(|n| !used.contains_key(*n)) {
            let p = self
                .scenario_problem(
                    format!("binding `{name}` is never used as `${{{name}}}`"),
                    Some(location),
                )
                .field(format!("{field}.bindings.{name}"));
            self.problems.push(p);
        }
    }

    /// A NetworkPolicy fault on a CNI that does not enforce policy silently does nothing.
    fn check_profile(&mut self, rendered: &Rendered) {
        let profile = self.scenario.file.cluster.profile;
        if profile.enforces_network_policy() {
            return;
        }
        let applies_policy = rendered.setup_objects().any(|m| m.kind == "NetworkPolicy");
        let expects_blocked = rendered.checks.iter().any(|c| {
            matches!(&c.spec, CheckSpec::Connectivity(p) if p.expect == graders::target::Expectation::Blocked)
                || matches!(&c.spec, CheckSpec::Reachability(_))
        });
        if applies_policy || expects_blocked {
            let p = self
                .scenario_problem(
                    format!("the `{profile}` profile does not enforce NetworkPolicy, but this scenario relies on it"),
                    None,
                )
                .field("cluster.profile")
                .hint("use `profile: kindnet` or `profile: calico` for NetworkPolicy scenarios");
            self.problems.push(p);
        }
    }
}

impl Context<'_> {
    /// Every `applySlice` file holds exactly one EndpointSlice of addressType IPv4 (or FQDN,
    /// a deliberate fault) with no `endpoints` (the step writes them from the pods' IPs).
    fn check_slices(&mut self, rendered: &Rendered) {
        let steps = rendered
            .setup
            .iter()
            .chain(&rendered.solution)
            .chain(rendered.shortcuts.iter().flat_map(|s| &s.steps))
            .chain(rendered.alternatives.iter().flat_map(|a| &a.steps));
        let mut seen = BTreeSet::new();
        for step in steps {
            let Step::ApplySlice(slice) = step else { continue };
            let Some(file) = rendered.files.get(&slice.file) else {
                continue;
            };
            if !seen.insert(&slice.file) {
                continue;
            }
            if let Some(message) = slice_file_problem(&file.objects) {
                let problem = Problem::new(self.scenario.dir.display(&slice.file), message).hint(
                    "an `applySlice` file holds one EndpointSlice (addressType IPv4, labelled kubernetes.io/service-name) and leaves `endpoints` to the step",
                );
                self.problems.push(problem);
            }
        }
    }
}

fn slice_file_problem(objects: &[Manifest]) -> Option<String> {
    let [slice] = objects else {
        return Some(format!(
            "holds {} objects, where `applySlice` needs exactly one EndpointSlice",
            objects.len()
        ));
    };
    if slice.kind != "EndpointSlice" {
        return Some(format!(
            "holds {} {}, where `applySlice` needs an EndpointSlice",
            slice.kind, slice.name
        ));
    }
    // FQDN is allowed: a slice listing IPs as FQDN is a mistake a scenario may set up.
    let address_type = slice.object.get("addressType").and_then(Value::as_str);
    if !matches!(address_type, Some("IPv4" | "FQDN")) {
        return Some(format!(
            "EndpointSlice {} has addressType {}, where pod IPs here are IPv4",
            slice.name,
            address_type.unwrap_or("(none)")
        ));
    }
    slice.object.get("endpoints").is_some().then(|| {
        format!(
            "EndpointSlice {} lists `endpoints`; `applySlice` writes them from the pods' IPs",
            slice.name
        )
    })
}

/// Names referenced as `${name}` in the strings of a value tree, each with the field path
/// (under `path`) where it is first used.
fn collect_references(value: &Value, path: &str, names: &mut BTreeMap<String, String>) {
    match value {
        Value::String(text) => {
            let mut rest = text.as_str();
            while let Some(start) = rest.find("${") {
                let after = &rest[start + 2..];
                match after.find('}') {
                    Some(end) => {
                        names.entry(after[..end].to_owned()).or_insert_with(|| path.to_owned());
                        rest = &after[end + 1..];
                    }
                    None => break,
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                collect_references(item, &format!("{path}[{i}]"), names);
            }
        }
        Value::Object(map) => {
            for (key, child) in map {
                collect_references(child, &format!("{path}.{key}"), names);
            }
        }
        _ => {}
    }
}

/// A rendered manifest file and the template it came from, to report a problem found in the
/// rendered text at the template's line.
struct Source<'a> {
    template: &'a str,
    rendered: &'a str,
    /// The template line of each rendered line, when it can be traced exactly.
    origins: Option<&'a [u64]>,
}

impl Source<'_> {
    /// The problem at its template line; with no line when the origin cannot be traced (the
    /// object and field it names still say where).
    fn problem(&self, shown: &str, found: ManifestProblem) -> Problem {
        let mut problem = Problem::new(shown, found.message);
        problem.field = found.object;
        problem.hint = found.hint;
        let index = usize::try_from(found.line).ok().and_then(|l| l.checked_sub(1));
        if let Some(line) = index.and_then(|i| self.origins?.get(i).copied()) {
            problem.line = Some(line);
            problem.column = self.column(found.line, line, found.column, found.path.as_deref());
        }
        problem
    }

    /// The column on the template line: the rendered one when the line rendered unchanged,
    /// else where the key at fault is written on it.
    fn column(&self, rendered_line: u64, line: u64, column: Option<u64>, path: Option<&str>) -> Option<u64> {
        let source = nth_line(self.template, line)?;
        if nth_line(self.rendered, rendered_line)? == source {
            return column;
        }
        let key = super::positions::last_key(path?)?;
        let at = source.match_indices(&format!("{key}:")).find_map(|(at, _)| {
            let before = source[..at].chars().next_back();
            (!before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-')).then_some(at)
        })?;
        u64::try_from(source[..at].chars().count() + 1).ok()
    }
}

fn nth_line(text: &str, line: u64) -> Option<&str> {
    text.lines().nth(usize::try_from(line.checked_sub(1)?).ok()?)
}

fn step_path_is_invalid(path: &str) -> bool {
    !Step::Apply(path.to_owned()).problems().is_empty()
}

#[cfg(test)]
mod tests {
    use super::slice_file_problem;
    use crate::scenario::manifest::parse_all;

    fn problem(text: &str) -> Option<String> {
        slice_file_problem(&parse_all(text, None).objects)
    }

    #[test]
    fn an_apply_slice_file_is_one_endpoint_slice_without_endpoints() {
        let slice = "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: db-1, namespace: s}\naddressType: IPv4\nports: [{name: db, port: 5432}]\n";
        assert_eq!(problem(slice), None);
        assert_eq!(problem(&slice.replace("IPv4", "FQDN")), None, "a deliberate fault");
        let ipv6 = problem(&slice.replace("IPv4", "IPv6")).expect("IPv6");
        assert!(ipv6.contains("addressType IPv6"), "{ipv6}");
        let listed = problem(&format!("{slice}endpoints: [{{addresses: [10.0.0.1]}}]\n")).expect("endpoints");
        assert!(listed.contains("lists `endpoints`"), "{listed}");
        let two = problem(&format!("{slice}---\n{slice}")).expect("two");
        assert!(two.contains("holds 2 objects"), "{two}");
        let service = problem("apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: s}\n").expect("kind");
        assert!(service.contains("holds Service db"), "{service}");
    }
}
