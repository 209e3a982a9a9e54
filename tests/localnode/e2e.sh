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
missing=()
for tool in openssl curl python3 setsid tac runc iptables-save gcc debootstrap; do
  command -v "$tool" > /dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get > /dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl curl python3 util-linux coreutils runc iptables gcc debootstrap > /dev/null
  else
    echo "error: the local node needs ${missing[*]}" >&2
    echo "hint: install them (Debian: apt-get install openssl curl python3 util-linux coreutils runc iptables gcc debootstrap)" >&2
    exit 3
  fi
fi
export KUBEDRILL_TESTBED_DIR=${KUBEDRILL_TESTBED_DIR:-/tmp/kubedrill-localnode}
start=$(date +%s)
node=$(bash "$here/build.sh")
echo "==> local node built in $node ($(( $(date +%s) - start )) s)" >&2
trap 'bash "$here/../testbed/down.sh"' EXIT
bash "$here/../testbed/up.sh" --nodes real
# shellcheck disable=SC1091
source "$KUBEDRILL_TESTBED_DIR/env.sh"
echo "==> local node up in $(cat "$KUBEDRILL_TESTBED_DIR/startup-ms") ms" >&2
cargo test --locked --test localnode -- --ignored --test-threads=1 --nocapture "$@"
