#!/usr/bin/env bats
# denki-halt: the emergency switch.  A halt of zones for a window, signed
# by the operator or a grid operator (role dso); the contracts of those
# zones not yet delivered in the window cancelled (cancel records right
# after the halt); clear holding the zones' orders; settle leaving the
# cancelled contracts out; ledger-verify checking all of it.
# Community: alice and bob in zone hill, carol and dave in zone town;
# retail 300000, buyback 100000, fee 10000 (make_community).  The slots
# are in 2098, so that a halt made now is never in the past.

load test_helper
load resign

S0=2098-01-01T09:30:00+00:00
S1=2098-01-01T10:00:00+00:00
S2=2098-01-01T10:30:00+00:00
S3=2098-01-01T11:00:00+00:00

setup() {
	common_setup
	make_community_once alice bob carol dave
	for p in alice:hill bob:hill carol:town dave:town; do
		denki-registry -c coop.yaml update "${p%%:*}" -z "${p#*:}" >/dev/null
	done
}

# book SLOT: alice sells 1000 to bob in hill, carol 500 to dave in town
book() {
	order alice sell 1000 100000 "$1"
	order bob buy 1000 200000 "$1"
	order carol sell 500 150000 "$1"
	order dave buy 500 160000 "$1"
}

# contracted SLOT: the slot cleared and its contracts in the ledger
contracted() {
	book "$1" >"o-$1.jsonl"
	denki-clear -c coop.yaml "o-$1.jsonl" >"c-$1.jsonl"
	denki-contract-sign -c coop.yaml "c-$1.jsonl" >"k-$1.jsonl"
}

# forge FILE: FILE relinked and re-signed as the ledger (resign.bash)
forge() {
	resign "$1" 1 >f.jsonl
	mv f.jsonl ledger.jsonl
}

entry() {
	printf '{"prev":"%064d","rec":%s,"seq":0,"type":"entry","v":2}\n' 0 "$1"
}

# dso: gina, a grid operator of zone hill
dso() {
	denki-keygen gina >/dev/null
	denki-registry request gina -s gina.key -r dso -z hill >gina.json
	denki-registry -c coop.yaml add gina.json >/dev/null
}

@test "halt: a halt of zone hill cancels hill's contracts in the window, not town's; settle leaves them out; ledger-verify passes" {
	contracted "$S1"
	run -0 --separate-stderr denki-halt -c coop.yaml -z hill --from "$S1" --until "$S3" -m "feeder 3 fault"
	assert_equal "$stderr" "denki-halt: halt at entry $(( $(wc -l <ledger.jsonl) - 3 )): 1 contract cancelled"
	assert_equal "${#lines[@]}" 2
	assert_equal "$(jq -c '[.type,.kind,.zones,.from,.until,.reason,.by]' <<<"${lines[0]}")" \
	    "[\"halt\",\"halt\",[\"hill\"],\"$S1\",\"$S3\",\"feeder 3 fault\",\"operator\"]"
	local seq
	seq=$(grep -n '"type":"halt"' ledger.jsonl | cut -d: -f1)
	seq=$((seq - 1))
	assert_equal "$(jq -c '[.type,.halt,.slot,.seller,.buyer,.wh]' <<<"${lines[1]}")" \
	    "[\"cancel\",$seq,\"$S1\",\"alice\",\"bob\",1000]"
	# the records are in the ledger as printed, the cancel right after
	assert_equal "$(jq -c .rec ledger.jsonl | grep -E '"type":"(halt|cancel)"')" "$(printf '%s\n' "${lines[@]}")"
	# settled: alice and bob with the utility alone, carol and dave P2P
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s}\n' \
	    alice-m "$S1" 0 1000 bob-m "$S1" 1000 0 carol-m "$S1" 0 500 dave-m "$S1" 500 0 >r.jsonl
	run -0 --separate-stderr denki-settle -c coop.yaml r.jsonl
	assert_equal "$(jq -r 'select(.type=="settlement") | "\(.participant) \(.p2p_paid) \(.p2p_received) \(.utility_paid) \(.utility_received)"' <<<"$output")" \
	    "alice 0 0 0 100000
bob 0 0 300000 0
carol 0 77500 0 0
dave 82500 0 0 0"
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --partial ": OK: "
}

@test "halt: clear holds the orders of the halted zone and clears the rest" {
	contracted "$S0"
	denki-halt -c coop.yaml -z hill --from "$S1" --until "$S2" -m "feeder 3 fault" >/dev/null 2>&1
	book "$S1" >o.jsonl
	run -0 --separate-stderr denki-clear -c coop.yaml o.jsonl
	local seq
	seq=$(( $(grep -n '"type":"halt"' ledger.jsonl | cut -d: -f1) - 1 ))
	assert_equal "$(sort <<<"$stderr")" "denki-clear: o.jsonl:1: held: zone hill is halted in this slot by the halt of entry $seq: not cleared
denki-clear: o.jsonl:2: held: zone hill is halted in this slot by the halt of entry $seq: not cleared"
	assert_equal "$(jq -r 'select(.type=="trade") | "\(.seller) \(.buyer) \(.wh)"' <<<"$output")" "carol dave 500"
	assert_equal "$(jq -r 'select(.type=="order") | .participant' <<<"$output" | sort | tr '\n' ' ')" "carol dave "
	printf '%s\n' "$output" >c.jsonl
	run -0 denki-contract-sign -c coop.yaml c.jsonl
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "halt: a slot whose every order is held is cleared with no trade, and settles with the utility alone" {
	contracted "$S0"
	denki-halt -c coop.yaml --from "$S1" --until "$S2" -m "substation fire" >/dev/null 2>&1
	book "$S1" >o.jsonl
	run -0 --separate-stderr denki-clear -c coop.yaml o.jsonl
	assert_equal "${#stderr_lines[@]}" 4
	assert_equal "$(jq -c 'select(.type=="clearing") | [.slot,.wh]' <<<"$output")" "[\"$S1\",0]"
	assert_equal "$(grep -c '"type":"order"' <<<"$output" || true)" 0
	printf '%s\n' "$output" >c.jsonl
	denki-contract-sign -c coop.yaml c.jsonl >/dev/null
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s}\n' \
	    alice-m "$S1" 0 1000 bob-m "$S1" 1000 0 >r.jsonl
	run -0 --separate-stderr denki-settle -c coop.yaml r.jsonl
	assert_equal "$(jq -r 'select(.type=="settlement") | "\(.participant) \(.utility_paid) \(.utility_received)"' <<<"$output")" "alice 0 100000
bob 300000 0"
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "halt: --lift ends a halt: the slots after the lift clear again; a second lift and a lift of no halt are refused" {
	contracted "$S0"
	denki-halt -c coop.yaml -z hill --from "$S1" --until "$S3" -m "feeder 3 fault" >/dev/null 2>&1
	local seq
	seq=$(( $(grep -n '"type":"halt"' ledger.jsonl | cut -d: -f1) - 1 ))
	run -0 denki-halt -c coop.yaml --lift "$seq" -m "feeder 3 repaired"
	assert_equal "$(jq -c '[.type,.halt,.reason,.by]' <<<"$output")" "[\"halt_lift\",$seq,\"feeder 3 repaired\",\"operator\"]"
	book "$S1" >o.jsonl
	run -0 --separate-stderr denki-clear -c coop.yaml o.jsonl
	assert_equal "$stderr" ""
	assert_equal "$(grep -c '"type":"trade"' <<<"$output")" 2
	cp ledger.jsonl before.jsonl
	run -65 --separate-stderr denki-halt -c coop.yaml -D ledger=new.jsonl --from "$S1" --until "$S2" -m "no rules yet"
	assert_equal "$stderr" "denki-halt: new.jsonl: no rules entry yet: a halt needs the slots and zones of the rules in force (contract-sign writes them before the first contracts)"
	run -65 --separate-stderr denki-halt -c coop.yaml --lift "$seq" -m again
	assert_equal "$stderr" "denki-halt: halt_lift: the halt of entry $seq was lifted before"
	run -65 --separate-stderr denki-halt -c coop.yaml --lift 3 -m "not a halt"
	assert_equal "$stderr" "denki-halt: halt_lift: halt: entry 3 is not a halt"
	cmp ledger.jsonl before.jsonl
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "halt: a grid operator (role dso) halts with its own key; by names it; ledger-verify checks its signature" {
	dso
	contracted "$S1"
	run -0 --separate-stderr denki-halt -c coop.yaml -k gina.key -z hill --from "$S1" --until "$S2" -m "frequency 49.6 Hz"
	assert_equal "$(jq -r 'select(.type=="halt") | .by' <<<"$output")" gina
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	run -0 denki-halt -c coop.yaml -k gina.key --lift "$(( $(grep -n '"type":"halt"' ledger.jsonl | cut -d: -f1) - 1 ))" -m stable
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "halt: refused, the ledger untouched: a member's key, a window in the past, an inverted window, a window off the slots, an unknown zone, no reason" {
	contracted "$S1"
	cp ledger.jsonl before.jsonl
	run -77 --separate-stderr denki-halt -c coop.yaml -k alice.key -z hill --from "$S1" --until "$S2" -m "I want out"
	assert_equal "$stderr" "denki-halt: the key: by: alice is a prosumer, not an active grid operator (role dso): only the operator or a dso may halt trading"
	run -64 --separate-stderr denki-halt -c coop.yaml --from 2020-01-01T10:00:00+00:00 --until 2020-01-01T11:00:00+00:00 -m late
	assert_output ""
	assert_regex "$stderr" '^denki-halt: halt: from: the window starts at 2020-01-01T10:00:00\+00:00, before the slot of the halt.s time [0-9TZ:-]+: a halt in the past \(backdated\)$'
	run -64 --separate-stderr denki-halt -c coop.yaml --from "$S2" --until "$S1" -m inverted
	assert_equal "$stderr" "denki-halt: halt: until: the window ends where it starts, or before (until $S1, from $S2)"
	run -64 --separate-stderr denki-halt -c coop.yaml --from 2098-01-01T10:10:00+00:00 --until "$S2" -m odd
	assert_equal "$stderr" "denki-halt: --from: must start a 30-minute slot, got \"2098-01-01T10:10:00+00:00\""
	run -64 --separate-stderr denki-halt -c coop.yaml -z nowhere --from "$S1" --until "$S2" -m where
	assert_equal "$stderr" "denki-halt: halt: zones: nowhere: no participant or link has this zone"
	run -64 --separate-stderr denki-halt -c coop.yaml --from "$S1" --until "$S2"
	assert_equal "${stderr_lines[0]%% [*}" "usage: denki-halt"
	cmp ledger.jsonl before.jsonl
}

@test "attack: a halt signed by a member's key: ledger-verify refuses it, naming the member and its role" {
	contracted "$S1"
	# the operator writes a halt as if alice had asked for it
	local rec
	rec=$(printf '{"by":"alice","from":"%s","kind":"halt","reason":"x","time":"2030-01-01T00:00:00Z","type":"halt","until":"%s","v":1,"zones":["hill"]}\n' "$S1" "$S2" |
	    sign_with alice.key)
	{
		head -n -1 ledger.jsonl
		entry "$rec"
		entry "$(jq -cS '{buyer:"bob",contract:0,halt:'"$(wc -l <ledger.jsonl | awk '{print $1 - 1}')"',seller:"alice",slot:"'"$S1"'",type:"cancel",v:1,wh:1000}' <<<'{}')"
		tail -n 1 ledger.jsonl
	} >edited.jsonl
	forge edited.jsonl
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --regexp "^FAIL: ledger.jsonl:[0-9]+: entry [0-9]+: halt: by: alice is a prosumer, not an active grid operator \(role dso\): only the operator or a dso may halt trading$"
}

@test "attack: a contract in a halted window: the halt's cancel records left out, or a halted zone's orders cleared after it: ledger-verify refuses" {
	contracted "$S1"
	denki-halt -c coop.yaml -z hill --from "$S1" --until "$S3" -m "feeder 3 fault" >/dev/null 2>&1
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	cp ledger.jsonl halted.jsonl
	# 1: the cancel left out, so that the contract settles as if delivered
	grep -v '"type":"cancel"' halted.jsonl >edited.jsonl
	forge edited.jsonl
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --regexp "^FAIL: ledger.jsonl:[0-9]+: entry [0-9]+: the halt of entry [0-9]+ cancels contract 0 of slot ${S1/+/\\+}, but a checkpoint record came before its cancel record$"
	# 2: S2 cleared with hill's orders as if there were no halt, its
	# orders, clearing and contracts put after the halt
	cp halted.jsonl ledger.jsonl
	book "$S2" >o2.jsonl
	grep -v '"type":"halt"' halted.jsonl | grep -v '"type":"cancel"' >nohalt.jsonl
	forge nohalt.jsonl
	denki-clear -c coop.yaml o2.jsonl >c2.jsonl
	denki-contract-sign -c coop.yaml c2.jsonl >/dev/null
	{
		head -n -1 halted.jsonl
		tail -n +"$(wc -l <halted.jsonl)" ledger.jsonl | jq -c .rec | grep -v '"type":"checkpoint"' |
		    while read -r r; do entry "$r"; done
		tail -n 1 halted.jsonl
	} >edited.jsonl
	forge edited.jsonl
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --regexp "^FAIL: ledger.jsonl:[0-9]+: entry [0-9]+: clearing: the book was refused: an order of (alice|bob): held: zone hill is halted in this slot by the halt of entry [0-9]+: not cleared$"
}

@test "attack: a backdated halt: a halt whose time is before a checkpoint already in the ledger (to cancel contracts delivered): ledger-verify refuses" {
	need_faketime
	at '2098-01-01 09:00:00' contracted "$S1"
	cp ledger.jsonl at0900.jsonl
	at '2098-01-01 10:45:00' contracted "$S3"
	# the operator, after delivery, makes a halt of 09:50 on a copy of
	# the ledger as it was, and puts it at the end of the real one
	cp at0900.jsonl copy.jsonl
	at '2098-01-01 09:50:00' denki-halt -c coop.yaml -D ledger=copy.jsonl -z hill --from "$S1" --until "$S2" -m "feeder 3 fault" >recs.jsonl 2>/dev/null
	run -0 denki-ledger-verify -p operator.pub copy.jsonl
	# after the checkpoint of 10:45, and a checkpoint (of the same time)
	# after them
	local n
	n=$(wc -l <ledger.jsonl)
	{
		cat ledger.jsonl
		while read -r r; do
			jq -c --argjson n "$n" 'if .type == "cancel" then .halt = $n else . end' <<<"$r" |
			    while read -r x; do entry "$x"; done
		done <recs.jsonl
		tail -n 1 ledger.jsonl
	} >edited.jsonl
	forge edited.jsonl
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --regexp "^FAIL: ledger.jsonl:[0-9]+: entry $n: halt: time 2098-01-01T09:50:00Z is before the time of the checkpoint at entry [0-9]+: backdated$"
}

@test "halt: make demo: a halted hour in zone nord (halt/) cancels nord's contracts in it; kn2 buys that hour from the utility; its ledger verifies" {
	need_faketime
	run -0 --separate-stderr "$TOP/examples/demo.sh" d
	assert_line --regexp '^halt +/.*/d/halt/: zone nord \(kn1-kn3\) halted 12:00-13:00 by the operator, a feeder fault;$'
	assert_line --regexp '^ +2016-07-05T12:00:00\+02:00: contract kn[0-9] -> kn[0-9], [0-9]+ Wh cancelled \(halt at entry [0-9]+\)$'
	assert_line --regexp '^ +ledger.jsonl: OK: .* 48 slots settled'
	# kn2's 12:00: 70 Wh bought from kn6 in the day's ledger, none here
	local q='.rec | select(.type=="settlement" and .participant=="kn2" and .slot=="2016-07-05T12:00:00+02:00") | [.bought_wh, .p2p_paid]'
	assert_equal "$(jq -c "$q" d/ledger.jsonl)" "[70,10714]"
	assert_equal "$(jq -c "$q" d/halt/ledger.jsonl)" "[0,0]"
}

@test "island: a halt of kind island holds and cancels nothing; hill's deviations are shared among hill's members at the island price, no utility; town settles with the utility; ledger-verify replays it" {
	contracted "$S0"
	# alice sells bob 1000 Wh in 10:00, both in hill
	{ order alice sell 1000 100000 "$S1"; order bob buy 1000 200000 "$S1"; } >o.jsonl
	denki-clear -c coop.yaml o.jsonl >c.jsonl
	denki-contract-sign -c coop.yaml c.jsonl >/dev/null
	run -0 --separate-stderr denki-halt -c coop.yaml --island -z hill --from "$S1" --until "$S2" -m "the utility's line is down"
	assert_equal "$(jq -r .type <<<"$output")" "halt"
	assert_equal "$(jq -r .kind <<<"$output")" "island"
	# alice exports 200 Wh more than her contract, bob takes 70 Wh more,
	# dave (town) imports 300 Wh
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s}\n' \
	    alice-m "$S1" 0 1200 bob-m "$S1" 1070 0 dave-m "$S1" 300 0 >r.jsonl
	run -0 --separate-stderr denki-settle -c coop.yaml r.jsonl
	# 70 Wh matched at (300000 + 100000) / 2 = 200000 a kWh: 14000
	assert_equal "$(jq -r 'select(.type=="settlement") | "\(.participant) \(.deviation_wh) \(.island // false) \(.island_paid // "-") \(.island_received // "-") \(.utility_paid) \(.utility_received)"' <<<"$output")" \
	    "alice 200 true 0 14000 0 0
bob -70 true 14000 0 0 0
dave -300 false - - 90000 0"
	assert_equal "$(jq -r 'select(.type=="transfer" and (.reason=="island" or .from=="utility" or .to=="utility")) | "\(.from) \(.to) \(.amount) \(.reason)"' <<<"$output")" \
	    "dave utility 90000 shortfall
bob alice 14000 island"
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --partial ": OK: "
}

@test "attack: island money kept back: an island settlement whose shares do not follow the rule fails ledger-verify" {
	contracted "$S0"
	{ order alice sell 1000 100000 "$S1"; order bob buy 1000 200000 "$S1"; } >o.jsonl
	denki-clear -c coop.yaml o.jsonl >c.jsonl
	denki-contract-sign -c coop.yaml c.jsonl >/dev/null
	denki-halt -c coop.yaml --island -z hill --from "$S1" --until "$S2" -m "the utility's line is down" >/dev/null 2>&1
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s}\n' \
	    alice-m "$S1" 0 1200 bob-m "$S1" 1070 0 >r.jsonl
	denki-settle -c coop.yaml r.jsonl >/dev/null 2>&1
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	# the operator keeps half of what bob pays in: alice gets 7000, the
	# operator 7000 (the sums still zero)
	local n
	n=$(grep -n '"reason":"island"' ledger.jsonl | cut -d: -f1)
	{
		head -n $((n - 1)) ledger.jsonl | while read -r l; do
			if [[ $l == *'"participant":"alice"'*'"type":"settlement"'* ]]; then
				entry "$(jq -cS '.rec | .island_received = 7000 | .net -= 7000' <<<"$l")"
			else
				printf '%s\n' "$l"
			fi
		done
		entry "$(sed -n "${n}p" ledger.jsonl | jq -cS '.rec | .amount = 7000')"
		entry "$(sed -n "${n}p" ledger.jsonl | jq -cS '.rec | .amount = 7000 | .to = "operator"')"
		tail -n +$((n + 1)) ledger.jsonl
	} >edited.jsonl
	forge edited.jsonl
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --regexp "^FAIL: ledger.jsonl:[0-9]+: entry [0-9]+: settlement of slot ${S1/+/\\+} differs from the replay: field (island_received|net)"
}

@test "attack: an order put between a halt and its cancel: settle refuses the ledger before it appends, as ledger-verify does" {
	contracted "$S1"
	denki-halt -c coop.yaml -z hill --from "$S1" --until "$S3" -m "feeder 3 fault" >/dev/null 2>&1
	local n order
	n=$(grep -n '"type":"halt"' ledger.jsonl | cut -d: -f1)
	order=$(jq -c 'select(.rec.type=="order") | .rec' ledger.jsonl | head -n 1)
	{
		head -n "$n" ledger.jsonl
		entry "$order"
		tail -n +"$((n + 1))" ledger.jsonl
	} >edited.jsonl
	forge edited.jsonl
	cp ledger.jsonl before.jsonl
	run -1 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --regexp "but a order record came before its cancel record$"
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s}\n' \
	    alice-m "$S1" 0 1000 bob-m "$S1" 1000 0 carol-m "$S1" 0 500 dave-m "$S1" 500 0 >r.jsonl
	run -65 --separate-stderr denki-settle -c coop.yaml r.jsonl
	assert_equal "$output" ""
	[[ $stderr == *"ledger.jsonl:$((n + 1)): entry $n: "*"but a order record came before its cancel record"* ]]
	cmp ledger.jsonl before.jsonl
}
