#!/usr/bin/env bats
# An option that takes a value, given twice, in every program: a usage
# error (64) naming the option and both values, before anything is read,
# written or sent; the last one does not silently win.  The options a
# program's page says repeat (-D, halt -z, the verifiers' -w, kpi -R,
# ledger-verify -C and -I, registry -m and -M, witness -p, dispute
# --transfer) still do.  denki-battery, denki-bid, denki-grid-watch and
# denki-halt have theirs in their own files.

load test_helper

SLOT=2026-01-01T10:00:00+00:00
SLOT2=2026-01-01T10:30:00+00:00

setup() {
	common_setup
	make_community_once
	three_orders >orders.jsonl
	denki-clear -c coop.yaml orders.jsonl >cleared.jsonl
	cp ledger.jsonl kept.jsonl
}

# twice MESSAGE COMMAND...: COMMAND exits 64 with MESSAGE alone on stderr
# and nothing on stdout
twice() {
	local msg=$1
	shift
	run -64 --separate-stderr "$@"
	assert_output ""
	assert_equal "$stderr" "$msg"
}

@test "twice: denki-clear -s or -t: 64, no book" {
	twice "denki-clear: -s: given twice (\"$SLOT\" and \"$SLOT2\")" \
	    denki-clear -c coop.yaml -s "$SLOT" -s "$SLOT2" orders.jsonl
	twice 'denki-clear: -t: given twice ("1" and "2")' \
	    denki-clear -c coop.yaml -t 1 -t 2 orders.jsonl
	run -0 --separate-stderr denki-clear -c coop.yaml -t 2 -s "$SLOT" orders.jsonl
	assert_equal "$output" "$(cat cleared.jsonl)"
}

@test "twice: denki-contract-sign and denki-settle -c: 64, the ledger byte-identical" {
	twice 'denki-contract-sign: -c: given twice ("coop.yaml" and "other.yaml")' \
	    denki-contract-sign -c coop.yaml -c other.yaml cleared.jsonl
	cmp kept.jsonl ledger.jsonl
	# -D twice is two settings
	denki-contract-sign -c coop.yaml -D prices.fee=10000 -D tz=UTC cleared.jsonl >/dev/null
	run ! cmp -s kept.jsonl ledger.jsonl
	cp ledger.jsonl kept.jsonl
	printf '{"type":"reading","v":1,"meter":"%s-m","slot":"%s","import_wh":0,"export_wh":%s}\n' \
	    alice "$SLOT" 1010 bob "$SLOT" 0 carol "$SLOT" 0 >r.jsonl
	twice 'denki-settle: -c: given twice ("coop.yaml" and "coop.yaml")' \
	    denki-settle -c coop.yaml -c coop.yaml r.jsonl
	cmp kept.jsonl ledger.jsonl
}

@test "twice: denki-registry -z, -r, -s or -w: 64, no request, the ledger byte-identical" {
	twice 'denki-registry: -z: given twice ("hill" and "town")' \
	    denki-registry -c coop.yaml update alice -z hill -z town
	twice 'denki-registry: -s: given twice ("dave.key" and "alice.key")' \
	    denki-registry request dave -s dave.key -m dave-m -s alice.key
	twice 'denki-registry: -w: given twice ("1000" and "2000")' \
	    denki-registry -c coop.yaml add -w 1000 -w 2000 alice.enrol.json
	cmp kept.jsonl ledger.jsonl
	# -m and -M repeat
	denki-keygen dave >/dev/null
	run -0 --separate-stderr denki-registry request dave -s dave.key -m d1 -m d2
	assert_equal "$(jq -c .meters <<<"$output")" '["d1","d2"]'
}

@test "twice: denki-review -k or -m and denki-dispute -k, -m or -i: 64, the ledger byte-identical" {
	twice 'denki-review: -m: given twice ("ok" and "no")' \
	    denki-review -c coop.yaml approve 0123abcd -k alice.key -m ok -m no
	twice 'denki-review: -k: given twice ("alice.key" and "bob.key")' \
	    denki-review -c coop.yaml reject 0123abcd -k alice.key -k bob.key -m no
	twice 'denki-dispute: -m: given twice ("short" and "long")' \
	    denki-dispute -c coop.yaml open -k bob.key -m short -m long 3
	twice 'denki-dispute: -k: given twice ("bob.key" and "alice.key")' \
	    denki-dispute -c coop.yaml open -k bob.key -m short -k alice.key 3
	twice 'denki-dispute: -i: given twice ("a" and "b")' \
	    denki-dispute -c coop.yaml open -k bob.key -i a -i b -m short 3
	cmp kept.jsonl ledger.jsonl
}

@test "twice: denki-halt -c: 64, the ledger byte-identical; -z repeats" {
	twice 'denki-halt: -c: given twice ("coop.yaml" and "coop.yaml")' \
	    denki-halt -c coop.yaml -z a -z b --from "$SLOT" --until "$SLOT2" -m x -c coop.yaml
	cmp kept.jsonl ledger.jsonl
}

@test "twice: denki-ledger-export -o or -m: 64, no file" {
	twice 'denki-ledger-export: -o: given twice ("a.jsonl" and "b.jsonl")' \
	    denki-ledger-export -c coop.yaml -o a.jsonl -o b.jsonl
	twice 'denki-ledger-export: -m: given twice ("alice" and "bob")' \
	    denki-ledger-export -c coop.yaml -m alice -m bob -o a.jsonl
	[ ! -e a.jsonl ] && [ ! -e b.jsonl ]
	run -0 denki-ledger-export -c coop.yaml -m alice -o a.jsonl
	[ -s a.jsonl ]
}

@test "twice: denki-ledger-recover -p: 64, the ledger byte-identical" {
	printf '{"torn' >>ledger.jsonl
	cp ledger.jsonl torn.jsonl
	twice 'denki-ledger-recover: -p: given twice ("operator.pub" and "alice.pub")' \
	    denki-ledger-recover -c coop.yaml -p operator.pub -p alice.pub
	cmp torn.jsonl ledger.jsonl
	run -0 --separate-stderr denki-ledger-recover -c coop.yaml -p operator.pub
	cmp kept.jsonl ledger.jsonl
}

@test "twice: denki-ledger-verify -p, -t, -O or -R, denki-ledger-proof -p, denki-proof-verify -p or -o, denki-report -p: 64, no verdict" {
	twice 'denki-ledger-verify: -p: given twice ("alice.pub" and "operator.pub")' \
	    denki-ledger-verify -p alice.pub -p operator.pub ledger.jsonl
	twice 'denki-ledger-verify: -t: given twice ("1" and "2")' \
	    denki-ledger-verify -p operator.pub -t 1 -t 2 ledger.jsonl
	twice 'denki-ledger-verify: -O: given twice ("a" and "b")' \
	    denki-ledger-verify -p operator.pub -O a -O b ledger.jsonl
	twice 'denki-ledger-verify: -R: given twice ("a" and "b")' \
	    denki-ledger-verify -p operator.pub -R a -R b ledger.jsonl
	twice 'denki-ledger-verify: -Q: given twice ("0" and "1")' \
	    denki-ledger-verify -p operator.pub -Q 0 -Q 1 ledger.jsonl
	run -0 denki-ledger-verify -p operator.pub ledger.jsonl
	twice 'denki-ledger-proof: -p: given twice ("alice.pub" and "operator.pub")' \
	    denki-ledger-proof -c coop.yaml -p alice.pub -p operator.pub checkpoint
	twice 'denki-ledger-proof: -S: given twice ("0" and "60")' \
	    denki-ledger-proof -c coop.yaml -S 0 -S 60 checkpoint
	denki-ledger-proof -c coop.yaml inclusion 1 >p.json
	twice 'denki-proof-verify: -p: given twice ("alice.pub" and "operator.pub")' \
	    denki-proof-verify -p alice.pub -p operator.pub p.json
	twice 'denki-proof-verify: -o: given twice ("a" and "b")' \
	    denki-proof-verify -p operator.pub -o a -o b p.json
	run -0 denki-proof-verify -p operator.pub p.json
	twice 'denki-report: -p: given twice ("alice.pub" and "operator.pub")' \
	    denki-report -p alice.pub -p operator.pub ledger.jsonl
}

@test "twice: denki-kpi -P, -p or -m, denki-statement -P, -m, -f or --pdf: 64, no report, no pdf" {
	twice 'denki-kpi: -P: given twice ("2026-01" and "2026-02")' \
	    denki-kpi -c coop.yaml -P 2026-01 -P 2026-02
	twice 'denki-kpi: -m: given twice ("alice" and "bob")' \
	    denki-kpi -c coop.yaml --credit -m alice -m bob
	twice 'denki-statement: -P: given twice ("2026-01" and "2026-02")' \
	    denki-statement -c coop.yaml -m alice -P 2026-01 -P 2026-02
	twice 'denki-statement: -m: given twice ("alice" and "bob")' \
	    denki-statement -c coop.yaml -m alice -P 2026-01 -m bob
	twice 'denki-statement: -f: given twice ("json" and "csv")' \
	    denki-statement -c coop.yaml -m alice -P 2026-01 -f json -f csv
	twice 'denki-statement: --pdf: given twice ("a.pdf" and "b.pdf")' \
	    denki-statement -c coop.yaml --community -P 2026-01 --pdf a.pdf --pdf=b.pdf
	[ ! -e a.pdf ] && [ ! -e b.pdf ]
	run -0 denki-statement -c coop.yaml -m alice -P 2026-01 -f json
}

@test "twice: denki-pay -P, -f, -o or -d: 64, no payment file" {
	twice 'denki-pay: -o: given twice ("a.xml" and "b.xml")' \
	    denki-pay -c coop.yaml -P 2026-01 -f pain.001 -o a.xml -o b.xml
	twice 'denki-pay: -P: given twice ("2026-01" and "2026-02")' \
	    denki-pay -c coop.yaml -P 2026-01 -P 2026-02 -f pain.001 -o a.xml
	twice 'denki-pay: -f: given twice ("pain.001" and "zengin")' \
	    denki-pay -c coop.yaml -P 2026-01 -f pain.001 -f zengin -o a.xml
	twice 'denki-pay: -d: given twice ("2026-02-03" and "2026-02-04")' \
	    denki-pay -c coop.yaml -P 2026-01 -f pain.001 -o a.xml -d 2026-02-03 -d 2026-02-04
	[ ! -e a.xml ] && [ ! -e b.xml ]
	cmp kept.jsonl ledger.jsonl
}

@test "twice: denki-meter-read -d, -m, -s or -n: 64, no readings" {
	twice 'denki-meter-read: -d: given twice ("sim" and "csv")' \
	    denki-meter-read -c alice.yaml -d sim -d csv -s "$SLOT" -n 2
	twice 'denki-meter-read: -m: given twice ("a" and "b")' \
	    denki-meter-read -c alice.yaml -d sim -m a -m b -s "$SLOT" -n 2
	twice "denki-meter-read: -s: given twice (\"$SLOT\" and \"$SLOT2\")" \
	    denki-meter-read -c alice.yaml -d sim -s "$SLOT" -s "$SLOT2" -n 2
	twice 'denki-meter-read: -n: given twice ("2" and "48")' \
	    denki-meter-read -c alice.yaml -d sim -s "$SLOT" -n 2 -n 48
	run -0 --separate-stderr denki-meter-read -c alice.yaml -d sim -s "$SLOT" -n 2
	assert_equal "${#lines[@]}" 2
}

@test "twice: denki-keygen -C or -P: 64, no key made" {
	twice 'denki-keygen: -C: given twice ("a" and "b")' denki-keygen -C a -C b dora
	twice 'denki-keygen: -P: given twice ("3" and "4")' denki-keygen -e -P 3 -P 4 dora
	[ ! -e dora.key ] && [ ! -e dora.pub ]
	run -0 denki-keygen -C a dora
	[ -e dora.key ]
}

@test "twice: denki-submit -u, -m or --retries: 64, no outbox" {
	twice 'denki-submit: -u: given twice ("http://127.0.0.1:9/a" and "http://127.0.0.1:9/b")' \
	    denki-submit -c alice.yaml -u http://127.0.0.1:9/a -u http://127.0.0.1:9/b orders.jsonl
	twice 'denki-submit: --retries: given twice ("1" and "2")' \
	    denki-submit -c alice.yaml --retries 1 --retries=2 orders.jsonl
	twice 'denki-submit: -m: given twice ("1" and "2")' \
	    denki-submit -c alice.yaml --max-time 1 -m 2 orders.jsonl
	[ ! -e denki-outbox.db ]
}

@test "twice: denki-witness -k, -s or -n: 64, no state" {
	denki-keygen witness >/dev/null
	head -n 1 ledger.jsonl | jq -r .rec.vkey >log.pub
	twice 'denki-witness: -s: given twice ("a.db" and "b.db")' \
	    denki-witness -p log.pub -p log.pub -k witness.key -s a.db -s b.db </dev/null
	twice 'denki-witness: -k: given twice ("witness.key" and "alice.key")' \
	    denki-witness -k witness.key -k alice.key -s a.db -p log.pub </dev/null
	twice 'denki-witness: -n: given twice ("a" and "b")' \
	    denki-witness -P -k witness.key -n a -n b
	[ ! -e a.db ] && [ ! -e b.db ]
}

@test "twice: denki-intake -s: 64, nothing dumped" {
	twice "denki-intake: -s: given twice (\"$SLOT\" and \"$SLOT2\")" \
	    denki-intake -c coop.yaml --dump -s "$SLOT" -s "$SLOT2"
}

@test "twice: denki-simulate -d, -o, -j, -b or -f: 64, nothing run, no page" {
	cp "$EXAMPLES/simulate/base.yaml" .
	twice 'denki-simulate: -o: given twice ("a.html" and "b.html")' \
	    denki-simulate -q -o a.html -o b.html base.yaml
	twice 'denki-simulate: -d: given twice ("a" and "b")' \
	    denki-simulate -q -d a -d b base.yaml
	twice 'denki-simulate: -j: given twice ("1" and "2")' \
	    denki-simulate -q -j 1 -j 2 base.yaml
	twice 'denki-simulate: -b: given twice ("1" and "2")' \
	    denki-simulate -q -b 1 -b 2 base.yaml
	twice 'denki-simulate: -f: given twice ("json" and "text")' \
	    denki-simulate -q -f json -f text base.yaml
	[ ! -e a.html ] && [ ! -e b.html ] && [ ! -e a ] && [ ! -e b ]
}
