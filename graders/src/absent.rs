//! `absent`: an object does not exist. Parameters and validation only; no fetching here.

use serde::{Deserialize, Serialize};

use crate::ParamProblem;
use crate::target::ObjectRef;

/// Parameters of an `absent` check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Params {
    /// The object that must not exist.
    pub target: ObjectRef,
}

impl Params {
    /// Problems in the target.
    #[must_use]
    pub fn problems(&self) -> Vec<ParamProblem> {
        self.target.problems("target")
    }
}
