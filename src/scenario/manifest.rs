//! Rendered manifests parsed as Kubernetes objects: multi-document YAML -> objects, each
//! checked against its kind's typed schema (k8s-openapi) with unknown fields detected, so a
//! template mistake is caught at lint time, not on the cluster. Every problem of every
//! document is reported, each at the line of the key at fault.
//!
//! Pure: text in, objects and problems out. Must not read files or decide which kinds a
//! scenario may use beyond what it is given; applying objects is the cluster module's job.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::kinds::{KnownKinds, find_builtin};
use super::positions::Positions;

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
    /// 1-based line in the rendered text: the key at fault, else the document's first line.
    pub line: u64,
    /// 1-based column, when known.
    pub column: Option<u64>,
    /// The key at fault inside the document (`spec.ports[0].port`), when one is.
    pub path: Option<String>,
    /// `Kind/name` when known.
    pub object: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub hint: Option<String>,
}

/// A problem at one field of an object, before it is placed on a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field (`spec.selectr`; empty for the whole object).
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub hint: Option<String>,
}

impl FieldProblem {
    fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            path: path.into(),
            hint: hint_for(&message),
            message,
        }
    }
}

/// A manifest file's objects and its problems. Objects with problems are kept when they have
/// an `apiVersion`, a `kind` and a name, so later checks see them too.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parsed {
    /// The objects, in file order.
    pub objects: Vec<Manifest>,
    /// Every problem, in file order.
    pub problems: Vec<ManifestProblem>,
}

/// Parse every document of a manifest file, any kind accepted (for manifests kubedrill pins,
/// with their own custom kinds). Empty documents are skipped.
pub fn parse_manifests(text: &str) -> Result<Vec<Manifest>, Vec<ManifestProblem>> {
    let parsed = parse_all(text, None);
    if parsed.problems.is_empty() {
        Ok(parsed.objects)
    } else {
        Err(parsed.problems)
    }
}

/// Parse every document, reporting every problem. With `kinds`, the rules for a scenario's own
/// manifests apply too: an object of a kind not among them is a problem, and so is a
/// namespaced object that does not name its namespace.
#[must_use]
pub fn parse_all(text: &str, kinds: Option<&KnownKinds>) -> Parsed {
    let mut parsed = Parsed::default();
    for (start_line, chunk) in split_documents(text) {
        let (object, problems) = parse_document(chunk, start_line, kinds);
        parsed.objects.extend(object);
        parsed.problems.extend(problems);
    }
    parsed
}

/// Split on `---` document markers, keeping each document's first line number (1-based).
fn split_documents(text: &str) -> Vec<(u64, &str)> {
    let mut documents = Vec::new();
    let (mut start_byte, mut start_line, mut offset) = (0, 1_u64, 0);
    for (index, line) in (1_u64..).zip(text.split_inclusive('\n')) {
        if is_document_marker(line) {
            documents.push((start_line, &text[start_byte..offset]));
            start_byte = offset + line.len();
            start_line = index + 1;
        }
        offset += line.len();
    }
    documents.push((start_line, &text[start_byte..]));
    documents
}

/// `---`, alone or followed by a comment.
fn is_document_marker(line: &str) -> bool {
    let Some(rest) = line.strip_prefix("---") else {
        return false;
    };
    rest.trim().is_empty() || (rest.starts_with([' ', '\t']) && rest.trim_start().starts_with('#'))
}

type Document = (Option<Manifest>, Vec<ManifestProblem>);

fn parse_document(chunk: &str, start_line: u64, kinds: Option<&KnownKinds>) -> Document {
    let whole = |line: u64, column: Option<u64>, message: String| ManifestProblem {
        line,
        column,
        path: None,
        object: None,
        message,
        hint: None,
    };
    let value: Value = match serde_saphyr::from_str::<Option<Value>>(chunk) {
        Ok(Some(value)) => value,
        Ok(None) => return (None, Vec::new()),
        Err(e) => {
            let location = e.location();
            let line = location.map_or(start_line, |l| start_line + l.line().saturating_sub(1));
            let message = super::problem::yaml_message(&e);
            return (None, vec![whole(line, location.map(|l| l.column()), message)]);
        }
    };
    if !value.is_object() {
        let message = "a manifest document must be a map with apiVersion, kind and metadata".to_owned();
        return (None, vec![whole(start_line, None, message)]);
    }
    let text = |path: &[&str]| {
        path.iter()
            .try_fold(&value, |v, key| v.get(key))
            .and_then(Value::as_str)
    };
    let (api_version, kind, name) = (text(&["apiVersion"]), text(&["kind"]), text(&["metadata", "name"]));
    let namespace = text(&["metadata", "namespace"]);
    let found = object_problems(&value, api_version, kind, name, namespace, kinds);
    let label = kind.map(|k| name.map_or_else(|| k.to_owned(), |n| format!("{k}/{n}")));
    let problems = place(chunk, start_line, found, label.as_deref());
    let manifest = match (api_version, kind, name) {
        (Some(api_version), Some(kind), Some(name)) => Some(Manifest {
            api_version: api_version.to_owned(),
            kind: kind.to_owned(),
            name: name.to_owned(),
            namespace: namespace.map(str::to_owned),
            line: start_line,
            object: value.clone(),
        }),
        _ => None,
    };
    (manifest, problems)
}

/// Everything wrong with one object: identity, names, kind, schema.
fn object_problems(
    value: &Value,
    api_version: Option<&str>,
    kind: Option<&str>,
    name: Option<&str>,
    namespace: Option<&str>,
    kinds: Option<&KnownKinds>,
) -> Vec<FieldProblem> {
    let mut found = Vec::new();
    for (field, present) in [("apiVersion", api_version.is_some()), ("kind", kind.is_some())] {
        if !present {
            found.push(FieldProblem::new(field, format!("missing `{field}`")));
        }
    }
    match name {
        None => found.push(FieldProblem::new("metadata.name", "missing `metadata.name`")),
        Some(name) => {
            let rbac = api_version.is_some_and(|v| v.starts_with("rbac.authorization.k8s.io/"));
            let rule = if rbac {
                graders::names::check_path_segment_name
            } else {
                graders::names::check_dns1123_subdomain
            };
            found.extend(
                rule(name)
                    .err()
                    .map(|e| FieldProblem::new("metadata.name", format!("metadata.name: {e}"))),
            );
        }
    }
    if let Some(ns) = namespace {
        let problem = graders::names::check_dns1123_label(ns).err();
        found.extend(problem.map(|e| FieldProblem::new("metadata.namespace", format!("metadata.namespace: {e}"))));
    }
    let (Some(api_version), Some(kind)) = (api_version, kind) else {
        return found;
    };
    if let Some(p) = kinds.and_then(|k| k.check(api_version, kind)) {
        found.push(FieldProblem {
            path: p.path.to_owned(),
            message: p.message,
            hint: Some(p.hint),
        });
    }
    if let Some(builtin) = find_builtin(api_version, kind) {
        if kinds.is_some() && builtin.namespaced && namespace.is_none() {
            found.push(FieldProblem {
                path: "metadata".to_owned(),
                message: "namespaced object has no `metadata.namespace`".to_owned(),
                hint: Some(
                    "set the namespace explicitly so setup never lands in whatever namespace is current".to_owned(),
                ),
            });
        }
        found.extend((builtin.check)(value));
    }
    found
}

/// Put each field problem on the line (and column) of its key in the rendered text, in order.
fn place(chunk: &str, start_line: u64, found: Vec<FieldProblem>, label: Option<&str>) -> Vec<ManifestProblem> {
    if found.is_empty() {
        return Vec::new();
    }
    let positions = Positions::parse(chunk).unwrap_or_default();
    let mut problems: Vec<ManifestProblem> = found
        .into_iter()
        .map(|p| {
            let position = positions.nearest(&p.path);
            ManifestProblem {
                line: position.map_or(start_line, |at| start_line + at.line - 1),
                column: position.map(|at| at.column),
                path: (!p.path.is_empty()).then_some(p.path),
                object: label.map(str::to_owned),
                message: p.message,
                hint: p.hint,
            }
        })
        .collect();
    problems.sort_by_key(|p| (p.line, p.column));
    problems
}

/// At most this many wrong-type problems are reported per object.
const MAX_TYPE_PROBLEMS: usize = 20;

/// Every wrong type and unknown field of `value` as a `T`. Serde stops
/// at the first wrong type, so each is replaced by a stand-in of the right type and the check
/// runs again.
pub(crate) fn schema_problems<T: DeserializeOwned + Serialize>(value: &Value) -> Vec<FieldProblem> {
    let mut value = value.clone();
    let mut problems = Vec::new();
    for _ in 0..MAX_TYPE_PROBLEMS {
        match typed::<T>(&value) {
            Ok(kept) => {
                let mut unknown = Vec::new();
                dropped_paths(&value, &kept, "", &mut unknown);
                problems.extend(unknown.into_iter().map(|path| {
                    let message = format!("unknown field `{path}`");
                    FieldProblem::new(path, message)
                }));
                break;
            }
            Err(problem) => {
                let patched = stand_in::<T>(&mut value, &problem);
                problems.push(problem);
                if !patched {
                    break;
                }
            }
        }
    }
    problems
}

/// Deserialize as `T`, then serialize back (what the round trip drops is a field `T` lacks).
fn typed<T: DeserializeOwned + Serialize>(value: &Value) -> Result<Value, FieldProblem> {
    let object: T = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        FieldProblem::new(if path == "." { String::new() } else { path }, e.inner().to_string())
    })?;
    serde_json::to_value(&object).map_err(|e| FieldProblem::new("", e.to_string()))
}

/// Replace the value `problem` is about with the first stand-in that moves the check past it.
fn stand_in<T: DeserializeOwned + Serialize>(value: &mut Value, problem: &FieldProblem) -> bool {
    let target = problem.path.as_str();
    if target.is_empty() {
        return false;
    }
    let inside = |path: &str| {
        path.strip_prefix(target)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
    };
    for candidate in [Value::Null, json!(0), json!(""), json!(false), json!({}), json!([])] {
        let mut trial = value.clone();
        if !set_at(&mut trial, target, candidate) {
            return false;
        }
        let moved = match typed::<T>(&trial) {
            Ok(_) => true,
            Err(next) => !inside(&next.path) && next != *problem,
        };
        if moved {
            *value = trial;
            return true;
        }
    }
    false
}

/// Set the value at a field path (`spec.ports[0].port`).
fn set_at(value: &mut Value, path: &str, new: Value) -> bool {
    let mut current = value;
    let segments = path_segments(path);
    let Some((last, parents)) = segments.split_last() else {
        return false;
    };
    for segment in parents {
        let next = match segment {
            Segment::Key(key) => current.get_mut(*key),
            Segment::Index(index) => current.get_mut(*index),
        };
        let Some(next) = next else { return false };
        current = next;
    }
    match (last, current) {
        (Segment::Key(key), Value::Object(map)) => {
            map.insert((*key).to_owned(), new);
            true
        }
        (Segment::Index(index), Value::Array(items)) if *index < items.len() => {
            items[*index] = new;
            true
        }
        _ => false,
    }
}

enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

/// `spec.ports[0].port` -> key `spec`, key `ports`, index 0, key `port`.
fn path_segments(path: &str) -> Vec<Segment<'_>> {
    let mut segments = Vec::new();
    for part in path.split('.') {
        let (key, indices) = part.split_once('[').map_or((part, ""), |(k, rest)| (k, rest));
        if !key.is_empty() {
            segments.push(Segment::Key(key));
        }
        for index in indices.split('[').filter_map(|i| i.trim_end_matches(']').parse().ok()) {
            segments.push(Segment::Index(index));
        }
    }
    segments
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
    if message.starts_with("unknown field") {
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
    use super::{ManifestProblem, parse_all, parse_manifests, split_documents};
    use crate::scenario::kinds::KnownKinds;

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
        let docs = split_documents("a: 1\n---\nb: 2\n--- # next\nc: 3\n----\n");
        assert_eq!(docs, [(1, "a: 1\n"), (3, "b: 2\n"), (5, "c: 3\n----\n")]);
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
    }

    /// (line, column, message) of every problem.
    fn all_problems(text: &str, kinds: Option<&KnownKinds>) -> Vec<(u64, Option<u64>, String)> {
        let problems: Vec<ManifestProblem> = parse_all(text, kinds).problems;
        problems.into_iter().map(|p| (p.line, p.column, p.message)).collect()
    }

    #[test]
    fn every_problem_of_an_object_is_reported_at_the_line_of_its_key() {
        let text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: Web_1\n  namespace: shop\nspec:\n  selectr:\n    app: web\n  ports:\n  - port: eighty\n    targetPrt: 8080\n  - { port: 81, protocl: TCP }\n";
        let problems = all_problems(text, None);
        let lines: Vec<(u64, Option<u64>)> = problems.iter().map(|(l, c, _)| (*l, *c)).collect();
        assert_eq!(
            lines,
            [(4, Some(3)), (7, Some(3)), (10, Some(5)), (11, Some(5)), (12, Some(17))],
            "{problems:#?}"
        );
        assert!(problems[0].2.starts_with("metadata.name: `Web_1`"), "{problems:#?}");
        assert_eq!(problems[1].2, "unknown field `spec.selectr`");
        assert!(
            problems[2].2.starts_with("invalid type: string \"eighty\""),
            "{problems:#?}"
        );
        assert_eq!(problems[3].2, "unknown field `spec.ports[0].targetPrt`");
        assert_eq!(problems[4].2, "unknown field `spec.ports[1].protocl`");
    }

    #[test]
    fn a_wrong_type_does_not_hide_the_problems_after_it() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: many\n  selector: { matchLabels: { app: web } }\n  template:\n    spec:\n      containers:\n      - name: app\n        image: [nginx]\n        ports:\n        - containerPort: http\n          protocl: TCP\n";
        let problems = all_problems(text, None);
        let found: Vec<(u64, &str)> = problems.iter().map(|(l, _, m)| (*l, m.as_str())).collect();
        assert_eq!(found.len(), 4, "{problems:#?}");
        assert_eq!(found[0].0, 6);
        assert!(found[0].1.contains("\"many\""), "{found:?}");
        assert_eq!(found[1].0, 12);
        assert!(found[1].1.starts_with("invalid type: sequence"), "{found:?}");
        assert_eq!(found[2].0, 14);
        assert!(found[2].1.contains("\"http\""), "{found:?}");
        assert_eq!(
            found[3],
            (15, "unknown field `spec.template.spec.containers[0].ports[0].protocl`")
        );
    }

    #[test]
    fn kinds_are_checked_only_when_the_caller_says_which_are_known() {
        let text = "apiVersion: v1\nkind: Servcie\nmetadata:\n  name: web\n---\napiVersion: apps/v1\nkind: Service\nmetadata:\n  name: other\n";
        let known = KnownKinds::default();
        let problems = all_problems(text, Some(&known));
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert_eq!(
            (problems[0].0, problems[0].2.as_str()),
            (2, "unknown kind `Servcie`; did you mean `Service`?")
        );
        assert_eq!(
            (problems[1].0, problems[1].2.as_str()),
            (6, "`Service` is not served at `apiVersion: apps/v1`")
        );
        assert_eq!(
            parse_all(text, Some(&known)).objects.len(),
            2,
            "objects with problems are kept"
        );
        assert_eq!(parse_manifests(text).expect("any kind without a list").len(), 2);
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
