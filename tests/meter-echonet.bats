#!/usr/bin/env bats
# denki-meter-read -p -d echonet: ECHONET Lite over UDP, against an emulated
# node run by npm echonet-lite 2.16.2 (tests/peers/echonet/emu.js).

load test_helper

load echonet-peer

setup() {
	common_setup
	echonet_setup
}

teardown() {
	echonet_teardown
}

# the samples without the poll time, which is checked apart
untimed() {
	jq -c 'if .exact then . else del(.time) end'
}

# each poll-time sample is stamped between $1 and $2 (Unix seconds)
polled_between() {
	jq -se --argjson a "$1" --argjson b "$2" '[.[] | select(.exact | not) |
	    .time | sub("\\+00:00$"; "Z") | fromdateiso8601 |
	    . >= $a and . <= $b] | length > 0 and all' >/dev/null
}

@test "echonet: meter, PV and battery found through D6, every value decoded" {
	emu '{"028801": {"d3":"00000001","d7":"06","e0":"0001e240","e1":"01",
	        "e3":"00003039","e7":"fffffe0c",
	        "ea":"07e805140c1e000001e240","eb":"07e805140c1e0000003039"},
	      "027901": {"e0":"0123","e1":"00bc614e"},
	      "027d01": {"a8":"00001000","a9":"00000800"}}'
	t0=$(date +%s)
	run --separate-stderr denki-meter-read -c home.yaml -p -d echonet
	t1=$(date +%s)
	assert_success
	assert_equal "$stderr" ""
	# E0 123456 x 0.1 kWh x 1 = 12 345.6 kWh; E3 12345 = 1 234.5 kWh;
	# E7 -500 W; wraps at 10^6 x 0.1 kWh; EA/EB at 2024-05-20 12:30 JST
	# (03:30 UTC); PV E1 12 345 678 Wh, 0x123 W; battery 4096/2048 Wh
	assert_equal "$(printf '%s\n' "$output" | untimed)" \
'{"exact":false,"export_mwh":1234500000,"import_mwh":12345600000,"kind":"grid","meter":"jp-m","power_w":-500,"type":"sample","v":1,"wrap_mwh":100000000000}
{"exact":true,"export_mwh":1234500000,"import_mwh":12345600000,"kind":"grid","meter":"jp-m","time":"2024-05-20T03:30:00+00:00","type":"sample","v":1,"wrap_mwh":100000000000}
{"exact":false,"import_mwh":12345678000,"kind":"pv","meter":"jp-m","power_w":291,"type":"sample","v":1,"wrap_mwh":1000000000000}
{"exact":false,"export_mwh":2048000,"import_mwh":4096000,"kind":"battery","meter":"jp-m","type":"sample","v":1}'
	printf '%s\n' "$output" | polled_between "$t0" "$t1"
}

@test "echonet: Get_SNA, 0xFFFFFFFE and 0x7FFFFFFE are left out, never values; near the wrap" {
	# D7 8 digits, D3 10, E1 0.0001 kWh: E0 99 999 999 -> 99 999 999 000 mWh,
	# the counter wraps at 10^8 x 10 x 100 mWh; E3 and EA "no data", no EB,
	# no E0 on the PV: Get_SNA
	emu '{"028801": {"d3":"0000000a","d7":"08","e0":"05f5e0ff","e1":"04",
	        "e3":"fffffffe","e7":"7ffffffe",
	        "ea":"07e80101000000fffffffe"},
	      "027901": {"e1":"fffffffe"}}'
	run --separate-stderr denki-meter-read -c home.yaml -p -d echonet
	assert_success
	assert_equal "$(printf '%s\n' "$output" | untimed)" \
'{"exact":false,"import_mwh":99999999000,"kind":"grid","meter":"jp-m","type":"sample","v":1,"wrap_mwh":100000000000}'
	assert_equal "$stderr" \
"denki-meter-read: 127.0.0.1:$PORT: 028801: Get_SNA without EB
denki-meter-read: 127.0.0.1:$PORT: 027901: Get_SNA without E0"
}

@test "echonet: a counter at 10^D7 or more is refused, the rest is kept" {
	emu '{"028801": {"d7":"06","e0":"000f4240","e1":"00","e3":"000f423f",
	        "e7":"00000064"}}'
	run --separate-stderr denki-meter-read -c home.yaml -p -d echonet
	assert_success
	# no D3: coefficient 1; E3 999 999 kWh; E0 1 000 000 is past 999 999
	assert_equal "$(printf '%s\n' "$output" | untimed)" \
'{"exact":false,"export_mwh":999999000000,"kind":"grid","meter":"jp-m","power_w":100,"type":"sample","v":1,"wrap_mwh":1000000000000}'
	[[ "$stderr" == *"028801: Get_SNA without D3 EA EB"* ]]
	[[ "$stderr" == *"028801: E0 = 1000000 is past the counter's 999999: left out"* ]]
}

@test "echonet: every E1 unit converts exactly to mWh" {
	# E0 1234 x D3 3 x unit; E3 = 1
	for u in 00:1000000 01:100000 02:10000 03:1000 04:100 0a:10000000 \
	    0b:100000000 0c:1000000000 0d:10000000000; do
		code=${u%%:*} mwh=${u#*:}
		emu "{\"028801\": {\"d3\":\"00000003\",\"d7\":\"06\",
		    \"e0\":\"000004d2\",\"e1\":\"$code\",\"e3\":\"00000001\",
		    \"e7\":\"00000000\"}}"
		run --separate-stderr denki-meter-read -c home.yaml -p -d echonet
		assert_success
		# jq would round past 2^53: the JSON text itself
		assert_equal "$(printf '%s\n' "$output" | grep -o '"[a-z_]*":-\{0,1\}[0-9]\{1,\}' | tr '\n' ' ')" \
		    "\"export_mwh\":$((3 * mwh)) \"import_mwh\":$((1234 * 3 * mwh)) \"power_w\":0 \"v\":1 \"wrap_mwh\":$((1000000 * 3 * mwh)) "
		kill "$EMU_PID"
		wait "$EMU_PID" || true
		EMU_PID=
	done
}

@test "echonet: a dead peer: bounded retries, each warned, exit 69" {
	start=$(date +%s%N)
	run --separate-stderr denki-meter-read -c home.yaml -p -d echonet \
	    -D meter.echonet.timeout=200 -D meter.echonet.retries=2
	end=$(date +%s%N)
	assert_failure 69
	assert_output ""
	assert_equal "$stderr" \
"denki-meter-read: 127.0.0.1:$PORT: 0EF001: no answer within 200 ms (attempt 1 of 3)
denki-meter-read: 127.0.0.1:$PORT: 0EF001: no answer within 200 ms (attempt 2 of 3)
denki-meter-read: 127.0.0.1:$PORT: 0EF001: no answer within 200 ms (attempt 3 of 3)
denki-meter-read: 127.0.0.1:$PORT: 0EF001: no answer to Get after 3 attempts of 200 ms"
	# 3 x 200 ms, and not much more
	[ $(((end - start) / 1000000)) -ge 600 ]
	[ $(((end - start) / 1000000)) -lt 3000 ]
}

@test "echonet: settings are checked: no host, a bad port, a bad bind" {
	run --separate-stderr denki-meter-read -p -d echonet -m m1
	assert_failure 78
	assert_equal "$stderr" "denki-meter-read: -d echonet: meter.echonet.host (the node's IPv4 address) is not set"
	run --separate-stderr denki-meter-read -c home.yaml -p -d echonet -D meter.echonet.port=70000
	assert_failure 78
	[[ "$stderr" == *"meter.echonet.port: must be from 1 to 65535, got 70000" ]]
	run --separate-stderr denki-meter-read -c home.yaml -p -d echonet -D meter.echonet.bind=192.0.2.1
	assert_failure 69
	[[ "$stderr" == *"-d echonet: bind 192.0.2.1:$PORT (answers come to the ECHONET port): Cannot assign requested address" ]]
}

@test "completions: bash completes the drivers and their settings" {
	comp() {
		bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
		    _denki; printf "%s\n" "${COMPREPLY[@]}"' _ \
		    "$TOP/completions/bash/denki" "$@"
	}
	run comp denki-meter-read -d ec
	assert_output echonet
	run comp denki-meter-read -d b
	assert_output broute
	run comp denki-meter-read -D meter.echonet.t
	assert_output "meter.echonet.tz=
meter.echonet.timeout="
	run comp denki-meter-read -D meter.broute.model=bp35
	assert_output "bp35a1
bp35c0"
}

@test "echonet: one poll of the smart meter, stored and printed, in at most 8 MB resident (tools/footprint.sh)" {
	[ -x /usr/bin/time ] || skip "/usr/bin/time is not installed (make deps)"
	[ -z "${ASAN_OPTIONS:-}" ] || skip "ASAN_OPTIONS is set: a sanitizer build"
	emu '{"028801": {"d3":"00000001","d7":"06","e0":"0001e240","e1":"01",
	        "e3":"00003039","e7":"fffffe0c",
	        "ea":"07e805140c1e000001e240","eb":"07e805140c1e0000003039"}}'
	run -0 denki-keygen dev
	# the whole household path: poll, store in SQLite, sign, print
	run -0 --separate-stderr "$TOP/tools/footprint.sh" denki-meter-read -c home.yaml \
	    -D state=home.db -D meter.key=dev.key -d echonet
	assert_regex "${stderr_lines[-1]}" '^max_rss_kb [0-9]+$'
	local kb=${stderr_lines[-1]#max_rss_kb }
	echo "# one ECHONET Lite poll, stored, signed and printed: $kb kB" >&3
	[ "$kb" -le 8192 ]
	# the samples are in the state database
	run -0 python3 -c 'import sqlite3; print(sqlite3.connect("home.db").execute("select count(*) from sample").fetchone()[0])'
	[ "$output" -ge 1 ]
}

@test "echonet: a fixed-time value (EA) from long ago makes one gap record for the whole run of slots, with its first and last slot" {
	emu '{"028801": {"d3":"00000001","d7":"06","e0":"0001e240","e1":"01",
	        "e3":"00003039","e7":"fffffe0c",
	        "ea":"07e805140c1e000001e240","eb":"07e805140c1e0000003039"}}'
	t0=$(date +%s)
	run -0 --separate-stderr denki-meter-read -c home.yaml -D state=home.db -d echonet
	t1=$(date +%s)
	# EA/EB at 2024-05-20 12:30 JST fix the first boundary; the poll,
	# now, the last: every slot between is one run
	assert_equal "${#lines[@]}" 1
	assert_equal "$(jq -r '[.type, .reason, .slot] | join(" ")' <<<"$output")" \
	    "gap no-sample 2024-05-20T03:30:00+00:00"
	last=$(jq -r .last <<<"$output")
	a=$(date -u -d @$((t0 / 1800 * 1800 - 1800)) +%Y-%m-%dT%H:%M:%S+00:00)
	b=$(date -u -d @$((t1 / 1800 * 1800 - 1800)) +%Y-%m-%dT%H:%M:%S+00:00)
	[ "$last" = "$a" ] || [ "$last" = "$b" ]
	n=$(( ($(date -d "$last" +%s) - $(date -d 2024-05-20T03:30:00Z +%s)) / 1800 + 1 ))
	[ "$n" -gt 17000 ]
	assert_equal "${stderr_lines[0]}" "denki-meter-read: meter jp-m: slots 2024-05-20T03:30:00+00:00 to $last: a gap of $n slots, no reading: no sample within the tolerance after one of its boundaries"
	# the gap is signed with the meter's key, made on this first run
	assert_equal "${stderr_lines[1]}" "denki-meter-read: made the device key of meter jp-m: jp-m.key (0600); its public key jp-m.pub goes in the meter's enrolment request"
	assert_equal "${#stderr_lines[@]}" 2
	assert_equal "$(jq -r '.sig | length' <<<"$output")" 88
}
