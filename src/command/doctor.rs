//! `kubedrill doctor`: is this machine ready to run scenarios? Exit 0 when nothing fails
//! (warnings allowed), 3 when something must be fixed first.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use crate::cli::{DoctorArgs, OutputFormat};
use crate::cluster::doctor::{Finding, Status, diagnose};
use crate::cluster::process::SystemRunner;
use crate::error::{Error, Exit};
use crate::output::{Printer, table};

/// Where kubedrill keeps clusters' kubeconfigs and state: `$XDG_DATA_HOME/kubedrill`, else
/// `~/.local/share/kubedrill`.
#[must_use]
pub fn data_dir() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("kubedrill")
}

/// Run `doctor`.
pub fn run(args: &DoctorArgs, printer: &Printer) -> Result<Exit, Error> {
    let findings = diagnose(&SystemRunner, Path::new("/"), &data_dir());
    match args.output {
        OutputFormat::Json => printer.json(&findings),
        OutputFormat::Yaml => printer.yaml(&findings),
        OutputFormat::Text => printer.data(&text(&findings, printer)),
    }
    let failed = findings.iter().filter(|f| f.status == Status::Fail).count();
    if failed > 0 {
        printer.error(&format!("{failed} problem(s) must be fixed before scenarios can run"));
        printer.hint("apply the `fix` lines above, then run `kubedrill doctor` again");
        return Ok(Exit::Environment);
    }
    Ok(Exit::Success)
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
