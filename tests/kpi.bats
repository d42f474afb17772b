#!/usr/bin/env bats
# denki-kpi: the KPIs of a period beside their targets, from the ledger
# alone and the members' receipts, and each member's credit score.
# The cooperative's clock is moved with faketime, so that every bound
# (the checkpoint times) is known to the second.

load test_helper
load resign

READINGS=open
S1=2026-01-01T10:00:00+00:00
S2=2026-01-01T10:30:00+00:00
S3=2026-01-02T10:00:00+00:00

reading() {
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s}\n' "$@"
}

# slot NAME TIME: NAME's orders (orders-NAME.jsonl) taken by the intake at
# TIME, their receipts kept in receipts.jsonl
intake_at() {
	at "$2" denki-intake -c coop.yaml "orders-$1.jsonl" >>receipts.jsonl
}

# cleared NAME TIME: NAME's orders cleared and signed into the ledger at
# TIME (one append, one checkpoint at TIME)
cleared_at() {
	denki-clear -c coop.yaml "orders-$1.jsonl" >"cleared-$1.jsonl"
	at "$2" denki-contract-sign -c coop.yaml "cleared-$1.jsonl" >/dev/null
}

# community: enrolled on 2025-12-01, its intake key (gate closure 30
# minutes before each slot) named the same day; the orders of S1, S2 and
# S3 in orders-S*.jsonl
community() {
	at '2025-12-01 00:00:00' make_community
	denki-keygen intake >/dev/null
	printf 'intake:\n  key: intake.key\n  pub: intake.pub\ngate_closure_minutes: 30\n' >>coop.yaml
	at '2025-12-01 00:10:00' denki-intake -c coop.yaml --publish >/dev/null
	{
		order alice sell 1010 120000 $S1
		order bob buy 600 200000 $S1
		order carol buy 410 150100 $S1
	} >orders-S1.jsonl
	{
		order alice sell 300 100000 $S2
		order bob buy 200 120000 $S2
		order carol buy 100 90000 $S2
	} >orders-S2.jsonl
	{
		order alice sell 100 250000 $S3
		order bob buy 100 200000 $S3
	} >orders-S3.jsonl
}

# day2: S3, the next day: alice asks more than bob bids, nothing matched
day2() {
	intake_at S3 '2026-01-02 09:00:00'
	cleared_at S3 '2026-01-02 09:31:00'
}

# The community's first day:
#  S1 (gate 09:30): alice sells 1010 to bob (600) and carol (410); orders
#     received at 09:00, cleared and contracted at 09:40;
#  S2 (gate 10:00): alice sells 300, bob buys 200, carol bids too low
#     for her 100; received at 09:40, contracted at 10:12.
# Settlement is each test's.
setup() {
	common_setup
	need_faketime
	community
	intake_at S1 '2026-01-01 09:00:00'
	cleared_at S1 '2026-01-01 09:40:00'
	intake_at S2 '2026-01-01 09:40:00'
	cleared_at S2 '2026-01-01 10:12:00'
	{
		reading alice-m $S1 5 1000
		reading bob-m $S1 590 0
		reading carol-m $S1 410 0
		reading alice-m $S2 0 300
		reading bob-m $S2 200 0
		reading carol-m $S2 50 0
	} >readings.jsonl
}

# kpi NAME: the field of the kpi record NAME in $output
kpi() {
	jq -c --arg k "$1" 'select(.kpi == $k) | del(.type, .v, .kpi, .period)' <<<"$output"
}

# append RECORD...: the records appended, each as an entry, with a
# checkpoint after them, as the operator's writer would (its time the last
# checkpoint's)
append() {
	local from r
	from=$(($(wc -l <ledger.jsonl) + 1))
	for r in "$@"; do
		printf '{"prev":"%064d","rec":%s,"seq":0,"type":"entry","v":2}\n' 0 \
		    "$(jq -cS . <<<"$r")"
	done >>ledger.jsonl
	grep '"type":"checkpoint"' ledger.jsonl | tail -n 1 >>ledger.jsonl
	resign ledger.jsonl "$from" >ledger.new && mv ledger.new ledger.jsonl
}

@test "kpi: a day's KPIs beside their targets, each number from the ledger and the receipts" {
	at '2026-01-01 11:20:00' denki-settle -c coop.yaml readings.jsonl >/dev/null
	run -0 --separate-stderr denki-kpi -c coop.yaml -j -P 2026-01-01 -R receipts.jsonl
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 7
	# matched 1010 (S1) + 200 (S2) of min(offered, wanted): 1010 + 300
	assert_equal "$(kpi matching_rate)" '{"den":1310,"met":true,"num":1210,"target_bp":9000,"value_bp":9236}'
	assert_equal "$(kpi automatic_contracts)" '{"den":3,"met":true,"num":3,"target_bp":9500,"value_bp":10000}'
	# S1: alice, bob, carol; S2: alice, bob; each on its readings
	assert_equal "$(kpi settlement_completion)" '{"den":5,"met":true,"num":5,"target_bp":9900,"value_bp":10000}'
	# S1's three receipts: from the gate (09:30, after 09:00) to the
	# checkpoint of 09:40; S2's: from 10:00 to 10:12
	assert_equal "$(kpi receipt_to_clearing)" '{"censored":0,"early":0,"limit":900,"max":720,"met":true,"n":6,"over":0,"p50":600,"p99":720,"unbounded":0}'
	# the same bounds, slot by slot
	assert_equal "$(kpi clearing_to_contract)" '{"early":0,"limit":1800,"max":720,"met":true,"n":2,"over":0,"p50":600,"p99":720,"unbounded":0}'
	# settled at 11:20: S1 ended at 10:30, S2 at 11:00
	assert_equal "$(kpi end_to_settlement)" '{"early":0,"limit":3600,"max":3000,"met":true,"n":2,"over":0,"p50":1200,"p99":3000,"unbounded":0}'
	n=$(wc -l <ledger.jsonl)
	assert_equal "${lines[6]}" '{"entries":'"$n"',"from":"2026-01-01T00:00:00Z","met":true,"period":"2026-01-01","slots":2,"to":"2026-01-02T00:00:00Z","type":"kpis","v":1}'
	# the same as text
	run -0 --separate-stderr denki-kpi -c coop.yaml -P 2026-01-01 -R receipts.jsonl
	assert_line --index 0 "period 2026-01-01: 2 slots cleared, $n ledger entries read"
	assert_line --regexp '^matching rate +92\.36% +>= 90% +yes +1210 of 1310 Wh matchable$'
	assert_line --regexp '^slot end to settlement +p50 0:20:00 +p99 0:50:00 +max 0:50:00 +<= 1:00:00 +yes +2 measured, 0 over$'
	assert_line 'every KPI measured met its target'
}

@test "kpi: a settlement late by a quarter of an hour misses its target: exit 1, for cron to mail" {
	at '2026-01-01 11:45:00' denki-settle -c coop.yaml readings.jsonl >/dev/null
	run -1 --separate-stderr denki-kpi -c coop.yaml -j -P 2026-01-01
	# S1 ended at 10:30, S2 at 11:00
	assert_equal "$(kpi end_to_settlement)" '{"early":0,"limit":3600,"max":4500,"met":false,"n":2,"over":1,"p50":2700,"p99":4500,"unbounded":0}'
	# without receipts, receipt to clearing is not measured
	assert_equal "$(kpi receipt_to_clearing)" '{"early":0,"limit":900,"max":null,"met":null,"n":0,"over":0,"p50":null,"p99":null,"unbounded":0}'
	assert_equal "$(jq -c 'select(.type == "kpis") | .met' <<<"$output")" false
	run -1 --separate-stderr denki-kpi -c coop.yaml -P 2026-01-01
	assert_line --regexp '^slot end to settlement +p50 0:45:00 +p99 1:15:00 +max 1:15:00 +<= 1:00:00 +NO +2 measured, 1 over$'
	assert_line 'a KPI missed its target'
}

@test "kpi: a day with nothing matched misses the matching rate; slots not yet settled are unbounded" {
	day2
	run -1 --separate-stderr denki-kpi -c coop.yaml -j -P 2026-01-02
	assert_equal "$(kpi matching_rate)" '{"den":100,"met":false,"num":0,"target_bp":9000,"value_bp":0}'
	# no trade: no contract to count, nothing to settle
	assert_equal "$(kpi automatic_contracts)" '{"den":0,"met":null,"num":0,"target_bp":9500,"value_bp":null}'
	assert_equal "$(kpi settlement_completion)" '{"den":0,"met":null,"num":0,"target_bp":9900,"value_bp":null}'
	# the first day, before settlement: nothing settled, nothing bounded
	run -1 --separate-stderr denki-kpi -c coop.yaml -j -P 2026-01-01
	assert_equal "$(kpi settlement_completion)" '{"den":5,"met":false,"num":0,"target_bp":9900,"value_bp":0}'
	assert_equal "$(kpi end_to_settlement)" '{"early":0,"limit":3600,"max":null,"met":false,"n":2,"over":2,"p50":null,"p99":null,"unbounded":2}'
	# the whole ledger: 1210 of 1410
	run -1 --separate-stderr denki-kpi -c coop.yaml -j
	assert_equal "$(kpi matching_rate)" '{"den":1410,"met":false,"num":1210,"target_bp":9000,"value_bp":8581}'
}

@test "kpi: a provisional settlement counts as complete only once trued up" {
	grep -v '"carol-m","slot":"2026-01-01T10:00' readings.jsonl >early.jsonl
	grep '"carol-m","slot":"2026-01-01T10:00' readings.jsonl >late.jsonl
	# past settle's deadline for S1 (30 minutes after its end), carol
	# settled without her reading
	at '2026-01-01 11:20:00' denki-settle -c coop.yaml -D settle.deadline_minutes=30 early.jsonl >/dev/null 2>&1
	run -1 --separate-stderr denki-kpi -c coop.yaml -j -P 2026-01-01
	assert_equal "$(kpi settlement_completion)" '{"den":5,"met":false,"num":4,"target_bp":9900,"value_bp":8000}'
	at '2026-01-01 12:30:00' denki-settle -c coop.yaml late.jsonl >/dev/null 2>&1
	run -0 --separate-stderr denki-kpi -c coop.yaml -j -P 2026-01-01
	assert_equal "$(kpi settlement_completion)" '{"den":5,"met":true,"num":5,"target_bp":9900,"value_bp":10000}'
}

@test "kpi: a trade held for review and decided by a person is not an automatic contract" {
	at '2026-01-01 11:20:00' denki-settle -c coop.yaml readings.jsonl >/dev/null
	# S2's trade held for review, then approved: the pending record
	# (the contract it would be), the reviewer's decision, the contract
	# naming it; and a trade of S1 held and never contracted (rejected or
	# expired), as lane review writes them
	n=$(grep -n '"type":"contract"' ledger.jsonl | grep -F "$S2" | head -n 1 | cut -d: -f1)
	con=$(sed -n "${n}p" ledger.jsonl | jq -cS .rec)
	pend=$(jq -cS '{type: "pending", v: 1, slot, contract: ., reasons: ["value"], deadline: "2026-01-01T10:00:00Z"}' <<<"$con")
	pid=$(printf '%s' "$pend" | sha256sum | cut -d' ' -f1)
	rev=$(jq -cnS --arg p "$pid" '{type: "review", v: 1, decision: "approve", pending: $p, comment: "ok", by: "carol", time: "2026-01-01T09:50:00Z"}' | sign_with carol.key | jq -cS .)
	con=$(jq -cS --arg r "$(printf '%s' "$rev" | sha256sum | cut -d' ' -f1)" '.review = $r' <<<"$con")
	other=$(jq -cS '.slot = "2026-01-01T10:00:00+00:00" | .contract.slot = .slot | .contract.sell_order = "x" | .contract.buy_order = "y"' <<<"$pend")
	{
		head -n $((n - 1)) ledger.jsonl
		for r in "$pend" "$rev" "$con" "$other"; do
			printf '{"prev":"%064d","rec":%s,"seq":0,"type":"entry","v":2}\n' 0 "$r"
		done
		tail -n +"$((n + 1))" ledger.jsonl
	} >edited.jsonl
	resign edited.jsonl "$n" >ledger.jsonl
	run -1 --separate-stderr denki-kpi -c coop.yaml -j -P 2026-01-01
	# S1's two contracts of four trades
	assert_equal "$(kpi automatic_contracts)" '{"den":4,"met":false,"num":2,"target_bp":9500,"value_bp":5000}'
	# S2's contract, made by a person, is not timed against the limit
	assert_equal "$(kpi clearing_to_contract)" '{"early":0,"limit":1800,"max":600,"met":true,"n":1,"over":0,"p50":600,"p99":600,"unbounded":0}'
}

@test "kpi: a contract cancelled by a halt owes no settlement" {
	at '2026-01-01 11:20:00' denki-settle -c coop.yaml readings.jsonl >/dev/null
	# S2's one contract cancelled (lane halt's cancel record, after its
	# halt): alice and bob owe S2 no settlement, and S2 none at all
	n=$(grep -n '"type":"contract"' ledger.jsonl | grep -F "$S2" | tail -n 1 | cut -d: -f1)
	c=$(sed -n "${n}p" ledger.jsonl | jq -cS '.rec | {type: "cancel", v: 1, halt: 0, slot, contract: 0, seller, buyer, wh}')
	{
		head -n "$n" ledger.jsonl
		printf '{"prev":"%064d","rec":%s,"seq":0,"type":"entry","v":2}\n' 0 "$c"
		tail -n +"$((n + 1))" ledger.jsonl
	} >edited.jsonl
	resign edited.jsonl "$((n + 1))" >ledger.jsonl
	run -0 --separate-stderr denki-kpi -c coop.yaml -j -P 2026-01-01
	assert_equal "$(kpi settlement_completion)" '{"den":3,"met":true,"num":3,"target_bp":9900,"value_bp":10000}'
	assert_equal "$(kpi end_to_settlement)" '{"early":0,"limit":3600,"max":3000,"met":true,"n":1,"over":0,"p50":3000,"p99":3000,"unbounded":0}'
	# still made without a person
	assert_equal "$(kpi automatic_contracts)" '{"den":3,"met":true,"num":3,"target_bp":9500,"value_bp":10000}'
}

@test "attack: a checkpoint made just before a late contract run does not shrink clearing to contract" {
	# S1's contracts signed at 10:20, 50 minutes after its gate; the
	# operator makes a checkpoint at 10:19 first (any append makes one),
	# so that the clearing entry looks one minute old
	mkdir late
	cd late
	community
	denki-keygen dave >/dev/null
	at '2026-01-01 10:19:00' enrol dave -m dave-m
	cleared_at S1 '2026-01-01 10:20:00'
	run -1 --separate-stderr denki-kpi -c coop.yaml -j -P 2026-01-01
	# from the gate (09:30), not from the checkpoint before the entries
	assert_equal "$(kpi clearing_to_contract)" '{"early":0,"limit":1800,"max":3000,"met":false,"n":1,"over":1,"p50":3000,"p99":3000,"unbounded":0}'
}

@test "attack: contracts signed before their slot's gate closed are counted apart, not as fast contracts, and miss the KPI" {
	# S1 (gate 09:30): its orders received at 09:00, cleared and
	# contracted at 09:10, twenty minutes before its book was final; S2
	# as every day; both settled on time. On the old main S1 counted as
	# -0:20:00, p50 negative, and the KPI as met
	mkdir early
	cd early
	community
	intake_at S1 '2026-01-01 09:00:00'
	cleared_at S1 '2026-01-01 09:10:00'
	# S1 alone: nothing measured, still not met
	run -1 --separate-stderr denki-kpi -c coop.yaml -j
	assert_equal "$(kpi clearing_to_contract)" '{"early":2,"limit":1800,"max":null,"met":false,"n":0,"over":0,"p50":null,"p99":null,"unbounded":0}'
	intake_at S2 '2026-01-01 09:40:00'
	cleared_at S2 '2026-01-01 10:12:00'
	at '2026-01-01 11:20:00' denki-settle -c coop.yaml ../readings.jsonl >/dev/null
	run -1 --separate-stderr denki-kpi -c coop.yaml -j -P 2026-01-01 -R receipts.jsonl
	assert_equal "$stderr" ""
	# S1's two contracts apart; S2's 12 minutes alone in the values
	assert_equal "$(kpi clearing_to_contract)" '{"early":2,"limit":1800,"max":720,"met":false,"n":1,"over":0,"p50":720,"p99":720,"unbounded":0}'
	# S1's three receipts: its clearing bounded before their gate too
	assert_equal "$(kpi receipt_to_clearing)" '{"censored":0,"early":3,"limit":900,"max":720,"met":false,"n":3,"over":0,"p50":720,"p99":720,"unbounded":0}'
	# every other KPI met: the exit status is the early contracts'
	assert_equal "$(jq -c 'select(.type == "kpi" and .met == false) | .kpi' <<<"$output" | paste -sd' ')" '"receipt_to_clearing" "clearing_to_contract"'
	assert_equal "$(jq -c 'select(.type == "kpis") | .met' <<<"$output")" false
	run -1 --separate-stderr denki-kpi -c coop.yaml -P 2026-01-01
	assert_line --regexp '^clearing to contract +p50 0:12:00 +p99 0:12:00 +max 0:12:00 +<= 0:30:00 +NO +1 measured, 0 over, 2 before gate closure$'
	refute_output --partial ' -0:'
	assert_line 'a KPI missed its target'
}

@test "attack: a settlement checkpoint backdated by the operator is caught by the witness's time" {
	at '2026-01-01 11:45:00' denki-settle -c coop.yaml readings.jsonl >/dev/null
	run -1 --separate-stderr denki-kpi -c coop.yaml -j -P 2026-01-01
	# the operator signs the settlement's checkpoints again, dated 11:20
	# (still after the one before them, 10:12)
	t1=$(date -u -d '2026-01-01 11:45:00' +%s)
	n=$(grep -n "time $t1" ledger.jsonl | head -n 1 | cut -d: -f1)
	sed "s/time $t1/time $(date -u -d '2026-01-01 11:20:00' +%s)/" ledger.jsonl >edited.jsonl
	resign edited.jsonl "$n" >ledger.jsonl
	# with the ledger alone, that goes unseen: its checkpoint times are
	# the operator's
	run -0 --separate-stderr denki-kpi -c coop.yaml -j -P 2026-01-01
	assert_equal "$(kpi end_to_settlement)" '{"early":0,"limit":3600,"max":3000,"met":true,"n":2,"over":0,"p50":1200,"p99":3000,"unbounded":0}'
	# but a witness cosigns what it is shown when it is shown it: at
	# 11:46 by its clock (C2SP tlog-cosignature/v1, made apart from
	# denki's code)
	vkey=$(python3 - "$(date -u -d '2026-01-01 11:46:00' +%s)" <<-'PY'
	import base64, hashlib, json, struct, sys
	from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
	from cryptography.hazmat.primitives import serialization
	name, t = 'witness.example/w1', int(sys.argv[1])
	sk = Ed25519PrivateKey.from_private_bytes(bytes(range(0x20, 0x40)))
	pk = sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
	kid = hashlib.sha256(name.encode() + b'\n\x04' + pk).digest()[:4]
	lines = open('ledger.jsonl', encoding='utf-8').read().split('\n')
	e = json.loads(lines[-2])
	text = e['rec']['note'].split('\n\n')[0] + '\n'
	sig = kid + struct.pack('>Q', t) + sk.sign(('cosignature/v1\ntime %d\n' % t).encode() + text.encode())
	e['rec']['note'] += '\u2014 %s %s\n' % (name, base64.b64encode(sig).decode())
	lines[-2] = json.dumps(e, separators=(',', ':'), ensure_ascii=False)
	open('ledger.jsonl', 'w', encoding='utf-8').write('\n'.join(lines))
	print('%s+%s+%s' % (name, kid.hex(), base64.b64encode(b'\x04' + pk).decode()))
	PY
	)
	# its time is 26 minutes from the checkpoint's: beyond the skew
	run -1 --separate-stderr denki-kpi -c coop.yaml -j -P 2026-01-01 -w "$vkey"
	assert_output ""
	assert_equal "$stderr" "denki-kpi: ledger.jsonl:$(wc -l <ledger.jsonl): entry $(($(wc -l <ledger.jsonl) - 1)): checkpoint: witness ${vkey%+*} cosigned at $(date -u -d '2026-01-01 11:46:00' +%s), 1560 seconds from the checkpoint's time $(date -u -d '2026-01-01 11:20:00' +%s) (the skew allowed is 600)"
	# within a skew of an hour, the witness's time bounds the settlement
	# (the append's last checkpoint, the one it cosigned)
	run -1 --separate-stderr denki-kpi -c coop.yaml -j -P 2026-01-01 -w "$vkey" -S 3600
	assert_equal "$(kpi end_to_settlement)" '{"early":0,"limit":3600,"max":4560,"met":false,"n":2,"over":1,"p50":2760,"p99":4560,"unbounded":0}'
	assert_equal "$stderr" ""
	# and the credit scores' times: the enrolments are dated by the
	# first checkpoint a witness cosigned after them
	run -0 --separate-stderr denki-kpi -c coop.yaml --credit -j -m alice -w "$vkey" -S 3600
	assert_equal "$(jq -c '[.at, .days, .tenure]' <<<"$output")" '["2026-01-01T11:46:00Z",0,0]'
	run -0 --separate-stderr denki-kpi -c coop.yaml --credit -j -m alice
	assert_equal "$(jq -c '[.at, .days, .tenure]' <<<"$output")" '["2026-01-01T11:20:00Z",31,16]'
}

@test "attack: an order receipted but left out of its slot's book counts as never cleared" {
	mkdir censor
	cd censor
	community
	intake_at S1 '2026-01-01 09:00:00'
	# carol's second order for S1, received at 09:10 before the gate and
	# receipted; the operator clears S1 without it
	order carol buy 50 300000 $S1 >orders-carol.jsonl
	intake_at carol '2026-01-01 09:10:00'
	cleared_at S1 '2026-01-01 09:40:00'
	{
		reading alice-m $S1 5 1000
		reading bob-m $S1 590 0
		reading carol-m $S1 410 0
	} >readings.jsonl
	at '2026-01-01 11:00:00' denki-settle -c coop.yaml readings.jsonl >/dev/null
	# with the receipts of the book alone, every KPI is met
	head -n 3 receipts.jsonl >book-receipts.jsonl
	run -0 --separate-stderr denki-kpi -c coop.yaml -j -P 2026-01-01 -R book-receipts.jsonl
	assert_equal "$(kpi receipt_to_clearing)" '{"censored":0,"early":0,"limit":900,"max":600,"met":true,"n":3,"over":0,"p50":600,"p99":600,"unbounded":0}'
	# carol's receipt shows an order never cleared: unbounded, missed
	run -1 --separate-stderr denki-kpi -c coop.yaml -j -P 2026-01-01 -R receipts.jsonl
	assert_equal "$(kpi receipt_to_clearing)" '{"censored":1,"early":0,"limit":900,"max":null,"met":false,"n":4,"over":1,"p50":600,"p99":null,"unbounded":1}'
	run -1 --separate-stderr denki-kpi -c coop.yaml -P 2026-01-01 -R receipts.jsonl
	assert_line --regexp '^receipt to clearing +p50 0:10:00 +p99 unbounded +max unbounded +<= 0:15:00 NO +4 measured, 1 over, 1 unbounded, 1 not in the book$'
}

@test "kpi: bad input: a period with nothing, a bad period, a truncated ledger, bad signatures, each named, nothing written" {
	at '2026-01-01 11:20:00' denki-settle -c coop.yaml readings.jsonl >/dev/null
	cp ledger.jsonl kept.jsonl
	run -65 --separate-stderr denki-kpi -c coop.yaml -P 2025-06
	assert_equal "$stderr" 'denki-kpi: ledger.jsonl: period 2025-06: no slot of the period was cleared: nothing to measure'
	assert_equal "$output" ""
	run -64 --separate-stderr denki-kpi -c coop.yaml -P 2026-13
	[[ $stderr == 'denki-kpi: period "2026-13": must be a month'* ]]
	# a torn last line, and a ledger cut after an entry no checkpoint signs
	head -c -20 kept.jsonl >ledger.jsonl
	run -65 --separate-stderr denki-kpi -c coop.yaml
	assert_equal "$output" ""
	[[ $stderr == "denki-kpi: ledger.jsonl"* ]]
	head -n -1 kept.jsonl >ledger.jsonl
	n=$(grep -n '"type":"checkpoint"' ledger.jsonl | tail -n 1 | cut -d: -f1)
	run -65 --separate-stderr denki-kpi -c coop.yaml
	assert_equal "$stderr" "denki-kpi: ledger.jsonl: entries $n to $(($(wc -l <ledger.jsonl) - 1)) follow the last checkpoint: an append that was never acknowledged; run denki-ledger-recover first"
	# another operator key; a checkpoint whose signature was changed
	cp kept.jsonl ledger.jsonl
	denki-keygen other >/dev/null
	run -65 --separate-stderr denki-kpi -p other.pub
	assert_output ""
	assert_equal "$stderr" 'denki-kpi: ledger.jsonl:1: entry 0: key: the ledger names another operator key'
	python3 - <<-'PY'
	import json
	ls = open('ledger.jsonl', encoding='utf-8').read().split('\n')
	cp = json.loads(ls[-2])
	note = cp['rec']['note']
	i = note.rindex(' ') + 10
	cp['rec']['note'] = note[:i] + ('A' if note[i] != 'A' else 'B') + note[i + 1:]
	ls[-2] = json.dumps(cp, separators=(',', ':'), ensure_ascii=False)
	open('ledger.jsonl', 'w', encoding='utf-8').write('\n'.join(ls))
	PY
	run -65 --separate-stderr denki-kpi -c coop.yaml --credit
	assert_output ""
	n=$(wc -l <ledger.jsonl)
	assert_equal "$stderr" "denki-kpi: ledger.jsonl:$n: entry $((n - 1)): checkpoint: note: invalid signature for key $(sed -n 's/.*"vkey":"\([^"+]*+[0-9a-f]*\)+.*/\1/p' ledger.jsonl | head -n 1)"
	cp kept.jsonl ledger.jsonl
	# a receipt whose time was changed after the intake signed it
	sed '2s/"received":"2026-01-01T09:00:00Z"/"received":"2026-01-01T09:29:00Z"/' receipts.jsonl >bad-receipts.jsonl
	run -65 --separate-stderr denki-kpi -c coop.yaml -P 2026-01-01 -R bad-receipts.jsonl
	assert_equal "$stderr" 'denki-kpi: bad-receipts.jsonl:2: sig: bad signature: the record was not signed by this key, or was changed after signing'
	assert_output ""
	run -66 --separate-stderr denki-kpi -c coop.yaml -R missing.jsonl
	cmp kept.jsonl ledger.jsonl
}

@test "kpi: -h prints the usage; a bad option or a mix of modes is a usage error" {
	run -0 denki-kpi -h
	assert_line --index 0 'usage: denki-kpi [-j] [-P period] [-R receipts]... [-w witness.vkey]...'
	run -64 denki-kpi -x
	run -64 denki-kpi --credit -P 2026-01
	run -64 denki-kpi -m alice
	run -64 denki-kpi --credit -e x
	run -64 denki-kpi -w not-a-key
}

@test "credit: each member's score from the ledger, as of an entry and a time" {
	at '2026-01-01 11:20:00' denki-settle -c coop.yaml readings.jsonl >/dev/null
	# enrolled 2025-12-01, 90 days on 2026-03-01: tenure 90 x 200 / 365
	# = 49; alice sold 1210 and missed 15 of S1's 1010 (123 basis
	# points): delivery 400 x 9877 / 10000 = 395
	n=$(wc -l <ledger.jsonl)
	run -0 --separate-stderr denki-kpi -c coop.yaml --credit -j -m alice -t 2026-03-01T00:00:00Z
	assert_output '{"at":"2026-03-01T00:00:00Z","contracted_wh":1210,"days":90,"delivery":395,"disputes":200,"disputes_lost":0,"entries":'"$n"',"missed_bp":123,"missed_wh":15,"participant":"alice","payments":200,"returned_credits":0,"returned_debits":0,"score":844,"settlements":2,"tenure":49,"type":"credit","v":1}'
	# a collection from bob the bank returned, and a dispute he lost,
	# decided by rita, a reviewer, signed with her key
	denki-keygen rita >/dev/null
	append '{"type":"payment_return","v":1,"run":40,"period":"2026-01","participant":"bob","amount":-1000000}' \
	    "$(jq -c --arg k "$(tail -n 1 rita.pub)" '.rec | .id="rita" | .role="reviewer" | .scope=1000000 | .key=$k | .meters=[] | del(.request, .meter_keys)' <<<"$(grep '"id":"carol"' ledger.jsonl | tail -n 1)")" \
	    "$(printf '{"type":"dispute_resolution","v":1,"dispute":12,"decision":"upheld","loser":"bob","transfers":[],"comment":"short delivery","by":"rita"}' | sign_with rita.key)"
	run -0 --separate-stderr denki-kpi -c coop.yaml --credit -t 2026-03-01T00:00:00Z
	assert_equal "${lines[0]}" 'member       score tenure delivery payments disputes   days'
	# bob missed 10 of 800 bought: 395; one collection returned: 100;
	# one dispute lost: 150
	assert_equal "${lines[2]}" 'bob            694     49      395      100      150     90'
	assert_equal "${lines[3]}" 'carol          849     49      400      200      200     90'
	# as of entry n, before them, bob's score is what it was: 49 + 395
	# + 200 + 200
	run -0 --separate-stderr denki-kpi -c coop.yaml --credit -j -m bob -e "$n" -t 2026-03-01T00:00:00Z
	assert_equal "$(jq -c '[.score, .entries]' <<<"$output")" '[844,'"$n"']'
	# by default the time is the last checkpoint's: 31 days, tenure 16
	run -0 --separate-stderr denki-kpi -c coop.yaml --credit -j -m bob -e "$n"
	assert_equal "$(jq -c '[.score, .tenure, .at, .days]' <<<"$output")" '[811,16,"2026-01-01T11:20:00Z",31]'
	run -65 --separate-stderr denki-kpi -c coop.yaml --credit -m zoe
	assert_equal "$stderr" 'denki-kpi: zoe: not a participant of the ledger'
}

@test "attack: a dispute decision not signed by the participant it names does not lower a member's score" {
	at '2026-01-01 11:20:00' denki-settle -c coop.yaml readings.jsonl >/dev/null
	# the operator writes a decision against bob in carol's name, signed
	# with its own key
	n=$(wc -l <ledger.jsonl)
	append "$(printf '{"type":"dispute_resolution","v":1,"dispute":12,"decision":"upheld","loser":"bob","transfers":[],"comment":"x","by":"carol"}' | sign_with operator.key)"
	run -65 --separate-stderr denki-kpi -c coop.yaml --credit -m bob
	assert_equal "$stderr" "denki-kpi: ledger.jsonl:$((n + 1)): entry $n: dispute_resolution: sig: bad signature: the record was not signed by this key, or was changed after signing"
	assert_output ""
}

@test "completions: denki kpi's options, --credit and receipts files, in bash and zsh" {
	comp() {
		bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
		    _denki; printf "%s\n" "${COMPREPLY[@]}"' _ \
		    "$TOP/completions/bash/denki" "$@"
	}
	run -0 comp denki kp
	assert_output kpi
	run -0 comp denki kpi --
	assert_output "--credit
--help
--version"
	run -0 comp denki-kpi -R rec
	assert_output receipts.jsonl
	run -0 comp denki kpi -c coop.yaml led
	assert_output ledger.jsonl
	run -0 grep -c "'kpi:the KPIs\|'(-P -R -w -W -Q -S)--credit\[\|^#compdef .* denki-kpi\( \|$\)" "$TOP/completions/zsh/_denki"
	assert_output 3
	if command -v zsh >/dev/null; then
		run -0 zsh -n "$TOP/completions/zsh/_denki"
	fi
}
