#!/usr/bin/env bats
# The limits of denki-formats(5), Units: an order or a slot holds at most
# 100000000 Wh (each side of the book, each way of the readings); prices,
# fees and tariffs are at most 10000000000 micro-units a kWh.  Anything
# clear admits can then be settled: a slot moves at most 6 x 10^15
# micro-units (plus rounding), below 2^53 - 1 = 9007199254740991.

load test_helper

SLOT=2026-01-01T10:00:00+00:00
MAXWH=100000000
MAXP=10000000000

# coop.yaml with every price at PRICE (default the largest)
prices() {
	sed -i -e "s/retail: .*/retail: ${1:-$MAXP}/" \
	    -e "s/buyback: .*/buyback: ${2:-$MAXP}/" \
	    -e "s/fee: .*/fee: ${3:-$MAXP}/" coop.yaml
}

setup() {
	common_setup
	make_community_once s1 s2 b1 b2
	prices
}

# reading METER IMPORT EXPORT [SLOT]
reading() {
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s}\n' \
	    "$1" "${4:-$SLOT}" "$2" "$3"
}

# sums.py <records: exact integer sums (no floating point): "OK" when the
# transfers sum to zero, each settlement's net is its party's transfers,
# and p2p_paid = p2p_received + fees + wheeling + rent over the slot;
# then each party's balance, and the largest amount seen
sums() {
	python3 -c '
import json, sys
bal, net, paid, recv, fees, big = {}, {}, 0, 0, 0, 0
for line in sys.stdin:
    r = json.loads(line)
    if r["type"] == "transfer":
        bal[r["from"]] = bal.get(r["from"], 0) - r["amount"]
        bal[r["to"]] = bal.get(r["to"], 0) + r["amount"]
        big = max(big, r["amount"])
    elif r["type"] == "settlement":
        net[r["participant"]] = r["net"]
        paid += r["p2p_paid"]
        recv += r["p2p_received"]
        fees += r["fees"] + r.get("wheeling", 0) + r.get("rent", 0)
        big = max(big, *(abs(v) for v in r.values() if isinstance(v, int)))
ok = sum(bal.values()) == 0 and paid == recv + fees and all(
    bal[p] == n for p, n in net.items())
print("OK" if ok else "BAD")
for p in sorted(bal):
    print(p, bal[p])
print("largest", big)
'
}

@test "limits: a slot at the bounds (1e8 Wh a side, every price 1e10) clears, settles to zero exactly and verifies" {
	# four orders a side, 1e8 Wh in all, every buy at or above every
	# sell: all of it trades, at 9999999999; Wh in thousands, so that
	# each contract's value is exact
	{
		order s1 sell 25000000 $((MAXP - 2))
		order s1 sell 25000000 $((MAXP - 1))
		order s1 sell 24999000 $((MAXP - 1))
		order s1 sell 25001000 $((MAXP - 2))
		order b1 buy 25000000 $MAXP
		order b1 buy 25000000 $((MAXP - 1))
		order b1 buy 24999000 $MAXP
		order b1 buy 25001000 $MAXP
	} >orders.jsonl
	run -0 --separate-stderr denki-clear -c coop.yaml orders.jsonl
	assert_equal "$stderr" ""
	echo "$output" >cleared.jsonl
	assert_equal "$(tail -n 1 cleared.jsonl | jq -c '[.sell_wh, .buy_wh, .wh, .price]')" \
	    "[$MAXWH,$MAXWH,$MAXWH,9999999999]"
	run -0 --separate-stderr denki-contract-sign -c coop.yaml cleared.jsonl
	# the worst case for the sums: s1 sold it all and imported 1e8, b1
	# bought it all and exported 1e8, at retail = buyback = fee = 1e10
	{
		reading s1-m $MAXWH 0
		reading b1-m 0 $MAXWH
	} >readings.jsonl
	run -0 --separate-stderr denki-settle -c coop.yaml readings.jsonl
	assert_equal "$stderr" ""
	echo "$output" >settled.jsonl
	# s1: 1e8 x 9999999999 / 1000 received; -2e8 Wh short at 1e10
	# b1: the same paid, and a fee of 1e15; +2e8 Wh surplus at 1e10
	assert_equal "$(jq -c 'select(.type == "settlement") | [.participant, .deviation_wh, .p2p_paid, .p2p_received, .fees, .utility_paid, .utility_received, .net]' settled.jsonl)" \
	    '["b1",200000000,1999999999900000,0,1000000000000000,0,2000000000000000,100000]
["s1",-200000000,0,999999999900000,0,2000000000000000,0,-1000000000100000]'
	run -0 sums <settled.jsonl
	assert_output "OK
b1 100000
operator 1000000000000000
s1 -1000000000100000
utility 0
largest 2000000000000000"
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
	run -0 --separate-stderr denki-report ledger.jsonl
	assert_equal "$(jq -c 'select(.type == "statement") | [.participant, .net, .baseline, .saving]' <<<"$output")" \
	    '["b1",100000,1000000000000000,-999999999900000]
["s1",-1000000000100000,-1000000000000000,-100000]'
}

@test "limits: 2000 orders filling a slot, prices that round, settle to zero exactly" {
	local i
	prices 9999999999 9999999997 9999999999
	# 500 orders of each participant, 1e5 Wh each: 1e8 Wh a side;
	# sells at 9999998000.., buys at ..10000000000: all of them match
	# (each participant's 500 signed in one go: s1's, s2's, b1's, b2's)
	for i in $(seq 0 499); do
		printf '{"type":"order","v":1,"participant":"s1","slot":"%s","side":"sell","wh":100000,"price":%s}\n' $SLOT $((9999998000 + i))
	done | sign_with s1.key >orders.jsonl
	for i in $(seq 0 499); do
		printf '{"type":"order","v":1,"participant":"s2","slot":"%s","side":"sell","wh":100001,"price":%s}\n' $SLOT $((9999998500 + i))
	done | sign_with s2.key >>orders.jsonl
	for i in $(seq 0 499); do
		printf '{"type":"order","v":1,"participant":"b1","slot":"%s","side":"buy","wh":99999,"price":%s}\n' $SLOT $((MAXP - i))
	done | sign_with b1.key >>orders.jsonl
	for i in $(seq 0 499); do
		printf '{"type":"order","v":1,"participant":"b2","slot":"%s","side":"buy","wh":100001,"price":%s}\n' $SLOT $((MAXP - 500 - i))
	done | sign_with b2.key >>orders.jsonl
	[ "$(wc -l <orders.jsonl)" -eq 2000 ]
	# s1 and s2: 500 x 100000 + 500 x 100001 = 100000500: over by 500
	run -65 --separate-stderr denki-clear -c coop.yaml orders.jsonl
	assert_output ""
	assert_regex "${stderr_lines[0]}" "^denki-clear: orders\.jsonl:[0-9]+: rejected: over the limit of 100000000 Wh a slot: the sell orders before this one hold 99[0-9]{6} Wh$"
	# -k clears without the sells that would pass the limit
	run -65 --separate-stderr denki-clear -k -c coop.yaml orders.jsonl
	echo "$output" >cleared.jsonl
	assert_equal "$(tail -n 1 cleared.jsonl | jq -c '[.sell_orders + '"${#stderr_lines[@]}"', .buy_orders, .buy_wh, .sell_wh <= 100000000, .sell_wh > 99899999]')" \
	    '[1000,1000,100000000,true,true]'
	run -0 --separate-stderr denki-contract-sign -c coop.yaml cleared.jsonl
	{
		reading s1-m $((MAXWH - 7)) 1
		reading s2-m 0 3
		reading b1-m 7 $((MAXWH - 4))
		reading b2-m 0 0
	} >readings.jsonl
	run -0 --separate-stderr denki-settle -c coop.yaml readings.jsonl
	assert_equal "$stderr" ""
	echo "$output" >settled.jsonl
	[ "$(jq -s 'map(select(.type == "transfer" and .reason == "p2p")) | length' settled.jsonl)" -gt 1000 ]
	run -0 sums <settled.jsonl
	assert_line -n 0 OK
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
}

@test "limits: an order past 1e8 Wh on either side of a slot is rejected: 65, file:line, nothing out" {
	{
		order s1 sell $MAXWH 100000
		order s2 sell 1 100000
	} >sells.jsonl
	run -65 --separate-stderr denki-clear -c coop.yaml sells.jsonl
	assert_output ""
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" '^denki-clear: sells\.jsonl:[12]: rejected: over the limit of 100000000 Wh a slot: the sell orders before this one hold (100000000|1) Wh$'
	{
		order b1 buy 60000000 200000
		order b2 buy 40000001 200000
	} >buys.jsonl
	run -65 --separate-stderr denki-clear -c coop.yaml buys.jsonl
	assert_output ""
	assert_regex "$stderr" '^denki-clear: buys\.jsonl:[12]: rejected: over the limit of 100000000 Wh a slot: the buy orders before this one hold (60000000|40000001) Wh$'
	# the limit is the slot's: another slot takes its own 1e8
	{
		order s1 sell $MAXWH 100000
		order s2 sell $MAXWH 100000 2026-01-01T10:30:00+00:00
	} >two.jsonl
	run -0 --separate-stderr denki-clear -c coop.yaml two.jsonl
	assert_equal "$(jq -c 'select(.type == "clearing") | .sell_wh' <<<"$output")" "$MAXWH
$MAXWH"
}

@test "limits: wh and price past their limits are rejected: 65 with the field and the range" {
	order s1 sell 100 100000 >bad.jsonl
	order b1 buy $((MAXWH + 1)) 200000 >>bad.jsonl
	run -65 --separate-stderr denki-clear -c coop.yaml bad.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-clear: bad.jsonl:2: rejected: wh: must be from 1 to 100000000, got 100000001 (energy in Wh)"
	order s1 sell 100 100000 >bad.jsonl
	order b1 buy 100 $((MAXP + 1)) >>bad.jsonl
	run -65 --separate-stderr denki-clear -c coop.yaml bad.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-clear: bad.jsonl:2: rejected: price: must be from 0 to 10000000000, got 10000000001 (a limit price in micro-units per kWh)"
}

@test "limits: a slot's readings past 1e8 Wh either way are rejected: 65 naming the reading" {
	order s1 sell 1000 100000 >orders.jsonl
	order b1 buy 1000 200000 >>orders.jsonl
	denki-clear -c coop.yaml orders.jsonl | denki-contract-sign -c coop.yaml >/dev/null
	{
		reading s1-m 60000000 0
		reading b1-m 40000001 0
	} >readings.jsonl
	cp ledger.jsonl before.jsonl
	run -65 --separate-stderr denki-settle -c coop.yaml readings.jsonl
	assert_output ""
	# whichever reading settle takes second is the one named
	assert_regex "${stderr_lines[0]}" "^denki-settle: readings\.jsonl:([12]): rejected: import_wh: the slot's readings would import more than 100000000 Wh \((60000000|40000001) before this one\)$"
	assert_equal "${stderr_lines[1]}" "denki-settle: nothing was appended"
	cmp ledger.jsonl before.jsonl
	{
		reading s1-m 0 $MAXWH
		reading b1-m 0 1
	} >readings.jsonl
	run -65 --separate-stderr denki-settle -c coop.yaml readings.jsonl
	assert_regex "${stderr_lines[0]}" "^denki-settle: readings\.jsonl:([12]): rejected: export_wh: the slot's readings would export more than 100000000 Wh \((100000000|1) before this one\)$"
	cmp ledger.jsonl before.jsonl
	# at the limit both ways, the slot settles
	{
		reading s1-m $((MAXWH - 1)) 0
		reading b1-m 1 $MAXWH
	} >readings.jsonl
	run -0 --separate-stderr denki-settle -c coop.yaml readings.jsonl
	run -0 sums <<<"$output"
	assert_line -n 0 OK
}

@test "limits: report refuses a total past 2^53 - 1 over the ledger: 65 naming the participant and the field" {
	local h
	# b1 pays 2e15 a slot (value and fee at 1e10): past 2^53 in the 5th
	for h in 10 11 12 13 14; do
		order s1 sell $MAXWH $MAXP $(printf '2026-01-01T%s:00:00+00:00' $h)
		order b1 buy $MAXWH $MAXP $(printf '2026-01-01T%s:00:00+00:00' $h)
	done >orders.jsonl
	denki-clear -c coop.yaml orders.jsonl | denki-contract-sign -c coop.yaml >/dev/null
	for h in 10 11 12 13 14; do
		reading s1-m 0 $MAXWH $(printf '2026-01-01T%s:00:00+00:00' $h)
		reading b1-m $MAXWH 0 $(printf '2026-01-01T%s:00:00+00:00' $h)
	done >readings.jsonl
	run -0 --separate-stderr denki-settle -c coop.yaml readings.jsonl
	assert_equal "$(jq -c 'select(.type == "settlement" and .participant == "b1") | .net' <<<"$output" | sort -u)" -2000000000000000
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
	run -65 --separate-stderr denki-report ledger.jsonl
	assert_output ""
	assert_regex "$stderr" '^denki-report: ledger\.jsonl:[0-9]+: entry [0-9]+: participant b1: net: the ledger.s total is beyond \+-\(2\^53-1\)$'
}
