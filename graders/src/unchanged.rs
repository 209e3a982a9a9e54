//! `unchanged`: an object (or listed field paths) equals its state right after setup.
//!
//! The anti-shortcut workhorse ("fix the Service, not the pods"). Parameters and validation
//! only; the baseline is recorded by the cluster layer, compared by the grader.

use serde::{Deserialize, Serialize};

use crate::ParamProblem;
use crate::target::ObjectRef;

/// Parameters of an `unchanged` check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Params {
    /// The object to compare with its post-setup state.
    pub target: ObjectRef,
    /// Dotted field paths to compare (e.g. `spec.template.metadata.labels`); empty: the whole
    /// `spec` (or `data` for a ConfigMap).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
}

impl Params {
    /// Problems in the target and the paths.
    #[must_use]
    pub fn problems(&self) -> Vec<ParamProblem> {
        let mut problems = self.target.problems("target");
        for (i, path) in self.paths.iter().enumerate() {
            if path.is_empty() || path.split('.').any(str::is_empty) {
                problems.push(ParamProblem::new(
                    format!("paths[{i}]"),
                    format!("`{path}` is not a dotted field path like `spec.selector`"),
                ));
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::Params;
    use crate::target::{ObjectKind, ObjectRef};

    #[test]
    fn rejects_empty_path_segments() {
        let params = Params {
            target: ObjectRef {
                kind: ObjectKind::Deployment,
                name: "web".into(),
                namespace: Some("shop".into()),
            },
            paths: vec![
                "spec.template.metadata.labels".into(),
                "spec..selector".into(),
                String::new(),
            ],
        };
        let fields: Vec<String> = params.problems().into_iter().map(|p| p.field).collect();
        assert_eq!(fields, ["paths[1]", "paths[2]"]);
    }
}
