#!/bin/sh
# make bench: figures, printed; never a pass/fail.
#  1. One slot's book of N signed orders from 1000 participants (10k, 100k
#     and 1M): the time to parse the file with jansson; clear without
#     signature checks (-S) beside it; clear checking every signature on
#     every core, beside the raw rate; contract-sign.
#  2. A ledger of about a million entries (BENCH_LEDGER_ORDERS orders over
#     1000 slots, with their clearings, contracts and checkpoints) verified
#     with -t 1 and -t CORES, beside the raw libsodium Ed25519
#     verification rate measured in the same run.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top:$PATH
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cores=$(nproc)
raw=$("$top/tools/gen-book" -r)
echo "raw Ed25519 verify (libsodium, one core): $raw/s; cores: $cores"
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
t() { date +%s.%N; }
# clear against the floor: parsing the same file with jansson, in the
# same run; then with every signature checked, on every core.
for n in ${BENCH_SIZES:-10000 100000 1000000}; do
	"$top/tools/gen-book" "$dir" 1000 "$n"
	cd "$dir"
	p=$("$top/tools/gen-book" -p orders.jsonl | cut -d' ' -f1)
	a=$(t); denki-clear -S -c coop.yaml orders.jsonl >/dev/null; b=$(t)
	s=$(secs "$a" "$b")
	a=$(t); denki-clear -c coop.yaml orders.jsonl >cleared.jsonl; b=$(t)
	c=$(secs "$a" "$b")
	a=$(t); denki-contract-sign -c coop.yaml cleared.jsonl >/dev/null; b=$(t)
	d=$(secs "$a" "$b")
	awk -v n="$n" -v p="$p" -v s="$s" -v c="$c" -v d="$d" -v raw="$raw" -v cores="$cores" 'BEGIN {
		printf "%7d orders: jansson parse %6.2fs; clear -S (signatures checked upstream) %6.2fs = %.2f x parse\n", n, p, s, s / p
		printf "%7s         clear, every signature checked on %d cores: %6.2fs, %6.0f orders/s = %3.0f%% of raw x %d\n", "", cores, c, n / c, 100 * n / c / (raw * cores), cores
		printf "%7s         contract-sign %6.2fs (checks, replays and signs)\n", "", d
	}'
	cd "$top"
done

orders=${BENCH_LEDGER_ORDERS:-640000}
echo "building a ledger from $orders orders over 1000 slots ..."
"$top/tools/gen-book" "$dir" 1000 "$orders" 1000
cd "$dir"
denki-clear -c coop.yaml orders.jsonl >cleared.jsonl
denki-contract-sign -c coop.yaml cleared.jsonl >/dev/null
entries=$(wc -l <ledger.jsonl)
# The raw rate next to each verification, just before and just after it
# (this machine's speed varies from minute to minute; their mean is the
# rate the run is compared with), and with every core verifying at once.
rawn=$("$top/tools/gen-book" -r "$cores")
echo "raw Ed25519 verify on $cores threads at once: $rawn/s ($(uptime | sed 's/.*load/load/'))"
for th in 1 "$cores"; do
	r1=$("$top/tools/gen-book" -r)
	a=$(t)
	denki-ledger-verify -j -t "$th" -p operator.pub ledger.jsonl >verdict.json
	b=$(t)
	r2=$("$top/tools/gen-book" -r)
	v=$(secs "$a" "$b")
	sigs=$(sed 's/.*"signatures":\([0-9]*\).*/\1/' verdict.json)
	awk -v th="$th" -v v="$v" -v e="$entries" -v s="$sigs" -v r1="$r1" \
	    -v r2="$r2" -v rawn="$rawn" -v cores="$cores" 'BEGIN {
		raw = (r1 + r2) / 2
		printf "ledger-verify -t %d (%d signature thread(s) beside the one that reads and replays; %d cores): %d entries, %d signatures (orders and checkpoints) in %.2fs\n", th, th, cores, e, s, v
		printf "    raw Ed25519 verify on one core: %d/s before, %d/s after\n", r1, r2
		printf "    %.0f entries/s = %.0f%% of raw x %d (%.2f signatures an entry)\n", e / v, 100 * e / v / (raw * cores), cores, s / e
		printf "    %.0f signatures/s = %.0f%% of raw x %d\n", s / v, 100 * s / v / (raw * cores), cores
		if (th == cores)
			printf "    target (issue 3 item 8): entries/s >= 85%% of raw x %d: %s\n", cores, (e / v >= 0.85 * raw * cores) ? "met" : "NOT met"
	}'
done
