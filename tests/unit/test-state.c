/* Unit tests for lib/ledger/state.c: slots found by time whatever the order they
 * were cleared in, and what a participant owes on the day of a slot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"
#include "check.h"

#define T0 1767225600	/* 2026-01-01T00:00:00Z */
#define N 500		/* slots: more than ten days of them */

static int
apply(struct dk_state *s, const char *type, int64_t t, int64_t wh,
    const char *buyer, struct dk_err *e)
{
	char slot[40];
	json_t *r;
	int rc;

	dk_time_format(t, "UTC", slot, sizeof(slot));
	if (strcmp(type, "clearing") == 0)
		r = json_pack("{s:s,s:i,s:s}", "type", type, "v", 1, "slot",
		    slot);
	else
		r = json_pack("{s:s,s:i,s:s,s:s,s:I,s:i,s:i}", "type", type,
		    "v", 1, "slot", slot, "buyer", buyer, "wh", (json_int_t)wh,
		    "price", 200000, "fee", 10000);
	memset(e, 0, sizeof(*e));
	rc = dk_state_apply(s, 0, 0, r, e);
	json_decref(r);
	return rc;
}

int
main(void)
{
	struct dk_state s;
	struct dk_err e;
	int perm[N], i, j, k, bad = 0;
	uint64_t x = 88172645463325252ULL;
	struct dk_slotstate *ss;

	dk_state_init(&s);
	s.have_rules = 1;
	s.rules.slot_minutes = 30;
	strcpy(s.rules.tz, "UTC");
	/* cleared in a shuffled order, each with one contract */
	for (i = 0; i < N; i++)
		perm[i] = i;
	for (i = N - 1; i > 0; i--) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		j = (int)(x % (uint64_t)(i + 1));
		k = perm[i];
		perm[i] = perm[j];
		perm[j] = k;
	}
	for (i = 0; i < N; i++) {
		int64_t t = T0 + (int64_t)perm[i] * 1800;
		CHECK_INT(apply(&s, "clearing", t, 0, NULL, &e), 0);
		CHECK_INT(apply(&s, "contract", t, perm[i] + 1,
		    perm[i] % 3 ? "bob" : "carol", &e), 0);
	}
	CHECK_INT(s.nslots, N);
	/* every slot is found, as itself; none between or around */
	for (i = 0; i < N; i++) {
		ss = dk_state_slot(&s, T0 + (int64_t)i * 1800);
		if (ss == NULL || ss->slot != T0 + (int64_t)i * 1800 ||
		    ss->nc != 1 || ss->c[0].wh != i + 1)
			bad++;
		if (dk_state_slot(&s, T0 + (int64_t)i * 1800 + 900) != NULL)
			bad++;
	}
	CHECK_INT(bad, 0);
	CHECK(dk_state_slot(&s, T0 - 1800) == NULL);
	CHECK(dk_state_slot(&s, T0 + (int64_t)N * 1800) == NULL);
	/* a slot cleared twice, and a contract for a slot never cleared */
	CHECK_INT(apply(&s, "clearing", T0 + 1800 * 7, 0, NULL, &e), -1);
	CHECK_HAS(e.msg, "cleared a second time");
	CHECK_INT(apply(&s, "contract", T0 - 1800, 5, "bob", &e), -1);
	CHECK_HAS(e.msg, "which was never cleared");
	CHECK_INT(s.nslots, N);

	/* what bob owes on the day of each slot (the slot itself left out):
	 * the same as adding up every slot of that UTC day by hand */
	for (bad = 0, i = 0; i < N; i++) {
		int64_t t = T0 + (int64_t)i * 1800, want = 0;
		for (j = 0; j < N; j++) {
			int64_t u = T0 + (int64_t)j * 1800, v1, v2;
			if (j == i || (u - T0) / 86400 != (t - T0) / 86400 ||
			    j % 3 == 0)
				continue;
			CHECK_INT(dk_value(j + 1, 200000, &v1), 0);
			CHECK_INT(dk_value(j + 1, 10000, &v2), 0);
			want += v1 + v2;
		}
		if (dk_state_day_owed(&s, "bob", t) != want) {
			if (bad++ == 0)
				fprintf(stderr, "slot %d: owed %lld, want %lld\n",
				    i, (long long)dk_state_day_owed(&s, "bob",
				    t), (long long)want);
		}
	}
	CHECK_INT(bad, 0);
	/* a day with a contract of dave's in none of its slots */
	CHECK_INT(dk_state_day_owed(&s, "dave", T0 + 1800 * 5), 0);
	/* a slot after the last one cleared: the earlier ones of its day */
	CHECK(dk_state_day_owed(&s, "bob", T0 + (int64_t)N * 1800) > 0);
	dk_state_free(&s);
	return check_done("test-state");
}
