#!/usr/bin/env bash
# image.sh builds gate's container image without a daemon (`make image`): the linux/amd64 and
# linux/arm64 binaries from scripts/binaries.sh (gate, the entrypoint, and gate-webhook beside
# it) on an empty base, with the build machine's
# /etc/ssl/certs/ca-certificates.crt as the image's CA certificates, assembled by
# internal/image/mkimage (go-containerregistry's mutate). One OCI index; the same commit gives
# the same index digest.
#
#   make image                          # an OCI layout in $DIST/image; prints the index digest
#   IMAGE_REPO=reg.example/gate make image   # pushes $IMAGE_REPO:$IMAGE_TAG (default the version);
#                                       # prints REPO@DIGEST
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/release-vars.sh

IMAGE_PLATFORMS=${IMAGE_PLATFORMS:-linux/amd64 linux/arm64}
IMAGE_TAG=${IMAGE_TAG:-$VERSION}
CA_CERTS=${CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}

# scripts/release.sh has built the binaries already and says so with SKIP_BINARIES=1.
if [[ -z "${SKIP_BINARIES:-}" ]]; then
	PLATFORMS=$IMAGE_PLATFORMS scripts/binaries.sh
fi
args=()
for p in $IMAGE_PLATFORMS; do
	args+=(-binary "$p=$DIST/bin/gate_${p/\//_}" -webhook "$p=$DIST/bin/gate-webhook_${p/\//_}")
done
if [[ -n "${IMAGE_REPO:-}" ]]; then
	args+=(-push "$IMAGE_REPO:$IMAGE_TAG")
else
	args+=(-layout "$DIST/image")
fi
go run ./internal/image/mkimage -ca-certs "$CA_CERTS" -version "$VERSION" -revision "$COMMIT" "${args[@]}"
