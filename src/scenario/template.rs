//! Rendering scenario text with tera: strings, YAML value trees and manifest files.
//!
//! Undefined variables are errors. A string that is exactly one `{{ name }}` takes the param's
//! own type (so `port: "{{ port }}"` stays an integer); any other string renders to text.
//! This module renders; it must not read files or know about scenarios' structure.

use serde_json::{Map, Value};

/// A rendering context: the params of one attempt, plus `seed` and `scenario_id`.
pub struct Renderer {
    tera: tera::Tera,
    context: tera::Context,
    values: Map<String, Value>,
}

/// A template that did not render, with tera's first-line reason and where it points.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    /// Tera's explanation, flattened to one line.
    pub message: String,
    /// 1-based (line, column) inside the template, when tera gives it.
    pub position: Option<(u64, u64)>,
}

impl TemplateError {
    /// The message with the position inside the template appended, for templates embedded in a
    /// larger file (where the position is not a file position).
    #[must_use]
    pub fn with_inner_position(&self) -> String {
        match self.position {
            Some((line, column)) => format!("{} (at {line}:{column} of the template)", self.message),
            None => self.message.clone(),
        }
    }
}

impl Renderer {
    /// A renderer over these values (param name -> value).
    #[must_use]
    pub fn new(values: Map<String, Value>) -> Self {
        let mut context = tera::Context::new();
        for (name, value) in &values {
            context.insert(name.clone(), value);
        }
        Self {
            tera: tera::Tera::new(),
            context,
            values,
        }
    }

    /// The values rendering sees.
    #[must_use]
    pub fn values(&self) -> &Map<String, Value> {
        &self.values
    }

    /// Add or replace one value (params may use params declared before them).
    pub fn insert(&mut self, name: &str, value: Value) {
        self.context.insert(name.to_owned(), &value);
        self.values.insert(name.to_owned(), value);
    }

    /// Render a text template.
    pub fn render_str(&self, template: &str) -> Result<String, TemplateError> {
        if !is_template(template) {
            return Ok(template.to_owned());
        }
        self.tera
            .render_str(template, &self.context, false)
            .map_err(|e| one_line(&e))
    }

    /// Render every string (and map key) in a value tree; see the module docs for typing.
    pub fn render_value(&self, value: &Value) -> Result<Value, TemplateError> {
        Ok(match value {
            Value::String(text) => match self.whole_reference(text) {
                Some(typed) => typed.clone(),
                None => Value::String(self.render_str(text)?),
            },
            Value::Array(items) => Value::Array(items.iter().map(|i| self.render_value(i)).collect::<Result<_, _>>()?),
            Value::Object(map) => {
                let mut rendered = Map::with_capacity(map.len());
                for (key, child) in map {
                    rendered.insert(self.render_str(key)?, self.render_value(child)?);
                }
                Value::Object(rendered)
            }
            other => other.clone(),
        })
    }

    /// For each line `template` renders to, the template line it comes from (1-based), so a
    /// problem found in the output can name the line the author wrote: a line a loop repeats
    /// maps to the loop body's line. `None` when the origin cannot be traced exactly (tags
    /// spanning lines with whitespace control, raw blocks): callers then must not guess.
    #[must_use]
    pub fn line_origins(&self, template: &str) -> Option<Vec<u64>> {
        let plain = self.render_str(template).ok()?;
        let traced = self.render_str(&mark_lines(template)).ok()?;
        let origins = origins_of(&traced);
        (strip_marks(&traced) == plain && origins.len() == plain.split_inclusive('\n').count()).then_some(origins)
    }

    fn whole_reference(&self, text: &str) -> Option<&Value> {
        let inner = text.trim().strip_prefix("{{")?.strip_suffix("}}")?.trim();
        is_identifier(inner).then(|| self.values.get(inner)).flatten()
    }
}

/// Whether a string uses tera syntax at all.
#[must_use]
pub fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%") || text.contains("{#")
}

/// A name tera can use as a variable: `[a-z_][a-z0-9_]*`.
#[must_use]
pub fn is_identifier(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Brackets a line number in rendered text; neither character can appear in a manifest.
const MARK_OPEN: char = '\u{1}';
const MARK_CLOSE: char = '\u{2}';

/// `template` with each line's number marked where it cannot change the template's meaning:
/// at the end of the line, or at its start when the line ends inside a tag; never where it
/// would stop a `{%-`/`-%}` whitespace trim.
fn mark_lines(template: &str) -> String {
    let mut out = String::with_capacity(template.len() * 2);
    let mut in_tag = false;
    for (number, line) in (1_u64..).zip(template.split_inclusive('\n')) {
        let body = line.trim_end_matches(['\n', '\r']);
        let starts_in_tag = in_tag;
        in_tag = ends_inside_tag(body, in_tag);
        let content = body.trim_end();
        let mark = format!("{MARK_OPEN}{number}{MARK_CLOSE}");
        if in_tag {
            let trims_before = ["{{-", "{%-", "{#-"]
                .iter()
                .any(|t| content.trim_start().starts_with(t));
            if !starts_in_tag && !trims_before {
                out.push_str(&mark);
            }
            out.push_str(content);
        } else {
            out.push_str(content);
            if !["-}}", "-%}", "-#}"].iter().any(|t| content.ends_with(t)) {
                out.push_str(&mark);
            }
        }
        out.push_str(&line[content.len()..]);
    }
    out
}

/// Whether a tera tag (`{{`, `{%`, `{#`) is still open at the end of `line`.
fn ends_inside_tag(line: &str, mut in_tag: bool) -> bool {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        let pair = (bytes[i], bytes[i + 1]);
        if !in_tag && pair.0 == b'{' && matches!(pair.1, b'{' | b'%' | b'#') {
            in_tag = true;
            i += 2;
        } else if in_tag && matches!(pair.0, b'}' | b'%' | b'#') && pair.1 == b'}' {
            in_tag = false;
            i += 2;
        } else {
            i += 1;
        }
    }
    in_tag
}

/// Each output line's template line: its first mark, else the next mark after it (a value
/// rendered over several lines is marked on its last).
fn origins_of(traced: &str) -> Vec<u64> {
    let firsts: Vec<Option<u64>> = traced.split_inclusive('\n').map(first_mark).collect();
    let mut origins = vec![0; firsts.len()];
    let mut next = firsts.iter().rev().find_map(|m| *m).unwrap_or(0);
    for (origin, first) in origins.iter_mut().zip(&firsts).rev() {
        if let Some(mark) = first {
            next = *mark;
        }
        *origin = next;
    }
    origins
}

fn first_mark(line: &str) -> Option<u64> {
    let start = line.find(MARK_OPEN)? + MARK_OPEN.len_utf8();
    let end = start + line[start..].find(MARK_CLOSE)?;
    line[start..end].parse().ok()
}

fn strip_marks(traced: &str) -> String {
    let mut out = String::with_capacity(traced.len());
    let mut in_mark = false;
    for c in traced.chars() {
        match c {
            MARK_OPEN => in_mark = true,
            MARK_CLOSE => in_mark = false,
            _ if !in_mark => out.push(c),
            _ => {}
        }
    }
    out
}

/// Tera's multi-line report (message, then `--> name:line:column` and a snippet) as one
/// message and a position.
fn one_line(error: &tera::Error) -> TemplateError {
    let text = error.to_string();
    let mut lines = text.lines();
    let message = lines
        .next()
        .unwrap_or("template error")
        .trim_start_matches("error: ")
        .trim()
        .to_owned();
    let position = lines.find_map(|l| l.trim().strip_prefix("--> ")).and_then(|place| {
        let mut parts = place.rsplitn(3, ':');
        let column = parts.next()?.parse().ok()?;
        let line = parts.next()?.parse().ok()?;
        Some((line, column))
    });
    TemplateError { message, position }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value, json};

    use super::{Renderer, is_identifier};

    fn renderer() -> Renderer {
        let Value::Object(values) = json!({"port": 8080, "app": "web", "labels": {"tier": "fe"}}) else {
            unreachable!("literal object")
        };
        Renderer::new(values)
    }

    #[test]
    fn whole_reference_keeps_the_param_type() {
        let r = renderer();
        assert_eq!(r.render_value(&json!("{{ port }}")).expect("renders"), json!(8080));
        assert_eq!(r.render_value(&json!("{{port}}")).expect("renders"), json!(8080));
        assert_eq!(
            r.render_value(&json!("{{ labels }}")).expect("renders"),
            json!({"tier": "fe"})
        );
        assert_eq!(r.render_value(&json!("p{{ port }}")).expect("renders"), json!("p8080"));
        assert_eq!(
            r.render_value(&json!("{{ port + 1 }}")).expect("renders"),
            json!("8081")
        );
    }

    #[test]
    fn renders_keys_nested_values_and_leaves_plain_text() {
        let r = renderer();
        let tree = json!({"{{ app }}-svc": [{"port": "{{ port }}"}, "plain", 3, true, null]});
        let expected = json!({"web-svc": [{"port": 8080}, "plain", 3, true, null]});
        assert_eq!(r.render_value(&tree).expect("renders"), expected);
    }

    #[test]
    fn undefined_variables_are_errors_with_a_position() {
        let err = renderer().render_str("name: {{ ap }}").expect_err("undefined");
        assert!(err.message.contains("`ap` is not defined"), "{}", err.message);
        assert_eq!(err.position, Some((1, 10)));
        assert!(!err.message.contains('\n'));
        assert!(err.with_inner_position().ends_with("(at 1:10 of the template)"));
        assert!(renderer().render_value(&json!("{{ missing }}")).is_err());
    }

    #[test]
    fn syntax_errors_are_reported() {
        assert!(renderer().render_str("{{ app }").is_err());
        assert!(renderer().render_str("{% if app %}x").is_err());
    }

    /// (template, what it renders to, the template line of each rendered line).
    const TRACED: &[(&str, &str, &[u64])] = &[
        ("a: 1\nb: 2\n", "a: 1\nb: 2\n", &[1, 2]),
        (
            // A loop's body lines repeat; the line after the loop is line 6.
            "a: {{ app }}\n{% for i in [1, 2] %}\n---\nitem: {{ i }}\n{% endfor %}\nlast: {{ port }}\n",
            "a: web\n\n---\nitem: 1\n\n---\nitem: 2\n\nlast: 8080\n",
            &[1, 2, 3, 4, 2, 3, 4, 5, 6],
        ),
        (
            // Whitespace control keeps its meaning; `b` is written on line 3, inside a tag.
            "a: 1\n{%- if app %}\nb: {{\n  port }}\n{% endif -%}\nc: 3\n",
            "a: 1\nb: 8080\nc: 3\n",
            &[1, 3, 6],
        ),
    ];

    #[test]
    fn rendered_lines_trace_back_to_the_template_line_they_come_from() {
        let r = renderer();
        for (template, rendered, origins) in TRACED {
            assert_eq!(r.render_str(template).expect("renders"), *rendered);
            assert_eq!(r.line_origins(template).as_deref(), Some(*origins), "{template}");
        }
        assert_eq!(r.line_origins("{{ nope }}"), None, "a template that does not render");
    }

    #[test]
    fn identifiers() {
        assert!(is_identifier("wrong_port"));
        assert!(!is_identifier("wrong-port"));
        assert!(!is_identifier("Port"));
        assert!(!is_identifier("1x"));
        assert!(Renderer::new(Map::new()).render_str("no templates here").is_ok());
    }
}
