//! `kubedrill doctor`: is this machine ready to run scenarios? Exit 0 when nothing fails
//! (warnings allowed), 3 when something must be fixed first. With `--fix`, missing kind and
//! kubectl are downloaded (pinned, verified) first; a failed download is reported in one line
//! and the findings table still follows.
//!
//! Builds findings and hands them to the printer; never decides what a finding means (that is
//! `cluster::doctor`).

use std::fmt::Write;
use std::path::Path;

use crate::cli::{DoctorArgs, OutputFormat};
use crate::cluster::doctor::{Finding, Status, diagnose, downloadable, next_step};
use crate::cluster::paths::DataDir;
use crate::cluster::process::SystemRunner;
use crate::cluster::tools::{self, ToolRunner};
use crate::error::{Error, Exit};
use crate::output::{Printer, table};

/// Run `doctor` (with `--fix`: download missing kind/kubectl, pinned and verified, first).
pub fn run(args: &DoctorArgs, printer: &Printer) -> Result<Exit, Error> {
    let data = DataDir::from_env();
    let runner = ToolRunner {
        inner: &SystemRunner,
        bin: data.bin(),
    };
    let mut findings = diagnose(&runner, Path::new("/"), data.root());
    if args.fix && download(&downloadable(&findings), &data, printer) {
        findings = diagnose(&runner, Path::new("/"), data.root());
    }
    match args.output {
        OutputFormat::Json => printer.json(&findings),
        OutputFormat::Yaml => printer.yaml(&findings),
        OutputFormat::Text => printer.data(&text(&findings, printer)),
    }
    let failed = findings.iter().filter(|f| f.status == Status::Fail).count();
    if failed > 0 {
        printer.error(&format!("{failed} problem(s) must be fixed before scenarios can run"));
        printer.hint(&next_step(&findings, args.fix));
        return Ok(Exit::Environment);
    }
    Ok(Exit::Success)
}

/// Download `wanted`, each reported in one line (installed, or why not); whether any was tried.
fn download(wanted: &[&str], data: &DataDir, printer: &Printer) -> bool {
    for tool in wanted {
        match tools::install(&SystemRunner, tool, &data.bin()) {
            Ok(path) => printer.success(&format!("installed `{}` (SHA-256 verified)", path.display())),
            Err(e) => printer.warning(&format!("{tool} was not installed: {e}")),
        }
    }
    !wanted.is_empty()
}

fn text(findings: &[Finding], printer: &Printer) -> String {
    let mut rows = vec![vec![
        printer.heading("CHECK"),
        printer.heading("STATUS"),
        printer.heading("DETAIL"),
    ]];
    for f in findings {
        let status = match f.status {
            Status::Ok => printer.good("ok"),
            Status::Warn => printer.caution("warn"),
            Status::Fail => printer.bad("FAIL"),
        };
        rows.push(vec![f.check.to_owned(), status, f.detail.clone()]);
    }
    let mut out = table(&rows);
    for f in findings.iter().filter(|f| f.fix.is_some()) {
        let _ = writeln!(out, "fix {}: {}", f.check, f.fix.as_deref().unwrap_or_default());
    }
    out
}
