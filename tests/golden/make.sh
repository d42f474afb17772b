#!/bin/sh
# Made the golden files once (they are committed; the tests never run this):
#   cd tests/golden && sh make.sh
# Keys, a registry in three zones with two limited participants, order files
# signed with those keys (Ed25519 signatures are deterministic: the same
# keys sign the same bytes), and the expected output of denki-clear for each
# case, which a person checked (tests/golden.bats says what and how).
set -eu
TOP=$(cd ../.. && pwd)
PATH="$TOP:$PATH"
export LC_ALL=C
rm -f ./*.key ./*.pub ledger.jsonl ./*.out ./*.err
denki-keygen operator >/dev/null
printf 'Golden terms.\n' >terms.txt
for p in a1 a2 a3 a4 b1 b2 b3 b4 c1 c2 c3 c4; do
	denki-keygen "$p" >/dev/null
	case $p in a*) z=z1 ;; b*) z=z2 ;; c*) z=z3 ;; esac
	set --
	[ "$p" = a4 ] && set -- -w 3000
	[ "$p" = b4 ] && set -- -l 400000
	# (the committed ledger was made before members signed requests: its
	# participant records are of version 1, an old ledger that verifies)
	denki-registry request "$p" -s "$p.key" -m "$p-m" -z "$z" \
	    -t 2026-01-01T00:00:00Z >"$p.json"
	denki-registry -c coop.yaml add "$@" "$p.json" >/dev/null
	rm "$p.json"
done
# an empty slot signed into the ledger first, so that the ledger holds the
# rules (the fee counts in the limits as the rules in the ledger say)
denki-clear -c coop.yaml -s 2026-01-01T09:00:00+00:00 </dev/null |
    denki-contract-sign -c coop.yaml >/dev/null
sign() { "$TOP/tests/unit/sign-record" "$1.key"; }
o() {	# PARTICIPANT SIDE WH PRICE
	printf '{"type":"order","v":1,"participant":"%s","slot":"2026-01-01T10:00:00+00:00","side":"%s","wh":%s,"price":%s}\n' \
	    "$1" "$2" "$3" "$4" | sign "$1"
}
# one zone's worth of trading: levels with ties, a partial level
{
	o a1 sell 1200 110000; o a2 sell 800 120000; o b1 sell 700 120000
	o b2 sell 900 160000; o c1 sell 500 95000;  o c2 sell 400 210000
	o a3 buy 600 250000;   o b3 buy 1000 180000; o c3 buy 900 180000
	o c4 buy 300 140000;   o b4 buy 500 125000;  o a4 buy 800 230000
} >book.jsonl
# zones: z1 cheap sellers, z3 dear buyers, the link z1-z2 binds
{
	o a1 sell 2000 100000; o a2 sell 1500 105000; o a3 sell 900 150000
	o b1 sell 600 170000;  o b2 buy 700 240000;   o b3 buy 400 160000
	o c1 buy 1500 260000;  o c2 buy 1000 230000;  o c3 sell 300 200000
	o c4 buy 800 190000
} >zonal.jsonl
# limits: a4 may put 3000 Wh a slot in orders, b4 owe 400000 a day
{
	o a4 buy 2000 200000; o a4 buy 1500 210000; o a4 buy 900 190000
	o b4 buy 1000 180000; o b4 buy 1000 200000; o b4 buy 300 150000
	o a1 sell 2500 120000; o c1 sell 2000 140000; o b1 sell 400 100000
} >limits.jsonl
for m in uniform pay-as-bid mid-market mcafee; do
	denki-clear -c coop.yaml -D mechanism=$m book.jsonl >book-$m.out
done
denki-clear -c zonal.yaml zonal.jsonl >zonal.out
denki-clear -k -c coop.yaml limits.jsonl >limits.out 2>limits.err || true
