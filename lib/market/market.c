#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "market.h"


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
static int
sort_by_id(struct dk_order *o, size_t n)
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

	if (sort_by_id(o, n) < 0)
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
		limits(o, n, bad, t, cap, st, rej, ctx);
	slot_limit(o, n, bad, rej, ctx);
	for (i = k = 0; i < n; i++)
		if (!bad[i])
			o[k++] = o[i];
	free(bad);
	free(t);
	return k;
}

/*
 * Clearing as a flow.  Each zone's sells form a supply curve and its buys
 * a demand curve, in levels: the orders at one limit price.  Energy goes
 * from a source S through a sell level into its zone, along links to
 * another zone (each link a capacity and a charge per kWh), and through a
 * buy level to a sink T.  A unit costs the sell price, the link charges
 * and wheeling.inside, and earns the buy price.  Successive shortest
 * paths (Bellman-Ford over the zones: a few nodes, whatever the number of
 * orders) push energy along the cheapest S-T path while it gains or breaks
 * even; the residual arcs let a later path take back a sale, a purchase or
 * a link flow.  The result maximises welfare net of wheeling within the
 * link limits, and among such flows the traded energy.  Integer
 * arithmetic only: prices in micro-units per kWh, energy in Wh.
 *
 * Zone prices are the duals of that flow: with O the outside (S and T as
 * one node), phi1 = shortest distances from O and phi2 = minus shortest
 * distances to O are the two ends of every zone's range of market-clearing
 * prices; the zone's price is their midpoint, rounded down.  One zone
 * without charges gives back the single-price rule: the midpoint of
 * [max(s, b'), min(b, s')].
 */

#define INF	INT64_MAX

enum { A_SELL, A_UNSELL, A_BUY, A_UNBUY, A_FWD, A_BACK };

struct level {
	int64_t key;		/* the price the flow sees */
	int64_t wh, used;
	size_t first, n;	/* orders, in the side's sorted array */
};

struct side {
	struct dk_order **v;
	size_t n;
	struct level *lv;
	size_t nl, cur;		/* cur: the first level with Wh left */
};

struct zone {
	const char *name;
	struct side s, b;
};

struct edge {
	size_t u, v;		/* zone indexes */
	int64_t cap, w, f;	/* f > 0: u to v */
	int link;		/* index in the rules, or -1 */
};

struct arc {
	size_t from, to;
	int64_t cost, cap;
	int kind;
	size_t idx;		/* zone or edge */
};

struct net {
	struct zone *z;
	size_t nz;
	struct edge *e;
	size_t ne;
	int64_t inside;
	struct arc *a;
	size_t na;
};

static int
sellcmp(const void *a, const void *b)
{
	const struct dk_order *x = *(struct dk_order *const *)a;
	const struct dk_order *y = *(struct dk_order *const *)b;

	if (x->price != y->price)
		return x->price < y->price ? -1 : 1;
	return strcmp(x->id, y->id);
}

static int
buycmp(const void *a, const void *b)
{
	const struct dk_order *x = *(struct dk_order *const *)a;
	const struct dk_order *y = *(struct dk_order *const *)b;

	if (x->price != y->price)
		return x->price > y->price ? -1 : 1;
	return strcmp(x->id, y->id);
}

static int
strpcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static size_t
zone_index(const struct net *n, const char *name)
{
	size_t lo = 0, hi = n->nz, mid;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((c = strcmp(n->z[mid].name, name)) == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return n->nz;
}

/* Levels of one side, sorted best first.  A level's key is its price, or
 * for mid-market one level of every eligible order. */
static int
levels(struct side *sd, int sell, const struct dk_rules *r)
{
	size_t i;
	int mmr = strcmp(r->mechanism, "mid-market") == 0;

	if (sd->n > 1)
		qsort(sd->v, sd->n, sizeof(*sd->v), sell ? sellcmp : buycmp);
	if ((sd->lv = calloc(sd->n + 1, sizeof(*sd->lv))) == NULL)
		return -1;
	for (i = 0; i < sd->n; i++) {
		struct dk_order *o = sd->v[i];
		int64_t key = o->price;

		if (mmr) {
			if (sell ? o->price > r->mmr :
			    o->price < r->mmr + r->wheel_inside)
				break;	/* the rest are not eligible */
			key = sell ? 0 : r->mmr + r->wheel_inside;
		}
		if (sd->nl == 0 || sd->lv[sd->nl - 1].key != key) {
			sd->lv[sd->nl].key = key;
			sd->lv[sd->nl].first = i;
			sd->nl++;
		}
		sd->lv[sd->nl - 1].wh += o->wh;
		sd->lv[sd->nl - 1].n++;
	}
	return 0;
}

static size_t
last_used(const struct side *sd)
{
	if (sd->cur < sd->nl && sd->lv[sd->cur].used > 0)
		return sd->cur;
	return sd->cur - 1;	/* the caller knows cur > 0 */
}

static int
any_used(const struct side *sd)
{
	return sd->cur > 0 || (sd->nl > 0 && sd->lv[0].used > 0);
}

static void
addarc(struct net *n, size_t from, size_t to, int64_t cost, int64_t cap,
    int kind, size_t idx)
{
	struct arc *a = &n->a[n->na++];

	a->from = from;
	a->to = to;
	a->cost = cost;
	a->cap = cap;
	a->kind = kind;
	a->idx = idx;
}

/* The residual arcs.  Nodes: 0 is S (or O), 1 is T, 2 + z the zones; with
 * merged set, T is O too. */
static void
residual(struct net *n, int merged)
{
	size_t z, i, t = merged ? 0 : 1;
	struct side *s, *b;

	n->na = 0;
	for (z = 0; z < n->nz; z++) {
		s = &n->z[z].s;
		b = &n->z[z].b;
		if (s->cur < s->nl)
			addarc(n, 0, 2 + z, s->lv[s->cur].key,
			    s->lv[s->cur].wh - s->lv[s->cur].used, A_SELL, z);
		if (any_used(s)) {
			i = last_used(s);
			addarc(n, 2 + z, 0, -s->lv[i].key, s->lv[i].used,
			    A_UNSELL, z);
		}
		if (b->cur < b->nl)
			addarc(n, 2 + z, t, n->inside - b->lv[b->cur].key,
			    b->lv[b->cur].wh - b->lv[b->cur].used, A_BUY, z);
		if (any_used(b)) {
			i = last_used(b);
			addarc(n, t, 2 + z, b->lv[i].key - n->inside,
			    b->lv[i].used, A_UNBUY, z);
		}
	}
	for (i = 0; i < n->ne; i++) {
		struct edge *e = &n->e[i];
		if (e->f < 0)
			addarc(n, 2 + e->u, 2 + e->v, -e->w, -e->f, A_FWD, i);
		else if (e->f < e->cap)
			addarc(n, 2 + e->u, 2 + e->v, e->w, e->cap - e->f,
			    A_FWD, i);
		if (e->f > 0)
			addarc(n, 2 + e->v, 2 + e->u, -e->w, e->f, A_BACK, i);
		else if (-e->f < e->cap)
			addarc(n, 2 + e->v, 2 + e->u, e->w, e->cap + e->f,
			    A_BACK, i);
	}
}

/* Bellman-Ford from src (rev: distances to src, over reversed arcs). */
static void
shortest(const struct net *n, size_t src, int rev, int64_t *d, long *pred)
{
	size_t nv = n->nz + 2, i, k;
	int changed = 1;

	for (i = 0; i < nv; i++) {
		d[i] = INF;
		pred[i] = -1;
	}
	d[src] = 0;
	for (k = 0; k < nv && changed; k++) {
		changed = 0;
		for (i = 0; i < n->na; i++) {
			const struct arc *a = &n->a[i];
			size_t u = rev ? a->to : a->from;
			size_t v = rev ? a->from : a->to;
			if (d[u] == INF || d[u] + a->cost >= d[v])
				continue;
			d[v] = d[u] + a->cost;
			pred[v] = (long)i;
			changed = 1;
		}
	}
}

static void
take(struct side *sd, int64_t x)
{
	sd->lv[sd->cur].used += x;
	if (sd->lv[sd->cur].used == sd->lv[sd->cur].wh)
		sd->cur++;
}

static void
give_back(struct side *sd, int64_t x)
{
	size_t i = last_used(sd);

	sd->lv[i].used -= x;
	sd->cur = i;
	if (sd->lv[i].used == sd->lv[i].wh)
		sd->cur++;
}

/* Pushes energy along cheapest paths while a path gains or breaks even. */
static int
flow(struct net *n)
{
	size_t nv = n->nz + 2, v;
	int64_t *d = calloc(nv, sizeof(*d)), amt;
	long *pred = calloc(nv, sizeof(*pred));
	struct arc *a;

	if (d == NULL || pred == NULL) {
		free(d);
		free(pred);
		return -1;
	}
	for (;;) {
		residual(n, 0);
		shortest(n, 0, 0, d, pred);
		if (d[1] == INF || d[1] > 0)
			break;
		amt = INF;
		for (v = 1; v != 0; v = n->a[pred[v]].from)
			if (n->a[pred[v]].cap < amt)
				amt = n->a[pred[v]].cap;
		for (v = 1; v != 0; v = a->from) {
			a = &n->a[pred[v]];
			switch (a->kind) {
			case A_SELL:
				take(&n->z[a->idx].s, amt);
				break;
			case A_UNSELL:
				give_back(&n->z[a->idx].s, amt);
				break;
			case A_BUY:
				take(&n->z[a->idx].b, amt);
				break;
			case A_UNBUY:
				give_back(&n->z[a->idx].b, amt);
				break;
			case A_FWD:
				n->e[a->idx].f += amt;
				break;
			case A_BACK:
				n->e[a->idx].f -= amt;
				break;
			}
		}
	}
	free(d);
	free(pred);
	return 0;
}

/* Each zone's price: the midpoint of the ends of its clearing range. */
static int
zone_prices(struct net *n, struct dk_clearing *c)
{
	size_t nv = n->nz + 2, z;
	int64_t *d1 = calloc(nv, sizeof(int64_t)), *d2 = calloc(nv,
	    sizeof(int64_t));
	long *pred = calloc(nv, sizeof(long));

	if (d1 == NULL || d2 == NULL || pred == NULL) {
		free(d1);
		free(d2);
		free(pred);
		return -1;
	}
	residual(n, 1);
	shortest(n, 0, 0, d1, pred);
	shortest(n, 0, 1, d2, pred);
	for (z = 0; z < n->nz; z++) {
		int64_t hi = d1[2 + z], lo = d2[2 + z] == INF ? INF :
		    -d2[2 + z];
		struct dk_zoneres *zr = &c->z[z];

		if (zr->sold_wh == 0 && zr->bought_wh == 0)
			continue;
		if (hi != INF && lo != INF) {
			zr->price = lo + (hi - lo) / 2;
			zr->have_price = 1;
		} else if (hi != INF || lo != INF) {
			zr->price = hi != INF ? hi : lo;
			zr->have_price = 1;
		}
		if (zr->have_price && zr->price < 0)
			zr->price = 0;
	}
	free(d1);
	free(d2);
	free(pred);
	return 0;
}

struct share {
	struct dk_order *o;
	unsigned __int128 rem;
};

static int
sharecmp(const void *a, const void *b)
{
	const struct share *x = a, *y = b;

	if (x->rem != y->rem)
		return x->rem > y->rem ? -1 : 1;
	return strcmp(x->o->id, y->o->id);
}

/* Shares q Wh among m orders pro rata to their Wh, by largest remainder,
 * remainders tied broken by id. */
static int
prorata(struct dk_order **v, size_t m, int64_t q)
{
	struct share *s;
	int64_t tot = 0, given = 0;
	size_t i;

	for (i = 0; i < m; i++)
		tot += v[i]->wh;
	if (q == tot) {
		for (i = 0; i < m; i++)
			v[i]->fill = v[i]->wh;
		return 0;
	}
	if (m == 0 || q == 0)
		return 0;
	if ((s = calloc(m, sizeof(*s))) == NULL)
		return -1;
	for (i = 0; i < m; i++) {
		unsigned __int128 num = (unsigned __int128)q *
		    (uint64_t)v[i]->wh;
		s[i].o = v[i];
		s[i].o->fill = (int64_t)(num / (uint64_t)tot);
		s[i].rem = num % (uint64_t)tot;
		given += s[i].o->fill;
	}
	qsort(s, m, sizeof(*s), sharecmp);
	for (i = 0; given < q; i++, given++)
		s[i].o->fill++;
	free(s);
	return 0;
}

static int
fill_levels(struct side *sd)
{
	size_t i;

	for (i = 0; i < sd->nl && sd->lv[i].used > 0; i++)
		if (prorata(sd->v + sd->lv[i].first, sd->lv[i].n,
		    sd->lv[i].used) < 0)
			return -1;
	return 0;
}

/* McAfee's trade reduction on one zone's efficient result.  p0, the
 * midpoint of the first sell and buy left out, clears everything when it
 * lies within the last traded limits; otherwise the marginal levels are
 * left out, the rest trade, sellers at the marginal sell limit and buyers
 * at the marginal buy limit, the long side pro rata. */
static int
mcafee(struct zone *zn, struct dk_clearing *c)
{
	struct side *s = &zn->s, *b = &zn->b;
	size_t ms = last_used(s), mb = last_used(b), i;
	int64_t sm = s->lv[ms].key, bm = b->lv[mb].key, p0, sw = 0, bw = 0;
	int have_next = s->cur < s->nl && b->cur < b->nl;

	if (have_next) {
		p0 = (s->lv[s->cur].key + b->lv[b->cur].key) / 2;
		if (sm <= p0 && p0 <= bm) {
			c->have_price = 1;
			c->price = p0;
			return fill_levels(s) < 0 || fill_levels(b) < 0 ? -1 :
			    0;
		}
	}
	c->reduced = 1;
	c->have_price = 1;
	c->price = sm;		/* sellers get this; buyers pay bm */
	for (i = 0; i < s->lv[ms].first; i++)
		sw += s->v[i]->wh;
	for (i = 0; i < b->lv[mb].first; i++)
		bw += b->v[i]->wh;
	c->wh = sw < bw ? sw : bw;
	if (prorata(s->v, s->lv[ms].first, c->wh) < 0 ||
	    prorata(b->v, b->lv[mb].first, c->wh) < 0)
		return -1;
	return 0;
}

struct queue {
	struct dk_order **v;
	size_t n, i;
	int64_t left;
};

static void
q_init(struct queue *q, struct side *sd)
{
	q->v = sd->v;
	q->n = sd->n;
	q->i = 0;
	while (q->i < q->n && q->v[q->i]->fill == 0)
		q->i++;
	q->left = q->i < q->n ? q->v[q->i]->fill : 0;
}

static void
q_take(struct queue *q, int64_t x)
{
	q->left -= x;
	if (q->left > 0)
		return;
	while (++q->i < q->n && q->v[q->i]->fill == 0)
		;
	q->left = q->i < q->n ? q->v[q->i]->fill : 0;
}

struct pricing {
	const struct dk_rules *r;
	const struct dk_clearing *c;
	int64_t mcafee_buy;
	size_t cap;		/* of c->t */
};

static void
price_trade(const struct pricing *pr, struct dk_trade *t,
    const struct dk_order *s, const struct dk_order *b, size_t zs, size_t zb,
    int64_t route)
{
	const char *m = pr->r->mechanism;

	t->wheeling = pr->r->wheel_inside + route;
	if (strcmp(m, "pay-as-bid") == 0) {
		t->buy_price = b->price;
		t->price = b->price - t->wheeling;
	} else if (strcmp(m, "mid-market") == 0) {
		t->price = pr->r->mmr;
		t->buy_price = pr->r->mmr + t->wheeling;
	} else if (strcmp(m, "mcafee") == 0) {
		t->price = pr->c->price;
		t->buy_price = pr->c->reduced ? pr->mcafee_buy : pr->c->price;
	} else if (pr->r->zonal) {
		t->price = pr->c->z[zs].price;
		t->buy_price = pr->c->z[zb].price + pr->r->wheel_inside;
	} else {
		t->price = t->buy_price = pr->c->price;
	}
	(void)s;
}

static int
pair(struct dk_clearing *c, struct dk_order *o, struct queue *qs,
    struct queue *qb, int64_t amt, struct pricing *pr, size_t zs,
    size_t zb, int64_t route)
{
	int64_t x;
	struct dk_trade *t;

	while (amt > 0 && qs->i < qs->n && qb->i < qb->n) {
		if (c->nt == pr->cap) {
			size_t nc = pr->cap * 2 + 16;
			struct dk_trade *nt = realloc(c->t, nc * sizeof(*nt));
			if (nt == NULL)
				return -2;
			c->t = nt;
			pr->cap = nc;
		}
		x = qs->left < qb->left ? qs->left : qb->left;
		if (x > amt)
			x = amt;
		t = &c->t[c->nt++];
		t->sell = qs->v[qs->i] - o;
		t->buy = qb->v[qb->i] - o;
		t->wh = x;
		price_trade(pr, t, qs->v[qs->i], qb->v[qb->i], zs, zb, route);
		q_take(qs, x);
		q_take(qb, x);
		amt -= x;
	}
	return amt == 0 ? 0 : -1;
}

/* Splits the link flows into routes from zones with energy over to zones
 * short of it (cancelling any circulation first), in zone order. */
static int
routes(struct net *n, struct dk_clearing *c, struct dk_order *o,
    struct queue *qs, struct queue *qb, struct pricing *pr)
{
	size_t nz = n->nz, z, w, k, depth;
	int64_t *sur = calloc(nz, sizeof(int64_t)), *def = calloc(nz,
	    sizeof(int64_t)), amt, cost;
	long *path = calloc(nz + 1, sizeof(long));	/* edge per step */
	size_t *node = calloc(nz + 1, sizeof(size_t));
	char *on = calloc(nz, 1);
	int rc = -1, guard;

	if (sur == NULL || def == NULL || path == NULL || node == NULL ||
	    on == NULL)
		goto out;
	for (z = 0; z < nz; z++) {
		int64_t l = c->z[z].sold_wh < c->z[z].bought_wh ?
		    c->z[z].sold_wh : c->z[z].bought_wh;
		if (pair(c, o, &qs[z], &qb[z], l, pr, z, z, 0) < 0)
			goto out;
		sur[z] = c->z[z].sold_wh - l;
		def[z] = c->z[z].bought_wh - l;
	}
	for (guard = 0; guard < 1000000; guard++) {
		for (z = 0; z < nz && sur[z] == 0; z++)
			;
		if (z == nz)
			break;
		/* walk along positive flows until a zone short of energy */
		memset(on, 0, nz);
		node[0] = z;
		on[z] = 1;
		depth = 0;
		while (def[node[depth]] == 0 || depth == 0) {
			size_t u = node[depth];
			long pick = -1;
			if (depth > 0 && def[u] > 0)
				break;
			for (k = 0; k < n->ne && pick < 0; k++) {
				if (n->e[k].u == u && n->e[k].f > 0)
					pick = (long)k;
				else if (n->e[k].v == u && n->e[k].f < 0)
					pick = (long)k;
			}
			if (pick < 0)
				goto out;	/* flow not conserved */
			w = n->e[pick].u == u ? n->e[pick].v : n->e[pick].u;
			path[depth] = pick;
			node[++depth] = w;
			if (on[w])
				break;	/* a circulation */
			on[w] = 1;
		}
		w = node[depth];
		if (on[w] && def[w] == 0) {
			/* cancel the cycle from w's first visit */
			size_t from = 0;
			while (node[from] != w)
				from++;
			amt = INF;
			for (k = from; k < depth; k++) {
				int64_t f = n->e[path[k]].f;
				if ((f < 0 ? -f : f) < amt)
					amt = f < 0 ? -f : f;
			}
			for (k = from; k < depth; k++)
				n->e[path[k]].f += n->e[path[k]].f > 0 ?
				    -amt : amt;
			continue;
		}
		amt = sur[z] < def[w] ? sur[z] : def[w];
		cost = 0;
		for (k = 0; k < depth; k++) {
			int64_t f = n->e[path[k]].f;
			if ((f < 0 ? -f : f) < amt)
				amt = f < 0 ? -f : f;
			cost += n->e[path[k]].w;
		}
		for (k = 0; k < depth; k++)
			n->e[path[k]].f += n->e[path[k]].f > 0 ? -amt : amt;
		sur[z] -= amt;
		def[w] -= amt;
		if (pair(c, o, &qs[z], &qb[w], amt, pr, z, w, cost) < 0)
			goto out;
	}
	rc = 0;
out:
	free(sur);
	free(def);
	free(path);
	free(node);
	free(on);
	return rc;
}

/* The zones: those of the orders and of the links, sorted by name. */
static int
build_net(struct net *n, struct dk_order *o, size_t no,
    const struct dk_rules *r)
{
	const char **names;
	size_t i, j, k = 0, z, w;

	memset(n, 0, sizeof(*n));
	n->inside = r->wheel_inside;
	if ((names = calloc(no + 2 * r->nlinks + 1, sizeof(*names))) == NULL)
		return -1;
	if (!r->zonal)
		names[k++] = "";
	else {
		for (i = 0; i < no; i++)
			names[k++] = o[i].zone;
		for (i = 0; i < r->nlinks; i++) {
			names[k++] = r->link[i].a;
			names[k++] = r->link[i].b;
		}
		qsort(names, k, sizeof(*names), strpcmp);
	}
	n->z = calloc(k + 1, sizeof(*n->z));
	if (n->z == NULL) {
		free(names);
		return -1;
	}
	for (i = 0; i < k; i++)
		if (n->nz == 0 || strcmp(n->z[n->nz - 1].name, names[i]) != 0)
			n->z[n->nz++].name = names[i];
	free(names);
	for (z = 0; z < n->nz; z++) {
		n->z[z].s.v = calloc(no + 1, sizeof(struct dk_order *));
		n->z[z].b.v = calloc(no + 1, sizeof(struct dk_order *));
		if (n->z[z].s.v == NULL || n->z[z].b.v == NULL)
			return -1;
	}
	for (i = 0; i < no; i++) {
		z = r->zonal ? zone_index(n, o[i].zone) : 0;
		struct side *sd = o[i].side == DK_SELL ? &n->z[z].s :
		    &n->z[z].b;
		sd->v[sd->n++] = &o[i];
	}
	if (strcmp(r->mechanism, "mid-market") == 0)
		;	/* trades stay inside each zone */
	else if (r->nlinks > 0) {
		n->e = calloc(r->nlinks, sizeof(*n->e));
		if (n->e == NULL)
			return -1;
		for (i = 0; i < r->nlinks; i++) {
			n->e[i].u = zone_index(n, r->link[i].a);
			n->e[i].v = zone_index(n, r->link[i].b);
			n->e[i].cap = r->link[i].cap_wh;
			n->e[i].w = r->link[i].wheel;
			n->e[i].link = (int)i;
		}
		n->ne = r->nlinks;
	} else if (r->zonal && n->nz > 1) {
		/* no links: every two zones joined, without a limit */
		n->e = calloc(n->nz * (n->nz - 1) / 2, sizeof(*n->e));
		if (n->e == NULL)
			return -1;
		for (z = 0; z < n->nz; z++)
			for (w = z + 1; w < n->nz; w++) {
				j = n->ne++;
				n->e[j].u = z;
				n->e[j].v = w;
				n->e[j].cap = INF / 4;
				n->e[j].w = r->wheel_between;
				n->e[j].link = -1;
			}
	}
	n->a = calloc(4 * n->nz + 2 * n->ne + 1, sizeof(*n->a));
	return n->a == NULL ? -1 : 0;
}

static void
free_net(struct net *n)
{
	size_t z;

	for (z = 0; z < n->nz; z++) {
		free(n->z[z].s.v);
		free(n->z[z].b.v);
		free(n->z[z].s.lv);
		free(n->z[z].b.lv);
	}
	free(n->z);
	free(n->e);
	free(n->a);
}

static int
book_hash(struct dk_order *o, size_t n, char out[65])
{
	crypto_hash_sha256_state st;
	unsigned char h[32];
	char *line;
	size_t i;

	crypto_hash_sha256_init(&st);
	for (i = 0; i < n; i++) {
		if (o[i].line != NULL) {	/* already canonical */
			crypto_hash_sha256_update(&st,
			    (const unsigned char *)o[i].line, o[i].len);
			crypto_hash_sha256_update(&st,
			    (const unsigned char *)"\n", 1);
			continue;
		}
		if ((line = dk_canon(o[i].rec)) == NULL)
			return -1;
		crypto_hash_sha256_update(&st, (unsigned char *)line,
		    strlen(line));
		crypto_hash_sha256_update(&st, (const unsigned char *)"\n", 1);
		free(line);
	}
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(out, 65, h, 32);
	return 0;
}

int
dk_clear(struct dk_order *o, size_t n, int64_t slot, const struct dk_rules *r,
    struct dk_clearing *c, struct dk_err *e)
{
	struct net net;
	struct queue *qs = NULL, *qb = NULL;
	struct pricing pr;
	size_t i, z;
	int mcaf = strcmp(r->mechanism, "mcafee") == 0;

	memset(c, 0, sizeof(*c));
	memset(&net, 0, sizeof(net));
	/* the slot is given: a slot nobody bid in is cleared all the same */
	c->slot = slot;
	for (i = 0; i < n; i++)
		if (o[i].slot != slot)
			return dk_fail(e, DK_EX_SOFTWARE, "clearing: an order "
			    "for another slot in the book");
	if (sort_by_id(o, n) < 0)	/* dk_book_filter sorted them */
		goto oom;
	if (book_hash(o, n, c->book) < 0)
		goto oom;
	/* no wrap: n orders of at most DK_MAX_WH each would need more memory
	 * than a machine has to reach 2^63 Wh; dk_book_filter keeps a slot
	 * that is to be settled within DK_MAX_WH a side */
	for (i = 0; i < n; i++) {
		o[i].fill = 0;
		if (o[i].side == DK_SELL) {
			c->nsell++;
			c->sell_wh += o[i].wh;
		} else {
			c->nbuy++;
			c->buy_wh += o[i].wh;
		}
	}
	if (build_net(&net, o, n, r) < 0)
		goto oom;
	for (z = 0; z < net.nz; z++)
		if (levels(&net.z[z].s, 1, r) < 0 ||
		    levels(&net.z[z].b, 0, r) < 0)
			goto oom;
	if (flow(&net) < 0)
		goto oom;
	if ((c->z = calloc(net.nz, sizeof(*c->z))) == NULL)
		goto oom;
	for (z = 0; z < net.nz; z++) {
		struct dk_zoneres zr;
		memset(&zr, 0, sizeof(zr));
		snprintf(zr.name, sizeof(zr.name), "%s", net.z[z].name);
		for (i = 0; i < net.z[z].s.n; i++)
			zr.sell_wh += net.z[z].s.v[i]->wh;
		for (i = 0; i < net.z[z].b.n; i++)
			zr.buy_wh += net.z[z].b.v[i]->wh;
		for (i = 0; i < net.z[z].s.nl; i++)
			zr.sold_wh += net.z[z].s.lv[i].used;
		for (i = 0; i < net.z[z].b.nl; i++)
			zr.bought_wh += net.z[z].b.lv[i].used;
		c->wh += zr.sold_wh;
		c->z[c->nz++] = zr;
	}
	for (i = 0; i < net.ne && net.e[i].link >= 0; i++)
		c->flow[net.e[i].link] = net.e[i].f;
	if (c->wh == 0)
		goto done;
	c->matched = 1;
	memset(&pr, 0, sizeof(pr));
	pr.r = r;
	pr.c = c;
	if (mcaf) {
		struct zone *zn = &net.z[0];
		int64_t bm = zn->b.lv[last_used(&zn->b)].key;
		if (mcafee(zn, c) < 0)
			goto oom;
		pr.mcafee_buy = bm;
		if (c->wh == 0) {
			c->matched = 0;
			c->have_price = 0;
			goto done;
		}
	} else {
		for (z = 0; z < net.nz; z++)
			if (fill_levels(&net.z[z].s) < 0 ||
			    fill_levels(&net.z[z].b) < 0)
				goto oom;
		if (strcmp(r->mechanism, "mid-market") == 0) {
			c->have_price = 1;
			c->price = r->mmr;
		} else if (strcmp(r->mechanism, "uniform") == 0) {
			if (zone_prices(&net, c) < 0)
				goto oom;
			/* one price when every zone that traded has it */
			for (z = 0; z < c->nz; z++) {
				if (!c->z[z].have_price)
					continue;
				if (!c->have_price) {
					c->have_price = 1;
					c->price = c->z[z].price;
				} else if (c->price != c->z[z].price)
					c->have_price = 2;
			}
			if (c->have_price == 2)
				c->have_price = 0;
		}
	}
	pr.cap = n + net.nz + 1;
	if ((c->t = calloc(pr.cap, sizeof(*c->t))) == NULL ||
	    (qs = calloc(net.nz, sizeof(*qs))) == NULL ||
	    (qb = calloc(net.nz, sizeof(*qb))) == NULL)
		goto oom;
	for (z = 0; z < net.nz; z++) {
		q_init(&qs[z], &net.z[z].s);
		q_init(&qb[z], &net.z[z].b);
	}
	if (mcaf) {
		if (pair(c, o, &qs[0], &qb[0], c->wh, &pr, 0, 0, 0) < 0)
			goto bad;
	} else if (routes(&net, c, o, qs, qb, &pr) < 0)
		goto bad;
done:
	free(qs);
	free(qb);
	free_net(&net);
	return 0;
bad:
	dk_fail(e, DK_EX_SOFTWARE, "clearing: the flow does not pair up");
	goto fail;
oom:
	dk_fail(e, DK_EX_SOFTWARE, "out of memory");
fail:
	free(qs);
	free(qb);
	free_net(&net);
	dk_clearing_free(c);
	return -1;
}

static json_t *
slot_json(int64_t t, const struct dk_rules *r)
{
	char s[40];

	dk_time_format(t, r->tz, s, sizeof(s));
	return json_string(s);
}

/* A single-price clearing without zones writes the fields it always did;
 * other rules add what the buyer pays, the wheeling and the zones. */
json_t *
dk_trade_json(const struct dk_clearing *c, const struct dk_order *o,
    const struct dk_trade *t, const struct dk_rules *r)
{
	json_t *x;

	x = json_pack("{s:s,s:i,s:o,s:s,s:s,s:s,s:s,s:I,s:I}",
	    "type", "trade", "v", 1, "slot", slot_json(c->slot, r),
	    "seller", o[t->sell].participant, "buyer", o[t->buy].participant,
	    "sell_order", o[t->sell].id, "buy_order", o[t->buy].id,
	    "wh", (json_int_t)t->wh, "price", (json_int_t)t->price);
	if (x == NULL || (!r->zonal && strcmp(r->mechanism, "uniform") == 0))
		return x;
	json_object_set_new(x, "buy_price", json_integer(t->buy_price));
	json_object_set_new(x, "wheeling", json_integer(t->wheeling));
	if (r->zonal) {
		json_object_set_new(x, "seller_zone",
		    json_string(o[t->sell].zone));
		json_object_set_new(x, "buyer_zone",
		    json_string(o[t->buy].zone));
	}
	return x;
}

/* The same record written straight in canonical form, for a big book:
 * every string in it is an id, a zone, a hash or a slot time, which need
 * no escaping; tests/unit/test-market2 checks it against dk_trade_json. */
int
dk_trade_print(FILE *fp, const char *slot, const struct dk_order *o,
    const struct dk_trade *t, const struct dk_rules *r)
{
	const struct dk_order *s = &o[t->sell], *b = &o[t->buy];

	if (!r->zonal && strcmp(r->mechanism, "uniform") == 0)
		return fprintf(fp, "{\"buy_order\":\"%s\",\"buyer\":\"%s\","
		    "\"price\":%lld,\"sell_order\":\"%s\",\"seller\":\"%s\","
		    "\"slot\":\"%s\",\"type\":\"trade\",\"v\":1,\"wh\":%lld}\n",
		    b->id, b->participant, (long long)t->price, s->id,
		    s->participant, slot, (long long)t->wh) < 0 ? -1 : 0;
	if (!r->zonal)
		return fprintf(fp, "{\"buy_order\":\"%s\",\"buy_price\":%lld,"
		    "\"buyer\":\"%s\",\"price\":%lld,\"sell_order\":\"%s\","
		    "\"seller\":\"%s\",\"slot\":\"%s\",\"type\":\"trade\","
		    "\"v\":1,\"wh\":%lld,\"wheeling\":%lld}\n", b->id,
		    (long long)t->buy_price, b->participant,
		    (long long)t->price, s->id, s->participant, slot,
		    (long long)t->wh, (long long)t->wheeling) < 0 ? -1 : 0;
	return fprintf(fp, "{\"buy_order\":\"%s\",\"buy_price\":%lld,"
	    "\"buyer\":\"%s\",\"buyer_zone\":\"%s\",\"price\":%lld,"
	    "\"sell_order\":\"%s\",\"seller\":\"%s\",\"seller_zone\":\"%s\","
	    "\"slot\":\"%s\",\"type\":\"trade\",\"v\":1,\"wh\":%lld,"
	    "\"wheeling\":%lld}\n", b->id, (long long)t->buy_price,
	    b->participant, b->zone, (long long)t->price, s->id,
	    s->participant, s->zone, slot, (long long)t->wh,
	    (long long)t->wheeling) < 0 ? -1 : 0;
}

json_t *
dk_clearing_json(const struct dk_clearing *c, const struct dk_rules *r)
{
	json_t *x, *a;
	size_t i;

	x = json_pack("{s:s,s:i,s:o,s:s,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:s}",
	    "type", "clearing", "v", 1, "slot", slot_json(c->slot, r),
	    "mechanism", r->mechanism,
	    "price", c->matched && c->have_price ? json_integer(c->price) :
	    json_null(),
	    "wh", (json_int_t)c->wh, "sell_orders", (json_int_t)c->nsell,
	    "buy_orders", (json_int_t)c->nbuy, "sell_wh", (json_int_t)c->sell_wh,
	    "buy_wh", (json_int_t)c->buy_wh, "trades", (json_int_t)c->nt,
	    "book", c->book);
	if (x == NULL)
		return NULL;
	if (strcmp(r->mechanism, "mcafee") == 0)
		json_object_set_new(x, "reduced", json_boolean(c->reduced));
	if (!r->zonal)
		return x;
	a = json_array();
	for (i = 0; i < c->nz; i++) {
		const struct dk_zoneres *z = &c->z[i];
		json_array_append_new(a, json_pack("{s:s,s:o,s:I,s:I,s:I,s:I}",
		    "zone", z->name, "price", z->have_price &&
		    strcmp(r->mechanism, "uniform") == 0 ?
		    json_integer(z->price) : json_null(),
		    "sell_wh", (json_int_t)z->sell_wh,
		    "buy_wh", (json_int_t)z->buy_wh,
		    "sold_wh", (json_int_t)z->sold_wh,
		    "bought_wh", (json_int_t)z->bought_wh));
	}
	json_object_set_new(x, "zones", a);
	if (r->nlinks == 0)
		return x;
	a = json_array();
	for (i = 0; i < r->nlinks; i++)
		json_array_append_new(a, json_pack("{s:s,s:I}", "link",
		    r->link[i].name, "wh", (json_int_t)c->flow[i]));
	json_object_set_new(x, "links", a);
	return x;
}

/* A trade becomes a contract under the rules in force: firm delivery, the
 * deviations of each party settled with the utility. */
json_t *
dk_contract_json(json_t *trade, const struct dk_rules *r)
{
	json_t *c = json_deep_copy(trade);

	if (c == NULL)
		return NULL;
	json_object_set_new(c, "type", json_string("contract"));
	json_object_set_new(c, "currency", json_string(r->currency));
	json_object_set_new(c, "terms", json_string(r->terms));
	json_object_set_new(c, "delivery", json_string("firm"));
	json_object_set_new(c, "fee", json_integer(r->fee));
	json_object_set_new(c, "retail", json_integer(r->retail));
	json_object_set_new(c, "buyback", json_integer(r->buyback));
	return c;
}

void
dk_clearing_free(struct dk_clearing *c)
{
	free(c->t);
	c->t = NULL;
	c->nt = 0;
	free(c->z);
	c->z = NULL;
	c->nz = 0;
}
