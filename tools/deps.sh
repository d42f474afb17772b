#!/bin/sh
# Installs denki's build and test dependencies from Debian's packages when
# they are missing (as root), or prints the command to run (otherwise).
# --quiet: say nothing when all is there.
quiet=0
[ "$1" = --quiet ] && quiet=1
pkgs="libsodium-dev libjansson-dev libyaml-dev libsqlite3-dev libcurl4-openssl-dev pkg-config bats bats-assert bats-support mandoc jq strace minisign signify-openbsd openssl xxd procps libmodbus-dev glpk-utils nodejs python3 socat time"
# Debian ships npm apart from nodejs; NodeSource's nodejs has it inside.
command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
# Test peers from the npm registry (a meter emulator, a Modbus server): each
# tests/peers/NAME/ with a package-lock.json is installed once, offline after.
peers() {
	for lock in tests/peers/*/package-lock.json; do
		[ -f "$lock" ] || continue
		d=${lock%/package-lock.json}
		[ -d "$d/node_modules" ] && continue
		command -v npm >/dev/null 2>&1 || {
			echo "deps: npm is missing; it installs the test peers in $d" >&2
			return 1
		}
		echo "deps: npm ci in $d" >&2
		(cd "$d" && npm ci --no-audit --no-fund --loglevel=error >&2) || return 1
	done
}
if [ -z "$missing" ]; then
	[ $quiet = 1 ] || echo "deps: all present:$pkgs"
	peers
	exit
fi
if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps: not a Debian system; install the equivalents of:$missing" >&2
	exit 0
fi
if [ "$(id -u)" = 0 ]; then
	echo "deps: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 || exit 1
	apt-get install -y -qq --no-install-recommends $missing >&2 || exit 1
	peers
	exit
else
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: run: sudo apt-get install$missing" >&2
	exit 1
fi
