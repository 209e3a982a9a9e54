//! The test-bed suite: kubedrill's live path against a real Kubernetes control plane
//! (kube-apiserver, etcd, kube-controller-manager and kube-scheduler built from source, kwok
//! giving nodes and pods their status), started by `tests/testbed/test.sh` (`just
//! testbed-test`, `.ci/run`).
//!
//! A plain `cargo test` ignores every test here: without the test bed they cannot run, and
//! they are never reported as passed. Run with `--ignored` and no test bed, each one fails and
//! says how to start it. Traffic is judged with `--probes predict` (the test bed has no pod
//! network); what the test bed cannot judge at all is listed in [`UNJUDGED`] with the reason,
//! and everything else in a scenario is asserted.

// The suite reports what it measured (times, request counts) on stderr, into the CI log.
#![allow(clippy::print_stderr)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::Value;

mod bed;
use bed::{Bed, bed, catalogue, code, describe, text};

impl Bed {
    /// From now on, what the audit log records.
    fn audit_mark(&self) -> Audit {
        let start = std::fs::metadata(&self.audit).map_or(0, |m| m.len());
        Audit {
            path: self.audit.clone(),
            start,
        }
    }
}

/// The part of the API server's audit log written after a mark.
struct Audit {
    path: PathBuf,
    start: u64,
}

/// One request, as the audit log recorded it.
#[derive(Debug)]
struct Request {
    verb: String,
    resource: String,
    namespace: Option<String>,
    name: Option<String>,
    code: i64,
}

const MUTATING: [&str; 6] = ["create", "update", "patch", "delete", "deletecollection", "apply"];

impl Request {
    fn mutating(&self) -> bool {
        MUTATING.contains(&self.verb.as_str())
    }
}

impl Audit {
    /// Every request kubedrill sent since the mark (its user agent is `kubedrill/<version>`).
    fn kubedrill(&self) -> Vec<Request> {
        let mut file = std::fs::File::open(&self.path).expect("audit log");
        file.seek(SeekFrom::Start(self.start)).expect("seek");
        let mut log = String::new();
        file.read_to_string(&mut log).expect("read audit log");
        log.lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|e| e["userAgent"].as_str().is_some_and(|ua| ua.starts_with("kubedrill/")))
            .map(|e| {
                let s = |v: &Value| v.as_str().map(str::to_owned);
                Request {
                    verb: s(&e["verb"]).unwrap_or_default(),
                    resource: s(&e["objectRef"]["resource"]).unwrap_or_default(),
                    namespace: s(&e["objectRef"]["namespace"]),
                    name: s(&e["objectRef"]["name"]),
                    code: e["responseStatus"]["code"].as_i64().unwrap_or(0),
                }
            })
            .collect()
    }
}

/// Scenarios the test bed cannot host at all, with the reason. Every other catalogue scenario
/// is run.
const NOT_HOSTED: [(&str, &str); 2] = [
    (
        "flannel-cni-broken",
        "its setup runs node-exec steps (removes the CNI config file inside kind's node containers); test-bed nodes are kwok's, with no container to exec into",
    ),
    (
        "ingress-misrouted",
        "needs the ingress-nginx controller, which kubedrill downloads on first use; this machine reaches no release host",
    ),
];

/// Checks whose verdict on the test bed differs from a real cluster's: (scenario or `*`,
/// stage or `*`, check id or grader, the verdict seen here, why). Everything not listed is
/// asserted. The suite fails when an entry is never seen, so the table stays true.
const UNJUDGED: [(&str, &str, &str, &str, &str); 7] = [
    (
        "*",
        "*",
        "http",
        "not-evaluated",
        "an HTTP check whose connection is predicted to succeed: the status code and body need a real answer from the backend (so does whether anything listens on a numeric targetPort: service-wrong-targetport's broken state shows only here)",
    ),
    (
        "intra-pod-port-conflict",
        "broken",
        "pods-ready",
        "pass",
        "kwok marks every pod Ready; on kind the second container cannot bind its port and crash-loops",
    ),
    (
        "readiness-probe-failing",
        "broken",
        "canary-ready",
        "pass",
        "kwok ignores readiness probes and marks every pod Ready; a real kubelet runs the failing probe",
    ),
    (
        "readiness-probe-failing",
        "broken",
        "three-ready-endpoints",
        "pass",
        "the canary pod is Ready under kwok, so its endpoint is ready too",
    ),
    (
        "coredns-corefile-error",
        "shortcut restart-only",
        "coredns-rolled-out",
        "pass",
        "kwok marks the restarted CoreDNS pods Ready; on kind they crash-loop on the broken Corefile",
    ),
    (
        "kube-proxy-broken",
        "shortcut restart-kube-proxy",
        "kube-proxy-rolled-out",
        "pass",
        "kwok marks the restarted kube-proxy pods Ready; on kind they exit on the missing --config file",
    ),
    (
        "incident-checkout-payment",
        "shortcut checkout-flow-only",
        "payment-pods-ready",
        "pass",
        "payment's readiness probe calls its database, which the shortcut leaves blocked; kwok marks the pods Ready without probing",
    ),
];

fn unjudged_row(scenario: &str, stage: &str, check: &str, grader: &str, verdict: &str) -> Option<usize> {
    UNJUDGED.iter().position(|(s, st, c, v, _)| {
        (*s == "*" || *s == scenario) && (*st == "*" || *st == stage) && (*c == check || *c == grader) && *v == verdict
    })
}

/// The profiles `tests/testbed/test.sh` starts a test bed for, one after the other; each runs
/// the scenarios of its profile.
const BED_PROFILES: [&str; 2] = ["kindnet", "calico"];

/// The running test bed's profile (`up.sh --profile`, exported by its `env.sh`).
fn bed_profile() -> String {
    std::env::var("KUBEDRILL_TESTBED_PROFILE").unwrap_or_else(|_| "kindnet".to_owned())
}

fn profile_of(id: &str) -> String {
    let scenario = kubedrill::catalogue::resolve(id, None).expect("scenario");
    scenario.file.cluster.profile.to_string()
}

/// The scenarios this test bed runs: every hosted one of its profile.
fn hosted() -> Vec<String> {
    let profile = bed_profile();
    catalogue()
        .into_iter()
        .filter(|id| !NOT_HOSTED.iter().any(|(n, _)| n == id))
        .filter(|id| profile_of(id) == profile)
        .collect()
}

/// Whether an `UNJUDGED` row must be seen on this bed: its scenario runs here, or (`*`) some
/// scenario that runs here has a check of that id or grader.
fn expected_here(row: &(&str, &str, &str, &str, &str), hosted: &[String]) -> bool {
    let (scenario, _, check, _, _) = row;
    if *scenario != "*" {
        return hosted.iter().any(|id| id == scenario);
    }
    hosted.iter().any(|id| {
        rendered(id, 1, None)
            .checks
            .iter()
            .any(|c| c.id == *check || serde_json::to_value(&c.spec).is_ok_and(|v| v["grader"] == *check))
    })
}

fn rendered(id: &str, seed: u64, prefix: Option<&str>) -> kubedrill::scenario::Rendered {
    let scenario = kubedrill::catalogue::resolve(id, None).expect("scenario");
    kubedrill::catalogue::render_for(&scenario, seed, prefix).expect("renders")
}

/// Every catalogue scenario of the bed's profile that the test bed can host, seeds 1 and 2,
/// through `scenario verify` on the real API server: set up broken (kubedrill's own apply,
/// waits, breakage and its verify-broken), graded failing; the reference solution through
/// kubedrill's step runner, graded passing; every shortcut from broken, failing the checks it
/// names; every alternative fix from broken, graded passing; reset between stages (namespaces
/// really gone). Traffic checks are predicted from the live state.
#[test]
#[ignore = "needs the real control-plane test bed: just testbed-test"]
fn every_hosted_scenario_behaves_on_a_real_api_server() {
    let bed = bed();
    let home = tempfile::tempdir().expect("home");
    seed_gateway_api_crds(home.path());
    let mut problems = Vec::new();
    let mut seen_unjudged = BTreeSet::new();
    let mut times = Vec::new();
    for (id, why) in NOT_HOSTED {
        let yaml = std::fs::read_to_string(format!("{}/scenarios/{id}/scenario.yaml", env!("CARGO_MANIFEST_DIR")))
            .expect("not-hosted scenario exists");
        assert!(!yaml.is_empty(), "{id}");
        eprintln!("not hosted: {id}: {why}");
    }
    for id in catalogue() {
        let profile = profile_of(&id);
        assert!(
            NOT_HOSTED.iter().any(|(n, _)| *n == id) || BED_PROFILES.contains(&profile.as_str()),
            "{id}: no test bed runs the {profile} profile (BED_PROFILES), and NOT_HOSTED does not say why"
        );
    }
    let hosted = hosted();
    eprintln!("test bed profile {}: {} scenarios", bed_profile(), hosted.len());
    assert!(!hosted.is_empty(), "no scenario of profile {}", bed_profile());
    for id in hosted.clone() {
        for seed in [1_u64, 2] {
            let started = Instant::now();
            let seed_text = seed.to_string();
            let out = bed.on_bed(
                home.path(),
                &["scenario", "verify", &id, "--seed", &seed_text, "-o", "json"],
            );
            times.push((id.clone(), seed, started.elapsed().as_secs_f64()));
            let Ok(stages) = serde_json::from_slice::<Vec<Value>>(&out.stdout) else {
                problems.push(format!("{id} seed {seed}: no stages: {}", describe(&out)));
                continue;
            };
            let shortcuts = rendered(&id, seed, None).shortcuts;
            for stage in &stages {
                judge_stage(&id, stage, &shortcuts, &mut problems, &mut seen_unjudged);
            }
        }
    }
    for (id, seed, secs) in &times {
        eprintln!("verify {id} seed {seed}: {secs:.1} s (setup, grade and reset for every stage)");
    }
    for (row, entry @ (scenario, stage, check, _, why)) in UNJUDGED.iter().enumerate() {
        if !seen_unjudged.contains(&row) && expected_here(entry, &hosted) {
            problems.push(format!(
                "UNJUDGED lists {scenario} {stage} {check} ({why}), but the test bed judged it as a real cluster would: remove the entry"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// What a stage must show: broken fails at least one judged check; the solution and every
/// alternative fix pass every judged check; a shortcut fails every check it names.
fn judge_stage(
    id: &str,
    stage: &Value,
    shortcuts: &[kubedrill::scenario::render::Shortcut],
    problems: &mut Vec<String>,
    seen: &mut BTreeSet<usize>,
) {
    let name = stage["name"].as_str().unwrap_or_default();
    let kind = name.split(' ').next().unwrap_or_default();
    let mut verdicts = BTreeMap::new();
    for check in stage["checks"].as_array().into_iter().flatten() {
        let check_id = check["id"].as_str().unwrap_or_default().to_owned();
        let verdict = check["verdict"].as_str().unwrap_or_default().to_owned();
        verdicts.insert(
            check_id,
            (verdict, check["message"].as_str().unwrap_or_default().to_owned()),
        );
    }
    let mut judged = BTreeMap::new();
    let mut unjudged_here = 0;
    for check in stage["checks"].as_array().into_iter().flatten() {
        let check_id = check["id"].as_str().unwrap_or_default();
        let grader = check["grader"].as_str().unwrap_or_default();
        let (verdict, message) = &verdicts[check_id];
        // A row applies only while the test bed shows the verdict it names; any other verdict
        // is judged like the rest (and a row never seen fails the suite).
        match unjudged_row(id, name, check_id, grader, verdict) {
            Some(row) => {
                seen.insert(row);
                unjudged_here += 1;
            }
            None => {
                judged.insert(check_id.to_owned(), (verdict.clone(), message.clone()));
            }
        }
    }
    match kind {
        "broken" => {
            // Broken must show: a judged check fails, or the symptom is one the test bed
            // cannot show (an UNJUDGED row applied here).
            if !judged.values().any(|(v, _)| v == "fail") && unjudged_here == 0 {
                problems.push(format!("{id} broken: no judged check fails: {verdicts:?}"));
            }
        }
        "solution" | "alternative" => {
            for (check, (verdict, message)) in &judged {
                if verdict != "pass" {
                    problems.push(format!("{id} {name}: {check} is {verdict}: {message}"));
                }
            }
        }
        "shortcut" => {
            let shortcut_id = name.trim_start_matches("shortcut ");
            let Some(shortcut) = shortcuts.iter().find(|s| s.id == shortcut_id) else {
                problems.push(format!("{id}: unknown stage {name}"));
                return;
            };
            for check in &shortcut.fails {
                match judged.get(check) {
                    Some((verdict, _)) if verdict == "fail" => {}
                    Some((verdict, message)) => {
                        problems.push(format!("{id} {name}: {check} must fail but is {verdict}: {message}"));
                    }
                    None if verdicts.contains_key(check) => {}
                    None => problems.push(format!("{id} {name}: no verdict for {check}")),
                }
            }
        }
        other => problems.push(format!("{id}: unexpected stage {other}")),
    }
}

/// `cluster reset --kubeconfig` after scenarios that change kube-system: the scenario
/// namespaces are really gone (finalized, not just terminating) and every kube-system
/// Deployment, DaemonSet, ConfigMap and Service spec is as it was before.
#[test]
#[ignore = "needs the real control-plane test bed: just testbed-test"]
fn reset_leaves_the_cluster_as_before() {
    let bed = bed();
    let home = tempfile::tempdir().expect("home");
    let before = kube_system(&bed);
    for id in ["coredns-corefile-error", "kube-proxy-broken"] {
        let out = bed.on_bed(home.path(), &["cluster", "setup", id, "--seed", "3"]);
        assert_eq!(code(&out), 0, "{id}: {}", describe(&out));
    }
    assert_ne!(
        kube_system(&bed),
        before,
        "the scenarios changed nothing in kube-system"
    );
    let started = Instant::now();
    bed.reset(home.path());
    eprintln!("cluster reset --kubeconfig: {:.1} s", started.elapsed().as_secs_f64());
    let namespaces = bed.kubectl_json(&["get", "namespaces"]);
    let left: Vec<&str> = namespaces["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|ns| !ns["metadata"]["annotations"]["kubedrill.dev/scenario"].is_null())
        .filter_map(|ns| ns["metadata"]["name"].as_str())
        .collect();
    assert!(left.is_empty(), "scenario namespaces left: {left:?}");
    assert_eq!(kube_system(&bed), before);
}

/// kube-system's Deployments, DaemonSets, ConfigMaps and Services: name -> spec (data for
/// ConfigMaps).
fn kube_system(bed: &Bed) -> BTreeMap<String, Value> {
    let list = bed.kubectl_json(&["-n", "kube-system", "get", "deployments,daemonsets,configmaps,services"]);
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            let key = format!(
                "{}/{}",
                o["kind"].as_str().unwrap_or("?"),
                o["metadata"]["name"].as_str().unwrap_or("?")
            );
            let body = if o["kind"] == "ConfigMap" {
                o["data"].clone()
            } else {
                o["spec"].clone()
            };
            (key, body)
        })
        .collect()
}

/// Puts kubedrill's ownership label back on every node when dropped, whatever the test did.
struct Relabel<'b>(&'b Bed);

impl Drop for Relabel<'_> {
    fn drop(&mut self) {
        let _ = self.0.kubectl(&[
            "label",
            "node",
            "--all",
            "--overwrite",
            "kubedrill.dev/cluster=kubedrill-kindnet",
        ]);
    }
}

/// On a cluster whose nodes lack kubedrill's label, every writing command is refused (exit 2)
/// and the audit log shows no mutating request from kubedrill at all; with
/// `--allow-foreign-cluster` kubedrill writes only inside the scenario's namespace, and a
/// scenario that changes kube-system is still refused without a write.
#[test]
#[ignore = "needs the real control-plane test bed: just testbed-test"]
fn a_foreign_cluster_gets_no_write_from_kubedrill() {
    let bed = bed();
    let home = tempfile::tempdir().expect("home");
    let relabel = Relabel(&bed);
    bed.kubectl_ok(&["label", "node", "--all", "kubedrill.dev/cluster-"]);
    let audit = bed.audit_mark();
    let kubeconfig = bed.kubeconfig.display().to_string();
    let refused: [&[&str]; 4] = [
        &["cluster", "setup", "service-wrong-selector", "--seed", "4"],
        &["scenario", "verify", "service-wrong-selector", "--seed", "4"],
        &["start", "service-wrong-selector", "--seed", "4", "--detach"],
        &["cluster", "reset"],
    ];
    for args in refused {
        let mut all = args.to_vec();
        all.extend(["--kubeconfig", &kubeconfig]);
        let out = bed.kubedrill(home.path(), &all);
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("hint:")
                && (stderr.contains("not created by kubedrill") || stderr.contains("allow-foreign-cluster")),
            "{args:?}: {}",
            describe(&out)
        );
        assert_eq!(code(&out), 2, "{args:?}: {}", describe(&out));
    }
    let requests = audit.kubedrill();
    assert!(
        !requests.is_empty(),
        "kubedrill sent nothing at all: is the audit log written?"
    );
    let writes: Vec<&Request> = requests.iter().filter(|r| r.mutating()).collect();
    assert!(writes.is_empty(), "mutating requests to a foreign cluster: {writes:#?}");
    eprintln!("foreign cluster, refused: {} read requests, 0 writes", requests.len());

    // With the opt-in: only the scenario's namespace is written to.
    let audit = bed.audit_mark();
    let out = bed.on_bed(
        home.path(),
        &[
            "cluster",
            "setup",
            "service-wrong-selector",
            "--seed",
            "4",
            "--allow-foreign-cluster",
        ],
    );
    assert_eq!(code(&out), 0, "{}", describe(&out));
    let namespace = rendered("service-wrong-selector", 4, None).params["namespace"]
        .as_str()
        .expect("namespace param")
        .to_owned();
    let writes: Vec<Request> = audit.kubedrill().into_iter().filter(Request::mutating).collect();
    assert!(!writes.is_empty(), "setup wrote nothing");
    for write in &writes {
        let inside = write.namespace.as_deref() == Some(namespace.as_str())
            || (write.resource == "namespaces" && write.name.as_deref() == Some(namespace.as_str()));
        assert!(inside, "a write outside `{namespace}`: {write:?}");
    }
    eprintln!(
        "foreign cluster, --allow-foreign-cluster: {} writes, all in {namespace}",
        writes.len()
    );
    let audit = bed.audit_mark();
    let out = bed.on_bed(
        home.path(),
        &[
            "cluster",
            "setup",
            "coredns-corefile-error",
            "--seed",
            "4",
            "--allow-foreign-cluster",
        ],
    );
    assert_eq!(code(&out), 2, "{}", describe(&out));
    let system: Vec<Request> = audit
        .kubedrill()
        .into_iter()
        .filter(|r| r.mutating() && r.namespace.as_deref() == Some("kube-system"))
        .collect();
    assert!(
        system.is_empty(),
        "kube-system written on a foreign cluster: {system:?}"
    );
    drop(relabel);
    bed.reset(home.path());
}

/// One live grade lists exactly what its checks need: one list per kind and namespace (plus
/// the one ownership read), counted from the audit log, for every hosted scenario.
#[test]
#[ignore = "needs the real control-plane test bed: just testbed-test"]
fn one_grade_sends_one_list_per_kind_and_namespace() {
    let bed = bed();
    let home = tempfile::tempdir().expect("home");
    seed_gateway_api_crds(home.path());
    let mut problems = Vec::new();
    for id in hosted() {
        let out = bed.on_bed(home.path(), &["cluster", "setup", &id, "--seed", "5"]);
        assert_eq!(code(&out), 0, "{id}: {}", describe(&out));
        let rendered = rendered(&id, 5, None);
        let mut needs = graders::needs::Needs::for_prediction(&rendered.checks);
        // What the first look sees leads further (graders::needs::follow_ups): an ExternalName
        // into the namespace it names, a selectorless Service's slice to pods in any namespace.
        // The simulated setup (slices filled with its pods' IPs) stands for that first look.
        let follow = graders::needs::follow_ups(&first_look(&rendered, &needs.lists), &needs.lists);
        // A namespaced list that a cluster-wide follow-up covers is sent on the first look only.
        let superseded: BTreeSet<(String, Option<String>)> = needs
            .lists
            .iter()
            .filter(|(kind, ns)| ns.is_some() && follow.contains(&(*kind, None)))
            .map(|(kind, ns)| (plural(*kind), ns.clone()))
            .collect();
        needs.lists.extend(follow);
        let audit = bed.audit_mark();
        let started = Instant::now();
        let out = bed.on_bed(home.path(), &["grade", "--scenario", &id, "--seed", "5", "-o", "json"]);
        let elapsed = started.elapsed().as_secs_f64();
        assert!(matches!(code(&out), 0 | 1), "{id}: {}", describe(&out));
        let requests = audit.kubedrill();
        let reads = requests.iter().filter(|r| r.verb == "list" || r.verb == "get").count();
        let writes = requests.iter().filter(|r| r.mutating()).count();
        // Opening the cluster sends one ownership read (the node list: kubedrill's labels).
        // Then each look lists exactly what the checks need, once per (kind, namespace); a
        // grade looks again while timed state checks settle (graders::settle), so every
        // needed list is sent the same number of times, `looks`, and nothing else is read.
        let ownership_first = requests
            .first()
            .is_some_and(|r| r.verb == "list" && r.resource == "nodes" && r.namespace.is_none());
        let mut counts: BTreeMap<(String, Option<String>), usize> = BTreeMap::new();
        for r in requests.iter().skip(1).filter(|r| r.verb == "list" || r.verb == "get") {
            *counts.entry((r.resource.clone(), r.namespace.clone())).or_default() += 1;
        }
        let wanted: BTreeSet<(String, Option<String>)> = needs
            .lists
            .iter()
            .map(|(kind, ns)| (plural(*kind), ns.clone()))
            .collect();
        let looks = counts.values().copied().max().unwrap_or(0);
        let exact = counts.keys().cloned().collect::<BTreeSet<_>>() == wanted
            && counts
                .iter()
                .all(|(list, n)| *n == if superseded.contains(list) { 1 } else { looks });
        eprintln!(
            "grade {id}: {reads} list/get requests (1 ownership read + {looks} look(s) x {} lists), {writes} writes, {elapsed:.2} s",
            needs.lists.len()
        );
        if !ownership_first
            || looks == 0
            || !exact
            || reads != 1 + looks * (wanted.len() - superseded.len()) + superseded.len()
            || writes != 0
            || requests.iter().any(|r| r.code >= 400)
        {
            problems.push(format!(
                "{id}: ownership read first: {ownership_first}; lists sent after it {counts:?}; needed {wanted:?}, each once per look; {writes} write(s)"
            ));
        }
        bed.reset(home.path());
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// What a grade's first look at `rendered`'s setup lists: its simulated state (from the setup
/// manifests when the simulation cannot model the setup), cut to `lists`.
fn first_look(
    rendered: &kubedrill::scenario::Rendered,
    lists: &BTreeSet<graders::needs::ListRequest>,
) -> graders::state::ClusterState {
    let full = kubedrill::scenario::lint::simulated(rendered, &[]).map_or_else(
        || {
            graders::state::ClusterState::from_objects(rendered.setup_objects().map(|m| m.object.clone()))
                .expect("setup objects")
        },
        |(_, observation)| observation.state,
    );
    let mut state = full;
    state.retain_listed(lists);
    state
}

/// The API's resource name for `kind`, as the audit log records it.
fn plural(kind: graders::target::ObjectKind) -> String {
    kubedrill::cluster::kinds::of(kind).resource.plural
}

/// The learner's fix for service-wrong-selector, done with kubectl as a learner would.
fn fix_selector(bed: &Bed, id_seed: u64, prefix: Option<&str>) {
    let params = rendered("service-wrong-selector", id_seed, prefix).params;
    let (namespace, app) = (
        params["namespace"].as_str().expect("ns"),
        params["app"].as_str().expect("app"),
    );
    let patch = format!(r#"{{"spec":{{"selector":{{"app":"{app}"}}}}}}"#);
    bed.kubectl_ok(&[
        "-n", namespace, "patch", "service", app, "--type", "merge", "-p", &patch,
    ]);
}

/// Classroom grading on one shared cluster: three students' namespace prefixes (one fixed
/// their copy) and one unreachable kubeconfig; rows, exit code and JUnit checked.
#[test]
#[ignore = "needs the real control-plane test bed: just testbed-test"]
fn classroom_batch_grades_three_students_and_an_unreachable_one() {
    let bed = bed();
    let home = tempfile::tempdir().expect("home");
    for student in ["alice", "bob", "carol"] {
        let out = bed.on_bed(
            home.path(),
            &[
                "cluster",
                "setup",
                "service-wrong-selector",
                "--seed",
                "6",
                "--namespace-prefix",
                student,
            ],
        );
        assert_eq!(code(&out), 0, "{student}: {}", describe(&out));
    }
    fix_selector(&bed, 6, Some("bob"));
    let dir = home.path();
    std::fs::write(
        dir.join("dave.kubeconfig"),
        "apiVersion: v1\nkind: Config\nclusters: [{name: a, cluster: {server: 'https://127.0.0.1:1'}}]\ncontexts: [{name: a, context: {cluster: a, user: u}}]\ncurrent-context: a\nusers: [{name: u, user: {token: t}}]\n",
    )
    .expect("kubeconfig");
    let k = bed.kubeconfig.display();
    std::fs::write(
        dir.join("roster.yaml"),
        format!(
            "scenario: service-wrong-selector\nseed: 6\nstudents:\n  - {{name: alice, kubeconfig: {k}, namespacePrefix: alice}}\n  - {{name: bob, kubeconfig: {k}, namespacePrefix: bob}}\n  - {{name: carol, kubeconfig: {k}, namespacePrefix: carol}}\n  - {{name: dave, kubeconfig: dave.kubeconfig, namespacePrefix: dave}}\n"
        ),
    )
    .expect("roster");
    let roster = dir.join("roster.yaml").display().to_string();
    let out = bed.kubedrill(
        home.path(),
        &["grade", "--batch", &roster, "-o", "junit", "--probes", "predict"],
    );
    assert_eq!(
        code(&out),
        3,
        "an unreachable student makes the batch exit 3: {}",
        describe(&out)
    );
    let junit = junit_parser::from_reader(std::io::Cursor::new(out.stdout.clone())).expect("JUnit parses");
    let mut verdicts = BTreeMap::new();
    for suite in &junit.suites {
        for case in &suite.cases {
            let status = if case.status.is_success() {
                "pass"
            } else if case.status.is_skipped() {
                "not judged"
            } else if case.status.is_error() {
                "error"
            } else {
                "fail"
            };
            let student = ["alice", "bob", "carol", "dave"]
                .into_iter()
                .find(|s| {
                    suite.name.contains(s)
                        || case.name.contains(s)
                        || case.classname.as_deref().is_some_and(|c| c.contains(s))
                })
                .unwrap_or("?");
            verdicts.entry(student).or_insert_with(BTreeSet::new).insert(status);
        }
    }
    assert!(
        !verdicts.contains_key("?"),
        "a case names no student: {}",
        text(&out.stdout)
    );
    // bob's HTTP check is predicted to connect, so its answer is "not judged" (skipped).
    assert!(
        verdicts["bob"].contains("pass") && !verdicts["bob"].contains("fail") && !verdicts["bob"].contains("error"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        verdicts["alice"].contains("fail") && verdicts["carol"].contains("fail"),
        "{verdicts:?}"
    );
    assert!(verdicts["dave"].contains("error"), "{verdicts:?}");
    bed.reset(home.path());
}

/// The practice loop on a cluster you own: `start --kubeconfig` sets the task up broken,
/// `check` fails, the learner fixes it with kubectl, `submit` passes and `history` has it.
#[test]
#[ignore = "needs the real control-plane test bed: just testbed-test"]
fn practice_loop_on_a_cluster_you_own() {
    let bed = bed();
    let home = tempfile::tempdir().expect("home");
    let out = bed.on_bed(
        home.path(),
        &["start", "service-wrong-selector", "--seed", "7", "--detach"],
    );
    assert_eq!(code(&out), 0, "{}", describe(&out));
    let out = bed.kubedrill(home.path(), &["check", "--probes", "predict"]);
    assert_eq!(code(&out), 0, "{}", describe(&out));
    assert!(
        text(&out.stdout).contains("NOT PASSED"),
        "broken, so below the pass mark: {}",
        describe(&out)
    );
    fix_selector(&bed, 7, None);
    let out = bed.kubedrill(home.path(), &["submit", "--probes", "predict"]);
    assert_eq!(code(&out), 0, "fixed, so passed: {}", describe(&out));
    let out = bed.kubedrill(home.path(), &["history", "-o", "json"]);
    let history: Value = serde_json::from_slice(&out.stdout).expect("history json");
    let text = history.to_string();
    assert!(text.contains("service-wrong-selector"), "{text}");
    bed.reset(home.path());
}

/// Exec into a pod of two containers reaches the container kubectl would choose: the one the
/// `kubectl.kubernetes.io/default-container` annotation names, else the first. (The API
/// server refuses exec into such a pod when no container is named.) kwok runs the command on
/// this machine and tells it which container it was sent to (tests/testbed/kwok/exec.yaml).
#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the real control-plane test bed: just testbed-test"]
async fn exec_reaches_the_default_container_of_a_two_container_pod() {
    let bed = bed();
    let namespace = "kubedrill-exec-test";
    let _ = bed.kubectl(&["create", "namespace", namespace]);
    let pod = |name: &str, annotation: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {namespace}\n  annotations: {{{annotation}}}\nspec:\n  containers:\n  - {{name: app, image: agnhost}}\n  - {{name: sidecar, image: agnhost}}\n"
        )
    };
    let manifests = format!(
        "{}---\n{}",
        pod("plain", ""),
        pod("annotated", "kubectl.kubernetes.io/default-container: sidecar")
    );
    let file = tempfile::NamedTempFile::new().expect("file");
    std::fs::write(file.path(), manifests).expect("write");
    bed.kubectl_ok(&["apply", "-f", &file.path().display().to_string()]);
    bed.kubectl_ok(&[
        "-n",
        namespace,
        "wait",
        "--for=condition=Ready",
        "pod",
        "--all",
        "--timeout=60s",
    ]);
    let live = kubedrill::cluster::live::Live::open(&bed.kubeconfig, None, None, false)
        .await
        .expect("connects");
    let plain = live
        .exec(namespace, "plain", "echo $KUBEDRILL_CONTAINER")
        .await
        .expect("exec");
    let annotated = live
        .exec(namespace, "annotated", "echo $KUBEDRILL_CONTAINER")
        .await
        .expect("exec");
    // Output that is not UTF-8 (a byte cut mid-character) must not lose the whole output.
    let bytes = live.exec(namespace, "plain", "printf 'ok \\303'").await;
    let _ = bed.kubectl(&["delete", "namespace", namespace, "--wait=false"]);
    assert_eq!(plain.trim(), "app");
    assert_eq!(annotated.trim(), "sidecar");
    assert!(bytes.as_deref().is_ok_and(|o| o.starts_with("ok ")), "{bytes:?}");
}

/// Connect the library to the test bed (an owned cluster: its nodes carry kubedrill's label).
async fn live(bed: &Bed) -> kubedrill::cluster::live::Live {
    kubedrill::cluster::live::Live::open(&bed.kubeconfig, None, Some("kubedrill-kindnet"), false)
        .await
        .expect("connects")
        .with_probes(kubedrill::cluster::live::ProbeMode::Predict)
}

/// Namespace deletion is asynchronous: creating into a terminating namespace answers 403, so
/// kubedrill waits until its namespaces are gone. A second delete of a terminating namespace is
/// not an error (kube-apiserver 1.36.3 answers it 200; kubedrill also takes 409 and 404 as
/// "already going"); waiting names what keeps it (here a finalizer on a ConfigMap inside) when it
/// does not go in time, and returns once it is gone.
#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the real control-plane test bed: just testbed-test"]
async fn a_terminating_namespace_is_waited_for_not_an_error() {
    let bed = bed();
    let name = "kubedrill-terminating-test";
    let file = tempfile::NamedTempFile::new().expect("file");
    std::fs::write(
        file.path(),
        format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: held, namespace: {name}, finalizers: [kubedrill.dev/test-hold]}}\n"),
    )
    .expect("write");
    bed.kubectl_ok(&["apply", "-f", &file.path().display().to_string()]);
    bed.kubectl_ok(&["delete", "namespace", name, "--wait=false"]);
    let live = live(&bed).await;
    // A second delete while it terminates; kubedrill goes on.
    live.delete_namespace(name)
        .await
        .expect("a terminating namespace is not an error");
    let stuck = live
        .await_namespaces_gone(&[name.to_owned()], std::time::Duration::from_secs(3))
        .await
        .expect_err("held by the finalizer");
    let message = format!("{stuck} {}", stuck.hints().join(" "));
    assert!(message.contains(name) && message.contains("Terminating"), "{message}");
    bed.kubectl_ok(&[
        "-n",
        name,
        "patch",
        "configmap",
        "held",
        "--type",
        "merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ]);
    live.await_namespaces_gone(&[name.to_owned()], std::time::Duration::from_secs(60))
        .await
        .expect("gone once the finalizer is removed");
}

/// A DaemonSet made to schedule nowhere (flannel-cni-broken's breakage) reports
/// `desiredNumberScheduled: 0` from the real DaemonSet controller, so waiting for its rollout
/// can never succeed: the scenario waits for its pods to be gone instead.
#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the real control-plane test bed: just testbed-test"]
async fn a_daemon_set_scheduled_nowhere_is_waited_for_by_its_pods() {
    use kubedrill::scenario::step::WaitStep;
    let bed = bed();
    let namespace = "kubedrill-ds-test";
    let _ = bed.kubectl(&["create", "namespace", namespace]);
    let file = tempfile::NamedTempFile::new().expect("file");
    std::fs::write(
        file.path(),
        format!("apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: agent, namespace: {namespace}}}\nspec:\n  selector: {{matchLabels: {{app: agent}}}}\n  template:\n    metadata: {{labels: {{app: agent}}}}\n    spec:\n      tolerations: [{{operator: Exists}}]\n      containers: [{{name: agent, image: agnhost}}]\n"),
    )
    .expect("write");
    bed.kubectl_ok(&["apply", "-f", &file.path().display().to_string()]);
    bed.kubectl_ok(&["-n", namespace, "rollout", "status", "daemonset/agent", "--timeout=60s"]);
    bed.kubectl_ok(&[
        "-n",
        namespace,
        "patch",
        "daemonset",
        "agent",
        "--type",
        "strategic",
        "-p",
        r#"{"spec":{"template":{"spec":{"nodeSelector":{"kubedrill.dev/network":"nowhere"}}}}}"#,
    ]);
    let live = live(&bed).await;
    let target = graders::target::ObjectRef {
        kind: graders::target::ObjectKind::DaemonSet,
        name: "agent".to_owned(),
        namespace: Some(namespace.to_owned()),
    };
    let gone = WaitStep {
        rollout: None,
        deleted: None,
        pods_ready: None,
        pods_gone: Some(graders::target::PodSet {
            namespace: namespace.to_owned(),
            selector: graders::selector::LabelSelector::from_labels([("app".to_owned(), "agent".to_owned())].into()),
        }),
        timeout: Some(graders::Duration::from_secs(60)),
    };
    live.wait(&gone).await.expect("the pods go");
    let rollout = WaitStep {
        rollout: Some(target),
        pods_gone: None,
        timeout: Some(graders::Duration::from_secs(5)),
        ..gone
    };
    let never = live.wait(&rollout).await.expect_err("no rollout with 0 desired");
    let _ = bed.kubectl(&["delete", "namespace", namespace, "--wait=false"]);
    assert!(format!("{never}").contains("timed out"), "{never}");
    let desired = bed.kubectl_json(&["-n", namespace, "get", "daemonset", "agent"]);
    assert_eq!(desired["status"]["desiredNumberScheduled"], 0, "{desired}");
}

/// `cluster up`'s canary on a cluster with a learner's scenario namespace: it waits for a Ready
/// server on every node, and removes only its own namespace afterwards.
#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the real control-plane test bed: just testbed-test"]
async fn the_canary_leaves_scenario_namespaces_alone() {
    let bed = bed();
    let home = tempfile::tempdir().expect("home");
    let out = bed.on_bed(
        home.path(),
        &["cluster", "setup", "service-wrong-selector", "--seed", "8"],
    );
    assert_eq!(code(&out), 0, "{}", describe(&out));
    let namespace = rendered("service-wrong-selector", 8, None).params["namespace"]
        .as_str()
        .expect("namespace")
        .to_owned();
    let live = live(&bed).await;
    live.canary(false).await.expect("the canary passes (predicted traffic)");
    let namespaces = bed.kubectl_ok(&["get", "namespaces", "-o", "name"]);
    assert!(namespaces.contains(&format!("namespace/{namespace}")), "{namespaces}");
    assert!(!namespaces.contains("namespace/kubedrill-canary"), "{namespaces}");
    bed.reset(home.path());
}

/// A throwaway CA and a serving certificate for 127.0.0.1 signed by it, made with openssl in
/// `dir`: (CA certificate as base64 for `caBundle`, certificate path, key path).
fn webhook_certificates(dir: &Path) -> (String, PathBuf, PathBuf) {
    let openssl = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .output()
            .expect("openssl runs");
        assert!(out.status.success(), "openssl {args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    let subject = "/CN=kubedrill-test-webhook-ca";
    openssl(&[
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", subject, "-keyout", "ca.key", "-out",
        "ca.crt",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "tls.key",
        "-out",
        "tls.csr",
    ]);
    std::fs::write(
        dir.join("tls.ext"),
        "subjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth\n",
    )
    .expect("ext");
    openssl(&[
        "x509",
        "-req",
        "-in",
        "tls.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        "tls.ext",
        "-out",
        "tls.crt",
    ]);
    let bundle = openssl(&["base64", "-A", "-in", "ca.crt"]);
    (bundle.trim().to_owned(), dir.join("tls.crt"), dir.join("tls.key"))
}

/// `tests/testbed/webhook.py` serving HTTPS on 127.0.0.1, and its `MutatingWebhookConfiguration`
/// while registered. Dropping it deletes the configuration and stops the server (closing its
/// stdin, then killing the one process the test started).
struct Webhook<'b> {
    bed: &'b Bed,
    server: std::process::Child,
    port: u16,
    bundle: String,
    log: PathBuf,
}

const WEBHOOK_CONFIG: &str = "kubedrill-test-probe-tamper";

impl<'b> Webhook<'b> {
    fn start(bed: &'b Bed, dir: &Path) -> Self {
        use std::io::BufRead;
        let (bundle, cert, key) = webhook_certificates(dir);
        let log = dir.join("webhook.log");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testbed/webhook.py");
        let mut server = std::process::Command::new("python3")
            .arg(script)
            .args([&cert, &key, &log])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 runs the webhook");
        let mut first = String::new();
        let stdout = server.stdout.take().expect("stdout");
        std::io::BufReader::new(stdout)
            .read_line(&mut first)
            .expect("port line");
        let port = first
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("webhook port: {first:?}"));
        Self {
            bed,
            server,
            port,
            bundle,
            log,
        }
    }

    /// Register the webhook at `path` for Pods created in `namespace`, and wait until the API
    /// server calls it (a server-side dry run of an annotated pod comes back rewritten).
    fn register(&self, path: &str, namespace: &str) {
        let config = format!(
            "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata: {{name: {WEBHOOK_CONFIG}}}\nwebhooks:\n- name: tamper.kubedrill.test\n  admissionReviewVersions: [v1]\n  sideEffects: None\n  failurePolicy: Fail\n  timeoutSeconds: 5\n  clientConfig: {{url: 'https://127.0.0.1:{port}{path}', caBundle: {bundle}}}\n  rules: [{{operations: [CREATE], apiGroups: [''], apiVersions: [v1], resources: [pods], scope: Namespaced}}]\n  namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: {namespace}}}}}\n",
            port = self.port,
            bundle = self.bundle,
        );
        let file = tempfile::NamedTempFile::new().expect("file");
        std::fs::write(file.path(), config).expect("write");
        self.bed
            .kubectl_ok(&["apply", "-f", &file.path().display().to_string()]);
        let pod = format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: webhook-canary, namespace: {namespace}, annotations: {{kubedrill.dev/probe: 'true'}}}}\nspec: {{containers: [{{name: probe, image: '{}', args: [pause]}}]}}\n",
            kubedrill::images::PROBE_IMAGE
        );
        std::fs::write(file.path(), pod).expect("write");
        let sent = serde_json::json!({"image": kubedrill::images::PROBE_IMAGE, "args": ["pause"]});
        for _ in 0..50 {
            let out = self.bed.kubectl(&[
                "create",
                "--dry-run=server",
                "-o",
                "json",
                "-f",
                &file.path().display().to_string(),
            ]);
            if out.status.success() {
                let pod: Value = serde_json::from_slice(&out.stdout).expect("pod json");
                let container = &pod["spec"]["containers"][0];
                if container["image"] != sent["image"] || container["args"] != sent["args"] {
                    return;
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        panic!("the API server never called the webhook at {path}");
    }

    fn unregister(&self) {
        self.bed.kubectl_ok(&[
            "delete",
            "mutatingwebhookconfiguration",
            WEBHOOK_CONFIG,
            "--ignore-not-found",
        ]);
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Webhook<'_> {
    fn drop(&mut self) {
        let _ = self.bed.kubectl(&[
            "delete",
            "mutatingwebhookconfiguration",
            WEBHOOK_CONFIG,
            "--ignore-not-found",
        ]);
        drop(self.server.stdin.take());
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// `kubedrill grade` of service-wrong-selector seed 9 with real probes (`--probes exec`): its
/// exit code, the report, and how long it took.
fn grade_with_probes(bed: &Bed, home: &Path) -> (i32, Value, f64) {
    let kubeconfig = bed.kubeconfig.display().to_string();
    let started = Instant::now();
    let out = bed.kubedrill(
        home,
        &[
            "grade",
            "--scenario",
            "service-wrong-selector",
            "--seed",
            "9",
            "-o",
            "json",
            "--kubeconfig",
            &kubeconfig,
            "--probes",
            "exec",
        ],
    );
    let secs = started.elapsed().as_secs_f64();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", describe(&out)));
    (code(&out), report, secs)
}

/// The verdict of check `id` in a grade report.
fn verdict_of<'r>(report: &'r Value, id: &str) -> &'r Value {
    report["score"]["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["id"] == id)
        .map_or_else(|| panic!("no check {id} in {report}"), |c| &c["verdict"])
}

/// Every check's verdict status but `except`'s.
fn other_statuses(report: &Value, except: &str) -> BTreeMap<String, String> {
    report["score"]["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["id"] != except)
        .map(|c| {
            (
                c["id"].as_str().unwrap_or_default().to_owned(),
                c["verdict"]["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Probe pods left in `namespace`, after giving kwok a few seconds to finish deleting them.
fn probe_pods_left(bed: &Bed, namespace: &str) -> Vec<String> {
    let mut left = Vec::new();
    for _ in 0..25 {
        let pods = bed.kubectl_json(&["-n", namespace, "get", "pods"]);
        left = pods["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["metadata"]["name"].as_str())
            .filter(|n| n.starts_with("kubedrill-probe-"))
            .map(str::to_owned)
            .collect();
        if left.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    left
}

/// A learner's cluster cannot fake a pass: a mutating admission webhook (run by this test,
/// called by kube-apiserver over HTTPS) rewrites kubedrill's probe pods. Swapping the image, or
/// only the args (the image stays pinned, so kwok's imageID still matches), makes the HTTP
/// check an error of reason `probe-tampered` naming the change, never a pass, and `grade`
/// exits 3; the probe pod is removed anyway. Without the webhook the same grade runs its probe
/// (kwok runs the script on this machine, so the request itself fails) and flags nothing:
/// the pinned image's imageID and the nonce-framed output are accepted.
#[test]
#[ignore = "needs the real control-plane test bed: just testbed-test"]
fn a_rewritten_probe_pod_is_tampering_not_a_pass() {
    const CHECK: &str = "client-gets-http-200";
    let bed = bed();
    let home = tempfile::tempdir().expect("home");
    let out = bed.on_bed(
        home.path(),
        &["cluster", "setup", "service-wrong-selector", "--seed", "9"],
    );
    assert_eq!(code(&out), 0, "{}", describe(&out));
    fix_selector(&bed, 9, None);
    let namespace = rendered("service-wrong-selector", 9, None).params["namespace"]
        .as_str()
        .expect("namespace")
        .to_owned();
    let started = Instant::now();

    // Control: no webhook.
    let (control_code, control, secs) = grade_with_probes(&bed, home.path());
    let verdict = verdict_of(&control, CHECK);
    eprintln!("control grade: exit {control_code}, {secs:.1} s, {CHECK}: {verdict}");
    assert_ne!(verdict["reason"], "probe-tampered", "{verdict}");
    assert_ne!(verdict["status"], "error", "the probe ran and was judged: {verdict}");
    let observed = verdict["evidence"]["observed"].as_str().unwrap_or_default();
    assert!(
        observed.contains("attempt 1 (exit"),
        "the framed output was parsed: {verdict}"
    );
    assert!(probe_pods_left(&bed, &namespace).is_empty());

    let dir = tempfile::tempdir().expect("dir");
    let webhook = Webhook::start(&bed, dir.path());
    for (path, changed, image_id) in [
        (
            "/image",
            "container `probe` image registry.example/fake:1 instead of registry.k8s.io/e2e-test-images/agnhost:2.53@sha256:99c6b4bb4a1e1df3f0b3752168c89358794d02258ebebc26bf21c29399011a85",
            true,
        ),
        (
            "/args",
            r#"container `probe` args ["netexec","--http-port=8080"] instead of ["pause"]"#,
            false,
        ),
    ] {
        webhook.register(path, &namespace);
        let (exit, report, secs) = grade_with_probes(&bed, home.path());
        let verdict = verdict_of(&report, CHECK);
        let message = verdict["message"].as_str().unwrap_or_default();
        eprintln!("webhook {path}: exit {exit}, {secs:.1} s, {CHECK}: {verdict}");
        assert_eq!(
            (verdict["status"].as_str(), verdict["reason"].as_str()),
            (Some("error"), Some("probe-tampered")),
            "{verdict}"
        );
        assert!(
            message.starts_with(&format!("probe pod {namespace}/kubedrill-probe-"))
                && message.contains("was altered after kubedrill created it"),
            "{message}"
        );
        assert!(message.contains(changed), "{message}");
        assert_eq!(
            message.contains("runs image ID registry.example/fake@sha256:"),
            image_id,
            "the imageID kwok reports follows the image: {message}"
        );
        assert_eq!(exit, 3, "an error verdict makes the grade exit 3, never 0");
        let earned = report["score"]["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["id"] == CHECK)
            .map(|c| c["earned"].clone());
        assert_eq!(earned, Some(serde_json::json!(0)), "a tampered check earns nothing");
        assert_eq!(
            other_statuses(&report, CHECK),
            other_statuses(&control, CHECK),
            "only the probe check changes"
        );
        assert!(
            webhook
                .log()
                .lines()
                .any(|l| l.starts_with(&format!("{path} {namespace}/kubedrill-probe-")) && l.ends_with(" patched")),
            "the webhook rewrote kubedrill's probe pod: {}",
            webhook.log()
        );
        assert!(
            probe_pods_left(&bed, &namespace).is_empty(),
            "the tampered probe pod is removed too"
        );
        assert_eq!(
            (&report["score"]["passed"], &report["score"]["tampered"]),
            (&serde_json::json!(false), &serde_json::json!(1)),
            "a tampered probe counts against the attempt, which never passes: {}",
            report["score"]
        );
    }
    webhook.unregister();
    drop(webhook);
    eprintln!("tamper test: {:.1} s", started.elapsed().as_secs_f64());
    bed.reset(home.path());
}

/// Grading a live cluster with another seed than the one set up is an input error naming the
/// seed that matches (read from the namespace kubedrill annotated), not a confident 0.
#[test]
#[ignore = "needs the real control-plane test bed: just testbed-test"]
fn grading_the_wrong_seed_names_the_seed_that_was_set_up() {
    let bed = bed();
    let home = tempfile::tempdir().expect("home");
    let out = bed.on_bed(
        home.path(),
        &["cluster", "setup", "service-wrong-selector", "--seed", "654321"],
    );
    assert_eq!(code(&out), 0, "{}", describe(&out));
    let out = bed.on_bed(
        home.path(),
        &["grade", "--scenario", "service-wrong-selector", "--seed", "2"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(code(&out), 2, "{}", describe(&out));
    assert!(stderr.contains("grade with `--seed 654321`"), "{stderr}");
    let out = bed.on_bed(
        home.path(),
        &["grade", "--scenario", "service-wrong-selector", "--seed", "654321"],
    );
    assert_eq!(code(&out), 1, "the broken attempt itself is graded: {}", describe(&out));
    bed.reset(home.path());
}

/// Seed the kubedrill cache under `home` with the Gateway API CRD files, from the Go module
/// proxy's copy of the same release (this machine reaches no GitHub); kubedrill verifies them
/// by SHA-256 as it would a download.
fn seed_gateway_api_crds(home: &Path) {
    let cache = home.join("cache");
    std::fs::create_dir_all(&cache).expect("cache");
    let module = std::process::Command::new("go")
        .args(["mod", "download", "-json", "sigs.k8s.io/gateway-api@v1.6.3"])
        .output()
        .expect("go runs (the test bed is built with it)");
    assert!(module.status.success(), "{}", text(&module.stderr));
    let module: Value = serde_json::from_slice(&module.stdout).expect("go mod download -json");
    let crds = Path::new(module["Dir"].as_str().expect("Dir")).join("config/crd/standard");
    for artifact in kubedrill::cluster::tools::gateway_api_crds() {
        let file = artifact.url.rsplit('/').next().expect("file name");
        std::fs::copy(crds.join(file), cache.join(format!("{}-{file}", artifact.version))).expect("seed the cache");
    }
}

/// The `gateway-api` add-on on a real API server: a scenario that applies a Gateway and an
/// `HTTPRoute` gets the Gateway API's standard CRDs installed first (the pinned files, here
/// seeded into kubedrill's cache from the Go module proxy's copy of the same release, which
/// kubedrill verifies by SHA-256 as it would a download), then `scenario verify` sets it up,
/// grades the `HTTPRoute` (listed through the CRD's API) failing broken and passing after the
/// solution, and catches the shortcut. No Gateway controller runs: the route's status is the
/// one kubedrill predicts (`graders::gateway`), the other checks read specs. A catalogue
/// scenario's Gateway of class `traefik` then brings the Gateway controller, kept by resets.
#[test]
#[ignore = "needs the real control-plane test bed: just testbed-test"]
fn the_gateway_api_add_on_installs_its_crds_and_routes_are_graded() {
    let bed = bed();
    let home = tempfile::tempdir().expect("home");
    seed_gateway_api_crds(home.path());
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gateway-api");
    let scenarios = scenarios.to_str().expect("utf-8 path");
    let out = bed.on_bed(
        home.path(),
        &[
            "--scenarios",
            scenarios,
            "scenario",
            "verify",
            "route-section",
            "--seed",
            "1",
            "-o",
            "json",
        ],
    );
    assert_eq!(code(&out), 0, "{}", describe(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("verify prints JSON");
    let stages: Vec<(&str, bool)> = report
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap_or_default(),
                s["ok"].as_bool().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        stages,
        [
            ("broken", true),
            ("solution", true),
            ("shortcut rename-the-listener", true)
        ],
        "{report}"
    );
    let served = bed.kubectl_ok(&["get", "crd", "-o", "name"]);
    for plural in [
        "gatewayclasses",
        "gateways",
        "httproutes",
        "grpcroutes",
        "referencegrants",
    ] {
        assert!(
            served.contains(&format!("{plural}.gateway.networking.k8s.io")),
            "{plural}: {served}"
        );
    }
    // A Gateway of class `traefik` brings kubedrill's Gateway controller, which a reset keeps
    // (its namespace is a system namespace) and a second setup reuses.
    let mut uids = Vec::new();
    for _ in 0..2 {
        let out = bed.on_bed(
            home.path(),
            &["cluster", "setup", "gateway-route-detached", "--seed", "1"],
        );
        assert_eq!(code(&out), 0, "{}", describe(&out));
        bed.reset(home.path());
        let controller = bed.kubectl_json(&["-n", "traefik-gateway", "get", "deployment", "traefik"]);
        assert_eq!(
            controller["spec"]["template"]["spec"]["containers"][0]["image"],
            kubedrill::cluster::addons::TRAEFIK_IMAGE
        );
        assert_eq!(controller["metadata"]["generation"], 1, "applied unchanged");
        uids.push(controller["metadata"]["uid"].clone());
    }
    assert_eq!(
        uids[0], uids[1],
        "the reset kept the controller and the second setup reused it"
    );
    let class = bed.kubectl_json(&["get", "gatewayclass", "traefik"]);
    assert_eq!(class["spec"]["controllerName"], "traefik.io/gateway-controller");
    let service = bed.kubectl_json(&["-n", "traefik-gateway", "get", "service", "traefik"]);
    assert_eq!(service["spec"]["ports"][0]["port"], 80);
}
