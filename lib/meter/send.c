/*
 * send.c: the outbox's pending lines POSTed to the cooperative's intake,
 * oldest first, a batch a request; a request that finds no server, or a
 * 5xx, tried again after a random wait ("full jitter") that doubles.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "meter.h"

/* a uniformly random wait from 0 to max_ms: a thousand Pis woken by the
 * same cron minute, or failed by the same outage, spread over it */
long
dk_jitter_ms(long max_ms)
{
	if (max_ms <= 0)
		return 0;
	return (long)randombytes_uniform((uint32_t)(max_ms > 0x7fffffffL ?
	    0x7fffffffL : max_ms) + 1);
}

void
dk_sleep_ms(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* One batch sent, tried again while the server is away or failing:
 * 0 with its answer, -1 with e (75 no server after the retries, 69 a
 * refusal), 1 too large (413) */
static int
post(const struct dk_sendopt *so, const struct dk_outbatch *b, char **ans,
    size_t *alen, struct dk_err *e)
{
	char msg[700];
	long status, attempt, cap, wait;

	for (attempt = 0;; attempt++) {
		if (dk_http_post_opt(so->url, b->body, b->len, &so->http,
		    &status, ans, alen, e) == 0) {
			if (status == 200)
				return 0;
			if (status == 413 && b->n > 1) {
				free(*ans);
				return 1;
			}
			/* the first line of what it said, as a reason */
			dk_fail(e, status >= 500 || status == 429 ?
			    DK_EX_TEMPFAIL : DK_EX_UNAVAILABLE, "%s: HTTP "
			    "status %ld%s%.*s", so->url, status, **ans ? ": " :
			    "", (int)strcspn(*ans, "\r\n") > 200 ? 200 :
			    (int)strcspn(*ans, "\r\n"), *ans);
			free(*ans);
		}
		if (e->status != DK_EX_TEMPFAIL || attempt >= so->retries)
			return -1;
		cap = so->base_ms;
		for (wait = 0; wait < attempt && cap < so->cap_ms; wait++)
			cap *= 2;
		if (cap > so->cap_ms)
			cap = so->cap_ms;
		wait = dk_jitter_ms(cap);
		if (so->warn != NULL) {
			snprintf(msg, sizeof(msg), "%s; trying again in %ld.%03ld"
			    " s (%ld of %ld)", e->msg, wait / 1000, wait % 1000,
			    attempt + 1, so->retries);
			so->warn(so->cb.ctx, msg);
		}
		dk_sleep_ms(wait);
	}
}

/*
 * Sends every pending line, oldest first, so->batch at most a request
 * (halved while the intake finds a request too large), and takes each
 * answer into the outbox (dk_outbox_answer).  0 when all were answered
 * (received or rejected: r says); -1 with e: 75 the intake could not be
 * reached or failed, or its answer was cut short; 69 it refused the
 * request; 1 an answer did not check.  What was not answered stays.
 */
int
dk_outbox_send(struct dk_outbox *o, const struct dk_sendopt *so,
    struct dk_outres *r, struct dk_err *e)
{
	struct dk_outbatch b;
	struct dk_outres one;
	size_t max = so->batch, alen;
	char *ans;
	int rc;

	memset(r, 0, sizeof(*r));
	for (;;) {
		if (dk_outbox_pending(o, max, 256 * 1024, &b, e) < 0)
			return -1;
		if (b.n == 0) {
			dk_outbatch_free(&b);
			return 0;
		}
		if ((rc = post(so, &b, &ans, &alen, e)) != 0) {
			if (rc == 1)
				max = b.n / 2;
			dk_outbatch_free(&b);
			if (rc < 0)
				return -1;
			continue;
		}
		rc = dk_outbox_answer(o, &b, ans, alen, so->pk, &so->cb, &one,
		    e);
		free(ans);
		dk_outbatch_free(&b);
		if (rc < 0)
			return -1;
		r->received += one.received;
		r->rejected += one.rejected;
		r->bad += one.bad;
		r->unanswered += one.unanswered;
		r->extra |= one.extra;
		if (one.bad > 0)
			return dk_fail(e, DK_EX_NO, "%s: an answer did not "
			    "check; its line and those after it stay in the "
			    "outbox", so->url);
		if (one.unanswered > 0)
			return dk_fail(e, DK_EX_TEMPFAIL, "%s: the answer was "
			    "cut short after %ld of %ld lines; the rest stay in "
			    "the outbox", so->url, one.received + one.rejected,
			    one.received + one.rejected + one.unanswered);
	}
}
