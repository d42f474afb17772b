/*
 * audit.c: the offline audit of a whole ledger (denki-ledger-verify): every
 * entry read and replayed into a state, the orders' signatures checked on
 * worker threads, each slot's market cleared and each slot settled again
 * and compared with what the ledger recorded, and the verdict's figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "settle.h"

/* The orders of a slot not yet cleared, read once, as the book. */
struct book {
	int64_t slot;
	struct dk_order *o;
	size_t n, cap;
};

struct vctx {
	struct dk_state st;
	struct book *books;	/* the slots with orders not yet cleared */
	size_t nbooks;
	json_t *readings;	/* slot -> readings not yet settled */
	json_t *expect;		/* what the replay says must come next */
	size_t pos;
	char what[80];
	long long norders, ncontracts, nsettlements, ntransfers, nslots,
	    nsettled, entries, ncheckpoints, nreadings, nunsigned;
	long long ncancelled;	/* contracts cancelled by a halt */
	int64_t wh, paid, received, fees, cancelled_wh;
	json_t *recoveries;	/* each key recovery, as verify shows it */
	struct dk_pool *pool;
	struct dk_scaninfo *si;	/* the scan's: the record's bytes */
	json_t *openings;	/* seq -> opening not yet met; NULL: none */
	json_t *blind;		/* slot -> true: a commitment not opened */
	json_t *cmeters;	/* slot -> the meters committed, not settled */
	json_t *buf;		/* the records of a blind slot's settlement */
	json_t *bpos;		/* and where each is: [seq, line] */
	int64_t bslot;
	const char *path;
	json_t *unopened;	/* the blind slots settled, by name */
	long long ncommit, nopened;
	int64_t zsum;		/* the settlement's money, over all parties */
	json_t *months;		/* month -> the sum of its money, over all */
	struct dk_paybook pb;	/* the payment runs replayed (pay.c) */
	json_t *late;		/* slot -> readings for a true-up */
	json_t *lateblind;	/* slot -> meters committed for one, unopened */
	json_t *tuby;		/* the contracts of slot tuslot by party */
	int64_t tuslot;
	long long nprov, ntrueups, nmember_slots;
	struct dk_disputes dsp;	/* disputes and their targets (dispute.c) */
	struct dk_revq rq;	/* expert review (audit-review.c) */
};

static void
slotkey(int64_t t, char *k, size_t n)
{
	snprintf(k, n, "%lld", (long long)t);
}

static int
slot_of(struct vctx *v, json_t *rec, int64_t *t, struct dk_err *e)
{
	const char *s = dk_get_str(rec, "slot", e);

	if (s == NULL || dk_slot_parse(s, v->st.rules.slot_minutes, t, e) < 0)
		return -1;
	return 0;
}

static int
pend(json_t *map, int64_t t, json_t *rec)
{
	char k[32];
	json_t *a;

	slotkey(t, k, sizeof(k));
	if ((a = json_object_get(map, k)) == NULL) {
		a = json_array();
		json_object_set_new(map, k, a);
	}
	return json_array_append(a, rec);
}

static int
party(const char *id)
{
	return id == NULL || (strcmp(id, "utility") != 0 &&
	    strcmp(id, "operator") != 0 && strcmp(id, "grid") != 0);
}

/*
 * The money of a settlement, true-up or transfer record into the sums
 * that must be zero: the slot's (each participant's net, and what the
 * operator, grid and utility were paid, less what they paid), and its
 * month's.  The membership transfers are in no settlement's net: the
 * participant's side counts on its own.
 */
static int
zero_sum(struct vctx *v, json_t *rec, const char *type, struct dk_err *e)
{
	const char *slot = json_string_value(json_object_get(rec, "slot"));
	int64_t a, m = 0;
	char month[8];
	json_t *mj;

	/* a dispute's compensation sums to zero on its own (dispute.c) */
	if (json_object_get(rec, "dispute") != NULL)
		return 0;
	if (strcmp(type, "settlement") == 0 || strcmp(type, "trueup") == 0) {
		/* the participant's side: its net (a true-up's, the change) */
		a = json_integer_value(json_object_get(rec, "net"));
		m = a;
	} else {
		a = json_integer_value(json_object_get(rec, "amount"));
		if (!party(json_string_value(json_object_get(rec, "to"))))
			m += a;
		if (!party(json_string_value(json_object_get(rec, "from"))) ||
		    json_object_get(rec, "month") != NULL)
			m -= a;
	}
	if (dk_add(&v->zsum, m) < 0)
		return dk_fail(e, DK_EX_NO, "%s: its sums are beyond "
		    "+-(2^53-1)", v->what);
	snprintf(month, sizeof(month), "%.7s", slot ? slot : "");
	a = json_integer_value(mj = json_object_get(v->months, month));
	if (dk_add(&a, m) < 0)
		return dk_fail(e, DK_EX_NO, "%s: the month's sums are beyond "
		    "+-(2^53-1)", v->what);
	if (mj == NULL)
		return json_object_set_new(v->months, month, json_integer(a));
	return json_integer_set(mj, a);
}

/* A record the replay made must come next, the same to the last field:
 * the contracts after a clearing, the settlements and transfers of a slot. */
static int
expected(struct vctx *v, json_t *rec, struct dk_err *e)
{
	json_t *want = json_array_get(v->expect, v->pos);
	const char *type = json_string_value(json_object_get(rec, "type"));
	int held = dk_audit_held(&v->rq, &v->st, v->expect, v->pos, rec, e);

	if (held < 0)
		return -1;
	if (!held && !json_equal(want, rec))
		return dk_fail(e, DK_EX_NO, "%s differs from the replay: "
		    "field %s (found a %s record)", v->what,
		    dk_first_diff(want, rec), type ? type : "typeless");
	v->pos++;
	if (strcmp(type, "contract") == 0) {
		v->ncontracts++;
		if (dk_add(&v->wh, json_integer_value(json_object_get(rec,
		    "wh"))) < 0)
			return dk_fail(e, DK_EX_DATAERR, "contract_wh: the "
			    "ledger's total is beyond +-(2^53-1)");
	} else if (strcmp(type, "trueup") == 0)
		v->ntrueups++;
	else if (strcmp(type, "settlement") == 0) {
		v->nsettlements++;
		v->nmember_slots++;
		if (json_object_get(rec, "provisional") != NULL)
			v->nprov++;
		/* what the replay made, so within the limits of a slot */
		if (dk_add(&v->paid, json_integer_value(json_object_get(rec,
		    "p2p_paid"))) < 0 ||
		    dk_add(&v->received, json_integer_value(json_object_get(
		    rec, "p2p_received"))) < 0 ||
		    dk_add(&v->fees, json_integer_value(json_object_get(rec,
		    "fees"))) < 0 ||
		    dk_add(&v->fees, json_integer_value(json_object_get(rec,
		    "wheeling"))) < 0 ||
		    dk_add(&v->fees, json_integer_value(json_object_get(rec,
		    "rent"))) < 0)
			return dk_fail(e, DK_EX_NO, "%s: its sums are beyond "
			    "+-(2^53-1)", v->what);
	} else if (strcmp(type, "transfer") == 0) {
		v->ntransfers++;
		if (json_integer_value(json_object_get(rec, "amount")) < 0)
			return dk_fail(e, DK_EX_NO, "transfer: amount is "
			    "negative");
		if (dk_paybook_transfer(&v->pb, rec, e) < 0)
			return -1;
	}
	if (strcmp(type, "contract") != 0 && !held &&
	    zero_sum(v, rec, type, e) < 0)
		return -1;
	if (v->pos == json_array_size(v->expect)) {
		json_array_clear(v->expect);
		v->pos = 0;
		if (strncmp(v->what, "settlement", 10) == 0) {
			if (v->zsum != 0)
				return dk_fail(e, DK_EX_NO, "%s: the money of "
				    "participants, operator, grid and utility "
				    "sums to %lld, not 0", v->what,
				    (long long)v->zsum);
			if (v->paid != v->received + v->fees)
				return dk_fail(e, DK_EX_NO, "%s: P2P payments "
				    "%lld != receipts %lld + fees, wheeling "
				    "and rent %lld",
				    v->what, (long long)v->paid,
				    (long long)v->received, (long long)v->fees);
			v->nsettled++;
		}
	}
	return dk_state_apply(&v->st, 0, 0, rec, e);
}

/*
 * The rules slot ss is replayed under: its own; when they price deviations
 * by a series this program has not read, with the price its settlement
 * record rec says (every record of the slot must then say the same, and
 * the money follow from it).  *r is then a copy in tmp.
 */
static int
replay_rules(const struct dk_slotstate *ss, json_t *rec,
    const struct dk_rules **r, struct dk_rules *tmp, struct dk_err *e)
{
	struct dk_err e2 = { 0 };
	long long p;
	int64_t x;

	*r = &ss->rules;
	if (ss->rules.imbalance[0] == '\0' ||
	    dk_series_price(ss->rules.imbalance, ss->slot, &x, &e2) != 0)
		return 0;
	if (dk_get_int(rec, "imbalance_price", 0, DK_MAX_PRICE, &p, e) < 0) {
		e->status = DK_EX_NO;
		return dk_failpre(e, "settlement of slot %s", json_string_value(
		    json_object_get(rec, "slot")));
	}
	*tmp = ss->rules;
	tmp->imb_given = 1;
	tmp->imb_price = p;
	*r = tmp;
	return 0;
}

static struct book *
book_of(struct vctx *v, int64_t t, int make)
{
	struct book *b;
	size_t i;

	for (i = 0; i < v->nbooks; i++)
		if (v->books[i].slot == t)
			return &v->books[i];
	if (!make || (b = realloc(v->books, (v->nbooks + 1) *
	    sizeof(*b))) == NULL)
		return NULL;
	v->books = b;
	b = &v->books[v->nbooks++];
	memset(b, 0, sizeof(*b));
	b->slot = t;
	return b;
}

static void
book_free(struct vctx *v, struct book *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		json_decref(b->o[i].rec);
		free((char *)b->o[i].line);
	}
	free(b->o);
	*b = v->books[--v->nbooks];
}

/* An order read and checked, kept (its record and its bytes) for the
 * book of its slot. */
static int
book_add(struct vctx *v, struct dk_order *o, json_t *rec, const char *text,
    size_t len)
{
	struct book *b = book_of(v, o->slot, 1);
	struct dk_order *no;

	if (b == NULL)
		return -1;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		if ((no = realloc(b->o, cap * sizeof(*no))) == NULL)
			return -1;
		b->o = no;
		b->cap = cap;
	}
	o->rec = json_incref(rec);
	o->line = NULL;
	if (text != NULL && (o->line = strndup(text, len)) == NULL) {
		json_decref(rec);
		return -1;
	}
	o->len = len;
	b->o[b->n++] = *o;
	return 0;
}

/*
 * The slot's book (the orders read before the clearing record rec)
 * cleared again by the market's one replay: the clearing must be rec, and
 * the contracts it makes are what must come next (v->expect).  The book
 * is freed.
 */
static int
audit_clearing(struct vctx *v, json_t *rec, int64_t t, struct dk_err *e)
{
	struct book *b = book_of(v, t, 0);
	struct dk_order *book;
	struct dk_replay rp;
	size_t n = b != NULL ? b->n : 0;
	int rc;

	/*
	 * Each was verified when it was read, and its id kept.  The replay
	 * works on a copy of the book, which it reorders and compacts; the
	 * book itself holds the records and bytes.
	 */
	if ((book = calloc(n + 1, sizeof(*book))) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if (n > 0)
		memcpy(book, b->o, n * sizeof(*book));
	if ((rc = dk_replay(&rp, book, n, t, &v->st, &v->st.rules, e)) > 0) {
		/* a refused book is the ledger's fault: a verdict, not 65 */
		e->status = DK_EX_NO;
		rc = dk_failpre(e, "clearing");
	} else if (rc == 0 && !json_equal(rp.clearing, rec))
		rc = dk_fail(e, DK_EX_NO, "clearing differs from a replay of "
		    "the market on the %zu orders before it: field %s", n,
		    dk_first_diff(rp.clearing, rec));
	else if (rc == 0) {
		json_array_clear(v->expect);
		v->pos = 0;
		json_array_extend(v->expect, rp.contracts);
		snprintf(v->what, sizeof(v->what), "contract of slot %s",
		    json_string_value(json_object_get(rec, "slot")));
		v->nslots++;
		rc = dk_state_apply(&v->st, 0, 0, rec, e);
	}
	dk_replay_free(&rp);
	free(book);
	if (b != NULL)
		book_free(v, b);
	return rc;
}

/* An order: checked, its signature queued for the pool, kept for its book. */
static int
audit_order(struct vctx *v, long long seq, long line, json_t *rec,
    struct dk_err *e)
{
	const struct dk_participant *pp;
	struct dk_order o;
	unsigned char sg[64];
	char *msg, idh[65];
	size_t ml;

	/* the id and the signed message from the record's bytes */
	if (v->si->rec_text != NULL)
		dk_sha256_hex(v->si->rec_text, v->si->rec_len, idh);
	if (dk_order_read_id(&o, rec, v->si->rec_text != NULL ? idh :
	    NULL, &v->st.rules, &v->st.reg, e) < 0)
		return dk_failpre(e, "order");
	if (dk_state_slot(&v->st, o.slot) != NULL)
		return dk_fail(e, DK_EX_NO, "order for slot %s, which "
		    "was already cleared", json_string_value(
		    json_object_get(rec, "slot")));
	pp = dk_registry_find(&v->st.reg, o.participant);
	if (dk_record_sig_text(rec, v->si->rec_text, v->si->rec_len,
	    &msg, &ml, sg, e) < 0)
		return dk_failpre(e, "order");
	dk_pool_add(v->pool, seq, line, msg, ml, sg, pp->pk, "order");
	v->norders++;
	if (book_add(v, &o, rec, v->si->rec_text, v->si->rec_len) < 0)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	return 0;
}

/* A settlement record: the slot settled again from the readings before
 * it; the records that makes must come next, this one first. */
static int
audit_settlement(struct vctx *v, json_t *rec, int64_t t, struct dk_err *e)
{
	struct dk_slotstate *ss = dk_state_slot(&v->st, t);
	const struct dk_rules *r;
	struct dk_rules tmp;
	json_t *rd, *cs, *x;
	char k[32];
	size_t i, nprov;
	int rc;

	if (ss == NULL || ss->settled)
		return dk_fail(e, DK_EX_NO, "settlement for slot %s, "
		    "which is %s", json_string_value(json_object_get(
		    rec, "slot")), ss ? "already settled" :
		    "not cleared");
	slotkey(t, k, sizeof(k));
	json_array_clear(v->expect);
	v->pos = 0;
	v->paid = v->received = v->fees = v->zsum = 0;
	rd = json_object_get(v->readings, k);
	if (rd == NULL)
		json_object_set_new(v->readings, k, rd = json_array());
	if (replay_rules(ss, rec, &r, &tmp, e) < 0)
		return -1;
	if ((cs = dk_state_contracts(ss)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	rc = dk_settle_prov(t, cs, rd, &v->st.reg, r, v->expect, &nprov,
	    e);
	if (rc == 0)
		rc = dk_island(t, &v->st, r, v->expect, e);
	if (rc == 0)
		rc = dk_settle_monthly(t, &v->st, r, v->expect, e);
	json_decref(cs);
	if (rc < 0)
		return dk_failpre(e, "settlement: the readings before "
		    "it do not settle");
	if (v->si->committed)
		json_array_foreach(v->expect, i, x)
			if (strcmp(json_string_value(json_object_get(x,
			    "type")), "settlement") == 0)
				dk_settlement_private(x);
	json_object_del(v->readings, k);
	json_object_del(v->cmeters, k);
	snprintf(v->what, sizeof(v->what), "settlement of slot %s",
	    json_string_value(json_object_get(rec, "slot")));
	return expected(v, rec, e);
}

/* The entries of map[k] of participant p's meters (a reading, or a
 * meter's name), taken out of it. */
static json_t *
take(struct vctx *v, json_t *map, const char *k,
    const struct dk_participant *p)
{
	json_t *a = json_object_get(map, k), *mine = json_array(), *x, *m;
	size_t i;

	for (i = 0; i < json_array_size(a);) {
		x = json_array_get(a, i);
		m = json_is_string(x) ? x : json_object_get(x, "meter");
		if (dk_registry_meter(&v->st.reg, json_string_value(m)) == p) {
			json_array_append(mine, x);
			json_array_remove(a, i);
		} else
			i++;
	}
	if (a != NULL && json_array_size(a) == 0)
		json_object_del(map, k);
	return mine;
}

/* The contracts of participant id in slot t (ss), for its true-up: the
 * slot's, by party, made once for the true-ups of a slot in a row. */
static json_t *
trueup_contracts(struct vctx *v, struct dk_slotstate *ss, int64_t t,
    const char *id)
{
	json_t *cs, *x;

	if (v->tuby == NULL || v->tuslot != t) {
		json_decref(v->tuby);
		v->tuby = NULL;
		if ((cs = dk_state_contracts(ss)) == NULL)
			return NULL;
		v->tuby = dk_contracts_by_party(cs);
		v->tuslot = t;
		json_decref(cs);
		if (v->tuby == NULL)
			return NULL;
	}
	x = json_object_get(v->tuby, id);
	return x != NULL ? json_incref(x) : json_array();
}

/*
 * A true-up: of a provisional settlement of its slot and participant not
 * trued up before, replayed from the readings of the meters it missed
 * that came after it (dk_trueup) or, where their commitments were not
 * opened, from the record's deviation (dk_trueup_net: those meters must
 * be the ones it missed).  Its records must come next, this one first.
 */
static int
audit_trueup(struct vctx *v, json_t *rec, int64_t t, struct dk_err *e)
{
	struct dk_slotstate *ss = dk_state_slot(&v->st, t);
	const struct dk_participant *p;
	const char *id = json_string_value(json_object_get(rec,
	    "participant")), *slot = json_string_value(json_object_get(rec,
	    "slot"));
	const struct dk_rules *r;
	struct dk_rules tmp;
	json_t *prov, *mine, *bm, *cs, *miss, *x;
	long long dev;
	char k[32];
	size_t i, j;
	int rc;

	prov = ss != NULL && id != NULL ? json_object_get(ss->prov, id) : NULL;
	if (prov == NULL || (p = dk_registry_find(&v->st.reg, id)) == NULL)
		return dk_fail(e, DK_EX_NO, "trueup of slot %s: participant %s "
		    "has no provisional settlement to true up (none, or trued "
		    "up before)", slot, id ? id : "?");
	/* under an imbalance series, the price its provisional settlement
	 * names (the series itself, when -I gave it) */
	if (replay_rules(ss, prov, &r, &tmp, e) < 0)
		return -1;
	slotkey(t, k, sizeof(k));
	mine = take(v, v->late, k, p);
	bm = take(v, v->lateblind, k, p);
	json_array_clear(v->expect);
	v->pos = 0;
	snprintf(v->what, sizeof(v->what), "trueup of slot %s", slot);
	if ((cs = trueup_contracts(v, ss, t, id)) == NULL) {
		rc = dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (json_array_size(bm) == 0) {
		rc = dk_trueup(prov, cs, mine, &v->st.reg, r, v->expect, e);
	} else {
		/* every meter missed: opened, or committed unopened */
		miss = json_object_get(prov, "provisional");
		json_array_foreach(mine, i, x)
			json_array_append(bm, json_object_get(x, "meter"));
		for (i = 0; i < json_array_size(miss); i++) {
			for (j = 0; j < json_array_size(bm) && !json_equal(
			    json_array_get(bm, j), json_array_get(miss, i)); j++)
				;
			if (j == json_array_size(bm))
				break;
		}
		rc = 0;
		if (i < json_array_size(miss) || json_array_size(bm) !=
		    json_array_size(miss))
			rc = dk_fail(e, DK_EX_NO, "%s: the meters committed "
			    "before it are not the %zu participant %s was "
			    "settled without", v->what, json_array_size(miss),
			    id);
		else if (dk_get_int(rec, "deviation_wh", -2 * DK_MAX_WH,
		    2 * DK_MAX_WH, &dev, e) < 0)
			rc = dk_failpre(e, "%s", v->what);
		else {
			rc = dk_trueup_net(prov, cs, dev + json_integer_value(
			    json_object_get(prov, "sold_wh")) -
			    json_integer_value(json_object_get(prov,
			    "bought_wh")), &v->st.reg, r, v->expect, e);
			x = json_array_get(v->unopened, json_array_size(
			    v->unopened) - 1);
			if (x == NULL || strcmp(json_string_value(x), slot) != 0)
				json_array_append_new(v->unopened,
				    json_string(slot));
		}
	}
	json_decref(cs);
	if (rc != 0) {
		if (rc == 1)
			e->status = DK_EX_NO;
		rc = dk_failpre(e, "%s", v->what);
		goto out;
	}
	rc = expected(v, rec, e);
out:
	json_decref(mine);
	json_decref(bm);
	return rc;
}

/*
 * A commitment to a reading: its slot cleared and not settled, its meter
 * registered; with its opening, the opening must match and its reading
 * waits for the settlement as a reading in clear would; without, its slot
 * is blind: settled from its records' deviations (blind_end).
 */
static int
audit_commitment(struct vctx *v, long long seq, json_t *rec,
    struct dk_err *e)
{
	struct dk_slotstate *ss;
	json_t *op, *rd, *a;
	const char *kind;
	char k[32];
	int64_t t, t2;
	int late;

	if (dk_commitment_check(rec, e) < 0 || slot_of(v, rec, &t, e) < 0)
		return dk_failpre(e, "commitment");
	ss = dk_state_slot(&v->st, t);
	late = ss != NULL && ss->settled && dk_prov_missed(ss,
	    &v->st.reg, json_string_value(json_object_get(rec, "meter"))) != NULL;
	if ((ss == NULL || ss->settled) && !late)
		return dk_fail(e, DK_EX_NO, "commitment for slot %s, which is "
		    "%s", json_string_value(json_object_get(rec, "slot")), ss ?
		    "already settled" : "not cleared");
	if (dk_registry_meter(&v->st.reg, json_string_value(json_object_get(
	    rec, "meter"))) == NULL)
		return dk_fail(e, DK_EX_NO, "commitment: meter %s is not in "
		    "the registry", json_string_value(json_object_get(rec,
		    "meter")));
	v->ncommit++;
	v->nreadings++;	/* a commitment is a reading; signed or not is
			 * known only from its opening */
	slotkey(t, k, sizeof(k));
	if (late && (op = dk_openings_get(v->openings, seq)) == NULL) {
		pend(v->lateblind, t, json_object_get(rec, "meter"));
		return 0;
	}
	if (!late) {
		if ((a = json_object_get(v->cmeters, k)) == NULL)
			json_object_set_new(v->cmeters, k, a = json_array());
		json_array_append(a, json_object_get(rec, "meter"));
	}
	if ((op = dk_openings_get(v->openings, seq)) == NULL) {
		json_object_set_new(v->blind, k, json_true());
		return 0;
	}
	if (dk_opening_check(op, rec, seq, e) < 0)
		return -1;
	rd = json_object_get(op, "reading");
	if (dk_reading_check(rd, &v->st.rules, &t2, e) < 0)
		return dk_failpre(e, "entry %lld: opening: reading", seq);
	kind = json_string_value(json_object_get(rd, "kind"));
	if (kind != NULL && strcmp(kind, "grid") != 0)
		return dk_fail(e, DK_EX_NO, "entry %lld: opening: a %s reading, "
		    "which is not settled", seq, kind);
	v->nopened++;
	if (json_object_get(rd, "sig") == NULL)
		v->nunsigned++;
	pend(late ? v->late : v->readings, t, rd);
	snprintf(k, sizeof(k), "%lld", seq);
	json_object_del(v->openings, k);
	return 0;
}

/* Whether the string a[i] comes before i in a too. */
static int
twice(json_t *a, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (json_equal(json_array_get(a, j), json_array_get(a, i)))
			return 1;
	return 0;
}

/* The meters committed in slot k: each once, each owned by a participant
 * of nets, and every meter of each of them. */
static int
blind_meters(struct vctx *v, const char *k, json_t *nets, json_t *provs,
    const char *slot, struct dk_err *e)
{
	json_t *pv;
	size_t want;
	const struct dk_participant *p;
	json_t *a = json_object_get(v->cmeters, k), *seen = json_object();
	json_t *m, *count = json_object();
	const char *id;
	size_t i;
	int rc = 0;

	json_array_foreach(a, i, m) {
		if ((p = dk_registry_meter(&v->st.reg,
		    json_string_value(m))) == NULL) {
			rc = dk_fail(e, DK_EX_NO, "slot %s: meter %s is not in "
			    "the registry", slot, json_string_value(m));
			goto out;
		}
		if (json_object_get(seen, json_string_value(m)) != NULL) {
			rc = dk_fail(e, DK_EX_NO, "slot %s: a second "
			    "commitment to a reading of meter %s", slot,
			    json_string_value(m));
			goto out;
		}
		json_object_set_new(seen, json_string_value(m), json_true());
		pv = json_object_get(json_object_get(provs, p->id),
		    "provisional");
		for (want = 0; want < json_array_size(pv); want++)
			if (json_equal(json_array_get(pv, want), m)) {
				rc = dk_fail(e, DK_EX_NO, "slot %s: participant "
				    "%s is settled without a reading of meter "
				    "%s, which is committed", slot, p->id,
				    json_string_value(m));
				goto out;
			}
		if (json_object_get(nets, p->id) == NULL) {
			rc = dk_fail(e, DK_EX_NO, "slot %s: a reading of meter "
			    "%s is committed, but its participant %s has no "
			    "settlement", slot, json_string_value(m), p->id);
			goto out;
		}
		json_object_set_new(count, p->id, json_integer(1 +
		    json_integer_value(json_object_get(count, p->id))));
	}
	json_object_foreach(nets, id, m) {
		p = dk_registry_find(&v->st.reg, id);
		pv = json_object_get(json_object_get(provs, id), "provisional");
		for (i = 0; p != NULL && i < json_array_size(pv); i++)
			if (dk_registry_meter(&v->st.reg, json_string_value(
			    json_array_get(pv, i))) != p || json_array_size(pv) >
			    p->nmeters || twice(pv, i)) {
				rc = dk_fail(e, DK_EX_NO, "slot %s: participant "
				    "%s: provisional: not a list of its meters, "
				    "each once", slot, id);
				goto out;
			}
		want = p != NULL ? p->nmeters - json_array_size(pv) : 0;
		if (p != NULL && (size_t)json_integer_value(json_object_get(
		    count, id)) != want) {
			rc = dk_fail(e, DK_EX_NO, "slot %s: participant %s is "
			    "settled on %lld committed readings, but has %zu "
			    "meters%s", slot, id, (long long)json_integer_value(
			    json_object_get(count, id)), p->nmeters, pv ?
			    " less those it was settled without" : "");
			goto out;
		}
	}
out:
	json_decref(seen);
	json_decref(count);
	return rc;
}

/* e named after the place of the buffered record i, as the scan would. */
static int
at(struct vctx *v, json_t *bpos, size_t i, struct dk_err *e)
{
	json_t *p = json_array_get(bpos, i);

	return dk_failpre(e, "%s:%lld: entry %lld", v->path,
	    (long long)json_integer_value(json_array_get(p, 1)),
	    (long long)json_integer_value(json_array_get(p, 0)));
}

/*
 * The readings of a blind slot that were opened (a member's copy): each
 * signed as its meter must be, and a participant whose every meter was
 * opened settled on their net export, not on another.  nets: id ->
 * [net export, index of its record].  0, or 1 + the index of the record
 * to name with e.
 */
static size_t
blind_opened(struct vctx *v, const char *k, json_t *nets, const char *slot,
    struct dk_err *e)
{
	const struct dk_participant *p, *o;
	json_t *rds = json_object_get(v->readings, k), *rd, *x;
	const char *id;
	int64_t sum, net;
	size_t i, n;

	json_array_foreach(rds, i, rd) {
		o = dk_registry_meter(&v->st.reg, json_string_value(
		    json_object_get(rd, "meter")));
		if (o == NULL || dk_reading_verify(rd, o, e) < 0) {
			if (o == NULL)
				dk_fail(e, DK_EX_NO, "meter not in the registry");
			e->status = DK_EX_NO;
			dk_failpre(e, "slot %s: an opened reading", slot);
			return 1;
		}
	}
	json_object_foreach(nets, id, x) {
		if ((p = dk_registry_find(&v->st.reg, id)) == NULL)
			continue;
		net = json_integer_value(json_array_get(x, 0));
		sum = 0;
		n = 0;
		json_array_foreach(rds, i, rd) {
			if (dk_registry_meter(&v->st.reg, json_string_value(
			    json_object_get(rd, "meter"))) != p)
				continue;
			n++;
			sum += json_integer_value(json_object_get(rd,
			    "export_wh")) - json_integer_value(json_object_get(rd,
			    "import_wh"));
		}
		if (n > 0 && n == p->nmeters && sum != net) {
			dk_fail(e, DK_EX_NO, "slot %s: participant %s is "
			    "settled on a net export of %lld Wh, but its opened "
			    "readings make %lld Wh", slot, id, (long long)net,
			    (long long)sum);
			return 1 + (size_t)json_integer_value(json_array_get(x,
			    1));
		}
	}
	return 0;
}

/*
 * The end of a blind slot's settlement records (v->buf): each
 * participant's metered net export taken from its record (deviation_wh +
 * sold_wh - bought_wh), the meters committed checked against the
 * participants settled, and the slot settled again from those nets; the
 * records must be what that makes, in order.  What it cannot check is
 * that the deviations are the committed readings'.
 */
static int
blind_end(struct vctx *v, json_t *next, struct dk_err *e)
{
	struct dk_slotstate *ss = dk_state_slot(&v->st, v->bslot);
	const struct dk_rules *r;
	struct dk_rules tmp;
	json_t *buf = v->buf, *bpos = v->bpos, *nets = json_object(), *cs;
	json_t *rec, *provs = json_object(), *pv;
	const char *id, *slot, *ntype;
	long long dev, sold, bought;
	char k[32];
	size_t i;
	int rc = -1;

	v->buf = v->bpos = NULL;
	slot = json_string_value(json_object_get(json_array_get(buf, 0),
	    "slot"));
	snprintf(v->what, sizeof(v->what), "settlement of slot %s", slot);
	if (ss == NULL || ss->settled) {
		dk_fail(e, DK_EX_NO, "settlement for slot %s, which is %s",
		    slot, ss ? "already settled" : "not cleared");
		at(v, bpos, 0, e);
		goto out;
	}
	json_array_foreach(buf, i, rec) {
		if (strcmp(json_string_value(json_object_get(rec, "type")),
		    "settlement") != 0)
			continue;
		if ((id = dk_get_id(rec, "participant", e)) == NULL ||
		    dk_get_int(rec, "deviation_wh", -2 * DK_MAX_WH,
		    2 * DK_MAX_WH, &dev, e) < 0 ||
		    dk_get_int(rec, "sold_wh", 0, DK_MAX_WH, &sold, e) < 0 ||
		    dk_get_int(rec, "bought_wh", 0, DK_MAX_WH, &bought, e) < 0) {
			e->status = DK_EX_NO;
			dk_failpre(e, "%s", v->what);
			at(v, bpos, i, e);
			goto out;
		}
		if (json_object_get(nets, id) != NULL) {
			dk_fail(e, DK_EX_NO, "%s: participant %s settled twice",
			    v->what, id);
			at(v, bpos, i, e);
			goto out;
		}
		json_object_set_new(nets, id, json_pack("[I,I]", (json_int_t)(dev +
		    sold - bought), (json_int_t)i));
		if (json_object_get(rec, "provisional") != NULL)
			json_object_set(provs, id, rec);
	}
	slotkey(v->bslot, k, sizeof(k));
	if (blind_meters(v, k, nets, provs, slot, e) < 0) {
		at(v, bpos, 0, e);
		goto out;
	}
	if ((i = blind_opened(v, k, nets, slot, e)) > 0) {
		/* the participant's record, or the slot's first */
		at(v, bpos, i - 1, e);
		goto out;
	}
	json_array_clear(v->expect);
	v->pos = 0;
	v->paid = v->received = v->fees = v->zsum = 0;
	if (replay_rules(ss, json_array_get(buf, 0), &r, &tmp, e) < 0) {
		at(v, bpos, 0, e);
		goto out;
	}
	if ((cs = dk_state_contracts(ss)) == NULL) {
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		goto out;
	}
	json_object_foreach(nets, id, rec)
		json_object_set_new(nets, id, json_integer(json_integer_value(
		    json_array_get(rec, 0))));
	rc = dk_settle_net(v->bslot, cs, nets, &v->st.reg, r, v->expect, e);
	if (rc == 0)
		rc = dk_island(v->bslot, &v->st, r, v->expect, e);
	if (rc == 0)
		rc = dk_settle_monthly(v->bslot, &v->st, r, v->expect, e);
	json_decref(cs);
	if (rc < 0) {
		e->status = DK_EX_NO;
		dk_failpre(e, "%s", v->what);
		at(v, bpos, 0, e);
		goto out;
	}
	json_array_foreach(v->expect, i, rec) {
		if (strcmp(json_string_value(json_object_get(rec, "type")),
		    "settlement") != 0)
			continue;
		/* a provisional one as dk_settle_prov makes it; its read_wh
		 * is what cannot be checked */
		if ((pv = json_object_get(provs, json_string_value(
		    json_object_get(rec, "participant")))) != NULL) {
			json_object_del(rec, "export_wh");
			json_object_del(rec, "import_wh");
			json_object_set_new(rec, "v", json_integer(3));
			json_object_set(rec, "provisional",
			    json_object_get(pv, "provisional"));
			json_object_set(rec, "read_wh",
			    json_object_get(pv, "read_wh"));
		} else
			dk_settlement_private(rec);
	}
	json_object_del(v->readings, k);
	json_object_del(v->cmeters, k);
	json_object_del(v->blind, k);
	json_array_append_new(v->unopened, json_string(slot));
	json_array_foreach(buf, i, rec)
		if ((rc = expected(v, rec, e)) < 0) {
			at(v, bpos, i, e);
			break;
		}
	/* records missing at the end: said of the entry after them, as
	 * when the readings are at hand (none: audit_end says it) */
	ntype = json_string_value(json_object_get(next, "type"));
	if (rc == 0 && json_array_size(v->expect) > 0 && next != NULL)
		rc = strcmp(ntype, "checkpoint") == 0 ? dk_fail(e, DK_EX_NO,
		    "a checkpoint inside the %s", v->what) :
		    expected(v, next, e);
out:
	json_decref(buf);
	json_decref(bpos);
	json_decref(nets);
	json_decref(provs);
	return rc;
}

static int
bufadd(struct vctx *v, long long seq, long line, json_t *rec)
{
	return json_array_append(v->buf, rec) < 0 ||
	    json_array_append_new(v->bpos, json_pack("[I,I]", (json_int_t)seq,
	    (json_int_t)line)) < 0 ? -1 : 0;
}

/* A participant record: applied (the registry checks the member's
 * request or recovery); recoveries kept. */
static int
audit_participant(struct vctx *v, long long seq, json_t *rec,
    struct dk_err *e)
{
	json_t *q = json_object_get(rec, "request");

	if (dk_state_apply(&v->st, 0, 0, rec, e) < 0)
		return -1;
	if (q != NULL && strcmp(json_string_value(json_object_get(q, "type")),
	    "key_recovery") == 0)
		json_array_append_new(v->recoveries, json_pack("{s:s,s:i,s:I,"
		    "s:O,s:O,s:O,s:O,s:O}", "type", "recovered", "v", 1,
		    "entry", (json_int_t)seq, "id", json_object_get(q, "id"),
		    "old_key", json_object_get(q, "old_key"), "key",
		    json_object_get(q, "key"), "reason", json_object_get(q,
		    "reason"), "time", json_object_get(q, "time")));
	return 0;
}

/* Each entry of the ledger, in order (the scan's callback). */
static int
entry(void *ctx, long long seq, long line, json_t *rec, struct dk_err *e)
{
	struct vctx *v = ctx;
	const char *type = json_string_value(json_object_get(rec, "type"));
	struct dk_slotstate *ss;
	char k[32];
	int64_t t;
	int rc;

	v->entries++;
	if (dk_disputes_note(&v->dsp, seq, rec, e) < 0)
		return -1;
	if (dk_revq_entry(&v->rq, seq, line, rec, e) < 0) {
		e->status = DK_EX_NO;
		return -1;
	}
	if (v->buf != NULL) {
		if ((strcmp(type, "settlement") == 0 || strcmp(type,
		    "transfer") == 0) && slot_of(v, rec, &t, e) == 0 &&
		    t == v->bslot)
			return bufadd(v, seq, line, rec);
		memset(e, 0, sizeof(*e));
		if (blind_end(v, rec, e) < 0)
			return -1;
		if (json_array_size(v->expect) > 0)
			return 0;	/* rec was the next record expected */
	}
	if (dk_openings_get(v->openings, seq) != NULL &&
	    strcmp(type, "commitment") != 0)
		return dk_fail(e, DK_EX_NO, "an opening names entry %lld, a %s, "
		    "not a commitment", seq, type);
	if (json_array_size(v->expect) > 0) {
		if (strcmp(type, "checkpoint") == 0)
			return dk_fail(e, DK_EX_NO, "a checkpoint inside the %s",
			    v->what);
		return expected(v, rec, e);
	}
	if (strcmp(type, "ledger") == 0) {
		if (seq != 0)
			return dk_fail(e, DK_EX_NO, "a genesis record after the "
			    "first entry");
		return dk_state_apply(&v->st, 0, 0, rec, e);
	}
	if (seq == 0)
		return dk_fail(e, DK_EX_NO, "the first entry must be the "
		    "ledger's genesis record (origin and operator key), not "
		    "a %s", type);
	if ((rc = dk_audit_halt(&v->st, v->si, seq, type, rec, e)) != 1) {
		/* a cancelled contract binds no one: counted apart */
		if (rc == 0 && strcmp(type, "cancel") == 0) {
			v->ncancelled++;
			v->cancelled_wh += json_integer_value(
			    json_object_get(rec, "wh"));
		}
		return rc;
	}
	if (strcmp(type, "checkpoint") == 0) {
		v->ncheckpoints++;
		return 0;
	}
	if (strcmp(type, "participant") == 0)
		return audit_participant(v, seq, rec, e);
	if (strcmp(type, "terms") == 0 || strcmp(type, "rules") == 0)
		return dk_state_apply(&v->st, 0, 0, rec, e);
	if (strcmp(type, "intake") == 0)
		return dk_state_apply(&v->st, seq, line, rec, e);
	if (!v->st.have_rules)
		return dk_fail(e, DK_EX_NO, "%s before any rules entry", type);
	/* the participant's signature is checked on a worker thread */
	if (strcmp(type, "order") == 0)
		return audit_order(v, seq, line, rec, e);
	if (strcmp(type, "commitment") == 0) {
		if (!v->si->committed)
			return dk_fail(e, DK_EX_NO, "a commitment in a ledger "
			    "of open readings (its genesis has no "
			    "\"readings\":\"committed\")");
		return audit_commitment(v, seq, rec, e);
	}
	if (strcmp(type, "reading") == 0) {
		if (v->si->committed)
			return dk_fail(e, DK_EX_NO, "a reading in clear in a "
			    "ledger of committed readings");
		if (dk_reading_check(rec, &v->st.rules, &t, e) < 0)
			return dk_failpre(e, "reading");
		ss = dk_state_slot(&v->st, t);
		if (ss != NULL && ss->settled && dk_prov_missed(ss, &v->st.reg,
		    json_string_value(json_object_get(rec, "meter"))) != NULL) {
			v->nreadings++;
			if (json_object_get(rec, "sig") == NULL)
				v->nunsigned++;
			return pend(v->late, t, rec);
		}
		if (ss == NULL || ss->settled)
			return dk_fail(e, DK_EX_NO, "reading for slot %s, "
			    "which is %s", json_string_value(json_object_get(
			    rec, "slot")), ss ? "already settled" :
			    "not cleared");
		/* the operator may settle on unsigned readings where
		 * settle.signed is registered: say how many */
		v->nreadings++;
		if (json_object_get(rec, "sig") == NULL)
			v->nunsigned++;
		return pend(v->readings, t, rec);
	}
	if (strcmp(type, "clearing") == 0) {
		if (slot_of(v, rec, &t, e) < 0)
			return dk_failpre(e, "clearing");
		if (dk_state_slot(&v->st, t) != NULL)
			return dk_fail(e, DK_EX_NO, "slot %s cleared a second "
			    "time", json_string_value(json_object_get(rec,
			    "slot")));
		return audit_clearing(v, rec, t, e);
	}
	if (strcmp(type, "settlement") == 0) {
		if (slot_of(v, rec, &t, e) < 0)
			return dk_failpre(e, "settlement");
		slotkey(t, k, sizeof(k));
		if (json_object_get(v->blind, k) != NULL) {
			v->bslot = t;
			v->buf = json_array();
			v->bpos = json_array();
			return bufadd(v, seq, line, rec);
		}
		return audit_settlement(v, rec, t, e);
	}
	if (strcmp(type, "trueup") == 0) {
		if (slot_of(v, rec, &t, e) < 0)
			return dk_failpre(e, "trueup");
		return audit_trueup(v, rec, t, e);
	}
	/* a decision, and an approved trade's contract: review-queue.c */
	if (strcmp(type, "review") == 0)
		return 0;
	if (strcmp(type, "contract") == 0 && json_object_get(rec, "review")) {
		v->ncontracts++;
		if (dk_add(&v->wh, json_integer_value(json_object_get(rec,
		    "wh"))) < 0)
			return dk_fail(e, DK_EX_NO, "contract_wh: the ledger's "
			    "total is beyond +-(2^53-1)");
		if (dk_state_apply(&v->st, 0, 0, rec, e) < 0)
			e->status = DK_EX_NO;
		return e->status ? -1 : 0;
	}
	if (strcmp(type, "contract") == 0)
		return dk_fail(e, DK_EX_NO, "contract that no clearing before "
		    "it made");
	if (strcmp(type, "transfer") == 0)
		return dk_fail(e, DK_EX_NO, "transfer outside a settlement");
	if (strcmp(type, "payment_run") == 0 ||
	    strcmp(type, "payment_return") == 0)
		return dk_paybook_record(&v->pb, seq, rec, v->st.rules.currency,
		    e);
	if (strcmp(type, "dispute") == 0 ||
	    strcmp(type, "dispute_resolution") == 0) {
		snprintf(v->what, sizeof(v->what), "%s of entry %lld", type, seq);
		return dk_dispute_entry(&v->dsp, &v->st.reg, seq, rec, v->expect,
		    e) < 0 ? dk_failpre(e, "%s", v->what) : 0;
	}
	return dk_fail(e, DK_EX_NO, "type: unknown record type \"%.40s\"",
	    type);
}

/* What a whole ledger must be at its end: not empty, closed by a
 * checkpoint, and nothing begun that the entries after it did not finish. */
static int
audit_end(struct vctx *v, const char *path, struct dk_err *e)
{
	const struct dk_scaninfo *si = v->si;
	const char *k;
	json_t *op;

	if (v->entries == 0)
		return dk_fail(e, DK_EX_NO, "%s: the ledger is empty", path);
	if (!si->last_type_checkpoint)
		return dk_fail(e, DK_EX_NO, "%s: entries %lld to %lld follow "
		    "the last checkpoint: an append that was never "
		    "acknowledged (see RECOVERY)", path,
		    si->note != NULL ? si->note_seq + 1 : 0, v->entries - 1);
	if (v->buf != NULL && blind_end(v, NULL, e) < 0)
		return -1;
	if ((k = dk_series_unused()) != NULL)
		return dk_fail(e, DK_EX_NO, "%s: the imbalance series %s: no "
		    "slot settled under rules that name its SHA-256", path, k);
	json_object_foreach(v->months, k, op)
		if (json_integer_value(op) != 0)
			return dk_fail(e, DK_EX_NO, "%s: the money of month %s "
			    "sums to %lld over participants, operator, grid and "
			    "utility, not 0", path, k,
			    (long long)json_integer_value(op));
	if (json_array_size(v->expect) > 0)
		return dk_fail(e, DK_EX_NO, "%s: the ledger ends inside the "
		    "%s (truncated at an entry boundary?)", path, v->what);
	if (v->nbooks > 0)
		return dk_fail(e, DK_EX_NO, "%s: orders at the end with no "
		    "clearing after them (truncated?)", path);
	if (json_object_size(v->readings) > 0 ||
	    json_object_size(v->cmeters) > 0)
		return dk_fail(e, DK_EX_NO, "%s: readings at the end with no "
		    "settlement after them (truncated?)", path);
	if (json_object_size(v->late) > 0 ||
	    json_object_size(v->lateblind) > 0)
		return dk_fail(e, DK_EX_NO, "%s: readings at the end with no "
		    "true-up after them (truncated?)", path);
	json_object_foreach(v->openings, k, op)
		return dk_fail(e, DK_EX_NO, "an opening names entry %s, which "
		    "the ledger does not have", k);
	return 0;
}

/* The provisional settlements not trued up, [slot, participant] each. */
static json_t *
pending(const struct dk_state *st)
{
	json_t *a = json_array(), *x;
	const char *id;
	size_t i;

	for (i = 0; i < st->nslots; i++)
		json_object_foreach(st->slots[st->bytime[i]].prov, id, x)
			json_array_append_new(a, json_pack("[O,s]",
			    json_object_get(x, "slot"), id));
	return a;
}

/*
 * The audit of the ledger at path, signed by the operator key oppk:
 * reading, signatures on threads (0: one a core) beside the replay on
 * this one; want_leaves keeps every leaf hash in a->si for the checks of
 * checkpoints kept from before (dk_checkpoint_against).  0 and the
 * figures in a when every check passes; else -1: status 66 or 74 when
 * it cannot be read, any other (1, or 65 for a malformed or badly signed
 * entry) when the ledger is wrong.  a->si is the caller's to free
 * (dk_audit_free), whatever the result.
 */
int
dk_audit_ledger(struct dk_audit *a, const char *path,
    const unsigned char oppk[32], const char *openings, int threads,
    int want_leaves, struct dk_wpolicy *wp, struct dk_err *e)
{
	struct dk_err pe = { 0 };
	struct vctx v;
	long long bad;
	size_t i;
	int rc;

	memset(a, 0, sizeof(*a));
	memset(&v, 0, sizeof(v));
	dk_state_init(&v.st);
	dk_paybook_init(&v.pb);
	dk_disputes_init(&v.dsp);
	v.readings = json_object();
	v.expect = json_array();
	v.path = path;
	v.blind = json_object();
	v.cmeters = json_object();
	v.late = json_object();
	v.lateblind = json_object();
	v.unopened = a->unopened = json_array();
	v.months = json_object();
	dk_revq_init(&v.rq, &v.st.reg);
	if (openings != NULL && dk_openings_load(openings, &v.openings,
	    e) < 0) {
		json_decref(v.readings);
		json_decref(v.expect);
		json_decref(v.blind);
		json_decref(v.cmeters);
		json_decref(v.months);
		json_decref(v.late);
		json_decref(v.lateblind);
		dk_state_free(&v.st);
		dk_paybook_free(&v.pb);
		dk_revq_free(&v.rq);
		return -1;
	}
	v.recoveries = a->recoveries = json_array();
	a->si.want_leaves = want_leaves;
	a->si.policy = wp;
	/* signatures on every core; the reading and the replay on this one */
	v.si = &a->si;
	v.pool = dk_pool_new(threads > 0 ? threads :
	    (int)sysconf(_SC_NPROCESSORS_ONLN));
	rc = dk_ledger_scan_info(path, oppk, entry, &v, &a->si, e);
	if (dk_pool_finish(v.pool, path, &bad, &pe) < 0 &&
	    (rc == 0 || bad <= a->si.fail_seq || a->si.fail_seq == 0)) {
		*e = pe;
		rc = -1;
	}
	/* the orders', on the pool; the checkpoints' notes, here */
	a->signatures = dk_pool_checked(v.pool) + a->si.checkpoints;
	dk_pool_free(v.pool);
	if (rc == 0)
		rc = audit_end(&v, path, e);
	a->entries = v.entries;
	a->participants = v.st.reg.n;
	a->orders = v.norders;
	a->slots_cleared = v.nslots;
	a->contracts = v.ncontracts - v.ncancelled;
	a->contract_wh = v.wh - v.cancelled_wh;
	a->cancelled = v.ncancelled;
	a->cancelled_wh = v.cancelled_wh;
	a->slots_settled = v.nsettled;
	a->readings = v.nreadings;
	a->unsigned_readings = v.nunsigned;
	a->transfers = v.ntransfers;
	a->checkpoints = v.ncheckpoints;
	a->commitments = v.ncommit;
	a->opened = v.nopened;
	json_decref(v.buf);
	json_decref(v.bpos);
	json_decref(v.openings);
	json_decref(v.blind);
	json_decref(v.cmeters);
	json_decref(v.months);
	json_decref(v.late);
	json_decref(v.lateblind);
	json_decref(v.tuby);
	a->held = v.rq.npending;
	a->approved = v.rq.napproved;
	a->rejected = v.rq.nrejected;
	a->expired = dk_revq_expired(&v.rq);
	a->provisional = v.nprov;
	a->trueups = v.ntrueups;
	a->member_slots = v.nmember_slots;
	a->disputes = v.dsp.nc;
	for (i = 0; i < v.dsp.nc; i++)
		a->disputes_open += v.dsp.c[i].resolved == 0;
	if (rc == 0)
		a->pending = pending(&v.st);
	/* enrolled by records of version 1 and no request of their own
	 * since: nothing shows that they hold their keys */
	for (i = 0; i < v.st.reg.n; i++)
		a->unproven += !v.st.reg.p[i].has_req;
	while (v.nbooks > 0)
		book_free(&v, &v.books[0]);
	free(v.books);
	json_decref(v.readings);
	json_decref(v.expect);
	dk_state_free(&v.st);
	dk_paybook_free(&v.pb);
	dk_disputes_free(&v.dsp);
	dk_revq_free(&v.rq);
	return rc;
}

/* The verdict of an audit that passed, as denki-ledger-verify -j prints it. */
json_t *
dk_audit_json(const struct dk_audit *a, const char *path)
{
	json_t *x;

	x = json_pack("{s:s,s:i,s:b,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
	    "s:I}", "type", "verdict", "v", 1, "ok", 1, "ledger", path,
	    "entries", (json_int_t)a->entries,
	    "participants", (json_int_t)a->participants,
	    "orders", (json_int_t)a->orders,
	    "slots_cleared", (json_int_t)a->slots_cleared,
	    "contracts", (json_int_t)a->contracts,
	    "contract_wh", (json_int_t)a->contract_wh,
	    "slots_settled", (json_int_t)a->slots_settled,
	    "transfers", (json_int_t)a->transfers);
	if (x == NULL)
		return NULL;
	json_object_set_new(x, "checkpoints", json_integer(a->checkpoints));
	json_object_set_new(x, "origin", json_string(a->si.origin));
	json_object_set_new(x, "readings", json_integer(a->readings));
	json_object_set_new(x, "unsigned_readings",
	    json_integer(a->unsigned_readings));
	json_object_set_new(x, "signatures", json_integer(a->signatures));
	if (a->si.committed) {
		json_object_set_new(x, "mode", json_string("committed"));
		json_object_set_new(x, "commitments",
		    json_integer(a->commitments));
		json_object_set_new(x, "openings", json_integer(a->opened));
		json_object_set_new(x, "slots_not_recomputed",
		    json_incref(a->unopened));
	}
	/* present when not 0: a ledger of members' requests only, with no
	 * recovery, has the verdict it had before them */
	if (json_array_size(a->recoveries) > 0)
		json_object_set_new(x, "recoveries",
		    json_integer(json_array_size(a->recoveries)));
	if (a->unproven > 0)
		json_object_set_new(x, "unproven_enrolments",
		    json_integer(a->unproven));
	if (a->cancelled > 0) {
		json_object_set_new(x, "cancelled", json_integer(a->cancelled));
		json_object_set_new(x, "cancelled_wh",
		    json_integer(a->cancelled_wh));
	}
	if (a->disputes > 0) {
		json_object_set_new(x, "disputes", json_integer(a->disputes));
		json_object_set_new(x, "disputes_open",
		    json_integer(a->disputes_open));
	}
	if (a->held > 0) {	/* expert review: when a trade was held */
		json_object_set_new(x, "held", json_integer(a->held));
		json_object_set_new(x, "approved", json_integer(a->approved));
		json_object_set_new(x, "rejected", json_integer(a->rejected));
		json_object_set_new(x, "expired", json_integer(a->expired));
	}
	/* present when a slot was settled provisionally */
	if (a->provisional > 0) {
		json_object_set_new(x, "provisional", json_integer(
		    a->provisional));
		json_object_set_new(x, "trueups", json_integer(a->trueups));
		json_object_set_new(x, "pending", json_incref(a->pending));
	}
	return x;
}

/*
 * The notes after a verdict's summary line: the participants enrolled
 * before requests, and the settlements made provisionally, trued up, and
 * still provisional (each named: a member, or an auditor, sees whose
 * reading the operator settled without and never trued up).
 */
const char *
dk_audit_note(const struct dk_audit *a)
{
	static char b[1024];
	size_t n = 0, i, np = json_array_size(a->pending);
	json_t *x;

	b[0] = '\0';
	if (a->unproven > 0)
		n += snprintf(b, sizeof(b), "; %lld participant%s enrolled "
		    "without proof of possession (records of version 1, no "
		    "request since)", a->unproven, a->unproven == 1 ? "" : "s");
	if (a->cancelled > 0)
		n += snprintf(b + n, sizeof(b) - n, "; %lld contract%s (%lld "
		    "Wh) cancelled by a halt, not counted above", a->cancelled,
		    a->cancelled == 1 ? "" : "s", (long long)a->cancelled_wh);
	if (a->disputes > 0)
		n += snprintf(b + n, sizeof(b) - n, "; %lld dispute%s, %lld "
		    "open", a->disputes, a->disputes == 1 ? "" : "s",
		    a->disputes_open);
	if (a->held > 0)
		n += snprintf(b + n, sizeof(b) - n, "; %lld trade%s held for "
		    "review: %lld approved, %lld rejected, %lld expired",
		    a->held, a->held == 1 ? "" : "s", a->approved, a->rejected,
		    a->expired);
	if (a->provisional == 0)
		return b;
	n += snprintf(b + n, sizeof(b) - n, "; %lld settlement%s "
	    "provisional (a reading missing at the deadline), %lld trued up, "
	    "%zu still provisional", a->provisional, a->provisional == 1 ? "" :
	    "s", a->trueups, np);
	json_array_foreach(a->pending, i, x) {
		if (n >= sizeof(b) - 80) {
			snprintf(b + n, sizeof(b) - n, " ...");
			break;
		}
		n += snprintf(b + n, sizeof(b) - n, "%s %s %s", i ? "," : ":",
		    json_string_value(json_array_get(x, 0)),
		    json_string_value(json_array_get(x, 1)));
	}
	return b;
}

void
dk_audit_free(struct dk_audit *a)
{
	dk_scaninfo_free(&a->si);
	json_decref(a->unopened);
	a->unopened = NULL;
	json_decref(a->recoveries);
	a->recoveries = NULL;
	json_decref(a->pending);
	a->pending = NULL;
}
