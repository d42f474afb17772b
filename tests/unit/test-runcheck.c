/* Unit tests for lib/settle/runcheck.c: a settlement run's reading
 * signatures checked on threads while the slots are read in order; each
 * verdict is one thread's, whatever the others find. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"
#include "check.h"

#define NSLOT 700		/* 2,100 readings: five workers' chunks */
#define CHANGED 500		/* slot of a's reading changed after signing */
#define WRONG 333		/* slot of b's reading signed by a's key */

static struct dk_err e;

static void
participant(struct dk_registry *reg, const char *id, const struct dk_key *k,
    const struct dk_key *mk)
{
	char m[16], *pub = dk_key_pub_b64(k), *mpub = mk ? dk_key_pub_b64(mk) :
	    NULL;
	json_t *r;

	snprintf(m, sizeof(m), "%s-m", id);
	r = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:[s]}", "type",
	    "participant", "v", 1, "id", id, "zone", "z1", "role", "prosumer",
	    "status", "active", "key", pub, "meters", m);
	if (mpub != NULL)
		json_object_set_new(r, "meter_keys", json_pack("[{s:s,s:s}]",
		    "meter", m, "key", mpub));
	CHECK_INT(dk_registry_apply(reg, r, &e), 0);
	json_decref(r);
	free(pub);
	free(mpub);
}

/* Slot s's reading of meter, signed by k (unless NULL), its import
 * changed after signing when changed: added to run. */
static void
reading(struct dk_settle_run *run, const struct dk_rules *rules,
    const char *meter, int s, const struct dk_key *k, int changed)
{
	char slot[40], *line;
	json_t *r;

	dk_time_format((int64_t)1767225600 + (int64_t)s * 3600, "UTC", slot,
	    sizeof(slot));
	r = json_pack("{s:s,s:i,s:s,s:s,s:i,s:i}", "type", "reading", "v", 1,
	    "meter", meter, "slot", slot, "import_wh", 100 + s, "export_wh",
	    0);
	if (k != NULL)
		CHECK_INT(dk_sign_record(r, k, &e), 0);
	if (changed)
		json_object_set_new(r, "import_wh", json_integer(99));
	line = dk_canon(r);
	CHECK_INT(dk_settle_run_add(run, line, strlen(line), "in", s + 1,
	    rules, &e), DK_SETTLE_TAKEN);
	free(line);
	json_decref(r);
}

int
main(void)
{
	struct dk_registry reg;
	struct dk_settle_run run;
	struct dk_rules rules;
	struct dk_conf c;
	struct dk_key ka, kb, kc, ma, mb;
	const char *m;
	size_t i;
	int s, want, ngood = 0, nbad = 0;

	CHECK_INT(dk_init(&e), 0);
	CHECK_INT(dk_key_generate(&ka, &e), 0);
	CHECK_INT(dk_key_generate(&kb, &e), 0);
	CHECK_INT(dk_key_generate(&kc, &e), 0);
	CHECK_INT(dk_key_generate(&ma, &e), 0);
	CHECK_INT(dk_key_generate(&mb, &e), 0);
	memset(&reg, 0, sizeof(reg));
	participant(&reg, "a", &ka, &ma);
	participant(&reg, "b", &kb, &mb);
	participant(&reg, "c", &kc, NULL);	/* no meter key */

	dk_conf_load(&c, NULL, &e);
	CHECK_INT(dk_conf_set(&c, "prices.retail=300", &e), 0);
	CHECK_INT(dk_conf_set(&c, "prices.buyback=100", &e), 0);
	CHECK_INT(dk_conf_set(&c, "slot_minutes=60", &e), 0);
	CHECK_INT(dk_conf_set(&c, "settle.signed=registered", &e), 0);
	CHECK_INT(dk_rules_from_conf(&rules, &c, &e), 0);
	memset(&run, 0, sizeof(run));
	CHECK_INT(dk_settle_run_init(&run, &c, &e), 0);
	for (s = 0; s < NSLOT; s++) {
		reading(&run, &rules, "a-m", s, &ma, s == CHANGED);
		reading(&run, &rules, "b-m", s, s == WRONG ? &ma : &mb, 0);
		/* c's meter has no key; x's is not in the registry */
		reading(&run, &rules, s % 2 ? "c-m" : "x-m", s, NULL, 0);
	}
	dk_settle_run_sort(&run);
	CHECK_INT(run.n, 3 * NSLOT);

	/* no thread: nothing found good ahead, every check left to settle */
	dk_settle_run_precheck(&run, &reg, 0);
	CHECK_INT(dk_settle_run_check_wait(&run, run.n), 0);
	CHECK_INT(dk_settle_run_check_good(&run, 0), 0);

	/* two workers: the verdicts, slot by slot as settle waits for them */
	dk_settle_run_precheck(&run, &reg, 2);
	CHECK(run.chk != NULL);
	for (i = 0; i < run.n; i++) {
		if (i % 3 == 0)
			CHECK_INT(dk_settle_run_check_wait(&run, i + 3), 1);
		m = run.v[i].meter;
		s = (int)(run.v[i].slot - 1767225600) / 3600;
		/* the registry's key taken for a keyed meter; none else */
		CHECK_INT(run.v[i].key != NULL, m[0] == 'a' || m[0] == 'b');
		want = (m[0] == 'a' && s != CHANGED) || (m[0] == 'b' &&
		    s != WRONG);
		CHECK_INT(dk_settle_run_check_good(&run, i), want);
		ngood += want;
		nbad += !want && run.v[i].key != NULL;
	}
	CHECK_INT(ngood, 2 * NSLOT - 2);
	CHECK_INT(nbad, 2);
	dk_settle_run_check_stop(&run);
	CHECK(run.chk == NULL);

	/* stopped early, with most of the checks not made: the threads end,
	 * and a second start checks them all again */
	dk_settle_run_precheck(&run, &reg, 2);
	CHECK_INT(dk_settle_run_check_wait(&run, 1), 1);
	dk_settle_run_check_stop(&run);
	dk_settle_run_check_stop(&run);		/* twice: nothing more */
	dk_settle_run_precheck(&run, &reg, 2);
	CHECK_INT(dk_settle_run_check_wait(&run, run.n + 5), 1);
	for (i = ngood = 0; i < run.n; i++)
		ngood += dk_settle_run_check_good(&run, i);
	CHECK_INT(ngood, 2 * NSLOT - 2);
	/* freed with its checks under way: the threads end first */
	dk_settle_run_precheck(&run, &reg, 2);
	dk_settle_run_free(&run);

	dk_conf_free(&c);
	dk_registry_free(&reg);
	dk_key_free(&ka);
	dk_key_free(&kb);
	dk_key_free(&kc);
	dk_key_free(&ma);
	dk_key_free(&mb);
	return check_done("test-runcheck");
}
