# Rewriting a ledger as an operator holding the key could: every entry
# linked again and each checkpoint signed again, so that only the replay
# of the records can tell.  For the bats files that rewrite history
# (`load resign`): vkey here, resign through tests/resign.py.  Needs
# operator.key and operator.pub in the cwd, python3, xxd, sha256sum and
# openssl.
ORIGIN=${ORIGIN:-denki.local/ledger}

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

# resign FILE [FROM [KEEP]]: links every entry from line FROM on again
# (numbered in turn, prev the leaf hash of the line before), and signs
# each checkpoint from there on over the entries before it again (but the
# one on line KEEP, whose note stays as it is), as an operator holding the
# key could after rewriting history: only the replay can tell
resign() {
	ORIGIN=$ORIGIN python3 "$TOP/tests/resign.py" "$@"
}
