/*
 * A small community's ledger for the unit tests of the audit and the
 * report, written with lib/ alone as denki-registry, -clear, -contract-sign
 * and -settle would write it, and variants of it with one thing wrong.
 * Three members: alice sells, bob and carol buy.  Slot 1 is cleared,
 * signed and settled; slot 2 is cleared and signed.
 */
#ifndef COMMUNITY_H
#define COMMUNITY_H

#include "denki.h"

#define S1 "2026-01-01T10:00:00+00:00"
#define S2 "2026-01-01T10:30:00+00:00"
#define S3 "2026-01-01T11:00:00+00:00"

/* The tests' clock, fixed: a checkpoint's time is the second it is made,
 * so two builds of a variant a second apart were two ledgers (test-audit
 * compares a variant built again with the first: it failed about one run
 * in forty). Defined here, it is the time() lib/ calls in these tests. */
#define CM_NOW ((time_t)1767268800)	/* 2026-01-01T12:00:00Z */
time_t
time(time_t *t)
{
	if (t != NULL)
		*t = CM_NOW;
	return CM_NOW;
}

enum {
	CM_GOOD,
	CM_CONTRACT_WH,		/* slot 1's first contract: 1 Wh more */
	CM_CLEARING_PRICE,	/* slot 1's clearing: a price 1 higher */
	CM_NO_LAST_CHECKPOINT,	/* the last entries never checkpointed */
	CM_ORDERS_AT_END,	/* an order for slot 3 at the end, uncleared */
	CM_READINGS_AT_END,	/* a reading of slot 2 at the end, unsettled */
	CM_BAD_ORDER_SIG,	/* bob's first order signed by carol's key */
	CM_NO_RULES		/* the orders come before any rules */
};

static struct dk_key cm_op, cm_key[3];
static const char *const cm_id[3] = { "alice", "bob", "carol" };

/* The operator's and the members' keys, made once. */
static void
community_keys(void)
{
	struct dk_err e = { 0 };
	int i;

	if (dk_init(&e) < 0 || dk_key_generate(&cm_op, &e) < 0)
		goto fail;
	for (i = 0; i < 3; i++)
		if (dk_key_generate(&cm_key[i], &e) < 0)
			goto fail;
	return;
fail:
	fprintf(stderr, "community_keys: %s\n", e.msg);
	exit(2);
}

static void
community_free_keys(void)
{
	int i;

	dk_key_free(&cm_op);
	for (i = 0; i < 3; i++)
		dk_key_free(&cm_key[i]);
}

struct cm {
	struct dk_ledger l;
	struct dk_state st;
	int variant;
};

/* Adds a record to the ledger and replays it into the writer's state. */
static int
cm_add(struct cm *c, json_t *rec, struct dk_err *e)
{
	int rc = dk_ledger_add(&c->l, rec, e);

	if (rc == 0 && strcmp(json_string_value(json_object_get(rec,
	    "type")), "transfer") != 0)
		rc = dk_state_apply(&c->st, 0, 0, rec, e);
	json_decref(rec);
	return rc;
}

/* An order signed (by signer's key: another's makes a bad signature),
 * added to the ledger and to the book of its slot. */
static int
cm_order(struct cm *c, json_t *book, int who, int signer, const char *slot,
    const char *side, int64_t wh, int64_t price, struct dk_err *e)
{
	json_t *o = json_pack("{s:s,s:i,s:s,s:s,s:s,s:I,s:I}", "type",
	    "order", "v", 1, "participant", cm_id[who], "slot", slot, "side",
	    side, "wh", (json_int_t)wh, "price", (json_int_t)price);

	if (dk_sign_record(o, &cm_key[signer], e) < 0 ||
	    dk_ledger_add(&c->l, o, e) < 0) {
		json_decref(o);
		return -1;
	}
	json_array_append_new(book, o);
	return 0;
}

/* The slot's orders (the ledger's since the last clearing) cleared: the
 * clearing and its contracts added, then a checkpoint. */
static int
cm_clear(struct cm *c, json_t *orders, const char *slot, struct dk_err *e)
{
	struct dk_order *book;
	struct dk_clearing cl;
	char why[DK_REJECT_MAX];
	size_t n = json_array_size(orders), i, nb;
	int64_t t;
	json_t *x, *tr;
	int rc = -1;

	if (dk_slot_parse(slot, 30, &t, e) < 0)
		return -1;
	book = calloc(n + 1, sizeof(*book));
	for (i = 0; i < n; i++)
		if (dk_order_read(&book[i], json_array_get(orders, i),
		    &c->st.rules, &c->st.reg, e) < 0)
			goto out;
	nb = dk_book_filter(book, n, &c->st, dk_reject_first, why);
	if (dk_clear(book, nb, t, &c->st.rules, &cl, e) < 0)
		goto out;
	x = dk_clearing_json(&cl, &c->st.rules);
	if (c->variant == CM_CLEARING_PRICE && strcmp(slot, S1) == 0)
		json_object_set_new(x, "price", json_integer(json_integer_value(
		    json_object_get(x, "price")) + 1));
	if (cm_add(c, x, e) < 0)
		goto out_cl;
	for (i = 0; i < cl.nt; i++) {
		tr = dk_trade_json(&cl, book, &cl.t[i], &c->st.rules);
		x = dk_contract_json(tr, &c->st.rules);
		json_decref(tr);
		if (c->variant == CM_CONTRACT_WH && i == 0 &&
		    strcmp(slot, S1) == 0)
			json_object_set_new(x, "wh", json_integer(
			    json_integer_value(json_object_get(x, "wh")) + 1));
		if (cm_add(c, x, e) < 0)
			goto out_cl;
	}
	rc = dk_ledger_checkpoint(&c->l, e);
out_cl:
	dk_clearing_free(&cl);
out:
	free(book);
	return rc;
}

static json_t *
cm_reading(const char *meter, const char *slot, int64_t imp, int64_t exp)
{
	return json_pack("{s:s,s:i,s:s,s:s,s:I,s:I}", "type", "reading", "v",
	    1, "meter", meter, "slot", slot, "import_wh", (json_int_t)imp,
	    "export_wh", (json_int_t)exp);
}

/* Slot 1 settled: its readings, then what dk_settle makes of them. */
static int
cm_settle(struct cm *c, struct dk_err *e)
{
	json_t *rd = json_array(), *res = json_array(), *cs, *x;
	struct dk_slotstate *ss;
	size_t i;
	int64_t t;
	int rc = -1;

	json_array_append_new(rd, cm_reading("alice-m", S1, 5, 1000));
	json_array_append_new(rd, cm_reading("bob-m", S1, 590, 0));
	json_array_append_new(rd, cm_reading("carol-m", S1, 410, 0));
	if (dk_slot_parse(S1, 30, &t, e) < 0 ||
	    (ss = dk_state_slot(&c->st, t)) == NULL)
		goto out;
	cs = dk_state_contracts(ss);
	rc = dk_settle(t, cs, rd, &c->st.reg, &ss->rules, res, e);
	json_decref(cs);
	if (rc < 0)
		goto out;
	json_array_foreach(rd, i, x)
		if ((rc = cm_add(c, json_incref(x), e)) < 0)
			goto out;
	json_array_foreach(res, i, x)
		if ((rc = cm_add(c, json_incref(x), e)) < 0)
			goto out;
	rc = dk_ledger_checkpoint(&c->l, e);
out:
	json_decref(rd);
	json_decref(res);
	return rc;
}

static int
cm_build(struct cm *c, const char *origin, struct dk_err *e)
{
	static const char terms[] = "Unit test terms.\n";
	struct dk_rules rules;
	char hash[65], *key;
	json_t *x, *o1 = json_array(), *o2 = json_array();
	int i, rc = -1;

	if (dk_ledger_genesis(&c->l, origin, 0, e) < 0)
		goto out;
	for (i = 0; i < 3; i++) {
		key = dk_key_pub_b64(&cm_key[i]);
		x = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:[s+]}", "type",
		    "participant", "v", 1, "id", cm_id[i], "zone", "z1",
		    "role", "prosumer", "status", "active", "key", key,
		    "meters", cm_id[i], "-m");
		free(key);
		if (cm_add(c, x, e) < 0 || dk_ledger_checkpoint(&c->l, e) < 0)
			goto out;
	}
	if (c->variant == CM_NO_RULES) {
		rc = cm_order(c, o1, 0, 0, S1, "sell", 1000, 120000, e);
		goto out;
	}
	if (cm_add(c, json_pack("{s:s,s:i,s:s}", "type", "terms", "v", 1,
	    "text", terms), e) < 0)
		goto out;
	dk_sha256_hex(terms, strlen(terms), hash);
	x = json_pack("{s:s,s:i,s:s,s:s,s:i,s:s,s:i,s:i,s:i,s:s}", "type",
	    "rules", "v", 1, "currency", "JPY", "tz", "UTC", "slot_minutes",
	    30, "mechanism", "uniform", "retail", 300000, "buyback", 100000,
	    "fee", 1000, "terms", hash);
	if (dk_rules_from_json(&rules, x, e) < 0) {
		json_decref(x);
		goto out;
	}
	json_decref(x);
	if (cm_add(c, dk_rules_json(&rules), e) < 0)
		goto out;
	/* slot 1: alice sells 1000 Wh, bob and carol buy 600 and 400 */
	if (cm_order(c, o1, 0, 0, S1, "sell", 1000, 120000, e) < 0 ||
	    cm_order(c, o1, 1, c->variant == CM_BAD_ORDER_SIG ? 2 : 1, S1,
	    "buy", 600, 200000, e) < 0 ||
	    cm_order(c, o1, 2, 2, S1, "buy", 400, 150100, e) < 0 ||
	    cm_clear(c, o1, S1, e) < 0)
		goto out;
	/* slot 2: alice sells 300 Wh, bob buys 200; then slot 1 settled */
	if (cm_order(c, o2, 0, 0, S2, "sell", 300, 100000, e) < 0 ||
	    cm_order(c, o2, 1, 1, S2, "buy", 200, 120000, e) < 0 ||
	    cm_clear(c, o2, S2, e) < 0 || cm_settle(c, e) < 0)
		goto out;
	if (c->variant == CM_ORDERS_AT_END &&
	    (cm_order(c, o2, 2, 2, S3, "buy", 100, 100000, e) < 0 ||
	    dk_ledger_checkpoint(&c->l, e) < 0))
		goto out;
	if (c->variant == CM_READINGS_AT_END &&
	    (cm_add(c, cm_reading("bob-m", S2, 200, 0), e) < 0 ||
	    dk_ledger_checkpoint(&c->l, e) < 0))
		goto out;
	if (c->variant == CM_NO_LAST_CHECKPOINT && cm_add(c,
	    cm_reading("bob-m", S2, 200, 0), e) < 0)
		goto out;
	rc = 0;
out:
	json_decref(o1);
	json_decref(o2);
	return rc;
}

/* Writes the community's ledger (a variant of it) to path, afresh. */
static int
community_ledger(const char *path, const char *origin, int variant,
    struct dk_err *e)
{
	struct cm c;
	int rc;

	unlink(path);
	memset(&c, 0, sizeof(c));
	c.variant = variant;
	dk_state_init(&c.st);
	if (dk_ledger_open(&c.l, path, &cm_op, NULL, NULL, e) < 0) {
		dk_state_free(&c.st);
		return -1;
	}
	rc = cm_build(&c, origin, e);
	if (rc == 0)
		rc = dk_ledger_commit(&c.l, e);
	dk_ledger_close(&c.l);
	dk_state_free(&c.st);
	return rc;
}

#endif
