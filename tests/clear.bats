#!/usr/bin/env bats
# denki-clear: the market of each slot, a uniform-price double auction.
#
# The rule (lib/market/auction.c): sells by price ascending, buys by price
# descending, ties by order id (SHA-256 of the signed line); Q is the most
# energy for which a buy's limit is at least a sell's; with s, b the last
# matched sell and buy limits and s', b' the first (partly) unmatched ones,
# the price is the midpoint of [max(s, b'), min(b, s')], rounded down.
# Orders strictly better than the price fill whole, those at the price
# share the rest pro rata by largest remainder, remainder ties by id.

load test_helper

SLOT=2026-01-01T10:00:00+00:00
SLOT2=2026-01-01T10:30:00+00:00

setup() {
	common_setup
	make_community_once s1 s2 s3 b1 b2 b3
}

# oid LINE: an order's id, the SHA-256 of its signed canonical line
oid() {
	printf '%s' "$1" | sha256sum | cut -c1-64
}

# by_id <orders: the lines sorted by id, as the book holds them
by_id() {
	local l
	while read -r l; do
		printf '%s %s\n' "$(oid "$l")" "$l"
	done | sort | cut -d' ' -f2-
}

# trade SELLER BUYER WH PRICE [SLOT]: the trade line expected, with the
# ids of the orders kept in the associative array O by participant
trade() {
	printf '{"buy_order":"%s","buyer":"%s","price":%s,"sell_order":"%s","seller":"%s","slot":"%s","type":"trade","v":1,"wh":%s}\n' \
	    "$(oid "${O[$2]}")" "$2" "$4" "$(oid "${O[$1]}")" "$1" "${5:-$SLOT}" "$3"
}

# clearing BOOKHASH PRICE WH NSELL NBUY SELLWH BUYWH NTRADES [SLOT]
clearing() {
	printf '{"book":"%s","buy_orders":%s,"buy_wh":%s,"mechanism":"uniform","price":%s,"sell_orders":%s,"sell_wh":%s,"slot":"%s","trades":%s,"type":"clearing","v":1,"wh":%s}\n' \
	    "$1" "$5" "$7" "$2" "$4" "$6" "${9:-$SLOT}" "$8" "$3"
}

# book_hash N: the SHA-256 of the first N lines of $output (the book)
book_hash() {
	sed -n "1,$1p" <<<"$output" | sha256sum | cut -c1-64
}

assert_stderr_line() {
	local output="$stderr"
	local -a lines=("${stderr_lines[@]}")
	assert_line "$@"
}

@test "clear: the price is the midpoint of the clearing interval, rounded down" {
	declare -A O
	O[s1]=$(order s1 sell 400 100000)
	O[s2]=$(order s2 sell 300 150000)
	O[s3]=$(order s3 sell 200 90000)
	O[b1]=$(order b1 buy 500 200000)
	O[b2]=$(order b2 buy 300 125001)
	O[b3]=$(order b3 buy 100 300000)
	printf '%s\n' "${O[@]}" >orders.jsonl
	# sells s3 200@90000, s1 400@100000 | s2 300@150000
	# buys  b3 100@300000, b1 500@200000 | b2 300@125001
	# Q = 600, both last matched orders fill whole: s = 100000,
	# b = 200000, s' = 150000, b' = 125001: [125001, 150000] -> 137500.5
	# rounded down: 137500
	run -0 --separate-stderr denki-clear -c coop.yaml orders.jsonl
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 10
	assert_equal "$(sed -n 1,6p <<<"$output")" "$(by_id <orders.jsonl)"
	# filled sells cheapest first, filled buys dearest first
	assert_equal "$(sed -n 7,10p <<<"$output")" "$(
	    trade s3 b3 100 137500
	    trade s3 b1 100 137500
	    trade s1 b1 400 137500
	    clearing "$(book_hash 6)" 137500 600 3 3 900 900 3)"
}

@test "clear: orders at the price share the margin pro rata, by largest remainder" {
	declare -A O
	O[s1]=$(order s1 sell 400 100000)
	O[s2]=$(order s2 sell 300 130000)
	O[s3]=$(order s3 sell 400 130000)
	O[b1]=$(order b1 buy 500 200000)
	O[b2]=$(order b2 buy 200 140000)
	O[b3]=$(order b3 buy 300 90000)
	printf '%s\n' "${O[@]}" >orders.jsonl
	# Q = 700 at 130000 ([130000, 130000]); s1 and both buys fill whole
	# (400; 500 + 200); s2 and s3 share 300 of their 700:
	#   s2: 300 x 300 / 700 = 128 rest 400 -> 129 (the larger remainder)
	#   s3: 300 x 400 / 700 = 171 rest 300 -> 171
	run -0 --separate-stderr denki-clear -c coop.yaml orders.jsonl
	assert_equal "$stderr" ""
	local want
	if [[ "$(oid "${O[s2]}")" < "$(oid "${O[s3]}")" ]]; then
		want=$(trade s1 b1 400 130000
		    trade s2 b1 100 130000
		    trade s2 b2 29 130000
		    trade s3 b2 171 130000)
	else
		want=$(trade s1 b1 400 130000
		    trade s3 b1 100 130000
		    trade s3 b2 71 130000
		    trade s2 b2 129 130000)
	fi
	assert_equal "$(sed -n 7,11p <<<"$output")" "$want
$(clearing "$(book_hash 6)" 130000 700 3 3 1100 1000 4)"
	# what each order got, whatever the pairing
	assert_equal "$(jq -r 'select(.type == "trade") | "\(.seller) \(.wh)"' <<<"$output" |
	    awk '{ s[$1] += $2 } END { print s["s1"], s["s2"], s["s3"] }')" "400 129 171"
}

@test "clear: equal remainders at the margin go to the lower order id" {
	declare -A O
	O[s1]=$(order s1 sell 100 100000)
	O[s2]=$(order s2 sell 100 100000)
	O[b1]=$(order b1 buy 101 200000)
	printf '%s\n' "${O[s2]}" "${O[b1]}" "${O[s1]}" >orders.jsonl
	# Q = 101 at 100000; s1 and s2 share 101 of 200: 50 rest 100 each,
	# the extra Wh to the lower id, which also trades first
	local lo=s1 hi=s2
	[[ "$(oid "${O[s1]}")" < "$(oid "${O[s2]}")" ]] || { lo=s2; hi=s1; }
	run -0 --separate-stderr denki-clear -c coop.yaml orders.jsonl
	assert_equal "$(sed -n 4,6p <<<"$output")" "$(
	    trade $lo b1 51 100000
	    trade $hi b1 50 100000
	    clearing "$(book_hash 3)" 100000 101 2 1 200 101 2)"
}

@test "clear: no overlap: the orders, no trade, a clearing with price null and 0 Wh" {
	{
		order s1 sell 100 200000
		order s2 sell 50 250000
		order b1 buy 100 199999
	} >orders.jsonl
	run -0 --separate-stderr denki-clear -c coop.yaml orders.jsonl
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 4
	assert_equal "$(sed -n 1,3p <<<"$output")" "$(by_id <orders.jsonl)"
	assert_equal "${lines[3]}" "$(clearing "$(book_hash 3)" null 0 2 1 150 100 0)"
	# only buys: no trade either
	order b2 buy 70 300000 | denki-clear -c coop.yaml >only.jsonl
	run -0 jq -c 'select(.type == "clearing") | [.price, .wh, .sell_orders, .buy_orders, .trades]' only.jsonl
	assert_output "[null,0,0,1,0]"
}

@test "clear: every slot is cleared on its own, in time order" {
	{
		order s1 sell 100 100000 $SLOT2
		order b1 buy 100 200000 $SLOT2
		order s1 sell 300 100000
		order b2 buy 200 120000
	} >orders.jsonl
	run -0 --separate-stderr denki-clear -c coop.yaml orders.jsonl
	assert_equal "$(jq -c 'select(.type == "clearing") | [.slot, .price, .wh]' <<<"$output")" \
	    "[\"$SLOT\",100000,200]
[\"$SLOT2\",150000,100]"
	# each slot's orders come before its trades and clearing
	assert_equal "$(jq -r '"\(.type) \(.slot)"' <<<"$output" | uniq -c | awk '{ print $1, $2 }' | tr '\n' ' ')" \
	    "2 order 1 trade 1 clearing 2 order 1 trade 1 clearing "
}

@test "clear: the same orders in any order give byte-identical output" {
	{
		order s1 sell 400 130000
		order s2 sell 300 130000
		order s3 sell 333 130000
		order b1 buy 500 200000
		order b2 buy 250 140000
		order b3 buy 100 140000
		order s1 sell 10 100000 $SLOT2
		order s2 sell 10 100000 $SLOT2
		order b1 buy 15 100000 $SLOT2
		order b2 buy 4 100001 $SLOT2
	} >orders.jsonl
	denki-clear -c coop.yaml orders.jsonl >want.jsonl
	[ -s want.jsonl ]
	local i
	for i in 1 2 3 4 5 6; do
		shuf orders.jsonl >shuffled.jsonl
		denki-clear -c coop.yaml shuffled.jsonl >got.jsonl
		cmp want.jsonl got.jsonl
	done
	tac orders.jsonl | denki-clear -c coop.yaml >got.jsonl
	cmp want.jsonl got.jsonl
	# split over two files, given in either order
	head -n 4 orders.jsonl >a.jsonl
	tail -n +5 orders.jsonl >b.jsonl
	denki-clear -c coop.yaml b.jsonl a.jsonl >got.jsonl
	cmp want.jsonl got.jsonl
}

@test "clear: nothing in, nothing out" {
	run -0 --separate-stderr denki-clear -c coop.yaml </dev/null
	assert_output ""
	assert_equal "$stderr" ""
}

# rejected NAME LINE: runs clear on bad.jsonl (a good order, then LINE) and
# requires 65, nothing on stdout and one message for bad.jsonl:2
rejected() {
	{
		order s1 sell 100 100000
		printf '%s\n' "$1"
	} >bad.jsonl
	run -65 --separate-stderr denki-clear -c coop.yaml bad.jsonl
	assert_output ""
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" "^denki-clear: bad\.jsonl:2: rejected: $2"
}

@test "clear: an unsigned order is rejected: 65, file:line, nothing out" {
	rejected "$(printf '{"type":"order","v":1,"participant":"b1","slot":"%s","side":"buy","wh":100,"price":200000}' $SLOT)" \
	    'unsigned order \(no sig\)$'
}

@test "clear: an order with a changed signature byte is rejected" {
	local o sig r
	o=$(order b1 buy 100 200000)
	sig=$(jq -r .sig <<<"$o")
	r=A
	[ "${sig:10:1}" != A ] || r=B
	rejected "${o/$sig/${sig:0:10}$r${sig:11}}" 'sig: bad signature: the record was not signed by this key, or was changed after signing$'
}

@test "clear: an order changed after signing is rejected (wh, price, slot, side)" {
	local o
	o=$(order b1 buy 100 200000)
	rejected "${o/\"wh\":100/\"wh\":101}" 'sig: bad signature'
	rejected "${o/\"price\":200000/\"price\":200001}" 'sig: bad signature'
	rejected "${o/10:00:00/10:30:00}" 'sig: bad signature'
	rejected "${o/\"buy\"/\"sell\"}" 'sig: bad signature'
}

@test "clear: an order signed by another participant's key is rejected" {
	rejected "$(printf '{"type":"order","v":1,"participant":"b1","slot":"%s","side":"buy","wh":100,"price":200000}' $SLOT |
	    sign_with b2.key)" 'sig: bad signature'
}

@test "clear: an order of a participant not in the registry is rejected" {
	denki-keygen dave >/dev/null
	rejected "$(order dave buy 100 200000)" 'participant: dave is not in the registry$'
}

@test "clear: an order of a revoked participant is rejected" {
	local o
	o=$(order b1 buy 100 200000)
	denki-registry -c coop.yaml revoke b1 >/dev/null
	rejected "$o" 'participant: b1 is revoked$'
}

@test "clear: malformed JSON, not an object, a field not of an order are rejected" {
	rejected '{"type":"order","v":1,' 'malformed JSON at column'
	rejected '[1,2]' 'must be a JSON object$'
	rejected "$(printf '{"type":"order","v":1,"participant":"b1","slot":"%s","side":"buy","wh":1,"price":1,"note":"x"}' $SLOT |
	    sign_with b1.key)" 'note: not a field of an order$'
	rejected "$(printf '{"type":"order","v":1,"participant":"b1","slot":"%s","side":"give","wh":1,"price":1}' $SLOT |
	    sign_with b1.key)" 'side: must be "sell" or "buy", got "give"$'
	rejected "$(printf '{"type":"reading","v":1}' | sign_with b1.key)" 'type: must be "order", got "reading"$'
}

@test "clear: wrong types are rejected: a string of digits, a real number" {
	rejected "$(order b1 buy '"12"' 200000)" 'wh: must be an integer'
	rejected "$(order b1 buy 1.5 200000)" 'wh: must be an integer'
	rejected "$(order b1 buy 100 '"200000"')" 'price: must be an integer'
	rejected "$(order b1 buy 100 2.0)" 'price: must be an integer'
}

@test "clear: quantities out of range are rejected: 0, -5, 1e12, 10^12, price -1" {
	rejected "$(order b1 buy 0 200000)" 'wh: must be from 1 to 100000000, got 0'
	rejected "$(order b1 buy -5 200000)" 'wh: must be from 1 to 100000000, got -5'
	rejected "$(order b1 buy 1e12 200000)" 'wh: must be an integer'
	rejected "$(order b1 buy 1000000000000 200000)" 'wh: must be from 1 to 100000000, got 1000000000000'
	rejected "$(order b1 buy 100000001 200000)" 'wh: must be from 1 to 100000000, got 100000001'
	rejected "$(order b1 buy 100 -1)" 'price: must be from 0 to 10000000000, got -1'
}

@test "clear: an order for a time that does not start a slot is rejected" {
	rejected "$(order b1 buy 100 200000 2026-01-01T10:17:00+00:00)" \
	    'slot: must start a 30-minute slot, got "2026-01-01T10:17:00\+00:00"$'
	rejected "$(order b1 buy 100 200000 2026-01-01T10:00:00)" 'slot: must be an RFC 3339 time'
}

@test "clear -s: an order of another slot is rejected; the slot's own are cleared" {
	{
		order s1 sell 100 100000 $SLOT2
		order b1 buy 100 200000 $SLOT2
	} >next.jsonl
	run -65 --separate-stderr denki-clear -c coop.yaml -s $SLOT next.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-clear: next.jsonl:1: rejected: slot: $SLOT2 is not the slot being cleared ($SLOT)"
	run -0 --separate-stderr denki-clear -c coop.yaml -s $SLOT2 next.jsonl
	assert_equal "$(jq -c 'select(.type == "clearing") | [.slot, .wh]' <<<"$output")" "[\"$SLOT2\",100]"
}

@test "clear -s: a slot nobody bid in is cleared all the same, and can be settled" {
	run -0 --separate-stderr denki-clear -c coop.yaml -s $SLOT2 </dev/null
	# the book is empty: its hash is the SHA-256 of no bytes
	assert_output "$(clearing e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 null 0 0 0 0 0 0 $SLOT2)"
	echo "$output" >empty.jsonl
	denki-contract-sign -c coop.yaml empty.jsonl >/dev/null
	printf '{"type":"reading","v":1,"meter":"b1-m","slot":"%s","import_wh":3,"export_wh":0}\n' $SLOT2 >r.jsonl
	run -0 --separate-stderr denki-settle -c coop.yaml r.jsonl
	assert_line '{"amount":900,"from":"b1","reason":"shortfall","slot":"2026-01-01T10:30:00+00:00","to":"utility","type":"transfer","v":1}'
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
}

@test "clear -s: a time that does not start a slot is a usage error" {
	order b1 buy 100 200000 >o.jsonl
	run -64 --separate-stderr denki-clear -c coop.yaml -s 2026-01-01T10:17:00+00:00 o.jsonl
	assert_output ""
	assert_equal "$stderr" 'denki-clear: -s: must start a 30-minute slot, got "2026-01-01T10:17:00+00:00"'
}

@test "clear: a duplicate order is rejected with its file:line" {
	local o
	o=$(order b1 buy 100 200000)
	{
		order s1 sell 100 100000
		echo "$o"
		echo "$o"
	} >dup.jsonl
	run -65 --separate-stderr denki-clear -c coop.yaml dup.jsonl
	assert_output ""
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" '^denki-clear: dup\.jsonl:[23]: rejected: duplicate of an order already in the book$'
	# -k keeps one copy: the book is the one without the duplicate
	head -n 2 dup.jsonl | denki-clear -c coop.yaml >want.jsonl
	run -65 --separate-stderr denki-clear -k -c coop.yaml dup.jsonl
	assert_equal "$output" "$(cat want.jsonl)"
}

@test "clear: a participant on both sides of a slot has all its orders rejected" {
	{
		order s1 sell 100 100000
		order b1 buy 100 200000
		order s1 buy 50 300000
		order s1 sell 20 90000 $SLOT2
		order b2 buy 20 100000 $SLOT2
	} >both.jsonl
	run -65 --separate-stderr denki-clear -c coop.yaml both.jsonl
	assert_output ""
	assert_stderr_line "denki-clear: both.jsonl:1: rejected: the participant both sells and buys in this slot; all its orders are rejected"
	assert_stderr_line "denki-clear: both.jsonl:3: rejected: the participant both sells and buys in this slot; all its orders are rejected"
	assert_equal "${#stderr_lines[@]}" 2
	# -k: the slot is cleared without s1, the next slot with it
	run -65 --separate-stderr denki-clear -k -c coop.yaml both.jsonl
	assert_equal "$(jq -c 'select(.type == "clearing") | [.slot, .sell_orders, .buy_orders, .wh]' <<<"$output")" \
	    "[\"$SLOT\",0,1,0]
[\"$SLOT2\",1,1,20]"
	refute_line --partial '"participant":"s1","price":100000'
}

@test "clear: a bad order in a later slot still leaves stdout empty" {
	local o
	o=$(order b2 buy 20 100000 $SLOT2)
	{
		order s1 sell 100 100000
		order b1 buy 100 200000
		order s1 sell 20 90000 $SLOT2
		echo "$o"
		echo "$o"
	} >later.jsonl
	run -65 --separate-stderr denki-clear -c coop.yaml later.jsonl
	assert_regex "$stderr" 'later\.jsonl:[45]: rejected: duplicate of an order already in the book'
	# the default is all or nothing: no slot of a rejected input goes out
	assert_output ""
}

@test "clear: by default the first bad order stops the run with 65 and nothing out" {
	{
		order s1 sell 100 100000
		order b1 buy 0 200000
		order b2 buy 100 200000
		echo '{"type":"order"'
	} >mixed.jsonl
	run -65 --separate-stderr denki-clear -c coop.yaml mixed.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-clear: mixed.jsonl:2: rejected: wh: must be from 1 to 100000000, got 0 (energy in Wh)"
}

@test "clear -k: each bad order on stderr, the rest cleared, and still 65" {
	{
		order s1 sell 100 100000
		order b1 buy 0 200000
		order b2 buy 100 200000
		echo '{"type":"order"'
		order b3 buy '"12"' 200000
		printf '{"type":"order","v":1,"participant":"b3","slot":"%s","side":"buy","wh":100,"price":200000}\n' $SLOT
		order s2 sell 50 150000
	} >mixed.jsonl
	sed -n '1p;3p;7p' mixed.jsonl >good.jsonl
	denki-clear -c coop.yaml good.jsonl >want.jsonl
	run -65 --separate-stderr denki-clear -k -c coop.yaml mixed.jsonl
	assert_equal "$output" "$(cat want.jsonl)"
	assert_equal "${#stderr_lines[@]}" 4
	assert_regex "${stderr_lines[0]}" '^denki-clear: mixed\.jsonl:2: rejected: wh: must be from 1'
	assert_regex "${stderr_lines[1]}" '^denki-clear: mixed\.jsonl:4: rejected: malformed JSON'
	assert_regex "${stderr_lines[2]}" '^denki-clear: mixed\.jsonl:5: rejected: wh: must be an integer'
	assert_regex "${stderr_lines[3]}" '^denki-clear: mixed\.jsonl:6: rejected: unsigned order'
}

@test "clear: a slot already cleared into the ledger is rejected" {
	{
		order s1 sell 100 100000
		order b1 buy 100 200000
	} >orders.jsonl
	denki-clear -c coop.yaml orders.jsonl >cleared.jsonl
	denki-contract-sign -c coop.yaml cleared.jsonl >/dev/null
	order b2 buy 50 200000 >late.jsonl
	run -65 --separate-stderr denki-clear -c coop.yaml late.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-clear: late.jsonl:1: rejected: slot: $SLOT was already cleared into the ledger"
	# the next slot is still open
	order b2 buy 50 200000 $SLOT2 | denki-clear -c coop.yaml >next.jsonl
	[ "$(jq -r 'select(.type == "clearing") | .slot' next.jsonl)" = "$SLOT2" ]
}

@test "clear: files that cannot be opened: 66 with the name" {
	run -66 --separate-stderr denki-clear -c coop.yaml nosuch.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-clear: nosuch.jsonl: No such file or directory"
}

@test "clear -h prints the usage on stdout; a bad option is a usage error" {
	run -0 --separate-stderr denki-clear -h
	assert_output "usage: denki-clear [-kS] [-c config] [-D key=value] [-s slot] [-t threads] [orders ...]"
	assert_equal "$stderr" ""
	run -64 --separate-stderr denki-clear -x -c coop.yaml </dev/null
	assert_output ""
	assert_equal "${stderr_lines[0]}" "denki-clear: invalid option -- 'x'"
	assert_equal "${stderr_lines[1]}" "usage: denki-clear [-kS] [-c config] [-D key=value] [-s slot] [-t threads] [orders ...]"
}

@test "clear -S: signatures are left to upstream, every other check stays" {
	{ order s1 sell 1000 100000; order b1 buy 1000 200000; } >book.jsonl
	# a forged signature: bob's order signed by carol's key
	printf '{"type":"order","v":1,"participant":"b1","slot":"2026-01-01T10:00:00+00:00","side":"buy","wh":500,"price":250000}\n' |
	    sign_with s2.key >forged.jsonl
	run -65 --separate-stderr denki-clear -c coop.yaml book.jsonl forged.jsonl
	assert_equal "$stderr" "denki-clear: forged.jsonl:1: rejected: sig: bad signature: the record was not signed by this key, or was changed after signing"
	assert_output ""
	run -0 --separate-stderr denki-clear -S -c coop.yaml book.jsonl forged.jsonl
	assert_equal "$(grep -c '"type":"order"' <<<"$output")" 3
	# unknown participants are still rejected without signature checks
	printf '{"type":"order","v":1,"participant":"mallory","slot":"2026-01-01T10:00:00+00:00","side":"buy","wh":500,"price":250000}\n' |
	    sign_with s2.key >mallory.jsonl
	run -65 --separate-stderr denki-clear -S -c coop.yaml mallory.jsonl
	assert_equal "$stderr" "denki-clear: mallory.jsonl:1: rejected: participant: mallory is not in the registry"
}

@test "clear -t: one thread or eight, the same bytes; a bad count is 64" {
	for i in 1 2 3 4 5 6 7 8 9; do
		order s1 sell $((i * 100)) $((100000 + i * 1000))
		order b1 buy $((i * 90)) $((300000 - i * 1000))
	done >book.jsonl
	denki-clear -t 1 -c coop.yaml book.jsonl >one.jsonl
	denki-clear -t 8 -c coop.yaml book.jsonl >eight.jsonl
	cmp one.jsonl eight.jsonl
	assert_equal "$(grep -c '"type":"trade"' one.jsonl)" "$(grep -c '"type":"trade"' eight.jsonl)"
	run -64 --separate-stderr denki-clear -t 0 -c coop.yaml book.jsonl
	assert_equal "$stderr" "denki-clear: -t 0: must be 1 to 256 threads"
}

@test "clear: a canonical line and the same order written otherwise clear alike" {
	{ order s1 sell 1000 100000; order b1 buy 1000 200000; } >book.jsonl
	denki-clear -c coop.yaml book.jsonl >fast.jsonl
	# the same records with blanks and keys out of order: the slow path
	jq -c '{wh, v, type, slot, side, sig, price, participant}' book.jsonl | sed 's/,/, /g' >loose.jsonl
	run -0 denki-clear -c coop.yaml loose.jsonl
	assert_equal "$output" "$(cat fast.jsonl)"
}

@test "clear: rejections come in input order, a bad signature among them; without -k the first is named" {
	order s1 sell 1000 100000 | sed 's/"wh":1000/"wh":1001/' >in.jsonl	# signature no longer fits
	order b1 buy 1000 200000 | sed 's/,"slot"/, "slot"/' >>in.jsonl	# not canonical: the slow path
	printf '{"type":"order",\n' >>in.jsonl				# not JSON
	order s2 sell 500 110000 >>in.jsonl
	run -65 --separate-stderr denki-clear -c coop.yaml in.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-clear: in.jsonl:1: rejected: sig: bad signature: the record was not signed by this key, or was changed after signing"
	run -65 --separate-stderr denki-clear -k -c coop.yaml in.jsonl
	assert_equal "${#stderr_lines[@]}" 2
	assert_equal "${stderr_lines[0]}" "denki-clear: in.jsonl:1: rejected: sig: bad signature: the record was not signed by this key, or was changed after signing"
	[[ "${stderr_lines[1]}" == "denki-clear: in.jsonl:3: rejected: "* ]]
	# lines 2 and 4 are cleared
	assert_equal "$(grep -c '"type":"order"' <<<"$output")" 2
}

@test "clear: duplicates are named by their later line, whatever the order of the files" {
	order s1 sell 1000 100000 >a.jsonl
	cp a.jsonl b.jsonl
	run -65 --separate-stderr denki-clear -k -c coop.yaml a.jsonl b.jsonl
	assert_equal "$stderr" "denki-clear: b.jsonl:1: rejected: duplicate of an order already in the book"
	run -65 --separate-stderr denki-clear -k -c coop.yaml b.jsonl a.jsonl
	assert_equal "$stderr" "denki-clear: a.jsonl:1: rejected: duplicate of an order already in the book"
}
