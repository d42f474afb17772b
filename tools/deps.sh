#!/bin/sh
# What denki needs from Debian's packages, and the npm test peers.
#
#   tools/deps.sh [-n] [build | demo | test]
#
# build: what building needs (a C compiler, pkg-config, the -dev libraries);
# demo: that and every other package of the README (the tour runs minisign
# and signify); test (the default): that, chromium and the npm test peers.
# Installs what is missing (as root), or prints the apt-get line to run and
# fails (otherwise).  -n installs nothing: it says what is missing and fails
# if anything is (make all uses it; it never contacts a package registry).
usage() {
	echo "usage: tools/deps.sh [-n] [build | demo | test]" >&2
	exit 64
}
install=1
[ "${1-}" = -n ] && { install=0; shift; }
what=${1-test}
case $what in build|demo|test) ;; *) usage ;; esac
[ $# -le 1 ] || usage

# Building: each pkg-config module and the Debian package that has it.
mods="libsodium:libsodium-dev jansson:libjansson-dev yaml-0.1:libyaml-dev sqlite3:libsqlite3-dev libmodbus:libmodbus-dev"
# The rest: tests, the tour, the peers.
others="libcurl4-openssl-dev bats bats-assert bats-support mandoc jq strace minisign signify-openbsd openssl xxd procps glpk-utils nodejs python3 python3-cryptography socat time parallel curl lighttpd faketime libxml2-utils nginx fcgiwrap lighttpd-mod-openssl sqlite3"

missing=
# The build is judged by what it uses (the compiler, pkg-config's answer),
# so libraries built from source count as present.
command -v "${CC:-cc}" >/dev/null 2>&1 || missing="$missing gcc libc6-dev"
if command -v pkg-config >/dev/null 2>&1; then
	for m in $mods; do
		pkg-config --exists "${m%%:*}" || missing="$missing ${m#*:}"
	done
else
	missing="$missing pkg-config"
	for m in $mods; do
		missing="$missing ${m#*:}"
	done
fi
if [ "$what" != build ]; then
	pkgs=$others
	# headless Chromium renders denki-statement's page in its tests (and
	# prints it with --pdf); the demo runs without it
	[ "$what" = test ] && pkgs="$pkgs chromium"
	# Debian ships npm apart from nodejs; NodeSource's nodejs has it inside.
	[ "$what" = test ] && ! command -v npm >/dev/null 2>&1 &&
		pkgs="$pkgs npm"
	if command -v dpkg-query >/dev/null 2>&1; then
		for p in $pkgs; do
			dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			    grep -q 'install ok installed' || missing="$missing $p"
		done
	else
		echo "deps: not a Debian system; have the equivalents of:$pkgs" >&2
	fi
fi

# Test peers from the npm registry (a meter emulator, a Modbus server): each
# tests/peers/NAME/ with a package-lock.json is installed once, offline after.
peers() {
	for lock in tests/peers/*/package-lock.json; do
		[ -f "$lock" ] || continue
		d=${lock%/package-lock.json}
		[ -d "$d/node_modules" ] && continue
		if [ $install = 0 ]; then
			echo "deps: the test peers of $d are missing; run: tools/deps.sh" >&2
			return 1
		fi
		command -v npm >/dev/null 2>&1 || {
			echo "deps: npm is missing; it installs the test peers in $d" >&2
			return 1
		}
		echo "deps: npm ci in $d" >&2
		(cd "$d" && npm ci --no-audit --no-fund --loglevel=error >&2) || return 1
	done
}

if [ -n "$missing" ]; then
	if [ $install = 0 ] || [ "$(id -u)" != 0 ] ||
	    ! command -v apt-get >/dev/null 2>&1; then
		echo "deps: missing:$missing" >&2
		echo "deps: run: sudo apt-get install$missing" >&2
		exit 1
	fi
	echo "deps: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 || exit 1
	apt-get install -y -qq --no-install-recommends $missing >&2 || exit 1
fi
[ "$what" = test ] || exit 0
peers
