//! `scenario lint` and `scenario render` diagnostics on the built binary, no cluster: every
//! problem of every object and file in one run, each at the line of the template the author
//! wrote, each once however many seeds find it; unknown kinds; hints that never send the
//! author from one command to the other.

use std::path::PathBuf;

use assert_cmd::Command;

fn kubedrill() -> Command {
    let mut cmd = Command::cargo_bin("kubedrill").expect("binary builds");
    cmd.env_remove("KUBEDRILL_SCENARIOS").env_remove("NO_COLOR");
    cmd
}

fn tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// Exit code and stderr of `kubedrill <args>` run in `dir`.
fn run_in(dir: &str, args: &[&str]) -> (Option<i32>, String) {
    let output = kubedrill()
        .current_dir(tests_dir().join(dir))
        .args(args)
        .output()
        .expect("runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn errors(stderr: &str) -> Vec<&str> {
    stderr.lines().filter_map(|l| l.strip_prefix("error: ")).collect()
}

/// Every problem of `tests/malformed/manifest-many-problems`, at the line it is written on in
/// its source file (the Deployments come from a `{% for %}` loop, so the rendered lines differ),
/// seed-dependent ones naming their seeds.
const MANY_PROBLEMS: &[&str] = &[
    "manifest-many-problems/scenario.yaml:24:5: `checks[0].points`: an objective must be worth at least 1 point",
    "manifest-many-problems/manifests/app.yaml:13:3: `Deployment/frontend`: invalid type: string \"two\", expected i32",
    "manifest-many-problems/manifests/app.yaml:23:11: `Deployment/frontend`: unknown field `spec.template.spec.containers[0].prots`",
    "manifest-many-problems/manifests/app.yaml:13:3: `Deployment/api`: invalid type: string \"two\", expected i32",
    "manifest-many-problems/manifests/app.yaml:23:11: `Deployment/api`: unknown field `spec.template.spec.containers[0].prots`",
    "manifest-many-problems/manifests/app.yaml:28:1: `Servcie/shop`: unknown kind `Servcie`; did you mean `Service`?",
    "manifest-many-problems/manifests/policy.yaml:8:3: `NetworkPolicy/allow-web`: unknown field `spec.ingres`",
    "manifest-many-problems/manifests/policy.yaml:14:1: `ConfigMap/settings`: namespaced object has no `metadata.namespace`",
    "manifest-many-problems/manifests/policy.yaml:17:3: `ConfigMap/settings`: invalid type: integer `8080`, expected a string",
    "manifest-many-problems/scenario.yaml:25:13: `checks[0].with.service`: `Store` must be lowercase letters, digits and `-`, starting and ending with a letter or digit (with seeds 2, 3, 5)",
    "manifest-many-problems/scenario.yaml:32:34: `shortcuts[0].steps[0].delete.name`: `Store` must be lowercase letters, digits and `-`, starting and ending with a letter or digit (with seeds 2, 3, 5)",
    "manifest-many-problems/manifests/app.yaml:30:3: `Servcie/Store`: metadata.name: `Store` must be lowercase letters, digits and `-`, starting and ending with a letter or digit (with seeds 2, 3, 5)",
];

#[test]
fn lint_lists_every_problem_of_every_object_and_file_once_at_its_source_line() {
    let (code, stderr) = run_in("malformed", &["scenario", "lint", "manifest-many-problems"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(errors(&stderr), MANY_PROBLEMS, "{stderr}");
}

/// For each problem of `MANY_PROBLEMS` (by a part of its text): what its file has at its line
/// and column.
const WRITTEN_AT: &[(&str, &str)] = &[
    ("checks[0].points", "points: 0"),
    ("\"two\"", "replicas: two"),
    ("prots`", "prots:"),
    ("Servcie`;", "kind: Servcie"),
    ("spec.ingres", "ingres:"),
    ("no `metadata.namespace`", "metadata:"),
    ("integer `8080`", "port: 8080"),
    ("checks[0].with.service", "service: \"{{ app }}\""),
    ("delete.name", "name: \"{{ app }}\""),
    ("metadata.name: `Store`", "name: \"{{ app }}\""),
];

#[test]
fn each_line_and_column_is_where_the_key_at_fault_is_written() {
    let (_, stderr) = run_in("malformed", &["scenario", "lint", "manifest-many-problems"]);
    let found = errors(&stderr);
    assert_eq!(found.len(), MANY_PROBLEMS.len(), "{stderr}");
    for error in found {
        let (_, written) = WRITTEN_AT
            .iter()
            .find(|(needle, _)| error.contains(needle))
            .unwrap_or_else(|| panic!("no expectation for {error}"));
        let mut parts = error.splitn(4, ':');
        let file = parts.next().expect("file");
        let line: usize = parts.next().and_then(|l| l.parse().ok()).expect("line");
        let column: usize = parts.next().and_then(|c| c.parse().ok()).expect("column");
        let text = std::fs::read_to_string(tests_dir().join("malformed").join(file)).expect("source");
        let source = text.lines().nth(line - 1).expect("the line exists");
        assert!(
            source.get(column - 1..).is_some_and(|rest| rest.starts_with(written)),
            "{error}\n  {file}:{line} is `{source}`; expected `{written}` at column {column}"
        );
    }
}

#[test]
fn json_reports_lines_and_the_seeds_of_seed_dependent_problems() {
    let output = kubedrill()
        .current_dir(tests_dir().join("malformed"))
        .args(["scenario", "lint", "-o", "json", "manifest-many-problems"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let problems = report["scenarios"][0]["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), MANY_PROBLEMS.len());
    assert!(
        problems.iter().all(|p| p["line"].as_u64().is_some_and(|l| l > 0)),
        "{problems:#?}"
    );
    let seeded: Vec<&serde_json::Value> = problems.iter().filter(|p| p.get("seeds").is_some()).collect();
    assert_eq!(seeded.len(), 3);
    assert!(seeded.iter().all(|p| p["seeds"] == serde_json::json!([2, 3, 5])));
}

/// (malformed case, its one error, its hint).
const KIND_CASES: &[(&str, &str, &str)] = &[
    (
        "manifest-unknown-kind",
        "manifest-unknown-kind/manifests/app.yaml:7:1: `Servcie/web`: unknown kind `Servcie`; did you mean `Service`?",
        "hint: write `kind: Service` with `apiVersion: v1`",
    ),
    (
        "manifest-kind-wrong-group",
        "manifest-kind-wrong-group/manifests/app.yaml:6:1: `Service/web`: `Service` is not served at `apiVersion: apps/v1`",
        "hint: write `apiVersion: v1`",
    ),
    (
        "custom-kind-undeclared",
        "custom-kind-undeclared/manifests/app.yaml:18:1: `HTTPRoute/web`: unknown kind `HTTPRoute`: the `gateway-api` add-on provides it, and this scenario does not declare it",
        "hint: add `addons: [gateway-api]` under `cluster:` in scenario.yaml",
    ),
];

#[test]
fn a_kind_the_cluster_would_not_serve_is_an_error_at_its_line_saying_what_to_write() {
    for (case, error, hint) in KIND_CASES {
        let (code, stderr) = run_in("malformed", &["scenario", "lint", case]);
        assert_eq!(code, Some(2), "{stderr}");
        assert_eq!(errors(&stderr), [*error]);
        assert!(stderr.lines().any(|l| l.starts_with(hint)), "{case}: {stderr}");
    }
}

#[test]
fn kinds_a_crd_or_a_declared_add_on_provides_lint_clean() {
    let (code, stderr) = run_in("fixtures/custom-kinds", &["scenario", "lint", "custom-kinds-declared"]);
    assert_eq!((code, stderr.as_str()), (Some(0), ""));
}

#[test]
fn render_reports_the_same_problems_and_no_hint_sends_back_to_render() {
    let (code, stderr) = run_in(
        "malformed",
        &["scenario", "render", "manifest-many-problems", "--seed", "1"],
    );
    assert_eq!(code, Some(2), "{stderr}");
    let manifests_seed_one: Vec<&str> = MANY_PROBLEMS
        .iter()
        .copied()
        .filter(|p| p.contains("/manifests/") && !p.contains("(with seeds"))
        .collect();
    assert_eq!(errors(&stderr), manifests_seed_one, "{stderr}");
    assert!(
        !stderr.contains("scenario render"),
        "render must not send the author to render:\n{stderr}"
    );
    let last = stderr.lines().last().expect("a final hint");
    assert!(
        last.starts_with("hint: fix each problem above")
            && last.contains("`kubedrill scenario lint manifest-many-problems`"),
        "{last}"
    );
    let (_, lint) = run_in("malformed", &["scenario", "lint", "manifest-many-problems"]);
    assert!(!lint.contains("scenario render"), "{lint}");
}
