#!/usr/bin/env bats
# denki-bid's forecast (lib/meter/forecast.c, forecast-bid.c): the methods
# each scored on the household's own history, the best one chosen.

load test_helper

setup() {
	common_setup
	make_community alice
}

# history DAYS FORMULA [LAST]: alice-m's readings of DAYS days from
# 2026-06-01, 30-minute slots, then LAST slots more; FORMULA is awk that
# sets imp and ex from d (the day, from 0), s (the slot of the day,
# 0-47) and i (the slot from the first)
history() {
	awk -v days="$1" -v last="${3:-0}" 'BEGIN {
		split("1.0 0.3 0.9 0.5 0.2 0.8", c6, " ")
		pi = 3.14159265358979
		for (i = 0; i < days * 48 + last; i++) {
			d = int(i / 48); s = i % 48
			imp = 0; ex = 0
			'"$2"'
			if (imp == "") continue
			mo = d < 30 ? 6 : 7; dd = d < 30 ? d + 1 : d - 29
			printf "{\"type\":\"reading\",\"v\":1,\"meter\":\"alice-m\",\"slot\":\"2026-%02d-%02dT%02d:%02d:00+00:00\",\"import_wh\":%d,\"export_wh\":%d}\n", mo, dd, int(s / 2), s % 2 * 30, imp, ex
		}
	}'
}

# the order's side and wh
order_of() {
	echo "$output" | jq -r '"\(.side) \(.wh)"'
}

# each weekday its own import: 200 + 100 x (the day from June 1, mod 7)
WEEKLY='imp = 200 + 100 * (d % 7)'

@test "bid forecast: a household whose days differ by weekday is bid from last week, not yesterday" {
	history 35 "$WEEKLY" >r.jsonl
	# 2026-07-06T00:00 (day 35: 200): yesterday (day 34) was 800, the
	# same day last week 200; the backtest found last week right
	run -0 --separate-stderr denki-bid -n -c alice.yaml r.jsonl
	assert_equal "$(echo "$output" | jq -r .slot)" 2026-07-06T00:00:00+00:00
	assert_equal "$(order_of)" "buy 200"
	assert_equal "$stderr" ""
}

@test "bid forecast: a whole day bid at once (-N 48) is chosen by the backtest of forecasts made a day ahead" {
	history 35 "$WEEKLY; imp += s" >r.jsonl
	# 2026-07-06 (day 35, weekday 0): 200 + the slot; yesterday's 800 +
	run -0 --separate-stderr denki-bid -n -c alice.yaml -s 2026-07-06T00:00:00+00:00 -N 48 r.jsonl
	assert_equal "$(echo "$output" | jq -r '.wh' | tr '\n' ' ')" "$(seq 200 247 | tr '\n' ' ')"
	assert_equal "$stderr" ""
}

@test "bid forecast: bid.forecast pins a method: yesterday as before, the week's mean" {
	history 35 "$WEEKLY" >r.jsonl
	run -0 --separate-stderr denki-bid -n -c alice.yaml -D bid.forecast=yesterday r.jsonl
	assert_equal "$(order_of)" "buy 800"
	run -0 --separate-stderr denki-bid -n -c alice.yaml -D bid.forecast=mean7 r.jsonl
	assert_equal "$(order_of)" "buy 500"
	run -0 --separate-stderr denki-bid -n -c alice.yaml -D bid.forecast=lastweek r.jsonl
	assert_equal "$(order_of)" "buy 200"
}

@test "bid forecast: until a week of history is scored, yesterday and its gap rule as before" {
	history 6 "$WEEKLY" >r.jsonl
	# 2026-06-07T00:00: yesterday (day 5) 700
	run -0 --separate-stderr denki-bid -n -c alice.yaml r.jsonl
	assert_equal "$(order_of)" "buy 700"
	history 6 "$WEEKLY; if (d == 5 && s == 3) imp = \"\"" >g.jsonl
	run -0 --separate-stderr denki-bid -n -c alice.yaml -D state=g.db \
	    -s 2026-06-07T01:30:00+00:00 g.jsonl
	assert_equal "$output" ""
	assert_equal "$stderr" "denki-bid: slot 2026-06-07T01:30:00+00:00: no reading of 2026-06-06T01:30:00+00:00 yet to forecast from; no order"
}

@test "bid forecast: gaps and a meter reset read as a huge step do not poison the forecast" {
	# 300 Wh every slot for three weeks, but no readings at all on day 10
	# nor in every slot 3, and a reset (99999999 Wh) in the slot the
	# day before the target: yesterday's method bid it; now 300
	history 21 'imp = 300
		if (d == 10 || s == 3) imp = ""
		if (d == 20 && s == 0) imp = 99999999' >r.jsonl
	run -0 --separate-stderr denki-bid -n -c alice.yaml -s 2026-06-22T00:00:00+00:00 r.jsonl
	assert_equal "$(order_of)" "buy 300"
	# after a week of history, a slot whose yesterday is missing is
	# still forecast (from the slots around it)
	run -0 --separate-stderr denki-bid -n -c alice.yaml -s 2026-06-22T01:30:00+00:00 </dev/null
	assert_equal "$(order_of)" "buy 300"
	assert_equal "$stderr" ""
}

@test "bid forecast: a meter reset through meter-read (a counter going backwards) leaves a gap, not a poisoned forecast" {
	# 22 days of a counter at 30-minute boundaries, 300 Wh a slot; it
	# is reset just before 2026-06-22T00:30 (row 1010), so the slot
	# 2026-06-22T00:00, the day before the target, has no reading
	awk 'BEGIN {
		print "time,import_total_wh,export_total_wh"
		for (k = 0; k <= 22 * 48; k++) {
			d = int(k / 48); s = k % 48
			c = k < 1009 ? 300 * k : 5 + 300 * (k - 1009)
			printf "2026-06-%02dT%02d:%02d:00+00:00,%d,0\n", d + 1, int(s / 2), s % 2 * 30, c
		}
	}' >b.csv
	run -0 --separate-stderr denki-meter-read -m alice-m b.csv
	assert_equal "$stderr" "denki-meter-read: b.csv:1011: counter went backwards (meter replaced or reset?); no reading for this interval"
	echo "$output" >r.jsonl
	[ "$(grep -c 2026-06-22T00:00:00 r.jsonl)" = 0 ]
	run -0 --separate-stderr denki-bid -n -c alice.yaml r.jsonl
	assert_equal "$(echo "$output" | jq -r .slot)" 2026-06-23T00:00:00+00:00
	assert_equal "$(order_of)" "buy 300"
	assert_equal "$stderr" ""
}

# A PV home in Konstanz: 50 Wh of import a slot, and an export of a clear
# day's curve times the day's sky (six kinds of day in turn); the target
# 2026-07-06T12:00 (day 35, sky 0.8) after its morning's readings.
PV='imp = 50; h = s / 2
	if (h > 4 && h < 19) ex = int(2000 * sin(pi * (h - 4) / 15) * c6[d % 6 + 1] + 0.5)'

@test "bid forecast: a PV home with its latitude and longitude follows today's sky, not yesterday's" {
	history 35 "$PV" 24 >r.jsonl
	truth=$(awk 'BEGIN { pi = 3.14159265358979; printf "%d", int(2000 * sin(pi * 8 / 15) * 0.8 + 0.5) - 50 }')
	run -0 --separate-stderr denki-bid -n -c alice.yaml -D bid.forecast=yesterday r.jsonl
	# yesterday: sky 0.2
	assert_equal "$(order_of)" "sell $(awk 'BEGIN { pi = 3.14159265358979; printf "%d", int(2000 * sin(pi * 8 / 15) * 0.2 + 0.5) - 50 }')"
	run -0 --separate-stderr denki-bid -n -c alice.yaml -D bid.latitude=47.66 \
	    -D bid.longitude=9.18 r.jsonl
	assert_equal "$(echo "$output" | jq -r .slot)" 2026-07-06T12:00:00+00:00
	wh=$(echo "$output" | jq .wh)
	[ "$(echo "$output" | jq -r .side)" = sell ]
	[ "$wh" -ge $((truth * 85 / 100)) ] && [ "$wh" -le $((truth * 115 / 100)) ]
	run -0 --separate-stderr denki-bid -n -c alice.yaml -D bid.latitude=47.66 \
	    -D bid.longitude=9.18 -D bid.forecast=clearsky r.jsonl
	wh=$(echo "$output" | jq .wh)
	[ "$wh" -ge $((truth * 85 / 100)) ] && [ "$wh" -le $((truth * 115 / 100)) ]
}

# together_alone CONF T1 .. T6: r.jsonl read, then the six slots of
# 2026-07-06 from T1 bid together (-N 6) give the orders they give bid
# one by one (their signatures aside); the orders in $together
together_alone() {
	local conf=$1 t
	shift
	local opts=(-n -c "$conf" -D bid.latitude=47.66 -D bid.longitude=9.18)
	denki-bid "${opts[@]}" r.jsonl >/dev/null
	run -0 --separate-stderr denki-bid "${opts[@]}" -s "2026-07-06T$1:00+00:00" -N 6 </dev/null
	[ "${#lines[@]}" = 6 ]
	together=$(echo "$output" | jq -c 'del(.sig)')
	alone=$(for t in "$@"; do
		denki-bid "${opts[@]}" -s "2026-07-06T$t:00+00:00" </dev/null | jq -c 'del(.sig)'
	done)
	assert_equal "$together" "$alone"
}

@test "bid forecast: slots bid together (-N) get the forecasts each gets alone, readings after some of them or not" {
	history 35 "$PV" 24 >r.jsonl
	together_alone alice.yaml 10:00 10:30 11:00 11:30 12:00 12:30
	# 10:00 to 11:30 have readings: each is forecast from the one before
	[ "$(echo "$together" | jq -r .wh | sort -u | wc -l)" -ge 4 ]
}

@test "bid forecast: slots bid together (-N) get the forecasts each gets alone, of two meters each with a gap the other has not" {
	sed 's/meters: \[alice-m\]/meters: [alice-m, alice-pv]/' alice.yaml >two.yaml
	history 35 "$PV" 21 >m.jsonl
	sed 's/alice-m/alice-pv/' m.jsonl >pv.jsonl
	# alice-m lacks 08:00, alice-pv 08:30 and 09:30: both have 09:00
	# and 10:00; the newest slot of both before 10:30 is 10:00, before
	# 09:30 09:00, before 09:00 07:30
	grep -v '"2026-07-06T08:00' m.jsonl >r.jsonl
	grep -v '"2026-07-06T08:30\|"2026-07-06T09:30' pv.jsonl >>r.jsonl
	together_alone two.yaml 08:00 08:30 09:00 09:30 10:00 10:30
	[ "$(echo "$together" | jq -r .wh | sort -u | wc -l)" -ge 5 ]
}

@test "bid forecast: a bad bid.forecast, latitude or longitude is 78 and names the setting" {
	run -78 --separate-stderr denki-bid -n -c alice.yaml -D bid.forecast=tomorrow -s 2026-06-07T00:00:00+00:00 </dev/null
	assert_equal "$stderr" 'denki-bid: alice.yaml: bid.forecast: must be auto, yesterday, lastweek, blend, mean7, median7, ets, combo or clearsky, got "tomorrow"'
	run -78 --separate-stderr denki-bid -n -c alice.yaml -D bid.latitude=91 -D bid.longitude=9 -s 2026-06-07T00:00:00+00:00 </dev/null
	assert_equal "$stderr" 'denki-bid: alice.yaml: bid.latitude: must be decimal degrees from -90 to 90, got "91"'
	run -78 --separate-stderr denki-bid -n -c alice.yaml -D bid.longitude=9.18x -D bid.latitude=47 -s 2026-06-07T00:00:00+00:00 </dev/null
	assert_equal "$stderr" 'denki-bid: alice.yaml: bid.longitude: must be decimal degrees from -180 to 180, got "9.18x"'
	run -78 --separate-stderr denki-bid -n -c alice.yaml -D bid.latitude=47.66 -s 2026-06-07T00:00:00+00:00 </dev/null
	assert_equal "$stderr" 'denki-bid: alice.yaml: bid.latitude and bid.longitude: give both or neither'
	run -78 --separate-stderr denki-bid -n -c alice.yaml -D bid.forecast=clearsky -s 2026-06-07T00:00:00+00:00 </dev/null
	assert_equal "$stderr" 'denki-bid: alice.yaml: bid.forecast: clearsky needs bid.latitude and bid.longitude'
}

@test "bid forecast: bid day by day (as simulate runs it), a reading late and one corrected, bids as one run given the history in order" {
	# 20 days from 2026-06-01; last week's 2026-06-14T02:30 comes
	# last, and its 05:00 first wrong (3000 Wh), then corrected
	history 20 "$WEEKLY; imp += s * 7 + (d * 13 + s * 5) % 40" >all.jsonl
	grep '"2026-06-14T02:30' all.jsonl | sed 's/"import_wh":[0-9]*/"import_wh":2500/' >late.jsonl
	grep '"2026-06-14T05:00' all.jsonl >fix.jsonl
	grep -v '"2026-06-14T02:30' all.jsonl | sed '/"2026-06-14T05:00/s/"import_wh":[0-9]*/"import_wh":3000/' >early.jsonl
	set -- -n -c alice.yaml -N 48
	for d in $(seq -w 1 20); do
		grep "\"2026-06-${d}T" early.jsonl |
		    denki-bid "$@" -D state=a.db -s "2026-06-$(printf %02d $((10#$d + 1)))T00:00:00+00:00" >/dev/null
	done
	cat late.jsonl fix.jsonl >last.jsonl
	run -0 --separate-stderr denki-bid "$@" -D state=a.db -s 2026-06-21T00:00:00+00:00 last.jsonl
	[ "${#lines[@]}" = 48 ]
	daily=$output
	# the history at once, in slot order
	awk '/"2026-06-14T02:30/ { while ((getline l <"late.jsonl") > 0) print l; next } { print }' all.jsonl >inorder.jsonl
	[ "$(grep -c . inorder.jsonl)" = 960 ]
	run -0 --separate-stderr denki-bid "$@" -D state=b.db -s 2026-06-21T00:00:00+00:00 inorder.jsonl
	assert_equal "$daily" "$output"
	# the late reading and the correction count (a test that could
	# fail): without either, other orders
	run -0 --separate-stderr denki-bid "$@" -D state=c.db -s 2026-06-21T00:00:00+00:00 early.jsonl
	[ "$daily" != "$output" ]
	run -0 --separate-stderr denki-bid "$@" -D state=c.db -s 2026-06-21T00:00:00+00:00 late.jsonl
	[ "$daily" != "$output" ]
	run -0 --separate-stderr denki-bid "$@" -D state=c.db -s 2026-06-21T00:00:00+00:00 fix.jsonl
	assert_equal "$daily" "$output"
}
