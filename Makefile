# wasm-runc: a runc-compatible OCI runtime that runs Wasm containers with wasmtime.
GO        ?= go
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
DESTDIR   ?=
BINARY    ?= wasm-runc
VERSION   := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
COMMIT    := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BUILDTAGS := seccomp netgo osusergo urfave_cli_no_docs
# encoding/json on the v2 engine (Go's jsonv2 experiment): the same API and
# behaviour, but building a type's field table costs less, and every process
# of a start (this binary, libcontainer's init) decodes config.json,
# libcontainer's config or state.json once, cold. Measured: a cold decode of
# a 3 KB config.json 0.43-0.54 ms -> 0.24-0.31 ms, libcontainer's config
# encode 0.22-0.26 ms -> 0.08-0.09 ms (docs/performance.md).
export GOEXPERIMENT ?= jsonv2
LDFLAGS   := -s -w -X main.version=$(VERSION) -X main.gitCommit=$(COMMIT) \
             -linkmode external -extldflags -static

.PHONY: all build install uninstall test test-unit test-integration conformance conformance-run bench example deps clean fuzz

all: build

# A fully static binary: Wasm images are usually FROM scratch, and libcontainer
# re-executes this binary inside the container.
build:
	CGO_ENABLED=1 $(GO) build -trimpath -tags '$(BUILDTAGS)' -ldflags '$(LDFLAGS)' -o $(BINARY) .

install: build
	install -D -m 0755 $(BINARY) $(DESTDIR)$(BINDIR)/$(BINARY)

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/$(BINARY)

# deps installs what the tests need on a Debian 12 machine.
deps:
	./scripts/install-deps.sh

# WASM_RUNC_GUESTS_REQUIRED: after deps, every guest of the matrix
# (examples/guests) must build; a missing toolchain fails instead of skipping.
test: deps build
	$(GO) vet -tags '$(BUILDTAGS)' ./...
	CGO_ENABLED=1 $(GO) test -tags '$(BUILDTAGS)' -count=1 -p 1 ./spec/... ./linux/... ./wasm/... .
	WASM_RUNC_BINARY=$(CURDIR)/$(BINARY) WASM_RUNC_GUESTS_REQUIRED=1 CGO_ENABLED=1 $(GO) test -tags '$(BUILDTAGS)' -count=1 -p 1 -timeout 40m ./integration/...
	./scripts/fuzz.sh $(TESTFUZZ)
	$(MAKE) --no-print-directory conformance-run

# TESTFUZZ: what `make test` gives each fuzz target, a count of executions
# (a duration would race Go 1.26's fuzz coordinator: scripts/fuzz.sh).
TESTFUZZ ?= 20000x

# fuzz runs every fuzz target (each func FuzzX in a _test.go) for FUZZTIME on
# top of its committed corpus (testdata/fuzz/, which every go test runs too).
FUZZTIME ?= 10s
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

test-unit:
	CGO_ENABLED=1 $(GO) test -tags '$(BUILDTAGS)' -count=1 ./spec/... ./linux/... ./wasm/... .

test-integration: build
	WASM_RUNC_BINARY=$(CURDIR)/$(BINARY) CGO_ENABLED=1 $(GO) test -tags '$(BUILDTAGS)' -count=1 -p 1 -timeout 40m -v ./integration/...

# Both suites run, whatever the first one says; either failing fails.
conformance: build
	$(MAKE) --no-print-directory conformance-run

conformance-run:
	./conformance/run.sh $(CURDIR)/$(BINARY); tools=$$?; \
	./conformance/bats.sh $(CURDIR)/$(BINARY); bats=$$?; \
	[ $$tools -eq 0 ] && [ $$bats -eq 0 ]

bench: build
	./bench/run.sh $(CURDIR)/$(BINARY)

# example builds the binary and runs the repo's example Wasm container.
example: deps build
	./examples/run.sh $(CURDIR)/$(BINARY)

clean:
	rm -f $(BINARY)
