//! `reachability`: a static assertion answered by the reachability analyzer over the observed
//! state, with no traffic (e.g. "a pod labelled role=stranger cannot reach the api").
//! Parameters and validation only.

use serde::{Deserialize, Serialize};

use crate::ParamProblem;
use crate::target::{Destination, Expectation, PodSet};

/// Parameters of a `reachability` check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Params {
    /// Source pods (a hypothetical pod with exactly `matchLabels` when none exists).
    pub from: PodSet,
    /// Destination.
    pub to: Destination,
    /// Expected verdict of the analysis.
    pub expect: Expectation,
}

impl Params {
    /// Problems in the source set and destination.
    #[must_use]
    pub fn problems(&self) -> Vec<ParamProblem> {
        let mut problems = self.from.problems("from");
        problems.extend(self.to.problems("to"));
        if self.to.host.is_some() || self.to.node.is_some() {
            problems.push(ParamProblem::new(
                "to",
                "the analyzer reasons about `service` and `pod` destinations only",
            ));
        }
        problems
    }
}
