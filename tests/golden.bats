#!/usr/bin/env bats
# Issue 4, item 5: determinism.  tests/golden/ holds a community (keys,
# ledger with a registry in zones z1-z3, a4 limited to 3000 Wh a slot, b4
# to owe 400000 a day; the rules already in the ledger), three signed books
# and what denki-clear printed for them (made once by tests/golden/make.sh
# and checked by hand, below).  The tests compare byte for byte, with the
# input as given, reversed and shuffled, and replay the outputs through
# contract-sign and ledger-verify.
#
# book.jsonl (one zone, retail 300000, buyback 100000):
#   sells c1 500@95000, a1 1200@110000, a2 800@120000 + b1 700@120000,
#         b2 900@160000, c2 400@210000  (cumulative 500 1700 3200 4100 4500)
#   buys  a3 600@250000, a4 800@230000, b3 1000@180000 + c3 900@180000,
#         c4 300@140000, b4 500@125000  (cumulative 600 1400 3300 3600 4100)
#   uniform: Q = 3300 (b2 sells 100 of 900 at 160000 <= 180000; next, b2
#     at 160000 > c4 at 140000); s = 160000, b = 180000, s' = 160000,
#     b' = 140000: [160000, 160000] -> price 160000.
#   pay-as-bid: the same 3300 Wh; each pair at the buyer's limit.
#   mid-market: P = 100000 + (300000 - 100000) / 2 = 200000; eligible
#     sells (<= P) 4100 Wh, buys (>= P) a3 + a4 = 1400 Wh; the sells share
#     1400 pro rata: c1 170.73, a1 409.76, a2 273.17, b1 239.02, b2 307.32,
#     floors sum to 1398, +1 to a1 (.76) and c1 (.73): 171 410 273 239 307.
#   mcafee: s_m = 160000 (b2), b_m = 180000; p0 = (160000 + 140000) / 2 =
#     150000 < s_m: reduced.  Better sells 3200 Wh, better buys 1400 Wh:
#     sells share 1400: c1 218.75 -> 219, a1 525, a2 350, b1 306.25 -> 306;
#     sellers get 160000, buyers pay 180000.
# zonal.jsonl (zonal.yaml: inside 2000, between 7480, t12 z1-z2 1200 Wh at
#   5000, t23 z2-z3 5000 Wh at 7480): z1 sells a1 2000@100000, a2 1500@105000,
#   a3 900@150000; z2 b1 sells 600@170000, b2 buys 700@240000, b3 400@160000;
#   z3 c1 buys 1500@260000, c2 1000@230000, c4 800@190000, c3 sells
#   300@200000.  t12 runs full (1200 Wh from z1 to c1), z1's price stays
#   at a1's 100000; z2's is 238000 (b2, partly filled, pays 238000 + 2000
#   inside = its limit 240000); t23 does not bind: z3 = z2 + 7480 = 245480.
#   a1 -> c1: seller gets 100000, buyer pays 247480, wheeling 2000 + 5000 +
#   7480 = 14480, congestion rent 247480 - 100000 - 14480 = 133000.
# limits.jsonl: a4 buys 2000 + 1500 + 900 Wh, by id the 1500 comes last:
#   2900 + 1500 > 3000, rejected; b4's buys by id 1000@200000 (200000 +
#   fee 10000), 300@150000 (45000 + 3000), then 1000@180000: 258000 +
#   190000 > 400000, rejected.

load test_helper

G="$TOP/tests/golden"

setup() {
	common_setup
	cp -r "$G" g
	cd g
}

# clear_case NAME: runs the case NAME, output in $output
clear_case() {
	case $1 in
	book-*) run -0 --separate-stderr denki-clear -c coop.yaml -D "mechanism=${1#book-}" "${2:-book.jsonl}" ;;
	zonal) run -0 --separate-stderr denki-clear -c zonal.yaml "${2:-zonal.jsonl}" ;;
	limits) run -65 --separate-stderr denki-clear -k -c coop.yaml "${2:-limits.jsonl}" ;;
	esac
}

input_of() {
	case $1 in book-*) echo book.jsonl ;; *) echo "$1.jsonl" ;; esac
}

CASES="book-uniform book-pay-as-bid book-mid-market book-mcafee zonal limits"

@test "golden: each book clears byte for byte as committed" {
	local c
	for c in $CASES; do
		clear_case "$c"
		printf '%s\n' "$output" >"$c.got"
		cmp "$c.got" "$G/$c.out"
	done
	# the limits case names its rejections, in id order
	clear_case limits
	assert_equal "$stderr" "$(cat "$G/limits.err")"
	assert_equal "${#stderr_lines[@]}" 2
	# the files hold what the comments above say
	assert_equal "$(jq -r 'select(.type=="clearing") | "\(.mechanism) \(.price) \(.wh) \(.trades)"' "$G/book-uniform.out")" "uniform 160000 3300 8"
	assert_equal "$(jq -r 'select(.type=="clearing") | "\(.reduced) \(.price) \(.wh)"' "$G/book-mcafee.out")" "true 160000 1400"
	assert_equal "$(jq -r 'select(.type=="trade") | "\(.seller) \(.wh)"' "$G/book-mid-market.out" | awk '{s[$1]+=$2} END {for (k in s) print k, s[k]}' | sort | tr '\n' ' ')" "a1 410 a2 273 b1 239 b2 307 c1 171 "
	assert_equal "$(jq -c 'select(.type=="clearing") | [.links, [.zones[].price]]' "$G/zonal.out")" \
	    '[[{"link":"t12","wh":1200},{"link":"t23","wh":1200}],[100000,238000,245480]]'
	assert_equal "$(jq -r 'select(.type=="trade" and .seller=="a1") | "\(.price) \(.buy_price) \(.wheeling)"' "$G/zonal.out")" "100000 247480 14480"
}

@test "golden: reversed, shuffled or split in two files, the input clears to the same bytes" {
	local c in s
	for c in $CASES; do
		in=$(input_of "$c")
		tac "$in" >rev.jsonl
		clear_case "$c" rev.jsonl
		printf '%s\n' "$output" | cmp - "$G/$c.out"
		for s in 1 2 3 4 5; do
			shuf --random-source=<(yes "$s") "$in" >shuf.jsonl
			clear_case "$c" shuf.jsonl
			printf '%s\n' "$output" | cmp - "$G/$c.out"
		done
		# two files, the second half first
		head -n 4 "$in" >one.jsonl
		tail -n +5 "$in" >two.jsonl
		case $c in
		book-*) run -0 denki-clear -c coop.yaml -D "mechanism=${c#book-}" two.jsonl one.jsonl ;;
		zonal) run -0 denki-clear -c zonal.yaml two.jsonl one.jsonl ;;
		limits) run -65 --separate-stderr denki-clear -k -c coop.yaml two.jsonl one.jsonl ;;
		esac
		printf '%s\n' "$output" | cmp - "$G/$c.out"
	done
	# and the shuffles did change the input
	shuf --random-source=<(yes 1) book.jsonl | cmp -s - book.jsonl && false
	true
}

@test "golden: contract-sign replays every golden clearing, ledger-verify agrees" {
	local c cfg
	for c in $CASES; do
		rm -rf "../r-$c" && cp -r "$G" "../r-$c"
		# git checks the secret keys out 0644; denki wants them 0600
		chmod 600 "../r-$c"/*.key
		cd "../r-$c"
		cfg=coop.yaml
		[ "$c" = zonal ] && cfg=zonal.yaml
		case $c in book-*) sed -i "1i mechanism: ${c#book-}" coop.yaml ;; esac
		run -0 denki-contract-sign -c "$cfg" "$c.out"
		run -0 denki-ledger-verify -p operator.pub ledger.jsonl
		assert_equal "$(jq -r 'select(.rec.type=="contract") | .rec.type' ledger.jsonl | wc -l)" \
		    "$(jq -r 'select(.type=="trade") | .type' "$c.out" | wc -l)"
		cd - >/dev/null
	done
}

@test "golden: no floating point in the market's code: clearing, rules, orders, registry, state, clear" {
	local f
	for f in "$TOP"/lib/market/*.c "$TOP"/lib/settle/*.c "$TOP"/lib/ledger/rules.c "$TOP"/lib/ledger/registry.c "$TOP"/lib/ledger/regedit.c "$TOP"/lib/ledger/state.c "$TOP"/lib/core/money.c "$TOP"/cmd/clear.c "$TOP"/cmd/registry.c; do
		[ -s "$f" ]
		run -1 sh -c "perl -0pe 's{/\\*.*?\\*/}{}gs; s{//[^\\n]*}{}g' '$f' |
		    grep -nE '\\b(float|double|long double|json_real|json_real_value|json_number_value|strtod|strtof|atof|floor|ceil|round|lround|llround|sqrt|pow)\\b'"
		assert_output ""
	done
	# and it is found when it is there (the check can fail)
	run -0 sh -c "printf 'int\nf(void)\n{\n\t/* a double auction */\n\tfloat x = sqrt(2);\n}\n' | perl -0pe 's{/\\*.*?\\*/}{}gs' | grep -cE '\\b(float|sqrt)\\b'"
	assert_output 1
}

@test "golden: json_dumps text only through dk_json_dumps: with the pools on (jalloc.c), jansson's own blocks are not free()'s" {
	local f
	for f in "$TOP"/lib/*/*.c "$TOP"/cmd/*.c "$TOP"/cmd/common/*.c; do
		[ "${f##*/}" = jalloc.c ] && continue
		run -1 sh -c "perl -0pe 's{/\\*.*?\\*/}{}gs' '$f' | grep -nE '(^|[^_])json_dumps\\('"
		assert_output ""
	done
	# and it is found when it is there (the check can fail)
	run -0 sh -c "printf 'char *t = json_dumps(v, 0);\nchar *u = dk_json_dumps(v, 0);\n' | grep -cE '(^|[^_])json_dumps\\('"
	assert_output 1
}
