#!/usr/bin/env bats
# Time you can prove (issue 13, section 4): each checkpoint's note carries
# the operator's clock in a "time" line (denki-formats(5), Checkpoints);
# ledger-verify refuses a time that goes back and prints, with -T, each
# slot's clearing, contracts and settlement between the signed times of
# the checkpoints around them.  faketime sets the writers' clock.

load test_helper
load resign

SLOT=2026-01-01T10:00:00+00:00

epoch() {
	date -u -d "$1" +%s
}

# reading METER IMPORT EXPORT
reading() {
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s}\n' \
	    "$1" "$SLOT" "$2" "$3"
}

setup() {
	common_setup
	need_faketime
}

# checkpoint_times: the time line of every checkpoint entry, in order
checkpoint_times() {
	jq -r 'select(.rec.type == "checkpoint") | .rec.note' ledger.jsonl |
	    sed -n 's/^time //p'
}

@test "time: every checkpoint carries the writer's clock, which a writer set back refuses to sign before (75), the ledger unchanged" {
	at '2026-01-01 09:00:00' make_community alice bob
	run -0 checkpoint_times
	assert_equal "${lines[0]}" "$(epoch '2026-01-01 09:00:00')"
	assert_equal "${#lines[@]}" 2
	cp ledger.jsonl before.jsonl
	denki-keygen carol >/dev/null
	at '2026-01-01 08:59:59' denki-registry request carol -s carol.key >carol.json
	run -75 --separate-stderr at '2026-01-01 08:59:59' denki-registry -c coop.yaml add carol.json
	assert_equal "$stderr" "denki-registry: ledger.jsonl: the clock says $(epoch '2026-01-01 08:59:59'), earlier than the time $(epoch '2026-01-01 09:00:00') of the checkpoint at entry 4; nothing was appended (set the clock right)"
	cmp ledger.jsonl before.jsonl
	# the same second is not earlier
	run -0 at '2026-01-01 09:00:00' denki-registry -c coop.yaml add carol.json
	run -0 denki-ledger-verify -q -p operator.pub
}

@test "attack: backdated checkpoint: the operator signs a checkpoint earlier than the one before it; ledger-verify refuses, naming both times" {
	local n t0 t1
	at '2026-01-01 09:00:00' make_community alice bob
	{ order alice sell 500 150000; order bob buy 400 250000; } >o.jsonl
	at '2026-01-01 10:05:00' denki-clear -c coop.yaml o.jsonl >c.jsonl
	at '2026-01-01 10:05:00' denki-contract-sign -c coop.yaml c.jsonl >/dev/null
	run -0 denki-ledger-verify -q -p operator.pub
	# the writers refuse a clock set back, so the operator signs by hand:
	# the slot's checkpoint said 10:05, now it says 08:30, before the
	# registry's 09:00, and is signed again with the operator's key
	n=$(wc -l <ledger.jsonl)
	t0=$(epoch '2026-01-01 09:00:00')
	t1=$(epoch '2026-01-01 08:30:00')
	sed "${n}s/time $(epoch '2026-01-01 10:05:00')/time $t1/" ledger.jsonl >edited.jsonl
	run ! cmp -s edited.jsonl ledger.jsonl
	resign edited.jsonl "$n" >f.jsonl
	[ "$(tail -n 1 f.jsonl | jq -r .rec.note | sed -n 4p)" = "time $t1" ]
	run -1 denki-ledger-verify -p operator.pub f.jsonl
	assert_output "FAIL: f.jsonl:$n: entry $((n - 1)): checkpoint: time $t1 is earlier than the time $t0 of the checkpoint at entry 4 (a clock set back, or a backdated checkpoint)"
	# a checkpoint without a time after one with a time: a downgrade
	sed "${n}s/time $(epoch '2026-01-01 10:05:00')\\\\n//" ledger.jsonl >edited.jsonl
	resign edited.jsonl "$n" >f.jsonl
	run -1 denki-ledger-verify -p operator.pub f.jsonl
	assert_output "FAIL: f.jsonl:$n: entry $((n - 1)): checkpoint: no time line, but the checkpoint at entry 4 has one"
}

@test "time: a ledger made before the time line (the golden one) still verifies, and its timeline has no times" {
	cp -r "$TOP/tests/golden" g
	cd g
	run ! grep -q 'ntime ' ledger.jsonl
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
	assert_output ""
	run -0 --separate-stderr denki-ledger-verify -T -p operator.pub ledger.jsonl
	assert_equal "${#lines[@]}" 1
	assert_equal "$(jq -c '[.slot, .gate, .cleared, .contracted, .late]' <<<"$output")" \
	    "[\"2026-01-01T09:00:00+00:00\",$(epoch '2026-01-01 09:00:00'),{\"after\":null,\"by\":null,\"seq\":27},null,[]]"
}

@test "ledger-verify -T: each slot's gate, and its clearing, contracts and settlement between the times of the checkpoints around them" {
	local t9 t1005 t1145 t12 n s2
	at '2026-01-01 09:00:00' make_community alice bob carol
	{ order alice sell 500 150000; order bob buy 400 250000; } >o.jsonl
	at '2026-01-01 10:05:00' denki-clear -c coop.yaml o.jsonl >c.jsonl
	at '2026-01-01 10:05:00' denki-contract-sign -c coop.yaml c.jsonl >/dev/null
	n=$(wc -l <ledger.jsonl)
	# a registry change at 11:45, then the slot settled at 12:00: it
	# cannot have been settled before 11:45, more than an hour after its end
	denki-keygen dave >/dev/null
	at '2026-01-01 11:45:00' enrol dave
	{ reading alice-m 0 500; reading bob-m 400 0; reading carol-m 0 0; } >r.jsonl
	at '2026-01-01 12:00:00' denki-settle -c coop.yaml r.jsonl >/dev/null
	t9=$(epoch '2026-01-01 09:00:00')
	t1005=$(epoch '2026-01-01 10:05:00')
	t1145=$(epoch '2026-01-01 11:45:00')
	t12=$(epoch '2026-01-01 12:00:00')
	run -0 --separate-stderr denki-ledger-verify -T -p operator.pub
	assert_equal "${#lines[@]}" 1
	# the clearing, its one contract and the slot's last settlement
	assert_equal "$(jq -r 'select(.rec.type == "contract") | .seq' ledger.jsonl)" $((n - 2))
	s2=$(jq -r 'select(.rec.type == "settlement") | .seq' ledger.jsonl | tail -n 1)
	assert_equal "$(jq -c . <<<"${lines[0]}")" "$(jq -nc --arg s "$SLOT" \
	    --argjson g "$(epoch '2026-01-01 10:00:00')" --argjson e "$(epoch '2026-01-01 10:30:00')" \
	    --argjson a "$t9" --argjson b "$t1005" --argjson c "$t1145" --argjson d "$t12" \
	    --argjson k $((n - 2)) --argjson s2 "$s2" \
	    '{cleared:{after:$a,by:$b,seq:($k - 1)},contracted:{after:$a,by:$b,seq:$k},end:$e,gate:$g,late:["settled"],settled:{after:$c,by:$d,seq:$s2},slot:$s,type:"timeline",v:1}')"
	assert_equal "$(sed -n "$((n - 2))p" ledger.jsonl | jq -r .rec.type)" clearing
	assert_equal "$stderr" "denki-ledger-verify: slot $SLOT: late (the seed's limits: cleared 15 and contracted 30 minutes after its start, settled an hour after its end): [\"settled\"]"
	# -T -j: the verdict record after the timeline
	run -0 --separate-stderr denki-ledger-verify -T -j -p operator.pub
	assert_equal "${#lines[@]}" 2
	assert_equal "$(jq -r .type <<<"${lines[1]}")" verdict
}

@test "ledger-verify -T: a slot contracted late is flagged, and a ledger without times has null bounds" {
	at '2026-01-01 09:00:00' make_community alice bob
	denki-keygen carol >/dev/null
	at '2026-01-01 10:40:00' enrol carol
	{ order alice sell 500 150000; order bob buy 400 250000; } >o.jsonl
	at '2026-01-01 10:50:00' denki-clear -c coop.yaml o.jsonl >c.jsonl
	at '2026-01-01 10:50:00' denki-contract-sign -c coop.yaml c.jsonl >/dev/null
	run -0 --separate-stderr denki-ledger-verify -T -p operator.pub
	assert_equal "$(jq -c .late <<<"$output")" '["cleared","contracted"]'
	assert_equal "$(jq -c .settled <<<"$output")" null
	# the same ledger with its time lines gone (signed again): no bounds
	sed 's/time [0-9]*\\n//' ledger.jsonl >edited.jsonl
	resign edited.jsonl 1 >f.jsonl
	run -0 --separate-stderr denki-ledger-verify -T -p operator.pub f.jsonl
	assert_equal "$(jq -c '[.cleared.after, .cleared.by, .late]' <<<"$output")" '[null,null,[]]'
}
