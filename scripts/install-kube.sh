#!/usr/bin/env bash
# install-kube.sh builds, from the Go module proxy alone, the real Kubernetes components that
# gate's end-to-end admission test runs: kube-apiserver, etcd and helm. Each is built once into
# ${GATE_TOOLS:-$HOME/.cache/gate/tools}/<name>-<version>/ and found there afterwards, so a warm
# run returns in well under a second. It prints one NAME=PATH line per binary on stdout (for
# scripts/e2e-kube.sh); progress goes to stderr.
#
# Cold on a quiet 2-core machine (empty build cache, modules downloaded): etcd 1.8 min,
# kube-apiserver 8 min (2.8 GB peak), helm 3.5 min: 13.5 min. While other builds ran: 32 min.
set -euo pipefail

KUBE_VERSION=v1.37.1     # k8s.io/kubernetes v1.37.2's zip is refused by the proxy; v1.37.1 works
STAGING_VERSION=v0.37.1  # the k8s.io/* staging modules released with KUBE_VERSION
ETCD_VERSION=v3.6.16     # the 3.6 line is what kube-apiserver 1.37 is tested against
HELM_VERSION=v4.3.1

TOOLS=${GATE_TOOLS:-$HOME/.cache/gate/tools}
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
export GOFLAGS="-mod=mod -buildvcs=false"

log() { echo "install-kube: $*" >&2; }

# scratch makes a throwaway module directory removed when the script exits.
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
scratch() { mkdir -p "$SCRATCH/$1" && echo "$SCRATCH/$1"; }

# install NAME VERSION BUILD_FUNCTION: runs BUILD_FUNCTION OUT unless DIR/NAME exists, then moves
# OUT into place, so an interrupted build is never taken for a finished one.
install() {
	local name=$1 version=$2 build=$3
	local dir="$TOOLS/$name-$version"
	if [[ ! -x "$dir/$name" ]]; then
		log "building $name $version (cold; see the timings at the top of this script)"
		local start=$SECONDS
		mkdir -p "$dir"
		"$build" "$dir/$name.partial"
		mv "$dir/$name.partial" "$dir/$name"
		log "built $name $version in $((SECONDS - start))s"
	fi
	echo "$(echo "$name" | tr 'a-z-' 'A-Z_')=$dir/$name"
}

build_kube_apiserver() {
	local out=$1 mod
	mod=$(scratch kube-apiserver)
	cd "$mod"
	go mod init gate.tools/kube-apiserver >/dev/null 2>&1
	# kubernetes' go.mod points each k8s.io/* staging module at ./staging; outside its own tree
	# those become the released modules of the same minor version.
	local gomod
	gomod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
	grep -E '=> \./staging/src/' "$gomod" | awk -v v="$STAGING_VERSION" '{print "replace " $1 " => " $1 " " v}' >>go.mod
	go get "k8s.io/kubernetes/cmd/kube-apiserver@$KUBE_VERSION" >&2
	local pkg=k8s.io/component-base/version
	go build -o "$out" -ldflags "-s -w -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=37 -X $pkg.gitTreeState=clean" \
		k8s.io/kubernetes/cmd/kube-apiserver
}

build_etcd() {
	local out=$1 mod
	mod=$(scratch etcd)
	cd "$mod"
	go mod init gate.tools/etcd >/dev/null 2>&1
	# `go install go.etcd.io/etcd/server/v3@VERSION` is refused because etcd's go.mod has replace
	# lines; a module that requires it builds the same main package.
	go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2
	go build -o "$out" -ldflags "-s -w" go.etcd.io/etcd/server/v3
}

build_helm() {
	local out=$1
	GOBIN=$(scratch helm-bin) go install "helm.sh/helm/v4/cmd/helm@$HELM_VERSION" >&2
	mv "$SCRATCH/helm-bin/helm" "$out"
}

install etcd "$ETCD_VERSION" build_etcd
install kube-apiserver "$KUBE_VERSION" build_kube_apiserver
install helm "$HELM_VERSION" build_helm
