//! End-to-end tests on a real kind cluster. Ignored by default (no Docker here); run them with
//! `just e2e` where Docker and kind exist, and in `.github/workflows/e2e.yml`.
//!
//! They create (or reuse) a dedicated cluster named `kubedrill-e2e`, talk to it through its
//! own kubeconfig in a temporary folder, and never use or change the current kube context.
//! Until the setup runner lands (`kubedrill start`), they cover what this build can do for
//! real: rendered setup manifests are accepted by a real API server, their workloads become
//! Ready (images, args, probes are right), and the intended fault is visible.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use kubedrill::catalogue::Catalogue;
use kubedrill::scenario::Rendered;
use kubedrill::scenario::step::Step;

const CLUSTER: &str = "kubedrill-e2e";
const SEED: u64 = 1;

struct Cluster {
    kubeconfig: PathBuf,
    _dir: tempfile::TempDir,
}

fn run(program: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start `{program}`: {e} (these tests need docker, kind and kubectl)"));
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    child.wait_with_output().expect("wait")
}

fn must(program: &str, args: &[&str], stdin: Option<&str>) -> String {
    let output = run(program, args, stdin);
    assert!(
        output.status.success(),
        "`{program} {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn cluster() -> Cluster {
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("kubeconfig");
    let path = kubeconfig.to_str().expect("utf-8 path");
    let clusters = must("kind", &["get", "clusters"], None);
    if clusters.lines().any(|l| l.trim() == CLUSTER) {
        let config = must("kind", &["get", "kubeconfig", "--name", CLUSTER], None);
        std::fs::write(&kubeconfig, config).expect("write kubeconfig");
    } else {
        must(
            "kind",
            &[
                "create",
                "cluster",
                "--name",
                CLUSTER,
                "--kubeconfig",
                path,
                "--wait",
                "120s",
            ],
            None,
        );
    }
    must(
        "kubectl",
        &[
            "--kubeconfig",
            path,
            "wait",
            "--for=condition=Ready",
            "nodes",
            "--all",
            "--timeout=120s",
        ],
        None,
    );
    Cluster { kubeconfig, _dir: dir }
}

impl Cluster {
    fn kubectl(&self, args: &[&str], stdin: Option<&str>) -> String {
        let mut full = vec!["--kubeconfig", self.kubeconfig.to_str().expect("utf-8")];
        full.extend_from_slice(args);
        must("kubectl", &full, stdin)
    }

    /// Apply a rendered setup and wait for every rollout it declares.
    fn set_up(&self, rendered: &Rendered) {
        self.kubectl(
            &["apply", "--server-side", "--field-manager=kubedrill-e2e", "-f", "-"],
            Some(&rendered.setup_yaml()),
        );
        for step in &rendered.setup {
            if let Step::Wait(wait) = step
                && let Some(target) = &wait.rollout
            {
                let object = format!("{}/{}", target.kind.to_string().to_lowercase(), target.name);
                let namespace = target.namespace.as_deref().unwrap_or("default");
                self.kubectl(&["rollout", "status", &object, "-n", namespace, "--timeout=180s"], None);
            }
        }
    }

    /// Delete the scenario's namespaces and wait until they are gone: the next test applies
    /// the same seed's namespace, and creating into one still terminating answers 403.
    fn delete_namespaces(&self, rendered: &Rendered) {
        for object in rendered.setup_objects().filter(|o| o.kind == "Namespace") {
            self.kubectl(
                &[
                    "delete",
                    "namespace",
                    &object.name,
                    "--wait=true",
                    "--timeout=180s",
                    "--ignore-not-found",
                ],
                None,
            );
        }
    }
}

/// A setup of plain applies and waits, of built-in kinds only: Gateway API objects need the
/// CRDs kubedrill installs first (`cluster::addons`), which `scenario verify` covers in
/// `e2e_live.rs`.
fn manifest_only(rendered: &Rendered) -> bool {
    rendered
        .setup
        .iter()
        .all(|s| matches!(s, Step::Apply(_) | Step::Wait(_)))
        && !kubedrill::cluster::addons::needs_gateway_api(rendered)
}

#[test]
#[ignore = "needs docker and kind"]
fn manifest_only_setups_apply_to_a_real_cluster_and_their_workloads_become_ready() {
    let cluster = cluster();
    let catalogue = Catalogue::load(None).expect("catalogue");
    let mut applied = Vec::new();
    for entry in &catalogue.entries {
        let rendered = entry.scenario.render(SEED).expect("renders");
        if manifest_only(&rendered) {
            cluster.set_up(&rendered);
            cluster.delete_namespaces(&rendered);
            applied.push(entry.scenario.id().to_owned());
        }
    }
    assert!(applied.contains(&"service-wrong-selector".to_owned()), "{applied:?}");
    assert!(applied.contains(&"netpol-default-deny".to_owned()), "{applied:?}");
}

#[test]
#[ignore = "needs docker and kind"]
fn service_wrong_selector_really_has_no_endpoints_after_setup() {
    let cluster = cluster();
    let catalogue = Catalogue::load(None).expect("catalogue");
    let rendered = catalogue
        .get("service-wrong-selector")
        .expect("present")
        .scenario
        .render(SEED)
        .expect("renders");
    cluster.set_up(&rendered);
    let namespace = rendered.params["namespace"].as_str().expect("namespace");
    let app = rendered.params["app"].as_str().expect("app");
    let ready_pods = cluster.kubectl(
        &[
            "get",
            "pods",
            "-n",
            namespace,
            "-l",
            &format!("app={app}"),
            "-o",
            "jsonpath={.items[*].status.containerStatuses[*].ready}",
        ],
        None,
    );
    assert_eq!(
        ready_pods.split_whitespace().filter(|r| *r == "true").count(),
        2,
        "the backends are Ready"
    );
    let addresses = cluster.kubectl(
        &[
            "get",
            "endpointslices",
            "-n",
            namespace,
            "-l",
            &format!("kubernetes.io/service-name={app}"),
            "-o",
            "jsonpath={.items[*].endpoints[*].addresses[*]}",
        ],
        None,
    );
    assert_eq!(addresses.trim(), "", "the broken Service must have no endpoints");
    cluster.delete_namespaces(&rendered);
}

#[test]
#[ignore = "needs docker and kind"]
fn e2e_cluster_is_dedicated() {
    // Guard for the tests above: their kubeconfig names only the kubedrill-e2e cluster.
    let cluster = cluster();
    let contexts = cluster.kubectl(&["config", "get-contexts", "-o", "name"], None);
    assert_eq!(contexts.trim(), format!("kind-{CLUSTER}"));
    assert!(Path::new(&cluster.kubeconfig).is_file());
}
