//! Table-driven tests of the reachability analyzer against the documented NetworkPolicy
//! semantics (the cases of the upstream e2e netpol suite over namespaces x, y, z with pods
//! a, b, c), then the Service and DNS hops, then the matrix agreeing with pairwise analysis.

// Fixture builders take JSON by value for readability at call sites.
#![allow(clippy::needless_pass_by_value)]

use graders::analyzer::{Analyzer, Target};
use graders::state::ClusterState;
use graders::target::PortRef;
use serde_json::{Value, json};

fn namespace(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {"ns": name, "kubernetes.io/metadata.name": name}}})
}

fn pod(ns: &str, name: &str, ip: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": {"pod": name}},
        "spec": {"containers": [{"name": "c", "image": "agnhost", "ports": [
            {"name": "serve-80-tcp", "containerPort": 80, "protocol": "TCP"},
            {"name": "serve-81-tcp", "containerPort": 81, "protocol": "TCP"},
            {"name": "serve-80-udp", "containerPort": 80, "protocol": "UDP"},
            {"name": "serve-80-sctp", "containerPort": 80, "protocol": "SCTP"}]}]},
        "status": {"phase": "Running", "podIP": ip, "conditions": [{"type": "Ready", "status": "True"}]}})
}

fn policy(ns: &str, name: &str, spec: Value) -> Value {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": ns}, "spec": spec})
}

/// x, y, z with pods a, b, c (x: 10.0.0.x, y: 10.0.1.x, z: 10.0.2.x) and y/v6 on `fd00::5`.
fn cluster(policies: &[Value]) -> ClusterState {
    let mut objects = Vec::new();
    for (n, ns) in ["x", "y", "z"].iter().enumerate() {
        objects.push(namespace(ns));
        for (i, name) in ["a", "b", "c"].iter().enumerate() {
            objects.push(pod(ns, name, &format!("10.0.{n}.{}", i + 1)));
        }
    }
    objects.push(pod("y", "v6", "fd00::5"));
    objects.extend(policies.iter().cloned());
    ClusterState::from_objects(objects).expect("valid fixture")
}

fn allowed(state: &ClusterState, from: &str, to: &str, port: u16, protocol: &str) -> bool {
    let (from_ns, from_name) = from.split_once('/').expect("ns/name");
    let (to_ns, to_name) = to.split_once('/').expect("ns/name");
    let analyzer = Analyzer::new(state);
    let source = Analyzer::endpoint(state.pod(from_ns, from_name).expect("source pod"));
    let target = Target::Pod {
        namespace: to_ns.into(),
        name: to_name.into(),
        port: PortRef::Number(port),
        protocol: protocol.into(),
    };
    analyzer.trace(&source, &target).allowed
}

fn deny_all_ingress(ns: &str) -> Value {
    policy(
        ns,
        "deny-ingress",
        json!({"podSelector": {}, "policyTypes": ["Ingress"]}),
    )
}

fn ingress_to_a(ns: &str, rules: Value) -> Value {
    policy(
        ns,
        "allow-to-a",
        json!({"podSelector": {"matchLabels": {"pod": "a"}}, "policyTypes": ["Ingress"], "ingress": rules}),
    )
}

fn egress_from_a(ns: &str, rules: Value) -> Value {
    policy(
        ns,
        "allow-from-a",
        json!({"podSelector": {"matchLabels": {"pod": "a"}}, "policyTypes": ["Egress"], "egress": rules}),
    )
}

/// (name, policies, from, to, port, protocol, expected)
type Case = (
    &'static str,
    Vec<Value>,
    &'static str,
    &'static str,
    u16,
    &'static str,
    bool,
);

#[allow(clippy::too_many_lines)]
fn cases() -> Vec<Case> {
    let from_b = json!([{"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}]);
    let from_ns_y = json!([{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}]}]);
    let and_peer = json!([{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}, "podSelector": {"matchLabels": {"pod": "b"}}}]}]);
    let or_peers = json!([{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}, {"podSelector": {"matchLabels": {"pod": "b"}}}]}]);
    let port_80 = json!([{"ports": [{"port": 80}]}]);
    let udp_80 = json!([{"ports": [{"port": 80, "protocol": "UDP"}]}]);
    let named_81 = json!([{"ports": [{"port": "serve-81-tcp"}]}]);
    let named_missing = json!([{"ports": [{"port": "serve-99-tcp"}]}]);
    let range = json!([{"ports": [{"port": 80, "endPort": 81}]}]);
    let ip_y = json!([{"from": [{"ipBlock": {"cidr": "10.0.1.0/24"}}]}]);
    let ip_y_except = json!([{"from": [{"ipBlock": {"cidr": "10.0.1.0/24", "except": ["10.0.1.1/32"]}}]}]);
    let ip_v6 = json!([{"from": [{"ipBlock": {"cidr": "fd00::/64"}}]}]);
    let ip_v6_except = json!([{"from": [{"ipBlock": {"cidr": "fd00::/64", "except": ["fd00::5/128"]}}]}]);
    let to_ns_y = json!([{"to": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}]}]);
    let all_ns = json!([{"from": [{"namespaceSelector": {}}]}]);
    let not_in_a = json!([{"from": [{"podSelector": {"matchExpressions": [{"key": "pod", "operator": "NotIn", "values": ["a"]}]}}]}]);
    let exists = json!([{"from": [{"podSelector": {"matchExpressions": [{"key": "pod", "operator": "Exists"}]}}]}]);
    let does_not_exist =
        json!([{"from": [{"podSelector": {"matchExpressions": [{"key": "pod", "operator": "DoesNotExist"}]}}]}]);
    let by_name_label =
        json!([{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "z"}}}]}]);
    let missing_label = json!([{"from": [{"namespaceSelector": {"matchLabels": {"team": "blue"}}}]}]);
    let dns_only = json!([{"ports": [{"port": 53, "protocol": "UDP"}]}]);
    let outside = json!([{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}]}]);
    let deny_egress_x = policy(
        "x",
        "deny-egress",
        json!({"podSelector": {}, "policyTypes": ["Egress"]}),
    );
    vec![
        ("no policy: everything allowed", vec![], "y/a", "x/a", 80, "TCP", true),
        ("no policy: udp too", vec![], "x/b", "x/a", 80, "UDP", true),
        (
            "deny-all ingress blocks other namespaces",
            vec![deny_all_ingress("x")],
            "y/a",
            "x/a",
            80,
            "TCP",
            false,
        ),
        (
            "deny-all ingress blocks the same namespace",
            vec![deny_all_ingress("x")],
            "x/b",
            "x/a",
            80,
            "TCP",
            false,
        ),
        (
            "deny-all ingress leaves egress open",
            vec![deny_all_ingress("x")],
            "x/a",
            "y/a",
            80,
            "TCP",
            true,
        ),
        (
            "deny-all ingress in y does not touch x",
            vec![deny_all_ingress("y")],
            "x/b",
            "x/a",
            80,
            "TCP",
            true,
        ),
        (
            "deny-all egress blocks leaving",
            vec![deny_egress_x.clone()],
            "x/a",
            "y/a",
            80,
            "TCP",
            false,
        ),
        (
            "deny-all egress leaves ingress open",
            vec![deny_egress_x],
            "y/a",
            "x/a",
            80,
            "TCP",
            true,
        ),
        (
            "missing policyTypes means Ingress",
            vec![policy("x", "p", json!({"podSelector": {}}))],
            "y/a",
            "x/a",
            80,
            "TCP",
            false,
        ),
        (
            "missing policyTypes: egress open",
            vec![policy("x", "p", json!({"podSelector": {}}))],
            "x/a",
            "y/a",
            80,
            "TCP",
            true,
        ),
        (
            "egress rules add Egress, and Ingress still isolates",
            vec![policy(
                "x",
                "p",
                json!({"podSelector": {}, "egress": [{"to": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}]}),
            )],
            "x/a",
            "x/b",
            80,
            "TCP",
            false,
        ),
        (
            "egress rules add Egress: other destinations denied",
            vec![policy(
                "x",
                "p",
                json!({"podSelector": {}, "egress": [{"to": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}]}),
            )],
            "x/a",
            "y/a",
            80,
            "TCP",
            false,
        ),
        (
            "empty ingress list denies",
            vec![ingress_to_a("x", json!([]))],
            "x/b",
            "x/a",
            80,
            "TCP",
            false,
        ),
        (
            "ingress [{}] allows all",
            vec![ingress_to_a("x", json!([{}]))],
            "z/c",
            "x/a",
            80,
            "TCP",
            true,
        ),
        (
            "policy selecting a leaves b open",
            vec![ingress_to_a("x", json!([]))],
            "y/c",
            "x/b",
            80,
            "TCP",
            true,
        ),
        (
            "podSelector peer: same namespace match",
            vec![ingress_to_a("x", from_b.clone())],
            "x/b",
            "x/a",
            80,
            "TCP",
            true,
        ),
        (
            "podSelector peer: other pod",
            vec![ingress_to_a("x", from_b.clone())],
            "x/c",
            "x/a",
            80,
            "TCP",
            false,
        ),
        (
            "podSelector peer: same labels, other namespace",
            vec![ingress_to_a("x", from_b)],
            "y/b",
            "x/a",
            80,
            "TCP",
            false,
        ),
        (
            "namespaceSelector peer: matching namespace",
            vec![ingress_to_a("x", from_ns_y.clone())],
            "y/c",
            "x/a",
            80,
            "TCP",
            true,
        ),
        (
            "namespaceSelector peer: own namespace not selected",
            vec![ingress_to_a("x", from_ns_y)],
            "x/b",
            "x/a",
            80,
            "TCP",
            false,
        ),
        (
            "empty namespaceSelector selects all namespaces",
            vec![ingress_to_a("x", all_ns.clone())],
            "z/c",
            "x/a",
            80,
            "TCP",
            true,
        ),
        (
            "empty namespaceSelector includes own namespace",
            vec![ingress_to_a("x", all_ns)],
            "x/b",
            "x/a",
            80,
            "TCP",
            true,
        ),
        (
            "AND peer: both match",
            vec![ingress_to_a("x", and_peer.clone())],
            "y/b",
            "x/a",
            80,
            "TCP",
            true,
        ),
        (
            "AND peer: namespace only",
            vec![ingress_to_a("x", and_peer.clone())],
            "y/a",
            "x/a",
            80,
            "TCP",
            false,
        ),
        (
            "AND peer: pod only",
            vec![ingress_to_a("x", and_peer)],
            "x/b",
            "x/a",
            80,
            "TCP",
            false,
        ),
        (
            "OR peers: namespace item",
            vec![ingress_to_a("x", or_peers.clone())],
            "y/a",
            "x/a",
            80,
            "TCP",
            true,
        ),
        (
            "OR peers: pod item",
            vec![ingress_to_a("x", or_peers.clone())],
            "x/b",
            "x/a",
            80,
            "TCP",
            true,
        ),
        (
            "OR peers: neither",
            vec![ingress_to_a("x", or_peers.clone())],
            "x/c",
            "x/a",
            80,
            "TCP",
            false,
        ),
        (
            "OR peers: pod item is own-namespace only",
            vec![ingress_to_a("x", or_peers)],
            "z/b",
            "x/a",
            80,
            "TCP",
            false,
        ),
        (
            "port rule: matching port",
            vec![ingress_to_a("x", port_80.clone())],
            "y/a",
            "x/a",
            80,
            "TCP",
            true,
        ),
        (
            "port rule: other port",
            vec![ingress_to_a("x", port_80.clone())],
            "y/a",
            "x/a",
            81,
            "TCP",
            false,
        ),
        (
            "port rule: protocol defaults to TCP",
            vec![ingress_to_a("x", port_80)],
            "y/a",
            "x/a",
            80,
            "UDP",
            false,
        ),
        (
            "UDP rule allows UDP",
            vec![ingress_to_a("x", udp_80.clone())],
            "y/a",
            "x/a",
            80,
            "UDP",
            true,
        ),
        (
            "UDP rule does not allow TCP",
            vec![ingress_to_a("x", udp_80)],
            "y/a",
            "x/a",
            80,
            "TCP",
            false,
        ),
        (
            "SCTP rule",
            vec![ingress_to_a(
                "x",
                json!([{"ports": [{"port": 80, "protocol": "SCTP"}]}]),
            )],
            "y/a",
            "x/a",
            80,
            "SCTP",
            true,
        ),
        (
            "named port resolves on the destination",
            vec![ingress_to_a("x", named_81.clone())],
            "y/a",
            "x/a",
            81,
            "TCP",
            true,
        ),
        (
            "named port: other number",
            vec![ingress_to_a("x", named_81)],
            "y/a",
            "x/a",
            80,
            "TCP",
            false,
        ),
        (
            "named port the pod lacks matches nothing",
            vec![ingress_to_a("x", named_missing)],
            "y/a",
            "x/a",
            80,
            "TCP",
            false,
        ),
        (
            "endPort range: start",
            vec![ingress_to_a("x", range.clone())],
            "y/a",
            "x/a",
            80,
            "TCP",
            true,
        ),
        (
            "endPort range: end",
            vec![ingress_to_a("x", range.clone())],
            "y/a",
            "x/a",
            81,
            "TCP",
            true,
        ),
        (
            "endPort range: outside",
            vec![ingress_to_a("x", range)],
            "y/a",
            "x/a",
            82,
            "TCP",
            false,
        ),
        (
            "ipBlock: inside",
            vec![ingress_to_a("x", ip_y.clone())],
            "y/b",
            "x/a",
            80,
            "TCP",
            true,
        ),
        (
            "ipBlock: outside",
            vec![ingress_to_a("x", ip_y)],
            "x/b",
            "x/a",
            80,
            "TCP",
            false,
        ),
        (
            "ipBlock except: excepted",
            vec![ingress_to_a("x", ip_y_except.clone())],
            "y/a",
            "x/a",
            80,
            "TCP",
            false,
        ),
        (
            "ipBlock except: not excepted",
            vec![ingress_to_a("x", ip_y_except)],
            "y/b",
            "x/a",
            80,
            "TCP",
            true,
        ),
        (
            "IPv6 ipBlock",
            vec![ingress_to_a("x", ip_v6.clone())],
            "y/v6",
            "x/a",
            80,
            "TCP",
            true,
        ),
        (
            "IPv6 ipBlock does not match IPv4",
            vec![ingress_to_a("x", ip_v6)],
            "y/a",
            "x/a",
            80,
            "TCP",
            false,
        ),
        (
            "IPv6 except",
            vec![ingress_to_a("x", ip_v6_except)],
            "y/v6",
            "x/a",
            80,
            "TCP",
            false,
        ),
        (
            "egress to namespace: allowed",
            vec![egress_from_a("x", to_ns_y.clone())],
            "x/a",
            "y/c",
            80,
            "TCP",
            true,
        ),
        (
            "egress to namespace: other namespace",
            vec![egress_from_a("x", to_ns_y.clone())],
            "x/a",
            "z/c",
            80,
            "TCP",
            false,
        ),
        (
            "egress policy on a does not isolate b",
            vec![egress_from_a("x", to_ns_y)],
            "x/b",
            "z/c",
            80,
            "TCP",
            true,
        ),
        (
            "egress ports only: UDP 53 anywhere",
            vec![egress_from_a("x", dns_only.clone())],
            "x/a",
            "z/c",
            53,
            "UDP",
            true,
        ),
        (
            "egress ports only: TCP 80 denied",
            vec![egress_from_a("x", dns_only)],
            "x/a",
            "z/c",
            80,
            "TCP",
            false,
        ),
        (
            "egress ipBlock except the pod range",
            vec![egress_from_a("x", outside)],
            "x/a",
            "y/a",
            80,
            "TCP",
            false,
        ),
        (
            "egress allowed but ingress denied",
            vec![egress_from_a("x", json!([{}])), deny_all_ingress("y")],
            "x/a",
            "y/a",
            80,
            "TCP",
            false,
        ),
        (
            "both sides allowed",
            vec![
                egress_from_a("x", json!([{}])),
                policy(
                    "y",
                    "in",
                    json!({"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "x"}}}]}]}),
                ),
            ],
            "x/a",
            "y/a",
            80,
            "TCP",
            true,
        ),
        (
            "policies are a union",
            vec![
                ingress_to_a("x", json!([{"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}])),
                policy(
                    "x",
                    "second",
                    json!({"podSelector": {"matchLabels": {"pod": "a"}}, "ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "c"}}}]}]}),
                ),
            ],
            "x/c",
            "x/a",
            80,
            "TCP",
            true,
        ),
        (
            "matchExpressions NotIn",
            vec![ingress_to_a("x", not_in_a.clone())],
            "x/b",
            "x/a",
            80,
            "TCP",
            true,
        ),
        (
            "matchExpressions NotIn excludes",
            vec![policy("x", "p", json!({"podSelector": {}, "ingress": not_in_a}))],
            "x/a",
            "x/b",
            80,
            "TCP",
            false,
        ),
        (
            "matchExpressions Exists",
            vec![ingress_to_a("x", exists)],
            "x/c",
            "x/a",
            80,
            "TCP",
            true,
        ),
        (
            "matchExpressions DoesNotExist",
            vec![ingress_to_a("x", does_not_exist)],
            "x/c",
            "x/a",
            80,
            "TCP",
            false,
        ),
        (
            "policy podSelector In isolates only listed pods",
            vec![policy(
                "x",
                "p",
                json!({"podSelector": {"matchExpressions": [{"key": "pod", "operator": "In", "values": ["a", "b"]}]}, "ingress": []}),
            )],
            "y/a",
            "x/c",
            80,
            "TCP",
            true,
        ),
        (
            "namespace by kubernetes.io/metadata.name",
            vec![ingress_to_a("x", by_name_label)],
            "z/a",
            "x/a",
            80,
            "TCP",
            true,
        ),
        (
            "namespace label nobody has",
            vec![ingress_to_a("x", missing_label)],
            "y/a",
            "x/a",
            80,
            "TCP",
            false,
        ),
        (
            "ingress rules ignored when policyTypes is only Egress",
            vec![policy(
                "x",
                "p",
                json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{}], "ingress": []}),
            )],
            "y/a",
            "x/a",
            80,
            "TCP",
            true,
        ),
        (
            "egress rules ignored when policyTypes is only Ingress",
            vec![policy(
                "x",
                "p",
                json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{}], "egress": []}),
            )],
            "x/a",
            "z/a",
            80,
            "TCP",
            true,
        ),
    ]
}

#[test]
fn network_policy_semantics_table() {
    let cases = cases();
    assert!(cases.len() >= 60, "{} cases", cases.len());
    for (name, policies, from, to, port, protocol, expected) in cases {
        let state = cluster(&policies);
        assert_eq!(
            allowed(&state, from, to, port, protocol),
            expected,
            "{name}: {from} -> {to} {protocol} {port}"
        );
    }
}

fn trace_pods(policies: &[Value], from: &str, to: &str, port: u16) -> graders::analyzer::Trace {
    let state = cluster(policies);
    let (ns, name) = from.split_once('/').expect("ns/name");
    let source = Analyzer::endpoint(state.pod(ns, name).expect("pod"));
    let (to_ns, to_name) = to.split_once('/').expect("ns/name");
    Analyzer::new(&state).trace(
        &source,
        &Target::Pod {
            namespace: to_ns.into(),
            name: to_name.into(),
            port: PortRef::Number(port),
            protocol: "TCP".into(),
        },
    )
}

fn all_hints(trace: &graders::analyzer::Trace) -> String {
    trace
        .hops
        .iter()
        .flat_map(|h| h.hints.iter().cloned().chain(h.details.iter().cloned()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn denials_name_the_rule_part_that_missed_and_lint_classic_mistakes() {
    let and_peer = json!([{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}, "podSelector": {"matchLabels": {"pod": "b"}}}]}]);
    let trace = trace_pods(&[ingress_to_a("x", and_peer)], "y/a", "x/a", 80);
    assert!(!trace.allowed);
    let ingress = trace.hops.iter().find(|h| h.name == "ingress").expect("ingress hop");
    assert!(
        ingress.details[0].contains("x/allow-to-a Ingress[0]")
            && ingress.details[0].contains("podSelector does not match"),
        "{:?}",
        ingress.details
    );
    assert!(
        all_hints(&trace).contains("must both match (AND)"),
        "{}",
        all_hints(&trace)
    );

    let trace = trace_pods(
        &[ingress_to_a(
            "x",
            json!([{"from": [{"namespaceSelector": {"matchLabels": {"team": "blue"}}}]}]),
        )],
        "y/a",
        "x/a",
        80,
    );
    assert!(
        all_hints(&trace).contains("kubernetes.io/metadata.name"),
        "{}",
        all_hints(&trace)
    );

    let trace = trace_pods(
        &[ingress_to_a("x", json!([{"ports": [{"port": "serve-99-tcp"}]}]))],
        "y/a",
        "x/a",
        80,
    );
    assert!(
        all_hints(&trace).contains("named port `serve-99-tcp` is not declared"),
        "{}",
        all_hints(&trace)
    );
    assert!(
        all_hints(&trace).contains("ports: TCP 80 is not in [TCP serve-99-tcp]"),
        "{}",
        all_hints(&trace)
    );

    let only_ingress_types = policy(
        "x",
        "p",
        json!({"podSelector": {}, "policyTypes": ["Ingress"], "egress": [{"to": [{"podSelector": {}}]}]}),
    );
    let trace = trace_pods(&[only_ingress_types, deny_all_ingress("y")], "x/a", "y/a", 80);
    assert!(
        all_hints(&trace).contains("policyTypes lack `Egress`"),
        "{}",
        all_hints(&trace)
    );
}

fn service(ns: &str, name: &str, selector: Value, port: u16, target: Value, cluster_ip: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
        "spec": {"clusterIP": cluster_ip, "selector": selector, "ports": [{"name": "http", "port": port, "targetPort": target}]}})
}

fn trace_service(
    objects: Vec<Value>,
    from: &str,
    ns: &str,
    name: &str,
    port: u16,
    by_name: bool,
) -> graders::analyzer::Trace {
    let mut state = cluster(&[]);
    state.merge(ClusterState::from_objects(objects).expect("valid"));
    let (from_ns, from_name) = from.split_once('/').expect("ns/name");
    let source = Analyzer::endpoint(state.pod(from_ns, from_name).expect("pod"));
    let target = Target::Service {
        namespace: ns.into(),
        name: name.into(),
        port: PortRef::Number(port),
        protocol: "TCP".into(),
        by_name,
    };
    Analyzer::new(&state).trace(&source, &target)
}

#[test]
fn service_hop_explains_selectors_readiness_and_target_ports() {
    let good = trace_service(
        vec![service("x", "web", json!({"pod": "a"}), 8080, json!(80), "10.96.0.20")],
        "y/a",
        "x",
        "web",
        8080,
        false,
    );
    assert!(good.allowed, "{good:?}");
    assert!(
        good.hops[0].reason.contains("port 8080 -> targetPort 80"),
        "{:?}",
        good.hops[0]
    );

    let typo = trace_service(
        vec![service("x", "web", json!({"pod": "aa"}), 80, json!(80), "10.96.0.20")],
        "y/a",
        "x",
        "web",
        80,
        false,
    );
    assert!(!typo.allowed);
    assert!(typo.cause().is_some_and(|c| c.contains("matches 0 pods")), "{typo:?}");
    assert!(
        typo.hops[0].details.iter().any(|d| d.contains("3 pod(s) have pod="))
            || typo.hops[0].details.iter().any(|d| d.contains("1 pod(s) have pod=a")),
        "{:?}",
        typo.hops[0].details
    );

    let named = trace_service(
        vec![service(
            "x",
            "web",
            json!({"pod": "a"}),
            80,
            json!("serve-81-tcp"),
            "10.96.0.20",
        )],
        "y/a",
        "x",
        "web",
        80,
        false,
    );
    assert!(
        named.allowed && named.hops[0].reason.contains("targetPort 81"),
        "{named:?}"
    );
    let missing_named = trace_service(
        vec![service(
            "x",
            "web",
            json!({"pod": "a"}),
            80,
            json!("metrics"),
            "10.96.0.20",
        )],
        "y/a",
        "x",
        "web",
        80,
        false,
    );
    assert!(
        missing_named
            .cause()
            .is_some_and(|c| c.contains("targetPort `metrics`")),
        "{missing_named:?}"
    );

    let wrong_port = trace_service(
        vec![service("x", "web", json!({"pod": "a"}), 80, json!(80), "10.96.0.20")],
        "y/a",
        "x",
        "web",
        443,
        false,
    );
    assert!(
        wrong_port.cause().is_some_and(|c| c.contains("no TCP port 443")),
        "{wrong_port:?}"
    );

    let mut unready = pod("x", "d", "10.0.0.9");
    unready["metadata"]["labels"] = json!({"pod": "d"});
    unready["status"]["conditions"] = json!([{"type": "Ready", "status": "False"}]);
    let not_ready = trace_service(
        vec![
            unready,
            service("x", "web", json!({"pod": "d"}), 80, json!(80), "10.96.0.20"),
        ],
        "y/a",
        "x",
        "web",
        80,
        false,
    );
    assert!(
        not_ready.cause().is_some_and(|c| c.contains("none is Ready")),
        "{not_ready:?}"
    );
}

#[test]
fn policies_apply_to_the_target_port_after_dnat_not_the_service_port() {
    let svc = service("x", "web", json!({"pod": "a"}), 8080, json!(80), "10.96.0.20");
    let on_target = ingress_to_a("x", json!([{"ports": [{"port": 80}]}]));
    let on_service_port = policy(
        "x",
        "allow-to-a",
        json!({"podSelector": {"matchLabels": {"pod": "a"}}, "ingress": [{"ports": [{"port": 8080}]}]}),
    );
    assert!(trace_service(vec![svc.clone(), on_target], "y/a", "x", "web", 8080, false).allowed);
    assert!(!trace_service(vec![svc.clone(), on_service_port], "y/a", "x", "web", 8080, false).allowed);
    let cluster_ip_block = ingress_to_a("x", json!([{"from": [{"ipBlock": {"cidr": "10.96.0.0/16"}}]}]));
    let trace = trace_service(vec![svc, cluster_ip_block], "y/a", "x", "web", 8080, false);
    assert!(!trace.allowed);
    assert!(
        all_hints(&trace).contains("covers ClusterIP 10.96.0.20"),
        "{}",
        all_hints(&trace)
    );
}

/// Service `web` in x without a selector: one TCP port 80, named `http` unless `name` is `None`.
fn selectorless(name: Option<&str>) -> Value {
    let mut port = json!({"port": 80, "protocol": "TCP"});
    if let Some(name) = name {
        port["name"] = json!(name);
    }
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "x"},
        "spec": {"clusterIP": "10.96.0.40", "ports": [port]}})
}

/// A hand-written EndpointSlice `name` in `ns`, labelled for Service `label` (none: unlabelled).
fn slice(ns: &str, name: &str, label: Option<&str>, address_type: &str, ports: Value, endpoints: Value) -> Value {
    let labels = label.map_or_else(|| json!({}), |l| json!({"kubernetes.io/service-name": l}));
    json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": address_type,
        "metadata": {"name": name, "namespace": ns, "labels": labels}, "ports": ports, "endpoints": endpoints})
}

/// `x/web-manual`, labelled for `web`, with port `http` TCP 81 and one endpoint per address.
fn manual_slice(addresses: &[&str]) -> Value {
    let endpoints: Vec<Value> = addresses.iter().map(|a| json!({"addresses": [a]})).collect();
    slice(
        "x",
        "web-manual",
        Some("web"),
        "IPv4",
        json!([{"name": "http", "port": 81, "protocol": "TCP"}]),
        json!(endpoints),
    )
}

fn failing(trace: &graders::analyzer::Trace) -> &graders::analyzer::Hop {
    trace.hops.iter().find(|h| !h.ok).expect("a failing hop")
}

/// A Service without a selector leads where its hand-written EndpointSlice says, on the slice
/// port's number, and the ingress policies of the pod behind the address apply there.
#[test]
fn selectorless_service_reaches_the_pod_its_endpointslice_lists() {
    let trace = |extra: Vec<Value>| {
        let mut objects = vec![selectorless(Some("http")), manual_slice(&["10.0.0.1"])];
        objects.extend(extra);
        trace_service(objects, "y/a", "x", "web", 80, false)
    };
    let open = trace(vec![]);
    assert!(open.allowed, "{open:?}");
    assert_eq!(
        open.hops[0].reason,
        "no selector; 1 ready endpoint(s) in EndpointSlice x/web-manual (1 pod(s), 0 other address(es)); port 80 -> port 81"
    );
    assert_eq!(open.hops[2].reason, "no policy isolates x/a for ingress");
    // A second slice listing the same address and port adds no endpoint.
    let mut copy = manual_slice(&["10.0.0.1"]);
    copy["metadata"]["name"] = json!("web-copy");
    let twice = trace(vec![copy]);
    assert!(
        twice.hops[0]
            .reason
            .starts_with("no selector; 1 ready endpoint(s) in EndpointSlices x/web-manual, x/web-copy ("),
        "{twice:?}"
    );

    let denied = trace(vec![deny_all_ingress("x")]);
    assert!(!denied.allowed, "{denied:?}");
    assert_eq!(failing(&denied).name, "ingress", "{denied:?}");
    assert!(
        failing(&denied).reason.starts_with("x/a is isolated for ingress"),
        "{denied:?}"
    );

    // The policy sees the slice port (81), not the Service port (80).
    let on_slice_port = trace(vec![
        deny_all_ingress("x"),
        ingress_to_a("x", json!([{"ports": [{"port": 81}]}])),
    ]);
    assert!(on_slice_port.allowed, "{on_slice_port:?}");
    let on_service_port = trace(vec![
        deny_all_ingress("x"),
        ingress_to_a("x", json!([{"ports": [{"port": 80}]}])),
    ]);
    assert!(!on_service_port.allowed, "{on_service_port:?}");
}

/// kube-proxy pairs a Service port with the slice port of the same name and protocol; the
/// number plays no part.
#[test]
fn selectorless_service_needs_a_slice_port_of_the_same_name_and_protocol() {
    let with_ports = |service_port: Option<&str>, ports: Value| {
        let endpoints = json!([{"addresses": ["10.0.0.1"]}]);
        trace_service(
            vec![
                selectorless(service_port),
                slice("x", "web-manual", Some("web"), "IPv4", ports, endpoints),
            ],
            "y/a",
            "x",
            "web",
            80,
            false,
        )
    };
    let misnamed = with_ports(Some("http"), json!([{"name": "web", "port": 80, "protocol": "TCP"}]));
    assert!(!misnamed.allowed, "{misnamed:?}");
    assert_eq!(
        misnamed.cause().as_deref(),
        Some(
            "Service x/web port 80 is named `http`, but no IPv4 EndpointSlice labelled for it has a TCP port named `http`: it has no endpoints on that port"
        )
    );
    assert_eq!(
        failing(&misnamed).details,
        ["EndpointSlice x/web-manual has ports `web` TCP 80"]
    );
    assert_eq!(
        failing(&misnamed).hints,
        [
            "kube-proxy matches an EndpointSlice's port to a Service port by name and protocol, never by number: name the slice port `http`"
        ]
    );

    let unnamed_slice = with_ports(Some("http"), json!([{"port": 80}]));
    assert!(
        failing(&unnamed_slice).details == ["EndpointSlice x/web-manual has ports unnamed TCP 80"],
        "{unnamed_slice:?}"
    );
    let unnamed_service = with_ports(None, json!([{"name": "http", "port": 80}]));
    assert_eq!(
        unnamed_service.cause().as_deref(),
        Some(
            "Service x/web port 80 is unnamed, but no IPv4 EndpointSlice labelled for it has an unnamed TCP port: it has no endpoints on that port"
        )
    );
    let udp = with_ports(Some("http"), json!([{"name": "http", "port": 80, "protocol": "UDP"}]));
    assert!(
        udp.cause().is_some_and(|c| c.contains("has a TCP port named `http`")),
        "{udp:?}"
    );
    let no_ports = with_ports(Some("http"), json!([]));
    assert_eq!(failing(&no_ports).details, ["EndpointSlice x/web-manual has no ports"]);

    // Both unnamed (unset is the empty name) and unset protocol is TCP: they pair.
    let both_unnamed = with_ports(None, json!([{"port": 81}]));
    assert!(both_unnamed.allowed, "{both_unnamed:?}");
    assert!(
        both_unnamed.hops[0].reason.ends_with("port 80 -> port 81"),
        "{both_unnamed:?}"
    );
}

/// kube-proxy finds a Service's slices by the `kubernetes.io/service-name` label in the
/// Service's namespace only; look-alikes are pointed out.
#[test]
fn selectorless_service_uses_only_slices_labelled_for_it_in_its_namespace() {
    const CAUSE: &str = "Service x/web has no selector and no EndpointSlice labelled kubernetes.io/service-name=web: it has no endpoints";
    let ports = || json!([{"name": "http", "port": 81}]);
    let endpoints = || json!([{"addresses": ["10.0.0.1"]}]);
    let with = |slices: Vec<Value>| {
        let mut objects = vec![selectorless(Some("http"))];
        objects.extend(slices);
        trace_service(objects, "y/a", "x", "web", 80, false)
    };

    let none = with(vec![]);
    assert_eq!(none.cause().as_deref(), Some(CAUSE));
    assert!(failing(&none).hints.is_empty(), "{none:?}");

    let typo = with(vec![slice(
        "x",
        "web-manual",
        Some("webb"),
        "IPv4",
        ports(),
        endpoints(),
    )]);
    assert!(!typo.allowed);
    assert_eq!(typo.cause().as_deref(), Some(CAUSE));
    assert_eq!(
        failing(&typo).hints,
        [
            "EndpointSlice x/web-manual looks meant for it but is labelled kubernetes.io/service-name=webb: kube-proxy finds a Service's EndpointSlices by that label, not by their name"
        ]
    );

    let unlabelled = with(vec![slice("x", "web-manual", None, "IPv4", ports(), endpoints())]);
    assert_eq!(unlabelled.cause().as_deref(), Some(CAUSE));
    assert!(
        failing(&unlabelled).hints[0]
            .contains("x/web-manual looks meant for it but has no kubernetes.io/service-name label"),
        "{unlabelled:?}"
    );

    let elsewhere = with(vec![slice(
        "y",
        "web-manual",
        Some("web"),
        "IPv4",
        ports(),
        endpoints(),
    )]);
    assert_eq!(elsewhere.cause().as_deref(), Some(CAUSE));
    assert_eq!(
        failing(&elsewhere).hints,
        [
            "EndpointSlice y/web-manual is labelled kubernetes.io/service-name=web but lives in namespace y: a Service uses only the EndpointSlices of its own namespace"
        ]
    );

    // The slice of another Service whose name merely starts the same is no look-alike.
    let webhook = with(vec![
        service("x", "webhook", json!({"pod": "b"}), 443, json!(81), "10.96.0.41"),
        slice("x", "webhook-7x2q", Some("webhook"), "IPv4", ports(), endpoints()),
    ]);
    assert!(failing(&webhook).hints.is_empty(), "{webhook:?}");
}

/// Only IPv4 slices count on this IPv4 cluster: kube-proxy ignores FQDN slices.
#[test]
fn selectorless_service_ignores_fqdn_and_ipv6_slices() {
    let ports = || json!([{"name": "http", "port": 81}]);
    let with = |slices: Vec<Value>| {
        let mut objects = vec![selectorless(Some("http"))];
        objects.extend(slices);
        trace_service(objects, "y/a", "x", "web", 80, false)
    };
    let fqdn = with(vec![slice(
        "x",
        "web-manual",
        Some("web"),
        "FQDN",
        ports(),
        json!([{"addresses": ["db.example.com"]}]),
    )]);
    assert!(!fqdn.allowed);
    assert_eq!(
        fqdn.cause().as_deref(),
        Some(
            "Service x/web has no selector and none of its EndpointSlices is of addressType IPv4, the only type kube-proxy uses on this IPv4 cluster: it has no endpoints"
        )
    );
    assert_eq!(
        failing(&fqdn).details,
        ["EndpointSlice x/web-manual has addressType FQDN"]
    );
    assert!(
        failing(&fqdn).hints[0].starts_with("kube-proxy ignores FQDN EndpointSlices"),
        "{fqdn:?}"
    );

    let ipv6 = with(vec![slice(
        "x",
        "web-v6",
        Some("web"),
        "IPv6",
        ports(),
        json!([{"addresses": ["fd00::5"]}]),
    )]);
    assert!(
        ipv6.cause()
            .is_some_and(|c| c.contains("none of its EndpointSlices is of addressType IPv4")),
        "{ipv6:?}"
    );

    // Beside an IPv4 slice, the FQDN one is simply left out.
    let mixed = with(vec![
        slice(
            "x",
            "web-fqdn",
            Some("web"),
            "FQDN",
            ports(),
            json!([{"addresses": ["db.example.com"]}]),
        ),
        manual_slice(&["10.0.0.1"]),
    ]);
    assert!(mixed.allowed, "{mixed:?}");
    assert!(
        mixed.hops[0].reason.contains("in EndpointSlice x/web-manual ("),
        "{mixed:?}"
    );
}

/// The slice's `conditions.ready` decides (unset is ready), not the pod's readiness.
#[test]
fn selectorless_service_uses_endpoints_the_slice_calls_ready() {
    let with = |extra: Vec<Value>, endpoints: Value| {
        let ports = json!([{"name": "http", "port": 81}]);
        let mut objects = vec![
            selectorless(Some("http")),
            slice("x", "web-manual", Some("web"), "IPv4", ports, endpoints),
        ];
        objects.extend(extra);
        trace_service(objects, "y/a", "x", "web", 80, false)
    };
    let not_ready = with(
        vec![],
        json!([{"addresses": ["10.0.0.1"], "conditions": {"ready": false}}]),
    );
    assert!(!not_ready.allowed);
    assert_eq!(
        not_ready.cause().as_deref(),
        Some(
            "none of the 1 endpoint(s) in EndpointSlice x/web-manual for Service x/web port 80 is ready: it has no ready endpoints (connections are refused)"
        )
    );
    assert_eq!(failing(&not_ready).details, ["10.0.0.1 has conditions.ready: false"]);
    assert!(
        failing(&not_ready).hints[0].contains("nothing updates a hand-written EndpointSlice"),
        "{not_ready:?}"
    );

    let empty = with(vec![], json!([]));
    assert_eq!(
        empty.cause().as_deref(),
        Some(
            "there is no endpoint in EndpointSlice x/web-manual for Service x/web port 80: it has no endpoints (connections are refused)"
        )
    );

    // One not ready, one ready: traffic goes to the ready one only.
    let one_ready = with(
        vec![deny_all_ingress("x")],
        json!([{"addresses": ["10.0.0.1"], "conditions": {"ready": false}}, {"addresses": ["10.0.0.2"], "conditions": {"ready": true}}]),
    );
    assert!(
        one_ready.hops[0].reason.contains("1 ready endpoint(s)"),
        "{one_ready:?}"
    );
    assert!(
        failing(&one_ready).reason.starts_with("x/b is isolated for ingress"),
        "{one_ready:?}"
    );

    // A pod that is not Ready behind an endpoint the slice calls ready: the slice wins.
    let mut unready = pod("x", "d", "10.0.0.9");
    unready["status"]["conditions"] = json!([{"type": "Ready", "status": "False"}]);
    let slice_wins = with(vec![unready], json!([{"addresses": ["10.0.0.9"]}]));
    assert!(slice_wins.allowed, "{slice_wins:?}");
    assert_eq!(slice_wins.hops[2].reason, "no policy isolates x/d for ingress");
}

/// An address no pod has is not a pod: no ingress policy selects it, and at the source only
/// `ipBlock` egress peers can let traffic out to it.
#[test]
fn selectorless_service_endpoint_outside_the_pods_matches_ip_blocks_only() {
    let with = |policies: Vec<Value>| {
        let mut objects = vec![selectorless(Some("http")), manual_slice(&["192.0.2.10"])];
        objects.extend(policies);
        trace_service(objects, "y/a", "x", "web", 80, false)
    };
    let open = with(vec![deny_all_ingress("x")]);
    assert!(open.allowed, "{open:?}");
    assert_eq!(
        open.hops[0].reason,
        "no selector; 1 ready endpoint(s) in EndpointSlice x/web-manual (0 pod(s), 1 other address(es)); port 80 -> port 81"
    );
    assert_eq!(
        open.hops[2].reason,
        "no policy isolates 192.0.2.10 (not a pod) for ingress"
    );

    let deny_egress = policy(
        "y",
        "deny-egress",
        json!({"podSelector": {}, "policyTypes": ["Egress"]}),
    );
    let blocked = with(vec![deny_egress.clone()]);
    assert!(!blocked.allowed, "{blocked:?}");
    assert_eq!(failing(&blocked).name, "egress");
    assert_eq!(
        failing(&blocked).reason,
        "y/a is isolated for egress and no rule allows to 192.0.2.10 (not a pod) TCP 81"
    );

    let egress = |to: Value| {
        policy(
            "y",
            "allow-out",
            json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": to}]}),
        )
    };
    let by_block = with(vec![
        deny_egress.clone(),
        egress(json!([{"ipBlock": {"cidr": "192.0.2.0/24"}}])),
    ]);
    assert!(by_block.allowed, "{by_block:?}");
    let excepted = with(vec![
        deny_egress.clone(),
        egress(json!([{"ipBlock": {"cidr": "192.0.2.0/24", "except": ["192.0.2.10/32"]}}])),
    ]);
    assert!(!excepted.allowed, "{excepted:?}");
    let every_pod = with(vec![deny_egress, egress(json!([{"namespaceSelector": {}}]))]);
    assert!(!every_pod.allowed, "{every_pod:?}");
    assert!(
        failing(&every_pod).details.iter().any(|d| d.contains("not a pod")),
        "{every_pod:?}"
    );
}

fn coredns(ready: bool, corefile: &str) -> Vec<Value> {
    let mut dns = pod("kube-system", "coredns-1", "10.0.9.2");
    dns["metadata"]["labels"] = json!({"k8s-app": "kube-dns"});
    dns["status"]["conditions"] = json!([{"type": "Ready", "status": if ready { "True" } else { "False" }}]);
    vec![
        namespace("kube-system"),
        dns,
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "coredns", "namespace": "kube-system"}, "data": {"Corefile": corefile}}),
    ]
}

const COREFILE: &str =
    ".:53 {\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n    }\n    forward . /etc/resolv.conf\n}\n";

#[test]
fn dns_hop_checks_coredns_the_corefile_egress_to_port_53_and_the_namespace() {
    let svc = || service("x", "web", json!({"pod": "a"}), 80, json!(80), "10.96.0.20");
    let mut objects = coredns(true, COREFILE);
    objects.push(svc());
    assert!(trace_service(objects, "y/a", "x", "web", 80, true).allowed);

    let mut down = coredns(false, COREFILE);
    down.push(svc());
    assert!(
        trace_service(down, "y/a", "x", "web", 80, true)
            .cause()
            .is_some_and(|c| c.contains("CoreDNS has no Ready pod"))
    );

    let mut scaled_down: Vec<Value> = coredns(true, COREFILE)
        .into_iter()
        .filter(|o| o["kind"] != "Pod")
        .collect();
    scaled_down.push(json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "coredns", "namespace": "kube-system"},
        "spec": {"replicas": 0, "selector": {"matchLabels": {"k8s-app": "kube-dns"}},
            "template": {"metadata": {"labels": {"k8s-app": "kube-dns"}}, "spec": {"containers": [{"name": "coredns"}]}}}}));
    scaled_down.push(svc());
    assert!(
        trace_service(scaled_down, "y/a", "x", "web", 80, true)
            .cause()
            .is_some_and(|c| c.contains("asks for 0 replicas")),
        "CoreDNS scaled to zero: no pod is not the same as no pods observed"
    );

    let mut broken = coredns(true, &COREFILE.replace("kubernetes", "kubernets"));
    broken.push(svc());
    assert!(
        trace_service(broken, "y/a", "x", "web", 80, true)
            .cause()
            .is_some_and(|c| c.contains("no `kubernetes cluster.local`"))
    );

    let mut egress_locked = coredns(true, COREFILE);
    egress_locked.extend([
        svc(),
        policy(
            "y",
            "deny-egress",
            json!({"podSelector": {}, "policyTypes": ["Egress"]}),
        ),
    ]);
    let trace = trace_service(egress_locked, "y/a", "x", "web", 80, true);
    assert!(
        trace
            .cause()
            .is_some_and(|c| c.contains("egress to CoreDNS on UDP 53 is denied")),
        "{trace:?}"
    );
    assert!(all_hints(&trace).contains("UDP and TCP 53"));

    let mut udp_only = coredns(true, COREFILE);
    udp_only.extend([svc(), policy("y", "dns", json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}]}))]);
    let trace = trace_service(udp_only, "y/a", "x", "web", 80, true);
    assert!(all_hints(&trace).contains("TCP 53 is denied"), "{trace:?}");

    let mut other_namespace = coredns(true, COREFILE);
    other_namespace.push(svc());
    let trace = trace_service(other_namespace, "y/a", "y", "web", 80, true);
    assert!(
        trace
            .cause()
            .is_some_and(|c| c.contains("no Service `web` in namespace `y`")),
        "{trace:?}"
    );
    assert!(all_hints(&trace).contains("exists in x"));
}

/// A StatefulSet's pods of Service `db` in x: per-pod names come from the EndpointSlice
/// endpoint with that hostname (under a ClusterIP Service too, as CoreDNS 1.14 answers on a
/// real node), Ready unless the Service publishes not-ready addresses.
#[test]
fn per_pod_names_come_from_the_endpoint_hostname() {
    let statefulset_pod = |subdomain: &str| {
        let mut p = pod("x", "db-0", "10.0.0.7");
        p["spec"]["hostname"] = json!("db-0");
        p["spec"]["subdomain"] = json!(subdomain);
        p
    };
    let svc = |cluster_ip: &str, publish: bool| {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": "x"},
            "spec": {"clusterIP": cluster_ip, "selector": {"pod": "db-0"}, "publishNotReadyAddresses": publish,
                "ports": [{"port": 5432}]}})
    };
    let slice = |hostname: Option<&str>, ready: bool| {
        let mut endpoint = json!({"addresses": ["10.0.0.7"], "conditions": {"ready": ready}});
        if let Some(hostname) = hostname {
            endpoint["hostname"] = json!(hostname);
        }
        json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
            "metadata": {"name": "db-abc", "namespace": "x", "labels": {"kubernetes.io/service-name": "db"}},
            "endpoints": [endpoint], "ports": [{"port": 5432}]})
    };
    let hop = |extra: Vec<Value>| {
        let mut objects = coredns(true, COREFILE);
        objects.extend(extra);
        let state = ClusterState::from_objects(objects).expect("state");
        let analyzer = Analyzer::new(&state);
        let from = Analyzer::hypothetical("y", std::collections::BTreeMap::new());
        analyzer.pod_dns_hop(&from, "x", "db", "db-0")
    };
    let resolves = hop(vec![
        statefulset_pod("db"),
        svc("None", false),
        slice(Some("db-0"), true),
    ]);
    assert!(resolves.ok && resolves.reason.contains("10.0.0.7"), "{resolves:?}");

    let cluster_ip = hop(vec![
        statefulset_pod("db"),
        svc("10.96.0.30", false),
        slice(Some("db-0"), true),
    ]);
    assert!(
        cluster_ip.ok,
        "CoreDNS answers under a ClusterIP Service too: {cluster_ip:?}"
    );
    let no_hostname = hop(vec![statefulset_pod("db"), svc("10.96.0.30", false), slice(None, true)]);
    assert!(
        !no_hostname.ok && no_hostname.reason.contains("no endpoint"),
        "{no_hostname:?}"
    );

    let other_subdomain = hop(vec![
        statefulset_pod("db-headless"),
        svc("None", false),
        slice(None, true),
    ]);
    assert!(!other_subdomain.ok, "{other_subdomain:?}");
    assert!(
        other_subdomain
            .hints
            .iter()
            .any(|h| h.contains("subdomain: db-headless")),
        "{other_subdomain:?}"
    );

    let not_ready = hop(vec![
        statefulset_pod("db"),
        svc("None", false),
        slice(Some("db-0"), false),
    ]);
    assert!(!not_ready.ok && not_ready.reason.contains("not Ready"), "{not_ready:?}");
    let published = hop(vec![
        statefulset_pod("db"),
        svc("None", true),
        slice(Some("db-0"), false),
    ]);
    assert!(published.ok, "publishNotReadyAddresses: {published:?}");

    // No EndpointSlice observed (a simulated state): derived from the selected pods, as the
    // EndpointSlice controller would.
    let from_pods = hop(vec![statefulset_pod("db"), svc("None", false)]);
    assert!(from_pods.ok && from_pods.reason.contains("10.0.0.7"), "{from_pods:?}");
    let wrong_subdomain_pods = hop(vec![statefulset_pod("db-headless"), svc("None", false)]);
    assert!(!wrong_subdomain_pods.ok, "{wrong_subdomain_pods:?}");

    let no_service = hop(vec![statefulset_pod("db")]);
    assert!(
        !no_service.ok && no_service.reason.contains("no Service `db`"),
        "{no_service:?}"
    );
}

fn external(ns: &str, name: &str, target: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
        "spec": {"type": "ExternalName", "externalName": target}})
}

/// An `ExternalName` Service is a CNAME, followed only when fully qualified; traffic by its name
/// reaches the target Service's pods on the port the client asked for; it has no ClusterIP.
#[test]
fn external_names_are_cnames_to_fully_qualified_names_only() {
    use graders::analyzer::Canonical;
    let target = || service("x", "api", json!({"pod": "a"}), 8080, json!(80), "10.96.0.21");
    let canonical = |objects: Vec<Value>| {
        let mut state = cluster(&[]);
        state.merge(ClusterState::from_objects(objects).expect("valid"));
        Analyzer::new(&state).canonical("y", "pay")
    };
    assert_eq!(
        canonical(vec![target(), external("y", "pay", "api.x.svc.cluster.local")]),
        Canonical::Service("x".into(), "api".into())
    );
    assert_eq!(
        canonical(vec![target(), external("y", "pay", "api.x.svc.cluster.local.")]),
        Canonical::Service("x".into(), "api".into()),
        "a trailing dot is the same absolute name"
    );
    for short in ["api.x", "api.x.svc", "api"] {
        let Canonical::Dangling(why) = canonical(vec![target(), external("y", "pay", short)]) else {
            panic!("{short} must dangle");
        };
        assert!(why.contains("not fully qualified"), "{short}: {why}");
    }
    assert_eq!(
        canonical(vec![external("y", "pay", "db.example.com")]),
        Canonical::Outside("db.example.com".into())
    );
    let Canonical::Dangling(why) = canonical(vec![external("y", "pay", "gone.x.svc.cluster.local")]) else {
        panic!("a CNAME to a missing Service dangles");
    };
    assert!(why.contains("no Service `gone`"), "{why}");
    let Canonical::Dangling(why) = canonical(vec![
        external("y", "pay", "back.y.svc.cluster.local"),
        external("y", "back", "pay.y.svc.cluster.local"),
    ]) else {
        panic!("a loop dangles");
    };
    assert!(why.contains("loop"), "{why}");

    // By name: the pods of x/api on the port asked for, 8080 (a Service port of x/api).
    let via = |cname: &str, port: u16, by_name: bool| {
        trace_service(
            vec![target(), external("y", "pay", cname)],
            "z/a",
            "y",
            "pay",
            port,
            by_name,
        )
    };
    let by_name = via("api.x.svc.cluster.local", 8080, true);
    assert!(by_name.allowed, "{by_name:?}");
    assert!(
        by_name.hops[0]
            .reason
            .contains("CNAME (ExternalName) to api.x.svc.cluster.local"),
        "{by_name:?}"
    );
    let no_mapping = via("api.x.svc.cluster.local", 80, true);
    assert!(
        !no_mapping.allowed
            && no_mapping
                .cause()
                .is_some_and(|c| c.contains("x/api has no TCP port 80")),
        "an ExternalName maps no port: {no_mapping:?}"
    );
    let short = via("api.x", 8080, true);
    assert!(
        short.cause().is_some_and(|c| c.contains("not fully qualified")),
        "{short:?}"
    );
    let by_ip = via("api.x.svc.cluster.local", 8080, false);
    assert!(
        by_ip
            .cause()
            .is_some_and(|c| c.contains("ExternalName Service: it has no ClusterIP")),
        "{by_ip:?}"
    );
}

/// Policies that give the ten pods a mixed matrix.
fn mixed_policies() -> Vec<Value> {
    vec![
        deny_all_ingress("x"),
        ingress_to_a(
            "x",
            json!([{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}, "podSelector": {"matchLabels": {"pod": "b"}}}], "ports": [{"port": "serve-80-tcp"}]}]),
        ),
        egress_from_a("y", json!([{"to": [{"namespaceSelector": {}}]}])),
        policy(
            "z",
            "p",
            json!({"podSelector": {"matchExpressions": [{"key": "pod", "operator": "NotIn", "values": ["c"]}]}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.1.0/24", "except": ["10.0.1.3/32"]}}]}]}),
        ),
    ]
}

#[test]
fn the_matrix_agrees_with_pairwise_analysis() {
    let state = cluster(&mixed_policies());
    let matrix = Analyzer::new(&state).matrix(None);
    assert_eq!(matrix.pods.len(), 10);
    let mut denied = 0;
    for (i, from) in matrix.pods.iter().enumerate() {
        for (j, to) in matrix.pods.iter().enumerate() {
            let expected = allowed(&state, from, to, 80, "TCP");
            assert_eq!(matrix.allowed(i, j), expected, "{from} -> {to}");
            denied += usize::from(!expected);
        }
    }
    assert!(denied > 10 && denied < 90, "a mixed matrix ({denied} denied)");
}

#[test]
fn addresses_outside_pods_match_ip_blocks_only_and_allowed_decisions_name_the_peer() {
    use graders::analyzer::policy::Decision;
    let node = Analyzer::address("the node network (172.18.0.3)", "172.18.0.3".parse().expect("ip"));
    let to_a = |peers: Value| {
        let state = cluster(&[ingress_to_a("x", json!([{"from": peers}]))]);
        let target = Target::Pod {
            namespace: "x".into(),
            name: "a".into(),
            port: PortRef::Number(80),
            protocol: "TCP".into(),
        };
        Analyzer::new(&state).trace(&node, &target)
    };
    // Selectors pick pods: even "every pod of every namespace" leaves the node network out.
    let everything = to_a(json!([{"namespaceSelector": {}}, {"podSelector": {}}]));
    assert!(!everything.allowed, "{everything:?}");
    assert!(
        everything
            .hops
            .iter()
            .any(|h| h.details.iter().any(|d| d.contains("not a pod"))),
        "{everything:?}"
    );
    let block = to_a(json!([{"podSelector": {}}, {"ipBlock": {"cidr": "172.18.0.0/16", "except": ["172.18.0.9/32"]}}]));
    assert!(block.allowed, "{block:?}");
    assert_eq!(
        block.ingress(),
        Some(&Decision::Allowed {
            policy: "x/allow-to-a".into(),
            rule: 0,
            peer: "ipBlock: 172.18.0.0/16 except [172.18.0.9/32]".into()
        })
    );
    // No egress policy applies to a source that is not a pod.
    let state = cluster(&[policy(
        "x",
        "deny-egress",
        json!({"podSelector": {}, "policyTypes": ["Egress"]}),
    )]);
    let target = Target::Pod {
        namespace: "y".into(),
        name: "a".into(),
        port: PortRef::Number(80),
        protocol: "TCP".into(),
    };
    assert!(Analyzer::new(&state).trace(&node, &target).allowed);
}

/// An address outside the cluster: only the source's egress policies decide, through
/// `ipBlock` peers (selectors pick pods, never an address); a pod's own IP is that pod, with
/// its ingress policies.
#[test]
fn an_address_outside_the_cluster_is_reached_through_ip_blocks_only() {
    let to = |ip: &str, port: u16| Target::Address {
        ip: ip.parse().expect("ip"),
        port,
        protocol: "TCP".into(),
    };
    let trace = |policies: &[Value], target: &Target| {
        let state = cluster(policies);
        let source = Analyzer::endpoint(state.pod("x", "a").expect("pod"));
        Analyzer::new(&state).trace(&source, target)
    };
    let partner = to("198.51.100.20", 443);
    assert!(trace(&[], &partner).allowed, "no egress policy");
    assert_eq!(partner.explain_arg(), "198.51.100.20:443");
    let selectors = egress_from_a("x", json!([{"to": [{"namespaceSelector": {}}, {"podSelector": {}}]}]));
    let denied = trace(&[selectors], &partner);
    assert!(!denied.allowed, "{denied:?}");
    assert!(
        denied.hops[0].details.iter().any(|d| d.contains("not a pod")),
        "{denied:?}"
    );
    let block = |cidr: &str, except: Value| {
        egress_from_a(
            "x",
            json!([{"to": [{"ipBlock": {"cidr": cidr, "except": except}}], "ports": [{"port": 443}]}]),
        )
    };
    let allowed = trace(&[block("198.51.100.0/24", json!([]))], &partner);
    assert!(allowed.allowed, "{allowed:?}");
    assert_eq!(
        allowed.hops.iter().map(|h| h.name).collect::<Vec<_>>(),
        ["egress", "outside"]
    );
    assert!(
        allowed.hops[0].reason.contains("x/allow-from-a egress[0]"),
        "{allowed:?}"
    );
    assert!(
        !trace(&[block("198.51.100.0/24", json!([]))], &to("198.51.100.20", 80)).allowed,
        "port"
    );
    assert!(
        !trace(&[block("198.51.100.0/24", json!(["198.51.100.16/28"]))], &partner).allowed,
        "except"
    );
    assert!(
        !trace(&[block("203.0.113.0/24", json!([]))], &partner).allowed,
        "another block"
    );
    // A pod's IP is the pod: its ingress policies decide too.
    let at_b = to("10.0.1.2", 80);
    assert!(trace(&[], &at_b).allowed);
    let closed = trace(&[deny_all_ingress("y")], &at_b);
    assert!(!closed.allowed);
    assert_eq!(closed.hops.last().map(|h| h.name), Some("ingress"), "{closed:?}");
}

#[test]
fn exclusivity_candidates_come_in_the_documented_order_without_the_allowed_ones() {
    use graders::analyzer::exclusive::Origin;
    use graders::target::PodSet;
    let state = cluster(&[]);
    let allowed: Vec<PodSet> = serde_json::from_value(json!([
        {"namespace": "x", "selector": {"matchLabels": {"pod": "a"}}},
        {"namespace": "z", "selector": {"matchLabels": {"pod": "b"}}}
    ]))
    .expect("pod sets");
    let candidates = Analyzer::new(&state).candidates(&allowed, "y");
    let shown: Vec<String> = candidates
        .iter()
        .map(graders::analyzer::exclusive::Candidate::describe)
        .collect();
    assert_eq!(
        shown,
        [
            "pod x/b",
            "pod x/c",
            "pod y/a",
            "pod y/b",
            "pod y/c",
            "pod y/v6",
            "pod z/a",
            "pod z/c",
            "a label-less pod in a fresh namespace",
            "a pod in y with foreign labels (kubedrill.dev/source=foreign)",
            "a pod in x with foreign labels (kubedrill.dev/source=foreign)",
            "a pod in z with foreign labels (kubedrill.dev/source=foreign)",
            "the node network (172.18.0.2)",
            "an address outside the cluster (203.0.113.10)",
        ]
    );
    let fresh = &candidates[8];
    assert_eq!(fresh.origin, Origin::FreshNamespace);
    assert!(!["x", "y", "z"].contains(&fresh.endpoint.namespace.as_str()));
    assert!(fresh.endpoint.labels.is_empty());
}

#[test]
fn matrix_classes_hold_exactly_the_pods_that_behave_alike() {
    let state = cluster(&mixed_policies());
    let matrix = Analyzer::new(&state).matrix(None);
    let n = matrix.pods.len();
    let alike = |a: usize, b: usize| {
        (0..n).all(|x| matrix.allowed(a, x) == matrix.allowed(b, x) && matrix.allowed(x, a) == matrix.allowed(x, b))
    };
    let mut seen = vec![false; n];
    for (c, class) in matrix.classes.iter().enumerate() {
        let first = class.members[0];
        for &member in &class.members {
            assert!(!seen[member], "{} is in two classes", matrix.pods[member]);
            seen[member] = true;
            assert!(
                alike(first, member),
                "{} and {}",
                matrix.pods[first],
                matrix.pods[member]
            );
        }
        for (d, other) in matrix.classes.iter().enumerate() {
            assert_eq!(c == d, alike(first, other.members[0]), "classes {c} and {d}");
            for &from in &class.members {
                for &to in &other.members {
                    assert_eq!(matrix.class_allowed(c, d), matrix.allowed(from, to));
                }
            }
        }
    }
    assert!(seen.iter().all(|s| *s), "every pod has a class");
    assert!(
        matrix.classes.len() > 1 && matrix.classes.len() < n,
        "{} classes",
        matrix.classes.len()
    );
    let json = serde_json::to_value(&matrix).expect("serializes");
    for (i, row) in json["allowed"].as_array().expect("rows").iter().enumerate() {
        let row: Vec<bool> = row.as_array().expect("row").iter().filter_map(Value::as_bool).collect();
        assert_eq!(row, (0..n).map(|j| matrix.allowed(i, j)).collect::<Vec<_>>());
    }
}

#[test]
fn targets_are_named_as_explain_reads_them() {
    let service = Target::Service {
        namespace: "shop".to_owned(),
        name: "api".to_owned(),
        port: PortRef::Name("http".to_owned()),
        protocol: "TCP".to_owned(),
        by_name: true,
    };
    assert_eq!(service.explain_arg(), "shop/svc/api:http");
    assert!(service.by_name());
    let pod = Target::Pod {
        namespace: "kube-system".to_owned(),
        name: "coredns-0".to_owned(),
        port: PortRef::Number(53),
        protocol: "UDP".to_owned(),
    };
    assert_eq!(pod.explain_arg(), "kube-system/pod/coredns-0:53/UDP");
    assert!(!pod.by_name());
    let node = Target::NodePort {
        node: "kubedrill-worker".to_owned(),
        port: 30080,
        protocol: "TCP".to_owned(),
    };
    assert_eq!(node.explain_arg(), "node/kubedrill-worker:30080");
    assert!(!node.by_name());
}

/// Nodes `cp` (172.18.0.2, control plane) and `w1` (172.18.0.3); pods `web/a` on `where_a`
/// (10.0.9.1) and, when `host_port` is set, declaring it as a hostPort of port 80.
fn node_cluster(where_a: &str, host_port: Option<u16>, extra: Vec<Value>) -> ClusterState {
    let node = |name: &str, ip: &str, labels: Value| {
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels},
            "status": {"addresses": [{"type": "InternalIP", "address": ip}],
                "conditions": [{"type": "Ready", "status": "True"}]}})
    };
    let mut port = json!({"name": "http", "containerPort": 80, "protocol": "TCP"});
    if let Some(host) = host_port {
        port["hostPort"] = json!(host);
    }
    let mut objects = vec![
        namespace("web"),
        node("cp", "172.18.0.2", json!({"node-role.kubernetes.io/control-plane": ""})),
        node("w1", "172.18.0.3", json!({})),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "web", "labels": {"app": "web"}},
            "spec": {"nodeName": where_a, "containers": [{"name": "c", "image": "agnhost", "ports": [port]}]},
            "status": {"phase": "Running", "podIP": "10.0.9.1", "conditions": [{"type": "Ready", "status": "True"}]}}),
    ];
    objects.extend(extra);
    ClusterState::from_objects(objects).expect("valid fixture")
}

/// Service `web/web` of `type`, port 80 -> `http`, nodePort 30080, with this traffic policy.
fn node_port_service(kind: &str, policy: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "web"},
        "spec": {"type": kind, "clusterIP": "10.96.0.80", "selector": {"app": "web"}, "externalTrafficPolicy": policy,
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "nodePort": 30080}]}})
}

fn to_node(
    state: &ClusterState,
    from: &graders::analyzer::policy::Endpoint,
    node: &str,
    port: u16,
) -> graders::analyzer::Trace {
    let target = Target::NodePort {
        node: node.to_owned(),
        port,
        protocol: "TCP".to_owned(),
    };
    Analyzer::new(state).trace(from, &target)
}

fn node_source(name: &str, ip: &str) -> graders::analyzer::policy::Endpoint {
    Analyzer::address(format!("node/{name}"), ip.parse().expect("ip"))
}

fn hop<'a>(trace: &'a graders::analyzer::Trace, name: &str) -> &'a graders::analyzer::Hop {
    trace.hops.iter().find(|h| h.name == name).expect("the hop is traced")
}

#[test]
fn a_node_port_under_the_cluster_policy_answers_on_every_node_from_the_nodes_address() {
    for kind in ["NodePort", "LoadBalancer"] {
        let state = node_cluster("cp", None, vec![node_port_service(kind, "Cluster")]);
        let trace = to_node(&state, &node_source("cp", "172.18.0.2"), "w1", 30080);
        assert!(trace.allowed, "{kind}: {trace:?}");
        assert!(
            hop(&trace, "service")
                .reason
                .starts_with("nodePort 30080 is Service web/web's: ")
        );
        assert!(hop(&trace, "node-port").reason.contains("rewritten to the node's"));
    }
    // The backend's ingress policy sees w1's address (SNAT), not cp's: an ipBlock of cp alone
    // does not let it in, one of w1 does.
    let only = |cidr: &str| {
        policy(
            "web",
            "only",
            json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"ipBlock": {"cidr": cidr}}]}]}),
        )
    };
    let cp_only = node_cluster(
        "cp",
        None,
        vec![node_port_service("NodePort", "Cluster"), only("172.18.0.2/32")],
    );
    let trace = to_node(&cp_only, &node_source("cp", "172.18.0.2"), "w1", 30080);
    assert!(!trace.allowed);
    assert!(failing(&trace).reason.contains("node/w1 on TCP 80"), "{trace:?}");
    let w1_only = node_cluster(
        "cp",
        None,
        vec![node_port_service("NodePort", "Cluster"), only("172.18.0.3/32")],
    );
    assert!(to_node(&w1_only, &node_source("cp", "172.18.0.2"), "w1", 30080).allowed);
    // Under Local with the pod on w1 the client's own address arrives: the other way round.
    let local = |cidr: &str| {
        let state = node_cluster("w1", None, vec![node_port_service("NodePort", "Local"), only(cidr)]);
        to_node(&state, &node_source("cp", "172.18.0.2"), "w1", 30080).allowed
    };
    assert!(local("172.18.0.2/32"));
    assert!(!local("172.18.0.3/32"));
}

#[test]
fn a_node_port_under_the_local_policy_answers_only_where_an_endpoint_runs() {
    let state = node_cluster("cp", None, vec![node_port_service("NodePort", "Local")]);
    let from_cp = node_source("cp", "172.18.0.2");
    let trace = to_node(&state, &from_cp, "w1", 30080);
    assert!(!trace.allowed);
    let dropped = failing(&trace);
    assert_eq!(dropped.name, "node-port");
    assert!(
        dropped
            .reason
            .contains("externalTrafficPolicy Local and none of its 1 Ready endpoint(s) runs on node w1"),
        "{}",
        dropped.reason
    );
    assert_eq!(dropped.details, ["its Ready endpoints run on cp"]);
    assert!(
        dropped.hints[0].contains("a Ready pod must run on w1"),
        "{:?}",
        dropped.hints
    );
    // On cp itself, where the pod runs, the port answers.
    assert!(to_node(&state, &from_cp, "cp", 30080).allowed);
    // From w1 itself and from any pod, kube-proxy sends the connection to every endpoint.
    let from_w1 = to_node(&state, &node_source("w1", "172.18.0.3"), "w1", 30080);
    assert!(from_w1.allowed);
    assert!(hop(&from_w1, "node-port").reason.contains("comes from the node itself"));
    let pod = Analyzer::hypothetical("web", std::collections::BTreeMap::new());
    let from_pod = to_node(&state, &pod, "w1", 30080);
    assert!(from_pod.allowed);
    assert!(hop(&from_pod, "node-port").reason.contains("is a pod"));
    // Nodes are told apart by name, not address: the test bed's kwok nodes share 127.0.0.1.
    let mut shared = node_cluster("cp", None, vec![node_port_service("NodePort", "Local")]);
    for node in &mut shared.nodes {
        let addresses = node
            .status
            .as_mut()
            .and_then(|s| s.addresses.as_mut())
            .expect("addresses");
        addresses[0].address = "127.0.0.1".to_owned();
    }
    assert!(!to_node(&shared, &node_source("cp", "127.0.0.1"), "w1", 30080).allowed);
    assert!(to_node(&shared, &node_source("w1", "127.0.0.1"), "w1", 30080).allowed);
    // Which node a backend runs on is read from its own pod, not from the first pod with its
    // address (hostNetwork pods, and all of the test bed's pods' nodes, share addresses).
    let proxy = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "proxy", "namespace": "kube-system"},
        "spec": {"nodeName": "cp", "hostNetwork": true, "containers": [{"name": "p", "image": "kube-proxy"}]},
        "status": {"phase": "Running", "podIP": "10.0.9.1", "conditions": [{"type": "Ready", "status": "True"}]}});
    let mut crowded = ClusterState::from_objects([proxy]).expect("valid");
    crowded.merge(node_cluster("w1", None, vec![node_port_service("NodePort", "Local")]));
    assert_eq!(
        crowded.pods[0].metadata.name.as_deref(),
        Some("proxy"),
        "the look-alike comes first"
    );
    assert!(to_node(&crowded, &from_cp, "w1", 30080).allowed);
    // Moved to w1, the pod answers there, and the client's address is kept.
    let moved = node_cluster("w1", None, vec![node_port_service("NodePort", "Local")]);
    let trace = to_node(&moved, &from_cp, "w1", 30080);
    assert!(trace.allowed);
    assert!(hop(&trace, "node-port").reason.contains("see the client's own address"));
}

#[test]
fn a_node_port_without_a_service_is_refused_unless_a_pod_there_maps_it_as_a_host_port() {
    let cluster_ip = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "web"},
        "spec": {"clusterIP": "10.96.0.80", "selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": "http"}]}});
    let from_cp = node_source("cp", "172.18.0.2");
    let state = node_cluster("w1", None, vec![cluster_ip.clone()]);
    let trace = to_node(&state, &from_cp, "w1", 30080);
    assert!(!trace.allowed);
    let refused = failing(&trace);
    assert_eq!(refused.name, "service");
    assert!(
        refused.reason.contains("nothing listens on TCP port 30080 of node w1"),
        "{}",
        refused.reason
    );
    assert!(refused.hints[0].contains("NodePort or LoadBalancer"));
    // A hostPort on the pod answers on its own node only, and keeps the client's address.
    let host_port = node_cluster("w1", Some(30080), vec![cluster_ip]);
    let trace = to_node(&host_port, &from_cp, "w1", 30080);
    assert!(trace.allowed, "{trace:?}");
    assert!(
        hop(&trace, "service")
            .reason
            .contains("maps it as a hostPort to its port 80")
    );
    assert!(!to_node(&host_port, &from_cp, "cp", 30080).allowed);
    // Another port, another protocol, or a node that does not exist: refused.
    assert!(!to_node(&host_port, &from_cp, "w1", 30081).allowed);
    let udp = Target::NodePort {
        node: "w1".to_owned(),
        port: 30080,
        protocol: "UDP".to_owned(),
    };
    assert!(!Analyzer::new(&host_port).trace(&from_cp, &udp).allowed);
    let gone = to_node(&host_port, &from_cp, "w9", 30080);
    assert_eq!(failing(&gone).reason, "node w9 does not exist");
}

#[test]
fn a_node_port_service_without_ready_endpoints_is_refused_with_the_service_hops_reason() {
    let mut service = node_port_service("NodePort", "Cluster");
    service["spec"]["selector"] = json!({"app": "webb"});
    let state = node_cluster("w1", None, vec![service]);
    let trace = to_node(&state, &node_source("cp", "172.18.0.2"), "w1", 30080);
    let refused = failing(&trace);
    assert_eq!(refused.name, "service");
    assert!(
        refused
            .reason
            .starts_with("nodePort 30080 is Service web/web's: selector app=webb matches 0 pods"),
        "{}",
        refused.reason
    );
}

#[test]
fn cidr_blocks_are_canonical_and_span_first_to_last() {
    use graders::analyzer::policy::cidr_block;
    let ip = |s: &str| s.parse::<std::net::IpAddr>().expect("ip");
    let table = [
        ("198.51.100.0/24", Some(("198.51.100.0", "198.51.100.255"))),
        ("198.51.100.20/32", Some(("198.51.100.20", "198.51.100.20"))),
        ("0.0.0.0/0", Some(("0.0.0.0", "255.255.255.255"))),
        ("fd00::/64", Some(("fd00::", "fd00::ffff:ffff:ffff:ffff"))),
        ("::/0", Some(("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))),
        ("fd00::5/128", Some(("fd00::5", "fd00::5"))),
        ("198.51.100.7/24", None),
        ("198.51.100.0/33", None),
        ("fd00::/129", None),
        ("198.51.100.0", None),
        ("partner/24", None),
    ];
    for (cidr, expected) in table {
        assert_eq!(cidr_block(cidr), expected.map(|(a, b)| (ip(a), ip(b))), "{cidr}");
    }
}
