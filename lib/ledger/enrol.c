/*
 * enrol.c: a member's part of the registry is the member's: its signed
 * requests (enrolment, key change), the recovery record that a second
 * authority countersigns, and what a participant record must carry to
 * change a member's key, meters or meter keys; a member's history.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

/*
 * An enrolment request, {"type":"enrol","v":1,"id","key","zone","role",
 * "meters","meter_keys"?,"time","sig"}, is signed by the key it names:
 * the proof that the member holds its secret half.  A key change adds
 * "old_key" and "old_sig", the key it replaces and that key's signature
 * of the same bytes: the canonical form without sig and old_sig.
 */
static const char *const req_fields[] = { "type", "v", "id", "key", "zone",
	"role", "meters", "meter_keys", "time", "old_key", "old_sig", "sig",
	NULL };
static const char *const rcv_fields[] = { "type", "v", "id", "old_key",
	"key", "reason", "time", "sig", NULL };

/* An object with no member but these (a NULL-ended list), what naming it
 * in the message. */
int
dk_members_only(json_t *o, const char *const *names, const char *what,
    struct dk_err *e)
{
	const char *k;
	json_t *x;
	size_t i;

	json_object_foreach(o, k, x) {
		for (i = 0; names[i] != NULL && strcmp(names[i], k) != 0; i++)
			;
		if (names[i] == NULL)
			return dk_fail(e, DK_EX_DATAERR, "%.40s: not a member "
			    "of %s", k, what);
	}
	return 0;
}

/* An object of this type and version 1, with no member but these. */
static int
opening(json_t *o, const char *type, const char *const *names,
    const char *what, struct dk_err *e)
{
	if (!json_is_object(o))
		return dk_fail(e, DK_EX_DATAERR, "%s is one JSON object", what);
	if (dk_check_type(o, type, e) < 0)
		return -1;
	return dk_members_only(o, names, what, e);
}

/* The bytes both signatures of a request cover. */
static json_t *
body(json_t *req)
{
	json_t *c = json_copy(req);

	if (c != NULL) {
		json_object_del(c, "sig");
		json_object_del(c, "old_sig");
	}
	return c;
}

/* The meters of -m and -M, and the keys -M names, in the given order. */
static int
req_meters(const struct dk_request *q, json_t *req, struct dk_err *e)
{
	json_t *m = json_array(), *mk = json_array();
	struct dk_key pk;
	size_t i, j, n;
	char *b64, mid[DK_ID_MAX + 2];
	int rc = -1;

	json_object_set_new(req, "meters", m);
	for (i = 0; i < q->nmeters; i++)
		json_array_append_new(m, json_string(q->meters[i]));
	for (i = 0; i < q->nmkeys; i++) {
		n = strcspn(q->mkeys[i], "=");
		if (n > DK_ID_MAX || q->mkeys[i][n] != '=') {
			dk_fail(e, DK_EX_USAGE, "-M %s: must be meter=pubkey",
			    q->mkeys[i]);
			goto out;
		}
		snprintf(mid, sizeof(mid), "%.*s", (int)n, q->mkeys[i]);
		if (!dk_valid_id(mid)) {
			dk_fail(e, DK_EX_USAGE, "-M %s: a meter id must be 1 "
			    "to 32 of [A-Za-z0-9._-]", mid);
			goto out;
		}
		for (j = 0; j < q->nmeters && strcmp(q->meters[j], mid) != 0;
		    j++)
			;
		if (j == q->nmeters)
			json_array_append_new(m, json_string(mid));
		if (dk_key_read_pub(&pk, q->mkeys[i] + n + 1, e) < 0) {
			dk_failpre(e, "-M %s", mid);
			goto out;
		}
		b64 = dk_key_pub_b64(&pk);
		json_array_append_new(mk, json_pack("{s:s,s:s}", "meter", mid,
		    "key", b64));
		free(b64);
	}
	if (json_array_size(mk) > 0)
		json_object_set(req, "meter_keys", mk);
	rc = 0;
out:
	json_decref(mk);
	return rc;
}

/* The request q asks for, signed by q->key (and q->old), or NULL. */
json_t *
dk_request_make(const struct dk_request *q, struct dk_err *e)
{
	json_t *req, *b = NULL;
	char t[40], *k;

	if (dk_time_format(q->time, "UTC", t, sizeof(t)) < 0) {
		dk_fail(e, DK_EX_USAGE, "time: out of range");
		return NULL;
	}
	k = dk_key_pub_b64(q->key);
	req = json_pack("{s:s,s:i,s:s,s:s,s:s}", "type", "enrol", "v", 1, "id",
	    q->id, "key", k, "time", t);
	free(k);
	if (q->zone != NULL)
		json_object_set_new(req, "zone", json_string(q->zone));
	if (q->role != NULL)
		json_object_set_new(req, "role", json_string(q->role));
	if (req_meters(q, req, e) < 0)
		goto fail;
	if (q->old != NULL) {
		k = dk_key_pub_b64(q->old);
		json_object_set_new(req, "old_key", json_string(k));
		free(k);
		if ((b = body(req)) == NULL || dk_sign_record(b, q->old, e) < 0)
			goto fail;
		json_object_set(req, "old_sig", json_object_get(b, "sig"));
		json_decref(b);
	}
	if ((b = body(req)) == NULL || dk_sign_record(b, q->key, e) < 0)
		goto fail;
	json_object_set(req, "sig", json_object_get(b, "sig"));
	json_decref(b);
	if (dk_request_check(req, e) == 0)
		return req;
	b = NULL;
fail:
	json_decref(b);
	json_decref(req);
	return NULL;
}

/* sig (or, with old, old_sig) of a request by the key in field kf. */
static int
req_sig(json_t *req, const char *kf, const char *sf, struct dk_err *e)
{
	struct dk_key k;
	json_t *b;
	int rc;

	if (dk_key_from_b64(&k, json_string_value(json_object_get(req, kf)),
	    e) < 0)
		return dk_failpre(e, "%s", kf);
	if ((b = body(req)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	json_object_set(b, "sig", json_object_get(req, sf));
	rc = dk_verify_record(b, k.pk, e);
	json_decref(b);
	if (rc < 0 && strncmp(e->msg, "sig: ", 5) == 0) {
		char m[sizeof(e->msg)];
		snprintf(m, sizeof(m), "%s", e->msg + 5);
		return dk_fail(e, DK_EX_DATAERR, "%s: %s", sf, m);
	}
	return rc;
}

/* A request's structure and signatures. */
int
dk_request_check(json_t *req, struct dk_err *e)
{
	const char *s = NULL;
	int64_t t;

	if (opening(req, "enrol", req_fields, "an enrolment request", e) < 0 ||
	    dk_get_id(req, "id", e) == NULL || (json_object_get(req, "zone") &&
	    dk_get_id(req, "zone", e) == NULL))
		return -1;
	/* zone and role: what the member asks for when it enrols */
	if (json_object_get(req, "role") != NULL && ((s = dk_get_str(req,
	    "role", e)) == NULL))
		return -1;
	if (json_object_get(req, "role") != NULL && !dk_role_valid(s))
		return dk_fail(e, DK_EX_DATAERR, "role: must be prosumer, "
		    "consumer, producer, reviewer or dso, got \"%.40s\"", s);
	if ((s = dk_get_str(req, "time", e)) == NULL)
		return -1;
	if (dk_time_parse(s, &t, e) < 0)
		return dk_failpre(e, "time");
	if (dk_get_str(req, "key", e) == NULL || dk_meters_check(req, e) < 0)
		return -1;
	if ((json_object_get(req, "old_key") == NULL) !=
	    (json_object_get(req, "old_sig") == NULL))
		return dk_fail(e, DK_EX_DATAERR, "old_key and old_sig: a key "
		    "change has both, an enrolment neither");
	if (json_object_get(req, "old_key") != NULL) {
		if (dk_get_str(req, "old_key", e) == NULL ||
		    dk_get_str(req, "old_sig", e) == NULL)
			return -1;
		if (strcmp(json_string_value(json_object_get(req, "old_key")),
		    json_string_value(json_object_get(req, "key"))) == 0)
			return dk_fail(e, DK_EX_DATAERR, "old_key: the same as "
			    "key; a request with the key in force has no "
			    "old_key");
		if (req_sig(req, "old_key", "old_sig", e) < 0)
			return -1;
	}
	if (json_object_get(req, "sig") == NULL)
		return dk_fail(e, DK_EX_DATAERR, "sig: missing: the member "
		    "signs its request with the key it names");
	return req_sig(req, "key", "sig", e);
}

/* The recovery of p's lost key by newkey, for the recovery key to sign. */
json_t *
dk_recovery_make(const struct dk_participant *p, const struct dk_key *newkey,
    const char *reason, int64_t time, struct dk_err *e)
{
	char t[40], *k;
	json_t *r;

	if (reason == NULL || *reason == '\0' || strlen(reason) > 500) {
		dk_fail(e, DK_EX_USAGE, "reason: 1 to 500 bytes saying why "
		    "the key is replaced");
		return NULL;
	}
	if (dk_time_format(time, "UTC", t, sizeof(t)) < 0) {
		dk_fail(e, DK_EX_USAGE, "time: out of range");
		return NULL;
	}
	k = dk_key_pub_b64(newkey);
	r = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s}", "type", "key_recovery",
	    "v", 1, "id", p->id, "old_key", p->key, "key", k, "reason", reason,
	    "time", t);
	free(k);
	if (strcmp(p->key, json_string_value(json_object_get(r, "key"))) ==
	    0) {
		dk_fail(e, DK_EX_USAGE, "%s: the new key is the key in force",
		    p->id);
		json_decref(r);
		return NULL;
	}
	return r;
}

/* A recovery record's structure; with rpk, its signature by that key. */
int
dk_recovery_check(json_t *r, const unsigned char *rpk, struct dk_err *e)
{
	struct dk_key k;
	const char *s;
	int64_t t;

	if (opening(r, "key_recovery", rcv_fields, "a recovery record",
	    e) < 0 || dk_get_id(r, "id", e) == NULL || (s = dk_get_str(r, "reason", e)) ==
	    NULL)
		return -1;
	if (*s == '\0')
		return dk_fail(e, DK_EX_DATAERR, "reason: empty; a recovery "
		    "says why the key is replaced");
	if ((s = dk_get_str(r, "time", e)) == NULL)
		return -1;
	if (dk_time_parse(s, &t, e) < 0)
		return dk_failpre(e, "time");
	if ((s = dk_get_str(r, "old_key", e)) == NULL ||
	    dk_key_from_b64(&k, s, e) < 0)
		return dk_failpre(e, "old_key");
	if ((s = dk_get_str(r, "key", e)) == NULL ||
	    dk_key_from_b64(&k, s, e) < 0)
		return dk_failpre(e, "key");
	if (rpk == NULL)
		return 0;
	if (json_object_get(r, "sig") == NULL)
		return dk_fail(e, DK_EX_DATAERR, "sig: missing: a recovery "
		    "needs the recovery key's signature (denki registry "
		    "countersign)");
	if (dk_verify_record(r, rpk, e) < 0)
		return dk_fail(e, DK_EX_DATAERR, "sig: not the signature of "
		    "the recovery key the genesis names, or the record was "
		    "changed after it was signed");
	return 0;
}

/* One request or recovery: the first line of path ("-": stdin). */
json_t *
dk_request_read(const char *path, struct dk_err *e)
{
	struct dk_reader rd;
	json_t *req = NULL;
	char *line;
	long n;

	if (dk_reader_open(&rd, path, e) < 0)
		return NULL;
	if ((n = dk_reader_next(&rd, &line, e)) < 0) {
		if (e->status == 0)
			dk_fail(e, DK_EX_DATAERR, "%s: empty: no request in it",
			    rd.name);
	} else if ((req = dk_parse(line, n, e)) == NULL)
		dk_failpre(e, "%s:%ld", rd.name, rd.line);
	else if (dk_reader_next(&rd, &line, e) >= 0 || e->status != 0) {
		if (e->status == 0)
			dk_fail(e, DK_EX_DATAERR, "%s:%ld: one request a file",
			    rd.name, rd.line);
		json_decref(req);
		req = NULL;
	}
	dk_reader_close(&rd);
	return req;
}

static int
same(json_t *a, json_t *b, const char *k)
{
	json_t *x = json_object_get(a, k), *y = json_object_get(b, k);

	return (x == NULL && y == NULL) || (x != NULL && y != NULL &&
	    json_equal(x, y));
}

/*
 * The participant record that appends req, an enrolment request (add: of
 * a new member, with the limits given) or a request or countersigned
 * recovery of an enrolled one (the rest of its record kept); name, the
 * file it came from, for messages.  Its checks are dk_participant_proof's,
 * which the caller's dk_registry_apply makes.
 */
json_t *
dk_registry_request(const struct dk_registry *r, json_t *req,
    const char *name, int add, long long max_wh, long long max_day,
    struct dk_err *e)
{
	const struct dk_participant *p;
	const char *id, *type;
	json_t *rec;

	if (strcmp(name, "-") == 0)
		name = "stdin";
	if ((type = json_string_value(json_object_get(req, "type"))) != NULL &&
	    strcmp(type, "key_recovery") == 0 && !add) {
		if (dk_recovery_check(req, NULL, e) < 0) {
			dk_failpre(e, "%s", name);
			return NULL;
		}
	} else if (dk_request_check(req, e) < 0) {
		dk_failpre(e, "%s", name);
		return NULL;
	}
	id = json_string_value(json_object_get(req, "id"));
	p = dk_registry_find(r, id);
	if (add && p != NULL) {
		dk_fail(e, DK_EX_DATAERR, "%s: already registered; its changes "
		    "go by registry rekey", id);
		return NULL;
	}
	if (!add && p == NULL) {
		dk_fail(e, DK_EX_DATAERR, "%s: not registered; an enrolment "
		    "goes by registry add", id);
		return NULL;
	}
	if (add) {
		rec = json_pack("{s:s,s:O,s:s,s:s,s:s}", "id", id, "key",
		    json_object_get(req, "key"), "zone", "main", "role",
		    "prosumer", "status", "active");
		json_object_update_existing(rec, req);
		json_object_set(rec, "key", json_object_get(req, "key"));
		if (max_wh >= 0)
			json_object_set_new(rec, "max_wh",
			    json_integer(max_wh));
		if (max_day >= 0)
			json_object_set_new(rec, "max_day",
			    json_integer(max_day));
	} else {
		rec = dk_participant_json(p);
		json_object_set(rec, "key", json_object_get(req, "key"));
	}
	json_object_set_new(rec, "type", json_string("participant"));
	json_object_set_new(rec, "v", json_integer(2));
	if (strcmp(type, "enrol") == 0) {
		json_object_set(rec, "meters", json_object_get(req, "meters"));
		json_object_del(rec, "meter_keys");
		if (json_object_get(req, "meter_keys") != NULL)
			json_object_set(rec, "meter_keys",
			    json_object_get(req, "meter_keys"));
	}
	json_object_set(rec, "request", req);
	return rec;
}

static int
changed_key(const struct dk_participant *prev, json_t *rec, struct dk_err *e)
{
	if (prev == NULL || strcmp(prev->key, json_string_value(
	    json_object_get(rec, "key"))) == 0)
		return 0;
	return dk_fail(e, DK_EX_DATAERR, "participant %s: key: changed "
	    "without a request signed by the old key or a recovery "
	    "countersigned by the recovery key", prev->id);
}

/* After the first request or recovery of a member, each must be later. */
static int
later(const struct dk_participant *prev, json_t *req, struct dk_err *e)
{
	int64_t t;

	if (dk_time_parse(json_string_value(json_object_get(req, "time")), &t,
	    e) < 0)
		return dk_failpre(e, "request: time");
	if (prev != NULL && prev->has_req && t <= prev->req_time)
		return dk_fail(e, DK_EX_DATAERR, "participant %s: request: "
		    "time: %s is not later than the member's last request "
		    "or recovery: a request is used once", prev->id,
		    json_string_value(json_object_get(req, "time")));
	return 0;
}

/*
 * What a participant record must carry, against the member's previous
 * record prev (NULL: none) in r.  Version 1 (before requests): enrols
 * without proof and never changes a key, and none follows a version 2
 * record.  Version 2 without "request": the operator's change of zone,
 * role, status or limits, the key, meters and meter keys as before.  With
 * an enrolment request: the member's key, meters and meter keys are the
 * request's, a new key signed by the old; with a recovery: the key
 * replaced, countersigned by the genesis's recovery key.
 */
int
dk_participant_proof(const struct dk_registry *r,
    const struct dk_participant *prev, json_t *rec, struct dk_err *e)
{
	json_t *req = json_object_get(rec, "request"), *pj;
	const char *id = json_string_value(json_object_get(rec, "id"));
	const char *type, *ok;
	int kept;

	if (json_integer_value(json_object_get(rec, "v")) == 1) {
		if (r->v2)
			return dk_fail(e, DK_EX_DATAERR, "participant %s: a "
			    "record of version 1 after records of version 2: "
			    "no proof that the member holds its key", id);
		return changed_key(prev, rec, e);
	}
	pj = prev != NULL ? dk_participant_json(prev) : NULL;
	kept = pj != NULL && same(pj, rec, "meters") &&
	    same(pj, rec, "meter_keys");
	json_decref(pj);
	if (req == NULL) {
		if (prev == NULL)
			return dk_fail(e, DK_EX_DATAERR, "participant %s: "
			    "enrolled without the member's signed request",
			    id);
		if (changed_key(prev, rec, e) < 0)
			return -1;
		if (!kept)
			return dk_fail(e, DK_EX_DATAERR, "participant %s: "
			    "meters: changed without the member's signed "
			    "request", id);
		return 0;
	}
	type = json_string_value(json_object_get(req, "type"));
	if (type != NULL && strcmp(type, "key_recovery") == 0) {
		if (prev == NULL)
			return dk_fail(e, DK_EX_DATAERR, "participant %s: a "
			    "recovery of a participant never enrolled", id);
		if (!r->has_rpk)
			return dk_fail(e, DK_EX_DATAERR, "participant %s: a "
			    "recovery, but the genesis names no recovery key",
			    id);
		if (dk_recovery_check(req, r->rpk, e) < 0)
			return dk_failpre(e, "participant %s: request", id);
		ok = "old_key";
		if (!kept)
			return dk_fail(e, DK_EX_DATAERR, "participant %s: a "
			    "recovery replaces the key alone, not the meters",
			    id);
	} else {
		if (dk_request_check(req, e) < 0)
			return dk_failpre(e, "participant %s: request", id);
		if (!same(req, rec, "meters") || !same(req, rec, "meter_keys"))
			return dk_fail(e, DK_EX_DATAERR, "participant %s: "
			    "meters: not the ones the member's request names",
			    id);
		if (prev == NULL && ((json_object_get(req, "zone") &&
		    !same(req, rec, "zone")) || (json_object_get(req, "role") &&
		    !same(req, rec, "role"))))
			return dk_fail(e, DK_EX_DATAERR, "participant %s: "
			    "zone and role: not the ones the member's request "
			    "names", id);
		ok = json_object_get(req, "old_key") != NULL ? "old_key" :
		    "key";
		if (prev == NULL && strcmp(ok, "key") != 0)
			return dk_fail(e, DK_EX_DATAERR, "participant %s: a "
			    "key change of a participant never enrolled", id);
	}
	if (!same(req, rec, "id"))
		return dk_fail(e, DK_EX_DATAERR, "participant %s: request: "
		    "id: the request is for %.40s", id,
		    json_string_value(json_object_get(req, "id")));
	if (!same(req, rec, "key"))
		return dk_fail(e, DK_EX_DATAERR, "participant %s: key: not "
		    "the key the request names", id);
	if (prev != NULL && strcmp(prev->key, json_string_value(
	    json_object_get(req, ok))) != 0)
		return dk_fail(e, DK_EX_DATAERR, "participant %s: request: "
		    "%s: not the key in force; a key changes only by a "
		    "request signed by the old key or a recovery", id,
		    strcmp(ok, "key") == 0 ? "key (with no old_key)" : ok);
	return later(prev, req, e);
}

/* The record of rec's change for a member's history (prev: the member's
 * record before it, or NULL). */
json_t *
dk_registry_history(json_t *prev, json_t *rec, long long seq)
{
	static const char *const f[] = { "key", "zone", "role", "status",
		"meters", "meter_keys", "max_wh", "max_day", "scope", "capacity_wh",
		NULL };
	json_t *h, *ch = json_array(), *req = json_object_get(rec, "request");
	const char *type = json_string_value(json_object_get(req, "type"));
	size_t i;

	if (prev == NULL)
		json_array_append_new(ch, json_string("enrolled"));
	for (i = 0; prev != NULL && f[i] != NULL; i++)
		if (!same(prev, rec, f[i]))
			json_array_append_new(ch, json_string(f[i]));
	h = json_pack("{s:s,s:i,s:I,s:O,s:o,s:O}", "type", "history", "v", 1,
	    "entry", (json_int_t)seq, "id", json_object_get(rec, "id"),
	    "changed", ch, "key", json_object_get(rec, "key"));
	if (req == NULL)
		json_object_set_new(h, "signed", json_pack("[s]", "operator"));
	else if (strcmp(type, "key_recovery") == 0) {
		json_object_set_new(h, "signed", json_pack("[s]", "recovery"));
		json_object_set(h, "reason", json_object_get(req, "reason"));
	} else if (json_object_get(req, "old_key") != NULL)
		json_object_set_new(h, "signed", json_pack("[s,s]", "member",
		    "old_key"));
	else
		json_object_set_new(h, "signed", json_pack("[s]", "member"));
	if (req != NULL)
		json_object_set(h, "time", json_object_get(req, "time"));
	return h;
}

/* The recovery of id's key by newkey, for the recovery key to sign; only
 * in a ledger whose genesis names a recovery key. */
json_t *
dk_registry_recovery(const struct dk_registry *r, const char *id,
    const struct dk_key *newkey, const char *reason, int64_t time,
    struct dk_err *e)
{
	const struct dk_participant *p = dk_registry_find(r, id);

	if (p == NULL) {
		dk_fail(e, DK_EX_DATAERR, "%s: not registered", id);
		return NULL;
	}
	if (!r->has_rpk) {
		dk_fail(e, DK_EX_DATAERR, "%s: the ledger's genesis names no "
		    "recovery key, so no recovery can be appended to it", id);
		return NULL;
	}
	return dk_recovery_make(p, newkey, reason, time, e);
}

/* A history record (dk_registry_history) as a line for a person. */
char *
dk_history_text(json_t *h)
{
	static const struct {
		const char *k, *w;
	} who[] = {
		{ "operator", "the operator alone" },
		{ "member", "the member" },
		{ "old_key", "the member, with its old key" },
		{ "recovery", "the recovery key" },
	};
	json_t *s = json_object_get(h, "signed"), *x;
	char ch[200] = "", *out = NULL, *w;
	size_t i, j;

	json_array_foreach(json_object_get(h, "changed"), i, x) {
		if (i > 0)
			strcat(ch, ", ");
		strncat(ch, json_string_value(x), sizeof(ch) - strlen(ch) - 3);
	}
	w = NULL;
	json_array_foreach(s, i, x)
		for (j = 0; j < sizeof(who) / sizeof(who[0]); j++)
			if (strcmp(who[j].k, json_string_value(x)) == 0)
				w = (char *)who[j].w;
	if (asprintf(&out, "entry %lld%s%s: %s; signed by %s%s%s\n",
	    (long long)json_integer_value(json_object_get(h, "entry")),
	    json_object_get(h, "time") ? " at " : "",
	    json_object_get(h, "time") ? json_string_value(json_object_get(h,
	    "time")) : "", *ch ? ch : "nothing changed", w ? w : "?",
	    json_object_get(h, "reason") ? "; reason: " : "",
	    json_object_get(h, "reason") ? json_string_value(json_object_get(h,
	    "reason")) : "") < 0)
		return NULL;
	return out;
}

/* The recovery key's signature added to r, an unsigned recovery record,
 * and *what set to what it says, for its holder to read. */
int
dk_recovery_countersign(json_t *r, const struct dk_key *k, char **what,
    struct dk_err *e)
{
	if (dk_recovery_check(r, NULL, e) < 0)
		return -1;
	if (json_object_get(r, "sig") != NULL)
		return dk_fail(e, DK_EX_DATAERR, "sig: already countersigned");
	if (asprintf(what, "participant %s: key %s replaced by %s at %s, "
	    "because: %s", json_string_value(json_object_get(r, "id")),
	    json_string_value(json_object_get(r, "old_key")),
	    json_string_value(json_object_get(r, "key")),
	    json_string_value(json_object_get(r, "time")),
	    json_string_value(json_object_get(r, "reason"))) < 0) {
		*what = NULL;
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	}
	return dk_sign_record(r, k, e);
}
