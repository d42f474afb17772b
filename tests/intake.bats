#!/usr/bin/env bats
# denki-intake: orders and readings taken into the cooperative's inbox,
# each answered by a receipt signed by the intake key the ledger names or
# by a rejection; as a filter and as a CGI program behind Debian's
# lighttpd and nginx (fcgiwrap); gate closure; the faults of issue 14.

load test_helper

SLOT=2099-01-01T10:00:00+00:00

setup() {
	common_setup
	make_community_once alice bob carol
	denki-keygen intake >/dev/null
	printf 'intake:\n  key: intake.key\n  pub: intake.pub\ngate_closure_minutes: 30\n' >>coop.yaml
	denki-intake -c coop.yaml --publish >/dev/null
	HTTPD_PID=
	FCGI_PID=
	MNT=
}

teardown() {
	local p
	# fcgiwrap -c 2 forks two workers, which outlive the process started:
	# they are found by their socket, which is this test's
	[ -z "$FCGI_PID" ] || pkill -f "fcgiwrap -c 2 -s unix:$PWD/fcgiwrap.sock" ||
	    true
	for p in "$HTTPD_PID" "$FCGI_PID"; do
		if [ -n "$p" ]; then
			kill "$p" 2>/dev/null || true
			wait "$p" 2>/dev/null || true
		fi
	done
	if [ -n "$MNT" ]; then
		umount "$MNT" 2>/dev/null || true
	fi
}

# book: three orders for $SLOT (alice sells, bob and carol buy)
book() {
	order alice sell 1000 50000 "$SLOT"
	order bob buy 800 90000 "$SLOT"
	order carol buy 300 80000 "$SLOT"
}

# reading METER [SLOT]: an unsigned reading (settle.signed: registered)
reading() {
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":0,"export_wh":900}\n' \
	    "$1" "${2:-$SLOT}"
}

# stored [KIND]: how many lines of $SLOT the inbox holds
stored() {
	denki-intake -c coop.yaml --dump ${1:+-r} -s "$SLOT" | wc -l
}

# check_receipt LINE RECEIPT: the receipt names LINE's id (SHA-256 of its
# canonical bytes), and its signature checks against the ledger's intake
# key (tests/unit/test-receipt's dk_receipt_check, through python: the
# Ed25519 check of the canonical form without sig)
check_receipt() {
	local id
	id=$(printf '%s' "$(jq -cS . <<<"$1")" | sha256sum | cut -d' ' -f1)
	[ "$(jq -r .id <<<"$2")" = "$id" ]
	[ "$(jq -r .key <<<"$2")" = "$(denki-intake -c coop.yaml --key)" ]
	python3 - "$2" <<-'PY'
	import base64, json, sys
	from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
	r = json.loads(sys.argv[1])
	sig = base64.b64decode(r.pop("sig"))
	pk = base64.b64decode(r["key"])[10:]
	msg = json.dumps(r, sort_keys=True, separators=(",", ":")).encode()
	Ed25519PublicKey.from_public_bytes(pk).verify(sig, msg)
	PY
}

@test "intake: each order of the batch gets a receipt signed by the ledger's intake key; --dump gives the slot's book in canonical lines" {
	book >orders.jsonl
	run -0 --separate-stderr denki-intake -c coop.yaml orders.jsonl
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 3 ]
	local i
	for i in 0 1 2; do
		check_receipt "$(sed -n "$((i + 1))p" orders.jsonl)" "${lines[$i]}"
		[ "$(jq -r .type <<<"${lines[$i]}")" = receipt ]
		[ "$(jq -r .kind <<<"${lines[$i]}")" = order ]
		[ "$(jq -r .slot <<<"${lines[$i]}")" = "$SLOT" ]
		[ "$(jq -r .origin <<<"${lines[$i]}")" = denki.local/ledger ]
		[[ "$(jq -r .received <<<"${lines[$i]}")" =~ ^20[0-9-]{8}T[0-9:]{8}Z$ ]]
	done
	[ "$(jq -r .participant <<<"${lines[1]}")" = bob ]
	run -0 denki-intake -c coop.yaml --dump -s "$SLOT"
	[ "${#lines[@]}" -eq 3 ]
	# canonical (the lines as signed), in id order
	diff <(printf '%s\n' "${lines[@]}") <(sort orders.jsonl | while read -r l; do
	    printf '%s %s\n' "$(printf '%s' "$l" | sha256sum | cut -d' ' -f1)" "$l"; done |
	    sort | cut -d' ' -f2-)
	run -0 denki-intake -c coop.yaml --dump -r -s "$SLOT"
	[ -z "$output" ]
}

@test "intake: the same batch twice: the same receipts, byte for byte, stored once; a key order or spacing of its own is the same line" {
	need_faketime
	book >orders.jsonl
	at '2098-12-31 10:00:00' denki-intake -c coop.yaml orders.jsonl >r1
	at '2098-12-31 11:00:00' denki-intake -c coop.yaml orders.jsonl >r2
	cmp r1 r2
	[ "$(jq -r .received r1 | sort -u)" = 2098-12-31T10:00:00Z ]
	[ "$(stored)" -eq 3 ]
	# the same order, its members in another order with spaces
	head -n 1 orders.jsonl | jq . >pretty.json
	jq -c . pretty.json | python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(json.dumps(dict(reversed(list(d.items())))))' >again.jsonl
	run -0 denki-intake -c coop.yaml again.jsonl
	[ "$output" = "$(head -n 1 r1)" ]
	[ "$(stored)" -eq 3 ]
}

@test "intake: garbage, a truncated line and a wrong type are rejected naming their line; the good lines of the batch are stored and receipted" {
	{
		order alice sell 1000 50000 "$SLOT"
		echo 'this is not json'
		order bob buy 800 90000 "$SLOT" | head -c 60
		echo
		echo '{"type":"trade","v":1}'
		echo
		order carol buy 300 80000 "$SLOT"
	} >mixed.jsonl
	run -65 --separate-stderr denki-intake -c coop.yaml mixed.jsonl
	[ "${#lines[@]}" -eq 5 ]
	[ "$(jq -r .type <<<"${lines[0]}")" = receipt ]
	[ "$(jq -c '[.type,.line,has("id")]' <<<"${lines[1]}")" = '["rejection",2,false]' ]
	[ "$(jq -c '[.type,.line,has("id")]' <<<"${lines[2]}")" = '["rejection",3,false]' ]
	[ "$(jq -c '[.type,.line,has("id")]' <<<"${lines[3]}")" = '["rejection",4,true]' ]
	[ "$(jq -r .type <<<"${lines[4]}")" = receipt ]
	[ "$(jq -r .participant <<<"${lines[4]}")" = carol ]
	assert_equal "$(sed -n 1p <<<"$stderr")" "denki-intake: mixed.jsonl:2: rejected: malformed JSON at column 4: '[' or '{' expected near 'this'"
	[[ "$(sed -n 2p <<<"$stderr")" == "denki-intake: mixed.jsonl:3: rejected: malformed JSON"* ]]
	assert_equal "$(sed -n 3p <<<"$stderr")" 'denki-intake: mixed.jsonl:4: rejected: type: must be "order" or "reading", got "trade"'
	[ "$(stored)" -eq 2 ]
}

@test "intake: an unknown participant, a revoked one, a bad signature, an unsigned order and one over the participant's limit are rejected with the reason; nothing of them is stored" {
	denki-keygen mallory >/dev/null
	denki-registry -c coop.yaml revoke carol >/dev/null
	denki-registry -c coop.yaml update bob -w 500 >/dev/null
	{
		order mallory sell 100 1 "$SLOT"
		order carol buy 100 1 "$SLOT"
		order alice sell 1000 50000 "$SLOT" | sed 's/"wh":1000/"wh":9000/'
		printf '{"participant":"alice","price":1,"side":"sell","slot":"%s","type":"order","v":1,"wh":5}\n' "$SLOT"
		order bob buy 400 90000 "$SLOT"
		order bob buy 200 90001 "$SLOT"
	} >bad.jsonl
	run -65 --separate-stderr denki-intake -c coop.yaml bad.jsonl
	[ "$(jq -r .reason <<<"${lines[0]}")" = "participant: mallory is not in the registry" ]
	[ "$(jq -r .reason <<<"${lines[1]}")" = "participant: carol is revoked" ]
	[[ "$(jq -r .reason <<<"${lines[2]}")" == "sig: bad signature"* ]]
	[ "$(jq -r .reason <<<"${lines[3]}")" = "unsigned order (no sig)" ]
	[ "$(jq -r .type <<<"${lines[4]}")" = receipt ]
	[ "$(jq -r .reason <<<"${lines[5]}")" = "wh: over the participant's limit of 500 Wh a slot (400 Wh in its orders before this one)" ]
	[ "$(grep -c rejected: <<<"$stderr")" -eq 5 ]
	[ "$(stored)" -eq 1 ]
}

@test "intake: gate closure: an order received when its slot's gate has passed is rejected with the slot, the gate and the time received; a second earlier is accepted" {
	need_faketime
	order alice sell 1000 50000 "$SLOT" >o1.jsonl
	order bob buy 800 90000 "$SLOT" >o2.jsonl
	run -0 at '2099-01-01 09:29:59' denki-intake -c coop.yaml o1.jsonl
	[ "$(jq -r .received <<<"$output")" = 2099-01-01T09:29:59Z ]
	run -65 --separate-stderr at '2099-01-01 09:30:00' denki-intake -c coop.yaml o2.jsonl
	assert_equal "$(jq -r .reason <<<"$output")" "late: orders for slot 2099-01-01T10:00:00+00:00 closed at 2099-01-01T09:30:00+00:00 (gate closure 30 minutes before the slot); received 2099-01-01T09:30:00+00:00"
	assert_equal "$stderr" "denki-intake: o2.jsonl:1: rejected: late: orders for slot 2099-01-01T10:00:00+00:00 closed at 2099-01-01T09:30:00+00:00 (gate closure 30 minutes before the slot); received 2099-01-01T09:30:00+00:00"
	[ "$(stored)" -eq 1 ]
	# the receipt of an order taken in time stays the same after the gate
	run -0 at '2099-01-01 12:00:00' denki-intake -c coop.yaml o1.jsonl
	[ "$(jq -r .received <<<"$output")" = 2099-01-01T09:29:59Z ]
}

@test "intake: the gate closure is the ledger's: a new intake record moves it, and a rotated key signs from then on" {
	need_faketime
	order alice sell 1000 50000 "$SLOT" >o1.jsonl
	run -0 at '2099-01-01 09:10:00' denki-intake -c coop.yaml o1.jsonl
	denki-keygen intake2 >/dev/null
	sed -i -e 's/intake.key/intake2.key/; s/intake.pub/intake2.pub/; s/^gate_closure_minutes: 30/gate_closure_minutes: 60/' coop.yaml
	# the ledger still names the first key: this one is refused
	run -78 --separate-stderr denki-intake -c coop.yaml --key
	[[ "$stderr" == *"names another intake key than this configuration's"* ]]
	run -78 --separate-stderr denki-intake -c coop.yaml o1.jsonl
	[[ "$stderr" == *"intake.key: not the intake key the ledger names"* ]]
	denki-intake -c coop.yaml --publish >/dev/null
	run -0 denki-intake -c coop.yaml --key
	[ "$output" = "$(sed -n 2p intake2.pub)" ]
	order bob buy 800 90000 "$SLOT" >o2.jsonl
	run -65 --separate-stderr at '2099-01-01 09:10:00' denki-intake -c coop.yaml o2.jsonl
	[[ "$(jq -r .reason <<<"$output")" == *"closed at 2099-01-01T09:00:00+00:00 (gate closure 60 minutes"* ]]
	# publishing the same again appends nothing
	local n
	n=$(wc -l <ledger.jsonl)
	run -0 --separate-stderr denki-intake -c coop.yaml --publish
	[[ "$stderr" == *"nothing appended"* ]]
	[ "$(wc -l <ledger.jsonl)" -eq "$n" ]
}

@test "intake: readings: a registered meter's is receipted by meter; an unknown meter's, a signed one of a meter without a key, and a second different reading of the same slot are rejected; --dump -r gives them" {
	{
		reading alice-m
		reading nobody-m
		reading bob-m | jq -c '. + {sig: "AAAA"}'
		reading alice-m | sed 's/"export_wh":900/"export_wh":901/'
	} >r.jsonl
	run -65 --separate-stderr denki-intake -c coop.yaml r.jsonl
	[ "$(jq -c '[.kind,.meter,has("participant")]' <<<"${lines[0]}")" = '["reading","alice-m",false]' ]
	check_receipt "$(head -n 1 r.jsonl)" "${lines[0]}"
	[ "$(jq -r .reason <<<"${lines[1]}")" = "meter: nobody-m is not in the registry" ]
	[ "$(jq -r .reason <<<"${lines[2]}")" = "sig: signed, but the registry has no key for meter bob-m" ]
	[ "$(jq -r .reason <<<"${lines[3]}")" = "meter alice-m: another reading of slot $SLOT was received before" ]
	[ "$(stored r)" -eq 1 ]
	[ "$(stored)" -eq 0 ]
}

@test "intake: a request over intake.max_body is refused in filter mode with a clear message, and nothing of it is stored" {
	book >orders.jsonl
	run -65 --separate-stderr denki-intake -c coop.yaml -D intake.max_body=500 orders.jsonl
	assert_equal "$stderr" "denki-intake: orders.jsonl: more than 500 bytes (intake.max_body): nothing of it was stored; send it in smaller parts"
	[ -z "$output" ]
	[ "$(stored)" -eq 0 ]
}

@test "intake: killed (kill -9) while the request is still arriving through a fifo: nothing stored, no receipt; the batch sent again is taken whole" {
	book >orders.jsonl
	mkfifo body
	denki-intake -c coop.yaml body >out 2>err &
	local pid=$! rc=0
	exec 7>body
	head -n 2 orders.jsonl >&7
	sleep 0.5
	kill -0 "$pid"
	kill -9 "$pid"
	wait "$pid" || rc=$?
	exec 7>&-
	[ "$rc" -eq 137 ]
	[ ! -s out ]
	[ "$(stored)" -eq 0 ]
	run -0 denki-intake -c coop.yaml orders.jsonl
	[ "$(grep -c '"type":"receipt"' <<<"$output")" -eq 3 ]
	[ "$(stored)" -eq 3 ]
}

@test "intake: killed (kill -9) in the middle of taking a large batch: the inbox holds all of it or none, is intact, and every receipt given is for a line stored" {
	local p i pid rc=0 n
	for i in $(seq 1 40); do
		p=m$i
		denki-keygen "$p" >/dev/null
		enrol "$p" -m "$p-m"
	done
	for i in $(seq 1 40); do
		for n in $(seq 1 30); do
			printf '{"type":"order","v":1,"participant":"m%s","slot":"2099-01-%02dT10:00:00+00:00","side":"sell","wh":%s,"price":1}\n' \
			    "$i" "$n" "$((i * 100 + n))"
		done | sign_with "m$i.key"
	done >big.jsonl
	denki-intake -c coop.yaml big.jsonl >out 2>err &
	pid=$!
	sleep 0.3
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" || rc=$?
	[ "$(sqlite3 inbox.db 'PRAGMA integrity_check')" = ok ]
	n=$(sqlite3 inbox.db "SELECT count(*) FROM lines")
	[ "$n" -eq 0 ] || [ "$n" -eq 1200 ]
	if [ -s out ]; then
		[ "$n" -eq 1200 ]
	fi
	# whatever happened, the batch again is taken whole, once
	run -0 denki-intake -c coop.yaml big.jsonl
	[ "$(sqlite3 inbox.db "SELECT count(*) FROM lines")" -eq 1200 ]
	[ "$(grep -c '"type":"receipt"' <<<"$output")" -eq 1200 ]
}

@test "intake: a full disk (a 512 KiB tmpfs): exit 74 naming the inbox, no receipt; after room is made the batch is taken" {
	[ "$(id -u)" -eq 0 ] || skip "mounting a small tmpfs needs root"
	MNT=$BATS_TEST_TMPDIR/small
	mkdir -p "$MNT"
	mount -t tmpfs -o size=512k tmpfs "$MNT" 2>/dev/null || { MNT=; skip "cannot mount a tmpfs here"; }
	book >orders.jsonl
	denki-intake -c coop.yaml -D "intake.inbox=$MNT/inbox.db" orders.jsonl >/dev/null
	dd if=/dev/zero of="$MNT/fill" bs=4k 2>/dev/null || true
	order alice sell 10 1 2099-01-02T10:00:00+00:00 >more.jsonl
	for i in $(seq 1 40); do
		order alice sell "$((10 + i))" 1 2099-01-02T10:00:00+00:00
	done >>more.jsonl
	run -74 --separate-stderr denki-intake -c coop.yaml -D "intake.inbox=$MNT/inbox.db" more.jsonl
	[ -z "$output" ]
	[[ "$stderr" == "denki-intake: "*"state database: "*"(No space left on device)" ||
	    "$stderr" == "denki-intake: more.jsonl: nothing of it was stored: state database: "*"full"* ]]
	[[ "$stderr" == *"$MNT/inbox.db"* || "$stderr" == *"nothing of it was stored"* ]]
	rm "$MNT/fill"
	[ "$(sqlite3 "$MNT/inbox.db" 'PRAGMA integrity_check')" = ok ]
	[ "$(sqlite3 "$MNT/inbox.db" 'SELECT count(*) FROM lines')" -eq 3 ]
	run -0 denki-intake -c coop.yaml -D "intake.inbox=$MNT/inbox.db" more.jsonl
	[ "$(sqlite3 "$MNT/inbox.db" 'SELECT count(*) FROM lines')" -eq 44 ]
}

@test "intake: the cache of the ledger follows it: a member enrolled after the first request is known to the next; a ledger rewritten under it is read again" {
	book >orders.jsonl
	denki-intake -c coop.yaml orders.jsonl >/dev/null
	denki-keygen dave >/dev/null
	enrol dave -m dave-m
	order dave buy 100 1 "$SLOT" >d.jsonl
	run -0 denki-intake -c coop.yaml d.jsonl
	[ "$(jq -r .participant <<<"$output")" = dave ]
	[ "$(sqlite3 inbox.db "SELECT count(*) FROM participants")" -eq 4 ]
	# the ledger cut back to before dave (a copy from before): dave is unknown again
	cp ledger.jsonl full.jsonl
	local cut
	cut=$(grep -n '"id":"dave"' ledger.jsonl | head -n 1 | cut -d: -f1)
	head -n "$((cut - 1))" full.jsonl >ledger.jsonl
	order dave buy 100 2 "$SLOT" >d2.jsonl
	run -65 --separate-stderr denki-intake -c coop.yaml d2.jsonl
	[ "$(jq -r .reason <<<"$output")" = "participant: dave is not in the registry" ]
}

@test "intake: a ledger that names no intake key: refused with what to do" {
	rm -f inbox.db*
	mkdir other && cd other
	make_community alice
	denki-keygen intake >/dev/null
	printf 'intake:\n  key: intake.key\n' >>coop.yaml
	order alice sell 1000 50000 "$SLOT" >o.jsonl
	run -78 --separate-stderr denki-intake -c coop.yaml o.jsonl
	assert_equal "$stderr" "denki-intake: o.jsonl: nothing of it was stored: ledger.jsonl: the ledger names no intake key: run denki-intake --publish first"
	run -78 --separate-stderr denki-intake -c coop.yaml --key
	[[ "$stderr" == *"the ledger names no intake key"* ]]
}

@test "intake: usage: --dump needs -s, -r goes with --dump only, two modes at once are refused; -h prints the synopsis" {
	run -64 denki-intake -c coop.yaml --dump
	run -64 denki-intake -c coop.yaml -r </dev/null
	run -64 denki-intake -c coop.yaml --key --publish
	run -64 --separate-stderr denki-intake -c coop.yaml --dump -s nonsense
	[[ "$stderr" == *"-s: must be an RFC 3339 time"* ]]
	run -0 denki-intake -h
	[ "${lines[0]}" = "usage: denki-intake [-c config] [-D key=value] [lines ...]" ]
	run -0 denki intake -h
	run -0 denki -h
	[[ "$output" == *"intake "*"signed receipt"* ]]
}

@test "intake: the documented path: --dump into clear and contract-sign, --dump -r into settle" {
	book >orders.jsonl
	denki-intake -c coop.yaml orders.jsonl >/dev/null
	reading alice-m >r.jsonl
	reading bob-m | sed 's/"import_wh":0,"export_wh":900/"import_wh":800,"export_wh":0/' >>r.jsonl
	reading carol-m | sed 's/"import_wh":0,"export_wh":900/"import_wh":300,"export_wh":0/' >>r.jsonl
	denki-intake -c coop.yaml r.jsonl >/dev/null
	denki-intake -c coop.yaml --dump -s "$SLOT" | denki-clear -c coop.yaml -s "$SLOT" >cleared.jsonl
	[ "$(grep -c '"type":"trade"' cleared.jsonl)" -ge 1 ]
	denki-contract-sign -c coop.yaml <cleared.jsonl >/dev/null
	[ "$(grep -c '"type":"order"' ledger.jsonl)" -eq 3 ]
	run -0 --separate-stderr bash -c "denki-intake -c coop.yaml --dump -r -s '$SLOT' | denki-settle -c coop.yaml"
	[ "$(grep -c '"type":"settlement"' <<<"$output")" -eq 3 ]
	# a cleared slot takes no more orders
	order alice sell 5 1 "$SLOT" >late.jsonl
	run -65 --separate-stderr denki-intake -c coop.yaml late.jsonl
	[ "$(jq -r .reason <<<"$output")" = "slot: $SLOT was already cleared into the ledger" ]
}

intake_conf() {	# PORT: examples/intake/lighttpd.conf for this test
	sed -e "s|^server.port = .*|server.port = $1|" \
	    -e "s|^var.denki = .*|var.denki = \"$TOP/denki-intake\"|" \
	    -e "s|^var.coop = .*|var.coop = \"$PWD/coop.yaml\"|" \
	    -e "s|^server.document-root = .*|server.document-root = \"$PWD\"|" \
	    "$EXAMPLES/intake/lighttpd.conf"
}
# serve: lighttpd on 127.0.0.1 running denki-intake as a CGI program with
# the example configuration (examples/intake/lighttpd.conf), in $URL
serve() {
	httpd_start intake_conf intake
}

# post FILE [CONTENT-TYPE]: status and content type, then the body
post() {
	curl -s -o body -w '%{http_code} %{content_type}\n' \
	    -H "Content-Type: ${2:-application/x-ndjson}" --data-binary "@$1" "$URL"
	cat body
}

@test "intake CGI (lighttpd): 200 application/x-ndjson with a receipt a line; the same batch again gets the same receipts; the inbox holds it once" {
	serve
	book >orders.jsonl
	reading alice-m >>orders.jsonl
	run -0 post orders.jsonl
	[ "${lines[0]}" = "200 application/x-ndjson" ]
	[ "${#lines[@]}" -eq 5 ]
	check_receipt "$(sed -n 1p orders.jsonl)" "${lines[1]}"
	check_receipt "$(sed -n 4p orders.jsonl)" "${lines[4]}"
	cp body r1
	run -0 post orders.jsonl application/jsonl
	[ "${lines[0]}" = "200 application/x-ndjson" ]
	cmp body r1
	[ "$(stored)" -eq 3 ]
	[ "$(stored r)" -eq 1 ]
}

@test "intake CGI (lighttpd): GET is 405, a wrong content type 415, a body over intake.max_body 413, a bad line a rejection in a 200; nothing stored of the refused" {
	serve
	run -0 curl -s -o body -w '%{http_code}' "$URL"
	[ "$output" = 405 ]
	[[ "$(cat body)" == "intake takes POST" ]]
	book >orders.jsonl
	run -0 post orders.jsonl text/plain
	[ "${lines[0]}" = "415 text/plain; charset=utf-8" ]
	[ "${lines[1]}" = "Content-Type: must be application/x-ndjson or application/jsonl" ]
	head -c 1100000 /dev/zero | tr '\0' 'x' >huge
	run -0 post huge
	[ "${lines[0]}" = "413 text/plain; charset=utf-8" ]
	[ "$(stored)" -eq 0 ]
	{ echo garbage; head -n 1 orders.jsonl; } >two.jsonl
	run -0 post two.jsonl
	[ "${lines[0]}" = "200 application/x-ndjson" ]
	[ "$(jq -r .type <<<"${lines[1]}")" = rejection ]
	[ "$(jq -r .type <<<"${lines[2]}")" = receipt ]
	[ "$(stored)" -eq 1 ]
}

@test "intake CGI (lighttpd): an inbox that cannot be written (held by another past the busy timeout) is 503 and stores nothing; the same request later is taken" {
	serve
	book >orders.jsonl
	denki-intake -c coop.yaml --dump -s "$SLOT"	# the inbox made
	# another holds the inbox past the busy timeout (5 s): until the
	# request has been answered, told to let go through a fifo
	mkfifo hold
	sqlite3 inbox.db <hold &
	local lock=$!
	exec 9>hold
	echo 'BEGIN EXCLUSIVE;' >&9
	sleep 0.5
	run -0 post orders.jsonl
	echo 'ROLLBACK;' >&9
	exec 9>&-
	wait "$lock"
	[ "${lines[0]}" = "503 text/plain; charset=utf-8" ]
	[ "$(cat body)" != "" ]
	[ "$(stored)" -eq 0 ]
	run -0 post orders.jsonl
	[ "${lines[0]}" = "200 application/x-ndjson" ]
	[ "$(stored)" -eq 3 ]
}

# serve_nginx: nginx with fcgiwrap on 127.0.0.1 (examples/intake/nginx.conf)
serve_nginx() {
	local port i
	command -v nginx >/dev/null && [ -x /usr/sbin/fcgiwrap ] ||
	    skip "nginx or fcgiwrap is missing (tools/deps.sh installs them)"
	/usr/sbin/fcgiwrap -c 2 -s "unix:$PWD/fcgiwrap.sock" 2>>fcgi.err &
	FCGI_PID=$!
	port=$(free_port)
	sed -e "s|^pid .*|pid $PWD/nginx.pid;|" \
	    -e "s|listen 127.0.0.1:8080;|listen 127.0.0.1:$port;|" \
	    -e "s|/usr/local/bin/denki-intake|$TOP/denki-intake|" \
	    -e "s|/etc/denki/coop.yaml|$PWD/coop.yaml|" \
	    -e "s|unix:/run/fcgiwrap.socket|unix:$PWD/fcgiwrap.sock|" \
	    -e "s|/tmp/denki-nginx-|$PWD/nginx-|" \
	    "$EXAMPLES/intake/nginx.conf" >nginx.conf
	# as root, nginx's workers would be nobody, who cannot reach the socket
	[ "$(id -u)" -ne 0 ] || sed -i '1i user root;' nginx.conf
	nginx -e stderr -p "$PWD" -c "$PWD/nginx.conf" 2>>nginx.err &
	HTTPD_PID=$!
	URL="http://127.0.0.1:$port/intake"
	for i in $(seq 50); do
		[ -S fcgiwrap.sock ] && curl -s -o /dev/null "$URL" && return 0
		kill -0 "$HTTPD_PID" 2>/dev/null || break
		sleep 0.1
	done
	fail "nginx did not start: $(cat nginx.err fcgi.err)"
}

@test "intake CGI (nginx + fcgiwrap): receipts in a 200, 415 for a wrong content type, 405 for GET" {
	serve_nginx
	book >orders.jsonl
	run -0 post orders.jsonl
	[ "${lines[0]}" = "200 application/x-ndjson" ]
	check_receipt "$(sed -n 2p orders.jsonl)" "${lines[2]}"
	[ "$(stored)" -eq 3 ]
	run -0 post orders.jsonl text/csv
	[ "${lines[0]}" = "415 text/plain; charset=utf-8" ]
	run -0 curl -s -o /dev/null -w '%{http_code}' "$URL"
	[ "$output" = 405 ]
}

@test "attack: censorship: the operator receipts an order then leaves it out of the slot's book; ledger-verify -R reports it censored" {
	book >orders.jsonl
	denki-intake -c coop.yaml orders.jsonl >receipts.jsonl
	# the operator drops carol's order from the book it clears
	denki-intake -c coop.yaml --dump -s "$SLOT" | grep -v '"participant":"carol"' |
	    denki-clear -c coop.yaml -s "$SLOT" | denki-contract-sign -c coop.yaml >/dev/null
	run -65 --separate-stderr denki-ledger-verify -p operator.pub -R receipts.jsonl ledger.jsonl
	local id received
	id=$(sed -n 3p receipts.jsonl | jq -r .id)
	received=$(sed -n 3p receipts.jsonl | jq -r .received)
	assert_equal "$output" "receipts.jsonl:3: censored: the order of carol for slot $SLOT, id $id, receipted at $received, is not in the slot's book"
	# alice's and bob's receipts alone check
	head -n 2 receipts.jsonl >ok.jsonl
	run -0 denki-ledger-verify -p operator.pub -R ok.jsonl ledger.jsonl
	[[ "$output" == "ledger.jsonl: OK: "* ]]
}

@test "attack: a withheld reading: the operator settles a member provisionally without the reading its intake receipted; ledger-verify -R reports it until the true-up" {
	need_faketime
	book >orders.jsonl
	denki-intake -c coop.yaml orders.jsonl >/dev/null
	denki-intake -c coop.yaml --dump -s "$SLOT" |
	    denki-clear -c coop.yaml -s "$SLOT" | denki-contract-sign -c coop.yaml >/dev/null
	{ reading alice-m; reading bob-m; reading carol-m; } >readings.jsonl
	denki-intake -c coop.yaml readings.jsonl >receipts.jsonl
	assert_equal "$(jq -r .kind receipts.jsonl | sort -u)" reading
	# past the deadline the operator settles without carol's reading,
	# which its own intake receipted: carol provisional, deviation 0
	denki-intake -c coop.yaml --dump -r -s "$SLOT" | grep -v carol-m >kept.jsonl
	at '2099-01-01 12:00:00' denki-settle -c coop.yaml kept.jsonl >/dev/null 2>&1
	assert_equal "$(jq -r 'select(.rec.provisional) | .rec.participant' ledger.jsonl)" carol
	# the ledger alone verifies (a provisional settlement is allowed) ...
	run -0 denki-ledger-verify -q -p operator.pub ledger.jsonl
	# ... carol's receipt shows the reading was there
	run -65 --separate-stderr denki-ledger-verify -p operator.pub -R receipts.jsonl ledger.jsonl
	local id received
	id=$(sed -n 3p receipts.jsonl | jq -r .id)
	received=$(sed -n 3p receipts.jsonl | jq -r .received)
	assert_equal "$output" "receipts.jsonl:3: withheld: the reading of meter carol-m for slot $SLOT, id $id, receipted at $received, is not in the ledger: carol was settled provisionally without it and not trued up"
	# the reading settled at last (a true-up): nothing to report
	at '2099-01-01 12:10:00' denki-settle -c coop.yaml <(reading carol-m) >/dev/null 2>&1
	run -0 denki-ledger-verify -p operator.pub -R receipts.jsonl ledger.jsonl
	[[ "$output" == "ledger.jsonl: OK: "*"1 trued up, 0 still provisional"* ]]
}

@test "ledger-verify -R: a receipt whose signature fails, one by a key the ledger never named, and one of a slot not yet cleared" {
	book >orders.jsonl
	denki-intake -c coop.yaml orders.jsonl >receipts.jsonl
	# a receipt changed after signing
	sed -n 1p receipts.jsonl | sed 's/"received":"[^"]*"/"received":"2000-01-01T00:00:00Z"/' >bad.jsonl
	# one signed by a key of the operator's that no intake record names
	denki-keygen rogue >/dev/null
	sed -i 's/intake.key/rogue.key/; s/intake.pub/rogue.pub/' coop.yaml
	denki-intake -c coop.yaml --publish >/dev/null
	order alice sell 7 1 2099-01-02T10:00:00+00:00 | denki-intake -c coop.yaml -D intake.inbox=rogue.db >rogue.jsonl
	# the rogue key is named now; a ledger copy from before it does not
	head -n "$(grep -n '"type":"intake"' ledger.jsonl | tail -n 1 | cut -d: -f1)" ledger.jsonl | head -n -1 >before.jsonl
	cat bad.jsonl rogue.jsonl >mixed.jsonl
	run -65 --separate-stderr denki-ledger-verify -p operator.pub -R mixed.jsonl before.jsonl
	[[ "${lines[0]}" == "mixed.jsonl:1: sig: bad signature"* ]]
	assert_equal "${lines[1]}" "mixed.jsonl:2: signed by a key no intake record of the ledger names"
	# the slot was not cleared: nothing to say of the orders
	run -0 denki-ledger-verify -p operator.pub -R receipts.jsonl ledger.jsonl
}
