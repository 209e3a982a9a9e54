//! Which API resource a manifest's `apiVersion`/`kind` (or a grader's [`ObjectKind`]) lives at.
//! Built-in kinds come from kubedrill's kind table (built from k8s-openapi's types) without a
//! request; anything else (CRDs, add-ons' kinds) from API discovery, once per kind.
//!
//! Resolves names only; never reads or writes objects.

use std::collections::HashMap;
use std::sync::Mutex;

use graders::target::ObjectKind;
use kube::Client;
use kube::api::{ApiResource, GroupVersionKind};
use kube::discovery::{Scope, pinned_kind};

use super::error::ClusterError;
use crate::scenario::kinds::find_builtin;

/// Where objects of one kind live.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The resource (group, version, plural).
    pub resource: ApiResource,
    /// Whether objects live in a namespace.
    pub namespaced: bool,
}

/// A built-in kind (kubedrill's one table, `scenario::kinds::BUILTIN`), without asking the
/// cluster.
#[must_use]
pub fn builtin(api_version: &str, kind: &str) -> Option<Resolved> {
    let known = find_builtin(api_version, kind)?;
    Some(Resolved {
        resource: ApiResource::from_gvk_with_plural(&gvk(known.api_version, known.kind), known.plural),
        namespaced: known.namespaced,
    })
}

/// The resource of a kind graders know: built in, or one of an add-on's custom resources
/// (their version is the one kubedrill installs, so no discovery is needed).
#[must_use]
pub fn of(kind: ObjectKind) -> Resolved {
    let (api_version, name) = api_version_kind(kind);
    builtin(api_version, name).unwrap_or_else(|| Resolved {
        resource: ApiResource::from_gvk_with_plural(&gvk(api_version, name), addon_plural(kind)),
        namespaced: kind.is_namespaced(),
    })
}

/// The resource name of an add-on kind (every other kind is built in: a test walks them all).
const fn addon_plural(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::GatewayClass => "gatewayclasses",
        ObjectKind::Gateway => "gateways",
        ObjectKind::HttpRoute => "httproutes",
        ObjectKind::ReferenceGrant => "referencegrants",
        _ => "",
    }
}

/// `apiVersion` and `kind` of a kind graders know.
#[must_use]
pub const fn api_version_kind(kind: ObjectKind) -> (&'static str, &'static str) {
    match kind {
        ObjectKind::Namespace => ("v1", "Namespace"),
        ObjectKind::Node => ("v1", "Node"),
        ObjectKind::Pod => ("v1", "Pod"),
        ObjectKind::Service => ("v1", "Service"),
        ObjectKind::ConfigMap => ("v1", "ConfigMap"),
        ObjectKind::Deployment => ("apps/v1", "Deployment"),
        ObjectKind::DaemonSet => ("apps/v1", "DaemonSet"),
        ObjectKind::StatefulSet => ("apps/v1", "StatefulSet"),
        ObjectKind::ReplicaSet => ("apps/v1", "ReplicaSet"),
        ObjectKind::EndpointSlice => ("discovery.k8s.io/v1", "EndpointSlice"),
        ObjectKind::NetworkPolicy => ("networking.k8s.io/v1", "NetworkPolicy"),
        ObjectKind::Ingress => ("networking.k8s.io/v1", "Ingress"),
        ObjectKind::GatewayClass => (GATEWAY_API, "GatewayClass"),
        ObjectKind::Gateway => (GATEWAY_API, "Gateway"),
        ObjectKind::HttpRoute => (GATEWAY_API, "HTTPRoute"),
        ObjectKind::ReferenceGrant => (GATEWAY_API, "ReferenceGrant"),
    }
}

/// The Gateway API version the `gateway-api` add-on serves and graders read.
const GATEWAY_API: &str = "gateway.networking.k8s.io/v1";

fn gvk(api_version: &str, kind: &str) -> GroupVersionKind {
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    GroupVersionKind::gvk(group, version, kind)
}

/// Resolves kinds, asking the cluster's discovery API only for kinds not built in, and each
/// of those once.
pub struct Kinds {
    client: Client,
    discovered: Mutex<HashMap<(String, String), Resolved>>,
}

impl Kinds {
    /// A resolver for `client`'s cluster.
    #[must_use]
    pub fn new(client: Client) -> Self {
        Self {
            client,
            discovered: Mutex::new(HashMap::new()),
        }
    }

    /// Where `api_version`/`kind` objects live.
    pub async fn resolve(&self, api_version: &str, kind: &str) -> Result<Resolved, ClusterError> {
        if let Some(resolved) = builtin(api_version, kind) {
            return Ok(resolved);
        }
        let key = (api_version.to_owned(), kind.to_owned());
        if let Some(resolved) = self.cached(&key) {
            return Ok(resolved);
        }
        let (resource, capabilities) =
            pinned_kind(&self.client, &gvk(api_version, kind))
                .await
                .map_err(|_| ClusterError::UnknownKind {
                    api_version: api_version.to_owned(),
                    kind: kind.to_owned(),
                })?;
        let resolved = Resolved {
            resource,
            namespaced: matches!(capabilities.scope, Scope::Namespaced),
        };
        if let Ok(mut cache) = self.discovered.lock() {
            cache.insert(key, resolved.clone());
        }
        Ok(resolved)
    }

    fn cached(&self, key: &(String, String)) -> Option<Resolved> {
        self.discovered.lock().ok().and_then(|cache| cache.get(key).cloned())
    }
}

#[cfg(test)]
mod tests {
    use graders::target::ObjectKind;

    use super::{api_version_kind, builtin, of};

    #[test]
    fn every_grader_kind_is_built_in_with_the_right_scope() {
        for kind in [
            ObjectKind::Namespace,
            ObjectKind::Node,
            ObjectKind::Pod,
            ObjectKind::Service,
            ObjectKind::ConfigMap,
            ObjectKind::Deployment,
            ObjectKind::DaemonSet,
            ObjectKind::StatefulSet,
            ObjectKind::ReplicaSet,
            ObjectKind::EndpointSlice,
            ObjectKind::NetworkPolicy,
            ObjectKind::Ingress,
        ] {
            let (api_version, name) = api_version_kind(kind);
            let resolved = builtin(api_version, name).unwrap_or_else(|| panic!("{kind:?} is built in"));
            assert_eq!(resolved.namespaced, kind.is_namespaced(), "{kind:?}");
            assert_eq!(resolved.resource.kind, name);
            assert_eq!(of(kind).resource.plural, resolved.resource.plural);
            assert!(!kind.is_addon());
        }
        for (kind, plural, namespaced) in [
            (ObjectKind::GatewayClass, "gatewayclasses", false),
            (ObjectKind::Gateway, "gateways", true),
            (ObjectKind::HttpRoute, "httproutes", true),
            (ObjectKind::ReferenceGrant, "referencegrants", true),
        ] {
            let (api_version, name) = api_version_kind(kind);
            assert!(kind.is_addon() && builtin(api_version, name).is_none(), "{kind:?}");
            let resolved = of(kind);
            assert_eq!(
                (resolved.resource.group.as_str(), resolved.resource.version.as_str()),
                ("gateway.networking.k8s.io", "v1")
            );
            assert_eq!(
                (resolved.resource.kind.as_str(), name),
                (kind.to_string().as_str(), name)
            );
            assert_eq!(
                (resolved.resource.plural.as_str(), resolved.namespaced),
                (plural, namespaced)
            );
            assert!(
                crate::scenario::kinds::addon_kinds(crate::scenario::model::Addon::GatewayApi)
                    .contains(&(api_version, name)),
                "{kind:?} is a kind the add-on declares"
            );
        }
        assert_eq!(of(ObjectKind::NetworkPolicy).resource.plural, "networkpolicies");
        assert!(builtin("crd.projectcalico.org/v1", "IPPool").is_none());
        let job = builtin("batch/v1", "Job").expect("the scenario table's kinds resolve without discovery");
        assert_eq!(
            (job.resource.group.as_str(), job.resource.version.as_str()),
            ("batch", "v1")
        );
        assert_eq!((job.resource.plural.as_str(), job.namespaced), ("jobs", true));
        let crd = builtin("apiextensions.k8s.io/v1", "CustomResourceDefinition").expect("built in");
        assert_eq!(
            (crd.resource.plural.as_str(), crd.namespaced),
            ("customresourcedefinitions", false)
        );
    }
}
