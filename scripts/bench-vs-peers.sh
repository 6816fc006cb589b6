#!/usr/bin/env bash
# bench-vs-peers.sh measures, side by side in one run and on one image carrying 7 attestations
# in the distribution registry, the wall time of a cold one-shot decision by `gate verify` and
# by its peers: sigstore policy-controller's tester with an equivalent ClusterImagePolicy, and
# the cosign CLI (7 × `cosign verify-attestation`, then `opa eval` of the shipped policy). It
# prints a Markdown table for BENCHMARKS.md; the test is TestGateVerifyVsPeers in
# test/e2e/bench_test.go. The tools are built from the Go module proxy if missing
# (scripts/install-tools.sh, scripts/install-peers.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

tools=$(scripts/install-tools.sh)
peers=$(scripts/install-peers.sh)
set -a
eval "$tools"
eval "$peers"
set +a
out=$(mktemp)
trap 'rm -f "$out"' EXIT
GATE_E2E=1 GATE_BENCH=1 GATE_BENCH_OUT="$out" go test -count=1 -timeout 30m \
	-run '^TestGateVerifyVsPeers$' ./test/e2e/ >&2
echo "command: scripts/bench-vs-peers.sh ($(git rev-parse --short HEAD 2>/dev/null || echo 'no git'))"
echo "nproc: $(nproc); CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
cat "$out"
