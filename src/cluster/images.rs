//! Image preloading for offline practice: every image kubedrill pins is pulled once on the
//! host and loaded into the cluster's nodes with `kind load docker-image`, falling back to
//! `docker save` + `kind load image-archive` when Docker's containerd image store makes the
//! first fail ("content digest ... not found").
//!
//! Runs docker and kind through a [`Runner`]; never prints.

use super::addons::{INGRESS_CERTGEN_IMAGE, INGRESS_CONTROLLER_IMAGE};
use super::cni::{CALICO_OPERATOR_IMAGE, FLANNEL_CNI_PLUGIN_IMAGE, FLANNEL_IMAGE, check};
use super::error::ClusterError;
use super::process::Runner;
use crate::images::AGNHOST;
use crate::scenario::model::Profile;

/// The images a profile's scenarios and probes need.
#[must_use]
pub fn for_profile(profile: Profile) -> Vec<&'static str> {
    // Ingress scenarios install ingress-nginx on any profile.
    let mut images = vec![AGNHOST, INGRESS_CONTROLLER_IMAGE, INGRESS_CERTGEN_IMAGE];
    match profile {
        Profile::Flannel => images.extend([FLANNEL_IMAGE, FLANNEL_CNI_PLUGIN_IMAGE]),
        // The operator pulls calico's own images itself once it runs.
        Profile::Calico => images.push(CALICO_OPERATOR_IMAGE),
        Profile::Kindnet => {}
    }
    images
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

    use super::{Loaded, for_profile, preload};
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
}
