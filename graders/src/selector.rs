//! Kubernetes label selectors (`matchLabels` + `matchExpressions`), exactly as the API server
//! evaluates them.
//!
//! Pure data and matching; no I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::names::{check_label_key, check_label_value};

/// A label selector as written in Kubernetes objects. An empty selector selects everything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelSelector {
    /// Every pair must be present with an equal value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub match_labels: BTreeMap<String, String>,
    /// Every expression must hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<Requirement>,
}

/// One `matchExpressions` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Requirement {
    /// The label key.
    pub key: String,
    /// How the key's value is compared.
    pub operator: Operator,
    /// Values for `In`/`NotIn`; must be empty for `Exists`/`DoesNotExist`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

/// `matchExpressions` operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Operator {
    /// Key present with one of the values.
    In,
    /// Key absent, or present with none of the values.
    NotIn,
    /// Key present.
    Exists,
    /// Key absent.
    DoesNotExist,
}

impl LabelSelector {
    /// A selector with only `matchLabels`.
    #[must_use]
    pub fn from_labels(labels: BTreeMap<String, String>) -> Self {
        Self {
            match_labels: labels,
            match_expressions: Vec::new(),
        }
    }

    /// Whether these labels are selected (empty selector: always).
    #[must_use]
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels.iter().all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| r.matches(labels))
    }

    /// The selector as the API's `labelSelector` query parameter (`app=web,tier in (a,b),!x`).
    #[must_use]
    pub fn to_query(&self) -> String {
        let labels = self.match_labels.iter().map(|(k, v)| format!("{k}={v}"));
        let expressions = self.match_expressions.iter().map(|r| match r.operator {
            Operator::In => format!("{} in ({})", r.key, r.values.join(",")),
            Operator::NotIn => format!("{} notin ({})", r.key, r.values.join(",")),
            Operator::Exists => r.key.clone(),
            Operator::DoesNotExist => format!("!{}", r.key),
        });
        labels.chain(expressions).collect::<Vec<_>>().join(",")
    }

    /// Whether this selector selects everything.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    /// Syntax problems, as the API server would report them.
    #[must_use]
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (key, value) in &self.match_labels {
            problems.extend(check_label_key(key).err());
            problems.extend(check_label_value(value).err());
        }
        for requirement in &self.match_expressions {
            problems.extend(check_label_key(&requirement.key).err());
            let needs_values = matches!(requirement.operator, Operator::In | Operator::NotIn);
            if needs_values == requirement.values.is_empty() {
                problems.push(format!(
                    "matchExpressions `{}` {:?}: values must be {}",
                    requirement.key,
                    requirement.operator,
                    if needs_values { "non-empty" } else { "empty" }
                ));
            }
            problems.extend(requirement.values.iter().filter_map(|v| check_label_value(v).err()));
        }
        problems
    }
}

impl Requirement {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let value = labels.get(&self.key);
        match self.operator {
            Operator::In => value.is_some_and(|v| self.values.contains(v)),
            Operator::NotIn => value.is_none_or(|v| !self.values.contains(v)),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::{LabelSelector, Operator, Requirement};

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn query_form_matches_kubectl_syntax() {
        let mut selector = LabelSelector::from_labels(labels(&[("app", "web"), ("tier", "be")]));
        assert_eq!(selector.to_query(), "app=web,tier=be");
        selector.match_expressions = expr("env", Operator::In, &["a", "b"]).match_expressions;
        selector
            .match_expressions
            .extend(expr("x", Operator::DoesNotExist, &[]).match_expressions);
        selector
            .match_expressions
            .extend(expr("y", Operator::Exists, &[]).match_expressions);
        selector
            .match_expressions
            .extend(expr("z", Operator::NotIn, &["c"]).match_expressions);
        assert_eq!(selector.to_query(), "app=web,tier=be,env in (a,b),!x,y,z notin (c)");
        assert_eq!(LabelSelector::default().to_query(), "");
    }

    fn expr(key: &str, operator: Operator, values: &[&str]) -> LabelSelector {
        LabelSelector {
            match_labels: BTreeMap::new(),
            match_expressions: vec![Requirement {
                key: key.to_owned(),
                operator,
                values: values.iter().map(|v| (*v).to_owned()).collect(),
            }],
        }
    }

    #[test]
    fn empty_selector_selects_everything() {
        assert!(LabelSelector::default().matches(&labels(&[])));
        assert!(LabelSelector::default().matches(&labels(&[("app", "x")])));
    }

    #[test]
    fn match_labels_needs_every_pair() {
        let sel = LabelSelector::from_labels(labels(&[("app", "web"), ("tier", "fe")]));
        assert!(sel.matches(&labels(&[("app", "web"), ("tier", "fe"), ("extra", "1")])));
        assert!(!sel.matches(&labels(&[("app", "web")])));
        assert!(!sel.matches(&labels(&[("app", "web"), ("tier", "be")])));
    }

    #[test]
    fn expressions_follow_kubernetes_semantics() {
        let table = [
            (expr("env", Operator::In, &["a", "b"]), &[("env", "a")][..], true),
            (expr("env", Operator::In, &["a", "b"]), &[][..], false),
            (expr("env", Operator::NotIn, &["a"]), &[][..], true),
            (expr("env", Operator::NotIn, &["a"]), &[("env", "a")][..], false),
            (expr("env", Operator::NotIn, &["a"]), &[("env", "c")][..], true),
            (expr("env", Operator::Exists, &[]), &[("env", "")][..], true),
            (expr("env", Operator::Exists, &[]), &[][..], false),
            (expr("env", Operator::DoesNotExist, &[]), &[][..], true),
            (expr("env", Operator::DoesNotExist, &[]), &[("env", "x")][..], false),
        ];
        for (selector, pod, expected) in table {
            assert_eq!(selector.matches(&labels(pod)), expected, "{selector:?} on {pod:?}");
        }
    }

    #[test]
    fn problems_reports_bad_syntax_and_operator_values() {
        assert!(expr("env", Operator::In, &[]).problems()[0].contains("non-empty"));
        assert!(expr("env", Operator::Exists, &["x"]).problems()[0].contains("empty"));
        assert_eq!(
            LabelSelector::from_labels(labels(&[("-bad", "ok")])).problems().len(),
            1
        );
        assert!(expr("env", Operator::In, &["a"]).problems().is_empty());
    }
}
