//! Waiting: poll a condition over freshly observed state until it holds or time runs out. A
//! scenario's `wait` step becomes a graders check (rollout, pods-ready, absent), so "ready"
//! means exactly what grading means by it, decided by the same code.
//!
//! Reads only (through the observer); never writes.

use std::collections::BTreeSet;
use std::time::Duration;

use graders::needs::{ListRequest, Needs};
use graders::state::{ClusterState, Observation};
use graders::verdict::Verdict;
use graders::{Check, CheckSpec, absent, pods_ready, rollout};
use tokio::time::{Instant, sleep, timeout};

use super::error::ClusterError;
use super::live::Live;
use crate::scenario::step::WaitStep;

/// Default time a `wait` step gives its condition.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(120);

/// How long, and how often.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Poll {
    /// Give up after this long.
    pub timeout: Duration,
    /// Look again after this long.
    pub interval: Duration,
}

impl Poll {
    /// `timeout`, looking every second.
    #[must_use]
    pub const fn for_up_to(timeout: Duration) -> Self {
        Self {
            timeout,
            interval: Duration::from_secs(1),
        }
    }
}

/// The check a `wait` step waits for.
#[must_use]
pub fn wait_check(step: &WaitStep) -> Check {
    let (spec, description) = if let Some(target) = &step.rollout {
        let description = format!("rollout of {} {}", target.kind, target.name);
        (
            CheckSpec::Rollout(rollout::Params { target: target.clone() }),
            description,
        )
    } else if let Some(target) = &step.deleted {
        let description = format!("{} {} to be deleted", target.kind, target.name);
        (
            CheckSpec::Absent(absent::Params { target: target.clone() }),
            description,
        )
    } else {
        let set = step.pods_ready.clone().unwrap_or_else(|| graders::target::PodSet {
            namespace: "default".to_owned(),
            selector: graders::selector::LabelSelector::default(),
        });
        let description = format!("pods `{}` in {} to be Ready", set.selector.to_query(), set.namespace);
        let params = pods_ready::Params {
            namespace: set.namespace,
            selector: set.selector,
            min_ready: 1,
            max_restarts: None,
        };
        (CheckSpec::PodsReady(params), description)
    };
    internal_check("wait", description, spec)
}

/// `Ok` when no pod of `set` is left; else the ones that are.
fn pods_left(state: &graders::state::ClusterState, set: &graders::target::PodSet) -> Result<(), String> {
    let left: Vec<String> = graders::address::matching_pods(state, &set.namespace, &set.selector)
        .iter()
        .filter_map(|p| p.metadata.name.clone())
        .collect();
    if left.is_empty() {
        Ok(())
    } else {
        Err(format!("{} pod(s) left: {}", left.len(), left.join(", ")))
    }
}

/// A check kubedrill uses for itself (waits, health gates): no points, no hint, no bindings.
#[must_use]
pub fn internal_check(id: impl Into<String>, description: String, spec: CheckSpec) -> Check {
    Check {
        id: id.into(),
        points: 0,
        guard: None,
        description,
        hint: None,
        timeout: None,
        interval: None,
        spec,
        bindings: std::collections::BTreeMap::new(),
        bound_with: None,
    }
}

/// What a verdict says is still missing (for "last seen" in a timeout).
fn unmet(verdict: &Verdict) -> Result<(), String> {
    match verdict {
        Verdict::Pass { .. } => Ok(()),
        Verdict::Fail { message, .. } | Verdict::Error { message, .. } | Verdict::NotEvaluated { message } => {
            Err(message.clone())
        }
    }
}

impl Live {
    /// Carry out a `wait` step.
    pub async fn wait(&self, step: &WaitStep) -> Result<(), ClusterError> {
        let poll = Poll::for_up_to(step.timeout.map_or(DEFAULT_WAIT, graders::Duration::as_std));
        if let Some(set) = &step.pods_gone {
            let lists = BTreeSet::from([(graders::target::ObjectKind::Pod, Some(set.namespace.clone()))]);
            let what = format!("pods `{}` in {} to be gone", set.selector.to_query(), set.namespace);
            return self
                .poll_until(&what, &lists, poll, |state| pods_left(state, set))
                .await;
        }
        let check = wait_check(step);
        self.wait_for_check(&check, poll).await
    }

    /// Poll until `check` passes.
    pub async fn wait_for_check(&self, check: &Check, poll: Poll) -> Result<(), ClusterError> {
        let needs = Needs::of(std::slice::from_ref(check));
        self.poll_until(&check.description, &needs.lists, poll, |state| {
            let observation = Observation {
                state: state.clone(),
                ..Observation::default()
            };
            unmet(&check.spec.evaluate(&check.id, &observation))
        })
        .await
    }

    /// Observe `lists` every `poll.interval` until `ready` accepts the state; a timeout
    /// Wait until the cluster serves `manifest`'s kind (a CRD just applied is established).
    pub async fn await_kind(
        &self,
        manifest: &crate::scenario::manifest::Manifest,
        within: Duration,
    ) -> Result<(), ClusterError> {
        let deadline = Instant::now() + within;
        loop {
            match self.kinds.resolve(&manifest.api_version, &manifest.kind).await {
                Ok(_) => return Ok(()),
                Err(error) if Instant::now() + Duration::from_secs(1) > deadline => {
                    return Err(ClusterError::Timeout {
                        what: format!("the cluster to serve {} {}", manifest.api_version, manifest.kind),
                        after: within,
                        last: error.to_string(),
                    });
                }
                Err(_) => sleep(Duration::from_secs(1)).await,
            }
        }
    }

    /// carries the last reason it gave.
    pub async fn poll_until(
        &self,
        what: &str,
        lists: &BTreeSet<ListRequest>,
        poll: Poll,
        ready: impl Fn(&ClusterState) -> Result<(), String>,
    ) -> Result<(), ClusterError> {
        let deadline = Instant::now() + poll.timeout;
        let mut last = String::new();
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            match timeout(remaining, self.observe(lists)).await {
                Ok(Ok(state)) => match ready(&state) {
                    Ok(()) => return Ok(()),
                    Err(reason) => last = reason,
                },
                Ok(Err(error)) => last = error.to_string(),
                Err(_) => {}
            }
            if Instant::now() + poll.interval > deadline {
                return Err(ClusterError::Timeout {
                    what: what.to_owned(),
                    after: poll.timeout,
                    last,
                });
            }
            sleep(poll.interval).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use graders::CheckSpec;
    use graders::target::PodSet;
    use serde_json::json;

    use super::{Poll, wait_check};
    use crate::cluster::error::ClusterError;
    use crate::cluster::mock::{live, requests};
    use crate::cluster::safety::Ownership;
    use crate::scenario::step::WaitStep;

    fn pods_ready_step() -> WaitStep {
        WaitStep {
            rollout: None,
            deleted: None,
            pods_gone: None,
            pods_ready: Some(PodSet {
                namespace: "shop".into(),
                selector: graders::selector::LabelSelector::from_labels([("app".to_owned(), "web".to_owned())].into()),
            }),
            timeout: None,
        }
    }

    fn pod(ready: bool) -> serde_json::Value {
        json!({"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": [{
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web-1", "namespace": "shop", "labels": {"app": "web"}},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]}
        }]})
    }

    #[test]
    fn wait_steps_become_the_matching_grader() {
        assert!(matches!(wait_check(&pods_ready_step()).spec, CheckSpec::PodsReady(_)));
    }

    #[tokio::test(start_paused = true)]
    async fn polls_until_ready_with_one_list_per_look() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let (live, log) = live(Ownership::Foreign, false, move |_| {
            (200, pod(counter.fetch_add(1, Ordering::SeqCst) >= 2))
        });
        let mut step = pods_ready_step();
        step.timeout = Some(graders::Duration::from_secs(30));
        live.wait(&step).await.expect("ready on the third look");
        assert_eq!(requests(&log).len(), 3);
        assert!(
            requests(&log)
                .iter()
                .all(|r| r.uri.starts_with("/api/v1/namespaces/shop/pods?"))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn times_out_with_what_was_last_seen() {
        let (live, _) = live(Ownership::Foreign, false, |_| (200, pod(false)));
        let check = wait_check(&pods_ready_step());
        let error = live
            .wait_for_check(&check, Poll::for_up_to(Duration::from_secs(5)))
            .await
            .expect_err("never ready");
        let ClusterError::Timeout { last, after, .. } = &error else {
            panic!("{error}")
        };
        assert_eq!(*after, Duration::from_secs(5));
        assert!(last.contains("0 of the selected pods are Ready"), "{last}");
    }
}
