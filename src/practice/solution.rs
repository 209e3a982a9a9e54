//! The reference solution as commands a learner can paste into a shell: each typed step
//! (apply, patch, delete, scale, restart pods, wait, node commands) becomes the `kubectl` or
//! `docker` line that does the same, manifests inlined as quoted here-documents and every
//! argument quoted for `sh`.
//!
//! Pure text from the rendered scenario; must not run anything, touch a cluster or print.

use std::collections::BTreeMap;

use graders::target::{ObjectRef, PodSet};
use serde::Serialize;
use serde_json::Value;

use crate::cluster::probe::script::quote;
use crate::scenario::render::RenderedFile;
use crate::scenario::step::{NodeExecStep, NodeSet, PatchStep, PatchType, ScaleStep, SliceStep, Step, WaitStep};

/// One step of a solution: the step as the scenario types it, and the same as shell text.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShellStep<'a> {
    /// The typed step.
    pub step: &'a Step,
    /// Commands that do the same, ready to paste (one or more lines).
    pub shell: String,
}

/// A step names a manifest the rendering did not produce (never for a scenario that rendered).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{path}` is not among the scenario's rendered manifests")]
pub struct MissingManifest {
    /// The path the `apply` step names.
    pub path: String,
}

/// `steps` as shell text. `files` are the rendered manifests (`apply` inlines them);
/// `cluster` is the kind cluster whose node containers `nodeExec` steps reach.
pub fn shell_steps<'a>(
    steps: &'a [Step],
    files: &BTreeMap<String, RenderedFile>,
    cluster: &str,
) -> Result<Vec<ShellStep<'a>>, MissingManifest> {
    steps
        .iter()
        .map(|step| {
            Ok(ShellStep {
                step,
                shell: shell(step, files, cluster)?,
            })
        })
        .collect()
}

/// One step as shell text.
pub fn shell(step: &Step, files: &BTreeMap<String, RenderedFile>, cluster: &str) -> Result<String, MissingManifest> {
    Ok(match step {
        Step::Apply(path) => {
            let file = files.get(path).ok_or_else(|| MissingManifest { path: path.clone() })?;
            with_stdin("kubectl apply -f -", &file.text)
        }
        Step::Patch(patch) => patch_command(patch),
        Step::Delete(target) => kubectl(
            target.namespace.as_deref(),
            &["delete", &resource(target), &target.name],
        ),
        Step::Scale(ScaleStep { target, replicas }) => kubectl(
            target.namespace.as_deref(),
            &[
                "scale",
                &resource(target),
                &target.name,
                &format!("--replicas={replicas}"),
            ],
        ),
        Step::RestartPods(pods) => kubectl(
            Some(&pods.namespace),
            &["delete", "pods", "-l", &pods.selector.to_query()],
        ),
        Step::Wait(wait) => wait_command(wait),
        Step::NodeExec(exec) => node_command(exec, cluster),
        Step::ApplySlice(slice) => {
            let file = files.get(&slice.file).ok_or_else(|| MissingManifest {
                path: slice.file.clone(),
            })?;
            slice_command(slice, &file.text)
        }
    })
}

/// Wait for the pods, then apply the EndpointSlice with their IPs as endpoints: the manifest
/// goes through an unquoted here-document (its `\`, `$` and `` ` `` escaped) so the IPs can be
/// filled in by `kubectl get`.
fn slice_command(step: &SliceStep, text: &str) -> String {
    let (namespace, query) = (step.pods.namespace.as_str(), step.pods.selector.to_query());
    let wait = kubectl(
        Some(namespace),
        &["wait", "--for=condition=Ready", "pods", "-l", &query, "--timeout=2m"],
    );
    let ips = kubectl(
        Some(namespace),
        &[
            "get",
            "pods",
            "-l",
            &query,
            "-o",
            r#"go-template={{range .items}}- addresses: ["{{.status.podIP}}"]{{"\n"}}  conditions: {ready: true}{{"\n"}}{{end}}"#,
        ],
    );
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '$' | '`') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    if !escaped.ends_with('\n') {
        escaped.push('\n');
    }
    let body = format!("{escaped}endpoints:\n$({ips})\n");
    let delimiter = delimiter(&body);
    format!("{wait}\nkubectl apply -f - <<{delimiter}\n{body}{delimiter}")
}

/// `kubectl [-n NS] ARGS...`, each argument quoted.
fn kubectl(namespace: Option<&str>, args: &[&str]) -> String {
    let mut words = vec!["kubectl".to_owned()];
    if let Some(namespace) = namespace {
        words.extend(["-n".to_owned(), quote(namespace)]);
    }
    words.extend(args.iter().map(|a| quote(a)));
    words.join(" ")
}

/// The resource name kubectl takes for a kind (`networkpolicy`, `configmap`, ...).
fn resource(target: &ObjectRef) -> String {
    target.kind.to_string().to_lowercase()
}

/// `command <<'EOF'` + `text` + `EOF`, with a delimiter that no line of `text` equals.
fn with_stdin(command: &str, text: &str) -> String {
    let delimiter = delimiter(text);
    let newline = if text.ends_with('\n') { "" } else { "\n" };
    format!("{command} <<'{delimiter}'\n{text}{newline}{delimiter}")
}

/// A here-document delimiter that no line of `text` equals.
fn delimiter(text: &str) -> String {
    // Of `lines + 1` candidates at least one is no line of the text.
    (0..=text.lines().count())
        .map(|i| if i == 0 { "EOF".to_owned() } else { format!("EOF{i}") })
        .find(|d| !text.lines().any(|line| line == d))
        .unwrap_or_default()
}

fn patch_command(step: &PatchStep) -> String {
    let kind = match step.patch_type {
        PatchType::Merge => "merge",
        PatchType::Strategic => "strategic",
        PatchType::Json => "json",
    };
    let target = &step.target;
    let base = ["patch", &resource(target), &target.name, "--type", kind];
    // A block of text (a Corefile) stays readable as YAML, which kubectl accepts as a patch.
    if has_multiline_string(&step.patch)
        && let Ok(yaml) = serde_saphyr::to_string(&step.patch)
    {
        let command = kubectl(
            target.namespace.as_deref(),
            &[&base[..], &["--patch-file", "/dev/stdin"]].concat(),
        );
        return with_stdin(&command, &yaml);
    }
    let json = step.patch.to_string();
    kubectl(target.namespace.as_deref(), &[&base[..], &["-p", &json]].concat())
}

fn has_multiline_string(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\n'),
        Value::Array(items) => items.iter().any(has_multiline_string),
        Value::Object(map) => map.values().any(has_multiline_string),
        _ => false,
    }
}

fn wait_command(wait: &WaitStep) -> String {
    let timeout = wait
        .timeout
        .unwrap_or_else(|| graders::Duration::from_secs(crate::cluster::wait::DEFAULT_WAIT.as_secs()));
    let timeout = format!("--timeout={timeout}");
    let pods = |pods: &PodSet, condition: &str| {
        kubectl(
            Some(&pods.namespace),
            &["wait", condition, "pods", "-l", &pods.selector.to_query(), &timeout],
        )
    };
    if let Some(target) = &wait.rollout {
        let object = format!("{}/{}", resource(target), target.name);
        kubectl(target.namespace.as_deref(), &["rollout", "status", &object, &timeout])
    } else if let Some(target) = &wait.deleted {
        let object = format!("{}/{}", resource(target), target.name);
        kubectl(
            target.namespace.as_deref(),
            &["wait", "--for=delete", &object, &timeout],
        )
    } else if let Some(set) = &wait.pods_ready {
        pods(set, "--for=condition=Ready")
    } else if let Some(set) = &wait.pods_gone {
        pods(set, "--for=delete")
    } else {
        String::new()
    }
}

/// `docker exec` in the cluster's node containers, found by the labels kind gives them.
fn node_command(exec: &NodeExecStep, cluster: &str) -> String {
    let mut filters = vec![format!("label=io.x-k8s.kind.cluster={cluster}")];
    match exec.nodes {
        NodeSet::All => {}
        NodeSet::ControlPlane => filters.push("label=io.x-k8s.kind.role=control-plane".to_owned()),
        NodeSet::Workers => filters.push("label=io.x-k8s.kind.role=worker".to_owned()),
    }
    let filters: Vec<String> = filters.iter().map(|f| format!("--filter {}", quote(f))).collect();
    let argv: Vec<String> = exec.command.iter().map(|a| quote(a)).collect();
    format!(
        "for node in $(docker ps -q {}); do docker exec \"$node\" {}; done",
        filters.join(" "),
        argv.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::process::{Command, Stdio};

    use serde_json::{Value, json};

    use super::{shell, with_stdin};
    use crate::scenario::render::RenderedFile;
    use crate::scenario::step::Step;

    /// What `sh` makes of `text` when `kubectl` and `docker` only report their arguments
    /// (one per line) and what they read on standard input.
    fn as_sh_runs_it(text: &str) -> String {
        let script = format!(
            "kubectl() {{ printf 'kubectl\\n'; printf '[%s]\\n' \"$@\"; cat; }}\n\
             docker() {{ if [ \"$1\" = ps ]; then echo node-a; echo node-b; else printf 'docker\\n'; printf '[%s]\\n' \"$@\"; fi; }}\n\
             {text}\n"
        );
        let out = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .output()
            .expect("sh runs");
        assert!(out.status.success(), "{text}");
        String::from_utf8(out.stdout).expect("utf-8")
    }

    fn step(value: Value) -> Step {
        serde_json::from_value(value).expect("step")
    }

    fn no_files() -> BTreeMap<String, RenderedFile> {
        BTreeMap::new()
    }

    #[test]
    fn a_manifest_is_inlined_and_reaches_kubectl_byte_for_byte() {
        let text = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: s}\ndata:\n  note: \"it's $HOME `x`\"\n  end: EOF\nEOF\n";
        let files = BTreeMap::from([(
            "solution/fix.yaml".to_owned(),
            RenderedFile {
                text: text.to_owned(),
                objects: Vec::new(),
            },
        )]);
        let shown = shell(&step(json!({"apply": "solution/fix.yaml"})), &files, "c").expect("rendered");
        assert!(!shown.contains("solution/fix.yaml"), "{shown}");
        assert!(shown.contains(text), "the rendered text as it is: {shown}");
        assert_eq!(
            as_sh_runs_it(&shown),
            format!("kubectl\n[apply]\n[-f]\n[-]\n{text}"),
            "a line `EOF` in the manifest does not end the here-document"
        );
        let missing = shell(&step(json!({"apply": "other.yaml"})), &files, "c").expect_err("not rendered");
        assert_eq!(missing.path, "other.yaml");
    }

    #[test]
    fn a_patch_body_survives_shell_quoting() {
        let patch = json!({"spec": {"selector": {"app": "it's"}, "ports": [{"name": "web", "port": 80}]}});
        let shown = shell(
            &step(
                json!({"patch": {"target": {"kind": "Service", "name": "web", "namespace": "shop"}, "patch": patch}}),
            ),
            &no_files(),
            "c",
        )
        .expect("patch");
        assert!(
            shown.starts_with("kubectl -n shop patch service web --type merge -p '"),
            "{shown}"
        );
        let ran = as_sh_runs_it(&shown);
        let args: Vec<&str> = ran.lines().collect();
        let body = args
            .last()
            .and_then(|a| a.strip_prefix('['))
            .and_then(|a| a.strip_suffix(']'));
        let body: Value = serde_json::from_str(body.expect("-p argument")).expect("json");
        assert_eq!(body, patch);
    }

    #[test]
    fn a_patch_with_a_block_of_text_is_yaml_on_standard_input() {
        let corefile = ".:53 {\n    errors\n    kubernetes cluster.local\n}\n";
        let shown = shell(
            &step(
                json!({"patch": {"target": {"kind": "ConfigMap", "name": "coredns", "namespace": "kube-system"},
                                   "patch": {"data": {"Corefile": corefile, "flag": "on"}}}}),
            ),
            &no_files(),
            "c",
        )
        .expect("patch");
        assert!(
            shown.starts_with(
                "kubectl -n kube-system patch configmap coredns --type merge --patch-file /dev/stdin <<'EOF'\n"
            ),
            "{shown}"
        );
        let ran = as_sh_runs_it(&shown);
        let yaml = ran.split_once("[/dev/stdin]\n").expect("stdin").1;
        let body: Value = serde_saphyr::from_str(yaml).expect("yaml");
        assert_eq!(body, json!({"data": {"Corefile": corefile, "flag": "on"}}));
        assert!(
            yaml.contains("\"on\"") || yaml.contains("'on'"),
            "YAML 1.1 booleans stay strings: {yaml}"
        );
    }

    #[test]
    fn every_other_step_is_the_kubectl_command_that_does_it() {
        let cases = [
            (
                json!({"patch": {"target": {"kind": "DaemonSet", "name": "f", "namespace": "k"}, "type": "json",
                       "patch": [{"op": "remove", "path": "/spec/template/spec/nodeSelector"}]}}),
                r#"kubectl -n k patch daemonset f --type json -p '[{"op":"remove","path":"/spec/template/spec/nodeSelector"}]'"#,
            ),
            (
                json!({"delete": {"kind": "NetworkPolicy", "name": "deny", "namespace": "shop"}}),
                "kubectl -n shop delete networkpolicy deny",
            ),
            (
                json!({"scale": {"target": {"kind": "Deployment", "name": "coredns", "namespace": "kube-system"}, "replicas": 2}}),
                "kubectl -n kube-system scale deployment coredns --replicas=2",
            ),
            (
                json!({"restartPods": {"namespace": "kube-system", "selector": {"matchLabels": {"k8s-app": "kube-dns"}}}}),
                "kubectl -n kube-system delete pods -l k8s-app=kube-dns",
            ),
            (
                json!({"restartPods": {"namespace": "s", "selector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["a", "b"]}]}}}),
                "kubectl -n s delete pods -l 'app in (a,b)'",
            ),
            (
                json!({"wait": {"rollout": {"kind": "Deployment", "name": "coredns", "namespace": "kube-system"}, "timeout": "90s"}}),
                "kubectl -n kube-system rollout status deployment/coredns --timeout=1m30s",
            ),
            (
                json!({"wait": {"deleted": {"kind": "Pod", "name": "p", "namespace": "s"}}}),
                "kubectl -n s wait --for=delete pod/p --timeout=2m",
            ),
            (
                json!({"wait": {"podsReady": {"namespace": "s", "selector": {"matchLabels": {"app": "web"}}}, "timeout": "3m"}}),
                "kubectl -n s wait --for=condition=Ready pods -l app=web --timeout=3m",
            ),
            (
                json!({"wait": {"podsGone": {"namespace": "s", "selector": {"matchLabels": {"app": "web"}}}}}),
                "kubectl -n s wait --for=delete pods -l app=web --timeout=2m",
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(shell(&step(value), &no_files(), "c").expect("step"), expected);
        }
    }

    #[test]
    fn node_commands_run_in_each_picked_node_container() {
        let shown = shell(
            &step(json!({"nodeExec": {"nodes": "workers", "command": ["rm", "-f", "/etc/cni/net.d/10 flannel.conflist"]}})),
            &no_files(),
            "kubedrill-flannel",
        )
        .expect("node exec");
        assert!(
            shown.contains(
                "--filter label=io.x-k8s.kind.cluster=kubedrill-flannel --filter label=io.x-k8s.kind.role=worker"
            ),
            "{shown}"
        );
        assert_eq!(
            as_sh_runs_it(&shown),
            "docker\n[exec]\n[node-a]\n[rm]\n[-f]\n[/etc/cni/net.d/10 flannel.conflist]\n\
             docker\n[exec]\n[node-b]\n[rm]\n[-f]\n[/etc/cni/net.d/10 flannel.conflist]\n"
        );
    }

    #[test]
    fn a_hand_written_slice_gets_the_pods_ips_from_kubectl() {
        let text = "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: db-1, namespace: s, annotations: {note: \"$HOME `x` \\\\\"}}\naddressType: IPv4\nports: [{name: db, port: 5432}]";
        let files = BTreeMap::from([(
            "slice.yaml".to_owned(),
            RenderedFile {
                text: text.to_owned(),
                objects: Vec::new(),
            },
        )]);
        let shown = shell(
            &step(json!({"applySlice": {"file": "slice.yaml", "pods": {"namespace": "s", "selector": {"matchLabels": {"app": "db"}}}}})),
            &files,
            "c",
        )
        .expect("rendered");
        let ran = as_sh_runs_it(&shown);
        let (wait, apply) = ran
            .split_once("kubectl\n[apply]\n[-f]\n[-]\n")
            .expect("apply after wait");
        assert_eq!(
            wait,
            "kubectl\n[-n]\n[s]\n[wait]\n[--for=condition=Ready]\n[pods]\n[-l]\n[app=db]\n[--timeout=2m]\n"
        );
        let (manifest, ips) = apply.split_once("endpoints:\n").expect("endpoints appended");
        assert_eq!(manifest, format!("{text}\n"), "the manifest reaches kubectl as written");
        assert!(
            ips.starts_with("kubectl\n[-n]\n[s]\n[get]\n[pods]\n[-l]\n[app=db]\n[-o]\n[go-template={{range .items}}- addresses: [\"{{.status.podIP}}\"]"),
            "{ips}"
        );
    }

    #[test]
    fn here_documents_end_with_their_delimiter_on_a_line_of_its_own() {
        assert_eq!(with_stdin("cat", "a"), "cat <<'EOF'\na\nEOF");
        assert_eq!(with_stdin("cat", "EOF\nEOF1\n"), "cat <<'EOF2'\nEOF\nEOF1\nEOF2");
    }
}
