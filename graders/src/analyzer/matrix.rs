//! The allow/deny matrix between pods, computed with selector matching done once per policy
//! peer (bitsets of pods), not once per pair: fast enough for thousands of pods.

use serde::Serialize;

use super::Analyzer;
use super::policy::{self, Direction, Endpoint};
use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort};

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
    ports.filter(|p| !p.is_empty()).is_none_or(|ports| {
        ports
            .iter()
            .any(|rule| policy::port_rule_matches(rule, destination, port, protocol))
    })
}

/// The pods of a matrix, their probe ports and their namespaces' labels, computed once.
struct Pods {
    endpoints: Vec<Endpoint>,
    targets: Vec<(u16, String)>,
    namespace_labels: Vec<std::collections::BTreeMap<String, String>>,
}

/// Per pod: whom it may send to (egress) and receive from (ingress); `None`: not isolated.
struct Allowed {
    egress: Vec<Option<Bits>>,
    ingress: Vec<Option<Bits>>,
}

impl Pods {
    fn len(&self) -> usize {
        self.endpoints.len()
    }

    /// The pods `peers` match (all pods when the list is missing or empty).
    fn peers(&self, peers: Option<&Vec<NetworkPolicyPeer>>, policy_namespace: &str) -> Bits {
        let n = self.len();
        match peers.filter(|p| !p.is_empty()) {
            None => Bits::full(n),
            Some(items) => {
                let compiled: Vec<policy::CompiledPeer<'_>> = items.iter().map(policy::CompiledPeer::new).collect();
                let mut set = Bits::new(n);
                for (i, e) in self.endpoints.iter().enumerate() {
                    if compiled
                        .iter()
                        .any(|c| c.evaluate(e, policy_namespace, &self.namespace_labels[i]).matches())
                    {
                        set.set(i);
                    }
                }
                set
            }
        }
    }

    /// Destinations whose probe port a rule's ports admit.
    fn ports(&self, ports: Option<&Vec<NetworkPolicyPort>>) -> Bits {
        let mut set = Bits::new(self.len());
        for (j, e) in self.endpoints.iter().enumerate() {
            if ports_match(ports, e, self.targets[j].0, &self.targets[j].1) {
                set.set(j);
            }
        }
        set
    }
}

impl Allowed {
    /// Fold one policy in: selection once, peers once per rule (bitsets), never per pair.
    fn apply(&mut self, policy: &NetworkPolicy, pods: &Pods) {
        let (has_ingress, has_egress) = policy::policy_types(policy);
        let Some(spec) = policy.spec.as_ref() else { return };
        let n = pods.len();
        let policy_namespace = policy.metadata.namespace.clone().unwrap_or_default();
        let direction = if has_ingress {
            Direction::Ingress
        } else {
            Direction::Egress
        };
        let selected: Vec<usize> = (0..n)
            .filter(|i| policy::selects(policy, &pods.endpoints[*i], direction))
            .collect();
        if selected.is_empty() {
            return;
        }
        if has_egress {
            let mut allowed = Bits::new(n);
            for rule in spec.egress.iter().flatten() {
                let mut set = pods.peers(rule.to.as_ref(), &policy_namespace);
                set.and(&pods.ports(rule.ports.as_ref()));
                allowed.or(&set);
            }
            for i in &selected {
                self.egress[*i].get_or_insert_with(|| Bits::new(n)).or(&allowed);
            }
        }
        if has_ingress {
            let rules: Vec<(Bits, Option<&Vec<NetworkPolicyPort>>)> = spec
                .ingress
                .iter()
                .flatten()
                .map(|r| (pods.peers(r.from.as_ref(), &policy_namespace), r.ports.as_ref()))
                .collect();
            for i in &selected {
                let isolated = self.ingress[*i].get_or_insert_with(|| Bits::new(n));
                for (peers, ports) in &rules {
                    if ports_match(*ports, &pods.endpoints[*i], pods.targets[*i].0, &pods.targets[*i].1) {
                        isolated.or(peers);
                    }
                }
            }
        }
    }
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
        let pods = Pods {
            targets: endpoints.iter().map(destination_port).collect(),
            namespace_labels: endpoints.iter().map(|e| self.namespace_labels(&e.namespace)).collect(),
            endpoints,
        };
        let n = pods.len();
        let mut allowed = Allowed {
            egress: vec![None; n],
            ingress: vec![None; n],
        };
        for policy in &self.state.network_policies {
            allowed.apply(policy, &pods);
        }
        let cells = (0..n)
            .map(|from| {
                (0..n)
                    .map(|to| {
                        allowed.egress[from].as_ref().is_none_or(|b| b.get(to))
                            && allowed.ingress[to].as_ref().is_none_or(|b| b.get(from))
                    })
                    .collect()
            })
            .collect();
        Matrix {
            pods: pods.endpoints.iter().map(|e| e.name.clone()).collect(),
            ports: pods
                .targets
                .iter()
                .map(|(port, protocol)| format!("{protocol} {port}"))
                .collect(),
            allowed: cells,
        }
    }
}
