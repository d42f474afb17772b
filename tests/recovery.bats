#!/usr/bin/env bats
# RECOVERY in denki-ledger-verify(1), as the programs do it: after a crash,
# what follows the last checkpoint (a torn last line, or whole entries of a
# run that was cut off) stops every writer with 65 and the ledger unchanged,
# until denki-ledger-recover cuts it; ledger-verify says 1; ledger-export
# and ledger-proof work up to the last checkpoint but refuse a torn line.

load test_helper

SLOT=2026-01-01T10:00:00+00:00
SLOT2=2026-01-01T10:30:00+00:00
SLOT3=2026-01-01T11:00:00+00:00

# A ledger of one slot signed (good), then the crash of a second run of
# contract-sign, slot 2's: its clearing and contracts written, its
# checkpoint not.  tail: "whole" keeps whole lines, "torn" a torn one too.
setup() {
	common_setup
	make_community_once
	denki-keygen dave >/dev/null
	{
		order alice sell 1010 120000
		order bob buy 600 200000
	} >orders.jsonl
	denki-clear -c coop.yaml orders.jsonl >cleared.jsonl
	denki-contract-sign -c coop.yaml cleared.jsonl >/dev/null
	cp ledger.jsonl good
	{
		order alice sell 500 120000 $SLOT2
		order bob buy 400 200000 $SLOT2
	} >orders2.jsonl
	denki-clear -c coop.yaml orders2.jsonl >cleared2.jsonl
	denki-contract-sign -c coop.yaml cleared2.jsonl >/dev/null
	cp ledger.jsonl full
	{
		order alice sell 300 120000 $SLOT3
		order carol buy 300 200000 $SLOT3
	} >orders3.jsonl
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s}\n' \
	    alice-m $SLOT 0 1010 bob-m $SLOT 600 0 carol-m $SLOT 0 0 >readings.jsonl
}

# crash whole|torn: the ledger as the crash left it
crash() {
	local n
	n=$(($(wc -l <good) + 3))
	# entries of slot 2's run, not its last ones nor its checkpoint
	[ "$(wc -l <full)" -gt "$n" ]
	head -n "$n" full >ledger.jsonl
	if [ "$1" = torn ]; then
		sed -n "$((n + 1))p" full | head -c 40 >>ledger.jsonl
	fi
	cp ledger.jsonl crashed
}

# writers_refuse MESSAGE: each writer exits 65 with MESSAGE (a regex) on
# stderr, writes nothing on stdout, and leaves the ledger as it was
writers_refuse() {
	denki-registry request dave -s dave.key >dave.json
	run -65 --separate-stderr denki-registry -c coop.yaml add dave.json
	assert_output ""
	assert_regex "$stderr" "^denki-registry: $1\$"
	cmp ledger.jsonl crashed
	run -65 --separate-stderr denki-contract-sign -c coop.yaml cleared2.jsonl
	assert_output ""
	assert_regex "${stderr_lines[0]}" "^denki-contract-sign: $1\$"
	cmp ledger.jsonl crashed
	run -65 --separate-stderr denki-settle -c coop.yaml readings.jsonl
	assert_output ""
	assert_regex "${stderr_lines[0]}" "^denki-settle: $1\$"
	cmp ledger.jsonl crashed
	page_says "${stderr_lines[0]}"
}

# page_says MESSAGE: denki-ledger-verify(1)'s RECOVERY shows MESSAGE, numbers
# aside (its literal lines joined where the page wraps them)
page_says() {
	local want
	want=$(sed -n '/^\.Ss RECOVERY/,/^\.Sh /p' "$TOP/man/denki-ledger-verify.1" |
	    awk '/^\.Bd -literal/ { lit = 1; next } /^\.Ed/ { lit = 0 }
	    lit && /^(denki-|FAIL:|\$ )/ { if (m != "") print m; m = $0; next }
	    lit && m != "" { m = m " " $0; next } { if (m != "") print m; m = "" }
	    END { if (m != "") print m }' | sed 's/[0-9][0-9]*/N/g')
	grep -qxF -- "$(sed 's/[0-9][0-9]*/N/g' <<<"$1")" <<<"$want" ||
	    fail "RECOVERY in denki-ledger-verify(1) does not show: $1"
}

# after recovery, the writers append again and the ledger verifies
recovered_writers_append() {
	run -0 --separate-stderr denki-ledger-recover -c coop.yaml
	cmp ledger.jsonl good
	run -0 --separate-stderr denki-contract-sign -c coop.yaml cleared2.jsonl
	assert_equal "$stderr" ""
	run -0 --separate-stderr denki-settle -c coop.yaml readings.jsonl
	# slot 2, past its deadline with no reading, is settled too, its
	# members provisionally (issue 15)
	assert_equal "$(grep -v "^denki-settle: slot $SLOT2: participant [a-z]* settled provisionally" <<<"$stderr")" ""
	run -0 --separate-stderr denki-registry -c coop.yaml add dave.json
	assert_equal "$stderr" ""
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
}

@test "recovery: a torn last line stops every writer (65, the ledger unchanged), until ledger-recover cuts it" {
	local n
	crash torn
	n=$(($(wc -l <good) + 4))
	writers_refuse "ledger\\.jsonl:$n: torn last line \\(40 bytes, no newline\\): an append was cut off; see RECOVERY in denki-ledger-verify\\(1\\)"
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output "FAIL: ledger.jsonl:$n: torn last line (40 bytes, no newline): an append was cut off; see RECOVERY in denki-ledger-verify(1)"
	page_says "$output"
	recovered_writers_append
}

@test "recovery: whole entries after the last checkpoint stop every writer too (65, the ledger unchanged): no checkpoint seals them" {
	local g
	crash whole
	g=$(wc -l <good)
	writers_refuse "ledger\\.jsonl: entries follow the last checkpoint: an append that was never acknowledged; run denki-ledger-recover first"
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output "FAIL: ledger.jsonl: entries $g to $((g + 2)) follow the last checkpoint: an append that was never acknowledged (see RECOVERY)"
	page_says "$output"
	recovered_writers_append
}

@test "recovery: the readers: clear and report refuse an unacknowledged tail (65), export and proof keep to the last checkpoint" {
	local g
	crash whole
	g=$(wc -l <good)
	run -65 --separate-stderr denki-clear -c coop.yaml orders3.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-clear: ledger.jsonl: entries $g to $((g + 2)) follow the last checkpoint: an append that was never acknowledged; run denki-ledger-recover first"
	run -65 --separate-stderr denki-report ledger.jsonl
	assert_equal "$stderr" "denki-report: ledger.jsonl: entries $g to $((g + 2)) follow the last checkpoint: an append that was never acknowledged; run denki-ledger-recover first"
	# the signed part only
	run -0 --separate-stderr denki-ledger-export -c coop.yaml -o copy.jsonl
	cmp copy.jsonl good
	run -0 --separate-stderr denki-ledger-proof -c coop.yaml checkpoint
	assert_equal "$output" "$(tail -n 1 good | jq -j .rec.note)"
	cmp ledger.jsonl crashed
	# a torn line: refused by both
	crash torn
	run -65 --separate-stderr denki-ledger-export -c coop.yaml -o copy2.jsonl
	assert_regex "$stderr" 'torn last line \(40 bytes, no newline\)'
	[ ! -e copy2.jsonl ]
	run -65 --separate-stderr denki-ledger-proof -c coop.yaml checkpoint
	assert_output ""
	assert_regex "$stderr" 'torn last line \(40 bytes, no newline\)'
}

@test "recovery: a run cut off after its first slot keeps that slot; run again with -k, it is rejected (65) and the rest appended" {
	local n s1 s2
	# one run of two slots, slot 2 and slot 3
	cat cleared2.jsonl >two.jsonl
	denki-clear -c coop.yaml orders3.jsonl >>two.jsonl
	cp good ledger.jsonl
	# both runs at one time: their checkpoints' time lines are the same
	need_faketime
	at '2030-01-01 00:00:00' denki-contract-sign -c coop.yaml two.jsonl >/dev/null
	cp ledger.jsonl ran
	# the crash: slot 2 and its checkpoint written, slot 3 only in part
	n=$(grep -n '"type":"checkpoint"' ran | tail -n 2 | head -n 1 | cut -d: -f1)
	head -n $((n + 2)) ran >ledger.jsonl
	sed -n "$((n + 3))p" ran | head -c 50 >>ledger.jsonl
	run -0 --separate-stderr denki-ledger-recover -c coop.yaml
	assert_output --partial '"dropped_entries":3'
	head -n "$n" ran | cmp - ledger.jsonl
	# the job again: slot 2 is in the ledger already, slot 3 is appended
	run -65 --separate-stderr at '2030-01-01 00:00:00' denki-contract-sign -k -c coop.yaml two.jsonl
	assert_regex "$stderr" "slot ${SLOT2/+/\\+}: .*already in the ledger"
	cmp ledger.jsonl ran
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
}
