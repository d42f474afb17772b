#!/usr/bin/env bats
# Attacks on the programs of issues 16 and 17 (denki-halt, grid-watch,
# dispute, kpi, battery, bid's memory, strategies and forecasts): bad
# input, hostile input and faults.  Each gets a clear message naming
# where, a documented non-zero exit, and loses no data accepted (the
# ledger byte-identical after a refused run).
# Community (make_community): alice and bob in zone hill, carol and dave
# in zone town; slots in 2098, so that a halt made now is in the future.

load test_helper

S0=2098-01-01T09:30:00+00:00
S1=2098-01-01T10:00:00+00:00
S2=2098-01-01T10:30:00+00:00
S3=2098-01-01T11:00:00+00:00

zoned() {
	make_community alice bob carol dave
	for p in alice:hill bob:hill carol:town dave:town; do
		denki-registry -c coop.yaml update "${p%%:*}" -z "${p#*:}" >/dev/null
	done
}

# contracted SLOT: alice sells 1000 Wh to bob (hill), carol 500 to dave
# (town); cleared and contracted in the ledger
contracted() {
	{
		order alice sell 1000 100000 "$1"
		order bob buy 1000 200000 "$1"
		order carol sell 500 150000 "$1"
		order dave buy 500 160000 "$1"
	} >"o-$1.jsonl"
	denki-clear -c coop.yaml "o-$1.jsonl" >"c-$1.jsonl"
	denki-contract-sign -c coop.yaml "c-$1.jsonl" >"k-$1.jsonl"
}

@test "attack: a contract cancelled by a halt is not counted by ledger-verify as a contract: its verdict counts it apart" {
	zoned
	contracted "$S1"
	run -0 denki-ledger-verify -j -p operator.pub ledger.jsonl
	assert_equal "$(jq -c '[.contracts,.contract_wh,.cancelled]' <<<"$output")" "[2,1500,null]"
	denki-halt -c coop.yaml -z hill --from "$S1" --until "$S3" -m "feeder fault" 2>/dev/null >/dev/null
	run -0 denki-ledger-verify -j -p operator.pub ledger.jsonl
	assert_equal "$(jq -c '[.contracts,.contract_wh,.cancelled,.cancelled_wh]' <<<"$output")" "[1,500,1,1000]"
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --partial " 1 contracts (500 Wh), "
	assert_output --partial "; 1 contract (1000 Wh) cancelled by a halt, not counted above"
}

# forged RECORD...: records appended to the ledger with a checkpoint,
# the ledger linked and signed again, as the operator holding its key
# could (resign.bash)
forged() {
	local from r
	from=$(($(wc -l <ledger.jsonl) + 1))
	for r in "$@"; do
		printf '{"prev":"%064d","rec":%s,"seq":0,"type":"entry","v":2}\n' 0 \
		    "$(jq -cS . <<<"$r")"
	done >>ledger.jsonl
	grep '"type":"checkpoint"' ledger.jsonl | tail -n 1 >>ledger.jsonl
	resign ledger.jsonl "$from" >ledger.new && mv ledger.new ledger.jsonl
}

@test "attack: a dispute decision against bob signed by carol, a member colluding with the operator, does not lower bob's credit score" {
	load resign
	make_community
	run -0 denki-kpi -c coop.yaml --credit -j -m bob
	assert_equal "$(jq -c '[.disputes,.disputes_lost]' <<<"$output")" "[200,0]"
	n=$(wc -l <ledger.jsonl)
	forged "$(printf '{"type":"dispute_resolution","v":1,"dispute":3,"decision":"upheld","loser":"bob","transfers":[],"comment":"x","by":"carol"}' | sign_with carol.key)"
	cp ledger.jsonl kept.jsonl
	run -65 --separate-stderr denki-kpi -c coop.yaml --credit -j -m bob
	assert_equal "$stderr" "denki-kpi: ledger.jsonl:$((n + 1)): entry $n: dispute_resolution: by: carol is not an active reviewer: only a reviewer resolves a dispute"
	assert_output ""
	cmp kept.jsonl ledger.jsonl
}
