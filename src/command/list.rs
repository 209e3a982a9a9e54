//! `kubedrill list`: the catalogue as a table, JSON or YAML.

use std::path::Path;

use crate::catalogue::Catalogue;
use crate::cli::{ListArgs, OutputFormat};
use crate::error::{Error, Exit};
use crate::output::{Printer, table};
use crate::scenario::load::Summary;

/// Run `list`.
pub fn run(args: &ListArgs, user_dir: Option<&Path>, printer: &Printer) -> Result<Exit, Error> {
    let catalogue = Catalogue::load(user_dir)?;
    for problem in &catalogue.broken {
        printer.warning(&format!("skipped {problem}"));
    }
    if !catalogue.broken.is_empty() {
        printer.hint("run `kubedrill scenario lint <folder>` to see what is wrong");
    }
    let summaries: Vec<Summary> = catalogue
        .entries
        .iter()
        .map(|e| e.scenario.summary())
        .filter(|s| args.domain.is_none_or(|d| s.domain == d))
        .filter(|s| args.profile.is_none_or(|p| s.profile == p))
        .collect();
    match args.output {
        OutputFormat::Json => printer.json(&summaries),
        OutputFormat::Yaml => printer.yaml(&summaries),
        OutputFormat::Text => printer.data(&text(&summaries, printer)),
    }
    Ok(Exit::Success)
}

fn text(summaries: &[Summary], printer: &Printer) -> String {
    let header = ["ID", "DOMAIN", "DIFFICULTY", "PROFILE", "TIME", "POINTS", "TITLE"];
    let mut rows = vec![header.iter().map(|h| printer.heading(h)).collect()];
    rows.extend(summaries.iter().map(|s| {
        vec![
            s.id.clone(),
            s.domain.to_string(),
            s.difficulty.to_string(),
            s.profile.to_string(),
            graders::Duration::from_secs(s.time_limit_seconds).to_string(),
            s.points.to_string(),
            s.title.clone(),
        ]
    }));
    table(&rows)
}
