# otelcol-rds: the awsrds receiver and its collector distribution.
# Tools (mdatagen, ocb) are pinned in tools/go.mod and run with `go tool`.

GO          ?= go
TOOLS       := $(GO) tool -modfile=tools/go.mod
DIST        := _build/otelcol-rds
SIM         := bin/rdssim
GOTESTFLAGS ?= -count=1 -timeout=30m

.PHONY: all generate build dist test demo fmt vet clean

all: build

## generate: regenerate internal/metadata, documentation.md and generated tests from metadata.yaml
# mdatagen names the root test package after the folder, so it runs in a folder named like the package.
generate:
	d=$$(mktemp -d) && ln -s "$(CURDIR)" "$$d/awsrdsreceiver" && (cd "$$d/awsrdsreceiver" && $(TOOLS) mdatagen metadata.yaml); rc=$$?; rm -rf "$$d"; exit $$rc

## build: compile every package and the simulator
build:
	$(GO) build ./...
	$(GO) build -o $(SIM) ./cmd/rdssim

## dist: build the otelcol-rds collector distribution with ocb (output _build/otelcol-rds)
dist: $(DIST)

$(DIST): builder-config.yaml go.mod go.sum $(shell find . -name '*.go' -not -path './_build/*' -not -path './tools/*') metadata.yaml
	$(TOOLS) builder --config=builder-config.yaml

# Package version: builder-config.yaml's dist version; architecture: Go's (nfpm names it per format).
PKG_VERSION := $(shell sed -n '/^dist:/,/^[^ ]/s/^  version: *//p' builder-config.yaml)
PKG_ARCH    := $(shell $(GO) env GOARCH)
PKG_DIR     := _build/packages
DEB         := $(PKG_DIR)/otelcol-rds_$(PKG_VERSION)_$(PKG_ARCH).deb
RPM         := $(PKG_DIR)/otelcol-rds-$(PKG_VERSION)-1.$(subst arm64,aarch64,$(subst amd64,x86_64,$(PKG_ARCH))).rpm
NFPM        := VERSION=$(PKG_VERSION) GOARCH=$(PKG_ARCH) $(TOOLS) nfpm
PKG_INPUTS  := $(DIST) README.md documentation.md $(wildcard packaging/nfpm.yaml packaging/config.yaml packaging/otelcol-rds.* packaging/scripts/*.sh)

## package: build the .deb and .rpm of otelcol-rds with nfpm (binary, config, systemd unit; output _build/packages)
.PHONY: package
package: $(DEB) $(RPM)

$(DEB): $(PKG_INPUTS)
	@mkdir -p $(PKG_DIR)
	$(NFPM) pkg --packager deb --config packaging/nfpm.yaml --target $@

$(RPM): $(PKG_INPUTS)
	@mkdir -p $(PKG_DIR)
	$(NFPM) pkg --packager rpm --config packaging/nfpm.yaml --target $@

## test: vet, then every test, including end-to-end tests of the built distribution
test: dist build package
	$(GO) vet ./...
	OTELCOL_RDS_BIN=$(CURDIR)/$(DIST) RDSSIM_BIN=$(CURDIR)/$(SIM) OTELCOL_RDS_DEB=$(CURDIR)/$(DEB) OTELCOL_RDS_RPM=$(CURDIR)/$(RPM) \
		$(GO) test $(GOTESTFLAGS) ./...

## demo: run the simulator with a small fleet and otelcol-rds exporting to Prometheus on 127.0.0.1
demo: dist build
	OTELCOL_RDS_BIN=$(CURDIR)/$(DIST) RDSSIM_BIN=$(CURDIR)/$(SIM) ./scripts/demo.sh

fmt:
	gofmt -w $$(find . -name '*.go' -not -path './_build/*')

vet:
	$(GO) vet ./...

clean:
	rm -rf _build bin .demo

# -p 1: one package's benchmarks at a time, or they compete for the CPUs they measure.
# benchstat's -confidence 0.9: 5 runs are too few for a 95% interval of the median.
BENCH_DIR   := _build/bench
BENCH_FLAGS ?= -p 1 -run xxx -bench . -benchmem -count 5 -timeout 30m
BENCHSTAT   := golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da

## bench: measure the collector (100, 1,000 and 5,000 simulated instances; a 3-hour catch-up at 5,000 on a
## clock 10x faster than real time; the SQL workload of issue #11 on PostgreSQL) and the micro-benchmarks, then rewrite docs/performance.md from the
## figures of this run (outputs in _build/bench; about 30 minutes)
.PHONY: bench
bench: dist build
	rm -rf $(BENCH_DIR) && mkdir -p $(BENCH_DIR)
	$(GO) build -o $(BENCH_DIR)/rdsbench ./cmd/rdsbench
	$(BENCH_DIR)/rdsbench machine > $(BENCH_DIR)/machine.md
	$(BENCH_DIR)/rdsbench fleet -bin $(CURDIR)/$(DIST) -workdir $(BENCH_DIR)/fleet -out $(BENCH_DIR)/fleet.md
	$(BENCH_DIR)/rdsbench em -out $(BENCH_DIR)/em.md
	$(BENCH_DIR)/rdsbench promsql -bin $(CURDIR)/$(DIST) -workdir $(BENCH_DIR)/promsql -out $(BENCH_DIR)/promsql.md
	@echo "micro-benchmarks: go test $(BENCH_FLAGS) ./... > $(BENCH_DIR)/micro.txt (a few minutes)"
	@$(GO) test $(BENCH_FLAGS) ./... > $(BENCH_DIR)/micro.txt 2>&1 || { tail -40 $(BENCH_DIR)/micro.txt; exit 1; }
	$(GO) run $(BENCHSTAT) -confidence 0.9 $(BENCH_DIR)/micro.txt > $(BENCH_DIR)/benchstat.txt 2> $(BENCH_DIR)/benchstat.err || \
		{ rm -f $(BENCH_DIR)/benchstat.txt; echo "benchstat could not be run, skipped: $$(tail -1 $(BENCH_DIR)/benchstat.err)"; }
	$(BENCH_DIR)/rdsbench micro -in $(BENCH_DIR)/micro.txt -benchstat $(BENCH_DIR)/benchstat.txt \
		-command "go test $(BENCH_FLAGS) ./..." > $(BENCH_DIR)/micro.md
	mkdir -p docs
	cat cmd/rdsbench/header.md $(BENCH_DIR)/machine.md $(BENCH_DIR)/fleet.md $(BENCH_DIR)/promsql.md $(BENCH_DIR)/em.md $(BENCH_DIR)/micro.md > docs/performance.md
	@echo "docs/performance.md written"
