//! Table-driven tests of every grader over small observed states, including the traps that let
//! other practice tools accept wrong answers: `NotReady` is not `Ready`, numbers are compared as
//! numbers, list order does not matter, a deleted deny policy does not satisfy a NetworkPolicy
//! task, and relabelled or stray pods do not satisfy a fix-the-Service task.

// Fixture builders take JSON by value for readability at call sites.
#![allow(clippy::needless_pass_by_value, clippy::cloned_ref_to_slice_refs)]

use graders::CheckSpec;
use graders::state::{Baseline, BaselineSource, ClusterState, Observation, Outcome, ProbeResult};
use graders::verdict::{Reason, Verdict};
use serde_json::{Value, json};

fn state(objects: &[Value]) -> ClusterState {
    ClusterState::from_objects(objects.iter().cloned()).expect("valid objects")
}

fn observe(objects: &[Value]) -> Observation {
    Observation {
        state: state(objects),
        ..Observation::default()
    }
}

fn spec(value: Value) -> CheckSpec {
    let spec: CheckSpec = serde_json::from_value(value).expect("valid check");
    assert_eq!(spec.problems(), Vec::new(), "test checks are valid");
    spec
}

fn reason(verdict: &Verdict) -> Option<Reason> {
    match verdict {
        Verdict::Fail { reason, .. } | Verdict::Error { reason, .. } => Some(*reason),
        _ => None,
    }
}

fn pod(name: &str, labels: Value, ready: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "shop", "labels": labels},
        "status": {"phase": "Running", "podIP": "10.244.1.5",
            "conditions": [{"type": "Ready", "status": ready}],
            "containerStatuses": [{"name": "c", "image": "i", "imageID": "", "ready": ready == "True", "restartCount": 0}]}})
}

fn service() -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"clusterIP": "10.96.0.42", "selector": {"app": "web"},
            "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}})
}

fn slice(endpoints: Value) -> Value {
    json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
        "metadata": {"name": "web-abc", "namespace": "shop", "labels": {"kubernetes.io/service-name": "web"}},
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}], "endpoints": endpoints})
}

fn endpoint(ip: &str, pod: &str, ready: Option<bool>) -> Value {
    let mut e = json!({"addresses": [ip], "targetRef": {"kind": "Pod", "name": pod, "namespace": "shop"}});
    if let Some(r) = ready {
        e["conditions"] = json!({"ready": r});
    }
    e
}

fn endpoints_check(min: u32, port: Value) -> CheckSpec {
    spec(
        json!({"grader": "endpoints", "with": {"service": "web", "namespace": "shop", "port": port, "minReady": min,
        "podSelector": {"matchLabels": {"app": "web"}}}}),
    )
}

#[test]
fn endpoints_count_ready_endpoints_of_the_intended_pods_only() {
    let good = [
        pod("web-1", json!({"app": "web"}), "True"),
        pod("web-2", json!({"app": "web"}), "True"),
    ];
    let stray = pod("stray", json!({"app": "web-svc"}), "True");
    let table: Vec<(&str, Vec<Value>, CheckSpec, Option<Reason>)> = vec![
        (
            "two ready",
            vec![slice(json!([
                endpoint("10.0.0.1", "web-1", Some(true)),
                endpoint("10.0.0.2", "web-2", None)
            ]))],
            endpoints_check(2, json!(80)),
            None,
        ),
        (
            "by port name",
            vec![slice(json!([
                endpoint("10.0.0.1", "web-1", Some(true)),
                endpoint("10.0.0.2", "web-2", Some(true))
            ]))],
            endpoints_check(2, json!("http")),
            None,
        ),
        (
            "not-ready endpoint is not counted",
            vec![slice(json!([
                endpoint("10.0.0.1", "web-1", Some(true)),
                endpoint("10.0.0.2", "web-2", Some(false))
            ]))],
            endpoints_check(2, json!(80)),
            Some(Reason::TooFewEndpoints),
        ),
        (
            "empty slices",
            vec![slice(json!([]))],
            endpoints_check(1, json!(80)),
            Some(Reason::TooFewEndpoints),
        ),
        (
            "no slices at all",
            vec![],
            endpoints_check(1, json!(80)),
            Some(Reason::TooFewEndpoints),
        ),
        (
            "stray pod behind the Service",
            vec![
                stray,
                slice(json!([
                    endpoint("10.0.0.1", "web-1", Some(true)),
                    endpoint("10.0.0.2", "web-2", Some(true)),
                    endpoint("10.0.0.9", "stray", Some(true))
                ])),
            ],
            endpoints_check(2, json!(80)),
            Some(Reason::ForeignEndpoints),
        ),
        (
            "FQDN slice listing IPs (kube-proxy ignores it)",
            vec![{
                let mut fqdn = slice(json!([
                    endpoint("10.0.0.1", "web-1", Some(true)),
                    endpoint("10.0.0.2", "web-2", Some(true))
                ]));
                fqdn["addressType"] = json!("FQDN");
                fqdn
            }],
            endpoints_check(1, json!(80)),
            Some(Reason::TooFewEndpoints),
        ),
        (
            "unknown Service port",
            vec![slice(json!([endpoint("10.0.0.1", "web-1", Some(true))]))],
            endpoints_check(1, json!(8080)),
            Some(Reason::FieldMismatch),
        ),
    ];
    for (name, extra, check, expected) in table {
        let mut objects = vec![service()];
        objects.extend(good.iter().cloned());
        objects.extend(extra);
        let verdict = check.evaluate("c", &observe(&objects));
        assert_eq!(reason(&verdict), expected, "{name}: {verdict:?}");
    }
    let no_service = endpoints_check(1, json!(80)).evaluate("c", &observe(&[]));
    assert_eq!(reason(&no_service), Some(Reason::ObjectMissing));
}

#[test]
fn pods_ready_needs_the_ready_condition_true_not_a_text_match() {
    let check = spec(
        json!({"grader": "pods-ready", "with": {"namespace": "shop", "selector": {"matchLabels": {"app": "web"}}, "minReady": 2}}),
    );
    let mut terminating = pod("web-3", json!({"app": "web"}), "True");
    terminating["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
    let table = vec![
        (
            "both ready",
            vec![
                pod("a", json!({"app": "web"}), "True"),
                pod("b", json!({"app": "web"}), "True"),
            ],
            None,
        ),
        (
            "one NotReady",
            vec![
                pod("a", json!({"app": "web"}), "True"),
                pod("b", json!({"app": "web"}), "False"),
            ],
            Some(Reason::PodsNotReady),
        ),
        (
            "unknown status",
            vec![
                pod("a", json!({"app": "web"}), "True"),
                pod("b", json!({"app": "web"}), "Unknown"),
            ],
            Some(Reason::PodsNotReady),
        ),
        (
            "terminating does not count",
            vec![pod("a", json!({"app": "web"}), "True"), terminating],
            Some(Reason::PodsNotReady),
        ),
        (
            "other labels do not count",
            vec![
                pod("a", json!({"app": "web"}), "True"),
                pod("b", json!({"app": "api"}), "True"),
            ],
            Some(Reason::PodsNotReady),
        ),
    ];
    for (name, pods, expected) in table {
        assert_eq!(reason(&check.evaluate("c", &observe(&pods))), expected, "{name}");
    }
    let mut restarted = pod("a", json!({"app": "web"}), "True");
    restarted["status"]["containerStatuses"][0]["restartCount"] = json!(7);
    let capped = spec(
        json!({"grader": "pods-ready", "with": {"namespace": "shop", "selector": {"matchLabels": {"app": "web"}}, "maxRestarts": 3}}),
    );
    assert_eq!(
        reason(&capped.evaluate("c", &observe(&[restarted]))),
        Some(Reason::TooManyRestarts)
    );
}

fn deployment(replicas: i64, updated: i64, ready: i64, generation: i64, observed: i64) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "generation": generation},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}},
        "status": {"observedGeneration": observed, "replicas": replicas, "updatedReplicas": updated,
            "readyReplicas": ready, "availableReplicas": ready}})
}

#[test]
fn rollout_requires_every_replica_updated_ready_and_the_generation_observed() {
    let check = spec(
        json!({"grader": "rollout", "with": {"target": {"kind": "Deployment", "name": "web", "namespace": "shop"}}}),
    );
    let table = [
        (deployment(2, 2, 2, 3, 3), None),
        (deployment(2, 2, 1, 3, 3), Some(Reason::NotRolledOut)),
        (deployment(2, 1, 2, 3, 3), Some(Reason::NotRolledOut)),
        (deployment(2, 2, 2, 4, 3), Some(Reason::NotRolledOut)),
        (deployment(0, 0, 0, 1, 1), Some(Reason::NotRolledOut)),
    ];
    for (object, expected) in table {
        assert_eq!(
            reason(&check.evaluate("c", &observe(&[object.clone()]))),
            expected,
            "{object}"
        );
    }
    let ds = json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "kube-proxy", "namespace": "kube-system", "generation": 1},
        "spec": {"selector": {"matchLabels": {"k8s-app": "kube-proxy"}}, "template": {"spec": {"containers": [{"name": "c"}]}}},
        "status": {"observedGeneration": 1, "desiredNumberScheduled": 2, "currentNumberScheduled": 2, "numberMisscheduled": 0, "updatedNumberScheduled": 2, "numberReady": 1}});
    let ds_check = spec(
        json!({"grader": "rollout", "with": {"target": {"kind": "DaemonSet", "name": "kube-proxy", "namespace": "kube-system"}}}),
    );
    assert_eq!(
        reason(&ds_check.evaluate("c", &observe(&[ds]))),
        Some(Reason::NotRolledOut)
    );
    assert_eq!(reason(&check.evaluate("c", &observe(&[]))), Some(Reason::ObjectMissing));
}

/// A DaemonSet's status counts its pod Ready for a moment after the pod crashed; the pod says
/// otherwise. A Deployment's pods are found through its ReplicaSets.
#[test]
fn rollout_is_not_done_while_a_pod_of_the_workload_is_not_ready() {
    let ds = json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "kube-proxy", "namespace": "kube-system", "generation": 2, "uid": "ds-1"},
        "spec": {"selector": {"matchLabels": {"k8s-app": "kube-proxy"}}, "template": {"spec": {"containers": [{"name": "c"}]}}},
        "status": {"observedGeneration": 2, "desiredNumberScheduled": 1, "currentNumberScheduled": 1, "numberMisscheduled": 0, "updatedNumberScheduled": 1, "numberReady": 1}});
    let pod = |name: &str, owner: &str, ready: &str| {
        json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "kube-system", "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "x", "uid": owner}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": ready}],
                "containerStatuses": [{"name": "kube-proxy", "image": "i", "imageID": "", "ready": ready == "True", "restartCount": 4,
                    "state": if ready == "True" { json!({"running": {}}) } else { json!({"waiting": {"reason": "CrashLoopBackOff"}}) }}]}})
    };
    let check = spec(
        json!({"grader": "rollout", "with": {"target": {"kind": "DaemonSet", "name": "kube-proxy", "namespace": "kube-system"}}}),
    );
    let crashed = check.evaluate("c", &observe(&[ds.clone(), pod("kube-proxy-a", "ds-1", "False")]));
    let Verdict::Fail { message, .. } = &crashed else {
        panic!("{crashed:?}")
    };
    assert!(
        message.contains("pod kube-proxy-a is not Ready (container kube-proxy CrashLoopBackOff after 4 restart(s))"),
        "{message}"
    );
    assert!(
        check
            .evaluate("c", &observe(&[ds.clone(), pod("kube-proxy-a", "ds-1", "True")]))
            .is_pass()
    );
    assert!(
        check
            .evaluate("c", &observe(&[ds.clone(), pod("other", "ds-2", "False")]))
            .is_pass(),
        "another owner's pod"
    );
    assert!(
        check.evaluate("c", &observe(&[ds])).is_pass(),
        "no pods observed: the status decides"
    );
    let mut deployment = deployment(2, 2, 2, 3, 3);
    deployment["metadata"]["uid"] = json!("d-1");
    let rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-1", "namespace": "shop", "uid": "rs-1",
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "d-1"}]},
        "spec": {"selector": {"matchLabels": {"app": "web"}}}});
    let mut web_pod = pod("web-1-x", "rs-1", "False");
    web_pod["metadata"]["namespace"] = json!("shop");
    let web = spec(
        json!({"grader": "rollout", "with": {"target": {"kind": "Deployment", "name": "web", "namespace": "shop"}}}),
    );
    assert_eq!(
        reason(&web.evaluate("c", &observe(&[deployment, rs, web_pod]))),
        Some(Reason::NotRolledOut)
    );
}

#[test]
fn assert_compares_numbers_as_numbers_and_lists_by_content() {
    let ports = spec(
        json!({"grader": "assert", "with": {"target": {"kind": "Service", "name": "web", "namespace": "shop"},
        "match": {"spec": {"ports": {"$contains": [{"port": 80.0, "targetPort": 8080}]}}}}}),
    );
    assert!(ports.evaluate("c", &observe(&[service()])).is_pass());
    let selector = spec(
        json!({"grader": "assert", "with": {"target": {"kind": "Service", "name": "web", "namespace": "shop"},
        "match": {"spec": {"selector": {"app": "web-svc"}}}}}),
    );
    let verdict = selector.evaluate("c", &observe(&[service()]));
    let Verdict::Fail { message, .. } = &verdict else {
        panic!("{verdict:?}")
    };
    assert!(
        message.contains("`spec.selector.app` is `web`, expected `web-svc`"),
        "{message}"
    );
    assert_eq!(
        reason(&selector.evaluate("c", &observe(&[]))),
        Some(Reason::ObjectMissing)
    );
}

fn deny_policy(extra: Value) -> Value {
    let mut spec = json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]});
    if let (Some(map), Some(more)) = (spec.as_object_mut(), extra.as_object()) {
        map.extend(more.clone());
    }
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "default-deny", "namespace": "shop"}, "spec": spec})
}

fn with_baseline(now: &[Value], before: &[Value], source: BaselineSource) -> Observation {
    Observation {
        state: state(now),
        baseline: Some(Baseline {
            state: state(before),
            source,
        }),
        ..Observation::default()
    }
}

#[test]
fn unchanged_catches_deleted_or_weakened_deny_policies_and_relabelled_deployments() {
    let policy = spec(
        json!({"grader": "unchanged", "with": {"target": {"kind": "NetworkPolicy", "name": "default-deny", "namespace": "shop"}}}),
    );
    for source in [BaselineSource::Recorded, BaselineSource::Manifests] {
        let base = [deny_policy(json!({}))];
        assert!(policy.evaluate("c", &with_baseline(&base, &base, source)).is_pass());
        assert_eq!(
            reason(&policy.evaluate("c", &with_baseline(&[], &base, source))),
            Some(Reason::Changed),
            "deleted"
        );
        let weakened = [deny_policy(json!({"ingress": [{}]}))];
        assert_eq!(
            reason(&policy.evaluate("c", &with_baseline(&weakened, &base, source))),
            Some(Reason::Changed),
            "allow-all added"
        );
    }
    let labels = spec(
        json!({"grader": "unchanged", "with": {"target": {"kind": "Deployment", "name": "web", "namespace": "shop"},
        "paths": ["spec.selector", "spec.template.metadata.labels"]}}),
    );
    let before = deployment(2, 2, 2, 1, 1);
    let mut relabelled = before.clone();
    relabelled["spec"]["template"]["metadata"]["labels"] = json!({"app": "web-svc"});
    assert_eq!(
        reason(&labels.evaluate(
            "c",
            &with_baseline(&[relabelled], &[before.clone()], BaselineSource::Recorded)
        )),
        Some(Reason::Changed)
    );
    let mut scaled = before.clone();
    scaled["spec"]["replicas"] = json!(5);
    assert!(
        labels
            .evaluate(
                "c",
                &with_baseline(&[scaled], &[before.clone()], BaselineSource::Recorded)
            )
            .is_pass(),
        "other paths may change"
    );
    assert_eq!(
        reason(&labels.evaluate("c", &observe(&[before]))),
        Some(Reason::NoBaseline),
        "no baseline is an environment error"
    );
}

#[test]
fn unchanged_against_manifests_ignores_server_defaults_but_not_edits() {
    let whole = spec(
        json!({"grader": "unchanged", "with": {"target": {"kind": "Deployment", "name": "web", "namespace": "shop"}}}),
    );
    let manifest = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}});
    let mut live = manifest.clone();
    live["spec"]["revisionHistoryLimit"] = json!(10);
    live["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = json!("IfNotPresent");
    assert!(
        whole
            .evaluate(
                "c",
                &with_baseline(&[live.clone()], &[manifest.clone()], BaselineSource::Manifests)
            )
            .is_pass()
    );
    assert_eq!(
        reason(&whole.evaluate(
            "c",
            &with_baseline(&[live.clone()], &[manifest.clone()], BaselineSource::Recorded)
        )),
        Some(Reason::Changed),
        "a recorded baseline is compared exactly"
    );
    live["spec"]["template"]["spec"]["containers"][0]["image"] = json!("other");
    assert_eq!(
        reason(&whole.evaluate("c", &with_baseline(&[live], &[manifest], BaselineSource::Manifests))),
        Some(Reason::Changed)
    );
}

fn probe(outcome: Outcome, held_ms: u64) -> ProbeResult {
    ProbeResult {
        outcome,
        addresses: Vec::new(),
        http_status: None,
        body: None,
        attempts: 3,
        held_ms,
        command: "kubectl exec ...".into(),
        output: String::new(),
        error: None,
        tampered: None,
    }
}

fn with_probe(objects: &[Value], result: ProbeResult) -> Observation {
    let mut observation = observe(objects);
    observation.probes.insert("c".into(), result);
    observation
}

#[test]
fn connectivity_allowed_and_blocked_with_stabilisation() {
    let check = |expect: &str, stable: Option<&str>| {
        let mut with = json!({"from": {"namespace": "shop", "probeLabels": {"app": "x"}}, "to": {"service": "web", "namespace": "shop", "port": 80}, "expect": expect});
        if let Some(s) = stable {
            with["stableFor"] = json!(s);
        }
        spec(json!({"grader": "connectivity", "with": with}))
    };
    let table = [
        ("allowed", None, Outcome::Connected, 0, None),
        ("allowed", None, Outcome::Refused, 0, Some(Reason::ConnectionRefused)),
        ("allowed", None, Outcome::Timeout, 0, Some(Reason::ConnectionTimedOut)),
        ("allowed", None, Outcome::DnsFailure, 0, Some(Reason::DnsFailure)),
        ("blocked", Some("10s"), Outcome::Timeout, 10_000, None),
        (
            "blocked",
            Some("10s"),
            Outcome::Timeout,
            3_000,
            Some(Reason::NotBlockedLongEnough),
        ),
        ("blocked", None, Outcome::Timeout, 5_000, None),
        ("blocked", None, Outcome::Connected, 0, Some(Reason::NotBlocked)),
        (
            "blocked",
            None,
            Outcome::Refused,
            9_000,
            Some(Reason::RefusedNotBlocked),
        ),
        ("blocked", None, Outcome::Other, 9_000, Some(Reason::ProbeError)),
    ];
    for (expect, stable, outcome, held, expected) in table {
        let verdict = check(expect, stable).evaluate("c", &with_probe(&[], probe(outcome, held)));
        assert_eq!(
            reason(&verdict),
            expected,
            "{expect} {stable:?} {outcome:?} {held}: {verdict:?}"
        );
    }
    // Without a probe result the analyzer predicts: here the Service does not exist.
    let unobserved = check("allowed", None).evaluate("c", &observe(&[]));
    assert_eq!(reason(&unobserved), Some(Reason::ConnectionRefused), "{unobserved:?}");
    let mut broken = probe(Outcome::Other, 0);
    broken.error = Some("probe pod unschedulable".into());
    let verdict = check("allowed", None).evaluate("c", &with_probe(&[], broken));
    assert!(
        matches!(
            verdict,
            Verdict::Error {
                reason: Reason::ProbeError,
                ..
            }
        ),
        "environment, not the learner"
    );
}

/// A tampered probe is an error naming what changed, whatever it claims to have seen (here a
/// connection, a 200 and the expected body), and it earns nothing: connectivity, DNS and HTTP
/// alike, even when the probe also reports an error.
#[test]
fn a_tampered_probe_is_an_error_never_a_pass() {
    let what = "probe pod kubedrill-probe-0 was altered after kubedrill created it: container `probe` image registry.example/fake:1 instead of registry.k8s.io/e2e-test-images/agnhost:2.53@sha256:99c6";
    let from = json!({"namespace": "shop", "probeLabels": {"app": "x"}});
    let to = json!({"service": "web", "namespace": "shop", "port": 80});
    let checks = [
        json!({"grader": "connectivity", "with": {"from": from, "to": to, "expect": "allowed"}}),
        json!({"grader": "connectivity", "with": {"from": from, "to": to, "expect": "blocked"}}),
        json!({"grader": "http", "with": {"from": from, "to": to, "path": "/", "bodyContains": "web-"}}),
        json!({"grader": "dns", "with": {"from": from, "name": "web.shop.svc.cluster.local"}}),
    ];
    for check in checks {
        for error in [None, Some("exec failed".to_owned())] {
            let faked = ProbeResult {
                http_status: Some(200),
                body: Some("web-1".into()),
                addresses: vec!["10.96.0.42".into()],
                held_ms: 60_000,
                error: error.clone(),
                tampered: Some(what.into()),
                ..probe(Outcome::Connected, 0)
            };
            let verdict = spec(check.clone()).evaluate("c", &with_probe(&[service()], faked));
            assert_eq!(
                verdict,
                Verdict::Error {
                    reason: Reason::ProbeTampered,
                    message: what.into()
                },
                "{check} {error:?}"
            );
            assert!(!verdict.is_pass(), "never a pass");
            assert!(
                verdict.is_scored() && verdict.is_failure(),
                "scored as a failure, never left out of the score"
            );
        }
    }
}

#[test]
fn dns_checks_the_answer_against_the_service_cluster_ip() {
    let check = spec(
        json!({"grader": "dns", "with": {"from": {"namespace": "shop", "probeLabels": {"app": "x"}},
        "name": "web.shop.svc.cluster.local", "resolvesToService": {"name": "web", "namespace": "shop"}}}),
    );
    let answer = |ips: &[&str], outcome| ProbeResult {
        addresses: ips.iter().map(|s| (*s).to_owned()).collect(),
        ..probe(outcome, 0)
    };
    assert!(
        check
            .evaluate(
                "c",
                &with_probe(&[service()], answer(&["10.96.0.42"], Outcome::Connected))
            )
            .is_pass()
    );
    assert_eq!(
        reason(&check.evaluate(
            "c",
            &with_probe(&[service()], answer(&["10.96.0.7"], Outcome::Connected))
        )),
        Some(Reason::WrongAnswer)
    );
    let timeout = check.evaluate("c", &with_probe(&[service()], answer(&[], Outcome::Timeout)));
    let Verdict::Fail {
        reason: Reason::DnsFailure,
        message,
        ..
    } = &timeout
    else {
        panic!("{timeout:?}")
    };
    assert!(
        message.contains("CoreDNS is down or egress to it is blocked"),
        "{message}"
    );
    let must_fail = spec(
        json!({"grader": "dns", "with": {"from": {"namespace": "shop", "probeLabels": {"app": "x"}}, "name": "web.other.svc.cluster.local", "expect": "fails"}}),
    );
    assert!(
        must_fail
            .evaluate("c", &with_probe(&[], answer(&[], Outcome::DnsFailure)))
            .is_pass()
    );
    assert_eq!(
        reason(&must_fail.evaluate("c", &with_probe(&[], answer(&["1.2.3.4"], Outcome::Connected)))),
        Some(Reason::WrongAnswer)
    );
}

#[test]
fn http_checks_status_and_body() {
    let check = spec(
        json!({"grader": "http", "with": {"from": {"namespace": "shop", "probeLabels": {"app": "x"}},
        "to": {"service": "web", "namespace": "shop", "port": 80}, "path": "/hostname", "bodyContains": "web-"}}),
    );
    let response = |status: u16, body: &str| ProbeResult {
        http_status: Some(status),
        body: Some(body.into()),
        ..probe(Outcome::Connected, 0)
    };
    assert!(
        check
            .evaluate("c", &with_probe(&[], response(200, "web-7d9f")))
            .is_pass()
    );
    assert_eq!(
        reason(&check.evaluate("c", &with_probe(&[], response(503, "")))),
        Some(Reason::HttpStatus)
    );
    assert_eq!(
        reason(&check.evaluate("c", &with_probe(&[], response(200, "default backend")))),
        Some(Reason::BodyMismatch)
    );
    assert_eq!(
        reason(&check.evaluate("c", &with_probe(&[], probe(Outcome::Refused, 0)))),
        Some(Reason::ConnectionRefused)
    );
}

#[test]
fn absent_and_reachability() {
    let absent =
        spec(json!({"grader": "absent", "with": {"target": {"kind": "Service", "name": "web", "namespace": "shop"}}}));
    assert!(absent.evaluate("c", &observe(&[])).is_pass());
    assert_eq!(
        reason(&absent.evaluate("c", &observe(&[service()]))),
        Some(Reason::ObjectPresent)
    );
    let reach = spec(
        json!({"grader": "reachability", "with": {"from": {"namespace": "shop", "selector": {"matchLabels": {"app": "x"}}},
        "to": {"service": "web", "namespace": "shop", "port": 80}, "expect": "blocked"}}),
    );
    // The Service selects no pod: nothing can reach it, so `blocked` holds.
    assert!(reach.evaluate("c", &observe(&[service()])).is_pass());
    let open = [service(), pod("web-1", json!({"app": "web"}), "True")];
    assert_eq!(
        reason(&reach.evaluate("c", &observe(&open))),
        Some(Reason::NotBlocked),
        "no policy: open to all"
    );
}

#[test]
fn bindings_take_node_ports_and_node_ips_from_the_observed_state() {
    let check: graders::Check = serde_json::from_value(json!({
        "id": "c", "points": 1, "description": "NodePort answers", "grader": "connectivity",
        "with": {"from": {"node": "any"}, "to": {"host": "10.96.0.1", "port": 30000}, "expect": "allowed"},
        "bindings": {
            "node_ip": {"from": {"kind": "Node", "name": "w"}, "path": "status.addresses[type=InternalIP].address", "type": "ip"},
            "node_port": {"from": {"kind": "Service", "name": "web", "namespace": "shop"}, "path": "spec.ports[0].nodePort", "type": "port"}},
        "boundWith": {"from": {"node": "any"}, "to": {"host": "${node_ip}", "port": "${node_port}"}, "expect": "allowed"}
    }))
    .expect("check");
    let node = json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "w"},
        "status": {"addresses": [{"type": "InternalIP", "address": "172.18.0.3"}]}});
    let mut nodeport = service();
    nodeport["spec"]["type"] = json!("NodePort");
    nodeport["spec"]["ports"][0]["nodePort"] = json!(30080);
    let observation = with_probe(&[node.clone(), nodeport], probe(Outcome::Connected, 0));
    let resolved = check.resolved_spec(&observation.state).expect("resolves");
    let CheckSpec::Connectivity(params) = &resolved else {
        panic!("{resolved:?}")
    };
    assert_eq!(params.to.host.as_deref(), Some("172.18.0.3"));
    assert_eq!(params.to.port, graders::target::PortRef::Number(30080));
    let results = graders::score::grade(std::slice::from_ref(&check), &observation);
    assert!(results[0].verdict.is_pass(), "{:?}", results[0].verdict);
    // The learner deleted the Service: the binding cannot resolve, and that is the learner's doing.
    let gone = with_probe(&[node], probe(Outcome::Connected, 0));
    let results = graders::score::grade(std::slice::from_ref(&check), &gone);
    assert_eq!(reason(&results[0].verdict), Some(Reason::BindingUnresolved));
}

#[test]
fn a_probe_that_passes_where_policy_should_block_is_an_environment_error() {
    let check = spec(json!({"grader": "connectivity", "with": {
        "from": {"namespace": "shop", "probeLabels": {"app": "stranger"}},
        "to": {"service": "web", "namespace": "shop", "port": 80}, "expect": "blocked"}}));
    let deny = deny_policy(json!({}));
    let objects = [service(), pod("web-1", json!({"app": "web"}), "True"), deny.clone()];
    // Policies deny the flow but the probe connected: the CNI is not enforcing NetworkPolicy.
    let verdict = check.evaluate("c", &with_probe(&objects, probe(Outcome::Connected, 0)));
    assert_eq!(reason(&verdict), Some(Reason::PolicyNotEnforced), "{verdict:?}");
    assert!(!verdict.is_scored(), "never scored against the learner");
    // Without the deny policy the connection is expected, and the learner is at fault.
    let open = [service(), pod("web-1", json!({"app": "web"}), "True")];
    assert_eq!(
        reason(&check.evaluate("c", &with_probe(&open, probe(Outcome::Connected, 0)))),
        Some(Reason::NotBlocked)
    );
    // A failure the state does not explain says where to look instead.
    let allowed = spec(json!({"grader": "connectivity", "with": {
        "from": {"namespace": "shop", "probeLabels": {"app": "client"}},
        "to": {"service": "web", "namespace": "shop", "port": 80}, "expect": "allowed"}}));
    let verdict = allowed.evaluate("c", &with_probe(&open, probe(Outcome::Timeout, 0)));
    let Verdict::Fail { message, .. } = &verdict else {
        panic!("{verdict:?}")
    };
    assert!(message.contains("kube-proxy"), "{message}");
}

/// Namespaces `shop` (team=shop) and `monitoring` (team=obs), one node, pods `shop/api-0`
/// (behind Service `api` on 8080), `shop/frontend-0` and `monitoring/grafana-0`, a default
/// deny in `shop`, and `allow-api` with `rules` (omitted: no policies at all).
fn exclusive_cluster(rules: Option<Value>, extra: &[Value]) -> Vec<Value> {
    let namespace = |name: &str, team: &str| {
        json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"team": team, "kubernetes.io/metadata.name": name}}})
    };
    let pod = |ns: &str, name: &str, app: &str, ip: &str| {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": {"app": app}},
            "spec": {"containers": [{"name": "c", "image": "agnhost", "ports": [{"name": "http", "containerPort": 8080}]}]},
            "status": {"phase": "Running", "podIP": ip, "conditions": [{"type": "Ready", "status": "True"}]}})
    };
    let mut objects = vec![
        namespace("shop", "shop"),
        namespace("monitoring", "obs"),
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "kind-worker"},
            "status": {"addresses": [{"type": "InternalIP", "address": "172.18.0.3"}]}}),
        pod("shop", "api-0", "api", "10.244.1.10"),
        pod("shop", "frontend-0", "frontend", "10.244.1.11"),
        pod("monitoring", "grafana-0", "grafana", "10.244.2.5"),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api", "namespace": "shop"},
            "spec": {"clusterIP": "10.96.0.50", "selector": {"app": "api"}, "ports": [{"port": 8080, "targetPort": 8080}]}}),
    ];
    if let Some(rules) = rules {
        objects.push(netpol(
            "shop",
            "default-deny",
            json!({"podSelector": {}, "policyTypes": ["Ingress"]}),
        ));
        objects.push(netpol(
            "shop",
            "allow-api",
            json!({"podSelector": {"matchLabels": {"app": "api"}}, "policyTypes": ["Ingress"], "ingress": rules}),
        ));
    }
    objects.extend(extra.iter().cloned());
    objects
}

fn netpol(ns: &str, name: &str, spec: Value) -> Value {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": ns}, "spec": spec})
}

/// Rule 1 of `allow-api`: from `app=frontend`, plus `extra` peers, on 8080.
fn frontend_and(extra: &[Value]) -> Value {
    let mut peers = vec![json!({"podSelector": {"matchLabels": {"app": "frontend"}}})];
    peers.extend(extra.iter().cloned());
    json!([{"from": peers, "ports": [{"port": 8080}]}])
}

fn only_frontend(to: Value) -> CheckSpec {
    spec(json!({"grader": "reachability", "with": {"to": to,
        "onlyFrom": [{"namespace": "shop", "selector": {"matchLabels": {"app": "frontend"}}}]}}))
}

fn fail_message(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Fail {
            reason: Reason::NotBlocked,
            message,
            ..
        } => message.clone(),
        other => panic!("expected a not-blocked failure, got {other:?}"),
    }
}

/// (case, objects, `None`: passes, or `Some((source, what lets it in))`)
type ExclusiveCase = (&'static str, Vec<Value>, Option<(&'static str, &'static str)>);

#[test]
#[allow(clippy::too_many_lines)]
fn exclusivity_names_the_first_source_outside_only_from_and_the_rule_that_lets_it_in() {
    let ns = |selector: Value| json!({"namespaceSelector": selector});
    let ip = |block: Value| json!({"ipBlock": block});
    let deny_egress_monitoring = netpol(
        "monitoring",
        "deny-egress",
        json!({"podSelector": {}, "policyTypes": ["Egress"]}),
    );
    let table: Vec<ExclusiveCase> = vec![
        ("only frontend", exclusive_cluster(Some(frontend_and(&[])), &[]), None),
        (
            "extra peer namespaceSelector: {}",
            exclusive_cluster(Some(frontend_and(&[ns(json!({}))])), &[]),
            Some((
                "pod monitoring/grafana-0",
                "NetworkPolicy shop/allow-api ingress rule 1 (namespaceSelector: {}) lets it in",
            )),
        ),
        (
            "extra peer podSelector: {} (the backend reaches itself through the Service)",
            exclusive_cluster(Some(frontend_and(&[json!({"podSelector": {}})])), &[]),
            Some((
                "pod shop/api-0",
                "NetworkPolicy shop/allow-api ingress rule 1 (podSelector: {}) lets it in",
            )),
        ),
        (
            "extra peer: every unlabelled-by-app pod of shop",
            exclusive_cluster(
                Some(frontend_and(&[
                    json!({"podSelector": {"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}}),
                ])),
                &[],
            ),
            Some((
                "a pod in shop with foreign labels (kubedrill.dev/source=foreign)",
                "ingress rule 1 (podSelector: {!app})",
            )),
        ),
        (
            "extra peer ipBlock 0.0.0.0/0 (pod IPs are in it too)",
            exclusive_cluster(Some(frontend_and(&[ip(json!({"cidr": "0.0.0.0/0"}))])), &[]),
            Some(("pod monitoring/grafana-0", "ingress rule 1 (ipBlock: 0.0.0.0/0)")),
        ),
        (
            "extra peer ipBlock 0.0.0.0/0 except the pod network",
            exclusive_cluster(
                Some(frontend_and(&[ip(
                    json!({"cidr": "0.0.0.0/0", "except": ["10.244.0.0/16"]}),
                )])),
                &[],
            ),
            Some((
                "the node network (172.18.0.3)",
                "ingress rule 1 (ipBlock: 0.0.0.0/0 except [10.244.0.0/16])",
            )),
        ),
        (
            "extra peer ipBlock on the Internet only",
            exclusive_cluster(Some(frontend_and(&[ip(json!({"cidr": "203.0.113.0/24"}))])), &[]),
            Some((
                "an address outside the cluster (203.0.113.10)",
                "ingress rule 1 (ipBlock: 203.0.113.0/24)",
            )),
        ),
        (
            "a second rule without `from`",
            exclusive_cluster(
                Some(json!([
                    {"from": [{"podSelector": {"matchLabels": {"app": "frontend"}}}]},
                    {"ports": [{"port": 8080}]}
                ])),
                &[],
            ),
            Some((
                "pod monitoring/grafana-0",
                "NetworkPolicy shop/allow-api ingress rule 2 (any source) lets it in",
            )),
        ),
        (
            "a namespaceSelector matching another namespace with pods",
            exclusive_cluster(Some(frontend_and(&[ns(json!({"matchLabels": {"team": "obs"}}))])), &[]),
            Some((
                "pod monitoring/grafana-0",
                "ingress rule 1 (namespaceSelector: {team=obs})",
            )),
        ),
        (
            "... unless that namespace's own egress policy keeps its pods in",
            exclusive_cluster(
                Some(frontend_and(&[ns(json!({"matchLabels": {"team": "obs"}}))])),
                &[deny_egress_monitoring],
            ),
            None,
        ),
        (
            "a namespaceSelector no observed namespace matches but a new one would",
            exclusive_cluster(
                Some(frontend_and(&[ns(
                    json!({"matchExpressions": [{"key": "team", "operator": "DoesNotExist"}]}),
                )])),
                &[],
            ),
            Some((
                "a label-less pod in a fresh namespace",
                "ingress rule 1 (namespaceSelector: {!team})",
            )),
        ),
        (
            "no policy at all: the destination is not isolated",
            exclusive_cluster(None, &[]),
            Some(("pod monitoring/grafana-0", "no policy isolates shop/api-0 for ingress")),
        ),
        (
            "the default deny removed, allow-api widened to Egress only",
            exclusive_cluster(
                None,
                &[netpol(
                    "shop",
                    "allow-api",
                    json!({"podSelector": {"matchLabels": {"app": "api"}}, "policyTypes": ["Egress"]}),
                )],
            ),
            Some(("pod monitoring/grafana-0", "no policy isolates shop/api-0 for ingress")),
        ),
    ];
    let to_service = only_frontend(json!({"service": "api", "namespace": "shop", "port": 8080}));
    let to_pods = only_frontend(json!({"pod": {"matchLabels": {"app": "api"}}, "namespace": "shop", "port": 8080}));
    for (case, objects, expected) in table {
        for check in [&to_service, &to_pods] {
            let verdict = check.evaluate("c", &observe(&objects));
            match expected {
                None => assert!(verdict.is_pass(), "{case}: {verdict:?}"),
                Some((source, admitted)) => {
                    let message = fail_message(&verdict);
                    assert!(message.starts_with(source), "{case}: {message}");
                    assert!(message.contains(admitted), "{case}: {message}");
                    assert!(message.contains("only shop/{app=frontend} may"), "{case}: {message}");
                }
            }
        }
    }
}

#[test]
fn exclusivity_probes_allowed_namespaces_and_the_representative_node_address() {
    // Only monitoring's prometheus may scrape; the policy admits all of monitoring instead.
    let mut objects = exclusive_cluster(
        Some(json!([{"from": [{"namespaceSelector": {"matchLabels": {"team": "obs"}}}]}])),
        &[],
    );
    objects.retain(|o| o["metadata"]["name"] != "grafana-0");
    let check = spec(json!({"grader": "reachability", "with": {
        "to": {"service": "api", "namespace": "shop", "port": 8080},
        "onlyFrom": [{"namespace": "monitoring", "selector": {"matchLabels": {"app": "prometheus"}}}]}}));
    let message = fail_message(&check.evaluate("c", &observe(&objects)));
    assert!(
        message.starts_with("a pod in monitoring with foreign labels"),
        "{message}"
    );
    // With no Node observed, the node network is represented by kind's first node address.
    let mut objects = exclusive_cluster(
        Some(frontend_and(&[json!({"ipBlock": {"cidr": "172.16.0.0/12"}})])),
        &[],
    );
    objects.retain(|o| o["kind"] != "Node");
    let check = only_frontend(json!({"service": "api", "namespace": "shop", "port": 8080}));
    let message = fail_message(&check.evaluate("c", &observe(&objects)));
    assert!(message.starts_with("the node network (172.18.0.2)"), "{message}");
}

#[test]
fn exclusivity_guards_backends_that_are_not_ready_yet() {
    let check = only_frontend(json!({"service": "api", "namespace": "shop", "port": 8080}));
    let not_ready = |mut objects: Vec<Value>| {
        for o in &mut objects {
            if o["metadata"]["name"] == "api-0" {
                o["status"]["conditions"] = json!([{"type": "Ready", "status": "False"}]);
            }
        }
        objects
    };
    let closed = not_ready(exclusive_cluster(Some(frontend_and(&[])), &[]));
    assert!(
        check.evaluate("c", &observe(&closed)).is_pass(),
        "policy, not readiness, decides"
    );
    let widened = not_ready(exclusive_cluster(
        Some(frontend_and(&[json!({"namespaceSelector": {}})])),
        &[],
    ));
    let message = fail_message(&check.evaluate("c", &observe(&widened)));
    assert!(message.contains("monitoring/grafana-0"), "{message}");
}

#[test]
fn exclusivity_without_a_usable_destination_is_not_a_pass() {
    let check = only_frontend(json!({"service": "api", "namespace": "shop", "port": 8080}));
    // The backend was scaled away: nobody reaches the api, but that proves nothing.
    let mut objects = exclusive_cluster(Some(frontend_and(&[])), &[]);
    objects.retain(|o| o["metadata"]["name"] != "api-0");
    let verdict = check.evaluate("c", &observe(&objects));
    let Verdict::Fail { message, .. } = &verdict else {
        panic!("{verdict:?}")
    };
    assert!(message.contains("cannot be judged"), "{message}");
    // The Service itself is gone.
    objects.retain(|o| o["kind"] != "Service");
    assert_eq!(
        reason(&check.evaluate("c", &observe(&objects))),
        Some(Reason::ObjectMissing)
    );
    let to_pods = only_frontend(json!({"pod": {"matchLabels": {"app": "api"}}, "namespace": "shop", "port": 8080}));
    assert_eq!(
        reason(&to_pods.evaluate("c", &observe(&objects))),
        Some(Reason::ObjectMissing)
    );
}

/// `frontend`'s egress policy with these rules (the api pods on 8080 is the allowed flow).
fn frontend_egress(rules: Value) -> Value {
    netpol(
        "shop",
        "frontend-egress",
        json!({"podSelector": {"matchLabels": {"app": "frontend"}}, "policyTypes": ["Egress"], "egress": rules}),
    )
}

fn only_to_api() -> CheckSpec {
    spec(json!({"grader": "reachability", "with": {
        "from": {"namespace": "shop", "selector": {"matchLabels": {"app": "frontend"}}},
        "onlyTo": [{"namespace": "shop", "selector": {"matchLabels": {"app": "api"}}, "port": 8080}]}}))
}

/// (case, `frontend`'s egress rules or no policy, `None`: passes, or `Some((destination, rule))`)
type EgressCase = (&'static str, Option<Value>, Option<(&'static str, &'static str)>);

#[test]
fn exclusive_egress_names_the_first_destination_outside_only_to_and_the_rule_that_lets_it_out() {
    let api = json!({"podSelector": {"matchLabels": {"app": "api"}}});
    let cases: [EgressCase; 6] = [
        (
            "exactly the api on 8080",
            Some(json!([{"to": [api], "ports": [{"port": 8080}]}])),
            None,
        ),
        (
            "ports removed",
            Some(json!([{"to": [api]}])),
            Some(("pod shop/api-0 on TCP 65000", "egress rule 1 (podSelector")),
        ),
        (
            "any namespace",
            Some(json!([{"to": [{"namespaceSelector": {}}], "ports": [{"port": 8080}]}])),
            Some((
                "pod monitoring/grafana-0 on TCP 8080",
                "egress rule 1 (namespaceSelector: {})",
            )),
        ),
        (
            "an outside range",
            Some(json!([{"to": [api], "ports": [{"port": 8080}]}, {"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}]}])),
            Some(("203.0.113.10", "egress rule 2 (ipBlock")),
        ),
        (
            "an allow-all rule",
            Some(json!([{"to": [api], "ports": [{"port": 8080}]}, {}])),
            Some(("pod monitoring/grafana-0", "egress rule 2")),
        ),
        (
            "no egress policy",
            None,
            Some(("pod monitoring/grafana-0", "no policy isolates")),
        ),
    ];
    for (case, rules, expected) in cases {
        let extra: Vec<Value> = rules.into_iter().map(frontend_egress).collect();
        let objects = exclusive_cluster(None, &extra);
        let verdict = only_to_api().evaluate("c", &observe(&objects));
        match expected {
            None => assert!(verdict.is_pass(), "{case}: {verdict:?}"),
            Some((destination, rule)) => {
                let message = fail_message(&verdict);
                assert!(
                    message.contains(destination) && message.contains(rule),
                    "{case}: {message}"
                );
            }
        }
    }
}

#[test]
fn exclusive_egress_may_allow_a_port_to_any_destination() {
    let dns_anywhere = spec(json!({"grader": "reachability", "with": {
        "from": {"namespace": "shop", "selector": {"matchLabels": {"app": "frontend"}}},
        "onlyTo": [{"namespace": "shop", "selector": {"matchLabels": {"app": "api"}}, "port": 8080}, {"port": 53}]}}));
    let api = json!({"podSelector": {"matchLabels": {"app": "api"}}});
    let rules = json!([{"to": [api], "ports": [{"port": 8080}]}, {"ports": [{"port": 53, "protocol": "UDP"}]}]);
    let objects = exclusive_cluster(None, &[frontend_egress(rules)]);
    assert!(dns_anywhere.evaluate("c", &observe(&objects)).is_pass());
    assert!(
        fail_message(&only_to_api().evaluate("c", &observe(&objects))).contains("on UDP 53"),
        "without the entry, DNS to anywhere is an escape"
    );
}

/// An allowed block of addresses outside the cluster: the rule naming exactly it passes; one
/// wider in either direction, without its port, on another port, or a block elsewhere lets out
/// an address or port beside it, named in the failure.
#[test]
fn exclusive_egress_to_a_cidr_catches_wider_blocks_other_blocks_and_other_ports() {
    let only = spec(json!({"grader": "reachability", "with": {
        "from": {"namespace": "shop", "selector": {"matchLabels": {"app": "frontend"}}},
        "onlyTo": [{"namespace": "shop", "selector": {"matchLabels": {"app": "api"}}, "port": 8080},
                   {"cidr": "198.51.100.0/24", "port": 443}]}}));
    let api = json!({"to": [{"podSelector": {"matchLabels": {"app": "api"}}}], "ports": [{"port": 8080}]});
    let partner = |cidr: &str, ports: Value| json!({"to": [{"ipBlock": {"cidr": cidr}}], "ports": ports});
    let https = json!([{"port": 443}]);
    let cases: [(&str, Value, Option<&str>); 9] = [
        ("exactly the block", partner("198.51.100.0/24", https.clone()), None),
        ("a narrower block", partner("198.51.100.0/28", https.clone()), None),
        (
            "wider, upwards",
            partner("198.51.100.0/23", https.clone()),
            Some("198.51.101.0 (just above 198.51.100.0/24"),
        ),
        (
            "wider, downwards",
            partner("198.51.98.0/23", json!([{"port": 443}, {"port": 8443}])),
            Some("198.51.99.255 (just below"),
        ),
        ("everywhere", partner("0.0.0.0/0", https.clone()), Some("on TCP 443")),
        (
            "no ports",
            partner("198.51.100.0/24", Value::Null),
            Some("198.51.100.1 (inside 198.51.100.0/24, outside the cluster) on TCP 65000"),
        ),
        (
            "another port",
            partner("198.51.100.0/24", json!([{"port": 8443}])),
            Some("on TCP 8443"),
        ),
        (
            "a block elsewhere",
            partner("8.8.8.0/24", https.clone()),
            Some("8.8.8.1 (in 8.8.8.0/24, which an egress rule names) on TCP 443"),
        ),
        (
            "an address elsewhere",
            partner("8.8.8.8/32", https.clone()),
            Some("8.8.8.8 (in 8.8.8.8/32"),
        ),
    ];
    for (case, rule, escape) in cases {
        let mut rule = rule;
        if rule["ports"].is_null() {
            rule.as_object_mut().expect("rule").remove("ports");
        }
        let objects = exclusive_cluster(None, &[frontend_egress(json!([api, rule]))]);
        let verdict = only.evaluate("c", &observe(&objects));
        match escape {
            None => assert!(verdict.is_pass(), "{case}: {verdict:?}"),
            Some(text) => {
                let message = fail_message(&verdict);
                assert!(
                    message.contains(text) && message.contains("egress rule 2"),
                    "{case}: {message}"
                );
            }
        }
    }
}

/// Without a probe, a DNS check is predicted and names the `explain` run that shows the same
/// answer; a name that resolves to another Service than the one asked for is a wrong answer,
/// named as such (explain would only say that it resolves).
#[test]
fn predicted_dns_suggests_an_explain_run_or_names_the_wrong_service() {
    let check = |name: &str| {
        spec(
            json!({"grader": "dns", "with": {"from": {"namespace": "shop", "probeLabels": {"app": "x"}},
            "name": name, "resolvesToService": {"name": "web", "namespace": "shop"}}}),
        )
    };
    let mut other = service();
    other["metadata"]["namespace"] = json!("data");
    let verdict = check("web").evaluate("c", &observe(&[service(), other.clone()]));
    let Verdict::Pass { evidence } = &verdict else {
        panic!("{verdict:?}")
    };
    let flow = evidence.explain.as_ref().expect("an explain flow");
    assert_eq!(flow.args(), ["--from", "shop/app=x", "--to", "shop/web", "--by-name"]);
    assert!(evidence.command.is_empty(), "the report writes the command");
    let verdict = check("web.data").evaluate("c", &observe(&[service(), other]));
    let Verdict::Fail {
        reason: Reason::WrongAnswer,
        message,
        evidence,
    } = &verdict
    else {
        panic!("{verdict:?}")
    };
    assert_eq!(
        message,
        "`web.data` is predicted to resolve to Service data/web, not to Service shop/web."
    );
    assert_eq!(evidence.command, "kubectl -n data get service web");
    assert!(evidence.explain.is_none());
    let verdict = check("api").evaluate("c", &observe(&[service()]));
    assert_eq!(reason(&verdict), Some(Reason::DnsFailure), "{verdict:?}");
}
