#!/usr/bin/env bash
# Builds the test bed (cached), starts it, runs the test-bed suite against it, and always
# tears it down. What `just testbed-test` and `.ci/run` call. Extra arguments go to the test
# binary (e.g. a test name filter).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
export KUBEDRILL_TESTBED_DIR=${KUBEDRILL_TESTBED_DIR:-/tmp/kubedrill-testbed}
start=$(date +%s)
bin=$(bash "$here/build.sh")
echo "==> test-bed binaries in $bin ($(( $(date +%s) - start )) s)" >&2
trap 'bash "$here/down.sh"' EXIT
bash "$here/up.sh" --profile kindnet
# shellcheck disable=SC1091
source "$KUBEDRILL_TESTBED_DIR/env.sh"
cargo test --locked --test testbed -- --ignored --test-threads=1 "$@"
