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

# Linux architectures of `make dist`, `make package` and `make image`; _build/linux_<arch>/otelcol-rds each.
HOST_ARCH   := $(shell $(GO) env GOARCH)
ARCHES      := amd64 arm64
DIST_ARCHES := $(foreach a,$(ARCHES),_build/linux_$(a)/otelcol-rds)

## dist: build the otelcol-rds collector distribution with ocb (output _build/otelcol-rds, this machine's
## architecture), and a static binary per Linux architecture in _build/linux_<arch>/otelcol-rds
dist: $(DIST) $(DIST_ARCHES)

$(DIST): builder-config.yaml go.mod go.sum $(shell find . -name '*.go' -not -path './_build/*' -not -path './tools/*') metadata.yaml
	$(TOOLS) builder --config=builder-config.yaml

# The sources ocb wrote into _build, compiled as ocb does (static, stripped) for another GOARCH;
# this machine's architecture is ocb's binary itself.
_build/linux_%/otelcol-rds: $(DIST)
	@mkdir -p $(@D)
	if [ "$*" = "$(HOST_ARCH)" ]; then cp $(DIST) $@; else \
		cd _build && CGO_ENABLED=0 GOOS=linux GOARCH=$* $(GO) build -trimpath -ldflags='-s -w' -o linux_$*/otelcol-rds .; fi

# Package version: builder-config.yaml's dist version; architecture: Go's (nfpm names it per format).
PKG_VERSION := $(shell sed -n '/^dist:/,/^[^ ]/s/^  version: *//p' builder-config.yaml)
PKG_ARCH    := $(HOST_ARCH)
PKG_DIR     := _build/packages
deb         = $(PKG_DIR)/otelcol-rds_$(PKG_VERSION)_$(1).deb
rpm         = $(PKG_DIR)/otelcol-rds-$(PKG_VERSION)-1.$(subst arm64,aarch64,$(subst amd64,x86_64,$(1))).rpm
DEB         := $(call deb,$(PKG_ARCH))
RPM         := $(call rpm,$(PKG_ARCH))
DEB_ARM64   := $(call deb,arm64)
RPM_ARM64   := $(call rpm,arm64)
NFPM        = VERSION=$(PKG_VERSION) ARCH=$(1) $(TOOLS) nfpm
PKG_INPUTS  := README.md documentation.md $(wildcard packaging/nfpm.yaml packaging/config.yaml packaging/otelcol-rds.* packaging/scripts/*.sh)

## package: build the .deb and .rpm of otelcol-rds for each of ARCHES with nfpm (binary, config, systemd
## unit; output _build/packages)
.PHONY: package
package: $(foreach a,$(ARCHES),$(call deb,$(a)) $(call rpm,$(a)))

$(PKG_DIR)/otelcol-rds_$(PKG_VERSION)_%.deb: _build/linux_%/otelcol-rds $(PKG_INPUTS)
	@mkdir -p $(PKG_DIR)
	$(call NFPM,$*) pkg --packager deb --config packaging/nfpm.yaml --target $@

$(PKG_DIR)/otelcol-rds-$(PKG_VERSION)-1.x86_64.rpm: _build/linux_amd64/otelcol-rds $(PKG_INPUTS)
	@mkdir -p $(PKG_DIR)
	$(call NFPM,amd64) pkg --packager rpm --config packaging/nfpm.yaml --target $@

$(PKG_DIR)/otelcol-rds-$(PKG_VERSION)-1.aarch64.rpm: _build/linux_arm64/otelcol-rds $(PKG_INPUTS)
	@mkdir -p $(PKG_DIR)
	$(call NFPM,arm64) pkg --packager rpm --config packaging/nfpm.yaml --target $@

## image: the container image (linux/amd64 and linux/arm64), built without a container engine by
## tools/rdsimage (go-containerregistry): OCI layout _build/image and its tarball _build/otelcol-rds-image.tar
IMAGE       := _build/image
IMAGE_TAR   := _build/otelcol-rds-image.tar
.PHONY: image
image: $(IMAGE_TAR)

$(IMAGE_TAR): $(DIST_ARCHES) packaging/config.yaml $(wildcard tools/rdsimage/*.go) tools/go.mod
	cd tools && $(GO) run ./rdsimage -out $(CURDIR)/$(IMAGE) -tar $(CURDIR)/$(IMAGE_TAR) -version $(PKG_VERSION) \
		-config $(CURDIR)/packaging/config.yaml $(foreach a,$(ARCHES),-bin $(a)=$(CURDIR)/_build/linux_$(a)/otelcol-rds)

## test: vet, then every test, including end-to-end tests of the built distribution, and the tests in tools/
## of the image (rdsimage) and the Helm chart (helmchart), with the pinned go-containerregistry and Helm
test: dist build package image
	$(GO) vet ./...
	cd tools && $(GO) vet ./rdsimage/ ./helmchart/ && OTELCOL_RDS_IMAGE=$(CURDIR)/$(IMAGE) OTELCOL_RDS_IMAGE_TAR=$(CURDIR)/$(IMAGE_TAR) \
		OTELCOL_RDS_BIN=$(CURDIR)/$(DIST) $(GO) test $(GOTESTFLAGS) ./rdsimage/ ./helmchart/
	OTELCOL_RDS_BIN=$(CURDIR)/$(DIST) RDSSIM_BIN=$(CURDIR)/$(SIM) OTELCOL_RDS_DEB=$(CURDIR)/$(DEB) OTELCOL_RDS_RPM=$(CURDIR)/$(RPM) \
		OTELCOL_RDS_DEB_ARM64=$(CURDIR)/$(DEB_ARM64) OTELCOL_RDS_RPM_ARM64=$(CURDIR)/$(RPM_ARM64) \
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
