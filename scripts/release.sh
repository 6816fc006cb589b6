#!/usr/bin/env bash
# release.sh releases gate through gate (`make release`): it builds the binaries
# (scripts/binaries.sh) and pushes the image (scripts/image.sh), runs the tests with coverage,
# then attests the image with the gate it just built — the `go test -json` report (stage unit),
# the cover profile, and SLSA provenance of this build — signed with the release key, and ends
# with `gate verify` under examples/self/gate.yaml: the release fails unless gate's own image is
# BLESSED. The reports, the decision record and the image reference are left in $DIST/release/.
#
#   IMAGE_REPO=ghcr.io/gatehq/gate RELEASE_KEY=release.key COSIGN_PASSWORD=… make release
#
# Environment: IMAGE_REPO (required: attestations live beside the image in its registry),
# RELEASE_KEY (required: a cosign key file, password in COSIGN_PASSWORD), SELF_CONFIG (the trust
# config, default examples/self/gate.yaml), RELEASE_TEST_PKGS (what `go test` runs, default ./...;
# the end-to-end test passes a small set), PLATFORMS and IMAGE_PLATFORMS (scripts/binaries.sh,
# scripts/image.sh), BUILDER_ID and SOURCE_URI (the provenance's builder and source, which
# examples/self/release.json trusts).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/release-vars.sh

: "${IMAGE_REPO:?set IMAGE_REPO=registry/repository: the release pushes the image and its attestations there}"
: "${RELEASE_KEY:?set RELEASE_KEY to the release key (a cosign key file; its password in COSIGN_PASSWORD)}"
: "${COSIGN_PASSWORD?set COSIGN_PASSWORD to the password of the release key (empty for none)}"
SELF_CONFIG=${SELF_CONFIG:-examples/self/gate.yaml}
RELEASE_TEST_PKGS=${RELEASE_TEST_PKGS:-./...}
BUILDER_ID=${BUILDER_ID:-https://github.com/gatehq/gate/blob/main/scripts/release.sh}
SOURCE_URI=${SOURCE_URI:-git+https://github.com/gatehq/gate}
BUILD_TYPE=https://gatehq.dev/buildtypes/make-release/v1
out="$DIST/release"
mkdir -p "$out"
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
log() { echo "release: $*" >&2; }

log "$VERSION ($COMMIT, $DATE)"
started=$(now)
t=$SECONDS
scripts/binaries.sh
log "binaries in $((SECONDS - t))s"
t=$SECONDS
image=$(SKIP_BINARIES=1 scripts/image.sh)
finished=$(now)
log "image $image in $((SECONDS - t))s"
echo "$image" > "$out/image"

# Failing tests are evidence too: they are attested, and the policy refuses the release.
t=$SECONDS
tests=0
# shellcheck disable=SC2086 # RELEASE_TEST_PKGS is a list of packages
go test -json -coverprofile="$out/cover.out" $RELEASE_TEST_PKGS > "$out/unit.json" || tests=$?
log "go test $RELEASE_TEST_PKGS (exit $tests) in $((SECONDS - t))s"

# gate attests itself with the binary this release ships for this machine.
gate="$DIST/bin/gate_$(go env GOOS)_$(go env GOARCH)"
if [[ ! -x "$gate" ]]; then
	gate="$DIST/bin/gate_host"
	go build -trimpath -o "$gate" ./cmd/gate
fi
"$gate" version >&2
"$gate" attest "$image" --key "$RELEASE_KEY" --report "$out/unit.json" --stage unit >&2
"$gate" attest "$image" --key "$RELEASE_KEY" --report "$out/cover.out" >&2
"$gate" attest "$image" --key "$RELEASE_KEY" --provenance \
	--builder-id "$BUILDER_ID" --build-type "$BUILD_TYPE" \
	--source "$SOURCE_URI" --commit "$COMMIT" --invocation "${INVOCATION:-make release $VERSION}" \
	--started "$started" --finished "$finished" >&2
"$gate" verify "$image" --config "$SELF_CONFIG" --record "$out/decisions.jsonl"
