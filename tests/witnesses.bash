# Witnesses for the writers' tests (`load witnesses`): each a real
# denki-witness behind its own lighttpd on 127.0.0.1, set up from
# examples/witness, and named in coop.yaml.  Needs the community of
# make_community in the cwd; stop_witnesses in teardown.
declare -gA WPID

# start_witness NAME: witness NAME (key NAME.key, key name
# witness.example/NAME, state NAME/state.db) for the log of ledger.jsonl,
# served from folder NAME; its URL in WURL (not in a subshell: WPID keeps
# its server for stop_witness)
start_witness() {
	local n=$1 port i j
	command -v lighttpd >/dev/null || skip "lighttpd is missing (tools/deps.sh installs it)"
	mkdir -p "$n/www"
	[ -f "$n.key" ] || denki-keygen "$n" >/dev/null
	[ -f log.pub ] || head -n 1 ledger.jsonl | jq -r .rec.vkey >log.pub
	sed -e "s|^exec denki-witness .*|exec '$TOP/denki-witness' -k '$PWD/$n.key' -s '$PWD/$n/state.db' -p '$PWD/log.pub' -n witness.example/$n|" \
	    -e '/^    -p /d' \
	    "$EXAMPLES/witness/witness.cgi" >"$n/witness.cgi"
	chmod +x "$n/witness.cgi"
	for i in 1 2 3 4 5; do
		port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		sed -e "s|^server.port = .*|server.port = $port|" \
		    -e "s|^var.witness = .*|var.witness = \"$PWD/$n\"|" \
		    "$EXAMPLES/witness/lighttpd.conf" >"$n/lighttpd.conf"
		# its own fds closed: bats waits for whatever holds its output
		lighttpd -D -f "$n/lighttpd.conf" </dev/null >/dev/null 2>>"$n/httpd.err" 3>&- &
		WPID[$n]=$!
		for j in $(seq 50); do
			if curl -s -o /dev/null "http://127.0.0.1:$port/witness/"; then
				WURL="http://127.0.0.1:$port/witness"
				return 0
			fi
			kill -0 "${WPID[$n]}" 2>/dev/null || break
			sleep 0.1
		done
		stop_witness "$n"
	done
	echo "lighttpd did not start: $(cat "$n/httpd.err")" >&2
	return 1
}

# stop_witness NAME: its server ended (the witness no longer answers)
stop_witness() {
	if [ -n "${WPID[$1]-}" ]; then
		kill "${WPID[$1]}" 2>/dev/null || true
		wait "${WPID[$1]}" 2>/dev/null || true
		unset "WPID[$1]"
	fi
}

stop_witnesses() {
	local n
	for n in "${!WPID[@]}"; do
		stop_witness "$n"
	done
}

# wvkey NAME: witness NAME's verifier key, as coop.yaml and -w take it
wvkey() {
	denki witness -P -k "$1.key" -n "witness.example/$1"
}

# add_witness NAME URL: witness NAME at URL in coop.yaml
add_witness() {
	grep -q '^witness:' coop.yaml || printf 'witness:\n  timeout: 2\n' >>coop.yaml
	printf '  %s:\n    url: %s\n    vkey: %s\n' "$1" "$2" "$(wvkey "$1")" >>coop.yaml
}

# cosigners NOTE: the names of the signature lines of the ledger's last
# checkpoint entry (or of the note file NOTE), in order
cosigners() {
	if [ $# -gt 0 ]; then cat "$1"; else tail -n 1 ledger.jsonl | jq -r .rec.note; fi |
	    sed -n 's/^— \([^ ]*\) .*/\1/p'
}
