//! Exclusive egress: the destinations a set of source pods can reach beyond the ones allowed —
//! every observed pod of every namespace on each port it declares, on the allowed ports and on
//! a witness port no scenario serves, the node network, an address outside the cluster, for
//! each allowed CIDR an address inside it and the addresses just below and above it (any wider
//! block holds one of the two), and the first and last address of every block the sources'
//! egress rules name (CIDRs nest or are disjoint: a block elsewhere is reached at its ends) —
//! and the rule that lets each one out.
//!
//! Pure, over a [`ClusterState`]; it must not decide verdicts (the `reachability` grader does).

use crate::reachability::AllowedDestination;
use crate::state::pod_labels;

use std::net::IpAddr;

use super::Analyzer;
use super::exclusive::Origin;
use super::policy::{self, Decision, Direction, Endpoint, decide};

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
        // reach any pod on the API's port is wider than "the API pods on that port". So is
        // every port an egress rule of the sources' namespaces names (a rule to the partner's
        // block on another port).
        let mut extra: Vec<u16> = allowed.iter().filter_map(|a| a.port).collect();
        extra.extend(self.egress_rule_ports(sources));
        extra.sort_unstable();
        extra.dedup();
        let blocks: Vec<String> = allowed.iter().filter_map(|a| a.cidr.clone()).collect();
        let mut destinations = self.egress_destinations(&extra, &blocks);
        destinations.extend(self.rule_block_destinations(sources, &extra));
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

    /// The egress rules of the sources' namespaces' policies.
    fn egress_rules<'s>(
        &'s self,
        sources: &'s [Endpoint],
    ) -> impl Iterator<Item = &'s k8s_openapi::api::networking::v1::NetworkPolicyEgressRule> {
        self.state
            .network_policies
            .iter()
            .filter(|p| {
                p.metadata
                    .namespace
                    .as_deref()
                    .is_some_and(|ns| sources.iter().any(|s| s.namespace == ns))
            })
            .filter_map(|p| p.spec.as_ref()?.egress.as_ref())
            .flatten()
    }

    /// The numeric ports (and `endPort` range starts) those egress rules name.
    fn egress_rule_ports(&self, sources: &[Endpoint]) -> Vec<u16> {
        self.egress_rules(sources)
            .flat_map(|rule| rule.ports.iter().flatten())
            .filter_map(|port| match &port.port {
                Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(n)) => u16::try_from(*n).ok(),
                _ => None,
            })
            .collect()
    }

    /// The `ipBlock` CIDRs those egress rules name: a block elsewhere than the allowed ones
    /// (a second partner nobody asked for) is reached at its own first and last address.
    fn egress_rule_blocks(&self, sources: &[Endpoint]) -> Vec<String> {
        self.egress_rules(sources)
            .flat_map(|rule| rule.to.iter().flatten())
            .filter_map(|peer| peer.ip_block.as_ref().map(|b| b.cidr.clone()))
            .collect()
    }

    /// Every observed pod (hostNetwork pods are the node network), then the node network, an
    /// outside address, and the addresses in and around each allowed block.
    fn egress_destinations(&self, extra_ports: &[u16], allowed_blocks: &[String]) -> Vec<Destination> {
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
            ports: outside_ports(extra_ports),
        }));
        destinations.extend(
            allowed_blocks
                .iter()
                .filter_map(|cidr| policy::cidr_block(cidr).map(|block| (cidr, block)))
                .flat_map(|(cidr, block)| around(block).into_iter().map(move |(ip, place)| (cidr, ip, place)))
                .map(|(cidr, ip, place)| Destination {
                    described: format!("{ip} ({place} {cidr}, outside the cluster)"),
                    endpoint: Self::address(ip.to_string(), ip),
                    ports: outside_ports(extra_ports),
                }),
        );
        destinations
    }
}

impl Analyzer<'_> {
    /// The first and last address of every block the sources' egress rules name, on the
    /// outside ports (an address the allowed entries cover is skipped by `permitted`).
    fn rule_block_destinations(&self, sources: &[Endpoint], extra_ports: &[u16]) -> Vec<Destination> {
        let mut blocks = self.egress_rule_blocks(sources);
        blocks.sort();
        blocks.dedup();
        blocks
            .iter()
            .filter_map(|cidr| policy::cidr_block(cidr).map(|(first, last)| (cidr, [first_host(first, last), last])))
            .flat_map(|(cidr, ends)| ends.into_iter().map(move |ip| (cidr, ip)))
            .map(|(cidr, ip)| Destination {
                described: format!("{ip} (in {cidr}, which an egress rule names)"),
                endpoint: Self::address(ip.to_string(), ip),
                ports: outside_ports(extra_ports),
            })
            .collect()
    }
}

/// The ports an address outside the cluster is tried on: the witness port (TCP and UDP), the
/// extra ports, DNS and HTTPS.
fn outside_ports(extra_ports: &[u16]) -> Vec<(u16, String)> {
    let mut ports = vec![(WITNESS_PORT, "TCP".to_owned()), (WITNESS_PORT, "UDP".to_owned())];
    ports.extend(extra_ports.iter().map(|p| (*p, "TCP".to_owned())));
    ports.extend([(53, "UDP".to_owned()), (443, "TCP".to_owned())]);
    ports
}

/// The address after (`up`) or before `ip`, if there is one.
fn step(ip: IpAddr, up: bool) -> Option<IpAddr> {
    match ip {
        IpAddr::V4(v4) => {
            let n = u32::from(v4);
            if up { n.checked_add(1) } else { n.checked_sub(1) }.map(|n| IpAddr::from(n.to_be_bytes()))
        }
        IpAddr::V6(v6) => {
            let n = u128::from(v6);
            if up { n.checked_add(1) } else { n.checked_sub(1) }.map(|n| IpAddr::from(n.to_be_bytes()))
        }
    }
}

/// A block's first host: not its network address, when it has more than one address.
fn first_host(first: IpAddr, last: IpAddr) -> IpAddr {
    if first == last {
        first
    } else {
        step(first, true).unwrap_or(first)
    }
}

/// An address inside a block, and the ones just below and above it (when there are).
fn around((first, last): (IpAddr, IpAddr)) -> Vec<(IpAddr, &'static str)> {
    let mut found = vec![(first_host(first, last), "inside")];
    found.extend(step(first, false).map(|ip| (ip, "just below")));
    found.extend(step(last, true).map(|ip| (ip, "just above")));
    found
}

/// Whether an allowed entry covers this destination on this port.
fn permitted(allowed: &[AllowedDestination], endpoint: &Endpoint, port: u16) -> bool {
    allowed.iter().any(|a| {
        let covered = match (&a.namespace, &a.cidr) {
            (_, Some(cidr)) => !endpoint.pod && endpoint.ip.is_some_and(|ip| policy::cidr_contains(cidr, ip)),
            (None, None) => true,
            (Some(namespace), None) => {
                endpoint.pod
                    && *namespace == endpoint.namespace
                    && a.selector.as_ref().is_none_or(|s| s.matches(&endpoint.labels))
            }
        };
        covered && a.port.is_none_or(|p| p == port)
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
