# tests/state-cache.bash: helpers of tests/state-cache.bats.

# twice_bin DIR: DIR holds a copy of denki-simulate and, beside it, a
# denki-clear, denki-contract-sign and denki-settle that run the real one
# twice, first on a copy of the ledger (and its openings) without its
# state cache, then as asked (with the cache); any difference of stdout,
# stderr, exit status, ledger (without its checkpoint lines, whose times
# differ; a commitment's hash and an opening's salt are random) or
# openings is told in DIR/twice.log; the count of marks in the cache after
# each run goes into DIR/marks.  The other programs are
# the real ones.
twice_bin() {
	local d=$1 f p
	mkdir -p "$d"
	for f in "$TOP"/denki-*; do
		ln -sf "$f" "$d/"
	done
	rm -f "$d/denki-simulate"
	cp "$TOP/denki-simulate" "$d/"
	: >"$d/twice.log"
	for p in clear contract-sign settle; do
		rm -f "$d/denki-$p"
		cat >"$d/denki-$p" <<-EOT
		#!/bin/sh
		real="$TOP/denki-$p" log="$d/twice.log"
		t=\$(mktemp -d)
		[ -e ledger.jsonl ] && cp ledger.jsonl "\$t/"
		[ -e ledger.jsonl.openings ] && cp -p ledger.jsonl.openings "\$t/"
		"\$real" -D ledger="\$t/ledger.jsonl" "\$@" >"\$t/out1" 2>"\$t/err1"
		rc1=\$?
		"\$real" "\$@" >"\$t/out2" 2>"\$t/err2"
		rc2=\$?
		sed -i "s#\$t/##g" "\$t/err1"
		cmp -s "\$t/out1" "\$t/out2" || echo "denki-$p \$*: stdout differs" >>"\$log"
		cmp -s "\$t/err1" "\$t/err2" || echo "denki-$p \$*: stderr differs" >>"\$log"
		[ \$rc1 = \$rc2 ] || echo "denki-$p \$*: exit \$rc1, with the cache \$rc2" >>"\$log"
		if [ -e ledger.jsonl ]; then
			for l in "\$t/ledger.jsonl" ledger.jsonl; do
				jq -c 'select(.rec.type!="checkpoint")|.rec|if .type=="commitment" then del(.hash) else . end' "\$l" | sha256sum
			done | uniq | [ \$(wc -l) = 1 ] || echo "denki-$p \$*: the ledgers differ" >>"\$log"
		fi
		if [ -e ledger.jsonl.openings ]; then
			for l in "\$t/ledger.jsonl.openings" ledger.jsonl.openings; do
				jq -c 'del(.salt)' "\$l" | sha256sum
			done | uniq | [ \$(wc -l) = 1 ] || echo "denki-$p \$*: the openings differ" >>"\$log"
		fi
		[ -e ledger.jsonl.state ] && grep -c '^M' ledger.jsonl.state >>"$d/marks"
		cat "\$t/out2"
		cat "\$t/err2" >&2
		rm -rf "\$t"
		exit \$rc2
		EOT
		chmod +x "$d/denki-$p"
	done
}

# season DAYS [DIR]: a season of DAYS days of kn1 to kn5 run by
# denki-simulate, a run of clear, contract-sign and settle a day, in DIR
# (s by default); then in its directory.
season() {
	local d="$BATS_TEST_TMPDIR/${2:-s}"
	mkdir -p "$d"
	cat >"$d/sc.yaml" <<-EOF
	community: $EXAMPLES/community
	start: 2016-07-05
	days: $1
	homes: [kn1, kn2, kn3, kn4, kn5]
	EOF
	"${SIMULATE:-denki-simulate}" -q -b 1 -j 2 -d "$d" "$d/sc.yaml" >/dev/null
	cd "$d/sc"
}

# before_day2 TYPE [LEDGER]: the ledger's lines up to the checkpoint
# before the first TYPE entry of the second day (2016-07-06).
before_day2() {
	local first l=${2:-ledger.jsonl}
	first=$(jq -r --arg t "$1" 'select(.rec.type == $t and
	    (.rec.slot // "" | startswith("2016-07-06"))) | .seq' "$l" |
	    head -n 1)
	jq -r --argjson f "$first" 'select(.seq < $f and
	    .rec.type == "checkpoint") | .seq' "$l" | tail -n 1 |
	    awk '{ print $1 + 1 }'
}

# redigest: the cache's last mark made to hold the SHA-256 of what comes
# before it again, as one who knows the format would after an edit.
redigest() {
	local n d m
	n=$(grep -an '^M' ledger.jsonl.state | tail -n 1 | cut -d: -f1)
	head -n $((n - 1)) ledger.jsonl.state >body
	d=$(sha256sum <body | cut -c1-64)
	m=$(sed -n "${n}p" ledger.jsonl.state | sed 's/\t[0-9a-f]*$//')
	{ cat body; printf '%s\t%s\n' "$m" "$d"; } >ledger.jsonl.state
	rm body
}

# nocache CMD...: CMD run in a copy of this directory without the cache
# (its stdout in nc.out, its status in nc.rc, its ledger in nc.jsonl),
# then here, in run's variables.
nocache() {
	rm -rf "$BATS_TEST_TMPDIR/nc"
	cp -a . "$BATS_TEST_TMPDIR/nc"
	rm -f "$BATS_TEST_TMPDIR/nc/ledger.jsonl.state"
	(
		cd "$BATS_TEST_TMPDIR/nc"
		rc=0
		"$@" >../nc.out 2>../nc.err || rc=$?
		echo $rc >../nc.rc
	)
	run --separate-stderr "$@"
}

# same_ledger: this ledger and the copy's hold the same entries (but for
# their checkpoints' times and commitments' random hashes).
same_ledger() {
	local f='select(.rec.type != "checkpoint") | .rec |
	    if .type == "commitment" then del(.hash) else . end'
	diff <(jq -c "$f" "$BATS_TEST_TMPDIR/nc/ledger.jsonl") \
	    <(jq -c "$f" ledger.jsonl)
}
