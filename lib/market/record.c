/*
 * record.c: a clearing's records as denki-formats(5) writes them: each
 * trade (one serialiser, as text or as JSON) and the clearing itself.
 */
#include <stdlib.h>
#include <string.h>

#include "market.h"

/* a trade record's longest line: ids, names, a time and numbers */
#define TRADE_MAX	1024

static json_t *
slot_json(int64_t t, const struct dk_rules *r)
{
	char s[40];

	dk_time_format(t, r->tz, s, sizeof(s));
	return json_string(s);
}

/* s (n bytes) at p; then p after it */
static char *
put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

/* a constant (the text up to a value), then a string or a number */
#define PUTS(p, lit)	put((p), (lit), sizeof(lit) - 1)
#define STR(p, lit, s)	(((p) = PUTS((p), lit)), put((p), (s), strlen(s)))
#define NUM(p, lit, v)	\
	(((p) = PUTS((p), lit)), (p) + dk_lltoa((long long)(v), (p)))

/*
 * A trade record, written straight in canonical form (every string in it
 * is an id, a zone, a hash or a slot time, which need no escaping): the
 * one serialiser of a trade, which dk_trade_json reads back as JSON and
 * dk_trade_print writes, for a big book.  A single-price clearing
 * without zones writes the fields it always did; other rules add what
 * the buyer pays, the wheeling and the zones.  Put together by hand, not
 * by snprintf (clear writes and contract-sign compares one for every
 * trade).  Returns the length, or -1 when n bytes could not hold it.
 */
static int
trade_text(char *buf, size_t n, const char *slot, const struct dk_order *o,
    const struct dk_trade *t, const struct dk_rules *r)
{
	const struct dk_order *s = &o[t->sell], *b = &o[t->buy];
	int more = r->zonal || strcmp(r->mechanism, "uniform") != 0;
	char *p = buf;

	/* two ids, four names, a slot, five numbers and the keys */
	if (n < 2 * 65 + 4 * (DK_ID_MAX + 1) + strlen(slot) + 5 * 24 + 200)
		return -1;
	p = STR(p, "{\"buy_order\":\"", b->id);
	if (more) {
		p = NUM(p, "\",\"buy_price\":", t->buy_price);
		p = STR(p, ",\"buyer\":\"", b->participant);
	} else
		p = STR(p, "\",\"buyer\":\"", b->participant);
	if (r->zonal)
		p = STR(p, "\",\"buyer_zone\":\"", b->zone);
	p = NUM(p, "\",\"price\":", t->price);
	p = STR(p, ",\"sell_order\":\"", s->id);
	p = STR(p, "\",\"seller\":\"", s->participant);
	if (r->zonal)
		p = STR(p, "\",\"seller_zone\":\"", s->zone);
	p = STR(p, "\",\"slot\":\"", slot);
	p = NUM(p, "\",\"type\":\"trade\",\"v\":1,\"wh\":", t->wh);
	if (more)
		p = NUM(p, ",\"wheeling\":", t->wheeling);
	p = PUTS(p, "}");
	*p = '\0';
	return (int)(p - buf);
}

json_t *
dk_trade_json(const struct dk_clearing *c, const struct dk_order *o,
    const struct dk_trade *t, const struct dk_rules *r)
{
	char ts[40], buf[TRADE_MAX];
	int n;

	dk_time_format(c->slot, r->tz, ts, sizeof(ts));
	n = trade_text(buf, sizeof(buf), ts, o, t, r);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return NULL;
	return json_loadb(buf, (size_t)n, 0, NULL);
}

/* 1 when line (n bytes) is the trade's record as written here (slot: its
 * time, as the records write it), byte for byte; else 0. */
int
dk_trade_is(const char *line, size_t n, const char *slot,
    const struct dk_order *o, const struct dk_trade *t,
    const struct dk_rules *r)
{
	char buf[TRADE_MAX];
	int k = trade_text(buf, sizeof(buf), slot, o, t, r);

	return k >= 0 && (size_t)k == n && memcmp(buf, line, n) == 0;
}

/* The trade as a line; slot: its time, as the records write it. */
int
dk_trade_print(FILE *fp, const char *slot, const struct dk_order *o,
    const struct dk_trade *t, const struct dk_rules *r)
{
	char buf[TRADE_MAX];
	int n = trade_text(buf, sizeof(buf) - 1, slot, o, t, r);

	if (n < 0 || (size_t)n >= sizeof(buf) - 1)
		return -1;
	buf[n++] = '\n';
	return fwrite(buf, 1, (size_t)n, fp) == (size_t)n ? 0 : -1;
}

/* A slot's book cleared and written as denki-clear writes it: its orders
 * (in id order), its trades, its clearing. */
int
dk_book_print(FILE *fp, struct dk_book *b, const struct dk_rules *r,
    struct dk_err *e)
{
	struct dk_clearing cl;
	char ts[40];
	size_t k;
	json_t *x;

	if (dk_clear(b->o, b->n, b->slot, r, &cl, e) < 0)
		return -1;
	for (k = 0; k < b->n; k++)
		if (b->o[k].line != NULL) {
			fwrite(b->o[k].line, 1, b->o[k].len, fp);
			putc('\n', fp);
		} else
			dk_emit(fp, b->o[k].rec);
	dk_time_format(b->slot, r->tz, ts, sizeof(ts));
	for (k = 0; k < cl.nt; k++)
		dk_trade_print(fp, ts, b->o, &cl.t[k], r);
	x = dk_clearing_json(&cl, r);
	dk_emit(fp, x);
	json_decref(x);
	dk_clearing_free(&cl);
	return 0;
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
