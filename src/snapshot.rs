//! Snapshot files: a cluster's state (and optionally its post-setup baseline and probe results)
//! saved to disk, so grading runs without a cluster.
//!
//! Accepted: `kubectl get ... -o yaml|json` output (a `List`, or single objects, in one or more
//! YAML documents), or a kubedrill `Snapshot` document wrapping objects, a baseline and probe
//! results. Parsing only; this module reads no files and grades nothing.

use std::collections::BTreeMap;

use graders::state::{Baseline, BaselineSource, ClusterState, Observation, ProbeResult};
use serde::Deserialize;
use serde_json::Value;

use crate::scenario::Rendered;
use crate::scenario::model::API_VERSION;
use crate::scenario::problem::yaml_message;

/// The kind of kubedrill's own snapshot document.
pub const SNAPSHOT_KIND: &str = "Snapshot";

/// kubedrill's snapshot document.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SnapshotDocument {
    #[allow(dead_code)]
    api_version: String,
    #[allow(dead_code)]
    kind: String,
    /// The scenario the snapshot was taken for.
    #[serde(default)]
    scenario: Option<String>,
    /// The attempt's seed.
    #[serde(default)]
    seed: Option<u64>,
    /// Objects now (or `List`s of them).
    #[serde(default)]
    objects: Vec<Value>,
    /// Objects right after setup.
    #[serde(default)]
    baseline: Option<Vec<Value>>,
    /// Probe results by check id.
    #[serde(default)]
    probes: BTreeMap<String, ProbeResult>,
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

/// Parse snapshot text (YAML or JSON, one or more documents).
pub fn parse(text: &str) -> Result<Snapshot, SnapshotError> {
    let documents: Vec<Value> = serde_saphyr::from_multiple(text).map_err(|e| SnapshotError {
        line: e.location().map(|l| l.line()),
        message: yaml_message(&e),
    })?;
    let mut snapshot = Snapshot::default();
    let mut objects = Vec::new();
    for document in documents.into_iter().filter(|d| !d.is_null()) {
        if is_snapshot_document(&document) {
            let doc: SnapshotDocument = serde_json::from_value(document)
                .map_err(|e| SnapshotError::new(format!("kubedrill Snapshot document: {e}")))?;
            objects.extend(doc.objects);
            if let Some(baseline) = doc.baseline {
                let state =
                    ClusterState::from_objects(baseline).map_err(|e| SnapshotError::new(format!("baseline: {e}")))?;
                snapshot.observation.baseline = Some(Baseline {
                    state,
                    source: BaselineSource::Recorded,
                });
            }
            snapshot.observation.probes.extend(doc.probes);
            snapshot.scenario = doc.scenario.or(snapshot.scenario);
            snapshot.seed = doc.seed.or(snapshot.seed);
        } else {
            objects.push(document);
        }
    }
    snapshot.observation.state = ClusterState::from_objects(objects).map_err(|e| SnapshotError::new(e.to_string()))?;
    Ok(snapshot)
}

fn is_snapshot_document(document: &Value) -> bool {
    document.get("apiVersion").and_then(Value::as_str) == Some(API_VERSION)
        && document.get("kind").and_then(Value::as_str) == Some(SNAPSHOT_KIND)
}

impl Snapshot {
    /// Use the scenario's rendered setup as the baseline when none was recorded, so `unchanged`
    /// checks still compare with what setup applied.
    pub fn baseline_from_setup(&mut self, rendered: &Rendered) -> Result<(), SnapshotError> {
        if self.observation.baseline.is_none() {
            let objects = rendered.setup_objects().map(|m| m.object.clone());
            let state =
                ClusterState::from_objects(objects).map_err(|e| SnapshotError::new(format!("rendered setup: {e}")))?;
            self.observation.baseline = Some(Baseline {
                state,
                source: BaselineSource::Manifests,
            });
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
