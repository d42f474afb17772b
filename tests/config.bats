#!/usr/bin/env bats
# Configuration is checked, never guessed (denki-formats(5), CONFIGURATION):
# unknown, misplaced and duplicated keys, YAML tags, anchors, aliases and
# merge keys, and path settings that name no regular file stop the program
# with 78, naming the file and the line.

load test_helper

SLOT=2026-01-01T10:00:00+00:00

setup() {
	common_setup
	make_community_once
	{
		order alice sell 1000 120000
		order bob buy 600 200000
	} >orders.jsonl
	denki-clear -c coop.yaml orders.jsonl >cleared.jsonl
	cp ledger.jsonl before.jsonl
}

# coop.yaml with its "  fee: 10000" line (line 12) replaced by $1
fee_line() {
	sed "s/^  fee: 10000\$/$1/" coop.yaml >bad.yaml
}

@test "config: a misspelt key is refused with its line and the nearest key, and nothing is signed" {
	fee_line '  fe: 10000'
	run -78 --separate-stderr denki-contract-sign -c bad.yaml cleared.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-contract-sign: bad.yaml:12: prices.fe: unknown setting; did you mean prices.fee?"
	cmp ledger.jsonl before.jsonl
	# at the top level, the same
	sed '/^  fee: 10000$/d' coop.yaml >top.yaml
	echo 'fee: 10000' >>top.yaml
	run -78 --separate-stderr denki-settle -c top.yaml </dev/null
	assert_equal "$stderr" "denki-settle: top.yaml:14: fee: unknown setting; did you mean prices.fee?"
	# a household's file: the nearest of a household's settings
	sed 's/^state:/stat:/' alice.yaml >home.yaml
	run -78 --separate-stderr denki-bid -c home.yaml -s $SLOT </dev/null
	assert_equal "$stderr" "denki-bid: home.yaml:4: stat: unknown setting; did you mean state?"
	printf 'bid:\n  sell_markpu: 30\n' >>alice.yaml
	run -78 --separate-stderr denki-bid -c alice.yaml -s $SLOT </dev/null
	assert_equal "$stderr" "denki-bid: alice.yaml:14: bid.sell_markpu: unknown setting; did you mean bid.sell_markup?"
	# nothing near: the page that lists them
	echo 'xyzzy: 1' >>coop.yaml
	run -78 --separate-stderr denki-clear -c coop.yaml orders.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-clear: coop.yaml:15: xyzzy: unknown setting (denki-formats(5), CONFIGURATION)"
}

@test "config: an unknown -D key=value is refused the same way" {
	run -78 --separate-stderr denki-contract-sign -c coop.yaml -D prices.fe=5000 cleared.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-contract-sign: -D: prices.fe: unknown setting; did you mean prices.fee?"
	cmp ledger.jsonl before.jsonl
	run -78 --separate-stderr denki-meter-read -D slot_minute=15 -d sim -m m1 -s $SLOT -n 1
	assert_output ""
	assert_equal "$stderr" "denki-meter-read: -D: slot_minute: unknown setting; did you mean slot_minutes?"
	# and a -D value out of range, before anything is read
	run -78 --separate-stderr denki-clear -c coop.yaml -D prices.fee=-1 orders.jsonl
	assert_equal "$stderr" "denki-clear: -D: prices.fee: must be from 0 to 10000000000, got -1"
}

@test "config: a setting of the other kind of file is refused" {
	echo 'state: coop.db' >>coop.yaml
	run -78 --separate-stderr denki-clear -c coop.yaml orders.jsonl
	assert_equal "$stderr" "denki-clear: coop.yaml:15: state: a setting of a household's file, not of the cooperative's"
	echo 'ledger: ledger.jsonl' >>alice.yaml
	run -78 --separate-stderr denki-bid -c alice.yaml -s $SLOT </dev/null
	assert_equal "$stderr" "denki-bid: alice.yaml:13: ledger: a setting of the cooperative's file, not of a household's"
}

@test "config: a key given twice, or dotted beside nested, is refused" {
	fee_line '  fee: 10000\n  fee: 0'
	run -78 --separate-stderr denki-contract-sign -c bad.yaml cleared.jsonl
	assert_equal "$stderr" "denki-contract-sign: bad.yaml:13: prices.fee: given twice (first at line 12)"
	cmp ledger.jsonl before.jsonl
	cp coop.yaml twice.yaml
	printf 'prices:\n  fee: 0\n' >>twice.yaml
	run -78 --separate-stderr denki-clear -c twice.yaml orders.jsonl
	assert_equal "$stderr" "denki-clear: twice.yaml:15: prices: given twice (first at line 9)"
	cp coop.yaml dotted.yaml
	echo 'prices.fee: 0' >>dotted.yaml
	run -78 --separate-stderr denki-clear -c dotted.yaml orders.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-clear: dotted.yaml:15: prices.fee: collides with prices at line 9; write one mapping, dotted or nested, not both"
	# the dotted form alone is fine, and means the same
	sed '/^prices:/,$d' coop.yaml >flat.yaml
	printf 'prices.retail: 300000\nprices.buyback: 100000\nprices.fee: 10000\n' >>flat.yaml
	run -0 --separate-stderr denki-clear -c flat.yaml orders.jsonl
	assert_output "$(cat cleared.jsonl)"
}

@test "config: YAML tags, anchors, aliases and merge keys are refused" {
	local why='not allowed in a configuration (no tags, anchors, aliases or merge keys)'
	fee_line '  fee: !!int 10000'
	run -78 --separate-stderr denki-clear -c bad.yaml orders.jsonl
	assert_equal "$stderr" "denki-clear: bad.yaml:12: a tag (!name): $why"
	fee_line '  fee: \&f 10000'
	run -78 --separate-stderr denki-clear -c bad.yaml orders.jsonl
	assert_equal "$stderr" "denki-clear: bad.yaml:12: an anchor (&name): $why"
	cp coop.yaml alias.yaml
	printf 'wheeling:\n  inside: *f\n' >>alias.yaml
	run -78 --separate-stderr denki-clear -c alias.yaml orders.jsonl
	assert_equal "$stderr" "denki-clear: alias.yaml:16: an alias (*name): $why"
	fee_line '  <<: {fee: 10000}'
	run -78 --separate-stderr denki-contract-sign -c bad.yaml cleared.jsonl
	assert_equal "$stderr" "denki-contract-sign: bad.yaml:12: a merge key (<<): $why"
	cmp ledger.jsonl before.jsonl
	# billion laughs: refused at the first anchor, at once
	{
		echo 'a: &a [x, x, x, x, x, x, x, x, x]'
		for i in b c d e f g h i j; do echo "$i: &$i [*a, *a, *a, *a, *a, *a, *a, *a, *a]"; done
	} >laughs.yaml
	run -78 --separate-stderr timeout 10 denki-clear -c laughs.yaml orders.jsonl
	assert_equal "$stderr" "denki-clear: laughs.yaml:1: an anchor (&name): $why"
}

@test "config: a path setting must name a regular file or nothing yet" {
	sed 's|^ledger: ledger.jsonl|ledger: /dev/zero|' coop.yaml >zero.yaml
	run -78 --separate-stderr timeout 10 denki-contract-sign -c zero.yaml cleared.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-contract-sign: zero.yaml:1: ledger: /dev/zero: not a regular file (a device)"
	run -78 --separate-stderr timeout 10 denki-clear -c coop.yaml -D ledger=/dev/zero orders.jsonl
	assert_equal "$stderr" "denki-clear: -D: ledger: /dev/zero: not a regular file (a device)"
	mkdir dir
	run -78 --separate-stderr denki-settle -c coop.yaml -D operator.key=dir </dev/null
	assert_equal "$stderr" "denki-settle: -D: operator.key: dir: not a regular file (a folder)"
	mkfifo fifo
	sed 's|^terms: terms.txt|terms: fifo|' coop.yaml >fifo.yaml
	run -78 --separate-stderr timeout 10 denki-contract-sign -c fifo.yaml cleared.jsonl
	assert_equal "$stderr" "denki-contract-sign: fifo.yaml:5: terms: fifo: not a regular file (a fifo)"
	cmp ledger.jsonl before.jsonl
	run -78 --separate-stderr timeout 10 denki-bid -c alice.yaml -D state=fifo -s $SLOT </dev/null
	assert_equal "$stderr" "denki-bid: -D: state: fifo: not a regular file (a fifo)"
	# a file not made yet is fine: the ledger, the state database
	run -0 --separate-stderr denki-clear -c coop.yaml -D ledger=new.jsonl </dev/null
	run -0 --separate-stderr denki-bid -c alice.yaml -D state=new.db -s $SLOT </dev/null
}

@test "config: contract-sign signs nothing without terms" {
	grep -v '^terms:' coop.yaml >noterms.yaml
	run -78 --separate-stderr denki-contract-sign -c noterms.yaml cleared.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-contract-sign: noterms.yaml: terms: missing (the path of the written terms every contract names by their hash)"
	cmp ledger.jsonl before.jsonl
	: >empty.txt
	run -78 --separate-stderr denki-contract-sign -c coop.yaml -D terms=empty.txt cleared.jsonl
	assert_equal "$stderr" "denki-contract-sign: coop.yaml: terms: empty file"
	cmp ledger.jsonl before.jsonl
	# with them, every contract names them
	run -0 --separate-stderr denki-contract-sign -c coop.yaml cleared.jsonl
	assert_equal "$(jq -r 'select(.type == "contract") | .terms' <<<"$output" | sort -u)" "$(sha256sum terms.txt | cut -c1-64)"
}

@test "config: every configuration shipped in examples/ and tests/golden/ loads" {
	local f h
	for f in "$EXAMPLES/community/coop.yaml" "$EXAMPLES/coop-zones.yaml" "$EXAMPLES/coop-money.yaml" "$TOP"/tests/golden/*.yaml; do
		run -0 --separate-stderr denki-clear -c "$f" </dev/null
		assert_equal "$stderr" ""
	done
	for h in kn1 kn2 kn3 kn4 kn5 kn6; do
		# unsigned: a run that signs would make the meter's key in examples/
		run -0 --separate-stderr denki-meter-read -c "$EXAMPLES/community/$h.yaml" -D meter.sign=no -d sim -s 2016-07-05T00:00:00+02:00 -n 1
		assert_equal "$stderr" ""
	done
}
