#!/bin/sh
# The fuzzing campaign (tests/fuzz/README): each harness named in turn, ONE
# at a time, niced, from its corpus, regress inputs and any working corpus
# of `make fuzz`; then the corpus minimized with -merge=1 into
# tests/fuzz/corpus/NAME.  A harness runs until it has used CPU seconds of
# processor time (measured from /proc, so a busy machine does not count
# wall time as fuzzing), or for SECS seconds of wall time when CPU is unset.
# Figures, one line a harness, are appended to build/campaign.tsv: name,
# wall seconds, CPU seconds, executions, cov, ft, corpus files and bytes
# after the merge, crash files.
# Usage (after make fuzz builds the harnesses):
#   CPU=1800 sh campaign.sh NAME...      or      SECS=170 sh campaign.sh NAME...
# MAX_LEN=N (default 4096) for a harness whose inputs are longer.
cd "$(dirname "$0")" || exit 70
secs=${SECS:-170}
cpu=${CPU:-}
tck=$(getconf CLK_TCK)
[ -n "$cpu" ] && secs=$((cpu * 100))
mkdir -p build/campaign
for n in "$@"; do
	w=build/campaign/$n
	rm -rf "$w" "build/min-$n"
	mkdir -p "$w" "build/min-$n" "build/corpus/$n" "regress/$n"
	start=$(date +%s)
	nice -n "${NICE:-10}" "build/fuzz-$n" -max_total_time="$secs" \
	    -print_final_stats=1 -max_len="${MAX_LEN:-4096}" -timeout=10 \
	    -rss_limit_mb=2048 -artifact_prefix="build/campaign/$n-" \
	    "$w" "corpus/$n" "regress/$n" "build/corpus/$n" \
	    >"build/campaign/$n.log" 2>&1 &
	pid=$!
	used=0
	while kill -0 "$pid" 2>/dev/null; do
		sleep 5
		# utime and stime, fields 14 and 15 (the name has no spaces)
		t=$(awk -v k="$tck" '{ print int(($14 + $15) / k) }' \
		    "/proc/$pid/stat" 2>/dev/null) || break
		[ -n "$t" ] && used=$t
		if [ -n "$cpu" ] && [ "$used" -ge "$cpu" ]; then
			kill -INT "$pid"
			break
		fi
	done
	wait "$pid"
	ran=$(($(date +%s) - start))
	# the corpus is replaced only by a merge that worked (a harness
	# removed meanwhile, by make clean say, leaves it as it was)
	if nice -n "${NICE:-10}" "build/fuzz-$n" -merge=1 \
	    -max_len="${MAX_LEN:-4096}" -timeout=10 "build/min-$n" \
	    "corpus/$n" "$w" \
	    >"build/campaign/$n.merge.log" 2>&1; then
		rm -rf "corpus/$n"
		mv "build/min-$n" "corpus/$n"
	else
		echo "campaign: $n: the merge failed (build/campaign/$n.merge.log); corpus/$n kept, the run's inputs in $w" >&2
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
	    "build/campaign/$n.log")
	last=$(grep -E 'cov: [0-9]+ ft: [0-9]+' "build/campaign/$n.log" |
	    tail -n 1)
	cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	files=$(ls "corpus/$n" | wc -l)
	bytes=$(cat "corpus/$n"/* | wc -c)
	crashes=$(ls build/campaign | grep -c "^$n-" )
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$ran" "$used" \
	    "$execs" "$cov" "$ft" "$files" "$bytes" "$crashes" \
	    >>build/campaign.tsv
	tail -n 1 build/campaign.tsv
done
