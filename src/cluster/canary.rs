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
        // Every node's server Ready with an IP before any probe: a server still starting
        // would be a "Refused" with no retry.
        let lists = std::collections::BTreeSet::from([(graders::target::ObjectKind::Pod, Some(NAMESPACE.to_owned()))]);
        self.poll_until(
            "a Ready canary server on every node",
            &lists,
            super::wait::Poll::for_up_to(std::time::Duration::from_secs(120)),
            |state| servers_ready(state, nodes.len()),
        )
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

/// `Ok` when the server of each of `nodes` nodes (labelled with its index) is Ready with a pod
/// IP; else the first that is not.
fn servers_ready(state: &graders::state::ClusterState, nodes: usize) -> Result<(), String> {
    for index in 0..nodes {
        let ready = state.pods_in(NAMESPACE).any(|pod| {
            let labels = graders::state::pod_labels(pod);
            labels.get("app").map(String::as_str) == Some("canary-server")
                && labels.get(NODE_LABEL) == Some(&index.to_string())
                && graders::state::pod_is_ready(pod)
                && pod.status.as_ref().and_then(|s| s.pod_ip.as_ref()).is_some()
        });
        if !ready {
            return Err(format!("canary server-{index} is not Ready with an IP yet"));
        }
    }
    Ok(())
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

    use super::{DENY, SERVERS, checks, first_failure, manifests, servers_ready};

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

    /// The canary probes only once the server on every node is Ready with an IP; one Ready
    /// server is not enough.
    #[test]
    fn probing_waits_for_a_ready_server_on_every_node() {
        let servers = manifests(SERVERS, &nodes()).expect("servers");
        let state = |ready: [bool; 2]| {
            let pods = servers[1..].iter().zip(ready).enumerate().map(|(index, (m, ready))| {
                let mut pod = m.object.clone();
                pod["status"] = if ready {
                    serde_json::json!({"podIP": format!("10.244.{index}.5"),
                        "conditions": [{"type": "Ready", "status": "True"}]})
                } else {
                    serde_json::json!({"conditions": [{"type": "Ready", "status": "False"}]})
                };
                pod
            });
            ClusterState::from_objects(pods).expect("state")
        };
        assert_eq!(servers_ready(&state([true, true]), 2), Ok(()));
        let waiting = servers_ready(&state([true, false]), 2).expect_err("server-1 not Ready");
        assert!(waiting.contains("server-1"), "{waiting}");
        assert!(servers_ready(&state([false, true]), 2).is_err());
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
