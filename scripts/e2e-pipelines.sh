#!/usr/bin/env bash
# e2e-pipelines.sh checks the example GitHub workflows with the real actionlint, installed (or
# found) by scripts/install-actionlint.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

tools=$(scripts/install-actionlint.sh)
set -a
eval "$tools"
set +a
GATE_E2E=1 exec go test -count=1 ./examples/pipelines/ "$@"
