/* Unit tests for lib/ledger/gridwatch.c: the bands, the link capacity,
 * a stuck reading, gaps and the stable period before a lift. */
#include <stdio.h>
#include <string.h>

#include "denki.h"
#include "check.h"

static struct dk_state st;
static struct dk_gw_conf gc = { 49800, 50200, 207000, 253000, 600, 300,
	120, 120 };

static int
feed(struct dk_gw *g, const char *line, char *why, char *gap)
{
	struct dk_gw_reading r;
	struct dk_err e = { 0 };
	json_t *x = json_loads(line, 0, NULL);
	int rc;

	rc = dk_gw_read(g, x, &r, &e);
	if (rc == 0)
		rc = dk_gw_step(g, &r, why, 200, gap, 200, &e);
	json_decref(x);
	if (rc < 0)
		snprintf(why, 200, "%.199s", e.msg);
	return rc;
}

static void
setup(void)
{
	dk_state_init(&st);
	st.rules.slot_minutes = 30;
	strcpy(st.rules.tz, "UTC");
	st.rules.nlinks = 1;
	strcpy(st.rules.link[0].name, "t1");
	strcpy(st.rules.link[0].a, "hill");
	strcpy(st.rules.link[0].b, "town");
	st.rules.link[0].cap_wh = 5000;	/* 10,000 W */
	st.have_rules = 1;
}

/* A reading of hill sec seconds after 10:00. */
static int
at(struct dk_gw *g, int sec, int f, int v, char *why, char *gap)
{
	char line[200];

	snprintf(line, sizeof(line), "{\"time\":\"2098-01-01T%02d:%02d:%02dZ\","
	    "\"zone\":\"hill\",\"frequency_mhz\":%d,\"voltage_mv\":%d}",
	    10 + sec / 3600, sec / 60 % 60, sec % 60, f, v);
	return feed(g, line, why, gap);
}

#define T(s) "{\"time\":\"2098-01-01T10:" s "Z\",\"zone\":\"hill\","

static void
test_bands(void)
{
	struct dk_gw g;
	struct dk_err e = { 0 };
	char why[200], gap[200];
	int i;

	CHECK_INT(dk_gw_init(&g, &gc, &st, 0, &e), 0);
	CHECK_INT(g.nz, 2);
	CHECK_INT(feed(&g, T("00:00") "\"frequency_mhz\":50000,\"voltage_mv\":230000}", why, gap), 0);
	/* the band's edges are in it */
	CHECK_INT(feed(&g, T("00:10") "\"frequency_mhz\":49800,\"voltage_mv\":253000}", why, gap), 0);
	CHECK_INT(feed(&g, T("00:20") "\"frequency_mhz\":49799,\"voltage_mv\":230000}", why, gap), DK_GW_HALT);
	CHECK_STR(why, "frequency 49799 mHz outside 49800-50200");
	/* halted: no second halt while it stays out */
	CHECK_INT(feed(&g, T("00:30") "\"frequency_mhz\":49700,\"voltage_mv\":230000}", why, gap), 0);
	/* back in band at 40 s: lifted after 600 s in it, not before */
	for (i = 40; i < 640; i += 60)
		CHECK_INT(at(&g, i, 50000 + i % 7, 230000, why, gap), 0);
	CHECK_INT(at(&g, 640, 50001, 230000, why, gap), DK_GW_LIFT);
	CHECK_STR(why, "in every band for 600 s");
	CHECK_INT(at(&g, 650, 50000, 206999, why, gap), DK_GW_HALT);
	CHECK_STR(why, "voltage 206999 mV outside 207000-253000");
	dk_gw_free(&g);
}

static void
test_links_and_garbage(void)
{
	struct dk_gw g;
	struct dk_err e = { 0 };
	char why[200], gap[200];

	dk_gw_init(&g, &gc, &st, 0, &e);
	CHECK_INT(feed(&g, T("00:00") "\"frequency_mhz\":50000,\"voltage_mv\":230000,\"flows\":{\"t1\":-10000}}", why, gap), 0);
	CHECK_INT(feed(&g, T("00:10") "\"frequency_mhz\":50001,\"voltage_mv\":230000,\"flows\":{\"t1\":-10001}}", why, gap), DK_GW_HALT);
	CHECK_STR(why, "link t1: flow -10001 W over its capacity of 10000 W");
	CHECK_INT(feed(&g, T("00:20") "\"frequency_mhz\":50000,\"voltage_mv\":230000,\"flows\":{\"t9\":1}}", why, gap), -1);
	CHECK_STR(why, "flows: t9: not a link of the rules");
	CHECK_INT(feed(&g, T("00:20") "\"frequency_mhz\":\"50000\",\"voltage_mv\":230000}", why, gap), -1);
	CHECK(strncmp(why, "frequency_mhz: ", 15) == 0);
	CHECK_INT(feed(&g, "{\"time\":\"2098-01-01T10:00:30Z\",\"zone\":\"farm\",\"frequency_mhz\":50000,\"voltage_mv\":230000}", why, gap), -1);
	CHECK_STR(why, "zone: farm: no participant or link has this zone");
	/* time goes back in a zone */
	CHECK_INT(feed(&g, T("00:05") "\"frequency_mhz\":50000,\"voltage_mv\":230000}", why, gap), -1);
	CHECK_STR(why, "time: before the zone's reading before it (5 s earlier)");
	dk_gw_free(&g);
}

static void
test_stuck_and_gap(void)
{
	struct dk_gw g;
	struct dk_err e = { 0 };
	char why[200], gap[200];
	int i;

	dk_gw_init(&g, &gc, &st, 0, &e);
	CHECK_INT(feed(&g, T("00:00") "\"frequency_mhz\":50000,\"voltage_mv\":230000}", why, gap), 0);
	CHECK_INT(feed(&g, T("02:00") "\"frequency_mhz\":50000,\"voltage_mv\":230000}", why, gap), 0);
	CHECK_INT(feed(&g, T("04:00") "\"frequency_mhz\":50000,\"voltage_mv\":230000}", why, gap), 0);
	CHECK_INT(feed(&g, T("05:00") "\"frequency_mhz\":50000,\"voltage_mv\":230000}", why, gap), DK_GW_HALT);
	CHECK_STR(why, "stuck: frequency 50000 mHz and voltage 230000 mV unchanged for 300 s");
	/* moving again from 310 s; the gap of 400 s before 1110 s restarts
	 * the stable period there: lifted at 1710 s, not at 910 s */
	for (i = 310; i <= 710; i += 100)
		CHECK_INT(at(&g, i, 50001 + i % 3, 230000, why, gap), 0);
	CHECK_INT(at(&g, 1110, 50002, 230000, why, gap), DK_GW_GAP);
	CHECK_STR(gap, "zone hill: no reading for 400 s");
	for (i = 1200; i < 1710; i += 100)
		CHECK_INT(at(&g, i, 50001 + i % 3, 230000, why, gap), 0);
	CHECK_INT(at(&g, 1710, 50001, 230000, why, gap), DK_GW_LIFT);
	dk_gw_free(&g);
}

int
main(void)
{
	setup();
	test_bands();
	test_links_and_garbage();
	test_stuck_and_gap();
	dk_state_free(&st);
	return check_done("test-gridwatch");
}
