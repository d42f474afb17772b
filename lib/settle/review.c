/* review.c: expert review (denki-formats(5), Expert review): what the rules
 * read from the ledger before a slot's clearing, a trade's reasons, and the
 * pending record contract-sign writes in the place of its contract. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settle.h"

void
dk_revhist_init(struct dk_revhist *h)
{
	memset(h, 0, sizeof(*h));
	dk_credit_init(&h->cr, -1);
	h->cp_time = -1;
}

void
dk_revhist_free(struct dk_revhist *h)
{
	dk_credit_free(&h->cr);
	free(h->ring);
	memset(h, 0, sizeof(*h));
}

/* A clearing: the one before it becomes recent; its own price waits for
 * the next, so that a slot's trades are judged by the slots before it. */
static int
clearing(struct dk_revhist *h, json_t *rec, struct dk_err *e)
{
	json_t *p = json_object_get(rec, "price");

	if (h->has_cur) {
		if (h->ring == NULL && (h->ring = calloc(DK_REVIEW_SLOTS,
		    sizeof(*h->ring))) == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		h->ring[h->head] = h->cur;
		h->head = (h->head + 1) % DK_REVIEW_SLOTS;
		if (h->n < DK_REVIEW_SLOTS)
			h->n++;
	}
	h->has_cur = json_is_integer(p);
	h->cur = json_integer_value(p);
	return 0;
}

/* A dk_entry_fn: one ledger entry, in the ledger's order. */
int
dk_revhist_entry(void *ctx, long long seq, long line, json_t *rec,
    struct dk_err *e)
{
	struct dk_revhist *h = ctx;
	const char *type = json_string_value(json_object_get(rec, "type"));

	if (type == NULL)
		return 0;
	if (dk_credit_entry(&h->cr, seq, line, rec, e) < 0)
		return -1;
	if (strcmp(type, "checkpoint") == 0 && h->cr.cp_time > h->cp_time)
		h->cp_time = h->cr.cp_time;
	if (strcmp(type, "clearing") == 0)
		return clearing(h, rec, e);
	return 0;
}

/* The ledger at path into h; fd >= 0: the writer's, open and locked. */
int
dk_revhist_ledger(struct dk_revhist *h, int fd, const char *path,
    struct dk_err *e)
{
	struct dk_scaninfo si;
	int rc;

	if (fd < 0)
		return dk_ledger_scan(path, NULL, dk_revhist_entry, h, e);
	memset(&si, 0, sizeof(si));
	rc = dk_ledger_scan_fd(fd, path, NULL, dk_revhist_entry, h, &si, e);
	dk_scaninfo_free(&si);
	return rc;
}

/* The checkpoint a writer just added (its note) into the history. */
int
dk_revhist_note(struct dk_revhist *h, const char *note, struct dk_err *e)
{
	json_t *cp = json_pack("{s:s,s:s}", "type", "checkpoint", "note",
	    note);
	int rc;

	if (cp == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	rc = dk_revhist_entry(h, h->cr.entries, 0, cp, e);
	json_decref(cp);
	return rc;
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The median of the last n recent clearing prices, the lower middle one
 * of an even count, and how many there were (*k); -1 when none. */
int
dk_revhist_median(const struct dk_revhist *h, int n, int64_t *m, int *k)
{
	int64_t *v;
	size_t i, c = h->n < (size_t)n ? h->n : (size_t)n;

	if (c == 0 || (v = malloc(c * sizeof(*v))) == NULL)
		return -1;
	for (i = 0; i < c; i++)
		v[i] = h->ring[(h->head + DK_REVIEW_SLOTS - 1 - i) %
		    DK_REVIEW_SLOTS];
	qsort(v, c, sizeof(*v), cmp64);
	*m = v[(c - 1) / 2];
	*k = (int)c;
	free(v);
	return 0;
}

/* What a trade (a contract record) is worth: what its buyer pays for the
 * energy, rounded as settlement rounds; past 2^53-1, 2^53-1. */
int64_t
dk_trade_value(json_t *c)
{
	json_t *bp = json_object_get(c, "buy_price");
	int64_t v;

	if (dk_value(json_integer_value(json_object_get(c, "wh")),
	    json_integer_value(bp != NULL ? bp : json_object_get(c, "price")),
	    &v) < 0)
		return DK_MAX_SAFE_INT;
	return v;
}

static int
reason(json_t *a, const char *fmt, ...)
{
	char buf[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return json_array_append_new(a, json_string(buf));
}

/* The reasons of one party: tenure and credit at the slot's start. */
static int
party(const struct dk_revhist *h, const struct dk_revrules *v,
    const char *id, int64_t slot, json_t *a, struct dk_err *e)
{
	struct dk_credit_score s;

	if (v->tenure_days == 0 && v->credit_floor == 0)
		return 0;
	if (dk_credit_score(&h->cr, id, slot, &s, e) < 0)
		return -1;
	if (v->tenure_days > 0 && s.days < v->tenure_days)
		reason(a, "tenure: %s enrolled %lld days before the slot, "
		    "under %d", id, (long long)s.days, v->tenure_days);
	if (v->credit_floor > 0 && s.score < v->credit_floor)
		reason(a, "credit: %s scores %d, under %d", id, s.score,
		    v->credit_floor);
	return 0;
}

/*
 * The reasons trade i of a slot's contracts (the records contract-sign
 * would write, in order) goes to review under rules r, the ledger before
 * the slot's clearing being h and reg: an array of strings, empty when
 * there are none; NULL and e filled on error.
 */
json_t *
dk_review_reasons(const struct dk_revhist *h, const struct dk_registry *reg,
    const struct dk_rules *r, int64_t slot, json_t *contracts, size_t i,
    struct dk_err *e)
{
	const struct dk_revrules *v = &r->review;
	json_t *c = json_array_get(contracts, i), *a = json_array(), *x;
	const char *sid = json_string_value(json_object_get(c, "seller"));
	const char *bid = json_string_value(json_object_get(c, "buyer"));
	const struct dk_participant *sp;
	int64_t wh = json_integer_value(json_object_get(c, "wh"));
	int64_t price = json_integer_value(json_object_get(c, "price"));
	int64_t val = dk_trade_value(c), med, d, sold = 0;
	size_t j;
	int k;

	if (a == NULL || !v->on)
		return a;
	if (v->value > 0 && val > v->value)
		reason(a, "value: %lld micro-units, over %lld", (long long)val,
		    (long long)v->value);
	if (v->wh > 0 && wh > v->wh)
		reason(a, "volume: %lld Wh, over %lld", (long long)wh,
		    (long long)v->wh);
	if (v->band_pct > 0 && dk_revhist_median(h, v->band_slots, &med,
	    &k) == 0) {
		d = med * v->band_pct / 100;
		if (price < med - d || price > med + d)
			reason(a, "price: %lld per kWh, outside %lld to %lld "
			    "(%d%% around %lld, the median of the last %d "
			    "clearing prices)", (long long)price,
			    (long long)(med - d), (long long)(med + d),
			    v->band_pct, (long long)med, k);
	}
	if ((sid != NULL && party(h, v, sid, slot, a, e) < 0) ||
	    (bid != NULL && party(h, v, bid, slot, a, e) < 0)) {
		json_decref(a);
		return NULL;
	}
	if (v->roles && sid != NULL && (sp = dk_registry_find(reg, sid)) !=
	    NULL) {
		if (strcmp(sp->role, "consumer") == 0)
			reason(a, "role: %s is a consumer and sells", sid);
		/* the seller's sales of the slot: only for one with a
		 * registered capacity (few), so the slot is not read once a
		 * trade */
		for (j = 0; sp->capacity_wh >= 0 &&
		    j < json_array_size(contracts); j++) {
			x = json_array_get(contracts, j);
			if (json_string_value(json_object_get(x, "seller")) &&
			    strcmp(json_string_value(json_object_get(x,
			    "seller")), sid) == 0)
				sold += json_integer_value(json_object_get(x,
				    "wh"));
		}
		if (sp->capacity_wh >= 0 && sold > sp->capacity_wh)
			reason(a, "capacity: %s sells %lld Wh in the slot, "
			    "over its registered capacity of %lld Wh", sid,
			    (long long)sold, (long long)sp->capacity_wh);
	}
	return a;
}

/* The pending record of contract c held for reasons under rules r. */
json_t *
dk_pending_make(json_t *c, json_t *reasons, const struct dk_rules *r,
    int64_t slot, struct dk_err *e)
{
	char d[40];
	json_t *p;

	if (dk_time_utc(slot - 60 * (int64_t)r->review.lead_minutes, d,
	    sizeof(d)) < 0 || (p = json_pack("{s:s,s:i,s:O,s:O,s:O,s:s}",
	    "type", "pending", "v", 1, "slot", json_object_get(c, "slot"),
	    "contract", c, "reasons", reasons, "deadline", d)) == NULL) {
		dk_fail(e, DK_EX_SOFTWARE, "pending: cannot make the record");
		return NULL;
	}
	return p;
}

/*
 * contract-sign's part: the slot's clearing read into h, then each of its
 * contracts that has reasons under the rules in force (st's) replaced by
 * its pending record.  The number held, or -1.
 */
int
dk_review_hold(struct dk_revhist *h, const struct dk_state *st,
    json_t *clearing, json_t *contracts, int64_t slot, struct dk_err *e)
{
	size_t i, n = json_array_size(contracts);
	json_t **why, *p;
	int held = 0, rc = 0;

	if (dk_revhist_entry(h, h->cr.entries, 0, clearing, e) < 0)
		return -1;
	if (!st->rules.review.on || n == 0)
		return 0;
	if ((why = calloc(n, sizeof(*why))) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	for (i = 0; i < n && rc == 0; i++)
		if ((why[i] = dk_review_reasons(h, &st->reg, &st->rules, slot,
		    contracts, i, e)) == NULL)
			rc = -1;
	for (i = 0; i < n && rc == 0; i++) {
		if (json_array_size(why[i]) == 0)
			continue;
		if ((p = dk_pending_make(json_array_get(contracts, i), why[i],
		    &st->rules, slot, e)) == NULL)
			rc = -1;
		else {
			json_array_set_new(contracts, i, p);
			held++;
		}
	}
	for (i = 0; i < n; i++)
		json_decref(why[i]);
	free(why);
	return rc < 0 ? -1 : held;
}
