//! What a conformant Gateway API controller would write into an `HTTPRoute`'s status, from the
//! objects alone: for each `parentRefs` entry, whether the route is `Accepted` by that Gateway
//! (its listener exists, allows routes from the route's namespace and of its kind, and shares a
//! hostname), and whether every `backendRef` is resolved (`ResolvedRefs`: a Service that
//! exists, on a port it has, in another namespace only with a `ReferenceGrant`).
//!
//! The rules and reason names are the Gateway API v1 specification's (`NoMatchingParent`,
//! `NotAllowedByListeners`, `NoMatchingListenerHostname`, `RefNotPermitted`, `InvalidKind`,
//! `BackendNotFound`); a test holds them against the status Traefik v3.7 wrote for the same
//! objects. Predict mode uses them where no controller runs; a real controller's status is
//! never replaced.
//!
//! Pure: reads the state, never does I/O, and must not decide verdicts (the graders do).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::selector::LabelSelector;
use crate::state::{ApiObject, ClusterState};

/// The Gateway API's group, the default of `parentRefs[].group`.
const GROUP: &str = "gateway.networking.k8s.io";

/// One condition as a controller would set it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    /// Whether its status is `True`.
    pub status: bool,
    /// The specification's reason.
    pub reason: &'static str,
    /// Why, for a learner.
    pub message: String,
}

impl Condition {
    fn ok(reason: &'static str) -> Self {
        Self {
            status: true,
            reason,
            message: String::new(),
        }
    }

    fn not(reason: &'static str, message: String) -> Self {
        Self {
            status: false,
            reason,
            message,
        }
    }
}

/// The predicted status of a route for one of its parents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParentStatus {
    /// The `parentRefs` entry, as written.
    pub parent_ref: Value,
    /// `Accepted`.
    pub accepted: Condition,
    /// `ResolvedRefs`.
    pub resolved_refs: Condition,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GatewaySpec {
    #[serde(default)]
    listeners: Vec<Listener>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Listener {
    name: String,
    port: Option<i64>,
    protocol: String,
    hostname: Option<String>,
    #[serde(default)]
    allowed_routes: AllowedRoutes,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AllowedRoutes {
    #[serde(default)]
    namespaces: RouteNamespaces,
    #[serde(default)]
    kinds: Vec<GroupKind>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RouteNamespaces {
    from: Option<String>,
    selector: Option<LabelSelector>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupKind {
    group: Option<String>,
    kind: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RouteSpec {
    #[serde(default)]
    parent_refs: Vec<Value>,
    #[serde(default)]
    hostnames: Vec<String>,
    #[serde(default)]
    rules: Vec<Rule>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ParentRef {
    group: Option<String>,
    kind: Option<String>,
    namespace: Option<String>,
    name: String,
    section_name: Option<String>,
    port: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    #[serde(default)]
    backend_refs: Vec<BackendRef>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BackendRef {
    group: Option<String>,
    kind: Option<String>,
    name: String,
    namespace: Option<String>,
    port: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GrantSpec {
    #[serde(default)]
    from: Vec<GrantFrom>,
    #[serde(default)]
    to: Vec<GrantTo>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GrantFrom {
    group: String,
    kind: String,
    namespace: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GrantTo {
    group: String,
    kind: String,
    name: Option<String>,
}

fn spec<T: DeserializeOwned + Default>(object: &ApiObject) -> T {
    serde_json::from_value(object.spec.clone()).unwrap_or_default()
}

fn namespace_of(object: &ApiObject) -> &str {
    object.metadata.namespace.as_deref().unwrap_or_default()
}

fn name_of(object: &ApiObject) -> &str {
    object.metadata.name.as_deref().unwrap_or_default()
}

/// The predicted status of `route` (an `HTTPRoute` in `state`) for each of its parents.
#[must_use]
pub fn predict_route(state: &ClusterState, route: &ApiObject) -> Vec<ParentStatus> {
    let route_spec: RouteSpec = spec(route);
    let resolved_refs = resolve_backends(state, route, &route_spec);
    route_spec
        .parent_refs
        .iter()
        .map(|raw| ParentStatus {
            parent_ref: raw.clone(),
            accepted: serde_json::from_value::<ParentRef>(raw.clone()).map_or_else(
                |e| Condition::not("NoMatchingParent", format!("parentRef cannot be read: {e}")),
                |parent| accept(state, route, &route_spec, &parent),
            ),
            resolved_refs: resolved_refs.clone(),
        })
        .collect()
}

/// What [`predict_route`] reads for `route`, as lists: the Gateways its `parentRefs` name, every
/// Namespace (for `allowedRoutes` selectors), the Services its `backendRefs` name and, for a
/// backend in another namespace, that namespace's `ReferenceGrant`s.
#[must_use]
pub fn prediction_inputs(route: &ApiObject) -> Vec<crate::needs::ListRequest> {
    use crate::target::ObjectKind;
    let route_namespace = namespace_of(route);
    let route_spec: RouteSpec = spec(route);
    let mut lists = vec![(ObjectKind::Namespace, None)];
    for parent in &route_spec.parent_refs {
        let namespace = parent["namespace"].as_str().unwrap_or(route_namespace);
        lists.push((ObjectKind::Gateway, Some(namespace.to_owned())));
    }
    for backend in route_spec.rules.iter().flat_map(|r| &r.backend_refs) {
        let namespace = backend.namespace.as_deref().unwrap_or(route_namespace);
        lists.push((ObjectKind::Service, Some(namespace.to_owned())));
        if namespace != route_namespace {
            lists.push((ObjectKind::ReferenceGrant, Some(namespace.to_owned())));
        }
    }
    lists
}

/// Whether a controller wrote `route`'s status (any `status.parents`); kubedrill's own
/// prediction counts as not written.
#[must_use]
pub fn status_written(route: &ApiObject) -> bool {
    route.status["parents"].as_array().is_some_and(|p| !p.is_empty()) && !is_predicted(route)
}

/// The `controllerName` of a route status kubedrill predicted ([`fill_predicted`]), so reports
/// can say the verdicts that read it are predicted.
pub const PREDICTED_CONTROLLER: &str = "kubedrill.dev/predicted";

/// Give every `HTTPRoute` of `state` that no controller wrote a status for (no
/// `status.parents`) the status [`predict_route`] expects, under [`PREDICTED_CONTROLLER`].
/// A status a controller wrote is left as it is.
pub fn fill_predicted(state: &mut ClusterState) {
    let predicted: Vec<Option<Value>> = state
        .http_routes
        .iter()
        .map(|route| (!status_written(route)).then(|| predicted_status(state, route, PREDICTED_CONTROLLER)))
        .collect();
    for (route, status) in state.http_routes.iter_mut().zip(predicted) {
        if let Some(status) = status {
            route.status = status;
        }
    }
}

/// Whether `route`'s status is kubedrill's prediction ([`fill_predicted`]).
#[must_use]
pub fn is_predicted(route: &ApiObject) -> bool {
    route.status["parents"]
        .as_array()
        .is_some_and(|p| p.iter().any(|p| p["controllerName"] == PREDICTED_CONTROLLER))
}

/// `route`'s `status` as a controller would write it ([`predict_route`]), in the API's shape.
#[must_use]
pub fn predicted_status(state: &ClusterState, route: &ApiObject, controller: &str) -> Value {
    let condition = |kind: &str, c: &Condition| json!({"type": kind, "status": if c.status { "True" } else { "False" }, "reason": c.reason, "message": c.message});
    let parents: Vec<Value> = predict_route(state, route)
        .iter()
        .map(|p| {
            json!({"parentRef": p.parent_ref, "controllerName": controller, "conditions": [
                condition("Accepted", &p.accepted), condition("ResolvedRefs", &p.resolved_refs)]})
        })
        .collect();
    json!({"parents": parents})
}

fn accept(state: &ClusterState, route: &ApiObject, route_spec: &RouteSpec, parent: &ParentRef) -> Condition {
    let route_namespace = namespace_of(route);
    let namespace = parent.namespace.as_deref().unwrap_or(route_namespace);
    if parent.group.as_deref().unwrap_or(GROUP) != GROUP || parent.kind.as_deref().unwrap_or("Gateway") != "Gateway" {
        return Condition::not(
            "NoMatchingParent",
            format!("parentRef {} is not a Gateway", parent.name),
        );
    }
    let Some(gateway) = state
        .gateways
        .iter()
        .find(|g| namespace_of(g) == namespace && name_of(g) == parent.name)
    else {
        return Condition::not(
            "NoMatchingParent",
            format!("Gateway {namespace}/{} does not exist", parent.name),
        );
    };
    let gateway_spec: GatewaySpec = spec(gateway);
    let listeners: Vec<&Listener> = gateway_spec
        .listeners
        .iter()
        .filter(|l| parent.section_name.as_ref().is_none_or(|s| *s == l.name))
        .filter(|l| parent.port.is_none_or(|p| l.port == Some(p)))
        .collect();
    if listeners.is_empty() {
        let names: Vec<&str> = gateway_spec.listeners.iter().map(|l| l.name.as_str()).collect();
        return Condition::not(
            "NoMatchingParent",
            format!(
                "Gateway {namespace}/{} has no listener {}{} (its listeners: {})",
                parent.name,
                parent
                    .section_name
                    .as_deref()
                    .map_or_else(String::new, |s| format!("named `{s}`")),
                parent.port.map_or_else(String::new, |p| format!(" on port {p}")),
                names.join(", ")
            ),
        );
    }
    // A namespace not observed has the name label the API server gives every namespace.
    let labels = crate::analyzer::Analyzer::new(state).namespace_labels(route_namespace);
    let allowing: Vec<&&Listener> = listeners
        .iter()
        .filter(|l| allows_kind(l) && allows_namespace(l, namespace, route_namespace, &labels))
        .collect();
    if allowing.is_empty() {
        return Condition::not(
            "NotAllowedByListeners",
            format!(
                "no listener of Gateway {namespace}/{} it names allows HTTPRoutes from namespace {route_namespace} ({})",
                parent.name,
                listeners
                    .iter()
                    .map(|l| format!("`{}`: {}", l.name, allowed_from(l)))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        );
    }
    if !allowing
        .iter()
        .any(|l| hostnames_intersect(l.hostname.as_deref(), &route_spec.hostnames))
    {
        return Condition::not(
            "NoMatchingListenerHostname",
            format!(
                "the route's hostnames {:?} match no hostname of the listeners that allow it",
                route_spec.hostnames
            ),
        );
    }
    Condition::ok("Accepted")
}

fn allowed_from(listener: &Listener) -> String {
    match listener.allowed_routes.namespaces.from.as_deref().unwrap_or("Same") {
        "Selector" => "namespaces matching its selector".to_owned(),
        other => format!("from: {other}"),
    }
}

fn allows_kind(listener: &Listener) -> bool {
    let kinds = &listener.allowed_routes.kinds;
    if kinds.is_empty() {
        return matches!(listener.protocol.as_str(), "HTTP" | "HTTPS");
    }
    kinds
        .iter()
        .any(|k| k.kind == "HTTPRoute" && k.group.as_deref().unwrap_or(GROUP) == GROUP)
}

fn allows_namespace(
    listener: &Listener,
    gateway_namespace: &str,
    route_namespace: &str,
    labels: &BTreeMap<String, String>,
) -> bool {
    let namespaces = &listener.allowed_routes.namespaces;
    match namespaces.from.as_deref().unwrap_or("Same") {
        "All" => true,
        "Selector" => namespaces.selector.as_ref().is_some_and(|s| s.matches(labels)),
        _ => gateway_namespace == route_namespace,
    }
}

/// Whether a listener's hostname and a route's hostnames share a name (either side unset or a
/// wildcard `*.example.com`, which matches names of one or more labels under it).
fn hostnames_intersect(listener: Option<&str>, route: &[String]) -> bool {
    let Some(listener) = listener else {
        return true;
    };
    route.is_empty()
        || route
            .iter()
            .any(|r| host_matches(listener, r) || host_matches(r, listener))
}

fn host_matches(pattern: &str, host: &str) -> bool {
    pattern == host
        || pattern.strip_prefix('*').is_some_and(|suffix| {
            let host = host.strip_prefix('*').unwrap_or(host);
            host.len() > suffix.len() && host.ends_with(suffix)
        })
}

fn resolve_backends(state: &ClusterState, route: &ApiObject, route_spec: &RouteSpec) -> Condition {
    let route_namespace = namespace_of(route);
    for backend in route_spec.rules.iter().flat_map(|r| &r.backend_refs) {
        if backend.group.as_deref().unwrap_or_default() != ""
            || backend.kind.as_deref().unwrap_or("Service") != "Service"
        {
            return Condition::not("InvalidKind", format!("backendRef {} is not a Service", backend.name));
        }
        let namespace = backend.namespace.as_deref().unwrap_or(route_namespace);
        if namespace != route_namespace && !granted(state, route_namespace, namespace, &backend.name) {
            return Condition::not(
                "RefNotPermitted",
                format!(
                    "backendRef Service {namespace}/{} is in another namespace and no ReferenceGrant in {namespace} allows HTTPRoutes from {route_namespace} to it",
                    backend.name
                ),
            );
        }
        let Some(service) = state.service(namespace, &backend.name) else {
            return Condition::not(
                "BackendNotFound",
                format!("backendRef Service {namespace}/{} does not exist", backend.name),
            );
        };
        let ports: Vec<i32> = service
            .spec
            .as_ref()
            .and_then(|s| s.ports.as_ref())
            .map(|ports| ports.iter().map(|p| p.port).collect())
            .unwrap_or_default();
        if !backend
            .port
            .is_some_and(|p| ports.iter().any(|have| i64::from(*have) == p))
        {
            return Condition::not(
                "BackendNotFound",
                format!(
                    "backendRef Service {namespace}/{} has no port {} (its ports: {ports:?})",
                    backend.name,
                    backend.port.map_or_else(|| "(unset)".to_owned(), |p| p.to_string())
                ),
            );
        }
    }
    Condition::ok("ResolvedRefs")
}

/// Whether a `ReferenceGrant` in `to_namespace` lets `HTTPRoute`s of `from_namespace` refer to
/// Service `name`.
fn granted(state: &ClusterState, from_namespace: &str, to_namespace: &str, name: &str) -> bool {
    state
        .reference_grants
        .iter()
        .filter(|g| namespace_of(g) == to_namespace)
        .map(spec::<GrantSpec>)
        .any(|grant| {
            grant
                .from
                .iter()
                .any(|f| f.group == GROUP && f.kind == "HTTPRoute" && f.namespace == from_namespace)
                && grant
                    .to
                    .iter()
                    .any(|t| t.group.is_empty() && t.kind == "Service" && t.name.as_deref().is_none_or(|n| n == name))
        })
}

#[cfg(test)]
mod tests {
    use super::host_matches;

    #[test]
    fn wildcard_hostnames_match_names_under_them_only() {
        assert!(host_matches("*.example.com", "shop.example.com"));
        assert!(host_matches("*.example.com", "a.shop.example.com"));
        assert!(!host_matches("*.example.com", "example.com"));
        assert!(!host_matches("*.example.com", "shopexample.com"));
        assert!(host_matches("shop.example.com", "shop.example.com"));
        assert!(!host_matches("shop.example.com", "web.example.com"));
        assert!(host_matches("*.example.com", "*.shop.example.com"));
        assert!(host_matches("*.example.com", "*.example.com"));
    }
}
