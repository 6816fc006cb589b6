#!/usr/bin/env bash
# install-tools.sh builds, from the Go module proxy alone, the real programs gate's registry
# end-to-end tests and its benchmark run: the cosign CLI (v2.6 and v3), the CNCF distribution
# registry server, and the OPA CLI. Each is built once into
# ${GATE_TOOLS:-$HOME/.cache/gate/tools}/<name>-<version>/ and found there afterwards, so a warm
# run returns at once. It prints one GATE_<NAME>=PATH line per binary on stdout, which
# scripts/e2e-registry.sh exports for the tests; progress goes to stderr. By hand:
#
#   set -a; eval "$(scripts/install-tools.sh)"; set +a
#   GATE_E2E=1 go test -run TestGateAttestationsPassCosignVerify ./test/e2e/
#
# Cold on a 2-core machine (REAL-COMPONENTS.md): cosign v2 ~5.5 min, cosign v3 ~4.5 min,
# registry ~3 min, opa ~2 min; syft 24 min and vegeta 84 s at load ~35 (2026-11-29; syft and
# vegeta have no replace directives, so they go-install cleanly). The registry with the referrers API is not installed here: it is
# test/e2e/cmd/ociregistry, built with gate by the tests themselves.
set -euo pipefail

COSIGN_V2_VERSION=v2.6.5
COSIGN_V3_VERSION=v3.1.3
REGISTRY_VERSION=v3.1.2 # github.com/distribution/distribution/v3: no referrers API
OPA_VERSION=v1.22.2     # the OPA that go.mod pins, for the benchmark's `opa eval`
SYFT_VERSION=v1.57.1    # github.com/anchore/syft: SBOMs for the SBOM gates' e2e
VEGETA_VERSION=v12.13.0 # github.com/tsenart/vegeta/v12: load-test reports for the load-test gate's e2e

TOOLS=${GATE_TOOLS:-$HOME/.cache/gate/tools}
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
export GOFLAGS="-buildvcs=false"

log() { echo "install-tools: $*" >&2; }

SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT

# install VAR DIRNAME BINARY PACKAGE@VERSION: go-installs PACKAGE unless DIR/BINARY exists,
# building into a scratch directory and moving the binary into place last, so an interrupted
# build is never taken for a finished one. Prints VAR=PATH.
install() {
	local var=$1 dirname=$2 bin=$3 pkg=$4
	local dir="$TOOLS/$dirname"
	if [[ ! -x "$dir/$bin" ]]; then
		log "building $pkg (cold; see the timings at the top of this script)"
		local start=$SECONDS
		mkdir -p "$dir" "$SCRATCH/$dirname"
		GOBIN="$SCRATCH/$dirname" go install -ldflags "-s -w" "$pkg" >&2
		mv "$SCRATCH/$dirname/$bin" "$dir/$bin.partial"
		mv "$dir/$bin.partial" "$dir/$bin"
		log "built $dirname in $((SECONDS - start))s"
	fi
	printf '%s=%q\n' "$var" "$dir/$bin"
}

install GATE_COSIGN_V2 "cosign-$COSIGN_V2_VERSION" cosign "github.com/sigstore/cosign/v2/cmd/cosign@$COSIGN_V2_VERSION"
install GATE_COSIGN_V3 "cosign-$COSIGN_V3_VERSION" cosign "github.com/sigstore/cosign/v3/cmd/cosign@$COSIGN_V3_VERSION"
install GATE_REGISTRY "registry-$REGISTRY_VERSION" registry "github.com/distribution/distribution/v3/cmd/registry@$REGISTRY_VERSION"
install GATE_OPA "opa-$OPA_VERSION" opa "github.com/open-policy-agent/opa@$OPA_VERSION"
install GATE_SYFT "syft-$SYFT_VERSION" syft "github.com/anchore/syft/cmd/syft@$SYFT_VERSION"
install GATE_VEGETA "vegeta-$VEGETA_VERSION" vegeta "github.com/tsenart/vegeta/v12@$VEGETA_VERSION"
