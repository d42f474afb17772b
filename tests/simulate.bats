#!/usr/bin/env bats
# denki-simulate: a small scenario (three Konstanz homes, two days) run
# through the real programs, its figures held against the ledger it made
# (denki-report, denki-ledger-verify), the page, two scenarios side by
# side, scaling, and scenario files that must be refused.

load test_helper

setup() {
	common_setup
	cat >small.yaml <<-YAML
	community: $EXAMPLES/community
	start: 2016-07-05
	days: 2
	homes: [kn1, kn2, kn3]
	YAML
}

# beside: bin/ holds a copy of denki-simulate and links to the other
# programs, for a test to put its own in their place
beside() {
	mkdir bin
	cp "$TOP/denki-simulate" bin/
	for f in "$TOP"/denki-*; do
		[ -e "bin/${f##*/}" ] || ln -s "$f" bin/
	done
}

# field NAME: NAME's value in the JSON object on stdin
field() {
	jq -r ".$1"
}

@test "simulate: two days of three homes; the figures are the ledger's" {
	run --separate-stderr denki-simulate -q small.yaml
	assert_success
	[ "$(echo "$output" | wc -l)" -eq 1 ]
	echo "$output" >sim.json
	[ "$(field type <sim.json)" = simulation ]
	[ "$(field homes <sim.json)" -eq 3 ]
	[ "$(field days <sim.json)" -eq 2 ]
	# 3 homes x 96 slots settled, every one on its reading
	[ "$(field member_slots <sim.json)" -eq 288 ]
	run denki-ledger-verify -p small/operator.pub small/ledger.jsonl
	assert_success
	assert_output --partial "3 participants"
	assert_output --partial "96 slots settled, 288 readings"
	denki-report -p small/operator.pub small/ledger.jsonl >report.jsonl
	sum=$(head -n 1 report.jsonl)
	for k in orders contracts matched_wh matchable_wh; do
		[ "$(field $k <sim.json)" = "$(echo "$sum" | field $k)" ]
	done
	[ "$(field orders <sim.json)" -gt 0 ]
	# the members' money and energy, summed from their statements
	for k in net baseline saving import_wh export_wh bought_wh sold_wh; do
		want=$(jq -s "map(select(.type == \"statement\") | .$k) | add" report.jsonl)
		[ "$(field $k <sim.json)" = "$want" ]
	done
	# bought from members is what they sold one another
	[ "$(field bought_wh <sim.json)" = "$(field sold_wh <sim.json)" ]
	# shares in basis points, from the same sums, rounded to the nearest
	imp=$(field import_wh <sim.json)
	[ "$(field p2p_share_bp <sim.json)" -eq $((($(field bought_wh <sim.json) * 20000 / imp + 1) / 2)) ]
	m=$(field matchable_wh <sim.json)
	[ "$(field matching_rate_bp <sim.json)" -eq $((($(field matched_wh <sim.json) * 20000 / m + 1) / 2)) ]
	# signatures: each reading of the three days (one of history) and
	# each order made, each request; each order checked twice, each
	# settled reading once
	o=$(field orders <sim.json)
	[ "$(field signed <sim.json)" -eq $((3 * 144 + o + 3)) ]
	[ "$(field checked <sim.json)" -eq $((2 * o + 288 + 3)) ]
}

@test "simulate: settlements.jsonl is what settle printed in the last step, each line a record of the ledger" {
	run --separate-stderr denki-simulate -q small.yaml
	assert_success
	# the second day's 48 slots of 3 homes, none of the first day's
	[ "$(grep -c '"type":"settlement"' small/settlements.jsonl)" -eq 144 ]
	[ "$(jq -r 'select(.type == "settlement") | .slot[0:10]' small/settlements.jsonl | sort -u)" = 2016-07-06 ]
	# the transfers as the ledger holds them; each settlement the
	# ledger's of its member and slot (with the meter's energy, which
	# the ledger's leaves out), nets equal
	jq -c '.rec | select(.type == "transfer")' small/ledger.jsonl | sort >recs
	grep '"type":"transfer"' small/settlements.jsonl | sort >printed
	[ -s printed ]
	[ -z "$(comm -23 printed recs)" ]
	jq -r '.rec | select(.type == "settlement" and .slot >= "2016-07-06") | [.participant, .slot, .net] | @tsv' \
	    small/ledger.jsonl | sort >recs
	jq -r 'select(.type == "settlement") | [.participant, .slot, .net] | @tsv' \
	    small/settlements.jsonl | sort >printed
	cmp recs printed
	# in one step of both days, both days'
	mkdir b2
	run --separate-stderr denki-simulate -q -b 2 -d b2 small.yaml
	assert_success
	[ "$(grep -c '"type":"settlement"' b2/small/settlements.jsonl)" -eq 288 ]
}

@test "simulate: the text table and the page carry the same numbers" {
	run --separate-stderr denki-simulate -q -f text small.yaml
	assert_success
	assert_line --regexp '^homes +3$'
	ss=$(echo "$output" | awk '/^self-sufficiency/ { print $2 }')
	[[ "$ss" =~ ^[0-9]+\.[0-9]%$ ]]
	[ -f small.html ]
	grep -q '<svg id="s1-energy"' small.html
	grep -q '<svg id="s1-money"' small.html
	grep -q "<tr data-row=\"self_sufficiency\"><th>self-sufficiency</th><td data-col=\"s1\">$ss</td>" small.html
	# the bars are the members' days: two of them
	[ "$(grep -c 'class="bar p2p-out"' small.html)" -eq 2 ]
	run denki-simulate -q -o page.html -d . -f text small.yaml
	assert_failure 73
	assert_output --partial "small: File exists (each run makes its own folder)"
}

@test "simulate: a battery at kn3 beside the community as it is: bid plans it, the meter reads it following the plan" {
	cp "$EXAMPLES/simulate/base.yaml" "$EXAMPLES/simulate/kn3-battery.yaml" .
	sed -i "s|\.\./community|$EXAMPLES/community|" base.yaml kn3-battery.yaml
	run --separate-stderr denki-simulate -q base.yaml kn3-battery.yaml
	assert_success
	[ "$(echo "$output" | wc -l)" -eq 2 ]
	echo "$output" | sed -n 1p >a.json
	echo "$output" | sed -n 2p >b.json
	[ "$(field scenario <a.json)" = base ]
	[ "$(field scenario <b.json)" = kn3-battery ]
	# the energy of the two runs (the readings', the same every run):
	# the battery keeps kn3's surplus for its evening as bid planned it
	# from the day before: less imported and exported, more of the
	# community's use met inside it
	[ "$(jq -c '[.import_wh, .export_wh, .self_sufficiency_bp, .p2p_share_bp]' a.json)" = "[25566,142538,2634,2523]" ]
	[ "$(jq -c '[.import_wh, .export_wh, .self_sufficiency_bp, .p2p_share_bp]' b.json)" = "[23299,139931,3263,2818]" ]
	h=kn3-battery/homes
	# kn3's file tells bid its battery; the others have none
	grep -qx 'battery.capacity_wh: 10000' $h/kn3.yaml
	grep -qx 'battery.max_discharge_w: 3000' $h/kn3.yaml
	run grep -c battery $h/kn1.yaml
	assert_output 0
	# one plan for the day (made at its first slot), from what the
	# history day left stored: nothing
	grep -qx "denki-bid: battery: slot 2016-07-05T00:00:00+02:00: 0 Wh stored, plan idle 0 Wh over 48 slots" kn3-battery/bid.log
	[ "$(sqlite3 $h/kn3.db 'select count(*), count(distinct made) from battery_plan')" = "48|1" ]
	# the battery did what the plan says, slot by slot: 3474 Wh in,
	# 3134 Wh out
	sqlite3 -separator , $h/kn3.db 'select charge_wh, discharge_wh from battery_plan order by slot' >plan
	tail -n 48 $h/kn3.battery.jsonl | jq -r '"\(.import_wh),\(.export_wh)"' >did
	cmp plan did
	[ "$(awk -F, '{ c += $1; d += $2 } END { print c, d }' did)" = "3474 3134" ]
	# the meter saw the home's own data with the battery's flows: each
	# slot's import less export, plus what it charged, less what it gave
	paste -d, <(sed -n '50,97p' $h/kn3.csv) did |
	    awk -F, '{ print $1 "," $2 - $3 + $4 - $5 }' >want
	sed -n '50,97p' $h/kn3.meter.csv | awk -F, '{ print $1 "," $2 - $3 }' >got
	cmp want got
	run ! cmp <(sed -n '50,97p' $h/kn3.csv) <(sed -n '50,97p' $h/kn3.meter.csv)
	# meter-read signed what the meter saw
	tail -n 48 $h/kn3.readings.jsonl | jq -r '"\(.import_wh),\(.export_wh)"' >signed
	sed -n '50,97p' $h/kn3.meter.csv | cut -d, -f2,3 | cmp - signed
	# bid bid the plan's rest: each order is its slot's grid in the plan
	sqlite3 $h/kn3.db 'select grid_wh from battery_plan where grid_wh != 0 order by slot' >rest
	jq -r 'if .side == "buy" then .wh else -.wh end' $h/kn3.orders.jsonl >bids
	cmp rest bids
	[ "$(wc -l <bids)" -eq 46 ]
	run denki-ledger-verify -p kn3-battery/operator.pub kn3-battery/ledger.jsonl
	assert_success
	assert_output --partial "48 slots settled, 288 readings"
	# each run's figures are its own ledger's
	imp=$(denki-report -p kn3-battery/operator.pub kn3-battery/ledger.jsonl |
	    jq -s 'map(select(.type == "statement") | .import_wh) | add')
	[ "$(field import_wh <b.json)" = "$imp" ]
	grep -q '<svg id="s2-energy"' base-kn3-battery.html
	grep -q '<th>kn3-battery</th>' base-kn3-battery.html
	# the same scenario again: the same figures, but for the money's
	# rounding remainders (the keys are new, so the orders' ids, which
	# order the remainders, are others)
	mkdir again
	run --separate-stderr denki-simulate -q -d again base.yaml
	assert_success
	echo "$output" >c.json
	[ "$(jq -c 'del(.ms, .net, .saving)' c.json)" = "$(jq -c 'del(.ms, .net, .saving)' a.json)" ]
	d=$(($(field net <c.json) - $(field net <a.json)))
	[ "${d#-}" -le 10 ]
}

@test "simulate: a battery over three days: what a day leaves stored is what bid plans the next from" {
	cat >>small.yaml <<-YAML
	add:
	  kn3:
	    battery_wh: 10000
	    battery_w: 3000
	    battery_reserve_wh: 2000
	    battery_efficiency: 900
	YAML
	sed -i 's/^days: 2/days: 3/' small.yaml
	run --separate-stderr denki-simulate -q -b 3 small.yaml
	assert_success
	h=small/homes
	grep -qx 'battery.reserve_wh: 2000' $h/kn3.yaml
	grep -qx 'battery.efficiency_discharge: 900' $h/kn3.yaml
	# the state at each day's end (the history day's: nothing stored),
	# kept where meter-read keeps a battery's, which bid plans from
	[ "$(sqlite3 $h/kn3.db 'select t, soc_wh from battery_state order by t' | tr '\n' ' ')" = "1467669600|0 1467756000|2000 1467842400|2000 1467928800|2000 " ]
	run grep -o 'slot 2016-07-0[567]T00:00:00+02:00: [0-9]* Wh stored' small/bid.log
	assert_output "slot 2016-07-05T00:00:00+02:00: 0 Wh stored
slot 2016-07-06T00:00:00+02:00: 2000 Wh stored
slot 2016-07-07T00:00:00+02:00: 2000 Wh stored"
	# the energy stored, carried through the battery's readings: each
	# Wh charged keeps 0.9 (rounded down a slot), each Wh given takes
	# 1/0.9 (rounded up)
	[ "$(wc -l <$h/kn3.battery.jsonl)" -eq $((4 * 48)) ]
	soc=$(jq -r '"\(.import_wh) \(.export_wh)"' $h/kn3.battery.jsonl |
	    awk '{ s += int($1 * 900 / 1000); if ($2 > 0) s -= int(($2 * 1000 + 899) / 900) } END { print s }')
	[ "$soc" -eq 2000 ]
	# the day bid plans from its readings of the day before: the grid's
	# and the battery's, which it keeps apart
	[ "$(sqlite3 $h/kn3.db 'select count(*) from battery_reading')" -eq 144 ]
	[ "$(wc -l <$h/kn3.readings.jsonl)" -eq $((4 * 48)) ]
	run denki-ledger-verify -p small/operator.pub small/ledger.jsonl
	assert_success
	assert_output --partial "144 slots settled, 432 readings"
}

@test "simulate: copies scale the community, each on other days" {
	cat >>small.yaml <<-YAML
	scale:
	  copies: 2
	  shift_days: 1
	  load_pct: 50
	YAML
	sed -i 's/^days: 2/days: 1/' small.yaml
	run --separate-stderr denki-simulate -q small.yaml
	assert_success
	[ "$(echo "$output" | field homes)" -eq 6 ]
	denki-registry -c small/coop.yaml list >list.jsonl
	[ "$(jq -r .id list.jsonl | sort | tr '\n' ' ')" = "kn1 kn1-2 kn2 kn2-2 kn3 kn3-2 " ]
	# kn2-2 is kn2 a day later (the data's two days in turn), at half
	# its import: its history is kn2's day traded, its day traded kn2's
	# history (rounded down, a Wh a slot at most)
	h2=$(awk -F, 'NR > 1 && NR <= 49 { s += $2 } END { print s }' small/homes/kn2-2.csv)
	d2=$(awk -F, 'NR > 49 { s += $2 } END { print s }' small/homes/kn2-2.csv)
	h=$(awk -F, 'NR > 1 && NR <= 49 { s += $2 } END { print s }' small/homes/kn2.csv)
	d=$(awk -F, 'NR > 49 { s += $2 } END { print s }' small/homes/kn2.csv)
	[ "$h" -ne "$d" ]
	[ "$h2" -le $((d / 2)) ] && [ "$h2" -ge $((d / 2 - 48)) ]
	[ "$d2" -le $((h / 2)) ] && [ "$d2" -ge $((h / 2 - 48)) ]
}

@test "simulate: bad scenario files are refused with their line, nothing run" {
	cp small.yaml clean.yaml
	cp small.yaml typo.yaml
	echo "dayz: 3" >>typo.yaml
	run denki-simulate typo.yaml
	assert_failure 78
	assert_output "denki-simulate: typo.yaml:5: dayz: unknown setting; did you mean days?"
	[ ! -e typo ]
	sed 's/kn3\]/kn3, kn9]/' small.yaml >unknown.yaml
	run denki-simulate unknown.yaml
	assert_failure 78
	assert_output --partial "unknown.yaml:4: homes: kn9: no such home in $EXAMPLES/community (no kn9.yaml)"
	[ ! -e unknown ]
	cp small.yaml add.yaml
	printf 'add:\n  kn4:\n    pv_w: 3000\n' >>add.yaml
	run denki-simulate add.yaml
	assert_failure 78
	assert_output "denki-simulate: add.yaml:7: add.kn4.pv_w: kn4 is not one of the homes"
	cp small.yaml reserve.yaml
	printf 'add:\n  kn2:\n    battery_wh: 5000\n    battery_reserve_wh: 6000\n' >>reserve.yaml
	run denki-simulate reserve.yaml
	assert_failure 78
	assert_output "denki-simulate: reserve.yaml:8: add.kn2.battery_reserve_wh: 6000 is more than its battery_wh, 5000"
	[ ! -e reserve ]
	cp small.yaml pv.yaml
	printf 'add:\n  kn2:\n    pv_kw: 3\n' >>pv.yaml
	run denki-simulate pv.yaml
	assert_failure 78
	assert_output "denki-simulate: pv.yaml:7: add.kn2.pv_kw: unknown setting; did you mean add.kn2.pv_w?"
	cp small.yaml rules.yaml
	printf 'rules:\n  ledger: other.jsonl\n' >>rules.yaml
	run denki-simulate rules.yaml
	assert_failure 78
	assert_output "denki-simulate: rules.yaml:6: rules.ledger: set by denki-simulate, not by a scenario"
	printf 'rules:\n  prices:\n    retial: 1\n' >>small.yaml
	cp small.yaml retial.yaml
	run denki-simulate retial.yaml
	assert_failure 78
	assert_output --partial "retial.yaml:7: rules.prices.retial: not a setting of the cooperative's file"
	sed 's/^start: .*/start: 2016-7-5/' clean.yaml >start.yaml
	run denki-simulate start.yaml
	assert_failure 78
	assert_output --partial 'start.yaml:2: start: must be the first day traded, as 2016-07-05, got "2016-7-5"'
	sed 's/^days: 2/days: 0/' clean.yaml >days.yaml
	run denki-simulate days.yaml
	assert_failure 78
	assert_output --partial "days.yaml:3: days: must be from 1 to 3660, got 0"
	printf 'community: %s\nstart: 2099-01-01\nhomes: [kn1]\n' "$EXAMPLES/community" >future.yaml
	run denki-simulate future.yaml
	assert_failure 78
	assert_output --partial "the period from 2099-01-01 is not over"
	printf 'community: %s\nstart: 2016-07-05\nhomes: [kn1]\nstrategy: greedy\n' "$EXAMPLES/community" >strat.yaml
	run denki-simulate strat.yaml
	assert_failure 78
	assert_output --partial 'strat.yaml:4: strategy: must be fixed, ramp or learn (bid.strategy), got "greedy"'
	# no run's folder was made for any of them
	ls -d */ >dirs
	[ "$(cat dirs)" = home/ ]
}

@test "simulate: usage, -h, and the front program" {
	run denki-simulate
	assert_failure 64
	assert_output --partial "usage: denki-simulate"
	run denki-simulate -h
	assert_success
	assert_output --partial "scenario.yaml [other.yaml]"
	run denki-simulate a.yaml b.yaml c.yaml
	assert_failure 64
	cp small.yaml other.yaml
	mkdir sub
	cp small.yaml sub/small.yaml
	run denki-simulate small.yaml sub/small.yaml
	assert_failure 64
	assert_output --partial "the same name, small"
	run denki -h
	assert_output --partial "simulate"
}

@test "simulate: -b 2 runs the two days at once into the same market" {
	run --separate-stderr denki-simulate -q small.yaml
	assert_success
	echo "$output" >one.json
	mkdir b2
	run --separate-stderr denki-simulate -q -b 2 -d b2 small.yaml
	assert_success
	echo "$output" >two.json
	# the same orders (each home bids each day from the day before's
	# readings; the fixed strategy), the same market, the same energy
	for k in orders contracts matched_wh import_wh export_wh bought_wh imbalance_wh member_slots signed checked; do
		[ "$(field $k <one.json)" = "$(field $k <two.json)" ]
	done
	jq -r '.rec | select(.type == "order") | [.participant, .slot, .side, .wh, .price] | @tsv' \
	    small/ledger.jsonl | sort >o1
	jq -r '.rec | select(.type == "order") | [.participant, .slot, .side, .wh, .price] | @tsv' \
	    b2/small/ledger.jsonl | sort >o2
	[ -s o1 ]
	cmp o1 o2
	run denki-simulate -b 0 small.yaml
	assert_failure 64
	assert_output --partial "-b 0: must be 1 to 3660 days"
}

@test "simulate: a home's order without a slot: 65, its orders file named, no page" {
	beside
	rm bin/denki-bid
	# the real bid, then a line that names no slot
	printf '#!/bin/sh\n"%s/denki-bid" "$@" || exit\necho '"'"'{"type":"order","v":1}'"'"'\n' \
	    "$TOP" >bin/denki-bid
	chmod 755 bin/denki-bid
	run --separate-stderr bin/denki-simulate -q -b 2 small.yaml
	assert_failure 65
	assert_equal "$stderr" "denki-simulate: $BATS_TEST_TMPDIR/small/homes/kn1.orders.jsonl: an order without its slot"
	assert_equal "$output" ""
	[ ! -e small.html ]
}

@test "simulate: a program of the run that fails stops it, named with its log" {
	# settle.signed takes registered or required: denki-settle refuses
	# the run's coop.yaml, after the homes bid and the market cleared
	printf 'rules:\n  settle:\n    signed: maybe\n' >>small.yaml
	run --separate-stderr denki-simulate -q small.yaml
	assert_failure 78
	assert_equal "$stderr" "denki-simulate: small: denki-settle exited 78 (its messages: $BATS_TEST_TMPDIR/small/settle.log)"
	grep -qx 'denki-settle: settle.signed: must be registered or required, got "maybe"' small/settle.log
	# contract-sign's and settle's output is kept of the last step
	# alone: none here, the first of two
	[ -s small/cleared.jsonl ]
	[ ! -e small/contracts.jsonl ]
	[ ! -e small/settlements.jsonl ]
	[ ! -e small.html ]
	assert_equal "$output" ""
	# a home's file of the community that its programs would refuse is
	# refused first, named by its line
	cp -r "$EXAMPLES/community" comm
	sed -i 's/^  sell_markup: .*/  sell_markup: 500/' comm/kn2.yaml
	sed -i "s|^community: .*|community: comm|" small.yaml
	mkdir again
	run --separate-stderr denki-simulate -q -d again small.yaml
	assert_failure 78
	assert_equal "$stderr" "denki-simulate: comm/kn2.yaml:20: bid.sell_markup: must be from 0 to 100, got 500"
}

@test "simulate: a step's entries changed before the figures read them stop the run after that step, named" {
	beside
	rm bin/denki-settle
	# the real settle, then its last transfer's amount changed in the
	# ledger, as a program that wrote past the chain would
	cat >bin/denki-settle <<-EOF
	#!/bin/sh
	"$TOP/denki-settle" "\$@" || exit
	n=\$(grep -n '"type":"transfer"' ledger.jsonl | tail -n 1 | cut -d: -f1)
	sed -i "\${n}s/\"amount\":/\"amount\":1/" ledger.jsonl
	echo "\$n" >>changed
	EOF
	chmod 755 bin/denki-settle
	run --separate-stderr bin/denki-simulate -q small.yaml
	assert_failure 65
	n=$(cat small/changed)
	assert_equal "$stderr" "denki-simulate: ./small/ledger.jsonl:$n: entry $((n - 1)): changed after it was written: its hash is not entry $n's prev, and the checkpoint there does not sign it as it is"
	# the first step's: the second day was never bid
	[ "$(wc -l <small/changed)" -eq 1 ]
	[ ! -e small.html ]
	assert_equal "$output" ""
}

@test "simulate: a program's output that cannot be made stops the run: 73, the file named once" {
	beside
	rm bin/denki-clear
	# the real clear, then a folder where contract-sign's output goes
	# (made at the last of two steps: the first's goes to /dev/null)
	printf '#!/bin/sh\n"%s/denki-clear" "$@" || exit\nmkdir -p contracts.jsonl\n' \
	    "$TOP" >bin/denki-clear
	chmod 755 bin/denki-clear
	run --separate-stderr bin/denki-simulate -q small.yaml
	assert_failure 73
	assert_equal "$stderr" "denki-simulate: $BATS_TEST_TMPDIR/small/contracts.jsonl: Is a directory"
	assert_equal "$output" ""
	[ -s small/cleared.jsonl ]
	[ ! -e small.html ]
}

@test "simulate: the programs of the run missing: named, 69" {
	mkdir bin
	cp "$TOP/denki-simulate" bin/
	run --separate-stderr env PATH=/usr/bin:/bin bin/denki-simulate -q small.yaml
	assert_failure 69
	assert_equal "$stderr" "denki-simulate: small: denki-keygen: cannot start it: No such file or directory (not beside denki-simulate in $BATS_TEST_TMPDIR/bin, nor on PATH)"
	[ ! -e small/operator.key ]
}

@test "simulate: a program beside it that cannot be run: named, 69, not taken from PATH instead" {
	beside
	rm bin/denki-keygen
	cp "$TOP/denki-keygen" bin/
	chmod 644 bin/denki-keygen
	# the real one is on PATH
	command -v denki-keygen
	run --separate-stderr bin/denki-simulate -q small.yaml
	assert_failure 69
	assert_equal "$stderr" "denki-simulate: small: $BATS_TEST_TMPDIR/bin/denki-keygen: cannot start it: Permission denied"
	[ ! -e small/operator.key ]
}

@test "simulate: a home's data from another file (a slice with gaps): its whole days, as meter-read reads them" {
	slice=$TOP/tests/data/opsd/DE_KN_residential3_slice.csv
	printf 'data:\n  kn3: %s\n' "$slice" >>small.yaml
	run --separate-stderr denki-simulate -q small.yaml
	assert_success
	# 48 slots for the history and each of the two days traded
	[ "$(wc -l <small/homes/kn3.csv)" -eq $((1 + 3 * 48)) ]
	# the history is the slice's first whole day of 24 hours from 22:00
	# UTC (the simulated days start at midnight, Europe/Berlin in July),
	# slot for slot what meter-read makes of the file, import and export
	denki-meter-read -D meter.driver=csv -D meter.id=x -D tz=UTC \
	    -D slot_minutes=30 -D meter.sign=no "$slice" 2>/dev/null |
	    jq -r '[(.slot | sub("\\+00:00$"; "Z") | fromdateiso8601 + 7200 | todate[0:10]), .import_wh, .export_wh] | @tsv' >mr.tsv
	day=$(awk '{ n[$1]++ } END { for (d in n) if (n[d] == 48) print d }' mr.tsv | sort | head -n 1)
	[ "$day" = 2016-02-29 ]
	awk -v d="$day" '$1 == d { print $2 "," $3 }' mr.tsv >want
	sed -n '2,49p' small/homes/kn3.csv | cut -d, -f2,3 >got
	cmp want got
	[ "$(awk -F, '{ s += $1 } END { print s }' got)" -gt 0 ]
	# a data file that is not there, or for no home
	sed -i "s|$slice|nothere.csv|" small.yaml
	run denki-simulate small.yaml
	assert_failure 78
	assert_output "denki-simulate: small.yaml:6: data.kn3: nothere.csv: No such file or directory"
	printf 'community: %s\nstart: 2016-07-05\nhomes: [kn1]\ndata:\n  kn2: %s\n' "$EXAMPLES/community" "$slice" >other.yaml
	run denki-simulate other.yaml
	assert_failure 78
	assert_output "denki-simulate: other.yaml:5: data.kn2: kn2 is not one of the homes"
	[ ! -e other ]
}

@test "simulate: strategy goes to every home's bid, with the run's ledger to learn from" {
	printf 'community: %s\nstart: 2016-07-05\nhomes: [kn1, kn2]\nstrategy: ramp\n' "$EXAMPLES/community" >st.yaml
	# a bid without strategies refuses the settings (and the run stops);
	# one with them runs: either way each home's file holds them once
	run denki-simulate -q st.yaml
	for h in kn1 kn2; do
		[ "$(grep -c '^bid.strategy: ramp$' "st/homes/$h.yaml")" -eq 1 ]
		[ "$(grep -c '^bid.ledger: ../ledger.jsonl$' "st/homes/$h.yaml")" -eq 1 ]
		[ "$(grep -c 'ledger' "st/homes/$h.yaml")" -eq 1 ]
	done
	grep -q '^bid.sell_markup: "20"$' st/homes/kn2.yaml
}

@test "simulate -b 2: a home without a battery bids both days in one run (bid -r 2), one with a battery a day at a time; the same orders as -b 1" {
	cat >>small.yaml <<-YAML
	add:
	  kn2:
	    battery_wh: 10000
	    battery_w: 3000
	YAML
	beside
	rm bin/denki-bid
	printf '#!/bin/sh\necho "$*" >>"%s/bid.args"\nexec "%s/denki-bid" "$@"\n' \
	    "$PWD" "$TOP" >bin/denki-bid
	chmod 755 bin/denki-bid
	run -0 --separate-stderr bin/denki-simulate -q small.yaml
	mv bid.args one.args
	mkdir b2
	run -0 --separate-stderr bin/denki-simulate -q -b 2 -d b2 small.yaml
	run -0 sh -c "sed -E 's|^-c [^ ]*/homes/([a-z0-9]+)\.yaml -s ([0-9-]+)T[^ ]* -N 48|\1 \2|' bid.args | sort"
	assert_output "kn1 2016-07-05 -r 2
kn2 2016-07-05
kn2 2016-07-06
kn3 2016-07-05 -r 2"
	[ "$(wc -l <one.args)" -eq 6 ]
	# (the option, not the "-r" of a path's bats-run-)
	[ -z "$(grep -E -- ' -r [0-9]' one.args)" ]
	[ "$(grep -cE -- ' -r 2$' bid.args)" -eq 2 ]
	# the same orders in the ledger (each run its own keys: in a slot,
	# by their ids)
	for d in small b2/small; do
		jq -c '.rec | select(.type == "order") | [.participant, .slot, .side, .wh, .price]' \
		    "$d/ledger.jsonl" | sort >"${d%%/*}.orders"
	done
	[ "$(wc -l <small.orders)" -gt 100 ]
	[ "$(jq -r '"\(.[0]) \(.[1][:10])"' small.orders | sort -u | paste -sd' ')" = \
	    "kn1 2016-07-05 kn1 2016-07-06 kn2 2016-07-05 kn2 2016-07-06 kn3 2016-07-05 kn3 2016-07-06" ]
	cmp small.orders b2.orders
}

# Settle and contract-sign write the entries of a run as they add them,
# beyond the 4 MiB they hold (dk_ledger_spill): a dry run, and a run that
# stops at a rejected slot or a cut input, must leave the ledger as it was.
# Each wrapper tries those on the step's own input first, then runs the
# real program; 80 homes for two days in one step append 15 MB.
@test "simulate: settle and contract-sign write ahead of their commit; a dry run, a rejected last slot and a cut input leave the ledger and the store byte for byte" {
	command -v strace >/dev/null || skip "strace is not installed"
	beside
	cat >big.yaml <<-YAML
	community: $EXAMPLES/community
	start: 2016-07-05
	days: 2
	homes: [kn1, kn2, kn3, kn4, kn5]
	scale: {copies: 32, shift_days: 1}
	YAML
	rm bin/denki-settle bin/denki-contract-sign
	cat >bin/denki-settle <<-EOF
	#!/bin/sh
	cp ledger.jsonl s-before.jsonl
	cat ledger.jsonl.openings >s-obefore 2>/dev/null
	strace -o s-dry.trace -e trace=openat "$TOP/denki-settle" -n "\$@" >s-dry.jsonl || exit 90
	cmp ledger.jsonl s-before.jsonl || exit 91
	cat ledger.jsonl.openings 2>/dev/null | cmp - s-obefore || exit 92
	# the last reading's energy changed: its signature fails, in the last slot
	sed '\$ s/"import_wh":\([0-9]*\)/"import_wh":1\1/' readings.jsonl >s-bad.jsonl
	"$TOP/denki-settle" -c coop.yaml s-bad.jsonl >s-bad.out 2>s-bad.err
	echo \$? >s-bad.rc
	cmp ledger.jsonl s-before.jsonl || exit 95
	# the first reading's: the run stops at the first slot, with the
	# checks of the other slots' readings under way (stopped, their
	# threads ended, before the readings they read are freed)
	sed '1 s/"import_wh":\([0-9]*\)/"import_wh":1\1/' readings.jsonl >s-bad1.jsonl
	"$TOP/denki-settle" -c coop.yaml s-bad1.jsonl >s-bad1.out 2>s-bad1.err
	echo \$? >s-bad1.rc
	cmp ledger.jsonl s-before.jsonl || exit 93
	cat ledger.jsonl.openings 2>/dev/null | cmp - s-obefore || exit 94
	exec strace -o s.trace -e trace=openat,write,fsync "$TOP/denki-settle" "\$@"
	EOF
	cat >bin/denki-contract-sign <<-EOF
	#!/bin/sh
	cp ledger.jsonl k-before.jsonl
	"$TOP/denki-contract-sign" -n "\$@" >k-dry.jsonl || exit 90
	cmp ledger.jsonl k-before.jsonl || exit 91
	# the last slot's clearing record cut off
	head -n -1 cleared.jsonl >k-cut.jsonl
	"$TOP/denki-contract-sign" -c coop.yaml k-cut.jsonl >k-cut.out 2>k-cut.err
	echo \$? >k-cut.rc
	cmp ledger.jsonl k-before.jsonl || exit 92
	exec strace -o k.trace -e trace=openat,write,fsync "$TOP/denki-contract-sign" "\$@"
	EOF
	chmod +x bin/denki-settle bin/denki-contract-sign
	# two steps of a day: the second's store of openings is not empty
	run --separate-stderr bin/denki-simulate -q -b 1 big.yaml
	assert_success
	assert_equal "$stderr" ""
	[ -s big/s-obefore ]
	# each stopped run said why, appended nothing, and printed nothing
	[ "$(cat big/s-bad.rc)" -eq 65 ]
	assert_equal "$(cat big/s-bad.err)" "denki-settle: s-bad.jsonl:7680: rejected: meter kn5-32-m: sig: bad signature: the record was not signed by this key, or was changed after signing
denki-settle: nothing was appended"
	[ ! -s big/s-bad.out ]
	[ "$(cat big/s-bad1.rc)" -eq 65 ]
	assert_equal "$(cat big/s-bad1.err)" "denki-settle: s-bad1.jsonl:1: rejected: meter kn1-m: sig: bad signature: the record was not signed by this key, or was changed after signing
denki-settle: nothing was appended"
	[ ! -s big/s-bad1.out ]
	[ "$(cat big/k-cut.rc)" -eq 65 ]
	assert_equal "$(tail -n 1 big/k-cut.err)" "denki-contract-sign: nothing was appended"
	[ ! -s big/k-cut.out ]
	# a dry run opens the store for no write
	grep -q '"ledger.jsonl", O_RDWR' big/s-dry.trace
	[ -z "$(grep '"ledger.jsonl.openings", O_WRONLY' big/s-dry.trace)" ]
	# the real runs wrote more than they hold: contract-sign's entries
	# between its ledger and settle's, settle's after
	k=$(($(wc -c <big/s-before.jsonl) - $(wc -c <big/k-before.jsonl)))
	s=$(($(wc -c <big/ledger.jsonl) - $(wc -c <big/s-before.jsonl)))
	[ "$k" -gt 4194304 ]
	[ "$s" -gt 4194304 ]
	# and wrote them ahead: the ledger's writes are of a MiB at most, a
	# commit's all but its last of a MiB; a run that writes ahead ends
	# each write ahead with a shorter one, before the commit's fsync.
	# Settle syncs the openings it holds before each write ahead: every
	# run of writes to the ledger follows an fsync of the store made
	# since the run of writes before it (awk: short writes, runs of
	# writes, those after a sync)
	for t in s k; do
		awk '
			/^openat\(.*"ledger\.jsonl", O_RDWR\|O_CREAT\|O_APPEND/ { split($0, a, "= "); fd = a[2] }
			/^openat\(.*"ledger\.jsonl\.openings", O_WRONLY/ { split($0, a, "= "); ofd = a[2] }
			ofd != "" && index($0, "fsync(" ofd ")") == 1 { synced = 1 }
			fd != "" && index($0, "write(" fd ", ") == 1 {
				if (!inrun) { runs++; if (synced) after++; synced = 0 }
				split($0, a, "= "); if (a[2] + 0 < 1048576) n++
				inrun = 1; next
			}
			fd != "" && index($0, "fsync(" fd ")") == 1 { print n + 0, runs + 0, after + 0; exit }
			{ inrun = 0 }
			' big/$t.trace >$t.ahead
		[ "$(cut -d " " -f 1 $t.ahead)" -ge 2 ]
	done
	# settle: at least three runs of writes (two ahead, the commit's),
	# each after its sync; contract-sign has no store
	read n runs after <s.ahead
	[ "$runs" -ge 3 ]
	[ "$after" -eq "$runs" ]
	[ "$(cut -d " " -f 3 k.ahead)" -eq 0 ]
	[ "$(grep -c '"ledger.jsonl.openings", O_WRONLY' big/s.trace)" -ge 3 ]
	# every commitment's opening in the store, once
	[ "$(wc -l <big/ledger.jsonl.openings)" -eq "$(grep -c '"type":"commitment"' big/ledger.jsonl)" ]
	[ "$(jq -r .seq big/ledger.jsonl.openings | sort -u | wc -l)" -eq "$(wc -l <big/ledger.jsonl.openings)" ]
	# what they printed, read back from the ledger, is what a dry run
	# prints (settle's commitments aside: each run salts them afresh)
	cmp big/k-dry.jsonl big/contracts.jsonl
	[ "$(wc -l <big/s-dry.jsonl)" -eq "$(wc -l <big/settlements.jsonl)" ]
	[ "$(grep -vc '"type":"commitment"' big/settlements.jsonl)" -gt 20000 ]
	diff <(grep -v '"type":"commitment"' big/s-dry.jsonl) <(grep -v '"type":"commitment"' big/settlements.jsonl)
	run -0 denki-ledger-verify -q -p big/operator.pub big/ledger.jsonl
}

@test "simulate: contract-sign and settle do not make what goes to /dev/null (the steps before the last): no write to their stdout there, the last step's printed" {
	command -v strace >/dev/null || skip "strace is not installed"
	beside
	rm bin/denki-settle bin/denki-contract-sign
	for p in settle contract-sign; do
		printf '#!/bin/sh\nn=$(ls ../%s-*.trace 2>/dev/null | wc -l)\nexec strace -o ../%s-$n.trace -e trace=write "%s/denki-%s" "$@"\n' \
		    $p $p "$TOP" $p >bin/denki-$p
		chmod 755 bin/denki-$p
	done
	run --separate-stderr bin/denki-simulate -q small.yaml
	assert_success
	for p in settle contract-sign; do
		# the first day's run wrote nothing to fd 1; the second's did,
		# what the folder keeps
		[ -s $p-0.trace ] && [ -s $p-1.trace ] && [ ! -e $p-2.trace ]
		[ "$(grep -c '^write(1,' $p-0.trace)" -eq 0 ]
		[ "$(grep -c '^write(1,' $p-1.trace)" -gt 0 ]
	done
	[ "$(grep -c '"type":"settlement"' small/settlements.jsonl)" -eq 144 ]
	[ "$(grep -c '"type":"contract"' small/contracts.jsonl)" -gt 0 ]
}

# settle_waits PATTERN [FLAG]: bin/denki-settle that waits (up to 60 s) for
# a line matching PATTERN in programs.log beside the run's folder (only
# while FLAG is in the test's folder, when given), then logs "settle" there
settle_waits() {
	cat >bin/denki-settle <<-EOF
	#!/bin/sh
	if [ -z "$2" ] || [ -e "../../$2" ]; then
		i=0
		until grep -q '$1' ../programs.log 2>/dev/null; do
			i=\$((i + 1))
			[ \$i -le 600 ] || { echo "no $1 seen" >>../programs.log; break; }
			sleep 0.1
		done
	fi
	echo settle >>../programs.log
	exec "$TOP/denki-settle" "\$@"
	EOF
	chmod +x bin/denki-settle
}

# The next step's bids run while the cooperative clears, signs and settles
# the step (ahead() in lib/settle/simrun.c), when no home's bid reads the
# ledger and none has a battery.  The wrappers log each program as it
# starts, a bid with its scheduling policy; settle's waits (up to 60 s)
# for a bid of the second day when told to, so that the test does not
# hang on the scheduler's order.
@test "simulate: the next day's bids are made while the cooperative settles the day, at the idle priority, unless a home's bid reads the ledger; the same figures either way" {
	command -v chrt >/dev/null || skip "chrt is not installed"
	beside
	rm bin/denki-bid bin/denki-settle
	cat >bin/denki-bid <<-EOF
	#!/bin/sh
	# (simulate sets the policy of a bid begun ahead once it runs)
	case "\$4" in 2016-07-06*) sleep 0.5 ;; esac
	echo "bid \$4 \$(chrt -p \$\$ | sed -n 's/.*policy: //p')" >>../programs.log
	exec "$TOP/denki-bid" "\$@"
	EOF
	chmod +x bin/denki-bid
	settle_waits '^bid 2016-07-06' wait-for-bid
	mkdir a b
	# the homes' bids read no ledger: the second day's begin in the
	# first's step, before its settle starts
	touch wait-for-bid
	run --separate-stderr bin/denki-simulate -q -b 1 -d a small.yaml
	assert_success
	jq -c 'del(.ms)' <<<"$output" >a.json
	grep -v '^bid' a/programs.log >a.seq
	printf 'settle\nsettle\n' | cmp - a.seq
	[ "$(grep -c '^bid 2016-07-05' a/programs.log)" -eq 3 ]
	[ "$(grep -c '^bid 2016-07-06' a/programs.log)" -eq 3 ]
	[ "$(sed -n '/^settle/{=;q}' a/programs.log)" -gt "$(grep -n '^bid 2016-07-06' a/programs.log | head -n 1 | cut -d: -f1)" ]
	# the first day's at the usual priority, the second's begun ahead at
	# the idle one
	[ "$(grep -c '^bid 2016-07-05.* SCHED_OTHER$' a/programs.log)" -eq 3 ]
	grep -q '^bid 2016-07-06.* SCHED_IDLE$' a/programs.log
	# a home whose bid reads the ledger: the second day's bids after the
	# first's settle, and the same orders and figures
	rm wait-for-bid
	cp -r "$EXAMPLES/community" comm
	sed -i 's|^bid:$|&\n  ledger: ../ledger.jsonl|' comm/kn2.yaml
	sed "s|^community: .*|community: comm|" small.yaml >b.yaml
	run --separate-stderr bin/denki-simulate -q -b 1 -d b b.yaml
	assert_success
	grep -qx 'bid.ledger: "../ledger.jsonl"' b/b/homes/kn2.yaml
	assert_equal "$(grep -v '^bid 2016-07-05' b/programs.log | head -n 1)" settle
	assert_equal "$(grep -c '^bid 2016-07-06' b/programs.log)" 3
	assert_equal "$(grep -c 'SCHED_OTHER$' b/programs.log)" 6
	assert_equal "$(jq -c 'del(.ms, .scenario)' <<<"$output")" "$(jq -c 'del(.scenario)' a.json)"
	for d in a/small b/b; do
		jq -c '.rec | select(.type == "order") | [.participant, .slot, .side, .wh, .price]' \
		    "$d/ledger.jsonl" | sort >"${d%%/*}.orders"
	done
	[ "$(wc -l <a.orders)" -gt 50 ]
	cmp a.orders b.orders
}

# stopped_by_kn2: the run in small/ stopped by kn2's bid of the 6th
# (exit 75, which the caller asserts), named with its log; the first day
# cleared, signed and settled, the second neither cleared nor settled, no
# figures and no page
stopped_by_kn2() {
	assert_equal "$stderr" "denki-simulate: kn2: denki-bid exited 75 (its messages: $BATS_TEST_TMPDIR/small/bid.log)"
	grep -qx 'kn2 refuses the 6th' small/bid.log
	assert_equal "$output" ""
	run -0 jq -r '.rec | select(.type == "settlement") | .slot[:10]' small/ledger.jsonl
	assert_equal "$(sort -u <<<"$output")" 2016-07-05
	[ "$(jq -c '.rec | select(.type == "clearing") | .slot[:10]' small/ledger.jsonl | sort -u)" = '"2016-07-05"' ]
	[ ! -e small.html ]
}

# settle's wrapper waits (up to 60 s) for the failing bid, which ran in
# the first day's step.
@test "simulate: a bid of the next day that fails while the day is settled stops the run once the day is settled, named with its log" {
	beside
	rm bin/denki-bid bin/denki-settle
	cat >bin/denki-bid <<-EOF
	#!/bin/sh
	case "\$2 \$4" in
	*kn2.yaml\ 2016-07-06*) echo "kn2 refuses the 6th" >&2; echo refused >>../programs.log; exit 75 ;;
	esac
	exec "$TOP/denki-bid" "\$@"
	EOF
	chmod +x bin/denki-bid
	settle_waits '^refused'
	run --separate-stderr bin/denki-simulate -q -b 1 small.yaml
	assert_failure 75
	# it failed before the first day's settle began, and the run
	# settled that day all the same
	printf 'refused\nsettle\n' | cmp - programs.log
	stopped_by_kn2
}

# The failing bid waits (up to 60 s) for the first day's settle to end, so
# that its end is seen by the run while it reads the day's entries for the
# figures (tend() in lib/settle/simrun.c) or when the second day's step
# waits for its bids, not while a cooperative program runs.
@test "simulate: a bid of the next day that fails once the day is settled stops the run before the next day is cleared, named with its log" {
	beside
	rm bin/denki-bid bin/denki-settle
	cat >bin/denki-bid <<-EOF
	#!/bin/sh
	case "\$2 \$4" in
	*kn2.yaml\ 2016-07-06*)
		i=0
		until grep -qx settled ../programs.log 2>/dev/null; do
			i=\$((i + 1))
			[ \$i -le 600 ] || { echo "no settled seen" >>../programs.log; break; }
			sleep 0.1
		done
		echo "kn2 refuses the 6th" >&2; echo refused >>../programs.log; exit 75 ;;
	esac
	exec "$TOP/denki-bid" "\$@"
	EOF
	cat >bin/denki-settle <<-EOF
	#!/bin/sh
	"$TOP/denki-settle" "\$@"
	rc=\$?
	echo settled >>../programs.log
	exit \$rc
	EOF
	chmod +x bin/denki-bid bin/denki-settle
	run --separate-stderr bin/denki-simulate -q -b 1 small.yaml
	assert_failure 75
	printf 'settled\nrefused\n' | cmp - programs.log
	stopped_by_kn2
}
