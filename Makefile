# octorelease — build, test, benchmark.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X github.com/octorelease/octorelease/internal/app.Version=$(VERSION)
BIN      := bin/octorelease

.PHONY: build install test fmt vet bench stress demo walk clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/octorelease

install:
	CGO_ENABLED=0 $(GO) install -trimpath -ldflags '$(LDFLAGS)' ./cmd/octorelease

# The whole test suite: vet, then every test (unit, golden, testscript,
# pseudo-terminal, multi-process, fuzz seeds) under the race detector.
test:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	$(GO) vet ./...

# Benchmarks (docs/performance.md): Go benchmarks of loading checklists and
# releases, status, gate and appending an event at 1x, 10x and 100x sizes;
# then bench/cmd/procbench, the whole-process comparison with a floor program,
# which prints the table and exits non-zero when a budget line fails.
BENCHTIME ?= 1s
PROCBENCH_FLAGS ?=
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...
	$(GO) run ./bench/cmd/procbench $(PROCBENCH_FLAGS)

# The long version of the reliability tests (docs/reliability.md): 200
# concurrent writers, 250 SIGKILLed writers, every single-byte change of a
# state file, then each fuzz target for FUZZTIME; prints the figures.
# `make test` runs the same tests at quick sizes.
stress:
	FUZZTIME=$(or $(FUZZTIME),2m) GO=$(GO) ./scripts/stress.sh

# The main job: a release walked through interactively with the embedded
# checklists, in a scratch folder (on a terminal; else the scripted demo).
walk: build
	./scripts/walk.sh

# The same release scripted: six people sign their roles, gate, finish.
demo: build
	./scripts/demo.sh

clean:
	rm -rf bin
