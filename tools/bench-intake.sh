#!/bin/sh
# make bench, part intake (tools/bench.sh runs it): one slot's orders from
# BENCH_INTAKE_HOUSEHOLDS (10,000) simulated households, each registered
# with its own key and sending its one signed order in a request of its
# own, to denki-intake as a CGI program behind lighttpd on 127.0.0.1,
# BENCH_INTAKE_JOBS (8 a core) requests in flight at a time
# (tools/bench-intake.py).  Prints the accepted orders a second, the p50
# and p99 latency and the inbox's size; goal (issue 14): 10,000
# households' orders accepted within 60 s, every signature checked.
# The slot is in 2099, so that the orders are on time.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top:$PATH
n=${BENCH_INTAKE_HOUSEHOLDS:-10000}
jobs=${BENCH_INTAKE_JOBS:-$((8 * $(nproc)))}
for c in lighttpd python3 sqlite3; do
	command -v $c >/dev/null || { echo "intake: $c is not installed, skipped"; exit 0; }
done
dir=$(mktemp -d)
httpd=
trap '[ -z "$httpd" ] || kill "$httpd" 2>/dev/null; rm -rf "$dir"' EXIT
cd "$dir"
# n participants, each with a key, one order each for 2099-01-01T10:00Z
GEN_START=4070944800 "$top/tools/gen-book" "$dir" "$n" "$n"
denki-keygen intake >/dev/null
printf 'intake:\n  key: intake.key\n  inbox: inbox.db\n' >>coop.yaml
denki-intake -c coop.yaml --publish >/dev/null
# the CGI runs' stderr goes to cgi.err: counted below
. "$top/tools/intake-httpd.sh"
intake_httpd "$dir" "exec '$top/denki-intake' -c '$dir/coop.yaml'"
echo "intake: $n households, one signed order each for one slot, one request each, $jobs in flight, lighttpd + CGI on 127.0.0.1"
set -- $(python3 "$top/tools/bench-intake.py" "$url" orders.jsonl "$jobs")
rows=$(sqlite3 inbox.db "SELECT count(*) FROM lines" 2>/dev/null || echo "?")
size=$(du -k inbox.db | cut -f1)
errs=$(grep -v 'server st' cgi.err | grep -c . || true)
wal=$(du -k inbox.db-wal 2>/dev/null | cut -f1 || echo 0)
awk -v n="$1" -v r="$2" -v rj="$3" -v o="$4" -v s="$5" -v p50="$6" -v p99="$7" \
    -v rows="$rows" -v kb="$size" -v wal="${wal:-0}" -v errs="$errs" 'BEGIN {
	printf "    %d requests in %.2fs: %d receipts, %d rejections, %d other answers\n", n, s, r, rj, o
	printf "    %.0f accepted orders/s; latency p50 %.1f ms, p99 %.1f ms\n", r / s, p50, p99
	printf "    inbox: %s lines, %d kB (and %d kB of WAL); %d lines on the CGI runs\047 stderr\n", rows, kb, wal, errs
	printf "    goal (issue 14): %d orders accepted within 60 s: %s\n", n, (r == n && s <= 60) ? "met" : "NOT met"
}'
[ "$errs" -eq 0 ] || { echo "    the CGI programs said, e.g.:"; grep -v 'server st' cgi.err | sort | uniq -c | sort -rn | head -n 3; }
