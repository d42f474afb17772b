# The emulated ECHONET Lite node of the echonet tests (`load echonet-peer`):
# npm echonet-lite 2.16.2 run by tests/peers/echonet/emu.js on 0.0.0.0,
# the programs bound to 127.0.0.2 (meters.md 4.2).  echonet_setup picks
# $PORT and writes home.yaml; emu starts the node; echonet_teardown ends it.
PEER="$TOP/tests/peers/echonet"

echonet_setup() {
	[ -d "$PEER/node_modules/echonet-lite" ] ||
		fail "tests/peers/echonet: run tools/deps.sh (npm ci) first"
	# echonet-lite answers from PORT+20000 to PORT of the asker, and binds
	# PORT on 0.0.0.0 (meters.md 4.2): both must be free
	PORT=$(python3 - <<-'PY'
	import socket
	for _ in range(50):
	    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	    s.bind(("0.0.0.0", 0))
	    p = s.getsockname()[1]
	    s.close()
	    if p > 45000:
	        continue
	    try:
	        for a, q in (("0.0.0.0", p + 20000), ("127.0.0.2", p)):
	            t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	            t.bind((a, q))
	            t.close()
	    except OSError:
	        continue
	    print(p)
	    break
	PY
	)
	[ -n "$PORT" ]
	cat >home.yaml <<-YAML
	tz: UTC
	meter:
	  id: jp-m
	  echonet:
	    host: 127.0.0.1
	    port: $PORT
	    bind: 127.0.0.2
	    tz: Asia/Tokyo
	    timeout: 1000
	    retries: 1
	YAML
}

echonet_teardown() {
	if [ -n "${EMU_PID:-}" ]; then
		kill "$EMU_PID" 2>/dev/null || true
		wait "$EMU_PID" 2>/dev/null || true
	fi
}

# emu DEVICES-JSON: starts the node with those properties and waits for it
emu() {
	printf '%s\n' "$1" >devices.json
	node "$PEER/emu.js" "$PORT" devices.json >emu.out 2>emu.err &
	EMU_PID=$!
	for _ in $(seq 100); do
		grep -q '^ready' emu.out 2>/dev/null && return 0
		kill -0 "$EMU_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat emu.err >&2
	fail "the echonet-lite emulator did not start"
}
