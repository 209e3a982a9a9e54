//! Partial-tree matching for `assert`: the expected tree names only the fields it cares about;
//! lists are matched with explicit operators, numbers as numbers, never as text.
//!
//! Pure functions over JSON values.

use serde_json::Value;

/// The first place where `actual` does not match `expected`, as (path, explanation).
#[must_use]
pub fn first_mismatch(expected: &Value, actual: Option<&Value>, path: &str) -> Option<(String, String)> {
    match expected {
        Value::Object(map) if map.keys().any(|k| k.starts_with('$')) || !map.is_empty() => {
            for (key, want) in map {
                let mismatch = if let Some(op) = key.strip_prefix('$') {
                    operator_mismatch(op, want, actual, path)
                } else {
                    let child = actual.and_then(|a| a.get(key));
                    first_mismatch(want, child, &join(path, key))
                };
                if mismatch.is_some() {
                    return mismatch;
                }
            }
            None
        }
        Value::Object(_) => match actual {
            Some(Value::Object(_)) => None,
            other => Some((path.to_owned(), format!("is {}, expected a map", describe(other)))),
        },
        scalar => {
            if actual.is_some_and(|a| scalars_equal(scalar, a)) {
                None
            } else {
                Some((
                    path.to_owned(),
                    format!("is {}, expected {}", describe(actual), render(scalar)),
                ))
            }
        }
    }
}

/// Whether everything written in `expected` holds in `actual`: maps by key, lists element by
/// element with equal lengths, numbers by value. Used to compare with a manifest, to which the
/// API server has added defaults. (No operators here: manifests are plain objects.)
#[must_use]
pub fn is_subset(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(want), Value::Object(have)) => want
            .iter()
            .all(|(key, value)| value.is_null() || have.get(key).is_some_and(|h| is_subset(value, h))),
        (Value::Array(want), Value::Array(have)) => {
            want.len() == have.len() && want.iter().zip(have).all(|(w, h)| is_subset(w, h))
        }
        _ => scalars_equal(expected, actual),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Numbers compare by value (2 == 2.0); everything else by equality, never as text.
fn scalars_equal(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => expected == actual,
    }
}

fn operator_mismatch(op: &str, argument: &Value, actual: Option<&Value>, path: &str) -> Option<(String, String)> {
    let fail = |why: String| Some((path.to_owned(), why));
    match op {
        "exists" => {
            let want = argument.as_bool().unwrap_or(true);
            (actual.is_some_and(|a| !a.is_null()) != want).then(|| {
                (
                    path.to_owned(),
                    if want {
                        "is missing".to_owned()
                    } else {
                        format!("is {}, expected no such field", describe(actual))
                    },
                )
            })
        }
        "contains" => {
            let items = actual.and_then(Value::as_array);
            let wanted = argument.as_array().map_or(&[][..], Vec::as_slice);
            for want in wanted {
                let found =
                    items.is_some_and(|list| list.iter().any(|item| first_mismatch(want, Some(item), "").is_none()));
                if !found {
                    return fail(format!("has no element matching {}", render(want)));
                }
            }
            None
        }
        "all" => match actual.and_then(Value::as_array) {
            Some(list) if !list.is_empty() => list
                .iter()
                .enumerate()
                .find_map(|(i, item)| first_mismatch(argument, Some(item), &format!("{path}[{i}]"))),
            _ => fail(format!("is {}, expected a non-empty list", describe(actual))),
        },
        "none" => actual.and_then(Value::as_array).and_then(|list| {
            list.iter()
                .position(|item| first_mismatch(argument, Some(item), "").is_none())
                .map(|i| {
                    (
                        format!("{path}[{i}]"),
                        format!("matches {}, which no element may", render(argument)),
                    )
                })
        }),
        "matches" => {
            let pattern = argument.as_str().unwrap_or_default();
            match (regex::Regex::new(pattern), actual.and_then(Value::as_str)) {
                (Ok(re), Some(text)) if re.is_match(text) => None,
                (Ok(_), Some(_)) => fail(format!("does not match /{pattern}/")),
                (Ok(_), None) => fail(format!("is {}, expected text matching /{pattern}/", describe(actual))),
                (Err(e), _) => fail(format!("invalid pattern /{pattern}/: {e}")),
            }
        }
        "gte" | "lte" => {
            let bound = argument.as_f64().unwrap_or(f64::NAN);
            match actual.and_then(Value::as_f64) {
                Some(v) if (op == "gte" && v >= bound) || (op == "lte" && v <= bound) => None,
                _ => fail(format!(
                    "is {}, expected {} {}",
                    describe(actual),
                    if op == "gte" { ">=" } else { "<=" },
                    render(argument)
                )),
            }
        }
        "len" => {
            let want = argument.as_u64();
            let len = match actual {
                Some(Value::Array(a)) => Some(a.len()),
                Some(Value::Object(o)) => Some(o.len()),
                Some(Value::String(s)) => Some(s.chars().count()),
                _ => None,
            };
            (len.and_then(|l| u64::try_from(l).ok()) != want).then(|| {
                (
                    path.to_owned(),
                    format!(
                        "has length {}, expected {}",
                        len.map_or("none".to_owned(), |l| l.to_string()),
                        render(argument)
                    ),
                )
            })
        }
        other => fail(format!("unknown operator `${other}`")),
    }
}

fn render(value: &Value) -> String {
    match value {
        Value::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    }
}

fn describe(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "missing".to_owned(),
        Some(v) => render(v),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::first_mismatch;

    fn check(expected: &Value, actual: &Value) -> Option<String> {
        first_mismatch(expected, Some(actual), "").map(|(path, why)| format!("{path}: {why}"))
    }

    #[test]
    fn table() {
        let service = json!({"spec": {"selector": {"app": "web"}, "ports": [
            {"name": "http", "port": 80, "targetPort": 8080},
            {"name": "metrics", "port": 9090, "targetPort": 9090}
        ], "replicas": 2, "type": "ClusterIP"}});
        let cases: Vec<(Value, Option<&str>)> = vec![
            (json!({"spec": {"selector": {"app": "web"}}}), None),
            (
                json!({"spec": {"selector": {"app": "web-svc"}}}),
                Some("spec.selector.app: is `web`, expected `web-svc`"),
            ),
            (json!({"spec": {"type": "ClusterIP"}}), None),
            // order of list elements is irrelevant
            (
                json!({"spec": {"ports": {"$contains": [{"port": 9090}, {"port": 80, "targetPort": 8080}]}}}),
                None,
            ),
            (
                json!({"spec": {"ports": {"$contains": [{"port": 80, "targetPort": 9999}]}}}),
                Some("spec.ports: has no element matching"),
            ),
            // numbers compare as numbers, never as text
            (json!({"spec": {"replicas": 2.0}}), None),
            (
                json!({"spec": {"replicas": "2"}}),
                Some("spec.replicas: is `2`, expected `2`"),
            ),
            (json!({"spec": {"replicas": {"$gte": 2}}}), None),
            (
                json!({"spec": {"replicas": {"$gte": 10}}}),
                Some("spec.replicas: is `2`, expected >= `10`"),
            ),
            (json!({"spec": {"replicas": {"$lte": 1}}}), Some("expected <=")),
            (
                json!({"spec": {"ports": {"$all": {"targetPort": {"$gte": 8000}}}}}),
                None,
            ),
            (
                json!({"spec": {"ports": {"$all": {"name": "http"}}}}),
                Some("spec.ports[1].name: is `metrics`"),
            ),
            (json!({"spec": {"ports": {"$none": {"port": 22}}}}), None),
            (
                json!({"spec": {"ports": {"$none": {"port": 80}}}}),
                Some("spec.ports[0]: matches"),
            ),
            (json!({"spec": {"ports": {"$len": 2}}}), None),
            (
                json!({"spec": {"ports": {"$len": 1}}}),
                Some("has length 2, expected `1`"),
            ),
            (json!({"spec": {"externalName": {"$exists": false}}}), None),
            (
                json!({"spec": {"selector": {"$exists": false}}}),
                Some("expected no such field"),
            ),
            (
                json!({"spec": {"clusterIP": {"$exists": true}}}),
                Some("spec.clusterIP: is missing"),
            ),
            (json!({"spec": {"type": {"$matches": "^Cluster"}}}), None),
            (
                json!({"spec": {"type": {"$matches": "^NodePort$"}}}),
                Some("does not match"),
            ),
            // `NotReady` is not `Ready`: anchored patterns or exact values, never substrings
            (json!({"spec": {"type": {"$matches": "^IP$"}}}), Some("does not match")),
            (
                json!({"spec": {"missing": {"deep": 1}}}),
                Some("spec.missing.deep: is missing, expected `1`"),
            ),
        ];
        for (expected, want) in cases {
            let got = check(&expected, &service);
            match want {
                None => assert_eq!(got, None, "{expected}"),
                Some(fragment) => {
                    let got = got.unwrap_or_else(|| panic!("{expected} should not match"));
                    assert!(got.contains(fragment), "{expected}: {got}");
                }
            }
        }
    }

    #[test]
    fn all_needs_a_non_empty_list_so_an_emptied_list_cannot_pass() {
        assert!(check(&json!({"ports": {"$all": {"port": 80}}}), &json!({"ports": []})).is_some());
        assert!(check(&json!({"ports": {"$all": {"port": 80}}}), &json!({})).is_some());
    }

    #[test]
    fn missing_object_fails_every_field() {
        assert!(first_mismatch(&json!({"a": 1}), None, "").is_some());
    }
}
