//! `http`: an HTTP request from a source returns an expected status (and body text).
//! Parameters and validation only.

use serde::{Deserialize, Serialize};

use crate::ParamProblem;
use crate::target::{Destination, Protocol, Source};

/// Parameters of an `http` check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Params {
    /// Where the request is sent from.
    pub from: Source,
    /// What it is sent to.
    pub to: Destination,
    /// Request path (default `/`).
    #[serde(default = "root")]
    pub path: String,
    /// Optional `Host` header (Ingress routing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_header: Option<String>,
    /// Expected status code (default 200).
    #[serde(default = "ok")]
    pub status: u16,
    /// Text the body must contain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_contains: Option<String>,
}

fn root() -> String {
    "/".to_owned()
}

const fn ok() -> u16 {
    200
}

impl Params {
    /// Problems in the source, destination, path and status.
    #[must_use]
    pub fn problems(&self) -> Vec<ParamProblem> {
        let mut problems = self.from.problems("from");
        problems.extend(self.to.problems("to"));
        if self.to.protocol != Protocol::Tcp {
            problems.push(ParamProblem::new("to.protocol", "HTTP runs over TCP"));
        }
        if !self.path.starts_with('/') {
            problems.push(ParamProblem::new(
                "path",
                format!("`{}` must start with `/`", self.path),
            ));
        }
        if !(100..=599).contains(&self.status) {
            problems.push(ParamProblem::new(
                "status",
                format!("{} is not an HTTP status code", self.status),
            ));
        }
        problems
    }
}
