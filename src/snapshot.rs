//! Snapshot files: a cluster's state (and optionally its post-setup baseline and probe results)
//! saved to disk, so grading runs without a cluster.
//!
//! Accepted: `kubectl get ... -o yaml|json` output (a `List`, or single objects, in one or more
//! YAML documents), or a kubedrill `Snapshot` document wrapping objects, a baseline and probe
//! results. Parsing only; this module reads no files and grades nothing.

use std::collections::BTreeMap;
use std::fmt;

use graders::state::{Baseline, BaselineSource, ClusterState, Observation, ProbeResult};
use graders::stream::StateVisitor;
use serde::Deserialize;
use serde::de::{self, Deserializer, Error as _, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::scenario::Rendered;
use crate::scenario::model::API_VERSION;
use crate::scenario::problem::yaml_message;

/// The kind of kubedrill's own snapshot document.
pub const SNAPSHOT_KIND: &str = "Snapshot";

/// One YAML/JSON document of a snapshot file, streamed: objects go straight into typed state.
#[derive(Default)]
struct Document {
    /// Objects now (a plain object, a `List`'s items, or a Snapshot's `objects`).
    objects: ClusterState,
    /// A Snapshot's `baseline`.
    baseline: Option<ClusterState>,
    /// A Snapshot's probe results.
    probes: BTreeMap<String, ProbeResult>,
    /// A Snapshot's scenario id.
    scenario: Option<String>,
    /// A Snapshot's seed.
    seed: Option<u64>,
}

/// Fields a kubedrill Snapshot document may have.
const SNAPSHOT_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "scenario",
    "seed",
    "objects",
    "baseline",
    "probes",
];

impl<'de> Deserialize<'de> for Document {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DocumentVisitor)
    }
}

struct DocumentVisitor;

impl<'de> Visitor<'de> for DocumentVisitor {
    type Value = Document;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Kubernetes object, a List, or a kubedrill Snapshot document")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Document, E> {
        Ok(Document::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Document, A::Error> {
        let mut document = Document::default();
        let mut fields = Map::new();
        let mut wrapper_fields = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "objects" | "items" => map.next_value_seed(StateVisitor {
                    state: &mut document.objects,
                })?,
                "baseline" => {
                    let baseline = document.baseline.get_or_insert_with(ClusterState::default);
                    map.next_value_seed(StateVisitor { state: baseline })?;
                }
                "probes" => document.probes = map.next_value()?,
                _ => {
                    fields.insert(key.clone(), map.next_value()?);
                }
            }
            wrapper_fields.push(key);
        }
        let text = |key: &str| fields.get(key).and_then(Value::as_str);
        if text("apiVersion") == Some(API_VERSION) && text("kind") == Some(SNAPSHOT_KIND) {
            if let Some(unknown) = wrapper_fields.iter().find(|k| !SNAPSHOT_FIELDS.contains(&k.as_str())) {
                return Err(A::Error::custom(format!(
                    "kubedrill Snapshot document: unknown field `{unknown}`, expected one of {}",
                    SNAPSHOT_FIELDS.join(", ")
                )));
            }
            document.scenario = text("scenario").map(str::to_owned);
            document.seed = fields.get("seed").and_then(Value::as_u64);
        } else if !wrapper_fields.iter().any(|k| k == "items" || k == "objects") {
            document
                .objects
                .add_object(Value::Object(fields))
                .map_err(A::Error::custom)?;
        }
        Ok(document)
    }
}

/// A loaded snapshot.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// State, baseline (when recorded) and probe results.
    pub observation: Observation,
    /// The scenario it names, if any.
    pub scenario: Option<String>,
    /// The seed it names, if any.
    pub seed: Option<u64>,
}

/// Why a snapshot could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SnapshotError {
    /// 1-based line, when the parser gives it.
    pub line: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl SnapshotError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            line: None,
            message: message.into(),
        }
    }
}

/// Largest cluster dump accepted as YAML, in parser nodes (a 5,000-pod `kubectl get -o yaml`
/// has about 1.5 million). Aliases keep the parser's default limits, so a YAML bomb still fails.
const MAX_YAML_NODES: usize = 20_000_000;

/// Parse snapshot text: JSON (one document), or YAML (one or more documents). Objects are
/// converted one at a time, so a large dump is never held whole as a JSON tree.
pub fn parse(text: &str) -> Result<Snapshot, SnapshotError> {
    let documents: Vec<Document> = if text.trim_start().starts_with('{') {
        let document = serde_json::from_str(text).map_err(|e| SnapshotError {
            line: Some(u64::try_from(e.line()).unwrap_or(0)),
            message: e.to_string(),
        })?;
        vec![document]
    } else {
        let options = serde_saphyr::options! {
            budget: serde_saphyr::budget! {
                max_nodes: MAX_YAML_NODES,
                max_events: 4 * MAX_YAML_NODES,
                max_total_scalar_bytes: 1 << 30,
                max_depth: 128,
            },
        };
        serde_saphyr::from_multiple_with_options(text, options).map_err(|e| SnapshotError {
            line: e.location().map(|l| l.line()),
            message: yaml_message(&e),
        })?
    };
    let mut snapshot = Snapshot::default();
    for document in documents {
        snapshot.observation.state.merge(document.objects);
        if let Some(baseline) = document.baseline {
            let recorded = snapshot.observation.baseline.get_or_insert_with(|| Baseline {
                state: ClusterState::default(),
                source: BaselineSource::Recorded,
            });
            recorded.state.merge(baseline);
        }
        snapshot.observation.probes.extend(document.probes);
        snapshot.scenario = document.scenario.or(snapshot.scenario);
        snapshot.seed = document.seed.or(snapshot.seed);
    }
    Ok(snapshot)
}

impl Snapshot {
    /// Use the scenario's rendered setup as the baseline when none was recorded, so `unchanged`
    /// checks still compare with what setup applied.
    pub fn baseline_from_setup(&mut self, rendered: &Rendered) -> Result<(), SnapshotError> {
        if self.observation.baseline.is_none() {
            self.observation.baseline = Some(rendered.setup_baseline().map_err(SnapshotError::new)?);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use graders::state::{BaselineSource, Outcome};

    use super::parse;

    #[test]
    fn plain_kubectl_output_in_yaml_or_json() {
        let yaml = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: web, namespace: shop}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n";
        let snapshot = parse(yaml).expect("parses");
        assert_eq!(snapshot.observation.state.services.len(), 1);
        assert_eq!(snapshot.observation.state.namespaces.len(), 1);
        assert!(snapshot.observation.baseline.is_none());
        let json = r#"{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "shop"}}]}"#;
        assert_eq!(parse(json).expect("parses").observation.state.pods.len(), 1);
    }

    #[test]
    fn kubedrill_snapshot_documents_carry_baseline_and_probes() {
        let text = "apiVersion: kubedrill.dev/v1\nkind: Snapshot\nscenario: x\nseed: 3\nobjects:\n- {apiVersion: v1, kind: Namespace, metadata: {name: shop}}\nbaseline:\n- {apiVersion: v1, kind: Namespace, metadata: {name: shop}}\nprobes:\n  reach: {outcome: timeout, heldMs: 10000}\n";
        let snapshot = parse(text).expect("parses");
        assert_eq!((snapshot.scenario.as_deref(), snapshot.seed), (Some("x"), Some(3)));
        assert_eq!(
            snapshot.observation.baseline.as_ref().map(|b| b.source),
            Some(BaselineSource::Recorded)
        );
        assert_eq!(snapshot.observation.probes["reach"].outcome, Outcome::Timeout);
    }

    #[test]
    fn large_dumps_parse_in_json_and_yaml() {
        let pods: Vec<serde_json::Value> = (0..20_000)
            .map(|i| serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("p{i}"), "namespace": "n", "labels": {"a": "b", "c": "d"}}}))
            .collect();
        let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": pods});
        let json = serde_json::to_string(&list).expect("json");
        assert_eq!(parse(&json).expect("json parses").observation.state.pods.len(), 20_000);
        let yaml = serde_saphyr::to_string(&list).expect("yaml");
        assert_eq!(parse(&yaml).expect("yaml parses").observation.state.pods.len(), 20_000);
    }

    #[test]
    fn errors_say_where() {
        let err = parse("apiVersion: v1\nkind: [\n").expect_err("bad yaml");
        assert_eq!(err.line, Some(2));
        let err = parse("apiVersion: kubedrill.dev/v1\nkind: Snapshot\nprobez: {}\n").expect_err("unknown field");
        assert!(err.message.contains("unknown field `probez`"), "{}", err.message);
        let err =
            parse("apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: 3}\n").expect_err("schema");
        assert!(err.message.contains("Service `web`"), "{}", err.message);
    }
}
