#!/bin/sh
# tools/strategy-season.sh (make bench, part strategy): the six Konstanz
# homes of examples/community through the real pipeline for a few weeks,
# once for each of bid's strategies (fixed, ramp, learn), and a table of
# what each home's money came to under each, beside the same meters with
# no P2P market.  The runs are denki-simulate's (denki-simulate(1)): each
# day every home bids for the 48 slots of the next day at once, from the
# readings up to the day before and, through bid.ledger, from what the
# run's ledger says happened to its orders so far; the cooperative clears,
# signs and settles the day.  The community is examples/community's, its
# homes given bid.ledger (the run's ledger, beside their folder homes/).
#
# Data: three weeks of July 2016 of the six homes bundled in
# tests/data/season (see tests/data/SOURCES.md), or with DENKI_DATA the
# OPSD household files of the shared data collection
# ($DENKI_DATA/opsd_household); DAYS days from START (default 21 from
# 2016-07-04, a summer of PV; the bundled slice ends on 2016-07-26).
# Money is in EUR (the community's), from denki-report's statements of
# each run's ledger: net is the sum of the home's settlements' net (P2P,
# the utility, fees and their tax; the membership fee, the same under
# every strategy, is billed apart and not in it), baseline the same meters
# with no P2P market.  The ramp and learn are bid's rules (denki-bid(1),
# STRATEGIES) at their defaults.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top:$PATH
export PATH
data=${DENKI_DATA:+$DENKI_DATA/opsd_household}
start=${START:-2016-07-04}
days=${DAYS:-21}
homes="kn1 kn2 kn3 kn4 kn5 kn6"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
c=$dir/community
mkdir -p "$c/data" "$dir/runs"
cp "$top"/examples/community/*.yaml "$top"/examples/community/terms.txt "$c/"

# each home's data: the collection's rows from two days before the first
# day to the day after the last (UTC), of the bundled slice or the collection
end=$(date -u -d "$start + $days days" +%F)
from=$(date -u -d "$start - 2 days" +%F)
n=1
for h in $homes; do
	if [ -n "$data" ]; then
		cat "$data/DE_KN_residential${n}_60min_cumulative_kWh.csv"
	else
		xz -dc "$top/tests/data/season/kn$n.csv.xz"
	fi | awk -F, -v a="$from" -v b="${end}T23" 'NR == 1 ||
	    ($1 >= a && $1 < b)' >"$c/data/$h.csv"
	n=$((n + 1))
done
src="${data:-tests/data/season}, $days days from $start"
for h in $homes; do
	if grep -q '^bid:' "$c/$h.yaml"; then
		sed -i '/^bid:/a\  ledger: ../ledger.jsonl' "$c/$h.yaml"
	else
		printf 'bid:\n  ledger: ../ledger.jsonl\n' >>"$c/$h.yaml"
	fi
done
echo "strategy season: the six Konstanz homes, $src; bid's strategies side by side (denki-simulate)"

for s in fixed ramp learn; do
	printf 'community: community\nstart: %s\ndays: %s\nhomes: [%s]\nstrategy: %s\n' \
	    "$start" "$days" "$(echo $homes | sed 's/ /, /g')" "$s" \
	    >"$dir/$s.yaml"
	denki simulate -q -d "$dir/runs" "$dir/$s.yaml" >"$dir/$s.sim"
	r=$dir/runs/$s
	denki report -p "$r/operator.pub" "$r/ledger.jsonl" >"$dir/$s.jsonl"
	denki ledger-verify -p "$r/operator.pub" "$r/ledger.jsonl" >/dev/null
	jq -r '"  \(.scenario): \(.ms / 1000 | floor)s, \(.orders) orders, \(.contracts) contracts, self-sufficiency \(.self_sufficiency_bp / 100)%, P2P share \(.p2p_share_bp / 100)%, imbalance \(.imbalance_wh / 1000 | floor) kWh; ledger verified"' "$dir/$s.sim"
done

# the table: each home's net under each strategy, in EUR, and what it
# saved against no P2P market
for s in fixed ramp learn; do
	jq -r --arg s "$s" 'select(.type == "statement") |
	    "\(.participant) \($s) \(.net) \(.baseline)"' "$dir/$s.jsonl"
	jq -r --arg s "$s" 'select(.type == "summary") |
	    "~matched \($s) \(.matched_wh) \(.avg_price // 0)"' "$dir/$s.jsonl"
done | awk '
	function eur(m) { return sprintf("%.2f", m / 1e6) }
	$1 == "~matched" { wh[$2] = $3; avg[$2] = $4; next }
	{ net[$1, $2] = $3; base[$1] = $4; seen[$1] = 1 }
	END {
		printf "  %-6s %10s %10s %10s %10s   %s\n", "home", "no P2P",
		    "fixed", "ramp", "learn", "saved: fixed ramp learn"
		n = split("kn1 kn2 kn3 kn4 kn5 kn6", h, " ")
		for (i = 1; i <= n; i++) {
			if (!seen[h[i]])
				continue
			printf "  %-6s %10s %10s %10s %10s   %s %s %s\n", h[i],
			    eur(base[h[i]]), eur(net[h[i], "fixed"]),
			    eur(net[h[i], "ramp"]), eur(net[h[i], "learn"]),
			    eur(net[h[i], "fixed"] - base[h[i]]),
			    eur(net[h[i], "ramp"] - base[h[i]]),
			    eur(net[h[i], "learn"] - base[h[i]])
			for (s in wh) {
				tot[s] += net[h[i], s] - base[h[i]]
			}
		}
		printf "  %-6s %10s %10s %10s %10s   %s %s %s\n", "all", "",
		    "", "", "", eur(tot["fixed"]), eur(tot["ramp"]),
		    eur(tot["learn"])
		printf "  (EUR over the season: net received less paid; saved = net - no P2P)\n"
		printf "  matched kWh and mean P2P price (EUR/kWh): fixed %.1f at %.4f, ramp %.1f at %.4f, learn %.1f at %.4f\n",
		    wh["fixed"] / 1000, avg["fixed"] / 1e6, wh["ramp"] / 1000,
		    avg["ramp"] / 1e6, wh["learn"] / 1000, avg["learn"] / 1e6
	}'
