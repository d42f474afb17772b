#!/usr/bin/env bats
# denki-ledger-verify: the offline audit of a ledger made by the pipeline.

load test_helper

# These tests audit a ledger of open readings, the mode of every ledger made
# before committed readings (tests/privacy.bats has the committed mode).
READINGS=open

S1=2026-01-01T10:00:00+00:00
S2=2026-01-01T10:30:00+00:00
S3=2026-01-01T11:00:00+00:00
ORIGIN=denki.local/ledger
OK_LINE="OK: 56 entries, 3 participants, 7 orders, 3 slots cleared, 3 contracts (1210 Wh), 3 slots settled, 8 readings (8 unsigned), 12 transfers, 9 checkpoints of $ORIGIN; every hash link, signature, checkpoint and replay checks"

reading() {
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s}\n' "$@"
}

# One ledger for the file, made by the programs: three slots cleared,
# signed and settled (two with trades, one without).  Lines: 1 genesis;
# 2-7 the three participants, each with its checkpoint; 8 terms, 9 rules;
# slot 1: 10-12 orders, 13 clearing, 14-15 contracts, 16 checkpoint;
# slot 2: 17-21; slot 3: 22-25; then settle: slot 1's 26-28 readings,
# 29-31 settlements, 32-37 transfers, 38 checkpoint; slot 2: 39-49;
# slot 3: 50-56.  9 checkpoints.
setup_file() {
	export BASE="$BATS_FILE_TMPDIR/base"
	mkdir -p "$BASE" "$BATS_FILE_TMPDIR/home"
	cd "$BASE"
	HOME="$BATS_FILE_TMPDIR/home" LC_ALL=C PATH="$TOP:$PATH"
	export HOME LC_ALL PATH
	make_community
	{
		order alice sell 1010 120000 $S1
		order bob buy 600 200000 $S1
		order carol buy 410 150100 $S1
		order alice sell 300 100000 $S2
		order bob buy 200 120000 $S2
		order alice sell 100 250000 $S3
		order bob buy 100 200000 $S3
	} >orders.jsonl
	denki-clear -c coop.yaml orders.jsonl >cleared.jsonl
	denki-contract-sign -c coop.yaml cleared.jsonl >/dev/null
	{
		reading alice-m $S1 5 1000
		reading bob-m $S1 590 0
		reading carol-m $S1 410 0
		reading alice-m $S2 0 300
		reading bob-m $S2 200 0
		reading carol-m $S2 50 0
		reading alice-m $S3 0 100
		reading bob-m $S3 100 0
	} >readings.jsonl
	denki-settle -c coop.yaml readings.jsonl >/dev/null
	[ "$(wc -l <ledger.jsonl)" -eq 56 ]
}

setup() {
	common_setup
	cp -a "$BASE"/. .
}

# line_of TYPE [N]: the line number of the Nth entry of record type TYPE
line_of() {
	jq -r .rec.type ledger.jsonl | grep -n -x "$1" | sed -n "${2:-1}p" | cut -d: -f1
}

# The operator's checkpoints, made here as the writers make them, so that
# a test can rewrite history as an operator holding the key could
# (tests/resign.bash: vkey, resign).
load resign

# seal N: the first N lines of ledger.jsonl and a checkpoint of them, as
# the writers end a commit, into f.jsonl
seal() {
	{
		head -n "$1" ledger.jsonl
		# the last checkpoint before, so that its time goes not back
		head -n "$1" ledger.jsonl | grep '"type":"checkpoint","v":1},"seq":' |
		    tail -n 1
	} >edited.jsonl
	resign edited.jsonl $(($1 + 1)) >f.jsonl
}

# edit N JQ: ledger.jsonl with line N's record changed by JQ, re-signed,
# into f.jsonl
edit() {
	{
		head -n $(($1 - 1)) ledger.jsonl
		sed -n "$1p" ledger.jsonl | jq -c ".rec |= ($2)"
		tail -n +$(($1 + 1)) ledger.jsonl
	} >edited.jsonl
	resign edited.jsonl "$1" >f.jsonl
}

# assert_fail_line FILE MESSAGE: the one line of a failed verification,
# naming the file and saying MESSAGE
assert_fail_line() {
	assert_equal "${#lines[@]}" 1
	assert_output --partial "FAIL"
	assert_output --partial "$1"
	assert_output --partial "$2"
}

# fails_at N REASON_REGEX: f.jsonl is rejected with 1, naming line N
fails_at() {
	run -1 --separate-stderr denki-ledger-verify -j -p operator.pub f.jsonl
	assert_equal "$stderr" ""
	assert_equal "$(jq -r .ok <<<"$output")" false
	assert_regex "$(jq -r .reason <<<"$output")" "^f\.jsonl:$1: $2"
}

@test "ledger-verify: a good ledger: 0 and an OK line" {
	run -0 --separate-stderr denki-ledger-verify -p operator.pub ledger.jsonl
	assert_equal "$stderr" ""
	assert_output "ledger.jsonl: $OK_LINE"
	# the default ledger is ./ledger.jsonl
	run -0 --separate-stderr denki-ledger-verify -p operator.pub
	assert_output "ledger.jsonl: $OK_LINE"
}

@test "ledger-verify -j: a JSON verdict, for a good and for a bad ledger" {
	# signatures: the 7 orders' and the 9 checkpoints' notes
	run -0 --separate-stderr denki-ledger-verify -j -p operator.pub ledger.jsonl
	assert_output '{"checkpoints":9,"contract_wh":1210,"contracts":3,"entries":56,"ledger":"ledger.jsonl","ok":true,"orders":7,"origin":"denki.local/ledger","participants":3,"readings":8,"signatures":16,"slots_cleared":3,"slots_settled":3,"transfers":12,"type":"verdict","unsigned_readings":8,"v":1}'
	sed 5d ledger.jsonl >f.jsonl
	run -1 --separate-stderr denki-ledger-verify -j -p operator.pub f.jsonl
	assert_output '{"ledger":"f.jsonl","ok":false,"reason":"f.jsonl:5: entry 4: seq: must be 4, got 5 (an entry was deleted, duplicated or moved)","type":"verdict","v":1}'
}

@test "ledger-verify -q: nothing on success" {
	run -0 --separate-stderr denki-ledger-verify -q -p operator.pub ledger.jsonl
	assert_output ""
	assert_equal "$stderr" ""
}

@test "ledger-verify: one bit flipped at every 37th byte: 1, naming the entry's line" {
	local -a ends
	local off line=1 b c data out bad=""
	# the ledger's bytes in a variable (C locale: a character is a
	# byte; a JSON ledger has no NUL), each changed copy written by the
	# shell: no process per copy but the verifier
	IFS= read -r -d '' data <ledger.jsonl || true
	mapfile -t ends < <(awk '{ n += length($0) + 1; print n }' ledger.jsonl)
	[ "${#data}" -eq "$(wc -c <ledger.jsonl)" ]
	for ((off = 0; off < ${#data}; off += 37)); do
		while ((off >= ends[line - 1])); do
			line=$((line + 1))
		done
		printf -v b %d "'${data:off:1}"
		printf -v c %02x $((b ^ 1))
		printf -v c "\\x$c"
		printf '%s' "${data:0:off}$c${data:off+1}" >f.jsonl
		# the copy differs from the ledger in that byte's bit 0 alone
		if ((off % 3700 == 0)); then
			out=$(cmp -l ledger.jsonl f.jsonl || true)
			[ "$(echo $out)" = "$(printf '%d %o %o' $((off + 1)) $b $((b ^ 1)))" ] ||
			    bad+="offset $off: not the ledger with one bit flipped: $out"$'\n'
		fi
		out=$(denki-ledger-verify -j -p operator.pub f.jsonl 2>&1) && b=0 || b=$?
		if [ "$b" -ne 1 ] || [[ "$out" != *'"reason":"f.jsonl:'$line': '* ]]; then
			bad+="offset $off (line $line): status $b: $out"$'\n'
		fi
	done
	# the last byte, the final newline, too
	cp ledger.jsonl f.jsonl
	truncate -s -1 f.jsonl
	printf '\013' >>f.jsonl
	out=$(denki-ledger-verify -j -p operator.pub f.jsonl 2>&1) && b=0 || b=$?
	[ "$b" -eq 1 ] && [[ "$out" == *'"reason":"f.jsonl:56: torn last line'* ]] ||
	    bad+="last byte: status $b: $out"$'\n'
	assert_equal "$bad" ""
}

@test "ledger-verify: the FAIL line names the entry as file:line" {
	local sig r=A n
	# a character of the signature of the first order of slot 2 (line 17)
	n=$(line_of order 4)
	assert_equal "$n" 17
	sig=$(sed -n ${n}p ledger.jsonl | jq -r .rec.sig)
	[ "${sig:10:1}" != A ] || r=B
	sed "${n}s|$sig|${sig:0:10}$r${sig:11}|" ledger.jsonl >f.jsonl
	run -1 cmp -s ledger.jsonl f.jsonl
	run -1 --separate-stderr denki-ledger-verify -p operator.pub f.jsonl
	assert_output 'FAIL: f.jsonl:17: entry 16: order: sig: bad signature: the record was not signed by this key, or was changed after signing'
}

@test "ledger-verify: an entry changed that no replay checks is named by the chain: the next entry's prev, and the one after it" {
	local n
	# a participant's name (line 2): its entry replays, the link after it breaks
	n=$(line_of participant)
	assert_equal "$n" 2
	sed "${n}s/\"zone\":\"main\"/\"zone\":\"mainx\"/" ledger.jsonl >f.jsonl
	run -1 cmp -s ledger.jsonl f.jsonl
	fails_at 2 "entry 1: changed after it was written: its hash is not entry 2's prev, and entry 3 links to it as it is$"
	# the prev of an entry changed (line 5): it does not link back, and
	# the entry after it does not link to it
	sed '5s/"prev":"\(.\)/"prev":"x/' ledger.jsonl >f.jsonl
	run -1 cmp -s ledger.jsonl f.jsonl
	fails_at 5 "entry 4: prev: is not the hash of entry 3 \(this entry's prev, or entry 3, was changed after it was written\)$"
	# the entry before the last checkpoint (a participant registered last):
	# the checkpoint's signed tree does not hold it as it is
	denki-keygen dave >/dev/null
	enrol dave
	n=$(wc -l <ledger.jsonl)
	assert_equal "$(sed -n "$((n - 1))p" ledger.jsonl | jq -r .rec.id)" dave
	sed "$((n - 1))s/\"zone\":\"main\"/\"zone\":\"mainx\"/" ledger.jsonl >f.jsonl
	run -1 cmp -s ledger.jsonl f.jsonl
	fails_at $((n - 1)) "entry $((n - 2)): changed after it was written: its hash is not entry $((n - 1))'s prev, and the checkpoint there does not sign it as it is$"
	# the last checkpoint's prev: its tree holds the entry before as it is
	sed "${n}s/\"prev\":\"\(.\)/\"prev\":\"x/" ledger.jsonl >f.jsonl
	run -1 cmp -s ledger.jsonl f.jsonl
	fails_at $n "entry $((n - 1)): prev: is not the hash of entry $((n - 2)) "
}

@test "ledger-verify: a torn last line: 1, naming the line" {
	head -c -20 ledger.jsonl >f.jsonl
	fails_at 56 'torn last line \([0-9]+ bytes, no newline\)'
	head -c 300 ledger.jsonl >f.jsonl
	fails_at 1 'torn last line \(300 bytes, no newline\)'
}

@test "ledger-verify: cut at a line boundary inside a slot: 1, an append never acknowledged" {
	local n
	# after the clearing of slot 1, a contract of it, an order of slot 3,
	# a reading, a settlement and a transfer of slot 1
	for n in 13 14 22 27 30 34; do
		head -n $n ledger.jsonl >f.jsonl
		run -1 --separate-stderr denki-ledger-verify -j -p operator.pub f.jsonl
		assert_equal "$(jq -r .ok <<<"$output")" false
		assert_regex "$(jq -r .reason <<<"$output")" '^f\.jsonl: entries [0-9]+ to [0-9]+ follow the last checkpoint: '
	done
	head -n 14 ledger.jsonl >f.jsonl
	run -1 --separate-stderr denki-ledger-verify -p operator.pub f.jsonl
	assert_output "FAIL: f.jsonl: entries 7 to 13 follow the last checkpoint: an append that was never acknowledged (see RECOVERY)"
	head -n 34 ledger.jsonl >f.jsonl
	run -1 --separate-stderr denki-ledger-verify -p operator.pub f.jsonl
	assert_output "FAIL: f.jsonl: entries 25 to 33 follow the last checkpoint: an append that was never acknowledged (see RECOVERY)"
}

@test "ledger-verify: cut inside a slot and sealed with a checkpoint by the operator: 1" {
	# a checkpoint after the clearing, or after one of its contracts
	seal "$(line_of clearing)"
	fails_at 14 "entry 13: a checkpoint inside the contract of slot ${S1/+/\\+}$"
	seal "$(line_of contract)"
	fails_at 15 "entry 14: a checkpoint inside the contract of slot ${S1/+/\\+}$"
	# after a settlement, or a transfer of it
	seal "$(line_of settlement 2)"
	fails_at 31 "entry 30: a checkpoint inside the settlement of slot ${S1/+/\\+}$"
	seal "$(line_of transfer 3)"
	fails_at 35 "entry 34: a checkpoint inside the settlement of slot ${S1/+/\\+}$"
	# after a reading, or an order
	seal "$(line_of reading 2)"
	run -1 --separate-stderr denki-ledger-verify -p operator.pub f.jsonl
	assert_output "FAIL: f.jsonl: readings at the end with no settlement after them (truncated?)"
	seal "$(line_of order 6)"
	run -1 --separate-stderr denki-ledger-verify -p operator.pub f.jsonl
	assert_output "FAIL: f.jsonl: orders at the end with no clearing after them (truncated?)"
	# the seal is sound: sealed at the end of a slot, the ledger verifies
	seal 16
	run -0 --separate-stderr denki-ledger-verify -p operator.pub f.jsonl
	assert_output "f.jsonl: OK: 17 entries, 3 participants, 3 orders, 1 slots cleared, 2 contracts (1010 Wh), 0 slots settled, 0 readings (0 unsigned), 0 transfers, 5 checkpoints of $ORIGIN; every hash link, signature, checkpoint and replay checks"
}

@test "ledger-verify: a deleted line: 1, naming where the chain breaks" {
	sed 20d ledger.jsonl >f.jsonl
	fails_at 20 'entry 19: seq: must be 19, got 20'
	sed 1d ledger.jsonl >f.jsonl
	fails_at 1 'entry 0: seq: must be 0, got 1'
	# the last, a checkpoint
	sed '$d' ledger.jsonl >f.jsonl
	run -1 --separate-stderr denki-ledger-verify -p operator.pub f.jsonl
	assert_output "FAIL: f.jsonl: entries 49 to 54 follow the last checkpoint: an append that was never acknowledged (see RECOVERY)"
}

@test "ledger-verify: two lines swapped: 1, naming the first" {
	{
		head -n 9 ledger.jsonl
		sed -n 11p ledger.jsonl
		sed -n 10p ledger.jsonl
		tail -n +12 ledger.jsonl
	} >f.jsonl
	run -1 cmp -s ledger.jsonl f.jsonl
	fails_at 10 'entry 9: seq: must be 9, got 10'
}

@test "ledger-verify: a duplicated line: 1, naming the copy" {
	sed 27p ledger.jsonl >f.jsonl
	fails_at 28 'entry 27: seq: must be 27, got 26'
	cat ledger.jsonl <(tail -n 1 ledger.jsonl) >f.jsonl
	fails_at 57 'entry 56: seq: must be 56, got 55'
}

@test "ledger-verify: the wrong operator key: 1, naming the first entry" {
	denki-keygen other >/dev/null
	run -1 --separate-stderr denki-ledger-verify -j -p other.pub ledger.jsonl
	assert_regex "$(jq -r .reason <<<"$output")" '^ledger\.jsonl:1: entry 0: key: the ledger names another operator key$'
	# a participant's key is not the operator's either
	run -1 --separate-stderr denki-ledger-verify -q -p alice.pub ledger.jsonl
}

@test "ledger-verify: re-signing an unchanged ledger gives the same bytes (the tool below is sound)" {
	assert_equal "$(vkey operator.pub)" "$(head -n 1 ledger.jsonl | jq -r .rec.vkey)"
	resign ledger.jsonl >f.jsonl
	cmp ledger.jsonl f.jsonl
}

@test "ledger-verify: an operator rewriting a contract, and signing it all again, is caught by the replay" {
	local n
	n=$(line_of contract)
	edit $n '.price += 1'
	fails_at $n "entry $((n - 1)): contract of slot 2026-01-01T10:00:00\\+00:00 differs from the replay: field price"
	n=$(line_of contract 3)
	edit $n '.wh = 199'
	fails_at $n "entry $((n - 1)): contract of slot 2026-01-01T10:30:00\\+00:00 differs from the replay: field wh"
}

@test "ledger-verify: a rewritten clearing, settlement, transfer or reading is caught by the replay" {
	local n
	n=$(line_of clearing)
	edit $n '.price = 135000'
	fails_at $n "entry $((n - 1)): clearing differs from a replay of the market on the 3 orders before it: field price"
	n=$(line_of settlement)
	edit $n '.net += 1'
	fails_at $n "entry $((n - 1)): settlement of slot .* differs from the replay: field net"
	n=$(line_of transfer 2)
	edit $n '.amount = 5999'
	fails_at $n "entry $((n - 1)): settlement of slot .* differs from the replay: field amount"
	edit $n '.to = "mallory"'
	fails_at $n "entry $((n - 1)): settlement of slot .* differs from the replay: field to"
	# a reading changed: the settlement after it no longer follows
	edit "$(line_of reading)" '.export_wh = 1001'
	n=$(line_of settlement)
	fails_at $n "entry $((n - 1)): settlement of slot .* differs from the replay"
}

@test "ledger-verify: an order changed after its participant signed it is caught" {
	local n
	n=$(line_of order)
	edit $n '.wh += 1'
	fails_at $n "entry $((n - 1)): order: sig: bad signature"
}

@test "ledger-verify: a contract, settlement or transfer with nothing before it to make it is caught" {
	local n
	# a copy of a contract of slot 1, appended after everything
	{ cat ledger.jsonl; sed -n "$(line_of contract)p" ledger.jsonl; } >edited.jsonl
	resign edited.jsonl 57 >f.jsonl
	fails_at 57 'entry 56: contract that no clearing before it made'
	# a transfer appended
	{ cat ledger.jsonl; sed -n "$(line_of transfer)p" ledger.jsonl; } >edited.jsonl
	resign edited.jsonl 57 >f.jsonl
	fails_at 57 'entry 56: transfer outside a settlement'
	# slot 1 settled a second time
	{ cat ledger.jsonl; sed -n "$(line_of settlement)p" ledger.jsonl; } >edited.jsonl
	resign edited.jsonl 57 >f.jsonl
	fails_at 57 'entry 56: settlement for slot 2026-01-01T10:00:00\+00:00, which is already settled'
	# a transfer left out of a settlement: the next is another transfer...
	n=$(line_of transfer 5)
	sed "${n}d" ledger.jsonl >edited.jsonl
	resign edited.jsonl $n >f.jsonl
	fails_at $n "entry $((n - 1)): settlement of slot .* differs from the replay: field from \\(found a transfer record\\)$"
	# ...or the checkpoint that ends the slot
	n=$(line_of transfer 6)
	sed "${n}d" ledger.jsonl >edited.jsonl
	resign edited.jsonl $n >f.jsonl
	fails_at $n "entry $((n - 1)): a checkpoint inside the settlement of slot ${S1/+/\\+}$"
}

@test "ledger-verify: a file that is not a ledger: 1" {
	cp orders.jsonl f.jsonl
	fails_at 1 'entry 0: '
	printf '{"type":"entry"\n' >f.jsonl
	fails_at 1 'entry 0: malformed JSON'
	# an entry with its keys out of order is not in canonical form
	sed '1s/,"type":"entry","v":2}$/,"v":2,"type":"entry"}/' ledger.jsonl >f.jsonl
	run -1 cmp -s ledger.jsonl f.jsonl
	fails_at 1 'entry 0: not in canonical form \(sorted keys, no spaces\)$'
	# nor is one with spaces
	sed '1s/,/, /' ledger.jsonl >f.jsonl
	fails_at 1 'entry 0: not in canonical form \(sorted keys, no spaces\)$'
	# nor a record with a space inside, or its keys out of order
	sed '1s/"origin":"/"origin": "/' ledger.jsonl >f.jsonl
	fails_at 1 'entry 0: not in canonical form \(sorted keys, no spaces\)$'
	sed "$(line_of order)"'s/"participant":\("[a-z]*"\),"price":\([0-9]*\),/"price":\2,"participant":\1,/' ledger.jsonl >f.jsonl
	run -1 cmp -s ledger.jsonl f.jsonl
	fails_at "$(line_of order)" 'entry 9: not in canonical form \(sorted keys, no spaces\)$'
	# an entry of the first format, with the operator's signature on it
	sed '1s/,"type":"entry","v":2}$/,"sig":"x","type":"entry","v":1}/' ledger.jsonl >f.jsonl
	fails_at 1 'entry 0: v: 1, an entry of the first ledger format \(the operator.s signature on every entry\), which this version no longer reads'
	# a member the envelope does not have
	sed '1s/,"type":"entry","v":2}$/,"type":"entry","v":2,"x":1}/' ledger.jsonl >f.jsonl
	fails_at 1 'entry 0: an entry has prev, rec, seq, type and v, and nothing else$'
}

@test "ledger-verify: the first entry is not the genesis: 1" {
	# the genesis left out, and all signed again
	sed 1d ledger.jsonl >edited.jsonl
	resign edited.jsonl >f.jsonl
	fails_at 1 'entry 0: the first entry must be the ledger.s genesis record \(origin and operator key\), not a participant$'
	# a second genesis later on
	{ head -n 9 ledger.jsonl; head -n 1 ledger.jsonl; tail -n +10 ledger.jsonl; } >edited.jsonl
	resign edited.jsonl 10 >f.jsonl
	fails_at 10 'entry 9: a genesis record after the first entry$'
	# a genesis naming another operator key, with or without its verifier key
	denki-keygen other >/dev/null
	edit 1 ".key = \"$(sed -n 2p other.pub)\""
	fails_at 1 "entry 0: vkey: must be the verifier key of the origin and key, ${ORIGIN}\\+[0-9a-f]{8}\\+"
	edit 1 ".key = \"$(sed -n 2p other.pub)\" | .vkey = \"$(vkey other.pub)\""
	fails_at 1 'entry 0: key: the ledger names another operator key$'
}

@test "ledger-verify: the last entry is not a checkpoint: 1, an append never acknowledged" {
	# what the next run of a writer would append, cut off before its checkpoint
	# (an operator's restatement of alice: her request once is enough)
	{ cat ledger.jsonl; sed -n "$(line_of participant)p" ledger.jsonl | jq -c '.rec |= del(.request)'; } >edited.jsonl
	resign edited.jsonl 57 >f.jsonl
	run -1 --separate-stderr denki-ledger-verify -p operator.pub f.jsonl
	assert_equal "$stderr" ""
	assert_output "FAIL: f.jsonl: entries 56 to 56 follow the last checkpoint: an append that was never acknowledged (see RECOVERY)"
	# the genesis alone
	head -n 1 ledger.jsonl >f.jsonl
	run -1 --separate-stderr denki-ledger-verify -j -p operator.pub f.jsonl
	assert_output '{"ledger":"f.jsonl","ok":false,"reason":"f.jsonl: entries 0 to 0 follow the last checkpoint: an append that was never acknowledged (see RECOVERY)","type":"verdict","v":1}'
	# an empty file
	: >f.jsonl
	run -1 --separate-stderr denki-ledger-verify -p operator.pub f.jsonl
	assert_output "FAIL: f.jsonl: the ledger is empty"
}

@test "ledger-verify: one character of a checkpoint's note changed: 1, naming its line" {
	local n=16 note c r
	note="$(sed -n ${n}p ledger.jsonl | jq -j .rec.note)"$'\n'
	# a character of the root, of the signature, and the tree size
	for c in 25 120; do
		r=A
		[ "${note:c:1}" != A ] || r=B
		jq -c --arg n "${note:0:c}$r${note:c+1}" '.rec.note = $n' <<<"$(sed -n ${n}p ledger.jsonl)" >line.jsonl
		run -1 grep -qxF -f line.jsonl ledger.jsonl
		# as it is (the link after it broken), or linked again, the
		# note's signature fails
		{ head -n $((n - 1)) ledger.jsonl; cat line.jsonl; tail -n +$((n + 1)) ledger.jsonl; } >edited.jsonl
		cp edited.jsonl f.jsonl
		fails_at $n "entry $((n - 1)): checkpoint: note: invalid signature for key denki\\.local/ledger\\+[0-9a-f]{8}$"
		resign edited.jsonl $n $n >f.jsonl
		fails_at $n "entry $((n - 1)): checkpoint: note: invalid signature for key denki\\.local/ledger\\+[0-9a-f]{8}$"
	done
	edit $n '.note |= sub("\n15\n"; "\n16\n")'
	grep -qF '"note":"denki.local/ledger\n16\n' edited.jsonl
	resign edited.jsonl $n $n >f.jsonl
	fails_at $n "entry $((n - 1)): checkpoint: note: invalid signature for key denki\\.local/ledger\\+[0-9a-f]{8}$"
}

@test "ledger-verify: a checkpoint signed over another history: 1, naming its line" {
	local n
	n=$(line_of checkpoint 4)
	assert_equal "$n" 16
	# the note of a checkpoint of the same size from another history (two
	# orders swapped), put in its place and the entry signed: the root
	{
		head -n 9 ledger.jsonl
		sed -n 11p ledger.jsonl
		sed -n 10p ledger.jsonl
		tail -n +12 ledger.jsonl
	} >other.jsonl
	resign other.jsonl 10 >forked.jsonl
	{
		head -n $((n - 1)) ledger.jsonl
		jq -c --rawfile n <(sed -n ${n}p forked.jsonl | jq -j .rec.note) '.rec.note = $n' <<<"$(sed -n ${n}p ledger.jsonl)"
		tail -n +$((n + 1)) ledger.jsonl
	} >edited.jsonl
	run -1 cmp -s ledger.jsonl edited.jsonl
	resign edited.jsonl $n $n >f.jsonl
	fails_at $n "entry $((n - 1)): checkpoint: its root is not the root of the 15 entries before it \(an entry before it was changed, or the history forked\)$"
	# a good checkpoint of this ledger, of another size, in its place
	{
		head -n $((n - 1)) ledger.jsonl
		sed -n "$(line_of checkpoint 5)p" ledger.jsonl
		tail -n +$((n + 1)) ledger.jsonl
	} >edited.jsonl
	resign edited.jsonl $n $n >f.jsonl
	fails_at $n "entry $((n - 1)): checkpoint: tree size 20, but 15 entries come before it$"
	# the other history, checkpoints and all, is a good ledger (the forgery
	# is sound): only the checkpoints kept from before tell the two apart
	run -0 --separate-stderr denki-ledger-verify -q -p operator.pub forked.jsonl
}

@test "ledger-verify: a missing ledger: 66 with the name; no -p: 64" {
	run -66 --separate-stderr denki-ledger-verify -p operator.pub nosuch.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-ledger-verify: nosuch.jsonl: No such file or directory"
	run -64 --separate-stderr denki-ledger-verify ledger.jsonl
	assert_output ""
	assert_equal "${stderr_lines[0]}" "denki-ledger-verify: -p names the operator's public key"
	run -66 --separate-stderr denki-ledger-verify -p nosuch.pub ledger.jsonl
	assert_output ""
}

@test "ledger-verify -h prints the usage on stdout" {
	run -0 --separate-stderr denki-ledger-verify -h
	assert_output "usage: denki-ledger-verify [-jqT] [-t threads] [-w witness.vkey]... [-W policy] [-Q quorum]
                           [-S skew] -p operator.pub [-O openings] [-I imbalance.csv]...
                           [-C checkpoint]... [-R receipts] [ledger]"
	run -64 --separate-stderr denki-ledger-verify -x -p operator.pub
	assert_equal "${stderr_lines[1]}" "usage: denki-ledger-verify [-jqT] [-t threads] [-w witness.vkey]... [-W policy] [-Q quorum]"
}

@test "ledger-verify: a checkpoint of another origin, signed by the operator: 1, naming it" {
	local n
	n=$(line_of checkpoint 4)
	# the same tree, noted under another origin by the same key
	local other=other.example/log root kid
	root=$(sed -n ${n}p ledger.jsonl | jq -r .rec.note | sed -n 3p)
	printf '%s\n%s\n%s\n' "$other" $((n - 1)) "$root" >text
	printf '302e020100300506032b657004220420%s' "$(sed -n 2p operator.key |
	    base64 -d | od -An -tx1 -v | tr -d ' \n' | cut -c125-188)" |
	    xxd -r -p >op.der
	kid=$({ printf '%s\n\001' "$other"; sed -n 2p operator.pub | base64 -d |
	    tail -c 32; } | sha256sum | cut -c1-8)
	printf '%s\n\xe2\x80\x94 %s %s\n' "$(cat text)" "$other" "$({
		printf '%s' "$kid" | xxd -r -p
		openssl pkeyutl -sign -inkey op.der -keyform DER -rawin -in text
	} | base64 -w0)" | sed '3a\\' >other.note
	sed -i '4s/.*//' other.note
	{
		head -n $((n - 1)) ledger.jsonl
		jq -c --rawfile nt other.note '.rec.note = $nt' \
		    <<<"$(sed -n ${n}p ledger.jsonl)"
		tail -n +$((n + 1)) ledger.jsonl
	} >edited.jsonl
	resign edited.jsonl $n $n >f.jsonl
	fails_at $n "entry $((n - 1)): checkpoint of another origin, \"other.example/log\", in the ledger of \"denki.local/ledger\"$"
}

@test "ledger-verify: an order signed by an unknown key, or by a revoked participant, in a re-signed ledger: 1" {
	local n
	n=$(grep -n '"type":"order"' ledger.jsonl | head -n 1 | cut -d: -f1)
	# signed by a key nobody registered, under alice's name
	denki-keygen stranger >/dev/null
	o=$(sed -n ${n}p ledger.jsonl | jq -c '.rec | del(.sig)' | sign_with stranger.key)
	edit $n "$o"
	fails_at $n "entry $((n - 1)): order: sig: bad signature: the record was not signed by this key, or was changed after signing$"
	# by a participant the registry revoked before it
	who=$(sed -n ${n}p ledger.jsonl | jq -r .rec.participant)
	rev=$(grep -n "\"type\":\"participant\"" ledger.jsonl | grep "\"id\":\"$who\"" | head -n1 | cut -d: -f1)
	edit $rev '.status = "revoked"'
	fails_at $n "entry $((n - 1)): order: participant: $who is revoked$"
}

@test "ledger-verify: a bad order signature before a broken link is the one named, with any number of threads" {
	local n t i sig r=A
	# the first order's signature changed: its entry's link breaks too
	n=$(line_of order)
	sig=$(sed -n ${n}p ledger.jsonl | jq -r .rec.sig)
	[ "${sig:20:1}" != A ] || r=B
	sed "${n}s|$sig|${sig:0:20}$r${sig:21}|" ledger.jsonl >f.jsonl
	run -1 cmp -s ledger.jsonl f.jsonl
	for t in 1 2 3 8; do
		for i in 1 2 3; do
			run -1 --separate-stderr denki-ledger-verify -t $t -p operator.pub f.jsonl
			assert_output "FAIL: f.jsonl:$n: entry $((n - 1)): order: sig: bad signature: the record was not signed by this key, or was changed after signing"
		done
	done
}

@test "ledger-verify -t: 1 to 256 threads, the same verdict with any; 0 or 257 is a usage error" {
	local t
	for t in 1 2 5 256; do
		run -0 --separate-stderr denki-ledger-verify -t $t -p operator.pub ledger.jsonl
		assert_output "ledger.jsonl: $OK_LINE"
	done
	for t in 0 257 x; do
		run -64 --separate-stderr denki-ledger-verify -t $t -p operator.pub ledger.jsonl
		assert_output ""
		assert_equal "$stderr" "denki-ledger-verify: -t $t: must be 1 to 256 threads"
	done
}

@test "ledger-verify: a book the replay refuses (an order twice before its clearing): 1, naming the clearing, no crash" {
	# the first order again just before slot 1's clearing, linked again
	{
		head -n 12 ledger.jsonl
		sed -n 10p ledger.jsonl
		tail -n +13 ledger.jsonl
	} >edited.jsonl
	resign edited.jsonl 13 >f.jsonl
	fails_at 14 'entry 13: clearing: the book was refused: '
	# with every thread count
	for t in 1 2 8; do
		run -1 --separate-stderr denki-ledger-verify -t $t -p operator.pub f.jsonl
		assert_equal "$stderr" ""
		assert_output --partial 'FAIL: f.jsonl:14: entry 13: clearing: the book was refused: '
	done
}

@test "ledger-verify: an order for a slot already cleared, with a bad signature too: the replay's reason is named" {
	local n o
	# slot 1's first order again after slot 1's checkpoint, its wh changed
	# (so its signature fails as well), linked again
	n=$(line_of checkpoint 4)
	o=$(sed -n 10p ledger.jsonl | jq -c '.rec.wh += 1')
	{
		head -n "$n" ledger.jsonl
		printf '%s\n' "$o"
		tail -n +$((n + 1)) ledger.jsonl
	} >edited.jsonl
	resign edited.jsonl $((n + 1)) >f.jsonl
	fails_at $((n + 1)) "entry $n: order for slot ${S1/+/\\+}, which was already cleared$"
}

@test "ledger-verify: a forged cosignature line in the last checkpoint's note: skipped as another key's, refused when its witness is named (-w): 1" {
	local n vk id
	n=$(wc -l <ledger.jsonl)
	denki-keygen w >/dev/null
	vk=$(denki witness -P -k w.key -n witness.example)
	id=$(cut -d+ -f2 <<<"$vk")
	# the witness's name and key id, 72 bytes of nothing for its time and
	# signature: nothing covers the last checkpoint's lines but their own
	jq -c --arg l "— witness.example $( { printf '%s' "$id" | xxd -r -p; head -c 72 /dev/zero; } | base64 -w0)" \
	    '.rec.note += $l + "\n"' <<<"$(sed -n ${n}p ledger.jsonl)" >line.jsonl
	{ head -n $((n - 1)) ledger.jsonl; cat line.jsonl; } >f.jsonl
	run -0 denki-ledger-verify -q -p operator.pub f.jsonl
	run -1 denki-ledger-verify -w "$vk" -p operator.pub f.jsonl
	assert_output "FAIL: f.jsonl:$n: entry $((n - 1)): checkpoint: cosignature of witness.example+$id: time 0 is not between 1 and 2^63-1"
}

@test "ledger-verify: the last checkpoint with a bad prev and a bad note: its own line is named" {
	local n note c r=A
	n=$(wc -l <ledger.jsonl)
	note="$(sed -n ${n}p ledger.jsonl | jq -j .rec.note)"
	c=100
	[ "${note:c:1}" != A ] || r=B
	jq -c --arg nt "${note:0:c}$r${note:c+1}" '.rec.note = $nt | .prev = (if .prev[0:1] == "f" then "e" else "f" end) + .prev[1:]' \
	    <<<"$(sed -n ${n}p ledger.jsonl)" >line.jsonl
	{ head -n $((n - 1)) ledger.jsonl; cat line.jsonl; } >f.jsonl
	fails_at $n "entry $((n - 1)): prev: is not the hash of entry $((n - 2)) "
}
