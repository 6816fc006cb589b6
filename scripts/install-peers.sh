#!/usr/bin/env bash
# install-peers.sh builds, from the Go module proxy alone, the peer tools gate's speed is
# measured against (BENCHMARKS.md, scripts/bench-vs-peers.sh): sigstore policy-controller's
# `tester`, which decides one image against one ClusterImagePolicy from the command line. Each
# is built once into ${GATE_TOOLS:-$HOME/.cache/gate/tools}/<name>-<version>/ and found there
# afterwards, so a warm run returns at once. It prints one GATE_<NAME>=PATH line per binary on
# stdout; progress and the cold build time go to stderr.
#
# `go install github.com/sigstore/policy-controller/cmd/tester@v0.13.1` is refused because
# policy-controller's go.mod has replace lines; a throwaway module that requires it, with those
# replace lines copied, builds the same main package (as scripts/install-kube.sh does for
# kube-apiserver). Cold on the 2-core machine, while other builds ran: see BENCHMARKS.md.
set -euo pipefail

POLICY_CONTROLLER_VERSION=v0.13.1

TOOLS=${GATE_TOOLS:-$HOME/.cache/gate/tools}
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
export GOFLAGS="-mod=mod -buildvcs=false"

log() { echo "install-peers: $*" >&2; }

SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
scratch() { mkdir -p "$SCRATCH/$1" && echo "$SCRATCH/$1"; }

# install VAR NAME VERSION BUILD_FUNCTION: runs BUILD_FUNCTION OUT unless DIR/NAME exists, then
# moves OUT into place, so an interrupted build is never taken for a finished one. Prints VAR=PATH.
install() {
	local var=$1 name=$2 version=$3 build=$4
	local dir="$TOOLS/$name-$version"
	if [[ ! -x "$dir/$name" ]]; then
		log "building $name $version (cold)"
		local start=$SECONDS
		mkdir -p "$dir"
		"$build" "$dir/$name.partial"
		mv "$dir/$name.partial" "$dir/$name"
		log "built $name $version in $((SECONDS - start))s"
	fi
	printf '%s=%q\n' "$var" "$dir/$name"
}

build_policy_tester() {
	local out=$1 mod gomod
	mod=$(scratch policy-tester)
	cd "$mod"
	go mod init gate.tools/policy-tester >/dev/null 2>&1
	gomod=$(go mod download -json "github.com/sigstore/policy-controller@$POLICY_CONTROLLER_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
	# Copy every replace directive, single-line or in a block, as go.mod lines of their own.
	awk '
		/^replace \(/ { inblock = 1; next }
		inblock && /^\)/ { inblock = 0; next }
		inblock && /=>/ { sub(/^[ \t]+/, ""); print "replace " $0; next }
		/^replace .*=>/ { print }
	' "$gomod" >>go.mod
	go get "github.com/sigstore/policy-controller/cmd/tester@$POLICY_CONTROLLER_VERSION" >&2
	go build -o "$out" -ldflags "-s -w" github.com/sigstore/policy-controller/cmd/tester
}

install GATE_POLICY_TESTER policy-tester "$POLICY_CONTROLLER_VERSION" build_policy_tester
