//! Markdown and HTML reports rendered from the tera templates in `templates/` (HTML escaped).

use super::GradeReport;
use super::text::fmt_percent;
use crate::error::Error;

/// Which template.
#[derive(Clone, Copy)]
pub(super) enum Kind {
    Markdown,
    Html,
}

const MARKDOWN: &str = include_str!("../../templates/report.md.tera");
const HTML: &str = include_str!("../../templates/report.html.tera");

pub(super) fn render(report: &GradeReport, kind: Kind) -> Result<String, Error> {
    let (name, source) = match kind {
        Kind::Markdown => ("report.md", MARKDOWN),
        Kind::Html => ("report.html", HTML),
    };
    let error = |e: &tera::Error| Error::Template {
        name: name.to_owned(),
        message: e.to_string(),
    };
    let mut tera = tera::Tera::new();
    tera.autoescape_on([".html"]);
    tera.add_raw_template(name, source).map_err(|e| error(&e))?;
    let mut context = tera::Context::new();
    context.insert("report", report);
    context.insert("percent", &fmt_percent(report.score.percent));
    context.insert("pass_mark", &fmt_percent(report.score.pass_mark));
    tera.render(name, &context).map_err(|e| error(&e))
}
