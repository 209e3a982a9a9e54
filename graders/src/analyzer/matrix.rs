//! The allow/deny matrix between pods, computed with selector matching done once per policy
//! peer (bitsets of pods), not once per pair: fast enough for thousands of pods. The grid is
//! kept as bits (5,000 pods: 3 MB) and serialized row by row, never as a grid of values; pods
//! that are allowed and blocked exactly alike are grouped into classes, the summary people read.
//!
//! Pure, over a [`ClusterState`](crate::state::ClusterState); it must not format text for people
//! (the `explain` command does).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};

use super::Analyzer;
use super::policy::{self, Direction, Endpoint};
use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort};

/// A set of pods by index.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(len: usize) -> Self {
        Self(vec![0; len.div_ceil(64)])
    }

    fn full(len: usize) -> Self {
        let mut bits = Self::new(len);
        (0..len).for_each(|i| bits.set(i));
        bits
    }

    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    fn clear(&mut self, i: usize) {
        self.0[i / 64] &= !(1 << (i % 64));
    }

    fn get(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }

    fn or(&mut self, other: &Self) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a |= b);
    }

    fn and(&mut self, other: &Self) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a &= b);
    }
}

/// Which pods may connect to which, each destination on its first declared port (TCP 80 when
/// it declares none). Serialized as `pods`, `ports`, `allowed[from][to]` (written row by row)
/// and `classes`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matrix {
    /// Pod names (`ns/name`), rows and columns in this order.
    pub pods: Vec<String>,
    /// The port each destination was probed on (`TCP 8080`).
    pub ports: Vec<String>,
    /// The pods grouped by behaviour, in the order of their first pod.
    pub classes: Vec<Class>,
    /// `rows[from]`: the pods `from` may reach.
    rows: Vec<Bits>,
}

/// Pods with identical rows and columns: each may reach, and be reached by, exactly the same
/// pods (a class's members are alike to each other too).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Class {
    /// The member pods, as indexes into [`Matrix::pods`], ascending.
    pub members: Vec<usize>,
    /// The namespaces of the members, sorted.
    pub namespaces: Vec<String>,
    /// The labels (key and value) every member has.
    pub labels: BTreeMap<String, String>,
}

impl Matrix {
    /// Whether pod `from` may connect to pod `to` (indexes into [`Matrix::pods`]).
    #[must_use]
    pub fn allowed(&self, from: usize, to: usize) -> bool {
        self.rows[from].get(to)
    }

    /// Whether the pods of class `from` may connect to those of class `to` (indexes into
    /// [`Matrix::classes`]); the same for every pair of members.
    #[must_use]
    pub fn class_allowed(&self, from: usize, to: usize) -> bool {
        self.allowed(self.classes[from].members[0], self.classes[to].members[0])
    }
}

/// `allowed[from]`, computed as it is written.
struct Row<'a>(&'a Bits, usize);

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq((0..self.1).map(|to| self.0.get(to)))
    }
}

/// `allowed`, one row at a time.
struct Rows<'a>(&'a [Bits]);

impl Serialize for Rows<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|row| Row(row, self.0.len())))
    }
}

impl Serialize for Matrix {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("Matrix", 4)?;
        out.serialize_field("pods", &self.pods)?;
        out.serialize_field("ports", &self.ports)?;
        out.serialize_field("allowed", &Rows(&self.rows))?;
        out.serialize_field("classes", &self.classes)?;
        out.end()
    }
}

fn destination_port(endpoint: &Endpoint) -> (u16, String) {
    endpoint
        .ports
        .first()
        .map_or((80, "TCP".to_owned()), |p| (p.port, p.protocol.clone()))
}

fn ports_match(ports: Option<&Vec<NetworkPolicyPort>>, destination: &Endpoint, port: u16, protocol: &str) -> bool {
    ports.filter(|p| !p.is_empty()).is_none_or(|ports| {
        ports
            .iter()
            .any(|rule| policy::port_rule_matches(rule, destination, port, protocol))
    })
}

/// The pods of a matrix, their probe ports and their namespaces' labels, computed once.
struct Pods {
    endpoints: Vec<Endpoint>,
    targets: Vec<(u16, String)>,
    namespace_labels: Vec<std::collections::BTreeMap<String, String>>,
}

/// Per pod: whom it may send to (egress) and receive from (ingress); `None`: not isolated.
struct Allowed {
    egress: Vec<Option<Bits>>,
    ingress: Vec<Option<Bits>>,
}

impl Pods {
    fn len(&self) -> usize {
        self.endpoints.len()
    }

    /// The pods `peers` match (all pods when the list is missing or empty).
    fn peers(&self, peers: Option<&Vec<NetworkPolicyPeer>>, policy_namespace: &str) -> Bits {
        let n = self.len();
        match peers.filter(|p| !p.is_empty()) {
            None => Bits::full(n),
            Some(items) => {
                let compiled: Vec<policy::CompiledPeer<'_>> = items.iter().map(policy::CompiledPeer::new).collect();
                let mut set = Bits::new(n);
                for (i, e) in self.endpoints.iter().enumerate() {
                    if compiled
                        .iter()
                        .any(|c| c.evaluate(e, policy_namespace, &self.namespace_labels[i]).matches())
                    {
                        set.set(i);
                    }
                }
                set
            }
        }
    }

    /// Destinations whose probe port a rule's ports admit.
    fn ports(&self, ports: Option<&Vec<NetworkPolicyPort>>) -> Bits {
        let mut set = Bits::new(self.len());
        for (j, e) in self.endpoints.iter().enumerate() {
            if ports_match(ports, e, self.targets[j].0, &self.targets[j].1) {
                set.set(j);
            }
        }
        set
    }
}

impl Allowed {
    /// Fold one policy in: selection once, peers once per rule (bitsets), never per pair.
    fn apply(&mut self, policy: &NetworkPolicy, pods: &Pods) {
        let (has_ingress, has_egress) = policy::policy_types(policy);
        let Some(spec) = policy.spec.as_ref() else { return };
        let n = pods.len();
        let policy_namespace = policy.metadata.namespace.clone().unwrap_or_default();
        let direction = if has_ingress {
            Direction::Ingress
        } else {
            Direction::Egress
        };
        let selected: Vec<usize> = (0..n)
            .filter(|i| policy::selects(policy, &pods.endpoints[*i], direction))
            .collect();
        if selected.is_empty() {
            return;
        }
        if has_egress {
            let mut allowed = Bits::new(n);
            for rule in spec.egress.iter().flatten() {
                let mut set = pods.peers(rule.to.as_ref(), &policy_namespace);
                set.and(&pods.ports(rule.ports.as_ref()));
                allowed.or(&set);
            }
            for i in &selected {
                self.egress[*i].get_or_insert_with(|| Bits::new(n)).or(&allowed);
            }
        }
        if has_ingress {
            let rules: Vec<(Bits, Option<&Vec<NetworkPolicyPort>>)> = spec
                .ingress
                .iter()
                .flatten()
                .map(|r| (pods.peers(r.from.as_ref(), &policy_namespace), r.ports.as_ref()))
                .collect();
            for i in &selected {
                let isolated = self.ingress[*i].get_or_insert_with(|| Bits::new(n));
                for (peers, ports) in &rules {
                    if ports_match(*ports, &pods.endpoints[*i], pods.targets[*i].0, &pods.targets[*i].1) {
                        isolated.or(peers);
                    }
                }
            }
        }
    }
}

impl Analyzer<'_> {
    /// The matrix between the pods of `namespace` (or every pod).
    #[must_use]
    pub fn matrix(&self, namespace: Option<&str>) -> Matrix {
        let endpoints: Vec<Endpoint> = self
            .state
            .pods
            .iter()
            .filter(|p| namespace.is_none_or(|ns| p.metadata.namespace.as_deref() == Some(ns)))
            .map(Analyzer::endpoint)
            .collect();
        let pods = Pods {
            targets: endpoints.iter().map(destination_port).collect(),
            namespace_labels: endpoints.iter().map(|e| self.namespace_labels(&e.namespace)).collect(),
            endpoints,
        };
        let n = pods.len();
        let mut allowed = Allowed {
            egress: vec![None; n],
            ingress: vec![None; n],
        };
        for policy in &self.state.network_policies {
            allowed.apply(policy, &pods);
        }
        let rows = allowed.rows(n);
        let classes = classes(&rows, &pods.endpoints);
        Matrix {
            pods: pods.endpoints.iter().map(|e| e.name.clone()).collect(),
            ports: pods
                .targets
                .iter()
                .map(|(port, protocol)| format!("{protocol} {port}"))
                .collect(),
            classes,
            rows,
        }
    }
}

impl Allowed {
    /// Per source pod, the destinations both its egress and their ingress admit.
    fn rows(&self, n: usize) -> Vec<Bits> {
        (0..n)
            .map(|from| {
                let mut row = self.egress[from].clone().unwrap_or_else(|| Bits::full(n));
                for (to, ingress) in self.ingress.iter().enumerate() {
                    if ingress.as_ref().is_some_and(|b| !b.get(from)) {
                        row.clear(to);
                    }
                }
                row
            })
            .collect()
    }
}

/// Group pods whose row and column are both identical, in the order of their first pod.
fn classes(rows: &[Bits], endpoints: &[Endpoint]) -> Vec<Class> {
    let n = rows.len();
    let mut columns = vec![Bits::new(n); n];
    for (from, row) in rows.iter().enumerate() {
        for (to, column) in columns.iter_mut().enumerate() {
            if row.get(to) {
                column.set(from);
            }
        }
    }
    let mut index: HashMap<(&[u64], &[u64]), usize> = HashMap::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    for (pod, (row, column)) in rows.iter().zip(&columns).enumerate() {
        let class = *index.entry((&row.0, &column.0)).or_insert_with(|| {
            members.push(Vec::new());
            members.len() - 1
        });
        members[class].push(pod);
    }
    members.into_iter().map(|m| class(m, endpoints)).collect()
}

fn class(members: Vec<usize>, endpoints: &[Endpoint]) -> Class {
    let namespaces: BTreeSet<&str> = members.iter().map(|m| endpoints[*m].namespace.as_str()).collect();
    let mut labels = members
        .first()
        .map(|m| endpoints[*m].labels.clone())
        .unwrap_or_default();
    for m in &members {
        labels.retain(|k, v| endpoints[*m].labels.get(k) == Some(v));
    }
    Class {
        namespaces: namespaces.into_iter().map(str::to_owned).collect(),
        labels,
        members,
    }
}
