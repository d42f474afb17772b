#!/usr/bin/env bats
# denki-witness: C2SP tlog-witness add-checkpoint over a real ledger's
# checkpoints and consistency proofs (denki-ledger-proof), as a filter and
# as a CGI program behind Debian's lighttpd; the forks and rollbacks it
# refuses; its state after a kill -9.

load test_helper

setup() {
	common_setup
	make_community_once alice bob
	# the log's verifier key, as the genesis entry holds it
	head -n 1 ledger.jsonl | jq -r .rec.vkey >log.pub
	denki-keygen witness >/dev/null
	HTTPD_PID=
}

teardown() {
	if [ -n "$HTTPD_PID" ]; then
		kill "$HTTPD_PID" 2>/dev/null || true
		wait "$HTTPD_PID" 2>/dev/null || true
	fi
}

# wit [options]: the witness as scripts call it
wit() {
	denki witness -k witness.key -s state.db -p log.pub "$@"
}

# grow NAME...: a participant more for each, each append with its checkpoint
grow() {
	local p
	for p; do
		denki-keygen "$p" >/dev/null
		enrol "$p"
	done
}

# checkpoint: the ledger's latest checkpoint (its signed note)
checkpoint() {
	denki-ledger-proof -c coop.yaml checkpoint
}

# first NOTE: the request of a first contact (old size 0, no proof)
first() {
	printf 'old 0\n\n'
	cat "$1"
}

# request OLD.note: from OLD.note to the ledger's latest checkpoint
request() {
	local c
	c=$(denki-ledger-proof -c coop.yaml consistency "$1") || return
	printf 'old %s\n' "$(jq .size1 <<<"$c")"
	jq -r '.proof[]' <<<"$c"
	echo
	jq -j .checkpoint2 <<<"$c"
}

# size NOTE: its tree size
size() {
	sed -n 2p "$1"
}

# sign NAME [KEY]: the text on stdin as a note signed under NAME (by the
# operator's key unless KEY), apart from denki (tests/note-sign.py)
sign() {
	python3 "$TOP/tests/note-sign.py" "${2:-operator.key}" "$1"
}

# cosigned NOTE LINES [VKEY]: the time of the cosignature of the witness
# (VKEY, or witness.key's under the default name) in NOTE with LINES
# after it, checked by dk_cosig_find (tests/unit/test-cosig)
cosigned() {
	cat "$1" "$2" >cosigned.note
	"$TOP/tests/unit/test-cosig" cosigned.note \
	    "${3:-$(denki witness -P -k witness.key)}"
}

# stored: what the witness keeps: origin|size of each log
stored() {
	sqlite3 state.db 'SELECT origin, size FROM log ORDER BY origin'
}

@test "witness: -P prints its verifier key for coop.yaml, from the secret or the public key file; the default name" {
	run -0 --separate-stderr denki witness -P -k witness.key -n witness.example/w1
	assert_equal "$stderr" ""
	assert_output --regexp '^witness\.example/w1\+[0-9a-f]{8}\+B[A-Za-z0-9+/]{43}$'
	local vk=$output
	run -0 denki witness -P -k witness.pub -n witness.example/w1
	assert_output "$vk"
	run -0 denki witness -P -k witness.key
	assert_output --regexp '^denki\.local/witness\+[0-9a-f]{8}\+B'
	run -64 --separate-stderr denki witness -P -k witness.key -n 'a b'
	assert_equal "$stderr" "denki-witness: witness name \"a b\": 1 to 255 bytes with no space and no '+'"
}

@test "witness: a first checkpoint (old 0) is cosigned: one line, a tlog-cosignature/v1 of the note with the witness's time" {
	checkpoint >c1.note
	first c1.note >req
	local t0 t1 t
	t0=$(date +%s)
	run -0 --separate-stderr wit <req
	t1=$(date +%s)
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 1
	assert_output --regexp '^— denki\.local/witness [A-Za-z0-9+/]{102}==$'
	echo "$output" >lines
	t=$(cosigned c1.note lines)
	[ "$t" -ge "$t0" ] && [ "$t" -le "$t1" ]
	assert_equal "$(stored)" "denki.local/ledger|$(size c1.note)"
	# the witness keeps the note it cosigned, with its line after the log's
	assert_equal "$(sqlite3 state.db 'SELECT note FROM log')" "$(cat c1.note lines)"
	# another witness's key does not find it
	denki-keygen other >/dev/null
	run -1 cosigned c1.note lines "$(denki witness -P -k other.key)"
}

@test "witness: a larger checkpoint with its consistency proof is cosigned, then the same checkpoint again" {
	checkpoint >c1.note
	first c1.note | wit >/dev/null
	grow dave eve
	checkpoint >c2.note
	request c1.note >req2
	[ "$(sed -n 2p req2 | wc -c)" -eq 45 ]	# a proof line: base64 of 32 bytes
	run -0 --separate-stderr wit <req2
	echo "$output" >lines
	cosigned c2.note lines >/dev/null
	assert_equal "$(stored)" "denki.local/ledger|$(size c2.note)"
	# old size = the size cosigned, the same root: cosigned again
	{ printf 'old %s\n\n' "$(size c2.note)"; cat c2.note; } >same
	run -0 wit <same
	echo "$output" >lines
	cosigned c2.note lines >/dev/null
}

@test "witness: extension lines (the log's time) are accepted, and the cosignature covers them" {
	{ head -n 3 "$(checkpoint >c1.note; echo c1.note)"; echo 'time 1780000000'; } |
	    sign denki.local/ledger >x.note
	[ "$(sed -n 4p x.note)" = 'time 1780000000' ]
	run -0 --separate-stderr wit < <(first x.note)
	echo "$output" >lines
	cosigned x.note lines >/dev/null
	# the same tree with another time line: the line does not verify
	{ head -n 3 c1.note; echo 'time 1780000001'; } | sign denki.local/ledger >y.note
	run -2 cosigned y.note lines
	assert_output --partial "invalid signature"
	# nor without the extension line
	run -2 cosigned c1.note lines
}

@test "witness: a stale old size gets 409 and the witness's size on stdout (exit 75)" {
	checkpoint >c1.note
	first c1.note | wit >/dev/null
	grow dave
	checkpoint >c2.note
	request c1.note >req2
	wit <req2 >/dev/null
	local s1 s2
	s1=$(size c1.note) s2=$(size c2.note)
	run -75 --separate-stderr wit <req2
	assert_output "$s2"
	assert_equal "$stderr" "denki-witness: old size $s1, but the last checkpoint of denki.local/ledger this witness cosigned has size $s2"
	run -75 --separate-stderr wit < <(first c2.note)
	assert_output "$s2"
	assert_equal "$(stored)" "denki.local/ledger|$s2"
}

@test "witness: a checkpoint of an origin it has no key of gets 404 (exit 69)" {
	printf 'other.example/log\n3\n%s\n' "$(sed -n 3p "$(checkpoint >c1.note; echo c1.note)")" |
	    sign other.example/log >o.note
	run -69 --separate-stderr wit < <(first o.note)
	assert_output ""
	assert_equal "$stderr" 'denki-witness: unknown origin "other.example/log": this witness has no key of that log'
	assert_equal "$(stored)" ""
}

@test "witness: a checkpoint without a valid signature by the log's key gets 403 (exit 77)" {
	checkpoint >c1.note
	# signed by another key under the log's name
	sed '/^$/q' c1.note | sed '$d' | sign denki.local/ledger alice.key >a.note
	run -77 --separate-stderr wit < <(first a.note)
	assert_equal "$stderr" "denki-witness: checkpoint of denki.local/ledger: note: no signature by a known key"
	# the log's line with its signature changed
	local id
	id=$(cut -d+ -f2 log.pub)
	sed '$s/.\(.\)=$/A\1=/' c1.note >b.note
	cmp -s b.note c1.note && sed -i '$s/.\(.\)=$/B\1=/' b.note
	run -77 --separate-stderr wit < <(first b.note)
	assert_equal "$stderr" "denki-witness: checkpoint of denki.local/ledger: note: invalid signature for key denki.local/ledger+$id"
	assert_equal "$(stored)" ""
}

@test "witness: malformed requests get 400 (exit 65) naming the line at fault, and change nothing" {
	checkpoint >c1.note
	first c1.note | wit >/dev/null
	grow dave
	checkpoint >c2.note
	request c1.note >req2
	local s1 s2 h
	s1=$(size c1.note) s2=$(size c2.note)
	h=$(sed -n 2p req2)
	bad() {	# bad MESSAGE: the body on stdin is refused with MESSAGE
		cat >body
		run -65 --separate-stderr wit <body
		assert_output ""
		assert_equal "$stderr" "denki-witness: $1"
	}
	printf '' | bad 'line 1: must be "old SIZE" (SIZE in decimal, no leading zero), got ""'
	{ echo "old 0$s1"; tail -n +2 req2; } | bad "line 1: must be \"old SIZE\" (SIZE in decimal, no leading zero), got \"old 0$s1\""
	{ echo "old -1"; tail -n +2 req2; } | bad 'line 1: must be "old SIZE" (SIZE in decimal, no leading zero), got "old -1"'
	{ echo "Old $s1"; tail -n +2 req2; } | bad "line 1: must be \"old SIZE\" (SIZE in decimal, no leading zero), got \"Old $s1\""
	sed '2s/.*/AAAA/' req2 | bad 'line 2: a consistency proof line must be the base64 of a 32-byte hash'
	sed '2s/=$//' req2 | bad 'line 2: a consistency proof line must be the base64 of a 32-byte hash'
	{ echo "old $s1"; for i in $(seq 64); do echo "$h"; done; echo; cat c2.note; } |
	    bad 'line 65: more than 63 consistency proof lines'
	printf 'old 0\n' | bad 'line 2: no empty line after the consistency proof'
	printf 'old 0\n\n' | bad 'line 3: no checkpoint after the empty line'
	{ printf 'old %s\n\n' "$s1"; head -n 3 c2.note; } |
	    bad 'checkpoint (from line 3): note: no blank line before the signatures'
	{ printf 'old %s\n\n' "$s1"; sed '2s/.*/1x0/' c2.note; } |
	    bad 'checkpoint (from line 3): checkpoint: tree size must be decimal'
	{ printf 'old %s\n\n' "$s1"; head -c -1 c2.note; } |
	    bad 'checkpoint (from line 3): note: the signatures must end in a newline'
	{ printf 'old %s\n\n' "$((s2 + 1))"; cat c2.note; } |
	    bad "old size $((s2 + 1)) is above the checkpoint's $s2"
	assert_equal "$(stored)" "denki.local/ledger|$s1"
	# the real request still works after all that
	run -0 wit <req2
}

@test "witness: old size 0 with a proof, and a size-0 checkpoint with another root than the empty tree's, get 422 (exit 1)" {
	checkpoint >c1.note
	local h
	h=$(sed -n 3p c1.note)
	run -1 --separate-stderr wit < <(printf 'old 0\n%s\n\n' "$h"; cat c1.note)
	assert_equal "$stderr" "denki-witness: old size 0 takes no consistency proof, got 1 lines"
	printf 'denki.local/ledger\n0\n%s\n' "$h" | sign denki.local/ledger >z.note
	run -1 --separate-stderr wit < <(first z.note)
	assert_equal "$stderr" "denki-witness: a checkpoint of size 0 must have the empty tree's root"
	assert_equal "$(stored)" ""
	# the empty tree, SHA-256 of nothing, is cosigned
	printf 'denki.local/ledger\n0\n%s\n' "$(printf '' | openssl dgst -sha256 -binary | base64)" |
	    sign denki.local/ledger >e.note
	run -0 wit < <(first e.note)
	assert_equal "$(stored)" "denki.local/ledger|0"
}

@test "attack: fork shown to the witness: it cosigns one branch, refuses the other (409, then 422) and keeps it as evidence" {
	checkpoint >c1.note
	first c1.note | wit >/dev/null
	cp ledger.jsonl fork.jsonl
	# branch A: dave joins
	grow dave
	checkpoint >a.note
	request c1.note >reqa
	cp ledger.jsonl a.jsonl
	# branch B, the same ledger cut at the fork: eve instead
	cp fork.jsonl ledger.jsonl
	grow eve
	checkpoint >b.note
	request c1.note >reqb
	# both branches verify on their own: without a witness the fork
	# goes unnoticed
	denki-ledger-verify -q -p operator.pub a.jsonl
	denki-ledger-verify -q -p operator.pub ledger.jsonl
	[ "$(size a.note)" = "$(size b.note)" ]
	[ "$(sed -n 3p a.note)" != "$(sed -n 3p b.note)" ]
	run -0 wit <reqa
	# B from the fork point: stale, the witness has moved on to A
	run -75 --separate-stderr wit <reqb
	assert_output "$(size a.note)"
	# B as the continuation of A: the same size with another root
	run -1 --separate-stderr wit < <(printf 'old %s\n\n' "$(size a.note)"; cat b.note)
	assert_equal "$stderr" "denki-witness: size $(size a.note) again with another root than the one cosigned: the log signed two trees of one size"
	# B grown past A, with B's own proof passed off as one from A
	grow frank
	checkpoint >b2.note
	run -1 denki-ledger-proof -c coop.yaml consistency a.note
	request c1.note | sed "1s/.*/old $(size a.note)/" >reqb2
	run -1 --separate-stderr wit <reqb2
	assert_regex "$stderr" "^denki-witness: the consistency proof from size $(size a.note) \\(cosigned\\) to $(size b2.note) fails: "
	assert_equal "$(stored)" "denki.local/ledger|$(size a.note)"
	# what the log signed and the witness refused is kept: a fork's proof
	run -0 sqlite3 state.db 'SELECT count(*) FROM evidence'
	assert_output 2
	sqlite3 state.db "SELECT request FROM evidence" | grep -qF "$(sed -n 3p b.note)"
}

@test "attack: fork shown to two witnesses: each cosigns the branch it saw first, so neither branch has both" {
	denki-keygen w2 >/dev/null
	checkpoint >c1.note
	cp ledger.jsonl fork.jsonl
	grow dave
	checkpoint >a.note
	request c1.note >reqa
	cp fork.jsonl ledger.jsonl
	grow eve
	checkpoint >b.note
	request c1.note >reqb
	w1() { denki witness -k witness.key -s w1.db -p log.pub -n w1.example "$@"; }
	w2() { denki witness -k w2.key -s w2.db -p log.pub -n w2.example "$@"; }
	first c1.note | w1 >/dev/null
	first c1.note | w2 >/dev/null
	# the operator shows A to w1 and B to w2, then tries the other way
	w1 <reqa >a.lines
	w2 <reqb >b.lines
	run -1 w1 < <(printf 'old %s\n\n' "$(size a.note)"; cat b.note)
	run -1 w2 < <(printf 'old %s\n\n' "$(size b.note)"; cat a.note)
	cosigned a.note a.lines "$(w1 -P)"
	run -1 cosigned a.note a.lines "$(w2 -P)"
	cosigned b.note b.lines "$(w2 -P)"
	run -1 cosigned b.note b.lines "$(w1 -P)"
}

@test "attack: rollback after a cosignature: the ledger cut back and appended again is refused (409, 422)" {
	checkpoint >c1.note
	first c1.note | wit >/dev/null
	grow dave
	checkpoint >c2.note
	request c1.note | wit >/dev/null
	# the operator cuts the ledger back to c1 and appends something else
	head -n "$(($(size c1.note) + 1))" ledger.jsonl >cut.jsonl
	mv cut.jsonl ledger.jsonl
	denki-ledger-verify -q -p operator.pub ledger.jsonl
	grow eve
	checkpoint >c3.note
	[ "$(size c3.note)" = "$(size c2.note)" ]
	# from the checkpoint before the cut: the witness has moved on
	run -75 --separate-stderr wit < <(request c1.note)
	assert_output "$(size c2.note)"
	# from the cosigned one: no proof can be made, and none is taken
	run -1 denki-ledger-proof -c coop.yaml consistency c2.note
	run -1 --separate-stderr wit < <(printf 'old %s\n\n' "$(size c2.note)"; cat c3.note)
	assert_equal "$stderr" "denki-witness: size $(size c2.note) again with another root than the one cosigned: the log signed two trees of one size"
	grow frank
	request c1.note | sed "1s/.*/old $(size c2.note)/" >req4
	run -1 --separate-stderr wit <req4
	assert_regex "$stderr" "^denki-witness: the consistency proof from size $(size c2.note) \\(cosigned\\) to [0-9]+ fails: "
	# cut back below what was cosigned: old above new
	run -65 --separate-stderr wit < <(printf 'old %s\n\n' "$(size c2.note)"; cat c1.note)
	assert_equal "$stderr" "denki-witness: old size $(size c2.note) is above the checkpoint's $(size c1.note)"
	assert_equal "$(stored)" "denki.local/ledger|$(size c2.note)"
}

@test "witness: killed (kill -9) while it waits for the state another holds: the database is intact, the next request is cosigned" {
	checkpoint >c1.note
	first c1.note | wit >/dev/null
	grow dave
	checkpoint >c2.note
	request c1.note >req2
	# another holds the state until the witness was killed, told to let
	# go through a fifo
	mkfifo hold
	sqlite3 state.db <hold &
	local lock=$! pid rc=0
	exec 9>hold
	echo 'BEGIN IMMEDIATE;' >&9
	sleep 0.5
	# the program itself in the background, so that $! is its pid
	denki witness -k witness.key -s state.db -p log.pub <req2 >out 2>err &
	pid=$!
	sleep 1
	kill -0 "$pid"		# still waiting
	kill -9 "$pid"
	wait "$pid" || rc=$?
	[ "$rc" -eq 137 ]
	[ ! -s out ]
	echo 'ROLLBACK;' >&9
	exec 9>&-
	wait "$lock"
	assert_equal "$(sqlite3 state.db 'PRAGMA integrity_check')" ok
	assert_equal "$(stored)" "denki.local/ledger|$(size c1.note)"
	run -0 wit <req2
	echo "$output" >lines
	cosigned c2.note lines >/dev/null
}

@test "witness: killed (kill -9) inside the fsync of its commit: the database is intact, nothing was answered, and the protocol goes on" {
	command -v strace >/dev/null || skip "strace is missing (tools/deps.sh installs it)"
	checkpoint >c1.note
	first c1.note | wit >/dev/null
	grow dave
	checkpoint >c2.note
	request c1.note >req2
	# every fsync of the witness takes 2 s: it is killed inside the first
	strace -f -o /dev/null -e inject=fsync,fdatasync:delay_enter=2000000 \
	    denki-witness -k witness.key -s state.db -p log.pub <req2 >out 2>err &
	local st=$! pid= i s
	for i in $(seq 50); do
		pid=$(pgrep -P "$st" -x denki-witness) && break
		sleep 0.1
	done
	[ -n "$pid" ]
	sleep 1
	kill -9 "$pid"
	wait "$st" || true
	[ ! -s out ]
	assert_equal "$(sqlite3 state.db 'PRAGMA integrity_check')" ok
	# either the commit did not reach the file (the old size), or it did
	# and the log, not told, learns the size from a 409 and asks again
	s=$(stored)
	case $s in
	"denki.local/ledger|$(size c1.note)")
		run -0 wit <req2 ;;
	"denki.local/ledger|$(size c2.note)")
		run -75 --separate-stderr wit <req2
		assert_output "$(size c2.note)"
		run -0 wit < <(printf 'old %s\n\n' "$(size c2.note)"; cat c2.note) ;;
	*)
		fail "stored after the kill: $s" ;;
	esac
	echo "$output" >lines
	cosigned c2.note lines >/dev/null
	assert_equal "$(stored)" "denki.local/ledger|$(size c2.note)"
}

@test "witness: requests for one origin at once are serialised: of 6 from the same old size, one is cosigned and 5 get 409" {
	checkpoint >c1.note
	first c1.note | wit >/dev/null
	local i pids=() rc=() won= n=0
	for i in 1 2 3 4 5 6; do
		grow "p$i"
		request c1.note >"req$i"
	done
	for i in 1 2 3 4 5 6; do
		wit <"req$i" >"out$i" 2>"err$i" &
		pids+=($!)
	done
	for i in 1 2 3 4 5 6; do
		rc[$i]=0
		wait "${pids[$((i - 1))]}" || rc[$i]=$?
		[ "${rc[$i]}" -ne 0 ] || { won=$i; n=$((n + 1)); }
	done
	assert_equal "$n" 1
	# the state is the one cosigned, never rolled back by another request
	local wsize
	wsize=$(sed -n '/^$/,$p' "req$won" | sed -n 3p)
	assert_equal "$(stored)" "denki.local/ledger|$wsize"
	[ "$(grep -c '^— denki\.local/witness ' "out$won")" = 1 ]
	# each other one was told the size of the one cosigned
	for i in 1 2 3 4 5 6; do
		[ "$i" = "$won" ] && continue
		assert_equal "${rc[$i]} $(cat "out$i")" "75 $wsize"
	done
}

@test "witness: more than one -p: each log is known by its origin and keeps its own size" {
	mkdir other
	(
		cd other
		denki-keygen operator >/dev/null
		sed 's/^ledger: .*/&\norigin: other.example\/ledger/' ../coop.yaml >coop.yaml
		cp ../terms.txt .
		cp ../alice.key carol.key
		enrol carol
		head -n 1 ledger.jsonl | jq -r .rec.vkey >../log2.pub
		denki-ledger-proof -c coop.yaml checkpoint >../o1.note
	)
	grep -q '^other\.example/ledger+' log2.pub
	checkpoint >c1.note
	run -0 wit -p log2.pub < <(first c1.note)
	run -0 wit -p log2.pub < <(first o1.note)
	echo "$output" >lines
	cosigned o1.note lines >/dev/null
	assert_equal "$(stored)" "denki.local/ledger|$(size c1.note)
other.example/ledger|$(size o1.note)"
	# without its -p, the other log is unknown
	run -69 wit < <(first o1.note)
}

@test "witness: a log with two keys (two lines in its -p file): a checkpoint signed by either is cosigned; one known key's line that fails is 403" {
	# the genesis's vkey is the operator's key under the origin, as a
	# signer apart from denki makes it
	assert_equal "$(python3 "$TOP/tests/note-sign.py" -v operator.key denki.local/ledger)" "$(cat log.pub)"
	{ echo '# denki.local/ledger: the operator key, and the next one'
	  python3 "$TOP/tests/note-sign.py" -v alice.key denki.local/ledger; } >>log.pub
	checkpoint >c1.note
	sed '/^$/q' c1.note | sed '$d' | sign denki.local/ledger alice.key >a.note
	run -0 wit < <(first a.note)
	# signed by both: the operator's line and the other key's
	{ cat c1.note; tail -n 1 a.note; } >both.note
	run -0 wit < <(printf 'old %s\n\n' "$(size c1.note)"; cat both.note)
	# the other key's line broken: refused, though the operator's verifies
	{ cat c1.note; tail -n 1 a.note | sed 's/.\(.\)=$/A\1=/'; } >bad.note
	cmp -s <(tail -n 1 bad.note) <(tail -n 1 a.note) &&
	    { cat c1.note; tail -n 1 a.note | sed 's/.\(.\)=$/B\1=/'; } >bad.note
	run -77 --separate-stderr wit < <(printf 'old %s\n\n' "$(size c1.note)"; cat bad.note)
	assert_regex "$stderr" '^denki-witness: checkpoint of denki\.local/ledger: note: invalid signature for key denki\.local/ledger\+[0-9a-f]{8}$'
	# bob's key is no key of the log
	head -n 3 c1.note | sign denki.local/ledger bob.key >b.note
	run -77 wit < <(printf 'old %s\n\n' "$(size c1.note)"; cat b.note)
}

@test "witness: one state database is one witness's: another key or name on it is refused (78)" {
	checkpoint >c1.note
	first c1.note | wit >/dev/null
	local vk
	vk=$(denki witness -P -k witness.key)
	run -78 --separate-stderr wit -n witness.example < <(first c1.note)
	assert_equal "$stderr" "denki-witness: state.db: the state of witness $vk; this key and name make $(denki witness -P -k witness.key -n witness.example)"
	denki-keygen w2 >/dev/null
	run -78 --separate-stderr denki witness -k w2.key -s state.db -p log.pub < <(first c1.note)
	assert_equal "$stderr" "denki-witness: state.db: the state of witness $vk; this key and name make $(denki witness -P -k w2.key)"
}

@test "witness: -p takes the log's verifier key: a denki public key, or a line that is none, is refused (78)" {
	checkpoint >c1.note
	run -78 --separate-stderr denki witness -k witness.key -s state.db -p operator.pub < <(first c1.note)
	assert_equal "$stderr" "denki-witness: operator.pub: a denki public key; give the log's verifier key, the vkey of its genesis entry (head -n 1 ledger.jsonl | jq -r .rec.vkey)"
	printf '# the log\n\nnot a key\n' >bad.pub
	run -78 --separate-stderr denki witness -k witness.key -s state.db -p bad.pub < <(first c1.note)
	assert_equal "$stderr" "denki-witness: bad.pub:3: not a verifier key (name+hex8+base64)"
	run -78 --separate-stderr denki witness -k witness.key -s state.db -p missing.pub < <(first c1.note)
	assert_equal "$stderr" "denki-witness: missing.pub: No such file or directory"
	[ ! -e state.db ]
}

@test "witness: usage" {
	run -0 denki witness -h
	assert_output "usage: denki-witness -k witness.key -s state.db -p log.vkey ... [-n name]
       denki-witness -P -k witness.key [-n name]"
	run -64 denki witness -k witness.key -s state.db
	run -64 denki witness -s state.db -p log.pub
	run -64 denki witness -k witness.key -s state.db -p log.pub extra
	run -64 denki witness -x
}

witness_conf() {	# PORT: examples/witness/lighttpd.conf for this test
	sed -e "s|^server.port = .*|server.port = $1|" \
	    -e "s|^var.witness = .*|var.witness = \"$PWD\"|" \
	    "$EXAMPLES/witness/lighttpd.conf"
}
# serve: lighttpd on 127.0.0.1 running the witness as a CGI program (the
# example configuration and wrapper of examples/witness), in $URL
serve() {
	mkdir -p www
	sed -e "s|^exec denki-witness .*|exec '$TOP/denki-witness' -k '$PWD/witness.key' -s '$PWD/state.db' -p '$PWD/log.pub'|" \
	    "$EXAMPLES/witness/witness.cgi" >witness.cgi
	chmod +x witness.cgi
	httpd_start witness_conf witness /
}

# post FILE [PATH]: status, content type and body of a POST to the witness
post() {
	curl -s -o body -w '%{http_code} %{content_type}\n' --data-binary "@$1" \
	    "$URL/${2:-add-checkpoint}"
	cat body
}

@test "witness CGI: lighttpd answers add-checkpoint: 200 with the cosignature line, the next checkpoint too, then 409 (text/x.tlog.size) with the size" {
	serve
	checkpoint >c1.note
	first c1.note >req1
	run -0 post req1
	assert_equal "${lines[0]}" "200 text/plain; charset=utf-8"
	assert_equal "${#lines[@]}" 2
	echo "${lines[1]}" >lines
	cosigned c1.note lines >/dev/null
	grow dave
	checkpoint >c2.note
	request c1.note >req2
	run -0 post req2
	assert_equal "${lines[0]}" "200 text/plain; charset=utf-8"
	echo "${lines[1]}" >lines
	cosigned c2.note lines >/dev/null
	run -0 post req2
	assert_output "409 text/x.tlog.size
$(size c2.note)"
	# the body is the size and a newline, nothing else
	assert_equal "$(od -An -c body | tr -d ' \n')" "$(size c2.note)\\n"
}

@test "witness CGI: 422 for a fork, 403 for a bad signature, 404 for an unknown origin, 400 for a malformed body, each with its reason" {
	serve
	checkpoint >c1.note
	post <(first c1.note) >/dev/null
	sed '/^$/q' c1.note | sed '$d' | sign denki.local/ledger alice.key >a.note
	first a.note >r403
	run -0 post r403
	assert_output "403 text/plain; charset=utf-8
checkpoint of denki.local/ledger: note: no signature by a known key"
	printf 'other.example/log\n1\n%s\n' "$(sed -n 3p c1.note)" | sign other.example/log >o.note
	first o.note >r404
	run -0 post r404
	assert_output "404 text/plain; charset=utf-8
unknown origin \"other.example/log\": this witness has no key of that log"
	printf 'old 1x\n\n' >r400
	run -0 post r400
	assert_output "400 text/plain; charset=utf-8
line 1: must be \"old SIZE\" (SIZE in decimal, no leading zero), got \"old 1x\""
	{ head -n 2 c1.note; echo 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='; } | sign denki.local/ledger >f.note
	{ printf 'old %s\n\n' "$(size c1.note)"; cat f.note; } >r422
	run -0 post r422
	assert_output "422 text/plain; charset=utf-8
size $(size c1.note) again with another root than the one cosigned: the log signed two trees of one size"
	assert_equal "$(stored)" "denki.local/ledger|$(size c1.note)"
	# the reasons are in the server's log too
	grep -q '^denki-witness: request: size .* again with another root' httpd.err
}

@test "witness CGI: add-checkpoint takes POST (405); GET <origin hash>/checkpoint gives the checkpoint it cosigned last; other paths 404" {
	serve
	checkpoint >c1.note
	local h
	h=$(printf '%s' denki.local/ledger | sha256sum | cut -c 1-64)
	run -0 curl -s -w '%{http_code}' -o body "$URL/$h/checkpoint"
	assert_output 404
	post <(first c1.note) | tail -n 1 >lines
	run -0 curl -s -w '%{http_code}\n' "$URL/add-checkpoint"
	assert_output "add-checkpoint takes POST, not GET
405"
	run -0 curl -s -o got.note -w '%{http_code}' "$URL/$h/checkpoint"
	assert_output 200
	assert_equal "$(cat got.note)" "$(cat c1.note lines)"
	run -0 curl -s -o /dev/null -w '%{http_code}' --data-binary @c1.note "$URL/add"
	assert_output 404
}

@test "witness CGI: the body is CONTENT_LENGTH bytes: one short is 400, more than 1 MiB is 413" {
	checkpoint >c1.note
	first c1.note >req
	cgi() {
		GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST SCRIPT_NAME=/witness \
		    PATH_INFO=/add-checkpoint CONTENT_LENGTH=$1 wit
	}
	run -0 --separate-stderr cgi "$(($(wc -c <req) + 1))" <req
	assert_equal "${lines[0]}" $'Status: 400 Bad Request\r'
	assert_equal "${lines[3]}" "body of $(wc -c <req) bytes, not the $(($(wc -c <req) + 1)) of CONTENT_LENGTH"
	run -0 --separate-stderr cgi 2000000 <req
	assert_equal "${lines[0]}" $'Status: 413 Content Too Large\r'
	run -0 --separate-stderr cgi "$(wc -c <req)" <req
	assert_equal "${lines[0]}" $'Status: 200 OK\r'
	assert_equal "${lines[1]}" $'Content-Type: text/plain; charset=utf-8\r'
	assert_equal "${lines[2]}" $'\r'
	echo "${lines[3]}" >lines
	cosigned c1.note lines >/dev/null
	# the witness's own trouble is a 500, and the reason goes to the log
	run -0 --separate-stderr env GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST \
	    PATH_INFO=/add-checkpoint CONTENT_LENGTH=$(wc -c <req) \
	    denki witness -k missing.key -s state.db -p log.pub <req
	assert_equal "${lines[0]}" $'Status: 500 Internal Server Error\r'
	assert_regex "$stderr" '^denki-witness: .*missing\.key'
}

@test "witness: bash completes its options and files: -k keys, -s databases, -p verifier keys" {
	comp() {
		bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
		    _denki; printf "%s\n" "${COMPREPLY[@]}"' _ \
		    "$TOP/completions/bash/denki" "$@"
	}
	touch state.db
	run comp denki witness -
	assert_output "-k
-s
-p
-n
-P
-h
--help
--version"
	run comp denki-witness -s st
	assert_output state.db
	run comp denki witness -k wit
	assert_output "witness.key
witness.pub"
	run comp denki witness -p lo
	assert_output log.pub
	run comp denki wit
	assert_output witness
}

@test "witness: the examples of denki-witness(1), as they are written there" {
	local page
	page=$(mandoc -Tascii "$TOP/man/denki-witness.1" | col -b |
	    sed 's/^[[:space:]]*//')
	rm -f witness.key witness.pub
	run -0 denki-keygen witness
	run -0 denki witness -P -k witness.key -n witness.example.org/w1
	assert_output --regexp '^witness\.example\.org/w1\+[0-9a-f]{8}\+B[A-Za-z0-9+/]{43}$'
	head -n 1 ledger.jsonl | jq -r .rec.vkey >log.pub
	denki-ledger-proof -c coop.yaml checkpoint >c1.note
	run -0 --separate-stderr bash -c "{ printf 'old 0\n\n'; cat c1.note; } |
	    denki witness -k witness.key -s state.db -p log.pub"
	assert_output --regexp '^— denki\.local/witness '
	grow dave
	denki-ledger-proof -c coop.yaml consistency c1.note >c.json
	{ printf 'old %s\n' "$(jq .size1 c.json)"; jq -r '.proof[]' c.json
	    echo; jq -j .checkpoint2 c.json; } >req
	run -0 denki witness -k witness.key -s state.db -p log.pub <req
	assert_output --regexp '^— denki\.local/witness '
	run -75 --separate-stderr denki witness -k witness.key -s state.db -p log.pub <req
	assert_output 6
	# the page shows these commands and that answer
	[[ "$page" == *"denki-ledger-proof -c coop.yaml consistency c1.note >c.json"* ]]
	[[ "$page" == *"<req
6
\$ echo \$?
75"* ]]
}
