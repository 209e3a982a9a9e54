//! Whether an observed cluster state belongs to the attempt being graded.
//!
//! The seed names a scenario's namespaces, so a snapshot or cluster graded with the wrong seed
//! finds nothing of the attempt and would score a confident 0. Before grading, kubedrill checks
//! that at least one namespace the setup creates is there, and when none is, names the seed
//! that matches: from the `kubedrill.dev/seed` annotation kubedrill puts on the namespaces it
//! applies, or else by rendering the first [`SEARCHED_SEEDS`] seeds.
//!
//! Pure: renders scenarios but never reads files or clusters, never prints.

use std::collections::BTreeSet;

use graders::state::ClusterState;

use crate::cluster::lifecycle::{NAMESPACE_ANNOTATION, SEED_ANNOTATION};
use crate::cluster::safety::is_system_namespace;
use crate::error::Error;
use crate::scenario::{Rendered, Scenario};

/// Seeds tried when no namespace annotation names the attempt's seed (seeds people type).
pub const SEARCHED_SEEDS: u64 = 20;

/// Nothing of the attempt is in the observed state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// The namespaces the attempt's setup creates, none of which was found.
    pub expected: Vec<String>,
    /// A seed whose namespaces are all there, when one was found.
    pub matching_seed: Option<u64>,
}

/// The namespaces `rendered`'s setup creates, system namespaces left out (a scenario that
/// only breaks kube-system has none, and is never judged a mismatch).
#[must_use]
pub fn own_namespaces(rendered: &Rendered) -> BTreeSet<String> {
    rendered
        .setup_objects()
        .filter(|m| m.kind == "Namespace" && !is_system_namespace(&m.name))
        .map(|m| m.name.clone())
        .collect()
}

/// Every namespace `state` shows: Namespace objects and the namespaces of namespaced objects.
#[must_use]
pub fn namespaces_seen(state: &ClusterState) -> BTreeSet<&str> {
    let metas = state
        .pods
        .iter()
        .map(|o| &o.metadata)
        .chain(state.services.iter().map(|o| &o.metadata))
        .chain(state.deployments.iter().map(|o| &o.metadata))
        .chain(state.daemon_sets.iter().map(|o| &o.metadata))
        .chain(state.stateful_sets.iter().map(|o| &o.metadata))
        .chain(state.replica_sets.iter().map(|o| &o.metadata))
        .chain(state.endpoint_slices.iter().map(|o| &o.metadata))
        .chain(state.network_policies.iter().map(|o| &o.metadata))
        .chain(state.config_maps.iter().map(|o| &o.metadata))
        .chain(state.ingresses.iter().map(|o| &o.metadata))
        .chain(state.events.iter().map(|o| &o.metadata));
    let of_objects = metas.filter_map(|m| m.namespace.as_deref());
    let named = state.namespaces.iter().filter_map(|n| n.metadata.name.as_deref());
    of_objects.chain(named).collect()
}

/// The seed kubedrill recorded on a namespace it applied for `scenario`.
fn annotated_seed(state: &ClusterState, scenario: &str) -> Option<u64> {
    state.namespaces.iter().find_map(|ns| {
        let annotations = ns.metadata.annotations.as_ref()?;
        (annotations.get(NAMESPACE_ANNOTATION)? == scenario)
            .then(|| annotations.get(SEED_ANNOTATION)?.parse().ok())
            .flatten()
    })
}

/// Check that `states` (together) hold something of `rendered`'s attempt; `render` renders
/// another seed of the same scenario (with the same prefix), for naming the one that matches.
pub fn check(
    rendered: &Rendered,
    scenario: &str,
    states: &[&ClusterState],
    render: impl Fn(u64) -> Option<Rendered>,
) -> Result<(), Mismatch> {
    let expected = own_namespaces(rendered);
    let seen: BTreeSet<&str> = states.iter().flat_map(|s| namespaces_seen(s)).collect();
    if expected.is_empty() || expected.iter().any(|ns| seen.contains(ns.as_str())) {
        return Ok(());
    }
    let all_there = |seed: u64| {
        render(seed).is_some_and(|other| {
            let theirs = own_namespaces(&other);
            !theirs.is_empty() && theirs.iter().all(|ns| seen.contains(ns.as_str()))
        })
    };
    let matching_seed = states
        .iter()
        .find_map(|s| annotated_seed(s, scenario))
        .filter(|seed| *seed != rendered.seed && all_there(*seed))
        .or_else(|| {
            (0..=SEARCHED_SEEDS)
                .filter(|s| *s != rendered.seed)
                .find(|s| all_there(*s))
        });
    Err(Mismatch {
        expected: expected.into_iter().collect(),
        matching_seed,
    })
}

/// [`check`] as the commands use it: [`Error::WrongAttempt`] when `states` hold nothing of the
/// attempt, naming `graded` (`` `file` ``, `the cluster`) and the seed that matches.
pub fn ensure(
    scenario: &Scenario,
    rendered: &Rendered,
    prefix: Option<&str>,
    graded: String,
    states: &[&ClusterState],
) -> Result<(), Error> {
    let render = |seed| crate::catalogue::render_for(scenario, seed, prefix).ok();
    check(rendered, scenario.id(), states, render).map_err(|m| Error::WrongAttempt {
        scenario: scenario.id().to_owned(),
        seed: rendered.seed,
        graded,
        expected: m.expected,
        matching_seed: m.matching_seed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario() -> &'static crate::scenario::Scenario {
        static SCENARIO: std::sync::OnceLock<crate::scenario::Scenario> = std::sync::OnceLock::new();
        SCENARIO.get_or_init(|| crate::catalogue::resolve("service-wrong-selector", None).expect("built-in scenario"))
    }

    fn state_of(rendered: &Rendered) -> ClusterState {
        ClusterState::from_objects(rendered.setup_objects().map(|m| m.object.clone())).expect("state")
    }

    fn render(seed: u64) -> Option<Rendered> {
        scenario().render(seed).ok()
    }

    #[test]
    fn the_attempts_own_state_matches() {
        let rendered = render(7).expect("render");
        assert_eq!(
            check(&rendered, "service-wrong-selector", &[&state_of(&rendered)], render),
            Ok(())
        );
    }

    #[test]
    fn another_seeds_state_is_a_mismatch_naming_that_seed() {
        let taken = render(7).expect("render");
        let asked = render(2).expect("render");
        let mismatch = check(&asked, "service-wrong-selector", &[&state_of(&taken)], render).expect_err("mismatch");
        assert_eq!(mismatch.matching_seed, Some(7));
        assert_eq!(
            mismatch.expected,
            own_namespaces(&asked).into_iter().collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_seed_beyond_the_search_is_found_by_its_annotation_only() {
        let taken = render(123_456).expect("render");
        let asked = render(2).expect("render");
        let mut state = state_of(&taken);
        let found = check(&asked, "service-wrong-selector", &[&state], render).expect_err("mismatch");
        assert_eq!(found.matching_seed, None, "123456 is beyond the searched seeds");
        for ns in &mut state.namespaces {
            let annotations = ns.metadata.annotations.get_or_insert_with(Default::default);
            annotations.insert(NAMESPACE_ANNOTATION.to_owned(), "service-wrong-selector".to_owned());
            annotations.insert(SEED_ANNOTATION.to_owned(), "123456".to_owned());
        }
        let found = check(&asked, "service-wrong-selector", &[&state], render).expect_err("mismatch");
        assert_eq!(found.matching_seed, Some(123_456));
        assert_eq!(
            check(&asked, "another-scenario", &[&state], render)
                .expect_err("mismatch")
                .matching_seed,
            None,
            "another scenario's annotation names nothing"
        );
    }

    #[test]
    fn a_setup_without_namespaces_of_its_own_is_never_a_mismatch() {
        let mut rendered = render(1).expect("render");
        rendered.setup.clear();
        assert!(own_namespaces(&rendered).is_empty());
        assert_eq!(
            check(&rendered, "service-wrong-selector", &[&ClusterState::default()], |_| {
                None
            }),
            Ok(())
        );
    }

    #[test]
    fn one_namespace_left_is_enough() {
        let rendered = render(3).expect("render");
        let mut state = state_of(&rendered);
        state.namespaces.clear();
        state.deployments.clear();
        assert!(!state.services.is_empty());
        assert_eq!(check(&rendered, "service-wrong-selector", &[&state], render), Ok(()));
    }
}
