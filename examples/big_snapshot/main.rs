//! Writes large synthetic snapshots for the benchmarks:
//! `cargo run --release --example big_snapshot -- OUT_DIR [NAMESPACES]` creates
//! `OUT_DIR/big-cluster/` (a 20-check scenario), `OUT_DIR/snapshot.json` (for `just
//! bench-grade`) and `OUT_DIR/policies-<N>.json` for 500, 2,000 and 5,000 pods with 500
//! NetworkPolicies (for `just bench-analyzer`).
#![allow(clippy::print_stderr)]

mod generate;

use std::path::PathBuf;

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(out) = args.next().map(PathBuf::from) else {
        eprintln!("error: usage: big_snapshot OUT_DIR [NAMESPACES]");
        return std::process::ExitCode::from(2);
    };
    let namespaces: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(50);
    let result = (|| -> std::io::Result<()> {
        let scenario = out.join("big-cluster");
        std::fs::create_dir_all(scenario.join("manifests"))?;
        std::fs::write(scenario.join("scenario.yaml"), generate::scenario_yaml(namespaces))?;
        std::fs::write(scenario.join("manifests/ns.yaml"), generate::NS_MANIFEST)?;
        let objects = generate::objects(namespaces);
        // As recorded after setup: the scenario's own objects, here the policies `unchanged` checks.
        let baseline: Vec<&serde_json::Value> = objects.iter().filter(|o| o["kind"] == "NetworkPolicy").collect();
        let snapshot = serde_json::json!({"apiVersion": "kubedrill.dev/v1", "kind": "Snapshot", "scenario": "big-cluster", "seed": 1,
            "objects": [{"apiVersion": "v1", "kind": "List", "items": objects}],
            "baseline": [{"apiVersion": "v1", "kind": "List", "items": baseline}]});
        std::fs::write(out.join("snapshot.json"), serde_json::to_vec(&snapshot)?)?;
        for pods in [500, 2_000, 5_000] {
            let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": generate::policy_objects(pods, 50, 500)});
            std::fs::write(out.join(format!("policies-{pods}.json")), serde_json::to_vec(&list)?)?;
        }
        eprintln!(
            "wrote {} objects for {namespaces} namespaces to {}",
            objects.len(),
            out.display()
        );
        Ok(())
    })();
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}: {e}", out.display());
            std::process::ExitCode::from(3)
        }
    }
}
