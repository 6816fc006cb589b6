# gate's two commands for a new user are `make demo` and `make test`.
GO ?= go

.PHONY: demo test tools unit e2e build bench fuzz

demo:
	$(GO) run ./cmd/gate demo

# test is everything CI runs: the unit tests, then the end-to-end tests against
# the real programs (installed and cached by the scripts on first use: tools
# builds them all side by side first, which a fresh machine needs most).
test: tools unit e2e

tools:
	scripts/install-all.sh

# The chart tests render with the real helm (scripts/install-kube.sh builds it once).
unit:
	$(GO) vet ./...
	GATE_HELM=$${GATE_HELM:-$$(scripts/install-kube.sh | sed -n 's/^HELM=//p')} $(GO) test -race -timeout 30m ./...
	$(GO) run ./cmd/gate policy test policies
	$(GO) run ./cmd/gate policy lint policies

e2e:
	scripts/e2e-registry.sh
	scripts/e2e-pipelines.sh
	scripts/e2e-kube.sh
	scripts/e2e-browser.sh

build:
	$(GO) build -o bin/gate ./cmd/gate
	$(GO) build -o bin/gate-webhook ./cmd/gate-webhook

bench:
	$(GO) test -run '^$$' -bench . -benchtime 200x ./pkg/gate/ ./pkg/policy/

# fuzz runs every fuzz target (func FuzzX in a _test.go file) for FUZZTIME
# each, one target at a time, as go test -fuzz takes one per run; plain
# go test runs their seeds. FUZZFLAGS=-parallel=1 uses one core.
# FUZZMINIMIZE bounds the time spent shrinking each input that finds new
# code: at go's default of 60s, with seeds of tens of KB, a 60s run spent
# 57s of it shrinking one input.
FUZZTIME ?= 30s
FUZZMINIMIZE ?= 5s
FUZZFLAGS ?=
fuzz:
	@set -e; for dir in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
		for target in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go | cut -c6- | sort -u); do \
			echo "$(GO) test -run '^$$' -fuzz '^$$target\$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) $(FUZZFLAGS) $$dir"; \
			$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) $(FUZZFLAGS) $$dir; \
		done; \
	done

# Release artefacts (dist/): binaries for linux and darwin × amd64 and arm64 with checksums.txt;
# gate's image without a daemon (an OCI layout in dist/image, or pushed with IMAGE_REPO=reg/gate);
# the release: both, attested by gate itself and verified under examples/self/.
.PHONY: binaries image release
binaries:
	scripts/binaries.sh

image:
	scripts/image.sh

release:
	scripts/release.sh
