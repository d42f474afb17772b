/*
 * book.c: a slot's book made fit to clear: sorted by id, without
 * duplicates, participants on both sides, or orders past a participant's
 * limits or the slot's, each refusal given with its reason.
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

/* For a replay: keeps the first reason a book was refused. */
void
dk_reject_first(void *ctx, const struct dk_order *o, const char *why)
{
	char *buf = ctx;

	if (buf[0] == '\0')
		snprintf(buf, DK_REJECT_MAX, "an order of %s: %s",
		    o->participant, why);
}

/* A book's participants, in a small open-addressing table. */
struct pent {
	const char *id;
	const struct dk_participant *p;
	int sides;
	int64_t wh, owed;
	int have_owed;
};

static struct pent *
pget(struct pent *t, size_t cap, const char *id)
{
	size_t h = dk_strhash(id) & (cap - 1);

	while (t[h].id != NULL && strcmp(t[h].id, id) != 0)
		h = (h + 1) & (cap - 1);
	if (t[h].id == NULL)
		t[h].id = id;
	return &t[h];
}

struct idkey {
	uint64_t k;		/* the id's first 16 hex digits */
	size_t i;
	const char *id;
};

static int
idkeycmp(const void *a, const void *b)
{
	const struct idkey *x = a, *y = b;

	int c;

	if (x->k != y->k)
		return x->k < y->k ? -1 : 1;
	if ((c = strcmp(x->id, y->id)) != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;	/* duplicates: as given */
}

static uint64_t
hexkey(const char *s)
{
	uint64_t k = 0;
	int i, c;

	for (i = 0; i < 16 && s[i] != '\0'; i++) {
		c = s[i];
		k = k << 4 | (uint64_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' +
		    10);
	}
	return k << (4 * (16 - i));
}

/* Sorts the orders by id: their keys first, then the orders, moved once. */
int
dk_sort_by_id(struct dk_order *o, size_t n)
{
	struct idkey *ks;
	struct dk_order tmp;
	size_t i, j, from;

	for (i = 1; i < n && strcmp(o[i - 1].id, o[i].id) <= 0; i++)
		;
	if (i >= n)
		return 0;
	if ((ks = calloc(n, sizeof(*ks))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		ks[i].k = hexkey(o[i].id);
		ks[i].i = i;
		ks[i].id = o[i].id;
	}
	qsort(ks, n, sizeof(*ks), idkeycmp);
	/* position i takes order ks[i].i: follow each cycle once, with one
	 * order aside (ks[i].i = i marks a position done) */
	for (i = 0; i < n; i++) {
		if (ks[i].i == i)
			continue;
		tmp = o[i];
		for (j = i; (from = ks[j].i) != i; j = from) {
			o[j] = o[from];
			ks[j].i = j;
		}
		o[j] = tmp;
		ks[j].i = j;
	}
	free(ks);
	return 0;
}

/* A participant's limits from the registry, taken in id order: its orders
 * in the slot may add up to max_wh, and what it may owe in the local day
 * (contracts already made, and each buy order at its limit price plus the
 * fee) to max_day. */
static void
limits(struct dk_order *o, size_t n, char *bad, struct pent *t, size_t cap,
    const struct dk_state *st, dk_reject_fn rej, void *ctx)
{
	const struct dk_participant *p;
	struct pent *pe;
	char why[200];
	size_t i;
	int64_t x, fee, owed;

	for (i = 0; i < n; i++) {
		if (bad[i])
			continue;
		pe = pget(t, cap, o[i].participant);
		if (pe->p == NULL)
			pe->p = dk_registry_find(&st->reg, o[i].participant);
		if ((p = pe->p) == NULL)
			continue;
		if (p->max_wh < 0 && (p->max_day < 0 || o[i].side == DK_SELL))
			continue;
		if (p->max_day >= 0 && !pe->have_owed) {
			pe->owed = dk_state_day_owed(st, p->id, o[i].slot);
			pe->have_owed = 1;
		}
		/* orders and rules are within their limits, so these hold;
		 * past 2^53 an order is over any max_day */
		x = fee = 0;
		owed = pe->owed;
		if (o[i].side == DK_BUY &&
		    (dk_value(o[i].wh, o[i].price, &x) < 0 ||
		    dk_value(o[i].wh, st->rules.fee, &fee) < 0 ||
		    dk_add(&x, fee) < 0 || dk_add(&owed, x) < 0))
			owed = x = DK_MAX_SAFE_INT;
		if (p->max_wh >= 0 && pe->wh + o[i].wh > p->max_wh) {
			snprintf(why, sizeof(why), "over the participant's "
			    "limit of %lld Wh a slot (%lld Wh in its orders "
			    "before this one)", (long long)p->max_wh,
			    (long long)pe->wh);
			bad[i] = 3;
		} else if (p->max_day >= 0 && o[i].side == DK_BUY &&
		    owed > p->max_day) {
			snprintf(why, sizeof(why), "over the participant's "
			    "limit of %lld a day: it may owe %lld already "
			    "and this order up to %lld", (long long)p->max_day,
			    (long long)pe->owed, (long long)x);
			bad[i] = 3;
		}
		if (bad[i]) {
			if (rej != NULL)
				rej(ctx, &o[i], why);
			continue;
		}
		pe->wh += o[i].wh;
		pe->owed = owed;
	}
}

/* A slot holds at most DK_MAX_WH each side: in id order, an order that
 * would take its side past it is rejected, so that every settlement of the
 * slot stays below 2^53 (denki-formats(5), Units). */
static void
slot_limit(struct dk_order *o, size_t n, char *bad, dk_reject_fn rej,
    void *ctx)
{
	int64_t tot[2] = { 0, 0 };
	char why[200];
	size_t i;
	int sd;

	for (i = 0; i < n; i++) {
		if (bad[i])
			continue;
		sd = o[i].side == DK_BUY;
		if (o[i].wh > DK_MAX_WH - tot[sd]) {
			snprintf(why, sizeof(why), "over the limit of %lld Wh "
			    "a slot: the %s orders before this one hold %lld "
			    "Wh", DK_MAX_WH, sd ? "buy" : "sell",
			    (long long)tot[sd]);
			bad[i] = 4;
			if (rej != NULL)
				rej(ctx, &o[i], why);
			continue;
		}
		tot[sd] += o[i].wh;
	}
}

/* Sorts by id and drops, with a reason each, duplicates, participants who
 * both sell and buy in the slot, and orders past a participant's limits
 * (when st is given).  The orders must share one slot. */
size_t
dk_book_filter(struct dk_order *o, size_t n, const struct dk_state *st,
    dk_reject_fn rej, void *ctx)
{
	struct pent *t;
	size_t i, k, cap = 16;
	char *bad;

	if (dk_sort_by_id(o, n) < 0)
		return (size_t)-1;
	while (cap < 2 * n + 2)
		cap *= 2;
	bad = calloc(n ? n : 1, 1);
	t = calloc(cap, sizeof(*t));
	if (bad == NULL || t == NULL) {
		free(bad);
		free(t);
		return (size_t)-1;
	}
	for (i = 1; i < n; i++)
		if (strcmp(o[i].id, o[i - 1].id) == 0) {
			if (rej != NULL)
				rej(ctx, &o[i], "duplicate of an order "
				    "already in the book");
			bad[i] = 1;
		}
	for (i = 0; i < n; i++)
		if (!bad[i])
			pget(t, cap, o[i].participant)->sides |= 1 << o[i].side;
	/* reported in id order, whatever order the input came in */
	for (i = 0; i < n; i++)
		if (!bad[i] && pget(t, cap, o[i].participant)->sides == 3) {
			if (rej != NULL)
				rej(ctx, &o[i], "the participant both sells "
				    "and buys in this slot; all its orders are "
				    "rejected");
			bad[i] = 2;
		}
	if (st != NULL)
		dk_book_held(o, n, bad, st, rej, ctx);
	if (st != NULL)
		limits(o, n, bad, t, cap, st, rej, ctx);
	slot_limit(o, n, bad, rej, ctx);
	for (i = k = 0; i < n; i++)
		if (!bad[i])
			o[k++] = o[i];
	free(bad);
	free(t);
	return k;
}
