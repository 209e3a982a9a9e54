//! Where a probe runs from and connects to, resolved against observed state: the source pod,
//! and the destination as `host:port` (ClusterIP, Service DNS name, pod IP, node InternalIP).
//! Shared by the live prober (which needs real addresses) and predictions.
//!
//! Pure lookups over a [`ClusterState`]; never probes.

use k8s_openapi::api::core::v1::{Node, Pod};

use crate::state::{ClusterState, pod_is_ready, pod_labels, service_port};
use crate::target::{Destination, NodeChoice, PortRef};

/// Pods in `namespace` matching `selector`, Ready ones first (stable otherwise).
#[must_use]
pub fn matching_pods<'a>(
    state: &'a ClusterState,
    namespace: &'a str,
    selector: &crate::selector::LabelSelector,
) -> Vec<&'a Pod> {
    let mut pods: Vec<&Pod> = state
        .pods_in(namespace)
        .filter(|p| selector.matches(&pod_labels(p)))
        .collect();
    pods.sort_by_key(|p| !pod_is_ready(p));
    pods
}

/// The node a [`NodeChoice`] picks: the control plane, the first worker, or the first Ready node.
#[must_use]
pub fn pick_node(state: &ClusterState, choice: NodeChoice) -> Option<&Node> {
    let is_control_plane = |n: &&Node| {
        n.metadata
            .labels
            .as_ref()
            .is_some_and(|l| l.contains_key("node-role.kubernetes.io/control-plane"))
    };
    let mut nodes = state.nodes.iter();
    match choice {
        NodeChoice::ControlPlane => nodes.find(is_control_plane),
        NodeChoice::Worker => nodes.find(|n| !is_control_plane(n)),
        NodeChoice::Any => nodes.find(|n| node_is_ready(n)),
    }
}

/// Whether a node's `Ready` condition is exactly `True`.
#[must_use]
pub fn node_is_ready(node: &Node) -> bool {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// An IP address as a destination names it: `198.51.100.20`, `fd00::5` or `[fd00::5]`. `None`
/// for a name.
#[must_use]
pub fn ip_literal(host: &str) -> Option<std::net::IpAddr> {
    host.trim_start_matches('[').trim_end_matches(']').parse().ok()
}

/// A node's InternalIP.
#[must_use]
pub fn node_ip(node: &Node) -> Option<&str> {
    node.status
        .as_ref()?
        .addresses
        .as_ref()?
        .iter()
        .find(|a| a.type_ == "InternalIP")
        .map(|a| a.address.as_str())
}

/// A destination as host and port, or why it cannot be resolved (an environment problem or
/// the learner's: a Service deleted, no pod matching).
pub fn resolve(state: &ClusterState, to: &Destination) -> Result<(String, u16), String> {
    let namespace = to.namespace.as_deref().unwrap_or("default");
    if let Some(name) = &to.service {
        let service = state
            .service(namespace, name)
            .ok_or_else(|| format!("Service {namespace}/{name} does not exist"))?;
        if crate::analyzer::external_name::external_name(service).is_some() {
            // A CNAME: no ClusterIP and no port mapping; the client asks for the port itself.
            if !to.by_name {
                return Err(format!(
                    "Service {namespace}/{name} is an ExternalName Service: it has no ClusterIP"
                ));
            }
            return Ok((format!("{name}.{namespace}.svc.cluster.local"), number(&to.port)?));
        }
        let port = service_port(service, &to.port, None)
            .ok_or_else(|| format!("Service {namespace}/{name} has no port `{}`", to.port))?;
        let port = u16::try_from(port.port).map_err(|_| format!("Service {namespace}/{name}: bad port"))?;
        if to.by_name {
            return Ok((format!("{name}.{namespace}.svc.cluster.local"), port));
        }
        let ip = service
            .spec
            .as_ref()
            .and_then(|s| s.cluster_ip.clone())
            .filter(|ip| ip != "None")
            .ok_or_else(|| format!("Service {namespace}/{name} has no ClusterIP"))?;
        return Ok((ip, port));
    }
    if let Some(selector) = &to.pod {
        let pods = matching_pods(state, namespace, selector);
        let pod = pods
            .first()
            .ok_or_else(|| format!("no pod in {namespace} matches `{}`", selector.to_query()))?;
        let ip = pod.status.as_ref().and_then(|s| s.pod_ip.clone()).ok_or_else(|| {
            format!(
                "pod {namespace}/{} has no IP yet",
                pod.metadata.name.as_deref().unwrap_or("?")
            )
        })?;
        return Ok((ip, container_port(pod, &to.port)?));
    }
    if let Some(choice) = to.node {
        let node = pick_node(state, choice).ok_or_else(|| format!("no {choice:?} node"))?;
        let ip = node_ip(node).ok_or_else(|| "node has no InternalIP".to_owned())?;
        return Ok((ip.to_owned(), number(&to.port)?));
    }
    let host = to.host.clone().ok_or_else(|| "no destination".to_owned())?;
    Ok((host, number(&to.port)?))
}

fn number(port: &PortRef) -> Result<u16, String> {
    match port {
        PortRef::Number(n) => Ok(*n),
        PortRef::Name(name) => Err(format!("port `{name}` must be a number here")),
    }
}

fn container_port(pod: &Pod, port: &PortRef) -> Result<u16, String> {
    let PortRef::Name(name) = port else {
        return number(port);
    };
    pod.spec
        .iter()
        .flat_map(|s| &s.containers)
        .flat_map(|c| c.ports.iter().flatten())
        .find(|p| p.name.as_deref() == Some(name.as_str()))
        .and_then(|p| u16::try_from(p.container_port).ok())
        .ok_or_else(|| format!("no container port named `{name}`"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::resolve;
    use crate::state::ClusterState;
    use crate::target::Destination;

    fn state() -> ClusterState {
        ClusterState::from_objects([
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
                   "spec": {"clusterIP": "10.96.0.20", "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1", "namespace": "shop", "labels": {"app": "web"}},
                   "spec": {"containers": [{"name": "c", "image": "i", "ports": [{"name": "http", "containerPort": 8080}]}]},
                   "status": {"podIP": "10.244.1.5"}}),
            json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "w", "labels": {}},
                   "status": {"addresses": [{"type": "InternalIP", "address": "172.18.0.3"}]}}),
        ])
        .expect("state")
    }

    fn to(value: serde_json::Value) -> Destination {
        serde_json::from_value(value).expect("destination")
    }

    #[test]
    fn destinations_resolve_to_real_addresses() {
        let state = state();
        let cases = [
            (
                json!({"service": "web", "namespace": "shop", "port": "http"}),
                Ok(("10.96.0.20", 80)),
            ),
            (
                json!({"service": "web", "namespace": "shop", "port": 80, "byName": true}),
                Ok(("web.shop.svc.cluster.local", 80)),
            ),
            (
                json!({"pod": {"matchLabels": {"app": "web"}}, "namespace": "shop", "port": "http"}),
                Ok(("10.244.1.5", 8080)),
            ),
            (json!({"node": "worker", "port": 30080}), Ok(("172.18.0.3", 30080))),
            (json!({"host": "example.org", "port": 443}), Ok(("example.org", 443))),
            (
                json!({"service": "api", "namespace": "shop", "port": 80}),
                Err("Service shop/api does not exist"),
            ),
            (
                json!({"service": "web", "namespace": "shop", "port": 81}),
                Err("Service shop/web has no port `81`"),
            ),
        ];
        for (destination, expected) in cases {
            let got = resolve(&state, &to(destination.clone()));
            let got = got.as_ref().map(|(h, p)| (h.as_str(), *p)).map_err(String::as_str);
            assert_eq!(got, expected, "{destination}");
        }
    }
}
