#!/usr/bin/env bash
# e2e-browser.sh proves gate serve's readiness page in a real browser: it installs headless
# Chromium from Debian's packages with scripts/install-chromium.sh (once; about 75 s on a
# 2-core machine), then runs test/browser, which seeds an in-process registry with the demo's
# story, starts `gate serve`, reads the page in Chromium through chromedp and saves a screenshot
# ($GATE_SCREENSHOT, default $TMPDIR/gate-readiness.png). Extra arguments go to `go test`.
#
# Time on a 2-core machine with Chromium installed and Go's build cache warm: about 50 s, most
# of it building gate and seeding the story (Chromium loads the page in about 3 s).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-chromium.sh
# -count=1: the test runs a browser and a binary go test cannot see change.
GATE_E2E=1 exec go test -count=1 -timeout 10m ./test/browser/... "$@"
