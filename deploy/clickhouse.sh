#!/usr/bin/env bash
# Project-local ClickHouse for development, tests and `make run`.
#
#   deploy/clickhouse.sh start    install Debian's clickhouse-server if missing, then start
#                                 it on 127.0.0.1:19000 (native) / 18123 (HTTP), unless a
#                                 ClickHouse already answers there (then reuse it)
#   deploy/clickhouse.sh stop     stop the one this script started
#   deploy/clickhouse.sh status   say whether one runs (exit 0) or not (exit 3)
#   deploy/clickhouse.sh restart
#
# Data, config and logs live in <repo>/.data/clickhouse, or $SYNCO_DATA_DIR/clickhouse.
# CLICKHOUSE_TCP_PORT / CLICKHOUSE_HTTP_PORT change the ports (default 19000 / 18123).
# Idempotent, safe to call concurrently (tests of several packages do), loopback only.
set -euo pipefail
# Bash 5.2 expands `&` in ${var//pat/rep}; we want paths with `&` taken literally.
shopt -u patsub_replacement 2>/dev/null || true

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TEMPLATES="$ROOT/deploy/clickhouse"
HOST=127.0.0.1
# Other ports only for running a second copy beside one that already uses the defaults.
TCP_PORT="${CLICKHOUSE_TCP_PORT:-19000}"
HTTP_PORT="${CLICKHOUSE_HTTP_PORT:-18123}"
START_TIMEOUT="${CLICKHOUSE_START_TIMEOUT:-60}"

if [[ -n "${SYNCO_DATA_DIR:-}" ]]; then
	mkdir -p "$SYNCO_DATA_DIR"
	DIR="$(cd "$SYNCO_DATA_DIR" && pwd)/clickhouse"
else
	DIR="$ROOT/.data/clickhouse"
fi
PIDFILE="$DIR/clickhouse-server.pid"
LOG="$DIR/log"

# /usr/sbin is not on every user's PATH, and that is where Debian puts the server.
export PATH="$PATH:/usr/sbin:/usr/bin"

say() { printf 'clickhouse.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

is_root() { [[ "$(id -u)" == 0 ]]; }

# ping succeeds when a ClickHouse answers a query on our native port.
ping() {
	command -v clickhouse-client >/dev/null 2>&1 || return 1
	timeout 10 clickhouse-client --host "$HOST" --port "$TCP_PORT" -q 'SELECT 1' >/dev/null 2>&1
}

# our_pid prints the pid of the server this script started, if it is still alive.
our_pid() {
	[[ -f "$PIDFILE" ]] || return 1
	local pid
	pid="$(tr -dc '0-9' <"$PIDFILE")"
	[[ -n "$pid" ]] || return 1
	# A stale pid file may name a recycled pid: make sure it is a clickhouse.
	grep -qa clickhouse "/proc/$pid/cmdline" 2>/dev/null || return 1
	printf '%s\n' "$pid"
}

install_clickhouse() {
	if command -v clickhouse-server >/dev/null 2>&1 && command -v clickhouse-client >/dev/null 2>&1; then
		return 0
	fi
	local sudo=()
	if ! is_root; then
		if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
			sudo=(sudo)
		else
			die "clickhouse-server is not installed and we are not root: run
  sudo apt-get install clickhouse-server clickhouse-client
or set CLICKHOUSE_ADDR to a ClickHouse you already run"
		fi
	fi
	say "installing Debian's clickhouse-server and clickhouse-client (apt-get)"
	# The package's postinst may fail to start its own service (policy-rc.d, no
	# systemd): harmless, we run our own copy. So judge by the binaries, not apt's status.
	"${sudo[@]}" apt-get update -q || say "apt-get update failed; trying the install anyway"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q clickhouse-server clickhouse-client ||
		say "apt-get install reported an error; checking whether the binaries are there"
	command -v clickhouse-server >/dev/null 2>&1 && command -v clickhouse-client >/dev/null 2>&1 ||
		die "clickhouse-server/clickhouse-client still missing after apt-get install"
}

# xml_escape escapes a path for use as XML text.
xml_escape() {
	local s="$1"
	s="${s//&/&amp;}"
	s="${s//</&lt;}"
	s="${s//>/&gt;}"
	printf '%s' "$s"
}

render_config() {
	mkdir -p "$DIR/etc" "$DIR/data" "$DIR/tmp" "$DIR/user_files" "$DIR/format_schemas" "$LOG"
	local dir_xml f text
	dir_xml="$(xml_escape "$DIR")"
	for f in config.xml users.xml; do
		[[ -f "$TEMPLATES/$f" ]] || die "missing template $TEMPLATES/$f"
		text="$(<"$TEMPLATES/$f")"
		text="${text//@DIR@/$dir_xml}"
		text="${text//@TCP_PORT@/$TCP_PORT}"
		text="${text//@HTTP_PORT@/$HTTP_PORT}"
		printf '%s\n' "$text" >"$DIR/etc/$f.tmp"
		mv -f "$DIR/etc/$f.tmp" "$DIR/etc/$f"
	done
}

log_tail() {
	local f
	for f in "$LOG/clickhouse-server.err.log" "$LOG/stdout.log"; do
		if [[ -s "$f" ]]; then
			say "--- last lines of $f"
			tail -n 30 "$f" >&2
		fi
	done
}

start() {
	# Fail early, before installing anything, when the data folder cannot be written.
	mkdir -p "$DIR" || die "cannot create $DIR"
	# Concurrent callers (parallel test packages) take turns; the loser then reuses.
	exec 9>>"$DIR/.lock"
	flock -w $((START_TIMEOUT + 30)) 9 || die "timed out waiting for another clickhouse.sh start"

	if ping; then
		say "reusing the ClickHouse that answers on $HOST:$TCP_PORT"
		return 0
	fi
	install_clickhouse
	if ping; then
		say "reusing the ClickHouse that answers on $HOST:$TCP_PORT"
		return 0
	fi
	local pid
	if pid="$(our_pid)"; then
		# Ours but not answering: wedged, or still starting. Restart it cleanly.
		say "server pid $pid does not answer on $HOST:$TCP_PORT; restarting it"
		stop_pid "$pid"
	fi

	render_config
	# No --pid-file: 18.16 writes it only in --daemon mode. We run in the foreground,
	# exec'ing all the way down, so $! below is the server's own pid.
	local cmd=(clickhouse-server "--config-file=$DIR/etc/config.xml")
	if is_root; then
		# ClickHouse's files belong to its own user, as in the packaged service.
		if id clickhouse >/dev/null 2>&1; then
			chown -R clickhouse:clickhouse "$DIR"
			runuser -u clickhouse -- test -w "$DIR/data" ||
				die "user clickhouse cannot write $DIR/data (is a parent folder closed to other users?); set SYNCO_DATA_DIR to a folder it can reach"
			# setpriv execs (runuser would fork and sit between us and the server).
			cmd=(setpriv --reuid=clickhouse --regid=clickhouse --init-groups -- "${cmd[@]}")
		else
			say "no user 'clickhouse'; running the server as root"
		fi
	fi
	say "starting clickhouse-server on $HOST:$TCP_PORT (data in $DIR)"
	# setsid + nohup: the server outlives this script and its caller's terminal or test.
	# stdio goes to files so a caller that reads our output (go test) is not held open;
	# fd 9 (the lock) is closed so the server does not hold the lock forever.
	(cd "$DIR" && exec setsid nohup "${cmd[@]}" </dev/null >>"$LOG/stdout.log" 2>&1 9>&-) &
	local server=$!
	echo "$server" >"$PIDFILE"

	local deadline=$((SECONDS + START_TIMEOUT))
	until ping; do
		if ! kill -0 "$server" 2>/dev/null; then
			log_tail
			die "clickhouse-server exited during start-up (logs in $LOG)"
		fi
		if ((SECONDS >= deadline)); then
			log_tail
			stop_pid "$server"
			die "clickhouse-server did not answer on $HOST:$TCP_PORT within ${START_TIMEOUT}s (logs in $LOG)"
		fi
		sleep 0.5
	done
	say "clickhouse-server is up: native $HOST:$TCP_PORT, http $HOST:$HTTP_PORT, pid $server"
}

stop_pid() {
	local pid="$1" i
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 60; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$pid" 2>/dev/null; then
		say "pid $pid ignored SIGTERM for 30s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$PIDFILE"
}

stop() {
	local pid
	if [[ -d "$DIR" ]]; then
		exec 9>>"$DIR/.lock"
		flock -w 120 9 || die "timed out waiting for another clickhouse.sh command"
	fi
	if pid="$(our_pid)"; then
		say "stopping clickhouse-server (pid $pid)"
		stop_pid "$pid"
		say "stopped"
	elif ping; then
		say "a ClickHouse answers on $HOST:$TCP_PORT but this script did not start it (no live pid in $PIDFILE); leaving it alone"
	else
		say "not running"
	fi
}

status() {
	local pid
	if pid="$(our_pid)"; then
		if ping; then
			echo "running: pid $pid, native $HOST:$TCP_PORT, http $HOST:$HTTP_PORT, data $DIR"
		else
			echo "starting or wedged: pid $pid does not answer on $HOST:$TCP_PORT (logs in $LOG)"
		fi
		return 0
	fi
	if ping; then
		echo "running: a ClickHouse not started by this script answers on $HOST:$TCP_PORT"
		return 0
	fi
	echo "not running"
	return 3
}

case "${1:-}" in
start) start ;;
stop) stop ;;
restart) stop && start ;;
status) status ;;
*)
	echo "usage: $0 start|stop|restart|status" >&2
	exit 2
	;;
esac
