#!/bin/sh
# tools/strategy-season.sh (make bench, part strategy): the six Konstanz
# homes of examples/community through the real pipeline for a few weeks,
# once for each of bid's strategies (fixed, ramp, learn), and a table of
# what each home's money came to under each, beside the same meters with
# no P2P market.  Each day: every home bids for the 48 slots of the next
# day at once (as examples/demo.sh does), from the readings up to the day
# before and, through bid.ledger, from what the ledger says happened to
# its orders so far; the cooperative clears, signs and settles the day.
#
# Data: the OPSD household files of the shared data collection
# ($DENKI_DATA/opsd_household, default ../shared/data beside the tree),
# DAYS days from START (default 21 from 2016-07-04, a summer of PV); with
# no such folder, the one day of examples/community/data (2016-07-05).
# Money is in EUR (the community's), from denki-report's statements:
# net is the sum of the home's settlements' net (P2P, the utility, fees
# and their tax; the membership fee, the same under every strategy, is
# billed apart and not in it), baseline the same meters with no P2P
# market.  The ramp and learn are bid's rules (denki-bid(1), STRATEGIES)
# at their defaults.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top:$PATH
export PATH
data=${DENKI_DATA:-$top/../shared/data}/opsd_household
start=${START:-2016-07-04}
days=${DAYS:-21}
homes="kn1 kn2 kn3 kn4 kn5 kn6"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# the CSV of each home: the data collection's rows from two days before
# the first day to the day after the last (UTC), or the bundled two days
if [ -d "$data" ]; then
	end=$(date -u -d "$start + $days days" +%F)
	from=$(date -u -d "$start - 2 days" +%F)
	n=1
	for h in $homes; do
		awk -F, -v a="$from" -v b="${end}T23" 'NR == 1 ||
		    ($1 >= a && $1 < b)' \
		    "$data/DE_KN_residential${n}_60min_cumulative_kWh.csv" \
		    >"$dir/$h.csv"
		n=$((n + 1))
	done
	src="$data, $days days from $start"
else
	start=2016-07-05
	days=1
	for h in $homes; do
		cp "$top/examples/community/data/$h.csv" "$dir/$h.csv"
	done
	src="examples/community/data (no $data), 1 day: $start"
fi
echo "strategy season: the six Konstanz homes, $src; bid's strategies side by side"

# season STRATEGY: the whole season in $dir/STRATEGY; the report's
# statements in $dir/STRATEGY.jsonl
season() {
	s=$1
	w=$dir/$s
	mkdir "$w"
	cp "$top"/examples/community/*.yaml "$top"/examples/community/terms.txt "$w/"
	(
	cd "$w"
	denki keygen operator >/dev/null
	denki keygen recovery >/dev/null
	for h in $homes; do
		denki keygen "$h" >/dev/null
		case $h in kn2|kn5) role=consumer ;; *) role=prosumer ;; esac
		denki registry request "$h" -s "$h.key" -m "$h-m" -z konstanz \
		    -r "$role" >"$h.enrol.json"
		denki registry -c coop.yaml add "$h.enrol.json" >/dev/null
		denki meter-read -c "$h.yaml" -D meter.sign=no "$dir/$h.csv" \
		    >"readings-$h.jsonl" 2>>meter-read.log
	done
	i=0
	while [ "$i" -lt "$days" ]; do
		d=$(date -d "$start + $i days" +%F)
		y=$(date -d "$d - 1 day" +%F)
		first=$(TZ=Europe/Berlin date -d "$d 00:00" +%FT%T%:z)
		: >orders.jsonl
		for h in $homes; do
			# the readings up to yesterday's end, then the day's 48
			# orders, priced from the memory the ledger gives
			grep -h "\"slot\":\"$y" "readings-$h.jsonl" |
			    denki bid -c "$h.yaml" -D bid.strategy="$s" \
			    ${ledger:+-l ledger.jsonl} -s "$first" -N 48 \
			    >>orders.jsonl 2>>bid.log
		done
		ledger=1
		denki clear -c coop.yaml orders.jsonl |
		    denki contract-sign -c coop.yaml >/dev/null
		for h in $homes; do
			grep -h "\"slot\":\"$d" "readings-$h.jsonl"
		done >day.jsonl
		denki settle -c coop.yaml -D settle.signed=registered \
		    day.jsonl >/dev/null 2>>settle.log
		i=$((i + 1))
	done
	denki report -p operator.pub ledger.jsonl >"$dir/$s.jsonl"
	denki ledger-verify -p operator.pub ledger.jsonl >/dev/null
	)
}

for s in fixed ramp learn; do
	a=$(date +%s)
	season "$s"
	echo "  $s: $(( $(date +%s) - a ))s, $(grep -c '"type":"order"' "$dir/$s/ledger.jsonl") orders, $(grep -c '"type":"contract"' "$dir/$s/ledger.jsonl") contracts, ledger verified"
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
