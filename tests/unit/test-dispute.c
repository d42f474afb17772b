/* Unit tests of lib/settle/dispute.c: disputes and their resolutions
 * made, checked and replayed against a registry and the contracts and
 * settlements before them. */
#include "denki.h"
#include "check.h"

#define SLOT "2026-01-01T10:00:00+00:00"

static struct dk_key key[4];	/* alice, bob, carol, rita */
static const char *const ids[4] = { "alice", "bob", "carol", "rita" };

static void
enrol(struct dk_registry *r, int i)
{
	struct dk_err e = { 0 };
	char *b = dk_key_pub_b64(&key[i]), m[40];
	json_t *rec;

	snprintf(m, sizeof(m), "%s-m", ids[i]);
	rec = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:[s]}", "type",
	    "participant", "v", 1, "id", ids[i], "zone", "z1", "role",
	    i == 3 ? "reviewer" : "prosumer", "status", "active", "key", b,
	    "meters", m);
	if (i == 3)
		json_object_set_new(rec, "scope", json_integer(10000));
	CHECKF(dk_registry_apply(r, rec, &e) == 0, "%s", e.msg);
	json_decref(rec);
	free(b);
}

static void
test_targets(struct dk_disputes *d)
{
	struct dk_err e = { 0 };
	json_t *c = json_pack("{s:s,s:i,s:s,s:s,s:s}", "type", "contract", "v",
	    1, "slot", SLOT, "seller", "alice", "buyer", "bob");
	json_t *s = json_pack("{s:s,s:i,s:s,s:s}", "type", "settlement", "v",
	    2, "slot", SLOT, "participant", "carol");
	json_t *o = json_pack("{s:s,s:s}", "type", "order", "slot", SLOT);

	CHECK_INT(dk_disputes_note(d, 10, c, &e), 0);
	CHECK_INT(dk_disputes_note(d, 11, o, &e), 0);
	CHECK_INT(dk_disputes_note(d, 12, s, &e), 0);
	CHECK_INT(d->nt, 2);
	CHECK(dk_dispute_target(d, 10) != NULL &&
	    dk_dispute_target(d, 10)->kind == 'c');
	CHECK(dk_dispute_target(d, 11) == NULL);
	CHECK(dk_dispute_target(d, 12) != NULL &&
	    strcmp(dk_dispute_target(d, 12)->a, "carol") == 0);
	json_decref(c);
	json_decref(s);
	json_decref(o);
}

static void
test_open(struct dk_disputes *d, struct dk_registry *r)
{
	struct dk_err e = { 0 };
	json_t *x;

	/* not the claimant's contract; not a contract; not its key */
	CHECK(dk_dispute_make(d, r, &key[2], NULL, 10, "why", 1800000000, 20,
	    &e) == NULL);
	CHECKF(strcmp(e.msg, "entry 10: a contract of alice and bob, not "
	    "carol's") == 0, "%s", e.msg);
	CHECK(dk_dispute_make(d, r, &key[1], NULL, 11, "why", 1800000000, 20,
	    &e) == NULL);
	CHECK(strstr(e.msg, "no contract or settlement") != NULL);
	CHECK(dk_dispute_make(d, r, &key[1], "alice", 10, "why", 1800000000,
	    20, &e) == NULL);
	CHECKF(strcmp(e.msg, "the key given is not alice's (bob)") == 0, "%s",
	    e.msg);
	CHECK(dk_dispute_make(d, r, &key[1], NULL, 10, "", 1800000000, 20,
	    &e) == NULL);
	CHECK(strstr(e.msg, "reason: 1 to 1000 bytes") != NULL);
	/* bob's claim, kept by the replay as entry 20 */
	x = dk_dispute_make(d, r, &key[1], "bob", 10, "short", 1800000000, 20,
	    &e);
	CHECKF(x != NULL, "%s", e.msg);
	CHECK(strcmp(json_string_value(json_object_get(x, "against")),
	    "contract") == 0);
	CHECK_INT(d->nc, 0);
	CHECKF(dk_dispute_entry(d, r, 20, x, NULL, &e) == 0, "%s", e.msg);
	CHECK(dk_dispute_case(d, 20) != NULL &&
	    strcmp(dk_dispute_case(d, 20)->other, "alice") == 0);
	/* a byte changed: the signature no longer holds */
	json_object_set_new(x, "reason", json_string("shorter"));
	CHECK(dk_dispute_entry(d, r, 21, x, NULL, &e) < 0);
	CHECK(strstr(e.msg, "not signed by bob's key") != NULL);
	json_decref(x);
	/* carol against its settlement: the other side is the operator */
	x = dk_dispute_make(d, r, &key[2], NULL, 12, "fee", 1800000000, 22, &e);
	CHECKF(x != NULL && dk_dispute_entry(d, r, 22, x, NULL, &e) == 0, "%s",
	    e.msg);
	CHECK(dk_dispute_case(d, 22) != NULL &&
	    dk_dispute_case(d, 22)->other[0] == '\0');
	json_decref(x);
}

static void
test_resolve(struct dk_disputes *d, struct dk_registry *r)
{
	struct dk_err e = { 0 };
	char *one[] = { "alice:bob:700" }, *two[] = { "alice:bob:700",
		"bob:alice:200", "operator:bob:100" };
	char *out[] = { "dave:bob:5" }, *big[] = { "alice:bob:20000" };
	char *bad[] = { "alice:alice:5" };
	json_t *then = json_array(), *x, *t;

	/* a member's key; a non-party; beyond scope; no such dispute */
	CHECK(dk_resolution_make(d, r, &key[0], 20, 1, "ok", one, 1,
	    1800000000, 30, then, &e) == NULL);
	CHECK(strstr(e.msg, "alice is a prosumer, not a reviewer") != NULL);
	CHECK(dk_resolution_make(d, r, &key[3], 20, 1, "ok", out, 1,
	    1800000000, 30, then, &e) == NULL);
	CHECK(strstr(e.msg, "dave is no party of dispute 20") != NULL);
	CHECK(dk_resolution_make(d, r, &key[3], 20, 1, "ok", big, 1,
	    1800000000, 30, then, &e) == NULL);
	CHECK(strstr(e.msg, "beyond reviewer rita's scope of 10000") != NULL);
	CHECK(dk_resolution_make(d, r, &key[3], 20, 1, "ok", bad, 1,
	    1800000000, 30, then, &e) == NULL);
	CHECK(e.status == DK_EX_USAGE);
	CHECK(dk_resolution_make(d, r, &key[3], 21, 1, "ok", one, 1,
	    1800000000, 30, then, &e) == NULL);
	CHECK(dk_resolution_make(d, r, &key[3], 20, 0, "ok", one, 1,
	    1800000000, 30, then, &e) == NULL);
	CHECK(strstr(e.msg, "a claim rejected moves no money") != NULL);
	CHECK_INT(json_array_size(then), 0);
	/* legs netted: alice -500, bob +600, operator -100; transfers made
	 * payer by payer in id order */
	x = dk_resolution_make(d, r, &key[3], 20, 1, "ok", two, 3, 1800000000,
	    30, then, &e);
	CHECKF(x != NULL, "%s", e.msg);
	CHECK(strcmp(json_string_value(json_object_get(x, "loser")), "alice")
	    == 0);
	t = json_object_get(x, "transfers");
	CHECK_INT(json_array_size(t), 3);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(t, 0),
	    "amount")), -500);
	CHECK_INT(json_array_size(then), 2);
	t = json_pack("{s:s,s:i,s:s,s:s,s:s,s:i,s:s,s:i}", "type", "transfer",
	    "v", 1, "slot", SLOT, "from", "alice", "to", "bob", "amount", 500,
	    "reason", "dispute", "dispute", 20);
	CHECK(json_equal(json_array_get(then, 0), t));
	json_decref(t);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(then, 1),
	    "amount")), 100);
	json_array_clear(then);
	CHECKF(dk_dispute_entry(d, r, 30, x, then, &e) == 0, "%s", e.msg);
	CHECK_INT(json_array_size(then), 2);
	CHECK_INT(dk_dispute_case(d, 20)->resolved, 30);
	/* a second resolution */
	CHECK(dk_dispute_entry(d, r, 33, x, NULL, &e) < 0);
	CHECK(strstr(e.msg, "resolved already, by entry 30") != NULL);
	json_decref(x);
	/* legs that do not sum to 0, signed by the reviewer */
	x = json_pack("{s:s,s:i,s:s,s:i,s:s,s:n,s:[{s:s,s:i}],s:s,s:s}",
	    "type", "dispute_resolution", "v", 1, "by", "rita", "dispute", 22,
	    "decision", "upheld", "loser", "transfers", "participant", "carol",
	    "amount", 900, "comment", "ok", "time", "2027-01-15T08:00:00Z");
	CHECK_INT(dk_sign_record(x, &key[3], &e), 0);
	CHECK(dk_dispute_entry(d, r, 34, x, NULL, &e) < 0);
	CHECKF(strstr(e.msg, "transfers: sum to 900, not 0") != NULL, "%s",
	    e.msg);
	json_decref(x);
	json_decref(then);
}

int
main(void)
{
	struct dk_registry r;
	struct dk_disputes d;
	struct dk_err e = { 0 };
	int i;

	if (dk_init(&e) < 0)
		return 2;
	for (i = 0; i < 4; i++)
		dk_key_generate(&key[i], &e);
	memset(&r, 0, sizeof(r));
	for (i = 0; i < 4; i++)
		enrol(&r, i);
	dk_disputes_init(&d);
	test_targets(&d);
	test_open(&d, &r);
	test_resolve(&d, &r);
	dk_disputes_free(&d);
	dk_registry_free(&r);
	for (i = 0; i < 4; i++)
		dk_key_free(&key[i]);
	return check_done("test-dispute");
}
