//! Grading benchmark: a 5,000-pod / 1,000-Service / 300-NetworkPolicy cluster (50 namespaces)
//! with 20 checks: loading the state, and grading it. `just bench-grade` also measures the
//! release binary end to end (wall time and peak RSS).

#[path = "../examples/big_snapshot/generate.rs"]
#[allow(dead_code)]
mod generate;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use graders::score::grade;
use graders::state::{Baseline, BaselineSource, ClusterState, Observation};
use kubedrill::scenario::{Scenario, ScenarioDir};

fn bench(c: &mut Criterion) {
    let objects = generate::objects(50);
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("big-cluster");
    std::fs::create_dir_all(folder.join("manifests")).expect("mkdir");
    std::fs::write(folder.join("scenario.yaml"), generate::scenario_yaml(50)).expect("write");
    std::fs::write(folder.join("manifests/ns.yaml"), generate::NS_MANIFEST).expect("write");
    let scenario = Scenario::load(ScenarioDir::Disk(folder)).expect("scenario loads");
    let checks = scenario.render(1).expect("renders").checks;
    assert_eq!(checks.len(), 20);

    c.bench_function("load state (5,000 pods, 1,000 services, 300 policies)", |b| {
        b.iter(|| black_box(ClusterState::from_objects(objects.iter().cloned()).expect("loads")));
    });
    let state = ClusterState::from_objects(objects.iter().cloned()).expect("loads");
    assert_eq!(
        (state.pods.len(), state.services.len(), state.network_policies.len()),
        (5_000, 1_000, 300)
    );
    let observation = Observation {
        baseline: Some(Baseline {
            state: state.clone(),
            source: BaselineSource::Recorded,
        }),
        state,
        probes: std::collections::BTreeMap::new(),
    };
    let results = grade(&checks, &observation);
    assert!(results.iter().all(|r| r.verdict.is_pass()), "{results:#?}");
    c.bench_function("grade 20 checks", |b| {
        b.iter(|| black_box(grade(&checks, &observation)));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
