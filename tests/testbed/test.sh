#!/usr/bin/env bash
# Builds the test bed (cached), starts it, runs the test-bed suite against it, and always
# tears it down. What `just testbed-test` and `.ci/run` call. Extra arguments go to the test
# binary (e.g. a test name filter).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
export KUBEDRILL_TESTBED_DIR=${KUBEDRILL_TESTBED_DIR:-/tmp/kubedrill-testbed}
# shellcheck source=lib.sh
source "$here/lib.sh"
# The launcher's own tools: installed from Debian's packages when missing and allowed (root).
ensure_tools "the test bed" "openssl curl python3 util-linux coreutils" openssl curl python3 setsid tac
start=$(date +%s)
bin=$(bash "$here/build.sh")
echo "==> test-bed binaries in $bin ($(( $(date +%s) - start )) s)" >&2
run_suite testbed --profile kindnet -- "$@"
# The calico profile's scenarios on a bed of their own (its health gate wants calico-node):
# only the verify sweep, which picks the scenarios of the bed's profile; the other tests are
# about the kindnet cluster kubedrill creates by default.
run_suite testbed --profile calico -- every_hosted_scenario_behaves_on_a_real_api_server "$@"
