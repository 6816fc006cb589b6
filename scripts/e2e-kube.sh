#!/usr/bin/env bash
# e2e-kube.sh proves gate's admission webhook against a real Kubernetes API server: it builds
# (once, then finds cached) kube-apiserver, etcd and helm with scripts/install-kube.sh, then
# runs test/kube with GATE_E2E=1, which fails rather than skips when a binary is missing.
# The webhook's replicas run gate's image as `make image` builds it (issue 9 item 6): built
# first into a temporary DIST (about 17 s warm; a failed build fails this script), then
# pulled from a local registry and laid out by test/kube/image_test.go (GATE_IMAGE_LAYOUT).
#
# Cold (nothing built): 14 min on a quiet 2-core machine, 32 min on a busy one, nearly all of it
# compiling kube-apiserver, helm and etcd. Warm: the image build (1 to 2 min from a fresh clone,
# seconds when its build cache is warm) and the tests, a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
# install-kube.sh prints NAME=PATH lines: the test reads them as GATE_<NAME>.
while IFS='=' read -r name path; do
	export "GATE_${name}=${path}"
done < <(scripts/install-kube.sh)
dist=$(mktemp -d)
trap 'rm -rf "$dist"' EXIT
DIST=$dist scripts/image.sh >&2
export GATE_IMAGE_LAYOUT=$dist/image
GATE_E2E=1 go test -count=1 "$@" ./test/kube/...
