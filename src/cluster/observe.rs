//! Fills the graders' [`ClusterState`] from the cluster: exactly one list call per
//! (kind, namespace) pair the checks' [`Needs`] name, never a GET per object.
//!
//! [`Live::settle`] observes again while a state check with a `timeout` still fails (see
//! [`graders::settle`]), so a grade taken right after a fix sees what the controllers finish.
//!
//! Reads only; never writes, probes or prints.

use graders::Check;
use graders::needs::ListRequest;
use graders::state::{ApiObject, ClusterState, Observation};
use graders::target::ObjectKind;
use k8s_openapi::NamespaceResourceScope;
use kube::api::{Api, DynamicObject, ListParams};
use serde::de::DeserializeOwned;

use super::error::ClusterError;
use super::live::Live;

impl Live {
    /// Observe everything in `lists`; a namespace of `None` lists every namespace, and a
    /// namespaced list that such a cluster-wide list of its kind covers is skipped.
    pub async fn observe<'a>(
        &self,
        lists: impl IntoIterator<Item = &'a ListRequest>,
    ) -> Result<ClusterState, ClusterError> {
        let lists: Vec<&ListRequest> = lists.into_iter().collect();
        let mut state = ClusterState::default();
        for (kind, namespace) in &lists {
            if namespace.is_some() && lists.iter().any(|(k, n)| k == kind && n.is_none()) {
                continue;
            }
            self.list_into(&mut state, *kind, namespace.as_deref()).await?;
        }
        Ok(state)
    }

    /// Starting from `state` (just observed from `lists`), observe `lists` again while a state
    /// check of `checks` with a `timeout` fails, its deadline (counted from now) is ahead and
    /// the objects changed within [`graders::settle::QUIET`], and once more to confirm a pass
    /// of them; the last state observed. In predict mode, `HTTPRoute`s no controller wrote a
    /// status for get the status a controller would write ([`graders::gateway::fill_predicted`]).
    pub async fn settle<'a>(
        &self,
        checks: &[Check],
        lists: impl IntoIterator<Item = &'a ListRequest> + Clone,
        state: ClusterState,
    ) -> Result<ClusterState, ClusterError> {
        let start = tokio::time::Instant::now();
        let (mut print, mut changed) = (graders::settle::fingerprint(&state), start);
        let mut observation = Observation {
            state,
            baseline: None,
            probes: std::collections::BTreeMap::new(),
        };
        let predict = self.probes == super::live::ProbeMode::Predict;
        if predict {
            graders::gateway::fill_predicted(&mut observation.state);
        }
        let mut settling = graders::settle::Settling::default();
        while let Some(wait) = settling.next(checks, &observation, start.elapsed(), changed.elapsed()) {
            tokio::time::sleep(wait).await;
            observation.state = self.observe(lists.clone()).await?;
            let now = graders::settle::fingerprint(&observation.state);
            if now != print {
                (print, changed) = (now, tokio::time::Instant::now());
            }
            if predict {
                graders::gateway::fill_predicted(&mut observation.state);
            }
        }
        Ok(observation.state)
    }

    async fn list_into(
        &self,
        state: &mut ClusterState,
        kind: ObjectKind,
        namespace: Option<&str>,
    ) -> Result<(), ClusterError> {
        match kind {
            ObjectKind::Namespace => state.namespaces.extend(self.list_all(kind).await?),
            ObjectKind::Node => state.nodes.extend(self.list_all(kind).await?),
            ObjectKind::Pod => state.pods.extend(self.list(kind, namespace).await?),
            ObjectKind::Service => state.services.extend(self.list(kind, namespace).await?),
            ObjectKind::ConfigMap => state.config_maps.extend(self.list(kind, namespace).await?),
            ObjectKind::Deployment => state.deployments.extend(self.list(kind, namespace).await?),
            ObjectKind::DaemonSet => state.daemon_sets.extend(self.list(kind, namespace).await?),
            ObjectKind::StatefulSet => state.stateful_sets.extend(self.list(kind, namespace).await?),
            ObjectKind::ReplicaSet => state.replica_sets.extend(self.list(kind, namespace).await?),
            ObjectKind::EndpointSlice => state.endpoint_slices.extend(self.list(kind, namespace).await?),
            ObjectKind::NetworkPolicy => state.network_policies.extend(self.list(kind, namespace).await?),
            ObjectKind::Ingress => state.ingresses.extend(self.list(kind, namespace).await?),
            ObjectKind::GatewayClass => state.gateway_classes.extend(self.list_addon(kind, namespace).await?),
            ObjectKind::Gateway => state.gateways.extend(self.list_addon(kind, namespace).await?),
            ObjectKind::HttpRoute => state.http_routes.extend(self.list_addon(kind, namespace).await?),
            ObjectKind::ReferenceGrant => state.reference_grants.extend(self.list_addon(kind, namespace).await?),
        }
        Ok(())
    }

    /// Objects of an add-on's custom kind; none when the cluster does not serve the kind (the
    /// add-on is not installed: there can be no such object).
    async fn list_addon(&self, kind: ObjectKind, namespace: Option<&str>) -> Result<Vec<ApiObject>, ClusterError> {
        let resource = super::kinds::of(kind).resource;
        let api: Api<DynamicObject> = match namespace.filter(|_| kind.is_namespaced()) {
            Some(namespace) => Api::namespaced_with(self.client.clone(), namespace, &resource),
            None => Api::all_with(self.client.clone(), &resource),
        };
        let what = namespace.map_or_else(|| format!("{kind}"), |namespace| format!("{kind} in {namespace}"));
        let objects = match api.list(&ListParams::default()).await {
            Ok(list) => list.items,
            Err(kube::Error::Api(status)) if status.code == 404 => return Ok(Vec::new()),
            Err(e) => return Err(ClusterError::api("list", what, &e)),
        };
        objects
            .into_iter()
            .map(|object| {
                serde_json::to_value(object)
                    .and_then(serde_json::from_value)
                    .map_err(|e| ClusterError::Api {
                        action: "read",
                        object: what.clone(),
                        message: e.to_string(),
                    })
            })
            .collect()
    }

    async fn list<K>(&self, kind: ObjectKind, namespace: Option<&str>) -> Result<Vec<K>, ClusterError>
    where
        K: kube::Resource<DynamicType = (), Scope = NamespaceResourceScope>
            + Clone
            + DeserializeOwned
            + std::fmt::Debug,
    {
        let api: Api<K> = match namespace {
            Some(namespace) => Api::namespaced(self.client.clone(), namespace),
            None => Api::all(self.client.clone()),
        };
        let what = match namespace {
            Some(namespace) => format!("{kind} in {namespace}"),
            None => format!("{kind} in every namespace"),
        };
        Self::items(&api, what).await
    }

    async fn list_all<K>(&self, kind: ObjectKind) -> Result<Vec<K>, ClusterError>
    where
        K: kube::Resource<DynamicType = ()> + Clone + DeserializeOwned + std::fmt::Debug,
    {
        let api: Api<K> = Api::all(self.client.clone());
        Self::items(&api, format!("{kind}")).await
    }

    async fn items<K>(api: &Api<K>, what: String) -> Result<Vec<K>, ClusterError>
    where
        K: kube::Resource + Clone + DeserializeOwned + std::fmt::Debug,
    {
        api.list(&ListParams::default())
            .await
            .map(|list| list.items)
            .map_err(|e| ClusterError::api("list", what, &e))
    }
}

#[cfg(test)]
mod tests {
    use graders::Check;
    use graders::needs::Needs;
    use serde_json::json;

    use crate::cluster::mock::{Log, empty_list, live, requests};
    use crate::cluster::safety::Ownership;

    /// The paths (no query) of the requests in `log`, sorted.
    fn sorted_paths(log: &Log) -> Vec<String> {
        let mut paths: Vec<String> = requests(log)
            .iter()
            .map(|r| r.uri.split('?').next().unwrap_or_default().to_owned())
            .collect();
        paths.sort_unstable();
        paths
    }

    #[tokio::test]
    async fn one_list_per_kind_and_namespace_and_nothing_else() {
        let checks: Vec<Check> = serde_json::from_value(json!([
            {"id": "eps", "points": 1, "description": "d", "grader": "endpoints", "with": {"namespace": "shop", "service": "web", "minReady": 1}},
            {"id": "ready", "points": 1, "description": "d", "grader": "pods-ready", "with": {"namespace": "shop", "selector": {"matchLabels": {"app": "web"}}}},
            {"id": "np", "points": 1, "description": "d", "grader": "assert", "with": {"target": {"kind": "NetworkPolicy", "name": "deny", "namespace": "shop"}, "match": {}}}
        ]))
        .expect("checks");
        let needs = Needs::of(&checks);
        let (live, log) = live(Ownership::Foreign, false, |request| {
            if request.uri.starts_with("/api/v1/namespaces/shop/pods") {
                let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1", "namespace": "shop", "labels": {"app": "web"}}});
                (
                    200,
                    json!({"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": [pod]}),
                )
            } else {
                (200, empty_list("Thing"))
            }
        });
        let state = live.observe(&needs.lists).await.expect("observes");
        assert_eq!(state.pods.len(), 1);
        let seen = requests(&log);
        assert_eq!(seen.len(), needs.lists.len(), "{seen:?}");
        assert!(seen.iter().all(|r| r.method == "GET"));
        let mut paths: Vec<&str> = seen
            .iter()
            .map(|r| r.uri.split('?').next().unwrap_or_default())
            .collect();
        paths.sort_unstable();
        assert_eq!(
            paths,
            [
                "/api/v1/namespaces/shop/pods",
                "/api/v1/namespaces/shop/services",
                "/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices",
                "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies",
            ]
        );
    }

    #[tokio::test]
    async fn gateway_api_objects_are_listed_through_their_crds_and_none_without_them() {
        use graders::target::ObjectKind;
        let route = json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"parentRefs": [{"name": "edge"}]},
            "status": {"parents": [{"parentRef": {"name": "edge"}, "conditions": [{"type": "Accepted", "status": "True"}]}]}});
        let lists = std::collections::BTreeSet::from([
            (ObjectKind::HttpRoute, Some("shop".to_owned())),
            (ObjectKind::GatewayClass, Some("shop".to_owned())),
        ]);
        let (installed, log) = live(Ownership::Foreign, false, move |request| {
            if request
                .uri
                .starts_with("/apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes")
            {
                (
                    200,
                    json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRouteList", "metadata": {}, "items": [route.clone()]}),
                )
            } else {
                (200, empty_list("GatewayClass"))
            }
        });
        let state = installed.observe(&lists).await.expect("observes");
        let seen = state
            .get_json(ObjectKind::HttpRoute, Some("shop"), "web")
            .expect("listed");
        assert_eq!(seen["status"]["parents"][0]["conditions"][0]["type"], "Accepted");
        assert_eq!(
            sorted_paths(&log),
            [
                "/apis/gateway.networking.k8s.io/v1/gatewayclasses",
                "/apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes",
            ],
            "a GatewayClass is cluster-scoped whatever namespace is asked"
        );
        let not_found = json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404, "message": "the server could not find the requested resource"});
        let (missing, _) = live(Ownership::Foreign, false, move |_| (404, not_found.clone()));
        let state = missing
            .observe(&lists)
            .await
            .expect("no CRDs is no objects, not an error");
        assert!(state.http_routes.is_empty() && state.gateway_classes.is_empty());
    }

    #[tokio::test]
    async fn exclusivity_lists_pods_and_policies_of_every_namespace_once() {
        let checks: Vec<Check> = serde_json::from_value(json!([
            {"id": "only", "points": 1, "description": "d", "grader": "reachability", "with": {
                "to": {"service": "api", "namespace": "shop", "port": 8080},
                "onlyFrom": [{"namespace": "shop", "selector": {"matchLabels": {"app": "frontend"}}}]}}
        ]))
        .expect("checks");
        let mut lists = Needs::of(&checks).lists;
        lists.insert((graders::target::ObjectKind::Pod, Some("shop".to_owned())));
        let (live, log) = live(Ownership::Foreign, false, |_| (200, empty_list("Thing")));
        live.observe(&lists).await.expect("observes");
        assert_eq!(
            sorted_paths(&log),
            [
                "/api/v1/namespaces",
                "/api/v1/namespaces/shop/services",
                "/api/v1/nodes",
                "/api/v1/pods",
                "/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices",
                "/apis/networking.k8s.io/v1/networkpolicies",
            ]
        );
    }

    fn pod_list(ready: &str, version: usize) -> serde_json::Value {
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1", "namespace": "shop", "labels": {"app": "web"}, "resourceVersion": version.to_string()},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": ready}]}});
        json!({"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": [pod]})
    }

    fn ready_within(timeout: &str) -> Vec<Check> {
        serde_json::from_value(json!([
            {"id": "ready", "points": 1, "description": "d", "grader": "pods-ready", "timeout": timeout,
             "with": {"namespace": "shop", "selector": {"matchLabels": {"app": "web"}}, "minReady": 1}}
        ]))
        .expect("checks")
    }

    /// A pod that turns Ready on the third look is graded Ready: the state is observed again
    /// every 2 s while the check fails, once more to confirm the pass, and no more.
    #[tokio::test(start_paused = true)]
    async fn a_failing_state_check_is_observed_again_until_it_passes() {
        let checks = ready_within("90s");
        let needs = Needs::of(&checks);
        let looks = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = looks.clone();
        let (live, log) = live(Ownership::Foreign, false, move |_| {
            // Its status (and so its resourceVersion) changes until it turns Ready, then stays.
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            (200, pod_list(if n >= 2 { "True" } else { "False" }, n.min(2)))
        });
        let first = live.observe(&needs.lists).await.expect("observes");
        let start = tokio::time::Instant::now();
        let state = live.settle(&checks, &needs.lists, first).await.expect("settles");
        assert!(graders::state::pod_is_ready(&state.pods[0]));
        assert_eq!(
            requests(&log).len(),
            4,
            "two looks after the first, one to confirm, then none"
        );
        assert_eq!(start.elapsed(), std::time::Duration::from_secs(6));
    }

    /// A pod that never turns Ready, its status changing all the while (a restart count, say),
    /// is looked at until the check's timeout, then graded as seen.
    #[tokio::test(start_paused = true)]
    async fn a_state_check_that_keeps_failing_is_given_up_at_its_timeout() {
        let checks = ready_within("7s");
        let needs = Needs::of(&checks);
        let looks = std::sync::atomic::AtomicUsize::new(0);
        let (live, log) = live(Ownership::Foreign, false, move |_| {
            (
                200,
                pod_list("False", looks.fetch_add(1, std::sync::atomic::Ordering::SeqCst)),
            )
        });
        let first = live.observe(&needs.lists).await.expect("observes");
        let start = tokio::time::Instant::now();
        let state = live.settle(&checks, &needs.lists, first).await.expect("settles");
        assert!(!graders::state::pod_is_ready(&state.pods[0]));
        assert_eq!(start.elapsed(), std::time::Duration::from_secs(7));
        assert_eq!(requests(&log).len(), 1 + 4, "at 2, 4, 6 and 7 s");
    }

    /// A failing state nothing changes is final after the quiet time, long before a 90 s timeout.
    #[tokio::test(start_paused = true)]
    async fn a_cluster_at_rest_is_graded_after_the_quiet_time() {
        let checks = ready_within("90s");
        let needs = Needs::of(&checks);
        let (live, _log) = live(Ownership::Foreign, false, |_| (200, pod_list("False", 1)));
        let first = live.observe(&needs.lists).await.expect("observes");
        let start = tokio::time::Instant::now();
        live.settle(&checks, &needs.lists, first).await.expect("settles");
        assert_eq!(start.elapsed(), graders::settle::QUIET);
    }
}
