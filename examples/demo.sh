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
echo "registry       $(denki registry -c coop.yaml list | wc -l) participants enrolled by their signed requests, keys in demo/*.pub, meter keys in demo/*-m.pub"
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
	net_dump readings >readings.jsonl
	net_report
else
	cat readings-*.jsonl | grep "\"slot\":\"${day}T" >readings.jsonl
fi
denki settle -c coop.yaml readings.jsonl >settlements.jsonl

denki report -H -p operator.pub ledger.jsonl
echo
printf 'verifier       '
# the readings are committed (denki(7), Privacy): the auditor's verdict,
# with the operator's store of their openings
denki ledger-verify -p operator.pub -O ledger.jsonl.openings ledger.jsonl
echo
[ -z "$net" ] || net_compare
# For the README's tour: alice's home (her meter data are household 4's).
cp "$top/examples/community/data/kn4.csv" data.csv
echo "left in demo${net:+-net}/: keys, coop.yaml, orders.jsonl, ledger.jsonl, operator.pub;"
echo "for the README's tour: home.yaml, data.csv, kept.note"
