#!/usr/bin/env bats
# The worked examples of denki-clear(1) (MECHANISMS, ZONES AND WHEELING,
# LIMITS), run as a user would: if the market changes, the manual's
# numbers are checked here.  And the completions of the market settings.

load test_helper

SLOT=2026-01-01T10:00:00+00:00
SLOT2=2026-01-01T10:30:00+00:00

setup() {
	common_setup
	make_community_once s1 s2 s3 b1 b2 b3
}

# the book of MECHANISMS
book() {
	order s1 sell 1000 120000
	order s2 sell 1000 160000
	order s3 sell 1000 210000
	order b1 buy 1500 260000
	order b2 buy 1000 180000
	order b3 buy 500 180000
}

# trades MECHANISM <orders: "seller buyer wh price buy_price" per trade,
# sorted, then the clearing's price and reduced
trades() {
	denki-clear -c coop.yaml -D mechanism="$1" >out.jsonl
	jq -r 'select(.type == "trade") |
	    "\(.seller) \(.buyer) \(.wh) \(.price) \(.buy_price // "-")"' \
	    out.jsonl | sort
	jq -r 'select(.type == "clearing") |
	    "clearing \(.price) \(.wh) \(if has("reduced") then .reduced else "-" end)"' out.jsonl
}

@test "denki-clear(1) MECHANISMS: uniform" {
	book >orders.jsonl
	run -0 trades uniform <orders.jsonl
	assert_output "s1 b1 1000 180000 -
s2 b1 500 180000 -
s2 b2 333 180000 -
s2 b3 167 180000 -
clearing 180000 2000 -"
	# the second book: the range [160000, 180000], its midpoint
	{
		order s1 sell 1000 120000
		order s2 sell 1000 160000
		order s3 sell 1000 210000
		order b1 buy 1000 260000
		order b2 buy 1000 180000
		order b3 buy 1000 150000
	} >orders2.jsonl
	run -0 trades uniform <orders2.jsonl
	assert_line --index 2 "clearing 170000 2000 -"
}

@test "denki-clear(1) MECHANISMS: pay-as-bid" {
	book >orders.jsonl
	run -0 trades pay-as-bid <orders.jsonl
	assert_output "s1 b1 1000 260000 260000
s2 b1 500 260000 260000
s2 b2 333 180000 180000
s2 b3 167 180000 180000
clearing null 2000 -"
}

@test "denki-clear(1) MECHANISMS: mid-market" {
	book >orders.jsonl
	run -0 trades mid-market <orders.jsonl
	assert_output "s1 b1 750 200000 200000
s2 b1 750 200000 200000
clearing 200000 1500 -"
}

@test "denki-clear(1) MECHANISMS: mcafee reduces, the rent goes to the operator" {
	book >orders.jsonl
	run -0 trades mcafee <orders.jsonl
	assert_output "s1 b1 1000 160000 180000
clearing 160000 1000 true"
	# the second book: p0 = 180000 lies in [160000, 180000]
	{
		order s1 sell 1000 120000
		order s2 sell 1000 160000
		order s3 sell 1000 210000
		order b1 buy 1000 260000
		order b2 buy 1000 180000
		order b3 buy 1000 150000
	} >orders2.jsonl
	run -0 trades mcafee <orders2.jsonl
	assert_output "s1 b1 1000 180000 180000
s2 b2 1000 180000 180000
clearing 180000 2000 false"
	# settle the reduced book: b1 pays s1 160000, fee 10000, rent 20000
	echo 'mechanism: mcafee' >>coop.yaml
	denki-clear -c coop.yaml orders.jsonl | denki-contract-sign -c coop.yaml >/dev/null
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s}\n' \
	    s1-m $SLOT 0 1000 b1-m $SLOT 1000 0 >readings.jsonl
	run -0 --separate-stderr denki-settle -c coop.yaml readings.jsonl
	run -0 jq -r 'select(.type == "transfer") | "\(.from) \(.to) \(.amount) \(.reason)"' <<<"$output"
	assert_output "b1 s1 160000 p2p
b1 operator 10000 fee
b1 operator 20000 rent"
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
}

@test "denki-clear(1) ZONES AND WHEELING: the two-zone example, the link binds" {
	rm -f ledger.jsonl
	for p in e1 e2 w1 w2; do
		denki-keygen "$p" >/dev/null
	done
	cat >coop.yaml <<-YAML
	ledger: ledger.jsonl
	operator:
	  key: operator.key
	terms: terms.txt
	currency: JPY
	tz: Asia/Tokyo
	prices: {retail: 31000000, buyback: 8500000, fee: 0}
	wheeling:
	  inside: 7480000
	links:
	  t1: {zones: [east, west], capacity_wh: 1000, wheeling: 1000000}
	settle:
	  signed: registered   # the readings below are written by hand, unsigned
	YAML
	for p in e1:east e2:east w1:west w2:west; do
		enrol "${p%%:*}" -m "${p%%:*}-m" -z "${p#*:}"
	done
	S=2026-01-01T10:00:00+09:00
	{
		order e1 sell 3000 9000000 $S
		order e2 buy 1000 20000000 $S
		order w1 sell 1000 15000000 $S
		order w2 buy 3000 25000000 $S
	} >orders.jsonl
	denki-clear -c coop.yaml orders.jsonl >cleared.jsonl
	run -0 jq -r 'select(.type == "trade") |
	    "\(.seller) \(.buyer) \(.wh) \(.price) \(.buy_price) \(.wheeling)"' cleared.jsonl
	assert_output "e1 e2 1000 9000000 16480000 7480000
w1 w2 1000 17520000 25000000 7480000
e1 w2 1000 9000000 25000000 8480000"
	run -0 jq -c 'select(.type == "clearing") | [.price, .zones, .links]' cleared.jsonl
	assert_output '[null,[{"bought_wh":1000,"buy_wh":1000,"price":9000000,"sell_wh":3000,"sold_wh":2000,"zone":"east"},{"bought_wh":2000,"buy_wh":3000,"price":17520000,"sell_wh":1000,"sold_wh":1000,"zone":"west"}],[{"link":"t1","wh":1000}]]'
	denki-contract-sign -c coop.yaml cleared.jsonl >/dev/null
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s}\n' \
	    e1-m $S 0 2000 e2-m $S 1000 0 w1-m $S 0 1000 w2-m $S 2000 0 >readings.jsonl
	denki-settle -c coop.yaml readings.jsonl >settled.jsonl
	run -0 jq -r 'select(.type == "transfer" and .from == "w2" and .to != "w1") |
	    "\(.to) \(.amount) \(.reason)"' settled.jsonl
	assert_output "grid 7480000 wheeling
e1 9000000 p2p
grid 8480000 wheeling
operator 7520000 rent"
	run -0 jq -r 'select(.participant == "w2") | "\(.p2p_paid) \(.wheeling) \(.rent)"' settled.jsonl
	assert_output "50000000 15960000 7520000"
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
}

@test "denki-clear(1) LIMITS: max_wh and max_day, reported with file and line" {
	denki-registry -c coop.yaml update s1 -w 2000 >/dev/null
	denki-registry -c coop.yaml update b1 -l 500000 >/dev/null
	run -0 jq -r 'select(.id == "s1" or .id == "b1") | "\(.id) \(.max_wh) \(.max_day)"' \
	    < <(denki-registry -c coop.yaml list)
	assert_output "s1 2000 null
b1 null 500000"
	{
		order s1 sell 1500 100000
		order s1 sell 1000 100000
		order b1 buy 1000 300000
	} >o1.jsonl
	run -65 --separate-stderr denki-clear -c coop.yaml o1.jsonl
	assert_output ""
	[[ "$stderr" == "denki-clear: o1.jsonl:"[12]": rejected: over the participant's limit of 2000 Wh a slot ("1[05]00" Wh in its orders before this one)" ]]
	denki-clear -k -c coop.yaml o1.jsonl 2>/dev/null | denki-contract-sign -c coop.yaml >contracts.jsonl
	# owed already: the contract (1000 Wh at its price, fee 10000) and
	# the buy order before this one in the slot, at its limit
	paid=$(jq -r 'select(.buyer == "b1") | .price / 1000 * .wh + 10000' contracts.jsonl)
	{
		order b1 buy 1000 250000 $SLOT2
		order b1 buy 1000 200000 $SLOT2
	} >o2.jsonl
	run -65 --separate-stderr denki-clear -k -c coop.yaml o2.jsonl
	[[ "$stderr" == *"rejected: over the participant's limit of 500000 a day: it may owe "* ]]
	owed=${stderr##*may owe }
	owed=${owed%% already*}
	up=${stderr##*this order up to }
	[ "$owed" -eq $((paid + 210000)) ] || [ "$owed" -eq $((paid + 260000)) ]
	[ "$((owed + up))" -eq $((paid + 470000)) ]
	# "none" lifts a limit, update keeps the other
	run -0 jq -r '"\(.max_wh) \(.max_day)"' < <(denki-registry -c coop.yaml update s1 -l 7 -w none)
	assert_output "null 7"
	run -0 jq -r '"\(.max_wh) \(.max_day)"' < <(denki-registry -c coop.yaml update s1 -r producer)
	assert_output "null 7"
}

@test "completions: mechanisms, wheeling settings, registry -w and -l" {
	comp() {
		bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
		    _denki; printf "%s\n" "${COMPREPLY[@]}"' _ \
		    "$TOP/completions/bash/denki" "$@"
	}
	run comp denki-clear -D mechanism=m
	assert_output "mid-market
mcafee"
	run comp denki clear -D mechanism = pay
	assert_output "pay-as-bid"
	run comp denki-clear -D whe
	assert_output "wheeling.inside=
wheeling.between="
	run comp denki-clear -D lin
	assert_output "links."
	run comp denki-registry update s1 -w no
	assert_output "none"
	run comp denki-registry update s1 -
	assert_line -- "-w"
	assert_line -- "-l"
	run -0 grep -c "compadd uniform pay-as-bid mid-market mcafee\|'wheeling.inside:\|'wheeling.between:\|'-w+\[most Wh a slot\|'-l+\[most owed a day" "$TOP/completions/zsh/_denki"
	assert_output 5
	if command -v zsh >/dev/null; then
		run -0 zsh -n "$TOP/completions/zsh/_denki"
	fi
}
