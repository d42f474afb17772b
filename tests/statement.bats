#!/usr/bin/env bats
# denki-statement: a member's or the community's statement for a period,
# on a ledger made here, its numbers held against denki-report's.

load test_helper
load resign

READINGS=open

S1=2026-01-01T10:00:00+00:00
S2=2026-01-01T10:30:00+00:00
S4=2026-01-02T09:00:00+00:00

reading() {
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s}\n' "$@"
}

# money MICRO: as dk_money_str writes it (units, two decimals, halves away
# from zero); kwh WH: three decimals
money() {
	local m=$1 s= c
	if [ "$m" -lt 0 ]; then s=-; m=$((-m)); fi
	c=$(((m + 5000) / 10000))
	[ "$c" -eq 0 ] && s=
	printf '%s%d.%02d' "$s" $((c / 100)) $((c % 100))
}
kwh() {
	printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
}

# The ledger of tests/report.bats (S1, S2 on 2026-01-01) and a second day:
#  S4: alice sells 500 at 100000 to carol (50000, fee 5000); metered
#      alice 600 out, carol 450 in (50 surplus at 100000: 5000), bob 30 in
#      (30 short at 300000: 9000).
# bob and carol never trade with each other.
setup() {
	common_setup
	make_community_once
	{
		order alice sell 1010 120000 $S1
		order bob buy 600 200000 $S1
		order carol buy 410 150100 $S1
		order alice sell 300 100000 $S2
		order bob buy 200 120000 $S2
		order alice sell 500 100000 $S4
		order carol buy 500 100000 $S4
	} >orders.jsonl
	denki-clear -c coop.yaml orders.jsonl >cleared.jsonl
	denki-contract-sign -c coop.yaml cleared.jsonl >/dev/null
	{
		reading alice-m $S1 5 1000
		reading bob-m $S1 590 0
		reading carol-m $S1 410 0
		reading alice-m $S2 0 300
		reading bob-m $S2 200 0
		reading carol-m $S2 50 0
		reading alice-m $S4 0 600
		reading bob-m $S4 30 0
		reading carol-m $S4 450 0
	} >readings.jsonl
	denki-settle -c coop.yaml readings.jsonl >/dev/null
}

@test "statement -f json: each member's figures are denki-report's, to the unit, and its flows sum to its net" {
	local p
	denki-report -p operator.pub ledger.jsonl >report.jsonl
	for p in alice bob carol; do
		run -0 --separate-stderr denki-statement -c coop.yaml -m $p -P 2026-01 -f json
		assert_equal "$stderr" ""
		assert_equal "$(head -n 1 <<<"$output" | jq -c 'del(.from, .to, .sold_grid_wh, .bought_grid_wh, .checkpoint)')" \
		    "$(jq -c --arg p $p 'select(.participant == $p)' report.jsonl)"
		# what it received less what it paid, over its transfers
		assert_equal "$(jq -s '[.[] | select(.type == "flow") | .received - .paid] | add' <<<"$output")" \
		    "$(jq --arg p $p 'select(.participant == $p) | .net' report.jsonl)"
		# its days sum to the statement
		assert_equal "$(jq -s '[.[] | select(.type == "day") | .net] | add' <<<"$output")" \
		    "$(jq --arg p $p 'select(.participant == $p) | .net' report.jsonl)"
	done
	# bob, by hand: S1 81030 to alice, fee 6000, 10 surplus 1000; S2 20000
	# to alice, fee 2000
	run -0 --separate-stderr denki-statement -c coop.yaml -m bob -P 2026-01 -f json
	assert_equal "$(jq -c 'select(.type == "flow") | [.counterparty, .reason, .paid, .received, .transfers]' <<<"$output")" \
	    '["alice","p2p",101030,0,2]
["operator","fee",8000,0,2]
["utility","shortfall",9000,0,1]
["utility","surplus",0,1000,1]'
	assert_equal "$(jq -c 'select(.type == "day") | [.date, .bought_wh, .bought_grid_wh, .sold_grid_wh, .net]' <<<"$output")" \
	    '["2026-01-01",800,0,10,-108030]
["2026-01-02",0,30,0,-9000]'
}

@test "statement: a day's period is that day's slots only; two days sum to the month" {
	run -0 --separate-stderr denki-statement -c coop.yaml -m alice -P 2026-01-02 -f json
	# S4: 50000 from carol, 100 metered above the 500 sold: 10000 surplus
	assert_equal "$(head -n 1 <<<"$output" | jq -c '[.slots, .sold_wh, .export_wh, .net, .from, .to]')" \
	    '[1,500,600,60000,"2026-01-02","2026-01-02"]'
	run -0 --separate-stderr denki-statement -c coop.yaml -m alice -P 2026-01-01..2026-01-01 -f json
	assert_equal "$(head -n 1 <<<"$output" | jq -c '[.slots, .net]')" '[2,161901]'
	# a day's statement goes slot by slot
	assert_equal "$(jq -c 'select(.type == "slot") | [.date, .sold_wh, .net]' <<<"$output")" \
	    '["2026-01-01T10:00",1010,131901]
["2026-01-01T10:30",200,30000]'
	run -0 --separate-stderr denki-statement -c coop.yaml -m alice -P 2026-01-01 -f csv
	assert_equal "$(cut -d, -f1,2 <<<"$output" | tr -d '\r')" 'record,date
slot,2026-01-01T10:00
slot,2026-01-01T10:30
total,2026-01-01
transfer,
transfer,
transfer,
transfer,'
	run -0 --separate-stderr denki-statement -c coop.yaml -m alice -P 2025-12..2026-01 -f json
	assert_equal "$(head -n 1 <<<"$output" | jq -c '[.slots, .net]')" '[3,221901]'
}

@test "statement -f csv: RFC 4180 (CRLF, a quoted field), the same columns on every line, report's numbers" {
	local net base imp paid recv
	run -0 --separate-stderr denki-statement -c coop.yaml -m bob -P 2026-01 -f csv
	assert_equal "$stderr" ""
	denki-statement -c coop.yaml -m bob -P 2026-01 -f csv >bob.csv
	# every line ends in CRLF; none has a bare LF
	[ "$(grep -c $'\r$' bob.csv)" = "$(wc -l <bob.csv)" ]
	[ "$(wc -l <bob.csv)" = 8 ]
	# a label with a comma is quoted
	grep -q ',"energy between members, at the contract price",' bob.csv
	python3 - <<-'PY'
	import csv
	rows = list(csv.reader(open("bob.csv", newline=""), strict=True))
	assert all(len(r) == len(rows[0]) == 18 for r in rows), rows
	PY
	denki-report -p operator.pub ledger.jsonl >report.jsonl
	net=$(jq 'select(.participant == "bob") | .net' report.jsonl)
	base=$(jq 'select(.participant == "bob") | .baseline' report.jsonl)
	imp=$(jq 'select(.participant == "bob") | .import_wh' report.jsonl)
	# paid and received: the ledger's transfers from and to bob
	paid=$(jq -s '[.[].rec | select(.type == "transfer" and .from == "bob") | .amount] | add' ledger.jsonl)
	recv=$(jq -s '[.[].rec | select(.type == "transfer" and .to == "bob") | .amount] | add' ledger.jsonl)
	assert_equal "$(grep '^total,' bob.csv | tr -d '\r')" \
	    "total,2026-01,,,,3,0.000,$(kwh "$imp"),0.000,0.010,0.800,0.030,$(money "$paid"),$(money "$recv"),$(money "$net"),$(money "$base"),$(money $((net - base))),"
	assert_equal "$(grep '^transfer,,alice,' bob.csv | tr -d '\r')" \
	    'transfer,,alice,p2p,"energy between members, at the contract price",2,,,,,,,0.10,0.00,,,,'
}

@test "statement: text, for people, with report's money" {
	run -0 --separate-stderr denki-statement -p operator.pub -m carol -P 2026-01 ledger.jsonl
	assert_equal "$stderr" ""
	assert_line "Statement of carol for 2026-01"
	assert_line "ledger ledger.jsonl, its checkpoints checked against the operator's key"
	# the tree head it was made from: the ledger's latest checkpoint
	denki-ledger-proof -c coop.yaml checkpoint >cp.note
	assert_line "checkpoint $(sed -n 1p cp.note), $(sed -n 2p cp.note) entries, root $(sed -n 3p cp.note)"
	assert_line "slots settled  3, 2026-01-01 .. 2026-01-02"
	assert_line "  sold         0.000 to members, 0.050 to the grid"
	assert_line "  bought       0.910 from members, 0.050 from the grid"
	# carol: -74471 on the first day; S4 -55000 + 5000 surplus
	assert_line "  with P2P     $(money $((-74471 - 50000)))"
	assert_line --regexp '^alice +p2p +0\.11 +0\.00 +2  energy between members, at the contract price$'
}

@test "statement: a member's statement shows nothing of a member it never paid (bob and carol), in any format" {
	local f
	for f in text csv json html; do
		run -0 --separate-stderr denki-statement -c coop.yaml -m bob -P 2026-01 -f $f
		refute_output --partial carol
		run -0 --separate-stderr denki-statement -c coop.yaml -m carol -P 2026-01 -f $f
		refute_output --partial bob
	done
}

@test "statement --community: the summed figures, self-sufficiency, P2P share, matching rate, price, CO2" {
	run -0 --separate-stderr denki-statement -c coop.yaml -D emission_factor=500 --community -P 2026-01 -f json
	assert_equal "$stderr" ""
	# imports 1005 + 250 + 480; exports 1000 + 300 + 600; members to
	# members: min(1000, 1005) + min(300, 250) + min(600, 480) = 1730
	assert_equal "$(head -n 1 <<<"$output" | jq -c '[.type, .slots, .import_wh, .export_wh, .local_wh, .matched_wh, .bought_wh, .co2_avoided_g]')" \
	    '["community",9,1735,1900,1730,1710,1710,865]'
	# the members' nets summed
	assert_equal "$(head -n 1 <<<"$output" | jq .net)" \
	    "$(denki-report ledger.jsonl | jq -s '[.[] | select(.type == "statement") | .net] | add')"
	run -0 --separate-stderr denki-statement -c coop.yaml -D emission_factor=500 --community -P 2026-01
	assert_line "Community (1.730 kWh of the members' consumption met by members' generation)"
	# 1730 / 1735, 1710 / 1735 (98.56, rounded), 1710 / (1010 + 200 +
	# 500); (81030 + 55371 + 20000 + 50000) x 1000 / 1710 = 120702
	assert_line --regexp '^  self-sufficiency +99\.7%$'
	assert_line --regexp '^  P2P share of consumption +98\.6%$'
	assert_line --regexp '^  matching rate +100\.0%$'
	assert_line --regexp '^  average P2P price a kWh +0\.1207$'
	assert_line --regexp '^  CO2 avoided, kg +0\.865$'
	assert_line --regexp '^p2p +0\.21 +4  energy between members, at the contract price$'
	run -0 --separate-stderr denki-statement -c coop.yaml --community -P 2026-01 -f csv
	assert_line --partial 'figure,,,self_sufficiency,self-sufficiency,,,,,,,,,,,,,99.7%'
	assert_line --partial 'figure,,,co2_avoided_kg,"CO2 avoided, kg",,,,,,,,,,,,,-'
}

@test "statement: a period with no trades says so, in every format, and exits 0" {
	run -0 --separate-stderr denki-statement -c coop.yaml -m alice -P 2026-02
	assert_line "No trades in 2026-02: this member has no settled slot in the period."
	run -0 --separate-stderr denki-statement -c coop.yaml --community -P 2025-12
	assert_line "No trades in 2025-12: the ledger has no settled slot in the period."
	run -0 --separate-stderr denki-statement -c coop.yaml -m alice -P 2026-02 -f html
	assert_output --partial '<p class="empty">No trades in 2026-02'
	run -0 --separate-stderr denki-statement -c coop.yaml -m alice -P 2026-02 -f json
	assert_equal "$(jq -c '[.slots, .net]' <<<"$output")" '[0,0]'
	run -0 --separate-stderr denki-statement -c coop.yaml -m alice -P 2026-02 -f csv
	assert_equal "${#lines[@]}" 2
}

@test "statement: a reason it does not know is grouped and shown by its name, a known one in words" {
	local n c
	# an operator's later version adds transfers of new reasons: the
	# ledger rewritten with them before its last checkpoint, signed again
	# dave, enrolled, trades nothing but pays his membership
	denki-keygen dave >/dev/null
	enrol dave -m dave-m
	n=$(wc -l <ledger.jsonl)
	c=$(grep '"type":"transfer"' ledger.jsonl | tail -n 1)
	{
		head -n $((n - 1)) ledger.jsonl
		jq -c '.rec.reason = "membership" | .rec.from = "dave" | .rec.to = "operator" | .rec.amount = 500000' <<<"$c"
		jq -c '.rec.reason = "membership" | .rec.from = "carol" | .rec.to = "operator" | .rec.amount = 500000' <<<"$c"
		jq -c '.rec.reason = "levy_x" | .rec.from = "carol" | .rec.to = "operator" | .rec.amount = 7' <<<"$c"
		jq -c '.rec.reason = "levy_x" | .rec.from = "carol" | .rec.to = "operator" | .rec.amount = 8' <<<"$c"
		tail -n 1 ledger.jsonl
	} >e.jsonl
	resign e.jsonl "$n" >ledger.jsonl
	run -0 --separate-stderr denki-statement -c coop.yaml -m carol -P 2026-01
	assert_equal "$stderr" ""
	assert_line --regexp '^operator +levy_x +0\.00 +0\.00 +2  levy_x$'
	assert_line --regexp '^operator +membership +0\.50 +0\.00 +1  the monthly membership fee$'
	run -0 --separate-stderr denki-statement -c coop.yaml -m carol -P 2026-01 -f json
	assert_equal "$(jq -c 'select(.reason == "levy_x") | [.paid, .transfers]' <<<"$output")" '[15,2]'
	# no trade, but money moved: both said
	# carol's money: its settlements', then the transfers beside them
	run -0 --separate-stderr denki-statement -c coop.yaml -m carol -P 2026-01
	assert_line "  with P2P     $(money $((-74471 - 50000)))"
	assert_line "  other        $(money $((-500015))) (transfers beside the slots' settlements, below)"
	assert_line "  in all       $(money $((-74471 - 50000 - 500015)))"
	run -0 --separate-stderr denki-statement -c coop.yaml -m dave -P 2026-01
	assert_line "No trades in 2026-01: this member has no settled slot in the period."
	assert_line --regexp '^operator +membership +0\.50 +0\.00 +1  the monthly membership fee$'
	run -0 --separate-stderr denki-statement -c coop.yaml -m dave -P 2026-01 -f html
	assert_output --partial '<td data-col="paid">0.50</td>'
	# the community's by reason: carol's and dave's
	run -0 --separate-stderr denki-statement -c coop.yaml --community -P 2026-01 -f json
	assert_equal "$(jq -c 'select(.reason == "membership") | [.paid, .transfers]' <<<"$output")" '[1000000,2]'
}

@test "statement: bad input: an unknown member, a bad period, neither or both of -m and --community, a bad format" {
	run -65 --separate-stderr denki-statement -c coop.yaml -m dave -P 2026-01
	assert_output ""
	assert_equal "$stderr" "denki-statement: ledger.jsonl: no participant dave in the ledger"
	for p in 2026-13 2026-1 2026-02-30 x 2026-01..x 2026-01-05..2026-01-04 ""; do
		run -64 --separate-stderr denki-statement -c coop.yaml -m alice -P "$p"
		assert_output ""
		assert_regex "${stderr_lines[0]}" "^denki-statement: period: "
	done
	run -64 --separate-stderr denki-statement -c coop.yaml -P 2026-01
	assert_regex "${stderr_lines[0]}" '^usage: denki-statement'
	run -64 --separate-stderr denki-statement -c coop.yaml -m alice --community -P 2026-01
	run -64 --separate-stderr denki-statement -c coop.yaml -m alice -P 2026-01 -f pdf
	run -64 --separate-stderr denki-statement -c coop.yaml -m alice
	run -0 denki-statement -h
	assert_line --index 0 "usage: denki-statement -P period (-m member | --community)"
	run -66 --separate-stderr denki-statement -m alice -P 2026-01 nosuch.jsonl
	assert_equal "$stderr" "denki-statement: nosuch.jsonl: No such file or directory"
	run -78 --separate-stderr denki-statement -c coop.yaml -D emission_factor=-5 -m alice -P 2026-01
}

@test "statement: a ledger with a bad checkpoint signature, another operator's key, a torn or cut ledger: refused, nothing written" {
	local n sig
	# one byte of the last checkpoint's signature changed
	n=$(grep -n '"type":"checkpoint"' ledger.jsonl | tail -n 1 | cut -d: -f1)
	sig=$(sed -n "${n}p" ledger.jsonl | jq -r .rec.note | tail -n 2 | head -n 1 | awk '{ print $3 }')
	sed "${n}s|${sig:0:20}|${sig:0:19}$([ "${sig:19:1}" = A ] && echo B || echo A)|" ledger.jsonl >bad.jsonl
	run ! cmp -s bad.jsonl ledger.jsonl
	run -65 --separate-stderr denki-statement -p operator.pub -m alice -P 2026-01 bad.jsonl
	assert_output ""
	assert_regex "$stderr" "^denki-statement: bad\\.jsonl:$n: entry $((n - 1)): checkpoint: .*signature"
	# another operator's key
	denki-keygen other >/dev/null
	run -65 --separate-stderr denki-statement -p other.pub -m alice -P 2026-01 ledger.jsonl
	assert_output ""
	assert_equal "$stderr" 'denki-statement: ledger.jsonl:1: entry 0: key: the ledger names another operator key'
	# torn: the last line cut in its middle
	head -c -40 ledger.jsonl >torn.jsonl
	run -65 --separate-stderr denki-statement -c coop.yaml -m alice -P 2026-01 torn.jsonl
	assert_output ""
	assert_regex "$stderr" "^denki-statement: torn\\.jsonl:$(wc -l <ledger.jsonl): torn last line"
	# cut at a line: its last checkpoint gone
	head -n -1 ledger.jsonl >cut.jsonl
	run -65 --separate-stderr denki-statement -c coop.yaml -m alice -P 2026-01 cut.jsonl
	assert_output ""
	assert_regex "$stderr" "follow the last checkpoint"
}

@test "statement -f html: Chromium renders the charts (a bar per day and series, a point per day) and the page's numbers are the CSV's" {
	command -v chromium >/dev/null || skip "chromium is missing (apt-get install chromium)"
	denki-statement -c coop.yaml -m carol -P 2026-01 -f html >carol.html
	denki-statement -c coop.yaml -m carol -P 2026-01 -f csv >carol.csv
	# no script, nothing fetched
	run ! grep -Eiq '<script|src=|href=|@import|url\(' carol.html
	timeout 60 chromium --headless --no-sandbox --disable-gpu --dump-dom \
	    "file://$PWD/carol.html" 2>/dev/null >dom.html
	grep -q '</html>' dom.html
	python3 - <<-'PY'
	import csv
	from html.parser import HTMLParser

	class P(HTMLParser):
	    def __init__(self):
	        super().__init__()
	        self.svg = None; self.charts = {}; self.rows = []; self.col = None
	    def handle_starttag(self, tag, a):
	        a = dict(a)
	        if tag == "svg":
	            self.svg = a["id"]; self.charts[self.svg] = {"bar": 0, "point": 0, "polyline": 0}
	        elif tag == "rect" and "bar" in a.get("class", "").split():
	            self.charts[self.svg]["bar"] += 1
	        elif tag == "circle" and a.get("class") == "point":
	            self.charts[self.svg]["point"] += 1
	        elif tag == "polyline":
	            self.charts[self.svg]["polyline"] += 1
	        elif tag == "tr" and "data-row" in a:
	            self.rows.append((a["data-row"], {}))
	        elif tag == "td" and "data-col" in a:
	            self.col = a["data-col"]; self.rows[-1][1][self.col] = ""
	    def handle_endtag(self, tag):
	        if tag == "svg": self.svg = None
	        if tag == "td": self.col = None
	    def handle_data(self, d):
	        if self.col: self.rows[-1][1][self.col] += d

	p = P()
	p.feed(open("dom.html").read())
	rows = list(csv.DictReader(open("carol.csv", newline="")))
	days = [r for r in rows if r["record"] == "day"]
	assert len(days) == 2, days
	assert p.charts == {"energy": {"bar": 8, "point": 0, "polyline": 0},
	                    "money": {"bar": 4, "point": 0, "polyline": 0},
	                    "savings": {"bar": 0, "point": 2, "polyline": 1}}, p.charts
	page = [c for k, c in p.rows if k in ("day", "total")]
	want = [r for r in rows if r["record"] in ("day", "total")]
	assert len(page) == len(want) == 3, (page, want)
	for c, r in zip(page, want):
	    for k, v in c.items():
	        if k != "date" or r["record"] == "day":
	            assert r[k] == v, (k, v, r)
	flows = [c for k, c in p.rows if k == "transfer"]
	want = [r for r in rows if r["record"] == "transfer"]
	assert [(c["counterparty"], c["paid"], c["received"], c["slots"]) for c in flows] == \
	       [(r["counterparty"], r["paid"], r["received"], r["slots"]) for r in want], (flows, want)
	print("ok")
	PY
}

@test "statement --pdf: a PDF through headless Chromium; without Chromium, 69 and a clear message; a Chromium that fails leaves the file as it was" {
	mkdir t
	if command -v chromium >/dev/null; then
		TMPDIR=$PWD/t run -0 --separate-stderr denki-statement -c coop.yaml --community -P 2026-01 --pdf c.pdf
		assert_equal "$stderr" ""
		assert_output ""
		[ "$(head -c 5 c.pdf)" = "%PDF-" ]
		[ "$(wc -c <c.pdf)" -gt 10000 ]
		# the page it printed is gone
		assert_equal "$(ls -A t)" ""
	fi
	mkdir bin
	run -69 --separate-stderr env PATH="$PWD/bin" "$TOP/denki-statement" -c coop.yaml --community -P 2026-01 --pdf d.pdf
	assert_equal "$stderr" "denki-statement: --pdf: no chromium on PATH (apt-get install chromium); -f html writes the page to print"
	[ ! -e d.pdf ]
	# a Chromium that prints nothing: 73, the old file untouched
	printf '#!/bin/sh\nexit 1\n' >bin/chromium
	chmod +x bin/chromium
	echo old >d.pdf
	TMPDIR=$PWD/t run -73 --separate-stderr env PATH="$PWD/bin" "$TOP/denki-statement" -c coop.yaml --community -P 2026-01 --pdf d.pdf
	assert_equal "$stderr" "denki-statement: d.pdf: chromium printed no PDF (status 1)"
	assert_equal "$(cat d.pdf)" old
	assert_equal "$(ls -A t)" ""
	# one that writes something else than a PDF: the same
	printf '#!/bin/sh\nfor a; do case $a in --print-to-pdf=*) echo junk >"${a#*=}" ;; esac; done\n' >bin/chromium
	TMPDIR=$PWD/t run -73 --separate-stderr env PATH="$PWD/bin" "$TOP/denki-statement" -c coop.yaml --community -P 2026-01 --pdf d.pdf
	assert_equal "$stderr" "denki-statement: d.pdf: Chromium printed no PDF"
	assert_equal "$(cat d.pdf)" old
}

@test "statement: on the demo's ledger, every household's July is its report statement; the man page's examples run" {
	local h line
	run -0 "$TOP/examples/demo.sh" demo
	cd demo
	[ -s statement-kn1.txt ] && [ -s statement-community.html ]
	denki-report -p operator.pub ledger.jsonl >report.jsonl
	for h in kn1 kn2 kn3 kn4 kn5 kn6; do
		assert_equal "$(denki-statement -c coop.yaml -m $h -P 2016-07 -f json | head -n 1 |
		    jq -c 'del(.from, .to, .sold_grid_wh, .bought_grid_wh, .checkpoint)')" \
		    "$(jq -c --arg h $h 'select(.participant == $h)' report.jsonl)"
		# the demo's text statement says the same money
		grep -q "^  with P2P     $(money "$(jq --arg h $h 'select(.participant == $h) | .net' report.jsonl)")$" statement-$h.txt
	done
	# EXAMPLES, each command as the page writes it (continued lines joined)
	sed -n '/^\.Sh EXAMPLES/,/^\.Sh SEE ALSO/p' "$TOP/man/denki-statement.1" |
	    sed -e ':a' -e '/\\e$/{N;s/\\e\n *//;ba' -e '}' | sed -n 's/^\$ //p' >examples.sh
	[ "$(wc -l <examples.sh)" = 4 ]
	# --pdf has its own test: one Chromium the fewer
	sed -i '/--pdf/d' examples.sh
	while read -r line; do
		run -0 --separate-stderr bash -c "PATH=$TOP:\$PATH; $line"
		assert_equal "$stderr" ""
	done <examples.sh
	[ -s kn1.html ] && [ -s community.csv ]
	grep -q '^figure,,,co2_avoided_kg,"CO2 avoided, kg",' community.csv
}

@test "statement: bash completes its options, formats, files and the setting; zsh knows it" {
	comp() {
		bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
		    _denki; printf "%s\n" "${COMPREPLY[@]}"' _ \
		    "$TOP/completions/bash/denki" "$@"
	}
	touch kn1.pdf
	run -0 comp denki statement --
	assert_output "--community
--pdf
--help
--version"
	run -0 comp denki-statement -f ""
	assert_output "text
csv
json
html"
	run -0 comp denki statement --pdf kn
	assert_output kn1.pdf
	run -0 comp denki statement -c coop.yaml l
	assert_output ledger.jsonl
	run -0 comp denki statement -D emi
	assert_output emission_factor=
	run -0 comp denki stat
	assert_output statement
	run -0 grep -c "'emission_factor:\|statement:a member\|'(-m)--community\[" "$TOP/completions/zsh/_denki"
	assert_output 3
	if command -v zsh >/dev/null; then
		run -0 zsh -n "$TOP/completions/zsh/_denki"
	fi
}
