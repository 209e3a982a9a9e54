//! CLI tests on the built binary, no cluster: catalogue, show, lint (including the malformed
//! corpus under `tests/malformed/`), render determinism, scaffolding, completions, exit codes.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn kubedrill() -> Command {
    let mut cmd = Command::cargo_bin("kubedrill").expect("binary builds");
    cmd.env_remove("KUBEDRILL_SCENARIOS").env_remove("NO_COLOR");
    cmd
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn stdout_of(args: &[&str]) -> String {
    let output = kubedrill().args(args).output().expect("runs");
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

#[test]
fn every_malformed_scenario_exits_2_naming_the_file_and_the_problem() {
    let corpus = manifest_dir().join("tests/malformed");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .expect("corpus")
        .map(|e| e.expect("entry").path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 20, "the corpus has {} cases", cases.len());
    for case in cases {
        let expected = std::fs::read_to_string(case.join("expect.txt")).expect("expect.txt");
        let expected = expected.trim();
        let output = kubedrill()
            .current_dir(&corpus)
            .args(["scenario", "lint"])
            .arg(case.file_name().expect("name"))
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let name = case.file_name().expect("name").to_string_lossy().into_owned();
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
            "{name}: {stderr}"
        );
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error: ")).collect();
        assert!(!errors.is_empty(), "{name}: no error line in {stderr}");
        assert!(
            errors
                .iter()
                .any(|l| l.contains(&format!("{name}/")) && l.contains(expected)),
            "{name}: expected an error naming the file and containing `{expected}`, got:\n{stderr}"
        );
        assert!(
            stderr
                .lines()
                .all(|l| l.starts_with("error: ") || l.starts_with("hint: ")),
            "{name}: every diagnostic line is an error or a hint:\n{stderr}"
        );
    }
}

#[test]
fn the_corpus_base_scenario_is_valid_so_each_case_fails_for_its_own_reason() {
    kubedrill()
        .args(["scenario", "lint"])
        .arg(manifest_dir().join("tests/fixtures/scenarios"))
        .assert()
        .success()
        .stdout(predicate::str::contains("2 scenario(s) checked, 0 invalid"));
}

#[test]
fn lint_defaults_to_the_local_scenarios_folder_and_passes() {
    kubedrill()
        .current_dir(manifest_dir())
        .args(["scenario", "lint"])
        .assert()
        .success()
        .stdout(predicate::str::contains("0 invalid"));
}

#[test]
fn lint_outside_a_checkout_checks_the_built_in_catalogue() {
    let elsewhere = tempfile::tempdir().expect("tempdir");
    kubedrill()
        .current_dir(elsewhere.path())
        .args(["scenario", "lint"])
        .assert()
        .success()
        .stdout(predicate::str::contains("0 invalid"));
}

#[test]
fn lint_json_reports_validity_and_problems() {
    let output = kubedrill()
        .args(["scenario", "lint", "-o", "json"])
        .arg(manifest_dir().join("tests/malformed/zero-points"))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(report["valid"], false);
    let problem = &report["scenarios"][0]["problems"][0];
    assert_eq!(problem["field"], "checks[0].points");
    assert!(problem["line"].as_u64().is_some_and(|l| l > 0));
}

#[test]
fn lint_of_a_missing_path_is_an_error_not_a_panic() {
    kubedrill()
        .args(["scenario", "lint", "no/such/folder"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("error: `no/such/folder` does not exist"))
        .stderr(predicate::str::contains("hint:"));
}

#[test]
fn list_shows_the_built_in_catalogue_from_any_directory() {
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let output = kubedrill()
        .current_dir(elsewhere.path())
        .arg("list")
        .output()
        .expect("runs");
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("utf-8");
    for id in [
        "service-wrong-selector",
        "netpol-default-deny",
        "coredns-corefile-error",
    ] {
        assert!(text.contains(id), "{text}");
    }
    assert!(text.starts_with("ID "), "{text}");
}

#[test]
fn list_json_has_the_documented_fields_and_filters_apply() {
    let all: serde_json::Value = serde_json::from_str(&stdout_of(&["list", "-o", "json"])).expect("json");
    let all = all.as_array().expect("array");
    assert!(all.len() >= 3);
    for entry in all {
        for key in ["id", "title", "domain", "difficulty", "profile", "time_limit_seconds"] {
            assert!(entry.get(key).is_some(), "missing {key} in {entry}");
        }
    }
    let troubleshooting: serde_json::Value =
        serde_json::from_str(&stdout_of(&["list", "--domain", "troubleshooting", "-o", "json"])).expect("json");
    let entries = troubleshooting.as_array().expect("array");
    assert!(
        entries.iter().all(|e| e["domain"] == "troubleshooting"),
        "{troubleshooting}"
    );
    assert!(
        entries.iter().any(|e| e["id"] == "coredns-corefile-error"),
        "{troubleshooting}"
    );
    assert!(entries.len() < all.len(), "the filter drops the other domains");
    let flannel: serde_json::Value =
        serde_json::from_str(&stdout_of(&["list", "--profile", "flannel", "-o", "json"])).expect("json");
    let flannel = flannel.as_array().expect("array");
    assert!(flannel.iter().all(|e| e["profile"] == "flannel"), "{flannel:?}");
    assert!(flannel.iter().any(|e| e["id"] == "flannel-cni-broken"), "{flannel:?}");
    let yaml = stdout_of(&["list", "-o", "yaml"]);
    assert!(yaml.contains("id: netpol-default-deny"), "{yaml}");
}

#[test]
fn show_prints_the_task_and_requirements_but_never_the_solution() {
    let text = stdout_of(&["show", "service-wrong-selector", "--seed", "4"]);
    assert!(text.contains("Make Service"), "{text}");
    assert!(text.contains("kindnet profile"), "{text}");
    assert!(text.contains("7 in 2 objectives (2 guards earn none)"), "{text}");
    let json: serde_json::Value =
        serde_json::from_str(&stdout_of(&["show", "coredns-corefile-error", "-o", "json"])).expect("json");
    assert_eq!(json["cluster_wide"], true);
    assert_eq!(json["hints"], 3);
    let serialized = json.to_string();
    for secret in ["solution", "shortcut", "explanation", "kubernetes cluster.local"] {
        assert!(!serialized.contains(secret), "show leaks `{secret}`: {serialized}");
    }
    let namespaced: serde_json::Value =
        serde_json::from_str(&stdout_of(&["show", "netpol-default-deny", "-o", "json"])).expect("json");
    assert_eq!(namespaced["cluster_wide"], false);
}

#[test]
fn unknown_ids_exit_2_with_a_suggestion() {
    kubedrill()
        .args(["show", "service-wrong-selectr"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "error: no scenario `service-wrong-selectr` in the catalogue",
        ))
        .stderr(predicate::str::contains("hint: did you mean `service-wrong-selector`?"));
    kubedrill()
        .args(["scenario", "render", "nope", "--seed", "1"])
        .assert()
        .code(2);
}

#[test]
fn render_is_byte_identical_for_a_seed_and_varies_across_seeds() {
    let first = stdout_of(&["scenario", "render", "netpol-default-deny", "--seed", "42"]);
    let again = stdout_of(&["scenario", "render", "netpol-default-deny", "--seed", "42"]);
    assert_eq!(first, again);
    let outputs: std::collections::BTreeSet<String> = (1..=6)
        .map(|seed| stdout_of(&["scenario", "render", "netpol-default-deny", "--seed", &seed.to_string()]))
        .collect();
    assert!(outputs.len() > 1, "seeds must change names, labels or ports");
    assert!(first.contains("kind: NetworkPolicy") && first.contains("# Source: manifests/default-deny.yaml"));
    let documents = first.split("\n---\n").count();
    assert!(documents >= 5, "{documents} documents");
}

#[test]
fn render_accepts_a_folder_path() {
    let folder = manifest_dir().join("tests/fixtures/scenarios/minimal-valid");
    let text = stdout_of(&["scenario", "render", folder.to_str().expect("utf-8"), "--seed", "1"]);
    assert!(text.contains("kind: Service"), "{text}");
}

#[test]
fn render_of_an_invalid_scenario_exits_2_with_every_problem() {
    kubedrill()
        .args(["scenario", "render"])
        .arg(manifest_dir().join("tests/malformed/manifest-unknown-field"))
        .args(["--seed", "1"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("unknown field `spec.selectr`"));
}

#[test]
fn new_scaffolds_a_scenario_that_passes_lint_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().expect("tempdir");
    kubedrill()
        .current_dir(dir.path())
        .args(["scenario", "new", "svc-wrong-port"])
        .assert()
        .success()
        .stdout(predicate::str::contains("svc-wrong-port"));
    let created = dir.path().join("scenarios/svc-wrong-port");
    assert!(created.join("scenario.yaml").is_file());
    assert!(created.join("manifests/app.yaml").is_file());
    kubedrill().args(["scenario", "lint"]).arg(&created).assert().success();
    kubedrill()
        .current_dir(dir.path())
        .args(["scenario", "new", "svc-wrong-port"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("scenarios")).expect("dir").collect();
    assert_eq!(leftovers.len(), 1, "no staging folder is left behind");
}

#[test]
fn new_rejects_ids_that_are_not_dns_labels() {
    let dir = tempfile::tempdir().expect("tempdir");
    kubedrill()
        .current_dir(dir.path())
        .args(["scenario", "new", "Bad_Id"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a valid scenario id"));
    assert!(!dir.path().join("scenarios").exists());
}

fn user_folder_overriding(id: &str, title: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = manifest_dir().join("tests/fixtures/scenarios/minimal-valid");
    let target = dir.path().join(id);
    copy_tree(&source, &target);
    let yaml = std::fs::read_to_string(target.join("scenario.yaml")).expect("read");
    let yaml = yaml
        .replace("id: minimal-valid", &format!("id: {id}"))
        .replace("title: Malformed case", &format!("title: {title}"));
    std::fs::write(target.join("scenario.yaml"), yaml).expect("write");
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

#[test]
fn an_instructor_folder_overrides_built_ins_by_flag_or_environment() {
    let dir = user_folder_overriding("service-wrong-selector", "Instructor version");
    let by_flag = stdout_of(&["list", "--scenarios", dir.path().to_str().expect("utf-8")]);
    assert!(by_flag.contains("Instructor version"), "{by_flag}");
    assert_eq!(by_flag.matches("service-wrong-selector").count(), 1, "{by_flag}");
    let by_env = kubedrill()
        .env("KUBEDRILL_SCENARIOS", dir.path())
        .arg("list")
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&by_env.stdout).contains("Instructor version"));
}

#[test]
fn list_skips_a_broken_instructor_scenario_with_a_warning() {
    let dir = user_folder_overriding("my-drill", "Mine");
    std::fs::write(dir.path().join("my-drill/scenario.yaml"), "id: [").expect("write");
    kubedrill()
        .args(["list", "--scenarios"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("netpol-default-deny"))
        .stderr(predicate::str::contains("warning: skipped"))
        .stderr(predicate::str::contains("my-drill/scenario.yaml"));
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let colored = kubedrill()
        .args(["--color", "always", "show", "nope"])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&colored.stderr).contains("\x1b["));
    let plain = kubedrill()
        .args(["show", "nope"])
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    assert!(!String::from_utf8_lossy(&plain.stderr).contains("\x1b["));
    let never = kubedrill()
        .args(["--color", "never", "show", "nope"])
        .output()
        .expect("runs");
    assert!(!String::from_utf8_lossy(&never.stderr).contains("\x1b["));
}

#[test]
fn completions_and_version() {
    let bash = stdout_of(&["completions", "bash"]);
    assert!(
        bash.contains("kubedrill") && bash.contains("scenario"),
        "{}",
        &bash[..bash.len().min(200)]
    );
    let zsh = stdout_of(&["completions", "zsh"]);
    assert!(zsh.contains("#compdef kubedrill"));
    let version = stdout_of(&["--version"]);
    assert_eq!(version.trim(), format!("kubedrill {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn usage_errors_exit_2() {
    kubedrill().args(["list", "--domain", "cooking"]).assert().code(2);
    kubedrill()
        .args(["scenario", "render", "netpol-default-deny"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--seed"));
    kubedrill().arg("frobnicate").assert().code(2);
}

#[test]
fn doctor_reports_every_check_and_exits_3_exactly_when_one_fails() {
    let output = kubedrill()
        .args(["--color", "never", "doctor", "-o", "json"])
        .output()
        .expect("runs");
    let findings: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let findings = findings.as_array().expect("array");
    let checks: Vec<&str> = findings.iter().filter_map(|f| f["check"].as_str()).collect();
    assert_eq!(
        checks,
        [
            "docker",
            "kind",
            "kubectl",
            "cgroup v2",
            "inotify",
            "br_netfilter",
            "memory",
            "disk"
        ]
    );
    let failed = findings.iter().any(|f| f["status"] == "fail");
    assert_eq!(output.status.code(), Some(if failed { 3 } else { 0 }));
    for finding in findings.iter().filter(|f| f["status"] != "ok") {
        assert!(finding["fix"].as_str().is_some_and(|fix| !fix.is_empty()), "{finding}");
    }
}

/// Live-cluster commands without Docker, kind or a cluster: exit 3, the object named, a hint.
#[test]
fn cluster_commands_fail_cleanly_without_kind_or_a_cluster() {
    let home = tempfile::tempdir().expect("temp dir");
    let run = |args: &[&str]| {
        kubedrill()
            .env("KUBEDRILL_HOME", home.path())
            .env("PATH", "/nonexistent")
            .args(args)
            .assert()
            .code(3)
    };
    run(&["cluster", "status"])
        .stderr(predicates::str::contains("error: `kind` was not found on PATH"))
        .stderr(predicates::str::contains("hint: run `kubedrill doctor --fix`"));
    run(&["grade", "--scenario", "service-wrong-selector", "--seed", "1"])
        .stderr(predicates::str::contains("no cluster `kubedrill-kindnet`"))
        .stderr(predicates::str::contains("hint: create it with `kubedrill cluster up"));
    let kubeconfig = home.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters: [{name: a, cluster: {server: 'https://127.0.0.1:1'}}]\ncontexts: [{name: a, context: {cluster: a, user: u}}]\ncurrent-context: a\nusers: [{name: u, user: {token: t}}]\n",
    )
    .expect("kubeconfig");
    let path = kubeconfig.to_string_lossy().into_owned();
    run(&["cluster", "setup", "netpol-default-deny", "--kubeconfig", &path])
        .stderr(predicates::str::contains(
            "cluster at `https://127.0.0.1:1/` is unreachable",
        ))
        .stderr(predicates::str::contains("hint:"));
    kubedrill()
        .env("KUBEDRILL_HOME", home.path())
        .args([
            "grade",
            "--scenario",
            "service-wrong-selector",
            "--seed",
            "1",
            "--kubeconfig",
            "/nonexistent/kc",
        ])
        .assert()
        .code(3)
        .stderr(predicates::str::contains("kubeconfig `/nonexistent/kc`"));
}

/// A probe check judged without traffic (`--probes predict` live, or a snapshot without probe
/// results) says "predicted" in every report format.
#[test]
fn predicted_verdicts_are_marked_in_every_report_format() {
    let fixture =
        std::fs::read_to_string(manifest_dir().join("tests/fixtures/snapshots/service-wrong-selector/broken.yaml"))
            .expect("fixture");
    // The same state with its recorded probe results left out.
    let mut without_probes = String::new();
    let mut skipping = false;
    for line in fixture.lines() {
        if line.starts_with("probes:") {
            skipping = true;
            continue;
        }
        if skipping && !line.starts_with(' ') && !line.is_empty() {
            skipping = false;
        }
        if !skipping {
            without_probes.push_str(line);
            without_probes.push('\n');
        }
    }
    let dir = tempfile::tempdir().expect("dir");
    let snapshot = dir.path().join("state.yaml");
    std::fs::write(&snapshot, without_probes).expect("write");
    let snapshot = snapshot.display().to_string();
    for format in ["text", "json", "junit", "markdown", "html"] {
        let out = kubedrill()
            .args([
                "grade",
                "--scenario",
                "service-wrong-selector",
                "--snapshot",
                &snapshot,
                "-o",
                format,
            ])
            .output()
            .expect("runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let marked = match format {
            "json" => stdout.contains("\"predicted\": true"),
            "junit" => stdout.contains("kubedrill.predicted"),
            _ => stdout.contains("(predicted)"),
        };
        assert!(marked, "{format}: {stdout}");
    }
}

#[test]
fn list_fits_a_classic_terminal_and_json_keeps_whole_titles() {
    let text = stdout_of(&["list"]);
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "wider than 80 columns: {line}");
    }
    let all: serde_json::Value = serde_json::from_str(&stdout_of(&["list", "-o", "json"])).expect("json");
    let titles: Vec<&str> = all
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|s| s["title"].as_str())
        .collect();
    assert!(
        titles.iter().any(|t| t.chars().count() > 45),
        "some title is long enough to be cut"
    );
    for title in titles {
        let shown = title.chars().take(10).collect::<String>();
        assert!(text.contains(&shown), "`{title}` is listed");
    }
}

#[test]
fn completions_offer_scenario_ids_and_an_instructors_own() {
    let dir = tempfile::tempdir().expect("tempdir");
    kubedrill()
        .current_dir(dir.path())
        .args(["scenario", "new", "my-drill"])
        .assert()
        .success();
    let bash = kubedrill()
        .current_dir(dir.path())
        .args(["completions", "bash"])
        .output()
        .expect("run");
    let bash = String::from_utf8_lossy(&bash.stdout);
    assert!(bash.contains("service-wrong-selector"), "built-in ids are completed");
    assert!(bash.contains("my-drill"), "./scenarios ids are completed");
}

#[test]
fn show_and_list_use_the_local_scenarios_folder_like_lint() {
    let dir = tempfile::tempdir().expect("tempdir");
    kubedrill()
        .current_dir(dir.path())
        .args(["scenario", "new", "my-drill", "--title", "My own drill"])
        .assert()
        .success();
    let cases: [(&[&str], &str); 3] = [
        (&["show", "my-drill"], "My own drill"),
        (&["list"], "my-drill"),
        (&["scenario", "lint"], "1 scenario(s) checked"),
    ];
    for (args, expected) in cases {
        let out = kubedrill().current_dir(dir.path()).args(args).output().expect("run");
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains(expected), "{args:?}:\n{text}");
    }
}

/// `solution` prints every step as commands to paste: each manifest a step applies is inlined
/// as rendered for the seed, no step names a scenario file, and `-o json` carries the same
/// commands as data.
#[test]
fn solutions_are_commands_to_paste_with_every_manifest_inlined() {
    let home = tempfile::tempdir().expect("home");
    let catalogue = kubedrill::catalogue::Catalogue::load(None).expect("catalogue");
    assert!(catalogue.entries.len() >= 16, "the whole catalogue");
    for entry in &catalogue.entries {
        let id = entry.scenario.id();
        let rendered = entry.scenario.render(1).expect("renders");
        let run = |format: &str| {
            let output = kubedrill()
                .env("KUBEDRILL_HOME", home.path())
                .args([
                    "--color", "never", "solution", id, "--seed", "1", "--force", "-o", format,
                ])
                .output()
                .expect("runs");
            assert!(
                output.status.success(),
                "{id}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            String::from_utf8(output.stdout).expect("utf-8")
        };
        let text = run("text");
        let mut applied = 0;
        for step in &rendered.solution {
            if let Some(path) = step.manifest() {
                // (An `applySlice` here-document is unquoted, to fill in the pods' IPs: its
                // text reaches kubectl unchanged, `\`, `$` and `` ` `` escaped.)
                let file = rendered.files.get(path).expect("rendered file");
                let mut inlined = file.text.trim_end().to_owned();
                if matches!(step, kubedrill::scenario::step::Step::ApplySlice(_)) {
                    inlined = inlined.replace('\\', "\\\\").replace('$', "\\$").replace('`', "\\`");
                }
                assert!(text.contains(&inlined), "{id}: `{path}` is not inlined:\n{text}");
                applied += 1;
            }
        }
        for path in rendered.files.keys() {
            assert!(!text.contains(path.as_str()), "{id}: names the file `{path}`:\n{text}");
        }
        assert!(
            !text.contains("apply:") && !text.contains("patch:"),
            "{id}: step syntax:\n{text}"
        );
        let slices = rendered
            .solution
            .iter()
            .filter(|s| matches!(s, kubedrill::scenario::step::Step::ApplySlice(_)))
            .count();
        assert_eq!(
            text.matches("kubectl apply -f").count(),
            text.matches("kubectl apply -f - <<'EOF").count() + text.matches("kubectl apply -f - <<EOF").count(),
            "{id}: every apply reads its manifest from the here-document"
        );
        assert_eq!(text.matches("kubectl apply -f - <<EOF").count(), slices, "{id}");
        assert_eq!(text.matches("kubectl apply -f -").count(), applied, "{id}");
        let json: serde_json::Value = serde_json::from_str(&run("json")).expect("json");
        let shells: Vec<&str> = json["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .filter_map(|s| s["shell"].as_str())
            .collect();
        assert_eq!(shells.len(), rendered.solution.len(), "{id}");
        assert!(text.contains(&shells.join("\n\n")), "{id}: text and JSON differ");
        assert_eq!(json["seed"], 1);
    }
}

/// A folder to put first on PATH, holding `sh` scripts that stand in for programs.
fn fake_path(programs: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("fake PATH");
    for (name, body) in programs {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("script");
        let mode = std::os::unix::fs::PermissionsExt::from_mode(0o755);
        std::fs::set_permissions(&path, mode).expect("executable");
    }
    dir
}

/// curl without a network, as `--retry 3` leaves it: the same line once per attempt.
const OFFLINE_CURL: &str = "for i in 1 2 3 4; do echo 'curl: (6) Could not resolve host: github.com' >&2; done; exit 6";
const STOPPED_DOCKER: &str = "echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2; exit 1";

/// Offline `doctor --fix`: each failed download is one line with curl's reason, the status
/// table still follows, and the next step says what `--fix` could not do.
#[test]
fn offline_doctor_fix_reports_each_failed_download_once_and_ends_with_the_table() {
    assert!(
        kubedrill::cluster::tools::pinned("kind").is_ok(),
        "kind is pinned for this platform"
    );
    let home = tempfile::tempdir().expect("home");
    let path = fake_path(&[("curl", OFFLINE_CURL), ("docker", STOPPED_DOCKER)]);
    let output = kubedrill()
        .env("KUBEDRILL_HOME", home.path())
        .env("PATH", path.path())
        .args(["--color", "never", "doctor", "--fix"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3));
    let (stdout, stderr) = (
        String::from_utf8(output.stdout).expect("utf-8"),
        String::from_utf8(output.stderr).expect("utf-8"),
    );
    assert!(stdout.starts_with("CHECK"), "the table: {stdout}");
    assert!(stdout.contains("\nkind ") && stdout.contains("\nkubectl "), "{stdout}");
    assert_eq!(
        stderr.matches("Could not resolve host").count(),
        2,
        "once per tool: {stderr}"
    );
    for tool in ["kind", "kubectl"] {
        assert_eq!(
            stderr
                .matches(&format!("warning: {tool} was not installed: download `"))
                .count(),
            1,
            "{stderr}"
        );
    }
    assert!(
        stderr.contains("hint: kind and kubectl could not be downloaded"),
        "{stderr}"
    );
    // Without --fix, the way to fix a missing tool is `--fix`.
    let output = kubedrill()
        .env("KUBEDRILL_HOME", home.path())
        .env("PATH", path.path())
        .args(["--color", "never", "doctor"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    assert!(
        stdout.contains("fix kind: `kubedrill doctor --fix` downloads the pinned kind"),
        "{stdout}"
    );
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("hint: run `kubedrill doctor --fix` to download kind and kubectl"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `cluster up` checks Docker before anything else: no kind download is offered or tried.
#[test]
fn cluster_up_checks_docker_first() {
    let home = tempfile::tempdir().expect("home");
    let path = fake_path(&[("curl", OFFLINE_CURL), ("docker", STOPPED_DOCKER)]);
    kubedrill()
        .env("KUBEDRILL_HOME", home.path())
        .env("PATH", path.path())
        .args(["cluster", "up"])
        .assert()
        .code(3)
        .stderr(
            predicate::str::starts_with("error: the Docker daemon is not reachable: Cannot connect")
                .and(predicate::str::contains("hint: start Docker"))
                .and(predicate::str::contains("kind").not()),
        );
}

/// A kubectl more than one minor version from the node image's Kubernetes is a warning naming
/// both versions and what to install.
#[test]
fn doctor_warns_about_kubectl_version_skew() {
    let server = kubedrill::cluster::doctor::node_kubernetes();
    let minor: u32 = server.split('.').nth(1).and_then(|m| m.parse().ok()).expect("v1.N.p");
    let home = tempfile::tempdir().expect("home");
    let check = |client: &str| {
        let path = fake_path(&[(
            "kubectl",
            &format!("echo '{{\"clientVersion\": {{\"gitVersion\": \"{client}\"}}}}'"),
        )]);
        let output = kubedrill()
            .env("KUBEDRILL_HOME", home.path())
            .env("PATH", path.path())
            .args(["doctor", "-o", "json"])
            .output()
            .expect("runs");
        let findings: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
        findings
            .as_array()
            .expect("array")
            .iter()
            .find(|f| f["check"] == "kubectl")
            .cloned()
            .expect("kubectl finding")
    };
    let old = format!("v1.{}.4", minor - 4);
    let finding = check(&old);
    assert_eq!(finding["status"], "warn", "{finding}");
    let detail = finding["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(&old) && detail.contains(server), "{finding}");
    assert!(
        finding["fix"]
            .as_str()
            .unwrap_or_default()
            .contains(&format!("v1.{} to v1.{}", minor - 1, minor + 1)),
        "{finding}"
    );
    assert_eq!(check(&format!("v1.{}.0", minor + 1))["status"], "ok");
}
