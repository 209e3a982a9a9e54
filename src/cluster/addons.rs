//! Cluster add-ons a scenario may need beyond its profile's CNI: today the ingress-nginx
//! controller, installed the first time a scenario applies an `Ingress` (from its pinned,
//! SHA-256-verified manifest) and kept across resets (its namespace is a system namespace).
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

impl Live {
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
