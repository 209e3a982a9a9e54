#!/usr/bin/env bash
# Builds the local node's container images as OCI archives, without Docker or a registry.
#
# Usage: images.sh NODE_BIN K8S_BIN IMAGES_DIR WORK_DIR   (called by build.sh)
# Each image gets the name a kind cluster knows it by, so the manifests kubedrill and kubeadm
# write run unchanged: pause and CoreDNS from scratch with one static binary; kube-proxy and
# agnhost and kube-router on a Debian root file system (iptables for kube-proxy, iptables and
# ipset for kube-router; curl, nslookup and nc for agnhost, as upstream's Alpine-based agnhost
# image has).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
# shellcheck source=../testbed/versions.env
source "$here/../testbed/versions.env"
node_bin=$1 k8s_bin=$2 images=$3 work=$4
log() { printf '==> %s\n' "$*" >&2; }
# The names kubeadm 1.36 (pause, CoreDNS, kube-proxy) and kubedrill's scenarios (agnhost) use.
pause_name=registry.k8s.io/pause:3.10.2
coredns_name=registry.k8s.io/coredns/coredns:$COREDNS_VERSION
proxy_name=registry.k8s.io/kube-proxy:$K8S_VERSION
router_name=docker.io/cloudnativelabs/kube-router:$KUBE_ROUTER_VERSION
agnhost_name=$(sed -n 's/^pub const AGNHOST: &str = "\(.*\)";$/\1/p' "$here/../../src/images.rs")
[ -n "$agnhost_name" ] || { echo "error: AGNHOST not found in src/images.rs" >&2; exit 3; }
built="org.opencontainers.image.description=built from source by kubedrill tests/localnode"

# scratch image NAME ARCHIVE BINARY...: the binaries at the root, the first as entry point.
scratch() {
  local name=$1 archive=$2 root="$work/root-$2" b
  shift 2
  [ -f "$images/$archive.tar" ] && return 0
  rm -rf "$root"
  mkdir -p "$root/etc" "$root/tmp"
  for b in "$@"; do cp "$b" "$root/"; done
  log "image $name"
  python3 "$here/oci.py" "$images/$archive.tar" "$name" "$root" \
    --entrypoint "[\"/$(basename "$1")\"]" --label "$built"
}
scratch "$pause_name" pause "$node_bin/pause"
scratch "$coredns_name" coredns "$node_bin/coredns"

debian() {
  local root="$work/debian"
  [ -d "$root/usr" ] && { echo "$root"; return 0; }
  log "debootstrap $DEBIAN_SUITE (minbase + iptables, curl, dnsutils, netcat, iproute2)"
  debootstrap --variant=minbase \
    --include=iptables,ipset,conntrack,curl,bind9-dnsutils,netcat-openbsd,iproute2,ca-certificates \
    "$DEBIAN_SUITE" "$root" http://deb.debian.org/debian > "$work/debootstrap.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap.log" >&2; exit 3; }
  rm -rf "$root/var/cache/apt/archives"/*.deb "$root/var/lib/apt/lists"/* "$root/usr/share/doc" "$root/usr/share/man"
  echo "$root"
}
if [ ! -f "$images/kube-proxy.tar" ] || [ ! -f "$images/agnhost.tar" ] || [ ! -f "$images/kube-router.tar" ]; then
  base=$(debian)
  if [ ! -f "$images/kube-proxy.tar" ]; then
    cp "$k8s_bin/kube-proxy" "$base/usr/local/bin/kube-proxy"
    log "image $proxy_name"
    python3 "$here/oci.py" "$images/kube-proxy.tar" "$proxy_name" "$base" \
      --entrypoint '["/usr/local/bin/kube-proxy"]' --label "$built"
    rm "$base/usr/local/bin/kube-proxy"
  fi
  if [ ! -f "$images/kube-router.tar" ]; then
    cp "$node_bin/kube-router" "$base/usr/local/bin/kube-router"
    # kube-router REJECTs what NetworkPolicy denies (its pod.go hard-codes it); kind's engine
    # drops it, and kubedrill tells a policy's drop (timeout) from a closed port (refused).
    # kube-router finds iptables-restore on PATH, so this one turns its REJECT into DROP.
    for restore in iptables-restore ip6tables-restore; do
      cat > "$base/usr/local/sbin/$restore" <<SH
#!/bin/sh
# kube-router REJECTs the traffic NetworkPolicy denies; kind's engine drops it: DROP here too.
sed -e 's/-j REJECT --reject-with [a-z0-9-]*/-j DROP/' -e 's/-j REJECT\( \|\$\)/-j DROP\1/' | exec /usr/sbin/$restore "\$@"
SH
      chmod +x "$base/usr/local/sbin/$restore"
    done
    log "image $router_name (its iptables-restore drops instead of rejecting)"
    python3 "$here/oci.py" "$images/kube-router.tar" "$router_name" "$base" \
      --entrypoint '["/usr/local/bin/kube-router"]' --label "$built"
    rm "$base/usr/local/bin/kube-router" "$base/usr/local/sbin/iptables-restore" "$base/usr/local/sbin/ip6tables-restore"
  fi
  if [ ! -f "$images/agnhost.tar" ]; then
    cp "$k8s_bin/agnhost" "$base/agnhost"
    mkdir -p "$base/uploads"
    log "image $agnhost_name (agnhost from k8s.io/kubernetes $K8S_VERSION)"
    python3 "$here/oci.py" "$images/agnhost.tar" "$agnhost_name" "$base" \
      --entrypoint '["/agnhost"]' --cmd '["pause"]' --label "$built"
  fi
fi
