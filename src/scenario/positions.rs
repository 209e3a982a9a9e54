//! Where each key and list item of a YAML document is, by field path (`spec.ports[0].port`,
//! the form `serde_path_to_error` and lint's messages use), so a problem found on parsed values
//! can name the exact line and column it comes from.
//!
//! Pure: text in, positions out. Must not judge the document (that is the caller's job), read
//! files or print.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};

/// A 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    /// 1-based line.
    pub line: u64,
    /// 1-based column.
    pub column: u64,
}

impl From<&Location> for Position {
    fn from(location: &Location) -> Self {
        Self {
            line: location.line(),
            column: location.column(),
        }
    }
}

/// The position of every key (a map entry is where its key is written) and list item of one
/// YAML document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Positions(BTreeMap<String, Position>);

impl Positions {
    /// Index one YAML document; `None` when the text is not YAML.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let root: Option<Node> = serde_saphyr::from_str(text).ok()?;
        let mut positions = BTreeMap::new();
        if let Some(root) = root {
            root.record("", &mut positions);
        }
        Some(Self(positions))
    }

    /// Where `path` is written, exactly.
    #[must_use]
    pub fn exact(&self, path: &str) -> Option<Position> {
        self.0.get(path).copied()
    }

    /// Where `path` is written, else where its nearest written ancestor is (a missing field is
    /// best shown where it belongs).
    #[must_use]
    pub fn nearest(&self, path: &str) -> Option<Position> {
        let mut path = path;
        loop {
            if let Some(position) = self.exact(path) {
                return Some(position);
            }
            path = parent(path)?;
        }
    }
}

/// `a.b[0].c` -> `a.b[0]` -> `a.b` -> `a` -> none.
fn parent(path: &str) -> Option<&str> {
    let cut = path.rfind(['.', '['])?;
    Some(&path[..cut])
}

/// A path's last key (`spec.ports[0].targetPort` -> `targetPort`), `None` for a list item.
#[must_use]
pub fn last_key(path: &str) -> Option<&str> {
    if path.ends_with(']') {
        return None;
    }
    Some(path.rfind('.').map_or(path, |cut| &path[cut + 1..]))
}

/// A YAML node keeping where its children are written.
enum Node {
    Map(Vec<(Spanned<Key>, Spanned<Node>)>),
    Seq(Vec<Spanned<Node>>),
    Scalar,
}

impl Node {
    fn record(&self, path: &str, out: &mut BTreeMap<String, Position>) {
        match self {
            Self::Map(entries) => {
                for (key, value) in entries {
                    let child = if path.is_empty() {
                        key.value.0.clone()
                    } else {
                        format!("{path}.{}", key.value.0)
                    };
                    out.entry(child.clone()).or_insert_with(|| (&key.referenced).into());
                    value.value.record(&child, out);
                }
            }
            Self::Seq(items) => {
                for (index, item) in items.iter().enumerate() {
                    let child = format!("{path}[{index}]");
                    out.entry(child.clone()).or_insert_with(|| (&item.referenced).into());
                    item.value.record(&child, out);
                }
            }
            Self::Scalar => {}
        }
    }
}

/// A map key as text, whatever scalar it is written as.
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a scalar key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(Key(v.to_owned()))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Key, E> {
        Ok(Key(String::new()))
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML node")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<Key>>()? {
            entries.push((key, map.next_value::<Spanned<Node>>()?));
        }
        Ok(Node::Map(entries))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
}

#[cfg(test)]
mod tests {
    use super::{Position, Positions, last_key};

    const SERVICE: &str = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  labels: { app: web }\nspec:\n  selector:\n    app: web\n  ports:\n  - port: 80\n    targetPort: 8080\n  - { name: b, port: 81 }\n";

    const fn at(line: u64, column: u64) -> Position {
        Position { line, column }
    }

    #[test]
    fn keys_are_found_where_they_are_written_not_where_their_value_starts() {
        let p = Positions::parse(SERVICE).expect("yaml");
        assert_eq!(p.exact("kind"), Some(at(2, 1)));
        assert_eq!(
            p.exact("spec.selector"),
            Some(at(7, 3)),
            "the key, not the map on the next line"
        );
        assert_eq!(p.exact("spec.selector.app"), Some(at(8, 5)));
        assert_eq!(p.exact("metadata.labels.app"), Some(at(5, 13)));
        assert_eq!(p.exact("spec.ports[0].targetPort"), Some(at(11, 5)));
        assert_eq!(p.exact("spec.ports[1].port"), Some(at(12, 16)));
        assert_eq!(p.exact("spec.ports[1]"), Some(at(12, 5)));
        assert_eq!(p.exact("spec.nothing"), None);
    }

    #[test]
    fn a_missing_field_is_placed_at_its_nearest_written_ancestor() {
        let p = Positions::parse(SERVICE).expect("yaml");
        assert_eq!(p.nearest("spec.ports[0].protocol"), Some(at(10, 5)));
        assert_eq!(p.nearest("spec.ports[7].name"), Some(at(9, 3)));
        assert_eq!(p.nearest("status.loadBalancer"), None);
        assert_eq!(Positions::parse("a: [\n"), None);
        assert_eq!(Positions::parse("# only a comment\n"), Some(Positions::default()));
    }

    #[test]
    fn last_keys() {
        assert_eq!(last_key("spec.ports[0].targetPort"), Some("targetPort"));
        assert_eq!(last_key("kind"), Some("kind"));
        assert_eq!(last_key("spec.ports[0]"), None);
    }
}
