#!/usr/bin/env bats
# denki: the front program that runs denki-NAME for "denki NAME".

load test_helper

# The programs, from the sources: one cmd/NAME.c each, but the front itself.
programs() {
	local f
	for f in "$TOP"/cmd/*.c; do
		f=${f##*/}
		f=${f%.c}
		[ "$f" = denki ] || echo "$f"
	done
}

@test "denki -h lists every program, one line each, on stdout" {
	run -0 --separate-stderr denki -h
	assert_equal "$stderr" ""
	assert_equal "${lines[0]}" "usage: denki NAME [ARGS...]"
	assert_equal "${lines[1]}" "       denki -h | --version"
	local p n=0
	for p in $(programs); do
		assert_line --regexp "^  $p +[a-z].+$"
		n=$((n + 1))
	done
	[ "$n" -ge 9 ]
	# no line for a program that does not exist
	assert_equal "$(printf '%s\n' "${lines[@]}" | grep -c '^  [a-z]')" "$n"
}

# The one line of NAME in man/denki-NAME.1 (.Nd), as the reader sees it.
nd() {
	sed -n 's/^\.Nd //p' "$TOP/man/denki-$1.1"
}

@test "denki with no argument: every program with its man page's one line, and no other" {
	run -0 --separate-stderr denki
	assert_equal "$stderr" ""
	local p n=0
	for p in $(programs); do
		[ -n "$(nd "$p")" ]
		assert_line "$(printf '  %-14s %s' "$p" "$(nd "$p")")"
		n=$((n + 1))
	done
	assert_equal "$(printf '%s\n' "${lines[@]}" | grep -c '^  [a-z]')" "$n"
	# a man page for each program, and a program for each page
	assert_equal "$(cd "$TOP/man" && ls denki-*.1 | sed 's/^denki-//; s/\.1$//' | sort)" \
	    "$(programs | sort)"
}

@test "denki(1) lists every program with its man page's one line; denki(7) lists every program" {
	local want got
	want=$(for p in $(programs); do echo "$p $(nd "$p")"; done | sort)
	got=$(awk '/^\.It Cm / { n = $3; next } n != "" { print n, $0; n = "" }' \
	    "$TOP/man/denki.1" | sort)
	assert_equal "$got" "$want"
	got=$(sed -n '/^\.Ss The programs/,/^\.El/s/^\.It Xr denki-\([a-z-]*\) 1$/\1/p' \
	    "$TOP/man/denki.7" | sort)
	assert_equal "$got" "$(programs | sort)"
}

@test "denki --help is denki -h" {
	run -0 --separate-stderr denki -h
	local h="$output"
	run -0 --separate-stderr denki --help
	assert_equal "$output" "$h"
	assert_equal "$stderr" ""
}

@test "denki --version prints the version every program prints" {
	run -0 --separate-stderr denki --version
	assert_output --regexp '^denki [0-9]+\.[0-9]+\.[0-9]+$'
	local v=${output#denki }
	local p
	for p in $(programs); do
		run -0 --separate-stderr "denki-$p" --version
		assert_output "denki-$p $v"
	done
}

@test "denki keygen NAME runs denki-keygen: the key files and its JSON line" {
	run -0 --separate-stderr denki keygen alice
	assert_equal "$stderr" ""
	[ -f alice.key ]
	[ -f alice.pub ]
	assert_output "{\"key\":\"$(sed -n 2p alice.pub)\",\"public\":\"alice.pub\",\"secret\":\"alice.key\",\"type\":\"key\",\"v\":1}"
	assert_equal "$(stat -c %a alice.key)" 600
}

@test "denki passes the options through and the exit status back" {
	run -0 denki keygen -C "front door" bob
	assert_equal "$(sed -n 1p bob.pub)" "untrusted comment: front door"
	cp bob.pub bob.pub.before
	run -73 --separate-stderr denki keygen bob
	assert_output ""
	assert_equal "$stderr" "denki-keygen: bob.pub: exists; -f overwrites it"
	cmp bob.pub bob.pub.before
}

@test "denki runs the programs beside it, not others earlier on PATH" {
	mkdir impostor
	printf '#!/bin/sh\necho impostor\nexit 3\n' >impostor/denki-keygen
	chmod +x impostor/denki-keygen
	PATH="$PWD/impostor:$PATH" run -0 --separate-stderr denki keygen carol
	assert_output --partial '"public":"carol.pub"'
	[ -f carol.key ]
}

@test "denki away from its programs finds them on PATH" {
	mkdir bin impostor
	cp "$TOP/denki" bin/denki
	printf '#!/bin/sh\necho "impostor $*"\nexit 3\n' >impostor/denki-keygen
	chmod +x impostor/denki-keygen
	PATH="$PWD/impostor:$PATH" run -3 --separate-stderr bin/denki keygen -f x
	assert_output "impostor -f x"
}

@test "denki NAME whose program is not installed: 69" {
	mkdir bin
	cp "$TOP/denki" bin/denki
	PATH=/usr/bin:/bin run -69 --separate-stderr bin/denki keygen alice
	assert_output ""
	assert_equal "$stderr" "denki: denki-keygen: No such file or directory"
	[ ! -e alice.key ]
}

@test "denki with an unknown name: 64, the name and the usage on stderr" {
	run -64 --separate-stderr denki frobnicate x
	assert_output ""
	assert_equal "${stderr_lines[0]}" "denki: frobnicate: not a denki program"
	assert_equal "${stderr_lines[1]}" "usage: denki NAME [ARGS...]"
}

@test "denki runs only its own programs: not a full name, not a path" {
	run -64 --separate-stderr denki denki-keygen alice
	assert_equal "${stderr_lines[0]}" "denki: denki-keygen: not a denki program"
	run -64 --separate-stderr denki ../denki-keygen alice
	assert_equal "${stderr_lines[0]}" "denki: ../denki-keygen: not a denki program"
	[ ! -e alice.key ]
}

@test "denki with a bad option: 64, usage on stderr, nothing on stdout" {
	run -64 --separate-stderr denki -x
	assert_output ""
	assert_equal "${stderr_lines[0]}" "denki: -x: not a denki program"
	assert_equal "${stderr_lines[1]}" "usage: denki NAME [ARGS...]"
}

@test "every program: -h is usage on stdout (0), a bad option usage on stderr (64)" {
	local p
	for p in $(programs); do
		run -0 --separate-stderr denki "$p" -h
		assert_equal "$stderr" ""
		assert_equal "${lines[0]%% *}" "usage:"
		assert_equal "$(echo "${lines[0]}" | cut -d' ' -f2)" "denki-$p"
		local usage="$output"

		run -0 --separate-stderr "denki-$p" --help
		assert_output "$usage"

		run -64 --separate-stderr "denki-$p" -Z </dev/null
		assert_output ""
		assert_equal "${stderr_lines[0]}" "denki-$p: invalid option -- 'Z'"
		assert_equal "$(printf '%s\n' "${stderr_lines[@]:1}")" "$usage"
	done
}
