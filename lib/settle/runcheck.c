/*
 * runcheck.c: the meters' signatures on a settlement run's readings checked
 * on worker threads while the run settles its slots in order: a slot waits
 * only for the verdicts on its own readings, found good ahead (settle.c
 * then takes them as checked) or not (settle.c checks them itself, and
 * names what is wrong); the verdicts and errors are a single thread's.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "settle.h"

/* Meters' keys decoded once each, before the workers start: a
 * direct-mapped cache by the registry's text of each (a month's run has
 * the same 1,000 keys 1,440,000 times), into the table the workers read:
 * they never read the registry, which the run may free before it stops
 * them. */
#define NKEYS 4096
#define NOKEY UINT32_MAX
struct keyc {
	const char *b64;
	uint32_t at;		/* its place in the table */
};

/* The readings a worker takes at a time. */
#define CHUNK 512

struct dk_runcheck {
	const struct dk_sreading *v;
	size_t n;
	uint32_t *ki;		/* a reading's key in pk, or NOKEY */
	unsigned char (*pk)[32];	/* the keys decoded */
	size_t npk, cappk;
	unsigned char *good;	/* a reading's: 1 when found good by the
				 * key in its rd->key (each written by one
				 * worker, read once its chunk is done) */
	unsigned char *done;	/* a chunk's: checked */
	size_t nchunk;
	size_t next;		/* the next chunk a worker takes */
	size_t low;		/* the chunks before it all checked */
	int stop;		/* the run ends: take no more */
	pthread_t *t;
	int nt;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

/* The place of the key b64 in ck's table, decoded there the first time
 * the cache does not hold it: NOKEY when it is not a key, or memory is
 * short. */
static uint32_t
key_at(struct dk_runcheck *ck, struct keyc *kc, const char *b64)
{
	struct keyc *c = &kc[((uintptr_t)b64 >> 3) * 0x9E3779B97F4A7C15ULL >> 52];
	struct dk_err e = { 0 };
	struct dk_key k;

	if (c->b64 == b64)
		return c->at;
	if (ck->npk >= NOKEY || dk_key_from_b64(&k, b64, &e) < 0 ||
	    (ck->npk == ck->cappk && dk_grow(&ck->pk, ck->npk, &ck->cappk,
	    sizeof(*ck->pk), 64) < 0))
		return NOKEY;
	memcpy(ck->pk[ck->npk], k.pk, 32);
	c->b64 = b64;
	c->at = (uint32_t)ck->npk++;
	return c->at;
}

/* Whether rd's meter signed its canonical line (as dk_settle_run_add
 * found the signature in it) with the key pk; buf grows to hold the
 * message.  0 too when memory is short: settle.c checks it then. */
static int
good(const struct dk_sreading *rd, const unsigned char pk[32], char **buf,
    size_t *cap)
{
	const char *c = rd->canon;
	unsigned char sig[64];
	size_t n;
	char *nb;

	if (rd->siglen < 9 || dk_unb64(c + rd->sigoff + 8, rd->siglen - 9,
	    sig, 64) < 0)
		return 0;
	n = rd->ncanon - rd->siglen;
	if (n > *cap) {
		if ((nb = realloc(*buf, n)) == NULL)
			return 0;
		*buf = nb;
		*cap = n;
	}
	memcpy(*buf, c, rd->sigoff);
	memcpy(*buf + rd->sigoff, c + rd->sigoff + rd->siglen,
	    n - rd->sigoff);
	return dk_verify_bytes(sig, *buf, n, pk) == 0;
}

static void *
worker(void *arg)
{
	struct dk_runcheck *ck = arg;
	char *buf = NULL;
	size_t c, i, end, cap = 0;

	for (;;) {
		pthread_mutex_lock(&ck->mu);
		if (ck->stop || ck->next >= ck->nchunk) {
			pthread_mutex_unlock(&ck->mu);
			break;
		}
		c = ck->next++;
		pthread_mutex_unlock(&ck->mu);
		end = (c + 1) * CHUNK < ck->n ? (c + 1) * CHUNK : ck->n;
		for (i = c * CHUNK; i < end; i++)
			ck->good[i] = ck->ki[i] != NOKEY && good(&ck->v[i],
			    ck->pk[ck->ki[i]], &buf, &cap);
		pthread_mutex_lock(&ck->mu);
		ck->done[c] = 1;
		while (ck->low < ck->nchunk && ck->done[ck->low])
			ck->low++;
		pthread_cond_broadcast(&ck->cv);
		pthread_mutex_unlock(&ck->mu);
	}
	free(buf);
	return NULL;
}

static void
ck_free(struct dk_runcheck *ck)
{
	pthread_mutex_destroy(&ck->mu);
	pthread_cond_destroy(&ck->cv);
	free(ck->good);
	free(ck->done);
	free(ck->ki);
	free(ck->pk);
	free(ck->t);
	free(ck);
}

/*
 * Starts the checks of the run's readings on threads workers: each
 * reading's meter's key taken from the registry now (rd->key: NULL when
 * it has none, or the reading no canonical line: a slot due) and decoded,
 * its signature checked by a worker (an unsigned reading is not found
 * good).  What is not found good is left to settle.c's own check.  With
 * no memory or no thread, none is checked ahead.  The registry must not
 * change until the slots are settled (settle.c compares rd->key with it).
 */
void
dk_settle_run_precheck(struct dk_settle_run *run,
    const struct dk_registry *reg, int threads)
{
	const struct dk_participant *p;
	struct dk_sreading *rd;
	struct dk_runcheck *ck;
	struct keyc *kc = NULL;
	size_t i;
	int k;

	dk_settle_run_check_stop(run);
	for (i = 0; i < run->n; i++) {
		rd = &run->v[i];
		rd->key = NULL;
		if (rd->canon != NULL && rd->meter != NULL &&
		    (p = dk_registry_meter(reg, rd->meter)) != NULL)
			rd->key = dk_participant_meter_key(p, rd->meter);
	}
	if (run->n == 0 || threads < 1 || (ck = calloc(1, sizeof(*ck))) ==
	    NULL)
		return;
	ck->v = run->v;
	ck->n = run->n;
	ck->nchunk = (run->n + CHUNK - 1) / CHUNK;
	ck->good = calloc(run->n, 1);
	ck->done = calloc(ck->nchunk, 1);
	ck->ki = calloc(run->n, sizeof(*ck->ki));
	ck->t = calloc((size_t)threads, sizeof(*ck->t));
	pthread_mutex_init(&ck->mu, NULL);
	pthread_cond_init(&ck->cv, NULL);
	if (ck->good == NULL || ck->done == NULL || ck->ki == NULL ||
	    ck->t == NULL || (kc = calloc(NKEYS, sizeof(*kc))) == NULL) {
		ck_free(ck);
		return;
	}
	for (i = 0; i < run->n; i++)
		ck->ki[i] = run->v[i].key != NULL ? key_at(ck, kc,
		    run->v[i].key) : NOKEY;
	free(kc);
	for (k = 0; k < threads; k++)
		if (pthread_create(&ck->t[ck->nt], NULL, worker, ck) == 0)
			ck->nt++;
	if (ck->nt == 0) {
		ck_free(ck);
		return;
	}
	run->chk = ck;
}

/* Waits for the verdicts on readings before j; whether they are there
 * (not when no check was started). */
int
dk_settle_run_check_wait(struct dk_settle_run *run, size_t j)
{
	struct dk_runcheck *ck = run->chk;

	if (ck == NULL)
		return 0;
	pthread_mutex_lock(&ck->mu);
	while (ck->low * CHUNK < j && ck->low < ck->nchunk)
		pthread_cond_wait(&ck->cv, &ck->mu);
	pthread_mutex_unlock(&ck->mu);
	return 1;
}

/* Whether reading i was found good by the key rd->key: asked only after
 * dk_settle_run_check_wait has waited for it. */
int
dk_settle_run_check_good(const struct dk_settle_run *run, size_t i)
{
	return run->chk != NULL && run->chk->good[i];
}

/* The checks stopped (those under way finished), their threads ended. */
void
dk_settle_run_check_stop(struct dk_settle_run *run)
{
	struct dk_runcheck *ck = run->chk;
	int k;

	if (ck == NULL)
		return;
	pthread_mutex_lock(&ck->mu);
	ck->stop = 1;
	pthread_mutex_unlock(&ck->mu);
	for (k = 0; k < ck->nt; k++)
		pthread_join(ck->t[k], NULL);
	ck_free(ck);
	run->chk = NULL;
}
