//! Human durations as scenario authors write them: `90s`, `8m`, `1h30m`, `250ms`.
//!
//! This module only parses and formats; it must not read clocks (time is injected elsewhere).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A non-negative duration written as a sequence of `<integer><unit>` parts (`h`, `m`, `s`, `ms`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(std::time::Duration);

/// Why a duration string was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Nothing to parse.
    #[error("empty duration; write it like `90s`, `8m` or `1h30m`")]
    Empty,
    /// A part has no digits before its unit, or no unit after its digits.
    #[error("`{0}` is not a duration; write it like `90s`, `8m` or `1h30m`")]
    Malformed(String),
    /// A unit other than h, m, s, ms.
    #[error("unknown unit `{unit}` in `{input}`; use h, m, s or ms")]
    UnknownUnit {
        /// The unit as written.
        unit: String,
        /// The whole input.
        input: String,
    },
    /// The value does not fit.
    #[error("duration `{0}` is too large")]
    Overflow(String),
}

impl Duration {
    /// A duration of whole seconds.
    #[must_use]
    pub const fn from_secs(secs: u64) -> Self {
        Self(std::time::Duration::from_secs(secs))
    }

    /// The standard-library duration.
    #[must_use]
    pub const fn as_std(self) -> std::time::Duration {
        self.0
    }

    /// Whole milliseconds.
    #[must_use]
    pub fn as_millis(self) -> u64 {
        u64::try_from(self.0.as_millis()).unwrap_or(u64::MAX)
    }

    /// Whole seconds (milliseconds are truncated).
    #[must_use]
    pub const fn as_secs(self) -> u64 {
        self.0.as_secs()
    }
}

impl FromStr for Duration {
    type Err = DurationError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let text = input.trim();
        if text.is_empty() {
            return Err(DurationError::Empty);
        }
        let mut total_ms: u64 = 0;
        let mut rest = text;
        while !rest.is_empty() {
            let digits_end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
            let unit_end = rest[digits_end..]
                .find(|c: char| c.is_ascii_digit())
                .map_or(rest.len(), |i| digits_end + i);
            let (digits, unit) = (&rest[..digits_end], &rest[digits_end..unit_end]);
            if digits.is_empty() || unit.is_empty() {
                return Err(DurationError::Malformed(input.to_owned()));
            }
            let factor = match unit {
                "h" => 3_600_000,
                "m" => 60_000,
                "s" => 1_000,
                "ms" => 1,
                other => {
                    return Err(DurationError::UnknownUnit {
                        unit: other.to_owned(),
                        input: input.to_owned(),
                    });
                }
            };
            let overflow = || DurationError::Overflow(input.to_owned());
            let value: u64 = digits.parse().map_err(|_| overflow())?;
            total_ms = value
                .checked_mul(factor)
                .and_then(|ms| total_ms.checked_add(ms))
                .ok_or_else(overflow)?;
            rest = &rest[unit_end..];
        }
        Ok(Self(std::time::Duration::from_millis(total_ms)))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total_ms = self.0.as_millis();
        if total_ms == 0 {
            return f.write_str("0s");
        }
        let (h, m, s, ms) = (
            total_ms / 3_600_000,
            total_ms / 60_000 % 60,
            total_ms / 1_000 % 60,
            total_ms % 1_000,
        );
        for (value, unit) in [(h, "h"), (m, "m"), (s, "s"), (ms, "ms")] {
            if value > 0 {
                write!(f, "{value}{unit}")?;
            }
        }
        Ok(())
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::{Duration, DurationError};

    fn parse(text: &str) -> Result<u128, DurationError> {
        text.parse::<Duration>().map(|d| d.as_std().as_millis())
    }

    #[test]
    fn parses_every_unit_and_combinations() {
        let cases = [
            ("90s", 90_000),
            ("8m", 480_000),
            ("1h30m", 5_400_000),
            ("250ms", 250),
            ("1m30s500ms", 90_500),
            (" 2m ", 120_000),
            ("0s", 0),
        ];
        for (text, ms) in cases {
            assert_eq!(parse(text), Ok(ms), "{text}");
        }
    }

    #[test]
    fn rejects_malformed_input() {
        assert_eq!(parse(""), Err(DurationError::Empty));
        for text in ["10", "m", "1.5m", "-3s", "s10"] {
            assert!(
                matches!(
                    parse(text),
                    Err(DurationError::Malformed(_) | DurationError::UnknownUnit { .. })
                ),
                "{text}"
            );
        }
        assert!(matches!(parse("3d"), Err(DurationError::UnknownUnit { unit, .. }) if unit == "d"));
        assert!(matches!(
            parse("99999999999999999999h"),
            Err(DurationError::Overflow(_))
        ));
    }

    #[test]
    fn display_round_trips() {
        for text in ["1h30m", "8m", "45s", "1m30s500ms", "0s"] {
            let d: Duration = text.parse().expect("valid");
            assert_eq!(d.to_string(), text);
        }
    }
}
