#!/usr/bin/env bats
# denki-settle: metered energy against the contracts of a slot, to the unit.
#
# value = Wh x price / 1000, rounded half away from zero; the buyer pays the
# value to the seller and Wh x fee / 1000 to "operator"; deviation =
# (export - import) - (sold - bought): a surplus is paid by "utility" at
# buyback, a shortfall paid to "utility" at retail.

load test_helper

SLOT=2026-01-01T10:00:00+00:00
SLOT2=2026-01-01T10:30:00+00:00

# The slot: alice sells 1010 at 135050 to bob (600) and carol (410);
# retail 300000, buyback 100000, fee 10000 (make_community).
setup() {
	common_setup
	make_community
	three_orders >orders.jsonl
	denki-clear -c coop.yaml orders.jsonl >cleared.jsonl
	denki-contract-sign -c coop.yaml cleared.jsonl >contracts.jsonl
}

# reading METER IMPORT EXPORT [SLOT]
reading() {
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s}\n' \
	    "$1" "${4:-$SLOT}" "$2" "$3"
}

# settlement PARTICIPANT SOLD BOUGHT EXPORT IMPORT DEV PAID RECEIVED FEES UPAID URECEIVED NET [SLOT]
settlement() {
	printf '{"bought_wh":%s,"deviation_wh":%s,"export_wh":%s,"fees":%s,"import_wh":%s,"net":%s,"p2p_paid":%s,"p2p_received":%s,"participant":"%s","slot":"%s","sold_wh":%s,"type":"settlement","utility_paid":%s,"utility_received":%s,"v":1}\n' \
	    "$3" "$6" "$4" "$9" "$5" "${12}" "$7" "$8" "$1" "${13:-$SLOT}" "$2" "${10}" "${11}"
}

# transfer FROM TO AMOUNT REASON [SLOT]
transfer() {
	printf '{"amount":%s,"from":"%s","reason":"%s","slot":"%s","to":"%s","type":"transfer","v":1}\n' \
	    "$3" "$1" "$4" "${5:-$SLOT}" "$2"
}

# balance <records: each party's sum of the transfers, "party amount" lines
balance() {
	jq -r 'select(.type == "transfer") | "\(.from) \(-.amount)\n\(.to) \(.amount)"' |
	    awk '{ s[$1] += $2 } END { for (p in s) print p, s[p] }' | sort
}

@test "settle: exact settlements and transfers, rounded half away from zero" {
	{
		reading carol-m 410 0
		reading alice-m 5 1000
		reading bob-m 590 0
	} >readings.jsonl
	run -0 --separate-stderr denki-settle -c coop.yaml readings.jsonl
	assert_equal "$stderr" ""
	# bob:   600 x 135050 / 1000 = 81030;   fee 600 x 10 = 6000
	# carol: 410 x 135050 / 1000 = 55370.5 -> 55371;  fee 4100
	# alice: exported 995 net, sold 1010: -15 x 300 = 4500 to the utility
	# bob:   imported 590, bought 600: +10 x 100 = 1000 from the utility
	# carol: imported 410, bought 410: even
	assert_equal "$output" "$(
	    settlement alice 1010 0 1000 5 -15 0 136401 0 4500 0 131901
	    settlement bob 0 600 0 590 10 87030 0 6000 0 1000 -86030
	    settlement carol 0 410 0 410 0 59471 0 4100 0 0 -59471
	    transfer bob alice 81030 p2p
	    transfer bob operator 6000 fee
	    transfer carol alice 55371 p2p
	    transfer carol operator 4100 fee
	    transfer alice utility 4500 shortfall
	    transfer utility bob 1000 surplus)"
}

@test "settle: the amounts of the slot sum to zero; each net is the party's transfers" {
	{
		reading alice-m 7 993
		reading bob-m 611 3
		reading carol-m 399 0
	} >readings.jsonl
	run -0 --separate-stderr denki-settle -c coop.yaml readings.jsonl
	echo "$output" >out.jsonl
	# every transfer moves a positive whole amount from one party to another
	assert_equal "$(jq -r 'select(.type == "transfer") | (.amount > 0 and (.amount | floor) == .amount and .from != .to)' out.jsonl | sort -u)" true
	assert_equal "$(balance <out.jsonl | awk '{ t += $2 } END { print t }')" 0
	# each participant's net is what its transfers add up to
	assert_equal "$(balance <out.jsonl | grep -Ev '^(operator|utility) ')" \
	    "$(jq -r 'select(.type == "settlement") | "\(.participant) \(.net)"' out.jsonl)"
	# the operator gets the fees, and nothing else
	assert_equal "$(balance <out.jsonl | grep '^operator ')" \
	    "operator $(jq -s 'map(select(.type == "settlement") | .fees) | add' out.jsonl)"
	# alice: 986 net, sold 1010: -24 x 300 = 7200; bob: -608, bought 600:
	# -8 x 300 = 2400; carol: -399, bought 410: +11 x 100 = 1100
	assert_equal "$(balance <out.jsonl)" "alice 129201
bob -89430
carol -58371
operator 10100
utility 8500"
}

@test "settle: the readings, settlements and transfers go into the ledger, which verifies" {
	{
		reading alice-m 5 1000
		reading bob-m 590 0
		reading carol-m 410 0
	} >readings.jsonl
	local n
	n=$(wc -l <ledger.jsonl)
	cp ledger.jsonl before.jsonl
	run -0 --separate-stderr denki-settle -c coop.yaml readings.jsonl
	cmp before.jsonl <(head -n "$n" ledger.jsonl)
	# a new community's readings are committed (denki-formats(5),
	# Committed readings): a commitment for each reading, what settle
	# printed without the metered energy, and a checkpoint of all before
	# it; the openings, the readings themselves, in the operator's store
	assert_equal "$(tail -n +$((n + 1)) ledger.jsonl | head -n 3 | jq -c '.rec | [.type, .slot, .meter]')" \
	    "$(jq -c '["commitment", .slot, .meter]' readings.jsonl)"
	assert_equal "$(tail -n +$((n + 4)) ledger.jsonl | head -n -1 | jq -c .rec)" \
	    "$(jq -c 'if .type == "settlement" then del(.export_wh, .import_wh) | .v = 2 else . end' <<<"$output")"
	assert_equal "$(jq -c .reading ledger.jsonl.openings)" "$(jq -cS . readings.jsonl)"
	assert_equal "$(jq -r .seq ledger.jsonl.openings | tr '\n' ' ')" "$n $((n + 1)) $((n + 2)) "
	assert_equal "$(stat -c %a ledger.jsonl.openings)" 600
	assert_equal "$(wc -l <ledger.jsonl)" $((n + 3 + ${#lines[@]} + 1))
	assert_equal "$(tail -n 1 ledger.jsonl | jq -r .rec.type)" checkpoint
	assert_equal "$(tail -n 1 ledger.jsonl | jq -r .rec.note | sed -n 2p)" $((n + 3 + ${#lines[@]}))
	run -0 denki-ledger-verify -p operator.pub -O ledger.jsonl.openings ledger.jsonl
	assert_output "ledger.jsonl: OK: 29 entries, 3 participants, 3 orders, 1 slots cleared, 2 contracts (1010 Wh), 1 slots settled, 3 readings (3 opened, 3 of them unsigned), 6 transfers, 5 checkpoints of denki.local/ledger; every hash link, signature, checkpoint and replay checks"
}

@test "settle: a cleared slot with no trade settles every meter with the utility" {
	{
		order alice sell 100 250000 $SLOT2
		order bob buy 100 200000 $SLOT2
	} | denki-clear -c coop.yaml >c2.jsonl
	denki-contract-sign -c coop.yaml c2.jsonl >/dev/null
	# the first slot, past its deadline, settled first: else this run
	# would settle it too, provisionally (tests/settle-deadline.bats)
	{
		reading alice-m 5 1000
		reading bob-m 590 0
		reading carol-m 410 0
	} | denki-settle -c coop.yaml >/dev/null
	{
		reading alice-m 0 333 $SLOT2
		reading bob-m 1 0 $SLOT2
	} >r2.jsonl
	# 333 x 100 = 33300 from the utility; 1 x 300 = 300 to it
	run -0 --separate-stderr denki-settle -c coop.yaml r2.jsonl
	assert_equal "$output" "$(
	    settlement alice 0 0 333 0 333 0 0 0 0 33300 33300 $SLOT2
	    settlement bob 0 0 0 1 -1 0 0 0 300 0 -300 $SLOT2
	    transfer utility alice 33300 surplus $SLOT2
	    transfer bob utility 300 shortfall $SLOT2)"
}

@test "settle: readings of a slot never cleared: 65, nothing appended" {
	cp ledger.jsonl before.jsonl
	reading alice-m 0 100 $SLOT2 >r.jsonl
	run -65 --separate-stderr denki-settle -c coop.yaml r.jsonl
	assert_output ""
	assert_regex "${stderr_lines[0]}" '^denki-settle: r\.jsonl:1: rejected: slot 2026-01-01T10:30:00\+00:00 was never cleared'
	assert_equal "${#stderr_lines[@]}" 2
	assert_equal "${stderr_lines[1]}" "denki-settle: nothing was appended"
	cmp before.jsonl ledger.jsonl
}

@test "settle: a slot settled twice: 65, nothing appended the second time" {
	{
		reading alice-m 5 1000
		reading bob-m 590 0
		reading carol-m 410 0
	} >readings.jsonl
	denki-settle -c coop.yaml readings.jsonl >/dev/null
	cp ledger.jsonl before.jsonl
	# the same readings again (delivered at least once): counted once
	run -0 --separate-stderr denki-settle -c coop.yaml readings.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-settle: 3 readings given again, the same bytes: counted once"
	cmp before.jsonl ledger.jsonl
	# another reading for the settled slot is refused
	reading alice-m 6 1000 >other.jsonl
	run -65 --separate-stderr denki-settle -c coop.yaml other.jsonl
	assert_output ""
	assert_equal "${stderr_lines[0]}" "denki-settle: other.jsonl:1: rejected: slot $SLOT is already settled"
	assert_equal "${stderr_lines[-1]}" "denki-settle: nothing was appended"
	cmp before.jsonl ledger.jsonl
}

# Before issue 15 this was refused (65, nothing appended); the slot is
# past its deadline, so carol is settled provisionally now.
@test "settle: no reading for a participant with a contract, past the deadline: settled provisionally" {
	{
		reading alice-m 5 1000
		reading bob-m 590 0
	} >readings.jsonl
	run -0 --separate-stderr denki-settle -c coop.yaml readings.jsonl
	assert_equal "$stderr" "denki-settle: slot $SLOT: participant carol settled provisionally, on its contracts: no reading of meter carol-m by the deadline"
	assert_equal "$(jq -c 'select(.type == "settlement") | [.participant, .v, .deviation_wh, .provisional]' <<<"$output" | tr -d '\n')" \
	    '["alice",1,-15,null]["bob",1,10,null]["carol",3,0,["carol-m"]]'
}

@test "settle: a reading of a meter not in the registry: 65 naming its line" {
	cp ledger.jsonl before.jsonl
	{
		reading alice-m 5 1000
		reading bob-m 590 0
		reading carol-m 410 0
		reading zed-m 1 0
	} >readings.jsonl
	run -65 --separate-stderr denki-settle -c coop.yaml readings.jsonl
	assert_output ""
	cmp before.jsonl ledger.jsonl
	assert_regex "${stderr_lines[0]}" '^denki-settle: readings\.jsonl:4: rejected: .*meter zed-m is not in the registry$'
}

@test "settle: two readings of one meter in a slot: 65 naming the second; an exact copy counts once" {
	cp ledger.jsonl before.jsonl
	{
		reading alice-m 5 1000
		reading bob-m 590 0
		reading carol-m 410 0
		reading alice-m 5 1001
	} >readings.jsonl
	run -65 --separate-stderr denki-settle -c coop.yaml readings.jsonl
	assert_output ""
	cmp before.jsonl ledger.jsonl
	assert_regex "${stderr_lines[0]}" '^denki-settle: readings\.jsonl:[14]: rejected: .*second reading of meter alice-m$'
	{
		reading alice-m 5 1000
		reading bob-m 590 0
		reading carol-m 410 0
		reading alice-m 5 1000
	} >dup.jsonl
	run -0 --separate-stderr denki-settle -c coop.yaml dup.jsonl
	assert_equal "$stderr" "denki-settle: 1 reading given again, the same bytes: counted once"
	assert_equal "$(grep -c '"type":"settlement"' <<<"$output")" 3
	assert_equal "$(grep -c '"rec":{[^}]*"type":"commitment"' ledger.jsonl)" 3
	assert_equal "$(wc -l <ledger.jsonl.openings)" 3
}

@test "settle: a bad reading: 65 with file:line and what is wrong" {
	cp ledger.jsonl before.jsonl
	{
		reading alice-m 5 1000
		reading bob-m -1 0
	} >readings.jsonl
	run -65 --separate-stderr denki-settle -c coop.yaml readings.jsonl
	assert_equal "$stderr" "denki-settle: readings.jsonl:2: rejected: import_wh: must be from 0 to 100000000, got -1"
	{
		reading alice-m 5 1000
		reading bob-m 590 '"0"'
		reading carol-m 410 0 2026-01-01T10:17:00+00:00
	} >readings.jsonl
	run -65 --separate-stderr denki-settle -k -c coop.yaml readings.jsonl
	assert_regex "${stderr_lines[0]}" '^denki-settle: readings\.jsonl:2: rejected: export_wh: must be an integer'
	assert_regex "${stderr_lines[1]}" '^denki-settle: readings\.jsonl:3: rejected: slot: must start a 30-minute slot'
	# with -k, the slot past its deadline is settled on what was taken:
	# bob and carol provisionally (before issue 15: nothing appended)
	assert_equal "$(jq -r 'select(.provisional) | .participant' <<<"$output" | tr '\n' ' ')" "bob carol "
}

@test "settle -k: the slots that settle are appended, the others reported, 65" {
	{
		reading alice-m 0 100 $SLOT2
		reading alice-m 5 1000
		reading bob-m 590 0
		reading carol-m 410 0
	} >readings.jsonl
	run -65 --separate-stderr denki-settle -k -c coop.yaml readings.jsonl
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" '^denki-settle: readings\.jsonl:1: rejected: slot 2026-01-01T10:30:00\+00:00 was never cleared'
	assert_equal "$(jq -r .type <<<"$output" | uniq -c | awk '{ print $1, $2 }' | tr '\n' ' ')" "3 settlement 6 transfer "
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
}

@test "settle -n: the settlement on stdout, nothing appended" {
	cp ledger.jsonl before.jsonl
	{
		reading alice-m 5 1000
		reading bob-m 590 0
		reading carol-m 410 0
	} >readings.jsonl
	run -0 --separate-stderr denki-settle -n -c coop.yaml readings.jsonl
	assert_equal "${#lines[@]}" 9
	cmp before.jsonl ledger.jsonl
}

@test "settle -h prints the usage on stdout; a bad option is a usage error" {
	run -0 --separate-stderr denki-settle -h
	assert_output "usage: denki-settle [-kn] [-c config] [-D key=value] [readings ...]"
	run -64 --separate-stderr denki-settle -x
	assert_output ""
	assert_equal "${stderr_lines[1]}" "usage: denki-settle [-kn] [-c config] [-D key=value] [readings ...]"
}

@test "settle: openings a run cut off left at the store's end are dropped, the rest kept byte for byte; a last line cut off: 65 naming it, nothing appended" {
	{ reading alice-m 5 1000; reading bob-m 590 0; reading carol-m 400 0; } >r1.jsonl
	denki-settle -c coop.yaml r1.jsonl >/dev/null
	assert_equal "$(wc -l <ledger.jsonl.openings)" 3
	cp ledger.jsonl.openings store.before
	# a run cut off after its openings were synced: entries n and n+1
	# never written; then a clearing takes those seqs
	n=$(wc -l <ledger.jsonl)
	last=$(tail -n 1 ledger.jsonl.openings)
	{ jq -c ".seq = $n" <<<"$last"; jq -c ".seq = $((n + 1))" <<<"$last"; } >>ledger.jsonl.openings
	denki-clear -c coop.yaml -s $SLOT2 </dev/null | denki-contract-sign -c coop.yaml >/dev/null
	[ "$(wc -l <ledger.jsonl)" -gt $((n + 1)) ]
	{ reading alice-m 0 0 $SLOT2; reading bob-m 7 0 $SLOT2; reading carol-m 8 0 $SLOT2; } >r2.jsonl
	run -0 --separate-stderr denki-settle -c coop.yaml r2.jsonl
	assert_equal "$(wc -l <ledger.jsonl.openings)" 6
	head -n 3 ledger.jsonl.openings | cmp - store.before
	assert_equal "$(jq -r .seq ledger.jsonl.openings | sort -n | uniq -d)" ""
	run -0 denki-ledger-verify -p operator.pub -O ledger.jsonl.openings ledger.jsonl
	# a last line cut off (no newline): the store is read whole and
	# the line named; neither file changes
	printf '{"type":"open' >>ledger.jsonl.openings
	cp ledger.jsonl.openings store.before
	S3=2026-01-01T11:00:00+00:00
	denki-clear -c coop.yaml -s $S3 </dev/null | denki-contract-sign -c coop.yaml >/dev/null
	cp ledger.jsonl ledger.before
	{ reading alice-m 0 0 $S3; reading bob-m 1 0 $S3; reading carol-m 2 0 $S3; } >r3.jsonl
	run -65 --separate-stderr denki-settle -c coop.yaml r3.jsonl
	assert_regex "$stderr" "^denki-settle: ledger\.jsonl\.openings:7: "
	cmp ledger.before ledger.jsonl
	cmp store.before ledger.jsonl.openings
}

@test "settle: to /dev/null it appends the records it appends when its output is read, and prints them nowhere" {
	{
		reading carol-m 410 0
		reading alice-m 5 1000
		reading bob-m 590 0
	} >readings.jsonl
	cp ledger.jsonl copy.jsonl
	run -0 --separate-stderr denki-settle -c coop.yaml readings.jsonl
	printed=$output
	run -0 --separate-stderr bash -c "denki-settle -c coop.yaml -D ledger='$BATS_TEST_TMPDIR/copy.jsonl' readings.jsonl >/dev/null"
	assert_equal "$output$stderr" ""
	# (a commitment is salted afresh each run: those, and the chain and
	# checkpoints over them, differ; the records settled do not)
	recs() {
		jq -c 'select(.rec.type != "commitment" and .rec.type != "checkpoint") | .rec' "$1"
	}
	[ "$(recs ledger.jsonl | wc -l)" -ge 10 ]
	diff <(recs ledger.jsonl) <(recs copy.jsonl)
	[ "$(echo "$printed" | grep -c '"type":"settlement"')" -eq 3 ]
}
