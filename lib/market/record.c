/*
 * record.c: a clearing's records as denki-formats(5) writes them: each
 * trade (one serialiser, as text or as JSON) and the clearing itself.
 */
#include <stdlib.h>
#include <string.h>

#include "market.h"

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
