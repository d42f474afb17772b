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
	tmpdir_remove();
	return check_done("test-report");
}
