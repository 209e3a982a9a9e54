//! Rendered manifests parsed as Kubernetes objects: multi-document YAML -> typed objects
//! (k8s-openapi) with unknown fields detected, so a template mistake is caught at lint time,
//! not on the cluster.
//!
//! Pure: text in, objects or problems out. Applying objects is the cluster module's job.

use k8s_openapi::api::{apps::v1 as apps, batch::v1 as batch, core::v1 as core, discovery::v1 as discovery};
use k8s_openapi::api::{networking::v1 as networking, rbac::v1 as rbac};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// One Kubernetes object from a manifest file.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`, when written.
    pub namespace: Option<String>,
    /// 1-based line where the document starts in the rendered text.
    pub line: u64,
    /// The whole object.
    pub object: Value,
}

/// A problem in one document of a manifest file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestProblem {
    /// 1-based line in the rendered text.
    pub line: u64,
    /// 1-based column, when the parser gives it.
    pub column: Option<u64>,
    /// `Kind/name` when known.
    pub object: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub hint: Option<String>,
}

type Checker = fn(&Value) -> Result<Value, String>;

/// Kinds checked against their typed schema: (apiVersion, kind, checker).
const TYPED: &[(&str, &str, Checker)] = &[
    ("v1", "Namespace", typed::<core::Namespace>),
    ("v1", "Pod", typed::<core::Pod>),
    ("v1", "Service", typed::<core::Service>),
    ("v1", "ConfigMap", typed::<core::ConfigMap>),
    ("v1", "Secret", typed::<core::Secret>),
    ("v1", "ServiceAccount", typed::<core::ServiceAccount>),
    ("apps/v1", "Deployment", typed::<apps::Deployment>),
    ("apps/v1", "DaemonSet", typed::<apps::DaemonSet>),
    ("apps/v1", "StatefulSet", typed::<apps::StatefulSet>),
    ("apps/v1", "ReplicaSet", typed::<apps::ReplicaSet>),
    ("batch/v1", "Job", typed::<batch::Job>),
    (
        "networking.k8s.io/v1",
        "NetworkPolicy",
        typed::<networking::NetworkPolicy>,
    ),
    ("networking.k8s.io/v1", "Ingress", typed::<networking::Ingress>),
    (
        "networking.k8s.io/v1",
        "IngressClass",
        typed::<networking::IngressClass>,
    ),
    (
        "discovery.k8s.io/v1",
        "EndpointSlice",
        typed::<discovery::EndpointSlice>,
    ),
    ("rbac.authorization.k8s.io/v1", "Role", typed::<rbac::Role>),
    (
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        typed::<rbac::RoleBinding>,
    ),
    (
        "rbac.authorization.k8s.io/v1",
        "ClusterRole",
        typed::<rbac::ClusterRole>,
    ),
    (
        "rbac.authorization.k8s.io/v1",
        "ClusterRoleBinding",
        typed::<rbac::ClusterRoleBinding>,
    ),
];

/// Parse every document of a rendered manifest file. Empty documents are skipped.
pub fn parse_manifests(text: &str) -> Result<Vec<Manifest>, Vec<ManifestProblem>> {
    let mut manifests = Vec::new();
    let mut problems = Vec::new();
    for (start_line, chunk) in split_documents(text) {
        match parse_document(chunk, start_line) {
            Ok(Some(manifest)) => manifests.push(manifest),
            Ok(None) => {}
            Err(problem) => problems.push(problem),
        }
    }
    if problems.is_empty() {
        Ok(manifests)
    } else {
        Err(problems)
    }
}

/// Split on `---` document markers, keeping each document's first line number (1-based).
fn split_documents(text: &str) -> Vec<(u64, &str)> {
    let mut documents = Vec::new();
    let (mut start_byte, mut start_line, mut offset) = (0, 1_u64, 0);
    for (index, line) in (1_u64..).zip(text.split_inclusive('\n')) {
        if line.starts_with("---") && line[3..].trim().is_empty() {
            documents.push((start_line, &text[start_byte..offset]));
            start_byte = offset + line.len();
            start_line = index + 1;
        }
        offset += line.len();
    }
    documents.push((start_line, &text[start_byte..]));
    documents
}

fn parse_document(chunk: &str, start_line: u64) -> Result<Option<Manifest>, ManifestProblem> {
    let problem = |line: u64, column: Option<u64>, object: Option<String>, message: String| ManifestProblem {
        line,
        column,
        object,
        message,
        hint: None,
    };
    let value: Value = match serde_saphyr::from_str::<Option<Value>>(chunk) {
        Ok(Some(value)) => value,
        Ok(None) => return Ok(None),
        Err(e) => {
            let location = e.location();
            let line = location.map_or(start_line, |l| start_line + l.line().saturating_sub(1));
            return Err(problem(
                line,
                location.map(|l| l.column()),
                None,
                super::problem::yaml_message(&e),
            ));
        }
    };
    let Some(map) = value.as_object() else {
        return Err(problem(
            start_line,
            None,
            None,
            "a manifest document must be a map with apiVersion, kind and metadata".into(),
        ));
    };
    let text_field = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_owned);
    let metadata = map.get("metadata");
    let meta_field = |key: &str| {
        metadata
            .and_then(|m| m.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let (Some(api_version), Some(kind)) = (text_field("apiVersion"), text_field("kind")) else {
        return Err(problem(start_line, None, None, "missing `apiVersion` or `kind`".into()));
    };
    let Some(name) = meta_field("name") else {
        return Err(problem(start_line, None, Some(kind), "missing `metadata.name`".into()));
    };
    let label = format!("{kind}/{name}");
    let namespace = meta_field("namespace");
    let mut found = Vec::new();
    let name_rule = if api_version.starts_with("rbac.authorization.k8s.io/") {
        graders::names::check_path_segment_name
    } else {
        graders::names::check_dns1123_subdomain
    };
    found.extend(name_rule(&name).err().map(|e| format!("metadata.name: {e}")));
    if let Some(ns) = &namespace {
        found.extend(
            graders::names::check_dns1123_label(ns)
                .err()
                .map(|e| format!("metadata.namespace: {e}")),
        );
    }
    found.extend(schema_problem(&api_version, &kind, &value));
    if let Some(message) = found.into_iter().next() {
        let mut p = problem(start_line, None, Some(label), message);
        p.hint = hint_for(&p.message);
        return Err(p);
    }
    Ok(Some(Manifest {
        api_version,
        kind,
        name,
        namespace,
        line: start_line,
        object: value,
    }))
}

fn schema_problem(api_version: &str, kind: &str, value: &Value) -> Option<String> {
    if let Some((_, _, check)) = TYPED.iter().find(|(v, k, _)| *v == api_version && *k == kind) {
        return check(value).err();
    }
    TYPED.iter().find(|(_, k, _)| *k == kind).map(|(expected, _, _)| {
        format!("`apiVersion: {api_version}` is not served for {kind}; use `apiVersion: {expected}`")
    })
}

/// Deserialize as `T`, then serialize back: whatever the round trip dropped is a field `T`
/// does not have (serde would otherwise ignore it silently).
fn typed<T: DeserializeOwned + Serialize>(value: &Value) -> Result<Value, String> {
    let object: T = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
    let round_trip = serde_json::to_value(&object).map_err(|e| e.to_string())?;
    let mut unknown = Vec::new();
    dropped_paths(value, &round_trip, "", &mut unknown);
    match unknown.first() {
        Some(path) => Err(format!("unknown field `{path}`")),
        None => Ok(round_trip),
    }
}

fn dropped_paths(original: &Value, kept: &Value, path: &str, out: &mut Vec<String>) {
    match (original, kept) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, child) in a {
                let child_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match b.get(key) {
                    Some(kept_child) => dropped_paths(child, kept_child, &child_path, out),
                    None if !child.is_null() => out.push(child_path),
                    None => {}
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (index, (child, kept_child)) in a.iter().zip(b).enumerate() {
                dropped_paths(child, kept_child, &format!("{path}[{index}]"), out);
            }
        }
        _ => {}
    }
}

fn hint_for(message: &str) -> Option<String> {
    if message.contains("unknown field") {
        Some("check the spelling against `kubectl explain <kind>.<field>`".to_owned())
    } else if message.contains("invalid type: boolean") {
        Some("YAML reads unquoted on/off/yes/no/true/false as booleans: quote the value".to_owned())
    } else if message.contains("invalid type: floating point") {
        Some("a number with a leading zero (e.g. 0644) is not an integer here: write it in decimal (420)".to_owned())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_manifests, split_documents};

    const SERVICE: &str = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  selector:\n    app: web\n  ports:\n  - port: 80\n    targetPort: 8080\n";

    #[test]
    fn parses_multi_document_files_and_skips_empty_documents() {
        let text = format!(
            "---\n{SERVICE}---\n# only a comment\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n"
        );
        let manifests = parse_manifests(&text).expect("valid");
        let kinds: Vec<(&str, &str, u64)> = manifests
            .iter()
            .map(|m| (m.kind.as_str(), m.name.as_str(), m.line))
            .collect();
        assert_eq!(kinds, [("Service", "web", 2), ("Namespace", "shop", 16)]);
        assert_eq!(manifests[0].namespace.as_deref(), Some("shop"));
    }

    #[test]
    fn document_lines_are_counted_from_one() {
        let docs = split_documents("a: 1\n---\nb: 2\n");
        assert_eq!(docs, [(1, "a: 1\n"), (3, "b: 2\n")]);
    }

    fn first_problem(text: &str) -> super::ManifestProblem {
        parse_manifests(text).expect_err("invalid").remove(0)
    }

    #[test]
    fn unknown_fields_are_caught_with_their_path() {
        let p = first_problem(&SERVICE.replace("selector:", "selectr:"));
        assert_eq!(p.message, "unknown field `spec.selectr`");
        assert_eq!(p.object.as_deref(), Some("Service/web"));
        let p = first_problem(&SERVICE.replace("targetPort", "targetPrt"));
        assert_eq!(p.message, "unknown field `spec.ports[0].targetPrt`");
    }

    #[test]
    fn wrong_types_yaml_traps_and_versions_are_caught() {
        assert!(
            first_problem(&SERVICE.replace("port: 80", "port: eighty"))
                .message
                .contains("invalid type")
        );
        let p = first_problem(&SERVICE.replace("app: web", "app: on"));
        assert!(p.hint.as_deref().is_some_and(|h| h.contains("quote")), "{p:?}");
        let deploy = "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata:\n  name: web\n";
        assert!(first_problem(deploy).message.contains("use `apiVersion: apps/v1`"));
    }

    #[test]
    fn structural_problems() {
        assert!(
            first_problem("kind: Service\nmetadata:\n  name: x\n")
                .message
                .contains("apiVersion")
        );
        assert!(
            first_problem("apiVersion: v1\nkind: Service\nmetadata: {}\n")
                .message
                .contains("metadata.name")
        );
        assert!(
            first_problem("apiVersion: v1\nkind: Service\nmetadata:\n  name: Web_1\n")
                .message
                .contains("metadata.name")
        );
        assert!(first_problem("- a\n- b\n").message.contains("must be a map"));
        let p = first_problem("apiVersion: v1\nkind: Service\n---\nmetadata: [\n");
        assert_eq!(p.line, 1, "first bad document reported first");
        let p = first_problem("apiVersion: v1\nkind: Service\nmetadata:\n  name: ok\n---\nmetadata: [\n");
        assert_eq!(p.line, 6);
    }

    #[test]
    fn custom_resources_are_accepted_untyped() {
        let crd = "apiVersion: crd.projectcalico.org/v1\nkind: IPPool\nmetadata:\n  name: pool\nspec:\n  anything: 1\n";
        assert_eq!(parse_manifests(crd).expect("valid").len(), 1);
    }
}
