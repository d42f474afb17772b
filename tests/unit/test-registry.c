/* Unit tests for lib/ledger/registry.c's lookups, and for the signed message of
 * a record cut from its canonical bytes (lib/crypto/sig.c), which the ledger's
 * verifier uses instead of canonicalising again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "denki.h"
#include "check.h"

static char *keyb64[2];

static int
add(struct dk_registry *r, const char *id, int key, const char *status)
{
	struct dk_err e;
	json_t *rec;
	char m[48];
	int rc;

	snprintf(m, sizeof(m), "%s-m", id);
	rec = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:[s]}", "type",
	    "participant", "v", 1, "id", id, "zone", "z1", "role", "prosumer",
	    "status", status, "key", keyb64[key], "meters", m);
	memset(&e, 0, sizeof(e));
	rc = dk_registry_apply(r, rec, &e);
	json_decref(rec);
	return rc;
}

static void
test_find(void)
{
	struct dk_registry r;
	const struct dk_participant *p;
	char id[32];
	int i, bad = 0;

	memset(&r, 0, sizeof(r));
	CHECK(dk_registry_find(&r, "p0") == NULL);
	/* past several doublings of the index */
	for (i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "p%d", i);
		if (add(&r, id, i % 2, "active") < 0)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(r.n == 1000);
	for (i = 0, bad = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "p%d", i);
		p = dk_registry_find(&r, id);
		if (p == NULL || strcmp(p->id, id) != 0 || p != &r.p[i])
			bad++;
	}
	CHECK(bad == 0);
	CHECK(dk_registry_find(&r, "p1000") == NULL);
	CHECK(dk_registry_find(&r, "") == NULL);
	CHECK(dk_registry_find(&r, "p") == NULL);
	/* a participant's new record replaces it, in place */
	CHECK(add(&r, "p7", 1, "revoked") == 0);
	CHECK(r.n == 1000);
	p = dk_registry_find(&r, "p7");
	CHECK(p == &r.p[7] && !p->active);
	CHECK(dk_registry_meter(&r, "p7-m") == p);
	/* one built by hand, without the index, is still searched */
	r.n--;
	CHECK(dk_registry_find(&r, "p998") == &r.p[998]);
	CHECK(dk_registry_find(&r, "p999") == NULL);
	r.n++;
	CHECK(add(&r, "p1000", 0, "active") == 0);
	CHECK(dk_registry_find(&r, "p1000") == &r.p[1000]);
	CHECK(dk_registry_find(&r, "p999") == &r.p[999]);
	dk_registry_free(&r);
}

static int
add_meters(struct dk_registry *r, const char *id, const char *m1,
    const char *m2, struct dk_err *e)
{
	json_t *rec, *m = json_array();
	int rc;

	if (m1 != NULL)
		json_array_append_new(m, json_string(m1));
	if (m2 != NULL)
		json_array_append_new(m, json_string(m2));
	rec = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:o}", "type",
	    "participant", "v", 1, "id", id, "zone", "z1", "role", "prosumer",
	    "status", "active", "key", keyb64[0], "meters", m);
	memset(e, 0, sizeof(*e));
	rc = dk_registry_apply(r, rec, e);
	json_decref(rec);
	return rc;
}

/*
 * Meters: each found as its owner's, through many participants (the
 * registry was quadratic to load, each meter searched for through every
 * member: 100,000 took 43 s), and as they move from one owner to another.
 */
#define MANYP 100000

static void
test_meters(void)
{
	struct dk_registry r;
	struct dk_err e;
	char id[32], m1[40], m2[40];
	clock_t t0;
	double cpu;
	int i, bad = 0;

	memset(&r, 0, sizeof(r));
	CHECK(dk_registry_meter(&r, "a") == NULL);
	t0 = clock();
	for (i = 0; i < MANYP; i++) {
		snprintf(id, sizeof(id), "p%d", i);
		snprintf(m1, sizeof(m1), "p%d-a", i);
		snprintf(m2, sizeof(m2), "p%d-b", i);
		if (add_meters(&r, id, m1, i % 3 ? m2 : NULL, &e) < 0)
			bad++;
	}
	cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;
	CHECK_INT(bad, 0);
	/* a bound on CPU time, not wall time, and loose (20 s; the old
	 * quadratic code took minutes): it holds under the sanitizers on
	 * a slow machine; the figures themselves are make bench's */
	CHECKF(cpu < 20, "%d participants registered in %.1f s of CPU", MANYP,
	    cpu);
	for (i = 0; i < MANYP; i++) {
		snprintf(m1, sizeof(m1), "p%d-a", i);
		snprintf(m2, sizeof(m2), "p%d-b", i);
		if (dk_registry_meter(&r, m1) != &r.p[i] ||
		    dk_registry_meter(&r, m2) != (i % 3 ? &r.p[i] : NULL))
			bad++;
	}
	CHECK_INT(bad, 0);
	CHECK(dk_registry_meter(&r, "p") == NULL);
	CHECK(dk_registry_meter(&r, "p1-") == NULL);
	CHECK(dk_registry_meter(&r, "") == NULL);

	/* a meter of another participant is refused, named with its owner */
	CHECK_INT(add_meters(&r, "p5", "p5-a", "p7-a", &e), -1);
	CHECK_HAS(e.msg, "meters: p7-a belongs to participant p7");
	CHECK(dk_registry_meter(&r, "p5-b") == &r.p[5]);
	/* p7 gives it up: nobody has it; then p5 takes it */
	CHECK_INT(add_meters(&r, "p7", "p7-c", NULL, &e), 0);
	CHECK(dk_registry_meter(&r, "p7-a") == NULL);
	CHECK(dk_registry_meter(&r, "p7-b") == NULL);
	CHECK(dk_registry_meter(&r, "p7-c") == &r.p[7]);
	CHECK_INT(add_meters(&r, "p5", "p5-a", "p7-a", &e), 0);
	CHECK(dk_registry_meter(&r, "p7-a") == &r.p[5]);
	CHECK(dk_registry_meter(&r, "p5-b") == NULL);
	/* and a newcomer takes p5's old one */
	CHECK_INT(add_meters(&r, "new", "p5-b", NULL, &e), 0);
	CHECK(dk_registry_meter(&r, "p5-b") == &r.p[MANYP]);
	CHECK(dk_registry_meter(&r, "p5-a") == &r.p[5]);
	/* no meter at all */
	CHECK_INT(add_meters(&r, "p9", NULL, NULL, &e), 0);
	CHECK(dk_registry_meter(&r, "p9-a") == NULL);
	CHECK(dk_registry_find(&r, "p9") == &r.p[9]);
	/* one built by hand, without the index, is still searched */
	r.n--;
	CHECK(dk_registry_meter(&r, "p7-a") == &r.p[5]);
	CHECK(dk_registry_meter(&r, "p5-b") == NULL);
	r.n++;
	dk_registry_free(&r);
}

static void
test_sig_text(void)
{
	struct dk_key k;
	struct dk_err e;
	unsigned char s1[64], s2[64];
	char *m1, *m2, *c, twice[1024];
	size_t l1, l2, off, cut;
	json_t *rec;

	memset(&e, 0, sizeof(e));
	dk_key_generate(&k, &e);
	rec = json_pack("{s:s,s:i,s:s,s:s,s:s,s:I,s:I}", "type", "order",
	    "v", 1, "participant", "p1", "slot", "2026-01-01T10:00:00+00:00",
	    "side", "sell", "wh", (json_int_t)100, "price", (json_int_t)120000);
	CHECK(dk_sign_record(rec, &k, &e) == 0);
	c = dk_canon(rec);
	CHECK(dk_record_sig(rec, &m1, &l1, s1, &e) == 0);
	CHECK(dk_record_sig_text(rec, c, strlen(c), &m2, &l2, s2, &e) == 0);
	CHECK(l1 == l2 && strcmp(m1, m2) == 0 && memcmp(s1, s2, 64) == 0);
	CHECK(strstr(m2, "sig") == NULL);
	CHECK(crypto_sign_verify_detached(s2, (unsigned char *)m2, l2,
	    k.pk) == 0);
	free(m2);
	/* where the cut lies: the line without those bytes is the message,
	 * and they are its ,"sig":"..." member */
	memset(s2, 0, 64);
	CHECK(dk_record_sig_cut(rec, c, strlen(c), &off, &cut, s2, &e) == 1);
	CHECK(cut == strlen(json_string_value(json_object_get(rec, "sig"))) +
	    9 && off + cut < strlen(c));
	CHECK(strncmp(c + off, ",\"sig\":\"", 8) == 0 &&
	    c[off + cut - 1] == '"' && memcmp(s1, s2, 64) == 0);
	CHECK(strlen(c) - cut == l1 && strncmp(c, m1, off) == 0 &&
	    strcmp(c + off + cut, m1 + off) == 0);
	/* not sure: text without the member, or holding it twice */
	CHECK(dk_record_sig_cut(rec, "{\"a\":1}", 7, &off, &cut, s2, &e) ==
	    0);
	CHECK(snprintf(twice, sizeof(twice), "%.*s%s", (int)(off + cut), c,
	    c + off) < (int)sizeof(twice));
	CHECK(dk_record_sig_cut(rec, twice, strlen(twice), &off, &cut, s2,
	    &e) == 0);
	CHECK(dk_record_sig_text(rec, twice, strlen(twice), &m2, &l2, s2, &e)
	    == 0 && strcmp(m1, m2) == 0);
	free(m2);
	/* without the text, or with text that does not hold the sig, the
	 * record is canonicalised: the same message */
	CHECK(dk_record_sig_text(rec, NULL, 0, &m2, &l2, s2, &e) == 0);
	CHECK(strcmp(m1, m2) == 0);
	free(m2);
	CHECK(dk_record_sig_text(rec, "{\"a\":1}", 7, &m2, &l2, s2, &e) == 0);
	CHECK(strcmp(m1, m2) == 0);
	free(m2);
	free(m1);
	free(c);
	/* a record with an object in it: canonicalised too */
	json_object_set_new(rec, "x", json_pack("{s:s}", "sig", "y"));
	CHECK(dk_sign_record(rec, &k, &e) == 0);
	c = dk_canon(rec);
	CHECK(dk_record_sig(rec, &m1, &l1, s1, &e) == 0);
	CHECK(dk_record_sig_text(rec, c, strlen(c), &m2, &l2, s2, &e) == 0);
	CHECK(strcmp(m1, m2) == 0);
	CHECK(dk_record_sig_cut(rec, c, strlen(c), &off, &cut, s2, &e) == 0);
	free(m1);
	free(m2);
	free(c);
	/* the same errors as dk_record_sig */
	json_object_set_new(rec, "sig", json_string("AAAA"));
	c = dk_canon(rec);
	CHECK(dk_record_sig_text(rec, c, strlen(c), &m2, &l2, s2, &e) < 0);
	CHECK(strstr(e.msg, "sig: must be base64") != NULL);
	memset(&e, 0, sizeof(e));
	CHECK(dk_record_sig_cut(rec, c, strlen(c), &off, &cut, s2, &e) < 0);
	CHECK(strstr(e.msg, "sig: must be base64") != NULL);
	free(c);
	json_object_del(rec, "sig");
	CHECK(dk_record_sig_text(rec, "{}", 2, &m2, &l2, s2, &e) < 0);
	CHECK(strstr(e.msg, "sig: missing") != NULL);
	json_decref(rec);
	dk_key_free(&k);
}

/* Roles: a reviewer has a scope and nobody else; neither a reviewer nor a
 * dso trades; the scope survives the record the registry prints. */
static void
test_roles(void)
{
	struct dk_registry r;
	struct dk_err e;
	const struct dk_participant *p;
	json_t *rec, *out;

	memset(&r, 0, sizeof(r));
	memset(&e, 0, sizeof(e));
	rec = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:[]}", "type",
	    "participant", "v", 1, "id", "rita", "zone", "z1", "role",
	    "reviewer", "status", "active", "key", keyb64[0], "meters");
	CHECK(dk_participant_check(rec, &e) < 0);
	CHECK(strstr(e.msg, "scope: missing") != NULL);
	json_object_set_new(rec, "scope", json_integer(-1));
	CHECK(dk_participant_check(rec, &e) < 0);
	json_object_set_new(rec, "scope", json_integer(7000));
	CHECK_INT(dk_registry_apply(&r, rec, &e), 0);
	CHECK((p = dk_registry_find(&r, "rita")) != NULL);
	CHECK(p != NULL && p->scope == 7000 && !dk_role_trades(p->role));
	out = dk_participant_json(p);
	CHECK(json_integer_value(json_object_get(out, "scope")) == 7000);
	json_decref(out);
	/* -S on a record of another role; a role changed drops the scope */
	json_object_set_new(rec, "role", json_string("dso"));
	CHECK(dk_participant_check(rec, &e) < 0);
	CHECK(strstr(e.msg, "only a reviewer") != NULL);
	CHECK(dk_registry_scope(rec, 1, 5, &e) < 0);
	CHECK_INT(dk_registry_scope(rec, 0, 0, &e), 0);
	CHECK(json_object_get(rec, "scope") == NULL);
	CHECK_INT(dk_participant_check(rec, &e), 0);
	json_object_set_new(rec, "role", json_string("reviewer"));
	CHECK(dk_registry_scope(rec, 0, 0, &e) < 0);
	CHECK_INT(dk_registry_scope(rec, 1, 0, &e), 0);
	CHECK_INT(dk_participant_check(rec, &e), 0);
	CHECK(dk_role_trades("prosumer") && dk_role_trades("consumer") &&
	    dk_role_trades("producer") && !dk_role_trades("dso"));
	CHECK(!dk_role_valid("king") && dk_role_valid("dso"));
	json_decref(rec);
	dk_registry_free(&r);
}

int
main(void)
{
	struct dk_key k;
	struct dk_err e;
	int i;

	memset(&e, 0, sizeof(e));
	if (dk_init(&e) < 0) {
		fprintf(stderr, "dk_init: %s\n", e.msg);
		return 1;
	}
	for (i = 0; i < 2; i++) {
		dk_key_generate(&k, &e);
		keyb64[i] = dk_key_pub_b64(&k);
		dk_key_free(&k);
	}
	test_find();
	test_meters();
	test_sig_text();
	test_roles();
	free(keyb64[0]);
	free(keyb64[1]);
	return check_done("test-registry");
}
