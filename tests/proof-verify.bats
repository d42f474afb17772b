#!/usr/bin/env bats
# denki-proof-verify: a member checks a proof with nothing but the
# operator's public key: no ledger, no denki state.

load test_helper

setup() {
	common_setup
	make_community_once alice bob carol
	{ order alice sell 500 150000; order bob buy 400 250000; } >o.jsonl
	denki-clear -c coop.yaml o.jsonl | denki-contract-sign -c coop.yaml >/dev/null
	seq=$(grep -n '"type":"contract"' ledger.jsonl | head -n1 | cut -d: -f1)
	seq=$((seq - 1))
	denki-ledger-proof -c coop.yaml inclusion "$seq" >p.json
	mkdir member && cp p.json operator.pub member/
}

@test "proof-verify: a member's contract, with only the proof and the operator's key" {
	cd member
	run -0 denki-proof-verify -p operator.pub -o denki.local/ledger p.json
	assert_output --regexp "^p\.json:1: OK: entry $seq is in denki\.local/ledger, checkpoint of [0-9]+ entries$"
	# from stdin, in a pipeline
	run -0 sh -c 'jq -c . p.json | denki-proof-verify -q -p operator.pub'
	assert_output ""
}

@test "proof-verify: any change to the entry, index, size, proof or checkpoint fails (1)" {
	cd member
	for f in \
	    '.entry |= sub("\"wh\":"; "\"wh\":1")' \
	    '.index += 1' '.size += 1' '.size -= 1' \
	    '.proof[0] |= (.[0:5] + (if .[5:6] == "A" then "B" else "A" end) + .[6:])' \
	    '.proof |= .[1:]' '.proof += [.proof[0]]' \
	    '.checkpoint |= sub("\n(?<n>[0-9]+)\n"; "\n\(.n | tonumber + 1)\n")' \
	    '.checkpoint |= (.[0:30] + (if .[30:31] == "x" then "y" else "x" end) + .[31:])'; do
		jq -c "$f" p.json >bad.json
		# every change changes something (the key, the root are random)
		run -1 cmp -s p.json bad.json
		run -1 denki-proof-verify -p operator.pub bad.json
		assert_output --partial 'bad.json:1: FAIL: '
	done
}

@test "proof-verify: a hash that is not 32 bytes, or an empty one, is refused (1)" {
	cd member
	jq -c '.proof[0] = "AAAA"' p.json >short.json
	run -1 denki-proof-verify -p operator.pub short.json
	assert_output 'short.json:1: FAIL: proof[0]: not base64 of a 32-byte hash'
	jq -c '.proof[0] = ""' p.json >empty.json
	run -1 denki-proof-verify -p operator.pub empty.json
	assert_output 'empty.json:1: FAIL: proof[0]: not base64 of a 32-byte hash'
}

@test "proof-verify: a consistency proof from size 0 is refused (1)" {
	denki-ledger-proof -c coop.yaml checkpoint >now.note
	denki-keygen dave >/dev/null
	enrol dave
	denki-ledger-proof -c coop.yaml consistency now.note >c.json
	run -0 denki-proof-verify -p operator.pub c.json
	jq -c '.size1 = 0' c.json >zero.json
	run -1 denki-proof-verify -p operator.pub zero.json
	assert_output --partial 'zero.json:1: FAIL: '
	jq -c '.checkpoint1 = .checkpoint2 | .size1 = .size2' c.json >same.json
	run -1 denki-proof-verify -p operator.pub same.json
	assert_output 'same.json:1: FAIL: equal sizes need an empty proof'
}

@test "proof-verify: another operator's key, or another origin, fails (1)" {
	cd member
	denki-keygen mallory >/dev/null
	run -1 denki-proof-verify -p mallory.pub p.json
	assert_output 'p.json:1: FAIL: note: no signature by a known key'
	run -1 denki-proof-verify -p operator.pub -o other.example/log p.json
	assert_output 'p.json:1: FAIL: checkpoint of another origin, "denki.local/ledger", not "other.example/log"'
}

@test "proof-verify: malformed input and misuse" {
	cd member
	echo '{"type":"inclusion"' >m.json
	run -1 denki-proof-verify -p operator.pub m.json
	assert_output 'm.json:1: FAIL: malformed JSON'
	run -1 denki-proof-verify -p operator.pub /dev/null
	assert_output 'FAIL: no proof read'
	run -64 --separate-stderr denki-proof-verify p.json
	assert_equal "${stderr_lines[0]}" "denki-proof-verify: -p names the operator's public key"
	run -66 --separate-stderr denki-proof-verify -p none.pub p.json
	run -0 denki-proof-verify -h
}
