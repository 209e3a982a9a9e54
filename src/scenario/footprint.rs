//! What a rendered scenario's setup touches on a cluster: the namespaces it applies to or
//! changes, and whether it reaches beyond them (a system namespace, a node, a cluster-scoped
//! object). Two tasks can share one cluster only when their footprints are disjoint and
//! neither is cluster-wide (a broken CoreDNS or CNI breaks every other task too).
//!
//! Pure; reads the rendered steps only.

use std::collections::BTreeSet;

use serde::Serialize;

use super::Rendered;
use super::step::Step;
use crate::cluster::safety::is_system_namespace;

/// A setup's reach.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Footprint {
    /// Namespaces it applies objects to or changes (system namespaces excluded).
    pub namespaces: BTreeSet<String>,
    /// Why it reaches beyond its namespaces (first reason found), if it does.
    pub cluster_wide: Option<String>,
}

impl Footprint {
    /// Whether another task can run on the same cluster alongside this one.
    #[must_use]
    pub fn compatible(&self, other: &Self) -> bool {
        self.cluster_wide.is_none() && other.cluster_wide.is_none() && self.namespaces.is_disjoint(&other.namespaces)
    }

    fn touch(&mut self, kind: &str, namespace: Option<&str>, what: impl FnOnce() -> String) {
        match namespace {
            Some(ns) if is_system_namespace(ns) => self.wide(what),
            Some(ns) => {
                self.namespaces.insert(ns.to_owned());
            }
            None if kind == "Namespace" => {}
            None => self.wide(what),
        }
    }

    fn wide(&mut self, what: impl FnOnce() -> String) {
        if self.cluster_wide.is_none() {
            self.cluster_wide = Some(what());
        }
    }
}

/// The footprint of `rendered`'s setup.
#[must_use]
pub fn footprint(rendered: &Rendered) -> Footprint {
    let mut print = Footprint::default();
    for step in &rendered.setup {
        match step {
            Step::Apply(path) => {
                for m in rendered.files.get(path).into_iter().flat_map(|f| &f.objects) {
                    if m.kind == "Namespace" {
                        print.namespaces.insert(m.name.clone());
                    }
                    let namespace = m
                        .namespace
                        .as_deref()
                        .or_else(|| namespaced(&m.kind).then_some("default"));
                    print.touch(&m.kind, namespace, || format!("applies {} {}", m.kind, m.name));
                }
            }
            Step::Patch(p) => touch_ref(&mut print, "patches", &p.target),
            Step::Delete(target) => touch_ref(&mut print, "deletes", target),
            Step::Scale(s) => touch_ref(&mut print, "scales", &s.target),
            Step::RestartPods(pods) => print.touch("Pod", Some(&pods.namespace), || {
                format!("restarts pods in {}", pods.namespace)
            }),
            Step::NodeExec(_) => print.wide(|| "runs commands on the nodes".to_owned()),
            Step::Wait(_) => {}
        }
    }
    print
}

fn touch_ref(print: &mut Footprint, verb: &str, target: &graders::target::ObjectRef) {
    let kind = format!("{:?}", target.kind);
    print.touch(&kind, target.namespace.as_deref(), || {
        let ns = target.namespace.as_deref().map(|n| format!("{n}/")).unwrap_or_default();
        format!("{verb} {kind} {ns}{}", target.name)
    });
}

/// Cluster-scoped kinds a scenario may apply; everything else is namespaced.
fn namespaced(kind: &str) -> bool {
    !matches!(
        kind,
        "Namespace"
            | "Node"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "CustomResourceDefinition"
            | "IngressClass"
            | "PersistentVolume"
            | "StorageClass"
            | "PriorityClass"
    )
}
