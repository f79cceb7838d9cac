#!/usr/bin/env bash
# Load test of the whole pipeline on this machine: builds synco, starts the
# project-local ClickHouse, runs `synco all` (embedded Kafka, the bundled Odoo
# simulator, the demo shop) in a fresh temporary directory, posts signed orders with
# bench/load, waits for them to be synced, stops synco and prints the summary.
#
#   bash bench/load.sh                         2000 orders, 16 in flight, unlimited rate
#   bash bench/load.sh -n 500 -rate 100        any flag of bench/load (go run ./load -h)
#
# The summary is also written to bench/out/load-<UTC time>.txt, synco's log to
# bench/out/synco-<UTC time>.log. Loopback only; ports 8080, 8090 and 19092 must be free.
# SYNCO_BIN=path uses that synco binary instead of building the working tree.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/bench/out"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
WORK="$(mktemp -d -t synco-load.XXXXXX)"
SYNCO_PID=""

cleanup() {
	if [[ -n "$SYNCO_PID" ]] && kill -0 "$SYNCO_PID" 2>/dev/null; then
		kill -TERM "$SYNCO_PID" 2>/dev/null || true
		for _ in $(seq 1 40); do kill -0 "$SYNCO_PID" 2>/dev/null || break; sleep 0.5; done
		if kill -0 "$SYNCO_PID" 2>/dev/null; then
			echo "load.sh: synco did not stop within 20 s of SIGTERM; killing it" >&2
			kill -KILL "$SYNCO_PID" 2>/dev/null || true
		fi
	fi
	[[ -f "$WORK/synco.log" ]] && cp "$WORK/synco.log" "$OUT/synco-$STAMP.log"
	rm -rf "$WORK"
}
trap cleanup EXIT

for port in 8080 8090 19092; do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		echo "load.sh: something already listens on 127.0.0.1:$port (another synco?); stop it first" >&2
		exit 1
	fi
done

echo "== build"
if [[ -n "${SYNCO_BIN:-}" ]]; then
	cp "$SYNCO_BIN" "$WORK/synco" # compare another build, e.g. one from a git worktree
else
	(cd "$ROOT/cmd" && go build -o "$WORK/synco" ./synco)
fi
(cd "$ROOT/bench" && go build -o "$WORK/load" ./load)

echo "== clickhouse"
if [[ -z "${CLICKHOUSE_ADDR:-}" ]]; then bash "$ROOT/deploy/clickhouse.sh" start; fi

echo "== synco all (in $WORK)"
mkdir -p "$WORK/run"
(cd "$WORK/run" && exec "$WORK/synco" all >"$WORK/synco.log" 2>&1) &
SYNCO_PID=$!
ready=0
for _ in $(seq 1 120); do
	if ! kill -0 "$SYNCO_PID" 2>/dev/null; then
		echo "load.sh: synco exited during start:" >&2
		tail -30 "$WORK/synco.log" >&2
		exit 1
	fi
	if curl -fsS -o /dev/null http://127.0.0.1:8080/readyz 2>/dev/null && curl -fsS -o /dev/null http://127.0.0.1:8090/readyz 2>/dev/null; then
		ready=1
		break
	fi
	sleep 0.5
done
if [[ $ready != 1 ]]; then
	echo "load.sh: synco not ready after 60 s" >&2
	tail -30 "$WORK/synco.log" >&2
	exit 1
fi
rss() { awk '/VmRSS/ {printf "%.0f MiB", $2/1024}' "/proc/$SYNCO_PID/status" 2>/dev/null || echo "?"; }
echo "synco ready (pid $SYNCO_PID, RSS $(rss))"

echo "== load"
{
	echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "host: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "go: $(go version | cut -d' ' -f3-)   commit: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' + uncommitted changes in the tree')"
	echo "load flags: ${*:--n 2000 -concurrency 16}"
	start_cpu=$(awk '{print $14+$15}' "/proc/$SYNCO_PID/stat")
	t0=$(date +%s.%N)
	"$WORK/load" -n 2000 -concurrency 16 "$@"
	t1=$(date +%s.%N)
	end_cpu=$(awk '{print $14+$15}' "/proc/$SYNCO_PID/stat")
	awk -v c=$((end_cpu - start_cpu)) -v hz="$(getconf CLK_TCK)" -v t0="$t0" -v t1="$t1" \
		'BEGIN {printf "\nsynco process: %.1f s CPU over %.1f s wall (%.2f cores busy on average)\n", c/hz, t1-t0, c/hz/(t1-t0)}'
	echo "synco RSS after the run: $(rss)"
	echo "synco log: $(grep -c 'level=ERROR' "$WORK/synco.log" || true) ERROR, $(grep -c 'level=WARN' "$WORK/synco.log" || true) WARN lines"
	grep -E 'level=(ERROR|WARN)' "$WORK/synco.log" | sed -E 's/^time=[^ ]+ //; s/(order|offset|event|webhook_id|id|latency_ms)=[^ ]+/\1=…/g' |
		sort | uniq -c | sort -rn | head -8 | sed 's/^/  /' || true
} 2>&1 | tee "$OUT/load-$STAMP.txt"
echo "summary: $OUT/load-$STAMP.txt  synco log: $OUT/synco-$STAMP.log"
