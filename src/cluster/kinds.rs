//! Which API resource a manifest's `apiVersion`/`kind` (or a grader's [`ObjectKind`]) lives at.
//! Built-in kinds come from k8s-openapi without a request; anything else (CRDs, Ingress
//! controllers' kinds) from API discovery, once per kind.
//!
//! Resolves names only; never reads or writes objects.

use std::collections::HashMap;
use std::sync::Mutex;

use graders::target::ObjectKind;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Node, Pod, Secret, Service, ServiceAccount};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass, NetworkPolicy};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{ApiResource, GroupVersionKind};
use kube::discovery::{Scope, pinned_kind};

use super::error::ClusterError;

/// Where objects of one kind live.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The resource (group, version, plural).
    pub resource: ApiResource,
    /// Whether objects live in a namespace.
    pub namespaced: bool,
}

fn erase<K>(namespaced: bool) -> Resolved
where
    K: kube::Resource<DynamicType = ()>,
{
    Resolved {
        resource: ApiResource::erase::<K>(&()),
        namespaced,
    }
}

/// A built-in kind, without asking the cluster.
#[must_use]
pub fn builtin(api_version: &str, kind: &str) -> Option<Resolved> {
    let resolved = match (api_version, kind) {
        ("v1", "Namespace") => erase::<Namespace>(false),
        ("v1", "Node") => erase::<Node>(false),
        ("v1", "Pod") => erase::<Pod>(true),
        ("v1", "Service") => erase::<Service>(true),
        ("v1", "ConfigMap") => erase::<ConfigMap>(true),
        ("v1", "Secret") => erase::<Secret>(true),
        ("v1", "ServiceAccount") => erase::<ServiceAccount>(true),
        ("apps/v1", "Deployment") => erase::<Deployment>(true),
        ("apps/v1", "DaemonSet") => erase::<DaemonSet>(true),
        ("apps/v1", "StatefulSet") => erase::<StatefulSet>(true),
        ("apps/v1", "ReplicaSet") => erase::<ReplicaSet>(true),
        ("discovery.k8s.io/v1", "EndpointSlice") => erase::<EndpointSlice>(true),
        ("networking.k8s.io/v1", "NetworkPolicy") => erase::<NetworkPolicy>(true),
        ("networking.k8s.io/v1", "Ingress") => erase::<Ingress>(true),
        ("networking.k8s.io/v1", "IngressClass") => erase::<IngressClass>(false),
        ("rbac.authorization.k8s.io/v1", "Role") => erase::<Role>(true),
        ("rbac.authorization.k8s.io/v1", "RoleBinding") => erase::<RoleBinding>(true),
        ("rbac.authorization.k8s.io/v1", "ClusterRole") => erase::<ClusterRole>(false),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => erase::<ClusterRoleBinding>(false),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition") => erase::<CustomResourceDefinition>(false),
        _ => return None,
    };
    Some(resolved)
}

/// The resource of a kind graders know.
#[must_use]
pub fn of(kind: ObjectKind) -> Resolved {
    let (api_version, name) = api_version_kind(kind);
    builtin(api_version, name).unwrap_or_else(|| unreachable_kind(kind))
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
    }
}

// Every ObjectKind is in the builtin table (a test walks them all), so this is never reached.
fn unreachable_kind(kind: ObjectKind) -> Resolved {
    let (api_version, name) = api_version_kind(kind);
    Resolved {
        resource: ApiResource::from_gvk(&gvk(api_version, name)),
        namespaced: kind.is_namespaced(),
    }
}

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
        }
        assert_eq!(of(ObjectKind::NetworkPolicy).resource.plural, "networkpolicies");
        assert!(builtin("crd.projectcalico.org/v1", "IPPool").is_none());
    }
}
