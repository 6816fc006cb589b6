#!/usr/bin/env bash
# e2e-registry.sh proves gate against the real programs its users run: it installs (or finds)
# the cosign CLI v2.6 and v3, the CNCF distribution registry, the OPA CLI, syft and vegeta with
# scripts/install-tools.sh, then runs the end-to-end tests in test/e2e, which start registries
# on loopback and run gate, cosign and the registries as separate processes. Extra arguments go
# to `go test` (e.g. -run TestDockerConfigCredentials -v).
#
# Time on a 2-core machine with the tools already installed and Go's build cache warm: 70 to 85 s
# (2026-11-22, load average 5 to 12), of which building gate and the referrers registry ~10 s.
# A fresh machine first spends ~15 min building the tools (scripts/install-tools.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

tools=$(scripts/install-tools.sh)
set -a
eval "$tools"
set +a
# -count=1: these tests exercise programs go test cannot see change (cosign, the registry,
# the gate binary they build), so a cached pass would prove nothing.
GATE_E2E=1 exec go test -count=1 -timeout 30m ./test/e2e/... "$@"
