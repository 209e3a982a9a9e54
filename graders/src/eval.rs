//! Evaluating checks against an observation: one function per grader, each pure.
//!
//! Graders never do I/O and never print: they read the [`Observation`] and return a
//! [`Verdict`] that explains itself in one learner-facing sentence with evidence.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::Pod;
use serde_json::Value;

use crate::state::{
    BaselineSource, Observation, Outcome, ProbeResult, pod_is_ready, pod_labels, service_port, value_at,
};
use crate::target::{Destination, Expectation, ObjectKind, ObjectRef};
use crate::tree::{first_mismatch, is_subset};
use crate::verdict::{Evidence, Reason, Verdict};
use crate::{CheckSpec, absent, assert, connectivity, dns, endpoints, http, pods_ready, rollout, unchanged};

/// How long a `blocked` flow must keep failing when the check sets no `stableFor`.
pub const DEFAULT_STABLE_FOR_MS: u64 = 5_000;

impl CheckSpec {
    /// Evaluate this check (whose id keys its probe result) against what was observed.
    #[must_use]
    pub fn evaluate(&self, check_id: &str, observation: &Observation) -> Verdict {
        let probe = observation.probes.get(check_id);
        if self.is_probe() && probe.is_none() {
            return crate::predict::predict(self, observation);
        }
        match self {
            Self::Assert(p) => evaluate_assert(p, observation),
            Self::Absent(p) => evaluate_absent(p, observation),
            Self::Unchanged(p) => evaluate_unchanged(p, observation),
            Self::Rollout(p) => evaluate_rollout(p, observation),
            Self::Endpoints(p) => evaluate_endpoints(p, observation),
            Self::PodsReady(p) => evaluate_pods_ready(p, observation),
            Self::Connectivity(p) => with_probe(probe, |r| {
                crate::predict::cross_check(evaluate_connectivity(p, r), r, &p.from, &p.to, observation)
            }),
            Self::Dns(p) => with_probe(probe, |r| evaluate_dns(p, r, observation)),
            Self::Http(p) => with_probe(probe, |r| {
                crate::predict::cross_check(evaluate_http(p, r), r, &p.from, &p.to, observation)
            }),
            Self::Reachability(p) => crate::predict::reachability(p, observation),
        }
    }
}

fn with_probe(probe: Option<&ProbeResult>, evaluate: impl FnOnce(&ProbeResult) -> Verdict) -> Verdict {
    match probe {
        None => Verdict::NotEvaluated {
            message: "no probe result was observed for this check".to_owned(),
        },
        // Tampering first: a tampered probe's other fields are whatever the cluster made up.
        Some(ProbeResult {
            tampered: Some(what), ..
        }) => Verdict::Error {
            reason: Reason::ProbeTampered,
            message: what.clone(),
        },
        Some(result) => match &result.error {
            Some(error) => Verdict::Error {
                reason: Reason::ProbeError,
                message: format!("the probe could not run: {error}"),
            },
            None => evaluate(result),
        },
    }
}

fn object_json(target: &ObjectRef, observation: &Observation) -> Option<Value> {
    observation
        .state
        .get_json(target.kind, target.namespace.as_deref(), &target.name)
}

fn missing(target: &ObjectRef) -> Verdict {
    Verdict::fail(
        Reason::ObjectMissing,
        format!("{target} does not exist."),
        Evidence::new(target.kubectl_get(), "NotFound"),
    )
}

fn evaluate_assert(params: &assert::Params, observation: &Observation) -> Verdict {
    let target = &params.target;
    let Some(actual) = object_json(target, observation) else {
        return missing(target);
    };
    match first_mismatch(&params.expected, Some(&actual), "") {
        None => Verdict::Pass {
            evidence: Evidence::new(target.kubectl_get(), "matches"),
        },
        Some((path, why)) => Verdict::fail(
            Reason::FieldMismatch,
            format!("{target}: `{path}` {why}."),
            Evidence::new(
                target.kubectl_get(),
                format!("{path}: {}", abridge(value_at(&actual, &path))),
            ),
        ),
    }
}

fn evaluate_absent(params: &absent::Params, observation: &Observation) -> Verdict {
    let target = &params.target;
    match object_json(target, observation) {
        None => Verdict::Pass {
            evidence: Evidence::new(target.kubectl_get(), "NotFound"),
        },
        Some(_) => Verdict::fail(
            Reason::ObjectPresent,
            format!("{target} still exists."),
            Evidence::new(target.kubectl_get(), "found"),
        ),
    }
}

/// The paths compared when a check lists none.
fn default_paths(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::ConfigMap => "data",
        ObjectKind::Namespace | ObjectKind::Node => "metadata.labels",
        _ => "spec",
    }
}

fn evaluate_unchanged(params: &unchanged::Params, observation: &Observation) -> Verdict {
    let target = &params.target;
    let Some(baseline) = &observation.baseline else {
        return Verdict::Error {
            reason: Reason::NoBaseline,
            message: "no state was recorded after setup to compare with".to_owned(),
        };
    };
    let Some(before) = baseline
        .state
        .get_json(target.kind, target.namespace.as_deref(), &target.name)
    else {
        return Verdict::Error {
            reason: Reason::NoBaseline,
            message: format!("{target} is not in the post-setup state"),
        };
    };
    let Some(now) = object_json(target, observation) else {
        return Verdict::fail(
            Reason::Changed,
            format!("{target} was deleted; it must stay as it was."),
            Evidence::new(target.kubectl_get(), "NotFound"),
        );
    };
    let exact = baseline.source == BaselineSource::Recorded
        || matches!(target.kind, ObjectKind::NetworkPolicy | ObjectKind::ConfigMap);
    let paths: Vec<&str> = if params.paths.is_empty() {
        vec![default_paths(target.kind)]
    } else {
        params.paths.iter().map(String::as_str).collect()
    };
    for path in paths {
        let (was, is) = (value_at(&before, path), value_at(&now, path));
        let same = if exact {
            normalized(was) == normalized(is)
        } else {
            was.is_none_or(|w| is.is_some_and(|i| is_subset(w, i)))
        };
        if !same {
            return Verdict::fail(
                Reason::Changed,
                format!("{target}: `{path}` changed since setup; it must stay as it was."),
                Evidence::new(
                    target.kubectl_get(),
                    format!("{path} was {}, is {}", abridge(was), abridge(is)),
                ),
            );
        }
    }
    Verdict::Pass {
        evidence: Evidence::new(target.kubectl_get(), "unchanged"),
    }
}

/// Absent, null and empty containers are the same thing to the API server.
fn normalized(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| match v {
        Value::Null => false,
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => true,
    })
}

fn evaluate_rollout(params: &rollout::Params, observation: &Observation) -> Verdict {
    let target = &params.target;
    let Some(object) = object_json(target, observation) else {
        return missing(target);
    };
    let number = |path: &str| value_at(&object, path).and_then(Value::as_i64).unwrap_or(0);
    let generation_seen = number("status.observedGeneration") >= number("metadata.generation");
    let (ready, detail) = if target.kind == ObjectKind::DaemonSet {
        let desired = number("status.desiredNumberScheduled");
        let (updated, ready) = (number("status.updatedNumberScheduled"), number("status.numberReady"));
        let done = desired > 0 && updated == desired && ready == desired;
        (done, format!("{ready}/{desired} ready, {updated} updated"))
    } else {
        let desired = value_at(&object, "spec.replicas").and_then(Value::as_i64).unwrap_or(1);
        let (updated, ready) = (number("status.updatedReplicas"), number("status.readyReplicas"));
        let available = if target.kind == ObjectKind::Deployment {
            number("status.availableReplicas")
        } else {
            ready
        };
        let all = [updated, ready, available, number("status.replicas")];
        let done = desired > 0 && all.iter().all(|n| *n == desired);
        (
            done,
            format!("{ready}/{desired} ready, {updated} updated, {available} available"),
        )
    };
    let kind = target.kind.to_string().to_lowercase();
    let command = format!(
        "kubectl -n {} rollout status {kind}/{}",
        target.namespace.as_deref().unwrap_or("default"),
        target.name
    );
    let unready = if ready && generation_seen {
        unready_pod(target, &object, &observation.state)
    } else {
        None
    };
    if let Some(pod) = unready {
        return Verdict::fail(
            Reason::NotRolledOut,
            format!("{target} is not fully rolled out: its status says {detail}, but pod {pod}."),
            Evidence::new(command, format!("{detail}; pod {pod}")),
        );
    }
    if ready && generation_seen {
        Verdict::Pass {
            evidence: Evidence::new(command, detail),
        }
    } else {
        Verdict::fail(
            Reason::NotRolledOut,
            format!("{target} is not fully rolled out ({detail})."),
            Evidence::new(command, detail),
        )
    }
}

/// A pod of the workload `object` (owned by it, or by one of its ReplicaSets) that is neither
/// Ready nor terminating, described with its waiting containers: the workload's status lags its
/// pods, and a crash-looping container without a readiness probe is counted Ready for the
/// moment it runs. `None` when every observed pod is Ready (or none was observed).
fn unready_pod(target: &ObjectRef, object: &Value, state: &crate::state::ClusterState) -> Option<String> {
    let uid = value_at(object, "metadata.uid")?.as_str()?;
    let namespace = target.namespace.as_deref()?;
    let owned_by = |meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta, owner: &str| {
        meta.owner_references.iter().flatten().any(|r| r.uid == owner)
    };
    let mut owners = vec![uid];
    if target.kind == ObjectKind::Deployment {
        owners.extend(
            state
                .replica_sets
                .iter()
                .filter(|rs| rs.metadata.namespace.as_deref() == Some(namespace) && owned_by(&rs.metadata, uid))
                .filter_map(|rs| rs.metadata.uid.as_deref()),
        );
    }
    let pod = state
        .pods_in(namespace)
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .filter(|p| owners.iter().any(|o| owned_by(&p.metadata, o)))
        .find(|p| !pod_is_ready(p))?;
    let waiting: Vec<String> = pod
        .status
        .iter()
        .flat_map(|s| s.container_statuses.iter().flatten())
        .filter_map(|c| {
            let reason = c.state.as_ref()?.waiting.as_ref()?.reason.clone()?;
            Some(format!(
                "container {} {reason} after {} restart(s)",
                c.name, c.restart_count
            ))
        })
        .collect();
    let name = pod.metadata.name.as_deref().unwrap_or("?");
    Some(if waiting.is_empty() {
        format!("{name} is not Ready")
    } else {
        format!("{name} is not Ready ({})", waiting.join(", "))
    })
}

fn evaluate_endpoints(params: &endpoints::Params, observation: &Observation) -> Verdict {
    let (ns, name) = (params.namespace.as_str(), params.service.as_str());
    let command = format!("kubectl -n {ns} get endpointslices -l kubernetes.io/service-name={name} -o wide");
    let Some(service) = observation.state.service(ns, name) else {
        let target = ObjectRef {
            kind: ObjectKind::Service,
            name: name.to_owned(),
            namespace: Some(ns.to_owned()),
        };
        return missing(&target);
    };
    let port_name = match &params.port {
        None => None,
        Some(port) => match service_port(service, port, None).map(|p| p.name.clone().unwrap_or_default()) {
            Some(port_name) => Some(port_name),
            None => {
                return Verdict::fail(
                    Reason::FieldMismatch,
                    format!("Service {ns}/{name} has no port {port}."),
                    Evidence::new(format!("kubectl -n {ns} get service {name} -o yaml"), "no such port"),
                );
            }
        },
    };
    let (mut accepted, mut foreign) = (BTreeSet::new(), BTreeSet::new());
    // kube-proxy forwards to IP slices only: an FQDN slice (even one listing IPs) is ignored.
    for slice in observation
        .state
        .slices_for(ns, name)
        .filter(|s| s.address_type != "FQDN")
    {
        let serves_port = port_name.as_ref().is_none_or(|wanted| {
            slice
                .ports
                .as_ref()
                .is_some_and(|ports| ports.iter().any(|p| p.name.clone().unwrap_or_default() == *wanted))
        });
        if !serves_port {
            continue;
        }
        for endpoint in slice.endpoints.iter().flatten() {
            if endpoint.conditions.as_ref().and_then(|c| c.ready) == Some(false) {
                continue;
            }
            let pod = endpoint
                .target_ref
                .as_ref()
                .filter(|r| r.kind.as_deref() == Some("Pod"))
                .and_then(|r| r.name.as_deref());
            let address = endpoint.addresses.first().cloned().unwrap_or_default();
            let matches = params.pod_selector.as_ref().is_none_or(|selector| {
                pod.and_then(|p| observation.state.pod(ns, p))
                    .is_some_and(|p| selector.matches(&pod_labels(p)))
            });
            if matches {
                accepted.insert(address)
            } else {
                foreign.insert(format!("{address} ({})", pod.unwrap_or("no pod")))
            };
        }
    }
    let observed = if accepted.is_empty() && foreign.is_empty() {
        "no ready endpoints".to_owned()
    } else {
        // Every ready endpoint, the unwanted ones marked: the evidence shows all kube-proxy uses.
        let shown: Vec<String> = accepted
            .iter()
            .cloned()
            .chain(foreign.iter().map(|f| format!("{f} unwanted")))
            .collect();
        format!("{} ready endpoint(s): {}", shown.len(), shown.join(", "))
    };
    let count = u32::try_from(accepted.len()).unwrap_or(u32::MAX);
    if !foreign.is_empty() {
        let list = foreign.into_iter().collect::<Vec<_>>().join(", ");
        return Verdict::fail(
            Reason::ForeignEndpoints,
            format!("Service {ns}/{name} routes to pods that are not the intended backends: {list}."),
            Evidence::new(command, observed),
        );
    }
    if count >= params.min_ready {
        Verdict::Pass {
            evidence: Evidence::new(command, observed),
        }
    } else {
        Verdict::fail(
            Reason::TooFewEndpoints,
            format!(
                "Service {ns}/{name} has {count} ready endpoint(s); at least {} are needed.",
                params.min_ready
            ),
            Evidence::new(command, observed),
        )
    }
}

fn evaluate_pods_ready(params: &pods_ready::Params, observation: &Observation) -> Verdict {
    let ns = params.namespace.as_str();
    let selected: Vec<&Pod> = observation
        .state
        .pods_in(ns)
        .filter(|p| params.selector.matches(&pod_labels(p)))
        .collect();
    let ready = selected.iter().filter(|p| pod_is_ready(p)).count();
    let command = format!("kubectl -n {ns} get pods -l {}", selector_text(&params.selector));
    let observed = format!("{ready}/{} Ready", selected.len());
    if let Some(max) = params.max_restarts {
        let worst = selected.iter().map(|p| restarts(p)).max().unwrap_or(0);
        if worst > i64::from(max) {
            return Verdict::fail(
                Reason::TooManyRestarts,
                format!("A selected pod restarted {worst} times (at most {max} allowed)."),
                Evidence::new(command, observed),
            );
        }
    }
    if u32::try_from(ready).unwrap_or(u32::MAX) >= params.min_ready {
        Verdict::Pass {
            evidence: Evidence::new(command, observed),
        }
    } else {
        Verdict::fail(
            Reason::PodsNotReady,
            format!(
                "{ready} of the selected pods are Ready; at least {} are needed.",
                params.min_ready
            ),
            Evidence::new(command, observed),
        )
    }
}

fn restarts(pod: &Pod) -> i64 {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .map_or(0, |cs| cs.iter().map(|c| i64::from(c.restart_count)).sum())
}

fn selector_text(selector: &crate::selector::LabelSelector) -> String {
    selector
        .match_labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn destination_text(to: &Destination) -> String {
    let host = match (&to.service, &to.host, &to.node, &to.pod) {
        (Some(service), ..) => format!("Service {}/{service}", to.namespace.as_deref().unwrap_or("")),
        (None, Some(host), ..) => host.clone(),
        (None, None, Some(_), _) => "the node".to_owned(),
        _ => "the selected pods".to_owned(),
    };
    format!("{host} port {}", to.port)
}

fn probe_evidence(result: &ProbeResult) -> Evidence {
    let outcome = serde_json::to_value(result.outcome)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    Evidence::new(
        result.command.clone(),
        format!("{outcome} after {} attempt(s) {}", result.attempts, result.output)
            .trim_end()
            .to_owned(),
    )
}

/// A connection that had to succeed but did not.
fn failed_connection(result: &ProbeResult, what: &str) -> Verdict {
    let (reason, why) = match result.outcome {
        Outcome::Refused => (
            Reason::ConnectionRefused,
            "was refused: the Service has no ready endpoints, or nothing listens on the targetPort",
        ),
        Outcome::Timeout => (
            Reason::ConnectionTimedOut,
            "timed out: dropped by a NetworkPolicy, missing kube-proxy rules, or a broken CNI",
        ),
        Outcome::DnsFailure => (Reason::DnsFailure, "failed because the name did not resolve"),
        Outcome::Other | Outcome::Connected => (Reason::ProbeFailed, "failed"),
    };
    Verdict::fail(
        reason,
        format!("The connection to {what} {why}."),
        probe_evidence(result),
    )
}

fn evaluate_connectivity(params: &connectivity::Params, result: &ProbeResult) -> Verdict {
    let what = destination_text(&params.to);
    match (params.expect, result.outcome) {
        (Expectation::Allowed, Outcome::Connected) => Verdict::Pass {
            evidence: probe_evidence(result),
        },
        (Expectation::Allowed, _) => failed_connection(result, &what),
        (Expectation::Blocked, Outcome::Connected) => Verdict::fail(
            Reason::NotBlocked,
            format!("The connection to {what} succeeded; it must be blocked."),
            probe_evidence(result),
        ),
        (Expectation::Blocked, Outcome::Timeout) => {
            let needed = params.stable_for.map_or(DEFAULT_STABLE_FOR_MS, |d| {
                u64::try_from(d.as_std().as_millis()).unwrap_or(u64::MAX)
            });
            if result.held_ms >= needed {
                Verdict::Pass {
                    evidence: probe_evidence(result),
                }
            } else {
                Verdict::fail(
                    Reason::NotBlockedLongEnough,
                    format!(
                        "The connection to {what} was blocked for {} ms only; it must stay blocked for {needed} ms.",
                        result.held_ms
                    ),
                    probe_evidence(result),
                )
            }
        }
        (Expectation::Blocked, Outcome::Refused) => Verdict::fail(
            Reason::RefusedNotBlocked,
            format!(
                "The connection to {what} was refused, not dropped: the destination is not serving, so no policy was shown to block it."
            ),
            probe_evidence(result),
        ),
        (Expectation::Blocked, Outcome::DnsFailure | Outcome::Other) => Verdict::Error {
            reason: Reason::ProbeError,
            message: format!("the probe to {what} failed before reaching the flow under test; see the evidence"),
        },
    }
}

fn evaluate_dns(params: &dns::Params, result: &ProbeResult, observation: &Observation) -> Verdict {
    let resolved = result.outcome == Outcome::Connected && !result.addresses.is_empty();
    let name = &params.name;
    match (params.expect, resolved) {
        (dns::DnsExpectation::Fails, false) => Verdict::Pass {
            evidence: probe_evidence(result),
        },
        (dns::DnsExpectation::Fails, true) => Verdict::fail(
            Reason::WrongAnswer,
            format!("`{name}` resolved; it must not."),
            probe_evidence(result),
        ),
        (dns::DnsExpectation::Resolves, false) => {
            let why = if result.outcome == Outcome::Timeout {
                " (no answer: CoreDNS is down or egress to it is blocked)"
            } else {
                ""
            };
            Verdict::fail(
                Reason::DnsFailure,
                format!("`{name}` did not resolve{why}."),
                probe_evidence(result),
            )
        }
        (dns::DnsExpectation::Resolves, true) => match &params.resolves_to_service {
            None => Verdict::Pass {
                evidence: probe_evidence(result),
            },
            Some(service_ref) => {
                let cluster_ip = observation
                    .state
                    .service(&service_ref.namespace, &service_ref.name)
                    .and_then(|s| s.spec.as_ref())
                    .and_then(|s| s.cluster_ip.clone());
                match cluster_ip {
                    Some(ip) if result.addresses.contains(&ip) => Verdict::Pass {
                        evidence: probe_evidence(result),
                    },
                    Some(ip) => Verdict::fail(
                        Reason::WrongAnswer,
                        format!(
                            "`{name}` resolved to {}, not the Service's ClusterIP {ip}.",
                            result.addresses.join(", ")
                        ),
                        probe_evidence(result),
                    ),
                    None => missing(&ObjectRef {
                        kind: ObjectKind::Service,
                        name: service_ref.name.clone(),
                        namespace: Some(service_ref.namespace.clone()),
                    }),
                }
            }
        },
    }
}

fn evaluate_http(params: &http::Params, result: &ProbeResult) -> Verdict {
    let what = destination_text(&params.to);
    if result.outcome != Outcome::Connected {
        return failed_connection(result, &what);
    }
    match result.http_status {
        Some(status) if status == params.status => {}
        other => {
            let got = other.map_or("no status".to_owned(), |s| s.to_string());
            return Verdict::fail(
                Reason::HttpStatus,
                format!("{what}{} answered {got}, expected {}.", params.path, params.status),
                probe_evidence(result),
            );
        }
    }
    match &params.body_contains {
        Some(text) if !result.body.as_deref().unwrap_or_default().contains(text.as_str()) => Verdict::fail(
            Reason::BodyMismatch,
            format!("The response from {what} does not contain `{text}`."),
            probe_evidence(result),
        ),
        _ => Verdict::Pass {
            evidence: probe_evidence(result),
        },
    }
}

fn abridge(value: Option<&Value>) -> String {
    let text = value.map_or_else(|| "missing".to_owned(), Value::to_string);
    if text.chars().count() > 120 {
        format!("{}…", text.chars().take(120).collect::<String>())
    } else {
        text
    }
}
