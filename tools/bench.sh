#!/bin/sh
# make bench: figures, printed; never a pass/fail.  One slot's book of N
# signed orders from 1000 participants, through clear (which checks every
# signature), contract-sign and ledger-verify, beside the raw libsodium
# Ed25519 verification rate measured in the same run.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top:$PATH
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
raw=$("$top/tools/gen-book" -r)
echo "raw Ed25519 verify (libsodium, one core): $raw/s"
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
t() { date +%s.%N; }
for n in ${BENCH_SIZES:-10000 100000}; do
	"$top/tools/gen-book" "$dir" 1000 "$n"
	cd "$dir"
	a=$(t); denki-clear -c coop.yaml orders.jsonl >cleared.jsonl; b=$(t)
	c=$(secs "$a" "$b")
	a=$(t); denki-contract-sign -c coop.yaml cleared.jsonl >/dev/null; b=$(t)
	d=$(secs "$a" "$b")
	entries=$(wc -l <ledger.jsonl)
	a=$(t); denki-ledger-verify -q -p operator.pub ledger.jsonl; b=$(t)
	v=$(secs "$a" "$b")
	awk -v n="$n" -v c="$c" -v d="$d" -v v="$v" -v e="$entries" -v raw="$raw" 'BEGIN {
		printf "%7d orders: clear %6.2fs (%6.0f orders/s, %3.0f%% of raw verify)\n", n, c, n / c, 100 * n / c / raw
		printf "%7s         contract-sign %6.2fs (replays and signs)\n", "", d
		printf "%7s         ledger-verify %6.2fs for %d entries (%6.0f entries/s)\n", "", v, e, e / v
	}'
	cd "$top"
done
