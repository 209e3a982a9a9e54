//! `kubedrill grade --scenario <id> --snapshot <file>`: grade an attempt from a snapshot of
//! cluster state. Probe checks use the probe results recorded in the snapshot and are reported
//! as not evaluated when there are none; `unchanged` compares with the recorded baseline, or
//! with the rendered setup when none was recorded.

use std::path::Path;

use graders::score::ScoreCard;

use crate::cli::GradeArgs;
use crate::cluster::paths::DataDir;
use crate::cluster::runtime::block_on;
use crate::error::{Error, Exit};
use crate::output::Printer;
use crate::report::Origin;
use crate::scenario::{Rendered, Scenario};
use crate::snapshot::{self, Snapshot};
use graders::state::Observation;

/// Run `grade`.
pub fn run(args: &GradeArgs, user_dir: Option<&Path>, printer: &Printer) -> Result<Exit, Error> {
    if let Some(roster) = &args.batch {
        return super::batch::run(args, roster, user_dir, printer);
    }
    let scenario = super::resolve(args.scenario.as_deref().unwrap_or_default(), user_dir)?;
    let (observation, rendered, source, reached_as) = match &args.snapshot {
        Some(path) => from_snapshot(args, path, &scenario)?,
        None => from_cluster(args, &scenario)?,
    };
    let key = crate::report::signing_key();
    let attempt = crate::grading::Attempt {
        scenario: &scenario,
        rendered,
        source,
        reached_as,
        pass_mark: args.pass_mark,
        key: key.as_deref(),
    };
    let report = crate::grading::report(attempt, &observation)?;
    let text = report.render(args.output, printer)?;
    emit(printer, args.report_file.as_deref(), &text)?;
    Ok(exit_for(&report.score))
}

/// Write `text` to `file`, or to stdout.
pub(crate) fn emit(printer: &Printer, file: Option<&Path>, text: &str) -> Result<(), Error> {
    match file {
        Some(path) => {
            write_file(path, text)?;
            printer.success(&format!("report written to `{}`", path.display()));
        }
        None => printer.data(text),
    }
    Ok(())
}

/// Write a file, naming it in the error.
pub(crate) fn write_file(path: &Path, text: &str) -> Result<(), Error> {
    std::fs::write(path, text).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

type Graded = (Observation, Rendered, String, String);

fn from_snapshot(args: &GradeArgs, path: &Path, scenario: &Scenario) -> Result<Graded, Error> {
    let mut snapshot = load_snapshot(path)?;
    let mismatch = |found: String, wanted: String| Error::SnapshotMismatch {
        path: path.to_path_buf(),
        found,
        wanted,
    };
    if let Some(found) = snapshot.scenario.as_deref().filter(|s| *s != scenario.id()) {
        return Err(mismatch(format!("scenario `{found}`"), format!("`{}`", scenario.id())));
    }
    let seed = match (args.seed, snapshot.seed) {
        (Some(wanted), Some(found)) if wanted != found => {
            return Err(mismatch(format!("seed {found}"), format!("seed {wanted}")));
        }
        (Some(seed), _) | (None, Some(seed)) => seed,
        (None, None) => return Err(Error::NoSeed),
    };
    let prefix = args.target.namespace_prefix.as_deref();
    let rendered = crate::catalogue::render_for(scenario, seed, prefix)?;
    let source = format!("`{}`", path.display());
    crate::seed_match::ensure(scenario, &rendered, prefix, source, &[&snapshot.observation.state])?;
    snapshot
        .baseline_from_setup(&rendered)
        .map_err(|e| Error::InvalidSnapshot {
            path: path.to_path_buf(),
            line: e.line,
            message: e.message,
        })?;
    let reached_as = format!("snapshot:{}", path.display());
    Ok((
        snapshot.observation,
        rendered,
        Origin::Snapshot(path).source(),
        reached_as,
    ))
}

/// Grade the live cluster: one list per kind and namespace, probes by exec. Read-only except
/// probe pods, which a foreign cluster only gets with `--allow-foreign-cluster`.
fn from_cluster(args: &GradeArgs, scenario: &Scenario) -> Result<Graded, Error> {
    let seed = args.seed.ok_or(Error::NoSeed)?;
    let rendered = crate::catalogue::render_for(scenario, seed, args.target.namespace_prefix.as_deref())?;
    let data = DataDir::from_env();
    let connection = super::connection(&args.target.cluster, scenario.file.cluster.profile, &data)?;
    let (observation, listed) = block_on("grading", async {
        let live = connection.open(args.probes.probes).await?;
        live.observe_attempt(&rendered).await
    })?;
    if listed {
        let prefix = args.target.namespace_prefix.as_deref();
        crate::seed_match::ensure(
            scenario,
            &rendered,
            prefix,
            "the cluster".to_owned(),
            &[&observation.state],
        )?;
    }
    let observation = crate::practice::lab::with_setup_baseline(observation, &rendered)?;
    let source = Origin::cluster(&connection.kubeconfig, connection.expected.as_deref()).source();
    let reached_as = format!("cluster:{}", connection.kubeconfig.display());
    Ok((observation, rendered, source, reached_as))
}

pub(crate) fn load_snapshot(path: &Path) -> Result<Snapshot, Error> {
    let text = crate::error::read_input(path)?;
    snapshot::parse(&text).map_err(|e| Error::InvalidSnapshot {
        path: path.to_path_buf(),
        line: e.line,
        message: e.message,
    })
}

/// 3 when an environment problem made the grade unreliable, else 0 at or above the mark, else 1.
fn exit_for(card: &ScoreCard) -> Exit {
    if card.errors > 0 {
        Exit::Environment
    } else if card.passed {
        Exit::Success
    } else {
        Exit::Failed
    }
}
