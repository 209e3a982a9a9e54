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

    #[test]
    fn identifiers() {
        assert!(is_identifier("wrong_port"));
        assert!(!is_identifier("wrong-port"));
        assert!(!is_identifier("Port"));
        assert!(!is_identifier("1x"));
        assert!(Renderer::new(Map::new()).render_str("no templates here").is_ok());
    }
}
