//! Mutation testing of a scenario's checks, without a cluster. From what the reference solution
//! adds or changes, derive wrong-but-tempting variants ("mutants") — each NetworkPolicy
//! widened (a peer replaced by `namespaceSelector: {}`, `podSelector: {}` or
//! `ipBlock 0.0.0.0/0`, selectors that were AND-ed split into peers that are OR-ed, an allow-all rule added, a port
//! or `policyTypes` entry dropped or widened, the policy made to select every pod), each other
//! field the solution sets nudged to a nearby wrong value — simulate each in place of the
//! solution, and grade it. A mutant every check still passes shows where the checks are blind.
//!
//! Pure: built on the simulator and the graders. Must not touch a cluster, print, or decide
//! what is an error (lint does, with the scenario's `accepted:` list).

use graders::analyzer::egress::WITNESS_PORT;
use graders::analyzer::{Analyzer, Target};
use graders::score::grade;
use graders::state::ClusterState;
use graders::target::PortRef;
use graders::verdict::Verdict;
use serde::Serialize;
use serde_json::{Value, json};

use super::lint::{judged, observe, simulated};
use super::render::Rendered;
use super::simulate::Simulation;

/// Most mutants derived from one object's fields (a long ConfigMap would give hundreds).
const MAX_FIELD_MUTANTS: usize = 24;

/// One variant of the solved state.
#[derive(Clone, Debug)]
pub struct Mutant {
    /// `Kind/name: what changed`, stable for a seed.
    pub id: String,
    /// Whether reachability equivalence applies (a NetworkPolicy mutant).
    policy: bool,
    /// The mutated object, put in place of the solution's.
    object: Value,
}

/// What the checks made of a mutant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "fate", rename_all = "kebab-case")]
pub enum Fate {
    /// Some check fails on it.
    Killed {
        /// The checks that fail.
        by: Vec<String>,
    },
    /// It changes no flow between any pod, namespace, node or outside address: not a mistake.
    Equivalent,
    /// No judged check fails, but some checks cannot be judged on a simulation (EndpointSlices,
    /// rollouts, exec readiness probes): only a real cluster can tell.
    Undecided {
        /// The checks the simulation cannot judge.
        unjudged: Vec<String>,
    },
    /// Every check passes: the checks are blind to it.
    Survived,
}

/// One mutant and its fate.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// The mutant's id.
    pub mutant: String,
    /// Its fate.
    #[serde(flatten)]
    pub fate: Fate,
}

/// Every mutant of one seed and the mutation score.
#[derive(Clone, Debug, Serialize)]
pub struct MutationReport {
    /// The seed the scenario was rendered with.
    pub seed: u64,
    /// Mutants derived.
    pub total: usize,
    /// Caught by some check.
    pub killed: usize,
    /// Every check passes.
    pub survived: usize,
    /// Changing nothing observable.
    pub equivalent: usize,
    /// Left to a real cluster.
    pub undecided: usize,
    /// Survivors the scenario accepts with a reason (set by lint).
    pub accepted: usize,
    /// `killed / (killed + survived)`, when any was decided.
    pub score: Option<f64>,
    /// Each mutant.
    pub outcomes: Vec<Outcome>,
}

impl MutationReport {
    fn new(seed: u64, outcomes: Vec<Outcome>) -> Self {
        let count = |f: fn(&Fate) -> bool| outcomes.iter().filter(|o| f(&o.fate)).count();
        let killed = count(|f| matches!(f, Fate::Killed { .. }));
        let survived = count(|f| matches!(f, Fate::Survived));
        Self {
            seed,
            total: outcomes.len(),
            killed,
            survived,
            equivalent: count(|f| matches!(f, Fate::Equivalent)),
            undecided: count(|f| matches!(f, Fate::Undecided { .. })),
            accepted: 0,
            #[allow(clippy::cast_precision_loss)] // mutant counts are small
            score: (killed + survived > 0).then(|| killed as f64 / (killed + survived) as f64),
            outcomes,
        }
    }

    /// The ids of the mutants every check passes.
    pub fn survivors(&self) -> impl Iterator<Item = &str> {
        self.outcomes
            .iter()
            .filter(|o| o.fate == Fate::Survived)
            .map(|o| o.mutant.as_str())
    }
}

/// Mutation-test `rendered` (one seed), or `None` when its steps cannot be simulated.
#[must_use]
pub fn mutation_test(rendered: &Rendered, seed: u64) -> Option<MutationReport> {
    let (setup, _) = simulated(rendered, &[])?;
    let (solved, solved_observation) = simulated(rendered, &rendered.solution)?;
    let baseline = fingerprint(&solved_observation.state);
    let outcomes = mutants(&setup, &solved)
        .into_iter()
        .filter_map(|mutant| {
            let fate = judge(rendered, &solved.with_object(mutant.object.clone()), &mutant, &baseline)?;
            Some(Outcome {
                mutant: mutant.id,
                fate,
            })
        })
        .collect();
    Some(MutationReport::new(seed, outcomes))
}

fn judge(rendered: &Rendered, simulation: &Simulation, mutant: &Mutant, baseline: &[bool]) -> Option<Fate> {
    let observation = observe(simulation, rendered)?;
    let (checks, unmodelled): (Vec<_>, Vec<_>) = rendered.checks.iter().cloned().partition(|c| judged(c, &observation));
    let results = grade(&checks, &observation);
    let failing: Vec<String> = results
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Fail { .. }))
        .map(|r| r.id.clone())
        .collect();
    // A check the analyzer cannot predict here (HTTP through an Ingress) is not judged either.
    let mut unjudged: Vec<String> = unmodelled.into_iter().map(|c| c.id).collect();
    unjudged.extend(results.into_iter().filter(|r| !r.verdict.is_scored()).map(|r| r.id));
    Some(if !failing.is_empty() {
        Fate::Killed { by: failing }
    } else if mutant.policy && fingerprint(&observation.state) == baseline {
        Fate::Equivalent
    } else if !unjudged.is_empty() {
        Fate::Undecided { unjudged }
    } else {
        Fate::Survived
    })
}

/// Which source reaches which pod on which port: every observed pod, a pod in a fresh
/// namespace, a pod with foreign labels in every namespace, the node network and an outside
/// address, to every pod's declared ports and a witness port.
fn fingerprint(state: &ClusterState) -> Vec<bool> {
    let analyzer = Analyzer::new(state);
    let mut namespaces: Vec<String> = state.pods.iter().filter_map(|p| p.metadata.namespace.clone()).collect();
    namespaces.sort();
    namespaces.dedup();
    let mut sources: Vec<_> = analyzer
        .candidates(&[], namespaces.first().map_or("default", String::as_str))
        .into_iter()
        .map(|c| c.endpoint)
        .collect();
    sources.extend(
        namespaces
            .iter()
            .map(|ns| Analyzer::hypothetical(ns, [("kubedrill.dev/witness".to_owned(), "foreign".to_owned())].into())),
    );
    let targets: Vec<Target> = state
        .pods
        .iter()
        .flat_map(|pod| {
            let endpoint = Analyzer::endpoint(pod);
            let mut ports: Vec<(u16, String)> = endpoint.ports.iter().map(|p| (p.port, p.protocol.clone())).collect();
            ports.push((WITNESS_PORT, "TCP".to_owned()));
            ports.into_iter().map(move |(port, protocol)| Target::Pod {
                namespace: endpoint.namespace.clone(),
                name: pod.metadata.name.clone().unwrap_or_default(),
                port: PortRef::Number(port),
                protocol,
            })
        })
        .collect();
    sources
        .iter()
        .flat_map(|s| targets.iter().map(|t| analyzer.trace(s, t).allowed))
        .collect()
}

/// The mutants of every object the solution adds or changes.
fn mutants(setup: &Simulation, solved: &Simulation) -> Vec<Mutant> {
    solved
        .objects()
        .iter()
        .filter(|object| setup.same_as(object) != Some(*object))
        .flat_map(|object| {
            if object["kind"] == "NetworkPolicy" {
                policy_mutants(object)
            } else {
                field_mutants(object, setup.same_as(object))
            }
        })
        .collect()
}

fn named(object: &Value) -> String {
    format!(
        "{}/{}",
        object["kind"].as_str().unwrap_or_default(),
        object["metadata"]["name"].as_str().unwrap_or_default()
    )
}

/// A mutant of `object` with the value at JSON pointer `pointer` replaced by `value`.
fn replaced(object: &Value, pointer: &str, value: Value, what: &str, policy: bool) -> Option<Mutant> {
    let mut mutated = object.clone();
    *mutated.pointer_mut(pointer)? = value;
    Some(Mutant {
        id: format!("{}: {what}", named(object)),
        policy,
        object: mutated,
    })
}

fn policy_mutants(policy: &Value) -> Vec<Mutant> {
    let mut out = Vec::new();
    let spec = &policy["spec"];
    let types: Vec<&str> = spec["policyTypes"]
        .as_array()
        .map(|t| t.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (direction, peers_key, kind) in [("ingress", "from", "Ingress"), ("egress", "to", "Egress")] {
        let rules = spec[direction].as_array().cloned().unwrap_or_default();
        for (i, rule) in rules.iter().enumerate() {
            let at = format!("/spec/{direction}/{i}");
            out.extend(peer_mutants(policy, rule, &at, peers_key));
            out.extend(port_mutants(policy, rule, &at));
        }
        if types.contains(&kind) {
            let mut widened = rules.clone();
            widened.push(json!({}));
            out.extend(replaced(
                policy,
                &format!("/spec/{direction}"),
                Value::Array(widened),
                &format!("an allow-all {direction} rule added"),
                true,
            ));
        }
    }
    if types.len() > 1 {
        for (t, kind) in types.iter().enumerate() {
            let kept: Vec<Value> = types
                .iter()
                .enumerate()
                .filter(|(k, _)| *k != t)
                .map(|(_, v)| json!(v))
                .collect();
            out.extend(replaced(
                policy,
                "/spec/policyTypes",
                Value::Array(kept),
                &format!("policyTypes without {kind}"),
                true,
            ));
        }
    }
    if spec["podSelector"] != json!({}) {
        out.extend(replaced(
            policy,
            "/spec/podSelector",
            json!({}),
            "podSelector: {} (selects every pod)",
            true,
        ));
    }
    out
}

fn peer_mutants(policy: &Value, rule: &Value, at: &str, peers_key: &str) -> Vec<Mutant> {
    let mut out = Vec::new();
    let Some(peers) = rule[peers_key].as_array() else {
        return out;
    };
    let direction = if peers_key == "from" { "ingress" } else { "egress" };
    let index: String = at.rsplit('/').next().unwrap_or_default().to_owned();
    for (j, peer) in peers.iter().enumerate() {
        let place = format!("{direction}[{index}].{peers_key}[{j}]");
        let wide = [
            ("namespaceSelector: {}", json!({"namespaceSelector": {}})),
            ("podSelector: {}", json!({"podSelector": {}})),
            ("ipBlock 0.0.0.0/0", json!({"ipBlock": {"cidr": "0.0.0.0/0"}})),
        ];
        for (label, replacement) in wide {
            if *peer != replacement {
                out.extend(replaced(
                    policy,
                    &format!("{at}/{peers_key}/{j}"),
                    replacement,
                    &format!("{place} -> {label}"),
                    true,
                ));
            }
        }
        if let (Some(ns), Some(pods)) = (peer.get("namespaceSelector"), peer.get("podSelector")) {
            let mut split = peers.clone();
            split[j] = json!({"namespaceSelector": ns});
            split.insert(j + 1, json!({"podSelector": pods}));
            out.extend(replaced(
                policy,
                &format!("{at}/{peers_key}"),
                Value::Array(split),
                &format!("{place}: AND-ed namespaceSelector and podSelector split into two ORed peers"),
                true,
            ));
        }
    }
    let mut without = rule.clone();
    if let Some(map) = without.as_object_mut() {
        map.remove(peers_key);
    }
    out.extend(replaced(
        policy,
        at,
        without,
        &format!("{direction}[{index}]: `{peers_key}` removed (every peer)"),
        true,
    ));
    out
}

fn port_mutants(policy: &Value, rule: &Value, at: &str) -> Vec<Mutant> {
    let mut out = Vec::new();
    let Some(ports) = rule["ports"].as_array() else {
        return out;
    };
    let place = at.trim_start_matches("/spec/").replacen('/', "[", 1) + "]";
    let mut without = rule.clone();
    if let Some(map) = without.as_object_mut() {
        map.remove("ports");
    }
    out.extend(replaced(
        policy,
        at,
        without,
        &format!("{place}: `ports` removed (every port)"),
        true,
    ));
    for (k, port) in ports.iter().enumerate() {
        if ports.len() > 1 {
            let mut fewer = ports.clone();
            fewer.remove(k);
            out.extend(replaced(
                policy,
                &format!("{at}/ports"),
                Value::Array(fewer),
                &format!("{place}.ports[{k}] dropped"),
                true,
            ));
        }
        if port["port"].is_number() && port.get("endPort").is_none() {
            let mut range = port.clone();
            range["endPort"] = json!(65_535);
            out.extend(replaced(
                policy,
                &format!("{at}/ports/{k}"),
                range,
                &format!("{place}.ports[{k}] widened to a range up to 65535"),
                true,
            ));
        }
    }
    out
}

/// Nudge each leaf the solution set (every leaf of an object it added) to a nearby wrong value.
fn field_mutants(object: &Value, before: Option<&Value>) -> Vec<Mutant> {
    let mut leaves = Vec::new();
    // An EndpointSlice keeps its fields at the top: its ports are what a hand-written one gets
    // wrong (the endpoints come from the pods, the address type is not a nearby value away).
    let sections: &[&str] = if object["kind"] == "EndpointSlice" {
        &["ports"]
    } else {
        &["spec", "data"]
    };
    for section in sections {
        collect_changed(
            &object[section],
            before.map(|b| &b[section]),
            &format!("/{section}"),
            &mut leaves,
        );
    }
    leaves
        .into_iter()
        .take(MAX_FIELD_MUTANTS)
        .filter_map(|(pointer, value)| {
            let wrong = nearby(&value)?;
            let what = format!(
                "{} {} -> {}",
                pointer.trim_start_matches('/').replace('/', "."),
                short(&value),
                short(&wrong)
            );
            replaced(object, &pointer, wrong, &what, false)
        })
        .collect()
}

fn collect_changed(value: &Value, before: Option<&Value>, pointer: &str, out: &mut Vec<(String, Value)>) {
    if before == Some(value) {
        return;
    }
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let escaped = k.replace('~', "~0").replace('/', "~1");
                collect_changed(v, before.and_then(|b| b.get(k)), &format!("{pointer}/{escaped}"), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                collect_changed(v, before.and_then(|b| b.get(i)), &format!("{pointer}/{i}"), out);
            }
        }
        Value::Null => {}
        leaf => out.push((pointer.to_owned(), leaf.clone())),
    }
}

/// A nearby wrong value: a number one up, a boolean flipped, a protocol or Service type
/// swapped, the last number in a text bumped, else the text with a letter appended.
fn nearby(value: &Value) -> Option<Value> {
    Some(match value {
        Value::Number(n) => json!(n.as_i64()? + 1),
        Value::Bool(b) => json!(!b),
        Value::String(s) => json!(nearby_text(s)),
        _ => return None,
    })
}

fn nearby_text(text: &str) -> String {
    let swaps = [
        ("TCP", "UDP"),
        ("UDP", "TCP"),
        ("SCTP", "TCP"),
        ("ClusterIP", "NodePort"),
        ("NodePort", "ClusterIP"),
        ("LoadBalancer", "ClusterIP"),
    ];
    if let Some((_, other)) = swaps.iter().find(|(from, _)| *from == text) {
        return (*other).to_owned();
    }
    let digits: Vec<(usize, char)> = text.char_indices().filter(|(_, c)| c.is_ascii_digit()).collect();
    if let Some(&(end, _)) = digits.last() {
        let start = text[..=end]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_digit())
            .last()
            .map_or(end, |(i, _)| i);
        if let Ok(n) = text[start..=end].parse::<u64>() {
            return format!("{}{}{}", &text[..start], n + 1, &text[end + 1..]);
        }
    }
    format!("{text}x")
}

fn short(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let first = text.lines().next().unwrap_or_default();
    if first.chars().count() > 32 || text.contains('\n') {
        format!("{}…", first.chars().take(32).collect::<String>())
    } else {
        first.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Fate, MutationReport, Outcome, field_mutants, nearby_text, policy_mutants};

    #[test]
    fn a_policy_is_widened_every_way_a_learner_might() {
        let policy = json!({"kind": "NetworkPolicy", "metadata": {"name": "allow"}, "spec": {
            "podSelector": {"matchLabels": {"app": "api"}}, "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "a"}}, "podSelector": {"matchLabels": {"app": "p"}}}],
                "ports": [{"port": 8080}]}]}});
        let ids: Vec<String> = policy_mutants(&policy).into_iter().map(|m| m.id).collect();
        for expected in [
            "NetworkPolicy/allow: ingress[0].from[0] -> namespaceSelector: {}",
            "NetworkPolicy/allow: ingress[0].from[0] -> podSelector: {}",
            "NetworkPolicy/allow: ingress[0].from[0] -> ipBlock 0.0.0.0/0",
            "NetworkPolicy/allow: ingress[0].from[0]: AND-ed namespaceSelector and podSelector split into two ORed peers",
            "NetworkPolicy/allow: ingress[0]: `from` removed (every peer)",
            "NetworkPolicy/allow: ingress[0]: `ports` removed (every port)",
            "NetworkPolicy/allow: ingress[0].ports[0] widened to a range up to 65535",
            "NetworkPolicy/allow: an allow-all ingress rule added",
            "NetworkPolicy/allow: podSelector: {} (selects every pod)",
        ] {
            assert!(ids.iter().any(|id| id == expected), "missing `{expected}` in {ids:#?}");
        }
        assert!(
            !ids.iter().any(|id| id.contains("policyTypes")),
            "a single type is never dropped"
        );
    }

    #[test]
    fn fields_the_solution_sets_are_nudged_and_untouched_ones_are_not() {
        let before = json!({"kind": "Service", "metadata": {"name": "web"}, "spec": {"selector": {"app": "web-svc"}, "ports": [{"port": 80, "targetPort": 8080}]}});
        let after = json!({"kind": "Service", "metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}});
        let mutants = field_mutants(&after, Some(&before));
        assert_eq!(mutants.len(), 1, "only the selector changed");
        assert_eq!(mutants[0].id, "Service/web: spec.selector.app web -> webx");
        assert_eq!(mutants[0].object["spec"]["selector"]["app"], "webx");
        assert_eq!(nearby_text("--http-port=9100"), "--http-port=9101");
        assert_eq!(nearby_text("TCP"), "UDP");
        assert_eq!(nearby_text("http"), "httpx");
    }

    #[test]
    fn the_score_counts_decided_mutants_only() {
        let outcome = |fate| Outcome {
            mutant: "m".into(),
            fate,
        };
        let report = MutationReport::new(
            1,
            vec![
                outcome(Fate::Killed { by: vec!["c".into()] }),
                outcome(Fate::Killed { by: vec!["c".into()] }),
                outcome(Fate::Survived),
                outcome(Fate::Equivalent),
                outcome(Fate::Undecided {
                    unjudged: vec!["e".into()],
                }),
            ],
        );
        assert_eq!((report.total, report.killed, report.survived), (5, 2, 1));
        assert!(report.score.is_some_and(|s| (s - 2.0 / 3.0).abs() < 1e-9));
        assert_eq!(report.survivors().collect::<Vec<_>>(), ["m"]);
    }
}
