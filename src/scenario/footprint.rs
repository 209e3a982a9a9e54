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

#[cfg(test)]
mod tests {
    use super::footprint;
    use crate::catalogue::{render, resolve};

    fn of(id: &str) -> super::Footprint {
        let scenario = resolve(id, None).expect("builtin");
        footprint(&render(&scenario, 1).expect("renders"))
    }

    #[test]
    fn builtin_footprints_name_their_namespaces_and_cluster_wide_reach() {
        let selector = of("service-wrong-selector");
        assert!(selector.cluster_wide.is_none(), "{selector:?}");
        assert_eq!(selector.namespaces.len(), 1, "{selector:?}");
        assert!(selector.namespaces.iter().all(|n| n.starts_with("shop-")));
        let coredns = of("coredns-corefile-error");
        let why = coredns.cluster_wide.clone().expect("CoreDNS is cluster-wide");
        assert!(why.contains("kube-system/coredns"), "{why}");
        assert!(!coredns.compatible(&selector) && !selector.compatible(&coredns));
        let policy = of("netpol-default-deny");
        assert_eq!(
            policy.compatible(&selector),
            policy.namespaces.is_disjoint(&selector.namespaces)
        );
        assert!(!selector.compatible(&selector), "the same namespaces clash");
    }
}
