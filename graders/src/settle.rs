//! When a live grade looks at the cluster again before judging it. A state check with a
//! `timeout` (a rollout finishing, pods turning Ready, endpoints filling) names an expectation
//! the cluster may still be converging to: a grade taken a second after `kubectl apply` must
//! not fail what the cluster completes a few seconds later. Probe checks poll on their own
//! (their scripts retry until the deadline), so only state checks are considered here.
//!
//! A cluster at rest will not fix itself, though: once nothing the grade reads has changed for
//! [`QUIET`] (no object added, removed or updated), a failing check is taken as the answer
//! without waiting out its `timeout`, so grading an unfixed attempt stays quick. Kubelets probe
//! readiness every 10 s by default, and a pod becoming Ready updates its status, its
//! EndpointSlices and its owner's status.
//!
//! A pass is believed only when the next look, an interval later, shows it too: a
//! crash-looping container without a readiness probe is Ready for the moment it runs, and a
//! grade taken just after a restart (or one that polls until the first pass) catches that
//! moment. Seen on a real node: kube-proxy started with a missing config file counted as
//! rolled out on the look right after its pods were deleted.
//!
//! Pure: the caller observes, sleeps and decides; this module never does I/O or keeps time.

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::state::{ClusterState, Observation};
use crate::{Check, CheckSpec};

/// How often a state check is looked at again when it gives no `interval`.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(2);

/// How long the observed objects must stay unchanged before a failing state is final.
pub const QUIET: Duration = Duration::from_secs(12);

/// How long to wait before observing again, given `observation` taken `elapsed` after the
/// first one, the objects having been the same for `unchanged_for`: `None` when every state
/// check with a `timeout` passes, the deadline of every failing one has passed, or the cluster
/// has been at rest for [`QUIET`]; else the shortest `interval` of the failing checks, cut to
/// the time left before the latest of their deadlines.
#[must_use]
pub fn wait_before_next(
    checks: &[Check],
    observation: &Observation,
    elapsed: Duration,
    unchanged_for: Duration,
) -> Option<Duration> {
    if unchanged_for >= QUIET {
        return None;
    }
    checks
        .iter()
        .filter(|check| settles(check))
        .filter_map(|check| {
            let left = check.timeout?.as_std().checked_sub(elapsed).filter(|d| !d.is_zero())?;
            (!passes(check, observation)).then(|| {
                check
                    .interval
                    .map_or(DEFAULT_INTERVAL, crate::Duration::as_std)
                    .min(left)
            })
        })
        .min()
}

/// The settling of one grade: [`wait_before_next`], and a pass of the state checks with a
/// `timeout` is confirmed by one more look an interval later.
#[derive(Clone, Debug, Default)]
pub struct Settling {
    confirming: bool,
}

impl Settling {
    /// How long to wait before the next look, or `None` to judge `observation`.
    pub fn next(
        &mut self,
        checks: &[Check],
        observation: &Observation,
        elapsed: Duration,
        unchanged_for: Duration,
    ) -> Option<Duration> {
        if let Some(wait) = wait_before_next(checks, observation, elapsed, unchanged_for) {
            self.confirming = false;
            return Some(wait);
        }
        let confirm = !self.confirming && all_pass(checks, observation, elapsed);
        self.confirming |= confirm;
        confirm.then_some(DEFAULT_INTERVAL)
    }
}

/// Whether there is a state check with a `timeout` still ahead and every such check passes.
fn all_pass(checks: &[Check], observation: &Observation, elapsed: Duration) -> bool {
    let mut timed = checks
        .iter()
        .filter(|check| settles(check) && check.timeout.is_some_and(|t| t.as_std() > elapsed))
        .peekable();
    timed.peek().is_some() && timed.all(|check| passes(check, observation))
}

fn passes(check: &Check, observation: &Observation) -> bool {
    check
        .resolved_spec(&observation.state)
        .is_ok_and(|spec| spec.evaluate(&check.id, observation).is_pass())
}

/// What changes when the cluster moves: every object's identity and `resourceVersion` (nodes
/// and events left out: heartbeats and event counts move when nothing graded does).
#[must_use]
pub fn fingerprint(state: &ClusterState) -> Vec<(String, String, String)> {
    fn ids<'a, T: 'a>(items: &'a [T], meta: fn(&T) -> &ObjectMeta) -> impl Iterator<Item = &'a ObjectMeta> + 'a {
        items.iter().map(meta)
    }
    let metas = ids(&state.namespaces, |o| &o.metadata)
        .chain(ids(&state.pods, |o| &o.metadata))
        .chain(ids(&state.deployments, |o| &o.metadata))
        .chain(ids(&state.daemon_sets, |o| &o.metadata))
        .chain(ids(&state.stateful_sets, |o| &o.metadata))
        .chain(ids(&state.replica_sets, |o| &o.metadata))
        .chain(ids(&state.services, |o| &o.metadata))
        .chain(ids(&state.endpoint_slices, |o| &o.metadata))
        .chain(ids(&state.network_policies, |o| &o.metadata))
        .chain(ids(&state.config_maps, |o| &o.metadata))
        .chain(ids(&state.ingresses, |o| &o.metadata));
    let mut print: Vec<(String, String, String)> = metas
        .map(|m| {
            (
                m.namespace.clone().unwrap_or_default(),
                m.uid.clone().or_else(|| m.name.clone()).unwrap_or_default(),
                m.resource_version.clone().unwrap_or_default(),
            )
        })
        .collect();
    print.sort_unstable();
    print
}

/// A check whose verdict comes from the observed objects alone and may change as controllers
/// catch up: not a probe (those retry in the cluster) and not `unchanged` (which compares with
/// the setup, not with what the cluster is converging to).
const fn settles(check: &Check) -> bool {
    !check.spec.is_probe() && !matches!(check.spec, CheckSpec::Unchanged(_))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::state::ClusterState;

    fn checks(value: serde_json::Value) -> Vec<Check> {
        serde_json::from_value(value).expect("checks")
    }

    fn ready_check(timeout: Option<&str>, interval: Option<&str>) -> serde_json::Value {
        let mut check = json!({"id": "ready", "points": 1, "description": "d", "grader": "pods-ready",
            "with": {"namespace": "shop", "selector": {"matchLabels": {"app": "web"}}, "minReady": 1}});
        if let Some(timeout) = timeout {
            check["timeout"] = json!(timeout);
        }
        if let Some(interval) = interval {
            check["interval"] = json!(interval);
        }
        check
    }

    fn observation(ready: bool) -> Observation {
        let pod = json!({"metadata": {"name": "web-1", "namespace": "shop", "labels": {"app": "web"}},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]}});
        Observation {
            state: ClusterState {
                pods: vec![serde_json::from_value(pod).expect("pod")],
                ..ClusterState::default()
            },
            baseline: None,
            probes: std::collections::BTreeMap::new(),
        }
    }

    #[test]
    fn a_failing_state_check_is_looked_at_again_until_its_timeout() {
        let checks = checks(json!([ready_check(Some("90s"), None)]));
        let not_ready = observation(false);
        assert_eq!(
            wait_before_next(&checks, &not_ready, Duration::ZERO, Duration::ZERO),
            Some(DEFAULT_INTERVAL)
        );
        assert_eq!(
            wait_before_next(&checks, &not_ready, Duration::from_millis(89_500), Duration::ZERO),
            Some(Duration::from_millis(500)),
            "the last wait ends at the deadline"
        );
        assert_eq!(
            wait_before_next(&checks, &not_ready, Duration::from_secs(90), Duration::ZERO),
            None
        );
    }

    #[test]
    fn nothing_to_wait_for_once_it_passes_or_without_a_timeout() {
        let with_timeout = checks(json!([ready_check(Some("90s"), None)]));
        assert_eq!(
            wait_before_next(&with_timeout, &observation(true), Duration::ZERO, Duration::ZERO),
            None
        );
        let without = checks(json!([ready_check(None, None)]));
        assert_eq!(
            wait_before_next(&without, &observation(false), Duration::ZERO, Duration::ZERO),
            None
        );
    }

    #[test]
    fn the_shortest_interval_of_the_failing_checks_wins() {
        let mut slow = ready_check(Some("60s"), Some("10s"));
        slow["id"] = json!("slow");
        let checks = checks(json!([slow, ready_check(Some("30s"), Some("3s"))]));
        assert_eq!(
            wait_before_next(&checks, &observation(false), Duration::from_secs(1), Duration::ZERO),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            wait_before_next(&checks, &observation(false), Duration::from_secs(40), Duration::ZERO),
            Some(Duration::from_secs(10)),
            "past its deadline a check no longer sets the pace"
        );
    }

    #[test]
    fn probes_are_not_waited_for_here() {
        let checks = checks(
            json!([{"id": "conn", "points": 1, "description": "d", "grader": "connectivity", "timeout": "30s",
            "with": {"from": {"namespace": "shop", "selector": {"matchLabels": {"app": "web"}}},
                     "to": {"service": "api", "namespace": "shop", "port": 80}, "expect": "allowed"}}]),
        );
        assert_eq!(
            wait_before_next(&checks, &observation(false), Duration::ZERO, Duration::ZERO),
            None
        );
    }

    /// Fail, pass (looked at once more), fail again (a flicker: keep looking), pass, pass.
    #[test]
    fn a_pass_is_confirmed_by_one_more_look() {
        let checks = checks(json!([ready_check(Some("90s"), None)]));
        let mut settling = Settling::default();
        let mut next =
            |ready: bool| settling.next(&checks, &observation(ready), Duration::from_secs(4), Duration::ZERO);
        assert_eq!(next(false), Some(DEFAULT_INTERVAL));
        assert_eq!(next(true), Some(DEFAULT_INTERVAL), "confirm the first pass");
        assert_eq!(next(false), Some(DEFAULT_INTERVAL), "it flickered");
        assert_eq!(next(true), Some(DEFAULT_INTERVAL));
        assert_eq!(next(true), None, "confirmed");
        let mut first_look = Settling::default();
        assert_eq!(
            first_look.next(&checks, &observation(true), Duration::ZERO, Duration::ZERO),
            Some(DEFAULT_INTERVAL),
            "a pass on the first look is confirmed too (a restart's first moments)"
        );
        assert_eq!(
            first_look.next(&checks, &observation(true), DEFAULT_INTERVAL, DEFAULT_INTERVAL),
            None
        );
        let untimed = super::tests::checks(json!([ready_check(None, None)]));
        assert_eq!(
            Settling::default().next(&untimed, &observation(true), Duration::ZERO, Duration::ZERO),
            None,
            "nothing to confirm without a timed state check"
        );
    }

    #[test]
    fn a_cluster_at_rest_is_not_waited_for() {
        let checks = checks(json!([ready_check(Some("90s"), None)]));
        let not_ready = observation(false);
        assert_eq!(
            wait_before_next(&checks, &not_ready, Duration::from_secs(20), Duration::from_secs(11)),
            Some(DEFAULT_INTERVAL)
        );
        assert_eq!(
            wait_before_next(&checks, &not_ready, Duration::from_secs(20), QUIET),
            None
        );
    }

    #[test]
    fn the_fingerprint_moves_with_any_object_but_not_with_nodes() {
        let mut state = observation(false).state;
        let before = fingerprint(&state);
        state.pods[0].metadata.resource_version = Some("8".into());
        let updated = fingerprint(&state);
        assert_ne!(before, updated);
        state
            .nodes
            .push(serde_json::from_value(json!({"metadata": {"name": "n", "resourceVersion": "3"}})).expect("node"));
        assert_eq!(fingerprint(&state), updated, "a node heartbeat is not a change");
        state.pods.clear();
        assert_ne!(fingerprint(&state), updated, "a pod gone is a change");
    }
}
