//! The scenario file format v1 (`scenario.yaml`), as serde types with unknown fields rejected.
//!
//! Templated sections (setup, checks' `with`, solution, shortcuts' steps) are kept as value
//! trees with their position here and only become typed after rendering (see `render`). This
//! module only describes the format; it must not read files or render.

use std::fmt;

use graders::Duration;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_saphyr::Spanned;

use super::params::ParamSpec;

/// The only format version this kubedrill reads.
pub const API_VERSION: &str = "kubedrill.dev/v1";

/// A parsed `scenario.yaml`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScenarioFile {
    /// Must be [`API_VERSION`].
    pub api_version: Spanned<String>,
    /// Kebab-case, equal to the folder name.
    pub id: Spanned<String>,
    /// One line for the catalogue.
    pub title: String,
    /// CKA curriculum domain.
    pub domain: Domain,
    /// How hard it is.
    pub difficulty: Difficulty,
    /// Time allowed, e.g. `8m`.
    pub time_limit: Spanned<Duration>,
    /// Weight in exam mode (default 1).
    #[serde(default = "default_weight")]
    pub weight: u32,
    /// Free-form tags for filtering.
    #[serde(default)]
    pub tags: Vec<String>,
    /// What cluster it needs.
    pub cluster: ClusterRequirements,
    /// Values drawn per attempt, in declaration order.
    #[serde(default)]
    pub params: IndexMap<String, Spanned<ParamSpec>>,
    /// Ordered setup steps (templated).
    pub setup: Vec<Spanned<Value>>,
    /// Markdown the learner reads (templated).
    pub task: Spanned<String>,
    /// Timed hints (templated text).
    #[serde(default)]
    pub hints: Vec<Spanned<HintSpec>>,
    /// Root cause, shown after grading (templated).
    pub explanation: Spanned<String>,
    /// What is graded.
    pub checks: Vec<Spanned<CheckEntry>>,
    /// Reference solution steps (templated).
    #[serde(default)]
    pub solution: Vec<Spanned<Value>>,
    /// Known shortcuts that must not earn full marks.
    #[serde(default)]
    pub shortcuts: Vec<Spanned<ShortcutEntry>>,
    /// Other correct fixes, each of which must earn full marks like the reference solution.
    #[serde(default)]
    pub alternatives: Vec<Spanned<AlternativeEntry>>,
    /// Mutants of the solution the checks are allowed not to catch, each with its reason.
    #[serde(default)]
    pub accepted: Vec<Spanned<AcceptedMutant>>,
}

/// Another correct fix.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlternativeEntry {
    /// Unique, kebab-case.
    pub id: String,
    /// How it differs from the reference solution.
    pub description: String,
    /// Applied on the broken state instead of the solution (templated).
    pub steps: Vec<Spanned<Value>>,
}

/// A surviving mutant the author accepts.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcceptedMutant {
    /// The mutant's id as `scenario lint` reports it (with seed 1).
    pub mutant: String,
    /// Why the checks need not catch it.
    pub reason: String,
}

const fn default_weight() -> u32 {
    1
}

/// CKA curriculum domains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Domain {
    /// Services & Networking.
    #[value(alias = "networking")]
    ServicesNetworking,
    /// Troubleshooting.
    Troubleshooting,
    /// Cluster Architecture, Installation & Configuration.
    ClusterArchitecture,
    /// Workloads & Scheduling.
    WorkloadsScheduling,
    /// Storage.
    Storage,
}

/// Difficulty levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Difficulty {
    /// One fault, one object.
    Easy,
    /// One fault needing a few objects' worth of reasoning.
    Medium,
    /// Several faults or cluster components.
    Hard,
}

/// Cluster profiles: which CNI the kind cluster runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// kind's default CNI; enforces NetworkPolicy.
    Kindnet,
    /// Flannel; does not enforce NetworkPolicy.
    Flannel,
    /// Calico; enforces NetworkPolicy.
    Calico,
}

impl Profile {
    /// Whether NetworkPolicy is enforced on this profile.
    #[must_use]
    pub const fn enforces_network_policy(self) -> bool {
        !matches!(self, Self::Flannel)
    }
}

macro_rules! display_as_serde {
    ($($ty:ty),*) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let value = serde_json::to_value(self).map_err(|_| fmt::Error)?;
                f.write_str(value.as_str().ok_or(fmt::Error)?)
            }
        }
    )*};
}
display_as_serde!(Domain, Difficulty, Profile, Addon);

/// What cluster a scenario needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterRequirements {
    /// CNI profile.
    pub profile: Profile,
    /// Worker nodes besides the control plane (default 1, at most 3).
    #[serde(default = "default_workers")]
    pub workers: u8,
    /// Add-ons the scenario needs on top of the profile; each provides custom kinds its
    /// manifests may use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addons: Vec<Addon>,
}

/// An add-on a scenario declares in `cluster.addons`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Addon {
    /// The Gateway API's standard-channel CRDs (`Gateway`, `HTTPRoute`...).
    GatewayApi,
}

/// Most networking faults need a second node to show cross-node traffic.
const fn default_workers() -> u8 {
    1
}

/// Most workers a scenario may ask for (memory on learners' laptops).
pub const MAX_WORKERS: u8 = 3;

/// A timed hint.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HintSpec {
    /// Unlocked this long after the timer starts.
    pub after: Duration,
    /// Points deducted when taken before time (default 0).
    #[serde(default)]
    pub penalty: u32,
    /// The hint (templated).
    pub text: String,
}

/// One check as written: grader id and `with` parameters kept raw until rendering.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CheckEntry {
    /// Unique, kebab-case.
    pub id: String,
    /// A grader id from the graders crate.
    pub grader: String,
    /// Points earned when it passes (objectives only).
    #[serde(default)]
    pub points: Option<u32>,
    /// A guard: what must stay true. It earns nothing; when it fails, the objectives it
    /// protects earn nothing.
    #[serde(default)]
    pub guard: bool,
    /// The objectives a guard protects (default: all of them).
    #[serde(default)]
    pub protects: Option<Vec<String>>,
    /// One learner-facing sentence (templated).
    pub description: String,
    /// What to look at when it fails (templated).
    #[serde(default)]
    pub hint: Option<String>,
    /// Poll deadline.
    #[serde(default)]
    pub timeout: Option<Duration>,
    /// Poll interval.
    #[serde(default)]
    pub interval: Option<Duration>,
    /// Grader parameters (templated; `${name}` refers to a binding).
    #[serde(default)]
    pub with: Option<Spanned<Value>>,
    /// Values read from the observed state when grading (templated).
    #[serde(default)]
    pub bindings: Option<Spanned<Value>>,
}

/// A known shortcut.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ShortcutEntry {
    /// Unique, kebab-case.
    pub id: String,
    /// What the learner does instead of the real fix.
    pub description: String,
    /// Applied on the broken state instead of the solution (templated).
    pub steps: Vec<Spanned<Value>>,
    /// Check ids that must fail after these steps.
    pub fails: Vec<String>,
}
