//! `pods-ready`: at least N pods matching a selector are Ready (condition `Ready=True`, not a
//! text match on "Ready"), optionally with a restart ceiling. Parameters and validation only.

use serde::{Deserialize, Serialize};

use crate::ParamProblem;
use crate::selector::LabelSelector;
use crate::target::{namespace_problem, selector_problems};

/// Parameters of a `pods-ready` check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Params {
    /// The pods' namespace.
    pub namespace: String,
    /// Which pods.
    pub selector: LabelSelector,
    /// At least this many Ready (default 1).
    #[serde(default = "one")]
    pub min_ready: u32,
    /// Fail when any selected pod's container restarted more often than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_restarts: Option<u32>,
}

const fn one() -> u32 {
    1
}

impl Params {
    /// Problems in the namespace, selector and count.
    #[must_use]
    pub fn problems(&self) -> Vec<ParamProblem> {
        let mut problems: Vec<ParamProblem> = namespace_problem(&self.namespace, "pods").into_iter().collect();
        problems.extend(selector_problems(&self.selector, "selector"));
        if self.selector.is_empty() {
            problems.push(ParamProblem::new(
                "selector",
                "an empty selector matches every pod; name the pods",
            ));
        }
        if self.min_ready == 0 {
            problems.push(ParamProblem::new(
                "minReady",
                "`minReady: 0` always passes; use 1 or more",
            ));
        }
        problems
    }
}
