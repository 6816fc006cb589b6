#!/usr/bin/env bash
# bench-startup.sh measures what a one-shot gate costs before it talks to a registry: `gate
# --help` (process start and package initialization) and `gate verify` against a registry that
# refuses connections with examples/gate.yaml (two environments; start-up, trust config and
# policy compile, then exit 2). It builds gate at a base revision (default HEAD~1, or $1) and
# from the working tree, runs each command RUNS times (default 21), interleaved, and prints
# the median wall and CPU (user + system) time of each, and the package init time GODEBUG=
# inittrace=1 reports (the median over the runs of its sum, and the largest packages). With
# IMAGE and CONFIG set (an image by digest and the absolute path of a trust config that finds it
# blessed), it measures a full one-shot `gate verify IMAGE --config CONFIG` too.
set -euo pipefail
cd "$(dirname "$0")/.."

base=${1:-HEAD~1}
runs=${RUNS:-21}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/base"
git archive "$base" | tar -x -C "$tmp/base"
(cd "$tmp/base" && go build -o "$tmp/gate-base" ./cmd/gate)
go build -o "$tmp/gate-tree" ./cmd/gate

unreachable="127.0.0.1:1/app@sha256:$(printf '%064d' 0)"
# measure NAME CMD...: appends "wall_ms cpu_ms" of one run to $tmp/NAME (bash's time: the
# command's real, user and system time, in ms).
measure() {
	local name=$1 t
	shift
	t=$( { TIMEFORMAT='%3R %3U %3S'; time "$@" >/dev/null 2>&1; } 2>&1 ) || true
	echo "$t" | awk '{printf "%.1f %.1f\n", $1 * 1000, ($2 + $3) * 1000}' >>"$tmp/$name"
}
for _ in $(seq "$runs"); do
	for b in base tree; do
		measure "$b-help" "$tmp/gate-$b" --help
		(cd examples && measure "$b-verify" "$tmp/gate-$b" verify "$unreachable" --config gate.yaml)
		if [[ -n ${IMAGE:-} ]]; then
			measure "$b-image" "$tmp/gate-$b" verify "$IMAGE" --config "$CONFIG"
		fi
		GODEBUG=inittrace=1 "$tmp/gate-$b" --help 2>&1 >/dev/null | awk '{s += $5} END {printf "%.1f\n", s}' >>"$tmp/$b-init"
	done
done
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
echo "command: scripts/bench-startup.sh $base ($(git rev-parse --short "$base") vs the working tree at $(git rev-parse --short HEAD)), $runs runs each, interleaved"
echo "nproc: $(nproc); CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| what | $base: wall | CPU | working tree: wall | CPU |"
echo "|---|---|---|---|---|"
whats="help verify"
[[ -n ${IMAGE:-} ]] && whats="$whats image"
for what in $whats; do
	label="gate --help"
	[[ $what == verify ]] && label="gate verify (registry refusing connections)"
	[[ $what == image ]] && label="gate verify $IMAGE"
	row="| \`$label\`"
	for b in base tree; do
		row="$row | $(cut -d' ' -f1 "$tmp/$b-$what" | median) ms | $(cut -d' ' -f2 "$tmp/$b-$what" | median) ms"
	done
	echo "$row |"
done
echo "| package init (inittrace sum) | | $(median <"$tmp/base-init") ms | | $(median <"$tmp/tree-init") ms |"
echo
echo "binary size: $base $(($(stat -c %s "$tmp/gate-base") / 1048576)) MB, working tree $(($(stat -c %s "$tmp/gate-tree") / 1048576)) MB"
echo
echo "largest package inits in the working tree's gate (one run, ms, bytes allocated):"
GODEBUG=inittrace=1 "$tmp/gate-tree" --help 2>&1 >/dev/null | awk '{print $5, $2, $8}' | sort -rn | head -8 | sed 's/^/  /'
