#!/usr/bin/env bats
# Secret key files: what denki refuses to sign with, and keys that go both
# ways between denki and minisign (Debian's minisign, the real program).

load test_helper

# hermetic for encrypted keys too: no passphrase from the caller's
# environment
setup() {
	common_setup
	unset DENKI_PASSFD
}

# bytes FILE FROM COUNT: COUNT bytes (1-based FROM) of line 2 of a key file,
# base64-decoded, as hex
bytes() {
	sed -n 2p "$1" | base64 -d | tail -c +"$2" | head -c "$3" | od -An -v -tx1 |
	    tr -d ' \n'
}

# set_bytes FILE FROM HEX: replaces bytes of line 2 of a key file (1-based
# FROM), keeping line 1 and the file's mode
set_bytes() {
	sed -n 2p "$1" | base64 -d >"$1.bin"
	printf '%s' "$3" | xxd -r -p |
	    dd of="$1.bin" bs=1 seek=$(($2 - 1)) conv=notrunc status=none
	{ sed -n 1p "$1"; base64 -w0 "$1.bin"; echo; } >"$1.new"
	cat "$1.new" >"$1"
	rm "$1.bin" "$1.new"
}

# chk FILE: minisign's checksum of a secret key file, recomputed:
# BLAKE2b-256("Ed" || keynum || sk), as hex
chk() {
	sed -n 2p "$1" | base64 -d >"$1.bin"
	{ head -c 2 "$1.bin"; tail -c +55 "$1.bin" | head -c 72; } |
	    b2sum -l 256 | cut -d' ' -f1
	rm "$1.bin"
}

ZERO32=0000000000000000000000000000000000000000000000000000000000000000

# two readings of alice-m a day apart, for denki-bid -n to sign an order
# from (a sell order of 800 Wh for 2026-01-02T10:30, forecast from the
# same slot the day before)
reading() {
	printf '{"type":"reading","v":1,"meter":"alice-m","slot":"2026-01-0%dT%s:00+00:00","import_wh":100,"export_wh":900}\n' \
	    1 10:30 2 10:00
}

@test "keys: a secret key whose public half was changed signs nothing: 65, the file named" {
	make_community alice bob
	reading >r.jsonl
	run -0 --separate-stderr denki-bid -n -c alice.yaml r.jsonl	# the key works
	assert_equal "${#lines[@]}" 1
	# the attack's first step: bob's public key in alice's secret key file
	cp -p alice.key alice.good
	set_bytes alice.key 95 "$(bytes bob.pub 11 32)"
	[ "$(bytes alice.key 95 32)" = "$(bytes bob.pub 11 32)" ]
	run -65 --separate-stderr denki-bid -n -c alice.yaml r.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-bid: alice.key:2: public half: not the public key of the secret seed: the file was altered or damaged; denki will not sign with it"
	# the same with the checksum made to match, or zeroed as minisign -W does
	set_bytes alice.key 127 "$(chk alice.key)"
	run -65 --separate-stderr denki-bid -n -c alice.yaml r.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-bid: alice.key:2: public half: not the public key of the secret seed: the file was altered or damaged; denki will not sign with it"
	set_bytes alice.key 127 $ZERO32
	run -65 --separate-stderr denki-bid -n -c alice.yaml r.jsonl
	assert_output ""
	# the operator's key: no checkpoint is signed, the ledger unchanged
	cp ledger.jsonl ledger.before
	set_bytes operator.key 95 "$(bytes alice.pub 11 32)"
	set_bytes operator.key 127 "$(chk operator.key)"
	denki-keygen dave >/dev/null
	denki-registry request dave -s dave.key -m dave-m >dave.json
	run -65 --separate-stderr denki-registry -c coop.yaml add dave.json
	assert_output ""
	assert_equal "$stderr" "denki-registry: operator.key:2: public half: not the public key of the secret seed: the file was altered or damaged; denki will not sign with it"
	cmp ledger.jsonl ledger.before
	run -65 --separate-stderr denki-ledger-export -c coop.yaml -o e.jsonl
	assert_output ""
	[ ! -e e.jsonl ] && [ ! -e e.jsonl.minisig ]
}

@test "keys: denki-keygen fills minisign's checksum, BLAKE2b-256 of Ed, key number and secret key" {
	run -0 denki-keygen alice
	[ "$(bytes alice.key 127 32)" != $ZERO32 ]
	assert_equal "$(bytes alice.key 127 32)" "$(chk alice.key)"
}

@test "keys: a checksum that does not match is refused; a zero one, as minisign -G -W writes, is read" {
	make_community alice
	reading >r.jsonl
	cp -p alice.key alice.good
	# a changed key number: the checksum no longer matches
	set_bytes alice.key 55 0000000000000000
	run -65 --separate-stderr denki-bid -n -c alice.yaml r.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-bid: alice.key:2: checksum: not BLAKE2b-256 of \"Ed\", key number and secret key: the file was altered or damaged"
	# a zero checksum
	cp -p alice.good alice.key
	set_bytes alice.key 127 $ZERO32
	run -0 --separate-stderr denki-bid -n -c alice.yaml r.jsonl
	assert_equal "${#lines[@]}" 1
	echo "$output" >o.jsonl
	run -0 --separate-stderr denki-clear -c coop.yaml o.jsonl
	assert_line --index 0 "$(cat o.jsonl)"
}

@test "keys: a secret key file readable by group or others is refused with the chmod to run: 78" {
	make_community alice
	reading >r.jsonl
	chmod 644 alice.key
	run -78 --separate-stderr denki-bid -n -c alice.yaml r.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-bid: alice.key: permissions 0644 are too open: a secret key must be readable by its owner alone; run: chmod 600 alice.key"
	chmod 640 alice.key
	run -78 --separate-stderr denki-bid -n -c alice.yaml r.jsonl
	assert_equal "$stderr" "denki-bid: alice.key: permissions 0640 are too open: a secret key must be readable by its owner alone; run: chmod 600 alice.key"
	chmod 604 operator.key
	cp ledger.jsonl ledger.before
	denki-keygen dave >/dev/null
	denki-registry request dave -s dave.key -m dave-m >dave.json
	run -78 --separate-stderr denki-registry -c coop.yaml add dave.json
	assert_equal "$stderr" "denki-registry: operator.key: permissions 0604 are too open: a secret key must be readable by its owner alone; run: chmod 600 operator.key"
	cmp ledger.jsonl ledger.before
	# the command in the message is the one to run, quoted when needed
	mkdir "my keys"
	mv operator.key "my keys/op.key"
	run -78 --separate-stderr denki-registry -c coop.yaml -D "operator.key=my keys/op.key" add dave.json
	assert_equal "$stderr" "denki-registry: my keys/op.key: permissions 0604 are too open: a secret key must be readable by its owner alone; run: chmod 600 'my keys/op.key'"
	eval "${stderr##*run: }"
	assert_equal "$(stat -c %a "my keys/op.key")" 600
	run -0 denki-registry -c coop.yaml -D "operator.key=my keys/op.key" add dave.json
	chmod 600 alice.key
	run -0 --separate-stderr denki-bid -n -c alice.yaml r.jsonl
	assert_equal "${#lines[@]}" 1
	chmod 400 alice.key
	run -0 --separate-stderr denki-bid -n -c alice.yaml r.jsonl
	assert_equal "${#lines[@]}" 1
}

@test "keys: a key made by denki-keygen signs files that minisign -V verifies; minisign -R gives back its .pub" {
	make_community alice
	printf 'a file to sign\n' >f.txt
	# denki signs (ledger-export's .minisig), minisign verifies
	order alice sell 500 150000 >o.jsonl
	denki-clear -c coop.yaml o.jsonl | denki-contract-sign -c coop.yaml >/dev/null
	run -0 denki-ledger-export -c coop.yaml -o export.jsonl
	run -0 minisign -V -p operator.pub -m export.jsonl -x export.jsonl.minisig
	assert_output --partial 'Signature and comment signature verified'
	# minisign reads denki's secret key file and signs with it
	run -0 minisign -S -s alice.key -m f.txt
	run -0 minisign -V -p alice.pub -m f.txt
	assert_output --partial 'Signature and comment signature verified'
	# the key number minisign signs with is denki's
	assert_equal "$(bytes f.txt.minisig 3 8)" "$(bytes alice.pub 3 8)"
	run -1 minisign -V -p operator.pub -m f.txt
	# minisign -R recreates, from denki's secret key, denki's public key
	run -0 minisign -R -s alice.key -p re.pub
	assert_equal "$(sed -n 2p re.pub)" "$(sed -n 2p alice.pub)"
}

@test "keys: a key made by minisign -G -W is read by denki, as a participant's and as the operator's" {
	make_community alice
	# alice's key pair made by minisign
	cp alice.key old.key
	run -0 minisign -G -W -f -p alice.pub -s alice.key
	assert_equal "$(stat -c %a alice.key)" 600
	assert_equal "$(bytes alice.key 127 32)" $ZERO32
	denki-registry request alice -s alice.key -K old.key -m alice-m -t 2099-01-01T00:00:00Z >rekey.json
	run -0 denki-registry -c coop.yaml rekey rekey.json
	reading >r.jsonl
	run -0 --separate-stderr denki-bid -n -c alice.yaml r.jsonl
	echo "$output" >o.jsonl
	run -0 --separate-stderr denki-clear -c coop.yaml o.jsonl
	assert_line --index 0 "$(cat o.jsonl)"
	# a new ledger whose operator key minisign made
	run -0 minisign -G -W -p ms.pub -s ms.key
	denki-keygen bob >/dev/null
	denki-registry request bob -s bob.key -m bob-m >bob.json
	run -0 denki-registry -c coop.yaml -D ledger=ms-ledger.jsonl -D operator.key=ms.key -D operator.pub=ms.pub add bob.json
	run -0 denki-ledger-verify -p ms.pub ms-ledger.jsonl
	run -1 denki-ledger-verify -p operator.pub ms-ledger.jsonl
	run -0 denki-ledger-export -c coop.yaml -D ledger=ms-ledger.jsonl -D operator.key=ms.key -o ms-export.jsonl
	run -0 minisign -V -p ms.pub -m ms-export.jsonl -x ms-export.jsonl.minisig
	assert_output --partial 'Signature and comment signature verified'
}

@test "keys: minisign's checksum as minisign computes it: a key whose password minisign removed is read" {
	make_community alice
	# alice's key given a password by minisign (-C: minisign's scrypt,
	# its checksum computed again, as -G writes a key; a scrypt fewer
	# than a new key, which would need a rekey signed with it): denki
	# refuses it and says what to do
	cp alice.key alice.denki
	printf 'pw\npw\n' | minisign -C -s alice.key >/dev/null
	assert_equal "$(bytes alice.key 3 2)" 5363	# "Sc"
	reading >r.jsonl
	run -65 --separate-stderr setsid -w denki-bid -n -c alice.yaml r.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-bid: alice.key: the key is encrypted with a password and there is no terminal to ask for it: give it on a file descriptor named by DENKI_PASSFD (e.g. DENKI_PASSFD=3 ... 3<pass.txt), or remove the password with minisign -C -W -s alice.key"
	# given the passphrase on a file descriptor, denki reads minisign's
	# encrypted key and signs with it
	DENKI_PASSFD=3 run -0 --separate-stderr denki-bid -n -c alice.yaml r.jsonl 3<<<pw
	assert_equal "${#lines[@]}" 1
	echo "$output" >o.jsonl
	run -0 --separate-stderr denki-clear -c coop.yaml o.jsonl
	assert_line --index 0 "$(cat o.jsonl)"
	# a wrong passphrase: 65, nothing written
	DENKI_PASSFD=3 run -65 --separate-stderr denki-bid -n -c alice.yaml r.jsonl 3<<<wrong
	assert_output ""
	assert_equal "$stderr" "denki-bid: alice.key: wrong passphrase: the decrypted key does not match its checksum"
	# an empty one, or a DENKI_PASSFD that is not a number: 65
	DENKI_PASSFD=3 run -65 --separate-stderr denki-bid -n -c alice.yaml r.jsonl 3</dev/null
	assert_equal "$stderr" "denki-bid: alice.key: the passphrase is empty"
	DENKI_PASSFD=three run -65 --separate-stderr denki-bid -n -c alice.yaml r.jsonl
	assert_equal "$stderr" "denki-bid: DENKI_PASSFD: must be the number of a file descriptor, got \"three\""
	# minisign -C -W leaves the checksum minisign computed: denki checks it
	printf 'pw\n' | minisign -C -W -s alice.key >/dev/null
	assert_equal "$(bytes alice.key 3 2)" 0000
	[ "$(bytes alice.key 127 32)" != $ZERO32 ]
	run -0 --separate-stderr denki-bid -n -c alice.yaml r.jsonl
	echo "$output" >o.jsonl
	run -0 --separate-stderr denki-clear -c coop.yaml o.jsonl
	assert_line --index 0 "$(cat o.jsonl)"
	# and the denki key that minisign encrypted and decrypted again came
	# back with the same checksum: minisign computes it as denki does
	assert_equal "$(bytes alice.key 127 32)" "$(bytes alice.denki 127 32)"
	assert_equal "$(bytes alice.key 55 104)" "$(bytes alice.denki 55 104)"
}

@test "keys: a comment of up to 1003 bytes, minisign's limit; a longer one is 64" {
	c=$(printf '%01003d' 0)
	run -0 denki-keygen -C "$c" alice
	assert_equal "$(sed -n 1p alice.key)" "untrusted comment: $c"
	run -0 minisign -R -s alice.key -p re.pub
	assert_equal "$(sed -n 2p re.pub)" "$(sed -n 2p alice.pub)"
	printf 'x\n' >f.txt
	run -0 minisign -S -s alice.key -m f.txt
	run -0 minisign -V -p alice.pub -m f.txt
	run -64 --separate-stderr denki-keygen -C "${c}1" bob
	assert_output ""
	assert_equal "$stderr" "denki-keygen: -C: the comment must be at most 1003 bytes (minisign's limit)"
	[ ! -e bob.key ] && [ ! -e bob.pub ]
}

@test "keys: ledger-recover never reads the secret key: it runs with none, and wants the public key" {
	make_community alice bob
	{ order alice sell 500 150000; order bob buy 400 250000; } >o.jsonl
	denki-clear -c coop.yaml o.jsonl | denki-contract-sign -c coop.yaml >/dev/null
	cp ledger.jsonl full.jsonl
	printf '{"torn":' >>ledger.jsonl
	mv operator.key operator.gone
	run -0 --separate-stderr denki-ledger-recover -c coop.yaml
	cmp ledger.jsonl full.jsonl
	# a secret key that is there but may not be read (too open) is not read
	cp operator.gone operator.key
	chmod 644 operator.key
	printf '{"torn":' >>ledger.jsonl
	run -0 --separate-stderr denki-ledger-recover -c coop.yaml
	cmp ledger.jsonl full.jsonl
	# no operator.pub and no -p: the public key is asked for, by name
	sed -i '/pub: operator.pub/d' coop.yaml
	run -78 --separate-stderr denki-ledger-recover -c coop.yaml
	assert_output ""
	assert_equal "$stderr" "denki-ledger-recover: coop.yaml: operator.pub: missing: the operator's public key, which checks the ledger (ledger-recover never reads the secret key operator.key); or give -p"
	run -0 --separate-stderr denki-ledger-recover -c coop.yaml -p operator.pub
}

@test "keys: contract-sign and settle read no secret key for input they refuse" {
	make_community alice bob
	rm operator.key
	echo '{"type":"order"' >bad.jsonl
	run -65 --separate-stderr denki-contract-sign -c coop.yaml bad.jsonl
	assert_output ""
	assert_equal "${stderr_lines[0]:0:41}" "denki-contract-sign: bad.jsonl:1: rejecte"
	run -65 --separate-stderr denki-settle -c coop.yaml bad.jsonl
	assert_output ""
	assert_equal "${stderr_lines[0]:0:34}" "denki-settle: bad.jsonl:1: rejecte"
	# with good input the key is needed, and its absence named
	order alice sell 500 150000 >o.jsonl
	denki-clear -c coop.yaml o.jsonl >c.jsonl
	run -66 --separate-stderr denki-contract-sign -c coop.yaml c.jsonl
	assert_equal "$stderr" "denki-contract-sign: operator.key: No such file or directory"
}

@test "keys: a key denki-keygen -e encrypts (minisign's scrypt and limits): minisign signs with it, denki too" {
	make_community alice
	echo 'correct horse' >pass.txt
	# the passphrase is the first line of what file descriptor 3 gives
	cp alice.key old.key
	run -0 --separate-stderr denki-keygen -f -e -P 3 alice 3<pass.txt
	assert_equal "$(stat -c %a alice.key)" 600
	# "Ed" "Sc" "B2"; opslimit 2^25 and memlimit 2^30, little-endian:
	# minisign's (libsodium's "sensitive" scrypt limits)
	assert_equal "$(bytes alice.key 1 6)" 456453634232
	assert_equal "$(bytes alice.key 39 16)" 00000002000000000000004000000000
	# neither the seed nor the key number is in the clear
	[ "$(bytes alice.key 55 8)" != "$(bytes alice.pub 3 8)" ]
	[ "$(bytes alice.key 95 32)" != "$(bytes alice.pub 11 32)" ]
	# minisign signs with it, its passphrase on stdin
	echo hello >f.txt
	echo 'correct horse' | minisign -S -s alice.key -m f.txt >/dev/null
	run -0 minisign -V -p alice.pub -m f.txt
	# and denki, with DENKI_PASSFD
	DENKI_PASSFD=4 denki-registry request alice -s alice.key -K old.key -m alice-m -t 2099-01-01T00:00:00Z >rekey.json 4<pass.txt
	denki-registry -c coop.yaml rekey rekey.json >/dev/null
	reading >r.jsonl
	DENKI_PASSFD=4 run -0 --separate-stderr denki-bid -n -c alice.yaml r.jsonl 4<pass.txt
	echo "$output" >o.jsonl
	run -0 --separate-stderr denki-clear -c coop.yaml o.jsonl
	assert_line --index 0 "$(cat o.jsonl)"
}
