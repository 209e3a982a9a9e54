//! Pinned downloads: kind, kubectl and the CNI `bridge` plugin, each by version and SHA-256
//! written here in the source. A download goes to a temporary file next to its destination,
//! is hashed, and only a match is renamed into place; a mismatch is deleted and reported.
//!
//! The pins were taken from published pin lists (kind v0.32.0 and kubectl v1.37.0 from a
//! public install script's pinned table; cni-plugins v1.9.1 from two independent pin files).
//! This workplace has no internet access, so they were not downloaded here: the e2e workflow
//! runs `kubedrill doctor --fix` on a hosted runner, which verifies them for linux/amd64.
//!
//! Downloads with `curl` through a [`Runner`]; never prints.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::error::ClusterError;
use super::process::Runner;

/// kind release kubedrill installs.
pub const KIND_VERSION: &str = "v0.32.0";
/// kubectl release kubedrill installs (within one minor of the node image's v1.36).
pub const KUBECTL_VERSION: &str = "v1.37.0";
/// containernetworking/plugins release the `bridge` plugin comes from.
pub const CNI_PLUGINS_VERSION: &str = "v1.9.1";

/// A file to download and the digest it must have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    /// `kind`, `kubectl`, `cni-plugins`.
    pub tool: &'static str,
    /// The release.
    pub version: &'static str,
    /// Where from.
    pub url: String,
    /// Lowercase hex SHA-256.
    pub sha256: &'static str,
}

/// This machine as release assets name it (`linux`/`darwin`, `amd64`/`arm64`).
#[must_use]
pub fn platform() -> (&'static str, &'static str) {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    (os, arch)
}

fn unpinned(tool: &str, os: &str, arch: &str) -> ClusterError {
    ClusterError::Unpinned {
        tool: tool.to_owned(),
        platform: format!("{os}/{arch}"),
    }
}

/// The pinned kind binary for a platform.
pub fn kind(os: &str, arch: &str) -> Result<Artifact, ClusterError> {
    let sha256 = match (os, arch) {
        ("linux", "amd64") => "50030de23cf40a18505f20426f6a8506bedf13c6e509244bd1fa9463721b0f54",
        ("linux", "arm64") => "b92cd615e97585de8ddade28ed5cd7feb4248d717c233eea5b03c37298900f5d",
        ("darwin", "amd64") => "295ac6d0d634c9819c9907df45e3017d1f13166bd13c3404c45e79f7faa47498",
        ("darwin", "arm64") => "dca67911095a110c2b5c36e26df6cac860c602033e456c0db47be498cdef1ebb",
        _ => return Err(unpinned("kind", os, arch)),
    };
    Ok(Artifact {
        tool: "kind",
        version: KIND_VERSION,
        url: format!("https://github.com/kubernetes-sigs/kind/releases/download/{KIND_VERSION}/kind-{os}-{arch}"),
        sha256,
    })
}

/// The pinned kubectl binary for a platform.
pub fn kubectl(os: &str, arch: &str) -> Result<Artifact, ClusterError> {
    let sha256 = match (os, arch) {
        ("linux", "amd64") => "8b8f088da2dab964f853b38464033b1be15ede2839eca751482357c45abdd05a",
        ("linux", "arm64") => "0ecf44450ee6063bf19dd166a103ee6df4a9034455c2abce626e6eea657d73fb",
        ("darwin", "amd64") => "71a3aa7c2ee2c974d9fbb462cba0c5c04a4df2e8d85eee94714fd819ea3c4e63",
        ("darwin", "arm64") => "c9e4f713d6fee0043a3d835cca13077cda2bc0973840eb9779360df0b5bdfc69",
        _ => return Err(unpinned("kubectl", os, arch)),
    };
    Ok(Artifact {
        tool: "kubectl",
        version: KUBECTL_VERSION,
        url: format!("https://dl.k8s.io/release/{KUBECTL_VERSION}/bin/{os}/{arch}/kubectl"),
        sha256,
    })
}

/// The pinned CNI plugins archive (Linux only: it is copied into kind's Linux nodes).
pub fn cni_plugins(arch: &str) -> Result<Artifact, ClusterError> {
    let sha256 = match arch {
        "amd64" => "b98f74a0f8522f0a83867178729c1aa70f2158f90c45a2ca8fa791db1c76b303",
        // arm64 (Apple Silicon, arm64 Linux): from two independent pin lists (flannel's own e2e
        // script and a Go test's channel file) that agree on it and on the amd64 value above.
        "arm64" => "56171987d3947707c3563db2f4001bccaf50fd63468611b9f3cbecb1375ee7ec",
        _ => return Err(unpinned("cni-plugins", "linux", arch)),
    };
    Ok(Artifact {
        tool: "cni-plugins",
        version: CNI_PLUGINS_VERSION,
        url: format!(
            "https://github.com/containernetworking/plugins/releases/download/{CNI_PLUGINS_VERSION}/cni-plugins-linux-{arch}-{CNI_PLUGINS_VERSION}.tgz"
        ),
        sha256,
    })
}

/// Calico release the calico profile installs.
pub const CALICO_VERSION: &str = "v3.32.1";

/// Calico's operator manifests for [`CALICO_VERSION`]: its CRDs, then the tigera operator.
/// The SHA-256s are of the files in the projectcalico/calico git tree at that tag (the bytes
/// raw.githubusercontent.com serves for it).
#[must_use]
pub fn calico_manifests() -> [Artifact; 2] {
    let raw = |file: &str| {
        format!("https://raw.githubusercontent.com/projectcalico/calico/{CALICO_VERSION}/manifests/{file}")
    };
    [
        Artifact {
            tool: "calico operator-crds.yaml",
            version: CALICO_VERSION,
            url: raw("operator-crds.yaml"),
            sha256: "192f8b2d934ef24b62e86b7e1a6e1762d1c8af26a916f78057bc13fa5ed60f71",
        },
        Artifact {
            tool: "calico tigera-operator.yaml",
            version: CALICO_VERSION,
            url: raw("tigera-operator.yaml"),
            sha256: "f18e073794207d372606bc3ea6f8fd73972f86d6828f4ba666dfe0d4aa8ab07f",
        },
    ]
}

/// The ingress-nginx release the Ingress scenarios install.
pub const INGRESS_NGINX_VERSION: &str = "controller-v1.15.1";

/// The Gateway API release whose standard-channel CRDs the `gateway-api` add-on installs.
pub const GATEWAY_API_VERSION: &str = "v1.6.3";

/// The standard-channel CRDs of [`GATEWAY_API_VERSION`], one pinned file each (the release
/// tag's `config/crd/standard/`; the digests are of those files as the Go module proxy serves
/// the same tree in `sigs.k8s.io/gateway-api@v1.6.3`).
#[must_use]
pub fn gateway_api_crds() -> Vec<Artifact> {
    const FILES: [(&str, &str); 10] = [
        (
            "backendtlspolicies",
            "d9824b82db284bdea67d2eb0297952be51e0e7a394f02daef0d6f3fefa5d01c0",
        ),
        (
            "gatewayclasses",
            "d32070cb6930273a07c5ca183135712b1918cc140c6d9b6cef441cdf0e562345",
        ),
        (
            "gateways",
            "905c89d8fefaab9088bf9d0a8d47ebd7ec4e653a914d4bfaa575a7716f07a828",
        ),
        (
            "grpcroutes",
            "a96b307008290c194ad346f9bb9346dd560c12e4d4e7dfbdbe7d2fb5e812d62e",
        ),
        (
            "httproutes",
            "a89d17ff5ed060fa0eac015524f9252bb291f616412c13ac8cb952ed9c25c5ad",
        ),
        (
            "listenersets",
            "b81f1771dcd96dfb3bb500e07dafef79a2aa58c4a9b4b366d54ca29e8ecccb5e",
        ),
        (
            "referencegrants",
            "ff8db85aaacc91fb4096975afb5782540572bf2f04842a258094cd7f50c7f38a",
        ),
        (
            "tcproutes",
            "5d2891484c870865e9ae61402b412a8b81eea381fbb71fdc56406e533c9643f1",
        ),
        (
            "tlsroutes",
            "b9277b755ee0f33dd245d3497ba842922ff2e2efe5070b0911e58d072d55ed9c",
        ),
        (
            "udproutes",
            "a552a9aa3726367c392000a45d13e6ba07985117a5e6826364640bedfeb5e922",
        ),
    ];
    FILES
        .iter()
        .map(|(plural, sha256)| Artifact {
            tool: "Gateway API CRD",
            version: GATEWAY_API_VERSION,
            url: format!(
                "https://raw.githubusercontent.com/kubernetes-sigs/gateway-api/{GATEWAY_API_VERSION}/config/crd/standard/gateway.networking.k8s.io_{plural}.yaml"
            ),
            sha256,
        })
        .collect()
}

/// ingress-nginx's manifest for kind at [`INGRESS_NGINX_VERSION`] (its images pinned by digest
/// inside); the SHA-256 is of `deploy/static/provider/kind/deploy.yaml` in the
/// kubernetes/ingress-nginx git tree at that tag.
#[must_use]
pub fn ingress_nginx_manifest() -> Artifact {
    Artifact {
        tool: "ingress-nginx deploy.yaml",
        version: INGRESS_NGINX_VERSION,
        url: format!(
            "https://raw.githubusercontent.com/kubernetes/ingress-nginx/{INGRESS_NGINX_VERSION}/deploy/static/provider/kind/deploy.yaml"
        ),
        sha256: "2a3ae008c8786431115502644e77ab398fdebfb721a5d1195ed3089cde3299df",
    }
}

/// `dest` when it already holds `artifact` (hash matches), else downloaded and verified.
pub fn cached(runner: &dyn Runner, artifact: &Artifact, dest: &Path) -> Result<PathBuf, ClusterError> {
    if sha256_of(dest).ok().as_deref() == Some(artifact.sha256) {
        return Ok(dest.to_path_buf());
    }
    fetch(runner, artifact, dest, false)
}

/// The SHA-256 of a file, lowercase hex.
pub fn sha256_of(path: &Path) -> Result<String, ClusterError> {
    let mut file = std::fs::File::open(path).map_err(|e| ClusterError::io(path, &e))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0_u8; 64 * 1024];
    loop {
        let n = file.read(&mut buffer).map_err(|e| ClusterError::io(path, &e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Download `artifact` to `dest` (made executable when `executable`), verified; nothing is
/// left at `dest` unless the digest matched.
pub fn fetch(runner: &dyn Runner, artifact: &Artifact, dest: &Path, executable: bool) -> Result<PathBuf, ClusterError> {
    let dir = dest.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| ClusterError::io(dir, &e))?;
    let partial = tempfile::Builder::new()
        .prefix(".kubedrill-download-")
        .tempfile_in(dir)
        .map_err(|e| ClusterError::io(dir, &e))?;
    let path = partial.path().to_string_lossy().into_owned();
    let out = runner.run("curl", &["-fsSL", "--retry", "3", "-o", &path, &artifact.url])?;
    if !out.success() {
        return Err(ClusterError::Download {
            url: artifact.url.clone(),
            message: curl_reason(&out.stderr),
        });
    }
    let actual = sha256_of(partial.path())?;
    if actual != artifact.sha256 {
        return Err(ClusterError::Checksum {
            url: artifact.url.clone(),
            expected: artifact.sha256.to_owned(),
            actual,
        });
    }
    if executable {
        set_executable(partial.path())?;
    }
    partial.persist(dest).map_err(|e| ClusterError::io(dest, &e.error))?;
    Ok(dest.to_path_buf())
}

/// curl's reason in one line: its last, with `--retry` it prints the same line per attempt.
fn curl_reason(stderr: &str) -> String {
    stderr
        .lines()
        .map(str::trim)
        .rfind(|line| !line.is_empty())
        .unwrap_or("curl failed without a message")
        .to_owned()
}

#[cfg(unix)]
fn set_executable(path: &Path) -> Result<(), ClusterError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(|e| ClusterError::io(path, &e))
}

#[cfg(not(unix))]
fn set_executable(_: &Path) -> Result<(), ClusterError> {
    Ok(())
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
}

/// The program to run for `tool`: on PATH when it is there, else kubedrill's downloaded copy
/// in `bin`, else the bare name (so the error says it is missing).
#[must_use]
pub fn program(tool: &str, bin: &Path) -> String {
    let downloaded = bin.join(tool);
    if !on_path(tool) && downloaded.is_file() {
        return downloaded.to_string_lossy().into_owned();
    }
    tool.to_owned()
}

/// Which of `tools` are neither on PATH nor in `bin`.
#[must_use]
pub fn missing<'t>(tools: &[&'t str], bin: &Path) -> Vec<&'t str> {
    tools
        .iter()
        .copied()
        .filter(|tool| !on_path(tool) && !bin.join(tool).is_file())
        .collect()
}

/// A [`Runner`] that runs kind and kubectl from kubedrill's `bin` folder when they are not on
/// PATH (after `doctor --fix` downloaded them).
pub struct ToolRunner<'r> {
    /// The runner underneath.
    pub inner: &'r dyn Runner,
    /// kubedrill's tool folder.
    pub bin: PathBuf,
}

impl Runner for ToolRunner<'_> {
    fn run(&self, program: &str, args: &[&str]) -> Result<super::process::Output, super::process::ProcessError> {
        let program = match program {
            "kind" | "kubectl" => self::program(program, &self.bin),
            other => other.to_owned(),
        };
        self.inner.run(&program, args)
    }
}

/// The pinned release of `tool` (`kind`, else `kubectl`) for this machine.
pub fn pinned(tool: &str) -> Result<Artifact, ClusterError> {
    let (os, arch) = platform();
    match tool {
        "kind" => kind(os, arch),
        _ => kubectl(os, arch),
    }
}

/// Download the pinned `tool` (`kind`, `kubectl`) into `bin`, verified; where it went.
pub fn install(runner: &dyn Runner, tool: &str, bin: &Path) -> Result<PathBuf, ClusterError> {
    fetch(runner, &pinned(tool)?, &bin.join(tool), true)
}

/// Download every missing tool among `tools` (`kind`, `kubectl`) into `bin`; what was installed.
pub fn install_missing(runner: &dyn Runner, tools: &[&str], bin: &Path) -> Result<Vec<PathBuf>, ClusterError> {
    tools.iter().map(|tool| install(runner, tool, bin)).collect()
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::{Artifact, cni_plugins, fetch, kind, kubectl, missing, program, sha256_of};
    use crate::cluster::error::ClusterError;
    use crate::cluster::process::{Output, ProcessError, Runner};

    /// A `curl` that writes fixed bytes to its `-o` path.
    struct FakeCurl {
        bytes: &'static [u8],
        calls: RefCell<Vec<String>>,
    }

    impl Runner for FakeCurl {
        fn run(&self, program: &str, args: &[&str]) -> Result<Output, ProcessError> {
            self.calls.borrow_mut().push(format!("{program} {}", args.join(" ")));
            let target = args
                .iter()
                .position(|a| *a == "-o")
                .and_then(|i| args.get(i + 1))
                .expect("-o");
            std::fs::write(target, self.bytes).expect("write");
            Ok(Output {
                code: Some(0),
                stdout: String::new(),
                stderr: String::new(),
            })
        }
    }

    fn artifact(sha256: &'static str) -> Artifact {
        Artifact {
            tool: "kind",
            version: "v0",
            url: "https://example.invalid/kind".into(),
            sha256,
        }
    }

    #[test]
    fn a_downloaded_tool_is_found_in_bin_and_a_missing_one_is_named() {
        let bin = tempfile::tempdir().expect("bin");
        let (present, absent) = ("kubedrill-test-present-tool", "kubedrill-test-absent-tool");
        std::fs::write(bin.path().join(present), b"#!/bin/sh\n").expect("tool");
        assert_eq!(missing(&[present, absent], bin.path()), vec![absent]);
        assert_eq!(program(present, bin.path()), bin.path().join(present).to_string_lossy());
        assert_eq!(
            program(absent, bin.path()),
            absent,
            "the bare name, so the error names it"
        );
        assert!(missing(&["sh"], bin.path()).is_empty(), "found on PATH");
    }

    #[test]
    fn only_a_matching_download_lands() {
        let dir = tempfile::tempdir().expect("dir");
        let dest = dir.path().join("bin/kind");
        let curl = FakeCurl {
            bytes: b"kubedrill\n",
            calls: RefCell::default(),
        };
        let actual = {
            let probe = dir.path().join("probe");
            std::fs::write(&probe, b"kubedrill\n").expect("write");
            sha256_of(&probe).expect("hash")
        };
        let error = fetch(&curl, &artifact("00"), &dest, true).expect_err("mismatch");
        assert!(
            matches!(&error, ClusterError::Checksum { actual: a, .. } if *a == actual),
            "{error}"
        );
        assert!(!dest.exists());
        let leftovers = std::fs::read_dir(dir.path().join("bin")).expect("dir").count();
        assert_eq!(leftovers, 0, "the partial download is removed");
        let pinned: &'static str = Box::leak(actual.into_boxed_str());
        fetch(&curl, &artifact(pinned), &dest, true).expect("verified");
        assert_eq!(std::fs::read(&dest).expect("read"), b"kubedrill\n");
        let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&dest).expect("meta").permissions());
        assert_eq!(mode & 0o111, 0o111);
        assert!(curl.calls.borrow()[0].starts_with("curl -fsSL --retry 3 -o "));
    }

    /// A `curl` that fails as an offline one does with `--retry 3`: the same line per attempt.
    struct OfflineCurl;

    impl Runner for OfflineCurl {
        fn run(&self, _: &str, _: &[&str]) -> Result<Output, ProcessError> {
            Ok(Output {
                code: Some(6),
                stdout: String::new(),
                stderr: "curl: (6) Could not resolve host: github.com\n".repeat(4),
            })
        }
    }

    #[test]
    fn a_failed_download_gives_curl_s_reason_once() {
        let dir = tempfile::tempdir().expect("dir");
        let error = fetch(&OfflineCurl, &artifact("00"), &dir.path().join("kind"), true).expect_err("offline");
        let ClusterError::Download { message, .. } = &error else {
            panic!("{error}");
        };
        assert_eq!(message, "curl: (6) Could not resolve host: github.com");
        assert_eq!(error.to_string().lines().count(), 1, "{error}");
    }

    #[test]
    fn pins_exist_for_common_platforms_and_not_for_others() {
        for (os, arch) in [
            ("linux", "amd64"),
            ("linux", "arm64"),
            ("darwin", "arm64"),
            ("darwin", "amd64"),
        ] {
            for artifact in [kind(os, arch).expect("kind"), kubectl(os, arch).expect("kubectl")] {
                assert_eq!(artifact.sha256.len(), 64);
                assert!(
                    artifact
                        .sha256
                        .chars()
                        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
                );
                assert!(artifact.url.contains(os) && artifact.url.contains(arch));
            }
        }
        assert!(matches!(kind("windows", "amd64"), Err(ClusterError::Unpinned { .. })));
        assert!(
            cni_plugins("amd64")
                .expect("amd64")
                .url
                .ends_with("cni-plugins-linux-amd64-v1.9.1.tgz")
        );
        let arm64 = cni_plugins("arm64").expect("arm64 is pinned (Apple Silicon)");
        assert!(
            arm64.url.ends_with("cni-plugins-linux-arm64-v1.9.1.tgz"),
            "{}",
            arm64.url
        );
        assert_eq!(arm64.sha256.len(), 64);
        assert!(cni_plugins("riscv64").is_err());
    }
}
