/*
 * intake.c: denki-clear's input made into books: every line kept, the
 * canonical ones read and their signatures checked on every core, the
 * rest parsed in input order, then one book a slot, filtered.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "market.h"

/* What is known of an input line besides its order (kept apart, in v[i]
 * beside o[i], so that the orders make the books in place). */
struct dk_src {
	const char *file;	/* file:lno, for messages */
	long lno;
	char *line;		/* as read; o.line points here on the fast path */
	size_t len;
	int fast;		/* a canonical line, read without JSON */
	int bad;		/* its signature failed */
	size_t seq;		/* its place in the input */
};

/* The lines of a big book, in a few large blocks rather than one
 * allocation each. */
struct dk_arena {
	char *blk;
	size_t used, cap;
	char **all;
	size_t n;
};

static char *
arena_copy(struct dk_arena *a, const char *s, size_t n)
{
	char *p, **na;

	if (a->blk == NULL || a->used + n + 1 > a->cap) {
		a->cap = n + 1 > (1 << 22) ? n + 1 : (1 << 22);
		if ((a->blk = malloc(a->cap)) == NULL)
			return NULL;
		if ((na = realloc(a->all, (a->n + 1) * sizeof(*na))) == NULL)
			return NULL;
		a->all = na;
		a->all[a->n++] = a->blk;
		a->used = 0;
	}
	p = a->blk + a->used;
	memcpy(p, s, n);
	p[n] = '\0';
	a->used += n + 1;
	return p;
}

/* A line of input, copied; file must outlive the intake. */
int
dk_intake_line(struct dk_intake *in, const char *line, size_t len,
    const char *file, long lno, struct dk_err *e)
{
	struct dk_src *sp;
	void *nv, *no;

	if (in->ar == NULL && (in->ar = calloc(1, sizeof(*in->ar))) == NULL)
		goto oom;
	if (in->n == in->cap) {
		in->cap = in->cap ? in->cap * 2 : 256;
		if ((nv = realloc(in->v, in->cap * sizeof(*in->v))) == NULL)
			goto oom;
		in->v = nv;
		if ((no = realloc(in->o, in->cap * sizeof(*in->o))) == NULL)
			goto oom;
		in->o = no;
	}
	memset(&in->o[in->n], 0, sizeof(in->o[in->n]));
	sp = &in->v[in->n++];
	memset(sp, 0, sizeof(*sp));
	sp->file = file;
	sp->lno = lno;
	sp->len = len;
	sp->seq = in->n - 1;
	if ((sp->line = arena_copy(in->ar, line, len)) == NULL)
		goto oom;
	return 0;
oom:
	return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
}

/* Each thread reads every step-th line by the fast path and checks its
 * signature there and then (what that takes on the thread's stack, not
 * kept a line: 96 bytes of 600 an order, a month 140 MB). */
struct pjob {
	struct dk_intake *in;
	size_t from, step;
};

static void *
prepare(void *arg)
{
	struct pjob *j = arg;
	struct dk_intake *in = j->in;
	struct dk_ordersig sg, *sgp = in->nosig ? NULL : &sg;
	struct dk_src *s;
	size_t i;

	for (i = j->from; i < in->n; i += j->step) {
		s = &in->v[i];
		s->fast = dk_order_line(&in->o[i], s->line, s->len, in->r,
		    &in->st->reg, sgp) == 1;
		if (s->fast && sgp != NULL)
			s->bad = dk_order_line_verify(&in->o[i], sgp) != 0;
	}
	return NULL;
}

static int
run_threads(struct dk_intake *in)
{
	long nt = in->threads < 1 ? 1 : in->threads, i;
	pthread_t *t = calloc((size_t)nt, sizeof(*t));
	struct pjob *j = calloc((size_t)nt, sizeof(*j));
	char *ok = calloc((size_t)nt, 1);

	if (t == NULL || j == NULL || ok == NULL) {
		free(t);
		free(j);
		free(ok);
		return -1;
	}
	if ((size_t)nt > in->n)
		nt = (long)in->n;
	for (i = 0; i < nt; i++) {
		j[i].in = in;
		j[i].from = (size_t)i;
		j[i].step = (size_t)nt;
		if (i > 0)
			ok[i] = pthread_create(&t[i], NULL, prepare,
			    &j[i]) == 0;
	}
	prepare(&j[0]);
	for (i = 1; i < nt; i++)
		if (ok[i])
			pthread_join(t[i], NULL);
		else
			prepare(&j[i]);
	free(t);
	free(j);
	free(ok);
	return 0;
}

/* The slot as the order wrote it (a canonical line). */
static void
slot_text(const char *line, char *out, size_t n)
{
	const char *p = strstr(line, "\"slot\":\"");
	size_t k = 0;

	if (p != NULL)
		for (p += 8; *p != '"' && *p != '\0' && k + 1 < n; p++)
			out[k++] = *p;
	out[k] = '\0';
}

static void
reject(struct dk_intake *in, const struct dk_src *sp, const char *why)
{
	char where[300];

	if (sp != NULL)
		snprintf(where, sizeof(where), "%s:%ld", sp->file, sp->lno);
	else
		snprintf(where, sizeof(where), "?");
	in->reject(in->ctx, where, why);
	/* an order a halt holds is not bad input: it is not cleared */
	if (strncmp(why, DK_HELD, strlen(DK_HELD)) == 0)
		in->held++;
	else
		in->bad = 1;
}

/* Line i's order, in input order: off the fast path parsed and checked
 * in full; its signature's verdict; and its slot, one to be cleared. */
static int
order_at(struct dk_intake *in, size_t i, struct dk_err *e)
{
	struct dk_src *sp = &in->v[i];
	struct dk_order *op = &in->o[i];
	char ts[40];

	if (!sp->fast && dk_order_parse(op, sp->line, sp->len, in->r,
	    &in->st->reg, !in->nosig, e) < 0)
		return -1;
	if (sp->bad)
		return dk_fail(e, DK_EX_DATAERR, "sig: bad signature: the "
		    "record was not signed by this key, or was changed after "
		    "signing");
	if ((in->only == NULL || op->slot == in->only_t) &&
	    dk_state_slot(in->st, op->slot) == NULL)
		return 0;
	if (op->rec != NULL)
		snprintf(ts, sizeof(ts), "%s", json_string_value(
		    json_object_get(op->rec, "slot")));
	else
		slot_text(sp->line, ts, sizeof(ts));
	json_decref(op->rec);
	op->rec = NULL;
	if (in->only != NULL && op->slot != in->only_t)
		return dk_fail(e, DK_EX_DATAERR, "slot: %s is not the slot "
		    "being cleared (%s)", ts, in->only);
	return dk_fail(e, DK_EX_DATAERR, "slot: %s was already cleared into "
	    "the ledger", ts);
}

struct slotkey {
	int64_t slot;
	size_t seq, i;
};

static int
byslot(const void *a, const void *b)
{
	const struct slotkey *x = a, *y = b;

	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Groups the orders by slot, keeping the input order within a slot: the
 * keys sorted apart, then each order and its source moved once, in
 * place (following each cycle, as dk_sort_by_id does). */
static int
group(struct dk_intake *in)
{
	struct slotkey *ks;
	struct dk_order to;
	struct dk_src tv;
	size_t i, j, from;

	for (i = 1; i < in->n && in->o[i - 1].slot <= in->o[i].slot; i++)
		;
	if (i >= in->n)
		return 0;
	if ((ks = malloc(in->n * sizeof(*ks))) == NULL)
		return -1;
	for (i = 0; i < in->n; i++) {
		ks[i].slot = in->o[i].slot;
		ks[i].seq = in->v[i].seq;
		ks[i].i = i;
	}
	qsort(ks, in->n, sizeof(*ks), byslot);
	/* position i takes the order at ks[i].i */
	for (i = 0; i < in->n; i++) {
		if (ks[i].i == i)
			continue;
		to = in->o[i];
		tv = in->v[i];
		for (j = i; (from = ks[j].i) != i; j = from) {
			in->o[j] = in->o[from];
			in->v[j] = in->v[from];
			ks[j].i = j;
		}
		in->o[j] = to;
		in->v[j] = tv;
		ks[j].i = j;
	}
	free(ks);
	return 0;
}

/*
 * The orders of every line added, grouped by slot.  Each rejected line
 * goes to in->reject; without in->keep the first ends it: returns 1.
 * Returns 0, or -1 with e.
 */
int
dk_intake_orders(struct dk_intake *in, struct dk_err *e)
{
	size_t i, k;

	if (in->n > 0 && run_threads(in) < 0)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	for (i = k = 0; i < in->n; i++) {
		if (order_at(in, i, e) < 0) {
			reject(in, &in->v[i], e->msg);
			e->status = 0;
			if (!in->keep)
				return 1;
			continue;
		}
		if (in->o[i].rec != NULL)
			in->nrecs++;
		in->o[k] = in->o[i];
		in->v[k++] = in->v[i];
	}
	in->n = k;
	if (group(in) < 0)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	/* the JSON trees of the orders off the fast path, to free at the
	 * end: the books are filtered in place */
	if ((in->recs = calloc(in->nrecs + 1, sizeof(*in->recs))) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	for (i = k = 0; i < in->n; i++) {
		in->o[i].src = i;	/* for book_reject(): where it came from */
		if (in->o[i].rec != NULL)
			in->recs[k++] = in->o[i].rec;
	}
	return 0;
}

static void
book_reject(void *ctx, const struct dk_order *o, const char *why)
{
	struct dk_intake *in = ctx;

	reject(in, o->src < in->n ? &in->v[o->src] : NULL, why);
}

/* Clears a slot ahead and puts its contracts in the state, for the limits
 * of the later slots of the same day. */
static int
later_slots(struct dk_intake *in, struct dk_book *b, struct dk_err *e)
{
	struct dk_replay rp;
	int rc;

	if (dk_replay(&rp, b->o, b->n, b->slot, in->st, in->r, e) != 0)
		return -1;
	rc = dk_replay_apply(&rp, in->st, e);
	dk_replay_free(&rp);
	return rc;
}

/*
 * One book a slot, each filtered (its rejections to in->reject), in
 * in->books.  With daily limits, each slot's trades count against the
 * later slots of its day, as they will once contract-sign has made them
 * contracts.  With in->only, its slot has a book even when nobody bid:
 * it can settle.  Returns 0, or -1 with e.
 */
int
dk_intake_books(struct dk_intake *in, struct dk_err *e)
{
	struct dk_book *b;
	size_t i, j, nb, held;
	int daylim = 0;

	for (i = 0; i < in->st->reg.n; i++)
		if (in->st->reg.p[i].max_day >= 0)
			daylim = 1;
	/* the limits are those of the rules these slots are cleared under,
	 * which contract-sign records before it replays them */
	in->st->rules = *in->r;
	in->st->have_rules = 1;
	if ((in->books = calloc(in->n + 2, sizeof(*in->books))) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	for (i = 0; i < in->n; i = j) {
		for (j = i; j < in->n && in->o[j].slot == in->o[i].slot; j++)
			;
		held = in->held;
		nb = dk_book_filter(in->o + i, j - i, in->st, book_reject,
		    in);
		if (nb == (size_t)-1)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		/* a slot a halt holds whole is cleared empty: it settles */
		if (nb == 0 && in->held == held)
			continue;
		b = &in->books[in->nbooks++];
		b->o = in->o + i;
		b->n = nb;
		b->slot = in->o[i].slot;
		if (daylim && later_slots(in, b, e) < 0)
			return -1;
	}
	if (in->only != NULL && in->nbooks == 0) {
		in->books[0].slot = in->only_t;
		in->nbooks = 1;
	}
	return 0;
}

void
dk_intake_free(struct dk_intake *in)
{
	size_t i;

	for (i = 0; i < in->nrecs && in->recs != NULL; i++)
		json_decref(in->recs[i]);
	free(in->recs);
	if (in->ar != NULL) {
		for (i = 0; i < in->ar->n; i++)
			free(in->ar->all[i]);
		free(in->ar->all);
		free(in->ar);
	}
	free(in->v);
	free(in->o);
	free(in->books);
	memset(in, 0, sizeof(*in));
}
