#!/usr/bin/env bats
# The project stands alone: the build and the tests read nothing beside the
# tree (not the shared folder beside it); what they need is in tests/fixtures and tests/data.

load test_helper

@test "standalone: no file of the build or the tests names the shared folder beside the tree" {
	cd "$TOP"
	# what make and the tests read: everything but the documents
	run -1 grep -rInE --exclude='*.md' --exclude-dir=node_modules \
	    --exclude=standalone.bats \
	    '\.\./shared|/work/shared|\$\{?SHARED\b|\bSHARED=' \
	    Makefile .ci cmd lib tools tests examples completions
	assert_output ""
	# this test's pattern finds such a line where one is
	printf 'static const char *d = "../%s/fixtures/jcs";\n' shared \
	    >"$BATS_TEST_TMPDIR/x.c"
	echo 'FIX="$SHARED/fixtures/dsmr"' >"$BATS_TEST_TMPDIR/y.bats"
	run -0 grep -rlE '\.\./shared|/work/shared|\$\{?SHARED\b|\bSHARED=' \
	    "$BATS_TEST_TMPDIR/x.c" "$BATS_TEST_TMPDIR/y.bats"
	assert_equal "${#lines[@]}" 2
}

@test "standalone: the unit tests that read fixtures read them from tests/, and pass" {
	local t
	cd "$TOP"
	for t in jsonl merkle note dsmr solarjson echonet meter; do
		[ -x "tests/unit/test-$t" ]
		run -0 strace -f -qq -e trace=open,openat -o "$BATS_TEST_TMPDIR/$t.trace" \
		    "tests/unit/test-$t"
		# nothing opened beside the tree
		run -1 grep -E '"(\.\./|/work/)shared' "$BATS_TEST_TMPDIR/$t.trace"
		# and its fixtures opened from tests/
		run -0 grep -cE '"tests/(fixtures|data)/[^"]+", O_RDONLY' \
		    "$BATS_TEST_TMPDIR/$t.trace"
		[ "$output" -ge 1 ]
	done
}
