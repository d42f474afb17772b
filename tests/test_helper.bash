# Shared by every bats file: hermetic HOME, C locale, the freshly built
# programs first on PATH, and a small community to trade in.
TOP="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FIXTURES="$TOP/tests/fixtures"
EXAMPLES="$TOP/examples"

load_libs() {
	local d
	for d in /usr/lib/bats /usr/lib/bats-core /usr/local/lib; do
		if [ -f "$d/bats-support/load.bash" ]; then
			load "$d/bats-support/load.bash"
			load "$d/bats-assert/load.bash"
			return
		fi
	done
}
# dirname PATH, as coreutils prints it for a PATH with a slash after its
# first character, no slash at its end and none doubled, without a
# process: while bats-support and bats-assert load (in every test, a
# $(dirname ...) for each of their 15 files); anything else goes to
# dirname(1)
dirname() {
	case $#:$1 in
	1:*//*) command dirname "$@" ;;
	1:?*/*[!/]) printf '%s\n' "${1%/*}" ;;
	*) command dirname "$@" ;;
	esac
}
load_libs
unset -f dirname
bats_require_minimum_version 1.5.0

common_setup() {
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	export LC_ALL=C
	unset TZ DENKI_PASSFD
	PATH="$TOP:$PATH"
	export PATH
	cd "$BATS_TEST_TMPDIR"
}

setup() {
	common_setup
}

# A community in the current folder: operator key, the recovery key
# (recovery.key: the second authority for a member's lost key), coop.yaml,
# terms, and the participants named (default: alice bob carol), each with
# a key, a meter NAME-m, enrolled by its signed request (NAME.enrol.json),
# and a home config NAME.yaml.  Times are in UTC.
# SIGNED is its settle.signed: unset, "registered", a community migrating
# from meters that do not sign (its homes set meter.sign: no), where the
# tests write unsigned readings by hand; empty, the setting left out: a
# new community, which takes signed readings only.
make_community() {
	local p signed="${SIGNED-registered}"
	[ $# -gt 0 ] || set -- alice bob carol
	denki-keygen operator >/dev/null
	denki-keygen recovery >/dev/null
	printf 'Test terms, version 1.\nFirm contracts; deviations with the utility.\n' >terms.txt
	cat >coop.yaml <<-YAML
	ledger: ledger.jsonl
	operator:
	  key: operator.key
	  pub: operator.pub
	terms: terms.txt
	currency: EUR
	tz: UTC
	slot_minutes: 30
	prices:
	  retail: 300000
	  buyback: 100000
	  fee: 10000
	YAML
	if [ -n "$signed" ]; then
		printf 'settle:\n  signed: %s\n' "$signed" >>coop.yaml
	fi
	# READINGS=open: a ledger of readings in clear, as before committed
	# readings (denki-formats(5), Committed readings)
	[ -z "${READINGS:-}" ] || echo "readings: $READINGS" >>coop.yaml
	for p in "$@"; do
		denki-keygen "$p" >/dev/null
		RECOVERY_PUB=recovery.pub enrol "$p" -m "$p-m"
		cat >"$p.yaml" <<-YAML
		participant: $p
		key: $p.key
		meters: [$p-m]
		state: $p.db
		tz: UTC
		slot_minutes: 30
		prices:
		  retail: 300000
		  buyback: 100000
		  fee: 10000
		YAML
		if [ "$signed" = registered ]; then
			printf 'meter:\n  sign: "no"\n' >>"$p.yaml"
		fi
	done
}

# make_community_once [ID]...: make_community's community (the same IDs,
# SIGNED and READINGS), made once for the bats file, by the first test
# that asks for it, in BATS_FILE_TMPDIR, and copied into the current
# folder (cp -a: the secret keys' modes kept); for a setup() whose every
# test starts from the same community: its keys, and the times of its
# ledger's first entries, are then the same in each test of the file.
# Tests of a file that run at once wait for the one that makes it.
make_community_once() {
	local key d
	printf -v key '%s_%s_%s' "${SIGNED-registered}" "${READINGS:-}" "$*"
	d="$BATS_FILE_TMPDIR/community.${key// /-}"
	# (no && or ||: bats' set -e stops at a failure inside, as it does
	# in make_community)
	(
		flock 9
		if [ ! -d "$d" ]; then
			rm -rf "$d.new"
			mkdir "$d.new"
			cd "$d.new"
			make_community "$@"
			cd ..
			mv "$d.new" "$d"
		fi
	) 9>"$BATS_FILE_TMPDIR/community.lock"
	cp -a "$d"/. .
}

# enrol ID [-m meter]... [-M meter=pubkey]... [-z zone] [-r role]: the
# member's enrolment request, made and signed with ID.key as on its own
# machine (kept as ID.enrol.json), added to the registry by the operator;
# a new ledger's genesis names recovery.pub if there is one (recovery_key,
# given with -D so that coop.yaml's lines stay where tests expect them)
enrol() {
	local id=$1
	shift
	denki-registry request "$id" -s "$id.key" "$@" >"$id.enrol.json" &&
	    denki-registry -c coop.yaml ${RECOVERY_PUB:+-D "recovery_key=$RECOVERY_PUB"} \
	    add "$id.enrol.json" >/dev/null
}

# need_faketime: LIBFAKETIME, the library faketime(1) preloads (make check
# installs it), or the test is skipped
need_faketime() {
	LIBFAKETIME=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
	[ -n "$LIBFAKETIME" ] || skip "libfaketime is missing (apt-get install faketime)"
	faketime_clean
}

# faketime_clean: libfaketime makes /dev/shm/faketime_shm_PID and
# sem.faketime_sem_PID for each process it starts in, with O_EXCL, and
# removes them at a normal exit; a process killed, or one that execs,
# leaves them, and a later process given the same PID fails at once
# ("ft_shm_create(), shm_open failed: File exists": a CI run failed so).
# Those of processes gone are removed.
faketime_clean() {
	local f pid
	for f in /dev/shm/faketime_shm_* /dev/shm/sem.faketime_sem_*; do
		[ -e "$f" ] || continue
		pid=${f##*_}
		kill -0 "$pid" 2>/dev/null || rm -f "$f" 2>/dev/null || true
	done
}

# at 'YYYY-MM-DD HH:MM:SS'|+SECONDS COMMAND...: COMMAND (a program or a
# function of the helpers) with the clock stopped there (UTC) or moved by
# SECONDS, as faketime(1) does; under AddressSanitizer the library comes
# before the sanitizer's runtime, which it is told to allow
at() {
	local t=$1
	shift
	(export FAKETIME="$t" LD_PRELOAD="$LIBFAKETIME" TZ=UTC \
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
	    "$@")
}

# meter_key ID: the member's request that names its meter ID-m's device
# key (ID-m.pub, from meter-read's first run), dated after its enrolment,
# applied with registry rekey
meter_key() {
	denki-registry request "$1" -s "$1.key" -m "$1-m" -M "$1-m=$1-m.pub" \
	    -t 2099-01-01T00:00:00Z >"$1.rekey.json" &&
	    denki-registry -c coop.yaml rekey "$1.rekey.json" >/dev/null
}

# order PARTICIPANT SIDE WH PRICE [SLOT]: one order, signed with PARTICIPANT.key
order() {
	local slot="${5:-2026-01-01T10:00:00+00:00}"
	printf '{"type":"order","v":1,"participant":"%s","slot":"%s","side":"%s","wh":%s,"price":%s}\n' \
	    "$1" "$slot" "$2" "$3" "$4" | sign_with "$1.key"
}

# three_orders: the slot most tests settle: alice sells 1010 Wh at 120000,
# bob buys 600 at up to 200000, carol 410 at up to 150100 (clear makes
# it 135050 a kWh: alice to bob 600 Wh and to carol 410)
three_orders() {
	order alice sell 1010 120000
	order bob buy 600 200000
	order carol buy 410 150100
}

# sign_with KEYFILE: signs each JSON line on stdin (test helper program)
sign_with() {
	"$TOP/tests/unit/sign-record" "$1"
}

# free_port: a TCP port of 127.0.0.1 free now
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# httpd_start MAKE PATH [PROBE]: Debian's lighttpd on 127.0.0.1 on a free
# port, its configuration written to stdout by the function MAKE PORT;
# URL is http://127.0.0.1:PORT/PATH, and the server is up when URL PROBE
# answers; tried on up to five ports (one taken meanwhile); HTTPD_PID set
# for the test's teardown to kill
httpd_start() {
	local make=$1 path=$2 probe=${3-} port i j
	command -v lighttpd >/dev/null || skip "lighttpd is missing (tools/deps.sh installs it)"
	for i in 1 2 3 4 5; do
		port=$(free_port)
		"$make" "$port" >lighttpd.conf
		lighttpd -D -f lighttpd.conf 2>>httpd.err &
		HTTPD_PID=$!
		URL="http://127.0.0.1:$port/$path"
		for j in $(seq 50); do
			curl -s -o /dev/null "$URL$probe" && return 0
			kill -0 "$HTTPD_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$HTTPD_PID" 2>/dev/null || true
		wait "$HTTPD_PID" 2>/dev/null || true
		HTTPD_PID=
	done
	fail "lighttpd did not start: $(cat httpd.err)"
}
