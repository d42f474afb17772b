/*
 * credit.c: each member's credit score from the ledger alone, as of an
 * entry and a time (denki-formats(5), Credit score): delivery against its
 * contracted positions, payments returned, disputes lost, and tenure.
 */
#include <stdlib.h>
#include <string.h>

#include "settle.h"

static struct dk_creditm *
member(struct dk_credit *c, const char *id)
{
	json_t *x = json_object_get(c->idx, id);
	struct dk_creditm *m;
	size_t cap;

	if (x != NULL)
		return &c->m[json_integer_value(x)];
	if (strlen(id) > DK_ID_MAX)
		return NULL;
	if (c->n == c->cap) {
		cap = c->cap ? 2 * c->cap : 16;
		if ((m = realloc(c->m, cap * sizeof(*m))) == NULL)
			return NULL;
		c->m = m;
		c->cap = cap;
	}
	m = &c->m[c->n];
	memset(m, 0, sizeof(*m));
	snprintf(m->id, sizeof(m->id), "%s", id);
	m->enrol_seq = -1;
	m->enrolled = -1;
	if (json_object_set_new(c->idx, id, json_integer((json_int_t)c->n))
	    < 0)
		return NULL;
	return &c->m[c->n++];
}

void
dk_credit_init(struct dk_credit *c, long long upto)
{
	memset(c, 0, sizeof(*c));
	c->idx = json_object();
	c->prov = json_object();
	c->keys = json_object();
	c->upto = upto;
	c->cp_time = -1;
}

void
dk_credit_free(struct dk_credit *c)
{
	free(c->m);
	json_decref(c->idx);
	json_decref(c->prov);
	json_decref(c->keys);
	memset(c, 0, sizeof(*c));
}

/*
 * The part of a contracted position missed: a net seller (pos > 0) that
 * delivered less, a net buyer that took less; at most the position.
 */
static int64_t
missed(int64_t pos, int64_t dev)
{
	if (pos > 0 && dev < 0)
		return -dev < pos ? -dev : pos;
	if (pos < 0 && dev > 0)
		return dev < -pos ? dev : -pos;
	return 0;
}

static int
counted(struct dk_credit *c, const char *id, int64_t pos, int64_t dev)
{
	struct dk_creditm *m = member(c, id);

	if (m == NULL)
		return -1;
	m->pos_wh += pos < 0 ? -pos : pos;
	m->miss_wh += missed(pos, dev);
	m->settled++;
	return 0;
}

/* A settlement on readings counts; a provisional one waits for its
 * true-up, which counts with the position the settlement had. */
static int
settlement(struct dk_credit *c, json_t *rec, int trueup, struct dk_err *e)
{
	const char *id, *slot;
	long long sold, bought, dev;
	char k[128];
	json_t *p;

	if ((id = dk_get_id(rec, "participant", e)) == NULL ||
	    (slot = dk_get_str(rec, "slot", e)) == NULL ||
	    dk_get_int(rec, "deviation_wh", -DK_MAX_SAFE_INT,
	    DK_MAX_SAFE_INT, &dev, e) < 0)
		return -1;
	snprintf(k, sizeof(k), "%.60s %s", slot, id);
	if (trueup) {
		if ((p = json_object_get(c->prov, k)) == NULL)
			return 0;	/* ledger-verify's to report */
		sold = json_integer_value(p);
		json_object_del(c->prov, k);
		return counted(c, id, sold, dev) < 0 ? dk_fail(e,
		    DK_EX_SOFTWARE, "out of memory") : 0;
	}
	if (dk_get_int(rec, "sold_wh", 0, DK_MAX_SAFE_INT, &sold, e) < 0 ||
	    dk_get_int(rec, "bought_wh", 0, DK_MAX_SAFE_INT, &bought, e) < 0)
		return -1;
	if (json_object_get(rec, "provisional") != NULL)
		return json_object_set_new(c->prov, k, json_integer(sold -
		    bought)) < 0 ? dk_fail(e, DK_EX_SOFTWARE,
		    "out of memory") : 0;
	return counted(c, id, sold - bought, dev) < 0 ? dk_fail(e,
	    DK_EX_SOFTWARE, "out of memory") : 0;
}

/* A decision counts only when signed by the participant it names in
 * "by", with the key the ledger registered for it before, and that
 * participant an active reviewer then (a member's own "decision" would
 * lower another's score). */
static int
resolution(struct dk_credit *c, json_t *rec, struct dk_err *e)
{
	const char *by, *loser;
	struct dk_creditm *m;
	struct dk_key k;
	json_t *key;

	if ((by = dk_get_id(rec, "by", e)) == NULL)
		return -1;
	if ((key = json_object_get(c->keys, by)) == NULL)
		return dk_fail(e, DK_EX_DATAERR, "by: %s is not a registered "
		    "participant", by);
	if (dk_key_from_b64(&k, json_string_value(json_array_get(key, 0)),
	    e) < 0 || dk_verify_record(rec, k.pk, e) < 0)
		return -1;
	if (!json_is_true(json_array_get(key, 1)))
		return dk_fail(e, DK_EX_DATAERR, "by: %s is not an active "
		    "reviewer: only a reviewer resolves a dispute", by);
	if (json_is_null(json_object_get(rec, "loser")))
		return 0;
	if ((loser = dk_get_id(rec, "loser", e)) == NULL)
		return -1;
	if ((m = member(c, loser)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	m->lost++;
	return 0;
}

static int
payment_return(struct dk_credit *c, json_t *rec, struct dk_err *e)
{
	const char *id;
	long long amount;
	struct dk_creditm *m;

	if ((id = dk_get_id(rec, "participant", e)) == NULL ||
	    dk_get_int(rec, "amount", -DK_MAX_SAFE_INT, DK_MAX_SAFE_INT,
	    &amount, e) < 0)
		return -1;
	if ((m = member(c, id)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if (amount < 0)
		m->ret_debit++;
	else
		m->ret_credit++;
	return 0;
}

/*
 * The time by which a checkpoint entry says the entries before it were
 * appended, in *t: its own; with witnesses wp (not NULL), the latest of
 * its own and theirs, and -1 unless one of them cosigned it (the
 * operator's own time could be set back, and an append's checkpoints but
 * its last are never shown to a witness); -1 without a time.
 */
int
dk_checkpoint_bound(json_t *rec, const struct dk_wpolicy *wp, int64_t *t,
    struct dk_err *e)
{
	struct dk_checkpoint cp;
	const char *note = json_string_value(json_object_get(rec, "note"));
	uint64_t wt;
	size_t i;
	int rc, seen = 0;

	if (note == NULL || dk_checkpoint_parse(note, strlen(note), &cp, e) < 0)
		return dk_failpre(e, "checkpoint");
	for (i = 0; wp != NULL && i < wp->n; i++)
		if ((rc = dk_cosig_find(note, strlen(note), &wp->w[i].k, &wt,
		    e)) < 0)
			return dk_failpre(e, "checkpoint");
		else if (rc > 0 && (seen = 1) && (int64_t)wt > cp.time)
			cp.time = (int64_t)wt;
	*t = cp.time >= 0 && (wp == NULL || seen) ? cp.time : -1;
	return 0;
}

/* The first checkpoint with a time after a member's first participant
 * record dates its enrolment. */
static int
checkpoint(struct dk_credit *c, json_t *rec, struct dk_err *e)
{
	int64_t t;
	size_t i;

	if (dk_checkpoint_bound(rec, c->wp, &t, e) < 0)
		return -1;
	if (t < 0)
		return 0;
	c->cp_time = t;
	for (i = 0; i < c->n; i++)
		if (c->m[i].enrol_seq >= 0 && c->m[i].enrolled < 0)
			c->m[i].enrolled = t;
	return 0;
}

static int
participant(struct dk_credit *c, long long seq, json_t *rec,
    struct dk_err *e)
{
	const char *id, *key, *role, *status;
	struct dk_creditm *m;

	if ((id = dk_get_id(rec, "id", e)) == NULL ||
	    (key = dk_get_str(rec, "key", e)) == NULL ||
	    (role = dk_get_str(rec, "role", e)) == NULL ||
	    (status = dk_get_str(rec, "status", e)) == NULL)
		return -1;
	/* its key, and whether it is an active reviewer, who alone
	 * decides a dispute */
	if (json_object_set_new(c->keys, id, json_pack("[s,b]", key,
	    strcmp(role, "reviewer") == 0 && strcmp(status, "active") == 0))
	    < 0 || (m = member(c, id)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if (m->enrol_seq < 0)
		m->enrol_seq = seq;
	return 0;
}

/*
 * A dk_entry_fn: one ledger entry read into the scores; entries at or
 * after c->upto (when it is not negative) are left out.
 */
int
dk_credit_entry(void *ctx, long long seq, long line, json_t *rec,
    struct dk_err *e)
{
	struct dk_credit *c = ctx;
	const char *type = json_string_value(json_object_get(rec, "type"));
	int rc = 0;

	(void)line;
	if (c->upto >= 0 && seq >= c->upto)
		return 0;
	c->entries = seq + 1;
	if (strcmp(type, "participant") == 0)
		rc = participant(c, seq, rec, e);
	else if (strcmp(type, "checkpoint") == 0)
		rc = checkpoint(c, rec, e);
	else if (strcmp(type, "settlement") == 0 ||
	    strcmp(type, "trueup") == 0)
		rc = settlement(c, rec, type[0] == 't', e);
	else if (strcmp(type, "payment_return") == 0)
		rc = payment_return(c, rec, e);
	else if (strcmp(type, "dispute_resolution") == 0)
		rc = resolution(c, rec, e);
	return rc < 0 ? dk_failpre(e, "%s", type) : 0;
}

/* The ledger at path read up to entry upto (excluded; -1: all of it).
 * (With witnesses: dk_credit_init, c->wp set, then dk_credit_entry for
 * each entry.) */
int
dk_credit_ledger(struct dk_credit *c, const char *path,
    const unsigned char *oppk, long long upto, struct dk_err *e)
{
	dk_credit_init(c, upto);
	if (dk_ledger_scan(path, oppk, dk_credit_entry, c, e) < 0) {
		dk_credit_free(c);
		return -1;
	}
	return 0;
}

/*
 * id's score at time at (Unix seconds), from the entries read: 0 with s
 * filled, -1 when the ledger never registered id (e filled).
 */
int
dk_credit_score(const struct dk_credit *c, const char *id, int64_t at,
    struct dk_credit_score *s, struct dk_err *e)
{
	json_t *x = json_object_get(c->idx, id);
	const struct dk_creditm *m;
	int64_t bp, d;

	if (x == NULL || c->m[json_integer_value(x)].enrol_seq < 0)
		return dk_fail(e, DK_EX_DATAERR, "%s: not a participant of "
		    "the ledger", id);
	m = &c->m[json_integer_value(x)];
	memset(s, 0, sizeof(*s));
	s->m = m;
	s->at = at;
	s->days = m->enrolled >= 0 && at > m->enrolled ?
	    (at - m->enrolled) / 86400 : 0;
	d = s->days < DK_CREDIT_DAYS ? s->days : DK_CREDIT_DAYS;
	s->tenure = (int)(d * DK_CREDIT_TENURE / DK_CREDIT_DAYS);
	/* miss_wh <= pos_wh < 2^53, so bp <= 10000 and no product wraps */
	bp = m->pos_wh > 0 ? m->miss_wh * 10000 / m->pos_wh : 0;
	s->miss_bp = (int)bp;
	s->delivery = (int)(DK_CREDIT_DELIVERY * (10000 - bp) / 10000);
	d = DK_CREDIT_PAYMENTS - DK_CREDIT_DEBIT * (int64_t)m->ret_debit -
	    DK_CREDIT_CREDIT * (int64_t)m->ret_credit;
	s->payments = d > 0 ? (int)d : 0;
	d = DK_CREDIT_DISPUTES - DK_CREDIT_LOST * (int64_t)m->lost;
	s->disputes = d > 0 ? (int)d : 0;
	s->score = s->tenure + s->delivery + s->payments + s->disputes;
	return 0;
}

/* The score as a credit record (denki-formats(5)). */
json_t *
dk_credit_json(const struct dk_credit *c, const struct dk_credit_score *s)
{
	char t[40];

	return json_pack("{s:s,s:i,s:s,s:I,s:o,s:i,s:i,s:i,s:i,s:i,s:I,s:I,"
	    "s:I,s:i,s:I,s:I,s:I,s:I}",
	    "type", "credit", "v", 1, "participant", s->m->id,
	    "entries", (json_int_t)c->entries, "at",
	    dk_time_utc(s->at, t, sizeof(t)) < 0 ? json_null() :
	    json_string(t),
	    "score", s->score, "tenure", s->tenure, "delivery", s->delivery,
	    "payments", s->payments, "disputes", s->disputes,
	    "days", (json_int_t)s->days,
	    "contracted_wh", (json_int_t)s->m->pos_wh,
	    "missed_wh", (json_int_t)s->m->miss_wh, "missed_bp", s->miss_bp,
	    "returned_debits", (json_int_t)s->m->ret_debit,
	    "returned_credits", (json_int_t)s->m->ret_credit,
	    "disputes_lost", (json_int_t)s->m->lost,
	    "settlements", (json_int_t)s->m->settled);
}
