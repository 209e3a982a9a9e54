//! NetworkPolicy semantics, exactly as the API documents them (see design/grading.md):
//! isolation per direction, rules as OR, peers as OR, selectors inside one peer as AND, ports
//! with protocol defaults, named ports resolved on the destination pod, `endPort`, `ipBlock`
//! with `except` on pod IPs (IPv4 and IPv6).
//!
//! Pure functions over the state model; every refusal says which part of which rule missed.

use std::collections::BTreeMap;
use std::net::IpAddr;

use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector as K8sSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;

use crate::selector::{LabelSelector, Operator, Requirement};

/// Which side of a connection a policy governs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Traffic into the selected pod.
    Ingress,
    /// Traffic out of the selected pod.
    Egress,
}

/// A container port a pod declares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NamedPort {
    /// The port name, if any.
    pub name: Option<String>,
    /// The number.
    pub port: u16,
    /// `TCP`, `UDP` or `SCTP`.
    pub protocol: String,
}

/// A pod as policies see it (a real one, or a hypothetical one with only labels).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    /// Display name (`ns/pod`, or `ns/{labels}` for a hypothetical pod).
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// Pod labels.
    pub labels: BTreeMap<String, String>,
    /// Pod IP, when known.
    pub ip: Option<IpAddr>,
    /// Declared container ports.
    pub ports: Vec<NamedPort>,
    /// Whether this is a pod, which pod and namespace selectors can pick. The node network and
    /// addresses outside the cluster are not: only `ipBlock` peers match them, and no policy
    /// selects them for egress.
    #[serde(skip)]
    pub pod: bool,
}

/// A rule's peers and ports (either may be missing: any).
type Rule<'p> = (Option<&'p Vec<NetworkPolicyPeer>>, Option<&'p Vec<NetworkPolicyPort>>);

/// The outcome of policy evaluation for one direction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum Decision {
    /// No policy selects the pod for this direction: everything is allowed.
    NotIsolated,
    /// A rule allows it.
    Allowed {
        /// `ns/name` of the policy.
        policy: String,
        /// Index of the rule in its `ingress`/`egress` list.
        rule: usize,
        /// The peer item that matched, as written (`namespaceSelector: {}`), or `any source`/
        /// `any destination` when the rule names no peers.
        peer: String,
    },
    /// Selected and no rule allows it.
    Denied {
        /// Why each rule of each selecting policy missed.
        misses: Vec<String>,
        /// Classic mistakes spotted on the way.
        hints: Vec<String>,
    },
}

impl Decision {
    /// Whether traffic passes.
    #[must_use]
    pub const fn allows(&self) -> bool {
        !matches!(self, Self::Denied { .. })
    }
}

/// Converts a Kubernetes label selector; an unknown operator selects nothing.
#[must_use]
pub fn selector(k8s: &K8sSelector) -> Option<LabelSelector> {
    let mut expressions = Vec::new();
    for e in k8s.match_expressions.iter().flatten() {
        let operator = match e.operator.as_str() {
            "In" => Operator::In,
            "NotIn" => Operator::NotIn,
            "Exists" => Operator::Exists,
            "DoesNotExist" => Operator::DoesNotExist,
            _ => return None,
        };
        expressions.push(Requirement {
            key: e.key.clone(),
            operator,
            values: e.values.clone().unwrap_or_default(),
        });
    }
    Some(LabelSelector {
        match_labels: k8s.match_labels.clone().unwrap_or_default(),
        match_expressions: expressions,
    })
}

fn matches(k8s: &K8sSelector, labels: &BTreeMap<String, String>) -> bool {
    selector(k8s).is_some_and(|s| s.matches(labels))
}

/// The label set a namespace has (the API server always sets `kubernetes.io/metadata.name`).
pub type NamespaceLabels<'a> = dyn Fn(&str) -> BTreeMap<String, String> + 'a;

/// The policy types in force: missing means Ingress, plus Egress when egress rules exist.
#[must_use]
pub fn policy_types(policy: &NetworkPolicy) -> (bool, bool) {
    let spec = policy.spec.as_ref();
    match spec.and_then(|s| s.policy_types.as_ref()) {
        Some(types) => (
            types.iter().any(|t| t == "Ingress"),
            types.iter().any(|t| t == "Egress"),
        ),
        None => (true, spec.and_then(|s| s.egress.as_ref()).is_some()),
    }
}

/// Whether `policy` selects `pod` for `direction`.
#[must_use]
pub fn selects(policy: &NetworkPolicy, pod: &Endpoint, direction: Direction) -> bool {
    let (ingress, egress) = policy_types(policy);
    let applies = match direction {
        Direction::Ingress => ingress,
        Direction::Egress => egress,
    };
    applies && selects_pod(policy, pod)
}

/// Whether `policy`'s namespace and `podSelector` pick `pod`, whatever its `policyTypes`.
#[must_use]
pub fn selects_pod(policy: &NetworkPolicy, pod: &Endpoint) -> bool {
    if !pod.pod {
        return false;
    }
    let empty = K8sSelector::default();
    let pod_selector = policy
        .spec
        .as_ref()
        .and_then(|s| s.pod_selector.as_ref())
        .unwrap_or(&empty);
    policy.metadata.namespace.as_deref() == Some(pod.namespace.as_str()) && matches(pod_selector, &pod.labels)
}

/// `namespace/name` of a policy.
#[must_use]
pub fn policy_name(policy: &NetworkPolicy) -> String {
    format!(
        "{}/{}",
        policy.metadata.namespace.as_deref().unwrap_or(""),
        policy.metadata.name.as_deref().unwrap_or("")
    )
}

/// Decide `direction` for `subject` (the pod policies select) talking to `peer` on `port`/
/// `protocol`; named ports resolve on `destination` (the subject for ingress, the peer for
/// egress).
#[must_use]
pub fn decide(
    policies: &[NetworkPolicy],
    direction: Direction,
    subject: &Endpoint,
    peer: &Endpoint,
    port: u16,
    protocol: &str,
    namespace_labels: &NamespaceLabels<'_>,
) -> Decision {
    let destination = match direction {
        Direction::Ingress => subject,
        Direction::Egress => peer,
    };
    let mut isolated = false;
    let mut misses = Vec::new();
    let mut hints = Vec::new();
    for policy in policies {
        if !selects(policy, subject, direction) {
            continue;
        }
        isolated = true;
        let name = policy_name(policy);
        let rules: Vec<Rule<'_>> = match (direction, policy.spec.as_ref()) {
            (Direction::Ingress, Some(spec)) => spec
                .ingress
                .iter()
                .flatten()
                .map(|r| (r.from.as_ref(), r.ports.as_ref()))
                .collect(),
            (Direction::Egress, Some(spec)) => spec
                .egress
                .iter()
                .flatten()
                .map(|r| (r.to.as_ref(), r.ports.as_ref()))
                .collect(),
            (_, None) => Vec::new(),
        };
        if rules.is_empty() {
            misses.push(format!(
                "{name} selects {} for {direction:?} and has no {direction:?} rules: it denies all",
                subject.name
            ));
        }
        let policy_namespace = policy.metadata.namespace.clone().unwrap_or_default();
        for (index, (peers, ports)) in rules.into_iter().enumerate() {
            let port_miss = port_miss(ports, port, protocol, destination, &mut hints);
            let peer_match = peer_miss(peers, peer, &policy_namespace, namespace_labels, &mut hints);
            match (port_miss, peer_match) {
                (None, Ok(matched)) => {
                    return Decision::Allowed {
                        policy: name,
                        rule: index,
                        peer: matched.unwrap_or_else(|| any_peer(direction).to_owned()),
                    };
                }
                (a, b) => {
                    let parts: Vec<String> = [a, b.err()].into_iter().flatten().collect();
                    misses.push(format!("{name} {direction:?}[{index}]: {}", parts.join("; ")));
                }
            }
        }
    }
    if isolated {
        hints.sort();
        hints.dedup();
        Decision::Denied { misses, hints }
    } else {
        Decision::NotIsolated
    }
}

/// Whether one `ports` entry admits `port`/`protocol` on `destination` (protocol defaults to
/// TCP; a named port resolves on the destination's container ports; `endPort` makes a range).
#[must_use]
pub fn port_rule_matches(rule: &NetworkPolicyPort, destination: &Endpoint, port: u16, protocol: &str) -> bool {
    let rule_protocol = rule.protocol.as_deref().unwrap_or("TCP");
    rule_protocol == protocol
        && match &rule.port {
            None => true,
            Some(IntOrString::Int(n)) => match rule.end_port {
                Some(end) => (*n..=end).contains(&i32::from(port)),
                None => i32::from(port) == *n,
            },
            Some(IntOrString::String(name)) => destination
                .ports
                .iter()
                .any(|p| p.name.as_deref() == Some(name.as_str()) && p.protocol == rule_protocol && p.port == port),
        }
}

fn port_miss(
    ports: Option<&Vec<NetworkPolicyPort>>,
    port: u16,
    protocol: &str,
    destination: &Endpoint,
    hints: &mut Vec<String>,
) -> Option<String> {
    let ports = ports.filter(|p| !p.is_empty())?;
    let allowed = ports.iter().any(|rule| {
        if let Some(IntOrString::String(name)) = &rule.port {
            let rule_protocol = rule.protocol.as_deref().unwrap_or("TCP");
            if !destination
                .ports
                .iter()
                .any(|p| p.name.as_deref() == Some(name.as_str()) && p.protocol == rule_protocol)
            {
                hints.push(format!(
                    "named port `{name}` is not declared by {}: name the container port or use the number",
                    destination.name
                ));
            }
        }
        port_rule_matches(rule, destination, port, protocol)
    });
    (!allowed).then(|| {
        format!(
            "ports: {protocol} {port} is not in [{}]",
            ports.iter().map(describe_port).collect::<Vec<_>>().join(", ")
        )
    })
}

fn describe_port(port: &NetworkPolicyPort) -> String {
    let protocol = port.protocol.as_deref().unwrap_or("TCP");
    match (&port.port, port.end_port) {
        (None, _) => format!("{protocol} any"),
        (Some(IntOrString::Int(n)), Some(end)) => format!("{protocol} {n}-{end}"),
        (Some(IntOrString::Int(n)), None) => format!("{protocol} {n}"),
        (Some(IntOrString::String(name)), _) => format!("{protocol} {name}"),
    }
}

/// What a rule without peers admits.
const fn any_peer(direction: Direction) -> &'static str {
    match direction {
        Direction::Ingress => "any source",
        Direction::Egress => "any destination",
    }
}

/// The peer item that admits `peer` (described; `None` when the rule names no peers, which
/// admits any), or why none does.
fn peer_miss(
    peers: Option<&Vec<NetworkPolicyPeer>>,
    peer: &Endpoint,
    policy_namespace: &str,
    namespace_labels: &NamespaceLabels<'_>,
    hints: &mut Vec<String>,
) -> Result<Option<String>, String> {
    let Some(peers) = peers.filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let mut reasons = Vec::new();
    for (index, item) in peers.iter().enumerate() {
        match peer_item_miss(item, peer, policy_namespace, namespace_labels, hints) {
            None => return Ok(Some(describe_peer(item))),
            Some(reason) => reasons.push(format!("peer[{index}] {reason}")),
        }
    }
    Err(reasons.join(", "))
}

/// A peer item as written, in one line: `namespaceSelector: {team=obs}, podSelector: {}` (one
/// item, both must match), `ipBlock: 0.0.0.0/0 except [10.0.0.0/8]`.
#[must_use]
pub fn describe_peer(item: &NetworkPolicyPeer) -> String {
    let shown =
        |s: &K8sSelector| selector(s).map_or_else(|| "{invalid}".to_owned(), |s| format!("{{{}}}", s.to_query()));
    let mut parts = Vec::new();
    if let Some(block) = &item.ip_block {
        let except = block.except.as_ref().filter(|e| !e.is_empty());
        parts.push(match except {
            Some(except) => format!("ipBlock: {} except [{}]", block.cidr, except.join(", ")),
            None => format!("ipBlock: {}", block.cidr),
        });
    }
    if let Some(s) = &item.namespace_selector {
        parts.push(format!("namespaceSelector: {}", shown(s)));
    }
    if let Some(s) = &item.pod_selector {
        parts.push(format!("podSelector: {}", shown(s)));
    }
    parts.join(", ")
}

/// How one peer item relates to a pod: ipBlock verdict, or namespace and pod selector halves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerMatch {
    /// An `ipBlock` item: whether the pod IP is inside (and not excepted).
    Ip(bool),
    /// A selector item: whether the namespace half and the pod half match.
    Selectors {
        /// The namespace matches (`namespaceSelector`, or the policy's own namespace).
        namespace: bool,
        /// The pod matches the `podSelector` (or there is none).
        pod: bool,
    },
}

impl PeerMatch {
    /// Whether the item admits the pod.
    #[must_use]
    pub const fn matches(self) -> bool {
        match self {
            Self::Ip(inside) => inside,
            Self::Selectors { namespace, pod } => namespace && pod,
        }
    }
}

/// A peer item with its selectors converted once, for evaluating it against many pods.
#[derive(Clone, Debug)]
pub struct CompiledPeer<'a> {
    ip_block: Option<&'a k8s_openapi::api::networking::v1::IPBlock>,
    namespace_selector: Compiled,
    pod_selector: Compiled,
}

/// A selector field of a peer, converted.
#[derive(Clone, Debug)]
enum Compiled {
    /// Not written.
    Absent,
    /// Written with an operator Kubernetes does not know: selects nothing.
    Invalid,
    /// Written.
    Selector(LabelSelector),
}

impl Compiled {
    fn new(k8s: Option<&K8sSelector>) -> Self {
        match k8s {
            None => Self::Absent,
            Some(s) => selector(s).map_or(Self::Invalid, Self::Selector),
        }
    }

    /// Whether the labels are selected (`None` when the field was not written).
    fn holds(&self, labels: &BTreeMap<String, String>) -> Option<bool> {
        match self {
            Self::Absent => None,
            Self::Invalid => Some(false),
            Self::Selector(s) => Some(s.matches(labels)),
        }
    }
}

impl<'a> CompiledPeer<'a> {
    /// Convert the item's selectors.
    #[must_use]
    pub fn new(item: &'a NetworkPolicyPeer) -> Self {
        Self {
            ip_block: item.ip_block.as_ref(),
            namespace_selector: Compiled::new(item.namespace_selector.as_ref()),
            pod_selector: Compiled::new(item.pod_selector.as_ref()),
        }
    }

    /// Evaluate against a pod whose namespace carries `namespace_labels`.
    #[must_use]
    pub fn evaluate(
        &self,
        peer: &Endpoint,
        policy_namespace: &str,
        namespace_labels: &BTreeMap<String, String>,
    ) -> PeerMatch {
        if let Some(block) = self.ip_block {
            return PeerMatch::Ip(peer.ip.is_some_and(|ip| {
                cidr_contains(&block.cidr, ip) && !block.except.iter().flatten().any(|e| cidr_contains(e, ip))
            }));
        }
        if !peer.pod {
            return PeerMatch::Selectors {
                namespace: false,
                pod: false,
            };
        }
        let namespace = self
            .namespace_selector
            .holds(namespace_labels)
            .unwrap_or(peer.namespace == policy_namespace);
        let pod = self.pod_selector.holds(&peer.labels).unwrap_or(true);
        PeerMatch::Selectors { namespace, pod }
    }
}

/// Evaluate one peer item against a pod whose namespace carries `namespace_labels`.
#[must_use]
pub fn peer_match(
    item: &NetworkPolicyPeer,
    peer: &Endpoint,
    policy_namespace: &str,
    namespace_labels: &BTreeMap<String, String>,
) -> PeerMatch {
    CompiledPeer::new(item).evaluate(peer, policy_namespace, namespace_labels)
}

fn peer_item_miss(
    item: &NetworkPolicyPeer,
    peer: &Endpoint,
    policy_namespace: &str,
    namespace_labels: &NamespaceLabels<'_>,
    hints: &mut Vec<String>,
) -> Option<String> {
    let labels = namespace_labels(&peer.namespace);
    let (namespace_ok, pod_ok) = match peer_match(item, peer, policy_namespace, &labels) {
        PeerMatch::Ip(true) => return None,
        PeerMatch::Ip(false) => {
            let block = item.ip_block.as_ref().map_or("", |b| b.cidr.as_str());
            return Some(match peer.ip {
                None => format!("ipBlock {block}: {} has no known IP", peer.name),
                Some(ip) => format!("ipBlock {block}: {ip} is outside it or in its except list"),
            });
        }
        PeerMatch::Selectors { .. } if !peer.pod => {
            return Some(format!("selectors pick pods only, and {} is not a pod", peer.name));
        }
        PeerMatch::Selectors { namespace, pod } => (namespace, pod),
    };
    if let (Some(ns_selector), false) = (&item.namespace_selector, namespace_ok) {
        for key in ns_selector
            .match_labels
            .iter()
            .flatten()
            .map(|(k, _)| k)
            .filter(|k| !labels.contains_key(*k))
        {
            hints.push(format!(
                "namespace `{}` has no label `{key}`: select namespaces by `kubernetes.io/metadata.name: <name>`, which every namespace has",
                peer.namespace
            ));
        }
    }
    if item.namespace_selector.is_some() && item.pod_selector.is_some() && namespace_ok != pod_ok {
        hints.push(
            "a `namespaceSelector` and a `podSelector` in one peer item must both match (AND); as two separate `-` items either may match (OR)"
                .to_owned(),
        );
    }
    match (namespace_ok, pod_ok) {
        (true, true) => None,
        (false, _) if item.namespace_selector.is_none() => Some(format!(
            "podSelector only selects pods in {policy_namespace}, not {}",
            peer.namespace
        )),
        (false, _) => Some(format!("namespaceSelector does not match namespace {}", peer.namespace)),
        (true, false) => Some(format!(
            "podSelector does not match {} labels {:?}",
            peer.name, peer.labels
        )),
    }
}

/// A CIDR's first and last address, when it is written in canonical form (the network address,
/// no host bits: `198.51.100.0/24`, not `198.51.100.7/24`).
#[must_use]
pub fn cidr_block(cidr: &str) -> Option<(IpAddr, IpAddr)> {
    let (network, prefix) = cidr.split_once('/')?;
    let (network, prefix) = (network.parse::<IpAddr>().ok()?, prefix.parse::<u32>().ok()?);
    let (bits, first) = match network {
        IpAddr::V4(n) => (32, u128::from(u32::from(n))),
        IpAddr::V6(n) => (128, u128::from(n)),
    };
    if prefix > bits {
        return None;
    }
    let host = (u128::MAX >> (128 - bits)).checked_shr(prefix).unwrap_or(0);
    let address = |n: u128| match network {
        IpAddr::V4(_) => u32::try_from(n).ok().map(|n| IpAddr::V4(n.into())),
        IpAddr::V6(_) => Some(IpAddr::V6(n.into())),
    };
    (first & host == 0)
        .then(|| Some((address(first)?, address(first | host)?)))
        .flatten()
}

/// Whether `cidr` (IPv4 or IPv6, `a.b.c.d/n`) contains `ip`. An invalid CIDR contains nothing.
#[must_use]
pub fn cidr_contains(cidr: &str, ip: IpAddr) -> bool {
    let Some((network, prefix)) = cidr.split_once('/') else {
        return false;
    };
    let (Ok(network), Ok(prefix)) = (network.parse::<IpAddr>(), prefix.parse::<u32>()) else {
        return false;
    };
    match (network, ip) {
        (IpAddr::V4(n), IpAddr::V4(a)) if prefix <= 32 => {
            let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
            u32::from(n) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) if prefix <= 128 => {
            let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
            u128::from(n) & mask == u128::from(a) & mask
        }
        _ => false,
    }
}
