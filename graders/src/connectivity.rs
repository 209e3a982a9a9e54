//! `connectivity`: a live probe from a source to a destination, expected `allowed` or
//! `blocked`; `blocked` must hold for `stableFor` so a policy not yet enforced cannot let a
//! wrong answer pass. Parameters and validation only; probing is the cluster layer's job.

use serde::{Deserialize, Serialize};

use crate::ParamProblem;
use crate::duration::Duration;
use crate::target::{Destination, Expectation, Source};

/// Parameters of a `connectivity` check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Params {
    /// Where the probe runs.
    pub from: Source,
    /// What it connects to.
    pub to: Destination,
    /// The expected outcome.
    pub expect: Expectation,
    /// With `blocked`: how long the connection must keep failing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stable_for: Option<Duration>,
}

impl Params {
    /// Problems in the source, destination and stabilisation.
    #[must_use]
    pub fn problems(&self) -> Vec<ParamProblem> {
        let mut problems = self.from.problems("from");
        problems.extend(self.to.problems("to"));
        if self.to.by_name && self.expect == Expectation::Blocked {
            problems.push(ParamProblem::new(
                "to.byName",
                "probe blocked flows by ClusterIP: a DNS failure would hide whether the flow itself is blocked",
            ));
        }
        if self.stable_for.is_some() && self.expect == Expectation::Allowed {
            problems.push(ParamProblem::new(
                "stableFor",
                "`stableFor` only applies to `expect: blocked`",
            ));
        }
        problems
    }
}
