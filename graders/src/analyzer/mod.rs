//! The reachability analyzer: can A reach B on port P, and why not — hop by hop (DNS, Service,
//! egress policy at the source, ingress policy at the destination, evaluated on the backend
//! pod IP and targetPort after the Service's DNAT). A Service without a selector leads to the
//! endpoints of the EndpointSlices labelled for it, as kube-proxy reads them (`slices.rs`).
//!
//! A pure function over a [`ClusterState`]; it explains, it does not probe. Objects missing from
//! a snapshot (CoreDNS, namespaces) are assumed to work and the trace says so.

pub mod egress;
pub mod exclusive;
pub mod external_name;
pub mod matrix;
mod node_port;
pub mod policy;
mod slices;

use std::collections::BTreeMap;
use std::net::IpAddr;

use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;

use crate::state::{ClusterState, pod_is_ready, pod_labels, service_port};
use crate::target::PortRef;
pub use external_name::Canonical;
use policy::{Decision, Direction, Endpoint, NamedPort, decide};

/// One step of a trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hop {
    /// `dns`, `service`, `egress` or `ingress`.
    pub name: &'static str,
    /// Whether traffic gets past this step.
    pub ok: bool,
    /// Why, in one sentence.
    pub reason: String,
    /// Supporting detail (rule misses).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    /// Classic mistakes spotted here.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
    /// The policy decision behind an `egress` or `ingress` hop (which rule allowed it).
    #[serde(skip)]
    pub decision: Option<Box<Decision>>,
}

impl Hop {
    fn new(name: &'static str, ok: bool, reason: impl Into<String>) -> Self {
        Self {
            name,
            ok,
            reason: reason.into(),
            details: Vec::new(),
            hints: Vec::new(),
            decision: None,
        }
    }
}

/// The answer: allowed or not, and every hop that decided it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Trace {
    /// Whether the connection is predicted to succeed.
    pub allowed: bool,
    /// The hops, in order; the first failing one is the cause.
    pub hops: Vec<Hop>,
}

impl Trace {
    fn finish(hops: Vec<Hop>) -> Self {
        Self {
            allowed: hops.iter().all(|h| h.ok),
            hops,
        }
    }

    /// The first failing hop's reason (with the ingress hop's too when both policy hops refuse).
    #[must_use]
    pub fn cause(&self) -> Option<String> {
        let at = self.hops.iter().position(|h| !h.ok)?;
        let first = &self.hops[at];
        // Both ends refuse (a flow between namespaces needs the client's egress and the
        // server's ingress): name both, or the learner fixes one and sees no change.
        match self.hops.get(at + 1) {
            Some(next) if first.name == "egress" && next.name == "ingress" && !next.ok => {
                Some(format!("{}; and at the other end, {}", first.reason, next.reason))
            }
            _ => Some(first.reason.clone()),
        }
    }

    /// The ingress decision at the destination, when the trace got that far.
    #[must_use]
    pub fn ingress(&self) -> Option<&Decision> {
        self.hops
            .iter()
            .find(|h| h.name == "ingress")
            .and_then(|h| h.decision.as_deref())
    }
}

/// The destination's hop (if it has one to show) and its backends with their resolved ports.
type Backends = (Option<Hop>, Vec<(Endpoint, u16)>);

/// Where a connection goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A Service port (by ClusterIP, or by DNS name when `by_name`).
    Service {
        /// Namespace.
        namespace: String,
        /// Name.
        name: String,
        /// Service port (number or name).
        port: PortRef,
        /// `TCP`, `UDP` or `SCTP`.
        protocol: String,
        /// Resolve the name through cluster DNS first.
        by_name: bool,
    },
    /// A pod directly, by pod IP.
    Pod {
        /// Namespace.
        namespace: String,
        /// Name.
        name: String,
        /// Container port (number or name).
        port: PortRef,
        /// Protocol.
        protocol: String,
    },
    /// An address outside the cluster (a partner's API, a CIDR an egress rule names): only the
    /// source's egress policies decide; whether anything answers there is not modelled.
    Address {
        /// The address.
        ip: IpAddr,
        /// The port.
        port: u16,
        /// Protocol.
        protocol: String,
    },
    /// A port of a node's InternalIP (a `NodePort` Service, or a pod's `hostPort`).
    NodePort {
        /// The node's name.
        node: String,
        /// The port.
        port: u16,
        /// Protocol.
        protocol: String,
    },
}

impl Target {
    /// How `kubedrill explain --to` names this destination: `<namespace>/svc/<name>:<port>`,
    /// `<namespace>/pod/<name>:<port>` or `node/<name>:<port>`, with `/<protocol>` when it is
    /// not TCP.
    #[must_use]
    pub fn explain_arg(&self) -> String {
        let (object, port, protocol) = match self {
            Self::Service {
                namespace,
                name,
                port,
                protocol,
                ..
            } => (format!("{namespace}/svc/{name}"), port.to_string(), protocol),
            Self::Pod {
                namespace,
                name,
                port,
                protocol,
            } => (format!("{namespace}/pod/{name}"), port.to_string(), protocol),
            Self::NodePort { node, port, protocol } => (format!("node/{node}"), port.to_string(), protocol),
            Self::Address {
                ip: IpAddr::V6(ip),
                port,
                protocol,
            } => (format!("[{ip}]"), port.to_string(), protocol),
            Self::Address { ip, port, protocol } => (ip.to_string(), port.to_string(), protocol),
        };
        let protocol = if protocol.eq_ignore_ascii_case("TCP") {
            String::new()
        } else {
            format!("/{protocol}")
        };
        format!("{object}:{port}{protocol}")
    }

    /// Whether the Service is reached by its DNS name (`explain --by-name`).
    #[must_use]
    pub const fn by_name(&self) -> bool {
        matches!(self, Self::Service { by_name: true, .. })
    }
}

/// Answers reachability questions about one state.
pub struct Analyzer<'a> {
    state: &'a ClusterState,
    namespaces: BTreeMap<String, BTreeMap<String, String>>,
}

/// The label every namespace has since Kubernetes 1.21.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

impl<'a> Analyzer<'a> {
    /// An analyzer over `state`.
    #[must_use]
    pub fn new(state: &'a ClusterState) -> Self {
        let namespaces = state
            .namespaces
            .iter()
            .filter_map(|ns| {
                ns.metadata
                    .name
                    .clone()
                    .map(|n| (n, ns.metadata.labels.clone().unwrap_or_default()))
            })
            .collect();
        Self { state, namespaces }
    }

    /// A namespace's labels (an unobserved namespace has the automatic name label).
    #[must_use]
    pub fn namespace_labels(&self, namespace: &str) -> BTreeMap<String, String> {
        self.namespaces
            .get(namespace)
            .cloned()
            .unwrap_or_else(|| BTreeMap::from([(NAMESPACE_NAME_LABEL.to_owned(), namespace.to_owned())]))
    }

    /// A pod as policies see it.
    #[must_use]
    pub fn endpoint(pod: &Pod) -> Endpoint {
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        let ports = pod
            .spec
            .iter()
            .flat_map(|s| &s.containers)
            .flat_map(|c| c.ports.iter().flatten())
            .filter_map(|p| {
                Some(NamedPort {
                    name: p.name.clone(),
                    port: u16::try_from(p.container_port).ok()?,
                    protocol: p.protocol.clone().unwrap_or_else(|| "TCP".to_owned()),
                })
            })
            .collect();
        Endpoint {
            name: format!("{namespace}/{}", pod.metadata.name.as_deref().unwrap_or("")),
            namespace,
            labels: pod_labels(pod),
            ip: pod_ip(pod),
            ports,
            pod: true,
        }
    }

    /// A hypothetical pod with these labels (no IP, no ports).
    #[must_use]
    pub fn hypothetical(namespace: &str, labels: BTreeMap<String, String>) -> Endpoint {
        let shown: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        Endpoint {
            name: format!("{namespace}/{{{}}}", shown.join(",")),
            namespace: namespace.to_owned(),
            labels,
            ip: None,
            ports: Vec::new(),
            pod: true,
        }
    }

    /// A source that is not a pod (the node network, an address outside the cluster): only
    /// `ipBlock` peers match it and no policy selects it for egress.
    #[must_use]
    pub fn address(name: impl Into<String>, ip: IpAddr) -> Endpoint {
        Endpoint {
            name: name.into(),
            namespace: String::new(),
            labels: BTreeMap::new(),
            ip: Some(ip),
            ports: Vec::new(),
            pod: false,
        }
    }

    /// A node's own address (its InternalIP), named `node/<name>` as `explain --from` reads it:
    /// what a hostNetwork pod there connects from. `None` without a name or an InternalIP.
    #[must_use]
    pub fn node(node: &Node) -> Option<Endpoint> {
        let ip = crate::address::node_ip(node)?.parse().ok()?;
        Some(Self::address(format!("node/{}", node.metadata.name.as_deref()?), ip))
    }

    /// Trace a connection from `from` to `to`.
    #[must_use]
    pub fn trace(&self, from: &Endpoint, to: &Target) -> Trace {
        let mut hops = Vec::new();
        let (found, protocol) = match to {
            Target::Service {
                namespace,
                name,
                port,
                protocol,
                by_name,
            } => {
                let (mut namespace, mut name) = (namespace.clone(), name.clone());
                if *by_name {
                    let dns = self.dns_hop(from, &namespace, &name);
                    let failed = !dns.ok;
                    hops.push(dns);
                    if failed {
                        return Trace::finish(hops);
                    }
                    // An ExternalName's CNAME: the client connects to the target's address, on
                    // the port it asked for (no port mapping).
                    match self.canonical(&namespace, &name) {
                        Canonical::Service(ns, svc) => (namespace, name) = (ns, svc),
                        Canonical::Outside(target) => {
                            hops.push(Hop::new(
                                "service",
                                false,
                                format!("the name leads outside the cluster, to `{target}`: not traced"),
                            ));
                            return Trace::finish(hops);
                        }
                        Canonical::Dangling(_) => {}
                    }
                }
                (self.service_backends(&namespace, &name, port, protocol), protocol)
            }
            Target::Pod {
                namespace,
                name,
                port,
                protocol,
            } => (self.pod_backend(namespace, name, port, protocol), protocol),
            Target::Address { ip, port, protocol } => {
                hops.extend(self.address_hops(from, *ip, *port, protocol));
                return Trace::finish(hops);
            }
            Target::NodePort { node, port, protocol } => {
                match self.node_port_route(from, node, *port, protocol) {
                    Ok((route, backends, seen)) => {
                        hops.extend(route);
                        hops.extend(self.policy_hops(from, &seen, &backends, protocol));
                    }
                    Err(hop) => hops.push(hop),
                }
                return Trace::finish(hops);
            }
        };
        match found {
            Ok((hop, backends)) => {
                hops.extend(hop);
                hops.extend(self.policy_hops(from, from, &backends, protocol));
            }
            Err(hop) => hops.push(hop),
        }
        Trace::finish(hops)
    }

    /// A pod destination and its resolved port.
    fn pod_backend(&self, namespace: &str, name: &str, port: &PortRef, protocol: &str) -> Result<Backends, Hop> {
        let pod = self
            .state
            .pod(namespace, name)
            .ok_or_else(|| Hop::new("service", false, format!("pod {namespace}/{name} does not exist")))?;
        let endpoint = Self::endpoint(pod);
        let number = resolve_port(&endpoint, port, protocol).ok_or_else(|| {
            Hop::new(
                "service",
                false,
                format!("pod {namespace}/{name} declares no port `{port}`"),
            )
        })?;
        Ok((None, vec![(endpoint, number)]))
    }

    /// Egress at the source and ingress at the destination, for the first backend that passes
    /// both (or the first backend's refusal). `seen` is the source as the backends' ingress
    /// policies see it (the node's address, once a NodePort rewrote it).
    fn policy_hops(&self, from: &Endpoint, seen: &Endpoint, backends: &[(Endpoint, u16)], protocol: &str) -> Vec<Hop> {
        let labels = |ns: &str| self.namespace_labels(ns);
        let mut first = None;
        for (backend, port) in backends {
            let egress = decide(
                &self.state.network_policies,
                Direction::Egress,
                from,
                backend,
                *port,
                protocol,
                &labels,
            );
            let ingress = decide(
                &self.state.network_policies,
                Direction::Ingress,
                backend,
                seen,
                *port,
                protocol,
                &labels,
            );
            let hops = vec![
                decision_hop(
                    "egress",
                    &egress,
                    &from.name,
                    &format!("{} {protocol} {port}", backend.name),
                ),
                decision_hop(
                    "ingress",
                    &ingress,
                    &backend.name,
                    &format!("{} on {protocol} {port}", seen.name),
                ),
            ];
            if egress.allows() && ingress.allows() {
                return hops;
            }
            let mut hops = hops;
            for hop in hops.iter_mut().filter(|h| !h.ok) {
                hop.hints.extend(self.cluster_ip_hints());
                hop.hints.extend(self.ignored_rule_hints(from, backend));
                hop.hints.sort();
                hop.hints.dedup();
            }
            first.get_or_insert(hops);
        }
        first.unwrap_or_default()
    }

    /// A connection to an address: a pod's IP is that pod (both policy hops); any other address
    /// is outside the cluster, where only the source's egress policies decide (`ipBlock` peers).
    fn address_hops(&self, from: &Endpoint, ip: IpAddr, port: u16, protocol: &str) -> Vec<Hop> {
        if let Some(pod) = self.pods_by_ip().get(&ip) {
            return self.policy_hops(from, from, &[(Self::endpoint(pod), port)], protocol);
        }
        let outside = Self::address(ip.to_string(), ip);
        let labels = |ns: &str| self.namespace_labels(ns);
        let egress = decide(
            &self.state.network_policies,
            Direction::Egress,
            from,
            &outside,
            port,
            protocol,
            &labels,
        );
        let mut hop = decision_hop("egress", &egress, &from.name, &format!("{ip} {protocol} {port}"));
        if !hop.ok {
            hop.hints.extend(self.ignored_rule_hints(from, &outside));
        }
        let reached = Hop::new(
            "outside",
            true,
            format!("{ip} is outside the cluster (no pod has it): whether anything answers there is not modelled"),
        );
        vec![hop, reached]
    }

    /// Rules a policy writes but its `policyTypes` switch off, on the pods of this flow.
    fn ignored_rule_hints(&self, from: &Endpoint, to: &Endpoint) -> Vec<String> {
        let mut hints = Vec::new();
        for policy in &self.state.network_policies {
            let Some(spec) = policy.spec.as_ref() else { continue };
            let (ingress, egress) = policy::policy_types(policy);
            let name = policy::policy_name(policy);
            if spec.egress.is_some() && !egress && policy::selects_pod(policy, from) {
                hints.push(format!("{name} has egress rules but its policyTypes lack `Egress`, so they are ignored: add Egress to policyTypes"));
            }
            if spec.ingress.is_some() && !ingress && policy::selects_pod(policy, to) {
                hints.push(format!("{name} has ingress rules but its policyTypes lack `Ingress`, so they are ignored: add Ingress to policyTypes"));
            }
        }
        hints
    }

    /// `ipBlock`s that contain a Service ClusterIP never match: policies see pod IPs after DNAT.
    fn cluster_ip_hints(&self) -> Vec<String> {
        let cluster_ips: Vec<IpAddr> = self
            .state
            .services
            .iter()
            .filter_map(|s| s.spec.as_ref()?.cluster_ip.as_deref()?.parse().ok())
            .collect();
        let mut hints = Vec::new();
        for policy in &self.state.network_policies {
            let Some(spec) = policy.spec.as_ref() else { continue };
            let peers = spec.ingress.iter().flatten().flat_map(|r| r.from.iter().flatten());
            let peers = peers.chain(spec.egress.iter().flatten().flat_map(|r| r.to.iter().flatten()));
            for block in peers.filter_map(|p| p.ip_block.as_ref()) {
                if let Some(ip) = cluster_ips.iter().find(|ip| policy::cidr_contains(&block.cidr, **ip)) {
                    hints.push(format!(
                        "ipBlock {} covers ClusterIP {ip}, but policies see the backend pod IPs after the Service's DNAT: select the pods instead",
                        block.cidr
                    ));
                }
            }
        }
        hints
    }

    /// Whether `from` can resolve the Service `name` in `namespace`, as a trace of that one hop.
    #[must_use]
    pub fn resolve(&self, from: &Endpoint, namespace: &str, name: &str) -> Trace {
        Trace::finish(vec![self.dns_hop(from, namespace, name)])
    }

    /// Whether `from` can resolve the Service `name` in `namespace` (the DNS hop alone).
    #[must_use]
    pub fn dns_hop(&self, from: &Endpoint, namespace: &str, name: &str) -> Hop {
        self.lookup_hop(from, || self.dns_name_hop(namespace, name))
    }

    /// Whether `from` can resolve the per-pod name `<hostname>.<service>.<namespace>.svc.cluster.local`
    /// (the DNS hop alone): CoreDNS answers it from the EndpointSlice endpoint of Service
    /// `service` carrying that hostname (a pod whose `subdomain` names the Service: a
    /// StatefulSet's pods with its `serviceName`), Ready unless the Service publishes not-ready
    /// addresses. CoreDNS 1.14 answers such an endpoint query for a Service with a ClusterIP
    /// too (its `kubernetes` plugin serves `r.endpoint` for every Service), though the
    /// StatefulSet contract asks for a headless one: that is for a check to grade, not DNS.
    #[must_use]
    pub fn pod_dns_hop(&self, from: &Endpoint, namespace: &str, service: &str, hostname: &str) -> Hop {
        self.lookup_hop(from, || self.pod_name_hop(namespace, service, hostname))
    }

    /// CoreDNS up and serving the cluster zone, DNS egress allowed, then `name_hop`.
    fn lookup_hop(&self, from: &Endpoint, name_hop: impl FnOnce() -> Hop) -> Hop {
        let dns_pods: Vec<&Pod> = self
            .state
            .pods_in("kube-system")
            .filter(|p| {
                p.metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get("k8s-app"))
                    .map(String::as_str)
                    == Some("kube-dns")
            })
            .collect();
        if let Some(problem) = self.dns_server_problem(&dns_pods) {
            return problem;
        }
        let dns_pod = dns_pods.first().map_or_else(
            || {
                Self::hypothetical(
                    "kube-system",
                    BTreeMap::from([("k8s-app".to_owned(), "kube-dns".to_owned())]),
                )
            },
            |p| Self::endpoint(p),
        );
        let labels = |ns: &str| self.namespace_labels(ns);
        if let Decision::Denied { misses, hints } = decide(
            &self.state.network_policies,
            Direction::Egress,
            from,
            &dns_pod,
            53,
            "UDP",
            &labels,
        ) {
            let mut hop = Hop::new(
                "dns",
                false,
                format!(
                    "{} may not send DNS queries: egress to CoreDNS on UDP 53 is denied",
                    from.name
                ),
            );
            hop.details = misses;
            hop.hints = hints;
            hop.hints
                .push("under egress isolation, allow UDP and TCP 53 to the kube-dns pods in kube-system".to_owned());
            return hop;
        }
        let mut hop = name_hop();
        if !decide(
            &self.state.network_policies,
            Direction::Egress,
            from,
            &dns_pod,
            53,
            "TCP",
            &labels,
        )
        .allows()
        {
            hop.hints
                .push("egress to CoreDNS on TCP 53 is denied: large answers fall back to TCP and will fail".to_owned());
        }
        if hop.ok && dns_pods.is_empty() {
            hop.reason
                .push_str(" (CoreDNS is not in this snapshot: assumed to work)");
        }
        hop
    }

    /// CoreDNS down, or a Corefile that does not serve the cluster zone.
    fn dns_server_problem(&self, dns_pods: &[&Pod]) -> Option<Hop> {
        if !dns_pods.is_empty() && !dns_pods.iter().any(|p| pod_is_ready(p)) {
            return Some(Hop::new(
                "dns",
                false,
                "CoreDNS has no Ready pod: every lookup times out",
            ));
        }
        if dns_pods.is_empty() && self.coredns_scaled_to_zero() {
            return Some(Hop::new(
                "dns",
                false,
                "Deployment kube-system/coredns asks for 0 replicas: every lookup times out",
            ));
        }
        let serves = self.corefile()?.lines().any(|l| {
            let mut words = l.split_whitespace();
            words.next() == Some("kubernetes") && words.any(|w| w == "cluster.local")
        });
        (!serves).then(|| {
            Hop::new(
                "dns",
                false,
                "the Corefile has no `kubernetes cluster.local` plugin: Service names do not resolve",
            )
        })
    }

    /// Whether the name exists: a Service of that name in that namespace.
    fn dns_name_hop(&self, namespace: &str, name: &str) -> Hop {
        if let Some(service) = self.state.service(namespace, name) {
            let fqdn = format!("{name}.{namespace}.svc.cluster.local");
            if external_name::external_name(service).is_none() {
                return Hop::new("dns", true, format!("{fqdn} resolves"));
            }
            return match self.canonical(namespace, name) {
                Canonical::Service(ns, svc) => Hop::new(
                    "dns",
                    true,
                    format!("{fqdn} is a CNAME (ExternalName) to {svc}.{ns}.svc.cluster.local, which resolves"),
                ),
                Canonical::Outside(target) => Hop::new(
                    "dns",
                    true,
                    format!("{fqdn} is a CNAME (ExternalName) to `{target}`, outside the cluster: assumed to resolve"),
                ),
                Canonical::Dangling(why) => Hop::new(
                    "dns",
                    false,
                    format!("{fqdn} is a CNAME (ExternalName) to nothing: {why}"),
                ),
            };
        }
        let elsewhere: Vec<String> = self
            .state
            .services
            .iter()
            .filter(|s| s.metadata.name.as_deref() == Some(name))
            .filter_map(|s| s.metadata.namespace.clone())
            .collect();
        let mut hop = Hop::new(
            "dns",
            false,
            format!("there is no Service `{name}` in namespace `{namespace}`: the name does not resolve (NXDOMAIN)"),
        );
        if !elsewhere.is_empty() {
            hop.hints.push(format!(
                "a Service `{name}` exists in {}: use its full name `{name}.<namespace>.svc.cluster.local`",
                elsewhere.join(", ")
            ));
        }
        hop
    }

    /// Whether the per-pod name exists, CoreDNS and policies aside (see [`Self::pod_dns_hop`]).
    #[must_use]
    pub fn pod_name_exists(&self, namespace: &str, service: &str, hostname: &str) -> bool {
        self.pod_name_hop(namespace, service, hostname).ok
    }

    /// Whether a per-pod name exists (see [`Self::pod_dns_hop`]).
    fn pod_name_hop(&self, namespace: &str, service: &str, hostname: &str) -> Hop {
        let fqdn = format!("{hostname}.{service}.{namespace}.svc.cluster.local");
        let nx = |why: String| Hop::new("dns", false, format!("NXDOMAIN, {why}"));
        let Some(svc) = self.state.service(namespace, service) else {
            return nx(format!("there is no Service `{service}` in namespace `{namespace}`"));
        };
        let spec = svc.spec.clone().unwrap_or_default();
        let publish_not_ready = spec.publish_not_ready_addresses == Some(true);
        // (addresses, ready) of the endpoints named `hostname`: from the EndpointSlices when
        // the state has them, else as the EndpointSlice controller derives them from the pods
        // the Service selects whose `subdomain` is the Service (a simulated state has no slices).
        let endpoints: Vec<(String, bool)> = if self.state.slices_for(namespace, service).next().is_some() {
            self.state
                .slices_for(namespace, service)
                .flat_map(|slice| slice.endpoints.iter().flatten())
                .filter(|e| e.hostname.as_deref() == Some(hostname))
                .map(|e| {
                    (
                        e.addresses.join(", "),
                        e.conditions.as_ref().and_then(|c| c.ready) != Some(false),
                    )
                })
                .collect()
        } else {
            let selector = spec.selector.clone().unwrap_or_default();
            self.state
                .pods_in(namespace)
                .filter(|p| !selector.is_empty() && selector.iter().all(|(k, v)| pod_labels(p).get(k) == Some(v)))
                .filter(|p| {
                    p.spec.as_ref().is_some_and(|s| {
                        s.hostname.as_deref() == Some(hostname) && s.subdomain.as_deref() == Some(service)
                    })
                })
                .map(|p| {
                    let ip = p.status.as_ref().and_then(|s| s.pod_ip.clone()).unwrap_or_default();
                    (ip, pod_is_ready(p))
                })
                .collect()
        };
        if let Some((addresses, _)) = endpoints.iter().find(|(_, ready)| publish_not_ready || *ready) {
            return Hop::new("dns", true, format!("{fqdn} resolves to {addresses}"));
        }
        if !endpoints.is_empty() {
            return nx(format!("the endpoint with hostname `{hostname}` is not Ready"));
        }
        let mut hop = nx(format!(
            "no endpoint of Service {namespace}/{service} has the hostname `{hostname}`"
        ));
        let subdomains: Vec<String> = self
            .state
            .pods_in(namespace)
            .filter_map(|p| p.spec.as_ref())
            .filter(|p| p.hostname.as_deref() == Some(hostname))
            .filter_map(|p| p.subdomain.clone())
            .filter(|sub| sub != service)
            .collect();
        if let Some(subdomain) = subdomains.first() {
            hop.hints.push(format!(
                "pod `{hostname}` has `subdomain: {subdomain}` (a StatefulSet's `serviceName`): its name lives under Service `{subdomain}`, not `{service}`"
            ));
        }
        hop
    }

    /// The CoreDNS Deployment is observed and asks for no pod (an absent Deployment proves
    /// nothing: snapshots often leave kube-system out).
    fn coredns_scaled_to_zero(&self) -> bool {
        self.state.deployments.iter().any(|d| {
            d.metadata.namespace.as_deref() == Some("kube-system")
                && d.metadata.name.as_deref() == Some("coredns")
                && d.spec.replicas == Some(0)
        })
    }

    fn corefile(&self) -> Option<&str> {
        self.state
            .config_maps
            .iter()
            .find(|c| {
                c.metadata.namespace.as_deref() == Some("kube-system") && c.metadata.name.as_deref() == Some("coredns")
            })
            .and_then(|c| c.data.as_ref())
            .and_then(|d| d.get("Corefile"))
            .map(String::as_str)
    }

    /// The Service hop and its backends (Ready pods with the resolved targetPort; for a Service
    /// without a selector, the ready endpoints of its EndpointSlices: see `slices.rs`).
    fn service_backends(&self, namespace: &str, name: &str, port: &PortRef, protocol: &str) -> Result<Backends, Hop> {
        let fail = |reason: String| Hop::new("service", false, reason);
        let service = self
            .state
            .service(namespace, name)
            .ok_or_else(|| fail(format!("Service {namespace}/{name} does not exist")))?;
        if external_name::external_name(service).is_some() {
            return Err(fail(format!(
                "Service {namespace}/{name} is an ExternalName Service: it has no ClusterIP and no endpoints; only its DNS name leads anywhere"
            )));
        }
        let service_port = service_port(service, port, Some(protocol))
            .ok_or_else(|| fail(format!("Service {namespace}/{name} has no {protocol} port {port}")))?;
        let Some(selector) = service
            .spec
            .as_ref()
            .and_then(|s| s.selector.as_ref())
            .filter(|s| !s.is_empty())
        else {
            return self.slice_backends(namespace, name, service_port, protocol);
        };
        let selected: Vec<&Pod> = self
            .state
            .pods_in(namespace)
            .filter(|p| p.metadata.deletion_timestamp.is_none())
            .filter(|p| {
                selector
                    .iter()
                    .all(|(k, v)| p.metadata.labels.as_ref().and_then(|l| l.get(k)) == Some(v))
            })
            .collect();
        let shown = selector
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",");
        if selected.is_empty() {
            let mut hop = fail(format!(
                "selector {shown} matches 0 pods in {namespace}: the Service has no endpoints (connections are refused)"
            ));
            hop.details.extend(self.nearest_miss(namespace, selector));
            return Err(hop);
        }
        let ready: Vec<&Pod> = selected.iter().copied().filter(|p| pod_is_ready(p)).collect();
        if ready.is_empty() {
            return Err(fail(format!(
                "selector {shown} matches {} pod(s) but none is Ready: check the readiness probe",
                selected.len()
            )));
        }
        let target = service_port
            .target_port
            .clone()
            .unwrap_or(IntOrString::Int(service_port.port));
        let backends = backends_on(&ready, &target, protocol);
        let Some((_, first_port)) = backends.first() else {
            let target = match &target {
                IntOrString::Int(n) => n.to_string(),
                IntOrString::String(s) => s.clone(),
            };
            return Err(fail(format!(
                "targetPort `{target}` is not a port the selected pods declare: the Service has no usable endpoints"
            )));
        };
        let reason = format!(
            "{shown} selects {} Ready pod(s); port {} -> targetPort {first_port}",
            backends.len(),
            service_port.port
        );
        Ok((Some(Hop::new("service", true, reason)), backends))
    }

    /// Pods that a one-label change would select: "2 pods have app=backend".
    fn nearest_miss(&self, namespace: &str, selector: &BTreeMap<String, String>) -> Vec<String> {
        let mut near: BTreeMap<String, usize> = BTreeMap::new();
        for pod in self.state.pods_in(namespace) {
            let labels = pod_labels(pod);
            let misses: Vec<(&String, &String)> = selector.iter().filter(|(k, v)| labels.get(*k) != Some(*v)).collect();
            if let [(key, _)] = misses.as_slice() {
                let actual = labels
                    .get(*key)
                    .map_or_else(|| format!("no `{key}` label"), |v| format!("{key}={v}"));
                *near.entry(actual).or_default() += 1;
            }
        }
        near.into_iter()
            .map(|(labels, count)| format!("{count} pod(s) have {labels}"))
            .collect()
    }
}

fn decision_hop(name: &'static str, decision: &Decision, subject: &str, other: &str) -> Hop {
    let mut hop = decision_hop_text(name, decision, subject, other);
    hop.decision = Some(Box::new(decision.clone()));
    hop
}

fn decision_hop_text(name: &'static str, decision: &Decision, subject: &str, other: &str) -> Hop {
    let (direction, verb) = if name == "egress" {
        ("egress", "to")
    } else {
        ("ingress", "from")
    };
    match decision {
        Decision::NotIsolated => Hop::new(name, true, format!("no policy isolates {subject} for {direction}")),
        Decision::Allowed { policy, rule, .. } => Hop::new(
            name,
            true,
            format!("{policy} {direction}[{rule}] allows {subject} {verb} {other}"),
        ),
        Decision::Denied { misses, hints } => {
            let mut hop = Hop::new(
                name,
                false,
                format!("{subject} is isolated for {direction} and no rule allows {verb} {other}"),
            );
            hop.details.clone_from(misses);
            hop.hints.clone_from(hints);
            hop
        }
    }
}

/// Ready pods with the Service's targetPort resolved on each (named ports per pod).
fn backends_on(pods: &[&Pod], target: &IntOrString, protocol: &str) -> Vec<(Endpoint, u16)> {
    pods.iter()
        .filter_map(|p| {
            let endpoint = Analyzer::endpoint(p);
            let number = match target {
                IntOrString::Int(n) => u16::try_from(*n).ok(),
                IntOrString::String(name) => resolve_port(&endpoint, &PortRef::Name(name.clone()), protocol),
            }?;
            Some((endpoint, number))
        })
        .collect()
}

/// A pod's IP, as its status reports it.
fn pod_ip(pod: &Pod) -> Option<IpAddr> {
    pod.status
        .as_ref()
        .and_then(|s| s.pod_ip.as_deref())
        .and_then(|ip| ip.parse().ok())
}

fn resolve_port(endpoint: &Endpoint, port: &PortRef, protocol: &str) -> Option<u16> {
    match port {
        PortRef::Number(n) => Some(*n),
        PortRef::Name(name) => endpoint
            .ports
            .iter()
            .find(|p| p.name.as_deref() == Some(name.as_str()) && p.protocol == protocol)
            .map(|p| p.port),
    }
}
