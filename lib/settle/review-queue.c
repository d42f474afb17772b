/* review-queue.c: the pending trades with their decisions, each decision
 * and approved contract checked as it is read (reviewer, scope, deadline,
 * one a trade), and the queue denki-review lists with its evidence. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settle.h"

#define RECENT	5	/* contracts and settlements of a party shown */

static const char *const review_fields[] = { "type", "v", "decision",
	"pending", "comment", "by", "time", "sig", NULL };

void
dk_revq_init(struct dk_revq *q, const struct dk_registry *reg)
{
	memset(q, 0, sizeof(*q));
	dk_revhist_init(&q->h);
	q->reg = reg;
	q->pend = json_object();
	q->ids = json_array();
}

void
dk_revq_free(struct dk_revq *q)
{
	dk_revhist_free(&q->h);
	json_decref(q->pend);
	json_decref(q->ids);
	json_decref(q->recent);
	json_decref(q->approve);
	memset(q, 0, sizeof(*q));
}

/* A pending record: its deadline, kept under its id. */
static int
pending(struct dk_revq *q, long long seq, json_t *rec, struct dk_err *e)
{
	const char *d;
	char id[65];
	int64_t t;

	if ((d = dk_get_str(rec, "deadline", e)) == NULL ||
	    dk_time_parse(d, &t, e) < 0 ||
	    !json_is_object(json_object_get(rec, "contract")))
		return dk_failpre(e, "pending");
	if (dk_line_id(rec, id) < 0)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if (json_object_get(q->pend, id) != NULL)
		return dk_fail(e, DK_EX_DATAERR, "pending %.16s...: the same "
		    "trade held twice", id);
	q->npending++;
	json_array_append_new(q->ids, json_string(id));
	return json_object_set_new(q->pend, id, json_pack("{s:O,s:I,s:I}",
	    "rec", rec, "seq", (json_int_t)seq, "deadline", (json_int_t)t));
}

/*
 * Decision rec against the queue: its fields, a pending trade not decided
 * yet, signed by an active reviewer registered in q->reg, an approve in
 * the reviewer's scope, its time and every checkpoint before it no later
 * than the deadline.  The trade's item, or NULL and e filled.
 */
static json_t *
decision_check(const struct dk_revq *q, json_t *rec, struct dk_err *e)
{
	const struct dk_participant *p;
	const char *d, *pid, *by, *ts;
	json_t *it, *prev;
	int64_t t, dl, val;
	long long v;
	char when[40] = "";

	if (dk_check_type(rec, "review", e) < 0 ||
	    dk_members_only(rec, review_fields, "a review decision", e) < 0 ||
	    dk_get_int(rec, "v", 1, 1, &v, e) < 0 ||
	    (d = dk_get_str(rec, "decision", e)) == NULL ||
	    (pid = dk_get_str(rec, "pending", e)) == NULL ||
	    dk_get_str(rec, "comment", e) == NULL ||
	    (by = dk_get_id(rec, "by", e)) == NULL ||
	    (ts = dk_get_str(rec, "time", e)) == NULL)
		return NULL;
	if (strcmp(d, "approve") != 0 && strcmp(d, "reject") != 0) {
		dk_fail(e, DK_EX_DATAERR, "decision: must be approve or "
		    "reject, got \"%.40s\"", d);
		return NULL;
	}
	if (dk_time_parse(ts, &t, e) < 0) {
		dk_failpre(e, "time");
		return NULL;
	}
	if ((it = json_object_get(q->pend, pid)) == NULL) {
		dk_fail(e, DK_EX_DATAERR, "pending: %.64s: no trade of the "
		    "ledger waits for review under this id", pid);
		return NULL;
	}
	if ((p = dk_registry_find(q->reg, by)) == NULL || !p->active ||
	    strcmp(p->role, "reviewer") != 0) {
		dk_fail(e, DK_EX_NOPERM, "by: %s is %s, not an active "
		    "reviewer", by, p == NULL ? "not registered" : !p->active ?
		    "revoked" : p->role);
		return NULL;
	}
	if (dk_verify_record(rec, p->pk, e) < 0) {
		dk_failpre(e, "review by %s", by);
		return NULL;
	}
	if ((prev = json_object_get(it, "decision")) != NULL) {
		dk_fail(e, DK_EX_DATAERR, "pending %.16s...: already decided "
		    "(%s by %s at %s): one decision a trade", pid,
		    json_string_value(json_object_get(prev, "decision")),
		    json_string_value(json_object_get(prev, "by")),
		    json_string_value(json_object_get(prev, "time")));
		return NULL;
	}
	dl = json_integer_value(json_object_get(it, "deadline"));
	dk_time_utc(dl, when, sizeof(when));
	if (t > dl) {
		dk_fail(e, DK_EX_DATAERR, "time: %s is after the trade's "
		    "deadline %s: it expired undecided", ts, when);
		return NULL;
	}
	if (q->h.cp_time > dl) {
		dk_time_utc(q->h.cp_time, when, sizeof(when));
		dk_fail(e, DK_EX_DATAERR, "pending %.16s...: a checkpoint "
		    "before the decision is dated %s, after the trade's "
		    "deadline: it expired undecided", pid, when);
		return NULL;
	}
	val = dk_trade_value(json_object_get(json_object_get(it, "rec"),
	    "contract"));
	if (strcmp(d, "approve") == 0 && val > p->scope) {
		dk_fail(e, DK_EX_NOPERM, "by: %s may approve trades worth up "
		    "to %lld micro-units (its scope); this one is worth %lld",
		    by, (long long)p->scope, (long long)val);
		return NULL;
	}
	return it;
}

/* A party's recent contracts and settlements (denki-review's evidence). */
static void
recent(struct dk_revq *q, const char *id, const char *kind, json_t *x)
{
	json_t *p, *a;

	if (id == NULL || strlen(id) > DK_ID_MAX)
		return;
	if ((p = json_object_get(q->recent, id)) == NULL)
		json_object_set_new(q->recent, id, p = json_pack("{s:[],s:[]}",
		    "contracts", "settlements"));
	a = json_object_get(p, kind);
	json_array_append_new(a, x);
	if (json_array_size(a) > RECENT)
		json_array_remove(a, 0);
}

static void
evidence(struct dk_revq *q, const char *type, json_t *rec)
{
	const char *s = json_string_value(json_object_get(rec, "seller"));
	const char *b = json_string_value(json_object_get(rec, "buyer"));

	if (strcmp(type, "contract") == 0) {
		recent(q, s, "contracts", json_pack("{s:O,s:s,s:O,s:O,s:O}",
		    "slot", json_object_get(rec, "slot"), "side", "sell", "wh",
		    json_object_get(rec, "wh"), "price", json_object_get(rec,
		    "price"), "with", json_object_get(rec, "buyer")));
		recent(q, b, "contracts", json_pack("{s:O,s:s,s:O,s:O,s:O}",
		    "slot", json_object_get(rec, "slot"), "side", "buy", "wh",
		    json_object_get(rec, "wh"), "price", json_object_get(rec,
		    "price"), "with", json_object_get(rec, "seller")));
	} else if (strcmp(type, "settlement") == 0 &&
	    json_object_get(rec, "deviation_wh") != NULL)
		recent(q, json_string_value(json_object_get(rec,
		    "participant")), "settlements", json_pack("{s:O,s:O}",
		    "slot", json_object_get(rec, "slot"), "deviation_wh",
		    json_object_get(rec, "deviation_wh")));
}

/* The contract of an approved trade: its pending contract, naming the
 * decision (its id) in "review". */
json_t *
dk_revq_contract(const struct dk_revq *q, json_t *decision,
    struct dk_err *e)
{
	json_t *it = json_object_get(q->pend, json_string_value(
	    json_object_get(decision, "pending"))), *c;
	char id[65];

	if (it == NULL || dk_line_id(decision, id) < 0 || (c =
	    json_deep_copy(json_object_get(json_object_get(it, "rec"),
	    "contract"))) == NULL) {
		dk_fail(e, DK_EX_SOFTWARE, "the contract of an approved trade "
		    "cannot be made");
		return NULL;
	}
	json_object_set_new(c, "review", json_string(id));
	return c;
}

/* A contract naming a decision: the trade of the approve just read. */
static int
approved(struct dk_revq *q, json_t *rec, struct dk_err *e)
{
	const char *rid = json_string_value(json_object_get(rec, "review"));
	json_t *want, *it;
	int ok;

	if (q->approve == NULL || rid == NULL ||
	    strcmp(rid, q->approved) != 0)
		return dk_fail(e, DK_EX_DATAERR, "contract: review: %.64s: "
		    "not the approve decision just before it", rid ? rid :
		    "(not a string)");
	if ((want = dk_revq_contract(q, q->approve, e)) == NULL)
		return -1;
	ok = json_equal(want, rec);
	if (!ok)
		dk_fail(e, DK_EX_DATAERR, "contract: field %s differs from the "
		    "approved trade's", dk_first_diff(want, rec));
	json_decref(want);
	if (!ok)
		return -1;
	it = json_object_get(q->pend, json_string_value(json_object_get(
	    q->approve, "pending")));
	json_object_set_new(it, "contracted", json_true());
	json_decref(q->approve);
	q->approve = NULL;
	q->approved[0] = '\0';
	return 0;
}

/*
 * A dk_entry_fn over the whole ledger, in order, with q->reg the registry
 * as of each entry: the history the rules read, the pending trades, each
 * decision and approved contract checked.
 */
int
dk_revq_entry(void *ctx, long long seq, long line, json_t *rec,
    struct dk_err *e)
{
	struct dk_revq *q = ctx;
	const char *type = json_string_value(json_object_get(rec, "type"));
	json_t *it;
	char id[65];

	if (type == NULL)
		return 0;
	if (q->approved[0] != '\0' && (strcmp(type, "contract") != 0 ||
	    json_object_get(rec, "review") == NULL))
		return dk_fail(e, DK_EX_DATAERR, "the approve decision %.16s... "
		    "is not followed by the contract of its trade",
		    q->approved);
	if (dk_revhist_entry(&q->h, seq, line, rec, e) < 0)
		return -1;
	if (q->recent != NULL)
		evidence(q, type, rec);
	if (strcmp(type, "pending") == 0)
		return pending(q, seq, rec, e);
	if (strcmp(type, "contract") == 0 && json_object_get(rec, "review"))
		return approved(q, rec, e);
	if (strcmp(type, "review") != 0)
		return 0;
	if ((it = decision_check(q, rec, e)) == NULL)
		return -1;
	json_object_set(it, "decision", rec);
	if (strcmp(json_string_value(json_object_get(rec, "decision")),
	    "reject") == 0) {
		q->nrejected++;
		return 0;
	}
	q->napproved++;
	if (dk_line_id(rec, id) < 0)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	memcpy(q->approved, id, sizeof(id));
	q->approve = json_incref(rec);
	return 0;
}

/*
 * A reviewer's decision on pending trade pid, signed with key k of
 * participant by, at time t: the record, checked against the queue as a
 * verifier will check it; NULL and e filled when it would be refused.
 */
json_t *
dk_review_decision(const struct dk_revq *q, const char *decision,
    const char *pid, const char *comment, const char *by, int64_t t,
    const struct dk_key *k, struct dk_err *e)
{
	char ts[40];
	json_t *rec;

	if (dk_time_utc(t, ts, sizeof(ts)) < 0 ||
	    (rec = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s}", "type",
	    "review", "v", 1, "decision", decision, "pending", pid,
	    "comment", comment, "by", by, "time", ts)) == NULL) {
		dk_fail(e, DK_EX_USAGE, "-m: the comment must be UTF-8 text");
		return NULL;
	}
	if (dk_sign_record(rec, k, e) < 0 || decision_check(q, rec, e) ==
	    NULL) {
		json_decref(rec);
		return NULL;
	}
	return rec;
}

/* A decision signed elsewhere (denki-review -n), checked against the
 * queue before the operator appends it. */
int
dk_review_check(const struct dk_revq *q, json_t *rec, struct dk_err *e)
{
	return decision_check(q, rec, e) != NULL ? 0 : -1;
}

/* The trades undecided whose deadline the ledger's last checkpoint time
 * has passed: expired, whatever comes after. */
long long
dk_revq_expired(const struct dk_revq *q)
{
	const char *id;
	json_t *it;
	long long n = 0;

	json_object_foreach(q->pend, id, it)
		n += json_object_get(it, "decision") == NULL &&
		    json_integer_value(json_object_get(it, "deadline")) <
		    q->h.cp_time;
	return n;
}

/* A party of a pending trade as a reviewer sees it at time now. */
static json_t *
party_evidence(const struct dk_revq *q, const char *id, int64_t now)
{
	const struct dk_participant *p = dk_registry_find(q->reg, id);
	struct dk_credit_score s;
	struct dk_err e = { 0 };
	json_t *o, *r = json_object_get(q->recent, id);

	o = json_pack("{s:s,s:s}", "id", id, "role", p ? p->role : "?");
	if (dk_credit_score(&q->h.cr, id, now, &s, &e) == 0) {
		json_object_set_new(o, "days", json_integer(s.days));
		json_object_set_new(o, "credit", json_integer(s.score));
	}
	json_object_set_new(o, "contracts", r ? json_incref(json_object_get(r,
	    "contracts")) : json_array());
	json_object_set_new(o, "settlements", r ? json_incref(
	    json_object_get(r, "settlements")) : json_array());
	return o;
}

/*
 * The queue at time now: each pending trade not decided and not past its
 * deadline, in the ledger's order, with its reasons and the evidence of
 * its parties (q read with q->recent set).
 */
json_t *
dk_revq_list(const struct dk_revq *q, int64_t now, struct dk_err *e)
{
	json_t *out = json_array(), *x, *it, *p, *c;
	size_t i;

	if (out == NULL) {
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		return NULL;
	}
	json_array_foreach(q->ids, i, x) {
		it = json_object_get(q->pend, json_string_value(x));
		p = json_object_get(it, "rec");
		c = json_object_get(p, "contract");
		if (json_object_get(it, "decision") != NULL ||
		    json_integer_value(json_object_get(it, "deadline")) < now)
			continue;
		json_array_append_new(out, json_pack("{s:s,s:i,s:O,s:O,s:O,"
		    "s:O,s:O,s:O,s:I,s:O,s:O,s:I,s:o,s:o}", "type", "queued",
		    "v", 1, "id", x, "slot", json_object_get(p, "slot"),
		    "seller", json_object_get(c, "seller"), "buyer",
		    json_object_get(c, "buyer"), "wh", json_object_get(c, "wh"),
		    "price", json_object_get(c, "price"), "value",
		    (json_int_t)dk_trade_value(c), "reasons",
		    json_object_get(p, "reasons"), "deadline",
		    json_object_get(p, "deadline"), "entry",
		    json_integer_value(json_object_get(it, "seq")), "seller_"
		    "evidence", party_evidence(q, json_string_value(
		    json_object_get(c, "seller")), now), "buyer_evidence",
		    party_evidence(q, json_string_value(json_object_get(c,
		    "buyer")), now)));
	}
	return out;
}

struct both {
	struct dk_state *st;
	struct dk_revq *q;
};

static int
both_entry(void *ctx, long long seq, long line, json_t *rec,
    struct dk_err *e)
{
	struct both *b = ctx;

	if (dk_revq_entry(b->q, seq, line, rec, e) < 0)
		return -1;
	return dk_state_apply(b->st, seq, line, rec, e);
}

/*
 * The ledger at path read into q (evidence kept: the queue and its
 * parties) and st, an initialised state the registry q checks against is
 * replayed in, entry by entry; fd >= 0: the writer's, open and locked.
 */
int
dk_revq_ledger(struct dk_revq *q, struct dk_state *st, int fd,
    const char *path, struct dk_err *e)
{
	struct both b = { st, q };
	struct dk_scaninfo si;
	int rc;

	q->reg = &st->reg;
	if (q->recent == NULL)
		q->recent = json_object();
	if (fd < 0)
		return dk_ledger_scan(path, NULL, both_entry, &b, e);
	memset(&si, 0, sizeof(si));
	rc = dk_ledger_scan_fd(fd, path, NULL, both_entry, &b, &si, e);
	dk_scaninfo_free(&si);
	return rc;
}

/* The participant whose key is pk, or NULL. */
const struct dk_participant *
dk_registry_key(const struct dk_registry *r, const unsigned char pk[32])
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (memcmp(r->p[i].pk, pk, 32) == 0)
			return &r->p[i];
	return NULL;
}

/* The pending trade whose id starts with prefix (8 to 64 hex digits):
 * its whole id, or NULL and e filled. */
const char *
dk_revq_find(const struct dk_revq *q, const char *prefix, struct dk_err *e)
{
	const char *found = NULL, *id;
	size_t i, n = strlen(prefix);
	json_t *x;

	if (n < 8 || n > 64 || strspn(prefix, "0123456789abcdef") != n) {
		dk_fail(e, DK_EX_USAGE, "%.70s: a pending trade's id is 8 to "
		    "64 lowercase hex digits (denki review lists them)",
		    prefix);
		return NULL;
	}
	json_array_foreach(q->ids, i, x) {
		id = json_string_value(x);
		if (strncmp(id, prefix, n) != 0)
			continue;
		if (found != NULL) {
			dk_fail(e, DK_EX_USAGE, "%s: names more than one "
			    "pending trade; give more digits", prefix);
			return NULL;
		}
		found = id;
	}
	if (found == NULL)
		dk_fail(e, DK_EX_DATAERR, "%s: no trade of the ledger waits "
		    "for review under this id", prefix);
	return found;
}
