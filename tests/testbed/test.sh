#!/usr/bin/env bash
# Builds the test bed (cached), starts it, runs the test-bed suite against it, and always
# tears it down. What `just testbed-test` and `.ci/run` call. Extra arguments go to the test
# binary (e.g. a test name filter).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
export KUBEDRILL_TESTBED_DIR=${KUBEDRILL_TESTBED_DIR:-/tmp/kubedrill-testbed}
# The launcher's own tools: installed from Debian's packages when missing and allowed (root).
missing=()
for tool in openssl curl python3 setsid tac; do
  command -v "$tool" > /dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
    apt-get update -qq && apt-get install -y -qq openssl curl python3 util-linux coreutils > /dev/null
  else
    echo "error: the test bed needs ${missing[*]}" >&2
    echo "hint: install them (Debian: apt-get install openssl curl python3 util-linux coreutils)" >&2
    exit 3
  fi
fi
start=$(date +%s)
bin=$(bash "$here/build.sh")
echo "==> test-bed binaries in $bin ($(( $(date +%s) - start )) s)" >&2
trap 'bash "$here/down.sh"' EXIT
bash "$here/up.sh" --profile kindnet
# shellcheck disable=SC1091
source "$KUBEDRILL_TESTBED_DIR/env.sh"
cargo test --locked --test testbed -- --ignored --test-threads=1 "$@"
