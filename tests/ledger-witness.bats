#!/usr/bin/env bats
# The writers' witnesses and the verifiers' witness policy (issue 13,
# section 3): each append's checkpoint goes to the witnesses of coop.yaml
# (real denki-witness programs behind lighttpd), their cosignatures go into
# the checkpoint entry, and ledger-verify, ledger-proof and proof-verify
# take a policy (-w, -W, -Q, -S).  The fork and the rollback an operator
# could attempt.

load test_helper
load witnesses

setup() {
	common_setup
	make_community_once alice bob
	start_witness w1
	W1=$WURL
	start_witness w2
	W2=$WURL
	add_witness w1 "$W1"
	add_witness w2 "$W2"
	V1=$(wvkey w1)
	V2=$(wvkey w2)
}

teardown() {
	stop_witnesses
}

# add NAME: a participant more, one append (as make_community does)
add() {
	denki-keygen "$1" >/dev/null
	denki-registry request "$1" -s "$1.key" >"$1.json" &&
	    denki-registry -c coop.yaml add "$1.json"
}

# stored NAME: the tree size witness NAME holds for the ledger
stored() {
	sqlite3 "$1/state.db" 'SELECT size FROM log'
}

@test "ledger witnesses: an append's checkpoint is cosigned by both witnesses, their lines after the operator's; the next append starts from the size each cosigned" {
	local n
	run -0 --separate-stderr add carol
	assert_equal "$stderr" ""
	assert_equal "$(cosigners)" "denki.local/ledger
witness.example/w1
witness.example/w2"
	n=$(wc -l <ledger.jsonl)
	assert_equal "$(stored w1)" $((n - 1))
	assert_equal "$(stored w2)" $((n - 1))
	# the witness keeps the note as the ledger does (its line and the
	# operator's): the ledger's note holds it, w2's line after
	[ "$(sqlite3 w1/state.db 'SELECT note FROM log')" = "$(tail -n 1 ledger.jsonl | jq -r .rec.note | sed '/witness.example\/w2/d')" ]
	run -0 denki-ledger-verify -q -w "$V1" -w "$V2" -p operator.pub
	assert_output ""
	# a second append: old size is the one each cosigned (a 409 would
	# show on stderr), and the consistency proof from it checks
	run -0 --separate-stderr add dave
	assert_equal "$stderr" ""
	assert_equal "$(stored w2)" $(($(wc -l <ledger.jsonl) - 1))
	assert_equal "$(cosigners | wc -l)" 3
	# every program still reads the ledger
	run -0 denki-ledger-verify -q -p operator.pub
	run -0 --separate-stderr denki-report ledger.jsonl
}

@test "ledger witnesses: a witness that cannot be reached is named on stderr and the append goes on; the quorum of the last checkpoint then fails, -Q 1 passes" {
	local port
	add carol >/dev/null
	stop_witness w2
	run -0 --separate-stderr add dave
	assert_line --index 0 --partial '"id":"dave"'
	assert_equal "${#stderr_lines[@]}" 2
	port=${W2##*:}
	port=${port%%/*}
	assert_regex "${stderr_lines[0]}" "^denki-registry: witness witness\.example/w2: $W2/add-checkpoint: Failed to connect to 127\.0\.0\.1 port $port after [0-9]+ ms: Couldn't connect to server \(Connection refused\); the checkpoint of 8 entries goes without its cosignature$"
	assert_equal "${stderr_lines[1]}" "denki-registry: the checkpoint of 8 entries has 1 of the 2 cosignatures witness.quorum asks"
	assert_equal "$(cosigners)" "denki.local/ledger
witness.example/w1"
	run -1 denki-ledger-verify -w "$V1" -w "$V2" -p operator.pub
	assert_output "FAIL: ledger.jsonl: the last checkpoint (entry 8) is cosigned by 1 of the 2 witnesses named; the quorum is 2"
	run -0 denki-ledger-verify -q -w "$V1" -w "$V2" -Q 1 -p operator.pub
	# a policy file says the same
	printf '# our witnesses\n%s\n%s\nquorum 1\n' "$V1" "$V2" >policy
	run -0 denki-ledger-verify -q -W policy -p operator.pub
	run -1 denki-ledger-verify -q -W policy -Q 2 -p operator.pub
	# ledger-proof gives no proof under it with the quorum of 2
	run -1 --separate-stderr denki-ledger-proof -c coop.yaml -w "$V1" -w "$V2" inclusion 1
	assert_equal "$stderr" "denki-ledger-proof: ledger.jsonl: the last checkpoint (entry 8) is cosigned by 1 of the 2 witnesses named; the quorum is 2"
	denki-ledger-proof -c coop.yaml -w "$V1" -Q 1 inclusion 1 >p.json
	run -0 denki-proof-verify -w "$V1" -p operator.pub p.json
	run -1 denki-proof-verify -w "$V1" -w "$V2" -p operator.pub p.json
	assert_output "p.json:1: FAIL: checkpoint of 8 entries: cosigned by 1 of the 2 witnesses named, the quorum is 2"
	# w2 back: the next append is cosigned by both again, w2 from size 0
	start_witness w2
	sed -i "s|$W2|$WURL|" coop.yaml
	run -0 --separate-stderr add eve
	assert_equal "$stderr" ""
	run -0 denki-ledger-verify -q -w "$V1" -w "$V2" -p operator.pub
}

@test "ledger witnesses: a cosignature of a named witness that does not verify, or from too far in time (-S), fails ledger-verify" {
	local n t l1 l2 k2 b1 forged lib
	add carol >/dev/null
	n=$(wc -l <ledger.jsonl)
	run -0 denki-ledger-verify -q -w "$V1" -w "$V2" -S 5 -p operator.pub
	# w2's line swapped for w1's: the name and key id of w2, w1's bytes
	l1=$(tail -n 1 ledger.jsonl | jq -r .rec.note | grep '^— witness.example/w1 ')
	l2=$(tail -n 1 ledger.jsonl | jq -r .rec.note | grep '^— witness.example/w2 ')
	k2=$(cut -d' ' -f3 <<<"$l2" | base64 -d | head -c 4 | base64)
	b1=$(cut -d' ' -f3 <<<"$l1" | base64 -d | tail -c +5 | base64 -w0)
	forged="— witness.example/w2 $( { base64 -d <<<"$k2"; base64 -d <<<"$b1"; } | base64 -w0)"
	tail -n 1 ledger.jsonl | jq -c --arg a "$l2" --arg b "$forged" '.rec.note |= (split($a) | join($b))' >last
	{ head -n $((n - 1)) ledger.jsonl; cat last; } >f.jsonl
	run ! cmp -s f.jsonl ledger.jsonl
	run -1 denki-ledger-verify -w "$V1" -w "$V2" -p operator.pub f.jsonl
	assert_output --regexp "^FAIL: f\.jsonl:$n: entry $((n - 1)): checkpoint: cosignature of witness\.example/w2\+[0-9a-f]{8}: invalid signature$"
	# not named: skipped
	run -0 denki-ledger-verify -q -w "$V1" -p operator.pub f.jsonl
	# the operator's clock 2000 s ahead of the witnesses': its checkpoint
	# time is given the lie by their times
	need_faketime
	at +2000 add dave >/dev/null
	n=$(wc -l <ledger.jsonl)
	t=$(tail -n 1 ledger.jsonl | jq -r .rec.note | sed -n 's/^time //p')
	[ "$t" -ge $(($(date +%s) + 1900)) ]
	run -1 denki-ledger-verify -w "$V1" -p operator.pub
	assert_output --regexp "^FAIL: ledger\.jsonl:$n: entry $((n - 1)): checkpoint: witness witness\.example/w1\+[0-9a-f]{8} cosigned at [0-9]+, -(1|2)[0-9]{3} seconds from the checkpoint's time $t \(the skew allowed is 600\)$"
	run -0 denki-ledger-verify -q -w "$V1" -w "$V2" -S 3000 -p operator.pub
	run -64 --separate-stderr denki-ledger-verify -S -1 -p operator.pub
	assert_equal "$stderr" "denki-ledger-verify: -S -1: must be 0 to 31622400"
	run -64 --separate-stderr denki-ledger-verify -w operator.pub -p operator.pub
	assert_regex "$stderr" '^denki-ledger-verify: witness key "operator.pub": '
}

@test "attack: fork: the operator shows a second ledger of the same origin and key; the witnesses refuse its checkpoint, and a member's cosigned checkpoint shows the fork" {
	local n
	cp ledger.jsonl base.jsonl
	add carol >/dev/null
	# a member keeps the cosigned checkpoint it was shown
	denki-ledger-proof -c coop.yaml checkpoint >member.note
	[ "$(cosigners member.note | wc -l)" = 3 ]
	run -0 denki-ledger-verify -q -w "$V1" -w "$V2" -C member.note -p operator.pub
	# the operator's other history: from the same start, dave instead
	cp base.jsonl fork.jsonl
	denki-keygen dave >/dev/null
	denki-registry request dave -s dave.key >dave.json
	run -0 --separate-stderr denki-registry -c coop.yaml -D ledger=fork.jsonl add dave.json
	n=$(wc -l <fork.jsonl)
	[ "$n" = "$(wc -l <ledger.jsonl)" ]
	# both witnesses refuse it (the tree they cosigned differs), and say so
	assert_regex "${stderr_lines[0]}" "^denki-registry: witness witness\.example/w1: .*HTTP status 422"
	assert_regex "${stderr_lines[1]}" "^denki-registry: witness witness\.example/w2: .*HTTP status 422"
	assert_equal "$(tail -n 1 fork.jsonl | jq -r .rec.note | sed -n 's/^— \([^ ]*\) .*/\1/p')" "denki.local/ledger"
	# without a policy or a kept checkpoint the fork verifies, as on main
	run -0 denki-ledger-verify -q -p operator.pub fork.jsonl
	# with them it does not
	run -1 denki-ledger-verify -w "$V1" -w "$V2" -p operator.pub fork.jsonl
	assert_output "FAIL: fork.jsonl: the last checkpoint (entry $((n - 1))) is cosigned by 0 of the 2 witnesses named; the quorum is 2"
	run -1 denki-ledger-verify -C member.note -p operator.pub fork.jsonl
	assert_line --index 0 "FAIL: fork: member.note and fork.jsonl disagree on the first $((n - 1)) entries; no consistency proof can join them"
}

@test "attack: rollback after a cosignature: the ledger cut back and appended again; the witness's latest checkpoint shows it and the witnesses refuse the new one" {
	local n hex
	add carol >/dev/null
	n=$(wc -l <ledger.jsonl)
	cp ledger.jsonl cosigned.jsonl
	# what witness w1 last cosigned, as it serves it
	hex=$(printf %s denki.local/ledger | sha256sum | cut -c1-64)
	curl -sf "$W1/$hex/checkpoint" >w1.note
	[ "$(sed -n 2p w1.note)" = $((n - 1)) ]
	[ "$(cosigners w1.note)" = "denki.local/ledger
witness.example/w1" ]
	# the rollback: carol's append cut off, and another made in its place
	head -n $((n - 2)) cosigned.jsonl >ledger.jsonl
	run -0 --separate-stderr add dave
	assert_regex "${stderr_lines[0]}" "^denki-registry: witness witness\.example/w1: .*HTTP status 422"
	assert_regex "${stderr_lines[1]}" "^denki-registry: witness witness\.example/w2: .*HTTP status 422"
	[ "$(wc -l <ledger.jsonl)" = "$n" ]
	run -0 denki-ledger-verify -q -p operator.pub
	run -1 denki-ledger-verify -C w1.note -p operator.pub
	assert_line --index 0 "FAIL: fork: w1.note and ledger.jsonl disagree on the first $((n - 1)) entries; no consistency proof can join them"
	run -1 denki-ledger-verify -w "$V1" -w "$V2" -p operator.pub
	assert_output "FAIL: ledger.jsonl: the last checkpoint (entry $((n - 1))) is cosigned by 0 of the 2 witnesses named; the quorum is 2"
	# cut back further than the witnesses' tree: the writer says so
	head -n 3 cosigned.jsonl >ledger.jsonl
	run -0 --separate-stderr add erin
	assert_regex "${stderr_lines[0]}" "^denki-registry: witness witness\.example/w1: it cosigned a tree of $((n - 1)) entries, this one has 4: the ledger was cut back$"
}

@test "ledger witnesses: contract-sign and settle send their appends' last checkpoints too, one per run" {
	local before
	{ order alice sell 500 150000; order bob buy 400 250000; } >o.jsonl
	denki-clear -c coop.yaml o.jsonl >c.jsonl
	run -0 --separate-stderr denki-contract-sign -c coop.yaml c.jsonl
	assert_equal "$stderr" ""
	assert_equal "$(cosigners | tr '\n' ' ')" "denki.local/ledger witness.example/w1 witness.example/w2 "
	before=$(stored w1)
	printf '{"type":"reading","v":1,"meter":"%s","slot":"2026-01-01T10:00:00+00:00","import_wh":%s,"export_wh":%s}\n' \
	    alice-m 0 500 bob-m 400 0 >r.jsonl
	run -0 --separate-stderr denki-settle -c coop.yaml r.jsonl
	assert_equal "$stderr" ""
	assert_equal "$(cosigners | wc -l)" 3
	[ "$(stored w1)" -gt "$before" ]
	assert_equal "$(stored w2)" $(($(wc -l <ledger.jsonl) - 1))
	run -0 denki-ledger-verify -q -w "$V1" -w "$V2" -p operator.pub
}

@test "ledger witnesses: a witness that takes the request and never answers is given up after witness.timeout seconds, and the append goes on" {
	local port pid
	port=$(free_port)
	# accepts and reads, never answers
	python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4)
open("listening", "w").close()
c = []
while True: c.append(s.accept()[0])' "$port" </dev/null >/dev/null 2>&1 3>&- &
	pid=$!
	# on a busy machine the listener may take a while to start
	for _ in $(seq 100); do [ -e listening ] && break; sleep 0.1; done
	[ -e listening ]
	sed -i "s|$W2|http://127.0.0.1:$port/witness|; s|^  timeout: 2$|  timeout: 1|" coop.yaml
	run -0 --separate-stderr add carol
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	assert_regex "${stderr_lines[0]}" "^denki-registry: witness witness\.example/w2: http://127\.0\.0\.1:$port/witness/add-checkpoint: Operation timed out after 1[0-9]{3} milliseconds .*; the checkpoint of 6 entries goes without its cosignature$"
	assert_equal "$(cosigners | tr '\n' ' ')" "denki.local/ledger witness.example/w1 "
}
