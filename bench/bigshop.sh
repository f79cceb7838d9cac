#!/usr/bin/env bash
# The order table at a big shop's size (query/orders BenchmarkBigShop): one page with
# its total, and the job counts, over a shop of 1,000,000 orders alone (1M) and beside
# nine more such shops (10M), on the local ClickHouse.
#
#   bash bench/bigshop.sh                 both sizes, 40 runs per case, 3 counts
#   SYNCO_BENCH_SIZES=1M bash bench/bigshop.sh
#   BENCH_RUNS=100 BENCH_COUNT=1 bash bench/bigshop.sh
#
# The data is generated inside ClickHouse (INSERT ... SELECT FROM numbers()) into the
# databases synco_bench_1m / synco_bench_10m, kept between runs (generating 10M takes
# about a minute) and rebuilt when the generator changes; drop them to free the disk
# (DROP DATABASE synco_bench_10m). Output: bench/out/bigshop.txt, with p50-ms and
# p95-ms per case (wall time of Store.List or Store.Jobs as the API calls them).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/bench/out"
mkdir -p "$OUT"
if [[ -z "${CLICKHOUSE_ADDR:-}" ]]; then
	bash "$ROOT/deploy/clickhouse.sh" start
fi
{
	echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "host: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
	echo "go: $(go version)"
	echo "clickhouse: $(clickhouse-client --host 127.0.0.1 --port "${CLICKHOUSE_TCP_PORT:-19000}" -q 'SELECT version()' 2>/dev/null || echo '?')"
	echo "commit: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- . 2>/dev/null || echo ' (dirty)')"
	echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/bigshop.txt"
cd "$ROOT/query"
go test -run '^$' -bench 'BenchmarkBigShop' -benchtime "${BENCH_RUNS:-40}x" -count "${BENCH_COUNT:-3}" -timeout 60m ./orders/ |
	tee -a "$OUT/bigshop.txt" | grep -E '^(Benchmark|ok|FAIL|---|\s+bigshop)' || true
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/bigshop.txt"
grep -q '^FAIL' "$OUT/bigshop.txt" && exit 1
exit 0
