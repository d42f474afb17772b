#!/usr/bin/env bats
# denki-clear's mechanisms (coop.yaml "mechanism:"), each on a small book
# worked out by hand.  Community: retail 300000, buyback 100000, fee 10000
# (make_community), one zone.

load test_helper

setup() {
	common_setup
	make_community_once s1 s2 b1 b2 b3
}

# trades: "seller buyer wh price buy_price wheeling" per trade
trades() {
	jq -r 'select(.type=="trade") | "\(.seller) \(.buyer) \(.wh) \(.price) \(.buy_price) \(.wheeling)"' <<<"$output"
}

clearing() {
	jq -c 'select(.type=="clearing") | del(.book, .slot, .type, .v)' <<<"$output"
}

# sells s1 500@100000, s2 500@140000; buys b1 600@200000, b2 300@120000
book1() {
	order s1 sell 500 100000
	order s2 sell 500 140000
	order b1 buy 600 200000
	order b2 buy 300 120000
}

@test "mechanism uniform (the default): the midpoint of the clearing interval, no buy_price field" {
	book1 >orders.jsonl
	# s1 500 to b1 (200000 >= 100000), s2 100 to b1 (200000 >= 140000);
	# then s2 at 140000 > b2 at 120000: Q = 600.  s = 140000 (s2, partly),
	# b = 200000, s' = 140000, b' = 120000: [140000, 140000] -> 140000
	run -0 denki-clear -c coop.yaml orders.jsonl
	assert_equal "$(trades)" "s1 b1 500 140000 null null
s2 b1 100 140000 null null"
	assert_equal "$(clearing)" '{"buy_orders":2,"buy_wh":900,"mechanism":"uniform","price":140000,"sell_orders":2,"sell_wh":1000,"trades":2,"wh":600}'
	# mechanism: uniform said aloud is the same, byte for byte
	local out="$output"
	run -0 denki-clear -c coop.yaml -D mechanism=uniform orders.jsonl
	assert_equal "$output" "$out"
}

@test "mechanism pay-as-bid: the same trades, each at the buyer's limit; no clearing price" {
	book1 >orders.jsonl
	run -0 denki-clear -c coop.yaml -D mechanism=pay-as-bid orders.jsonl
	# buy_price = b1's 200000; price = buy_price - wheeling (0)
	assert_equal "$(trades)" "s1 b1 500 200000 200000 0
s2 b1 100 200000 200000 0"
	assert_equal "$(clearing)" '{"buy_orders":2,"buy_wh":900,"mechanism":"pay-as-bid","price":null,"sell_orders":2,"sell_wh":1000,"trades":2,"wh":600}'
	# contract-sign replays it, the contracts carry buy_price
	denki-clear -c coop.yaml -D mechanism=pay-as-bid orders.jsonl >cleared.jsonl
	run -0 denki-contract-sign -c coop.yaml -D mechanism=pay-as-bid cleared.jsonl
	assert_equal "$(jq -r 'select(.type=="contract") | "\(.wh) \(.price) \(.buy_price)"' <<<"$output")" "500 200000 200000
100 200000 200000"
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "mechanism mid-market: P = buyback + (retail - buyback) / 2, eligible orders pro rata whatever their price" {
	book1 >orders.jsonl
	# P = 100000 + 200000 / 2 = 200000.  Eligible: sells <= P, s1 and s2
	# (1000 Wh); buys >= P, b1 (600 Wh).  600 traded; the sells share it
	# pro rata to their Wh (500:500): 300 each, though s1 asked less
	run -0 denki-clear -c coop.yaml -D mechanism=mid-market orders.jsonl
	assert_equal "$(trades)" "s1 b1 300 200000 200000 0
s2 b1 300 200000 200000 0"
	assert_equal "$(clearing)" '{"buy_orders":2,"buy_wh":900,"mechanism":"mid-market","price":200000,"sell_orders":2,"sell_wh":1000,"trades":2,"wh":600}'
	# retail 300001: P = 100000 + 200001 / 2 = 200000 (rounded down), the same
	run -0 denki-clear -c coop.yaml -D mechanism=mid-market -D prices.retail=300001 orders.jsonl
	assert_equal "$(clearing | jq -c '[.price, .wh]')" '[200000,600]'
	# retail 300003: P = 200001 > b1's 200000: nobody is eligible to buy
	run -0 denki-clear -c coop.yaml -D mechanism=mid-market -D prices.retail=300003 orders.jsonl
	assert_equal "$(trades)" ""
	assert_equal "$(clearing | jq -c '[.price, .wh, .trades]')" '[null,0,0]'
}

@test "mechanism mcafee: p0 within the last traded limits clears everything at p0" {
	{
		order s1 sell 500 100000
		order s2 sell 500 190000
		order b1 buy 500 200000
		order b2 buy 500 110000
	} >orders.jsonl
	# efficient: s1 to b1, 500 Wh; s_m = 100000, b_m = 200000; the first
	# left out s' = 190000, b' = 110000: p0 = 150000 in [100000, 200000]
	run -0 denki-clear -c coop.yaml -D mechanism=mcafee orders.jsonl
	assert_equal "$(trades)" "s1 b1 500 150000 150000 0"
	assert_equal "$(clearing)" '{"buy_orders":2,"buy_wh":1000,"mechanism":"mcafee","price":150000,"reduced":false,"sell_orders":2,"sell_wh":1000,"trades":1,"wh":500}'
}

@test "mechanism mcafee: trade reduction leaves the marginal levels out, the long side pro rata, the operator keeps b_m - s_m" {
	{
		order s1 sell 150 100000
		order s2 sell 150 150000
		order b1 buy 100 300000
		order b2 buy 100 250000
		order b3 buy 100 200000
	} >orders.jsonl
	# efficient: 300 Wh (all); s_m = 150000 (s2), b_m = 200000 (b3); no
	# sell left over, so no p0: reduced.  Better sells: s1 150 Wh; better
	# buys: b1 + b2 200 Wh; 150 traded, the buys pro rata 75 + 75
	# (though b1 bids more: its price never buys it more).  Sellers get
	# 150000, buyers pay 200000.
	# Welfare: 75 x 200000 + 75 x 150000 = 26250000 (micro-units Wh/kWh);
	# the efficient 37500000; best first (b1 100, b2 50) would keep
	# 27500000: pro rata gives up 1250000 more than the marginal levels.
	run -0 denki-clear -c coop.yaml -D mechanism=mcafee orders.jsonl
	assert_equal "$(trades)" "s1 b1 75 150000 200000 0
s1 b2 75 150000 200000 0"
	assert_equal "$(clearing)" '{"buy_orders":3,"buy_wh":300,"mechanism":"mcafee","price":150000,"reduced":true,"sell_orders":2,"sell_wh":300,"trades":2,"wh":150}'
	# settled: each buyer pays 75 x 200000 / 1000 = 15000 + fee 750 = 15750:
	# the seller gets 75 x 150000 / 1000 = 11250 of it, the operator 3750 rent
	denki-clear -c coop.yaml -D mechanism=mcafee orders.jsonl |
	    denki-contract-sign -c coop.yaml -D mechanism=mcafee >/dev/null
	printf '{"type":"reading","v":1,"meter":"%s","slot":"2026-01-01T10:00:00+00:00","import_wh":%s,"export_wh":%s}\n' \
	    s1-m 0 150 b1-m 75 0 b2-m 75 0 s2-m 0 0 b3-m 0 0 >readings.jsonl
	run -0 denki-settle -c coop.yaml -D mechanism=mcafee readings.jsonl
	assert_equal "$(jq -r 'select(.type=="transfer" and .from=="b1") | "\(.to) \(.amount) \(.reason)"' <<<"$output")" "s1 11250 p2p
operator 750 fee
operator 3750 rent"
	assert_equal "$(jq -r 'select(.type=="settlement" and .participant=="b2") | "\(.p2p_paid) \(.rent) \(.wheeling)"' <<<"$output")" "15750 3750 0"
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "mechanism mcafee with wheeling or links: a configuration error, 78, nothing printed" {
	order s1 sell 500 100000 >orders.jsonl
	run -78 --separate-stderr denki-clear -c coop.yaml -D mechanism=mcafee -D wheeling.inside=100 orders.jsonl
	assert_equal "$output" ""
	assert_equal "$stderr" "denki-clear: coop.yaml: mechanism: mcafee clears one zone; wheeling and links need uniform, pay-as-bid or mid-market"
	printf 'mechanism: mcafee\nlinks:\n  t1:\n    zones: [a, b]\n    capacity_wh: 100\n' >>coop.yaml
	run -78 --separate-stderr denki-clear -c coop.yaml orders.jsonl
	assert_equal "$stderr" "denki-clear: coop.yaml: mechanism: mcafee clears one zone; wheeling and links need uniform, pay-as-bid or mid-market"
}

@test "mechanism: an unknown one is a configuration error, 78" {
	order s1 sell 500 100000 >orders.jsonl
	run -78 --separate-stderr denki-clear -c coop.yaml -D mechanism=vickrey orders.jsonl
	assert_equal "$output" ""
	assert_equal "$stderr" 'denki-clear: coop.yaml: mechanism: must be uniform, pay-as-bid, mid-market or mcafee, got "vickrey"'
}
