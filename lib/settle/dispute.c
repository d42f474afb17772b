/*
 * dispute.c: a member's signed claim against one of its contracts or
 * settlements (dispute), a reviewer's signed decision of it with the
 * compensating transfers that follow it (dispute_resolution), made and
 * checked entry by entry as the ledger is replayed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settle.h"

static const char *const dsp_fields[] = { "type", "v", "by", "entry",
	"against", "slot", "reason", "time", "sig", NULL };
static const char *const res_fields[] = { "type", "v", "by", "dispute",
	"decision", "loser", "transfers", "comment", "time", "sig", NULL };

void
dk_disputes_init(struct dk_disputes *d)
{
	memset(d, 0, sizeof(*d));
}

void
dk_disputes_free(struct dk_disputes *d)
{
	free(d->t);
	free(d->c);
	memset(d, 0, sizeof(*d));
}

/* A contract or settlement entry, kept by its seq (entries come in order)
 * for the disputes that name it; any other record is passed over. */
int
dk_disputes_note(struct dk_disputes *d, long long seq, json_t *rec,
    struct dk_err *e)
{
	const char *type = json_string_value(json_object_get(rec, "type"));
	const char *slot = json_string_value(json_object_get(rec, "slot"));
	const char *a, *b = "";
	struct dk_dtarget *t;
	char kind;

	if (type == NULL || slot == NULL)
		return 0;
	if (strcmp(type, "contract") == 0) {
		kind = 'c';
		a = json_string_value(json_object_get(rec, "seller"));
		b = json_string_value(json_object_get(rec, "buyer"));
	} else if (strcmp(type, "settlement") == 0) {
		kind = 's';
		a = json_string_value(json_object_get(rec, "participant"));
	} else
		return 0;
	if (a == NULL || b == NULL || strlen(a) > DK_ID_MAX ||
	    strlen(b) > DK_ID_MAX || strlen(slot) >= sizeof(t->slot))
		return 0;	/* the record's own checks name what is wrong */
	if (d->nt == d->capt) {
		d->capt = d->capt ? 2 * d->capt : 256;
		if ((t = realloc(d->t, d->capt * sizeof(*t))) == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		d->t = t;
	}
	t = &d->t[d->nt++];
	t->seq = seq;
	t->kind = kind;
	snprintf(t->slot, sizeof(t->slot), "%s", slot);
	snprintf(t->a, sizeof(t->a), "%s", a);
	snprintf(t->b, sizeof(t->b), "%s", b);
	return 0;
}

/* The contract or settlement of entry seq, or NULL. */
const struct dk_dtarget *
dk_dispute_target(const struct dk_disputes *d, long long seq)
{
	size_t lo = 0, hi = d->nt, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (d->t[mid].seq == seq)
			return &d->t[mid];
		if (d->t[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The dispute opened by entry seq, or NULL. */
const struct dk_dcase *
dk_dispute_case(const struct dk_disputes *d, long long seq)
{
	size_t i;

	for (i = 0; i < d->nc; i++)
		if (d->c[i].seq == seq)
			return &d->c[i];
	return NULL;
}

/* type, v 1, no other member than names, the signer "by" registered and
 * its signature; its participant in *p. */
static int
signed_by(json_t *rec, const char *type, const char *const *names,
    const struct dk_registry *reg, const struct dk_participant **p,
    struct dk_err *e)
{
	const char *by, *s;
	int64_t t;

	if (!json_is_object(rec) || dk_check_type(rec, type, e) < 0 ||
	    dk_members_only(rec, names, type, e) < 0 ||
	    (by = dk_get_id(rec, "by", e)) == NULL ||
	    (s = dk_get_str(rec, "time", e)) == NULL)
		return -1;
	if (dk_time_parse(s, &t, e) < 0)
		return dk_failpre(e, "time");
	if ((*p = dk_registry_find(reg, by)) == NULL)
		return dk_fail(e, DK_EX_DATAERR, "by: %s is not registered",
		    by);
	if (json_object_get(rec, "sig") == NULL)
		return dk_fail(e, DK_EX_DATAERR, "sig: missing: %s signs its "
		    "%s", by, type);
	if (dk_verify_record(rec, (*p)->pk, e) < 0)
		return dk_failpre(e, "not signed by %s's key", by);
	return 0;
}

/* 1 to 1000 bytes of text in field k. */
static int
text(json_t *rec, const char *k, struct dk_err *e)
{
	const char *s = dk_get_str(rec, k, e);

	if (s == NULL)
		return -1;
	if (*s == '\0' || strlen(s) > 1000)
		return dk_fail(e, DK_EX_DATAERR, "%s: 1 to 1000 bytes", k);
	return 0;
}

/* A dispute record, opened by entry seq, checked against the registry
 * and the contracts and settlements before it; with keep, kept open. */
static int
dispute(struct dk_disputes *d, const struct dk_registry *reg, long long seq,
    json_t *rec, int keep, struct dk_err *e)
{
	const struct dk_participant *p;
	const struct dk_dtarget *t;
	const char *against, *slot;
	struct dk_dcase *c;
	long long entry;
	size_t i;

	if (signed_by(rec, "dispute", dsp_fields, reg, &p, e) < 0 ||
	    dk_get_int(rec, "entry", 0, DK_MAX_SAFE_INT, &entry, e) < 0 ||
	    (against = dk_get_str(rec, "against", e)) == NULL ||
	    (slot = dk_get_str(rec, "slot", e)) == NULL ||
	    text(rec, "reason", e) < 0)
		return -1;
	if (entry >= seq || (t = dk_dispute_target(d, entry)) == NULL)
		return dk_fail(e, DK_EX_DATAERR, "entry %lld: no contract or "
		    "settlement there%s", entry, entry >= seq ?
		    " before the dispute" : "");
	if (strcmp(against, t->kind == 'c' ? "contract" : "settlement") != 0)
		return dk_fail(e, DK_EX_DATAERR, "against: entry %lld is a %s, "
		    "not a %.20s", entry, t->kind == 'c' ? "contract" :
		    "settlement", against);
	if (strcmp(slot, t->slot) != 0)
		return dk_fail(e, DK_EX_DATAERR, "slot: entry %lld is of slot "
		    "%s, not %.40s", entry, t->slot, slot);
	if (strcmp(p->id, t->a) != 0 && (t->kind != 'c' ||
	    strcmp(p->id, t->b) != 0)) {
		if (t->kind == 'c')
			return dk_fail(e, DK_EX_DATAERR, "entry %lld: a "
			    "contract of %s and %s, not %s's", entry, t->a,
			    t->b, p->id);
		return dk_fail(e, DK_EX_DATAERR, "entry %lld: the settlement "
		    "of %s, not %s's", entry, t->a, p->id);
	}
	/* one open claim of a member against an entry: the same signed
	 * claim appended again is no second dispute (by index: d->c is
	 * NULL before the first, and NULL + 0 is undefined) */
	for (i = 0; i < d->nc; i++)
		if (d->c[i].entry == entry && d->c[i].resolved == 0 &&
		    strcmp(d->c[i].by, p->id) == 0)
			return dk_fail(e, DK_EX_DATAERR, "entry %lld: %s's "
			    "dispute %lld against it is open already", entry,
			    p->id, d->c[i].seq);
	if (!keep)
		return 0;
	if (d->nc == d->capc) {
		d->capc = d->capc ? 2 * d->capc : 16;
		if ((c = realloc(d->c, d->capc * sizeof(*c))) == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		d->c = c;
	}
	c = &d->c[d->nc++];
	memset(c, 0, sizeof(*c));
	c->seq = seq;
	c->entry = entry;
	c->kind = t->kind;
	snprintf(c->slot, sizeof(c->slot), "%s", t->slot);
	snprintf(c->by, sizeof(c->by), "%s", p->id);
	/* the other side: a contract's other party; a settlement's, the
	 * operator who computed it (no participant) */
	if (t->kind == 'c')
		snprintf(c->other, sizeof(c->other), "%s",
		    strcmp(p->id, t->a) == 0 ? t->b : t->a);
	return 0;
}

/* The legs of a resolution: {participant, amount}, ids ascending, each
 * a party of the dispute or "operator", amounts not 0, summing to 0. */
static int
legs(json_t *a, const struct dk_dcase *c, struct dk_err *e)
{
	const char *id, *prev = NULL;
	long long amt;
	int64_t sum = 0;
	json_t *x;
	size_t i;
	static const char *const leg_fields[] = { "participant", "amount",
		NULL };

	if (!json_is_array(a))
		return dk_fail(e, DK_EX_DATAERR, "transfers: must be an array");
	json_array_foreach(a, i, x) {
		if (!json_is_object(x) || dk_members_only(x, leg_fields,
		    "a transfer of a resolution", e) < 0 ||
		    (id = dk_get_id(x, "participant", e)) == NULL ||
		    dk_get_int(x, "amount", -DK_MAX_SAFE_INT, DK_MAX_SAFE_INT,
		    &amt, e) < 0)
			return dk_failpre(e, "transfers[%zu]", i);
		if (amt == 0)
			return dk_fail(e, DK_EX_DATAERR, "transfers[%zu]: "
			    "amount 0", i);
		if (strcmp(id, c->by) != 0 && strcmp(id, "operator") != 0 &&
		    (c->other[0] == '\0' || strcmp(id, c->other) != 0))
			return dk_fail(e, DK_EX_DATAERR, "transfers[%zu]: %s is "
			    "no party of dispute %lld (%s, %s)", i, id, c->seq,
			    c->by, c->other[0] ? c->other : "operator");
		if (prev != NULL && strcmp(prev, id) >= 0)
			return dk_fail(e, DK_EX_DATAERR, "transfers[%zu]: %s: "
			    "one a participant, in id order", i, id);
		prev = id;
		if (dk_add(&sum, amt) < 0)
			return dk_fail(e, DK_EX_DATAERR, "transfers: beyond "
			    "+-(2^53-1)");
	}
	if (sum != 0)
		return dk_fail(e, DK_EX_DATAERR, "transfers: sum to %lld, not 0: "
		    "compensation moves money between the parties, it makes "
		    "none", (long long)sum);
	return 0;
}

/* What the legs move: the sum of what they pay. */
static int64_t
moved(json_t *a)
{
	int64_t m = 0;
	json_t *x;
	size_t i;

	json_array_foreach(a, i, x)
		if (json_integer_value(json_object_get(x, "amount")) > 0)
			m += json_integer_value(json_object_get(x, "amount"));
	return m;
}

/* The transfer records a resolution's legs make, in then: payers and
 * payees each in id order, the first payer paying the first payee what
 * the smaller of the two has left, and so on. */
static int
transfers(json_t *a, const struct dk_dcase *c, json_t *then,
    struct dk_err *e)
{
	size_t n = json_array_size(a), i, j;
	int64_t *left;
	json_t *x, *y;

	if ((left = calloc(n + 1, sizeof(*left))) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	for (i = 0; i < n; i++)
		left[i] = json_integer_value(json_object_get(json_array_get(a,
		    i), "amount"));
	for (i = 0, j = 0;;) {
		while (i < n && left[i] >= 0)
			i++;
		while (j < n && left[j] <= 0)
			j++;
		if (i == n || j == n)
			break;
		int64_t m = -left[i] < left[j] ? -left[i] : left[j];
		x = json_array_get(a, i);
		y = json_array_get(a, j);
		json_array_append_new(then, json_pack("{s:s,s:i,s:s,s:O,s:O,"
		    "s:I,s:s,s:I}", "type", "transfer", "v", 1, "slot",
		    c->slot, "from", json_object_get(x, "participant"), "to",
		    json_object_get(y, "participant"), "amount", (json_int_t)m,
		    "reason", "dispute", "dispute", (json_int_t)c->seq));
		left[i] += m;
		left[j] -= m;
	}
	free(left);
	return 0;
}

/* A resolution record, at entry seq; with keep, its dispute closed.  Its
 * transfer records, which must follow it, are appended to then. */
static int
resolution(struct dk_disputes *d, const struct dk_registry *reg,
    long long seq, json_t *rec, int keep, json_t *then, struct dk_err *e)
{
	const struct dk_participant *p;
	struct dk_dcase *c;
	const char *dec, *want;
	long long ds;
	json_t *loser, *a;

	if (signed_by(rec, "dispute_resolution", res_fields, reg, &p, e) < 0 ||
	    dk_get_int(rec, "dispute", 0, DK_MAX_SAFE_INT, &ds, e) < 0 ||
	    (dec = dk_get_str(rec, "decision", e)) == NULL ||
	    text(rec, "comment", e) < 0)
		return -1;
	if (strcmp(p->role, "reviewer") != 0)
		return dk_fail(e, DK_EX_DATAERR, "by: %s is a %s, not a "
		    "reviewer: only a reviewer resolves a dispute", p->id,
		    p->role);
	if (!p->active)
		return dk_fail(e, DK_EX_DATAERR, "by: reviewer %s is revoked",
		    p->id);
	if ((c = (struct dk_dcase *)dk_dispute_case(d, ds)) == NULL)
		return dk_fail(e, DK_EX_DATAERR, "dispute: entry %lld opened "
		    "no dispute", ds);
	if (c->resolved != 0)
		return dk_fail(e, DK_EX_DATAERR, "dispute %lld: resolved "
		    "already, by entry %lld: one resolution a dispute", ds,
		    c->resolved);
	if (strcmp(dec, "upheld") != 0 && strcmp(dec, "rejected") != 0)
		return dk_fail(e, DK_EX_DATAERR, "decision: upheld or "
		    "rejected, got \"%.20s\"", dec);
	/* who lost: the claimant of a claim rejected; of one upheld, the
	 * other party of its contract (none for a settlement's) */
	want = *dec == 'r' ? c->by : c->other[0] != '\0' ? c->other : NULL;
	loser = json_object_get(rec, "loser");
	if (loser == NULL || !(json_is_null(loser) || json_is_string(loser)) ||
	    (want == NULL) != json_is_null(loser) || (want != NULL &&
	    strcmp(want, json_string_value(loser)) != 0))
		return dk_fail(e, DK_EX_DATAERR, "loser: must be %s%s%s for "
		    "a claim %s", want ? "\"" : "", want ? want : "null",
		    want ? "\"" : "", dec);
	a = json_object_get(rec, "transfers");
	if (legs(a, c, e) < 0)
		return -1;
	if (moved(a) > p->scope)
		return dk_fail(e, DK_EX_DATAERR, "transfers: move %lld "
		    "micro-units, beyond reviewer %s's scope of %lld",
		    (long long)moved(a), p->id, (long long)p->scope);
	if (*dec == 'r' && json_array_size(a) > 0)
		return dk_fail(e, DK_EX_DATAERR, "transfers: a claim rejected "
		    "moves no money");
	if (then != NULL && transfers(a, c, then, e) < 0)
		return -1;
	if (keep) {
		c->resolved = seq;
		snprintf(c->reviewer, sizeof(c->reviewer), "%s", p->id);
	}
	return 0;
}

/* A dispute or dispute_resolution record at entry seq of the replay: 0
 * when it holds (kept), the transfers a resolution makes in then. */
int
dk_dispute_entry(struct dk_disputes *d, const struct dk_registry *reg,
    long long seq, json_t *rec, json_t *then, struct dk_err *e)
{
	const char *type = json_string_value(json_object_get(rec, "type"));

	if (type != NULL && strcmp(type, "dispute") == 0)
		return dispute(d, reg, seq, rec, 1, e);
	return resolution(d, reg, seq, rec, 1, then, e);
}

/* A dispute's state, as denki-dispute list prints it. */
json_t *
dk_dispute_status(const struct dk_dcase *c)
{
	json_t *x = json_pack("{s:s,s:i,s:I,s:s,s:I,s:s,s:s,s:s}", "type",
	    "dispute_status", "v", 1, "dispute", (json_int_t)c->seq, "by",
	    c->by, "entry", (json_int_t)c->entry, "against", c->kind == 'c' ?
	    "contract" : "settlement", "slot", c->slot, "state", c->resolved ?
	    "resolved" : "open");

	json_object_set_new(x, "resolution", c->resolved ?
	    json_integer(c->resolved) : json_null());
	return x;
}

/* What a dispute or resolution appended as entry at did, for people. */
const char *
dk_dispute_said(json_t *rec, long long at)
{
	static char b[96];
	json_t *x = json_object_get(rec, "entry");

	if (x != NULL)
		snprintf(b, sizeof(b), "dispute %lld opened against entry %lld",
		    at, (long long)json_integer_value(x));
	else
		snprintf(b, sizeof(b), "dispute %lld resolved by entry %lld",
		    (long long)json_integer_value(json_object_get(rec,
		    "dispute")), at);
	return b;
}

/* Every dispute's state, a line each. */
void
dk_disputes_print(FILE *fp, const struct dk_disputes *d)
{
	json_t *x;
	size_t i;

	for (i = 0; i < d->nc; i++) {
		x = dk_dispute_status(&d->c[i]);
		dk_emit(fp, x);
		json_decref(x);
	}
}

/* A dispute or resolution signed elsewhere, read from path (one record)
 * and checked as entry seq; a resolution's transfers in then. */
json_t *
dk_dispute_add(struct dk_disputes *d, const struct dk_registry *reg,
    const char *path, long long seq, json_t *then, struct dk_err *e)
{
	json_t *r = dk_request_read(path, e);

	if (r != NULL && (!json_is_object(r) || dk_dispute_entry(d, reg, seq,
	    r, then, e) < 0)) {
		if (e->status == 0)
			dk_fail(e, DK_EX_DATAERR, "%s: not a record", path);
		dk_failpre(e, "%s", path);
		json_decref(r);
		r = NULL;
	}
	return r;
}

/* The replay of a ledger by a program that opens or resolves disputes:
 * its state and its disputes (a dk_entry_fn). */
int
dk_dispute_replay(void *ctx, long long seq, long line, json_t *rec,
    struct dk_err *e)
{
	struct dk_dreplay *r = ctx;
	const char *type = json_string_value(json_object_get(rec, "type"));

	if (dk_disputes_note(r->d, seq, rec, e) < 0)
		return -1;
	if (type != NULL && (strcmp(type, "dispute") == 0 ||
	    strcmp(type, "dispute_resolution") == 0) &&
	    dk_dispute_entry(r->d, &r->st->reg, seq, rec, NULL, e) < 0)
		return dk_failpre(e, "entry %lld", seq);
	return dk_state_apply(r->st, seq, line, rec, e);
}

/* The participant whose key k is (the public half), or NULL. */
const struct dk_participant *
dk_registry_by_key(const struct dk_registry *reg, const struct dk_key *k)
{
	size_t i;

	for (i = 0; i < reg->n; i++)
		if (memcmp(reg->p[i].pk, k->pk, 32) == 0)
			return &reg->p[i];
	return NULL;
}

/* The signer of a record: the participant whose key k is; when id is
 * given, it must be id's key. */
static const struct dk_participant *
signer(const struct dk_registry *reg, const struct dk_key *k, const char *id,
    struct dk_err *e)
{
	const struct dk_participant *p = dk_registry_by_key(reg, k);

	if (id != NULL && (p == NULL || strcmp(p->id, id) != 0)) {
		dk_fail(e, DK_EX_DATAERR, "the key given is not %s's (%s)", id,
		    p != NULL ? p->id : "no participant's key in force");
		return NULL;
	}
	if (p == NULL)
		dk_fail(e, DK_EX_DATAERR, "the key given is no participant's "
		    "key in force");
	return p;
}

/* The claim of by against target t (entry), signed with k. */
static json_t *
claim(const struct dk_dtarget *t, const char *by, long long entry,
    const char *reason, int64_t time, const struct dk_key *k,
    struct dk_err *e)
{
	char ts[40];
	json_t *r;

	dk_time_utc(time, ts, sizeof(ts));
	r = json_pack("{s:s,s:i,s:s,s:I,s:s,s:s,s:s,s:s}", "type", "dispute",
	    "v", 1, "by", by, "entry", (json_int_t)entry, "against",
	    t->kind == 'c' ? "contract" : "settlement", "slot", t->slot,
	    "reason", reason ? reason : "", "time", ts);
	if (r != NULL && (dk_sign_record(r, k, e) < 0 ||
	    text(r, "reason", e) < 0)) {
		json_decref(r);
		return NULL;
	}
	return r;
}

/*
 * A claim made where there is no ledger, on the member's own machine: by
 * id, against the contract or settlement an inclusion proof (as
 * denki-ledger-proof gives it) holds, the proof checked against the
 * operator key pk when given; signed with k, for the operator to append
 * (the registry's checks come then).
 */
json_t *
dk_dispute_claim(json_t *proof, const unsigned char *pk, const char *id,
    const struct dk_key *k, const char *reason, int64_t time,
    struct dk_err *e)
{
	struct dk_disputes d;
	const struct dk_dtarget *t;
	json_t *x = NULL, *r = NULL;
	long long seq;
	char ok[512];

	dk_disputes_init(&d);
	if (pk != NULL && dk_proof_verify(proof, pk, NULL, ok, sizeof(ok),
	    e) < 0)
		return NULL;
	if (json_string_value(json_object_get(proof, "entry")) == NULL ||
	    (x = json_loads(json_string_value(json_object_get(proof, "entry")),
	    JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    dk_get_int(x, "seq", 0, DK_MAX_SAFE_INT, &seq, e) < 0 ||
	    dk_disputes_note(&d, seq, json_object_get(x, "rec"), e) < 0 ||
	    (t = dk_dispute_target(&d, seq)) == NULL) {
		dk_fail(e, DK_EX_DATAERR, "the proof's entry is no contract or "
		    "settlement");
		goto out;
	}
	if (strcmp(id, t->a) != 0 && strcmp(id, t->b) != 0) {
		dk_fail(e, DK_EX_DATAERR, "entry %lld: %s of %s%s%s, not %s's",
		    seq, t->kind == 'c' ? "a contract" : "the settlement", t->a,
		    t->kind == 'c' ? " and " : "", t->b, id);
		goto out;
	}
	r = claim(t, id, seq, reason, time, k, e);
out:
	json_decref(x);
	dk_disputes_free(&d);
	return r;
}

/* A dispute by the holder of k (id, if given, must be it) against entry,
 * signed, checked as the entry seq it would be. */
json_t *
dk_dispute_make(struct dk_disputes *d, const struct dk_registry *reg,
    const struct dk_key *k, const char *id, long long entry,
    const char *reason, int64_t time, long long seq, struct dk_err *e)
{
	const struct dk_participant *p;
	const struct dk_dtarget *t;
	json_t *r;

	if ((p = signer(reg, k, id, e)) == NULL)
		return NULL;
	if ((t = dk_dispute_target(d, entry)) == NULL) {
		dk_fail(e, DK_EX_DATAERR, "entry %lld: no contract or "
		    "settlement there", entry);
		return NULL;
	}
	if ((r = claim(t, p->id, entry, reason, time, k, e)) == NULL ||
	    dispute(d, reg, seq, r, 0, e) < 0) {
		json_decref(r);
		return NULL;
	}
	return r;
}

/* "FROM:TO:AMOUNT" into the legs in o (id -> amount). */
static int
leg_arg(json_t *o, const char *s, struct dk_err *e)
{
	char from[DK_ID_MAX + 2], to[DK_ID_MAX + 2], rest[2];
	long long amt;
	int64_t a;

	if (sscanf(s, "%33[^:]:%33[^:]:%lld%1s", from, to, &amt, rest) != 3 ||
	    !dk_valid_id(from) || !dk_valid_id(to) || amt <= 0 ||
	    amt > DK_MAX_SAFE_INT || strcmp(from, to) == 0)
		return dk_fail(e, DK_EX_USAGE, "--transfer %s: must be "
		    "FROM:TO:AMOUNT, two ids and micro-units above 0", s);
	a = json_integer_value(json_object_get(o, from));
	if (dk_add(&a, -amt) < 0)
		return dk_fail(e, DK_EX_USAGE, "--transfer: beyond +-(2^53-1)");
	json_object_set_new(o, from, json_integer(a));
	a = json_integer_value(json_object_get(o, to));
	if (dk_add(&a, amt) < 0)
		return dk_fail(e, DK_EX_USAGE, "--transfer: beyond +-(2^53-1)");
	json_object_set_new(o, to, json_integer(a));
	return 0;
}

static int
bykey(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A resolution of dispute ds by the holder of k, signed and checked as
 * entry seq; xf the --transfer arguments; the transfer records that must
 * follow it in then. */
json_t *
dk_resolution_make(struct dk_disputes *d, const struct dk_registry *reg,
    const struct dk_key *k, long long ds, int upheld, const char *comment,
    char **xf, size_t nxf, int64_t time, long long seq, json_t *then,
    struct dk_err *e)
{
	const struct dk_participant *p;
	const struct dk_dcase *c;
	json_t *o = json_object(), *a = json_array(), *r = NULL;
	const char **ids = NULL, *id;
	char ts[40];
	size_t i, n = 0;
	json_t *x;

	if ((p = signer(reg, k, NULL, e)) == NULL)
		goto out;
	if ((c = dk_dispute_case(d, ds)) == NULL) {
		dk_fail(e, DK_EX_DATAERR, "dispute %lld: no such dispute "
		    "(entry %lld opened none)", ds, ds);
		goto out;
	}
	for (i = 0; i < nxf; i++)
		if (leg_arg(o, xf[i], e) < 0)
			goto out;
	if ((ids = calloc(json_object_size(o) + 1, sizeof(*ids))) == NULL)
		goto out;
	json_object_foreach(o, id, x)
		if (json_integer_value(x) != 0)
			ids[n++] = id;
	qsort(ids, n, sizeof(*ids), bykey);
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s,s:O}", "participant",
		    ids[i], "amount", json_object_get(o, ids[i])));
	dk_time_utc(time, ts, sizeof(ts));
	r = json_pack("{s:s,s:i,s:s,s:I,s:s,s:O,s:s,s:s}", "type",
	    "dispute_resolution", "v", 1, "by", p->id, "dispute",
	    (json_int_t)ds, "decision", upheld ? "upheld" : "rejected",
	    "transfers", a, "comment", comment ? comment : "", "time", ts);
	json_object_set_new(r, "loser", !upheld ? json_string(c->by) :
	    c->other[0] != '\0' ? json_string(c->other) : json_null());
	if (dk_sign_record(r, k, e) < 0 ||
	    resolution(d, reg, seq, r, 0, then, e) < 0) {
		json_decref(r);
		r = NULL;
	}
out:
	free(ids);
	json_decref(o);
	json_decref(a);
	return r;
}
