#!/bin/sh
# make demo: one day of trading in the six-household Konstanz community,
# from meter data to a verified ledger.  Everything it makes is in demo/,
# or in DIR (which must not exist yet) with examples/demo.sh DIR; with it
# the files the README's tour uses: home.yaml, data.csv, kept.note.
# make demo-net (examples/demo.sh -n [DIR], in demo-net/): the same day
# with the orders and readings carried by denki-submit to denki-intake,
# a CGI program behind lighttpd on 127.0.0.1, and the cooperative taking
# each slot's book and readings from its inbox; the clocks of both sides
# are set with faketime to when each would run (the day before, for the
# orders; the day after, for the readings).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
net=
if [ "${1-}" = -n ]; then
	net=1
	shift
fi
if [ $# -gt 0 ]; then
	mkdir "$1"
	out=$(cd "$1" && pwd)
else
	out=$top/demo${net:+-net}
	rm -rf "$out"
	mkdir "$out"
fi
PATH=$top:$PATH
export PATH
day=2016-07-05
first="${day}T00:00:00+02:00"
homes="kn1 kn2 kn3 kn4 kn5 kn6"

cp "$top"/examples/community/*.yaml "$top"/examples/community/terms.txt \
    "$out/"
cd "$out"

echo "denki demo: the Konstanz community (OPSD household data, CC BY 4.0),"
echo "trading day $day, 48 slots of 30 minutes, prices in EUR"
echo

# day [quiet]: the cooperative's day in the current folder, from its
# configuration there: keys, registry, readings, orders, clearing,
# contracts, settlement.
day() {
quiet=${1-}
# Keys and the registry: each change a signed ledger entry.  The recovery
# key (coop.yaml's recovery_key) is the second authority, beside the
# operator, for a member's lost key; the genesis names it.  Each household
# makes its enrolment request on its own machine, signed with its own key
# (NAME.enrol.json); the operator appends it.  Each home's
# meter signs its readings with a device key of its own, which meter-read
# makes on its first run (-P makes it and prints its public half, also in
# NAME-m.pub); the request names it for the meter (-M), and settle takes
# only readings that key signed (settle.signed: required).
denki keygen -C "denki demo operator" operator >/dev/null
denki keygen -C "denki demo recovery key" recovery >/dev/null
for h in $homes; do
	denki keygen "$h" >/dev/null
	denki meter-read -c "$h.yaml" -P >/dev/null 2>>meter-read.log
	case $h in kn2|kn5) role=consumer ;; *) role=prosumer ;; esac
	denki registry request "$h" -s "$h.key" -m "$h-m" -M "$h-m=$h-m.pub" \
	    -z konstanz -r "$role" >"$h.enrol.json"
	denki registry -c coop.yaml add "$h.enrol.json" >/dev/null
done
[ -n "$quiet" ] || echo "registry       $(denki registry -c coop.yaml list | wc -l) participants enrolled by their signed requests, keys in demo/*.pub, meter keys in demo/*-m.pub"
# the intake key that signs the receipts of denki intake, named in the
# ledger with the gate closure (make demo-net sends the orders through it)
denki keygen -C "denki demo intake key" intake >/dev/null
denki intake -c coop.yaml --publish >/dev/null
[ -z "$net" ] || . "$top/examples/demo-net.sh"
# The checkpoint a member keeps, to check later that the log only grew.
denki ledger-proof -c coop.yaml checkpoint >kept.note

# Each household: its meter's two days (yesterday is the forecast), signed
# with the meter's key, then the orders for every slot of the trading day,
# signed with its own.
: >orders.jsonl
for h in $homes; do
	denki meter-read -c "$h.yaml" "$top/examples/community/data/$h.csv" \
	    >"readings-$h.jsonl" 2>>meter-read.log
	if [ -n "$net" ]; then
		# the day before, at noon: each home's orders to the intake
		denki bid -c "$h.yaml" -s "$first" -N 48 "readings-$h.jsonl" \
		    2>>bid.log | tee -a orders-bid.jsonl |
		    net_submit "$orders_time" "$h" orders
	else
		denki bid -c "$h.yaml" -s "$first" -N 48 "readings-$h.jsonl" \
		    >>orders.jsonl 2>>bid.log
	fi
done
# the cooperative at gate closure: each slot's book from its inbox
[ -z "$net" ] || net_dump orders >orders.jsonl

# The cooperative: gate closure for every slot, then settlement.
denki clear -c coop.yaml orders.jsonl >cleared.jsonl
denki contract-sign -c coop.yaml cleared.jsonl >contracts.jsonl
if [ -n "$net" ]; then
	# the day after: each home's readings of the day to the intake, and
	# the cooperative's readings from its inbox
	for h in $homes; do
		grep "\"slot\":\"${day}T" "readings-$h.jsonl" |
		    net_submit "$readings_time" "$h" readings
	done
	net_dump readings >all-readings.jsonl
	net_report
else
	cat readings-*.jsonl | grep "\"slot\":\"${day}T" >all-readings.jsonl
fi
# kn5's meter is silent for two slots, 18:00 and 18:30: the run is past
# their deadline (settle.deadline_minutes after each slot's end), so it
# settles them without it, kn5 provisionally on its contracts; when the
# two readings come, the next run trues kn5 up at the slots' prices
# (denki-formats(5), Provisional settlement).  In make demo-net the two
# readings did reach the inbox; the cooperative holds them back from the
# first run, to show the same.
awk -v d="$day" 'index($0, "\"meter\":\"kn5-m\"") &&
    (index($0, "\"slot\":\"" d "T18:00:00") ||
    index($0, "\"slot\":\"" d "T18:30:00"))' all-readings.jsonl >late.jsonl
grep -vxF -f late.jsonl all-readings.jsonl >readings.jsonl
denki settle -c coop.yaml readings.jsonl >settlements.jsonl 2>settle.log
denki settle -c coop.yaml late.jsonl >trueups.jsonl 2>>settle.log
[ -n "$quiet" ] && return 0
echo "settlement     $(grep -c '"type":"settlement"' settlements.jsonl) member-slots settled in 48 slots; kn5's meter silent for $(wc -l <late.jsonl) of them:"
jq -r 'select(.provisional) | "               \(.slot): \(.participant) settled provisionally on its contracts (\(.bought_wh) Wh bought, deviation 0), no reading of \(.provisional | join(" "))"' settlements.jsonl
echo "true-up        the $(wc -l <late.jsonl) readings come late; the next run trues kn5 up:"
jq -r 'select(.type == "trueup") | "               \(.slot): \(.participant) metered a deviation of \(.deviation_wh) Wh: \(if .net < 0 then "pays the utility \(-.net) micro-EUR" else "gets \(.net) micro-EUR from the utility" end) (transfer reason trueup)"' trueups.jsonl
echo

}
day

# A halted hour (denki-halt(1)), in a ledger of its own (halt/): the same
# day, with kn1-kn3 on feeder Nord, its clocks set with faketime to when
# each step would run, since a halt's window may not be in the past: gate
# closure the evening before, then at 11:50 the operator halts zone nord
# from 12:00 to 13:00; nord's contracts in that hour are cancelled, and
# settle leaves them out (their energy goes to and from the utility).
lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
if [ -n "$lib" ] && [ -z "$net" ]; then
	mkdir halt
	cp coop.yaml terms.txt operator.key operator.pub recovery.pub halt/
	(
	cd halt
	ft() { t=$1; shift; FAKETIME="$t" LD_PRELOAD="$lib" TZ=UTC \
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" "$@"; }
	for h in $homes; do
		ft '2016-07-04 20:00:00' denki registry -c coop.yaml add "../$h.enrol.json"
	done >/dev/null
	for h in kn1 kn2 kn3; do
		ft '2016-07-04 20:00:00' denki registry -c coop.yaml update "$h" -z nord
	done >/dev/null
	ft '2016-07-04 22:00:00' denki clear -c coop.yaml ../orders.jsonl >cleared.jsonl
	ft '2016-07-04 22:00:00' denki contract-sign -c coop.yaml cleared.jsonl >/dev/null
	ft '2016-07-05 09:50:00' denki halt -c coop.yaml -z nord \
	    --from "${day}T12:00:00+02:00" --until "${day}T13:00:00+02:00" \
	    -m "feeder fault in Nord" >halt.jsonl 2>halt.log
	ft '2016-07-06 01:00:00' denki settle -c coop.yaml ../all-readings.jsonl >/dev/null 2>settle.log
	echo "halt           $out/halt/: zone nord (kn1-kn3) halted 12:00-13:00 by the operator, a feeder fault;"
	jq -r 'select(.type == "cancel") | "               \(.slot): contract \(.seller) -> \(.buyer), \(.wh) Wh cancelled (halt at entry \(.halt))"' halt.jsonl
	printf '               '
	denki ledger-verify -p operator.pub -O ledger.jsonl.openings ledger.jsonl
	)
	echo
fi
# A dispute (denki-dispute(1)): kn2 claims against its first contract;
# rita, a reviewer (scope 1 EUR) enrolled by her signed request, upholds
# it, and the seller pays kn2 back 0.02 EUR, a transfer of reason dispute
# that July's statements and payment run count.  The mediator's evidence
# (inclusion proofs, the two parties' readings opened) checks offline.
denki keygen -C "denki demo reviewer" rita >/dev/null
denki registry request rita -s rita.key -r reviewer >rita.enrol.json
denki registry -c coop.yaml add -S 1000000 rita.enrol.json >/dev/null
c=$(jq 'select(.rec.type == "contract" and .rec.buyer == "kn2") | .seq' ledger.jsonl | head -n 1)
seller=$(jq -r "select(.seq == $c) | .rec.seller" ledger.jsonl)
denki dispute -c coop.yaml open -k kn2.key -m "my meter saw less than I bought" \
    "$c" >dispute.jsonl 2>dispute.log
d=$(jq 'select(.rec.type == "dispute") | .seq' ledger.jsonl | tail -n 1)
denki dispute -c coop.yaml resolve -k rita.key --upheld -m "short delivery" \
    --transfer "$seller:kn2:20000" "$d" >>dispute.jsonl 2>>dispute.log
denki dispute -c coop.yaml bundle -o "dispute-$d" "$d" 2>>dispute.log
echo "dispute        kn2 against contract $c ($seller's): upheld by reviewer rita, $seller pays kn2 0.02 EUR;"
echo "               the evidence in $out/dispute-$d: $(denki dispute verify "dispute-$d" | sed 's/.*: OK: \([0-9]* entries\).*/\1 proved, OK/')"
echo

# Payment runs for July (denki-pay(1)): each member's balance netted over
# the month, one payment a member.  The bank details are the operator's
# member store (members.jsonl, mode 0600), never the ledger.  The IBANs
# are made up, with their right check digits (ISO 7064 mod 97-10).
iban_de() {
	# DE, check digits, the bank code (8 digits) and the account (10)
	echo "$1$2" | awk '{ s = $0 "131400"; r = 0
	    for (i = 1; i <= length(s); i++) r = (r * 10 + substr(s, i, 1)) % 97
	    printf "DE%02d%s\n", 98 - r, $0 }'
}
denki pay -c coop.yaml -m operator name='Energiegenossenschaft Konstanz eG' \
    iban="$(iban_de 69050000 0000012345)" >/dev/null
n=1
for h in $homes; do
	denki pay -c coop.yaml -m "$h" name="Household $n" \
	    iban="$(iban_de 69050000 000000100$n)" >/dev/null
	n=$((n + 1))
done
echo
denki pay -c coop.yaml -P 2016-07 -f pain.001 -o pay-2016-07.xml \
    -d 2016-08-01 >payments.jsonl 2>pay.log
# checked against the ISO 20022 schema, as a bank would, where the tree
# has it and xmllint is installed
xsd=$top/tests/fixtures/iso20022/pain.001.001.03.xsd
if command -v xmllint >/dev/null 2>&1 && [ -f "$xsd" ]; then
	xmllint --noout --schema "$xsd" pay-2016-07.xml 2>>pay.log
fi
echo "pay            $out/pay-2016-07.xml: $(sed -n 's/^denki-pay: pay-2016-07.xml: //p' pay.log) (ISO 20022 pain.001.001.03);"
echo "               $(grep -c '"debit"' payments.jsonl) members owe the cooperative ($out/payments.jsonl)"

# The same day for a cooperative that settles in yen, whose bank takes the
# Zengin (全銀) file of 総合振込: in demo/jp.
mkdir jp
for f in coop.yaml terms.txt $(for h in $homes; do echo "$h.yaml"; done); do
	sed 's/^currency: EUR/currency: JPY/; s/retail: 290000 .*/retail: 31000000/;
	    s/buyback: 123000 .*/buyback: 8500000/; s/fee: 5000 .*/fee: 500000/;
	    s/^  retail: 290000$/  retail: 31000000/; s/^  buyback: 123000$/  buyback: 8500000/;
	    s/^  fee: 5000$/  fee: 500000/; s/konstanz.denki.example/jp.denki.example/' \
	    "$f" >"jp/$f"
done
(
	cd jp
	net=
	day quiet
	denki pay -c coop.yaml -m operator kana='デンキクミアイ' \
	    company_code=0000012345 bank=0001 bank_kana='ミズホ' branch=001 \
	    branch_kana='ホンテン' account_type=1 account=1234567 >/dev/null
	n=1
	for k in ヤマダ タナカ スズキ サトウ ワタナベ イトウ; do
		denki pay -c coop.yaml -m "kn$n" kana="$k ハナコ" bank=0009 \
		    branch=12$n account_type=1 account=765432$n >/dev/null
		n=$((n + 1))
	done
	denki pay -c coop.yaml -P 2016-07 -f zengin -o pay-2016-07.txt \
	    -d 2016-08-01 >payments.jsonl 2>pay.log
)
echo "               $out/jp/pay-2016-07.txt: $(sed -n 's/^denki-pay: pay-2016-07.txt: //p' jp/pay.log) (Zengin 総合振込, 120-byte records)"
echo
# Expert review (denki-formats(5), Expert review), in demo/review: three of
# the households trade the same day in a community with a reviewer, rita
# (role reviewer, scope 2 EUR); a trade worth more than review.value waits
# for her as a pending record until she approves it (its contract
# follows) or its deadline, 15 minutes before its slot, passes.  Deadlines
# are before delivery, so this cooperative works on the evening before
# (its clock set by libfaketime, where installed: tools/deps.sh demo).
flib=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
if [ -n "$flib" ]; then
	mkdir review
	cp coop.yaml terms.txt kn1.yaml kn2.yaml kn4.yaml review/
	printf 'review:\n  value: 50000\n  lead_minutes: 15\n' >>review/coop.yaml
	(
	cd review
	clock() { t=$1; shift; FAKETIME="$t" LD_PRELOAD="$flib" TZ=UTC \
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" "$@"; }
	for k in operator recovery rita kn1 kn2 kn4; do denki keygen "$k" >/dev/null; done
	for h in kn1 kn2 kn4; do
		denki meter-read -c "$h.yaml" -P >/dev/null 2>>meter-read.log
		case $h in kn2) role=consumer ;; *) role=prosumer ;; esac
		denki registry request "$h" -s "$h.key" -m "$h-m" -M "$h-m=$h-m.pub" \
		    -z konstanz -r "$role" -t 2016-07-04T18:00:00Z >"$h.enrol.json"
		clock '2016-07-04 18:00:00' denki registry -c coop.yaml add "$h.enrol.json" >/dev/null
		denki meter-read -c "$h.yaml" "$top/examples/community/data/$h.csv" \
		    >"readings-$h.jsonl" 2>>meter-read.log
		denki bid -c "$h.yaml" -s "$first" -N 48 "readings-$h.jsonl" \
		    >>orders.jsonl 2>>bid.log
	done
	denki registry request rita -s rita.key -r reviewer -t 2016-07-04T18:00:00Z >rita.enrol.json
	clock '2016-07-04 18:00:00' denki registry -c coop.yaml add -S 2000000 rita.enrol.json >/dev/null
	denki clear -c coop.yaml orders.jsonl >cleared.jsonl
	clock '2016-07-04 20:00:00' denki contract-sign -c coop.yaml cleared.jsonl >signed.jsonl 2>contract-sign.log
	clock '2016-07-04 20:30:00' denki review -c coop.yaml >queue.jsonl
	id=$(jq -rs 'max_by(.value) | .id' queue.jsonl)
	clock '2016-07-04 20:30:00' denki review -c coop.yaml approve "$id" -k rita.key \
	    -m "the largest trade of the day; both meters sign their readings" >approved.jsonl
	cat readings-*.jsonl | grep "\"slot\":\"${day}T" >readings.jsonl
	clock '2016-07-06 12:00:00' denki settle -c coop.yaml readings.jsonl >settlements.jsonl 2>settle.log
	echo "review         $(wc -l <queue.jsonl) trades worth more than 0.05 EUR held for review (demo/review);"
	jq -rs 'max_by(.value) | "               rita approved the largest, \(.seller) to \(.buyer), \(.wh) Wh at \(.slot), \(.value) micro-EUR:"' queue.jsonl
	echo "               her signed decision, then its contract; $(($(wc -l <queue.jsonl) - 1)) expired undecided at the deadline"
	printf '               '
	denki ledger-verify -p operator.pub -O ledger.jsonl.openings ledger.jsonl
	)
	echo
fi

denki report -H -p operator.pub ledger.jsonl
echo
printf 'verifier       '
# the readings are committed (denki(7), Privacy): the auditor's verdict,
# with the operator's store of their openings
denki ledger-verify -p operator.pub -O ledger.jsonl.openings ledger.jsonl
echo
[ -z "$net" ] || net_compare
# Statements people read, from the ledger alone: each household's month
# as text (for mail) and as a page with charts (to print), and the
# community's; --pdf prints a page to PDF where Chromium is installed.
month=${day%-*}
for h in $homes; do
	denki statement -c coop.yaml -m "$h" -P "$month" >"statement-$h.txt"
	denki statement -c coop.yaml -m "$h" -P "$month" -f html \
	    >"statement-$h.html"
done
denki statement -c coop.yaml --community -P "$month" >statement-community.txt
denki statement -c coop.yaml --community -P "$month" -f html \
    >statement-community.html
# a day's statement goes slot by slot: alice's (kn4's) trading day
denki statement -c coop.yaml -m kn4 -P "$day" -f html >statement-kn4-day.html
sed -n '/^Community/,/^$/p' statement-community.txt
echo "statements     $out/statement-kn1.txt .. statement-kn6.txt and .html,"
echo "               $out/statement-community.txt and .html,"
echo "               $out/statement-kn4-day.html (slot by slot)"
echo
# The day's KPIs beside their targets and each member's credit score, from
# the ledger alone (denki-kpi(1)); make demo-net gives the homes' receipts.
# The demo replays a day of 2016 on today's clock: the checkpoint times
# bound each step by years, so the time limits are missed, and kpi says so
# with its exit status 1.
rs=
[ -z "$net" ] || for f in receipts-*.orders.jsonl; do rs="$rs -R $f"; done
denki kpi -c coop.yaml -P "$day" $rs || { [ $? -eq 1 ] &&
    echo "(a day of 2016 replayed on today's clock: its checkpoint times bound each step by years)"; }
echo
denki kpi -c coop.yaml --credit
echo
# For the README's tour: alice's home (her meter data are household 4's).
cp "$top/examples/community/data/kn4.csv" data.csv
echo "left in demo${net:+-net}/: keys, coop.yaml, orders.jsonl, ledger.jsonl, operator.pub;"
echo "for the README's tour: home.yaml, data.csv, kept.note"
