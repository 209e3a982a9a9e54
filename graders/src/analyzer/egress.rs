//! Exclusive egress: the destinations a set of source pods can reach beyond the ones allowed —
//! every observed pod of every namespace on each port it declares, on the allowed ports and on
//! a witness port no scenario serves, the node network, and an address outside the cluster —
//! and the rule that lets each one out.
//!
//! Pure, over a [`ClusterState`]; it must not decide verdicts (the `reachability` grader does).

use crate::reachability::AllowedDestination;
use crate::state::pod_labels;

use super::Analyzer;
use super::exclusive::Origin;
use super::policy::{Decision, Direction, Endpoint, decide};

/// A port no scenario serves: a policy that lets it through lets through more than asked.
pub const WITNESS_PORT: u16 = 65_000;

/// A flow the source should not have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Escape {
    /// The source, as policies see it.
    pub source: String,
    /// The destination in words (`pod shop/db-0 on TCP 5432`).
    pub destination: String,
    /// What lets it out (`NetworkPolicy shop/web-egress egress rule 2 (ipBlock: 0.0.0.0/0)`).
    pub let_out_by: String,
}

/// One destination and the ports it is tried on.
struct Destination {
    endpoint: Endpoint,
    described: String,
    ports: Vec<(u16, String)>,
}

impl Analyzer<'_> {
    /// The first flow from `sources` to a destination outside `allowed`, if any.
    #[must_use]
    pub fn first_escape(&self, sources: &[Endpoint], allowed: &[AllowedDestination]) -> Option<Escape> {
        // Every allowed port is tried on every destination too: a rule that lets the source
        // reach any pod on the API's port is wider than "the API pods on that port".
        let extra: Vec<u16> = allowed.iter().filter_map(|a| a.port).collect();
        let destinations = self.egress_destinations(&extra);
        let labels = |ns: &str| self.namespace_labels(ns);
        for source in sources {
            for destination in &destinations {
                for (port, protocol) in &destination.ports {
                    if permitted(allowed, &destination.endpoint, *port) {
                        continue;
                    }
                    let policies = &self.state.network_policies;
                    let egress = decide(
                        policies,
                        Direction::Egress,
                        source,
                        &destination.endpoint,
                        *port,
                        protocol,
                        &labels,
                    );
                    let ingress = if destination.endpoint.pod {
                        decide(
                            policies,
                            Direction::Ingress,
                            &destination.endpoint,
                            source,
                            *port,
                            protocol,
                            &labels,
                        )
                    } else {
                        Decision::NotIsolated
                    };
                    if egress.allows() && ingress.allows() {
                        return Some(Escape {
                            source: source.name.clone(),
                            destination: format!("{} on {protocol} {port}", destination.described),
                            let_out_by: let_out_by(&egress, &source.name),
                        });
                    }
                }
            }
        }
        None
    }

    /// Every observed pod (hostNetwork pods are the node network), then the node network and
    /// an outside address.
    fn egress_destinations(&self, extra_ports: &[u16]) -> Vec<Destination> {
        let witnesses = || {
            let mut ports = vec![(WITNESS_PORT, "TCP".to_owned()), (WITNESS_PORT, "UDP".to_owned())];
            ports.extend(extra_ports.iter().map(|p| (*p, "TCP".to_owned())));
            ports
        };
        let mut destinations: Vec<Destination> = self
            .state
            .pods
            .iter()
            .filter(|p| p.spec.as_ref().and_then(|s| s.host_network) != Some(true))
            .map(|pod| {
                let endpoint = Self::endpoint(pod);
                let mut ports: Vec<(u16, String)> =
                    endpoint.ports.iter().map(|p| (p.port, p.protocol.clone())).collect();
                ports.extend(witnesses());
                ports.sort();
                ports.dedup();
                Destination {
                    described: format!("pod {}", endpoint.name),
                    endpoint,
                    ports,
                }
            })
            .collect();
        destinations.sort_by(|a, b| a.described.cmp(&b.described));
        let outside = self
            .candidates(&[], "")
            .into_iter()
            .filter(|c| matches!(c.origin, Origin::NodeNetwork | Origin::Outside));
        destinations.extend(outside.map(|c| Destination {
            described: c.describe(),
            endpoint: c.endpoint,
            ports: {
                let mut ports = witnesses();
                ports.extend([(53, "UDP".to_owned()), (443, "TCP".to_owned())]);
                ports
            },
        }));
        destinations
    }
}

/// Whether an allowed entry covers this destination on this port.
fn permitted(allowed: &[AllowedDestination], endpoint: &Endpoint, port: u16) -> bool {
    allowed.iter().any(|a| {
        let pods = match &a.namespace {
            None => true,
            Some(namespace) => {
                endpoint.pod
                    && *namespace == endpoint.namespace
                    && a.selector.as_ref().is_none_or(|s| s.matches(&endpoint.labels))
            }
        };
        pods && a.port.is_none_or(|p| p == port)
    })
}

fn let_out_by(egress: &Decision, source: &str) -> String {
    match egress {
        Decision::Allowed { policy, rule, peer } => {
            format!("NetworkPolicy {policy} egress rule {} ({peer}) lets it out", rule + 1)
        }
        _ => format!("no policy isolates {source} for egress"),
    }
}

/// The source pods of `from`, or a hypothetical pod with exactly its selector's labels when
/// none exists.
#[must_use]
pub fn sources(state: &crate::state::ClusterState, from: &crate::target::PodSet) -> Vec<Endpoint> {
    let mut found: Vec<Endpoint> = state
        .pods_in(&from.namespace)
        .filter(|p| from.selector.matches(&pod_labels(p)))
        .map(Analyzer::endpoint)
        .collect();
    if found.is_empty() {
        found.push(Analyzer::hypothetical(
            &from.namespace,
            from.selector.match_labels.clone(),
        ));
    }
    found
}
