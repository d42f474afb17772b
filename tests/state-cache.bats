#!/usr/bin/env bats
# The state cache beside the ledger (LEDGER.state, denki-formats(5)):
# denki-clear, denki-contract-sign and denki-settle read only what was
# appended since it was last brought up to date, with the same bytes out
# as a read of the whole ledger; a cache the ledger no longer holds (a
# ledger rolled back or replaced) or a cache damaged is read again whole.
# A writer that read through the cache brings it up to date with what it
# appended, after its commit: the next start reads nothing.

load test_helper
load state-cache

setup() {
	common_setup
}

teardown() {
	cd "$BATS_TEST_TMPDIR"
	if [ -n "${DISK:-}" ] && mountpoint -q "$DISK"; then
		umount "$DISK"
	fi
}

# the run here gave what the run without the cache gave
same_run() {
	assert_equal "$status" "$(cat "$BATS_TEST_TMPDIR/nc.rc")"
	assert_equal "$output" "$(cat "$BATS_TEST_TMPDIR/nc.out")"
	assert_equal "$stderr" "$(cat "$BATS_TEST_TMPDIR/nc.err")"
	same_ledger
}

# sizes: the ledger size each mark of the cache names, a line each
sizes() {
	grep '^M' ledger.jsonl.state | cut -f2 | jq .size
}

# rebuilt SIZE: the cache was written again, whole, up to SIZE bytes of
# the ledger (where it stood when the run started), then brought to the
# ledger's end by the writer's commit (a second mark) if it appended
rebuilt() {
	local end
	end=$(wc -c <ledger.jsonl)
	! grep -q "$(printf '^J\t[0-9]*\t0\t{"book"')" ledger.jsonl.state
	! grep -q "$(printf '^J\t[0-9]*\t0\t{"bought_wh"')" ledger.jsonl.state
	if [ "$end" -eq "$1" ]; then
		assert_equal "$(sizes | tr '\n' ' ')" "$1 "
	else
		assert_equal "$(sizes | tr '\n' ' ')" "$1 $end "
	fi
}

# started BEFORE: the cache is the one the next start (a denki-clear)
# writes from the cache BEFORE, byte for byte
started() {
	cp ledger.jsonl.state after.state
	cp "$1" ledger.jsonl.state
	denki-clear -c coop.yaml -s 2016-07-05T00:00:00+02:00 </dev/null >/dev/null
	cmp ledger.jsonl.state after.state
	rm after.state
}

# day2 TYPE: the ledger cut back to the checkpoint before the second day's
# first TYPE entry, the whole one kept in full.jsonl, the cache as it was
day2() {
	[ -e full.jsonl ] || cp ledger.jsonl full.jsonl
	head -n "$(before_day2 "$1" full.jsonl)" full.jsonl >ledger.jsonl
	size=$(wc -c <ledger.jsonl)
}

# fresh: the cache written again for the ledger as it is (by a denki-clear)
fresh() {
	rm -f ledger.jsonl.state
	denki-clear -c coop.yaml -s 2016-07-05T00:00:00+02:00 </dev/null >/dev/null
	[ "$(grep -c '^M' ledger.jsonl.state)" -eq 1 ]
}

@test "state cache: a season's runs give the same bytes with the cache as without it" {
	twice_bin "$BATS_TEST_TMPDIR/bin"
	SIMULATE="$BATS_TEST_TMPDIR/bin/denki-simulate" season 3
	# every run of clear, contract-sign and settle, twice: no difference
	run cat "$BATS_TEST_TMPDIR/bin/twice.log"
	assert_output ""
	# the cache was brought up to date, never written again whole: its
	# marks grow by one a run that found something new
	run sort -n -u "$BATS_TEST_TMPDIR/bin/marks"
	[ "${#lines[@]}" -ge 4 ]
	[ "$(stat -c %a ledger.jsonl.state)" = 600 ]
	head -n 1 ledger.jsonl.state | grep -qx "$(printf 'denki-state-cache\t1')"
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
}

@test "attack: a ledger rolled back under its cache: contract-sign reads it whole and signs the day again" {
	season 2
	day2 clearing
	# the cache holds the second day's clearings; the ledger does not
	grep -q '^J.*"slot":"2016-07-06.*"type":"clearing"' ledger.jsonl.state
	nocache denki-contract-sign -c coop.yaml cleared.jsonl
	assert_success
	same_run
	[ "$(grep -c '"type":"clearing"' ledger.jsonl)" -eq 96 ]
	rebuilt "$size"
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
}

@test "attack: a cache edited to claim a slot was cleared (its digest made again): contract-sign reads the ledger whole" {
	season 2
	day2 clearing
	fresh
	# the second day's first clearing, as if the ledger held it
	rec=$(grep '"type":"clearing"' full.jsonl |
	    grep '"slot":"2016-07-06T00:00' | jq -c .rec)
	{
		grep -v '^M' ledger.jsonl.state
		printf 'J\t%s\t0\t%s\n' "$(wc -l <ledger.jsonl)" "$rec"
		grep '^M' ledger.jsonl.state
	} >x && mv x ledger.jsonl.state
	redigest
	nocache denki-contract-sign -c coop.yaml cleared.jsonl
	assert_success
	same_run
	[ "$(grep -c '"slot":"2016-07-06T00:00:00+02:00".*"type":"clearing"' \
	    ledger.jsonl)" -eq 1 ]
	rebuilt "$size"
}

@test "attack: a cache edited to claim a slot was settled (its digest made again): settle settles it" {
	season 2
	day2 commitment
	fresh
	# a settlement of the second day's first slot, as if the ledger
	# held it
	rec=$(grep '"type":"settlement"' full.jsonl |
	    grep '"slot":"2016-07-06T00:00' | head -n 1 | jq -c .rec)
	{
		grep -v '^M' ledger.jsonl.state
		printf 'J\t%s\t0\t%s\n' "$(wc -l <ledger.jsonl)" "$rec"
		grep '^M' ledger.jsonl.state
	} >x && mv x ledger.jsonl.state
	redigest
	nocache denki-settle -c coop.yaml readings.jsonl
	assert_success
	same_run
	grep '"type":"settlement"' ledger.jsonl | grep -q '"slot":"2016-07-06T00:00'
	rebuilt "$size"
}

@test "attack: a ledger replaced by another, the first's cache beside it: read whole" {
	season 2 other
	day2 clearing
	fresh
	other=$PWD
	season 2
	day2 commitment
	# the other's cache ends inside this ledger, at a line of its own
	[ "$(grep '^M' "$other/ledger.jsonl.state" | cut -f2 | jq .size)" \
	    -le "$size" ]
	cp "$other/ledger.jsonl.state" .
	nocache denki-settle -c coop.yaml readings.jsonl
	assert_success
	same_run
	[ "${#lines[@]}" -ge 240 ]
	rebuilt "$size"
}

@test "state cache: cut short, of another version, or missing: the same bytes, the cache written again" {
	season 2
	day2 clearing
	fresh
	cp ledger.jsonl.state day1.state
	# cut in the middle of its lines: the mark is lost, read whole
	head -c $(($(wc -c <day1.state) / 2)) day1.state >ledger.jsonl.state
	nocache denki-contract-sign -c coop.yaml cleared.jsonl
	assert_success
	same_run
	rebuilt "$size"
	# a version this one does not know
	day2 clearing
	sed '1s/\t1$/\t9/' day1.state >ledger.jsonl.state
	nocache denki-contract-sign -c coop.yaml cleared.jsonl
	assert_success
	same_run
	rebuilt "$size"
	# missing
	day2 clearing
	rm ledger.jsonl.state
	nocache denki-contract-sign -c coop.yaml cleared.jsonl
	assert_success
	same_run
	rebuilt "$size"
	# garbage after the last mark (a write cut off): the cache is used,
	# the garbage written over by contract-sign's lines, a second mark
	day2 clearing
	{ cat day1.state; printf 'C\t1\t2\t3'; } >ledger.jsonl.state
	denki-contract-sign -c coop.yaml cleared.jsonl >/dev/null
	[ "$(grep -c '^M' ledger.jsonl.state)" -eq 2 ]
	! grep -q "$(printf '^C\t1\t2\t3')" ledger.jsonl.state
	# and brought up to date by the next run's commit, a third mark
	nocache denki-settle -c coop.yaml readings.jsonl
	assert_success
	same_run
	[ "$(grep -c '^M' ledger.jsonl.state)" -eq 3 ]
}

@test "state cache: contract-sign's commit brings the cache to its end, so settle's start reads nothing; the bytes a start would write" {
	season 2
	day2 clearing
	fresh
	cp ledger.jsonl.state start.state
	run -0 denki-contract-sign -c coop.yaml cleared.jsonl
	[ "${#lines[@]}" -gt 0 ]
	# one mark more, at the ledger's end, after the cache as it was
	assert_equal "$(sizes | tr '\n' ' ')" "$size $(wc -c <ledger.jsonl) "
	cmp -n "$(wc -c <start.state)" start.state ledger.jsonl.state
	started start.state
	# settle's start finds the ledger's end at the cache's last mark, so
	# reads nothing and writes no mark; its commit adds its own
	cp ledger.jsonl.state cs.state
	cs=$(wc -c <ledger.jsonl)
	run -0 denki-settle -c coop.yaml readings.jsonl
	[ "${#lines[@]}" -ge 240 ]
	assert_equal "$(sizes | tr '\n' ' ')" \
	    "$size $cs $(wc -c <ledger.jsonl) "
	cmp -n "$(wc -c <cs.state)" cs.state ledger.jsonl.state
	started cs.state
	# the settlements are those of a settle that read the whole ledger
	cp cs.state ledger.jsonl.state
	head -c "$cs" ledger.jsonl >x && mv x ledger.jsonl
	nocache denki-settle -c coop.yaml readings.jsonl
	assert_success
	same_run
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
}

@test "state cache: a writer whose commit fails on a full disk leaves the cache as it was, which the next start still uses" {
	season 2
	day2 clearing
	fresh
	# the season on a disk of its size and a little more
	DISK="$BATS_TEST_TMPDIR/disk"
	mkdir "$DISK"
	if ! mount -t tmpfs -o size=$(($(du -sb . | cut -f1) + 8388608)) \
	    tmpfs "$DISK" 2>/dev/null; then
		DISK=
		skip "cannot mount a tmpfs here (needs root): the full-disk test did not run"
	fi
	cp -a . "$DISK/"
	cd "$DISK"
	cp ledger.jsonl.state "$BATS_TEST_TMPDIR/start.state"
	cp ledger.jsonl "$BATS_TEST_TMPDIR/start.jsonl"
	# 8 KiB left: contract-sign's day does not fit
	head -c $(($(df -B1 --output=avail . | tail -n 1) - 8192)) /dev/zero \
	    >filler 2>/dev/null || true
	run -74 --separate-stderr denki-contract-sign -c coop.yaml cleared.jsonl
	assert_equal "$stderr" "denki-contract-sign: ledger.jsonl: write: No space left on device; nothing of this run was appended"
	cmp ledger.jsonl "$BATS_TEST_TMPDIR/start.jsonl"
	cmp ledger.jsonl.state "$BATS_TEST_TMPDIR/start.state"
	# room again: the cache as it was is used, brought to the new end
	rm filler
	run -0 denki-contract-sign -c coop.yaml cleared.jsonl
	assert_equal "$(sizes | tr '\n' ' ')" "$size $(wc -c <ledger.jsonl) "
	started "$BATS_TEST_TMPDIR/start.state"
	cd "$BATS_TEST_TMPDIR"
}

@test "state cache: a bad entry appended after the cache's end is reported as a whole read reports it" {
	season 2
	day2 clearing
	fresh
	# the next day's contracts, one of them changed
	head -n "$(before_day2 commitment full.jsonl)" full.jsonl |
	    tail -n +"$(($(wc -l <ledger.jsonl) + 1))" |
	    sed '/"type":"contract"/{s/"wh":\([0-9]\)/"wh":9\1/;}' >>ledger.jsonl
	nocache denki-clear -c coop.yaml orders.jsonl
	assert_failure 65
	same_run
	[[ $stderr == *"ledger.jsonl:"*"entry "* ]]
}

@test "state cache: an order past the cache's end changed: settle finds the chain broken, as a whole read does" {
	season 2
	day2 order
	fresh
	# the second day's orders, clearings and contracts, its first order's
	# energy changed
	head -n "$(before_day2 commitment full.jsonl)" full.jsonl |
	    tail -n +"$(($(wc -l <ledger.jsonl) + 1))" >day2.jsonl
	n=$(grep -n -m 1 '"type":"order"' day2.jsonl | cut -d: -f1)
	sed "${n}s/\"wh\":\([0-9]\)/\"wh\":9\1/" day2.jsonl >>ledger.jsonl
	! cmp -s <(head -n "$(before_day2 commitment full.jsonl)" full.jsonl) \
	    ledger.jsonl
	nocache denki-settle -c coop.yaml readings.jsonl
	assert_failure 65
	same_run
	[[ $stderr == *"ledger.jsonl:"*"entry $(($(wc -l <ledger.jsonl) - $(wc -l <day2.jsonl) + n))"* ]]
	[[ $stderr == *prev* ]]
}

@test "attack: a cache's mark naming another key, the ledger ending in a checkpoint that key signed: clear reads it whole and refuses it" {
	season 2 other
	day2 clearing
	fresh
	other=$PWD
	om=$(grep '^M' ledger.jsonl.state | cut -f2)
	s=$(jq -n --argjson m "$om" '$m.next - 1')
	season 2
	fresh
	[ "$(wc -l <ledger.jsonl)" -gt "$s" ]
	[ "$(jq -c 'select(.seq == 0) | .rec.key' ledger.jsonl)" != \
	    "$(jq -c 'select(.seq == 0) | .rec.key' "$other/ledger.jsonl")" ]
	# this ledger's first s entries, then the other's checkpoint
	{ head -n "$s" ledger.jsonl; sed -n "$((s + 1))p" \
	    "$other/ledger.jsonl"; } >x
	mv x ledger.jsonl
	# this ledger's state before entry s, the other's mark (its key)
	{
		awk -F '\t' -v s="$s" '$1 != "M" && ($1 !~ /^[JCRK]$/ || $2 < s)' \
		    ledger.jsonl.state
		printf 'M\t%s\t0\n' "$(jq -nc --argjson m "$om" \
		    --argjson n "$(wc -c <ledger.jsonl)" '$m | .size = $n')"
	} >x
	mv x ledger.jsonl.state
	redigest
	nocache denki-clear -c coop.yaml orders.jsonl
	assert_failure 65
	same_run
}

@test "attack: a cache's mark with committed flipped (its digest made again): settle reads the ledger whole" {
	season 2
	day2 commitment
	fresh
	m=$(grep '^M' ledger.jsonl.state | cut -f2 | jq -c '.committed = (.committed | not)')
	{ grep -v '^M' ledger.jsonl.state; printf 'M\t%s\t0\n' "$m"; } >x
	mv x ledger.jsonl.state
	redigest
	nocache denki-settle -c coop.yaml readings.jsonl
	assert_success
	same_run
	[ "${#lines[@]}" -ge 240 ]
	rebuilt "$size"
}

@test "attack: a cache with a NUL byte in a J line (its digest made again): read whole, the same bytes" {
	season 2
	day2 clearing
	fresh
	n=$(grep -an "^J" ledger.jsonl.state | tail -n 1 | cut -d: -f1)
	perl -i -pe "s/\"type\"/\"ty\\0pe\"/ if \$. == $n" ledger.jsonl.state
	[ "$(tr -cd '\0' <ledger.jsonl.state | wc -c)" -eq 1 ]
	redigest
	nocache denki-contract-sign -c coop.yaml cleared.jsonl
	assert_success
	same_run
	rebuilt "$size"
}

@test "attack: a cache with a J line twice (its digest made again): read whole" {
	season 2
	day2 clearing
	fresh
	j=$(grep '^J' ledger.jsonl.state | tail -n 1)
	seq=$(printf '%s\n' "$j" | cut -f2)
	{ grep -v '^M' ledger.jsonl.state; printf '%s\n' "$j"
	    grep '^M' ledger.jsonl.state; } >x
	mv x ledger.jsonl.state
	redigest
	nocache denki-contract-sign -c coop.yaml cleared.jsonl
	assert_success
	same_run
	[ "$(grep -c "$(printf '^J\t%s\t' "$seq")" ledger.jsonl.state)" -eq 1 ]
	rebuilt "$size"
}

@test "attack: LEDGER.state a symlink: no cache read or written, its target untouched" {
	season 2
	day2 clearing
	fresh
	# the ledger grown since: a cache followed would be brought up to date
	day2 commitment
	mv ledger.jsonl.state elsewhere
	cp elsewhere elsewhere.orig
	ln -s elsewhere ledger.jsonl.state
	nocache denki-settle -c coop.yaml readings.jsonl
	assert_success
	same_run
	[ -L ledger.jsonl.state ]
	cmp elsewhere elsewhere.orig
}
