//! kind through its CLI (no kind crate): cluster configs rendered per profile from
//! `templates/kind/cluster.yaml.tera`, and `kind get clusters`, `create`, `delete`,
//! `get kubeconfig` — always with a dedicated kubeconfig, never the user's current context.
//!
//! Talks to kind only through a [`Runner`]; renders and parses, never prints.

use std::path::Path;

use super::process::{ProcessError, Runner};
use crate::scenario::model::Profile;

/// The kind node image kubedrill tests against, pinned by digest: kind v0.32.0's own default
/// (`pkg/apis/config/defaults/image.go` at that tag).
pub const NODE_IMAGE: &str =
    "kindest/node:v1.36.1@sha256:3489c7674813ba5d8b1a9977baea8a6e553784dab7b84759d1014dbd78f7ebd5";
/// Host port (on 127.0.0.1) that NodePort 30080 is published on, one per profile: Docker
/// refuses a second binding of the same host port, so two profiles' clusters (an exam across
/// profiles, the e2e suite) could not exist side by side with one port.
#[must_use]
pub const fn node_port_host(profile: Profile) -> u16 {
    match profile {
        Profile::Kindnet => 30080,
        Profile::Flannel => 30081,
        Profile::Calico => 30082,
    }
}

const CLUSTER_TEMPLATE: &str = include_str!("../../templates/kind/cluster.yaml.tera");

/// A kind command that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KindError {
    /// kind is not installed (or not runnable).
    #[error("{0}")]
    NotRunnable(ProcessError),
    /// kind ran and reported an error (its own `ERROR:` line).
    #[error("`kind {command}` failed: {message}")]
    Failed {
        /// The subcommand.
        command: String,
        /// kind's error text.
        message: String,
    },
    /// The cluster config template did not render (a kubedrill bug).
    #[error("kind config template: {0}")]
    Template(String),
}

impl KindError {
    /// What to do about it.
    #[must_use]
    pub fn hint(&self) -> &'static str {
        match self {
            Self::NotRunnable(_) => {
                "run `kubedrill doctor --fix` (downloads the pinned, SHA-256-verified kind) or install kind yourself (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)"
            }
            Self::Failed { .. } => "run `kubedrill doctor`; kind's message above says what failed",
            Self::Template(_) => "please report this as a kubedrill bug",
        }
    }
}

/// The cluster name kubedrill uses for a profile.
#[must_use]
pub fn cluster_name(profile: Profile) -> String {
    format!("kubedrill-{profile}")
}

/// The kind config for a profile and worker count.
pub fn render_config(profile: Profile, workers: u8) -> Result<String, KindError> {
    let mut context = tera::Context::new();
    context.insert("name", &cluster_name(profile));
    context.insert("profile", &profile.to_string());
    context.insert("workers", &workers);
    context.insert("node_image", NODE_IMAGE);
    context.insert("node_port_host", &node_port_host(profile));
    tera::Tera::new()
        .render_str(CLUSTER_TEMPLATE, &context, false)
        .map_err(|e| KindError::Template(e.to_string()))
}

/// kind's CLI.
pub struct Kind<'r> {
    runner: &'r dyn Runner,
    program: String,
}

fn error_line(stderr: &str) -> String {
    stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("ERROR:"))
        .map_or_else(
            || stderr.lines().last().unwrap_or("no output").trim().to_owned(),
            |l| l.trim().to_owned(),
        )
}

impl<'r> Kind<'r> {
    /// kind through `runner`.
    #[must_use]
    pub fn new(runner: &'r dyn Runner) -> Self {
        Self::with_program(runner, "kind")
    }

    /// kind at `program` (kubedrill's downloaded copy when none is on PATH).
    #[must_use]
    pub fn with_program(runner: &'r dyn Runner, program: impl Into<String>) -> Self {
        Self {
            runner,
            program: program.into(),
        }
    }

    /// The node containers of cluster `name`.
    pub fn nodes(&self, name: &str) -> Result<Vec<String>, KindError> {
        Ok(self
            .run("get nodes", &["get", "nodes", "--name", name])?
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect())
    }

    fn run(&self, command: &str, args: &[&str]) -> Result<String, KindError> {
        let out = self.runner.run(&self.program, args).map_err(KindError::NotRunnable)?;
        if out.success() {
            Ok(out.stdout)
        } else {
            Err(KindError::Failed {
                command: command.to_owned(),
                message: error_line(&out.stderr),
            })
        }
    }

    /// Names of existing kind clusters ("No kind clusters found." goes to stderr with exit 0).
    pub fn clusters(&self) -> Result<Vec<String>, KindError> {
        Ok(self
            .run("get clusters", &["get", "clusters"])?
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect())
    }

    /// Create `name` from `config`, writing its kubeconfig to `kubeconfig` only.
    pub fn create(&self, name: &str, config: &Path, kubeconfig: &Path) -> Result<(), KindError> {
        let (config, kubeconfig) = (config.display().to_string(), kubeconfig.display().to_string());
        self.run(
            "create cluster",
            &[
                "create",
                "cluster",
                "--name",
                name,
                "--config",
                &config,
                "--kubeconfig",
                &kubeconfig,
            ],
        )
        .map(|_| ())
    }

    /// Delete `name` (a missing cluster is not an error for kind).
    pub fn delete(&self, name: &str, kubeconfig: &Path) -> Result<(), KindError> {
        let kubeconfig = kubeconfig.display().to_string();
        self.run(
            "delete cluster",
            &["delete", "cluster", "--name", name, "--kubeconfig", &kubeconfig],
        )
        .map(|_| ())
    }

    /// The kubeconfig of `name`, as text.
    pub fn kubeconfig(&self, name: &str) -> Result<String, KindError> {
        self.run("get kubeconfig", &["get", "kubeconfig", "--name", name])
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::path::Path;

    use serde_json::Value;

    use super::{Kind, KindError, cluster_name, render_config};
    use crate::cluster::process::{Output, ProcessError, Runner};
    use crate::scenario::model::Profile;

    /// Records every call; answers with one scripted output.
    struct Recorder {
        calls: RefCell<Vec<Vec<String>>>,
        answer: Output,
    }

    impl Runner for Recorder {
        fn run(&self, program: &str, args: &[&str]) -> Result<Output, ProcessError> {
            let mut call = vec![program.to_owned()];
            call.extend(args.iter().map(|a| (*a).to_owned()));
            self.calls.borrow_mut().push(call);
            Ok(self.answer.clone())
        }
    }

    fn recorder(code: i32, stdout: &str, stderr: &str) -> Recorder {
        Recorder {
            calls: RefCell::new(Vec::new()),
            answer: Output {
                code: Some(code),
                stdout: stdout.into(),
                stderr: stderr.into(),
            },
        }
    }

    #[test]
    fn configs_per_profile_parse_and_differ_where_they_must() {
        let kindnet: Value =
            serde_saphyr::from_str(&render_config(Profile::Kindnet, 1).expect("renders")).expect("yaml");
        assert_eq!(kindnet["name"], "kubedrill-kindnet");
        assert_eq!(kindnet["nodes"].as_array().map(Vec::len), Some(2));
        assert!(
            kindnet["networking"].get("disableDefaultCNI").is_none(),
            "kindnet keeps the default CNI"
        );
        assert_eq!(
            kindnet["nodes"][0]["extraPortMappings"][0]["listenAddress"],
            "127.0.0.1"
        );
        let flannel: Value =
            serde_saphyr::from_str(&render_config(Profile::Flannel, 3).expect("renders")).expect("yaml");
        assert_eq!(flannel["networking"]["disableDefaultCNI"], true);
        assert_eq!(flannel["networking"]["podSubnet"], "10.244.0.0/16");
        assert_eq!(flannel["nodes"].as_array().map(Vec::len), Some(4));
        let calico: Value = serde_saphyr::from_str(&render_config(Profile::Calico, 0).expect("renders")).expect("yaml");
        assert_eq!(calico["nodes"].as_array().map(Vec::len), Some(1));
        assert_eq!(cluster_name(Profile::Calico), "kubedrill-calico");
        // Docker refuses a host port bound twice: each profile's cluster publishes its own, so
        // all three can exist at once (kindnet keeps 30080, which its NodePort task names).
        let host_port = |config: &Value| config["nodes"][0]["extraPortMappings"][0]["hostPort"].as_u64();
        let ports: std::collections::BTreeSet<_> = [&kindnet, &flannel, &calico].into_iter().map(host_port).collect();
        assert_eq!(ports.len(), 3, "{ports:?}");
        assert_eq!(host_port(&kindnet), Some(30080));
    }

    #[test]
    fn every_command_uses_the_dedicated_kubeconfig() {
        let rec = recorder(0, "", "");
        let kind = Kind::new(&rec);
        kind.create(
            "kubedrill-kindnet",
            Path::new("/tmp/c.yaml"),
            Path::new("/data/kubeconfig"),
        )
        .expect("created");
        kind.delete("kubedrill-kindnet", Path::new("/data/kubeconfig"))
            .expect("deleted");
        let calls = rec.calls.borrow();
        assert_eq!(
            calls[0],
            [
                "kind",
                "create",
                "cluster",
                "--name",
                "kubedrill-kindnet",
                "--config",
                "/tmp/c.yaml",
                "--kubeconfig",
                "/data/kubeconfig"
            ]
        );
        assert_eq!(
            calls[1],
            [
                "kind",
                "delete",
                "cluster",
                "--name",
                "kubedrill-kindnet",
                "--kubeconfig",
                "/data/kubeconfig"
            ]
        );
    }

    #[test]
    fn clusters_and_errors_are_parsed_from_kind_output() {
        let none = recorder(0, "", "No kind clusters found.\n");
        assert_eq!(Kind::new(&none).clusters(), Ok(Vec::new()));
        let some = recorder(0, "kind\nkubedrill-kindnet\n", "");
        assert_eq!(
            Kind::new(&some).clusters(),
            Ok(vec!["kind".to_owned(), "kubedrill-kindnet".to_owned()])
        );
        let failed = recorder(
            1,
            "",
            "Creating cluster ...\nERROR: failed to create cluster: node(s) already exist for a cluster with the name \"kubedrill-kindnet\"\n",
        );
        let err = Kind::new(&failed)
            .create("kubedrill-kindnet", Path::new("c"), Path::new("k"))
            .expect_err("fails");
        assert_eq!(
            err,
            KindError::Failed {
                command: "create cluster".into(),
                message:
                    "failed to create cluster: node(s) already exist for a cluster with the name \"kubedrill-kindnet\""
                        .into()
            }
        );
    }
}
