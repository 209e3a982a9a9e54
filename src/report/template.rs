//! Markdown and HTML reports rendered from the tera templates in `templates/`. In HTML every
//! value is escaped; the `code_spans` filter escapes its text too and only then turns Markdown's
//! inline code (`` `name` ``) into `<code>`, so scenario text and cluster object names can never
//! inject markup.
//!
//! Must not decide what a report says (that is the template's and the report model's job) and
//! must not mark any text safe without escaping it first.

use tera::{Kwargs, State, Value};

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
    tera.register_filter("code_spans", code_spans_filter);
    tera.add_raw_template(name, source).map_err(|e| error(&e))?;
    let mut context = tera::Context::new();
    context.insert("report", report);
    context.insert("percent", &fmt_percent(report.score.percent));
    context.insert("pass_mark", &fmt_percent(report.score.pass_mark));
    tera.render(name, &context).map_err(|e| error(&e))
}

/// The `code_spans` filter: [`code_spans`], marked safe (it escaped everything itself).
fn code_spans_filter(text: &str, _: Kwargs, _: &State) -> Value {
    Value::safe_string(&code_spans(text))
}

/// `text` as HTML: everything escaped, and each pair of backticks turned into `<code>`. An
/// unpaired backtick, or an empty pair, stays as written.
fn code_spans(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    // An odd number of backticks leaves the last one without a partner.
    let last_unpaired = parts.len().is_multiple_of(2);
    let mut html = String::with_capacity(text.len() + 16);
    for (i, part) in parts.iter().enumerate() {
        let in_code = i % 2 == 1;
        let paired = !(last_unpaired && i + 1 == parts.len());
        if in_code && paired && !part.is_empty() {
            html.push_str("<code>");
            html.push_str(&escape(part));
            html.push_str("</code>");
        } else {
            if in_code {
                html.push('`');
            }
            html.push_str(&escape(part));
            if in_code && paired {
                html.push('`');
            }
        }
    }
    html
}

/// Tera's own HTML escaping (`&`, `<`, `>`, `"`, `'`).
fn escape(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len());
    // Writing to a Vec cannot fail.
    let _ = tera::escape_html(text, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::code_spans;

    #[test]
    fn backticks_become_code_and_everything_else_is_escaped() {
        let cases = [
            (
                "Service `web` has no endpoints.",
                "Service <code>web</code> has no endpoints.",
            ),
            ("`a` and `b-c`", "<code>a</code> and <code>b-c</code>"),
            ("no code here", "no code here"),
            ("one ` unpaired", "one ` unpaired"),
            ("`x` then ` dangling", "<code>x</code> then ` dangling"),
            ("empty `` pair", "empty `` pair"),
            (
                "<script>alert(1)</script> & 'q' \"d\"",
                "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#39;q&#39; &quot;d&quot;",
            ),
            (
                "pod `</code><img src=x onerror=alert(1)>`",
                "pod <code>&lt;/code&gt;&lt;img src=x onerror=alert(1)&gt;</code>",
            ),
        ];
        for (text, html) in cases {
            assert_eq!(code_spans(text), html, "{text}");
        }
    }

    #[test]
    fn no_tag_survives_but_code() {
        let hostile = "`<b>` <i>`<u>`</i> `` ` <svg onload=x>";
        let html = code_spans(hostile);
        let tags: Vec<&str> = html.match_indices('<').map(|(i, _)| &html[i..]).collect();
        assert!(
            tags.iter().all(|t| t.starts_with("<code>") || t.starts_with("</code>")),
            "{html}"
        );
    }
}
