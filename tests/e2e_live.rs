//! End-to-end tests of the live-cluster path on real kind clusters, driving the kubedrill
//! binary: `cluster up`, `cluster setup` (apply, break, verify broken), `grade` (must fail),
//! the reference solution (through the library's step runner), `grade` (must pass), `cluster
//! reset`. Ignored by default (no Docker in this project's own CI); `just e2e` runs them and
//! `.github/workflows/e2e.yml` runs them on a hosted runner. A skipped test is never a pass.
//!
//! They use kubedrill's own clusters (`kubedrill-<profile>`) in `KUBEDRILL_HOME` (default:
//! the user's data folder), never the current kube context.

use assert_cmd::Command;
use kubedrill::catalogue::Catalogue;
use kubedrill::cluster::live::Live;
use kubedrill::cluster::paths::DataDir;
use kubedrill::cluster::steps::StepContext;
use kubedrill::scenario::model::Profile;

const SEED: u64 = 1;

fn kubedrill(args: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("kubedrill")
        .expect("binary")
        .args(args)
        .timeout(std::time::Duration::from_secs(900))
        .assert()
}

fn apply_solution(profile: Profile, id: &str) {
    let catalogue = Catalogue::load(None).expect("catalogue");
    let entry = catalogue
        .entries
        .iter()
        .find(|e| e.scenario.id() == id)
        .expect("scenario");
    let rendered = entry.scenario.render(SEED).expect("renders");
    let data = DataDir::from_env();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let name = format!("kubedrill-{profile}");
        let live = Live::open(&data.kubeconfig(profile), None, Some(&name), false)
            .await
            .expect("connects");
        assert!(live.guard.is_owned(), "kubedrill's own cluster");
        let context = StepContext {
            rendered: &rendered,
            scenario: rendered.scenario_id(),
            nodes: None,
            saved: None,
        };
        live.run_steps(&rendered.solution, &context)
            .await
            .expect("solution applies");
    });
}

fn start_to_grade(profile: Profile) {
    let profile_arg = profile.to_string();
    kubedrill(&["cluster", "up", "--profile", &profile_arg, "-v"]).success();
    let catalogue = Catalogue::load(None).expect("catalogue");
    let ids: Vec<String> = catalogue
        .entries
        .iter()
        .filter(|e| e.scenario.file.cluster.profile == profile)
        .map(|e| e.scenario.id().to_owned())
        .collect();
    assert!(!ids.is_empty(), "no scenario for {profile}");
    for id in ids {
        let seed = SEED.to_string();
        kubedrill(&["cluster", "setup", &id, "--seed", &seed, "-v"]).success();
        kubedrill(&["grade", "--scenario", &id, "--seed", &seed]).code(1);
        apply_solution(profile, &id);
        kubedrill(&["grade", "--scenario", &id, "--seed", &seed]).success();
        kubedrill(&["cluster", "reset", "--profile", &profile_arg, "-v"]).success();
    }
}

#[test]
#[ignore = "needs docker and kind"]
fn scenario_verify_passes_every_kindnet_scenario() {
    verify_profile(Profile::Kindnet);
}

#[test]
#[ignore = "needs docker and kind"]
fn scenario_verify_passes_every_flannel_scenario() {
    verify_profile(Profile::Flannel);
}

#[test]
#[ignore = "needs docker and kind"]
fn scenario_verify_passes_every_calico_scenario() {
    verify_profile(Profile::Calico);
}

/// The part of `ids` that shard `i/n` (`KUBEDRILL_E2E_SHARD`, 1-based) verifies: every n-th
/// from the i-th, so CI can split one profile's scenarios across jobs. Unset or empty: all.
fn shard<'a>(ids: &[&'a str], spec: Option<&str>) -> Vec<&'a str> {
    let Some(spec) = spec.filter(|s| !s.is_empty()) else {
        return ids.to_vec();
    };
    let parsed = spec
        .split_once('/')
        .and_then(|(i, n)| Some((i.parse::<usize>().ok()?, n.parse::<usize>().ok()?)))
        .filter(|(i, n)| (1..=*n).contains(i));
    let Some((i, n)) = parsed else {
        panic!("KUBEDRILL_E2E_SHARD={spec}: expected i/n with 1 <= i <= n, e.g. 1/2");
    };
    ids.iter().skip(i - 1).step_by(n).copied().collect()
}

#[test]
fn shards_split_the_scenarios_without_overlap_or_gaps() {
    let ids = ["a", "b", "c", "d", "e"];
    assert_eq!(shard(&ids, None), ids);
    assert_eq!(shard(&ids, Some("")), ids);
    let (first, second) = (shard(&ids, Some("1/2")), shard(&ids, Some("2/2")));
    assert_eq!(first, ["a", "c", "e"]);
    assert_eq!(second, ["b", "d"]);
    for bad in ["0/2", "3/2", "x", "1/0"] {
        assert!(std::panic::catch_unwind(|| shard(&ids, Some(bad))).is_err(), "{bad}");
    }
}

/// `scenario verify` for every scenario of `profile`: broken fails, the solution gets full
/// marks, every shortcut (each from a fresh broken state) scores below full.
fn verify_profile(profile: Profile) {
    let profile_arg = profile.to_string();
    kubedrill(&["cluster", "up", "--profile", &profile_arg]).success();
    let catalogue = Catalogue::load(None).expect("catalogue");
    let ids: Vec<&str> = catalogue
        .entries
        .iter()
        .filter(|e| e.scenario.file.cluster.profile == profile)
        .map(|e| e.scenario.id())
        .collect();
    assert!(!ids.is_empty(), "no scenario for {profile}");
    for id in shard(&ids, std::env::var("KUBEDRILL_E2E_SHARD").ok().as_deref()) {
        kubedrill(&["scenario", "verify", id, "--seed", "2"]).success();
    }
}

#[test]
#[ignore = "needs docker and kind"]
fn practice_session_start_check_fix_submit_and_history() {
    let id = "service-wrong-selector";
    let seed = SEED.to_string();
    kubedrill(&["start", id, "--seed", &seed, "--detach", "-v"]).success();
    kubedrill(&["status"]).success();
    kubedrill(&["check"]).success();
    apply_solution(Profile::Kindnet, id);
    kubedrill(&["submit"]).success();
    let history = Command::cargo_bin("kubedrill")
        .expect("binary")
        .args(["history", "-o", "json"])
        .output()
        .expect("history");
    let attempts: serde_json::Value = serde_json::from_slice(&history.stdout).expect("json");
    assert_eq!(attempts[0]["scenario"], id);
    assert_eq!(attempts[0]["score"]["passed"], true);
    kubedrill(&["solution", id]).success();
}

#[test]
#[ignore = "needs docker and kind"]
fn kindnet_scenarios_start_break_grade_fix_and_reset() {
    start_to_grade(Profile::Kindnet);
}

#[test]
#[ignore = "needs docker and kind"]
fn flannel_profile_comes_up_healthy_with_the_bridge_plugin() {
    kubedrill(&["cluster", "up", "--profile", "flannel", "-v"]).success();
    kubedrill(&["cluster", "status", "--profile", "flannel"]).success();
}

#[test]
#[ignore = "needs docker and kind"]
fn calico_profile_comes_up_healthy_and_enforces_policy() {
    // `up` ends with the canary: pod-to-pod to every node, then a deny-all must block.
    kubedrill(&["cluster", "up", "--profile", "calico", "-v"]).success();
    kubedrill(&["cluster", "status", "--profile", "calico"]).success();
    kubedrill(&["cluster", "down", "--profile", "calico"]).success();
}

#[test]
#[ignore = "needs docker and kind"]
fn a_foreign_context_is_refused_without_opt_in() {
    // kind's own cluster (not created by kubedrill): setup must refuse before any write.
    let dir = tempfile::tempdir().expect("dir");
    let kubeconfig = dir.path().join("kubeconfig");
    let created = std::process::Command::new("kind")
        .args(["create", "cluster", "--name", "kubedrill-e2e-foreign", "--kubeconfig"])
        .arg(&kubeconfig)
        .status()
        .expect("kind runs");
    assert!(created.success());
    let path = kubeconfig.to_string_lossy().into_owned();
    kubedrill(&["cluster", "setup", "service-wrong-selector", "--kubeconfig", &path])
        .code(2)
        .stderr(predicates::str::contains("was not created by kubedrill"));
    let _ = std::process::Command::new("kind")
        .args(["delete", "cluster", "--name", "kubedrill-e2e-foreign"])
        .status();
}
