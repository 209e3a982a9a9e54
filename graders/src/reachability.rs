//! `reachability`: a static assertion answered by the reachability analyzer over the observed
//! state, with no traffic. Three forms: one flow (`from` + `to` + `expect`: "a pod labelled
//! role=stranger cannot reach the api"), exclusive ingress (`to` + `onlyFrom`: "no source
//! outside these pods, in any namespace or outside the cluster, can reach the api"), or
//! exclusive egress (`from` + `onlyTo`: "the web pods reach nothing but the api on its port and
//! CoreDNS on 53").
//!
//! Parameters and validation only: this module must not evaluate anything.

use serde::{Deserialize, Serialize};

use crate::ParamProblem;
use crate::selector::LabelSelector;
use crate::target::{Destination, Expectation, PodSet, namespace_problem};

/// A destination an exclusive-egress check allows: the pods of a namespace (matching a
/// selector, if given), the addresses of a CIDR outside the cluster, or any destination at all
/// (neither), on one port (any port when none is given). `{ port: 53 }` allows DNS to any
/// server; `{ cidr: 198.51.100.0/24, port: 443 }` a partner's HTTPS API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AllowedDestination {
    /// The pods' namespace; none: any destination, pod or address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Which pods of the namespace; none: all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
    /// Addresses outside the cluster (`a.b.c.d/n`), as an `ipBlock` names them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr: Option<String>,
    /// The port number (any protocol); none: every port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}

impl AllowedDestination {
    fn problems(&self, field: &str) -> Vec<ParamProblem> {
        let mut problems: Vec<ParamProblem> = self
            .namespace
            .as_deref()
            .and_then(|ns| namespace_problem(ns, field))
            .into_iter()
            .collect();
        if let Some(cidr) = &self.cidr {
            if crate::analyzer::policy::cidr_block(cidr).is_none() {
                problems.push(ParamProblem::new(
                    format!("{field}.cidr"),
                    format!("`{cidr}` is not a CIDR: write the network address and prefix, as `198.51.100.0/24`"),
                ));
            }
            if self.namespace.is_some() || self.selector.is_some() {
                problems.push(ParamProblem::new(
                    format!("{field}.cidr"),
                    "`cidr` names addresses outside the cluster: no `namespace` or `selector` with it (write two entries)",
                ));
            }
            return problems;
        }
        match (&self.namespace, &self.selector, self.port) {
            (None, Some(_), _) => problems.push(ParamProblem::new(
                format!("{field}.selector"),
                "a selector needs the pods' `namespace`",
            )),
            (None, None, None) => problems.push(ParamProblem::new(
                field,
                "an entry with neither `namespace` nor `port` allows everything: name the pods, the port, or both",
            )),
            _ => {}
        }
        problems
    }
}

/// Parameters of a `reachability` check: `from` + `to` + `expect`, `to` + `onlyFrom`, or
/// `from` + `onlyTo`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Params {
    /// Source pods (a hypothetical pod with exactly `matchLabels` when none exists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<PodSet>,
    /// Destination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Destination>,
    /// Expected verdict of the analysis of `from`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expectation>,
    /// The only sources that may reach `to`; every other source must be blocked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only_from: Option<Vec<PodSet>>,
    /// The only destinations `from` may reach; every other must be blocked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only_to: Option<Vec<AllowedDestination>>,
}

/// Which assertion a well-formed [`Params`] makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form<'a> {
    /// One flow from `from` is predicted `expect`.
    Flow {
        /// The source pods.
        from: &'a PodSet,
        /// The destination.
        to: &'a Destination,
        /// The expected verdict.
        expect: Expectation,
    },
    /// No source outside these sets reaches the destination.
    Exclusive {
        /// The allowed sources.
        allowed: &'a [PodSet],
        /// The destination.
        to: &'a Destination,
    },
    /// The source reaches no destination outside these.
    ExclusiveEgress {
        /// The source pods.
        from: &'a PodSet,
        /// The allowed destinations.
        allowed: &'a [AllowedDestination],
    },
}

impl Params {
    /// The form these parameters take, or `None` when they mix or lack both (see
    /// [`Params::problems`]).
    #[must_use]
    pub fn form(&self) -> Option<Form<'_>> {
        match (&self.from, &self.to, self.expect, &self.only_from, &self.only_to) {
            (Some(from), Some(to), Some(expect), None, None) => Some(Form::Flow { from, to, expect }),
            (None, Some(to), None, Some(allowed), None) if !allowed.is_empty() => Some(Form::Exclusive { allowed, to }),
            (Some(from), None, None, None, Some(allowed)) if !allowed.is_empty() => {
                Some(Form::ExclusiveEgress { from, allowed })
            }
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
        for (index, allowed) in self.only_to.iter().flatten().enumerate() {
            problems.extend(allowed.problems(&format!("onlyTo[{index}]")));
        }
        if let Some(to) = &self.to {
            problems.extend(to.problems("to"));
            if to
                .host
                .as_deref()
                .is_some_and(|h| crate::address::ip_literal(h).is_none())
            {
                problems.push(ParamProblem::new(
                    "to.host",
                    "the analyzer reasons about addresses, not names: write the IP address (a name outside the cluster resolves nowhere it can see)",
                ));
            }
            if to.host.is_some() && self.only_from.is_some() {
                problems.push(ParamProblem::new(
                    "to.host",
                    "`onlyFrom` guards a `service` or `pod`: who may reach an address outside the cluster is not the cluster's to say",
                ));
            }
            if to.node.is_some() {
                problems.push(ParamProblem::new(
                    "to",
                    "the analyzer reasons about `service`, `pod` and `host` (an IP address) destinations only",
                ));
            }
        }
        problems
    }

    fn form_problems(&self) -> Vec<ParamProblem> {
        if self.form().is_some() {
            return Vec::new();
        }
        let only = |field: &str, list_empty: bool| {
            list_empty.then(|| {
                (
                    field.to_owned(),
                    format!("`{field}` is empty: list at least one allowed pod set"),
                )
            })
        };
        let problem = only("onlyFrom", self.only_from.as_ref().is_some_and(Vec::is_empty))
            .or_else(|| only("onlyTo", self.only_to.as_ref().is_some_and(Vec::is_empty)))
            .unwrap_or_else(|| match (&self.from, &self.to, self.expect, &self.only_from, &self.only_to) {
                (_, _, _, Some(_), Some(_)) => (
                    "onlyTo".to_owned(),
                    "`onlyFrom` and `onlyTo` are two checks: write one per check".to_owned(),
                ),
                (_, _, _, Some(_), None) => (
                    "onlyFrom".to_owned(),
                    "`onlyFrom` goes with `to` only (no `from`, no `expect`): the only sources that may reach `to`".to_owned(),
                ),
                (_, _, _, None, Some(_)) => (
                    "onlyTo".to_owned(),
                    "`onlyTo` goes with `from` only (no `to`, no `expect`): the only destinations `from` may reach".to_owned(),
                ),
                (Some(_), Some(_), None, None, None) => ("expect".to_owned(), "`from` needs `expect`: `allowed` or `blocked`".to_owned()),
                (_, None, _, None, None) => (
                    "to".to_owned(),
                    "set `from`, `to` and `expect` (one flow), `to` and `onlyFrom`, or `from` and `onlyTo`".to_owned(),
                ),
                _ => (
                    "from".to_owned(),
                    "set `from` and `expect` (one flow), `onlyFrom` (the only sources that may reach `to`), or `onlyTo` without `to`".to_owned(),
                ),
            });
        vec![ParamProblem::new(problem.0, problem.1)]
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
        assert!(matches!(params(only.clone()).form(), Some(Form::Exclusive { allowed, .. }) if allowed.len() == 1));
        assert_eq!(fields(only), Vec::<String>::new());
        let dns = json!({"namespace": "kube-system", "selector": {"matchLabels": {"k8s-app": "kube-dns"}}, "port": 53});
        let egress = json!({"from": from, "onlyTo": [dns, {"port": 53}, {"namespace": "shop"}]});
        assert!(
            matches!(params(egress.clone()).form(), Some(Form::ExclusiveEgress { allowed, .. }) if allowed[0].port == Some(53))
        );
        assert_eq!(fields(egress), Vec::<String>::new());

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
            (json!({"from": from, "onlyTo": [from], "to": to}), "onlyTo"),
            (json!({"from": from, "onlyTo": [from], "expect": "blocked"}), "onlyTo"),
            (json!({"from": from, "onlyTo": []}), "onlyTo"),
            (json!({"from": from}), "to"),
            (json!({"to": to, "onlyFrom": [from], "onlyTo": [from]}), "onlyTo"),
        ];
        for (with, field) in table {
            let p = params(with.clone());
            assert_eq!(p.form(), None, "{with}");
            assert_eq!(fields(with.clone()), [field], "{with}");
        }
    }

    #[test]
    fn allowed_destinations_are_validated() {
        let from = json!({"namespace": "shop", "selector": {"matchLabels": {"app": "web"}}});
        let only_to = |entry: serde_json::Value| fields(json!({"from": from, "onlyTo": [entry]}));
        assert_eq!(only_to(json!({})), ["onlyTo[0]"], "allows everything");
        assert_eq!(
            only_to(json!({"selector": {"matchLabels": {"app": "db"}}, "port": 5432})),
            ["onlyTo[0].selector"]
        );
        assert_eq!(
            only_to(json!({"namespace": "Shop_", "port": 53})),
            ["onlyTo[0].namespace"]
        );
        assert_eq!(
            only_to(json!({"cidr": "198.51.100.0/24", "port": 443})),
            Vec::<String>::new()
        );
        assert_eq!(
            only_to(json!({"cidr": "198.51.100.0/24"})),
            Vec::<String>::new(),
            "every port of a block"
        );
        assert_eq!(
            only_to(json!({"cidr": "198.51.100.7/24", "port": 443})),
            ["onlyTo[0].cidr"],
            "not the network address"
        );
        assert_eq!(only_to(json!({"cidr": "partner", "port": 443})), ["onlyTo[0].cidr"]);
        assert_eq!(
            only_to(json!({"cidr": "198.51.100.0/24", "namespace": "shop"})),
            ["onlyTo[0].cidr"]
        );
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
        assert_eq!(problems, ["to.host", "to.host"], "a name, and onlyFrom to an address");
        let from = json!({"namespace": "shop", "selector": {}});
        let address = json!({"host": "198.51.100.20", "port": 443});
        assert_eq!(
            fields(json!({"from": from, "to": address, "expect": "allowed"})),
            Vec::<String>::new()
        );
        assert_eq!(
            fields(json!({"from": from, "to": host, "expect": "allowed"})),
            ["to.host"]
        );
        let node = json!({"node": "worker", "port": 30080});
        assert_eq!(fields(json!({"from": from, "to": node, "expect": "allowed"})), ["to"]);
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
