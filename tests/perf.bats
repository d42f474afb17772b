#!/usr/bin/env bats
# What the perf work changed and must not: settle checks the meters'
# signatures on every core ahead of the slots, yet names a bad one as one
# thread does; bid commits its orders before it prints them.

load test_helper

S1=2026-01-01T10:00:00+00:00
S2=2026-01-01T10:30:00+00:00

# reading METER SLOT IMPORT EXPORT
reading() {
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s}\n' \
	    "$1" "$2" "$3" "$4"
}

# two slots, alice selling 500 Wh to bob in each; both meters' keys
# registered, the signed readings of both slots in good.jsonl
setup_two_slots() {
	SIGNED= make_community alice bob
	for s in "$S1" "$S2"; do
		{
			order alice sell 500 120000 "$s"
			order bob buy 500 200000 "$s"
		} >orders.jsonl
		denki-clear -c coop.yaml orders.jsonl | denki-contract-sign -c coop.yaml >/dev/null
	done
	for p in alice bob; do
		denki-keygen "$p-m" >/dev/null
		meter_key "$p"
	done
	{
		reading alice-m "$S1" 0 500 | sign_with alice-m.key
		reading bob-m "$S1" 500 0 | sign_with bob-m.key
		reading alice-m "$S2" 0 400 | sign_with alice-m.key
		reading bob-m "$S2" 400 0 | sign_with bob-m.key
	} >good.jsonl
}

@test "settle: signatures checked ahead on every core: all good, every slot settles and the ledger verifies" {
	setup_two_slots
	run -0 --separate-stderr denki-settle -c coop.yaml good.jsonl
	assert_equal "$(echo "$output" | jq -r 'select(.type == "settlement") | .slot' | sort -u | wc -l)" 2
	run -0 denki-ledger-verify -j -p operator.pub -O ledger.jsonl.openings ledger.jsonl
	assert_equal "$(jq -c '[.readings, .unsigned_readings]' <<<"$output")" "[4,0]"
}

@test "settle: a changed reading among good ones is named as one thread names it, the first in slot order; nothing appended" {
	setup_two_slots
	# bob's reading of the second slot and alice's of the first changed
	# after signing: the first slot's (line 1) is the one named
	sed -e '4s/"import_wh":400/"import_wh":40/' -e '1s/"export_wh":500/"export_wh":50/' good.jsonl >bad.jsonl
	cp ledger.jsonl before.jsonl
	run -65 --separate-stderr denki-settle -c coop.yaml bad.jsonl
	assert_output ""
	assert_equal "${stderr_lines[0]}" "denki-settle: bad.jsonl:1: rejected: meter alice-m: sig: bad signature: the record was not signed by this key, or was changed after signing"
	assert_equal "${stderr_lines[1]}" "denki-settle: nothing was appended"
	cmp ledger.jsonl before.jsonl
	# with -k each slot is settled or named on its own: the second
	# slot's bad reading is named too, and nothing of either slot is kept
	run -65 --separate-stderr denki-settle -k -c coop.yaml bad.jsonl
	assert_equal "${stderr_lines[0]}" "denki-settle: bad.jsonl:1: rejected: meter alice-m: sig: bad signature: the record was not signed by this key, or was changed after signing"
	assert_equal "${stderr_lines[1]}" "denki-settle: bad.jsonl:4: rejected: meter bob-m: sig: bad signature: the record was not signed by this key, or was changed after signing"
	cmp ledger.jsonl before.jsonl
	# the good readings then settle both slots
	run -0 denki-settle -c coop.yaml good.jsonl
}

@test "contract-sign: orders' signatures checked ahead on every core: a changed one in the second slot is named as one thread names it" {
	make_community alice bob
	for s in "$S1" "$S2"; do
		order alice sell 500 120000 "$s"
		order bob buy 500 200000 "$s"
	done >orders.jsonl
	denki-clear -c coop.yaml orders.jsonl >cleared.jsonl
	# bob's order of the second slot, its limit raised after signing
	n=$(grep -n '"participant":"bob".*"slot":"2026-01-01T10:30' cleared.jsonl | head -1 | cut -d: -f1)
	sed "${n}s/\"price\":200000/\"price\":200001/" cleared.jsonl >bad.jsonl
	run ! cmp -s cleared.jsonl bad.jsonl
	cp ledger.jsonl before.jsonl
	run -65 --separate-stderr denki-contract-sign -c coop.yaml bad.jsonl
	assert_output ""
	assert_regex "${stderr_lines[0]}" "^denki-contract-sign: bad.jsonl:[0-9]+: rejected: slot 2026-01-01T10:30:00\+00:00: order [12] of the slot: sig: bad signature"
	assert_equal "${stderr_lines[1]}" "denki-contract-sign: nothing was appended"
	cmp ledger.jsonl before.jsonl
	# with -k the first slot's contract is signed, the second's named
	run -65 --separate-stderr denki-contract-sign -k -c coop.yaml bad.jsonl
	assert_equal "$(echo "$output" | jq -r .slot | sort -u)" "$S1"
	assert_regex "${stderr_lines[0]}" "rejected: slot 2026-01-01T10:30:00\+00:00: order [12] of the slot: sig: bad signature"
	# and the good file's second slot then signs (its first is in)
	run -65 --separate-stderr denki-contract-sign -k -c coop.yaml cleared.jsonl
	assert_equal "$(echo "$output" | jq -r .slot | sort -u)" "$S2"
	assert_regex "${stderr_lines[0]}" "slot 2026-01-01T10:00:00\\+00:00: already in the ledger"
}
