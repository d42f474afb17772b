/* Unit tests for lib/ledger/enrol.c: a member's signed requests (made,
 * read, checked, tampered with), recoveries and their countersignature,
 * what the registry requires of a change of a member's key or meters, and
 * a member's history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"
#include "check.h"

static struct dk_err e;

/* The message of checking r after the jq-like change of one member. */
static const char *
tampered(json_t *req, const char *key, json_t *v)
{
	json_t *c = json_deep_copy(req);

	if (v == NULL)
		json_object_del(c, key);
	else
		json_object_set_new(c, key, v);
	memset(&e, 0, sizeof(e));
	if (dk_request_check(c, &e) == 0)
		strcpy(e.msg, "accepted");
	json_decref(c);
	return e.msg;
}

/* rec applied to reg: 0, or the message in e */
static int
apply(struct dk_registry *reg, json_t *rec)
{
	int rc;

	memset(&e, 0, sizeof(e));
	rc = dk_registry_apply(reg, rec, &e);
	json_decref(rec);
	return rc;
}

int
main(void)
{
	struct dk_key k1, k2, k3, rk;
	struct dk_registry reg;
	char *meters[] = { "m1" }, *b64, *text, *what;
	const char *path;
	json_t *req, *rk2, *old, *rc, *rec, *h, *prev;
	struct dk_request q = { .id = "kn1", .meters = meters, .nmeters = 1,
	    .zone = "north", .role = "consumer", .time = 1767225600 };

	CHECK_INT(dk_init(&e), 0);
	tmpdir_make("test-enrol");
	CHECK_INT(dk_key_generate(&k1, &e), 0);
	CHECK_INT(dk_key_generate(&k2, &e), 0);
	CHECK_INT(dk_key_generate(&k3, &e), 0);
	CHECK_INT(dk_key_generate(&rk, &e), 0);
	memset(&reg, 0, sizeof(reg));

	/* an enrolment: made, written, read back, checked */
	q.key = &k1;
	CHECK((req = dk_request_make(&q, &e)) != NULL);
	CHECK_STR(json_string_value(json_object_get(req, "time")),
	    "2026-01-01T00:00:00+00:00");
	CHECK(json_object_get(req, "old_key") == NULL);
	text = dk_canon(req);
	path = tmpfile_write("req.json", text);
	free(text);
	CHECK((old = dk_request_read(path, &e)) != NULL);
	CHECK(json_equal(old, req));
	CHECK_INT(dk_request_check(old, &e), 0);
	json_decref(old);
	path = tmpfile_write("two.json", "{}\n{}\n");
	CHECK(dk_request_read(path, &e) == NULL);
	CHECK_HAS(e.msg, "/two.json:2: one request a file");
	path = tmpfile_write("empty.json", "");
	memset(&e, 0, sizeof(e));
	CHECK(dk_request_read(path, &e) == NULL);
	CHECK_HAS(e.msg, "empty: no request in it");

	/* each member is covered by the signature; the fields are checked */
	CHECK_STR(tampered(req, "zone", json_string("south")),
	    "sig: bad signature: the record was not signed by this key, or "
	    "was changed after signing");
	CHECK_STR(tampered(req, "meters", json_pack("[s,s]", "m1", "m2")),
	    "sig: bad signature: the record was not signed by this key, or "
	    "was changed after signing");
	b64 = dk_key_pub_b64(&k2);
	CHECK_STR(tampered(req, "key", json_string(b64)), "sig: bad "
	    "signature: the record was not signed by this key, or was changed "
	    "after signing");
	CHECK_STR(tampered(req, "sig", NULL), "sig: missing: the member "
	    "signs its request with the key it names");
	CHECK_STR(tampered(req, "colour", json_string("red")), "colour: not "
	    "a member of an enrolment request");
	CHECK_STR(tampered(req, "role", json_string("king")), "role: must be "
	    "prosumer, consumer, producer, reviewer or dso, got \"king\"");
	CHECK_HAS(tampered(req, "time", json_string("2026-01-01")), "time: "
	    "must be an RFC 3339 time");
	CHECK_STR(tampered(req, "old_key", json_string(b64)), "old_key and "
	    "old_sig: a key change has both, an enrolment neither");
	CHECK_STR(tampered(req, "v", json_integer(2)), "v: must be from 1 to "
	    "1, got 2");
	free(b64);

	/* enrolled; the replay of the same request is refused */
	CHECK((rec = dk_registry_request(&reg, req, "r.json", 1, 3000, -1,
	    &e)) != NULL);
	CHECK_INT(json_integer_value(json_object_get(rec, "max_wh")), 3000);
	CHECK_INT(apply(&reg, rec), 0);
	CHECK(dk_registry_request(&reg, req, "r.json", 1, -1, -1, &e) ==
	    NULL);
	CHECK_STR(e.msg, "kn1: already registered; its changes go by "
	    "registry rekey");
	CHECK_INT(apply(&reg, dk_registry_request(&reg, req, "r.json", 0, -1,
	    -1, &e)), -1);
	CHECK_STR(e.msg, "participant kn1: request: time: "
	    "2026-01-01T00:00:00+00:00 is not later than the member's last "
	    "request or recovery: a request is used once");

	/* a key change: signed by both keys */
	q.key = &k2;
	q.old = &k1;
	q.time += 60;
	CHECK((rk2 = dk_request_make(&q, &e)) != NULL);
	CHECK_INT(dk_request_check(rk2, &e), 0);
	CHECK_STR(tampered(rk2, "old_sig", json_object_get(rk2, "sig") ?
	    json_incref(json_object_get(rk2, "sig")) : NULL), "old_sig: bad "
	    "signature: the record was not signed by this key, or was changed "
	    "after signing");
	/* signed by a key other than the one in force: refused */
	q.old = &k3;
	CHECK((old = dk_request_make(&q, &e)) != NULL);
	CHECK_INT(apply(&reg, dk_registry_request(&reg, old, "o.json", 0, -1,
	    -1, &e)), -1);
	CHECK_STR(e.msg, "participant kn1: request: old_key: not the key in "
	    "force; a key changes only by a request signed by the old key or "
	    "a recovery");
	json_decref(old);
	CHECK_INT(apply(&reg, dk_registry_request(&reg, rk2, "k.json", 0, -1,
	    -1, &e)), 0);
	b64 = dk_key_pub_b64(&k2);
	CHECK_STR(dk_registry_find(&reg, "kn1")->key, b64);
	/* the operator's own record: the key and meters must stay */
	rec = dk_participant_json(dk_registry_find(&reg, "kn1"));
	json_object_set_new(rec, "zone", json_string("west"));
	CHECK_INT(apply(&reg, json_deep_copy(rec)), 0);
	json_object_set_new(rec, "meters", json_pack("[s]", "m9"));
	CHECK_INT(apply(&reg, json_deep_copy(rec)), -1);
	CHECK_STR(e.msg, "participant kn1: meters: changed without the "
	    "member's signed request");
	json_object_set_new(rec, "meters", json_pack("[s]", "m1"));
	text = dk_key_pub_b64(&k3);
	json_object_set_new(rec, "key", json_string(text));
	free(text);
	CHECK_INT(apply(&reg, json_deep_copy(rec)), -1);
	CHECK_STR(e.msg, "participant kn1: key: changed without a request "
	    "signed by the old key or a recovery countersigned by the "
	    "recovery key");
	json_object_set_new(rec, "v", json_integer(1));
	CHECK_INT(apply(&reg, rec), -1);
	CHECK_STR(e.msg, "participant kn1: a record of version 1 after "
	    "records of version 2: no proof that the member holds its key");

	/* a recovery: made, countersigned, applied only with the genesis's
	 * recovery key */
	CHECK((rc = dk_registry_recovery(&reg, "kn1", &k3, "lost", q.time +
	    60, &e)) == NULL);
	CHECK_HAS(e.msg, "names no recovery key");
	memcpy(reg.rpk, rk.pk, 32);
	reg.has_rpk = 1;
	CHECK((rc = dk_registry_recovery(&reg, "kn1", &k3, "lost", q.time +
	    60, &e)) != NULL);
	CHECK_STR(json_string_value(json_object_get(rc, "old_key")), b64);
	CHECK_INT(apply(&reg, dk_registry_request(&reg, rc, "c.json", 0, -1,
	    -1, &e)), -1);
	CHECK_HAS(e.msg, "sig: missing: a recovery needs the recovery key's "
	    "signature");
	old = json_deep_copy(rc);
	CHECK_INT(dk_recovery_countersign(old, &k1, &what, &e), 0);
	free(what);
	CHECK_INT(apply(&reg, dk_registry_request(&reg, old, "c.json", 0, -1,
	    -1, &e)), -1);
	CHECK_HAS(e.msg, "sig: not the signature of the recovery key");
	json_decref(old);
	CHECK_INT(dk_recovery_countersign(rc, &rk, &what, &e), 0);
	CHECK_HAS(what, "participant kn1: key ");
	CHECK_HAS(what, ", because: lost");
	free(what);
	CHECK_INT(dk_recovery_countersign(rc, &rk, &what, &e), -1);
	CHECK_STR(e.msg, "sig: already countersigned");
	prev = dk_participant_json(dk_registry_find(&reg, "kn1"));
	rec = dk_registry_request(&reg, rc, "c.json", 0, -1, -1, &e);
	CHECK(rec != NULL);
	h = dk_registry_history(prev, rec, 9);
	text = dk_canon(h);
	CHECK_HAS(text, "\"changed\":[\"key\"],\"entry\":9,\"id\":\"kn1\"");
	CHECK_HAS(text, "\"reason\":\"lost\",\"signed\":[\"recovery\"]");
	free(text);
	text = dk_history_text(h);
	CHECK_STR(text, "entry 9 at 2026-01-01T00:02:00+00:00: key; signed by "
	    "the recovery key; reason: lost\n");
	free(text);
	json_decref(h);
	json_decref(prev);
	CHECK_INT(apply(&reg, json_incref(rec)), 0);
	/* once: the same recovery again is refused */
	CHECK_INT(apply(&reg, rec), -1);
	CHECK_HAS(e.msg, "not the key in force");
	rec = json_pack("{s:s,s:O,s:O}", "id", "kn1", "key",
	    json_object_get(rk2, "key"), "request", rk2);
	h = dk_registry_history(NULL, rec, 1);
	CHECK_STR(json_string_value(json_array_get(json_object_get(h,
	    "changed"), 0)), "enrolled");
	CHECK_STR(json_string_value(json_array_get(json_object_get(h,
	    "signed"), 1)), "old_key");
	json_decref(h);
	json_decref(rec);

	free(b64);
	json_decref(rc);
	json_decref(rk2);
	json_decref(req);
	dk_registry_free(&reg);
	dk_key_free(&k1);
	dk_key_free(&k2);
	dk_key_free(&k3);
	dk_key_free(&rk);
	tmpdir_remove();
	return check_done("test-enrol");
}
