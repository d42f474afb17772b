#!/usr/bin/env bats
# denki-meter-read -p -d broute: a smart meter's route B through an SKSTACK
# IP dongle, played on a pseudo-terminal by tests/peers/broute/dongle.py.

load test_helper

DONGLE="$TOP/tests/peers/broute/dongle.py"
ID=00112233445566778899AABBCCDDEEFF
PW=0123456789AB
METER=FE80:0000:0000:0000:021C:6400:0334:8099

setup() {
	common_setup
	cat >home.yaml <<-YAML
	tz: UTC
	meter:
	  id: jp-m
	  broute:
	    device: $BATS_TEST_TMPDIR/dongle
	    id: $ID
	    password: $PW
	    tz: Asia/Tokyo
	    timeout: 1000
	    retries: 2
	YAML
	# a meter as the fixture's emulator capture has it, with EB
	cat >devices.json <<-'JSON'
	{"028801": {"d3":"00000001","d7":"06","e0":"0001e240","e1":"01",
	  "e3":"00003039","e7":"fffffe0c",
	  "ea":"07e805140c1e000001e240","eb":"07e805140c1e0000003039"}}
	JSON
}

teardown() {
	if [ -n "${DONGLE_PID:-}" ]; then
		kill "$DONGLE_PID" 2>/dev/null || true
		wait "$DONGLE_PID" 2>/dev/null || true
	fi
}

# dongle [options]: starts the dongle on ./dongle, logging to dongle.log
dongle() {
	python3 "$DONGLE" dongle devices.json --log dongle.log "$@" \
	    >dongle.out 2>dongle.err &
	DONGLE_PID=$!
	for _ in $(seq 100); do
		grep -q '^ready' dongle.out 2>/dev/null && return 0
		kill -0 "$DONGLE_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat dongle.err >&2
	fail "the dongle emulator did not start"
}

# E0 123456 x 0.1 kWh, E3 12345 x 0.1 kWh, E7 -500 W, wrap 10^6 x 0.1 kWh;
# EA/EB at 2024-05-20 12:30 JST
expected='{"exact":false,"export_mwh":1234500000,"import_mwh":12345600000,"kind":"grid","meter":"jp-m","power_w":-500,"type":"sample","v":1,"wrap_mwh":100000000000}
{"exact":true,"export_mwh":1234500000,"import_mwh":12345600000,"kind":"grid","meter":"jp-m","time":"2024-05-20T03:30:00+00:00","type":"sample","v":1,"wrap_mwh":100000000000}'

untimed() {
	jq -c 'if .exact then . else del(.time) end'
}

# each poll-time sample is stamped between $1 and $2 (Unix seconds)
polled_between() {
	jq -se --argjson a "$1" --argjson b "$2" '[.[] | select(.exact | not) |
	    .time | sub("\\+00:00$"; "Z") | fromdateiso8601 |
	    . >= $a and . <= $b] | length > 0 and all' >/dev/null
}

@test "broute: scan, join, read; 9-field ERXUDP (BP35A1); every value and command checked" {
	dongle --layout 9
	t0=$(date +%s)
	run --separate-stderr denki-meter-read -c home.yaml -p -d broute
	t1=$(date +%s)
	assert_success
	assert_equal "$(printf '%s\n' "$output" | untimed)" "$expected"
	printf '%s\n' "$output" | polled_between "$t0" "$t1"
	assert_equal "$stderr" "denki-meter-read: $BATS_TEST_TMPDIR/dongle: found the meter 001C640003348099 on channel 21, PAN 8888 (set meter.broute.channel, pan and addr to skip the scan)"
	# the join of meters.md 5.1, then Get D6 of 0EF001 and the meter's Get
	run sed -E 's/^(SKSENDTO 1 [^ ]+ 0E1A 1 [0-9A-F]{4}) 1081..../\1 1081TTTT/' dongle.log
	assert_output "SKSETPWD C $PW
SKSETRBID $ID
SKSCAN 2 FFFFFFFF 6
SKSREG S2 21
SKSREG S3 8888
SKLL64 001C640003348099
SKJOIN $METER
SKSENDTO 1 $METER 0E1A 1 000E 1081TTTT05FF010EF0016201D600
SKSENDTO 1 $METER 0E1A 1 001C 1081TTTT05FF010288016208D300D700E100E000E300E700EA00EB00"
}

@test "broute: 10-field ERXUDP (BP35C0, SKSENDTO with a side), cached channel: no scan" {
	dongle --layout 10
	run --separate-stderr denki-meter-read -c home.yaml -p -d broute \
	    -D meter.broute.model=bp35c0 -D meter.broute.channel=21 \
	    -D meter.broute.pan=8888 -D meter.broute.addr=001C640003348099
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(printf '%s\n' "$output" | untimed)" "$expected"
	run grep -c '^SKSCAN' dongle.log
	assert_output 0
	run grep -c "^SKSENDTO 1 $METER 0E1A 1 0 " dongle.log
	assert_output 2
}

@test "broute: 11-field ERXUDP (with LQI)" {
	dongle --layout 11
	run --separate-stderr denki-meter-read -c home.yaml -p -d broute \
	    -D meter.broute.model=bp35c0
	assert_success
	assert_equal "$(printf '%s\n' "$output" | untimed)" "$expected"
}

@test "broute: a failed join (EVENT 24), every time: bounded attempts, exit 69" {
	dongle --join-fail -1
	run --separate-stderr denki-meter-read -c home.yaml -p -d broute
	assert_failure 69
	assert_output ""
	assert_equal "$(printf '%s\n' "$stderr" | tail -n 4)" \
"denki-meter-read: $BATS_TEST_TMPDIR/dongle: SKJOIN $METER: PANA authentication failed (EVENT 24) (attempt 1 of 3)
denki-meter-read: $BATS_TEST_TMPDIR/dongle: SKJOIN $METER: PANA authentication failed (EVENT 24) (attempt 2 of 3)
denki-meter-read: $BATS_TEST_TMPDIR/dongle: SKJOIN $METER: PANA authentication failed (EVENT 24) (attempt 3 of 3)
denki-meter-read: $BATS_TEST_TMPDIR/dongle: the meter $METER refused to join 3 times (check meter.broute.id and meter.broute.password)"
	run grep -c '^SKJOIN' dongle.log
	assert_output 3
	run grep -c '^SKSENDTO' dongle.log
	assert_output 0
}

@test "broute: EVENT 24 once, then joined on the second attempt" {
	dongle --join-fail 1
	run --separate-stderr denki-meter-read -c home.yaml -p -d broute
	assert_success
	assert_equal "$(printf '%s\n' "$output" | untimed)" "$expected"
	[[ "$stderr" == *"PANA authentication failed (EVENT 24) (attempt 1 of 3)"* ]]
}

@test "broute: a failed send (EVENT 21 01) is retried, then the read succeeds" {
	dongle --send-fail 1
	run --separate-stderr denki-meter-read -c home.yaml -p -d broute
	assert_success
	assert_equal "$(printf '%s\n' "$output" | untimed)" "$expected"
	assert_equal "$(printf '%s\n' "$stderr" | tail -n 2)" \
"denki-meter-read: $BATS_TEST_TMPDIR/dongle: SKSENDTO: the dongle could not send (EVENT 21 01)
denki-meter-read: $BATS_TEST_TMPDIR/dongle $METER: 0EF001: the Get was not sent (attempt 1 of 3)"
	run grep -c '^SKSENDTO' dongle.log
	assert_output 3
}

@test "broute: sends that always fail: 3 attempts, exit 69" {
	dongle --send-fail 99
	run --separate-stderr denki-meter-read -c home.yaml -p -d broute
	assert_failure 69
	assert_equal "$(printf '%s\n' "$stderr" | tail -n 1)" \
	    "denki-meter-read: $BATS_TEST_TMPDIR/dongle $METER: 0EF001: no answer to Get after 3 attempts of 1000 ms"
	run grep -c '^SKSENDTO' dongle.log
	assert_output 3
}

@test "broute: an ERXUDP whose length disagrees is refused and counted; the good one is used" {
	dongle --bad-erxudp
	run --separate-stderr denki-meter-read -c home.yaml -p -d broute \
	    -D meter.broute.channel=21 -D meter.broute.pan=8888 \
	    -D meter.broute.addr=001C640003348099
	assert_success
	assert_equal "$(printf '%s\n' "$output" | untimed)" "$expected"
	assert_equal "$stderr" \
"denki-meter-read: $BATS_TEST_TMPDIR/dongle: ERXUDP refused: DATALEN 0012 but 34 hex digits of data
denki-meter-read: $BATS_TEST_TMPDIR/dongle: ERXUDP refused: DATALEN 0044 but 134 hex digits of data
denki-meter-read: -d broute: 2 refused (see above)"
}

@test "broute: settings are checked" {
	run --separate-stderr denki-meter-read -p -d broute -m m1
	assert_failure 78
	assert_equal "$stderr" "denki-meter-read: -d broute: meter.broute.device (the dongle's serial device) is not set"
	dongle
	run --separate-stderr denki-meter-read -c home.yaml -p -d broute -D meter.broute.id=00112233
	assert_failure 78
	assert_equal "$stderr" "denki-meter-read: -d broute: meter.broute.id must be the 32 letters and digits of the route B ID"
	run --separate-stderr denki-meter-read -c home.yaml -p -d broute -D meter.broute.password=short
	assert_failure 78
	assert_equal "$stderr" "denki-meter-read: -d broute: meter.broute.password must be the 12 letters and digits of the route B password"
	run --separate-stderr denki-meter-read -c home.yaml -p -d broute -D meter.broute.device=/nonexistent/tty
	assert_failure 66
	assert_equal "$stderr" "denki-meter-read: /nonexistent/tty: No such file or directory"
	run --separate-stderr denki-meter-read -c home.yaml -p -d broute -D meter.broute.device=home.yaml
	assert_failure 78
	[[ "$stderr" == *"home.yaml: not a serial device: "* ]]
}
