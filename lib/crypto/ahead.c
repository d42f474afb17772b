/*
 * ahead.c: records' signatures checked ahead on every core (pool.c), so
 * that the checks a program then makes one by one, in its own order, find
 * them done; what it rejects, and the errors it names, stay the same.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

/*
 * What the pool found good: each record by its address (or by the address
 * of the line it is read from, dk_ahead_add_key), with the key it was
 * checked against; kept only when every signature queued was good, so
 * that with a bad one the checks are all a single thread's, in order.
 * One set in a process at a time; a record must not change once added.
 */
struct good {
	const void *at;		/* the record, or the caller's line */
	json_t *rec;		/* a reference held: its address not reused
				 * (NULL: a line, the caller's to keep) */
	unsigned char pk[32];
};
static struct good *goodv;
static size_t ngood, capgood;
static struct dk_pool *pool;

static int
cmp(const void *a, const void *b)
{
	const void *x = ((const struct good *)a)->at;
	const void *y = ((const struct good *)b)->at;

	return x < y ? -1 : x > y;
}

void
dk_ahead_forget(void)
{
	if (pool != NULL) {
		long long bad;
		struct dk_err e = { 0 };

		dk_pool_finish(pool, "", &bad, &e);
		dk_pool_free(pool);
		pool = NULL;
	}
	while (ngood > 0)
		json_decref(goodv[--ngood].rec);
	free(goodv);
	goodv = NULL;
	capgood = 0;
}

/* rec, signed (its "sig") by pk, to be checked; what cannot be (no sig,
 * not base64) is left to the check made later. */
void
dk_ahead_add(json_t *rec, const unsigned char pk[32], int threads)
{
	unsigned char sig[64];
	const char *s;
	char *msg;

	if ((s = json_string_value(json_object_get(rec, "sig"))) == NULL ||
	    dk_unb64(s, strlen(s), sig, 64) < 0)
		return;
	if ((msg = dk_canon_without(rec, "sig")) == NULL) {
		dk_ahead_forget();
		return;
	}
	dk_ahead_add_msg(rec, msg, strlen(msg), sig, pk, threads);
}

static void add(const void *at, json_t *rec, char *msg, size_t n,
    const unsigned char sig[64], const unsigned char pk[32], int threads);

/* The same with the signed message (msg, n: malloc'd, taken over) and
 * the signature already known: rec's canonical form without its "sig",
 * which the caller has from a canonical line without a JSON dump. */
void
dk_ahead_add_msg(json_t *rec, char *msg, size_t n, const unsigned char
    sig[64], const unsigned char pk[32], int threads)
{
	add(rec, rec, msg, n, sig, pk, threads);
}

/* The same for a record not parsed yet, by the line it will be read from
 * (the caller keeps it, unchanged, until dk_ahead_forget): found by
 * dk_ahead_good. */
void
dk_ahead_add_key(const char *line, char *msg, size_t n,
    const unsigned char sig[64], const unsigned char pk[32], int threads)
{
	add(line, NULL, msg, n, sig, pk, threads);
}

static void
add(const void *at, json_t *rec, char *msg, size_t n,
    const unsigned char sig[64], const unsigned char pk[32], int threads)
{
	struct good *nv;

	if (pool == NULL && (pool = dk_pool_new(threads)) == NULL) {
		free(msg);
		return;
	}
	if (ngood == capgood) {
		capgood = capgood ? capgood * 2 : 1024;
		if ((nv = realloc(goodv, capgood * sizeof(*nv))) == NULL) {
			free(msg);
			dk_ahead_forget();
			return;
		}
		goodv = nv;
	}
	if (dk_pool_add(pool, (long long)ngood, 0, msg, n, sig, pk,
	    "record") < 0) {
		dk_ahead_forget();
		return;
	}
	goodv[ngood].at = at;
	goodv[ngood].rec = json_incref(rec);
	memcpy(goodv[ngood++].pk, pk, 32);
}

/* The checks added, done: remembered when all were good. */
void
dk_ahead_done(void)
{
	struct dk_err e = { 0 };
	long long bad;
	int rc;

	if (pool == NULL)
		return;
	rc = dk_pool_finish(pool, "", &bad, &e);
	dk_pool_free(pool);
	pool = NULL;
	if (rc < 0) {
		dk_ahead_forget();
		return;
	}
	qsort(goodv, ngood, sizeof(*goodv), cmp);
}

/* Whether the record or line at was found good ahead by the key pk. */
int
dk_ahead_good(const void *at, const unsigned char pk[32])
{
	struct good g = { at, NULL, { 0 } }, *f;

	return pool == NULL && ngood > 0 && (f = bsearch(&g, goodv, ngood,
	    sizeof(*goodv), cmp)) != NULL && memcmp(f->pk, pk, 32) == 0;
}

/* dk_verify_record, unless rec was found good ahead by the same key. */
int
dk_verify_record_ahead(json_t *rec, const unsigned char pk[32],
    struct dk_err *e)
{
	if (dk_ahead_good(rec, pk))
		return 0;
	return dk_verify_record(rec, pk, e);
}
