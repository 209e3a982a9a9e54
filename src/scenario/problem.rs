//! A problem found in a scenario: which file, where, which field, what, and what to do.
//!
//! Data only; the printer decides how problems look.

use std::fmt;

use serde::Serialize;
use serde_saphyr::Location;

/// One problem in a scenario folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file, as the user would open it (`scenarios/x/scenario.yaml`, or `builtin:...`).
    pub file: String,
    /// 1-based line, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// 1-based column, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
    /// The field path (`checks[2].with.port`), when one applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The seeds it occurs with, when only some of those linted (empty: every seed, or it does
    /// not depend on one).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub seeds: Vec<u64>,
}

impl Problem {
    /// A problem in `file` with no position yet.
    #[must_use]
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            line: None,
            column: None,
            field: None,
            message: message.into(),
            hint: None,
            seeds: Vec::new(),
        }
    }

    /// Set the position from a parser location (ignored when the location is unknown).
    #[must_use]
    pub fn at(mut self, location: &Location) -> Self {
        if location.line() > 0 {
            self.line = Some(location.line());
            self.column = Some(location.column());
        }
        self
    }

    /// Set the field path.
    #[must_use]
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Set the hint.
    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// serde-saphyr's message without its source snippet, position suffix or developer advice.
#[must_use]
pub fn yaml_message(error: &serde_saphyr::Error) -> String {
    let text = error.without_snippet().to_string();
    let first = text.lines().next().unwrap_or_default().trim_start_matches("error: ");
    let message = first.rfind(" at line ").map_or(first, |i| &first[..i]);
    message.replace(", set DuplicateKeyPolicy in Options if acceptable", "")
}

impl fmt::Display for Problem {
    /// `file:line:column: field: message` (the `hint` is printed on its own line elsewhere).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        if let Some(field) = &self.field {
            write!(f, ": `{field}`")?;
        }
        write!(f, ": {}", self.message)?;
        match self.seeds.as_slice() {
            [] => Ok(()),
            [seed] => write!(f, " (with seed {seed})"),
            seeds => {
                let list: Vec<String> = seeds.iter().map(u64::to_string).collect();
                write!(f, " (with seeds {})", list.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Problem, yaml_message};

    #[test]
    fn yaml_messages_are_one_clean_line() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Doc {
            #[allow(dead_code)]
            a: u32,
        }
        let unknown = serde_saphyr::from_str::<Doc>("a: 1\nb: 2\n").expect_err("unknown field");
        assert_eq!(yaml_message(&unknown), "unknown field `b`, expected one of a");
        let duplicate = serde_saphyr::from_str::<Doc>("a: 1\na: 2\n").expect_err("duplicate");
        assert_eq!(yaml_message(&duplicate), "duplicate mapping key: a");
    }

    #[test]
    fn displays_file_position_field_and_message_on_one_line() {
        let mut p = Problem::new("scenarios/x/scenario.yaml", "unknown field `pints`").field("checks[0]");
        p.line = Some(5);
        p.column = Some(5);
        assert_eq!(
            p.to_string(),
            "scenarios/x/scenario.yaml:5:5: `checks[0]`: unknown field `pints`"
        );
        assert_eq!(Problem::new("f", "m").to_string(), "f: m");
        p.seeds = vec![2, 4];
        assert!(
            p.to_string().ends_with("unknown field `pints` (with seeds 2, 4)"),
            "{p}"
        );
        p.seeds = vec![3];
        assert!(p.to_string().ends_with("(with seed 3)"), "{p}");
    }
}
