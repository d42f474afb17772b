#!/usr/bin/env bats
# Checkpoints in denki-formats(5): a note, kept outside the ledger or in a
# checkpoint entry, may carry other keys' signatures (a witness's
# cosignature) after the operator's; those of unknown keys are skipped.

load test_helper
load resign

setup() {
	common_setup
	make_community_once alice bob carol
	{ order alice sell 500 150000; order bob buy 400 250000; } >o.jsonl
	denki-clear -c coop.yaml o.jsonl | denki-contract-sign -c coop.yaml >/dev/null
	# a witness's signature line: a key no denki program knows
	WITNESS="— witness.example $(head -c 68 /dev/urandom | base64 -w 0)"
}

# cosign: the note on stdin with the witness's line after the operator's
cosign() {
	cat
	printf '%s\n' "$WITNESS"
}

@test "cosignature: a kept checkpoint cosigned by a witness is accepted by ledger-verify -C and ledger-proof consistency" {
	denki-ledger-proof -c coop.yaml checkpoint | cosign >kept.note
	[ "$(grep -c '^— ' kept.note)" = 2 ]
	denki-keygen dave >/dev/null
	enrol dave
	run -0 denki-ledger-verify -q -p operator.pub -C kept.note ledger.jsonl
	assert_output ""
	run -0 --separate-stderr denki-ledger-proof -c coop.yaml consistency kept.note
	echo "$output" >c.json
	run -0 denki-proof-verify -p operator.pub c.json
	assert_output --regexp '^c\.json:1: OK: denki\.local/ledger grew from [0-9]+ to [0-9]+ entries without rewriting any$'
}

@test "cosignature: a proof whose checkpoint a witness cosigned is accepted by proof-verify" {
	denki-ledger-proof -c coop.yaml inclusion 1 >p.json
	jq -c --arg w "$WITNESS" '.checkpoint += $w + "\n"' p.json >cosigned.json
	[ "$(jq -r .checkpoint cosigned.json | grep -c '^— ')" = 2 ]
	run -0 denki-proof-verify -p operator.pub cosigned.json
	assert_output --regexp '^cosigned\.json:1: OK: entry 1 is in denki\.local/ledger'
}

@test "cosignature: a checkpoint entry may carry cosignature lines after the operator's (unknown witnesses skipped); one before it, or a malformed one, is refused by every program" {
	local n m c
	# the first checkpoint entry (not the last one)
	n=$(grep -n -m 1 '"type":"checkpoint"' ledger.jsonl | cut -d: -f1)
	m=$(wc -l <ledger.jsonl)
	[ "$n" -lt "$m" ]
	# after the operator's line: skipped, as C2SP signed-note says
	c=$(sed -n "${n}p" ledger.jsonl | jq -c --arg w "$WITNESS" '.rec.note += $w + "\n"')
	{ head -n $((n - 1)) ledger.jsonl; printf '%s\n' "$c"; tail -n +$((n + 1)) ledger.jsonl; } >e.jsonl
	resign e.jsonl $((n + 1)) >f.jsonl
	[ "$(sed -n "${n}p" f.jsonl | jq -r .rec.note | grep -c '^— ')" = 2 ]
	run -0 denki-ledger-verify -q -p operator.pub f.jsonl
	# before it: refused
	c=$(sed -n "${n}p" ledger.jsonl | jq -c --arg w "$WITNESS" '.rec.note |= sub("\n\n"; "\n\n" + $w + "\n")')
	{ head -n $((n - 1)) ledger.jsonl; printf '%s\n' "$c"; tail -n +$((n + 1)) ledger.jsonl; } >e.jsonl
	resign e.jsonl $((n + 1)) >f.jsonl
	run -1 denki-ledger-verify -p operator.pub f.jsonl
	assert_output "FAIL: f.jsonl:$n: entry $((n - 1)): checkpoint: note: the first signature line must be the operator's"
	cp f.jsonl ledger.jsonl
	denki-registry request dave -s operator.key >dave.json
	run -65 --separate-stderr denki-registry -c coop.yaml add dave.json
	assert_equal "$stderr" "denki-registry: ledger.jsonl:$n: entry $((n - 1)): checkpoint: note: the first signature line must be the operator's"
	cmp ledger.jsonl f.jsonl
	run -65 --separate-stderr denki-report ledger.jsonl
	assert_equal "$stderr" "denki-report: ledger.jsonl:$n: entry $((n - 1)): checkpoint: note: the first signature line must be the operator's"
	# a line that is no signature line
	c=$(sed -n "${n}p" f.jsonl | jq -c '.rec.note += "— witness.example\n"')
	{ head -n $((n - 1)) f.jsonl; printf '%s\n' "$c"; tail -n +$((n + 1)) f.jsonl; } >g.jsonl
	run -1 denki-ledger-verify -p operator.pub g.jsonl
	assert_output --regexp "^FAIL: g\.jsonl:$n: entry $((n - 1)): checkpoint: note: "
}

@test "cosignature: denki-formats(5) says where a checkpoint entry's cosignatures go and what an unknown witness's line gets" {
	local page
	page=$(tr '\n' ' ' <"$TOP/man/denki-formats.5")
	[[ "$page" == *".Pq Ql checkpoint: note: the first signature line must be the operator's"* ]] ||
	    fail "denki-formats(5) does not say that the operator's line comes first"
	[[ "$page" != *"a signature line other than the operator's"* ]]
}
