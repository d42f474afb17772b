#!/usr/bin/env bats
# denki-bid -r: several days bid in one run, each as a run of its own a
# day later would bid it (denki-simulate bids its homes without a battery
# so): the same orders and the same state database, byte for byte.

load test_helper

setup() {
	common_setup
	make_community alice
	# four days of alice-m from 2026-06-30 (the history), 48 slots each
	denki-meter-read -c alice.yaml -d sim -s 2026-06-30T00:00:00+00:00 \
	    -n 192 >r.jsonl
}

# daily IN STATE DAYS [ARGS]: a run of bid a day into state STATE, each
# given the lines of IN from the first reading of the day before to that
# of its own day (a line without a slot goes with the lines before it);
# with -k, every run, the status the last bad one's
daily() {
	local in=$1 db=$2 days=$3 k rc=0
	shift 3
	rm -f in.*.jsonl
	awk 'match($0, /"slot":"[0-9-]+/) {
		d = substr($0, RSTART + 8, 10)
		if (d > cur) { cur = d; n++ }
	} { print > ("in." n ".jsonl") }' "$in"
	for ((k = 0; k < days; k++)); do
		[ -e in.$((k + 1)).jsonl ] || : >in.$((k + 1)).jsonl
		denki-bid -c alice.yaml -D "state=$db" -N 48 "$@" \
		    -s "$(date -u -d "2026-07-01 +$k day" +%FT%T+00:00)" \
		    <in.$((k + 1)).jsonl || {
			rc=$?
			[ "${1:-}" = -k ] || return $rc
		}
	done
	return $rc
}

# same A B: the two state databases hold the same
same() {
	sqlite3 "$1" .dump >"$1.sql"
	sqlite3 "$2" .dump >"$2.sql"
	[ -s "$1.sql" ]
	cmp "$1.sql" "$2.sql"
}

# against DAYS [ARGS]: r.jsonl bid a day at a time (daily.db) and DAYS
# days in one run of bid -r (one.db), with ARGS each: the same orders,
# messages and state, byte for byte; the one run's in one.jsonl, one.err
against() {
	local days=$1
	shift
	daily r.jsonl daily.db "$days" "$@" >daily.jsonl 2>daily.err
	run -0 --separate-stderr denki-bid "$@" -c alice.yaml -D state=one.db \
	    -s 2026-07-01T00:00:00+00:00 -N 48 -r "$days" <r.jsonl
	echo "$output" >one.jsonl
	echo "$stderr" >one.err
	cmp daily.jsonl one.jsonl
	cmp daily.err one.err
	same daily.db one.db
}

@test "bid -r 5: five days in one run, the orders, messages and state of five runs a day apart" {
	against 5
	# four days of orders, each from the day before; the fifth has no
	# day before it to forecast from: its 48 slots said so
	assert_equal "$(jq -r '.slot[:10]' one.jsonl | uniq -c | awk '{ print $2 }' | paste -sd' ')" \
	    "2026-07-01 2026-07-02 2026-07-03 2026-07-04"
	assert_equal "$(grep -c '^denki-bid: slot 2026-07-05T.*no order$' one.err)" 48
	assert_equal "$(wc -l <one.err)" 48
	# each day's slots marked sent, the days' readings kept
	assert_equal "$(sqlite3 one.db 'select count(*) from reading')" 192
	run -0 --separate-stderr denki-bid -c alice.yaml -D state=one.db \
	    -s 2026-07-02T00:00:00+00:00 -N 48 </dev/null
	assert_output ""
	assert_equal "$(echo "$stderr" | grep -c 'already bid for')" 48
}

@test "bid -r with a battery: each day planned anew from its own first slot, as a day's run plans it" {
	cat >>alice.yaml <<-YAML
	battery:
	  capacity_wh: 10000
	  horizon: 96
	YAML
	against 4
	# a plan of each day from its midnight (over the 48 slots whose day
	# before is known, of the 96 of battery.horizon)
	assert_equal "$(grep -c 'battery: slot .*T00:00:00+00:00: .* over 48 slots$' one.err)" 4
	assert_equal "$(grep -c 'battery: slot' one.err)" 4
	assert_equal "$(sqlite3 one.db 'select count(distinct made) from battery_plan')" 4
	# again with -f, the days after each already known: a day's plan
	# covers the next day too, which plans anew all the same
	against 4 -f
	assert_equal "$(grep -c 'battery: slot .*T00:00:00+00:00: .* over 96 slots$' one.err)" 3
	assert_equal "$(grep -c 'battery: slot' one.err)" 4
}

@test "bid -r: a bad line mid-way: the days before it bid and kept, 65 naming file:line, as the runs up to it" {
	# line 59: the 11th reading of 2026-07-01, day 0's day; day 0 was bid
	# at its first reading (line 49), day 1 never is
	sed '58a {"type":"reading","v":1,' r.jsonl >bad.jsonl
	run -65 daily bad.jsonl daily.db 4
	echo "$output" >daily.out
	run -65 --separate-stderr denki-bid -c alice.yaml -D state=one.db \
	    -s 2026-07-01T00:00:00+00:00 -N 48 -r 4 bad.jsonl
	assert_regex "$stderr" '^denki-bid: bad\.jsonl:59: malformed JSON at column [0-9]+: .+$'
	assert_equal "${#stderr_lines[@]}" 1
	assert_equal "$(echo "$output" | jq -r .slot[:10] | sort -u)" 2026-07-01
	assert_equal "$(echo "$output" | wc -l)" "$(grep -c '"type":"order"' daily.out)"
	same daily.db one.db
	# the readings before the bad line kept: the 48 of the history, 10
	assert_equal "$(sqlite3 one.db 'select count(*) from reading')" 58
	# -k: reported, every day bid, still 65, as runs with -k
	rm -f daily.db one.db
	run -65 daily bad.jsonl daily.db 4 -k
	echo "$output" | grep '"type":"order"' >daily.jsonl
	run -65 --separate-stderr denki-bid -k -c alice.yaml -D state=one.db \
	    -s 2026-07-01T00:00:00+00:00 -N 48 -r 4 <bad.jsonl
	echo "$output" >one.jsonl
	cmp daily.jsonl one.jsonl
	same daily.db one.db
	assert_regex "$stderr" '^denki-bid: stdin:59: malformed JSON at column [0-9]+: .+$'
	assert_equal "$(jq -r '.slot[:10]' one.jsonl | sort -u | wc -l)" 4
}

@test "bid -r: readings in files, a day's first in the second: the same as the runs" {
	head -n 100 r.jsonl >a.jsonl
	tail -n +101 r.jsonl >b.jsonl
	daily r.jsonl daily.db 4 >daily.jsonl 2>/dev/null
	run -0 --separate-stderr denki-bid -c alice.yaml -D state=one.db \
	    -s 2026-07-01T00:00:00+00:00 -N 48 -r 4 a.jsonl b.jsonl
	echo "$output" >one.jsonl
	cmp daily.jsonl one.jsonl
	same daily.db one.db
}

@test "bid -r: without -s, 0 days or not a number, the feed on stdin: 64, nothing kept" {
	run -64 --separate-stderr denki-bid -c alice.yaml -r 3 r.jsonl
	assert_equal "$stderr" "denki-bid: -r 3: the days start at -s slot"
	run -64 --separate-stderr denki-bid -c alice.yaml -s 2026-07-01T00:00:00+00:00 -r 0 r.jsonl
	assert_equal "$stderr" "denki-bid: -r 0: must be 1 to 3660 days"
	run -64 --separate-stderr denki-bid -c alice.yaml -s 2026-07-01T00:00:00+00:00 -r 2x r.jsonl
	assert_equal "$stderr" "denki-bid: -r 2x: must be 1 to 3660 days"
	run -64 --separate-stderr denki-bid -c alice.yaml -s 2026-07-01T00:00:00+00:00 -r 2 -r 3 r.jsonl
	assert_equal "$stderr" 'denki-bid: -r: given twice ("2" and "3")'
	run -64 --separate-stderr denki-bid -c alice.yaml -s 2026-07-01T00:00:00+00:00 -r 2 -F - <r.jsonl
	assert_equal "$stderr" "denki-bid: -r 2: -F -: the feed is read each day, not from standard input"
	assert_output ""
	[ ! -e alice.db ]
}

@test "bid -r: in the usage, the page and the completions" {
	run -0 --separate-stderr denki-bid -h
	assert_output --partial "[-s slot [-N count] [-r days]]"
	grep -q '^\.Op Fl s Ar slot Oo Fl N Ar count Oc Op Fl r Ar days$' "$TOP/man/denki-bid.1"
	grep -q '^\.It Fl r Ar days$' "$TOP/man/denki-bid.1"
	run -0 bash -c '
		source "$1/completions/bash/denki"
		COMP_WORDS=(denki-bid -); COMP_CWORD=1; _denki
		echo "${COMPREPLY[*]}"' _ "$TOP"
	assert_output --partial "-s -N -r"
	grep -q "'-r+\[days bid in turn from -s" "$TOP/completions/zsh/_denki"
}
