/*
 * settle.c: the settlement of one slot (dk_settle), metered energy against
 * the slot's contracts, money to the unit, made as plain records (struct
 * dk_srec) that run.c writes for settle and the JSON API converts.
 */
#include <stdlib.h>
#include <string.h>

#include "settle.h"

/*
 * Settlement of one slot.  Contracts are firm: the buyer pays the seller
 * the contract value (Wh x price, rounded by dk_value) and pays the
 * operator the platform fee (Wh x fee) on top.  Each participant's metered
 * net export (export - import, summed over its meters, netted within the
 * slot) is compared with its contracted net sale (sold - bought): a surplus
 * is bought by the utility at the buyback price, a shortfall sold to it at
 * the retail price.  Every amount moves whole from one party to another, so
 * the slot sums to exactly zero.  Rules of version 2 add the money of
 * money(): a percentage fee per contract, a tolerance band at the contract
 * price, a slot price from a series, and tax on the cooperative's fees.
 */

struct party {
	const struct dk_participant *p;
	int64_t sold, bought, imp, exp;
	int64_t paid, received, fees, upaid, ureceived;
	int64_t wheeling, rent;		/* a buyer's, inside paid */
	int64_t cval;			/* its contracts' values, both sides */
	int64_t feepct, tax, tol;	/* version 2: fee_pct, tax, tolerance */
	size_t nread;
	int contracted;
};

/*
 * The parties of a slot, found through an open-addressing hash of their
 * participant's address (index + 1 into v, 0 empty) with at least twice as
 * many slots as v can hold, so that a slot of many readings and contracts
 * stays linear.
 */
struct parties {
	struct party *v;
	size_t n;
	size_t *h, hcap;	/* a power of 2 */
};

static struct party *
party(struct parties *ps, const struct dk_participant *p)
{
	uint64_t k = (uintptr_t)p / sizeof(*p);
	size_t j, i;

	for (j = (k * 0x9E3779B97F4A7C15ULL >> 32) & (ps->hcap - 1);
	    (i = ps->h[j]) != 0; j = (j + 1) & (ps->hcap - 1))
		if (ps->v[i - 1].p == p)
			return &ps->v[i - 1];
	ps->h[j] = ps->n + 1;
	memset(&ps->v[ps->n], 0, sizeof(ps->v[ps->n]));
	ps->v[ps->n].p = p;
	return &ps->v[ps->n++];
}

struct mref {
	const char *meter;
	size_t i;
};

static int
metercmp(const void *a, const void *b)
{
	const struct mref *x = a, *y = b;
	int c = strcmp(x->meter, y->meter);

	return c ? c : (x->i < y->i ? -1 : x->i > y->i);
}

/* second[i] = 1 when a reading before readings[i] is of the same meter:
 * the readings sorted by meter and place, each after the first of its
 * meter marked.  NULL: out of memory. */
static unsigned char *
second_readings(json_t *readings)
{
	size_t n = json_array_size(readings), i;
	unsigned char *second;
	struct mref *o;
	json_t *rd;

	if ((second = calloc(n + 1, 1)) == NULL ||
	    (o = calloc(n + 1, sizeof(*o))) == NULL) {
		free(second);
		return NULL;
	}
	json_array_foreach(readings, i, rd) {
		o[i].meter = json_string_value(json_object_get(rd, "meter"));
		if (o[i].meter == NULL)
			o[i].meter = "";
		o[i].i = i;
	}
	qsort(o, n, sizeof(*o), metercmp);
	for (i = 1; i < n; i++)
		if (strcmp(o[i - 1].meter, o[i].meter) == 0)
			second[o[i].i] = 1;
	free(o);
	return second;
}

static int
partycmp(const void *a, const void *b)
{
	return strcmp(((const struct party *)a)->p->id,
	    ((const struct party *)b)->p->id);
}

/*
 * A reading's Wh into its party's and the slot's sums.  A slot holds at
 * most DK_MAX_WH each way, readings as orders, so that every amount of its
 * settlement stays below 2^53 (denki-formats(5), Units).
 */
static int
slot_reading(json_t *rd, struct party *x, int64_t *simp, int64_t *sexp,
    struct dk_err *e)
{
	int64_t imp = json_integer_value(json_object_get(rd, "import_wh"));
	int64_t exp = json_integer_value(json_object_get(rd, "export_wh"));

	int64_t si = *simp, se = *sexp;

	if (dk_add(&si, imp) < 0 || si > DK_MAX_WH)
		return dk_fail(e, DK_EX_DATAERR, "import_wh: the slot's "
		    "readings would import more than %lld Wh (%lld before "
		    "this one)", DK_MAX_WH, (long long)*simp);
	if (dk_add(&se, exp) < 0 || se > DK_MAX_WH)
		return dk_fail(e, DK_EX_DATAERR, "export_wh: the slot's "
		    "readings would export more than %lld Wh (%lld before "
		    "this one)", DK_MAX_WH, (long long)*sexp);
	*simp = si;
	*sexp = se;
	x->imp += imp;
	x->exp += exp;
	return 0;
}

/* A transfer of the slot into o; o->oom set when memory is short. */
static void
tr_add(struct dk_srecs *o, const char *from, const char *to, int64_t amount,
    const char *reason)
{
	struct dk_srec *t;

	if (dk_grow(&o->tr, o->ntr, &o->captr, sizeof(*o->tr), 256) < 0) {
		o->oom = 1;
		return;
	}
	t = &o->tr[o->ntr++];
	memset(t, 0, sizeof(*t));
	t->type = DK_SR_TRANSFER;
	t->from = from;
	t->to = to;
	t->amount = amount;
	t->reason = reason;
}

/*
 * A slot's records in JSON share their values: one JSON string a text,
 * found by its address (a participant's id, a constant), and the slot's
 * and v's, each held by every record that has it (a month's settle made
 * half a million transfers of seven values each).  No record's value is
 * changed in place, only replaced.
 */
struct recs {
	json_t *slot, *one;
	const char **k;
	json_t **v;
	size_t cap;		/* a power of 2, over twice the texts */
};

static int
recs_init(struct recs *rs, const char *ts, size_t n)
{
	for (rs->cap = 64; rs->cap < 2 * (n + 32); rs->cap *= 2)
		;
	rs->slot = json_string(ts);
	rs->one = json_integer(1);
	rs->k = calloc(rs->cap, sizeof(*rs->k));
	rs->v = calloc(rs->cap, sizeof(*rs->v));
	return rs->slot && rs->one && rs->k && rs->v ? 0 : -1;
}

static void
recs_free(struct recs *rs)
{
	size_t i;

	for (i = 0; rs->v != NULL && i < rs->cap; i++)
		json_decref(rs->v[i]);
	json_decref(rs->slot);
	json_decref(rs->one);
	free(rs->k);
	free(rs->v);
}

/* The string s, shared; NULL: out of memory. */
static json_t *
jstr(struct recs *rs, const char *s)
{
	size_t j = (((uintptr_t)s >> 3) * 0x9E3779B97F4A7C15ULL >> 40) &
	    (rs->cap - 1);

	for (; rs->k[j] != NULL; j = (j + 1) & (rs->cap - 1))
		if (rs->k[j] == s)
			return rs->v[j];
	if ((rs->v[j] = json_string(s)) != NULL)
		rs->k[j] = s;
	return rs->v[j];
}

/* Value x into o at key k, shared: -1 when x is NULL or memory short. */
static int
put(json_t *o, const char *k, json_t *x)
{
	return x == NULL ? -1 : json_object_set_nocheck(o, k, x);
}

/* n into o at key k: -1 when memory is short. */
static int
put_int(json_t *o, const char *k, int64_t n)
{
	return json_object_set_new_nocheck(o, k, json_integer((json_int_t)n));
}

/* Record x as JSON, its members in json_pack's order before (not parsed
 * from a format for each of a month's 144,000); NULL: out of memory. */
static json_t *
srec_json(struct recs *rs, const struct dk_srec *x)
{
	json_t *t = json_object();
	int bad;

	if (t == NULL)
		return NULL;
	if (x->type == DK_SR_TRANSFER)
		bad = put(t, "type", jstr(rs, "transfer")) < 0 ||
		    put(t, "v", rs->one) < 0 || put(t, "slot", rs->slot) < 0 ||
		    put(t, "from", jstr(rs, x->from)) < 0 ||
		    put(t, "to", jstr(rs, x->to)) < 0 ||
		    put_int(t, "amount", x->amount) < 0 ||
		    put(t, "reason", jstr(rs, x->reason)) < 0;
	else
		bad = put(t, "type", jstr(rs, "settlement")) < 0 ||
		    put(t, "v", rs->one) < 0 || put(t, "slot", rs->slot) < 0 ||
		    put(t, "participant", jstr(rs, x->p->id)) < 0 ||
		    put_int(t, "sold_wh", x->sold) < 0 ||
		    put_int(t, "bought_wh", x->bought) < 0 ||
		    put_int(t, "export_wh", x->exp) < 0 ||
		    put_int(t, "import_wh", x->imp) < 0 ||
		    put_int(t, "deviation_wh", x->dev) < 0 ||
		    put_int(t, "p2p_paid", x->paid) < 0 ||
		    put_int(t, "p2p_received", x->received) < 0 ||
		    put_int(t, "fees", x->fees) < 0 ||
		    put_int(t, "utility_paid", x->upaid) < 0 ||
		    put_int(t, "utility_received", x->ureceived) < 0 ||
		    put_int(t, "net", x->net) < 0 ||
		    ((x->flags & DK_SR_FEE_PCT) &&
		    put_int(t, "fee_pct", x->feepct) < 0) ||
		    ((x->flags & DK_SR_TAX) && put_int(t, "tax", x->tax) < 0) ||
		    ((x->flags & DK_SR_TOL) &&
		    put_int(t, "tolerance_wh", x->tol) < 0) ||
		    ((x->flags & DK_SR_IMB) &&
		    put_int(t, "imbalance_price", x->imb) < 0) ||
		    ((x->flags & DK_SR_SPLIT) &&
		    (put_int(t, "wheeling", x->wheeling) < 0 ||
		    put_int(t, "rent", x->rent) < 0));
	if (bad) {
		json_decref(t);
		return NULL;
	}
	return t;
}

/* The records of o as JSON, appended to out (the settlements, then the
 * transfers), sharing their values; -1: out of memory. */
static int
srecs_json(const struct dk_srecs *o, json_t *out)
{
	struct recs rs = { 0 };
	size_t i;
	int rc = 0;

	if (recs_init(&rs, o->ts, o->nset + o->ntr) < 0)
		rc = -1;
	for (i = 0; rc == 0 && i < o->nset + o->ntr; i++)
		if (json_array_append_new(out, srec_json(&rs, i < o->nset ?
		    &o->set[i] : &o->tr[i - o->nset])) < 0)
			rc = -1;
	recs_free(&rs);
	return rc;
}

json_t *
dk_srec_json(const struct dk_srec *x, const char *ts)
{
	struct recs rs = { 0 };
	json_t *j = NULL;

	if (recs_init(&rs, ts, 4) == 0)
		j = srec_json(&rs, x);
	recs_free(&rs);
	return j;
}

void
dk_srecs_free(struct dk_srecs *o)
{
	free(o->set);
	free(o->tr);
	free(o->c);
	memset(o, 0, sizeof(*o));
}

/*
 * The percentage fee of a contract of value val: fee_bps of it to the
 * operator, from the buyer, the seller, or both (the buyer the first
 * half).  -1 beyond the limits.
 */
static int
fee_pct(const struct dk_rules *r, int64_t val, struct party *b,
    struct party *s, struct dk_srecs *o)
{
	int64_t all, bp = 0, sp = 0;

	if (r->fee_bps == 0)
		return 0;
	if (dk_share(val, r->fee_bps, 10000, &all) < 0)
		return -1;
	if (r->fee_payer == DK_PAYER_BUYER)
		bp = all;
	else if (r->fee_payer == DK_PAYER_SELLER)
		sp = all;
	else if (dk_share(all, 1, 2, &bp) < 0)
		return -1;
	else
		sp = all - bp;
	if (dk_add(&b->feepct, bp) < 0 || dk_add(&s->feepct, sp) < 0)
		return -1;
	if (bp != 0)
		tr_add(o, b->p->id, "operator", bp, "fee_pct");
	if (sp != 0)
		tr_add(o, s->p->id, "operator", sp, "fee_pct");
	return 0;
}

/*
 * A participant's deviation dev with the utility: the part within the
 * tolerance band at its contract price, the rest at the imbalance price
 * (imb, a series' price for the slot, or -1: buyback for a surplus,
 * retail for a shortfall); then the tax on its fees.  -1 beyond the
 * limits.
 */
static int
money(const struct dk_rules *r, struct party *x, int64_t dev, int64_t imb,
    struct dk_srecs *o)
{
	int64_t cwh = x->sold + x->bought, band = 0, pct, amt, rest;
	const char *id = x->p->id;

	if (cwh > 0 && (r->tol_wh > 0 || r->tol_pct > 0)) {
		if (dk_share(cwh, r->tol_pct, 100, &pct) < 0)
			return -1;
		band = pct > r->tol_wh ? pct : r->tol_wh;
		x->tol = dev > band ? band : dev < -band ? -band : dev;
		if (dk_share(x->tol < 0 ? -x->tol : x->tol, x->cval, cwh,
		    &amt) < 0 || dk_add(x->tol > 0 ? &x->ureceived :
		    &x->upaid, amt) < 0)
			return -1;
		if (x->tol > 0 && amt != 0)
			tr_add(o, "utility", id, amt, "tolerance");
		else if (x->tol < 0 && amt != 0)
			tr_add(o, id, "utility", amt, "tolerance");
	}
	rest = dev - x->tol;
	if (rest > 0) {
		if (dk_value(rest, imb >= 0 ? imb : r->buyback, &amt) < 0 ||
		    dk_add(&x->ureceived, amt) < 0)
			return -1;
		tr_add(o, "utility", id, amt, "surplus");
	} else if (rest < 0) {
		if (dk_value(-rest, imb >= 0 ? imb : r->retail, &amt) < 0 ||
		    dk_add(&x->upaid, amt) < 0)
			return -1;
		tr_add(o, id, "utility", amt, "shortfall");
	}
	amt = x->fees;
	if (r->tax_bps > 0 && (dk_add(&amt, x->feepct) < 0 ||
	    dk_share(amt, r->tax_bps, 10000, &x->tax) < 0))
		return -1;
	if (x->tax != 0)
		tr_add(o, id, "operator", x->tax, "tax");
	return 0;
}

/* The slot's imbalance price under rules r: the audit's, given; or its
 * series' (read by the configuration); -1 when the rules have none. */
static int
imbalance(const struct dk_rules *r, int64_t slot, const char *ts,
    int64_t *imb, struct dk_err *e)
{
	int rc;

	*imb = -1;
	if (r->imbalance[0] == '\0')
		return 0;
	if (r->imb_given) {
		*imb = r->imb_price;
		return 0;
	}
	if ((rc = dk_series_price(r->imbalance, slot, imb, e)) < 0)
		return dk_failpre(e, "slot %s", ts);
	if (rc == 0)
		return dk_fail(e, DK_EX_DATAERR, "slot %s: cleared under the "
		    "imbalance series %.16s..., which prices.imbalance does "
		    "not name (a file of another SHA-256, or none)", ts,
		    r->imbalance);
	return 0;
}

/* The settlement of party x, with the fields of version 2 it has under
 * rules r (and the buyer's price apart: split), into o. */
static void
set_add(struct dk_srecs *o, const struct dk_rules *r, const struct party *x,
    int64_t dev, int64_t net, int64_t imb, int split)
{
	struct dk_srec *t;

	if (dk_grow(&o->set, o->nset, &o->capset, sizeof(*o->set), 256) < 0) {
		o->oom = 1;
		return;
	}
	t = &o->set[o->nset++];
	memset(t, 0, sizeof(*t));
	t->type = DK_SR_SETTLEMENT;
	t->p = x->p;
	t->sold = x->sold;
	t->bought = x->bought;
	t->exp = x->exp;
	t->imp = x->imp;
	t->dev = dev;
	t->paid = x->paid;
	t->received = x->received;
	t->fees = x->fees;
	t->upaid = x->upaid;
	t->ureceived = x->ureceived;
	t->net = net;
	t->feepct = x->feepct;
	t->tax = x->tax;
	t->tol = x->tol;
	t->imb = imb;
	t->wheeling = x->wheeling;
	t->rent = x->rent;
	t->flags = (r->fee_bps > 0 ? DK_SR_FEE_PCT : 0) |
	    (r->tax_bps > 0 ? DK_SR_TAX : 0) |
	    (r->tol_wh > 0 || r->tol_pct > 0 ? DK_SR_TOL : 0) |
	    (imb >= 0 ? DK_SR_IMB : 0) | (split ? DK_SR_SPLIT : 0);
}

/*
 * The settlement of a slot from its readings, or (readings NULL) from
 * nets, each participant's metered net export in Wh by its id: what an
 * audit without the openings of a slot's committed readings can replay.
 * Its contracts are the nc at c; its records into o (emptied first).
 * With unread set, 1 when a participant of the slot has a meter without
 * a reading (nothing settled: dk_settle_prov's case), else the error.
 */
static int
settle(int64_t slot, const struct dk_contract *const *c, size_t nc,
    json_t *readings, json_t *nets, const struct dk_registry *reg,
    const struct dk_rules *r, int unread, struct dk_srecs *o,
    struct dk_err *e)
{
	size_t n = 0, i, j, cap;
	struct parties pt;
	struct party *v, *s, *b, *x;
	unsigned char *second;
	const struct dk_participant *p;
	json_t *rd;
	int64_t val, fee, dev, bval, grid, rent, net, imb;
	int64_t simp = 0, sexp = 0, swh = 0;	/* the slot's, for its limit */
	const char *what;
	int split = 0;		/* contracts with a buyer's price apart */
	json_t *none = NULL;
	const char *id;

	e->item = -1;
	o->nset = o->ntr = 0;
	o->oom = 0;
	if (readings == NULL)
		readings = none = json_array();
	cap = nc * 2 + json_array_size(readings) + json_object_size(nets) + 1;
	for (pt.hcap = 64; pt.hcap < 2 * cap; pt.hcap *= 2)
		;
	pt.n = 0;
	pt.v = v = calloc(cap, sizeof(*v));
	pt.h = calloc(pt.hcap, sizeof(*pt.h));
	second = second_readings(readings);
	if (v == NULL || pt.h == NULL || second == NULL) {
		free(v);
		free(pt.h);
		free(second);
		json_decref(none);
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	}
	dk_time_format(slot, r->tz, o->ts, sizeof(o->ts));
	if (imbalance(r, slot, o->ts, &imb, e) < 0)
		goto fail;
	for (i = 0; i < nc; i++) {
		int64_t wh = c[i]->wh, price = c[i]->price, cfee = c[i]->fee;
		int64_t bp = (c[i]->has & DK_C_BUY_PRICE) ? c[i]->buy_price :
		    price;
		int64_t wheel = c[i]->wheeling;
		const struct dk_participant *ps, *pb;

		ps = c[i]->seller[0] ? dk_registry_find(reg, c[i]->seller) :
		    NULL;
		pb = c[i]->buyer[0] ? dk_registry_find(reg, c[i]->buyer) :
		    NULL;
		if (ps == NULL || pb == NULL) {
			dk_fail(e, DK_EX_DATAERR, "contract %zu: a party is "
			    "not in the registry", i);
			goto fail;
		}
		s = party(&pt, ps);
		s->contracted = 1;
		b = party(&pt, pb);
		b->contracted = 1;
		if (c[i]->has & DK_C_BUY_PRICE)
			split = 1;
		/* admitted contracts stay far inside these bounds (see
		 * denki-formats(5), Units); a ledger that breaks them is
		 * refused here rather than settled with wrapped sums */
		what = "wh";
		if (wh < 1 || wh > DK_MAX_WH || dk_add(&swh, wh) < 0 ||
		    swh > DK_MAX_WH)
			goto range;
		what = "price";
		if (price < 0 || price > DK_MAX_PRICE || bp < price ||
		    bp > DK_MAX_PRICE || cfee < 0 || cfee > DK_MAX_PRICE ||
		    wheel < 0 || wheel > DK_MAX_PRICE)
			goto range;
		what = "value";
		if (dk_value(wh, price, &val) < 0 ||
		    dk_value(wh, cfee, &fee) < 0 ||
		    dk_value(wh, bp, &bval) < 0 ||
		    dk_value(wh, wheel, &grid) < 0)
			goto range;
		/* the buyer's price covers the seller's, the grid's wheeling
		 * and a rent (congestion, or McAfee's reduction) for the
		 * operator; rounding is taken from the grid's share, so that
		 * neither goes negative and the slot sums to zero */
		if (grid > bval - val)
			grid = bval - val;
		rent = bval - val - grid;
		what = "sum";
		if (dk_add(&s->sold, wh) < 0 || dk_add(&b->bought, wh) < 0 ||
		    dk_add(&b->paid, bval) < 0 || dk_add(&b->paid, fee) < 0 ||
		    dk_add(&b->fees, fee) < 0 ||
		    dk_add(&b->wheeling, grid) < 0 ||
		    dk_add(&b->rent, rent) < 0 ||
		    dk_add(&s->received, val) < 0 ||
		    dk_add(&s->cval, val) < 0 || dk_add(&b->cval, val) < 0)
			goto range;
		tr_add(o, pb->id, ps->id, val, "p2p");
		if (fee != 0)
			tr_add(o, pb->id, "operator", fee, "fee");
		if (fee_pct(r, val, b, s, o) < 0)
			goto range;
		if (grid != 0)
			tr_add(o, pb->id, "grid", grid, "wheeling");
		if (rent != 0)
			tr_add(o, pb->id, "operator", rent, "rent");
	}
	json_array_foreach(readings, i, rd) {
		const char *m = json_string_value(json_object_get(rd, "meter"));

		if ((p = dk_registry_meter(reg, m)) == NULL) {
			dk_fail(e, DK_EX_DATAERR, "meter %s is not in the "
			    "registry", m);
			e->item = (long)i;
			goto fail;
		}
		/* found good ahead by the key the registry still has: what
		 * dk_reading_verify would find (a signed reading, its key) */
		if ((o->ok == NULL || o->ok[i] == NULL || o->ok[i] !=
		    dk_participant_meter_key(p, m) || json_object_get(rd,
		    "sig") == NULL) && dk_reading_verify(rd, p, e) < 0) {
			e->item = (long)i;
			goto fail;
		}
		if (second[i]) {
			dk_fail(e, DK_EX_DATAERR, "a second reading of meter "
			    "%s", m);
			e->item = (long)i;
			goto fail;
		}
		x = party(&pt, p);
		if (slot_reading(rd, x, &simp, &sexp, e) < 0) {
			e->item = (long)i;
			goto fail;
		}
		x->nread++;
	}
	json_object_foreach(nets, id, rd) {
		net = json_integer_value(rd);
		if ((p = dk_registry_find(reg, id)) == NULL) {
			dk_fail(e, DK_EX_DATAERR, "participant %s is not in "
			    "the registry", id);
			goto fail;
		}
		if (net < -DK_MAX_WH || net > DK_MAX_WH) {
			dk_fail(e, DK_EX_DATAERR, "participant %s: a net export "
			    "of %lld Wh, beyond the limits of a slot", id,
			    (long long)net);
			goto fail;
		}
		x = party(&pt, p);
		x->exp = net > 0 ? net : 0;
		x->imp = net < 0 ? -net : 0;
		x->nread = p->nmeters;
	}
	n = pt.n;
	for (i = 0; unread && i < n; i++)
		if (v[i].nread != v[i].p->nmeters) {
			o->nset = o->ntr = 0;
			free(v);
			free(pt.h);
			free(second);
			json_decref(none);
			return 1;
		}
	qsort(v, n, sizeof(*v), partycmp);
	for (i = 0; i < n; i++) {
		x = &v[i];
		if (x->nread != x->p->nmeters) {
			for (j = 0; j < x->p->nmeters; j++) {
				size_t k, found = 0;
				json_array_foreach(readings, k, rd)
					if (strcmp(x->p->meters[j],
					    json_string_value(json_object_get(
					    rd, "meter"))) == 0)
						found = 1;
				if (!found)
					break;
			}
			dk_fail(e, DK_EX_DATAERR, "slot %s: no reading for "
			    "meter %s of participant %s", o->ts,
			    j < x->p->nmeters ? x->p->meters[j] : "?",
			    x->p->id);
			goto fail;
		}
		/* each term is at most DK_MAX_WH, the slot's limit */
		dev = (x->exp - x->imp) - (x->sold - x->bought);
		if (money(r, x, dev, imb, o) < 0)
			goto party_range;
		net = x->received;
		if (dk_add(&net, x->ureceived) < 0 ||
		    dk_add(&net, -x->paid) < 0 || dk_add(&net, -x->upaid) < 0 ||
		    dk_add(&net, -x->feepct) < 0 || dk_add(&net, -x->tax) < 0)
			goto party_range;
		set_add(o, r, x, dev, net, imb, split);
	}
	json_decref(none);
	free(v);
	free(pt.h);
	free(second);
	if (o->oom) {
		o->nset = o->ntr = 0;
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	}
	return 0;
range:
	dk_fail(e, DK_EX_DATAERR, "contract %zu: %s: beyond the limits of "
	    "a slot (at most %lld Wh, prices at most %lld a kWh)", i, what,
	    DK_MAX_WH, DK_MAX_PRICE);
	goto fail;
party_range:
	dk_fail(e, DK_EX_DATAERR, "slot %s: participant %s: money beyond "
	    "+-(2^53-1)", o->ts, x->p->id);
fail:
	o->nset = o->ntr = 0;
	json_decref(none);
	free(v);
	free(pt.h);
	free(second);
	return -1;
}

/*
 * The settlement of a slot's contracts as a slot's state keeps them (the
 * cancelled left out), from readings, as plain records in o (reused slot
 * after slot): what a settle run writes and applies.  1 when a participant
 * has a meter without a reading: the slot is dk_settle_prov's then.
 */
int
dk_settle_plain(int64_t slot, const struct dk_slotstate *ss,
    json_t *readings, const struct dk_registry *reg, struct dk_srecs *o,
    struct dk_err *e)
{
	const struct dk_contract **nc;
	size_t i, n = 0;

	if (o->capc < ss->nc + 1) {
		if ((nc = realloc(o->c, (ss->nc + 1) * sizeof(*nc))) == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		o->c = nc;
		o->capc = ss->nc + 1;
	}
	for (i = 0; i < ss->nc; i++)
		if (!(ss->c[i].has & DK_C_CANCELLED))
			o->c[n++] = &ss->c[i];
	return settle(slot, o->c, n, readings, NULL, reg, &ss->rules, 1, o,
	    e);
}

/* The settlement of JSON contracts into out as JSON: settle's records
 * converted, one rule for both. */
static int
settle_json(int64_t slot, json_t *contracts, json_t *readings, json_t *nets,
    const struct dk_registry *reg, const struct dk_rules *r, json_t *out,
    struct dk_err *e)
{
	struct dk_srecs o;
	struct dk_contract *cv;
	const struct dk_contract **pv;
	size_t i, n = json_array_size(contracts);
	int rc;

	memset(&o, 0, sizeof(o));
	cv = calloc(n + 1, sizeof(*cv));
	pv = calloc(n + 1, sizeof(*pv));
	if (cv == NULL || pv == NULL) {
		free(cv);
		free(pv);
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	}
	for (i = 0; i < n; i++) {
		dk_state_contract_of(json_array_get(contracts, i), &cv[i]);
		pv[i] = &cv[i];
	}
	rc = settle(slot, pv, n, readings, nets, reg, r, 0, &o, e);
	if (rc == 0 && srecs_json(&o, out) < 0)
		rc = dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	free(cv);
	free(pv);
	dk_srecs_free(&o);
	return rc;
}

int
dk_settle(int64_t slot, json_t *contracts, json_t *readings,
    const struct dk_registry *reg, const struct dk_rules *r, json_t *out,
    struct dk_err *e)
{
	return settle_json(slot, contracts, readings, NULL, reg, r, out, e);
}

/* The settlement of a slot whose readings are not at hand, from nets:
 * participant id -> its metered net export (export - import) in Wh. */
int
dk_settle_net(int64_t slot, json_t *contracts, json_t *nets,
    const struct dk_registry *reg, const struct dk_rules *r, json_t *out,
    struct dk_err *e)
{
	return settle_json(slot, contracts, NULL, nets, reg, r, out, e);
}

/* The settlement of a slot from readings and, for the participants in
 * nets, from a net export that stands in for their readings (each of
 * theirs still checked as a reading; see provisional.c). */
int
dk_settle_mixed(int64_t slot, json_t *contracts, json_t *readings,
    json_t *nets, const struct dk_registry *reg, const struct dk_rules *r,
    json_t *out, struct dk_err *e)
{
	return settle_json(slot, contracts, readings, nets, reg, r, out, e);
}
