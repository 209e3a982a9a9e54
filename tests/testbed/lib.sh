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
