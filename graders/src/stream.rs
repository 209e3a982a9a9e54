//! Streaming deserialization of cluster dumps into a [`ClusterState`]: objects are converted one
//! at a time, so a `List` of thousands of objects is never held as one JSON tree.
//!
//! Accepts a single object, a `List` (its `items` streamed), or a sequence of those. Format
//! agnostic (any serde deserializer); no I/O here.

use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::state::ClusterState;

impl<'de> Deserialize<'de> for ClusterState {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut state = Self::default();
        deserializer.deserialize_any(StateVisitor { state: &mut state })?;
        Ok(state)
    }
}

/// Adds what it visits (an object, a `List`, or a sequence of those) to a state.
pub struct StateVisitor<'a> {
    /// Where objects go.
    pub state: &'a mut ClusterState,
}

impl<'de> DeserializeSeed<'de> for StateVisitor<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StateVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Kubernetes object, a List, or a sequence of them")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(StateVisitor {
                state: &mut *self.state,
            })?
            .is_some()
        {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut fields = Map::new();
        let mut kindless = Vec::new();
        let mut is_list = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "items" {
                is_list = true;
                map.next_value_seed(Items {
                    state: &mut *self.state,
                    kindless: &mut kindless,
                })?;
            } else {
                fields.insert(key, map.next_value()?);
            }
        }
        if is_list {
            let item_kind = fields
                .get("kind")
                .and_then(Value::as_str)
                .and_then(|k| k.strip_suffix("List"))
                .filter(|k| !k.is_empty())
                .map(str::to_owned);
            for mut item in kindless {
                if let (Some(kind), Some(object)) = (&item_kind, item.as_object_mut()) {
                    object.insert("kind".to_owned(), Value::String(kind.clone()));
                }
                self.state.add_object(item).map_err(A::Error::custom)?;
            }
            Ok(())
        } else {
            self.state.add_object(Value::Object(fields)).map_err(A::Error::custom)
        }
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// A List's `items`: each buffered alone, then converted; kind-less items are kept for the list
/// to name (`kubectl get pods -o json` style `PodList`s from the API omit item kinds).
struct Items<'a> {
    state: &'a mut ClusterState,
    kindless: &'a mut Vec<Value>,
}

impl<'de> DeserializeSeed<'de> for Items<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Items<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of Kubernetes objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<Value>()? {
            if item.get("kind").is_some() {
                self.state.add_object(item).map_err(A::Error::custom)?;
            } else {
                self.kindless.push(item);
            }
        }
        Ok(())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::state::ClusterState;

    #[test]
    fn streams_lists_objects_and_sequences() {
        let text = r#"[
            {"kind": "List", "apiVersion": "v1", "items": [
                {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "namespace": "n"}},
                {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "n"}}
            ]},
            {"items": [{"metadata": {"name": "p", "namespace": "n"}}], "kind": "PodList", "apiVersion": "v1"},
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}}
        ]"#;
        let state: ClusterState = serde_json::from_str(text).expect("streams");
        assert_eq!(
            (state.services.len(), state.pods.len(), state.namespaces.len()),
            (1, 1, 1)
        );
        assert_eq!(state.ignored.get("Secret"), Some(&1));
    }

    #[test]
    fn schema_errors_surface_as_deserialization_errors() {
        let err = serde_json::from_str::<ClusterState>(
            r#"{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "w"}, "spec": {"ports": 3}}"#,
        )
        .expect_err("invalid");
        assert!(err.to_string().contains("Service `w`"), "{err}");
    }
}
