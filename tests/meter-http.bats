#!/usr/bin/env bats
# denki-meter-read -p -d fronius / -d enphase: HTTP JSON from a local server.

load test_helper

FIX="$FIXTURES/http"
PEER="$TOP/tests/peers/http-peer.py"

setup() {
	common_setup
	PEER_PID=
	mkdir -p dev/solar_api/v1 dev/api/v1
	cp "$FIX/symo_GetMeterRealtimeData_System.json" \
	    dev/solar_api/v1/GetMeterRealtimeData.cgi
	cp "$FIX/symo_GetInverterRealtimeData_Device_1.json" \
	    dev/solar_api/v1/GetInverterRealtimeData.cgi
	cp "$FIX/fw7.6.175_with_cts_production.json" dev/production.json
	cp "$FIX/fw3.9.36_api_v1_production.json" dev/api/v1/production
}

teardown() {
	if [ -n "$PEER_PID" ]; then
		kill "$PEER_PID" 2>/dev/null || true
		wait "$PEER_PID" 2>/dev/null || true
	fi
}

# serve [--status N] [--delay S]: the dev folder on a free port, in $URL
serve() {
	local i
	rm -f port
	python3 "$PEER" dev port "$@" 3>&- &
	PEER_PID=$!
	for i in $(seq 100); do
		[ -e port ] && break
		sleep 0.05
	done
	URL="http://127.0.0.1:$(cat port)"
}

stop() {
	teardown
	PEER_PID=
}

# Fronius Symo: meter 0 at the grid (Wh counters, W), inverter 1 (Wh, W)
fr_grid='{"exact":false,"export_mwh":35623065000,"import_mwh":15303334000,"kind":"grid","meter":"fr","power_w":5593,"time":"2021-10-11T18:31:18+00:00","type":"sample","v":1}'
fr_pv='{"exact":false,"import_mwh":44188000000,"kind":"pv","meter":"fr","power_w":1190,"time":"2021-10-07T08:01:17+00:00","type":"sample","v":1}'

@test "fronius: the grid meter and the inverter, every value decoded" {
	serve
	run -0 --separate-stderr denki-meter-read -p -d fronius -m fr -D tz=UTC \
	    -D meter.fronius.url="$URL/"
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 2
	assert_equal "${lines[0]}" "$fr_grid"
	assert_equal "${lines[1]}" "$fr_pv"
	assert_equal "$(cat requests.log)" "/solar_api/v1/GetMeterRealtimeData.cgi?Scope=System
/solar_api/v1/GetInverterRealtimeData.cgi?Scope=Device&DeviceId=1&DataCollection=CommonInverterData"
	# no inverter asked for; the time in the household's zone
	run -0 --separate-stderr denki-meter-read -p -d fronius -m fr \
	    -D tz=Europe/Vienna -D meter.fronius.url="$URL" \
	    -D meter.fronius.inverter=0
	assert_output '{"exact":false,"export_mwh":35623065000,"import_mwh":15303334000,"kind":"grid","meter":"fr","power_w":5593,"time":"2021-10-11T20:31:18+02:00","type":"sample","v":1}'
}

@test "fronius: Head.Status.Code other than 0 is refused with its reason (exit 69)" {
	jq '.Head.Status = {"Code":8,"Reason":"Transfer timeout.","UserMessage":""}' \
	    "$FIX/symo_GetInverterRealtimeData_Device_1.json" \
	    >dev/solar_api/v1/GetInverterRealtimeData.cgi
	serve
	run -69 --separate-stderr denki-meter-read -p -d fronius -m fr -D tz=UTC \
	    -D meter.fronius.url="$URL"
	# the meter's sample, got first, is not lost
	assert_output "$fr_grid"
	assert_equal "$stderr" "denki-meter-read: fronius: $URL: inverter 1: GetInverterRealtimeData: Head.Status.Code 8 (\"Transfer timeout.\")"
}

@test "fronius: a 500 is tried meter.fronius.retries times, then exit 69" {
	serve --status 500
	run -69 --separate-stderr denki-meter-read -p -d fronius -m fr \
	    -D meter.fronius.url="$URL" -D meter.fronius.retries=1
	assert_output ""
	u="$URL/solar_api/v1/GetMeterRealtimeData.cgi?Scope=System"
	assert_equal "${stderr_lines[0]}" "denki-meter-read: $u: HTTP status 500; trying again (1 of 1)"
	assert_equal "${stderr_lines[1]}" "denki-meter-read: fronius: $u: HTTP status 500"
	assert_equal "$(wc -l <requests.log)" 2
}

@test "fronius: a body that is not JSON is bad data (exit 65)" {
	printf 'Hello, this is not JSON\n' >dev/solar_api/v1/GetMeterRealtimeData.cgi
	serve
	run -65 --separate-stderr denki-meter-read -p -d fronius -m fr \
	    -D meter.fronius.url="$URL"
	assert_output ""
	assert_equal "$stderr" "denki-meter-read: fronius: $URL/solar_api/v1/GetMeterRealtimeData.cgi?Scope=System: not JSON: '[' or '{' expected near 'Hello' at byte 5"
}

@test "fronius: a refused connection (exit 69) and a timeout (exit 75)" {
	port=$(free_port)
	run -69 --separate-stderr denki-meter-read -p -d fronius -m fr \
	    -D meter.fronius.url=http://127.0.0.1:$port -D meter.fronius.retries=0
	assert_output ""
	assert_regex "$stderr" "^denki-meter-read: fronius: http://127.0.0.1:$port/solar_api/v1/GetMeterRealtimeData.cgi\?Scope=System: Failed to connect to 127.0.0.1 port $port.*Connection refused"
	serve --delay 5
	SECONDS=0
	run -75 --separate-stderr denki-meter-read -p -d fronius -m fr \
	    -D meter.fronius.url="$URL" -D meter.fronius.timeout=1 \
	    -D meter.fronius.retries=0
	[ "$SECONDS" -le 3 ]
	assert_output ""
	assert_regex "$stderr" "^denki-meter-read: fronius: $URL/solar_api/v1/GetMeterRealtimeData.cgi\?Scope=System: Operation timed out after 1[0-9]{3} milliseconds"
}

@test "enphase: /production.json, the production CT as pv and the net CT's power on the grid" {
	serve
	run -0 --separate-stderr denki-meter-read -p -d enphase -m en -D tz=UTC \
	    -D meter.enphase.url="$URL"
	assert_equal "$stderr" ""
	assert_equal "${lines[0]}" '{"exact":false,"import_mwh":3183793303,"kind":"pv","meter":"en","power_w":488,"time":"2023-09-03T12:45:29+00:00","type":"sample","v":1}'
	assert_equal "${lines[1]}" '{"exact":false,"kind":"grid","meter":"en","power_w":-11,"time":"2023-09-03T12:45:29+00:00","type":"sample","v":1}'
	assert_equal "${#lines[@]}" 2
	# no CTs: the microinverters' own count
	jq 'del(.production[1]) | del(.consumption)' \
	    "$FIX/fw7.6.175_with_cts_production.json" >dev/production.json
	run -0 --separate-stderr denki-meter-read -p -d enphase -m en -D tz=UTC \
	    -D meter.enphase.url="$URL"
	assert_output '{"exact":false,"import_mwh":702919000,"kind":"pv","meter":"en","power_w":751,"time":"2023-09-03T12:44:26+00:00","type":"sample","v":1}'
}

@test "enphase: firmware 3.9 answers /production.json with an HTML page: a clear error, or /api/v1/production" {
	printf '<html><head><title>Page Not Found</title></head><body><h1>Page Not Found</h1></body></html>\n' \
	    >dev/production.json
	serve
	run -65 --separate-stderr denki-meter-read -p -d enphase -m en -D tz=UTC \
	    -D meter.enphase.url="$URL" -D meter.enphase.api=production.json
	assert_output ""
	assert_equal "$stderr" "denki-meter-read: enphase: $URL/production.json: an HTML page (\"Page Not Found\"), not JSON"
	before=$(date +%s)
	run -0 --separate-stderr denki-meter-read -p -d enphase -m en -D tz=UTC \
	    -D meter.enphase.url="$URL"
	assert_equal "$stderr" "denki-meter-read: enphase: $URL/production.json: an HTML page (\"Page Not Found\"), not JSON; trying /api/v1/production (firmware before 4)"
	assert_regex "$output" '^\{"exact":false,"import_mwh":14578520000,"kind":"pv","meter":"en","power_w":0,"time":"[^"]*","type":"sample","v":1\}$'
	t=$(date -d "$(jq -r .time <<<"$output")" +%s)
	[ "$t" -ge "$before" ] && [ "$t" -le "$(date +%s)" ]
	run -0 --separate-stderr denki-meter-read -p -d enphase -m en -D tz=UTC \
	    -D meter.enphase.url="$URL" -D meter.enphase.api=v1
	assert_equal "$stderr" ""
	assert_output --partial '"import_mwh":14578520000,'
}

@test "enphase: a 500, a non-JSON body, a refused connection and a timeout" {
	serve --status 500
	run -69 --separate-stderr denki-meter-read -p -d enphase -m en \
	    -D meter.enphase.url="$URL" -D meter.enphase.retries=0
	assert_equal "$stderr" "denki-meter-read: enphase: $URL/production.json: HTTP status 500"
	stop
	printf '{"production": [' >dev/production.json
	serve
	run -65 --separate-stderr denki-meter-read -p -d enphase -m en \
	    -D meter.enphase.url="$URL"
	assert_regex "$stderr" "^denki-meter-read: enphase: $URL/production.json: not JSON: "
	stop
	port=$(free_port)
	run -69 --separate-stderr denki-meter-read -p -d enphase -m en \
	    -D meter.enphase.url=http://127.0.0.1:$port -D meter.enphase.retries=0
	assert_regex "$stderr" "Connection refused"
	serve --delay 5
	run -75 --separate-stderr denki-meter-read -p -d enphase -m en \
	    -D meter.enphase.url="$URL" -D meter.enphase.timeout=1 \
	    -D meter.enphase.retries=0
	assert_regex "$stderr" "timed out"
}

@test "http drivers: the url must be set and be http(s) (exit 78)" {
	run -78 --separate-stderr denki-meter-read -p -d fronius -m fr
	assert_equal "$stderr" "denki-meter-read: -D: meter.fronius.url must be set (the device's address, like http://192.168.1.20)"
	run -78 --separate-stderr denki-meter-read -p -d enphase -m en \
	    -D meter.enphase.url=ftp://x
	assert_equal "$stderr" "denki-meter-read: -D: meter.enphase.url: \"ftp://x\": must start with http:// or https://"
	run -78 --separate-stderr denki-meter-read -p -d enphase -m en \
	    -D meter.enphase.url=http://x -D meter.enphase.api=v9
}
