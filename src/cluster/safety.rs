//! The safety rule: kubedrill changes only clusters it created. A cluster counts as created by
//! kubedrill when its nodes carry the `kubedrill.dev/cluster` label, which kubedrill's kind
//! config puts on them at creation (so proving ownership needs no write). Any other cluster is
//! foreign: nothing may be written to it unless the user passed `--allow-foreign-cluster`, and
//! even then only scenario namespaces and probe pods, never system namespaces, nodes or
//! cluster-wide objects.
//!
//! Every write in this module's siblings asks a [`Guard`] first. The only request made here is
//! one read (a node list with a label selector and `limit=1`).

use k8s_openapi::api::core::v1::Node;
use kube::Client;
use kube::api::{Api, ListParams};

use super::client::Target;
use super::error::{ClusterError, api_message};

/// The node label that marks a kubedrill cluster (value: the kind cluster name).
pub const CLUSTER_LABEL: &str = "kubedrill.dev/cluster";
/// Label on everything kubedrill itself creates (probe pods, canaries).
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "kubedrill");
/// The field manager of kubedrill's server-side applies.
pub const FIELD_MANAGER: &str = "kubedrill";

/// Namespaces that belong to the cluster, not to a scenario.
pub const SYSTEM_NAMESPACES: [&str; 7] = [
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "local-path-storage",
    "kube-flannel",
    "ingress-nginx",
    super::addons::GATEWAY_CONTROLLER_NAMESPACE,
];

/// Whether a namespace belongs to the cluster itself.
#[must_use]
pub fn is_system_namespace(namespace: &str) -> bool {
    SYSTEM_NAMESPACES.contains(&namespace)
        || namespace.starts_with("kube-")
        || namespace.starts_with("calico-")
        || namespace.starts_with("tigera-")
}

/// What a write would touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope<'a> {
    /// An object in this namespace.
    Namespaced(&'a str),
    /// A Namespace object with this name.
    Namespace(&'a str),
    /// Any other cluster-scoped object (`kind/name`), or the nodes themselves.
    ClusterWide(&'a str),
}

/// Whether the cluster is kubedrill's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ownership {
    /// Created by kubedrill (the named kind cluster).
    Owned(String),
    /// Anything else.
    Foreign,
}

/// Decides, before each write, whether it may happen.
#[derive(Clone, Debug)]
pub struct Guard {
    ownership: Ownership,
    allow_foreign: bool,
    target: String,
}

impl Guard {
    /// Find out who owns the cluster: one read, no writes. `expected` is the kind cluster name
    /// kubedrill created for this kubeconfig (`None` when the user named a kubeconfig).
    pub async fn establish(
        client: &Client,
        target: &Target,
        expected: Option<&str>,
        allow_foreign: bool,
    ) -> Result<Self, ClusterError> {
        let selector = match expected {
            Some(name) => format!("{CLUSTER_LABEL}={name}"),
            None => CLUSTER_LABEL.to_owned(),
        };
        let nodes: Api<Node> = Api::all(client.clone());
        let found = nodes
            .list_metadata(&ListParams::default().labels(&selector).limit(1))
            .await
            .map_err(|e| ClusterError::Unreachable {
                server: target.server.clone(),
                message: api_message(&e),
            })?;
        let owner = found
            .items
            .first()
            .and_then(|node| node.metadata.labels.as_ref()?.get(CLUSTER_LABEL).cloned());
        Ok(Self::new(
            owner.map_or(Ownership::Foreign, Ownership::Owned),
            allow_foreign,
            target.label(),
        ))
    }

    /// A guard with a known ownership (tests, and callers that already know).
    #[must_use]
    pub fn new(ownership: Ownership, allow_foreign: bool, target: String) -> Self {
        Self {
            ownership,
            allow_foreign,
            target,
        }
    }

    /// Whether kubedrill created this cluster.
    #[must_use]
    pub fn is_owned(&self) -> bool {
        matches!(self.ownership, Ownership::Owned(_))
    }

    /// The ownership found.
    #[must_use]
    pub fn ownership(&self) -> &Ownership {
        &self.ownership
    }

    /// Refuse at once, before any request, when no write at all may happen (a foreign
    /// cluster without `--allow-foreign-cluster`), so nothing is half-done.
    pub fn allow_any_write(&self) -> Result<(), ClusterError> {
        if self.is_owned() || self.allow_foreign {
            Ok(())
        } else {
            Err(ClusterError::ForeignCluster {
                action: "practise on it".to_owned(),
                context: self.target.clone(),
            })
        }
    }

    /// Whether `action` on `scope` may happen.
    pub fn allow(&self, action: &str, scope: Scope<'_>) -> Result<(), ClusterError> {
        if self.is_owned() {
            return Ok(());
        }
        if !self.allow_foreign {
            return Err(ClusterError::ForeignCluster {
                action: action.to_owned(),
                context: self.target.clone(),
            });
        }
        let protected = match scope {
            Scope::Namespaced(namespace) | Scope::Namespace(namespace) => {
                is_system_namespace(namespace).then(|| format!("namespace {namespace}"))
            }
            Scope::ClusterWide(object) => Some(object.to_owned()),
        };
        match protected {
            Some(target) => Err(ClusterError::Protected {
                action: action.to_owned(),
                target,
            }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Guard, Ownership, Scope, is_system_namespace};
    use crate::cluster::error::ClusterError;

    #[test]
    fn owned_clusters_allow_everything() {
        let guard = Guard::new(Ownership::Owned("kubedrill-kindnet".into()), false, "k".into());
        assert!(guard.allow("patch", Scope::Namespaced("kube-system")).is_ok());
        assert!(guard.allow("exec on nodes", Scope::ClusterWide("nodes")).is_ok());
    }

    #[test]
    fn foreign_clusters_refuse_without_opt_in_and_protect_system_objects_with_it() {
        let refused = Guard::new(Ownership::Foreign, false, "prod".into());
        let error = refused.allow("apply", Scope::Namespaced("shop")).expect_err("refused");
        assert!(matches!(error, ClusterError::ForeignCluster { .. }));
        assert!(error.is_refusal());
        let allowed = Guard::new(Ownership::Foreign, true, "prod".into());
        assert!(allowed.allow("apply", Scope::Namespaced("shop")).is_ok());
        assert!(allowed.allow("create", Scope::Namespace("shop")).is_ok());
        for scope in [
            Scope::Namespaced("kube-system"),
            Scope::Namespace("kube-public"),
            Scope::Namespaced("calico-system"),
            Scope::ClusterWide("ClusterRole/admin"),
        ] {
            let error = allowed.allow("apply", scope).expect_err("protected");
            assert!(matches!(error, ClusterError::Protected { .. }), "{scope:?}");
        }
        assert!(is_system_namespace("kube-flannel") && !is_system_namespace("shop"));
    }
}
