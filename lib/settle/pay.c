/*
 * pay.c: what the cooperative owes each member and each member owes it,
 * from the ledger's transfers less the payments its payment runs made
 * (the pay book), and the payment_run and payment_return records, which
 * the writer (denki-pay) and the audit (ledger-verify) check the same way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settle.h"

void
dk_paybook_init(struct dk_paybook *pb)
{
	memset(pb, 0, sizeof(*pb));
	pb->idx = json_object();
	pb->runs = json_object();
}

void
dk_paybook_free(struct dk_paybook *pb)
{
	size_t i;

	for (i = 0; i < pb->nm; i++)
		free(pb->m[i].v);
	free(pb->m);
	json_decref(pb->idx);
	json_decref(pb->runs);
	memset(pb, 0, sizeof(*pb));
}

static struct dk_paymember *
member(struct dk_paybook *pb, const char *id, int make)
{
	json_t *i = json_object_get(pb->idx, id);
	struct dk_paymember *n;

	if (i != NULL)
		return &pb->m[json_integer_value(i)];
	if (!make)
		return NULL;
	if ((n = realloc(pb->m, (pb->nm + 1) * sizeof(*n))) == NULL)
		return NULL;
	pb->m = n;
	memset(&n[pb->nm], 0, sizeof(*n));
	snprintf(n[pb->nm].id, sizeof(n[pb->nm].id), "%s", id);
	json_object_set_new(pb->idx, id, json_integer(pb->nm));
	return &pb->m[pb->nm++];
}

/* the parties of transfers that are not members */
static int
outside(const char *id)
{
	return strcmp(id, "utility") == 0 || strcmp(id, "operator") == 0 ||
	    strcmp(id, "grid") == 0;
}

static int
credit(struct dk_paybook *pb, const char *id, int64_t slot, int64_t amount,
    struct dk_err *e)
{
	struct dk_paymember *m;
	struct dk_payslot *n;

	if (outside(id))
		return 0;
	if ((m = member(pb, id, 1)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	/* a slot's transfers come together: one sum a slot */
	if (m->n > 0 && m->v[m->n - 1].slot == slot)
		return dk_add(&m->v[m->n - 1].amount, amount) < 0 ?
		    dk_fail(e, DK_EX_DATAERR, "participant %s: the sum of a "
		    "slot's transfers is beyond +-(2^53-1)", id) : 0;
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		if ((n = realloc(m->v, m->cap * sizeof(*n))) == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		m->v = n;
	}
	m->v[m->n].slot = slot;
	m->v[m->n++].amount = amount;
	return 0;
}

/* A transfer of the ledger: its amount to its receiver's balance and from
 * its payer's, by its slot. */
int
dk_paybook_transfer(struct dk_paybook *pb, json_t *rec, struct dk_err *e)
{
	const char *from, *to, *slot;
	long long amount;
	int64_t t;

	if ((slot = dk_get_str(rec, "slot", e)) == NULL ||
	    dk_time_parse(slot, &t, e) < 0 ||
	    (from = dk_get_str(rec, "from", e)) == NULL ||
	    (to = dk_get_str(rec, "to", e)) == NULL ||
	    dk_get_int(rec, "amount", 0, DK_MAX_SAFE_INT, &amount, e) < 0)
		return dk_failpre(e, "transfer");
	if (credit(pb, to, t, amount, e) < 0 ||
	    credit(pb, from, t, -amount, e) < 0)
		return -1;
	return 0;
}

/* What m is owed for slots before to, less what was paid (negative: what
 * it owes). */
static int
owed(const struct dk_paymember *m, int64_t to, int64_t *out)
{
	int64_t s = -m->paid;
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->v[i].slot < to && dk_add(&s, m->v[i].amount) < 0)
			return -1;
	*out = s;
	return 0;
}

static int
byid(const void *a, const void *b)
{
	return strcmp(((const struct dk_paymember *)a)->id,
	    ((const struct dk_paymember *)b)->id);
}

/*
 * The plan of a run for the slots from..to (to excluded): for each member
 * with money not yet paid, in the order of ids, {"participant", "owed"
 * (what it is owed, less what it owes), "amount" (owed rounded toward
 * zero to a minor unit: what the run moves), "period" (the sum of its
 * slots from..to)}.  Members with nothing owed either way are left out.
 */
json_t *
dk_paybook_plan(struct dk_paybook *pb, int64_t from, int64_t to, int exp,
    struct dk_err *e)
{
	struct dk_paymember *s;
	json_t *out = json_array();
	int64_t o, p;
	size_t i, j;

	if ((s = malloc((pb->nm + 1) * sizeof(*s))) == NULL || out == NULL) {
		free(s);
		json_decref(out);
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		return NULL;
	}
	memcpy(s, pb->m, pb->nm * sizeof(*s));
	qsort(s, pb->nm, sizeof(*s), byid);
	for (i = 0; i < pb->nm; i++) {
		if (owed(&s[i], to, &o) < 0) {
			dk_fail(e, DK_EX_DATAERR, "participant %s: its balance "
			    "is beyond +-(2^53-1)", s[i].id);
			goto fail;
		}
		if (o == 0)
			continue;
		for (p = 0, j = 0; j < s[i].n; j++)
			if (s[i].v[j].slot >= from && s[i].v[j].slot < to)
				p += s[i].v[j].amount;
		json_array_append_new(out, json_pack("{s:s,s:I,s:I,s:I}",
		    "participant", s[i].id, "owed", (json_int_t)o,
		    "amount", (json_int_t)dk_pay_round(o, exp),
		    "period", (json_int_t)p));
	}
	free(s);
	return out;
fail:
	free(s);
	json_decref(out);
	return NULL;
}

/* The period's bounds, "from" and "to", as times. */
static int
bounds(json_t *rec, int64_t *from, int64_t *to, struct dk_err *e)
{
	const char *f, *t;

	if ((f = dk_get_str(rec, "from", e)) == NULL ||
	    dk_time_parse(f, from, e) < 0)
		return dk_failpre(e, "from");
	if ((t = dk_get_str(rec, "to", e)) == NULL ||
	    dk_time_parse(t, to, e) < 0)
		return dk_failpre(e, "to");
	if (*from >= *to)
		return dk_fail(e, DK_EX_DATAERR, "from %s is not before to %s",
		    f, t);
	return 0;
}

static int
hex64(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	return i == 64;
}

/*
 * A payment_run: each payment is what its member was owed for the slots
 * before the run's "to", less what earlier runs paid (and the bank did
 * not return), rounded toward zero to the currency's minor unit; a
 * member is in it once; a run's period ends no earlier than the last
 * run's; then its payments count as paid.
 */
static int
run(struct dk_paybook *pb, long long seq, json_t *rec, const char *cur,
    struct dk_err *e)
{
	const char *id, *prev = "", *s;
	struct dk_paymember *m;
	json_t *pays, *held, *p, *paid;
	int64_t from, to, o;
	long long amount, v;
	int exp, credits = 0;
	size_t i;

	if (dk_get_int(rec, "v", 1, 1, &v, e) < 0 ||
	    dk_get_str(rec, "period", e) == NULL || bounds(rec, &from, &to,
	    e) < 0 || (s = dk_get_str(rec, "currency", e)) == NULL ||
	    (id = dk_get_str(rec, "format", e)) == NULL)
		return -1;
	if (strcmp(s, cur) != 0)
		return dk_fail(e, DK_EX_NO, "currency %.8s, but the rules' is "
		    "%s", s, cur);
	if ((exp = dk_currency_exp(s)) < 0)
		return dk_fail(e, DK_EX_DATAERR, "currency %.8s: its minor "
		    "units are not known", s);
	if (strcmp(id, "pain.001") != 0 && strcmp(id, "zengin") != 0)
		return dk_fail(e, DK_EX_DATAERR, "format: \"pain.001\" or "
		    "\"zengin\", got \"%.20s\"", id);
	if (to < pb->last_to)
		return dk_fail(e, DK_EX_NO, "its period ends before the "
		    "period of the run of entry %lld: runs go forward",
		    pb->last_seq);
	if (!json_is_array(pays = json_object_get(rec, "payments")) ||
	    ((held = json_object_get(rec, "held")) != NULL &&
	    !json_is_array(held)))
		return dk_fail(e, DK_EX_DATAERR, "payments and held: must be "
		    "arrays");
	paid = json_object();
	json_object_set_new(pb->runs, "", paid);	/* freed with runs */
	json_array_foreach(pays, i, p) {
		if ((id = dk_get_id(p, "participant", e)) == NULL ||
		    dk_get_int(p, "amount", -DK_MAX_SAFE_INT, DK_MAX_SAFE_INT,
		    &amount, e) < 0)
			return dk_failpre(e, "payments[%zu]", i);
		if (strcmp(id, prev) <= 0)
			return dk_fail(e, DK_EX_DATAERR, "payments[%zu]: %s: "
			    "not in the order of ids, or twice", i, id);
		prev = id;
		m = member(pb, id, 0);
		o = 0;
		if (m != NULL && owed(m, to, &o) < 0)
			return dk_fail(e, DK_EX_DATAERR, "participant %s: its "
			    "balance is beyond +-(2^53-1)", id);
		if (amount == 0 || amount != dk_pay_round(o, exp))
			return dk_fail(e, DK_EX_NO, "participant %s: it pays "
			    "%lld, but %lld is owed (%lld, rounded toward "
			    "zero to the minor unit): paid twice, or more "
			    "than the ledger's transfers give", id, amount,
			    (long long)o, (long long)dk_pay_round(o, exp));
		credits += amount > 0;
		json_object_set_new(paid, id, json_integer(amount));
	}
	json_array_foreach(held, i, p) {
		id = json_string_value(p);
		m = id != NULL ? member(pb, id, 0) : NULL;
		if (m == NULL || owed(m, to, &o) < 0 || dk_pay_round(o, exp) <= 0 ||
		    json_object_get(paid, id) != NULL)
			return dk_fail(e, DK_EX_NO, "held[%zu]: %.40s is owed "
			    "nothing this run could have paid", i,
			    id ? id : "(not a string)");
	}
	s = json_string_value(json_object_get(rec, "file"));
	if ((credits > 0) != (s != NULL) || (s != NULL && !hex64(s)))
		return dk_fail(e, DK_EX_DATAERR, "file: the SHA-256 in hex of "
		    "the bank file, present exactly when the run pays a member");
	json_object_foreach(paid, id, p)
		member(pb, id, 0)->paid += json_integer_value(p);
	pb->last_to = to;
	pb->last_seq = seq;
	json_object_set_new(pb->runs, dk_seqkey(seq), json_pack("{s:O,s:o,"
	    "s:O}", "paid", paid, "returned", json_object(), "period",
	    json_object_get(rec, "period")));
	return 0;
}

/* A payment_return: a payment of an earlier run, as that run made it, not
 * returned before; it is owed again. */
static int
ret(struct dk_paybook *pb, json_t *rec, struct dk_err *e)
{
	long long v, seq, amount;
	const char *id;
	json_t *r, *a;

	if (dk_get_int(rec, "v", 1, 1, &v, e) < 0 ||
	    dk_get_int(rec, "run", 1, DK_MAX_SAFE_INT, &seq, e) < 0 ||
	    (id = dk_get_id(rec, "participant", e)) == NULL ||
	    dk_get_int(rec, "amount", -DK_MAX_SAFE_INT, DK_MAX_SAFE_INT,
	    &amount, e) < 0)
		return -1;
	if ((r = json_object_get(pb->runs, dk_seqkey(seq))) == NULL)
		return dk_fail(e, DK_EX_NO, "run: entry %lld is no payment run",
		    seq);
	if (!json_equal(json_object_get(r, "period"), json_object_get(rec,
	    "period")))
		return dk_fail(e, DK_EX_NO, "period: not the period of the run "
		    "of entry %lld", seq);
	a = json_object_get(json_object_get(r, "paid"), id);
	if (a == NULL || json_integer_value(a) != amount)
		return dk_fail(e, DK_EX_NO, "the run of entry %lld paid %s "
		    "%lld, not %lld", seq, id, a ? (long long)
		    json_integer_value(a) : 0LL, amount);
	if (json_object_get(json_object_get(r, "returned"), id) != NULL)
		return dk_fail(e, DK_EX_NO, "the payment of the run of entry "
		    "%lld to %s was returned already", seq, id);
	json_object_set_new(json_object_get(r, "returned"), id, json_true());
	member(pb, id, 0)->paid -= amount;
	return 0;
}

/* A payment_run or payment_return at entry seq, checked against the pay
 * book and applied to it; cur is the currency of the rules in force.
 * Other records: 0, nothing done. */
int
dk_paybook_record(struct dk_paybook *pb, long long seq, json_t *rec,
    const char *cur, struct dk_err *e)
{
	const char *type = json_string_value(json_object_get(rec, "type"));

	int rc;

	if (strcmp(type, "payment_run") == 0) {
		rc = run(pb, seq, rec, cur, e);
		json_object_del(pb->runs, "");	/* its payments while checked */
		return rc < 0 ? dk_failpre(e, "payment_run (entry %lld)", seq) :
		    0;
	}
	if (strcmp(type, "payment_return") == 0)
		return ret(pb, rec, e) < 0 ?
		    dk_failpre(e, "payment_return (entry %lld)", seq) : 0;
	if (strcmp(type, "transfer") == 0)
		return dk_paybook_transfer(pb, rec, e);
	return 0;
}

/* The last run for period that paid id and was not returned: its entry
 * and the amount, or 0 when there is none. */
long long
dk_paybook_find(const struct dk_paybook *pb, const char *period,
    const char *id, int64_t *amount)
{
	const char *k;
	json_t *r, *a;
	long long best = 0;

	json_object_foreach(pb->runs, k, r) {
		if (strcmp(json_string_value(json_object_get(r, "period")),
		    period) != 0 || json_object_get(json_object_get(r,
		    "returned"), id) != NULL ||
		    (a = json_object_get(json_object_get(r, "paid"), id)) ==
		    NULL || atoll(k) < best)
			continue;
		best = atoll(k);
		*amount = json_integer_value(a);
	}
	return best;
}

/* An entry number as the key of runs. */
const char *
dk_seqkey(long long seq)
{
	static char k[24];

	snprintf(k, sizeof(k), "%lld", seq);
	return k;
}

/* Local midnight of the day that is days after 1970-01-01, in zone tz. */
static int
midnight(int64_t days, const char *tz, int64_t *t)
{
	int64_t u = days * 86400, off = 0;
	char s[40];
	int i, oh, om;

	/* the zone's offset at the guess, twice: once more across a change */
	for (i = 0; i < 2; i++) {
		if (dk_time_format(u - off, tz, s, sizeof(s)) < 0 ||
		    sscanf(s + 20, "%2d:%2d", &oh, &om) != 2)
			return -1;
		off = (oh * 3600 + om * 60) * (s[19] == '-' ? -1 : 1);
	}
	*t = u - off;
	return 0;
}

/* "YYYY-MM" or "YYYY-MM-DD": the start of that month or day, or with end
 * the start of the month or day after it. */
static int
day(const char *s, size_t n, int end, const char *tz, int64_t *t)
{
	int y, m, d = 1, k = 0;
	int64_t days, next;
	char buf[16];

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!((n == 7 && sscanf(buf, "%4d-%2d%n", &y, &m, &k) == 2) ||
	    (n == 10 && sscanf(buf, "%4d-%2d-%2d%n", &y, &m, &d, &k) == 3)) ||
	    (size_t)k != n || y < 1970 || y > 9998 || m < 1 || m > 12 ||
	    d < 1)
		return -1;
	days = dk_days_from_civil(y, m, d);
	next = m == 12 ? dk_days_from_civil(y + 1, 1, 1) :
	    dk_days_from_civil(y, m + 1, 1);
	if (days >= next)
		return -1;	/* no such day */
	return midnight(!end ? days : n == 7 ? next : days + 1, tz, t);
}

/*
 * A period: "YYYY-MM" (a month), or "FROM..TO" with FROM and TO each a
 * month or a day (YYYY-MM-DD), TO included, in zone tz: its bounds as
 * times, from included, to excluded.
 */
int
dk_period_parse(const char *p, const char *tz, int64_t *from, int64_t *to,
    struct dk_err *e)
{
	const char *dots = strstr(p, "..");
	size_t n = strlen(p);

	if ((dots == NULL && (day(p, n, 0, tz, from) < 0 ||
	    day(p, n, 1, tz, to) < 0)) ||
	    (dots != NULL && (day(p, dots - p, 0, tz, from) < 0 ||
	    day(dots + 2, strlen(dots + 2), 1, tz, to) < 0)))
		return dk_fail(e, DK_EX_USAGE, "period \"%.40s\": must be a "
		    "month (2016-07) or FROM..TO, each a month or a day "
		    "(2016-07-01..2016-07-15)", p);
	if (*from >= *to)
		return dk_fail(e, DK_EX_USAGE, "period \"%.40s\": ends before "
		    "it starts", p);
	return 0;
}
