#!/usr/bin/env bash
# install-all.sh builds (or finds cached) every tool `make test` runs, the installers side by
# side rather than one after another: scripts/install-tools.sh (cosign v2 and v3, the
# distribution registry, OPA, syft, vegeta), scripts/install-kube.sh (etcd, kube-apiserver,
# helm), scripts/install-actionlint.sh and scripts/install-chromium.sh. On 2 cores the builds
# share the CPU, but one's downloads and single-threaded link steps overlap the others'
# compiling. Warm, it returns in about a second. Each installer's progress goes to stderr,
# prefixed with its name; the e2e scripts call the installers again for the paths.
set -euo pipefail
cd "$(dirname "$0")/.."

pids=()
names=()
for installer in install-tools install-kube install-actionlint install-chromium; do
	( scripts/$installer.sh >/dev/null 2> >(sed -u "s/^/[$installer] /" >&2) ) &
	pids+=($!)
	names+=("$installer")
done
failed=()
for i in "${!pids[@]}"; do
	if ! wait "${pids[$i]}"; then
		failed+=("${names[$i]}")
	fi
done
if ((${#failed[@]})); then
	echo "install-all: failed: ${failed[*]} (run scripts/<name>.sh alone to see why; its messages are above, prefixed with its name)" >&2
	exit 1
fi
