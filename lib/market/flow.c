/*
 * flow.c: one slot's market as a flow over its zones: the levels of each
 * zone's curves, the cheapest paths that trade while they gain, and the
 * zone prices as the duals of that flow.  auction.c turns it into trades.
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

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

enum { A_SELL, A_UNSELL, A_BUY, A_UNBUY, A_FWD, A_BACK };

struct arc {
	size_t from, to;
	int64_t cost, cap;
	int kind;
	size_t idx;		/* zone or edge */
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
int
dk_net_levels(struct side *sd, int sell, const struct dk_rules *r)
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

size_t
dk_last_used(const struct side *sd)
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
			i = dk_last_used(s);
			addarc(n, 2 + z, 0, -s->lv[i].key, s->lv[i].used,
			    A_UNSELL, z);
		}
		if (b->cur < b->nl)
			addarc(n, 2 + z, t, n->inside - b->lv[b->cur].key,
			    b->lv[b->cur].wh - b->lv[b->cur].used, A_BUY, z);
		if (any_used(b)) {
			i = dk_last_used(b);
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
	size_t i = dk_last_used(sd);

	sd->lv[i].used -= x;
	sd->cur = i;
	if (sd->lv[i].used == sd->lv[i].wh)
		sd->cur++;
}

/* Pushes energy along cheapest paths while a path gains or breaks even. */
int
dk_net_flow(struct net *n)
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
int
dk_net_prices(struct net *n, struct dk_clearing *c)
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

/* The zones: those of the orders and of the links, sorted by name. */
int
dk_net_build(struct net *n, struct dk_order *o, size_t no,
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

void
dk_net_free(struct net *n)
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
