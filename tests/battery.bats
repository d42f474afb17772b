#!/usr/bin/env bats
# denki-battery: a home battery set by ECHONET Lite SetC, against the
# emulated node of npm echonet-lite 2.16.2 (tests/peers/echonet/emu.js);
# meter-read's battery state; bid's plan with a battery.

load test_helper
load echonet-peer

setup() {
	common_setup
	echonet_setup
}

teardown() {
	echonet_teardown
}

# a battery of 10 kWh at 50% (E4 32, E2 5000 Wh), standing by (DA/CF 44),
# with its power and amount settings, and its counters
BATTERY='"027d01": {"da":"44","cf":"44","eb":"00000000","ec":"00000000",
    "e7":"00000000","e8":"00000000","e4":"32","e2":"00001388",
    "d3":"00000000","a8":"00001000","a9":"00000800"'

@test "battery: -n prints the SetC frame it would send, and sends nothing" {
	emu "{$BATTERY}}"
	run -0 --separate-stderr denki-battery -c home.yaml -n charge -w 2000 -e 3000
	# EHD 1081, TID 0001, SEOJ 05FF01 (controller), DEOJ 027D01, ESV 61
	# SetC, OPC 3: EB 2000 W, E7 3000 Wh, then DA 42 (charging)
	assert_output "1081000105ff01027d016103eb04000007d0e70400000bb8da0142"
	assert_equal "$stderr" ""
	run -0 denki-battery -c home.yaml --dry-run discharge -w 1500
	assert_output "1081000105ff01027d016102ec04000005dcda0143"
	run -0 denki-battery -c home.yaml -D battery.eoj=027D02 -n auto
	assert_output "1081000105ff01027d026101da0146"
	sleep 0.3
	run grep -c '^set' emu.out
	assert_output 0
}

@test "battery: charge set and answered (Set_Res): exit 0; meter-read then reads the battery's mode and state" {
	emu "{$BATTERY}}"
	run -0 --separate-stderr denki-battery -c home.yaml charge -w 2000 -e 3000
	assert_output ""
	assert_equal "$stderr" ""
	run grep '^set' emu.out
	assert_output "set 027d01 eb=000007d0 e7=00000bb8 da=42 ok"
	# the node now says it is charging (CF 42), D3 0 W, 50%, 5000 Wh
	run -0 --separate-stderr denki-meter-read -c home.yaml -p -d echonet
	assert_equal "$stderr" ""
	assert_equal "$(jq -c 'del(.time)' <<<"$output")" \
	    '{"exact":false,"export_mwh":2048000,"import_mwh":4096000,"kind":"battery","meter":"jp-m","mode":"charge","power_w":0,"soc_pct":50,"soc_wh":5000,"type":"sample","v":2}'
	run -0 --separate-stderr denki-battery -c home.yaml standby
	run -0 --separate-stderr denki-battery -c home.yaml discharge -w 1500 -e 2500
	run grep '^set' emu.out
	assert_line -n 1 "set 027d01 da=44 ok"
	assert_line -n 2 "set 027d01 ec=000005dc e8=000009c4 da=43 ok"
}

@test "battery: a refused setting (SetC_SNA) is named, exit 1" {
	emu "{$BATTERY, \"_refuse\": [\"eb\"]}}"
	run -1 --separate-stderr denki-battery -c home.yaml charge -w 9000
	assert_output ""
	assert_equal "$stderr" "denki-battery: 127.0.0.1:$PORT: 027D01 refused the setting (SetC_SNA): EB (charging power)"
	run grep '^set' emu.out
	assert_output "set 027d01 eb=00002328 da=42 refused"
	# a property the battery does not have (no EC), and a mode it refuses
	echonet_teardown
	emu '{"027d01": {"da":"44","cf":"44"}}'
	run -1 --separate-stderr denki-battery -c home.yaml discharge -w 1500
	assert_equal "$stderr" "denki-battery: 127.0.0.1:$PORT: 027D01 refused the setting (SetC_SNA): EC (discharging power)"
}

@test "battery: a battery that answers late: each attempt warned, exit 69, the setting unknown" {
	emu "{$BATTERY, \"_late_ms\": 700}}"
	run -69 --separate-stderr denki-battery -c home.yaml \
	    -D meter.echonet.timeout=300 -D meter.echonet.retries=1 charge
	assert_output ""
	assert_equal "$stderr" "denki-battery: 127.0.0.1:$PORT: 027D01: no answer to the SetC within 300 ms (attempt 1 of 2)
denki-battery: 127.0.0.1:$PORT: 027D01: no answer to the SetC within 300 ms (attempt 2 of 2)
denki-battery: 127.0.0.1:$PORT: 027D01: no answer to the SetC after 2 attempts of 300 ms: the battery's setting is unknown"
	# the node got both, and answered each too late
	run grep -c '^set 027d01 da=42 ok' emu.out
	assert_output 2
	# the same battery waited for long enough: its late answer is taken
	run -0 --separate-stderr denki-battery -c home.yaml \
	    -D meter.echonet.timeout=2000 -D meter.echonet.retries=0 charge
	assert_equal "$stderr" ""
	# nothing at all on the port
	echonet_teardown
	EMU_PID=
	run -69 --separate-stderr denki-battery -c home.yaml \
	    -D meter.echonet.timeout=100 -D meter.echonet.retries=0 standby
	assert_equal "${stderr_lines[-1]}" "denki-battery: 127.0.0.1:$PORT: 027D01: no answer to the SetC after 1 attempts of 100 ms: the battery's setting is unknown"
}

@test "battery: bad usage and settings: 64 and 78, nothing sent" {
	emu "{$BATTERY}}"
	run -64 --separate-stderr denki-battery -c home.yaml
	assert_equal "${stderr_lines[0]}" "usage: denki-battery [-n] [-c config] [-D key=value] [-w watts] [-e wh] mode"
	run -64 --separate-stderr denki-battery -c home.yaml test
	assert_equal "${stderr_lines[0]}" "denki-battery: test: not a mode to set: charge, rapid-charge, discharge, standby or auto"
	run -64 --separate-stderr denki-battery -c home.yaml standby -w 100
	assert_equal "${stderr_lines[0]}" "denki-battery: -w and -e go with charge, rapid-charge or discharge, not standby"
	run -64 --separate-stderr denki-battery -c home.yaml charge -w -5
	assert_equal "${stderr_lines[0]}" "denki-battery: -w -5: must be a whole number from 0 to 999999999"
	run -64 --separate-stderr denki-battery -c home.yaml charge -e 1000000000
	run -78 --separate-stderr denki-battery -c home.yaml -D battery.eoj=028801 charge
	assert_equal "$stderr" "denki-battery: battery.eoj: must be six hex digits of a storage battery, 027Dxx, got \"028801\""
	run -78 --separate-stderr denki-battery -D battery.eoj=027D01 charge
	assert_equal "$stderr" "denki-battery: battery.host (or meter.echonet.host): the battery's node is not set"
	run -78 --separate-stderr denki-battery -c home.yaml -D battery.hots=x charge
	[[ "$stderr" == *"battery.hots"*"battery.host"* ]]
	run -0 denki-battery -h
	assert_line -n 0 "usage: denki-battery [-n] [-c config] [-D key=value] [-w watts] [-e wh] mode"
	sleep 0.3
	run grep -c '^set' emu.out
	assert_output 0
}

@test "battery: -w, -e or -s given twice: 64 naming the option and both values, nothing sent" {
	emu "{$BATTERY}}"
	run -64 --separate-stderr denki-battery -c home.yaml charge -w 2000 -w 100
	assert_output ""
	assert_equal "$stderr" 'denki-battery: -w: given twice ("2000" and "100")'
	run -64 --separate-stderr denki-battery -c home.yaml discharge -e 3000 -w 10 -e 3000
	assert_equal "$stderr" 'denki-battery: -e: given twice ("3000" and "3000")'
	run -64 --separate-stderr denki-battery -c home.yaml -s now -s 2026-01-01T10:00:00+00:00
	assert_equal "$stderr" 'denki-battery: -s: given twice ("now" and "2026-01-01T10:00:00+00:00")'
	run -64 --separate-stderr denki-battery -c home.yaml -c other.yaml charge
	assert_equal "$stderr" 'denki-battery: -c: given twice ("home.yaml" and "other.yaml")'
	# -D is a setting each time, and the same -w once is set
	run -0 --separate-stderr denki-battery -c home.yaml -D meter.echonet.timeout=2000 -D meter.echonet.retries=1 charge -w 2000
	sleep 0.3
	run grep '^set' emu.out
	assert_output "set 027d01 eb=000007d0 da=42 ok"
}

@test "meter-read: a battery's D3 against its working status, E4 past 100 and an unknown mode are left out, each said" {
	# discharging (CF 43) with D3 +800 W: the sign contradicts; E4 101%
	emu '{"027d01": {"cf":"43","d3":"00000320","e4":"65","e2":"00000fa0",
	        "a8":"00001000","a9":"00000800"}}'
	run -0 --separate-stderr denki-meter-read -c home.yaml -p -d echonet
	assert_equal "$(jq -c 'del(.time)' <<<"$output")" \
	    '{"exact":false,"export_mwh":2048000,"import_mwh":4096000,"kind":"battery","meter":"jp-m","mode":"discharge","soc_wh":4000,"type":"sample","v":2}'
	assert_equal "$stderr" "denki-meter-read: 127.0.0.1:$PORT: 027D01: E4 = 101% is past 100: left out; D3 = 800 W while the battery says discharge: the sign is not the one assumed (+ charging): left out"
	echonet_teardown
	# no CF: DA gives the mode; 47 has no meaning; D3 -1500 W kept
	emu '{"027d01": {"da":"47","d3":"fffffa24","e4":"14"}}'
	run -0 --separate-stderr denki-meter-read -c home.yaml -p -d echonet
	assert_equal "$(jq -c 'del(.time)' <<<"$output")" \
	    '{"exact":false,"kind":"battery","meter":"jp-m","power_w":-1500,"soc_pct":20,"type":"sample","v":2}'
	assert_equal "${stderr_lines[-1]}" "denki-meter-read: 127.0.0.1:$PORT: 027D01: operation mode 47 has no meaning: left out"
}

@test "meter-read: the battery's state is stored; a version 2 sample reads back, a bad one is refused by field" {
	emu "{$BATTERY}}"
	run -0 --separate-stderr denki-meter-read -c home.yaml -D state=home.db -D meter.sign=no -d echonet
	run -0 sqlite3 home.db "select meter, soc_pct, soc_wh, power_w, mode from battery_state"
	assert_output "jp-m|50|5000|0|68"
	# the samples driver: what -p printed, read back as if said now
	printf '%s\n' '{"type":"sample","v":2,"meter":"jp-m","kind":"battery","time":"2026-01-01T00:00:00+00:00","exact":false,"soc_pct":80,"mode":"auto"}' >s.jsonl
	run -0 --separate-stderr denki-meter-read -c home.yaml -D state=home.db -D meter.sign=no -d samples -D meter.samples.file=s.jsonl
	run -0 sqlite3 home.db "select soc_pct, soc_wh is null, mode from battery_state order by t limit 1"
	assert_output "80|1|70"
	printf '%s\n' '{"type":"sample","v":1,"meter":"jp-m","kind":"battery","time":"2026-01-01T00:00:00+00:00","exact":false,"soc_pct":80}' >v1.jsonl
	run -65 --separate-stderr denki-meter-read -c home.yaml -D state=home.db -D meter.sign=no -d samples -D meter.samples.file=v1.jsonl
	[[ "$stderr" == *"soc_pct, soc_wh and mode: fields of a battery's sample of version 2"* ]]
	printf '%s\n' '{"type":"sample","v":2,"meter":"jp-m","kind":"battery","time":"2026-01-01T00:00:00+00:00","exact":false,"mode":"flying"}' >bad.jsonl
	run -65 --separate-stderr denki-meter-read -c home.yaml -D state=home.db -D meter.sign=no -d samples -D meter.samples.file=bad.jsonl
	[[ "$stderr" == *"mode: must be one of other, rapid-charge, charge, discharge, standby, test, auto, restart, recalculate"* ]]
}

# bid with a battery: make_community's prices, retail 300000 and buyback
# 100000 micro-EUR per kWh; readings as in bid.bats
reading() {
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s%s}\n' "$@"
}

# 2026-01-02 14:30: +900 Wh (import 177, export 1077); 15:00: -178 Wh
yesterday() {
	reading alice-m 2026-01-02T14:30:00+00:00 177 1077 ""
	reading alice-m 2026-01-02T15:00:00+00:00 178 0 ""
}

@test "bid: with a battery, it sells what the plan leaves over (the battery charged for the next slot's load)" {
	make_community alice
	yesterday >r.jsonl
	# without the battery: yesterday's +900
	run -0 --separate-stderr denki-bid -n -c alice.yaml -s 2026-01-03T14:30:00+00:00 r.jsonl
	assert_equal "$(jq -c '[.side, .wh]' <<<"$output")" '["sell",900]'
	cat >>alice.yaml <<-YAML
	battery:
	  capacity_wh: 10000
	  horizon: 2
	YAML
	# nothing stored (no state known: the plan starts at the reserve, 0);
	# 95% each way, 50 Wh steps: 15:00 needs 178 Wh, which 200 Wh stored
	# give (190); storing 200 Wh draws ceil(200 / 0.95) = 211 Wh at
	# 14:30: 900 - 211 = 689 Wh left over to sell
	run -0 --separate-stderr denki-bid -n -c alice.yaml -s 2026-01-03T14:30:00+00:00 r.jsonl
	assert_equal "$(jq -c '[.side, .wh]' <<<"$output")" '["sell",689]'
	assert_equal "$stderr" "denki-bid: battery: no state of charge known yet (meter-read stores it in the same state database): the plan starts at the reserve
denki-bid: battery: slot 2026-01-03T14:30:00+00:00: 0 Wh stored, plan charge 211 Wh over 2 slots"
	# yesterday's battery (its own meter, not among the grid's) discharged
	# 300 Wh at 15:00: the home itself
	# needed 478; 550 Wh stored give 522 (500 would give 475, 3 bought):
	# ceil(550 / 0.95) = 579 drawn, 321 left to sell
	reading alice-b 2026-01-02T15:00:00+00:00 0 300 ',"kind":"battery"' >b.jsonl
	run -0 --separate-stderr denki-bid -n -c alice.yaml -s 2026-01-03T14:30:00+00:00 b.jsonl
	assert_equal "$(jq -c '[.side, .wh]' <<<"$output")" '["sell",321]'
	run -0 sqlite3 alice.db "select meter, slot, charged_wh, discharged_wh from battery_reading"
	assert_output "alice-b|$(date -u -d 2026-01-02T15:00:00Z +%s)|0|300"
}

@test "bid: with a battery's state of charge from meter-read, the stored energy covers the load: all the surplus sold" {
	make_community alice
	yesterday >r.jsonl
	cat >>alice.yaml <<-YAML
	battery:
	  capacity_wh: 10000
	  horizon: 2
	  degradation: 10000
	YAML
	printf '%s\n' '{"type":"sample","v":2,"meter":"alice-m","kind":"battery","time":"2026-01-03T14:00:00+00:00","exact":false,"soc_wh":5000,"mode":"standby"}' >s.jsonl
	run -0 --separate-stderr denki-meter-read -c alice.yaml -D meter.id=alice-m \
	    -D meter.sign=no -d samples -D meter.samples.file=s.jsonl
	run -0 --separate-stderr denki-bid -n -c alice.yaml -s 2026-01-03T14:30:00+00:00 r.jsonl
	assert_equal "$(jq -c '[.side, .wh]' <<<"$output")" '["sell",900]'
	assert_equal "$stderr" "denki-bid: battery: slot 2026-01-03T14:30:00+00:00: 5000 Wh stored, plan idle 0 Wh over 2 slots"
	# the limits are checked: a reserve above the capacity is refused
	run -78 --separate-stderr denki-bid -n -c alice.yaml -D battery.reserve_wh=20000 \
	    -s 2026-01-03T14:30:00+00:00 r.jsonl
	[[ "$stderr" == *"battery.reserve_wh: must be from 0 to 10000, got 20000"* ]]
}

@test "bid: a battery's plan at time-of-use prices (battery.prices): charge from the grid when cheap, sell when dear" {
	make_community alice
	yesterday >r.jsonl
	cat >prices.csv <<-CSV
	slot,currency,buy,sell
	2026-01-03T15:00:00+00:00,EUR,500000,400000
	2026-01-03T14:30:00+00:00,EUR,100000,50000
	CSV
	printf 'battery:\n  capacity_wh: 10000\n  horizon: 2\n  prices: prices.csv\n' >>alice.yaml
	# 14:30: the most the battery takes, 5000 Wh (10 kW for 30 minutes)
	# storing 4750 Wh: the 900 of surplus and 4100 from the grid; at
	# 15:00 they give 4512 Wh, 4334 sold at 0.40 (0.10 bought, x 0.9025)
	run -0 --separate-stderr denki-bid -c alice.yaml -s 2026-01-03T14:30:00+00:00 r.jsonl
	assert_equal "$(jq -c '[.side, .wh]' <<<"$output")" '["buy",4100]'
	run -0 sqlite3 alice.db "select charge_wh, discharge_wh, soc_wh, grid_wh from battery_plan order by slot"
	assert_output "5000|0|4750|4100
0|4512|0|-4334"
	# prices in another currency, a slot twice, a bad price: 65, by line
	printf 'slot,currency,buy,sell\n2026-01-03T14:30:00+00:00,EUR,1,1\n2026-01-03T15:00:00+00:00,JPY,30,10\n' >prices.csv
	run -65 --separate-stderr denki-bid -n -c alice.yaml -s 2026-01-03T14:30:00+00:00 r.jsonl
	assert_equal "$stderr" "denki-bid: prices.csv:3: currency: JPY is not the community's EUR"
	printf 'slot,currency,buy,sell\n2026-01-03T14:30:00+00:00,EUR,1,1\n2026-01-03T14:30:00+00:00,EUR,2,2\n' >prices.csv
	run -65 --separate-stderr denki-bid -n -c alice.yaml -s 2026-01-03T14:30:00+00:00 r.jsonl
	assert_equal "$stderr" "denki-bid: prices.csv: slot 2026-01-03T14:30:00+00:00 given twice"
	printf 'slot,currency,buy,sell\n2026-01-03T14:30:00+00:00,EUR,1.5,1\n' >prices.csv
	run -65 --separate-stderr denki-bid -n -c alice.yaml -s 2026-01-03T14:30:00+00:00 r.jsonl
	assert_equal "$stderr" "denki-bid: prices.csv:2: buy: must be an integer of micro-units per kWh, at most 10000000000 either way, got \"1.5\""
	printf 'slot,buy,sell\n' >prices.csv
	run -65 --separate-stderr denki-bid -n -c alice.yaml -s 2026-01-03T14:30:00+00:00 r.jsonl
	assert_equal "$stderr" "denki-bid: prices.csv:1: the header must be \"slot,currency,buy,sell\""
	rm prices.csv
	run -66 --separate-stderr denki-bid -n -c alice.yaml -s 2026-01-03T14:30:00+00:00 r.jsonl
	[[ "$stderr" == *"battery.prices: "*"prices.csv: No such file or directory" ]]
}

@test "battery -s: the battery follows bid's plan, slot by slot; no plan: 66" {
	make_community alice
	yesterday >r.jsonl
	printf 'battery:\n  capacity_wh: 10000\n  horizon: 2\n' >>alice.yaml
	# not a dry run: the slot is bid for, and the plan kept
	run -0 --separate-stderr denki-bid -c alice.yaml -s 2026-01-03T14:30:00+00:00 r.jsonl
	assert_equal "$(jq -c '[.side, .wh]' <<<"$output")" '["sell",689]'
	# 14:30: charge 211 Wh in 30 minutes, 422 W: EB 01A6, E7 00D3, DA 42
	run -0 --separate-stderr denki-battery -c alice.yaml -n -s 2026-01-03T14:30:00+00:00
	assert_output "1081000105ff01027d016103eb04000001a6e704000000d3da0142"
	# 15:00: 200 Wh stored give 190 Wh, 380 W: EC 017C, E8 00BE, DA 43
	run -0 --separate-stderr denki-battery -c alice.yaml -n -s 2026-01-03T15:00:00+00:00
	assert_output "1081000105ff01027d016103ec040000017ce804000000beda0143"
	run -66 --separate-stderr denki-battery -c alice.yaml -n -s 2026-01-03T15:30:00+00:00
	assert_output ""
	assert_equal "$stderr" "denki-battery: slot 2026-01-03T15:30:00+00:00: no plan in the state database (denki-bid with battery.* makes it)"
	run -65 --separate-stderr denki-battery -c alice.yaml -n -s 2026-01-03T15:10:00+00:00
	assert_equal "$stderr" "denki-battery: -s: must start a 30-minute slot, got \"2026-01-03T15:10:00+00:00\""
	run -64 --separate-stderr denki-battery -c alice.yaml -n -s now charge
	run -64 --separate-stderr denki-battery -c alice.yaml -n -s now -w 5
	# a plan that idles is standby
	sqlite3 alice.db "update battery_plan set charge_wh = 0, discharge_wh = 0"
	run -0 --separate-stderr denki-battery -c alice.yaml -n -s 2026-01-03T14:30:00+00:00
	assert_output "1081000105ff01027d016101da0144"
}

@test "bid: a state database of the version before batteries gains their tables and keeps its data" {
	make_community alice
	yesterday >r.jsonl
	# the old schema: bid's tables without battery_state/battery_reading
	sqlite3 alice.db "CREATE TABLE reading(meter TEXT NOT NULL, slot INTEGER NOT NULL, import_wh INTEGER NOT NULL, export_wh INTEGER NOT NULL, PRIMARY KEY(meter, slot)); CREATE TABLE sent(slot INTEGER PRIMARY KEY, order_id TEXT NOT NULL); INSERT INTO reading VALUES('alice-m', $(date -u -d 2026-01-02T16:00:00Z +%s), 10, 510);"
	printf 'battery:\n  capacity_wh: 5000\n  horizon: 1\n' >>alice.yaml
	run -0 --separate-stderr denki-bid -n -c alice.yaml -s 2026-01-03T16:00:00+00:00 r.jsonl
	assert_equal "$(jq -c '[.side, .wh]' <<<"$output")" '["sell",500]'
	run -0 sqlite3 alice.db "select count(*) from reading; select name from sqlite_master where name like 'battery%' order by name"
	assert_output "3
battery_plan
battery_reading
battery_state"
}

@test "completions: denki-battery's modes and options" {
	comp() {
		bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
		    _denki; printf "%s\n" "${COMPREPLY[@]}"' _ \
		    "$TOP/completions/bash/denki" "$@"
	}
	run comp denki-battery dis
	assert_output discharge
	run comp denki battery st
	assert_output standby
	run comp denki-battery -s n
	assert_output now
	run comp denki-battery -D battery.ho
	assert_output "battery.horizon=
battery.host="
	run grep -c "denki-battery" "$TOP/completions/zsh/_denki"
	[ "$output" -ge 1 ]
}
