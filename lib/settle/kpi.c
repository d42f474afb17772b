/*
 * kpi.c: the platform's KPIs for a period, from the ledger alone and the
 * members' receipts (denki-kpi): matching, automatic contracts, settlement
 * completion, and the times each step took, bounded by signed times.
 */
#include <stdlib.h>
#include <string.h>

#include "settle.h"

#define UNBOUNDED	INT64_MAX

struct dk_kslot {
	int64_t t, end, gate;	/* its start, end and gate closure */
	int64_t sell_wh, buy_wh;	/* its orders in the ledger */
	int64_t matched;	/* the clearing's wh */
	long long clear_seq, contract_seq, settle_seq;	/* -1: none */
	long long autos, humans;	/* contracts made without and after
					 * a review */
	long long cancelled;	/* contracts cancelled by a halt */
};

static struct dk_kslot *
slot(struct dk_kpi *k, int64_t t, int create)
{
	char key[24];
	json_t *x;
	struct dk_kslot *s;
	size_t cap;

	snprintf(key, sizeof(key), "%lld", (long long)t);
	if ((x = json_object_get(k->byslot, key)) != NULL)
		return &k->s[json_integer_value(x)];
	if (!create)
		return NULL;
	if (k->ns == k->caps) {
		cap = k->caps ? 2 * k->caps : 64;
		if ((s = realloc(k->s, cap * sizeof(*s))) == NULL)
			return NULL;
		k->s = s;
		k->caps = cap;
	}
	s = &k->s[k->ns];
	memset(s, 0, sizeof(*s));
	s->t = t;
	s->clear_seq = s->contract_seq = s->settle_seq = -1;
	if (json_object_set_new(k->byslot, key, json_integer((json_int_t)
	    k->ns)) < 0)
		return NULL;
	return &k->s[k->ns++];
}

void
dk_kpi_init(struct dk_kpi *k)
{
	memset(k, 0, sizeof(*k));
	k->byslot = json_object();
	k->orders = json_object();
	k->pend = json_object();
	k->pairs = json_object();
	dk_state_init(&k->ik);
	k->minutes = 30;
	k->gate_min = DK_GATE_DEFAULT;
	snprintf(k->tz, sizeof(k->tz), "UTC");
	k->from = INT64_MIN;
	k->to = INT64_MAX;
}

void
dk_kpi_free(struct dk_kpi *k)
{
	size_t i;

	free(k->s);
	free(k->cp);
	free(k->cs);
	json_decref(k->byslot);
	json_decref(k->orders);
	json_decref(k->pend);
	json_decref(k->pairs);
	dk_state_free(&k->ik);
	for (i = 0; i < DK_KPI_DISTS; i++)
		free(k->d[i].v);
	memset(k, 0, sizeof(*k));
}

/* The time of the first checkpoint with a time after entry seq: the
 * latest the entry can have been appended; UNBOUNDED when none. */
static int64_t
by(const struct dk_kpi *k, long long seq)
{
	size_t lo = 0, hi = k->ncp, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (k->cp[mid].seq <= seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < k->ncp ? k->cp[lo].t : UNBOUNDED;
}

static int
checkpoint(struct dk_kpi *k, long long seq, json_t *rec, struct dk_err *e)
{
	int64_t t;
	size_t cap;
	void *n;

	if (dk_checkpoint_bound(rec, k->wp, &t, e) < 0)
		return -1;
	if (t < 0)
		return 0;
	if (k->ncp == k->capcp) {
		cap = k->capcp ? 2 * k->capcp : 64;
		if ((n = realloc(k->cp, cap * sizeof(*k->cp))) == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		k->cp = n;
		k->capcp = cap;
	}
	k->cp[k->ncp].seq = seq;
	k->cp[k->ncp++].t = t;
	return 0;
}

/* "slot sell_order buy_order": a trade, contracted or pending (a pending
 * record holds the contract it would be, in "contract") */
static void
tradekey(char *out, size_t n, int64_t t, json_t *rec)
{
	const char *so, *bo;

	if (json_is_object(json_object_get(rec, "contract")))
		rec = json_object_get(rec, "contract");
	so = json_string_value(json_object_get(rec, "sell_order"));
	bo = json_string_value(json_object_get(rec, "buy_order"));
	snprintf(out, n, "%lld %.64s %.64s", (long long)t, so ? so : "",
	    bo ? bo : "");
}

/* "slot participant": a party to a slot's contracts: how it was settled
 * (the low two bits) and how many of them are not cancelled (the rest) */
#define PAIR_CONTRACTED	1
#define PAIR_SETTLED	2
#define PAIR_PROVISIONAL 3
static int
pair(struct dk_kpi *k, int64_t t, const char *id, int state, int only,
    int live)
{
	char key[64];
	json_t *x;
	json_int_t v;

	if (id == NULL)
		return 0;
	snprintf(key, sizeof(key), "%lld %.33s", (long long)t, id);
	x = json_object_get(k->pairs, key);
	v = x != NULL ? json_integer_value(x) : 0;
	if ((only != 0 && (v & 3) != only) || (live < 0 && x == NULL))
		return 0;
	if (state != 0)
		v = (v & ~(json_int_t)3) | state;
	return json_object_set_new(k->pairs, key, json_integer(v + 4 * live));
}

/* a contract's seller and buyer */
static int
parties(struct dk_kpi *k, int64_t t, json_t *rec, int state, int live)
{
	if (pair(k, t, json_string_value(json_object_get(rec, "seller")),
	    state, 0, live) < 0 || pair(k, t, json_string_value(
	    json_object_get(rec, "buyer")), state, 0, live) < 0)
		return -1;
	return 0;
}

static int
contract(struct dk_kpi *k, struct dk_kslot *s, long long seq, json_t *rec)
{
	char key[200];
	json_t *p;
	size_t cap;
	void *n;

	if (k->ncs == k->capcs) {
		cap = k->capcs ? 2 * k->capcs : 64;
		if ((n = realloc(k->cs, cap * sizeof(*k->cs))) == NULL)
			return -1;
		k->cs = n;
		k->capcs = cap;
	}
	k->cs[k->ncs].seq = seq;
	k->cs[k->ncs++].slot = (size_t)(s - k->s);
	tradekey(key, sizeof(key), s->t, rec);
	p = json_object_get(k->pend, key);
	if (p != NULL || json_object_get(rec, "review") != NULL) {
		s->humans++;
		if (p != NULL && json_object_set_new(k->pend, key,
		    json_true()) < 0)
			return -1;
	} else {
		s->autos++;
		s->contract_seq = seq;
	}
	return parties(k, s->t, rec, PAIR_CONTRACTED, 1);
}

static int
order(struct dk_kpi *k, json_t *rec, int64_t t, struct dk_err *e)
{
	struct dk_kslot *s;
	const char *side;
	long long wh;
	char id[65];

	if (dk_get_int(rec, "wh", 0, DK_MAX_WH, &wh, e) < 0 ||
	    (side = dk_get_str(rec, "side", e)) == NULL)
		return -1;
	if ((s = slot(k, t, 1)) == NULL || dk_line_id(rec, id) < 0 ||
	    json_object_set_new(k->orders, id, json_true()) < 0)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if (strcmp(side, "sell") == 0)
		s->sell_wh += wh;
	else
		s->buy_wh += wh;
	return 0;
}

/* The records of a slot: orders, clearing, contracts, pending trades,
 * settlements and true-ups. */
static int
slotted(struct dk_kpi *k, long long seq, const char *type, json_t *rec,
    struct dk_err *e)
{
	const char *sl;
	struct dk_kslot *s;
	long long wh;
	int64_t t;
	char key[200];

	if ((sl = dk_get_str(rec, "slot", e)) == NULL ||
	    dk_time_parse(sl, &t, e) < 0)
		return dk_failpre(e, "slot");
	if (strcmp(type, "order") == 0)
		return order(k, rec, t, e);
	if ((s = slot(k, t, strcmp(type, "clearing") == 0)) == NULL)
		return 0;	/* not cleared: ledger-verify's to refuse */
	if (strcmp(type, "clearing") == 0) {
		if (dk_get_int(rec, "wh", 0, DK_MAX_WH, &wh, e) < 0)
			return -1;
		s->clear_seq = seq;
		s->matched = wh;
		s->end = t + 60 * (int64_t)k->minutes;
		s->gate = t - 60 * (int64_t)k->gate_min;
		return 0;
	}
	if (strcmp(type, "pending") == 0) {
		tradekey(key, sizeof(key), t, rec);
		return json_object_set_new(k->pend, key, json_false()) < 0 ?
		    dk_fail(e, DK_EX_SOFTWARE, "out of memory") : 0;
	}
	if (strcmp(type, "contract") == 0)
		return contract(k, s, seq, rec) < 0 ? dk_fail(e,
		    DK_EX_SOFTWARE, "out of memory") : 0;
	if (strcmp(type, "settlement") == 0) {
		s->settle_seq = seq;
		return pair(k, t, json_string_value(json_object_get(rec,
		    "participant")), json_object_get(rec, "provisional") ?
		    PAIR_PROVISIONAL : PAIR_SETTLED, PAIR_CONTRACTED, 0) < 0 ?
		    dk_fail(e, DK_EX_SOFTWARE, "out of memory") : 0;
	}
	/* a contract cancelled by a halt: its parties owe no settlement */
	if (strcmp(type, "cancel") == 0) {
		s->cancelled++;
		return parties(k, t, rec, 0, -1) < 0 ? dk_fail(e,
		    DK_EX_SOFTWARE, "out of memory") : 0;
	}
	/* a true-up: the provisional settlement completed */
	return pair(k, t, json_string_value(json_object_get(rec,
	    "participant")), PAIR_SETTLED, PAIR_PROVISIONAL, 0) < 0 ?
	    dk_fail(e, DK_EX_SOFTWARE, "out of memory") : 0;
}

/* A dk_entry_fn: one ledger entry read. */
int
dk_kpi_entry(void *ctx, long long seq, long line, json_t *rec,
    struct dk_err *e)
{
	struct dk_kpi *k = ctx;
	const char *type = json_string_value(json_object_get(rec, "type"));
	const char *o;
	struct dk_rules r;
	int rc = 0;

	(void)line;
	k->entries = seq + 1;
	if (strcmp(type, "checkpoint") == 0)
		rc = checkpoint(k, seq, rec, e);
	else if (strcmp(type, "ledger") == 0) {
		if ((o = dk_get_str(rec, "origin", e)) == NULL)
			return -1;
		snprintf(k->origin, sizeof(k->origin), "%s", o);
	} else if (strcmp(type, "rules") == 0) {
		if ((rc = dk_rules_from_json(&r, rec, e)) == 0) {
			k->minutes = r.slot_minutes;
			snprintf(k->tz, sizeof(k->tz), "%s", r.tz);
		}
	} else if (strcmp(type, "intake") == 0) {
		if ((rc = dk_state_intake_add(&k->ik, seq, rec, e)) == 0)
			k->gate_min = k->ik.intake[k->ik.nintake - 1].
			    gate_minutes;
	} else if (strcmp(type, "order") == 0 ||
	    strcmp(type, "clearing") == 0 || strcmp(type, "contract") == 0 ||
	    strcmp(type, "pending") == 0 || strcmp(type, "settlement") == 0 ||
	    strcmp(type, "trueup") == 0 || strcmp(type, "cancel") == 0)
		rc = slotted(k, seq, type, rec, e);
	return rc < 0 ? dk_failpre(e, "%s", type) : 0;
}

static int
sample(struct dk_kpi_dist *d, int64_t v)
{
	size_t cap;
	int64_t *n;

	if (d->n == d->cap) {
		cap = d->cap ? 2 * d->cap : 64;
		if ((n = realloc(d->v, cap * sizeof(*n))) == NULL)
			return -1;
		d->v = n;
		d->cap = cap;
	}
	d->v[d->n++] = v;
	return 0;
}

/* A value of a distribution: one below zero is a step bounded before it
 * could start (before the gate closed, before the slot ended): not a
 * time but a fault, counted apart and never met (denki-kpi(1)). */
static int
timed(struct dk_kpi_dist *d, int64_t v)
{
	if (v < 0) {
		d->early++;
		return 0;
	}
	return sample(d, v);
}

static int
in_period(const struct dk_kpi *k, int64_t t)
{
	return t >= k->from && t < k->to;
}

/*
 * One receipt: an order's, signed by an intake key the ledger names, of
 * this ledger: a sample of receipt to clearing when its slot is in the
 * period and was cleared; unbounded when its order is not in the book.
 */
static int
receipt(struct dk_kpi *k, json_t *r, struct dk_err *e)
{
	const struct dk_intakekey *ik;
	const struct dk_kslot *s;
	struct dk_key key;
	const char *kb;
	int64_t t, got, start, end;

	if ((kb = dk_get_str(r, "key", e)) == NULL ||
	    dk_key_from_b64(&key, kb, e) < 0)
		return -1;
	if ((ik = dk_state_intake(&k->ik, key.pk)) == NULL)
		return dk_fail(e, DK_EX_DATAERR, "key: no intake record of the "
		    "ledger names it");
	if (dk_receipt_check(r, ik->pk, e) < 0)
		return -1;
	if (strcmp(json_string_value(json_object_get(r, "origin")),
	    k->origin) != 0)
		return dk_fail(e, DK_EX_DATAERR, "origin: \"%.100s\": a "
		    "receipt of another ledger", json_string_value(
		    json_object_get(r, "origin")));
	if (strcmp(json_string_value(json_object_get(r, "kind")), "order")
	    != 0)
		return 0;
	if (dk_time_parse(json_string_value(json_object_get(r, "slot")), &t,
	    e) < 0 || dk_time_parse(json_string_value(json_object_get(r,
	    "received")), &got, e) < 0)
		return -1;
	if (!in_period(k, t) || (s = slot(k, t, 0)) == NULL ||
	    s->clear_seq < 0)
		return 0;
	start = t - 60 * (int64_t)ik->gate_minutes;
	if (got > start)
		start = got;
	end = json_object_get(k->orders, json_string_value(json_object_get(r,
	    "id"))) != NULL ? by(k, s->clear_seq) : UNBOUNDED;
	if (end == UNBOUNDED)
		k->censored += json_object_get(k->orders, json_string_value(
		    json_object_get(r, "id"))) == NULL;
	return timed(&k->d[DK_KPI_RECEIPT], end == UNBOUNDED ? UNBOUNDED :
	    end - start) < 0 ? dk_fail(e, DK_EX_SOFTWARE, "out of memory") :
	    0;
}

/* The receipts of the file path, each checked; a bad one fails, named
 * by its line. */
int
dk_kpi_receipts(struct dk_kpi *k, const char *path, struct dk_err *e)
{
	struct dk_reader rd;
	json_t *r;
	char *line;
	long n;
	int rc = 0;

	if (dk_reader_open(&rd, path, e) < 0)
		return -1;
	k->with_receipts = 1;
	while (rc == 0 && (n = dk_reader_next(&rd, &line, e)) >= 0) {
		if (n == 0)
			continue;
		if ((r = dk_parse(line, (size_t)n, e)) == NULL ||
		    receipt(k, r, e) < 0)
			rc = dk_failpre(e, "%s:%ld", rd.name, rd.line);
		json_decref(r);
	}
	if (rc == 0 && e->status != 0)
		rc = -1;
	dk_reader_close(&rd);
	return rc;
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* the nearest-rank percentile p of n sorted values */
static int64_t
rank(const int64_t *v, size_t n, int p)
{
	size_t r = (n * (size_t)p + 99) / 100;

	return v[r > 0 ? r - 1 : 0];
}

static void
dist_done(struct dk_kpi_dist *d, int64_t limit)
{
	size_t i;

	d->limit = limit;
	d->met = d->early == 0;
	if (d->n == 0)
		return;
	qsort(d->v, d->n, sizeof(*d->v), cmp64);
	d->p50 = rank(d->v, d->n, 50);
	d->p99 = rank(d->v, d->n, 99);
	d->max = d->v[d->n - 1];
	for (i = 0; i < d->n; i++) {
		d->over += d->v[i] > limit;
		d->unbounded += d->v[i] == UNBOUNDED;
	}
	d->met = d->p99 <= limit && d->early == 0;
}

/*
 * The figures of the slots of [from, to) from what the scan read (after
 * dk_kpi_receipts): 0, or -1 with e when no slot of it was cleared.
 */
int
dk_kpi_figures(struct dk_kpi *k, struct dk_err *e)
{
	const struct dk_kslot *s;
	const char *key;
	json_t *x;
	size_t i;
	int64_t t, v;
	void *tmp;

	for (i = 0; i < k->ns; i++) {
		s = &k->s[i];
		if (s->clear_seq < 0 || !in_period(k, s->t))
			continue;
		k->slots++;
		k->r[DK_KPI_MATCH].num += s->matched;
		k->r[DK_KPI_MATCH].den += s->sell_wh < s->buy_wh ?
		    s->sell_wh : s->buy_wh;
		k->r[DK_KPI_AUTO].num += s->autos;
		k->r[DK_KPI_AUTO].den += s->autos + s->humans;
		/* a negative value: its contracts are counted below */
		if (s->autos > 0 && ((v = by(k, s->contract_seq)) ==
		    UNBOUNDED || v >= s->gate) && sample(&k->d[DK_KPI_CONTRACT],
		    v == UNBOUNDED ? v : v - s->gate) < 0)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		if (s->autos + s->humans > s->cancelled &&
		    timed(&k->d[DK_KPI_SETTLE],
		    s->settle_seq < 0 || (v = by(k, s->settle_seq)) ==
		    UNBOUNDED ? UNBOUNDED : v - s->end) < 0)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	}
	/* contracts, with or without a person, bounded before their gate */
	for (i = 0; i < k->ncs; i++) {
		s = &k->s[k->cs[i].slot];
		if (s->clear_seq >= 0 && in_period(k, s->t) &&
		    by(k, k->cs[i].seq) < s->gate)
			k->d[DK_KPI_CONTRACT].early++;
	}
	/* pending trades never contracted: rejected or expired */
	json_object_foreach_safe(k->pend, tmp, key, x) {
		t = strtoll(key, NULL, 10);
		if (!json_is_true(x) && in_period(k, t) &&
		    (s = slot(k, t, 0)) != NULL && s->clear_seq >= 0)
			k->r[DK_KPI_AUTO].den++;
	}
	json_object_foreach_safe(k->pairs, tmp, key, x) {
		t = strtoll(key, NULL, 10);
		if (!in_period(k, t) || (s = slot(k, t, 0)) == NULL ||
		    s->clear_seq < 0 || json_integer_value(x) < 4)
			continue;
		k->r[DK_KPI_SETTLED].den++;
		k->r[DK_KPI_SETTLED].num += (json_integer_value(x) & 3) ==
		    PAIR_SETTLED;
	}
	k->r[DK_KPI_MATCH].target_bp = 9000;
	k->r[DK_KPI_AUTO].target_bp = 9500;
	k->r[DK_KPI_SETTLED].target_bp = 9900;
	k->met = 1;
	for (i = 0; i < DK_KPI_RATIOS; i++)
		if (k->r[i].den > 0 && k->r[i].num * 10000 <
		    k->r[i].target_bp * k->r[i].den)
			k->met = 0;
	dist_done(&k->d[DK_KPI_RECEIPT], DK_LATE_CLEAR);
	dist_done(&k->d[DK_KPI_CONTRACT], DK_LATE_CONTRACT);
	dist_done(&k->d[DK_KPI_SETTLE], DK_LATE_SETTLE);
	for (i = 0; i < DK_KPI_DISTS; i++)
		if ((k->d[i].n > 0 || k->d[i].early > 0) && !k->d[i].met)
			k->met = 0;
	if (k->slots == 0)
		return dk_fail(e, DK_EX_DATAERR, "no slot of the period was "
		    "cleared: nothing to measure");
	return 0;
}

static const char *const rname[DK_KPI_RATIOS] = { "matching_rate",
    "automatic_contracts", "settlement_completion" };
static const char *const dname[DK_KPI_DISTS] = { "receipt_to_clearing",
    "clearing_to_contract", "end_to_settlement" };

static json_t *
secs(int64_t v)
{
	return v == UNBOUNDED ? json_null() : json_integer(v);
}

static json_t *
met(int measured, int ok)
{
	return measured ? json_boolean(ok) : json_null();
}

static json_t *
pj(const char *period)
{
	return period ? json_string(period) : json_null();
}

/* The KPI records and the summary, in order (denki-formats(5), kpi). */
json_t *
dk_kpi_json(const struct dk_kpi *k, const char *period)
{
	json_t *a = json_array(), *x;
	const struct dk_kpi_ratio *r;
	const struct dk_kpi_dist *d;
	char from[40], to[40];
	size_t i;

	for (i = 0; i < DK_KPI_RATIOS; i++) {
		r = &k->r[i];
		x = json_pack("{s:s,s:i,s:s,s:o,s:I,s:I,s:I}", "type", "kpi",
		    "v", 2, "kpi", rname[i], "period", pj(period), "num",
		    (json_int_t)r->num, "den", (json_int_t)r->den,
		    "target_bp", (json_int_t)r->target_bp);
		json_object_set_new(x, "value_bp", r->den > 0 ?
		    json_integer(r->num * 10000 / r->den) : json_null());
		json_object_set_new(x, "met", met(r->den > 0, r->num * 10000 >=
		    r->target_bp * r->den));
		json_array_append_new(a, x);
	}
	for (i = 0; i < DK_KPI_DISTS; i++) {
		d = &k->d[i];
		x = json_pack("{s:s,s:i,s:s,s:o,s:I,s:I,s:I,s:I,s:I}",
		    "type", "kpi", "v", 2, "kpi", dname[i], "period",
		    pj(period), "n", (json_int_t)d->n, "limit",
		    (json_int_t)d->limit, "over", (json_int_t)d->over,
		    "unbounded", (json_int_t)d->unbounded, "early",
		    (json_int_t)d->early);
		json_object_set_new(x, "p50", d->n ? secs(d->p50) :
		    json_null());
		json_object_set_new(x, "p99", d->n ? secs(d->p99) :
		    json_null());
		json_object_set_new(x, "max", d->n ? secs(d->max) :
		    json_null());
		json_object_set_new(x, "met", met(d->n > 0 || d->early > 0,
		    d->met));
		if (i == DK_KPI_RECEIPT && k->with_receipts)
			json_object_set_new(x, "censored",
			    json_integer(k->censored));
		json_array_append_new(a, x);
	}
	if (period == NULL || dk_time_utc(k->from, from, sizeof(from)) < 0)
		from[0] = '\0';
	if (period == NULL || dk_time_utc(k->to, to, sizeof(to)) < 0)
		to[0] = '\0';
	x = json_pack("{s:s,s:i,s:I,s:I,s:b}", "type", "kpis", "v", 1,
	    "slots", (json_int_t)k->slots, "entries", (json_int_t)k->entries,
	    "met", k->met);
	json_object_set_new(x, "period", period ? json_string(period) :
	    json_null());
	json_object_set_new(x, "from", from[0] ? json_string(from) :
	    json_null());
	json_object_set_new(x, "to", to[0] ? json_string(to) : json_null());
	json_array_append_new(a, x);
	return a;
}

/* seconds as [-]H:MM:SS, or "unbounded" */
static const char *
hms(int64_t v, char *out, size_t n)
{
	int64_t a = v < 0 ? -v : v;

	if (v == UNBOUNDED)
		snprintf(out, n, "unbounded");
	else
		snprintf(out, n, "%s%lld:%02lld:%02lld", v < 0 ? "-" : "",
		    (long long)(a / 3600), (long long)(a / 60 % 60),
		    (long long)(a % 60));
	return out;
}

static const char *const rlabel[DK_KPI_RATIOS] = { "matching rate",
    "automatic contracts", "settlement completion" };
static const char *const runit[DK_KPI_RATIOS] = { "Wh matchable",
    "trades", "contracted member-slots" };
static const char *const dlabel[DK_KPI_DISTS] = { "receipt to clearing",
    "clearing to contract", "slot end to settlement" };
static const char *const dearly[DK_KPI_DISTS] = { "before gate closure",
    "before gate closure", "before slot end" };

/* The KPIs as a table for people. */
void
dk_kpi_text(FILE *fp, const struct dk_kpi *k, const char *period)
{
	const struct dk_kpi_ratio *r;
	const struct dk_kpi_dist *d;
	char a[24], b[24], c[24], l[24];
	long long bp;
	size_t i;

	fprintf(fp, "period %s: %lld slots cleared, %lld ledger entries "
	    "read\n\n%-22s %-42s %-10s %s\n", period ? period : "(all)", k->slots, k->entries,
	    "kpi", "value", "target", "met");
	for (i = 0; i < DK_KPI_RATIOS; i++) {
		r = &k->r[i];
		bp = r->den > 0 ? r->num * 10000 / r->den : 0;
		snprintf(a, sizeof(a), "%lld.%02lld%%", bp / 100, bp % 100);
		snprintf(b, sizeof(b), ">= %lld%%", r->target_bp / 100);
		fprintf(fp, "%-22s %-42s %-10s %-4s %lld of %lld %s\n",
		    rlabel[i], r->den > 0 ? a : "-", b, r->den == 0 ? "-" :
		    r->num * 10000 >= r->target_bp * r->den ? "yes" : "NO",
		    r->num, r->den, runit[i]);
	}
	for (i = 0; i < DK_KPI_DISTS; i++) {
		d = &k->d[i];
		hms(d->limit, l, sizeof(l));
		if (d->n == 0 && d->early > 0) {
			fprintf(fp, "%-22s %-42s <= %-7s NO   0 measured, %lld "
			    "%s\n", dlabel[i], "-", l, d->early, dearly[i]);
			continue;
		}
		if (d->n == 0) {
			fprintf(fp, "%-22s %-42s <= %-7s -    %s\n", dlabel[i],
			    "-", l, i == DK_KPI_RECEIPT && !k->with_receipts ?
			    "no receipts given (-R)" : "nothing measured");
			continue;
		}
		snprintf(c, sizeof(c), "%s", hms(d->max, a, sizeof(a)));
		fprintf(fp, "%-22s p50 %-10s p99 %-10s max %-10s <= %-7s %-4s "
		    "%zu measured, %lld over", dlabel[i], hms(d->p50, a, sizeof(a)),
		    hms(d->p99, b, sizeof(b)), c, l, d->met ? "yes" : "NO",
		    d->n, d->over);
		if (d->unbounded > 0)
			fprintf(fp, ", %lld unbounded", d->unbounded);
		if (d->early > 0)
			fprintf(fp, ", %lld %s", d->early, dearly[i]);
		if (i == DK_KPI_RECEIPT && k->censored > 0)
			fprintf(fp, ", %lld not in the book", k->censored);
		fputc('\n', fp);
	}
	fprintf(fp, "\n%s\n", k->met ? "every KPI measured met its target" :
	    "a KPI missed its target");
}
