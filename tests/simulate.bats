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

@test "simulate: a battery at kn3 beside the community as it is" {
	cp "$EXAMPLES/simulate/base.yaml" "$EXAMPLES/simulate/kn3-battery.yaml" .
	sed -i "s|\.\./community|$EXAMPLES/community|" base.yaml kn3-battery.yaml
	run --separate-stderr denki-simulate -q base.yaml kn3-battery.yaml
	assert_success
	[ "$(echo "$output" | wc -l)" -eq 2 ]
	echo "$output" | sed -n 1p >a.json
	echo "$output" | sed -n 2p >b.json
	[ "$(field scenario <a.json)" = base ]
	[ "$(field scenario <b.json)" = kn3-battery ]
	# the battery keeps kn3's surplus for its evening: less imported and
	# exported, more of the community's use met inside it
	[ "$(field import_wh <b.json)" -lt "$(field import_wh <a.json)" ]
	[ "$(field export_wh <b.json)" -lt "$(field export_wh <a.json)" ]
	[ "$(field self_sufficiency_bp <b.json)" -gt "$(field self_sufficiency_bp <a.json)" ]
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
