//! Exclusivity: whether any source outside an allowed set of pods can reach a destination.
//!
//! The sources judged, in this order: every observed pod (except hostNetwork pods, which send
//! from the node network), then what no object shows but a wrong answer would let in — a
//! label-less pod in a fresh namespace, pods with foreign labels in the destination's namespace
//! and in the allowed sets' namespaces, the node network, and an address outside the cluster.
//!
//! Pure, like the rest of the analyzer: it must not turn findings into verdicts or messages for
//! a check (that is `predict`'s job), and it must not assume objects the state does not hold,
//! except the representative node address when no Node is observed.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};

use super::policy::{Decision, Endpoint};
use super::{Analyzer, Hop, Target, Trace};
use crate::address::node_ip;
use crate::target::PodSet;

/// The label a hypothetical pod with foreign labels carries (and no other).
pub const FOREIGN_LABEL: (&str, &str) = ("kubedrill.dev/source", "foreign");

/// The node network's address when no Node is observed (kind's first node on its Docker network).
pub const NODE_ADDRESS: IpAddr = IpAddr::V4(Ipv4Addr::new(172, 18, 0, 2));

/// An address outside the cluster (TEST-NET-3, never routed).
pub const OUTSIDE_ADDRESS: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 10));

/// What kind of source a candidate is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// An observed pod.
    Pod,
    /// A hypothetical pod without labels in a namespace no object uses.
    FreshNamespace,
    /// A hypothetical pod carrying only [`FOREIGN_LABEL`] in an existing namespace.
    ForeignLabels,
    /// A host-network source on a node.
    NodeNetwork,
    /// An address outside the cluster.
    Outside,
}

/// One source an exclusivity check judges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// What kind of source it is.
    pub origin: Origin,
    /// The source as policies see it.
    pub endpoint: Endpoint,
}

impl Candidate {
    /// The source in words: `pod monitoring/grafana-0`, `the node network (172.18.0.3)`.
    #[must_use]
    pub fn describe(&self) -> String {
        let ip = self.endpoint.ip.map_or_else(String::new, |ip| ip.to_string());
        match self.origin {
            Origin::Pod => format!("pod {}", self.endpoint.name),
            Origin::FreshNamespace => "a label-less pod in a fresh namespace".to_owned(),
            Origin::ForeignLabels => format!(
                "a pod in {} with foreign labels ({}={})",
                self.endpoint.namespace, FOREIGN_LABEL.0, FOREIGN_LABEL.1
            ),
            Origin::NodeNetwork => format!("the node network ({ip})"),
            Origin::Outside => format!("an address outside the cluster ({ip})"),
        }
    }
}

/// A source outside the allowed set that is predicted to reach the destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Intrusion {
    /// Who gets in.
    pub source: Candidate,
    /// The allowed trace that proves it.
    pub trace: Trace,
}

impl Intrusion {
    /// What lets it in, as a clause: `NetworkPolicy shop/allow-api ingress rule 1
    /// (namespaceSelector: {}) lets it in` (rules counted from 1), or `no policy isolates
    /// shop/api-0 for ingress`.
    #[must_use]
    pub fn admitted_by(&self) -> String {
        match self.trace.ingress() {
            Some(Decision::Allowed { policy, rule, peer }) => {
                format!("NetworkPolicy {policy} ingress rule {} ({peer}) lets it in", rule + 1)
            }
            _ => self
                .trace
                .hops
                .iter()
                .find(|h| h.name == "ingress")
                .map_or_else(|| "nothing blocks it".to_owned(), |h| h.reason.clone()),
        }
    }
}

/// Whether `endpoint` is one of the allowed sources: a pod in an entry's namespace that the
/// entry's selector matches.
#[must_use]
pub fn is_allowed(allowed: &[PodSet], endpoint: &Endpoint) -> bool {
    endpoint.pod
        && allowed
            .iter()
            .any(|set| set.namespace == endpoint.namespace && set.selector.matches(&endpoint.labels))
}

impl Analyzer<'_> {
    /// Every source outside `allowed`, in the order they are judged (see the module docs);
    /// `destination_namespace` gets a pod with foreign labels.
    #[must_use]
    pub fn candidates(&self, allowed: &[PodSet], destination_namespace: &str) -> Vec<Candidate> {
        let mut candidates = self.observed_pods();
        candidates.push(Candidate {
            origin: Origin::FreshNamespace,
            endpoint: Self::hypothetical(&self.fresh_namespace(), BTreeMap::new()),
        });
        candidates.extend(foreign_pods(allowed, destination_namespace));
        candidates.extend(self.node_addresses().into_iter().map(|ip| Candidate {
            origin: Origin::NodeNetwork,
            endpoint: Self::address(format!("the node network ({ip})"), ip),
        }));
        candidates.push(Candidate {
            origin: Origin::Outside,
            endpoint: Self::address(format!("{OUTSIDE_ADDRESS} (outside the cluster)"), OUTSIDE_ADDRESS),
        });
        candidates.retain(|c| !is_allowed(allowed, &c.endpoint));
        candidates
    }

    /// The first candidate that reaches any of `targets`, or the destination's own failure (a
    /// missing Service, no Ready backend, an undeclared port) when nobody can be judged.
    pub fn first_intrusion(&self, candidates: &[Candidate], targets: &[Target]) -> Result<Option<Intrusion>, Hop> {
        for candidate in candidates {
            for target in targets {
                let trace = self.trace(&candidate.endpoint, target);
                if let Some(hop) = trace.hops.iter().find(|h| !h.ok && h.name == "service") {
                    return Err(hop.clone());
                }
                if trace.allowed {
                    return Ok(Some(Intrusion {
                        source: candidate.clone(),
                        trace,
                    }));
                }
            }
        }
        Ok(None)
    }

    /// Observed pods sorted by name; hostNetwork pods send from the node network instead.
    fn observed_pods(&self) -> Vec<Candidate> {
        let mut pods: Vec<Candidate> = self
            .state
            .pods
            .iter()
            .filter(|p| p.spec.as_ref().and_then(|s| s.host_network) != Some(true))
            .map(|p| Candidate {
                origin: Origin::Pod,
                endpoint: Self::endpoint(p),
            })
            .collect();
        pods.sort_by(|a, b| a.endpoint.name.cmp(&b.endpoint.name));
        pods
    }

    /// A namespace name no observed object uses.
    fn fresh_namespace(&self) -> String {
        let state = self.state;
        let used: BTreeSet<&str> = state
            .namespaces
            .iter()
            .filter_map(|n| n.metadata.name.as_deref())
            .chain(state.pods.iter().filter_map(|p| p.metadata.namespace.as_deref()))
            .chain(state.services.iter().filter_map(|s| s.metadata.namespace.as_deref()))
            .chain(
                state
                    .network_policies
                    .iter()
                    .filter_map(|p| p.metadata.namespace.as_deref()),
            )
            .collect();
        // One more candidate name than names in use: one of them is free.
        (0..=used.len())
            .map(|n| match n {
                0 => "kubedrill-fresh".to_owned(),
                n => format!("kubedrill-fresh-{n}"),
            })
            .find(|name| !used.contains(name.as_str()))
            .unwrap_or_default()
    }

    /// Each observed node's InternalIP, or [`NODE_ADDRESS`] when no node is observed.
    fn node_addresses(&self) -> Vec<IpAddr> {
        let mut addresses: Vec<IpAddr> = self
            .state
            .nodes
            .iter()
            .filter_map(|n| node_ip(n)?.parse().ok())
            .collect();
        addresses.dedup();
        if addresses.is_empty() {
            addresses.push(NODE_ADDRESS);
        }
        addresses
    }
}

/// Pods with foreign labels: one in the destination's namespace, then one in each other
/// namespace an allowed set names.
fn foreign_pods(allowed: &[PodSet], destination_namespace: &str) -> Vec<Candidate> {
    let mut namespaces = vec![destination_namespace];
    for set in allowed {
        if !namespaces.contains(&set.namespace.as_str()) {
            namespaces.push(&set.namespace);
        }
    }
    let labels = BTreeMap::from([(FOREIGN_LABEL.0.to_owned(), FOREIGN_LABEL.1.to_owned())]);
    namespaces
        .into_iter()
        .map(|ns| Candidate {
            origin: Origin::ForeignLabels,
            endpoint: Analyzer::hypothetical(ns, labels.clone()),
        })
        .collect()
}
