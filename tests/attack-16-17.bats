#!/usr/bin/env bats
# Attacks on the programs of issues 16 and 17 (denki-halt, grid-watch,
# dispute, kpi, battery, bid's memory, strategies and forecasts): bad
# input, hostile input and faults.  Each gets a clear message naming
# where, a documented non-zero exit, and loses no data accepted (the
# ledger byte-identical after a refused run).
# Community (make_community): alice and bob in zone hill, carol and dave
# in zone town; slots in 2098, so that a halt made now is in the future.

load test_helper

S0=2098-01-01T09:30:00+00:00
S1=2098-01-01T10:00:00+00:00
S2=2098-01-01T10:30:00+00:00
S3=2098-01-01T11:00:00+00:00

zoned() {
	make_community alice bob carol dave
	for p in alice:hill bob:hill carol:town dave:town; do
		denki-registry -c coop.yaml update "${p%%:*}" -z "${p#*:}" >/dev/null
	done
}

# contracted SLOT: alice sells 1000 Wh to bob (hill), carol 500 to dave
# (town); cleared and contracted in the ledger
contracted() {
	{
		order alice sell 1000 100000 "$1"
		order bob buy 1000 200000 "$1"
		order carol sell 500 150000 "$1"
		order dave buy 500 160000 "$1"
	} >"o-$1.jsonl"
	denki-clear -c coop.yaml "o-$1.jsonl" >"c-$1.jsonl"
	denki-contract-sign -c coop.yaml "c-$1.jsonl" >"k-$1.jsonl"
}

@test "attack: a contract cancelled by a halt is not counted by ledger-verify as a contract: its verdict counts it apart" {
	zoned
	contracted "$S1"
	run -0 denki-ledger-verify -j -p operator.pub ledger.jsonl
	assert_equal "$(jq -c '[.contracts,.contract_wh,.cancelled]' <<<"$output")" "[2,1500,null]"
	denki-halt -c coop.yaml -z hill --from "$S1" --until "$S3" -m "feeder fault" 2>/dev/null >/dev/null
	run -0 denki-ledger-verify -j -p operator.pub ledger.jsonl
	assert_equal "$(jq -c '[.contracts,.contract_wh,.cancelled,.cancelled_wh]' <<<"$output")" "[1,500,1,1000]"
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --partial " 1 contracts (500 Wh), "
	assert_output --partial "; 1 contract (1000 Wh) cancelled by a halt, not counted above"
}

# forged RECORD...: records appended to the ledger with a checkpoint,
# the ledger linked and signed again, as the operator holding its key
# could (resign.bash)
forged() {
	local from r
	from=$(($(wc -l <ledger.jsonl) + 1))
	for r in "$@"; do
		printf '{"prev":"%064d","rec":%s,"seq":0,"type":"entry","v":2}\n' 0 \
		    "$(jq -cS . <<<"$r")"
	done >>ledger.jsonl
	grep '"type":"checkpoint"' ledger.jsonl | tail -n 1 >>ledger.jsonl
	resign ledger.jsonl "$from" >ledger.new && mv ledger.new ledger.jsonl
}

@test "attack: a dispute decision against bob signed by carol, a member colluding with the operator, does not lower bob's credit score" {
	load resign
	make_community
	run -0 denki-kpi -c coop.yaml --credit -j -m bob
	assert_equal "$(jq -c '[.disputes,.disputes_lost]' <<<"$output")" "[200,0]"
	n=$(wc -l <ledger.jsonl)
	forged "$(printf '{"type":"dispute_resolution","v":1,"dispute":3,"decision":"upheld","loser":"bob","transfers":[],"comment":"x","by":"carol"}' | sign_with carol.key)"
	cp ledger.jsonl kept.jsonl
	run -65 --separate-stderr denki-kpi -c coop.yaml --credit -j -m bob
	assert_equal "$stderr" "denki-kpi: ledger.jsonl:$((n + 1)): entry $n: dispute_resolution: by: carol is not an active reviewer: only a reviewer resolves a dispute"
	assert_output ""
	cmp kept.jsonl ledger.jsonl
}

# tel TIME ZONE FREQUENCY_MHZ VOLTAGE_MV: a telemetry reading
tel() {
	printf '{"time":"%s","zone":"%s","frequency_mhz":%s,"voltage_mv":%s}\n' "$@"
}

@test "attack: a telemetry line dated years ahead (a hostile or broken gateway) does not blind grid-watch to the zone's true readings after it" {
	need_faketime
	zoned
	contracted "$S1"
	{
		tel 2098-01-01T10:00:00Z hill 50000 230000
		tel 2099-06-01T00:00:00Z hill 50001 230000
		tel 2098-01-01T10:01:00Z hill 49000 230000
	} >tel.jsonl
	run -65 --separate-stderr at '2098-01-01 10:20:00' denki-grid-watch -c coop.yaml tel.jsonl
	assert_equal "${stderr_lines[0]}" "denki-grid-watch: tel.jsonl:2: skipped: time: 44545200 s after this machine's clock: a reading from the future (at most one slot ahead)"
	# the true reading after it, out of band, halts hill
	assert_equal "$(jq -r 'select(.type=="halt") | "\(.zones[0]) \(.telemetry.source) \(.reason)"' <<<"$output")" \
	    "hill tel.jsonl:3 grid-watch: frequency 49000 mHz outside 49800-50200"
	run -0 at '2098-01-01 10:21:00' denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "bad input: grid-watch: garbage, wrong types, absurd numbers and a line cut in the middle are each named and skipped (65); a good line still decides" {
	need_faketime
	zoned
	contracted "$S1"
	{
		tel 2098-01-01T10:00:00Z hill 50000 230000
		echo 'not json'
		tel 2098-01-01T10:00:10Z hill '"50000"' 230000
		tel 2098-01-01T10:00:20Z hill 1e308 230000
		tel 2098-01-01T10:00:30Z hill 9223372036854775807 230000
		tel 2098-01-01T10:00:40Z hill -1 230000
		tel 2098-01-01T10:00:50Z mars 50000 230000
		tel 2098-01-01T10:00:55Z hill 50000 230000 | head -c 40
		echo
		tel 2098-01-01T10:01:00Z town 50000 999999999
	} >tel.jsonl
	cp ledger.jsonl kept.jsonl
	run -65 --separate-stderr at '2098-01-01 10:20:00' denki-grid-watch -c coop.yaml tel.jsonl
	assert_equal "${#stderr_lines[@]}" 8
	assert_equal "${stderr_lines[0]}" "denki-grid-watch: tel.jsonl:2: skipped: malformed JSON at column 3: '[' or '{' expected near 'not'"
	assert_equal "${stderr_lines[1]}" 'denki-grid-watch: tel.jsonl:3: skipped: frequency_mhz: must be an integer, got "50000"'
	assert_equal "${stderr_lines[2]}" "denki-grid-watch: tel.jsonl:4: skipped: frequency_mhz: must be an integer, got a number with a fraction or exponent"
	assert_equal "${stderr_lines[3]}" "denki-grid-watch: tel.jsonl:5: skipped: frequency_mhz: integer beyond +-(2^53-1)"
	assert_equal "${stderr_lines[4]}" "denki-grid-watch: tel.jsonl:6: skipped: frequency_mhz: must be from 0 to 1000000, got -1"
	assert_equal "${stderr_lines[5]}" "denki-grid-watch: tel.jsonl:7: skipped: zone: mars: no participant or link has this zone"
	assert_equal "${stderr_lines[6]%%JSON*}" "denki-grid-watch: tel.jsonl:8: skipped: malformed "
	# what it appended: the town halt only, after the ledger as it was
	assert_equal "$(jq -r 'select(.type=="halt") | "\(.zones[0]) \(.telemetry.source)"' <<<"$output")" "town tel.jsonl:9"
	cmp -n "$(stat -c %s kept.jsonl)" kept.jsonl ledger.jsonl
}

@test "bad input: grid-watch polling a URL on a closed port: each failed poll is said, the watch goes on, the run exits 69; the ledger byte-identical" {
	zoned
	contracted "$S1"
	cp ledger.jsonl kept.jsonl
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	run -69 --separate-stderr denki-grid-watch -c coop.yaml -i 1 -N 2 "http://127.0.0.1:$port/grid.jsonl"
	assert_output ""
	assert_equal "${#stderr_lines[@]}" 2
	assert_equal "${stderr_lines[0]%%: Failed*}" "denki-grid-watch: http://127.0.0.1:$port/grid.jsonl"
	assert_equal "${stderr_lines[1]%%: Failed*}" "denki-grid-watch: http://127.0.0.1:$port/grid.jsonl"
	cmp kept.jsonl ledger.jsonl
}

@test "bad input: grid-watch -N or -i beyond any count (overflowing a long), negative or twice wrong: a usage error (64), nothing polled" {
	zoned
	contracted "$S1"
	cp ledger.jsonl kept.jsonl
	run -64 timeout 10 denki-grid-watch -c coop.yaml -N 99999999999999999999 http://127.0.0.1:9/x
	run -64 timeout 10 denki-grid-watch -c coop.yaml -i 9999999999 http://127.0.0.1:9/x
	run -64 denki-grid-watch -c coop.yaml -i -5 http://127.0.0.1:9/x
	run -64 denki-grid-watch -c coop.yaml -N 1x http://127.0.0.1:9/x
	cmp kept.jsonl ledger.jsonl
}

@test "bad input: kpi --credit -e beyond any entry number (overflowing) is a usage error (64), not the whole ledger" {
	make_community
	run -64 --separate-stderr denki-kpi -c coop.yaml --credit -e 99999999999999999999
	assert_output ""
	run -64 denki-kpi -c coop.yaml --credit -e -1
	run -0 denki-kpi -c coop.yaml --credit -e 3
}

@test "bad input: a halt into a full disk (ulimit -f, the signal ignored: writes fail with EFBIG): 74, nothing appended, the ledger byte-identical" {
	zoned
	contracted "$S1"
	cp ledger.jsonl kept.jsonl
	# a reason of 2000 bytes takes the halt past the limit
	r=$(printf 'r%.0s' $(seq 2000))
	lim=$(( $(stat -c %s ledger.jsonl) / 1024 + 1 ))
	run -74 --separate-stderr bash -c "trap '' XFSZ; ulimit -f $lim; exec denki-halt -c coop.yaml -z hill --from '$S1' --until '$S3' -m '$r'"
	assert_equal "$stderr" "denki-halt: ledger.jsonl: write: File too large; nothing of this run was appended"
	assert_output ""
	cmp kept.jsonl ledger.jsonl
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "bad input: denki-battery with no device answering: each attempt said, 69, the setting unknown" {
	make_community alice
	port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	printf 'battery:\n  host: 127.0.0.1\n' >>alice.yaml
	run -69 --separate-stderr denki-battery -c alice.yaml -D meter.echonet.port="$port" -D meter.echonet.timeout=200 -D meter.echonet.retries=1 charge -w 100
	assert_output ""
	assert_equal "${stderr_lines[-1]}" "denki-battery: 127.0.0.1:$port: 027D01: no answer to the SetC after 2 attempts of 200 ms: the battery's setting is unknown"
}

@test "bad input: bid with a state database that is no database (garbage) or cut short: the file named, 73, the file left as it was" {
	make_community alice
	sed -i 's/^state: .*/state: s.db/' alice.yaml
	head -c 5000 /dev/urandom >s.db
	cp s.db kept.db
	run -73 --separate-stderr denki-bid -c alice.yaml -s 2098-01-05T10:00:00+00:00 </dev/null
	assert_equal "$stderr" "denki-bid: state database: s.db: journal_mode=WAL: file is not a database"
	assert_output ""
	cmp kept.db s.db
	# a real one cut in the middle of its pages
	rm s.db
	printf '{"type":"reading","v":1,"meter":"alice-m","slot":"2098-01-04T10:00:00+00:00","import_wh":10,"export_wh":500}\n' >r.jsonl
	denki-bid -c alice.yaml -s 2098-01-05T10:00:00+00:00 r.jsonl >/dev/null
	head -c 8192 s.db >cut.db
	mv cut.db s.db
	rm -f s.db-wal s.db-shm
	cp s.db kept.db
	run -73 --separate-stderr denki-bid -c alice.yaml -s 2098-01-05T10:00:00+00:00 </dev/null
	assert_equal "$stderr" "denki-bid: state database: s.db: journal_mode=WAL: database disk image is malformed"
	cmp kept.db s.db
}

@test "bad input: bid with a state database of an older version (readings and sent only): migrated, its readings kept and used" {
	make_community alice
	sed -i 's/^state: .*/state: s.db/' alice.yaml
	sqlite3 s.db "CREATE TABLE reading(meter TEXT NOT NULL, slot INTEGER NOT NULL, import_wh INTEGER NOT NULL, export_wh INTEGER NOT NULL, PRIMARY KEY(meter, slot)); CREATE TABLE sent(slot INTEGER PRIMARY KEY, order_id TEXT NOT NULL); INSERT INTO reading VALUES('alice-m', $(date -d 2098-01-04T10:00:00Z +%s), 10, 500);"
	run -0 --separate-stderr denki-bid -c alice.yaml -s 2098-01-05T10:00:00+00:00 </dev/null
	assert_equal "$(jq -c '[.side,.wh]' <<<"$output")" '["sell",490]'
	assert_equal "$(sqlite3 s.db 'SELECT meter, import_wh, export_wh FROM reading')" "alice-m|10|500"
}

@test "bad input: halt with an option given twice (--from, --until, -m, -k, --lift) or --lift beyond any entry: a usage error (64) naming it, nothing appended" {
	zoned
	contracted "$S1"
	cp ledger.jsonl kept.jsonl
	run -64 --separate-stderr denki-halt -c coop.yaml -z hill --from "$S1" --from "$S0" --until "$S3" -m x
	assert_equal "$stderr" "denki-halt: --from: given twice (\"$S1\" and \"$S0\")"
	run -64 --separate-stderr denki-halt -c coop.yaml -z hill --from "$S1" --until "$S3" --until "$S2" -m x
	assert_equal "$stderr" "denki-halt: --until: given twice (\"$S3\" and \"$S2\")"
	run -64 --separate-stderr denki-halt -c coop.yaml -z hill --from "$S1" --until "$S3" -m x -m y
	assert_equal "$stderr" 'denki-halt: -m: given twice ("x" and "y")'
	run -64 --separate-stderr denki-halt -c coop.yaml -z hill --from "$S1" --until "$S3" -m x -k alice.key -k operator.key
	assert_equal "$stderr" 'denki-halt: -k: given twice ("alice.key" and "operator.key")'
	run -64 --separate-stderr denki-halt -c coop.yaml --lift 27 --lift 28 -m x
	run -64 --separate-stderr denki-halt -c coop.yaml --lift 99999999999999999999 -m x
	assert_equal "$stderr" "denki-halt: --lift 99999999999999999999: must be the entry number of a halt"
	run -64 denki-halt -c coop.yaml -z hill --from "$S1" --until "$S3"
	cmp kept.jsonl ledger.jsonl
}
