#!/usr/bin/env bats
# denki-contract-sign: the trades of denki-clear, replayed, become
# operator-signed contracts appended to the ledger.

load test_helper

SLOT=2026-01-01T10:00:00+00:00
SLOT2=2026-01-01T10:30:00+00:00
SLOT_RE='2026-01-01T10:00:00\+00:00'
# make_community's rules
RULES='{"buyback":100000,"currency":"EUR","fee":10000,"mechanism":"uniform","retail":300000,"slot_minutes":30,"terms":"%s","type":"rules","tz":"UTC","v":1}'

setup() {
	common_setup
	make_community_once
	# alice sells 1010 Wh to bob (600) and carol (410) at 135050
	three_orders >orders.jsonl
	denki-clear -c coop.yaml orders.jsonl >cleared.jsonl
	{
		order alice sell 300 100000 $SLOT2
		order bob buy 200 120000 $SLOT2
	} >orders2.jsonl
	denki-clear -c coop.yaml orders2.jsonl >cleared2.jsonl
}

# the record types of the ledger's entries from line $1 on, one line
types_from() {
	tail -n +"$1" ledger.jsonl | jq -r .rec.type | tr '\n' ' '
}

# the records of type $1 in the ledger, one a line
recs() {
	jq -c --arg t "$1" 'select(.rec.type == $t) | .rec' ledger.jsonl
}

# make_community's ledger: the genesis, then each participant and a
# checkpoint
REGISTRY_LINES=7

terms_hash() {
	sha256sum terms.txt | cut -c1-64
}

# contracts_of FILE: the contracts expected for clear's trades in FILE
contracts_of() {
	jq -cS --arg t "$(terms_hash)" 'select(.type == "trade") |
	    .type = "contract" | .currency = "EUR" | .terms = $t |
	    .delivery = "firm" | .fee = 10000 | .retail = 300000 |
	    .buyback = 100000' "$1"
}

@test "contract-sign: terms and rules once, then the orders, the clearing, the contracts" {
	cp ledger.jsonl registry-only.jsonl
	assert_equal "$(types_from 1)" "ledger participant checkpoint participant checkpoint participant checkpoint "
	run -0 --separate-stderr denki-contract-sign -c coop.yaml cleared.jsonl
	assert_equal "$stderr" ""
	# the registry's entries, then this run's, ending with a checkpoint
	assert_equal "$(types_from 8)" "terms rules order order order clearing contract contract checkpoint "
	# the ledger grew by appending: the old entries are there byte for byte
	cmp registry-only.jsonl <(head -n $REGISTRY_LINES ledger.jsonl)
	# the terms entry holds the text, the rules name its hash
	assert_equal "$(recs terms)" \
	    "$(jq -Rsc '{text: ., type: "terms", v: 1}' terms.txt | jq -cS .)"
	assert_equal "$(recs rules)" "$(printf "$RULES" "$(terms_hash)")"
	# the orders as signed, in the order of the book; the clearing as cleared
	assert_equal "$(recs order)" "$(head -n 3 cleared.jsonl)"
	assert_equal "$(recs clearing)" "$(tail -n 1 cleared.jsonl)"
	# the checkpoint holds every entry before it
	assert_equal "$(tail -n 1 ledger.jsonl | jq -r .rec.note | sed -n 2p)" 15
	# a second slot: no second terms or rules entry
	run -0 --separate-stderr denki-contract-sign -c coop.yaml cleared2.jsonl
	assert_equal "$(types_from 17)" "order order clearing contract checkpoint "
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
	assert_output ""
}

@test "contract-sign: each contract is its trade under the terms (by hash) and the tariffs" {
	run -0 --separate-stderr denki-contract-sign -c coop.yaml cleared.jsonl
	assert_equal "${#lines[@]}" 2
	assert_equal "$output" "$(contracts_of cleared.jsonl)"
	assert_equal "$(jq -r '[.seller, .buyer, .wh, .price, .terms, .fee, .retail, .buyback, .delivery, .currency] | join(" ")' <<<"$output")" \
	    "alice bob 600 135050 $(terms_hash) 10000 300000 100000 firm EUR
alice carol 410 135050 $(terms_hash) 10000 300000 100000 firm EUR"
	# what went out is what went into the ledger
	assert_equal "$(jq -c 'select(.rec.type == "contract") | .rec' ledger.jsonl)" "$output"
}

@test "contract-sign: clear's output re-spaced (not canonical) signs the same contracts and records as its canonical lines" {
	# canonical lines take the fast way (ids, the book hash and the
	# signed messages cut from the lines, the trades compared as bytes);
	# the same records with blanks are read as JSON: nothing may differ
	cp ledger.jsonl registry-only.jsonl
	run -0 --separate-stderr denki-contract-sign -c coop.yaml cleared.jsonl cleared2.jsonl
	fast=$output
	recs_fast=$(jq -c 'select(.rec.type != "checkpoint") | .rec' ledger.jsonl)
	cp registry-only.jsonl ledger.jsonl
	# one record a line still, each with blanks after its commas
	cat cleared.jsonl cleared2.jsonl | sed 's/,"/, "/g' >spaced.jsonl
	run -1 grep -v ', "' spaced.jsonl
	run -0 --separate-stderr denki-contract-sign -c coop.yaml spaced.jsonl
	assert_equal "$output" "$fast"
	assert_equal "$(jq -c 'select(.rec.type != "checkpoint") | .rec' ledger.jsonl)" "$recs_fast"
	assert_equal "$(echo "$fast" | wc -l)" 3
	# a trade changed in both forms: the same message either way
	cp registry-only.jsonl ledger.jsonl
	sed -i '/"trade"/s/"price":135050/"price":135051/' cleared.jsonl
	run -65 --separate-stderr denki-contract-sign -c coop.yaml cleared.jsonl
	fast_err=$stderr
	sed 's/,"/, "/g' cleared.jsonl >spaced.jsonl
	run -65 --separate-stderr denki-contract-sign -c coop.yaml spaced.jsonl
	assert_equal "$stderr" "${fast_err//cleared.jsonl/spaced.jsonl}"
	assert_regex "$stderr" 'trade 1: price differs from a replay of the market'
	cmp registry-only.jsonl ledger.jsonl
}

@test "contract-sign: a changed terms text or fee adds a new terms or rules entry" {
	denki-contract-sign -c coop.yaml cleared.jsonl >/dev/null
	sed -i 's/fee: 10000/fee: 20000/' coop.yaml
	run -0 --separate-stderr denki-contract-sign -c coop.yaml cleared2.jsonl
	assert_equal "$(jq -r .fee <<<"$output")" 20000
	assert_equal "$(types_from 17)" "rules order order clearing contract checkpoint "
	assert_equal "$(recs rules | jq -r .fee | tr '\n' ' ')" "10000 20000 "
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
}

@test "contract-sign: a trade with its wh changed is rejected, the ledger unchanged" {
	cp ledger.jsonl before.jsonl
	sed '4s/"wh":600}$/"wh":601}/' cleared.jsonl >tampered.jsonl
	run -1 cmp -s cleared.jsonl tampered.jsonl
	run -65 --separate-stderr denki-contract-sign -c coop.yaml tampered.jsonl
	assert_output ""
	assert_equal "${stderr_lines[0]}" "denki-contract-sign: tampered.jsonl:6: rejected: slot $SLOT: trade 1: wh differs from a replay of the market"
	assert_equal "${stderr_lines[1]}" "denki-contract-sign: nothing was appended"
	cmp before.jsonl ledger.jsonl
}

@test "contract-sign: a trade with its price changed is rejected, the ledger unchanged" {
	cp ledger.jsonl before.jsonl
	sed '5s/"price":135050/"price":135000/' cleared.jsonl >tampered.jsonl
	run -1 cmp -s cleared.jsonl tampered.jsonl
	run -65 --separate-stderr denki-contract-sign -c coop.yaml <tampered.jsonl
	assert_output ""
	assert_equal "${stderr_lines[0]}" "denki-contract-sign: stdin:6: rejected: slot $SLOT: trade 2: price differs from a replay of the market"
	cmp before.jsonl ledger.jsonl
}

@test "contract-sign: a changed clearing, a dropped trade or order is rejected" {
	cp ledger.jsonl before.jsonl
	sed '$s/"wh":1010}$/"wh":1000}/' cleared.jsonl >t1.jsonl
	run -65 --separate-stderr denki-contract-sign -c coop.yaml t1.jsonl
	assert_equal "${stderr_lines[0]}" "denki-contract-sign: t1.jsonl:6: rejected: slot $SLOT: clearing: wh differs from a replay of the market"
	sed 5d cleared.jsonl >t2.jsonl
	run -65 --separate-stderr denki-contract-sign -c coop.yaml t2.jsonl
	assert_equal "${stderr_lines[0]}" "denki-contract-sign: t2.jsonl:5: rejected: slot $SLOT: 1 trades given, the market makes 2"
	sed 3d cleared.jsonl >t3.jsonl
	run -65 --separate-stderr denki-contract-sign -c coop.yaml t3.jsonl
	assert_regex "${stderr_lines[0]}" '^denki-contract-sign: t3\.jsonl:5: rejected: slot '"$SLOT_RE"': '
	cmp before.jsonl ledger.jsonl
	assert_equal "$(wc -l <ledger.jsonl)" $REGISTRY_LINES
}

@test "contract-sign: an order changed in clear's output is rejected" {
	cp ledger.jsonl before.jsonl
	sed '1s/"wh":[0-9]*/"wh":999/' cleared.jsonl >t.jsonl
	run -65 --separate-stderr denki-contract-sign -c coop.yaml t.jsonl
	assert_output ""
	assert_regex "${stderr_lines[0]}" "^denki-contract-sign: t\.jsonl:6: rejected: slot $SLOT_RE: order 1 of the slot: sig: bad signature"
	cmp before.jsonl ledger.jsonl
}

@test "contract-sign: the same slot twice is rejected, the ledger unchanged" {
	denki-contract-sign -c coop.yaml cleared.jsonl >/dev/null
	cp ledger.jsonl before.jsonl
	run -65 --separate-stderr denki-contract-sign -c coop.yaml cleared.jsonl
	assert_output ""
	assert_equal "${stderr_lines[0]}" "denki-contract-sign: cleared.jsonl:6: rejected: slot $SLOT: already in the ledger"
	assert_equal "${stderr_lines[1]}" "denki-contract-sign: nothing was appended"
	cmp before.jsonl ledger.jsonl
	# also when it comes after a new slot in the same input: all or nothing
	cat cleared2.jsonl cleared.jsonl >both.jsonl
	run -65 --separate-stderr denki-contract-sign -c coop.yaml both.jsonl
	assert_output ""
	cmp before.jsonl ledger.jsonl
}

@test "contract-sign: input cut before its last clearing line: 65, nothing appended" {
	cp ledger.jsonl before.jsonl
	sed '$d' cleared.jsonl >cut.jsonl
	run -65 --separate-stderr denki-contract-sign -c coop.yaml cut.jsonl
	assert_output ""
	cmp before.jsonl ledger.jsonl
	assert_regex "${stderr_lines[0]}" '^denki-contract-sign: cut\.jsonl(:5)?: the input ends before the clearing record of its last slot \(truncated\?\); that slot is not signed$'
	assert_equal "${stderr_lines[1]}" "denki-contract-sign: nothing was appended"
}

@test "contract-sign: a whole slot followed by a cut one: nothing of either appended" {
	cp ledger.jsonl before.jsonl
	{ cat cleared.jsonl; sed '$d' cleared2.jsonl; } >in.jsonl
	run -65 --separate-stderr denki-contract-sign -c coop.yaml <in.jsonl
	assert_output ""
	cmp before.jsonl ledger.jsonl
	assert_regex "${stderr_lines[0]}" '^denki-contract-sign: stdin(:[0-9]+)?: the input ends before the clearing record'
}

@test "contract-sign: a slot's lines interleaved with another's are rejected" {
	cp ledger.jsonl before.jsonl
	{ head -n 1 cleared.jsonl; cat cleared2.jsonl; tail -n +2 cleared.jsonl; } >mixed.jsonl
	run -65 --separate-stderr denki-contract-sign -c coop.yaml mixed.jsonl
	assert_equal "${stderr_lines[0]}" "denki-contract-sign: mixed.jsonl:2: rejected: slot $SLOT2: the slot before it has no clearing record"
	cmp before.jsonl ledger.jsonl
}

@test "contract-sign: a record that is not clear's output is rejected" {
	cp ledger.jsonl before.jsonl
	printf '{"type":"reading","v":1,"meter":"alice-m","slot":"%s","import_wh":1,"export_wh":0}\n' $SLOT >r.jsonl
	run -65 --separate-stderr denki-contract-sign -c coop.yaml r.jsonl
	assert_equal "${stderr_lines[0]}" "denki-contract-sign: r.jsonl:1: rejected: type: must be order, trade or clearing (the output of denki-clear)"
	cmp before.jsonl ledger.jsonl
}

@test "contract-sign -k: the good slots are appended, the bad reported, still 65" {
	sed '4s/"wh":600}$/"wh":601}/' cleared.jsonl >tampered.jsonl
	cat tampered.jsonl cleared2.jsonl >both.jsonl
	run -65 --separate-stderr denki-contract-sign -k -c coop.yaml both.jsonl
	assert_equal "$output" "$(contracts_of cleared2.jsonl)"
	assert_equal "$stderr" "denki-contract-sign: both.jsonl:6: rejected: slot $SLOT: trade 1: wh differs from a replay of the market"
	assert_equal "$(types_from 8)" "terms rules order order clearing contract checkpoint "
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
	# no good slot, under a new fee: the new rules entry and a checkpoint
	sed -i 's/fee: 10000/fee: 20000/' coop.yaml
	run -65 --separate-stderr denki-contract-sign -k -c coop.yaml tampered.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-contract-sign: tampered.jsonl:6: rejected: slot $SLOT: trade 1: wh differs from a replay of the market"
	assert_equal "$(types_from 15)" "rules checkpoint "
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
}

@test "contract-sign -n: the contracts on stdout, nothing appended" {
	cp ledger.jsonl before.jsonl
	run -0 --separate-stderr denki-contract-sign -n -c coop.yaml cleared.jsonl
	assert_equal "$output" "$(contracts_of cleared.jsonl)"
	cmp before.jsonl ledger.jsonl
}

@test "contract-sign: two runs at once on different slots both append (one writer at a time)" {
	# someone holds the ledger's lock; both runs wait for it, then take
	# turns
	flock -x ledger.jsonl sleep 1 &
	local holder=$!
	sleep 0.2
	denki-contract-sign -c coop.yaml cleared.jsonl >out1.jsonl 2>err1 &
	local p1=$!
	denki-contract-sign -c coop.yaml cleared2.jsonl >out2.jsonl 2>err2 &
	local p2=$!
	wait $p1
	wait $p2
	wait $holder
	assert_equal "$(cat err1 err2)" ""
	assert_equal "$(cat out1.jsonl)" "$(contracts_of cleared.jsonl)"
	assert_equal "$(cat out2.jsonl)" "$(contracts_of cleared2.jsonl)"
	# one terms and one rules entry first; each slot whole, in either order
	assert_equal "$(types_from 8 | cut -d' ' -f1-2)" "terms rules"
	assert_regex "$(types_from 10)" '^(order order order clearing contract contract checkpoint order order clearing contract checkpoint |order order clearing contract checkpoint order order order clearing contract contract checkpoint )$'
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output "ledger.jsonl: OK: 21 entries, 3 participants, 5 orders, 2 slots cleared, 3 contracts (1210 Wh), 0 slots settled, 0 readings (0 opened, 0 of them unsigned), 0 transfers, 5 checkpoints of denki.local/ledger; every hash link, signature, checkpoint and replay checks"
}

@test "contract-sign: several runs racing: every slot appended once, the ledger verifies" {
	local i s pids=() base
	base=$(date -u -d 2026-01-02T00:00:00Z +%s)
	for i in 0 1 2 3 4 5; do
		s=$(date -u -d @$((base + i * 1800)) +%FT%T+00:00)
		{
			order alice sell 100 100000 $s
			order bob buy 100 200000 $s
		} | denki-clear -c coop.yaml >c$i.jsonl
	done
	for i in 0 1 2 3 4 5; do
		denki-contract-sign -c coop.yaml c$i.jsonl >/dev/null 2>err$i &
		pids+=($!)
	done
	for i in 0 1 2 3 4 5; do
		wait ${pids[$i]}
	done
	assert_equal "$(cat err*)" ""
	assert_equal "$(jq -r 'select(.rec.type == "clearing") | .rec.slot' ledger.jsonl | sort -u | wc -l)" 6
	assert_equal "$(jq -r 'select(.rec.type == "rules")' ledger.jsonl | jq -s length)" 1
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "contract-sign: no operator key in the configuration: 78; no key file: 66" {
	cp ledger.jsonl before.jsonl
	grep -v 'key: operator.key' coop.yaml >nokey.yaml
	run -78 --separate-stderr denki-contract-sign -c nokey.yaml cleared.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-contract-sign: nokey.yaml: operator.key: missing (the path of a secret key file)"
	mv operator.key elsewhere.key
	run -66 --separate-stderr denki-contract-sign -c coop.yaml cleared.jsonl
	assert_output ""
	assert_regex "$stderr" '^denki-contract-sign: .*operator\.key: No such file or directory$'
	cmp before.jsonl ledger.jsonl
}

@test "contract-sign -h prints the usage on stdout; a bad option is a usage error" {
	run -0 --separate-stderr denki-contract-sign -h
	assert_output "usage: denki-contract-sign [-kn] [-c config] [-D key=value] [cleared ...]"
	run -64 --separate-stderr denki-contract-sign -x
	assert_output ""
	assert_equal "${stderr_lines[1]}" "usage: denki-contract-sign [-kn] [-c config] [-D key=value] [cleared ...]"
}

@test "contract-sign: a line that is not JSON after whole slots is refused as it is read, naming it; nothing appended" {
	# clear's flat lines are parsed at their slot, any other as it is
	# read: a broken one is still found before any slot is signed
	cp ledger.jsonl before.jsonl
	{ cat cleared.jsonl cleared2.jsonl; echo '{"type":"order",'; } >broken.jsonl
	n=$(wc -l <broken.jsonl)
	run -65 --separate-stderr denki-contract-sign -c coop.yaml broken.jsonl
	assert_output ""
	assert_regex "${stderr_lines[0]}" "^denki-contract-sign: broken\.jsonl:$n: rejected: "
	assert_equal "${stderr_lines[1]}" "denki-contract-sign: nothing was appended"
	cmp before.jsonl ledger.jsonl
	# the same lines, whole: both slots signed, their contracts printed
	head -n $((n - 1)) broken.jsonl >whole.jsonl
	run -0 denki-contract-sign -c coop.yaml whole.jsonl
	assert_equal "$output" "$(contracts_of cleared.jsonl; contracts_of cleared2.jsonl)"
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
}
