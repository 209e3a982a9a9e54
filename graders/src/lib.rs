//! Pure grading for kubedrill: the check vocabulary (typed parameters and their validation),
//! the observed cluster-state model, evaluation into verdicts, and scoring.
//!
//! This crate never does I/O and never prints: it knows nothing of files, templates, clusters or
//! terminals. The `kubedrill` crate renders scenario files and observes clusters, then hands
//! checks and observations here as data; a failed check is data too, never an `Err`.
//!
//! # How to add a grader
//!
//! 1. Pick a kebab-case id; create `src/<id_with_underscores>.rs` with a `Params` struct
//!    (`#[serde(rename_all = "camelCase", deny_unknown_fields)]`) and `fn problems(&self)`
//!    returning every semantic mistake an author can make (types are serde's job).
//! 2. Add a variant to [`CheckSpec`] (serde renames it to the kebab-case id), a line to
//!    [`GRADERS`], and an arm to [`CheckSpec::problems`].
//! 3. Write its evaluation in `eval.rs` (pure: [`state::Observation`] in, [`verdict::Verdict`]
//!    out, with a one-sentence message and the equivalent `kubectl` command as evidence) and
//!    say what it needs observed in `needs.rs`.
//! 4. Table-test `problems` beside the module and the evaluation in `tests/eval.rs`, including
//!    the states that would let a wrong answer pass.
//! 5. Document the parameters in `scenarios/README.md` and use the grader in a scenario: lint
//!    proves every example renders and validates.

pub mod absent;
pub mod address;
pub mod analyzer;
pub mod assert;
pub mod binding;
pub mod connectivity;
pub mod dns;
pub mod duration;
pub mod endpoints;
pub mod eval;
pub mod gateway;
pub mod http;
pub mod names;
pub mod needs;
pub mod pods_ready;
pub mod predict;
pub mod reachability;
pub mod rollout;
pub mod score;
pub mod selector;
pub mod settle;
pub mod state;
pub mod stream;
pub mod target;
pub mod tree;
pub mod unchanged;
pub mod verdict;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use duration::Duration;

/// Every grader id with a one-line summary, in the order the documentation lists them.
pub const GRADERS: &[(&str, &str)] = &[
    (
        "assert",
        "an object matches a partial tree (explicit list and value operators)",
    ),
    ("absent", "an object does not exist"),
    (
        "unchanged",
        "an object, or listed field paths, equal their state right after setup",
    ),
    (
        "rollout",
        "a Deployment/DaemonSet/StatefulSet is fully rolled out and Ready",
    ),
    (
        "endpoints",
        "a Service has at least N ready endpoints, optionally on a port",
    ),
    ("pods-ready", "at least N pods matching a selector are Ready"),
    (
        "connectivity",
        "a live probe from a source to a destination is allowed or blocked",
    ),
    (
        "dns",
        "a name resolves (optionally to a Service ClusterIP) from a source pod",
    ),
    (
        "http",
        "an HTTP request from a source returns the expected status and body",
    ),
    (
        "reachability",
        "the analyzer predicts a flow allowed or blocked, without traffic",
    ),
];

/// A check's grader and typed parameters, as written under `grader:` and `with:`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "grader", content = "with", rename_all = "kebab-case")]
pub enum CheckSpec {
    /// See [`assert`].
    Assert(assert::Params),
    /// See [`absent`].
    Absent(absent::Params),
    /// See [`unchanged`].
    Unchanged(unchanged::Params),
    /// See [`rollout`].
    Rollout(rollout::Params),
    /// See [`endpoints`].
    Endpoints(endpoints::Params),
    /// See [`pods_ready`].
    PodsReady(pods_ready::Params),
    /// See [`connectivity`].
    Connectivity(connectivity::Params),
    /// See [`dns`].
    Dns(dns::Params),
    /// See [`http`].
    Http(http::Params),
    /// See [`reachability`].
    Reachability(reachability::Params),
}

impl CheckSpec {
    /// The kebab-case grader id.
    #[must_use]
    pub const fn grader_id(&self) -> &'static str {
        match self {
            Self::Assert(_) => "assert",
            Self::Absent(_) => "absent",
            Self::Unchanged(_) => "unchanged",
            Self::Rollout(_) => "rollout",
            Self::Endpoints(_) => "endpoints",
            Self::PodsReady(_) => "pods-ready",
            Self::Connectivity(_) => "connectivity",
            Self::Dns(_) => "dns",
            Self::Http(_) => "http",
            Self::Reachability(_) => "reachability",
        }
    }

    /// Whether the grader sends traffic inside the cluster (needs a probe).
    #[must_use]
    pub const fn is_probe(&self) -> bool {
        matches!(self, Self::Connectivity(_) | Self::Dns(_) | Self::Http(_))
    }

    /// Semantic problems in the parameters; fields are relative to `with`.
    #[must_use]
    pub fn problems(&self) -> Vec<ParamProblem> {
        match self {
            Self::Assert(p) => p.problems(),
            Self::Absent(p) => p.problems(),
            Self::Unchanged(p) => p.problems(),
            Self::Rollout(p) => p.problems(),
            Self::Endpoints(p) => p.problems(),
            Self::PodsReady(p) => p.problems(),
            Self::Connectivity(p) => p.problems(),
            Self::Dns(p) => p.problems(),
            Self::Http(p) => p.problems(),
            Self::Reachability(p) => p.problems(),
        }
    }
}

/// One graded check: what the learner is scored on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// Unique within the scenario, kebab-case.
    pub id: String,
    /// Points earned when it passes (partial credit is per check); 0 for a guard.
    pub points: u32,
    /// Set when the check is a guard: it earns nothing and gates the objectives it protects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard: Option<score::Guard>,
    /// What it verifies, in one learner-facing sentence.
    pub description: String,
    /// What to look at when it fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// How long to poll for the expectation before failing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// How often to poll.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<Duration>,
    /// The grader and its parameters (validated with binding samples in place).
    #[serde(flatten)]
    pub spec: CheckSpec,
    /// Values taken from the observed state at grading time, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bindings: BTreeMap<String, binding::Binding>,
    /// With bindings: the parameters with their `${name}` references, resolved when grading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound_with: Option<serde_json::Value>,
}

impl Check {
    /// The parameters to evaluate against `state`: bindings resolved and substituted.
    pub fn resolved_spec(&self, state: &state::ClusterState) -> Result<CheckSpec, binding::Unresolved> {
        let Some(with) = self.bound_with.as_ref().filter(|_| !self.bindings.is_empty()) else {
            return Ok(self.spec.clone());
        };
        let mut values = BTreeMap::new();
        for (name, binding) in &self.bindings {
            values.insert(name.clone(), binding.resolve(state)?);
        }
        let with = binding::substitute(with, &values);
        serde_json::from_value(serde_json::json!({"grader": self.spec.grader_id(), "with": with}))
            .map_err(|e| binding::Unresolved(format!("bound parameters do not fit the grader: {e}")))
    }
}

/// A semantic problem in a grader's parameters, naming the field (relative to `with`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParamProblem {
    /// Dotted field path, e.g. `to.port`.
    pub field: String,
    /// What is wrong and what to write instead.
    pub message: String,
}

impl ParamProblem {
    /// A problem at `field`.
    #[must_use]
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{CheckSpec, GRADERS};

    #[test]
    fn every_listed_grader_parses_by_its_id() {
        let samples = [
            json!({"grader": "assert", "with": {"target": {"kind": "Service", "name": "web", "namespace": "s"}, "match": {"spec": {}}}}),
            json!({"grader": "absent", "with": {"target": {"kind": "Pod", "name": "web", "namespace": "s"}}}),
            json!({"grader": "unchanged", "with": {"target": {"kind": "Deployment", "name": "web", "namespace": "s"}}}),
            json!({"grader": "rollout", "with": {"target": {"kind": "Deployment", "name": "web", "namespace": "s"}}}),
            json!({"grader": "endpoints", "with": {"service": "web", "namespace": "s"}}),
            json!({"grader": "pods-ready", "with": {"namespace": "s", "selector": {"matchLabels": {"app": "web"}}}}),
            json!({"grader": "connectivity", "with": {"from": {"namespace": "s", "probeLabels": {"app": "c"}}, "to": {"service": "web", "namespace": "s", "port": 80}, "expect": "allowed"}}),
            json!({"grader": "dns", "with": {"from": {"namespace": "s", "probeLabels": {"app": "c"}}, "name": "web.s.svc.cluster.local"}}),
            json!({"grader": "http", "with": {"from": {"namespace": "s", "probeLabels": {"app": "c"}}, "to": {"service": "web", "namespace": "s", "port": 80}}}),
            json!({"grader": "reachability", "with": {"from": {"namespace": "s", "selector": {"matchLabels": {"app": "c"}}}, "to": {"service": "web", "namespace": "s", "port": 80}, "expect": "blocked"}}),
        ];
        assert_eq!(samples.len(), GRADERS.len());
        for (sample, (id, _)) in samples.into_iter().zip(GRADERS) {
            let spec: CheckSpec = serde_json::from_value(sample).expect("sample parses");
            assert_eq!(spec.grader_id(), *id);
            assert_eq!(spec.problems(), Vec::new(), "{id}");
        }
    }

    #[test]
    fn unknown_grader_and_unknown_field_are_rejected() {
        let err =
            serde_json::from_value::<CheckSpec>(json!({"grader": "endpoint", "with": {}})).expect_err("unknown grader");
        assert!(err.to_string().contains("unknown variant `endpoint`"), "{err}");
        let err = serde_json::from_value::<CheckSpec>(
            json!({"grader": "endpoints", "with": {"service": "web", "namespace": "s", "minready": 2}}),
        )
        .expect_err("unknown field");
        assert!(err.to_string().contains("unknown field `minready`"), "{err}");
    }

    #[test]
    fn stable_for_with_allowed_is_a_problem() {
        let spec: CheckSpec = serde_json::from_value(json!({"grader": "connectivity", "with": {
            "from": {"namespace": "s", "probeLabels": {"app": "c"}},
            "to": {"service": "web", "namespace": "s", "port": 80},
            "expect": "allowed", "stableFor": "10s"}}))
        .expect("parses");
        assert_eq!(spec.problems()[0].field, "stableFor");
    }
}
