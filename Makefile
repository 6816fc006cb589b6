# gate's two commands for a new user are `make demo` and `make test`.
GO ?= go

.PHONY: demo test unit e2e build bench

demo:
	$(GO) run ./cmd/gate demo

# test is everything CI runs: the unit tests, then the end-to-end tests against
# the real programs (installed and cached by the scripts on first use).
test: unit e2e

unit:
	$(GO) vet ./...
	$(GO) test ./...
	$(GO) run ./cmd/gate policy test policies
	$(GO) run ./cmd/gate policy lint policies

e2e:
	scripts/e2e-registry.sh
	scripts/e2e-pipelines.sh
	scripts/e2e-kube.sh

build:
	$(GO) build -o bin/gate ./cmd/gate

bench:
	$(GO) test -run '^$$' -bench . -benchtime 200x ./pkg/gate/ ./pkg/policy/

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
