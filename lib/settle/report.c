/*
 * report.c: the figures of denki-report, read from a whole ledger: what
 * the community offered, matched and paid, and what each member earned
 * with the market and would have without it (its statement).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settle.h"

static struct dk_member *
member(struct dk_report *r, const char *id)
{
	struct dk_member *nm;
	size_t i;

	for (i = 0; i < r->nm; i++)
		if (strcmp(r->m[i].id, id) == 0)
			return &r->m[i];
	if ((nm = realloc(r->m, (r->nm + 1) * sizeof(*r->m))) == NULL)
		return NULL;
	r->m = nm;
	memset(&r->m[r->nm], 0, sizeof(*r->m));
	snprintf(r->m[r->nm].id, sizeof(r->m[r->nm].id), "%s", id);
	return &r->m[r->nm++];
}

static long long
num(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
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
	size_t n;

	for (n = 10; n >= 7; n -= 3) {
		snprintf(p, sizeof(p), "%.*s", (int)n, slot);
		if ((c = json_object_get(r->periods, p)) == NULL)
			json_object_set_new(r->periods, p, c = json_pack(
			    "[i,i,i,i]", 0, 0, 0, 0));
		json_array_set_new(c, i, json_integer(json_integer_value(
		    json_array_get(c, i)) + 1));
		if (j != i)
			json_array_set_new(c, j, json_integer(
			    json_integer_value(json_array_get(c, j)) + 1));
	}
}

/* A settlement: the member's slot added to its statement. */
static int
settlement(struct dk_report *r, json_t *rec, const char *slot,
    struct dk_err *e)
{
	const char *id;
	struct dk_member *m;
	int64_t net, retail, buyback, v;
	json_t *pr;

	/* the ledger's writers never leave these out; a malformed
	 * ledger is refused, whoever signed it */
	if ((id = dk_get_id(rec, "participant", e)) == NULL ||
	    dk_get_str(rec, "slot", e) == NULL)
		return -1;
	if ((m = member(r, id)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if (r->first[0] == '\0' || strcmp(slot, r->first) < 0)
		snprintf(r->first, sizeof(r->first), "%s", slot);
	if (strcmp(slot, r->last) > 0)
		snprintf(r->last, sizeof(r->last), "%s", slot);
	m->slots++;
	/* the metered net export, from what a settlement of either version
	 * holds: a v 2 record (committed readings) has no export_wh and
	 * import_wh, and its slot counts as its net */
	net = num(rec, "deviation_wh") + num(rec, "sold_wh") -
	    num(rec, "bought_wh");
	if (add(&m->exp, json_object_get(rec, "export_wh") != NULL ?
	    num(rec, "export_wh") : net > 0 ? net : 0, id, ": export_wh",
	    e) < 0 ||
	    add(&m->imp, json_object_get(rec, "import_wh") != NULL ?
	    num(rec, "import_wh") : net < 0 ? -net : 0, id, ": import_wh",
	    e) < 0 ||
	    add(&m->sold, num(rec, "sold_wh"), id, ": sold_wh", e) < 0 ||
	    add(&m->bought, num(rec, "bought_wh"), id, ": bought_wh",
	    e) < 0 ||
	    add(&m->net, num(rec, "net"), id, ": net", e) < 0)
		return -1;
	/* the tariffs in force when the slot was cleared */
	pr = json_object_get(r->prices, slot);
	retail = pr ? json_integer_value(json_array_get(pr, 0)) :
	    r->rules.retail;
	buyback = pr ? json_integer_value(json_array_get(pr, 1)) :
	    r->rules.buyback;
	/* dk_value rounds symmetrically: -value(-net) = value(net) */
	if (dk_value(net, net > 0 ? buyback : retail, &v) < 0 ||
	    add(&m->baseline, v, id, ": baseline", e) < 0)
		return -1;
	v = m->net;
	if (add(&v, -m->baseline, id, ": saving", e) < 0)
		return -1;
	count(r, slot, 0, json_object_get(rec, "provisional") ? 2 : 1);
	if (json_object_get(rec, "provisional") != NULL) {
		char *k = key(slot, id);
		if (k == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		json_object_set_new(r->provpos, k, json_pack("[I,I,I]",
		    (json_int_t)net, (json_int_t)retail, (json_int_t)buyback));
		free(k);
	}
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
	int64_t pos, real, v, w;

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
	if ((m = member(r, id)) == NULL) {
		free(k);
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	}
	pos = json_integer_value(json_array_get(pp, 0));
	real = pos + num(rec, "deviation_wh");
	if (add(&m->exp, (real > 0 ? real : 0) - (pos > 0 ? pos : 0), id,
	    ": export_wh", e) < 0 ||
	    add(&m->imp, (real < 0 ? -real : 0) - (pos < 0 ? -pos : 0), id,
	    ": import_wh", e) < 0 ||
	    add(&m->net, num(rec, "net"), id, ": net", e) < 0 ||
	    dk_value(pos, json_integer_value(json_array_get(pp, pos > 0 ?
	    2 : 1)), &v) < 0 || dk_value(real, json_integer_value(
	    json_array_get(pp, real > 0 ? 2 : 1)), &w) < 0 ||
	    add(&m->baseline, w - v, id, ": baseline", e) < 0) {
		free(k);
		return -1;
	}
	json_object_del(r->provpos, k);
	free(k);
	count(r, slot, 3, 3);
	return 0;
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
	if (strcmp(type, "rules") == 0) {
		if (dk_rules_from_json(&r->rules, rec, e) < 0)
			return -1;
		r->have_rules = 1;
	} else if (strcmp(type, "order") == 0)
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
	memset(r, 0, sizeof(*r));
	if ((r->prices = json_object()) == NULL ||
	    (r->periods = json_object()) == NULL ||
	    (r->provpos = json_object()) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if (dk_ledger_scan(path, oppk, entry, r, e) < 0)
		return -1;
	if (r->nm > 1)
		qsort(r->m, r->nm, sizeof(*r->m), byid);
	if (r->matched > 0)
		dk_muldiv(r->value, 1000, r->matched, &r->avg);	/* a price */
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
	return json_pack("{s:s,s:i,s:s,s:I,s:I,s:I,s:I,s:I,s:I,"
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
	json_decref(r->periods);
	json_decref(r->provpos);
	r->periods = r->provpos = NULL;
	free(r->m);
	json_decref(r->prices);
	r->m = NULL;
	r->nm = 0;
	r->prices = NULL;
}
