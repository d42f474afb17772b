#!/usr/bin/env bats
# denki-meter-read with a device driver: samples stored in SQLite, counters
# turned into slot readings and gaps, nothing printed before it is stored,
# nothing lost to a kill or a broken pipe; readings signed by the meter.

load test_helper

GEN="$BATS_TEST_DIRNAME/data/gen-samples.py"

# sample TIME IMPORT_MWH EXPORT_MWH [EXACT [KIND]]: one sample record
sample() {
	printf '{"type":"sample","v":1,"meter":"m1","kind":"%s","time":"%s","exact":%s,"import_mwh":%s,"export_mwh":%s}\n' \
	    "${5:-grid}" "$1" "${4:-false}" "$2" "$3"
}

setup() {
	common_setup
	# unsigned (sign: no), to compare the records' bytes; the device
	# key's own tests are in device-keys.bats
	cat >home.yaml <<-YAML
	meter:
	  id: m1
	  sign: no
	state: home.db
	tz: UTC
	slot_minutes: 30
	YAML
}

@test "meter-store: counters to slots: the boundary rule, floor of milli-Wh, gaps and a reset" {
	{
		sample 2026-01-01T10:00:05Z 1000500 200000
		sample 2026-01-01T10:15:00Z 1100500 200000
		sample 2026-01-01T10:30:10Z 1200999 250000
		sample 2026-01-01T11:00:00Z 1300000 260000 true
		sample 2026-01-01T11:00:30Z 1300100 260000
		sample 2026-01-01T12:05:00Z 1400000 260000
		sample 2026-01-01T12:30:00Z 1500000 260000
		sample 2026-01-01T13:00:00Z 100000 0
		sample 2026-01-01T13:30:00Z 200000 0
		sample 2026-01-01T14:00:59Z 300999 1
	} >s.jsonl
	run -0 --separate-stderr denki-meter-read -c home.yaml -d samples s.jsonl
	# 10:00 -> 10:30: floor(1200999/1000) - floor(1000500/1000) = 200 Wh
	assert_output - <<-EOF
	{"export_total_wh":250,"export_wh":50,"import_total_wh":1200,"import_wh":200,"meter":"m1","slot":"2026-01-01T10:00:00+00:00","type":"reading","v":1}
	{"export_total_wh":260,"export_wh":10,"import_total_wh":1300,"import_wh":100,"meter":"m1","slot":"2026-01-01T10:30:00+00:00","type":"reading","v":1}
	{"last":"2026-01-01T12:00:00+00:00","meter":"m1","reason":"no-sample","slot":"2026-01-01T11:00:00+00:00","type":"gap","v":1}
	{"last":"2026-01-01T12:30:00+00:00","meter":"m1","reason":"reset","slot":"2026-01-01T12:30:00+00:00","type":"gap","v":1}
	{"export_total_wh":0,"export_wh":0,"import_total_wh":200,"import_wh":100,"meter":"m1","slot":"2026-01-01T13:00:00+00:00","type":"reading","v":1}
	{"export_total_wh":0,"export_wh":0,"import_total_wh":300,"import_wh":100,"meter":"m1","slot":"2026-01-01T13:30:00+00:00","type":"reading","v":1}
	EOF
	# one gap record, and one message, per run of slots with one reason
	assert_equal "${stderr_lines[0]}" "denki-meter-read: meter m1: slots 2026-01-01T11:00:00+00:00 to 2026-01-01T12:00:00+00:00: a gap of 3 slots, no reading: no sample within the tolerance after one of its boundaries"
	assert_equal "${stderr_lines[1]}" "denki-meter-read: meter m1: slot 2026-01-01T12:30:00+00:00: a gap, no reading: a counter went backwards (meter replaced or reset?)"
	assert_equal "${#stderr_lines[@]}" 2
	# delivered: the same file again adds nothing and prints nothing
	run -0 --separate-stderr denki-meter-read -c home.yaml -d samples s.jsonl
	assert_output ""
	assert_equal "$stderr" ""
	assert_equal "$(sqlite3 home.db 'select count(*) from sample; select count(*) from out where delivered = 1')" "$(printf '10\n6')"
	# a tolerance of 0: only a sample on the boundary stands for it
	run -0 --separate-stderr denki-meter-read -c home.yaml -D state=t0.db -D meter.tolerance=0 -d samples s.jsonl
	assert_equal "$(jq -r '[.slot[11:16], .last[11:16], .type] | join(" ")' <<<"$output" | tr '\n' ,)" \
	    "11:00 12:00 gap,12:30 12:30 gap,13:00  reading,13:30 13:30 gap,"
	run -0 --separate-stderr jq -r .reason <<<"${lines[1]}"
	assert_output reset
}

@test "meter-store: a meter silent for a year is one gap record with its first and last slot, not 17,520" {
	sample 2025-01-01T00:00:00Z 1000000 0 true >a.jsonl
	sample 2026-01-01T00:00:00Z 1001000 0 true >b.jsonl
	sample 2026-01-01T00:30:00Z 1002000 0 true >c.jsonl
	run -0 --separate-stderr denki-meter-read -c home.yaml -d samples a.jsonl b.jsonl c.jsonl
	assert_equal "$output" '{"last":"2025-12-31T23:30:00+00:00","meter":"m1","reason":"no-sample","slot":"2025-01-01T00:00:00+00:00","type":"gap","v":1}
{"export_total_wh":0,"export_wh":0,"import_total_wh":1002,"import_wh":1,"meter":"m1","slot":"2026-01-01T00:00:00+00:00","type":"reading","v":1}'
	assert_equal "$stderr" "denki-meter-read: meter m1: slots 2025-01-01T00:00:00+00:00 to 2025-12-31T23:30:00+00:00: a gap of 17520 slots, no reading: no sample within the tolerance after one of its boundaries"
}

@test "meter-store: the next run delivers what was not delivered; readings come slot by slot as samples arrive" {
	sample 2026-01-01T10:00:00Z 1000000 0 true >a.jsonl
	sample 2026-01-01T10:30:02Z 1000900 0 >b.jsonl
	sample 2026-01-01T11:00:01Z 1001900 0 >c.jsonl
	run -0 --separate-stderr denki-meter-read -c home.yaml -d samples a.jsonl
	assert_output ""
	run -0 --separate-stderr denki-meter-read -c home.yaml -d samples <b.jsonl
	assert_output '{"export_total_wh":0,"export_wh":0,"import_total_wh":1000,"import_wh":0,"meter":"m1","slot":"2026-01-01T10:00:00+00:00","type":"reading","v":1}'
	# an exact sample for 10:30 that comes later does not change it
	sample 2026-01-01T10:30:00Z 1000800 0 true >late.jsonl
	run -0 --separate-stderr denki-meter-read -c home.yaml -d samples late.jsonl
	assert_output ""
	assert_equal "$stderr" "denki-meter-read: meter m1: 1 sample older than one already used: stored, not used"
	# output that cannot be written is not delivered: 74, and next time
	run -74 --separate-stderr bash -c 'denki-meter-read -c home.yaml -d samples c.jsonl >/dev/full'
	assert_equal "$stderr" "denki-meter-read: write error on stdout: No space left on device"
	run -74 --separate-stderr bash -c 'denki-meter-read -c home.yaml -d samples c.jsonl >&-'
	run -0 --separate-stderr denki-meter-read -c home.yaml -d samples c.jsonl
	assert_output '{"export_total_wh":0,"export_wh":0,"import_total_wh":1001,"import_wh":1,"meter":"m1","slot":"2026-01-01T10:30:00+00:00","type":"reading","v":1}'
	# a reader that goes away (SIGPIPE) loses nothing either
	sqlite3 home.db 'update out set delivered = 0'
	bash -c 'denki-meter-read -u -c home.yaml -d samples c.jsonl | head -n 1' >got.jsonl
	assert_equal "$(wc -l <got.jsonl)" 1
	denki-meter-read -u -c home.yaml -d samples c.jsonl >>got.jsonl
	assert_equal "$(sqlite3 home.db 'select count(*) from out where delivered = 0')" 0
	assert_equal "$(sort -u got.jsonl | wc -l)" 2
	grep -q '"slot":"2026-01-01T10:30:00+00:00"' got.jsonl
}

@test "meter-store: 50 readers that close early or die: every reading reaches some reader, none is invented" {
	local r reader
	python3 "$GEN" 600 >day.jsonl
	denki-meter-read -c home.yaml -D state=ref.db -d samples day.jsonl >expected.jsonl 2>/dev/null
	assert_equal "$(wc -l <expected.jsonl)" 19
	denki-meter-read -c home.yaml -d samples /dev/null >/dev/null 2>&1
	# the records wait in the spool; readers that stop after a line or
	# none, slow ones (a write is taken by the pipe long before such a
	# reader reads it), and killed ones
	for ((r = 0; r < 50; r++)); do
		case $((r % 5)) in
		0) reader='head -n 1' ;;
		1) reader='{ sleep 0.05; head -n 1; }' ;;
		2) reader='{ sleep 0.05; head -c 10 >/dev/null; }' ;;
		3) reader='{ sleep 0.05; head -n 2; }' ;;
		4) reader='true' ;;
		esac
		[ $r -eq 1 ] && head -n 300 day.jsonl >part.jsonl
		[ $r -eq 2 ] && cp day.jsonl part.jsonl
		[ $r -eq 0 ] && : >part.jsonl
		if ((r % 2)); then u=-u; else u=; fi
		bash -c "denki-meter-read $u -c home.yaml -d samples part.jsonl 2>/dev/null | $reader" >>got.jsonl || true
	done
	denki-meter-read -c home.yaml -d samples part.jsonl >>got.jsonl 2>/dev/null
	local n=$(wc -l <got.jsonl)
	echo "# 50 early readers and one to the end: $n lines read, $(sort -u got.jsonl | wc -l) different" >&3
	diff <(sort -u got.jsonl) <(sort expected.jsonl)
	# and nothing waits any more
	run -0 --separate-stderr denki-meter-read -c home.yaml -d samples part.jsonl
	assert_output ""
}

@test "meter-store: two runs on one spool at once: a slow device holds no lock, and the other run neither waits nor fails" {
	sample 2026-01-01T10:00:00Z 1000000 0 true >a.jsonl
	sample 2026-01-01T10:30:00Z 1000500 0 true >b.jsonl
	sample 2026-01-01T11:00:00Z 1001000 0 true >c.jsonl
	denki-meter-read -c home.yaml -d samples a.jsonl >/dev/null
	# a device that answers after 6 s (a FIFO nobody writes until then)
	mkfifo slow
	(sleep 6; cat c.jsonl >slow) &
	SECONDS=0
	denki-meter-read -c home.yaml -d samples slow >slow.out 2>slow.err &
	local pid=$!
	sleep 0.5
	run -0 --separate-stderr denki-meter-read -c home.yaml -d samples b.jsonl
	assert_equal "$stderr" ""
	assert_output --partial '"slot":"2026-01-01T10:00:00+00:00"'
	[ "$SECONDS" -lt 4 ]
	wait "$pid"
	assert_equal "$(cat slow.err)" ""
	assert_equal "$(jq -r .slot slow.out)" "2026-01-01T10:30:00+00:00"
}

@test "meter-store: the switch to WAL waits for a lock another holds; runs that start together on a new spool all succeed" {
	sample 2026-01-01T10:00:00Z 1000000 0 true >a.jsonl
	# a spool in rollback mode with a write under way for 1 s
	python3 - <<-'PY' &
	import sqlite3, time
	c = sqlite3.connect("home.db", isolation_level=None)
	c.execute("create table x(a)")
	c.execute("begin immediate")
	c.execute("insert into x values(1)")
	open("held", "w").close()
	time.sleep(1)
	c.execute("commit")
	PY
	local pid=$! i
	while [ ! -e held ]; do sleep 0.05; done
	run -0 --separate-stderr denki-meter-read -c home.yaml -d samples a.jsonl
	wait "$pid"
	assert_equal "$(sqlite3 home.db 'pragma journal_mode')" wal
	for i in 1 2 3 4 5 6 7 8; do
		(denki-meter-read -c home.yaml -D state=new.db -d samples a.jsonl >/dev/null 2>err.$i; echo $? >rc.$i) &
	done
	wait
	assert_equal "$(cat rc.* | tr -d '\n')" 00000000
	assert_equal "$(cat err.*)" ""
}

@test "meter-store: a full disk is 74, for the spool and for standard output; nothing is lost, no half line is left" {
	unshare -rm true 2>/dev/null || skip "unshare -rm (a user namespace to mount a small tmpfs) is not allowed here"
	python3 "$GEN" >all.jsonl
	denki-meter-read -c home.yaml -D state=ref.db -d samples all.jsonl >expected.jsonl 2>/dev/null
	mkdir mnt
	# the spool on a tmpfs of 8, 64 and 128 kB: too small for the schema,
	# for the samples, for the records
	run -0 unshare -rm bash -c 'for k in 8 64 128; do
		mount -t tmpfs -o size=${k}k tmpfs mnt || exit 99
		denki-meter-read -c home.yaml -D state=mnt/h.db -d samples all.jsonl >/dev/null 2>err.$k
		echo "$k $?"
		umount mnt
	done'
	assert_output "8 74
64 74
128 74"
	assert_equal "$(cat err.8)" "denki-meter-read: state database: mnt/h.db: disk I/O error (No space left on device)"
	assert_regex "$(cat err.64)" '^denki-meter-read: state database: .*: database or disk is full$'
	assert_regex "$(cat err.128)" '^denki-meter-read: state database: .*: database or disk is full$'
	# standard output on a full tmpfs, and on /dev/full: 74, the lines
	# that were written are whole, and the next run delivers the rest
	run -0 unshare -rm bash -c 'mount -t tmpfs -o size=8k tmpfs mnt || exit 99
		denki-meter-read -c home.yaml -d samples all.jsonl >mnt/out 2>err.out
		echo $?
		cp mnt/out got.jsonl
		denki-meter-read -u -c home.yaml -d samples all.jsonl >mnt/out 2>>err.out
		echo $?
		cat mnt/out >>got.jsonl'
	assert_output "74
74"
	assert_equal "$(grep -v "a gap.*no reading" err.out)" "denki-meter-read: write error on stdout: No space left on device
denki-meter-read: write error on stdout: No space left on device"
	[ "$(wc -l <got.jsonl)" -gt 10 ]
	# every line whole: jq reads them all
	jq -c . got.jsonl >/dev/null
	run -74 --separate-stderr bash -c 'denki-meter-read -c home.yaml -d samples all.jsonl >/dev/full'
	assert_equal "$stderr" "denki-meter-read: write error on stdout: No space left on device"
	denki-meter-read -c home.yaml -d samples all.jsonl >>got.jsonl
	diff <(sort -u got.jsonl) <(sort expected.jsonl)
}

@test "meter-store: SIGKILLed at random points, over and over: every reading is delivered, none invented" {
	local rounds=${DENKI_CRASH_ROUNDS:-48} r pid child killed=0 delay
	command -v strace >/dev/null || skip "strace is not installed (make deps)"
	python3 "$GEN" >all.jsonl
	cat >q.yaml <<-YAML
	meter:
	  id: m1
	tz: Europe/Amsterdam
	slot_minutes: 15
	YAML
	# what one run in one go makes
	denki-meter-read -c q.yaml -D state=one.db -d samples all.jsonl >expected.jsonl 2>/dev/null
	assert_equal "$(wc -l <expected.jsonl)" 188
	assert_equal "$(grep -c '"type":"gap"' expected.jsonl)" 2
	# the same samples arriving an hour at a time, each run killed at a
	# random point; write(2) and pwrite64(2) stretched so kills land inside
	# SQLite's commits and between the lines of the output too
	for ((r = 1; r <= rounds; r++)); do
		head -n $((r * 2840 / rounds)) all.jsonl >part.jsonl
		strace -f -o /dev/null -e trace=write,pwrite64 \
		    -e inject=write,pwrite64:delay_enter=3000 \
		    denki-meter-read -c q.yaml -D state=k.db -d samples part.jsonl \
		    >"out-$r.jsonl" 2>/dev/null &
		pid=$!
		# (a run that ends sooner is not waited for to the end of the
		# delay)
		sleep "0.$((RANDOM % 4))$((RANDOM % 10))" &
		delay=$!
		wait -n "$pid" "$delay" || true
		child=$(pgrep -P "$pid" || true)
		if [ -n "$child" ] && kill -9 $child 2>/dev/null; then
			killed=$((killed + 1))
		fi
		wait "$pid" 2>/dev/null || true
		kill "$delay" 2>/dev/null || true
		wait "$delay" 2>/dev/null || true
	done
	denki-meter-read -c q.yaml -D state=k.db -d samples all.jsonl >out-last.jsonl 2>/dev/null
	for ((r = 1; r <= rounds; r++)); do cat "out-$r.jsonl"; done >union.jsonl
	cat out-last.jsonl >>union.jsonl
	local n dup
	n=$(wc -l <union.jsonl)
	dup=$((n - $(sort -u union.jsonl | wc -l)))
	echo "# $rounds rounds, $killed killed; $n lines delivered, $dup of them again" >&3
	[ "$killed" -gt 0 ]
	# at least once: the union is the whole set, nothing else, no torn line
	diff <(sort -u union.jsonl) <(sort expected.jsonl)
	# and in order: each run starts where the last delivered one ended
	diff <(awk '!seen[$0]++' union.jsonl) expected.jsonl
}

@test "meter-store: a bad sample record is 65 with file:line; the samples before it are kept and used" {
	{
		sample 2026-01-01T10:00:00Z 1000000 0
		sample 2026-01-01T10:30:00Z 1000500 0
		printf '{"type":"sample","v":1,"meter":"m1","kind":"heat","time":"2026-01-01T11:00:00Z","exact":false,"import_mwh":1}\n'
	} >bad.jsonl
	run -65 --separate-stderr denki-meter-read -c home.yaml -d samples bad.jsonl
	assert_output --partial '"import_wh":0,'
	assert_equal "$stderr" 'denki-meter-read: bad.jsonl:3: kind: must be grid, pv or battery, got "heat"'
	printf '{"type":"sample","v":1,"meter":"m1","kind":"grid","time":"2026-01-01T11:00:00Z","exact":false,"import_mwh":1,"watts":3}\n' >f.jsonl
	run -65 --separate-stderr denki-meter-read -c home.yaml -d samples f.jsonl
	assert_equal "$stderr" 'denki-meter-read: f.jsonl:1: watts: not a field of a sample'
	run -66 --separate-stderr denki-meter-read -c home.yaml -d samples nope.jsonl
	assert_equal "$stderr" 'denki-meter-read: nope.jsonl: No such file or directory'
	run -78 --separate-stderr denki-meter-read -c home.yaml -D meter.tolerance=901 -d samples bad.jsonl
	assert_regex "$stderr" 'meter.tolerance.*901'
}

@test "meter-store: -p -d samples prints the samples back, canonical; pv and battery make readings of their kind" {
	{
		sample 2026-01-01T10:00:00+09:00 5000 0 true pv
		sample 2026-01-01T10:30:00+09:00 905000 0 true pv
	} >pv.jsonl
	run -0 --separate-stderr denki-meter-read -p -c home.yaml -D tz=Asia/Tokyo -d samples pv.jsonl
	assert_equal "$output" "$(jq -cS . pv.jsonl)"
	run -0 --separate-stderr denki-meter-read -c home.yaml -D tz=Asia/Tokyo -d samples pv.jsonl
	assert_output '{"export_total_wh":0,"export_wh":0,"import_total_wh":905,"import_wh":900,"kind":"pv","meter":"m1","slot":"2026-01-01T10:00:00+09:00","type":"reading","v":1}'
}

@test "meter-store: readings signed with meter.key; the registry knows the meter's key; settle and ledger-verify check it" {
	make_community alice bob
	denki-keygen alice-meter >/dev/null
	denki-keygen other >/dev/null
	denki-registry request alice -s alice.key -M alice-m=alice-meter.pub -t 2099-01-01T00:00:00Z >r.json
	run -0 --separate-stderr denki-registry -c coop.yaml rekey r.json
	assert_output --partial "\"meter_keys\":[{\"key\":\"$(sed -n 2p alice-meter.pub)\",\"meter\":\"alice-m\"}]"
	# update keeps the key; list shows it
	denki-registry -c coop.yaml update alice -z east >/dev/null
	run -0 denki-registry -c coop.yaml list
	assert_line --index 0 --partial '"meter_keys":[{"key":'
	run -64 --separate-stderr denki-registry -c coop.yaml update alice -M alice-m=other.pub
	assert_equal "$stderr" "denki-registry: update -M: a member's key, meters and meter keys change only by its signed request (denki registry request, then registry rekey) or a recovery (denki registry recover)"
	run -64 --separate-stderr denki-registry request alice -s alice.key -M alice-m
	{
		order alice sell 500 120000
		order bob buy 500 200000
	} >orders.jsonl
	denki-clear -c coop.yaml orders.jsonl | denki-contract-sign -c coop.yaml >/dev/null
	{
		sample 2026-01-01T10:00:00Z 1000000 2000000 true
		sample 2026-01-01T10:30:00Z 1000000 2500000 true
	} | sed 's/"m1"/"alice-m"/' >a.jsonl
	run -0 --separate-stderr denki-meter-read -c alice.yaml -D meter.sign=yes -D meter.key=alice-meter.key -d samples a.jsonl
	assert_equal "${#lines[@]}" 1
	local signed="$output"
	run -0 jq -r '.sig | length' <<<"$signed"
	assert_output 88
	printf '{"type":"reading","v":1,"meter":"bob-m","slot":"2026-01-01T10:00:00+00:00","import_wh":500,"export_wh":0}\n' >bob.jsonl
	# unsigned, or signed by another key, or changed: refused
	jq -c 'del(.sig)' <<<"$signed" >unsigned.jsonl
	run -65 --separate-stderr denki-settle -c coop.yaml unsigned.jsonl bob.jsonl
	assert_equal "${stderr_lines[0]}" "denki-settle: unsigned.jsonl:1: rejected: meter alice-m has a registered key; its readings must be signed"
	jq -c 'del(.sig)' <<<"$signed" | sign_with other.key >other.jsonl
	run -65 --separate-stderr denki-settle -c coop.yaml other.jsonl bob.jsonl
	assert_regex "${stderr_lines[0]}" '^denki-settle: other\.jsonl:1: rejected: meter alice-m: sig: bad signature'
	jq -c '.export_wh = 501' <<<"$signed" >changed.jsonl
	run -65 --separate-stderr denki-settle -c coop.yaml changed.jsonl bob.jsonl
	assert_regex "${stderr_lines[0]}" '^denki-settle: changed\.jsonl:1: rejected: meter alice-m: sig: bad signature'
	# settle.signed: required refuses bob's unsigned reading too
	echo "$signed" >alice.jsonl
	run -65 --separate-stderr denki-settle -c coop.yaml -D settle.signed=required alice.jsonl bob.jsonl
	assert_equal "${stderr_lines[0]}" "denki-settle: bob.jsonl:1: rejected: meter bob-m: unsigned, and settle.signed is required"
	run -78 --separate-stderr denki-settle -c coop.yaml -D settle.signed=maybe alice.jsonl bob.jsonl
	assert_equal "$stderr" 'denki-settle: settle.signed: must be registered or required, got "maybe"'
	# registered (make_community's, a community migrating): alice's signed
	# reading, bob's unsigned (no key for bob-m)
	run -0 --separate-stderr denki-settle -c coop.yaml alice.jsonl bob.jsonl
	assert_line --partial '"participant":"alice","slot":"2026-01-01T10:00:00+00:00","sold_wh":500'
	# the signed reading is committed: its signature is in its opening,
	# in the operator's store, not in the ledger (denki-formats(5),
	# Committed readings), and ledger-verify -O checks it there
	assert_equal "$(grep -c "$(jq -r .sig <<<"$signed")" ledger.jsonl)" 0
	assert_equal "$(grep -c "$(jq -r .sig <<<"$signed")" ledger.jsonl.openings)" 1
	run -0 denki-ledger-verify -q -p operator.pub -O ledger.jsonl.openings ledger.jsonl
}

@test "meter-store: settle and bid take meter-read's output whole: gaps and pv readings skipped, named" {
	make_community alice bob
	{
		order alice sell 500 120000
		order bob buy 500 200000
	} >orders.jsonl
	denki-clear -c coop.yaml orders.jsonl | denki-contract-sign -c coop.yaml >/dev/null
	{
		printf '{"meter":"bob-m","reason":"no-sample","slot":"2026-01-01T09:30:00+00:00","type":"gap","v":1}\n'
		printf '{"last":"2026-01-01T09:30:00+00:00","meter":"alice-m","reason":"no-sample","slot":"2026-01-01T08:00:00+00:00","type":"gap","v":1}\n'
		printf '{"type":"reading","v":1,"meter":"bob-m","slot":"2026-01-01T10:00:00+00:00","import_wh":500,"export_wh":0}\n'
		printf '{"type":"reading","v":1,"meter":"alice-m","kind":"pv","slot":"2026-01-01T10:00:00+00:00","import_wh":900,"export_wh":0}\n'
		printf '{"type":"reading","v":1,"meter":"alice-m","slot":"2026-01-01T10:00:00+00:00","import_wh":0,"export_wh":500}\n'
	} >r.jsonl
	run -0 --separate-stderr denki-settle -c coop.yaml r.jsonl
	assert_equal "${stderr_lines[0]}" "denki-settle: r.jsonl:1: meter bob-m: slot 2026-01-01T09:30:00+00:00: a gap (no-sample), no reading"
	assert_equal "${stderr_lines[1]}" "denki-settle: r.jsonl:2: meter alice-m: slots 2026-01-01T08:00:00+00:00 to 2026-01-01T09:30:00+00:00: a gap (no-sample), no reading"
	assert_equal "${stderr_lines[2]}" "denki-settle: 1 pv or battery reading: not billed, not settled"
	assert_line --partial '"export_wh":500,"fees":0,"import_wh":0'
	# bid: the gap and the pv reading are not the grid's net
	run -0 --separate-stderr denki-bid -c alice.yaml -n <(grep alice r.jsonl)
	assert_equal "$stderr" "$(denki-bid -c alice.yaml -D state=x.db -n <(grep -v pv r.jsonl | grep alice) 2>&1 >/dev/null)"
}

@test "meter-store: one poll with its output in at most 8 MB resident (tools/footprint.sh)" {
	[ -x /usr/bin/time ] || skip "/usr/bin/time is not installed (make deps)"
	# a sanitizer build measures the sanitizer
	[ -z "${ASAN_OPTIONS:-}" ] || skip "ASAN_OPTIONS is set: a sanitizer build"
	python3 "$GEN" 60 >day.jsonl
	head -n 30 day.jsonl | denki-meter-read -c home.yaml -d samples >/dev/null 2>&1
	sed -n 31p day.jsonl >poll.jsonl	# 00:30:07, a slot boundary
	run -0 denki-keygen k
	run -0 --separate-stderr "$TOP/tools/footprint.sh" denki-meter-read -c home.yaml -D meter.key=k.key -d samples poll.jsonl
	assert_equal "${#lines[@]}" 1
	assert_line --partial '"slot":"2026-03-22T23:00:00+00:00","type":"reading"'
	assert_regex "${stderr_lines[-1]}" '^max_rss_kb [0-9]+$'
	local kb=${stderr_lines[-1]#max_rss_kb }
	echo "# one poll, signed: $kb kB" >&3
	[ "$kb" -le 8192 ]
	run -64 --separate-stderr "$TOP/tools/footprint.sh"
	assert_equal "$stderr" "usage: footprint.sh command [arg ...]"
}
