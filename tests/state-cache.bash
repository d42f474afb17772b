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
