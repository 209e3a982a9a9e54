//! A large synthetic cluster for grading benchmarks: `namespaces` x (100 pods, 20 Deployments,
//! 20 Services with one EndpointSlice each, 6 NetworkPolicies), plus a scenario with 20 checks
//! over it. Shared by `benches/grading.rs` and the `big_snapshot` example.

use std::fmt::Write;

use serde_json::{Value, json};

/// Pods per namespace.
pub const PODS_PER_NAMESPACE: usize = 100;
/// Services (and Deployments, EndpointSlices) per namespace.
pub const SERVICES_PER_NAMESPACE: usize = 20;
/// NetworkPolicies per namespace.
pub const POLICIES_PER_NAMESPACE: usize = 6;

fn namespace(n: usize) -> String {
    format!("team-{n:03}")
}

/// Every object of the synthetic cluster.
#[must_use]
pub fn objects(namespaces: usize) -> Vec<Value> {
    let mut objects = Vec::new();
    for n in 0..namespaces {
        let ns = namespace(n);
        objects.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}}}));
        let pods_per_service = PODS_PER_NAMESPACE / SERVICES_PER_NAMESPACE;
        for s in 0..SERVICES_PER_NAMESPACE {
            let app = format!("app-{s:02}");
            objects.push(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": app, "namespace": ns, "generation": 1},
                "spec": {"replicas": pods_per_service, "selector": {"matchLabels": {"app": app}},
                    "template": {"metadata": {"labels": {"app": app}}, "spec": {"containers": [{"name": "c", "image": "agnhost"}]}}},
                "status": {"observedGeneration": 1, "replicas": pods_per_service, "updatedReplicas": pods_per_service,
                    "readyReplicas": pods_per_service, "availableReplicas": pods_per_service}}));
            let mut endpoints = Vec::new();
            for p in 0..pods_per_service {
                let pod = format!("{app}-{p}");
                let ip = format!("10.{}.{}.{}", n % 250, s, p + 10);
                objects.push(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": pod, "namespace": ns, "labels": {"app": app, "tier": "backend"}},
                    "spec": {"containers": [{"name": "c", "image": "agnhost", "ports": [{"name": "http", "containerPort": 8080}]}]},
                    "status": {"phase": "Running", "podIP": ip, "conditions": [{"type": "Ready", "status": "True"}],
                        "containerStatuses": [{"name": "c", "image": "agnhost", "imageID": "", "ready": true, "restartCount": 0}]}}));
                endpoints.push(json!({"addresses": [ip], "conditions": {"ready": true}, "targetRef": {"kind": "Pod", "name": pod, "namespace": ns}}));
            }
            objects.push(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": app, "namespace": ns},
                "spec": {"clusterIP": format!("10.96.{n}.{s}"), "selector": {"app": app}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}));
            objects.push(json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
                "metadata": {"name": format!("{app}-abcde"), "namespace": ns, "labels": {"kubernetes.io/service-name": app}},
                "ports": [{"name": "http", "port": 8080}], "endpoints": endpoints}));
        }
        for p in 0..POLICIES_PER_NAMESPACE {
            objects.push(json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": format!("policy-{p}"), "namespace": ns},
                "spec": {"podSelector": {"matchLabels": {"app": format!("app-{p:02}")}}, "policyTypes": ["Ingress"],
                    "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": format!("app-{:02}", p + 1)}}}], "ports": [{"port": 8080}]}]}}));
        }
    }
    objects
}

/// A scenario folder's `scenario.yaml` with 20 checks over the synthetic cluster (no setup
/// manifests are needed to grade a snapshot, so its setup applies one tiny file).
#[must_use]
pub fn scenario_yaml(namespaces: usize) -> String {
    let last = namespace(namespaces - 1);
    let mut checks = String::new();
    for i in 0..5 {
        let ns = namespace(i * (namespaces / 5).max(1) % namespaces);
        let _ = writeln!(
            checks,
            "  - {{ id: endpoints-{i}, grader: endpoints, points: 1, description: d, with: {{ service: app-{i:02}, namespace: {ns}, port: 80, minReady: 5, podSelector: {{ matchLabels: {{ tier: backend }} }} }} }}"
        );
        let _ = writeln!(
            checks,
            "  - {{ id: ready-{i}, grader: pods-ready, points: 1, description: d, with: {{ namespace: {ns}, selector: {{ matchLabels: {{ app: app-{i:02} }} }}, minReady: 5, maxRestarts: 3 }} }}"
        );
    }
    for i in 0..3 {
        let _ = writeln!(
            checks,
            "  - {{ id: assert-{i}, grader: assert, points: 1, description: d, with: {{ target: {{ kind: Service, name: app-{i:02}, namespace: {last} }}, match: {{ spec: {{ ports: {{ $contains: [{{ port: 80 }}] }} }} }} }} }}"
        );
        let _ = writeln!(
            checks,
            "  - {{ id: unchanged-{i}, grader: unchanged, points: 1, description: d, with: {{ target: {{ kind: NetworkPolicy, name: policy-{i}, namespace: {last} }} }} }}"
        );
    }
    for i in 0..2 {
        let _ = writeln!(
            checks,
            "  - {{ id: rollout-{i}, grader: rollout, points: 1, description: d, with: {{ target: {{ kind: Deployment, name: app-{i:02}, namespace: {last} }} }} }}"
        );
        let _ = writeln!(
            checks,
            "  - {{ id: absent-{i}, grader: absent, points: 1, description: d, with: {{ target: {{ kind: Service, name: gone-{i}, namespace: {last} }} }} }}"
        );
    }
    format!(
        "apiVersion: kubedrill.dev/v1\nid: big-cluster\ntitle: Grading benchmark\ndomain: services-networking\ndifficulty: hard\ntimeLimit: 10m\n\
cluster: {{ profile: kindnet }}\nsetup:\n  - apply: manifests/ns.yaml\ntask: Benchmark.\nexplanation: Benchmark.\nchecks:\n{checks}\
solution:\n  - apply: manifests/ns.yaml\nshortcuts:\n  - {{ id: none, description: d, steps: [{{ apply: manifests/ns.yaml }}], fails: [endpoints-0] }}\n"
    )
}

/// The one manifest the benchmark scenario applies.
pub const NS_MANIFEST: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bench\n";

/// A policy-heavy cluster for the analyzer benchmark: `pods` pods and `policies` single-port
/// NetworkPolicies spread over `namespaces` namespaces, mixing pod, namespace and AND peers.
#[must_use]
pub fn policy_objects(pods: usize, namespaces: usize, policies: usize) -> Vec<Value> {
    let mut objects = Vec::new();
    for n in 0..namespaces {
        let ns = namespace(n);
        objects.push(json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns, "team": format!("t{}", n % 5)}}}));
    }
    for p in 0..pods {
        let ns = namespace(p % namespaces);
        objects.push(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": format!("pod-{p}"), "namespace": ns, "labels": {"app": format!("app-{}", p % 8), "tier": if p % 3 == 0 { "db" } else { "web" }}},
            "spec": {"containers": [{"name": "c", "image": "agnhost", "ports": [{"name": "http", "containerPort": 8080}]}]},
            "status": {"phase": "Running", "podIP": format!("10.{}.{}.{}", p / 65_536 % 256, p / 256 % 256, p % 256),
                "conditions": [{"type": "Ready", "status": "True"}]}}));
    }
    for i in 0..policies {
        let ns = namespace(i % namespaces);
        let peer = match i % 4 {
            0 => json!({"podSelector": {"matchLabels": {"app": format!("app-{}", (i + 1) % 8)}}}),
            1 => json!({"namespaceSelector": {"matchLabels": {"team": format!("t{}", i % 5)}}}),
            2 => {
                json!({"namespaceSelector": {"matchLabels": {"team": format!("t{}", i % 5)}}, "podSelector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}]}})
            }
            _ => json!({"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.1.0/24"]}}),
        };
        let (types, rules) = if i % 5 == 4 {
            (
                json!(["Egress"]),
                json!({"egress": [{"to": [peer], "ports": [{"port": 8080}]}]}),
            )
        } else {
            (
                json!(["Ingress"]),
                json!({"ingress": [{"from": [peer], "ports": [{"port": "http"}]}]}),
            )
        };
        let mut spec = json!({"podSelector": {"matchLabels": {"app": format!("app-{}", i % 8)}}, "policyTypes": types});
        if let (Some(spec), Some(rules)) = (spec.as_object_mut(), rules.as_object()) {
            spec.extend(rules.clone());
        }
        objects.push(json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": format!("policy-{i}"), "namespace": ns}, "spec": spec}));
    }
    objects
}
