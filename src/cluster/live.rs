//! A connection to one cluster: the client, who owns the cluster ([`Guard`]) and the kind
//! resolver. Applying, stepping, observing and probing are `impl Live` blocks in their own
//! files.
//!
//! Holds state; sends only the one ownership read when opened.

use std::path::Path;

use kube::Client;

use super::client::{Target, connect};
use super::error::ClusterError;
use super::kinds::Kinds;
use super::safety::Guard;

/// A cluster kubedrill talks to.
pub struct Live {
    /// The API client.
    pub client: Client,
    /// Where it points.
    pub target: Target,
    /// Whether writes are allowed.
    pub guard: Guard,
    /// Kind resolution (discovery cached).
    pub kinds: Kinds,
    /// How traffic checks are judged.
    pub probes: ProbeMode,
    /// The image probe pods run: pinned by digest, or its tag when `cluster load-images` put
    /// that image in the nodes (kind loads it under the tag only; offline, the digest would be
    /// pulled and fail).
    pub probe_image: &'static str,
}

/// How connectivity, DNS and HTTP checks are judged on a live cluster.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeMode {
    /// Real traffic: probe pods and `exec` into pods (the default).
    #[default]
    Exec,
    /// No traffic: the reachability analyzer judges them from the live state, and every
    /// report marks them "predicted" (for clusters whose RBAC forbids exec, and the test bed).
    Predict,
}

impl Live {
    /// Connect through `kubeconfig` and find out who owns the cluster. `expected` is the kind
    /// cluster kubedrill created for that file, if any.
    pub async fn open(
        kubeconfig: &Path,
        context: Option<&str>,
        expected: Option<&str>,
        allow_foreign: bool,
    ) -> Result<Self, ClusterError> {
        let (client, target) = connect(kubeconfig, context).await?;
        let guard = Guard::establish(&client, &target, expected, allow_foreign).await?;
        Ok(Self::from_parts(client, target, guard))
    }

    /// From parts already made (tests use a mocked client).
    #[must_use]
    pub fn from_parts(client: Client, target: Target, guard: Guard) -> Self {
        Self {
            kinds: Kinds::new(client.clone()),
            client,
            target,
            guard,
            probes: ProbeMode::Exec,
            probe_image: crate::images::PROBE_IMAGE,
        }
    }

    /// Run probe pods from the copy `cluster load-images` loaded, when it loaded agnhost. The
    /// integrity check then cannot compare the running image's ID with the registry's digest
    /// (an imported image has its own); it still compares everything else and the nonce.
    #[must_use]
    pub fn with_preloaded(mut self, preloaded: &[String]) -> Self {
        if preloaded.iter().any(|image| image == crate::images::AGNHOST) {
            self.probe_image = crate::images::AGNHOST;
        }
        self
    }

    /// The same connection, judging traffic checks as `probes` says.
    #[must_use]
    pub fn with_probes(mut self, probes: ProbeMode) -> Self {
        self.probes = probes;
        self
    }
}
