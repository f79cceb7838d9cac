# Synco — two commands matter: `make run` and `make test` (see README.md).
SHELL := /bin/bash
MODULES := schemas platform rules xmlrpc shopify ingest processor sink query odoosim shopifysim cmd bench
PKGS := $(addprefix ./,$(addsuffix /...,$(MODULES)))
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
GO ?= go
TEST_TIMEOUT ?= 15m

.PHONY: run test build vet deps deps-clickhouse deps-chromium clickhouse clickhouse-stop bench load fmt clean

## run: install what is missing, build, start ClickHouse and the whole pipeline (synco all)
run: deps-clickhouse build
	@if [ -z "$$CLICKHOUSE_ADDR" ]; then bash deploy/clickhouse.sh start; fi
	./bin/synco all

## test: every test CI runs, after installing and starting what they need
test: deps vet
	@if [ -z "$$CLICKHOUSE_ADDR" ]; then bash deploy/clickhouse.sh start; fi
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) $(PKGS)

build:
	cd cmd && $(GO) build -ldflags "-X github.com/synco-dev/synco/cmd/internal/cli.Version=$(VERSION)" -o ../bin/synco ./synco

vet:
	@unformatted=$$(gofmt -l $(MODULES)); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)

deps: deps-clickhouse deps-chromium

# Debian's packages, installed only when missing (idempotent; CI is a fresh machine).
deps-clickhouse:
	@command -v clickhouse-server >/dev/null && command -v clickhouse-client >/dev/null || { \
	  echo "installing clickhouse-server and clickhouse-client (Debian)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clickhouse-server clickhouse-client >/dev/null; }

deps-chromium:
	@command -v chromium >/dev/null || { \
	  echo "installing chromium for the dashboard test (Debian)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

clickhouse:
	bash deploy/clickhouse.sh start

clickhouse-stop:
	bash deploy/clickhouse.sh stop

## bench: Go benchmarks summarised with benchstat (bench/RESULTS.md has recorded numbers)
bench:
	bash bench/run.sh

## load: the load script against a running pipeline
load:
	bash bench/load.sh

fmt:
	gofmt -w $(MODULES)

clean:
	rm -rf bin
