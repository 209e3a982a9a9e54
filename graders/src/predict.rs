//! Predictions: probe checks answered by the reachability analyzer when no probe result was
//! observed (grading a snapshot), and `reachability` checks, which are static by definition.
//!
//! Pure. A prediction says what the analyzer expects and why; live grading compares it with
//! the probe instead. It must not write commands that depend on where the state came from: the
//! `kubedrill explain` run that shows a prediction is data ([`ExplainFlow`]), which the report
//! turns into a command.

use crate::analyzer::egress;
use crate::analyzer::policy::Endpoint;
use crate::analyzer::{Analyzer, Canonical, Hop, Target, Trace};
use crate::reachability::{AllowedDestination, Form};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::address::pick_node;
use crate::state::{ClusterState, Observation, Outcome, ProbeResult, pod_labels, service_port};
use crate::target::{Destination, Expectation, NodeChoice, PodSet, PortRef, Protocol, Source};
use crate::verdict::{Evidence, ExplainFlow, Reason, Verdict};
use crate::{CheckSpec, dns, reachability};

/// Marks the evidence of every predicted verdict.
pub const PREDICTED: &str = "predicted by the reachability analyzer";

/// Predict a probe check (connectivity, dns, http) from the state alone.
#[must_use]
pub fn predict(spec: &CheckSpec, observation: &Observation) -> Verdict {
    let state = &observation.state;
    let analyzer = Analyzer::new(state);
    match spec {
        CheckSpec::Connectivity(p) => match flow(state, &p.from, &p.to) {
            Some((source, target)) => {
                let suggestion = suggestion(state, &source, &target);
                judge(&analyzer.trace(&source, &target), p.expect, &source, &p.to, suggestion)
            }
            None => unpredictable(),
        },
        CheckSpec::Http(p) => match flow(state, &p.from, &p.to) {
            Some((source, target)) => {
                let trace = analyzer.trace(&source, &target);
                if trace.allowed {
                    Verdict::NotEvaluated {
                        message: "the connection is predicted to succeed; the HTTP answer itself needs a live probe"
                            .to_owned(),
                    }
                } else {
                    judge(
                        &trace,
                        Expectation::Allowed,
                        &source,
                        &p.to,
                        suggestion(state, &source, &target),
                    )
                }
            }
            None => unpredictable(),
        },
        CheckSpec::Dns(p) => predict_dns(p, state, &analyzer),
        _ => unpredictable(),
    }
}

fn unpredictable() -> Verdict {
    Verdict::NotEvaluated {
        message: "no probe result was observed, and this flow cannot be predicted from the state alone".to_owned(),
    }
}

fn protocol(p: Protocol) -> String {
    match p {
        Protocol::Tcp => "TCP",
        Protocol::Udp => "UDP",
        Protocol::Sctp => "SCTP",
    }
    .to_owned()
}

/// The source pod: a Ready pod matching the selector (else a hypothetical one with its labels),
/// a hypothetical probe pod, or a node's address (a hostNetwork probe).
fn source(state: &ClusterState, from: &Source) -> Option<Endpoint> {
    if let Some(choice) = from.node {
        return node_address(state, choice);
    }
    let namespace = from.namespace.as_deref()?;
    if let Some(labels) = &from.probe_labels {
        return Some(Analyzer::hypothetical(namespace, labels.clone()));
    }
    let selector = from.selector.as_ref()?;
    let matching = crate::address::matching_pods(state, namespace, selector);
    Some(matching.first().map_or_else(
        || Analyzer::hypothetical(namespace, selector.match_labels.clone()),
        |p| Analyzer::endpoint(p),
    ))
}

/// The node a node-level probe would pick, as its address ([`Analyzer::node`]).
fn node_address(state: &ClusterState, choice: NodeChoice) -> Option<Endpoint> {
    Analyzer::node(pick_node(state, choice)?)
}

fn target(state: &ClusterState, to: &Destination) -> Option<Target> {
    let protocol = protocol(to.protocol);
    if let Some(choice) = to.node {
        let PortRef::Number(port) = to.port else { return None };
        return Some(Target::NodePort {
            node: pick_node(state, choice)?.metadata.name.clone()?,
            port,
            protocol,
        });
    }
    if let Some(host) = &to.host {
        // Only an address can be judged: a name outside the cluster resolves nowhere here.
        let PortRef::Number(port) = to.port else { return None };
        let ip = crate::address::ip_literal(host)?;
        return Some(Target::Address { ip, port, protocol });
    }
    let namespace = to.namespace.clone()?;
    if let Some(name) = &to.service {
        return Some(Target::Service {
            namespace,
            name: name.clone(),
            port: to.port.clone(),
            protocol,
            by_name: to.by_name,
        });
    }
    let selector = to.pod.as_ref()?;
    let pod = state.pods_in(&namespace).find(|p| selector.matches(&pod_labels(p)))?;
    let name = pod.metadata.name.clone()?;
    Some(Target::Pod {
        namespace,
        name,
        port: to.port.clone(),
        protocol,
    })
}

fn flow(state: &ClusterState, from: &Source, to: &Destination) -> Option<(Endpoint, Target)> {
    Some((source(state, from)?, target(state, to)?))
}

fn describe_target(to: &Destination) -> String {
    if let Some(choice) = to.node {
        let which = match choice {
            NodeChoice::ControlPlane => "the control-plane node",
            NodeChoice::Worker => "a worker node",
            NodeChoice::Any => "a node",
        };
        return format!("port {} of {which}", to.port);
    }
    if let Some(host) = &to.host {
        return format!("{host}:{}", to.port);
    }
    match (&to.service, &to.namespace) {
        (Some(service), Some(ns)) => format!("{ns}/{service}:{}", to.port),
        _ => format!("the selected pods on port {}", to.port),
    }
}

/// How `kubedrill explain --from` names a source: a node as `node/<name>`, the pod when the state has it, else the
/// hypothetical pod by its labels (`{}` when it has none).
fn explain_source(state: &ClusterState, source: &Endpoint) -> String {
    if !source.pod {
        return source.name.clone();
    }
    let pod = source
        .name
        .strip_prefix(&source.namespace)
        .and_then(|rest| rest.strip_prefix('/'))
        .filter(|pod| state.pod(&source.namespace, pod).is_some());
    if pod.is_some() {
        return source.name.clone();
    }
    let labels: Vec<String> = source.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let labels = if labels.is_empty() {
        "{}".to_owned()
    } else {
        labels.join(",")
    };
    format!("{}/{labels}", source.namespace)
}

/// The `kubedrill explain` run that traces this flow.
fn suggestion(state: &ClusterState, source: &Endpoint, target: &Target) -> ExplainFlow {
    ExplainFlow {
        from: explain_source(state, source),
        to: target.explain_arg(),
        by_name: target.by_name(),
    }
}

fn evidence(trace: &Trace, suggestion: ExplainFlow) -> Evidence {
    let outcome = trace
        .cause()
        .map_or_else(|| "allowed".to_owned(), |c| format!("blocked: {c}"));
    Evidence::explained(suggestion, format!("{PREDICTED}: {outcome}"))
}

/// The failing hop decides the reason, as a live probe's failure signature would.
fn reason_of(hop: Option<&Hop>) -> Reason {
    match hop.map(|h| h.name) {
        Some("dns") => Reason::DnsFailure,
        Some("service") => Reason::ConnectionRefused,
        _ => Reason::ConnectionTimedOut,
    }
}

fn judge(trace: &Trace, expect: Expectation, source: &Endpoint, to: &Destination, suggestion: ExplainFlow) -> Verdict {
    let evidence = evidence(trace, suggestion);
    let what = describe_target(to);
    match (expect, trace.allowed) {
        (Expectation::Allowed, true) | (Expectation::Blocked, false) => Verdict::Pass { evidence },
        (Expectation::Allowed, false) => {
            let failing = trace.hops.iter().find(|h| !h.ok);
            let cause = failing.map_or("", |h| h.reason.as_str());
            Verdict::fail(
                reason_of(failing),
                format!("{} cannot reach {what}: {cause}.", source.name),
                evidence,
            )
        }
        (Expectation::Blocked, true) => Verdict::fail(
            Reason::NotBlocked,
            format!("{} can reach {what}; it must be blocked.", source.name),
            evidence,
        ),
    }
}

/// The Service a pod in `namespace` reaches by `name`, as the pod's DNS search path
/// (`<ns>.svc.cluster.local svc.cluster.local cluster.local`, `ndots:5`) resolves it:
/// `web` is `web.<namespace>.svc.cluster.local`, `web.shop` and `web.shop.svc` are Service
/// `web` in `shop`, and a fully qualified `web.shop.svc.cluster.local.` is itself. Other
/// shapes (pod or external names) are not Service names.
#[must_use]
pub fn service_named(name: &str, namespace: &str) -> Option<(String, String)> {
    let name = name.trim_end_matches('.');
    let relative = name
        .strip_suffix(".svc.cluster.local")
        .or_else(|| name.strip_suffix(".svc"))
        .unwrap_or(name);
    let labels: Vec<&str> = relative.split('.').collect();
    match labels.as_slice() {
        [service] if !service.is_empty() && relative == name => Some(((*service).to_owned(), namespace.to_owned())),
        [service, ns] if !service.is_empty() && !ns.is_empty() => Some(((*service).to_owned(), (*ns).to_owned())),
        _ => None,
    }
}

/// The per-pod name `<hostname>.<service>.<namespace>` a pod in `namespace` reaches by
/// `name`, as its search path resolves it: three labels (with `.svc` or `.svc.cluster.local`,
/// or relative, which no search domain turns into a valid name first) are hostname, Service
/// and namespace. Two labels are left to the caller: `x.y` is pod `x` of Service `y`
/// in the pod's own namespace when that name exists (the first search domain), else Service `x`
/// in namespace `y`.
#[must_use]
pub fn pod_named(name: &str) -> Option<(String, String, String)> {
    let name = name.trim_end_matches('.');
    let relative = name
        .strip_suffix(".svc.cluster.local")
        .or_else(|| name.strip_suffix(".svc"))
        .unwrap_or(name);
    match relative.split('.').collect::<Vec<_>>().as_slice() {
        [host, service, ns] if [host, service, ns].iter().all(|l| !l.is_empty()) => {
            Some(((*host).to_owned(), (*service).to_owned(), (*ns).to_owned()))
        }
        _ => None,
    }
}

fn predict_pod_dns(
    params: &dns::Params,
    analyzer: &Analyzer<'_>,
    source: &Endpoint,
    (hostname, service, namespace): (&str, &str, &str),
) -> Verdict {
    let hop = analyzer.pod_dns_hop(source, namespace, service, hostname);
    let mut observed = format!("{PREDICTED}: {}", hop.reason);
    for hint in &hop.hints {
        observed = format!("{observed}; {hint}");
    }
    if let (Some(wanted), true) = (&params.resolves_to_service, hop.ok) {
        return Verdict::fail(
            Reason::WrongAnswer,
            format!(
                "`{}` is predicted to resolve to a pod of Service {namespace}/{service}, not to Service {}/{}'s ClusterIP.",
                params.name, wanted.namespace, wanted.name
            ),
            Evidence::new(
                format!("kubectl -n {namespace} get endpointslices -l kubernetes.io/service-name={service} -o wide"),
                observed,
            ),
        );
    }
    let evidence = Evidence::new(
        format!(
            "kubectl -n {namespace} get service {service} -o wide; kubectl -n {namespace} get endpointslices -l kubernetes.io/service-name={service} -o yaml"
        ),
        observed,
    );
    dns_verdict(params, hop.ok, &hop.reason, evidence)
}

fn dns_verdict(params: &dns::Params, resolves: bool, reason: &str, evidence: Evidence) -> Verdict {
    match (params.expect, resolves) {
        (dns::DnsExpectation::Resolves, true) | (dns::DnsExpectation::Fails, false) => Verdict::Pass { evidence },
        (dns::DnsExpectation::Resolves, false) => Verdict::fail(
            Reason::DnsFailure,
            format!("`{}` is predicted not to resolve: {reason}.", params.name),
            evidence,
        ),
        (dns::DnsExpectation::Fails, true) => Verdict::fail(
            Reason::WrongAnswer,
            format!("`{}` is predicted to resolve; it must not.", params.name),
            evidence,
        ),
    }
}

fn predict_dns(params: &dns::Params, state: &ClusterState, analyzer: &Analyzer<'_>) -> Verdict {
    let Some(source) = source(state, &params.from) else {
        return unpredictable();
    };
    if let Some((host, service, namespace)) = pod_named(&params.name) {
        return predict_pod_dns(params, analyzer, &source, (&host, &service, &namespace));
    }
    let Some((service, namespace)) = service_named(&params.name, &source.namespace) else {
        return unpredictable();
    };
    if params.name.trim_end_matches('.') == format!("{service}.{namespace}")
        && analyzer.pod_name_exists(&source.namespace, &namespace, &service)
    {
        let own = source.namespace.clone();
        return predict_pod_dns(params, analyzer, &source, (&service, &namespace, &own));
    }
    let (service, namespace) = (service.as_str(), namespace.as_str());
    let hop = analyzer.dns_hop(&source, namespace, service);
    let observed = format!("{PREDICTED}: {}", hop.reason);
    // The address it answers with is that of the Service an ExternalName's CNAME ends at.
    let answer = match analyzer.canonical(namespace, service) {
        Canonical::Service(ns, svc) => format!("Service {ns}/{svc}"),
        Canonical::Outside(target) => format!("`{target}`, outside the cluster"),
        Canonical::Dangling(_) => format!("Service {namespace}/{service}"),
    };
    let wanted = params
        .resolves_to_service
        .as_ref()
        .filter(|s| answer != format!("Service {}/{}", s.namespace, s.name));
    if let (Some(wanted), true) = (wanted, hop.ok) {
        return Verdict::fail(
            Reason::WrongAnswer,
            format!(
                "`{}` is predicted to resolve to {answer}, not to Service {}/{}.",
                params.name, wanted.namespace, wanted.name
            ),
            Evidence::new(format!("kubectl -n {namespace} get service {service}"), observed),
        );
    }
    let evidence = Evidence::explained(
        ExplainFlow {
            from: explain_source(state, &source),
            to: format!("{namespace}/{service}"),
            by_name: true,
        },
        observed,
    );
    dns_verdict(params, hop.ok, &hop.reason, evidence)
}

/// A `reachability` check, in either form.
#[must_use]
pub fn reachability(params: &reachability::Params, observation: &Observation) -> Verdict {
    match params.form() {
        Some(Form::Flow { from, to, expect }) => flow_reachability(from, expect, to, &observation.state),
        Some(Form::Exclusive { allowed, to }) => exclusive(allowed, to, &observation.state),
        Some(Form::ExclusiveEgress { from, allowed }) => exclusive_egress(from, allowed, &observation.state),
        None => Verdict::NotEvaluated {
            message:
                "the check sets none of `from` + `to` + `expect`, `to` + `onlyFrom`, `from` + `onlyTo` (or mixes them)"
                    .to_owned(),
        },
    }
}

fn missing_destination(to: &Destination) -> Verdict {
    Verdict::fail(
        Reason::ObjectMissing,
        format!("{} does not exist.", describe_target(to)),
        Evidence::new("kubectl get pods,services", "not found"),
    )
}

/// One flow: any source pod (or a hypothetical pod with exactly the selector's labels, when
/// none exists) reaching the destination counts as allowed.
fn flow_reachability(from: &PodSet, expect: Expectation, to: &Destination, state: &ClusterState) -> Verdict {
    let analyzer = Analyzer::new(state);
    let Some(target) = target(state, to) else {
        return missing_destination(to);
    };
    let traces: Vec<(Endpoint, Trace)> = egress::sources(state, from)
        .into_iter()
        .map(|s| {
            let trace = analyzer.trace(&s, &target);
            (s, trace)
        })
        .collect();
    let chosen = traces.iter().find(|(_, t)| t.allowed).unwrap_or(&traces[0]);
    judge(&chosen.1, expect, &chosen.0, to, suggestion(state, &chosen.0, &target))
}

/// Every destination the exclusivity check guards: the Service (by ClusterIP: a source need
/// not resolve its name), or each pod the `pod` selector matches.
fn exclusive_targets(state: &ClusterState, to: &Destination) -> Vec<Target> {
    let Some(namespace) = to.namespace.clone() else {
        return Vec::new();
    };
    let protocol = protocol(to.protocol);
    if let Some(name) = &to.service {
        let backends = service_backends(state, &namespace, name, to, &protocol);
        if !backends.is_empty() {
            return backends;
        }
        return vec![Target::Service {
            namespace,
            name: name.clone(),
            port: to.port.clone(),
            protocol,
            by_name: false,
        }];
    }
    let Some(selector) = to.pod.as_ref() else {
        return Vec::new();
    };
    state
        .pods_in(&namespace)
        .filter(|p| selector.matches(&pod_labels(p)))
        .filter_map(|p| p.metadata.name.clone())
        .map(|name| Target::Pod {
            namespace: namespace.clone(),
            name,
            port: to.port.clone(),
            protocol: protocol.clone(),
        })
        .collect()
}

/// Every pod a Service selects, Ready or not, on the port's targetPort: who may reach a backend
/// is a question of policy, not of readiness (a pod not Ready yet is guarded all the same).
fn service_backends(
    state: &ClusterState,
    namespace: &str,
    name: &str,
    to: &Destination,
    protocol: &str,
) -> Vec<Target> {
    let Some(service) = state.service(namespace, name) else {
        return Vec::new();
    };
    let Some(port) = service_port(service, &to.port, Some(protocol)) else {
        return Vec::new();
    };
    let target_port = match &port.target_port {
        Some(IntOrString::String(name)) => PortRef::Name(name.clone()),
        Some(IntOrString::Int(n)) => u16::try_from(*n).map_or(PortRef::Number(0), PortRef::Number),
        None => u16::try_from(port.port).map_or(PortRef::Number(0), PortRef::Number),
    };
    let Some(selector) = service
        .spec
        .as_ref()
        .and_then(|s| s.selector.as_ref())
        .filter(|s| !s.is_empty())
    else {
        return Vec::new();
    };
    state
        .pods_in(namespace)
        .filter(|p| {
            let labels = pod_labels(p);
            selector.iter().all(|(k, v)| labels.get(k) == Some(v))
        })
        .filter_map(|p| p.metadata.name.clone())
        .map(|pod| Target::Pod {
            namespace: namespace.to_owned(),
            name: pod,
            port: target_port.clone(),
            protocol: protocol.to_owned(),
        })
        .collect()
}

fn describe_allowed(allowed: &[PodSet]) -> String {
    allowed
        .iter()
        .map(|set| format!("{}/{{{}}}", set.namespace, set.selector.to_query()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Exclusivity: no source outside `allowed` — observed pods of every namespace, a pod in a
/// fresh namespace, pods with foreign labels, the node network, an outside address — is
/// predicted to reach `to`. The first one that does is named with the rule that lets it in.
fn exclusive(allowed: &[PodSet], to: &Destination, state: &ClusterState) -> Verdict {
    let analyzer = Analyzer::new(state);
    let namespace = to.namespace.as_deref().unwrap_or_default();
    let targets = exclusive_targets(state, to);
    let service_missing = to
        .service
        .as_deref()
        .is_some_and(|s| state.service(namespace, s).is_none());
    if targets.is_empty() || service_missing {
        return missing_destination(to);
    }
    let candidates = analyzer.candidates(allowed, namespace);
    let what = describe_target(to);
    let only = describe_allowed(allowed);
    let command = format!("kubectl get networkpolicies -A -o yaml; kubectl -n {namespace} get pods --show-labels");
    match analyzer.first_intrusion(&candidates, &targets) {
        Err(hop) => Verdict::fail(
            reason_of(Some(&hop)),
            format!("exclusivity of {what} cannot be judged: {}.", hop.reason),
            Evidence::new(command, format!("{PREDICTED}: {}", hop.reason)),
        ),
        Ok(None) => Verdict::Pass {
            evidence: Evidence::new(
                command,
                format!(
                    "{PREDICTED}: none of {} sources outside {only} reaches {what}",
                    candidates.len()
                ),
            ),
        },
        Ok(Some(intrusion)) => {
            let source = intrusion.source.describe();
            let admitted = intrusion.admitted_by();
            Verdict::fail(
                Reason::NotBlocked,
                format!("{source} can reach {what}, but only {only} may: {admitted}."),
                Evidence::new(command, format!("{PREDICTED}: {source} gets in: {admitted}")),
            )
        }
    }
}

/// Exclusive egress: the `from` pods reach no destination outside `allowed` — no other pod of
/// any namespace on any port it declares or on a witness port, not the node network, no
/// address outside the cluster. The first one that is reachable is named with the rule that
/// lets it out.
fn exclusive_egress(from: &PodSet, allowed: &[AllowedDestination], state: &ClusterState) -> Verdict {
    let analyzer = Analyzer::new(state);
    let sources = egress::sources(state, from);
    let who = format!("{}/{{{}}}", from.namespace, from.selector.to_query());
    let only: Vec<String> = allowed
        .iter()
        .map(|a| {
            let port = a.port.map_or_else(|| "any port".to_owned(), |p| format!("port {p}"));
            let pods = match (&a.cidr, &a.namespace, &a.selector) {
                (Some(cidr), _, _) => cidr.clone(),
                (None, None, _) => "any destination".to_owned(),
                (None, Some(ns), None) => format!("{ns}/*"),
                (None, Some(ns), Some(selector)) => format!("{ns}/{{{}}}", selector.to_query()),
            };
            format!("{pods} on {port}")
        })
        .collect();
    let only = only.join(", ");
    let command = format!(
        "kubectl get networkpolicies -A -o yaml; kubectl -n {} get pods --show-labels",
        from.namespace
    );
    match analyzer.first_escape(&sources, allowed) {
        None => Verdict::Pass {
            evidence: Evidence::new(command, format!("{PREDICTED}: {who} reaches nothing but {only}")),
        },
        Some(escape) => Verdict::fail(
            Reason::NotBlocked,
            format!(
                "{} can reach {}, but may reach only {only}: {}.",
                escape.source, escape.destination, escape.let_out_by
            ),
            Evidence::new(
                command,
                format!("{PREDICTED}: {} gets out: {}", escape.destination, escape.let_out_by),
            ),
        ),
    }
}

/// Compare a probe's verdict with the analyzer's prediction for the same flow.
///
/// - Agreement on a failure: the trace's cause becomes the learner's explanation.
/// - The probe connected although policies should block it: NetworkPolicy is not being
///   enforced (a CNI without policy support, or enforcement lagging), an environment error.
/// - The probe failed although the analysis allows it: the cause is outside what the state
///   shows (nothing listening on the targetPort, kube-proxy, the CNI), which the message says;
///   the verdict stands.
#[must_use]
pub fn cross_check(
    verdict: Verdict,
    probe: &ProbeResult,
    from: &Source,
    to: &Destination,
    observation: &Observation,
) -> Verdict {
    let state = &observation.state;
    let Some((source, target)) = flow(state, from, to) else {
        return verdict;
    };
    let trace = Analyzer::new(state).trace(&source, &target);
    let blocked_by_policy = trace
        .hops
        .iter()
        .any(|h| !h.ok && matches!(h.name, "egress" | "ingress"));
    if probe.outcome == Outcome::Connected && blocked_by_policy {
        return Verdict::Error {
            reason: Reason::PolicyNotEnforced,
            message: format!(
                "the connection succeeded although the NetworkPolicies should block it ({}): policy is not being enforced on this cluster (CNI without NetworkPolicy support, or enforcement still catching up)",
                trace.cause().unwrap_or_else(|| "denied".to_owned())
            ),
        };
    }
    match verdict {
        Verdict::Fail {
            reason,
            message,
            evidence,
        } if probe.outcome != Outcome::Connected => {
            let explanation = match trace.cause() {
                Some(cause) => format!(" Why: {cause}."),
                None => " The policies and Service allow this flow, so look outside them: does the app listen on the targetPort, is kube-proxy running, is the CNI healthy?".to_owned(),
            };
            Verdict::Fail {
                reason,
                message: format!("{message}{explanation}"),
                evidence,
            }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::service_named;

    #[test]
    fn three_labels_are_a_per_pod_name() {
        let pod = |h: &str, s: &str, n: &str| Some((h.to_owned(), s.to_owned(), n.to_owned()));
        assert_eq!(super::pod_named("db-0.db.x.svc.cluster.local"), pod("db-0", "db", "x"));
        assert_eq!(super::pod_named("db-0.db.x.svc.cluster.local."), pod("db-0", "db", "x"));
        assert_eq!(super::pod_named("db-0.db.x.svc"), pod("db-0", "db", "x"));
        assert_eq!(super::pod_named("db-0.db.x"), pod("db-0", "db", "x"));
        assert_eq!(super::pod_named("db.x.svc.cluster.local"), None, "a Service name");
        assert_eq!(super::pod_named("db-0.db"), None, "two labels: left to the caller");
        assert_eq!(super::pod_named("a.b.c.d.svc.cluster.local"), None);
    }

    #[test]
    fn names_resolve_as_a_pods_search_path_does() {
        let named = |name: &str| service_named(name, "shop");
        let service = |s: &str, ns: &str| Some((s.to_owned(), ns.to_owned()));
        assert_eq!(named("web"), service("web", "shop"));
        assert_eq!(named("web.billing"), service("web", "billing"));
        assert_eq!(named("web.billing.svc"), service("web", "billing"));
        assert_eq!(named("web.billing.svc.cluster.local"), service("web", "billing"));
        assert_eq!(named("web.billing.svc.cluster.local."), service("web", "billing"));
        // Pod names, external names and empty labels are not Service names.
        assert_eq!(named("a.b.c.svc.cluster.local"), None);
        assert_eq!(named("example.com.au"), None);
        assert_eq!(named("web..svc"), None);
        assert_eq!(named(""), None);
    }
}
