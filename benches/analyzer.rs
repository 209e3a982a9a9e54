//! Analyzer benchmark: the full allow/deny matrix for 500, 2,000 and 5,000 pods in 50
//! namespaces with 500 single-port NetworkPolicies (selector matching precomputed per policy
//! peer, not per pair). `just bench-analyzer` also measures the release binary's peak RSS.

#[path = "../examples/big_snapshot/generate.rs"]
#[allow(dead_code)]
mod generate;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use graders::analyzer::Analyzer;
use graders::state::ClusterState;

fn matrix(c: &mut Criterion) {
    let mut group = c.benchmark_group("matrix (50 namespaces, 500 policies)");
    group.sample_size(10);
    for pods in [500, 2_000, 5_000] {
        let state = ClusterState::from_objects(generate::policy_objects(pods, 50, 500)).expect("state");
        let analyzer = Analyzer::new(&state);
        let matrix = analyzer.matrix(None);
        let allowed = (0..pods)
            .flat_map(|from| (0..pods).map(move |to| (from, to)))
            .filter(|(from, to)| matrix.allowed(*from, *to))
            .count();
        assert!(allowed > 0 && allowed < pods * pods, "a mixed matrix");
        group.bench_with_input(BenchmarkId::from_parameter(pods), &pods, |b, _| {
            b.iter(|| black_box(analyzer.matrix(None)));
        });
    }
    group.finish();
}

criterion_group!(benches, matrix);
criterion_main!(benches);
