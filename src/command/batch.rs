//! `kubedrill grade --batch roster.yaml`: every student graded (live clusters or snapshots),
//! one combined report (text, JSON, JUnit or CSV) and optionally one report per student.
//! Exit 0 when everyone passed, 1 when someone is below the pass mark, 3 when someone could not
//! be graded (their row says why).

use std::fmt::Write;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::classroom::{Batch, Observer, Observing, Row, Source, Student, Summary, parse_roster, summarize};
use crate::cli::GradeArgs;
use crate::cluster::live::Live;
use crate::error::{Error, Exit};
use crate::output::{Printer, table};
use crate::report::{Entry, ReportFormat};
use crate::scenario::Rendered;

/// Live clusters through kube (traffic judged as `probes` says), snapshots from files.
struct LiveObserver {
    probes: crate::cluster::live::ProbeMode,
}

impl Observer for LiveObserver {
    fn observe<'a>(&'a self, student: &'a Student, rendered: &'a Rendered) -> Observing<'a> {
        Box::pin(async move {
            match &student.source {
                Source::Snapshot(path) => {
                    let mut snapshot = super::grade::load_snapshot(path)?;
                    snapshot
                        .baseline_from_setup(rendered)
                        .map_err(|e| Error::InvalidSnapshot {
                            path: path.clone(),
                            line: e.line,
                            message: e.message,
                        })?;
                    Ok(snapshot.observation)
                }
                Source::Cluster { kubeconfig, context } => {
                    let live = Live::open(kubeconfig, context.as_deref(), None, student.allow_foreign_cluster)
                        .await?
                        .with_probes(self.probes);
                    let (observation, _) = live.observe_attempt(rendered).await?;
                    crate::practice::lab::with_setup_baseline(observation, rendered)
                }
            }
        })
    }
}

#[derive(Serialize)]
struct BatchReport<'a> {
    schema_version: u32,
    kubedrill_version: &'static str,
    pass_mark: f64,
    summary: Summary,
    students: &'a [Row],
}

/// Run a batch.
pub fn run(args: &GradeArgs, roster: &Path, user_dir: Option<&Path>, printer: &Printer) -> Result<Exit, Error> {
    let text = crate::error::read_input(roster)?;
    let students = parse_roster(&text, roster)?;
    let key = crate::report::signing_key();
    let batch = Batch {
        pass_mark: args.pass_mark,
        jobs: args.jobs,
        per_student: Duration::from_secs(600),
        scenarios_dir: user_dir,
        key: key.as_deref(),
    };
    let observer = LiveObserver {
        probes: args.probes.probes,
    };
    let rows = crate::cluster::runtime::block_on("batch grading", async { Ok(batch.run(&students, &observer).await) })?;
    let summary = summarize(&rows);
    let combined = match args.output {
        ReportFormat::Json => serde_json::to_string_pretty(&BatchReport {
            schema_version: crate::report::SCHEMA_VERSION,
            kubedrill_version: env!("CARGO_PKG_VERSION"),
            pass_mark: args.pass_mark,
            summary,
            students: &rows,
        })
        .map(|t| t + "\n")
        .map_err(|e| Error::Template {
            name: "batch json".to_owned(),
            message: e.to_string(),
        })?,
        ReportFormat::Junit => junit(&rows)?,
        ReportFormat::Csv => crate::report::csv_batch(&entries(&rows))?,
        ReportFormat::Text => text_table(&rows, summary, printer),
        ReportFormat::Markdown | ReportFormat::Html => {
            return Err(Error::InvalidRoster {
                path: roster.to_path_buf(),
                message: "a batch report is text, json, junit or csv (per-student reports go to --report-dir)"
                    .to_owned(),
            });
        }
    };
    if let Some(dir) = &args.report_dir {
        per_student(dir, &rows)?;
        printer.success(&format!("{} per-student report(s) in `{}`", rows.len(), dir.display()));
    }
    super::grade::emit(printer, args.report_file.as_deref(), &combined)?;
    Ok(if summary.errors > 0 {
        Exit::Environment
    } else if summary.failed > 0 {
        Exit::Failed
    } else {
        Exit::Success
    })
}

fn entries(rows: &[Row]) -> Vec<Entry<'_>> {
    rows.iter().map(Row::entry).collect()
}

fn junit(rows: &[Row]) -> Result<String, Error> {
    crate::report::junit_batch(&entries(rows))
}

fn per_student(dir: &Path, rows: &[Row]) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::Io {
        path: dir.to_path_buf(),
        message: e.to_string(),
    })?;
    for row in rows {
        let name = row.student();
        let json = match row {
            Row::Graded { report, .. } => serde_json::to_string_pretty(report),
            Row::Error { .. } => serde_json::to_string_pretty(row),
        }
        .map_err(|e| Error::Template {
            name: "student report".to_owned(),
            message: e.to_string(),
        })?;
        super::grade::write_file(&dir.join(format!("{name}.json")), &(json + "\n"))?;
        let xml = junit(std::slice::from_ref(row))?;
        super::grade::write_file(&dir.join(format!("{name}.junit.xml")), &xml)?;
    }
    Ok(())
}

fn text_table(rows: &[Row], summary: Summary, printer: &Printer) -> String {
    let mut lines = vec![
        ["STUDENT", "SCENARIO", "SEED", "SCORE", "RESULT"]
            .map(|h| printer.heading(h))
            .to_vec(),
    ];
    let mut problems = String::new();
    for row in rows {
        match row {
            Row::Graded { student, report } => {
                let s = &report.score;
                let result = if s.errors > 0 {
                    printer.caution("incomplete")
                } else if s.passed {
                    printer.good("passed")
                } else {
                    printer.bad("failed")
                };
                lines.push(vec![
                    student.clone(),
                    report.scenario.id.clone(),
                    report.scenario.seed.to_string(),
                    format!("{}/{} ({:.0}%)", s.earned, s.possible, s.percent),
                    result,
                ]);
            }
            Row::Error { student, message, .. } => {
                lines.push(vec![
                    student.clone(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    printer.caution("error"),
                ]);
                let _ = writeln!(problems, "  {student}: {message}");
            }
        }
    }
    let mut out = table(&lines);
    if !problems.is_empty() {
        let _ = write!(out, "\nnot graded:\n{problems}");
    }
    let _ = writeln!(
        out,
        "\n{} students: {} passed, {} below the pass mark, {} not graded",
        summary.students, summary.passed, summary.failed, summary.errors
    );
    out
}
