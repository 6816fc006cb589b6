#!/usr/bin/env bash
# install-actionlint.sh builds the real actionlint (github.com/rhysd/actionlint) from the Go module
# proxy into ${GATE_TOOLS:-$HOME/.cache/gate/tools}/actionlint/ and prints ACTIONLINT=PATH on
# stdout; progress goes to stderr. Once installed it returns at once: delete the directory to
# update. Cold on a 2-core machine: about a minute.
#
# The test of the example workflows (examples/pipelines) runs it when GATE_E2E=1:
#   scripts/install-actionlint.sh && GATE_E2E=1 go test ./examples/pipelines/
set -euo pipefail

VERSION=${ACTIONLINT_VERSION:-v1.7.12}
DIR=${GATE_TOOLS:-$HOME/.cache/gate/tools}/actionlint-$VERSION
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
export GOFLAGS="-mod=mod -buildvcs=false"

if [[ ! -x "$DIR/actionlint" ]]; then
	echo "install-actionlint: building github.com/rhysd/actionlint@$VERSION into $DIR" >&2
	mkdir -p "$DIR"
	# Build beside the final name and move it into place, so an interrupted build is never taken
	# for a finished one.
	SCRATCH=$(mktemp -d)
	trap 'rm -rf "$SCRATCH"' EXIT
	GOBIN="$SCRATCH" go install "github.com/rhysd/actionlint/cmd/actionlint@$VERSION" >&2
	mv "$SCRATCH/actionlint" "$DIR/actionlint"
fi
echo "ACTIONLINT=$DIR/actionlint"
