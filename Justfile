# kubedrill recipes. `just` alone runs the tests.
set shell := ["bash", "-euo", "pipefail", "-c"]

default: test

# Every test that needs no cluster (the README's test command).
test:
    cargo test --workspace

# Formatting and clippy exactly as CI runs them.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Format the code.
fmt:
    cargo fmt --all

# What CI runs on every submission.
ci:
    bash .ci/run

# The HTML report in headless Chromium at 1100 px, 800 px and print width (needs chromium or
# google-chrome, or KUBEDRILL_CHROMIUM); screenshots go to target/tmp/html-report/.
html-check:
    cargo test --test html_report -- --ignored
    @echo "screenshots: ${CARGO_TARGET_DIR:-target}/tmp/html-report/"

# Validate the scenario folders in ./scenarios.
scenarios:
    cargo run --quiet -- scenario lint scenarios

# Benchmarks: criterion in-process, then the release binary end to end on one core.
bench:
    cargo bench --bench catalogue
    just bench-cli
    just bench-grade
    just bench-analyzer

# Wall time of `list` and of linting 20 scenarios with the release binary (needs hyperfine).
bench-cli:
    #!/usr/bin/env bash
    set -euo pipefail
    command -v hyperfine >/dev/null || { echo "error: hyperfine not found" >&2; echo "hint: apt-get install hyperfine (or cargo install hyperfine)" >&2; exit 3; }
    cargo build --release --quiet
    corpus=$(mktemp -d)
    trap 'rm -rf "$corpus"' EXIT
    i=0
    while [ "$i" -lt 20 ]; do
      for src in scenarios/*/; do
        [ "$i" -lt 20 ] || break
        id=$(basename "$src"); new="$id-$i"
        cp -r "$src" "$corpus/$new"
        sed -i "s/^id: $id\$/id: $new/" "$corpus/$new/scenario.yaml"
        i=$((i + 1))
      done
    done
    pin=""; command -v taskset >/dev/null && pin="taskset -c 0"
    hyperfine --warmup 3 --shell=none \
      "$pin target/release/kubedrill list" \
      "$pin target/release/kubedrill scenario lint $corpus"

# Build the test bed's control plane from the Go module proxy (cached by version).
testbed-build:
    bash tests/testbed/build.sh

# Start the test bed: a real kube-apiserver, etcd, controllers and scheduler, kwok nodes.
testbed-up profile="kindnet":
    bash tests/testbed/up.sh --profile {{profile}}

# Stop the test bed and remove its state.
testbed-down:
    bash tests/testbed/down.sh

# Build, start, run the test-bed suite, always tear down (CI runs this).
testbed-test *args:
    bash tests/testbed/test.sh --nocapture {{args}}

# Build the local real-pod node: containerd, CNI plugins, CoreDNS and the node's images from source.
localnode-build:
    bash tests/localnode/build.sh

# Start the test bed with one real node (root): real pods, kube-proxy, CoreDNS, real traffic.
localnode-up:
    bash tests/testbed/up.sh --nodes real

# `scenario verify` with real probes for every scenario the local node hosts, then tear down
# (root; KUBEDRILL_E2E_LOCAL_SCENARIOS=a,b for a subset).
e2e-local *args:
    bash tests/localnode/e2e.sh {{args}}

# End-to-end tests on a real kind cluster named kubedrill-e2e (needs docker, kind, kubectl).
e2e:
    cargo test --test e2e -- --ignored --test-threads=1
    cargo test --test e2e_live -- --ignored --test-threads=1

# Delete the e2e cluster.
e2e-clean:
    kind delete cluster --name kubedrill-e2e
    cargo run --quiet -- cluster down --profile kindnet
    cargo run --quiet -- cluster down --profile flannel

# Grading benchmark: criterion in-process, then the release binary on a generated
# 5,000-pod / 1,000-Service / 300-policy snapshot (wall time and peak RSS).
bench-grade:
    #!/usr/bin/env bash
    set -euo pipefail
    cargo bench --bench grading
    cargo build --release --quiet --example big_snapshot
    cargo build --release --quiet
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
    target/release/examples/big_snapshot "$out" 50
    pin=""; command -v taskset >/dev/null && pin="taskset -c 0"
    command -v hyperfine >/dev/null && hyperfine --warmup 1 --shell=none \
      "$pin target/release/kubedrill grade --scenario $out/big-cluster --snapshot $out/snapshot.json -o json"
    /usr/bin/time -f "peak RSS: %M KiB, wall: %e s" $pin target/release/kubedrill grade --scenario "$out/big-cluster" --snapshot "$out/snapshot.json" -o json > /dev/null

# Analyzer benchmark: criterion matrix for 500/2,000/5,000 pods with 500 policies, then the
# release binary's `explain --matrix` wall time and peak RSS on one core.
bench-analyzer:
    #!/usr/bin/env bash
    set -euo pipefail
    cargo bench --bench analyzer
    cargo build --release --quiet --example big_snapshot
    cargo build --release --quiet
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
    target/release/examples/big_snapshot "$out" 50
    pin=""; command -v taskset >/dev/null && pin="taskset -c 0"
    for pods in 500 2000 5000; do
      /usr/bin/time -f "explain --matrix, $pods pods: peak RSS %M KiB, wall %e s" $pin target/release/kubedrill explain --matrix -o json --snapshot "$out/policies-$pods.json" > /dev/null
    done

# `explain --matrix` on the generated 5,000-pod / 500-policy snapshot with the release binary:
# output bytes, peak RSS and wall time of the text summary and of the JSON grid (GNU time).
measure-explain:
    #!/usr/bin/env bash
    set -euo pipefail
    [ -x /usr/bin/time ] || { echo "error: /usr/bin/time not found" >&2; echo "hint: apt-get install time" >&2; exit 3; }
    cargo build --release --quiet --example big_snapshot
    cargo build --release --quiet
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
    target/release/examples/big_snapshot "$out" 50 2>/dev/null
    for format in text json; do
      bytes=$(/usr/bin/time -o "$out/time" -f "%M %e" target/release/kubedrill explain --matrix -o "$format" --snapshot "$out/policies-5000.json" | wc -c)
      read -r rss wall < "$out/time"
      echo "explain --matrix -o $format, 5,000 pods: $bytes bytes, peak RSS $rss KiB, wall $wall s"
    done
