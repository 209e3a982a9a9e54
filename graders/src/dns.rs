//! `dns`: a name resolves (optionally to a Service's ClusterIP) from a source pod, or must
//! fail to resolve. Parameters and validation only.

use serde::{Deserialize, Serialize};

use crate::ParamProblem;
use crate::names::check_dns1123_label;
use crate::target::{Source, namespace_problem};

/// The expected DNS outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DnsExpectation {
    /// The name resolves.
    #[default]
    Resolves,
    /// The name does not resolve (NXDOMAIN or no answer).
    Fails,
}

/// A Service whose ClusterIP the answer must equal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceRef {
    /// Service name.
    pub name: String,
    /// Service namespace.
    pub namespace: String,
}

/// Parameters of a `dns` check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Params {
    /// Where the lookup runs.
    pub from: Source,
    /// The name to look up (prefer a fully qualified name).
    pub name: String,
    /// Whether it must resolve or fail.
    #[serde(default)]
    pub expect: DnsExpectation,
    /// The answer must be this Service's ClusterIP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolves_to_service: Option<ServiceRef>,
}

impl Params {
    /// Problems in the source, the name and the expected answer.
    #[must_use]
    pub fn problems(&self) -> Vec<ParamProblem> {
        let mut problems = self.from.problems("from");
        let name = self.name.trim_end_matches('.');
        if name.is_empty() || name.split('.').any(|label| check_dns1123_label(label).is_err()) {
            problems.push(ParamProblem::new("name", format!("`{}` is not a DNS name", self.name)));
        }
        if let Some(service) = &self.resolves_to_service {
            if self.expect == DnsExpectation::Fails {
                problems.push(ParamProblem::new(
                    "resolvesToService",
                    "`resolvesToService` contradicts `expect: fails`",
                ));
            }
            if let Err(e) = check_dns1123_label(&service.name) {
                problems.push(ParamProblem::new("resolvesToService.name", e));
            }
            problems.extend(namespace_problem(&service.namespace, "resolvesToService"));
        }
        problems
    }
}
