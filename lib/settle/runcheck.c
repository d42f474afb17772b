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

void
dk_settle_run_precheck(struct dk_settle_run *run,
    const struct dk_registry *reg, int threads)
{
	const struct dk_participant *p;
	struct dk_sreading *rd;
	const char *m, *key;
	struct keyc *kc = calloc(NKEYS, sizeof(*kc));	/* NULL: no cache */
	unsigned char pk[32];
	size_t i;

	dk_ahead_forget();
	for (i = 0; i < run->n; i++) {
		rd = &run->v[i];
		/* the message from the reading's canonical line, made as it
		 * was read (dk_settle_run_add); none: left to the check made
		 * later */
		if (rd->rec == NULL || rd->msg == NULL ||
		    (m = rd->meter) == NULL ||
		    (p = dk_registry_meter(reg, m)) == NULL ||
		    (key = dk_participant_meter_key(p, m)) == NULL ||
		    key_pk(kc, key, pk) < 0)
			continue;
		dk_ahead_add_msg(rd->rec, rd->msg, rd->nmsg,
		    (unsigned char *)rd->msg + rd->nmsg + 1, pk, threads);
		rd->msg = NULL;		/* the pool's now */
	}
	free(kc);
	dk_ahead_done();
}
