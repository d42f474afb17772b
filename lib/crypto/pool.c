/* pool.c: Ed25519 signature checks on worker threads, with the verdict
 * (the first bad one in input order) the same as one thread's. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>


#include "crypto.h"

/*
 * Signature checks on worker threads.  The reader queues each check in
 * batches; workers verify them in any order; at the end the failure with
 * the lowest entry number is the one reported, so the verdict is the same
 * as a single thread's.
 */

#define BATCH 256

struct job {
	long long seq, nth;	/* the entry; the order it was added in */
	long line;
	char *msg;
	size_t len;
	unsigned char sig[64];
	unsigned char pk[32];
	char what[48];
};

struct batch {
	struct job j[BATCH];
	int n;
	struct batch *next;
};

struct dk_pool {
	pthread_t *t;
	int nt;
	pthread_mutex_t mu;
	pthread_cond_t more, room;
	struct batch *head, *tail, *cur;
	int queued, done_adding;
	long long bad_seq, bad_nth, added;
	long bad_line;
	char bad_what[48];
	long long checked;
};

static void *
worker(void *arg)
{
	struct dk_pool *p = arg;
	struct batch *b;
	int i, ok;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->head == NULL && !p->done_adding)
			pthread_cond_wait(&p->more, &p->mu);
		if ((b = p->head) == NULL) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		p->head = b->next;
		if (p->head == NULL)
			p->tail = NULL;
		p->queued--;
		pthread_cond_signal(&p->room);
		pthread_mutex_unlock(&p->mu);
		for (i = 0; i < b->n; i++) {
			struct job *j = &b->j[i];
			ok = dk_verify_bytes(j->sig, j->msg, j->len,
			    j->pk) == 0;
			if (!ok) {
				pthread_mutex_lock(&p->mu);
				/* the first in the order of the checks
				 * added, whichever thread saw it first */
				if (p->bad_seq < 0 || j->seq < p->bad_seq ||
				    (j->seq == p->bad_seq &&
				    j->nth < p->bad_nth)) {
					p->bad_seq = j->seq;
					p->bad_nth = j->nth;
					p->bad_line = j->line;
					memcpy(p->bad_what, j->what,
					    sizeof(p->bad_what));
				}
				pthread_mutex_unlock(&p->mu);
			}
			free(j->msg);
		}
		pthread_mutex_lock(&p->mu);
		p->checked += b->n;
		pthread_mutex_unlock(&p->mu);
		free(b);
	}
}

struct dk_pool *
dk_pool_new(int threads)
{
	struct dk_pool *p = calloc(1, sizeof(*p));
	int i;

	if (p == NULL)
		return NULL;
	if (threads < 1)
		threads = 1;
	p->t = calloc(threads, sizeof(*p->t));
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->more, NULL);
	pthread_cond_init(&p->room, NULL);
	p->bad_seq = -1;
	for (i = 0; i < threads; i++)
		if (pthread_create(&p->t[i], NULL, worker, p) == 0)
			p->nt++;
	return p;
}

static void
flush(struct dk_pool *p)
{
	struct batch *b = p->cur;

	p->cur = NULL;
	if (b == NULL || b->n == 0) {
		free(b);
		return;
	}
	pthread_mutex_lock(&p->mu);
	/* a bounded queue keeps memory flat on a big ledger */
	while (p->queued >= 64)
		pthread_cond_wait(&p->room, &p->mu);
	if (p->tail != NULL)
		p->tail->next = b;
	else
		p->head = b;
	p->tail = b;
	p->queued++;
	pthread_cond_signal(&p->more);
	pthread_mutex_unlock(&p->mu);
}

/* Takes msg (malloc'd) over. */
int
dk_pool_add(struct dk_pool *p, long long seq, long line, char *msg,
    size_t len, const unsigned char sig[64], const unsigned char pk[32],
    const char *what)
{
	struct job *j;
	size_t n;

	if (p->cur == NULL && (p->cur = calloc(1, sizeof(*p->cur))) == NULL) {
		free(msg);
		return -1;
	}
	j = &p->cur->j[p->cur->n++];
	j->seq = seq;
	j->nth = p->added++;
	j->line = line;
	j->msg = msg;
	j->len = len;
	memcpy(j->sig, sig, 64);
	memcpy(j->pk, pk, 32);
	n = strnlen(what, sizeof(j->what) - 1);
	memcpy(j->what, what, n);
	j->what[n] = '\0';
	if (p->cur->n == BATCH)
		flush(p);
	return 0;
}

/* Waits for every check; the first bad one, by entry, fails. */
int
dk_pool_finish(struct dk_pool *p, const char *name, long long *bad_seq,
    struct dk_err *e)
{
	int i;

	flush(p);
	pthread_mutex_lock(&p->mu);
	p->done_adding = 1;
	pthread_cond_broadcast(&p->more);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nt; i++)
		pthread_join(p->t[i], NULL);
	*bad_seq = p->bad_seq;
	if (p->bad_seq >= 0)
		return dk_fail(e, DK_EX_DATAERR, "%s:%ld: entry %lld: %s: sig: "
		    "bad signature: the record was not signed by this key, or "
		    "was changed after signing", name, p->bad_line, p->bad_seq,
		    p->bad_what);
	return 0;
}

long long
dk_pool_checked(struct dk_pool *p)
{
	return p->checked;
}

void
dk_pool_free(struct dk_pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->more);
	pthread_cond_destroy(&p->room);
	free(p->t);
	free(p);
}
