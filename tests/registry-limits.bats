#!/usr/bin/env bats
# Registry limits: max_wh (Wh a slot over a participant's orders) and
# max_day (what it may owe in the local day), set by denki-registry -w/-l,
# enforced by denki-clear's book filter (orders in id order) and replayed
# by contract-sign and ledger-verify.  Fee 10000 a kWh (make_community).

load test_helper

S1=2026-01-01T10:00:00+00:00
S2=2026-01-01T10:30:00+00:00
NEXTDAY=2026-01-02T10:00:00+00:00

setup() {
	common_setup
	make_community_once s1 s2 b1 b2
	# the rules in the ledger, as after any first clearing
	denki-clear -c coop.yaml -s 2026-01-01T09:00:00+00:00 </dev/null |
	    denki-contract-sign -c coop.yaml >/dev/null
}

oid() {
	printf '%s' "$1" | sha256sum | cut -c1-64
}

limits_of() {	# ID: "max_wh max_day" from registry list
	denki-registry -c coop.yaml list | jq -r --arg id "$1" 'select(.id==$id) | "\(.max_wh) \(.max_day)"'
}

@test "registry -w/-l: add sets, update keeps what it is not given, none removes, list shows" {
	denki-keygen dave >/dev/null
	denki-registry request dave -s dave.key >dave.json
	run -0 denki-registry -c coop.yaml add -w 2500 -l 300000 dave.json
	assert_equal "$(jq -c '[.max_wh, .max_day]' <<<"$output")" '[2500,300000]'
	assert_equal "$(limits_of dave)" "2500 300000"
	run -0 denki-registry -c coop.yaml update dave -z north
	assert_equal "$(limits_of dave)" "2500 300000"
	run -0 denki-registry -c coop.yaml update dave -w 4000
	assert_equal "$(limits_of dave)" "4000 300000"
	run -0 denki-registry -c coop.yaml update dave -w none
	assert_equal "$(jq -c 'has("max_wh")' <<<"$output")" false
	assert_equal "$(limits_of dave)" "null 300000"
	run -0 denki-registry -c coop.yaml update dave -l none
	assert_equal "$(limits_of dave)" "null null"
	# 0 is a limit (nothing at all), not none
	run -0 denki-registry -c coop.yaml update dave -w 0 -l 0
	assert_equal "$(limits_of dave)" "0 0"
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "registry -w/-l: bad values are usage errors, 64, the ledger unchanged" {
	cp ledger.jsonl before.jsonl
	run -64 --separate-stderr denki-registry -c coop.yaml update b1 -w -5
	assert_equal "$stderr" "denki-registry: -w -5: must be 0 to 100000000, or none"
	run -64 --separate-stderr denki-registry -c coop.yaml update b1 -w 100000001
	assert_equal "$stderr" "denki-registry: -w 100000001: must be 0 to 100000000, or none"
	run -64 --separate-stderr denki-registry -c coop.yaml update b1 -l abc
	assert_equal "$stderr" "denki-registry: -l abc: must be 0 to 9007199254740991, or none"
	run -64 --separate-stderr denki-registry -c coop.yaml update b1 -l 9007199254740992
	assert_equal "$stderr" "denki-registry: -l 9007199254740992: must be 0 to 9007199254740991, or none"
	cmp ledger.jsonl before.jsonl
}

@test "clear: an order past max_wh is rejected with its reason, 65 and nothing printed; -k clears the rest" {
	denki-registry -c coop.yaml update b1 -w 1000 >/dev/null
	local o1 o2 s
	o1=$(order b1 buy 600 200000 "$S1")
	o2=$(order b1 buy 500 190000 "$S1")
	s=$(order s1 sell 2000 100000 "$S1")
	printf '%s\n' "$o1" "$o2" "$s" >orders.jsonl
	# the orders count in id order: the later of the two goes over
	local late=2 before=600
	if [[ "$(oid "$o2")" < "$(oid "$o1")" ]]; then late=1 before=500; fi
	run -65 --separate-stderr denki-clear -c coop.yaml orders.jsonl
	assert_equal "$output" ""
	assert_equal "$stderr" "denki-clear: orders.jsonl:$late: rejected: over the participant's limit of 1000 Wh a slot ($before Wh in its orders before this one)"
	run -65 --separate-stderr denki-clear -k -c coop.yaml orders.jsonl
	assert_equal "${#stderr_lines[@]}" 1
	assert_equal "$(jq -r 'select(.type=="clearing") | "\(.buy_orders) \(.buy_wh) \(.wh)"' <<<"$output")" "1 $before $before"
	# contract-sign replays the filter and agrees; so does ledger-verify
	printf '%s\n' "$output" >cleared.jsonl
	run -0 denki-contract-sign -c coop.yaml cleared.jsonl
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	# a book that holds the rejected order is refused by the replay
	{ printf '%s\n' "$o1" "$o2"; grep -v '"type":"order"' cleared.jsonl; } >forged.jsonl
	cp ledger.jsonl before.jsonl
	run -65 denki-contract-sign -c coop.yaml -D ledger=ledger.jsonl forged.jsonl
	cmp ledger.jsonl before.jsonl
}

@test "clear: max_day counts the contracts of the same local day, the fee, and the earlier buys of the slot" {
	denki-registry -c coop.yaml update b2 -l 150000 >/dev/null
	{
		order s1 sell 500 180000 "$S1"
		order b2 buy 500 200000 "$S1"
	} >o1.jsonl
	# one pair: [180000, 200000] -> 190000; b2 owes 500 x 190000 / 1000 =
	# 95000 + fee 5000 = 100000.  At first it may: 100000 + 5000 <= 150000
	run -0 denki-clear -c coop.yaml o1.jsonl
	printf '%s\n' "$output" | denki-contract-sign -c coop.yaml >/dev/null
	# 10:30: 300 x 200000 / 1000 + 3000 = 63000; 100000 + 63000 > 150000
	{
		order s2 sell 1000 100000 "$S2"
		order b2 buy 300 200000 "$S2"
	} >o2.jsonl
	run -65 --separate-stderr denki-clear -c coop.yaml o2.jsonl
	assert_equal "$stderr" "denki-clear: o2.jsonl:2: rejected: over the participant's limit of 150000 a day: it may owe 100000 already and this order up to 63000"
	# 200 Wh: 40000 + 2000 = 42000, 142000 <= 150000: accepted
	order b2 buy 200 200000 "$S2" >o3.jsonl
	run -0 denki-clear -c coop.yaml o3.jsonl
	# the next day owes nothing yet
	order b2 buy 300 200000 "$NEXTDAY" >o4.jsonl
	run -0 --separate-stderr denki-clear -c coop.yaml o4.jsonl
	assert_equal "$stderr" ""
	# selling is not owing
	order b2 sell 5000 100000 "$S2" >o5.jsonl
	run -0 denki-clear -c coop.yaml o5.jsonl
}

@test "clear and contract-sign agree on max_day before the ledger holds any rules" {
	# a fresh community: no rules entry yet
	rm -rf fresh && mkdir fresh && cd fresh
	make_community s1 b1
	denki-registry -c coop.yaml update b1 -l 105000 >/dev/null
	# 1000 x 100000 / 1000 = 100000 + fee 10000 = 110000 > 105000
	{
		order s1 sell 1000 100000
		order b1 buy 1000 100000
	} >orders.jsonl
	run -65 --separate-stderr denki-clear -c coop.yaml orders.jsonl
	assert_equal "$stderr" "denki-clear: orders.jsonl:2: rejected: over the participant's limit of 105000 a day: it may owe 0 already and this order up to 110000"
	# what clear let through, contract-sign signs: the same limits
	run -0 --separate-stderr bash -c 'denki-clear -k -c coop.yaml orders.jsonl 2>/dev/null | denki-contract-sign -c coop.yaml'
	assert_equal "$stderr" ""
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
}
