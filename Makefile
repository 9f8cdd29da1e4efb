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

## test: vet, then every test, including end-to-end tests of the built distribution
test: dist build
	$(GO) vet ./...
	OTELCOL_RDS_BIN=$(CURDIR)/$(DIST) RDSSIM_BIN=$(CURDIR)/$(SIM) $(GO) test $(GOTESTFLAGS) ./...

## demo: run the simulator with a small fleet and otelcol-rds exporting to Prometheus on 127.0.0.1
demo: dist build
	OTELCOL_RDS_BIN=$(CURDIR)/$(DIST) RDSSIM_BIN=$(CURDIR)/$(SIM) ./scripts/demo.sh

fmt:
	gofmt -w $$(find . -name '*.go' -not -path './_build/*')

vet:
	$(GO) vet ./...

clean:
	rm -rf _build bin .demo
