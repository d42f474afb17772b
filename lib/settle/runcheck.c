/*
 * runcheck.c: the meters' signatures on a settlement run's readings checked
 * ahead on every core (lib/crypto/ahead.c), so that settle.c's checks, one
 * reading at a time in slot order, find them done; verdicts and errors stay.
 */
#include <stdlib.h>
#include <string.h>

#include "settle.h"

/* Meters' keys decoded, by the registry's text of each: a direct-mapped
 * cache (a month's run decoded the same 200 keys 144,000 times). */
#define NKEYS 4096
struct keyc {
	const char *b64;
	unsigned char pk[32];
};

/* The key b64's 32 bytes into pk: 0, or -1 when it is not a key. */
static int
key_pk(struct keyc *kc, const char *b64, unsigned char pk[32])
{
	struct keyc *c = NULL;
	struct dk_err e = { 0 };
	struct dk_key k;

	if (kc != NULL && (c = &kc[((uintptr_t)b64 >> 3) *
	    0x9E3779B97F4A7C15ULL >> 52])->b64 == b64) {
		memcpy(pk, c->pk, 32);
		return 0;
	}
	if (dk_key_from_b64(&k, b64, &e) < 0)
		return -1;
	memcpy(pk, k.pk, 32);
	if (c != NULL) {
		c->b64 = b64;
		memcpy(c->pk, k.pk, 32);
	}
	return 0;
}

/* What rd's meter signed and its signature, from its canonical line as
 * dk_settle_run_add found them: the message malloc'd into *msg (n bytes
 * and a NUL); -1 when there is none or memory is short. */
static int
signed_msg(const struct dk_sreading *rd, char **msg, size_t *n,
    unsigned char sig[64])
{
	const char *c = rd->canon;

	if (rd->siglen < 9 || dk_unb64(c + rd->sigoff + 8, rd->siglen - 9,
	    sig, 64) < 0)
		return -1;
	*n = rd->ncanon - rd->siglen;
	if ((*msg = malloc(*n + 1)) == NULL)
		return -1;
	memcpy(*msg, c, rd->sigoff);
	memcpy(*msg + rd->sigoff, c + rd->sigoff + rd->siglen,
	    *n - rd->sigoff);
	(*msg)[*n] = '\0';
	return 0;
}

void
dk_settle_run_precheck(struct dk_settle_run *run,
    const struct dk_registry *reg, int threads)
{
	const struct dk_participant *p;
	struct dk_sreading *rd;
	const char *m, *key;
	struct keyc *kc = calloc(NKEYS, sizeof(*kc));	/* NULL: no cache */
	unsigned char pk[32], sig[64];
	char *msg;
	size_t i, n;

	dk_ahead_forget();
	for (i = 0; i < run->n; i++) {
		rd = &run->v[i];
		rd->key = NULL;
		/* the message from the reading's canonical line, where
		 * dk_settle_run_add found it; none: left to the check made
		 * later.  A flat reading is found by its line (its record is
		 * made again for its slot), any other by its record */
		if (rd->canon == NULL || (m = rd->meter) == NULL ||
		    (p = dk_registry_meter(reg, m)) == NULL ||
		    (key = dk_participant_meter_key(p, m)) == NULL ||
		    key_pk(kc, key, pk) < 0 || signed_msg(rd, &msg, &n, sig) < 0)
			continue;
		if (rd->rec != NULL)
			dk_ahead_add_msg(rd->rec, msg, n, sig, pk, threads);
		else
			dk_ahead_add_key(rd->canon, msg, n, sig, pk, threads);
		rd->key = key;
	}
	dk_ahead_done();
	/* the verdicts, for settle.c by the key each was checked with */
	for (i = 0; i < run->n; i++) {
		rd = &run->v[i];
		if (rd->key != NULL && (key_pk(kc, rd->key, pk) < 0 ||
		    !dk_ahead_good(rd->rec != NULL ? (const void *)rd->rec :
		    rd->canon, pk)))
			rd->key = NULL;
	}
	free(kc);
}
