#!/bin/bash
# odoo-up.sh VERSION: start (or reuse) real Odoo VERSION through ../shared/odoo-server/up.sh
# and print its ODOO_* lines to eval, like up.sh itself.
#
# Why a wrapper: up.sh decides whether its PostgreSQL and Odoo are running from their
# pid files. A server started from another PID namespace on this machine (an earlier
# session, a CI run beside it) is invisible to that check while it still holds the
# ports, so up.sh tries to start a second one and fails on "address already in use".
# Then, once up.sh has failed four times, we reuse the server that answers on Odoo's port
# if it is a real Odoo (not the simulator) of that version and the documented
# credentials (synco / admin / admin, and on 19 the API key up.sh made) work on it;
# anything else still fails loudly.
set -uo pipefail

V=${1:?usage: odoo-up.sh 16|17|18|19}
ODOO_SERVER=${ODOO_SERVER:-$(cd "$(dirname "$0")/../.." && pwd)/shared/odoo-server}
STATE_ROOT=${ODOO_SERVER_STATE:-$HOME/.cache/synco-odoo-server}
URL=http://127.0.0.1:80$V

say() { printf 'odoo-up %s: %s\n' "$V" "$*" >&2; }

# up.sh's PostgreSQL ports (554VV) lie in the kernel's ephemeral range, so a client
# socket of the tests before (Kafka, ClickHouse, HTTP) can hold one when PostgreSQL
# starts: "address already in use". As root, reserve them (the kernel then never hands
# them out as client ports); either way, try a few times.
reserve_ports() {
	local f=/proc/sys/net/ipv4/ip_local_reserved_ports cur
	[[ $EUID -eq 0 && -w $f ]] || return 0
	cur=$(cat "$f")
	[[ ,$cur, == *,55416-55419,* ]] && return 0
	echo "${cur:+$cur,}55416-55419" >"$f" 2>/dev/null || true
}
reserve_ports
for attempt in 1 2 3 4; do
	if out=$("$ODOO_SERVER/up.sh" "$V"); then
		printf '%s\n' "$out"
		exit 0
	fi
	((attempt < 4)) || break
	say "up.sh failed; again in $((attempt * 5)) s (a port may have been taken for a moment)"
	sleep $((attempt * 5))
done

key=
if ((V >= 19)); then
	key=$(cat "$STATE_ROOT/$V/apikey" 2>/dev/null || sudo -n -u odoo cat "$STATE_ROOT/$V/apikey" 2>/dev/null) || key=
fi
if python3 - "$URL" "$V" "$key" <<'EOF'; then
import json, socket, sys, urllib.error, urllib.request, xmlrpc.client
socket.setdefaulttimeout(60)
url, v, key = sys.argv[1:4]
# The web client's route, not XML-RPC's version(): the simulator (synco odoo-sim --addr)
# answers XML-RPC like Odoo, with the same credentials, and serves no web client.
req = urllib.request.Request(url + '/web/webclient/version_info', headers={'Content-Type': 'application/json'},
    data=b'{"jsonrpc": "2.0", "method": "call", "params": {}}')
try:
    info = json.load(urllib.request.urlopen(req, timeout=30))['result']
except (urllib.error.HTTPError, KeyError, TypeError, ValueError):
    sys.exit(6)
if info['server_version'].split('.')[0] != v:
    sys.exit(3)
common = xmlrpc.client.ServerProxy(url + '/xmlrpc/2/common')
if not common.authenticate('synco', 'admin', 'admin', {}):
    sys.exit(4)
if int(v) >= 19:
    req = urllib.request.Request(url + '/json/2/res.users/context_get', data=b'{}', headers={
        'Authorization': 'bearer ' + key, 'X-Odoo-Database': 'synco',
        'Content-Type': 'application/json; charset=utf-8'})
    if 'lang' not in json.load(urllib.request.urlopen(req, timeout=30)):
        sys.exit(5)
EOF
	say "reusing the Odoo $V that answers on $URL (started where up.sh cannot see its pid)"
	printf 'ODOO_URL=%s\nODOO_DB=synco\nODOO_USER=admin\nODOO_PASSWORD=admin\nODOO_VERSION=%s\n' "$URL" "$V"
	[[ -z $key ]] || printf 'ODOO_API_KEY=%s\n' "$key"
	exit 0
fi
say "no Odoo $V answers on $URL with the synco database either: see up.sh's errors above"
exit 1
