#!/usr/bin/env bats
# Checkpoints in denki-formats(5): a note kept outside the ledger may carry
# other keys' signatures (a witness's cosignature), which are skipped; the
# note of a checkpoint entry holds the operator's signature line alone.

load test_helper

setup() {
	common_setup
	make_community alice bob carol
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

@test "cosignature: a checkpoint entry with a second signature line is refused, in the middle of the ledger too, by every program" {
	local n m c
	# the first checkpoint entry (not the last one)
	n=$(grep -n -m 1 '"type":"checkpoint"' ledger.jsonl | cut -d: -f1)
	m=$(wc -l <ledger.jsonl)
	[ "$n" -lt "$m" ]
	c=$(sed -n "${n}p" ledger.jsonl | jq -c --arg w "$WITNESS" '.rec.note += $w + "\n"')
	{ head -n $((n - 1)) ledger.jsonl; printf '%s\n' "$c"; tail -n +$((n + 1)) ledger.jsonl; } >f.jsonl
	run -1 denki-ledger-verify -p operator.pub f.jsonl
	assert_output "FAIL: f.jsonl:$n: entry $((n - 1)): checkpoint: note: a signature line other than the operator's"
	cp f.jsonl ledger.jsonl
	denki-registry request dave -s operator.key >dave.json
	run -65 --separate-stderr denki-registry -c coop.yaml add dave.json
	assert_equal "$stderr" "denki-registry: ledger.jsonl:$n: entry $((n - 1)): checkpoint: note: a signature line other than the operator's"
	cmp ledger.jsonl f.jsonl
	run -65 --separate-stderr denki-report ledger.jsonl
	assert_equal "$stderr" "denki-report: ledger.jsonl:$n: entry $((n - 1)): checkpoint: note: a signature line other than the operator's"
}

@test "cosignature: denki-formats(5) gives the message a cosigned checkpoint entry gets" {
	local page
	page=$(tr '\n' ' ' <"$TOP/man/denki-formats.5")
	[[ "$page" == *".Pq Ql checkpoint: note: a signature line other than the operator's"* ]] ||
	    fail "denki-formats(5) does not say that a checkpoint entry's note holds the operator's signature line alone"
	# and no longer that every reader ignores another key's line
	[[ "$page" != *"and signatures by other keys (a witness's cosignature) are ignored."* ]]
}
