//! `kubedrill report verify`: was a JSON report edited after grading? Each report (a file from
//! `grade -o json`, or every student's in a batch report) is checked for its content digest,
//! its signature when `KUBEDRILL_REPORT_KEY` is set, and its scenario's files hash against the
//! scenario as this machine has it.

use std::path::Path;

use serde_json::Value;

use crate::cli::VerifyArgs;
use crate::error::{Error, Exit};
use crate::output::Printer;
use crate::report::integrity::verify as check;
use crate::report::signing_key;

/// The reports inside a file: itself, or a batch's `students[].report`.
fn reports(value: &Value) -> Vec<&Value> {
    match value.get("students").and_then(Value::as_array) {
        Some(students) => students.iter().filter_map(|s| s.get("report")).collect(),
        None => vec![value],
    }
}

/// Run `report verify`.
pub fn verify(args: &VerifyArgs, user_dir: Option<&Path>, printer: &Printer) -> Result<Exit, Error> {
    let key = signing_key();
    if key.is_none() {
        printer.warning(&format!(
            "{} is not set: only the content digest is checked, which anyone can recompute",
            crate::report::KEY_ENV
        ));
    }
    let mut exit = Exit::Success;
    for path in &args.files {
        let text = crate::error::read_input(path)?;
        let value: Value = serde_json::from_str(&text).map_err(|e| Error::InvalidReport {
            path: path.clone(),
            line: u64::try_from(e.line()).ok(),
            message: format!("not a JSON report: {e}"),
        })?;
        for report in reports(&value) {
            let id = report["scenario"]["id"].as_str().unwrap_or("?");
            let seed = &report["scenario"]["seed"];
            let local = super::resolve(id, user_dir).ok().and_then(|s| s.dir.sha256().ok());
            match check(report, key.as_deref(), local.as_deref()) {
                Ok(integrity) => printer.success(&format!(
                    "{}: `{id}` seed {seed} intact ({})",
                    path.display(),
                    if integrity.signature.is_some() && key.is_some() {
                        "signature verified"
                    } else {
                        "digest only"
                    }
                )),
                Err(tampered) => {
                    printer.error(&format!("{}: `{id}` seed {seed}: {tampered}", path.display()));
                    exit = Exit::Failed;
                }
            }
        }
    }
    Ok(exit)
}
