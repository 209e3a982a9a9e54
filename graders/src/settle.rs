//! When a live grade looks at the cluster again before judging it. A state check with a
//! `timeout` (a rollout finishing, pods turning Ready, endpoints filling) names an expectation
//! the cluster may still be converging to: a grade taken a second after `kubectl apply` must
//! not fail what the cluster completes a few seconds later. Probe checks poll on their own
//! (their scripts retry until the deadline), so only state checks are considered here.
//!
//! A cluster at rest will not fix itself, though: once nothing the grade reads has changed for
//! a while (no object added, removed or updated), a failing check is taken as the answer
//! without waiting out its `timeout`, so grading an unfixed attempt stays quick. How long
//! depends on what the cluster is doing ([`quiet_after`]): while something is still in motion
//! (a pod not Ready, pending or terminating, a workload whose controller has not caught up
//! with its spec) it is [`QUIET`], as kubelets probe readiness every 10 s by default and a pod
//! becoming Ready updates its status, its EndpointSlices and its owner's status; when
//! everything is settled, one look an interval later that shows no change is enough (a
//! controller reacting to the learner's last edit, such as EndpointSlices following a
//! Service's new selector, has shown its change by then).
//!
//! A pass is believed only when the next look, an interval later (the longest `interval` of the
//! passing checks), shows it too and nothing observed changed in between: a crash-looping
//! container without a readiness probe is Ready from the moment it starts until the kubelet
//! reports its exit, and a grade taken just after a restart (or one that polls until the first
//! pass) catches that moment. Seen on a real node under load: kube-proxy started with a missing
//! config file counted as rolled out on the look right after its pods were deleted, and again
//! 2 s later. Its crash changes the pod (Ready, restart count), so a pass whose confirming look
//! saw anything move is confirmed again, for at most [`QUIET`] (then a state that kept passing
//! through changes is believed: churn elsewhere must not hold a grade to its deadline).
//!
//! Pure: the caller observes, sleeps and decides; this module never does I/O or keeps time.

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::state::{ClusterState, Observation, is_probe_pod};
use crate::{Check, CheckSpec};

/// How often a state check is looked at again when it gives no `interval`.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(2);

/// How long the observed objects must stay unchanged before a failing state is final while
/// something is still in motion ([`in_motion`]).
pub const QUIET: Duration = Duration::from_secs(12);

/// How long to wait before observing again, given `observation` taken `elapsed` after the
/// first one, the objects having been the same for `unchanged_for`: `None` when every state
/// check with a `timeout` passes, the deadline of every failing one has passed, or the cluster
/// has been unchanged for [`quiet_after`] the observed state; else the shortest `interval` of the failing checks, cut to
/// the time left before the latest of their deadlines.
#[must_use]
pub fn wait_before_next(
    checks: &[Check],
    observation: &Observation,
    elapsed: Duration,
    unchanged_for: Duration,
) -> Option<Duration> {
    if unchanged_for >= quiet_after(&observation.state) {
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
/// `timeout` is confirmed by one more look [`confirm_after`] later that shows it too with
/// nothing changed in between.
#[derive(Clone, Debug, Default)]
pub struct Settling {
    /// When (time since the first look) the state checks began to pass, while confirming.
    passing_since: Option<Duration>,
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
            self.passing_since = None;
            return Some(wait);
        }
        if !all_pass(checks, observation, elapsed) {
            return None;
        }
        let wait = confirm_after(checks);
        match self.passing_since {
            // Passing across a whole interval with nothing changed, or passing through
            // [`QUIET`] of changes that never turned it (churn elsewhere in what is read).
            Some(since) if unchanged_for >= wait || elapsed.saturating_sub(since) >= QUIET => None,
            Some(_) => Some(wait),
            None => {
                self.passing_since = Some(elapsed);
                Some(wait)
            }
        }
    }
}

/// How long after a pass the confirming look comes: the longest `interval` of the state checks
/// with a `timeout`, at least [`DEFAULT_INTERVAL`].
#[must_use]
pub fn confirm_after(checks: &[Check]) -> Duration {
    checks
        .iter()
        .filter(|check| settles(check) && check.timeout.is_some())
        .filter_map(|check| check.interval.map(crate::Duration::as_std))
        .fold(DEFAULT_INTERVAL, Duration::max)
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

/// How long `state` must stay unchanged before a failing check is final: [`QUIET`] while
/// something is [`in_motion`], else one [`DEFAULT_INTERVAL`].
#[must_use]
pub fn quiet_after(state: &ClusterState) -> Duration {
    if in_motion(state) { QUIET } else { DEFAULT_INTERVAL }
}

/// Whether anything observed may still change without anyone touching it: a pod that is not
/// Ready (pending, starting, failing its readiness probe, crash-looping) or is terminating, or
/// a Deployment, ReplicaSet, StatefulSet or DaemonSet whose controller has not yet observed
/// its spec or whose pods are not all current and ready. Finished pods (Succeeded, Failed) are
/// at rest.
#[must_use]
pub fn in_motion(state: &ClusterState) -> bool {
    state.pods.iter().filter(|p| !is_probe_pod(p)).any(pod_in_motion)
        || state.deployments.iter().any(|d| {
            let (want, status) = (d.spec.replicas.unwrap_or(1), d.status.clone().unwrap_or_default());
            behind(&d.metadata, status.observed_generation)
                || [
                    status.replicas,
                    status.updated_replicas,
                    status.ready_replicas,
                    status.available_replicas,
                ]
                .iter()
                .any(|n| n.unwrap_or(0) != want)
        })
        || state.replica_sets.iter().any(|r| {
            let (want, status) = (r.spec.replicas.unwrap_or(1), r.status.clone().unwrap_or_default());
            behind(&r.metadata, status.observed_generation)
                || status.replicas != want
                || status.ready_replicas.unwrap_or(0) != want
        })
        || state.stateful_sets.iter().any(|s| {
            let (want, status) = (s.spec.replicas.unwrap_or(1), s.status.clone().unwrap_or_default());
            behind(&s.metadata, status.observed_generation)
                || status.replicas != want
                || status.ready_replicas.unwrap_or(0) != want
                || status.updated_replicas.unwrap_or(0) != want
        })
        || state.daemon_sets.iter().any(|d| {
            let status = d.status.clone().unwrap_or_default();
            let want = status.desired_number_scheduled;
            behind(&d.metadata, status.observed_generation)
                || status.current_number_scheduled != want
                || status.number_ready != want
                || status.updated_number_scheduled.unwrap_or(0) != want
        })
}

fn pod_in_motion(pod: &k8s_openapi::api::core::v1::Pod) -> bool {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    if matches!(phase, Some("Succeeded" | "Failed")) {
        return pod.metadata.deletion_timestamp.is_some();
    }
    !crate::state::pod_is_ready(pod)
}

/// Whether a controller has not yet observed the latest spec of the object `meta` describes.
fn behind(meta: &ObjectMeta, observed: Option<i64>) -> bool {
    meta.generation
        .is_some_and(|generation| observed.is_none_or(|seen| seen < generation))
}

/// What changes when the cluster moves: every object's identity and `resourceVersion` (nodes
/// and events left out: heartbeats and event counts move when nothing graded does; kubedrill's
/// own probe pods too, which come and go while probes run beside the settling).
#[must_use]
pub fn fingerprint(state: &ClusterState) -> Vec<(String, String, String)> {
    fn ids<'a, T: 'a>(items: &'a [T], meta: fn(&T) -> &ObjectMeta) -> impl Iterator<Item = &'a ObjectMeta> + 'a {
        items.iter().map(meta)
    }
    let metas = ids(&state.namespaces, |o| &o.metadata)
        .chain(state.pods.iter().filter(|p| !is_probe_pod(p)).map(|o| &o.metadata))
        .chain(ids(&state.deployments, |o| &o.metadata))
        .chain(ids(&state.daemon_sets, |o| &o.metadata))
        .chain(ids(&state.stateful_sets, |o| &o.metadata))
        .chain(ids(&state.replica_sets, |o| &o.metadata))
        .chain(ids(&state.services, |o| &o.metadata))
        .chain(ids(&state.endpoint_slices, |o| &o.metadata))
        .chain(ids(&state.network_policies, |o| &o.metadata))
        .chain(ids(&state.config_maps, |o| &o.metadata))
        .chain(ids(&state.ingresses, |o| &o.metadata))
        .chain(ids(&state.gateway_classes, |o| &o.metadata))
        .chain(ids(&state.gateways, |o| &o.metadata))
        .chain(ids(&state.http_routes, |o| &o.metadata))
        .chain(ids(&state.reference_grants, |o| &o.metadata));
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
    use crate::state::{ClusterState, PROBE_ANNOTATION};

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
        let mut next = |ready: bool, unchanged_for: Duration| {
            settling.next(&checks, &observation(ready), Duration::from_secs(4), unchanged_for)
        };
        assert_eq!(next(false, Duration::ZERO), Some(DEFAULT_INTERVAL));
        assert_eq!(
            next(true, Duration::ZERO),
            Some(DEFAULT_INTERVAL),
            "confirm the first pass"
        );
        assert_eq!(next(false, Duration::ZERO), Some(DEFAULT_INTERVAL), "it flickered");
        assert_eq!(next(true, Duration::ZERO), Some(DEFAULT_INTERVAL));
        assert_eq!(
            next(true, Duration::ZERO),
            Some(DEFAULT_INTERVAL),
            "still passing, but something changed since: a crash the kubelet just reported?"
        );
        assert_eq!(next(true, DEFAULT_INTERVAL), None, "confirmed: passing and unchanged");
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
    fn the_confirming_look_waits_the_longest_interval_of_the_timed_state_checks() {
        let mut slow = ready_check(Some("90s"), Some("5s"));
        slow["id"] = json!("slow");
        let checks = checks(json!([
            ready_check(Some("90s"), None),
            slow,
            ready_check(None, Some("9s"))
        ]));
        assert_eq!(
            confirm_after(&checks),
            Duration::from_secs(5),
            "an untimed check does not count"
        );
        let mut settling = Settling::default();
        let passing = observation(true);
        assert_eq!(
            settling.next(&checks, &passing, Duration::from_secs(3), Duration::from_secs(30)),
            Some(Duration::from_secs(5)),
            "a cluster unchanged before the pass is still confirmed once"
        );
        assert_eq!(
            settling.next(&checks, &passing, Duration::from_secs(8), Duration::from_secs(4)),
            Some(Duration::from_secs(5)),
            "changed within the interval: look again"
        );
        assert_eq!(
            settling.next(&checks, &passing, Duration::from_secs(13), Duration::from_secs(5)),
            None
        );
        assert_eq!(
            settling.next(&checks, &passing, Duration::from_secs(95), Duration::ZERO),
            None,
            "past every deadline the last look is judged"
        );
    }

    #[test]
    fn a_pass_through_constant_change_is_believed_after_the_quiet_time() {
        let checks = checks(json!([ready_check(Some("90s"), None)]));
        let mut settling = Settling::default();
        let passing = observation(true);
        let mut elapsed = Duration::from_secs(4);
        let mut looks = 0;
        while settling.next(&checks, &passing, elapsed, Duration::ZERO).is_some() {
            elapsed += DEFAULT_INTERVAL;
            looks += 1;
            assert!(looks < 20, "never believed");
        }
        assert_eq!(
            elapsed,
            Duration::from_secs(4) + QUIET,
            "believed {QUIET:?} after the first pass"
        );
    }

    #[test]
    fn a_failing_check_on_a_settled_cluster_is_final_after_one_unchanged_look() {
        // Two Ready pods wanted, one Ready pod there: nothing is in motion.
        let mut wants_two = ready_check(Some("90s"), None);
        wants_two["with"]["minReady"] = json!(2);
        let checks = checks(json!([wants_two]));
        let one_ready = observation(true);
        assert!(!in_motion(&one_ready.state));
        assert_eq!(
            wait_before_next(&checks, &one_ready, Duration::from_secs(1), Duration::from_secs(1)),
            Some(DEFAULT_INTERVAL)
        );
        assert_eq!(
            wait_before_next(&checks, &one_ready, Duration::from_secs(2), DEFAULT_INTERVAL),
            None
        );
    }

    fn pod(value: serde_json::Value) -> ClusterState {
        ClusterState {
            pods: vec![serde_json::from_value(value).expect("pod")],
            ..ClusterState::default()
        }
    }

    #[test]
    fn pods_in_motion_and_at_rest() {
        let ready = json!({"type": "Ready", "status": "True"});
        let terminating = pod(
            json!({"metadata": {"name": "a", "deletionTimestamp": "2026-01-01T00:00:00Z"},
            "status": {"phase": "Running", "conditions": [ready]}}),
        );
        assert!(in_motion(&terminating), "terminating");
        assert!(in_motion(&pod(
            json!({"metadata": {"name": "a"}, "status": {"phase": "Pending"}})
        )));
        assert!(!in_motion(&pod(
            json!({"metadata": {"name": "a"}, "status": {"phase": "Succeeded"}})
        )));
        assert!(!in_motion(&pod(
            json!({"metadata": {"name": "a"}, "status": {"phase": "Failed"}})
        )));
        let starting_probe = pod(
            json!({"metadata": {"name": "kubedrill-probe-0", "annotations": {PROBE_ANNOTATION: "true"}},
            "status": {"phase": "Pending"}}),
        );
        assert!(!in_motion(&starting_probe), "kubedrill's own probe pods do not count");
        assert!(fingerprint(&starting_probe).is_empty());
    }

    fn deployment(generation: i64, status: &serde_json::Value) -> ClusterState {
        let deployment = json!({"metadata": {"name": "web", "namespace": "shop", "generation": generation},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": []}}},
            "status": status.clone()});
        ClusterState {
            deployments: vec![serde_json::from_value(deployment).expect("deployment")],
            ..ClusterState::default()
        }
    }

    #[test]
    fn a_workload_is_in_motion_until_its_controller_caught_up_and_its_pods_are_ready() {
        let done = json!({"observedGeneration": 3, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2});
        assert!(!in_motion(&deployment(3, &done)));
        assert!(in_motion(&deployment(4, &done)), "new spec not yet observed");
        let mut surging = done.clone();
        surging["replicas"] = json!(3);
        assert!(in_motion(&deployment(3, &surging)), "old pods still there");
        let mut one_ready = done;
        one_ready["readyReplicas"] = json!(1);
        assert!(in_motion(&deployment(3, &one_ready)));
        assert!(in_motion(&deployment(1, &json!({}))), "no status yet");
    }

    #[test]
    fn a_cluster_in_motion_is_waited_for_quiet_then_judged() {
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
