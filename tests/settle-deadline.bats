#!/usr/bin/env bats
# denki-settle at the deadline: a missing reading never stops a slot.
#
# A contracted slot is settled from settle.deadline_minutes (default 60)
# after its end with the readings that have come; a member without one is
# settled provisionally on its contracts (deviation 0, a settlement of
# version 3); its reading, when it comes, trues it up (a trueup record and
# one transfer, reason trueup, at the prices of the slot's rules).
# The slots are in 2098, so that the programs' clock, moved forward by
# faketime (need_faketime, at), never goes back past a checkpoint.

load test_helper

SLOT=2098-01-01T10:00:00+00:00
SLOT2=2098-01-01T10:30:00+00:00

# The slot: alice sells 1010 at 135050 to bob (600) and carol (410);
# retail 300000, buyback 100000, fee 10000 (make_community).
setup() {
	common_setup
	need_faketime
	community_and_slot
	{
		reading alice-m 5 1000
		reading bob-m 590 0
	} >r1.jsonl
	reading carol-m 400 0 >r2.jsonl
}

# the community and the slot, cleared and contracted
community_and_slot() {
	make_community
	{
		order alice sell 1010 120000 $SLOT
		order bob buy 600 200000 $SLOT
		order carol buy 410 150100 $SLOT
	} >orders.jsonl
	denki-clear -c coop.yaml orders.jsonl >cleared.jsonl
	denki-contract-sign -c coop.yaml cleared.jsonl >contracts.jsonl
}

# reading METER IMPORT EXPORT [SLOT]
reading() {
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s}\n' \
	    "$1" "${4:-$SLOT}" "$2" "$3"
}

# balance <records: each party's sum of the transfers, "party amount" lines
balance() {
	jq -r 'select(.type == "transfer") | "\(.from) \(-.amount)\n\(.to) \(.amount)"' |
	    awk '{ s[$1] += $2 } END { for (p in s) print p, s[p] }' | sort
}

# ledger_recs: the records of the ledger, one a line
ledger_recs() {
	jq -c .rec ledger.jsonl
}

# the slot settled at 11:31 without carol's reading
settle_without_carol() {
	at '2098-01-01 11:31:00' denki-settle -c coop.yaml r1.jsonl >s1.jsonl 2>s1.err
}

@test "settle: before its deadline a slot with a reading missing waits: nothing appended, said on stderr, 0" {
	cp ledger.jsonl before.jsonl
	run -0 --separate-stderr at '2098-01-01 11:29:59' denki-settle -c coop.yaml r1.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-settle: slot $SLOT waits for 1 reading (meter carol-m of participant carol) until its deadline 2098-01-01T11:30:00+00:00 (settle.deadline_minutes): nothing settled"
	cmp before.jsonl ledger.jsonl
	# nothing given: the slot is not due yet, nothing to say
	run -0 --separate-stderr at '2098-01-01 11:29:59' denki-settle -c coop.yaml /dev/null
	assert_equal "$stderr$output" ""
	cmp before.jsonl ledger.jsonl
}

@test "settle: every reading there: settled before the deadline, nothing provisional" {
	run -0 --separate-stderr at '2098-01-01 10:31:00' denki-settle -c coop.yaml r1.jsonl r2.jsonl
	assert_equal "$stderr" ""
	assert_equal "$(jq -c 'select(.type == "settlement") | [.participant, .v, .deviation_wh]' <<<"$output" | tr -d '\n')" \
	    '["alice",1,-15]["bob",1,10]["carol",1,10]'
}

@test "settle: at the deadline a member without a reading is settled provisionally (v 3, deviation 0); the slot sums to zero; ledger-verify replays it and names it" {
	run -0 --separate-stderr at '2098-01-01 11:30:00' denki-settle -c coop.yaml r1.jsonl
	assert_equal "$stderr" "denki-settle: slot $SLOT: participant carol settled provisionally, on its contracts: no reading of meter carol-m by the deadline"
	# carol: bought 410, pays 55371 + 4100 fee, no deviation, no utility
	assert_equal "$(jq -c 'select(.participant == "carol")' <<<"$output")" \
	    '{"bought_wh":410,"deviation_wh":0,"fees":4100,"net":-59471,"p2p_paid":59471,"p2p_received":0,"participant":"carol","provisional":["carol-m"],"read_wh":0,"slot":"2098-01-01T10:00:00+00:00","sold_wh":0,"type":"settlement","utility_paid":0,"utility_received":0,"v":3}'
	# alice and bob on their readings, as ever
	assert_equal "$(jq -c 'select(.type == "settlement" and .v == 1) | [.participant, .deviation_wh, .utility_paid, .utility_received]' <<<"$output" | tr -d '\n')" \
	    '["alice",-15,4500,0]["bob",10,0,1000]'
	assert_equal "$(balance <<<"$output" | awk '{ s += $2 } END { print s }')" 0
	# the ledger keeps the v 3 record as it is (no export_wh, import_wh)
	assert_equal "$(ledger_recs | jq -c 'select(.type == "settlement" and .participant == "carol")')" \
	    "$(jq -c 'select(.participant == "carol")' <<<"$output")"
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --partial "; 1 settlement provisional (a reading missing at the deadline), 0 trued up, 1 still provisional: $SLOT carol"
	run -0 denki-ledger-verify -O ledger.jsonl.openings -j -p operator.pub ledger.jsonl
	assert_equal "$(jq -c '[.provisional, .trueups, .pending]' <<<"$output")" "[1,0,[[\"$SLOT\",\"carol\"]]]"
}

@test "settle: settle.deadline_minutes moves the deadline (-D or coop.yaml); a bad value is 78" {
	run -0 --separate-stderr at '2098-01-01 10:30:00' denki-settle -n -c coop.yaml -D settle.deadline_minutes=0 r1.jsonl
	assert_equal "$(jq -c 'select(.provisional) | .participant' <<<"$output")" '"carol"'
	# in coop.yaml, under settle: (make_community wrote signed there)
	sed -i 's/^settle:$/settle:\n  deadline_minutes: 120/' coop.yaml
	cp ledger.jsonl before.jsonl
	run -0 --separate-stderr at '2098-01-01 12:29:00' denki-settle -c coop.yaml r1.jsonl
	assert_regex "$stderr" 'until its deadline 2098-01-01T12:30:00\+00:00'
	cmp before.jsonl ledger.jsonl
	run -78 --separate-stderr denki-settle -c coop.yaml -D settle.deadline_minutes=-1 /dev/null
	assert_regex "$stderr" 'settle\.deadline_minutes'
	run -78 --separate-stderr denki-settle -c coop.yaml -D settle.deadline_minutes=soon /dev/null
	assert_regex "$stderr" 'settle\.deadline_minutes'
}

@test "settle: a contracted slot past its deadline with no reading at all is settled, every member provisionally; a slot cleared with no trade is not" {
	denki-clear -c coop.yaml -s $SLOT2 /dev/null >/dev/null
	run -0 --separate-stderr at '2098-01-01 13:00:00' denki-settle -c coop.yaml /dev/null
	assert_equal "$(jq -r 'select(.type == "settlement") | "\(.slot) \(.participant) \(.v) \(.provisional[0])"' <<<"$output")" \
	    "$SLOT alice 3 alice-m
$SLOT bob 3 bob-m
$SLOT carol 3 carol-m"
	assert_equal "${#stderr_lines[@]}" 3
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
	# the second run has nothing to do
	cp ledger.jsonl before.jsonl
	run -0 --separate-stderr at '2098-01-01 13:10:00' denki-settle -c coop.yaml /dev/null
	assert_equal "$stderr$output" ""
	cmp before.jsonl ledger.jsonl
}

@test "settle: the reading that comes after a provisional settlement trues it up: a trueup record, one transfer, the slot at zero; once" {
	settle_without_carol
	run -0 --separate-stderr at '2098-01-01 12:00:00' denki-settle -c coop.yaml r1.jsonl r2.jsonl
	assert_equal "${stderr_lines[0]}" "denki-settle: 2 readings given again, the same bytes: counted once"
	assert_equal "${stderr_lines[1]}" "denki-settle: slot $SLOT: participant carol trued up: deviation 10 Wh, net +1000"
	# carol imported 400 of the 410 bought: 10 Wh sold back at buyback
	assert_equal "$output" \
	    '{"deviation_wh":10,"meters":["carol-m"],"net":1000,"participant":"carol","slot":"2098-01-01T10:00:00+00:00","type":"trueup","utility_paid":0,"utility_received":1000,"v":1}
{"amount":1000,"from":"utility","reason":"trueup","slot":"2098-01-01T10:00:00+00:00","to":"carol","type":"transfer","v":1}'
	# the slot's transfers, provisional and true-up, sum to zero, and
	# carol ends where a settlement on her reading would have put her
	assert_equal "$(cat s1.jsonl - <<<"$output" | balance | awk '{ s += $2 } END { print s }')" 0
	assert_equal "$(cat s1.jsonl - <<<"$output" | balance | grep '^carol ')" "carol -58471"
	# in the ledger: carol's reading (a commitment, its opening stored)
	# before the trueup
	assert_equal "$(ledger_recs | jq -r 'select(.type != "checkpoint") | .type' | tail -n 3 | tr '\n' ' ')" "commitment trueup transfer "
	assert_equal "$(wc -l <ledger.jsonl.openings)" 3
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --partial "; 1 settlement provisional (a reading missing at the deadline), 1 trued up, 0 still provisional"
	run -0 denki-ledger-verify -q -O ledger.jsonl.openings -p operator.pub ledger.jsonl
	# again: the same reading counts once; another reading of the meter
	# is refused, the member is trued up
	cp ledger.jsonl before.jsonl
	run -0 --separate-stderr at '2098-01-01 12:10:00' denki-settle -c coop.yaml r2.jsonl
	assert_equal "$stderr" "denki-settle: 1 reading given again, the same bytes: counted once"
	reading carol-m 300 0 >r3.jsonl
	run -65 --separate-stderr at '2098-01-01 12:10:00' denki-settle -c coop.yaml r3.jsonl
	assert_equal "${stderr_lines[0]}" "denki-settle: r3.jsonl:1: rejected: slot $SLOT is already settled"
	cmp before.jsonl ledger.jsonl
}

@test "settle: a true-up in a ledger of open readings: the reading in clear, replayed by ledger-verify" {
	rm ledger.jsonl*
	READINGS=open make_community_again
	settle_without_carol
	run -0 --separate-stderr at '2098-01-01 12:00:00' denki-settle -c coop.yaml r2.jsonl
	assert_equal "$(ledger_recs | jq -c 'select(.type == "reading")' | tail -n 1)" "$(jq -cS . r2.jsonl)"
	assert_equal "$(jq -c 'select(.type == "trueup") | [.deviation_wh, .net]' <<<"$output")" "[10,1000]"
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --partial "1 trued up, 0 still provisional"
}

# the community and the slot again, in a new ledger (after rm ledger.jsonl*)
make_community_again() {
	rm -f ./*.key ./*.pub ./*.db ./*.enrol.json
	community_and_slot
}

@test "settle: a member with two meters, one read: provisional on its position, read_wh the meter read; trued up when the other comes" {
	denki-keygen dave >/dev/null
	enrol dave -m dave-a -m dave-b
	order dave buy 100 200000 $SLOT2 >o2.jsonl
	order alice sell 100 100000 $SLOT2 >>o2.jsonl
	denki-clear -c coop.yaml o2.jsonl >cleared2.jsonl
	denki-contract-sign -c coop.yaml cleared2.jsonl >/dev/null
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
	{
		reading alice-m 0 100 $SLOT2
		reading dave-a 70 0 $SLOT2
	} >r4.jsonl
	run -0 --separate-stderr at '2098-01-01 12:00:01' denki-settle -c coop.yaml r1.jsonl r2.jsonl r4.jsonl
	assert_equal "$(jq -c 'select(.participant == "dave") | [.v, .provisional, .read_wh, .deviation_wh]' <<<"$output")" '[3,["dave-b"],-70,0]'
	reading dave-b 40 0 $SLOT2 >r5.jsonl
	run -0 --separate-stderr at '2098-01-01 12:30:00' denki-settle -c coop.yaml r5.jsonl
	# dave: bought 100, imported 110: 10 Wh short at retail
	assert_equal "$(jq -c 'select(.type == "trueup") | [.meters, .deviation_wh, .utility_paid, .net]' <<<"$output")" '[["dave-b"],-10,3000,-3000]'
	assert_equal "$(jq -c 'select(.type == "transfer") | [.from, .to, .amount, .reason]' <<<"$output")" '["dave","utility",3000,"trueup"]'
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
	run -0 denki-ledger-verify -q -O ledger.jsonl.openings -p operator.pub ledger.jsonl
}

@test "settle: a true-up is made at the prices of the rules the slot was cleared under, not today's" {
	settle_without_carol
	# the tariffs change after the slot was cleared
	sed -i 's/buyback: 100000/buyback: 50000/' coop.yaml
	{
		order alice sell 100 100000 $SLOT2
		order bob buy 100 200000 $SLOT2
	} >o2.jsonl
	at '2098-01-01 11:40:00' denki-clear -c coop.yaml o2.jsonl >cleared2.jsonl
	at '2098-01-01 11:40:00' denki-contract-sign -c coop.yaml cleared2.jsonl >/dev/null
	assert_equal "$(ledger_recs | jq -c 'select(.type == "rules") | .prices.buyback // .buyback' | tr '\n' ' ')" "100000 50000 "
	run -0 --separate-stderr at '2098-01-01 12:00:00' denki-settle -c coop.yaml r2.jsonl
	assert_equal "$(jq -c 'select(.type == "trueup") | [.utility_received, .net]' <<<"$output")" "[1000,1000]"
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
}

@test "report: completion per month and day: provisional at the deadline, then trued up; the member's figures end as on its reading" {
	settle_without_carol
	run -0 --separate-stderr denki-report ledger.jsonl
	assert_equal "$(jq -c 'select(.type == "completion") | [.period, .member_slots, .on_readings, .provisional, .trued_up, .pending, .share_bp]' <<<"$output" | tr -d '\n')" \
	    '["2098-01",3,2,1,0,1,6666]["2098-01-01",3,2,1,0,1,6666]'
	# carol provisional: her position (410 bought) stands for her meter
	assert_equal "$(jq -c 'select(.participant == "carol") | [.import_wh, .net, .baseline]' <<<"$output")" '[410,-59471,-123000]'
	run -0 --separate-stderr denki-report -H ledger.jsonl
	assert_line "2098-01-01              3           2   66.66%           1        0       1"
	at '2098-01-01 12:00:00' denki-settle -c coop.yaml r2.jsonl >/dev/null 2>&1
	run -0 --separate-stderr denki-report ledger.jsonl
	assert_equal "$(jq -c 'select(.type == "completion") | [.period, .member_slots, .on_readings, .provisional, .trued_up, .pending, .share_bp]' <<<"$output" | tr -d '\n')" \
	    '["2098-01",3,3,1,1,0,10000]["2098-01-01",3,3,1,1,0,10000]'
	jq -c 'select(.type == "statement")' <<<"$output" >trued.jsonl
	# the same slot settled on every reading at once, in another ledger
	mkdir once && cd once
	make_community_again
	at '2098-01-01 10:31:00' denki-settle -c coop.yaml ../r1.jsonl ../r2.jsonl >/dev/null
	run -0 --separate-stderr denki-report ledger.jsonl
	assert_equal "$(jq -c 'select(.type == "statement")' <<<"$output")" "$(cat ../trued.jsonl)"
}

@test "fault: settle run twice at once: one settles, the other changes nothing; the ledger verifies" {
	# both start while the ledger is locked, and so run one after the other
	flock ledger.jsonl sleep 1 &
	sleep 0.2
	at '2098-01-01 11:31:00' denki-settle -c coop.yaml r1.jsonl >o1.jsonl 2>e1 &
	local p1=$!
	at '2098-01-01 11:31:00' denki-settle -c coop.yaml r1.jsonl >o2.jsonl 2>e2 &
	local p2=$!
	wait $p1
	wait $p2
	wait
	# one printed the slot's 3 settlements, the other nothing
	assert_equal "$(cat o1.jsonl o2.jsonl | grep -c '"type":"settlement"')" 3
	run -0 bash -c '[ ! -s o1.jsonl ] || [ ! -s o2.jsonl ]'
	assert_equal "$(cat e1 e2 | grep -c '2 readings given again')" 1
	assert_equal "$(jq -r .rec.type ledger.jsonl | grep -c -x settlement)" 3
	assert_equal "$(jq -r .rec.type ledger.jsonl | grep -c -x commitment)" 2
	run -0 denki-ledger-verify -q -O ledger.jsonl.openings -p operator.pub ledger.jsonl
}

@test "fault: settle killed while it waits for the ledger: nothing written; killed mid-append: ledger-recover cuts the tail and the next run settles the slot" {
	cp ledger.jsonl before.jsonl
	flock ledger.jsonl sleep 5 &
	local lk=$!
	sleep 0.2
	# the program itself in the background (not in at's subshell), so
	# that the kill reaches it
	FAKETIME='2098-01-01 11:31:00' LD_PRELOAD="$LIBFAKETIME" TZ=UTC \
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	    denki-settle -c coop.yaml r1.jsonl >/dev/null 2>&1 &
	local p=$!
	sleep 0.5
	kill -9 $p
	wait $p || true
	run ! kill -0 $p
	kill $lk
	wait $lk || true
	cmp before.jsonl ledger.jsonl
	# the run in full, then as a crash left it: its checkpoint and the
	# last transfers never written, the last line torn
	at '2098-01-01 11:31:00' denki-settle -c coop.yaml r1.jsonl >full.jsonl 2>/dev/null
	cp ledger.jsonl ran
	local n
	n=$(wc -l <ran)
	head -n $((n - 3)) ran >ledger.jsonl
	sed -n "$((n - 2))p" ran | head -c 40 >>ledger.jsonl
	run -65 --separate-stderr at '2098-01-01 11:32:00' denki-settle -c coop.yaml r1.jsonl
	cmp <(head -n $((n - 3)) ran) <(head -n $((n - 3)) ledger.jsonl)
	run -0 --separate-stderr denki-ledger-recover -c coop.yaml
	cmp before.jsonl ledger.jsonl
	# the next run settles the slot as the first would have
	run -0 --separate-stderr at '2098-01-01 11:33:00' denki-settle -c coop.yaml r1.jsonl
	assert_equal "$output" "$(cat full.jsonl)"
	run -0 denki-ledger-verify -q -O ledger.jsonl.openings -p operator.pub ledger.jsonl
}

@test "fault: a reading that comes after the period was paid: the true-up is appended then, its transfer an ordinary one (reason trueup) naming the slot it trues up" {
	settle_without_carol
	# a month later
	run -0 --separate-stderr at '2098-02-03 09:00:00' denki-settle -c coop.yaml r2.jsonl
	assert_equal "$(jq -c 'select(.type == "transfer")' <<<"$output")" \
	    '{"amount":1000,"from":"utility","reason":"trueup","slot":"2098-01-01T10:00:00+00:00","to":"carol","type":"transfer","v":1}'
	# after every entry of January's settlement, in February's checkpoint
	assert_equal "$(jq -r '.rec.type' ledger.jsonl | tail -n 4 | tr '\n' ' ')" "commitment trueup transfer checkpoint "
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
}

@test "fault: a member revoked between trade and settlement is still settled, provisionally and trued up" {
	denki-registry -c coop.yaml revoke carol >/dev/null
	settle_without_carol
	assert_equal "$(jq -c 'select(.participant == "carol") | [.v, .provisional]' s1.jsonl)" '[3,["carol-m"]]'
	run -0 --separate-stderr at '2098-01-01 12:00:00' denki-settle -c coop.yaml r2.jsonl
	assert_equal "$(jq -c 'select(.type == "trueup") | [.participant, .net]' <<<"$output")" '["carol",1000]'
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
}

@test "fault: a period with no trades: nothing to settle, nothing appended, 0; the report says no slot was settled" {
	mkdir quiet && cd quiet
	make_community
	denki-clear -c coop.yaml -s $SLOT /dev/null >/dev/null
	cp ledger.jsonl before.jsonl
	run -0 --separate-stderr at '2098-01-02 00:00:00' denki-settle -c coop.yaml /dev/null
	assert_equal "$output$stderr" ""
	cmp before.jsonl ledger.jsonl
	run -0 --separate-stderr denki-report ledger.jsonl
	assert_equal "$(jq -c 'select(.type == "completion")' <<<"$output")" ""
	run -0 --separate-stderr denki-report -H ledger.jsonl
	assert_line "(no slot settled)"
}

@test "denki-settle(1) and denki-report(1): their examples of provisional settlement run as written" {
	settle_without_carol
	at '2098-01-01 12:00:00' denki-settle -c coop.yaml r2.jsonl >/dev/null 2>&1
	run -0 jq -c '.rec | select(.provisional or .type == "trueup")
	    | [.type, .slot, .participant]' ledger.jsonl
	assert_output "[\"settlement\",\"$SLOT\",\"carol\"]
[\"trueup\",\"$SLOT\",\"carol\"]"
	run -0 bash -c "denki-report ledger.jsonl | jq -r 'select(.type == \"completion\"
	    and (.period | length) == 10) | \"\\(.period) \\(.share_bp)\"'"
	assert_output "2098-01-01 10000"
}

# The attacks below rewrite the ledger as an operator holding the key
# could (tests/resign.bash): only the replay can tell.
load resign

# forge FILE: FILE (the ledger's lines, some changed) re-signed from its
# first line into ledger.jsonl
forge() {
	resign "$1" 1 >f.jsonl
	mv f.jsonl ledger.jsonl
}

# entry REC: an entry line around the record REC (resign links it)
entry() {
	printf '{"prev":"%064d","rec":%s,"seq":0,"type":"entry","v":2}\n' 0 "$1"
}

@test "attack: the operator withholds a member's reading to hold the slot up: at the deadline the others are settled anyway, and ledger-verify names the member still provisional" {
	# before issue 15, settle refused the whole slot (65): alice and bob
	# waited as long as the operator kept carol's reading back, and
	# ledger-verify said nothing of it
	settle_without_carol
	assert_equal "$(jq -r 'select(.type == "settlement" and .v == 1) | .participant' s1.jsonl | tr '\n' ' ')" "alice bob "
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --partial "1 still provisional: $SLOT carol"
	run -0 denki-ledger-verify -j -p operator.pub ledger.jsonl
	assert_equal "$(jq -c .pending <<<"$output")" "[[\"$SLOT\",\"carol\"]]"
}

@test "attack: the operator settles a member provisionally although its reading is in the ledger (an unfavourable one kept out of the money): ledger-verify refuses" {
	rm ledger.jsonl*
	READINGS=open make_community_again
	# carol's reading says she was 10 Wh short: the operator puts it in
	# the ledger but settles her on her position
	reading carol-m 420 0 >r2.jsonl
	settle_without_carol
	local n
	n=$(grep -n '"type":"settlement"' ledger.jsonl | head -n 1 | cut -d: -f1)
	{
		head -n $((n - 1)) ledger.jsonl
		entry "$(jq -cS . r2.jsonl)"
		tail -n +"$n" ledger.jsonl
	} >edited.jsonl
	forge edited.jsonl
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --regexp "^FAIL: ledger.jsonl:[0-9]+: entry [0-9]+: settlement of slot ${SLOT/+/\\+} differs from the replay: field (provisional|v|deviation_wh|export_wh)"
}

@test "attack: the operator trues a member up twice (the utility's money paid out again): ledger-verify refuses" {
	settle_without_carol
	at '2098-01-01 12:00:00' denki-settle -c coop.yaml r2.jsonl >/dev/null 2>&1
	{
		head -n -1 ledger.jsonl
		grep -E '"type":"(trueup|transfer)"' ledger.jsonl | tail -n 2
		tail -n 1 ledger.jsonl
	} >edited.jsonl
	forge edited.jsonl
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --regexp "^FAIL: ledger.jsonl:[0-9]+: entry [0-9]+: trueup of slot ${SLOT/+/\\+}: participant carol has no provisional settlement to true up \(none, or trued up before\)$"
}

@test "attack: a true-up of other money than the slot's rules make (half the utility's payment kept back): ledger-verify refuses" {
	settle_without_carol
	at '2098-01-01 12:00:00' denki-settle -c coop.yaml r2.jsonl >/dev/null 2>&1
	sed -e '/"type":"trueup"/s/"net":1000/"net":500/; /"reason":"trueup"/s/"amount":1000/"amount":500/' \
	    ledger.jsonl >edited.jsonl
	run ! cmp -s edited.jsonl ledger.jsonl
	forge edited.jsonl
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --regexp "^FAIL: ledger.jsonl:[0-9]+: entry [0-9]+: trueup of slot ${SLOT/+/\\+} differs from the replay: field net"
}

@test "attack: a true-up with no provisional settlement (a member settled on its reading paid again): ledger-verify refuses" {
	at '2098-01-01 10:31:00' denki-settle -c coop.yaml r1.jsonl r2.jsonl >/dev/null
	{
		head -n -1 ledger.jsonl
		entry '{"deviation_wh":10,"meters":["carol-m"],"net":1000,"participant":"carol","slot":"2098-01-01T10:00:00+00:00","type":"trueup","utility_paid":0,"utility_received":1000,"v":1}'
		entry '{"amount":1000,"from":"utility","reason":"trueup","slot":"2098-01-01T10:00:00+00:00","to":"carol","type":"transfer","v":1}'
		tail -n 1 ledger.jsonl
	} >edited.jsonl
	forge edited.jsonl
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --regexp "^FAIL: ledger.jsonl:[0-9]+: entry [0-9]+: trueup of slot ${SLOT/+/\\+}: participant carol has no provisional settlement to true up"
}

@test "make demo: kn5's meter silent for two slots, settled provisionally, trued up when the readings come; it says so" {
	run -0 --separate-stderr "$TOP/examples/demo.sh" d
	assert_line "               2016-07-05T18:00:00+02:00: kn5 settled provisionally on its contracts (90 Wh bought, deviation 0), no reading of kn5-m"
	assert_line "               2016-07-05T18:30:00+02:00: kn5 settled provisionally on its contracts (90 Wh bought, deviation 0), no reading of kn5-m"
	assert_line --regexp '^               2016-07-05T18:00:00\+02:00: kn5 metered a deviation of -?[0-9]+ Wh: .* \(transfer reason trueup\)$'
	assert_line "2016-07-05            288         288  100.00%           2        2       0"
	assert_output --partial "; 2 settlements provisional (a reading missing at the deadline), 2 trued up, 0 still provisional"
	# the members' figures are those of the day settled on every reading
	# at once: the true-ups put kn5 where its readings say
	cd d
	# (less the demo's dispute: its compensation is a transfer of its own)
	jq -c 'select(.type == "statement") | if .compensation then
	    .net -= .compensation | .saving -= .compensation | del(.compensation)
	    else . end' <(denki-report ledger.jsonl) >trued.jsonl
	mkdir ../once && cp ./*.yaml terms.txt ./*.key ./*.pub ./*.enrol.json ../once/
	cd ../once
	rm -f ledger.jsonl
	for h in kn1 kn2 kn3 kn4 kn5 kn6; do
		denki-registry -c coop.yaml add "$h.enrol.json" >/dev/null
	done
	denki-clear -c coop.yaml ../d/orders.jsonl >cleared.jsonl
	denki-contract-sign -c coop.yaml cleared.jsonl >/dev/null
	denki-settle -c coop.yaml ../d/all-readings.jsonl >/dev/null
	assert_equal "$(denki-report ledger.jsonl | jq -c 'select(.type == "statement")')" "$(cat ../d/trued.jsonl)"
}

@test "completions: settle.deadline_minutes, in bash and zsh" {
	comp() {
		bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
		    _denki; printf "%s\n" "${COMPREPLY[@]}"' _ \
		    "$TOP/completions/bash/denki" "$@"
	}
	run comp denki-settle -D settle.dead
	assert_output "settle.deadline_minutes="
	grep -q "'settle.deadline_minutes:minutes after a slot" "$TOP/completions/zsh/_denki"
	zsh -n "$TOP/completions/zsh/_denki" 2>/dev/null || ! command -v zsh >/dev/null
}

@test "attack: the operator settles a member provisionally without waiting for its reading (settle.deadline_minutes: 0, at the slot's end): ledger-verify -T shows it was settled before the hour was over" {
	# before issue 15 there was no provisional settlement to see; now the
	# checkpoint's signed time bounds it, and the member is named
	run -0 --separate-stderr at '2098-01-01 10:40:00' denki-settle -c coop.yaml -D settle.deadline_minutes=0 r1.jsonl
	run -0 --separate-stderr denki-ledger-verify -T -p operator.pub ledger.jsonl
	assert_equal "$(jq -c '[.provisional, .early]' <<<"$output")" '[["carol"],true]'
	assert_equal "$stderr" "denki-ledger-verify: slot $SLOT: settled provisionally before the hour after its end was over, its readings not waited for"
	# settled at the deadline, the hour over: no warning
	cd "$BATS_TEST_TMPDIR" && mkdir late && cd late
	community_and_slot
	at '2098-01-01 11:31:00' denki-settle -c coop.yaml ../r1.jsonl >/dev/null 2>&1
	run -0 --separate-stderr denki-ledger-verify -T -p operator.pub ledger.jsonl
	assert_equal "$(jq -c '[.provisional, .early]' <<<"$output")" '[["carol"],false]'
	assert_equal "$stderr" ""
}
