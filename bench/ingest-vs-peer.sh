#!/usr/bin/env bash
# Synco's ingest against the Node/Express + BullMQ peer, side by side in one run, with
# the peer's own load script (../shared/peers/node-bullmq/load.sh: wrk, its 4.4 KB
# orders/create body, a fresh webhook id per request):
#
#   bash bench/ingest-vs-peer.sh [DURATION [CONNECTIONS]]      default 60 s, 64
#
# 1. the peer, through its bench.sh (Redis, npm ci the first time, warm-up, its CPU
#    split): PEER_WORKERS processes (default 2: both cores), CONCURRENCY=0 (no queue
#    worker: ingest only, as Synco's side). Its Redis runs without persistence.
# 2. `synco ingest` (fasthttp, group commits) with the embedded Kafka keeping its data
#    on disk with every batch fsynced before the acknowledgement, as in production;
#    log level info; a 5 s warm-up, then the same load.sh; CPU of synco, wrk and the
#    rest of the machine from /proc; synco's RSS every 5 s; its group commits.
# Then both SUMMARY lines and the ratio. Needs wrk, redis-server, node (apt-get install
# -y wrk redis-server nodejs npm). Loopback only. Everything it starts it stops, by pid.
# SYNCO_BIN=path measures another build; SYNCO_SERVER=net/http the net/http server;
# ONLY=synco|peer runs one side. Output also goes to bench/out/ingest-vs-peer-<time>.txt.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEER="${PEER_DIR:-$ROOT/../shared/peers/node-bullmq}"
[[ -d "$PEER" ]] || PEER="$ROOT/../../shared/peers/node-bullmq"
DURATION="${1:-60}" CONNECTIONS="${2:-64}"
PORT="${SYNCO_PORT:-18380}" KAFKA_PORT="${SYNCO_KAFKA_PORT:-19492}"
OUT="$ROOT/bench/out"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
REPORT="$OUT/ingest-vs-peer-$STAMP.txt"
WORK="$(mktemp -d -t synco-ingest-bench.XXXXXX)"
SYNCO_PID=""

[[ -x "$PEER/load.sh" ]] || { echo "peer not found at $PEER (set PEER_DIR)" >&2; exit 1; }
for c in wrk redis-server node curl; do
	command -v "$c" >/dev/null || { echo "$c missing: apt-get install -y wrk redis-server nodejs npm curl" >&2; exit 1; }
done

cleanup() {
	if [[ -n "$SYNCO_PID" ]] && kill -0 "$SYNCO_PID" 2>/dev/null; then
		kill -TERM "$SYNCO_PID" 2>/dev/null || true
		for _ in $(seq 1 40); do kill -0 "$SYNCO_PID" 2>/dev/null || break; sleep 0.25; done
		kill -KILL "$SYNCO_PID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

busy2s() { # % of all cores busy over 2 s
	local a b c d
	read -r a b < <(awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat)
	sleep 2
	read -r c d < <(awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat)
	echo $((100 * (c - a) / (d - b)))
}

exec > >(tee "$REPORT") 2>&1
echo "== ingest vs peer, ${DURATION}s at $CONNECTIONS connections"
echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "host: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "go: $(go version | cut -d' ' -f3)   node: $(node --version)   wrk: $(wrk -v 2>&1 | head -1 | cut -d' ' -f2)   commit: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' + uncommitted changes')"

peer_line="" synco_line=""
if [[ "${ONLY:-}" != synco ]]; then
	echo
	echo "== peer: node-bullmq bench.sh WORKERS=${PEER_WORKERS:-2} CONCURRENCY=${PEER_CONCURRENCY:-0}  (load average $(cut -d' ' -f1-3 /proc/loadavg), machine busy $(busy2s)%)"
	CONCURRENCY="${PEER_CONCURRENCY:-0}" "$PEER/bench.sh" "${PEER_WORKERS:-2}" "$DURATION" "$CONNECTIONS" | tee "$WORK/peer.txt" |
		grep -E '^(SUMMARY|CPU|preflight|machine busy|server pid|queue|jobs)'
	peer_line="$(grep '^SUMMARY' "$WORK/peer.txt" || true)"
fi

if [[ "${ONLY:-}" != peer ]]; then
	echo
	echo "== synco ingest"
	if [[ -n "${SYNCO_BIN:-}" ]]; then
		cp "$SYNCO_BIN" "$WORK/synco"
	else
		(cd "$ROOT/cmd" && go build -o "$WORK/synco" ./synco)
	fi
	if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
		echo "something already listens on 127.0.0.1:$PORT (SYNCO_PORT)" >&2
		exit 1
	fi
	cat >"$WORK/synco.yaml" <<EOF
ingest: {addr: 127.0.0.1:$PORT, server: ${SYNCO_SERVER:-fasthttp}}
kafka: {embedded_addr: 127.0.0.1:$KAFKA_PORT}
data_dir: $WORK/data
log: {level: info}
shops:
  - domain: bench.myshopify.com
    webhook_secret: bench-secret
    odoo: {simulator: true}
EOF
	(cd "$WORK" && SYNCO_CONFIG="$WORK/synco.yaml" exec "$WORK/synco" ingest >"$WORK/synco.log" 2>&1) &
	SYNCO_PID=$!
	for _ in $(seq 1 120); do
		curl -fsS -o /dev/null "http://127.0.0.1:$PORT/readyz" 2>/dev/null && break
		kill -0 "$SYNCO_PID" 2>/dev/null || { tail -20 "$WORK/synco.log"; exit 1; }
		sleep 0.25
	done
	URL="http://127.0.0.1:$PORT/webhooks/shopify"
	echo "synco pid $SYNCO_PID, data on disk in $WORK/data (every batch fsynced), server ${SYNCO_SERVER:-fasthttp}"
	echo "warm-up: 5s"
	"$PEER/load.sh" "$URL" bench-secret bench.myshopify.com 5 "$CONNECTIONS" >"$WORK/warmup.txt" 2>&1
	echo "machine busy before the run: $(busy2s)% (load average $(cut -d' ' -f1-3 /proc/loadavg))"
	rss() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$SYNCO_PID/status"; }
	(while kill -0 "$SYNCO_PID" 2>/dev/null; do rss; echo; sleep 5; done) >"$WORK/rss.txt" &
	RSS_PID=$!
	curl -fsS "http://127.0.0.1:$PORT/metrics" >"$WORK/metrics0.txt"
	ticks() { local s; s="$(cat /proc/"$1"/stat)"; s="${s##*) }"; set -- $s; echo $((${12} + ${13})); }
	selfchild() { local s; s="$(cat /proc/$$/stat)"; s="${s##*) }"; set -- $s; echo $((${14} + ${15})); }
	sysbusy() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }
	HZ="$(getconf CLK_TCK)"
	s0="$(ticks "$SYNCO_PID")"
	l0="$(selfchild)"
	read -r b0 a0 < <(sysbusy)
	t0="$(date +%s.%N)"
	"$PEER/load.sh" "$URL" bench-secret bench.myshopify.com "$DURATION" "$CONNECTIONS" >"$WORK/synco-load.txt" 2>&1
	s1="$(ticks "$SYNCO_PID")"
	l1="$(selfchild)"
	read -r b1 a1 < <(sysbusy)
	t1="$(date +%s.%N)"
	kill "$RSS_PID" 2>/dev/null || true
	grep -E '^(preflight|SUMMARY)|Latency|requests in' "$WORK/synco-load.txt"
	awk -v hz="$HZ" -v t0="$t0" -v t1="$t1" -v s=$((s1 - s0)) -v l=$((l1 - l0)) -v b=$((b1 - b0)) -v a=$((a1 - a0)) -v n="$(nproc)" 'BEGIN { el = t1 - t0
		sp = 100*s/hz/el; lp = 100*l/hz/el; mp = n*100*b/a
		printf "CPU over %.1fs (%% of one core): synco %.0f%%  load(wrk) %.0f%%  others %.0f%%  | machine %.0f%% of %d00%%\n", el, sp, lp, mp - sp - lp, mp, n }' | tee "$WORK/synco-cpu.txt"
	echo "synco RSS (MiB, every 5 s): $(tr '\n' ' ' <"$WORK/rss.txt")"
	curl -fsS "http://127.0.0.1:$PORT/metrics" >"$WORK/metrics1.txt"
	awk 'FNR==NR { if ($1 ~ /^synco_ingest_group_(records|seconds)_(sum|count)$/) a[$1]=$2; next }
		$1 ~ /^synco_ingest_group_(records|seconds)_(sum|count)$/ { d[$1] = $2 - a[$1] }
		END { if (d["synco_ingest_group_records_count"] > 0) printf "group commits: %d, %.1f records each, %.2f ms each on average\n",
			d["synco_ingest_group_records_count"], d["synco_ingest_group_records_sum"]/d["synco_ingest_group_records_count"],
			1000*d["synco_ingest_group_seconds_sum"]/d["synco_ingest_group_seconds_count"] }' "$WORK/metrics0.txt" "$WORK/metrics1.txt"
	grep -E '^synco_webhooks_total' "$WORK/metrics1.txt" | sed 's/^/  /'
	echo "synco log: $(grep -c 'level=ERROR' "$WORK/synco.log" || true) ERROR, $(grep -c 'level=WARN' "$WORK/synco.log" || true) WARN lines"
	synco_line="$(grep '^SUMMARY' "$WORK/synco-load.txt" || true)"
fi

echo
echo "== side by side"
[[ -n "$peer_line" ]] && echo "peer  $peer_line"
[[ -n "$synco_line" ]] && echo "synco $synco_line"
if [[ -n "$peer_line" && -n "$synco_line" ]]; then
	rps() { sed -E 's/.* rps=([0-9.]+).*/\1/' <<<"$1"; }
	p99() { sed -E 's/.* p99_ms=([0-9.]+).*/\1/' <<<"$1"; }
	awk -v s="$(rps "$synco_line")" -v p="$(rps "$peer_line")" -v sp="$(p99 "$synco_line")" -v pp="$(p99 "$peer_line")" \
		'BEGIN { printf "ratio synco/peer: %.2fx requests/s (p99 %s ms vs %s ms)\n", s/p, sp, pp }'
	# Others share these cores and take what they take: per CPU second of each side
	# (the peer's server processes and Redis; synco with its in-process Kafka) is the
	# figure that holds when the machine is not quiet.
	pcpu="$(grep '^CPU over' "$WORK/peer.txt" | sed -E 's/.* server ([0-9]+)%.* redis ([0-9]+)%.*/\1 \2/')"
	scpu="$(sed -E 's/.* synco ([0-9]+)%.*/\1/' "$WORK/synco-cpu.txt")"
	awk -v s="$(rps "$synco_line")" -v p="$(rps "$peer_line")" -v pc="$pcpu" -v sc="$scpu" 'BEGIN { split(pc, c, " ")
		pe = p / ((c[1] + c[2]) / 100); se = s / (sc / 100)
		printf "per CPU second: synco %.0f webhooks (%s%% of a core), peer %.0f (server %s%% + redis %s%%): %.2fx\n", se, sc, pe, c[1], c[2], se/pe }'
fi
echo "report: $REPORT"
