#!/usr/bin/env bats
# denki-pay: payment runs from the ledger's transfers: ISO 20022 pain.001
# and Zengin bank files, what members owe, the payment_run record.

load test_helper

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
}
