//! Gateway API objects as graders see them, over a real capture:
//! `fixtures/gateway-api-traefik.json` is the `kubectl get -o yaml` List (converted to JSON) of
//! a `GatewayClass`, a `Gateway`, four `HTTPRoute`s and a `ReferenceGrant` on kube-apiserver v1.36.3
//! with the Gateway API v1.6.3 standard CRDs, after Traefik v3.7.13 (run on the host against
//! it) had written their status: `r-crossns-backend` attached and resolved (its `ReferenceGrant`
//! allows the backend), `r-badsection` naming a listener the Gateway does not have, `r-otherns`
//! in a namespace the listener does not allow, `r-badport` sending to a port its Service does
//! not have.

use graders::CheckSpec;
use graders::state::{ClusterState, Observation};
use graders::target::ObjectKind;
use graders::verdict::Verdict;
use serde_json::{Value, json};

fn captured() -> Observation {
    let text = include_str!("fixtures/gateway-api-traefik.json");
    let list: Value = serde_json::from_str(text).expect("fixture is JSON");
    Observation {
        state: ClusterState::from_objects([list]).expect("the capture loads"),
        ..Observation::default()
    }
}

/// An `assert` that route `namespace/name` is attached and its backends resolved, as a task
/// would grade it.
fn attached(namespace: &str, name: &str) -> CheckSpec {
    let spec: CheckSpec = serde_json::from_value(json!({"grader": "assert", "with": {
        "target": {"kind": "HTTPRoute", "name": name, "namespace": namespace},
        "match": {"status": {"parents": {"$contains": [{
            "parentRef": {"name": "gw"},
            "conditions": {"$contains": [{"type": "Accepted", "status": "True"}, {"type": "ResolvedRefs", "status": "True"}]}
        }]}}}}}))
    .expect("valid check");
    assert_eq!(spec.problems(), Vec::new());
    spec
}

#[test]
fn the_gateway_api_kinds_load_and_are_found_by_kind_and_name() {
    let observation = captured();
    let state = &observation.state;
    assert_eq!(
        (
            state.gateway_classes.len(),
            state.gateways.len(),
            state.http_routes.len(),
            state.reference_grants.len()
        ),
        (1, 1, 4, 1)
    );
    assert!(state.ignored.is_empty(), "{:?}", state.ignored);
    let class = state
        .get_json(ObjectKind::GatewayClass, None, "traefik")
        .expect("cluster-scoped");
    assert_eq!(class["spec"]["controllerName"], "traefik.io/gateway-controller");
    let route = state
        .get_json(ObjectKind::HttpRoute, Some("other"), "r-otherns")
        .expect("found");
    assert_eq!(route["kind"], "HTTPRoute");
    assert!(
        state
            .get_json(ObjectKind::HttpRoute, Some("app"), "r-otherns")
            .is_none()
    );
    assert_eq!(ObjectKind::HttpRoute.to_string(), "HTTPRoute");
    let kind: ObjectKind = serde_json::from_value(json!("HTTPRoute")).expect("scenario spelling");
    assert_eq!(kind, ObjectKind::HttpRoute);
}

#[test]
fn an_assert_on_route_conditions_tells_attached_routes_from_detached_and_unresolved_ones() {
    let observation = captured();
    assert!(
        attached("app", "r-crossns-backend")
            .evaluate("c", &observation)
            .is_pass()
    );
    for (namespace, name, says) in [
        ("app", "r-badsection", "Accepted"),
        ("other", "r-otherns", "Accepted"),
        ("app", "r-badport", "ResolvedRefs"),
    ] {
        let verdict = attached(namespace, name).evaluate("c", &observation);
        let Verdict::Fail { message, .. } = &verdict else {
            panic!("{name}: {verdict:?}")
        };
        assert!(message.contains("status.parents"), "{name}: {message}");
        let route = observation
            .state
            .get_json(ObjectKind::HttpRoute, Some(namespace), name)
            .expect("found");
        let condition = route["status"]["parents"][0]["conditions"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["type"] == says))
            .expect("the condition the controller set");
        assert_eq!(condition["status"], "False", "{name}");
    }
}

/// The Services and Namespaces the capture's routes refer to, as they were applied.
fn with_services(mut observation: Observation) -> Observation {
    let service = |namespace: &str| {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "backend", "namespace": namespace},
            "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 18000, "protocol": "TCP"}]}})
    };
    let namespace = |name: &str| {
        json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}}})
    };
    observation.state.merge(
        ClusterState::from_objects([service("app"), service("other"), namespace("app"), namespace("other")])
            .expect("objects"),
    );
    observation
}

#[test]
fn predicted_route_conditions_agree_with_what_traefik_wrote() {
    let observation = with_services(captured());
    let state = &observation.state;
    for route in &state.http_routes {
        let name = route.metadata.name.clone().unwrap_or_default();
        let written = &route.status["parents"][0]["conditions"];
        let predicted = graders::gateway::predict_route(state, route);
        assert_eq!(predicted.len(), 1, "{name}");
        for (kind, condition) in [
            ("Accepted", &predicted[0].accepted),
            ("ResolvedRefs", &predicted[0].resolved_refs),
        ] {
            let real = written
                .as_array()
                .and_then(|c| c.iter().find(|c| c["type"] == kind))
                .expect("Traefik wrote it");
            assert_eq!(
                (condition.status, condition.reason),
                (real["status"] == "True", real["reason"].as_str().unwrap_or_default()),
                "{name} {kind}: predicted {condition:?}, Traefik wrote {real}"
            );
        }
        assert_eq!(predicted[0].parent_ref, route.spec["parentRefs"][0], "{name}");
    }
}

#[test]
fn without_its_reference_grant_a_cross_namespace_backend_is_not_permitted() {
    let mut observation = with_services(captured());
    observation.state.reference_grants.clear();
    let route = observation
        .state
        .http_routes
        .iter()
        .find(|r| r.metadata.name.as_deref() == Some("r-crossns-backend"))
        .expect("captured");
    let predicted = graders::gateway::predict_route(&observation.state, route);
    assert_eq!(predicted[0].resolved_refs.reason, "RefNotPermitted");
    assert!(
        predicted[0]
            .resolved_refs
            .message
            .contains("no ReferenceGrant in other"),
        "{}",
        predicted[0].resolved_refs.message
    );
    let status = graders::gateway::predicted_status(&observation.state, route, "kubedrill.dev/predicted");
    assert_eq!(status["parents"][0]["conditions"][1]["reason"], "RefNotPermitted");
    assert_eq!(status["parents"][0]["controllerName"], "kubedrill.dev/predicted");
}

#[test]
fn a_listener_selecting_namespaces_by_label_accepts_a_labelled_namespace_only() {
    let mut observation = with_services(captured());
    let gateway = &mut observation.state.gateways[0];
    gateway.spec["listeners"][0]["allowedRoutes"] =
        json!({"namespaces": {"from": "Selector", "selector": {"matchLabels": {"edge-routes": "true"}}}});
    let other = |state: &ClusterState| {
        let route = state
            .http_routes
            .iter()
            .find(|r| r.metadata.name.as_deref() == Some("r-otherns"))
            .expect("captured");
        graders::gateway::predict_route(state, route)[0].accepted.clone()
    };
    let refused = other(&observation.state);
    assert_eq!((refused.status, refused.reason), (false, "NotAllowedByListeners"));
    assert!(
        refused.message.contains("namespaces matching its selector"),
        "{}",
        refused.message
    );
    let namespace = observation
        .state
        .namespaces
        .iter_mut()
        .find(|n| n.metadata.name.as_deref() == Some("other"))
        .expect("namespace");
    namespace
        .metadata
        .labels
        .get_or_insert_default()
        .insert("edge-routes".to_owned(), "true".to_owned());
    assert_eq!(other(&observation.state).reason, "Accepted");
}

#[test]
fn routes_no_controller_wrote_get_the_predicted_status_and_their_verdicts_say_so() {
    let mut observation = with_services(captured());
    let written = observation.state.http_routes.clone();
    for route in &mut observation.state.http_routes {
        if route.metadata.name.as_deref() != Some("r-badport") {
            route.status = Value::Null;
        }
    }
    graders::gateway::fill_predicted(&mut observation.state);
    for (filled, real) in observation.state.http_routes.iter().zip(&written) {
        let name = filled.metadata.name.as_deref().unwrap_or_default();
        let reasons = |route: &graders::state::ApiObject| -> Vec<String> {
            route.status["parents"][0]["conditions"]
                .as_array()
                .map(|c| {
                    c.iter()
                        .map(|c| format!("{}={}/{}", c["type"], c["status"], c["reason"]))
                        .collect()
                })
                .unwrap_or_default()
        };
        assert_eq!(reasons(filled), reasons(real), "{name}");
        assert_eq!(
            graders::gateway::is_predicted(filled),
            name != "r-badport",
            "{name}: a written status stays"
        );
    }
    let check = |name: &str| -> graders::Check {
        serde_json::from_value(json!({"id": "attached", "points": 1, "description": "d", "grader": "assert",
            "with": {"target": {"kind": "HTTPRoute", "name": name, "namespace": "app"},
                     "match": {"status": {"parents": {"$contains": [{"conditions": {"$contains": [{"type": "Accepted", "status": "True"}]}}]}}}}}))
        .expect("check")
    };
    let results = graders::score::grade(&[check("r-crossns-backend"), check("r-badport")], &observation);
    assert!(results[0].verdict.is_pass() && results[0].predicted, "{:?}", results[0]);
    assert!(
        results[1].verdict.is_pass() && !results[1].predicted,
        "Traefik's own status: {:?}",
        results[1]
    );
}

#[test]
fn a_grade_that_lists_only_routes_follows_them_to_what_their_prediction_reads() {
    let mut everything = with_services(captured()).state;
    for route in &mut everything.http_routes {
        route.status = Value::Null;
    }
    let mut expected = everything.clone();
    graders::gateway::fill_predicted(&mut expected);
    let mut lists: std::collections::BTreeSet<graders::needs::ListRequest> = ["app", "other"]
        .into_iter()
        .map(|namespace| (ObjectKind::HttpRoute, Some(namespace.to_owned())))
        .collect();
    let mut first = everything.clone();
    first.retain_listed(&lists);
    let extra = graders::needs::follow_ups(&first, &lists);
    assert!(!extra.is_empty(), "routes alone cannot be predicted");
    lists.extend(extra);
    let mut observed = everything;
    observed.retain_listed(&lists);
    assert!(
        graders::needs::follow_ups(&observed, &lists).is_empty(),
        "one follow-up is enough"
    );
    graders::gateway::fill_predicted(&mut observed);
    let statuses =
        |state: &ClusterState| -> Vec<Value> { state.http_routes.iter().map(|r| r.status.clone()).collect() };
    assert_eq!(statuses(&observed), statuses(&expected));
    assert!(
        statuses(&observed)
            .iter()
            .any(|s| s["parents"][0]["conditions"][0]["status"] == "False"),
        "the capture has detached routes"
    );
}
