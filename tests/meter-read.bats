#!/usr/bin/env bats
# denki-meter-read: a meter's energy per slot, as reading records.

load test_helper

DATA="$BATS_TEST_DIRNAME/data"
OPSD="$DATA/opsd-kn3-2016-07-05.csv"

# reading METER SLOT IMPORT EXPORT [IMPORT_TOTAL EXPORT_TOTAL]: the line expected
reading() {
	if [ $# -eq 6 ]; then
		printf '{"export_total_wh":%s,"export_wh":%s,"import_total_wh":%s,"import_wh":%s,"meter":"%s","slot":"%s","type":"reading","v":1}\n' \
		    "$6" "$4" "$5" "$3" "$1" "$2"
	else
		printf '{"export_wh":%s,"import_wh":%s,"meter":"%s","slot":"%s","type":"reading","v":1}\n' \
		    "$4" "$3" "$1" "$2"
	fi
}

# The OPSD counters of household 3 (kWh, tests/data/SOURCES.md), by hand:
#   time   export    import
#   08:00  1410.579  1224.155
#   09:00  1412.678  1224.174   export +2099 Wh = 1049 + 1050, import +19 = 9 + 10
#   10:00  1414.508  1224.174   export +1830 Wh =  915 +  915, import 0
#   11:00  1417.068  1224.174   export +2560 Wh = 1280 + 1280
#   12:00  1419.677  1224.174   export +2609 Wh = 1304 + 1305
# Each hour E goes to its two slots as floor(E/2), then E - floor(E/2); the
# totals are the counters at the end of each slot.
opsd_expected() {	# OFFSET: the slots' clock and offset, "08:00+00:00" style
	local d=2016-07-05T h0=$1 off=$2
	reading kn3-m "$d$(printf %02d $((h0 + 0))):00:00$off" 9 1049 1224164 1411628
	reading kn3-m "$d$(printf %02d $((h0 + 0))):30:00$off" 10 1050 1224174 1412678
	reading kn3-m "$d$(printf %02d $((h0 + 1))):00:00$off" 0 915 1224174 1413593
	reading kn3-m "$d$(printf %02d $((h0 + 1))):30:00$off" 0 915 1224174 1414508
	reading kn3-m "$d$(printf %02d $((h0 + 2))):00:00$off" 0 1280 1224174 1415788
	reading kn3-m "$d$(printf %02d $((h0 + 2))):30:00$off" 0 1280 1224174 1417068
	reading kn3-m "$d$(printf %02d $((h0 + 3))):00:00$off" 0 1304 1224174 1418372
	reading kn3-m "$d$(printf %02d $((h0 + 3))):30:00$off" 0 1305 1224174 1419677
}

@test "meter-read: the OPSD layout, real hourly kWh counters into 30-minute Wh" {
	run -0 --separate-stderr denki-meter-read -m kn3-m "$OPSD"
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 8
	assert_output "$(opsd_expected 8 +00:00)"
}

@test "meter-read: the tz setting names the slots in that zone (Europe/Berlin, +02:00 in July)" {
	run -0 --separate-stderr denki-meter-read -m kn3-m -D tz=Europe/Berlin "$OPSD"
	assert_output "$(opsd_expected 10 +02:00)"
	run -0 --separate-stderr denki-meter-read -m kn3-m -D tz=Asia/Tokyo "$OPSD"
	assert_line --index 0 --partial '"slot":"2016-07-05T17:00:00+09:00"'
	printf 'start,import_wh,export_wh\n2026-01-15T09:00:00Z,5,0\n' >winter.csv
	run -0 --separate-stderr denki-meter-read -m m -D tz=Europe/Berlin winter.csv
	assert_output "$(reading m 2026-01-15T10:00:00+01:00 5 0)"
}

@test "meter-read: meter id, tz and columns from the configuration file" {
	cat >kn3.yaml <<-EOF
	tz: Europe/Berlin
	meters: [kn3-m]
	EOF
	# unsigned, to compare the bytes: with a configuration file,
	# meter-read signs with the device key unless meter.sign is no
	run -0 --separate-stderr denki-meter-read -c kn3.yaml -D meter.sign=no "$OPSD"
	assert_output "$(opsd_expected 10 +02:00)"
	# household 1 style: the PV counter read as the export
	cat >pv.yaml <<-EOF
	meter:
	  id: kn3-pv
	  export_column: DE_KN_residential3_pv
	EOF
	run -0 --separate-stderr denki-meter-read -c pv.yaml -D meter.sign=no "$OPSD"
	# pv 2161.015 -> 2163.566: 2551 Wh = 1275 + 1276
	assert_line --index 0 "$(reading kn3-pv 2016-07-05T08:00:00+00:00 9 1275 1224164 2162290)"
	assert_line --index 1 "$(reading kn3-pv 2016-07-05T08:30:00+00:00 10 1276 1224174 2163566)"
}

@test "meter-read: the plain cumulative layout time,import_total_wh,export_total_wh" {
	cat >c.csv <<-EOF
	time,import_total_wh,export_total_wh
	2026-01-01T10:00:00+00:00,1000,500
	2026-01-01T10:30:00+00:00,1200,500
	2026-01-01T20:00:00+09:00,1201,900
	2026-01-01T04:30:00-07:00,1301,905
	EOF
	run -0 --separate-stderr denki-meter-read -m m c.csv
	assert_equal "$stderr" ""
	assert_output "$(reading m 2026-01-01T10:00:00+00:00 200 0 1200 500
	    reading m 2026-01-01T10:30:00+00:00 1 400 1201 900
	    reading m 2026-01-01T11:00:00+00:00 100 5 1301 905)"
}

@test "meter-read: counters read every 15 minutes add up to the slot" {
	cat >q.csv <<-EOF
	time,import_total_wh,export_total_wh
	2026-01-01T09:45:00Z,0,0
	2026-01-01T10:00:00Z,10,1
	2026-01-01T10:15:00Z,15,2
	2026-01-01T10:30:00Z,30,4
	2026-01-01T10:45:00Z,31,8
	2026-01-01T11:00:00Z,40,16
	EOF
	run -0 --separate-stderr denki-meter-read -m m q.csv
	assert_output "$(reading m 2026-01-01T10:00:00+00:00 20 3 30 4
	    reading m 2026-01-01T10:30:00+00:00 10 12 40 16)"
}

@test "meter-read: the plain interval layout start,import_wh,export_wh" {
	cat >i.csv <<-EOF
	start,import_wh,export_wh
	2026-01-01T10:00:00+00:00,200,0
	2026-01-01T10:30:00+00:00,0,400
	2026-01-01T11:30:00Z,7,3
	EOF
	run -0 --separate-stderr denki-meter-read -m m i.csv
	assert_equal "$stderr" ""
	assert_output "$(reading m 2026-01-01T10:00:00+00:00 200 0
	    reading m 2026-01-01T10:30:00+00:00 0 400
	    reading m 2026-01-01T11:30:00+00:00 7 3)"
}

@test "meter-read: from stdin in a pipeline, and several files in order" {
	run -0 --separate-stderr bash -c "set -o pipefail; tail -n +1 '$OPSD' | denki-meter-read -m kn3-m | tail -n 1"
	assert_output "$(opsd_expected 8 +00:00 | tail -n 1)"
	printf 'start,import_wh,export_wh\n2026-01-01T10:00:00Z,1,2\n' >a.csv
	printf 'start,import_wh,export_wh\n2026-01-01T10:30:00Z,3,4\n' >b.csv
	run -0 --separate-stderr denki-meter-read -m m a.csv - b.csv <a.csv
	assert_output "$(reading m 2026-01-01T10:00:00+00:00 1 2
	    reading m 2026-01-01T10:00:00+00:00 1 2
	    reading m 2026-01-01T10:30:00+00:00 3 4)"
}

@test "meter-read: an empty cell is a gap: a warning, no reading until a full row" {
	cat >g.csv <<-EOF
	time,import_total_wh,export_total_wh
	2026-01-01T10:00:00+00:00,1000,500
	2026-01-01T10:30:00+00:00,,500
	2026-01-01T11:00:00+00:00,1201,900
	2026-01-01T11:30:00+00:00,1301,950
	2026-01-01T12:00:00+00:00,1302,
	2026-01-01T12:30:00+00:00,1303,951
	2026-01-01T13:00:00+00:00,1304,952
	EOF
	run -0 --separate-stderr denki-meter-read -m m g.csv
	assert_equal "$stderr" "$(printf '%s\n' \
	    'denki-meter-read: g.csv:3: empty import value: a gap, no reading until the next full row' \
	    'denki-meter-read: g.csv:6: empty export value: a gap, no reading until the next full row')"
	assert_output "$(reading m 2026-01-01T11:00:00+00:00 100 50 1301 950
	    reading m 2026-01-01T12:30:00+00:00 1 1 1304 952)"
}

@test "meter-read: a gap in the OPSD layout is a warning too" {
	sed '4s/,1224\.174,/,,/' "$OPSD" >gap.csv
	run -0 --separate-stderr denki-meter-read -m kn3-m gap.csv
	assert_equal "$stderr" "denki-meter-read: gap.csv:4: empty import value: a gap, no reading until the next full row"
	assert_output "$(opsd_expected 8 +00:00 | sed -n '1,2p;7,8p')"
}

@test "meter-read: a counter that goes backwards warns and makes no reading for that interval" {
	cat >b.csv <<-EOF
	time,import_total_wh,export_total_wh
	2026-01-01T10:00:00+00:00,1000,500
	2026-01-01T10:30:00+00:00,900,600
	2026-01-01T11:00:00+00:00,1000,700
	2026-01-01T11:30:00+00:00,1010,690
	EOF
	run -0 --separate-stderr denki-meter-read -m m b.csv
	assert_equal "$stderr" "$(printf '%s\n' \
	    'denki-meter-read: b.csv:3: counter went backwards (meter replaced or reset?); no reading for this interval' \
	    'denki-meter-read: b.csv:5: counter went backwards (meter replaced or reset?); no reading for this interval')"
	assert_output "$(reading m 2026-01-01T10:30:00+00:00 100 100 1000 700)"
}

@test "meter-read: a bad number is 65, file:line: field" {
	printf 'time,import_total_wh,export_total_wh\n2026-01-01T10:00:00Z,1000,500\n2026-01-01T10:30:00Z,12x,600\n' >n.csv
	run -65 --separate-stderr denki-meter-read -m m n.csv
	assert_equal "$stderr" 'denki-meter-read: n.csv:3: import: must be a non-negative integer of Wh, got "12x"'
	printf 'start,import_wh,export_wh\n2026-01-01T10:00:00Z,1,-2\n' >neg.csv
	run -65 --separate-stderr denki-meter-read -m m neg.csv
	assert_output ""
	assert_equal "$stderr" 'denki-meter-read: neg.csv:2: export: must be a non-negative integer of Wh, got "-2"'
	sed '3s/,1224\.174,/,1224.1745,/' "$OPSD" >dec.csv
	run -65 --separate-stderr denki-meter-read -m kn3-m dec.csv
	assert_equal "$stderr" 'denki-meter-read: dec.csv:3: import: must be a non-negative number of kWh with at most 3 decimals, got "1224.1745"'
}

@test "meter-read: time going backwards or repeating is 65, file:line" {
	cat >t.csv <<-EOF
	time,import_total_wh,export_total_wh
	2026-01-01T10:00:00+00:00,1000,500
	2026-01-01T10:30:00+00:00,1100,600
	2026-01-01T11:00:00+01:00,1200,600
	EOF
	run -65 --separate-stderr denki-meter-read -m m t.csv
	assert_equal "$stderr" "denki-meter-read: t.csv:4: time goes backwards or repeats"
}

@test "meter-read: a bad time is 65, file:line: column" {
	printf 'time,import_total_wh,export_total_wh\n2026-01-01 10:00:00,1000,500\n' >bt.csv
	run -65 --separate-stderr denki-meter-read -m m bt.csv
	assert_output ""
	assert_equal "$stderr" 'denki-meter-read: bt.csv:2: time: must be an RFC 3339 time with an offset, like 2016-07-05T10:30:00+02:00, got "2026-01-01 10:00:00"'
	printf 'start,import_wh,export_wh\n2026-01-01T10:10:00Z,1,2\n' >off.csv
	run -65 --separate-stderr denki-meter-read -m m off.csv
	assert_equal "$stderr" "denki-meter-read: off.csv:2: start: not on a 30-minute slot boundary"
}

@test "meter-read: an unknown header is 65 at line 1; an empty file too" {
	printf 'when,in,out\n2026-01-01T10:00:00Z,1,2\n' >h.csv
	run -65 --separate-stderr denki-meter-read -m m h.csv
	assert_output ""
	assert_equal "$stderr" "denki-meter-read: h.csv:1: header: not a known layout (utc_timestamp + *_grid_import[, *_grid_export]; time,import_total_wh,export_total_wh; start,import_wh,export_wh)"
	printf 'time,in,out\n' >h2.csv
	run -65 --separate-stderr denki-meter-read -m m h2.csv
	assert_regex "$stderr" '^denki-meter-read: h2\.csv:1: header: not a known layout .*; no import column$'
	: >empty.csv
	run -65 --separate-stderr denki-meter-read -m m empty.csv
	assert_equal "$stderr" "denki-meter-read: empty.csv:1: empty file, no header"
}

@test "meter-read: too few fields, or an interval that does not fit the slots, is 65" {
	printf 'time,import_total_wh,export_total_wh\n2026-01-01T10:00:00Z,1000\n' >few.csv
	run -65 --separate-stderr denki-meter-read -m m few.csv
	assert_equal "$stderr" "denki-meter-read: few.csv:2: too few fields"
	printf 'time,import_total_wh,export_total_wh\n2026-01-01T10:00:00Z,1,1\n2026-01-01T10:45:00Z,2,2\n' >odd.csv
	run -65 --separate-stderr denki-meter-read -m m odd.csv
	assert_equal "$stderr" "denki-meter-read: odd.csv:3: an interval of 45 minutes does not fit 30-minute slots"
}

@test "meter-read: a missing file is 66 and names it" {
	run -66 --separate-stderr denki-meter-read -m m nope.csv
	assert_output ""
	assert_equal "$stderr" "denki-meter-read: nope.csv: No such file or directory"
}

@test "meter-read -d sim: the same seed gives the same bytes, a different seed others" {
	run -0 --separate-stderr denki-meter-read -d sim -m s1 -s 2026-07-01T00:00:00+00:00 -n 48
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 48
	local one="$output"
	run -0 --separate-stderr denki-meter-read -d sim -m s1 -s 2026-07-01T00:00:00+00:00 -n 48
	assert_equal "$output" "$one"
	# and on every machine: the golden file (checked against the model by hand)
	assert_equal "$output" "$(cat "$DATA/sim-s1-seed1-2026-07-01.jsonl")"
	run -0 --separate-stderr denki-meter-read -d sim -m s1 -D sim.seed=2 -s 2026-07-01T00:00:00+00:00 -n 48
	assert_equal "${#lines[@]}" 48
	[ "$output" != "$one" ]
	# the seed in the configuration file is the same seed
	printf 'sim:\n  seed: 2\nmeter:\n  sign: no\n' >sim.yaml
	local two="$output"
	run -0 --separate-stderr denki-meter-read -c sim.yaml -d sim -m s1 -s 2026-07-01T00:00:00+00:00 -n 48
	assert_equal "$output" "$two"
}

@test "meter-read -d sim: consecutive slots, night imports, midday exports" {
	run -0 --separate-stderr denki-meter-read -d sim -m s1 -D sim.seed=7 -s 2026-07-01T00:00:00+00:00 -n 48
	assert_equal "$(echo "$output" | jq -r .slot | sed -n '1p;2p;48p' | tr '\n' ' ')" \
	    "2026-07-01T00:00:00+00:00 2026-07-01T00:30:00+00:00 2026-07-01T23:30:00+00:00 "
	# 00:00-05:30: no PV, a load of 300 W +-20%: 120..180 Wh a slot
	assert_equal "$(echo "$output" | head -n 12 | jq -c 'select(.export_wh != 0 or .import_wh < 120 or .import_wh > 180)')" ""
	# 10:00-13:30: PV of at least 40% of 4 kW beats any load: export only
	assert_equal "$(echo "$output" | sed -n '21,28p' | jq -c 'select(.import_wh != 0 or .export_wh < 500)')" ""
}

@test "meter-read -d sim: misuse is 64" {
	run -64 --separate-stderr denki-meter-read -d sim -m s1 -n 4
	assert_equal "${stderr_lines[0]}" "denki-meter-read: -d sim: -s start (a slot) is needed, and no files"
	run -64 --separate-stderr denki-meter-read -d sim -m s1 -s 2026-07-01T00:10:00+00:00 -n 4
	assert_equal "$stderr" 'denki-meter-read: -s: must start a 30-minute slot, got "2026-07-01T00:10:00+00:00"'
	run -64 --separate-stderr denki-meter-read -d sim -m s1 -s 2026-07-01T00:00:00+00:00 -n 0
	assert_equal "$stderr" "denki-meter-read: -n 0: must be 1 to 1000000 slots"
	run -64 --separate-stderr denki-meter-read -d sim -m s1 -s 2026-07-01T00:00:00+00:00 -n 2 extra.csv
	assert_equal "${stderr_lines[0]}" "denki-meter-read: -d sim: -s start (a slot) is needed, and no files"
	run -64 --separate-stderr denki-meter-read -d nosuchdriver -m s1 x.csv
	[[ "$stderr" == "denki-meter-read: -d nosuchdriver: unknown driver (csv, sim, samples"* ]]
}

@test "meter-read: no meter id, or a bad one, is 64" {
	run -64 --separate-stderr denki-meter-read "$OPSD"
	assert_output ""
	assert_equal "$stderr" "denki-meter-read: no meter: the meter id (-m, or meter.id in the configuration) must be 1 to 32 of [A-Za-z0-9._-]"
	run -64 --separate-stderr denki-meter-read -m 'a/b' "$OPSD"
	assert_equal "$stderr" "denki-meter-read: a/b: the meter id (-m, or meter.id in the configuration) must be 1 to 32 of [A-Za-z0-9._-]"
}

@test "meter-read -h: usage on stdout, 0; a bad option: usage on stderr, 64" {
	run -0 --separate-stderr denki-meter-read -h
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 6
	assert_line --index 0 'usage: denki-meter-read [-u] [-c config] [-D key=value] [-d csv] [-m meter] [file ...]'
	assert_line --index 1 '       denki-meter-read [-u] [-c config] [-D key=value] -d sim [-m meter] -s start -n slots'
	assert_line --index 2 '       denki-meter-read [-u] [-c config] [-D key=value] -d driver [-m meter] [file ...]'
	assert_line --index 3 '       denki-meter-read -p [-c config] [-D key=value] [-d driver] [-m meter] [file ...]'
	assert_line --index 4 '       denki-meter-read -P [-c config] [-D key=value] [-m meter]'
	assert_line --index 5 --regexp '^drivers: csv, sim, samples'
	local usage="$output"
	run -64 --separate-stderr denki-meter-read -x -m m "$OPSD"
	assert_output ""
	assert_equal "${stderr_lines[0]}" "denki-meter-read: invalid option -- 'x'"
	assert_equal "$(printf '%s\n' "${stderr_lines[@]:1}")" "$usage"
}

@test "meter-read: a missing row is a gap, not a guess: a warning and no reading for it" {
	# the 10:00 row of the real data left out: 09:00 -> 11:00 is two hours
	sed '/^2016-07-05T10:00/d' "$OPSD" >holed.csv
	run -0 --separate-stderr denki-meter-read -m kn3-m holed.csv
	assert_equal "${#lines[@]}" 4
	refute_output --partial '"slot":"2016-07-05T09:'
	refute_output --partial '"slot":"2016-07-05T10:'
	assert_line --index 2 "$(reading kn3-m 2016-07-05T11:00:00+00:00 0 1304 1224174 1418372)"
	assert_equal "$stderr" "denki-meter-read: holed.csv:4: 120 minutes since the row before, where the data has 60: a gap, no reading for it"
}

@test "meter-read -p: only a device driver can be polled" {
	run -64 --separate-stderr denki-meter-read -p -d csv -m m
	assert_equal "$stderr" "denki-meter-read: -p: -d csv is not a device driver"
	run -64 --separate-stderr denki-meter-read -p -d nosuch -m m
	[[ "$stderr" == "denki-meter-read: -d nosuch: unknown driver (csv, sim"* ]]
	assert_output ""
}

@test "meter-read(1): each option is described once, in the order of the letters" {
	run -0 sed -n '/^\.Sh OPTIONS\|^\.Sh DESCRIPTION/,/^\.Sh INPUT/s/^\.It Fl \([a-zA-Z]\).*/\1/p' "$TOP/man/denki-meter-read.1"
	assert_equal "$(printf '%s\n' "${lines[@]}" | sort | uniq -d)" ""
	assert_equal "$(printf '%s\n' "${lines[@]}" | tr '\n' ' ')" "c D d m n P p s u h "
}
