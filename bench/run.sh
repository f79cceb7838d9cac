#!/usr/bin/env bash
# Go benchmarks of every stage, summarised with benchstat.
#
#   bash bench/run.sh                 all benchmarks, -count=6 -benchmem
#   BENCH_COUNT=10 bash bench/run.sh  more samples
#   bash bench/run.sh sink query      only these groups (ingest processor serde sink query)
#
# Raw results go to bench/out/<group>.txt; a previous bench/out/<group>.txt is moved to
# bench/out/prev/ first, and benchstat then compares the two (old vs new). The
# ClickHouse benchmarks (sink/clickhouse, query/api) start or reuse the project-local
# ClickHouse through deploy/clickhouse.sh, as the tests do.
#
# On a shared 2-core machine numbers are noisy: look at benchstat's ± and p-values,
# and compare only runs made on the same machine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/bench/out"
COUNT="${BENCH_COUNT:-6}"
mkdir -p "$OUT/prev"

# group | module dir | packages | -bench regexp | -benchtime
# Syncer.Apply runs a fixed number of orders: the simulator's tables grow with b.N.
GROUPS_ALL=(
	"ingest|ingest|./webhook/|.|0.5s"
	"ingest-server|ingest|./server/|.|2s"
	"ingest-kafka|platform|./kafka/|BenchmarkDurableProduce|2s"
	"processor|processor|./decide/|.|0.5s"
	"serde|platform|./serde/|.|0.5s"
	"sink|sink|./odoo/|BenchmarkSyncerApply|100x"
	"sink-clickhouse|sink|./clickhouse/|BenchmarkWrite|20x"
	"query|query|./api/|BenchmarkOrderTable|20x"
)

want=("$@")
selected() {
	[[ ${#want[@]} -eq 0 ]] && return 0
	local g
	for g in "${want[@]}"; do [[ "$1" == "$g" || "$1" == "$g"-* ]] && return 0; done
	return 1
}

needs_clickhouse=0
for spec in "${GROUPS_ALL[@]}"; do
	IFS='|' read -r name _ _ _ _ <<<"$spec"
	if selected "$name" && [[ "$name" == sink-clickhouse || "$name" == query ]]; then needs_clickhouse=1; fi
done
if [[ $needs_clickhouse == 1 && -z "${CLICKHOUSE_ADDR:-}" ]]; then
	bash "$ROOT/deploy/clickhouse.sh" start
fi

{
	echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "host: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
	echo "go: $(go version)"
	echo "commit: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- . 2>/dev/null || echo ' (dirty)')"
	echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/machine.txt"

ran=()
for spec in "${GROUPS_ALL[@]}"; do
	IFS='|' read -r name dir pkgs regexp benchtime <<<"$spec"
	selected "$name" || continue
	echo "== $name: go test -run '^\$' -bench '$regexp' -benchtime $benchtime -count $COUNT -benchmem $pkgs (in $dir)"
	[[ -f "$OUT/$name.txt" ]] && mv "$OUT/$name.txt" "$OUT/prev/$name.txt"
	(cd "$ROOT/$dir" && go test -run '^$' -bench "$regexp" -benchtime "$benchtime" -count "$COUNT" -benchmem -timeout 30m $pkgs) \
		| tee "$OUT/$name.txt.tmp" | grep -E '^(Benchmark|ok|FAIL|---)' || true
	mv "$OUT/$name.txt.tmp" "$OUT/$name.txt"
	if grep -q '^FAIL' "$OUT/$name.txt"; then
		echo "bench: $name failed, see $OUT/$name.txt" >&2
		exit 1
	fi
	ran+=("$name")
done

echo
echo "== benchstat"
cd "$OUT" # inside the bench module, whose go.mod pins benchstat as a tool
for name in "${ran[@]}"; do
	echo "-- $name"
	if [[ -f "prev/$name.txt" ]]; then
		go tool benchstat "old=prev/$name.txt" "new=$name.txt" || true
	else
		go tool benchstat "$name.txt"
	fi
	echo
done | tee "$OUT/benchstat.txt"
