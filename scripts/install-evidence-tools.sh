#!/usr/bin/env bash
# install-evidence-tools.sh builds, from the Go module proxy alone, the real tools whose reports
# gate's SBOM and load-test end-to-end tests attest: syft (SPDX and CycloneDX SBOMs) and vegeta
# (load tests). Each is built once into ${GATE_TOOLS:-$HOME/.cache/gate/tools}/<name>-<version>/
# and found there afterwards. It prints one GATE_<NAME>=PATH line per binary on stdout; progress
# goes to stderr. By hand:
#
#   set -a; eval "$(scripts/install-evidence-tools.sh)"; set +a
#   GATE_E2E=1 go test -run 'TestSBOM|TestLoadTest' ./test/e2e/
#
# Both go-install cleanly at these versions: neither module has replace directives.
# Cold on a 2-core machine shared with seven other engineers' builds (load average ~35; modules
# not yet downloaded; 2026-11-29), `nice -n 10 go install -ldflags "-s -w" PKG@VERSION`:
# syft 1460 s (24 min: ~480 modules, aws-sdk-go's s3 and the k8s clients dominate), vegeta 84 s.
set -euo pipefail

SYFT_VERSION=v1.57.1    # github.com/anchore/syft, the newest release on the proxy (2026-11)
VEGETA_VERSION=v12.13.0 # github.com/tsenart/vegeta/v12, the newest release on the proxy

TOOLS=${GATE_TOOLS:-$HOME/.cache/gate/tools}
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
export GOFLAGS="-buildvcs=false"

log() { echo "install-evidence-tools: $*" >&2; }

SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT

# install VAR DIRNAME BINARY PACKAGE@VERSION: go-installs PACKAGE (niced: the machine is shared)
# unless DIR/BINARY exists, building into a scratch directory and moving the binary into place
# last, so an interrupted build is never taken for a finished one. Prints VAR=PATH.
install() {
	local var=$1 dirname=$2 bin=$3 pkg=$4
	local dir="$TOOLS/$dirname"
	if [[ ! -x "$dir/$bin" ]]; then
		log "building $pkg (cold; see the timings at the top of this script)"
		local start=$SECONDS
		mkdir -p "$dir" "$SCRATCH/$dirname"
		GOBIN="$SCRATCH/$dirname" nice -n 10 go install -ldflags "-s -w" "$pkg" >&2
		mv "$SCRATCH/$dirname/$bin" "$dir/$bin.partial"
		mv "$dir/$bin.partial" "$dir/$bin"
		log "built $dirname in $((SECONDS - start))s"
	fi
	printf '%s=%q\n' "$var" "$dir/$bin"
}

install GATE_SYFT "syft-$SYFT_VERSION" syft "github.com/anchore/syft/cmd/syft@$SYFT_VERSION"
install GATE_VEGETA "vegeta-$VEGETA_VERSION" vegeta "github.com/tsenart/vegeta/v12@$VEGETA_VERSION"
