#!/usr/bin/env bats
# denki-bid's memory and price strategies (denki-bid(1), MEMORY and
# STRATEGIES): what happened to its orders read back from the ledger or a
# feed, and bid.strategy fixed, ramp and learn on real files.

load test_helper

D1=2026-03-01
D2=2026-03-02
D3=2026-03-03

# Two homes over two days, 10:00 to 11:00: alice's PV, bob's load.
# On day two alice delivers 150 Wh more than she sold at 10:00 and 300
# less at 10:30; bob uses 86 Wh less than he bought at 10:00 and 50 more
# at 10:30.
# On day two (make_community's prices, fixed markups): alice sells 500 and
# 800 at 140000 and buys 100 at 252000; bob buys 300, 300 and 200 at
# 252000.  Uniform clearing: 300 Wh at 140000 at 10:00 and 10:30, nothing
# at 11:00.
season() {
	cat >alice.csv <<-EOF
	start,import_wh,export_wh
	${D1}T10:00:00Z,0,500
	${D1}T10:30:00Z,0,800
	${D1}T11:00:00Z,100,0
	${D2}T10:00:00Z,0,450
	${D2}T10:30:00Z,0,0
	${D2}T11:00:00Z,100,0
	EOF
	cat >bob.csv <<-EOF
	start,import_wh,export_wh
	${D1}T10:00:00Z,300,0
	${D1}T10:30:00Z,300,0
	${D1}T11:00:00Z,200,0
	${D2}T10:00:00Z,214,0
	${D2}T10:30:00Z,350,0
	${D2}T11:00:00Z,200,0
	EOF
	local p
	for p in alice bob; do
		denki-meter-read -c $p.yaml $p.csv >$p-readings.jsonl
		denki-bid -c $p.yaml -s ${D2}T10:00:00Z -N 3 $p-readings.jsonl
	done >orders.jsonl
	denki-clear -c coop.yaml orders.jsonl >cleared.jsonl
	denki-contract-sign -c coop.yaml cleared.jsonl >contracts.jsonl
	cp ledger.jsonl contracted.jsonl	# a copy before the settlement
	grep -h "\"slot\":\"${D2}T" alice-readings.jsonl bob-readings.jsonl >readings.jsonl
	denki-settle -c coop.yaml readings.jsonl >settled.jsonl
}

# mem NAME SQL: a query of NAME.db, one row a line
mem() {
	sqlite3 -separator ' ' "$1.db" "$2"
}

setup() {
	common_setup
	make_community alice bob
	season
}

@test "bid memory: the clearings, its contracts and its settlements read back from the ledger; read twice, nothing added" {
	assert_equal "$(jq -c 'select(.type == "clearing") | [.slot, .price, .wh]' cleared.jsonl)" \
	    "[\"${D2}T10:00:00+00:00\",140000,300]
[\"${D2}T10:30:00+00:00\",140000,300]
[\"${D2}T11:00:00+00:00\",null,0]"
	run -0 --separate-stderr denki-bid -n -c alice.yaml -l ledger.jsonl -s ${D3}T10:00:00Z </dev/null
	assert_equal "$stderr" ""
	local t0 t1
	t0=$(date -d ${D2}T10:00:00Z +%s)
	t1=$(date -d ${D2}T10:30:00Z +%s)
	assert_equal "$(mem alice 'SELECT slot, ifnull(price, "null"), wh FROM mem_clearing ORDER BY slot')" \
	    "$t0 140000 300
$t1 140000 300
$((t1 + 1800)) null 0"
	# alice's two sales, each named by its order's id
	assert_equal "$(mem alice 'SELECT slot, side, wh, price FROM mem_contract ORDER BY slot')" \
	    "$t0 sell 300 140000
$t1 sell 300 140000"
	assert_equal "$(mem alice 'SELECT order_id FROM mem_contract ORDER BY slot')" \
	    "$(jq -r 'select(.seller == "alice") | .sell_order' contracts.jsonl)"
	# her settlements: 450 out for 300 sold (+150), 0 for 300 (-300),
	# 100 in for nothing (-100)
	assert_equal "$(mem alice 'SELECT slot, sold_wh, bought_wh, deviation_wh, net, retail, buyback, provisional FROM mem_settlement ORDER BY slot')" \
	    "$(jq -r 'select(.type == "settlement" and .participant == "alice") | "\(.slot) \(.sold_wh) \(.bought_wh) \(.deviation_wh) \(.net) 300000 100000 0"' settled.jsonl |
	    while read -r s rest; do echo "$(date -d "$s" +%s) $rest"; done)"
	assert_equal "$(mem alice 'SELECT deviation_wh FROM mem_settlement ORDER BY slot' | tr '\n' ' ')" "150 -300 -100 "
	local before
	before=$(sqlite3 alice.db '.dump mem_clearing mem_contract mem_settlement')
	# again, and with bid.ledger: nothing more
	run -0 --separate-stderr denki-bid -n -c alice.yaml -D bid.ledger=ledger.jsonl -s ${D3}T10:00:00Z </dev/null
	assert_equal "$(sqlite3 alice.db '.dump mem_clearing mem_contract mem_settlement')" "$before"
	# the same records as a feed (what clear, contract-sign and settle
	# print): nothing more either
	run -0 --separate-stderr denki-bid -n -c alice.yaml -F cleared.jsonl -s ${D3}T10:00:00Z </dev/null
	run -0 --separate-stderr denki-bid -n -c alice.yaml -F contracts.jsonl -s ${D3}T10:00:00Z </dev/null
	run -0 --separate-stderr denki-bid -n -c alice.yaml -F settled.jsonl -s ${D3}T10:00:00Z </dev/null
	assert_equal "$(sqlite3 alice.db '.dump mem_clearing mem_contract mem_settlement')" "$before"
}

@test "bid memory: a feed alone fills the memory as the ledger does" {
	cat cleared.jsonl contracts.jsonl settled.jsonl >feed.jsonl
	run -0 --separate-stderr denki-bid -n -c bob.yaml -F feed.jsonl -s ${D3}T10:00:00Z </dev/null
	cp bob.db bob-feed.db
	rm bob.db*
	denki-meter-read -c bob.yaml bob.csv | denki-bid -n -c bob.yaml -l ledger.jsonl -s ${D3}T10:00:00Z >/dev/null
	assert_equal "$(sqlite3 bob-feed.db '.dump mem_clearing mem_contract mem_settlement')" \
	    "$(sqlite3 bob.db '.dump mem_clearing mem_contract mem_settlement')"
	assert_equal "$(mem bob 'SELECT side, wh, price FROM mem_contract ORDER BY slot')" \
	    "buy 300 140000
buy 300 140000"
}

@test "bid strategies: fixed, ramp and learn price the same forecast on real files" {
	local o
	o() {	# SIDE WH PRICE: the order for ${D3}T10:00, unsigned
		printf '{"participant":"%s","price":%s,"side":"%s","slot":"%s","type":"order","v":1,"wh":%s}' \
		    "$4" "$3" "$1" "${D3}T10:00:00+00:00" "$2"
	}
	# fixed, the default, and said: the markups, byte for byte as before
	run -0 --separate-stderr denki-bid -n -c alice.yaml -l ledger.jsonl -s ${D3}T10:00:00Z </dev/null
	assert_equal "$(echo "$output" | jq -c 'del(.sig)')" "$(o sell 450 140000 alice)"
	local fixed=$output
	run -0 --separate-stderr denki-bid -n -c alice.yaml -D bid.strategy=fixed -s ${D3}T10:00:00Z </dev/null
	assert_equal "$output" "$fixed"
	# ramp: the newest reading is ${D2}T11:00, so ${D3}T10:00 is 45
	# slots ahead: with 8 updates, none done yet (a seller asks top,
	# retail - fee); with 100, 56 done: 290000 - 190000 x 56 / 100; with
	# the default 48, 4 done: 290000 - 190000 x 4 / 48 = 274166.7
	run -0 --separate-stderr denki-bid -n -c alice.yaml -D bid.strategy=ramp -D bid.ramp_slots=8 -s ${D3}T10:00:00Z </dev/null
	assert_equal "$(echo "$output" | jq -c 'del(.sig)')" "$(o sell 450 290000 alice)"
	run -0 --separate-stderr denki-bid -n -c alice.yaml -D bid.strategy=ramp -s ${D3}T10:00:00Z </dev/null
	assert_equal "$(echo "$output" | jq -c 'del(.sig)')" "$(o sell 450 274167 alice)"
	run -0 --separate-stderr denki-bid -n -c alice.yaml -D bid.strategy=ramp -D bid.ramp_slots=8 -s ${D3}T10:00:00Z </dev/null
	assert_equal "$(echo "$output" | jq -c 'del(.sig)')" "$(o sell 450 290000 alice)"
	run -0 --separate-stderr denki-bid -n -c alice.yaml -D bid.strategy=ramp -D bid.ramp_slots=100 -s ${D3}T10:00:00Z </dev/null
	assert_equal "$(echo "$output" | jq -c 'del(.sig)')" "$(o sell 450 183600 alice)"
	# a buyer ramps up from buyback: bob, 56 of 100 from 100000 to 290000
	run -0 --separate-stderr denki-bid -n -c bob.yaml -D bid.strategy=ramp -D bid.ramp_slots=100 -s ${D3}T10:00:00Z </dev/null
	assert_equal "$(echo "$output" | jq -c 'del(.sig)')" "$(o buy 214 206400 bob)"
	# learn: one clearing price at 10:00 in memory (no Tuesday before:
	# the same slot of day), 140000; alice's forecast errors cost her
	# what she sold and did not have: 300 Wh short at 10:30, bought at
	# retail for 140000, 300 x 160000 / 1000 = 48000 over 600 Wh traded
	# (her surplus at 10:00 went at buyback, as with no trade): 80000 a
	# kWh, so she asks at least buyback + 80000
	run -0 --separate-stderr denki-bid -n -c alice.yaml -D bid.strategy=learn -s ${D3}T10:00:00Z </dev/null
	assert_equal "$(echo "$output" | jq -c 'del(.sig)')" "$(o sell 450 180000 alice)"
	assert_equal "$stderr" ""
	# bob: what he bought and did not use, 86 Wh at 10:00 sold back at
	# buyback, 86 x 40000 / 1000 = 3440 over 600 Wh: 5733, so he bids at
	# most 290000 - 5733, and the price seen is less
	run -0 --separate-stderr denki-bid -n -c bob.yaml -l ledger.jsonl -D bid.strategy=learn -s ${D3}T10:00:00Z </dev/null
	assert_equal "$(echo "$output" | jq -c 'del(.sig)')" "$(o buy 214 140000 bob)"
	# the risk setting and the errors' cost without the price floor: with
	# one price seen, every percentile is that price
	run -0 --separate-stderr denki-bid -n -c bob.yaml -D bid.strategy=learn -D bid.risk=100 -D prices.retail=150000 -s ${D3}T10:00:00Z </dev/null
	assert_equal "$(echo "$output" | jq -r .price)" $((150000 - 10000 - 5733))
	# every order is signed by its household
	echo "$output" >o.jsonl
	run -0 denki-clear -c coop.yaml o.jsonl
}

@test "bid strategies: learn with no memory falls back to the fixed price, and says so; a bad strategy is 78" {
	run -0 --separate-stderr denki-bid -n -c alice.yaml -D bid.strategy=learn -s ${D3}T10:00:00Z </dev/null
	assert_equal "$(echo "$output" | jq -r .price)" 140000
	assert_equal "$stderr" "denki-bid: slot ${D3}T10:00:00+00:00: no clearing price in memory; the fixed price"
	run -78 --separate-stderr denki-bid -n -c alice.yaml -D bid.strategy=greedy -s ${D3}T10:00:00Z </dev/null
	assert_output ""
	assert_equal "$stderr" 'denki-bid: alice.yaml: bid.strategy: must be fixed, ramp or learn, got "greedy"'
	run -78 --separate-stderr denki-bid -n -c alice.yaml -D bid.risk=101 -s ${D3}T10:00:00Z </dev/null
	assert_regex "$stderr" "bid.risk"
}

@test "bid memory: a database made by main's bid (before the memory) is migrated and keeps all it had" {
	cp "$BATS_TEST_DIRNAME/../examples/community/kn1.yaml" .
	denki-keygen kn1 >/dev/null
	# the dump of main's database: 104 readings, 48 slots bid for
	grep -v '^--' "$BATS_TEST_DIRNAME/data/bid-state/main-3193c65.sql" | sqlite3 kn1.db
	assert_equal "$(mem kn1 'SELECT count(*) FROM reading; SELECT count(*) FROM sent')" "104
48"
	local first=2016-07-05T00:00:00+02:00
	# the slots main bid for are still bid for
	run -0 --separate-stderr denki-bid -c kn1.yaml -s $first </dev/null
	assert_output ""
	assert_equal "$stderr" "denki-bid: slot $first: already bid for; -f bids again"
	# what it had is all there, and the memory's tables beside it
	assert_equal "$(mem kn1 'SELECT count(*) FROM reading; SELECT count(*) FROM sent; SELECT step FROM migration')" "104
48
strategy-1"
	assert_equal "$(sqlite3 kn1.db '.dump reading sent')" \
	    "$(grep -v '^--' "$BATS_TEST_DIRNAME/data/bid-state/main-3193c65.sql" | sqlite3 old.db && sqlite3 old.db '.dump reading sent')"
	# and it bids from them as main did: the same 48 orders
	run -0 --separate-stderr denki-bid -n -c kn1.yaml -s $first -N 48 </dev/null
	assert_equal "$(echo "$output" | jq -c 'del(.sig)')" "$(cat "$BATS_TEST_DIRNAME/data/bid-state/main-3193c65-orders.jsonl")"
	# opened again: migrated once
	run -0 --separate-stderr denki-bid -n -c kn1.yaml -s $first </dev/null
	assert_equal "$(mem kn1 'SELECT count(*) FROM migration')" 1
}

@test "bid memory: prices in a currency that is not the community's: refused, named, nothing learnt" {
	# the cooperative's ledger is in yen; alice's household says EUR
	sed -i 's/^currency: EUR/currency: JPY/' coop.yaml
	rm ledger.jsonl*
	make_ledger_again() {
		local p
		for p in alice bob; do
			denki-registry -c coop.yaml ${RECOVERY_PUB:+-D "recovery_key=$RECOVERY_PUB"} add "$p.enrol.json" >/dev/null
		done
		denki-clear -c coop.yaml orders.jsonl | denki-contract-sign -c coop.yaml >jpy-contracts.jsonl
	}
	make_ledger_again
	local n
	n=$(grep -n '"type":"rules"' ledger.jsonl | head -n 1 | cut -d: -f1)
	run -65 --separate-stderr denki-bid -c alice.yaml -l ledger.jsonl -s ${D3}T10:00:00Z </dev/null
	assert_output ""
	assert_equal "$stderr" "denki-bid: ledger.jsonl:$n: entry $((n - 1)): rules: currency: JPY is not the community's (EUR, as configured): prices in another currency are not learnt from"
	assert_equal "$(mem alice 'SELECT count(*) FROM mem_clearing')" 0
	# not marked as bid for: the next run bids
	assert_equal "$(mem alice 'SELECT count(*) FROM sent WHERE slot >= '"$(date -d ${D3}T00:00:00Z +%s)")" 0
	# a feed of yen contracts: the line named
	run -65 --separate-stderr denki-bid -c alice.yaml -F jpy-contracts.jsonl -s ${D3}T10:00:00Z </dev/null
	assert_output ""
	assert_equal "$stderr" "denki-bid: jpy-contracts.jsonl:1: contract: currency: JPY is not the community's (EUR, as configured): prices in another currency are not learnt from"
	assert_equal "$(mem alice 'SELECT count(*) FROM mem_contract')" 0
	# -k: reported, and the order made from the memory as it was
	run -65 --separate-stderr denki-bid -k -c alice.yaml -F jpy-contracts.jsonl -s ${D3}T10:00:00Z </dev/null
	assert_equal "$(echo "$output" | jq -r '"\(.side) \(.wh) \(.price)"')" "sell 450 140000"
	assert_regex "$stderr" "currency: JPY .*; bidding from the memory as it was$"
}

@test "bid memory: a ledger or a feed truncated mid-line: refused with its line, nothing of it kept" {
	head -c -40 ledger.jsonl >torn.jsonl
	run -65 --separate-stderr denki-bid -c alice.yaml -l torn.jsonl -s ${D3}T10:00:00Z </dev/null
	assert_output ""
	assert_regex "$stderr" "^denki-bid: torn\\.jsonl:$(wc -l <ledger.jsonl): torn last line"
	assert_equal "$(mem alice 'SELECT count(*) FROM mem_clearing')" 0
	head -c -10 settled.jsonl >torn-feed.jsonl
	run -65 --separate-stderr denki-bid -c alice.yaml -F torn-feed.jsonl -s ${D3}T10:00:00Z </dev/null
	assert_output ""
	assert_equal "$stderr" "denki-bid: torn-feed.jsonl:$(wc -l <settled.jsonl): torn last line (no newline): a write was cut off"
	assert_equal "$(mem alice 'SELECT count(*) FROM mem_settlement')" 0
	# the whole ledger, after: read in full
	run -0 --separate-stderr denki-bid -n -c alice.yaml -l ledger.jsonl -s ${D3}T10:00:00Z </dev/null
	assert_equal "$(mem alice 'SELECT count(*) FROM mem_clearing')" 3
}

@test "bid memory: with bid.operator_pub, a ledger signed by another key is refused" {
	denki-keygen other >/dev/null
	run -0 --separate-stderr denki-bid -n -c alice.yaml -l ledger.jsonl -D bid.operator_pub=operator.pub -s ${D3}T10:00:00Z </dev/null
	run -65 --separate-stderr denki-bid -n -c bob.yaml -l ledger.jsonl -D bid.operator_pub=other.pub -s ${D3}T10:00:00Z </dev/null
	assert_output ""
	assert_regex "$stderr" "^denki-bid: ledger\\.jsonl:1: "
	assert_equal "$(mem bob 'SELECT count(*) FROM mem_clearing')" 0
}

@test "bid: the completions know -F, -l and the strategy's settings" {
	run -0 bash -c '
		source "$1/completions/bash/denki"
		COMP_WORDS=(denki-bid -); COMP_CWORD=1; _denki
		echo "${COMPREPLY[*]}"
		COMP_WORDS=(denki bid -D bid.str); COMP_CWORD=3; _denki
		echo "${COMPREPLY[*]}"
		COMP_WORDS=(denki-bid -D bid.strategy = l); COMP_CWORD=4; _denki
		echo "${COMPREPLY[*]}"' _ "$TOP"
	assert_line --index 0 --partial "-F -l -s"
	assert_line --index 1 "bid.strategy="
	assert_line --index 2 "learn"
	grep -q "'-F+\[feed of clearing" "$TOP/completions/zsh/_denki"
	grep -q "'bid.strategy:" "$TOP/completions/zsh/_denki"
	grep -q "bid.strategy) _wanted strategies expl strategy compadd fixed ramp learn" "$TOP/completions/zsh/_denki"
}

@test "strategy-season: each home's money under each strategy; with no memory yet, learn trades as fixed" {
	# the first day of the bundled three weeks of the six Konstanz homes
	run -0 --separate-stderr env START=2016-07-05 DAYS=1 sh "$TOP/tools/strategy-season.sh"
	assert_line --index 0 --partial "tests/data/season, 1 days from 2016-07-05"
	assert_line --partial "  fixed: "
	assert_line --partial "ledger verified"
	local rows
	rows=$(echo "$output" | awk '$1 ~ /^kn[1-6]$/')
	assert_equal "$(echo "$rows" | wc -l)" 6
	# columns: home, no P2P, fixed, ramp, learn: learn's first day has
	# no clearing in memory, so every order is fixed's, the same energy
	# matched at the same prices (the money to a cent: each run's keys
	# are new, and order ids share out rounding remainders)
	assert_regex "$output" "fixed ([0-9.]+ at [0-9.]+), ramp [0-9.]+ at [0-9.]+, learn \\1"
	assert_equal "$(echo "$rows" | awk '($3 - $5 > 0.011) || ($5 - $3 > 0.011)' | wc -l)" 0
	# and the ramp prices otherwise: some home's money differs
	[ "$(echo "$rows" | awk '$3 != $4' | wc -l)" -gt 0 ]
}

@test "bid memory: a newer copy of the ledger is read on from where the last read stopped; an older one (rolled back) is refused" {
	cp contracted.jsonl copy.jsonl
	run -0 --separate-stderr denki-bid -n -c alice.yaml -l copy.jsonl -s ${D3}T10:00:00Z </dev/null
	assert_equal "$(mem alice 'SELECT count(*) FROM mem_contract; SELECT count(*) FROM mem_settlement')" "2
0"
	assert_equal "$(mem alice "SELECT entries, bytes FROM mem_source WHERE path = '$PWD/copy.jsonl'")" \
	    "$(wc -l <contracted.jsonl) $(wc -c <contracted.jsonl)"
	# the member fetches a newer copy: the settlements come, nothing twice
	cp ledger.jsonl copy.jsonl
	run -0 --separate-stderr denki-bid -n -c alice.yaml -l copy.jsonl -s ${D3}T10:00:00Z </dev/null
	assert_equal "$(mem alice 'SELECT count(*) FROM mem_contract; SELECT count(*) FROM mem_settlement; SELECT count(*) FROM mem_clearing')" "2
3
3"
	assert_equal "$(mem alice "SELECT entries FROM mem_source WHERE path = '$PWD/copy.jsonl'")" "$(wc -l <ledger.jsonl)"
	local before
	before=$(sqlite3 alice.db '.dump mem_clearing mem_contract mem_settlement mem_source')
	# the operator hands out the older copy again: refused, nothing kept
	cp contracted.jsonl copy.jsonl
	run -65 --separate-stderr denki-bid -n -c alice.yaml -l copy.jsonl -s ${D3}T10:00:00Z </dev/null
	assert_output ""
	assert_equal "$stderr" "denki-bid: copy.jsonl: $(wc -c <contracted.jsonl) bytes, fewer than the $(wc -c <ledger.jsonl) of the $(wc -l <ledger.jsonl) entries read from it before: the ledger was cut short or rolled back"
	assert_equal "$(sqlite3 alice.db '.dump mem_clearing mem_contract mem_settlement mem_source')" "$before"
	# read on from there, the new entries are checked against what was
	# read: bob's newer copy with a settlement's net changed is refused
	cp contracted.jsonl bob-copy.jsonl
	run -0 --separate-stderr denki-bid -n -c bob.yaml -l bob-copy.jsonl -s ${D3}T10:00:00Z </dev/null
	local n
	n=$(grep -n '"type":"settlement"' ledger.jsonl | head -n 1 | cut -d: -f1)
	[ "$n" -gt "$(wc -l <contracted.jsonl)" ]
	sed "${n}s/\"net\":/\"net\":1/" ledger.jsonl >bob-copy.jsonl
	run ! cmp -s ledger.jsonl bob-copy.jsonl
	run -65 --separate-stderr denki-bid -n -c bob.yaml -l bob-copy.jsonl -s ${D3}T10:00:00Z </dev/null
	assert_output ""
	assert_regex "$stderr" "^denki-bid: bob-copy\\.jsonl:$n: entry $((n - 1)): changed after it was written"
	assert_equal "$(mem bob 'SELECT count(*) FROM mem_settlement')" 0
}

@test "bid -r with the memory (-l, bid.strategy learn): the orders, messages and memory of a run a day" {
	local s=(-c alice.yaml -D bid.strategy=learn -l ledger.jsonl -N 48)
	grep "\"slot\":\"${D1}T" alice-readings.jsonl >d1.jsonl
	grep "\"slot\":\"${D2}T" alice-readings.jsonl >d2.jsonl
	{
		denki-bid "${s[@]}" -D state=daily.db -s ${D2}T00:00:00Z <d1.jsonl
		denki-bid "${s[@]}" -D state=daily.db -s ${D3}T00:00:00Z <d2.jsonl
	} >daily.jsonl 2>daily.err
	run -0 --separate-stderr denki-bid "${s[@]}" -D state=one.db \
	    -s ${D2}T00:00:00Z -r 2 <alice-readings.jsonl
	echo "$output" >one.jsonl
	echo "$stderr" >one.err
	cmp daily.jsonl one.jsonl
	cmp daily.err one.err
	# day one's three slots (10:00 to 11:00, yesterday's); day two's
	# 10:30 had nothing yesterday
	assert_equal "$(jq -r .slot one.jsonl | cut -c1-10 | uniq -c | awk '{ print $1 }' | paste -sd' ')" "3 2"
	# day two's 10:00 priced by what learn took from the memory, not at
	# the fixed markup's 140000 (the season's orders')
	assert_equal "$(jq -r 'select(.slot | startswith("'$D3'T10:00")) | "\(.side) \(.price)"' one.jsonl)" "sell 180000"
	# the memory read from the ledger: its two sales
	assert_equal "$(mem one 'SELECT side, wh, price FROM mem_contract ORDER BY slot')" \
	    "sell 300 140000
sell 300 140000"
	assert_equal "$(sqlite3 one.db '.dump mem_clearing mem_contract mem_settlement sent reading')" \
	    "$(sqlite3 daily.db '.dump mem_clearing mem_contract mem_settlement sent reading')"
}
