//! Grading the fixture snapshots under `tests/fixtures/snapshots/` (broken, fixed and shortcut
//! states of every scenario, seed 1 unless a fixture names another; some add an alternative
//! fix or another seed's fault): expected scores, reports snapshot-tested with insta, JUnit
//! parsed back, and the `grade` command's exit codes.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use graders::score::{DEFAULT_PASS_MARK, ScoreCard, grade};
use graders::verdict::Verdict;
use kubedrill::catalogue::Catalogue;
use kubedrill::cli::ColorChoice;
use kubedrill::output::Printer;
use kubedrill::report::{GradeReport, ReportFormat, SCHEMA_VERSION, ScenarioInfo};
use kubedrill::snapshot;

fn fixture(scenario: &str, state: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/snapshots/{scenario}/{state}.yaml"))
}

fn report(scenario_id: &str, state: &str) -> GradeReport {
    let catalogue = Catalogue::load(None).expect("catalogue");
    let scenario = &catalogue.get(scenario_id).expect("scenario").scenario;
    let text = std::fs::read_to_string(fixture(scenario_id, state)).expect("fixture");
    let mut snapshot = snapshot::parse(&text).expect("fixture parses");
    let seed = snapshot.seed.expect("fixtures name their seed");
    let rendered = scenario.render(seed).expect("renders");
    snapshot.baseline_from_setup(&rendered).expect("baseline");
    let summary = scenario.summary();
    GradeReport {
        schema_version: SCHEMA_VERSION,
        kubedrill_version: "TEST",
        scenario: ScenarioInfo {
            id: summary.id,
            title: summary.title,
            domain: summary.domain,
            seed,
        },
        source: format!("snapshot:{scenario_id}/{state}.yaml"),
        score: ScoreCard::new(grade(&rendered.checks, &snapshot.observation), 0, DEFAULT_PASS_MARK),
        explanation: rendered.explanation,
        integrity: None,
    }
    .with_suggested_commands(&format!("snapshot:{scenario_id}/{state}.yaml"))
}

fn failing(card: &ScoreCard) -> Vec<&str> {
    card.checks
        .iter()
        .filter(|c| c.verdict.status() == "fail")
        .map(|c| c.id.as_str())
        .collect()
}

/// The most an untouched broken state may score, in percent.
const BROKEN_AT_MOST: f64 = 10.0;

/// (scenario, state, earned, possible, passed, failing checks)
type Expected = (&'static str, &'static str, u32, u32, bool, &'static [&'static str]);

const EXPECTED: &[Expected] = &[
    (
        "calico-cross-namespace-policy",
        "broken",
        0,
        6,
        false,
        &["api-reaches-db"],
    ),
    ("calico-cross-namespace-policy", "fixed", 6, 6, true, &[]),
    (
        "calico-cross-namespace-policy",
        "shortcut-select-owner-label",
        0,
        6,
        false,
        &["staging-blocked", "only-api-reaches-db"],
    ),
    (
        "calico-cross-namespace-policy",
        "shortcut-any-namespace",
        0,
        6,
        false,
        &["staging-blocked", "only-api-reaches-db"],
    ),
    (
        "calico-cross-namespace-policy",
        "shortcut-allow-all-egress",
        0,
        6,
        false,
        &["api-egress-stays-restricted"],
    ),
    (
        "calico-cross-namespace-policy",
        "shortcut-egress-by-pod-cidr",
        0,
        6,
        false,
        &["api-egress-stays-restricted"],
    ),
    (
        "calico-cross-namespace-policy",
        "shortcut-rewrite-without-partner",
        0,
        6,
        false,
        &["partner-still-reachable"],
    ),
    (
        "externalname-misused",
        "broken",
        0,
        7,
        false,
        &["alias-resolves-to-api", "checkout-reaches-api"],
    ),
    ("externalname-misused", "fixed", 7, 7, true, &[]),
    (
        "externalname-misused",
        "shortcut-svc-suffix",
        0,
        7,
        false,
        &["alias-resolves-to-api", "checkout-reaches-api"],
    ),
    (
        "externalname-misused",
        "shortcut-local-copy",
        0,
        7,
        false,
        &["alias-resolves-to-api", "alias-stays-externalname"],
    ),
    (
        "headless-statefulset-dns",
        "broken",
        0,
        7,
        false,
        &["member-0-resolves", "member-1-resolves", "service-is-headless"],
    ),
    ("headless-statefulset-dns", "fixed", 7, 7, true, &[]),
    (
        "headless-statefulset-dns",
        "shortcut-recreated-statefulset",
        0,
        7,
        false,
        &[
            "member-0-resolves",
            "member-1-resolves",
            "service-is-headless",
            "statefulset-unchanged",
        ],
    ),
    (
        "headless-statefulset-dns",
        "shortcut-service-without-selector",
        2,
        7,
        false,
        &["member-0-resolves", "member-1-resolves"],
    ),
    (
        "selectorless-service-endpoints",
        "broken",
        0,
        6,
        false,
        &["reporter-reaches-db", "db-endpoints"],
    ),
    (
        "selectorless-service-endpoints",
        "broken-address-type",
        0,
        6,
        false,
        &["reporter-reaches-db", "db-endpoints"],
    ),
    ("selectorless-service-endpoints", "fixed", 6, 6, true, &[]),
    (
        "selectorless-service-endpoints",
        "alternative-second-slice",
        6,
        6,
        true,
        &[],
    ),
    (
        "selectorless-service-endpoints",
        "shortcut-add-selector",
        0,
        6,
        false,
        &["reporter-reaches-db", "db-endpoints", "service-selectorless"],
    ),
    (
        "selectorless-service-endpoints",
        "shortcut-rename-service-port",
        0,
        6,
        false,
        &["db-endpoints", "service-unchanged"],
    ),
    (
        "nodeport-already-allocated",
        "broken",
        0,
        9,
        false,
        &["service-on-node-port", "node-port-answers", "endpoints-from-deployment"],
    ),
    ("nodeport-already-allocated", "fixed", 9, 9, true, &[]),
    (
        "nodeport-already-allocated",
        "shortcut-another-node-port",
        2,
        9,
        false,
        &["service-on-node-port", "node-port-answers"],
    ),
    (
        "nodeport-already-allocated",
        "shortcut-delete-legacy-namespace",
        0,
        9,
        false,
        &["other-workload-kept", "other-service-kept"],
    ),
    (
        "coredns-corefile-error",
        "broken",
        0,
        7,
        false,
        &[
            "corefile-serves-cluster-domain",
            "coredns-rolled-out",
            "service-name-resolves",
        ],
    ),
    ("coredns-corefile-error", "fixed", 7, 7, true, &[]),
    (
        "coredns-corefile-error",
        "shortcut-delete-kubernetes-plugin",
        2,
        7,
        false,
        &["corefile-serves-cluster-domain", "service-name-resolves"],
    ),
    (
        "coredns-corefile-error",
        "shortcut-restart-only",
        0,
        7,
        false,
        &[
            "corefile-serves-cluster-domain",
            "coredns-rolled-out",
            "service-name-resolves",
        ],
    ),
    (
        "coredns-scaled-down",
        "broken",
        0,
        9,
        false,
        &["coredns-pods-ready", "service-name-resolves", "coredns-two-replicas"],
    ),
    ("coredns-scaled-down", "fixed", 9, 9, true, &[]),
    (
        "coredns-scaled-down",
        "shortcut-scale-to-one",
        4,
        9,
        false,
        &["coredns-pods-ready", "coredns-two-replicas"],
    ),
    (
        "dns-wrong-namespace",
        "broken",
        0,
        5,
        false,
        &["configured-host-resolves"],
    ),
    ("dns-wrong-namespace", "fixed", 5, 5, true, &[]),
    (
        "dns-wrong-namespace",
        "shortcut-alias-service",
        0,
        5,
        false,
        &["no-alias-service"],
    ),
    (
        "flannel-cni-broken",
        "broken",
        0,
        10,
        false,
        &[
            "flannel-on-every-node",
            "app-pods-ready",
            "client-gets-http-200",
            "no-node-selector",
        ],
    ),
    ("flannel-cni-broken", "fixed", 10, 10, true, &[]),
    (
        "flannel-cni-broken",
        "shortcut-delete-stuck-pods",
        0,
        10,
        false,
        &[
            "flannel-on-every-node",
            "app-pods-ready",
            "client-gets-http-200",
            "no-node-selector",
        ],
    ),
    (
        "incident-checkout-payment",
        "broken",
        0,
        7,
        false,
        &["payment-pods-ready", "checkout-reaches-payment"],
    ),
    ("incident-checkout-payment", "fixed", 7, 7, true, &[]),
    (
        "incident-checkout-payment",
        "shortcut-checkout-flow-only",
        0,
        7,
        false,
        &["payment-pods-ready", "checkout-reaches-payment"],
    ),
    (
        "incident-checkout-payment",
        "shortcut-delete-default-deny",
        0,
        7,
        false,
        &[
            "stranger-blocked",
            "payment-closed-to-others",
            "checkout-kept-from-db",
            "default-deny-unchanged",
        ],
    ),
    ("ingress-misrouted", "broken", 0, 6, false, &["api-route"]),
    ("ingress-misrouted", "fixed", 6, 6, true, &[]),
    (
        "ingress-misrouted",
        "shortcut-lookalike-service",
        0,
        6,
        false,
        &["no-lookalike-service"],
    ),
    (
        "intra-pod-port-conflict",
        "broken",
        0,
        6,
        false,
        &["pods-ready", "client-gets-http-200"],
    ),
    ("intra-pod-port-conflict", "fixed", 6, 6, true, &[]),
    (
        "intra-pod-port-conflict",
        "shortcut-delete-sidecar",
        0,
        6,
        false,
        &["both-containers-kept"],
    ),
    (
        "kube-proxy-broken",
        "broken",
        0,
        9,
        false,
        &[
            "kube-proxy-rolled-out",
            "clusterip-answers",
            "kube-proxy-reads-its-config",
        ],
    ),
    ("kube-proxy-broken", "fixed", 9, 9, true, &[]),
    (
        "kube-proxy-broken",
        "shortcut-restart-kube-proxy",
        0,
        9,
        false,
        &[
            "kube-proxy-rolled-out",
            "clusterip-answers",
            "kube-proxy-reads-its-config",
        ],
    ),
    (
        "netpol-default-deny",
        "broken",
        0,
        5,
        false,
        &["frontend-reaches-api", "frontend-resolves-api"],
    ),
    ("netpol-default-deny", "fixed", 5, 5, true, &[]),
    (
        "netpol-default-deny",
        "shortcut-allow-everything",
        0,
        5,
        false,
        &["stranger-blocked", "api-closed-to-others"],
    ),
    (
        "netpol-default-deny",
        "shortcut-delete-default-deny",
        0,
        5,
        false,
        &["stranger-blocked", "api-closed-to-others", "default-deny-unchanged"],
    ),
    (
        "netpol-default-deny",
        "shortcut-ingress-only",
        0,
        5,
        false,
        &["frontend-reaches-api", "frontend-resolves-api"],
    ),
    (
        "netpol-egress-dns",
        "broken",
        0,
        10,
        false,
        &["web-resolves-api", "web-reaches-api-by-name", "dns-over-tcp-allowed"],
    ),
    ("netpol-egress-dns", "fixed", 10, 10, true, &[]),
    (
        "netpol-egress-dns",
        "shortcut-allow-all-egress",
        0,
        10,
        false,
        &["db-still-blocked", "web-egress-stays-restricted"],
    ),
    (
        "netpol-egress-dns",
        "shortcut-udp-only",
        6,
        10,
        false,
        &["dns-over-tcp-allowed"],
    ),
    (
        "netpol-wrong-labels",
        "broken",
        0,
        5,
        false,
        &["prometheus-scrapes-api"],
    ),
    ("netpol-wrong-labels", "fixed", 5, 5, true, &[]),
    (
        "netpol-wrong-labels",
        "shortcut-allow-all-ingress",
        0,
        5,
        false,
        &[
            "other-monitoring-pods-blocked",
            "lookalike-blocked",
            "only-prometheus-scrapes",
            "metrics-port-only",
        ],
    ),
    (
        "netpol-wrong-labels",
        "shortcut-label-namespace-keep-or",
        0,
        5,
        false,
        &[
            "other-monitoring-pods-blocked",
            "lookalike-blocked",
            "only-prometheus-scrapes",
        ],
    ),
    (
        "nodeport-misconfigured",
        "broken",
        0,
        9,
        false,
        &["node-port-answers", "service-is-nodeport", "client-gets-http-200"],
    ),
    ("nodeport-misconfigured", "fixed", 9, 9, true, &[]),
    (
        "nodeport-misconfigured",
        "shortcut-host-port",
        4,
        9,
        false,
        &["service-is-nodeport", "client-gets-http-200"],
    ),
    (
        "readiness-probe-failing",
        "broken",
        0,
        6,
        false,
        &["three-ready-endpoints", "canary-ready"],
    ),
    ("readiness-probe-failing", "fixed", 6, 6, true, &[]),
    (
        "readiness-probe-failing",
        "shortcut-drop-readiness-probe",
        0,
        6,
        false,
        &["canary-keeps-probe"],
    ),
    (
        "readiness-probe-failing",
        "shortcut-scale-stable-to-three",
        0,
        6,
        false,
        &["canary-ready", "canary-keeps-probe"],
    ),
    (
        "service-port-name-mismatch",
        "broken",
        0,
        7,
        false,
        &["client-gets-http-200", "endpoints-from-deployment"],
    ),
    ("service-port-name-mismatch", "fixed", 7, 7, true, &[]),
    (
        "service-port-name-mismatch",
        "shortcut-expose-on-container-port",
        0,
        7,
        false,
        &["client-gets-http-200", "endpoints-from-deployment", "service-port-kept"],
    ),
    (
        "service-port-name-mismatch",
        "shortcut-rename-container-port",
        0,
        7,
        false,
        &["deployment-unchanged"],
    ),
    (
        "service-wrong-selector",
        "broken",
        0,
        7,
        false,
        &["endpoints-from-deployment", "client-gets-http-200"],
    ),
    ("service-wrong-selector", "fixed", 7, 7, true, &[]),
    (
        "service-wrong-selector",
        "shortcut-recreate-deployment-relabelled",
        0,
        7,
        false,
        &["endpoints-from-deployment", "deployment-unchanged"],
    ),
    (
        "service-wrong-selector",
        "shortcut-stray-pods-match-selector",
        3,
        7,
        false,
        &["endpoints-from-deployment"],
    ),
    (
        "service-wrong-targetport",
        "broken",
        0,
        5,
        false,
        &["client-gets-http-200"],
    ),
    ("service-wrong-targetport", "fixed", 5, 5, true, &[]),
    (
        "service-wrong-targetport",
        "shortcut-expose-on-container-port",
        0,
        5,
        false,
        &["client-gets-http-200", "endpoints-from-deployment", "service-port-kept"],
    ),
    (
        "service-wrong-targetport",
        "shortcut-listen-on-wrong-port",
        0,
        5,
        false,
        &["deployment-unchanged"],
    ),
    (
        "gateway-route-detached",
        "broken",
        0,
        9,
        false,
        &["route-finds-its-listener", "route-accepted", "site-through-gateway"],
    ),
    ("gateway-route-detached", "fixed", 9, 9, true, &[]),
    ("gateway-route-detached", "alternative-no-section", 9, 9, true, &[]),
    (
        "gateway-route-detached",
        "shortcut-open-gateway",
        0,
        9,
        false,
        &["gateway-unchanged"],
    ),
    (
        "gateway-route-detached",
        "shortcut-route-beside-gateway",
        0,
        9,
        false,
        &["route-finds-its-listener", "route-accepted", "no-route-beside-gateway"],
    ),
    (
        "gateway-backend-refused",
        "broken",
        0,
        8,
        false,
        &["route-resolved", "site-through-gateway"],
    ),
    (
        "nodeport-local-traffic",
        "broken",
        0,
        6,
        false,
        &["worker-node-port-answers", "worker-node-port-serves-the-app"],
    ),
    ("nodeport-local-traffic", "fixed", 6, 6, true, &[]),
    (
        "nodeport-local-traffic",
        "shortcut-cluster-policy",
        0,
        6,
        false,
        &["service-unchanged"],
    ),
    (
        "nodeport-local-traffic",
        "shortcut-copy-on-worker",
        0,
        6,
        false,
        &["served-by-the-deployment"],
    ),
    (
        "gateway-backend-refused",
        "broken-port",
        0,
        8,
        false,
        &["route-resolved", "site-through-gateway"],
    ),
    ("gateway-backend-refused", "fixed", 8, 8, true, &[]),
    (
        "gateway-backend-refused",
        "shortcut-service-port",
        0,
        8,
        false,
        &["route-resolved", "site-through-gateway", "backend-service-unchanged"],
    ),
    (
        "gateway-backend-refused",
        "shortcut-local-copy",
        0,
        8,
        false,
        &["no-local-copy"],
    ),
];

#[test]
fn every_scenario_has_broken_fixed_and_every_shortcut_in_the_fixtures() {
    let catalogue = Catalogue::load(None).expect("catalogue");
    assert!(catalogue.entries.len() >= 15, "the catalogue");
    for entry in &catalogue.entries {
        let id = entry.scenario.id();
        let mut wanted = vec!["broken".to_owned(), "fixed".to_owned()];
        wanted.extend(
            entry
                .scenario
                .file
                .shortcuts
                .iter()
                .map(|s| format!("shortcut-{}", s.value.id)),
        );
        for state in wanted {
            assert!(fixture(id, &state).is_file(), "{id}: no fixture `{state}.yaml`");
            assert!(
                EXPECTED.iter().any(|e| e.0 == id && e.1 == state),
                "{id}/{state}: no expected score in EXPECTED"
            );
        }
    }
}

#[test]
fn broken_states_fail_solutions_get_full_marks_and_shortcuts_do_not() {
    for (scenario, state, earned, possible, passed, fails) in EXPECTED {
        let card = report(scenario, state).score;
        let label = format!("{scenario}/{state}");
        assert_eq!(
            (card.earned, card.possible, card.passed),
            (*earned, *possible, *passed),
            "{label}"
        );
        assert_eq!(failing(&card), *fails, "{label}");
        // The scoring rules every scenario obeys (scenarios/README.md, "Objectives and guards").
        match *state {
            // `alternative-<id>`: another correct fix; `broken-<variant>`: a seed's other fault.
            s if s == "fixed" || s.starts_with("alternative-") => {
                assert!(card.passed && card.earned == card.total, "{label}: full marks");
            }
            s if s.starts_with("broken") => assert!(
                card.percent <= BROKEN_AT_MOST,
                "{label}: doing nothing scores {}%",
                card.percent
            ),
            _ => assert!(
                card.percent < DEFAULT_PASS_MARK,
                "{label}: a shortcut scores {}%, at or above the pass mark",
                card.percent
            ),
        }
        assert_eq!(card.errors, 0, "{label}: no environment errors in fixtures");
    }
}

#[test]
fn every_shortcut_fixture_fails_the_checks_its_scenario_says_it_must() {
    let catalogue = Catalogue::load(None).expect("catalogue");
    for (scenario_id, state, _, _, _, _) in EXPECTED.iter().filter(|e| e.1.starts_with("shortcut-")) {
        let rendered = catalogue
            .get(scenario_id)
            .expect("scenario")
            .scenario
            .render(1)
            .expect("renders");
        let shortcut_id = state.trim_start_matches("shortcut-");
        let shortcut = rendered
            .shortcuts
            .iter()
            .find(|s| s.id == shortcut_id)
            .unwrap_or_else(|| panic!("{scenario_id}: the fixture names no shortcut `{shortcut_id}`"));
        let card = report(scenario_id, state).score;
        for must_fail in &shortcut.fails {
            let verdict = &card.checks.iter().find(|c| &c.id == must_fail).expect("check").verdict;
            // A check the fixture cannot evaluate (static reachability) is not a pass either.
            assert!(!verdict.is_pass(), "{scenario_id}/{state}: `{must_fail}` must not pass");
        }
        assert!(
            card.earned < card.total,
            "{scenario_id}/{state}: a shortcut never earns full marks"
        );
    }
}

fn plain() -> Printer {
    Printer::new(ColorChoice::Never, false)
}

#[test]
fn text_and_json_reports_match_their_snapshots() {
    for (scenario, state, ..) in EXPECTED {
        let report = report(scenario, state);
        let text = report.render(ReportFormat::Text, &plain()).expect("text");
        insta::assert_snapshot!(format!("{scenario}__{state}__text"), text);
        let json = report.render(ReportFormat::Json, &plain()).expect("json");
        insta::assert_snapshot!(format!("{scenario}__{state}__json"), json);
    }
}

#[test]
fn json_report_has_a_stable_schema() {
    let json: serde_json::Value = serde_json::from_str(
        &report("netpol-default-deny", "broken")
            .render(ReportFormat::Json, &plain())
            .expect("json"),
    )
    .expect("valid json");
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["scenario"]["id"], "netpol-default-deny");
    assert_eq!(json["score"]["passed"], false);
    let check = &json["score"]["checks"][0];
    for key in ["id", "grader", "description", "points", "earned", "verdict"] {
        assert!(check.get(key).is_some(), "{key} in {check}");
    }
    assert_eq!(check["verdict"]["status"], "fail");
    assert_eq!(check["verdict"]["reason"], "dns-failure");
    assert!(
        check["verdict"]["evidence"]["command"]
            .as_str()
            .is_some_and(|c| c.starts_with("kubectl "))
    );
}

#[test]
fn junit_parses_back_with_the_right_counts() {
    let xml = report("netpol-default-deny", "broken")
        .render(ReportFormat::Junit, &plain())
        .expect("junit");
    let suites = junit_parser::from_reader(std::io::Cursor::new(xml.as_bytes())).expect("valid JUnit");
    assert_eq!(suites.suites.len(), 1);
    let suite = &suites.suites[0];
    assert_eq!((suite.tests, suite.failures, suite.errors, suite.skipped), (5, 2, 0, 0));
    let failed: Vec<&str> = suite
        .cases
        .iter()
        .filter(|c| c.status.is_failure())
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(failed.len(), 2);
    assert!(failed[0].ends_with("frontend-reaches-api (3 points)"), "{failed:?}");
    assert!(failed[1].ends_with("frontend-resolves-api (2 points)"), "{failed:?}");
}

#[test]
fn markdown_and_html_reports_render_from_templates() {
    let report = report("service-wrong-selector", "broken");
    let markdown = report.render(ReportFormat::Markdown, &plain()).expect("markdown");
    assert!(
        markdown.starts_with("# A Service whose selector matches no pod"),
        "{markdown}"
    );
    assert!(markdown.contains("**Score: 0/7 (0%) — not passed**"), "{markdown}");
    assert!(
        markdown.contains("### `endpoints-from-deployment` failed"),
        "{markdown}"
    );
    assert!(
        markdown.contains("`catalog`"),
        "Markdown keeps its code spans: {markdown}"
    );
    let html = report.render(ReportFormat::Html, &plain()).expect("html");
    assert!(html.contains("<td class=\"result fail\">fail</td>"), "{html}");
    assert!(
        html.contains("&#x27;") || html.contains("&#39;"),
        "the explanation's quotes are escaped"
    );
    assert!(!html.contains("'{\"spec\""), "raw text is never injected into HTML");
    assert!(
        html.contains("<code>catalog</code>"),
        "code spans become <code>: {html}"
    );
    assert!(!html.contains('`'), "no Markdown backtick is shown literally: {html}");
    assert!(
        html.contains("<td class=\"id\"><code>endpoints-from-deployment</code></td>"),
        "check ids are marked so they never wrap: {html}"
    );
}

#[test]
fn html_reports_escape_names_and_messages_from_the_cluster_and_the_scenario() {
    let mut report = report("service-wrong-selector", "broken");
    let check = report
        .score
        .checks
        .iter_mut()
        .find(|c| c.verdict.status() == "fail")
        .expect("a failing check");
    // A hostile snapshot can name objects anything; scenario text is the author's.
    if let Verdict::Fail { message, evidence, .. } = &mut check.verdict {
        *message = "Service `<img src=x onerror=alert(1)>` selects <script>alert(2)</script> nothing".to_owned();
        evidence.observed = "</pre><script>alert(3)</script>".to_owned();
    }
    check.description = "Made by `</code><b>bold</b>` & co".to_owned();
    report.explanation = "First `a` paragraph.\n\n<iframe src=x></iframe> second".to_owned();
    let html = report.render(ReportFormat::Html, &plain()).expect("html");
    for injected in ["<img", "<script", "<b>", "<iframe"] {
        assert!(!html.contains(injected), "`{injected}` reached the HTML: {html}");
    }
    for escaped in [
        "Service <code>&lt;img src=x onerror=alert(1)&gt;</code> selects &lt;script&gt;alert(2)&lt;/script&gt; nothing",
        "&lt;/pre&gt;&lt;script&gt;alert(3)&lt;/script&gt;",
        "Made by <code>&lt;/code&gt;&lt;b&gt;bold&lt;/b&gt;</code> &amp; co",
        "<p>First <code>a</code> paragraph.</p>",
        "<p>&lt;iframe src=x&gt;&lt;/iframe&gt; second</p>",
    ] {
        assert!(html.contains(escaped), "missing `{escaped}`: {html}");
    }
}

#[test]
fn every_report_format_says_which_guard_cost_what() {
    let report = report("netpol-default-deny", "shortcut-delete-default-deny");
    let text = report.render(ReportFormat::Text, &plain()).expect("text");
    assert!(
        text.contains("a guard: cost 5 point(s), cancelling frontend-reaches-api (3), frontend-resolves-api (2)"),
        "{text}"
    );
    assert!(
        text.contains("earns nothing: guard `stranger-blocked` failed"),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&report.render(ReportFormat::Json, &plain()).expect("json")).expect("parses");
    let checks = json["score"]["checks"].as_array().expect("checks");
    let by_id = |id: &str| checks.iter().find(|c| c["id"] == id).expect("check");
    assert_eq!(by_id("stranger-blocked")["role"], "guard");
    assert_eq!(by_id("stranger-blocked")["cost"], 5);
    assert_eq!(
        by_id("frontend-reaches-api")["gated"],
        serde_json::json!({"by": "cancelled", "guard": "stranger-blocked"})
    );
    let markdown = report.render(ReportFormat::Markdown, &plain()).expect("markdown");
    assert!(markdown.contains("| guard, cost 5 |"), "{markdown}");
    assert!(markdown.contains("0/3 (cancelled by `stranger-blocked`)"), "{markdown}");
    assert!(
        markdown.contains("A guard: it cost 5 point(s), cancelling `frontend-reaches-api`, `frontend-resolves-api`."),
        "{markdown}"
    );
    let html = report.render(ReportFormat::Html, &plain()).expect("html");
    assert!(html.contains("<td>guard, cost 5</td>"), "{html}");
    assert!(
        html.contains("(cancelled by <code class=\"id\">stranger-blocked</code>)"),
        "{html}"
    );
    let junit = report.render(ReportFormat::Junit, &plain()).expect("junit");
    assert!(junit.contains("stranger-blocked (guard)"), "{junit}");
    assert!(
        junit.contains(r#"name="kubedrill.cost" value="5""#)
            && junit.contains(r#"name="kubedrill.cancelled-by" value="stranger-blocked""#),
        "{junit}"
    );
}

fn kubedrill() -> Command {
    let mut cmd = Command::cargo_bin("kubedrill").expect("binary");
    cmd.env_remove("KUBEDRILL_SCENARIOS");
    cmd
}

#[test]
fn grade_command_exit_codes_follow_the_pass_mark() {
    let grade = |scenario: &str, state: &str| {
        let mut cmd = kubedrill();
        cmd.args(["grade", "--scenario", scenario, "--snapshot"])
            .arg(fixture(scenario, state));
        cmd
    };
    grade("service-wrong-selector", "fixed").assert().code(0);
    grade("service-wrong-selector", "broken").assert().code(1);
    // The stray-pods shortcut earns 3 of 7 (42.9%): it passes a 40% mark.
    grade("service-wrong-selector", "shortcut-stray-pods-match-selector")
        .arg("--pass-mark")
        .arg("40")
        .assert()
        .code(0);
    grade("netpol-default-deny", "broken")
        .args(["--seed", "2"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("taken for seed 1"));
    kubedrill()
        .args(["grade", "--scenario", "netpol-default-deny", "--snapshot"])
        .arg(fixture("service-wrong-selector", "fixed"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("scenario `service-wrong-selector`"));
    grade("service-wrong-selector", "fixed")
        .args(["--pass-mark", "120"])
        .assert()
        .code(2);
}

#[test]
fn grade_writes_reports_to_a_file_and_reports_bad_snapshots() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("report.xml");
    kubedrill()
        .args([
            "grade",
            "--scenario",
            "coredns-corefile-error",
            "-o",
            "junit",
            "--report-file",
        ])
        .arg(&out)
        .arg("--snapshot")
        .arg(fixture("coredns-corefile-error", "fixed"))
        .assert()
        .code(0)
        .stdout("");
    assert!(std::fs::read_to_string(&out).expect("written").contains("<testsuites"));
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "apiVersion: v1\nkind: [\n").expect("write");
    kubedrill()
        .args([
            "grade",
            "--scenario",
            "coredns-corefile-error",
            "--seed",
            "1",
            "--snapshot",
        ])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("bad.yaml`:2:"))
        .stderr(predicates::str::contains("hint: a snapshot is"));
    let plain_list = dir.path().join("plain.yaml");
    std::fs::write(&plain_list, "apiVersion: v1\nkind: List\nitems: []\n").expect("write");
    kubedrill()
        .args(["grade", "--scenario", "coredns-corefile-error", "--snapshot"])
        .arg(&plain_list)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no seed"));
}

#[test]
fn probe_errors_are_environment_errors_with_exit_3() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(fixture("service-wrong-selector", "fixed")).expect("fixture");
    let broken_probe = text.replace(
        "outcome: connected",
        "outcome: other\n    error: probe pod stuck in ContainerCreating",
    );
    assert_ne!(text, broken_probe);
    let path = dir.path().join("probe-error.yaml");
    std::fs::write(&path, broken_probe).expect("write");
    kubedrill()
        .args([
            "--color",
            "never",
            "grade",
            "--scenario",
            "service-wrong-selector",
            "--snapshot",
        ])
        .arg(&path)
        .assert()
        .code(3)
        .stdout(predicates::str::contains("ERROR"))
        .stdout(predicates::str::contains("environment problem, not scored"));
}

/// A `kubectl get -o yaml` dump of seed 1's attempt (the fixture without kubedrill's header).
fn headerless(dir: &Path, scenario: &str, state: &str) -> PathBuf {
    let text = std::fs::read_to_string(fixture(scenario, state)).expect("fixture");
    let objects = text.split_once("\nobjects:\n").expect("a Snapshot document").1;
    let items = objects.split("\nbaseline:").next().expect("objects");
    let path = dir.join("dump.yaml");
    std::fs::write(&path, format!("apiVersion: v1\nkind: List\nitems:\n{items}\n")).expect("write");
    path
}

#[test]
fn grading_with_the_wrong_seed_names_the_right_one_instead_of_scoring_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dump = headerless(dir.path(), "service-wrong-selector", "fixed");
    let graded = |seed: &str| {
        kubedrill()
            .args([
                "grade",
                "--scenario",
                "service-wrong-selector",
                "--seed",
                seed,
                "--snapshot",
            ])
            .arg(&dump)
            .output()
            .expect("run")
    };
    let right = graded("1");
    assert_eq!(
        right.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&right.stderr)
    );
    let wrong = graded("2");
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert_eq!(wrong.status.code(), Some(2), "{stderr}");
    assert!(
        wrong.stdout.is_empty(),
        "no report is printed for a state of another attempt"
    );
    assert!(
        stderr.contains("nothing of `service-wrong-selector` seed 2 is in")
            && stderr.contains("none of its namespaces"),
        "{stderr}"
    );
    assert!(stderr.contains("matches seed 1: grade with `--seed 1`"), "{stderr}");
}

#[test]
fn output_is_the_report_format_and_report_file_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = kubedrill()
        .current_dir(dir.path())
        .args([
            "grade",
            "--scenario",
            "coredns-corefile-error",
            "--output",
            "json",
            "--snapshot",
        ])
        .arg(fixture("coredns-corefile-error", "fixed"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(report["scenario"]["id"], "coredns-corefile-error");
    assert!(
        !dir.path().join("json").exists(),
        "`--output json` is a format, never a file named json"
    );
}

/// Reports are handed to students: no format names the absolute path of the grader's snapshot,
/// and a JSON report stays verifiable (its digest and signature cover the source as shown).
#[test]
fn no_report_names_the_graders_absolute_snapshot_path_and_json_still_verifies() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The working directory as the process sees it (no symlinks), so "under it" is well defined.
    let root = dir.path().canonicalize().expect("canonical");
    let class = root.join("class");
    std::fs::create_dir(&class).expect("dir");
    let snapshot = class.join("state.yaml");
    std::fs::copy(fixture("service-wrong-selector", "broken"), &snapshot).expect("copy");
    let machine = root.display().to_string();
    // From elsewhere: only the file name; from the class's parent: the path below it.
    for (cwd, shown) in [
        (Path::new(env!("CARGO_MANIFEST_DIR")), "snapshot:state.yaml"),
        (root.as_path(), "snapshot:class/state.yaml"),
    ] {
        for format in ["text", "json", "junit", "markdown", "html"] {
            let output = kubedrill()
                .env("KUBEDRILL_REPORT_KEY", "grader-secret")
                .current_dir(cwd)
                .args(["grade", "--scenario", "service-wrong-selector", "--snapshot"])
                .arg(&snapshot)
                .args(["-o", format])
                .output()
                .expect("runs");
            assert_eq!(output.status.code(), Some(1), "{format}");
            let stdout = String::from_utf8(output.stdout).expect("utf-8");
            assert!(!stdout.contains(&machine), "{format} names `{machine}`: {stdout}");
            if matches!(format, "json" | "markdown" | "html") {
                assert!(stdout.contains(shown), "{format} should say `{shown}`: {stdout}");
            }
            if format == "json" {
                let report = root.join("report.json");
                std::fs::write(&report, &stdout).expect("write");
                kubedrill()
                    .env("KUBEDRILL_REPORT_KEY", "grader-secret")
                    .args(["report", "verify"])
                    .arg(&report)
                    .assert()
                    .success()
                    .stderr(predicates::str::contains("intact (signature verified)"));
            }
        }
    }
}
