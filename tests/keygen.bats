#!/usr/bin/env bats
# denki-keygen: Ed25519 key pairs in minisign's layout.

load test_helper

# bytes FILE FROM COUNT: COUNT bytes (1-based FROM) of line 2 of a key file,
# base64-decoded, as hex
bytes() {
	sed -n 2p "$1" | base64 -d | tail -c +"$2" | head -c "$3" | od -An -tx1 |
	    tr -d ' \n'
}

@test "keygen NAME writes NAME.key and NAME.pub and says so in one JSON line" {
	run -0 --separate-stderr denki-keygen alice
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 1
	assert_output "{\"key\":\"$(sed -n 2p alice.pub)\",\"public\":\"alice.pub\",\"secret\":\"alice.key\",\"type\":\"key\",\"v\":1}"
	assert_equal "$(ls -d alice*)" "$(printf 'alice.key\nalice.pub')"
}

@test "keygen: the secret key is mode 0600, whatever the umask" {
	umask 000
	run -0 denki-keygen alice
	assert_equal "$(stat -c %a alice.key)" 600
	assert_equal "$(stat -c %a alice.pub)" 644
	umask 077
	run -0 denki-keygen bob
	assert_equal "$(stat -c %a bob.key)" 600
}

@test "keygen: the public key file is minisign's: a comment, then base64 of Ed, key number, key" {
	run -0 denki-keygen alice
	assert_equal "$(wc -l <alice.pub)" 2
	assert_equal "$(sed -n 1p alice.pub)" "untrusted comment: denki key alice"
	assert_equal "$(sed -n 2p alice.pub | base64 -d | wc -c)" 42
	assert_equal "$(sed -n 2p alice.pub | base64 -d | head -c 2)" "Ed"
	# canonical base64: re-encoding gives the same text
	assert_equal "$(sed -n 2p alice.pub | base64 -d | base64 -w0)" \
	    "$(sed -n 2p alice.pub)"
}

@test "keygen: the secret key file is minisign's unencrypted layout, the same key as .pub" {
	run -0 denki-keygen alice
	assert_equal "$(wc -l <alice.key)" 2
	assert_equal "$(sed -n 1p alice.key)" "untrusted comment: denki key alice"
	assert_equal "$(sed -n 2p alice.key | base64 -d | wc -c)" 158
	# "Ed", kdf 0 0 (no passphrase), "B2"
	assert_equal "$(bytes alice.key 1 6)" "456400004232"
	# key number at 55..62 as in the .pub at 3..10
	assert_equal "$(bytes alice.key 55 8)" "$(bytes alice.pub 3 8)"
	# the public half of the 64-byte secret key as in the .pub at 11..42
	assert_equal "$(bytes alice.key 95 32)" "$(bytes alice.pub 11 32)"
}

@test "keygen: two keys are two different keys" {
	run -0 denki-keygen a
	run -0 denki-keygen b
	[ "$(bytes a.pub 3 8)" != "$(bytes b.pub 3 8)" ]
	[ "$(bytes a.pub 11 32)" != "$(bytes b.pub 11 32)" ]
}

@test "keygen -C sets the comment of both files; a comment of two lines is 64" {
	run -0 denki-keygen -C "kitchen meter, 2026" dev
	assert_equal "$(sed -n 1p dev.pub)" "untrusted comment: kitchen meter, 2026"
	assert_equal "$(sed -n 1p dev.key)" "untrusted comment: kitchen meter, 2026"
	run -64 --separate-stderr denki-keygen -C "$(printf 'one\ntwo')" dev2
	assert_equal "$stderr" "denki-keygen: -C: the comment must be one line"
	[ ! -e dev2.key ]
	[ ! -e dev2.pub ]
}

@test "keygen refuses to overwrite a key pair without -f: 73, the files unchanged" {
	run -0 denki-keygen alice
	cp -p alice.key key.before
	cp -p alice.pub pub.before
	run -73 --separate-stderr denki-keygen alice
	assert_output ""
	assert_equal "$stderr" "denki-keygen: alice.pub: exists; -f overwrites it"
	cmp alice.key key.before
	cmp alice.pub pub.before
	assert_equal "$(stat -c %a alice.key)" 600
}

@test "keygen refuses to overwrite a lone secret key: 73, no .pub made" {
	run -0 denki-keygen alice
	rm alice.pub
	cp alice.key key.before
	run -73 --separate-stderr denki-keygen alice
	assert_output ""
	assert_equal "$stderr" "denki-keygen: alice.key: exists; -f overwrites it"
	cmp alice.key key.before
	[ ! -e alice.pub ]
}

@test "keygen -f makes a new key pair over the old one" {
	run -0 denki-keygen alice
	cp alice.key key.before
	cp alice.pub pub.before
	run -0 --separate-stderr denki-keygen -f alice
	assert_equal "$stderr" ""
	assert_output "{\"key\":\"$(sed -n 2p alice.pub)\",\"public\":\"alice.pub\",\"secret\":\"alice.key\",\"type\":\"key\",\"v\":1}"
	run -1 cmp -s alice.key key.before
	run -1 cmp -s alice.pub pub.before
	[ "$(bytes alice.pub 11 32)" != "$(bytes pub.before 11 32)" ]
	assert_equal "$(stat -c %a alice.key)" 600
	assert_equal "$(bytes alice.key 95 32)" "$(bytes alice.pub 11 32)"
}

@test "keygen: a key signs orders that verify against its .pub; after -f the old .pub rejects them" {
	make_community alice
	order alice sell 500 120000 >o1.jsonl
	run -0 --separate-stderr denki-clear -c coop.yaml o1.jsonl
	assert_line --index 0 "$(cat o1.jsonl)"
	run -0 denki-keygen -f alice
	order alice sell 500 120000 >o2.jsonl
	run -65 --separate-stderr denki-clear -c coop.yaml o2.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-clear: o2.jsonl:1: rejected: sig: bad signature: the record was not signed by this key, or was changed after signing"
}

@test "keygen: a key that cannot be created is 73 and names the file" {
	run -73 --separate-stderr denki-keygen nodir/alice
	assert_output ""
	assert_equal "$stderr" "denki-keygen: nodir/alice.key: No such file or directory"
	[ ! -e nodir ]
}

@test "keygen: no NAME, or two, is usage on stderr, 64" {
	run -64 --separate-stderr denki-keygen
	assert_output ""
	assert_equal "${stderr_lines[0]}" "usage: denki-keygen [-ef] [-C comment] [-P fd] NAME"
	run -64 --separate-stderr denki-keygen a b
	assert_equal "${stderr_lines[0]}" "usage: denki-keygen [-ef] [-C comment] [-P fd] NAME"
	[ ! -e a.key ]
	[ ! -e b.key ]
}

@test "keygen -h: usage on stdout, 0; a bad option: usage on stderr, 64" {
	run -0 --separate-stderr denki-keygen -h
	assert_equal "$stderr" ""
	assert_output "$(printf 'usage: denki-keygen [-ef] [-C comment] [-P fd] NAME\n       writes NAME.key (secret, mode 0600) and NAME.pub\n       NAME.key is unencrypted, for unattended use (cron); -e encrypts\n       it with a passphrase from the terminal, or from fd with -P')"
	run -64 --separate-stderr denki-keygen -x alice
	assert_output ""
	assert_equal "${stderr_lines[0]}" "denki-keygen: invalid option -- 'x'"
	assert_equal "${stderr_lines[1]}" "usage: denki-keygen [-ef] [-C comment] [-P fd] NAME"
	[ ! -e alice.key ]
}

@test "keygen: -e without a terminal and without -P: 65, nothing written; -P only with -e" {
	run -65 --separate-stderr setsid -w denki-keygen -e alice
	assert_equal "$stderr" "denki-keygen: passphrase: no terminal to ask on (/dev/tty: No such device or address)"
	[ ! -e alice.key ] && [ ! -e alice.pub ]
	run -64 --separate-stderr denki-keygen -P 3 alice
	assert_equal "$stderr" "denki-keygen: -P: only with -e"
	run -64 --separate-stderr denki-keygen -e -P x alice
	assert_equal "$stderr" "denki-keygen: -P: must be the number of a file descriptor"
	[ ! -e alice.key ] && [ ! -e alice.pub ]
}

@test "keygen: -e -P FD: an empty passphrase is refused: 65, nothing written" {
	run -65 --separate-stderr denki-keygen -e -P 3 alice 3</dev/null
	assert_equal "$stderr" "denki-keygen: the passphrase is empty"
	printf '\nsecond line\n' >pass.txt
	run -65 --separate-stderr denki-keygen -e -P 3 alice 3<pass.txt
	assert_equal "$stderr" "denki-keygen: the passphrase is empty"
	[ ! -e alice.key ] && [ ! -e alice.pub ]
}

@test "keygen: -h says an unencrypted key is for unattended use, -e encrypts" {
	run -0 denki-keygen -h
	assert_output --partial "NAME.key is unencrypted, for unattended use (cron); -e encrypts"
}

@test "keygen -e: Ctrl-C at the passphrase prompt gives the terminal its echo back, and writes nothing" {
	# keygen on a pseudo-terminal: echo off while it asks, on again after
	# the interrupt that ends it
	cat >askpass.py <<-'PY'
	import os, pty, signal, sys, termios, time
	pid, fd = pty.fork()
	if pid == 0:
	    # the interrupt's default action, even if whoever started the
	    # tests ignores SIGINT (as a shell's command with & does)
	    signal.signal(signal.SIGINT, signal.SIG_DFL)
	    os.execvp("denki-keygen", ["denki-keygen", "-e", "alice"])
	out, t0 = b"", time.time()
	while b"assphrase" not in out and time.time() - t0 < 20:
	    out += os.read(fd, 100)
	print("asked", b"assphrase" in out)
	print("echo while asking", bool(termios.tcgetattr(fd)[3] & termios.ECHO))
	os.write(fd, b"\x03")
	# at most 20 s: a keygen the interrupt did not end fails the test
	# instead of hanging it
	t0 = time.time()
	while True:
	    p, st = os.waitpid(pid, os.WNOHANG)
	    if p or time.time() - t0 > 20:
	        break
	    time.sleep(0.02)
	if not p:
	    os.kill(pid, signal.SIGKILL)
	    _, st = os.waitpid(pid, 0)
	print("ended by signal", os.WTERMSIG(st) if os.WIFSIGNALED(st) else "none")
	print("echo after", bool(termios.tcgetattr(fd)[3] & termios.ECHO))
	PY
	run -0 python3 askpass.py
	assert_output "asked True
echo while asking False
ended by signal 2
echo after True"
	[ ! -e alice.key ] && [ ! -e alice.pub ]
}
