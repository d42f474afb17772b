#!/usr/bin/env bats
# denki-report: what each member earned and saved; community figures.

load test_helper

# A ledger of open readings: the statement's export_wh and import_wh are the
# meters' (tests/privacy.bats has the report of a ledger of committed readings).
READINGS=open

S1=2026-01-01T10:00:00+00:00
S2=2026-01-01T10:30:00+00:00
S3=2026-01-01T11:00:00+00:00

reading() {
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s}\n' "$@"
}

# A small community, by hand (retail 300000, buyback 100000, fee 10000):
#  S1: alice sells 1010 at 135050: 600 to bob (81030), 410 to carol
#      (55370.5 -> 55371); metered alice 5 in 1000 out, bob 590 in,
#      carol 410 in.
#  S2: alice sells 200 at 100000 to bob (20000); alice 300 out, bob 200
#      in, carol 50 in.
#  S3: alice asks 250000, bob bids 200000 for 100: no trade, not settled.
setup() {
	common_setup
	make_community_once
	{
		order alice sell 1010 120000 $S1
		order bob buy 600 200000 $S1
		order carol buy 410 150100 $S1
		order alice sell 300 100000 $S2
		order bob buy 200 120000 $S2
		order alice sell 100 250000 $S3
		order bob buy 100 200000 $S3
	} >orders.jsonl
	denki-clear -c coop.yaml orders.jsonl >cleared.jsonl
	denki-contract-sign -c coop.yaml cleared.jsonl >/dev/null
	{
		reading alice-m $S1 5 1000
		reading bob-m $S1 590 0
		reading carol-m $S1 410 0
		reading alice-m $S2 0 300
		reading bob-m $S2 200 0
		reading carol-m $S2 50 0
	} >readings.jsonl
	denki-settle -c coop.yaml readings.jsonl >/dev/null
}

@test "report: the summary and each member's statement, to the unit" {
	run -0 --separate-stderr denki-report -p operator.pub ledger.jsonl
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 6
	# 49 entries: the genesis, 3 participants each with a checkpoint,
	# terms, rules; S1 3 orders, clearing, 2 contracts, checkpoint; S2
	# 2 + 1 + 1 + 1; S3 2 + 1 + 1; settle S1 3 readings, 3 settlements,
	# 6 transfers, checkpoint; S2 3 + 3 + 4 + 1.
	# offered 1010 + 300 + 100, wanted 1010 + 200 + 100; matchable the
	# smaller of each slot: 1010 + 200 + 100; matched 1010 + 200.
	# average price: (81030 + 55371 + 20000) x 1000 / 1210 = 129257.02
	assert_equal "${lines[0]}" '{"avg_price":129257,"buy_wh":1310,"buyback":100000,"contracts":3,"currency":"EUR","entries":49,"ledger":"ledger.jsonl","matchable_wh":1310,"matched_wh":1210,"orders":7,"retail":300000,"sell_wh":1410,"slots_cleared":3,"type":"summary","v":1}'
	# settlement completion, the month's and the day's: 6 member-slots
	# (S1, S2 x alice, bob, carol), every one on its readings
	assert_equal "${lines[1]}" '{"member_slots":6,"on_readings":6,"pending":0,"period":"2026-01","provisional":0,"share_bp":10000,"trued_up":0,"type":"completion","v":1}'
	assert_equal "${lines[2]}" '{"member_slots":6,"on_readings":6,"pending":0,"period":"2026-01-01","provisional":0,"share_bp":10000,"trued_up":0,"type":"completion","v":1}'
	# alice: net 131901 (S1) + 30000 (S2: 20000 + 100 surplus x 100);
	#   without the market 995 x 100 + 300 x 100 = 129500
	assert_equal "${lines[3]}" '{"baseline":129500,"bought_wh":0,"export_wh":1300,"import_wh":5,"net":161901,"participant":"alice","saving":32401,"slots":2,"sold_wh":1210,"type":"statement","v":1}'
	# bob: -86030 - 22000 (20000 + fee 2000); without: -(590 + 200) x 300
	assert_equal "${lines[4]}" '{"baseline":-237000,"bought_wh":800,"export_wh":0,"import_wh":790,"net":-108030,"participant":"bob","saving":128970,"slots":2,"sold_wh":0,"type":"statement","v":1}'
	# carol: -59471 - 15000 (50 short x 300); without: -(410 + 50) x 300
	assert_equal "${lines[5]}" '{"baseline":-138000,"bought_wh":410,"export_wh":0,"import_wh":460,"net":-74471,"participant":"carol","saving":63529,"slots":2,"sold_wh":0,"type":"statement","v":1}'
}

@test "report: the statements' nets are the settlements' nets summed" {
	run -0 --separate-stderr denki-report ledger.jsonl
	assert_equal "$(jq -r 'select(.type == "statement") | "\(.participant) \(.net)"' <<<"$output")" \
	    "$(jq -r 'select(.rec.type == "settlement") | .rec | "\(.participant) \(.net)"' ledger.jsonl |
	    awk '{ s[$1] += $2 } END { for (p in s) print p, s[p] }' | sort)"
}

@test "report -H: the human table" {
	run -0 --separate-stderr denki-report -H -p operator.pub ledger.jsonl
	assert_equal "$stderr" ""
	assert_output "ledger         ledger.jsonl: 49 entries, 3 slots cleared, settled $S1 .. $S2
orders         7 (1.410 kWh offered for sale, 1.310 kWh wanted)
matched        1.210 kWh in 3 contracts, of 1.310 kWh that could be matched (92.3%)
P2P price      0.1293 EUR/kWh on average (retail 0.3000, buyback 0.1000)

member          kWh out     kWh in     with P2P      without     saved
alice             1.300      0.005         0.16         0.13      0.03
bob               0.000      0.790        -0.11        -0.24      0.13
carol             0.000      0.460        -0.07        -0.14      0.06
(money in EUR: what the member received, less what it paid; \"without\" is the same meters with no P2P market)

completion   member-slots on readings    share provisional trued up pending
2026-01                 6           6  100.00%           0        0       0
2026-01-01              6           6  100.00%           0        0       0"
}

@test "report: a ledger with nothing matched has a null average price" {
	mkdir other && cd other
	make_community alice bob
	{
		order alice sell 100 250000 $S1
		order bob buy 100 200000 $S1
	} | denki-clear -c coop.yaml >c.jsonl
	denki-contract-sign -c coop.yaml c.jsonl >/dev/null
	run -0 --separate-stderr denki-report
	# the genesis, 2 participants each with a checkpoint, terms, rules,
	# 2 orders, the clearing, a checkpoint
	assert_output '{"avg_price":null,"buy_wh":100,"buyback":100000,"contracts":0,"currency":"EUR","entries":11,"ledger":"ledger.jsonl","matchable_wh":100,"matched_wh":0,"orders":2,"retail":300000,"sell_wh":100,"slots_cleared":1,"type":"summary","v":1}'
}

@test "report: the baseline of a slot uses the tariffs it was settled under" {
	mkdir other && cd other
	make_community alice bob
	{
		order alice sell 100 100000 $S1
		order bob buy 100 200000 $S1
	} | denki-clear -c coop.yaml >c1.jsonl
	denki-contract-sign -c coop.yaml c1.jsonl >/dev/null
	# the cooperative raises retail for the slots after
	sed -i 's/retail: 300000/retail: 310000/' coop.yaml
	{
		order alice sell 100 100000 $S2
		order bob buy 100 200000 $S2
	} | denki-clear -c coop.yaml >c2.jsonl
	denki-contract-sign -c coop.yaml c2.jsonl >/dev/null
	# S2's readings too: else S2, past its deadline, is settled
	# provisionally in the same run (issue 15)
	{
		reading alice-m $S1 0 100
		reading bob-m $S1 150 0
		reading alice-m $S2 0 100
		reading bob-m $S2 100 0
	} >r.jsonl
	# S1 is settled under its own rules: bob's 50 short at 300000
	run -0 --separate-stderr denki-settle -c coop.yaml r.jsonl
	assert_line --partial '"amount":15000,"from":"bob","reason":"shortfall"'
	run -0 --separate-stderr denki-report ledger.jsonl
	# without the market bob would have bought 150 at S1's 300000 and
	# 100 at S2's 310000; with it he paid 31000 in S1 and 15000 + 1000
	# fee in S2
	assert_equal "$(jq -c 'select(.participant == "bob") | [.net, .baseline]' <<<"$output")" "[-47000,-76000]"
}

@test "report -p: a ledger not signed by that key is refused" {
	denki-keygen other >/dev/null
	run --separate-stderr denki-report -p other.pub ledger.jsonl
	assert_equal "$status" 65
	assert_output ""
	assert_equal "$stderr" 'denki-report: ledger.jsonl:1: entry 0: key: the ledger names another operator key'
}

@test "report: a missing ledger: 66; -h; a bad option: 64" {
	run -66 --separate-stderr denki-report nosuch.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-report: nosuch.jsonl: No such file or directory"
	run -0 --separate-stderr denki-report -h
	assert_output "usage: denki-report [-H] [-p operator.pub] [ledger]"
	run -64 --separate-stderr denki-report -x
	assert_output ""
	assert_equal "${stderr_lines[1]}" "usage: denki-report [-H] [-p operator.pub] [ledger]"
}

@test "report, and clear: entries after the last checkpoint (never acknowledged, signed by nobody) are refused: 65" {
	local n
	# a crash's leftover: the last append without its checkpoint
	head -n -1 ledger.jsonl >cut.jsonl
	n=$(wc -l <cut.jsonl)
	cp cut.jsonl ledger.jsonl
	run -65 --separate-stderr denki-report -p operator.pub ledger.jsonl
	assert_output ""
	assert_regex "$stderr" "^denki-report: ledger\\.jsonl: entries [0-9]+ to $((n - 1)) follow the last checkpoint: an append that was never acknowledged; run denki-ledger-recover first$"
	run -65 --separate-stderr denki-report ledger.jsonl
	assert_output ""
	# clear reads the registry and rules from it: the same
	run -65 --separate-stderr denki-clear -c coop.yaml orders.jsonl
	assert_output ""
	assert_regex "$stderr" "^denki-clear: ledger\\.jsonl: entries [0-9]+ to $((n - 1)) follow the last checkpoint"
	# recovered, both read it again
	run -0 denki-ledger-recover -c coop.yaml
	run -0 --separate-stderr denki-report ledger.jsonl
	order alice sell 100 100000 2026-01-01T12:00:00+00:00 >new.jsonl
	run -0 --separate-stderr denki-clear -c coop.yaml new.jsonl
	assert_equal "$(jq -r .type <<<"${lines[-1]}")" clearing
}

# A ledger whose settlements lack a member, linked and signed again by the
# operator: the records are malformed, their signatures good.  report
# refused nothing and crashed on a NULL participant, with -p as without.
@test "report: a settlement without a participant or slot is refused, not a crash" {
	load resign
	local n
	n=$(jq -r .rec.type ledger.jsonl | grep -n -x settlement | head -n 1 | cut -d: -f1)
	for del in participant slot; do
		{
			head -n $((n - 1)) ledger.jsonl
			sed -n "${n}p" ledger.jsonl | jq -c "del(.rec.$del)"
			tail -n +$((n + 1)) ledger.jsonl
		} >edited.jsonl
		resign edited.jsonl "$n" >bad.jsonl
		run -65 --separate-stderr denki-report -p operator.pub bad.jsonl
		assert_output ""
		assert_equal "$stderr" "denki-report: bad.jsonl:$n: entry $((n - 1)): $del: missing"
		run -65 --separate-stderr denki-report bad.jsonl
		assert_equal "$stderr" "denki-report: bad.jsonl:$n: entry $((n - 1)): $del: missing"
	done
	# a participant that is not an id
	{
		head -n $((n - 1)) ledger.jsonl
		sed -n "${n}p" ledger.jsonl | jq -c '.rec.participant = 7'
		tail -n +$((n + 1)) ledger.jsonl
	} >edited.jsonl
	resign edited.jsonl "$n" >bad.jsonl
	run -65 --separate-stderr denki-report -p operator.pub bad.jsonl
	assert_equal "$stderr" "denki-report: bad.jsonl:$n: entry $((n - 1)): participant: must be a string, got 7"
}
