# tunduk — see README.md. Every target works on a fresh machine after .ci/run
# has installed the system packages (xmlsec1, softhsm2).
GO        ?= go
BIN       ?= bin/tunduk
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/tunduk-kg/tunduk/cmd/root.Version=$(VERSION)
FUZZTIME  ?= 30s
BENCHTIME ?= 1s

.PHONY: all build run test test-short bench bench-gateway bench-receipts lint fmt fuzz clean deb

all: build

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/tunduk

# The main job: the gateway with an embedded Tunduk emulator and demo data.
run:
	$(GO) run ./cmd/tunduk demo

# Unit and integration tests, with the race detector. Tests that need an
# installed tool (xmlsec1, SoftHSM2) skip without it unless TUNDUK_REQUIRE_TOOLS=1
# (CI sets it), so a missing tool fails CI instead of passing silently.
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...

test-short:
	$(GO) test -short ./...

# Every benchmark, among them the quality bars of the shipped configuration
# (BenchmarkGatewayVsReverseProxy: the gateway with the signed log beside a
# bare reverse proxy, each in its own process; about a minute). bench-gateway
# runs that one alone; TUNDUK_BENCH_PROFILE_DIR=dir adds pprof profiles.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...

bench-gateway:
	$(GO) test -run '^$$' -bench BenchmarkGatewayVsReverseProxy -benchtime 1x ./internal/adapter/gateway/

# Issue 16's bar: the gateway's throughput with receipts on / off >= 0.95
# (BenchmarkGatewayReceipts; about 90 s). Each gateway runs in its own process
# with its own emulator; the load generator seals each log once per second of
# its traffic (the seal timer off); 2 warm-up pairs, then 30 alternated pairs
# of 1 s rounds, pooled. Reports on/off with its 95 % bootstrap interval,
# bar-met (1 met, 0 missed, 0.5 undecided) and cpu-on/off (gateway CPU per
# request), and fails if an acknowledged check lost its record or receipt.
# On a shared machine the interval widens (per-pair spread ~0.2-0.4 at load
# 12-24, so +-6-14 % from 30 pairs): TUNDUK_BENCH_ROUNDS=N runs N pairs, the
# interval narrowing as 1/sqrt(N) (90 pairs take about 4 minutes).
# TUNDUK_BENCH_ROUND_LOG=file logs every round; TUNDUK_BENCH_PROFILE_DIR=dir
# writes each side's profiles of the timed rounds (dir/on, dir/off).
bench-receipts:
	$(GO) test -run '^$$' -bench BenchmarkGatewayReceipts -benchtime 1x ./internal/adapter/gateway/

lint:
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

fmt:
	gofmt -w $$(git ls-files '*.go')

# Runs every fuzz target for FUZZTIME each (make fuzz FUZZTIME=10m).
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# The Debian package (packaging/README.md): the binary built with cgo (for
# PKCS#11), man pages and completions generated from the command tree,
# packaged by nfpm pinned in go.mod. Prints the .deb's path last.
DEB_VERSION ?= $(shell packaging/version.sh)
DEB_ARCH    ?= $(shell $(GO) env GOARCH)
DEB_BUILD   ?= build/deb
DEB         ?= $(DEB_BUILD)/tunduk_$(DEB_VERSION)_$(DEB_ARCH).deb

deb:
	rm -rf $(DEB_BUILD) && mkdir -p $(DEB_BUILD)
	CGO_ENABLED=1 $(GO) build -trimpath -buildmode=pie -ldflags "-s -w $(LDFLAGS)" -o $(DEB_BUILD)/tunduk ./cmd/tunduk
	$(GO) run ./internal/cmd/pkgdocs -out $(DEB_BUILD)/pkgdocs -version $(DEB_VERSION)
	sed 's/VERSION/$(DEB_VERSION)/' packaging/changelog | gzip -9n > $(DEB_BUILD)/changelog.gz
	VERSION=$(DEB_VERSION) ARCH=$(DEB_ARCH) BUILD=$(DEB_BUILD) GLIBC_MIN=$$(packaging/glibc-min.sh $(DEB_BUILD)/tunduk) \
	  $(GO) tool nfpm package --config packaging/nfpm.yaml --packager deb --target $(DEB) >&2
	@echo $(DEB)

clean:
	rm -rf bin build
