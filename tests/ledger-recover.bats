#!/usr/bin/env bats
# denki-ledger-recover, and the crash safety of every append: writers
# killed with SIGKILL at random moments, hundreds of times.

load test_helper

setup() {
	common_setup
	make_community_once alice bob carol
}

# slot N (0-based) from 2026-03-01T00:00Z, 30 minutes each
slot() {
	date -u -d "2026-03-01T00:00:00Z + $(($1 * 30)) min" +%Y-%m-%dT%H:%M:%S+00:00
}

@test "ledger-recover: an intact ledger is left alone (0, nothing dropped)" {
	cp ledger.jsonl before
	run -0 --separate-stderr denki-ledger-recover -c coop.yaml
	assert_output "{\"dropped_bytes\":0,\"dropped_entries\":0,\"entries\":$(wc -l <before),\"ledger\":\"ledger.jsonl\",\"type\":\"recovery\",\"v\":1}"
	cmp ledger.jsonl before
}

@test "ledger-recover: a torn last line is cut back to the last checkpoint; the ledger verifies" {
	cp ledger.jsonl good
	{ order alice sell 500 150000; order bob buy 400 250000; } >o.jsonl
	denki-clear -c coop.yaml o.jsonl | denki-contract-sign -c coop.yaml >/dev/null
	size=$(stat -c %s ledger.jsonl)
	truncate -s $((size - 30)) ledger.jsonl
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --partial 'torn last line'
	run -0 --separate-stderr denki-ledger-recover -c coop.yaml -n
	assert_regex "$stderr" 'would cut [0-9]+ bytes after the last checkpoint \(entry [0-9]+\)'
	[ "$(stat -c %s ledger.jsonl)" = $((size - 30)) ]
	run -0 --separate-stderr denki-ledger-recover -c coop.yaml
	assert_regex "$stderr" 'cutting [0-9]+ bytes after the last checkpoint'
	cmp ledger.jsonl good
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "ledger-recover: whole lines after the last checkpoint are an unacknowledged tail too" {
	cp ledger.jsonl good
	{ order alice sell 500 150000; order bob buy 400 250000; } >o.jsonl
	denki-clear -c coop.yaml o.jsonl | denki-contract-sign -c coop.yaml >/dev/null
	# cut at a line boundary inside the run: the checkpoint is gone
	head -n $(( $(wc -l <good) + 3 )) ledger.jsonl >cut && cp cut ledger.jsonl
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --partial 'follow the last checkpoint: an append that was never acknowledged'
	run -0 --separate-stderr denki-ledger-recover -c coop.yaml
	assert_output --partial '"dropped_entries":3'
	cmp ledger.jsonl good
}

@test "ledger-recover: damage that is not a crash is refused, nothing changed (1)" {
	# a changed byte inside an entry in the middle of the ledger
	sed -i '2s/"zone":"main"/"zone":"mainX"/' ledger.jsonl
	cp ledger.jsonl before
	run -1 --separate-stderr denki-ledger-recover -c coop.yaml
	assert_equal "${stderr_lines[0]}" "denki-ledger-recover: ledger.jsonl:2: entry 1: changed after it was written: its hash is not entry 2's prev, and entry 3 links to it as it is"
	assert_equal "${stderr_lines[1]}" "denki-ledger-recover: ledger.jsonl: damaged, not cut short by a crash; nothing changed"
	cmp ledger.jsonl before
}

@test "ledger-recover: a missing ledger is 66; -h; a bad option is 64" {
	run -66 --separate-stderr denki-ledger-recover -c coop.yaml -D ledger=none.jsonl
	assert_equal "$stderr" "denki-ledger-recover: none.jsonl: No such file or directory"
	run -0 denki-ledger-recover -h
	assert_output --partial 'usage: denki-ledger-recover'
	run -64 denki-ledger-recover -x
}

# The crash test.  Each round starts a writer on the next slot and kills it
# with SIGKILL after a random delay; then recovery runs, and the ledger
# must verify.  What a writer printed was acknowledged and must be in the
# ledger at the end; nothing may be there twice.  strace stretches each
# write(2) by a few milliseconds, so that the kills land inside appends
# as well as before and after them.
@test "crash: 200 writers killed at random points; every acknowledged append survives, nothing twice" {
	local rounds=${DENKI_CRASH_ROUNDS:-200} i s p
	command -v strace >/dev/null || skip "strace is not installed (make deps)"
	local -a people=(alice bob carol dave erin frank gina hal)
	for p in "${people[@]:3}"; do
		denki-keygen "$p" >/dev/null
		enrol "$p" -m "$p-m"
	done
	# every round's slot, from one date(1) (slot's dates: a process a
	# round and participant before)
	local -a slots
	mapfile -t slots < <(for ((i = 0; i < rounds; i++)); do
		echo "2026-03-01T00:00:00Z + $((i * 30)) min"
	done | date -u -f - +%Y-%m-%dT%H:%M:%S+00:00)
	[ "${#slots[@]}" = "$rounds" ] && [ "${slots[1]}" = "$(slot 1)" ]
	# every participant's orders for every round, signed in one go each
	for p in "${!people[@]}"; do
		for ((i = 0; i < rounds; i++)); do
			s=${slots[i]}
			if ((p % 2 == 0)); then side=sell price=$((110000 + p * 1000 + i % 7 * 100))
			else side=buy price=$((260000 - p * 1000 - i % 5 * 100)); fi
			printf '{"type":"order","v":1,"participant":"%s","slot":"%s","side":"%s","wh":%d,"price":%d}\n' \
			    "${people[$p]}" "$s" "$side" $((100 + (i * 37 + p * 11) % 900)) "$price"
		done | sign_with "${people[$p]}.key" >>orders.jsonl
	done
	denki-clear -c coop.yaml orders.jsonl >cleared.jsonl
	awk '{ match($0, /"slot":"[^"]*"/); s = substr($0, RSTART + 8, 25);
	    if (!(s in n)) { n[s] = k++ } print > ("c-" n[s] ".jsonl") }' cleared.jsonl
	[ -f "c-$((rounds - 1)).jsonl" ]

	# (not i: bats' run uses that name)
	local acked=0 cut=0 killed=0 r delay
	for ((r = 0; r < rounds; r++)); do
		strace -f -o /dev/null -e trace=write \
		    -e inject=write:delay_enter=10000 \
		    denki-contract-sign -c coop.yaml "c-$r.jsonl" \
		    >"out-$r.jsonl" 2>/dev/null &
		pid=$!
		# anywhere in the writer's life: starting, reading the ledger,
		# or inside its append, which the delays make long; a writer
		# that ends sooner is not waited for to the end of the delay
		sleep "0.$((RANDOM % 3))$((RANDOM % 10))" &
		delay=$!
		wait -n "$pid" "$delay" || true
		child=$(pgrep -P "$pid" || true)
		if [ -n "$child" ] && kill -9 $child 2>/dev/null; then
			killed=$((killed + 1))
		fi
		wait "$pid" 2>/dev/null || true
		kill "$delay" 2>/dev/null || true
		wait "$delay" 2>/dev/null || true
		run -0 --separate-stderr denki-ledger-recover -c coop.yaml
		[[ $output == *'"dropped_bytes":0,'* ]] || cut=$((cut + 1))
		if [ -s "out-$r.jsonl" ]; then
			acked=$((acked + 1))
			echo "$r" >>acked
		fi
		if ((r % 25 == 24)); then
			run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
		fi
	done
	echo "# $rounds rounds: $killed killed, $cut recoveries cut a tail, $acked acknowledged" >&3
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	# every contract a writer acknowledged is in the ledger, once
	jq -c 'select(.rec.type == "contract") | .rec' ledger.jsonl | sort >in-ledger
	[ "$(uniq -d in-ledger | wc -l)" = 0 ]
	if [ -s acked ]; then
		while read -r i; do
			while read -r c; do
				grep -qxF "$c" in-ledger || { echo "round $i: acknowledged contract missing: $c"; false; }
			done <"out-$i.jsonl"
		done <acked
	fi
	# and no slot was cleared twice
	[ "$(jq -r 'select(.rec.type == "clearing") | .rec.slot' ledger.jsonl | sort | uniq -d | wc -l)" = 0 ]
}
