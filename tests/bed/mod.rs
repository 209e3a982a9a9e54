//! The test bed started by `tests/testbed/up.sh` (kwok nodes, or `--nodes real`), shared by the
//! suites that run against it (`testbed.rs`, `localnode.rs`): where it is, and kubedrill and
//! kubectl pointed at it. Only reads the variables `env.sh` exports and runs commands.

#![allow(dead_code, reason = "each suite uses part of it")]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

/// The test bed the scripts started (read from the variables `env.sh` exports).
pub struct Bed {
    pub kubeconfig: PathBuf,
    pub audit: PathBuf,
    pub bin: PathBuf,
}

pub fn bed() -> Bed {
    let var = |name: &str| -> PathBuf {
        std::env::var_os(name).map_or_else(
            || panic!("{name} is not set: these tests need the real control-plane test bed; run `just testbed-test` (tests/testbed/test.sh)"),
            PathBuf::from,
        )
    };
    let bed = Bed {
        kubeconfig: var("KUBEDRILL_TESTBED_KUBECONFIG"),
        audit: var("KUBEDRILL_TESTBED_AUDIT"),
        bin: var("KUBEDRILL_TESTBED_BIN"),
    };
    assert!(
        bed.kubeconfig.is_file(),
        "no test bed kubeconfig at {}",
        bed.kubeconfig.display()
    );
    bed
}

impl Bed {
    /// kubedrill with its own data folder, no colour, and this cluster's kubeconfig.
    #[allow(clippy::unused_self, reason = "every command of the suite goes through the bed")]
    pub fn kubedrill(&self, home: &Path, args: &[&str]) -> Output {
        Command::cargo_bin("kubedrill")
            .expect("binary")
            .env("KUBEDRILL_HOME", home)
            .env("NO_COLOR", "1")
            .env_remove("KUBEDRILL_SCENARIOS")
            .env_remove("KUBEDRILL_KUBECONFIG")
            .args(args)
            .output()
            .expect("kubedrill runs")
    }

    /// `kubedrill ARGS --kubeconfig <bed> --probes predict`.
    pub fn on_bed(&self, home: &Path, args: &[&str]) -> Output {
        let kubeconfig = self.kubeconfig.display().to_string();
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--kubeconfig", &kubeconfig, "--probes", "predict"]);
        self.kubedrill(home, &all)
    }

    /// `kubedrill cluster reset --kubeconfig <bed>`, which must succeed.
    pub fn reset(&self, home: &Path) {
        let kubeconfig = self.kubeconfig.display().to_string();
        let out = self.kubedrill(home, &["cluster", "reset", "--kubeconfig", &kubeconfig]);
        assert_eq!(code(&out), 0, "{}", describe(&out));
    }

    /// The test bed's own kubectl (v1.36.3, built with it), as the admin.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        std::process::Command::new(self.bin.join("kubectl"))
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(args)
            .output()
            .expect("kubectl runs")
    }

    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(out.status.success(), "kubectl {args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    }

    pub fn kubectl_json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        serde_json::from_str(&self.kubectl_ok(&all)).expect("kubectl json")
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

pub fn describe(out: &Output) -> String {
    format!(
        "exit {}\nstdout:\n{}\nstderr:\n{}",
        code(out),
        text(&out.stdout),
        text(&out.stderr)
    )
}

/// Every scenario of the built-in catalogue, by id.
pub fn catalogue() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut ids: Vec<String> = std::fs::read_dir(dir)
        .expect("scenarios")
        .flatten()
        .filter(|e| e.path().join("scenario.yaml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    ids.sort();
    ids
}
