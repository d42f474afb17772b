#!/usr/bin/env bats
# Issue 13, part 1: a member's key is the member's.  Enrolment by the
# member's signed request (denki-registry request, add), key changes signed
# by the old key (rekey), lost keys replaced by a recovery the recovery key
# countersigns (recover, countersign), a member's history (log), and what
# denki-ledger-verify refuses: the attacks of an operator who holds its own
# key and writes the ledger as it likes (tests/resign.bash).

load test_helper
load resign

setup() {
	common_setup
	make_community_once kn1 kn2
	N=$(wc -l <ledger.jsonl)
	KN1=$(sed -n 2p kn1.pub)
}

# pub KEYFILE: the public key's base64, as records hold it
pub() {
	sed -n 2p "$1"
}

# kn1's last participant entry (the whole ledger line)
kn1_entry() {
	grep '"type":"participant"' ledger.jsonl | grep '"id":"kn1"' | tail -n 1
}

# forge FILTER: the operator appends, by hand, kn1's last participant
# entry changed by the jq FILTER (on the entry), and a checkpoint, every
# link and checkpoint signed again: what a writer would have appended
forge() {
	local n
	n=$(wc -l <ledger.jsonl)
	{
		cat ledger.jsonl
		kn1_entry | jq -cS "$1"
		tail -n 1 ledger.jsonl
	} >edited.jsonl
	resign edited.jsonl $((n + 1)) >ledger.jsonl
}

@test "attack: operator swaps a member's key (registry update kn1 -k operator-made.pub), signs an order as kn1, clears and contracts it: ledger-verify refuses, naming the entry and the participant" {
	local n first
	denki-keygen evil >/dev/null
	# the operator's own tool no longer makes the change...
	cp ledger.jsonl before
	run -64 --separate-stderr denki-registry -c coop.yaml update kn1 -k evil.pub
	assert_equal "$stderr" "denki-registry: update -k: a member's key, meters and meter keys change only by its signed request (denki registry request, then registry rekey) or a recovery (denki registry recover)"
	cmp ledger.jsonl before
	# ...so the operator writes kn1's record as update -k wrote it, kn1's
	# key replaced and nothing else, under a checkpoint it signs
	n=$(wc -l <ledger.jsonl)
	forge ".rec.key = \"$(pub evil.pub)\" | del(.rec.request)"
	# the clearing and contracts, as the tools make them with kn1's key
	# the operator's: from a copy in which kn1 enrolled with it (a record
	# of version 1, as old ledgers have)
	mkdir s
	cp coop.yaml operator.key operator.pub terms.txt s/
	first=$(grep -n -m 1 '"id":"kn1"' before | cut -d: -f1)
	{
		head -n $((first - 1)) before
		sed -n "${first}p" before | jq -cS ".rec = (.rec | del(.request) | .key = \"$(pub evil.pub)\" | .v = 1)"
		tail -n +$((first + 1)) before
	} >edited.jsonl
	resign edited.jsonl "$first" >s/ledger.jsonl
	{
		printf '{"type":"order","v":1,"participant":"kn1","slot":"2026-01-01T10:00:00+00:00","side":"buy","wh":500,"price":250000}\n' | sign_with evil.key
		order kn2 sell 500 120000
	} >o.jsonl
	denki-clear -c s/coop.yaml o.jsonl | denki-contract-sign -c s/coop.yaml >contracts.jsonl
	assert_equal "$(jq -r '.buyer + " " + (.wh | tostring)' contracts.jsonl)" "kn1 500"
	# the operator's ledger: the forged record, then that slot's entries
	{ cat ledger.jsonl; tail -n +$((n + 1)) s/ledger.jsonl; } >edited.jsonl
	resign edited.jsonl $((n + 3)) >ledger.jsonl
	run -1 --separate-stderr denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output "FAIL: ledger.jsonl:$((n + 1)): entry $n: participant kn1: key: changed without a request signed by the old key or a recovery countersigned by the recovery key"
	run -1 --separate-stderr denki-ledger-verify -j -p operator.pub ledger.jsonl
	assert_equal "$(jq -r .reason <<<"$output")" "ledger.jsonl:$((n + 1)): entry $n: participant kn1: key: changed without a request signed by the old key or a recovery countersigned by the recovery key"
	# and every program that replays the ledger refuses to work on it
	run -65 --separate-stderr denki-clear -c coop.yaml o.jsonl
	assert_equal "$stderr" "denki-clear: ledger.jsonl:$((n + 1)): entry $n: participant kn1: key: changed without a request signed by the old key or a recovery countersigned by the recovery key"
	# the copy with kn1 enrolled without proof verifies, and says so
	run -0 denki-ledger-verify -p operator.pub s/ledger.jsonl
	assert_output --regexp '; 1 participant enrolled without proof of possession \(records of version 1, no request since\)$'
}

@test "attack: the operator writes a member's record with the member's request but another key, or another id: refused" {
	denki-keygen evil >/dev/null
	cp ledger.jsonl before
	forge ".rec.key = \"$(pub evil.pub)\""
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output "FAIL: ledger.jsonl:$((N + 1)): entry $N: participant kn1: key: not the key the request names"
	# kn1's request under another id (a participant of the operator's)
	cp before ledger.jsonl
	forge '.rec.id = "mallory" | .rec.meters = ["mallory-m"] | .rec.request.meters = ["mallory-m"]'
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output "FAIL: ledger.jsonl:$((N + 1)): entry $N: participant mallory: request: sig: bad signature: the record was not signed by this key, or was changed after signing"
	cp before ledger.jsonl
	forge '.rec.id = "mallory" | .rec.meters = ["mallory-m"] | del(.rec.meter_keys)'
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output "FAIL: ledger.jsonl:$((N + 1)): entry $N: participant mallory: meters: not the ones the member's request names"
	cp before ledger.jsonl
	forge '.rec.id = "mallory" | .rec.meters = ["kn1-m"]'
	# kn1-m is kn1's; the request is kn1's
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --partial "FAIL: ledger.jsonl:$((N + 1)): entry $N: "
	# and a request for another id, given to registry add
	cp before ledger.jsonl
	denki-registry request kn3 -s kn1.key -m kn3-m >kn3.json
	jq -cS '.id = "kn4"' kn3.json >kn4.json
	run -65 --separate-stderr denki-registry -c coop.yaml add kn4.json
	assert_equal "$stderr" "denki-registry: kn4.json: sig: bad signature: the record was not signed by this key, or was changed after signing"
	cmp ledger.jsonl before
}

@test "attack: a forged enrolment request (signed by another key than the one it names) is refused by add and by ledger-verify" {
	denki-keygen dave >/dev/null
	denki-keygen evil >/dev/null
	denki-registry request dave -s evil.key -m dave-m >evil.json
	jq -cS ".key = \"$(pub dave.pub)\"" evil.json >forged.json
	cp ledger.jsonl before
	run -65 --separate-stderr denki-registry -c coop.yaml add forged.json
	assert_output ""
	assert_equal "$stderr" "denki-registry: forged.json: sig: bad signature: the record was not signed by this key, or was changed after signing"
	cmp ledger.jsonl before
	# written into the ledger by hand: refused there too
	forge ".rec = (.rec | .id = \"dave\" | .meters = [\"dave-m\"] | del(.meter_keys) | .key = \"$(pub dave.pub)\" | .request = $(cat forged.json))"
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output "FAIL: ledger.jsonl:$((N + 1)): entry $N: participant dave: request: sig: bad signature: the record was not signed by this key, or was changed after signing"
	# a participant of version 2 without any request
	cp before ledger.jsonl
	forge '.rec = (.rec | .id = "dave" | .meters = ["dave-m"] | del(.request))'
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output "FAIL: ledger.jsonl:$((N + 1)): entry $N: participant dave: enrolled without the member's signed request"
	# or of version 1, after records of version 2
	cp before ledger.jsonl
	forge '.rec = (.rec | .id = "dave" | .meters = ["dave-m"] | del(.request) | .v = 1)'
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output "FAIL: ledger.jsonl:$((N + 1)): entry $N: participant dave: a record of version 1 after records of version 2: no proof that the member holds its key"
}

@test "attack: a replayed old request is refused: an enrolment after a key change, a meter change after a later one" {
	denki-keygen kn1b >/dev/null
	denki-registry request kn1 -s kn1b.key -K kn1.key -m kn1-m -t 2030-01-01T00:00:00Z >rekey.json
	run -0 denki-registry -c coop.yaml rekey rekey.json
	cp ledger.jsonl before
	# kn1's enrolment request, with the key kn1 gave up
	run -65 --separate-stderr denki-registry -c coop.yaml rekey kn1.enrol.json
	assert_equal "$stderr" "denki-registry: participant kn1: request: key (with no old_key): not the key in force; a key changes only by a request signed by the old key or a recovery"
	# the key change again
	run -65 --separate-stderr denki-registry -c coop.yaml rekey rekey.json
	assert_equal "$stderr" "denki-registry: participant kn1: request: old_key: not the key in force; a key changes only by a request signed by the old key or a recovery"
	cmp ledger.jsonl before
	# two meter changes signed with the key in force; the first again
	denki-registry request kn1 -s kn1b.key -m kn1-m -m kn1-pv -t 2030-02-01T00:00:00Z >m1.json
	denki-registry request kn1 -s kn1b.key -m kn1-m -t 2030-03-01T00:00:00Z >m2.json
	run -0 denki-registry -c coop.yaml rekey m1.json
	run -0 denki-registry -c coop.yaml rekey m2.json
	cp ledger.jsonl before
	run -65 --separate-stderr denki-registry -c coop.yaml rekey m1.json
	assert_equal "$stderr" "denki-registry: participant kn1: request: time: 2030-02-01T00:00:00+00:00 is not later than the member's last request or recovery: a request is used once"
	cmp ledger.jsonl before
	# written by hand, the ledger-verify refuses it
	forge ".rec.meters = [\"kn1-m\",\"kn1-pv\"] | .rec.request = $(cat m1.json)"
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output "FAIL: ledger.jsonl:$((N + 7)): entry $((N + 6)): participant kn1: request: time: 2030-02-01T00:00:00+00:00 is not later than the member's last request or recovery: a request is used once"
	cp before ledger.jsonl
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "attack: a recovery without the recovery key's signature, or with another key's, is refused by rekey and by ledger-verify" {
	denki-keygen kn1new >/dev/null
	run -0 --separate-stderr denki-registry -c coop.yaml recover kn1 -k kn1new.pub -R 'phone lost' -t 2030-01-01T00:00:00Z
	echo "$output" >rec.json
	assert_output "{\"id\":\"kn1\",\"key\":\"$(pub kn1new.pub)\",\"old_key\":\"$KN1\",\"reason\":\"phone lost\",\"time\":\"2030-01-01T00:00:00+00:00\",\"type\":\"key_recovery\",\"v\":1}"
	cp ledger.jsonl before
	run -65 --separate-stderr denki-registry -c coop.yaml rekey rec.json
	assert_equal "$stderr" "denki-registry: participant kn1: request: sig: missing: a recovery needs the recovery key's signature (denki registry countersign)"
	# countersigned by the operator's own key
	denki-registry countersign -s operator.key rec.json >op.json 2>/dev/null
	run -65 --separate-stderr denki-registry -c coop.yaml rekey op.json
	assert_equal "$stderr" "denki-registry: participant kn1: request: sig: not the signature of the recovery key the genesis names, or the record was changed after it was signed"
	# the recovery key's signature, but another reason than it signed
	denki-registry countersign -s recovery.key rec.json >good.json 2>/dev/null
	jq -cS '.reason = "member asked"' good.json >changed.json
	run -65 --separate-stderr denki-registry -c coop.yaml rekey changed.json
	assert_equal "$stderr" "denki-registry: participant kn1: request: sig: not the signature of the recovery key the genesis names, or the record was changed after it was signed"
	cmp ledger.jsonl before
	# written by hand
	forge ".rec.key = \"$(pub kn1new.pub)\" | .rec.request = $(cat op.json)"
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output "FAIL: ledger.jsonl:$((N + 1)): entry $N: participant kn1: request: sig: not the signature of the recovery key the genesis names, or the record was changed after it was signed"
	# a ledger whose genesis names no recovery key takes no recovery
	cp before ledger.jsonl
	head -n 1 before | jq -cS 'del(.rec.recovery)' >edited.jsonl
	tail -n +2 before >>edited.jsonl
	resign edited.jsonl 1 >ledger.jsonl
	cp ledger.jsonl stripped
	forge ".rec.key = \"$(pub kn1new.pub)\" | .rec.request = $(cat good.json)"
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output "FAIL: ledger.jsonl:$((N + 1)): entry $N: participant kn1: a recovery, but the genesis names no recovery key"
	cp stripped ledger.jsonl
	run -65 --separate-stderr denki-registry -c coop.yaml recover kn1 -k kn1new.pub -R 'phone lost'
	assert_equal "$stderr" "denki-registry: kn1: the ledger's genesis names no recovery key, so no recovery can be appended to it"
}

@test "registry recover, countersign: the recovery key's holder is shown what it signs; the recovery is applied and ledger-verify prints it on a line of its own" {
	local n
	denki-keygen kn1new >/dev/null
	denki-registry -c coop.yaml recover kn1 -k kn1new.pub -R 'phone lost' -t 2030-01-01T00:00:00Z >rec.json
	run -0 --separate-stderr denki-registry countersign -s recovery.key rec.json
	assert_equal "$stderr" "denki-registry: countersigned: participant kn1: key $KN1 replaced by $(pub kn1new.pub) at 2030-01-01T00:00:00+00:00, because: phone lost"
	echo "$output" >signed.json
	assert_equal "$(jq -cS 'del(.sig)' signed.json)" "$(cat rec.json)"
	run -65 --separate-stderr denki-registry countersign -s recovery.key signed.json
	assert_equal "$stderr" "denki-registry: sig: already countersigned"
	run -0 --separate-stderr denki-registry -c coop.yaml rekey <signed.json
	assert_equal "$(jq -c .request <<<"$output")" "$(cat signed.json)"
	assert_equal "$(jq -r .key <<<"$output")" "$(pub kn1new.pub)"
	n=$(($(wc -l <ledger.jsonl) - 2))
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 "ledger.jsonl: RECOVERY: entry $n: participant kn1: key $KN1 replaced by $(pub kn1new.pub), countersigned by the recovery key, 2030-01-01T00:00:00+00:00: phone lost"
	assert_line --index 1 --regexp '^ledger\.jsonl: OK: '
	run -0 denki-ledger-verify -j -p operator.pub ledger.jsonl
	assert_line --index 0 "{\"entry\":$n,\"id\":\"kn1\",\"key\":\"$(pub kn1new.pub)\",\"old_key\":\"$KN1\",\"reason\":\"phone lost\",\"time\":\"2030-01-01T00:00:00+00:00\",\"type\":\"recovered\",\"v\":1}"
	assert_equal "$(jq -r 'select(.type == "verdict") | .recoveries' <<<"$output")" 1
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
	assert_output ""
	# kn1's orders are signed with its new key now, and the old one's are refused
	printf '{"type":"order","v":1,"participant":"kn1","slot":"2026-01-01T10:00:00+00:00","side":"buy","wh":500,"price":250000}\n' | sign_with kn1new.key >o.jsonl
	run -0 denki-clear -c coop.yaml o.jsonl
	order kn1 buy 500 250000 >old.jsonl
	run -65 --separate-stderr denki-clear -c coop.yaml old.jsonl
	assert_regex "$stderr" '^denki-clear: old.jsonl:1: rejected: .*sig'
	# a recovery of nobody, no reason, the new key the one in force
	run -65 --separate-stderr denki-registry -c coop.yaml recover zed -k kn1new.pub -R lost
	assert_equal "$stderr" "denki-registry: zed: not registered"
	run -64 --separate-stderr denki-registry -c coop.yaml recover kn1 -k kn1new.pub -R ''
	assert_equal "$stderr" "denki-registry: reason: 1 to 500 bytes saying why the key is replaced"
	run -64 --separate-stderr denki-registry -c coop.yaml recover kn1 -k kn1new.pub -R again
	assert_equal "$stderr" "denki-registry: kn1: the new key is the key in force"
	run -64 --separate-stderr denki-registry -c coop.yaml recover kn1 -k kn1new.pub
	assert_equal "$stderr" "denki-registry: recover: -R is required"
}

@test "registry log: a member's whole history, each record with its entry, time, what changed and who signed" {
	denki-keygen kn1b >/dev/null
	denki-registry -c coop.yaml update kn1 -w 3000 >/dev/null
	denki-registry request kn1 -s kn1b.key -K kn1.key -m kn1-m -t 2030-01-01T00:00:00Z >k.json
	denki-registry -c coop.yaml rekey k.json >/dev/null
	denki-registry -c coop.yaml revoke kn2 >/dev/null
	denki-registry -c coop.yaml recover kn1 -k kn1.pub -R 'kn1b lost' -t 2030-02-01T00:00:00Z |
	    denki-registry countersign -s recovery.key 2>/dev/null >r.json
	denki-registry -c coop.yaml rekey r.json >/dev/null
	local t
	t=$(jq -r .time kn1.enrol.json)
	run -0 --separate-stderr denki-registry -c coop.yaml log -H kn1
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 4
	assert_line --index 0 "entry 1 at $t: enrolled; signed by the member"
	assert_line --index 1 "entry 5: max_wh; signed by the operator alone"
	assert_line --index 2 "entry 7 at 2030-01-01T00:00:00+00:00: key; signed by the member, with its old key"
	assert_line --index 3 "entry 11 at 2030-02-01T00:00:00+00:00: key; signed by the recovery key; reason: kn1b lost"
	run -0 --separate-stderr denki-registry -c coop.yaml log kn1
	assert_line --index 0 "{\"changed\":[\"enrolled\"],\"entry\":1,\"id\":\"kn1\",\"key\":\"$KN1\",\"signed\":[\"member\"],\"time\":\"$t\",\"type\":\"history\",\"v\":1}"
	assert_line --index 2 "{\"changed\":[\"key\"],\"entry\":7,\"id\":\"kn1\",\"key\":\"$(pub kn1b.pub)\",\"signed\":[\"member\",\"old_key\"],\"time\":\"2030-01-01T00:00:00+00:00\",\"type\":\"history\",\"v\":1}"
	assert_line --index 3 "{\"changed\":[\"key\"],\"entry\":11,\"id\":\"kn1\",\"key\":\"$KN1\",\"reason\":\"kn1b lost\",\"signed\":[\"recovery\"],\"time\":\"2030-02-01T00:00:00+00:00\",\"type\":\"history\",\"v\":1}"
	run -0 denki-registry -c coop.yaml log -H kn2
	assert_output "entry 3 at $(jq -r .time kn2.enrol.json): enrolled; signed by the member
entry 9: status; signed by the operator alone"
	run -1 --separate-stderr denki-registry -c coop.yaml log zed
	assert_equal "$stderr" "denki-registry: zed: not registered"
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

# bad_request FILTER MESSAGE: dave's request changed by the jq FILTER is
# refused by add (65) with MESSAGE, after the file's name
bad_request() {
	jq -cS "$1" dave.json >x.json
	run -65 --separate-stderr denki-registry -c coop.yaml add x.json
	assert_equal "$stderr" "denki-registry: x.json: $2"
}

@test "registry add, rekey: a bad request file gets a clear message naming the file, line and field; nothing is appended" {
	cp ledger.jsonl before
	denki-keygen dave >/dev/null
	denki-registry request dave -s dave.key -m dave-m >dave.json
	printf '{"type":"enrol",\n' >bad.json
	run -65 --separate-stderr denki-registry -c coop.yaml add bad.json
	assert_equal "$stderr" "denki-registry: bad.json:1: malformed JSON at column 16: string or '}' expected near end of file"
	: >empty.json
	run -65 --separate-stderr denki-registry -c coop.yaml add empty.json
	assert_equal "$stderr" "denki-registry: empty.json: empty: no request in it"
	cat dave.json dave.json >two.json
	run -65 --separate-stderr denki-registry -c coop.yaml add two.json
	assert_equal "$stderr" "denki-registry: two.json:2: one request a file"
	bad_request '.colour = "red"' "colour: not a member of an enrolment request"
	bad_request 'del(.sig)' "sig: missing: the member signs its request with the key it names"
	jq -cS '.time = "yesterday"' dave.json >x.json
	run -65 --separate-stderr denki-registry -c coop.yaml add x.json
	assert_regex "$stderr" '^denki-registry: x.json: time: must be an RFC 3339 time with an offset'
	bad_request '.type = "order"' "type: must be \"enrol\", got \"order\""
	bad_request '.old_key = .key' "old_key and old_sig: a key change has both, an enrolment neither"
	bad_request '.key = "RWQ"' "key: not an Ed25519 public key in minisign layout (base64 of \"Ed\", 8-byte key number, 32-byte key)"
	run -65 --separate-stderr denki-registry -c coop.yaml rekey dave.json
	assert_equal "$stderr" "denki-registry: dave: not registered; an enrolment goes by registry add"
	run -64 --separate-stderr denki-registry request dave -s dave.key -t tomorrow
	assert_regex "$stderr" '^denki-registry: -t tomorrow: must be an RFC 3339 time'
	run -64 --separate-stderr denki-registry request dave -s dave.key -M dave-m
	assert_equal "$stderr" "denki-registry: -M dave-m: must be meter=pubkey"
	cmp ledger.jsonl before
	# the good one, with a meter's device key, from stdin
	denki-keygen dave-meter >/dev/null
	denki-registry request dave -s dave.key -M dave-m=dave-meter.pub -z east -r consumer >dave.json
	run -0 --separate-stderr denki-registry -c coop.yaml add - <dave.json
	assert_equal "$(jq -c '[.zone, .role, .meters, .meter_keys[0].key]' <<<"$output")" "[\"east\",\"consumer\",[\"dave-m\"],\"$(pub dave-meter.pub)\"]"
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "ledger-verify: an old ledger, its participants of version 1, still verifies and counts them" {
	cp -r "$TOP/tests/golden" g
	run -0 denki-ledger-verify -p g/operator.pub g/ledger.jsonl
	assert_output --regexp '; 12 participants enrolled without proof of possession \(records of version 1, no request since\)$'
	run -0 denki-ledger-verify -j -p g/operator.pub g/ledger.jsonl
	assert_equal "$(jq .unproven_enrolments <<<"$output")" 12
	# a member of an old ledger proves it holds its key by a request with
	# it (its meters restated): then it is no longer counted
	cd g
	chmod 600 ./*.key
	denki-registry request a1 -s a1.key -m a1-m >a1.json
	run -0 denki-registry -c coop.yaml rekey a1.json
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --regexp '; 11 participants enrolled without proof of possession \(records of version 1, no request since\)$'
	git -C "$TOP" show HEAD:tests/golden/ledger.jsonl >ledger.jsonl
	cd ..
	# a key change in one is refused: it cannot be told from the attack
	cd g
	n=$(grep -n -m 1 '"id":"a1"' ledger.jsonl | cut -d: -f1)
	m=$(wc -l <ledger.jsonl)
	{ cat ledger.jsonl; sed -n "${n}p" ledger.jsonl | jq -cS ".rec.key = \"$(sed -n 2p b1.pub)\""; tail -n 1 ledger.jsonl; } >edited.jsonl
	resign edited.jsonl $((m + 1)) >ledger.jsonl
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output "FAIL: ledger.jsonl:$((m + 1)): entry $m: participant a1: key: changed without a request signed by the old key or a recovery countersigned by the recovery key"
}

@test "denki-registry(1): its EXAMPLES run as written, in order" {
	local cmd line
	for k in meter new kn1-2; do denki-keygen "$k" >/dev/null; done
	denki-registry request kn2 -s kn2.key -r consumer -z konstanz >kn2.json
	rm ledger.jsonl
	printf 'recovery_key: recovery.pub\n' >>coop.yaml
	# the literal lines of EXAMPLES, continuations joined, "$ " cut
	sed -n '/^\.Sh EXAMPLES/,/^\.Sh SEE ALSO/p' "$TOP/man/denki-registry.1" |
	    awk '/^\.Bd -literal/ { lit = 1; next } /^\.Ed/ { lit = 0 } lit' |
	    sed 's/\\e$/\\/' | sed -e ':a' -e '/\\$/N; s/\\\n//; ta' |
	    sed 's/^\$ //' >examples.sh
	assert_equal "$(wc -l <examples.sh)" 12
	# a member's requests are made in later seconds (a request's time is
	# in seconds, each later than the member's last): a line that makes
	# a request or a recovery starts in a second after the one the line
	# before (or kn2's request) ended in; the others at once
	local last=$EPOCHSECONDS
	while IFS= read -r line; do
		case $line in
		*' request '* | *' recover '*)
			while ((EPOCHSECONDS <= last)); do
				sleep 0.05
			done
			;;
		esac
		run -0 bash -c "$line"
		last=$EPOCHSECONDS
	done <examples.sh
	run -0 denki-registry -c coop.yaml log -H kn1
	assert_line --index 0 --regexp '^entry 1 at .*: enrolled; signed by the member$'
	assert_line --index 1 --regexp '^entry 5 at .*: key, meters; signed by the member, with its old key$'
	assert_line --index 2 --regexp '^entry 7 at .*: key; signed by the recovery key; reason: phone stolen, reported 2026-11-30$'
	assert_line --index 3 'entry 11: max_wh, max_day; signed by the operator alone'
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_line --index 0 --regexp '^ledger\.jsonl: RECOVERY: entry 7: participant kn1: '
}
