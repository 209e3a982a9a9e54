//! What each check needs observed, so the live observer lists exactly those object kinds in
//! those namespaces (one list call per pair) and runs exactly those probes, once.
//!
//! Pure: derived from check parameters, never from a cluster.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::target::{Destination, ObjectKind, ObjectRef, Source};
use crate::{Check, CheckSpec};

/// A list call: a kind in a namespace (`None`: cluster-scoped, or every namespace).
pub type ListRequest = (ObjectKind, Option<String>);

/// Everything a set of checks needs observed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Needs {
    /// Object lists to fetch.
    pub lists: BTreeSet<ListRequest>,
    /// Ids of checks that need a probe run for them.
    pub probes: BTreeSet<String>,
    /// Whether `unchanged` checks need a baseline recorded after setup.
    pub baseline: bool,
}

impl Needs {
    /// The union of what `checks` need.
    #[must_use]
    pub fn of(checks: &[Check]) -> Self {
        let mut needs = Self::default();
        for check in checks {
            needs.add(check);
        }
        needs.collapse();
        needs
    }

    fn add(&mut self, check: &Check) {
        for binding in check.bindings.values() {
            let namespace = binding
                .from
                .namespace
                .clone()
                .filter(|_| binding.from.kind.is_namespaced());
            self.lists.insert((binding.from.kind, namespace));
        }
        let mut list = |kind: ObjectKind, namespace: Option<&str>| {
            let namespace = if kind.is_namespaced() {
                namespace.map(str::to_owned)
            } else {
                None
            };
            self.lists.insert((kind, namespace));
        };
        let mut object = |target: &ObjectRef| list(target.kind, target.namespace.as_deref());
        match &check.spec {
            CheckSpec::Assert(p) => object(&p.target),
            CheckSpec::Absent(p) => object(&p.target),
            CheckSpec::Rollout(p) => {
                // Its pods too (and a Deployment's ReplicaSets, which own them): a controller's
                // status can count a crash-looping pod Ready for a moment after it crashed.
                let namespace = p.target.namespace.as_deref();
                list(p.target.kind, namespace);
                list(ObjectKind::Pod, namespace);
                if p.target.kind == ObjectKind::Deployment {
                    list(ObjectKind::ReplicaSet, namespace);
                }
            }
            CheckSpec::Unchanged(p) => {
                object(&p.target);
                self.baseline = true;
            }
            CheckSpec::Endpoints(p) => {
                for kind in [ObjectKind::Service, ObjectKind::EndpointSlice, ObjectKind::Pod] {
                    list(kind, Some(&p.namespace));
                }
            }
            CheckSpec::PodsReady(p) => list(ObjectKind::Pod, Some(&p.namespace)),
            CheckSpec::Connectivity(p) => self.probe(check, &p.from, Some(&p.to)),
            CheckSpec::Http(p) => self.probe(check, &p.from, Some(&p.to)),
            CheckSpec::Dns(p) => {
                self.probe(check, &p.from, None);
                if let Some(service) = &p.resolves_to_service {
                    self.lists
                        .insert((ObjectKind::Service, Some(service.namespace.clone())));
                }
            }
            CheckSpec::Reachability(p) if p.only_from.is_some() || p.only_to.is_some() => {
                let namespace = p.to.as_ref().and_then(|t| t.namespace.clone());
                self.cluster_wide_inputs(namespace.or_else(|| p.from.as_ref().map(|f| f.namespace.clone())));
            }
            CheckSpec::Reachability(p) => {
                let namespaces = [
                    p.from.as_ref().map(|f| f.namespace.clone()),
                    p.to.as_ref().and_then(|t| t.namespace.clone()),
                ];
                self.analyzer_inputs(namespaces.into_iter().flatten());
                // An address may be any namespace's pod (then its ingress policies decide too).
                if p.to.as_ref().is_some_and(|t| t.host.is_some()) {
                    for kind in [ObjectKind::Pod, ObjectKind::NetworkPolicy] {
                        self.lists.insert((kind, None));
                    }
                }
            }
        }
    }

    /// What an exclusivity check (`onlyFrom`, `onlyTo`) judges: every namespace's pods and
    /// NetworkPolicies, every Namespace's labels and the Nodes (the node network's addresses),
    /// plus the destination namespace's Services and EndpointSlices.
    fn cluster_wide_inputs(&mut self, destination_namespace: Option<String>) {
        self.analyzer_inputs(destination_namespace);
        for kind in [ObjectKind::Pod, ObjectKind::NetworkPolicy, ObjectKind::Node] {
            self.lists.insert((kind, None));
        }
    }

    /// Drop namespaced lists that a cluster-wide list of the same kind already covers, so no
    /// object is listed (and observed) twice.
    fn collapse(&mut self) {
        let wide: BTreeSet<ObjectKind> = self
            .lists
            .iter()
            .filter(|(kind, namespace)| namespace.is_none() && kind.is_namespaced())
            .map(|(kind, _)| *kind)
            .collect();
        self.lists
            .retain(|(kind, namespace)| namespace.is_none() || !wide.contains(kind));
    }

    /// What `checks` need when their traffic is predicted from the live state instead of
    /// probed: on top of [`Needs::of`], what the reachability analyzer reasons over for each
    /// probe check (pods, Services, EndpointSlices and NetworkPolicies of the source's and the
    /// destination's namespaces, the Namespaces' labels; of every namespace for a node's port)
    /// and, for names, the DNS hop's inputs (kube-system's pods, policies and the CoreDNS
    /// ConfigMap). Exclusivity checks already
    /// need every namespace and the Nodes in [`Needs::of`].
    #[must_use]
    pub fn for_prediction(checks: &[Check]) -> Self {
        let mut needs = Self::of(checks);
        for check in checks {
            let (namespaces, by_name) = match &check.spec {
                CheckSpec::Connectivity(p) => (vec![p.from.namespace.clone(), p.to.namespace.clone()], p.to.by_name),
                CheckSpec::Http(p) => (vec![p.from.namespace.clone(), p.to.namespace.clone()], p.to.by_name),
                CheckSpec::Dns(p) => {
                    // `<pod>.<service>.<namespace>...` names its namespace third, a Service name second.
                    let named = crate::predict::pod_named(&p.name)
                        .map(|(_, _, namespace)| namespace)
                        .or_else(|| p.name.split('.').nth(1).map(str::to_owned));
                    (vec![p.from.namespace.clone(), named], true)
                }
                _ => continue,
            };
            let mut namespaces: Vec<String> = namespaces.into_iter().flatten().collect();
            if by_name {
                namespaces.push("kube-system".to_owned());
                needs
                    .lists
                    .insert((ObjectKind::ConfigMap, Some("kube-system".to_owned())));
            }
            needs.analyzer_inputs(namespaces);
        }
        needs.collapse();
        needs
    }

    /// What a flow to a node's port needs: any Service may hold the node port and any pod a
    /// `hostPort` or an endpoint, so every namespace's pods, Services, EndpointSlices and
    /// NetworkPolicies, the Namespaces' labels and the Nodes (where each pod runs, their
    /// addresses).
    fn node_port_inputs(&mut self) {
        for kind in [
            ObjectKind::Pod,
            ObjectKind::Service,
            ObjectKind::EndpointSlice,
            ObjectKind::NetworkPolicy,
            ObjectKind::Namespace,
            ObjectKind::Node,
        ] {
            self.lists.insert((kind, None));
        }
    }

    /// What the reachability analyzer reasons over for flows between `namespaces`: their pods,
    /// Services, EndpointSlices and NetworkPolicies, and every Namespace's labels.
    fn analyzer_inputs(&mut self, namespaces: impl IntoIterator<Item = String>) {
        for namespace in namespaces {
            for kind in [
                ObjectKind::Pod,
                ObjectKind::Service,
                ObjectKind::EndpointSlice,
                ObjectKind::NetworkPolicy,
            ] {
                self.lists.insert((kind, Some(namespace.clone())));
            }
        }
        self.lists.insert((ObjectKind::Namespace, None));
    }

    fn probe(&mut self, check: &Check, from: &Source, to: Option<&Destination>) {
        self.probes.insert(check.id.clone());
        if let (Some(namespace), Some(_)) = (&from.namespace, &from.selector) {
            self.lists.insert((ObjectKind::Pod, Some(namespace.clone())));
        }
        if from.node.is_some() {
            self.lists.insert((ObjectKind::Node, None));
        }
        // A probe to a node's port is cross-checked against the analyzer's trace (why it
        // failed), which needs whatever may hold that port, anywhere.
        if to.is_some_and(|t| t.node.is_some()) {
            self.node_port_inputs();
        }
        if let Some(to) = to {
            if let (Some(namespace), true) = (&to.namespace, to.service.is_some()) {
                self.lists.insert((ObjectKind::Service, Some(namespace.clone())));
            }
            if let (Some(namespace), true) = (&to.namespace, to.pod.is_some()) {
                self.lists.insert((ObjectKind::Pod, Some(namespace.clone())));
            }
        }
    }
}

/// What an observed `state` adds to `lists`:
/// - a flow by name may follow an `ExternalName` Service's CNAME into a namespace nothing
///   listed, and the analyzer then needs the target's pods, Services, EndpointSlices and
///   NetworkPolicies there;
/// - a Service without a selector leads to the addresses its EndpointSlices list, which may be
///   pods in any namespace: when one is no observed pod's IP, every pod and NetworkPolicy is
///   listed, so such a pod gets its policies (an address still unmatched then is not a pod);
/// - an `HTTPRoute` no controller wrote a status for gets a predicted one
///   ([`crate::gateway::fill_predicted`]), which reads its Gateways, backend Services,
///   `ReferenceGrant`s and the Namespaces ([`crate::gateway::prediction_inputs`]).
#[must_use]
pub fn follow_ups(state: &crate::state::ClusterState, lists: &BTreeSet<ListRequest>) -> BTreeSet<ListRequest> {
    let listed = |kind: ObjectKind, namespace: &str| {
        lists.contains(&(kind, None)) || lists.contains(&(kind, Some(namespace.to_owned())))
    };
    let mut extra = BTreeSet::new();
    if unmatched_slice_address(state) {
        for kind in [ObjectKind::Pod, ObjectKind::NetworkPolicy] {
            if !lists.contains(&(kind, None)) {
                extra.insert((kind, None));
            }
        }
    }
    for route in state.http_routes.iter().filter(|r| !crate::gateway::status_written(r)) {
        for (kind, namespace) in crate::gateway::prediction_inputs(route) {
            let covered = namespace
                .as_deref()
                .map_or_else(|| lists.contains(&(kind, None)), |n| listed(kind, n));
            if !covered {
                extra.insert((kind, namespace));
            }
        }
    }
    for service in &state.services {
        let Some((namespace, _)) = crate::analyzer::external_name::external_name(service)
            .and_then(crate::analyzer::external_name::cluster_target)
        else {
            continue;
        };
        for kind in [
            ObjectKind::Pod,
            ObjectKind::Service,
            ObjectKind::EndpointSlice,
            ObjectKind::NetworkPolicy,
        ] {
            if !listed(kind, &namespace) {
                extra.insert((kind, Some(namespace.clone())));
            }
        }
    }
    extra
}

/// Whether an EndpointSlice of a Service without a selector lists an address (the first of an
/// endpoint, the one kube-proxy uses) that is no observed pod's IP.
fn unmatched_slice_address(state: &crate::state::ClusterState) -> bool {
    let pod_ips: BTreeSet<&str> = state
        .pods
        .iter()
        .filter_map(|pod| pod.status.as_ref()?.pod_ip.as_deref())
        .collect();
    state
        .services
        .iter()
        .filter(|service| {
            service.spec.as_ref().is_some_and(|spec| {
                spec.selector.as_ref().is_none_or(std::collections::BTreeMap::is_empty)
                    && spec.type_.as_deref() != Some("ExternalName")
            })
        })
        .filter_map(|service| {
            Some((
                service.metadata.namespace.as_deref()?,
                service.metadata.name.as_deref()?,
            ))
        })
        .flat_map(|(namespace, name)| state.slices_for(namespace, name))
        .flat_map(|slice| slice.endpoints.iter().flatten())
        .filter_map(|endpoint| endpoint.addresses.first())
        .any(|address| !pod_ips.contains(address.as_str()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Needs;
    use crate::Check;
    use crate::target::ObjectKind;

    fn check(id: &str, grader: &str, with: &serde_json::Value) -> Check {
        Check {
            id: id.into(),
            points: 1,
            guard: None,
            description: String::new(),
            hint: None,
            timeout: None,
            interval: None,
            spec: serde_json::from_value(json!({"grader": grader, "with": with.clone()})).expect("valid"),
            bindings: std::collections::BTreeMap::new(),
            bound_with: None,
        }
    }

    #[test]
    fn one_list_per_kind_and_namespace_and_one_probe_per_probe_check() {
        let checks = [
            check("e", "endpoints", &json!({"service": "web", "namespace": "shop"})),
            check(
                "p",
                "pods-ready",
                &json!({"namespace": "shop", "selector": {"matchLabels": {"app": "web"}}}),
            ),
            check(
                "u",
                "unchanged",
                &json!({"target": {"kind": "NetworkPolicy", "name": "deny", "namespace": "shop"}}),
            ),
            check(
                "c",
                "connectivity",
                &json!({"from": {"namespace": "shop", "selector": {"matchLabels": {"app": "fe"}}},
                "to": {"service": "api", "namespace": "shop", "port": 80}, "expect": "allowed"}),
            ),
            check(
                "n",
                "rollout",
                &json!({"target": {"kind": "Deployment", "name": "coredns", "namespace": "kube-system"}}),
            ),
        ];
        let needs = Needs::of(&checks);
        let lists: Vec<(ObjectKind, Option<&str>)> = needs.lists.iter().map(|(k, n)| (*k, n.as_deref())).collect();
        assert_eq!(
            lists,
            [
                (ObjectKind::Pod, Some("kube-system")),
                (ObjectKind::Pod, Some("shop")),
                (ObjectKind::Service, Some("shop")),
                (ObjectKind::Deployment, Some("kube-system")),
                (ObjectKind::ReplicaSet, Some("kube-system")),
                (ObjectKind::EndpointSlice, Some("shop")),
                (ObjectKind::NetworkPolicy, Some("shop")),
            ],
            "a rollout reads its workload's pods (and a Deployment's ReplicaSets) too"
        );
        assert_eq!(needs.probes.into_iter().collect::<Vec<_>>(), ["c"]);
        assert!(needs.baseline);
    }

    #[test]
    fn predicting_traffic_needs_what_the_analyzer_reads() {
        let checks = [check(
            "c",
            "connectivity",
            &json!({"from": {"namespace": "a", "probeLabels": {"x": "y"}},
                    "to": {"service": "s", "namespace": "b", "port": 80, "byName": true}, "expect": "allowed"}),
        )];
        let probed = Needs::of(&checks);
        let predicted = Needs::for_prediction(&checks);
        assert!(!probed.lists.contains(&(ObjectKind::Namespace, None)));
        for namespace in ["a", "b", "kube-system"] {
            for kind in [ObjectKind::Pod, ObjectKind::EndpointSlice, ObjectKind::NetworkPolicy] {
                assert!(
                    predicted.lists.contains(&(kind, Some(namespace.to_owned()))),
                    "{kind:?} {namespace}"
                );
            }
        }
        assert!(predicted.lists.contains(&(ObjectKind::Namespace, None)));
        assert!(
            predicted
                .lists
                .contains(&(ObjectKind::ConfigMap, Some("kube-system".to_owned())))
        );
        assert!(predicted.lists.is_superset(&probed.lists));
    }

    /// A node port may be any namespace's Service's or any pod's hostPort: a flow to one,
    /// predicted or probed, lists every namespace (each kind once, no namespaced list beside
    /// the wide one).
    #[test]
    fn predicting_a_node_port_needs_every_namespace_and_the_nodes() {
        let checks = [
            check(
                "np",
                "connectivity",
                &json!({"from": {"node": "control-plane"}, "to": {"node": "worker", "port": 30080}, "expect": "allowed"}),
            ),
            check(
                "web",
                "http",
                &json!({"from": {"namespace": "shop", "probeLabels": {"role": "client"}},
                        "to": {"service": "web", "namespace": "shop", "port": 80}}),
            ),
        ];
        // Probed, the trace that says why a probe failed needs the same.
        for needs in [Needs::of(&checks), Needs::for_prediction(&checks)] {
            let lists: Vec<(ObjectKind, Option<&str>)> = needs.lists.iter().map(|(k, n)| (*k, n.as_deref())).collect();
            assert_eq!(
                lists,
                [
                    (ObjectKind::Namespace, None),
                    (ObjectKind::Node, None),
                    (ObjectKind::Pod, None),
                    (ObjectKind::Service, None),
                    (ObjectKind::EndpointSlice, None),
                    (ObjectKind::NetworkPolicy, None),
                ]
            );
        }
    }

    #[test]
    fn exclusivity_needs_every_namespace_and_the_nodes() {
        let checks = [
            check(
                "only",
                "reachability",
                &json!({"to": {"service": "api", "namespace": "shop", "port": 8080},
                        "onlyFrom": [{"namespace": "shop", "selector": {"matchLabels": {"app": "frontend"}}}]}),
            ),
            check(
                "flow",
                "reachability",
                &json!({"from": {"namespace": "shop", "selector": {"matchLabels": {"app": "x"}}},
                        "to": {"service": "api", "namespace": "shop", "port": 8080}, "expect": "blocked"}),
            ),
        ];
        for needs in [Needs::of(&checks), Needs::for_prediction(&checks)] {
            let lists: Vec<(ObjectKind, Option<&str>)> = needs.lists.iter().map(|(k, n)| (*k, n.as_deref())).collect();
            assert_eq!(
                lists,
                [
                    (ObjectKind::Namespace, None),
                    (ObjectKind::Node, None),
                    (ObjectKind::Pod, None),
                    (ObjectKind::Service, Some("shop")),
                    (ObjectKind::EndpointSlice, Some("shop")),
                    (ObjectKind::NetworkPolicy, None),
                ]
            );
        }
        let flow_only = Needs::of(&checks[1..]);
        assert!(flow_only.lists.contains(&(ObjectKind::Pod, Some("shop".to_owned()))));
        assert!(!flow_only.lists.contains(&(ObjectKind::Node, None)));
    }

    /// An `ExternalName` in `shop` whose CNAME names `api.billing`: billing's pods, Services,
    /// slices and policies are listed next; nothing for an outside name or a listed namespace.
    #[test]
    fn an_external_name_into_an_unlisted_namespace_is_followed() {
        let state = crate::state::ClusterState::from_objects([
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "pay", "namespace": "shop"},
                "spec": {"type": "ExternalName", "externalName": "api.billing.svc.cluster.local."}}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext", "namespace": "shop"},
                "spec": {"type": "ExternalName", "externalName": "db.example.com"}}),
        ])
        .expect("state");
        let lists = std::collections::BTreeSet::from([
            (ObjectKind::Pod, Some("shop".to_owned())),
            (ObjectKind::Service, Some("billing".to_owned())),
        ]);
        let extra = super::follow_ups(&state, &lists);
        let want: std::collections::BTreeSet<super::ListRequest> =
            [ObjectKind::Pod, ObjectKind::EndpointSlice, ObjectKind::NetworkPolicy]
                .into_iter()
                .map(|kind| (kind, Some("billing".to_owned())))
                .collect();
        assert_eq!(extra, want);
        let mut all = lists;
        all.extend(extra);
        assert!(super::follow_ups(&state, &all).is_empty(), "nothing twice");
    }

    fn selectorless(addresses: &[&str]) -> Vec<serde_json::Value> {
        let endpoints: Vec<serde_json::Value> = addresses.iter().map(|a| json!({"addresses": [a]})).collect();
        vec![
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": "reports"},
                "spec": {"ports": [{"name": "pg", "port": 5432}]}}),
            json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"name": "db-1", "namespace": "reports", "labels": {"kubernetes.io/service-name": "db"}},
                "addressType": "IPv4", "endpoints": endpoints, "ports": [{"name": "pg", "port": 5432}]}),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client", "namespace": "reports"},
                "status": {"podIP": "10.244.0.7"}}),
        ]
    }

    #[test]
    fn a_selectorless_slice_address_that_is_no_observed_pod_lists_every_pod_and_policy() {
        let lists = std::collections::BTreeSet::from([
            (ObjectKind::Pod, Some("reports".to_owned())),
            (ObjectKind::NetworkPolicy, Some("reports".to_owned())),
        ]);
        let known = crate::state::ClusterState::from_objects(selectorless(&["10.244.0.7"])).expect("state");
        assert!(
            super::follow_ups(&known, &lists).is_empty(),
            "every address is a listed pod"
        );
        let elsewhere =
            crate::state::ClusterState::from_objects(selectorless(&["10.244.0.7", "10.244.0.9"])).expect("state");
        let extra = super::follow_ups(&elsewhere, &lists);
        assert_eq!(
            extra,
            std::collections::BTreeSet::from([(ObjectKind::Pod, None), (ObjectKind::NetworkPolicy, None)])
        );
        let mut all = lists;
        all.extend(extra);
        assert!(super::follow_ups(&elsewhere, &all).is_empty(), "nothing twice");
        let mut with_selector = selectorless(&["10.244.0.9"]);
        with_selector[0]["spec"]["selector"] = json!({"app": "db"});
        let selected = crate::state::ClusterState::from_objects(with_selector).expect("state");
        assert!(
            super::follow_ups(&selected, &std::collections::BTreeSet::new()).is_empty(),
            "a Service with a selector is read from its pods"
        );
    }

    #[test]
    fn a_route_without_a_written_status_lists_what_its_prediction_reads() {
        let route = |status: serde_json::Value| {
            json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                "metadata": {"name": "web", "namespace": "shop"},
                "spec": {"parentRefs": [{"name": "edge", "namespace": "infra", "sectionName": "http"}],
                         "rules": [{"backendRefs": [{"name": "web", "port": 80},
                                                    {"name": "api", "namespace": "payments", "port": 8080}]}]},
                "status": status})
        };
        let lists = std::collections::BTreeSet::from([
            (ObjectKind::HttpRoute, Some("shop".to_owned())),
            (ObjectKind::Service, Some("shop".to_owned())),
        ]);
        let unwritten = crate::state::ClusterState::from_objects([route(json!({}))]).expect("state");
        let extra = super::follow_ups(&unwritten, &lists);
        assert_eq!(
            extra,
            std::collections::BTreeSet::from([
                (ObjectKind::Namespace, None),
                (ObjectKind::Gateway, Some("infra".to_owned())),
                (ObjectKind::Service, Some("payments".to_owned())),
                (ObjectKind::ReferenceGrant, Some("payments".to_owned())),
            ])
        );
        let mut all = lists.clone();
        all.extend(extra);
        assert!(super::follow_ups(&unwritten, &all).is_empty(), "nothing twice");
        let written = crate::state::ClusterState::from_objects([route(json!({"parents": [
            {"parentRef": {"name": "edge"}, "controllerName": "traefik.io/gateway-controller", "conditions": []}]}))])
        .expect("state");
        assert!(
            super::follow_ups(&written, &lists).is_empty(),
            "a controller's status is read, not predicted"
        );
    }
}
