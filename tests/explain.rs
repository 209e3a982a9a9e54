//! `kubedrill explain` on the fixture snapshots: hop-by-hop traces, the matrix, exit codes.

use std::path::PathBuf;

use assert_cmd::Command;
use predicates::prelude::*;

fn fixture(state: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/snapshots/netpol-default-deny/{state}.yaml"))
}

fn explain(state: &str, args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("kubedrill").expect("binary");
    cmd.args(["--color", "never", "explain", "--snapshot"])
        .arg(fixture(state))
        .args(args);
    cmd
}

const FRONTEND: &str = "payments-ri91q/frontend-5b8c7d9f6-m4tjx";

#[test]
fn a_blocked_flow_exits_1_and_names_the_failing_hop() {
    explain(
        "broken",
        &[
            "--from",
            FRONTEND,
            "--to",
            "payments-ri91q/orders-api:9090",
            "--by-name",
        ],
    )
    .assert()
    .code(1)
    .stdout(predicate::str::contains("BLOCKED"))
    .stdout(predicate::str::contains("FAIL dns"))
    .stdout(predicate::str::contains("egress to CoreDNS on UDP 53 is denied"));
}

#[test]
fn an_allowed_flow_exits_0_with_the_rules_that_allow_it() {
    let output = explain(
        "fixed",
        &[
            "--from",
            FRONTEND,
            "--to",
            "payments-ri91q/orders-api:9090",
            "-o",
            "json",
        ],
    )
    .output()
    .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(json["allowed"], true);
    let hops = json["hops"].as_array().expect("hops");
    let names: Vec<&str> = hops.iter().filter_map(|h| h["name"].as_str()).collect();
    assert_eq!(names, ["service", "egress", "ingress"]);
    assert!(hops.iter().all(|h| h["ok"] == true && h["reason"].is_string()));
    assert!(
        hops[2]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("orders-api-ingress ingress[0]")),
        "{}",
        hops[2]
    );
}

#[test]
fn a_hypothetical_source_by_labels_and_per_rule_misses() {
    explain(
        "fixed",
        &[
            "--from",
            "payments-ri91q/app=stranger",
            "--to",
            "payments-ri91q/svc/orders-api:http",
        ],
    )
    .assert()
    .code(1)
    .stdout(predicate::str::contains("payments-ri91q/{app=stranger}"))
    .stdout(predicate::str::contains(
        "orders-api-ingress Ingress[0]: peer[0] podSelector does not match",
    ));
}

#[test]
fn the_matrix_in_text_and_json() {
    explain("fixed", &["--matrix", "-n", "payments-ri91q"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("FROM \\ TO"));
    let output = explain("fixed", &["--matrix", "-o", "json"]).output().expect("runs");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let pods: Vec<&str> = json["pods"]
        .as_array()
        .expect("pods")
        .iter()
        .filter_map(|p| p.as_str())
        .collect();
    let from = pods.iter().position(|p| *p == FRONTEND).expect("frontend");
    let to = pods
        .iter()
        .position(|p| p.starts_with("payments-ri91q/orders-api"))
        .expect("api");
    assert_eq!(json["allowed"][from][to], true, "frontend -> api");
    assert_eq!(json["allowed"][to][from], false, "api -> frontend stays denied");
}

#[test]
fn bad_input_exits_2_naming_what_is_wrong() {
    explain(
        "fixed",
        &[
            "--from",
            "payments-ri91q/nope",
            "--to",
            "payments-ri91q/orders-api:9090",
        ],
    )
    .assert()
    .code(2)
    .stderr(predicate::str::contains("no pod `nope` in namespace `payments-ri91q`"))
    .stderr(predicate::str::contains("hint:"));
    explain("fixed", &["--from", FRONTEND, "--to", "payments-ri91q/orders-api"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("<port>"));
    explain(
        "fixed",
        &["--from", FRONTEND, "--to", "payments-ri91q/orders-api:9090/icmp"],
    )
    .assert()
    .code(2);
    explain("fixed", &["--from", FRONTEND]).assert().code(2);
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "kind: [\n").expect("write");
    Command::cargo_bin("kubedrill")
        .expect("binary")
        .args(["explain", "--matrix", "--snapshot"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.yaml`:1"));
}
