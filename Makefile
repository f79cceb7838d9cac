# Synco — two commands matter: `make run` and `make test` (see README.md).
SHELL := /bin/bash
MODULES := schemas platform rules xmlrpc shopify ingest processor sink query odoosim shopifysim cmd bench
PKGS := $(addprefix ./,$(addsuffix /...,$(MODULES)))
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
GO ?= go
TEST_TIMEOUT ?= 15m

.PHONY: run test conformance build vet deps deps-clickhouse deps-chromium clickhouse clickhouse-stop bench load fmt clean

## run: install what is missing, build, start ClickHouse and the whole pipeline (synco all)
run: deps-clickhouse build
	@if [ -z "$$CLICKHOUSE_ADDR" ]; then bash deploy/clickhouse.sh start; fi
	./bin/synco all

## test: every test CI runs, after installing and starting what they need
test: deps vet
	@if [ -z "$$CLICKHOUSE_ADDR" ]; then bash deploy/clickhouse.sh start; fi
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) $(PKGS)

## conformance: the Odoo sink's scenarios against real Odoo 16, 17, 18 and 19 (19 over
## XML-RPC and JSON-2), and the whole pipeline (webhook to table) against each, every
## Odoo started (or reused) by ../shared/odoo-server/up.sh; with
## ODOO_URL set, against that Odoo only (ODOO_DB, ODOO_USER, ODOO_PASSWORD; ODOO_PROTOCOL
## json2 with ODOO_API_KEY). CONFORMANCE_CALLS_FILE collects the RPC calls per scenario.
ODOO_SERVER ?= ../shared/odoo-server
CONFORMANCE_VERSIONS ?= 16 17 18 19
CONFORMANCE_TIMEOUT ?= 20m
conformance: deps-clickhouse
	@set -uo pipefail; \
	if [ -z "$${CLICKHOUSE_ADDR:-}" ]; then bash deploy/clickhouse.sh start || exit 1; fi; \
	suite() { echo "== conformance: $$1 over $$2"; \
	  ODOO_PROTOCOL=$$2 $(GO) test -tags conformance -count=1 -timeout $(CONFORMANCE_TIMEOUT) -run TestReal ./sink/odoo/conformance/ || exit 1; \
	  if [ "$$2" = xmlrpc ]; then echo "== the whole pipeline: $$1"; \
	    (cd cmd && $(GO) test -tags conformance -count=1 -timeout $(CONFORMANCE_TIMEOUT) -run TestRealOdoo ./internal/e2e/) || exit 1; fi; }; \
	if [ -n "$${ODOO_URL:-}" ]; then suite "$$ODOO_URL" "$${ODOO_PROTOCOL:-xmlrpc}"; exit 0; fi; \
	for v in $(CONFORMANCE_VERSIONS); do \
	  start=$$(date +%s); \
	  odoo_env=$$(ODOO_SERVER=$(ODOO_SERVER) bash deploy/odoo-up.sh $$v) || { echo "Odoo $$v did not start: see above (or run $(ODOO_SERVER)/up.sh $$v)"; exit 1; }; \
	  echo "== Odoo $$v up in $$(( $$(date +%s) - start )) s"; \
	  eval "$$odoo_env"; export ODOO_URL ODOO_DB ODOO_USER ODOO_PASSWORD ODOO_VERSION; \
	  suite "Odoo $$v" xmlrpc; \
	  if [ "$$v" -ge 19 ]; then export ODOO_API_KEY; suite "Odoo $$v" json2; fi; \
	  unset ODOO_URL ODOO_API_KEY; \
	done

build:
	cd cmd && $(GO) build -ldflags "-X github.com/synco-dev/synco/cmd/internal/cli.Version=$(VERSION)" -o ../bin/synco ./synco

vet:
	@unformatted=$$(gofmt -l $(MODULES)); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) vet -tags conformance ./sink/odoo/conformance/ ./cmd/internal/e2e/

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
