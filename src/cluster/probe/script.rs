//! Probes as data: which pod a probe runs in, the one shell script that runs every probe from
//! that pod (each with its retry loop), and how the script's output becomes a [`ProbeResult`].
//! Tools used inside the pod: agnhost's `connect` (classifies TIMEOUT/REFUSED/DNS), `curl` and
//! `nslookup`, all in the pinned agnhost image.
//!
//! Every marker line the script prints starts with the grade's [`Nonce`], and the output must
//! be framed by `<nonce> BEGIN` and `<nonce> END`: output that is not (a fake shell, a canned
//! answer, an exec endpoint that never ran the script) is tampering, and lines a tool prints
//! that merely look like markers are text. A tool inside the pod could still read the nonce
//! from its parent's command line: the nonce proves the script ran, the probe pod check
//! (`integrity`) proves what it ran in.
//!
//! Pure: builds text and parses text; never execs and never draws the nonce.

use std::collections::BTreeMap;
use std::fmt::Write;

use graders::address::{matching_pods, pick_node, resolve};
use graders::state::{ClusterState, Outcome, ProbeResult};
use graders::target::{Expectation, Protocol, Source};
use graders::{Check, CheckSpec, dns};

/// Default time an `allowed` probe keeps retrying.
pub const DEFAULT_TIMEOUT_S: u64 = 20;
/// Default pause between attempts.
pub const DEFAULT_INTERVAL_S: u64 = 2;
/// Each single connection attempt gives up after this long.
pub const ATTEMPT_TIMEOUT_S: u64 = 3;
/// Most attempts one probe makes.
pub const MAX_ATTEMPTS: u64 = 30;
/// Namespace of node-level (hostNetwork) probe pods.
pub const NODE_PROBE_NAMESPACE: &str = "default";

/// Where a probe runs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Via {
    /// Exec into an existing pod.
    Exec {
        /// Namespace.
        namespace: String,
        /// Pod name.
        pod: String,
    },
    /// A probe pod kubedrill creates, with exactly these labels, and removes afterwards.
    ProbePod {
        /// Namespace.
        namespace: String,
        /// Its labels (policies select by them).
        labels: BTreeMap<String, String>,
        /// Run with hostNetwork on this node (NodePort probes).
        node: Option<String>,
    },
}

impl Via {
    /// `kubectl exec` prefix a learner could type.
    #[must_use]
    pub fn kubectl(&self) -> String {
        match self {
            Self::Exec { namespace, pod } => format!("kubectl -n {namespace} exec {pod} --"),
            Self::ProbePod { namespace, labels, .. } => {
                let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!(
                    "kubectl -n {namespace} run probe --rm -it --restart=Never --image=agnhost --labels={} --",
                    labels.join(",")
                )
            }
        }
    }
}

/// What a probe does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Open a connection.
    Connect {
        /// Host or IP.
        host: String,
        /// Port.
        port: u16,
        /// Protocol.
        protocol: Protocol,
    },
    /// An HTTP GET.
    Http {
        /// The URL.
        url: String,
        /// A `Host:` header.
        host_header: Option<String>,
    },
    /// A DNS lookup.
    Dns {
        /// The name.
        name: String,
    },
}

impl Action {
    /// The command, as argv words (unquoted), as a learner would run it.
    #[must_use]
    pub fn argv(&self) -> Vec<String> {
        self.argv_with_body(BODY_FILE)
    }

    /// The command, an HTTP body going to `body` (each probe of a script has its own file).
    fn argv_with_body(&self, body: &str) -> Vec<String> {
        let timeout = ATTEMPT_TIMEOUT_S.to_string();
        match self {
            Self::Connect { host, port, protocol } => {
                let protocol = match protocol {
                    Protocol::Tcp => "tcp",
                    Protocol::Udp => "udp",
                    Protocol::Sctp => "sctp",
                };
                vec![
                    "/agnhost".into(),
                    "connect".into(),
                    format!("--timeout={timeout}s"),
                    format!("--protocol={protocol}"),
                    join_host_port(host, *port),
                ]
            }
            Self::Http { url, host_header } => {
                let mut argv: Vec<String> = ["curl", "-sS", "-m", &timeout, "-o", body]
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect();
                argv.extend(["-w".to_owned(), format!("{STATUS_LINE}%{{http_code}}\\n")]);
                if let Some(host) = host_header {
                    argv.extend(["-H".to_owned(), format!("Host: {host}")]);
                }
                argv.push(url.clone());
                argv
            }
            Self::Dns { name } => vec!["nslookup".into(), "-timeout=2".into(), name.clone()],
        }
    }
}

/// How the HTTP probe's `curl -w` line starts, before the status code. Never `@`: curl reads
/// a `-w` argument starting with `@` as the name of a file holding the format, and prints
/// nothing when there is none (every HTTP check then saw "no status").
const STATUS_LINE: &str = "kubedrill-status ";

/// Where the HTTP probe's body goes in the command a learner is shown.
const BODY_FILE: &str = "/tmp/kubedrill-body";

/// Stands for the body file in [`script`], which gives each probe its own in a fresh folder.
const BODY_PLACEHOLDER: &str = "\u{0}body";

fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// One probe, planned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The check it answers.
    pub check_id: String,
    /// Where it runs.
    pub via: Via,
    /// What it does.
    pub action: Action,
    /// Most attempts (it stops at the first success).
    pub attempts: u64,
    /// Seconds between attempts.
    pub interval_s: u64,
    /// The check's own budget in seconds: no attempt starts after it has passed (an attempt
    /// can itself take [`ATTEMPT_TIMEOUT_S`], so counting attempts alone overran it by 2.5x).
    pub deadline_s: u64,
    /// A "stays blocked" probe: at least 2 attempts, and attempts go on until the pod's clock
    /// shows more than `deadline_s` seconds since the first, so the hold it reports (whole
    /// seconds) covers the deadline; stopping when the next attempt would start late, as other
    /// probes do, measured holds of 9 s against a 10 s `stableFor` and failed correct fixes.
    pub holds: bool,
}

impl Plan {
    /// The equivalent command a learner could run.
    #[must_use]
    pub fn command(&self) -> String {
        let words: Vec<String> = self.action.argv().iter().map(|w| quote(w)).collect();
        format!("{} {}", self.via.kubectl(), words.join(" "))
    }
}

/// Why a probe could not be planned, and whose problem that is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unplanned {
    /// The destination is gone or wrong (a Service deleted, a port renamed): the learner's.
    Destination(String),
    /// No pod to run from, no node: the environment's.
    Source(String),
}

/// Plan the probe of `check` (whose spec has its bindings resolved) against `state`.
pub fn plan(check: &Check, spec: &CheckSpec, state: &ClusterState) -> Result<Plan, Unplanned> {
    let interval_s = check.interval.map_or(DEFAULT_INTERVAL_S, |d| d.as_secs().max(1));
    let timeout_s = check.timeout.map_or(DEFAULT_TIMEOUT_S, graders::Duration::as_secs);
    // (most attempts, deadline in seconds, whether it holds)
    let retrying = ((timeout_s / interval_s).clamp(1, MAX_ATTEMPTS), timeout_s, false);
    let holding = |stable_ms: u64| {
        let stable_s = stable_ms.div_ceil(1000);
        (MAX_ATTEMPTS.max(stable_s / interval_s + 3), stable_s, true)
    };
    let (from, action, (attempts, deadline_s, holds)) = match spec {
        CheckSpec::Connectivity(p) => {
            let (host, port) = destination(state, &p.to)?;
            let attempts = match p.expect {
                Expectation::Allowed => retrying,
                Expectation::Blocked => holding(p.stable_for.map_or(graders::eval::DEFAULT_STABLE_FOR_MS, |d| {
                    u64::try_from(d.as_std().as_millis()).unwrap_or(u64::MAX)
                })),
            };
            let action = Action::Connect {
                host,
                port,
                protocol: p.to.protocol,
            };
            (&p.from, action, attempts)
        }
        CheckSpec::Http(p) => {
            let (host, port) = destination(state, &p.to)?;
            let url = format!("http://{}{}", join_host_port(&host, port), p.path);
            let action = Action::Http {
                url,
                host_header: p.host_header.clone(),
            };
            (&p.from, action, retrying)
        }
        CheckSpec::Dns(p) => {
            let attempts = match p.expect {
                dns::DnsExpectation::Resolves => retrying,
                dns::DnsExpectation::Fails => holding(graders::eval::DEFAULT_STABLE_FOR_MS),
            };
            (&p.from, Action::Dns { name: p.name.clone() }, attempts)
        }
        _ => return Err(Unplanned::Source(format!("`{}` is not a probe check", check.id))),
    };
    Ok(Plan {
        check_id: check.id.clone(),
        via: via(from, state).map_err(Unplanned::Source)?,
        action,
        attempts,
        interval_s,
        deadline_s,
        holds,
    })
}

/// Where a probe goes. A Service or pod that is missing is the learner's doing; a node that
/// is missing (a `node: worker` on a cluster without workers) or has no address is the
/// environment's, and the check is not judged rather than failed.
fn destination(state: &ClusterState, to: &graders::target::Destination) -> Result<(String, u16), Unplanned> {
    resolve(state, to).map_err(|why| {
        if to.node.is_some() {
            Unplanned::Source(format!("{why} to probe"))
        } else {
            Unplanned::Destination(why)
        }
    })
}

fn via(from: &Source, state: &ClusterState) -> Result<Via, String> {
    if let Some(choice) = from.node {
        let node = pick_node(state, choice).ok_or_else(|| format!("no {choice:?} node to probe from"))?;
        return Ok(Via::ProbePod {
            namespace: NODE_PROBE_NAMESPACE.to_owned(),
            labels: BTreeMap::new(),
            node: node.metadata.name.clone(),
        });
    }
    let namespace = from.namespace.clone().unwrap_or_else(|| "default".to_owned());
    if let Some(labels) = &from.probe_labels {
        return Ok(Via::ProbePod {
            namespace,
            labels: labels.clone(),
            node: None,
        });
    }
    let selector = from.selector.clone().unwrap_or_default();
    let pods = matching_pods(state, &namespace, &selector);
    let pod = pods
        .first()
        .filter(|p| graders::state::pod_is_ready(p))
        .and_then(|p| p.metadata.name.clone())
        .ok_or_else(|| {
            format!(
                "no Ready pod in {namespace} matches `{}` to probe from",
                selector.to_query()
            )
        })?;
    Ok(Via::Exec { namespace, pod })
}

/// Single-quote a word for `sh`.
#[must_use]
pub fn quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%[]".contains(c))
    {
        return word.to_owned();
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// A per-grade secret that frames every probe script's output: 128 bits, drawn once per grade
/// from the OS random number generator by the caller, printed as 32 hex digits.
#[derive(Clone, PartialEq, Eq)]
pub struct Nonce(String);

impl Nonce {
    /// The nonce for these random bytes.
    #[must_use]
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes.iter().fold(String::with_capacity(32), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        }))
    }

    /// The marker line `<nonce> <word>` (what the script echoes, what [`parse`] looks for).
    fn marker(&self, word: &str) -> String {
        format!("{} {word}", self.0)
    }
}

impl std::fmt::Debug for Nonce {
    /// Never printed whole: logs and panics show its first 4 digits only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Nonce({}…)", self.0.get(..4).unwrap_or_default())
    }
}

/// One `sh` script running `plans` (all from the same pod) side by side, each retried until
/// it succeeds or runs out of attempts, its marker lines prefixed with `nonce` and the whole
/// framed by `<nonce> BEGIN` / `<nonce> END` for [`parse`]. Each probe writes to its own file
/// and the files are printed in `plans`' order once all have finished, so a grade waits for
/// its slowest probe, not for the sum of them (a failing check retries until its deadline).
#[must_use]
pub fn script(plans: &[&Plan], nonce: &Nonce) -> String {
    let n = &nonce.0;
    let mut out = format!(
        "exec 2>&1\necho '{}'\nd=$(mktemp -d /tmp/kubedrill.XXXXXX) || exit 1\n",
        nonce.marker("BEGIN")
    );
    for (index, plan) in plans.iter().enumerate() {
        let body_file = format!("\"$d/body-{index}\"");
        let words: Vec<String> = plan
            .action
            .argv_with_body(BODY_PLACEHOLDER)
            .iter()
            .map(|w| {
                if w == BODY_PLACEHOLDER {
                    body_file.clone()
                } else {
                    quote(w)
                }
            })
            .collect();
        let body = if matches!(plan.action, Action::Http { .. }) {
            format!("{}; rc=$?; head -c 300 {body_file} 2>/dev/null; echo", words.join(" "))
        } else {
            format!("{}; rc=$?", words.join(" "))
        };
        let _ = write!(
            out,
            "(\necho '{n} probe {id}'; start=$(date +%s); echo \"{n} t $start\"; i=1\nwhile :; do\n  echo \"{n} attempt $i\"\n  {body}\n  echo \"{n} rc $rc\"\n  [ \"$rc\" -eq 0 ] && break\n  [ \"$i\" -ge {attempts} ] && break\n  {stop} && break\n  i=$((i+1)); sleep {interval}\ndone\necho \"{n} t $(date +%s)\"\n) > \"$d/out-{index}\" 2>&1 &\n",
            id = plan.check_id,
            attempts = plan.attempts,
            interval = plan.interval_s,
            stop = stop_condition(plan),
        );
    }
    let outputs: Vec<String> = (0..plans.len()).map(|i| format!("\"$d/out-{i}\"")).collect();
    let _ = write!(out, "wait\ncat {} 2>/dev/null\nrm -rf \"$d\"\n", outputs.join(" "));
    let _ = writeln!(out, "echo '{}'", nonce.marker("END"));
    out
}

/// The shell test after a failed attempt that ends the probe: a hold ends once it has lasted
/// past the deadline, any other probe once the next attempt would start after it.
fn stop_condition(plan: &Plan) -> String {
    let (interval, deadline) = (plan.interval_s, plan.deadline_s);
    if plan.holds {
        format!("[ \"$i\" -ge 2 ] && [ $(( $(date +%s) - start )) -gt {deadline} ]")
    } else {
        format!("[ $(( $(date +%s) + {interval} - start )) -gt {deadline} ]")
    }
}

/// One probe's output, split by the markers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Each attempt's exit code and output.
    pub attempts: Vec<(i32, String)>,
    /// Seconds since the epoch at start and end (the pod's clock).
    pub times: Vec<u64>,
}

/// Output that is not framed by this grade's nonce: not kubedrill's script talking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unframed {
    /// No `<nonce> BEGIN` line.
    #[error(
        "the probe's output does not start with this grade's nonce (no `BEGIN` line carrying it): something other than kubedrill's probe script answered; its output is not trusted"
    )]
    NoBegin,
    /// `<nonce> BEGIN` but no `<nonce> END` after it.
    #[error(
        "the probe's output carries this grade's nonce at the start but not at the end (no `END` line after `BEGIN`): it was cut or rewritten; its output is not trusted"
    )]
    NoEnd,
}

/// Split a script's output into each probe's attempts. Only the lines between `<nonce> BEGIN`
/// and `<nonce> END` count, only lines starting with the nonce are markers, and output without
/// both frame lines is [`Unframed`].
pub fn parse(output: &str, nonce: &Nonce) -> Result<BTreeMap<String, Parsed>, Unframed> {
    let (begin, end) = (nonce.marker("BEGIN"), nonce.marker("END"));
    let mut lines = output.lines().skip_while(|line| *line != begin);
    if lines.next().is_none() {
        return Err(Unframed::NoBegin);
    }
    let prefix = nonce.marker("");
    let mut probes: BTreeMap<String, Parsed> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut text = String::new();
    for line in lines {
        if line == end {
            return Ok(probes);
        }
        let Some(marker) = line.strip_prefix(&prefix) else {
            text.push_str(line);
            text.push('\n');
            continue;
        };
        if let Some(id) = marker.strip_prefix("probe ") {
            current = Some(id.trim().to_owned());
            probes.entry(id.trim().to_owned()).or_default();
            continue;
        }
        let Some(probe) = current.as_ref().and_then(|id| probes.get_mut(id)) else {
            continue;
        };
        if let Some(t) = marker.strip_prefix("t ") {
            probe.times.extend(t.trim().parse::<u64>().ok());
        } else if marker.starts_with("attempt ") {
            text.clear();
        } else if let Some(rc) = marker.strip_prefix("rc ") {
            probe
                .attempts
                .push((rc.trim().parse().unwrap_or(-1), text.trim_end().to_owned()));
            text.clear();
        }
    }
    Err(Unframed::NoEnd)
}

/// The result of one planned probe from its parsed output.
#[must_use]
pub fn result(plan: &Plan, parsed: &Parsed) -> ProbeResult {
    let Some((rc, text)) = parsed.attempts.last() else {
        return failed(
            plan,
            "the probe printed nothing: the pod may lack agnhost, curl or nslookup".to_owned(),
        );
    };
    let (outcome, addresses, http_status, body) = classify(&plan.action, *rc, text);
    let held_s = match parsed.times.as_slice() {
        [start, .., end] => end.saturating_sub(*start),
        _ => 0,
    };
    let output: Vec<String> = parsed
        .attempts
        .iter()
        .enumerate()
        .map(|(i, (rc, text))| format!("attempt {} (exit {rc}): {}", i + 1, text.trim()))
        .collect();
    ProbeResult {
        outcome,
        addresses,
        http_status,
        body,
        attempts: u32::try_from(parsed.attempts.len()).unwrap_or(u32::MAX),
        held_ms: held_s * 1000,
        command: plan.command(),
        output: truncate(&output.join("\n"), 2000),
        error: None,
        tampered: None,
    }
}

/// A probe whose pod or output was not what kubedrill sent: `what` says what changed. Nothing
/// the pod printed is kept.
#[must_use]
pub fn tampered(plan: &Plan, what: String) -> ProbeResult {
    ProbeResult {
        tampered: Some(what),
        ..failed(plan, "the probe pod or its output was tampered with".to_owned())
    }
}

/// A probe that could not run (the environment's problem, never the learner's).
#[must_use]
pub fn failed(plan: &Plan, error: String) -> ProbeResult {
    ProbeResult {
        outcome: Outcome::Other,
        addresses: Vec::new(),
        http_status: None,
        body: None,
        attempts: 0,
        held_ms: 0,
        command: plan.command(),
        output: String::new(),
        error: Some(error),
        tampered: None,
    }
}

type Classified = (Outcome, Vec<String>, Option<u16>, Option<String>);

fn classify(action: &Action, rc: i32, text: &str) -> Classified {
    match action {
        Action::Connect { .. } => (connect_outcome(rc, text), Vec::new(), None, None),
        Action::Http { .. } => http_outcome(rc, text),
        Action::Dns { .. } => {
            let addresses = nslookup_addresses(text);
            let outcome = if rc == 0 && !addresses.is_empty() {
                Outcome::Connected
            } else if text.contains("timed out") || text.contains("no servers could be reached") {
                Outcome::Timeout
            } else if text.contains("NXDOMAIN") || text.contains("can't find") || rc != 0 {
                Outcome::DnsFailure
            } else {
                Outcome::Other
            };
            (outcome, addresses, None, None)
        }
    }
}

fn connect_outcome(rc: i32, text: &str) -> Outcome {
    if rc == 0 {
        Outcome::Connected
    } else if text.contains("TIMEOUT") {
        Outcome::Timeout
    } else if text.contains("REFUSED") {
        Outcome::Refused
    } else if text.contains("DNS") {
        Outcome::DnsFailure
    } else {
        Outcome::Other
    }
}

fn http_outcome(rc: i32, text: &str) -> Classified {
    let mut status = None;
    let mut body = String::new();
    for line in text.lines() {
        match line.strip_prefix(STATUS_LINE) {
            Some(code) => status = code.trim().parse::<u16>().ok().filter(|c| *c != 0),
            None if status.is_some() => {
                body.push_str(line);
                body.push('\n');
            }
            None => {}
        }
    }
    let outcome = match rc {
        0 => Outcome::Connected,
        6 => Outcome::DnsFailure,
        7 => Outcome::Refused,
        28 => Outcome::Timeout,
        _ => Outcome::Other,
    };
    let body = (rc == 0).then(|| truncate(body.trim_end(), 300));
    (outcome, Vec::new(), status, body)
}

/// The answer addresses in `nslookup` output (bind's and busybox's formats), skipping the
/// server's own address printed before the first `Name:` line.
#[must_use]
pub fn nslookup_addresses(text: &str) -> Vec<String> {
    let mut answers = false;
    let mut addresses = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with("Name:") {
            answers = true;
        } else if answers && line.starts_with("Address") {
            let value = line.split_once(':').map_or("", |(_, v)| v).trim();
            if let Some(address) = value.split_whitespace().next() {
                addresses.push(address.to_owned());
            }
        }
    }
    addresses
}

fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use graders::Check;
    use graders::state::{ClusterState, Outcome};
    use serde_json::{Value, json};

    use std::collections::BTreeMap;

    use super::{
        Action, Nonce, Parsed, Plan, Unframed, Unplanned, Via, nslookup_addresses, parse, plan, quote, result, script,
    };

    const NONCE_HEX: &str = "07070707070707070707070707070707";

    fn nonce() -> Nonce {
        Nonce::from_bytes([7; 16])
    }

    /// Output written with short `@@` markers for readability, as the script prints it for
    /// [`nonce`]: markers prefixed with the nonce, the whole framed by BEGIN and END.
    fn framed(text: &str) -> BTreeMap<String, Parsed> {
        let body: String = text
            .lines()
            .map(|line| {
                ["probe ", "t ", "attempt ", "rc "]
                    .iter()
                    .find_map(|m| {
                        line.strip_prefix(&format!("@@{m}"))
                            .map(|rest| format!("{NONCE_HEX} {m}{rest}\n"))
                    })
                    .unwrap_or_else(|| format!("{line}\n"))
            })
            .collect();
        parse(&format!("{NONCE_HEX} BEGIN\n{body}{NONCE_HEX} END\n"), &nonce()).expect("framed")
    }

    fn state() -> ClusterState {
        ClusterState::from_objects([
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
                   "spec": {"clusterIP": "10.96.0.20", "ports": [{"port": 80, "targetPort": 8080}]}}),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client-1", "namespace": "shop", "labels": {"app": "client"}},
                   "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}),
        ])
        .expect("state")
    }

    fn check(with: &Value, grader: &str) -> Check {
        serde_json::from_value(json!({"id": "c", "points": 1, "description": "d", "grader": grader, "with": with}))
            .expect("check")
    }

    #[allow(clippy::needless_pass_by_value)] // called with json! literals
    fn planned(with: Value, grader: &str) -> Result<Plan, Unplanned> {
        let check = check(&with, grader);
        plan(&check, &check.spec, &state())
    }

    #[test]
    fn plans_pick_the_pod_and_the_real_address() {
        let from = json!({"namespace": "shop", "selector": {"matchLabels": {"app": "client"}}});
        let p = planned(
            json!({"from": from, "to": {"service": "web", "namespace": "shop", "port": 80}, "expect": "allowed"}),
            "connectivity",
        )
        .expect("plans");
        assert_eq!(
            p.via,
            Via::Exec {
                namespace: "shop".into(),
                pod: "client-1".into()
            }
        );
        assert_eq!(
            p.command(),
            "kubectl -n shop exec client-1 -- /agnhost connect --timeout=3s --protocol=tcp 10.96.0.20:80"
        );
        assert_eq!(p.attempts, 10);
        let blocked = planned(
            json!({"from": {"namespace": "shop", "probeLabels": {"app": "x"}}, "to": {"service": "web", "namespace": "shop", "port": 80}, "expect": "blocked", "stableFor": "10s"}),
            "connectivity",
        )
        .expect("plans");
        assert!(matches!(blocked.via, Via::ProbePod { .. }));
        assert!(blocked.holds && blocked.deadline_s == 10, "held for 10 s: {blocked:?}");
        let gone = planned(
            json!({"from": from, "to": {"service": "api", "namespace": "shop", "port": 80}, "expect": "allowed"}),
            "connectivity",
        );
        assert!(matches!(gone, Err(Unplanned::Destination(_))));
        let no_source = planned(
            json!({"from": {"namespace": "shop", "selector": {"matchLabels": {"app": "nobody"}}}, "to": {"service": "web", "namespace": "shop", "port": 80}, "expect": "allowed"}),
            "connectivity",
        );
        assert!(matches!(no_source, Err(Unplanned::Source(_))));
        // The state has no node at all: no worker to send to is the environment's problem.
        let no_worker = planned(
            json!({"from": from, "to": {"node": "worker", "port": 30080}, "expect": "allowed"}),
            "connectivity",
        );
        assert_eq!(no_worker, Err(Unplanned::Source("no Worker node to probe".into())));
        let http = planned(json!({"from": from, "to": {"service": "web", "namespace": "shop", "port": 80}, "path": "/healthz", "status": 200}), "http")
            .expect("plans");
        assert_eq!(
            http.action,
            Action::Http {
                url: "http://10.96.0.20:80/healthz".into(),
                host_header: None
            }
        );
    }

    #[test]
    fn quoting_survives_the_shell() {
        assert_eq!(quote("10.0.0.1:80"), "10.0.0.1:80");
        assert_eq!(quote("Host: a b"), "'Host: a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
    }

    /// The generated script, run by a real `sh` with a fake agnhost that times out twice per
    /// destination and then connects: the retry loop, the markers and the parser agree, and
    /// each probe keeps its own attempts while both run side by side.
    #[test]
    fn the_script_retries_until_success_in_a_real_shell() {
        let plan = Plan {
            attempts: 5,
            deadline_s: 60,
            ..connect_plan("svc")
        };
        let refused = Plan {
            check_id: "refused".into(),
            action: Action::Connect {
                host: "10.96.0.21".into(),
                port: 81,
                protocol: graders::target::Protocol::Tcp,
            },
            attempts: 2,
            ..plan.clone()
        };
        // One counter per destination (the last argument), beside the fake.
        let fake = "for a; do last=$a; done\nc=$(dirname \"$0\")/count-$(echo \"$last\" | tr -c 'a-z0-9' _)\nn=$(cat $c 2>/dev/null || echo 0); n=$((n+1)); echo $n > $c\n[ $n -ge 3 ] && exit 0\necho TIMEOUT >&2; exit 1\n";
        let (stdout, _) = run_with_fake_agnhost(fake, &[&plan, &refused], str::to_owned);
        let parsed = parse(&stdout, &nonce()).expect("framed");
        let svc = result(&plan, &parsed["svc"]);
        assert_eq!((svc.outcome, svc.attempts), (Outcome::Connected, 3), "{stdout}");
        assert!(svc.output.contains("attempt 1 (exit 1): TIMEOUT"), "{}", svc.output);
        // Its own counter: two failures, and its 2 attempts are spent.
        let refused = result(&refused, &parsed["refused"]);
        assert_eq!((refused.outcome, refused.attempts), (Outcome::Timeout, 2), "{stdout}");
    }

    /// The HTTP probe's script, run by a real `sh` and the real `curl` (as in agnhost's image)
    /// against a local server answering 418: the status line and the body reach the parser.
    /// With a `-w` format starting with `@`, curl printed no status at all.
    #[test]
    fn the_http_script_reads_the_status_from_the_real_curl() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
        let port = listener.local_addr().expect("address").port();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().expect("curl connects");
            let mut request = [0_u8; 1024];
            let _ = stream.read(&mut request).expect("request");
            stream
                .write_all(b"HTTP/1.1 418 I'm a teapot\r\nContent-Length: 7\r\nConnection: close\r\n\r\nteapot\n")
                .expect("answer");
        });
        let plan = Plan {
            action: Action::Http {
                url: format!("http://127.0.0.1:{port}/brew"),
                host_header: Some("tea.example".into()),
            },
            ..connect_plan("tea")
        };
        let output = std::process::Command::new("sh")
            .args(["-c", &script(&[&plan], &nonce())])
            .output()
            .expect("sh runs (this test needs curl on PATH, as agnhost's image has it)");
        server.join().expect("server");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let got = result(&plan, &parse(&stdout, &nonce()).expect("framed")["tea"]);
        assert_eq!(
            (got.outcome, got.http_status),
            (Outcome::Connected, Some(418)),
            "{stdout}"
        );
        assert_eq!(got.body.as_deref().map(str::trim), Some("teapot"), "{stdout}");
    }

    /// A probe whose every attempt takes as long as agnhost's own timeout stops at the check's
    /// deadline, not after `attempts` x (attempt + interval): a fake agnhost that hangs 1 s and
    /// fails, a 3 s deadline, a 1 s interval and room for 30 attempts; two such probes of one
    /// pod finish together.
    #[test]
    fn the_script_stops_at_the_deadline_whatever_the_attempts_allow() {
        let plan = Plan {
            attempts: 30,
            interval_s: 1,
            deadline_s: 3,
            ..connect_plan("slow")
        };
        let also_slow = Plan {
            check_id: "also-slow".into(),
            ..plan.clone()
        };
        let (stdout, elapsed) = run_with_fake_agnhost(
            "sleep 1\necho TIMEOUT >&2; exit 1\n",
            &[&plan, &also_slow],
            str::to_owned,
        );
        let parsed = parse(&stdout, &nonce()).expect("framed");
        let got = result(&plan, &parsed["slow"]);
        assert_eq!(got.outcome, Outcome::Timeout);
        assert!((1..=3).contains(&got.attempts), "{} attempts", got.attempts);
        assert_eq!(result(&also_slow, &parsed["also-slow"]).outcome, Outcome::Timeout);
        // Both probes ran side by side: in turn, two 3 s deadlines would take 6 s or more.
        assert!(
            elapsed < std::time::Duration::from_secs(6),
            "{elapsed:?}: the deadline was overrun, or the probes ran in turn"
        );
    }

    /// A "stays blocked" probe whose attempts fail at once reports a hold of at least its
    /// deadline (the grader compares the two), however the whole seconds of the pod's clock
    /// fall, and does not run much past it.
    #[test]
    fn a_hold_lasts_past_its_deadline() {
        let plan = Plan {
            attempts: 5,
            interval_s: 3,
            deadline_s: 5,
            holds: true,
            ..connect_plan("held")
        };
        let (stdout, elapsed) = run_with_fake_agnhost("echo TIMEOUT >&2; exit 1\n", &[&plan], str::to_owned);
        let got = result(&plan, &parse(&stdout, &nonce()).expect("framed")["held"]);
        assert_eq!(got.outcome, Outcome::Timeout);
        assert!(got.held_ms >= 5000, "held {} ms of 5000", got.held_ms);
        assert!(
            elapsed >= std::time::Duration::from_secs(5) && elapsed < std::time::Duration::from_secs(9),
            "{elapsed:?}"
        );
    }

    /// Only output framed by this grade's nonce is parsed: a canned answer in the old `@@`
    /// format, another grade's (or a guessed) nonce, or output cut before END is [`Unframed`].
    #[test]
    fn output_without_this_grades_nonce_is_unframed() {
        let canned = "@@probe c\n@@t 1\n@@attempt 1\n@@rc 0\n@@t 2\n";
        assert_eq!(parse(canned, &nonce()), Err(Unframed::NoBegin));
        let other = Nonce::from_bytes([8; 16]);
        let plan = connect_plan("c");
        let theirs = script(&[&plan], &other);
        assert!(theirs.contains("08080808080808080808080808080808 BEGIN"));
        let replayed = "08080808080808080808080808080808 BEGIN\n08080808080808080808080808080808 probe c\n08080808080808080808080808080808 rc 0\n08080808080808080808080808080808 END\n";
        assert_eq!(parse(replayed, &nonce()), Err(Unframed::NoBegin));
        let cut = format!("{NONCE_HEX} BEGIN\n{NONCE_HEX} probe c\n{NONCE_HEX} attempt 1\n");
        assert_eq!(parse(&cut, &nonce()), Err(Unframed::NoEnd));
        assert_eq!(parse("", &nonce()), Err(Unframed::NoBegin));
        // Framed but with nothing inside: no probe printed anything, an environment problem.
        let empty = parse(&format!("{NONCE_HEX} BEGIN\n{NONCE_HEX} END\n"), &nonce()).expect("framed");
        assert!(empty.is_empty());
        assert_eq!(format!("{:?}", nonce()), "Nonce(0707…)", "never logged whole");
        assert!(Unframed::NoBegin.to_string().contains("not trusted"));
    }

    /// The real script in a real shell with a fake agnhost that prints lines looking like
    /// markers (the old `@@rc 0`, another nonce's `rc 0`) and exits 1: they stay text, the
    /// attempt's exit code is the real one, and lines outside the frame are ignored.
    #[test]
    fn marker_lookalikes_printed_by_a_tool_are_text() {
        let plan = connect_plan("c");
        let (stdout, _) = run_with_fake_agnhost(
            "echo '@@rc 0'\necho '08080808080808080808080808080808 rc 0'\necho REFUSED; exit 1\n",
            &[&plan],
            |text| format!("echo '{NONCE_HEX} probe x'; {text}; echo '{NONCE_HEX} probe y'"),
        );
        let parsed = parse(&stdout, &nonce()).expect("framed");
        assert_eq!(parsed.keys().collect::<Vec<_>>(), ["c"], "{stdout}");
        let got = result(&plan, &parsed["c"]);
        assert_eq!((got.outcome, got.attempts), (Outcome::Refused, 1), "{stdout}");
        assert!(got.output.contains("@@rc 0"), "{}", got.output);
    }

    /// Run the script of `plans` (as `around` wraps it) in a real `sh`, with a fake agnhost
    /// running the shell lines `fake`; its stdout and how long it ran.
    fn run_with_fake_agnhost(
        fake: &str,
        plans: &[&Plan],
        around: impl Fn(&str) -> String,
    ) -> (String, std::time::Duration) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("agnhost");
        std::fs::write(&path, format!("#!/bin/sh\n{fake}")).expect("fake");
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
        let text = script(plans, &nonce()).replace("/agnhost", &path.display().to_string());
        let started = std::time::Instant::now();
        let output = std::process::Command::new("sh")
            .args(["-c", &around(&text)])
            .output()
            .expect("sh runs");
        (String::from_utf8_lossy(&output.stdout).into_owned(), started.elapsed())
    }

    fn connect_plan(id: &str) -> Plan {
        Plan {
            check_id: id.into(),
            via: Via::Exec {
                namespace: "n".into(),
                pod: "p".into(),
            },
            action: Action::Connect {
                host: "10.96.0.20".into(),
                port: 80,
                protocol: graders::target::Protocol::Tcp,
            },
            attempts: 1,
            interval_s: 0,
            deadline_s: 5,
            holds: false,
        }
    }

    #[test]
    fn outputs_are_classified_like_agnhost_curl_and_nslookup_say() {
        let connect = |rc: i32, text: &str| {
            let plan = Plan {
                check_id: "c".into(),
                via: Via::Exec {
                    namespace: "n".into(),
                    pod: "p".into(),
                },
                action: Action::Connect {
                    host: "h".into(),
                    port: 1,
                    protocol: graders::target::Protocol::Tcp,
                },
                attempts: 1,
                interval_s: 1,
                deadline_s: 1,
                holds: false,
            };
            let parsed = framed(&format!(
                "@@probe c\n@@t 100\n@@attempt 1\n{text}\n@@rc {rc}\n@@t 107\n"
            ));
            result(&plan, &parsed["c"])
        };
        assert_eq!(connect(1, "TIMEOUT").outcome, Outcome::Timeout);
        assert_eq!(connect(1, "TIMEOUT").held_ms, 7000);
        assert_eq!(connect(1, "REFUSED").outcome, Outcome::Refused);
        assert_eq!(connect(1, "DNS: lookup failed").outcome, Outcome::DnsFailure);
        assert_eq!(connect(0, "").outcome, Outcome::Connected);
        assert_eq!(connect(2, "sh: /agnhost: not found").outcome, Outcome::Other);

        let http = Plan {
            check_id: "c".into(),
            via: Via::Exec {
                namespace: "n".into(),
                pod: "p".into(),
            },
            action: Action::Http {
                url: "http://h/".into(),
                host_header: None,
            },
            attempts: 1,
            interval_s: 1,
            deadline_s: 1,
            holds: false,
        };
        let parsed = framed("@@probe c\n@@attempt 1\nkubedrill-status 503\nno healthy upstream\n@@rc 0\n");
        let got = result(&http, &parsed["c"]);
        assert_eq!(
            (got.outcome, got.http_status, got.body.as_deref()),
            (Outcome::Connected, Some(503), Some("no healthy upstream"))
        );
        let parsed = framed("@@probe c\n@@attempt 1\ncurl: (7) Failed to connect\nkubedrill-status 000\n@@rc 7\n");
        assert_eq!(result(&http, &parsed["c"]).outcome, Outcome::Refused);

        let bind = "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\nName:\tweb.shop.svc.cluster.local\nAddress: 10.96.0.20\n";
        assert_eq!(nslookup_addresses(bind), ["10.96.0.20"]);
        let busybox = "Server:    10.96.0.10\nAddress 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local\n\nName:      web\nAddress 1: 10.96.0.20 web.shop.svc.cluster.local\nAddress 2: fd00::20\n";
        assert_eq!(nslookup_addresses(busybox), ["10.96.0.20", "fd00::20"]);
        let dns = Plan {
            action: Action::Dns { name: "web".into() },
            ..http
        };
        let nx = framed("@@probe c\n@@attempt 1\n** server can't find web: NXDOMAIN\n@@rc 1\n");
        assert_eq!(result(&dns, &nx["c"]).outcome, Outcome::DnsFailure);
        let down = framed("@@probe c\n@@attempt 1\n;; connection timed out; no servers could be reached\n@@rc 1\n");
        assert_eq!(result(&dns, &down["c"]).outcome, Outcome::Timeout);
        let ok = framed(&format!("@@probe c\n@@attempt 1\n{bind}@@rc 0\n"));
        assert_eq!(result(&dns, &ok["c"]).addresses, ["10.96.0.20"]);
        assert!(result(&dns, &super::Parsed::default()).error.is_some());
    }
}
