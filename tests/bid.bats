#!/usr/bin/env bats
# denki-bid: a household's readings become signed orders for the next slot.

load test_helper

# make_community's prices: retail 300000, buyback 100000, fee 10000 (micro-EUR
# per kWh); bid's defaults: sell_markup 20, buy_markdown 20.
#   sell: buyback + 20% of (retail - buyback)  = 100000 + 40000 = 140000
#   buy:  (retail - fee) - 20% of (retail - fee - buyback)
#                                            = 290000 - 38000 = 252000
SELL=140000
BUY=252000

setup() {
	common_setup
	make_community alice bob
}

# reading METER SLOT IMPORT EXPORT: one reading line
reading() {
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s}\n' "$@"
}

# Two days of alice-m, 2026-01-01 and 2026-01-02, slot i = 0..95:
# import 100 + i; export 1000 + i in the slots 10:00-14:30 of each day.
two_days() {
	local i d h m
	for i in $(seq 0 95); do
		d=$((1 + i / 48))
		h=$((i % 48 / 2))
		m=$((i % 2 * 30))
		reading alice-m "$(printf '2026-01-%02dT%02d:%02d:00+00:00' $d $h $m)" \
		    $((100 + i)) $(( i % 48 >= 20 && i % 48 < 30 ? 1000 + i : 0 ))
	done
}

# the order expected, without its signature
unsigned() {	# SLOT SIDE WH PRICE [PARTICIPANT]
	printf '{"participant":"%s","price":%s,"side":"%s","slot":"%s","type":"order","v":1,"wh":%s}\n' \
	    "${5:-alice}" "$4" "$2" "$1" "$3"
}

# stdout's orders without "sig"
unsig() {
	echo "$output" | jq -c 'del(.sig)'
}

# assert_stderr_line ARGS: assert_line on stderr
assert_stderr_line() {
	local output="$stderr"
	local -a lines=("${stderr_lines[@]}")
	assert_line "$@"
}

@test "bid: two days of readings make one order, for the slot after the last reading" {
	two_days >r.jsonl
	run -0 --separate-stderr denki-bid -c alice.yaml r.jsonl
	# the last reading is 2026-01-02T23:30; the same slot yesterday of
	# 2026-01-03T00:00 is 2026-01-02T00:00 (i = 48): import 148, export 0
	assert_equal "$(unsig)" "$(unsigned 2026-01-03T00:00:00+00:00 buy 148 $BUY)"
	assert_equal "$stderr" ""
}

@test "bid: a sell of yesterday's surplus at buyback + sell_markup% of the spread" {
	two_days >r.jsonl
	# 2026-01-03T12:00 yesterday (i = 72): import 172, export 1072: +900
	run -0 --separate-stderr denki-bid -c alice.yaml -s 2026-01-03T12:00:00+00:00 r.jsonl
	assert_equal "$(unsig)" "$(unsigned 2026-01-03T12:00:00+00:00 sell 900 $SELL)"
}

@test "bid: the markups come from the configuration; prices rounded half away from zero" {
	two_days >r.jsonl
	# sell: 100000 + 25% of 200000 = 150000
	# buy: 290000 - 15% of 190000 = 290000 - 28500 = 261500
	run -0 --separate-stderr denki-bid -n -c alice.yaml -D bid.sell_markup=25 -D bid.buy_markdown=15 \
	    -s 2026-01-03T11:30:00+00:00 -N 2 r.jsonl
	assert_equal "$(unsig)" "$(unsigned 2026-01-03T11:30:00+00:00 sell 900 150000
	    unsigned 2026-01-03T12:00:00+00:00 sell 900 150000)"
	run -0 --separate-stderr denki-bid -n -c alice.yaml -D bid.buy_markdown=15 \
	    -s 2026-01-03T09:30:00+00:00 r.jsonl
	assert_equal "$(unsig)" "$(unsigned 2026-01-03T09:30:00+00:00 buy 167 261500)"
	# retail 300005: sell = 100000 + 10% of 200005 = 100000 + 20000.5 -> 120001
	#                buy = 290005 - 10% of 190005 = 290005 - 19000.5 -> 271004
	run -0 --separate-stderr denki-bid -n -c alice.yaml -D prices.retail=300005 \
	    -D bid.sell_markup=10 -D bid.buy_markdown=10 \
	    -s 2026-01-03T09:30:00+00:00 -N 3 r.jsonl
	assert_equal "$(unsig)" "$(unsigned 2026-01-03T09:30:00+00:00 buy 167 271004
	    unsigned 2026-01-03T10:00:00+00:00 sell 900 120001
	    unsigned 2026-01-03T10:30:00+00:00 sell 900 120001)"
}

@test "bid: a fee above the spread leaves the buyer's limit at buyback" {
	two_days >r.jsonl
	run -0 --separate-stderr denki-bid -n -c alice.yaml -D prices.fee=250000 \
	    -s 2026-01-03T00:00:00+00:00 r.jsonl
	assert_equal "$(unsig)" "$(unsigned 2026-01-03T00:00:00+00:00 buy 148 100000)"
}

@test "bid: the orders are signed: denki-clear accepts them as they are" {
	two_days >r.jsonl
	run -0 --separate-stderr denki-bid -c alice.yaml -s 2026-01-03T09:30:00+00:00 -N 3 r.jsonl
	assert_equal "${#lines[@]}" 3
	echo "$output" >orders.jsonl
	run -0 --separate-stderr denki-clear -c coop.yaml orders.jsonl
	assert_equal "$stderr" ""
	# the book of each slot holds the order byte for byte
	local o
	while read -r o; do
		assert_line "$o"
	done <orders.jsonl
	assert_equal "$(echo "$output" | jq -r 'select(.type == "clearing") | .slot' | tr '\n' ' ')" \
	    "2026-01-03T09:30:00+00:00 2026-01-03T10:00:00+00:00 2026-01-03T10:30:00+00:00 "
	# and a changed order does not verify
	sed 's/"wh":900/"wh":901/' orders.jsonl >changed.jsonl
	run -65 --separate-stderr denki-clear -c coop.yaml changed.jsonl
	assert_equal "$stderr" "denki-clear: changed.jsonl:2: rejected: sig: bad signature: the record was not signed by this key, or was changed after signing"
}

@test "bid: a second run for the same slot makes no order; -f makes it again" {
	two_days >r.jsonl
	run -0 --separate-stderr denki-bid -c alice.yaml -s 2026-01-03T12:00:00+00:00 r.jsonl
	assert_equal "${#lines[@]}" 1
	local first="$output"
	run -0 --separate-stderr denki-bid -c alice.yaml -s 2026-01-03T12:00:00+00:00 </dev/null
	assert_output ""
	assert_equal "$stderr" "denki-bid: slot 2026-01-03T12:00:00+00:00: already bid for; -f bids again"
	run -0 --separate-stderr denki-bid -f -c alice.yaml -s 2026-01-03T12:00:00+00:00 </dev/null
	assert_equal "$stderr" ""
	assert_output "$first"
}

@test "bid -n: a dry run neither minds nor marks what was already bid" {
	two_days >r.jsonl
	run -0 --separate-stderr denki-bid -n -c alice.yaml -s 2026-01-03T12:00:00+00:00 r.jsonl
	assert_equal "$(unsig)" "$(unsigned 2026-01-03T12:00:00+00:00 sell 900 $SELL)"
	run -0 --separate-stderr denki-bid -c alice.yaml -s 2026-01-03T12:00:00+00:00 r.jsonl
	assert_equal "$(unsig)" "$(unsigned 2026-01-03T12:00:00+00:00 sell 900 $SELL)"
	run -0 --separate-stderr denki-bid -n -c alice.yaml -s 2026-01-03T12:00:00+00:00 </dev/null
	assert_equal "$(unsig)" "$(unsigned 2026-01-03T12:00:00+00:00 sell 900 $SELL)"
}

@test "bid -s SLOT -N 3: orders for three slots, from the history kept in the state" {
	two_days >r.jsonl
	run -0 --separate-stderr denki-bid -c alice.yaml -s 2026-01-03T00:00:00+00:00 r.jsonl
	# a later run with no readings at all forecasts from the state file
	run -0 --separate-stderr denki-bid -c alice.yaml -s 2026-01-03T14:00:00+00:00 -N 3 </dev/null
	# yesterday: i = 76 (1076 - 176 = +900), 77 (1077 - 177 = +900),
	# i = 78 (export 0, import 178)
	assert_equal "$(unsig)" "$(unsigned 2026-01-03T14:00:00+00:00 sell 900 $SELL
	    unsigned 2026-01-03T14:30:00+00:00 sell 900 $SELL
	    unsigned 2026-01-03T15:00:00+00:00 buy 178 $BUY)"
}

@test "bid: with no history for the slot, no order and a message on stderr" {
	run -0 --separate-stderr denki-bid -c alice.yaml -s 2026-01-05T10:00:00+00:00 </dev/null
	assert_output ""
	assert_equal "$stderr" "denki-bid: slot 2026-01-05T10:00:00+00:00: no reading of 2026-01-04T10:00:00+00:00 yet to forecast from; no order"
	reading alice-m 2026-01-05T09:30:00+00:00 10 0 >r.jsonl
	run -0 --separate-stderr denki-bid -c alice.yaml r.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-bid: slot 2026-01-05T10:00:00+00:00: no reading of 2026-01-04T10:00:00+00:00 yet to forecast from; no order"
}

@test "bid: nothing to trade (net 0, or below bid.min_wh) is no order" {
	{
		reading alice-m 2026-01-01T10:00:00+00:00 300 300
		reading alice-m 2026-01-01T10:30:00+00:00 0 40
		reading alice-m 2026-01-02T09:30:00+00:00 0 0
	} >r.jsonl
	run -0 --separate-stderr denki-bid -c alice.yaml -D bid.min_wh=50 -s 2026-01-02T10:00:00+00:00 -N 2 r.jsonl
	assert_output ""
	run -0 --separate-stderr denki-bid -c alice.yaml -D bid.min_wh=40 -s 2026-01-02T10:30:00+00:00 </dev/null
	assert_equal "$(unsig)" "$(unsigned 2026-01-02T10:30:00+00:00 sell 40 $SELL)"
}

@test "bid: a household of two meters trades their sum, and waits for both" {
	sed 's/meters: \[alice-m\]/meters: [alice-m, alice-pv]/' alice.yaml >two.yaml
	{
		reading alice-m 2026-01-01T12:00:00+00:00 700 0
		reading alice-pv 2026-01-01T12:00:00+00:00 0 1500
		reading alice-m 2026-01-01T12:30:00+00:00 700 0
		reading alice-m 2026-01-02T11:30:00+00:00 0 0
	} >r.jsonl
	run -0 --separate-stderr denki-bid -c two.yaml -s 2026-01-02T12:00:00+00:00 -N 2 r.jsonl
	assert_equal "$(unsig)" "$(unsigned 2026-01-02T12:00:00+00:00 sell 800 $SELL)"
	assert_equal "$stderr" "denki-bid: slot 2026-01-02T12:30:00+00:00: no reading of 2026-01-01T12:30:00+00:00 yet to forecast from; no order"
}

@test "bid in a pipeline: meter-read -d sim | bid, each order from the same slot yesterday" {
	run -0 --separate-stderr bash -c 'set -o pipefail
	    denki-meter-read -c alice.yaml -d sim -s 2026-07-01T00:00:00+00:00 -n 96 | tee r.jsonl |
	    denki-bid -c alice.yaml -s 2026-07-03T00:00:00+00:00 -N 48'
	# expected: day 2 moved to day 3, |export - import| on the side of its sign
	jq -c --argjson s $SELL --argjson b $BUY '
	    select(.slot | startswith("2026-07-02")) |
	    (.export_wh - .import_wh) as $n | select($n != 0) |
	    {participant: "alice",
	     price: (if $n > 0 then $s else $b end),
	     side: (if $n > 0 then "sell" else "buy" end),
	     slot: (.slot | sub("^2026-07-02"; "2026-07-03")),
	     type: "order", v: 1,
	     wh: (if $n > 0 then $n else -$n end)}' r.jsonl >expected.jsonl
	assert_equal "$(wc -l <expected.jsonl)" 48
	assert_equal "$(unsig)" "$(cat expected.jsonl)"
	assert_equal "$(echo "$output" | jq -r .side | sort | uniq -c | awk '{ print $1, $2 }' | paste -sd' ')" \
	    "26 buy 22 sell"
	echo "$output" >orders.jsonl
	run -0 --separate-stderr denki-clear -c coop.yaml orders.jsonl
	assert_equal "$stderr" ""
	assert_equal "$(echo "$output" | grep -c '"type":"order"')" 48
}

@test "bid: a reading of a meter not of this household is 65, file:line" {
	{
		reading alice-m 2026-01-01T10:00:00+00:00 0 500
		reading bob-m 2026-01-01T10:00:00+00:00 0 500
		reading alice-m 2026-01-02T09:30:00+00:00 0 0
	} >r.jsonl
	run -65 --separate-stderr denki-bid -c alice.yaml r.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-bid: r.jsonl:2: meter: bob-m is not one of this household's meters (alice-m)"
	run -65 --separate-stderr bash -c 'denki-bid -c alice.yaml <r.jsonl'
	assert_equal "$stderr" "denki-bid: stdin:2: meter: bob-m is not one of this household's meters (alice-m)"
}

@test "bid: a malformed line is 65, file:line" {
	{
		reading alice-m 2026-01-01T10:00:00+00:00 0 500
		echo '{"type":"reading","v":1,'
	} >r.jsonl
	run -65 --separate-stderr denki-bid -c alice.yaml r.jsonl
	assert_output ""
	assert_regex "$stderr" '^denki-bid: r\.jsonl:2: malformed JSON at column [0-9]+: .+$'
	assert_equal "${#stderr_lines[@]}" 1
}

@test "bid: a reading that is not one is 65, file:line: field" {
	reading alice-m 2026-01-01T10:10:00+00:00 0 500 >a.jsonl
	run -65 --separate-stderr denki-bid -c alice.yaml a.jsonl
	assert_equal "$stderr" 'denki-bid: a.jsonl:1: slot: must start a 30-minute slot, got "2026-01-01T10:10:00+00:00"'
	reading alice-m 2026-01-01T10:00:00+00:00 -5 500 >b.jsonl
	run -65 --separate-stderr denki-bid -c alice.yaml b.jsonl
	assert_equal "$stderr" 'denki-bid: b.jsonl:1: import_wh: must be from 0 to 100000000, got -5'
	order alice sell 1 1 >c.jsonl
	run -65 --separate-stderr denki-bid -c alice.yaml c.jsonl
	assert_equal "$stderr" 'denki-bid: c.jsonl:1: type: must be "reading", got "order"'
}

@test "bid -k: reports each bad line, bids from the good ones, still exits 65" {
	{
		reading alice-m 2026-01-01T11:00:00+00:00 100 700
		echo '{"type":"reading","v":1,'
		reading bob-m 2026-01-02T10:30:00+00:00 1 1
		reading alice-m 2026-01-02T10:30:00+00:00 1 1
	} >r.jsonl
	run -65 --separate-stderr denki-bid -k -c alice.yaml -s 2026-01-02T11:00:00+00:00 r.jsonl
	assert_equal "$(unsig)" "$(unsigned 2026-01-02T11:00:00+00:00 sell 600 $SELL)"
	assert_equal "${#stderr_lines[@]}" 2
	assert_stderr_line --index 0 --regexp '^denki-bid: r\.jsonl:2: malformed JSON at column [0-9]+: '
	assert_stderr_line --index 1 "denki-bid: r.jsonl:3: meter: bob-m is not one of this household's meters (alice-m)"
	# the order was made and is remembered
	run -0 --separate-stderr denki-bid -c alice.yaml -s 2026-01-02T11:00:00+00:00 </dev/null
	assert_output ""
}

@test "bid: the SQLite state file is made where state: says, beside the configuration" {
	mkdir -p home/var
	mv alice.key home/
	sed 's|^state: alice.db|state: var/history.db|' alice.yaml >home/alice.yaml
	reading alice-m 2026-01-01T10:00:00+00:00 0 500 >r.jsonl
	run -0 --separate-stderr denki-bid -c home/alice.yaml r.jsonl
	[ -f home/var/history.db ]
	[ ! -e alice.db ]
	[ ! -e var ]
	assert_equal "$(head -c 15 home/var/history.db)" "SQLite format 3"
	if command -v sqlite3 >/dev/null; then
		assert_equal "$(sqlite3 home/var/history.db 'SELECT meter, slot, import_wh, export_wh FROM reading')" \
		    "alice-m|1767261600|0|500"
	fi
	# a path given with -D is relative to the current folder
	run -0 --separate-stderr denki-bid -c home/alice.yaml -D state=other.db -s 2026-01-02T10:00:00+00:00 </dev/null
	[ -f other.db ]
	[ ! -e home/other.db ]
	assert_output ""
}

@test "bid: state_sync full (the default) syncs each commit; off syncs nothing, makes the same orders and the same state" {
	command -v strace >/dev/null || skip "strace is missing (tools/deps.sh installs it)"
	command -v sqlite3 >/dev/null || skip "sqlite3 is missing (tools/deps.sh installs it)"
	two_days >r.jsonl
	# LeakSanitizer cannot run under ptrace (strace): off for these two
	local asan="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	run -0 env ASAN_OPTIONS="$asan" \
	    strace -f -qq -o full.trace -e trace=fsync,fdatasync \
	    denki-bid -c alice.yaml -s 2026-01-03T00:00:00+00:00 -N 48 r.jsonl
	local full="$output"
	[ "$(grep -c 'fdatasync\|fsync' full.trace)" -gt 0 ]
	assert_equal "$(sqlite3 alice.db 'PRAGMA journal_mode')" wal
	mv alice.db full.db
	run -0 env ASAN_OPTIONS="$asan" \
	    strace -f -qq -o off.trace -e trace=fsync,fdatasync \
	    denki-bid -c alice.yaml -D state_sync=off -s 2026-01-03T00:00:00+00:00 -N 48 r.jsonl
	assert_equal "$(wc -l <off.trace)" 0
	[ "${#lines[@]}" -gt 40 ]
	assert_equal "$output" "$full"
	[ ! -e alice.db-wal ] && [ ! -e alice.db-journal ]
	assert_equal "$(sqlite3 alice.db .dump)" "$(sqlite3 full.db .dump)"
	# either way round later: the marks and the history kept
	run -0 --separate-stderr denki-bid -c alice.yaml -s 2026-01-03T12:00:00+00:00 </dev/null
	assert_equal "$stderr" "denki-bid: slot 2026-01-03T12:00:00+00:00: already bid for; -f bids again"
	assert_equal "$(sqlite3 alice.db 'PRAGMA journal_mode')" wal
	run -0 --separate-stderr denki-bid -f -c alice.yaml -D state_sync=off -s 2026-01-03T12:00:00+00:00 </dev/null
	assert_equal "$(unsig)" "$(unsigned 2026-01-03T12:00:00+00:00 sell 900 $SELL)"
	assert_equal "$stderr" ""
}

@test "bid: a state_sync other than full or off is 78 naming it; no state database" {
	two_days >r.jsonl
	printf 'state_sync: "no"\n' >>alice.yaml
	run -78 --separate-stderr denki-bid -c alice.yaml r.jsonl
	assert_output ""
	assert_equal "$stderr" 'denki-bid: alice.yaml: state_sync: must be full or off, got "no"'
	[ ! -e alice.db ]
}

@test "bid: the completions know state_sync and its values" {
	run -0 bash -c '
		source "$1/completions/bash/denki"
		COMP_WORDS=(denki-bid -D state_s); COMP_CWORD=2; _denki
		echo "${COMPREPLY[*]}"
		COMP_WORDS=(denki-bid -D state_sync = o); COMP_CWORD=4; _denki
		echo "${COMPREPLY[*]}"' _ "$TOP"
	assert_line --index 0 "state_sync="
	assert_line --index 1 "off"
	grep -q "'state_sync:full (default) or off" "$TOP/completions/zsh/_denki"
	grep -q "state_sync) _wanted modes expl 'state database syncs' compadd full off" "$TOP/completions/zsh/_denki"
}

@test "bid: a state file that cannot be made is 73 and names it" {
	sed 's|^state: alice.db|state: nodir/alice.db|' alice.yaml >bad.yaml
	run -73 --separate-stderr denki-bid -c bad.yaml -s 2026-01-02T10:00:00+00:00 </dev/null
	assert_output ""
	assert_equal "$stderr" "denki-bid: nodir/alice.db: unable to open database file"
}

@test "bid: a configuration without participant, meters or key is 78 and names the setting" {
	grep -v '^participant:' alice.yaml >a.yaml
	run -78 --separate-stderr denki-bid -c a.yaml -s 2026-01-02T10:00:00+00:00 </dev/null
	assert_equal "$stderr" "denki-bid: a.yaml: participant: must be the household's id"
	grep -v '^meters:' alice.yaml >b.yaml
	run -78 --separate-stderr denki-bid -c b.yaml -s 2026-01-02T10:00:00+00:00 </dev/null
	assert_equal "$stderr" "denki-bid: b.yaml: meters: the household's meter ids are missing"
	grep -v '^key:' alice.yaml >c.yaml
	run -78 --separate-stderr denki-bid -c c.yaml -s 2026-01-02T10:00:00+00:00 </dev/null
	assert_equal "$stderr" "denki-bid: c.yaml: key: missing (the path of a secret key file)"
	run -78 --separate-stderr denki-bid -c alice.yaml -D bid.sell_markup=120 -s 2026-01-02T10:00:00+00:00 </dev/null
	assert_equal "$stderr" "denki-bid: -D: bid.sell_markup: must be from 0 to 100, got 120"
	[ ! -e alice.db ]
}

@test "bid: a bad -s or -N is 64" {
	run -64 --separate-stderr denki-bid -c alice.yaml -s 2026-01-02T10:10:00+00:00 </dev/null
	assert_output ""
	assert_equal "$stderr" 'denki-bid: -s: must start a 30-minute slot, got "2026-01-02T10:10:00+00:00"'
	run -64 --separate-stderr denki-bid -c alice.yaml -s 2026-01-02T10:00:00+00:00 -N 0 </dev/null
	assert_equal "$stderr" "denki-bid: -N 0: must be 1 to 100000 slots"
	# refused before the readings are read: none of them kept
	two_days >r.jsonl
	run -64 --separate-stderr denki-bid -c alice.yaml -s 2026-01-03T10:10:00+00:00 r.jsonl
	assert_equal "$stderr" 'denki-bid: -s: must start a 30-minute slot, got "2026-01-03T10:10:00+00:00"'
	[ ! -e alice.db ] || [ "$(sqlite3 alice.db 'SELECT count(*) FROM reading')" -eq 0 ]
	run -0 denki-bid -c alice.yaml -s 2026-01-03T10:00:00+00:00 r.jsonl
	[ "$(sqlite3 alice.db 'SELECT count(*) FROM reading')" -gt 0 ]
}

@test "bid: -s, -N, -F, -l or -c given twice: 64 naming the option and both values; no order, no state database" {
	two_days >r.jsonl
	run -64 --separate-stderr denki-bid -c alice.yaml -s 2026-01-03T10:00:00+00:00 -s 2026-01-03T11:00:00+00:00 r.jsonl
	assert_output ""
	assert_equal "$stderr" 'denki-bid: -s: given twice ("2026-01-03T10:00:00+00:00" and "2026-01-03T11:00:00+00:00")'
	run -64 --separate-stderr denki-bid -c alice.yaml -s 2026-01-03T10:00:00+00:00 -N 2 -N 3 r.jsonl
	assert_equal "$stderr" 'denki-bid: -N: given twice ("2" and "3")'
	run -64 --separate-stderr denki-bid -c alice.yaml -F a.jsonl -F b.jsonl r.jsonl
	assert_equal "$stderr" 'denki-bid: -F: given twice ("a.jsonl" and "b.jsonl")'
	run -64 --separate-stderr denki-bid -c alice.yaml -l ledger.jsonl -l ledger.jsonl r.jsonl
	assert_equal "$stderr" 'denki-bid: -l: given twice ("ledger.jsonl" and "ledger.jsonl")'
	run -64 --separate-stderr denki-bid -c alice.yaml -c bob.yaml r.jsonl
	assert_equal "$stderr" 'denki-bid: -c: given twice ("alice.yaml" and "bob.yaml")'
	[ ! -e alice.db ] && [ ! -e bob.db ]
	# once each, and -D twice: an order
	run -0 --separate-stderr denki-bid -c alice.yaml -D bid.sell_markup=20 -D bid.buy_markdown=20 -s 2026-01-03T10:00:00+00:00 -N 1 r.jsonl
	assert_equal "$(unsig)" "$(unsigned 2026-01-03T10:00:00+00:00 sell 900 $SELL)"
}

@test "bid -h: usage on stdout, 0; a bad option: usage on stderr, 64" {
	run -0 --separate-stderr denki-bid -h
	assert_equal "$stderr" ""
	assert_output 'usage: denki-bid [-fkn] [-c config] [-D key=value] [-F feed] [-l ledger] [-s slot [-N count] [-r days]] [readings ...]'
	run -64 --separate-stderr denki-bid -x -c alice.yaml </dev/null
	assert_output ""
	assert_equal "${stderr_lines[0]}" "denki-bid: invalid option -- 'x'"
	assert_equal "${stderr_lines[1]}" 'usage: denki-bid [-fkn] [-c config] [-D key=value] [-F feed] [-l ledger] [-s slot [-N count] [-r days]] [readings ...]'
	[ ! -e alice.db ]
}
