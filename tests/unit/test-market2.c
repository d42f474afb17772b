/*
 * Unit tests for lib/market's flow engine through dk_clear: random books
 * built in C, checked against references written independently here.
 *  - one zone, uniform: the volume is the largest at which the k-th
 *    dearest buy unit is worth at least the k-th cheapest sell unit, the
 *    welfare is the sum over those units, the price lies in the clearing
 *    interval [max(s, b'), min(b, s')], every order is filled within its
 *    Wh, and any input order gives the same trades;
 *  - two zones joined by one link (capacity C, charge w): the welfare is
 *    max over integer flows f in [-C, C] of W_1(f) + W_2(-f) - w |f|,
 *    W_z(e) the best welfare of zone z exporting e Wh (brute force over
 *    unit curves); the link flow stays within C, trades pay their
 *    wheeling, buy_price - price - wheeling >= 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"
#include "check.h"

#define SLOT 1767261600LL
#define MAXO 24
#define MAXU 600	/* units (Wh) per side and zone */

static uint64_t rs = 0x2545F4914F6CDD1DULL;

static uint64_t
rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static int64_t
rr(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

static void
mk(struct dk_order *o, int k, const char *zone, int side, int64_t wh,
    int64_t price)
{
	char c[200];

	memset(o, 0, sizeof(*o));
	snprintf(o->id, sizeof(o->id), "%064llx",
	    (unsigned long long)(rnd() ^ (uint64_t)k));
	snprintf(o->participant, sizeof(o->participant), "p%d", k);
	snprintf(o->zone, sizeof(o->zone), "%s", zone);
	o->side = side;
	o->slot = SLOT;
	o->wh = wh;
	o->price = price;
	snprintf(c, sizeof(c), "{\"participant\":\"p%d\",\"price\":%lld,"
	    "\"wh\":%lld,\"k\":%d}", k, (long long)price, (long long)wh, k);
	o->rec = json_loads(c, 0, NULL);
}

static int
asc(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The unit prices of one side of one zone ("" for any), sorted best first;
 * returns the count. */
static size_t
units(const struct dk_order *o, size_t n, const char *zone, int side,
    int64_t *u)
{
	size_t i, k = 0, j;
	int64_t w;

	for (i = 0; i < n; i++) {
		if (o[i].side != side || (*zone && strcmp(o[i].zone, zone)))
			continue;
		for (w = 0; w < o[i].wh; w++)
			u[k++] = o[i].price;
	}
	qsort(u, k, sizeof(*u), asc);
	if (side == DK_BUY)
		for (j = 0; j < k / 2; j++) {
			w = u[j];
			u[j] = u[k - 1 - j];
			u[k - 1 - j] = w;
		}
	return k;
}

static void
free_book(struct dk_order *o, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		json_decref(o[i].rec);
}

static void
test_one_zone(struct dk_rules *r)
{
	static int64_t su[MAXU * MAXO], bu[MAXU * MAXO];
	struct dk_order o[MAXO], p[MAXO];
	struct dk_clearing c, d;
	struct dk_err e;
	int round, bad = 0;

	for (round = 0; round < 3000; round++) {
		size_t n = (size_t)rr(1, MAXO), i, ns, nb, q = 0, k;
		int64_t W = 0, cw = 0, s, b, s2, b2, lo, hi;
		int tick = (int)rr(0, 2);

		for (i = 0; i < n; i++)
			mk(&o[i], (int)i, "", rr(0, 1) ? DK_SELL : DK_BUY,
			    rr(1, 30), tick == 0 ? rr(90000, 210000) :
			    rr(9, 21) * (tick == 1 ? 10000 : 10001));
		ns = units(o, n, "", DK_SELL, su);
		nb = units(o, n, "", DK_BUY, bu);
		while (q < ns && q < nb && bu[q] >= su[q]) {
			W += bu[q] - su[q];
			q++;
		}
		memset(&e, 0, sizeof(e));
		if (dk_clear(o, n, SLOT, r, &c, &e) < 0) {
			CHECKF(0, "dk_clear: %s", e.msg);
			free_book(o, n);
			continue;
		}
		for (i = 0; i < c.nt; i++)
			cw += c.t[i].wh * (o[c.t[i].buy].price -
			    o[c.t[i].sell].price);
		CHECKF(c.wh == (int64_t)q && cw == W, "round %d: volume %lld "
		    "welfare %lld, reference %zu %lld", round, (long long)c.wh,
		    (long long)cw, q, (long long)W);
		if (q > 0) {
			s = su[q - 1];
			b = bu[q - 1];
			s2 = q < ns ? su[q] : INT64_MAX;
			b2 = q < nb ? bu[q] : INT64_MIN;
			lo = s > b2 ? s : b2;
			hi = b < s2 ? b : s2;
			CHECKF(c.have_price && lo <= c.price && c.price <= hi &&
			    c.price == lo + (hi - lo) / 2, "round %d: price "
			    "%lld, interval [%lld, %lld]", round,
			    (long long)c.price, (long long)lo, (long long)hi);
		} else
			CHECK(c.nt == 0 && !c.matched);
		for (i = 0; i < n; i++)
			if (o[i].fill < 0 || o[i].fill > o[i].wh)
				bad++;
		/* reversed input: the same trades, by order id */
		for (i = 0; i < n; i++)
			p[i] = o[n - 1 - i];
		if (dk_clear(p, n, SLOT, r, &d, &e) == 0) {
			int same = d.nt == c.nt && d.price == c.price;
			for (k = 0; same && k < c.nt; k++)
				same = d.t[k].wh == c.t[k].wh &&
				    strcmp(p[d.t[k].sell].id,
				    o[c.t[k].sell].id) == 0 &&
				    strcmp(p[d.t[k].buy].id,
				    o[c.t[k].buy].id) == 0;
			CHECKF(same, "round %d: reversed input clears "
			    "differently", round);
			dk_clearing_free(&d);
		}
		dk_clearing_free(&c);
		free_book(o, n);
	}
	CHECK_INT(bad, 0);
}

/* Best welfare of one zone exporting e Wh (e < 0: importing), or INT64_MIN
 * when it cannot. */
static int64_t
zone_best(const int64_t *su, size_t ns, const int64_t *bu, size_t nb,
    int64_t inside, int64_t e)
{
	int64_t best = INT64_MIN, w;
	size_t k, j;

	for (k = 0; k <= nb; k++) {		/* k buy units, k + e sells */
		int64_t m = (int64_t)k + e;
		if (m < 0 || m > (int64_t)ns)
			continue;
		w = 0;
		for (j = 0; j < k; j++)
			w += bu[j] - inside;
		for (j = 0; j < (size_t)m; j++)
			w -= su[j];
		if (w > best)
			best = w;
	}
	return best;
}

static void
test_two_zones(struct dk_rules *r)
{
	static int64_t s1[MAXU], b1[MAXU], s2[MAXU], b2[MAXU];
	struct dk_order o[MAXO];
	struct dk_clearing c;
	struct dk_err e;
	int round;

	r->zonal = 1;
	r->nlinks = 1;
	strcpy(r->link[0].name, "t");
	strcpy(r->link[0].a, "z1");
	strcpy(r->link[0].b, "z2");
	for (round = 0; round < 1500; round++) {
		size_t n = (size_t)rr(1, 16), i, n1s, n1b, n2s, n2b;
		int64_t f, cap = rr(0, 60), w = rr(0, 2) ? rr(0, 20000) : 0;
		int64_t best = INT64_MIN, cw = 0, x, y;

		r->wheel_inside = rr(0, 1) ? rr(0, 5000) : 0;
		r->link[0].cap_wh = cap;
		r->link[0].wheel = w;
		for (i = 0; i < n; i++)
			mk(&o[i], (int)i, rr(0, 1) ? "z1" : "z2",
			    rr(0, 1) ? DK_SELL : DK_BUY, rr(1, 30),
			    rr(9, 21) * 10000 + rr(0, 1) * rr(0, 9999));
		n1s = units(o, n, "z1", DK_SELL, s1);
		n1b = units(o, n, "z1", DK_BUY, b1);
		n2s = units(o, n, "z2", DK_SELL, s2);
		n2b = units(o, n, "z2", DK_BUY, b2);
		for (f = -cap; f <= cap; f++) {
			x = zone_best(s1, n1s, b1, n1b, r->wheel_inside, f);
			y = zone_best(s2, n2s, b2, n2b, r->wheel_inside, -f);
			if (x == INT64_MIN || y == INT64_MIN)
				continue;
			if (x + y - w * (f < 0 ? -f : f) > best)
				best = x + y - w * (f < 0 ? -f : f);
		}
		memset(&e, 0, sizeof(e));
		if (dk_clear(o, n, SLOT, r, &c, &e) < 0) {
			CHECKF(0, "dk_clear: %s", e.msg);
			free_book(o, n);
			continue;
		}
		for (i = 0; i < c.nt; i++) {
			const struct dk_trade *t = &c.t[i];
			const struct dk_order *so = &o[t->sell], *bo = &o[t->buy];
			int cross = strcmp(so->zone, bo->zone) != 0;
			cw += t->wh * (bo->price - so->price - t->wheeling);
			CHECKF(t->wheeling == r->wheel_inside + (cross ? w : 0),
			    "round %d: wheeling %lld", round,
			    (long long)t->wheeling);
			CHECKF(t->buy_price - t->price - t->wheeling >= 0 &&
			    t->price >= so->price && t->buy_price <= bo->price,
			    "round %d: prices %lld/%lld for %lld/%lld", round,
			    (long long)t->price, (long long)t->buy_price,
			    (long long)so->price, (long long)bo->price);
		}
		CHECKF(cw == best, "round %d: welfare %lld, brute force %lld "
		    "(cap %lld, w %lld)", round, (long long)cw,
		    (long long)best, (long long)cap, (long long)w);
		CHECK(c.flow[0] >= -cap && c.flow[0] <= cap);
		dk_clearing_free(&c);
		free_book(o, n);
	}
	r->zonal = 0;
	r->nlinks = 0;
	r->wheel_inside = 0;
}

/* dk_trade_print writes what dk_canon(dk_trade_json) does, byte for byte,
 * in each of its three forms (single price; another mechanism; zones). */
static void
test_trade_print(struct dk_rules *r)
{
	static const char *const mech[] = { "uniform", "pay-as-bid",
	    "mid-market", "uniform" };
	struct dk_order o[MAXO];
	struct dk_clearing c;
	struct dk_err e;
	char *buf, *want, ts[40];
	size_t len, i, n, m;
	int round, form;
	FILE *fp;
	json_t *x;

	for (form = 0; form < 4; form++) {
		strcpy(r->mechanism, mech[form]);
		r->zonal = form == 3;
		r->wheel_between = form == 3 ? 7000 : 0;
		for (round = 0; round < 200; round++) {
			n = (size_t)rr(2, MAXO);
			for (i = 0; i < n; i++)
				mk(&o[i], (int)i, rr(0, 1) ? "z1" : "z-2",
				    rr(0, 1) ? DK_SELL : DK_BUY, rr(1, 30),
				    rr(90000, 290000));
			memset(&e, 0, sizeof(e));
			if (dk_clear(o, n, SLOT, r, &c, &e) < 0) {
				CHECKF(0, "dk_clear: %s", e.msg);
				free_book(o, n);
				continue;
			}
			dk_time_format(SLOT, r->tz, ts, sizeof(ts));
			for (m = 0; m < c.nt; m++) {
				buf = NULL;
				len = 0;
				fp = open_memstream(&buf, &len);
				dk_trade_print(fp, ts, o, &c.t[m], r);
				fclose(fp);
				x = dk_trade_json(&c, o, &c.t[m], r);
				want = dk_canon(x);
				CHECKF(len > 0 && strncmp(buf, want, len - 1) == 0 &&
				    buf[len - 1] == '\n' && strlen(want) == len - 1,
				    "form %d: %s != %s", form, buf, want);
				free(want);
				free(buf);
				json_decref(x);
			}
			dk_clearing_free(&c);
			free_book(o, n);
		}
	}
	strcpy(r->mechanism, "uniform");
	r->zonal = 0;
	r->wheel_between = 0;
}

int
main(void)
{
	struct dk_rules r;
	struct dk_err e;

	memset(&e, 0, sizeof(e));
	if (dk_init(&e) < 0)
		return 1;
	memset(&r, 0, sizeof(r));
	strcpy(r.currency, "EUR");
	strcpy(r.tz, "UTC");
	strcpy(r.mechanism, "uniform");
	memset(r.terms, 'f', 64);
	r.slot_minutes = 30;
	r.retail = 300000;
	r.buyback = 100000;
	r.fee = 10000;
	r.mmr = 200000;
	test_trade_print(&r);
	test_one_zone(&r);
	test_two_zones(&r);
	strcpy(r.mechanism, "pay-as-bid");
	test_two_zones(&r);
	return check_done("test-market2");
}
