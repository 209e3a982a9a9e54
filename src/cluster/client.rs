//! A kube client built from one explicit kubeconfig file (kubedrill's own per cluster, or one
//! the user names for grading) — never from whatever context happens to be current.
//!
//! Builds clients; does not send requests.

use std::path::Path;

use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};
use kube::{Client, Config};

use super::error::ClusterError;

/// The user agent of every request kubedrill sends (`kubedrill/<version>`).
pub const USER_AGENT: &str = concat!("kubedrill/", env!("CARGO_PKG_VERSION"));

/// Where a client points: the file, the context, and the API server URL (for messages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The kubeconfig file.
    pub kubeconfig: String,
    /// The context used (`None`: the file's current context).
    pub context: Option<String>,
    /// The API server.
    pub server: String,
}

impl Target {
    /// How to name this cluster in messages.
    #[must_use]
    pub fn label(&self) -> String {
        match &self.context {
            Some(context) => format!("{} (context {context})", self.kubeconfig),
            None => self.kubeconfig.clone(),
        }
    }
}

/// A client for `kubeconfig` (and `context`, when given).
pub async fn connect(kubeconfig: &Path, context: Option<&str>) -> Result<(Client, Target), ClusterError> {
    let problem = |message: String| ClusterError::Kubeconfig {
        path: kubeconfig.to_path_buf(),
        message,
    };
    let file = Kubeconfig::read_from(kubeconfig).map_err(|e| match e {
        // kube's text repeats the path, debug-quoted; the message names it already.
        KubeconfigError::ReadConfig(io, _) => problem(io.to_string()),
        other => problem(other.to_string()),
    })?;
    let options = KubeConfigOptions {
        context: context.map(str::to_owned),
        ..KubeConfigOptions::default()
    };
    let mut config = Config::from_custom_kubeconfig(file, &options)
        .await
        .map_err(|e| problem(e.to_string()))?;
    // API servers' audit logs name the client by its user agent; kube-rs sends none.
    config
        .headers
        .push((http::header::USER_AGENT, http::HeaderValue::from_static(USER_AGENT)));
    let target = Target {
        kubeconfig: kubeconfig.display().to_string(),
        context: context.map(str::to_owned),
        server: config.cluster_url.to_string(),
    };
    let client = Client::try_from(config).map_err(|e| ClusterError::Unreachable {
        server: target.server.clone(),
        message: e.to_string(),
    })?;
    Ok((client, target))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::connect;
    use crate::cluster::error::ClusterError;

    #[tokio::test]
    async fn uses_the_named_file_and_context_only() {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        write!(
            file,
            "apiVersion: v1\nkind: Config\ncurrent-context: a\nclusters:\n- name: a\n  cluster: {{server: 'https://127.0.0.1:6443'}}\n- name: b\n  cluster: {{server: 'https://127.0.0.1:7443'}}\ncontexts:\n- name: a\n  context: {{cluster: a, user: u}}\n- name: b\n  context: {{cluster: b, user: u}}\nusers:\n- name: u\n  user: {{token: t}}\n"
        )
        .expect("write");
        let (_, target) = connect(file.path(), None).await.expect("current context");
        assert_eq!(target.server, "https://127.0.0.1:6443/");
        let (_, target) = connect(file.path(), Some("b")).await.expect("context b");
        assert_eq!(target.server, "https://127.0.0.1:7443/");
        assert!(target.label().ends_with("(context b)"));
        let missing = connect(file.path(), Some("nope")).await;
        assert!(matches!(missing, Err(ClusterError::Kubeconfig { .. })));
        let absent = connect(std::path::Path::new("/nonexistent/kubeconfig"), None).await;
        assert!(matches!(absent, Err(ClusterError::Kubeconfig { .. })));
        let message = absent.err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            message.matches("/nonexistent/kubeconfig").count(),
            1,
            "the path once, in backticks: {message}"
        );
        assert!(!message.contains('"'), "{message}");
    }
}
