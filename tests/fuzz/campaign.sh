#!/bin/sh
# The fuzzing campaign (tests/fuzz/README): each harness named in turn, ONE
# at a time, niced, for SECS seconds, from its corpus, regress inputs and
# any working corpus of `make fuzz`; then the corpus minimized with
# -merge=1 into tests/fuzz/corpus/NAME.  Figures, one line a harness, are
# appended to build/campaign.tsv: name, seconds, executions, cov, ft,
# corpus files and bytes after the merge, crash files.
# Usage (after make fuzz builds the harnesses): SECS=170 sh campaign.sh NAME...
cd "$(dirname "$0")" || exit 70
secs=${SECS:-170}
mkdir -p build/campaign
for n in "$@"; do
	w=build/campaign/$n
	rm -rf "$w" "build/min-$n"
	mkdir -p "$w" "build/min-$n" "build/corpus/$n" "regress/$n"
	start=$(date +%s)
	nice -n 10 "build/fuzz-$n" -max_total_time="$secs" \
	    -print_final_stats=1 -max_len=4096 -timeout=10 \
	    -rss_limit_mb=2048 -artifact_prefix="build/campaign/$n-" \
	    "$w" "corpus/$n" "regress/$n" "build/corpus/$n" \
	    >"build/campaign/$n.log" 2>&1
	ran=$(($(date +%s) - start))
	nice -n 10 "build/fuzz-$n" -merge=1 -max_len=4096 -timeout=10 \
	    "build/min-$n" "corpus/$n" "$w" >"build/campaign/$n.merge.log" 2>&1
	rm -rf "corpus/$n"
	mv "build/min-$n" "corpus/$n"
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
	    "build/campaign/$n.log")
	last=$(grep -E 'cov: [0-9]+ ft: [0-9]+' "build/campaign/$n.log" |
	    tail -n 1)
	cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	files=$(ls "corpus/$n" | wc -l)
	bytes=$(cat "corpus/$n"/* | wc -c)
	crashes=$(ls build/campaign | grep -c "^$n-" )
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$ran" "$execs" \
	    "$cov" "$ft" "$files" "$bytes" "$crashes" >>build/campaign.tsv
	tail -n 1 build/campaign.tsv
done
