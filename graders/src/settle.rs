//! When a live grade looks at the cluster again before judging it. A state check with a
//! `timeout` (a rollout finishing, pods turning Ready, endpoints filling) names an expectation
//! the cluster may still be converging to: a grade taken a second after `kubectl apply` must
//! not fail what the cluster completes a few seconds later. Probe checks poll on their own
//! (their scripts retry until the deadline), so only state checks are considered here.
//!
//! Pure: the caller observes, sleeps and decides; this module never does I/O or keeps time.

use std::time::Duration;

use crate::state::Observation;
use crate::{Check, CheckSpec};

/// How often a state check is looked at again when it gives no `interval`.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(2);

/// How long to wait before observing again, given `observation` taken `elapsed` after the
/// first one: `None` when every state check with a `timeout` passes or the deadline of every
/// failing one has passed; else the shortest `interval` of the failing checks, cut to the time
/// left before the latest of their deadlines.
#[must_use]
pub fn wait_before_next(checks: &[Check], observation: &Observation, elapsed: Duration) -> Option<Duration> {
    checks
        .iter()
        .filter(|check| settles(check))
        .filter_map(|check| {
            let left = check.timeout?.as_std().checked_sub(elapsed).filter(|d| !d.is_zero())?;
            let passes = check
                .resolved_spec(&observation.state)
                .is_ok_and(|spec| spec.evaluate(&check.id, observation).is_pass());
            (!passes).then(|| {
                check
                    .interval
                    .map_or(DEFAULT_INTERVAL, crate::Duration::as_std)
                    .min(left)
            })
        })
        .min()
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
            wait_before_next(&checks, &not_ready, Duration::ZERO),
            Some(DEFAULT_INTERVAL)
        );
        assert_eq!(
            wait_before_next(&checks, &not_ready, Duration::from_millis(89_500)),
            Some(Duration::from_millis(500)),
            "the last wait ends at the deadline"
        );
        assert_eq!(wait_before_next(&checks, &not_ready, Duration::from_secs(90)), None);
    }

    #[test]
    fn nothing_to_wait_for_once_it_passes_or_without_a_timeout() {
        let with_timeout = checks(json!([ready_check(Some("90s"), None)]));
        assert_eq!(
            wait_before_next(&with_timeout, &observation(true), Duration::ZERO),
            None
        );
        let without = checks(json!([ready_check(None, None)]));
        assert_eq!(wait_before_next(&without, &observation(false), Duration::ZERO), None);
    }

    #[test]
    fn the_shortest_interval_of_the_failing_checks_wins() {
        let mut slow = ready_check(Some("60s"), Some("10s"));
        slow["id"] = json!("slow");
        let checks = checks(json!([slow, ready_check(Some("30s"), Some("3s"))]));
        assert_eq!(
            wait_before_next(&checks, &observation(false), Duration::from_secs(1)),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            wait_before_next(&checks, &observation(false), Duration::from_secs(40)),
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
        assert_eq!(wait_before_next(&checks, &observation(false), Duration::ZERO), None);
    }
}
