#!/usr/bin/env bats
# denki-submit: a household's orders and readings through its outbox to the
# real denki-intake behind Debian's lighttpd on 127.0.0.1 (plain HTTP, and
# TLS with a self-signed certificate); the server down, the same batch
# twice, a receipt signed by another key, a rejection, a clock off by more
# than a minute, and the pipeline from bid.

load test_helper
load intake-server

SLOT=2099-01-01T10:00:00+00:00

setup() {
	common_setup
	make_community_once alice bob
	denki-keygen other >/dev/null
	OTHER=$(sed -n 2p other.pub)
}

# coop_intake: the cooperative's intake key, named in the ledger
coop_intake() {
	denki-keygen intake >/dev/null
	printf 'intake:\n  key: intake.key\n' >>coop.yaml
	denki intake -c coop.yaml --publish >/dev/null
}

teardown() {
	stop_intake
}

# orders WHO N: N signed sell orders of WHO for the slots from $SLOT
orders() {
	local i
	for i in $(seq 0 $(($2 - 1))); do
		order "$1" sell $((100 + i)) 150000 "2099-01-01T$(printf %02d $((10 + i))):00:00+00:00"
	done
}

# ikey: the intake key the ledger names, as intake prints it
ikey() {
	denki intake -c coop.yaml --key
}

# received_ids ID: the ids of the lines ID's outbox received, one a line, in order
received_ids() {
	sqlite3 "$1.outbox" "SELECT id FROM outbox WHERE state = 1 ORDER BY seq"
}

@test "submit: -h, and a URL or intake key it will not use" {
	run -0 --separate-stderr denki-submit -h
	assert_line --index 0 --partial "usage: denki-submit [-k]"
	assert_equal "$stderr" ""
	home_submit alice "http://127.0.0.1:1/intake" "$OTHER"
	orders alice 1 >o.jsonl
	run -64 --separate-stderr denki-submit -c alice.yaml -u http://coop.example.org/intake o.jsonl
	assert_equal "$stderr" "denki-submit: http://coop.example.org/intake: must be https:// (plain http:// only to 127.0.0.1, localhost or [::1])"
	run -64 --separate-stderr denki-submit -c alice.yaml -u http://127.0.0.1.example.org/ o.jsonl
	run -78 --separate-stderr denki-submit -c alice.yaml -D submit.url=http://coop.example.org/ o.jsonl
	run -78 --separate-stderr denki-submit -c alice.yaml -D submit.intake_key=RWQ o.jsonl
	assert_equal "$stderr" "denki-submit: submit.intake_key: not an Ed25519 public key in minisign layout (base64 of \"Ed\", 8-byte key number, 32-byte key)"
	printf 'participant: x\n' >bare.yaml
	run -64 --separate-stderr denki-submit -c bare.yaml o.jsonl
	assert_equal "${stderr_lines[0]}" "denki-submit: no intake URL: -u or submit.url"
	run -78 --separate-stderr denki-submit -c bare.yaml -u https://coop.example.org/ o.jsonl
	assert_equal "$stderr" "denki-submit: submit.intake_key: missing: the intake's public key, as the ledger's intake record names it (denki intake --key prints it)"
	run -64 --separate-stderr denki-submit -c alice.yaml --retries x o.jsonl
	assert_equal "$stderr" "denki-submit: --retries x: must be a whole number from 0 to 100"
	run -78 --separate-stderr denki-submit -c alice.yaml -D submit.oubox=x o.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-submit: -D: submit.oubox: unknown setting; did you mean submit.outbox?"
}

@test "submit: a line that is no order nor reading is named, 65, and nothing of the input is stored; -k stores the rest" {
	home_submit alice "http://127.0.0.1:$(free_port)/intake" "$OTHER"
	{ orders alice 1; echo '{"type":"trade","v":1}'; orders bob 1; } >o.jsonl
	run -65 --separate-stderr denki-submit -c alice.yaml --retries 0 o.jsonl
	assert_equal "${stderr_lines[0]}" 'denki-submit: o.jsonl:2: type: submit sends orders and readings, got "trade"'
	assert_equal "${stderr_lines[1]}" "denki-submit: nothing stored: bad input (-k stores the good lines)"
	assert_equal "$(outbox alice 0)" 0
	# -k: the two orders stored, then the server is down
	run -75 --separate-stderr denki-submit -k -c alice.yaml --retries 0 o.jsonl
	assert_equal "${stderr_lines[0]}" 'denki-submit: o.jsonl:2: type: submit sends orders and readings, got "trade"'
	assert_equal "$(outbox alice 0)" 2
	# stored canonical, with the SHA-256 of those bytes as the id
	sqlite3 alice.outbox "SELECT line FROM outbox ORDER BY seq" >stored.jsonl
	sed -n 1p o.jsonl | jq -cS . | cmp - <(sed -n 1p stored.jsonl)
	assert_equal "$(sqlite3 alice.outbox "SELECT id FROM outbox ORDER BY seq LIMIT 1")" \
	    "$(sed -n 1p stored.jsonl | tr -d '\n' | sha256sum | cut -d' ' -f1)"
	printf '{"type":"order","v":1,"wh":1.5}\n' >f.jsonl
	run -65 --separate-stderr denki-submit -c alice.yaml f.jsonl
	assert_equal "${stderr_lines[0]}" "denki-submit: f.jsonl:1: wh: must be an integer, got a number with a fraction or exponent"
}

@test "submit: the server down: 75 after the retries, each after a random wait, every line kept" {
	home_submit alice "http://127.0.0.1:$(free_port)/intake" "$OTHER"
	orders alice 3 >o.jsonl
	run -75 --separate-stderr denki-submit -c alice.yaml --retries 2 o.jsonl
	assert_output ""
	local re1='^denki-submit: http://127.0.0.1:[0-9]+/intake: .*[Cc]onnect.*; trying again in [01]\.[0-9]{3} s \(1 of 2\)$'
	local re2='; trying again in [0-2]\.[0-9]{3} s \(2 of 2\)$'
	local re3='^denki-submit: http://127.0.0.1:[0-9]+/intake: .*[Cc]onnect'
	[[ ${stderr_lines[0]} =~ $re1 ]]
	[[ ${stderr_lines[1]} =~ $re2 ]]
	[[ ${stderr_lines[2]} =~ $re3 ]]
	assert_equal "${#stderr_lines[@]}" 3
	assert_equal "$(outbox alice 0)" 3
	# stdin a terminal is not asked for, with no operand: what is kept is sent
	run -75 --separate-stderr denki-submit -c alice.yaml --retries 0 </dev/null
	assert_equal "$(outbox alice 0)" 3
}

@test "submit: the server down, then up: the lines kept are delivered first, then the new ones, each receipt checked" {
	coop_intake
	home_submit alice "http://127.0.0.1:$(free_port)/intake" "$(ikey)"
	orders alice 2 >o1.jsonl
	run -75 --separate-stderr denki-submit -c alice.yaml --retries 0 o1.jsonl
	assert_output ""
	assert_equal "$(outbox alice 0)" 2
	start_intake
	order alice buy 300 200000 2099-01-02T10:00:00+00:00 >o2.jsonl
	run -0 --separate-stderr denki-submit -c alice.yaml -u "$IURL" o2.jsonl
	printed=$output
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 3
	# in the order stored: the two kept first, then the new one
	assert_equal "$(jq -r .id <<<"$output")" "$(cat o1.jsonl o2.jsonl | while read -r l; do printf '%s' "$l" | jq -cS . | tr -d '\n' | sha256sum | cut -d' ' -f1; done)"
	assert_equal "$(jq -r .id <<<"$output")" "$(received_ids alice)"
	assert_equal "$(jq -r '.type + " " + .kind + " " + .participant + " " + .slot' <<<"$output")" "receipt order alice 2099-01-01T10:00:00+00:00
receipt order alice 2099-01-01T11:00:00+00:00
receipt order alice 2099-01-02T10:00:00+00:00"
	assert_equal "$(outbox alice 0)" 0
	# the cooperative has them: its inbox's book of the slot
	run -0 --separate-stderr denki intake -c coop.yaml --dump -s 2099-01-01T10:00:00+00:00
	assert_output "$(jq -cS . o1.jsonl | head -n 1)"
	# the receipts kept are the ones printed
	run -0 --separate-stderr denki-submit -c alice.yaml --receipts
	assert_output "$printed"
}

@test "submit: the same batch twice: the same receipts, byte for byte, each line stored once on both sides" {
	coop_intake
	start_intake
	home_submit alice "$IURL" "$(ikey)"
	orders alice 3 >o.jsonl
	run -0 --separate-stderr denki-submit -c alice.yaml o.jsonl
	first=$output
	assert_equal "${#lines[@]}" 3
	run -0 --separate-stderr denki-submit -c alice.yaml o.jsonl
	assert_equal "$output" "$first"
	assert_equal "$stderr" ""
	assert_equal "$(sqlite3 alice.outbox 'SELECT count(*), sum(sent) FROM outbox')" "3|6"
	assert_equal "$(denki intake -c coop.yaml --dump -s 2099-01-01T11:00:00+00:00 | wc -l)" 1
	run -0 --separate-stderr denki-submit -c alice.yaml --receipts
	assert_output "$first"
}

@test "attack: an intake whose receipts are signed by a key other than the one the household holds: the lines stay, 1, and a clear message" {
	coop_intake
	start_intake
	# the household was given another key than the one the intake signs with
	home_submit alice "$IURL" "$OTHER"
	orders alice 2 >o.jsonl
	run -1 --separate-stderr denki-submit -c alice.yaml o.jsonl
	assert_output ""
	assert_equal "${stderr_lines[0]}" "denki-submit: o.jsonl:1: the intake's answer does not check: receipt: key: not the intake key the receipt is checked against (id $(head -n 1 o.jsonl | jq -cS . | tr -d '\n' | sha256sum | cut -c1-16)...; kept in the outbox, to send again)"
	assert_equal "${stderr_lines[1]}" "denki-submit: $IURL: an answer did not check; its line and those after it stay in the outbox"
	assert_equal "$(outbox alice 0)" 2
	assert_equal "$(outbox alice 1)" 0
	run -0 --separate-stderr denki-submit -c alice.yaml --receipts
	assert_output ""
	# with the key the ledger names, they leave: the intake stored them
	# once, and answers with the same receipts
	run -0 --separate-stderr denki-submit -c alice.yaml -D submit.intake_key="$(ikey)" </dev/null
	assert_equal "${#lines[@]}" 2
	assert_equal "$(jq -r .key <<<"$output" | sort -u)" "$(ikey)"
	assert_equal "$(outbox alice 0)" 0
}

@test "attack: an intake that answers each line with the receipt of another: the lines stay, 1" {
	coop_intake
	# the intake's own answer, its body's lines in the reverse order
	start_intake -w 'eval "$INTAKE" >"$0.out"; sed "/^\r$/q" "$0.out"; sed "1,/^\r$/d" "$0.out" | tac'
	home_submit alice "$IURL" "$(ikey)"
	orders alice 2 >o.jsonl
	run -1 --separate-stderr denki-submit -c alice.yaml o.jsonl
	assert_output ""
	[[ ${stderr_lines[0]} == "denki-submit: o.jsonl:1: the intake's answer does not check: receipt: id: "*" names another line than the one sent (id "* ]]
	assert_equal "$(outbox alice 0)" 2
}

@test "submit: a rejection: 65, the line named on stderr and kept as rejected with its reason; the others received" {
	coop_intake
	start_intake
	home_submit alice "$IURL" "$(ikey)"
	{ order alice sell 100 150000 2099-01-01T10:00:00+00:00
	  order alice sell 100 150000 2020-01-01T10:00:00+00:00
	  order alice sell 100 150000 2099-01-01T11:00:00+00:00; } >o.jsonl
	run -65 --separate-stderr denki-submit -c alice.yaml o.jsonl
	assert_equal "${#lines[@]}" 2
	assert_equal "$(jq -r .slot <<<"$output")" "2099-01-01T10:00:00+00:00
2099-01-01T11:00:00+00:00"
	assert_equal "${#stderr_lines[@]}" 1
	[[ ${stderr_lines[0]} == "denki-submit: o.jsonl:2: rejected by the intake: "*"gate"*" (id "*"...; kept in the outbox as rejected)" ]]
	assert_equal "$(outbox alice 2)" 1
	reason=$(sqlite3 alice.outbox "SELECT reason FROM outbox WHERE state = 2")
	[[ ${stderr_lines[0]} == *": rejected by the intake: $reason (id "* ]]
	# not sent again: nothing pending
	run -0 --separate-stderr denki-submit -c alice.yaml </dev/null
	assert_output ""
}

@test "submit: TLS with a self-signed certificate: refused without --cacert (69, the lines kept), received with it" {
	coop_intake
	start_intake -t
	[[ $IURL == https://* ]]
	home_submit alice "$IURL" "$(ikey)"
	orders alice 2 >o.jsonl
	run -69 --separate-stderr denki-submit -c alice.yaml --retries 3 o.jsonl
	assert_output ""
	assert_equal "${#stderr_lines[@]}" 1
	[[ ${stderr_lines[0]} == "denki-submit: $IURL: "*"certificate"* ]]
	assert_equal "$(outbox alice 0)" 2
	run -0 --separate-stderr denki-submit -c alice.yaml --cacert intake/cert.pem </dev/null
	assert_equal "${#lines[@]}" 2
	assert_equal "$stderr" ""
	assert_equal "$(outbox alice 1)" 2
	# another CA: refused
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	    -subj /CN=localhost -keyout k2.pem -out c2.pem 2>/dev/null
	order alice sell 1 150000 2099-01-05T10:00:00+00:00 >o3.jsonl
	run -69 --separate-stderr denki-submit -c alice.yaml --cacert c2.pem o3.jsonl
	assert_equal "$(outbox alice 0)" 1
}

@test "submit: a client certificate (-E, --key) for an intake that asks for one: refused without it (the lines kept), received with it" {
	coop_intake
	# the cooperative's CA for its members' Pis, and alice's certificate
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	    -subj /CN=members-ca -keyout ca.key -out ca.pem 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -subj /CN=alice -keyout alice-tls.key -out alice.csr 2>/dev/null
	openssl x509 -req -in alice.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
	    -days 2 -out alice-tls.pem 2>/dev/null
	start_intake -C "$PWD/ca.pem"
	[[ $IURL == https://* ]]
	home_submit alice "$IURL" "$(ikey)"
	orders alice 2 >o.jsonl
	# (TLS 1.3 asks for the certificate after the handshake: curl sees
	# the server's alert as a failed read, which submit takes for the
	# network's fault, 75, and tries again next run)
	run -75 --separate-stderr denki-submit -c alice.yaml --retries 0 --cacert intake/cert.pem o.jsonl
	[[ $stderr == "denki-submit: $IURL: "*"certificate required"* ]]
	assert_output ""
	assert_equal "$(outbox alice 0)" 2
	run -0 --separate-stderr denki-submit -c alice.yaml --cacert intake/cert.pem \
	    -E alice-tls.pem --key alice-tls.key </dev/null
	assert_equal "${#lines[@]}" 2
	assert_equal "$(jq -r .type <<<"$output" | sort -u)" receipt
	assert_equal "$(outbox alice 1)" 2
	# a certificate of another CA: refused, nothing sent
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	    -subj /CN=mallory -keyout m.key -out m.pem 2>/dev/null
	order alice sell 1 150000 2099-01-05T10:00:00+00:00 >o3.jsonl
	run --separate-stderr denki-submit -c alice.yaml --retries 0 --cacert intake/cert.pem \
	    -E m.pem --key m.key o3.jsonl
	assert_equal "$status" 75
	[[ $stderr == "denki-submit: $IURL: "*"unknown ca"* ]]
	assert_equal "$(outbox alice 0)" 1
}

@test "submit: this machine's clock off by more than a minute: a warning, the receipt's time is the one kept" {
	need_faketime
	coop_intake
	start_intake
	home_submit alice "$IURL" "$(ikey)"
	orders alice 1 >o1.jsonl
	run -0 --separate-stderr at +300 denki-submit -c alice.yaml o1.jsonl
	received=$(jq -r .received <<<"$output")
	[[ ${stderr_lines[0]} =~ ^"denki-submit: warning: this machine's clock is "(299|300|301)" s ahead of the intake's (received $received): the receipt's time is the one that counts; set this clock right (NTP)"$ ]]
	assert_equal "${#stderr_lines[@]}" 1
	assert_equal "$(sqlite3 alice.outbox 'SELECT receipt FROM outbox' | jq -r .received)" "$received"
	order alice sell 7 150000 2099-01-03T10:00:00+00:00 >o2.jsonl
	run -0 --separate-stderr at -120 denki-submit -c alice.yaml o2.jsonl
	[[ ${stderr_lines[0]} =~ ^"denki-submit: warning: this machine's clock is "(119|120|121)" s behind the intake's" ]]
	# within a minute: nothing said
	order alice sell 8 150000 2099-01-03T10:00:00+00:00 >o3.jsonl
	run -0 --separate-stderr at +30 denki-submit -c alice.yaml o3.jsonl
	assert_equal "$stderr" ""
}

@test "submit in the pipeline: meter-read's readings and bid's orders into submit, each received" {
	coop_intake
	start_intake
	home_submit alice "$IURL" "$(ikey)"
	run -0 --separate-stderr bash -c 'set -o pipefail
	    denki-meter-read -c alice.yaml -d sim -s 2099-01-01T00:00:00+00:00 -n 48 >r.jsonl &&
	    { cat r.jsonl; denki-bid -c alice.yaml -s 2099-01-02T10:00:00+00:00 -N 2 r.jsonl; } |
	    denki-submit -c alice.yaml'
	assert_equal "$(jq -r .kind <<<"$output" | sort | uniq -c | awk '{ print $1, $2 }' | paste -sd' ')" "2 order 48 reading"
	assert_equal "$(outbox alice 0)" 0
	assert_equal "$(denki intake -c coop.yaml --dump -r -s 2099-01-01T12:00:00+00:00)" "$(grep '"slot":"2099-01-01T12:00:00+00:00"' r.jsonl | jq -cS .)"
	# a slot meter-read could not read is a gap record in its output:
	# said on stderr, not sent, and the readings around it go (0)
	{
		sed -n 1p r.jsonl
		printf '{"last":"2099-01-01T01:00:00+00:00","meter":"alice-m","reason":"no counter value","slot":"2099-01-01T00:30:00+00:00","type":"gap","v":1}\n'
	} >g.jsonl
	run -0 --separate-stderr denki-submit -c alice.yaml g.jsonl
	assert_equal "$stderr" "denki-submit: g.jsonl:2: a gap record, not sent: the intake takes orders and readings"
	assert_equal "$(jq -r .type <<<"$output")" receipt
	assert_equal "$(sqlite3 alice.outbox "SELECT count(*) FROM outbox WHERE line LIKE '%\"gap\"%'")" 0
}

@test "submit: an intake answering 503 is tried again and leaves 75; a 404 is 69 at once; the lines kept" {
	coop_intake
	start_intake -w 'printf "Status: 503 Service Unavailable\r\nContent-Type: text/plain\r\n\r\ninbox unavailable\n"'
	home_submit alice "$IURL" "$(ikey)"
	orders alice 2 >o.jsonl
	run -75 --separate-stderr denki-submit -c alice.yaml --retries 1 --spread 1 o.jsonl
	assert_output ""
	[[ ${stderr_lines[0]} == "denki-submit: $IURL: HTTP status 503: inbox unavailable; trying again in "*" s (1 of 1)" ]]
	assert_equal "${stderr_lines[1]}" "denki-submit: $IURL: HTTP status 503: inbox unavailable"
	assert_equal "$(outbox alice 0)" 2
	run -69 --separate-stderr denki-submit -c alice.yaml --retries 3 -u "${IURL%/intake}/nowhere" </dev/null
	assert_equal "${#stderr_lines[@]}" 1
	[[ ${stderr_lines[0]} == "denki-submit: ${IURL%/intake}/nowhere: HTTP status 404"* ]]
	assert_equal "$(outbox alice 0)" 2
	run -64 --separate-stderr denki-submit -c alice.yaml --spread 3601 </dev/null
}

@test "submit killed during a request: the lines were stored before it sent, the next run delivers them, each once" {
	coop_intake
	# an intake that answers after a while
	start_intake -w 'sleep 2; eval exec "$INTAKE"'
	home_submit alice "$IURL" "$(ikey)"
	orders alice 2 >o.jsonl
	denki-submit -c alice.yaml o.jsonl >killed.out 2>killed.err &
	local pid=$! i
	for i in $(seq 50); do
		[ "$(sqlite3 alice.outbox 'SELECT count(*) FROM outbox' 2>/dev/null)" = 2 ] && break
		sleep 0.1
	done
	sleep 0.5
	kill -9 "$pid"
	wait "$pid" || true
	[ ! -s killed.out ]
	assert_equal "$(outbox alice 0)" 2
	run -0 --separate-stderr denki-submit -c alice.yaml </dev/null
	assert_equal "${#lines[@]}" 2
	assert_equal "$(outbox alice 1)" 2
	assert_equal "$(denki intake -c coop.yaml --dump -s 2099-01-01T10:00:00+00:00 | wc -l)" 1
	assert_equal "$(denki intake -c coop.yaml --dump -s 2099-01-01T11:00:00+00:00 | wc -l)" 1
}

@test "completions: submit's options and settings, in bash and zsh" {
	comp() {
		bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
		    _denki; printf "%s\n" "${COMPREPLY[@]}"' _ \
		    "$TOP/completions/bash/denki" "$@"
	}
	run comp denki-submit --ca
	assert_output -- --cacert
	run comp denki submit --re
	assert_equal "$(sort <<<"$output")" "--receipts
--retries"
	run comp denki-submit -D submit.in
	assert_output "submit.intake_key="
	run comp denki su
	assert_output "submit"
	grep -q "'submit.intake_key:" "$TOP/completions/zsh/_denki"
	grep -q "'--receipts\[print the receipts kept\]'" "$TOP/completions/zsh/_denki"
	if command -v zsh >/dev/null; then
		run -0 zsh -n "$TOP/completions/zsh/_denki"
	fi
}

@test "submit: -x sends through the proxy given (none there: 75), -m ends a request that takes too long (75), the lines kept" {
	coop_intake
	start_intake -w 'sleep 3; eval exec "$INTAKE"'
	home_submit alice "$IURL" "$(ikey)"
	orders alice 1 >o.jsonl
	local p
	p=$(free_port)
	run -75 --separate-stderr denki-submit -c alice.yaml --retries 0 -x "http://127.0.0.1:$p" o.jsonl
	[[ ${stderr_lines[0]} == "denki-submit: $IURL: "*"127.0.0.1 port $p"* ]]
	run -75 --separate-stderr denki-submit -c alice.yaml --retries 0 -m 1 </dev/null
	[[ ${stderr_lines[0]} == "denki-submit: $IURL: Operation timed out after "*" milliseconds"* ]]
	assert_equal "$(outbox alice 0)" 1
	run -0 --separate-stderr denki-submit -c alice.yaml --max-time 20 --connect-timeout 5 </dev/null
	assert_equal "${#lines[@]}" 1
}
