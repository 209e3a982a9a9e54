//! `kubedrill show <id>`: the task as a learner would get it, requirements and points; never
//! the solution, the checks' parameters or the hints' text.

use std::path::Path;

use serde::Serialize;

use crate::cli::{OutputFormat, ShowArgs};
use crate::error::{Error, Exit};
use crate::output::Printer;
use crate::scenario::load::Summary;

#[derive(Serialize)]
struct Shown {
    #[serde(flatten)]
    summary: Summary,
    seed: u64,
    cluster_wide: bool,
    task: String,
}

/// Run `show`.
pub fn run(args: &ShowArgs, user_dir: Option<&Path>, printer: &Printer) -> Result<Exit, Error> {
    let scenario = super::resolve(&args.id, user_dir)?;
    let rendered = super::render(&scenario, args.seed)?;
    let shown = Shown {
        summary: scenario.summary(),
        seed: args.seed,
        cluster_wide: rendered.is_cluster_wide(),
        task: rendered.task,
    };
    match args.output {
        OutputFormat::Json => printer.json(&shown),
        OutputFormat::Yaml => printer.yaml(&shown),
        OutputFormat::Text => printer.data(&text(&shown, printer)),
    }
    Ok(Exit::Success)
}

fn text(shown: &Shown, printer: &Printer) -> String {
    let s = &shown.summary;
    let nodes = match s.workers {
        0 => "control plane only".to_owned(),
        1 => "control plane + 1 worker".to_owned(),
        n => format!("control plane + {n} workers"),
    };
    let sharing = if shown.cluster_wide {
        "breaks cluster-wide components (own cluster)"
    } else {
        "namespaced"
    };
    let lines = [
        printer.heading(&format!("{} — {}", s.id, s.title)),
        String::new(),
        format!("domain      {}", s.domain),
        format!("difficulty  {}", s.difficulty),
        format!("time limit  {}", graders::Duration::from_secs(s.time_limit_seconds)),
        format!(
            "points      {} in {} objectives ({} guards earn none)",
            s.points,
            s.checks - s.guards,
            s.guards
        ),
        format!("hints       {}", s.hints),
        format!("cluster     {} profile, {nodes}, {sharing}", s.profile),
        printer.dim(&format!(
            "seed        {} (names, labels and ports change with --seed)",
            shown.seed
        )),
        String::new(),
        shown.task.trim_end().to_owned(),
    ];
    let mut out = lines.join("\n");
    out.push('\n');
    out
}
