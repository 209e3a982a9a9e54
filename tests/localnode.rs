//! The local real-pod suite: `kubedrill scenario verify` with real probes (probe pods, `exec`,
//! real traffic through kube-proxy, CoreDNS and the CNI bridge) on the test bed's control plane
//! with one real node (`tests/testbed/up.sh --nodes real`: containerd and the kubelet as
//! processes, every image built from source). Started by `tests/localnode/e2e.sh` (`just
//! e2e-local`, `.ci/run`).
//!
//! A plain `cargo test` ignores it; run with `--ignored` and no such node, it fails and says
//! how to start one. What the node cannot host is listed in [`NOT_HOSTED`] with the reason;
//! every other scenario must behave: broken fails, the reference solution gets full marks,
//! every shortcut and alternative is judged as the scenario says.
//!
//! The node runs the kindnet profile (its NetworkPolicy engine is kube-router, under the
//! kindnet DaemonSet's name), so every scenario is verified with `--profile kindnet`: for the
//! calico profile's scenarios that proves their policies with real traffic, enforced by
//! kube-router rather than Calico (the kind e2e runs them on Calico).

// The suite reports what it measured (times per scenario) on stderr, into the CI log.
#![allow(clippy::print_stderr)]

use std::time::Instant;

use serde_json::Value;

mod bed;
use bed::{bed, catalogue, code, describe};

/// Why the Gateway API scenarios are not hosted.
const NO_TRAEFIK: &str = "needs the Traefik Gateway controller's image, pulled on first use; this machine pulls no image, and Traefik does not build from the module proxy alone (it refuses 15 of its dependencies)";

/// Scenarios the local node cannot host, and why. The suite fails when one of these is not in
/// the catalogue, so the table stays true.
const NOT_HOSTED: [(&str, &str); 6] = [
    (
        "flannel-cni-broken",
        "flannel profile: flannel's images are not built here; the node runs the kindnet profile only",
    ),
    (
        "nodeport-misconfigured",
        "needs a worker node: `node-port-answers` probes the NodePort of a node without the control-plane role, and the local node is a single control-plane node",
    ),
    (
        "nodeport-local-traffic",
        "needs a worker node: the fault is which node the pods run on, probed from the control-plane node to the worker's NodePort, and the local node is a single control-plane node",
    ),
    (
        "ingress-misrouted",
        "needs the ingress-nginx controller, downloaded on first use; this machine reaches no release host",
    ),
    ("gateway-route-detached", NO_TRAEFIK),
    ("gateway-backend-refused", NO_TRAEFIK),
];

/// The scenarios to verify: `KUBEDRILL_E2E_LOCAL_SCENARIOS` (comma-separated ids: `.ci/run`
/// runs a fixed subset), else every scenario the node can host.
fn selected() -> Vec<String> {
    let catalogue = catalogue();
    for (id, _) in NOT_HOSTED {
        assert!(
            catalogue.iter().any(|c| c == id),
            "NOT_HOSTED names `{id}`, not in the catalogue"
        );
    }
    match std::env::var("KUBEDRILL_E2E_LOCAL_SCENARIOS") {
        Ok(list) if !list.trim().is_empty() => {
            let ids: Vec<String> = list.split(',').map(|s| s.trim().to_owned()).collect();
            for id in &ids {
                assert!(
                    catalogue.contains(id),
                    "KUBEDRILL_E2E_LOCAL_SCENARIOS: `{id}` is not in the catalogue"
                );
                assert!(
                    !NOT_HOSTED.iter().any(|(n, _)| n == id),
                    "KUBEDRILL_E2E_LOCAL_SCENARIOS: `{id}` is not hosted by the local node"
                );
            }
            ids
        }
        _ => catalogue
            .into_iter()
            .filter(|id| !NOT_HOSTED.iter().any(|(n, _)| n == id))
            .collect(),
    }
}

/// Each selected scenario through `scenario verify --seed 1` with real probes: every stage
/// must be `ok`. Prints one line per scenario with its time, and the stages of any that fail.
#[test]
#[ignore = "needs the local real-pod node: just e2e-local (tests/localnode/e2e.sh)"]
fn every_hosted_scenario_behaves_with_real_traffic() {
    let bed = bed();
    assert_eq!(
        std::env::var("KUBEDRILL_TESTBED_NODES").as_deref(),
        Ok("real"),
        "the test bed runs kwok nodes: this suite needs `tests/testbed/up.sh --nodes real` (just e2e-local)"
    );
    let home = tempfile::tempdir().expect("home");
    let kubeconfig = bed.kubeconfig.display().to_string();
    for (id, why) in NOT_HOSTED {
        eprintln!("not hosted: {id}: {why}");
    }
    let mut problems = Vec::new();
    for id in selected() {
        let started = Instant::now();
        let out = bed.kubedrill(
            home.path(),
            &[
                "scenario",
                "verify",
                &id,
                "--seed",
                "1",
                "--profile",
                "kindnet",
                "--kubeconfig",
                &kubeconfig,
                "--agnhost-loaded",
                "-o",
                "json",
            ],
        );
        let seconds = started.elapsed().as_secs_f64();
        let stages: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let wrong: Vec<String> = stages
            .iter()
            .filter(|s| s["ok"] != true)
            .map(|s| format!("{}: {}/{} {}", s["name"], s["earned"], s["possible"], s["detail"]))
            .collect();
        let verdict = if code(&out) == 0 && !stages.is_empty() && wrong.is_empty() {
            "ok"
        } else {
            "WRONG"
        };
        eprintln!("{id:<32} {verdict:<6} {seconds:>6.1} s  {} stages", stages.len());
        if verdict != "ok" {
            problems.push(format!("{id}: {}\n  {}", describe(&out), wrong.join("\n  ")));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
