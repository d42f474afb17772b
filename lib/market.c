#include <stdlib.h>
#include <string.h>

#include "denki.h"

/*
 * One slot's uniform-price double auction (the JEPX single-price rule).
 *
 * Sells are sorted by price ascending, buys by price descending, ties by
 * order id (the SHA-256 of the signed order), so the input order never
 * matters.  Walking both curves, the matched volume Q is the most energy
 * for which a buy's limit is at least a sell's.  With s and b the last
 * matched sell and buy limits, and s' and b' the limits of the first sell
 * and buy left (partly) unmatched, every price in
 *     [max(s, b'), min(b, s')]
 * clears Q; the price is the midpoint of that interval, rounded down.
 * Orders strictly better than the price fill whole; orders at the price on
 * each side share what is left pro rata to their Wh, by largest remainder,
 * remainders tied broken by id.  Trades pair the filled sells (cheapest
 * first) with the filled buys (dearest first).
 */

static int
byid(const void *a, const void *b)
{
	return strcmp(((const struct dk_order *)a)->id,
	    ((const struct dk_order *)b)->id);
}

static int
bypart(const void *a, const void *b)
{
	const struct dk_order *x = *(struct dk_order *const *)a;
	const struct dk_order *y = *(struct dk_order *const *)b;

	return strcmp(x->participant, y->participant);
}

/* Sorts by id and drops, with a reason each, duplicates and participants
 * who both sell and buy in the slot.  The orders must share one slot. */
size_t
dk_book_filter(struct dk_order *o, size_t n, dk_reject_fn rej, void *ctx)
{
	struct dk_order **v;
	size_t i, j, k, g;
	int sides;
	char *bad;

	if (n > 1)
		qsort(o, n, sizeof(*o), byid);
	bad = calloc(n ? n : 1, 1);
	v = calloc(n ? n : 1, sizeof(*v));
	if (bad == NULL || v == NULL) {
		free(bad);
		free(v);
		return 0;
	}
	for (i = 1; i < n; i++)
		if (strcmp(o[i].id, o[i - 1].id) == 0) {
			if (rej != NULL)
				rej(ctx, &o[i], "duplicate of an order "
				    "already in the book");
			bad[i] = 1;
		}
	for (i = k = 0; i < n; i++)
		if (!bad[i])
			v[k++] = &o[i];
	qsort(v, k, sizeof(*v), bypart);
	for (i = 0; i < k; i = j) {
		sides = 0;
		for (j = i; j < k && strcmp(v[j]->participant,
		    v[i]->participant) == 0; j++)
			sides |= 1 << v[j]->side;
		if (sides != 3)
			continue;
		/* report in id order, whatever order the input came in */
		for (g = 0; g < n; g++)
			if (!bad[g] && strcmp(o[g].participant,
			    v[i]->participant) == 0) {
				if (rej != NULL)
					rej(ctx, &o[g], "the participant both "
					    "sells and buys in this slot; "
					    "all its orders are rejected");
				bad[g] = 2;
			}
	}
	for (i = k = 0; i < n; i++)
		if (!bad[i])
			o[k++] = o[i];
	free(bad);
	free(v);
	return k;
}

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

/* Fills the orders of one side (sorted best first) with q Wh at price p. */
static int
allocate(struct dk_order **v, size_t n, int64_t q, int64_t p, int sell,
    struct dk_err *e)
{
	size_t i, m = 0, first = n;
	int64_t full = 0, tie = 0, rest, given = 0;
	struct share *s;

	for (i = 0; i < n; i++) {
		v[i]->fill = 0;
		if (sell ? v[i]->price < p : v[i]->price > p) {
			v[i]->fill = v[i]->wh;
			full += v[i]->wh;
		} else if (v[i]->price == p) {
			if (first == n)
				first = i;
			tie += v[i]->wh;
			m++;
		}
	}
	rest = q - full;
	if (rest < 0 || rest > tie)
		return dk_fail(e, DK_EX_SOFTWARE,
		    "clearing: inconsistent allocation at the margin");
	if (m == 0)
		return 0;
	if ((s = calloc(m, sizeof(*s))) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	for (i = 0; i < m; i++) {
		unsigned __int128 num = (unsigned __int128)rest *
		    (uint64_t)v[first + i]->wh;
		s[i].o = v[first + i];
		s[i].o->fill = (int64_t)(num / (uint64_t)tie);
		s[i].rem = num % (uint64_t)tie;
		given += s[i].o->fill;
	}
	qsort(s, m, sizeof(*s), sharecmp);
	for (i = 0; given < rest; i++, given++)
		s[i].o->fill++;
	free(s);
	return 0;
}

int
dk_clear(struct dk_order *o, size_t n, int64_t slot, const struct dk_rules *r,
    struct dk_clearing *c, struct dk_err *e)
{
	struct dk_order **sv = NULL, **bv = NULL;
	size_t ns = 0, nb = 0, i, j, cap;
	int64_t q = 0, sl = 0, bl = 0, su = 0, bu = 0, lo, hi;
	int have_su = 0, have_bu = 0;
	int64_t sleft, bleft, x;
	char *book = NULL, *line;
	size_t blen = 0, bcap = 0, len;
	(void)r;

	memset(c, 0, sizeof(*c));
	/* the slot is given: a slot nobody bid in is cleared all the same */
	c->slot = slot;
	for (i = 0; i < n; i++)
		if (o[i].slot != slot)
			return dk_fail(e, DK_EX_SOFTWARE, "clearing: an order "
			    "for another slot in the book");
	if (n > 1)
		qsort(o, n, sizeof(*o), byid);
	for (i = 0; i < n; i++) {
		if ((line = dk_canon(o[i].rec)) == NULL)
			goto oom;
		len = strlen(line);
		if (blen + len + 1 > bcap) {
			bcap = (blen + len + 1) * 2;
			char *nb2 = realloc(book, bcap);
			if (nb2 == NULL) {
				free(line);
				goto oom;
			}
			book = nb2;
		}
		memcpy(book + blen, line, len);
		book[blen + len] = '\n';
		blen += len + 1;
		free(line);
	}
	dk_sha256_hex(book ? book : "", blen, c->book);
	free(book);
	book = NULL;

	sv = calloc(n + 1, sizeof(*sv));
	bv = calloc(n + 1, sizeof(*bv));
	if (sv == NULL || bv == NULL)
		goto oom;
	for (i = 0; i < n; i++) {
		o[i].fill = 0;
		if (o[i].side == DK_SELL) {
			sv[ns++] = &o[i];
			c->sell_wh += o[i].wh;
		} else {
			bv[nb++] = &o[i];
			c->buy_wh += o[i].wh;
		}
	}
	c->nsell = ns;
	c->nbuy = nb;
	qsort(sv, ns, sizeof(*sv), sellcmp);
	qsort(bv, nb, sizeof(*bv), buycmp);

	i = j = 0;
	sleft = ns ? sv[0]->wh : 0;
	bleft = nb ? bv[0]->wh : 0;
	while (i < ns && j < nb && bv[j]->price >= sv[i]->price) {
		x = sleft < bleft ? sleft : bleft;
		q += x;
		sl = sv[i]->price;
		bl = bv[j]->price;
		sleft -= x;
		bleft -= x;
		if (sleft == 0 && ++i < ns)
			sleft = sv[i]->wh;
		if (bleft == 0 && ++j < nb)
			bleft = bv[j]->wh;
	}
	if (q == 0) {
		free(sv);
		free(bv);
		return 0;
	}
	if (i < ns) {
		su = sv[i]->price;
		have_su = 1;
	}
	if (j < nb) {
		bu = bv[j]->price;
		have_bu = 1;
	}
	lo = have_bu && bu > sl ? bu : sl;
	hi = have_su && su < bl ? su : bl;
	c->matched = 1;
	c->wh = q;
	c->price = lo + (hi - lo) / 2;
	if (allocate(sv, ns, q, c->price, 1, e) < 0 ||
	    allocate(bv, nb, q, c->price, 0, e) < 0)
		goto fail;

	cap = ns + nb;
	if ((c->t = calloc(cap ? cap : 1, sizeof(*c->t))) == NULL)
		goto oom;
	i = j = 0;
	while (i < ns && sv[i]->fill == 0)
		i++;
	while (j < nb && bv[j]->fill == 0)
		j++;
	sleft = i < ns ? sv[i]->fill : 0;
	bleft = j < nb ? bv[j]->fill : 0;
	while (i < ns && j < nb) {
		x = sleft < bleft ? sleft : bleft;
		c->t[c->nt].sell = sv[i] - o;
		c->t[c->nt].buy = bv[j] - o;
		c->t[c->nt].wh = x;
		c->t[c->nt].price = c->price;
		c->nt++;
		sleft -= x;
		bleft -= x;
		if (sleft == 0) {
			while (++i < ns && sv[i]->fill == 0)
				;
			sleft = i < ns ? sv[i]->fill : 0;
		}
		if (bleft == 0) {
			while (++j < nb && bv[j]->fill == 0)
				;
			bleft = j < nb ? bv[j]->fill : 0;
		}
	}
	free(sv);
	free(bv);
	return 0;
oom:
	dk_fail(e, DK_EX_SOFTWARE, "out of memory");
fail:
	free(book);
	free(sv);
	free(bv);
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

json_t *
dk_trade_json(const struct dk_clearing *c, const struct dk_order *o,
    const struct dk_trade *t, const struct dk_rules *r)
{
	return json_pack("{s:s,s:i,s:o,s:s,s:s,s:s,s:s,s:I,s:I}",
	    "type", "trade", "v", 1, "slot", slot_json(c->slot, r),
	    "seller", o[t->sell].participant, "buyer", o[t->buy].participant,
	    "sell_order", o[t->sell].id, "buy_order", o[t->buy].id,
	    "wh", (json_int_t)t->wh, "price", (json_int_t)t->price);
}

json_t *
dk_clearing_json(const struct dk_clearing *c, const struct dk_rules *r)
{
	return json_pack("{s:s,s:i,s:o,s:s,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:s}",
	    "type", "clearing", "v", 1, "slot", slot_json(c->slot, r),
	    "mechanism", r->mechanism,
	    "price", c->matched ? json_integer(c->price) : json_null(),
	    "wh", (json_int_t)c->wh, "sell_orders", (json_int_t)c->nsell,
	    "buy_orders", (json_int_t)c->nbuy, "sell_wh", (json_int_t)c->sell_wh,
	    "buy_wh", (json_int_t)c->buy_wh, "trades", (json_int_t)c->nt,
	    "book", c->book);
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
}
