# Rewriting a ledger as an operator holding the key could: every entry
# linked again and each checkpoint signed again, so that only the replay
# of the records can tell.  The same helpers as in ledger-verify.bats
# (node, append, root, vkey, note, resign), for other bats files to load
# (`load resign`).  Needs operator.key and operator.pub in the cwd, jq,
# xxd, sha256sum and openssl.
ORIGIN=${ORIGIN:-denki.local/ledger}

# a test can rewrite history as an operator holding the key could: a C2SP
# signed note (origin, tree size, base64 root; then the signature line,
# "— ORIGIN base64(key hash || Ed25519 signature)") of the RFC 6962 Merkle
# tree whose leaves are the entries' lines without their newlines.

# node LEFT RIGHT: the RFC 6962 hash (hex) of an inner node
node() {
	printf '01%s%s' "$1" "$2" | xxd -r -p | sha256sum | cut -c1-64
}

# append LINE: the entry added to the tree, kept as its compact range: the
# roots (RANGE) of its perfect subtrees, largest first, and their sizes
append() {
	RANGE+=("$({ printf '\0'; printf '%s' "$1"; } | sha256sum | cut -c1-64)")
	SIZE+=(1)
	while ((${#SIZE[@]} > 1 && SIZE[-1] == SIZE[-2])); do
		RANGE[-2]=$(node "${RANGE[-2]}" "${RANGE[-1]}")
		SIZE[-2]=$((SIZE[-2] * 2))
		unset 'RANGE[-1]' 'SIZE[-1]'
	done
}

# root: the root (hex) of the tree of the entries appended so far
root() {
	local r=${RANGE[-1]} i
	for ((i = ${#RANGE[@]} - 2; i >= 0; i--)); do
		r=$(node "${RANGE[i]}" "$r")
	done
	printf '%s' "$r"
}

# vkey PUBFILE: the C2SP verifier key of ORIGIN and a minisign public
# key: ORIGIN+HASH+base64(0x01 key), HASH the first 4 bytes (hex) of
# SHA-256(ORIGIN "\n" 0x01 key)
vkey() {
	local k
	k=$(sed -n 2p "$1" | base64 -d | tail -c 32 | od -An -tx1 -v | tr -d ' \n')
	printf '%s+%s+%s' "$ORIGIN" \
	    "$({ printf '%s\n' "$ORIGIN"; printf '01%s' "$k" | xxd -r -p; } | sha256sum | cut -c1-8)" \
	    "$(printf '01%s' "$k" | xxd -r -p | base64 -w0)"
}

# note N: the operator's note of the tree of the N entries appended so
# far, without its final newline (operator.key is minisign's, unencrypted:
# its Ed25519 seed is bytes 62-93)
note() {
	local text kid
	printf '302e020100300506032b657004220420%s' "$(sed -n 2p operator.key |
	    base64 -d | od -An -tx1 -v | tr -d ' \n' | cut -c125-188)" |
	    xxd -r -p >"$BATS_TEST_TMPDIR/operator.der"
	kid=$(vkey operator.pub | cut -d+ -f2)
	text=$(printf '%s\n%s\n%s\n' "$ORIGIN" "$1" "$(root | xxd -r -p | base64)")
	printf '%s\n' "$text" >"$BATS_TEST_TMPDIR/note.txt"
	printf '%s\n\n\xe2\x80\x94 %s %s' "$text" "$ORIGIN" "$({
		printf '%s' "$kid" | xxd -r -p
		openssl pkeyutl -sign -inkey "$BATS_TEST_TMPDIR/operator.der" \
		    -keyform DER -rawin -in "$BATS_TEST_TMPDIR/note.txt"
	} | base64 -w0)"
}

# resign FILE [FROM [KEEP]]: links every entry from line FROM on again
# (numbered in turn, prev the leaf hash of the line before), and signs
# each checkpoint from there on over the entries before it again (but the
# one on line KEEP, whose note stays as it is), as an operator holding the
# key could after rewriting history: only the replay can tell
ENTRY_RE='^\{"prev":"[0-9a-f]{64}"(,"rec":.*,"seq":)[0-9]+(,"type":"entry","v":2\})$'
resign() {
	local from=${2:-1} keep=${3:-0} n=0 seq=0 l h
	local prev=0000000000000000000000000000000000000000000000000000000000000000
	local -a RANGE=() SIZE=()
	while IFS= read -r l; do
		n=$((n + 1))
		if ((n >= from)); then
			if ((n != keep)) && [[ $l == *'"type":"checkpoint","v":1},"seq":'* ]]; then
				l=$(jq -c --arg n "$(note $seq)" '.rec.note = $n + "\n"' <<<"$l")
			fi
			[[ $l =~ $ENTRY_RE ]] || { echo "resign: $1:$n: not an entry" >&2; return 1; }
			l=$(printf '{"prev":"%s"%s%s%s' "$prev" "${BASH_REMATCH[1]}" $seq "${BASH_REMATCH[2]}")
		fi
		append "$l"
		prev=$({ printf '\0'; printf '%s' "$l"; } | sha256sum | cut -c1-64)
		printf '%s\n' "$l"
		seq=$((seq + 1))
	done <"$1"
}
