#!/usr/bin/env bats
# Issue 4, item 4: denki-clear's welfare equals the optimum of the same
# problem written as a linear program and solved by glpsol, for hundreds of
# random books (seeded, reproducible): 1-40 orders, 1-4 zones, with and
# without wheeling inside and between zones, links whose capacities bind,
# registry limits (max_wh, max_day).  tests/lp-check.py builds the
# community, the books, the LPs, and compares; its header says what is
# checked and why the comparison is exact (integers, no tolerance).

load test_helper

setup() {
	common_setup
	command -v glpsol >/dev/null || skip "glpsol (glpk-utils) not installed"
}

@test "market-lp: 400 random books, every mechanism: clear's welfare is the LP optimum, no discrepancy" {
	run -0 python3 "$TOP/tests/lp-check.py" -s 1 -n 400 "$BATS_TEST_TMPDIR/lp"
	assert_line --regexp '^books 400, orders [0-9]+, LPs solved 400, discrepancies 0, seconds '
	# every kind of book was made and checked
	local k
	for k in mcafee mid-market "mid-market zonal" "mid-market zonal links" \
	    pay-as-bid "pay-as-bid zonal" "pay-as-bid zonal links" uniform \
	    "uniform zonal" "uniform zonal links"; do
		assert_line --regexp "^  $k: [1-9][0-9]*\$"
	done
	# limits rejected orders, links ran full, zones got their own prices
	assert_line --regexp '^  books with limit rejections: [1-9][0-9]*$'
	assert_line --regexp '^  books x links at capacity: [1-9][0-9]*$'
	assert_line --regexp '^  uniform books with different zone prices: [1-9][0-9]*$'
	assert_line --regexp '^mcafee: [1-9][0-9]* books with W_opt - G <= W <= W_opt'
}

@test "market-lp: the same seed makes the same books, and checks them the same" {
	run -0 python3 "$TOP/tests/lp-check.py" -s 5 -n 40 "$BATS_TEST_TMPDIR/lp"
	local first="${lines[*]}"
	run -0 python3 "$TOP/tests/lp-check.py" -s 5 -n 40 "$BATS_TEST_TMPDIR/lp"
	# all but the timing are the same
	assert_equal "$(sed 's/seconds [0-9.]*//' <<<"${lines[*]}")" \
	    "$(sed 's/seconds [0-9.]*//' <<<"$first")"
	assert_line --regexp '^books 40, orders [0-9]+, LPs solved 40, discrepancies 0'
}

# A denki-clear that gives away 1 Wh of its last trade: the check must see it.
@test "market-lp: a clearing short of the optimum by one Wh is caught (exit 1, the LP's figure named)" {
	cat >clear-short <<-EOS
	#!/bin/sh
	"$TOP/denki-clear" "\$@" >out.\$\$; rc=\$?
	python3 - out.\$\$ <<'PY'
	import json, sys
	lines = open(sys.argv[1]).read().splitlines()
	last = max([i for i, l in enumerate(lines) if '"type":"trade"' in l] or [-1])
	for i, l in enumerate(lines):
	    r = json.loads(l)
	    if i == last:
	        r["wh"] -= 1
	        l = json.dumps(r, separators=(",", ":"), sort_keys=True)
	        if r["wh"] == 0:
	            continue
	    elif r["type"] == "clearing" and last >= 0:
	        r["wh"] -= 1
	        l = json.dumps(r, separators=(",", ":"), sort_keys=True)
	    print(l)
	PY
	rm -f out.\$\$
	exit \$rc
	EOS
	chmod +x clear-short
	LP_CHECK_CLEAR="$PWD/clear-short" run -1 python3 "$TOP/tests/lp-check.py" -s 1 -n 40 "$BATS_TEST_TMPDIR/lp"
	assert_line --regexp '^book [0-9]+ \(uniform[^)]*\): welfare [0-9]+, LP optimum [0-9]+ \(difference [1-9][0-9]*\)$'
	assert_line --regexp '^books 40, orders [0-9]+, LPs solved 40, discrepancies [1-9][0-9]*, '
}
