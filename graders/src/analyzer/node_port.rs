//! Connections to a port of a node's address, as kube-proxy (iptables mode) and the CNI's
//! `portmap` plugin route them:
//!
//! - a `NodePort` or `LoadBalancer` Service whose `nodePort` is that port takes the connection
//!   (a node port is unique in the cluster) to its Ready endpoints;
//! - under `externalTrafficPolicy: Local`, only the endpoints on that node, and the client's
//!   address is kept; with none there, kube-proxy drops the connection (a timeout). Two sources
//!   are routed as under `Cluster` all the same, as kube-proxy does: a pod (short-circuited to
//!   every endpoint) and the node itself (masqueraded; a source named `node/<that node>`);
//! - under `Cluster`, any Ready endpoint, the source rewritten to the node's address, which is
//!   what a backend's ingress policy then sees;
//! - else a pod on that node declaring the port as a `hostPort` (the client's address kept);
//! - else nothing listens: refused.
//!
//! Egress policies are judged against the backend, as for a ClusterIP. Pure: it explains, it
//! must not probe or read anything but the [`ClusterState`](crate::state::ClusterState).

use k8s_openapi::api::core::v1::{Pod, Service, ServicePort};

use super::policy::Endpoint;
use super::{Analyzer, Hop, pod_ip};
use crate::target::PortRef;

/// What a node port leads to: the hops on the way, the backends with their ports, and the
/// source as the backends' ingress policies see it.
pub(super) type NodePortRoute = (Vec<Hop>, Vec<(Endpoint, u16)>, Endpoint);

impl Analyzer<'_> {
    /// Where a connection from `from` to `port` of node `node` goes (see the module docs).
    pub(super) fn node_port_route(
        &self,
        from: &Endpoint,
        node: &str,
        port: u16,
        protocol: &str,
    ) -> Result<NodePortRoute, Hop> {
        let fail = |reason: String| Hop::new("service", false, reason);
        let node_address = self
            .state
            .nodes
            .iter()
            .find(|n| n.metadata.name.as_deref() == Some(node))
            .ok_or_else(|| fail(format!("node {node} does not exist")))
            .and_then(|n| Self::node(n).ok_or_else(|| fail(format!("node {node} has no InternalIP"))))?;
        if let Some((service, service_port)) = self.node_port_service(port, protocol) {
            return self.through_service(from, (node, &node_address), service, service_port, protocol);
        }
        if let Some((pod, container_port)) = self.host_port_pod(node, port, protocol) {
            let endpoint = Self::endpoint(pod);
            let hop = Hop::new(
                "service",
                true,
                format!(
                    "no Service has nodePort {port}; pod {} on node {node} maps it as a hostPort to its port {container_port}",
                    endpoint.name
                ),
            );
            return Ok((vec![hop], vec![(endpoint, container_port)], from.clone()));
        }
        let mut hop = fail(format!(
            "nothing listens on {protocol} port {port} of node {node}: no Service has nodePort {port} and no pod there declares it as a hostPort (connections are refused)"
        ));
        hop.hints.push(format!(
            "only a NodePort or LoadBalancer Service opens a port on every node, on its `nodePort`: `kubectl get svc -A | grep {port}` finds the one meant to hold it"
        ));
        Err(hop)
    }

    /// The Service hop, then the traffic-policy hop, and the backends the policy leaves.
    fn through_service(
        &self,
        from: &Endpoint,
        (node, node_address): (&str, &Endpoint),
        service: &Service,
        service_port: &ServicePort,
        protocol: &str,
    ) -> Result<NodePortRoute, Hop> {
        let namespace = service.metadata.namespace.as_deref().unwrap_or_default();
        let name = service.metadata.name.as_deref().unwrap_or_default();
        let number = u16::try_from(service_port.port).unwrap_or_default();
        let owned = |mut hop: Hop| {
            let node_port = service_port.node_port.unwrap_or_default();
            hop.reason = format!("nodePort {node_port} is Service {namespace}/{name}'s: {}", hop.reason);
            hop
        };
        let (service_hop, mut backends) = self
            .service_backends(namespace, name, &PortRef::Number(number), protocol)
            .map_err(owned)?;
        let mut hops: Vec<Hop> = service_hop.map(owned).into_iter().collect();
        let local = service.spec.as_ref().and_then(|s| s.external_traffic_policy.as_deref()) == Some("Local");
        // By name, not address: the test bed's kwok nodes all have InternalIP 127.0.0.1.
        let from_the_node = !from.pod && from.name == node_address.name;
        if !local || from_the_node {
            let why = if local {
                "externalTrafficPolicy Local, but the connection comes from the node itself, which kube-proxy sends to any Ready endpoint"
            } else {
                "externalTrafficPolicy Cluster: any Ready endpoint answers, and the client's address is rewritten to the node's"
            };
            hops.push(Hop::new(
                "node-port",
                true,
                format!("{why} ({} endpoint(s))", backends.len()),
            ));
            return Ok((hops, backends, node_address.clone()));
        }
        if from.pod {
            hops.push(Hop::new(
                "node-port",
                true,
                format!(
                    "externalTrafficPolicy Local, but {} is a pod, which kube-proxy sends to any Ready endpoint ({})",
                    from.name,
                    backends.len()
                ),
            ));
            return Ok((hops, backends, from.clone()));
        }
        let everywhere = backends.len();
        let elsewhere = self.nodes_of(&backends);
        backends.retain(|(endpoint, _)| self.node_of(endpoint) == Some(node));
        if backends.is_empty() {
            let mut hop = Hop::new(
                "node-port",
                false,
                format!(
                    "Service {namespace}/{name} has externalTrafficPolicy Local and none of its {everywhere} Ready endpoint(s) runs on node {node}: kube-proxy drops the connection there"
                ),
            );
            if !elsewhere.is_empty() {
                hop.details
                    .push(format!("its Ready endpoints run on {}", elsewhere.join(", ")));
            }
            hop.hints.push(format!(
                "`Local` keeps the client's address by answering only from pods on the node the connection reaches: a Ready pod must run on {node} (look for a nodeSelector, affinity or taint keeping it away); switching to `Cluster` answers everywhere but hides the client's address"
            ));
            hops.push(hop);
            return Ok((hops, Vec::new(), from.clone()));
        }
        hops.push(Hop::new(
            "node-port",
            true,
            format!(
                "externalTrafficPolicy Local: {} Ready endpoint(s) on node {node} answer, and see the client's own address",
                backends.len()
            ),
        ));
        Ok((hops, backends, from.clone()))
    }

    /// The Service (`NodePort` or `LoadBalancer`) and port holding this node port.
    fn node_port_service(&self, port: u16, protocol: &str) -> Option<(&Service, &ServicePort)> {
        self.state.services.iter().find_map(|service| {
            let spec = service.spec.as_ref()?;
            if !matches!(spec.type_.as_deref(), Some("NodePort" | "LoadBalancer")) {
                return None;
            }
            let found =
                spec.ports.iter().flatten().find(|p| {
                    p.node_port == Some(i32::from(port)) && p.protocol.as_deref().unwrap_or("TCP") == protocol
                })?;
            Some((service, found))
        })
    }

    /// A pod on `node` declaring `port` as a hostPort, and the container port it maps to.
    fn host_port_pod(&self, node: &str, port: u16, protocol: &str) -> Option<(&Pod, u16)> {
        self.state
            .pods
            .iter()
            .filter(|p| p.metadata.deletion_timestamp.is_none())
            .filter(|p| p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node))
            .find_map(|pod| {
                let declared = pod
                    .spec
                    .iter()
                    .flat_map(|s| &s.containers)
                    .flat_map(|c| c.ports.iter().flatten());
                let found = declared
                    .filter(|p| p.protocol.as_deref().unwrap_or("TCP") == protocol)
                    .find(|p| p.host_port == Some(i32::from(port)))?;
                Some((pod, u16::try_from(found.container_port).ok()?))
            })
    }

    /// The node a backend runs on: its pod's, found by name (`ns/pod`), else by address (an
    /// EndpointSlice's endpoint; hostNetwork pods share their node's address, so a name wins).
    fn node_of(&self, endpoint: &Endpoint) -> Option<&str> {
        let by_name = endpoint
            .name
            .split_once('/')
            .and_then(|(namespace, name)| self.state.pod(namespace, name));
        let pod = by_name.or_else(|| {
            let ip = endpoint.ip?;
            self.state.pods.iter().find(|p| pod_ip(p) == Some(ip))
        })?;
        pod.spec.as_ref()?.node_name.as_deref()
    }

    /// The distinct nodes these backends run on, in order.
    fn nodes_of(&self, backends: &[(Endpoint, u16)]) -> Vec<String> {
        let mut nodes: Vec<String> = backends
            .iter()
            .filter_map(|(e, _)| self.node_of(e).map(str::to_owned))
            .collect();
        nodes.sort();
        nodes.dedup();
        nodes
    }
}
