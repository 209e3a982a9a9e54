//! Every `kubedrill explain` command a grade report suggests runs exactly as printed and gives
//! the answer of the check it was suggested for: each fixture snapshot is graded by the binary
//! (text and JSON), as recorded and with its probes removed (so every probe check is predicted),
//! from a folder whose name needs shell quoting; each suggested command is split with shell
//! rules and run.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use graders::CheckSpec;
use graders::dns::DnsExpectation;
use graders::reachability::Form;
use graders::target::Expectation;
use kubedrill::catalogue::Catalogue;

/// Scenarios only the report tests use (`long-report`), beside the built-in catalogue.
fn extra_scenarios() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report-scenarios")
}

fn fixtures() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/snapshots");
    let mut found = Vec::new();
    for scenario in std::fs::read_dir(&root).expect("fixtures") {
        let scenario = scenario.expect("entry").path();
        let id = scenario.file_name().expect("name").to_string_lossy().into_owned();
        for state in std::fs::read_dir(&scenario).expect("states") {
            found.push((id.clone(), state.expect("entry").path()));
        }
    }
    found.sort();
    found
}

/// The snapshot without its top-level `probes:` block.
fn without_probes(text: &str) -> String {
    let mut inside = false;
    let mut kept = String::new();
    for line in text.lines() {
        if line.starts_with(|c: char| c.is_ascii_lowercase()) {
            inside = line.starts_with("probes:");
        }
        if !inside {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    kept
}

fn grade(scenario: &str, snapshot: &Path, json: bool) -> Vec<u8> {
    let mut cmd = Command::cargo_bin("kubedrill").expect("binary");
    cmd.arg("--scenarios")
        .arg(extra_scenarios())
        .args(["--color", "never", "grade", "--scenario", scenario, "--snapshot"])
        .arg(snapshot);
    if json {
        cmd.args(["-o", "json"]);
    }
    let output = cmd.output().expect("runs");
    assert_ne!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// What `explain` must answer for a check's verdict: allowed (resolves) or blocked.
fn wanted(spec: &CheckSpec, passed: bool) -> bool {
    match spec {
        CheckSpec::Connectivity(p) => passed == (p.expect == Expectation::Allowed),
        CheckSpec::Http(_) => passed,
        CheckSpec::Dns(p) => passed == (p.expect == DnsExpectation::Resolves),
        CheckSpec::Reachability(p) => match p.form() {
            Some(Form::Flow { expect, .. }) => passed == (expect == Expectation::Allowed),
            other => panic!("no explain flow for {other:?}"),
        },
        other => panic!("no explain flow for {other:?}"),
    }
}

/// Run a printed command: split as `sh` would, `kubedrill` found on `PATH` as the built binary.
fn run(printed: &str) -> (Vec<String>, std::process::Output) {
    let words = shlex::split(printed).expect("the command splits with shell rules");
    assert_eq!(words[0], "kubedrill", "{printed}");
    let binary = assert_cmd::cargo::cargo_bin("kubedrill");
    let dir = binary.parent().expect("binary folder").to_path_buf();
    let inherited = std::env::var_os("PATH").unwrap_or_default();
    let path = std::env::join_paths(std::iter::once(dir).chain(std::env::split_paths(&inherited))).expect("PATH");
    let output = std::process::Command::new(&words[0])
        .args(&words[1..])
        .env("PATH", path)
        .output()
        .expect("runs");
    (words, output)
}

/// What grading one snapshot suggested: how many commands ran, and their forms.
#[derive(Default)]
struct Tally {
    ran: usize,
    forms: BTreeSet<String>,
}

/// Grade `snapshot` as JSON, run every suggested command and check its answer against the
/// check's verdict; then the text report must suggest nothing the JSON does not.
fn check_suggestions(scenario: &str, snapshot: &Path, checks: &BTreeMap<String, CheckSpec>) -> Tally {
    let json: serde_json::Value = serde_json::from_slice(&grade(scenario, snapshot, true)).expect("json");
    let mut tally = Tally::default();
    let mut suggested = BTreeSet::new();
    for check in json["score"]["checks"].as_array().expect("checks") {
        let evidence = &check["verdict"]["evidence"];
        let command = evidence["command"].as_str().unwrap_or_default();
        assert!(!command.contains('<'), "a placeholder in `{command}`");
        if evidence["explain"].is_null() {
            assert!(!command.starts_with("kubedrill explain"), "{command}");
            continue;
        }
        let id = check["id"].as_str().expect("id");
        let allowed = wanted(&checks[id], check["verdict"]["status"] == "pass");
        let (words, output) = run(command);
        assert_eq!(
            output.status.code(),
            Some(i32::from(!allowed)),
            "{scenario} {}: check `{id}` ({}) suggests `{command}`: {}",
            snapshot.display(),
            check["verdict"]["status"],
            String::from_utf8_lossy(&output.stderr)
        );
        let path = snapshot.to_string_lossy();
        assert!(
            words.windows(2).any(|w| w[0] == "--snapshot" && w[1] == path),
            "`{command}` names the graded snapshot"
        );
        tally.forms.extend(shape(&evidence["explain"]));
        suggested.insert(command.to_owned());
        tally.ran += 1;
    }
    if !suggested.is_empty() {
        let text = String::from_utf8(grade(scenario, snapshot, false)).expect("utf-8");
        for line in text.lines().filter_map(|l| l.trim().strip_prefix("$ kubedrill ")) {
            let command = format!("kubedrill {line}");
            assert!(suggested.contains(&command), "text suggests `{command}`, JSON does not");
        }
    }
    tally
}

#[test]
fn every_suggested_explain_command_runs_as_printed_and_agrees_with_its_check() {
    let catalogue = Catalogue::load(Some(&extra_scenarios())).expect("catalogue");
    let dir = tempfile::tempdir().expect("tempdir");
    let quoted = dir.path().join("graded state's copy");
    std::fs::create_dir(&quoted).expect("folder");
    let mut jobs = Vec::new();
    for (scenario, fixture) in fixtures() {
        let text = std::fs::read_to_string(&fixture).expect("fixture");
        let stripped = quoted.join(format!(
            "{scenario} {}",
            fixture.file_name().expect("name").to_string_lossy()
        ));
        std::fs::write(&stripped, without_probes(&text)).expect("write");
        let seed = kubedrill::snapshot::parse(&text).expect("parses").seed.expect("seed");
        let rendered = catalogue
            .get(&scenario)
            .expect("scenario")
            .scenario
            .render(seed)
            .expect("renders");
        let checks: BTreeMap<String, CheckSpec> = rendered.checks.into_iter().map(|c| (c.id, c.spec)).collect();
        jobs.push((scenario.clone(), fixture, checks.clone()));
        jobs.push((scenario, stripped, checks));
    }
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let tallies: Vec<Tally> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(jobs.len().div_ceil(threads))
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|(scenario, snapshot, checks)| check_suggestions(scenario, snapshot, checks))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("no panic")).collect()
    });
    let ran: usize = tallies.iter().map(|t| t.ran).sum();
    let forms: BTreeSet<&str> = tallies.iter().flat_map(|t| &t.forms).map(String::as_str).collect();
    assert!(ran >= 80, "only {ran} suggested commands");
    let every: BTreeSet<&str> = ["by-name", "labels", "pod", "resolve", "service"].into();
    assert_eq!(forms, every, "the fixtures cover every form of suggestion");
}

/// Which forms of `explain` a suggestion uses.
fn shape(flow: &serde_json::Value) -> Vec<String> {
    let from = flow["from"].as_str().unwrap_or_default();
    let to = flow["to"].as_str().unwrap_or_default();
    let mut forms = Vec::new();
    if from.contains('=') || from.ends_with("/{}") {
        forms.push("labels");
    }
    if flow["by_name"] == true {
        forms.push(if to.contains(':') { "by-name" } else { "resolve" });
    }
    if to.contains("/pod/") {
        forms.push("pod");
    }
    if to.contains("/svc/") {
        forms.push("service");
    }
    forms.into_iter().map(str::to_owned).collect()
}
