#!/usr/bin/env bats
# denki-settle under rules of version 2: the percentage fee, consumption
# tax, the tolerance band, a series of imbalance prices and the monthly
# membership fee (denki-formats(5), Settlement rule, Rounding); every
# amount worked by hand below, rounded half away from zero.

load test_helper
load resign

SLOT=2026-01-01T10:00:00+00:00
SLOT2=2026-01-01T10:30:00+00:00
FEB=2026-02-02T09:00:00+00:00

# The slot of tests/settle.bats: alice sells 1010 Wh at 135050 to bob
# (600 Wh: 600 x 135.05 = 81030) and carol (410 Wh: 55370.5 -> 55371);
# fee 10000 a kWh: bob 6000, carol 4100; retail 300000, buyback 100000.
# Readings: alice -15 Wh off her contracts, bob +10, carol even.
setup() {
	common_setup
	make_community
	three_orders >orders.jsonl
	{
		reading alice-m 5 1000
		reading bob-m 590 0
		reading carol-m 410 0
	} >readings.jsonl
}

# money KEY=VALUE...: settings added to coop.yaml (-D, as dotted keys)
money() {
	local kv
	for kv in "$@"; do
		printf '%s\n' "$kv" >>money.conf
	done
}

# D: the -D options of money.conf
D() {
	local kv
	[ -f money.conf ] || return 0
	while read -r kv; do
		printf -- '-D\n%s\n' "$kv"
	done <money.conf
}

# clear_sign [FILE]: the orders cleared and signed under the rules of now
clear_sign() {
	local o=${1:-orders.jsonl}
	mapfile -t d < <(D)
	denki-clear -c coop.yaml "${d[@]}" "$o" >cleared.jsonl &&
	    denki-contract-sign -c coop.yaml "${d[@]}" cleared.jsonl >/dev/null
}

# settle_now FILE: denki-settle with the settings of now
settle_now() {
	mapfile -t d < <(D)
	denki-settle -c coop.yaml "${d[@]}" "$@"
}

# reading METER IMPORT EXPORT [SLOT]
reading() {
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s}\n' \
	    "$1" "${4:-$SLOT}" "$2" "$3"
}

# transfers <records: "from to amount reason" lines
transfers() {
	jq -r 'select(.type == "transfer") | "\(.from) \(.to) \(.amount) \(.reason)"'
}

# zero <records: the sum over every party of what the transfers moved,
# and each participant's net against its transfers (but membership's)
zero() {
	jq -rs '(map(select(.type == "transfer")) | map(.amount) | length) as $n |
	    [ .[] | select(.type == "settlement") | .participant as $p | .net ] as $nets |
	    (map(select(.type == "transfer" and (.month == null))) |
	        map(if (.to | IN("utility", "operator", "grid")) then .amount else 0 end -
	            if (.from | IN("utility", "operator", "grid")) then .amount else 0 end) | add) as $others |
	    ($nets | add) + $others'
}

verify() {
	denki-ledger-verify -p operator.pub -O ledger.jsonl.openings ledger.jsonl
}

@test "settle-money: the percentage fee split, and 10% tax on the fees" {
	money prices.fee_bps=200 prices.fee_payer=split tax.rate_bps=1000
	clear_sign
	run -0 --separate-stderr settle_now readings.jsonl
	# 2% of 81030 = 1620.6 -> 1621: bob the first half, 810.5 -> 811,
	# alice the rest, 810; 2% of 55371 = 1107.42 -> 1107: carol 553.5 ->
	# 554, alice 553.  Tax, 10% of each one's fees of the slot: alice
	# 810 + 553 = 1363 -> 136.3 -> 136; bob 6000 + 811 = 6811 -> 681;
	# carol 4100 + 554 = 4654 -> 465.  Deviations as ever: alice 15 x
	# 300 = 4500 to the utility, bob 10 x 100 = 1000 from it.
	assert_equal "$(transfers <<<"$output")" "bob alice 81030 p2p
bob operator 6000 fee
bob operator 811 fee_pct
alice operator 810 fee_pct
carol alice 55371 p2p
carol operator 4100 fee
carol operator 554 fee_pct
alice operator 553 fee_pct
alice utility 4500 shortfall
alice operator 136 tax
utility bob 1000 surplus
bob operator 681 tax
carol operator 465 tax"
	# nets: alice 136401 - 4500 - 1363 - 136 = 130402; bob -87030 + 1000
	# - 811 - 681 = -87522; carol -59471 - 554 - 465 = -60490
	assert_equal "$(jq -r 'select(.type == "settlement") | "\(.participant) \(.fee_pct) \(.tax) \(.net)"' <<<"$output")" \
	    "alice 1363 136 130402
bob 811 681 -87522
carol 554 465 -60490"
	# the operator 6000 + 4100 + 1621 + 1107 + 136 + 681 + 465 = 14110,
	# the utility 4500 - 1000 = 3500: with the nets, zero
	assert_equal "$(zero <<<"$output")" 0
	run -0 verify
	assert_output --partial "OK:"
	# the rules record of version 2 says it, and so does each contract
	assert_equal "$(jq -c 'select(.rec.type == "rules") | .rec | [.v, .fee_bps, .fee_payer, .tax_bps]' ledger.jsonl)" '[2,200,"split",1000]'
	assert_equal "$(jq -c 'select(.rec.type == "contract") | .rec | [.buyer, .fee_bps, .fee_payer, .tax_bps, .imbalance]' ledger.jsonl)" \
	    '["bob",200,"split",1000,null]
["carol",200,"split",1000,null]'
}

@test "settle-money: the seller pays the percentage fee; the buyer by default" {
	money prices.fee_bps=200 prices.fee_payer=seller
	clear_sign
	run -0 --separate-stderr settle_now readings.jsonl
	# alice pays 1621 and 1107: 2728; no tax without tax.rate_bps
	assert_equal "$(transfers <<<"$output" | grep fee_pct)" "alice operator 1621 fee_pct
alice operator 1107 fee_pct"
	assert_equal "$(jq -c 'select(.type == "settlement") | [.participant, .fee_pct, .tax, .net]' <<<"$output")" \
	    '["alice",2728,null,129173]
["bob",0,null,-86030]
["carol",0,null,-59471]'
	run -0 verify
}

@test "settle-money: fee_payer buyer is the default" {
	money prices.fee_bps=200
	clear_sign
	run -0 --separate-stderr settle_now readings.jsonl
	assert_equal "$(transfers <<<"$output" | grep fee_pct)" "bob operator 1621 fee_pct
carol operator 1107 fee_pct"
	assert_equal "$(jq -r 'select(.rec.type == "rules") | .rec.fee_payer' ledger.jsonl)" buyer
}

@test "settle-money: an imbalance series prices surplus and shortfall alike" {
	printf 'slot,price\n%s,250000\n%s,90000\n' "$SLOT" "$SLOT2" >imb.csv
	money prices.imbalance=imb.csv
	clear_sign
	run -0 --separate-stderr settle_now readings.jsonl
	# one price, 250000 a kWh: alice 15 x 250 = 3750 to the utility, bob
	# 10 x 250 = 2500 from it (not the buyback's 1000)
	assert_equal "$(transfers <<<"$output" | grep -E 'surplus|shortfall')" "alice utility 3750 shortfall
utility bob 2500 surplus"
	assert_equal "$(jq -r 'select(.type == "settlement") | "\(.participant) \(.imbalance_price) \(.net)"' <<<"$output")" \
	    "alice 250000 132651
bob 250000 -84530
carol 250000 -59471"
	assert_equal "$(zero <<<"$output")" 0
	run -0 verify
	# the rules name the file by its SHA-256, and so does each contract
	assert_equal "$(jq -r 'select(.rec.type == "rules") | .rec.imbalance' ledger.jsonl)" "$(sha256sum <imb.csv | cut -c1-64)"
	assert_equal "$(jq -r 'select(.rec.type == "contract") | .rec.imbalance' ledger.jsonl | sort -u)" "$(sha256sum <imb.csv | cut -c1-64)"
}

@test "settle-money: a true-up under an imbalance series is made and replayed at the series' price, with the series file or without it" {
	printf 'slot,price\n%s,250000\n%s,90000\n' "$SLOT" "$SLOT2" >imb.csv
	money prices.imbalance=imb.csv
	clear_sign
	# carol's reading is missing at the deadline (long past): she is
	# settled provisionally on her contracts, deviation 0
	head -n 2 readings.jsonl >early.jsonl
	run -0 --separate-stderr settle_now early.jsonl
	assert_equal "$(jq -r 'select(.type == "settlement" and .participant == "carol") | "\(.v) \(.provisional) \(.deviation_wh) \(.imbalance_price)"' <<<"$output")" \
	    '3 ["carol-m"] 0 250000'
	# her reading comes: 400 Wh of the 410 bought, 10 Wh sold back at the
	# series' 250000 a kWh = 2500 from the utility (not the buyback's 1000)
	reading carol-m 400 0 >late.jsonl
	run -0 --separate-stderr settle_now late.jsonl
	assert_equal "$(transfers <<<"$output")" "utility carol 2500 trueup"
	# the auditor replays it from the price the provisional settlement
	# names, and from the series itself when given it
	run -0 verify
	assert_output --partial "1 settlement provisional (a reading missing at the deadline), 1 trued up, 0 still provisional"
	run -0 denki-ledger-verify -q -p operator.pub -O ledger.jsonl.openings -I imb.csv ledger.jsonl
}

@test "settle-money: the tolerance band at the contract price, the rest at the imbalance price" {
	printf '%s,250000\n' "$SLOT" >imb.csv
	money prices.imbalance=imb.csv prices.tolerance_wh=10 prices.tolerance_pct=1
	clear_sign
	run -0 --separate-stderr settle_now readings.jsonl
	# alice: band max(10, 1% of 1010 = 10.1 -> 10) = 10 of her -15:
	# 10 Wh at her contract price, 136401 over 1010 Wh: 10 x 136401 /
	# 1010 = 1350.504 -> 1351; the other 5 at 250: 1250.
	# bob: band max(10, 6) = 10, his +10 all in it: 10 x 81030 / 600 =
	# 1350.5 -> 1351 from the utility; carol even.
	assert_equal "$(transfers <<<"$output" | grep -E 'surplus|shortfall|tolerance')" "alice utility 1351 tolerance
alice utility 1250 shortfall
utility bob 1351 tolerance"
	# nets: alice 136401 - 2601 = 133800; bob -87030 + 1351 = -85679
	assert_equal "$(jq -r 'select(.type == "settlement") | "\(.participant) \(.deviation_wh) \(.tolerance_wh) \(.utility_paid) \(.utility_received) \(.net)"' <<<"$output")" \
	    "alice -15 -10 2601 0 133800
bob 10 10 0 1351 -85679
carol 0 0 0 0 -59471"
	assert_equal "$(zero <<<"$output")" 0
	run -0 verify
}

@test "settle-money: the monthly fee, billed once per member and month, with its tax" {
	money prices.monthly_fee=500000 tax.rate_bps=1000
	clear_sign
	run -0 --separate-stderr settle_now readings.jsonl
	# 500000 each, and 10% of it, 50000; the fees of the slot taxed too:
	# bob 6000 -> 600, carol 4100 -> 410
	assert_equal "$(jq -r 'select(.month != null) | "\(.from) \(.amount) \(.reason) \(.month)"' <<<"$output")" \
	    "alice 500000 membership 2026-01
alice 50000 tax 2026-01
bob 500000 membership 2026-01
bob 50000 tax 2026-01
carol 500000 membership 2026-01
carol 50000 tax 2026-01"
	run -0 verify
	# the same readings again: nothing settles, nobody billed
	run -0 --separate-stderr settle_now readings.jsonl
	assert_output ""
	# a second slot of January: no membership
	{
		order alice sell 100 250000 $SLOT2
		order bob buy 100 200000 $SLOT2
	} >o2.jsonl
	clear_sign o2.jsonl
	{
		reading alice-m 0 333 $SLOT2
		reading bob-m 1 0 $SLOT2
		reading carol-m 2 0 $SLOT2
	} >r2.jsonl
	run -0 --separate-stderr settle_now r2.jsonl
	assert_equal "$(jq -r 'select(.reason == "membership")' <<<"$output")" ""
	# February: each billed again, once
	order alice sell 100 250000 $FEB >o3.jsonl
	clear_sign o3.jsonl
	{
		reading alice-m 0 0 $FEB
		reading bob-m 0 0 $FEB
		reading carol-m 0 0 $FEB
	} >r3.jsonl
	run -0 --separate-stderr settle_now r3.jsonl
	assert_equal "$(jq -r 'select(.reason == "membership") | "\(.from) \(.month)"' <<<"$output")" \
	    "alice 2026-02
bob 2026-02
carol 2026-02"
	assert_equal "$(jq -r 'select(.rec.reason == "membership") | .rec.month' ledger.jsonl | sort | uniq -c | tr -s ' ')" \
	    " 3 2026-01
 3 2026-02"
	run -0 verify
	assert_output --partial "OK:"
	# and replayed from the settlements' deviations, without the openings
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_line --partial "OK:"
}

@test "settle-money: a revoked member is not billed the monthly fee" {
	money prices.monthly_fee=500000
	denki-registry -c coop.yaml revoke carol >/dev/null
	{
		order alice sell 1010 120000
		order bob buy 600 200000
	} >o.jsonl
	clear_sign o.jsonl
	head -n 2 readings.jsonl >r.jsonl
	run -0 --separate-stderr settle_now r.jsonl
	assert_equal "$(jq -r 'select(.reason == "membership") | .from' <<<"$output")" "alice
bob"
	run -0 verify
}

@test "settle-money: each slot settles under the rules it was cleared under" {
	money prices.fee_bps=200
	clear_sign
	# the fee goes up to 3% for the next slot
	sed -i 's/fee_bps=200/fee_bps=300/' money.conf
	{
		order alice sell 100 250000 $SLOT2
		order bob buy 100 250000 $SLOT2
	} >o2.jsonl
	clear_sign o2.jsonl
	{
		cat readings.jsonl
		reading alice-m 0 100 $SLOT2
		reading bob-m 100 0 $SLOT2
		reading carol-m 0 0 $SLOT2
	} >r.jsonl
	run -0 --separate-stderr settle_now r.jsonl
	# the first slot at 2% (1621, 1107), the second at 3% of 100 x 250 =
	# 25000: 750
	assert_equal "$(jq -r 'select(.reason == "fee_pct") | "\(.slot) \(.amount)"' <<<"$output")" \
	    "$SLOT 1621
$SLOT 1107
$SLOT2 750"
	assert_equal "$(jq -c 'select(.rec.type == "rules") | .rec.fee_bps' ledger.jsonl | tr '\n' ' ')" "200 300 "
	run -0 verify
}

@test "settle-money: a slot cleared under another imbalance series is refused, 65, nothing appended" {
	printf '%s,250000\n' "$SLOT" >imb.csv
	money prices.imbalance=imb.csv
	clear_sign
	printf '%s,260000\n' "$SLOT" >imb.csv
	cp ledger.jsonl before.jsonl
	run -65 --separate-stderr settle_now readings.jsonl
	assert_equal "$output" ""
	[[ $stderr == *"readings.jsonl:1: rejected: slot $SLOT: cleared under the imbalance series "*", which prices.imbalance does not name"* ]]
	[[ $stderr == *"nothing was appended"* ]]
	cmp before.jsonl ledger.jsonl
}

@test "settle-money: bad settings and series: 78 naming the key, the file and line" {
	printf 'slot,price\n%s,25x\n' "$SLOT" >bad.csv
	run -78 --separate-stderr denki-settle -c coop.yaml -D prices.imbalance=bad.csv readings.jsonl
	[[ $stderr == *"bad.csv:2: price: must be an integer of micro-units per kWh"* ]]
	printf '%s,1\n%s,2\n' "$SLOT" "$SLOT" >twice.csv
	run -78 --separate-stderr denki-settle -c coop.yaml -D prices.imbalance=twice.csv readings.jsonl
	[[ $stderr == *"twice.csv: a slot given twice"* ]]
	printf '2026-01-01T10:10:00+00:00,1\n' >off.csv
	run -78 --separate-stderr denki-settle -c coop.yaml -D prices.imbalance=off.csv readings.jsonl
	[[ $stderr == *"off.csv:1: slot: must start a 30-minute slot"* ]]
	run -78 --separate-stderr denki-settle -c coop.yaml -D prices.fee_payer=both readings.jsonl
	[[ $stderr == *"fee_payer: must be buyer, seller or split"* ]]
	run -78 --separate-stderr denki-settle -c coop.yaml -D prices.fee_bps=10001 readings.jsonl
	[[ $stderr == *"prices.fee_bps"* ]]
	run -78 --separate-stderr denki-settle -c coop.yaml -D tax.rate_bps=-1 readings.jsonl
	[[ $stderr == *"tax.rate_bps"* ]]
	# a misspelt key in the file: its line and the key meant
	cp coop.yaml good.yaml
	printf 'tax:\n  rate_bp: 1000\n' >>coop.yaml
	run -78 --separate-stderr denki-settle -c coop.yaml readings.jsonl
	assert_equal "$stderr" "denki-settle: coop.yaml:$(wc -l <coop.yaml): tax.rate_bp: unknown setting; did you mean tax.rate_bps?"
	cp good.yaml coop.yaml
	[ ! -e ledger.jsonl ] || [ -z "$(jq -r 'select(.rec.type == "settlement")' ledger.jsonl)" ]
}

# forge_slot FILTER: the operator rewrites the slot's settlement records
# and transfers with the jq FILTER (on each entry's rec) and signs every
# entry and checkpoint after them again (tests/resign.bash)
forge_slot() {
	local first
	first=$(grep -n '"type":"settlement"' ledger.jsonl | head -n 1 | cut -d: -f1)
	jq -cS "if .rec.type == \"settlement\" or .rec.type == \"transfer\" then .rec |= ($1) else . end" \
	    ledger.jsonl >edited.jsonl
	resign edited.jsonl "$first" >ledger.jsonl
}

@test "attack: operator charges a percentage fee above the rules' (3% for 2%), re-signed: ledger-verify refuses" {
	money prices.fee_bps=200
	clear_sign
	settle_now readings.jsonl >/dev/null
	run -0 verify
	# bob's fee_pct 1621 becomes 3%, 2431, his settlement to match
	forge_slot 'if .reason == "fee_pct" and .from == "bob" then .amount = 2431
	    elif .type == "settlement" and .participant == "bob" then .fee_pct = 2431 | .net = .net - 810 else . end'
	assert_equal "$(jq -r 'select(.rec.reason == "fee_pct" and .rec.from == "bob") | .rec.amount' ledger.jsonl)" 2431
	run -1 verify
	assert_output --partial "differs from the replay"
	assert_output --partial "settlement of slot $SLOT"
}

@test "attack: operator bills a second membership fee in a month, re-signed: ledger-verify refuses" {
	money prices.monthly_fee=500000
	clear_sign
	settle_now readings.jsonl >/dev/null
	{
		order alice sell 100 250000 $SLOT2
		order bob buy 100 200000 $SLOT2
	} >o2.jsonl
	clear_sign o2.jsonl
	{
		reading alice-m 0 100 $SLOT2
		reading bob-m 100 0 $SLOT2
	} >r2.jsonl
	settle_now r2.jsonl >/dev/null
	run -0 verify
	# the second slot's last transfer copied as a membership of alice's
	local n
	n=$(grep -n '"type":"transfer"' ledger.jsonl | tail -n 1 | cut -d: -f1)
	{
		head -n "$n" ledger.jsonl
		sed -n "${n}p" ledger.jsonl | jq -cS '.rec |= (.from = "alice" | .to = "operator" | .amount = 500000 | .reason = "membership" | .month = "2026-01")'
		tail -n +$((n + 1)) ledger.jsonl
	} >edited.jsonl
	resign edited.jsonl "$((n + 1))" >ledger.jsonl
	run -1 verify
	assert_output --partial "transfer outside a settlement"
}

# series_settled: the slot cleared under imb.csv (250000 for it) and
# settled; the ledger verifies
series_settled() {
	printf 'slot,price\n%s,250000\n' "$SLOT" >imb.csv
	money prices.imbalance=imb.csv
	clear_sign
	settle_now readings.jsonl >/dev/null
	run -0 verify
}

@test "attack: operator settles at an imbalance price other than the series' in one record, re-signed: ledger-verify refuses" {
	series_settled
	# bob's surplus at 300000 instead of 250000: 3000, not 2500
	forge_slot 'if .reason == "surplus" and .to == "bob" then .amount = 3000
	    elif .type == "settlement" and .participant == "bob" then .imbalance_price = 300000 | .utility_received = 3000 | .net = .net + 500 else . end'
	run -1 verify
	assert_output --partial "differs from the replay"
}

@test "attack: operator prices a whole slot at another imbalance price, re-signed: ledger-verify -I with the series file refuses" {
	series_settled
	run -0 denki-ledger-verify -p operator.pub -I imb.csv ledger.jsonl
	# every record at 300000, every amount to match: consistent, so the
	# replay from the ledger alone agrees...
	forge_slot 'if .reason == "surplus" then .amount = 3000
	    elif .reason == "shortfall" then .amount = 4500
	    elif .type == "settlement" then .imbalance_price = 300000 |
	        if .participant == "bob" then .utility_received = 3000 | .net = .net + 500
	        elif .participant == "alice" then .utility_paid = 4500 | .net = .net - 750 else . end
	    else . end'
	run -0 verify
	# ...but not with the series file, whose SHA-256 the rules name
	run -1 denki-ledger-verify -p operator.pub -O ledger.jsonl.openings -I imb.csv ledger.jsonl
	assert_output --partial "settlement of slot $SLOT differs from the replay: field utility_paid"
	# the same check by hand: the file is the rules', its line is not
	# the settlements' price (denki-formats(5), Imbalance prices)
	assert_equal "$(jq -r 'select(.rec.type == "rules") | .rec.imbalance' ledger.jsonl)" "$(sha256sum <imb.csv | cut -c1-64)"
	run -0 bash -c "jq -r 'select(.rec.type == \"settlement\") | \"\\(.rec.slot),\\(.rec.imbalance_price)\"' ledger.jsonl | sort -u | grep -vxFf <(tail -n +2 imb.csv)"
	assert_output "$SLOT,300000"
}

@test "ledger-verify -I: a series no rules name, or unreadable, or bad: refused" {
	series_settled
	printf '%s,250000\n%s,1\n' "$SLOT" "$SLOT2" >other.csv
	run -1 denki-ledger-verify -p operator.pub -I other.csv ledger.jsonl
	assert_output "FAIL: ledger.jsonl: the imbalance series other.csv: no slot settled under rules that name its SHA-256"
	run -66 --separate-stderr denki-ledger-verify -p operator.pub -I none.csv ledger.jsonl
	assert_equal "$stderr" "denki-ledger-verify: none.csv: No such file or directory"
	printf '%s,x\n' "$SLOT" >bad.csv
	run -65 --separate-stderr denki-ledger-verify -p operator.pub -I bad.csv ledger.jsonl
	[[ $stderr == *"bad.csv:1: price: must be an integer"* ]]
	# without the openings (a blind replay from the deviations) the
	# series still prices the slot
	run -0 denki-ledger-verify -p operator.pub -I imb.csv ledger.jsonl
	assert_line --partial "OK:"
	assert_line --partial "not recomputed from readings"
}
