//! `rollout`: a Deployment, DaemonSet or StatefulSet is fully rolled out and Ready.
//! Parameters and validation only.

use serde::{Deserialize, Serialize};

use crate::ParamProblem;
use crate::target::ObjectRef;

/// Parameters of a `rollout` check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Params {
    /// The workload.
    pub target: ObjectRef,
}

impl Params {
    /// Problems in the target, including kinds that have no rollout.
    #[must_use]
    pub fn problems(&self) -> Vec<ParamProblem> {
        let mut problems = self.target.problems("target");
        if !self.target.kind.has_rollout() {
            problems.push(ParamProblem::new(
                "target.kind",
                format!(
                    "a {} has no rollout; use Deployment, DaemonSet or StatefulSet",
                    self.target.kind
                ),
            ));
        }
        problems
    }
}
