#!/usr/bin/env bash
# The processor's figures (bench/RESULTS.md, "Processor state on disk"): the
# transactional loop on kfake in process, the changelog restore, and a million orders
# in state with the broker in a child process (so the peak RSS is the processor's).
#
#   bash bench/processor.sh              every group, BENCH_COUNT=3 runs each
#   bash bench/processor.sh loop restore only these (store loop restore million)
#   BENCH_COUNT=6 bash bench/processor.sh
#
# Raw output in bench/out/processor-<group>.txt (the previous one moves to
# bench/out/prev/ and benchstat compares them), the machine in bench/out/machine.txt.
# The rates are wall-clock figures: on a shared machine read them with the load
# printed beside them and the CPU per event (cpu-µs/event), which load disturbs less.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/bench/out"
COUNT="${BENCH_COUNT:-3}"
mkdir -p "$OUT/prev"

# group | package | -bench regexp | -benchtime
GROUPS_ALL=(
	"store|./store/|BenchmarkStore|200000x"
	"loop|./stream/|BenchmarkLoop|200000x"
	"restore|./stream/|BenchmarkRestore|1000000x"
	"million|./stream/|BenchmarkMillionOrders|1x"
)

want=("$@")
selected() {
	[[ ${#want[@]} -eq 0 ]] && return 0
	local g
	for g in "${want[@]}"; do [[ "$1" == "$g" ]] && return 0; done
	return 1
}

{
	echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "host: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
	echo "go: $(go version)"
	echo "commit: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- . 2>/dev/null || echo ' (dirty)')"
} | tee "$OUT/machine.txt"

ran=()
for spec in "${GROUPS_ALL[@]}"; do
	IFS='|' read -r name pkg regexp benchtime <<<"$spec"
	selected "$name" || continue
	f="$OUT/processor-$name.txt"
	echo "== $name: go test -run '^\$' -bench '$regexp' -benchtime $benchtime -count $COUNT $pkg (load $(cut -d' ' -f1-3 /proc/loadavg))"
	[[ -f "$f" ]] && mv "$f" "$OUT/prev/processor-$name.txt"
	# The million-order runs each get a process of their own: C memory Pebble freed in
	# one run stays resident (glibc keeps it) and would count in the next run's RSS.
	runs=1 count="$COUNT"
	if [[ "$name" == million ]]; then runs="$COUNT" count=1; fi
	for ((i = 0; i < runs; i++)); do
		(cd "$ROOT/processor" && go test -run '^$' -bench "$regexp" -benchtime "$benchtime" -count "$count" -benchmem -timeout 60m "$pkg")
	done | tee "$f.tmp" | grep -E '^(Benchmark|ok|FAIL|---)' || true
	mv "$f.tmp" "$f"
	echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$f"
	if grep -q '^FAIL' "$f"; then
		echo "bench: $name failed, see $f" >&2
		exit 1
	fi
	ran+=("$name")
done

echo
echo "== benchstat"
cd "$OUT" # inside the bench module, whose go.mod pins benchstat as a tool
for name in "${ran[@]}"; do
	echo "-- $name"
	if [[ -f "prev/processor-$name.txt" ]]; then
		go tool benchstat "old=prev/processor-$name.txt" "new=processor-$name.txt" || true
	else
		go tool benchstat "processor-$name.txt"
	fi
	echo
done | tee "$OUT/processor-benchstat.txt"
