#!/usr/bin/env bats
# The README's tour, line by line as it is written there, after the demo.

load test_helper

# The command lines of the section "A tour": its lines indented by four.
tour_lines() {
	awk '/^## / { t = ($0 == "## A tour"); next }
	    t && /^    [^ ]/ { sub(/^    /, ""); print }' "$TOP/README.md"
}

# A script that runs the lines on stdin in one shell, in turn, and stops at
# the first that fails, naming it.
runner() {
	local line
	echo 'set -o pipefail'
	while IFS= read -r line; do
		printf '%s\n' "$line"
		printf 'rc=$?; [ $rc = 0 ] || { echo "tour: exit $rc: %s" >&2; exit 1; }\n' \
		    "$(printf '%s' "$line" | sed 's/[\\"$`]/\\&/g')"
	done
}

@test "README: the tour runs as written after make demo, every line exits 0" {
	# make demo's work, as the tour finds it: demo/ beside the programs
	mkdir top
	ln -s "$TOP"/denki "$TOP"/denki-* top/
	run -0 "$TOP/examples/demo.sh" top/demo
	cd top
	[ -f demo/home.yaml ] && [ -f demo/data.csv ] && [ -f demo/kept.note ]
	tour_lines | runner >tour.sh
	# the tour is there: fifteen lines and more, cd and PATH first
	[ "$(tour_lines | wc -l)" -ge 15 ]
	assert_equal "$(tour_lines | head -2)" 'cd demo
PATH=$PWD/..:$PATH'
	# with only the system's programs on PATH, as after make demo
	PATH=/usr/local/bin:/usr/bin:/bin run -0 --separate-stderr bash tour.sh
	# and it did what the README says
	assert_line --regexp '^  keygen +make an Ed25519 key pair'
	assert_line --partial '"type":"key"'
	assert_line --partial '"id":"alice"'
	assert_line --regexp '^ledger.jsonl: OK: [0-9]+ entries, 8 participants'
	assert_line --regexp '^proof.json:1: OK: entry 1234 is in konstanz.denki.example/ledger'
	assert_line --regexp '^stdin:1: OK: konstanz.denki.example/ledger grew from [0-9]+ to [0-9]+ entries'
	assert_line 'Signature and comment signature verified'
	assert_line 'Signature Verified'
	assert_line --partial '"type":"recovery"'
	assert_line --regexp '^— witness\.example/w1 [A-Za-z0-9+/]{102}==$'
	assert_line --regexp '^kn4 +[0-9]+ +0 +[0-9]+ +200 +200 +0$'
	# alice's order for the slot after her newest reading was cleared
	run -0 jq -r .slot demo/next.jsonl
	assert_output "2016-07-06T02:00:00+02:00"
	run -0 jq -c 'select(.rec.slot == "2016-07-06T02:00:00+02:00") |
	    [.rec.type, .rec.participant // .rec.buy_orders]' demo/ledger.jsonl
	assert_output '["order","alice"]
["clearing",1]'
}

@test "README: a broken tour line fails the tour test's runner" {
	# the runner above stops at the first line that fails, with its text
	printf '%s\n' 'echo "$HOME" `true`' 'false | true # "no"' 'touch reached' |
	    runner >tour.sh
	run -1 --separate-stderr bash tour.sh
	assert_equal "$stderr" 'tour: exit 1: false | true # "no"'
	assert_output "$HOME"
	[ ! -e reached ]
}
