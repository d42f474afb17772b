#!/bin/sh
# Installs denki's build and test dependencies from Debian's packages when
# they are missing (as root), or prints the command to run (otherwise).
# --quiet: say nothing when all is there.
quiet=0
[ "$1" = --quiet ] && quiet=1
pkgs="libsodium-dev libjansson-dev libyaml-dev libsqlite3-dev libcurl4-openssl-dev pkg-config bats bats-assert bats-support mandoc jq strace minisign signify-openbsd openssl xxd procps"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	[ $quiet = 1 ] || echo "deps: all present:$pkgs"
	exit 0
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
else
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: run: sudo apt-get install$missing" >&2
	exit 1
fi
