//! `kubedrill doctor`: is this machine ready to run kind clusters? Docker running, kind and
//! kubectl versions (kubectl within one minor of the node image's Kubernetes), cgroup v2,
//! inotify limits, br_netfilter (Flannel), memory and disk — each problem with the exact
//! command that fixes it (`kubedrill doctor --fix` where a pinned download does), and the
//! next step once the findings are in.
//!
//! Reads programs through a [`Runner`] and host files under a root folder (`/` in real use), so
//! tests run on scripted answers and fake `/proc` trees. Reports data; never prints.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::error::ClusterError;
use super::kind::NODE_IMAGE;
use super::process::{ProcessError, Runner};
use super::tools;

/// Oldest kind whose default CNI enforces NetworkPolicy.
pub const MIN_KIND: (u32, u32) = (0, 24);
/// inotify limits multi-node kind clusters need.
pub const MIN_INOTIFY_WATCHES: u64 = 524_288;
/// See [`MIN_INOTIFY_WATCHES`].
pub const MIN_INOTIFY_INSTANCES: u64 = 512;
/// Memory a control plane and one worker need, roughly.
pub const MIN_MEMORY_KIB: u64 = 2 * 1024 * 1024;
/// Disk node images and volumes need, roughly.
pub const MIN_DISK_KIB: u64 = 5 * 1024 * 1024;

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Fine.
    Ok,
    /// Works, but something will bite (a scenario kind, a multi-node cluster).
    Warn,
    /// kubedrill cannot run clusters until fixed.
    Fail,
}

/// One check's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What was checked.
    pub check: &'static str,
    /// How it went.
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// The exact fix, when not ok.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// `kubedrill doctor --fix` fixes it (downloads a pinned release).
    #[serde(skip)]
    pub download: bool,
}

impl Finding {
    fn ok(check: &'static str, detail: impl Into<String>) -> Self {
        Self {
            check,
            status: Status::Ok,
            detail: detail.into(),
            fix: None,
            download: false,
        }
    }

    fn problem(check: &'static str, status: Status, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            check,
            status,
            detail: detail.into(),
            fix: Some(fix.into()),
            download: false,
        }
    }
}

/// Run every check. `root` is where `/proc` and `/sys` are read from; `data_dir` is where
/// clusters' files will live (checked for free space).
pub fn diagnose(runner: &dyn Runner, root: &Path, data_dir: &Path) -> Vec<Finding> {
    let engine = Engine::ask(runner);
    vec![
        docker(runner),
        kind(runner),
        kubectl(runner),
        cgroup_v2(&engine, root),
        inotify(root),
        br_netfilter(&engine, root),
        memory(root),
        disk(runner, data_dir),
    ]
}

fn missing(program: &str, error: &ProcessError, install: &str) -> String {
    match error {
        ProcessError::NotFound(_) => format!("install {program}: {install}"),
        ProcessError::Spawn { .. } => format!("check that `{program}` is executable"),
    }
}

/// kind or kubectl could not run: when it is not installed and a release is pinned for this
/// machine, `kubedrill doctor --fix` is the fix.
fn missing_tool(check: &'static str, error: &ProcessError, install: &str, pinned: Option<&str>) -> Finding {
    let finding = Finding::problem(check, Status::Fail, error.to_string(), missing(check, error, install));
    match (error, pinned) {
        (ProcessError::NotFound(_), Some(version)) => Finding {
            fix: Some(format!(
                "`kubedrill doctor --fix` downloads the pinned {check} {version} (SHA-256 verified); or install it yourself: {install}"
            )),
            download: true,
            ..finding
        },
        _ => finding,
    }
}

/// The release `doctor --fix` would download for this machine, if one is pinned.
fn pinned_version(tool: &str) -> Option<&'static str> {
    tools::pinned(tool).ok().map(|artifact| artifact.version)
}

/// Docker must answer before kubedrill offers anything that needs it (a kind download, a
/// cluster): the doctor's Docker finding as an error when it is not ok.
pub fn require_docker(runner: &dyn Runner) -> Result<(), ClusterError> {
    let finding = docker(runner);
    match finding.status {
        Status::Ok => Ok(()),
        Status::Warn | Status::Fail => Err(ClusterError::Docker {
            detail: finding.detail,
            fix: finding.fix.unwrap_or_default(),
        }),
    }
}

/// The tools `kubedrill doctor --fix` would download (failing findings it fixes).
#[must_use]
pub fn downloadable(findings: &[Finding]) -> Vec<&'static str> {
    findings
        .iter()
        .filter(|f| f.status == Status::Fail && f.download)
        .map(|f| f.check)
        .collect()
}

/// What to do once the findings are shown and something fails; `fix_ran`: `--fix` was given
/// (so what is still downloadable could not be downloaded).
#[must_use]
pub fn next_step(findings: &[Finding], fix_ran: bool) -> String {
    let tools = downloadable(findings);
    let (downloads, pronoun) = (tools.join(" and "), if tools.len() > 1 { "them" } else { "it" });
    let others = findings.iter().any(|f| f.status == Status::Fail && !f.download);
    let by_hand = "apply the `fix` lines, then run `kubedrill doctor` again";
    match (downloads.is_empty(), fix_ran, others) {
        (true, _, _) => by_hand.to_owned(),
        (false, false, false) => {
            format!("run `kubedrill doctor --fix`: it downloads {downloads} (pinned, SHA-256 verified)")
        }
        (false, false, true) => {
            format!("run `kubedrill doctor --fix` to download {downloads}; for the rest, {by_hand}")
        }
        (false, true, _) => format!(
            "{downloads} could not be downloaded (why is above): run `kubedrill doctor --fix` again once the network works, or install {pronoun} yourself; {by_hand}"
        ),
    }
}

fn docker(runner: &dyn Runner) -> Finding {
    const CHECK: &str = "docker";
    match runner.run("docker", &["version", "--format", "{{.Server.Version}}"]) {
        Ok(out) if out.success() && !out.stdout.trim().is_empty() => {
            Finding::ok(CHECK, format!("Docker engine {}", out.stdout.trim()))
        }
        Ok(out) => Finding::problem(
            CHECK,
            Status::Fail,
            format!("the Docker daemon is not reachable: {}", first_line(&out.stderr)),
            "start Docker (`sudo systemctl start docker`, or open Docker Desktop), then run `kubedrill doctor` again",
        ),
        Err(e) => Finding::problem(
            CHECK,
            Status::Fail,
            e.to_string(),
            missing("Docker", &e, "https://docs.docker.com/engine/install/"),
        ),
    }
}

/// The Kubernetes version of kind's node image (`v1.36.1` in `kindest/node:v1.36.1@sha256:...`).
#[must_use]
pub fn node_kubernetes() -> &'static str {
    NODE_IMAGE
        .split_once(':')
        .and_then(|(_, tag)| tag.split('@').next())
        .unwrap_or_default()
}

/// kubectl talks to API servers one minor older or newer than itself, no further.
fn kubectl_skew(client: &str, server: &str) -> Finding {
    const CHECK: &str = "kubectl";
    match (version(client), version(server)) {
        (Some((client_major, minor)), Some((major, server_minor)))
            if client_major != major || minor.abs_diff(server_minor) > 1 =>
        {
            let pin = tools::pinned(CHECK)
                .map(|a| format!(" (kubedrill pins {}: {})", a.version, a.url))
                .unwrap_or_default();
            Finding::problem(
                CHECK,
                Status::Warn,
                format!(
                    "kubectl {client} is too far from the clusters' Kubernetes {server}: kubectl supports one minor version either way"
                ),
                format!(
                    "install kubectl v{major}.{} to v{major}.{} in its place: https://kubernetes.io/docs/tasks/tools/{pin}",
                    server_minor.saturating_sub(1),
                    server_minor + 1
                ),
            )
        }
        _ => Finding::ok(CHECK, format!("kubectl {client} (clusters run Kubernetes {server})")),
    }
}

/// `kind v0.24.0 go1.22.4 linux/amd64` -> (0, 24); `v1.32.4-dispatcher` -> (1, 32).
fn version(text: &str) -> Option<(u32, u32)> {
    let version = text
        .split_whitespace()
        .find(|w| w.starts_with('v'))?
        .trim_start_matches('v');
    let mut parts = version.split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

fn kind(runner: &dyn Runner) -> Finding {
    const CHECK: &str = "kind";
    let install =
        "https://kind.sigs.k8s.io/docs/user/quick-start/#installation (`go install sigs.k8s.io/kind@latest` works too)";
    match runner.run("kind", &["version"]) {
        Ok(out) if out.success() => match version(&out.stdout) {
            Some(v) if v >= MIN_KIND => Finding::ok(CHECK, out.stdout.trim().to_owned()),
            Some((major, minor)) => Finding::problem(
                CHECK,
                Status::Warn,
                format!("kind v{major}.{minor} does not enforce NetworkPolicy with its default CNI"),
                format!("upgrade kind to v{}.{} or newer: {install}", MIN_KIND.0, MIN_KIND.1),
            ),
            None => Finding::problem(
                CHECK,
                Status::Warn,
                format!("unrecognised version `{}`", out.stdout.trim()),
                format!("reinstall kind: {install}"),
            ),
        },
        Ok(out) => Finding::problem(
            CHECK,
            Status::Fail,
            format!("`kind version` failed: {}", first_line(&out.stderr)),
            format!("reinstall kind: {install}"),
        ),
        Err(e) => missing_tool(CHECK, &e, install, pinned_version(CHECK)),
    }
}

fn kubectl(runner: &dyn Runner) -> Finding {
    const CHECK: &str = "kubectl";
    let install = "https://kubernetes.io/docs/tasks/tools/";
    match runner.run("kubectl", &["version", "--client", "-o", "json"]) {
        Ok(out) if out.success() => {
            let version = serde_json::from_str::<serde_json::Value>(&out.stdout)
                .ok()
                .and_then(|v| {
                    v.pointer("/clientVersion/gitVersion")
                        .and_then(|g| g.as_str().map(str::to_owned))
                });
            match version {
                Some(v) => kubectl_skew(&v, node_kubernetes()),
                None => Finding::problem(
                    CHECK,
                    Status::Warn,
                    "could not read the kubectl version",
                    format!("reinstall kubectl: {install}"),
                ),
            }
        }
        Ok(out) => Finding::problem(
            CHECK,
            Status::Fail,
            format!("`kubectl version` failed: {}", first_line(&out.stderr)),
            format!("reinstall kubectl: {install}"),
        ),
        Err(e) => missing_tool(CHECK, &e, install, pinned_version(CHECK)),
    }
}

fn host_file(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim_start_matches('/'))
}

/// What the Docker engine says of its own host (`docker info`): on Docker Desktop and remote
/// engines that host is a VM, not this machine, so its cgroup version and bridge netfilter
/// setting are the ones kind's nodes get.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Engine {
    /// `CgroupVersion`: "1" or "2".
    cgroup_version: Option<String>,
    /// `BridgeNfIptables`: whether bridged traffic passes iptables (br_netfilter loaded).
    bridge_nf_iptables: Option<bool>,
}

impl Engine {
    fn ask(runner: &dyn Runner) -> Self {
        let Ok(out) = runner.run("docker", &["info", "--format", "{{json .}}"]) else {
            return Self::default();
        };
        let info: serde_json::Value = if out.success() {
            serde_json::from_str(&out.stdout).unwrap_or_default()
        } else {
            serde_json::Value::Null
        };
        Self {
            cgroup_version: info["CgroupVersion"].as_str().map(str::to_owned),
            bridge_nf_iptables: info["BridgeNfIptables"].as_bool(),
        }
    }
}

/// Where a host fact came from, for the finding's detail.
const FROM_THIS_MACHINE: &str = " (read on this machine: the Docker engine did not say)";

fn cgroup_v2(engine: &Engine, root: &Path) -> Finding {
    let (v2, source) = match engine.cgroup_version.as_deref() {
        Some(version) => (version == "2", " (Docker engine)"),
        None => (
            host_file(root, "/sys/fs/cgroup/cgroup.controllers").is_file(),
            FROM_THIS_MACHINE,
        ),
    };
    if v2 {
        Finding::ok("cgroup v2", format!("unified hierarchy{source}"))
    } else {
        Finding::problem(
            "cgroup v2",
            Status::Fail,
            format!("cgroup v1{source}: kind node images from Kubernetes 1.35 need cgroup v2"),
            "boot with `systemd.unified_cgroup_hierarchy=1` (most distributions since 2021 do), or use a newer host",
        )
    }
}

fn read_number(root: &Path, path: &str) -> Option<u64> {
    std::fs::read_to_string(host_file(root, path)).ok()?.trim().parse().ok()
}

fn inotify(root: &Path) -> Finding {
    let watches = read_number(root, "/proc/sys/fs/inotify/max_user_watches");
    let instances = read_number(root, "/proc/sys/fs/inotify/max_user_instances");
    match (watches, instances) {
        (Some(w), Some(i)) if w >= MIN_INOTIFY_WATCHES && i >= MIN_INOTIFY_INSTANCES => {
            Finding::ok("inotify", format!("max_user_watches {w}, max_user_instances {i}"))
        }
        (Some(w), Some(i)) => Finding::problem(
            "inotify",
            Status::Warn,
            format!("max_user_watches {w}, max_user_instances {i}: multi-node clusters run out of watches"),
            format!(
                "sudo sysctl fs.inotify.max_user_watches={MIN_INOTIFY_WATCHES} fs.inotify.max_user_instances={MIN_INOTIFY_INSTANCES}"
            ),
        ),
        _ => Finding::problem(
            "inotify",
            Status::Warn,
            "could not read the inotify limits",
            "check /proc/sys/fs/inotify/",
        ),
    }
}

fn br_netfilter(engine: &Engine, root: &Path) -> Finding {
    let (loaded, source) = match engine.bridge_nf_iptables {
        Some(on) => (on, " (Docker engine)"),
        None => (host_file(root, "/sys/module/br_netfilter").exists(), FROM_THIS_MACHINE),
    };
    if loaded {
        Finding::ok("br_netfilter", format!("loaded{source}"))
    } else {
        Finding::problem(
            "br_netfilter",
            Status::Warn,
            format!("not loaded{source}: Flannel scenarios fail (flanneld exits with `Failed to check br_netfilter`)"),
            "sudo modprobe br_netfilter",
        )
    }
}

fn memory(root: &Path) -> Finding {
    let available = std::fs::read_to_string(host_file(root, "/proc/meminfo"))
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("MemAvailable:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        });
    match available {
        Some(kib) if kib >= MIN_MEMORY_KIB => Finding::ok("memory", format!("{} MiB available", kib / 1024)),
        Some(kib) => Finding::problem(
            "memory",
            Status::Warn,
            format!(
                "{} MiB available; a control plane and a worker need about 2 GiB",
                kib / 1024
            ),
            "close other programs, or give Docker Desktop more memory (Settings > Resources)",
        ),
        None => Finding::problem(
            "memory",
            Status::Warn,
            "could not read /proc/meminfo",
            "check free memory by hand (`free -h`)",
        ),
    }
}

/// `df -Pk DIR` -> available KiB (4th column of the second line).
fn df_available(text: &str) -> Option<u64> {
    text.lines().nth(1)?.split_whitespace().nth(3)?.parse().ok()
}

fn disk(runner: &dyn Runner, data_dir: &Path) -> Finding {
    let existing = data_dir.ancestors().find(|p| p.exists()).unwrap_or(Path::new("/"));
    let shown = existing.display().to_string();
    match runner
        .run("df", &["-Pk", &shown])
        .ok()
        .filter(super::process::Output::success)
        .and_then(|o| df_available(&o.stdout))
    {
        Some(kib) if kib >= MIN_DISK_KIB => Finding::ok("disk", format!("{} GiB free at {shown}", kib / 1024 / 1024)),
        Some(kib) => Finding::problem(
            "disk",
            Status::Warn,
            format!("{} MiB free at {shown}; node images need about 5 GiB", kib / 1024),
            "free space, or `docker system prune` to remove unused images",
        ),
        None => Finding::problem(
            "disk",
            Status::Warn,
            format!("could not measure free space at {shown}"),
            "check free space by hand (`df -h`)",
        ),
    }
}

fn first_line(text: &str) -> &str {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no output")
        .trim()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::{
        Finding, Status, df_available, diagnose, kubectl_skew, missing_tool, next_step, node_kubernetes,
        require_docker, version,
    };
    use crate::cluster::error::ClusterError;
    use crate::cluster::process::{Output, ProcessError, Runner};

    /// Scripted answers by program name; unknown programs are "not installed".
    struct Script(BTreeMap<&'static str, Output>);

    impl Runner for Script {
        fn run(&self, program: &str, args: &[&str]) -> Result<Output, ProcessError> {
            // `docker info` has an answer of its own ("docker info"), else the program's.
            let sub = format!("{program} {}", args.first().unwrap_or(&""));
            self.0
                .get(sub.as_str())
                .or_else(|| self.0.get(program))
                .cloned()
                .ok_or_else(|| ProcessError::NotFound(program.to_owned()))
        }
    }

    fn ok(stdout: &str) -> Output {
        Output {
            code: Some(0),
            stdout: stdout.to_owned(),
            stderr: String::new(),
        }
    }

    fn host(root: &Path, watches: &str, cgroup2: bool, br_netfilter: bool, mem_kib: u64) {
        let write = |path: &str, text: &str| {
            let file = root.join(path);
            std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
            std::fs::write(file, text).expect("write");
        };
        write("proc/sys/fs/inotify/max_user_watches", watches);
        write("proc/sys/fs/inotify/max_user_instances", "512\n");
        write(
            "proc/meminfo",
            &format!("MemTotal: 99 kB\nMemAvailable:   {mem_kib} kB\n"),
        );
        if cgroup2 {
            write("sys/fs/cgroup/cgroup.controllers", "cpu memory\n");
        }
        if br_netfilter {
            std::fs::create_dir_all(root.join("sys/module/br_netfilter")).expect("mkdir");
        }
    }

    fn status(findings: &[super::Finding], check: &str) -> Status {
        findings
            .iter()
            .find(|f| f.check == check)
            .map(|f| f.status)
            .expect("checked")
    }

    #[test]
    fn a_ready_machine_is_all_ok() {
        let root = tempfile::tempdir().expect("tempdir");
        host(root.path(), "524288\n", true, true, 8 * 1024 * 1024);
        let script = Script(BTreeMap::from([
            ("docker", ok("28.2.2\n")),
            ("kind", ok("kind v0.32.0 go1.24.6 linux/amd64\n")),
            ("kubectl", ok(r#"{"clientVersion": {"gitVersion": "v1.36.0"}}"#)),
            (
                "df",
                ok("Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/vda 1000 10 83886080 1% /\n"),
            ),
        ]));
        let findings = diagnose(&script, root.path(), root.path());
        assert!(findings.iter().all(|f| f.status == Status::Ok), "{findings:#?}");
    }

    #[test]
    fn each_problem_comes_with_its_fix() {
        let root = tempfile::tempdir().expect("tempdir");
        host(root.path(), "8192\n", false, false, 512 * 1024);
        let stopped = Output {
            code: Some(1),
            stdout: String::new(),
            stderr: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock\n".into(),
        };
        let script = Script(BTreeMap::from([
            ("docker", stopped),
            ("kind", ok("kind v0.20.0 go1.20 linux/amd64\n")),
        ]));
        let findings = diagnose(&script, root.path(), Path::new("/nonexistent/kubedrill"));
        assert_eq!(status(&findings, "docker"), Status::Fail);
        assert!(findings[0].detail.contains("Cannot connect to the Docker daemon"));
        assert_eq!(
            status(&findings, "kind"),
            Status::Warn,
            "too old to enforce NetworkPolicy"
        );
        assert_eq!(status(&findings, "kubectl"), Status::Fail, "not installed");
        assert_eq!(status(&findings, "cgroup v2"), Status::Fail);
        assert_eq!(status(&findings, "inotify"), Status::Warn);
        assert_eq!(status(&findings, "br_netfilter"), Status::Warn);
        assert_eq!(status(&findings, "memory"), Status::Warn);
        assert_eq!(status(&findings, "disk"), Status::Warn, "df missing: measured by hand");
        for finding in findings.iter().filter(|f| f.status != Status::Ok) {
            assert!(finding.fix.as_deref().is_some_and(|f| !f.is_empty()), "{finding:?}");
        }
        let inotify = findings.iter().find(|f| f.check == "inotify").expect("inotify");
        assert_eq!(
            inotify.fix.as_deref(),
            Some("sudo sysctl fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512")
        );
    }

    /// On Docker Desktop or a remote engine the host kind runs on is the engine's, not this
    /// machine: `docker info` decides, and this machine's /sys only when the engine is silent.
    #[test]
    fn host_facts_come_from_the_docker_engine() {
        let root = tempfile::tempdir().expect("tempdir");
        // This machine: cgroup v1, no br_netfilter (a Mac's view, say).
        host(root.path(), "524288\n", false, false, 8 * 1024 * 1024);
        let engine = |info: &str| Script(BTreeMap::from([("docker", ok("28.2.2\n")), ("docker info", ok(info))]));
        let findings = diagnose(
            &engine(r#"{"CgroupVersion": "2", "BridgeNfIptables": true}"#),
            root.path(),
            root.path(),
        );
        assert_eq!(status(&findings, "cgroup v2"), Status::Ok, "{findings:#?}");
        assert_eq!(status(&findings, "br_netfilter"), Status::Ok);
        let findings = diagnose(
            &engine(r#"{"CgroupVersion": "1", "BridgeNfIptables": false}"#),
            root.path(),
            root.path(),
        );
        let cgroup = findings.iter().find(|f| f.check == "cgroup v2").expect("cgroup");
        assert_eq!(cgroup.status, Status::Fail);
        assert!(cgroup.detail.contains("Docker engine"), "{cgroup:?}");
        assert_eq!(status(&findings, "br_netfilter"), Status::Warn);
        // The engine does not answer: this machine's view, and the finding says so.
        let silent = Script(BTreeMap::from([
            ("docker", ok("28.2.2\n")),
            ("docker info", ok("not json")),
        ]));
        let findings = diagnose(&silent, root.path(), root.path());
        let cgroup = findings.iter().find(|f| f.check == "cgroup v2").expect("cgroup");
        assert!(cgroup.detail.contains("this machine"), "{cgroup:?}");
    }

    #[test]
    fn kubectl_more_than_one_minor_from_the_node_image_is_a_warning_naming_both() {
        let server = node_kubernetes();
        let (major, minor) = version(server).expect("the node image is tagged with its Kubernetes version");
        let within = [minor - 1, minor, minor + 1].map(|m| kubectl_skew(&format!("v{major}.{m}.0"), server));
        assert!(within.iter().all(|f| f.status == Status::Ok), "{within:#?}");
        for far in [
            format!("v{major}.{}.4-dispatcher", minor - 4),
            format!("v{major}.{}.0", minor + 2),
        ] {
            let finding = kubectl_skew(&far, server);
            assert_eq!(finding.status, Status::Warn, "{finding:?}");
            assert!(
                finding.detail.contains(&far) && finding.detail.contains(server),
                "{finding:?}"
            );
            let fix = finding.fix.expect("fix");
            assert!(
                fix.contains(&format!("v{major}.{} to v{major}.{}", minor - 1, minor + 1)),
                "{fix}"
            );
        }
        // Through the probe: the version kubectl reports about itself.
        let root = tempfile::tempdir().expect("tempdir");
        let old = format!(r#"{{"clientVersion": {{"gitVersion": "v{major}.{}.4"}}}}"#, minor - 4);
        let script = Script(BTreeMap::from([("kubectl", ok(&old))]));
        assert_eq!(
            status(&diagnose(&script, root.path(), root.path()), "kubectl"),
            Status::Warn
        );
    }

    #[test]
    fn a_missing_tool_with_a_pinned_release_is_fixed_by_doctor_fix() {
        let not_found = ProcessError::NotFound("kind".into());
        let pinned = missing_tool("kind", &not_found, "https://kind.example", Some("v0.32.0"));
        assert!(pinned.download);
        let fix = pinned.fix.as_deref().unwrap_or_default();
        assert!(
            fix.contains("`kubedrill doctor --fix`") && fix.contains("v0.32.0"),
            "{fix}"
        );
        assert!(
            fix.contains("https://kind.example"),
            "installing by hand stays an option: {fix}"
        );
        let unpinned = missing_tool("kind", &not_found, "https://kind.example", None);
        assert!(!unpinned.download && !unpinned.fix.unwrap_or_default().contains("--fix"));
        let broken = ProcessError::Spawn {
            program: "kind".into(),
            reason: "permission denied".into(),
        };
        assert!(
            !missing_tool("kind", &broken, "u", Some("v0.32.0")).download,
            "a download would not help"
        );
    }

    #[test]
    fn the_next_step_names_doctor_fix_only_when_it_would_help() {
        let fail = |check: &'static str, download: bool| Finding {
            check,
            status: Status::Fail,
            detail: String::new(),
            fix: Some("x".into()),
            download,
        };
        let tools = [fail("kind", true), fail("kubectl", true)];
        assert_eq!(
            next_step(&tools, false),
            "run `kubedrill doctor --fix`: it downloads kind and kubectl (pinned, SHA-256 verified)"
        );
        let with_docker = [fail("docker", false), fail("kind", true)];
        let step = next_step(&with_docker, false);
        assert!(
            step.starts_with("run `kubedrill doctor --fix` to download kind;") && step.contains("`fix` lines"),
            "{step}"
        );
        let step = next_step(&tools, true);
        assert!(step.starts_with("kind and kubectl could not be downloaded"), "{step}");
        assert!(step.contains("install them yourself"), "{step}");
        assert_eq!(
            next_step(&[fail("docker", false)], false),
            "apply the `fix` lines, then run `kubedrill doctor` again"
        );
    }

    #[test]
    fn docker_is_required_before_anything_needs_it() {
        let stopped = Output {
            code: Some(1),
            stdout: String::new(),
            stderr: "Cannot connect to the Docker daemon\n".into(),
        };
        let error = require_docker(&Script(BTreeMap::from([("docker", stopped)]))).expect_err("stopped");
        assert!(
            matches!(&error, ClusterError::Docker { detail, .. } if detail.contains("Cannot connect")),
            "{error}"
        );
        assert!(error.hints()[0].contains("start Docker"), "{:?}", error.hints());
        let missing = require_docker(&Script(BTreeMap::new())).expect_err("not installed");
        assert_eq!(missing.to_string(), "`docker` was not found on PATH");
        require_docker(&Script(BTreeMap::from([("docker", ok("28.2.2\n"))]))).expect("running");
    }

    #[test]
    fn version_and_df_parsing() {
        assert_eq!(version("kind v0.24.0 go1.22.4 linux/amd64"), Some((0, 24)));
        assert_eq!(version("v1.32.4-dispatcher"), Some((1, 32)));
        assert_eq!(version("garbage"), None);
        assert_eq!(
            df_available("Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/x 10 5 1234 50% /\n"),
            Some(1234)
        );
        assert_eq!(df_available("nonsense"), None);
    }
}
