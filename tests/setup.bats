#!/usr/bin/env bats
# The first run: make installs nothing, make demo installs what is missing
# and then builds; make install and make uninstall.

load test_helper

# A copy of the tree to build in, with the objects already built (times
# kept) but those that need libmodbus's header, whose directory only
# pkg-config knows: building them shows which answer make used.
copy_tree() {
	mkdir src
	cp -pr "$TOP"/Makefile "$TOP"/cmd "$TOP"/lib "$TOP"/man \
	    "$TOP"/completions "$TOP"/examples "$TOP"/tools src/
	rm -f $(grep -l 'modbus\.h' src/lib/*/*.c | sed 's/\.c$/.o/')
}

# A machine where the build libraries are missing until apt-get has run:
# stubs of pkg-config, dpkg-query, apt-get, npm, sudo and id (uid $1) in
# stub/, first on PATH; apt-get and npm write their arguments to calls.
fake_machine() {
	local real_pc real_dq uid=$1
	real_pc=$(command -v pkg-config)
	real_dq=$(command -v dpkg-query || echo false)
	mkdir stub
	: >calls
	cat >stub/pkg-config <<-EOF
	#!/bin/sh
	[ -f "$PWD/installed" ] || exit 1
	exec $real_pc "\$@"
	EOF
	cat >stub/dpkg-query <<-EOF
	#!/bin/sh
	[ -f "$PWD/installed" ] || exit 1
	exec $real_dq "\$@"
	EOF
	cat >stub/apt-get <<-EOF
	#!/bin/sh
	echo "apt-get \$*" >>"$PWD/calls"
	[ "\$1" = install ] && touch "$PWD/installed"
	exit 0
	EOF
	cat >stub/npm <<-EOF
	#!/bin/sh
	echo "npm \$*" >>"$PWD/calls"
	exit 0
	EOF
	cat >stub/sudo <<-EOF
	#!/bin/sh
	echo "sudo \$*" >>"$PWD/calls"
	exit 1
	EOF
	cat >stub/id <<-EOF
	#!/bin/sh
	echo $uid
	EOF
	chmod +x stub/*
	PATH="$PWD/stub:$PATH"
}

@test "make (all) installs nothing, even as root: it names what is missing and fails before compiling" {
	copy_tree
	fake_machine 0
	run -2 --separate-stderr make -C src all
	assert_equal "$(cat calls)" ""
	[[ "$stderr" == *"deps: run: sudo apt-get install libsodium-dev libjansson-dev libyaml-dev libsqlite3-dev libmodbus-dev"* ]]
	[ ! -e src/lib/meter/drv-sunspec.o ]
	[ ! -e src/denki ]
	# make with no target is make all
	run -2 --separate-stderr make -C src
	assert_equal "$(cat calls)" ""
	# and make -n all would run no installer
	run -0 make -n -C src all
	refute_output --regexp 'apt-get|npm|sudo'
}

@test "make demo on a fresh machine as root: installs what is missing, then builds with pkg-config's new answer, then runs the demo" {
	copy_tree
	fake_machine 0
	run -0 --separate-stderr make -C src demo
	# one update and one install of every package, no npm for the demo
	assert_equal "$(grep -c '^apt-get update' calls)" 1
	run -0 grep '^apt-get install' calls
	local p
	for p in libsodium-dev libmodbus-dev minisign \
	    signify-openbsd bats; do
		assert_output --regexp " $p( |\$)"
	done
	run -1 grep npm calls
	# drv-sunspec.c was compiled with libmodbus's -I from the second make
	[ -f src/lib/meter/drv-sunspec.o ]
	[ -x src/denki-meter-read ]
	run -0 src/denki-ledger-verify -p src/demo/operator.pub \
	    src/demo/ledger.jsonl
}

@test "make demo and make check as a user: the apt-get line to run, exit 2, nothing built" {
	copy_tree
	fake_machine 1000
	run -2 --separate-stderr make -C src demo
	assert_equal "$(cat calls)" ""
	[[ "$stderr" == *"deps: run: sudo apt-get install libsodium-dev libjansson-dev libyaml-dev libsqlite3-dev libmodbus-dev libcurl4-openssl-dev bats "* ]]
	[ ! -e src/lib/meter/drv-sunspec.o ]
	run -2 --separate-stderr make -C src check
	assert_equal "$(cat calls)" ""
	[[ "$stderr" == *"deps: run: sudo apt-get install libsodium-dev "*" socat time"* ]]
	[ ! -e src/lib/meter/drv-sunspec.o ]
}

@test "make check: the test peers come from npm after the packages; as a user nothing runs" {
	mkdir -p src/tests/peers/p
	cp -p "$TOP"/tools/deps.sh src/deps.sh
	echo '{}' >src/tests/peers/p/package-lock.json
	fake_machine 0
	touch installed
	cd src
	run -0 --separate-stderr sh deps.sh test
	assert_equal "$(cat ../calls)" "npm ci --no-audit --no-fund --loglevel=error"
	: >../calls
	run -1 --separate-stderr sh deps.sh -n test
	assert_equal "$(cat ../calls)" ""
	assert_equal "$stderr" "deps: the test peers of tests/peers/p are missing; run: tools/deps.sh"
	run -64 --separate-stderr sh deps.sh everything
}

@test ".ci/run runs make check, as the README says" {
	run -0 grep -x 'make check' "$TOP/.ci/run"
	run -0 grep -F 'make check' "$TOP/README.md"
}

@test "make install then make uninstall, with PREFIX and DESTDIR: nothing left but empty directories" {
	local d="$BATS_TEST_TMPDIR/dest" p
	run -0 make -s -C "$TOP" install DESTDIR="$d" PREFIX=/opt/dk
	# what install put there
	[ -x "$d/opt/dk/bin/denki" ]
	[ -x "$d/opt/dk/bin/denki-settle" ]
	[ -f "$d/opt/dk/share/man/man1/denki-settle.1" ]
	[ -f "$d/opt/dk/share/man/man5/denki-formats.5" ]
	[ -f "$d/opt/dk/share/man/man7/denki.7" ]
	[ -f "$d/opt/dk/share/zsh/site-functions/_denki" ]
	for p in "$TOP"/cmd/*.c; do
		p=${p##*/}
		p=${p%.c}
		[ "$p" = denki ] && continue
		[ -L "$d/opt/dk/share/bash-completion/completions/denki-$p" ]
		[ -x "$d/opt/dk/bin/denki-$p" ]
	done
	# a file of someone else's stays
	echo mine >"$d/opt/dk/bin/other"
	run -0 make -s -C "$TOP" uninstall DESTDIR="$d" PREFIX=/opt/dk
	run -0 find "$d" ! -type d
	assert_output "$d/opt/dk/bin/other"
	rm "$d/opt/dk/bin/other"
	run -0 find "$d" ! -type d
	assert_output ""
	[ -d "$d/opt/dk/share/man/man1" ]
}
