//! Is the probe pod the one kubedrill sent? The pod kubedrill created compared with the pod the
//! API server shows once it runs: everything that decides what runs in it, with what
//! privileges, from which address and under which labels, and the container runtime's word on
//! which image it started. In classroom grading the learner controls the cluster, so a mutating
//! admission webhook or a look-alike image could otherwise print success for kubedrill.
//!
//! Pure: compares two `Pod`s; never talks to the cluster and never decides a verdict.
//!
//! Fields the API server or an ordinary admission plugin fills in (`imagePullPolicy`,
//! `terminationMessagePath`, `resources` from a `LimitRange`, `nodeName` and `tolerations`
//! chosen by the scheduler, the `dnsPolicy` default) are not compared: they do not change what
//! the probe runs or reports. Annotations are not compared either.

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::api::core::v1::{Container, ContainerStatus, Pod, PodSpec};
use serde::Serialize;

/// One way the observed pod differs from the sent one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Difference {
    /// A value differs: `what` is `observed` instead of `sent`.
    Changed {
        /// The field, e.g. "container `probe` image".
        what: String,
        /// What the cluster shows.
        observed: String,
        /// What kubedrill sent.
        sent: String,
    },
    /// Something kubedrill did not send was added, e.g. "init container `fake`".
    Added(String),
    /// Something kubedrill sent is gone, e.g. "container `probe`".
    Removed(String),
    /// The runtime started an image whose ID does not end in the pinned digest.
    ImageId {
        /// The container.
        container: String,
        /// Its `status.containerStatuses[].imageID` (`None`: not reported).
        observed: Option<String>,
        /// The digest the image was pinned by.
        digest: String,
    },
    /// The container restarted (an image change restarts it): it may run something else now.
    Restarted {
        /// The container.
        container: String,
        /// Its restart count.
        count: i32,
    },
    /// A different container than before the probe ran (its `containerID` changed).
    Replaced {
        /// The container.
        container: String,
        /// Its ID before the probe.
        before: String,
        /// Its ID after.
        after: String,
    },
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Changed { what, observed, sent } => write!(f, "{what} {observed} instead of {sent}"),
            Self::Added(what) => write!(f, "added {what}"),
            Self::Removed(what) => write!(f, "removed {what}"),
            Self::ImageId {
                container,
                observed,
                digest,
            } => write!(
                f,
                "container `{container}` runs image ID {} instead of one ending in {digest}",
                observed.as_deref().unwrap_or("(none reported)")
            ),
            Self::Restarted { container, count } => {
                write!(f, "container `{container}` restarted {count} time(s)")
            }
            Self::Replaced {
                container,
                before,
                after,
            } => write!(f, "container `{container}` was replaced ({before} became {after})"),
        }
    }
}

/// Every way `observed` (read back from the API server once running) differs from `sent` (the
/// pod kubedrill created). Empty when the pod is what kubedrill sent.
#[must_use]
pub fn differences(sent: &Pod, observed: &Pod) -> Vec<Difference> {
    let empty = PodSpec::default();
    let sent_spec = sent.spec.as_ref().unwrap_or(&empty);
    let observed_spec = observed.spec.as_ref().unwrap_or(&empty);
    let mut found = Vec::new();
    compare(
        &mut found,
        "labels",
        &sent.metadata.labels.clone().unwrap_or_default(),
        &observed.metadata.labels.clone().unwrap_or_default(),
    );
    found.extend(pod_spec(sent_spec, observed_spec));
    found.extend(containers(sent_spec, observed_spec));
    found.extend(runtime(sent_spec, observed));
    found
}

/// The container kept running the same process: `before` and `after` are the pod read before
/// and after the probe's exec.
#[must_use]
pub fn replaced(before: &Pod, after: &Pod) -> Vec<Difference> {
    let ids = |pod: &Pod| -> BTreeMap<String, String> {
        statuses(pod)
            .iter()
            .map(|s| (s.name.clone(), s.container_id.clone().unwrap_or_default()))
            .collect()
    };
    let after_ids = ids(after);
    ids(before)
        .into_iter()
        .filter_map(|(container, before)| {
            let after = after_ids.get(&container).cloned().unwrap_or_default();
            (after != before).then_some(Difference::Replaced {
                container,
                before: or_none(before),
                after: or_none(after),
            })
        })
        .collect()
}

/// The sentence a tampered probe's verdict carries.
#[must_use]
pub fn tamper_message(pod: &str, differences: &[Difference]) -> String {
    let list: Vec<String> = differences.iter().map(ToString::to_string).collect();
    format!(
        "probe pod {pod} was altered after kubedrill created it: {}; its output is not trusted (hint: look for a mutating admission webhook, `kubectl get mutatingwebhookconfigurations`, and grade again once it is gone)",
        list.join("; ")
    )
}

fn pod_spec(sent: &PodSpec, observed: &PodSpec) -> Vec<Difference> {
    let mut found = Vec::new();
    for (what, sent, observed) in [
        ("hostNetwork", sent.host_network, observed.host_network),
        ("hostPID", sent.host_pid, observed.host_pid),
        ("hostIPC", sent.host_ipc, observed.host_ipc),
        (
            "shareProcessNamespace",
            sent.share_process_namespace,
            observed.share_process_namespace,
        ),
    ] {
        compare(&mut found, what, &sent.unwrap_or(false), &observed.unwrap_or(false));
    }
    compare(
        &mut found,
        "pod securityContext",
        &sent.security_context.clone().unwrap_or_default(),
        &observed.security_context.clone().unwrap_or_default(),
    );
    compare(
        &mut found,
        "runtimeClassName",
        &sent.runtime_class_name,
        &observed.runtime_class_name,
    );
    compare(&mut found, "dnsConfig", &sent.dns_config, &observed.dns_config);
    compare(&mut found, "hostAliases", &sent.host_aliases, &observed.host_aliases);
    compare(
        &mut found,
        "dnsPolicy",
        &sent.dns_policy.as_deref().unwrap_or("ClusterFirst"),
        &observed.dns_policy.as_deref().unwrap_or("ClusterFirst"),
    );
    if sent.node_name.is_some() {
        compare(&mut found, "nodeName", &sent.node_name, &observed.node_name);
    }
    let names = |list: &Option<Vec<_>>| -> Vec<String> {
        list.iter()
            .flatten()
            .map(|v: &k8s_openapi::api::core::v1::Volume| v.name.clone())
            .collect()
    };
    found.extend(added("volume", &names(&sent.volumes), &names(&observed.volumes)));
    found
}

fn containers(sent: &PodSpec, observed: &PodSpec) -> Vec<Difference> {
    let names = |list: &[Container]| -> Vec<String> { list.iter().map(|c| c.name.clone()).collect() };
    let mut found = added("container", &names(&sent.containers), &names(&observed.containers));
    found.extend(added(
        "init container",
        &names(sent.init_containers.as_deref().unwrap_or_default()),
        &names(observed.init_containers.as_deref().unwrap_or_default()),
    ));
    let ephemeral: Vec<String> = observed
        .ephemeral_containers
        .iter()
        .flatten()
        .map(|c| c.name.clone())
        .collect();
    found.extend(added("ephemeral container", &[], &ephemeral));
    for container in &sent.containers {
        match observed.containers.iter().find(|c| c.name == container.name) {
            Some(seen) => found.extend(container_fields(container, seen)),
            None => found.push(Difference::Removed(format!("container `{}`", container.name))),
        }
    }
    found
}

/// What decides what a container runs and with which privileges.
fn container_fields(sent: &Container, observed: &Container) -> Vec<Difference> {
    let mut found = Vec::new();
    let name = &sent.name;
    let what = |field: &str| format!("container `{name}` {field}");
    compare(&mut found, &what("image"), &sent.image, &observed.image);
    compare(&mut found, &what("command"), &sent.command, &observed.command);
    compare(&mut found, &what("args"), &sent.args, &observed.args);
    compare(
        &mut found,
        &what("workingDir"),
        &sent.working_dir,
        &observed.working_dir,
    );
    compare(&mut found, &what("env"), &sent.env, &observed.env);
    compare(&mut found, &what("envFrom"), &sent.env_from, &observed.env_from);
    compare(
        &mut found,
        &what("volumeMounts"),
        &sent.volume_mounts,
        &observed.volume_mounts,
    );
    compare(
        &mut found,
        &what("volumeDevices"),
        &sent.volume_devices,
        &observed.volume_devices,
    );
    compare(
        &mut found,
        &what("securityContext"),
        &sent.security_context,
        &observed.security_context,
    );
    // Hooks and probes run commands in the container: they could rewrite its tools.
    compare(&mut found, &what("lifecycle"), &sent.lifecycle, &observed.lifecycle);
    compare(
        &mut found,
        &what("livenessProbe"),
        &sent.liveness_probe,
        &observed.liveness_probe,
    );
    compare(
        &mut found,
        &what("readinessProbe"),
        &sent.readiness_probe,
        &observed.readiness_probe,
    );
    compare(
        &mut found,
        &what("startupProbe"),
        &sent.startup_probe,
        &observed.startup_probe,
    );
    found
}

/// The runtime's side: every sent container runs, never restarted, from an image whose ID ends
/// in the digest the sent image is pinned by (when it is).
fn runtime(sent: &PodSpec, observed: &Pod) -> Vec<Difference> {
    let statuses = statuses(observed);
    let mut found = Vec::new();
    for container in &sent.containers {
        let Some(status) = statuses.iter().find(|s| s.name == container.name) else {
            found.push(Difference::Removed(format!("status of container `{}`", container.name)));
            continue;
        };
        if status.restart_count > 0 {
            found.push(Difference::Restarted {
                container: container.name.clone(),
                count: status.restart_count,
            });
        }
        let Some(digest) = container.image.as_deref().and_then(crate::images::digest) else {
            continue;
        };
        let id = &status.image_id;
        if !id.ends_with(digest) {
            found.push(Difference::ImageId {
                container: container.name.clone(),
                observed: (!id.is_empty()).then(|| id.clone()),
                digest: digest.to_owned(),
            });
        }
    }
    found
}

fn statuses(pod: &Pod) -> &[ContainerStatus] {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or_default()
}

/// Names in `observed` but not in `sent`, as [`Difference::Added`].
fn added(kind: &str, sent: &[String], observed: &[String]) -> Vec<Difference> {
    observed
        .iter()
        .filter(|name| !sent.contains(name))
        .map(|name| Difference::Added(format!("{kind} `{name}`")))
        .collect()
}

fn compare<T: PartialEq + Serialize>(found: &mut Vec<Difference>, what: &str, sent: &T, observed: &T) {
    if sent != observed {
        found.push(Difference::Changed {
            what: what.to_owned(),
            observed: show(observed),
            sent: show(sent),
        });
    }
}

/// A value as a learner reads it: strings bare, `none` for nothing, else compact JSON.
fn show<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        Ok(serde_json::Value::Null) => "none".to_owned(),
        Ok(other) => other.to_string(),
        Err(e) => format!("(unreadable: {e})"),
    }
}

fn or_none(id: String) -> String {
    if id.is_empty() { "none".to_owned() } else { id }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::Pod;
    use serde_json::{Value, json};

    use super::{Difference, differences, replaced, tamper_message};
    use crate::cluster::probe::probe_pod;
    use crate::cluster::probe::script::Via;
    use crate::images::PROBE_IMAGE;

    const DIGEST: &str = "sha256:99c6b4bb4a1e1df3f0b3752168c89358794d02258ebebc26bf21c29399011a85";

    fn sent(node: Option<&str>) -> Pod {
        let via = Via::ProbePod {
            namespace: "shop".into(),
            labels: [("role".to_owned(), "client".to_owned())].into(),
            node: node.map(str::to_owned),
        };
        probe_pod("kubedrill-probe-0", &via, PROBE_IMAGE).expect("probe pod")
    }

    /// The sent pod as the API server and a container runtime return it: defaults filled in,
    /// scheduled, running the pinned image.
    fn as_running(pod: &Pod) -> Value {
        let mut value = serde_json::to_value(pod).expect("json");
        value["metadata"]["uid"] = json!("u-1");
        value["metadata"]["annotations"]["cni.projectcalico.org/podIP"] = json!("10.244.1.7/32");
        let spec = &mut value["spec"];
        spec["dnsPolicy"] = json!("ClusterFirst");
        spec["securityContext"] = json!({});
        spec["schedulerName"] = json!("default-scheduler");
        spec["enableServiceLinks"] = json!(true);
        if spec["nodeName"].is_null() {
            spec["nodeName"] = json!("kubedrill-kindnet-worker");
        }
        let container = &mut spec["containers"][0];
        container["imagePullPolicy"] = json!("IfNotPresent");
        container["terminationMessagePath"] = json!("/dev/termination-log");
        container["resources"] = json!({"limits": {"memory": "64Mi"}});
        value["status"] = json!({"phase": "Running", "containerStatuses": [{
            "name": "probe", "image": PROBE_IMAGE, "ready": true, "restartCount": 0,
            "imageID": format!("registry.k8s.io/e2e-test-images/agnhost@{DIGEST}"),
            "containerID": "containerd://abc",
        }]});
        value
    }

    fn observed(value: Value) -> Pod {
        serde_json::from_value(value).expect("pod")
    }

    fn texts(found: &[Difference]) -> Vec<String> {
        found.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn the_pod_as_sent_and_defaulted_has_no_difference() {
        for node in [None, Some("kubedrill-kindnet-worker")] {
            let sent = sent(node);
            assert_eq!(
                texts(&differences(&sent, &observed(as_running(&sent)))),
                Vec::<String>::new()
            );
        }
        // docker's and CRI-O's way of writing the image ID end in the digest too.
        let sent = sent(None);
        let mut docker = as_running(&sent);
        docker["status"]["containerStatuses"][0]["imageID"] = json!(format!(
            "docker-pullable://registry.k8s.io/e2e-test-images/agnhost@{DIGEST}"
        ));
        assert!(differences(&sent, &observed(docker)).is_empty());
    }

    #[tokio::test]
    async fn a_preloaded_probe_image_named_by_tag_has_no_digest_to_compare_but_is_still_checked() {
        use crate::cluster::mock::{echo, live};
        use crate::cluster::safety::Ownership;
        use crate::images::AGNHOST;
        let (plain, _) = live(Ownership::Owned("kubedrill-kindnet".into()), false, echo);
        assert_eq!(plain.probe_image, PROBE_IMAGE, "pinned by digest unless preloaded");
        let (offline, _) = live(Ownership::Owned("kubedrill-kindnet".into()), false, echo);
        let offline = offline.with_preloaded(&[AGNHOST.to_owned()]);
        assert_eq!(offline.probe_image, AGNHOST, "kind loaded it under its tag only");
        let via = Via::ProbePod {
            namespace: "shop".into(),
            labels: [("role".to_owned(), "client".to_owned())].into(),
            node: None,
        };
        let sent = probe_pod("kubedrill-probe-0", &via, offline.probe_image).expect("probe pod");
        let mut running = as_running(&sent);
        running["status"]["containerStatuses"][0]["imageID"] = json!("sha256:5d5a0ae8c3e1");
        assert!(
            differences(&sent, &observed(running.clone())).is_empty(),
            "an imported image's own ID is accepted"
        );
        running["spec"]["containers"][0]["image"] = json!("registry.example/fake:1");
        assert_eq!(
            differences(&sent, &observed(running)).len(),
            1,
            "the image is still compared"
        );
    }

    /// Set `value` at JSON pointer `pointer`, creating objects on the way; an array index one
    /// past the end appends.
    fn set(pod: &mut Value, pointer: &str, value: Value) {
        let keys: Vec<&str> = pointer.split('/').skip(1).collect();
        let Some((last, path)) = keys.split_last() else { return };
        let mut at = pod;
        for key in path {
            at = match key.parse::<usize>() {
                Ok(index) => &mut at[index],
                Err(_) => &mut at[*key],
            };
        }
        match (last.parse::<usize>(), at.as_array_mut()) {
            (Ok(index), Some(items)) if index == items.len() => items.push(value),
            (Ok(index), _) => at[index] = value,
            (Err(_), _) => at[*last] = value,
        }
    }

    /// One mutation per row, as a webhook or a learner would make it, and the difference named.
    #[test]
    #[allow(clippy::too_many_lines, reason = "one table row per mutation")]
    fn every_mutation_is_named() {
        let sent = sent(None);
        let c = "/spec/containers/0";
        let rows = [
            (
                format!("{c}/image"),
                json!("registry.example/fake:1"),
                "container `probe` image registry.example/fake:1 instead of registry.k8s.io/e2e-test-images/agnhost:2.53@sha256:99c6",
            ),
            (
                format!("{c}/args"),
                json!(["netexec"]),
                "container `probe` args [\"netexec\"] instead of [\"pause\"]",
            ),
            (
                format!("{c}/command"),
                json!(["/fake-shell"]),
                "container `probe` command [\"/fake-shell\"] instead of none",
            ),
            (
                format!("{c}/env"),
                json!([{"name": "PATH", "value": "/evil"}]),
                "container `probe` env [{\"name\":\"PATH\",\"value\":\"/evil\"}] instead of none",
            ),
            (
                "/spec/containers/1".to_owned(),
                json!({"name": "fake", "image": "x"}),
                "added container `fake`",
            ),
            (
                "/spec/initContainers".to_owned(),
                json!([{"name": "swap-tools", "image": "x"}]),
                "added init container `swap-tools`",
            ),
            (
                "/spec/ephemeralContainers".to_owned(),
                json!([{"name": "debugger", "image": "x"}]),
                "added ephemeral container `debugger`",
            ),
            (
                "/spec/hostNetwork".to_owned(),
                json!(true),
                "hostNetwork true instead of false",
            ),
            (
                "/spec/volumes".to_owned(),
                json!([{"name": "tools", "emptyDir": {}}]),
                "added volume `tools`",
            ),
            (
                format!("{c}/volumeMounts"),
                json!([{"name": "tools", "mountPath": "/usr/local/bin"}]),
                "container `probe` volumeMounts [{\"mountPath\":\"/usr/local/bin\",\"name\":\"tools\"}] instead of none",
            ),
            (
                format!("{c}/securityContext"),
                json!({"privileged": true}),
                "container `probe` securityContext {\"privileged\":true} instead of none",
            ),
            (
                "/spec/securityContext".to_owned(),
                json!({"runAsUser": 0}),
                "pod securityContext {\"runAsUser\":0} instead of {}",
            ),
            (
                format!("{c}/lifecycle"),
                json!({"postStart": {"exec": {"command": ["cp", "/fake", "/agnhost"]}}}),
                "container `probe` lifecycle",
            ),
            (
                "/spec/dnsConfig".to_owned(),
                json!({"nameservers": ["10.0.0.53"]}),
                "dnsConfig {\"nameservers\":[\"10.0.0.53\"]} instead of none",
            ),
            (
                "/spec/hostAliases".to_owned(),
                json!([{"ip": "10.0.0.1", "hostnames": ["web"]}]),
                "hostAliases [{\"hostnames\":[\"web\"],\"ip\":\"10.0.0.1\"}] instead of none",
            ),
            (
                "/metadata/labels/role".to_owned(),
                json!("admin"),
                "labels {\"role\":\"admin\"} instead of {\"role\":\"client\"}",
            ),
            (
                "/spec/runtimeClassName".to_owned(),
                json!("shim"),
                "runtimeClassName shim instead of none",
            ),
            (
                "/status/containerStatuses/0/imageID".to_owned(),
                json!("registry.example/fake@sha256:0000"),
                "container `probe` runs image ID registry.example/fake@sha256:0000 instead of one ending in sha256:99c6",
            ),
            (
                "/status/containerStatuses/0/restartCount".to_owned(),
                json!(1),
                "container `probe` restarted 1 time(s)",
            ),
        ];
        for (pointer, value, expected) in rows {
            let mut pod = as_running(&sent);
            set(&mut pod, &pointer, value);
            let found = texts(&differences(&sent, &observed(pod)));
            assert!(
                found.len() == 1 && found[0].starts_with(expected),
                "{pointer}: {found:?}"
            );
        }
    }

    #[test]
    fn a_missing_container_or_status_and_a_node_probe_moved_off_its_node() {
        let sent = sent(Some("kubedrill-kindnet-worker"));
        let mut pod = as_running(&sent);
        pod["spec"]["nodeName"] = json!("kubedrill-kindnet-control-plane");
        pod["spec"]["hostNetwork"] = json!(false);
        pod["status"]["containerStatuses"] = json!([]);
        let found = texts(&differences(&sent, &observed(pod)));
        assert_eq!(
            found,
            [
                "hostNetwork false instead of true",
                "nodeName kubedrill-kindnet-control-plane instead of kubedrill-kindnet-worker",
                "removed status of container `probe`",
            ]
        );
        let mut renamed = as_running(&sent);
        renamed["spec"]["containers"][0]["name"] = json!("other");
        let found = texts(&differences(&sent, &observed(renamed)));
        assert!(found.contains(&"added container `other`".to_owned()), "{found:?}");
        assert!(found.contains(&"removed container `probe`".to_owned()), "{found:?}");
        let mut unreported = as_running(&sent);
        unreported["status"]["containerStatuses"][0]["imageID"] = json!("");
        assert_eq!(
            texts(&differences(&sent, &observed(unreported))),
            [format!(
                "container `probe` runs image ID (none reported) instead of one ending in {DIGEST}"
            )]
        );
    }

    #[test]
    fn a_container_replaced_during_the_probe_is_named_and_the_message_lists_everything() {
        let sent = sent(None);
        let before = observed(as_running(&sent));
        assert!(replaced(&before, &before).is_empty());
        let mut after = as_running(&sent);
        after["status"]["containerStatuses"][0]["containerID"] = json!("containerd://def");
        let found = replaced(&before, &observed(after));
        assert_eq!(
            texts(&found),
            ["container `probe` was replaced (containerd://abc became containerd://def)"]
        );
        let message = tamper_message("kubedrill-probe-0", &found);
        assert!(
            message.starts_with(
                "probe pod kubedrill-probe-0 was altered after kubedrill created it: container `probe` was replaced"
            ),
            "{message}"
        );
        assert!(message.contains("hint:"), "{message}");
    }
}
