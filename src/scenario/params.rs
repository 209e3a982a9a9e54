//! Scenario params: values drawn per attempt from a seed, so answers cannot be memorised.
//!
//! Generation is pure: (spec, seed) -> value, the same on every machine and version. This
//! module must not read clocks, files or the OS RNG.

use serde::Deserialize;
use serde_json::Value;

use super::prng::SplitMix64;
use super::template::{Renderer, TemplateError};

/// How one param gets its value (written as a single-key map in `params:`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum ParamSpec {
    /// One of these values, uniformly.
    Pick(Vec<Value>),
    /// An integer in `min..=max`, uniformly.
    Range(RangeSpec),
    /// A DNS-1123 name: `prefix-` and `length` random lowercase letters and digits.
    Name(NameSpec),
    /// A fixed value.
    Value(Value),
    /// Text rendered from params declared above.
    Template(String),
    /// An integer computed by a template from params declared above (`"{{ port + 1 }}"`).
    Int(String),
}

/// Bounds of a `range` param.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeSpec {
    /// Smallest value.
    pub min: i64,
    /// Largest value.
    pub max: i64,
}

/// Shape of a generated `name` param.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameSpec {
    /// Fixed start, e.g. `shop` gives `shop-x7k2q`.
    pub prefix: String,
    /// Random characters after the dash (default 5).
    #[serde(default = "default_name_length")]
    pub length: u8,
}

const fn default_name_length() -> u8 {
    5
}

const NAME_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// Why a param could not be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// `pick: []`.
    #[error("`pick` needs at least one value")]
    EmptyPick,
    /// `pick` with a list or map value.
    #[error("`pick` values must be strings, numbers or booleans")]
    NonScalarPick,
    /// `min > max`.
    #[error("`range` min {min} is greater than max {max}")]
    EmptyRange {
        /// Smallest value as written.
        min: i64,
        /// Largest value as written.
        max: i64,
    },
    /// A generated name that would not be a DNS-1123 label.
    #[error("`name` {0}")]
    BadName(String),
    /// A template that did not render.
    #[error("template: {}", .0.with_inner_position())]
    Template(#[from] TemplateError),
    /// An `int` template that rendered to something else.
    #[error("`int` template rendered `{0}`, which is not an integer")]
    NotAnInteger(String),
}

impl ParamSpec {
    /// Draw this param's value for `seed`. `renderer` holds the params declared above.
    pub fn generate(&self, name: &str, seed: u64, renderer: &Renderer) -> Result<Value, ParamError> {
        let mut rng = SplitMix64::for_param(seed, name);
        match self {
            Self::Pick(values) => {
                if values.iter().any(|v| v.is_array() || v.is_object() || v.is_null()) {
                    return Err(ParamError::NonScalarPick);
                }
                let count = u64::try_from(values.len()).map_err(|_| ParamError::EmptyPick)?;
                if count == 0 {
                    return Err(ParamError::EmptyPick);
                }
                let index = usize::try_from(rng.below(count)).map_err(|_| ParamError::EmptyPick)?;
                Ok(values[index].clone())
            }
            Self::Range(RangeSpec { min, max }) => {
                if min > max {
                    return Err(ParamError::EmptyRange { min: *min, max: *max });
                }
                // Two's-complement distance; the span of any i64 range fits in u64 (+1 handled).
                let span = max.wrapping_sub(*min).cast_unsigned();
                let offset = match span.checked_add(1) {
                    Some(n) => rng.below(n),
                    None => rng.next_u64(),
                };
                Ok(Value::from(min.wrapping_add_unsigned(offset)))
            }
            Self::Name(spec) => generate_name(spec, &mut rng),
            Self::Value(value) => Ok(value.clone()),
            Self::Template(text) => Ok(Value::String(renderer.render_str(text)?)),
            Self::Int(text) => {
                let output = renderer.render_str(text)?;
                output
                    .trim()
                    .parse::<i64>()
                    .map(Value::from)
                    .map_err(|_| ParamError::NotAnInteger(output))
            }
        }
    }
}

fn generate_name(spec: &NameSpec, rng: &mut SplitMix64) -> Result<Value, ParamError> {
    let mut name = spec.prefix.clone();
    if spec.length > 0 {
        name.push('-');
    }
    for _ in 0..spec.length {
        let index = usize::try_from(rng.below(NAME_ALPHABET.len() as u64)).unwrap_or(0);
        name.push(char::from(NAME_ALPHABET[index]));
    }
    graders::names::check_dns1123_label(&name).map_err(ParamError::BadName)?;
    Ok(Value::String(name))
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, json};

    use super::{NameSpec, ParamError, ParamSpec, RangeSpec};
    use crate::scenario::template::Renderer;

    fn generate(spec: &ParamSpec, seed: u64) -> Result<serde_json::Value, ParamError> {
        let mut values = Map::new();
        values.insert("port".into(), json!(8080));
        spec.generate("p", seed, &Renderer::new(values))
    }

    #[test]
    fn pick_and_range_are_deterministic_and_in_bounds() {
        let pick = ParamSpec::Pick(vec![json!("a"), json!("b"), json!("c")]);
        let range = ParamSpec::Range(RangeSpec { min: 30000, max: 30005 });
        for seed in 0..50 {
            assert_eq!(generate(&pick, seed), generate(&pick, seed));
            let v = generate(&range, seed).expect("in range").as_i64().expect("int");
            assert!((30000..=30005).contains(&v));
        }
        let distinct: std::collections::BTreeSet<String> =
            (0..50).map(|s| generate(&pick, s).expect("ok").to_string()).collect();
        assert_eq!(distinct.len(), 3, "all values get drawn");
    }

    #[test]
    fn full_i64_range_and_single_value_range() {
        let full = ParamSpec::Range(RangeSpec {
            min: i64::MIN,
            max: i64::MAX,
        });
        assert!(generate(&full, 1).expect("ok").is_i64());
        let one = ParamSpec::Range(RangeSpec { min: 5, max: 5 });
        assert_eq!(generate(&one, 9).expect("ok"), json!(5));
    }

    #[test]
    fn names_are_dns_labels() {
        let spec = ParamSpec::Name(NameSpec {
            prefix: "shop".into(),
            length: 5,
        });
        let name = generate(&spec, 3).expect("ok");
        let text = name.as_str().expect("string");
        assert!(text.starts_with("shop-") && text.len() == 10, "{text}");
        let bad = ParamSpec::Name(NameSpec {
            prefix: "Shop".into(),
            length: 2,
        });
        assert!(matches!(generate(&bad, 1), Err(ParamError::BadName(_))));
        let long = ParamSpec::Name(NameSpec {
            prefix: "x".repeat(60),
            length: 5,
        });
        assert!(matches!(generate(&long, 1), Err(ParamError::BadName(_))));
    }

    #[test]
    fn errors_for_bad_specs() {
        assert_eq!(generate(&ParamSpec::Pick(vec![]), 1), Err(ParamError::EmptyPick));
        assert_eq!(
            generate(&ParamSpec::Pick(vec![json!([1])]), 1),
            Err(ParamError::NonScalarPick)
        );
        assert!(matches!(
            generate(&ParamSpec::Range(RangeSpec { min: 2, max: 1 }), 1),
            Err(ParamError::EmptyRange { .. })
        ));
        assert_eq!(generate(&ParamSpec::Int("{{ port + 1 }}".into()), 1), Ok(json!(8081)));
        assert!(matches!(
            generate(&ParamSpec::Int("x{{ port }}".into()), 1),
            Err(ParamError::NotAnInteger(_))
        ));
        assert!(matches!(
            generate(&ParamSpec::Template("{{ nope }}".into()), 1),
            Err(ParamError::Template(_))
        ));
    }
}
