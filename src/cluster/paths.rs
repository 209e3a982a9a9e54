//! Where kubedrill keeps its own files: one kubeconfig per cluster, saved copies of what a
//! scenario breaks, downloaded tools. Never the user's `~/.kube/config`.
//!
//! Pure path arithmetic; creating folders is left to the callers that write.

use std::path::{Path, PathBuf};

use crate::scenario::model::Profile;

use super::kind::cluster_name;

/// kubedrill's data directory: `$KUBEDRILL_HOME`, else `$XDG_DATA_HOME/kubedrill`, else
/// `~/.local/share/kubedrill`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// From the environment, as documented above.
    #[must_use]
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let root = var("KUBEDRILL_HOME").unwrap_or_else(|| {
            var("XDG_DATA_HOME")
                .or_else(|| var("HOME").map(|home| home.join(".local/share")))
                .unwrap_or_else(|| PathBuf::from("."))
                .join("kubedrill")
        });
        Self { root }
    }

    /// At an explicit root (tests).
    #[must_use]
    pub fn at(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Saved copies of system objects for a cluster the user named by kubeconfig, keyed by
    /// its API server URL (`https://127.0.0.1:6443` -> `given/https-127-0-0-1-6443/saved`).
    #[must_use]
    pub fn given_saved(&self, server: &str) -> PathBuf {
        let key: String = server
            .trim_end_matches('/')
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
            .split('-')
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        self.root.join("given").join(key).join("saved")
    }

    /// The root folder.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder of one profile's cluster.
    #[must_use]
    pub fn cluster(&self, profile: Profile) -> PathBuf {
        self.root.join("clusters").join(cluster_name(profile))
    }

    /// The dedicated kubeconfig of one profile's cluster.
    #[must_use]
    pub fn kubeconfig(&self, profile: Profile) -> PathBuf {
        self.cluster(profile).join("kubeconfig")
    }

    /// Copies of kube-system objects saved before a scenario broke them.
    #[must_use]
    pub fn saved(&self, profile: Profile) -> PathBuf {
        self.cluster(profile).join("saved")
    }

    /// Tools kubedrill downloaded (kind, kubectl), used when none is on PATH.
    #[must_use]
    pub fn bin(&self) -> PathBuf {
        self.root.join("bin")
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::DataDir;
    use crate::scenario::model::Profile;

    #[test]
    fn each_profile_has_its_own_kubeconfig_under_the_root() {
        let dir = DataDir::at("/data");
        assert_eq!(
            dir.kubeconfig(Profile::Flannel),
            Path::new("/data/clusters/kubedrill-flannel/kubeconfig")
        );
        assert_ne!(dir.kubeconfig(Profile::Kindnet), dir.kubeconfig(Profile::Calico));
        assert_eq!(dir.bin(), Path::new("/data/bin"));
        assert!(dir.saved(Profile::Kindnet).starts_with(dir.cluster(Profile::Kindnet)));
    }
}
