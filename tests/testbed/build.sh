#!/usr/bin/env bash
# Builds the test bed's binaries from the Go module proxy only, cached by version.
#
# Prints the folder holding kube-apiserver, kube-controller-manager, kube-scheduler, kubelet,
# kubeadm, kubectl, kube-proxy, agnhost (test/images/agnhost, for the local real-pod node's
# images), etcd and kwok. A second run with the same versions builds nothing; a binary missing
# from the cache is built alone.
# It never downloads a prebuilt binary: everything is compiled here from upstream's own sources
# (the main packages of k8s.io/kubernetes/cmd/*, etcd's etcdmain, kwok's cmd/kwok).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

cache=${KUBEDRILL_TESTBED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubedrill/testbed}
bin="$cache/bin/k8s-$K8S_VERSION.etcd-$ETCD_VERSION.kwok-$KWOK_VERSION"
# Main packages of k8s.io/kubernetes, by the binary's name.
k8s_binaries=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubeadm kubectl kube-proxy agnhost)
k8s_package() {
  case $1 in
    agnhost) echo k8s.io/kubernetes/test/images/agnhost ;;
    *) echo "k8s.io/kubernetes/cmd/$1" ;;
  esac
}

complete() {
  local b
  for b in "${k8s_binaries[@]}" etcd kwok; do [ -x "$bin/$b" ] || return 1; done
}
if complete; then
  echo "$bin"
  exit 0
fi

# shellcheck source=lib.sh
source "$here/lib.sh"
require_go "the test bed"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$bin"
out="$bin"
export CGO_ENABLED=0 GOFLAGS=-mod=mod
log() { printf '==> %s\n' "$*" >&2; }

build_kubernetes() {
  local mod="$work/kubernetes" gomod minor major ldflags key val b
  mkdir -p "$mod"
  gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  [ -f "$gomod" ] || { echo "error: could not download k8s.io/kubernetes@$K8S_VERSION from the module proxy" >&2; exit 3; }
  major=${K8S_VERSION#v}; minor=${major#*.}; minor=${minor%%.*}; major=${major%%.*}
  {
    echo "module kubedrill.test/testbed/kubernetes"
    echo
    echo "go 1.26.0"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    # Every staging module k/k requires at the placeholder v0.0.0 is published as v0.<minor>.<patch>.
    grep -E '^[[:space:]]+k8s\.io/[a-z0-9-]+ v0\.0\.0$' "$gomod" | awk -v v="v0.${K8S_VERSION#v1.}" '{print "\t" $1 " => " $1 " " v}'
    echo ")"
  } > "$mod/go.mod"
  ldflags="-s -w"
  for key in gitVersion:"$K8S_VERSION" gitMajor:"$major" gitMinor:"$minor" gitTreeState:clean buildDate:1970-01-01T00:00:00Z; do
    val=${key#*:}; key=${key%%:*}
    ldflags+=" -X k8s.io/client-go/pkg/version.$key=$val -X k8s.io/component-base/version.$key=$val"
  done
  for b in "${k8s_binaries[@]}"; do
    [ -x "$out/$b" ] && continue
    log "go build $(k8s_package "$b") ($K8S_VERSION)"
    (cd "$mod" && go build -trimpath -ldflags "$ldflags" -o "$out/.$b.partial" "$(k8s_package "$b")")
    mv "$out/.$b.partial" "$out/$b"
  done
}

build_etcd() {
  local mod="$work/etcd"
  mkdir -p "$mod"
  cat > "$mod/go.mod" <<GOMOD
module kubedrill.test/testbed/etcd

go 1.26.0

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
GOMOD
  cat > "$mod/main.go" <<'GO'
// Command etcd runs etcd's own entry point (go.etcd.io/etcd/server/v3/etcdmain).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  log "go build etcd ($ETCD_VERSION)"
  (cd "$mod" && go mod tidy >&2 && go build -trimpath -ldflags "-s -w" -o "$out/.etcd.partial" .)
  mv "$out/.etcd.partial" "$out/etcd"
}

build_kwok() {
  log "go install sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  GOFLAGS= GOBIN="$work" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  mv "$work/kwok" "$out/kwok"
}

[ -x "$bin/etcd" ] || build_etcd
[ -x "$bin/kwok" ] || build_kwok
build_kubernetes
complete || { echo "error: the test bed's build left binaries missing in $bin" >&2; exit 3; }
echo "$bin"
