//! What can go wrong talking to Docker, kind and the Kubernetes API, each with a hint.
//!
//! Describes errors; never prints and never decides exit codes (the command layer maps every
//! variant here to exit 3, "environment", except a refused foreign cluster, which is usage).

use std::path::PathBuf;
use std::time::Duration;

use super::kind::KindError;
use super::process::ProcessError;

/// A cluster operation that did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// kind could not run or reported an error.
    #[error(transparent)]
    Kind(#[from] KindError),
    /// docker (or another helper program) could not run.
    #[error(transparent)]
    Process(#[from] ProcessError),
    /// Docker is missing or its daemon does not answer (checked before anything needs it).
    #[error("{detail}")]
    Docker {
        /// What `docker version` showed.
        detail: String,
        /// How to fix it.
        fix: String,
    },
    /// A command in a kind node container failed.
    #[error("`{command}` on node `{node}` exited {code}: {stderr}")]
    NodeExec {
        /// The node container.
        node: String,
        /// The argv, joined for display.
        command: String,
        /// The exit code (-1 when killed).
        code: i32,
        /// What it printed on stderr.
        stderr: String,
    },
    /// No kubeconfig for that cluster: it was never created (or was deleted).
    #[error("no cluster `{name}`: `{}` does not exist", kubeconfig.display())]
    NoCluster {
        /// The kind cluster name.
        name: String,
        /// Where its kubeconfig would be.
        kubeconfig: PathBuf,
    },
    /// The kubeconfig could not be read or names no usable cluster.
    #[error("kubeconfig `{}`: {message}", path.display())]
    Kubeconfig {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The API server did not answer.
    #[error("cluster at `{server}` is unreachable: {message}")]
    Unreachable {
        /// The API server URL.
        server: String,
        /// The transport's reason.
        message: String,
    },
    /// An API request failed.
    #[error("{action} `{object}`: {message}")]
    Api {
        /// What kubedrill was doing (`apply`, `list`, `patch`, ...).
        action: &'static str,
        /// The object or collection (`Deployment shop/web`).
        object: String,
        /// The API server's message.
        message: String,
    },
    /// A manifest kind the cluster does not serve.
    #[error("`{api_version}/{kind}` is not served by this cluster")]
    UnknownKind {
        /// apiVersion.
        api_version: String,
        /// kind.
        kind: String,
    },
    /// The cluster was not created by kubedrill and the user did not opt in.
    #[error("refusing to {action}: the cluster behind `{context}` was not created by kubedrill")]
    ForeignCluster {
        /// What was refused.
        action: String,
        /// The kubeconfig context or file.
        context: String,
    },
    /// Even with `--allow-foreign-cluster`, system namespaces and cluster-wide objects are off limits.
    #[error("refusing to {action}: `{target}` belongs to the cluster, not to a scenario")]
    Protected {
        /// What was refused.
        action: String,
        /// The namespace or object.
        target: String,
    },
    /// A wait ran out of time.
    #[error("timed out after {}s waiting for {what}", after.as_secs())]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long.
        after: Duration,
        /// The last thing seen that was not ready yet.
        last: String,
    },
    /// The user pressed Ctrl-C.
    #[error("interrupted during {phase}")]
    Interrupted {
        /// The phase that was running.
        phase: String,
    },
    /// The scenario's checks passed right after breaking it: the breakage did not stick.
    #[error("scenario `{scenario}` is not broken after setup: {passing} of {total} checks already pass")]
    NotBroken {
        /// The scenario id.
        scenario: String,
        /// Checks that passed.
        passing: usize,
        /// Checks in all.
        total: usize,
    },
    /// A download failed.
    #[error("download `{url}`: {message}")]
    Download {
        /// The URL.
        url: String,
        /// Why.
        message: String,
    },
    /// A download did not match the checksum pinned in kubedrill's source.
    #[error("`{url}` has SHA-256 {actual}, not the pinned {expected}; it was discarded")]
    Checksum {
        /// The URL.
        url: String,
        /// The pinned digest.
        expected: String,
        /// What arrived.
        actual: String,
    },
    /// No pinned artifact for this platform.
    #[error("no pinned {tool} release for {platform}")]
    Unpinned {
        /// The tool.
        tool: String,
        /// `os/arch`.
        platform: String,
    },
    /// A local file could not be read or written.
    #[error("`{}`: {message}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The system's reason.
        message: String,
    },
}

impl ClusterError {
    /// Shorthand for an API failure.
    pub fn api(action: &'static str, object: impl Into<String>, error: &kube::Error) -> Self {
        Self::Api {
            action,
            object: object.into(),
            message: api_message(error),
        }
    }

    /// Shorthand for a file-system failure.
    pub fn io(path: impl Into<PathBuf>, error: &std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            message: error.to_string(),
        }
    }

    /// Whether this is the user's choice (refused foreign cluster) rather than the environment.
    #[must_use]
    pub const fn is_refusal(&self) -> bool {
        matches!(self, Self::ForeignCluster { .. } | Self::Protected { .. })
    }

    /// What to do about it.
    #[must_use]
    pub fn hints(&self) -> Vec<String> {
        let hint: &str = match self {
            Self::Kind(e) => e.hint(),
            Self::Process(ProcessError::NotFound(p)) if p == "docker" => {
                "install Docker and start it, then run `kubedrill doctor`"
            }
            Self::Process(_) => "run `kubedrill doctor` to see what is missing and how to install it",
            Self::Docker { fix, .. } => fix,
            Self::NodeExec { .. } => "the node container may be stopped: run `kubedrill cluster status`",
            Self::NoCluster { .. } => {
                "create it with `kubedrill cluster up --profile <profile>` (the scenario names its profile)"
            }
            Self::Kubeconfig { .. } => {
                "check that the file exists and is a readable kubeconfig; `kubedrill cluster up` rewrites the ones of kubedrill's own clusters"
            }
            Self::Unreachable { .. } => {
                "is Docker running and the cluster started? `kubedrill cluster status` tells; `kubedrill cluster up` starts it"
            }
            Self::Api { .. } => {
                "the API server's message above says why; `kubedrill cluster reset` restores a clean state"
            }
            Self::UnknownKind { .. } => {
                "the profile may lack that API (e.g. an Ingress controller or CRD); check the scenario's profile"
            }
            Self::ForeignCluster { .. } => {
                "kubedrill only changes clusters it created; pass `--allow-foreign-cluster` to allow scenario namespaces and probe pods here"
            }
            Self::Protected { .. } => "scenarios on a foreign cluster may only touch their own namespaces",
            Self::Timeout { .. } => {
                "the cluster may be short of memory or still pulling images: `kubedrill cluster status`, then `kubedrill cluster reset`"
            }
            Self::Interrupted { .. } => {
                "nothing was left half-done that a reset cannot undo: run `kubedrill cluster reset`"
            }
            Self::NotBroken { .. } => {
                "the breakage did not stick on this cluster (see the checks above); run `kubedrill cluster reset` and try again, or report the scenario"
            }
            Self::Download { .. } => "check the network, or install the tool yourself (the README lists the commands)",
            Self::Checksum { .. } => {
                "do not use that file; install the tool from its official release page and verify it yourself"
            }
            Self::Unpinned { .. } => {
                "install the tool yourself (the README lists the commands), then run `kubedrill doctor`"
            }
            Self::Io { .. } => "check that kubedrill's data directory is writable (`KUBEDRILL_HOME` moves it)",
        };
        let mut hints = vec![hint.to_owned()];
        if let Self::Timeout { last, .. } = self
            && !last.is_empty()
        {
            hints.insert(0, format!("last seen: {last}"));
        }
        hints
    }
}

/// The useful part of a kube error: the API server's message, or the transport's.
#[must_use]
pub fn api_message(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => format!("{} ({})", status.message, status.code),
        other => other.to_string(),
    }
}
