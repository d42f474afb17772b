/*
 * Unit tests for lib/market: one slot's uniform-price double auction.
 * Hand-computed books first, then a property test over random books that
 * checks dk_clear against a brute force written independently here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "denki.h"
#include "check.h"

#define SLOT 1767261600LL	/* 2026-01-01T10:00:00Z */
#define SLOTSTR "2026-01-01T10:00:00+00:00"

static struct dk_rules rules;

/* An order with a given id (64 hex) and a record that names it. */
static void
mk(struct dk_order *o, const char *id, const char *who, int side,
    int64_t wh, int64_t price)
{
	char c[200];

	memset(o, 0, sizeof(*o));
	snprintf(o->id, sizeof(o->id), "%s", id);
	snprintf(o->participant, sizeof(o->participant), "%s", who);
	o->side = side;
	o->slot = SLOT;
	o->wh = wh;
	o->price = price;
	o->fill = -1;
	snprintf(c, sizeof(c), "{\"participant\":\"%s\",\"price\":%lld,"
	    "\"side\":\"%s\",\"wh\":%lld}", who, (long long)price,
	    side == DK_SELL ? "sell" : "buy", (long long)wh);
	o->rec = json_loads(c, 0, NULL);
}

/* A 64-hex id that sorts by its first character: ids sort as labels do. */
static const char *
hid(char c)
{
	static char buf[8][65];
	static int k;

	k = (k + 1) % 8;
	memset(buf[k], c, 64);
	buf[k][64] = '\0';
	return buf[k];
}

static void
free_book(struct dk_order *o, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		json_decref(o[i].rec);
}

static const struct dk_order *
by_id(const struct dk_order *o, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(o[i].id, id) == 0)
			return &o[i];
	return NULL;
}

static int64_t
fill_of(const struct dk_order *o, size_t n, char label)
{
	const struct dk_order *x = by_id(o, n, hid(label));

	return x ? x->fill : -999;
}

/* SHA-256 of the canonical records sorted by order id, one a line. */
static void
book_hash(const struct dk_order *o, size_t n, char out[65])
{
	const struct dk_order **v = calloc(n + 1, sizeof(*v));
	crypto_hash_sha256_state st;
	unsigned char h[32];
	size_t i, j;
	char *c;

	for (i = 0; i < n; i++)
		v[i] = &o[i];
	for (i = 1; i < n; i++)	/* insertion sort by id */
		for (j = i; j > 0 && strcmp(v[j - 1]->id, v[j]->id) > 0; j--) {
			const struct dk_order *t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	crypto_hash_sha256_init(&st);
	for (i = 0; i < n; i++) {
		c = json_dumps(v[i]->rec, JSON_SORT_KEYS | JSON_COMPACT);
		crypto_hash_sha256_update(&st, (unsigned char *)c, strlen(c));
		crypto_hash_sha256_update(&st, (const unsigned char *)"\n", 1);
		free(c);
	}
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(out, 65, h, 32);
	free(v);
}

static char *
trade_str(const struct dk_clearing *c, const struct dk_order *o, size_t k)
{
	json_t *t = dk_trade_json(c, o, &c->t[k], &rules);
	char *s = dk_canon(t);

	json_decref(t);
	return s;
}

static char *
clearing_str(const struct dk_clearing *c)
{
	json_t *t = dk_clearing_json(c, &rules);
	char *s = dk_canon(t);

	json_decref(t);
	return s;
}

/* Checks trade k: seller label, buyer label, Wh. */
static void
check_trade(const struct dk_clearing *c, const struct dk_order *o, size_t k,
    char s, char b, int64_t wh, int line)
{
	if (k >= c->nt) {
		CHECKF(0, "line %d: no trade %zu (%zu trades)", line, k, c->nt);
		return;
	}
	CHECKF(strcmp(o[c->t[k].sell].id, hid(s)) == 0 &&
	    strcmp(o[c->t[k].buy].id, hid(b)) == 0 && c->t[k].wh == wh &&
	    c->t[k].price == c->price, "line %d: trade %zu is %c->%c %lld @ "
	    "%lld, want %c->%c %lld @ %lld", line, k, o[c->t[k].sell].id[0],
	    o[c->t[k].buy].id[0], (long long)c->t[k].wh,
	    (long long)c->t[k].price, s, b, (long long)wh,
	    (long long)c->price);
}
#define TRADE(c, o, k, s, b, wh) check_trade((c), (o), (k), (s), (b), (wh), \
	__LINE__)

static int
clear(struct dk_order *o, size_t n, struct dk_clearing *c)
{
	static int said;
	struct dk_err e;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = dk_clear(o, n, n > 0 ? o[0].slot : 0, &rules, c, &e);
	if (rc < 0 && said++ < 3)
		fprintf(stderr, "dk_clear: %s\n", e.msg);
	return rc;
}

static void
test_one_pair(void)
{
	struct dk_order o[2];
	struct dk_clearing c;
	char h[65], want[1024], *s;

	mk(&o[0], hid('b'), "bob", DK_BUY, 1000, 200000);
	mk(&o[1], hid('a'), "alice", DK_SELL, 1000, 100000);
	CHECK_INT(clear(o, 2, &c), 0);
	CHECK_INT(c.matched, 1);
	CHECK_INT(c.slot, SLOT);
	CHECK_INT(c.price, 150000);
	CHECK_INT(c.wh, 1000);
	CHECK_INT(c.nsell, 1);
	CHECK_INT(c.nbuy, 1);
	CHECK_INT(c.sell_wh, 1000);
	CHECK_INT(c.buy_wh, 1000);
	CHECK_INT(c.nt, 1);
	/* the book is sorted by id in place */
	CHECK_STR(o[0].id, hid('a'));
	CHECK_STR(o[0].participant, "alice");
	CHECK_INT(o[0].fill, 1000);
	CHECK_INT(o[1].fill, 1000);
	TRADE(&c, o, 0, 'a', 'b', 1000);
	book_hash(o, 2, h);
	CHECK_STR(c.book, h);

	s = trade_str(&c, o, 0);
	snprintf(want, sizeof(want), "{\"buy_order\":\"%s\",\"buyer\":\"bob\","
	    "\"price\":150000,\"sell_order\":\"%s\",\"seller\":\"alice\","
	    "\"slot\":\"" SLOTSTR "\",\"type\":\"trade\",\"v\":1,"
	    "\"wh\":1000}", hid('b'), hid('a'));
	CHECK_STR(s, want);
	{
		/* the contract made of that trade */
		json_t *t = json_loads(s, 0, NULL), *k, *k2, *k3, *x;
		char *cs, *cs2;

		k = dk_contract_json(t, &rules);
		cs = dk_canon(k);
		snprintf(want, sizeof(want), "{\"buy_order\":\"%s\","
		    "\"buyback\":100000,\"buyer\":\"bob\","
		    "\"currency\":\"EUR\",\"delivery\":\"firm\","
		    "\"fee\":10000,\"price\":150000,\"retail\":300000,"
		    "\"sell_order\":\"%s\",\"seller\":\"alice\",\"slot\":\""
		    SLOTSTR "\",\"terms\":\"%s\",\"type\":\"contract\","
		    "\"v\":1,\"wh\":1000}", hid('b'), hid('a'), rules.terms);
		CHECK_STR(cs, want);
		/* the trade itself is left as it was */
		CHECK_STR(json_string_value(json_object_get(t, "type")),
		    "trade");
		free(cs);
		json_decref(k);
		/* made of an extra shared by two: the same contract, its
		 * members in the same order, the extra left as it was */
		x = dk_contract_extra(&rules);
		k = dk_contract_with(t, x);
		k2 = dk_contract_with(t, x);
		cs = dk_canon(k);
		CHECK_STR(cs, want);
		free(cs);
		cs = json_dumps(k2, JSON_COMPACT);
		k3 = dk_contract_json(t, &rules);
		cs2 = json_dumps(k3, JSON_COMPACT);
		CHECK_STR(cs, cs2);
		CHECK_INT(json_object_size(x), 7);
		CHECK(json_object_get(x, "buyer") == NULL);
		CHECK(dk_contract_with(t, NULL) == NULL);
		free(cs);
		free(cs2);
		json_decref(k);
		json_decref(k2);
		json_decref(k3);
		json_decref(x);
		json_decref(t);
	}
	free(s);
	s = clearing_str(&c);
	snprintf(want, sizeof(want), "{\"book\":\"%s\",\"buy_orders\":1,"
	    "\"buy_wh\":1000,\"mechanism\":\"uniform\",\"price\":150000,"
	    "\"sell_orders\":1,\"sell_wh\":1000,\"slot\":\"" SLOTSTR "\","
	    "\"trades\":1,\"type\":\"clearing\",\"v\":1,\"wh\":1000}", h);
	CHECK_STR(s, want);
	free(s);
	dk_clearing_free(&c);
	CHECK(c.t == NULL);
	CHECK_INT(c.nt, 0);
	free_book(o, 2);

	/* the seller has more: the buyer takes all, at the seller's limit */
	mk(&o[0], hid('a'), "alice", DK_SELL, 1000, 100000);
	mk(&o[1], hid('b'), "bob", DK_BUY, 600, 200000);
	CHECK_INT(clear(o, 2, &c), 0);
	CHECK_INT(c.price, 100000);
	CHECK_INT(c.wh, 600);
	CHECK_INT(fill_of(o, 2, 'a'), 600);
	CHECK_INT(fill_of(o, 2, 'b'), 600);
	CHECK_INT(c.nt, 1);
	TRADE(&c, o, 0, 'a', 'b', 600);
	dk_clearing_free(&c);
	free_book(o, 2);

	/* equal limits */
	mk(&o[0], hid('a'), "alice", DK_SELL, 10, 7);
	mk(&o[1], hid('b'), "bob", DK_BUY, 10, 7);
	CHECK_INT(clear(o, 2, &c), 0);
	CHECK_INT(c.matched, 1);
	CHECK_INT(c.price, 7);
	CHECK_INT(c.wh, 10);
	dk_clearing_free(&c);
	free_book(o, 2);
}

static void
test_no_trade(void)
{
	struct dk_order o[3];
	struct dk_clearing c;
	char h[65], want[1024], *s;

	mk(&o[0], hid('a'), "alice", DK_SELL, 100, 50);
	mk(&o[1], hid('b'), "bob", DK_BUY, 100, 49);
	mk(&o[2], hid('c'), "carol", DK_BUY, 70, 10);
	CHECK_INT(clear(o, 3, &c), 0);
	CHECK_INT(c.matched, 0);
	CHECK_INT(c.wh, 0);
	CHECK_INT(c.nt, 0);
	CHECK_INT(c.nsell, 1);
	CHECK_INT(c.nbuy, 2);
	CHECK_INT(c.sell_wh, 100);
	CHECK_INT(c.buy_wh, 170);
	CHECK_INT(o[0].fill, 0);
	CHECK_INT(o[1].fill, 0);
	CHECK_INT(o[2].fill, 0);
	book_hash(o, 3, h);
	s = clearing_str(&c);
	snprintf(want, sizeof(want), "{\"book\":\"%s\",\"buy_orders\":2,"
	    "\"buy_wh\":170,\"mechanism\":\"uniform\",\"price\":null,"
	    "\"sell_orders\":1,\"sell_wh\":100,\"slot\":\"" SLOTSTR "\","
	    "\"trades\":0,\"type\":\"clearing\",\"v\":1,\"wh\":0}", h);
	CHECK_STR(s, want);
	free(s);
	dk_clearing_free(&c);
	free_book(o, 3);

	/* only sells, only buys, nothing */
	mk(&o[0], hid('a'), "alice", DK_SELL, 100, 0);
	CHECK_INT(clear(o, 1, &c), 0);
	CHECK_INT(c.matched, 0);
	CHECK_INT(c.nsell, 1);
	CHECK_INT(c.sell_wh, 100);
	dk_clearing_free(&c);
	free_book(o, 1);
	mk(&o[0], hid('b'), "bob", DK_BUY, 100, DK_MAX_PRICE);
	CHECK_INT(clear(o, 1, &c), 0);
	CHECK_INT(c.matched, 0);
	CHECK_INT(c.nbuy, 1);
	dk_clearing_free(&c);
	free_book(o, 1);
	CHECK_INT(clear(o, 0, &c), 0);
	CHECK_INT(c.matched, 0);
	CHECK_INT(c.nt, 0);
	/* the hash of an empty book is that of no bytes */
	CHECK_STR(c.book, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934c"
	    "a495991b7852b855");
	dk_clearing_free(&c);
}

static void
test_pro_rata(void)
{
	struct dk_order o[4];
	struct dk_clearing c;

	/* three sells at one price share 33 Wh: 16.5, 9.9, 6.6 -> the two
	 * largest remainders (.9 and .6) get the 2 Wh left over */
	mk(&o[0], hid('c'), "carol", DK_SELL, 20, 10);
	mk(&o[1], hid('a'), "alice", DK_SELL, 50, 10);
	mk(&o[2], hid('x'), "xavier", DK_BUY, 33, 20);
	mk(&o[3], hid('b'), "bob", DK_SELL, 30, 10);
	CHECK_INT(clear(o, 4, &c), 0);
	CHECK_INT(c.price, 10);
	CHECK_INT(c.wh, 33);
	CHECK_INT(fill_of(o, 4, 'a'), 16);
	CHECK_INT(fill_of(o, 4, 'b'), 10);
	CHECK_INT(fill_of(o, 4, 'c'), 7);
	CHECK_INT(fill_of(o, 4, 'x'), 33);
	CHECK_INT(c.nt, 3);
	TRADE(&c, o, 0, 'a', 'x', 16);
	TRADE(&c, o, 1, 'b', 'x', 10);
	TRADE(&c, o, 2, 'c', 'x', 7);
	dk_clearing_free(&c);
	free_book(o, 4);

	/* equal remainders: the smaller id gets the odd Wh */
	mk(&o[0], hid('e'), "erin", DK_SELL, 50, 10);
	mk(&o[1], hid('d'), "dave", DK_SELL, 50, 10);
	mk(&o[2], hid('x'), "xavier", DK_BUY, 51, 20);
	CHECK_INT(clear(o, 3, &c), 0);
	CHECK_INT(c.price, 10);
	CHECK_INT(fill_of(o, 3, 'd'), 26);
	CHECK_INT(fill_of(o, 3, 'e'), 25);
	TRADE(&c, o, 0, 'd', 'x', 26);
	TRADE(&c, o, 1, 'e', 'x', 25);
	dk_clearing_free(&c);
	free_book(o, 3);

	/* on the buy side: two buys at 30 share 50 Wh 30:20, at their limit */
	mk(&o[0], hid('s'), "sam", DK_SELL, 50, 10);
	mk(&o[1], hid('b'), "bob", DK_BUY, 40, 30);
	mk(&o[2], hid('a'), "alice", DK_BUY, 60, 30);
	CHECK_INT(clear(o, 3, &c), 0);
	CHECK_INT(c.price, 30);
	CHECK_INT(c.wh, 50);
	CHECK_INT(fill_of(o, 3, 'a'), 30);
	CHECK_INT(fill_of(o, 3, 'b'), 20);
	CHECK_INT(fill_of(o, 3, 's'), 50);
	CHECK_INT(c.nt, 2);
	TRADE(&c, o, 0, 's', 'a', 30);
	TRADE(&c, o, 1, 's', 'b', 20);
	dk_clearing_free(&c);
	free_book(o, 3);

	/* sharing big quantities: 3 x 100 MWh at one price share 1e8 + 1 */
	mk(&o[0], hid('a'), "alice", DK_SELL, DK_MAX_WH, DK_MAX_PRICE);
	mk(&o[1], hid('b'), "bob", DK_SELL, DK_MAX_WH, DK_MAX_PRICE);
	mk(&o[2], hid('c'), "carol", DK_SELL, DK_MAX_WH, DK_MAX_PRICE);
	mk(&o[3], hid('x'), "xavier", DK_BUY, DK_MAX_WH, DK_MAX_PRICE);
	CHECK_INT(clear(o, 4, &c), 0);
	CHECK_INT(c.price, DK_MAX_PRICE);
	CHECK_INT(c.wh, DK_MAX_WH);
	/* 1e8 / 3 = 33333333.33 each: one extra Wh, to the smallest id */
	CHECK_INT(fill_of(o, 4, 'a'), 33333334);
	CHECK_INT(fill_of(o, 4, 'b'), 33333333);
	CHECK_INT(fill_of(o, 4, 'c'), 33333333);
	dk_clearing_free(&c);
	free_book(o, 4);
}

static void
test_margins(void)
{
	struct dk_order o[6];
	struct dk_clearing c;

	/* partial fill of the marginal buyer: the price is its limit */
	mk(&o[0], hid('s'), "sam", DK_SELL, 100, 10);
	mk(&o[1], hid('a'), "alice", DK_BUY, 60, 20);
	mk(&o[2], hid('b'), "bob", DK_BUY, 100, 15);
	CHECK_INT(clear(o, 3, &c), 0);
	CHECK_INT(c.price, 15);
	CHECK_INT(c.wh, 100);
	CHECK_INT(fill_of(o, 3, 's'), 100);
	CHECK_INT(fill_of(o, 3, 'a'), 60);
	CHECK_INT(fill_of(o, 3, 'b'), 40);
	CHECK_INT(c.nt, 2);
	TRADE(&c, o, 0, 's', 'a', 60);
	TRADE(&c, o, 1, 's', 'b', 40);
	dk_clearing_free(&c);
	free_book(o, 3);

	/* the midpoint of [max(s, b'), min(b, s')] = [14, 26] */
	mk(&o[0], hid('a'), "alice", DK_SELL, 100, 10);
	mk(&o[1], hid('b'), "bob", DK_BUY, 100, 30);
	mk(&o[2], hid('c'), "carol", DK_SELL, 100, 26);
	mk(&o[3], hid('d'), "dave", DK_BUY, 100, 14);
	CHECK_INT(clear(o, 4, &c), 0);
	CHECK_INT(c.price, 20);
	CHECK_INT(c.wh, 100);
	CHECK_INT(fill_of(o, 4, 'c'), 0);
	CHECK_INT(fill_of(o, 4, 'd'), 0);
	dk_clearing_free(&c);
	free_book(o, 4);
	/* [14, 27]: 20.5 rounds down */
	mk(&o[0], hid('a'), "alice", DK_SELL, 100, 10);
	mk(&o[1], hid('b'), "bob", DK_BUY, 100, 30);
	mk(&o[2], hid('c'), "carol", DK_SELL, 100, 27);
	mk(&o[3], hid('d'), "dave", DK_BUY, 100, 14);
	CHECK_INT(clear(o, 4, &c), 0);
	CHECK_INT(c.price, 20);
	dk_clearing_free(&c);
	free_book(o, 4);
	/* [10, 31] with nothing left over: 20 */
	mk(&o[0], hid('a'), "alice", DK_SELL, 100, 10);
	mk(&o[1], hid('b'), "bob", DK_BUY, 100, 31);
	CHECK_INT(clear(o, 2, &c), 0);
	CHECK_INT(c.price, 20);
	dk_clearing_free(&c);
	free_book(o, 2);
	/* [0, DK_MAX_PRICE] */
	mk(&o[0], hid('a'), "alice", DK_SELL, 1, 0);
	mk(&o[1], hid('b'), "bob", DK_BUY, 1, DK_MAX_PRICE);
	CHECK_INT(clear(o, 2, &c), 0);
	CHECK_INT(c.price, DK_MAX_PRICE / 2);
	dk_clearing_free(&c);
	free_book(o, 2);

	/* three levels: better orders fill whole, the margin shares */
	mk(&o[0], hid('a'), "alice", DK_SELL, 100, 5);
	mk(&o[1], hid('b'), "bob", DK_SELL, 100, 8);
	mk(&o[2], hid('c'), "carol", DK_SELL, 100, 12);
	mk(&o[3], hid('x'), "xavier", DK_BUY, 150, 20);
	mk(&o[4], hid('y'), "yann", DK_BUY, 100, 12);
	mk(&o[5], hid('z'), "zoe", DK_BUY, 100, 7);
	CHECK_INT(clear(o, 6, &c), 0);
	CHECK_INT(c.price, 12);
	CHECK_INT(c.wh, 250);
	CHECK_INT(fill_of(o, 6, 'a'), 100);
	CHECK_INT(fill_of(o, 6, 'b'), 100);
	CHECK_INT(fill_of(o, 6, 'c'), 50);
	CHECK_INT(fill_of(o, 6, 'x'), 150);
	CHECK_INT(fill_of(o, 6, 'y'), 100);
	CHECK_INT(fill_of(o, 6, 'z'), 0);
	CHECK_INT(c.nt, 4);
	TRADE(&c, o, 0, 'a', 'x', 100);
	TRADE(&c, o, 1, 'b', 'x', 50);
	TRADE(&c, o, 2, 'b', 'y', 50);
	TRADE(&c, o, 3, 'c', 'y', 50);
	dk_clearing_free(&c);
	free_book(o, 6);

	/* sells cheapest first and buys dearest first, whatever the ids */
	mk(&o[0], hid('a'), "alice", DK_SELL, 10, 9);
	mk(&o[1], hid('b'), "bob", DK_SELL, 10, 1);
	mk(&o[2], hid('c'), "carol", DK_BUY, 10, 50);
	mk(&o[3], hid('d'), "dave", DK_BUY, 10, 60);
	CHECK_INT(clear(o, 4, &c), 0);
	CHECK_INT(c.wh, 20);
	CHECK_INT(c.price, 9 + (50 - 9) / 2);
	TRADE(&c, o, 0, 'b', 'd', 10);
	TRADE(&c, o, 1, 'a', 'c', 10);
	dk_clearing_free(&c);
	free_book(o, 4);
}

struct rejects {
	int n;
	char ids[8][65];
	char why[8][160];
};

static void
on_reject(void *ctx, const struct dk_order *o, const char *why)
{
	struct rejects *r = ctx;

	if (r->n < 8) {
		snprintf(r->ids[r->n], 65, "%s", o->id);
		snprintf(r->why[r->n], 160, "%s", why);
	}
	r->n++;
}

static void
filter_once(int variant)
{
	struct dk_order o[7];
	json_t *recs[7];
	struct rejects r;
	size_t n, i;

	memset(&r, 0, sizeof(r));
	mk(&o[0], hid('d'), "dave", DK_SELL, 10, 1);
	mk(&o[1], hid('a'), "alice", DK_SELL, 10, 1);
	mk(&o[2], hid('d'), "dave", DK_SELL, 10, 1);	/* duplicate */
	mk(&o[3], hid('m'), "mallory", DK_SELL, 10, 1);
	mk(&o[4], hid('b'), "bob", DK_BUY, 10, 1);
	mk(&o[5], hid('n'), "mallory", DK_BUY, 10, 1);	/* both sides */
	mk(&o[6], hid('k'), "mallory", DK_SELL, 20, 2);
	if (variant) {		/* the same book in another order */
		struct dk_order t = o[0];
		o[0] = o[5];
		o[5] = t;
		t = o[1];
		o[1] = o[6];
		o[6] = t;
	}
	for (i = 0; i < 7; i++)
		recs[i] = o[i].rec;
	n = dk_book_filter(o, 7, NULL, on_reject, &r);
	CHECK_INT(n, 3);
	CHECK_STR(o[0].id, hid('a'));
	CHECK_STR(o[1].id, hid('b'));
	CHECK_STR(o[2].id, hid('d'));
	CHECK_STR(o[2].participant, "dave");
	CHECK_INT(r.n, 4);
	CHECK_STR(r.ids[0], hid('d'));
	CHECK_HAS(r.why[0], "duplicate");
	/* all of mallory's orders, in id order */
	CHECK_STR(r.ids[1], hid('k'));
	CHECK_STR(r.ids[2], hid('m'));
	CHECK_STR(r.ids[3], hid('n'));
	CHECK_HAS(r.why[1], "both sells and buys");
	CHECK_HAS(r.why[3], "both sells and buys");
	for (i = 0; i < 7; i++)
		json_decref(recs[i]);
}

static void
test_filter(void)
{
	struct dk_order o[3];
	size_t n;

	filter_once(0);
	filter_once(1);
	/* no callback; nothing to drop; an empty book */
	mk(&o[0], hid('b'), "bob", DK_BUY, 10, 1);
	mk(&o[1], hid('a'), "alice", DK_SELL, 10, 1);
	mk(&o[2], hid('c'), "carol", DK_SELL, 10, 1);
	n = dk_book_filter(o, 3, NULL, NULL, NULL);
	CHECK_INT(n, 3);
	CHECK_STR(o[0].id, hid('a'));
	CHECK_STR(o[2].id, hid('c'));
	free_book(o, 3);
	CHECK_INT(dk_book_filter(o, 0, NULL, NULL, NULL), 0);
}

/* ----- the property test ----- */

static uint64_t rs = 0x9E3779B97F4A7C15ULL;

static uint64_t
rnd(void)
{
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return rs * 2685821657736338717ULL;
}

static int64_t
urange(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

/* Supply at or below p (strict: below), demand at or above p (strict:
 * above). */
static int64_t
supply(const struct dk_order *o, size_t n, int64_t p, int strict)
{
	int64_t s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (o[i].side == DK_SELL && (strict ? o[i].price < p :
		    o[i].price <= p))
			s += o[i].wh;
	return s;
}

static int64_t
demand(const struct dk_order *o, size_t n, int64_t p, int strict)
{
	int64_t s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (o[i].side == DK_BUY && (strict ? o[i].price > p :
		    o[i].price >= p))
			s += o[i].wh;
	return s;
}

static int
clears(const struct dk_order *o, size_t n, int64_t p, int64_t q)
{
	return supply(o, n, p, 1) <= q && q <= supply(o, n, p, 0) &&
	    demand(o, n, p, 1) <= q && q <= demand(o, n, p, 0);
}

/* The fills of one side at price p by largest remainder, ties by id. */
static void
ref_alloc(const struct dk_order *o, size_t n, int side, int64_t p, int64_t q,
    int64_t *fill)
{
	int64_t full = 0, tie = 0, rest, given = 0;
	size_t i, j, best;
	unsigned __int128 *rem = calloc(n + 1, sizeof(*rem));
	char *got = calloc(n + 1, 1);

	for (i = 0; i < n; i++) {
		fill[i] = 0;
		if (o[i].side != side)
			continue;
		if (side == DK_SELL ? o[i].price < p : o[i].price > p) {
			fill[i] = o[i].wh;
			full += o[i].wh;
		} else if (o[i].price == p)
			tie += o[i].wh;
	}
	rest = q - full;
	for (i = 0; i < n; i++)
		if (o[i].side == side && o[i].price == p) {
			unsigned __int128 x = (unsigned __int128)rest *
			    (uint64_t)o[i].wh;
			fill[i] = (int64_t)(x / (uint64_t)tie);
			rem[i] = x % (uint64_t)tie;
			given += fill[i];
		}
	for (; given < rest; given++) {
		best = n;
		for (j = 0; j < n; j++) {
			if (o[j].side != side || o[j].price != p || got[j])
				continue;
			if (best == n || rem[j] > rem[best] ||
			    (rem[j] == rem[best] &&
			    strcmp(o[j].id, o[best].id) < 0))
				best = j;
		}
		fill[best]++;
		got[best] = 1;
	}
	free(rem);
	free(got);
}

static int
better(const struct dk_order *a, const struct dk_order *b)
{
	/* a before b in its side's order: sells cheap first, buys dear */
	if (a->price != b->price)
		return a->side == DK_SELL ? a->price < b->price :
		    a->price > b->price;
	return strcmp(a->id, b->id) < 0;
}

struct pstats {
	long books, matched, bad[12];
};

static const char *const what[12] = {
	"(a) matched Wh is not the brute-force maximum",
	"(b) a filled order is on the wrong side of the price",
	"(c) an order better than the price is not filled whole",
	"(d) trades, fills and matched Wh do not add up",
	"(e) a shuffled book clears differently",
	"(f) the price is not the midpoint of the clearing interval",
	"(g) fills at the price are not the largest-remainder shares",
	"(h) trades do not pair sells cheapest first with buys dearest first",
	"(i) the book hash differs from the records' hash",
	"(j) totals of the book are wrong",
	"(k) dk_clear failed",
	"(l) a trade's price is not the clearing price",
};

static void
one_book(size_t n, int64_t maxwh, int64_t plo, int64_t phi,
    struct pstats *ps)
{
	struct dk_order *o = calloc(n + 1, sizeof(*o));
	struct dk_order *o2 = calloc(n + 1, sizeof(*o2));
	struct dk_clearing c, c2;
	int64_t q = 0, p, lo = -1, hi = -1, sw = 0, bw = 0, *ref, *tw;
	size_t i, j, k, ns = 0, nb = 0;
	char name[64], h[65];
	int bad[12];
	unsigned char raw[32];

	memset(bad, 0, sizeof(bad));
	for (i = 0; i < n; i++) {
		int side = (int)(rnd() % 2);
		snprintf(name, sizeof(name), "p%zu", i);
		/* random ids: the id order is not the input order */
		for (j = 0; j < 32; j++)
			raw[j] = (unsigned char)rnd();
		{
			char id[65];
			sodium_bin2hex(id, sizeof(id), raw, 32);
			mk(&o[i], id, name, side, urange(1, maxwh),
			    urange(plo, phi));
		}
		if (side == DK_SELL) {
			ns++;
			sw += o[i].wh;
		} else {
			nb++;
			bw += o[i].wh;
		}
	}
	/* (a) brute force: the best of min(supply, demand) over prices */
	for (i = 0; i < n; i++) {
		int64_t s = supply(o, n, o[i].price, 0);
		int64_t d = demand(o, n, o[i].price, 0);
		if ((s < d ? s : d) > q)
			q = s < d ? s : d;
	}
	/* (f) the prices that clear q, found among the order prices */
	if (q > 0)
		for (i = 0; i < n; i++) {
			p = o[i].price;
			if (!clears(o, n, p, q))
				continue;
			if (lo < 0 || p < lo)
				lo = p;
			if (hi < 0 || p > hi)
				hi = p;
		}
	memcpy(o2, o, n * sizeof(*o));
	for (i = n; i > 1; i--) {	/* Fisher-Yates */
		struct dk_order t;
		j = (size_t)(rnd() % i);
		t = o2[i - 1];
		o2[i - 1] = o2[j];
		o2[j] = t;
	}
	book_hash(o, n, h);
	if (clear(o, n, &c) < 0 || clear(o2, n, &c2) < 0) {
		bad[10]++;
		goto out;
	}
	ps->books++;
	ps->matched += c.matched;
	if (c.wh != q || c.matched != (q > 0))
		bad[0]++;
	if (strcmp(c.book, h) != 0)
		bad[8]++;
	if (c.nsell != ns || c.nbuy != nb || c.sell_wh != sw ||
	    c.buy_wh != bw || c.slot != (n ? SLOT : 0))
		bad[9]++;
	if (q > 0) {
		if (lo < 0 || c.price != lo + (hi - lo) / 2 ||
		    !clears(o, n, c.price, q))
			bad[5]++;
		ref = calloc(n + 1, sizeof(*ref));
		tw = calloc(n + 1, sizeof(*tw));
		for (i = 0; i < n; i++) {
			if (o[i].fill > 0 && (o[i].side == DK_SELL ?
			    o[i].price > c.price : o[i].price < c.price))
				bad[1]++;
			if ((o[i].side == DK_SELL ? o[i].price < c.price :
			    o[i].price > c.price) && o[i].fill != o[i].wh)
				bad[2]++;
			if (o[i].fill < 0 || o[i].fill > o[i].wh)
				bad[3]++;
		}
		/* (g) exact shares: both sides */
		ref_alloc(o, n, DK_SELL, c.price, q, ref);
		for (i = 0; i < n; i++)
			if (o[i].side == DK_SELL && o[i].fill != ref[i])
				bad[6]++;
		ref_alloc(o, n, DK_BUY, c.price, q, ref);
		for (i = 0; i < n; i++)
			if (o[i].side == DK_BUY && o[i].fill != ref[i])
				bad[6]++;
		/* (d) sums */
		{
			int64_t st = 0, sf = 0, bf = 0;
			for (k = 0; k < c.nt; k++) {
				if (c.t[k].sell >= n || c.t[k].buy >= n ||
				    o[c.t[k].sell].side != DK_SELL ||
				    o[c.t[k].buy].side != DK_BUY ||
				    c.t[k].wh <= 0) {
					bad[3]++;
					continue;
				}
				if (c.t[k].price != c.price)
					bad[11]++;
				st += c.t[k].wh;
				tw[c.t[k].sell] += c.t[k].wh;
				tw[c.t[k].buy] += c.t[k].wh;
				/* (h) in order on both sides */
				if (k > 0 && ((c.t[k].sell != c.t[k - 1].sell &&
				    !better(&o[c.t[k - 1].sell],
				    &o[c.t[k].sell])) ||
				    (c.t[k].buy != c.t[k - 1].buy &&
				    !better(&o[c.t[k - 1].buy],
				    &o[c.t[k].buy]))))
					bad[7]++;
				/* a pair appears once */
				if (k > 0 && c.t[k].sell == c.t[k - 1].sell &&
				    c.t[k].buy == c.t[k - 1].buy)
					bad[7]++;
			}
			for (i = 0; i < n; i++) {
				if (o[i].side == DK_SELL)
					sf += o[i].fill;
				else
					bf += o[i].fill;
				if (tw[i] != o[i].fill)
					bad[3]++;
			}
			if (st != q || sf != q || bf != q)
				bad[3]++;
			/* at most ns + nb - 1 trades */
			if (c.nt + 1 > ns + nb)
				bad[3]++;
		}
		free(ref);
		free(tw);
	} else {
		for (i = 0; i < n; i++)
			if (o[i].fill != 0)
				bad[3]++;
		if (c.nt != 0)
			bad[3]++;
	}
	/* (e) the shuffled book: same clearing, same trades, same fills */
	{
		char *a = clearing_str(&c), *b = clearing_str(&c2);
		if (strcmp(a, b) != 0)
			bad[4]++;
		free(a);
		free(b);
		if (c.nt != c2.nt)
			bad[4]++;
		else
			for (k = 0; k < c.nt; k++) {
				a = trade_str(&c, o, k);
				b = trade_str(&c2, o2, k);
				if (strcmp(a, b) != 0)
					bad[4]++;
				free(a);
				free(b);
			}
		for (i = 0; i < n; i++) {
			const struct dk_order *x = by_id(o2, n, o[i].id);
			if (x == NULL || x->fill != o[i].fill)
				bad[4]++;
		}
	}
	dk_clearing_free(&c);
	dk_clearing_free(&c2);
out:
	for (k = 0; k < 12; k++) {
		if (bad[k] && ps->bad[k] == 0) {
			fprintf(stderr, "first book failing %s (n %zu):\n",
			    what[k], n);
			for (i = 0; i < n; i++)
				fprintf(stderr, "  %s %c %s wh %lld price %lld "
				    "fill %lld\n", o[i].participant,
				    o[i].side == DK_SELL ? 'S' : 'B',
				    o[i].id, (long long)o[i].wh,
				    (long long)o[i].price,
				    (long long)o[i].fill);
		}
		ps->bad[k] += bad[k] ? 1 : 0;
	}
	free_book(o, n);
	free(o);
	free(o2);
}

static void
test_random(void)
{
	struct pstats ps;
	int b, k;

	memset(&ps, 0, sizeof(ps));
	for (b = 0; b < 4000; b++) {
		switch (b % 5) {
		case 0:		/* small books, few prices: many ties */
			one_book((size_t)urange(0, 8), 10, 0, 5, &ps);
			break;
		case 1:
			one_book((size_t)urange(1, 30), 100, 0, 20, &ps);
			break;
		case 2:		/* realistic prices, micro-units per kWh */
			one_book((size_t)urange(1, 40), 5000, 50000, 400000,
			    &ps);
			break;
		case 3:		/* the limits */
			one_book((size_t)urange(1, 60), DK_MAX_WH,
			    DK_MAX_PRICE - 3, DK_MAX_PRICE, &ps);
			break;
		default:	/* one big price level */
			one_book((size_t)urange(1, 200), 1000, 7, 8, &ps);
			break;
		}
	}
	for (k = 0; k < 12; k++)
		CHECKF(ps.bad[k] == 0, "%s in %ld of %ld books", what[k],
		    ps.bad[k], ps.books);
	/* the generator makes both kinds of book */
	CHECKF(ps.matched > 1000 && ps.books - ps.matched > 200,
	    "%ld books, %ld matched", ps.books, ps.matched);
}

/* The slot is the caller's: an empty book clears that slot, and an order
 * for another slot in the book is an internal error. */
static void
test_slot(void)
{
	struct dk_order o[2];
	struct dk_clearing c;
	struct dk_err e;

	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_clear(o, 0, o[0].slot = 1767261600, &rules, &c, &e), 0);
	CHECK_INT(c.slot, 1767261600);
	CHECK_INT(c.matched, 0);
	dk_clearing_free(&c);
	mk(&o[0], hid('a'), "alice", DK_SELL, 100, 50);
	mk(&o[1], hid('b'), "bob", DK_BUY, 100, 60);
	o[1].slot += 1800;
	CHECK_INT(dk_clear(o, 2, o[0].slot, &rules, &c, &e), -1);
	CHECK_INT(e.status, DK_EX_SOFTWARE);
	CHECK_STR(e.msg, "clearing: an order for another slot in the book");
	free_book(o, 2);
}

int
main(void)
{
	struct dk_err e;

	memset(&e, 0, sizeof(e));
	if (dk_init(&e) < 0)
		return 1;
	memset(&rules, 0, sizeof(rules));
	strcpy(rules.currency, "EUR");
	strcpy(rules.tz, "UTC");
	strcpy(rules.mechanism, "uniform");
	memset(rules.terms, 'f', 64);
	rules.slot_minutes = 30;
	rules.retail = 300000;
	rules.buyback = 100000;
	rules.fee = 10000;
	test_one_pair();
	test_no_trade();
	test_pro_rata();
	test_margins();
	test_filter();
	test_slot();
	test_random();
	return check_done("test-market");
}
