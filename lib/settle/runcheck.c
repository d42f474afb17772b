/*
 * runcheck.c: the meters' signatures on a settlement run's readings checked
 * ahead on every core (lib/crypto/pool.c), so that settle.c's checks, one
 * reading at a time in slot order, find them done; verdicts and errors stay.
 */
#include <stdlib.h>
#include <string.h>

#include "settle.h"

/*
 * What the pool found good: each reading by its address, with the key it
 * was checked against.  Only when every signature queued was good: with a
 * bad one the checks are all left to dk_reading_verify, in slot order, so
 * that the error and where it stops are a single thread's.  One run at a
 * time (a program settles one run).
 */
struct good {
	const json_t *rec;
	unsigned char pk[32];
};
static struct good *goodv;
static size_t ngood;

static int
cmp(const void *a, const void *b)
{
	const json_t *x = ((const struct good *)a)->rec;
	const json_t *y = ((const struct good *)b)->rec;

	return x < y ? -1 : x > y;
}

/* The key reading rec must be signed by, in pk: 0, or -1 when there is
 * none to check (unsigned, an unknown meter, no key, a bad one). */
static int
meter_pk(json_t *rec, const struct dk_registry *reg, unsigned char pk[32])
{
	const struct dk_participant *p;
	const char *m, *key;
	struct dk_key k;
	struct dk_err e = { 0 };

	if ((m = json_string_value(json_object_get(rec, "meter"))) == NULL ||
	    (p = dk_registry_meter(reg, m)) == NULL ||
	    (key = dk_participant_meter_key(p, m)) == NULL ||
	    dk_key_from_b64(&k, key, &e) < 0)
		return -1;
	memcpy(pk, k.pk, 32);
	return 0;
}

void
dk_settle_run_precheck(struct dk_settle_run *run,
    const struct dk_registry *reg, int threads)
{
	struct dk_pool *pool;
	struct dk_err e = { 0 };
	unsigned char sig[64];
	const char *s;
	long long bad;
	char *msg;
	size_t k;
	int rc;

	dk_settle_run_unchecked();
	if (run->n == 0 || (goodv = calloc(run->n, sizeof(*goodv))) == NULL ||
	    (pool = dk_pool_new(threads)) == NULL)
		return;
	for (k = 0; k < run->n; k++) {
		json_t *rec = run->v[k].rec;

		if (rec == NULL || (s = json_string_value(json_object_get(rec,
		    "sig"))) == NULL || dk_unb64(s, strlen(s), sig, 64) < 0 ||
		    meter_pk(rec, reg, goodv[ngood].pk) < 0)
			continue;
		if ((msg = dk_canon_without(rec, "sig")) == NULL ||
		    dk_pool_add(pool, (long long)k, 0, msg, strlen(msg), sig,
		    goodv[ngood].pk, "reading") < 0)
			break;
		goodv[ngood++].rec = rec;
	}
	rc = dk_pool_finish(pool, "readings", &bad, &e);
	dk_pool_free(pool);
	if (rc < 0 || k < run->n) {
		dk_settle_run_unchecked();
		return;
	}
	qsort(goodv, ngood, sizeof(*goodv), cmp);
}

void
dk_settle_run_unchecked(void)
{
	free(goodv);
	goodv = NULL;
	ngood = 0;
}

/* dk_reading_verify, unless the pool has found rd's signature good by the
 * key p registers for its meter. */
int
dk_settle_reading_verify(json_t *rd, const struct dk_participant *p,
    struct dk_err *e)
{
	struct good g = { rd, { 0 } }, *f;
	const char *m = json_string_value(json_object_get(rd, "meter"));
	const char *key;
	struct dk_key k;
	struct dk_err e2 = { 0 };
	int same = 0;

	if (ngood > 0 && m != NULL && (f = bsearch(&g, goodv, ngood,
	    sizeof(*goodv), cmp)) != NULL &&
	    (key = dk_participant_meter_key(p, m)) != NULL &&
	    dk_key_from_b64(&k, key, &e2) == 0) {
		same = memcmp(k.pk, f->pk, 32) == 0;
	}
	return same ? 0 : dk_reading_verify(rd, p, e);
}
