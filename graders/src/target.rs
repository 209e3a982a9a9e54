//! Shared parameter types of the check vocabulary: object references, probe sources and
//! destinations, ports, expectations.
//!
//! Data and syntax checks only; resolving a reference against a cluster snapshot belongs to the
//! graders, and talking to a cluster belongs to the kubedrill binary, never here.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ParamProblem;
use crate::names::{check_dns1123_label, check_dns1123_subdomain, check_label_key, check_label_value, check_port_name};
use crate::selector::LabelSelector;

/// The object kinds graders can observe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ObjectKind {
    /// `v1/Namespace` (cluster-scoped).
    Namespace,
    /// `v1/Node` (cluster-scoped).
    Node,
    /// `v1/Pod`.
    Pod,
    /// `v1/Service`.
    Service,
    /// `v1/ConfigMap`.
    ConfigMap,
    /// `apps/v1/Deployment`.
    Deployment,
    /// `apps/v1/DaemonSet`.
    DaemonSet,
    /// `apps/v1/StatefulSet`.
    StatefulSet,
    /// `apps/v1/ReplicaSet`.
    ReplicaSet,
    /// `discovery.k8s.io/v1/EndpointSlice`.
    EndpointSlice,
    /// `networking.k8s.io/v1/NetworkPolicy`.
    NetworkPolicy,
    /// `networking.k8s.io/v1/Ingress`.
    Ingress,
    /// `gateway.networking.k8s.io/v1/GatewayClass` (cluster-scoped; the `gateway-api` add-on).
    GatewayClass,
    /// `gateway.networking.k8s.io/v1/Gateway` (the `gateway-api` add-on).
    Gateway,
    /// `gateway.networking.k8s.io/v1/HTTPRoute` (the `gateway-api` add-on).
    #[serde(rename = "HTTPRoute")]
    HttpRoute,
    /// `gateway.networking.k8s.io/v1/ReferenceGrant` (the `gateway-api` add-on).
    ReferenceGrant,
}

impl ObjectKind {
    /// Whether objects of this kind live in a namespace.
    #[must_use]
    pub const fn is_namespaced(self) -> bool {
        !matches!(self, Self::Namespace | Self::Node | Self::GatewayClass)
    }

    /// Whether this kind is a custom resource an add-on installs (its API may not be served).
    #[must_use]
    pub const fn is_addon(self) -> bool {
        matches!(
            self,
            Self::GatewayClass | Self::Gateway | Self::HttpRoute | Self::ReferenceGrant
        )
    }

    /// Whether a rollout (desired = updated = ready replicas) is defined for this kind.
    #[must_use]
    pub const fn has_rollout(self) -> bool {
        matches!(self, Self::Deployment | Self::DaemonSet | Self::StatefulSet)
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HttpRoute => f.write_str("HTTPRoute"),
            other => fmt::Debug::fmt(other, f),
        }
    }
}

/// One object by kind, namespace and name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObjectRef {
    /// The kind, e.g. `Service`.
    pub kind: ObjectKind,
    /// The object's name.
    pub name: String,
    /// Required for namespaced kinds, forbidden for cluster-scoped ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl ObjectRef {
    /// Syntax problems, with `field` naming where this reference sits.
    #[must_use]
    pub fn problems(&self, field: &str) -> Vec<ParamProblem> {
        let mut problems = Vec::new();
        if let Err(e) = check_dns1123_subdomain(&self.name) {
            problems.push(ParamProblem::new(format!("{field}.name"), e));
        }
        match (&self.namespace, self.kind.is_namespaced()) {
            (None, true) => problems.push(ParamProblem::new(
                format!("{field}.namespace"),
                format!("a {} lives in a namespace: set `namespace`", self.kind),
            )),
            (Some(_), false) => problems.push(ParamProblem::new(
                format!("{field}.namespace"),
                format!("a {} is cluster-scoped: remove `namespace`", self.kind),
            )),
            (Some(ns), true) => problems.extend(namespace_problem(ns, field)),
            (None, false) => {}
        }
        problems
    }
}

impl ObjectRef {
    /// The `kubectl get` a learner would run to see this object.
    #[must_use]
    pub fn kubectl_get(&self) -> String {
        let kind = self.kind.to_string().to_lowercase();
        match &self.namespace {
            Some(ns) => format!("kubectl -n {ns} get {kind} {} -o yaml", self.name),
            None => format!("kubectl get {kind} {} -o yaml", self.name),
        }
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {ns}/{}", self.kind, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

pub(crate) fn namespace_problem(namespace: &str, field: &str) -> Option<ParamProblem> {
    check_dns1123_label(namespace)
        .err()
        .map(|e| ParamProblem::new(format!("{field}.namespace"), e))
}

/// A port by number or by name (a named port resolves against the backend's container ports).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PortRef {
    /// A port number.
    Number(u16),
    /// A port name.
    Name(String),
}

impl PortRef {
    pub(crate) fn problems(&self, field: &str) -> Vec<ParamProblem> {
        let problem = match self {
            Self::Number(0) => Some("port 0 is not a valid port; use 1-65535".to_owned()),
            Self::Number(_) => None,
            Self::Name(name) => check_port_name(name).err(),
        };
        problem.map(|p| ParamProblem::new(field, p)).into_iter().collect()
    }
}

impl fmt::Display for PortRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::Name(name) => f.write_str(name),
        }
    }
}

/// Transport protocols; Kubernetes defaults a missing protocol to TCP.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Protocol {
    /// TCP (the default).
    #[default]
    Tcp,
    /// UDP.
    Udp,
    /// SCTP.
    Sctp,
}

/// Which node a node-level probe runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeChoice {
    /// The control-plane node.
    ControlPlane,
    /// A worker node.
    Worker,
    /// Any Ready node.
    Any,
}

/// What traffic a probe expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expectation {
    /// The connection must succeed.
    Allowed,
    /// The connection must fail (and keep failing for `stableFor`).
    Blocked,
}

/// Pods by namespace and label selector.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodSet {
    /// The pods' namespace.
    pub namespace: String,
    /// Which pods.
    pub selector: LabelSelector,
}

impl PodSet {
    /// Syntax problems in the namespace and selector, with `field` naming where this set sits.
    #[must_use]
    pub fn problems(&self, field: &str) -> Vec<ParamProblem> {
        let mut problems: Vec<ParamProblem> = namespace_problem(&self.namespace, field).into_iter().collect();
        problems.extend(selector_problems(&self.selector, &format!("{field}.selector")));
        problems
    }
}

/// Where a probe runs from: exactly one of `selector`, `probeLabels` or `node`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Source {
    /// Namespace of the source pod (required unless `node`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Exec into a Ready pod matching this selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
    /// Create a probe pod carrying exactly these labels (policies select by labels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe_labels: Option<BTreeMap<String, String>>,
    /// Probe from a hostNetwork pod on this node (NodePort cases).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<NodeChoice>,
}

impl Source {
    pub(crate) fn problems(&self, field: &str) -> Vec<ParamProblem> {
        let mut problems = Vec::new();
        let chosen = [
            self.selector.is_some(),
            self.probe_labels.is_some(),
            self.node.is_some(),
        ];
        if chosen.iter().filter(|c| **c).count() != 1 {
            problems.push(ParamProblem::new(
                field,
                "set exactly one of `selector`, `probeLabels` or `node`",
            ));
        }
        match (&self.namespace, self.node.is_some()) {
            (None, false) => problems.push(ParamProblem::new(
                format!("{field}.namespace"),
                "a pod source needs `namespace`",
            )),
            (Some(ns), _) => problems.extend(namespace_problem(ns, field)),
            (None, true) => {}
        }
        if let Some(selector) = &self.selector {
            problems.extend(selector_problems(selector, &format!("{field}.selector")));
        }
        if let Some(labels) = &self.probe_labels {
            problems.extend(label_map_problems(labels, &format!("{field}.probeLabels")));
        }
        problems
    }
}

/// Where a probe connects to: exactly one of `service`, `pod`, `host` or `node`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Destination {
    /// A Service by name (connect to its ClusterIP, or its DNS name with `byName`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Pods matching this selector, by pod IP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<LabelSelector>,
    /// A DNS name or IP as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// A node's InternalIP (NodePort cases).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<NodeChoice>,
    /// Namespace of `service` or `pod`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// With `service`: connect through the Service's DNS name instead of its ClusterIP.
    #[serde(default)]
    pub by_name: bool,
    /// The port (a Service port, a container port, or a nodePort).
    pub port: PortRef,
    /// The protocol (default TCP).
    #[serde(default)]
    pub protocol: Protocol,
}

impl Destination {
    pub(crate) fn problems(&self, field: &str) -> Vec<ParamProblem> {
        let mut problems = Vec::new();
        let chosen = [
            self.service.is_some(),
            self.pod.is_some(),
            self.host.is_some(),
            self.node.is_some(),
        ];
        if chosen.iter().filter(|c| **c).count() != 1 {
            problems.push(ParamProblem::new(
                field,
                "set exactly one of `service`, `pod`, `host` or `node`",
            ));
        }
        let needs_namespace = self.service.is_some() || self.pod.is_some();
        match (&self.namespace, needs_namespace) {
            (None, true) => problems.push(ParamProblem::new(
                format!("{field}.namespace"),
                "a `service` or `pod` destination needs `namespace`",
            )),
            (Some(_), false) => problems.push(ParamProblem::new(
                format!("{field}.namespace"),
                "`namespace` only applies to `service` and `pod` destinations",
            )),
            (Some(ns), true) => problems.extend(namespace_problem(ns, field)),
            (None, false) => {}
        }
        if let Some(service) = &self.service {
            if let Err(e) = check_dns1123_label(service) {
                problems.push(ParamProblem::new(format!("{field}.service"), e));
            }
        } else if self.by_name {
            problems.push(ParamProblem::new(
                format!("{field}.byName"),
                "`byName` only applies to `service`",
            ));
        }
        if let Some(selector) = &self.pod {
            problems.extend(selector_problems(selector, &format!("{field}.pod")));
        }
        if self.host.as_deref().is_some_and(str::is_empty) {
            problems.push(ParamProblem::new(format!("{field}.host"), "`host` is empty"));
        }
        if matches!(self.port, PortRef::Name(_)) && (self.host.is_some() || self.node.is_some()) {
            problems.push(ParamProblem::new(
                format!("{field}.port"),
                "a named port only resolves for `service` and `pod` destinations; use a number",
            ));
        }
        problems.extend(self.port.problems(&format!("{field}.port")));
        problems
    }
}

pub(crate) fn selector_problems(selector: &LabelSelector, field: &str) -> Vec<ParamProblem> {
    selector
        .problems()
        .into_iter()
        .map(|p| ParamProblem::new(field, p))
        .collect()
}

pub(crate) fn label_map_problems(labels: &BTreeMap<String, String>, field: &str) -> Vec<ParamProblem> {
    labels
        .iter()
        .flat_map(|(k, v)| [check_label_key(k).err(), check_label_value(v).err()])
        .flatten()
        .map(|p| ParamProblem::new(field, p))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{Destination, NodeChoice, ObjectKind, ObjectRef, PortRef, Protocol, Source};
    use crate::selector::LabelSelector;

    fn dest(service: Option<&str>, namespace: Option<&str>, port: PortRef) -> Destination {
        Destination {
            service: service.map(str::to_owned),
            pod: None,
            host: None,
            node: None,
            namespace: namespace.map(str::to_owned),
            by_name: false,
            port,
            protocol: Protocol::Tcp,
        }
    }

    #[test]
    fn object_ref_namespace_rules() {
        let svc = |ns: Option<&str>| ObjectRef {
            kind: ObjectKind::Service,
            name: "web".into(),
            namespace: ns.map(Into::into),
        };
        assert!(svc(Some("shop")).problems("target").is_empty());
        assert_eq!(svc(None).problems("target")[0].field, "target.namespace");
        let node = ObjectRef {
            kind: ObjectKind::Node,
            name: "kind-worker".into(),
            namespace: Some("x".into()),
        };
        assert!(node.problems("target")[0].message.contains("cluster-scoped"));
        assert!(svc(Some("Bad_NS")).problems("target")[0].field.ends_with("namespace"));
    }

    #[test]
    fn destination_needs_exactly_one_target_and_valid_port() {
        assert!(
            dest(Some("web"), Some("shop"), PortRef::Number(80))
                .problems("to")
                .is_empty()
        );
        assert!(!dest(None, None, PortRef::Number(80)).problems("to").is_empty());
        assert!(!dest(Some("web"), None, PortRef::Number(80)).problems("to").is_empty());
        assert!(
            !dest(Some("web"), Some("shop"), PortRef::Number(0))
                .problems("to")
                .is_empty()
        );
        assert!(
            dest(Some("web"), Some("shop"), PortRef::Name("http".into()))
                .problems("to")
                .is_empty()
        );
        let mut node = dest(None, None, PortRef::Name("http".into()));
        node.node = Some(NodeChoice::Any);
        assert!(node.problems("to").iter().any(|p| p.message.contains("named port")));
    }

    #[test]
    fn source_needs_exactly_one_origin() {
        let mut source = Source {
            namespace: Some("shop".into()),
            ..Source::default()
        };
        assert!(!source.problems("from").is_empty());
        source.selector = Some(LabelSelector::default());
        assert!(source.problems("from").is_empty());
        source.node = Some(NodeChoice::Any);
        assert!(!source.problems("from").is_empty());
        let node_only = Source {
            node: Some(NodeChoice::Worker),
            ..Source::default()
        };
        assert!(node_only.problems("from").is_empty());
    }
}
