//! Where an `ExternalName` Service leads. CoreDNS answers its name with a CNAME to
//! `spec.externalName`, taken as an absolute name: `api.billing.svc.cluster.local` reaches
//! Service `api` in `billing`, while `api.billing` or `api.billing.svc` is looked up as written
//! and does not exist. It has no ClusterIP, no endpoints and no port mapping: a client that
//! resolves it connects to the target's address on the port it asked for.
//!
//! Part of the pure analyzer: reads the state, never does I/O.

use k8s_openapi::api::core::v1::Service;

use super::Analyzer;

/// How many CNAMEs are followed before giving up (CoreDNS follows a chain within its zone).
const MAX_CHAIN: usize = 8;

/// What a Service name finally names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Canonical {
    /// A Service with an address: `(namespace, name)`.
    Service(String, String),
    /// A name outside the cluster's zone: what it resolves to is not in the state.
    Outside(String),
    /// The CNAME leads nowhere, and why.
    Dangling(String),
}

/// Whether `service` is of type `ExternalName`, and its target.
#[must_use]
pub fn external_name(service: &Service) -> Option<&str> {
    let spec = service.spec.as_ref()?;
    (spec.type_.as_deref() == Some("ExternalName")).then(|| spec.external_name.as_deref().unwrap_or_default())
}

/// The `(namespace, service)` a fully qualified Service name `<service>.<namespace>.svc.cluster.local`
/// (with or without its root dot) names.
#[must_use]
pub fn cluster_target(target: &str) -> Option<(String, String)> {
    let relative = target.trim_end_matches('.').strip_suffix(".svc.cluster.local")?;
    match relative.split('.').collect::<Vec<_>>().as_slice() {
        [svc, ns] if !svc.is_empty() && !ns.is_empty() => Some(((*ns).to_owned(), (*svc).to_owned())),
        _ => None,
    }
}

impl Analyzer<'_> {
    /// Where Service `name` in `namespace` leads, following `ExternalName` CNAMEs. A missing
    /// Service is [`Canonical::Dangling`].
    #[must_use]
    pub fn canonical(&self, namespace: &str, name: &str) -> Canonical {
        let (mut namespace, mut name) = (namespace.to_owned(), name.to_owned());
        for _ in 0..MAX_CHAIN {
            let Some(service) = self.state.service(&namespace, &name) else {
                return Canonical::Dangling(format!("there is no Service `{name}` in namespace `{namespace}`"));
            };
            let Some(target) = external_name(service) else {
                return Canonical::Service(namespace, name);
            };
            let target = target.trim_end_matches('.');
            match self.cluster_service(target) {
                Ok((ns, svc)) => (namespace, name) = (ns, svc),
                Err(Some(why)) => return Canonical::Dangling(why),
                Err(None) => return Canonical::Outside(target.to_owned()),
            }
        }
        Canonical::Dangling(format!("the CNAMEs from {namespace}/{name} loop"))
    }

    /// The Service a CNAME target names, `Err(Some(why))` when it is a cluster name that cannot
    /// resolve (a short form, as if it were searched), `Err(None)` when it lies outside.
    fn cluster_service(&self, target: &str) -> Result<(String, String), Option<String>> {
        if target.ends_with(".svc.cluster.local") {
            return cluster_target(target).ok_or_else(|| {
                Some(format!(
                    "`{target}` is not a Service name (`<service>.<namespace>.svc.cluster.local`)"
                ))
            });
        }
        let last = target.rsplit('.').next().unwrap_or_default();
        let short = target.ends_with(".cluster.local")
            || last == "svc"
            || !target.contains('.')
            || self
                .state
                .namespaces
                .iter()
                .any(|n| n.metadata.name.as_deref() == Some(last))
            || self
                .state
                .services
                .iter()
                .any(|s| s.metadata.namespace.as_deref() == Some(last));
        if short {
            let first = target.split('.').next().unwrap_or_default();
            return Err(Some(format!(
                "`externalName: {target}` is not fully qualified: a CNAME target is looked up as written, never through a search path, so it does not exist (NXDOMAIN); write `{first}.<namespace>.svc.cluster.local`"
            )));
        }
        Err(None)
    }
}
