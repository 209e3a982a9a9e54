# A real node for the test bed (sourced by ../testbed/up.sh with `--nodes real`, not run).
#
# containerd 2 and the kubelet run as processes on this machine, pods in their own network
# namespaces on a CNI bridge (10.244.0.0/24), kube-proxy and CoreDNS as real pods from images
# built here (build.sh). The CNI configuration comes from the stand-in kindnet DaemonSet
# (manifests/kindnet.yaml), as kindnetd writes it on kind's nodes. Everything it creates is recorded for down.sh: processes in
# STATE/pids, and the bridge, the node address and iptables chains undone by node_down.

LOCALNODE_BRIDGE=kubedrill0
# The CNI bridge, named in manifests/kindnet.yaml, which writes the CNI configuration.
LOCALNODE_CNI_BRIDGE=kdcni0

# kindnet_manifest STATE: the stand-in kindnet DaemonSet for this node, ready to apply.
kindnet_manifest() {
  # shellcheck source=versions.env
  source "$here/../localnode/versions.env"
  sed -e "s|CNI_CONF_DIR|$1/node/cni/net.d|" -e "s|KUBE_ROUTER_VERSION|$KUBE_ROUTER_VERSION|" \
    "$here/../localnode/manifests/kindnet.yaml"
}

# node_address: the address the node and the API server advertise, on a bridge of its own
# (this machine has no default route, and the kubelet refuses a loopback node IP).
node_address() {
  echo 172.30.0.1
}

# start_node STATE NODE_DIR K8S_BIN KUBECONFIG NODE_NAME NODE_IP
start_node() {
  local state=$1 node=$2 k8s=$3 kubeconfig=$4 name=$5 ip=$6
  local root="$state/node" sock
  sock="$root/containerd/containerd.sock"
  mkdir -p "$root/containerd" "$root/cni/net.d" "$root/kubelet" "$root/pods-logs"
  sysctl -n net.ipv4.ip_forward > "$root/ip_forward.before"
  sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
  ip link add "$LOCALNODE_BRIDGE" type bridge 2>/dev/null || true
  ip addr replace "$ip/32" dev "$LOCALNODE_BRIDGE"
  ip link set "$LOCALNODE_BRIDGE" up

  # A ClusterIP port no Service serves is not DNATed and would leave through this machine's
  # default route, where the sandbox's egress accepts every TCP connection; on kind it finds
  # nothing and times out. Drop it, as kind's network does in effect. In mangle FORWARD (after
  # the DNAT, before the filter table): kube-router and kube-proxy insert their FORWARD jumps
  # at the top of the filter table, and kube-router's accepted such a packet before a filter
  # rule of ours was reached (a Service without kube-proxy's rules answered the sandbox's 404).
  iptables -t mangle -N KUBEDRILL-NODE 2>/dev/null || iptables -t mangle -F KUBEDRILL-NODE
  iptables -t mangle -A KUBEDRILL-NODE -s 10.244.0.0/16 -d 10.96.0.0/16 -j DROP
  iptables -t mangle -C FORWARD -j KUBEDRILL-NODE 2>/dev/null || iptables -t mangle -I FORWARD -j KUBEDRILL-NODE

  cp "$here/../localnode/runc-wrapper.py" "$root/runc-wrapper"
  chmod +x "$root/runc-wrapper"
  cat > "$root/containerd/config.toml" <<TOML
version = 3
root = "$root/containerd/root"
state = "$root/containerd/state"
[grpc]
  address = "$sock"
[plugins."io.containerd.cri.v1.images".pinned_images]
  sandbox = "registry.k8s.io/pause:3.10.2"
[plugins."io.containerd.cri.v1.runtime".cni]
  bin_dirs = ["$node/bin"]
  conf_dir = "$root/cni/net.d"
[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
  BinaryName = "$root/runc-wrapper"
  SystemdCgroup = false
TOML
  PATH="$node/bin:$PATH" spawn "$state" containerd "$node/bin/containerd" --config "$root/containerd/config.toml"
  wait_for 30 containerd "$state/logs/containerd.log" "$node/bin/ctr" --address "$sock" version \
    || fail "containerd did not start in 30 s" "$state/logs/containerd.log"
  local archive
  for archive in "$node/images"/*.tar; do
    "$node/bin/ctr" --address "$sock" -n k8s.io images import --no-unpack=false "$archive" > /dev/null \
      || fail "ctr could not import $archive" "$state/logs/containerd.log"
  done

  cat > "$root/kubelet/config.yaml" <<KUBELET
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
clusterDNS: [10.96.0.10]
clusterDomain: cluster.local
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $state/pki/ca.crt}
authorization: {mode: AlwaysAllow}
tlsCertFile: $state/pki/admin.crt
tlsPrivateKeyFile: $state/pki/admin.key
podCIDR: 10.244.0.0/24
containerRuntimeEndpoint: unix://$sock
podLogsDir: $root/pods-logs
resolvConf: /etc/resolv.conf
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
imageGCHighThresholdPercent: 100
localStorageCapacityIsolation: false
cgroupsPerQOS: true
KUBELET
  spawn "$state" kubelet "$k8s/kubelet" --config "$root/kubelet/config.yaml" --kubeconfig "$kubeconfig" \
    --root-dir "$root/kubelet/root" --cert-dir "$root/kubelet/pki" --hostname-override "$name" --node-ip "$ip" \
    --v 2
}

# node_stop STATE: stop the kubelet, every pod process (all in the kubepods cgroups) and
# containerd's shims, before down.sh stops the recorded processes.
node_stop() {
  local state=$1 pid
  pid=$(awk '$2 == "kubelet" {print $1}' "$state/pids")
  [ -n "$pid" ] && kill -TERM -- "-$pid" 2>/dev/null
  for _ in 1 2 3; do
    cat /sys/fs/cgroup/pids/kubepods/cgroup.procs /sys/fs/cgroup/pids/kubepods/*/cgroup.procs \
      /sys/fs/cgroup/pids/kubepods/*/*/cgroup.procs /sys/fs/cgroup/pids/kubepods/*/*/*/cgroup.procs 2>/dev/null \
      | xargs -r kill -KILL 2>/dev/null
    pkill -KILL -f "containerd-shim-runc-v2 .*$state/node/" 2>/dev/null
    sleep 0.3
  done
}

# node_down STATE: undo what start_node left outside STATE once its processes are gone: pod
# mounts and network namespaces, the bridges, the iptables chains of kube-proxy, the CNI and
# start_node, and ip_forward.
node_down() {
  local state=$1 mount
  grep -o " $state/node[^ ]*" /proc/mounts | sort -r | while read -r mount; do umount -l "$mount" 2>/dev/null; done
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^cni-/ {print $1}'); do ip netns delete "$ns" 2>/dev/null; done
  find /sys/fs/cgroup/*/kubepods -depth -type d -exec rmdir {} + 2>/dev/null
  ip link del "$LOCALNODE_CNI_BRIDGE" 2>/dev/null
  ip link del "$LOCALNODE_BRIDGE" 2>/dev/null
  [ -f "$state/node/ip_forward.before" ] && sysctl -qw net.ipv4.ip_forward="$(cat "$state/node/ip_forward.before")"
  # Each table rewritten without kube-proxy's and the CNI plugins' chains and the rules that
  # jump to them; everything else in it is kept.
  local tool table
  for tool in iptables ip6tables; do
    for table in nat filter mangle; do
      "$tool-save" -t "$table" > "$state/$tool.$table" 2>/dev/null || continue
      grep -q -E '(KUBE|CNI|KUBEDRILL)-' "$state/$tool.$table" || continue
      grep -v -E '(KUBE|CNI|KUBEDRILL)-' "$state/$tool.$table" | "$tool-restore" -T "$table"
    done
  done
}
