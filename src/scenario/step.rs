//! Typed setup, solution and shortcut steps: apply, wait, patch, delete, scale, restart pods,
//! apply a hand-written EndpointSlice, and argv commands in kind node containers. Never free
//! shell.
//!
//! Data and validation only; carrying steps out is the cluster module's job.

use graders::target::{ObjectKind, ObjectRef, PodSet};
use graders::{Duration, ParamProblem};

use crate::cluster::safety::is_system_namespace;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One step, written as a single-key map (`- apply: manifests/app.yaml`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum Step {
    /// Server-side apply a manifest template from the scenario folder.
    Apply(String),
    /// Wait until a condition holds.
    Wait(WaitStep),
    /// Patch one object.
    Patch(PatchStep),
    /// Delete one object.
    Delete(ObjectRef),
    /// Set a workload's replicas.
    Scale(ScaleStep),
    /// Delete the pods matching a selector so their controller recreates them.
    RestartPods(PodSet),
    /// Run an argv command in kind node containers (`docker exec`), e.g. remove a CNI config.
    NodeExec(NodeExecStep),
    /// Apply an EndpointSlice written by hand for a Service without selector, its endpoints
    /// the IPs of Ready pods, as an admin copies them from `kubectl get pods -o wide`.
    ApplySlice(SliceStep),
}

/// An EndpointSlice manifest and the pods whose IPs become its endpoints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SliceStep {
    /// A manifest template in the scenario folder holding exactly one EndpointSlice
    /// (`addressType: IPv4`) without `endpoints`.
    pub file: String,
    /// The pods whose IPs become the endpoints (waited for until Ready, at least one).
    pub pods: PodSet,
}

/// A wait: exactly one of `rollout`, `deleted`, `podsReady`, `podsGone`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WaitStep {
    /// A workload fully rolled out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<ObjectRef>,
    /// An object gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<ObjectRef>,
    /// Every matching pod Ready (and at least one exists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods_ready: Option<PodSet>,
    /// No pod matches any more (e.g. a DaemonSet made to schedule nowhere: it then reports
    /// `desiredNumberScheduled: 0`, which is no rollout to wait for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods_gone: Option<PodSet>,
    /// Give up after this long (default 2m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
}

/// How a patch body is interpreted (as `kubectl patch --type`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PatchType {
    /// JSON merge patch (RFC 7386).
    #[default]
    Merge,
    /// Kubernetes strategic merge patch.
    Strategic,
    /// JSON patch (RFC 6902), a list of operations.
    Json,
}

/// A patch of one object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PatchStep {
    /// The object.
    pub target: ObjectRef,
    /// Patch flavour (default merge).
    #[serde(default, rename = "type")]
    pub patch_type: PatchType,
    /// The body: a map for merge/strategic, a list of operations for json.
    pub patch: Value,
}

/// A scale of one workload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScaleStep {
    /// A Deployment, StatefulSet or ReplicaSet.
    pub target: ObjectRef,
    /// Desired replicas.
    pub replicas: u32,
}

/// Which kind nodes a node command runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeSet {
    /// Every node.
    All,
    /// The control-plane node.
    ControlPlane,
    /// Every worker.
    Workers,
}

/// An argv command in node containers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeExecStep {
    /// Which nodes.
    pub nodes: NodeSet,
    /// The program and its arguments, one list item each; no shell is involved.
    pub command: Vec<String>,
}

impl SliceStep {
    /// The `endpoints` the step writes for these pod IPs: one per IP, each Ready, sorted.
    #[must_use]
    pub fn endpoints<'a>(ips: impl IntoIterator<Item = &'a str>) -> Value {
        let mut ips: Vec<&str> = ips.into_iter().collect();
        ips.sort_unstable();
        ips.dedup();
        ips.into_iter()
            .map(|ip| serde_json::json!({"addresses": [ip], "conditions": {"ready": true}}))
            .collect()
    }
}

impl Step {
    /// The step's name as written (`apply`, `restartPods`, ...).
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Apply(_) => "apply",
            Self::Wait(_) => "wait",
            Self::Patch(_) => "patch",
            Self::Delete(_) => "delete",
            Self::Scale(_) => "scale",
            Self::RestartPods(_) => "restartPods",
            Self::NodeExec(_) => "nodeExec",
            Self::ApplySlice(_) => "applySlice",
        }
    }

    /// The manifest file the step applies, if it applies one.
    #[must_use]
    pub fn manifest(&self) -> Option<&str> {
        match self {
            Self::Apply(path) | Self::ApplySlice(SliceStep { file: path, .. }) => Some(path),
            _ => None,
        }
    }

    /// Semantic problems; fields are relative to the step.
    #[must_use]
    pub fn problems(&self) -> Vec<ParamProblem> {
        match self {
            Self::Apply(path) => apply_problems(path),
            Self::Wait(wait) => wait.problems(),
            Self::Patch(patch) => patch.problems(),
            Self::Delete(target) => target.problems("delete"),
            Self::Scale(scale) => scale.problems(),
            Self::RestartPods(pods) => pods_problems(pods, "restartPods"),
            Self::NodeExec(exec) => exec.problems(),
            Self::ApplySlice(slice) => {
                let mut problems: Vec<ParamProblem> = apply_problems(&slice.file)
                    .into_iter()
                    .map(|p| ParamProblem::new("applySlice.file", p.message))
                    .collect();
                problems.extend(pods_problems(&slice.pods, "applySlice.pods"));
                problems
            }
        }
    }

    /// Whether the step reaches beyond the scenario's namespaces (kube-system or nodes): such
    /// a scenario breaks cluster-wide components and cannot share a cluster.
    #[must_use]
    pub fn is_cluster_wide(&self) -> bool {
        let system = |r: &ObjectRef| r.namespace.as_deref() == Some("kube-system") || !r.kind.is_namespaced();
        match self {
            Self::Apply(_) => false,
            Self::NodeExec(_) => true,
            Self::Wait(w) => {
                w.rollout.iter().chain(&w.deleted).any(system)
                    || w.pods_ready
                        .iter()
                        .chain(&w.pods_gone)
                        .any(|p| is_system_namespace(&p.namespace))
            }
            Self::Patch(PatchStep { target, .. }) | Self::Delete(target) | Self::Scale(ScaleStep { target, .. }) => {
                system(target)
            }
            Self::RestartPods(pods) | Self::ApplySlice(SliceStep { pods, .. }) => pods.namespace == "kube-system",
        }
    }
}

fn apply_problems(path: &str) -> Vec<ParamProblem> {
    let escapes = path.split('/').any(|part| part == "..") || path.starts_with('/');
    let problem = if path.trim().is_empty() {
        Some("`apply` needs a manifest path inside the scenario folder")
    } else if escapes {
        Some("manifest paths must stay inside the scenario folder (no `..`, not absolute)")
    } else if !std::path::Path::new(path)
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("yaml") || ext.eq_ignore_ascii_case("yml"))
    {
        Some("manifest files end in `.yaml` or `.yml`")
    } else {
        None
    };
    problem.map(|p| ParamProblem::new("apply", p)).into_iter().collect()
}

fn pods_problems(pods: &PodSet, field: &str) -> Vec<ParamProblem> {
    let mut problems = pods.problems(field);
    if pods.selector.is_empty() {
        problems.push(ParamProblem::new(
            format!("{field}.selector"),
            "an empty selector matches every pod in the namespace; name the pods",
        ));
    }
    problems
}

impl WaitStep {
    fn problems(&self) -> Vec<ParamProblem> {
        let chosen = [
            self.rollout.is_some(),
            self.deleted.is_some(),
            self.pods_ready.is_some(),
            self.pods_gone.is_some(),
        ];
        let mut problems = Vec::new();
        if chosen.iter().filter(|c| **c).count() != 1 {
            problems.push(ParamProblem::new(
                "wait",
                "set exactly one of `rollout`, `deleted`, `podsReady` or `podsGone`",
            ));
        }
        if let Some(target) = &self.rollout {
            problems.extend(target.problems("wait.rollout"));
            if !target.kind.has_rollout() {
                problems.push(ParamProblem::new(
                    "wait.rollout.kind",
                    format!(
                        "a {} has no rollout; use Deployment, DaemonSet or StatefulSet",
                        target.kind
                    ),
                ));
            }
        }
        if let Some(target) = &self.deleted {
            problems.extend(target.problems("wait.deleted"));
        }
        if let Some(pods) = &self.pods_ready {
            problems.extend(pods_problems(pods, "wait.podsReady"));
        }
        if let Some(pods) = &self.pods_gone {
            problems.extend(pods_problems(pods, "wait.podsGone"));
        }
        if self.timeout == Some(Duration::from_secs(0)) {
            problems.push(ParamProblem::new("wait.timeout", "a zero timeout can never be met"));
        }
        problems
    }
}

impl PatchStep {
    fn problems(&self) -> Vec<ParamProblem> {
        let mut problems = self.target.problems("patch.target");
        let fits = match self.patch_type {
            PatchType::Merge | PatchType::Strategic => self.patch.is_object(),
            PatchType::Json => self
                .patch
                .as_array()
                .is_some_and(|ops| ops.iter().all(is_json_patch_op)),
        };
        if !fits {
            let expected = match self.patch_type {
                PatchType::Merge | PatchType::Strategic => "a map (a partial object)",
                PatchType::Json => "a list of operations with `op` and `path`",
            };
            problems.push(ParamProblem::new(
                "patch.patch",
                format!("a {:?} patch must be {expected}", self.patch_type).to_lowercase(),
            ));
        }
        problems
    }
}

fn is_json_patch_op(op: &Value) -> bool {
    let known = ["add", "remove", "replace", "move", "copy", "test"];
    op.get("op").and_then(Value::as_str).is_some_and(|o| known.contains(&o))
        && op
            .get("path")
            .and_then(Value::as_str)
            .is_some_and(|p| p.starts_with('/'))
}

impl ScaleStep {
    fn problems(&self) -> Vec<ParamProblem> {
        let mut problems = self.target.problems("scale.target");
        if !matches!(
            self.target.kind,
            ObjectKind::Deployment | ObjectKind::StatefulSet | ObjectKind::ReplicaSet
        ) {
            problems.push(ParamProblem::new(
                "scale.target.kind",
                format!(
                    "a {} cannot be scaled; use Deployment, StatefulSet or ReplicaSet",
                    self.target.kind
                ),
            ));
        }
        problems
    }
}

impl NodeExecStep {
    fn problems(&self) -> Vec<ParamProblem> {
        match self.command.first() {
            None => vec![ParamProblem::new(
                "nodeExec.command",
                "`command` needs at least the program",
            )],
            Some(program) if program.contains(char::is_whitespace) => vec![ParamProblem::new(
                "nodeExec.command",
                format!(
                    "`{program}` looks like a shell line; write the program and each argument as separate list items"
                ),
            )],
            Some(_) => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{SliceStep, Step};

    fn step(value: serde_json::Value) -> Step {
        serde_json::from_value(value).expect("valid step")
    }

    fn fields(value: serde_json::Value) -> Vec<String> {
        step(value).problems().into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn parses_every_step_shape() {
        let samples = [
            json!({"apply": "manifests/app.yaml"}),
            json!({"wait": {"rollout": {"kind": "Deployment", "name": "web", "namespace": "s"}, "timeout": "90s"}}),
            json!({"patch": {"target": {"kind": "Service", "name": "web", "namespace": "s"}, "patch": {"spec": {}}}}),
            json!({"patch": {"target": {"kind": "Service", "name": "web", "namespace": "s"}, "type": "json",
                   "patch": [{"op": "replace", "path": "/spec/selector/app", "value": "x"}]}}),
            json!({"delete": {"kind": "NetworkPolicy", "name": "deny", "namespace": "s"}}),
            json!({"scale": {"target": {"kind": "Deployment", "name": "coredns", "namespace": "kube-system"}, "replicas": 0}}),
            json!({"restartPods": {"namespace": "kube-system", "selector": {"matchLabels": {"k8s-app": "kube-dns"}}}}),
            json!({"nodeExec": {"nodes": "all", "command": ["rm", "-f", "/etc/cni/net.d/10-flannel.conflist"]}}),
            json!({"applySlice": {"file": "manifests/slice.yaml", "pods": {"namespace": "s", "selector": {"matchLabels": {"app": "db"}}}}}),
        ];
        for sample in samples {
            assert_eq!(step(sample.clone()).problems(), Vec::new(), "{sample}");
        }
    }

    #[test]
    fn rejects_unsafe_or_inconsistent_steps() {
        assert_eq!(fields(json!({"apply": "../other/app.yaml"})), ["apply"]);
        assert_eq!(fields(json!({"apply": "manifests/app.json"})), ["apply"]);
        assert_eq!(fields(json!({"wait": {}})), ["wait"]);
        assert_eq!(
            fields(json!({"wait": {"rollout": {"kind": "Service", "name": "web", "namespace": "s"}}})),
            ["wait.rollout.kind"]
        );
        assert_eq!(
            fields(
                json!({"patch": {"target": {"kind": "Service", "name": "web", "namespace": "s"}, "type": "json", "patch": {"a": 1}}})
            ),
            ["patch.patch"]
        );
        assert_eq!(
            fields(json!({"scale": {"target": {"kind": "Service", "name": "web", "namespace": "s"}, "replicas": 1}})),
            ["scale.target.kind"]
        );
        assert_eq!(
            fields(json!({"nodeExec": {"nodes": "all", "command": ["rm -f /x"]}})),
            ["nodeExec.command"]
        );
        assert_eq!(
            fields(json!({"restartPods": {"namespace": "s", "selector": {}}})),
            ["restartPods.selector"]
        );
        assert_eq!(
            fields(json!({"applySlice": {"file": "../slice.yaml", "pods": {"namespace": "s", "selector": {}}}})),
            ["applySlice.file", "applySlice.pods.selector"]
        );
    }

    #[test]
    fn a_slice_gets_one_ready_endpoint_per_ip_in_order() {
        assert_eq!(
            SliceStep::endpoints(["10.244.0.9", "10.244.0.10", "10.244.0.9"]),
            json!([{"addresses": ["10.244.0.10"], "conditions": {"ready": true}},
                   {"addresses": ["10.244.0.9"], "conditions": {"ready": true}}])
        );
        let slice = step(
            json!({"applySlice": {"file": "m/s.yaml", "pods": {"namespace": "shop", "selector": {"matchLabels": {"a": "b"}}}}}),
        );
        assert_eq!(slice.manifest(), Some("m/s.yaml"));
        assert_eq!(slice.name(), "applySlice");
        assert!(!slice.is_cluster_wide());
    }

    #[test]
    fn unknown_step_is_a_parse_error() {
        let err = serde_json::from_value::<Step>(json!({"shell": "kubectl delete ns x"})).expect_err("unknown");
        assert!(err.to_string().contains("unknown variant `shell`"), "{err}");
    }

    #[test]
    fn cluster_wide_steps_are_detected() {
        assert!(step(json!({"nodeExec": {"nodes": "all", "command": ["true"]}})).is_cluster_wide());
        assert!(
            step(json!({"restartPods": {"namespace": "kube-system", "selector": {"matchLabels": {"a": "b"}}}}))
                .is_cluster_wide()
        );
        assert!(!step(json!({"delete": {"kind": "Service", "name": "x", "namespace": "shop"}})).is_cluster_wide());
    }
}
