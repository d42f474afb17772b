/*
 * report.c: the figures of denki-report, read from a whole ledger or a
 * period of it: what the community offered, matched and paid, and what
 * each member earned with the market and would have without it (its
 * statement); for denki-statement also each day and who paid whom.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settle.h"

/* The member of id, made when new; found through r->idx (id -> its
 * index), so that a ledger of many members is read in linear time. */
static struct dk_member *
member(struct dk_report *r, const char *id)
{
	struct dk_member *nm;
	json_t *i = json_object_get(r->idx, id);

	if (i != NULL)
		return &r->m[json_integer_value(i)];
	if (r->nm == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;

		if ((nm = realloc(r->m, cap * sizeof(*r->m))) == NULL)
			return NULL;
		r->m = nm;
		r->cap = cap;
	}
	if (json_object_set_new(r->idx, id, json_integer(r->nm)) < 0)
		return NULL;
	memset(&r->m[r->nm], 0, sizeof(*r->m));
	snprintf(r->m[r->nm].id, sizeof(r->m[r->nm].id), "%s", id);
	return &r->m[r->nm++];
}

/* A member already read, or NULL (a third party's name in a transfer). */
const struct dk_member *
dk_report_member(const struct dk_report *r, const char *id)
{
	json_t *i = json_object_get(r->idx, id);

	return i != NULL ? &r->m[json_integer_value(i)] : NULL;
}

/* Whether slot (a name, "2016-07-05T10:00:00+02:00") is in the period. */
static int
inperiod(const struct dk_report *r, const char *slot)
{
	if (r->from[0] == '\0')
		return 1;
	if (slot == NULL)
		return 0;
	return strncmp(slot, r->from, strlen(r->from)) >= 0 &&
	    strncmp(slot, r->to, strlen(r->to)) <= 0;
}

/*
 * The member's day of slot (its slot, with a bucket of 16), made when
 * new.  The days are kept in date order, found by halves: a member's
 * new day (most of them come after its last) is known new at once, not
 * after a look at each day it has (a period of a day: its 48 slots for
 * every member).  The room doubles at 8, 16, 32... days (nd alone says
 * how much there is).
 */
static struct dk_sday *
day(struct dk_member *m, const char *slot, int bucket)
{
	struct dk_sday *nd;
	size_t lo = 0, hi = m->nd, mid;
	int c;

	if (hi > 0 && strncmp(m->d[hi - 1].date, slot, bucket) < 0)
		lo = hi;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strncmp(m->d[mid].date, slot, bucket)) == 0)
			return &m->d[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (m->nd == 0 || (m->nd >= 8 && (m->nd & (m->nd - 1)) == 0)) {
		if ((nd = realloc(m->d, (m->nd ? m->nd * 2 : 8) *
		    sizeof(*m->d))) == NULL)
			return NULL;
		m->d = nd;
	}
	memmove(&m->d[lo + 1], &m->d[lo], (m->nd - lo) * sizeof(*m->d));
	memset(&m->d[lo], 0, sizeof(*m->d));
	/* "%.*s" of the slot, bucket (16 at most) bytes at most */
	memcpy(m->d[lo].date, slot, strnlen(slot, (size_t)bucket));
	m->nd++;
	return &m->d[lo];
}

/* The member's flow with party for reason, made when new. */
static struct dk_sflow *
flow(struct dk_member *m, const char *party, const char *reason)
{
	struct dk_sflow *nf;
	size_t i;

	for (i = 0; i < m->nf; i++)
		if (strcmp(m->f[i].party, party) == 0 &&
		    strcmp(m->f[i].reason, reason) == 0)
			return &m->f[i];
	if ((nf = realloc(m->f, (m->nf + 1) * sizeof(*m->f))) == NULL)
		return NULL;
	m->f = nf;
	memset(&m->f[m->nf], 0, sizeof(*m->f));
	snprintf(m->f[m->nf].party, sizeof(m->f[m->nf].party), "%s", party);
	snprintf(m->f[m->nf].reason, sizeof(m->f[m->nf].reason), "%s",
	    reason);
	return &m->f[m->nf++];
}

static long long
num(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* The integer at i of the array a (each of its own: json_pack's) up by
 * d, in place: 0, or -1 when there is none. */
static int
bump(json_t *a, size_t i, int64_t d)
{
	json_t *x = json_array_get(a, i);

	return json_integer_set(x, json_integer_value(x) + d);
}

/* Totals over the whole ledger grow with it; past what a record can carry
 * (2^53-1) the report is refused rather than wrong. */
static int
add(int64_t *sum, int64_t x, const char *who, const char *what,
    struct dk_err *e)
{
	if (dk_add(sum, x) < 0)
		return dk_fail(e, DK_EX_DATAERR, "%s%s%s: the ledger's total is "
		    "beyond +-(2^53-1)", who ? "participant " : "",
		    who ? who : "", what);
	return 0;
}

/* A settlement's figures, each member looked up once. */
struct sfig {
	int64_t dev, sold, bought, net;	/* deviation_wh, sold_wh, ... */
	int64_t exp, imp;	/* the export and import it counts */
};

/* A slot's figures added to a day (and the totals of the whole, for the
 * community's day, whose sums the member's checked sums bound). */
static int
addday(struct dk_sday *d, const struct sfig *f, int64_t base)
{
	d->slots++;
	return dk_add(&d->exp, f->exp) | dk_add(&d->imp, f->imp) |
	    dk_add(&d->sold, f->sold) | dk_add(&d->bought, f->bought) |
	    dk_add(&d->gout, f->dev > 0 ? f->dev : 0) |
	    dk_add(&d->gin, f->dev < 0 ? -f->dev : 0) |
	    dk_add(&d->net, f->net) | dk_add(&d->baseline, base);
}

/* DK_REPORT_DETAIL: the slot in the member's day, the community's day
 * and totals, and the community's slot. */
static int
detail(struct dk_report *r, struct dk_member *m, const struct sfig *f,
    const char *slot, int64_t base, struct dk_err *e)
{
	struct dk_sday *d, *c;
	struct dk_member *a = &r->all;
	int64_t dev = f->dev;
	json_t *cs;

	if ((d = day(m, slot, r->bucket)) == NULL ||
	    (c = day(a, slot, r->bucket)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if (add(&m->gout, dev > 0 ? dev : 0, m->id, ": deviation_wh",
	    e) < 0 || add(&m->gin, dev < 0 ? -dev : 0, m->id,
	    ": deviation_wh", e) < 0)
		return -1;
	a->slots++;
	if (add(&a->exp, f->exp, NULL, "export_wh", e) < 0 ||
	    add(&a->imp, f->imp, NULL, "import_wh", e) < 0 ||
	    add(&a->sold, f->sold, NULL, "sold_wh", e) < 0 ||
	    add(&a->bought, f->bought, NULL, "bought_wh", e) < 0 ||
	    add(&a->gout, dev > 0 ? dev : 0, NULL, "deviation_wh", e) < 0 ||
	    add(&a->gin, dev < 0 ? -dev : 0, NULL, "deviation_wh", e) < 0 ||
	    add(&a->net, f->net, NULL, "net", e) < 0 ||
	    add(&a->baseline, base, NULL, "baseline", e) < 0)
		return -1;
	/* a day's sums are within the totals just checked */
	if (addday(d, f, base) < 0 || addday(c, f, base) < 0)
		return dk_fail(e, DK_EX_DATAERR, "%s: a day's total is beyond "
		    "+-(2^53-1)", slot);
	if ((cs = json_object_get(r->cslots, slot)) == NULL) {
		json_object_set_new(r->cslots, slot, json_pack("[I,I]",
		    (json_int_t)f->exp, (json_int_t)f->imp));
		return 0;
	}
	return bump(cs, 0, f->exp) | bump(cs, 1, f->imp);
}

/* A transfer's party, a member (made when new: a membership fee comes
 * to a member that traded nothing), or NULL for a third party. */
static int
party(struct dk_report *r, const char *id, struct dk_member **m,
    struct dk_err *e)
{
	static const char *const third[] = { "utility", "operator", "grid" };
	size_t i;

	*m = NULL;
	for (i = 0; i < sizeof(third) / sizeof(third[0]); i++)
		if (strcmp(id, third[i]) == 0)
			return 0;
	if ((*m = member(r, id)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	return 0;
}

/* A transfer: the payer's and the payee's flows (a member's, by its
 * counterparty and reason), the community's by reason. */
static int
transfer(struct dk_report *r, json_t *rec, struct dk_err *e)
{
	const char *from, *to, *why;
	struct dk_member *m;
	struct dk_sflow *f;
	int64_t amt = num(rec, "amount");

	if ((from = dk_get_id(rec, "from", e)) == NULL ||
	    (to = dk_get_id(rec, "to", e)) == NULL ||
	    (why = dk_get_id(rec, "reason", e)) == NULL)
		return -1;
	r->transfers++;
	if ((f = flow(&r->all, "", why)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	f->n++;
	if (add(&f->paid, amt, NULL, "transfers", e) < 0)
		return -1;
	if (party(r, from, &m, e) < 0)
		return -1;
	if (m != NULL) {
		if ((f = flow(m, to, why)) == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		f->n++;
		if (add(&f->paid, amt, from, ": transfers", e) < 0)
			return -1;
	}
	if (party(r, to, &m, e) < 0)
		return -1;
	if (m != NULL) {
		if ((f = flow(m, from, why)) == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		f->n++;
		if (add(&f->received, amt, to, ": transfers", e) < 0)
			return -1;
	}
	return 0;
}

/* A dispute's compensating transfer (dispute.c): in its parties' net,
 * each member's received less paid, whatever the detail. */
static int
compensation(struct dk_report *r, json_t *rec, struct dk_err *e)
{
	int64_t amt = num(rec, "amount");
	const char *id[2];
	struct dk_member *m;
	int i;

	id[0] = json_string_value(json_object_get(rec, "from"));
	id[1] = json_string_value(json_object_get(rec, "to"));
	for (i = 0; i < 2; i++) {
		if (id[i] == NULL || party(r, id[i], &m, e) < 0)
			return id[i] == NULL ? dk_fail(e, DK_EX_DATAERR,
			    "transfer: from and to") : -1;
		if (m != NULL && (add(&m->comp, i ? amt : -amt, id[i],
		    ": compensation", e) < 0 || add(&m->net, i ? amt : -amt,
		    id[i], ": net", e) < 0))
			return -1;
	}
	return 0;
}

/* "slot participant": a provisional settlement's key. */
static char *
key(const char *slot, const char *id)
{
	char *k;

	if (asprintf(&k, "%s %s", slot, id) < 0)
		return NULL;
	return k;
}

/* Counters i and j (once when the same) of the day and the month of
 * slot (its local date, as the slot is written) up by one: [member-slots,
 * settled on readings, provisional, trued up]. */
static void
count(struct dk_report *r, const char *slot, size_t i, size_t j)
{
	char p[11];
	json_t *c;
	size_t n, m;

	for (n = 10; n >= 7; n -= 3) {
		/* "%.*s" of the slot, n at most */
		memcpy(p, slot, m = strnlen(slot, n));
		p[m] = '\0';
		if ((c = json_object_get(r->periods, p)) == NULL)
			json_object_set_new(r->periods, p, c = json_pack(
			    "[i,i,i,i]", 0, 0, 0, 0));
		bump(c, i, 1);
		if (j != i)
			bump(c, j, 1);
	}
}

/* A settlement: the member's slot added to its statement. */
static int
settlement(struct dk_report *r, json_t *rec, const char *slot,
    struct dk_err *e)
{
	const char *id;
	struct dk_member *m;
	struct sfig f;
	int64_t net, retail, buyback, v;
	json_t *pr, *x, *prov;

	/* the ledger's writers never leave these out; a malformed
	 * ledger is refused, whoever signed it */
	if ((id = dk_get_id(rec, "participant", e)) == NULL ||
	    dk_get_str(rec, "slot", e) == NULL)
		return -1;
	f.dev = num(rec, "deviation_wh");
	f.sold = num(rec, "sold_wh");
	f.bought = num(rec, "bought_wh");
	f.net = num(rec, "net");
	prov = json_object_get(rec, "provisional");
	/* the metered net export, from what a settlement of either version
	 * holds: a v 2 record (committed readings) has no export_wh and
	 * import_wh, and its slot counts as its net */
	net = f.dev + f.sold - f.bought;
	f.exp = (x = json_object_get(rec, "export_wh")) != NULL ?
	    json_integer_value(x) : net > 0 ? net : 0;
	f.imp = (x = json_object_get(rec, "import_wh")) != NULL ?
	    json_integer_value(x) : net < 0 ? -net : 0;
	/* the tariffs in force when the slot was cleared */
	pr = json_object_get(r->prices, slot);
	retail = pr ? json_integer_value(json_array_get(pr, 0)) :
	    r->rules.retail;
	buyback = pr ? json_integer_value(json_array_get(pr, 1)) :
	    r->rules.buyback;
	/* completion counts every period; a provisional position is kept
	 * for its true-up, in the period or not */
	count(r, slot, 0, prov ? 2 : 1);
	if (prov != NULL) {
		char *k = key(slot, id);
		if (k == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		json_object_set_new(r->provpos, k, json_pack("[I,I,I]",
		    (json_int_t)net, (json_int_t)retail, (json_int_t)buyback));
		free(k);
	}
	if (!inperiod(r, slot))
		return 0;
	if ((m = member(r, id)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if (r->first[0] == '\0' || strcmp(slot, r->first) < 0)
		snprintf(r->first, sizeof(r->first), "%s", slot);
	if (strcmp(slot, r->last) > 0)
		snprintf(r->last, sizeof(r->last), "%s", slot);
	m->slots++;
	if (add(&m->exp, f.exp, id, ": export_wh", e) < 0 ||
	    add(&m->imp, f.imp, id, ": import_wh", e) < 0 ||
	    add(&m->sold, f.sold, id, ": sold_wh", e) < 0 ||
	    add(&m->bought, f.bought, id, ": bought_wh", e) < 0 ||
	    add(&m->net, f.net, id, ": net", e) < 0)
		return -1;
	/* dk_value rounds symmetrically: -value(-net) = value(net) */
	if (dk_value(net, net > 0 ? buyback : retail, &v) < 0 ||
	    add(&m->baseline, v, id, ": baseline", e) < 0)
		return -1;
	if (r->flags & DK_REPORT_DETAIL)
		return detail(r, m, &f, slot, v, e);
	v = m->net;
	if (add(&v, -m->baseline, id, ": saving", e) < 0)
		return -1;
	return 0;
}

/* A true-up's corrections in the member's day and the community's day
 * and totals (DK_REPORT_DETAIL): dexp, dimp, dnet, dbase, and the
 * deviation dev, which the provisional settlement had as 0. */
static int
trueup_detail(struct dk_report *r, struct dk_member *m, const char *slot,
    int64_t dexp, int64_t dimp, int64_t dnet, int64_t dbase, int64_t dev,
    struct dk_err *e)
{
	struct dk_sday *d[2];
	struct dk_member *a = &r->all;
	json_t *cs;
	size_t i;

	if ((d[0] = day(m, slot, r->bucket)) == NULL ||
	    (d[1] = day(a, slot, r->bucket)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if (add(&m->gout, dev > 0 ? dev : 0, m->id, ": deviation_wh", e) < 0 ||
	    add(&m->gin, dev < 0 ? -dev : 0, m->id, ": deviation_wh", e) < 0 ||
	    add(&a->exp, dexp, NULL, "export_wh", e) < 0 ||
	    add(&a->imp, dimp, NULL, "import_wh", e) < 0 ||
	    add(&a->gout, dev > 0 ? dev : 0, NULL, "deviation_wh", e) < 0 ||
	    add(&a->gin, dev < 0 ? -dev : 0, NULL, "deviation_wh", e) < 0 ||
	    add(&a->net, dnet, NULL, "net", e) < 0 ||
	    add(&a->baseline, dbase, NULL, "baseline", e) < 0)
		return -1;
	/* a day's sums are within the totals just checked */
	for (i = 0; i < 2; i++)
		if (dk_add(&d[i]->exp, dexp) | dk_add(&d[i]->imp, dimp) |
		    dk_add(&d[i]->gout, dev > 0 ? dev : 0) |
		    dk_add(&d[i]->gin, dev < 0 ? -dev : 0) |
		    dk_add(&d[i]->net, dnet) | dk_add(&d[i]->baseline, dbase))
			return dk_fail(e, DK_EX_DATAERR, "%s: a day's total "
			    "is beyond +-(2^53-1)", slot);
	if ((cs = json_object_get(r->cslots, slot)) != NULL)
		return bump(cs, 0, dexp) | bump(cs, 1, dimp);
	return 0;
}

/*
 * A true-up: the member's provisional slot (its position counted as its
 * metered net) counted again on the metered net, position + deviation,
 * and the true-up's net added.
 */
static int
trueup(struct dk_report *r, json_t *rec, const char *slot,
    struct dk_err *e)
{
	const char *id;
	struct dk_member *m;
	json_t *pp;
	char *k;
	int64_t pos, real, v, w, dexp, dimp;

	if ((id = dk_get_id(rec, "participant", e)) == NULL ||
	    dk_get_str(rec, "slot", e) == NULL)
		return -1;
	if ((k = key(slot, id)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	pp = json_object_get(r->provpos, k);
	if (pp == NULL) {
		free(k);
		return dk_fail(e, DK_EX_DATAERR, "trueup: slot %s: participant "
		    "%s has no provisional settlement to true up", slot, id);
	}
	pos = json_integer_value(json_array_get(pp, 0));
	real = pos + num(rec, "deviation_wh");
	dexp = (real > 0 ? real : 0) - (pos > 0 ? pos : 0);
	dimp = (real < 0 ? -real : 0) - (pos < 0 ? -pos : 0);
	if (dk_value(pos, json_integer_value(json_array_get(pp, pos > 0 ?
	    2 : 1)), &v) < 0 || dk_value(real, json_integer_value(
	    json_array_get(pp, real > 0 ? 2 : 1)), &w) < 0) {
		free(k);
		return dk_fail(e, DK_EX_DATAERR, "trueup: slot %s: participant "
		    "%s: a value beyond +-(2^53-1)", slot, id);
	}
	json_object_del(r->provpos, k);
	free(k);
	count(r, slot, 3, 3);
	if (!inperiod(r, slot))
		return 0;
	if ((m = member(r, id)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if (add(&m->exp, dexp, id, ": export_wh", e) < 0 ||
	    add(&m->imp, dimp, id, ": import_wh", e) < 0 ||
	    add(&m->net, num(rec, "net"), id, ": net", e) < 0 ||
	    add(&m->baseline, w - v, id, ": baseline", e) < 0)
		return -1;
	if (r->flags & DK_REPORT_DETAIL)
		return trueup_detail(r, m, slot, dexp, dimp, num(rec, "net"),
		    w - v, num(rec, "deviation_wh"), e);
	return 0;
}

/* The tree head of a checkpoint's note (C2SP tlog-checkpoint: origin,
 * size, root hash, a line each), which the scan has checked: what a
 * statement was made from, for a member to hold later checkpoints to. */
static void
head(struct dk_report *r, const char *note)
{
	char origin[128], root[48];
	long long size;

	if (note != NULL && sscanf(note, "%127[^\n]\n%lld\n%47[^\n]", origin,
	    &size, root) == 3) {
		snprintf(r->cp_origin, sizeof(r->cp_origin), "%s", origin);
		snprintf(r->cp_root, sizeof(r->cp_root), "%s", root);
		r->cp_size = size;
	}
}

/* Each entry of the ledger, in order (the scan's callback). */
static int
entry(void *ctx, long long seq, long line, json_t *rec, struct dk_err *e)
{
	struct dk_report *r = ctx;
	const char *type = json_string_value(json_object_get(rec, "type"));
	const char *slot = json_string_value(json_object_get(rec, "slot"));
	int64_t v;

	(void)seq;
	(void)line;
	r->entries++;
	if (strcmp(type, "transfer") == 0 && json_object_get(rec, "dispute") &&
	    inperiod(r, slot) && compensation(r, rec, e) < 0)
		return -1;
	if (strcmp(type, "rules") == 0) {
		if (dk_rules_from_json(&r->rules, rec, e) < 0)
			return -1;
		r->have_rules = 1;
	} else if (strcmp(type, "checkpoint") == 0)
		head(r, json_string_value(json_object_get(rec, "note")));
	else if (strcmp(type, "participant") == 0 && json_is_string(
	    json_object_get(rec, "id")))
		json_object_set_new(r->known, json_string_value(
		    json_object_get(rec, "id")), json_true());
	else if (!inperiod(r, slot))
		return 0;
	else if (strcmp(type, "transfer") == 0 &&
	    (r->flags & DK_REPORT_DETAIL))
		return transfer(r, rec, e);
	else if (strcmp(type, "order") == 0)
		r->orders++;
	else if (strcmp(type, "clearing") == 0) {
		if (dk_get_str(rec, "slot", e) == NULL)
			return -1;
		json_object_set_new(r->prices, slot, json_pack("[I,I]",
		    (json_int_t)r->rules.retail, (json_int_t)r->rules.buyback));
		r->slots++;
		if (add(&r->sell_wh, num(rec, "sell_wh"), NULL, "sell_wh",
		    e) < 0 ||
		    add(&r->buy_wh, num(rec, "buy_wh"), NULL, "buy_wh", e) < 0 ||
		    add(&r->matchable, num(rec, "sell_wh") <
		    num(rec, "buy_wh") ? num(rec, "sell_wh") :
		    num(rec, "buy_wh"), NULL, "matchable_wh", e) < 0 ||
		    add(&r->matched, num(rec, "wh"), NULL, "matched_wh", e) < 0)
			return -1;
	} else if (strcmp(type, "contract") == 0) {
		r->contracts++;
		if (dk_value(num(rec, "wh"), num(rec, "price"), &v) < 0)
			return dk_fail(e, DK_EX_DATAERR, "contract: value "
			    "beyond +-(2^53-1)");
		if (add(&r->value, v, NULL, "contract value", e) < 0)
			return -1;
	} else if (strcmp(type, "settlement") == 0 && r->have_rules)
		return settlement(r, rec, slot, e);
	else if (strcmp(type, "trueup") == 0 && r->have_rules)
		return trueup(r, rec, slot, e);
	return 0;
}

/* The report's reading of one entry, for a program that scans the ledger
 * itself (denki-pay's writer, which holds its lock): r made by
 * dk_report_init. */
int
dk_report_entry(void *ctx, long long seq, long line, json_t *rec,
    struct dk_err *e)
{
	return entry(ctx, seq, line, rec, e);
}

/* An empty report, to feed entries to (dk_report_entry): -1 out of
 * memory. */
int
dk_report_init(struct dk_report *r)
{
	memset(r, 0, sizeof(*r));
	r->bucket = 10;
	return (r->prices = json_object()) == NULL ||
	    (r->cslots = json_object()) == NULL ||
	    (r->known = json_object()) == NULL ||
	    (r->idx = json_object()) == NULL ||
	    (r->periods = json_object()) == NULL ||
	    (r->provpos = json_object()) == NULL ? -1 : 0;
}

static int
byid(const void *a, const void *b)
{
	return strcmp(((const struct dk_member *)a)->id,
	    ((const struct dk_member *)b)->id);
}

/*
 * The figures of the ledger at path (its operator key checked when oppk
 * is not NULL): the community's totals, the average P2P price (avg, when
 * anything was matched), and a statement a member, by id.  On failure
 * the report holds what was read so far; free it with dk_report_free.
 */
int
dk_report_ledger(struct dk_report *r, const char *path,
    const unsigned char *oppk, struct dk_err *e)
{
	return dk_report_period(r, path, oppk, NULL, NULL, 0, e);
}

static int
bydate(const void *a, const void *b)
{
	return strcmp(((const struct dk_sday *)a)->date,
	    ((const struct dk_sday *)b)->date);
}

static int
byflow(const void *a, const void *b)
{
	const struct dk_sflow *x = a, *y = b;
	int c = strcmp(x->party, y->party);

	return c ? c : strcmp(x->reason, y->reason);
}

static void
sort_detail(struct dk_member *m)
{
	if (m->nd > 1)
		qsort(m->d, m->nd, sizeof(*m->d), bydate);
	if (m->nf > 1)
		qsort(m->f, m->nf, sizeof(*m->f), byflow);
}

/* The records entry reads, transfers apart (DK_REPORT_NOFLOWS): the
 * others (commitments, transfers) are chained, not parsed. */
static const char *const noflows[] = { "rules", "checkpoint", "participant",
	"order", "clearing", "contract", "settlement", "trueup", NULL };

/*
 * The same over the slots of a period: from and to are dates or months
 * ("2016-07", "2016-07-05"), compared with the start of each slot's name,
 * which is in the cooperative's zone; NULL for the whole ledger.  With
 * DK_REPORT_DETAIL in flags, also each member's days (its slots, in a
 * period of one day) and flows, the
 * community's (r->all) and the energy the members supplied one another
 * (local_wh).  With DK_REPORT_NOFLOWS the transfers are not read (the
 * figures of energy and of the settlements' money alone, faster).
 */
int
dk_report_period(struct dk_report *r, const char *path,
    const unsigned char *oppk, const char *from, const char *to, int flags,
    struct dk_err *e)
{
	if (dk_report_begin(r, from, to, flags, e) < 0 ||
	    dk_ledger_scan_only(path, oppk, dk_report_types(r), entry, r,
	    e) < 0)
		return -1;
	return dk_report_end(r, e);
}

/* The same in parts, for a reader that follows a ledger as it grows
 * (denki-simulate's, dk_follow): r begun, given each entry read
 * (dk_report_entry; of the types dk_report_types names), ended. */
int
dk_report_begin(struct dk_report *r, const char *from, const char *to,
    int flags, struct dk_err *e)
{
	if (dk_report_init(r) < 0)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	r->flags = flags;
	if (from != NULL) {
		snprintf(r->from, sizeof(r->from), "%s", from);
		snprintf(r->to, sizeof(r->to), "%s", to);
		/* one day: its slots, each apart */
		if (strlen(from) == 10 && strcmp(from, to) == 0)
			r->bucket = 16;
	}
	return 0;
}

const char *const *
dk_report_types(const struct dk_report *r)
{
	return r->flags & DK_REPORT_NOFLOWS ? noflows : NULL;
}

int
dk_report_end(struct dk_report *r, struct dk_err *e)
{
	const char *k;
	json_t *v;
	size_t i;

	if (r->nm > 1)
		qsort(r->m, r->nm, sizeof(*r->m), byid);
	if (r->matched > 0)
		dk_muldiv(r->value, 1000, r->matched, &r->avg);	/* a price */
	for (i = 0; i < r->nm; i++) {
		sort_detail(&r->m[i]);
		json_object_set_new(r->idx, r->m[i].id, json_integer(i));
	}
	sort_detail(&r->all);
	json_object_foreach(r->cslots, k, v) {
		int64_t x = json_integer_value(json_array_get(v, 0)),
		    y = json_integer_value(json_array_get(v, 1));

		if (add(&r->local_wh, x < y ? x : y, NULL, "local_wh", e) < 0)
			return -1;
	}
	return 0;
}

/* The community's figures, the first record denki-report prints. */
json_t *
dk_report_summary_json(const struct dk_report *r, const char *path)
{
	return json_pack("{s:s,s:i,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
	    "s:o,s:I,s:I,s:s}", "type", "summary", "v", 1, "ledger",
	    path, "entries", (json_int_t)r->entries,
	    "orders", (json_int_t)r->orders,
	    "slots_cleared", (json_int_t)r->slots,
	    "contracts", (json_int_t)r->contracts,
	    "sell_wh", (json_int_t)r->sell_wh,
	    "buy_wh", (json_int_t)r->buy_wh,
	    "matchable_wh", (json_int_t)r->matchable,
	    "matched_wh", (json_int_t)r->matched,
	    "avg_price", r->matched ? json_integer(r->avg) : json_null(),
	    "retail", (json_int_t)r->rules.retail,
	    "buyback", (json_int_t)r->rules.buyback,
	    "currency", r->rules.currency);
}

/* A member's statement, one record a member after the summary. */
json_t *
dk_report_statement_json(const struct dk_member *m)
{
	json_t *x = json_pack("{s:s,s:i,s:s,s:I,s:I,s:I,s:I,s:I,s:I,"
	    "s:I,s:I}", "type", "statement", "v", 1,
	    "participant", m->id,
	    "slots", (json_int_t)m->slots,
	    "export_wh", (json_int_t)m->exp,
	    "import_wh", (json_int_t)m->imp,
	    "sold_wh", (json_int_t)m->sold,
	    "bought_wh", (json_int_t)m->bought,
	    "net", (json_int_t)m->net,
	    "baseline", (json_int_t)m->baseline,
	    "saving", (json_int_t)(m->net - m->baseline));

	if (x != NULL && m->comp != 0)
		json_object_set_new(x, "compensation", json_integer(m->comp));
	return x;
}

static int
cmpkey(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Settlement completion, a record a period (each month, then each of its
 * days, in order): of the member-slots settled, those that stand on
 * real readings (settled on them, or trued up since), those provisional
 * at the deadline, trued up since, and pending; share_bp is the first
 * as a share of all in basis points, rounded down.  NULL: out of memory.
 */
json_t *
dk_report_completion_json(const struct dk_report *r)
{
	json_t *a = json_array(), *c;
	const char **k, *p;
	size_t n = json_object_size(r->periods), i = 0;
	long long all, real, prov, tu;

	if (a == NULL || (k = calloc(n + 1, sizeof(*k))) == NULL) {
		json_decref(a);
		return NULL;
	}
	json_object_foreach(r->periods, p, c)
		k[i++] = p;
	qsort(k, n, sizeof(*k), cmpkey);
	for (i = 0; i < n; i++) {
		c = json_object_get(r->periods, k[i]);
		all = json_integer_value(json_array_get(c, 0));
		prov = json_integer_value(json_array_get(c, 2));
		tu = json_integer_value(json_array_get(c, 3));
		real = json_integer_value(json_array_get(c, 1)) + tu;
		json_array_append_new(a, json_pack("{s:s,s:i,s:s,s:I,s:I,s:I,"
		    "s:I,s:I,s:I}", "type", "completion", "v", 1, "period", k[i],
		    "member_slots", (json_int_t)all,
		    "on_readings", (json_int_t)real,
		    "provisional", (json_int_t)prov,
		    "trued_up", (json_int_t)tu,
		    "pending", (json_int_t)(prov - tu),
		    "share_bp", (json_int_t)(all ? real * 10000 / all : 0)));
	}
	free(k);
	return a;
}

void
dk_report_free(struct dk_report *r)
{
	size_t i;

	for (i = 0; i < r->nm; i++) {
		free(r->m[i].d);
		free(r->m[i].f);
	}
	json_decref(r->periods);
	json_decref(r->provpos);
	r->periods = r->provpos = NULL;
	free(r->m);
	free(r->all.d);
	free(r->all.f);
	json_decref(r->prices);
	json_decref(r->cslots);
	json_decref(r->known);
	json_decref(r->idx);
	memset(r, 0, sizeof(*r));
}
