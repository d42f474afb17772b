#!/usr/bin/env bats
# denki-review and expert review: contract-sign holds a trade that meets a
# review rule as a pending record; a reviewer approves (the contract
# follows) or rejects it before its deadline; an undecided trade expires;
# ledger-verify proves every held trade was decided by the rules, and the
# attacks on it are refused.

load test_helper
load resign

SLOT=2099-01-01T10:00:00+00:00
DEADLINE=2099-01-01T09:45:00Z

setup() {
	common_setup
	make_community_once alice bob carol
	denki-keygen rita >/dev/null
	denki-keygen ron >/dev/null
	denki-registry request rita -s rita.key -r reviewer >rita.json
	denki-registry -c coop.yaml add -S 200000 rita.json >/dev/null
	denki-registry request ron -s ron.key -r reviewer >ron.json
	denki-registry -c coop.yaml add -S 50000 ron.json >/dev/null
	printf 'review:\n  value: 60000\n  lead_minutes: 15\n' >>coop.yaml
	# alice sells 1000 Wh at 135000: to bob 600 (worth 81000, held), to
	# carol 400 (54000, contracted)
	{
		order alice sell 1000 120000 "$SLOT"
		order bob buy 600 200000 "$SLOT"
		order carol buy 400 150000 "$SLOT"
	} >orders.jsonl
	denki-clear -c coop.yaml orders.jsonl >cleared.jsonl
	denki-contract-sign -c coop.yaml cleared.jsonl >signed.jsonl 2>signed.err
	PENDING=$(grep '"type":"pending"' signed.jsonl)
	PID=$(printf '%s' "$PENDING" | sha256sum | cut -c1-64)
}

# the line of the ledger holding the record of type $1 (the last one)
line_of() {
	grep -n "\"type\":\"$1\",\"v\":[0-9]*},\"seq\"" ledger.jsonl | tail -n 1 | cut -d: -f1
}

# forge RECORD...: the records appended to the ledger before its last
# checkpoint, every entry linked and that checkpoint signed again, as an
# operator holding its key could; the result in f.jsonl
forge() {
	local n r
	n=$(wc -l <ledger.jsonl)
	{
		head -n $((n - 1)) ledger.jsonl
		for r in "$@"; do
			printf '{"prev":"%064d","rec":%s,"seq":0,"type":"entry","v":2}\n' 0 "$r"
		done
		tail -n 1 ledger.jsonl
	} >edited.jsonl
	resign edited.jsonl "$n" >f.jsonl
}

# decision BY KEY DECISION TIME [PENDING-ID]: a review record signed with KEY
decision() {
	printf '{"by":"%s","comment":"forged","decision":"%s","pending":"%s","time":"%s","type":"review","v":1}\n' \
	    "$1" "$3" "${5:-$PID}" "$4" | sign_with "$2"
}

# the contract of the pending trade, naming decision $1
approved_contract() {
	jq -cS --arg r "$(printf '%s' "$1" | sha256sum | cut -c1-64)" \
	    '.contract + {review: $r}' <<<"$PENDING"
}

# the slot's readings: alice exports 1000 Wh, bob takes 600, carol 400
readings() {
	local m
	for m in alice-m:0:1000 bob-m:600:0 carol-m:400:0; do
		IFS=: read -r id imp exp <<<"$m"
		printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s}\n' \
		    "$id" "$SLOT" "$imp" "$exp"
	done
}

verify_fails() {
	run -1 --separate-stderr denki-ledger-verify -p operator.pub f.jsonl
	assert_output --regexp "$1"
}

@test "review: contract-sign holds the trade worth more than review.value as a pending record with its reasons and deadline; the rest is contracted" {
	assert_equal "$(cat signed.err)" "denki-contract-sign: cleared.jsonl:6: 1 trade(s) held for review"
	assert_equal "$(jq -r .type signed.jsonl | sort | tr '\n' ' ')" "contract pending "
	assert_equal "$(jq -c '[.contract.buyer,.contract.wh,.reasons,.deadline,.slot]' <<<"$PENDING")" \
	    "[\"bob\",600,[\"value: 81000 micro-units, over 60000\"],\"$DEADLINE\",\"$SLOT\"]"
	assert_equal "$(jq -r 'select(.type == "contract") | .buyer' signed.jsonl)" carol
	# the rules in force carry the review rules: version 3
	assert_equal "$(jq -c 'select(.rec.type == "rules") | [.rec.v,.rec.review]' ledger.jsonl)" \
	    '[3,{"lead_minutes":15,"value":60000}]'
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --partial "1 contracts (400 Wh)"
}

@test "review: the queue lists the pending trade with its reasons and its parties' evidence" {
	run -0 --separate-stderr denki-review -c coop.yaml
	assert_equal "${#lines[@]}" 1
	assert_equal "$(jq -c '[.type,.id,.seller,.buyer,.wh,.price,.value,.reasons,.deadline]' <<<"$output")" \
	    "[\"queued\",\"$PID\",\"alice\",\"bob\",600,135000,81000,[\"value: 81000 micro-units, over 60000\"],\"$DEADLINE\"]"
	# alice's contract with carol is her recent history; bob has none
	assert_equal "$(jq -c '.seller_evidence | [.id,.role,.contracts]' <<<"$output")" \
	    "[\"alice\",\"prosumer\",[{\"price\":135000,\"side\":\"sell\",\"slot\":\"$SLOT\",\"wh\":400,\"with\":\"carol\"}]]"
	assert_equal "$(jq -c '.buyer_evidence | [.id,.contracts,.settlements,.days]' <<<"$output")" '["bob",[],[],0]'
}

@test "review approve: the signed decision and the contract, one commit under a checkpoint; the queue is empty; ledger-verify counts the contract" {
	run -0 --separate-stderr denki-review -c coop.yaml approve "${PID:0:12}" -k rita.key -m "meter checked"
	assert_equal "${#lines[@]}" 2
	assert_equal "$(jq -c '[.type,.decision,.pending,.by,.comment]' <<<"${lines[0]}")" \
	    "[\"review\",\"approve\",\"$PID\",\"rita\",\"meter checked\"]"
	assert_equal "${lines[1]}" "$(approved_contract "${lines[0]}")"
	assert_equal "$(tail -n 3 ledger.jsonl | jq -r .rec.type | tr '\n' ' ')" "review contract checkpoint "
	run -0 denki-review -c coop.yaml
	assert_output ""
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --partial "2 contracts (1000 Wh)"
	assert_output --partial "; 1 trade held for review: 1 approved, 0 rejected, 0 expired"
}

@test "review reject: a decision and no contract; the trade is never contracted" {
	run -0 --separate-stderr denki-review -c coop.yaml reject "$PID" -k rita.key -m "price too far off"
	assert_equal "$(jq -r .decision <<<"$output")" reject
	assert_equal "$(tail -n 2 ledger.jsonl | jq -r .rec.type | tr '\n' ' ')" "review checkpoint "
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --partial "1 contracts (400 Wh)"
	run -0 denki-ledger-verify -j -p operator.pub ledger.jsonl
	assert_equal "$(jq -c '[.held,.approved,.rejected,.expired]' <<<"$output")" '[1,0,1,0]'
}

@test "review: a member's key, an out-of-scope reviewer, a second decision, an unknown id and a missing comment are refused; the ledger unchanged" {
	cp ledger.jsonl before
	run -77 --separate-stderr denki-review -c coop.yaml approve "$PID" -k alice.key -m ok
	assert_equal "$stderr" "denki-review: by: alice is prosumer, not an active reviewer"
	run -77 --separate-stderr denki-review -c coop.yaml approve "$PID" -k ron.key -m ok
	assert_equal "$stderr" "denki-review: by: ron may approve trades worth up to 50000 micro-units (its scope); this one is worth 81000"
	denki-keygen stranger >/dev/null
	run -77 --separate-stderr denki-review -c coop.yaml approve "$PID" -k stranger.key -m ok
	assert_equal "$stderr" "denki-review: -k stranger.key: not the key of a registered participant"
	run -65 --separate-stderr denki-review -c coop.yaml approve 0123456789abcdef -k rita.key -m ok
	assert_equal "$stderr" "denki-review: 0123456789abcdef: no trade of the ledger waits for review under this id"
	run -64 --separate-stderr denki-review -c coop.yaml approve "$PID" -k rita.key
	assert_equal "${stderr_lines[0]}" "denki-review: approve: -k (the reviewer's secret key) and -m (why) are required"
	cmp ledger.jsonl before
	# ron may reject what it could not approve; then nobody decides again
	run -0 denki-review -c coop.yaml reject "$PID" -k ron.key -m "too big for me"
	cp ledger.jsonl before
	run -65 --separate-stderr denki-review -c coop.yaml approve "$PID" -k rita.key -m ok
	assert_regex "$stderr" "^denki-review: pending ${PID:0:16}\.\.\.: already decided \(reject by ron at [0-9T:-]+Z\): one decision a trade$"
	cmp ledger.jsonl before
}

@test "review: after its deadline a trade leaves the queue and cannot be decided: it expires, nothing appended" {
	need_faketime
	cp ledger.jsonl before
	run -0 at '2099-01-01 09:44:00' denki-review -c coop.yaml
	assert_equal "$(jq -r .id <<<"$output")" "$PID"
	run -0 at '2099-01-01 09:46:00' denki-review -c coop.yaml
	assert_output ""
	run -65 --separate-stderr at '2099-01-01 09:46:00' denki-review -c coop.yaml approve "$PID" -k rita.key -m late
	assert_equal "$stderr" "denki-review: time: 2099-01-01T09:46:00Z is after the trade's deadline $DEADLINE: it expired undecided"
	cmp ledger.jsonl before
}

@test "review: a trade rejected or expired settles as if never made: the seller's energy goes to the utility at buyback, the buyer's comes from it at retail" {
	need_faketime
	denki-review -c coop.yaml reject "$PID" -k rita.key -m no >/dev/null
	readings >readings.jsonl
	run -0 --separate-stderr at '2099-01-01 11:00:00' denki-settle -c coop.yaml readings.jsonl
	# the ledger's last checkpoint is past the deadline: none expired (it
	# was rejected); verified below
	# alice sold 400 Wh to carol only: 600 Wh more at buyback, 100000 a kWh
	assert_equal "$(jq -c 'select(.type == "settlement" and .participant == "alice") | [.sold_wh,.deviation_wh,.utility_received]' <<<"$output")" '[400,600,60000]'
	# bob bought nothing: his 600 Wh from the utility at retail, 300000
	assert_equal "$(jq -c 'select(.type == "settlement" and .participant == "bob") | [.bought_wh,.deviation_wh,.utility_paid,.p2p_paid]' <<<"$output")" '[0,-600,180000,0]'
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "attack: operator appends a contract for a trade meeting a review rule without approval: ledger-verify refuses it" {
	n=$(grep -n '"type":"pending"' ledger.jsonl | cut -d: -f1)
	{
		head -n $((n - 1)) ledger.jsonl
		sed -n "${n}p" ledger.jsonl | jq -c '.rec |= .contract'
		tail -n +$((n + 1)) ledger.jsonl
	} >edited.jsonl
	resign edited.jsonl "$n" >f.jsonl
	verify_fails "contract of alice to bob: the review rules in force hold it \(value: 81000 micro-units, over 60000\), and it was contracted without a reviewer's approval"
	# nor may the operator hold a trade no rule holds, nor change its reasons
	n=$(grep -n '"buyer":"carol"' ledger.jsonl | grep -v pending | tail -n 1 | cut -d: -f1)
	{
		head -n $((n - 1)) ledger.jsonl
		sed -n "${n}p" ledger.jsonl | jq -cS --arg d "$DEADLINE" '.rec |= {type: "pending", v: 1, slot: .slot, contract: ., reasons: ["value"], deadline: $d}'
		tail -n +$((n + 1)) ledger.jsonl
	} >edited.jsonl
	resign edited.jsonl "$n" >f.jsonl
	verify_fails "pending: the trade of alice to carol meets no review rule in force: it must be a contract"
}

@test "attack: approval by a member key: ledger-verify refuses it" {
	d=$(decision alice alice.key approve 2026-12-01T00:00:00Z)
	forge "$d" "$(approved_contract "$d")"
	verify_fails "by: alice is prosumer, not an active reviewer"
	# a reviewer's name on a decision another key signed
	d=$(decision rita alice.key approve 2026-12-01T00:00:00Z)
	forge "$d" "$(approved_contract "$d")"
	verify_fails "review by rita: sig: bad signature"
}

@test "attack: approval after the deadline, by its time or by a checkpoint dated after it: ledger-verify refuses it" {
	need_faketime
	d=$(decision rita rita.key approve 2099-01-01T09:50:00Z)
	forge "$d" "$(approved_contract "$d")"
	verify_fails "time: 2099-01-01T09:50:00Z is after the trade's deadline $DEADLINE"
	# backdated by a reviewer who colludes: the ledger's own checkpoint,
	# dated after the deadline, comes before it (one dated before the
	# next checkpoint's time bounds it: within that, the ledger cannot tell)
	at '2099-01-01 09:50:00' denki-registry -c coop.yaml update carol -w 5000 >/dev/null
	at '2099-01-01 09:55:00' denki-registry -c coop.yaml update carol -w 6000 >/dev/null
	d=$(decision rita rita.key approve 2099-01-01T09:40:00Z)
	forge "$d" "$(approved_contract "$d")"
	verify_fails "a checkpoint before the decision is dated 2099-01-01T09:50:00Z, after the trade's deadline: it expired undecided"
}

@test "attack: two decisions for one trade: ledger-verify refuses the second" {
	denki-review -c coop.yaml reject "$PID" -k ron.key -m no >/dev/null
	d=$(decision rita rita.key approve 2026-12-01T00:00:00Z)
	forge "$d" "$(approved_contract "$d")"
	verify_fails "already decided \(reject by ron at .*\): one decision a trade"
}

@test "attack: approval by a reviewer out of its scope: ledger-verify refuses it" {
	d=$(decision ron ron.key approve 2026-12-01T00:00:00Z)
	forge "$d" "$(approved_contract "$d")"
	verify_fails "by: ron may approve trades worth up to 50000 micro-units \(its scope\); this one is worth 81000"
}

@test "attack: a settlement of a rejected trade: its contract, or a settlement as if it were contracted, is refused by ledger-verify" {
	need_faketime
	denki-review -c coop.yaml reject "$PID" -k rita.key -m no >/dev/null
	rej=$(jq -c 'select(.rec.type == "review") | .rec' ledger.jsonl)
	# the contract, naming the rejection
	forge "$(approved_contract "$rej")"
	verify_fails "contract: review: [0-9a-f]{64}: not the approve decision just before it"
	# settled as if contracted: the settlement differs from the replay
	readings >readings.jsonl
	at '2099-01-01 11:00:00' denki-settle -c coop.yaml readings.jsonl >/dev/null
	n=$(grep -n '"participant":"alice".*"type":"settlement"' ledger.jsonl | cut -d: -f1)
	{
		head -n $((n - 1)) ledger.jsonl
		sed -n "${n}p" ledger.jsonl | jq -c '.rec.sold_wh = 1000 | .rec.deviation_wh = 0'
		tail -n +$((n + 1)) ledger.jsonl
	} >edited.jsonl
	resign edited.jsonl "$n" >f.jsonl
	verify_fails "settlement .*differs from the replay"
}

@test "review: an approve must be followed by its contract, and that contract must be the pending trade's" {
	d=$(decision rita rita.key approve 2026-12-01T00:00:00Z)
	forge "$d"
	verify_fails "the approve decision [0-9a-f]{16}\.\.\. is not followed by the contract of its trade"
	forge "$d" "$(approved_contract "$d" | jq -cS '.wh = 700')"
	verify_fails "contract: field wh differs from the approved trade's"
}

# slot N (0, 1, ...) of tomorrow, from 10:00 UTC, and its orders
tslot() {
	printf '%sT%02d:%02d:00+00:00' "$(date -u -d '+1 day' +%Y-%m-%d)" \
	    $((10 + $1 / 2)) $((30 * ($1 % 2)))
}

# sign_slot N SELLER BUYER WH SELL-PRICE BUY-PRICE -D...: one trade cleared
# and signed under the settings given; the reasons of what was held
sign_slot() {
	local n=$1 s=$2 b=$3 wh=$4 sp=$5 bp=$6
	shift 6
	{
		order "$s" sell "$wh" "$sp" "$(tslot "$n")"
		order "$b" buy "$wh" "$bp" "$(tslot "$n")"
	} >o$n.jsonl
	denki-clear -c coop.yaml o$n.jsonl >c$n.jsonl
	denki-contract-sign -c coop.yaml "$@" c$n.jsonl 2>/dev/null |
	    jq -r 'select(.type == "pending") | .reasons[]'
}

@test "review rules: volume, the price band, tenure, the credit floor, a consumer selling, a seller past its capacity; ledger-verify judges each trade again" {
	off="-D review.value=0"
	run -0 sign_slot 0 alice bob 600 100000 200000 $off -D review.wh=500
	assert_output "volume: 600 Wh, over 500"
	# the recent clearing prices: 135000 (setup's slot), then 150000 twice
	run -0 sign_slot 1 alice bob 100 150000 150000 $off -D review.wh=500
	assert_output ""
	run -0 sign_slot 2 alice bob 100 200000 200000 $off -D review.band_pct=20 -D review.band_slots=2
	assert_output "price: 200000 per kWh, outside 120000 to 180000 (20% around 150000, the median of the last 2 clearing prices)"
	run -0 sign_slot 3 alice bob 100 150000 150000 $off -D review.tenure_days=30
	assert_output --regexp "^tenure: alice enrolled [01] days before the slot, under 30
tenure: bob enrolled [01] days before the slot, under 30$"
	run -0 sign_slot 4 alice bob 100 150000 150000 $off -D review.credit_floor=900
	assert_output --regexp "^credit: alice scores 80[01], under 900
credit: bob scores 80[01], under 900$"
	denki-registry -c coop.yaml update carol -r consumer >/dev/null
	denki-registry -c coop.yaml update alice -C 500 >/dev/null
	run -0 sign_slot 5 carol bob 100 150000 150000 $off -D review.roles=yes
	assert_output "role: carol is a consumer and sells"
	run -0 sign_slot 6 alice bob 600 150000 150000 $off -D review.roles=yes
	assert_output "capacity: alice sells 600 Wh in the slot, over its registered capacity of 500 Wh"
	run -0 sign_slot 7 alice bob 500 150000 150000 $off -D review.roles=yes
	assert_output ""
	assert_equal "$(grep -c '"type":"pending"' ledger.jsonl)" 7
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	# the queue: the first trade and these six, in the ledger's order
	run -0 denki-review -c coop.yaml
	assert_equal "${#lines[@]}" 7
}

@test "make demo: in demo/review the largest trade over review.value is approved by the reviewer, its contract after her decision; the rest expire; the ledger verifies" {
	need_faketime
	run -0 --separate-stderr "$TOP/examples/demo.sh" d
	assert_line --regexp '^review         [0-9]+ trades worth more than 0\.05 EUR held for review \(demo/review\);$'
	assert_line --regexp '^               rita approved the largest, kn[0-9] to kn[0-9], [0-9]+ Wh at 2016-07-05T[0-9:]+\+02:00, [0-9]+ micro-EUR:$'
	cd d/review
	assert_equal "$(jq -r .type approved.jsonl | tr '\n' ' ')" "review contract "
	assert_equal "$(jq -r .by approved.jsonl | head -n 1)" rita
	[ "$(jq -s 'max_by(.value) | .value' queue.jsonl)" -gt 50000 ]
	assert_equal "$(jq -c 'select(.rec.type == "participant" and .rec.id == "rita") | [.rec.role, .rec.scope]' ledger.jsonl)" '["reviewer",2000000]'
	# the approved trade settled as a contract; the held ones not approved never did
	assert_equal "$(jq -c 'select(.rec.type == "contract" and .rec.review) | .rec.review' ledger.jsonl)" \
	    "\"$(head -n 1 approved.jsonl | tr -d '\n' | sha256sum | cut -c1-64)\""
	run -0 denki-ledger-verify -p operator.pub -O ledger.jsonl.openings ledger.jsonl
}

@test "review(1) EXAMPLES: the queue one line a trade, then the approval, as the page writes them" {
	run -0 --separate-stderr bash -c "denki-review -c coop.yaml | jq -r '\"\\(.id[:12]) \\(.reasons[])\"'"
	assert_output "${PID:0:12} value: 81000 micro-units, over 60000"
	cp rita.key r.key
	run -0 --separate-stderr denki-review -c coop.yaml approve "${PID:0:12}" -k r.key \
	    -m "meter and history checked"
	assert_equal "$(jq -r .comment <<<"${lines[0]}")" "meter and history checked"
}

@test "review -h: the usage on stdout, 0; a bad command or option: the usage on stderr, 64; no ledger: 66" {
	run -0 --separate-stderr denki-review -h
	assert_equal "${lines[0]}" "usage: denki-review [-c config] [-D key=value] [list]"
	assert_equal "${lines[1]}" "       denki-review [-n] [-c config] [-D key=value] approve|reject ID -k key -m comment"
	assert_equal "${lines[2]}" "       denki-review [-c config] [-D key=value] add [decision]"
	local usage=$output
	run -64 --separate-stderr denki-review -c coop.yaml accept "$PID"
	assert_equal "$stderr" "$usage"
	run -64 --separate-stderr denki-review -c coop.yaml list extra
	run -64 --separate-stderr denki-review -n -c coop.yaml list
	run -64 --separate-stderr denki-review -c coop.yaml add a.json b.json
	run -64 --separate-stderr denki-review -c coop.yaml approve "$PID" -k rita.key -m ok extra
	run -64 --separate-stderr denki-review -c coop.yaml approve xyz -k rita.key -m ok
	assert_equal "$stderr" "denki-review: xyz: a pending trade's id is 8 to 64 lowercase hex digits (denki review lists them)"
	run -66 --separate-stderr denki-review -c coop.yaml -D ledger=none.jsonl approve "$PID" -k rita.key -m ok
	assert_equal "$stderr" "denki-review: none.jsonl: no ledger, so no trade waits for review"
	[ ! -e none.jsonl ]
	run -0 --separate-stderr denki-review -c coop.yaml -D ledger=none.jsonl
	assert_output ""
}

@test "review -n and add: the reviewer signs on a copy of the ledger, away from the operator's key; the operator appends the decision it cannot change" {
	mkdir reviewer
	cp ledger.jsonl rita.key reviewer/
	cp ledger.jsonl before
	# the reviewer's machine: a copy of the ledger, no operator key
	(cd reviewer && denki-review -n -D ledger=ledger.jsonl approve "${PID:0:10}" -k rita.key -m "seen on my copy" >../decision.json)
	cmp ledger.jsonl before
	assert_equal "$(jq -c '[.type,.decision,.by,.pending]' decision.json)" "[\"review\",\"approve\",\"rita\",\"$PID\"]"
	# the operator cannot change what the reviewer signed
	jq -c '.comment = "changed"' decision.json >changed.json
	run -65 --separate-stderr denki-review -c coop.yaml add changed.json
	assert_equal "$stderr" "denki-review: review by rita: sig: bad signature: the record was not signed by this key, or was changed after signing"
	cmp ledger.jsonl before
	run -0 --separate-stderr denki-review -c coop.yaml add decision.json
	assert_equal "${lines[0]}" "$(cat decision.json)"
	assert_equal "${lines[1]}" "$(approved_contract "$(cat decision.json)")"
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	# a decision is added once
	run -65 --separate-stderr denki-review -c coop.yaml add <decision.json
	assert_output ""
	assert_regex "$stderr" "already decided \(approve by rita"
}

@test "review: contract-sign says when a slot's held trades are past their deadline already (signed late): they expire, nothing to decide" {
	{
		order alice sell 1000 120000 2026-01-01T10:00:00+00:00
		order bob buy 1000 200000 2026-01-01T10:00:00+00:00
	} >late.jsonl
	denki-clear -c coop.yaml late.jsonl >late-cleared.jsonl
	run -0 --separate-stderr denki-contract-sign -c coop.yaml late-cleared.jsonl
	assert_equal "$stderr" "denki-contract-sign: late-cleared.jsonl:4: 1 trade(s) held for review, past the deadline already: they expire"
	assert_equal "$(jq -r .deadline <<<"$output")" 2026-01-01T09:45:00Z
	# not in the queue; the pending trade of setup is
	run -0 denki-review -c coop.yaml
	assert_equal "$(jq -r .id <<<"$output")" "$PID"
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
}

@test "ledger-verify: an undecided trade counts as expired once a checkpoint is dated past its deadline, and not before" {
	need_faketime
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --partial "; 1 trade held for review: 0 approved, 0 rejected, 0 expired"
	at '2099-01-01 09:46:00' denki-registry -c coop.yaml update carol -w 5000 >/dev/null
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	assert_output --partial "; 1 trade held for review: 0 approved, 0 rejected, 1 expired"
}
