# Helpers shared by up.sh and down.sh (sourced, not run).

# Whether a test bed recorded in state folder $1 still has a live process.
testbed_running() {
  local pid
  [ -f "$1/pids" ] || return 1
  while read -r pid _; do
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && return 0
  done < "$1/pids"
  return 1
}

# $1 free TCP ports on 127.0.0.1, space-separated (the kernel picks them).
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
}

# spawn STATE NAME PROGRAM ARGS...: start a long-running part in its own session, its output
# in STATE/logs/NAME.log, its pid recorded for down.sh.
spawn() {
  local state=$1 name=$2
  shift 2
  setsid "$@" > "$state/logs/$name.log" 2>&1 < /dev/null &
  echo "$! $name" >> "$state/pids"
}

# wait_for SECONDS WHAT LOG COMMAND...: run COMMAND every 0.2 s until it succeeds.
wait_for() {
  local deadline=$(( $(date +%s) + $1 ))
  shift 3
  until "$@" > /dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# node_manifest NAME CLUSTER ROLE PORT: a Node as kind registers it, with kubedrill's ownership
# label and the label kwok manages nodes by.
node_manifest() {
  local name=$1 cluster=$2 role=$3
  cat <<NODE
---
apiVersion: v1
kind: Node
metadata:
  name: $name
  labels:
    kubernetes.io/hostname: $name
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    beta.kubernetes.io/os: linux
    beta.kubernetes.io/arch: amd64
    kubedrill.dev/cluster: $cluster
    kubedrill.dev/testbed-node: "true"
NODE
  if [ "$role" = control-plane ]; then
    cat <<NODE
    node-role.kubernetes.io/control-plane: ""
    node.kubernetes.io/exclude-from-external-load-balancers: ""
  annotations:
    kwok.x-k8s.io/node: fake
spec:
  podCIDR: 10.244.0.0/24
  taints:
  - key: node-role.kubernetes.io/control-plane
    effect: NoSchedule
NODE
  else
    cat <<NODE
  annotations:
    kwok.x-k8s.io/node: fake
spec:
  podCIDR: 10.244.1.0/24
NODE
  fi
}

# ensure_tools WHAT "PACKAGES" TOOL...: when a TOOL is missing, install the Debian PACKAGES
# (root with apt-get), else stop with exit 3 naming what WHAT needs.
ensure_tools() {
  local what=$1 packages=$2 tool missing=()
  shift 2
  for tool in "$@"; do
    command -v "$tool" > /dev/null || missing+=("$tool")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
    # shellcheck disable=SC2086
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages > /dev/null
  else
    echo "error: $what needs ${missing[*]}" >&2
    echo "hint: install them (Debian: apt-get install $packages)" >&2
    exit 3
  fi
}

# require_go WHAT: stop with exit 3 unless Go is installed (WHAT is built from source).
require_go() {
  command -v go > /dev/null && return 0
  echo "error: \`go\` not found: $1 is built from source" >&2
  echo "hint: install Go 1.26 (https://go.dev/dl); cargo test ignores the suites that need it" >&2
  exit 3
}

# run_suite TEST UP_ARGS -- CARGO_TEST_ARGS...: start the test bed with UP_ARGS, run the
# ignored tests of tests/TEST.rs against it, and always tear it down (so a second run_suite
# can start another bed).
run_suite() {
  local test=$1 up_args=()
  shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do up_args+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  trap 'bash "$here/../testbed/down.sh"' EXIT
  bash "$here/../testbed/up.sh" "${up_args[@]}"
  # shellcheck disable=SC1091
  source "$KUBEDRILL_TESTBED_DIR/env.sh"
  echo "==> test bed ($KUBEDRILL_TESTBED_PROFILE) up in $(cat "$KUBEDRILL_TESTBED_DIR/startup-ms") ms" >&2
  cargo test --locked --test "$test" -- --ignored --test-threads=1 "$@"
  bash "$here/../testbed/down.sh"
  trap - EXIT
}
