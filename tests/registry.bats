#!/usr/bin/env bats
# denki-registry: who may trade; every change one signed ledger entry, and
# a checkpoint after it.

load test_helper

setup() {
	common_setup
	make_community_once alice bob
	denki-keygen dave >/dev/null
	DAVE=$(sed -n 2p dave.pub)
	ALICE=$(sed -n 2p alice.pub)
	BOB=$(sed -n 2p bob.pub)
}

entries() {
	wc -l <ledger.jsonl
}

# the record of ledger entry N (1-based line)
rec() {
	sed -n "${1}p" ledger.jsonl | jq -c .rec
}

# the record of the last change: the entry before the checkpoint that ends
# the ledger
changed() {
	[ "$(tail -n 1 ledger.jsonl | jq -r .rec.type)" = checkpoint ] || return
	tail -n 2 ledger.jsonl | head -n 1 | jq -c .rec
}

# one participant record, as registry prints it
prec() {	# ID KEY ZONE ROLE STATUS METERS-JSON
	printf '{"id":"%s","key":"%s","meters":%s,"role":"%s","status":"%s","type":"participant","v":2,"zone":"%s"}' \
	    "$1" "$2" "$6" "$4" "$5" "$3"
}

# dave's enrolment request, made with dave.key as on dave's machine
dreq() {
	denki-registry request dave -s dave.key "$@" >dave.json
}

# the record in $output without the member's request, which must be
# the request in file $1
minus_request() {
	assert_equal "$(jq -c .request <<<"$output")" "$(cat "$1")"
	jq -c 'del(.request)' <<<"$output"
}

@test "registry add: the record on stdout, one ledger entry and its checkpoint, hash-linked under a signed checkpoint" {
	# the genesis, then each participant and a checkpoint
	assert_equal "$(jq -r .rec.type ledger.jsonl | tr '\n' ' ')" \
	    "ledger participant checkpoint participant checkpoint "
	dreq -m dave-m -m dave-pv -z north -r consumer
	run -0 --separate-stderr denki-registry -c coop.yaml add dave.json
	assert_equal "$stderr" ""
	assert_equal "$(minus_request dave.json)" "$(prec dave "$DAVE" north consumer active '["dave-m","dave-pv"]')"
	assert_equal "$(entries)" 7
	assert_equal "$(rec 6)" "$output"
	assert_equal "$(sed -n 6p ledger.jsonl | jq .seq)" 5
	assert_equal "$(sed -n 6p ledger.jsonl | jq -r .prev)" \
	    "$(sed -n 5p ledger.jsonl | tr -d '\n' | { printf '\0'; cat; } | sha256sum | cut -d' ' -f1)"
	# the checkpoint: of the 6 entries before it, linked to the last
	assert_equal "$(sed -n 7p ledger.jsonl | jq -r .rec.type)" checkpoint
	assert_equal "$(sed -n 7p ledger.jsonl | jq -r .rec.note | sed -n 1,2p | tr '\n' ' ')" \
	    "denki.local/ledger 6 "
	assert_equal "$(sed -n 7p ledger.jsonl | jq -r .prev)" \
	    "$(sed -n 6p ledger.jsonl | tr -d '\n' | { printf '\0'; cat; } | sha256sum | cut -d' ' -f1)"
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "registry add: zone main, role prosumer and no meters unless told" {
	dreq
	run -0 --separate-stderr denki-registry -c coop.yaml add <dave.json
	assert_equal "$(minus_request dave.json)" "$(prec dave "$DAVE" main prosumer active '[]')"
	assert_equal "$(entries)" 7
	assert_equal "$(changed)" "$output"
}

@test "registry add of several requests: each an entry and a checkpoint, the ledger byte for byte what runs one by one make" {
	need_faketime
	denki-keygen erin >/dev/null
	dreq -m dave-m
	denki-registry request erin -s erin.key -r consumer >erin.json
	cp ledger.jsonl before
	run -0 --separate-stderr at '2030-01-02 03:04:05' \
	    denki-registry -c coop.yaml add dave.json erin.json
	assert_equal "$stderr" ""
	assert_equal "$(jq -r .id <<<"$output" | tr '\n' ' ')" "dave erin "
	assert_equal "$(jq -r .rec.type ledger.jsonl | tr '\n' ' ')" \
	    "ledger participant checkpoint participant checkpoint participant checkpoint participant checkpoint "
	assert_equal "$(sed -n 8p ledger.jsonl | jq -c .rec)" "${lines[1]}"
	mv ledger.jsonl together
	mv before ledger.jsonl
	rm -f ledger.jsonl.*
	at '2030-01-02 03:04:05' denki-registry -c coop.yaml add dave.json >one
	at '2030-01-02 03:04:05' denki-registry -c coop.yaml add erin.json >>one
	cmp ledger.jsonl together
	assert_equal "$(cat one)" "$output"
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "registry add of several requests: a bad one stops the run, naming its file; those before it stay appended, those after it are not" {
	denki-keygen erin >/dev/null
	dreq
	denki-registry request alice -s alice.key >a.json
	denki-registry request erin -s erin.key >erin.json
	run -65 --separate-stderr denki-registry -c coop.yaml add dave.json \
	    a.json erin.json
	assert_equal "$(jq -r .id <<<"$output")" dave
	assert_equal "$stderr" "denki-registry: alice: already registered; its changes go by registry rekey"
	assert_equal "$(entries)" 7
	assert_equal "$(changed | jq -r .id)" dave
	echo '{"id":' >bad.json
	run -65 --separate-stderr denki-registry -c coop.yaml add erin.json \
	    bad.json dave.json
	assert_equal "$(jq -r .id <<<"$output")" erin
	assert_regex "$stderr" '^denki-registry: bad\.json:1: '
	assert_equal "$(entries)" 9
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "registry list: every participant with its status" {
	run -0 --separate-stderr denki-registry -c coop.yaml list
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 "$(prec alice "$ALICE" main prosumer active '["alice-m"]')"
	assert_line --index 1 "$(prec bob "$BOB" main prosumer active '["bob-m"]')"
	run -0 denki-registry -c coop.yaml revoke bob
	run -0 --separate-stderr denki-registry -c coop.yaml list
	assert_equal "$(echo "$output" | jq -r '.id + " " + .status')" \
	    "$(printf 'alice active\nbob revoked')"
}

@test "registry list reads and changes nothing: no ledger is no participants" {
	cp ledger.jsonl before
	run -0 denki-registry -c coop.yaml list
	cmp ledger.jsonl before
	run -0 --separate-stderr denki-registry -D ledger=none.jsonl list
	assert_output ""
	assert_equal "$stderr" ""
	[ ! -e none.jsonl ]
}

@test "registry update: changes what is given, keeps the rest, one entry and a checkpoint more" {
	run -0 --separate-stderr denki-registry -c coop.yaml update alice -z north
	assert_output "$(prec alice "$ALICE" north prosumer active '["alice-m"]')"
	assert_equal "$(entries)" 7
	assert_equal "$(changed)" "$output"

	run -0 --separate-stderr denki-registry -c coop.yaml update alice -r producer -w 100
	assert_output "$(prec alice "$ALICE" north producer active '["alice-m"]' | jq -cS '.max_wh = 100')"
	assert_equal "$(entries)" 9
	assert_equal "$(changed)" "$output"

	# meters and the key are the member's: its own request, by rekey
	denki-registry request alice -s alice.key -m alice-m2 -m alice-pv -t 2030-01-01T00:00:00Z >a.json
	run -0 --separate-stderr denki-registry -c coop.yaml rekey a.json
	assert_equal "$(minus_request a.json)" "$(prec alice "$ALICE" north producer active '["alice-m2","alice-pv"]' | jq -cS '.max_wh = 100')"
	assert_equal "$(entries)" 11
	assert_equal "$(changed)" "$output"

	denki-registry request alice -s dave.key -K alice.key -m alice-m2 -m alice-pv -t 2030-01-02T00:00:00Z >k.json
	run -0 --separate-stderr denki-registry -c coop.yaml rekey k.json
	assert_equal "$(minus_request k.json)" "$(prec alice "$DAVE" north producer active '["alice-m2","alice-pv"]' | jq -cS '.max_wh = 100')"
	assert_equal "$(entries)" 13

	run -0 --separate-stderr denki-registry -c coop.yaml list
	assert_line --index 0 "$(prec alice "$DAVE" north producer active '["alice-m2","alice-pv"]' | jq -cS '.max_wh = 100')"
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "registry update: a meter given up can go to someone else" {
	denki-registry request alice -s alice.key -m alice-m2 -t 2030-01-01T00:00:00Z >a.json
	run -0 denki-registry -c coop.yaml rekey a.json
	dreq -m alice-m
	run -0 --separate-stderr denki-registry -c coop.yaml add dave.json
	assert_equal "$(minus_request dave.json)" "$(prec dave "$DAVE" main prosumer active '["alice-m"]')"
}

@test "registry revoke: status revoked, one entry and a checkpoint more, and the orders stop clearing" {
	order bob sell 500 120000 >o.jsonl
	run -0 denki-clear -c coop.yaml o.jsonl
	run -0 --separate-stderr denki-registry -c coop.yaml revoke bob
	assert_output "$(prec bob "$BOB" main prosumer revoked '["bob-m"]')"
	assert_equal "$(entries)" 7
	assert_equal "$(changed)" "$output"
	run -65 --separate-stderr denki-clear -c coop.yaml o.jsonl
	assert_equal "$stderr" "denki-clear: o.jsonl:1: rejected: participant: bob is revoked"
}

@test "registry add of a registered id: 65, the ledger unchanged" {
	cp ledger.jsonl before
	denki-registry request alice -s alice.key >a.json
	run -65 --separate-stderr denki-registry -c coop.yaml add a.json
	assert_output ""
	assert_equal "$stderr" "denki-registry: alice: already registered; its changes go by registry rekey"
	cmp ledger.jsonl before
}

@test "registry update or revoke of an unknown id: 65, the ledger unchanged" {
	cp ledger.jsonl before
	run -65 --separate-stderr denki-registry -c coop.yaml update zed -z north
	assert_output ""
	assert_equal "$stderr" "denki-registry: zed: not registered"
	run -65 --separate-stderr denki-registry -c coop.yaml revoke zed
	assert_equal "$stderr" "denki-registry: zed: not registered"
	cmp ledger.jsonl before
}

@test "registry: a meter of another participant: 65, the ledger unchanged" {
	cp ledger.jsonl before
	dreq -m dave-m -m alice-m
	run -65 --separate-stderr denki-registry -c coop.yaml add dave.json
	assert_output ""
	assert_equal "$stderr" "denki-registry: meters: alice-m belongs to participant alice"
	denki-registry request bob -s bob.key -m alice-m -t 2030-01-01T00:00:00Z >b.json
	run -65 --separate-stderr denki-registry -c coop.yaml rekey b.json
	assert_equal "$stderr" "denki-registry: meters: alice-m belongs to participant alice"
	cmp ledger.jsonl before
}

@test "registry: a bad id is 64 and names the rule" {
	cp ledger.jsonl before
	run -64 --separate-stderr denki-registry request 'da ve' -s dave.key
	assert_output ""
	assert_equal "$stderr" "denki-registry: da ve: an id must be 1 to 32 of [A-Za-z0-9._-]"
	local long=abcdefghijklmnopqrstuvwxyz0123456
	run -64 --separate-stderr denki-registry request "$long" -s dave.key
	assert_equal "$stderr" "denki-registry: $long: an id must be 1 to 32 of [A-Za-z0-9._-]"
	run -64 --separate-stderr denki-registry -c coop.yaml revoke .hidden
	assert_equal "$stderr" "denki-registry: .hidden: an id must be 1 to 32 of [A-Za-z0-9._-]"
	# a request made by hand with a bad id: 65, naming the field
	dreq
	jq -c '.id = "da ve"' dave.json >bad.json
	run -65 --separate-stderr denki-registry -c coop.yaml add bad.json
	assert_equal "$stderr" "denki-registry: bad.json: id: must be 1 to 32 of [A-Za-z0-9._-], got \"da ve\""
	cmp ledger.jsonl before
	# 32 characters is fine
	denki-registry request "${long%6}" -s dave.key >l.json
	run -0 denki-registry -c coop.yaml add l.json
}

@test "registry: the ids utility and operator are reserved: 65, the ledger unchanged" {
	cp ledger.jsonl before
	denki-registry request utility -s dave.key >u.json
	run -65 --separate-stderr denki-registry -c coop.yaml add u.json
	assert_output ""
	assert_equal "$stderr" "denki-registry: id: \"utility\" is reserved for the counterparty of that name"
	denki-registry request operator -s operator.key >o.json
	run -65 --separate-stderr denki-registry -c coop.yaml add o.json
	assert_equal "$stderr" "denki-registry: id: \"operator\" is reserved for the counterparty of that name"
	cmp ledger.jsonl before
}

@test "registry: a bad role, zone or meter id: 65, the ledger unchanged" {
	cp ledger.jsonl before
	run -65 --separate-stderr denki-registry request dave -s dave.key -r king
	assert_equal "$stderr" "denki-registry: role: must be prosumer, consumer, producer, reviewer or dso, got \"king\""
	run -65 --separate-stderr denki-registry -c coop.yaml update alice -z 'north east'
	assert_equal "$stderr" "denki-registry: zone: must be 1 to 32 of [A-Za-z0-9._-], got \"north east\""
	cmp ledger.jsonl before
}

@test "registry request: a bad meter id on the command line: 65 (-m) or 64 (-M), naming it" {
	cp ledger.jsonl before
	run -65 --separate-stderr denki-registry request alice -s alice.key -m ok-m -m 'b/m'
	assert_output ""
	assert_equal "$stderr" "denki-registry: meters[1]: must be 1 to 32 of [A-Za-z0-9._-]"
	run -64 --separate-stderr denki-registry request alice -s alice.key -M 'b/m=dave.pub'
	assert_equal "$stderr" "denki-registry: -M b/m: a meter id must be 1 to 32 of [A-Za-z0-9._-]"
	cmp ledger.jsonl before
}

@test "registry: reinstate lifts a revocation; reinstating an active participant is refused" {
	run -0 denki-registry -c coop.yaml revoke bob
	run -0 --separate-stderr denki-registry -c coop.yaml reinstate bob
	assert_output --partial '"status":"active"'
	assert_output --partial '"meters":["bob-m"]'
	cp ledger.jsonl before
	run -65 --separate-stderr denki-registry -c coop.yaml reinstate bob
	assert_equal "$stderr" "denki-registry: bob: not revoked"
	cmp ledger.jsonl before
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "registry: update keeps a revoked participant revoked; revoking twice is refused" {
	run -0 denki-registry -c coop.yaml revoke bob
	cp ledger.jsonl before
	run -65 --separate-stderr denki-registry -c coop.yaml revoke bob
	assert_equal "$stderr" "denki-registry: bob: already revoked"
	cmp ledger.jsonl before
	run -0 --separate-stderr denki-registry -c coop.yaml update bob -z west
	assert_output --partial '"status":"revoked"'
	assert_output --partial '"zone":"west"'
}

@test "registry add: a request file is needed (66 when missing); a bare key (-k) is refused with what to do instead (64)" {
	cp ledger.jsonl before
	run -66 --separate-stderr denki-registry -c coop.yaml add nofile.json
	assert_equal "$stderr" "denki-registry: nofile.json: No such file or directory"
	run -64 --separate-stderr denki-registry -c coop.yaml add dave -k dave.pub
	assert_equal "$stderr" "denki-registry: add -k: a bare public key proves nothing; the member makes a signed request on its own machine (denki registry request ID -s ID.key ... >ID.json) and the operator adds it: denki registry add ID.json"
	run -64 --separate-stderr denki-registry -c coop.yaml add -k dave.pub
	assert_equal "$stderr" "denki-registry: add -k: a bare public key proves nothing; the member makes a signed request on its own machine (denki registry request ID -s ID.key ... >ID.json) and the operator adds it: denki registry add ID.json"
	run -64 --separate-stderr denki-registry -c coop.yaml add -m dave-m dave.json
	assert_equal "$stderr" "denki-registry: add: -m: not an option of this command"
	run -64 --separate-stderr denki-registry request dave
	assert_equal "$stderr" "denki-registry: request: -s is required"
	run -66 --separate-stderr denki-registry request dave -s nofile.key
	assert_equal "$stderr" "denki-registry: nofile.key: No such file or directory"
	run -65 --separate-stderr denki-registry request dave -s dave.pub
	assert_regex "$stderr" "^denki-registry: dave.pub"
	cmp ledger.jsonl before
}

@test "registry without the operator key setting: 78, naming the setting; no ledger made" {
	printf 'ledger: reg.jsonl\n' >plain.yaml
	dreq
	run -78 --separate-stderr denki-registry -c plain.yaml add dave.json
	assert_output ""
	assert_equal "$stderr" "denki-registry: plain.yaml: operator.key: missing (the path of a secret key file)"
	[ ! -e reg.jsonl ]
	run -78 --separate-stderr denki-registry -D ledger=reg.jsonl revoke alice
	assert_equal "$stderr" "denki-registry: config: operator.key: missing (the path of a secret key file)"
	[ ! -e reg.jsonl ]
}

@test "registry with the operator key file missing: 66, naming the file" {
	cp ledger.jsonl before
	rm operator.key
	dreq
	run -66 --separate-stderr denki-registry -c coop.yaml add dave.json
	assert_equal "$stderr" "denki-registry: operator.key: No such file or directory"
	cmp ledger.jsonl before
}

@test "registry: paths in the configuration are relative to its folder" {
	mkdir coop
	mv coop.yaml ledger.jsonl operator.key operator.pub terms.txt coop/
	dreq
	run -0 denki-registry -c coop/coop.yaml add dave.json
	assert_equal "$(wc -l <coop/ledger.jsonl)" 7
	[ ! -e ledger.jsonl ]
	run -0 --separate-stderr denki-registry -c coop/coop.yaml list
	assert_equal "$(echo "$output" | jq -r .id | tr '\n' ' ')" "alice bob dave "
}

@test "registry: -D overrides a setting of the file" {
	dreq
	run -0 denki-registry -c coop.yaml -D ledger=other.jsonl add dave.json
	# a new ledger: its genesis, dave, a checkpoint
	assert_equal "$(jq -r .rec.type other.jsonl | tr '\n' ' ')" "ledger participant checkpoint "
	assert_equal "$(entries)" 5
	assert_equal "$(jq -c 'select(.rec.type == "participant") | .rec | del(.request)' other.jsonl)" \
	    "$(prec dave "$DAVE" main prosumer active '[]')"
	run -0 denki-ledger-verify -q -p operator.pub other.jsonl
}

@test "registry refuses to append to a ledger that was changed: 65, file:line" {
	local n
	# alice's entry
	n=$(grep -n -m 1 '"type":"participant"' ledger.jsonl | cut -d: -f1)
	assert_equal "$n" 2
	sed -i "${n}s/\"main\"/\"mains\"/" ledger.jsonl
	cp ledger.jsonl before
	dreq
	run -65 --separate-stderr denki-registry -c coop.yaml add dave.json
	assert_output ""
	assert_equal "$stderr" "denki-registry: ledger.jsonl:2: entry 1: changed after it was written: its hash is not entry 2's prev, and entry 3 links to it as it is"
	cmp ledger.jsonl before
}

@test "registry refuses to append after an append that was never acknowledged: 65" {
	# cut after bob's entry, before its checkpoint
	head -n 4 ledger.jsonl >cut.jsonl
	mv cut.jsonl ledger.jsonl
	assert_equal "$(tail -n 1 ledger.jsonl | jq -r .rec.id)" bob
	cp ledger.jsonl before
	dreq
	run -65 --separate-stderr denki-registry -c coop.yaml add dave.json
	assert_output ""
	assert_equal "$stderr" "denki-registry: ledger.jsonl: entries follow the last checkpoint: an append that was never acknowledged; run denki-ledger-recover first"
	cmp ledger.jsonl before
}

@test "registry: an unknown command or a stray operand is usage, 64" {
	run -64 --separate-stderr denki-registry -c coop.yaml enroll dave
	assert_output ""
	assert_equal "${stderr_lines[0]}" "denki-registry: enroll: unknown command (request, add, rekey, update, revoke, reinstate, recover, countersign, log, list)"
	assert_regex "${stderr_lines[1]}" '^usage: denki-registry '
	run -64 --separate-stderr denki-registry -c coop.yaml list extra
	assert_regex "${stderr_lines[0]}" '^usage: denki-registry '
	run -64 --separate-stderr denki-registry -c coop.yaml revoke alice bob
	assert_regex "${stderr_lines[0]}" '^usage: denki-registry '
	run -64 --separate-stderr denki-registry -c coop.yaml
	assert_regex "${stderr_lines[0]}" '^usage: denki-registry '
	assert_equal "$(entries)" 5
}

@test "registry -h: usage on stdout, 0; a bad option: usage on stderr, 64" {
	run -0 --separate-stderr denki-registry -h
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 13
	assert_line --index 0 'usage: denki-registry request ID -s key [-K old.key] [-m meter]... [-M meter=pubkey]...'
	assert_line --index 2 --regexp '^       denki-registry \[-c config\] \[-D key=value\] add \[-w max_wh\] \[-l max_day\]$'
	assert_line --index 3 '           [-S scope] [-C capacity_wh] [request ...]'
	assert_line --index 8 --regexp '^       denki-registry .* reinstate ID$'
	assert_line --index 12 --regexp '^       denki-registry .* list$'
	local usage="$output"
	run -64 --separate-stderr denki-registry -x list
	assert_output ""
	assert_equal "${stderr_lines[0]}" "denki-registry: invalid option -- 'x'"
	assert_equal "$(printf '%s\n' "${stderr_lines[@]:1}")" "$usage"
}
