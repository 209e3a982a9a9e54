//! `endpoints`: a Service has at least N ready endpoints (from EndpointSlices), optionally on a
//! given port. Parameters and validation only.

use serde::{Deserialize, Serialize};

use crate::ParamProblem;
use crate::names::check_dns1123_label;
use crate::selector::LabelSelector;
use crate::target::{PortRef, namespace_problem, selector_problems};

/// Parameters of an `endpoints` check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Params {
    /// The Service name.
    pub service: String,
    /// The Service namespace.
    pub namespace: String,
    /// Only endpoints serving this Service port (number or name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<PortRef>,
    /// At least this many ready endpoints (default 1).
    #[serde(default = "one")]
    pub min_ready: u32,
    /// Every ready endpoint's pod must match this selector: endpoints served by stray or
    /// relabelled pods do not count (the "make the pods match the wrong selector" shortcut).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_selector: Option<LabelSelector>,
}

const fn one() -> u32 {
    1
}

impl Params {
    /// Problems in the names, the port and the count.
    #[must_use]
    pub fn problems(&self) -> Vec<ParamProblem> {
        let mut problems = Vec::new();
        if let Err(e) = check_dns1123_label(&self.service) {
            problems.push(ParamProblem::new("service", e));
        }
        problems.extend(namespace_problem(&self.namespace, "service"));
        if let Some(port) = &self.port {
            problems.extend(port.problems("port"));
        }
        if let Some(selector) = &self.pod_selector {
            problems.extend(selector_problems(selector, "podSelector"));
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
