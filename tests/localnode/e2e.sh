#!/usr/bin/env bash
# `just e2e-local`: builds the local real-pod node (cached), starts the test bed with it
# (`up.sh --nodes real`), runs `kubedrill scenario verify` with real probes for every scenario
# it hosts (tests/localnode.rs), and always tears everything down. Extra arguments go to the
# test binary. KUBEDRILL_E2E_LOCAL_SCENARIOS=a,b limits the run to those scenarios.
#
# Needs root (containerd, the kubelet, bridges and iptables act on this machine) and Linux
# with bridge, veth, br_netfilter and iptables. Exit 3 when the node cannot be built or started.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
if [ "$(id -u)" != 0 ]; then
  echo "error: the local node runs containerd and the kubelet on this machine, which needs root" >&2
  echo "hint: run \`sudo just e2e-local\`, or use \`just e2e\` with Docker and kind" >&2
  exit 3
fi
# shellcheck source=../testbed/lib.sh
source "$here/../testbed/lib.sh"
ensure_tools "the local node" "openssl curl python3 util-linux coreutils runc iptables gcc debootstrap" \
  openssl curl python3 setsid tac runc iptables-save gcc debootstrap
export KUBEDRILL_TESTBED_DIR=${KUBEDRILL_TESTBED_DIR:-/tmp/kubedrill-localnode}
start=$(date +%s)
node=$(bash "$here/build.sh")
echo "==> local node built in $node ($(( $(date +%s) - start )) s)" >&2
run_suite localnode --nodes real -- --nocapture "$@"
