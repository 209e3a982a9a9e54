//! The observed cluster state graders may look at: typed Kubernetes objects (k8s-openapi),
//! the baseline recorded right after setup, and probe results.
//!
//! Built from already-parsed JSON values (a `List` as `kubectl get -o json|yaml` prints it, or
//! single objects), so this crate stays free of I/O and file formats. Lookups only; no
//! grading logic here.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{ConfigMap, Event, Namespace, Node, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::needs::ListRequest;
use crate::target::ObjectKind;

/// An object of a kind k8s-openapi has no type for (the Gateway API's custom resources): its
/// metadata, with `spec` and `status` kept as JSON for `assert` and `unchanged` to read.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiObject {
    /// `apiVersion`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// `kind`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `metadata`.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// `spec`, as written.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub spec: Value,
    /// `status`, as the controller wrote it.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub status: Value,
}

/// An object's metadata, whatever its type.
pub trait HasMetadata {
    /// The object's metadata.
    fn meta(&self) -> &ObjectMeta;
}

impl<T: k8s_openapi::Metadata<Ty = ObjectMeta>> HasMetadata for T {
    fn meta(&self) -> &ObjectMeta {
        self.metadata()
    }
}

impl HasMetadata for ApiObject {
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
}

/// Why objects could not be loaded into a [`ClusterState`].
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// An object without `kind`.
    #[error("object #{index} has no `kind`")]
    NoKind {
        /// Position in the input.
        index: usize,
    },
    /// An object of a known kind that does not fit its schema.
    #[error("{kind} `{name}`: {reason}")]
    Invalid {
        /// Its kind.
        kind: String,
        /// Its name, when readable.
        name: String,
        /// The schema error.
        reason: String,
    },
}

/// Everything graders can observe about a cluster at one moment.
#[derive(Clone, Debug, Default)]
pub struct ClusterState {
    /// Namespaces.
    pub namespaces: Vec<Namespace>,
    /// Nodes.
    pub nodes: Vec<Node>,
    /// Pods.
    pub pods: Vec<Pod>,
    /// Deployments.
    pub deployments: Vec<Deployment>,
    /// DaemonSets.
    pub daemon_sets: Vec<DaemonSet>,
    /// StatefulSets.
    pub stateful_sets: Vec<StatefulSet>,
    /// ReplicaSets.
    pub replica_sets: Vec<ReplicaSet>,
    /// Services.
    pub services: Vec<Service>,
    /// EndpointSlices.
    pub endpoint_slices: Vec<EndpointSlice>,
    /// NetworkPolicies.
    pub network_policies: Vec<NetworkPolicy>,
    /// ConfigMaps.
    pub config_maps: Vec<ConfigMap>,
    /// Ingresses.
    pub ingresses: Vec<Ingress>,
    /// Gateway API `GatewayClass` objects (the `gateway-api` add-on).
    pub gateway_classes: Vec<ApiObject>,
    /// Gateway API `Gateway` objects.
    pub gateways: Vec<ApiObject>,
    /// Gateway API `HTTPRoute` objects.
    pub http_routes: Vec<ApiObject>,
    /// Gateway API `ReferenceGrant` objects.
    pub reference_grants: Vec<ApiObject>,
    /// Events.
    pub events: Vec<Event>,
    /// Kinds present in the input that graders do not model, with counts.
    pub ignored: BTreeMap<String, usize>,
}

fn typed<T: DeserializeOwned>(value: Value, kind: &str) -> Result<T, StateError> {
    let name = value
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_owned();
    serde_json::from_value(value).map_err(|e| StateError::Invalid {
        kind: kind.to_owned(),
        name,
        reason: e.to_string(),
    })
}

impl ClusterState {
    /// Load objects; `List` objects (as `kubectl get -o json` prints) are flattened.
    pub fn from_objects(objects: impl IntoIterator<Item = Value>) -> Result<Self, StateError> {
        let mut state = Self::default();
        for object in objects {
            state.add_object(object)?;
        }
        Ok(state)
    }

    /// Add one object (a `List` is flattened).
    pub fn add_object(&mut self, mut object: Value) -> Result<(), StateError> {
        let index = self.len();
        let kind = object
            .get("kind")
            .and_then(Value::as_str)
            .ok_or(StateError::NoKind { index })?
            .to_owned();
        match kind.as_str() {
            "List" | "PodList" | "ServiceList" | "DeploymentList" | "EndpointSliceList" | "NetworkPolicyList" => {
                // Taken, not cloned: a cluster dump is large.
                let items = match object.get_mut("items").map(Value::take) {
                    Some(Value::Array(items)) => items,
                    _ => Vec::new(),
                };
                let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty()).map(str::to_owned);
                for mut item in items {
                    // `kubectl get pods -o json` lists items without kind; the list names it.
                    if let (Some(k), Some(map)) = (&item_kind, item.as_object_mut()) {
                        map.entry("kind").or_insert_with(|| Value::String(k.clone()));
                    }
                    self.add_object(item)?;
                }
            }
            "Namespace" => self.namespaces.push(typed(object, &kind)?),
            "Node" => self.nodes.push(typed(object, &kind)?),
            "Pod" => self.pods.push(typed(object, &kind)?),
            "Deployment" => self.deployments.push(typed(object, &kind)?),
            "DaemonSet" => self.daemon_sets.push(typed(object, &kind)?),
            "StatefulSet" => self.stateful_sets.push(typed(object, &kind)?),
            "ReplicaSet" => self.replica_sets.push(typed(object, &kind)?),
            "Service" => self.services.push(typed(object, &kind)?),
            "EndpointSlice" => self.endpoint_slices.push(typed(object, &kind)?),
            "NetworkPolicy" => self.network_policies.push(typed(object, &kind)?),
            "ConfigMap" => self.config_maps.push(typed(object, &kind)?),
            "Ingress" => self.ingresses.push(typed(object, &kind)?),
            "GatewayClass" => self.gateway_classes.push(typed(object, &kind)?),
            "Gateway" => self.gateways.push(typed(object, &kind)?),
            "HTTPRoute" => self.http_routes.push(typed(object, &kind)?),
            "ReferenceGrant" => self.reference_grants.push(typed(object, &kind)?),
            "Event" => self.events.push(typed(object, &kind)?),
            _ => *self.ignored.entry(kind).or_default() += 1,
        }
        Ok(())
    }

    /// How many objects were added (modelled or not).
    #[must_use]
    pub fn len(&self) -> usize {
        self.namespaces.len()
            + self.nodes.len()
            + self.pods.len()
            + self.deployments.len()
            + self.daemon_sets.len()
            + self.stateful_sets.len()
            + self.replica_sets.len()
            + self.services.len()
            + self.endpoint_slices.len()
            + self.network_policies.len()
            + self.config_maps.len()
            + self.ingresses.len()
            + self.gateway_classes.len()
            + self.gateways.len()
            + self.http_routes.len()
            + self.reference_grants.len()
            + self.events.len()
            + self.ignored.values().sum::<usize>()
    }

    /// Whether nothing was added.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Move every object of `other` into this state; an object this state already holds (same
    /// kind, namespace and name: a cluster-wide list after a namespaced one) is kept once.
    pub fn merge(&mut self, other: Self) {
        fn add<T: HasMetadata>(into: &mut Vec<T>, from: Vec<T>) {
            for item in from {
                let (namespace, name) = (&item.meta().namespace, &item.meta().name);
                if !into
                    .iter()
                    .any(|o| &o.meta().namespace == namespace && &o.meta().name == name)
                {
                    into.push(item);
                }
            }
        }
        add(&mut self.namespaces, other.namespaces);
        add(&mut self.nodes, other.nodes);
        add(&mut self.pods, other.pods);
        add(&mut self.deployments, other.deployments);
        add(&mut self.daemon_sets, other.daemon_sets);
        add(&mut self.stateful_sets, other.stateful_sets);
        add(&mut self.replica_sets, other.replica_sets);
        add(&mut self.services, other.services);
        add(&mut self.endpoint_slices, other.endpoint_slices);
        add(&mut self.network_policies, other.network_policies);
        add(&mut self.config_maps, other.config_maps);
        add(&mut self.ingresses, other.ingresses);
        add(&mut self.events, other.events);
        add(&mut self.gateway_classes, other.gateway_classes);
        add(&mut self.gateways, other.gateways);
        add(&mut self.http_routes, other.http_routes);
        add(&mut self.reference_grants, other.reference_grants);
        for (kind, count) in other.ignored {
            *self.ignored.entry(kind).or_default() += count;
        }
    }

    /// Keep only what an observer that sent exactly `lists` would hold: an object stays when its
    /// kind was listed cluster-wide or in its namespace. Events and ignored kinds stay (no list
    /// request names them). For tests and simulations of what a grade observes.
    pub fn retain_listed(&mut self, lists: &BTreeSet<ListRequest>) {
        fn keep<T: HasMetadata>(items: &mut Vec<T>, kind: ObjectKind, lists: &BTreeSet<ListRequest>) {
            items.retain(|item| {
                lists.contains(&(kind, None))
                    || (kind.is_namespaced() && lists.contains(&(kind, item.meta().namespace.clone())))
            });
        }
        keep(&mut self.namespaces, ObjectKind::Namespace, lists);
        keep(&mut self.nodes, ObjectKind::Node, lists);
        keep(&mut self.pods, ObjectKind::Pod, lists);
        keep(&mut self.deployments, ObjectKind::Deployment, lists);
        keep(&mut self.daemon_sets, ObjectKind::DaemonSet, lists);
        keep(&mut self.stateful_sets, ObjectKind::StatefulSet, lists);
        keep(&mut self.replica_sets, ObjectKind::ReplicaSet, lists);
        keep(&mut self.services, ObjectKind::Service, lists);
        keep(&mut self.endpoint_slices, ObjectKind::EndpointSlice, lists);
        keep(&mut self.network_policies, ObjectKind::NetworkPolicy, lists);
        keep(&mut self.config_maps, ObjectKind::ConfigMap, lists);
        keep(&mut self.ingresses, ObjectKind::Ingress, lists);
        keep(&mut self.gateway_classes, ObjectKind::GatewayClass, lists);
        keep(&mut self.gateways, ObjectKind::Gateway, lists);
        keep(&mut self.http_routes, ObjectKind::HttpRoute, lists);
        keep(&mut self.reference_grants, ObjectKind::ReferenceGrant, lists);
    }

    /// The object of `kind` named `name` (in `namespace`), as JSON, for generic comparisons.
    #[must_use]
    pub fn get_json(&self, kind: ObjectKind, namespace: Option<&str>, name: &str) -> Option<Value> {
        fn find<T: Serialize>(items: &[T], meta: fn(&T) -> &ObjectMeta, ns: Option<&str>, name: &str) -> Option<Value> {
            items
                .iter()
                .find(|o| is_named(meta(o), ns, name))
                .and_then(|o| serde_json::to_value(o).ok())
        }
        match kind {
            ObjectKind::Namespace => find(&self.namespaces, |o| &o.metadata, None, name),
            ObjectKind::Node => find(&self.nodes, |o| &o.metadata, None, name),
            ObjectKind::Pod => find(&self.pods, |o| &o.metadata, namespace, name),
            ObjectKind::Service => find(&self.services, |o| &o.metadata, namespace, name),
            ObjectKind::ConfigMap => find(&self.config_maps, |o| &o.metadata, namespace, name),
            ObjectKind::Deployment => find(&self.deployments, |o| &o.metadata, namespace, name),
            ObjectKind::DaemonSet => find(&self.daemon_sets, |o| &o.metadata, namespace, name),
            ObjectKind::StatefulSet => find(&self.stateful_sets, |o| &o.metadata, namespace, name),
            ObjectKind::ReplicaSet => find(&self.replica_sets, |o| &o.metadata, namespace, name),
            ObjectKind::EndpointSlice => find(&self.endpoint_slices, |o| &o.metadata, namespace, name),
            ObjectKind::NetworkPolicy => find(&self.network_policies, |o| &o.metadata, namespace, name),
            ObjectKind::Ingress => find(&self.ingresses, |o| &o.metadata, namespace, name),
            ObjectKind::GatewayClass => find(&self.gateway_classes, |o| &o.metadata, namespace, name),
            ObjectKind::Gateway => find(&self.gateways, |o| &o.metadata, namespace, name),
            ObjectKind::HttpRoute => find(&self.http_routes, |o| &o.metadata, namespace, name),
            ObjectKind::ReferenceGrant => find(&self.reference_grants, |o| &o.metadata, namespace, name),
        }
    }

    /// A Service by namespace and name.
    #[must_use]
    pub fn service(&self, namespace: &str, name: &str) -> Option<&Service> {
        self.services
            .iter()
            .find(|s| is_named(&s.metadata, Some(namespace), name))
    }

    /// Pods in a namespace.
    pub fn pods_in<'a>(&'a self, namespace: &'a str) -> impl Iterator<Item = &'a Pod> + 'a {
        self.pods
            .iter()
            .filter(move |p| p.metadata.namespace.as_deref() == Some(namespace))
    }

    /// A pod by namespace and name.
    #[must_use]
    pub fn pod(&self, namespace: &str, name: &str) -> Option<&Pod> {
        self.pods.iter().find(|p| is_named(&p.metadata, Some(namespace), name))
    }

    /// The EndpointSlices of a Service (label `kubernetes.io/service-name`).
    pub fn slices_for<'a>(
        &'a self,
        namespace: &'a str,
        service: &'a str,
    ) -> impl Iterator<Item = &'a EndpointSlice> + 'a {
        self.endpoint_slices.iter().filter(move |s| {
            s.metadata.namespace.as_deref() == Some(namespace)
                && s.metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(SERVICE_NAME_LABEL))
                    .map(String::as_str)
                    == Some(service)
        })
    }
}

/// The label EndpointSlices carry naming their Service.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// Annotation that marks kubedrill's probe pods (labels stay exactly what the check asks).
pub const PROBE_ANNOTATION: &str = "kubedrill.dev/probe";

/// Whether `pod` is one of kubedrill's own probe pods.
#[must_use]
pub fn is_probe_pod(pod: &Pod) -> bool {
    pod.metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key(PROBE_ANNOTATION))
}

fn is_named(meta: &ObjectMeta, namespace: Option<&str>, name: &str) -> bool {
    meta.name.as_deref() == Some(name) && (namespace.is_none() || meta.namespace.as_deref() == namespace)
}

/// How a probe connection ended, classified like agnhost `connect` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The connection (or request) succeeded.
    Connected,
    /// Actively refused: nothing listening, or a Service without endpoints.
    Refused,
    /// No answer before the deadline: dropped by policy, missing rules, broken CNI.
    Timeout,
    /// The name did not resolve.
    DnsFailure,
    /// Anything else (see the evidence).
    Other,
}

/// A probe's result, recorded by the live observer or written into a snapshot file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProbeResult {
    /// How the last attempt ended.
    pub outcome: Outcome,
    /// For DNS probes: the addresses returned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
    /// For HTTP probes: the status code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// For HTTP probes: the start of the body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// How many attempts were made.
    #[serde(default = "one")]
    pub attempts: u32,
    /// How long the outcome held (for `blocked`: how long it kept failing), in milliseconds.
    #[serde(default)]
    pub held_ms: u64,
    /// The equivalent command a learner could run.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub command: String,
    /// What the probe printed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub output: String,
    /// Set when the probe itself could not run (probe pod not scheduled, exec failed): an
    /// environment problem, never the learner's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Set when the probe pod or the probe's output was not what kubedrill sent: what changed.
    /// Nothing else in the result is trusted then; the check is an error, never a pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tampered: Option<String>,
}

const fn one() -> u32 {
    1
}

/// What graders see: the state now, the state right after setup, and probe results by check id.
#[derive(Clone, Debug, Default)]
pub struct Observation {
    /// The cluster now.
    pub state: ClusterState,
    /// The cluster right after setup, for `unchanged`.
    pub baseline: Option<Baseline>,
    /// Probe results by check id.
    pub probes: BTreeMap<String, ProbeResult>,
}

/// The reference state `unchanged` compares with.
#[derive(Clone, Debug, Default)]
pub struct Baseline {
    /// The objects.
    pub state: ClusterState,
    /// Where it came from.
    pub source: BaselineSource,
}

/// Where a baseline came from, which decides how strictly it is compared.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BaselineSource {
    /// Read back from the cluster right after setup: compared exactly.
    #[default]
    Recorded,
    /// The scenario's rendered manifests (no recording exists): fields the API server defaults
    /// are not in it, so only what the manifest wrote is compared, except for kinds the API
    /// server does not default (NetworkPolicy, ConfigMap), which are compared exactly.
    Manifests,
}

/// Whether a pod counts as Ready: condition `Ready` is exactly `True` (never a text match on
/// "Ready", which `NotReady` would satisfy) and it is not terminating.
#[must_use]
pub fn pod_is_ready(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_none()
        && pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|conditions| conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// A Service's port by number or name, optionally of one protocol (missing protocol = TCP).
#[must_use]
pub fn service_port<'s>(
    service: &'s Service,
    port: &crate::target::PortRef,
    protocol: Option<&str>,
) -> Option<&'s k8s_openapi::api::core::v1::ServicePort> {
    service.spec.as_ref()?.ports.as_ref()?.iter().find(|p| {
        protocol.is_none_or(|wanted| p.protocol.as_deref().unwrap_or("TCP") == wanted)
            && match port {
                crate::target::PortRef::Number(n) => p.port == i32::from(*n),
                crate::target::PortRef::Name(name) => p.name.as_deref() == Some(name.as_str()),
            }
    })
}

/// A pod's labels (none: empty).
#[must_use]
pub fn pod_labels(pod: &Pod) -> BTreeMap<String, String> {
    pod.metadata.labels.clone().unwrap_or_default()
}

/// The value at a dotted path (`spec.template.metadata.labels`) in a JSON object; a numeric
/// part indexes a list (`spec.template.spec.containers.0.image`).
#[must_use]
pub fn value_at<'a>(object: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(object, |value, key| match value {
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
        other => other.get(key),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn dotted_paths_index_lists() {
        let object = json!({"spec": {"containers": [{"image": "a"}, {"image": "b"}]}});
        assert_eq!(super::value_at(&object, "spec.containers.1.image"), Some(&json!("b")));
        assert_eq!(super::value_at(&object, "spec.containers.2.image"), None);
        assert_eq!(super::value_at(&object, "spec.containers.x"), None);
    }

    use super::{ClusterState, StateError};
    use crate::target::ObjectKind;

    #[test]
    fn loads_lists_and_single_objects_and_counts_unknown_kinds() {
        let state = ClusterState::from_objects([
            json!({"apiVersion": "v1", "kind": "List", "items": [
                {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"}},
                {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "shop"}},
            ]}),
            json!({"apiVersion": "v1", "kind": "PodList", "items": [
                {"metadata": {"name": "web-1", "namespace": "shop", "labels": {"app": "web"}}},
            ]}),
        ])
        .expect("loads");
        assert_eq!(state.services.len(), 1);
        assert_eq!(state.pods.len(), 1);
        assert_eq!(state.ignored.get("Secret"), Some(&1));
        assert!(state.service("shop", "web").is_some());
        assert!(state.service("other", "web").is_none());
        let json = state.get_json(ObjectKind::Pod, Some("shop"), "web-1").expect("found");
        assert_eq!(json["metadata"]["labels"]["app"], "web");
    }

    #[test]
    fn merging_a_cluster_wide_list_keeps_each_object_once() {
        let pod = |namespace: &str, name: &str| json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace}});
        let mut state = ClusterState::from_objects([pod("shop", "web-1")]).expect("state");
        state.merge(
            ClusterState::from_objects([pod("shop", "web-1"), pod("legacy", "web-1"), pod("legacy", "db-1")])
                .expect("state"),
        );
        let names: Vec<(Option<&str>, Option<&str>)> = state
            .pods
            .iter()
            .map(|p| (p.metadata.namespace.as_deref(), p.metadata.name.as_deref()))
            .collect();
        assert_eq!(
            names,
            [
                (Some("shop"), Some("web-1")),
                (Some("legacy"), Some("web-1")),
                (Some("legacy"), Some("db-1"))
            ]
        );
    }

    #[test]
    fn invalid_objects_name_themselves() {
        let err = ClusterState::from_objects([json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web"}, "spec": {"ports": "eighty"}})])
        .expect_err("invalid");
        assert!(
            matches!(&err, StateError::Invalid { kind, name, .. } if kind == "Service" && name == "web"),
            "{err}"
        );
        assert!(matches!(
            ClusterState::from_objects([json!({})]),
            Err(StateError::NoKind { index: 0 })
        ));
    }
}
