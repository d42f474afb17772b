#!/usr/bin/env bats
# The device key a meter signs its readings with: meter-read makes it on
# its first run (0600, the public half 0644 beside it) and signs with it
# from then on; a new community settles only on signed readings
# (settle.signed: required), and ledger-verify counts the unsigned ones.

load test_helper

SLOT=2026-01-01T10:00:00+00:00

# sample TIME IMPORT_MWH EXPORT_MWH: one grid sample of meter m1
sample() {
	printf '{"type":"sample","v":1,"meter":"m1","kind":"grid","time":"%s","exact":true,"import_mwh":%s,"export_mwh":%s}\n' \
	    "$1" "$2" "$3"
}

# reading METER IMPORT EXPORT: an unsigned reading of SLOT, as anyone
# (the operator) can write it
reading() {
	printf '{"type":"reading","v":1,"meter":"%s","slot":"%s","import_wh":%s,"export_wh":%s}\n' \
	    "$1" "$SLOT" "$2" "$3"
}

# csv IMPORT EXPORT: a meter's interval data for SLOT
csv() {
	printf 'start,import_wh,export_wh\n%s,%s,%s\n' "$SLOT" "$1" "$2"
}

# alice sells 500 Wh to bob in SLOT
trade() {
	{
		order alice sell 500 120000
		order bob buy 500 200000
	} >orders.jsonl
	denki-clear -c coop.yaml orders.jsonl | denki-contract-sign -c coop.yaml >/dev/null
}

home() {
	cat >home.yaml <<-YAML
	meter:
	  id: m1
	state: home.db
	tz: UTC
	slot_minutes: 30
	YAML
}

@test "attack: operator invents unsigned readings: a new community refuses them, naming the meter and the line" {
	# a new community: settle.signed is not set, so it has its default
	SIGNED= make_community alice bob
	run -1 grep -q settle coop.yaml
	trade
	# alice's meter signs with its key, which the registry holds
	denki-keygen alice-m >/dev/null
	meter_key alice
	reading alice-m 0 500 | sign_with alice-m.key >readings.jsonl
	# bob's meter has no key in the registry yet: the operator writes its
	# reading itself, 500 Wh drawn, and settles on it
	reading bob-m 500 0 >>readings.jsonl
	cp ledger.jsonl before.jsonl
	run -65 --separate-stderr denki-settle -c coop.yaml readings.jsonl
	assert_output ""
	assert_equal "${stderr_lines[0]}" "denki-settle: readings.jsonl:2: rejected: meter bob-m: unsigned, and settle.signed is required"
	assert_equal "${#stderr_lines[@]}" 1
	cmp ledger.jsonl before.jsonl
	# a community that sets the migrating value takes it, and the
	# ledger says so to every auditor: one of two readings unsigned
	run -0 --separate-stderr denki-settle -c coop.yaml -D settle.signed=registered readings.jsonl
	run -0 denki-ledger-verify -j -p operator.pub -O ledger.jsonl.openings ledger.jsonl
	assert_equal "$(jq -c '[.readings, .unsigned_readings]' <<<"$output")" "[2,1]"
}

@test "device keys: the first run makes the key (0600, its public half 0644) and says so once; later runs sign with the same key" {
	SIGNED= make_community alice bob
	trade
	csv 0 500 >alice.csv
	run -0 --separate-stderr denki-meter-read -c alice.yaml alice.csv
	assert_equal "$stderr" "denki-meter-read: made the device key of meter alice-m: alice-m.key (0600); its public key alice-m.pub goes in the meter's enrolment request"
	assert_equal "$(stat -c '%a %u' alice-m.key)" "600 $(id -u)"
	assert_equal "$(stat -c %a alice-m.pub)" 644
	assert_equal "$(sed -n 1p alice-m.pub)" "untrusted comment: denki device key of meter alice-m"
	# the format of denki-keygen: the registry takes its public half
	assert_regex "$(sed -n 2p alice-m.pub)" '^RW[A-Za-z0-9+/]{54}$'
	assert_equal "$(jq -r '.sig | length' <<<"$output")" 88
	local first="$output" sum
	sum=$(cksum alice-m.key alice-m.pub)
	# the second run: the same key (Ed25519 signs deterministically, so
	# the same bytes), nothing said, nothing made
	run -0 --separate-stderr denki-meter-read -c alice.yaml alice.csv
	assert_equal "$stderr" ""
	assert_equal "$output" "$first"
	assert_equal "$(cksum alice-m.key alice-m.pub)" "$sum"
	# -P: the public key, for the enrolment request
	run -0 --separate-stderr denki-meter-read -c alice.yaml -P
	assert_equal "$stderr" ""
	assert_equal "$output" "$(cat alice-m.pub)"
	# bob's first run is -P: it makes his key
	run -0 --separate-stderr denki-meter-read -c bob.yaml -P
	assert_equal "$output" "$(cat bob-m.pub)"
	assert_equal "$stderr" "denki-meter-read: made the device key of meter bob-m: bob-m.key (0600); its public key bob-m.pub goes in the meter's enrolment request"
	csv 500 0 >bob.csv
	denki-meter-read -c bob.yaml bob.csv >bob.jsonl
	# registered, the keys let settle (required) take both readings
	echo "$first" >alice.jsonl
	run -65 --separate-stderr denki-settle -c coop.yaml alice.jsonl bob.jsonl
	assert_equal "${stderr_lines[0]}" "denki-settle: alice.jsonl:1: rejected: sig: signed, but the registry has no key for meter alice-m"
	meter_key alice
	meter_key bob
	run -0 --separate-stderr denki-settle -c coop.yaml alice.jsonl bob.jsonl
	assert_line --partial '"participant":"bob","slot":"2026-01-01T10:00:00+00:00","sold_wh":0'
	run -0 denki-ledger-verify -p operator.pub -O ledger.jsonl.openings ledger.jsonl
	assert_output --partial ", 1 slots settled, 2 readings (2 opened, 0 of them unsigned), "
}

@test "device keys: a device driver's first run makes the key too; meter.key names another place" {
	home
	{
		sample 2026-01-01T10:00:00Z 1000000 0
		sample 2026-01-01T10:30:00Z 1200000 0
	} >s.jsonl
	mkdir keys
	run -0 --separate-stderr denki-meter-read -c home.yaml -D meter.key=keys/dev.key -d samples s.jsonl
	assert_equal "$stderr" "denki-meter-read: made the device key of meter m1: keys/dev.key (0600); its public key keys/dev.pub goes in the meter's enrolment request"
	assert_equal "$(stat -c %a keys/dev.key) $(stat -c %a keys/dev.pub)" "600 644"
	assert_equal "$(jq -c '[.import_wh, (.sig | length)]' <<<"$output")" "[200,88]"
	[ ! -e m1.key ]
	# a name without .key: its public half is NAME.pub
	run -0 --separate-stderr denki-meter-read -c home.yaml -D meter.key=keys/device -P
	assert_equal "$output" "$(cat keys/device.pub)"
}

@test "device keys: meter.sign: no signs nothing and makes no key; without a configuration file nothing is made either" {
	home
	csv 5 0 >m.csv
	run -0 --separate-stderr denki-meter-read -c home.yaml -D meter.sign=no m.csv
	assert_equal "$stderr" ""
	assert_equal "$output" '{"export_wh":0,"import_wh":5,"meter":"m1","slot":"2026-01-01T10:00:00+00:00","type":"reading","v":1}'
	run -78 --separate-stderr denki-meter-read -c home.yaml -D meter.sign=no -P
	assert_equal "$stderr" "denki-meter-read: -P: readings are not signed (meter.sign: no, or no configuration file and no meter.key): there is no device key"
	run -78 --separate-stderr denki-meter-read -c home.yaml -D meter.sign=maybe m.csv
	assert_equal "$stderr" 'denki-meter-read: meter.sign: must be yes or no, got "maybe"'
	run -0 --separate-stderr denki-meter-read -m m1 -D tz=UTC m.csv
	assert_equal "$output" '{"export_wh":0,"import_wh":5,"meter":"m1","slot":"2026-01-01T10:00:00+00:00","type":"reading","v":1}'
	assert_equal "$(find . -name '*.key' -o -name '*.pub')" ""
	# a usage error makes no key
	run -64 --separate-stderr denki-meter-read -c home.yaml -d nosuch m.csv
	run -64 --separate-stderr denki-meter-read -c home.yaml -d sim
	assert_equal "$(find . -name '*.key' -o -name '*.pub')" ""
}

@test "device keys: a key others may read, or that another account owns, is refused; nothing is signed with it" {
	home
	csv 5 0 >m.csv
	denki-meter-read -c home.yaml m.csv >/dev/null 2>&1
	chmod 640 m1.key
	run -78 --separate-stderr denki-meter-read -c home.yaml m.csv
	assert_output ""
	assert_equal "$stderr" "denki-meter-read: meter.key: m1.key: permissions 0640 are too open: a secret key must be readable by its owner alone; run: chmod 600 m1.key"
	chmod 604 m1.key
	run -78 --separate-stderr denki-meter-read -c home.yaml -P
	assert_output ""
	chmod 600 m1.key
	run -0 --separate-stderr denki-meter-read -c home.yaml m.csv
	# another account's key (root can read it, and chown it to test)
	[ "$(id -u)" = 0 ] || skip "chown needs root"
	chown 65534 m1.key
	run -77 --separate-stderr denki-meter-read -c home.yaml m.csv
	assert_output ""
	assert_equal "$stderr" "denki-meter-read: m1.key: owned by uid 65534, not by uid 0 that runs this: a device key must belong to the account that signs with it"
}

@test "device keys: a damaged key is refused with its file and line; the samples are kept, and the readings come once it is mended" {
	home
	{
		sample 2026-01-01T10:00:00Z 1000000 0
		sample 2026-01-01T10:30:00Z 1200000 0
	} >a.jsonl
	sample 2026-01-01T11:00:00Z 1500000 0 >b.jsonl
	sample 2026-01-01T11:30:00Z 1600000 0 >c.jsonl
	run -0 --separate-stderr denki-meter-read -c home.yaml -d samples a.jsonl
	assert_equal "${#lines[@]}" 1
	cp -p m1.key good.key
	# line 2 cut short: not a key
	sed -i '2s/.\{20\}$//' m1.key
	run -65 --separate-stderr denki-meter-read -c home.yaml -d samples b.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-meter-read: meter.key: m1.key:2: not an Ed25519 secret key in minisign layout"
	# emptied: line 1 is not a key's either
	: >m1.key
	run -65 --separate-stderr denki-meter-read -c home.yaml -d samples c.jsonl
	assert_equal "$stderr" 'denki-meter-read: meter.key: m1.key:1: must start with "untrusted comment: "'
	# a key that is not there is made, never over one that is broken
	[ -e m1.key ]
	# mended: the two readings of the samples stored meanwhile, signed
	# with the same key, the bytes a run that never failed gives
	cp -p good.key m1.key
	run -0 --separate-stderr denki-meter-read -c home.yaml -d samples /dev/null
	assert_equal "$stderr" ""
	local got="$output"
	cat a.jsonl b.jsonl c.jsonl >all.jsonl
	run -0 --separate-stderr denki-meter-read -c home.yaml -D state=ref.db -d samples all.jsonl
	assert_equal "${#lines[@]}" 3
	assert_equal "$got" "$(printf '%s\n%s' "${lines[1]}" "${lines[2]}")"
	assert_equal "$(jq -c '[.import_wh, (.sig | length)]' <<<"$got" | tr '\n' ' ')" "[300,88] [100,88] "
}

@test "ledger-verify: the unsigned readings of a migrating community are counted, in both forms" {
	make_community
	grep -qx '  signed: registered' coop.yaml
	trade
	denki-keygen alice-m >/dev/null
	meter_key alice
	csv 0 500 >alice.csv
	{
		denki-meter-read -c alice.yaml -D meter.sign=yes -D meter.key=alice-m.key alice.csv
		reading bob-m 500 0
		reading carol-m 7 0
	} >readings.jsonl
	run -0 --separate-stderr denki-settle -c coop.yaml readings.jsonl
	run -0 denki-ledger-verify -p operator.pub -O ledger.jsonl.openings ledger.jsonl
	assert_output --partial ", 1 slots settled, 3 readings (3 opened, 2 of them unsigned), "
	run -0 denki-ledger-verify -j -p operator.pub -O ledger.jsonl.openings ledger.jsonl
	assert_equal "$(jq -c '[.readings, .unsigned_readings]' <<<"$output")" "[3,2]"
}

@test "completions: meter-read -P and meter.sign, in bash and zsh" {
	comp() {
		bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
		    _denki; printf "%s\n" "${COMPREPLY[@]}"' _ \
		    "$TOP/completions/bash/denki" "$@"
	}
	run comp denki-meter-read -P
	assert_output -- -P
	run comp denki-meter-read -D meter.si
	assert_output "meter.sign="
	run comp denki-meter-read -D meter.sign=
	assert_output "yes
no"
	run comp denki-settle -D settle.signed=r
	assert_output "required
registered"
	grep -q "'-P\[print the device" "$TOP/completions/zsh/_denki"
	grep -q "'meter.sign:" "$TOP/completions/zsh/_denki"
}

@test "device keys: four first runs at once make one key, and every run signs with it" {
	home
	csv 5 0 >m.csv
	local i
	for i in 1 2 3 4; do
		denki-meter-read -c home.yaml m.csv >out.$i 2>err.$i &
	done
	wait
	# one made it and said so; the others read it
	assert_equal "$(cat err.* | grep -c 'made the device key')" 1
	assert_equal "$(cat err.* | grep -vc 'made the device key')" 0
	assert_equal "$(sort -u out.* | wc -l)" 1
	run -0 --separate-stderr denki-meter-read -c home.yaml m.csv
	assert_equal "$output" "$(cat out.1)"
	assert_equal "$(jq -r '.sig | length' out.1)" 88
}
