//! Drawing an exam: tasks picked without replacement, each with probability proportional to
//! its CKA domain's exam weight times the scenario's own weight, skipping any task that cannot
//! share its profile's cluster with those already drawn (see
//! [`Footprint`](crate::scenario::footprint::Footprint)). Namespaced tasks are drawn first; a
//! task that breaks something cluster-wide needs a cluster to itself, so it is drawn only
//! afterwards, on a profile no drawn task uses — otherwise one CoreDNS task would leave room
//! for nothing else. Deterministic for a seed.
//!
//! Pure; setting the tasks up is the flow's job.

use crate::scenario::footprint::Footprint;
use crate::scenario::model::{Domain, Profile};
use crate::scenario::prng::SplitMix64;

/// The CKA curriculum's weight of a domain, in percent of the exam.
#[must_use]
pub const fn domain_weight(domain: Domain) -> u64 {
    match domain {
        Domain::Troubleshooting => 30,
        Domain::ClusterArchitecture => 25,
        Domain::ServicesNetworking => 20,
        Domain::WorkloadsScheduling => 15,
        Domain::Storage => 10,
    }
}

/// A scenario that could be drawn, rendered with the exam's seed.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// Scenario id.
    pub id: String,
    /// Its domain.
    pub domain: Domain,
    /// Its exam weight.
    pub weight: u32,
    /// Its cluster profile.
    pub profile: Profile,
    /// What its setup touches.
    pub footprint: Footprint,
}

/// Draw up to `count` candidates (indices, in drawing order). Fewer come back when no more
/// candidates fit alongside those drawn.
#[must_use]
pub fn draw(candidates: &[Candidate], count: usize, seed: u64) -> Vec<usize> {
    let mut rng = SplitMix64::for_param(seed, "exam");
    let mut drawn: Vec<usize> = Vec::new();
    for cluster_wide in [false, true] {
        draw_phase(candidates, count, &mut rng, &mut drawn, cluster_wide);
    }
    drawn
}

fn draw_phase(
    candidates: &[Candidate],
    count: usize,
    rng: &mut SplitMix64,
    drawn: &mut Vec<usize>,
    cluster_wide: bool,
) {
    while drawn.len() < count {
        let fits = |i: usize| {
            candidates[i].footprint.cluster_wide.is_some() == cluster_wide
                && !drawn.contains(&i)
                && drawn.iter().all(|&d| {
                    candidates[d].profile != candidates[i].profile
                        || candidates[d].footprint.compatible(&candidates[i].footprint)
                })
        };
        let open: Vec<(usize, u64)> = (0..candidates.len())
            .filter(|&i| fits(i))
            .map(|i| {
                (
                    i,
                    domain_weight(candidates[i].domain) * u64::from(candidates[i].weight.max(1)),
                )
            })
            .collect();
        let total: u64 = open.iter().map(|(_, w)| w).sum();
        if total == 0 {
            return;
        }
        let mut pick = rng.below(total);
        for (i, w) in open {
            if pick < w {
                drawn.push(i);
                break;
            }
            pick -= w;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::{Candidate, draw};
    use crate::scenario::footprint::Footprint;
    use crate::scenario::model::{Domain, Profile};

    fn candidate(id: &str, domain: Domain, namespace: &str, wide: bool) -> Candidate {
        Candidate {
            id: id.to_owned(),
            domain,
            weight: 1,
            profile: Profile::Kindnet,
            footprint: Footprint {
                namespaces: [namespace.to_owned()].into(),
                cluster_wide: wide.then(|| "breaks CoreDNS".to_owned()),
            },
        }
    }

    #[test]
    fn draws_are_deterministic_distinct_and_respect_shared_clusters() {
        let pool = vec![
            candidate("a", Domain::ServicesNetworking, "a", false),
            candidate("b", Domain::ServicesNetworking, "b", false),
            candidate("c", Domain::Troubleshooting, "shared", false),
            candidate("d", Domain::Troubleshooting, "shared", false),
            candidate("dns", Domain::Troubleshooting, "x", true),
        ];
        for seed in 0..50 {
            let picked = draw(&pool, 5, seed);
            assert_eq!(picked, draw(&pool, 5, seed), "same seed, same exam");
            let ids: Vec<&str> = picked.iter().map(|&i| pool[i].id.as_str()).collect();
            assert!(!(ids.contains(&"c") && ids.contains(&"d")), "namespace clash: {ids:?}");
            assert!(
                !ids.contains(&"dns"),
                "a cluster-wide task never takes a shared cluster: {ids:?}"
            );
            assert_eq!(ids.len(), 3, "a, b and one of c/d: {ids:?}");
            let mut unique = ids.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), ids.len());
        }
        // On a profile of its own, the cluster-wide task joins after the namespaced ones.
        let mut spread = pool.clone();
        spread[4].profile = Profile::Flannel;
        for seed in 0..50 {
            let picked = draw(&spread, 5, seed);
            assert_eq!(picked.len(), 4);
            assert_eq!(picked[3], 4, "drawn last, on the flannel cluster");
        }
        // Alone, a cluster-wide task can still be drawn.
        assert_eq!(draw(&pool[4..], 3, 1), [0]);
    }

    #[test]
    fn domains_are_drawn_in_proportion_to_their_exam_weight() {
        let pool = vec![
            candidate("net", Domain::ServicesNetworking, "a", false),
            candidate("trouble", Domain::Troubleshooting, "b", false),
        ];
        let mut first: BTreeMap<String, u32> = BTreeMap::new();
        for seed in 0..2_000 {
            *first.entry(pool[draw(&pool, 1, seed)[0]].id.clone()).or_default() += 1;
        }
        // 30 : 20, so troubleshooting comes first 60% of the time.
        let share = f64::from(first["trouble"]) / 2_000.0;
        assert!((share - 0.6).abs() < 0.04, "{first:?}");
    }
}
