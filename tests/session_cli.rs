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
        .stdout(contains("hints:   2 taken, -1 points"));
}

#[test]
fn time_up_with_no_cluster_to_grade_keeps_the_session_and_exits_3() {
    let home = tempfile::tempdir().expect("home");
    seed_session(home.path(), Mode::Practice);
    kubedrill(home.path(), START + 7 * 60)
        .arg("status")
        .assert()
        .code(3)
        .stderr(contains("error:").and(contains("hint:")));
    assert!(
        home.path().join("session/session.json").is_file(),
        "nothing lost: submit can be retried"
    );
    assert!(
        !home.path().join("session/session.lock").exists(),
        "the lock is released"
    );
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

#[test]
fn start_without_kind_fails_cleanly_and_leaves_no_session() {
    let home = tempfile::tempdir().expect("home");
    kubedrill(home.path(), START)
        .args(["start", "service-wrong-selector", "--seed", "1"])
        .assert()
        .code(3)
        .stderr(contains("error:").and(contains("hint:")).and(contains("kind")));
    assert!(!home.path().join("session/session.json").exists());
    assert!(!home.path().join("session/session.lock").exists());
}
