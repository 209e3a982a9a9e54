//! What a rendered scenario's setup touches on a cluster: the namespaces it applies to or
//! changes, and whether it reaches beyond them (a system namespace, a node, a cluster-scoped
//! object). Two tasks can share one cluster only when their footprints are disjoint and
//! neither is cluster-wide (a broken CoreDNS or CNI breaks every other task too).
//!
//! Pure; reads the rendered steps only.

use std::collections::BTreeSet;

use serde::Serialize;

use super::Rendered;
use super::step::{PatchStep, ScaleStep, SliceStep, Step};
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

    /// An object in `namespace` (`None`: cluster-scoped, so cluster-wide).
    fn touch(&mut self, namespace: Option<&str>, what: impl FnOnce() -> String) {
        match namespace {
            Some(ns) if !is_system_namespace(ns) => {
                self.namespaces.insert(ns.to_owned());
            }
            _ => self.wide(what),
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
        if step.is_cluster_wide() {
            print.wide(|| format!("has a `{}` step on {}", step.name(), target_text(step)));
            continue;
        }
        match step {
            Step::Apply(_) | Step::ApplySlice(_) => {
                let path = step.manifest().unwrap_or_default();
                for m in rendered.files.get(path).into_iter().flat_map(|f| &f.objects) {
                    if m.kind == "Namespace" {
                        print.namespaces.insert(m.name.clone());
                    } else {
                        print.touch(m.namespace.as_deref(), || format!("applies {} {}", m.kind, m.name));
                    }
                }
            }
            Step::Patch(PatchStep { target, .. }) | Step::Delete(target) | Step::Scale(ScaleStep { target, .. }) => {
                print.touch(target.namespace.as_deref(), || target_text(step));
            }
            Step::RestartPods(pods) => print.touch(Some(&pods.namespace), || target_text(step)),
            Step::Wait(_) | Step::NodeExec(_) => {}
        }
    }
    print
}

fn target_text(step: &Step) -> String {
    match step {
        Step::Patch(PatchStep { target, .. }) | Step::Delete(target) | Step::Scale(ScaleStep { target, .. }) => {
            let ns = target.namespace.as_deref().map(|n| format!("{n}/")).unwrap_or_default();
            format!("{} {ns}{}", target.kind, target.name)
        }
        Step::RestartPods(pods) => format!("pods in {}", pods.namespace),
        Step::NodeExec(_) => "the nodes".to_owned(),
        Step::Wait(_) => "kube-system".to_owned(),
        Step::Apply(path) | Step::ApplySlice(SliceStep { file: path, .. }) => path.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::footprint;
    use crate::catalogue::{render, render_for, resolve};
    use crate::error::Error;

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
        assert!(why.contains("ConfigMap kube-system/coredns"), "{why}");
        assert!(!coredns.compatible(&selector) && !selector.compatible(&coredns));
        let policy = of("netpol-default-deny");
        assert_eq!(
            policy.compatible(&selector),
            policy.namespaces.is_disjoint(&selector.namespaces)
        );
        assert!(!selector.compatible(&selector), "the same namespaces clash");
    }

    #[test]
    fn students_under_prefixes_share_one_cluster_but_cluster_wide_scenarios_are_refused() {
        let scenario = resolve("netpol-default-deny", None).expect("builtin");
        let alice = render_for(&scenario, 1, Some("alice")).expect("alice");
        let bob = render_for(&scenario, 1, Some("bob-")).expect("bob");
        let (a, b) = (footprint(&alice), footprint(&bob));
        assert!(a.namespaces.iter().all(|n| n.starts_with("alice-")), "{a:?}");
        assert!(b.namespaces.iter().all(|n| n.starts_with("bob-")), "{b:?}");
        assert!(a.compatible(&b), "same scenario and seed, disjoint namespaces");
        let checks = serde_json::to_string(&alice.checks.iter().map(|c| &c.spec).collect::<Vec<_>>()).expect("json");
        let namespace = a.namespaces.iter().next().expect("one");
        assert!(checks.contains(namespace.as_str()), "checks follow the prefix");
        let coredns = resolve("coredns-corefile-error", None).expect("builtin");
        assert!(matches!(
            render_for(&coredns, 1, Some("alice")),
            Err(Error::NotShareable { .. })
        ));
        assert!(render_for(&coredns, 1, None).is_ok());
        assert!(matches!(
            render_for(&scenario, 1, Some("Alice")),
            Err(Error::InvalidScenario { .. })
        ));
    }
}
