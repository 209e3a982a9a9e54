//! Image preloading for offline practice: every image kubedrill pins is pulled once on the
//! host and loaded into the cluster's nodes with `kind load docker-image`, falling back to
//! `docker save` + `kind load image-archive` when Docker's containerd image store makes the
//! first fail ("content digest ... not found").
//!
//! Runs docker and kind through a [`Runner`]; never prints.

use super::addons::{INGRESS_CERTGEN_IMAGE, INGRESS_CONTROLLER_IMAGE, TRAEFIK_IMAGE};
use super::cni::{CALICO_OPERATOR_IMAGE, FLANNEL_CNI_PLUGIN_IMAGE, FLANNEL_IMAGE, check};
use super::error::ClusterError;
use super::process::Runner;
use crate::images::AGNHOST;
use crate::scenario::model::Profile;

/// The images a profile's scenarios and probes need.
#[must_use]
pub fn for_profile(profile: Profile) -> Vec<&'static str> {
    // Ingress scenarios install ingress-nginx, Gateway API scenarios Traefik, on any profile.
    let mut images = vec![AGNHOST, INGRESS_CONTROLLER_IMAGE, INGRESS_CERTGEN_IMAGE, TRAEFIK_IMAGE];
    match profile {
        Profile::Flannel => images.extend([FLANNEL_IMAGE, FLANNEL_CNI_PLUGIN_IMAGE]),
        // The operator pulls calico's own images itself once it runs.
        Profile::Calico => images.push(CALICO_OPERATOR_IMAGE),
        Profile::Kindnet => {}
    }
    images
}

/// The file (in the cluster's folder) listing the images `cluster load-images` loaded.
pub const PRELOADED_FILE: &str = "preloaded-images";

/// The images loaded into `profile`'s cluster by `cluster load-images` (none when it never ran).
#[must_use]
pub fn preloaded(data: &super::paths::DataDir, profile: Profile) -> Vec<String> {
    std::fs::read_to_string(data.cluster(profile).join(PRELOADED_FILE))
        .map(|text| text.lines().map(str::to_owned).filter(|l| !l.is_empty()).collect())
        .unwrap_or_default()
}

/// Record what was loaded, so manifests can refer to the loaded copies.
pub fn record_preloaded(data: &super::paths::DataDir, profile: Profile, images: &[&str]) -> Result<(), ClusterError> {
    let dir = data.cluster(profile);
    std::fs::create_dir_all(&dir).map_err(|e| ClusterError::io(&dir, &e))?;
    let path = dir.join(PRELOADED_FILE);
    std::fs::write(&path, images.join("\n") + "\n").map_err(|e| ClusterError::io(&path, &e))
}

/// Point a manifest's containers at the loaded copies of digest-pinned images. kind loads
/// `name:tag@sha256:...` under `name:tag` only, so a pod that still names the digest pulls
/// from the registry (kind issues 2394, 2734, 4028) and offline practice breaks: each container
/// whose image is in `preloaded` (pulled by that digest on the host, then loaded) gets
/// `name:tag` and `imagePullPolicy: IfNotPresent`. Images not preloaded keep their digest.
pub fn use_preloaded(object: &mut serde_json::Value, preloaded: &[String]) {
    let pod_spec = if object["kind"] == "Pod" {
        object.get_mut("spec")
    } else if object["kind"] == "CronJob" {
        object.pointer_mut("/spec/jobTemplate/spec/template/spec")
    } else {
        object.pointer_mut("/spec/template/spec")
    };
    let Some(pod_spec) = pod_spec else { return };
    for list in ["initContainers", "containers"] {
        let Some(containers) = pod_spec.get_mut(list).and_then(serde_json::Value::as_array_mut) else {
            continue;
        };
        for container in containers {
            let Some(image) = container["image"].as_str() else {
                continue;
            };
            if let (true, Some((tagged, _digest))) = (preloaded.iter().any(|p| p == image), image.split_once('@')) {
                let tagged = tagged.to_owned();
                container["image"] = serde_json::Value::String(tagged);
                container["imagePullPolicy"] = serde_json::Value::String("IfNotPresent".to_owned());
            }
        }
    }
}

/// How each image got in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loaded {
    /// `kind load docker-image`.
    DockerImage,
    /// `kind load image-archive` after `docker save`.
    Archive,
}

/// Pull and load `images` into cluster `name` with kind at `kind`.
pub fn preload(runner: &dyn Runner, kind: &str, name: &str, images: &[&str]) -> Result<Vec<Loaded>, ClusterError> {
    let mut loaded = Vec::new();
    for image in images {
        check(
            &runner.run("docker", &["pull", "--quiet", image])?,
            "docker pull",
            "host",
        )?;
        let direct = runner.run(kind, &["load", "docker-image", image, "--name", name])?;
        if direct.success() {
            loaded.push(Loaded::DockerImage);
            continue;
        }
        let dir = tempfile::tempdir().map_err(|e| ClusterError::io(std::env::temp_dir(), &e))?;
        let archive = dir.path().join("image.tar").display().to_string();
        check(
            &runner.run("docker", &["save", "-o", &archive, image])?,
            "docker save",
            "host",
        )?;
        check(
            &runner.run(kind, &["load", "image-archive", &archive, "--name", name])?,
            "kind load image-archive",
            "host",
        )?;
        loaded.push(Loaded::Archive);
    }
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::{Loaded, for_profile, preload, use_preloaded};
    use crate::cluster::process::{Output, ProcessError, Runner};
    use crate::scenario::model::Profile;

    struct Scripted {
        calls: Mutex<Vec<String>>,
        docker_image_fails: bool,
    }

    impl Runner for Scripted {
        fn run(&self, program: &str, args: &[&str]) -> Result<Output, ProcessError> {
            let line = format!("{program} {}", args.join(" "));
            let fail = self.docker_image_fails && line.contains("load docker-image");
            if let Ok(mut calls) = self.calls.lock() {
                calls.push(line);
            }
            Ok(Output {
                code: Some(i32::from(fail)),
                stdout: String::new(),
                stderr: if fail {
                    "ERROR: content digest sha256:ab not found".into()
                } else {
                    String::new()
                },
            })
        }
    }

    #[test]
    fn loads_directly_or_through_an_archive() {
        let images = [crate::images::AGNHOST];
        let direct = Scripted {
            calls: Mutex::default(),
            docker_image_fails: false,
        };
        assert_eq!(
            preload(&direct, "kind", "kubedrill-kindnet", &images).expect("loads"),
            [Loaded::DockerImage]
        );
        let fallback = Scripted {
            calls: Mutex::default(),
            docker_image_fails: true,
        };
        assert_eq!(
            preload(&fallback, "kind", "kubedrill-kindnet", &images).expect("loads"),
            [Loaded::Archive]
        );
        let calls = fallback.calls.lock().map(|c| c.clone()).unwrap_or_default();
        assert!(calls[2].starts_with("docker save -o "), "{calls:?}");
        assert!(calls[3].starts_with("kind load image-archive ") && calls[3].ends_with("--name kubedrill-kindnet"));
        let kindnet = for_profile(Profile::Kindnet);
        assert!(
            kindnet.contains(&crate::images::AGNHOST) && kindnet.iter().any(|i| i.contains("ingress-nginx/controller"))
        );
        assert_eq!(
            for_profile(Profile::Flannel).len(),
            kindnet.len() + 2,
            "plus flannel's two images"
        );
    }

    /// A digest-pinned image that was preloaded is referred to by its tag (the name kind
    /// loaded it under); one that was not keeps its digest; other containers are untouched.
    #[test]
    fn preloaded_digest_pinned_images_are_used_by_tag() {
        let controller = crate::cluster::addons::INGRESS_CONTROLLER_IMAGE;
        let certgen = crate::cluster::addons::INGRESS_CERTGEN_IMAGE;
        let deployment = |image: &str| {
            serde_json::json!({"kind": "Deployment", "spec": {"template": {"spec": {
                "initContainers": [{"name": "init", "image": certgen}],
                "containers": [{"name": "c", "image": image, "imagePullPolicy": "Always"}]}}}})
        };
        let mut object = deployment(controller);
        use_preloaded(&mut object, &[controller.to_owned()]);
        let container = &object["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["image"], "registry.k8s.io/ingress-nginx/controller:v1.15.1");
        assert_eq!(container["imagePullPolicy"], "IfNotPresent");
        assert_eq!(
            object["spec"]["template"]["spec"]["initContainers"][0]["image"], certgen,
            "not preloaded"
        );
        let mut untouched = deployment(controller);
        use_preloaded(&mut untouched, &[]);
        assert_eq!(untouched, deployment(controller));
        let mut job = serde_json::json!({"kind": "Job", "spec": {"template": {"spec": {"containers": [{"name": "j", "image": certgen}]}}}});
        use_preloaded(&mut job, &[certgen.to_owned()]);
        assert_eq!(
            job["spec"]["template"]["spec"]["containers"][0]["image"],
            "registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.6.9"
        );
    }
}
