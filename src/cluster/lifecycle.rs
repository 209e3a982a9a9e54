//! Cluster lifecycle per profile: `up` (create or reuse, CNI, our own readiness gate, then the
//! pod-network canary: pod-to-pod to every node, and deny-all enforced on policy profiles),
//! `down`, `status`, `reset` (scenario namespaces removed, saved system objects put back,
//! unhealthy system pods restarted, gate and pod-to-pod canary; recreate only when they fail), and
//! `setup` of a rendered scenario (apply, break, verify it is broken). Every phase is timed.
//!
//! Orchestrates the sibling modules; reports phases through [`Progress`], never prints.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use graders::address::node_is_ready;
use graders::needs::{ListRequest, Needs};
use graders::state::{ClusterState, Observation};
use graders::target::{ObjectKind, ObjectRef};
use graders::{Check, CheckSpec, rollout};
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use serde::Serialize;

use super::cni;
use super::error::ClusterError;
use super::kind::{Kind, cluster_name, render_config};
use super::live::{Live, ProbeMode};
use super::paths::DataDir;
use super::process::Runner;
use super::safety::{Scope, is_system_namespace};
use super::steps::{Nodes, StepContext};
use super::wait::{Poll, internal_check};
use crate::scenario::model::Profile;
use crate::scenario::render::Rendered;

/// Annotation kubedrill puts on the Namespaces it applies, so reset knows what to remove; its
/// value is the scenario id (or `true` for namespaces applied outside an attempt).
pub const NAMESPACE_ANNOTATION: &str = "kubedrill.dev/scenario";
/// Annotation with the attempt's seed on the Namespaces a scenario's steps apply, so grading
/// with the wrong seed can name the right one.
pub const SEED_ANNOTATION: &str = "kubedrill.dev/seed";
/// How long removing scenario namespaces may take before kubedrill names the one stuck.
pub const NAMESPACE_DELETION_TIMEOUT: Duration = Duration::from_secs(120);
/// How long the readiness gate waits after a create.
pub const GATE_TIMEOUT: Duration = Duration::from_secs(240);

/// Phase reporting (spinners in the printer).
pub trait Progress {
    /// A phase starts.
    fn begin(&self, phase: &str);
    /// It ended after `elapsed`.
    fn end(&self, phase: &str, elapsed: Duration);
}

/// No reporting.
pub struct Silent;

impl Progress for Silent {
    fn begin(&self, _: &str) {}
    fn end(&self, _: &str, _: Duration) {}
}

/// One timed phase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Timing {
    /// What ran.
    pub phase: String,
    /// How long, in milliseconds.
    pub ms: u128,
}

/// Every phase's time, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Timings(pub Vec<Timing>);

impl Timings {
    /// Run `work` as `phase`, timing and reporting it.
    pub async fn run<T>(
        &mut self,
        progress: &dyn Progress,
        phase: &str,
        work: impl Future<Output = Result<T, ClusterError>>,
    ) -> Result<T, ClusterError> {
        progress.begin(phase);
        let start = Instant::now();
        let result = work.await;
        let elapsed = start.elapsed();
        progress.end(phase, elapsed);
        self.0.push(Timing {
            phase: phase.to_owned(),
            ms: elapsed.as_millis(),
        });
        result
    }
}

/// kind's node containers, reached with `docker`.
pub struct KindNodes<'r> {
    /// Runs docker and kind.
    pub runner: &'r dyn Runner,
    /// kind's program.
    pub kind: String,
    /// The cluster.
    pub cluster: String,
}

impl Nodes for KindNodes<'_> {
    fn names(&self) -> Result<Vec<String>, ClusterError> {
        Ok(Kind::with_program(self.runner, self.kind.clone()).nodes(&self.cluster)?)
    }

    fn exec(&self, node: &str, argv: &[String]) -> Result<(), ClusterError> {
        let mut docker: Vec<&str> = vec!["exec", node];
        docker.extend(argv.iter().map(String::as_str));
        cni::check(&self.runner.run("docker", &docker)?, &argv.join(" "), node)
    }
}

/// What the readiness gate looks at.
#[must_use]
pub fn gate_lists(profile: Profile) -> BTreeSet<ListRequest> {
    let mut lists = Needs::of(&gate_checks(profile)).lists;
    lists.insert((ObjectKind::Node, None));
    lists
}

fn rollout_check(target: ObjectRef) -> Check {
    internal_check(
        format!("{}-ready", target.name),
        format!("{} {} rolled out", target.kind, target.name),
        CheckSpec::Rollout(rollout::Params { target }),
    )
}

/// The gate's rollouts: the CNI DaemonSet, kube-proxy, CoreDNS.
#[must_use]
pub fn gate_checks(profile: Profile) -> Vec<Check> {
    let system = |kind, name: &str| ObjectRef {
        kind,
        name: name.to_owned(),
        namespace: Some("kube-system".to_owned()),
    };
    vec![
        rollout_check(cni::daemon_set(profile)),
        rollout_check(system(ObjectKind::DaemonSet, "kube-proxy")),
        rollout_check(system(ObjectKind::Deployment, "coredns")),
    ]
}

/// Whether the cluster is healthy: every node Ready and every gate rollout complete; the
/// first thing that is not, otherwise.
pub fn healthy(profile: Profile, state: &ClusterState) -> Result<(), String> {
    if state.nodes.is_empty() {
        return Err("no nodes".to_owned());
    }
    if let Some(node) = state.nodes.iter().find(|n| !node_is_ready(n)) {
        return Err(format!(
            "node {} is not Ready",
            node.metadata.name.as_deref().unwrap_or("?")
        ));
    }
    let observation = Observation {
        state: state.clone(),
        ..Observation::default()
    };
    for check in gate_checks(profile) {
        if !check.spec.evaluate(&check.id, &observation).is_pass() {
            return Err(format!("{} is not complete", check.description));
        }
    }
    Ok(())
}

impl Live {
    /// Wait until [`healthy`].
    pub async fn gate(&self, profile: Profile, timeout: Duration) -> Result<(), ClusterError> {
        let lists = gate_lists(profile);
        self.poll_until("the cluster to be healthy", &lists, Poll::for_up_to(timeout), |state| {
            healthy(profile, state)
        })
        .await
    }

    /// Remove every Namespace kubedrill applied (annotated), and any probe pod left elsewhere,
    /// and wait until they are gone: namespace deletion is asynchronous, and the API server
    /// refuses to create into a namespace that is still terminating (403).
    pub async fn remove_scenario_namespaces(&self) -> Result<Vec<String>, ClusterError> {
        let namespaces: Api<Namespace> = Api::all(self.client.clone());
        let list = namespaces
            .list_metadata(&ListParams::default())
            .await
            .map_err(|e| ClusterError::api("list", "namespaces", &e))?;
        let mut removed = Vec::new();
        for ns in list.items {
            let annotated = ns
                .metadata
                .annotations
                .as_ref()
                .is_some_and(|a| a.contains_key(NAMESPACE_ANNOTATION));
            let Some(name) = ns.metadata.name.filter(|n| annotated && !is_system_namespace(n)) else {
                continue;
            };
            self.delete_namespace(&name).await?;
            removed.push(name);
        }
        self.sweep_probe_pods(super::probe::script::NODE_PROBE_NAMESPACE)
            .await?;
        self.await_namespaces_gone(&removed, NAMESPACE_DELETION_TIMEOUT).await?;
        Ok(removed)
    }

    /// Ask for `name`'s deletion. A namespace already terminating answers 409 and a missing
    /// one 404: both mean "it is going".
    pub async fn delete_namespace(&self, name: &str) -> Result<(), ClusterError> {
        self.guard
            .allow(&format!("delete namespace {name}"), Scope::Namespace(name))?;
        let namespaces: Api<Namespace> = Api::all(self.client.clone());
        match namespaces.delete(name, &DeleteParams::default()).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => Ok(()),
            Err(e) => Err(ClusterError::api("delete", format!("namespace {name}"), &e)),
        }
    }

    /// Poll (one Namespace list a look) until none of `names` exists; on timeout the error
    /// names the first one left and why it is stuck (its finalizers and the conditions the
    /// namespace controller reports).
    pub async fn await_namespaces_gone(&self, names: &[String], timeout: Duration) -> Result<(), ClusterError> {
        if names.is_empty() {
            return Ok(());
        }
        let lists = BTreeSet::from([(ObjectKind::Namespace, None)]);
        let poll = Poll {
            timeout,
            interval: Duration::from_millis(500),
        };
        self.poll_until("scenario namespaces to be deleted", &lists, poll, |state| {
            match state
                .namespaces
                .iter()
                .find(|ns| ns.metadata.name.as_ref().is_some_and(|n| names.contains(n)))
            {
                Some(ns) => Err(format!(
                    "namespace `{}`: {}",
                    ns.metadata.name.as_deref().unwrap_or("?"),
                    namespace_blockers(ns)
                )),
                None => Ok(()),
            }
        })
        .await
    }

    /// Delete probe pods (marked by annotation) a cancelled run left in `namespace`.
    async fn sweep_probe_pods(&self, namespace: &str) -> Result<(), ClusterError> {
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let list = pods
            .list_metadata(&ListParams::default())
            .await
            .map_err(|e| ClusterError::api("list", format!("pods in {namespace}"), &e))?;
        for pod in list.items {
            let is_probe = pod
                .metadata
                .annotations
                .as_ref()
                .is_some_and(|a| a.contains_key(super::probe::PROBE_ANNOTATION));
            if let (true, Some(name)) = (is_probe, pod.metadata.name) {
                self.guard.allow(
                    &format!("delete probe pod {namespace}/{name}"),
                    Scope::Namespaced(namespace),
                )?;
                let _ = pods.delete(&name, &DeleteParams::default().grace_period(0)).await;
            }
        }
        Ok(())
    }

    /// Put back every system object saved before a scenario changed it, then restart system
    /// pods that are not Ready so they pick the restored config up.
    pub async fn restore_saved(&self, dir: &Path) -> Result<usize, ClusterError> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(0);
        };
        let mut restored = 0;
        for entry in entries.flatten() {
            let path = entry.path();
            let text = std::fs::read_to_string(&path).map_err(|e| ClusterError::io(&path, &e))?;
            let object: serde_json::Value = serde_json::from_str(&text).map_err(|e| ClusterError::Io {
                path: path.clone(),
                message: e.to_string(),
            })?;
            self.replace_saved(object).await?;
            std::fs::remove_file(&path).map_err(|e| ClusterError::io(&path, &e))?;
            restored += 1;
        }
        if restored > 0 {
            self.restart_unready("kube-system").await?;
        }
        Ok(restored)
    }

    async fn replace_saved(&self, mut object: serde_json::Value) -> Result<(), ClusterError> {
        let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
        let (api_version, kind) = (text(&object["apiVersion"]), text(&object["kind"]));
        let (name, namespace) = (
            text(&object["metadata"]["name"]),
            text(&object["metadata"]["namespace"]),
        );
        let resolved = self.kinds.resolve(&api_version, &kind).await?;
        self.guard.allow(
            &format!("restore {kind} {namespace}/{name}"),
            Scope::Namespaced(&namespace),
        )?;
        let api = self.dynamic(&resolved, resolved.namespaced.then_some(namespace.as_str()));
        if let Some(meta) = object.get_mut("metadata").and_then(|m| m.as_object_mut()) {
            for field in [
                "resourceVersion",
                "uid",
                "managedFields",
                "creationTimestamp",
                "generation",
            ] {
                meta.remove(field);
            }
        }
        let what = format!("{kind} {namespace}/{name}");
        let current = api
            .get_opt(&name)
            .await
            .map_err(|e| ClusterError::api("read", what.clone(), &e))?;
        let mut saved: kube::api::DynamicObject = serde_json::from_value(object).map_err(|e| ClusterError::Api {
            action: "restore",
            object: what.clone(),
            message: e.to_string(),
        })?;
        let result = match current {
            Some(current) => {
                saved.metadata.resource_version = current.metadata.resource_version;
                api.replace(&name, &PostParams::default(), &saved).await
            }
            None => api.create(&PostParams::default(), &saved).await,
        };
        result.map(drop).map_err(|e| ClusterError::api("restore", what, &e))
    }

    async fn restart_unready(&self, namespace: &str) -> Result<(), ClusterError> {
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let list = pods
            .list(&ListParams::default())
            .await
            .map_err(|e| ClusterError::api("list", format!("pods in {namespace}"), &e))?;
        for pod in list.items.iter().filter(|p| !graders::state::pod_is_ready(p)) {
            if let Some(name) = &pod.metadata.name {
                self.guard
                    .allow(&format!("restart pod {namespace}/{name}"), Scope::Namespaced(namespace))?;
                let _ = pods.delete(name, &DeleteParams::default()).await;
            }
        }
        Ok(())
    }

    /// Set up a rendered scenario: apply and break it (saving system objects first), then run
    /// its checks once; they must not all pass.
    pub async fn setup(
        &self,
        scenario: &str,
        rendered: &Rendered,
        nodes: Option<&dyn Nodes>,
        saved: Option<&Path>,
        timings: &mut Timings,
        progress: &dyn Progress,
    ) -> Result<Observation, ClusterError> {
        let context = StepContext {
            rendered,
            scenario,
            nodes,
            saved,
        };
        timings
            .run(progress, "apply and break", self.run_steps(&rendered.setup, &context))
            .await?;
        let mut observation = timings
            .run(progress, "verify broken", self.observe_checks(&rendered.checks))
            .await?;
        // `unchanged` checks compare with what setup applied; without it they would error and
        // count as "not passing", hiding a breakage that did not stick.
        observation.baseline = Some(rendered.setup_baseline().map_err(|message| ClusterError::Api {
            action: "verify",
            object: format!("scenario {scenario}"),
            message,
        })?);
        let passing = graders::score::grade(&rendered.checks, &observation)
            .iter()
            .filter(|r| r.verdict.is_pass())
            .count();
        if passing == rendered.checks.len() {
            return Err(ClusterError::NotBroken {
                scenario: scenario.to_owned(),
                passing,
                total: rendered.checks.len(),
            });
        }
        Ok(observation)
    }

    /// Observe what `checks` need, and probe their traffic unless the probe mode is
    /// [`ProbeMode::Predict`] (then the graders predict it from the state). Probes are planned
    /// on the first state and run while the state settles ([`Live::settle`]), so a grade waits
    /// for the longer of the two, not their sum.
    pub async fn observe_checks(&self, checks: &[Check]) -> Result<Observation, ClusterError> {
        let needs = match self.probes {
            ProbeMode::Exec => Needs::of(checks),
            ProbeMode::Predict => Needs::for_prediction(checks),
        };
        let mut lists = needs.lists;
        let mut first = self.observe(&lists).await?;
        // An ExternalName's CNAME may lead into a namespace no check named, and a selectorless
        // Service's slices to pods in any namespace (graders::needs::follow_ups).
        let extra = graders::needs::follow_ups(&first, &lists);
        if !extra.is_empty() {
            first.merge(self.observe(&extra).await?);
            lists.extend(extra);
        }
        let (state, probes) = match self.probes {
            ProbeMode::Exec => {
                let (state, probes) =
                    tokio::join!(self.settle(checks, &lists, first.clone()), self.probe(checks, &first));
                (state?, probes)
            }
            ProbeMode::Predict => (
                self.settle(checks, &lists, first).await?,
                std::collections::BTreeMap::new(),
            ),
        };
        Ok(Observation {
            state,
            baseline: None,
            probes,
        })
    }

    /// [`Self::observe_checks`] for an attempt at `rendered`. When none of the attempt's
    /// namespaces is seen, the cluster's namespaces are listed too and added to the state, so a
    /// wrong seed can be told from a failing attempt; `true` says that list was taken (RBAC may
    /// forbid it: then the attempt is graded as it is).
    pub async fn observe_attempt(&self, rendered: &Rendered) -> Result<(Observation, bool), ClusterError> {
        let mut observation = self.observe_checks(&rendered.checks).await?;
        let seen = crate::seed_match::check(rendered, rendered.scenario_id(), &[&observation.state], |_| None);
        if seen.is_ok() {
            return Ok((observation, false));
        }
        let Ok(listed) = self.observe([&(ObjectKind::Namespace, None)]).await else {
            return Ok((observation, false));
        };
        observation.state.namespaces.extend(listed.namespaces);
        Ok((observation, true))
    }
}

/// What keeps a terminating namespace alive: its finalizers and the namespace controller's
/// conditions that are true (remaining content, failed deletions).
#[must_use]
pub fn namespace_blockers(ns: &Namespace) -> String {
    let finalizers = ns.spec.as_ref().and_then(|s| s.finalizers.clone()).unwrap_or_default();
    let conditions: Vec<String> = ns
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten()
        .filter(|c| c.status == "True")
        .map(|c| format!("{}: {}", c.type_, c.message.as_deref().unwrap_or("")))
        .collect();
    let phase = ns
        .status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_else(|| "?".to_owned());
    let mut text = format!("phase {phase}, finalizers [{}]", finalizers.join(", "));
    if !conditions.is_empty() {
        text = format!("{text}; {}", conditions.join("; "));
    }
    text
}

/// Whether the profile's kind cluster exists and kubedrill has its kubeconfig.
pub fn exists(profile: Profile, data: &DataDir, runner: &dyn Runner) -> Result<bool, ClusterError> {
    let kind = Kind::with_program(runner, super::tools::program("kind", &data.bin()));
    Ok(kind.clusters()?.contains(&cluster_name(profile)) && data.kubeconfig(profile).is_file())
}

/// Create (or reuse) the profile's cluster, install its CNI and wait for our gate.
pub async fn up(
    profile: Profile,
    workers: u8,
    data: &DataDir,
    runner: &dyn Runner,
    progress: &dyn Progress,
) -> Result<Timings, ClusterError> {
    let mut timings = Timings::default();
    let name = cluster_name(profile);
    let kind_program = super::tools::program("kind", &data.bin());
    let kind = Kind::with_program(runner, kind_program.clone());
    let kubeconfig = data.kubeconfig(profile);
    let exists = exists(profile, data, runner)?;
    if !exists {
        let dir = data.cluster(profile);
        std::fs::create_dir_all(&dir).map_err(|e| ClusterError::io(&dir, &e))?;
        let config = dir.join("kind.yaml");
        std::fs::write(&config, render_config(profile, workers)?).map_err(|e| ClusterError::io(&config, &e))?;
        timings
            .run(progress, "create cluster", async {
                Ok(kind.create(&name, &config, &kubeconfig)?)
            })
            .await?;
    }
    let live = Live::open(&kubeconfig, None, Some(&name), false).await?;
    let nodes = KindNodes {
        runner,
        kind: kind_program,
        cluster: name.clone(),
    };
    // Also when an earlier `up` stopped between creating the cluster and installing the CNI:
    // a second `up` resumes instead of waiting for a CNI that never comes.
    let cni = cni::daemon_set(profile);
    let state = live.observe(&[(ObjectKind::DaemonSet, cni.namespace.clone())]).await?;
    if needs_cni_install(profile, &state) {
        install_cni(&live, profile, &nodes, data, &mut timings, progress).await?;
    }
    timings
        .run(progress, "cluster ready", live.gate(profile, GATE_TIMEOUT))
        .await?;
    // Pod-to-pod across nodes; on policy profiles also that a deny-all really blocks (kindnet
    // fails open) before any policy scenario.
    timings
        .run(
            progress,
            "pod network canary",
            live.canary(profile.enforces_network_policy()),
        )
        .await?;
    Ok(timings)
}

/// Whether the profile's CNI must still be installed: its DaemonSet is missing (kind brings
/// kindnet itself).
#[must_use]
pub fn needs_cni_install(profile: Profile, state: &ClusterState) -> bool {
    let cni = cni::daemon_set(profile);
    profile != Profile::Kindnet
        && state
            .get_json(ObjectKind::DaemonSet, cni.namespace.as_deref(), &cni.name)
            .is_none()
}

async fn install_cni(
    live: &Live,
    profile: Profile,
    nodes: &KindNodes<'_>,
    data: &DataDir,
    timings: &mut Timings,
    progress: &dyn Progress,
) -> Result<(), ClusterError> {
    match profile {
        Profile::Kindnet => Ok(()),
        Profile::Flannel => {
            let names = nodes.names()?;
            let cache = data.root().join("cache");
            std::fs::create_dir_all(&cache).map_err(|e| ClusterError::io(&cache, &e))?;
            timings
                .run(progress, "install bridge plugin", async {
                    cni::install_bridge(nodes.runner, &names, &cache)
                })
                .await?;
            let manifests = cni::flannel()?;
            timings
                .run(progress, "install flannel", live.apply_all(&manifests))
                .await
        }
        Profile::Calico => {
            let cache = data.root().join("cache");
            std::fs::create_dir_all(&cache).map_err(|e| ClusterError::io(&cache, &e))?;
            let [crds, operator] = cni::calico_operator(nodes.runner, &cache)?;
            timings
                .run(progress, "install calico", async {
                    live.apply_all(&crds).await?;
                    live.apply_all(&operator).await?;
                    let installation = cni::calico_installation()?;
                    // The operator's CRDs must be served before an Installation can be applied.
                    live.await_kind(&installation[0], Duration::from_secs(60)).await?;
                    live.apply_all(&installation).await
                })
                .await
        }
    }
}

/// Delete the profile's cluster and its files.
pub fn down(profile: Profile, data: &DataDir, runner: &dyn Runner) -> Result<(), ClusterError> {
    let kind = Kind::with_program(runner, super::tools::program("kind", &data.bin()));
    kind.delete(&cluster_name(profile), &data.kubeconfig(profile))?;
    let dir = data.cluster(profile);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| ClusterError::io(&dir, &e))?;
    }
    Ok(())
}

/// Reset the profile's cluster for the next scenario; `Ok(true)` when it had to be recreated.
pub async fn reset(
    profile: Profile,
    workers: u8,
    data: &DataDir,
    runner: &dyn Runner,
    progress: &dyn Progress,
    timings: &mut Timings,
) -> Result<bool, ClusterError> {
    let kubeconfig = data.kubeconfig(profile);
    if !kubeconfig.is_file() {
        return Err(ClusterError::NoCluster {
            name: cluster_name(profile),
            kubeconfig,
        });
    }
    let live = Live::open(&kubeconfig, None, Some(&cluster_name(profile)), false).await?;
    timings
        .run(
            progress,
            "remove scenario namespaces",
            live.remove_scenario_namespaces(),
        )
        .await?;
    timings
        .run(
            progress,
            "restore system objects",
            live.restore_saved(&data.saved(profile)),
        )
        .await?;
    let gate = timings
        .run(progress, "health gate", async {
            live.gate(profile, Duration::from_secs(90)).await?;
            live.canary(false).await
        })
        .await;
    if gate.is_ok() {
        return Ok(false);
    }
    down(profile, data, runner)?;
    timings.0.extend(up(profile, workers, data, runner, progress).await?.0);
    Ok(true)
}

#[cfg(test)]
mod tests {
    use graders::state::ClusterState;
    use serde_json::json;

    use super::healthy;
    use crate::scenario::model::Profile;

    fn rollout(kind: &str, ns: &str, name: &str, ready: i64) -> serde_json::Value {
        let status = if kind == "DaemonSet" {
            json!({"desiredNumberScheduled": 2, "updatedNumberScheduled": 2, "numberReady": ready, "numberAvailable": ready, "observedGeneration": 1})
        } else {
            json!({"replicas": 2, "updatedReplicas": 2, "readyReplicas": ready, "availableReplicas": ready, "observedGeneration": 1})
        };
        json!({"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name, "namespace": ns, "generation": 1},
               "spec": {"replicas": 2}, "status": status})
    }

    fn cluster(coredns_ready: i64, node_ready: &str) -> ClusterState {
        ClusterState::from_objects([
            json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "cp"},
                   "status": {"conditions": [{"type": "Ready", "status": node_ready}]}}),
            rollout("DaemonSet", "kube-system", "kindnet", 2),
            rollout("DaemonSet", "kube-system", "kube-proxy", 2),
            rollout("Deployment", "kube-system", "coredns", coredns_ready),
        ])
        .expect("state")
    }

    /// A cluster whose first `up` stopped before its CNI was installed gets it on the next
    /// `up`; one that has it is left alone, and kindnet comes with kind.
    #[test]
    fn cni_is_installed_whenever_its_daemon_set_is_missing() {
        let empty = ClusterState::default();
        assert!(super::needs_cni_install(Profile::Flannel, &empty));
        assert!(super::needs_cni_install(Profile::Calico, &empty));
        assert!(!super::needs_cni_install(Profile::Kindnet, &empty));
        let with_flannel =
            ClusterState::from_objects([rollout("DaemonSet", "kube-flannel", "kube-flannel-ds", 2)]).expect("state");
        assert!(!super::needs_cni_install(Profile::Flannel, &with_flannel));
    }

    #[test]
    fn the_gate_names_the_first_unhealthy_part() {
        assert_eq!(healthy(Profile::Kindnet, &cluster(2, "True")), Ok(()));
        assert_eq!(
            healthy(Profile::Kindnet, &cluster(2, "False")),
            Err("node cp is not Ready".to_owned())
        );
        let coredns = healthy(Profile::Kindnet, &cluster(1, "True")).expect_err("coredns");
        assert!(coredns.contains("coredns"), "{coredns}");
        let flannel = healthy(Profile::Flannel, &cluster(2, "True")).expect_err("no flannel");
        assert!(flannel.contains("kube-flannel-ds"), "{flannel}");
        assert!(healthy(Profile::Kindnet, &ClusterState::default()).is_err());
    }
}
