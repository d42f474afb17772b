#!/bin/sh
# make fuzz: runs each harness named for FUZZ_SECONDS (default 60) on one
# core, from its seed corpus and regress inputs, into a working corpus in
# tests/fuzz/build/corpus/NAME; a crash is kept as tests/fuzz/build/NAME-*
# (copy it to tests/fuzz/regress/NAME/ once fixed).  Exits 1 if any crashed.
cd "$(dirname "$0")" || exit 70
secs=${FUZZ_SECONDS:-60}
rc=0
for n in "$@"; do
	mkdir -p "build/corpus/$n" "corpus/$n" "regress/$n"
	echo "fuzz: $n for $secs s"
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
	"build/fuzz-$n" -max_total_time="$secs" -print_final_stats=1 \
	    -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix="build/$n-" "build/corpus/$n" "corpus/$n" \
	    "regress/$n" >"build/$n.log" 2>&1 || { rc=1;
	    echo "fuzz: $n: crashed, see tests/fuzz/build/$n.log"; }
	grep -E '^stat::(number_of_executed_units|peak_rss_mb)|cov:.*ft:' \
	    "build/$n.log" | tail -n 3
done
exit $rc
