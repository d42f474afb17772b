/* Unit tests for lib/settle/kpi.c: records fed in ledger order, each
 * entry bounded by the first timed checkpoint after it; the ratios and
 * their targets; nearest-rank percentiles; unbounded values; the period;
 * pending trades, cancelled contracts, provisional settlements. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"
#include "check.h"

static struct dk_err e;
static long long seq;
static const int64_t T0 = 1767225600;	/* 2026-01-01T00:00:00Z */

static int
feed(struct dk_kpi *k, const char *text)
{
	json_t *rec = json_loads(text, 0, NULL);
	int rc;

	if (rec == NULL) {
		fprintf(stderr, "bad test record: %s\n", text);
		exit(2);
	}
	memset(&e, 0, sizeof(e));
	rc = dk_kpi_entry(k, seq++, 0, rec, &e);
	json_decref(rec);
	return rc;
}

static int
checkpoint(struct dk_kpi *k, int64_t t)
{
	unsigned char root[32] = { 0 };
	char *text = dk_checkpoint_text("test/ledger", 1, root, t);
	json_t *r = json_pack("{s:s,s:i,s:s}", "type", "checkpoint", "v", 1,
	    "note", text);
	int rc;

	free(text);
	memset(&e, 0, sizeof(e));
	rc = dk_kpi_entry(k, seq++, 0, r, &e);
	json_decref(r);
	return rc;
}

/* a slot cleared with one sell and one buy order, and a contract */
static void
slot(struct dk_kpi *k, const char *slot, int sell, int buy, int matched)
{
	char b[512];

	snprintf(b, sizeof(b), "{\"type\":\"order\",\"v\":1,\"participant\":"
	    "\"a\",\"slot\":\"%s\",\"side\":\"sell\",\"wh\":%d,\"price\":1}",
	    slot, sell);
	CHECK_INT(feed(k, b), 0);
	snprintf(b, sizeof(b), "{\"type\":\"order\",\"v\":1,\"participant\":"
	    "\"b\",\"slot\":\"%s\",\"side\":\"buy\",\"wh\":%d,\"price\":1}",
	    slot, buy);
	CHECK_INT(feed(k, b), 0);
	snprintf(b, sizeof(b), "{\"type\":\"clearing\",\"v\":1,\"slot\":\"%s\","
	    "\"wh\":%d}", slot, matched);
	CHECK_INT(feed(k, b), 0);
	if (matched == 0)
		return;
	snprintf(b, sizeof(b), "{\"type\":\"contract\",\"v\":1,\"slot\":\"%s\","
	    "\"seller\":\"a\",\"buyer\":\"b\",\"sell_order\":\"s%s\","
	    "\"buy_order\":\"b%s\",\"wh\":%d}", slot, slot, slot, matched);
	CHECK_INT(feed(k, b), 0);
}

static void
settled(struct dk_kpi *k, const char *slot, const char *who, int prov)
{
	char b[512];

	snprintf(b, sizeof(b), "{\"type\":\"settlement\",\"v\":1,\"slot\":"
	    "\"%s\",\"participant\":\"%s\"%s}", slot, who, prov ?
	    ",\"provisional\":[\"m\"]" : "");
	CHECK_INT(feed(k, b), 0);
}

/* a trade of 10:00 held for review (pending), then contracted: a
 * person's contract */
static void
person(struct dk_kpi *k)
{
	CHECK_INT(feed(k, "{\"type\":\"pending\",\"v\":1,\"slot\":"
	    "\"2026-01-01T10:00:00Z\",\"contract\":{\"sell_order\":\"s1\","
	    "\"buy_order\":\"b1\"}}"), 0);
	CHECK_INT(feed(k, "{\"type\":\"contract\",\"v\":1,\"slot\":"
	    "\"2026-01-01T10:00:00Z\",\"seller\":\"a\",\"buyer\":\"b\","
	    "\"sell_order\":\"s1\",\"buy_order\":\"b1\"}"), 0);
}

/* The ledger of the tests, fed into k, which is then asked for the
 * period p. */
static void
build(struct dk_kpi *k, const char *p)
{
	dk_kpi_init(k);
	seq = 0;
	CHECK_INT(feed(k, "{\"type\":\"intake\",\"v\":1,\"key\":"
	    "\"RWQAAAAAAAAAAGfY4q9zG9h8f0JgQmVd6C0n0sQ8yJk2q3m1z5tVxYw0\","
	    "\"gate_closure_minutes\":-5}"), -1);	/* out of range: named */
	CHECK_HAS(e.msg, "intake");
	CHECK_INT(checkpoint(k, T0), 0);
	/* 10:00 and 10:30 cleared in one run at 09:45 (gates 09:00 and
	 * 09:30 by the default hour) */
	slot(k, "2026-01-01T10:00:00Z", 1000, 800, 800);
	slot(k, "2026-01-01T10:30:00Z", 100, 400, 50);
	CHECK_INT(checkpoint(k, T0 + 9 * 3600 + 45 * 60), 0);
	/* settled at 11:40: a and b of 10:00, a and b (b provisional) of
	 * 10:30 */
	settled(k, "2026-01-01T10:00:00Z", "a", 0);
	settled(k, "2026-01-01T10:00:00Z", "b", 0);
	settled(k, "2026-01-01T10:30:00Z", "a", 0);
	settled(k, "2026-01-01T10:30:00Z", "b", 1);
	settled(k, "2026-01-01T10:30:00Z", "c", 0);	/* no contract */
	CHECK_INT(checkpoint(k, T0 + 11 * 3600 + 40 * 60), 0);
	/* the next day: nothing matched, a pending trade never contracted;
	 * the day after: a slot that no checkpoint follows */
	slot(k, "2026-01-02T10:00:00Z", 100, 100, 0);
	CHECK_INT(feed(k, "{\"type\":\"pending\",\"v\":1,\"slot\":"
	    "\"2026-01-02T10:00:00Z\",\"contract\":{\"type\":\"contract\","
	    "\"sell_order\":\"x\",\"buy_order\":\"y\"}}"), 0);
	CHECK_INT(feed(k, "{\"type\":\"pending\",\"v\":1,\"slot\":"
	    "\"2026-01-02T10:00:00Z\",\"contract\":{\"type\":\"contract\","
	    "\"sell_order\":\"x2\",\"buy_order\":\"y\"}}"), 0);
	slot(k, "2026-01-03T10:00:00Z", 100, 100, 100);
	/* a record of a slot never cleared, and one with no slot */
	CHECK_INT(feed(k, "{\"type\":\"contract\",\"v\":1,\"slot\":"
	    "\"2026-02-01T10:00:00Z\"}"), 0);
	CHECK_INT(feed(k, "{\"type\":\"settlement\",\"v\":1}"), -1);
	CHECK_HAS(e.msg, "settlement");
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_period_parse(p, "UTC", &k->from, &k->to, &e), 0);
}

int
main(void)
{
	struct dk_kpi k;
	json_t *a;
	char *text;
	int i;

	CHECK_INT(dk_init(&e), 0);

	/* the first day */
	build(&k, "2026-01-01");
	CHECK_INT(dk_kpi_figures(&k, &e), 0);
	CHECK_INT(k.slots, 2);
	CHECK_INT(k.r[DK_KPI_MATCH].num, 850);
	CHECK_INT(k.r[DK_KPI_MATCH].den, 900);	/* 800 + 100 */
	CHECK_INT(k.r[DK_KPI_AUTO].num, 2);
	CHECK_INT(k.r[DK_KPI_AUTO].den, 2);
	CHECK_INT(k.r[DK_KPI_SETTLED].num, 3);
	CHECK_INT(k.r[DK_KPI_SETTLED].den, 4);
	/* gates 09:00 and 09:30 to 09:45 */
	CHECK_INT(k.d[DK_KPI_CONTRACT].n, 2);
	CHECK_INT(k.d[DK_KPI_CONTRACT].p50, 15 * 60);
	CHECK_INT(k.d[DK_KPI_CONTRACT].max, 45 * 60);
	CHECK_INT(k.d[DK_KPI_CONTRACT].over, 1);
	CHECK(!k.d[DK_KPI_CONTRACT].met);
	/* ends 10:30 and 11:00 to 11:40 */
	CHECK_INT(k.d[DK_KPI_SETTLE].p50, 40 * 60);
	CHECK_INT(k.d[DK_KPI_SETTLE].p99, 70 * 60);
	CHECK_INT(k.d[DK_KPI_RECEIPT].n, 0);
	CHECK(!k.met);
	a = dk_kpi_json(&k, "2026-01-01");
	CHECK_INT(json_array_size(a), 7);
	text = dk_canon(json_array_get(a, 2));
	CHECK_STR(text, "{\"den\":4,\"kpi\":\"settlement_completion\","
	    "\"met\":false,\"num\":3,\"period\":\"2026-01-01\","
	    "\"target_bp\":9900,\"type\":\"kpi\",\"v\":2,\"value_bp\":7500}");
	free(text);
	json_decref(a);
	dk_kpi_free(&k);

	/* the next two days: nothing matched, a trade held and never
	 * contracted, a contract no checkpoint bounds */
	build(&k, "2026-01-02..2026-01-03");
	CHECK_INT(dk_kpi_figures(&k, &e), 0);
	CHECK_INT(k.r[DK_KPI_MATCH].num, 100);
	CHECK_INT(k.r[DK_KPI_MATCH].den, 200);
	CHECK_INT(k.r[DK_KPI_AUTO].num, 1);
	CHECK_INT(k.r[DK_KPI_AUTO].den, 3);	/* two held, one contract */
	CHECK_INT(k.d[DK_KPI_CONTRACT].n, 1);
	CHECK_INT(k.d[DK_KPI_CONTRACT].unbounded, 1);
	CHECK_INT(k.d[DK_KPI_CONTRACT].over, 1);
	CHECK(!k.d[DK_KPI_CONTRACT].met);
	CHECK_INT(k.d[DK_KPI_SETTLE].unbounded, 1);	/* never settled */
	dk_kpi_free(&k);

	/* a month with nothing cleared */
	build(&k, "2025-12");
	CHECK_INT(dk_kpi_figures(&k, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_HAS(e.msg, "no slot of the period was cleared");
	dk_kpi_free(&k);

	/* nearest rank over 200 values, 0, 10, ... 1990 seconds from each
	 * slot's gate to its contract: p50 the 100th, p99 the 198th */
	dk_kpi_init(&k);
	seq = 0;
	for (i = 0; i < 200; i++) {
		int64_t t = T0 + 86400 + i * 1800LL;
		char sl[40];

		CHECK_INT(dk_time_utc(t, sl, sizeof(sl)), 0);
		slot(&k, sl, 10, 10, 10);
		CHECK_INT(checkpoint(&k, t - 3600 + 10 * i), 0);
	}
	CHECK_INT(dk_kpi_figures(&k, &e), 0);
	CHECK_INT(k.d[DK_KPI_CONTRACT].n, 200);
	CHECK_INT(k.d[DK_KPI_CONTRACT].p50, 990);
	CHECK_INT(k.d[DK_KPI_CONTRACT].p99, 1970);
	CHECK_INT(k.d[DK_KPI_CONTRACT].max, 1990);
	CHECK_INT(k.d[DK_KPI_CONTRACT].over, 19);
	CHECK(!k.d[DK_KPI_CONTRACT].met);
	CHECK_INT(k.r[DK_KPI_MATCH].num, 2000);
	CHECK(k.met == 0);	/* nothing settled */
	dk_kpi_free(&k);

	/* a contract after the pending record of its trade (its orders) is
	 * a person's: not automatic, not timed */
	dk_kpi_init(&k);
	seq = 0;
	slot(&k, "2026-01-01T10:00:00Z", 100, 100, 0);
	person(&k);
	CHECK_INT(checkpoint(&k, T0 + 10 * 3600), 0);
	CHECK_INT(dk_kpi_figures(&k, &e), 0);
	CHECK_INT(k.r[DK_KPI_AUTO].num, 0);
	CHECK_INT(k.r[DK_KPI_AUTO].den, 1);
	CHECK_INT(k.d[DK_KPI_CONTRACT].n, 0);
	CHECK_INT(k.d[DK_KPI_SETTLE].n, 1);	/* but it must be settled */
	CHECK_INT(k.r[DK_KPI_SETTLED].den, 2);
	dk_kpi_free(&k);

	/* bounded before the step could start: 10:00's contracts (one a
	 * person's) before its gate (09:00), 10:30's settlements before the
	 * slot ended (11:00): counted apart, out of the values, not met */
	dk_kpi_init(&k);
	seq = 0;
	slot(&k, "2026-01-01T10:00:00Z", 100, 100, 100);
	person(&k);
	CHECK_INT(checkpoint(&k, T0 + 8 * 3600 + 30 * 60), 0);
	slot(&k, "2026-01-01T10:30:00Z", 100, 100, 100);
	CHECK_INT(checkpoint(&k, T0 + 9 * 3600 + 40 * 60), 0);
	settled(&k, "2026-01-01T10:30:00Z", "a", 0);
	settled(&k, "2026-01-01T10:30:00Z", "b", 0);
	CHECK_INT(checkpoint(&k, T0 + 10 * 3600 + 50 * 60), 0);
	CHECK_INT(dk_kpi_figures(&k, &e), 0);
	CHECK_INT(k.d[DK_KPI_CONTRACT].early, 2);
	CHECK_INT(k.d[DK_KPI_CONTRACT].n, 1);	/* 10:30's alone */
	CHECK_INT(k.d[DK_KPI_CONTRACT].p50, 10 * 60);
	CHECK_INT(k.d[DK_KPI_CONTRACT].over, 0);
	CHECK(!k.d[DK_KPI_CONTRACT].met);
	CHECK_INT(k.d[DK_KPI_SETTLE].early, 1);
	CHECK_INT(k.d[DK_KPI_SETTLE].n, 1);	/* 10:00 never settled */
	CHECK_INT(k.d[DK_KPI_SETTLE].unbounded, 1);
	CHECK(!k.met);
	a = dk_kpi_json(&k, NULL);
	text = dk_canon(json_array_get(a, 4));
	CHECK_STR(text, "{\"early\":2,\"kpi\":\"clearing_to_contract\","
	    "\"limit\":1800,\"max\":600,\"met\":false,\"n\":1,"
	    "\"over\":0,\"p50\":600,\"p99\":600,\"period\":null,"
	    "\"type\":\"kpi\",\"unbounded\":0,\"v\":2}");
	free(text);
	json_decref(a);
	dk_kpi_free(&k);

	/* only contracts before the gate: nothing measured, still not met */
	dk_kpi_init(&k);
	seq = 0;
	slot(&k, "2026-01-01T10:00:00Z", 100, 100, 100);
	CHECK_INT(checkpoint(&k, T0 + 8 * 3600), 0);
	CHECK_INT(dk_kpi_figures(&k, &e), 0);
	CHECK_INT(k.d[DK_KPI_CONTRACT].n, 0);
	CHECK_INT(k.d[DK_KPI_CONTRACT].early, 1);
	CHECK(!k.d[DK_KPI_CONTRACT].met);
	CHECK(!k.met);
	a = dk_kpi_json(&k, NULL);
	CHECK(json_is_false(json_object_get(json_array_get(a, 4), "met")));
	CHECK(json_is_null(json_object_get(json_array_get(a, 4), "p50")));
	json_decref(a);
	dk_kpi_free(&k);

	return check_done("test-kpi");
}
