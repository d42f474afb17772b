/* Unit tests for the review rules: lib/ledger/rules-review.c (configuration,
 * record, version 3) and lib/settle/review.c (each rule's reason, the
 * median of recent clearing prices, the pending record). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"
#include "check.h"

#define T0	4070944800	/* 2099-01-01T10:00:00Z */
#define DAY	86400

static struct dk_err e;
static char *kb64;

static json_t *
checkpoint(int64_t t)
{
	unsigned char root[32] = { 0 };
	char *text = dk_checkpoint_text("test/ledger", 1, root, t);
	json_t *r = json_pack("{s:s,s:i,s:s}", "type", "checkpoint", "v", 1,
	    "note", text);

	free(text);
	return r;
}

static json_t *
participant(const char *id, const char *role, long long cap)
{
	json_t *r = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:[]}", "type",
	    "participant", "v", 1, "id", id, "zone", "main", "role", role,
	    "status", "active", "key", kb64, "meters");

	if (cap >= 0)
		json_object_set_new(r, "capacity_wh", json_integer(cap));
	return r;
}

static json_t *
clearing(long long price)
{
	return json_pack("{s:s,s:s,s:I}", "type", "clearing", "slot",
	    "2099-01-01T09:00:00+00:00", "price", (json_int_t)price);
}

/* rec into h and reg (participants), then freed */
static void
feed(struct dk_revhist *h, struct dk_registry *reg, json_t *rec)
{
	static long long seq;

	if (strcmp(json_string_value(json_object_get(rec, "type")),
	    "participant") == 0)
		CHECK_INT(dk_registry_apply(reg, rec, &e), 0);
	CHECK_INT(dk_revhist_entry(h, seq++, 0, rec, &e), 0);
	json_decref(rec);
}

static json_t *
contract(const char *seller, const char *buyer, long long wh, long long price)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:I,s:I}", "type", "contract",
	    "slot", "2099-01-01T10:00:00+00:00", "seller", seller, "buyer",
	    buyer, "wh", (json_int_t)wh, "price", (json_int_t)price);
}

/* the reasons of trade i as one string, "|" between them */
static char *
why(struct dk_revhist *h, struct dk_registry *reg, struct dk_rules *r,
    json_t *cs, size_t i)
{
	static char buf[2048];
	json_t *a = dk_review_reasons(h, reg, r, T0, cs, i, &e), *x;
	size_t j;

	buf[0] = '\0';
	if (a == NULL)
		return strcpy(buf, "ERROR");
	json_array_foreach(a, j, x) {
		if (j > 0)
			strcat(buf, "|");
		strncat(buf, json_string_value(x), sizeof(buf) -
		    strlen(buf) - 2);
	}
	json_decref(a);
	return buf;
}

static void
test_rules_record(void)
{
	struct dk_conf c;
	struct dk_rules r, back;
	json_t *o;
	char *s;

	dk_conf_load(&c, NULL, &e);
	CHECK_INT(dk_conf_set(&c, "prices.retail=300000", &e), 0);
	CHECK_INT(dk_conf_set(&c, "prices.buyback=100000", &e), 0);
	CHECK_INT(dk_rules_from_conf(&r, &c, &e), 0);
	CHECK(!r.review.on);
	o = dk_rules_json(&r);
	CHECK(json_object_get(o, "review") == NULL);
	CHECK(json_integer_value(json_object_get(o, "v")) == 1);
	json_decref(o);
	/* band_slots alone is no rule; with value, version 3 */
	CHECK_INT(dk_conf_set(&c, "review.band_slots=10", &e), 0);
	CHECK_INT(dk_rules_from_conf(&r, &c, &e), 0);
	CHECK(!r.review.on);
	CHECK_INT(dk_conf_set(&c, "review.value=5000000", &e), 0);
	CHECK_INT(dk_conf_set(&c, "review.band_pct=20", &e), 0);
	CHECK_INT(dk_conf_set(&c, "review.roles=yes", &e), 0);
	CHECK_INT(dk_rules_from_conf(&r, &c, &e), 0);
	o = dk_rules_json(&r);
	s = dk_canon(json_object_get(o, "review"));
	CHECK_STR(s, "{\"band_pct\":20,\"band_slots\":10,\"lead_minutes\":15,"
	    "\"roles\":true,\"value\":5000000}");
	free(s);
	CHECK(json_integer_value(json_object_get(o, "v")) == 3);
	CHECK_INT(dk_rules_from_json(&back, o, &e), 0);
	CHECK(memcmp(&back.review, &r.review, sizeof(r.review)) == 0);
	/* the version must say it; an unknown rule, a false roles */
	json_object_set_new(o, "v", json_integer(1));
	CHECK(dk_rules_from_json(&back, o, &e) < 0);
	CHECK_HAS(e.msg, "3 with review rules");
	json_object_set_new(o, "v", json_integer(3));
	json_object_set_new(json_object_get(o, "review"), "colour",
	    json_integer(1));
	CHECK(dk_rules_from_json(&back, o, &e) < 0);
	CHECK_STR(e.msg, "review.colour: not a review rule");
	json_object_del(json_object_get(o, "review"), "colour");
	json_object_set_new(json_object_get(o, "review"), "roles",
	    json_false());
	CHECK(dk_rules_from_json(&back, o, &e) < 0);
	json_decref(o);
	CHECK_INT(dk_conf_set(&c, "review.roles=maybe", &e), 0);
	CHECK(dk_rules_from_conf(&r, &c, &e) < 0);
	CHECK_HAS(e.msg, "review.roles: must be yes or no");
	dk_conf_free(&c);
}

static void
test_reasons(void)
{
	struct dk_revhist h;
	struct dk_registry reg;
	struct dk_rules r;
	json_t *cs, *p, *a;
	int64_t m;
	int k;

	memset(&reg, 0, sizeof(reg));
	memset(&r, 0, sizeof(r));
	r.slot_minutes = 30;
	dk_revhist_init(&h);
	CHECK(dk_revhist_median(&h, 5, &m, &k) < 0);
	feed(&h, &reg, participant("old", "prosumer", -1));
	feed(&h, &reg, participant("con", "consumer", -1));
	feed(&h, &reg, participant("pro", "producer", 900));
	feed(&h, &reg, checkpoint(T0 - 40 * DAY));
	feed(&h, &reg, participant("new", "prosumer", -1));
	feed(&h, &reg, checkpoint(T0 - 3 * DAY));
	/* prices 100, 300, 200, 400; the slot's own (999) not yet recent */
	feed(&h, &reg, clearing(100000));
	feed(&h, &reg, clearing(300000));
	feed(&h, &reg, clearing(200000));
	feed(&h, &reg, clearing(400000));
	feed(&h, &reg, clearing(999000));
	CHECK_INT(dk_revhist_median(&h, 3, &m, &k), 0);
	CHECK(m == 300000 && k == 3);
	CHECK_INT(dk_revhist_median(&h, 100, &m, &k), 0);
	CHECK(m == 200000 && k == 4);	/* the lower middle one */

	cs = json_pack("[o,o,o,o]", contract("old", "new", 1000, 250000),
	    contract("con", "old", 100, 200000), contract("pro", "old", 500,
	    200000), contract("pro", "new", 500, 200000));
	/* no rule: no reason */
	CHECK_STR(why(&h, &reg, &r, cs, 0), "");
	r.review.on = 1;
	r.review.value = 249999;
	r.review.wh = 999;
	CHECK_STR(why(&h, &reg, &r, cs, 0), "value: 250000 micro-units, "
	    "over 249999|volume: 1000 Wh, over 999");
	/* buy_price, when there, is what the trade is worth */
	json_object_set_new(json_array_get(cs, 1), "buy_price",
	    json_integer(2500000));
	CHECK(dk_trade_value(json_array_get(cs, 1)) == 250000);
	CHECK_HAS(why(&h, &reg, &r, cs, 1), "value: 250000 micro-units");
	json_object_del(json_array_get(cs, 1), "buy_price");
	r.review.value = r.review.wh = 0;
	/* the band: 20% around 200000 (the median of 4) is 160000..240000 */
	r.review.band_pct = 20;
	r.review.band_slots = 4;
	CHECK_STR(why(&h, &reg, &r, cs, 0), "price: 250000 per kWh, outside "
	    "160000 to 240000 (20% around 200000, the median of the last 4 "
	    "clearing prices)");
	CHECK_STR(why(&h, &reg, &r, cs, 1), "");
	r.review.band_pct = 0;
	/* tenure: "new" has 3 days at the slot, "old" 40 */
	r.review.tenure_days = 30;
	CHECK_STR(why(&h, &reg, &r, cs, 0), "tenure: new enrolled 3 days "
	    "before the slot, under 30");
	CHECK_STR(why(&h, &reg, &r, cs, 1), "");
	r.review.tenure_days = 0;
	/* credit: tenure points are days * 200 / 365 of 1000 */
	r.review.credit_floor = 801;
	CHECK_STR(why(&h, &reg, &r, cs, 0), "");
	r.review.credit_floor = 802;
	CHECK_STR(why(&h, &reg, &r, cs, 0), "credit: new scores 801, under "
	    "802");
	r.review.credit_floor = 822;
	CHECK_STR(why(&h, &reg, &r, cs, 0), "credit: old scores 821, under "
	    "822|credit: new scores 801, under 822");
	r.review.credit_floor = 0;
	/* roles: a consumer sells; a producer sells 1000 Wh over 900 */
	r.review.roles = 1;
	CHECK_STR(why(&h, &reg, &r, cs, 0), "");
	CHECK_STR(why(&h, &reg, &r, cs, 1), "role: con is a consumer and "
	    "sells");
	CHECK_STR(why(&h, &reg, &r, cs, 2), "capacity: pro sells 1000 Wh in "
	    "the slot, over its registered capacity of 900 Wh");
	/* the pending record: the deadline lead_minutes before the slot */
	r.review.lead_minutes = 15;
	a = json_pack("[s]", "x");
	p = dk_pending_make(json_array_get(cs, 1), a, &r, T0, &e);
	json_decref(a);
	CHECK_STR(json_string_value(json_object_get(p, "deadline")),
	    "2099-01-01T09:45:00Z");
	CHECK(json_equal(json_object_get(p, "contract"), json_array_get(cs,
	    1)));
	json_decref(p);
	json_decref(cs);
	dk_revhist_free(&h);
	dk_registry_free(&reg);
}

/* rec into the state and then the queue, as denki-review reads a ledger */
static int
qfeed(struct dk_state *st, struct dk_revq *q, json_t *rec)
{
	static long long seq = 100;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = dk_revq_entry(q, seq, 0, rec, &e);
	if (rc == 0)
		rc = dk_state_apply(st, seq, 0, rec, &e);
	seq++;
	return rc;
}

static void
test_queue(void)
{
	struct dk_state st;
	struct dk_revq q;
	struct dk_rules r;
	struct dk_key kr, ka;
	json_t *c, *p, *d, *x, *why;
	char pid[65], id[65], *rb, *ab;

	memset(&r, 0, sizeof(r));
	r.review.lead_minutes = 15;
	CHECK_INT(dk_key_generate(&kr, &e), 0);
	CHECK_INT(dk_key_generate(&ka, &e), 0);
	rb = dk_key_pub_b64(&kr);
	ab = dk_key_pub_b64(&ka);
	dk_state_init(&st);
	dk_revq_init(&q, &st.reg);
	x = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:i,s:[]}", "type",
	    "participant", "v", 1, "id", "rita", "zone", "main", "role",
	    "reviewer", "status", "active", "key", rb, "scope", 100000,
	    "meters");
	CHECK_INT(qfeed(&st, &q, x), 0);
	json_decref(x);
	x = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:[]}", "type",
	    "participant", "v", 1, "id", "alice", "zone", "main", "role",
	    "prosumer", "status", "active", "key", ab, "meters");
	CHECK_INT(qfeed(&st, &q, x), 0);
	json_decref(x);
	/* worth 1000 Wh x 150000 / 1000 = 150000, over rita's scope */
	c = contract("alice", "bob", 1000, 150000);
	why = json_pack("[s]", "value");
	p = dk_pending_make(c, why, &r, T0, &e);
	CHECK_INT(qfeed(&st, &q, p), 0);
	CHECK_INT(dk_line_id(p, pid), 0);
	CHECK_STR(dk_revq_find(&q, "0000000000", &e) ? "found" : e.msg,
	    "0000000000: no trade of the ledger waits for review under this id");
	CHECK(dk_revq_find(&q, pid, &e) != NULL);
	/* out of scope; a member's key; after the deadline */
	CHECK(dk_review_decision(&q, "approve", pid, "ok", "rita", T0 - 3600,
	    &kr, &e) == NULL);
	CHECK_HAS(e.msg, "rita may approve trades worth up to 100000");
	CHECK(dk_review_decision(&q, "reject", pid, "no", "alice", T0 - 3600,
	    &ka, &e) == NULL);
	CHECK_STR(e.msg, "by: alice is prosumer, not an active reviewer");
	CHECK(dk_review_decision(&q, "reject", pid, "no", "rita", T0 - 60,
	    &kr, &e) == NULL);
	CHECK_HAS(e.msg, "is after the trade's deadline 2099-01-01T09:45:00Z");
	/* a reviewer's name, another key's signature */
	CHECK(dk_review_decision(&q, "reject", pid, "no", "rita", T0 - 3600,
	    &ka, &e) == NULL);
	CHECK_HAS(e.msg, "review by rita: sig: bad signature");
	/* a rejection; then no second decision; no contract after it */
	CHECK((d = dk_review_decision(&q, "reject", pid, "no", "rita",
	    T0 - 3600, &kr, &e)) != NULL);
	CHECK_INT(qfeed(&st, &q, d), 0);
	CHECK(dk_review_decision(&q, "reject", pid, "again", "rita",
	    T0 - 3500, &kr, &e) == NULL);
	CHECK_HAS(e.msg, "already decided (reject by rita at "
	    "2099-01-01T09:00:00Z): one decision a trade");
	x = dk_revq_contract(&q, d, &e);
	CHECK(qfeed(&st, &q, x) < 0);
	CHECK_HAS(e.msg, "not the approve decision just before it");
	CHECK_INT(dk_line_id(d, id), 0);
	CHECK_STR(json_string_value(json_object_get(x, "review")), id);
	json_decref(x);
	json_decref(d);
	CHECK(q.nrejected == 1 && q.napproved == 0 && q.npending == 1);
	/* the queue at a time before the deadline: nothing undecided */
	x = dk_revq_list(&q, T0 - 7200, &e);
	CHECK(json_array_size(x) == 0);
	json_decref(x);
	json_decref(c);
	json_decref(why);
	json_decref(p);
	dk_revq_free(&q);
	dk_state_free(&st);
	dk_key_free(&kr);
	dk_key_free(&ka);
	free(rb);
	free(ab);
}

int
main(void)
{
	struct dk_key k;

	if (dk_init(&e) < 0 || dk_key_generate(&k, &e) < 0)
		return 1;
	kb64 = dk_key_pub_b64(&k);
	dk_key_free(&k);
	test_rules_record();
	test_reasons();
	test_queue();
	free(kb64);
	return check_done("test-review");
}
