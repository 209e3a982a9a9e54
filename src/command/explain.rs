//! `kubedrill explain`: why can (or can't) A reach B — hop by hop from a snapshot — and the
//! allow/deny matrix between pods, summarised as classes of pods that behave alike. Exit 0
//! when allowed, 1 when not, 2 on bad input.
//!
//! Builds data and text for the printer; must not print itself, decide verdicts, or hold a
//! pods-by-pods grid of text (the matrix is streamed from the analyzer's bits).

use std::collections::BTreeMap;
use std::fmt::Write;

use graders::analyzer::matrix::Matrix;
use graders::analyzer::policy::Endpoint;
use graders::analyzer::{Analyzer, Target, Trace};
use graders::state::ClusterState;
use graders::target::PortRef;
use k8s_openapi::api::core::v1::Node;
use serde::Serialize;

use crate::cli::{ExplainArgs, OutputFormat};
use crate::error::{Error, Exit};
use crate::output::{Printer, table};

/// Run `explain`.
pub fn run(args: &ExplainArgs, printer: &Printer) -> Result<Exit, Error> {
    let snapshot = super::grade::load_snapshot(&args.snapshot)?;
    let state = &snapshot.observation.state;
    let analyzer = Analyzer::new(state);
    if args.matrix {
        let matrix = analyzer.matrix(args.namespace.as_deref());
        match args.output {
            OutputFormat::Json => printer.json(&matrix),
            OutputFormat::Yaml => printer.yaml(&matrix),
            OutputFormat::Text => printer.stream(matrix_text(&matrix, printer)),
        }
        return Ok(Exit::Success);
    }
    let (Some(from), Some(to)) = (&args.from, &args.to) else {
        return Err(Error::BadFlow {
            flow: String::new(),
            reason: "give `--from` and `--to`, or `--matrix`".to_owned(),
        });
    };
    let source = source(state, from)?;
    let trace = match name_only(to, args.by_name)? {
        Some((namespace, name)) => analyzer.resolve(&source, namespace, name),
        None => analyzer.trace(&source, &target(state, to, args.by_name)?),
    };
    let report = Explained {
        from: source.name.clone(),
        to: to.clone(),
        allowed: trace.allowed,
        hops: &trace,
    };
    match args.output {
        OutputFormat::Json => printer.json(&report),
        OutputFormat::Yaml => printer.yaml(&report),
        OutputFormat::Text => printer.data(&trace_text(&report, printer)),
    }
    Ok(if trace.allowed { Exit::Success } else { Exit::Failed })
}

#[derive(Serialize)]
struct Explained<'a> {
    from: String,
    to: String,
    allowed: bool,
    #[serde(flatten)]
    hops: &'a Trace,
}

fn bad(flow: &str, reason: impl Into<String>) -> Error {
    Error::BadFlow {
        flow: flow.to_owned(),
        reason: reason.into(),
    }
}

/// `ns/pod`, or `ns/key=value,key=value` for a hypothetical pod with those labels (also as
/// the analyzer prints it, `ns/{key=value,...}`; `ns/{}` has no labels), or `node/<name>`: the
/// node's address, as a hostNetwork pod there connects from.
fn source(state: &ClusterState, text: &str) -> Result<Endpoint, Error> {
    let (namespace, rest) = text.split_once('/').ok_or_else(|| {
        bad(
            text,
            "write the source as <namespace>/<pod>, <namespace>/<label>=<value>,... or node/<node>",
        )
    })?;
    if let Some(node) = snapshot_node(state, namespace, rest) {
        return Analyzer::node(node)
            .ok_or_else(|| bad(text, format!("node `{rest}` has no InternalIP in the snapshot")));
    }
    let braced = rest.strip_prefix('{').and_then(|r| r.strip_suffix('}'));
    if let Some("") = braced {
        return Ok(Analyzer::hypothetical(namespace, BTreeMap::new()));
    }
    let rest = braced.unwrap_or(rest);
    if rest.contains('=') {
        let mut labels = BTreeMap::new();
        for pair in rest.split(',') {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| bad(text, format!("`{pair}` is not <label>=<value>")))?;
            labels.insert(k.to_owned(), v.to_owned());
        }
        return Ok(Analyzer::hypothetical(namespace, labels));
    }
    state.pod(namespace, rest).map(Analyzer::endpoint).ok_or_else(|| {
        bad(
            text,
            format!("no pod `{rest}` in namespace `{namespace}` in the snapshot"),
        )
    })
}

/// `node/<name>` names the snapshot's node `name`, unless namespace `node` has a pod or Service
/// of that name (a namespace may be called `node`).
fn snapshot_node<'a>(state: &'a ClusterState, namespace: &str, name: &str) -> Option<&'a Node> {
    if namespace != "node" || state.pod(namespace, name).is_some() || state.service(namespace, name).is_some() {
        return None;
    }
    state.nodes.iter().find(|n| n.metadata.name.as_deref() == Some(name))
}

/// With `--by-name`, a destination without a port (`ns/name` or `ns/svc/name`): only resolve
/// the Service's name.
fn name_only(text: &str, by_name: bool) -> Result<Option<(&str, &str)>, Error> {
    if !by_name || text.contains(':') {
        return Ok(None);
    }
    let (namespace, name) = text
        .split_once('/')
        .ok_or_else(|| bad(text, "the destination needs a namespace: <namespace>/<service>"))?;
    let name = ["svc/", "service/"]
        .iter()
        .find_map(|kind| name.strip_prefix(kind))
        .unwrap_or(name);
    Ok(Some((namespace, name)))
}

/// `ns/name:port[/protocol]`: a Service when one has that name (or with `svc/`), else a pod
/// (or with `pod/`); `address:port` (`[v6]:port`) an address, a pod's or one outside the cluster.
fn target(state: &ClusterState, text: &str, by_name: bool) -> Result<Target, Error> {
    let (object, port) = text.rsplit_once(':').ok_or_else(|| {
        bad(
            text,
            "write the destination as <namespace>/<pod|service>:<port>[/<protocol>], node/<node>:<port> or <address>:<port> (with --by-name, <namespace>/<service> alone only resolves the name)",
        )
    })?;
    let (port, protocol) = port.split_once('/').map_or((port, "TCP"), |(p, proto)| (p, proto));
    let protocol = protocol.to_ascii_uppercase();
    if !matches!(protocol.as_str(), "TCP" | "UDP" | "SCTP") {
        return Err(bad(text, format!("`{protocol}` is not TCP, UDP or SCTP")));
    }
    let port = match port.parse::<u16>() {
        Ok(0) => return Err(bad(text, "port 0 is not a port")),
        Ok(n) => PortRef::Number(n),
        Err(_) if !port.is_empty() => PortRef::Name(port.to_owned()),
        Err(_) => return Err(bad(text, "the port is missing")),
    };
    if let Some(ip) = graders::address::ip_literal(object) {
        let PortRef::Number(port) = port else {
            return Err(bad(text, "an address's port is a number: <address>:<port>"));
        };
        return Ok(Target::Address { ip, port, protocol });
    }
    let (namespace, name) = object
        .split_once('/')
        .ok_or_else(|| bad(text, "the destination needs a namespace: <namespace>/<name>:<port>"))?;
    if snapshot_node(state, namespace, name).is_some() {
        let PortRef::Number(port) = port else {
            return Err(bad(text, "a node's port is a number: <node>:<port>"));
        };
        return Ok(Target::NodePort {
            node: name.into(),
            port,
            protocol,
        });
    }
    let (kind, name) = match name.split_once('/') {
        Some((kind @ ("svc" | "service" | "pod"), name)) => (Some(kind), name),
        _ => (None, name),
    };
    let is_service = match kind {
        Some("pod") => false,
        Some(_) => true,
        None => state.service(namespace, name).is_some(),
    };
    if is_service {
        return Ok(Target::Service {
            namespace: namespace.into(),
            name: name.into(),
            port,
            protocol,
            by_name,
        });
    }
    if state.pod(namespace, name).is_none() {
        return Err(bad(
            text,
            format!("no Service or pod `{name}` in namespace `{namespace}` in the snapshot"),
        ));
    }
    Ok(Target::Pod {
        namespace: namespace.into(),
        name: name.into(),
        port,
        protocol,
    })
}

fn trace_text(report: &Explained<'_>, printer: &Printer) -> String {
    let mut out = String::new();
    let verdict = if report.allowed {
        printer.good("ALLOWED")
    } else {
        printer.bad("BLOCKED")
    };
    let _ = writeln!(out, "{} -> {}: {verdict}", report.from, report.to);
    // Hop names in a column as wide as the widest (`node-port`), at least `service` + 1.
    let width = report.hops.hops.iter().map(|h| h.name.len()).max().unwrap_or(0).max(8);
    let indent = " ".repeat(width + 8);
    for hop in &report.hops.hops {
        let mark = if hop.ok {
            printer.good("ok  ")
        } else {
            printer.bad("FAIL")
        };
        let _ = writeln!(out, "  {mark} {:<width$} {}", hop.name, hop.reason);
        for detail in &hop.details {
            let _ = writeln!(out, "{indent}{}", printer.dim(detail));
        }
        for hint in &hop.hints {
            let _ = writeln!(out, "{indent}hint: {hint}");
        }
    }
    out
}

/// Above this many classes the class grid is left out: the blocked list says the same.
const GRID_MAX: usize = 40;

fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// The matrix for people, in pieces: the classes with their members, the grid between
/// classes (up to [`GRID_MAX`]), and what each class may not reach. The text grows with the pods
/// and the classes, never with pods times pods.
fn matrix_text<'a>(matrix: &'a Matrix, printer: &'a Printer) -> impl Iterator<Item = String> + 'a {
    let count = matrix.classes.len();
    let head = format!(
        "{} in {} (the pods of a class are allowed and blocked exactly alike)\n\n",
        plural(matrix.pods.len(), "pod", "pods"),
        plural(count, "class", "classes")
    );
    let classes = (0..count).map(|c| class_text(matrix, c));
    let grid = std::iter::once_with(|| grid_text(matrix, printer));
    let any_blocked = (0..count).any(|from| (0..count).any(|to| !matrix.class_allowed(from, to)));
    let heading = printer.heading("blocked (from a class -> the classes it may not reach):");
    let blocked = std::iter::once(format!("\n{heading}\n"))
        .chain((0..count).filter_map(|c| blocked_line(matrix, c)))
        .chain((!any_blocked).then(|| "  nothing: every pod may reach every pod\n".to_owned()));
    std::iter::once(head).chain(classes).chain(grid).chain(blocked)
}

/// `class 2: 3 pods in shop with app=web`, then its members with the port each is probed on.
fn class_text(matrix: &Matrix, c: usize) -> String {
    let class = &matrix.classes[c];
    let place = match class.namespaces.as_slice() {
        [one] => one.clone(),
        many => plural(many.len(), "namespace", "namespaces"),
    };
    let labels = if class.labels.is_empty() {
        "no label in common".to_owned()
    } else {
        let shown: Vec<String> = class.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        shown.join(",")
    };
    let members: Vec<String> = class
        .members
        .iter()
        .map(|m| format!("{} ({})", matrix.pods[*m], matrix.ports[*m]))
        .collect();
    format!(
        "class {}: {} in {place} with {labels}\n  {}\n",
        c + 1,
        plural(class.members.len(), "pod", "pods"),
        members.join(", ")
    )
}

/// The grid between classes, or why it is left out.
fn grid_text(matrix: &Matrix, printer: &Printer) -> String {
    let count = matrix.classes.len();
    if count > GRID_MAX {
        return format!("\n(no grid above {GRID_MAX} classes: the blocked list below says the same)\n");
    }
    let mut rows = vec![
        std::iter::once(printer.heading("FROM \\ TO"))
            .chain((1..=count).map(|c| printer.heading(&c.to_string())))
            .collect::<Vec<_>>(),
    ];
    for from in 0..count {
        let mut row = vec![(from + 1).to_string()];
        row.extend((0..count).map(|to| {
            if matrix.class_allowed(from, to) {
                ".".to_owned()
            } else {
                printer.bad("X")
            }
        }));
        rows.push(row);
    }
    format!(
        "\n{}. allowed, X blocked: from every pod of the row's class to every pod of the column's class, on the port after its name\n",
        table(&rows)
    )
}

/// `  2 -> 1, 3-5`: the classes a class may not reach (as runs), or nothing when it reaches all.
fn blocked_line(matrix: &Matrix, from: usize) -> Option<String> {
    let count = matrix.classes.len();
    let blocked: Vec<usize> = (0..count).filter(|to| !matrix.class_allowed(from, *to)).collect();
    if blocked.is_empty() {
        return None;
    }
    let mut runs: Vec<String> = Vec::new();
    let mut start = 0;
    for i in 1..=blocked.len() {
        if i == blocked.len() || blocked[i] != blocked[i - 1] + 1 {
            let (first, last) = (blocked[start] + 1, blocked[i - 1] + 1);
            runs.push(if first == last {
                first.to_string()
            } else {
                format!("{first}-{last}")
            });
            start = i;
        }
    }
    let every = if blocked.len() == count { " (every class)" } else { "" };
    Some(format!("  {} -> {}{every}\n", from + 1, runs.join(", ")))
}
