#!/usr/bin/env bash
# install-chromium.sh installs headless Chromium from Debian's packages for the browser test
# (test/browser, run by scripts/e2e-browser.sh). Idempotent: when /usr/bin/chromium is there it
# does nothing. It prints how long the install took, on stderr, so that the README's figure can
# be checked. It needs root (apt-get), as the other install scripts do on CI's machine.
set -euo pipefail

chromium=/usr/bin/chromium
if [ -x "$chromium" ]; then
	exit 0
fi
start=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
nice apt-get update -qq >&2
nice apt-get install -y -qq --no-install-recommends chromium >&2
if [ ! -x "$chromium" ]; then
	echo "install-chromium: apt-get installed chromium but $chromium is missing; install Chromium and set GATE_CHROMIUM to its path" >&2
	exit 1
fi
echo "install-chromium: $("$chromium" --version) installed in $(( $(date +%s) - start ))s" >&2
