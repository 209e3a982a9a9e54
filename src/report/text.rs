//! The human report: one line per check, then why failing checks fail, then the score.

use std::fmt::Write;

use graders::score::{CheckResult, Gate, Role};
use graders::verdict::Verdict;

use super::GradeReport;
use crate::output::Printer;

pub(super) fn render(report: &GradeReport, printer: &Printer) -> String {
    let mut out = String::new();
    let s = &report.scenario;
    let _ = writeln!(
        out,
        "{}",
        printer.heading(&format!("{} — {} (seed {})", s.id, s.title, s.seed))
    );
    let width = report.score.checks.iter().map(|c| c.id.len()).max().unwrap_or(0);
    for check in &report.score.checks {
        let points = match (&check.verdict, check.role) {
            (_, Role::Guard) => "guard".to_owned(),
            (Verdict::Pass { .. } | Verdict::Fail { .. }, Role::Objective) => {
                format!("{}/{}", check.earned, check.points)
            }
            _ => "-".to_owned(),
        };
        let mark = match &check.verdict {
            Verdict::Pass { .. } => printer.good("PASS"),
            Verdict::Fail { .. } => printer.bad("FAIL"),
            Verdict::Error { .. } => printer.caution("ERROR"),
            Verdict::NotEvaluated { .. } => printer.caution("SKIP"),
        };
        let predicted = if check.predicted {
            printer.dim(" (predicted)")
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {mark:<5} {:<width$}  {points:>5}  {}{predicted}",
            check.id, check.description
        );
        let detail = match &check.verdict {
            Verdict::Pass { .. } => gate_line(check).map(|line| vec![line]),
            Verdict::Fail { message, evidence, .. } => {
                let mut lines = vec![message.clone()];
                if !evidence.command.is_empty() {
                    lines.push(format!("$ {}", evidence.command));
                }
                if !evidence.observed.is_empty() {
                    lines.push(format!("  {}", evidence.observed));
                }
                lines.extend(check.hint.iter().map(|h| format!("hint: {h}")));
                lines.extend(guard_line(report, check));
                Some(lines)
            }
            Verdict::Error { message, .. } if check.verdict.is_tampered() => {
                Some(vec![format!("probe tampered with, scored as a failure: {message}")])
            }
            Verdict::Error { message, .. } => Some(vec![format!("environment problem, not scored: {message}")]),
            Verdict::NotEvaluated { message } => Some(vec![format!("not scored: {message}")]),
        };
        for line in detail.into_iter().flatten() {
            let _ = writeln!(out, "        {}", printer.dim(&line));
        }
    }
    let score = &report.score;
    let verdict = if score.tampered > 0 {
        printer.bad("NOT PASSED: a probe pod was tampered with")
    } else if score.passed {
        printer.good(&format!("PASSED (pass mark {}%)", fmt_percent(score.pass_mark)))
    } else {
        printer.bad(&format!("NOT PASSED (pass mark {}%)", fmt_percent(score.pass_mark)))
    };
    let penalty = if score.penalty > 0 {
        format!(", {} deducted for hints", score.penalty)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "\nscore: {}/{} ({}%){penalty} — {verdict}",
        score.earned,
        score.possible,
        fmt_percent(score.percent)
    );
    if !score.is_complete() {
        let _ = writeln!(
            out,
            "{}",
            printer.caution(&format!(
                "incomplete: {} check(s) with environment errors, {} not evaluated; {} of {} points were scored",
                score.errors, score.not_evaluated, score.possible, score.total
            ))
        );
    }
    if !report.explanation.trim().is_empty() {
        let _ = writeln!(
            out,
            "\n{}\n{}",
            printer.heading("What was wrong"),
            report.explanation.trim_end()
        );
    }
    out
}

/// Why a passing objective earned nothing.
fn gate_line(check: &CheckResult) -> Option<String> {
    match check.gated.as_ref()? {
        Gate::Cancelled { guard } => Some(format!("earns nothing: guard `{guard}` failed")),
        Gate::Held { guard } => Some(format!("not scored: guard `{guard}` could not be judged")),
    }
}

/// What a failing guard cost: the objectives it cancelled.
fn guard_line(report: &GradeReport, check: &CheckResult) -> Option<String> {
    if check.role != Role::Guard {
        return None;
    }
    let points = |id: &String| {
        let objective = report.score.checks.iter().find(|c| &c.id == id);
        format!("{id} ({})", objective.map_or(0, |c| c.points))
    };
    let cancelled: Vec<String> = check.cancelled.iter().map(points).collect();
    let also: Vec<String> = report
        .score
        .checks
        .iter()
        .filter_map(|c| match &c.gated {
            Some(Gate::Cancelled { guard }) if guard != &check.id && check.protects(&c.id) => {
                Some(format!("{} (charged to `{guard}`)", c.id))
            }
            _ => None,
        })
        .collect();
    Some(if !cancelled.is_empty() {
        format!(
            "a guard: cost {} point(s), cancelling {}",
            check.cost,
            cancelled.join(", ")
        )
    } else if !also.is_empty() {
        format!("a guard: it also cancels {}", also.join(", "))
    } else {
        "a guard: none of the objectives it protects passed, so it cost nothing yet".to_owned()
    })
}

/// One decimal place, without a trailing `.0`.
pub fn fmt_percent(value: f64) -> String {
    let text = format!("{value:.1}");
    text.strip_suffix(".0").map_or(text.clone(), str::to_owned)
}
