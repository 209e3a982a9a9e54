//! Cluster add-ons a scenario may need beyond its profile's CNI, each installed the first time
//! a scenario needs it from pinned, SHA-256-verified files and kept across resets:
//! - the ingress-nginx controller, when a scenario applies an `Ingress` (its namespace is a
//!   system namespace);
//! - the Gateway API's standard-channel CRDs, when a scenario applies Gateway API objects
//!   (cluster-scoped definitions);
//! - a Gateway API controller (Traefik, rendered from `templates/addons/traefik-gateway.yaml.tera`
//!   with its image pinned by digest, and its `GatewayClass` `traefik`), when a scenario applies a
//!   Gateway of that class (its namespace is a system namespace).
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

/// The Gateway API controller's image: Traefik v3.7.13, pinned by the digest of its
/// multi-architecture index (as docker-library/repo-info records `traefik:v3.7.13`).
pub const TRAEFIK_IMAGE: &str =
    "docker.io/library/traefik:v3.7.13@sha256:24841fe2de7304c149343d877d2923b4c8800a38ba015dea9174c23b20e344a0";
/// The `GatewayClass` kubedrill's Gateway API controller serves.
pub const GATEWAY_CLASS: &str = "traefik";
/// The namespace the Gateway API controller runs in.
pub const GATEWAY_CONTROLLER_NAMESPACE: &str = "traefik-gateway";
/// The container port of the controller's `web` entry point: the port a Gateway listener must
/// use to be served (Traefik maps listeners to entry points by port).
pub const GATEWAY_LISTENER_PORT: u16 = 8000;
const TRAEFIK_TEMPLATE: &str = include_str!("../../templates/addons/traefik-gateway.yaml.tera");

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

/// Whether the scenario's setup applies a Gateway of [`GATEWAY_CLASS`] (and so needs the
/// controller that serves it).
#[must_use]
pub fn needs_gateway_controller(rendered: &Rendered) -> bool {
    rendered.setup_objects().any(|m| {
        m.kind == "Gateway"
            && m.api_version.starts_with(GATEWAY_API_GROUP)
            && m.object["spec"]["gatewayClassName"] == GATEWAY_CLASS
    })
}

/// The Gateway API controller's objects: its namespace, RBAC, Deployment, Service `traefik`
/// (port 80 to the listener port) and `GatewayClass` [`GATEWAY_CLASS`].
pub fn gateway_controller() -> Result<Vec<crate::scenario::manifest::Manifest>, ClusterError> {
    let mut context = tera::Context::new();
    context.insert("namespace", GATEWAY_CONTROLLER_NAMESPACE);
    context.insert("image", TRAEFIK_IMAGE);
    context.insert("class", GATEWAY_CLASS);
    context.insert("listener_port", &GATEWAY_LISTENER_PORT);
    super::cni::render_with(TRAEFIK_TEMPLATE, "templates/addons/traefik-gateway.yaml.tera", &context)
}

/// The Gateway API's group, as `apiVersion`s start.
const GATEWAY_API_GROUP: &str = "gateway.networking.k8s.io/";

/// How long the API server may take to serve the kinds of CRDs just applied.
const SERVED_WITHIN: std::time::Duration = std::time::Duration::from_secs(60);

impl Live {
    /// Install what `rendered`'s setup needs beyond the profile: the ingress controller
    /// ([`Self::ensure_ingress`]), the Gateway API CRDs ([`Self::ensure_gateway_api`]) and its
    /// controller ([`Self::ensure_gateway_controller`]), each
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
        if needs_gateway_controller(rendered) {
            timings
                .run(
                    progress,
                    "Gateway API controller",
                    self.ensure_gateway_controller(preloaded),
                )
                .await?;
        }
        Ok(())
    }

    /// Install the Gateway API controller ([`gateway_controller`]; the CRDs must be served) and
    /// wait for it to roll out. A preloaded image is used from the nodes.
    pub async fn ensure_gateway_controller(&self, preloaded: &[String]) -> Result<(), ClusterError> {
        self.install_controller(
            gateway_controller()?,
            preloaded,
            GATEWAY_CONTROLLER_NAMESPACE,
            "traefik",
        )
        .await
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
        let manifests = super::cni::pinned_manifests(runner, cache, &super::tools::ingress_nginx_manifest())?;
        self.install_controller(manifests, preloaded, "ingress-nginx", "ingress-nginx-controller")
            .await
    }

    /// Apply a controller's `manifests` (images `preloaded` into the nodes used from there) and
    /// wait for its Deployment `namespace/name` to roll out.
    async fn install_controller(
        &self,
        mut manifests: Vec<crate::scenario::manifest::Manifest>,
        preloaded: &[String],
        namespace: &str,
        name: &str,
    ) -> Result<(), ClusterError> {
        for manifest in &mut manifests {
            super::images::use_preloaded(&mut manifest.object, preloaded);
        }
        self.apply_all(&manifests).await?;
        self.wait(&WaitStep {
            rollout: Some(ObjectRef {
                kind: ObjectKind::Deployment,
                name: name.to_owned(),
                namespace: Some(namespace.to_owned()),
            }),
            deleted: None,
            pods_gone: None,
            pods_ready: None,
            timeout: Some(graders::Duration::from_secs(240)),
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::{
        GATEWAY_CLASS, GATEWAY_CONTROLLER_NAMESPACE, GATEWAY_LISTENER_PORT, TRAEFIK_IMAGE, gateway_controller,
    };

    /// The controller's template renders to what the rest of kubedrill counts on: the pinned
    /// image, Service `traefik` on port 80 to the listener port, the `GatewayClass`, and RBAC
    /// bound to the controller's own service account.
    #[test]
    fn the_gateway_controller_renders_pinned_and_wired_together() {
        let manifests = gateway_controller().expect("renders");
        let find = |kind: &str| {
            manifests
                .iter()
                .find(|m| m.kind == kind)
                .unwrap_or_else(|| panic!("no {kind}"))
        };
        let deployment = &find("Deployment").object;
        let container = &deployment["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["image"], TRAEFIK_IMAGE);
        assert!(TRAEFIK_IMAGE.contains("@sha256:"), "pinned by digest");
        let args: Vec<&str> = container["args"]
            .as_array()
            .expect("args")
            .iter()
            .filter_map(serde_json::Value::as_str)
            .collect();
        assert!(args.contains(&format!("--entryPoints.web.address=:{GATEWAY_LISTENER_PORT}").as_str()));
        assert!(args.contains(&"--providers.kubernetesgateway=true"));
        let service = &find("Service").object;
        assert_eq!(service["metadata"]["name"], "traefik");
        assert_eq!(service["spec"]["ports"][0]["port"], 80);
        assert_eq!(
            service["spec"]["selector"],
            deployment["spec"]["template"]["metadata"]["labels"]
        );
        assert_eq!(find("GatewayClass").name, GATEWAY_CLASS);
        assert_eq!(
            find("GatewayClass").object["spec"]["controllerName"],
            "traefik.io/gateway-controller"
        );
        let binding = &find("ClusterRoleBinding").object;
        assert_eq!(binding["subjects"][0]["namespace"], GATEWAY_CONTROLLER_NAMESPACE);
        assert_eq!(
            binding["subjects"][0]["name"],
            deployment["spec"]["template"]["spec"]["serviceAccountName"]
        );
        for manifest in manifests.iter().filter(|m| m.namespace.is_some()) {
            assert_eq!(
                manifest.namespace.as_deref(),
                Some(GATEWAY_CONTROLLER_NAMESPACE),
                "{}",
                manifest.name
            );
        }
        assert!(crate::cluster::safety::is_system_namespace(
            GATEWAY_CONTROLLER_NAMESPACE
        ));
    }
}
