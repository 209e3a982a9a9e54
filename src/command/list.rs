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

/// Width the text table fits in: a classic terminal.
const WIDTH: usize = 80;

/// One table per CKA domain, titles cut to fit [`WIDTH`] (`-o json` has them whole); a profile
/// other than kindnet is named before the title.
fn text(summaries: &[Summary], printer: &Printer) -> String {
    let mut rows: Vec<Vec<String>> = vec![
        ["ID", "LEVEL", "TIME", "TITLE"]
            .iter()
            .map(|h| printer.heading(h))
            .collect(),
    ];
    let mut domains: Vec<_> = summaries.iter().map(|s| s.domain).collect();
    domains.dedup();
    domains.sort_by_key(ToString::to_string);
    domains.dedup();
    let id_width = summaries.iter().map(|s| s.id.len()).max().unwrap_or(0).max(2);
    let level_width = summaries
        .iter()
        .map(|s| s.difficulty.to_string().len())
        .max()
        .unwrap_or(0)
        .max(5);
    let time_width = 4;
    let title_width = WIDTH.saturating_sub(id_width + level_width + time_width + 6).max(20);
    for domain in domains {
        rows.push(vec![printer.dim(&format!("{domain}:"))]);
        rows.extend(summaries.iter().filter(|s| s.domain == domain).map(|s| {
            let profile = match s.profile {
                crate::scenario::model::Profile::Kindnet => String::new(),
                other => format!("[{other}] "),
            };
            vec![
                s.id.clone(),
                s.difficulty.to_string(),
                graders::Duration::from_secs(s.time_limit_seconds).to_string(),
                truncate(&format!("{profile}{}", s.title), title_width),
            ]
        }));
    }
    table(&rows)
}

/// `text` cut at a word boundary to at most `width` characters, ending in `…` when cut.
fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let kept: String = text.chars().take(width.saturating_sub(1)).collect();
    let at_word = kept.rfind(' ').map_or(kept.as_str(), |space| &kept[..space]);
    format!("{}…", at_word.trim_end())
}

#[cfg(test)]
mod tests {
    use super::truncate;

    #[test]
    fn titles_are_cut_with_an_ellipsis_only_when_too_long() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("exactly ten", 11), "exactly ten");
        assert_eq!(truncate("a title far too long", 10), "a title…");
        assert_eq!(truncate("unbreakable-words-only", 10), "unbreakab…");
    }
}
