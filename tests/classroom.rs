//! Classroom grading: a roster of students graded in one batch (fixture snapshots, a fake
//! cluster implementation, and one genuinely unreachable cluster), the combined reports in
//! every format (JUnit parsed back, CSV and JSON snapshot-tested), per-student reports, and
//! the tamper check on an edited report.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use assert_cmd::Command;
use graders::state::Observation;
use kubedrill::classroom::{Batch, Observer, Observing, Row, Source, Student, parse_roster, summarize};
use kubedrill::scenario::Rendered;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

fn fixture(scenario: &str, state: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/snapshots/{scenario}/{state}.yaml"))
}

const UNREACHABLE: &str = "apiVersion: v1\nkind: Config\nclusters: [{name: a, cluster: {server: 'https://127.0.0.1:1'}}]\ncontexts: [{name: a, context: {cluster: a, user: u}}]\ncurrent-context: a\nusers: [{name: u, user: {token: t}}]\n";

/// A roster: alice (still broken), bob (fixed), and carol, whose cluster is unreachable.
fn roster(dir: &Path, with_carol: bool) -> PathBuf {
    std::fs::write(dir.join("carol.kubeconfig"), UNREACHABLE).expect("kubeconfig");
    let mut text = format!(
        "scenario: service-wrong-selector\nseed: 1\nstudents:\n  - name: alice\n    snapshot: {}\n  - name: bob\n    snapshot: {}\n",
        fixture("service-wrong-selector", "broken").display(),
        fixture("service-wrong-selector", "fixed").display()
    );
    if with_carol {
        text.push_str("  - name: carol\n    kubeconfig: carol.kubeconfig\n    namespacePrefix: carol\n");
    }
    let path = dir.join("roster.yaml");
    std::fs::write(&path, text).expect("roster");
    path
}

fn kubedrill(key: Option<&str>) -> Command {
    let mut cmd = Command::cargo_bin("kubedrill").expect("binary");
    cmd.env_remove("KUBEDRILL_SCENARIOS").env("NO_COLOR", "1");
    match key {
        Some(key) => cmd.env("KUBEDRILL_REPORT_KEY", key),
        None => cmd.env_remove("KUBEDRILL_REPORT_KEY"),
    };
    cmd
}

/// `grade --batch roster -o format`, no signing key.
fn run_batch(roster: &Path, format: &str) -> std::process::Output {
    kubedrill(None)
        .args(["grade", "--batch"])
        .arg(roster)
        .args(["-o", format])
        .output()
        .expect("runs")
}

fn run_json(roster: &Path, out: &Path) -> (i32, serde_json::Value) {
    run_json_in(Path::new(env!("CARGO_MANIFEST_DIR")), roster, out)
}

/// A signed batch in JSON with per-student reports in `out`, run from `cwd`.
fn run_json_in(cwd: &Path, roster: &Path, out: &Path) -> (i32, serde_json::Value) {
    let output = kubedrill(Some("classroom-secret"))
        .current_dir(cwd)
        .args(["grade", "--batch"])
        .arg(roster)
        .args(["-o", "json", "--report-dir"])
        .arg(out)
        .output()
        .expect("runs");
    let json = serde_json::from_slice(&output.stdout).expect("json on stdout");
    (output.status.code().expect("exit code"), json)
}

#[test]
fn one_unreachable_cluster_is_an_error_row_and_never_stops_the_batch() {
    let dir = tempfile::tempdir().expect("dir");
    let (code, json) = run_json(&roster(dir.path(), true), &dir.path().join("out"));
    assert_eq!(code, 3, "someone could not be graded");
    assert_eq!(
        json["summary"],
        serde_json::json!({"students": 3, "passed": 1, "failed": 1, "errors": 1})
    );
    let students = json["students"].as_array().expect("rows");
    let names: Vec<&str> = students.iter().map(|s| s["student"].as_str().expect("name")).collect();
    assert_eq!(names, ["alice", "bob", "carol"], "roster order");
    assert_eq!(students[0]["status"], "graded");
    assert_eq!(students[0]["report"]["score"]["passed"], false);
    assert_eq!(students[1]["report"]["score"]["passed"], true);
    assert_eq!(students[2]["status"], "error");
    assert!(students[2]["message"].as_str().is_some_and(|m| !m.is_empty()));
    for name in ["alice", "bob", "carol"] {
        assert!(dir.path().join(format!("out/{name}.json")).is_file());
        assert!(dir.path().join(format!("out/{name}.junit.xml")).is_file());
    }
}

#[test]
fn the_junit_report_parses_back_with_a_suite_per_student() {
    let dir = tempfile::tempdir().expect("dir");
    let output = run_batch(&roster(dir.path(), true), "junit");
    assert_eq!(output.status.code(), Some(3));
    let suites = junit_parser::from_reader(std::io::Cursor::new(output.stdout)).expect("valid JUnit");
    let names: Vec<&str> = suites.suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "alice: service-wrong-selector (seed 1)",
            "bob: service-wrong-selector (seed 1)",
            "carol: not graded"
        ]
    );
    assert!(suites.suites[0].failures > 0);
    assert_eq!((suites.suites[1].failures, suites.suites[1].errors), (0, 0));
    assert_eq!(suites.suites[2].errors, 1);
}

#[test]
fn csv_and_json_batch_reports_are_stable() {
    let dir = tempfile::tempdir().expect("dir");
    let roster = roster(dir.path(), false);
    let csv = run_batch(&roster, "csv");
    assert_eq!(csv.status.code(), Some(1), "alice is below the pass mark");
    insta::assert_snapshot!("batch_csv", String::from_utf8(csv.stdout).expect("utf8"));
    let (code, mut json) = run_json(&roster, &dir.path().join("out"));
    assert_eq!(code, 1);
    // Redact what changes with every release or scenario edit (the source names no machine path).
    json["kubedrill_version"] = "VERSION".into();
    for student in json["students"].as_array_mut().expect("rows") {
        student["report"]["kubedrill_version"] = "VERSION".into();
        student["report"]["integrity"] = "REDACTED".into();
    }
    insta::assert_snapshot!("batch_json", serde_json::to_string_pretty(&json).expect("json"));
}

#[test]
fn a_batch_csv_ends_every_line_in_crlf_and_gives_why_a_student_was_not_graded() {
    let dir = tempfile::tempdir().expect("dir");
    let output = run_batch(&roster(dir.path(), true), "csv");
    assert_eq!(output.status.code(), Some(3), "carol could not be graded");
    let csv = String::from_utf8(output.stdout).expect("utf8");
    assert!(
        csv.ends_with("\r\n") && !csv.replace("\r\n", "").contains('\n'),
        "{csv:?}"
    );
    let lines: Vec<&str> = csv.split_terminator("\r\n").collect();
    assert_eq!(lines.len(), 4, "a header and three students: {csv:?}");
    assert!(
        lines[1].starts_with("alice,service-wrong-selector,1,graded,"),
        "{csv:?}"
    );
    let carol = lines[3]
        .strip_prefix("carol,,,error,,,,false,")
        .expect("carol's error row");
    assert!(
        carol.contains("127.0.0.1:1") && carol.contains("unreachable"),
        "{carol}"
    );
}

#[test]
fn an_edited_report_fails_verification() {
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("out");
    run_json(&roster(dir.path(), false), &out);
    let alice = out.join("alice.json");
    kubedrill(Some("classroom-secret"))
        .args(["report", "verify"])
        .arg(&alice)
        .assert()
        .success()
        .stderr(contains("intact (signature verified)"));
    // Alice gives herself full marks and recomputes the digest; the signature gives it away.
    let mut report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&alice).expect("read")).expect("json");
    report["score"]["earned"] = report["score"]["possible"].clone();
    report["score"]["passed"] = true.into();
    std::fs::write(&alice, serde_json::to_string_pretty(&report).expect("json")).expect("edit");
    kubedrill(Some("classroom-secret"))
        .args(["report", "verify"])
        .arg(&alice)
        .assert()
        .code(1)
        .stderr(contains("edited after grading"));
    kubedrill(Some("another-key"))
        .args(["report", "verify"])
        .arg(out.join("bob.json"))
        .assert()
        .code(1)
        .stderr(contains("signature does not match"));
    kubedrill(None)
        .args(["report", "verify"])
        .arg(out.join("bob.json"))
        .assert()
        .success()
        .stderr(contains("KUBEDRILL_REPORT_KEY is not set").and(contains("digest only")));
}

/// The reports students get name their snapshot by file name, not by the grader's paths, and
/// still verify.
#[test]
fn per_student_reports_name_no_path_of_the_grading_machine() {
    let dir = tempfile::tempdir().expect("dir");
    let root = dir.path().canonicalize().expect("canonical");
    let out = root.join("out");
    // Run from the roster's folder: the fixtures lie outside it.
    let (code, json) = run_json_in(&root, &roster(&root, false), &out);
    assert_eq!(code, 1);
    let sources: Vec<&str> = json["students"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|s| s["report"]["source"].as_str().expect("source"))
        .collect();
    assert_eq!(sources, ["snapshot:broken.yaml", "snapshot:fixed.yaml"]);
    for file in ["alice.json", "alice.junit.xml", "bob.json", "bob.junit.xml"] {
        let text = std::fs::read_to_string(out.join(file)).expect("written");
        for path in [env!("CARGO_MANIFEST_DIR"), &root.display().to_string()] {
            assert!(!text.contains(path), "{file} names `{path}`: {text}");
        }
    }
    kubedrill(Some("classroom-secret"))
        .args(["report", "verify"])
        .arg(out.join("alice.json"))
        .arg(out.join("bob.json"))
        .assert()
        .success()
        .stderr(contains("intact (signature verified)"));
}

#[test]
fn roster_mistakes_are_named_with_exit_2() {
    let dir = tempfile::tempdir().expect("dir");
    let cases = [
        (
            "scenario: s\nseed: 1\nstudents:\n  - {name: a, snapshot: x}\n  - {name: a, snapshot: y}\n",
            "used twice",
        ),
        ("scenario: s\nstudents:\n  - {name: a, snapshot: x}\n", "no `seed`"),
        (
            "scenario: s\nseed: 1\nstudents:\n  - {name: a, snapshot: x, kubeconfig: k}\n",
            "exactly one of",
        ),
        (
            "scenario: s\nseed: 1\nstudents:\n  - {name: ../evil, snapshot: x}\n",
            "letters, digits",
        ),
        ("scenario: s\nseed: 1\nstudents: []\n", "is empty"),
        (
            "scenario: s\nseed: 1\nstudents:\n  - {name: a, snapshot: x, colour: red}\n",
            "colour",
        ),
    ];
    for (text, message) in cases {
        let path = dir.path().join("roster.yaml");
        std::fs::write(&path, text).expect("roster");
        kubedrill(None)
            .args(["grade", "--batch"])
            .arg(&path)
            .assert()
            .code(2)
            .stderr(contains("roster.yaml").and(contains(message)).and(contains("hint:")));
    }
}

/// A fake cluster per student: the fixture snapshot for `alice-*`/`bob-*`, unreachable for
/// anyone else; counts how many are observed at once.
struct FakeClusters {
    in_flight: AtomicUsize,
    most: AtomicUsize,
}

impl Observer for FakeClusters {
    fn observe<'a>(&'a self, student: &'a Student, rendered: &'a Rendered) -> Observing<'a> {
        Box::pin(async move {
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            let state = if student.name.starts_with("bob") {
                "fixed"
            } else {
                "broken"
            };
            if !student.name.starts_with("alice") && !student.name.starts_with("bob") {
                return Err(kubedrill::error::Error::Io {
                    path: "fake".into(),
                    message: "connection refused".into(),
                });
            }
            let text = std::fs::read_to_string(fixture("service-wrong-selector", state)).expect("fixture");
            let snapshot = kubedrill::snapshot::parse(&text).expect("parses");
            kubedrill::practice::lab::with_setup_baseline(snapshot.observation, rendered).map(|o: Observation| o)
        })
    }
}

#[tokio::test(start_paused = true)]
async fn the_pool_is_bounded_and_rows_keep_roster_order() {
    let students: Vec<Student> = ["alice-1", "bob-1", "dave", "alice-2", "bob-2", "erin"]
        .iter()
        .map(|name| Student {
            name: (*name).to_owned(),
            scenario: "service-wrong-selector".to_owned(),
            seed: 1,
            source: Source::Snapshot("unused".into()),
            namespace_prefix: None,
            allow_foreign_cluster: false,
        })
        .collect();
    let fake = FakeClusters {
        in_flight: AtomicUsize::new(0),
        most: AtomicUsize::new(0),
    };
    let batch = Batch {
        pass_mark: 66.0,
        jobs: 2,
        per_student: Duration::from_secs(60),
        scenarios_dir: None,
        key: None,
    };
    let rows = batch.run(&students, &fake).await;
    assert_eq!(fake.most.load(Ordering::SeqCst), 2, "two at a time, never more");
    let order: Vec<&str> = rows.iter().map(Row::student).collect();
    assert_eq!(order, ["alice-1", "bob-1", "dave", "alice-2", "bob-2", "erin"]);
    let summary = summarize(&rows);
    assert_eq!((summary.passed, summary.failed, summary.errors), (2, 2, 2));
}

#[test]
fn roster_paths_resolve_against_the_roster_folder() {
    let students = parse_roster(
        "scenario: s\nseed: 4\nallowForeignCluster: true\nstudents:\n  - {name: a, kubeconfig: kc/a.yaml, context: ctx, seed: 9, namespacePrefix: a}\n",
        Path::new("/class/roster.yaml"),
    )
    .expect("parses");
    assert_eq!(
        students[0].source,
        Source::Cluster {
            kubeconfig: PathBuf::from("/class/kc/a.yaml"),
            context: Some("ctx".into())
        }
    );
    assert_eq!((students[0].seed, students[0].allow_foreign_cluster), (9, true));
}

/// A roster with the wrong seed makes an error row naming the seed the state belongs to, never
/// a failing student.
#[test]
fn a_roster_seed_that_is_not_the_students_is_an_error_row_naming_the_right_seed() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("roster.yaml");
    let text = format!(
        "scenario: service-wrong-selector\nseed: 2\nstudents:\n  - name: alice\n    snapshot: {}\n",
        fixture("service-wrong-selector", "fixed").display()
    );
    std::fs::write(&path, text).expect("roster");
    let (code, json) = run_json(&path, &dir.path().join("out"));
    assert_eq!(code, 3, "a student that could not be graded: {json:#}");
    let row = &json["students"][0];
    assert_eq!(row["status"], "error", "{row:#}");
    let message = row["message"].as_str().expect("message");
    assert!(
        message.contains("seed 2") && message.contains("none of its namespaces"),
        "{message}"
    );
    let hints = row["hints"].to_string();
    assert!(hints.contains("--seed 1"), "{hints}");
}
