//! The Kubernetes kinds a scenario may apply: kubedrill's one table of built-in kinds (built
//! from k8s-openapi's types, so apiVersion, plural and scope cannot drift), the custom kinds a
//! scenario declares (a `CustomResourceDefinition` among its manifests, or an add-on in
//! `cluster.addons`), and the check that an object's `apiVersion`/`kind` is one of them.
//!
//! Pure data and lookups: must not read files, talk to a cluster or print.

use std::collections::BTreeSet;

use k8s_openapi::api::{apps::v1 as apps, batch::v1 as batch, core::v1 as core, discovery::v1 as discovery};
use k8s_openapi::api::{networking::v1 as networking, rbac::v1 as rbac};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiextensions;
use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::manifest::{FieldProblem, Manifest, schema_problems};
use super::model::Addon;

/// Checks an object against its kind's typed schema.
pub type SchemaCheck = fn(&Value) -> Vec<FieldProblem>;

/// A kind built into Kubernetes that kubedrill knows.
#[derive(Clone, Copy, Debug)]
pub struct BuiltinKind {
    /// `apiVersion` (`v1`, `apps/v1`).
    pub api_version: &'static str,
    /// API group (empty for the core group).
    pub group: &'static str,
    /// `kind`.
    pub kind: &'static str,
    /// The resource's plural name (`networkpolicies`).
    pub plural: &'static str,
    /// Whether objects live in a namespace.
    pub namespaced: bool,
    /// The typed schema check.
    pub check: SchemaCheck,
}

/// The scope of a k8s-openapi resource, as a constant.
trait Scope {
    const NAMESPACED: bool;
}

impl Scope for NamespaceResourceScope {
    const NAMESPACED: bool = true;
}

impl Scope for ClusterResourceScope {
    const NAMESPACED: bool = false;
}

const fn builtin<K>() -> BuiltinKind
where
    K: k8s_openapi::Resource + DeserializeOwned + Serialize,
    K::Scope: Scope,
{
    BuiltinKind {
        api_version: K::API_VERSION,
        group: K::GROUP,
        kind: K::KIND,
        plural: K::URL_PATH_SEGMENT,
        namespaced: <K::Scope as Scope>::NAMESPACED,
        check: schema_problems::<K>,
    }
}

/// Every built-in kind kubedrill knows. To add one, add its k8s-openapi type here.
pub const BUILTIN: &[BuiltinKind] = &[
    builtin::<core::Namespace>(),
    builtin::<core::Node>(),
    builtin::<core::Pod>(),
    builtin::<core::Service>(),
    builtin::<core::Endpoints>(),
    builtin::<core::ConfigMap>(),
    builtin::<core::Secret>(),
    builtin::<core::ServiceAccount>(),
    builtin::<apps::Deployment>(),
    builtin::<apps::DaemonSet>(),
    builtin::<apps::StatefulSet>(),
    builtin::<apps::ReplicaSet>(),
    builtin::<batch::Job>(),
    builtin::<networking::NetworkPolicy>(),
    builtin::<networking::Ingress>(),
    builtin::<networking::IngressClass>(),
    builtin::<discovery::EndpointSlice>(),
    builtin::<rbac::Role>(),
    builtin::<rbac::RoleBinding>(),
    builtin::<rbac::ClusterRole>(),
    builtin::<rbac::ClusterRoleBinding>(),
    builtin::<apiextensions::CustomResourceDefinition>(),
];

/// The built-in kind at exactly this `apiVersion`.
#[must_use]
pub fn find_builtin(api_version: &str, kind: &str) -> Option<&'static BuiltinKind> {
    BUILTIN.iter().find(|b| b.api_version == api_version && b.kind == kind)
}

/// Every add-on a scenario may declare.
pub const ADDONS: &[Addon] = &[Addon::GatewayApi];

/// The kinds an add-on installs on the cluster, as (`apiVersion`, `kind`).
#[must_use]
pub const fn addon_kinds(addon: Addon) -> &'static [(&'static str, &'static str)] {
    match addon {
        Addon::GatewayApi => &[
            ("gateway.networking.k8s.io/v1", "GatewayClass"),
            ("gateway.networking.k8s.io/v1", "Gateway"),
            ("gateway.networking.k8s.io/v1", "HTTPRoute"),
            ("gateway.networking.k8s.io/v1", "GRPCRoute"),
            ("gateway.networking.k8s.io/v1", "ReferenceGrant"),
        ],
    }
}

/// What is wrong with an object's `apiVersion`/`kind`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KindProblem {
    /// The key at fault: `kind` or `apiVersion`.
    pub path: &'static str,
    /// What is wrong.
    pub message: String,
    /// What to write instead.
    pub hint: String,
}

/// The kinds one scenario may apply: the built-in ones and those it declares.
#[derive(Clone, Debug, Default)]
pub struct KnownKinds {
    declared: BTreeSet<(String, String)>,
}

impl KnownKinds {
    /// The built-in kinds and those the add-ons provide.
    #[must_use]
    pub fn new(addons: &[Addon]) -> Self {
        let declared = addons
            .iter()
            .flat_map(|a| addon_kinds(*a))
            .map(|(v, k)| ((*v).to_owned(), (*k).to_owned()))
            .collect();
        Self { declared }
    }

    /// Add the kinds the `CustomResourceDefinition`s among `objects` declare.
    pub fn declare_crds<'a>(&mut self, objects: impl IntoIterator<Item = &'a Manifest>) {
        let crd = find_builtin("apiextensions.k8s.io/v1", "CustomResourceDefinition");
        for object in objects {
            if crd.is_some_and(|c| c.api_version == object.api_version && c.kind == object.kind) {
                self.declare_crd(&object.object);
            }
        }
    }

    /// Add the kind a `CustomResourceDefinition` object declares, at each version it serves.
    fn declare_crd(&mut self, crd: &Value) {
        let spec = &crd["spec"];
        let (Some(group), Some(kind)) = (spec["group"].as_str(), spec["names"]["kind"].as_str()) else {
            return; // its schema check reports what is missing
        };
        let versions = spec["versions"].as_array().into_iter().flatten();
        for version in versions.filter(|v| v["served"].as_bool() != Some(false)) {
            if let Some(name) = version["name"].as_str() {
                self.declared.insert((format!("{group}/{name}"), kind.to_owned()));
            }
        }
    }

    /// Whether `apiVersion`/`kind` exists on the scenario's cluster.
    #[must_use]
    pub fn serves(&self, api_version: &str, kind: &str) -> bool {
        find_builtin(api_version, kind).is_some() || self.declared.contains(&(api_version.to_owned(), kind.to_owned()))
    }

    /// The problem with `apiVersion`/`kind`, if any.
    #[must_use]
    pub fn check(&self, api_version: &str, kind: &str) -> Option<KindProblem> {
        if self.serves(api_version, kind) {
            return None;
        }
        let versions = self.versions_of(kind);
        if !versions.is_empty() {
            return Some(KindProblem {
                path: "apiVersion",
                message: format!("`{kind}` is not served at `apiVersion: {api_version}`"),
                hint: format!("write `apiVersion: {}`", versions.join("` or `apiVersion: ")),
            });
        }
        if let Some(addon) = ADDONS.iter().find(|a| addon_kinds(**a).iter().any(|(_, k)| *k == kind)) {
            return Some(KindProblem {
                path: "kind",
                message: format!(
                    "unknown kind `{kind}`: the `{addon}` add-on provides it, and this scenario does not declare it"
                ),
                hint: format!("add `addons: [{addon}]` under `cluster:` in scenario.yaml"),
            });
        }
        let custom = "a custom kind needs its CustomResourceDefinition among the scenario's manifests, or an add-on in `cluster.addons` that provides it";
        Some(match self.closest(kind) {
            Some(known) => KindProblem {
                path: "kind",
                message: format!("unknown kind `{kind}`; did you mean `{known}`?"),
                hint: format!(
                    "write `kind: {known}` with `apiVersion: {}`; {custom}",
                    self.versions_of(&known).join("` or `apiVersion: ")
                ),
            },
            None => KindProblem {
                path: "kind",
                message: format!("unknown kind `{kind}` (`apiVersion: {api_version}`)"),
                hint: format!("kubedrill knows the built-in kinds scenarios/README.md lists; {custom}"),
            },
        })
    }

    /// Every kind name known, built-in first.
    fn names(&self) -> impl Iterator<Item = &str> {
        BUILTIN
            .iter()
            .map(|b| b.kind)
            .chain(self.declared.iter().map(|(_, k)| k.as_str()))
    }

    /// Every `apiVersion` serving `kind`.
    fn versions_of(&self, kind: &str) -> Vec<String> {
        let builtin = BUILTIN
            .iter()
            .filter(|b| b.kind == kind)
            .map(|b| b.api_version.to_owned());
        let declared = self.declared.iter().filter(|(_, k)| k == kind).map(|(v, _)| v.clone());
        builtin.chain(declared).collect()
    }

    /// The known kind closest to a misspelt one (case-insensitive; at most a third of it wrong).
    fn closest(&self, kind: &str) -> Option<String> {
        let lower = kind.to_lowercase();
        self.names()
            .map(|name| (crate::catalogue::edit_distance(&lower, &name.to_lowercase()), name))
            .filter(|(distance, _)| *distance <= kind.len().div_ceil(3))
            .min_by_key(|(distance, _)| *distance)
            .map(|(_, name)| name.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::{BUILTIN, KnownKinds, find_builtin};
    use crate::scenario::manifest::parse_manifests;
    use crate::scenario::model::Addon;

    #[test]
    fn built_in_kinds_come_from_their_types() {
        let policy = find_builtin("networking.k8s.io/v1", "NetworkPolicy").expect("known");
        assert_eq!(
            (policy.group, policy.plural, policy.namespaced),
            ("networking.k8s.io", "networkpolicies", true)
        );
        let namespace = find_builtin("v1", "Namespace").expect("known");
        assert!(!namespace.namespaced);
        assert!(find_builtin("apps/v1", "Service").is_none());
        let kinds: std::collections::BTreeSet<&str> = BUILTIN.iter().map(|b| b.kind).collect();
        assert_eq!(kinds.len(), BUILTIN.len(), "each kind once");
    }

    /// (apiVersion, kind, key at fault, message, start of the hint).
    const UNKNOWN: &[(&str, &str, &str, &str, &str)] = &[
        (
            "v1",
            "Servcie",
            "kind",
            "unknown kind `Servcie`; did you mean `Service`?",
            "write `kind: Service` with `apiVersion: v1`; ",
        ),
        (
            "apps/v1",
            "deployment",
            "kind",
            "unknown kind `deployment`; did you mean `Deployment`?",
            "write `kind: Deployment` with `apiVersion: apps/v1`; ",
        ),
        (
            "example.com/v1",
            "Widget",
            "kind",
            "unknown kind `Widget` (`apiVersion: example.com/v1`)",
            "kubedrill knows the built-in kinds",
        ),
        (
            "apps/v1",
            "Service",
            "apiVersion",
            "`Service` is not served at `apiVersion: apps/v1`",
            "write `apiVersion: v1`",
        ),
        (
            "extensions/v1beta1",
            "Ingress",
            "apiVersion",
            "`Ingress` is not served at `apiVersion: extensions/v1beta1`",
            "write `apiVersion: networking.k8s.io/v1`",
        ),
    ];

    #[test]
    fn unknown_kinds_and_wrong_api_versions_say_what_to_write() {
        let known = KnownKinds::default();
        for (api_version, kind, path, message, hint) in UNKNOWN {
            let p = known
                .check(api_version, kind)
                .unwrap_or_else(|| panic!("{api_version} {kind} is wrong"));
            assert_eq!((p.path, p.message.as_str()), (*path, *message));
            assert!(p.hint.starts_with(hint), "{kind}: {}", p.hint);
        }
        assert_eq!(known.check("v1", "Service"), None);
    }

    #[test]
    fn add_ons_and_crds_declare_custom_kinds() {
        let p = KnownKinds::default()
            .check("gateway.networking.k8s.io/v1", "HTTPRoute")
            .expect("undeclared");
        assert_eq!(
            p.message,
            "unknown kind `HTTPRoute`: the `gateway-api` add-on provides it, and this scenario does not declare it"
        );
        assert_eq!(p.hint, "add `addons: [gateway-api]` under `cluster:` in scenario.yaml");
        let gateway = KnownKinds::new(&[Addon::GatewayApi]);
        for kind in ["Gateway", "HTTPRoute", "GatewayClass", "ReferenceGrant"] {
            assert_eq!(gateway.check("gateway.networking.k8s.io/v1", kind), None, "{kind}");
        }
        let p = gateway
            .check("gateway.networking.k8s.io/v1", "HttpRoute")
            .expect("misspelt");
        assert!(p.message.contains("did you mean `HTTPRoute`?"), "{}", p.message);
        let p = gateway
            .check("gateway.networking.k8s.io/v1alpha1", "Gateway")
            .expect("old version");
        assert_eq!(p.hint, "write `apiVersion: gateway.networking.k8s.io/v1`");

        let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.drill.example.com\nspec:\n  group: drill.example.com\n  scope: Namespaced\n  names: { kind: Widget, plural: widgets }\n  versions:\n  - { name: v1, served: true, storage: true }\n  - { name: v1alpha1, served: false, storage: false }\n";
        let objects = parse_manifests(crd).expect("a valid CRD");
        let mut with_crd = KnownKinds::default();
        with_crd.declare_crds(&objects);
        assert_eq!(with_crd.check("drill.example.com/v1", "Widget"), None);
        assert!(
            with_crd.check("drill.example.com/v1alpha1", "Widget").is_some(),
            "not served"
        );
        let p = with_crd.check("drill.example.com/v1", "Widgte").expect("misspelt");
        assert!(p.message.contains("did you mean `Widget`?"), "{}", p.message);
    }
}
