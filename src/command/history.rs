//! `kubedrill history` and `kubedrill stats`: the attempts database, read-only.

use std::fmt::Write;

use crate::cli::{HistoryArgs, OutputFormat, StatsArgs};
use crate::cluster::paths::DataDir;
use crate::error::{Error, Exit};
use crate::output::{Printer, table};
use crate::practice::clock::{clock_text, utc_text};
use crate::practice::history::{Attempt, History, Outcome, stats as compute_stats};
use crate::practice::lab::history_path;

fn load(scenario: Option<&str>) -> Result<Vec<Attempt>, Error> {
    let path = history_path(&DataDir::from_env());
    if !path.exists() {
        return Ok(Vec::new());
    }
    Ok(History::open(&path)?.attempts(scenario)?)
}

/// `kubedrill history`.
pub fn history(args: &HistoryArgs, printer: &Printer) -> Result<Exit, Error> {
    let attempts = load(args.scenario.as_deref())?;
    match args.output {
        OutputFormat::Json => printer.json(&attempts),
        OutputFormat::Yaml => printer.yaml(&attempts),
        OutputFormat::Text if attempts.is_empty() => printer.data("no attempts yet (`kubedrill start <scenario>`)\n"),
        OutputFormat::Text => {
            let mut rows = vec![
                [
                    "ENDED (UTC)",
                    "MODE",
                    "SCENARIO",
                    "SEED",
                    "TIME",
                    "SCORE",
                    "HINTS",
                    "OUTCOME",
                ]
                .map(|h| printer.heading(h))
                .to_vec(),
            ];
            for a in &attempts {
                let score = a.score.as_ref().map_or_else(
                    || "-".to_owned(),
                    |s| {
                        let mark = format!("{:.0}%", s.percent);
                        if s.passed {
                            printer.good(&mark)
                        } else {
                            printer.bad(&mark)
                        }
                    },
                );
                let outcome = match a.outcome {
                    Outcome::Submitted => "submitted",
                    Outcome::TimedOut => "timed out",
                    Outcome::Abandoned => "abandoned",
                };
                rows.push(vec![
                    utc_text(a.ended_at),
                    a.mode.clone(),
                    a.scenario.clone(),
                    a.seed.to_string(),
                    clock_text(a.duration_ms),
                    score,
                    format!("{} ({})", a.hints_used, crate::output::penalty(a.hint_penalty)),
                    outcome.to_owned(),
                ]);
            }
            printer.data(&table(&rows));
        }
    }
    Ok(Exit::Success)
}

/// `kubedrill stats`.
pub fn stats(args: &StatsArgs, printer: &Printer) -> Result<Exit, Error> {
    let stats = compute_stats(&load(None)?);
    match args.output {
        OutputFormat::Json => printer.json(&stats),
        OutputFormat::Yaml => printer.yaml(&stats),
        OutputFormat::Text if stats.scenarios.is_empty() => printer.data("no attempts yet\n"),
        OutputFormat::Text => {
            let time = |ms: Option<u64>| ms.map_or_else(|| "-".to_owned(), clock_text);
            let mut rows = vec![
                ["SCENARIO", "ATTEMPTS", "PASSED", "BEST", "FASTEST PASS", "MEDIAN PASS"]
                    .map(|h| printer.heading(h))
                    .to_vec(),
            ];
            for s in &stats.scenarios {
                rows.push(vec![
                    s.scenario.clone(),
                    s.attempts.to_string(),
                    s.passed.to_string(),
                    s.best_percent.map_or_else(|| "-".to_owned(), |p| format!("{p:.0}%")),
                    time(s.best_time_ms),
                    time(s.median_time_ms),
                ]);
            }
            let mut out = table(&rows);
            if !stats.weak_spots.is_empty() {
                let _ = writeln!(out, "\n{}", printer.heading("Weak spots (checks failed most often)"));
                for w in &stats.weak_spots {
                    let _ = writeln!(out, "  {}/{}: failed {} of {}", w.scenario, w.check, w.failed, w.scored);
                }
            }
            if !stats.domains.is_empty() {
                let _ = writeln!(out, "\n{}", printer.heading("By domain"));
            }
            for (domain, d) in &stats.domains {
                let _ = writeln!(
                    out,
                    "  {domain}: {:.0}% over {} graded attempt(s)",
                    d.mean_percent, d.attempts
                );
            }
            printer.data(&out);
        }
    }
    Ok(Exit::Success)
}
