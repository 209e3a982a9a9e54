//! `assert`: an object matches a partial tree; fields not written are ignored.
//!
//! Lists are never compared by position: the tree uses explicit operators (`$contains`,
//! `$all`, `$none`) instead. This module holds the parameters and their validation; it must
//! not fetch objects.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ParamProblem;
use crate::target::ObjectRef;

/// Operators a match tree may use, with what each takes.
pub const OPERATORS: &[(&str, &str)] = &[
    ("$contains", "a list of partial trees; each must match some element"),
    ("$all", "a partial tree; every element must match it"),
    ("$none", "a partial tree; no element may match it"),
    ("$matches", "a regular expression the string value must match"),
    ("$gte", "a number the value must be greater than or equal to"),
    ("$lte", "a number the value must be less than or equal to"),
    ("$exists", "true: the field must be present; false: absent"),
    ("$len", "the exact length of a list, map or string"),
];

/// Parameters of an `assert` check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Params {
    /// The object to inspect.
    pub target: ObjectRef,
    /// The partial tree it must match (e.g. `{spec: {selector: {app: web}}}`).
    #[serde(rename = "match")]
    pub expected: Value,
}

impl Params {
    /// Problems in the target and the match tree.
    #[must_use]
    pub fn problems(&self) -> Vec<ParamProblem> {
        let mut problems = self.target.problems("target");
        if !self.expected.is_object() {
            problems.push(ParamProblem::new("match", "`match` must be a map (a partial object)"));
        }
        tree_problems(&self.expected, "match", &mut problems);
        problems
    }
}

fn tree_problems(value: &Value, path: &str, problems: &mut Vec<ParamProblem>) {
    match value {
        Value::Array(_) => problems.push(ParamProblem::new(
            path,
            "lists are not compared by position; use `$contains`, `$all` or `$none`",
        )),
        Value::Object(map) => {
            for (key, child) in map {
                let child_path = format!("{path}.{key}");
                if key.starts_with('$') {
                    operator_problems(key, child, &child_path, problems);
                } else {
                    tree_problems(child, &child_path, problems);
                }
            }
        }
        _ => {}
    }
}

fn operator_problems(op: &str, arg: &Value, path: &str, problems: &mut Vec<ParamProblem>) {
    let fits = match op {
        "$contains" => match arg {
            Value::Array(items) => {
                for item in items {
                    tree_problems(item, path, problems);
                }
                true
            }
            _ => false,
        },
        "$all" | "$none" => {
            tree_problems(arg, path, problems);
            !arg.is_array()
        }
        "$matches" => match arg.as_str() {
            Some(pattern) => {
                if let Err(e) = regex::Regex::new(pattern) {
                    problems.push(ParamProblem::new(path, format!("invalid regular expression: {e}")));
                }
                true
            }
            None => false,
        },
        "$gte" | "$lte" => arg.is_number(),
        "$exists" => arg.is_boolean(),
        "$len" => arg.is_u64(),
        _ => {
            let known: Vec<&str> = OPERATORS.iter().map(|(name, _)| *name).collect();
            problems.push(ParamProblem::new(
                path,
                format!("unknown operator `{op}`; known: {}", known.join(", ")),
            ));
            return;
        }
    };
    if !fits {
        let takes = OPERATORS.iter().find(|(name, _)| *name == op).map_or("", |(_, t)| *t);
        problems.push(ParamProblem::new(path, format!("`{op}` takes {takes}")));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Params;

    fn problems(expected: &serde_json::Value) -> Vec<String> {
        let params: Params = serde_json::from_value(json!({
            "target": {"kind": "Service", "name": "web", "namespace": "shop"},
            "match": expected.clone(),
        }))
        .expect("valid shape");
        params
            .problems()
            .into_iter()
            .map(|p| format!("{}: {}", p.field, p.message))
            .collect()
    }

    #[test]
    fn accepts_operators_used_correctly() {
        let tree = json!({
            "spec": {
                "selector": {"app": "web"},
                "ports": {"$contains": [{"port": 80, "targetPort": 8080}]},
                "replicas": {"$gte": 2},
                "clusterIP": {"$matches": "^10\\."},
                "externalName": {"$exists": false},
            }
        });
        assert_eq!(problems(&tree), Vec::<String>::new());
    }

    #[test]
    fn rejects_positional_lists_unknown_operators_and_bad_arguments() {
        let found = problems(&json!({"spec": {"ports": [{"port": 80}]}}));
        assert!(
            found[0].starts_with("match.spec.ports:") && found[0].contains("$contains"),
            "{found:?}"
        );
        assert!(problems(&json!({"spec": {"$has": 1}}))[0].contains("unknown operator `$has`"));
        assert!(problems(&json!({"a": {"$gte": "2"}}))[0].contains("takes a number"));
        assert!(problems(&json!({"a": {"$matches": "("}}))[0].contains("invalid regular expression"));
        assert!(problems(&json!({"a": {"$contains": {"x": 1}}}))[0].contains("takes a list"));
        assert!(problems(&json!("web"))[0].contains("must be a map"));
    }
}
