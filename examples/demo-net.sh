# make demo-net: what examples/demo.sh -n adds (sourced by it, in the
# demo's folder, after the registry and the intake key the demo names in
# the ledger): denki-intake behind lighttpd on 127.0.0.1 (a CGI program,
# as examples/intake would serve it), and each home's submit settings.
orders_time="2016-07-04 12:00:00"	# UTC: the day before, at noon
readings_time="2016-07-06 01:00:00"	# the day after

for c in lighttpd python3 sqlite3; do
	command -v $c >/dev/null || {
		echo "demo-net: $c is missing (tools/deps.sh demo installs it)" >&2
		exit 69
	}
done
# the clocks: libfaketime, as faketime(1) preloads it, told the time by
# FAKETIME (the wrapper faketime(1) itself makes shared objects that two
# of it running at once trip over)
lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
[ -n "$lib" ] || {
	echo "demo-net: libfaketime is missing (tools/deps.sh demo installs faketime)" >&2
	exit 69
}
# libfaketime's shared objects of processes gone (killed, or exec'd)
# would make a new process of the same PID fail (shm_open: File exists)
for f in /dev/shm/faketime_shm_* /dev/shm/sem.faketime_sem_*; do
	[ -e "$f" ] || continue
	kill -0 "${f##*_}" 2>/dev/null || rm -f "$f" 2>/dev/null || true
done
# the intake key the demo named in the ledger (coop.yaml's intake:)
ikey=$(denki intake -c coop.yaml --key)

# the intake's clock is the one in the file clock, set before each round
. "$top/tools/intake-httpd.sh"
httpd=
trap 'kill $httpd 2>/dev/null || true' EXIT
# (a build with AddressSanitizer is told to allow the preloaded library)
asan="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
intake_httpd "$out" "FAKETIME=\$(cat '$out/clock') LD_PRELOAD='$lib' ASAN_OPTIONS='$asan' exec '$top/denki-intake' -c '$out/coop.yaml'"
for h in $homes; do
	printf 'submit:\n  url: %s\n  intake_key: %s\n  outbox: %s.outbox\n' \
	    "$url" "$ikey" "$h" >>"$h.yaml"
done
echo "intake         denki-intake behind lighttpd at $url, its key named in the ledger: $ikey"

# net_submit TIME HOME WHAT: the lines on stdin sent by HOME's submit, both
# clocks at TIME; its receipts kept in receipts-HOME.jsonl
net_submit() {
	echo "$1" >clock
	FAKETIME=$1 LD_PRELOAD=$lib ASAN_OPTIONS=$asan denki submit -c "$2.yaml" \
	    >"receipts-$2.$3.jsonl" 2>>submit.log || {
		echo "demo-net: $2's submit failed:" >&2
		cat submit.log >&2
		exit 1
	}
	echo "submit         $2: $(wc -l <"receipts-$2.$3.jsonl") $3 received, each receipt signed by the intake key"
}

# net_dump orders|readings: the inbox's lines of every slot of the day
net_dump() {
	t=$(date -d "$first" +%s)
	r=
	[ "$1" = orders ] || r=-r
	i=0
	while [ $i -lt 48 ]; do
		denki intake -c coop.yaml --dump $r -s \
		    "$(date -u -d "@$((t + i * 1800))" +%Y-%m-%dT%H:%M:%SZ)"
		i=$((i + 1))
	done
}

net_report() {
	echo "inbox          $(sqlite3 inbox.db "SELECT count(*) FROM lines WHERE kind = 'order'" 2>/dev/null || echo ?) orders and $(sqlite3 inbox.db "SELECT count(*) FROM lines WHERE kind = 'reading'" 2>/dev/null || echo ?) readings received; $(cat receipts-*.jsonl | wc -l) receipts kept in the homes' outboxes"
	kill $httpd 2>/dev/null || true
}

# net_compare: the same day as make demo runs it, from files (bid's orders
# and the meters' readings as they were made, the same keys and
# enrolments, a ledger of its own in file/), against what went through
# the network: the same settlements, byte for byte?
net_compare() {
	mkdir file
	cp coop.yaml terms.txt operator.key operator.pub recovery.key \
	    recovery.pub ./*.enrol.json file/
	(
		cd file
		for h in $homes; do
			denki registry -c coop.yaml add "$h.enrol.json" >/dev/null
		done
		denki clear -c coop.yaml ../orders-bid.jsonl >cleared.jsonl
		denki contract-sign -c coop.yaml cleared.jsonl >/dev/null
		# kn5's two late readings held back, then trued up, as above
		cat ../readings-*.jsonl | grep "\"slot\":\"${day}T" |
		    grep -vxF -f ../late.jsonl >readings.jsonl
		denki settle -c coop.yaml readings.jsonl >settlements.jsonl \
		    2>/dev/null
		denki settle -c coop.yaml ../late.jsonl >trueups.jsonl 2>/dev/null
	)
	if cmp -s settlements.jsonl file/settlements.jsonl &&
	    cmp -s trueups.jsonl file/trueups.jsonl; then
		echo "compared       the same settlements and true-ups as the day run from files (file/settlements.jsonl, file/trueups.jsonl), byte for byte: $(cat settlements.jsonl trueups.jsonl | wc -l) lines"
	else
		echo "compared       NOT the settlements of the day run from files: diff settlements.jsonl file/settlements.jsonl; diff trueups.jsonl file/trueups.jsonl" >&2
		exit 1
	fi
}
