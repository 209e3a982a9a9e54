//! Every built-in scenario, through the library: lint-clean, renders with 5 seeds into
//! parseable manifests and real graders, deterministic per seed, randomised across seeds.

use std::collections::BTreeSet;

use kubedrill::catalogue::{Catalogue, builtin_dirs};
use kubedrill::scenario::lint::{LINT_SEEDS, lint_folders};
use kubedrill::scenario::step::Step;

#[test]
fn the_catalogue_has_at_least_the_three_foundation_scenarios() {
    let catalogue = Catalogue::load(None).expect("loads");
    let ids: BTreeSet<&str> = catalogue.entries.iter().map(|e| e.scenario.id()).collect();
    for id in [
        "service-wrong-selector",
        "netpol-default-deny",
        "coredns-corefile-error",
    ] {
        assert!(ids.contains(id), "{id} missing from {ids:?}");
    }
}

#[test]
fn every_built_in_scenario_is_lint_clean() {
    for report in lint_folders(builtin_dirs()) {
        assert!(report.is_valid(), "{}: {:#?}", report.file, report.problems);
    }
}

#[test]
fn every_scenario_renders_with_five_seeds_into_objects_and_graded_checks() {
    let catalogue = Catalogue::load(None).expect("loads");
    let graders: BTreeSet<&str> = graders::GRADERS.iter().map(|(id, _)| *id).collect();
    for entry in &catalogue.entries {
        let scenario = &entry.scenario;
        for seed in LINT_SEEDS {
            let rendered = scenario
                .render(seed)
                .unwrap_or_else(|p| panic!("{} seed {seed}: {p:#?}", scenario.id()));
            assert!(
                rendered.setup_objects().count() >= 2,
                "{}: setup applies objects",
                scenario.id()
            );
            assert!(!rendered.checks.is_empty());
            for check in &rendered.checks {
                assert!(graders.contains(check.spec.grader_id()));
                assert!(check.spec.problems().is_empty(), "{}: {}", scenario.id(), check.id);
            }
            assert!(!rendered.solution.is_empty() && !rendered.shortcuts.is_empty());
            for path in rendered.setup.iter().chain(&rendered.solution).filter_map(|s| match s {
                Step::Apply(path) => Some(path),
                _ => None,
            }) {
                assert!(rendered.files.contains_key(path), "{}: {path} rendered", scenario.id());
            }
            assert!(!rendered.task.contains("{{"), "{}: task fully rendered", scenario.id());
        }
    }
}

#[test]
fn the_same_seed_gives_identical_output_and_seeds_vary_it() {
    let catalogue = Catalogue::load(None).expect("loads");
    for entry in &catalogue.entries {
        let scenario = &entry.scenario;
        let render = |seed| scenario.render(seed).expect("renders");
        assert_eq!(render(7), render(7));
        assert_eq!(render(7).setup_yaml(), render(7).setup_yaml());
        let distinct: BTreeSet<String> = (0..10).map(|seed| render(seed).setup_yaml()).collect();
        assert!(
            distinct.len() > 1,
            "{}: seeds must randomise names, labels or ports",
            scenario.id()
        );
    }
}

#[test]
fn seeds_are_stable_across_versions() {
    // Pinned: changing the generator or the param streams would silently change every
    // recorded attempt's names, so this must fail loudly instead.
    let catalogue = Catalogue::load(None).expect("loads");
    let scenario = &catalogue.get("service-wrong-selector").expect("present").scenario;
    let rendered = scenario.render(7).expect("renders");
    assert_eq!(rendered.params["namespace"], "shop-a1rbu");
    assert_eq!(rendered.params["app"], "catalog");
    assert_eq!(rendered.params["target_port"], 8641);
}

#[test]
fn cluster_wide_scenarios_are_detected_from_their_steps() {
    let catalogue = Catalogue::load(None).expect("loads");
    let wide: BTreeSet<&str> = catalogue
        .entries
        .iter()
        .filter(|e| e.scenario.render(1).expect("renders").is_cluster_wide())
        .map(|e| e.scenario.id())
        .collect();
    assert!(wide.contains("coredns-corefile-error"));
    assert!(!wide.contains("service-wrong-selector") && !wide.contains("netpol-default-deny"));
}

#[test]
fn the_analyzer_proves_the_policy_scenario_without_a_cluster() {
    use graders::verdict::Verdict;
    use kubedrill::scenario::lint::predicted;

    let catalogue = Catalogue::load(None).expect("loads");
    let rendered = catalogue
        .get("netpol-default-deny")
        .expect("present")
        .scenario
        .render(1)
        .expect("renders");
    let status = |verdicts: &[(String, Verdict)], id: &str| {
        verdicts
            .iter()
            .find(|(c, _)| c == id)
            .map(|(_, v)| v.status())
            .expect("predicted")
    };
    let broken = predicted(&rendered, &[]).expect("the setup can be simulated");
    assert_eq!(status(&broken, "frontend-reaches-api"), "fail");
    assert_eq!(status(&broken, "stranger-blocked"), "pass");
    let solved = predicted(&rendered, &rendered.solution).expect("the solution can be simulated");
    assert!(solved.iter().all(|(_, v)| v.is_pass()), "{solved:#?}");
    for shortcut in &rendered.shortcuts {
        let verdicts = predicted(&rendered, &shortcut.steps).expect("shortcuts can be simulated");
        assert!(
            verdicts.iter().any(|(_, v)| !v.is_pass()),
            "{}: some traffic check must fail",
            shortcut.id
        );
    }
    let coredns = catalogue
        .get("coredns-corefile-error")
        .expect("present")
        .scenario
        .render(1)
        .expect("renders");
    let broken_dns = predicted(&coredns, &[]).expect("a merge patch of the Corefile is simulated");
    assert_eq!(status(&broken_dns, "service-name-resolves"), "fail", "{broken_dns:#?}");
    let kube_proxy = catalogue
        .get("kube-proxy-broken")
        .expect("present")
        .scenario
        .render(1)
        .expect("renders");
    assert!(
        predicted(&kube_proxy, &[]).is_none(),
        "strategic patches of kube-system objects are left to the e2e tests"
    );
}

/// coredns-corefile-error's reference solution restores kubeadm's own Corefile, byte for byte,
/// and its breakage changes only the `kubernetes` plugin's name. The reference is the ConfigMap
/// a kubeadm v1.36.3 binary prints (`kubeadm init phase addon coredns --print-manifest`, kept in
/// tests/testbed/manifests/kubeadm.yaml; template in kubeadm's
/// `cmd/kubeadm/app/phases/addons/dns/manifests.go`), whose cache block is
/// `cache 30 { disable success cluster.local  disable denial cluster.local }`, not `cache 30`.
#[test]
fn the_corefile_scenario_restores_kubeadms_exact_corefile() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/testbed/manifests/kubeadm.yaml"
    ))
    .expect("kubeadm manifests");
    let manifests = kubedrill::scenario::manifest::parse_manifests(&text).expect("parse");
    let kubeadm = manifests
        .iter()
        .find(|m| m.kind == "ConfigMap" && m.name == "coredns")
        .and_then(|m| m.object["data"]["Corefile"].as_str())
        .expect("kubeadm's Corefile")
        .to_owned();
    let catalogue = Catalogue::load(None).expect("loads");
    let scenario = &catalogue
        .entries
        .iter()
        .find(|e| e.scenario.id() == "coredns-corefile-error")
        .expect("scenario")
        .scenario;
    let rendered = kubedrill::catalogue::render(scenario, 1).expect("renders");
    let corefile = |steps: &[Step]| -> String {
        steps
            .iter()
            .find_map(|s| match s {
                Step::Patch(p) => p.patch["data"]["Corefile"].as_str().map(str::to_owned),
                _ => None,
            })
            .expect("a Corefile patch")
    };
    assert_eq!(corefile(&rendered.solution), kubeadm);
    let broken = corefile(&rendered.setup);
    let typo = rendered.params["typo"].as_str().expect("typo");
    assert_eq!(
        broken.replacen(&format!("{typo} cluster.local"), "kubernetes cluster.local", 1),
        kubeadm
    );
}

/// The simulation schedules pods as kind's scheduler would (the control-plane taint, node
/// selectors and affinity), so the analyzer proves the node-port scenarios without a cluster:
/// under `externalTrafficPolicy: Local` the worker answers only once a pod runs there, for
/// both seeded pinnings; a ClusterIP Service opens no node port.
#[test]
fn the_analyzer_proves_the_node_port_scenarios_without_a_cluster() {
    use graders::verdict::Verdict;
    use kubedrill::scenario::lint::predicted;

    let catalogue = Catalogue::load(None).expect("loads");
    let status = |verdicts: &[(String, Verdict)], id: &str| {
        verdicts
            .iter()
            .find(|(c, _)| c == id)
            .map(|(_, v)| (v.status(), v.message().to_owned()))
            .expect("predicted")
    };
    let local = &catalogue.get("nodeport-local-traffic").expect("present").scenario;
    let mut pinnings = std::collections::BTreeSet::new();
    for seed in 1..=4 {
        let rendered = local.render(seed).expect("renders");
        pinnings.insert(rendered.params["pinning"].to_string());
        let broken = predicted(&rendered, &[]).expect("the setup can be simulated");
        let (verdict, message) = status(&broken, "worker-node-port-answers");
        assert_eq!(verdict, "fail", "seed {seed}");
        assert!(
            message.contains(
                "externalTrafficPolicy Local and none of its 2 Ready endpoint(s) runs on node kubedrill-kindnet-worker"
            ),
            "seed {seed}: {message}"
        );
        let solved = predicted(&rendered, &rendered.solution).expect("the solution can be simulated");
        assert_eq!(
            status(&solved, "worker-node-port-answers").0,
            "pass",
            "seed {seed}: {solved:#?}"
        );
        // Every alternative fixes the traffic; both shortcuts do too: their guards, not the
        // traffic, catch them.
        let others = rendered.alternatives.iter().map(|a| (&a.id, &a.steps));
        for (id, steps) in others.chain(rendered.shortcuts.iter().map(|s| (&s.id, &s.steps))) {
            let verdicts = predicted(&rendered, steps).expect("simulated");
            assert_eq!(status(&verdicts, "worker-node-port-answers").0, "pass", "{id}");
        }
    }
    assert_eq!(pinnings.len(), 2, "the seeds cover both pinnings: {pinnings:?}");

    let misconfigured = catalogue
        .get("nodeport-misconfigured")
        .expect("present")
        .scenario
        .render(1)
        .expect("renders");
    let broken = predicted(&misconfigured, &[]).expect("simulated");
    let (verdict, message) = status(&broken, "node-port-answers");
    assert_eq!(verdict, "fail");
    assert!(message.contains("nothing listens on TCP port 30080"), "{message}");
    let solved = predicted(&misconfigured, &misconfigured.solution).expect("simulated");
    assert_eq!(status(&solved, "node-port-answers").0, "pass", "{solved:#?}");
}
