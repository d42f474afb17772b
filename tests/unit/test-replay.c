/*
 * Unit tests for lib/market's replay (replay.c) and what is built on it:
 * the one way an order line is read (dk_order_parse), denki-clear's
 * intake (intake.c) and denki-contract-sign's check of a slot
 * (contract.c).  Keys are made here; orders are signed here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denki.h"
#include "check.h"

#define SLOT 1767261600LL	/* 2026-01-01T10:00:00Z */
#define SLOTSTR "2026-01-01T10:00:00Z"
#define SLOT2STR "2026-01-01T10:30:00Z"

static struct dk_rules rules;
static struct dk_state st;
static struct dk_key keys[3];
static const char *const who[] = { "ann", "bob", "cat" };

/* A state with the rules and the three participants. */
static void
state(struct dk_state *s)
{
	struct dk_err e = { 0 };
	char buf[512], *pk;
	json_t *p;
	int i;

	dk_state_init(s);
	s->rules = rules;
	s->have_rules = 1;
	for (i = 0; i < 3; i++) {
		pk = dk_key_pub_b64(&keys[i]);
		snprintf(buf, sizeof(buf), "{\"id\":\"%s\",\"key\":\"%s\","
		    "\"meters\":[\"%s-m\"],\"role\":\"prosumer\",\"status\":"
		    "\"active\",\"type\":\"participant\",\"v\":1,\"zone\":"
		    "\"z1\"}", who[i], pk, who[i]);
		free(pk);
		p = json_loads(buf, 0, NULL);
		CHECKF(dk_registry_apply(&s->reg, p, &e) == 0, "%s", e.msg);
		json_decref(p);
	}
}

static void
setup(void)
{
	static const char r[] = "{\"buyback\":100000,\"currency\":\"EUR\","
	    "\"fee\":10000,\"mechanism\":\"uniform\",\"retail\":300000,"
	    "\"slot_minutes\":30,\"terms\":\"7b0dcce5ea19be57f15c4e925a20d0e0"
	    "f750a57306948a5d9d3610eb0b63cc93\",\"type\":\"rules\",\"tz\":"
	    "\"UTC\",\"v\":1}";
	struct dk_err e = { 0 };
	json_t *x = json_loads(r, 0, NULL);
	int i;

	CHECK_INT(dk_init(&e), 0);
	CHECKF(dk_rules_from_json(&rules, x, &e) == 0, "%s", e.msg);
	json_decref(x);
	for (i = 0; i < 3; i++)
		CHECK_INT(dk_key_generate(&keys[i], &e), 0);
	state(&st);
}

/* A signed order of participant i, as its canonical line. */
static char *
order_line(int i, const char *slot, const char *side, int wh, int price)
{
	struct dk_err e = { 0 };
	json_t *o = json_pack("{s:s,s:i,s:s,s:s,s:s,s:i,s:i}", "type", "order",
	    "v", 1, "participant", who[i], "slot", slot, "side", side, "wh",
	    wh, "price", price);
	char *s;

	CHECK_INT(dk_sign_record(o, &keys[i], &e), 0);
	s = dk_canon(o);
	json_decref(o);
	return s;
}

static json_t *
order_rec(int i, const char *slot, const char *side, int wh, int price)
{
	char *s = order_line(i, slot, side, wh, price);
	json_t *o = json_loads(s, 0, NULL);

	free(s);
	return o;
}

static void
test_first_diff(void)
{
	json_t *a = json_pack("{s:i,s:i}", "price", 1, "wh", 2);
	json_t *b = json_pack("{s:i,s:i}", "price", 1, "wh", 3);
	json_t *c = json_pack("{s:i,s:i,s:i}", "price", 1, "wh", 2, "z", 0);
	json_t *d = json_integer(1);

	CHECK_STR(dk_first_diff(a, b), "wh");
	CHECK_STR(dk_first_diff(a, c), "z");
	CHECK_STR(dk_first_diff(c, a), "z");
	CHECK_STR(dk_first_diff(a, a), "(none)");
	CHECK_STR(dk_first_diff(a, d), "type");
	CHECK_STR(dk_first_diff(NULL, a), "type");
	json_decref(a);
	json_decref(b);
	json_decref(c);
	json_decref(d);
}

/* A book of json orders read as the replay's callers read them. */
static size_t
book(struct dk_order *o, json_t **recs, size_t n)
{
	struct dk_err e = { 0 };
	size_t i;

	for (i = 0; i < n; i++)
		CHECKF(dk_order_check(&o[i], recs[i], &rules, &st.reg,
		    &e) == 0, "%s", e.msg);
	return n;
}

static void
test_replay(void)
{
	struct dk_err e = { 0 };
	struct dk_replay rp;
	struct dk_order o[3];
	json_t *recs[3], *trades, *cl, *t;
	size_t i;

	recs[0] = order_rec(1, SLOTSTR, "buy", 1000, 200000);
	recs[1] = order_rec(0, SLOTSTR, "sell", 1000, 100000);
	book(o, recs, 2);
	CHECK_INT(dk_replay(&rp, o, 2, SLOT, &st, &rules, &e), 0);
	CHECK_INT(rp.n, 2);
	CHECK(rp.book == o);
	CHECK(strcmp(o[0].id, o[1].id) < 0);	/* in id order */
	CHECK_INT(json_array_size(rp.trades), 1);
	CHECK_INT(json_array_size(rp.contracts), 1);
	CHECK_STR(json_string_value(json_object_get(json_array_get(
	    rp.contracts, 0), "type")), "contract");
	CHECK_STR(json_string_value(json_object_get(rp.clearing, "type")),
	    "clearing");
	CHECK_INT(json_integer_value(json_object_get(rp.clearing, "price")),
	    150000);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(rp.trades,
	    0), "wh")), 1000);

	/* the records as recorded: equal, then each way of differing */
	trades = json_deep_copy(rp.trades);
	cl = json_deep_copy(rp.clearing);
	CHECK_INT(dk_replay_match(&rp, trades, cl, &e), 0);
	t = json_array_get(trades, 0);
	json_object_set_new(t, "wh", json_integer(999));
	CHECK_INT(dk_replay_match(&rp, trades, cl, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_STR(e.msg, "trade 1: wh differs from a replay of the market");
	json_object_set_new(t, "wh", json_integer(1000));
	json_object_set_new(cl, "price", json_integer(1));
	CHECK_INT(dk_replay_match(&rp, trades, cl, &e), -1);
	CHECK_STR(e.msg, "clearing: price differs from a replay of the "
	    "market");
	json_array_clear(trades);
	CHECK_INT(dk_replay_match(&rp, trades, cl, &e), -1);
	CHECK_STR(e.msg, "0 trades given, the market makes 1");
	json_decref(trades);
	json_decref(cl);

	/* the slot into a state: cleared once */
	CHECK(dk_state_slot(&st, SLOT) == NULL);
	CHECK_INT(dk_replay_apply(&rp, &st, &e), 0);
	CHECK(dk_state_slot(&st, SLOT) != NULL);
	CHECK_INT(dk_replay_apply(&rp, &st, &e), -1);
	dk_replay_free(&rp);
	CHECK(rp.clearing == NULL && rp.trades == NULL);

	/* a book the filter refuses: a participant on both sides */
	recs[2] = order_rec(0, SLOTSTR, "buy", 10, 200000);
	book(o, recs, 3);
	CHECK_INT(dk_replay(&rp, o, 3, SLOT, &st, &rules, &e), 1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_HAS(e.msg, "the book was refused: an order of ann: the "
	    "participant both sells and buys");
	dk_replay_free(&rp);

	/* an empty book clears all the same, without trades */
	CHECK_INT(dk_replay(&rp, o, 0, SLOT, &st, &rules, &e), 0);
	CHECK_INT(json_array_size(rp.trades), 0);
	CHECK(json_is_null(json_object_get(rp.clearing, "price")));
	dk_replay_free(&rp);
	for (i = 0; i < 3; i++)
		json_decref(recs[i]);
}

static void
test_order_parse(void)
{
	struct dk_err e = { 0 };
	struct dk_order o;
	char *s = order_line(0, SLOTSTR, "sell", 500, 90000), *t, *p;

	/* canonical: the fast path, the line its own record */
	CHECKF(dk_order_parse(&o, s, strlen(s), &rules, &st.reg, 1, &e) == 0,
	    "%s", e.msg);
	CHECK(o.rec == NULL && o.line == s);
	CHECK_INT(o.wh, 500);
	/* the same with a blank: parsed in full, same id */
	if ((t = malloc(strlen(s) + 2)) == NULL)
		abort();
	sprintf(t, "{ %s", s + 1);
	CHECKF(dk_order_parse(&o, t, strlen(t), &rules, &st.reg, 1, &e) == 0,
	    "%s", e.msg);
	CHECK(o.rec != NULL && o.line == NULL);
	CHECK_INT(o.price, 90000);
	json_decref(o.rec);
	/* changed after signing: refused on both paths, unless not checked */
	p = strstr(s, "\"wh\":500");
	p[6] = '1';
	CHECK_INT(dk_order_parse(&o, s, strlen(s), &rules, &st.reg, 1, &e),
	    -1);
	CHECK_STR(e.msg, "sig: bad signature: the record was not signed by "
	    "this key, or was changed after signing");
	CHECK_INT(dk_order_parse(&o, s, strlen(s), &rules, &st.reg, 0, &e), 0);
	p = strstr(t, "\"wh\":500");
	p[6] = '1';
	CHECK_INT(dk_order_parse(&o, t, strlen(t), &rules, &st.reg, 1, &e),
	    -1);
	CHECK_HAS(e.msg, "sig: bad signature");
	/* not an order */
	CHECK_INT(dk_order_parse(&o, "{}", 2, &rules, &st.reg, 1, &e), -1);
	free(s);
	free(t);
}

struct rej {
	int n;
	char last[300];
};

static void
on_reject(void *ctx, const char *where, const char *why)
{
	struct rej *r = ctx;

	r->n++;
	snprintf(r->last, sizeof(r->last), "%s: %s", where, why);
}

static void
test_intake(void)
{
	struct dk_err e = { 0 };
	struct dk_state s2;
	struct dk_intake in;
	struct rej r = { 0 };
	char *l[5];
	size_t i;
	int k;

	state(&s2);
	l[0] = order_line(0, SLOT2STR, "sell", 100, 1000);
	l[1] = order_line(1, SLOTSTR, "buy", 100, 5000);
	l[2] = order_line(0, SLOTSTR, "sell", 100, 1000);
	l[3] = order_line(1, SLOT2STR, "buy", 50, 5000);
	l[4] = strdup("{\"type\":\"order\"}");
	for (k = 0; k < 2; k++) {
		memset(&in, 0, sizeof(in));
		in.r = &rules;
		in.st = &s2;
		in.threads = 2;
		in.reject = on_reject;
		in.ctx = &r;
		in.keep = k;
		for (i = 0; i < 5; i++)
			CHECK_INT(dk_intake_line(&in, l[i], strlen(l[i]),
			    "in", (long)i + 1, &e), 0);
		if (!k) {	/* the bad line ends it */
			CHECK_INT(dk_intake_orders(&in, &e), 1);
			CHECK_HAS(r.last, "in:5: ");
			dk_intake_free(&in);
			continue;
		}
		CHECK_INT(dk_intake_orders(&in, &e), 0);
		CHECK(in.bad);
		CHECK_INT(in.n, 4);
		CHECK_INT(dk_intake_books(&in, &e), 0);
		CHECK_INT(in.nbooks, 2);
		CHECK_INT(in.books[0].slot, SLOT);
		CHECK_INT(in.books[0].n, 2);
		CHECK_INT(in.books[1].slot, SLOT + 1800);
		CHECK_INT(in.books[1].n, 2);
		dk_intake_free(&in);
	}
	CHECK_INT(r.n, 2);
	for (i = 0; i < 5; i++)
		free(l[i]);
	dk_state_free(&s2);
}

static void
test_cleared(void)
{
	struct dk_err e = { 0 };
	struct dk_cleared g;
	struct dk_order o[2];
	struct dk_clearing c;
	json_t *recs[2], *x;
	size_t i;

	memset(&g, 0, sizeof(g));
	recs[0] = order_rec(2, SLOT2STR, "buy", 100, 5000);
	recs[1] = order_rec(0, SLOT2STR, "sell", 100, 1000);
	book(o, recs, 2);
	CHECK_INT(dk_clear(o, 2, SLOT + 1800, &rules, &c, &e), 0);
	CHECK_INT(dk_cleared_add(&g, json_incref(recs[0]), &rules, &e), 0);
	CHECK_INT(dk_cleared_add(&g, json_incref(recs[1]), &rules, &e), 0);
	for (i = 0; i < c.nt; i++)
		CHECK_INT(dk_cleared_add(&g, dk_trade_json(&c, o, &c.t[i],
		    &rules), &rules, &e), 0);
	CHECK_INT(dk_cleared_add(&g, dk_clearing_json(&c, &rules), &rules,
	    &e), 1);
	CHECKF(dk_cleared_check(&g, &rules, &st, &e) == 0, "%s", e.msg);
	CHECK_INT(json_array_size(g.contracts), c.nt);
	CHECK_INT(g.no, 2);
	dk_cleared_free(&g);
	/* a trade taken out: the replay says so */
	CHECK_INT(dk_cleared_add(&g, json_incref(recs[0]), &rules, &e), 0);
	CHECK_INT(dk_cleared_add(&g, json_incref(recs[1]), &rules, &e), 0);
	CHECK_INT(dk_cleared_add(&g, dk_clearing_json(&c, &rules), &rules,
	    &e), 1);
	CHECK_INT(dk_cleared_check(&g, &rules, &st, &e), -1);
	CHECK_HAS(e.msg, ": 0 trades given, the market makes 1");
	CHECK(strncmp(e.msg, "slot 2026-01-01T10:30:00", 24) == 0);
	dk_cleared_free(&g);
	/* records of two slots without a clearing between them */
	CHECK_INT(dk_cleared_add(&g, order_rec(0, SLOTSTR, "sell", 1, 1),
	    &rules, &e), 0);
	CHECK_INT(dk_cleared_add(&g, json_incref(recs[0]), &rules, &e), -1);
	CHECK_STR(e.msg, "slot " SLOT2STR ": the slot before it has no "
	    "clearing record");
	CHECK(g.trades == NULL && g.orders == NULL && g.no == 0);
	x = json_pack("{s:s}", "type", "reading");
	CHECK_INT(dk_cleared_add(&g, x, &rules, &e), -1);
	CHECK_HAS(e.msg, "must be order, trade or clearing");
	dk_clearing_free(&c);
	json_decref(recs[0]);
	json_decref(recs[1]);
}

/* One slot given as lines beside their records, the way contract-sign
 * reads them; tamper: the trade's price changed in both; bare: the lines
 * alone, with the registry (an order's record then not made). */
static int
cleared_lines(char **lines, size_t n, int tamper, int bare,
    struct dk_cleared *g, struct dk_err *e)
{
	json_t *x;
	size_t i;
	int rc = 0;
	char *p;

	memset(g, 0, sizeof(*g));
	for (i = 0; i < n && rc == 0; i++) {
		if (tamper && (p = strstr(lines[i], "\"price\":")) != NULL &&
		    strstr(lines[i], "\"trade\"") != NULL)
			p[8] = p[8] == '9' ? '8' : '9';
		x = bare ? NULL : dk_parse(lines[i], strlen(lines[i]), e);
		rc = dk_cleared_add_line(g, x, lines[i], strlen(lines[i]),
		    &rules, bare ? &st.reg : NULL, e);
	}
	if (rc != 1)
		return -1;
	return dk_cleared_check(g, &rules, &st, e);
}

/* The canonical lines spare the replay its dumps and the trades' JSON,
 * and change nothing it makes or says: the same contracts and book as
 * from the records alone; a trade that is not the market's refused with
 * the same message; lines not canonical read as records. */
static void
test_cleared_lines(void)
{
	struct dk_err e = { 0 }, e2 = { 0 };
	struct dk_cleared g, h;
	struct dk_order o[2], oo;
	struct dk_clearing c;
	json_t *recs[2], *x;
	char *lines[5], *a, *b, ts[40];
	size_t i, n = 0;
	int t;

	recs[0] = order_rec(2, SLOT2STR, "buy", 100, 5000);
	recs[1] = order_rec(0, SLOT2STR, "sell", 100, 1000);
	book(o, recs, 2);
	CHECK_INT(dk_clear(o, 2, SLOT + 1800, &rules, &c, &e), 0);
	CHECK_INT(c.nt, 1);
	lines[n++] = dk_canon(recs[0]);
	lines[n++] = dk_canon(recs[1]);
	x = dk_trade_json(&c, o, &c.t[0], &rules);
	lines[n++] = dk_canon(x);
	json_decref(x);
	x = dk_clearing_json(&c, &rules);
	lines[n++] = dk_canon(x);
	json_decref(x);
	/* the paths taken: the trade's line is the replay's, the order's
	 * line gives the id the record does */
	dk_time_format(c.slot, rules.tz, ts, sizeof(ts));
	CHECK(dk_trade_is(lines[2], strlen(lines[2]), ts, o, &c.t[0],
	    &rules));
	CHECK(!dk_trade_is(lines[2], strlen(lines[2]) - 1, ts, o, &c.t[0],
	    &rules));
	CHECK_INT(dk_order_check_line(&o[0], recs[0],
	    lines[0], strlen(lines[0]), &rules, &st.reg, &e), 0);
	CHECK(o[0].line == lines[0]);
	CHECK_INT(dk_order_check(&oo, recs[0], &rules, &st.reg, &e), 0);
	CHECK_STR(o[0].id, oo.id);
	CHECK(oo.line == NULL);
	/* a canonical line signed for another order: refused as
	 * dk_order_check refuses it */
	x = json_deep_copy(recs[0]);
	json_object_set(x, "sig", json_object_get(recs[1], "sig"));
	a = dk_canon(x);
	CHECK_INT(dk_order_check_line(&oo, x, a, strlen(a), &rules, &st.reg,
	    &e), -1);
	CHECK(oo.line == a);
	CHECK_INT(dk_order_check(&oo, x, &rules, &st.reg, &e2), -1);
	CHECK_STR(e.msg, e2.msg);
	CHECK_HAS(e.msg, "bad signature");
	free(a);
	json_decref(x);
	for (t = 0; t < 4; t++) {
		memset(&h, 0, sizeof(h));
		for (i = 0; i < n; i++)
			dk_cleared_add(&h, dk_parse(lines[i], strlen(lines[i]),
			    &e), &rules, &e);
		/* the lines alone (t odd): the orders' signatures checked
		 * ahead, as contract-sign does */
		for (i = 0; t % 2 && i < 2; i++)
			dk_order_ahead_line(NULL, lines[i], strlen(lines[i]),
			    &rules, &st.reg, 1);
		dk_ahead_done();
		CHECKF(cleared_lines(lines, n, 0, t % 2, &g, &e) == 0, "%s",
		    e.msg);
		CHECKF(dk_cleared_check(&h, &rules, &st, &e2) == 0, "%s",
		    e2.msg);
		a = dk_canon(g.contracts);
		b = dk_canon(h.contracts);
		CHECK_STR(a, b);
		free(a);
		free(b);
		/* the same orders in the same order; an order's record not
		 * made only where its line is canonical and bare */
		CHECK_INT(g.no, 2);
		CHECK_INT(h.no, 2);
		for (i = 0; i < 2 && h.no == 2 && g.no == 2; i++) {
			a = dk_canon(h.orders[i]);
			b = g.orders[i] != NULL ? dk_canon(g.orders[i]) :
			    strdup(g.oline[i].s);
			CHECK_STR(a, b);
			CHECK(strncmp(a, lines[0], strlen(a)) == 0 ||
			    strncmp(a, lines[1], strlen(a)) == 0 || t >= 2);
			CHECK((g.orders[i] == NULL) == (t == 1 ||
			    (t == 3 && strcmp(a, lines[0]) == 0)));
			free(a);
			free(b);
		}
		CHECK_INT(json_array_size(g.contracts), 1);
		dk_cleared_free(&g);
		dk_cleared_free(&h);
		dk_ahead_forget();
		/* the third time round: an order and the trade with a blank
		 * (not canonical: read as records) */
		for (i = 1; t == 1 && i < 3; i++) {
			a = lines[i];
			if (asprintf(&lines[i], "{ %s", a + 1) < 0)
				return;
			free(a);
		}
	}
	CHECK_INT(cleared_lines(lines, n, 1, 0, &g, &e), -1);
	CHECK_HAS(e.msg, ": trade 1: price differs from a replay of the "
	    "market");
	dk_cleared_free(&g);
	for (i = 1; i < 3; i++) {	/* canonical again, tampered */
		free(lines[i]);
		lines[i] = i == 1 ? dk_canon(recs[1]) : NULL;
	}
	x = dk_trade_json(&c, o, &c.t[0], &rules);
	lines[2] = dk_canon(x);
	json_decref(x);
	CHECK_INT(cleared_lines(lines, n, 1, 0, &g, &e2), -1);
	CHECK_STR(e2.msg, e.msg);
	dk_cleared_free(&g);
	CHECK_INT(cleared_lines(lines, n, 1, 1, &g, &e2), -1);
	CHECK_STR(e2.msg, e.msg);
	dk_cleared_free(&g);
	/* a bare canonical order signed for another: refused as its record
	 * is, with no signature checked ahead or with one found bad */
	free(lines[1]);
	x = json_deep_copy(recs[1]);
	json_object_set(x, "sig", json_object_get(recs[0], "sig"));
	lines[1] = dk_canon(x);
	json_decref(x);
	free(lines[2]);
	x = dk_trade_json(&c, o, &c.t[0], &rules);
	lines[2] = dk_canon(x);
	json_decref(x);
	for (t = 0; t < 2; t++) {
		if (t == 1) {
			dk_order_ahead_line(NULL, lines[1], strlen(lines[1]),
			    &rules, &st.reg, 1);
			dk_ahead_done();
		}
		CHECK_INT(cleared_lines(lines, n, 0, 0, &g, &e), -1);
		dk_cleared_free(&g);
		CHECK_INT(cleared_lines(lines, n, 0, 1, &g, &e2), -1);
		dk_cleared_free(&g);
		CHECK_HAS(e.msg, "order 2 of the slot: sig: bad signature");
		CHECK_STR(e2.msg, e.msg);
		dk_ahead_forget();
	}
	for (i = 0; i < n; i++)
		free(lines[i]);
	dk_clearing_free(&c);
	json_decref(recs[0]);
	json_decref(recs[1]);
}

/* g's slot appended to a new ledger at path (l, left open), the
 * contracts written to *out. */
static void
append(struct dk_cleared *g, struct dk_state *s2, const char *path,
    struct dk_ledger *l, char **out, size_t *len)
{
	struct dk_err e = { 0 };
	FILE *fp;

	CHECKF(dk_ledger_open(l, path, &keys[0], NULL, NULL, &e) == 0, "%s",
	    e.msg);
	CHECK_INT(dk_ledger_genesis(l, "test.example/log", 0, &e), 0);
	CHECK((fp = open_memstream(out, len)) != NULL);
	CHECKF(dk_cleared_append(g, l, s2, fp, &e) == 0, "%s", e.msg);
	fclose(fp);
}

/* The contracts' lines dk_cleared_append writes, made from the trades'
 * lines when they are canonical (tcanon), are dk_canon's of the
 * contracts byte for byte: under rules that add every member, and under
 * one whose currency needs an escape (then made by dk_canon); a trade
 * line not canonical makes the same bytes by dk_canon too. */
static void
test_contract_text(void)
{
	struct dk_err e = { 0 };
	struct dk_rules r0 = rules;
	struct dk_cleared g;
	struct dk_ledger l;
	struct dk_state s2;
	struct dk_order o[2];
	struct dk_clearing c;
	json_t *recs[2], *x;
	char dir[] = "/tmp/test-replay-XXXXXX", path[64], *lines[4], *out;
	char *want, *a, *pend;
	struct dk_pendtexts at;
	size_t len, i, np;
	int v, rc = 0;

	CHECK(mkdtemp(dir) != NULL);
	recs[0] = order_rec(2, SLOT2STR, "buy", 100, 5000);
	recs[1] = order_rec(0, SLOT2STR, "sell", 100, 1000);
	book(o, recs, 2);
	CHECK_INT(dk_clear(o, 2, SLOT + 1800, &rules, &c, &e), 0);
	lines[0] = dk_canon(recs[0]);
	lines[1] = dk_canon(recs[1]);
	x = dk_trade_json(&c, o, &c.t[0], &rules);
	lines[2] = dk_canon(x);
	json_decref(x);
	x = dk_clearing_json(&c, &rules);
	lines[3] = dk_canon(x);
	json_decref(x);
	for (v = 0; v < 4; v++) {
		if (v == 1) {
			rules.fee_bps = 100;
			rules.fee_payer = DK_PAYER_SPLIT;
			rules.tax_bps = 1900;
			memset(rules.imbalance, 'a', 64);
			rules.imbalance[64] = '\0';
		} else if (v == 2)
			strcpy(rules.currency, "E\"R");
		else if (v == 3) {	/* a blank: the trade read as a record */
			strcpy(rules.currency, "EUR");
			a = lines[2];
			CHECK(asprintf(&lines[2], "{ %s", a + 1) > 0);
			free(a);
		}
		memset(&g, 0, sizeof(g));
		for (i = 0; i < 4; i++)
			rc = dk_cleared_add_line(&g, dk_parse(lines[i],
			    strlen(lines[i]), &e), lines[i], strlen(lines[i]),
			    &rules, NULL, &e);
		CHECK_INT(rc, 1);
		state(&s2);
		CHECKF(dk_cleared_check(&g, &rules, &s2, &e) == 0, "%s",
		    e.msg);
		CHECK_INT(g.tcanon, v < 3);
		snprintf(path, sizeof(path), "%s/l%d", dir, v);
		append(&g, &s2, path, &l, &out, &len);
		CHECK_INT(json_array_size(g.contracts), 1);
		want = dk_canon(json_array_get(g.contracts, 0));
		CHECK_INT(len, strlen(want) + 1);
		CHECK(strncmp(out, want, strlen(want)) == 0 &&
		    out[len - 1] == '\n');
		CHECK_HAS(out, "\"type\":\"contract\"");
		CHECK_HAS(out, "\"seller\":\"ann\"");
		if (v == 1)
			CHECK_HAS(out, "\"fee_payer\":\"split\",\"imbalance\":"
			    "\"aaaa");
		if (v == 2)
			CHECK_HAS(out, "\"currency\":\"E\\\"R\"");
		free(out);
		CHECK((pend = malloc(l.cp_off + 1)) != NULL);
		memcpy(pend, l.pend, np = l.cp_off);
		dk_ledger_close(&l);
		dk_state_free(&s2);
		dk_cleared_free(&g);
		unlink(path);
		/* the lines alone (no record made of a canonical order): the
		 * same entries, byte for byte, before the checkpoint */
		memset(&g, 0, sizeof(g));
		state(&s2);
		for (i = 0; i < 4; i++)
			rc = dk_cleared_add_line(&g, NULL, lines[i],
			    strlen(lines[i]), &rules, &s2.reg, &e);
		CHECK_INT(rc, 1);
		CHECK(g.no == 2 && g.orders[0] == NULL && g.orders[1] == NULL);
		for (i = 0; i < 2; i++)
			dk_order_ahead_line(NULL, lines[i], strlen(lines[i]),
			    &rules, &s2.reg, 1);
		dk_ahead_done();
		CHECKF(dk_cleared_check(&g, &rules, &s2, &e) == 0, "%s",
		    e.msg);
		CHECK(g.orders[0] == NULL && g.orders[1] == NULL);
		/* the contract's text noted where it lies in the pending
		 * lines (dk_cleared_append_at), there after the commit */
		CHECKF(dk_ledger_open(&l, path, &keys[0], NULL, NULL, &e) ==
		    0, "%s", e.msg);
		CHECK_INT(dk_ledger_genesis(&l, "test.example/log", 0, &e), 0);
		memset(&at, 0, sizeof(at));
		CHECKF(dk_cleared_append_at(&g, &l, &s2, &at, &e) == 0, "%s",
		    e.msg);
		CHECK(l.cp_off == np && memcmp(l.pend, pend, np) == 0);
		CHECK(memmem(l.pend, np, "\"type\":\"order\"", 14) != NULL);
		CHECK_INT(dk_ledger_commit(&l, &e), 0);
		CHECK_INT(at.n, 1);
		CHECK(at.n == 1 && at.v[0].n == strlen(want) &&
		    memcmp(l.pend + at.v[0].off, want, at.v[0].n) == 0);
		free(at.v);
		free(want);
		free(pend);
		dk_ahead_forget();
		dk_ledger_close(&l);
		dk_state_free(&s2);
		dk_cleared_free(&g);
		unlink(path);
	}
	rmdir(dir);
	rules = r0;
	for (i = 0; i < 4; i++)
		free(lines[i]);
	dk_clearing_free(&c);
	json_decref(recs[0]);
	json_decref(recs[1]);
}

/* dk_line_flat: clear's flat lines, which contract-sign parses at their
 * slot; anything else (nested, null, a negative number, blanks, keys out
 * of order or twice, an escape, an empty object, a control character, a
 * byte above 0x7E, a string not ended) is not, and is parsed as it is
 * read */
static void
test_line_flat(void)
{
	static const char *const yes[] = {
		"{\"participant\":\"a\",\"price\":0,\"type\":\"order\"}",
		"{\"a\":1,\"b\":\"x y\",\"c\":123456789012345}",
		"{\"a\":\" ~!#/\",\"b\":\"\"}",
		NULL };
	static const char *const no[] = { "{}", "{\"a\":null}",
		"{\"a\":-1}", "{\"a\": 1}", "{\"b\":1,\"a\":2}",
		"{\"a\":1,\"a\":2}", "{\"a\":\"\\n\"}", "{\"a\":[1]}",
		"{\"a\":{\"b\":1}}", "{\"a\":01}", "{\"a\":1,}",
		"{\"a\":12345678901234567}", "[1]",
		"{\"a\":9999999999999999}", "{\"a\":\"x\x01\"}",
		"{\"a\":\"\x7f\"}", "{\"a\":\"caf\xc3\xa9\"}", "{\"\xc3\":1}",
		"{\"a\\\\b\":1}", "{\"a\":\"x}", "{\"a\":\"x\\\"\"}", NULL };
	struct dk_err e = { 0 };
	json_t *v;
	int i;

	for (i = 0; yes[i] != NULL; i++) {
		CHECK(dk_line_flat(yes[i], strlen(yes[i])));
		CHECK((v = dk_parse(yes[i], strlen(yes[i]), &e)) != NULL);
		json_decref(v);
	}
	for (i = 0; no[i] != NULL; i++)
		CHECK(!dk_line_flat(no[i], strlen(no[i])));
}

/* dk_line_flat over strings of every byte at every place of a 16-byte
 * value, and of random bytes, two of them odd side by side too: flat
 * exactly when every byte is printable ASCII but a quote or a
 * backslash */
static void
test_line_flat_bytes(void)
{
	static const unsigned char odd[] = { 0, 1, 0x1f, 0x20, 0x21, '"',
	    '\\', 0x5b, 0x5d, 0x7e, 0x7f, 0x80, 0xc3, 0xfe, 0xff, 'a' };
	char line[64];
	unsigned char v[40];
	size_t len, i, k;
	int b, want, bad = 0, r;

	for (k = 0; k < 16; k++)
		for (b = 0; b < 256; b++) {
			memset(v, 'a', 16);
			v[k] = (unsigned char)b;
			len = (size_t)snprintf(line, sizeof(line), "{\"a\":\"");
			memcpy(line + len, v, 16);
			len += 16;
			memcpy(line + len, "\"}", 2);
			len += 2;
			want = b >= 0x20 && b <= 0x7e && b != '"' && b != '\\';
			bad += dk_line_flat(line, len) != want;
		}
	srand(17);
	for (r = 0; r < 20000; r++) {
		len = (size_t)(rand() % 40);
		want = 1;
		for (i = 0; i < len; i++) {
			v[i] = rand() % 8 ? (unsigned char)('a' + rand() % 26) :
			    odd[rand() % sizeof(odd)];
			if (v[i] < 0x20 || v[i] > 0x7e || v[i] == '"' ||
			    v[i] == '\\')
				want = 0;
		}
		memcpy(line, "{\"a\":\"", 6);
		memcpy(line + 6, v, len);
		memcpy(line + 6 + len, "\"}", 2);
		bad += dk_line_flat(line, len + 8) != want;
	}
	CHECK_INT(bad, 0);
}

int
main(void)
{
	int i;

	setup();
	test_first_diff();
	test_replay();
	test_order_parse();
	test_intake();
	test_cleared();
	test_cleared_lines();
	test_contract_text();
	test_line_flat();
	test_line_flat_bytes();
	for (i = 0; i < 3; i++)
		dk_key_free(&keys[i]);
	dk_state_free(&st);
	return check_done("test-replay");
}
