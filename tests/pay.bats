#!/usr/bin/env bats
# denki-pay: payment runs from the ledger's transfers: ISO 20022 pain.001
# and Zengin bank files, what members owe, the payment_run record.

load test_helper
load resign

READINGS=open
XSD="$FIXTURES/iso20022/pain.001.001.03.xsd"

S1=2026-01-01T10:00:00+00:00
S2=2026-01-01T10:30:00+00:00
S4=2026-01-31T23:30:00+00:00

reading() {
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s}\n' "$@"
}

# community CURRENCY: report.bats's community with its prices a hundred
# times as high (retail 30000000, buyback 10000000, fee 1000000 micro-units
# a kWh), settled for S1 and S2.  By hand, in micro-units:
#  S1: the clearing price is (12000000 + 15010000) / 2 = 13505000; alice
#      sells 600 Wh to bob (8103000) and 410 to carol (5537050); fees
#      600 and 410 x 1000000 / 1000 = 600000 and 410000.  alice metered
#      995 out net, 15 short of 1010: 15 x 30000 = 450000 to the utility;
#      bob metered 590 in, 10 fewer than bought: 10 x 10000 = 100000 from
#      the utility; carol 410 in, as bought.
#  S2: alice sells 200 to bob at 10000000 (2000000, fee 200000); alice
#      metered 300 out, 100 over: 1000000 from the utility; bob 200 in;
#      carol 50 in with no contract: 50 x 30000 = 1500000 to the utility.
# Balances: alice 8103000 + 5537050 - 450000 + 2000000 + 1000000
#   = 16190050; bob -8103000 - 600000 + 100000 - 2000000 - 200000
#   = -10803000; carol -5537050 - 410000 - 1500000 = -7447050.
community() {
	make_community
	sed -i "s/currency: EUR/currency: $1/; s/retail: 300000/retail: 30000000/; s/buyback: 100000/buyback: 10000000/; s/fee: 10000/fee: 1000000/" coop.yaml
	{
		order alice sell 1010 12000000 $S1
		order bob buy 600 20000000 $S1
		order carol buy 410 15010000 $S1
		order alice sell 300 10000000 $S2
		order bob buy 200 12000000 $S2
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
	} >readings.jsonl
	denki-settle -c coop.yaml readings.jsonl >/dev/null
}

# bank details: the cooperative's and alice's and bob's (real IBANs of
# the banks' own examples: Commerzbank's DE89..., NatWest's GB29...)
sepa_details() {
	denki-pay -c coop.yaml -m operator name='Solar Coop eG' \
	    iban='DE89 3704 0044 0532 0130 00' bic=COBADEFFXXX >/dev/null
	denki-pay -c coop.yaml -m alice name='Alice Müller & Co' \
	    iban=GB29NWBK60161331926819 >/dev/null
	denki-pay -c coop.yaml -m bob name='Bob' \
	    iban=FR1420041010050500013M02606 bic=PSSTFRPPPAR >/dev/null
}

# january: the community in EUR, its bank details, and January's run made
january() {
	community EUR
	sepa_details
	denki-pay -c coop.yaml -P 2026-01 -f pain.001 -o jan.xml >/dev/null 2>&1
}

@test "pay: a pain.001 run pays alice 16.19 EUR, lists bob and carol as owing, and validates" {
	community EUR
	sepa_details
	run -0 --separate-stderr denki-pay -c coop.yaml -P 2026-01 -f pain.001 -o jan.xml -d 2026-02-03
	# alice 16190050 -> 16.19 (toward zero; 50 carried); bob -10803000 ->
	# -10.80; carol -7447050 -> -7.44
	assert_equal "$(jq -r '"\(.participant) \(.status) \(.amount) \(.owed)"' <<<"$output")" \
	    "alice credit 16190000 16190050
bob debit -10800000 -10803000
carol debit -7440000 -7447050"
	xmllint --noout --schema "$XSD" jan.xml
	assert_equal "$(xmllint --xpath 'string(//*[local-name()="CdtTrfTxInf"]//*[local-name()="InstdAmt"])' jan.xml)" 16.19
	assert_equal "$(xmllint --xpath 'string(//*[local-name()="GrpHdr"]/*[local-name()="CtrlSum"])' jan.xml)" 16.19
	assert_equal "$(xmllint --xpath 'string(//*[local-name()="CdtrAcct"]//*[local-name()="IBAN"])' jan.xml)" GB29NWBK60161331926819
	assert_equal "$(xmllint --xpath 'string(//*[local-name()="Cdtr"]/*[local-name()="Nm"])' jan.xml)" 'Alice Müller & Co'
	assert_equal "$(xmllint --xpath 'string(//*[local-name()="ReqdExctnDt"])' jan.xml)" 2026-02-03
	# the ledger's record: the file's hash, each payment
	rec=$(jq -c 'select(.rec.type == "payment_run") | .rec' ledger.jsonl)
	assert_equal "$(jq -r .file <<<"$rec")" "$(sha256sum jan.xml | cut -d' ' -f1)"
	assert_equal "$(jq -c .payments <<<"$rec")" '[{"amount":16190000,"participant":"alice"},{"amount":-10800000,"participant":"bob"},{"amount":-7440000,"participant":"carol"}]'
	assert_equal "$(jq -r '"\(.from) \(.to)"' <<<"$rec")" "2026-01-01T00:00:00+00:00 2026-02-01T00:00:00+00:00"
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_equal "$(stat -c %a members.jsonl)" 600
}

# the Zengin details: the cooperative's (company code from its bank) and
# alice's, her name given in full-width katakana as the store keeps it
zengin_details() {
	denki-pay -c coop.yaml -m operator kana='ﾃﾞﾝｷｸﾐｱｲ' company_code=0000012345 \
	    bank=0005 bank_kana='ミツビシユーエフジエイ' branch=001 branch_kana='ホンテン' \
	    account_type=1 account=1234567 >/dev/null
	denki-pay -c coop.yaml -m alice kana='ヤマダ　ハナコ' bank=0009 \
	    bank_kana='ミツイスミトモ' branch=123 account_type=1 account=7654321 >/dev/null
}

@test "pay: a Zengin file of 120-byte records: header, data, trailer, end; yen, half-width katakana" {
	community JPY
	zengin_details
	run -0 --separate-stderr denki-pay -c coop.yaml -P 2026-01 -f zengin -o jan.txt -d 2026-02-05
	# alice: 16190050 micro-yen -> 16 yen, 0.19005 carried
	assert_equal "$(jq -r 'select(.status == "credit") | "\(.participant) \(.amount)"' <<<"$output")" "alice 16000000"
	assert_equal "$(wc -c <jan.txt)" $((4 * 122))
	# each line 120 bytes and CR LF; record types 1 2 8 9
	assert_equal "$(tr -d '\r' <jan.txt | awk '{ print length($0) }' LC_ALL=C | sort -u)" 120
	assert_equal "$(cut -c1 jan.txt | tr -d '\n')" 1289
	# header: 1, 21 (総合振込), 0 (JIS), company code, name, MMDD, bank
	head -1 jan.txt | cut -c1-14 | grep -qx 12100000012345
	head -1 jan.txt | cut -b15-54 | iconv -f SHIFT_JIS -t UTF-8 | grep -qx 'ﾃﾞﾝｷｸﾐｱｲ *'
	assert_equal "$(head -1 jan.txt | cut -b55-62)" 02050005
	assert_equal "$(head -1 jan.txt | cut -b96-103)" 11234567
	# data: bank 0009, branch 123, account 1 7654321, name, 16 yen
	line=$(sed -n 2p jan.txt)
	assert_equal "${line:1:4}" 0009
	assert_equal "${line:20:3}" 123
	assert_equal "${line:38:4}" 0000
	assert_equal "${line:42:8}" 17654321
	assert_equal "$(printf %s "$line" | cut -b51-80 | iconv -f SHIFT_JIS -t UTF-8)" "ﾔﾏﾀﾞ ﾊﾅｺ$(printf '%22s' '')"
	assert_equal "${line:80:10}" 0000000016
	# trailer: 1 record, 16 yen
	assert_equal "$(sed -n 3p jan.txt | cut -b1-19)" 8000001000000000016
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	# a name longer than the data record's 30 characters: named, refused,
	# no file, nothing appended (alice's is owed again after a return)
	denki-pay -c coop.yaml -P 2026-01 -r alice >/dev/null
	denki-pay -c coop.yaml -m alice kana='ヤマダ ハナコ ト ヤマダ タロウ ノ ガクシュウジュク' >/dev/null
	cp ledger.jsonl before
	run -65 --separate-stderr denki-pay -c coop.yaml -P 2026-01 -f zengin -o again.txt
	assert_equal "$stderr" 'denki-pay: alice: kana: "ヤマダ ハナコ ト ヤマダ タロウ ノ ガクシュウジュク": longer than the 30 half-width characters the field has'
	[ ! -e again.txt ]
	cmp ledger.jsonl before
}

@test "pay: bank details checked when added: an IBAN with wrong check digits, a bad BIC, a character outside the Zengin set; the store stays as it was" {
	make_community
	denki-pay -c coop.yaml -m alice name=Alice iban=DE89370400440532013000 >/dev/null
	cp members.jsonl before
	# the last digit one more: the number checked (the BBAN, then DE89 as
	# 131489) grows by 10^6, which is 27 mod 97: 1 + 27
	run -65 --separate-stderr denki-pay -c coop.yaml -m alice iban=DE89370400440532013001
	assert_equal "$stderr" 'denki-pay: alice: iban: IBAN "DE89370400440532013001": wrong check digits (mod 97 is 28, not 1): a mistyped character?'
	run -65 --separate-stderr denki-pay -c coop.yaml -m alice iban=DE8937040044053201300
	assert_equal "$stderr" 'denki-pay: alice: iban: IBAN "DE8937040044053201300": an IBAN of DE has 22 characters, not 21'
	run -65 --separate-stderr denki-pay -c coop.yaml -m alice bic=COBADE
	assert_equal "$stderr" 'denki-pay: alice: bic: BIC "COBADE": must be 8 or 11 characters: bank (4 letters), country (2), location (2), branch (3, optional)'
	run -65 --separate-stderr denki-pay -c coop.yaml -m alice kana='山田'
	assert_equal "$stderr" 'denki-pay: alice: kana: "山田": "山" (U+5C71) is not in the Zengin character set: katakana, digits, capital letters, space and ( ) - . / , only'
	run -65 --separate-stderr denki-pay -c coop.yaml -m alice colour=red
	assert_equal "$stderr" "denki-pay: alice: colour: not a field of bank details (name, iban, bic, kana, bank, bank_kana, branch, branch_kana, account_type, account, company_code)"
	run -65 --separate-stderr denki-pay -c coop.yaml -m alice account=12345678
	assert_equal "$stderr" 'denki-pay: alice: account: must be 1 to 7 digits, got "12345678"'
	cmp members.jsonl before
	# a store others may read is refused: personal data
	chmod 644 members.jsonl
	run -77 --separate-stderr denki-pay -c coop.yaml -m bob name=Bob
	assert_equal "$stderr" "denki-pay: members.jsonl: mode 644: the member store holds personal data and must be readable by its owner only (chmod 600 members.jsonl)"
}

@test "pay: a member without bank details is listed as held, not paid, and paid by the next run once they are given" {
	community EUR
	denki-pay -c coop.yaml -m operator name='Solar Coop eG' iban=DE89370400440532013000 >/dev/null
	run -0 --separate-stderr denki-pay -c coop.yaml -P 2026-01 -f pain.001 -o jan.xml
	assert_equal "$(jq -r '"\(.participant) \(.status) \(.amount) \(.missing)"' <<<"$output")" \
	    "alice held 16190000 all
bob debit -10800000 null
carol debit -7440000 null"
	assert_equal "${stderr%%$'\n'*}" "denki-pay: alice: not paid: 16.19 EUR held for the next run; members.jsonl has no bank details of it for a pain.001 transfer (denki pay -m alice field=value)"
	[ ! -e jan.xml ]
	# the run is recorded: what bob and carol owe, alice held
	rec=$(jq -c 'select(.rec.type == "payment_run") | .rec' ledger.jsonl)
	assert_equal "$(jq -c '[.payments, .held, .file]' <<<"$rec")" '[[{"amount":-10800000,"participant":"bob"},{"amount":-7440000,"participant":"carol"}],["alice"],null]'
	denki-pay -c coop.yaml -m alice name=Alice iban=NL91ABNA0417164300 >/dev/null
	run -0 --separate-stderr denki-pay -c coop.yaml -P 2026-01 -f pain.001 -o jan.xml
	assert_equal "$(jq -r '"\(.participant) \(.status) \(.amount)"' <<<"$output")" "alice credit 16190000"
	xmllint --noout --schema "$XSD" jan.xml
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "pay: a second run for the same period pays nothing and appends nothing" {
	january
	cp ledger.jsonl before
	run -0 --separate-stderr denki-pay -c coop.yaml -P 2026-01 -f pain.001 -o jan2.xml
	assert_output ""
	assert_equal "$stderr" "denki-pay: nothing to transfer: no file written"
	[ ! -e jan2.xml ]
	cmp ledger.jsonl before
	# a run of a period that ends earlier is refused: runs go forward
	run -64 --separate-stderr denki-pay -c coop.yaml -P 2025-12 -f pain.001 -o dec.xml
	assert_equal "$stderr" "denki-pay: -P 2025-12: ends before the period of the last run (entry 45, to 2026-02-01T00:00:00+00:00): runs go forward"
	[ ! -e dec.xml ]
	cmp ledger.jsonl before
}

@test "pay: a payment the bank returned is recorded and paid again by the next run, once" {
	january
	run -0 --separate-stderr denki-pay -c coop.yaml -P 2026-01 -r alice
	# the run is the entry before the checkpoint before the return
	seq=$(jq -r 'select(.rec.type == "payment_run") | .seq' ledger.jsonl)
	assert_output "{\"amount\":16190000,\"participant\":\"alice\",\"period\":\"2026-01\",\"run\":$seq,\"type\":\"payment_return\",\"v\":1}"
	# returned once only
	run -65 --separate-stderr denki-pay -c coop.yaml -P 2026-01 -r alice
	assert_equal "$stderr" "denki-pay: alice: no payment run for 2026-01 paid it, or its payment was returned already"
	# bob's direct debit bounced too: he owes it again
	run -0 --separate-stderr denki-pay -c coop.yaml -P 2026-01 -r bob
	assert_equal "$(jq -r '"\(.participant) \(.amount)"' <<<"$output")" "bob -10800000"
	run -0 --separate-stderr denki-pay -c coop.yaml -P 2026-01 -f pain.001 -o again.xml
	assert_equal "$(jq -r '"\(.participant) \(.status) \(.amount)"' <<<"$output")" "alice credit 16190000
bob debit -10800000"
	xmllint --noout --schema "$XSD" again.xml
	run -0 --separate-stderr denki-pay -c coop.yaml -P 2026-01 -f pain.001 -o third.xml
	assert_output ""
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "pay: money that arrives after its period was paid (a later settlement of a January slot) is carried to the next run" {
	january
	# S4, the last slot of January, settled after January's run: alice
	# sells 100 Wh to bob at 20000000 (2000000, fee 100000), both
	# metered as contracted
	{
		order alice sell 100 20000000 $S4
		order bob buy 100 20000000 $S4
	} >late.jsonl
	denki-clear -c coop.yaml late.jsonl | denki-contract-sign -c coop.yaml >/dev/null
	{
		reading alice-m $S4 0 100
		reading bob-m $S4 100 0
		reading carol-m $S4 0 0
	} | denki-settle -c coop.yaml >/dev/null
	run -0 --separate-stderr denki-pay -c coop.yaml -P 2026-02 -f pain.001 -o feb.xml
	# alice: 2000000 + the 50 left over from January; nothing of it in
	# February's own slots.  bob: -2100000 - the 3000 left over.  carol:
	# the -7050 left over is under a cent: carried again, not listed.
	assert_equal "$(jq -r '"\(.participant) \(.status) \(.amount) \(.owed) \(.period_net)"' <<<"$output")" \
	    "alice credit 2000000 2000050 0
bob debit -2100000 -2103000 0"
	xmllint --noout --schema "$XSD" feb.xml
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "pay: an output that cannot be made, or a full disk: no file, no temporary file, nothing appended" {
	community EUR
	sepa_details
	cp ledger.jsonl before
	run -73 --separate-stderr denki-pay -c coop.yaml -P 2026-01 -f pain.001 -o nowhere/jan.xml
	assert_output ""
	assert_equal "$stderr" "denki-pay: nowhere/jan.xml: No such file or directory"
	cmp ledger.jsonl before
	# a bank file is never overwritten
	echo keep >jan.xml
	run -73 --separate-stderr denki-pay -c coop.yaml -P 2026-01 -f pain.001 -o jan.xml
	assert_equal "$(cat jan.xml)" keep
	cmp ledger.jsonl before
	DISK="$BATS_TEST_TMPDIR/disk"
	mkdir "$DISK"
	if ! mount -t tmpfs -o size=8k tmpfs "$DISK" 2>/dev/null; then
		DISK=
		skip "cannot mount a tmpfs here (needs root): the full-disk part did not run"
	fi
	head -c 8192 /dev/zero >"$DISK/filler" || true
	run -74 --separate-stderr denki-pay -c coop.yaml -P 2026-01 -f pain.001 -o "$DISK/jan.xml"
	assert_output ""
	assert_equal "$(ls "$DISK")" filler
	cmp ledger.jsonl before
	# room again: the run is made
	rm "$DISK/filler"
	run -0 --separate-stderr denki-pay -c coop.yaml -P 2026-01 -f pain.001 -o "$DISK/jan.xml"
	xmllint --noout --schema "$XSD" "$DISK/jan.xml"
}

# after every test: each pain.001 file it made is valid against the
# schema (the tests that look into a file check it there too)
teardown() {
	local f bad=0
	while IFS= read -r f; do
		head -c 5 "$f" | grep -q '^<?xml' || continue
		xmllint --noout --schema "$XSD" "$f" >/dev/null 2>&1 || {
			echo "teardown: $f: not valid against $XSD" >&2
			bad=1
		}
	done < <(find "$BATS_TEST_TMPDIR" -name '*.xml' -type f)
	if [ -n "${DISK:-}" ] && mountpoint -q "$DISK"; then
		umount "$DISK"
	fi
	return "$bad"
}

# forge TYPE FILTER: the operator rewrites the ledger line of the first
# record of TYPE by the jq FILTER (on the entry; "., ." writes it twice)
# and signs every link and checkpoint after it again, as it could holding
# its key: only the replay can tell
forge() {
	local n
	n=$(grep -n "\"type\":\"$1\"" ledger.jsonl | head -1 | cut -d: -f1)
	{
		head -n $((n - 1)) ledger.jsonl
		sed -n "${n}p" ledger.jsonl | jq -cS "$2"
		tail -n +$((n + 1)) ledger.jsonl
	} >edited.jsonl
	resign edited.jsonl "$n" >ledger.jsonl
}

@test "attack: operator edits a payment run to pay alice more than the ledger's transfers give her: ledger-verify refuses" {
	january
	seq=$(jq -r 'select(.rec.type == "payment_run") | .seq' ledger.jsonl)
	forge payment_run '.rec.payments[0].amount = 26190000'
	run -1 --separate-stderr denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --partial "payment_run (entry $seq): participant alice: it pays 26190000, but 16190050 is owed (16190000, rounded toward zero to the minor unit): paid twice, or more than the ledger's transfers give"
	# and denki-pay itself, reading the same ledger, makes no run on it
	cp ledger.jsonl before
	run -1 --separate-stderr denki-pay -c coop.yaml -P 2026-02 -f pain.001 -o feb.xml
	assert_equal "$stderr" "denki-pay: ledger.jsonl:$((seq + 1)): entry $seq: payment_run (entry $seq): participant alice: it pays 26190000, but 16190050 is owed (16190000, rounded toward zero to the minor unit): paid twice, or more than the ledger's transfers give"
	[ ! -e feb.xml ]
	cmp ledger.jsonl before
}

@test "attack: operator pays a period twice (a second payment run with the same payments): ledger-verify refuses" {
	january
	n=$(grep -n '"type":"payment_run"' ledger.jsonl | cut -d: -f1)
	# the run's line twice (the second is entry n)
	forge payment_run '., .'
	run -1 --separate-stderr denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --partial "payment_run (entry $n): participant alice: it pays 16190000, but 50 is owed (0, rounded toward zero to the minor unit): paid twice"
}

@test "attack: operator records a return the run never paid, to pay a member twice: ledger-verify refuses" {
	january
	denki-pay -c coop.yaml -P 2026-01 -r alice >/dev/null
	n=$(grep -n '"type":"payment_return"' ledger.jsonl | cut -d: -f1)
	forge payment_return '.rec.amount = 26190000'
	run -1 --separate-stderr denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --partial "payment_return (entry $((n - 1))): the run of entry"
	assert_output --partial "paid alice 16190000, not 26190000"
}

@test "pay: -h, the usage of denki-pay(1), bash and zsh completions, denki lists it" {
	run -0 --separate-stderr denki pay -h
	assert_equal "${lines[0]}" "usage: denki-pay [-n] [-c config] [-D key=value] -P period -f pain.001|zengin"
	run -64 --separate-stderr denki-pay -c coop.yaml -P 2026-01
	assert_equal "${stderr_lines[0]%% *}" "usage:"
	run -64 --separate-stderr denki-pay -c coop.yaml -P 2026-01 -f csv -o x
	assert_equal "${stderr_lines[0]}" "denki-pay: -f csv: must be pain.001 or zengin"
	run -64 --separate-stderr denki-pay -c coop.yaml -P 2026-01 -f zengin -o x -d 2026-02-30
	assert_equal "${stderr_lines[0]}" "denki-pay: -d 2026-02-30: must be a day, YYYY-MM-DD"
	run -0 --separate-stderr denki
	assert_line --regexp '^  pay +a payment run: bank files'
	comp() {
		bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
		    _denki; printf "%s\n" "${COMPREPLY[@]}"' _ \
		    "$TOP/completions/bash/denki" "$@"
	}
	run comp denki pay -f ''
	assert_output "pain.001
zengin"
	run comp denki-pay -c coop.yaml -m alice ib
	assert_output "iban="
	run comp denki-pay -D members.s
	assert_output "members.store="
	grep -q "'-f+\[the bank file" "$TOP/completions/zsh/_denki"
	grep -q "'pay:a payment run" "$TOP/completions/zsh/_denki"
}

@test "pay: a period as FROM..TO, and periods that are not" {
	community EUR
	sepa_details
	run -64 --separate-stderr denki-pay -c coop.yaml -P 2026-13 -f pain.001 -o x.xml
	assert_equal "$stderr" 'denki-pay: period "2026-13": must be a month (2016-07) or FROM..TO, each a month or a day (2016-07-01..2016-07-15)'
	run -64 --separate-stderr denki-pay -c coop.yaml -P 2026-02-30 -f pain.001 -o x.xml
	run -64 --separate-stderr denki-pay -c coop.yaml -P 2026-01-05..2026-01-01 -f pain.001 -o x.xml
	assert_equal "$stderr" 'denki-pay: period "2026-01-05..2026-01-01": ends before it starts'
	# the first day alone: S1 and S2 are in it
	run -0 --separate-stderr denki-pay -n -c coop.yaml -P 2026-01-01..2026-01-01 -f pain.001
	assert_equal "$(jq -r '"\(.participant) \(.amount) \(.period_net)"' <<<"$output")" "alice 16190000 16190050
bob -10800000 -10803000
carol -7440000 -7447050"
	# -n: nothing written
	[ -z "$(jq -c 'select(.rec.type == "payment_run")' ledger.jsonl)" ]
	# a period before the slots: nothing owed
	run -0 --separate-stderr denki-pay -c coop.yaml -P 2025-12-01..2025-12-31 -f pain.001 -o x.xml
	assert_output ""
}

@test "pay: the demo ends with both bank files in demo/ and says where they are" {
	run -0 --separate-stderr "$TOP/examples/demo.sh" demo
	assert_line --regexp '^pay +/.*/demo/pay-2016-07\.xml: [0-9]+ credit transfers?, [0-9]+\.[0-9]{2} EUR \(ISO 20022 pain\.001\.001\.03\);$'
	assert_line --regexp '^ +/.*/demo/jp/pay-2016-07\.txt: [0-9]+ credit transfers?, [0-9]+ JPY \(Zengin'
	xmllint --noout --schema "$XSD" demo/pay-2016-07.xml
	# the sum in the file is the sum of the run's credits in the ledger
	assert_equal "$(xmllint --xpath 'string(//*[local-name()="GrpHdr"]/*[local-name()="CtrlSum"])' demo/pay-2016-07.xml | tr -d .)" \
	    "$(jq -r 'select(.rec.type == "payment_run") | [.rec.payments[].amount | select(. > 0)] | add / 10000' demo/ledger.jsonl)"
	assert_equal "$(tr -d '\r' <demo/jp/pay-2016-07.txt | awk '{ print length($0) }' | sort -u)" 120
	assert_equal "$(sed -n '$p' demo/jp/pay-2016-07.txt | cut -c1)" 9
	# the trailer: the count of data records and the sum of their amounts
	# (bytes 81 to 90), and that sum is the run's credits in yen
	local sum
	sum=$(awk 'substr($0, 1, 1) == "2" { n++; s += substr($0, 81, 10) }
	    END { printf "8%06d%012d", n, s }' demo/jp/pay-2016-07.txt)
	[ "${sum:1:6}" -ge 2 ]
	assert_equal "$(grep -a '^8' demo/jp/pay-2016-07.txt | cut -b1-19)" "$sum"
	assert_equal "$((10#${sum:7}))" "$(jq -r 'select(.rec.type == "payment_run") | [.rec.payments[].amount | select(. > 0)] | add / 1000000' demo/jp/ledger.jsonl)"
	assert_equal "$(stat -c %a demo/members.jsonl)" 600
	run -0 denki-ledger-verify -p demo/operator.pub -O demo/ledger.jsonl.openings demo/ledger.jsonl
	run -0 denki-ledger-verify -p demo/jp/operator.pub -O demo/jp/ledger.jsonl.openings demo/jp/ledger.jsonl
}

@test "pay: without the cooperative's own account nothing is paid: 78, no file, nothing appended" {
	community JPY
	denki-pay -c coop.yaml -m alice kana='ヤマダ' bank=0009 branch=123 \
	    account_type=1 account=7654321 >/dev/null
	cp ledger.jsonl before
	run -78 --separate-stderr denki-pay -c coop.yaml -P 2026-01 -f zengin -o jan.txt
	assert_output ""
	assert_equal "$stderr" "denki-pay: members.jsonl: operator: no bank details, which a zengin file needs of the cooperative's account (denki pay -m operator field=value)"
	[ ! -e jan.txt ]
	cmp ledger.jsonl before
	# and a Zengin file from a ledger in euros is refused
	mkdir eur
	cd eur
	community EUR
	zengin_details
	run -65 --separate-stderr denki-pay -c coop.yaml -P 2026-01 -f zengin -o jan.txt
	assert_equal "$stderr" "denki-pay: a Zengin file pays yen; the ledger's currency is EUR"
	[ ! -e jan.txt ]
}
