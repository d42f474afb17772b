#!/usr/bin/env bats
# One exit-status table: DK_EXIT_TABLE in lib/core/core.h (printed by
# tests/unit/test-exit), denki(7)'s EXIT STATUS, and every page's EXIT
# STATUS, which quotes the table's wording for each status it lists.

load test_helper

# table: "NUMBER<TAB>MEANING" lines, from the code
table() {
	"$TOP/tests/unit/test-exit" table
}

# items PAGE: "NUMBER<TAB>FIRST LINE<TAB>LINES AFTER IT" for each .It of the
# EXIT STATUS section's list
items() {
	awk '
	/^\.Sh / { in_es = ($0 == ".Sh EXIT STATUS") }
	!in_es { next }
	function flush() { if (num != "") print num "\t" first "\t" more; num = "" }
	/^\.It / { flush(); num = $2; first = ""; more = 0; next }
	/^\.El/ { flush(); next }
	num != "" && first == "" { first = $0; next }
	num != "" { more++ }
	END { flush() }' "$1"
}

@test "exit status: the code's table is denki(7)'s, number for number, word for word" {
	local want got
	want=$(table)
	[ "$(wc -l <<<"$want")" -eq 12 ]
	got=$(items "$TOP/man/denki.7" | awk -F '\t' '{ sub(/[.:]$/, "", $2); print $1 "\t" $2 }')
	assert_equal "$got" "$want"
}

@test "exit status: every page's EXIT STATUS quotes the table for each status it lists, in order" {
	local page n first more t last bad=0 tab
	tab=$(table)
	for page in "$TOP"/man/*.[157]; do
		last=-1
		while IFS=$'\t' read -r n first more; do
			t=$(awk -F '\t' -v n="$n" '$1 == n { print $2 }' <<<"$tab")
			if [ -z "$t" ]; then
				echo "${page##*/}: $n: not in the table" >&2
				bad=1
			elif [ "$first" != "$t." ] && [ "$first" != "$t:" ]; then
				echo "${page##*/}: $n: \"$first\", not \"$t.\" or \"$t:\"" >&2
				bad=1
			elif [ "$first" = "$t:" ] && [ "$more" -eq 0 ]; then
				echo "${page##*/}: $n: \"$t:\" and nothing after it" >&2
				bad=1
			elif [ "$first" = "$t." ] && [ "$more" -ne 0 ]; then
				echo "${page##*/}: $n: \"$t.\" then more text: \"$t:\"" >&2
				bad=1
			fi
			if [ "$n" -le "$last" ]; then
				echo "${page##*/}: $n after $last" >&2
				bad=1
			fi
			last=$n
		done < <(items "$page")
	done
	[ "$bad" -eq 0 ]
}

@test "exit status: every program's page has an EXIT STATUS list with 0 and 64; denki-formats(5) points to denki(7)" {
	local page nums
	for page in "$TOP"/man/*.1; do
		nums=$(items "$page" | cut -f 1 | tr '\n' ' ')
		[[ " $nums" == *" 0 "* && " $nums" == *" 64 "* ]] ||
		    fail "${page##*/}: EXIT STATUS lists \"$nums\""
	done
	assert_equal "$(items "$TOP/man/denki-formats.5")" ""
	sed -n '/^\.Sh EXIT STATUS/,/^\.Sh /p' "$TOP/man/denki-formats.5" |
	    grep -qx '\.Xr denki 7 ;'
}

@test "exit status: each program's 0 (-h) and 64 (a bad option) are real" {
	local p
	for p in denki "$TOP"/denki-*; do
		p=${p##*/}
		run -0 --separate-stderr "$p" -h
		assert_output --partial "usage: $p"
		run -64 --separate-stderr "$p" --no-such-option
		assert_output ""
		assert_regex "$stderr" "usage: $p"
	done
}

@test "exit status: ledger-verify and ledger-proof: an answer no that cannot be written is 74, not 1" {
	make_community alice bob
	# a changed entry
	sed '2s/"zone":"main"/"zone":"mainX"/' ledger.jsonl >forged.jsonl
	run -1 --separate-stderr denki-ledger-verify -p operator.pub forged.jsonl
	run -74 --separate-stderr bash -c 'denki-ledger-verify -p operator.pub forged.jsonl >/dev/full'
	assert_regex "$stderr" '^denki-ledger-verify: write error on stdout: '
	run -74 --separate-stderr bash -c 'denki-ledger-verify -j -p operator.pub forged.jsonl >/dev/full'
	# a checkpoint of another history (-C): the evidence cannot be written
	denki-registry request carol -s alice.key >carol.json
	denki-registry -c coop.yaml -D ledger=other.jsonl add carol.json >/dev/null
	denki-ledger-proof -c coop.yaml -D ledger=other.jsonl checkpoint >other.note
	run -1 --separate-stderr denki-ledger-verify -p operator.pub -C other.note ledger.jsonl
	assert_output --partial 'FAIL: fork'
	run -74 --separate-stderr bash -c 'denki-ledger-verify -p operator.pub -C other.note ledger.jsonl >/dev/full'
	run -1 --separate-stderr denki-ledger-proof -c coop.yaml consistency other.note
	assert_output --partial 'FORK: other.note'
	run -74 --separate-stderr bash -c 'denki-ledger-proof -c coop.yaml consistency other.note >/dev/full'
	assert_regex "$stderr" '^denki-ledger-proof: write error on stdout: '
}

@test "exit status: a ledger's rules record with a bad field is bad input data (65), not bad configuration (78)" {
	local n
	make_community alice bob
	{ order alice sell 500 150000; order bob buy 400 250000; } >o.jsonl
	denki-clear -c coop.yaml o.jsonl | denki-contract-sign -c coop.yaml >/dev/null
	n=$(grep -n -m 1 '"type":"rules"' ledger.jsonl | cut -d: -f1)
	sed -i "${n}s/\"currency\":\"EUR\"/\"currency\":\"\"/" ledger.jsonl
	grep -q '"currency":""' ledger.jsonl
	run -65 --separate-stderr denki-report ledger.jsonl
	assert_regex "$stderr" "^denki-report: ledger\\.jsonl:$n: entry $((n - 1)): currency: must be 1 to "
	run -65 --separate-stderr denki-clear -c coop.yaml o.jsonl
	assert_regex "$stderr" "^denki-clear: ledger\\.jsonl:$n: entry $((n - 1)): currency: must be 1 to "
	denki-registry request dave -s alice.key >dave.json
	run -65 --separate-stderr denki-registry -c coop.yaml add dave.json
	assert_regex "$stderr" "^denki-registry: ledger\\.jsonl:$n: entry $((n - 1)): currency: must be 1 to "
}
