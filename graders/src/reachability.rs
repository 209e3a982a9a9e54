//! `reachability`: a static assertion answered by the reachability analyzer over the observed
//! state, with no traffic. Two forms: one flow (`from` + `expect`: "a pod labelled
//! role=stranger cannot reach the api"), or exclusivity (`onlyFrom`: "no source outside these
//! pods, in any namespace or outside the cluster, can reach the api").
//!
//! Parameters and validation only: this module must not evaluate anything.

use serde::{Deserialize, Serialize};

use crate::ParamProblem;
use crate::target::{Destination, Expectation, PodSet};

/// Parameters of a `reachability` check: `to`, and either `from` with `expect` or `onlyFrom`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Params {
    /// Source pods (a hypothetical pod with exactly `matchLabels` when none exists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<PodSet>,
    /// Destination.
    pub to: Destination,
    /// Expected verdict of the analysis of `from`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expectation>,
    /// The only sources that may reach `to`; every other source must be blocked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only_from: Option<Vec<PodSet>>,
}

/// Which assertion a well-formed [`Params`] makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form<'a> {
    /// One flow from `from` is predicted `expect`.
    Flow {
        /// The source pods.
        from: &'a PodSet,
        /// The expected verdict.
        expect: Expectation,
    },
    /// No source outside these sets reaches the destination.
    Exclusive(&'a [PodSet]),
}

impl Params {
    /// The form these parameters take, or `None` when they mix or lack both (see
    /// [`Params::problems`]).
    #[must_use]
    pub fn form(&self) -> Option<Form<'_>> {
        match (&self.from, self.expect, &self.only_from) {
            (Some(from), Some(expect), None) => Some(Form::Flow { from, expect }),
            (None, None, Some(allowed)) if !allowed.is_empty() => Some(Form::Exclusive(allowed)),
            _ => None,
        }
    }

    /// Problems in the form, the source sets and the destination.
    #[must_use]
    pub fn problems(&self) -> Vec<ParamProblem> {
        let mut problems = self.form_problems();
        if let Some(from) = &self.from {
            problems.extend(from.problems("from"));
        }
        for (index, set) in self.only_from.iter().flatten().enumerate() {
            problems.extend(set.problems(&format!("onlyFrom[{index}]")));
        }
        problems.extend(self.to.problems("to"));
        if self.to.host.is_some() || self.to.node.is_some() {
            problems.push(ParamProblem::new(
                "to",
                "the analyzer reasons about `service` and `pod` destinations only",
            ));
        }
        problems
    }

    fn form_problems(&self) -> Vec<ParamProblem> {
        let problem = match (&self.from, self.expect, &self.only_from) {
            (_, _, Some(_)) if self.from.is_some() || self.expect.is_some() => Some((
                "onlyFrom",
                "`onlyFrom` replaces `from` and `expect`: write one flow (`from` + `expect`) or exclusivity (`onlyFrom`), not both",
            )),
            (None, None, None) => Some((
                "from",
                "set `from` and `expect` (one flow), or `onlyFrom` (the only sources that may reach `to`)",
            )),
            (Some(_), None, None) => Some(("expect", "`from` needs `expect`: `allowed` or `blocked`")),
            (None, Some(_), None) => Some(("from", "`expect` needs `from`: the source pods")),
            (None, None, Some(allowed)) if allowed.is_empty() => Some((
                "onlyFrom",
                "`onlyFrom` is empty: list at least one allowed source (namespace and selector)",
            )),
            _ => None,
        };
        problem
            .map(|(field, message)| ParamProblem::new(field, message))
            .into_iter()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Form, Params};

    fn params(with: serde_json::Value) -> Params {
        serde_json::from_value(with).expect("parses")
    }

    fn fields(with: serde_json::Value) -> Vec<String> {
        params(with).problems().into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn exactly_one_form() {
        let to = json!({"service": "api", "namespace": "shop", "port": 8080});
        let from = json!({"namespace": "shop", "selector": {"matchLabels": {"app": "frontend"}}});
        let flow = json!({"from": from, "to": to, "expect": "allowed"});
        assert!(matches!(params(flow.clone()).form(), Some(Form::Flow { .. })));
        assert_eq!(fields(flow), Vec::<String>::new());
        let only = json!({"to": to, "onlyFrom": [from]});
        assert!(matches!(params(only.clone()).form(), Some(Form::Exclusive(sets)) if sets.len() == 1));
        assert_eq!(fields(only), Vec::<String>::new());

        let table = [
            (
                json!({"to": to, "onlyFrom": [from], "from": from, "expect": "blocked"}),
                "onlyFrom",
            ),
            (json!({"to": to, "onlyFrom": [from], "expect": "blocked"}), "onlyFrom"),
            (json!({"to": to, "onlyFrom": [from], "from": from}), "onlyFrom"),
            (json!({"to": to}), "from"),
            (json!({"to": to, "from": from}), "expect"),
            (json!({"to": to, "expect": "allowed"}), "from"),
            (json!({"to": to, "onlyFrom": []}), "onlyFrom"),
        ];
        for (with, field) in table {
            let p = params(with.clone());
            assert_eq!(p.form(), None, "{with}");
            assert_eq!(fields(with.clone()), [field], "{with}");
        }
    }

    #[test]
    fn allowed_sources_and_destination_are_validated() {
        let bad_set = json!({"namespace": "Shop_", "selector": {"matchLabels": {"app": "frontend"}}});
        let good_set = json!({"namespace": "shop", "selector": {}});
        let to = json!({"service": "api", "namespace": "shop", "port": 8080});
        assert_eq!(
            fields(json!({"to": to, "onlyFrom": [good_set, bad_set]})),
            ["onlyFrom[1].namespace"]
        );
        let host = json!({"host": "example.com", "port": 80});
        let problems = fields(json!({"to": host, "onlyFrom": [good_set]}));
        assert!(problems.iter().all(|f| f == "to"), "{problems:?}");
        assert!(!problems.is_empty());
        let no_namespace = json!({"service": "api", "port": 8080});
        assert_eq!(
            fields(json!({"to": no_namespace, "onlyFrom": [good_set]})),
            ["to.namespace"]
        );
    }

    #[test]
    fn the_flow_form_serializes_as_before() {
        let with = json!({"from": {"namespace": "shop", "selector": {"matchLabels": {"app": "x"}}},
            "to": {"service": "api", "namespace": "shop", "port": 8080}, "expect": "blocked"});
        let back = serde_json::to_value(params(with.clone())).expect("serializes");
        assert_eq!(back["expect"], "blocked");
        assert!(back.get("onlyFrom").is_none());
        assert_eq!(back["from"], with["from"]);
    }
}
