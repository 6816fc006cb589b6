#!/usr/bin/env bash
# binaries.sh cross-compiles gate and gate-webhook (the admission webhook, which `gate webhook`
# runs from beside gate) for each of $PLATFORMS (default linux and darwin × amd64 and arm64) into
# $DIST/bin/<program>_<os>_<arch>, static (CGO_ENABLED=0), with -trimpath and the version, commit
# and commit time stamped in (scripts/release-vars.sh), then writes $DIST/bin/checksums.txt
# (sha256sum's format) over every gate_* and gate-webhook_* there. `make binaries` runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/release-vars.sh

PLATFORMS=${PLATFORMS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64}
pkg=github.com/gatehq/gate/internal/version
# -s -w drop the symbol table and DWARF (stack traces still name functions); -buildid= keeps the
# toolchain's build ID out, as ko does, so nothing but the inputs shapes the bytes.
ldflags="-s -w -buildid= -X $pkg.version=$VERSION -X $pkg.commit=$COMMIT -X $pkg.date=$DATE"

mkdir -p "$DIST/bin"
for p in $PLATFORMS; do
	os=${p%/*} arch=${p#*/}
	for prog in gate gate-webhook; do
		start=$SECONDS
		CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -ldflags "$ldflags" -o "$DIST/bin/${prog}_${os}_${arch}" "./cmd/$prog"
		echo "binaries: ${prog}_${os}_${arch} $VERSION in $((SECONDS - start))s" >&2
	done
done
(cd "$DIST/bin" && sha256sum gate_* gate-webhook_* > checksums.txt)
