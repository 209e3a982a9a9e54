//! The pod-network canary, part of the health gate: one server pod pinned to every node, and a
//! probe pod that must reach each of them (so at least one path crosses nodes whenever there is
//! more than one). On a profile that claims to enforce NetworkPolicy it then proves it does
//! before a policy scenario starts its timer (kindnet fails open when its policy controller is
//! down, and is broken on some hosts): once a deny-all ingress policy selects the servers, every
//! probe must time out. The canary namespace is removed afterwards.
//!
//! Uses apply, wait and probe from its siblings; never prints.

use graders::Check;
use graders::state::Observation;
use serde_json::json;

use super::error::ClusterError;
use super::live::Live;
use crate::images::AGNHOST;
use crate::scenario::manifest::{Manifest, parse_manifests};

const SERVERS: &str = include_str!("../../templates/canary/servers.yaml.tera");
const DENY: &str = include_str!("../../templates/canary/deny.yaml.tera");
/// The canary's namespace.
pub const NAMESPACE: &str = "kubedrill-canary";

fn manifests(template: &str, nodes: &[String]) -> Result<Vec<Manifest>, ClusterError> {
    let mut context = tera::Context::new();
    context.insert("agnhost", AGNHOST);
    context.insert("nodes", nodes);
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

/// The probe checks: from one probe pod to the server on each of `nodes`, `allowed` or
/// `blocked`.
#[must_use]
pub fn checks(nodes: &[String], expect: &str) -> Vec<Check> {
    nodes
        .iter()
        .enumerate()
        .filter_map(|(index, node)| {
            serde_json::from_value(json!({
                "id": format!("canary-{index}-{expect}"), "points": 1,
                "description": format!("pod traffic to node {node} {expect}"),
                "timeout": "30s", "interval": "2s", "grader": "connectivity",
                "with": {
                    "from": {"namespace": NAMESPACE, "probeLabels": {"app": "canary-client"}},
                    "to": {"pod": {"matchLabels": {"app": "canary-server", NODE_LABEL: index.to_string()}},
                           "namespace": NAMESPACE, "port": 8080},
                    "expect": expect
                }
            }))
            .ok()
        })
        .collect()
}

const NODE_LABEL: &str = "kubedrill.dev/canary-node";

impl Live {
    /// Run the canary (with the deny-all step when `policy`); `Err` names what did not behave.
    pub async fn canary(&self, policy: bool) -> Result<(), ClusterError> {
        let result = self.canary_steps(policy).await;
        // Only the canary's own namespace: a learner's scenario namespaces survive `cluster up`.
        let cleanup = async {
            self.delete_namespace(NAMESPACE).await?;
            self.await_namespaces_gone(&[NAMESPACE.to_owned()], super::lifecycle::NAMESPACE_DELETION_TIMEOUT)
                .await
        };
        let cleaned = cleanup.await;
        result.and(cleaned)
    }

    async fn canary_steps(&self, policy: bool) -> Result<(), ClusterError> {
        let nodes: Vec<String> = self
            .observe(&[(graders::target::ObjectKind::Node, None)])
            .await?
            .nodes
            .iter()
            .filter_map(|n| n.metadata.name.clone())
            .collect();
        self.apply_all(&manifests(SERVERS, &nodes)?).await?;
        self.wait(&crate::scenario::step::WaitStep {
            rollout: None,
            deleted: None,
            pods_gone: None,
            pods_ready: Some(graders::target::PodSet {
                namespace: NAMESPACE.to_owned(),
                selector: graders::selector::LabelSelector::from_labels(
                    [("app".to_owned(), "canary-server".to_owned())].into(),
                ),
            }),
            timeout: Some(graders::Duration::from_secs(120)),
        })
        .await?;
        self.expect_traffic(&nodes, "allowed").await?;
        if policy {
            self.apply_all(&manifests(DENY, &nodes)?).await?;
            self.expect_traffic(&nodes, "blocked").await?;
        }
        Ok(())
    }

    async fn expect_traffic(&self, nodes: &[String], expect: &str) -> Result<(), ClusterError> {
        let checks = checks(nodes, expect);
        let observation: Observation = self.observe_checks(&checks).await?;
        first_failure(&checks, &observation, expect)
    }
}

/// `Ok` when every canary check passed; otherwise the first that did not, as an error.
fn first_failure(checks: &[Check], observation: &Observation, expect: &str) -> Result<(), ClusterError> {
    if checks.is_empty() {
        return Err(ClusterError::Api {
            action: "run the pod-network canary on",
            object: "the cluster".to_owned(),
            message: "no nodes".to_owned(),
        });
    }
    for check in checks {
        let verdict = check.spec.evaluate(&check.id, observation);
        if !verdict.is_pass() {
            let action = if expect == "allowed" {
                "prove pod-to-pod traffic with"
            } else {
                "prove NetworkPolicy enforcement with"
            };
            return Err(ClusterError::Api {
                action,
                object: format!("{NAMESPACE} ({})", check.description),
                message: format!("{}: {}", verdict.status(), verdict.message()),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use graders::state::{ClusterState, Observation};

    use super::{DENY, SERVERS, checks, first_failure, manifests};

    fn nodes() -> Vec<String> {
        vec!["kd-control-plane".to_owned(), "kd-worker".to_owned()]
    }

    #[test]
    fn one_server_is_pinned_to_every_node() {
        let servers = manifests(SERVERS, &nodes()).expect("servers");
        assert_eq!(servers.len(), 3, "the namespace and one pod per node");
        for (index, node) in nodes().iter().enumerate() {
            let pod = &servers[index + 1].object;
            assert_eq!(pod["spec"]["nodeName"], node.as_str());
            assert_eq!(
                pod["metadata"]["labels"]["kubedrill.dev/canary-node"],
                index.to_string()
            );
            assert!(
                pod["spec"]["containers"][0]["image"]
                    .as_str()
                    .is_some_and(|i| i.contains("agnhost"))
            );
        }
        assert_eq!(manifests(DENY, &nodes()).expect("deny")[0].kind, "NetworkPolicy");
    }

    #[test]
    fn each_check_reaches_exactly_one_node_server() {
        let servers = manifests(SERVERS, &nodes()).expect("servers");
        let mut pods: Vec<serde_json::Value> = servers[1..].iter().map(|m| m.object.clone()).collect();
        for (index, pod) in pods.iter_mut().enumerate() {
            pod["status"] = serde_json::json!({"podIP": format!("10.244.{index}.5"),
                "conditions": [{"type": "Ready", "status": "True"}]});
        }
        let state = ClusterState::from_objects(pods).expect("state");
        for expect in ["allowed", "blocked"] {
            let checks = checks(&nodes(), expect);
            assert_eq!(checks.len(), 2);
            for (index, check) in checks.iter().enumerate() {
                assert!(check.spec.problems().is_empty(), "{:?}", check.spec.problems());
                let graders::CheckSpec::Connectivity(params) = &check.spec else {
                    panic!("a connectivity check");
                };
                let (host, port) = graders::address::resolve(&state, &params.to).expect("resolves");
                assert_eq!((host.as_str(), port), (format!("10.244.{index}.5").as_str(), 8080));
            }
        }
    }

    #[test]
    fn an_unanswered_canary_names_the_node_and_no_nodes_is_an_error() {
        let error = first_failure(&checks(&nodes(), "allowed"), &Observation::default(), "allowed")
            .expect_err("no probe results");
        let text = error.to_string();
        assert!(
            text.contains("kd-control-plane") && text.contains("pod-to-pod"),
            "{text}"
        );
        assert!(first_failure(&[], &Observation::default(), "allowed").is_err());
    }
}
