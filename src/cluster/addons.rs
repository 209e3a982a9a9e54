//! Cluster add-ons a scenario may need beyond its profile's CNI, each installed the first time
//! a scenario needs it from pinned, SHA-256-verified files and kept across resets:
//! - the ingress-nginx controller, when a scenario applies an `Ingress` (its namespace is a
//!   system namespace);
//! - the Gateway API's standard-channel CRDs, when a scenario applies Gateway API objects
//!   (cluster-scoped definitions; no Gateway controller yet).
//!
//! Decides and installs through [`Live`]; never prints.

use std::path::Path;

use graders::target::{ObjectKind, ObjectRef};

use super::error::ClusterError;
use super::live::Live;
use super::process::Runner;
use crate::scenario::Rendered;
use crate::scenario::step::WaitStep;

/// The controller image the pinned manifest runs (digest-pinned there).
pub const INGRESS_CONTROLLER_IMAGE: &str = "registry.k8s.io/ingress-nginx/controller:v1.15.1@sha256:594ceea76b01c592858f803f9ff4d2cb40542cae2060410b2c95f75907d659e1";
/// The admission-webhook certificate job's image.
pub const INGRESS_CERTGEN_IMAGE: &str = "registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.6.9@sha256:01038e7de14b78d702d2849c3aad72fd25903c4765af63cf16aa3398f5d5f2dd";

/// Whether the scenario's setup applies an Ingress (and so needs a controller).
#[must_use]
pub fn needs_ingress(rendered: &Rendered) -> bool {
    rendered.setup_objects().any(|m| m.kind == "Ingress")
}

/// Whether the scenario's setup applies Gateway API objects (and so needs their CRDs).
#[must_use]
pub fn needs_gateway_api(rendered: &Rendered) -> bool {
    rendered
        .setup_objects()
        .any(|m| m.api_version.starts_with(GATEWAY_API_GROUP))
}

/// The Gateway API's group, as `apiVersion`s start.
const GATEWAY_API_GROUP: &str = "gateway.networking.k8s.io/";

/// How long the API server may take to serve the kinds of CRDs just applied.
const SERVED_WITHIN: std::time::Duration = std::time::Duration::from_secs(60);

impl Live {
    /// Install what `rendered`'s setup needs beyond the profile: the ingress controller
    /// ([`Self::ensure_ingress`]) and the Gateway API CRDs ([`Self::ensure_gateway_api`]), each
    /// timed in `timings` under its own name. Files are cached in `cache`; `preloaded` as for
    /// [`Self::ensure_ingress`].
    pub async fn ensure_addons(
        &self,
        rendered: &Rendered,
        runner: &dyn Runner,
        cache: &Path,
        preloaded: &[String],
        timings: &mut super::lifecycle::Timings,
        progress: &dyn super::lifecycle::Progress,
    ) -> Result<(), ClusterError> {
        if needs_ingress(rendered) {
            timings
                .run(
                    progress,
                    "ingress controller",
                    self.ensure_ingress(runner, cache, preloaded),
                )
                .await?;
        }
        if needs_gateway_api(rendered) {
            timings
                .run(progress, "Gateway API CRDs", self.ensure_gateway_api(runner, cache))
                .await?;
        }
        Ok(())
    }

    /// Install the Gateway API's standard-channel CRDs (pinned files, cached in `cache`) and
    /// wait until the API server serves `HTTPRoute`.
    pub async fn ensure_gateway_api(&self, runner: &dyn Runner, cache: &Path) -> Result<(), ClusterError> {
        std::fs::create_dir_all(cache).map_err(|e| ClusterError::io(cache, &e))?;
        let mut manifests = Vec::new();
        for artifact in super::tools::gateway_api_crds() {
            manifests.extend(super::cni::pinned_manifests(runner, cache, &artifact)?);
        }
        self.apply_all(&manifests).await?;
        let deadline = tokio::time::Instant::now() + SERVED_WITHIN;
        loop {
            match self.kinds.resolve("gateway.networking.k8s.io/v1", "HTTPRoute").await {
                Ok(_) => return Ok(()),
                Err(e) if tokio::time::Instant::now() >= deadline => return Err(e),
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(500)).await,
            }
        }
    }

    /// Install ingress-nginx (pinned manifest, cached in `cache`) and wait for its controller.
    /// Images `cluster load-images` loaded (`preloaded`) are used from the nodes.
    pub async fn ensure_ingress(
        &self,
        runner: &dyn Runner,
        cache: &Path,
        preloaded: &[String],
    ) -> Result<(), ClusterError> {
        std::fs::create_dir_all(cache).map_err(|e| ClusterError::io(cache, &e))?;
        let mut manifests = super::cni::pinned_manifests(runner, cache, &super::tools::ingress_nginx_manifest())?;
        for manifest in &mut manifests {
            super::images::use_preloaded(&mut manifest.object, preloaded);
        }
        self.apply_all(&manifests).await?;
        self.wait(&WaitStep {
            rollout: Some(ObjectRef {
                kind: ObjectKind::Deployment,
                name: "ingress-nginx-controller".to_owned(),
                namespace: Some("ingress-nginx".to_owned()),
            }),
            deleted: None,
            pods_gone: None,
            pods_ready: None,
            timeout: Some(graders::Duration::from_secs(240)),
        })
        .await
    }
}
