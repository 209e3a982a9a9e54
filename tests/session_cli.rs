//! The session commands through the binary, with kubedrill's data folder in a temp dir and
//! time set by `KUBEDRILL_NOW`. A session is written as `kubedrill start` would leave it
//! (starting one needs Docker); commands that must reach a cluster find none and say so,
//! losing nothing.

use std::path::Path;

use assert_cmd::Command;
use kubedrill::practice::clock::Timestamp;
use kubedrill::practice::session::{Access, Mode, SESSION_VERSION, Session, Task};
use kubedrill::practice::store::Store;
use kubedrill::practice::timer::Countdown;
use kubedrill::scenario::model::{Domain, Profile};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

/// The session starts at this unix second.
const START: i64 = 1_800_000_000;

fn kubedrill(home: &Path, now: i64) -> Command {
    let mut cmd = Command::cargo_bin("kubedrill").expect("binary builds");
    cmd.env_remove("KUBEDRILL_SCENARIOS")
        .env("KUBEDRILL_HOME", home)
        .env("KUBEDRILL_NOW", now.to_string())
        .env("NO_COLOR", "1")
        .env("PATH", "/nonexistent");
    cmd
}

fn seed_session(home: &Path, mode: Mode) -> Session {
    let session = Session {
        version: SESSION_VERSION,
        id: format!("{START}000-test"),
        mode,
        countdown: Countdown {
            started: Timestamp(START * 1000),
            limit_ms: 6 * 60_000,
        },
        scenarios_dir: None,
        tasks: vec![Task {
            scenario: "service-wrong-selector".into(),
            reference: "service-wrong-selector".into(),
            title: "Service selects no pods".into(),
            domain: Domain::ServicesNetworking,
            weight: 1,
            seed: 4,
            access: Access {
                profile: Profile::Kindnet,
                kubeconfig: home.join("clusters/kubedrill-kindnet/kubeconfig"),
                context: Some("kind-kubedrill-kindnet".into()),
                given: false,
                allow_foreign: false,
                agnhost_loaded: false,
            },
            flagged: false,
            hints: Vec::new(),
        }],
        current: 0,
        checks_run: 0,
    };
    Store::new(home.join("session")).save(&session).expect("session");
    session
}

#[test]
fn without_a_session_status_says_so_and_the_others_explain_how_to_start() {
    let home = tempfile::tempdir().expect("home");
    kubedrill(home.path(), START)
        .arg("status")
        .assert()
        .success()
        .stdout(contains("no active session"));
    kubedrill(home.path(), START)
        .args(["status", "-o", "json"])
        .assert()
        .success()
        .stdout(contains("\"active\": false"));
    for command in ["check", "hint", "submit", "abandon"] {
        kubedrill(home.path(), START).arg(command).assert().code(2).stderr(
            contains("error: no practice session is active").and(contains("hint: start one with `kubedrill start")),
        );
    }
    kubedrill(home.path(), START)
        .arg("history")
        .assert()
        .success()
        .stdout(contains("no attempts yet"));
    kubedrill(home.path(), START)
        .arg("stats")
        .assert()
        .success()
        .stdout(contains("no attempts yet"));
}

#[test]
fn status_and_hints_follow_the_clock_from_any_terminal() {
    let home = tempfile::tempdir().expect("home");
    seed_session(home.path(), Mode::Practice);
    kubedrill(home.path(), START + 60)
        .arg("status")
        .assert()
        .success()
        .stdout(
            contains("5:00 left of 6:00")
                .and(contains("service-wrong-selector"))
                .and(contains("export KUBECONFIG=")),
        );
    // At 1 minute the first hint (free after 2 minutes) is locked.
    kubedrill(home.path(), START + 60)
        .arg("hint")
        .assert()
        .success()
        .stderr(contains(
            "the next hint unlocks in 1:00; `kubedrill hint --now` takes it now (free)",
        ));
    // At 3 minutes it is unlocked; the second (after 4m, penalty 1) is taken early.
    kubedrill(home.path(), START + 180)
        .arg("hint")
        .assert()
        .success()
        .stdout(contains("Hint 1").and(contains("endpointslices")));
    kubedrill(home.path(), START + 190)
        .args(["hint", "--now"])
        .assert()
        .success()
        .stdout(contains("Hint 2 (-1 point)"))
        .stderr(contains("no more hints"));
    kubedrill(home.path(), START + 200)
        .arg("status")
        .assert()
        .success()
        .stdout(contains("hints:   2 taken, -1 point\n"));
}

/// The keys of `status -o json`, documented in the README; a change here is a schema change.
const STATUS_KEYS: [&str; 14] = [
    "schemaVersion",
    "active",
    "kind",
    "scenarios",
    "startedAt",
    "deadline",
    "timeLimitSeconds",
    "timeLeftSeconds",
    "timeUp",
    "hintsTaken",
    "hintPenalty",
    "checksRun",
    "kubeconfig",
    "graded",
];

fn status_json(home: &Path, now: i64) -> serde_json::Value {
    let output = kubedrill(home, now)
        .args(["status", "-o", "json"])
        .output()
        .expect("runs");
    serde_json::from_slice(&output.stdout).expect("status -o json prints JSON")
}

/// The document's keys, sorted (the comparison does not depend on the JSON map's order).
fn keys(value: &serde_json::Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value.as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

fn documented_keys() -> Vec<&'static str> {
    let mut keys = STATUS_KEYS.to_vec();
    keys.sort_unstable();
    keys
}

#[test]
fn status_json_has_the_documented_keys_idle_running_and_past_the_deadline() {
    let home = tempfile::tempdir().expect("home");
    let idle = status_json(home.path(), START);
    assert_eq!(keys(&idle), documented_keys());
    assert_eq!((&idle["schemaVersion"], &idle["active"]), (&1.into(), &false.into()));
    seed_session(home.path(), Mode::Practice);
    let running = status_json(home.path(), START + 61);
    assert_eq!(keys(&running), documented_keys());
    assert_eq!(running["active"], true);
    assert_eq!(running["kind"], "practice");
    assert_eq!(running["startedAt"], "2027-01-15T08:00:00Z");
    assert_eq!(running["deadline"], "2027-01-15T08:06:00Z");
    assert_eq!(running["timeLimitSeconds"], 360);
    assert_eq!(running["timeLeftSeconds"], 299);
    assert_eq!(running["timeUp"], false);
    assert_eq!(running["scenarios"][0]["id"], "service-wrong-selector");
    assert_eq!(running["scenarios"][0]["seed"], 4);
    let text = running.to_string();
    assert!(
        !text.contains("limit_ms") && !text.contains("countdown"),
        "no internal fields: {text}"
    );
    let late = status_json(home.path(), START + 7 * 60);
    assert_eq!(keys(&late), documented_keys());
    assert_eq!(
        (&late["active"], &late["timeUp"]),
        (&true.into(), &true.into()),
        "not graded: no cluster"
    );
    assert_eq!(late["timeLeftSeconds"], 0);
}

/// Time ran out and there is no cluster to grade on: every session command says so first,
/// then what to do, then why it could not grade — without kube's doubled quotes or a hint
/// about `--kubeconfig`, which nobody passed. Nothing is lost.
#[test]
fn time_up_with_no_cluster_to_grade_says_so_first_keeps_the_session_and_exits_3() {
    let home = tempfile::tempdir().expect("home");
    seed_session(home.path(), Mode::Practice);
    for command in [
        &["status"][..],
        &["status", "-o", "json"],
        &["hint"],
        &["check"],
        &["submit"],
    ] {
        let output = kubedrill(home.path(), START + 7 * 60)
            .args(command)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(3), "{command:?}");
        let stderr = String::from_utf8(output.stderr).expect("utf-8");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(
            lines[0], "warning: time is up: the 6:00 ran out 1:00 ago",
            "{command:?}: {stderr}"
        );
        assert!(
            lines[1].starts_with("hint:")
                && lines[1].contains("`kubedrill submit`")
                && lines[1].contains("`kubedrill abandon`"),
            "{command:?}: {stderr}"
        );
        assert!(
            lines[2].starts_with("error: no cluster `kubedrill-kindnet`"),
            "{command:?}: {stderr}"
        );
        assert!(
            !stderr.contains("--kubeconfig") && !stderr.contains("'\""),
            "{command:?}: {stderr}"
        );
    }
    assert!(
        home.path().join("session/session.json").is_file(),
        "nothing lost: submit can be retried"
    );
    assert!(
        !home.path().join("session/session.lock").exists(),
        "the lock is released"
    );
    kubedrill(home.path(), START + 8 * 60)
        .arg("abandon")
        .assert()
        .success()
        .stderr(contains("warning: time is up: the 6:00 ran out 2:00 ago").and(contains("abandoned")));
}

#[test]
fn exam_rules_checking_and_hints_are_refused_and_navigation_works() {
    let home = tempfile::tempdir().expect("home");
    seed_session(home.path(), Mode::Exam);
    for command in ["check", "hint"] {
        kubedrill(home.path(), START + 60)
            .arg(command)
            .assert()
            .code(2)
            .stderr(contains("is not available during an exam"));
    }
    kubedrill(home.path(), START + 60)
        .args(["exam", "task", "1"])
        .assert()
        .success()
        .stdout(contains("Task 1 of 1").and(contains("seed 4")));
    kubedrill(home.path(), START + 60)
        .args(["exam", "flag", "1"])
        .assert()
        .success()
        .stderr(contains("flagged"));
    kubedrill(home.path(), START + 60)
        .arg("status")
        .assert()
        .success()
        .stdout(contains("review"));
    kubedrill(home.path(), START + 60)
        .args(["exam", "task", "3"])
        .assert()
        .code(2)
        .stderr(contains("there is no task 3 (the exam has 1)"));
}

#[test]
fn abandon_records_the_attempt_and_solutions_stay_locked_until_graded() {
    let home = tempfile::tempdir().expect("home");
    kubedrill(home.path(), START)
        .args(["solution", "service-wrong-selector"])
        .assert()
        .code(2)
        .stderr(contains("shown after an attempt has been graded").and(contains("--force")));
    kubedrill(home.path(), START)
        .args(["solution", "service-wrong-selector", "--force"])
        .assert()
        .success()
        .stdout(contains("Reference solution").and(contains("patch")));
    seed_session(home.path(), Mode::Practice);
    kubedrill(home.path(), START + 120)
        .arg("abandon")
        .assert()
        .success()
        .stderr(contains("abandoned"));
    kubedrill(home.path(), START + 130)
        .arg("history")
        .assert()
        .success()
        .stdout(
            contains("service-wrong-selector")
                .and(contains("abandoned"))
                .and(contains("2027-01-15 08:02")),
        );
    kubedrill(home.path(), START + 130)
        .args(["solution", "service-wrong-selector"])
        .assert()
        .code(2);
}

#[test]
fn a_corrupted_session_file_is_named_and_set_aside_only_with_force() {
    let home = tempfile::tempdir().expect("home");
    std::fs::create_dir_all(home.path().join("session")).expect("dir");
    std::fs::write(home.path().join("session/session.json"), "{ not json").expect("corrupt");
    kubedrill(home.path(), START).arg("status").assert().code(3).stderr(
        contains("session.json")
            .and(contains("corrupted"))
            .and(contains("abandon --force")),
    );
    kubedrill(home.path(), START).arg("abandon").assert().code(3);
    kubedrill(home.path(), START)
        .args(["abandon", "--force"])
        .assert()
        .success()
        .stderr(contains("set aside"));
    kubedrill(home.path(), START)
        .arg("status")
        .assert()
        .success()
        .stdout(contains("no active session"));
}

/// Docker is checked first: without it no kind cluster can run, so kind is not even offered.
#[test]
fn start_without_docker_fails_cleanly_and_leaves_no_session() {
    let home = tempfile::tempdir().expect("home");
    kubedrill(home.path(), START)
        .args(["start", "service-wrong-selector", "--seed", "1"])
        .assert()
        .code(3)
        .stderr(
            contains("error: `docker` was not found on PATH")
                .and(contains("hint: install Docker"))
                .and(contains("kind").not()),
        );
    assert!(!home.path().join("session/session.json").exists());
    assert!(!home.path().join("session/session.lock").exists());
}
