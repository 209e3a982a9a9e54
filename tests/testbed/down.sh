#!/usr/bin/env bash
# Stops every process of the test bed and removes its state folder. Always exits 0: it is
# what `just testbed-test` runs on the way out, whatever happened before.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
state=${KUBEDRILL_TESTBED_DIR:-/tmp/kubedrill-testbed}
# shellcheck source=lib.sh
source "$here/lib.sh"
if [ -d "$state/node" ]; then
  # A real node: its pods and containerd's shims live outside the recorded process groups.
  # shellcheck source=../localnode/node.sh
  source "$here/../localnode/node.sh"
  node_stop "$state"
fi
if [ -f "$state/pids" ]; then
  # Reverse start order: kwok and the controllers before the API server, etcd last.
  tac "$state/pids" | while read -r pid name; do
    [ -n "$pid" ] && kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
  done
  for _ in $(seq 1 50); do
    testbed_running "$state" || break
    sleep 0.1
  done
  while read -r pid name; do
    [ -n "$pid" ] && kill -KILL -- "-$pid" 2>/dev/null
    kill -KILL "$pid" 2>/dev/null
  done < "$state/pids"
fi
[ -d "$state/node" ] && node_down "$state"
if [ -n "${KUBEDRILL_TESTBED_KEEP_LOGS:-}" ] && [ -d "$state/logs" ]; then
  mkdir -p "$KUBEDRILL_TESTBED_KEEP_LOGS"
  cp -r "$state/logs" "$state/audit.log" "$KUBEDRILL_TESTBED_KEEP_LOGS/" 2>/dev/null
fi
rm -rf "$state"
echo "test bed stopped" >&2
exit 0
