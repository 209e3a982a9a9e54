//! Carrying out a scenario's steps (setup, solution, shortcuts) on a live cluster: apply,
//! wait, patch, delete, scale, restart pods, apply a hand-written EndpointSlice with the pods'
//! IPs, and argv commands in kind node containers.
//! Before a step changes anything in a system namespace, the object's current state is saved
//! under the cluster's data folder so `cluster reset` can put it back.
//!
//! Executes steps; never renders scenarios, decides scores or prints.

use std::path::{Path, PathBuf};

use graders::target::{ObjectRef, PodSet};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use serde_json::{Value, json};

use super::apply::{Attempt, order};
use super::error::ClusterError;
use super::kinds::{self, Resolved};
use super::live::Live;
use super::safety::{FIELD_MANAGER, Scope, is_system_namespace};
use crate::scenario::Rendered;
use crate::scenario::step::{NodeExecStep, NodeSet, PatchStep, PatchType, ScaleStep, SliceStep, Step, WaitStep};

/// Node containers of a kind cluster, reached with `docker exec`.
pub trait Nodes {
    /// The node container names.
    fn names(&self) -> Result<Vec<String>, ClusterError>;
    /// Run `argv` in one node container.
    fn exec(&self, node: &str, argv: &[String]) -> Result<(), ClusterError>;
}

/// Which of `names` a node set picks (kind names nodes `<cluster>-control-plane`,
/// `<cluster>-worker`, `<cluster>-worker2`, ...).
#[must_use]
pub fn pick(names: &[String], set: NodeSet) -> Vec<&str> {
    names
        .iter()
        .map(String::as_str)
        .filter(|name| match set {
            NodeSet::All => true,
            NodeSet::ControlPlane => name.ends_with("-control-plane"),
            NodeSet::Workers => !name.ends_with("-control-plane"),
        })
        .collect()
}

/// What steps need besides the cluster.
pub struct StepContext<'a> {
    /// The attempt: its rendered files (for `apply`) and seed.
    pub rendered: &'a Rendered,
    /// Its scenario id (recorded on the namespaces it applies).
    pub scenario: &'a str,
    /// The node containers (`None`: a cluster kubedrill did not create; `nodeExec` refused).
    pub nodes: Option<&'a dyn Nodes>,
    /// Where to save system objects before changing them (`None`: do not save).
    pub saved: Option<&'a Path>,
}

/// How long restarted pods may take to terminate.
const RESTART_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

impl Live {
    /// Run `steps` in order; the first failure stops them.
    pub async fn run_steps(&self, steps: &[Step], context: &StepContext<'_>) -> Result<(), ClusterError> {
        for step in steps {
            self.run_step(step, context).await?;
        }
        Ok(())
    }

    async fn run_step(&self, step: &Step, context: &StepContext<'_>) -> Result<(), ClusterError> {
        match step {
            Step::Apply(path) => {
                let file = context.rendered.files.get(path).ok_or_else(|| ClusterError::Io {
                    path: PathBuf::from(path),
                    message: "not among the scenario's rendered files".to_owned(),
                })?;
                let attempt = Attempt {
                    scenario: context.scenario,
                    seed: context.rendered.seed,
                };
                for manifest in order(&file.objects) {
                    self.apply_for(manifest, Some(attempt)).await?;
                }
                Ok(())
            }
            Step::Wait(wait) => self.wait(wait).await,
            Step::Patch(patch) => self.patch(patch, context.saved).await,
            Step::Delete(target) => self.delete(target, context.saved).await,
            Step::Scale(scale) => self.scale(scale, context.saved).await,
            Step::RestartPods(set) => self.restart_pods(set).await,
            Step::NodeExec(exec) => self.node_exec(exec, context.nodes),
            Step::ApplySlice(slice) => self.apply_slice(slice, context).await,
        }
    }

    /// Apply the EndpointSlice of `step.file` with the IPs of `step.pods` (waited for until
    /// Ready) as its endpoints, each Ready, as an admin writes them by hand.
    async fn apply_slice(&self, step: &SliceStep, context: &StepContext<'_>) -> Result<(), ClusterError> {
        let manifest = context
            .rendered
            .files
            .get(&step.file)
            .and_then(|f| f.objects.first())
            .ok_or_else(|| ClusterError::Io {
                path: PathBuf::from(&step.file),
                message: "not among the scenario's rendered files".to_owned(),
            })?;
        self.wait(&WaitStep {
            rollout: None,
            deleted: None,
            pods_ready: Some(step.pods.clone()),
            pods_gone: None,
            timeout: None,
        })
        .await?;
        let query = step.pods.selector.to_query();
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), &step.pods.namespace);
        let listed = pods
            .list(&ListParams::default().labels(&query))
            .await
            .map_err(|e| ClusterError::api("list", format!("pods -n {} -l {query}", step.pods.namespace), &e))?;
        let mut slice = manifest.clone();
        if let Some(object) = slice.object.as_object_mut() {
            let ready = listed.items.iter().filter(|p| graders::state::pod_is_ready(p));
            let ips = ready.filter_map(|p| p.status.as_ref()?.pod_ip.as_deref());
            object.insert("endpoints".to_owned(), SliceStep::endpoints(ips));
        }
        let attempt = Attempt {
            scenario: context.scenario,
            seed: context.rendered.seed,
        };
        self.apply_for(&slice, Some(attempt)).await.map(drop)
    }

    fn object_api(&self, target: &ObjectRef, action: &str) -> Result<(Api<DynamicObject>, Resolved), ClusterError> {
        let resolved = kinds::of(target.kind);
        let namespace = target.namespace.as_deref().unwrap_or("default");
        let what = target.kubectl_get();
        let scope = if resolved.namespaced {
            Scope::Namespaced(namespace)
        } else {
            Scope::ClusterWide(&what)
        };
        self.guard.allow(&format!("{action} {what}"), scope)?;
        let api = self.dynamic(&resolved, resolved.namespaced.then_some(namespace));
        Ok((api, resolved))
    }

    /// Patch one object.
    pub async fn patch(&self, step: &PatchStep, saved: Option<&Path>) -> Result<(), ClusterError> {
        let (api, _) = self.object_api(&step.target, "patch")?;
        self.save_if_system(&api, &step.target, saved).await?;
        let patch = match step.patch_type {
            PatchType::Merge => Patch::Merge(step.patch.clone()),
            PatchType::Strategic => Patch::Strategic(step.patch.clone()),
            PatchType::Json => {
                Patch::Json(
                    serde_json::from_value(step.patch.clone()).map_err(|e| ClusterError::Api {
                        action: "patch",
                        object: step.target.kubectl_get(),
                        message: format!("not a JSON patch: {e}"),
                    })?,
                )
            }
        };
        api.patch(&step.target.name, &update_params(), &patch)
            .await
            .map(drop)
            .map_err(|e| ClusterError::api("patch", step.target.kubectl_get(), &e))
    }

    /// Delete one object (already gone counts as done).
    pub async fn delete(&self, target: &ObjectRef, saved: Option<&Path>) -> Result<(), ClusterError> {
        let (api, _) = self.object_api(target, "delete")?;
        self.save_if_system(&api, target, saved).await?;
        match api.delete(&target.name, &DeleteParams::default()).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
            Err(e) => Err(ClusterError::api("delete", target.kubectl_get(), &e)),
        }
    }

    /// Set a workload's replicas.
    pub async fn scale(&self, step: &ScaleStep, saved: Option<&Path>) -> Result<(), ClusterError> {
        let (api, _) = self.object_api(&step.target, "scale")?;
        self.save_if_system(&api, &step.target, saved).await?;
        let patch = Patch::Merge(json!({"spec": {"replicas": step.replicas}}));
        api.patch(&step.target.name, &update_params(), &patch)
            .await
            .map(drop)
            .map_err(|e| ClusterError::api("scale", step.target.kubectl_get(), &e))
    }

    /// Delete the pods matching a selector (one collection delete) so their controller
    /// recreates them from the current spec.
    pub async fn restart_pods(&self, set: &PodSet) -> Result<(), ClusterError> {
        let query = set.selector.to_query();
        self.guard
            .allow(&format!("delete pods `{query}`"), Scope::Namespaced(&set.namespace))?;
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), &set.namespace);
        let what = || format!("pods -n {} -l {query}", set.namespace);
        let deleted = pods
            .delete_collection(&DeleteParams::default(), &ListParams::default().labels(&query))
            .await
            .map_err(|e| ClusterError::api("delete", what(), &e))?;
        let old: std::collections::BTreeSet<String> = deleted
            .left()
            .into_iter()
            .flat_map(|list| list.items)
            .filter_map(|pod| pod.metadata.uid)
            .collect();
        // Until the old pods are gone their controllers' status still counts them Ready, and a
        // rollout wait right after this step would pass on that stale status.
        let deadline = tokio::time::Instant::now() + RESTART_TIMEOUT;
        loop {
            let left = pods
                .list_metadata(&ListParams::default().labels(&query))
                .await
                .map_err(|e| ClusterError::api("list", what(), &e))?
                .items
                .into_iter()
                .filter_map(|pod| pod.metadata.uid.filter(|uid| old.contains(uid)).and(pod.metadata.name))
                .collect::<Vec<_>>();
            if left.is_empty() {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ClusterError::Timeout {
                    what: format!("the restarted {} to terminate", what()),
                    after: RESTART_TIMEOUT,
                    last: format!("still terminating: {}", left.join(", ")),
                });
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    }

    fn node_exec(&self, step: &NodeExecStep, nodes: Option<&dyn Nodes>) -> Result<(), ClusterError> {
        let action = format!("run `{}` on nodes", step.command.join(" "));
        self.guard.allow(&action, Scope::ClusterWide("nodes"))?;
        let nodes = nodes.ok_or(ClusterError::ForeignCluster {
            action,
            context: self.target.label(),
        })?;
        let names = nodes.names()?;
        for node in pick(&names, step.nodes) {
            nodes.exec(node, &step.command)?;
        }
        Ok(())
    }

    async fn save_if_system(
        &self,
        api: &Api<DynamicObject>,
        target: &ObjectRef,
        saved: Option<&Path>,
    ) -> Result<(), ClusterError> {
        let (Some(dir), Some(namespace)) = (saved, target.namespace.as_deref()) else {
            return Ok(());
        };
        if !is_system_namespace(namespace) {
            return Ok(());
        }
        let path = dir.join(saved_name(target));
        if path.exists() {
            // The first copy is the pristine one; a second breakage must not overwrite it.
            return Ok(());
        }
        let Some(object) = api
            .get_opt(&target.name)
            .await
            .map_err(|e| ClusterError::api("read", target.kubectl_get(), &e))?
        else {
            return Ok(());
        };
        let value = serde_json::to_value(&object).map_err(|e| ClusterError::Io {
            path: path.clone(),
            message: e.to_string(),
        })?;
        write_atomically(&path, &value)
    }
}

fn update_params() -> PatchParams {
    PatchParams {
        field_manager: Some(FIELD_MANAGER.to_owned()),
        ..PatchParams::default()
    }
}

/// The file a saved object is kept in.
#[must_use]
pub fn saved_name(target: &ObjectRef) -> String {
    format!(
        "{}.{}.{}.json",
        target.kind,
        target.namespace.as_deref().unwrap_or("_"),
        target.name
    )
}

fn write_atomically(path: &Path, value: &Value) -> Result<(), ClusterError> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| ClusterError::io(dir, &e))?;
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| ClusterError::io(dir, &e))?;
    serde_json::to_writer_pretty(&mut file, value).map_err(|e| ClusterError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    file.persist(path).map_err(|e| ClusterError::io(path, &e.error))?;
    Ok(())
}
