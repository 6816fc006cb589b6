# gate's two commands for a new user are `make demo` and `make test`.
GO ?= go

.PHONY: demo test build bench policy-test

demo:
	$(GO) run ./cmd/gate demo

test:
	$(GO) vet ./...
	$(GO) test ./...
	$(GO) run ./cmd/gate policy test policies

build:
	$(GO) build -o bin/gate ./cmd/gate

bench:
	$(GO) test -run '^$$' -bench . -benchtime 200x ./pkg/gate/ ./pkg/policy/
