//! Bindings: values a check takes from the observed state at grading time (a Service's
//! ClusterIP, its nodePort, a node's InternalIP), referenced in parameters as `${name}`.
//!
//! Typed, so lint can validate parameters with a sample of the right type before any cluster
//! exists. Resolution is pure: state in, values out.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ParamProblem;
use crate::state::ClusterState;
use crate::target::ObjectRef;

/// What a binding yields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BindingType {
    /// An IP address (text).
    Ip,
    /// A port number.
    Port,
    /// Any text.
    Text,
}

impl BindingType {
    /// A value of this type, standing in for the real one when validating parameters.
    #[must_use]
    pub fn sample(self) -> Value {
        match self {
            Self::Ip => Value::from("10.96.0.1"),
            Self::Port => Value::from(30_000),
            Self::Text => Value::from("sample"),
        }
    }
}

/// Where a binding's value comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Binding {
    /// The object.
    pub from: ObjectRef,
    /// A path into it: `spec.clusterIP`, `spec.ports[0].nodePort`,
    /// `status.addresses[type=InternalIP].address`.
    pub path: String,
    /// What it yields.
    #[serde(rename = "type")]
    pub value_type: BindingType,
}

/// A binding that could not be resolved.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unresolved(pub String);

/// One step of a binding path.
#[derive(Debug, PartialEq, Eq)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
    Filter(&'a str, &'a str),
}

fn parse_path(path: &str) -> Option<Vec<Step<'_>>> {
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if key.is_empty() {
            return None;
        }
        steps.push(Step::Key(key));
        while !rest.is_empty() {
            let (inner, after) = rest.split_once(']')?;
            steps.push(match inner.split_once('=') {
                Some((k, v)) if !k.is_empty() => Step::Filter(k, v),
                Some(_) => return None,
                None => Step::Index(inner.parse().ok()?),
            });
            rest = after.strip_prefix('[').unwrap_or(after);
            if !after.is_empty() && !after.starts_with('[') {
                return None;
            }
        }
    }
    Some(steps)
}

impl Binding {
    /// Syntax problems, with `field` naming where this binding sits.
    #[must_use]
    pub fn problems(&self, field: &str) -> Vec<ParamProblem> {
        let mut problems = self.from.problems(&format!("{field}.from"));
        if parse_path(&self.path).is_none() {
            problems.push(ParamProblem::new(
                format!("{field}.path"),
                format!(
                    "`{}` is not a path like `spec.ports[0].nodePort` or `status.addresses[type=InternalIP].address`",
                    self.path
                ),
            ));
        }
        problems
    }

    /// The value in `state`.
    pub fn resolve(&self, state: &ClusterState) -> Result<Value, Unresolved> {
        let object = state
            .get_json(self.from.kind, self.from.namespace.as_deref(), &self.from.name)
            .ok_or_else(|| Unresolved(format!("{} does not exist", self.from)))?;
        let steps = parse_path(&self.path).ok_or_else(|| Unresolved(format!("bad path `{}`", self.path)))?;
        let mut value = &object;
        for step in &steps {
            let next = match step {
                Step::Key(key) => value.get(key),
                Step::Index(i) => value.get(i),
                Step::Filter(key, wanted) => value.as_array().and_then(|items| {
                    items
                        .iter()
                        .find(|item| item.get(key).and_then(Value::as_str) == Some(wanted))
                }),
            };
            value = next.ok_or_else(|| Unresolved(format!("{} has no `{}`", self.from, self.path)))?;
        }
        let fits = match self.value_type {
            BindingType::Port => value.as_u64().is_some_and(|p| (1..=65_535).contains(&p)),
            BindingType::Ip => value.as_str().is_some_and(|s| s.parse::<std::net::IpAddr>().is_ok()),
            BindingType::Text => value.is_string(),
        };
        if fits {
            Ok(value.clone())
        } else {
            Err(Unresolved(format!(
                "{} `{}` is {value}, not a {:?}",
                self.from, self.path, self.value_type
            )))
        }
    }
}

/// Replace `${name}` in every string of `value`: a string that is exactly one reference takes
/// the bound value's type; references inside longer strings are replaced by its text.
#[must_use]
pub fn substitute(value: &Value, values: &BTreeMap<String, Value>) -> Value {
    match value {
        Value::String(text) => {
            if let Some(bound) = text
                .strip_prefix("${")
                .and_then(|t| t.strip_suffix('}'))
                .and_then(|name| values.get(name))
            {
                return bound.clone();
            }
            let mut out = text.clone();
            for (name, bound) in values {
                let shown = bound.as_str().map_or_else(|| bound.to_string(), str::to_owned);
                out = out.replace(&format!("${{{name}}}"), &shown);
            }
            Value::String(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|i| substitute(i, values)).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), substitute(v, values))).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::{Binding, BindingType, Step, parse_path, substitute};
    use crate::state::ClusterState;
    use crate::target::{ObjectKind, ObjectRef};

    fn binding(kind: ObjectKind, name: &str, namespace: Option<&str>, path: &str, value_type: BindingType) -> Binding {
        Binding {
            from: ObjectRef {
                kind,
                name: name.into(),
                namespace: namespace.map(Into::into),
            },
            path: path.into(),
            value_type,
        }
    }

    #[test]
    fn paths_with_indexes_and_filters() {
        assert_eq!(
            parse_path("spec.ports[0].nodePort"),
            Some(vec![
                Step::Key("spec"),
                Step::Key("ports"),
                Step::Index(0),
                Step::Key("nodePort")
            ])
        );
        assert_eq!(
            parse_path("status.addresses[type=InternalIP].address"),
            Some(vec![
                Step::Key("status"),
                Step::Key("addresses"),
                Step::Filter("type", "InternalIP"),
                Step::Key("address")
            ])
        );
        for bad in ["", "spec..x", "ports[x]", "ports[0", "ports[=a]", "ports[0]x"] {
            assert_eq!(parse_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn resolves_cluster_ips_node_ports_and_node_addresses() {
        let state = ClusterState::from_objects([
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
                "spec": {"type": "NodePort", "clusterIP": "10.96.3.4", "ports": [{"port": 80, "nodePort": 30080}]}}),
            json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "kind-worker"},
                "status": {"addresses": [{"type": "Hostname", "address": "kind-worker"}, {"type": "InternalIP", "address": "172.18.0.3"}]}}),
        ])
        .expect("state");
        let svc = |path, t| binding(ObjectKind::Service, "web", Some("shop"), path, t).resolve(&state);
        assert_eq!(svc("spec.clusterIP", BindingType::Ip), Ok(json!("10.96.3.4")));
        assert_eq!(svc("spec.ports[0].nodePort", BindingType::Port), Ok(json!(30080)));
        assert!(svc("spec.ports[1].nodePort", BindingType::Port).is_err());
        assert!(svc("spec.type", BindingType::Ip).is_err(), "type-checked");
        let node = binding(
            ObjectKind::Node,
            "kind-worker",
            None,
            "status.addresses[type=InternalIP].address",
            BindingType::Ip,
        );
        assert_eq!(node.resolve(&state), Ok(json!("172.18.0.3")));
        assert!(
            binding(
                ObjectKind::Service,
                "gone",
                Some("shop"),
                "spec.clusterIP",
                BindingType::Ip
            )
            .resolve(&state)
            .is_err()
        );
    }

    #[test]
    fn substitution_keeps_types_for_whole_references() {
        let values: BTreeMap<String, serde_json::Value> = [
            ("port".to_owned(), json!(30080)),
            ("ip".to_owned(), json!("172.18.0.3")),
        ]
        .into_iter()
        .collect();
        let with = json!({"to": {"host": "${ip}", "port": "${port}"}, "path": "/x?from=${ip}:${port}", "n": 3});
        assert_eq!(
            substitute(&with, &values),
            json!({"to": {"host": "172.18.0.3", "port": 30080}, "path": "/x?from=172.18.0.3:30080", "n": 3})
        );
    }
}
