#!/usr/bin/env bats
# The registry's roles reviewer (with its scope: the largest trade value it
# may approve) and dso (a grid operator): enrolled like members by their
# signed request, and neither places orders: clear, intake and
# contract-sign refuse them.

load test_helper
load resign

SLOT=2099-01-01T10:00:00+00:00

setup() {
	common_setup
	make_community_once alice bob
	denki-keygen rita >/dev/null
	denki-keygen gina >/dev/null
	denki-registry request rita -s rita.key -r reviewer >rita.json
	denki-registry request gina -s gina.key -r dso -z north >gina.json
}

@test "roles: a reviewer is added with its scope, a dso without one; ledger-verify takes both" {
	run -0 --separate-stderr denki-registry -c coop.yaml add -S 5000000000 rita.json
	assert_equal "$(jq -c '[.role,.scope,.status]' <<<"$output")" '["reviewer",5000000000,"active"]'
	run -0 --separate-stderr denki-registry -c coop.yaml add gina.json
	assert_equal "$(jq -c '[.role,.zone,has("scope")]' <<<"$output")" '["dso","north",false]'
	run -0 denki-registry -c coop.yaml list
	assert_equal "$(jq -r 'select(.id == "rita") | .scope' <<<"$output")" 5000000000
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "roles: a reviewer without -S, or -S for anyone else, is refused with 64 and the ledger unchanged" {
	cp ledger.jsonl before
	run -64 --separate-stderr denki-registry -c coop.yaml add rita.json
	assert_equal "$stderr" "denki-registry: rita: a reviewer needs its scope: -S micro-units, the largest trade value it may approve"
	run -64 --separate-stderr denki-registry -c coop.yaml add -S 10 gina.json
	assert_equal "$stderr" "denki-registry: -S: only a reviewer has a scope, and gina's role is dso"
	run -64 --separate-stderr denki-registry -c coop.yaml update alice -S 10
	assert_equal "$stderr" "denki-registry: -S: only a reviewer has a scope, and alice's role is prosumer"
	run -64 --separate-stderr denki-registry -c coop.yaml add -S 1.5 rita.json
	assert_equal "$stderr" "denki-registry: -S 1.5: must be 0 to 9007199254740991, or none"
	cmp ledger.jsonl before
}

@test "roles: update changes a reviewer's scope; a role other than reviewer drops it; the member's history names the change" {
	denki-registry -c coop.yaml add -S 100 rita.json >/dev/null
	run -0 --separate-stderr denki-registry -c coop.yaml update rita -S 250
	assert_equal "$(jq -c '[.role,.scope]' <<<"$output")" '["reviewer",250]'
	run -0 --separate-stderr denki-registry -c coop.yaml update rita -r consumer
	assert_equal "$(jq -c '[.role,has("scope")]' <<<"$output")" '["consumer",false]'
	run -64 --separate-stderr denki-registry -c coop.yaml update rita -r reviewer
	assert_equal "$stderr" "denki-registry: rita: a reviewer needs its scope: -S micro-units, the largest trade value it may approve"
	run -0 denki-registry -c coop.yaml log rita
	assert_equal "$(jq -c .changed <<<"$output" | tr '\n' ' ')" '["enrolled"] ["scope"] ["role","scope"] '
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "roles: a participant record of a reviewer without scope, or a scope on a prosumer, is refused by ledger-verify" {
	denki-registry -c coop.yaml add -S 100 rita.json >/dev/null
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	n=$(grep -n '"id":"rita"' ledger.jsonl | cut -d: -f1)
	for change in 'del(.scope)' '.role = "consumer"'; do
		{
			head -n $((n - 1)) ledger.jsonl
			sed -n "${n}p" ledger.jsonl | jq -c ".rec |= ($change)"
			tail -n +$((n + 1)) ledger.jsonl
		} >edited.jsonl
		resign edited.jsonl "$n" >f.jsonl
		run -1 --separate-stderr denki-ledger-verify -p operator.pub f.jsonl
		assert_output --partial "scope: "
	done
	assert_output --partial "scope: only a reviewer has one, not a consumer"
}

@test "roles: a reviewer's and a dso's orders are refused by clear and by intake, with the reason" {
	denki-registry -c coop.yaml add -S 100 rita.json >/dev/null
	denki-registry -c coop.yaml add gina.json >/dev/null
	{
		order alice sell 500 100000 "$SLOT"
		order rita buy 500 200000 "$SLOT"
		order gina sell 100 100000 "$SLOT"
	} >o.jsonl
	run -65 --separate-stderr denki-clear -c coop.yaml o.jsonl
	assert_equal "${stderr_lines[0]}" "denki-clear: o.jsonl:2: rejected: participant: rita is a reviewer: reviewers and grid operators place no orders"
	run -65 --separate-stderr denki-clear -k -c coop.yaml o.jsonl
	assert_equal "$(jq -r 'select(.type == "trade")' <<<"$output")" ""
	assert_equal "${stderr_lines[1]}" "denki-clear: o.jsonl:3: rejected: participant: gina is a dso: reviewers and grid operators place no orders"
	denki-keygen intake >/dev/null
	printf 'intake:\n  key: intake.key\n  pub: intake.pub\n' >>coop.yaml
	denki-intake -c coop.yaml --publish >/dev/null
	run -65 --separate-stderr denki-intake -c coop.yaml o.jsonl
	assert_equal "$(jq -r .type <<<"${lines[0]}")" receipt
	assert_equal "$(jq -r .reason <<<"${lines[1]}")" "participant: rita is a reviewer: reviewers and grid operators place no orders"
	assert_equal "$(jq -r .reason <<<"${lines[2]}")" "participant: gina is a dso: reviewers and grid operators place no orders"
}

@test "roles: a slot cleared while a member traded is refused by contract-sign once the member is a reviewer; nothing appended" {
	denki-registry request rita -s rita.key -r prosumer >rp.json
	denki-registry -c coop.yaml add rp.json >/dev/null
	{
		order alice sell 500 100000 "$SLOT"
		order rita buy 500 200000 "$SLOT"
	} >o.jsonl
	denki-clear -c coop.yaml o.jsonl >cleared.jsonl
	[ "$(grep -c '"type":"trade"' cleared.jsonl)" -eq 1 ]
	denki-registry -c coop.yaml update rita -r reviewer -S 100 >/dev/null
	cp ledger.jsonl before
	run -65 --separate-stderr denki-contract-sign -c coop.yaml cleared.jsonl
	# the book is in id order: rita's order is the first or the second
	assert_regex "${stderr_lines[0]}" "^denki-contract-sign: cleared.jsonl:4: rejected: slot 2099-01-01T10:00:00\+00:00: order [12] of the slot: participant: rita is a reviewer: reviewers and grid operators place no orders$"
	assert_equal "${stderr_lines[1]}" "denki-contract-sign: nothing was appended"
	cmp ledger.jsonl before
}

@test "roles: a seller's registered capacity (-C): set, kept, dropped with none or a role that does not sell, refused for others" {
	run -0 --separate-stderr denki-registry -c coop.yaml update alice -C 4000
	assert_equal "$(jq -c '[.role,.capacity_wh]' <<<"$output")" '["prosumer",4000]'
	run -0 --separate-stderr denki-registry -c coop.yaml update alice -z north
	assert_equal "$(jq -c '[.zone,.capacity_wh]' <<<"$output")" '["north",4000]'
	run -0 --separate-stderr denki-registry -c coop.yaml update alice -C none
	assert_equal "$(jq -c 'has("capacity_wh")' <<<"$output")" false
	denki-registry -c coop.yaml update alice -C 4000 >/dev/null
	run -0 --separate-stderr denki-registry -c coop.yaml update alice -r consumer
	assert_equal "$(jq -c '[.role,has("capacity_wh")]' <<<"$output")" '["consumer",false]'
	cp ledger.jsonl before
	run -64 --separate-stderr denki-registry -c coop.yaml update alice -C 10
	assert_equal "$stderr" "denki-registry: -C: only a prosumer or producer has a capacity, and alice's role is consumer"
	cmp ledger.jsonl before
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}
