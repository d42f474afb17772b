#!/usr/bin/env bats
# Whole pipelines, as the households and the cooperative run them:
#   denki meter-read -c home.yaml data.csv | denki bid -c home.yaml >orders.jsonl
#   denki clear -c coop.yaml orders.jsonl | denki contract-sign -c coop.yaml
#   denki settle -c coop.yaml readings.jsonl
#   denki ledger-verify -p operator.pub ledger.jsonl

load test_helper

D1=2026-03-01
D2=2026-03-02

teardown() {
	if [ -n "${DISK:-}" ] && mountpoint -q "$DISK"; then
		umount "$DISK"
	fi
}

# Intervals of 30 minutes (start,import_wh,export_wh): three slots of day
# one, then day two from 09:30.  Yesterday's net is the forecast (make_
# community's prices, bid's defaults: sells ask 140000, buys bid 252000).
write_csvs() {
	cat >alice.csv <<-EOF
	start,import_wh,export_wh
	${D1}T10:00:00Z,0,500
	${D1}T10:30:00Z,0,800
	${D1}T11:00:00Z,100,0
	${D2}T09:30:00Z,0,200
	${D2}T10:00:00Z,0,450
	${D2}T10:30:00Z,0,700
	${D2}T11:00:00Z,100,0
	EOF
	cat >bob.csv <<-EOF
	start,import_wh,export_wh
	${D1}T10:00:00Z,300,0
	${D1}T10:30:00Z,300,0
	${D1}T11:00:00Z,200,0
	${D2}T09:30:00Z,250,0
	${D2}T10:00:00Z,214,0
	${D2}T10:30:00Z,350,0
	${D2}T11:00:00Z,200,0
	EOF
	cat >carol.csv <<-EOF
	start,import_wh,export_wh
	${D1}T10:00:00Z,400,0
	${D1}T10:30:00Z,0,0
	${D1}T11:00:00Z,50,0
	${D2}T09:30:00Z,100,0
	${D2}T10:00:00Z,300,0
	${D2}T10:30:00Z,20,0
	${D2}T11:00:00Z,50,0
	EOF
}

# clear_and_sign ORDERS: the cooperative's pipe, each side bounded in time
# so that a deadlock (both waiting on the ledger's lock) fails the test
# instead of hanging it
clear_and_sign() {
	timeout 10 denki clear -c coop.yaml "$1" | timeout 10 denki contract-sign -c coop.yaml
}

# clear_then_sign ORDERS: the same through a file
clear_then_sign() {
	denki clear -c coop.yaml "$1" >cleared.jsonl
	denki contract-sign -c coop.yaml cleared.jsonl
}

# slot_sums <settle output: per slot, the sum of every party's money; the
# participants' nets, the operator's fees and the utility's side must add
# up to zero
slot_sums() {
	jq -s -r 'map(select(.type == "settlement")) | group_by(.slot)[] |
	    "\(.[0].slot) \((map(.net) | add) + (map(.fees) | add) +
	    (map(.utility_paid) | add) - (map(.utility_received) | add))"'
}

# net_mismatches <settle output: a participant whose settlement net is not
# what its transfers of the slot add up to
net_mismatches() {
	jq -s -r '(map(select(.type == "transfer")) |
	    map({k: "\(.slot) \(.to)", a: .amount}, {k: "\(.slot) \(.from)", a: (0 - .amount)}) |
	    group_by(.k) | map({key: .[0].k, value: (map(.a) | add)}) | from_entries) as $b |
	    .[] | select(.type == "settlement") |
	    select(($b["\(.slot) \(.participant)"] // 0) != .net) | "\(.slot) \(.participant)"'
}

@test "pipeline: three households over two days, by hand, from CSV to a verified ledger" {
	make_community
	write_csvs
	local p k
	# cron at each slot of day two: the data so far, read and bid on
	for k in 5 6 7; do
		for p in alice bob carol; do
			head -n "$k" $p.csv >$p-now.csv
			denki meter-read -c $p.yaml $p-now.csv | denki bid -c $p.yaml >>orders.jsonl
		done
	done
	# alice sells 500, 800 and buys 100; bob buys 300, 300, 200; carol
	# buys 400, nothing (yesterday even), 50
	assert_equal "$(jq -r '"\(.slot) \(.participant) \(.side) \(.wh) \(.price)"' orders.jsonl | sort)" \
	    "${D2}T10:00:00+00:00 alice sell 500 140000
${D2}T10:00:00+00:00 bob buy 300 252000
${D2}T10:00:00+00:00 carol buy 400 252000
${D2}T10:30:00+00:00 alice sell 800 140000
${D2}T10:30:00+00:00 bob buy 300 252000
${D2}T11:00:00+00:00 alice buy 100 252000
${D2}T11:00:00+00:00 bob buy 200 252000
${D2}T11:00:00+00:00 carol buy 50 252000"

	clear_and_sign orders.jsonl >contracts.jsonl
	# 10:00: 500 offered, 700 wanted at 252000: bob and carol share 500
	#   pro rata: 300 x 500 / 700 = 214.29 -> 214, 400 x 500 / 700 =
	#   285.71 -> 286 (the larger remainder)
	# 10:30: 800 offered, 300 wanted: the price is alice's, 140000
	# 11:00: nobody sells
	assert_equal "$(jq -r '"\(.slot) \(.seller) \(.buyer) \(.wh) \(.price)"' contracts.jsonl | sort)" \
	    "${D2}T10:00:00+00:00 alice bob 214 252000
${D2}T10:00:00+00:00 alice carol 286 252000
${D2}T10:30:00+00:00 alice bob 300 140000"
	assert_equal "$(jq -c 'select(.rec.type == "clearing") | .rec | [.slot, .price, .wh, .trades]' ledger.jsonl)" \
	    "[\"${D2}T10:00:00+00:00\",252000,500,2]
[\"${D2}T10:30:00+00:00\",140000,300,1]
[\"${D2}T11:00:00+00:00\",null,0,0]"

	# after metering: day two's readings of the cleared slots
	for p in alice bob carol; do
		denki meter-read -c $p.yaml $p.csv
	done | grep -v "T09:30:00" | grep "\"slot\":\"${D2}T" >readings.jsonl
	run -0 --separate-stderr denki settle -c coop.yaml readings.jsonl
	assert_equal "$stderr" ""
	echo "$output" >settled.jsonl
	# 10:00 by hand: bob pays 214 x 252 = 53928 + fee 2140; carol pays
	# 286 x 252 = 72072 + fee 2860; alice delivers 450 of 500: 50 x 300 =
	# 15000 to the utility; carol takes 300 for 286: 14 x 300 = 4200
	assert_equal "$(jq -c "select(.type == \"settlement\" and .slot == \"${D2}T10:00:00+00:00\") | [.participant, .deviation_wh, .p2p_paid, .p2p_received, .fees, .utility_paid, .utility_received, .net]" settled.jsonl)" \
	    '["alice",-50,0,126000,0,15000,0,111000]
["bob",0,56068,0,2140,0,0,-56068]
["carol",-14,74932,0,2860,4200,0,-79132]'
	assert_equal "$(jq -r "select(.type == \"transfer\" and .slot == \"${D2}T10:00:00+00:00\") | \"\(.from) \(.to) \(.amount) \(.reason)\"" settled.jsonl | sort)" \
	    "alice utility 15000 shortfall
bob alice 53928 p2p
bob operator 2140 fee
carol alice 72072 p2p
carol operator 2860 fee
carol utility 4200 shortfall"
	# 10:30: alice 42000 + 400 surplus x 100; bob 42000 + 3000 + 50 x 300;
	# carol, no contract, 20 x 300.  11:00: every import at retail.
	assert_equal "$(jq -r 'select(.type == "settlement") | "\(.slot | .[11:16]) \(.participant) \(.net)"' settled.jsonl)" \
	    "10:00 alice 111000
10:00 bob -56068
10:00 carol -79132
10:30 alice 82000
10:30 bob -60000
10:30 carol -6000
11:00 alice -30000
11:00 bob -60000
11:00 carol -15000"
	# the money of every slot sums to zero; every net is its transfers
	assert_equal "$(slot_sums <settled.jsonl)" "${D2}T10:00:00+00:00 0
${D2}T10:30:00+00:00 0
${D2}T11:00:00+00:00 0"
	assert_equal "$(net_mismatches <settled.jsonl)" ""

	# the auditor's audit, with the openings of the committed readings
	run -0 --separate-stderr denki ledger-verify -p operator.pub -O ledger.jsonl.openings ledger.jsonl
	assert_output "ledger.jsonl: OK: 61 entries, 3 participants, 8 orders, 3 slots cleared, 3 contracts (800 Wh), 3 slots settled, 9 readings (9 opened, 9 of them unsigned), 14 transfers, 9 checkpoints of denki.local/ledger; every hash link, signature, checkpoint and replay checks"
}

@test "pipeline: a simulated community over two days: every slot cleared, settled, zero-sum, verified" {
	make_community alice bob carol
	local p seed=0 peak
	for p in alice bob carol; do
		seed=$((seed + 1))
		case $p in alice) peak=5000 ;; bob) peak=2500 ;; carol) peak=0 ;; esac
		denki meter-read -c $p.yaml -D sim.seed=$seed -D sim.pv_peak_w=$peak \
		    -d sim -s ${D1}T00:00:00+00:00 -n 96 >readings-$p.jsonl
		denki bid -c $p.yaml -s ${D2}T00:00:00+00:00 -N 48 readings-$p.jsonl >>orders.jsonl
	done
	clear_then_sign orders.jsonl >contracts.jsonl
	assert_equal "$(jq -r 'select(.rec.type == "clearing") | .rec.slot' ledger.jsonl | wc -l)" 48
	[ "$(wc -l <contracts.jsonl)" -gt 0 ]
	cat readings-*.jsonl | grep "\"slot\":\"${D2}T" >readings.jsonl
	run -0 --separate-stderr denki settle -c coop.yaml readings.jsonl
	echo "$output" >settled.jsonl
	assert_equal "$(jq -r 'select(.type == "settlement") | .slot' settled.jsonl | sort -u | wc -l)" 48
	assert_equal "$(slot_sums <settled.jsonl | awk '$2 != 0')" ""
	assert_equal "$(net_mismatches <settled.jsonl)" ""
	# what was contracted is what was settled as sold and bought
	assert_equal "$(jq -s 'map(.wh) | add' contracts.jsonl)" \
	    "$(jq -s 'map(select(.type == "settlement") | .sold_wh) | add' settled.jsonl)"
	assert_equal "$(jq -s 'map(.wh) | add' contracts.jsonl)" \
	    "$(jq -s 'map(select(.type == "settlement") | .bought_wh) | add' settled.jsonl)"
	run -0 --separate-stderr denki ledger-verify -q -p operator.pub ledger.jsonl
	assert_output ""
	# the report's members' nets are the settlements'
	run -0 --separate-stderr denki report -p operator.pub ledger.jsonl
	assert_equal "$(jq -r 'select(.type == "statement") | "\(.participant) \(.net)"' <<<"$output")" \
	    "$(jq -r 'select(.type == "settlement") | "\(.participant) \(.net)"' settled.jsonl |
	    awk '{ s[$1] += $2 } END { for (p in s) print p, s[p] }' | sort)"
}

@test "pipeline: the same orders and readings give the same ledger records on another run" {
	make_community
	write_csvs
	local p
	for p in alice bob carol; do
		denki meter-read -c $p.yaml $p.csv >r-$p.jsonl
		denki bid -c $p.yaml -s ${D2}T10:00:00+00:00 -N 3 r-$p.jsonl >>orders.jsonl
	done
	cat r-*.jsonl | grep "\"slot\":\"${D2}T1[01]" >readings.jsonl
	# a second cooperative with the same keys and registry: the records
	# in the ledger are the same bytes, whatever order the input came in
	mkdir coop2
	cp coop.yaml terms.txt operator.key operator.pub ledger.jsonl coop2/
	clear_then_sign orders.jsonl >/dev/null
	denki settle -c coop.yaml readings.jsonl >/dev/null
	shuf orders.jsonl >coop2/orders.jsonl
	shuf readings.jsonl >coop2/readings.jsonl
	(
		cd coop2
		clear_then_sign orders.jsonl >/dev/null
		denki settle -c coop.yaml readings.jsonl >/dev/null
	)
	assert_equal "$(jq -r .rec.type ledger.jsonl | sort | uniq -c | awk '{ print $1, $2 }' | tr '\n' ' ')" \
	    "9 checkpoint 3 clearing 9 commitment 3 contract 1 ledger 8 order 3 participant 1 rules 9 settlement 1 terms 14 transfer "
	# readings are committed with a random salt each (denki-formats(5),
	# Committed readings): every record but the commitments' hashes, and
	# so the chain and the checkpoints, is the same bytes; so are the
	# readings the openings hold
	same() { jq -c '.rec | del(.hash, .note)' "$1"; }
	assert_equal "$(same ledger.jsonl)" "$(same coop2/ledger.jsonl)"
	assert_equal "$(jq -c .reading ledger.jsonl.openings)" "$(jq -c .reading coop2/ledger.jsonl.openings)"
	run -0 denki ledger-verify -p operator.pub -O coop2/ledger.jsonl.openings coop2/ledger.jsonl
	assert_equal "${#lines[@]}" 1
}

@test "pipeline: no floating point in the market, settlement or money code" {
	local f
	# comments may say "double auction"; the code may not say double
	for f in "$TOP"/lib/market/*.c "$TOP"/lib/settle/*.c "$TOP"/lib/core/money.c; do
		[ -s "$f" ]
		run -1 sh -c "perl -0pe 's{/\\*.*?\\*/}{}gs; s{//[^\\n]*}{}g' '$f' |
		    grep -nE '\\b(float|double|json_real|json_real_value|json_number_value|strtod|atof|floor|ceil|round|lround|llround)\\b'"
		assert_output ""
	done
	# and the words are found when they are there
	run -0 sh -c "printf 'int\nf(void)\n{\n\tdouble x;\n}\n' | perl -0pe 's{/\\*.*?\\*/}{}gs' | grep -cE '\\b(float|double)\\b'"
	assert_output 1
}

@test "pipeline: clear | contract-sign does not deadlock when contract-sign opens the ledger first" {
	make_community
	{
		order alice sell 1010 120000
		order bob buy 600 200000
	} >orders.jsonl
	# contract-sign starts at once and waits for its input; clear starts
	# a moment later and needs to read the ledger
	run -0 --separate-stderr bash -c '{ sleep 1; timeout 5 denki-clear -c coop.yaml orders.jsonl; } |
	    timeout 5 denki-contract-sign -c coop.yaml'
	assert_equal "$(jq -r '"\(.seller) \(.buyer) \(.wh)"' <<<"$output")" "alice bob 600"
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
}

@test "pipeline: a full disk: contract-sign says so with 74, the ledger is as it was and verifies" {
	make_community
	DISK="$BATS_TEST_TMPDIR/disk"
	mkdir "$DISK"
	if ! mount -t tmpfs -o size=8k tmpfs "$DISK" 2>/dev/null; then
		DISK=
		skip "cannot mount a tmpfs here (needs root): the full-disk test did not run"
	fi
	three_orders >orders.jsonl
	denki-clear -c coop.yaml orders.jsonl >cleared.jsonl
	# what this run appends is more than the disk has left once the filler
	# takes the second of its two 4 KiB pages
	cp ledger.jsonl probe.jsonl
	denki-contract-sign -c coop.yaml -D ledger=probe.jsonl cleared.jsonl >/dev/null
	[ $(($(wc -c <probe.jsonl) - $(wc -c <ledger.jsonl))) -gt $((4096 - $(wc -c <ledger.jsonl))) ]
	cp ledger.jsonl "$DISK/ledger.jsonl"
	head -c 4096 /dev/zero >"$DISK/filler"
	sed -i "s#^ledger: .*#ledger: $DISK/ledger.jsonl#" coop.yaml
	cp "$DISK/ledger.jsonl" before.jsonl

	run -74 --separate-stderr denki-contract-sign -c coop.yaml cleared.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-contract-sign: $DISK/ledger.jsonl: write: No space left on device; nothing of this run was appended"
	cmp before.jsonl "$DISK/ledger.jsonl"
	run -0 denki-ledger-verify -p operator.pub "$DISK/ledger.jsonl"
	assert_output "$DISK/ledger.jsonl: OK: 7 entries, 3 participants, 0 orders, 0 slots cleared, 0 contracts (0 Wh), 0 slots settled, 0 readings (0 opened, 0 of them unsigned), 0 transfers, 3 checkpoints of denki.local/ledger; every hash link, signature, checkpoint and replay checks"

	# room again: the same input goes in whole
	rm "$DISK/filler"
	run -0 --separate-stderr denki-contract-sign -c coop.yaml cleared.jsonl
	assert_equal "${#lines[@]}" 2
	run -0 denki-ledger-verify -q -p operator.pub "$DISK/ledger.jsonl"

	# settle on a full disk: 74, nothing appended
	printf '{"type":"reading","v":1,"meter":"%s","slot":"2026-01-01T10:00:00+00:00","import_wh":%s,"export_wh":%s}\n' \
	    alice-m 5 1000 bob-m 590 0 carol-m 410 0 >readings.jsonl
	cp "$DISK/ledger.jsonl" before.jsonl
	cp before.jsonl probe.jsonl
	denki-settle -c coop.yaml -D ledger="$BATS_TEST_TMPDIR/probe.jsonl" readings.jsonl >/dev/null
	# the ledger has the whole disk now; what settle appends does not fit
	[ $(($(wc -c <probe.jsonl) - $(wc -c <before.jsonl))) -gt $((8192 - $(wc -c <before.jsonl))) ]
	run -74 --separate-stderr denki-settle -c coop.yaml readings.jsonl
	assert_output ""
	# the openings of the committed readings are written first, then the
	# ledger: whichever does not fit, neither keeps anything of the run
	assert_regex "$stderr" "^denki-settle: $DISK/ledger\.jsonl(\.openings)?: write: No space left on device; nothing of this run was appended\$"
	cmp before.jsonl "$DISK/ledger.jsonl"
	assert_equal "$(cat "$DISK/ledger.jsonl.openings" 2>/dev/null)" ""
	run -0 denki-ledger-verify -q -p operator.pub "$DISK/ledger.jsonl"
}
