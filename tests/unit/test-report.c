/* Unit tests for lib/settle/report.c: the community's figures and each
 * member's statement, from a whole ledger. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"
#include "check.h"
#include "community.h"

/* What the ledger's records say, added up here the simple way. */
struct sums {
	int64_t value;		/* of the contracts */
	int64_t net[3];		/* of each member's settlements */
};

static int
sum(void *ctx, long long seq, long line, json_t *rec, struct dk_err *e)
{
	struct sums *s = ctx;
	const char *type = json_string_value(json_object_get(rec, "type"));
	const char *who;
	int64_t v;
	int i;

	(void)seq;
	(void)line;
	(void)e;
	if (strcmp(type, "contract") == 0) {
		dk_value(json_integer_value(json_object_get(rec, "wh")),
		    json_integer_value(json_object_get(rec, "price")), &v);
		s->value += v;
	} else if (strcmp(type, "settlement") == 0) {
		who = json_string_value(json_object_get(rec, "participant"));
		for (i = 0; i < 3; i++)
			if (strcmp(who, cm_id[i]) == 0)
				s->net[i] += json_integer_value(json_object_get(
				    rec, "net"));
	}
	return 0;
}

/*
 * A statement's days (DK_REPORT_DETAIL) from settlements whose days come
 * out of order, each twice, past the 8 and 16 days at which their room
 * grows: each day once, in date order, with both its slots' sums.
 */
static void
test_days(void)
{
	struct dk_report r;
	struct dk_err e = { 0 };
	char slot[40], d[24];
	const struct dk_member *m;
	json_t *rec;
	int i, k;

	CHECK_INT(dk_report_init(&r), 0);
	r.flags = DK_REPORT_DETAIL;
	r.have_rules = 1;
	r.rules.retail = 30000;
	r.rules.buyback = 10000;
	for (i = 0; i < 40; i++) {
		k = (i * 7) % 20;
		snprintf(slot, sizeof(slot), "2016-07-%02dT%s:00:00+09:00",
		    k + 1, i < 20 ? "10" : "11");
		CHECK((rec = json_pack("{s:s,s:s,s:s,s:i,s:i,s:i,s:i}", "type",
		    "settlement", "participant", "alice", "slot", slot, "net",
		    k + 1, "sold_wh", 0, "bought_wh", 0, "deviation_wh",
		    0)) != NULL);
		CHECK_INT(dk_report_entry(&r, i, i + 1, rec, &e), 0);
		json_decref(rec);
	}
	CHECK_INT(r.nm, 1);
	m = dk_report_member(&r, "alice");
	CHECK(m != NULL);
	CHECK_INT(m->nd, 20);
	CHECK_INT(r.all.nd, 20);
	for (k = 0; k < 20 && m->nd == 20 && r.all.nd == 20; k++) {
		snprintf(d, sizeof(d), "2016-07-%02d", k + 1);
		CHECK_STR(m->d[k].date, d);
		CHECK_STR(r.all.d[k].date, d);
		CHECK_INT(m->d[k].slots, 2);
		CHECK_INT(m->d[k].net, 2 * (k + 1));
		CHECK_INT(r.all.d[k].net, 2 * (k + 1));
	}
	dk_report_free(&r);
}

int
main(void)
{
	struct dk_report r;
	struct dk_err e = { 0 };
	struct sums s;
	char path[128];
	int64_t base[3], avg;
	json_t *x;
	int i;

	tmpdir_make("test-report");
	snprintf(path, sizeof(path), "%s/ledger.jsonl", ck_tmp);
	community_keys();
	if (community_ledger(path, "denki.local/ledger", CM_GOOD, &e) < 0) {
		fprintf(stderr, "community_ledger: %s\n", e.msg);
		return 2;
	}
	memset(&s, 0, sizeof(s));
	CHECK_INT(dk_ledger_scan(path, cm_op.pk, sum, &s, &e), 0);

	CHECK_INT(dk_report_ledger(&r, path, cm_op.pk, &e), 0);
	CHECK_INT(r.orders, 5);
	CHECK_INT(r.slots, 2);
	CHECK_INT(r.contracts, 3);
	CHECK_INT(r.sell_wh, 1300);
	CHECK_INT(r.buy_wh, 1200);
	CHECK_INT(r.matchable, 1000 + 200);
	CHECK_INT(r.matched, 1200);
	CHECK_INT(r.value, s.value);
	CHECK_INT(dk_muldiv(s.value, 1000, 1200, &avg), 0);
	CHECK_INT(r.avg, avg);
	CHECK_STR(r.first, S1);
	CHECK_STR(r.last, S1);
	CHECK_STR(r.rules.currency, "JPY");
	/* by id; the baseline is the same meters at retail and buyback */
	CHECK_INT(r.nm, 3);
	CHECK_INT(dk_value(995, 100000, &base[0]), 0);
	CHECK_INT(dk_value(-590, 300000, &base[1]), 0);
	CHECK_INT(dk_value(-410, 300000, &base[2]), 0);
	for (i = 0; i < 3 && i < (int)r.nm; i++) {
		CHECK_STR(r.m[i].id, cm_id[i]);
		CHECK_INT(r.m[i].slots, 1);
		CHECK_INT(r.m[i].net, s.net[i]);
		CHECK_INT(r.m[i].baseline, base[i]);
	}
	CHECK_INT(r.m[0].exp, 1000);
	CHECK_INT(r.m[0].imp, 5);
	CHECK_INT(r.m[0].sold, 1000);
	CHECK_INT(r.m[1].bought, 600);
	CHECK_INT(r.m[2].bought, 400);

	x = dk_report_summary_json(&r, "l.jsonl");
	CHECK_STR(json_string_value(json_object_get(x, "type")), "summary");
	CHECK_STR(json_string_value(json_object_get(x, "ledger")), "l.jsonl");
	CHECK_INT(json_integer_value(json_object_get(x, "entries")), r.entries);
	CHECK_INT(json_integer_value(json_object_get(x, "matched_wh")), 1200);
	CHECK_INT(json_integer_value(json_object_get(x, "avg_price")), avg);
	CHECK_STR(json_string_value(json_object_get(x, "currency")), "JPY");
	json_decref(x);
	x = dk_report_statement_json(&r.m[1]);
	CHECK_STR(json_string_value(json_object_get(x, "type")), "statement");
	CHECK_STR(json_string_value(json_object_get(x, "participant")), "bob");
	CHECK_INT(json_integer_value(json_object_get(x, "import_wh")), 590);
	CHECK_INT(json_integer_value(json_object_get(x, "saving")),
	    s.net[1] - base[1]);
	json_decref(x);
	dk_report_free(&r);

	/* nothing matched: no average price */
	memset(&r, 0, sizeof(r));
	r.prices = json_object();
	x = dk_report_summary_json(&r, "l.jsonl");
	CHECK(json_is_null(json_object_get(x, "avg_price")));
	json_decref(x);
	dk_report_free(&r);

	/* the same with no operator key to check; none with another's */
	CHECK_INT(dk_report_ledger(&r, path, NULL, &e), 0);
	CHECK_INT(r.matched, 1200);
	dk_report_free(&r);
	CHECK_INT(dk_report_ledger(&r, path, cm_key[0].pk, &e), -1);
	CHECK_HAS(e.msg, "another operator key");
	dk_report_free(&r);
	CHECK_INT(dk_report_ledger(&r, "/nonexistent/l.jsonl", NULL, &e), -1);
	CHECK_INT(e.status, DK_EX_NOINPUT);
	dk_report_free(&r);

	community_free_keys();
	test_days();
	tmpdir_remove();
	return check_done("test-report");
}
