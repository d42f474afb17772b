#!/usr/bin/env bats
# denki-meter-read -p -d dsmr: P1 telegrams through a pty and a TCP socket.

load test_helper

FIX="$FIXTURES/dsmr"
PEER="$TOP/tests/peers/p1-peer.py"

setup() {
	common_setup
	PEER_PID=
}

teardown() {
	if [ -n "$PEER_PID" ]; then
		kill "$PEER_PID" 2>/dev/null || true
		wait "$PEER_PID" 2>/dev/null || true
	fi
}

# peer MODE WHERE ARGS...: starts the P1 peer and waits for its pty link or
# its port file
peer() {
	local i
	python3 "$PEER" "$@" 3>&- &
	PEER_PID=$!
	for i in $(seq 100); do
		[ -e "$2" ] && return 0
		sleep 0.05
	done
	echo "the P1 peer did not start" >&2
	return 1
}

# The samples §6.4 of meters.md expects, in tz UTC: import = T1 + T2,
# export = T1 + T2 (mWh), power = P+ - P- (W), time from 0-0:1.0.0.
be='{"exact":false,"export_mwh":11000,"import_mwh":15792000,"kind":"grid","meter":"p1","power_w":0,"time":"2020-05-12T11:54:09+00:00","type":"sample","v":1}'
v42='{"exact":false,"export_mwh":0,"import_mwh":3016829000,"kind":"grid","meter":"p1","power_w":2027,"time":"2016-11-13T19:57:57+00:00","type":"sample","v":1}'
v5='{"exact":false,"export_mwh":2444000,"import_mwh":6825000,"kind":"grid","meter":"p1","power_w":244,"time":"2017-01-02T18:20:02+00:00","type":"sample","v":1}'
# DSMR 2.2 has no clock: the time is the poll's, checked apart
v22='"export_mwh":2002000,"import_mwh":2002000,"kind":"grid","meter":"p1","power_w":1010,'

read_p1() {
	run --separate-stderr denki-meter-read -p -d dsmr -m p1 -D tz=UTC "$@"
}

@test "dsmr: every fixture through a pty, every value decoded" {
	peer pty tty0 "$FIX/be_fluvius_v171.txt" "$FIX/v2_2_iskra_mt382.txt" \
	    "$FIX/v4_2_kaifa.txt" "$FIX/v5_iskra_mt382.txt"
	before=$(date +%s)
	read_p1 -D meter.dsmr.device=tty0 -D meter.dsmr.telegrams=4 \
	    -D meter.dsmr.timeout=10
	after=$(date +%s)
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 4
	assert_equal "${lines[0]}" "$be"
	assert_equal "${lines[2]}" "$v42"
	assert_equal "${lines[3]}" "$v5"
	assert_regex "${lines[1]}" "$v22"
	t=$(printf '%s\n' "${lines[1]}" | jq -r .time)
	t=$(date -d "$t" +%s)
	[ "$t" -ge "$before" ] && [ "$t" -le "$after" ]
}

@test "dsmr: every fixture through a TCP socket (ser2net style)" {
	peer tcp port "$FIX/be_fluvius_v171.txt" "$FIX/v2_2_iskra_mt382.txt" \
	    "$FIX/v4_2_kaifa.txt" "$FIX/v5_iskra_mt382.txt"
	read_p1 -D meter.dsmr.tcp=127.0.0.1:$(cat port) \
	    -D meter.dsmr.telegrams=4 -D meter.dsmr.timeout=10
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 4
	assert_equal "${lines[0]}" "$be"
	assert_regex "${lines[1]}" "$v22"
	assert_equal "${lines[2]}" "$v42"
	assert_equal "${lines[3]}" "$v5"
}

@test "dsmr: one telegram by default; the meter's zone turns S/W into the right instant" {
	peer tcp port "$FIX/be_fluvius_v171.txt" "$FIX/v4_2_kaifa.txt"
	run -0 --separate-stderr denki-meter-read -p -d dsmr -m p1 \
	    -D tz=Europe/Brussels -D meter.dsmr.tcp=127.0.0.1:$(cat port)
	assert_output --partial '"time":"2020-05-12T13:54:09+02:00"'
	assert_equal "${#lines[@]}" 1
	# a meter in Ireland (summer = IST, +01:00)
	run -0 --separate-stderr denki-meter-read -p -d dsmr -m p1 -D tz=UTC \
	    -D meter.dsmr.tz=Europe/Dublin -D meter.dsmr.tcp=127.0.0.1:$(cat port)
	assert_output --partial '"time":"2020-05-12T12:54:09+00:00"'
	# a zone with no summer time cannot have an S time: refused, and the
	# next telegram (W) is used
	run -0 --separate-stderr denki-meter-read -p -d dsmr -m p1 -D tz=UTC \
	    -D meter.dsmr.tz=UTC -D meter.dsmr.tcp=127.0.0.1:$(cat port) \
	    -D meter.dsmr.timeout=1
	assert_equal "${stderr_lines[0]}" "denki-meter-read: dsmr: tcp 127.0.0.1:$(cat port): telegram 1: refused: line 5: 0-0:1.0.0: 200512135409S: no such summer time in UTC (set meter.dsmr.tz to the meter's zone)"
	assert_equal "$output" "${v42/19:57:57/20:57:57}"
}

@test "dsmr: an Irish meter's telegram (S in February, a control byte in its header) is read in Europe/Dublin" {
	local ie="$TOP/tests/data/dsmr-ie/ie_iskra_mie5t.txt"
	peer tcp port "$ie"
	read_p1 -D meter.dsmr.tz=Europe/Dublin -D meter.dsmr.tcp=127.0.0.1:$(cat port) -D meter.dsmr.timeout=5
	assert_success
	assert_equal "$stderr" ""
	assert_output '{"exact":false,"export_mwh":20563000,"import_mwh":20363000,"kind":"grid","meter":"p1","power_w":-100,"time":"2023-02-02T13:27:47+00:00","type":"sample","v":1}'
}

@test "dsmr: a telegram with a bad CRC is refused and counted; the good ones around it are used" {
	sed 's/000002.399/000002.398/' "$FIX/v5_iskra_mt382.txt" >bad.txt
	cmp -s bad.txt "$FIX/v5_iskra_mt382.txt" && false
	for via in pty tcp; do
		peer $via p1 "$FIX/v4_2_kaifa.txt" bad.txt "$FIX/be_fluvius_v171.txt"
		if [ $via = pty ]; then dev=meter.dsmr.device=p1
		else dev=meter.dsmr.tcp=127.0.0.1:$(cat p1); fi
		read_p1 -D $dev -D meter.dsmr.telegrams=2 -D meter.dsmr.timeout=10
		assert_success
		assert_equal "${#lines[@]}" 2
		assert_equal "${lines[0]}" "$v42"
		assert_equal "${lines[1]}" "$be"
		where=p1; [ $via = tcp ] && where="tcp 127.0.0.1:$(cat p1)"
		crc=$(python3 -c 'import sys
d=open("bad.txt","rb").read(); d=d[:d.index(b"!")+1]; c=0
for b in d:
    c^=b
    for _ in range(8): c=(c>>1)^0xA001 if c&1 else c>>1
print("%04X"%c)')
		assert_equal "${stderr_lines[0]}" "denki-meter-read: dsmr: $where: telegram 2: refused: CRC 6EEE, but the telegram's bytes give $crc"
		assert_equal "${stderr_lines[1]}" "denki-meter-read: -d dsmr: 1 refused (see above)"
		assert_equal "${#stderr_lines[@]}" 2
		teardown; PEER_PID=; rm -f p1
	done
}

@test "dsmr: a telegram cut short by the next one is refused; every telegram bad means no sample and exit 75" {
	head -c 300 "$FIX/v4_2_kaifa.txt" >cut.txt
	peer tcp port cut.txt "$FIX/v5_iskra_mt382.txt"
	read_p1 -D meter.dsmr.tcp=127.0.0.1:$(cat port)
	assert_success
	assert_equal "$output" "$v5"
	assert_equal "${stderr_lines[0]}" "denki-meter-read: dsmr: tcp 127.0.0.1:$(cat port): telegram 1: refused: cut short or garbled (no \"!CRC\" CR LF before the next '/')"
	teardown
	sed 's/!6796/!6795/' "$FIX/v4_2_kaifa.txt" >bad.txt
	peer tcp port2 bad.txt
	read_p1 -D meter.dsmr.tcp=127.0.0.1:$(cat port2) -D meter.dsmr.timeout=1
	assert_failure 75
	assert_equal "$output" ""
	assert_equal "${stderr_lines[1]}" "denki-meter-read: dsmr: tcp 127.0.0.1:$(cat port2): 0 of 1 good telegram in 1 s (1 refused)"
}

@test "dsmr: a stream that ends mid-telegram: refused, reopened as often as meter.dsmr.retries says, then exit 69" {
	peer tcp port --cut 500 "$FIX/v5_iskra_mt382.txt"
	read_p1 -D meter.dsmr.tcp=127.0.0.1:$(cat port) -D meter.dsmr.retries=1
	assert_failure 69
	assert_equal "$output" ""
	p="denki-meter-read: dsmr: tcp 127.0.0.1:$(cat port)"
	assert_equal "${stderr_lines[0]}" "$p: telegram 1: refused: cut short by end of stream"
	assert_equal "${stderr_lines[1]}" "$p: end of stream; opening again (1 of 1)"
	assert_equal "${stderr_lines[2]}" "$p: telegram 2: refused: cut short by end of stream"
	assert_equal "${stderr_lines[3]}" "denki-meter-read: dsmr: tcp 127.0.0.1:$(cat port): end of stream after 0 of 1 good telegram"
}

@test "dsmr: a meter that says nothing: exit 75 after meter.dsmr.timeout" {
	: >empty.txt
	peer pty tty0 empty.txt
	SECONDS=0
	read_p1 -D meter.dsmr.device=tty0 -D meter.dsmr.timeout=2
	assert_failure 75
	assert_equal "$stderr" "denki-meter-read: dsmr: tty0: 0 of 1 good telegram in 2 s (0 refused)"
	[ "$SECONDS" -ge 1 ] && [ "$SECONDS" -le 4 ]
}

@test "dsmr: a dead device or a closed port: a clear error, exit 69" {
	read_p1 -D meter.dsmr.device=/dev/ttyNOSUCH0 -D meter.dsmr.retries=0
	assert_failure 69
	assert_equal "$stderr" "denki-meter-read: dsmr: /dev/ttyNOSUCH0: No such file or directory"
	port=$(free_port)
	read_p1 -D meter.dsmr.tcp=127.0.0.1:$port -D meter.dsmr.retries=1
	assert_failure 69
	assert_equal "${stderr_lines[0]}" "denki-meter-read: dsmr: tcp 127.0.0.1:$port: Connection refused; trying again (1 of 1)"
	assert_equal "${stderr_lines[1]}" "denki-meter-read: dsmr: tcp 127.0.0.1:$port: Connection refused"
	assert_equal "$output" ""
}

@test "dsmr: a 7E1 meter (DSMR 2.2) set as 7E1, and read as 8N1 with the parity in bit 7" {
	peer pty tty0 --bit7 "$FIX/v2_2_iskra_mt382.txt" "$FIX/v5_iskra_mt382.txt"
	read_p1 -D meter.dsmr.device=tty0 -D meter.dsmr.telegrams=2
	assert_success
	assert_equal "$stderr" ""
	assert_regex "${lines[0]}" "$v22"
	assert_equal "${lines[1]}" "$v5"
	teardown; rm tty0
	peer pty tty0 "$FIX/v2_2_iskra_mt382.txt"
	read_p1 -D meter.dsmr.device=tty0 -D meter.dsmr.baud=9600 \
	    -D meter.dsmr.serial=7E1
	assert_success
	assert_regex "$output" "$v22"
}

@test "dsmr: settings are checked before the port is opened (exit 78)" {
	read_p1 -D meter.dsmr.device=/dev/null -D meter.dsmr.tcp=h:1
	assert_failure 78
	assert_equal "$stderr" "denki-meter-read: -D: meter.dsmr.device (a serial port) or meter.dsmr.tcp (host:port) must be set, and not both"
	read_p1
	assert_failure 78
	read_p1 -D meter.dsmr.device=/dev/null -D meter.dsmr.serial=9N1
	assert_failure 78
	assert_equal "$stderr" "denki-meter-read: -D: meter.dsmr.serial: \"9N1\": must be data bits, parity and stop bits, like 8N1 or 7E1"
	read_p1 -D meter.dsmr.device=/dev/null -D meter.dsmr.baud=1000
	assert_failure 78
	read_p1 -D meter.dsmr.tcp=nocolon
	assert_failure 78
	assert_equal "$stderr" "denki-meter-read: meter.dsmr.tcp: \"nocolon\": must be host:port"
}
