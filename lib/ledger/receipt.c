/*
 * receipt.c: what the cooperative's intake signs for a line it received
 * (a receipt: the line's id, kind, slot and time received), the ledger
 * record that names the intake key, and the checks of both.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger.h"

static const char *const rcpt_fields[] = { "type", "v", "id", "kind",
	"participant", "meter", "slot", "received", "origin", "key", "sig",
	NULL };
static const char *const intake_fields[] = { "type", "v", "key",
	"gate_closure_minutes", NULL };

/* The id of a record: SHA-256 of its canonical bytes, in hex. */
int
dk_line_id(json_t *rec, char out[65])
{
	char *c = dk_canon(rec);

	if (c == NULL)
		return -1;
	dk_sha256_hex(c, strlen(c), out);
	free(c);
	return 0;
}

/* Unix seconds as RFC 3339 in UTC with a Z: 2026-12-06T21:00:05Z. */
int
dk_time_utc(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t < 0 || gmtime_r(&tt, &tm) == NULL)
		return -1;
	snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	return 0;
}

/*
 * The receipt of the n canonical bytes of a line, signed by the intake
 * key k: {"type":"receipt","v":1,"id","kind","participant"|"meter",
 * "slot","received","origin","key","sig"}.
 */
json_t *
dk_receipt_make(const char *canon_line, size_t n, const char *kind,
    const char *who, const char *slot, int64_t received, const char *origin,
    const struct dk_key *k, struct dk_err *e)
{
	char id[65], t[32], *kb;
	json_t *r;
	int order = strcmp(kind, "order") == 0;

	if (!order && strcmp(kind, "reading") != 0) {
		dk_fail(e, DK_EX_SOFTWARE, "kind: must be order or reading");
		return NULL;
	}
	if (dk_time_utc(received, t, sizeof(t)) < 0) {
		dk_fail(e, DK_EX_SOFTWARE, "received: out of range");
		return NULL;
	}
	dk_sha256_hex(canon_line, n, id);
	if ((kb = dk_key_pub_b64(k)) == NULL) {
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		return NULL;
	}
	r = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "type",
	    "receipt", "v", 1, "id", id, "kind", kind,
	    order ? "participant" : "meter", who, "slot", slot, "received", t,
	    "origin", origin, "key", kb);
	free(kb);
	if (r == NULL) {
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		return NULL;
	}
	if (dk_sign_record(r, k, e) < 0) {
		json_decref(r);
		return NULL;
	}
	return r;
}

/*
 * A receipt's members, their types, and its signature by the key pk
 * (which its "key" must name): 0, or -1 with the member at fault in e.
 */
int
dk_receipt_check(json_t *r, const unsigned char pk[32], struct dk_err *e)
{
	const char *s, *kind, *who;
	struct dk_key k;
	int64_t t;
	char back[32];

	if (!json_is_object(r))
		return dk_fail(e, DK_EX_DATAERR, "a receipt is one JSON object");
	if (dk_check_type(r, "receipt", e) < 0 ||
	    dk_members_only(r, rcpt_fields, "a receipt", e) < 0 ||
	    dk_profile_check(r, e) < 0)
		return -1;
	if ((s = dk_get_str(r, "id", e)) == NULL)
		return -1;
	if (!dk_is_hex64(s))
		return dk_fail(e, DK_EX_DATAERR, "id: must be 64 lowercase hex "
		    "digits (SHA-256 of the line), got \"%.70s\"", s);
	if ((kind = dk_get_str(r, "kind", e)) == NULL)
		return -1;
	if (strcmp(kind, "order") == 0)
		who = "participant";
	else if (strcmp(kind, "reading") == 0)
		who = "meter";
	else
		return dk_fail(e, DK_EX_DATAERR, "kind: must be \"order\" or "
		    "\"reading\", got \"%.40s\"", kind);
	if (dk_get_id(r, who, e) == NULL)
		return -1;
	if (json_object_get(r, strcmp(who, "meter") == 0 ? "participant" :
	    "meter") != NULL)
		return dk_fail(e, DK_EX_DATAERR, "%s: not a member of a "
		    "receipt of %s", strcmp(who, "meter") == 0 ?
		    "participant" : "meter", kind);
	if ((s = dk_get_str(r, "slot", e)) == NULL)
		return -1;
	if (dk_time_parse(s, &t, e) < 0)
		return dk_failpre(e, "slot");
	if ((s = dk_get_str(r, "received", e)) == NULL)
		return -1;
	if (dk_time_parse(s, &t, e) < 0)
		return dk_failpre(e, "received");
	if (dk_time_utc(t, back, sizeof(back)) < 0 || strcmp(back, s) != 0)
		return dk_fail(e, DK_EX_DATAERR, "received: must be a UTC time "
		    "ending in Z, like 2026-12-06T21:00:05Z, got \"%.40s\"", s);
	if (dk_get_str(r, "origin", e) == NULL)
		return -1;
	if ((s = dk_get_str(r, "key", e)) == NULL)
		return -1;
	if (dk_key_from_b64(&k, s, e) < 0)
		return dk_failpre(e, "key");
	if (memcmp(k.pk, pk, 32) != 0)
		return dk_fail(e, DK_EX_DATAERR, "key: not the intake key "
		    "the receipt is checked against");
	if (dk_verify_record(r, pk, e) < 0)
		return -1;
	return 0;
}

/* The ledger record naming the intake key (unsigned: the ledger's entry
 * carries the operator's signature). */
json_t *
dk_intake_record(const struct dk_key *k, long long gate_minutes)
{
	char *kb = dk_key_pub_b64(k);
	json_t *r;

	if (kb == NULL)
		return NULL;
	r = json_pack("{s:s,s:i,s:s,s:I}", "type", "intake", "v", 1, "key",
	    kb, "gate_closure_minutes", (json_int_t)gate_minutes);
	free(kb);
	return r;
}

/* An intake record's members; its key in k and its gate closure in
 * minutes in gate (either may be NULL). */
int
dk_intake_check(json_t *rec, struct dk_key *k, long long *gate,
    struct dk_err *e)
{
	struct dk_key kk;
	long long g;
	const char *s;

	if (dk_check_type(rec, "intake", e) < 0 ||
	    dk_members_only(rec, intake_fields, "an intake record", e) < 0)
		return -1;
	if ((s = dk_get_str(rec, "key", e)) == NULL)
		return -1;
	if (dk_key_from_b64(&kk, s, e) < 0)
		return dk_failpre(e, "key");
	if (dk_get_int(rec, "gate_closure_minutes", 0, DK_GATE_MAX, &g, e) < 0)
		return -1;
	if (k != NULL)
		*k = kk;
	if (gate != NULL)
		*gate = g;
	return 0;
}

/* The intake keys a ledger named, in the state: the one whose pk this
 * is, or NULL. */
const struct dk_intakekey *
dk_state_intake(const struct dk_state *s, const unsigned char pk[32])
{
	size_t i;

	for (i = 0; i < s->nintake; i++)
		if (memcmp(s->intake[i].pk, pk, 32) == 0)
			return &s->intake[i];
	return NULL;
}

int
dk_state_intake_add(struct dk_state *s, long long seq, json_t *rec,
    struct dk_err *e)
{
	struct dk_intakekey *n;
	struct dk_key k;
	long long g;
	size_t cap;

	if (dk_intake_check(rec, &k, &g, e) < 0)
		return -1;
	if (s->nintake == s->capintake) {
		cap = s->capintake ? s->capintake * 2 : 4;
		if ((n = realloc(s->intake, cap * sizeof(*n))) == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		s->intake = n;
		s->capintake = cap;
	}
	n = &s->intake[s->nintake++];
	memset(n, 0, sizeof(*n));
	memcpy(n->pk, k.pk, 32);
	snprintf(n->key, sizeof(n->key), "%s",
	    json_string_value(json_object_get(rec, "key")));
	n->seq = seq;
	n->gate_minutes = g;
	return 0;
}
