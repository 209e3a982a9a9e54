//! `kubedrill explain`: why can (or can't) A reach B — hop by hop from a snapshot — and the
//! allow/deny matrix between pods. Exit 0 when allowed, 1 when not, 2 on bad input.

use std::collections::BTreeMap;
use std::fmt::Write;

use graders::analyzer::{Analyzer, Target, Trace};
use graders::state::ClusterState;
use graders::target::PortRef;
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
            OutputFormat::Text => printer.data(&matrix_text(&matrix, printer)),
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
    let target = target(state, to, args.by_name)?;
    let trace = analyzer.trace(&source, &target);
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

/// `ns/pod`, or `ns/key=value,key=value` for a hypothetical pod with those labels.
fn source(state: &ClusterState, text: &str) -> Result<graders::analyzer::policy::Endpoint, Error> {
    let (namespace, rest) = text.split_once('/').ok_or_else(|| {
        bad(
            text,
            "write the source as <namespace>/<pod> or <namespace>/<label>=<value>,...",
        )
    })?;
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

/// `ns/name:port[/protocol]`: a Service when one has that name (or with `svc/`), else a pod
/// (or with `pod/`).
fn target(state: &ClusterState, text: &str, by_name: bool) -> Result<Target, Error> {
    let (object, port) = text.rsplit_once(':').ok_or_else(|| {
        bad(
            text,
            "write the destination as <namespace>/<pod|service>:<port>[/<protocol>]",
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
    let (namespace, name) = object
        .split_once('/')
        .ok_or_else(|| bad(text, "the destination needs a namespace: <namespace>/<name>:<port>"))?;
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
    for hop in &report.hops.hops {
        let mark = if hop.ok {
            printer.good("ok  ")
        } else {
            printer.bad("FAIL")
        };
        let _ = writeln!(out, "  {mark} {:<8} {}", hop.name, hop.reason);
        for detail in &hop.details {
            let _ = writeln!(out, "                {}", printer.dim(detail));
        }
        for hint in &hop.hints {
            let _ = writeln!(out, "                hint: {hint}");
        }
    }
    out
}

fn matrix_text(matrix: &graders::analyzer::matrix::Matrix, printer: &Printer) -> String {
    let mut rows = vec![
        std::iter::once(printer.heading("FROM \\ TO"))
            .chain((0..matrix.pods.len()).map(|i| printer.heading(&i.to_string())))
            .collect::<Vec<_>>(),
    ];
    for (i, from) in matrix.pods.iter().enumerate() {
        let mut row = vec![format!("{i} {from}")];
        row.extend(
            matrix.allowed[i]
                .iter()
                .map(|a| if *a { ".".to_owned() } else { printer.bad("X") }),
        );
        rows.push(row);
    }
    let mut out = table(&rows);
    let _ = writeln!(
        out,
        "\n. allowed, X blocked; columns are the numbered pods, each probed on:"
    );
    for (i, (pod, port)) in matrix.pods.iter().zip(&matrix.ports).enumerate() {
        let _ = writeln!(out, "  {i} {pod} {port}");
    }
    out
}
