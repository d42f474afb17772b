#!/bin/sh
# make bench: figures, printed; never a pass/fail.
#  0. N members (10k, 100k and 1M), each with one meter, one order and one
#     reading in one slot: the time to load the registry (registry list),
#     clear -S and settle, and the ratio to the size ten times smaller
#     (goal: at most 12x per tenfold).  Times are CPU seconds (user and
#     system, from /usr/bin/time), which a machine shared with other work
#     does not stretch as it does the wall-clock time printed beside.
#  1. One slot's book of N signed orders from 1000 participants (10k, 100k
#     and 1M): the time to parse the file with jansson; clear without
#     signature checks (-S) beside it; clear checking every signature on
#     every core, beside the raw rate; contract-sign.
#  2. A ledger of about a million entries (BENCH_LEDGER_ORDERS orders over
#     1000 slots, with their clearings, contracts and checkpoints) verified
#     with -t 1 and -t CORES, beside the raw libsodium Ed25519
#     verification rate measured in the same run, and its largest
#     resident memory (goal: under 300 MB for a million entries).
#  3. A year of one meter's 30-minute readings (17520, -d sim): meter-read
#     signing each with its device key, beside meter.sign: no (run
#     before part 2).
#  4. Committed readings (denki-formats(5), Committed readings): N members
#     (1k and 10k: a slot holds at most 1e8 Wh) each with one meter, one
#     order and one reading,
#     settled into a ledger of open readings and into one of committed
#     readings (a commitment and an opening each), and the committed one
#     verified without its openings and with them (-O).
#  5. denki-witness: cosignatures a second of two witnesses under load,
#     through the filter and through lighttpd (tools/bench-witness.sh).
#  7. denki-statement on part 0's ledger of N members (1k and 10k: a
#     slot holds at most 1e8 Wh): a member's month and the community's,
#     as text and as a page, beside denki-report over the same ledger
#     (the same scan).
#  8. denki-pay: N members (1k and 10k: a slot holds at most 1e8 Wh)
#     settled in one slot, each with
#     bank details: the payment run's CPU time (the ledger read, every
#     balance netted, the pain.001 file written, the run appended), and
#     ledger-verify's replay of it.
# 10. denki-intake behind lighttpd: one slot's orders from
#     10,000 households, one request each, 8 in flight a core: accepted
#     orders a second, p50/p99 latency, the inbox's size
#     (tools/bench-intake.sh).
#  9. Provisional settlement (denki-formats(5), Provisional settlement): N
#     members (1k and 10k) in one slot past its deadline, every other
#     reading missing: the run that settles the slot (the members with a
#     contract and no reading provisionally), the run that trues them up
#     when their readings come, and ledger-verify replaying both.
# 11. Forecasts (lib/meter/forecast.c): each home of tests/data/forecast
#     (six Konstanz homes of OPSD, Ausgrid's customer 12) run through
#     every method, slot by slot, each seeing only the slots before the
#     one it forecasts (the next slot, as bid bids it): the mean absolute
#     error of each method on the held-out months, and a line a home
#     "forecast HOME: MAE yesterday X chosen Y (METHOD)" in Wh per slot
#     (tools/forecast-bench.c says which months and slots are scored).
# 12. battery: the planner's time for one plan of 24, 48 and 96 slots
#     (tools/bench-plan.c; goal: under 10 ms for 48), and under
#     qemu-aarch64 when qemu-user and an aarch64 cross compiler are there.
# 13. simulate: denki-simulate (issue 17, part 4): a month of 100 homes
#     (kn1 to kn5 of examples/community and 19 copies of each, a day apart: 30 days,
#     the data's two days in turn) run end to end through the real
#     programs, every order and reading signed and checked where the
#     pipeline checks it, beside the floor: the run's signatures made and
#     checked at this machine's rates (tools/gen-book -C: a second of one
#     core's CPU time, measured before and after the run, their mean).
#     The ratio is of CPU seconds (the run's processes' user and system
#     time against the floor's), which other work on a shared machine
#     does not stretch; the wall-clock one beside it is against the floor
#     on all the cores at once (tools/gen-book -C CORES: every core signing,
#     then checking, together, each slowed by the others' use of what they
#     share, before and after the run, their mean), with the floor of one
#     core spread over the cores beside it (the ratio the goal was judged
#     by until this part measured the cores at once; the two agree when
#     the cores do not slow each other).  BENCH_SIM_STEP: the days each run of clear,
#     contract-sign and settle takes (denki-simulate -b; 30 by default, the
#     month at once; each home bids each day from the day before's
#     readings whatever the step: one without a battery the step's days
#     in one run of bid -r);
#     BENCH_SIM_DAYS, BENCH_SIM_COPIES: the period and the copies.
# 14. strategy: bid's price strategies (fixed, ramp, learn) over a few
#     weeks of the six Konstanz homes through the real pipeline, each
#     home's money side by side (tools/strategy-season.sh; DENKI_DATA,
#     START, DAYS).
# 15. review: expert review's cost in contract-sign and ledger-verify
#     (below, at its part).
# 16. replay (BENCH_ONLY=replay only, minutes): a season of 100 homes,
#     each step's CPU-s of clear, contract-sign and settle with the state
#     cache (tools/bench-replay.sh; BENCH_REPLAY_NOCACHE=1 without it).
# BENCH_SIZES: the sizes of parts 0 and 1; BENCH_PRIVACY_SIZES: part 4's;
# BENCH_MONEY_SIZES: part 6's; BENCH_STATEMENT_SIZES: part 7's;
# BENCH_PAY_SIZES: part 8's; BENCH_PROVISIONAL_SIZES: part 9's;
# BENCH_REVIEW_SIZES: part 15's;
# BENCH_PARTS: which of "members book sign privacy money review witness
# intake provisional ledger statement pay forecast battery simulate
# strategy" to run (all unless set; replay only when named); BENCH_ONLY:
# the same, and before it
# (BENCH_ONLY=forecast).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top:$PATH
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cores=$(nproc)
parts=${BENCH_ONLY:-${BENCH_PARTS:-members book sign privacy money review witness intake provisional ledger statement pay forecast battery simulate strategy}}
part() { case " $parts " in *" $1 "*) return 0 ;; esac; return 1; }
if part forecast; then
	echo "forecasts of the next slot, held-out months (MAE, Wh per slot)"
	for f in "$top"/tests/data/forecast/*.csv.xz; do
		xz -dc "$f" | "$top/tools/forecast-bench"
	done
fi
[ "$parts" = forecast ] && exit 0
raw=$("$top/tools/gen-book" -r)
echo "raw Ed25519 verify (libsodium, one core): $raw/s; cores: $cores"
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
t() { date +%s.%N; }
if part battery; then
	"$top/tools/bench-plan" 500
	# the same under qemu-user for aarch64 when Debian's qemu-user and
	# gcc-aarch64-linux-gnu are installed: an emulation on this machine,
	# slower than the CPU emulated, not a Pi's figure
	if command -v qemu-aarch64 >/dev/null &&
	    command -v aarch64-linux-gnu-gcc >/dev/null &&
	    aarch64-linux-gnu-gcc -O2 -std=c11 -D_GNU_SOURCE -I"$top/lib" \
	    -static -o "$dir/bench-plan-arm64" "$top/tools/bench-plan.c" \
	    "$top/lib/meter/plan.c" "$top/lib/core/err.c" 2>/dev/null; then
		echo "under qemu-aarch64 (user-mode emulation):"
		qemu-aarch64 "$dir/bench-plan-arm64" 200
	fi
fi
# one column of part 0: the time, and its ratio to the size before when
# that was a tenth of this one
col() {
	awk -v v="$1" -v pv="$2" -v n="$3" -v pn="$4" 'BEGIN {
		if (pn != "" && pn * 10 == n && pv > 0)
			printf "%7.2fs %5.1fx%s", v, v / pv, v / pv <= 12 ? "" : "!"
		else
			printf "%7.2fs %6s", v, ""
	}'
}
# cpu CMD...: runs it; $cpu is its user + system seconds, $wall its
# elapsed seconds
cpu() {
	/usr/bin/time -f '%U %S %e' -o "$dir/cpu" "$@"
	cpu=$(tail -n 1 "$dir/cpu" | awk '{ printf "%.2f", $1 + $2 }')
	wall=$(tail -n 1 "$dir/cpu" | awk '{ print $3 }')
}
# part 7, before the long ones: statements against the report's scan
if part statement; then
	echo "statements: one ledger of N members, one slot (CPU seconds)"
	printf "%8s  %8s  %10s  %10s  %10s\n" members report "-m text" \
	    "-m html" "community"
	for n in ${BENCH_STATEMENT_SIZES:-1000 10000}; do
		rm -rf "$dir/s" && mkdir "$dir/s"
		"$top/tools/gen-book" "$dir/s" "$n" "$n"
		cd "$dir/s"
		denki-clear -S -c coop.yaml orders.jsonl >cleared.jsonl
		denki-contract-sign -c coop.yaml cleared.jsonl >/dev/null
		denki-settle -c coop.yaml readings.jsonl >/dev/null
		month=$(grep -m 1 -o '"slot":"[0-9-]*' ledger.jsonl | cut -c9-15)
		m=$(grep -m 1 -o '"participant":"[^"]*' ledger.jsonl | cut -d'"' -f4)
		cpu denki-report ledger.jsonl >/dev/null
		a=$cpu
		cpu denki-statement -c coop.yaml -m "$m" -P "$month" >/dev/null
		b=$cpu
		cpu denki-statement -c coop.yaml -m "$m" -P "$month" -f html >/dev/null
		c=$cpu
		cpu denki-statement -c coop.yaml --community -P "$month" >/dev/null
		printf "%8d  %7.2fs  %9.2fs  %9.2fs  %9.2fs\n" "$n" "$a" "$b" "$c" "$cpu"
		cd "$top"
		rm -rf "$dir/s"
	done
fi

if part members; then
	echo "members, each with one meter, one order and one reading in one slot"
	echo "(ratio: to the size ten times smaller; goal: at most 12x, ! when above)"
	printf "%8s  %15s  %15s  %15s  (CPU seconds)\n" members \
	    "registry load" "clear -S" settle
	pn= pr= pc= ps=
	for n in ${BENCH_SIZES:-10000 100000 1000000}; do
		rm -rf "$dir/m" && mkdir "$dir/m"
		"$top/tools/gen-book" "$dir/m" "$n" "$n"
		cd "$dir/m"
		cpu denki-registry -c coop.yaml list >/dev/null
		r=$cpu rw=$wall
		cpu denki-clear -S -c coop.yaml orders.jsonl >cleared.jsonl
		c=$cpu cw=$wall
		denki-contract-sign -c coop.yaml cleared.jsonl >/dev/null
		cpu denki-settle -c coop.yaml readings.jsonl >/dev/null
		s=$cpu sw=$wall
		printf "%8d  %s  %s  %s\n" "$n" "$(col "$r" "$pr" "$n" "$pn")" \
		    "$(col "$c" "$pc" "$n" "$pn")" "$(col "$s" "$ps" "$n" "$pn")"
		printf "%8s  %7.2fs wall      %7.2fs wall      %7.2fs wall\n" "" \
		    "$rw" "$cw" "$sw"
		pn=$n pr=$r pc=$c ps=$s
		cd "$top"
		rm -rf "$dir/m"
	done
fi

# clear against the floor: parsing the same file with jansson, in the
# same run; then with every signature checked, on every core.
part book && for n in ${BENCH_SIZES:-10000 100000 1000000}; do
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

if part sign; then
	mkdir "$dir/s"
	cd "$dir/s"
	printf 'meter:\n  id: m1\ntz: UTC\n' >home.yaml
	denki-meter-read -c home.yaml -P >/dev/null 2>&1
	y="-d sim -s 2026-01-01T00:00:00+00:00 -n 17520"
	cpu denki-meter-read -c home.yaml $y >signed.jsonl
	sg=$cpu
	cpu denki-meter-read -c home.yaml -D meter.sign=no $y >unsigned.jsonl
	echo "meter-read, a year of 30-minute readings ($(wc -l <signed.jsonl)):" \
	    "${sg}s signed with the device key, ${cpu}s unsigned (CPU seconds)"
	cd "$top"
fi

part privacy && {
	echo "committed readings against open ones (CPU seconds)"
	printf "%8s  %12s  %12s  %14s  %14s\n" members "settle open" \
	    "settle cmt" "verify cmt" "verify cmt -O"
	for n in ${BENCH_PRIVACY_SIZES:-1000 10000}; do
		for m in open committed; do
			rm -rf "$dir/p" && mkdir "$dir/p"
			GEN_READINGS=$m "$top/tools/gen-book" "$dir/p" "$n" "$n"
			cd "$dir/p"
			denki-clear -S -c coop.yaml orders.jsonl | \
			    denki-contract-sign -c coop.yaml >/dev/null
			cpu denki-settle -c coop.yaml readings.jsonl >/dev/null
			eval "s_$m=\$cpu"
			cd "$top"
		done
		cd "$dir/p"
		cpu denki-ledger-verify -q -p operator.pub ledger.jsonl
		v=$cpu
		cpu denki-ledger-verify -q -p operator.pub \
		    -O ledger.jsonl.openings ledger.jsonl
		printf "%8d  %11.2fs  %11.2fs  %13.2fs  %13.2fs\n" "$n" \
		    "$s_open" "$s_committed" "$v" "$cpu"
		cd "$top"
		rm -rf "$dir/p"
	done
}

# 6. The money of rules version 2 (denki-formats(5), Settlement rule): N
#    members (1k and 10k) settled, and their ledger verified, without it
#    and with a percentage fee (split), tax, the monthly fee and a
#    tolerance band.
part money && {
	echo "money of rules version 2 against none (CPU seconds)"
	printf "%8s  %12s  %12s  %14s  %14s\n" members "settle" \
	    "settle money" "verify" "verify money"
	for n in ${BENCH_MONEY_SIZES:-1000 10000}; do
		for m in plain money; do
			rm -rf "$dir/y" && mkdir "$dir/y"
			GEN_READINGS=open "$top/tools/gen-book" "$dir/y" "$n" "$n"
			cd "$dir/y"
			set --
			[ $m = plain ] || set -- -D prices.fee_bps=150 \
			    -D prices.fee_payer=split -D tax.rate_bps=1000 \
			    -D prices.monthly_fee=1000000 -D prices.tolerance_pct=5
			denki-clear -S -c coop.yaml orders.jsonl | \
			    denki-contract-sign -c coop.yaml "$@" >/dev/null
			cpu denki-settle -c coop.yaml "$@" readings.jsonl >/dev/null
			eval "s_$m=\$cpu"
			cpu denki-ledger-verify -q -p operator.pub ledger.jsonl
			eval "v_$m=\$cpu"
			cd "$top"
		done
		printf "%8d  %11.2fs  %11.2fs  %13.2fs  %13.2fs\n" "$n" \
		    "$s_plain" "$s_money" "$v_plain" "$v_money"
		rm -rf "$dir/y"
	done
}

# 15. Expert review (denki-formats(5), Expert review): one slot of N
#     members (1k and 10k) contract-signed and its ledger verified without
#     review rules and with every rule (value, volume, price band, tenure,
#     credit floor, roles: each trade judged, those held written pending).
part review && {
	echo "expert review: contract-sign and ledger-verify, no review rules against all (CPU seconds)"
	printf "%8s  %8s  %14s  %14s  %14s  %14s\n" members held "sign" \
	    "sign review" "verify" "verify review"
	for n in ${BENCH_REVIEW_SIZES:-1000 10000}; do
		for m in plain review; do
			rm -rf "$dir/r" && mkdir "$dir/r"
			GEN_READINGS=open "$top/tools/gen-book" "$dir/r" "$n" "$n"
			cd "$dir/r"
			set --
			[ $m = plain ] || set -- -D review.value=100000 \
			    -D review.wh=1000 -D review.band_pct=10 \
			    -D review.tenure_days=30 -D review.credit_floor=900 \
			    -D review.roles=yes
			denki-clear -S -c coop.yaml orders.jsonl >cleared.jsonl
			cpu denki-contract-sign -c coop.yaml "$@" cleared.jsonl \
			    >signed.jsonl 2>/dev/null
			eval "s_$m=\$cpu"
			held=$(grep -c '"type":"pending"' signed.jsonl || true)
			cpu denki-ledger-verify -q -p operator.pub ledger.jsonl
			eval "v_$m=\$cpu"
			cd "$top"
		done
		printf "%8d  %8d  %13.2fs  %13.2fs  %13.2fs  %13.2fs\n" "$n" \
		    "$held" "$s_plain" "$s_review" "$v_plain" "$v_review"
		rm -rf "$dir/r"
	done
}

part witness && sh "$top/tools/bench-witness.sh"
if part pay; then
	echo "denki-pay: N members settled in one slot, each with bank details (CPU seconds)"
	for n in ${BENCH_PAY_SIZES:-1000 10000}; do
		rm -rf "$dir/p" && mkdir "$dir/p"
		"$top/tools/gen-book" "$dir/p" "$n" "$n"
		cd "$dir/p"
		denki-clear -S -c coop.yaml orders.jsonl >cleared.jsonl
		denki-contract-sign -c coop.yaml cleared.jsonl >/dev/null
		denki-settle -c coop.yaml readings.jsonl >/dev/null
		# the member store, its lines written here at once
		awk -v n="$n" 'BEGIN {
			f = "{\"iban\":\"%s\",\"name\":\"%s\",\"participant\":\"%s\",\"type\":\"bank\",\"v\":1}\n"
			printf f, "DE89370400440532013000", "Coop", "operator"
			for (i = 0; i < n; i++)
				printf f, "GB29NWBK60161331926819", "p" i, "p" i
		}' >members.jsonl
		chmod 600 members.jsonl
		cpu denki-pay -c coop.yaml -P 2026-01 -f pain.001 -o run.xml >payments.jsonl 2>/dev/null
		p=$cpu pw=$wall
		cpu denki-ledger-verify -p operator.pub ledger.jsonl >/dev/null
		printf "%8d members: pay %6.2fs (%s wall), %d credit transfers, %d debits; ledger-verify %6.2fs\n" \
		    "$n" "$p" "$pw" "$(grep -c '"credit"' payments.jsonl)" \
		    "$(grep -c '"debit"' payments.jsonl)" "$cpu"
		cd "$top"
		rm -rf "$dir/p"
	done
fi


part provisional && {
	echo "provisional settlement and true-up, every other reading missing (CPU seconds)"
	printf "%8s  %12s  %12s  %12s  %12s\n" members provisional \
	    "settle" "true-up" "verify"
	for n in ${BENCH_PROVISIONAL_SIZES:-1000 10000}; do
		rm -rf "$dir/v" && mkdir "$dir/v"
		"$top/tools/gen-book" "$dir/v" "$n" "$n"
		cd "$dir/v"
		denki-clear -S -c coop.yaml orders.jsonl | \
		    denki-contract-sign -c coop.yaml >/dev/null
		awk 'NR % 2' readings.jsonl >first.jsonl
		cpu denki-settle -c coop.yaml first.jsonl >settled.jsonl 2>/dev/null
		s=$cpu
		# the late readings of the members settled provisionally
		jq -r 'select(.provisional) | "\"meter\":\"\(.provisional[0])\""' \
		    settled.jsonl >late.meters
		grep -F -f late.meters readings.jsonl >late.jsonl || :
		cpu denki-settle -c coop.yaml late.jsonl >/dev/null 2>&1
		u=$cpu
		cpu denki-ledger-verify -q -p operator.pub ledger.jsonl
		printf "%8d  %12d  %11.2fs  %11.2fs  %11.2fs\n" "$n" \
		    "$(wc -l <late.meters)" "$s" "$u" "$cpu"
		cd "$top"
		rm -rf "$dir/v"
	done
}

part intake && sh "$top/tools/bench-intake.sh"
# 16. replay (above)
part replay && sh "$top/tools/bench-replay.sh"

if part simulate; then
	mkdir "$dir/sim"
	cat >"$dir/sim/month.yaml" <<-EOF
	community: $top/examples/community
	start: 2016-07-05
	days: ${BENCH_SIM_DAYS:-30}
	homes: [kn1, kn2, kn3, kn4, kn5]
	scale: {copies: ${BENCH_SIM_COPIES:-20}, shift_days: 1}
	EOF
	r1=$("$top/tools/gen-book" -C)
	n1=$("$top/tools/gen-book" -C "$cores")
	cpu denki-simulate -q -b "${BENCH_SIM_STEP:-30}" -j "$cores" \
	    -d "$dir/sim" "$dir/sim/month.yaml" >"$dir/sim/sim.json"
	r2=$("$top/tools/gen-book" -C)
	n2=$("$top/tools/gen-book" -C "$cores")
	jq -r '"\(.homes) \(.days) \(.signed) \(.checked) \(.orders)"' \
	    "$dir/sim/sim.json" | awk -v r1="$r1" -v r2="$r2" -v cpu="$cpu" \
	    -v n1="$n1" -v n2="$n2" \
	    -v wall="$wall" -v cores="$cores" -v step="${BENCH_SIM_STEP:-30}" '{
		split(r1, a, " "); split(r2, b, " ")
		sr = (a[1] + b[1]) / 2; vr = (a[2] + b[2]) / 2
		floor = $3 / sr + $4 / vr
		split(n1, c, " "); split(n2, d, " ")
		srn = (c[1] + d[1]) / 2; vrn = (c[2] + d[2]) / 2
		floorn = $3 / srn + $4 / vrn
		printf "simulate: %d homes, %d days (-b %d): %d orders; %d signatures made, %d checked\n", $1, $2, step, $5, $3, $4
		printf "    this machine, a core'"'"'s CPU second: %.0f signed/s, %.0f checked/s (before %s, after %s)\n", sr, vr, r1, r2
		printf "    the %d cores at once: %.0f signed/s, %.0f checked/s (before %s, after %s)\n", cores, srn, vrn, n1, n2
		printf "    floor %.2f CPU-s; on %d cores at once %.2fs (%.2fs spread from one core'"'"'s); the run %.2f CPU-s, %.2fs\n", floor, cores, floorn, floor / cores, cpu, wall
		printf "simulate: ratio to the signature floor: %.2f (CPU), %.2f (wall-clock on %d cores; goal 1.3; %.2f against one core'"'"'s floor spread)\n", cpu / floor, wall / floorn, cores, wall / (floor / cores)
	}'
fi

part strategy && sh "$top/tools/strategy-season.sh"
part ledger || exit 0
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
	/usr/bin/time -f %M -o rss denki-ledger-verify -j -t "$th" \
	    -p operator.pub ledger.jsonl >verdict.json
	b=$(t)
	rss=$(tail -n 1 rss)
	r2=$("$top/tools/gen-book" -r)
	v=$(secs "$a" "$b")
	sigs=$(sed 's/.*"signatures":\([0-9]*\).*/\1/' verdict.json)
	awk -v th="$th" -v v="$v" -v e="$entries" -v s="$sigs" -v r1="$r1" \
	    -v r2="$r2" -v rawn="$rawn" -v cores="$cores" -v rss="$rss" 'BEGIN {
		raw = (r1 + r2) / 2
		printf "ledger-verify -t %d (%d signature thread(s) beside the one that reads and replays; %d cores): %d entries, %d signatures (orders and checkpoints) in %.2fs\n", th, th, cores, e, s, v
		printf "    raw Ed25519 verify on one core: %d/s before, %d/s after\n", r1, r2
		printf "    %.0f entries/s = %.0f%% of raw x %d (%.2f signatures an entry)\n", e / v, 100 * e / v / (raw * cores), cores, s / e
		printf "    %.0f signatures/s = %.0f%% of raw x %d\n", s / v, 100 * s / v / (raw * cores), cores
		printf "    max resident memory %.0f MB = %.0f bytes an entry (goal: under 300 MB for a million entries: %s)\n", rss / 1024, rss * 1024 / e, rss * 1024 / e * 1e6 < 300e6 ? "met" : "NOT met"
		if (th == cores)
			printf "    target (issue 3 item 8): entries/s >= 85%% of raw x %d: %s\n", cores, (e / v >= 0.85 * raw * cores) ? "met" : "NOT met"
	}'
done

