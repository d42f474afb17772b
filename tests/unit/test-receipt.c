/* Unit tests for lib/ledger/receipt.c: receipts made and checked (each
 * member tampered with, another key, a missing member), the id of a line,
 * the intake record and its replay into the state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"
#include "check.h"

static struct dk_err e;

/* The message of checking r after one member is changed (v) or removed
 * (v NULL), or "accepted". */
static const char *
tampered(json_t *r, const unsigned char pk[32], const char *key, json_t *v)
{
	json_t *c = json_deep_copy(r);

	if (v == NULL)
		json_object_del(c, key);
	else
		json_object_set_new(c, key, v);
	memset(&e, 0, sizeof(e));
	if (dk_receipt_check(c, pk, &e) == 0)
		strcpy(e.msg, "accepted");
	json_decref(c);
	return e.msg;
}

int
main(void)
{
	struct dk_key k, other, got;
	struct dk_state st;
	const char *line = "{\"participant\":\"p1\",\"slot\":"
	    "\"2026-12-07T09:00:00+09:00\",\"type\":\"order\",\"v\":1}";
	char id[65], want[65], *text, *kb;
	json_t *r, *o, *rec;
	long long gate;

	CHECK_INT(dk_init(&e), 0);
	CHECK_INT(dk_key_generate(&k, &e), 0);
	CHECK_INT(dk_key_generate(&other, &e), 0);

	/* the id of a line is the hash of its canonical bytes, whatever
	 * order its members came in */
	o = json_loads("{\"v\":1,\"type\":\"order\",\"slot\":"
	    "\"2026-12-07T09:00:00+09:00\",\"participant\":\"p1\"}", 0, NULL);
	CHECK_INT(dk_line_id(o, id), 0);
	dk_sha256_hex(line, strlen(line), want);
	CHECK_STR(id, want);
	json_decref(o);

	/* UTC with a Z */
	CHECK_INT(dk_time_utc(1796590805, id, sizeof(id)), 0);
	CHECK_STR(id, "2026-12-06T21:00:05Z");
	CHECK_INT(dk_time_utc(-1, id, sizeof(id)), -1);

	r = dk_receipt_make(line, strlen(line), "order", "p1",
	    "2026-12-07T09:00:00+09:00", 1796590805, "coop.example/ledger",
	    &k, &e);
	CHECK(r != NULL);
	text = dk_canon(r);
	kb = dk_key_pub_b64(&k);
	CHECK_HAS(text, "\"id\":\"");
	CHECK_HAS(text, want);
	CHECK_HAS(text, "\"kind\":\"order\"");
	CHECK_HAS(text, "\"participant\":\"p1\"");
	CHECK_HAS(text, "\"received\":\"2026-12-06T21:00:05Z\"");
	CHECK_HAS(text, "\"origin\":\"coop.example/ledger\"");
	CHECK_HAS(text, kb);
	CHECK_HAS(text, "\"type\":\"receipt\",\"v\":1}");
	CHECK(strstr(text, "\"meter\"") == NULL);
	free(text);
	CHECK_INT(dk_receipt_check(r, k.pk, &e), 0);

	/* the same line, time and key: the same receipt (Ed25519 is
	 * deterministic), which is what a second delivery gets back */
	o = dk_receipt_make(line, strlen(line), "order", "p1",
	    "2026-12-07T09:00:00+09:00", 1796590805, "coop.example/ledger",
	    &k, &e);
	CHECK(json_equal(o, r));
	json_decref(o);

	/* each member changed, or taken away */
	CHECK_HAS(tampered(r, other.pk, "v", json_integer(1)),
	    "key: not the intake key");
	CHECK_HAS(tampered(r, k.pk, "v", NULL), "v");
	CHECK_HAS(tampered(r, k.pk, "id", json_string(
	    "00000000000000000000000000000000000000000000000000000000000000"
	    "00")), "bad signature");
	CHECK_HAS(tampered(r, k.pk, "id", json_string("abc")), "id: must be "
	    "64 lowercase hex");
	CHECK_HAS(tampered(r, k.pk, "id", json_string(
	    "ABCDEF0000000000000000000000000000000000000000000000000000000000"
	    )), "id: must be 64 lowercase hex");
	CHECK_HAS(tampered(r, k.pk, "received", json_string(
	    "2026-12-06T21:00:04Z")), "bad signature");
	CHECK_HAS(tampered(r, k.pk, "received", json_string(
	    "2026-12-07T06:00:05+09:00")), "received: must be a UTC time");
	CHECK_HAS(tampered(r, k.pk, "received", json_string("soon")),
	    "received: must be an RFC 3339");
	CHECK_HAS(tampered(r, k.pk, "slot", json_string(
	    "2026-12-07T09:30:00+09:00")), "bad signature");
	CHECK_HAS(tampered(r, k.pk, "slot", json_integer(3)), "slot");
	CHECK_HAS(tampered(r, k.pk, "participant", json_string("p2")),
	    "bad signature");
	CHECK_HAS(tampered(r, k.pk, "participant", NULL), "participant");
	CHECK_HAS(tampered(r, k.pk, "meter", json_string("m1")), "meter: not "
	    "a member of a receipt of order");
	CHECK_HAS(tampered(r, k.pk, "kind", json_string("trade")), "kind: "
	    "must be");
	CHECK_HAS(tampered(r, k.pk, "origin", json_string("evil/ledger")),
	    "bad signature");
	CHECK_HAS(tampered(r, k.pk, "extra", json_integer(1)), "extra: not "
	    "a member of a receipt");
	CHECK_HAS(tampered(r, k.pk, "sig", NULL), "sig: missing");
	CHECK_HAS(tampered(r, k.pk, "type", json_string("receipts")),
	    "type: must be \"receipt\"");
	CHECK_HAS(tampered(r, k.pk, "v", json_integer(2)), "v");
	free(kb);
	kb = dk_key_pub_b64(&other);
	CHECK_HAS(tampered(r, other.pk, "key", json_string(kb)),
	    "bad signature");
	free(kb);
	CHECK_STR(tampered(r, k.pk, "v", json_integer(1)), "accepted");
	CHECK_INT(dk_receipt_check(json_string("x"), k.pk, &e), -1);
	json_decref(r);

	/* a reading's receipt names its meter */
	r = dk_receipt_make(line, strlen(line), "reading", "m1",
	    "2026-12-07T09:00:00+09:00", 1796590805, "o", &k, &e);
	CHECK(r != NULL);
	CHECK_STR(json_string_value(json_object_get(r, "meter")), "m1");
	CHECK(json_object_get(r, "participant") == NULL);
	CHECK_INT(dk_receipt_check(r, k.pk, &e), 0);
	CHECK_HAS(tampered(r, k.pk, "participant", json_string("p1")),
	    "participant: not a member of a receipt of reading");
	json_decref(r);
	CHECK(dk_receipt_make(line, strlen(line), "trade", "m1", "s", 0, "o",
	    &k, &e) == NULL);

	/* the intake record, checked and replayed: the last one is the key
	 * in use, each kept with its entry */
	rec = dk_intake_record(&k, 45);
	text = dk_canon(rec);
	kb = dk_key_pub_b64(&k);
	CHECK_HAS(text, "{\"gate_closure_minutes\":45,\"key\":\"");
	CHECK_HAS(text, kb);
	CHECK_HAS(text, "\"type\":\"intake\",\"v\":1}");
	free(text);
	CHECK_INT(dk_intake_check(rec, &got, &gate, &e), 0);
	CHECK(memcmp(got.pk, k.pk, 32) == 0);
	CHECK_INT(gate, 45);
	dk_state_init(&st);
	CHECK_INT(dk_state_apply(&st, 7, 8, rec, &e), 0);
	json_decref(rec);
	rec = dk_intake_record(&other, 60);
	CHECK_INT(dk_state_apply(&st, 12, 13, rec, &e), 0);
	CHECK_INT(st.nintake, 2);
	CHECK_INT(st.intake[0].seq, 7);
	CHECK_INT(st.intake[1].seq, 12);
	CHECK_INT(st.intake[1].gate_minutes, 60);
	CHECK_STR(st.intake[0].key, kb);
	CHECK(dk_state_intake(&st, k.pk) == &st.intake[0]);
	CHECK(dk_state_intake(&st, other.pk) == &st.intake[1]);
	json_object_set_new(rec, "gate_closure_minutes", json_integer(-1));
	CHECK_INT(dk_state_apply(&st, 14, 15, rec, &e), -1);
	CHECK_HAS(e.msg, "gate_closure_minutes");
	json_object_set_new(rec, "gate_closure_minutes", json_integer(5));
	json_object_set_new(rec, "key", json_string("bm90IGEga2V5"));
	CHECK_INT(dk_intake_check(rec, NULL, NULL, &e), -1);
	CHECK_HAS(e.msg, "key: not an Ed25519 public key");
	json_object_set_new(rec, "key", json_string(kb));
	json_object_set_new(rec, "url", json_string("http://x"));
	CHECK_INT(dk_intake_check(rec, NULL, NULL, &e), -1);
	CHECK_HAS(e.msg, "url: not a member of an intake record");
	CHECK_INT(st.nintake, 2);
	json_decref(rec);
	free(kb);
	dk_state_free(&st);
	dk_key_free(&k);
	dk_key_free(&other);
	return check_done("test-receipt");
}
