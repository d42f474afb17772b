#!/usr/bin/env bats
# denki-clear over zones: wheeling inside and between zones, links with a
# capacity; zone prices from the flow's duals; settlement of wheeling and
# congestion rent.  Community: retail 300000, buyback 100000, fee 10000;
# s1 in zone z1, s2 and b2 in zone z2.

load test_helper

SLOT=2026-01-01T10:00:00+00:00

setup() {
	common_setup
	make_community_once s1 s2 b2
	denki-registry -c coop.yaml update s1 -z z1 >/dev/null
	denki-registry -c coop.yaml update s2 -z z2 >/dev/null
	denki-registry -c coop.yaml update b2 -z z2 >/dev/null
	{
		order s1 sell 1000 100000
		order s2 sell 1000 180000
		order b2 buy 1000 200000
	} >orders.jsonl
}

# link CAPACITY WHEELING: coop.yaml joins z1 and z2 by link t
link() {
	printf 'links:\n  t:\n    zones: [z1, z2]\n    capacity_wh: %s\n    wheeling: %s\n' "$1" "$2" >>coop.yaml
}

trades() {
	jq -r 'select(.type=="trade") | "\(.seller) \(.seller_zone) \(.buyer) \(.buyer_zone) \(.wh) \(.price) \(.buy_price) \(.wheeling)"' <<<"$output"
}

summary() {
	jq -c 'select(.type=="clearing") | [.price, .wh, [.zones[] | [.zone, .price, .sold_wh, .bought_wh]], .links]' <<<"$output"
}

@test "zones: a link that binds splits the prices; the buyer across it pays the congestion rent" {
	link 400 5000
	# s1 -> b2 over t gains 200000 - 100000 - 5000 = 95000 a kWh, s2 -> b2
	# 20000: t carries its 400 Wh, s2 sells the other 600.  Both sellers'
	# levels are partly used, so each zone's price is its seller's limit:
	# z1 100000, z2 180000.  s1 gets 100000, b2 pays z2's 180000 for all:
	# 180000 - 100000 - 5000 = 75000 a kWh of rent
	run -0 --separate-stderr denki-clear -c coop.yaml orders.jsonl
	assert_equal "$stderr" ""
	assert_equal "$(trades)" "s2 z2 b2 z2 600 180000 180000 0
s1 z1 b2 z2 400 100000 180000 5000"
	assert_equal "$(summary)" '[null,1000,[["z1",100000,400,0],["z2",180000,600,1000]],[{"link":"t","wh":400}]]'
}

@test "zones: a link that does not bind: the prices differ by its wheeling exactly" {
	link 5000 5000
	# all of b2's 1000 Wh from s1 over t; z2 = z1 + 5000.  z1's range:
	# s1 sold whole (>= 100000), s2 unsold (z2 <= 180000, z1 <= 175000):
	# [100000, 175000] -> 137500, z2 142500; no rent
	run -0 denki-clear -c coop.yaml orders.jsonl
	assert_equal "$(trades)" "s1 z1 b2 z2 1000 137500 142500 5000"
	assert_equal "$(summary)" '[null,1000,[["z1",137500,1000,0],["z2",142500,0,1000]],[{"link":"t","wh":1000}]]'
}

@test "zones: a link without charge that does not bind: one price, as one zone" {
	link 5000 0
	# [100000, 180000] -> 140000 in both zones: the clearing price
	run -0 denki-clear -c coop.yaml orders.jsonl
	assert_equal "$(trades)" "s1 z1 b2 z2 1000 140000 140000 0"
	assert_equal "$(summary)" '[140000,1000,[["z1",140000,1000,0],["z2",140000,0,1000]],[{"link":"t","wh":1000}]]'
	# the rules entry signed into the ledger names the link
	denki-clear -c coop.yaml orders.jsonl | denki-contract-sign -c coop.yaml >/dev/null
	assert_equal "$(jq -c 'select(.rec.type=="rules") | [.rec.wheeling_inside, .rec.wheeling_between, .rec.links]' ledger.jsonl)" \
	    '[0,0,[{"a":"z1","b":"z2","capacity_wh":5000,"name":"t","wheeling":0}]]'
}

@test "zones: without links, wheeling.between joins every two zones without limit; wheeling.inside on every kWh" {
	printf 'wheeling:\n  inside: 1000\n  between: 7480\n' >>coop.yaml
	# s1 -> b2 gains 200000 - 100000 - 8480; s2 -> b2 200000 - 180000 -
	# 1000: all from s1.  z1 in [100000, 180000 - 7480 = 172520] (s2 unsold)
	# and b2's 200000 - 1000 - 7480 = 191520: [100000, 172520] -> 136260,
	# z2 = 143740; b2 pays 143740 + 1000 inside
	run -0 denki-clear -c coop.yaml orders.jsonl
	assert_equal "$(trades)" "s1 z1 b2 z2 1000 136260 144740 8480"
	assert_equal "$(summary)" '[null,1000,[["z1",136260,1000,0],["z2",143740,0,1000]],null]'
}

@test "zones: settlement pays the seller, the grid's wheeling and the operator's rent; the slot sums to zero" {
	link 400 5000
	denki-clear -c coop.yaml orders.jsonl >cleared.jsonl
	run -0 denki-contract-sign -c coop.yaml cleared.jsonl
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s}\n' \
	    s1-m "$SLOT" 0 400 s2-m "$SLOT" 0 600 b2-m "$SLOT" 1000 0 >readings.jsonl
	run -0 --separate-stderr denki-settle -c coop.yaml readings.jsonl
	assert_equal "$stderr" ""
	# s2 -> b2 600 at 180000: 108000 p2p, fee 6000
	# s1 -> b2 400: b2 pays 400 x 180000 / 1000 = 72000: s1 gets 400 x
	# 100000 / 1000 = 40000, the grid 400 x 5000 / 1000 = 2000, the
	# operator 72000 - 40000 - 2000 = 30000 rent; fee 4000
	assert_equal "$(jq -r 'select(.type=="transfer") | "\(.from) \(.to) \(.amount) \(.reason)"' <<<"$output")" "b2 s2 108000 p2p
b2 operator 6000 fee
b2 s1 40000 p2p
b2 operator 4000 fee
b2 grid 2000 wheeling
b2 operator 30000 rent"
	assert_equal "$(jq -c 'select(.type=="settlement" and .participant=="b2") | [.p2p_paid, .fees, .wheeling, .rent, .net]' <<<"$output")" \
	    '[190000,10000,2000,30000,-190000]'
	# the participants' nets: s1 +40000, s2 +108000, b2 -190000 = -42000,
	# what went to the operator (fees 10000, rent 30000) and the grid (2000)
	assert_equal "$(jq -r 'select(.type=="settlement") | .net' <<<"$output" | paste -sd+ | bc)" -42000
	assert_equal "$(jq -r 'select(.type=="transfer" and (.to=="operator" or .to=="grid")) | .amount' <<<"$output" | paste -sd+ | bc)" 42000
	# settle signed them into the ledger; ledger-verify checks the slot
	# balances (p2p_paid = p2p_received + fees + wheeling + rent)
	assert_equal "$(jq -r 'select(.rec.type=="settlement") | "\(.rec.participant) \(.rec.rent)"' ledger.jsonl | tr '\n' ' ')" "b2 30000 s1 0 s2 0 "
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "zones: bad links are configuration errors, 78, with the link named" {
	order s1 sell 100 100000 >one.jsonl
	cp coop.yaml base.yaml
	printf 'links:\n  t:\n    zones: [z1, z1]\n    capacity_wh: 5\n' >>coop.yaml
	run -78 --separate-stderr denki-clear -c coop.yaml one.jsonl
	assert_equal "$stderr" "denki-clear: coop.yaml: links.t: joins zone z1 to itself"
	cp base.yaml coop.yaml
	printf 'links:\n  t:\n    zones: [z1, z2]\n    capacity_wh: 5\n  u:\n    zones: [z2, z1]\n    capacity_wh: 9\n' >>coop.yaml
	run -78 --separate-stderr denki-clear -c coop.yaml one.jsonl
	assert_equal "$stderr" "denki-clear: coop.yaml: links.u: zones z2 and z1 are already joined by links.t"
	cp base.yaml coop.yaml
	printf 'links:\n  t:\n    zones: [z1, z2]\n    wheeling: 5\n' >>coop.yaml
	run -78 --separate-stderr denki-clear -c coop.yaml one.jsonl
	assert_equal "$stderr" "denki-clear: coop.yaml: links.t.capacity_wh: missing (Wh per slot)"
	cp base.yaml coop.yaml
	printf 'links:\n  t:\n    zones: [z1, z2]\n    capacity_wh: 5\n    kv: 6600\n' >>coop.yaml
	run -78 --separate-stderr denki-clear -c coop.yaml one.jsonl
	assert_equal "$stderr" "denki-clear: coop.yaml:19: links.t.kv: unknown setting (zones, capacity_wh, wheeling)"
	assert_equal "$output" ""
}
