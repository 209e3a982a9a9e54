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

#[test]
fn the_matrix_text_groups_pods_that_behave_alike() {
    let output = explain("fixed", &["--matrix"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let expected = "\
3 pods in 2 classes (the pods of a class are allowed and blocked exactly alike)

class 1: 2 pods in payments-ri91q with app=orders-api
  payments-ri91q/orders-api-7c9d5f6b4-kq2xw (TCP 9090), payments-ri91q/orders-api-7c9d5f6b4-p8zrn (TCP 9090)
class 2: 1 pod in payments-ri91q with app=frontend
  payments-ri91q/frontend-5b8c7d9f6-m4tjx (TCP 80)

FROM \\ TO  1  2
1          X  X
2          .  X
. allowed, X blocked: from every pod of the row's class to every pod of the column's class, on the port after its name

blocked (from a class -> the classes it may not reach):
  1 -> 1-2 (every class)
  2 -> 2
";
    assert_eq!(String::from_utf8_lossy(&output.stdout), expected);
    let output = explain("fixed", &["--matrix", "-o", "json"]).output().expect("runs");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let classes: Vec<Vec<u64>> = json["classes"]
        .as_array()
        .expect("classes")
        .iter()
        .map(|c| {
            c["members"]
                .as_array()
                .expect("members")
                .iter()
                .filter_map(serde_json::Value::as_u64)
                .collect()
        })
        .collect();
    let pods = json["pods"].as_array().expect("pods");
    let named = |i: u64| {
        pods[usize::try_from(i).expect("index")]
            .as_str()
            .expect("name")
            .to_owned()
    };
    let grouped: Vec<Vec<String>> = classes.iter().map(|c| c.iter().map(|i| named(*i)).collect()).collect();
    assert_eq!(grouped.len(), 2, "{grouped:?}");
    assert!(grouped[0].iter().all(|p| p.starts_with("payments-ri91q/orders-api-")) && grouped[0].len() == 2);
    assert_eq!(grouped[1], [FRONTEND]);
}

/// `count` pods labelled app=web and one app=db pod that only they may reach on TCP 5432.
fn identical_pods(count: usize) -> String {
    let pod = |name: &str, app: &str, port: u16| {
        format!(
            "- apiVersion: v1\n  kind: Pod\n  metadata: {{name: {name}, namespace: shop, labels: {{app: {app}}}}}\n  spec: {{containers: [{{name: c, image: agnhost, ports: [{{containerPort: {port}}}]}}]}}\n  status: {{phase: Running, podIP: 10.0.{}.{}}}\n",
            name.len() % 200,
            name.len() % 250 + 1
        )
    };
    let mut items = String::from(
        "- apiVersion: v1\n  kind: Namespace\n  metadata: {name: shop, labels: {kubernetes.io/metadata.name: shop}}\n",
    );
    items.push_str("- apiVersion: networking.k8s.io/v1\n  kind: NetworkPolicy\n  metadata: {name: db, namespace: shop}\n  spec: {podSelector: {matchLabels: {app: db}}, policyTypes: [Ingress], ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 5432}]}]}\n");
    items.push_str(&pod("db-0", "db", 5432));
    for i in 0..count {
        items.push_str(&pod(&format!("web-{i}"), "web", 8080));
    }
    format!("apiVersion: v1\nkind: List\nitems:\n{items}")
}

#[test]
fn the_matrix_text_grows_with_the_pods_not_with_pods_times_pods() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = |count: usize| {
        let path = dir.path().join(format!("{count}.yaml"));
        std::fs::write(&path, identical_pods(count)).expect("write");
        let output = Command::cargo_bin("kubedrill")
            .expect("binary")
            .args(["--color", "never", "explain", "--matrix", "--snapshot"])
            .arg(&path)
            .output()
            .expect("runs");
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8")
    };
    let (small, large) = (text(200), text(400));
    assert!(small.starts_with("201 pods in 2 classes"), "{small}");
    assert!(large.contains("class 2: 400 pods in shop with app=web\n"), "{large}");
    assert!(
        large.ends_with("may not reach):\n  1 -> 1\n"),
        "only the web pods reach the db:\n{large}"
    );
    assert_eq!(small.lines().count(), large.lines().count());
    assert!(
        large.len() < small.len() * 3,
        "{} bytes, then {}",
        small.len(),
        large.len()
    );
}

#[test]
fn the_forms_grade_suggests_are_accepted() {
    // (state, --from, --to, with --by-name, exit code, in the output)
    let table = [
        // A source in the analyzer's own notation, braces and all, and a pod without labels.
        (
            "fixed",
            "payments-ri91q/{app=stranger}",
            "payments-ri91q/svc/orders-api:http",
            false,
            1,
            "payments-ri91q/{app=stranger} ->",
        ),
        (
            "fixed",
            "payments-ri91q/{}",
            "payments-ri91q/svc/orders-api:9090",
            false,
            1,
            "payments-ri91q/{} ->",
        ),
        // With --by-name and no port: only the name is resolved.
        ("broken", FRONTEND, "payments-ri91q/orders-api", true, 1, "FAIL dns"),
        (
            "fixed",
            FRONTEND,
            "payments-ri91q/svc/orders-api",
            true,
            0,
            "ok   dns      orders-api.payments-ri91q.svc.cluster.local resolves",
        ),
    ];
    for (state, from, to, by_name, code, shown) in table {
        let mut args = vec!["--from", from, "--to", to];
        args.extend(by_name.then_some("--by-name"));
        let output = explain(state, &args).output().expect("runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(code), "{args:?}: {stdout}");
        assert!(stdout.contains(shown), "{args:?}: {stdout}");
        assert_eq!(
            stdout.contains("service"),
            !by_name,
            "resolving only has no service hop: {stdout}"
        );
    }
    explain("fixed", &["--from", FRONTEND, "--to", "orders-api", "--by-name"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("needs a namespace"));
}

/// A port of a node's address, from another node: nodeport-misconfigured's broken state opens
/// none (its Service is ClusterIP), the fix routes it through the Service to a pod, the
/// shortcut's hostPort answers on the pod's own node only.
#[test]
fn node_ports_are_traced_from_a_node() {
    let fixture = |state: &str| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join(format!("tests/fixtures/snapshots/nodeport-misconfigured/{state}.yaml"))
    };
    // (state, --to, exit code, in the output)
    let table = [
        (
            "broken",
            "node/kubedrill-worker:30080",
            1,
            "nothing listens on TCP port 30080 of node kubedrill-worker",
        ),
        (
            "fixed",
            "node/kubedrill-worker:30080",
            0,
            "externalTrafficPolicy Cluster",
        ),
        (
            "shortcut-host-port",
            "node/kubedrill-worker:30080",
            0,
            "maps it as a hostPort to its port",
        ),
        (
            "shortcut-host-port",
            "node/kubedrill-control-plane:30080",
            1,
            "nothing listens",
        ),
    ];
    for (state, to, code, shown) in table {
        let mut cmd = Command::cargo_bin("kubedrill").expect("binary");
        cmd.args(["--color", "never", "explain", "--snapshot"])
            .arg(fixture(state))
            .args(["--from", "node/kubedrill-control-plane", "--to", to]);
        let output = cmd.output().expect("runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(code), "{state} {to}: {stdout}");
        assert!(stdout.contains(shown), "{state} {to}: {stdout}");
        assert!(stdout.starts_with("node/kubedrill-control-plane -> "), "{stdout}");
    }
    let mut named = Command::cargo_bin("kubedrill").expect("binary");
    named
        .args(["--color", "never", "explain", "--snapshot"])
        .arg(fixture("fixed"))
        .args([
            "--from",
            "node/kubedrill-control-plane",
            "--to",
            "node/kubedrill-worker:http",
        ]);
    named
        .assert()
        .code(2)
        .stderr(predicate::str::contains("a node's port is a number"));
}

/// An address outside the cluster: only the source's egress policies decide (calico-cross-
/// namespace-policy's partner block), and its port must be a number.
#[test]
fn addresses_outside_the_cluster_are_traced_through_egress_only() {
    let fixture = |state: &str| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!(
            "tests/fixtures/snapshots/calico-cross-namespace-policy/{state}.yaml"
        ))
    };
    let run = |state: &str, to: &str| {
        let mut cmd = Command::cargo_bin("kubedrill").expect("binary");
        cmd.args(["--color", "never", "explain", "--snapshot"])
            .arg(fixture(state))
            .args(["--from", "shop-d2iuw/app=checkout", "--to", to]);
        cmd.output().expect("runs")
    };
    // (state, --to, exit code, in the output)
    let table = [
        (
            "broken",
            "192.0.2.20:443",
            0,
            "ok   outside  192.0.2.20 is outside the cluster",
        ),
        ("broken", "192.0.2.20:80", 1, "FAIL egress"),
        (
            "broken",
            "192.0.3.20:443",
            1,
            "ipBlock 192.0.2.0/24: 192.0.3.20 is outside it",
        ),
        (
            "shortcut-rewrite-without-partner",
            "192.0.2.20:443",
            1,
            "no rule allows to 192.0.2.20 TCP 443",
        ),
        ("shortcut-allow-all-egress", "192.0.3.20:443", 0, "egress[0] allows"),
    ];
    for (state, to, code, shown) in table {
        let output = run(state, to);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(code), "{state} {to}: {stdout}");
        assert!(stdout.contains(shown), "{state} {to}: {stdout}");
    }
    let named = run("broken", "192.0.2.20:https");
    assert_eq!(named.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&named.stderr).contains("an address's port is a number"));
}
