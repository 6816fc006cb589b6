// Package browser proves gate serve's readiness page in a real browser: headless Chromium from Debian's packages, driven with chromedp. The tests run only with GATE_E2E=1, which scripts/e2e-browser.sh sets after installing Chromium.
package browser
