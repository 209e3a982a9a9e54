#!/usr/bin/env bash
# Builds what a real node adds to the test bed's control plane, from source only, cached by
# version: containerd 2 with its runc shim and ctr, the CNI plugins, CoreDNS, kube-router (the
# NetworkPolicy engine), pause (C, static), and the node's container images as OCI archives
# (pause, agnhost, CoreDNS, kube-proxy, kube-router).
#
# Prints the cache folder: bin/ holds the binaries, images/ the archives. A second run with the
# same versions builds nothing. Kubernetes' own binaries (kubelet, kube-proxy, agnhost) come
# from ../testbed/build.sh. Nothing is downloaded prebuilt: Go modules come from the module
# proxy, and the images' Debian root file system from Debian's mirror through debootstrap.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
# shellcheck source=../testbed/versions.env
source "$here/../testbed/versions.env"

cache=${KUBEDRILL_TESTBED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubedrill/testbed}
node="$cache/node/containerd-$CONTAINERD_VERSION.cni-$CNI_PLUGINS_VERSION.coredns-$COREDNS_VERSION.kube-router-$KUBE_ROUTER_VERSION.k8s-$K8S_VERSION.$DEBIAN_SUITE"
bin="$node/bin"
images="$node/images"
binaries=(containerd containerd-shim-runc-v2 ctr bridge host-local loopback portmap coredns kube-router pause)
archives=(pause agnhost coredns kube-proxy kube-router)
log() { printf '==> %s\n' "$*" >&2; }

complete() {
  local b
  for b in "${binaries[@]}"; do [ -x "$bin/$b" ] || return 1; done
  for b in "${archives[@]}"; do [ -f "$images/$b.tar" ] || return 1; done
}
if complete; then
  echo "$node"
  exit 0
fi

# shellcheck source=../testbed/lib.sh
source "$here/../testbed/lib.sh"
require_go "the local node"
for tool in gcc debootstrap python3; do
  command -v "$tool" > /dev/null && continue
  if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
    apt-get install -y -qq gcc debootstrap python3 > /dev/null
  else
    echo "error: the local node's build needs \`$tool\`" >&2
    echo "hint: apt-get install gcc debootstrap python3" >&2
    exit 3
  fi
done

k8s=$(bash "$here/../testbed/build.sh")
mkdir -p "$bin" "$images"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# go install PACKAGE@VERSION into $bin, built statically.
install_go() {
  local package=$1 tags=${2:-} name
  name=$(basename "${package%@*}")
  [ -x "$bin/$name" ] && return 0
  log "go install $package"
  CGO_ENABLED=0 GOFLAGS= GOBIN="$work/gobin" go install -trimpath -tags "$tags" -ldflags "-s -w" "$package"
  mv "$work/gobin/$name" "$bin/$name"
}

containerd_tags="no_btrfs no_devmapper no_zfs no_aufs"
install_go "github.com/containerd/containerd/v2/cmd/containerd@$CONTAINERD_VERSION" "$containerd_tags"
install_go "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2@$CONTAINERD_VERSION" "$containerd_tags"
install_go "github.com/containerd/containerd/v2/cmd/ctr@$CONTAINERD_VERSION" "$containerd_tags"
for plugin in main/bridge ipam/host-local main/loopback meta/portmap; do
  install_go "github.com/containernetworking/plugins/plugins/$plugin@$CNI_PLUGINS_VERSION"
done
install_go "github.com/coredns/coredns@$COREDNS_VERSION"
install_go "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@$KUBE_ROUTER_VERSION"

if [ ! -x "$bin/pause" ]; then
  source=$(GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  log "gcc -static build/pause/linux/pause.c ($K8S_VERSION)"
  gcc -Os -static -DVERSION="\"$K8S_VERSION-kubedrill\"" -o "$work/pause" "$source/build/pause/linux/pause.c"
  strip "$work/pause"
  mv "$work/pause" "$bin/pause"
fi

bash "$here/images.sh" "$bin" "$k8s" "$images" "$work"
complete || { echo "error: the local node's build left something missing in $node" >&2; exit 3; }
echo "$node"
