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
        }
    }
}
