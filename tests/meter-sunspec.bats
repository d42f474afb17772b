#!/usr/bin/env bats
# denki-meter-read -p -d sunspec: SunSpec inverters and meters over Modbus
# TCP, against modbus-serial's ServerTCP (tests/peers/modbus) serving a
# register map built here from the model definitions (sunspec/models
# json/model_1, 101-103, 201-204.json; offsets from the ID register).

load test_helper

PEER="$TOP/tests/peers/modbus"

setup() {
	common_setup
	[ -d "$PEER/node_modules/modbus-serial" ] ||
		fail "the Modbus test peer is not installed: run make deps"
	declare -gA REGS=()
	SERVER_PID=
}

teardown() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
}

# put ADDR VALUE...: registers from ADDR on (a negative value is an int16)
put() {
	local a=$1 v
	shift
	for v; do
		REGS[$a]=$((v & 0xFFFF))
		a=$((a + 1))
	done
}
acc32() { put "$1" $(($2 >> 16)) $(($2 & 0xFFFF)); }
suns() { put "$1" 0x5375 0x6E53; }
# model ADDR ID LEN: the ID, L and L registers of zeros
model() {
	local i
	put "$1" "$2" "$3"
	for ((i = 0; i < $3; i++)); do REGS[$(($1 + 2 + i))]=0; done
}
# common ADDR: model 1 (L 66) with Mn "denki" and SN "T1"
common() {
	model "$1" 1 66
	put $(($1 + 2)) 0x6465 0x6E6B 0x6900	# Mn +2
	put $(($1 + 50)) 0x5431			# SN +50
}
# inverter ADDR ID W W_SF WH WH_SF: W +14, W_SF +15, WH +24, WH_SF +26
inverter() {
	model "$1" "$2" 50
	put $(($1 + 14)) "$3" "$4"
	acc32 $(($1 + 24)) "$5"
	put $(($1 + 26)) "$6"
	put $(($1 + 38)) 4			# St: MPPT
}
# meter ADDR ID W W_SF TOTWHEXP TOTWHIMP TOTWH_SF:
# W +18, W_SF +22, TotWhExp +38, TotWhImp +46, TotWh_SF +54
meter() {
	model "$1" "$2" 105
	put $(($1 + 18)) "$3"
	put $(($1 + 22)) "$4"
	acc32 $(($1 + 38)) "$5"
	acc32 $(($1 + 46)) "$6"
	put $(($1 + 54)) "$7"
}
end() { put "$1" 0xFFFF 0; }

# serve [UNIT [BUSY]]: writes map.json from REGS, starts the peer, sets PORT
serve() {
	local a i
	{
		printf '{"unit":%s,"busy":%s,"regs":{' "${1:-1}" "${2:-false}"
		i=0
		for a in "${!REGS[@]}"; do
			[ $i -gt 0 ] && printf ','
			printf '"%s":%s' "$a" "${REGS[$a]}"
			i=$((i + 1))
		done
		printf '}}\n'
	} >map.json
	rm -f port.txt
	node "$PEER/serve.js" map.json port.txt >server.log 2>server.err 3>&- &
	SERVER_PID=$!
	for i in $(seq 100); do
		[ -s port.txt ] && break
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ -s port.txt ] || fail "the Modbus peer did not start: $(cat server.err)"
	PORT=$(cat port.txt)
}

poll() {
	denki-meter-read -p -d sunspec -m site -D tz=UTC \
	    -D meter.sunspec.host=127.0.0.1 -D meter.sunspec.port="$PORT" "$@"
}

# the samples without their time, which is checked apart
untimed() { jq -c 'del(.time)' <<<"$output"; }

# every sample's time is now (within a minute), in the zone asked for
times_now() {
	local t now
	now=$(date -u +%s)
	while read -r t; do
		[[ $t == *+00:00 ]] || fail "time $t: not in UTC"
		t=$(date -u -d "$t" +%s)
		[ $((t - now)) -le 60 ] && [ $((now - t)) -le 60 ] ||
			fail "time $t is not now ($now)"
	done < <(jq -r .time <<<"$output")
}

@test "sunspec: base 40000, inverter 103 and meter 203, every value decoded" {
	suns 40000
	common 40002
	# 2345 W; 123456789 Wh (0x075B 0xCD15: the high word first)
	inverter 40070 103 2345 0 123456789 0
	# -123.4 W; TotWh_SF -2: 987654 and 4000000 hundredths of a Wh
	meter 40122 203 -1234 -1 987654 4000000 -2
	end 40229
	serve
	run -0 --separate-stderr poll
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 2
	assert_equal "$(untimed)" "$(
		echo '{"exact":false,"import_mwh":123456789000,"kind":"pv","meter":"site","power_w":2345,"type":"sample","v":1,"wrap_mwh":4294967296000}'
		echo '{"exact":false,"export_mwh":9876540,"import_mwh":40000000,"kind":"grid","meter":"site","power_w":-123,"type":"sample","v":1,"wrap_mwh":42949672960}'
	)"
	times_now
	# it read the marker, the chain, then each model it decodes whole
	run -0 cat server.log
	assert_output "$(printf 'read %s\n' '40000 2' '40002 2' '40070 2' \
	    '40122 2' '40229 2' '40070 52' '40122 107')"
}

@test "sunspec: base 0 after 40000 is refused; inverter 101 and meter 201 at scale factors +3, +2, -3, +1" {
	suns 0
	common 2
	# 37 x 100 W; 5678 kWh
	inverter 70 101 37 2 5678 3
	# 500 x 10 W; TotWh_SF -3: milli-Wh as they are
	meter 122 201 500 1 1 123456789 -3
	end 229
	serve
	run -0 --separate-stderr poll -D meter.sunspec.unit=1
	assert_equal "$(untimed)" "$(
		echo '{"exact":false,"import_mwh":5678000000,"kind":"pv","meter":"site","power_w":3700,"type":"sample","v":1,"wrap_mwh":4294967296000000}'
		echo '{"exact":false,"export_mwh":1,"import_mwh":123456789,"kind":"grid","meter":"site","power_w":5000,"type":"sample","v":1,"wrap_mwh":4294967296}'
	)"
	times_now
	run -0 head -n 2 server.log
	assert_output "$(printf 'read %s\n' '40000 2' '0 2')"
}

@test "sunspec: base 50000 past a readable 40000 and a refused 0; a model it skips; power_sign export" {
	put 40000 0 0
	suns 50000
	common 50002
	model 50070 120 26			# nameplate: walked past
	inverter 50098 102 -5 0 4294967295 -1	# acc32 at its top, in tenths
	meter 50150 204 800 0 2500 1500 1
	end 50257
	serve
	run -0 --separate-stderr poll -D meter.sunspec.power_sign=export
	assert_equal "$(untimed)" "$(
		echo '{"exact":false,"import_mwh":429496729500,"kind":"pv","meter":"site","power_w":-5,"type":"sample","v":1,"wrap_mwh":429496729600}'
		echo '{"exact":false,"export_mwh":25000000,"import_mwh":15000000,"kind":"grid","meter":"site","power_w":-800,"type":"sample","v":1,"wrap_mwh":42949672960000}'
	)"
	# the default reads the device's + as drawn from the grid
	run -0 --separate-stderr poll
	assert_line --index 1 --partial '"power_w":800,'
	# a base given: that one only
	run -0 --separate-stderr poll -D meter.sunspec.base=50000
	assert_equal "${#lines[@]}" 2
	run -65 --separate-stderr poll -D meter.sunspec.base=40000
	assert_output ""
	assert_equal "$stderr" "denki-meter-read: 127.0.0.1:$PORT unit 1: no SunS marker (0x5375 0x6E53) at the configured base: register 40000 holds 0x0000 0x0000"
}

@test "sunspec: not-implemented values give no value, never a number" {
	suns 40000
	common 40002
	# WH_SF 0x8000: no energy; W still there
	inverter 40070 103 1500 0 77777 -32768
	# W 0x8000, TotWhExp 0 (acc32 not implemented)
	meter 40122 203 -32768 0 0 4000 0
	end 40229
	serve
	run -0 --separate-stderr poll
	assert_equal "$(untimed)" "$(
		echo '{"exact":false,"kind":"pv","meter":"site","power_w":1500,"type":"sample","v":1}'
		echo '{"exact":false,"import_mwh":4000000,"kind":"grid","meter":"site","type":"sample","v":1,"wrap_mwh":4294967296000}'
	)"
	# W_SF and TotWh_SF not implemented: nothing but the kind
	put 40122 203 105
	put $((40122 + 18)) 100
	put $((40122 + 22)) -32768
	put $((40122 + 54)) -32768
	kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
	serve
	run -0 --separate-stderr poll
	assert_line --index 1 '{"exact":false,"kind":"grid","meter":"site","time":"'"$(jq -r .time <<<"${lines[1]}")"'","type":"sample","v":1}'
}

@test "sunspec: no SunS marker anywhere: exit 65, each place named" {
	put 40000 0x5375 0x6E54
	put 50000 0 0
	serve
	run -65 --separate-stderr poll
	assert_output ""
	assert_equal "$stderr" "denki-meter-read: 127.0.0.1:$PORT unit 1: no SunS marker (0x5375 0x6E53) at register 40000, 0 or 50000: register 40000 holds 0x5375 0x6E54; register 0: the device refuses registers 0-1 (Illegal data address); register 50000 holds 0x0000 0x0000"
}

@test "sunspec: a broken chain: wrong length, no end marker, past 65535, no model to read" {
	suns 40000
	common 40002
	inverter 40070 103 1 0 1 0
	meter 40122 203 1 0 1 1 0
	put 40123 100
	end 40229
	serve
	run -65 --separate-stderr poll
	assert_output ""
	assert_equal "$stderr" "denki-meter-read: 127.0.0.1:$PORT unit 1: register 40123: model 203 has length 100, must be 105"
	kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true

	put 40123 105
	unset 'REGS[40229]' 'REGS[40230]'
	serve
	run -65 --separate-stderr poll
	assert_output ""
	assert_equal "$stderr" "denki-meter-read: 127.0.0.1:$PORT unit 1: register 40229: the model chain from 40000 ends without 0xFFFF: the device refuses registers 40229-40230 (Illegal data address)"
	kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true

	REGS=()
	suns 50000
	common 50002
	put 50070 64001 20000
	serve
	run -65 --separate-stderr poll
	assert_equal "$stderr" "denki-meter-read: 127.0.0.1:$PORT unit 1: register 50071: model 64001 of length 20000 runs past register 65535"
	kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true

	REGS=()
	suns 40000
	common 40002
	model 40070 120 26
	end 40098
	serve
	run -65 --separate-stderr poll
	assert_equal "$stderr" "denki-meter-read: 127.0.0.1:$PORT unit 1: register 40000: no inverter (101-103) or meter (201-204) among the models (1, 120)"
}

@test "sunspec: server down: connection refused, bounded retries, exit 75" {
	# a port that was free a moment ago, and nobody listens on now
	PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
	SECONDS=0
	run -75 --separate-stderr poll -D meter.sunspec.retries=2
	assert_output ""
	assert_equal "$stderr" "denki-meter-read: 127.0.0.1:$PORT unit 1: cannot connect: Connection refused; retry 1 of 2
denki-meter-read: 127.0.0.1:$PORT unit 1: cannot connect: Connection refused; retry 2 of 2
denki-meter-read: 127.0.0.1:$PORT unit 1: cannot connect: Connection refused (3 tries)"
	# pauses of 0.25 s and 0.5 s
	[ "$SECONDS" -le 5 ] || fail "took $SECONDS s"
	run -75 --separate-stderr poll -D meter.sunspec.retries=0
	assert_equal "$stderr" "denki-meter-read: 127.0.0.1:$PORT unit 1: cannot connect: Connection refused (1 try)"
}

@test "sunspec: a busy device is asked retries+1 times; a silent one times out" {
	suns 40000
	serve 1 true
	run -75 --separate-stderr poll -D meter.sunspec.retries=1
	assert_output ""
	assert_equal "$stderr" "denki-meter-read: 127.0.0.1:$PORT unit 1: registers 40000-40001: Slave device or server is busy; retry 1 of 1
denki-meter-read: 127.0.0.1:$PORT unit 1: registers 40000-40001: Slave device or server is busy (2 tries)"
	run -0 cat server.log
	assert_output "$(printf 'read 40000 2\nread 40000 2')"
	kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true

	# the peer answers unit 7 only: unit 1 hears nothing
	serve 7
	SECONDS=0
	run -75 --separate-stderr poll -D meter.sunspec.timeout_ms=300 \
	    -D meter.sunspec.retries=1
	assert_equal "$stderr" "denki-meter-read: 127.0.0.1:$PORT unit 1: registers 40000-40001: Connection timed out; retry 1 of 1
denki-meter-read: 127.0.0.1:$PORT unit 1: registers 40000-40001: Connection timed out (2 tries)"
	[ "$SECONDS" -le 4 ] || fail "took $SECONDS s"
	# unit 7 is answered: the marker, then a chain that is not there
	run -65 --separate-stderr poll -D meter.sunspec.unit=7
	assert_equal "$stderr" "denki-meter-read: 127.0.0.1:$PORT unit 7: register 40002: the model chain from 40000 ends without 0xFFFF: the device refuses registers 40002-40003 (Illegal data address)"
}

@test "sunspec: settings: no host, a bad sign, a bad port or unit: exit 78" {
	run -78 --separate-stderr denki-meter-read -p -d sunspec -m site
	assert_equal "$stderr" "denki-meter-read: -D: meter.sunspec.host: the device's address is needed"
	PORT=502
	run -78 --separate-stderr poll -D meter.sunspec.power_sign=up
	assert_equal "$stderr" "denki-meter-read: -D: meter.sunspec.power_sign: must be import or export, got \"up\""
	run -78 --separate-stderr poll -D meter.sunspec.port=70000
	assert_equal "$stderr" "denki-meter-read: -D: meter.sunspec.port: must be from 1 to 65535, got 70000"
	run -78 --separate-stderr poll -D meter.sunspec.unit=250
	assert_equal "$stderr" "denki-meter-read: -D: meter.sunspec.unit: must be from 0 to 247, or 255, got 250"
	# the driver is a device driver: it takes no files
	run -64 --separate-stderr denki-meter-read -D meter.sunspec.host=127.0.0.1 -d sunspec -m site x.csv
	assert_equal "${stderr_lines[0]}" "denki-meter-read: -d sunspec: a device driver takes no files"
}

@test "sunspec: settings from a YAML file, as the man page shows" {
	suns 40000
	common 40002
	meter 40070 203 -250 0 1000 2000 0
	end 40177
	serve
	cat >home.yaml <<-EOF
	tz: Europe/Berlin
	meter:
	  id: home-m
	  driver: sunspec
	  sunspec:
	    host: 127.0.0.1
	    port: $PORT
	    unit: 1
	    timeout_ms: 1000
	    retries: 1
	    power_sign: import
	EOF
	run -0 --separate-stderr denki-meter-read -p -c home.yaml
	assert_equal "$(untimed)" '{"exact":false,"export_mwh":1000000,"import_mwh":2000000,"kind":"grid","meter":"home-m","power_w":-250,"type":"sample","v":1,"wrap_mwh":4294967296000}'
	[[ $(jq -r .time <<<"$output") == *+0[12]:00 ]]
}

@test "sunspec: the completions know the driver and its settings" {
	run -0 bash -c '
		source "$1/completions/bash/denki"
		COMP_WORDS=(denki-meter-read -d su); COMP_CWORD=2; _denki
		echo "${COMPREPLY[*]}"
		COMP_WORDS=(denki meter-read -D meter.sunspec.t); COMP_CWORD=3; _denki
		echo "${COMPREPLY[*]}"
		COMP_WORDS=(denki-meter-read -D meter.sunspec.power_sign = ex); COMP_CWORD=4; _denki
		echo "${COMPREPLY[*]}"
		COMP_WORDS=(denki-meter-read -); COMP_CWORD=1; _denki
		echo "${COMPREPLY[*]}"' _ "$TOP"
	assert_line --index 0 "sunspec"
	assert_line --index 1 "meter.sunspec.timeout_ms="
	assert_line --index 2 "export"
	assert_line --index 3 --partial "-p -u"
	if command -v zsh >/dev/null; then
		run -0 zsh -n "$TOP/completions/zsh/_denki"
	fi
	run -0 grep -c "compadd csv sim.* sunspec\|(csv sim.* sunspec\|meter.sunspec.power_sign" "$TOP/completions/zsh/_denki"
	assert_output 4
}
