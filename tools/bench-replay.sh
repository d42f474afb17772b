#!/bin/sh
# make bench, part replay (BENCH_ONLY=replay; not in the default parts, it
# takes minutes): a season of BENCH_REPLAY_DAYS (90) days of 100 homes
# (the simulate part's month.yaml, longer) run by denki-simulate -b
# BENCH_REPLAY_STEP (30), denki-clear, denki-contract-sign and
# denki-settle each timed: the CPU seconds (user and system) of each in
# each step.  With the state cache (denki-formats(5), State cache) a
# step's start reads what was appended since the last, and the steps
# cost about the same; a whole read at each start made step k cost
# about 20 (k - 1) CPU-s more than the first.  BENCH_REPLAY_NOCACHE=1
# deletes the cache before each run, for the figures without it.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/bin" "$dir/run"
for f in "$top"/denki-*; do
	ln -s "$f" "$dir/bin/"
done
rm "$dir/bin/denki-simulate"
cp "$top/denki-simulate" "$dir/bin/"	# it runs the programs beside it
for p in clear contract-sign settle; do
	rm "$dir/bin/denki-$p"
	{
		echo '#!/bin/sh'
		[ "${BENCH_REPLAY_NOCACHE:-0}" = 1 ] &&
		    echo 'rm -f ledger.jsonl.state'
		echo "exec /usr/bin/time -a -o '$dir/cpu' -f '$p %U %S' \\"
		echo "    '$top/denki-$p' \"\$@\""
	} >"$dir/bin/denki-$p"
	chmod +x "$dir/bin/denki-$p"
done
cat >"$dir/season.yaml" <<-EOT
community: $top/examples/community
start: 2016-07-05
days: ${BENCH_REPLAY_DAYS:-90}
homes: [kn1, kn2, kn3, kn4, kn5]
scale: {copies: 20, shift_days: 1}
EOT
"$dir/bin/denki-simulate" -q -b "${BENCH_REPLAY_STEP:-30}" -j "$(nproc)" \
    -d "$dir/run" "$dir/season.yaml" >/dev/null
# a step starts at its run of denki-clear without -s (the others clear a
# slot nobody bid in)
awk '$1 == "clear" && !cs { step++ } { cs = ($1 == "clear") }
    { t[step, $1] += $2 + $3 } END {
	printf "replay: CPU-s of each step (%s days a step%s)\n", step_days,
	    nocache ? ", no cache" : ""
	printf "%6s %8s %14s %8s %8s\n", "step", "clear", "contract-sign",
	    "settle", "sum"
	for (i = 1; i <= step; i++) {
		sum = t[i, "clear"] + t[i, "contract-sign"] + t[i, "settle"]
		printf "%6d %8.2f %14.2f %8.2f %8.2f\n", i, t[i, "clear"],
		    t[i, "contract-sign"], t[i, "settle"], sum
	}
}' step_days="${BENCH_REPLAY_STEP:-30}" nocache="${BENCH_REPLAY_NOCACHE:-0}" \
    "$dir/cpu"
