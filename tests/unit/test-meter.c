/* Unit tests for lib/meter/meter.c: readings from CSV files and the simulator. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "denki.h"
#include "check.h"

/* dk_meter_sim("m1", 42, 2016-07-05T00:00Z, 96 slots, 5000, 800), UTC,
 * 30-minute slots: the SHA-256 of its readings, one canonical line each.
 * The simulator promises the same stream from a seed on every machine. */
#define SIM_SEED42_SHA256 \
	"38fca91dc8a69259abc228e6c00181c0eb5e2423f5e303a0507f1f5937416434"
static const char *datadir = "tests/data/opsd";

struct got {
	size_t n, cap;
	char **line;
	json_t **rec;
	int nwarn;
	char warn[8][300];
	int fail_at;		/* the callback fails at this reading */
};

static int
collect(void *ctx, json_t *r, struct dk_err *e)
{
	struct got *g = ctx;

	if ((int)g->n == g->fail_at)
		return dk_fail(e, DK_EX_IOERR, "write error on stdout");
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 16;
		g->line = realloc(g->line, g->cap * sizeof(*g->line));
		g->rec = realloc(g->rec, g->cap * sizeof(*g->rec));
	}
	g->line[g->n] = dk_canon(r);
	g->rec[g->n] = json_incref(r);
	g->n++;
	return 0;
}

static void
on_warn(void *ctx, const char *msg)
{
	struct got *g = ctx;

	if (g->nwarn < 8)
		snprintf(g->warn[g->nwarn], sizeof(g->warn[0]), "%s", msg);
	g->nwarn++;
}

static void
got_free(struct got *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		free(g->line[i]);
		json_decref(g->rec[i]);
	}
	free(g->line);
	free(g->rec);
	memset(g, 0, sizeof(*g));
	g->fail_at = -1;
}

static struct dk_rules rules;

static int
csv(const char *text, const char *tz, int slot_minutes, const char *imp,
    const char *exp, struct got *g, struct dk_err *e)
{
	struct dk_csvopt opt;
	FILE *fp = fmemopen((void *)text, strlen(text), "r");
	int rc;

	strcpy(rules.tz, tz);
	rules.slot_minutes = slot_minutes;
	memset(&opt, 0, sizeof(opt));
	opt.meter = "m1";
	opt.import_col = imp;
	opt.export_col = exp;
	opt.rules = &rules;
	opt.warn = on_warn;
	memset(g, 0, sizeof(*g));
	g->fail_at = -1;
	memset(e, 0, sizeof(*e));
	rc = dk_meter_csv(fp, "in.csv", &opt, collect, g, e);
	fclose(fp);
	return rc;
}

/* The canonical reading with counters. */
static char *
rd(const char *slot, long long imp, long long exp, long long impt,
    long long expt)
{
	static char buf[16][300];
	static int k;

	k = (k + 1) % 16;
	if (impt < 0)
		snprintf(buf[k], sizeof(buf[k]), "{\"export_wh\":%lld,"
		    "\"import_wh\":%lld,\"meter\":\"m1\",\"slot\":\"%s\","
		    "\"type\":\"reading\",\"v\":1}", exp, imp, slot);
	else
		snprintf(buf[k], sizeof(buf[k]), "{\"export_total_wh\":%lld,"
		    "\"export_wh\":%lld,\"import_total_wh\":%lld,"
		    "\"import_wh\":%lld,\"meter\":\"m1\",\"slot\":\"%s\","
		    "\"type\":\"reading\",\"v\":1}", expt, exp, impt, imp,
		    slot);
	return buf[k];
}

#define LINE(g, i, want) do {						\
	if ((size_t)(i) < (g).n)					\
		CHECK_STR((g).line[i], want);				\
	else								\
		CHECKF(0, "no reading %d (%zu readings)", (int)(i), (g).n); \
} while (0)

static const char opsd[] =
    "utc_timestamp,DE_KN_r1_grid_export,DE_KN_r1_grid_import,DE_KN_r1_pv\n"
    "2016-07-03T20:00:00Z,100.000,5539.075,1.5\n"
    "2016-07-03T21:00:00Z,100.000,5539.527,1.5\n"
    "2016-07-03T22:00:00Z,100.010,5539.860,2\n"
    "2016-07-03T23:00:00Z,100.011,5540.167,2\n";

static void
test_opsd(void)
{
	struct got g;
	struct dk_err e;

	/* hourly counters into 30-minute slots: slot i of k gets
	 * floor(E(i+1)/k) - floor(Ei/k) */
	CHECK_INT(csv(opsd, "UTC", 30, NULL, NULL, &g, &e), 0);
	CHECK_INT(g.n, 6);
	LINE(g, 0, rd("2016-07-03T20:00:00+00:00", 226, 0, 5539301, 100000));
	LINE(g, 1, rd("2016-07-03T20:30:00+00:00", 226, 0, 5539527, 100000));
	LINE(g, 2, rd("2016-07-03T21:00:00+00:00", 166, 5, 5539693, 100005));
	LINE(g, 3, rd("2016-07-03T21:30:00+00:00", 167, 5, 5539860, 100010));
	LINE(g, 4, rd("2016-07-03T22:00:00+00:00", 153, 0, 5540013, 100010));
	LINE(g, 5, rd("2016-07-03T22:30:00+00:00", 154, 1, 5540167, 100011));
	CHECK_INT(g.nwarn, 0);
	got_free(&g);

	/* 15-minute slots: 333 Wh is 83, 83, 83, 84 */
	CHECK_INT(csv(opsd, "UTC", 15, NULL, NULL, &g, &e), 0);
	CHECK_INT(g.n, 12);
	LINE(g, 0, rd("2016-07-03T20:00:00+00:00", 113, 0, 5539188, 100000));
	LINE(g, 3, rd("2016-07-03T20:45:00+00:00", 113, 0, 5539527, 100000));
	LINE(g, 4, rd("2016-07-03T21:00:00+00:00", 83, 2, 5539610, 100002));
	LINE(g, 5, rd("2016-07-03T21:15:00+00:00", 83, 3, 5539693, 100005));
	LINE(g, 6, rd("2016-07-03T21:30:00+00:00", 83, 2, 5539776, 100007));
	LINE(g, 7, rd("2016-07-03T21:45:00+00:00", 84, 3, 5539860, 100010));
	got_free(&g);

	/* hourly slots: one reading an hour; slots named in the zone */
	CHECK_INT(csv(opsd, "Europe/Berlin", 60, NULL, NULL, &g, &e), 0);
	CHECK_INT(g.n, 3);
	LINE(g, 0, rd("2016-07-03T22:00:00+02:00", 452, 0, 5539527, 100000));
	LINE(g, 2, rd("2016-07-04T00:00:00+02:00", 307, 1, 5540167, 100011));
	got_free(&g);

	/* columns named by option (here the PV counter as import) */
	CHECK_INT(csv(opsd, "UTC", 60, "DE_KN_r1_pv", "DE_KN_r1_grid_import",
	    &g, &e), 0);
	CHECK_INT(g.n, 3);
	LINE(g, 0, rd("2016-07-03T20:00:00+00:00", 0, 452, 1500, 5539527));
	LINE(g, 1, rd("2016-07-03T21:00:00+00:00", 500, 333, 2000, 5539860));
	got_free(&g);

	/* no export column: export is 0 */
	CHECK_INT(csv("utc_timestamp,x_grid_import\r\n"
	    "2016-07-03T20:00:00Z,1.000\r\n"
	    "2016-07-03T21:00:00Z,1.5\r\n"
	    "2016-07-03T22:00:00Z,2\r\n", "UTC", 60, NULL, NULL, &g, &e), 0);
	CHECK_INT(g.n, 2);
	LINE(g, 0, rd("2016-07-03T20:00:00+00:00", 500, 0, 1500, 0));
	LINE(g, 1, rd("2016-07-03T21:00:00+00:00", 500, 0, 2000, 0));
	got_free(&g);
}

static void
test_gaps(void)
{
	struct got g;
	struct dk_err e;

	/* an empty cell: no reading on either side of that row */
	CHECK_INT(csv("utc_timestamp,a_grid_import,a_grid_export\n"
	    "2016-07-03T20:00:00Z,1.000,0\n"
	    "2016-07-03T21:00:00Z,1.100,0\n"
	    "2016-07-03T22:00:00Z,,0\n"
	    "2016-07-03T23:00:00Z,1.400,0\n"
	    "2016-07-04T00:00:00Z,1.600,0\n", "UTC", 30, NULL, NULL, &g,
	    &e), 0);
	CHECK_INT(g.n, 4);
	LINE(g, 0, rd("2016-07-03T20:00:00+00:00", 50, 0, 1050, 0));
	LINE(g, 1, rd("2016-07-03T20:30:00+00:00", 50, 0, 1100, 0));
	LINE(g, 2, rd("2016-07-03T23:00:00+00:00", 100, 0, 1500, 0));
	LINE(g, 3, rd("2016-07-03T23:30:00+00:00", 100, 0, 1600, 0));
	CHECK_INT(g.nwarn, 1);
	CHECK_HAS(g.warn[0], "in.csv:4: empty import value");
	got_free(&g);
	/* an empty export cell is a gap too */
	CHECK_INT(csv("utc_timestamp,a_grid_import,a_grid_export\n"
	    "2016-07-03T20:00:00Z,1.000,0\n"
	    "2016-07-03T21:00:00Z,1.100,\n"
	    "2016-07-03T22:00:00Z,1.200,0\n"
	    "2016-07-03T23:00:00Z,1.300,0\n", "UTC", 60, NULL, NULL, &g,
	    &e), 0);
	CHECK_INT(g.n, 1);
	LINE(g, 0, rd("2016-07-03T22:00:00+00:00", 100, 0, 1300, 0));
	CHECK_INT(g.nwarn, 1);
	CHECK_HAS(g.warn[0], "in.csv:3: empty export value");
	got_free(&g);

	/* a missing row is a gap: no reading for the hours it spans */
	CHECK_INT(csv("utc_timestamp,a_grid_import\n"
	    "2016-07-03T20:00:00Z,1.000\n"
	    "2016-07-03T21:00:00Z,1.100\n"
	    "2016-07-03T23:00:00Z,1.400\n"
	    "2016-07-04T00:00:00Z,1.600\n", "UTC", 30, NULL, NULL, &g, &e),
	    0);
	CHECK_INT(g.n, 4);
	LINE(g, 0, rd("2016-07-03T20:00:00+00:00", 50, 0, 1050, 0));
	LINE(g, 1, rd("2016-07-03T20:30:00+00:00", 50, 0, 1100, 0));
	LINE(g, 2, rd("2016-07-03T23:00:00+00:00", 100, 0, 1500, 0));
	LINE(g, 3, rd("2016-07-03T23:30:00+00:00", 100, 0, 1600, 0));
	CHECK_INT(g.nwarn, 1);
	CHECK_HAS(g.warn[0], "in.csv:4: 120 minutes since the row before");
	got_free(&g);
	/* and in data read every 15 minutes for 30-minute slots */
	CHECK_INT(csv("time,import_total_wh,export_total_wh\n"
	    "2016-07-05T10:00:00Z,0,0\n"
	    "2016-07-05T10:15:00Z,10,0\n"
	    "2016-07-05T10:30:00Z,20,0\n"
	    "2016-07-05T10:45:00Z,30,0\n"
	    "2016-07-05T11:15:00Z,50,0\n"
	    "2016-07-05T11:30:00Z,60,0\n"
	    "2016-07-05T11:45:00Z,70,0\n"
	    "2016-07-05T12:00:00Z,80,0\n", "UTC", 30, NULL, NULL, &g, &e),
	    0);
	CHECK_INT(g.n, 2);
	LINE(g, 0, rd("2016-07-05T10:00:00+00:00", 20, 0, 20, 0));
	LINE(g, 1, rd("2016-07-05T11:30:00+00:00", 20, 0, 80, 0));
	/* the gap, then the half of 11:00-11:30 after it, which is no slot */
	CHECK_INT(g.nwarn, 2);
	if (g.nwarn == 2)
		CHECK_HAS(g.warn[1], "in.csv:7: the interval before this row is "
		    "not inside a whole 30-minute slot");
	got_free(&g);

	/* a counter going backwards: a warning, no reading for it */
	CHECK_INT(csv("utc_timestamp,a_grid_import\n"
	    "2016-07-03T20:00:00Z,5539.075\n"
	    "2016-07-03T21:00:00Z,5539.527\n"
	    "2016-07-03T22:00:00Z,12.000\n"
	    "2016-07-03T23:00:00Z,12.301\n", "UTC", 30, NULL, NULL, &g, &e),
	    0);
	CHECK_INT(g.n, 4);
	LINE(g, 0, rd("2016-07-03T20:00:00+00:00", 226, 0, 5539301, 0));
	LINE(g, 1, rd("2016-07-03T20:30:00+00:00", 226, 0, 5539527, 0));
	LINE(g, 2, rd("2016-07-03T22:00:00+00:00", 150, 0, 12150, 0));
	LINE(g, 3, rd("2016-07-03T22:30:00+00:00", 151, 0, 12301, 0));
	CHECK_INT(g.nwarn, 1);
	CHECK_HAS(g.warn[0], "in.csv:4: counter went backwards");
	got_free(&g);
	/* the export counter backwards */
	CHECK_INT(csv("time,import_total_wh,export_total_wh\n"
	    "2016-07-03T20:00:00Z,10,100\n"
	    "2016-07-03T20:30:00Z,20,99\n"
	    "2016-07-03T21:00:00Z,30,109\n", "UTC", 30, NULL, NULL, &g, &e),
	    0);
	CHECK_INT(g.n, 1);
	LINE(g, 0, rd("2016-07-03T20:30:00+00:00", 10, 10, 30, 109));
	CHECK_INT(g.nwarn, 1);
	got_free(&g);
}

static void
test_plain(void)
{
	struct got g;
	struct dk_err e;

	/* counters in Wh, times with offsets, slots named in the zone */
	CHECK_INT(csv("time,import_total_wh,export_total_wh\n"
	    "2016-07-05T10:00:00+02:00,1000,50\n"
	    "2016-07-05T11:00:00+02:00,1201,60\n"
	    "2016-07-05T11:30:00+02:00,1301,60\n", "Europe/Berlin", 30,
	    NULL, NULL, &g, &e), 0);
	CHECK_INT(g.n, 3);
	LINE(g, 0, rd("2016-07-05T10:00:00+02:00", 100, 5, 1100, 55));
	LINE(g, 1, rd("2016-07-05T10:30:00+02:00", 101, 5, 1201, 60));
	LINE(g, 2, rd("2016-07-05T11:00:00+02:00", 100, 0, 1301, 60));
	CHECK_INT(g.nwarn, 0);
	got_free(&g);

	/* counters read every 15 minutes add up to 30-minute slots; the
	 * part before the first slot boundary is left out */
	CHECK_INT(csv("time,import_total_wh,export_total_wh\n"
	    "2016-07-05T10:15:00Z,0,0\n"
	    "2016-07-05T10:30:00Z,10,1\n"
	    "2016-07-05T10:45:00Z,30,2\n"
	    "2016-07-05T11:00:00Z,60,3\n"
	    "2016-07-05T11:15:00Z,100,4\n"
	    "2016-07-05T11:30:00Z,150,5\n", "UTC", 30, NULL, NULL, &g, &e),
	    0);
	CHECK_INT(g.n, 2);
	LINE(g, 0, rd("2016-07-05T10:30:00+00:00", 50, 2, 60, 3));
	LINE(g, 1, rd("2016-07-05T11:00:00+00:00", 90, 2, 150, 5));
	got_free(&g);

	/* energy per slot, by slot start: no counters in the reading */
	CHECK_INT(csv("start,import_wh,export_wh\n"
	    "2016-07-05T10:00:00Z,12,0\n"
	    "2016-07-05T10:30:00Z,0,7\n"
	    "2016-07-05T13:00:00+02:00,100000000,0\n", "UTC", 30, NULL, NULL,
	    &g, &e), 0);
	CHECK_INT(g.n, 3);
	LINE(g, 0, rd("2016-07-05T10:00:00+00:00", 12, 0, -1, -1));
	LINE(g, 1, rd("2016-07-05T10:30:00+00:00", 0, 7, -1, -1));
	LINE(g, 2, rd("2016-07-05T11:00:00+00:00", 100000000, 0, -1, -1));
	got_free(&g);
}

static void
csv_fails(const char *text, int slot_minutes, int status, const char *msg,
    size_t nread, int line)
{
	struct got g;
	struct dk_err e;
	int rc = csv(text, "UTC", slot_minutes, NULL, NULL, &g, &e);

	CHECKF(rc == -1, "line %d: accepted", line);
	CHECKF(e.status == status, "line %d: status %d, want %d", line,
	    e.status, status);
	CHECKF(strstr(e.msg, msg) != NULL, "line %d: message \"%s\" lacks "
	    "\"%s\"", line, e.msg, msg);
	CHECKF(g.n == nread, "line %d: %zu readings before the error, want "
	    "%zu", line, g.n, nread);
	got_free(&g);
}
#define CSV_FAILS(t, s, st, m, n) csv_fails((t), (s), (st), (m), (n), __LINE__)

static void
test_bad(void)
{
	CSV_FAILS("", 30, DK_EX_DATAERR, "in.csv:1: empty file, no header", 0);
	CSV_FAILS("a,b,c\n1,2,3\n", 30, DK_EX_DATAERR,
	    "in.csv:1: header: not a known layout", 0);
	CSV_FAILS("time,foo\n", 30, DK_EX_DATAERR, "no import column", 0);
	CSV_FAILS("time,import_total_wh,export_total_wh\n"
	    "2016-07-05T10:00:00Z,10,0\n"
	    "2016-07-05T10:00:00Z,20,0\n", 30, DK_EX_DATAERR,
	    "in.csv:3: time goes backwards or repeats", 0);
	CSV_FAILS("time,import_total_wh,export_total_wh\n"
	    "2016-07-05T10:00:00Z,10,0\n"
	    "2016-07-05T10:30:00Z,12.5,0\n", 30, DK_EX_DATAERR,
	    "in.csv:3: import: must be a non-negative integer of Wh, got "
	    "\"12.5\"", 0);
	CSV_FAILS("time,import_total_wh,export_total_wh\n"
	    "2016-07-05T10:00:00Z,10,-1\n", 30, DK_EX_DATAERR,
	    "in.csv:2: export: must be a non-negative integer of Wh", 0);
	CSV_FAILS("utc_timestamp,a_grid_import\n"
	    "2016-07-05T10:00:00Z,1.0001\n", 30, DK_EX_DATAERR,
	    "number of kWh with at most 3 decimals, got \"1.0001\"", 0);
	CSV_FAILS("utc_timestamp,a_grid_import\n"
	    "2016-07-05T10:00:00Z,1.0.0\n", 30, DK_EX_DATAERR,
	    "in.csv:2: import:", 0);
	CSV_FAILS("time,import_total_wh,export_total_wh\n"
	    "2016-07-05T10:00:00Z,10\n", 30, DK_EX_DATAERR,
	    "in.csv:2: too few fields", 0);
	CSV_FAILS("time,import_total_wh,export_total_wh\n"
	    "2016-07-05 10:00,10,0\n", 30, DK_EX_DATAERR,
	    "in.csv:2: time: must be an RFC 3339 time", 0);
	CSV_FAILS("utc_timestamp,a_grid_import\n"
	    "2016-07-05T10:00:00,1\n", 30, DK_EX_DATAERR,
	    "in.csv:2: utc_timestamp: must be an RFC 3339", 0);
	/* 45 minutes fit no 30-minute slots */
	CSV_FAILS("time,import_total_wh,export_total_wh\n"
	    "2016-07-05T10:00:00Z,10,0\n"
	    "2016-07-05T10:45:00Z,20,0\n", 30, DK_EX_DATAERR,
	    "in.csv:3: an interval of 45 minutes does not fit 30-minute "
	    "slots", 0);
	/* more than 100 MWh in one slot */
	CSV_FAILS("time,import_total_wh,export_total_wh\n"
	    "2016-07-05T10:00:00Z,0,0\n"
	    "2016-07-05T10:30:00Z,100000001,0\n", 30, DK_EX_DATAERR,
	    "in.csv:3: more than 100000000 Wh in one slot", 0);
	CSV_FAILS("start,import_wh,export_wh\n"
	    "2016-07-05T10:00:00Z,1,0\n"
	    "2016-07-05T10:30:00Z,0,100000001\n", 30, DK_EX_DATAERR,
	    "in.csv:3: more than 100000000 Wh in one slot", 1);
	CSV_FAILS("start,import_wh,export_wh\n"
	    "2016-07-05T10:00:00Z,1,0\n"
	    "2016-07-05T10:15:00Z,1,0\n", 30, DK_EX_DATAERR,
	    "in.csv:3: start: not on a 30-minute slot boundary", 1);

	/* "." is not a number of kWh (it read as 0, and the next row made
	 * 5539500 Wh out of nothing) */
	CSV_FAILS("utc_timestamp,a_grid_import\n"
	    "2016-07-03T20:00:00Z,5539.075\n"
	    "2016-07-03T21:00:00Z,.\n"
	    "2016-07-03T22:00:00Z,5539.500\n", 60, DK_EX_DATAERR,
	    "in.csv:3: import: must be a non-negative number of kWh", 0);
	/* counters beyond 2^53-1 Wh cannot be in a reading (the profile) */
	CSV_FAILS("utc_timestamp,a_grid_import\n"
	    "2016-07-03T20:00:00Z,9007199254740.990\n"
	    "2016-07-03T21:00:00Z,9007199254740.992\n", 60, DK_EX_DATAERR,
	    "in.csv:3: import:", 0);
	CSV_FAILS("time,import_total_wh,export_total_wh\n"
	    "2016-07-03T20:00:00Z,9007199254740990,0\n"
	    "2016-07-03T21:00:00Z,9007199254740992,0\n", 60, DK_EX_DATAERR,
	    "in.csv:3: import:", 0);
	CSV_FAILS("time,import_total_wh,export_total_wh\n"
	    "2016-07-03T20:00:00Z,0,9007199254740990\n"
	    "2016-07-03T21:00:00Z,0,9007199254740999\n", 60, DK_EX_DATAERR,
	    "in.csv:3: export:", 0);
	{
		/* right at the limit is fine */
		struct got g;
		struct dk_err e;
		int64_t slot;

		CHECK_INT(csv("time,import_total_wh,export_total_wh\n"
		    "2016-07-03T20:00:00Z,9007199254740990,0\n"
		    "2016-07-03T21:00:00Z,9007199254740991,0\n", "UTC", 60,
		    NULL, NULL, &g, &e), 0);
		CHECK_INT(g.n, 1);
		if (g.n == 1)
			CHECK_INT(dk_reading_check(g.rec[0], &rules, &slot,
			    &e), 0);
		got_free(&g);
	}

	/* the callback's failure stops the reading and is passed on */
	{
		struct got g;
		struct dk_err e;
		struct dk_csvopt opt;
		FILE *fp = fmemopen((void *)opsd, strlen(opsd), "r");

		strcpy(rules.tz, "UTC");
		rules.slot_minutes = 30;
		memset(&opt, 0, sizeof(opt));
		opt.meter = "m1";
		opt.rules = &rules;
		memset(&g, 0, sizeof(g));
		g.fail_at = 3;
		memset(&e, 0, sizeof(e));
		CHECK_INT(dk_meter_csv(fp, "in.csv", &opt, collect, &g, &e),
		    -1);
		CHECK_INT(e.status, DK_EX_IOERR);
		CHECK_INT(g.n, 3);
		fclose(fp);
		got_free(&g);
	}
}

/*
 * Counters 15 minutes apart, then one 30 minutes apart that straddles the
 * 11:00 boundary: the energy of 10:45-11:15 cannot be split between the
 * slots of 10:30 and 11:00.  Whatever the library does about it, no
 * reading may put energy measured after 11:00 into the 10:30 slot.
 */
static void
test_straddle(void)
{
	struct got g;
	struct dk_err e;
	size_t i;
	int rc, bad = 0;

	rc = csv("time,import_total_wh,export_total_wh\n"
	    "2016-07-05T10:30:00Z,0,0\n"
	    "2016-07-05T10:45:00Z,10,0\n"
	    "2016-07-05T11:15:00Z,40,0\n"
	    "2016-07-05T11:30:00Z,50,0\n", "UTC", 30, NULL, NULL, &g, &e);
	CHECKF(rc == 0 || e.status == DK_EX_DATAERR, "status %d", e.status);
	for (i = 0; i < g.n; i++)
		if (strstr(g.line[i], "\"slot\":\"2016-07-05T10:30:00+00:00\"")
		    != NULL || strstr(g.line[i],
		    "\"slot\":\"2016-07-05T11:00:00+00:00\"") != NULL) {
			fprintf(stderr, "straddling interval gave %s\n",
			    g.line[i]);
			bad++;
		}
	CHECK_INT(bad, 0);
	got_free(&g);
}

/*
 * Counters read off the slot boundaries (every 15 minutes from 10:10, or
 * every 30 from 10:15, for 30-minute slots; every hour at :30 for hourly
 * slots) make no reading for any slot.  That may be right, but it must
 * not be silent: the design says a rejected record is reported, never
 * silently dropped, so the caller gets a warning or an error.
 */
static void
test_misaligned(void)
{
	static const struct {
		const char *csv;
		int slot;
	} v[] = {
		{ "time,import_total_wh,export_total_wh\n"
		    "2016-07-05T10:10:00Z,0,0\n"
		    "2016-07-05T10:25:00Z,10,0\n"
		    "2016-07-05T10:40:00Z,20,0\n"
		    "2016-07-05T10:55:00Z,30,0\n"
		    "2016-07-05T11:10:00Z,40,0\n"
		    "2016-07-05T11:25:00Z,50,0\n", 30 },
		{ "time,import_total_wh,export_total_wh\n"
		    "2016-07-05T10:15:00Z,0,0\n"
		    "2016-07-05T10:45:00Z,10,0\n"
		    "2016-07-05T11:15:00Z,20,0\n"
		    "2016-07-05T11:45:00Z,30,0\n", 30 },
		{ "time,import_total_wh,export_total_wh\n"
		    "2016-07-05T10:30:00Z,0,0\n"
		    "2016-07-05T11:30:00Z,10,0\n"
		    "2016-07-05T12:30:00Z,20,0\n", 60 },
	};
	struct got g;
	struct dk_err e;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		rc = csv(v[i].csv, "UTC", v[i].slot, NULL, NULL, &g, &e);
		CHECKF(g.n > 0 || g.nwarn > 0 || (rc == -1 &&
		    e.status == DK_EX_DATAERR), "case %zu: rows off the "
		    "%d-minute slot boundaries: rc %d, %zu readings, %d "
		    "warnings: the energy is dropped silently", i, v[i].slot,
		    rc, g.n, g.nwarn);
		got_free(&g);
	}
}

/* "5539.075" kWh as Wh, by hand; -1 if empty. */
static long long
kwh(const char *s)
{
	long long v = 0;
	int dec = -1;

	if (*s == '\0' || *s == '\n' || *s == '\r' || *s == ',')
		return -1;
	for (; *s != '\0' && *s != ',' && *s != '\n' && *s != '\r'; s++) {
		if (*s == '.') {
			dec = 0;
			continue;
		}
		v = v * 10 + (*s - '0');
		if (dec >= 0)
			dec++;
	}
	for (dec = dec < 0 ? 0 : dec; dec < 3; dec++)
		v *= 10;
	return v;
}

/*
 * A whole OPSD household file, checked against the rule computed here:
 * each pair of consecutive hourly rows with both counters present and
 * neither going backwards gives k readings split by floor(E(i+1)/k) -
 * floor(Ei/k); no other readings exist.
 */
static void
test_real(const char *file, int slot_minutes)
{
	char path[512], *line = NULL, *f;
	size_t cap = 0, nrows = 0, i, j, expect = 0;
	long long (*row)[3] = NULL;	/* t, import, export */
	int ii = -1, xi = -1, col, k = 60 / slot_minutes;
	int bad = 0, mism = 0;
	struct dk_csvopt opt;
	struct dk_err e;
	struct got g;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", datadir, file);
	if ((fp = fopen(path, "r")) == NULL) {
		CHECKF(0, "%s: missing", path);
		return;
	}
	if (getline(&line, &cap, fp) > 0)
		for (col = 0, f = line; f != NULL; col++) {
			size_t n = strcspn(f, ",\r\n");
			if (n >= 12 && strncmp(f + n - 12, "_grid_import",
			    12) == 0)
				ii = col;
			if (n >= 12 && strncmp(f + n - 12, "_grid_export",
			    12) == 0)
				xi = col;
			f = f[n] == ',' ? f + n + 1 : NULL;
		}
	while (getline(&line, &cap, fp) > 0) {
		struct dk_err te;
		int64_t t;

		row = realloc(row, (nrows + 1) * sizeof(*row));
		line[20] = '\0';
		dk_time_parse(line, &t, &te);
		row[nrows][0] = t;
		row[nrows][1] = row[nrows][2] = 0;
		for (col = 1, f = line + 21; f != NULL; col++) {
			if (col == ii)
				row[nrows][1] = kwh(f);
			if (col == xi)
				row[nrows][2] = kwh(f);
			f = strchr(f, ',');
			if (f != NULL)
				f++;
		}
		nrows++;
	}
	rewind(fp);
	strcpy(rules.tz, "UTC");
	rules.slot_minutes = slot_minutes;
	memset(&opt, 0, sizeof(opt));
	opt.meter = "m1";
	opt.rules = &rules;
	opt.warn = on_warn;
	memset(&g, 0, sizeof(g));
	g.fail_at = -1;
	memset(&e, 0, sizeof(e));
	CHECKF(dk_meter_csv(fp, file, &opt, collect, &g, &e) == 0, "%s: %s",
	    file, e.msg);
	fclose(fp);

	for (i = 0, j = 0; i + 1 < nrows; i++) {
		long long di = row[i + 1][1] - row[i][1];
		long long de = row[i + 1][2] - row[i][2];
		int m;

		if (row[i][1] < 0 || row[i + 1][1] < 0 || row[i][2] < 0 ||
		    row[i + 1][2] < 0 || di < 0 || de < 0 ||
		    row[i + 1][0] - row[i][0] != 3600)
			continue;
		for (m = 0; m < k; m++, expect++) {
			char want[300], ts[40];
			dk_time_format(row[i][0] + m * slot_minutes * 60,
			    "UTC", ts, sizeof(ts));
			snprintf(want, sizeof(want), "%s", rd(ts,
			    di * (m + 1) / k - di * m / k,
			    de * (m + 1) / k - de * m / k,
			    row[i][1] + di * (m + 1) / k,
			    row[i][2] + de * (m + 1) / k));
			/* readings come in file order: find it from j on */
			while (j < g.n && strcmp(g.line[j], want) != 0) {
				if (bad++ == 0)
					fprintf(stderr, "%s: unexpected %s\n",
					    file, g.line[j]);
				j++;
			}
			if (j == g.n) {
				if (mism++ == 0)
					fprintf(stderr, "%s: missing %s\n",
					    file, want);
			} else
				j++;
		}
	}
	bad += (int)(g.n - j);
	/* and every one of them is a valid reading record */
	for (i = 0; i < g.n; i++) {
		int64_t slot;
		if (dk_reading_check(g.rec[i], &rules, &slot, &e) < 0 &&
		    bad++ == 0)
			fprintf(stderr, "%s: %s: %s\n", file, g.line[i], e.msg);
	}
	CHECKF(bad == 0 && mism == 0 && g.n == expect, "%s: %zu readings, "
	    "%zu expected, %d unexpected, %d missing", file, g.n, expect,
	    bad, mism);
	got_free(&g);
	free(row);
	free(line);
}

static void
test_sim(void)
{
	struct dk_err e;
	struct dk_csvopt opt;
	struct got a, b, c;
	unsigned char h[32];
	char hex[65];
	crypto_hash_sha256_state st;
	size_t i;
	int night = 0, bad = 0;
	int64_t from = 1467676800;	/* 2016-07-05T00:00:00Z */

	strcpy(rules.tz, "UTC");
	rules.slot_minutes = 30;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	a.fail_at = b.fail_at = c.fail_at = -1;
	memset(&e, 0, sizeof(e));
	memset(&opt, 0, sizeof(opt));
	opt.meter = "m1";
	opt.rules = &rules;
	CHECK_INT(dk_meter_sim(&opt, 42, from, 96, 5000, 800, collect, &a,
	    &e), 0);
	CHECK_INT(dk_meter_sim(&opt, 42, from, 96, 5000, 800, collect, &b,
	    &e), 0);
	CHECK_INT(dk_meter_sim(&opt, 43, from, 96, 5000, 800, collect, &c,
	    &e), 0);
	CHECK_INT(a.n, 96);
	CHECK_INT(b.n, 96);
	for (i = 0; i < a.n && i < b.n; i++)
		if (strcmp(a.line[i], b.line[i]) != 0)
			bad++;
	CHECK_INT(bad, 0);	/* the same seed, the same readings */
	for (bad = 0, i = 0; i < a.n && i < c.n; i++)
		if (strcmp(a.line[i], c.line[i]) != 0)
			bad++;
	CHECK(bad > 48);	/* another seed, other readings */
	crypto_hash_sha256_init(&st);
	for (i = 0; i < a.n; i++) {
		json_t *r = a.rec[i];
		char ts[40];
		int64_t imp = json_integer_value(json_object_get(r,
		    "import_wh"));
		int64_t exp = json_integer_value(json_object_get(r,
		    "export_wh"));
		int64_t t = from + (int64_t)i * 1800;
		int minute = (int)((t % 86400) / 60) + 15;

		dk_time_format(t, "UTC", ts, sizeof(ts));
		CHECK_STR(json_string_value(json_object_get(r, "slot")), ts);
		/* one of the two is zero; no PV at night */
		if (imp != 0 && exp != 0)
			bad++;
		if ((minute <= 360 || minute >= 1080) && exp != 0)
			night++;
		if (imp < 0 || exp < 0 || json_object_get(r,
		    "import_total_wh") != NULL)
			bad++;
		crypto_hash_sha256_update(&st, (unsigned char *)a.line[i],
		    strlen(a.line[i]));
		crypto_hash_sha256_update(&st, (unsigned char *)"\n", 1);
	}
	CHECK_INT(night, 0);
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(hex, sizeof(hex), h, 32);
	/* the stream is the same on every machine: pinned */
	CHECK_STR(hex, SIM_SEED42_SHA256);
	got_free(&a);
	got_free(&b);
	got_free(&c);
}

/* A reading's line (dk_csvopt's line), kept as collect keeps a record's. */
static int
collect_line(void *ctx, const char *line, struct dk_err *e)
{
	struct got *g = ctx;

	(void)e;
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 16;
		g->line = realloc(g->line, g->cap * sizeof(*g->line));
		g->rec = realloc(g->rec, g->cap * sizeof(*g->rec));
	}
	g->line[g->n] = strdup(line);
	g->rec[g->n] = NULL;
	g->n++;
	return 0;
}

/* Each of a's records, signed by k unless NULL, written by dk_canon: b's
 * lines, byte for byte; both as many. */
static void
same_lines(struct got *a, struct got *b, const struct dk_key *k)
{
	struct dk_err e = { 0 };
	size_t i, bad = 0;
	char *c;

	CHECK_INT((long long)a->n, (long long)b->n);
	for (i = 0; i < a->n && i < b->n; i++) {
		if (k != NULL)
			CHECK_INT(dk_sign_record(a->rec[i], k, &e), 0);
		c = dk_canon(a->rec[i]);
		if (strcmp(c, b->line[i]) != 0 && bad++ == 0)
			CHECKF(0, "reading %zu: %s, not %s", i, b->line[i], c);
		free(c);
	}
	CHECK_INT((long long)bad, 0);
}

/*
 * The line path (dk_csvopt's line and key): the lines the records would
 * make (dk_sign_record, then dk_canon, as meter-read wrote them), byte for
 * byte, signed or not, with counters (OPSD, a time zone away from UTC) and
 * without (intervals, the simulator); a meter id that would need escaping
 * refused rather than written wrong.
 */
static void
test_lines(void)
{
	static const char *files[] = { "DE_KN_residential3_slice.csv",
		"DE_KN_residential4_slice.csv", NULL };
	const char *ivl = "start,import_wh,export_wh\n"
	    "2016-07-05T10:00:00Z,12,0\n2016-07-05T10:30:00Z,0,987654\n"
	    "2016-07-05T11:00:00Z,3,0\n";
	struct dk_csvopt opt;
	struct dk_key key;
	struct dk_err e = { 0 };
	struct got a, b;
	char path[512];
	FILE *fp;
	int i, signd;

	CHECK_INT(dk_key_generate(&key, &e), 0);
	strcpy(rules.tz, "Europe/Berlin");
	rules.slot_minutes = 15;
	for (signd = 0; signd < 2; signd++) {
		for (i = 0; files[i] != NULL || i == 2; i++) {
			memset(&opt, 0, sizeof(opt));
			opt.meter = "kn1-m";
			opt.rules = &rules;
			memset(&a, 0, sizeof(a));
			memset(&b, 0, sizeof(b));
			a.fail_at = b.fail_at = -1;
			snprintf(path, sizeof(path), "%s/%s", datadir,
			    files[i] ? files[i] : "");
			fp = files[i] ? fopen(path, "r") :
			    fmemopen((void *)ivl, strlen(ivl), "r");
			CHECKF(fp != NULL, "%s: missing", path);
			if (fp == NULL)
				continue;
			CHECK_INT(dk_meter_csv(fp, "in.csv", &opt, collect, &a,
			    &e), 0);
			rewind(fp);
			opt.line = collect_line;
			opt.key = signd ? &key : NULL;
			CHECK_INT(dk_meter_csv(fp, "in.csv", &opt, NULL, &b,
			    &e), 0);
			fclose(fp);
			CHECK(a.n >= 3);
			same_lines(&a, &b, opt.key);
			if (files[i] != NULL)
				CHECK_HAS(b.line[0], "\"export_total_wh\":");
			CHECK_INT(strstr(b.line[0], "\"sig\":\"") != NULL,
			    signd);
			got_free(&a);
			got_free(&b);
			if (files[i] == NULL)
				break;
		}
		memset(&opt, 0, sizeof(opt));
		opt.meter = "s.1_X";
		opt.rules = &rules;
		CHECK_INT(dk_meter_sim(&opt, 7, 1467676800, 96, 5000, 800,
		    collect, &a, &e), 0);
		opt.line = collect_line;
		opt.key = signd ? &key : NULL;
		CHECK_INT(dk_meter_sim(&opt, 7, 1467676800, 96, 5000, 800,
		    NULL, &b, &e), 0);
		same_lines(&a, &b, opt.key);
		got_free(&a);
		got_free(&b);
	}
	opt.meter = "m\"1";
	CHECK_INT(dk_meter_sim(&opt, 7, 1467676800, 2, 5000, 800, NULL, &b,
	    &e), -1);
	CHECK_INT(e.status, DK_EX_SOFTWARE);
	CHECK_INT((long long)b.n, 0);
	got_free(&b);
	dk_key_free(&key);
	strcpy(rules.tz, "UTC");
	rules.slot_minutes = 30;
}

/* The walk from counters to slots (lib/meter/walk.c). */
struct slots {
	int n;
	int64_t slot[400];
	int64_t imp[400], exp[400];
	char gap[400][16];
	char ts[400][40];
	const char *tz;
};

static int
on_slot(void *ctx, const struct dk_slotres *r, struct dk_err *e)
{
	struct slots *g = ctx;
	json_t *o;

	(void)e;
	if (g->n >= 400)
		return 0;
	g->slot[g->n] = r->slot;
	g->imp[g->n] = r->import_wh;
	g->exp[g->n] = r->export_wh;
	snprintf(g->gap[g->n], sizeof(g->gap[0]), "%s", r->gap ? r->gap : "");
	o = dk_slotres_json(r, g->tz ? g->tz : "UTC");
	snprintf(g->ts[g->n], sizeof(g->ts[0]), "%s",
	    json_string_value(json_object_get(o, "slot")));
	json_decref(o);
	g->n++;
	return 0;
}

static void
feed(struct dk_walk *w, struct slots *g, int64_t t, int exact, int64_t imp,
    int64_t exp, int64_t wrap)
{
	struct dk_sample s;
	struct dk_err e = { 0 };

	memset(&s, 0, sizeof(s));
	s.t = t;
	s.exact = exact;
	s.import_mwh = imp;
	s.export_mwh = exp;
	s.wrap_mwh = wrap;
	s.power_w = DK_NOVAL;
	CHECK(dk_walk_feed(w, &s, on_slot, g, &e) == 0);
}

#define T0 1767261600LL		/* 2026-01-01T10:00:00Z */

static void
test_walk_telescope(void)
{
	struct dk_walk w;
	struct slots g;
	int64_t c = 123456789, first, sum = 0;
	uint64_t x = 7;
	int i;

	memset(&g, 0, sizeof(g));
	dk_walk_init(&w, "m", "grid", 30, 60);
	first = c;
	/* a sample every 7 minutes, odd milli-Wh steps; boundaries hit by
	 * samples 0..59 s after them, or not at all (then a gap) */
	for (i = 0; i < 300; i++) {
		x = x * 1103515245 + 12345;
		c += (int64_t)(x >> 8 & 0xfffff);
		feed(&w, &g, T0 + i * 420 + (i % 3 == 0 ? 0 : 13), 0, c,
		    DK_NOVAL, 0);
		if (i == 0)
			first = c;
	}
	for (i = 0; i < g.n; i++) {
		CHECK(g.gap[i][0] == '\0' || strcmp(g.gap[i], "no-sample") ==
		    0);
		if (i > 0)
			CHECK(g.slot[i] == g.slot[i - 1] + 1800);
		sum += g.imp[i];
		CHECK(g.exp[i] == 0);
	}
	CHECK(g.n > 50);
	CHECK(g.slot[0] == T0);
	/* with no gaps, the slots add up to the counter's whole Wh */
	memset(&g, 0, sizeof(g));
	dk_walk_init(&w, "m", "grid", 15, 60);
	c = first = 999999;
	for (i = 0; i <= 96; i++) {
		feed(&w, &g, T0 + i * 900 + (i % 4) * 10, 0, c, c / 3, 0);
		c += 1234567 + i * 777;
	}
	sum = 0;
	for (i = 0; i < g.n; i++) {
		CHECK(g.gap[i][0] == '\0');
		sum += g.imp[i];
	}
	CHECK(g.n == 96);
	CHECKF(sum == (c - 1234567 - 96 * 777) / 1000 - first / 1000,
	    "sum %lld", (long long)sum);
}

static void
test_walk_wrap(void)
{
	struct dk_walk w;
	struct slots g;
	const int64_t W = 99999999;	/* not a multiple of 1000 */
	int64_t u[] = { W - 2500, W - 700, 1800, 400000 }, d;
	int i;

	memset(&g, 0, sizeof(g));
	dk_walk_init(&w, "m", "grid", 30, 0);
	for (i = 0; i < 4; i++)
		feed(&w, &g, T0 + i * 1800, 1, u[i], DK_NOVAL, W);
	CHECK(g.n == 3);
	/* unwrapped: W-2500, W-700, W+1800, W+400000 (W-1 is followed by 0) */
	CHECK(g.imp[0] == (W - 700) / 1000 - (W - 2500) / 1000);
	CHECK(g.imp[1] == (W + 1800) / 1000 - (W - 700) / 1000);
	CHECK(g.imp[2] == (W + 400000) / 1000 - (W + 1800) / 1000);
	CHECK(g.imp[0] + g.imp[1] + g.imp[2] ==
	    (W + 400000) / 1000 - (W - 2500) / 1000);
	CHECK(dk_counter_step(W - 10, 5, W, &d) == 0 && d == 15);
	CHECK(dk_counter_step(10, 5, W, &d) == 1);	/* backwards, no wrap */
	CHECK(dk_counter_step(10, 5, 0, &d) == 1);
	CHECK(dk_counter_step(W / 4, 5, W, &d) == 1);	/* too far for one */
	CHECK(dk_slot_wh(999, 1000) == 1 && dk_slot_wh(1000, 1999) == 0);
}

static void
test_walk_reset_gap(void)
{
	struct dk_walk w, w2;
	struct slots g;
	struct dk_err e = { 0 };
	json_t *j;

	memset(&g, 0, sizeof(g));
	dk_walk_init(&w, "m", "grid", 30, 60);
	feed(&w, &g, T0, 0, 5000000, 1000, 0);
	feed(&w, &g, T0 + 1800, 0, 5200000, 1000, 0);	/* 200 Wh */
	feed(&w, &g, T0 + 2000, 0, 40000, 1000, 0);	/* replaced */
	feed(&w, &g, T0 + 3600, 0, 90000, 1000, 0);	/* reset slot: gap */
	feed(&w, &g, T0 + 5400 + 61, 0, 95000, 1000, 0);/* late: gap */
	feed(&w, &g, T0 + 7200 + 60, 0, 99000, 1000, 0);
	/* keep the walk between runs, as the store does */
	j = dk_walk_json(&w);
	dk_walk_init(&w2, "m", "grid", 30, 60);
	CHECK(dk_walk_from_json(&w2, j, &e) == 0);
	json_decref(j);
	feed(&w2, &g, T0 + 9000, 1, 100000, 2500, 0);
	CHECK(g.n == 5);
	CHECK(g.slot[0] == T0 && g.gap[0][0] == '\0' && g.imp[0] == 200);
	CHECK(strcmp(g.gap[1], "reset") == 0 && g.slot[1] == T0 + 1800);
	CHECK(strcmp(g.gap[2], "no-sample") == 0 && g.slot[2] == T0 + 3600);
	CHECK(strcmp(g.gap[3], "no-sample") == 0 && g.slot[3] == T0 + 5400);
	CHECK(g.gap[4][0] == '\0' && g.slot[4] == T0 + 7200 &&
	    g.imp[4] == 1 && g.exp[4] == 1);
	CHECK(w2.resets == 0 && w.resets == 1);
	/* an export counter at one end only */
	memset(&g, 0, sizeof(g));
	dk_walk_init(&w, "m", "pv", 30, 60);
	feed(&w, &g, T0, 0, 1000, DK_NOVAL, 0);
	feed(&w, &g, T0 + 1800, 0, 2000, 5, 0);
	CHECK(g.n == 1 && strcmp(g.gap[0], "registers") == 0);
	/* late samples are not used */
	feed(&w, &g, T0 + 100, 1, 1500, 5, 0);
	CHECK(w.late == 1 && g.n == 1);
}

static void
test_walk_dst(void)
{
	struct dk_walk w;
	struct slots g;
	/* Europe/Amsterdam: 2026-03-29 has 23 hours, 2026-10-25 has 25 */
	int64_t spring = 1774738800LL;	/* 2026-03-29T00:00:00+01:00 */
	int64_t autumn = 1792879200LL;	/* 2026-10-25T00:00:00+02:00 */
	int i, mins[] = { 15, 60 }, k;

	for (k = 0; k < 2; k++) {
		memset(&g, 0, sizeof(g));
		g.tz = "Europe/Amsterdam";
		dk_walk_init(&w, "m", "grid", mins[k], 60);
		for (i = 0; i <= 23 * 60 / mins[k]; i++)
			feed(&w, &g, spring + i * mins[k] * 60LL, 1,
			    i * 250000LL, 0, 0);
		CHECK(g.n == 23 * 60 / mins[k]);
		CHECK(strcmp(g.ts[0], "2026-03-29T00:00:00+01:00") == 0);
		CHECKF(strcmp(g.ts[g.n - 1], mins[k] == 15 ?
		    "2026-03-29T23:45:00+02:00" : "2026-03-29T23:00:00+02:00")
		    == 0, "%s", g.ts[g.n - 1]);
		/* 01:45+01:00 (or 01:00) is followed by 03:00+02:00 */
		i = 2 * 60 / mins[k];
		CHECKF(strcmp(g.ts[i], "2026-03-29T03:00:00+02:00") == 0, "%s",
		    g.ts[i]);
		CHECK(g.imp[i] == 250);

		memset(&g, 0, sizeof(g));
		g.tz = "Europe/Amsterdam";
		dk_walk_init(&w, "m", "grid", mins[k], 60);
		for (i = 0; i <= 25 * 60 / mins[k]; i++)
			feed(&w, &g, autumn + i * mins[k] * 60LL + 30, 0,
			    i * 100000LL, 0, 0);
		CHECK(g.n == 25 * 60 / mins[k]);
		CHECK(strcmp(g.ts[0], "2026-10-25T00:00:00+02:00") == 0);
		/* the hour 02:00 comes twice, first +02:00, then +01:00 */
		i = 2 * 60 / mins[k];
		CHECKF(strcmp(g.ts[i], "2026-10-25T02:00:00+02:00") == 0 &&
		    strcmp(g.ts[i + 60 / mins[k]],
		    "2026-10-25T02:00:00+01:00") == 0, "%s %s", g.ts[i],
		    g.ts[i + 60 / mins[k]]);
		CHECK(strcmp(g.ts[g.n - 1], mins[k] == 15 ?
		    "2026-10-25T23:45:00+01:00" : "2026-10-25T23:00:00+01:00")
		    == 0);
	}
}

static void
test_walk_tolerance(void)
{
	struct dk_walk w;
	struct slots g;

	/* the first sample within the tolerance after a boundary stands for
	 * it; one a second later is not used for it */
	memset(&g, 0, sizeof(g));
	dk_walk_init(&w, "m", "grid", 30, 60);
	feed(&w, &g, T0 + 60, 0, 1000000, 0, 0);
	feed(&w, &g, T0 + 1800 + 60, 0, 1100000, 0, 0);
	feed(&w, &g, T0 + 1800 + 61, 0, 1100500, 0, 0);
	feed(&w, &g, T0 + 3600 + 61, 0, 1200000, 0, 0);
	CHECK(g.n == 2 && g.imp[0] == 100 && g.gap[0][0] == '\0' &&
	    strcmp(g.gap[1], "no-sample") == 0);
	/* before the first boundary nothing is known: no gap for it */
	memset(&g, 0, sizeof(g));
	dk_walk_init(&w, "m", "grid", 30, 0);
	feed(&w, &g, T0 + 5, 0, 1000000, 0, 0);
	feed(&w, &g, T0 + 1800, 1, 1100000, 0, 0);
	feed(&w, &g, T0 + 3600, 1, 1300000, 0, 0);
	CHECK(g.n == 1 && g.slot[0] == T0 + 1800 && g.imp[0] == 200);
}

/* A reading checked against its meter's registered key; a key decoded
 * once is remembered by its text, not by where the text is: another key
 * written at the same place is decoded again. */
static void
test_verify_keys(void)
{
	struct dk_key a, b;
	struct dk_participant p;
	struct dk_err e;
	char keytext[64], *ka, *kb, *meters[1] = { "m1" };
	char *mkey[1] = { keytext };
	json_t *rd;
	int i;

	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_key_generate(&a, &e), 0);
	CHECK_INT(dk_key_generate(&b, &e), 0);
	ka = dk_key_pub_b64(&a);
	kb = dk_key_pub_b64(&b);
	memset(&p, 0, sizeof(p));
	strcpy(p.id, "p1");
	p.nmeters = 1;
	p.meters = meters;
	p.meter_key = mkey;
	rd = json_pack("{s:s,s:i,s:s,s:s,s:i,s:i}", "type", "reading", "v", 1,
	    "meter", "m1", "slot", "2026-01-01T10:00:00+00:00", "export_wh",
	    0, "import_wh", 5);
	CHECK_INT(dk_sign_record(rd, &a, &e), 0);
	for (i = 0; i < 2; i++) {
		snprintf(keytext, sizeof(keytext), "%s", ka);
		memset(&e, 0, sizeof(e));
		CHECK_INT(dk_reading_verify(rd, &p, &e), 0);
		snprintf(keytext, sizeof(keytext), "%s", kb);
		CHECK_INT(dk_reading_verify(rd, &p, &e), -1);
		CHECK_HAS(e.msg, "meter m1");
	}
	snprintf(keytext, sizeof(keytext), "not a key");
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_reading_verify(rd, &p, &e), -1);
	CHECK_HAS(e.msg, "meter m1's key");
	json_decref(rd);
	free(ka);
	free(kb);
	dk_key_free(&a);
	dk_key_free(&b);
}

int
main(int argc, char *argv[])
{
	struct dk_err e;

	if (argc > 1)
		datadir = argv[1];
	memset(&e, 0, sizeof(e));
	if (dk_init(&e) < 0)
		return 1;
	memset(&rules, 0, sizeof(rules));
	strcpy(rules.currency, "EUR");
	strcpy(rules.tz, "UTC");
	strcpy(rules.mechanism, "uniform");
	rules.slot_minutes = 30;
	rules.retail = 300000;
	rules.buyback = 100000;
	test_opsd();
	test_gaps();
	test_plain();
	test_bad();
	test_straddle();
	test_misaligned();
	test_real("DE_KN_residential3_slice.csv", 30);
	test_real("DE_KN_residential4_slice.csv", 15);
	test_real("DE_KN_residential6_slice.csv", 60);
	test_sim();
	test_lines();
	test_walk_telescope();
	test_walk_wrap();
	test_walk_reset_gap();
	test_walk_dst();
	test_walk_tolerance();
	test_verify_keys();
	return check_done("test-meter");
}
