#!/usr/bin/env bash
# bench-vs-cosign.sh measures, side by side in one run, the wall time of `gate verify` against
# the cosign CLI doing the same verification (one `cosign verify-attestation` per predicate
# type and role key the policy needs, then `opa eval` of the shipped policy over their output),
# on the distribution registry with one image carrying 7 attestations. It prints a Markdown
# table for BENCHMARKS.md; the test is TestGateVerifyVsCosignCLI in test/e2e/bench_test.go.
set -euo pipefail
cd "$(dirname "$0")/.."

tools=$(scripts/install-tools.sh)
set -a
eval "$tools"
set +a
out=$(mktemp)
trap 'rm -f "$out"' EXIT
GATE_E2E=1 GATE_BENCH=1 GATE_BENCH_OUT="$out" go test -count=1 -timeout 30m \
	-run '^TestGateVerifyVsCosignCLI$' ./test/e2e/ >&2
echo "command: scripts/bench-vs-cosign.sh ($(git rev-parse --short HEAD 2>/dev/null || echo 'no git'))"
echo "nproc: $(nproc); CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo
cat "$out"
