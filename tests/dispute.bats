#!/usr/bin/env bats
# denki-dispute: a member's signed claim against its contract or
# settlement (open), the mediator's evidence (bundle, checked offline by
# proof-verify and dispute verify), a reviewer's decision with the
# compensating transfers (resolve), and what ledger-verify refuses of an
# operator who writes disputes into the ledger by hand (tests/resign.bash).

load test_helper
load resign

SLOT=2026-01-01T10:00:00+00:00

# The slot of settle.bats: alice sells 1010 Wh at 135050 to bob (600)
# and carol (410), settled; rita is a reviewer of scope 1 EUR.
setup() {
	common_setup
	make_community_once
	denki-keygen rita >/dev/null
	denki-registry request rita -s rita.key -r reviewer >rita.json
	denki-registry -c coop.yaml add -S 1000000 rita.json >/dev/null
	three_orders >orders.jsonl
	denki-clear -c coop.yaml orders.jsonl >cleared.jsonl
	denki-contract-sign -c coop.yaml cleared.jsonl >/dev/null
	{
		reading carol-m 410 0
		reading alice-m 5 1000
		reading bob-m 590 0
	} >readings.jsonl
	denki-settle -c coop.yaml readings.jsonl >/dev/null
	BOBS=$(seq_of 'select(.rec.type == "contract" and .rec.buyer == "bob")')
	CAROLS=$(seq_of 'select(.rec.type == "contract" and .rec.buyer == "carol")')
	ALICE_SET=$(seq_of 'select(.rec.type == "settlement" and .rec.participant == "alice")')
}

# reading METER IMPORT EXPORT
reading() {
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s}\n' \
	    "$1" "$SLOT" "$2" "$3"
}

# seq_of JQ-SELECT: the seq of the ledger's entry the filter selects
seq_of() {
	jq -r "$1 | .seq" ledger.jsonl | tail -n 1
}

# forge FILE: the operator appends the records of FILE, one a line, and a
# checkpoint, by hand: every link and checkpoint signed again, as a
# writer would have appended them
forge() {
	local n
	n=$(wc -l <ledger.jsonl)
	{
		cat ledger.jsonl
		jq -cS '{prev: "0000000000000000000000000000000000000000000000000000000000000000", rec: ., seq: 0, type: "entry", v: 2}' "$1"
		tail -n 1 ledger.jsonl
	} >edited.jsonl
	resign edited.jsonl $((n + 1)) >ledger.jsonl
}

# forged BY KEYFILE LEGS FROM: into forged.jsonl, a resolution of
# DISPUTE upheld, written by hand with the legs LEGS (JSON) and signed with
# KEYFILE, and a transfer of 50000 from FROM to bob after it
forged() {
	{
		printf '{"by":"%s","comment":"ok","decision":"upheld","dispute":%s,"loser":"alice","time":"2026-01-03T09:00:00Z","transfers":%s,"type":"dispute_resolution","v":1}\n' "$1" "$DISPUTE" "$3" | sign_with "$2"
		printf '{"amount":50000,"dispute":%s,"from":"%s","reason":"dispute","slot":"%s","to":"bob","type":"transfer","v":1}\n' "$DISPUTE" "$4" "$SLOT"
	} >forged.jsonl
}

# bob's claim against his contract with alice; its entry in DISPUTE
open_bob() {
	denki-dispute -c coop.yaml open -k bob.key -m "short delivery: 590 Wh of 600" \
	    -t 2026-01-02T09:00:00Z "$BOBS" >bob-dispute.json 2>open.log
	DISPUTE=$(sed -n 's/^denki-dispute: dispute \([0-9]*\) opened.*/\1/p' open.log)
}

@test "dispute: open appends bob's claim, signed by bob's key, against his contract; list shows it open; ledger-verify checks it" {
	run -0 --separate-stderr denki-dispute -c coop.yaml open -k bob.key \
	    -m "short delivery" -t 2026-01-02T09:00:00Z "$BOBS"
	local n=$(seq_of 'select(.rec.type == "dispute")')
	assert_equal "$stderr" "denki-dispute: dispute $n opened against entry $BOBS"
	assert_equal "$(jq -c 'del(.sig)' <<<"$output")" "{\"against\":\"contract\",\"by\":\"bob\",\"entry\":$BOBS,\"reason\":\"short delivery\",\"slot\":\"$SLOT\",\"time\":\"2026-01-02T09:00:00Z\",\"type\":\"dispute\",\"v\":1}"
	# the record in the ledger is the one printed, under a checkpoint
	assert_equal "$(jq -cS "select(.seq == $n) | .rec" ledger.jsonl)" "$(jq -cS . <<<"$output")"
	assert_equal "$(tail -n 1 ledger.jsonl | jq -r .rec.type)" checkpoint
	run -0 denki-dispute -c coop.yaml list
	assert_output "{\"against\":\"contract\",\"by\":\"bob\",\"dispute\":$n,\"entry\":$BOBS,\"resolution\":null,\"slot\":\"$SLOT\",\"state\":\"open\",\"type\":\"dispute_status\",\"v\":1}"
	# alice against her settlement; the other party of a contract too
	run -0 --separate-stderr denki-dispute -c coop.yaml open -k alice.key -m "tolerance" "$ALICE_SET"
	assert_equal "$(jq -r .against <<<"$output")" settlement
	run -0 --separate-stderr denki-dispute -c coop.yaml open -k alice.key -i alice -m "paid late" "$BOBS"
	run -0 denki-ledger-verify -p operator.pub -O ledger.jsonl.openings ledger.jsonl
	assert_output --regexp '; 3 disputes, 3 open$'
	# -n: checked and printed, nothing appended
	cp ledger.jsonl before
	run -0 --separate-stderr denki-dispute -c coop.yaml open -n -k carol.key -m x "$CAROLS"
	assert_equal "$(jq -r .by <<<"$output")" carol
	cmp ledger.jsonl before
}

@test "dispute: claim on the member's machine from an inclusion proof, add at the cooperative; a claim open already, or signed by another, is refused" {
	denki-ledger-proof -c coop.yaml inclusion "$BOBS" >proof.json
	mkdir member
	cp bob.key carol.key operator.pub proof.json member/
	# bob's machine: no configuration, no ledger
	cd member
	run -0 --separate-stderr denki-dispute claim -k bob.key -i bob -m "short delivery" \
	    -p operator.pub -t 2026-01-02T09:00:00Z proof.json
	assert_equal "$(jq -c 'del(.sig)' <<<"$output")" "{\"against\":\"contract\",\"by\":\"bob\",\"entry\":$BOBS,\"reason\":\"short delivery\",\"slot\":\"$SLOT\",\"time\":\"2026-01-02T09:00:00Z\",\"type\":\"dispute\",\"v\":1}"
	echo "$output" >claim.json
	run -65 --separate-stderr denki-dispute claim -k carol.key -i carol -m x proof.json
	assert_equal "$stderr" "denki-dispute: entry $BOBS: a contract of alice and bob, not carol's"
	# carol's key, bob's name: made here, refused at the cooperative
	denki-dispute claim -k carol.key -i bob -m x proof.json >forged.json
	sed -i 's/135050/135051/' proof.json
	run -1 --separate-stderr denki-dispute claim -k bob.key -i bob -m x -p operator.pub proof.json
	assert_equal "$stderr" "denki-dispute: inclusion proof does not lead to the root"
	cd ..
	cp ledger.jsonl before
	run -65 --separate-stderr denki-dispute -c coop.yaml add member/forged.json
	assert_regex "$stderr" "^denki-dispute: member/forged.json: not signed by bob's key: "
	cmp ledger.jsonl before
	run -0 --separate-stderr denki-dispute -c coop.yaml add member/claim.json
	local n=$(seq_of 'select(.rec.type == "dispute")')
	assert_equal "$stderr" "denki-dispute: dispute $n opened against entry $BOBS"
	assert_equal "$output" "$(cat member/claim.json)"
	# the same signed claim again
	cp ledger.jsonl before
	run -65 --separate-stderr denki-dispute -c coop.yaml add member/claim.json
	assert_equal "$stderr" "denki-dispute: member/claim.json: entry $BOBS: bob's dispute $n against it is open already"
	cmp ledger.jsonl before
	# written by hand, it fails the audit
	local m=$(wc -l <ledger.jsonl)
	forge member/claim.json
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output "FAIL: ledger.jsonl:$((m + 1)): entry $m: dispute of entry $m: entry $BOBS: bob's dispute $n against it is open already"
	cp before ledger.jsonl
	# rita decides on the bundle, away from the cooperative; the
	# cooperative appends her decision with the transfers it makes
	denki-dispute -c coop.yaml bundle -o case "$n" 2>/dev/null
	mkdir reviewer
	cp -r case rita.key bob.key reviewer/
	cd reviewer
	run -0 --separate-stderr denki-dispute resolve -k rita.key --upheld -m ok \
	    --transfer alice:bob:500 -B case "$n"
	assert_equal "$(jq -c '[.by, .decision, .loser, .transfers]' <<<"$output")" \
	    '["rita","upheld","alice",[{"amount":-500,"participant":"alice"},{"amount":500,"participant":"bob"}]]'
	echo "$output" >resolution.json
	run -65 --separate-stderr denki-dispute resolve -k bob.key --upheld -m mine -B case "$n"
	assert_equal "$stderr" "denki-dispute: by: bob is a prosumer, not a reviewer: only a reviewer resolves a dispute"
	sed -i 's/"short/"Short/' case/proofs.jsonl
	run -1 --separate-stderr denki-dispute resolve -k rita.key --upheld -m ok -B case "$n"
	cd ..
	run -0 --separate-stderr denki-dispute -c coop.yaml add reviewer/resolution.json
	assert_equal "$(jq -r .reason <<<"${lines[1]}")" dispute
	run -0 denki-ledger-verify -p operator.pub -O ledger.jsonl.openings ledger.jsonl
	assert_output --regexp '; 1 dispute, 0 open$'
}

@test "dispute: open refuses an entry that is no contract or settlement, one not the claimant's, a key not the claimant's: 65, the ledger unchanged" {
	cp ledger.jsonl before
	run -65 --separate-stderr denki-dispute -c coop.yaml open -k bob.key -m x 9999
	assert_equal "$stderr" "denki-dispute: entry 9999: no contract or settlement there"
	run -65 --separate-stderr denki-dispute -c coop.yaml open -k bob.key -m x 1
	assert_equal "$stderr" "denki-dispute: entry 1: no contract or settlement there"
	run -65 --separate-stderr denki-dispute -c coop.yaml open -k carol.key -m x "$BOBS"
	assert_equal "$stderr" "denki-dispute: entry $BOBS: a contract of alice and bob, not carol's"
	run -65 --separate-stderr denki-dispute -c coop.yaml open -k bob.key -m x "$ALICE_SET"
	assert_equal "$stderr" "denki-dispute: entry $ALICE_SET: the settlement of alice, not bob's"
	run -65 --separate-stderr denki-dispute -c coop.yaml open -k carol.key -i bob -m x "$BOBS"
	assert_equal "$stderr" "denki-dispute: the key given is not bob's (carol)"
	denki-keygen stranger >/dev/null
	run -65 --separate-stderr denki-dispute -c coop.yaml open -k stranger.key -m x "$BOBS"
	assert_equal "$stderr" "denki-dispute: the key given is no participant's key in force"
	run -64 --separate-stderr denki-dispute -c coop.yaml open -k bob.key "$BOBS"
	run -64 --separate-stderr denki-dispute -c coop.yaml open -k bob.key -m x 12x
	assert_equal "$stderr" "denki-dispute: 12x: must be an entry's seq"
	cmp ledger.jsonl before
}

@test "dispute: resolve upheld with a compensating transfer: the resolution, its transfer, ledger-verify; the statement and report show it" {
	open_bob
	run -0 --separate-stderr denki-dispute -c coop.yaml resolve -k rita.key --upheld \
	    -m "alice delivered 10 Wh short" --transfer alice:bob:50000 -t 2026-01-03T09:00:00Z "$DISPUTE"
	local r=$(seq_of 'select(.rec.type == "dispute_resolution")')
	assert_equal "$stderr" "denki-dispute: dispute $DISPUTE resolved by entry $r"
	assert_equal "$(head -n 1 <<<"$output" | jq -c 'del(.sig)')" "{\"by\":\"rita\",\"comment\":\"alice delivered 10 Wh short\",\"decision\":\"upheld\",\"dispute\":$DISPUTE,\"loser\":\"alice\",\"time\":\"2026-01-03T09:00:00Z\",\"transfers\":[{\"amount\":-50000,\"participant\":\"alice\"},{\"amount\":50000,\"participant\":\"bob\"}],\"type\":\"dispute_resolution\",\"v\":1}"
	assert_equal "$(tail -n 1 <<<"$output")" "{\"amount\":50000,\"dispute\":$DISPUTE,\"from\":\"alice\",\"reason\":\"dispute\",\"slot\":\"$SLOT\",\"to\":\"bob\",\"type\":\"transfer\",\"v\":1}"
	assert_equal "$(jq -c "select(.seq == $r + 1) | .rec" ledger.jsonl)" "$(tail -n 1 <<<"$output")"
	run -0 denki-ledger-verify -p operator.pub -O ledger.jsonl.openings ledger.jsonl
	assert_output --partial ", 7 transfers,"
	assert_output --regexp '; 1 dispute, 0 open$'
	run -0 denki-ledger-verify -j -p operator.pub ledger.jsonl
	assert_equal "$(jq -c '[.disputes, .disputes_open]' <<<"$output")" '[1,0]'
	run -0 denki-dispute -c coop.yaml list
	assert_equal "$(jq -c '[.state, .resolution]' <<<"$output")" "[\"resolved\",$r]"
	# bob's net was -86030 (settle.bats); alice's 131901
	run -0 denki-report -p operator.pub ledger.jsonl
	assert_equal "$(jq -c 'select(.type == "statement") | [.participant, .net, .compensation]' <<<"$output")" '["alice",81901,-50000]
["bob",-36030,50000]
["carol",-59471,null]'
	run -0 denki-statement -c coop.yaml -m bob -P 2026-01
	assert_line "  disputes     0.05 (compensation decided in disputes, in with P2P)"
	assert_line --regexp '^alice +dispute +0\.00 +0\.05 +1 +compensation decided in a dispute$'
	# and the month's payment run: bob owes 86030 less the 50000
	denki-pay -c coop.yaml -m operator name=Coop iban='DE89 3704 0044 0532 0130 00' \
	    bic=COBADEFFXXX >/dev/null
	for p in alice bob carol; do
		denki-pay -c coop.yaml -m "$p" name="$p" iban=GB29NWBK60161331926819 >/dev/null
	done
	run -0 --separate-stderr denki-pay -n -c coop.yaml -P 2026-01 -f pain.001 -o pay.xml -d 2026-02-01
	assert_equal "$(jq -c 'select(.participant != "carol") | [.participant, .owed, .amount]' <<<"$output")" '["alice",81901,80000]
["bob",-36030,-30000]'
	# a claim rejected: the claimant lost, no money moves
	run -0 --separate-stderr denki-dispute -c coop.yaml open -k alice.key -m "tolerance" "$ALICE_SET"
	local d2=$(seq_of 'select(.rec.type == "dispute")')
	run -0 --separate-stderr denki-dispute -c coop.yaml resolve -k rita.key --rejected -m "within the rules" "$d2"
	assert_equal "$(jq -c '[.decision, .loser, .transfers]' <<<"$output")" '["rejected","alice",[]]'
	run -0 denki-ledger-verify -p operator.pub -O ledger.jsonl.openings ledger.jsonl
}

@test "dispute: resolve refuses a non-party, a sum beyond the reviewer's scope, money for a claim rejected, no such dispute, and misuse; the ledger unchanged" {
	open_bob
	cp ledger.jsonl before
	run -65 --separate-stderr denki-dispute -c coop.yaml resolve -k rita.key --upheld -m x --transfer carol:bob:5 "$DISPUTE"
	assert_equal "$stderr" "denki-dispute: transfers[1]: carol is no party of dispute $DISPUTE (bob, alice)"
	run -65 --separate-stderr denki-dispute -c coop.yaml resolve -k rita.key --upheld -m x --transfer operator:bob:1000001 "$DISPUTE"
	assert_equal "$stderr" "denki-dispute: transfers: move 1000001 micro-units, beyond reviewer rita's scope of 1000000"
	run -65 --separate-stderr denki-dispute -c coop.yaml resolve -k rita.key --rejected -m x --transfer alice:bob:5 "$DISPUTE"
	assert_equal "$stderr" "denki-dispute: transfers: a claim rejected moves no money"
	run -65 --separate-stderr denki-dispute -c coop.yaml resolve -k rita.key --upheld -m x "$BOBS"
	assert_equal "$stderr" "denki-dispute: dispute $BOBS: no such dispute (entry $BOBS opened none)"
	run -64 --separate-stderr denki-dispute -c coop.yaml resolve -k rita.key --upheld -m x --transfer alice:bob "$DISPUTE"
	assert_equal "$stderr" "denki-dispute: --transfer alice:bob: must be FROM:TO:AMOUNT, two ids and micro-units above 0"
	run -64 --separate-stderr denki-dispute -c coop.yaml resolve -k rita.key -m x "$DISPUTE"
	run -64 --separate-stderr denki-dispute -c coop.yaml resolve -k rita.key --upheld --rejected -m x "$DISPUTE"
	cmp ledger.jsonl before
	run -0 denki-dispute -h
	assert_line --index 0 --partial "usage: denki-dispute [-c config] [-D key=value] open -k member.key"
}

@test "dispute: the bundle alone, in a fresh home, passes proof-verify and dispute verify; one byte changed fails them" {
	open_bob
	denki-dispute -c coop.yaml resolve -k rita.key --upheld -m ok --transfer alice:bob:50000 "$DISPUTE" >/dev/null 2>&1
	run -0 --separate-stderr denki-dispute -c coop.yaml bundle -o case "$DISPUTE"
	assert_equal "$stderr" "denki-dispute: case: the evidence of dispute $DISPUTE"
	run -73 --separate-stderr denki-dispute -c coop.yaml bundle -o case "$DISPUTE"
	mkdir -p fresh/home
	cp -r case fresh/
	cd fresh
	# nothing of the community: a home of its own, the programs alone
	run -0 env -i HOME="$PWD/home" PATH="$TOP:/usr/bin:/bin" LC_ALL=C \
	    ${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} \
	    denki-proof-verify -q -p case/operator.pub case/proofs.jsonl
	assert_output ""
	local n=$(wc -l <case/proofs.jsonl)
	run -0 env -i HOME="$PWD/home" PATH="$TOP:/usr/bin:/bin" LC_ALL=C \
	    ${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} \
	    denki-dispute verify case
	assert_output "case: OK: $n entries of denki.local/ledger under its checkpoint of $(sed -n 2p case/checkpoint) entries; dispute $DISPUTE by bob against the contract of entry $BOBS (slot $SLOT), resolved; 2 readings (2 opened) and every order, dispute and resolution signature check; the parties' settlement made again from its contracts and readings: the same"
	# the parties' readings only: carol's are personal data
	grep -q '"meter":"bob-m"' case/openings.jsonl
	grep -q '"meter":"alice-m"' case/openings.jsonl
	run ! grep -rq 'carol-m' case
	# one byte of the claim's reason changed
	cp -r case t
	sed -i 's/short delivery/shorT delivery/' t/proofs.jsonl
	run -1 denki-proof-verify -q -p t/operator.pub t/proofs.jsonl
	assert_output --regexp '^t/proofs.jsonl:[0-9]+: FAIL: inclusion proof does not lead to the root$'
	run -1 denki-dispute verify t
	assert_output --regexp '^FAIL: t/proofs.jsonl:[0-9]+: '
	# one byte of bob's reading, which no proof covers, changed
	rm -rf t
	cp -r case t
	sed -i 's/"import_wh":590/"import_wh":591/' t/openings.jsonl
	run -0 denki-proof-verify -q -p t/operator.pub t/proofs.jsonl
	run -1 denki-dispute verify t
	assert_output --partial "openings.jsonl: the opening does not match its commitment"
	# one byte of case.json, of the operator key's comment
	rm -rf t
	cp -r case t
	sed -i 's/"dispute":/"dispuTe":/' t/case.json
	run -1 denki-dispute verify t
	assert_output "FAIL: t/case.json: not the case the proofs show"
	rm -rf t
	cp -r case t
	sed -i '1s/genesis/genesiS/' t/operator.pub
	run -1 denki-dispute verify t
	assert_output "FAIL: t/operator.pub: not as bundle wrote it"
}

@test "dispute: the bundle of a slot the operator settled wrong (its history rewritten, signed again) fails dispute verify" {
	open_bob
	# bob's p2p transfer to alice 30 micro-units short, bob's net with it
	local n=$(jq -r 'select(.rec.type == "settlement" and .rec.participant == "bob") | .seq' ledger.jsonl)
	jq -cS "if .seq == $n then .rec.net = -86000 | .rec.p2p_paid = 87000
	    elif .rec.type == \"transfer\" and .rec.from == \"bob\" and .rec.reason == \"p2p\" then .rec.amount = 81000
	    else . end" ledger.jsonl >edited.jsonl
	resign edited.jsonl "$n" >ledger.jsonl
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	run -0 --separate-stderr denki-dispute -c coop.yaml bundle -o case "$DISPUTE"
	run -0 denki-proof-verify -q -p case/operator.pub case/proofs.jsonl
	run -1 denki-dispute verify case
	assert_output "FAIL: case: the slot settled again: settlement bob differs from the bundle's: field p2p_paid"
}

@test "attack: a resolution by a member's key: resolve refuses it; written by hand, ledger-verify refuses it" {
	open_bob
	cp ledger.jsonl before
	run -65 --separate-stderr denki-dispute -c coop.yaml resolve -k bob.key --upheld -m "mine" --transfer alice:bob:50000 "$DISPUTE"
	assert_equal "$stderr" "denki-dispute: by: bob is a prosumer, not a reviewer: only a reviewer resolves a dispute"
	cmp ledger.jsonl before
	# the operator writes bob's own decision, signed by bob, and its transfer
	forged bob bob.key '[{"amount":-50000,"participant":"alice"},{"amount":50000,"participant":"bob"}]' alice
	local n=$(wc -l <ledger.jsonl)
	forge forged.jsonl
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	# (the credit replay of the review rules reads every decision first;
	# either check names the entry and that bob is no reviewer)
	assert_output --regexp "^FAIL: ledger.jsonl:$((n + 1)): entry $n: dispute_resolution(: by: bob is not an active reviewer| of entry $n: by: bob is a prosumer, not a reviewer): only a reviewer resolves a dispute$"
	# or names rita, signed by bob
	cp before ledger.jsonl
	sed -i '1s/"by":"bob"/"by":"rita"/' forged.jsonl
	forge forged.jsonl
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	# (the review rules' credit replay, which reads every decision first,
	# or the dispute's own check: either names the entry and the key)
	assert_output --regexp "^FAIL: ledger.jsonl:$((n + 1)): entry $n: dispute_resolution(: sig: bad signature: the record was not signed by this key| of entry $n: not signed by rita's key: )"
}

@test "attack: a resolution whose transfers do not sum to zero, or transfers other than it makes: ledger-verify refuses it" {
	open_bob
	cp ledger.jsonl before
	# bob paid 50000 that nobody pays: money made from nothing
	forged rita rita.key '[{"amount":50000,"participant":"bob"}]' operator
	local n=$(wc -l <ledger.jsonl)
	forge forged.jsonl
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output "FAIL: ledger.jsonl:$((n + 1)): entry $n: dispute_resolution of entry $n: transfers: sum to 50000, not 0: compensation moves money between the parties, it makes none"
	# a resolution that holds, but its transfer pays bob more
	cp before ledger.jsonl
	denki-dispute -c coop.yaml resolve -n -k rita.key --upheld -m ok --transfer alice:bob:50000 "$DISPUTE" 2>/dev/null |
	    sed '2s/"amount":50000/"amount":90000/' >forged.jsonl
	forge forged.jsonl
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output "FAIL: ledger.jsonl:$((n + 2)): entry $((n + 1)): dispute_resolution of entry $n differs from the replay: field amount (found a transfer record)"
	# the same, as resolve made it: verifies
	cp before ledger.jsonl
	denki-dispute -c coop.yaml resolve -n -k rita.key --upheld -m ok --transfer alice:bob:50000 "$DISPUTE" 2>/dev/null >forged.jsonl
	forge forged.jsonl
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "attack: a second resolution of a dispute: resolve refuses it; written by hand, ledger-verify refuses it" {
	open_bob
	denki-dispute -c coop.yaml resolve -k rita.key --rejected -m "no" "$DISPUTE" >first.jsonl 2>/dev/null
	cp ledger.jsonl before
	run -65 --separate-stderr denki-dispute -c coop.yaml resolve -k rita.key --upheld -m "on second thought" --transfer alice:bob:50000 "$DISPUTE"
	local r=$(seq_of 'select(.rec.type == "dispute_resolution")')
	assert_equal "$stderr" "denki-dispute: dispute $DISPUTE: resolved already, by entry $r: one resolution a dispute"
	cmp ledger.jsonl before
	# the operator appends the first again
	local n=$(wc -l <ledger.jsonl)
	forge first.jsonl
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output "FAIL: ledger.jsonl:$((n + 1)): entry $n: dispute_resolution of entry $n: dispute $DISPUTE: resolved already, by entry $r: one resolution a dispute"
}

@test "attack: a dispute against someone else's contract: open refuses it; written by hand, ledger-verify refuses it" {
	cp ledger.jsonl before
	run -65 --separate-stderr denki-dispute -c coop.yaml open -k carol.key -m "not mine" "$BOBS"
	assert_equal "$stderr" "denki-dispute: entry $BOBS: a contract of alice and bob, not carol's"
	cmp ledger.jsonl before
	printf '{"against":"contract","by":"carol","entry":%s,"reason":"not mine","slot":"%s","time":"2026-01-02T09:00:00Z","type":"dispute","v":1}\n' "$BOBS" "$SLOT" |
	    sign_with carol.key >forged.jsonl
	local n=$(wc -l <ledger.jsonl)
	forge forged.jsonl
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output "FAIL: ledger.jsonl:$((n + 1)): entry $n: dispute of entry $n: entry $BOBS: a contract of alice and bob, not carol's"
	# and a dispute against an entry that is no contract
	cp before ledger.jsonl
	printf '{"against":"contract","by":"carol","entry":3,"reason":"x","slot":"%s","time":"2026-01-02T09:00:00Z","type":"dispute","v":1}\n' "$SLOT" |
	    sign_with carol.key >forged.jsonl
	forge forged.jsonl
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output "FAIL: ledger.jsonl:$((n + 1)): entry $n: dispute of entry $n: entry 3: no contract or settlement there"
}

@test "dispute: denki lists it; bash completes its commands and options, zsh has them" {
	run -0 --separate-stderr denki
	assert_line --regexp '^  dispute +open a member.s dispute, bundle its evidence'
	comp() {
		bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
		    _denki; printf "%s\n" "${COMPREPLY[@]}"' _ \
		    "$TOP/completions/bash/denki" "$@"
	}
	run comp denki dispute ''
	assert_output "open
claim
add
resolve
list
bundle
verify"
	run comp denki-dispute -c coop.yaml resolve --u
	assert_output "--upheld"
	run comp denki di
	assert_output "dispute"
	grep -q "'(--upheld)--rejected\[resolve: the claim rejected\]'" "$TOP/completions/zsh/_denki"
	grep -q "'dispute:a member" "$TOP/completions/zsh/_denki"
	if command -v zsh >/dev/null; then
		run -0 zsh -n "$TOP/completions/zsh/_denki"
	fi
}
