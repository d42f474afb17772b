#!/usr/bin/env bats
# make demo-net (examples/demo.sh -n): the demo's day with every order and
# reading carried by denki-submit to denki-intake behind lighttpd on
# 127.0.0.1, the cooperative clearing and settling from its inbox; its
# settlements and true-ups are those of the same day run from files.

load test_helper

@test "demo-net: the day through submit and intake settles as the day from files, byte for byte" {
	command -v lighttpd >/dev/null || skip "lighttpd is missing (tools/deps.sh installs it)"
	need_faketime
	run -0 --separate-stderr sh "$TOP/examples/demo.sh" -n d
	assert_line --regexp '^intake         denki-intake behind lighttpd at http://127\.0\.0\.1:[0-9]+/intake, its key named in the ledger: RW'
	assert_line "submit         kn1: 48 orders received, each receipt signed by the intake key"
	assert_line "submit         kn6: 48 readings received, each receipt signed by the intake key"
	assert_line --regexp '^compared       the same settlements and true-ups as the day run from files \(file/settlements\.jsonl, file/trueups\.jsonl\), byte for byte: [0-9]+ lines$'
	# kn5's two readings held back from the first run, trued up after
	assert_line --regexp '^true-up        the 2 readings come late; the next run trues kn5 up:$'

	assert_line --partial "verifier       ledger.jsonl: OK: "
	cd d
	# what the cooperative cleared is what the homes' bid wrote, each line
	# received once
	assert_equal "$(sort orders.jsonl)" "$(jq -cS . orders-bid.jsonl | sort)"
	assert_equal "$(wc -l <orders.jsonl)" 266
	assert_equal "$(wc -l <all-readings.jsonl)" 288
	assert_equal "$(wc -l <readings.jsonl)" 286
	assert_equal "$(grep -c '"type":"trueup"' trueups.jsonl)" 2
	cmp settlements.jsonl file/settlements.jsonl
	cmp trueups.jsonl file/trueups.jsonl
	assert_equal "$(cat settlements.jsonl trueups.jsonl | wc -l)" \
	    "$(sed -n 's/^compared .*byte for byte: \([0-9]*\) lines$/\1/p' <<<"$output")"
	# the homes hold a receipt for each, signed by the key the ledger
	# names, and listed by submit --receipts
	local key n=0 h
	key=$(denki intake -c coop.yaml --key)
	assert_equal "$(cat receipts-*.jsonl | jq -r .key | sort -u)" "$key"
	for h in kn1 kn2 kn3 kn4 kn5 kn6; do
		assert_equal "$(denki submit -c $h.yaml --receipts)" "$(cat receipts-$h.orders.jsonl receipts-$h.readings.jsonl)"
		n=$((n + $(denki submit -c $h.yaml --receipts | wc -l)))
	done
	assert_equal "$n" $((266 + 288))
	# and the outboxes are empty: nothing left to send
	assert_equal "$(for h in kn1 kn2 kn3 kn4 kn5 kn6; do sqlite3 $h.outbox 'SELECT count(*) FROM outbox WHERE state != 1'; done | sort -u)" 0
}
