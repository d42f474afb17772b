#!/usr/bin/env bats
# denki-ledger-proof: inclusion and consistency proofs, and checkpoints.

load test_helper

setup() {
	common_setup
	make_community_once alice bob carol
	{ order alice sell 500 150000; order bob buy 400 250000; } >o.jsonl
	denki-clear -c coop.yaml o.jsonl | denki-contract-sign -c coop.yaml >/dev/null
}

@test "ledger-proof checkpoint: the latest checkpoint, a signed note of the whole tree before it" {
	local before=$(date +%s) t
	denki-registry request dave -s carol.key >dave.json
	denki-registry -c coop.yaml add dave.json >/dev/null
	run -0 --separate-stderr denki-ledger-proof -c coop.yaml checkpoint
	n=$(wc -l <ledger.jsonl)
	assert_line --index 0 'denki.local/ledger'
	assert_line --index 1 "$((n - 1))"
	assert_line --index 2 --regexp '^[A-Za-z0-9+/]{43}=$'
	# the operator's clock when it was made (denki-formats(5), Checkpoints)
	assert_line --index 3 --regexp '^time [1-9][0-9]*$'
	t=${lines[3]#time }
	[ "$t" -ge "$before" ] && [ "$t" -le "$(date +%s)" ]
	assert_line --index 4 --regexp '^— denki\.local/ledger [A-Za-z0-9+/]{91}=$'
	# the same note as the ledger's last entry
	assert_equal "$output" "$(tail -n 1 ledger.jsonl | jq -j .rec.note)"
}

@test "ledger-proof inclusion: every entry under the checkpoint proves; proof-verify accepts each" {
	n=$(( $(wc -l <ledger.jsonl) - 1 ))
	for ((s = 0; s < n; s++)); do
		denki-ledger-proof -c coop.yaml inclusion "$s" >>proofs.jsonl
	done
	[ "$(wc -l <proofs.jsonl)" = "$n" ]
	run -0 denki-proof-verify -p operator.pub proofs.jsonl
	assert_equal "${#lines[@]}" "$n"
	assert_line --index 3 "proofs.jsonl:4: OK: entry 3 is in denki.local/ledger, checkpoint of $n entries"
	# the entry in a proof is the ledger's line, byte for byte
	assert_equal "$(sed -n 4p proofs.jsonl | jq -r .entry)" "$(sed -n 4p ledger.jsonl)"
}

@test "ledger-proof inclusion: the checkpoint itself, or beyond, is not covered (65); a bad seq is 64" {
	n=$(( $(wc -l <ledger.jsonl) - 1 ))
	run -65 --separate-stderr denki-ledger-proof -c coop.yaml inclusion "$n"
	assert_equal "$stderr" "denki-ledger-proof: entry $n is not under the latest checkpoint yet (its tree has $n entries)"
	run -64 --separate-stderr denki-ledger-proof -c coop.yaml inclusion 3x
	run -64 --separate-stderr denki-ledger-proof -c coop.yaml inclusion -1
	run -64 --separate-stderr denki-ledger-proof -c coop.yaml
	run -64 --separate-stderr denki-ledger-proof -c coop.yaml frobnicate
}

@test "ledger-proof consistency: from a checkpoint a member kept to the latest; proof-verify accepts it" {
	denki-ledger-proof -c coop.yaml checkpoint >old.note
	old=$(sed -n 2p old.note)
	denki-keygen dave >/dev/null
	enrol dave
	run -0 --separate-stderr denki-ledger-proof -c coop.yaml consistency old.note
	echo "$output" >c.json
	assert_equal "$(jq -r '[.size1, .size2] | @tsv' c.json)" "$old	$(( $(wc -l <ledger.jsonl) - 1 ))"
	run -0 denki-proof-verify -p operator.pub c.json
	assert_output "c.json:1: OK: denki.local/ledger grew from $old to $(( $(wc -l <ledger.jsonl) - 1 )) entries without rewriting any"
}

@test "ledger-proof consistency: a checkpoint of a forked history is refused with both as evidence (1)" {
	cp ledger.jsonl base.jsonl
	denki-keygen dave >/dev/null
	denki-keygen erin >/dev/null
	enrol dave
	# the operator writes another history from the same start
	denki-registry request erin -s erin.key >erin.json
	denki-registry -c coop.yaml -D ledger=base.jsonl add erin.json >/dev/null
	denki-ledger-proof -c coop.yaml -D ledger=base.jsonl checkpoint >other.note
	run -1 --separate-stderr denki-ledger-proof -c coop.yaml consistency other.note
	assert_line --index 0 --partial 'FORK: other.note and the ledger'"'"'s checkpoint disagree on the first'
	assert_output --partial "$(sed -n 3p other.note)"
	assert_output --partial "$(denki-ledger-proof -c coop.yaml checkpoint | sed -n 3p)"
}

@test "ledger-proof consistency: another origin, a bad signature, size 0 are refused (65)" {
	denki-ledger-proof -c coop.yaml checkpoint >good.note
	sed '1s/.*/other.example\/log/' good.note >origin.note
	run -65 --separate-stderr denki-ledger-proof -c coop.yaml consistency origin.note
	assert_output ""
	sed '2s/.*/1/' good.note >sig.note
	run -65 --separate-stderr denki-ledger-proof -c coop.yaml consistency sig.note
	assert_regex "$stderr" 'sig\.note: note: invalid signature for key denki\.local/ledger\+[0-9a-f]{8}'
	run -66 --separate-stderr denki-ledger-proof -c coop.yaml consistency none.note
}

@test "ledger-proof -h; a missing ledger is 66" {
	run -0 denki-ledger-proof -h
	assert_line --index 0 --partial 'usage: denki-ledger-proof'
	run -66 --separate-stderr denki-ledger-proof -D ledger=none.jsonl checkpoint
}
