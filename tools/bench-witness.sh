#!/bin/sh
# make bench, part witness (tools/bench.sh runs it): cosignatures a second
# of denki-witness, two witnesses under load.
#  1. A ledger grown by BENCH_WITNESS_CHECKPOINTS appends (100), and the
#     request from each checkpoint to the next (its consistency proof).
#  2. The chain sent through the filter (one process a request, as ssh
#     would run it): to one witness, then to two witnesses at once.
#  3. Through lighttpd (CGI), if it is installed: the two witnesses behind
#     one server, BENCH_WITNESS_REQUESTS (400) requests of the latest
#     checkpoint (the same size again: each one cosigned, in its own
#     transaction), BENCH_WITNESS_JOBS (8) curl at a time.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top:$PATH
dir=$(mktemp -d)
httpd=
trap '[ -z "$httpd" ] || kill "$httpd" 2>/dev/null; rm -rf "$dir"' EXIT
n=${BENCH_WITNESS_CHECKPOINTS:-100}
m=${BENCH_WITNESS_REQUESTS:-400}
jobs=${BENCH_WITNESS_JOBS:-8}
t() { date +%s.%N; }
cd "$dir"

# a community with two members (tools/gen-book, which make bench builds)
"$top/tools/gen-book" "$dir" 2 2
add() {
	denki-keygen "$1" >/dev/null
	denki-registry -c coop.yaml add "$1" -k "$1.pub" >/dev/null
}
head -n 1 ledger.jsonl | jq -r .rec.vkey >log.pub
denki-ledger-proof -c coop.yaml checkpoint >c0.note
{ printf 'old 0\n\n'; cat c0.note; } >req0
i=1
while [ "$i" -le "$n" ]; do
	add "n$i"
	denki-ledger-proof -c coop.yaml consistency "c$((i - 1)).note" >c.json
	{ printf 'old %s\n' "$(jq .size1 c.json)"; jq -r '.proof[]' c.json
	    echo; jq -j .checkpoint2 c.json; } >"req$i"
	jq -j .checkpoint2 c.json >"c$i.note"
	i=$((i + 1))
done
denki-keygen w1 >/dev/null
denki-keygen w2 >/dev/null
echo "witness: a chain of $n checkpoints of a ledger of $(wc -l <ledger.jsonl) entries, each request with its consistency proof"

# chain W STATE: the whole chain through the filter, one run a request
chain() {
	i=0
	while [ "$i" -le "$n" ]; do
		denki-witness -k "$1.key" -s "$2" -p log.pub -n "$1.example" \
		    <"req$i" >/dev/null
		i=$((i + 1))
	done
}
a=$(t); chain w1 s1.db; b=$(t)
awk -v a="$a" -v b="$b" -v n="$((n + 1))" 'BEGIN {
	printf "    filter, one witness: %d requests in %.2fs: %.0f cosignatures/s\n", n, b - a, n / (b - a) }'
a=$(t); chain w1 s1b.db & p1=$!; chain w2 s2b.db & p2=$!
wait "$p1"; wait "$p2"; b=$(t)
awk -v a="$a" -v b="$b" -v n="$((n + 1))" 'BEGIN {
	printf "    filter, two witnesses at once: %d requests in %.2fs: %.0f cosignatures/s\n", 2 * n, b - a, 2 * n / (b - a) }'

command -v lighttpd >/dev/null || { echo "    lighttpd: not installed, skipped"; exit 0; }
command -v curl >/dev/null || { echo "    curl: not installed, skipped"; exit 0; }
mkdir www
for w in w1 w2; do
	printf '#!/bin/sh\nexec "%s/denki-witness" -k "%s/%s.key" -s "%s/h%s.db" -p "%s/log.pub" -n %s.example\n' \
	    "$top" "$dir" "$w" "$dir" "$w" "$dir" "$w" >"$w.cgi"
	chmod +x "$w.cgi"
done
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >lighttpd.conf <<CONF
server.port = $port
server.bind = "127.0.0.1"
server.document-root = "$dir/www"
server.modules += ( "mod_alias", "mod_cgi" )
server.errorlog = "$dir/httpd.err"
server.max-connections = 256
alias.url += ( "/w1" => "$dir/w1.cgi", "/w2" => "$dir/w2.cgi" )
\$HTTP["url"] =~ "^/w[12]/" { cgi.assign = ( "" => "" ) }
CONF
lighttpd -D -f lighttpd.conf & httpd=$!
url=http://127.0.0.1:$port
i=0
until curl -s -o /dev/null "$url/"; do
	i=$((i + 1)); [ "$i" -lt 100 ] || { echo "lighttpd did not start" >&2; exit 1; }
	sleep 0.1
done
{ printf 'old 0\n\n'; cat "c$n.note"; } >first
{ printf 'old %s\n\n' "$(sed -n 2p "c$n.note")"; cat "c$n.note"; } >same
for w in w1 w2; do
	curl -s -f -o /dev/null --data-binary @first "$url/$w/add-checkpoint"
done
i=0
while [ "$i" -lt "$m" ]; do
	echo "$url/w$((i % 2 + 1))/add-checkpoint"
	i=$((i + 1))
done >urls
a=$(t)
xargs -P "$jobs" -n 1 curl -s -o /dev/null -w '%{http_code}\n' \
    --data-binary @same <urls >codes
b=$(t)
ok=$(grep -c '^200$' codes || true)
awk -v a="$a" -v b="$b" -v m="$m" -v ok="$ok" -v j="$jobs" 'BEGIN {
	printf "    lighttpd CGI, two witnesses, %d curl at a time: %d requests, %d cosigned, in %.2fs: %.0f cosignatures/s\n", j, m, ok, b - a, ok / (b - a) }'
[ "$ok" -eq "$m" ] || { echo "    not all cosigned: $(sort codes | uniq -c | tr '\n' ' ')"; exit 1; }
