#!/usr/bin/env bats
# denki-bid with a battery over several slots in one run (-N), as
# denki-simulate bids a day: one plan for the run, the energy stored
# carried through it, not a plan of each slot from the same state.

load test_helper

reading() {
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s}\n' "$@"
}

setup() {
	common_setup
	make_community alice
	# 2026-01-02 14:30: +900 Wh (import 177, export 1077); 15:00: -178 Wh
	reading alice-m 2026-01-02T14:30:00+00:00 177 1077 >r.jsonl
	reading alice-m 2026-01-02T15:00:00+00:00 178 0 >>r.jsonl
	cat >>alice.yaml <<-YAML
	battery:
	  capacity_wh: 10000
	YAML
}

@test "bid -N with a battery: the second slot is bid from the first slot's plan, which the battery follows" {
	# the plan from 14:30 (nothing stored; 95% each way, 50 Wh steps):
	# 211 Wh drawn at 14:30 store 200, which give 190 at 15:00 for its
	# 178: 689 sold at 14:30, 12 at 15:00 (planned again from nothing
	# stored, 15:00 would buy its 178)
	run -0 --separate-stderr denki-bid -c alice.yaml -s 2026-01-03T14:30:00+00:00 -N 2 r.jsonl
	assert_equal "$(jq -c '[.slot, .side, .wh]' <<<"$output" | tr '\n' ' ')" '["2026-01-03T14:30:00+00:00","sell",689] ["2026-01-03T15:00:00+00:00","sell",12] '
	# planned once: one line, the plan kept for both slots, made at 14:30
	assert_equal "$(grep -c 'plan charge' <<<"$stderr")" 1
	t=$(date -u -d 2026-01-03T14:30:00Z +%s)
	run -0 sqlite3 alice.db "select slot - $t, charge_wh, discharge_wh, soc_wh, grid_wh, made - $t from battery_plan order by slot"
	assert_output "0|211|0|200|-689|0
1800|0|190|0|-12|0"
	# denki-battery -s sets the battery to it: at 15:00, discharge (DA
	# 0x43) 190 Wh (0xbe)
	run -0 denki-battery -n -c alice.yaml -s 2026-01-03T15:00:00+00:00
	assert_output --partial "04000000be"
	assert_output --regexp "da0143$"
}
