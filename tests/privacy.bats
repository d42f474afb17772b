#!/usr/bin/env bats
# Load profiles stay private (issue 13, part 5): a new ledger holds salted
# commitments to readings, the openings stay in the operator's store, and
# ledger-export gives them to an auditor (-a) or to one member (-m), the
# public copy none; ledger-verify checks what each copy lets it check.

load test_helper
load resign

S1=2026-01-01T10:00:00+00:00
S2=2026-01-01T10:30:00+00:00
S3=2026-01-01T11:00:00+00:00

reading() {
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s}\n' "$@"
}

# Three slots: S1 with trades (alice sells to bob and carol), S2 and S3
# cleared without any; carol's load profile is 4321, 4322, 4323 Wh.
setup() {
	common_setup
	make_community_once
	three_orders >orders.jsonl
	denki-clear -c coop.yaml orders.jsonl | denki-contract-sign -c coop.yaml >/dev/null
	for s in $S2 $S3; do
		denki-clear -c coop.yaml -s $s </dev/null | denki-contract-sign -c coop.yaml >/dev/null
	done
	{
		reading alice-m $S1 5 1000
		reading bob-m $S1 590 0
		reading carol-m $S1 4321 0
		reading alice-m $S2 0 333
		reading bob-m $S2 1 0
		reading carol-m $S2 4322 0
		reading alice-m $S3 7 0
		reading bob-m $S3 2 0
		reading carol-m $S3 4323 0
	} >readings.jsonl
	denki-settle -c coop.yaml readings.jsonl >settled.jsonl
}

OK_LINE="OK: 54 entries, 3 participants, 3 orders, 3 slots cleared, 2 contracts (1010 Wh), 3 slots settled, 9 readings (%s), 13 transfers, 9 checkpoints of denki.local/ledger; every hash link, signature, checkpoint and replay checks"

@test "attack: the public copy shows a member's load profile" {
	run -0 --separate-stderr denki-ledger-export -c coop.yaml -o public.jsonl
	assert_equal "$(jq -r .copy <<<"$output")" public
	assert_equal "$(jq -r .openings <<<"$output")" null
	[ ! -e public.jsonl.openings ]
	# before committed readings the copy held every reading in clear:
	# carol's 4321, 4322, 4323 Wh, slot by slot
	run grep -c '"import_wh":432[123]' public.jsonl
	assert_output 0
	run grep -c '"import_wh"\|"export_wh"\|"type":"reading"' public.jsonl
	assert_output 0
	assert_equal "$(jq -r 'select(.rec.type == "commitment") | .rec.meter' public.jsonl | sort | uniq -c | awk '{ print $1, $2 }' | tr '\n' ' ')" \
	    "3 alice-m 3 bob-m 3 carol-m "
	# what the money still shows: carol's shortfall, which with no
	# contract is her net import at the retail price (denki(7), PRIVACY)
	assert_equal "$(jq -c 'select(.rec.type == "settlement" and .rec.participant == "carol") | .rec.deviation_wh' public.jsonl | tr '\n' ' ')" \
	    "-3911 -4322 -4323 "
	# and the public copy still verifies, every slot's money replayed
	run -0 denki-ledger-verify -p operator.pub public.jsonl
	assert_equal "${lines[0]}" "public.jsonl: $(printf "$OK_LINE" "0 opened, 0 of them unsigned")"
	assert_equal "${lines[1]}" "public.jsonl: readings committed: 9 commitments, 0 opened; 3 slots not recomputed from readings (no opening), only from the deviations settled: $S1 $S2 $S3"
}

@test "privacy: the operator's store holds each opening, 0600; the auditor's copy verifies whole" {
	assert_equal "$(stat -c %a ledger.jsonl.openings)" 600
	assert_equal "$(jq -c .reading ledger.jsonl.openings | sort)" "$(jq -cS . readings.jsonl | sort)"
	# each opening's seq is its commitment's entry
	for seq in $(jq -r .seq ledger.jsonl.openings); do
		assert_equal "$(jq -r "select(.seq == $seq) | .rec.type" ledger.jsonl)" commitment
	done
	run -0 --separate-stderr denki-ledger-export -c coop.yaml -a -o audit.jsonl
	assert_equal "$(jq -c '[.copy, .openings, .opened]' <<<"$output")" '["auditor","audit.jsonl.openings",9]'
	assert_equal "$(stat -c %a audit.jsonl.openings)" 600
	cmp audit.jsonl.openings ledger.jsonl.openings
	run -0 --separate-stderr denki-ledger-verify -p operator.pub -O audit.jsonl.openings audit.jsonl
	assert_output "audit.jsonl: $(printf "$OK_LINE" "9 opened, 9 of them unsigned")"
	run -0 --separate-stderr denki-ledger-verify -j -p operator.pub -O audit.jsonl.openings audit.jsonl
	assert_equal "$(jq -c '[.mode, .commitments, .openings, .slots_not_recomputed]' <<<"$output")" '["committed",9,9,[]]'
	# a store that lost an opening: said, and the copy has the others
	sed -i 2d ledger.jsonl.openings
	run -0 --separate-stderr denki-ledger-export -f -c coop.yaml -a -o audit.jsonl
	assert_equal "$(jq -r .opened <<<"$output")" 8
	assert_equal "$stderr" "denki-ledger-export: 1 committed reading without an opening in ledger.jsonl.openings: its slot cannot be recomputed from the copy"
	run -0 --separate-stderr denki-ledger-verify -j -p operator.pub -O audit.jsonl.openings audit.jsonl
	assert_equal "$(jq -c '[.openings, (.slots_not_recomputed | length)]' <<<"$output")" '[8,1]'
}

@test "privacy: without openings, ledger-verify says which slots it could not recompute, and exits 0" {
	run -0 --separate-stderr denki-ledger-verify -j -p operator.pub ledger.jsonl
	assert_equal "$(jq -c '[.ok, .mode, .commitments, .openings, .slots_not_recomputed]' <<<"$output")" \
	    "[true,\"committed\",9,0,[\"$S1\",\"$S2\",\"$S3\"]]"
	# -q: the answer in the status alone
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
	assert_output ""
	# one slot's openings held back: that slot alone
	grep -v "\"slot\":\"$S2\"" ledger.jsonl.openings >part.openings
	run -0 --separate-stderr denki-ledger-verify -p operator.pub -O part.openings ledger.jsonl
	assert_equal "${lines[1]}" "ledger.jsonl: readings committed: 9 commitments, 6 opened; 1 slot not recomputed from readings (no opening), only from the deviations settled: $S2"
}

@test "privacy: an opening that does not match its commitment fails, naming the entry" {
	# the operator shows the auditor another import for bob than it
	# committed to: ledger-verify fails naming the commitment's entry
	seq=$(jq -r "select(.reading.meter == \"bob-m\" and .reading.slot == \"$S1\") | .seq" ledger.jsonl.openings)
	sed "/\"seq\":$seq,/s/\"import_wh\":590/\"import_wh\":591/" ledger.jsonl.openings >bad.openings
	run ! cmp -s bad.openings ledger.jsonl.openings
	run -1 --separate-stderr denki-ledger-verify -p operator.pub -O bad.openings ledger.jsonl
	assert_regex "$output" "^FAIL: ledger\.jsonl:$((seq + 1)): entry $seq: the opening does not match its commitment \(SHA-256 of its salt and reading is [0-9a-f]{16}\.\.\., the commitment's [0-9a-f]{16}\.\.\.\)$"
	# another salt: the same
	# (its first hex digit changed: 0 becomes 1, anything else 0)
	jq -c "if .seq == $seq then .salt |= (if startswith(\"0\") then \"1\" else \"0\" end) + .[1:] else . end" \
	    ledger.jsonl.openings >salt.openings
	run ! cmp -s salt.openings ledger.jsonl.openings
	run -1 --separate-stderr denki-ledger-verify -j -p operator.pub -O salt.openings ledger.jsonl
	assert_regex "$(jq -r .reason <<<"$output")" "^ledger\.jsonl:$((seq + 1)): entry $seq: the opening does not match"
	# an opening moved to another entry: that entry is not a commitment
	jq -c ".seq = 3" <<<"$(sed -n 1p ledger.jsonl.openings)" >moved.openings
	run -1 --separate-stderr denki-ledger-verify -p operator.pub -O moved.openings ledger.jsonl
	assert_output "FAIL: ledger.jsonl:4: entry 3: an opening names entry 3, a participant, not a commitment"
	# an opening of an entry the ledger does not have
	jq -c ".seq = 999" <<<"$(sed -n 1p ledger.jsonl.openings)" >beyond.openings
	run -1 --separate-stderr denki-ledger-verify -p operator.pub -O beyond.openings ledger.jsonl
	assert_output "FAIL: ledger.jsonl: an opening names entry 999, which the ledger does not have"
	# not an openings file: bad input, 65, named by file and line
	printf '{"type":"opening","v":1}\n' >junk.openings
	run -65 --separate-stderr denki-ledger-verify -p operator.pub -O junk.openings ledger.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-ledger-verify: junk.openings:1: seq: missing"
	# a seq opened twice
	sed -n '1p;1p' ledger.jsonl.openings >twice.openings
	run -65 --separate-stderr denki-ledger-verify -p operator.pub -O twice.openings ledger.jsonl
	assert_regex "$stderr" "^denki-ledger-verify: twice\.openings:2: seq: entry [0-9]+ opened a second time$"
}

# forge OUT MATCH1 MATCH2 SED: the first ledger line matching both, edited
# by SED, and the ledger after it signed again as the operator could; n is
# its line
forge() {
	cp ledger.jsonl edited.jsonl
	n=$(grep -n "$2" edited.jsonl | grep "$3" | head -n 1 | cut -d: -f1)
	sed -i "${n}$4" edited.jsonl
	resign edited.jsonl "$n" >"$1"
}

@test "privacy: without openings, a rewritten transfer or a settlement taken out is still caught" {
	forge f.jsonl '"reason":"shortfall"' '"from":"carol"' 's/"amount":[0-9]*/"amount":1/'
	run -1 --separate-stderr denki-ledger-verify -p operator.pub f.jsonl
	assert_regex "$output" "^FAIL: f\.jsonl:$n: entry $((n - 1)): settlement of slot ${S1/+/\\+} differs from the replay: field amount \(found a transfer record\)$"
	# a settlement record of carol's taken out, the rest signed again:
	# her committed reading names her, so the slot is missing her
	forge g.jsonl '"type":"settlement"' '"participant":"carol"' d
	run -1 --separate-stderr denki-ledger-verify -p operator.pub g.jsonl
	assert_regex "$output" "^FAIL: g\.jsonl:[0-9]+: entry [0-9]+: slot ${S1/+/\\+}: a reading of meter carol-m is committed, but its participant carol has no settlement$"
}

@test "privacy: a member's copy holds that member's openings only, and verifies" {
	run -0 --separate-stderr denki-ledger-export -c coop.yaml -m carol -o carol.jsonl
	assert_equal "$(jq -c '[.copy, .participant, .openings, .opened]' <<<"$output")" '["member","carol","carol.jsonl.openings",3]'
	assert_equal "$(stat -c %a carol.jsonl.openings)" 600
	assert_equal "$(wc -l <carol.jsonl.openings)" 3
	assert_equal "$(jq -r .reading.meter carol.jsonl.openings | sort -u)" carol-m
	assert_equal "$(jq -r .reading.import_wh carol.jsonl.openings | tr '\n' ' ')" "4321 4322 4323 "
	run grep -c 'alice-m\|bob-m' carol.jsonl.openings
	assert_output 0
	cmp carol.jsonl ledger.jsonl
	# carol's openings match; no slot is whole without the others'
	run -0 --separate-stderr denki-ledger-verify -j -p operator.pub -O carol.jsonl.openings carol.jsonl
	assert_equal "$(jq -c '[.ok, .openings, (.slots_not_recomputed | length)]' <<<"$output")" '[true,3,3]'
	# bob's: his three
	run -0 --separate-stderr denki-ledger-export -c coop.yaml -m bob -o bob.jsonl
	assert_equal "$(jq -r .reading.meter bob.jsonl.openings | uniq -c | awk '{ print $1, $2 }')" "3 bob-m"
	# someone with no meter in the ledger: an empty file
	run -0 --separate-stderr denki-ledger-export -c coop.yaml -m nobody -o nobody.jsonl
	assert_equal "$(jq -r .opened <<<"$output")" 0
	assert_equal "$(wc -c <nobody.jsonl.openings)" 0
	# -a and -m together: usage
	run -64 --separate-stderr denki-ledger-export -c coop.yaml -a -m carol -o x.jsonl
	[ ! -e x.jsonl ]
	# an existing openings file is not overwritten without -f
	run -73 --separate-stderr denki-ledger-export -c coop.yaml -m carol -o carol.jsonl
	assert_equal "$stderr" "denki-ledger-export: carol.jsonl: exists; -f overwrites it"
	rm carol.jsonl carol.jsonl.minisig
	run -73 --separate-stderr denki-ledger-export -c coop.yaml -m carol -o carol.jsonl
	assert_equal "$stderr" "denki-ledger-export: carol.jsonl.openings: exists; -f overwrites it"
	run -0 --separate-stderr denki-ledger-export -f -c coop.yaml -m carol -o carol.jsonl
}

@test "privacy: a store whose opening does not match its commitment: export refuses, 65" {
	sed -i '1s/"import_wh":[0-9]*/"import_wh":1/' ledger.jsonl.openings
	run -65 --separate-stderr denki-ledger-export -c coop.yaml -a -o audit.jsonl
	assert_regex "$stderr" "^denki-ledger-export: ledger\.jsonl:[0-9]+: entry [0-9]+: the operator's store of openings: the opening does not match its commitment"
	[ ! -e audit.jsonl ]
	# settle reads the store too, before it appends
	denki-clear -c coop.yaml -s 2026-01-01T11:30:00+00:00 </dev/null | denki-contract-sign -c coop.yaml >/dev/null
	cp ledger.jsonl before.jsonl
	reading alice-m 2026-01-01T11:30:00+00:00 1 0 >r4.jsonl
	run -65 --separate-stderr denki-settle -c coop.yaml r4.jsonl
	assert_regex "$stderr" "ledger\.jsonl\.openings: the opening does not match its commitment"
	cmp before.jsonl ledger.jsonl
}

@test "privacy: openings of entries a crash kept out of the ledger are dropped before the next run; -n keeps none" {
	last=$(tail -n 1 ledger.jsonl.openings)
	n=$(wc -l <ledger.jsonl)
	# an opening written for an entry the ledger never got (a run cut
	# off); then contract-sign gives that seq to a clearing
	jq -c ".seq = $n" <<<"$last" >>ledger.jsonl.openings
	run -1 --separate-stderr denki-ledger-verify -p operator.pub -O ledger.jsonl.openings ledger.jsonl
	assert_output "FAIL: ledger.jsonl: an opening names entry $n, which the ledger does not have"
	denki-clear -c coop.yaml -s 2026-01-01T11:30:00+00:00 </dev/null | denki-contract-sign -c coop.yaml >/dev/null
	{
		reading alice-m 2026-01-01T11:30:00+00:00 1 0
		reading bob-m 2026-01-01T11:30:00+00:00 2 0
		reading carol-m 2026-01-01T11:30:00+00:00 3 0
	} >r4.jsonl
	cp ledger.jsonl.openings store.before
	run -0 --separate-stderr denki-settle -n -c coop.yaml r4.jsonl
	assert_equal "${#lines[@]}" 6
	cmp store.before ledger.jsonl.openings
	run -0 --separate-stderr denki-settle -c coop.yaml r4.jsonl
	assert_equal "$(wc -l <ledger.jsonl.openings)" 12
	assert_equal "$(jq -r .seq ledger.jsonl.openings | sort -n | uniq -d)" ""
	assert_equal "$(stat -c %a ledger.jsonl.openings)" 600
	run -0 --separate-stderr denki-ledger-verify -p operator.pub -O ledger.jsonl.openings ledger.jsonl
	assert_equal "${#lines[@]}" 1
	# the same readings again: the store knows them, counted once
	run -0 --separate-stderr denki-settle -c coop.yaml r4.jsonl
	assert_equal "$stderr" "denki-settle: 3 readings given again, the same bytes: counted once"
}

@test "privacy: a ledger of open readings (made before, or readings: open) keeps them and still verifies" {
	# the golden ledger was made before committed readings
	run -0 denki-ledger-verify -p "$TOP/tests/golden/operator.pub" "$TOP/tests/golden/ledger.jsonl"
	assert_equal "${#lines[@]}" 1
	assert_equal "$(head -n 1 "$TOP/tests/golden/ledger.jsonl" | jq -c '.rec | keys')" '["key","origin","type","v","vkey"]'
	mkdir old && cd old
	READINGS=open
	make_community
	assert_equal "$(head -n 1 ledger.jsonl | jq -c '.rec | keys')" '["key","origin","recovery","type","v","vkey"]'
	{ order alice sell 100 120000; order bob buy 100 200000; } >o.jsonl
	denki-clear -c coop.yaml o.jsonl | denki-contract-sign -c coop.yaml >/dev/null
	{
		reading alice-m $S1 0 100
		reading bob-m $S1 4321 0
	} >r.jsonl
	denki-settle -c coop.yaml r.jsonl >/dev/null
	[ ! -e ledger.jsonl.openings ]
	assert_equal "$(grep -c '"import_wh":4321' ledger.jsonl)" 2
	run -0 --separate-stderr denki-ledger-verify -j -p operator.pub ledger.jsonl
	assert_equal "$(jq -c '[.ok, .mode, .slots_not_recomputed]' <<<"$output")" '[true,null,null]'
	# no openings to give
	run -65 --separate-stderr denki-ledger-export -c coop.yaml -a -o a.jsonl
	assert_equal "$stderr" "denki-ledger-export: ledger.jsonl: its readings are open, in every copy: there are no openings to give"
	# the setting does not change a ledger that exists
	run -0 --separate-stderr denki-settle -c coop.yaml -D readings=committed /dev/null
	assert_equal "$(grep -c '"type":"commitment"' ledger.jsonl)" 0
	run -78 --separate-stderr denki-settle -c coop.yaml -D readings=sometimes r.jsonl
	assert_equal "$stderr" 'denki-settle: readings: must be committed or open, got "sometimes"'
}

@test "privacy: report on a ledger of committed readings: the baseline from the deviations, the energy as each slot's net" {
	run -0 --separate-stderr denki-report -p operator.pub ledger.jsonl
	# carol: no trade after S1's 410 Wh; her net import 4321, 4322, 4323
	# Wh at retail 300000 a kWh
	assert_equal "$(jq -c 'select(.participant == "carol") | [.import_wh, .export_wh, .bought_wh, .baseline, .net]' <<<"$output")" \
	    "[12966,0,410,-3889800,$(jq -s 'map(select(.type == "settlement" and .participant == "carol") | .net) | add' settled.jsonl)]"
	# alice exported 1000 and imported 5 in S1: the report sees the net
	assert_equal "$(jq -c 'select(.participant == "alice") | [.export_wh, .import_wh]' <<<"$output")" "[1328,7]"
}

@test "privacy: completions: ledger-verify -O, ledger-export -a and -m, the readings setting" {
	comp() {
		bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
		    _denki; printf "%s\n" "${COMPREPLY[@]}"' _ \
		    "$TOP/completions/bash/denki" "$@"
	}
	run comp denki-ledger-verify -
	assert_line -- "-O"
	run comp denki ledger-verify -p operator.pub -O ledger.jsonl.op
	assert_output "ledger.jsonl.openings"
	run comp denki-ledger-export -
	assert_line -- "-a"
	assert_line -- "-m"
	run comp denki-settle -D readi
	assert_output "readings="
	run -0 grep -c "'readings:\|'-O+\[\|-a\[an auditor\|-m+\[a member" "$TOP/completions/zsh/_denki"
	assert_output 4
	if command -v zsh >/dev/null; then
		run -0 zsh -n "$TOP/completions/zsh/_denki"
	fi
}

@test "privacy: a deviation forged with its money passes without openings, not with the member's or the auditor's" {
	denki-ledger-export -c coop.yaml -m carol -o carol.jsonl >/dev/null
	# carol's S2 net import, 4322 Wh, settled as 4000, money and all,
	# and the ledger signed again
	cp ledger.jsonl edited.jsonl
	sed -i 's/"deviation_wh":-4322,/"deviation_wh":-4000,/; s/1296600/1200000/g' edited.jsonl
	n=$(grep -n '"deviation_wh":-4000' edited.jsonl | cut -d: -f1)
	resign edited.jsonl "$n" >f.jsonl
	# what no copy without openings can tell (denki(7), Privacy)
	run -0 --separate-stderr denki-ledger-verify -j -p operator.pub f.jsonl
	assert_equal "$(jq -c '[.ok, (.slots_not_recomputed | length)]' <<<"$output")" '[true,3]'
	# carol's own openings: her readings are not what she was settled on
	run -1 --separate-stderr denki-ledger-verify -p operator.pub -O carol.jsonl.openings f.jsonl
	assert_regex "$output" "^FAIL: f\.jsonl:$n: entry $((n - 1)): slot ${S2/+/\\+}: participant carol is settled on a net export of -4000 Wh, but its opened readings make -4322 Wh$"
	# bob's openings cannot tell
	denki-ledger-export -c coop.yaml -m bob -o bob.jsonl >/dev/null
	run -0 --separate-stderr denki-ledger-verify -p operator.pub -O bob.jsonl.openings f.jsonl
	# the auditor's: the slot settled again from every reading
	run -1 --separate-stderr denki-ledger-verify -p operator.pub -O ledger.jsonl.openings f.jsonl
	assert_regex "$output" "^FAIL: f\.jsonl:$n: entry $((n - 1)): settlement of slot ${S2/+/\\+} differs from the replay: field deviation_wh"
	# a member's opened reading must carry its device's signature as in
	# clear: checked on carol's copy
	run -0 --separate-stderr denki-ledger-verify -p operator.pub -O carol.jsonl.openings carol.jsonl
}

@test "privacy: a member shows one reading: an inclusion proof of its commitment and the opening, checked by hand" {
	seq=$(jq -r "select(.reading.meter == \"carol-m\" and .reading.slot == \"$S2\") | .seq" ledger.jsonl.openings)
	run -0 --separate-stderr denki-ledger-proof -c coop.yaml inclusion "$seq"
	echo "$output" >proof.json
	run -0 --separate-stderr denki-proof-verify -p operator.pub proof.json
	# the hash, as denki-formats(5) says: SHA-256(salt || canonical
	# reading), here with xxd, jq and sha256sum
	op=$(jq -c "select(.seq == $seq)" ledger.jsonl.openings)
	want=$(jq -r .entry proof.json | jq -r .rec.hash)
	got=$({ jq -r .salt <<<"$op" | xxd -r -p; jq -cjS .reading <<<"$op"; } | sha256sum | cut -c1-64)
	assert_equal "$got" "$want"
	assert_equal "$(jq -c '.reading | [.meter, .import_wh]' <<<"$op")" '["carol-m",4322]'
}
