/*
 * receipts.c: a member's receipts held against the ledger
 * (denki-ledger-verify -R): each signed by an intake key the ledger names,
 * each order receipted for a slot since cleared in that slot's book, and
 * no receipted reading left out of a provisional settlement.
 */
#include <stdlib.h>
#include <string.h>

#include "settle.h"

struct rctx {
	struct dk_state st;
	json_t *ids;		/* the ids of the orders and readings in the
				 * ledger */
	json_t *prov;		/* "slot meter" -> participant: a meter its
				 * owner was settled provisionally without,
				 * not trued up since */
};

/* "slot meter", slot in Unix seconds: a key of prov. */
static void
pkey(char *k, size_t n, int64_t t, const char *meter)
{
	snprintf(k, n, "%lld %s", (long long)t, meter);
}

/* A provisional settlement's missing meters into prov; a true-up's out. */
static int
provisional(struct rctx *c, json_t *rec, int in, struct dk_err *e)
{
	json_t *ms = json_object_get(rec, in ? "provisional" : "meters"), *m;
	const char *who = json_string_value(json_object_get(rec,
	    "participant"));
	char k[300];
	int64_t t;
	size_t i;

	if (ms == NULL || who == NULL)
		return 0;
	if (dk_time_parse(json_string_value(json_object_get(rec, "slot")), &t,
	    e) < 0)
		return -1;
	json_array_foreach(ms, i, m) {
		if (!json_is_string(m))
			continue;
		pkey(k, sizeof(k), t, json_string_value(m));
		if (in)
			json_object_set_new(c->prov, k, json_string(who));
		else
			json_object_del(c->prov, k);
	}
	return 0;
}

static int
take(void *ctx, long long seq, long line, json_t *rec, struct dk_err *e)
{
	struct rctx *c = ctx;
	char id[65];

	const char *type = json_string_value(json_object_get(rec, "type"));

	if (strcmp(type, "order") == 0 || strcmp(type, "reading") == 0) {
		if (dk_line_id(rec, id) < 0)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		json_object_set_new(c->ids, id, json_true());
	} else if ((strcmp(type, "settlement") == 0 ||
	    strcmp(type, "trueup") == 0) && provisional(c, rec,
	    type[0] == 's', e) < 0)
		return -1;
	return dk_state_apply(&c->st, seq, line, rec, e);
}

/*
 * A reading's receipt (its signature checked): 1 with why when the member
 * was settled provisionally without that reading and not trued up since.
 * The meter delivered, the receipt proves when; the operator kept the
 * reading out of the money (an unfavourable one, say).  A reading of a
 * slot settled on readings is in the ledger (or committed to) by the
 * replay's own rule; one of a slot not yet settled is pending.
 */
static int
reading(struct rctx *c, json_t *r, char *why, size_t wl)
{
	struct dk_err e = { 0 };
	const char *meter = json_string_value(json_object_get(r, "meter"));
	json_t *who;
	char k[300];
	int64_t t;

	if (dk_time_parse(json_string_value(json_object_get(r, "slot")), &t,
	    &e) < 0)
		return 0;
	pkey(k, sizeof(k), t, meter);
	if ((who = json_object_get(c->prov, k)) == NULL)
		return 0;
	snprintf(why, wl, "withheld: the reading of meter %s for slot %s, id "
	    "%s, receipted at %s, is not in the ledger: %s was settled "
	    "provisionally without it and not trued up", meter,
	    json_string_value(json_object_get(r, "slot")),
	    json_string_value(json_object_get(r, "id")),
	    json_string_value(json_object_get(r, "received")),
	    json_string_value(who));
	return 1;
}

/* One receipt, line lno of name: 0, or 1 with what is wrong in why. */
static int
one(struct rctx *c, const char *origin, const char *text, size_t n,
    char *why, size_t wl)
{
	struct dk_err e = { 0 };
	const struct dk_intakekey *ik;
	struct dk_key k;
	json_t *r;
	const char *s, *id;
	int64_t t;
	int rc = 1;

	if ((r = dk_parse(text, n, &e)) == NULL) {
		snprintf(why, wl, "not a receipt: %.400s", e.msg);
		return 1;
	}
	s = json_string_value(json_object_get(r, "key"));
	if (s == NULL || dk_key_from_b64(&k, s, &e) < 0 ||
	    (ik = dk_state_intake(&c->st, k.pk)) == NULL)
		snprintf(why, wl, "signed by a key no intake record of the "
		    "ledger names");
	else if (dk_receipt_check(r, ik->pk, &e) < 0)
		snprintf(why, wl, "%.400s", e.msg);
	else if (strcmp(json_string_value(json_object_get(r, "origin")),
	    origin) != 0)
		snprintf(why, wl, "origin: a receipt of another ledger");
	else if (strcmp(json_string_value(json_object_get(r, "kind")),
	    "reading") == 0)
		rc = reading(c, r, why, wl);
	else if (dk_time_parse(json_string_value(json_object_get(
	    r, "slot")), &t, &e) < 0 || dk_state_slot(&c->st, t) == NULL ||
	    json_object_get(c->ids, (id = json_string_value(json_object_get(r,
	    "id")))) != NULL)
		rc = 0;
	else
		snprintf(why, wl, "censored: the order of %s for slot %s, id %s, "
		    "receipted at %s, is not in the slot's book",
		    json_string_value(json_object_get(r, "participant")),
		    json_string_value(json_object_get(r, "slot")), id,
		    json_string_value(json_object_get(r, "received")));
	json_decref(r);
	return rc;
}

/*
 * The receipts of the file rpath against the ledger at lpath (already
 * audited): each one found wrong written to out as "rpath:line: why".
 * Returns how many were wrong, or -1 with e.
 */
long
dk_receipts_check(const char *rpath, const char *lpath,
    const unsigned char oppk[32], FILE *out, struct dk_err *e)
{
	struct rctx c;
	struct dk_scaninfo si;
	struct dk_reader rd;
	char why[512], *line;
	long n, bad = 0;

	memset(&si, 0, sizeof(si));
	dk_state_init(&c.st);
	c.ids = json_object();
	c.prov = json_object();
	if (dk_ledger_scan_info(lpath, oppk, take, &c, &si, e) < 0 ||
	    dk_reader_open(&rd, rpath, e) < 0) {
		bad = -1;
		goto out;
	}
	while ((n = dk_reader_next(&rd, &line, e)) >= 0)
		if (n > 0 && one(&c, si.origin, line, (size_t)n, why,
		    sizeof(why)) != 0) {
			fprintf(out, "%s:%ld: %s\n", rd.name, rd.line, why);
			bad++;
		}
	if (e->status != 0)
		bad = -1;
	dk_reader_close(&rd);
out:
	dk_scaninfo_free(&si);
	dk_state_free(&c.st);
	json_decref(c.ids);
	json_decref(c.prov);
	return bad;
}
