//! Live probes: for every probe check, plan it ([`script`]), group the plans by the pod they
//! run in, and run each group as one `sh -c` exec (kube's `ws` exec), at most
//! [`MAX_IN_FLIGHT`] at a time. Probe pods (for `probeLabels` and node sources) are created
//! with the digest-pinned agnhost image, awaited, read back and compared with what was sent
//! ([`integrity`]) before and after the exec, and deleted again whatever happens. Every script's
//! output must be framed by the grade's nonce, drawn once per [`Live::probe`] from the OS RNG.
//! A probe pod that was altered, or output without the nonce, gives a tampered result.
//!
//! Produces `ProbeResult`s; never grades or prints, and never trusts a probe pod's output
//! before the pod was checked. Creating probe pods asks the guard.

pub mod integrity;
pub mod script;

use std::collections::BTreeMap;
use std::time::Duration;

use futures::{StreamExt, stream};
use graders::Check;
use graders::state::{ClusterState, Outcome, ProbeResult};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, AttachParams, DeleteParams, PostParams};
use serde_json::json;
use tokio::io::AsyncReadExt;

use self::script::{Nonce, Plan, Unplanned, Via, failed, parse, plan, result, tampered};
use super::error::ClusterError;
use super::live::Live;
use super::safety::Scope;

/// Most execs running at once.
pub const MAX_IN_FLIGHT: usize = 4;
/// How long a probe pod may take to start.
pub const PROBE_POD_START: Duration = Duration::from_secs(90);
pub use graders::state::PROBE_ANNOTATION;

/// The probe pod for a [`Via::ProbePod`], named `name`.
#[must_use]
pub fn probe_pod(name: &str, via: &Via, image: &str) -> Option<Pod> {
    let Via::ProbePod {
        namespace,
        labels,
        node,
    } = via
    else {
        return None;
    };
    // No service account token: any volume on the pod was added by someone else.
    let mut spec = json!({
        "terminationGracePeriodSeconds": 0,
        "restartPolicy": "Never",
        "automountServiceAccountToken": false,
        "containers": [{"name": "probe", "image": image, "args": ["pause"]}],
    });
    if let Some(node) = node {
        spec["hostNetwork"] = json!(true);
        spec["nodeName"] = json!(node);
        spec["tolerations"] = json!([{"operator": "Exists"}]);
    }
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels, "annotations": {PROBE_ANNOTATION: "true"}},
        "spec": spec,
    }))
    .ok()
}

/// A probe pod name unique to this source and run.
#[must_use]
pub fn probe_pod_name(index: usize) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("kubedrill-probe-{index}-{nanos:x}")
}

/// Why a probe group's output is not used.
#[derive(Debug)]
enum NotRun {
    /// The cluster failed (an environment problem).
    Cluster(ClusterError),
    /// The probe pod or its output is not what kubedrill sent: what changed.
    Tampered(String),
}

impl From<ClusterError> for NotRun {
    fn from(error: ClusterError) -> Self {
        Self::Cluster(error)
    }
}

/// A fresh nonce from the OS random number generator.
fn draw_nonce() -> Result<Nonce, getrandom::Error> {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes)?;
    Ok(Nonce::from_bytes(bytes))
}

impl Live {
    /// Run the probes of every probe check in `checks` against the cluster whose current
    /// state is `state`; results by check id. One nonce frames every script of this call.
    pub async fn probe(&self, checks: &[Check], state: &ClusterState) -> BTreeMap<String, ProbeResult> {
        let mut results = BTreeMap::new();
        let mut groups: BTreeMap<Via, Vec<Plan>> = BTreeMap::new();
        for check in checks.iter().filter(|c| c.spec.is_probe()) {
            // An unresolvable binding (its Service deleted, say) fails the check when grading;
            // there is nothing to probe.
            let Ok(spec) = check.resolved_spec(state) else {
                continue;
            };
            match plan(check, &spec, state) {
                Ok(plan) => groups.entry(plan.via.clone()).or_default().push(plan),
                Err(Unplanned::Destination(why)) => {
                    results.insert(check.id.clone(), unplanned(why, false));
                }
                Err(Unplanned::Source(why)) => {
                    results.insert(check.id.clone(), unplanned(why, true));
                }
            }
        }
        let nonce = match draw_nonce() {
            Ok(nonce) => nonce,
            Err(e) => {
                let why = format!(
                    "no random nonce for the probe scripts: {e} (hint: the OS random number generator failed; grade again)"
                );
                results.extend(
                    groups
                        .values()
                        .flatten()
                        .map(|p| (p.check_id.clone(), failed(p, why.clone()))),
                );
                return results;
            }
        };
        let nonce = &nonce;
        let runs = stream::iter(groups.into_iter().enumerate())
            .map(|(index, (via, plans))| async move { self.run_group(index, &via, &plans, nonce).await })
            .buffer_unordered(MAX_IN_FLIGHT)
            .collect::<Vec<_>>()
            .await;
        results.extend(runs.into_iter().flatten());
        results
    }

    async fn run_group(&self, index: usize, via: &Via, plans: &[Plan], nonce: &Nonce) -> Vec<(String, ProbeResult)> {
        let refs: Vec<&Plan> = plans.iter().collect();
        let name = probe_pod_name(index);
        let output = self.run_script(&name, via, &script::script(&refs, nonce)).await;
        let parsed = output.and_then(|text| {
            parse(&text, nonce).map_err(|unframed| NotRun::Tampered(format!("{}: {unframed}", via_text(via, &name))))
        });
        plans
            .iter()
            .map(|plan| {
                let result = match &parsed {
                    Ok(parsed) => result(plan, &parsed.get(&plan.check_id).cloned().unwrap_or_default()),
                    Err(NotRun::Cluster(error)) => failed(plan, error.to_string()),
                    Err(NotRun::Tampered(what)) => tampered(plan, what.clone()),
                };
                (plan.check_id.clone(), result)
            })
            .collect()
    }

    async fn run_script(&self, name: &str, via: &Via, script: &str) -> Result<String, NotRun> {
        match via {
            Via::Exec { namespace, pod } => Ok(self.exec(namespace, pod, script).await?),
            Via::ProbePod { namespace, .. } => {
                self.guard.allow(
                    &format!("create probe pod {namespace}/{name}"),
                    Scope::Namespaced(namespace),
                )?;
                let pod = probe_pod(name, via, self.probe_image).ok_or_else(|| ClusterError::Api {
                    action: "create",
                    object: format!("pod {namespace}/{name}"),
                    message: "probe pod manifest".to_owned(),
                })?;
                let pods: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
                let ran = async {
                    pods.create(&PostParams::default(), &pod)
                        .await
                        .map_err(|e| ClusterError::api("create", format!("probe pod {namespace}/{name}"), &e))?;
                    self.await_running(&pods, namespace, name).await?;
                    let before = self.check_probe_pod(&pods, &pod, name, None).await?;
                    let output = self.exec(namespace, name, script).await?;
                    // Checked again: an image changed meanwhile restarts the container.
                    self.check_probe_pod(&pods, &pod, name, Some(&before)).await?;
                    Ok(output)
                }
                .await;
                // Always removed, whether the probe ran or not.
                let _ = pods.delete(name, &DeleteParams::default().grace_period(0)).await;
                ran
            }
        }
    }

    /// Read the probe pod back and compare it with `sent` (and with the pod read `before` the
    /// exec, when given); the pod as read.
    async fn check_probe_pod(
        &self,
        pods: &Api<Pod>,
        sent: &Pod,
        name: &str,
        before: Option<&Pod>,
    ) -> Result<Pod, NotRun> {
        let observed = pods
            .get(name)
            .await
            .map_err(|e| ClusterError::api("read", format!("probe pod {name}"), &e))?;
        let mut found = integrity::differences(sent, &observed);
        if let Some(before) = before {
            found.extend(integrity::replaced(before, &observed));
        }
        if found.is_empty() {
            Ok(observed)
        } else {
            let namespace = sent.metadata.namespace.as_deref().unwrap_or_default();
            Err(NotRun::Tampered(integrity::tamper_message(
                &format!("{namespace}/{name}"),
                &found,
            )))
        }
    }

    async fn await_running(&self, pods: &Api<Pod>, namespace: &str, name: &str) -> Result<(), ClusterError> {
        let running =
            kube::runtime::wait::await_condition(pods.clone(), name, kube::runtime::conditions::is_pod_running());
        match tokio::time::timeout(PROBE_POD_START, running).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(ClusterError::Api {
                action: "watch",
                object: format!("probe pod {namespace}/{name}"),
                message: e.to_string(),
            }),
            Err(_) => Err(ClusterError::Timeout {
                what: format!("probe pod {namespace}/{name} to start"),
                after: PROBE_POD_START,
                last: format!("kubectl -n {namespace} describe pod {name}"),
            }),
        }
    }

    /// Run `script` with `sh -c` in a pod's default container (see [`default_container`]);
    /// its standard output. The API server refuses exec into a pod of several containers
    /// when no container is named, so one always is.
    pub async fn exec(&self, namespace: &str, pod: &str, script: &str) -> Result<String, ClusterError> {
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let what = format!("pod {namespace}/{pod}");
        let found = pods
            .get(pod)
            .await
            .map_err(|e| ClusterError::api("read", what.clone(), &e))?;
        let mut params = AttachParams::default().stdout(true).stderr(false).stdin(false);
        if let Some(container) = default_container(&found) {
            params = params.container(container);
        }
        let mut process = pods
            .exec(pod, ["sh", "-c", script], &params)
            .await
            .map_err(|e| ClusterError::api("exec in", what.clone(), &e))?;
        let mut bytes = Vec::new();
        if let Some(mut stdout) = process.stdout() {
            stdout.read_to_end(&mut bytes).await.map_err(|e| ClusterError::Api {
                action: "read exec output of",
                object: what.clone(),
                message: e.to_string(),
            })?;
        }
        process.join().await.map_err(|e| ClusterError::Api {
            action: "exec in",
            object: what,
            message: e.to_string(),
        })?;
        // A multi-byte character cut by the pod's output must not lose the whole probe group.
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// The annotation kubectl reads to choose a pod's container for exec and logs.
pub const DEFAULT_CONTAINER_ANNOTATION: &str = "kubectl.kubernetes.io/default-container";

/// The container `kubectl exec` would choose: the one the
/// `kubectl.kubernetes.io/default-container` annotation names when the pod has it, else the
/// first container (as kubectl's `podcmd.FindOrDefaultContainerByName` in
/// `staging/src/k8s.io/kubectl/pkg/cmd/util/podcmd/podcmd.go` does).
#[must_use]
pub fn default_container(pod: &Pod) -> Option<String> {
    let containers = &pod.spec.as_ref()?.containers;
    let annotated = pod
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(DEFAULT_CONTAINER_ANNOTATION))
        .filter(|name| containers.iter().any(|c| &c.name == *name));
    annotated
        .cloned()
        .or_else(|| containers.first().map(|c| c.name.clone()))
}

/// Where a probe group ran (`name`: its probe pod's name, if it had one), for messages.
fn via_text(via: &Via, name: &str) -> String {
    match via {
        Via::Exec { namespace, pod } => format!("exec in pod {namespace}/{pod}"),
        Via::ProbePod { namespace, .. } => format!("probe pod {namespace}/{name}"),
    }
}

/// A result for a probe that could not be planned: a missing destination is the learner's
/// (the probe "ran" and found nothing to reach); a missing source is the environment's.
fn unplanned(why: String, environment: bool) -> ProbeResult {
    ProbeResult {
        outcome: if environment { Outcome::Other } else { Outcome::Refused },
        addresses: Vec::new(),
        http_status: None,
        body: None,
        attempts: 0,
        held_ms: 0,
        command: String::new(),
        output: why.clone(),
        error: environment.then_some(why),
        tampered: None,
    }
}

#[cfg(test)]
mod tests {
    use graders::Check;
    use graders::state::ClusterState;
    use serde_json::json;

    use super::{PROBE_ANNOTATION, probe_pod};
    use crate::cluster::mock::{echo, live, requests};
    use crate::cluster::probe::script::Via;
    use crate::cluster::safety::Ownership;

    #[test]
    fn probe_pods_carry_exactly_the_asked_labels() {
        use crate::images::PROBE_IMAGE;
        let via = Via::ProbePod {
            namespace: "shop".into(),
            labels: [("app".to_owned(), "frontend".to_owned())].into(),
            node: None,
        };
        let pod = probe_pod("kubedrill-probe-0", &via, PROBE_IMAGE).expect("pod");
        assert_eq!(
            pod.metadata.labels,
            Some([("app".to_owned(), "frontend".to_owned())].into())
        );
        assert!(
            pod.metadata
                .annotations
                .unwrap_or_default()
                .contains_key(PROBE_ANNOTATION)
        );
        let spec = pod.spec.expect("spec");
        assert_eq!(spec.termination_grace_period_seconds, Some(0));
        assert_eq!(spec.host_network, None);
        assert_eq!(
            spec.automount_service_account_token,
            Some(false),
            "no volume is expected"
        );
        assert_eq!(spec.containers[0].image.as_deref(), Some(crate::images::PROBE_IMAGE));
        let node = Via::ProbePod {
            namespace: "default".into(),
            labels: [].into(),
            node: Some("w".into()),
        };
        let spec = probe_pod("p", &node, PROBE_IMAGE).and_then(|p| p.spec).expect("spec");
        assert_eq!((spec.host_network, spec.node_name.as_deref()), (Some(true), Some("w")));
    }

    #[tokio::test]
    async fn a_foreign_cluster_gets_no_probe_pod_and_the_result_says_why() {
        let check: Check = serde_json::from_value(json!({"id": "c", "points": 1, "description": "d", "grader": "connectivity",
            "with": {"from": {"namespace": "shop", "probeLabels": {"app": "x"}}, "to": {"host": "10.0.0.1", "port": 80}, "expect": "allowed"}}))
        .expect("check");
        let (live, log) = live(Ownership::Foreign, false, echo);
        let results = live.probe(&[check], &ClusterState::default()).await;
        let error = results["c"].error.clone().unwrap_or_default();
        assert!(error.contains("not created by kubedrill"), "{error}");
        assert!(requests(&log).is_empty());
    }

    /// The I/O around the check on a mocked API server whose "webhook" swapped the image: the
    /// pod is created, watched until running, read back, found altered, never exec'd into, and
    /// deleted; the result is tampered and names the image.
    #[tokio::test]
    async fn a_probe_pod_read_back_altered_is_deleted_unexec_d_and_tampered() {
        let check: Check = serde_json::from_value(json!({"id": "c", "points": 1, "description": "d", "grader": "connectivity",
            "with": {"from": {"namespace": "shop", "probeLabels": {"app": "x"}}, "to": {"host": "10.0.0.1", "port": 80}, "expect": "allowed"}}))
        .expect("check");
        let created = std::sync::Arc::new(std::sync::Mutex::new(serde_json::Value::Null));
        let seen = std::sync::Arc::clone(&created);
        let (live, log) = live(Ownership::Owned("kubedrill-kindnet".into()), false, move |request| {
            let mut pod = seen.lock().map(|p| p.clone()).unwrap_or_default();
            if request.method == "POST" {
                pod = request.body.clone();
                pod["spec"]["containers"][0]["image"] = json!("registry.example/fake:1");
                if let Ok(mut stored) = seen.lock() {
                    *stored = pod.clone();
                }
                return (201, pod);
            }
            pod["metadata"]["resourceVersion"] = json!("2");
            pod["status"] = json!({"phase": "Running", "containerStatuses": [{"name": "probe", "image": "registry.example/fake:1",
                "imageID": "registry.example/fake@sha256:0123", "ready": true, "restartCount": 0}]});
            match request.method.as_str() {
                "DELETE" => (200, pod),
                _ if request.uri.contains("watch=true") => (200, json!({"type": "ADDED", "object": pod})),
                _ if request.uri.contains("fieldSelector") => (
                    200,
                    json!({"apiVersion": "v1", "kind": "PodList", "metadata": {"resourceVersion": "2"}, "items": [pod]}),
                ),
                _ => (200, pod),
            }
        });
        let results = live.probe(&[check], &ClusterState::default()).await;
        let tampered = results["c"].tampered.clone().unwrap_or_default();
        assert!(
            tampered.contains("was altered after kubedrill created it: container `probe` image registry.example/fake:1 instead of registry.k8s.io/e2e-test-images/agnhost:2.53@sha256:99c6"),
            "{tampered}"
        );
        assert!(
            tampered.contains("runs image ID registry.example/fake@sha256:0123"),
            "{tampered}"
        );
        let methods: Vec<String> = requests(&log).iter().map(|r| r.method.clone()).collect();
        assert_eq!(methods.first().map(String::as_str), Some("POST"), "{methods:?}");
        assert_eq!(methods.last().map(String::as_str), Some("DELETE"), "{methods:?}");
        assert!(
            !requests(&log).iter().any(|r| r.uri.contains("/exec")),
            "no exec into an altered pod"
        );
    }

    #[test]
    fn exec_chooses_the_annotated_container_else_the_first() {
        let pod = |annotation: Option<&str>| -> k8s_openapi::api::core::v1::Pod {
            let mut pod = serde_json::json!({
                "metadata": {"name": "p", "namespace": "n"},
                "spec": {"containers": [{"name": "app"}, {"name": "sidecar"}]}
            });
            if let Some(name) = annotation {
                pod["metadata"]["annotations"] = serde_json::json!({super::DEFAULT_CONTAINER_ANNOTATION: name});
            }
            serde_json::from_value(pod).expect("pod")
        };
        assert_eq!(super::default_container(&pod(None)).as_deref(), Some("app"));
        assert_eq!(
            super::default_container(&pod(Some("sidecar"))).as_deref(),
            Some("sidecar")
        );
        // kubectl ignores an annotation naming no container of the pod.
        assert_eq!(super::default_container(&pod(Some("gone"))).as_deref(), Some("app"));
    }
}
