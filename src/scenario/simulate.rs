//! A static simulation of what a scenario's steps leave in a cluster: manifests applied, merge
//! patches, deletes and scales replayed on objects, workloads expanded into Ready pods,
//! hand-written EndpointSlices given those pods' IPs. Used by
//! lint to prove, with the reachability analyzer and no cluster, that the broken setup fails
//! the traffic checks, the reference solution passes them, and each shortcut fails the checks
//! it names.
//!
//! Pure; it models objects, not controllers' timing. Steps it cannot model (strategic or JSON
//! patches, node commands, objects the manifests do not create) make the simulation decline
//! rather than guess.

use graders::state::ClusterState;
use graders::target::{ObjectRef, PodSet};
use serde_json::{Map, Value, json};

use super::render::Rendered;
use super::step::{PatchType, SliceStep, Step};

/// The Corefile kubeadm 1.36 writes (`kubeadm init phase addon coredns --print-manifest`).
const KUBEADM_COREFILE: &str = ".:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success cluster.local
       disable denial cluster.local
    }
    loop
    reload
    loadbalance
}
";

/// Objects keyed by (kind, namespace, name), in apply order.
#[derive(Clone, Debug, Default)]
pub struct Simulation {
    objects: Vec<Value>,
}

fn key(object: &Value) -> (String, String, String) {
    let text = |p: &str| object.pointer(p).and_then(Value::as_str).unwrap_or_default().to_owned();
    (text("/kind"), text("/metadata/namespace"), text("/metadata/name"))
}

fn ref_key(target: &ObjectRef) -> (String, String, String) {
    (
        target.kind.to_string(),
        target.namespace.clone().unwrap_or_default(),
        target.name.clone(),
    )
}

/// RFC 7386 JSON merge patch.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(map) = target {
        for (k, v) in patch {
            if v.is_null() {
                map.remove(k);
            } else {
                merge_patch(map.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

impl Simulation {
    /// What a fresh kind cluster already runs that scenarios' traffic depends on: its two
    /// nodes (as kubedrill creates it for every catalogue scenario, named as in the kindnet
    /// profile: `kubedrill-kindnet-control-plane`, tainted `NoSchedule` for the control-plane
    /// role, and `kubedrill-kindnet-worker`), the
    /// `kube-system` namespace, CoreDNS (2 replicas, `k8s-app=kube-dns`, DNS on UDP and TCP 53)
    /// and the `kube-dns` Service at 10.96.0.10.
    #[must_use]
    pub fn kind() -> Self {
        let coredns = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "coredns", "namespace": "kube-system"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"k8s-app": "kube-dns"}},
                "template": {"metadata": {"labels": {"k8s-app": "kube-dns"}},
                    "spec": {"containers": [{"name": "coredns", "ports": [
                        {"name": "dns", "containerPort": 53, "protocol": "UDP"},
                        {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
                        {"name": "metrics", "containerPort": 9153, "protocol": "TCP"}]}]}}}});
        let kube_dns = json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "kube-dns", "namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}},
            "spec": {"clusterIP": "10.96.0.10", "selector": {"k8s-app": "kube-dns"}, "ports": [
                {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}]}});
        let namespace = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}});
        let corefile = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "coredns", "namespace": "kube-system"},
            "data": {"Corefile": KUBEADM_COREFILE}});
        let node = |name: &str, ip: &str, control_plane: bool| {
            let mut node = json!({"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}},
                "status": {"addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
                    "conditions": [{"type": "Ready", "status": "True"}]}});
            if control_plane {
                merge_patch(
                    &mut node,
                    &json!({"metadata": {"labels": {"node-role.kubernetes.io/control-plane": ""}},
                        "spec": {"taints": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]}}),
                );
            }
            node
        };
        Self {
            objects: vec![
                node("kubedrill-kindnet-control-plane", "172.18.0.2", true),
                node("kubedrill-kindnet-worker", "172.18.0.3", false),
                namespace,
                corefile,
                coredns,
                kube_dns,
            ],
        }
    }

    /// Add the ingress-nginx controller kubedrill installs for scenarios that apply an Ingress:
    /// its namespace, one controller pod and the `ingress-nginx-controller` Service on port 80.
    #[must_use]
    pub fn with_ingress_controller(mut self) -> Self {
        let labels = json!({"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"});
        self.objects.extend([
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ingress-nginx"}}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
                "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                    "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "controller",
                        "ports": [{"name": "http", "containerPort": 80, "protocol": "TCP"},
                                  {"name": "https", "containerPort": 443, "protocol": "TCP"}]}]}}}}),
            json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
                "spec": {"selector": labels, "ports": [
                    {"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"},
                    {"name": "https", "port": 443, "protocol": "TCP", "targetPort": "https"}]}}),
        ]);
        self
    }

    /// Add an add-on's `objects` as installed (the Gateway API controller's, say).
    #[must_use]
    pub fn with_addon(mut self, objects: impl IntoIterator<Item = Value>) -> Self {
        self.objects.extend(objects);
        self
    }

    /// The objects, in apply order.
    #[must_use]
    pub fn objects(&self) -> &[Value] {
        &self.objects
    }

    /// This simulation with `object` put in place of the object of the same kind, namespace
    /// and name (or added).
    #[must_use]
    pub fn with_object(&self, object: Value) -> Self {
        let mut objects = self.objects.clone();
        match objects.iter().position(|o| key(o) == key(&object)) {
            Some(i) => objects[i] = object,
            None => objects.push(object),
        }
        Self { objects }
    }

    /// The object of the same kind, namespace and name as `object`.
    #[must_use]
    pub fn same_as(&self, object: &Value) -> Option<&Value> {
        self.objects.iter().find(|o| key(o) == key(object))
    }

    /// Remove `target`; a Namespace takes every object in it along, as the namespace
    /// controller does. `None` when it does not exist.
    fn delete(&mut self, target: &ObjectRef) -> Option<()> {
        let wanted = ref_key(target);
        let before = self.objects.len();
        let namespace = (target.kind == graders::target::ObjectKind::Namespace).then_some(target.name.as_str());
        self.objects.retain(|o| {
            key(o) != wanted
                && namespace.is_none_or(|ns| o.pointer("/metadata/namespace").and_then(Value::as_str) != Some(ns))
        });
        (self.objects.len() != before).then_some(())
    }

    /// Replay `steps` (manifests come from `rendered`). `None` when a step cannot be modelled.
    #[must_use]
    pub fn replay(mut self, rendered: &Rendered, steps: &[Step]) -> Option<Self> {
        for step in steps {
            match step {
                Step::Apply(path) => {
                    for manifest in &rendered.files.get(path)?.objects {
                        let object = manifest.object.clone();
                        self.objects.retain(|o| key(o) != key(&object));
                        self.objects.push(object);
                    }
                }
                Step::Delete(target) => self.delete(target)?,
                Step::Patch(patch) if patch.patch_type == PatchType::Merge => {
                    let wanted = ref_key(&patch.target);
                    let object = self.objects.iter_mut().find(|o| key(o) == wanted)?;
                    merge_patch(object, &patch.patch);
                }
                Step::Scale(scale) => {
                    let wanted = ref_key(&scale.target);
                    let object = self.objects.iter_mut().find(|o| key(o) == wanted)?;
                    merge_patch(object, &json!({"spec": {"replicas": scale.replicas}}));
                }
                Step::ApplySlice(slice) => {
                    let mut object = rendered.files.get(&slice.file)?.objects.first()?.object.clone();
                    let pods = serde_json::to_string(&slice.pods).ok()?;
                    merge_patch(&mut object, &json!({"metadata": {"annotations": {SLICE_PODS: pods}}}));
                    self.objects.retain(|o| key(o) != key(&object));
                    self.objects.push(object);
                }
                Step::Wait(_) | Step::RestartPods(_) => {}
                Step::Patch(_) | Step::NodeExec(_) => return None,
            }
        }
        Some(self)
    }

    /// The state the analyzer sees: nodes, namespaces, Services (with ClusterIPs), policies,
    /// ConfigMaps, Gateway API objects (without status), and one pod per workload replica (at
    /// most two; a DaemonSet's, one per node it may run on) with its template's labels and
    /// ports, scheduled as [`schedule`] says (a pod no node takes stays Pending).
    #[must_use]
    pub fn state(&self) -> Option<ClusterState> {
        let mut objects = Vec::new();
        let nodes: Vec<&Value> = self
            .objects
            .iter()
            .filter(|o| o.get("kind").and_then(Value::as_str) == Some("Node"))
            .collect();
        let mut next_ip = 10_u32;
        let mut services = 0_u32;
        let mut slices = Vec::new();
        for object in &self.objects {
            let (kind, namespace, name) = key(object);
            match kind.as_str() {
                "Deployment" | "StatefulSet" | "ReplicaSet" | "DaemonSet" => {
                    let template = object.pointer("/spec/template").cloned().unwrap_or_default();
                    let spec = template.get("spec").cloned().unwrap_or_default();
                    let replicas = if kind == "DaemonSet" {
                        nodes.iter().filter(|n| may_run_on(&spec, n)).count().max(1)
                    } else {
                        usize::try_from(object.pointer("/spec/replicas").and_then(Value::as_u64).unwrap_or(1))
                            .unwrap_or(2)
                    }
                    .min(2);
                    objects.push(object.clone());
                    for i in 0..replicas {
                        let pod_name = format!("{name}-{i}");
                        let mut pod = ready_pod(&template, &namespace, &pod_name, &nodes, i, &mut next_ip);
                        if kind == "StatefulSet" {
                            // Its pods are named by ordinal, with the governing Service as subdomain.
                            let subdomain = object.pointer("/spec/serviceName").cloned().unwrap_or_default();
                            merge_patch(
                                &mut pod,
                                &json!({"spec": {"hostname": pod_name, "subdomain": subdomain}}),
                            );
                        }
                        objects.push(pod);
                    }
                }
                "Pod" => {
                    let mut pod = object.clone();
                    place(&mut pod, &nodes, 0, &mut next_ip);
                    objects.push(pod);
                }
                "Service" => {
                    services += 1;
                    let mut service = object.clone();
                    let external = service.pointer("/spec/type").and_then(Value::as_str) == Some("ExternalName");
                    if service.pointer("/spec/clusterIP").is_none() && !external {
                        merge_patch(
                            &mut service,
                            &json!({"spec": {"clusterIP": format!("10.96.{}.{}", services / 250 + 1, services % 250 + 1)}}),
                        );
                    }
                    objects.push(service);
                }
                "Namespace" => {
                    // The API server labels every namespace with its own name (since 1.21);
                    // policies select namespaces by it.
                    let mut namespace = object.clone();
                    merge_patch(
                        &mut namespace,
                        &json!({"metadata": {"labels": {"kubernetes.io/metadata.name": name}}}),
                    );
                    objects.push(namespace);
                }
                // Gateway API objects as written: no controller writes their status here.
                "Node" | "NetworkPolicy" | "ConfigMap" | "GatewayClass" | "Gateway" | "HTTPRoute"
                | "ReferenceGrant" => {
                    objects.push(object.clone());
                }
                "EndpointSlice" => slices.push(object),
                _ => {}
            }
        }
        // Hand-written slices last: an `applySlice` one takes the IPs of the pods made above.
        let filled: Vec<Value> = slices.into_iter().map(|s| filled_slice(s, &objects)).collect();
        objects.extend(filled);
        ClusterState::from_objects(objects).ok()
    }
}

/// Set on a simulated EndpointSlice an `applySlice` step wrote: the pods (a [`PodSet`] as
/// JSON) whose IPs become its endpoints once the workloads are expanded into pods.
const SLICE_PODS: &str = "kubedrill.dev/simulated-endpoints-from";

/// `slice` as the cluster would hold it: with the Ready IPs of its `applySlice` pods, if it
/// came from that step (the marker removed), else as written.
fn filled_slice(slice: &Value, objects: &[Value]) -> Value {
    let mut slice = slice.clone();
    let from = slice
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
        .and_then(|annotations| annotations.remove(SLICE_PODS));
    let Some(set) = from
        .as_ref()
        .and_then(Value::as_str)
        .and_then(|text| serde_json::from_str::<PodSet>(text).ok())
    else {
        return slice;
    };
    let ips = objects
        .iter()
        .filter(|o| o.get("kind").and_then(Value::as_str) == Some("Pod"))
        .filter(|pod| pod.pointer("/metadata/namespace").and_then(Value::as_str) == Some(set.namespace.as_str()))
        .filter(|pod| {
            let labels = pod
                .pointer("/metadata/labels")
                .and_then(|l| serde_json::from_value(l.clone()).ok())
                .unwrap_or_default();
            set.selector.matches(&labels)
        })
        .filter(|pod| {
            pod.pointer("/status/conditions")
                .and_then(Value::as_array)
                .is_some_and(|c| c.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"))
        })
        .filter_map(|pod| pod.pointer("/status/podIP").and_then(Value::as_str));
    merge_patch(&mut slice, &json!({"endpoints": SliceStep::endpoints(ips)}));
    slice
}

/// Set on a simulated pod whose readiness the model cannot know (an exec or gRPC readiness
/// probe): it is shown Ready, and checks of readiness must not be judged on it.
pub const READINESS_UNKNOWN: &str = "kubedrill.dev/simulated-readiness-unknown";

fn ready_status(ip: u32, ready: Option<bool>) -> Value {
    let mut status = json!({"status": {"phase": "Running", "podIP": format!("10.244.{}.{}", ip / 250, ip % 250 + 1),
        "conditions": [{"type": "Ready", "status": if ready == Some(false) { "False" } else { "True" }}]}});
    if ready.is_none() {
        status["metadata"] = json!({"annotations": {READINESS_UNKNOWN: "true"}});
    }
    status
}

/// Replica `index` of a workload's `template`, placed (see [`place`]).
fn ready_pod(
    template: &Value,
    namespace: &str,
    name: &str,
    nodes: &[&Value],
    index: usize,
    next_ip: &mut u32,
) -> Value {
    let spec = template.get("spec").cloned().unwrap_or_default();
    let mut pod = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": template.pointer("/metadata/labels").cloned().unwrap_or_default()},
        "spec": spec});
    place(&mut pod, nodes, index, next_ip);
    pod
}

/// Schedule `pod` (replica `index` of its workload) and give it the status it would reach:
/// on a node, an IP and readiness as [`would_be_ready`] says; on none, `Pending` and
/// unscheduled, without an IP.
fn place(pod: &mut Value, nodes: &[&Value], index: usize, next_ip: &mut u32) {
    let spec = pod.get("spec").cloned().unwrap_or_default();
    let node = schedule(&spec, nodes, index);
    // A simulation without nodes (a unit test's) runs every pod, on no node in particular.
    if node.is_none() && !nodes.is_empty() {
        merge_patch(
            pod,
            &json!({"status": {"phase": "Pending", "conditions": [
                {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"},
                {"type": "Ready", "status": "False"}]}}),
        );
        return;
    }
    *next_ip += 1;
    if let Some(node) = node {
        merge_patch(pod, &json!({"spec": {"nodeName": node}}));
    }
    merge_patch(pod, &ready_status(*next_ip, would_be_ready(&spec)));
}

/// The node replica `index` of a pod with `spec` lands on: its `nodeName` if set, else the
/// nodes it may run on ([`may_run_on`]) taken in turn, as the scheduler's default spreading
/// puts replicas on different nodes. `None` when no node takes it.
fn schedule(spec: &Value, nodes: &[&Value], index: usize) -> Option<String> {
    if let Some(name) = spec.get("nodeName").and_then(Value::as_str) {
        return Some(name.to_owned());
    }
    let eligible: Vec<&str> = nodes
        .iter()
        .filter(|n| may_run_on(spec, n))
        .filter_map(|n| n.pointer("/metadata/name").and_then(Value::as_str))
        .collect();
    (!eligible.is_empty()).then(|| eligible[index % eligible.len()].to_owned())
}

/// Whether the scheduler may put a pod with `spec` on `node`: its `nodeSelector` and required
/// node affinity match the node's labels, and it tolerates the node's `NoSchedule` and
/// `NoExecute` taints.
fn may_run_on(spec: &Value, node: &Value) -> bool {
    let empty = Map::new();
    let labels = node
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let selected = spec
        .get("nodeSelector")
        .and_then(Value::as_object)
        .is_none_or(|wanted| wanted.iter().all(|(k, v)| labels.get(k) == Some(v)));
    let affine = spec
        .pointer("/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms")
        .and_then(Value::as_array)
        .is_none_or(|terms| terms.iter().any(|term| term_matches(term, labels)));
    let tolerated = node
        .pointer("/spec/taints")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|t| {
            matches!(
                t.get("effect").and_then(Value::as_str),
                Some("NoSchedule" | "NoExecute")
            )
        })
        .all(|taint| {
            spec.get("tolerations")
                .and_then(Value::as_array)
                .is_some_and(|ts| ts.iter().any(|t| tolerates(t, taint)))
        });
    selected && affine && tolerated
}

/// A node selector term: every `matchExpressions` entry holds (a term without any matches no
/// node, as the API documents).
fn term_matches(term: &Value, labels: &Map<String, Value>) -> bool {
    let Some(expressions) = term.get("matchExpressions").and_then(Value::as_array) else {
        return false;
    };
    !expressions.is_empty()
        && expressions.iter().all(|e| {
            let key = e.get("key").and_then(Value::as_str).unwrap_or_default();
            let value = labels.get(key).and_then(Value::as_str);
            let values: Vec<&str> = e
                .get("values")
                .and_then(Value::as_array)
                .map(|v| v.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let number = |v: Option<&str>| v.and_then(|v| v.parse::<i64>().ok());
            match e.get("operator").and_then(Value::as_str) {
                Some("In") => value.is_some_and(|v| values.contains(&v)),
                Some("NotIn") => value.is_none_or(|v| !values.contains(&v)),
                Some("Exists") => value.is_some(),
                Some("DoesNotExist") => value.is_none(),
                Some("Gt") => number(value)
                    .zip(number(values.first().copied()))
                    .is_some_and(|(v, w)| v > w),
                Some("Lt") => number(value)
                    .zip(number(values.first().copied()))
                    .is_some_and(|(v, w)| v < w),
                _ => false,
            }
        })
}

/// Whether `toleration` tolerates `taint`: the same key (an empty key with `Exists` matches
/// every key), the same value unless `Exists`, the same effect unless it names none.
fn tolerates(toleration: &Value, taint: &Value) -> bool {
    let field = |v: &Value, name: &str| v.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
    let exists = field(toleration, "operator") == "Exists";
    let key = field(toleration, "key");
    let key_ok = (key.is_empty() && exists) || key == field(taint, "key");
    let value_ok = exists || field(toleration, "value") == field(taint, "value");
    let effect = field(toleration, "effect");
    key_ok && value_ok && (effect.is_empty() || effect == field(taint, "effect"))
}

/// The ports a container listens on, as (port, protocol): agnhost `netexec` serves its
/// `--http-port` (default 8080) on TCP and `--udp-port` (default 8081) on UDP; any other
/// container is assumed to serve exactly the ports it declares.
fn listening(container: &Value) -> Vec<(i64, String)> {
    let args: Vec<&str> = container
        .get("args")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if args.first() == Some(&"netexec") {
        let flag = |name: &str, default: i64| {
            args.iter()
                .find_map(|a| a.strip_prefix(&format!("--{name}=")).and_then(|v| v.parse().ok()))
                .unwrap_or(default)
        };
        return vec![
            (flag("http-port", 8080), "TCP".to_owned()),
            (flag("udp-port", 8081), "UDP".to_owned()),
        ];
    }
    container
        .get("ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let port = p.get("containerPort")?.as_i64()?;
            let protocol = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
            Some((port, protocol.to_owned()))
        })
        .collect()
}

/// Whether a pod with this spec becomes Ready: no two containers bind the same port (the
/// second crash-loops), and every HTTP or TCP readiness probe targets a port its container
/// listens on (a named probe port resolves through the container's declared ports).
fn would_be_ready(spec: &Value) -> Option<bool> {
    let containers: Vec<&Value> = spec
        .get("containers")
        .and_then(Value::as_array)
        .map(|c| c.iter().collect())
        .unwrap_or_default();
    let mut bound = std::collections::BTreeSet::new();
    for container in &containers {
        for port in listening(container) {
            if !bound.insert(port) {
                return Some(false);
            }
        }
    }
    let mut ready = Some(true);
    for container in &containers {
        match probe_is_served(container) {
            Some(false) => return Some(false),
            None => ready = None,
            Some(true) => {}
        }
    }
    ready
}

/// `None` for a probe the model cannot judge (exec, gRPC).
fn probe_is_served(container: &Value) -> Option<bool> {
    let Some(probe) = container.get("readinessProbe") else {
        return Some(true);
    };
    let port = ["httpGet", "tcpSocket"]
        .iter()
        .find_map(|kind| probe.get(*kind).and_then(|p| p.get("port")))?;
    let number = match port {
        Value::Number(n) => n.as_i64(),
        Value::String(name) => container
            .get("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|p| p.get("name").and_then(Value::as_str) == Some(name))
            .and_then(|p| p.get("containerPort")?.as_i64()),
        _ => None,
    };
    Some(number.is_some_and(|n| listening(container).iter().any(|(p, proto)| *p == n && proto == "TCP")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{merge_patch, would_be_ready};

    #[test]
    fn pods_are_ready_unless_a_port_clashes_or_the_probe_misses() {
        let server = json!({"name": "server", "args": ["netexec", "--http-port=8080"],
            "ports": [{"name": "http", "containerPort": 8080}],
            "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}}});
        assert_eq!(would_be_ready(&json!({"containers": [server.clone()]})), Some(true));
        let sidecar = json!({"name": "sidecar", "args": ["netexec", "--http-port=8080", "--udp-port=9101"]});
        assert_eq!(
            would_be_ready(&json!({"containers": [server.clone(), sidecar]})),
            Some(false),
            "two containers on TCP 8080"
        );
        let default_udp = json!({"name": "sidecar", "args": ["netexec", "--http-port=9100"]});
        assert_eq!(
            would_be_ready(&json!({"containers": [server.clone(), default_udp]})),
            Some(false),
            "both default to UDP 8081"
        );
        let mut wrong_probe = server.clone();
        wrong_probe["readinessProbe"] = json!({"httpGet": {"path": "/healthz", "port": 8181}});
        assert_eq!(would_be_ready(&json!({"containers": [wrong_probe]})), Some(false));
        let mut unknown_name = server.clone();
        unknown_name["readinessProbe"] = json!({"tcpSocket": {"port": "metrics"}});
        assert_eq!(would_be_ready(&json!({"containers": [unknown_name]})), Some(false));
        let mut exec = server;
        exec["readinessProbe"] = json!({"exec": {"command": ["/agnhost", "connect", "db:5432"]}});
        assert_eq!(would_be_ready(&json!({"containers": [exec]})), None, "not modelled");
        let plain = json!({"name": "db", "ports": [{"containerPort": 5432}],
            "readinessProbe": {"tcpSocket": {"port": 5432}}});
        assert_eq!(would_be_ready(&json!({"containers": [plain]})), Some(true));
    }

    /// Placement as kind's scheduler decides it: the control-plane taint keeps untolerating
    /// pods off it, selectors and required affinity (every operator) narrow the nodes, replicas
    /// take the eligible nodes in turn, a DaemonSet runs one pod per eligible node, and a pod
    /// no node takes stays Pending without an IP.
    #[test]
    fn pods_are_scheduled_by_taints_selectors_and_affinity() {
        use super::Simulation;

        let workload = |kind: &str, name: &str, spec: serde_json::Value| {
            json!({"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name, "namespace": "n"},
                "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                    "template": {"metadata": {"labels": {"app": name}}, "spec": spec}}})
        };
        let container = json!([{"name": "c", "ports": [{"containerPort": 80}]}]);
        let toleration =
            json!([{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}]);
        let affinity = |operator: &str, values: serde_json::Value| {
            json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "node-role.kubernetes.io/control-plane", "operator": operator, "values": values}]}]}}})
        };
        let mut simulation = Simulation::kind();
        for object in [
            workload("Deployment", "plain", json!({"containers": container})),
            workload(
                "Deployment",
                "anywhere",
                json!({"containers": container, "tolerations": toleration}),
            ),
            workload(
                "Deployment",
                "pinned",
                json!({"containers": container, "tolerations": toleration,
                    "nodeSelector": {"node-role.kubernetes.io/control-plane": ""}}),
            ),
            workload(
                "Deployment",
                "untolerated",
                json!({"containers": container, "nodeSelector": {"node-role.kubernetes.io/control-plane": ""}}),
            ),
            workload(
                "Deployment",
                "affine",
                json!({"containers": container, "tolerations": toleration, "affinity": affinity("Exists", json!(null))}),
            ),
            workload(
                "Deployment",
                "averse",
                json!({"containers": container, "tolerations": toleration, "affinity": affinity("DoesNotExist", json!(null))}),
            ),
            workload(
                "Deployment",
                "listed",
                json!({"containers": container, "tolerations": toleration, "affinity": affinity("In", json!([""]))}),
            ),
            workload("DaemonSet", "agent", json!({"containers": container})),
            workload(
                "DaemonSet",
                "everywhere",
                json!({"containers": container, "tolerations": [{"operator": "Exists"}]}),
            ),
        ] {
            simulation = simulation.with_object(object);
        }
        let state = simulation.state().expect("state");
        let nodes = |name: &str| -> Vec<Option<String>> {
            let mut nodes: Vec<Option<String>> = state
                .pods_in("n")
                .filter(|p| {
                    p.metadata
                        .name
                        .as_deref()
                        .is_some_and(|n| n.starts_with(&format!("{name}-")))
                })
                .map(|p| p.spec.as_ref().and_then(|s| s.node_name.clone()))
                .collect();
            nodes.sort();
            nodes
        };
        let (cp, worker) = (
            Some("kubedrill-kindnet-control-plane".to_owned()),
            Some("kubedrill-kindnet-worker".to_owned()),
        );
        assert_eq!(nodes("plain"), [worker.clone(), worker.clone()]);
        assert_eq!(nodes("anywhere"), [cp.clone(), worker.clone()]);
        assert_eq!(nodes("pinned"), [cp.clone(), cp.clone()]);
        assert_eq!(nodes("untolerated"), [None, None]);
        assert_eq!(nodes("affine"), [cp.clone(), cp.clone()]);
        assert_eq!(nodes("averse"), [worker.clone(), worker.clone()]);
        assert_eq!(nodes("listed"), [cp.clone(), cp.clone()]);
        assert_eq!(nodes("agent"), std::slice::from_ref(&worker));
        assert_eq!(nodes("everywhere"), [cp, worker]);
        let pending = state
            .pods_in("n")
            .find(|p| p.metadata.name.as_deref() == Some("untolerated-0"))
            .expect("the pod exists");
        let status = pending.status.as_ref().expect("status");
        assert_eq!(status.phase.as_deref(), Some("Pending"));
        assert!(status.pod_ip.is_none());
        assert!(!graders::state::pod_is_ready(pending));
    }

    #[test]
    fn an_apply_slice_endpoint_slice_gets_the_ready_ips_of_its_pods() {
        let deployment = |name: &str, app: &str| {
            json!({"kind": "Deployment", "metadata": {"name": name, "namespace": "shop"},
                "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": app}},
                    "spec": {"containers": [{"name": "c", "args": ["netexec"]}]}}}})
        };
        let pods = json!({"namespace": "shop", "selector": {"matchLabels": {"app": "db"}}}).to_string();
        let slice = |name: &str, marked: bool| {
            let mut slice = json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"name": name, "namespace": "shop", "labels": {"kubernetes.io/service-name": "db"}},
                "addressType": "IPv4", "ports": [{"name": "db", "port": 8080}]});
            if marked {
                slice["metadata"]["annotations"] = json!({super::SLICE_PODS: pods});
            }
            slice
        };
        let simulation = super::Simulation {
            objects: vec![
                deployment("db", "db"),
                deployment("web", "web"),
                slice("db-1", true),
                slice("db-2", false),
            ],
        };
        let state = simulation.state().expect("state");
        let ips = |slice: &k8s_openapi::api::discovery::v1::EndpointSlice| -> Vec<String> {
            slice
                .endpoints
                .iter()
                .flatten()
                .flat_map(|e| e.addresses.clone())
                .collect()
        };
        let db_ips: Vec<String> = state
            .pods
            .iter()
            .filter(|p| {
                p.metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get("app"))
                    .map(String::as_str)
                    == Some("db")
            })
            .filter_map(|p| p.status.as_ref()?.pod_ip.clone())
            .collect();
        assert_eq!(db_ips.len(), 2);
        let [filled, written] = &state.endpoint_slices[..] else {
            panic!("two slices: {:?}", state.endpoint_slices);
        };
        assert_eq!(ips(filled), db_ips, "the db pods' IPs, not the web pods'");
        assert!(
            filled
                .metadata
                .annotations
                .as_ref()
                .is_none_or(std::collections::BTreeMap::is_empty),
            "the marker is gone"
        );
        assert!(ips(written).is_empty(), "a slice applied as written stays as written");
    }

    #[test]
    fn deleting_a_namespace_deletes_what_is_in_it() {
        let object = |kind: &str, namespace: Option<&str>, name: &str| {
            let mut o = json!({"kind": kind, "metadata": {"name": name}});
            if let Some(namespace) = namespace {
                o["metadata"]["namespace"] = json!(namespace);
            }
            o
        };
        let mut simulation = super::Simulation {
            objects: vec![
                object("Namespace", None, "legacy"),
                object("Service", Some("legacy"), "portal"),
                object("Deployment", Some("legacy"), "report"),
                object("Namespace", None, "shop"),
                object("Service", Some("shop"), "portal"),
            ],
        };
        let target = |kind, namespace: Option<&str>, name: &str| graders::target::ObjectRef {
            kind,
            name: name.to_owned(),
            namespace: namespace.map(str::to_owned),
        };
        assert_eq!(
            simulation.delete(&target(graders::target::ObjectKind::Namespace, None, "legacy")),
            Some(())
        );
        let left: Vec<(String, String, String)> = simulation.objects.iter().map(super::key).collect();
        assert_eq!(
            left,
            [
                ("Namespace".to_owned(), String::new(), "shop".to_owned()),
                ("Service".to_owned(), "shop".to_owned(), "portal".to_owned())
            ]
        );
        assert_eq!(
            simulation.delete(&target(graders::target::ObjectKind::Service, Some("legacy"), "portal")),
            None,
            "already gone"
        );
    }

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut target = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut target, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(target, json!({"a": "z", "c": {"d": "e"}}));
        let mut list = json!({"a": [1, 2]});
        merge_patch(&mut list, &json!({"a": [3]}));
        assert_eq!(list, json!({"a": [3]}), "lists are replaced");
        let mut scalar = json!("x");
        merge_patch(&mut scalar, &json!({"k": 1}));
        assert_eq!(scalar, json!({"k": 1}));
    }
}
