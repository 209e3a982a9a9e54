//! Server-side apply of rendered manifests: kinds resolved (built in, or by discovery), then
//! one `PATCH` with `application/apply-patch+yaml` per object under the `kubedrill` field
//! manager, Namespaces and CRDs first. Every write asks the [`Guard`](super::safety::Guard).
//!
//! Applies what it is given; never renders, waits or prints.

use kube::api::{Api, DynamicObject, Patch, PatchParams};

use super::error::ClusterError;
use super::kinds::Resolved;
use super::live::Live;
use super::safety::{FIELD_MANAGER, Scope};
use crate::scenario::manifest::Manifest;

/// Apply order: Namespaces, then CRDs, then everything else as written (stable).
#[must_use]
pub fn order(manifests: &[Manifest]) -> Vec<&Manifest> {
    let rank = |m: &Manifest| match m.kind.as_str() {
        "Namespace" => 0,
        "CustomResourceDefinition" => 1,
        _ => 2,
    };
    let mut ordered: Vec<&Manifest> = manifests.iter().collect();
    ordered.sort_by_key(|m| rank(m));
    ordered
}

/// The attempt whose steps apply a manifest.
#[derive(Clone, Copy, Debug)]
pub struct Attempt<'a> {
    /// Scenario id.
    pub scenario: &'a str,
    /// Seed.
    pub seed: u64,
}

/// `Kind ns/name` or `Kind name`, for messages.
#[must_use]
pub fn describe(manifest: &Manifest) -> String {
    match &manifest.namespace {
        Some(namespace) => format!("{} {namespace}/{}", manifest.kind, manifest.name),
        None => format!("{} {}", manifest.kind, manifest.name),
    }
}

impl Live {
    /// Apply every manifest, in [`order`].
    pub async fn apply_all(&self, manifests: &[Manifest]) -> Result<(), ClusterError> {
        for manifest in order(manifests) {
            self.apply(manifest).await?;
        }
        Ok(())
    }

    /// Server-side apply one manifest (forcing conflicts: kubedrill owns scenario objects).
    pub async fn apply(&self, manifest: &Manifest) -> Result<DynamicObject, ClusterError> {
        self.apply_for(manifest, None).await
    }

    /// [`Live::apply`] for an attempt's steps: a Namespace records the scenario and seed.
    pub async fn apply_for(
        &self,
        manifest: &Manifest,
        attempt: Option<Attempt<'_>>,
    ) -> Result<DynamicObject, ClusterError> {
        let resolved = self.kinds.resolve(&manifest.api_version, &manifest.kind).await?;
        let namespace = manifest.namespace.as_deref().unwrap_or("default");
        let what = describe(manifest);
        let scope = match (resolved.namespaced, manifest.kind.as_str()) {
            (true, _) => Scope::Namespaced(namespace),
            (false, "Namespace") => Scope::Namespace(&manifest.name),
            (false, _) => Scope::ClusterWide(&what),
        };
        self.guard.allow(&format!("apply {what}"), scope)?;
        let api = self.dynamic(&resolved, resolved.namespaced.then_some(namespace));
        let params = PatchParams::apply(FIELD_MANAGER).force();
        let mut object = manifest.object.clone();
        if manifest.kind == "Namespace" && !super::safety::is_system_namespace(&manifest.name) {
            // Marks what `cluster reset` removes; an annotation, so no selector can see it.
            // System namespaces (an add-on's, say) are kept by resets, so they are not marked.
            let annotations = &mut object["metadata"]["annotations"];
            let scenario = attempt.map_or("true", |a| a.scenario);
            annotations[super::lifecycle::NAMESPACE_ANNOTATION] = scenario.into();
            if let Some(attempt) = attempt {
                annotations[super::lifecycle::SEED_ANNOTATION] = attempt.seed.to_string().into();
            }
        }
        api.patch(&manifest.name, &params, &Patch::Apply(&object))
            .await
            .map_err(|e| ClusterError::api("apply", what, &e))
    }

    /// A dynamic API handle for a resolved kind, in `namespace` when namespaced.
    #[must_use]
    pub fn dynamic(&self, resolved: &Resolved, namespace: Option<&str>) -> Api<DynamicObject> {
        match namespace {
            Some(namespace) => Api::namespaced_with(self.client.clone(), namespace, &resolved.resource),
            None => Api::all_with(self.client.clone(), &resolved.resource),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::order;
    use crate::scenario::manifest::parse_manifests;

    #[test]
    fn namespaces_and_crds_go_first_and_the_rest_keeps_its_order() {
        let manifests = parse_manifests(
            "apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: shop}\nspec: {ports: [{port: 80}]}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: shop}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n",
        )
        .expect("parses");
        let kinds: Vec<&str> = order(&manifests).iter().map(|m| m.kind.as_str()).collect();
        assert_eq!(kinds, ["Namespace", "Service", "ConfigMap"]);
    }
}

#[cfg(test)]
mod requests {
    use crate::cluster::error::ClusterError;
    use crate::cluster::mock::{echo, live, requests};
    use crate::cluster::safety::Ownership;
    use crate::scenario::manifest::parse_manifests;

    const SETUP: &str = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec: {selector: {app: web}, ports: [{port: 80}]}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec: {selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: i}]}}}\n";

    #[tokio::test]
    async fn server_side_apply_one_patch_per_object_namespace_first() {
        let (live, log) = live(Ownership::Owned("kubedrill-kindnet".into()), false, echo);
        let manifests = parse_manifests(SETUP).expect("parses");
        live.apply_all(&manifests).await.expect("applies");
        let seen = requests(&log);
        let uris: Vec<&str> = seen
            .iter()
            .map(|r| r.uri.split('?').next().unwrap_or_default())
            .collect();
        assert_eq!(
            uris,
            [
                "/api/v1/namespaces/shop",
                "/api/v1/namespaces/shop/services/web",
                "/apis/apps/v1/namespaces/shop/deployments/web",
            ]
        );
        for request in &seen {
            assert_eq!(request.method, "PATCH");
            assert_eq!(request.content_type, "application/apply-patch+yaml");
            assert!(request.uri.contains("fieldManager=kubedrill"), "{}", request.uri);
            assert!(request.uri.contains("force=true"), "{}", request.uri);
        }
        assert_eq!(seen[1].body["spec"]["selector"]["app"], "web");
        assert_eq!(
            seen[0].body["metadata"]["annotations"]["kubedrill.dev/scenario"],
            "true"
        );
    }

    /// An add-on's namespace is a system namespace: resets keep it, so it is not marked as a
    /// scenario's.
    #[tokio::test]
    async fn system_namespaces_are_not_marked_for_reset() {
        let (live, log) = live(Ownership::Owned("kubedrill-kindnet".into()), false, echo);
        let manifests = parse_manifests(&format!(
            "apiVersion: v1\nkind: Namespace\nmetadata: {{name: {}}}\n",
            crate::cluster::addons::GATEWAY_CONTROLLER_NAMESPACE
        ))
        .expect("parses");
        live.apply_all(&manifests).await.expect("applies");
        let seen = requests(&log);
        assert_eq!(seen.len(), 1);
        assert!(
            seen[0].body["metadata"]["annotations"]["kubedrill.dev/scenario"].is_null(),
            "{}",
            seen[0].body
        );
    }

    #[tokio::test]
    async fn a_foreign_cluster_gets_no_write_at_all() {
        let (live, log) = live(Ownership::Foreign, false, echo);
        let manifests = parse_manifests(SETUP).expect("parses");
        let error = live.apply_all(&manifests).await.expect_err("refused");
        assert!(matches!(error, ClusterError::ForeignCluster { .. }), "{error}");
        assert!(requests(&log).is_empty(), "{:?}", requests(&log));
    }

    #[tokio::test]
    async fn api_errors_name_the_object() {
        let (live, _) = live(Ownership::Owned("k".into()), false, |_| {
            (
                422,
                serde_json::json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": "spec.ports: Required value", "reason": "Invalid", "code": 422}),
            )
        });
        let manifests = parse_manifests(SETUP).expect("parses");
        let error = live.apply(&manifests[0]).await.expect_err("invalid");
        assert_eq!(
            error.to_string(),
            "apply `Service shop/web`: spec.ports: Required value (422)"
        );
    }
}
