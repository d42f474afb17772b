/* Unit tests for lib/settle/statement.c and html.c, and the period and
 * detail of lib/settle/report.c: periods, reasons, a statement's sums,
 * CSV's shape, the page's escaping and charts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"
#include "check.h"
#include "community.h"

static void
test_period(void)
{
	static const char *const bad[] = { "", "2016", "2016-7", "2016-13",
		"2016-00", "2016-02-30", "2015-02-29", "1969-12", "2016-07-",
		"2016-07..", "..2016-07", "2016-07...2016-08",
		"2016-08..2016-07", "2016-07-02..2016-07-01", "2016/07",
		"2016-07-05T00" };
	char f[11], t[11];
	struct dk_err e = { 0 };
	size_t i;

	CHECK_INT(dk_stmt_period("2016-07", f, t, &e), 0);
	CHECK_STR(f, "2016-07");
	CHECK_STR(t, "2016-07");
	CHECK_INT(dk_stmt_period("2016-02-29", f, t, &e), 0);
	CHECK_INT(dk_stmt_period("2016-07..2016-09", f, t, &e), 0);
	CHECK_STR(f, "2016-07");
	CHECK_STR(t, "2016-09");
	CHECK_INT(dk_stmt_period("2016-07-05..2016-08", f, t, &e), 0);
	CHECK_STR(f, "2016-07-05");
	CHECK_STR(t, "2016-08");
	/* a day in the month it ends with */
	CHECK_INT(dk_stmt_period("2016-07..2016-07-05", f, t, &e), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.status = 0;
		CHECKF(dk_stmt_period(bad[i], f, t, &e) < 0, "%s", bad[i]);
		CHECK_INT(e.status, DK_EX_USAGE);
	}
}

static void
test_reason(void)
{
	CHECK_STR(dk_stmt_reason("surplus"), "surplus bought by the utility");
	CHECK_STR(dk_stmt_reason("membership"), "the monthly membership fee");
	CHECK_STR(dk_stmt_reason("trueup"),
	    "true-up of a provisional settlement");
	CHECK_STR(dk_stmt_reason("levy_x"), "levy_x");
}

/* A format into a string. */
static char *
render(int (*fn)(FILE *, const struct dk_stmt *), const struct dk_stmt *s)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&buf, &n);

	CHECK_INT(fn(fp, s), 0);
	fclose(fp);
	return buf;
}

static size_t
count(const char *s, const char *what)
{
	size_t n = 0;

	while ((s = strstr(s, what)) != NULL) {
		n++;
		s += strlen(what);
	}
	return n;
}

static void
test_ledger(const char *path)
{
	struct dk_report r, all;
	struct dk_err e = { 0 };
	struct dk_stmt s = { 0 };
	int64_t sum;
	size_t i, j;
	char *out, *p;

	CHECK_INT(dk_report_ledger(&all, path, cm_op.pk, &e), 0);
	CHECK_INT(dk_report_period(&r, path, cm_op.pk, "2026-01",
	    "2026-01-01", DK_REPORT_DETAIL, &e), 0);
	/* a period that holds the whole ledger: report's figures */
	CHECK_INT(r.nm, all.nm);
	CHECK_INT(r.matched, all.matched);
	CHECK_INT(r.avg, all.avg);
	for (i = 0; i < r.nm && i < all.nm; i++) {
		const struct dk_member *m = &r.m[i];

		CHECK_STR(m->id, all.m[i].id);
		CHECK_INT(m->net, all.m[i].net);
		CHECK_INT(m->baseline, all.m[i].baseline);
		CHECK_INT(m->nd, 1);
		CHECK_INT(m->d[0].net, m->net);
		CHECK_INT(m->d[0].imp, m->imp);
		/* the transfers, received less paid, are its net */
		for (j = 0, sum = 0; j < m->nf; j++)
			sum += m->f[j].received - m->f[j].paid;
		CHECK_INT(sum, m->net);
		/* deviations: grid out less grid in */
		CHECK_INT(m->gout - m->gin, (m->exp - m->imp) -
		    (m->sold - m->bought));
		CHECK(dk_report_member(&r, m->id) == m);
	}
	CHECK(dk_report_member(&r, "utility") == NULL);
	/* the last checkpoint's tree: every entry before it */
	CHECK_INT(r.cp_size, r.entries - 1);
	CHECK_STR(r.cp_origin, "denki.local/ledger");
	CHECK_INT(strlen(r.cp_root), 44);
	CHECK(json_object_get(r.known, "alice") != NULL);
	/* the community: every member summed; slot 1 metered alice 1000
	 * out, 5 in; bob 590 in, carol 410 in */
	for (i = 0, sum = 0; i < r.nm; i++)
		sum += r.m[i].net;
	CHECK_INT(r.all.net, sum);
	CHECK_INT(r.all.exp, 1000);
	CHECK_INT(r.all.imp, 1005);
	CHECK_INT(r.local_wh, 1000);

	s.r = &r;
	s.ledger = "a<b&c\".jsonl";
	s.period = "2026-01";
	s.ef = 500;
	s.checked = 1;
	s.id = "bob";
	s.m = dk_report_member(&r, "bob");
	out = render(dk_stmt_csv, &s);
	/* RFC 4180: CRLF and the same 18 fields on every line */
	CHECK_INT(count(out, "\r\n"), count(out, "\n"));
	for (p = out; *p; p = strchr(p, '\n') + 1) {
		size_t commas = 0, q = 0;
		char *c;

		for (c = p; *c != '\r'; c++)
			if (*c == '"')
				q = !q;
			else if (*c == ',' && !q)
				commas++;
		CHECK_INT(commas, 17);
	}
	CHECK_HAS(out, "\r\ntransfer,,alice,p2p,\"energy between members, "
	    "at the contract price\",1,");
	free(out);
	out = render(dk_stmt_html, &s);
	CHECK_HAS(out, "a&lt;b&amp;c&quot;.jsonl");
	CHECK(strstr(out, "a<b") == NULL);
	CHECK(strstr(out, "<script") == NULL);
	CHECK_INT(count(out, "<rect class=\"bar "), 4 + 2);
	CHECK_INT(count(out, "<circle class=\"point\""), 1);
	CHECK(strstr(out, "id=\"community\"") == NULL);
	free(out);

	/* the community's: its figures, in the page too */
	s.id = NULL;
	s.m = NULL;
	out = render(dk_stmt_text, &s);
	CHECK_HAS(out, "self-sufficiency           99.5%");
	CHECK_HAS(out, "CO2 avoided, kg            0.500");
	free(out);
	out = render(dk_stmt_html, &s);
	CHECK_HAS(out, "data-col=\"self_sufficiency\">99.5%");
	free(out);
	dk_report_free(&r);

	/* a member with nothing in the period: a statement that says so */
	CHECK_INT(dk_report_period(&r, path, cm_op.pk, "2026-02", "2026-02",
	    DK_REPORT_DETAIL, &e), 0);
	CHECK_INT(r.nm, 0);
	s.r = &r;
	s.period = "2026-02";
	s.id = "alice";
	s.m = dk_report_member(&r, "alice");
	CHECK(s.m == NULL);
	CHECK_INT(dk_stmt_member(&s)->slots, 0);
	out = render(dk_stmt_text, &s);
	CHECK_HAS(out, "No trades in 2026-02: this member has no settled slot");
	free(out);
	dk_report_free(&r);
	dk_report_free(&all);
}

int
main(void)
{
	struct dk_err e = { 0 };
	char path[128];

	test_period();
	test_reason();
	tmpdir_make("test-statement");
	snprintf(path, sizeof(path), "%s/ledger.jsonl", ck_tmp);
	community_keys();
	if (community_ledger(path, "denki.local/ledger", CM_GOOD, &e) < 0) {
		fprintf(stderr, "community_ledger: %s\n", e.msg);
		return 2;
	}
	test_ledger(path);
	community_free_keys();
	tmpdir_remove();
	return check_done("test-statement");
}
