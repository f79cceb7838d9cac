#!/usr/bin/env bash
# The Odoo sink against what the same real Odoo absorbs, side by side (issue 9, item 6):
# for draft sale orders, confirmed sale orders and sale orders with a posted invoice,
# the orders/s of (a) the sink (odoo.Sink: batches of 20, list calls, caches, its
# concurrency), (b) Odoo driven directly with list calls (create 20 in one call,
# confirm the list, invoice the list: the ceiling) and (c) a naive one-order-at-a-time
# sync. Program: bench/odoosink.
#
#   bash bench/odoo-sink.sh                 Odoo 17 (started or reused by ../shared/odoo-server/up.sh), 100 orders each, 3 rounds
#   ODOO_VERSION=16 bash bench/odoo-sink.sh another version
#   bash bench/odoo-sink.sh -n 100 -concurrency 1 -modes invoice    flags of bench/odoosink
#
# The summary goes to bench/out/odoo-sink-<time>.txt with the machine, the load and
# the commit. Odoo runs on the same 2 cores: note the load, and compare runs made
# under the same one. Each run uses fresh Shopify ids (the shared database only grows).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/bench/out"
mkdir -p "$OUT"
version="${ODOO_VERSION:-17}"
if [[ -z "${ODOO_URL:-}" ]]; then
	odoo_env="$("$ROOT/../shared/odoo-server/up.sh" "$version")"
	eval "$odoo_env"
	export ODOO_URL ODOO_DB ODOO_USER ODOO_PASSWORD
fi
file="$OUT/odoo-sink-$(date -u +%Y%m%dT%H%M%S).txt"
bin="$(mktemp -d)/odoosink"
(cd "$ROOT" && go build -o "$bin" ./bench/odoosink)
{
	echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "host: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
	echo "commit: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- . 2>/dev/null || echo ' (dirty)')"
	echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
	"$bin" "$@"
	echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$file"
echo "(written to $file)"
