#!/usr/bin/env bats
# denki-ledger-verify: the offline audit of a ledger made by the pipeline.

load test_helper

S1=2026-01-01T10:00:00+00:00
S2=2026-01-01T10:30:00+00:00
S3=2026-01-01T11:00:00+00:00
OK_LINE='OK: 46 entries, 3 participants, 7 orders, 3 slots cleared, 3 contracts (1210 Wh), 3 slots settled, 12 transfers; every hash link, signature and replay checks'

reading() {
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s}\n' "$@"
}

# One ledger for the file, made by the programs: three slots cleared,
# signed and settled (two with trades, one without).  Lines: 1-3
# participants, 4 terms, 5 rules; slot 1: 6-8 orders, 9 clearing, 10-11
# contracts; slot 2: 12-15; slot 3: 16-18; then settle: slot 1's 19-21
# readings, 22-24 settlements, 25-30 transfers; slot 2: 31-40; slot 3: 41-46.
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
	[ "$(wc -l <ledger.jsonl)" -eq 46 ]
}

setup() {
	common_setup
	cp -a "$BASE"/. .
}

# line_of TYPE [N]: the line number of the Nth entry of record type TYPE
line_of() {
	jq -r .rec.type ledger.jsonl | grep -n -x "$1" | sed -n "${2:-1}p" | cut -d: -f1
}

# resign FILE [FROM]: links and signs every entry from line FROM on again,
# as an operator holding the key could after rewriting history: only the
# replay can tell
ENTRY_RE='^\{"prev":"[0-9a-f]{64}"(,"rec":.*,"seq":)[0-9]+,"sig":"[^"]*"(,"type":"entry","v":1\})$'
resign() {
	local from=${2:-1} n=0 seq=0 l h
	local prev=0000000000000000000000000000000000000000000000000000000000000000
	while IFS= read -r l; do
		n=$((n + 1))
		if ((n >= from)); then
			[[ $l =~ $ENTRY_RE ]] || { echo "resign: $1:$n: not an entry" >&2; return 1; }
			l=$(printf '{"prev":"%s"%s%s%s\n' "$prev" "${BASH_REMATCH[1]}" $seq "${BASH_REMATCH[2]}" |
			    sign_with operator.key)
		fi
		if ((n + 1 >= from)); then
			h=$(printf '%s' "$l" | sha256sum)
			prev=${h:0:64}
		fi
		printf '%s\n' "$l"
		seq=$((seq + 1))
	done <"$1"
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
	run -0 --separate-stderr denki-ledger-verify -j -p operator.pub ledger.jsonl
	assert_output '{"contract_wh":1210,"contracts":3,"entries":46,"ledger":"ledger.jsonl","ok":true,"orders":7,"participants":3,"slots_cleared":3,"slots_settled":3,"transfers":12,"type":"verdict","v":1}'
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
	local -a bytes ends
	local off line=1 b out bad=""
	mapfile -t bytes < <(od -An -v -tu1 -w1 ledger.jsonl)
	mapfile -t ends < <(awk '{ n += length($0) + 1; print n }' ledger.jsonl)
	[ "${#bytes[@]}" -eq "$(wc -c <ledger.jsonl)" ]
	for ((off = 0; off < ${#bytes[@]}; off += 37)); do
		while ((off >= ends[line - 1])); do
			line=$((line + 1))
		done
		cp ledger.jsonl f.jsonl
		b=$((bytes[off] ^ 1))
		printf '%b' "\\0$(printf %03o $b)" | dd of=f.jsonl bs=1 seek=$off conv=notrunc status=none
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
	[ "$b" -eq 1 ] && [[ "$out" == *'"reason":"f.jsonl:46: torn last line'* ]] ||
	    bad+="last byte: status $b: $out"$'\n'
	assert_equal "$bad" ""
}

@test "ledger-verify: the FAIL line names the entry as file:line" {
	local sig r=A
	# a character of the signature of line 12 (an order of slot 2)
	sig=$(sed -n 12p ledger.jsonl | jq -r .sig)
	[ "${sig:10:1}" != A ] || r=B
	sed "12s|$sig|${sig:0:10}$r${sig:11}|" ledger.jsonl >f.jsonl
	! cmp -s ledger.jsonl f.jsonl
	run -1 --separate-stderr denki-ledger-verify -p operator.pub f.jsonl
	assert_output --regexp 'FAIL'
	assert_output --partial 'f.jsonl:12: entry 11: operator: sig: bad signature'
}

@test "ledger-verify: a torn last line: 1, naming the line" {
	head -c -20 ledger.jsonl >f.jsonl
	fails_at 46 'torn last line \([0-9]+ bytes, no newline\)'
	head -c 300 ledger.jsonl >f.jsonl
	fails_at 1 'torn last line \(300 bytes, no newline\)'
}

@test "ledger-verify: cut at a line boundary inside a slot: 1" {
	local n
	for n in 9 10 16 20 23 27; do
		head -n $n ledger.jsonl >f.jsonl
		run -1 --separate-stderr denki-ledger-verify -j -p operator.pub f.jsonl
		assert_equal "$(jq -r .ok <<<"$output")" false
	done
	head -n 10 ledger.jsonl >f.jsonl
	run -1 --separate-stderr denki-ledger-verify -p operator.pub f.jsonl
	assert_fail_line f.jsonl "the ledger ends inside the contract of slot $S1 (truncated at an entry boundary?)"
	head -n 20 ledger.jsonl >f.jsonl
	run -1 --separate-stderr denki-ledger-verify -p operator.pub f.jsonl
	assert_fail_line f.jsonl "readings at the end with no settlement after them (truncated?)"
	head -n 16 ledger.jsonl >f.jsonl
	run -1 --separate-stderr denki-ledger-verify -p operator.pub f.jsonl
	assert_fail_line f.jsonl "orders at the end with no clearing after them (truncated?)"
}

@test "ledger-verify: a deleted line: 1, naming where the chain breaks" {
	sed 20d ledger.jsonl >f.jsonl
	fails_at 20 'entry 19: seq: must be 19, got 20'
	sed 1d ledger.jsonl >f.jsonl
	fails_at 1 'entry 0: seq: must be 0, got 1'
	sed '$d' ledger.jsonl >f.jsonl
	run -1 --separate-stderr denki-ledger-verify -p operator.pub f.jsonl
}

@test "ledger-verify: two lines swapped: 1, naming the first" {
	{
		head -n 9 ledger.jsonl
		sed -n 11p ledger.jsonl
		sed -n 10p ledger.jsonl
		tail -n +12 ledger.jsonl
	} >f.jsonl
	! cmp -s ledger.jsonl f.jsonl
	fails_at 10 'entry 9: seq: must be 9, got 10'
}

@test "ledger-verify: a duplicated line: 1, naming the copy" {
	sed 27p ledger.jsonl >f.jsonl
	fails_at 28 'entry 27: seq: must be 27, got 26'
	cat ledger.jsonl <(tail -n 1 ledger.jsonl) >f.jsonl
	fails_at 47 'entry 46: seq: must be 46, got 45'
}

@test "ledger-verify: the wrong operator key: 1, naming the first entry" {
	denki-keygen other >/dev/null
	run -1 --separate-stderr denki-ledger-verify -j -p other.pub ledger.jsonl
	assert_regex "$(jq -r .reason <<<"$output")" '^ledger\.jsonl:1: entry 0: operator: sig: bad signature'
	# a participant's key is not the operator's either
	run -1 --separate-stderr denki-ledger-verify -q -p alice.pub ledger.jsonl
}

@test "ledger-verify: re-signing an unchanged ledger gives the same bytes (the tool below is sound)" {
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
	resign edited.jsonl 47 >f.jsonl
	fails_at 47 'entry 46: contract that no clearing before it made'
	# a transfer appended
	{ cat ledger.jsonl; sed -n "$(line_of transfer)p" ledger.jsonl; } >edited.jsonl
	resign edited.jsonl 47 >f.jsonl
	fails_at 47 'entry 46: transfer outside a settlement'
	# slot 1 settled a second time
	{ cat ledger.jsonl; sed -n "$(line_of settlement)p" ledger.jsonl; } >edited.jsonl
	resign edited.jsonl 47 >f.jsonl
	fails_at 47 'entry 46: settlement for slot 2026-01-01T10:00:00\+00:00, which is already settled'
	# a transfer left out of a settlement
	n=$(line_of transfer 6)
	sed "${n}d" ledger.jsonl >edited.jsonl
	resign edited.jsonl $n >f.jsonl
	fails_at $n "entry $((n - 1)): settlement of slot .* differs from the replay"
}

@test "ledger-verify: a file that is not a ledger: 1" {
	cp orders.jsonl f.jsonl
	fails_at 1 'entry 0: '
	printf '{"type":"entry"\n' >f.jsonl
	fails_at 1 'entry 0: malformed JSON'
	# an entry with spaces is not in canonical form
	sed '1s/,/, /' ledger.jsonl >f.jsonl
	fails_at 1 'entry 0: not in canonical form'
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
	assert_output "usage: denki-ledger-verify [-jq] -p operator.pub [ledger]"
	run -64 --separate-stderr denki-ledger-verify -x -p operator.pub
	assert_equal "${stderr_lines[1]}" "usage: denki-ledger-verify [-jq] -p operator.pub [ledger]"
}
