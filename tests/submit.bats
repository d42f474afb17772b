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
	make_community alice bob
	denki-keygen other >/dev/null
	OTHER=$(sed -n 2p other.pub)
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

# sent ID: the ids of the lines ID's outbox received, one a line, in order
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
