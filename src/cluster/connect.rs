//! Which cluster a command means, and the connection to it: kubedrill's own kind cluster of a
//! scenario's profile, or a kubeconfig the user names (foreign unless its nodes carry
//! kubedrill's label).
//!
//! Takes plain values: must not read the command line (`cli` depends on this module, never the
//! reverse), print, or write to a cluster (opening one sends only the ownership read).

use std::path::{Path, PathBuf};

use super::error::ClusterError;
use super::kind::cluster_name;
use super::live::{Live, ProbeMode};
use super::paths::DataDir;
use crate::scenario::model::Profile;

/// A cluster to connect to, resolved but not yet opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    /// The kubeconfig file.
    pub kubeconfig: PathBuf,
    /// The context in it (`None`: its current context).
    pub context: Option<String>,
    /// The kind cluster kubedrill created for `kubeconfig`; `None` for a file the user named.
    pub expected: Option<String>,
    /// Writes allowed on a cluster kubedrill did not create.
    pub allow_foreign: bool,
    /// The images `cluster load-images` put in the nodes (kubedrill's own cluster only).
    pub preloaded: Vec<String>,
}

impl Connection {
    /// A kubeconfig the user names. `agnhost_loaded`: they put the probe image in its nodes
    /// under its tag (`--agnhost-loaded`), so probe pods use that copy.
    #[must_use]
    pub fn given(kubeconfig: &Path, context: Option<&str>, allow_foreign: bool, agnhost_loaded: bool) -> Self {
        Self {
            kubeconfig: kubeconfig.to_path_buf(),
            context: context.map(str::to_owned),
            expected: None,
            allow_foreign,
            preloaded: if agnhost_loaded {
                vec![crate::images::AGNHOST.to_owned()]
            } else {
                Vec::new()
            },
        }
    }

    /// kubedrill's own kind cluster of `profile` (`NoCluster` when it was never created or was
    /// deleted), with the images `cluster load-images` put in it.
    pub fn own(profile: Profile, data: &DataDir) -> Result<Self, ClusterError> {
        Ok(Self {
            kubeconfig: own_kubeconfig(profile, data)?,
            context: None,
            expected: Some(cluster_name(profile)),
            allow_foreign: false,
            preloaded: super::images::preloaded(data, profile),
        })
    }

    /// Connect, find out who owns the cluster, and judge traffic as `probes` says (probe pods
    /// from the preloaded image when `cluster load-images` loaded it).
    pub async fn open(&self, probes: ProbeMode) -> Result<Live, ClusterError> {
        let live = Live::open(
            &self.kubeconfig,
            self.context.as_deref(),
            self.expected.as_deref(),
            self.allow_foreign,
        )
        .await?;
        Ok(live.with_probes(probes).with_preloaded(&self.preloaded))
    }
}

/// The kubeconfig kubedrill wrote for `profile`'s kind cluster, if that cluster was created.
fn own_kubeconfig(profile: Profile, data: &DataDir) -> Result<PathBuf, ClusterError> {
    let path = data.kubeconfig(profile);
    if path.is_file() {
        Ok(path)
    } else {
        Err(ClusterError::NoCluster {
            name: cluster_name(profile),
            kubeconfig: path,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::Connection;
    use crate::cluster::error::ClusterError;
    use crate::cluster::images::PRELOADED_FILE;
    use crate::cluster::paths::DataDir;
    use crate::scenario::model::Profile;

    #[test]
    fn a_named_kubeconfig_is_used_as_given_and_never_expected_to_be_kubedrills() {
        let given = Connection::given(Path::new("class.yaml"), Some("c"), true, false);
        assert_eq!(given.kubeconfig, Path::new("class.yaml"));
        assert_eq!(
            (given.context.as_deref(), given.expected, given.allow_foreign),
            (Some("c"), None, true)
        );
        assert!(given.preloaded.is_empty());
        let loaded = Connection::given(Path::new("class.yaml"), None, false, true);
        assert_eq!(loaded.preloaded, [crate::images::AGNHOST], "--agnhost-loaded");
    }

    #[test]
    fn kubedrills_own_cluster_must_exist_and_brings_its_preloaded_images() {
        let home = tempfile::tempdir().expect("dir");
        let data = DataDir::at(home.path());
        let missing = Connection::own(Profile::Flannel, &data);
        assert!(
            matches!(&missing, Err(ClusterError::NoCluster { name, kubeconfig })
                if name == "kubedrill-flannel" && *kubeconfig == data.kubeconfig(Profile::Flannel)),
            "{missing:?}"
        );
        std::fs::create_dir_all(data.cluster(Profile::Flannel)).expect("folder");
        std::fs::write(data.kubeconfig(Profile::Flannel), "apiVersion: v1\n").expect("kubeconfig");
        std::fs::write(data.cluster(Profile::Flannel).join(PRELOADED_FILE), "agnhost:2.53\n").expect("list");
        let own = Connection::own(Profile::Flannel, &data).expect("created");
        assert_eq!(own.kubeconfig, data.kubeconfig(Profile::Flannel));
        assert_eq!(own.expected.as_deref(), Some("kubedrill-flannel"));
        assert_eq!(own.preloaded, ["agnhost:2.53"]);
    }
}
