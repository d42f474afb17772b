#!/usr/bin/env bats
# denki-ledger-export: a ledger file and a signature that people without
# denki check with the tools they trust: minisign and OpenBSD's signify.

load test_helper

setup() {
	common_setup
	make_community_once alice bob carol
	{ order alice sell 500 150000; order bob buy 400 250000; } >o.jsonl
	denki-clear -c coop.yaml o.jsonl | denki-contract-sign -c coop.yaml >/dev/null
}

@test "ledger-export: the ledger up to its latest checkpoint and its signature" {
	run -0 --separate-stderr denki-ledger-export -c coop.yaml -o export.jsonl
	n=$(wc -l <ledger.jsonl)
	root=$(tail -n 1 ledger.jsonl | jq -r .rec.note | sed -n 3p)
	assert_output "{\"copy\":\"public\",\"entries\":$n,\"file\":\"export.jsonl\",\"origin\":\"denki.local/ledger\",\"signature\":\"export.jsonl.minisig\",\"trusted_comment\":\"origin=denki.local/ledger entries=$n tree_size=$((n - 1)) root=$root\",\"type\":\"export\",\"v\":1}"
	cmp export.jsonl ledger.jsonl
	assert_equal "$(sed -n 1p export.jsonl.minisig)" "untrusted comment: verify with the operator's public key: minisign -V or signify -V"
	assert_equal "$(sed -n 3p export.jsonl.minisig)" "trusted comment: origin=denki.local/ledger entries=$n tree_size=$((n - 1)) root=$root"
	# the legacy "Ed" algorithm over the raw file, with the operator's key number
	assert_equal "$(sed -n 2p export.jsonl.minisig | base64 -d | head -c 10 | od -An -tx1 | tr -d ' \n')" \
	    "$(sed -n 2p operator.pub | base64 -d | head -c 10 | od -An -tx1 | tr -d ' \n')"
}

@test "ledger-export: minisign -V and signify-openbsd -V accept it; a changed byte fails both" {
	command -v minisign >/dev/null || skip "minisign is not installed (make deps)"
	command -v signify-openbsd >/dev/null || skip "signify-openbsd is not installed (make deps)"
	denki-ledger-export -c coop.yaml -o export.jsonl >/dev/null
	run -0 minisign -V -p operator.pub -m export.jsonl -x export.jsonl.minisig
	assert_output --partial 'Signature and comment signature verified'
	assert_output --partial 'Trusted comment: origin=denki.local/ledger'
	run -0 signify-openbsd -V -p operator.pub -m export.jsonl -x export.jsonl.minisig
	assert_output 'Signature Verified'
	sed -i '2s/"zone":"main"/"zone":"mainx"/' export.jsonl
	grep -q mainx export.jsonl
	run -1 minisign -V -p operator.pub -m export.jsonl -x export.jsonl.minisig
	run -1 signify-openbsd -V -p operator.pub -m export.jsonl -x export.jsonl.minisig
	# an edited trusted comment fails minisign too
	denki-ledger-export -c coop.yaml -f -o export.jsonl >/dev/null
	sed -i '3s/entries=/entries=1/' export.jsonl.minisig
	run -1 minisign -V -p operator.pub -m export.jsonl -x export.jsonl.minisig
}

@test "ledger-export: what follows the last checkpoint is not exported" {
	cp ledger.jsonl full
	echo '{"half":' >>ledger.jsonl
	run -65 --separate-stderr denki-ledger-export -c coop.yaml -o e.jsonl
	assert_output ""
	[ ! -e e.jsonl ]
	cp full ledger.jsonl
	# whole lines after the checkpoint (an unfinished append): cut off
	head -n -1 full >ledger.jsonl
	run -0 --separate-stderr denki-ledger-export -c coop.yaml -o e.jsonl
	last=$(grep -n '"type":"checkpoint"' ledger.jsonl | tail -n1 | cut -d: -f1)
	assert_equal "$(wc -l <e.jsonl)" "$last"
	cmp e.jsonl <(head -n "$last" ledger.jsonl)
}

@test "ledger-export: existing files are kept unless -f (73); the default name counts the entries" {
	touch e.jsonl.minisig
	run -73 --separate-stderr denki-ledger-export -c coop.yaml -o e.jsonl
	assert_equal "$stderr" "denki-ledger-export: e.jsonl.minisig: exists; -f overwrites it"
	[ ! -e e.jsonl ]
	run -0 --separate-stderr denki-ledger-export -c coop.yaml -f -o e.jsonl
	run -0 --separate-stderr denki-ledger-export -c coop.yaml
	n=$(wc -l <ledger.jsonl)
	[ -f "ledger-$n.jsonl" ] && [ -f "ledger-$n.jsonl.minisig" ]
}

@test "ledger-export: no operator key is 78; -h; a bad option is 64" {
	run -78 --separate-stderr denki-ledger-export -D ledger=ledger.jsonl
	assert_output ""
	run -0 denki-ledger-export -h
	assert_output --partial 'usage: denki-ledger-export'
	run -64 denki-ledger-export -x
}
