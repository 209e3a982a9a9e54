//! `kubedrill scenario lint [PATH...]`: validate scenario folders; exit 0 when all are valid,
//! 2 otherwise, with one `error:` line per problem and its `hint:`.

use std::path::{Path, PathBuf};

use crate::catalogue::{builtin_dirs, disk_dirs};
use crate::cli::{LintArgs, OutputFormat};
use crate::error::{Error, Exit};
use crate::output::Printer;
use crate::scenario::ScenarioDir;
use crate::scenario::lint::{LINT_SEEDS, lint_folders};

/// Run `scenario lint`.
pub fn run(args: &LintArgs, user_dir: Option<&Path>, printer: &Printer) -> Result<Exit, Error> {
    let dirs = folders(&args.paths, user_dir)?;
    if dirs.is_empty() {
        let path = args
            .paths
            .first()
            .cloned()
            .unwrap_or_else(|| PathBuf::from("scenarios"));
        return Err(Error::NoScenarios { path });
    }
    let reports = lint_folders(dirs);
    let invalid = reports.iter().filter(|r| !r.is_valid()).count();
    match args.output {
        OutputFormat::Json | OutputFormat::Yaml => {
            let value = serde_json::json!({ "valid": invalid == 0, "seeds": LINT_SEEDS, "scenarios": reports });
            if args.output == OutputFormat::Json {
                printer.json(&value);
            } else {
                printer.yaml(&value);
            }
        }
        OutputFormat::Text => {
            for report in &reports {
                report.problems.iter().for_each(|p| printer.problem(p));
            }
            let mutants = reports.iter().filter_map(|r| r.mutation.as_ref());
            let (killed, survived, accepted, equivalent, undecided) = mutants.fold((0, 0, 0, 0, 0), |t, m| {
                (
                    t.0 + m.killed,
                    t.1 + m.survived,
                    t.2 + m.accepted,
                    t.3 + m.equivalent,
                    t.4 + m.undecided,
                )
            });
            let summary = format!(
                "{} scenario(s) checked, {invalid} invalid; mutants of the solutions: {killed} caught, {survived} not caught ({accepted} accepted), {equivalent} equivalent, {undecided} left to a real cluster\n",
                reports.len()
            );
            printer.data(&summary);
        }
    }
    Ok(if invalid == 0 { Exit::Success } else { Exit::Usage })
}

/// The folders to lint: the given paths; else the instructor's folder (`--scenarios`, or
/// ./scenarios when it holds scenarios; see [`crate::catalogue::user_dir`]); else the built-in
/// catalogue.
fn folders(paths: &[PathBuf], user_dir: Option<&Path>) -> Result<Vec<ScenarioDir>, Error> {
    if !paths.is_empty() {
        let mut dirs = Vec::new();
        for path in paths {
            dirs.extend(disk_dirs(path)?);
        }
        return Ok(dirs);
    }
    match user_dir {
        Some(root) => disk_dirs(root),
        None => Ok(builtin_dirs()),
    }
}
