/*
 * auction.c: dk_clear, one slot cleared under the mechanism of the rules
 * (uniform price, pay-as-bid, mid-market, McAfee): the flow of flow.c
 * shared out among the orders and paired into priced trades.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "private.h"

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
	size_t ms = dk_last_used(s), mb = dk_last_used(b), i;
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

/* The SHA-256 of the book's lines, each with its newline: the lines
 * gathered, then hashed at once (SHA-NI's path, dk_sha256_2) */
static int
book_hash(struct dk_order *o, size_t n, char out[65])
{
	unsigned char h[32];
	char *buf = NULL, *line;
	size_t len = 0, i;
	FILE *fp;

	/* every line canonical already (a big book's): copied, not
	 * written through a stream a line at a time */
	for (i = 0; i < n && o[i].line != NULL; i++)
		len += o[i].len + 1;
	if (i == n && (buf = malloc(len + 1)) != NULL) {
		for (i = 0, len = 0; i < n; i++) {
			memcpy(buf + len, o[i].line, o[i].len);
			len += o[i].len;
			buf[len++] = '\n';
		}
		goto hash;
	}
	len = 0;
	if ((fp = open_memstream(&buf, &len)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (o[i].line != NULL)	/* already canonical */
			fwrite(o[i].line, 1, o[i].len, fp);
		else if ((line = dk_canon(o[i].rec)) != NULL) {
			fputs(line, fp);
			free(line);
		} else
			break;
		putc('\n', fp);
	}
	if (fclose(fp) != 0 || i < n) {
		free(buf);
		return -1;
	}
hash:
	dk_sha256_2("", 0, buf, len, h);
	free(buf);
	dk_hash_hex(h, out);
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
	if (dk_sort_by_id(o, n) < 0)	/* dk_book_filter sorted them */
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
	if (dk_net_build(&net, o, n, r) < 0)
		goto oom;
	for (z = 0; z < net.nz; z++)
		if (dk_net_levels(&net.z[z].s, 1, r) < 0 ||
		    dk_net_levels(&net.z[z].b, 0, r) < 0)
			goto oom;
	if (dk_net_flow(&net) < 0)
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
		int64_t bm = zn->b.lv[dk_last_used(&zn->b)].key;
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
			if (dk_net_prices(&net, c) < 0)
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
	dk_net_free(&net);
	return 0;
bad:
	dk_fail(e, DK_EX_SOFTWARE, "clearing: the flow does not pair up");
	goto fail;
oom:
	dk_fail(e, DK_EX_SOFTWARE, "out of memory");
fail:
	free(qs);
	free(qb);
	dk_net_free(&net);
	dk_clearing_free(c);
	return -1;
}
