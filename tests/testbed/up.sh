#!/usr/bin/env bash
# Starts the test bed: a real Kubernetes control plane (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler) as local processes, with kwok giving the nodes and
# pods their status. It looks like one of kubedrill's own kind clusters: nodes named as kind
# names them and labelled `kubedrill.dev/cluster`, the kube-system objects kind and kubeadm
# create, the API server's namespace labels. Every request is written to an audit log.
#
# With `--nodes real`, kwok is replaced by one real node (../localnode): containerd and the
# kubelet as processes, real pods from images built here, kube-proxy and CoreDNS running.
#
# Usage: up.sh [--profile kindnet|flannel|calico] [--workers N] [--nodes kwok|real]
# State (kubeconfig, audit log, logs, pids) goes to $KUBEDRILL_TESTBED_DIR
# (default: /tmp/kubedrill-testbed); `env.sh` there exports what the tests read.
# Exit 0 when the cluster is up and healthy, 1 when a test bed already runs, 3 when a part
# failed to start (its log is named).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
profile=kindnet
workers=1
nodes_kind=kwok
while [ $# -gt 0 ]; do
  case $1 in
    --profile) profile=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --nodes) nodes_kind=$2; shift 2 ;;
    *) echo "error: unknown argument \`$1\`" >&2; echo "hint: up.sh [--profile kindnet|flannel|calico] [--workers N] [--nodes kwok|real]" >&2; exit 2 ;;
  esac
done
case $profile in kindnet|flannel|calico) ;; *) echo "error: profile \`$profile\` has no test bed (kindnet, flannel, calico)" >&2; exit 2 ;; esac
case $nodes_kind in kwok|real) ;; *) echo "error: \`--nodes $nodes_kind\`: the nodes are \`kwok\` or \`real\`" >&2; exit 2 ;; esac
if [ "$nodes_kind" = real ] && [ "$profile" != kindnet ]; then
  echo "error: the real node hosts the kindnet profile only, not \`$profile\`" >&2
  echo "hint: use \`--nodes kwok\` for the $profile profile" >&2
  exit 2
fi

state=${KUBEDRILL_TESTBED_DIR:-/tmp/kubedrill-testbed}
# shellcheck source=lib.sh
source "$here/lib.sh"
if testbed_running "$state"; then
  echo "error: a test bed is already running (state in \`$state\`)" >&2
  echo "hint: run \`just testbed-down\` first, or set KUBEDRILL_TESTBED_DIR for a second one" >&2
  exit 1
fi
started=$(date +%s%N)
bin=$("$here/build.sh")
advertise=127.0.0.1
bind=127.0.0.1
reconciler=none
node_cidrs=false
kubelet_address=Hostname,InternalDNS,InternalIP,ExternalDNS,ExternalIP
if [ "$nodes_kind" = real ]; then
  # shellcheck source=../localnode/node.sh
  source "$here/../localnode/node.sh"
  node_dir=$(bash "$here/../localnode/build.sh")
  # Pods reach the API server through the kubernetes Service, so it advertises the node's
  # address and its endpoints are reconciled as on any cluster.
  advertise=$(node_address)
  bind=0.0.0.0
  reconciler=lease
  # The node's name resolves only inside a kind network: reach the kubelet by its address.
  kubelet_address=InternalIP
  # The NetworkPolicy engine reads the node's pod CIDR (kwok nodes are created with theirs).
  node_cidrs=true
fi
rm -rf "$state"
mkdir -p "$state/logs" "$state/pki" "$state/etcd"
: > "$state/pids"
cluster="kubedrill-$profile"

fail() {
  echo "error: $1" >&2
  [ -n "${2:-}" ] && { echo "--- last lines of $2:" >&2; tail -n 20 "$2" >&2; }
  echo "hint: the logs are in \`$state/logs\`; \`just testbed-down\` cleans up" >&2
  exit 3
}

# --- ports and certificates -------------------------------------------------------------
read -r etcd_port peer_port api_port kwok_port cm_port sched_port < <(free_ports 6)
pki=$state/pki
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=kubedrill-testbed-ca" \
  -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
cat > "$pki/admin.ext" <<EXT
subjectAltName = IP:127.0.0.1, IP:$advertise, IP:10.96.0.1, DNS:localhost, DNS:kubernetes, DNS:kubernetes.default.svc
extendedKeyUsage = serverAuth, clientAuth
EXT
# One key pair: serving certificate, client certificate (admin, system:masters) and the
# service-account signing key, as testbed.md suggests.
openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=admin" \
  -keyout "$pki/admin.key" -out "$pki/admin.csr" 2>/dev/null
openssl x509 -req -in "$pki/admin.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
  -days 2 -extfile "$pki/admin.ext" -out "$pki/admin.crt" 2>/dev/null

kubeconfig=$state/kubeconfig
cat > "$kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: $cluster
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority: $pki/ca.crt
users:
- name: admin
  user:
    client-certificate: $pki/admin.crt
    client-key: $pki/admin.key
contexts:
- name: kind-$cluster
  context: {cluster: $cluster, user: admin}
current-context: kind-$cluster
KUBECONFIG

# --- etcd -------------------------------------------------------------------------------
spawn "$state" etcd "$bin/etcd" --name testbed --data-dir "$state/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-cluster "testbed=http://127.0.0.1:$peer_port" --unsafe-no-fsync --log-level warn
wait_for 30 "etcd" "$state/logs/etcd.log" curl -fsS "http://127.0.0.1:$etcd_port/health" \
  || fail "etcd did not become healthy in 30 s" "$state/logs/etcd.log"

# --- kube-apiserver ---------------------------------------------------------------------
cp "$here/audit-policy.yaml" "$state/audit-policy.yaml"
spawn "$state" kube-apiserver "$bin/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$etcd_port" \
  --bind-address "$bind" --advertise-address "$advertise" --secure-port "$api_port" \
  --tls-cert-file "$pki/admin.crt" --tls-private-key-file "$pki/admin.key" --client-ca-file "$pki/ca.crt" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$pki/admin.key" --service-account-signing-key-file "$pki/admin.key" \
  --service-cluster-ip-range 10.96.0.0/16 --authorization-mode Node,RBAC --allow-privileged=true \
  --endpoint-reconciler-type "$reconciler" \
  --kubelet-preferred-address-types "$kubelet_address" --kubelet-client-certificate "$pki/admin.crt" --kubelet-client-key "$pki/admin.key" \
  --audit-policy-file "$state/audit-policy.yaml" --audit-log-path "$state/audit.log" \
  --audit-log-format json --audit-log-mode blocking
api() { curl -fsS --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "https://127.0.0.1:$api_port$1"; }
wait_for 60 "kube-apiserver" "$state/logs/kube-apiserver.log" api /readyz \
  || fail "kube-apiserver did not become ready in 60 s" "$state/logs/kube-apiserver.log"

# --- controllers and scheduler ----------------------------------------------------------
spawn "$state" kube-controller-manager "$bin/kube-controller-manager" --kubeconfig "$kubeconfig" \
  --leader-elect=false --bind-address 127.0.0.1 --secure-port "$cm_port" \
  --service-account-private-key-file "$pki/admin.key" --root-ca-file "$pki/ca.crt" \
  --service-cluster-ip-range 10.96.0.0/16 --cluster-cidr 10.244.0.0/16 --allocate-node-cidrs="$node_cidrs" \
  --node-monitor-grace-period 60s --use-service-account-credentials=false
spawn "$state" kube-scheduler "$bin/kube-scheduler" --kubeconfig "$kubeconfig" \
  --leader-elect=false --bind-address 127.0.0.1 --secure-port "$sched_port"

# --- nodes and kwok ---------------------------------------------------------------------
kubectl() { "$bin/kubectl" --kubeconfig "$kubeconfig" "$@"; }
nodes=("$cluster-control-plane")
for i in $(seq 1 "$workers"); do
  [ "$i" = 1 ] && nodes+=("$cluster-worker") || nodes+=("$cluster-worker$i")
done
if [ "$nodes_kind" = real ]; then
  nodes=("$cluster-control-plane")
  start_node "$state" "$node_dir" "$bin" "$kubeconfig" "${nodes[0]}" "$advertise"
  wait_for 60 "the node" "$state/logs/kubelet.log" kubectl get node "${nodes[0]}" \
    || fail "the kubelet did not register node ${nodes[0]} in 60 s" "$state/logs/kubelet.log"
  # Labels a kubelet may not set on itself (kind's control plane, untainted: one node only).
  kubectl label node "${nodes[0]}" --overwrite kubedrill.dev/cluster="$cluster" \
    node-role.kubernetes.io/control-plane= node.kubernetes.io/exclude-from-external-load-balancers= > /dev/null
else
  for node in "${nodes[@]}"; do
    role=""; [ "$node" = "$cluster-control-plane" ] && role=control-plane
    node_manifest "$node" "$cluster" "$role" "$kwok_port"
  done > "$state/nodes.yaml"
  kubectl apply -f "$state/nodes.yaml" > /dev/null
  # KWOK_WORKDIR keeps a developer's own ~/.kwok/kwok.yaml out of the test bed.
  KWOK_WORKDIR="$state/kwok" spawn "$state" kwok "$bin/kwok" --kubeconfig "$kubeconfig" \
    --config "$here/kwok/kwok.yaml" --config "$here/kwok/stages.yaml" --config "$here/kwok/exec.yaml" \
    --manage-all-nodes=false --manage-nodes-with-label-selector "kubedrill.dev/testbed-node" \
    --cidr 10.244.0.0/16 --node-ip 127.0.0.1 --node-port "$kwok_port" --server-address "127.0.0.1:$kwok_port" \
    --tls-cert-file "$pki/admin.crt" --tls-private-key-file "$pki/admin.key"
fi

# --- what kind and kubeadm create -------------------------------------------------------
# kubeadm's manifests name the kindnet cluster's API endpoint; other profiles get their own.
api_endpoint=$cluster-control-plane:6443
[ "$nodes_kind" = real ] && api_endpoint=$advertise:$api_port
sed -e "s/kubedrill-kindnet-control-plane:6443/$api_endpoint/" -e "s/kubedrill-kindnet/$cluster/g" "$here/manifests/kubeadm.yaml" \
  | kubectl apply --server-side -f - > /dev/null
if [ "$nodes_kind" = real ]; then
  # kindnetd cannot be built here: a stand-in DaemonSet of the same name writes the CNI
  # configuration and enforces NetworkPolicy (../localnode/manifests/kindnet.yaml).
  kindnet_manifest "$state" | kubectl apply --server-side -f - > /dev/null
else case $profile in
  kindnet) kubectl apply --server-side -f "$here/manifests/kindnet.yaml" > /dev/null ;;
  flannel) kubectl apply --server-side -f "$here/manifests/flannel.yaml" > /dev/null ;;
  calico) kubectl apply --server-side -f "$here/manifests/calico.yaml" > /dev/null ;;
esac; fi

# The profile's CNI DaemonSet, as kubedrill's own health gate reads it (src/cluster/cni.rs).
case $profile in
  kindnet) cni_daemonset=(kube-system daemonset/kindnet) ;;
  flannel) cni_daemonset=(kube-flannel daemonset/kube-flannel-ds) ;;
  calico) cni_daemonset=(calico-system daemonset/calico-node) ;;
esac
healthy() {
  kubectl wait --for=condition=Ready node --all --timeout=1s > /dev/null 2>&1 &&
    kubectl -n "${cni_daemonset[0]}" rollout status "${cni_daemonset[1]}" --timeout=1s > /dev/null 2>&1 &&
    kubectl -n kube-system rollout status deployment/coredns --timeout=1s > /dev/null 2>&1 &&
    kubectl -n kube-system rollout status daemonset/kube-proxy --timeout=1s > /dev/null 2>&1
}
node_log=$state/logs/kwok.log
[ "$nodes_kind" = real ] && node_log=$state/logs/kubelet.log
wait_for 180 "the cluster" "$node_log" healthy \
  || fail "nodes or kube-system workloads did not become ready in 180 s" "$node_log"

cat > "$state/env.sh" <<ENV
export KUBEDRILL_TESTBED_DIR=$state
export KUBEDRILL_TESTBED_KUBECONFIG=$kubeconfig
export KUBEDRILL_TESTBED_AUDIT=$state/audit.log
export KUBEDRILL_TESTBED_PROFILE=$profile
export KUBEDRILL_TESTBED_BIN=$bin
export KUBEDRILL_TESTBED_NODES=$nodes_kind
ENV
elapsed=$(( ($(date +%s%N) - started) / 1000000 ))
echo "$elapsed" > "$state/startup-ms"
echo "test bed \`$cluster\` is up in ${elapsed} ms: export KUBECONFIG=$kubeconfig" >&2
