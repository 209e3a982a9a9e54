//! The NetworkPolicy canary: on a profile that claims to enforce policy, prove it does before
//! a policy scenario starts its timer (kindnet fails open when its policy controller is down,
//! and is broken on some hosts). A probe must reach a server pod, then time out once a
//! deny-all ingress policy selects it. The canary namespace is removed afterwards.
//!
//! Uses apply, wait and probe from its siblings; never prints.

use graders::Check;
use graders::state::Observation;
use serde_json::json;

use super::error::ClusterError;
use super::live::Live;
use crate::images::AGNHOST;
use crate::scenario::manifest::{Manifest, parse_manifests};

const SERVER: &str = include_str!("../../templates/canary/policy.yaml.tera");
const DENY: &str = include_str!("../../templates/canary/deny.yaml.tera");
/// The canary's namespace.
pub const NAMESPACE: &str = "kubedrill-canary";

fn manifests(template: &str) -> Result<Vec<Manifest>, ClusterError> {
    let mut context = tera::Context::new();
    context.insert("agnhost", AGNHOST);
    let text = tera::Tera::new()
        .render_str(template, &context, false)
        .map_err(|e| super::kind::KindError::Template(format!("canary: {e}")))?;
    parse_manifests(&text).map_err(|p| {
        super::kind::KindError::Template(format!(
            "canary: {}",
            p.first().map(|p| p.message.clone()).unwrap_or_default()
        ))
        .into()
    })
}

/// The probe check: from a probe pod to the server pod, `allowed` or `blocked`.
#[must_use]
pub fn check(expect: &str) -> Option<Check> {
    serde_json::from_value(json!({
        "id": format!("canary-{expect}"), "points": 1, "description": format!("canary traffic {expect}"),
        "timeout": "30s", "interval": "2s", "grader": "connectivity",
        "with": {
            "from": {"namespace": NAMESPACE, "probeLabels": {"app": "canary-client"}},
            "to": {"pod": {"matchLabels": {"app": "canary-server"}}, "namespace": NAMESPACE, "port": 8080},
            "expect": expect
        }
    }))
    .ok()
}

impl Live {
    /// Run the canary; `Err` names what did not behave.
    pub async fn policy_canary(&self) -> Result<(), ClusterError> {
        let result = self.canary_steps().await;
        let _ = self.remove_scenario_namespaces().await;
        result
    }

    async fn canary_steps(&self) -> Result<(), ClusterError> {
        self.apply_all(&manifests(SERVER)?).await?;
        self.wait(&crate::scenario::step::WaitStep {
            rollout: None,
            deleted: None,
            pods_ready: Some(graders::target::PodSet {
                namespace: NAMESPACE.to_owned(),
                selector: graders::selector::LabelSelector::from_labels(
                    [("app".to_owned(), "canary-server".to_owned())].into(),
                ),
            }),
            timeout: Some(graders::Duration::from_secs(120)),
        })
        .await?;
        self.expect_traffic("allowed").await?;
        self.apply_all(&manifests(DENY)?).await?;
        self.expect_traffic("blocked").await
    }

    async fn expect_traffic(&self, expect: &str) -> Result<(), ClusterError> {
        let check = check(expect).ok_or_else(|| ClusterError::Api {
            action: "build",
            object: "canary check".to_owned(),
            message: "invalid".to_owned(),
        })?;
        let observation: Observation = self.observe_checks(std::slice::from_ref(&check)).await?;
        let verdict = check.spec.evaluate(&check.id, &observation);
        if verdict.is_pass() {
            return Ok(());
        }
        Err(ClusterError::Api {
            action: "prove NetworkPolicy enforcement with",
            object: format!("{NAMESPACE} (traffic should be {expect})"),
            message: format!("{verdict:?}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{DENY, SERVER, check, manifests};

    #[test]
    fn canary_manifests_and_checks_are_valid() {
        let server = manifests(SERVER).expect("server");
        assert_eq!(server.len(), 2);
        assert!(
            server[1].object["spec"]["containers"][0]["image"]
                .as_str()
                .is_some_and(|i| i.contains("agnhost"))
        );
        assert_eq!(manifests(DENY).expect("deny")[0].kind, "NetworkPolicy");
        for expect in ["allowed", "blocked"] {
            let check = check(expect).expect("check");
            assert!(check.spec.problems().is_empty(), "{:?}", check.spec.problems());
        }
    }
}
