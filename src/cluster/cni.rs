//! CNI installs for the profiles that disable kind's default: Flannel (manifest rendered from
//! `templates/cni/flannel.yaml.tera`, plus the `bridge` plugin copied into every node, since
//! kind nodes do not ship it) and Calico (the tigera operator and an Installation with the kind
//! pod subnet). Also which DaemonSet proves each profile's CNI is up.
//!
//! Renders and copies; applying goes through [`Live`](super::live::Live). Never prints.

use std::path::Path;

use graders::target::{ObjectKind, ObjectRef};

use super::error::ClusterError;
use super::kind::KindError;
use super::process::Runner;
use super::tools;
use crate::scenario::manifest::{Manifest, parse_manifests};
use crate::scenario::model::Profile;

/// kind's pod subnet, which every CNI must use.
pub const POD_SUBNET: &str = "10.244.0.0/16";
/// Flannel image (tag-pinned; as flannel v0.28.9's own `Documentation/kube-flannel.yml`).
pub const FLANNEL_IMAGE: &str = "ghcr.io/flannel-io/flannel:v0.28.9";
/// Flannel's CNI plugin image (tag-pinned, from the same manifest).
pub const FLANNEL_CNI_PLUGIN_IMAGE: &str = "ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3";

/// The tigera operator image the pinned `tigera-operator.yaml` runs.
pub const CALICO_OPERATOR_IMAGE: &str = "quay.io/tigera/operator:v1.42.3";

const FLANNEL_TEMPLATE: &str = include_str!("../../templates/cni/flannel.yaml.tera");
const CALICO_INSTALLATION: &str = include_str!("../../templates/cni/calico-installation.yaml.tera");

/// The DaemonSet whose rollout proves the profile's CNI runs on every node.
#[must_use]
pub fn daemon_set(profile: Profile) -> ObjectRef {
    let (namespace, name) = match profile {
        Profile::Kindnet => ("kube-system", "kindnet"),
        Profile::Flannel => ("kube-flannel", "kube-flannel-ds"),
        Profile::Calico => ("calico-system", "calico-node"),
    };
    ObjectRef {
        kind: ObjectKind::DaemonSet,
        name: name.to_owned(),
        namespace: Some(namespace.to_owned()),
    }
}

fn render(template: &str, name: &str) -> Result<Vec<Manifest>, ClusterError> {
    let mut context = tera::Context::new();
    context.insert("pod_subnet", POD_SUBNET);
    context.insert("flannel_image", FLANNEL_IMAGE);
    context.insert("cni_plugin_image", FLANNEL_CNI_PLUGIN_IMAGE);
    render_with(template, name, &context)
}

/// Render one of kubedrill's own manifest templates (`name`, for errors) with `context`.
pub(super) fn render_with(template: &str, name: &str, context: &tera::Context) -> Result<Vec<Manifest>, ClusterError> {
    let text = tera::Tera::new()
        .render_str(template, context, false)
        .map_err(|e| KindError::Template(format!("{name}: {e}")))?;
    parse_manifests(&text).map_err(|problems| {
        let first = problems.first().map(|p| p.message.clone()).unwrap_or_default();
        ClusterError::from(KindError::Template(format!("{name}: {first}")))
    })
}

/// Flannel's manifests.
pub fn flannel() -> Result<Vec<Manifest>, ClusterError> {
    render(FLANNEL_TEMPLATE, "templates/cni/flannel.yaml.tera")
}

/// Calico's Installation resources (applied after the operator and its CRDs).
pub fn calico_installation() -> Result<Vec<Manifest>, ClusterError> {
    render(CALICO_INSTALLATION, "templates/cni/calico-installation.yaml.tera")
}

/// The tigera operator's CRDs and the operator itself, each downloaded once into `cache` and
/// verified against its pinned SHA-256 (never applied unverified).
pub fn calico_operator(runner: &dyn Runner, cache: &Path) -> Result<[Vec<Manifest>; 2], ClusterError> {
    let [crds, operator] = tools::calico_manifests();
    Ok([
        pinned_manifests(runner, cache, &crds)?,
        pinned_manifests(runner, cache, &operator)?,
    ])
}

/// A pinned manifest file: downloaded once into `cache`, verified against its SHA-256, parsed.
pub fn pinned_manifests(
    runner: &dyn Runner,
    cache: &Path,
    artifact: &tools::Artifact,
) -> Result<Vec<Manifest>, ClusterError> {
    let name = format!("{}-{}", artifact.version, file_name(&artifact.url));
    let path = tools::cached(runner, artifact, &cache.join(name))?;
    let text = std::fs::read_to_string(&path).map_err(|e| ClusterError::io(&path, &e))?;
    parse_manifests(&text).map_err(|problems| {
        let first = problems.first().map(|p| p.message.clone()).unwrap_or_default();
        ClusterError::Io {
            path: path.clone(),
            message: first,
        }
    })
}

fn file_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

/// Put the CNI `bridge` plugin into `/opt/cni/bin` of every node: the pinned cni-plugins
/// archive is downloaded (verified) into `cache`, the one binary extracted with `tar`, and
/// copied in with `docker cp`.
pub fn install_bridge(runner: &dyn Runner, nodes: &[String], cache: &Path) -> Result<(), ClusterError> {
    let (_, arch) = tools::platform();
    let artifact = tools::cni_plugins(arch)?;
    let archive = tools::cached(
        runner,
        &artifact,
        &cache.join(format!("cni-plugins-{}-{arch}.tgz", artifact.version)),
    )?;
    let dir = tempfile::tempdir_in(cache).map_err(|e| ClusterError::io(cache, &e))?;
    let (archive_arg, dir_arg) = (archive.display().to_string(), dir.path().display().to_string());
    check(
        &runner.run("tar", &["-xzf", &archive_arg, "-C", &dir_arg, "./bridge"])?,
        "tar",
        "host",
    )?;
    let bridge = dir.path().join("bridge").display().to_string();
    for node in nodes {
        let target = format!("{node}:/opt/cni/bin/bridge");
        check(
            &runner.run("docker", &["cp", &bridge, &target])?,
            "docker cp bridge",
            node,
        )?;
    }
    Ok(())
}

/// A finished program's failure as a node error.
pub fn check(out: &super::process::Output, command: &str, node: &str) -> Result<(), ClusterError> {
    if out.success() {
        return Ok(());
    }
    Err(ClusterError::NodeExec {
        node: node.to_owned(),
        command: command.to_owned(),
        code: out.code.unwrap_or(-1),
        stderr: out.stderr.trim().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::{calico_installation, calico_operator, daemon_set, flannel};
    use crate::scenario::model::Profile;

    #[test]
    fn cni_manifests_render_parse_and_use_the_kind_pod_subnet() {
        let manifests = flannel().expect("flannel renders");
        let kinds: Vec<&str> = manifests.iter().map(|m| m.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "Namespace",
                "ServiceAccount",
                "ClusterRole",
                "ClusterRoleBinding",
                "ConfigMap",
                "DaemonSet"
            ]
        );
        let config = manifests[4].object["data"]["net-conf.json"].as_str().expect("net-conf");
        assert!(config.contains("\"Network\": \"10.244.0.0/16\""), "{config}");
        let ds = &manifests[5];
        assert_eq!(
            (ds.namespace.as_deref(), ds.name.as_str()),
            (Some("kube-flannel"), "kube-flannel-ds")
        );
        assert_eq!(daemon_set(Profile::Flannel).name, ds.name);
        let calico = calico_installation().expect("calico renders");
        assert_eq!(
            calico[0].object["spec"]["calicoNetwork"]["ipPools"][0]["cidr"],
            "10.244.0.0/16"
        );
    }

    /// A runner whose `curl` fails, as it does offline.
    struct Offline;

    impl crate::cluster::process::Runner for Offline {
        fn run(
            &self,
            program: &str,
            _: &[&str],
        ) -> Result<crate::cluster::process::Output, crate::cluster::process::ProcessError> {
            Ok(crate::cluster::process::Output {
                code: Some(if program == "curl" { 6 } else { 0 }),
                stdout: String::new(),
                stderr: "curl: (6) Could not resolve host".to_owned(),
            })
        }
    }

    #[test]
    fn calico_manifests_are_never_used_unverified() {
        let cache = tempfile::tempdir().expect("cache");
        let [crds, _] = crate::cluster::tools::calico_manifests();
        // A cached copy that does not match the pin is not trusted: it is fetched again.
        let stale = cache.path().join(format!("calico-{}-operator-crds.yaml", crds.version));
        std::fs::write(&stale, "apiVersion: v1\nkind: Namespace\nmetadata: {name: evil}\n").expect("stale");
        let error = calico_operator(&Offline, cache.path()).expect_err("offline");
        assert!(error.to_string().contains("operator-crds.yaml"), "{error}");
    }
}
