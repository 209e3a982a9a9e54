//! The allow/deny matrix between pods, computed with selector matching done once per policy
//! peer (bitsets of pods), not once per pair: fast enough for thousands of pods.

use serde::Serialize;

use super::Analyzer;
use super::policy::{self, Direction, Endpoint};
use k8s_openapi::api::networking::v1::{NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// A set of pods by index.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(len: usize) -> Self {
        Self(vec![0; len.div_ceil(64)])
    }

    fn full(len: usize) -> Self {
        let mut bits = Self::new(len);
        (0..len).for_each(|i| bits.set(i));
        bits
    }

    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    fn get(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }

    fn or(&mut self, other: &Self) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a |= b);
    }

    fn and(&mut self, other: &Self) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a &= b);
    }
}

/// Which pods may connect to which, each destination on its first declared port (TCP 80 when
/// it declares none).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Matrix {
    /// Pod names (`ns/name`), rows and columns in this order.
    pub pods: Vec<String>,
    /// The port each destination was probed on (`TCP 8080`).
    pub ports: Vec<String>,
    /// `allowed[from][to]`.
    pub allowed: Vec<Vec<bool>>,
}

fn destination_port(endpoint: &Endpoint) -> (u16, String) {
    endpoint
        .ports
        .first()
        .map_or((80, "TCP".to_owned()), |p| (p.port, p.protocol.clone()))
}

fn ports_match(ports: Option<&Vec<NetworkPolicyPort>>, destination: &Endpoint, port: u16, protocol: &str) -> bool {
    let Some(ports) = ports.filter(|p| !p.is_empty()) else {
        return true;
    };
    ports.iter().any(|rule| {
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
    })
}

impl Analyzer<'_> {
    /// The matrix between the pods of `namespace` (or every pod).
    #[must_use]
    pub fn matrix(&self, namespace: Option<&str>) -> Matrix {
        let endpoints: Vec<Endpoint> = self
            .state
            .pods
            .iter()
            .filter(|p| namespace.is_none_or(|ns| p.metadata.namespace.as_deref() == Some(ns)))
            .map(Analyzer::endpoint)
            .collect();
        let n = endpoints.len();
        let targets: Vec<(u16, String)> = endpoints.iter().map(destination_port).collect();
        let namespace_labels: Vec<_> = endpoints.iter().map(|e| self.namespace_labels(&e.namespace)).collect();
        // Who each pod may send to (egress) and receive from (ingress); None = not isolated.
        let mut egress: Vec<Option<Bits>> = vec![None; n];
        let mut ingress: Vec<Option<Bits>> = vec![None; n];
        for policy in &self.state.network_policies {
            let (has_ingress, has_egress) = policy::policy_types(policy);
            let Some(spec) = policy.spec.as_ref() else { continue };
            let policy_namespace = policy.metadata.namespace.clone().unwrap_or_default();
            let mut selected = Bits::new(n);
            let mut any = false;
            for (i, e) in endpoints.iter().enumerate() {
                if policy::selects(
                    policy,
                    e,
                    if has_ingress {
                        Direction::Ingress
                    } else {
                        Direction::Egress
                    },
                ) {
                    selected.set(i);
                    any = true;
                }
            }
            if !any {
                continue;
            }
            let peers_of = |peers: Option<&Vec<NetworkPolicyPeer>>| -> Bits {
                match peers.filter(|p| !p.is_empty()) {
                    None => Bits::full(n),
                    Some(items) => {
                        let mut set = Bits::new(n);
                        for (i, e) in endpoints.iter().enumerate() {
                            if items
                                .iter()
                                .any(|item| peer_matches(item, e, &policy_namespace, &namespace_labels[i]))
                            {
                                set.set(i);
                            }
                        }
                        set
                    }
                }
            };
            if has_egress {
                let mut allowed = Bits::new(n);
                for rule in spec.egress.iter().flatten() {
                    let mut set = peers_of(rule.to.as_ref());
                    let mut port_ok = Bits::new(n);
                    for (j, e) in endpoints.iter().enumerate() {
                        if ports_match(rule.ports.as_ref(), e, targets[j].0, &targets[j].1) {
                            port_ok.set(j);
                        }
                    }
                    set.and(&port_ok);
                    allowed.or(&set);
                }
                for i in (0..n).filter(|i| selected.get(*i)) {
                    egress[i].get_or_insert_with(|| Bits::new(n)).or(&allowed);
                }
            }
            if has_ingress {
                for i in (0..n).filter(|i| selected.get(*i)) {
                    let mut allowed = Bits::new(n);
                    for rule in spec.ingress.iter().flatten() {
                        if ports_match(rule.ports.as_ref(), &endpoints[i], targets[i].0, &targets[i].1) {
                            allowed.or(&peers_of(rule.from.as_ref()));
                        }
                    }
                    ingress[i].get_or_insert_with(|| Bits::new(n)).or(&allowed);
                }
            }
        }
        let allowed = (0..n)
            .map(|from| {
                (0..n)
                    .map(|to| {
                        egress[from].as_ref().is_none_or(|b| b.get(to))
                            && ingress[to].as_ref().is_none_or(|b| b.get(from))
                    })
                    .collect()
            })
            .collect();
        Matrix {
            pods: endpoints.iter().map(|e| e.name.clone()).collect(),
            ports: targets
                .iter()
                .map(|(port, protocol)| format!("{protocol} {port}"))
                .collect(),
            allowed,
        }
    }
}

fn peer_matches(
    item: &NetworkPolicyPeer,
    peer: &Endpoint,
    policy_namespace: &str,
    namespace_labels: &std::collections::BTreeMap<String, String>,
) -> bool {
    if let Some(block) = &item.ip_block {
        return peer.ip.is_some_and(|ip| {
            policy::cidr_contains(&block.cidr, ip)
                && !block.except.iter().flatten().any(|e| policy::cidr_contains(e, ip))
        });
    }
    let namespace_ok = match &item.namespace_selector {
        Some(s) => policy::selector(s).is_some_and(|s| s.matches(namespace_labels)),
        None => peer.namespace == policy_namespace,
    };
    namespace_ok
        && item
            .pod_selector
            .as_ref()
            .is_none_or(|s| policy::selector(s).is_some_and(|s| s.matches(&peer.labels)))
}
