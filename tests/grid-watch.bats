#!/usr/bin/env bats
# denki-grid-watch: grid telemetry (JSON lines from files, a pipe or an
# HTTP URL) judged against coop.yaml's grid.* bands; a zone out of them is
# halted, one back in them for grid.stable_seconds lifted, each decision a
# signed ledger entry carrying the reading that caused it.  alice and bob
# in zone hill, carol in town, joined by link t1 (5000 Wh a slot: 10 kW).
# The clock is 2098-01-01 10:20 UTC (faketime), the readings around it.

load test_helper

S0=2098-01-01T09:30:00+00:00
S1=2098-01-01T10:30:00+00:00

setup() {
	common_setup
	need_faketime
	make_community_once alice bob carol
	printf 'links:\n  t1:\n    zones: [hill, town]\n    capacity_wh: 5000\n' >>coop.yaml
	denki-registry -c coop.yaml update alice -z hill >/dev/null
	denki-registry -c coop.yaml update bob -z hill >/dev/null
	denki-registry -c coop.yaml update carol -z town >/dev/null
	# the rules in the ledger, and a contract of hill's in 10:30
	{
		order alice sell 1000 100000 "$S1"
		order bob buy 1000 200000 "$S1"
	} >o.jsonl
	at '2098-01-01 09:00:00' denki-clear -c coop.yaml o.jsonl >c.jsonl
	at '2098-01-01 09:00:00' denki-contract-sign -c coop.yaml c.jsonl >/dev/null
}

teardown() {
	if [ -n "${HTTPD_PID:-}" ]; then
		kill "$HTTPD_PID" 2>/dev/null || true
		wait "$HTTPD_PID" 2>/dev/null || true
	fi
}

# tel MM:SS ZONE FREQUENCY_MHZ VOLTAGE_MV [FLOWS]: a reading at 10:MM:SS
tel() {
	printf '{"time":"2098-01-01T10:%sZ","zone":"%s","frequency_mhz":%s,"voltage_mv":%s%s}\n' \
	    "$1" "$2" "$3" "$4" "${5:+,\"flows\":$5}"
}

# steady FROM TO STEP ZONE: readings of ZONE every STEP minutes in band,
# each a little different (not stuck)
steady() {
	local m
	for ((m = $1; m <= $2; m += $3)); do
		tel "$(printf %02d $m):00" "$4" $((50000 + m % 5)) 230000
	done
}

watch() {
	at '2098-01-01 10:20:00' denki-grid-watch -c coop.yaml "$@"
}

@test "grid-watch: a frequency excursion halts the zone (its contract in the window cancelled); 900 s in band lifts it; both carry their readings; ledger-verify passes" {
	{
		tel 00:00 hill 50000 230000
		tel 00:30 town 50010 230000
		tel 01:00 hill 49650 230000
		steady 2 17 1 hill
	} >tel.jsonl
	run -0 --separate-stderr watch tel.jsonl
	local halt=$(( $(wc -l <c.jsonl) ))
	assert_equal "${#lines[@]}" 3
	assert_equal "$(jq -c '[.type,.kind,.zones,.from,.until,.reason,.by,.time,.telemetry.source,.telemetry.reading.frequency_mhz]' <<<"${lines[0]}")" \
	    '["halt","halt",["hill"],"2098-01-01T10:00:00+00:00","2098-01-01T12:00:00+00:00","grid-watch: frequency 49650 mHz outside 49800-50200","operator","2098-01-01T10:20:00Z","tel.jsonl:3",49650]'
	assert_equal "$(jq -c '[.type,.slot,.seller,.buyer,.wh]' <<<"${lines[1]}")" "[\"cancel\",\"$S1\",\"alice\",\"bob\",1000]"
	assert_equal "$(jq -c '[.type,.reason,.telemetry.source,.telemetry.reading.time]' <<<"${lines[2]}")" \
	    '["halt_lift","grid-watch: in every band for 900 s","tel.jsonl:19","2098-01-01T10:17:00Z"]'
	local seq
	seq=$(( $(grep -n '"type":"halt"' ledger.jsonl | cut -d: -f1) - 1 ))
	assert_equal "$(jq .halt <<<"${lines[2]}")" "$seq"
	assert_equal "$stderr" "denki-grid-watch: zone hill halted at entry $seq: frequency 49650 mHz outside 49800-50200
denki-grid-watch: zone hill lifted at entry $((seq + 3)): in every band for 900 s"
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "grid-watch: voltage out of band, and a link's flow over its capacity, each halt their zone" {
	{
		tel 00:00 hill 50000 230000
		tel 00:10 town 50000 230000 '{"t1":-10001}'
		tel 00:20 hill 50001 253001
	} >tel.jsonl
	cp ledger.jsonl fresh.jsonl
	run -0 --separate-stderr watch tel.jsonl
	assert_equal "$(jq -r 'select(.type=="halt") | "\(.zones[0]) \(.reason)"' <<<"$output")" \
	    "town grid-watch: link t1: flow -10001 W over its capacity of 10000 W
hill grid-watch: voltage 253001 mV outside 207000-253000"
	# exactly the capacity, the band's ends: in; from a pipe
	{
		tel 00:00 hill 49800 207000
		tel 00:10 town 50200 253000 '{"t1":10000}'
	} >ok.jsonl
	run -0 --separate-stderr watch -D ledger=fresh.jsonl <ok.jsonl
	assert_output ""
	tel 00:20 town 50200 253001 | watch -D ledger=fresh.jsonl >piped.jsonl 2>/dev/null
	assert_equal "$(jq -r 'select(.type=="halt") | "\(.zones[0]) \(.telemetry.source)"' piped.jsonl)" "town stdin:1"
}

@test "grid-watch: garbage lines are named by line number and skipped; the decisions stand; exit 65" {
	{
		tel 00:00 hill 50000 230000
		echo 'not json'
		tel 00:30 hill 50000 230000 | sed 's/"voltage_mv":230000/"voltage_mv":"230 V"/'
		tel 00:40 farm 50000 230000
		tel 01:00 hill 49000 230000
		tel 00:50 hill 50000 230000
	} >tel.jsonl
	run -65 --separate-stderr watch tel.jsonl
	assert_equal "$(jq -r .type <<<"$output" | tr '\n' ' ')" "halt cancel "
	assert_equal "${stderr_lines[0]}" "denki-grid-watch: tel.jsonl:2: skipped: malformed JSON at column 3: '[' or '{' expected near 'not'"
	assert_regex "${stderr_lines[1]}" '^denki-grid-watch: tel.jsonl:3: skipped: voltage_mv: '
	assert_equal "${stderr_lines[2]}" "denki-grid-watch: tel.jsonl:4: skipped: zone: farm: no participant or link has this zone"
	assert_regex "${stderr_lines[3]}" '^denki-grid-watch: zone hill halted at entry [0-9]+: frequency 49000 mHz'
	assert_equal "${stderr_lines[4]}" "denki-grid-watch: tel.jsonl:6: skipped: time: before the zone's reading before it (10 s earlier)"
	grep -q '"type":"halt"' ledger.jsonl
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "grid-watch: a stuck reading (the same for grid.stuck_seconds) halts; a gap restarts the stable period before a lift" {
	{
		tel 00:00 hill 50000 230000
		tel 02:00 hill 50000 230000
		tel 04:00 hill 50000 230000
		tel 06:00 hill 50000 230000
		tel 08:00 hill 50000 230000
		tel 10:00 hill 50000 230000
	} >tel.jsonl
	run -0 --separate-stderr watch -D grid.stuck_seconds=600 tel.jsonl
	assert_equal "$(jq -r 'select(.type=="halt") | .reason' <<<"$output")" \
	    "grid-watch: stuck: frequency 50000 mHz and voltage 230000 mV unchanged for 600 s"
	# moving from 11:00; a gap of 5 minutes at 14:00-19:00 means no lift
	# 900 s after 11:00, only 900 s after 19:00
	{
		steady 11 14 1 hill
		steady 19 33 1 hill
	} >more.jsonl
	run -0 --separate-stderr watch -D grid.stable_seconds=900 more.jsonl
	assert_equal "$output" ""
	assert_equal "${stderr_lines[0]}" "denki-grid-watch: more.jsonl:5: zone hill: no reading for 300 s: the stable period starts again"
	tel 34:00 hill 50001 230000 >last.jsonl
	run -0 --separate-stderr watch -D grid.stable_seconds=900 more.jsonl last.jsonl
	assert_equal "$(jq -r '"\(.type) \(.telemetry.source)"' <<<"$output")" "halt_lift last.jsonl:1"
}

@test "grid-watch: telemetry polled over HTTP (lighttpd on 127.0.0.1): a poll that shows the same readings again decides nothing more" {
	mkdir www
	{
		tel 00:00 hill 50000 230000
		tel 01:00 hill 50900 230000
	} >www/grid.jsonl
	conf() {
		printf 'server.port = %s\nserver.bind = "127.0.0.1"\nserver.document-root = "%s"\nmimetype.assign = (".jsonl" => "application/jsonl")\n' \
		    "$1" "$PWD/www"
	}
	httpd_start conf grid.jsonl
	run -0 --separate-stderr watch -i 1 -N 2 "$URL"
	assert_equal "$(jq -r .type <<<"$output" | tr '\n' ' ')" "halt cancel "
	assert_equal "$(jq -r 'select(.type=="halt") | .telemetry.source' <<<"$output")" "$URL:2"
}

@test "grid-watch: a dso's key signs its decisions; a member's key is refused (77) and nothing is appended" {
	denki-keygen gina >/dev/null
	denki-registry request gina -s gina.key -r dso -z hill >gina.json
	at '2098-01-01 09:10:00' denki-registry -c coop.yaml add gina.json >/dev/null
	tel 00:00 hill 49000 230000 >tel.jsonl
	cp ledger.jsonl before.jsonl
	run -77 --separate-stderr watch -k alice.key tel.jsonl
	assert_equal "$stderr" "denki-grid-watch: the key: by: alice is a prosumer, not an active grid operator (role dso): only the operator or a dso may halt trading"
	cmp ledger.jsonl before.jsonl
	run -0 --separate-stderr watch -k gina.key tel.jsonl
	assert_equal "$(jq -r 'select(.type=="halt") | .by' <<<"$output")" gina
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "grid-watch: -i, -N or -k given twice: 64 naming the option and both values; nothing decided, the ledger byte-identical" {
	tel 00:00 hill 49000 230000 >tel.jsonl
	cp ledger.jsonl before.jsonl
	run -64 --separate-stderr watch -i 1 -i 5 tel.jsonl
	assert_output ""
	assert_equal "$stderr" 'denki-grid-watch: -i: given twice ("1" and "5")'
	run -64 --separate-stderr watch -N 2 -i 1 -N 3 tel.jsonl
	assert_equal "$stderr" 'denki-grid-watch: -N: given twice ("2" and "3")'
	run -64 --separate-stderr watch -k operator.key -k alice.key tel.jsonl
	assert_equal "$stderr" 'denki-grid-watch: -k: given twice ("operator.key" and "alice.key")'
	cmp ledger.jsonl before.jsonl
	# each once: the excursion halts hill
	run -0 --separate-stderr watch -i 1 -N 1 -k operator.key tel.jsonl
	assert_equal "$(jq -r 'select(.type=="halt") | .zones[]' <<<"$output")" hill
}
