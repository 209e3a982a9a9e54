//! Services without a selector, as kube-proxy serves them: the backends are the endpoints of
//! the EndpointSlices labelled `kubernetes.io/service-name=<service>` in the Service's
//! namespace, whoever wrote them.
//!
//! - A Service port uses the slice port with the same name (unset is the empty name) and
//!   protocol (unset is TCP); that port's number is where connections go (no targetPort
//!   mapping). A slice without such a port gives nothing for that Service port.
//! - Only `IPv4` slices count on this IPv4 cluster (kube-proxy ignores `FQDN` slices), and only
//!   an endpoint's first address (kube-proxy looks at no other).
//! - An endpoint is used unless its `conditions.ready` is `false` (unset is ready).
//! - An address that is an observed pod's IP is that pod, so policies selecting it apply at
//!   the ingress hop; any other address is not a pod, which only `ipBlock` peers match.
//!
//! Part of the pure analyzer: it reads the state and never does I/O. It must not handle
//! Services with a selector (`Analyzer::service_backends` derives those from the pods), and it
//! must not read pods' readiness: a slice's own condition is what kube-proxy follows.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use k8s_openapi::api::core::v1::{Pod, ServicePort};
use k8s_openapi::api::discovery::v1::{EndpointPort, EndpointSlice};

use super::policy::Endpoint;
use super::{Analyzer, Backends, Hop, pod_ip};
use crate::state::SERVICE_NAME_LABEL;

/// The only address type kube-proxy uses on this IPv4 cluster.
const IPV4: &str = "IPv4";

/// The hint every port mismatch ends with.
const BY_NAME: &str =
    "kube-proxy matches an EndpointSlice's port to a Service port by name and protocol, never by number";

/// One endpoint a slice lists for the Service port.
struct Listed {
    /// Its first address, as written.
    address: String,
    /// The slice port's number.
    port: u16,
    /// `conditions.ready` is not `false`.
    ready: bool,
}

impl Analyzer<'_> {
    /// The Service hop and backends of the selectorless Service `namespace/name` on
    /// `service_port`, or the hop that says why it has none.
    pub(super) fn slice_backends(
        &self,
        namespace: &str,
        name: &str,
        service_port: &ServicePort,
        protocol: &str,
    ) -> Result<Backends, Hop> {
        let labelled: Vec<&EndpointSlice> = self.state.slices_for(namespace, name).collect();
        if labelled.is_empty() {
            return Err(self.no_slice(namespace, name));
        }
        let ipv4: Vec<&EndpointSlice> = labelled.iter().copied().filter(|s| s.address_type == IPV4).collect();
        if ipv4.is_empty() {
            return Err(other_families(namespace, name, &labelled));
        }
        let port_name = service_port.name.as_deref().unwrap_or_default();
        let serving: Vec<(&EndpointSlice, u16)> = ipv4
            .iter()
            .filter_map(|s| Some((*s, slice_port(s, port_name, protocol)?)))
            .collect();
        if serving.is_empty() {
            return Err(no_port(namespace, name, service_port, protocol, &ipv4));
        }
        let listed = listed(&serving);
        let pods = self.pods_by_ip();
        // Two slices may list the same address and port: kube-proxy keeps one.
        let mut seen = BTreeSet::new();
        let backends: Vec<(Endpoint, u16)> = listed
            .iter()
            .filter(|l| l.ready)
            .filter_map(|l| {
                let ip = l.address.parse::<IpAddr>().ok().filter(IpAddr::is_ipv4)?;
                if !seen.insert((ip, l.port)) {
                    return None;
                }
                let endpoint = pods.get(&ip).map_or_else(
                    || Self::address(format!("{ip} (not a pod)"), ip),
                    |pod| Self::endpoint(pod),
                );
                Some((endpoint, l.port))
            })
            .collect();
        let slices: Vec<&EndpointSlice> = serving.iter().map(|(s, _)| *s).collect();
        let Some((_, first_port)) = backends.first() else {
            return Err(unusable(namespace, name, service_port, &slices, &listed));
        };
        let in_pods = backends.iter().filter(|(e, _)| e.pod).count();
        let reason = format!(
            "no selector; {} ready endpoint(s) in {} ({in_pods} pod(s), {} other address(es)); port {} -> port {first_port}",
            backends.len(),
            named(&slices),
            backends.len() - in_pods,
            service_port.port
        );
        Ok((Some(Hop::new("service", true, reason)), backends))
    }

    /// No slice is labelled for the Service; hints name the slices that look meant for it.
    fn no_slice(&self, namespace: &str, name: &str) -> Hop {
        let mut hop = Hop::new(
            "service",
            false,
            format!(
                "Service {namespace}/{name} has no selector and no EndpointSlice labelled {SERVICE_NAME_LABEL}={name}: it has no endpoints"
            ),
        );
        for slice in &self.state.endpoint_slices {
            let slice_namespace = slice.metadata.namespace.as_deref().unwrap_or_default();
            let slice_name = slice.metadata.name.as_deref().unwrap_or_default();
            let label = slice.metadata.labels.as_ref().and_then(|l| l.get(SERVICE_NAME_LABEL));
            let shown = slice_label(slice);
            if slice_namespace != namespace {
                if label.is_some_and(|l| l == name) {
                    hop.hints.push(format!(
                        "EndpointSlice {shown} is labelled {SERVICE_NAME_LABEL}={name} but lives in namespace {slice_namespace}: a Service uses only the EndpointSlices of its own namespace"
                    ));
                }
                continue;
            }
            if !self.looks_meant_for(slice_name, label.map(String::as_str), namespace, name) {
                continue;
            }
            let labelled = label.map_or_else(
                || format!("has no {SERVICE_NAME_LABEL} label"),
                |l| format!("is labelled {SERVICE_NAME_LABEL}={l}"),
            );
            hop.hints.push(format!(
                "EndpointSlice {shown} looks meant for it but {labelled}: kube-proxy finds a Service's EndpointSlices by that label, not by their name"
            ));
        }
        hop
    }

    /// Whether a slice of the Service's namespace, not labelled for it, looks meant for it: its
    /// label names no Service there, or its name starts with the Service's and it is not the
    /// slice of the Service its label names (`webhook-x` of Service `webhook` is no slice of `web`).
    fn looks_meant_for(&self, slice_name: &str, label: Option<&str>, namespace: &str, name: &str) -> bool {
        let Some(label) = label else {
            return slice_name.starts_with(name);
        };
        let exists = self.state.service(namespace, label).is_some();
        !exists || (slice_name.starts_with(name) && !slice_name.starts_with(label))
    }

    /// Observed pods by IP: not hostNetwork ones (their IP is the node's), not finished ones
    /// (their IP may be reused); a terminating pod yields to a live one with the same IP.
    pub(super) fn pods_by_ip(&self) -> BTreeMap<IpAddr, &Pod> {
        let mut pods: BTreeMap<IpAddr, &Pod> = BTreeMap::new();
        for pod in &self.state.pods {
            let host_network = pod.spec.as_ref().and_then(|s| s.host_network) == Some(true);
            let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
            if host_network || matches!(phase, Some("Succeeded" | "Failed")) {
                continue;
            }
            let Some(ip) = pod_ip(pod) else { continue };
            let held = pods.entry(ip).or_insert(pod);
            if held.metadata.deletion_timestamp.is_some() {
                *held = pod;
            }
        }
        pods
    }
}

/// The number of the slice's port named `name` for `protocol`; a port without a number is
/// ignored, as kube-proxy does.
fn slice_port(slice: &EndpointSlice, name: &str, protocol: &str) -> Option<u16> {
    slice
        .ports
        .iter()
        .flatten()
        .filter(|p| p.name.as_deref().unwrap_or_default() == name && p.protocol.as_deref().unwrap_or("TCP") == protocol)
        .find_map(|p| u16::try_from(p.port?).ok().filter(|n| *n != 0))
}

/// Every endpoint the slices list, with each slice's port.
fn listed(serving: &[(&EndpointSlice, u16)]) -> Vec<Listed> {
    serving
        .iter()
        .flat_map(|(slice, port)| {
            slice.endpoints.iter().flatten().filter_map(move |e| {
                Some(Listed {
                    address: e.addresses.first()?.clone(),
                    port: *port,
                    ready: e.conditions.as_ref().and_then(|c| c.ready) != Some(false),
                })
            })
        })
        .collect()
}

/// Only slices of another address type are labelled for the Service.
fn other_families(namespace: &str, name: &str, slices: &[&EndpointSlice]) -> Hop {
    let mut hop = Hop::new(
        "service",
        false,
        format!(
            "Service {namespace}/{name} has no selector and none of its EndpointSlices is of addressType IPv4, the only type kube-proxy uses on this IPv4 cluster: it has no endpoints"
        ),
    );
    hop.details = slices
        .iter()
        .map(|s| format!("EndpointSlice {} has addressType {}", slice_label(s), s.address_type))
        .collect();
    if slices.iter().any(|s| s.address_type == "FQDN") {
        hop.hints.push("kube-proxy ignores FQDN EndpointSlices (a deprecated type without defined meaning): list IPv4 addresses, or make the Service an ExternalName to send clients to a DNS name".to_owned());
    }
    if slices.iter().any(|s| s.address_type == "IPv6") {
        hop.hints
            .push("this cluster is IPv4-only: kube-proxy programs no IPv6 endpoints for the Service".to_owned());
    }
    hop
}

/// The IPv4 slices labelled for the Service have no port of the Service port's name and protocol.
fn no_port(namespace: &str, name: &str, service_port: &ServicePort, protocol: &str, slices: &[&EndpointSlice]) -> Hop {
    let port_name = service_port.name.as_deref().unwrap_or_default();
    let (is_named, wanted, fix) = if port_name.is_empty() {
        (
            "is unnamed".to_owned(),
            format!("an unnamed {protocol} port"),
            "leave the slice port's name unset, like the Service port's".to_owned(),
        )
    } else {
        (
            format!("is named `{port_name}`"),
            format!("a {protocol} port named `{port_name}`"),
            format!("name the slice port `{port_name}`"),
        )
    };
    let mut hop = Hop::new(
        "service",
        false,
        format!(
            "Service {namespace}/{name} port {} {is_named}, but no IPv4 EndpointSlice labelled for it has {wanted}: it has no endpoints on that port",
            service_port.port
        ),
    );
    hop.details = slices
        .iter()
        .map(|s| format!("EndpointSlice {} has {}", slice_label(s), describe_ports(s)))
        .collect();
    hop.hints.push(format!("{BY_NAME}: {fix}"));
    hop
}

/// Slices with the Service port, but no ready endpoint with an IPv4 address.
fn unusable(
    namespace: &str,
    name: &str,
    service_port: &ServicePort,
    slices: &[&EndpointSlice],
    listed: &[Listed],
) -> Hop {
    let port = service_port.port;
    let slices = named(slices);
    if listed.is_empty() {
        return Hop::new(
            "service",
            false,
            format!(
                "there is no endpoint in {slices} for Service {namespace}/{name} port {port}: it has no endpoints (connections are refused)"
            ),
        );
    }
    let mut hop = Hop::new(
        "service",
        false,
        format!(
            "none of the {} endpoint(s) in {slices} for Service {namespace}/{name} port {port} is ready: it has no ready endpoints (connections are refused)",
            listed.len()
        ),
    );
    hop.details = listed
        .iter()
        .map(|l| {
            if l.ready {
                format!("`{}` is not an IPv4 address: kube-proxy ignores it", l.address)
            } else {
                format!("{} has conditions.ready: false", l.address)
            }
        })
        .collect();
    if listed.iter().any(|l| !l.ready) {
        hop.hints.push("kube-proxy uses only endpoints whose conditions.ready is true or unset, and nothing updates a hand-written EndpointSlice from the pods' readiness: set it yourself".to_owned());
    }
    hop
}

/// `EndpointSlice ns/a` or `EndpointSlices ns/a, ns/b`.
fn named(slices: &[&EndpointSlice]) -> String {
    let names: Vec<String> = slices.iter().map(|s| slice_label(s)).collect();
    let kind = if names.len() == 1 {
        "EndpointSlice"
    } else {
        "EndpointSlices"
    };
    format!("{kind} {}", names.join(", "))
}

/// `namespace/name` of a slice.
fn slice_label(slice: &EndpointSlice) -> String {
    format!(
        "{}/{}",
        slice.metadata.namespace.as_deref().unwrap_or_default(),
        slice.metadata.name.as_deref().unwrap_or_default()
    )
}

/// A slice's ports in words: `ports `web` TCP 8080, unnamed UDP 53`, or `no ports`.
fn describe_ports(slice: &EndpointSlice) -> String {
    let ports: Vec<String> = slice.ports.iter().flatten().map(describe_port).collect();
    if ports.is_empty() {
        "no ports".to_owned()
    } else {
        format!("ports {}", ports.join(", "))
    }
}

fn describe_port(port: &EndpointPort) -> String {
    let name = match port.name.as_deref().unwrap_or_default() {
        "" => "unnamed".to_owned(),
        name => format!("`{name}`"),
    };
    let protocol = port.protocol.as_deref().unwrap_or("TCP");
    match port.port.filter(|n| *n != 0) {
        Some(number) => format!("{name} {protocol} {number}"),
        None => format!("{name} {protocol} without a number (ignored)"),
    }
}
