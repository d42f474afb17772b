/* Unit tests for lib/settle/scenario.c, simdata.c and simbat.c:
 * denki-simulate's scenario file, the meter data of a simulated home,
 * its battery following a plan. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denki.h"
#include "check.h"

static char community[PATH_MAX - 32];

/* The scenario text, after its community line, loaded from a file. */
static int
load(struct dk_scen *s, const char *text, struct dk_err *e)
{
	char p[PATH_MAX];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/s.yaml", ck_tmp);
	fp = fopen(p, "w");
	fprintf(fp, "community: %s\n%s", community, text);
	fclose(fp);
	memset(e, 0, sizeof(*e));
	return dk_scen_load(s, p, e);
}

static void
scenarios(void)
{
	struct dk_scen s;
	struct dk_err e;

	CHECK_INT(load(&s, "start: 2016-07-05\ndays: 2\nhomes: [kn1, kn3]\n"
	    "scale:\n  copies: 3\n  shift_days: 2\n  load_pct: 80\n"
	    "add:\n  kn3:\n    pv_w: 2000\n    battery_wh: 8000\n"
	    "rules:\n  prices:\n    fee: 1\n", &e), 0);
	CHECK_STR(s.name, "s");
	CHECK_INT(s.days, 2);
	CHECK_INT(s.nsrc, 2);
	CHECK_INT(s.nh, 6);
	CHECK_INT(s.day0, dk_days_from_civil(2016, 7, 5));
	CHECK_STR(s.h[0].id, "kn1");
	CHECK_STR(s.h[3].id, "kn3-2");
	CHECK_STR(s.h[5].id, "kn3-3");
	CHECK_INT(s.h[5].copy, 2);
	CHECK_INT(s.h[5].src, 1);
	/* the copies' load, the home's own; what is added goes to both */
	CHECK_INT(s.h[1].load_pct, 100);
	CHECK_INT(s.h[3].load_pct, 80);
	CHECK_INT(s.h[3].pv_w, 2000);
	CHECK_INT(s.h[5].bat_wh, 8000);
	CHECK_INT(s.h[5].bat_w, 4000);
	CHECK_INT(s.h[5].bat_eff, 950);
	CHECK_INT(s.h[5].bat_reserve, 0);
	CHECK_INT(s.h[2].bat_wh, 0);
	CHECK(s.strategy == NULL);
	dk_scen_free(&s);

	CHECK_INT(load(&s, "start: 2016-07-05\nhomes: [kn1, kn3]\nadd:\n"
	    "  kn3:\n    battery_wh: 8000\n    battery_reserve_wh: 9000\n",
	    &e), -1);
	CHECK_HAS(e.msg, "s.yaml:7: add.kn3.battery_reserve_wh: 9000 is more "
	    "than its battery_wh, 8000");
	CHECK_INT(load(&s, "start: 2016-07-05\nhomes: [kn1]\nhome: [kn2]\n",
	    &e), -1);
	CHECK_INT(e.status, DK_EX_CONFIG);
	CHECK_HAS(e.msg, "s.yaml:4: home: unknown setting; did you mean "
	    "homes?");
	CHECK_INT(load(&s, "start: 2016-07-05\nhomes: [kn1, kn7]\n", &e), -1);
	CHECK_HAS(e.msg, "s.yaml:3: homes: kn7: no such home in ");
	CHECK_INT(load(&s, "start: 2016-07-05\nhomes: [kn1, kn1]\n", &e), -1);
	CHECK_HAS(e.msg, "homes: kn1: given twice");
	CHECK_INT(load(&s, "start: 2016-07-05\nhomes: [kn1]\nadd:\n  kn2:\n"
	    "    pv_w: 1\n", &e), -1);
	CHECK_HAS(e.msg, "s.yaml:6: add.kn2.pv_w: kn2 is not one of the homes");
	CHECK_INT(load(&s, "start: 2016-07-05\nhomes: [kn1]\nadd.kn1.pv_w: "
	    "-3\n", &e), -1);
	CHECK_HAS(e.msg, "s.yaml:4: add.kn1.pv_w: must be from 0 to 1000000");
	CHECK_INT(load(&s, "start: 2016-07-05\nhomes: [kn1]\n"
	    "rules.operator.key: x.key\n", &e), -1);
	CHECK_HAS(e.msg, "rules.operator.key: set by denki-simulate");
	CHECK_INT(load(&s, "start: 2016-07-05\nhomes: [kn1]\n"
	    "rules.prices.fee: lots\n", &e), -1);
	CHECK_HAS(e.msg, "s.yaml:4: rules.prices.fee: must be an integer");
	CHECK_INT(load(&s, "start: 2016-07-05\nhomes: [kn1]\n"
	    "rules.participant: kn1\n", &e), -1);
	CHECK_HAS(e.msg, "rules.participant: not a setting of the "
	    "cooperative's file");
	CHECK_INT(load(&s, "homes: [kn1]\n", &e), -1);
	CHECK_HAS(e.msg, "s.yaml: start: must be the first day traded");
	CHECK_INT(load(&s, "start: 2016-07-05\nhomes: []\n", &e), -1);
	CHECK_HAS(e.msg, "homes: must list");
	CHECK_INT(load(&s, "start: 2016-07-05\nhomes: [kn1]\nscale:\n"
	    "  copies: 2\n", &e), 0);
	CHECK_STR(s.h[1].id, "kn1-2");
	dk_scen_free(&s);
	CHECK_INT(load(&s, "start: 2016-07-05\nhomes: [a23456789012345678901"
	    "234567890ab]\n", &e), -1);
	CHECK_HAS(e.msg, "no such home");
}

/* Slots [from, from + n) of s as dk_sim_csv writes them, into buf. */
static void
csv(const struct dk_sim_series *s, size_t from, size_t n, int head,
    char *buf, size_t len)
{
	struct dk_err e = { 0 };
	FILE *fp = tmpfile();
	size_t k;

	CHECK_INT(dk_sim_csv(fp, s, from, n, head, 86400 * 10, 360, &e), 0);
	rewind(fp);
	k = fread(buf, 1, len - 1, fp);
	buf[k] = '\0';
	fclose(fp);
}

/* dk_sim_csv's lines by hand are those of dk_time_format(t, "UTC") and
 * "%lld": over a leap day, a year's end, any integer. */
static void
csvlines(void)
{
	int64_t imp[6] = { 0, 7, 1234567890123LL, -5, INT64_MAX, INT64_MIN };
	int64_t exp[6] = { 9, 0, -1, 10, 100, 42 };
	struct dk_sim_series s = { imp, exp, 6, 6 };
	int64_t t0[3] = { 1456700400, 1483225200, 0 };	/* 2016-02-28 23:00,
							 * 2016-12-31 23:00 */
	char buf[1024], want[1024], ts[40];
	size_t k, m;
	int i;

	for (i = 0; i < 3; i++) {
		struct dk_err e = { 0 };
		FILE *fp = tmpfile();

		CHECK_INT(dk_sim_csv(fp, &s, 0, 6, 0, t0[i], 720, &e), 0);
		rewind(fp);
		buf[fread(buf, 1, sizeof(buf) - 1, fp)] = '\0';
		fclose(fp);
		for (m = 0, k = 0; k < 6; k++) {
			dk_time_format(t0[i] + (int64_t)k * 720 * 60, "UTC",
			    ts, sizeof(ts));
			m += (size_t)snprintf(want + m, sizeof(want) - m,
			    "%s,%lld,%lld\n", ts, (long long)imp[k],
			    (long long)exp[k]);
		}
		CHECK_STR(buf, want);
		if (i == 0)
			CHECK_HAS(buf, "2016-02-29T23:00:00+00:00,"
			    "1234567890123,-1\n2016-03-01T11:00:00+00:00,-5,"
			    "10\n");
	}
	CHECK_HAS(want, "1970-01-03T12:00:00+00:00,-9223372036854775808,42");
	/* a slot in the year 10000: refused, named, nothing written */
	{
		struct dk_err e = { 0 };
		FILE *fp = tmpfile();

		CHECK_INT(dk_sim_csv(fp, &s, 0, 6, 0, 253402300800LL, 720,
		    &e), -1);
		CHECK_INT(e.status, DK_EX_SOFTWARE);
		CHECK_HAS(e.msg, "beyond the years 0 to 9999");
		CHECK_INT((int)ftell(fp), 0);
		fclose(fp);
	}
}

/* Four slots of six hours a day, by hand: the PV's parabola, the load
 * scaled, the days in turn; the CSV of some of the slots. */
static void
homecsv(void)
{
	int64_t imp[8] = { 1000, 0, 0, 2000, 0, 0, 0, 0 };
	int64_t exp[8] = { 0, 500, 0, 0, 0, 0, 0, 0 };
	struct dk_sim_series src = { imp, exp, 8, 4 }, s;
	struct dk_scen sc;
	struct dk_scen_home h;
	struct dk_err e = { 0 };
	char buf[1024];

	memset(&sc, 0, sizeof(sc));
	memset(&h, 0, sizeof(h));
	sc.days = 1;
	sc.shift = 1;
	h.load_pct = 100;
	h.pv_w = 1000;		/* 750 W at 09:00 and 15:00: 4500 Wh a slot */
	h.bat_wh = 5000;	/* not in the data: it follows bid's plan */
	CHECK_INT(dk_sim_home_series(&src, &sc, &h, 360, &s, &e), 0);
	CHECK_INT(s.n, 8);
	csv(&s, 0, s.n, 1, buf, sizeof(buf));
	CHECK_STR(buf, "start,import_wh,export_wh\n"
	    "1970-01-11T00:00:00+00:00,1000,0\n"
	    "1970-01-11T06:00:00+00:00,0,5000\n"
	    "1970-01-11T12:00:00+00:00,0,4500\n"
	    "1970-01-11T18:00:00+00:00,2000,0\n"
	    "1970-01-12T00:00:00+00:00,0,0\n"
	    "1970-01-12T06:00:00+00:00,0,4500\n"
	    "1970-01-12T12:00:00+00:00,0,4500\n"
	    "1970-01-12T18:00:00+00:00,0,0\n");
	/* a day of it, without the header */
	csv(&s, 5, 2, 0, buf, sizeof(buf));
	CHECK_STR(buf, "1970-01-12T06:00:00+00:00,0,4500\n"
	    "1970-01-12T12:00:00+00:00,0,4500\n");
	dk_sim_series_free(&s);
	/* copy 1, a day on: its history is day 1, its day day 0; half the
	 * import */
	memset(&h, 0, sizeof(h));
	h.copy = 1;
	h.load_pct = 50;
	CHECK_INT(dk_sim_home_series(&src, &sc, &h, 360, &s, &e), 0);
	csv(&s, 0, s.n, 1, buf, sizeof(buf));
	dk_sim_series_free(&s);
	CHECK_HAS(buf, "1970-01-11T18:00:00+00:00,0,0\n1970-01-12T00:00:00+00:00,500,0\n"
	    "1970-01-12T06:00:00+00:00,0,500\n1970-01-12T12:00:00+00:00,0,0\n"
	    "1970-01-12T18:00:00+00:00,1000,0\n");
}

/* A plan followed, by hand: its power, its room, what it holds above the
 * reserve; a charge takes the export first, a discharge covers the
 * import first. */
static void
follow(void)
{
	struct dk_scen_home h;
	struct dk_batt b;
	int64_t c[5] = { 2000, 900, 0, 0, 0 };
	int64_t x[5] = { 0, 0, 300, 2000, 500 };
	int64_t imp[5] = { 0, 100, 500, 100, 0 };
	int64_t exp[5] = { 600, 0, 0, 0, 0 };
	int64_t soc = 100;

	memset(&h, 0, sizeof(h));
	h.bat_wh = 2000;
	h.bat_w = 1000;		/* 1000 Wh a slot of an hour */
	h.bat_reserve = 200;
	h.bat_eff = 900;
	dk_sim_batt(&h, &b);
	CHECK_INT(b.step_wh, 10);
	dk_sim_batt_follow(&b, 60, &soc, c, x, imp, exp, 5);
	/* 1000 Wh (the power): 900 kept; 600 of the export, 400 imported */
	CHECK_INT(c[0], 1000);
	CHECK_INT(exp[0], 0);
	CHECK_INT(imp[0], 400);
	/* room for 1000 Wh more: 1112 AC would fill it, 900 asked: 810 */
	CHECK_INT(c[1], 900);
	CHECK_INT(imp[1], 1000);
	/* 1810 stored; 300 given: 334 taken (ceil(300 / 0.9)) */
	CHECK_INT(x[2], 300);
	CHECK_INT(imp[2], 200);
	/* 1476 stored, 1276 above the reserve; 1000 asked (the power) takes
	 * 1112: 100 of the import covered, 900 exported */
	CHECK_INT(x[3], 1000);
	CHECK_INT(imp[3], 0);
	CHECK_INT(exp[3], 900);
	/* 364 stored, 164 above the reserve: 147 given */
	CHECK_INT(x[4], 147);
	CHECK_INT(exp[4], 147);
	CHECK_INT(soc, 200);
	/* a full battery takes no more; an empty one gives nothing */
	soc = 2000;
	c[0] = 500;
	x[0] = 0;
	imp[0] = exp[0] = 0;
	dk_sim_batt_follow(&b, 60, &soc, c, x, imp, exp, 1);
	CHECK_INT(c[0], 0);
	CHECK_INT(imp[0], 0);
	soc = 150;
	c[0] = 0;
	x[0] = 500;
	imp[0] = 700;
	dk_sim_batt_follow(&b, 60, &soc, c, x, imp, exp, 1);
	CHECK_INT(x[0], 0);
	CHECK_INT(imp[0], 700);
	CHECK_INT(soc, 150);
}

/* bid's planner's own plan, followed over the forecast it was made
 * for, is the plan: the same grid each slot, the same energy stored
 * (random batteries and days, lossless so that no rounding differs). */
static void
follow_plan(void)
{
	struct dk_plan_slot s[48];
	struct dk_scen_home h;
	struct dk_batt b;
	struct dk_err e = { 0 };
	int64_t c[48], x[48], imp[48], exp[48], soc, v;
	unsigned seed = 17;
	int k, r, bad = 0;

	for (r = 0; r < 200; r++) {
		memset(&h, 0, sizeof(h));
		h.bat_wh = 100 * (1 + rand_r(&seed) % 200);
		h.bat_w = 1 + rand_r(&seed) % 5000;
		h.bat_reserve = rand_r(&seed) % (h.bat_wh + 1);
		h.bat_eff = 1000;
		dk_sim_batt(&h, &b);
		for (k = 0; k < 48; k++) {
			memset(&s[k], 0, sizeof(s[k]));
			s[k].load_wh = rand_r(&seed) % 2000;
			s[k].pv_wh = rand_r(&seed) % 2000;
			s[k].buy = 100000 + rand_r(&seed) % 300000;
			s[k].sell = s[k].buy - rand_r(&seed) % 100000;
		}
		soc = h.bat_reserve / b.step_wh * b.step_wh;
		CHECK_INT(dk_plan(&b, soc, 30, s, 48, &v, &e), 0);
		for (k = 0; k < 48; k++) {
			c[k] = s[k].charge_wh;
			x[k] = s[k].discharge_wh;
			imp[k] = s[k].load_wh;
			exp[k] = s[k].pv_wh;
		}
		dk_sim_batt_follow(&b, 30, &soc, c, x, imp, exp, 48);
		for (k = 0; k < 48; k++)
			bad += imp[k] - exp[k] != s[k].grid_wh ||
			    c[k] != s[k].charge_wh ||
			    x[k] != s[k].discharge_wh;
		bad += soc != s[47].soc_wh;
	}
	CHECK_INT(bad, 0);
}

/* A community's CSV: its whole days from the scenario's midnight. */
static void
source(void)
{
	struct dk_conf home;
	struct dk_rules r;
	struct dk_sim_series s;
	struct dk_err e = { 0 };
	char p[PATH_MAX];
	int64_t t, sum = 0;
	size_t i;

	memset(&r, 0, sizeof(r));
	snprintf(r.tz, sizeof(r.tz), "Europe/Berlin");
	r.slot_minutes = 30;
	snprintf(p, sizeof(p), "%s/kn3.yaml", community);
	CHECK_INT(dk_conf_open(&home, p, DK_CONF_HOME, NULL, 0, &e), 0);
	dk_time_parse("2016-07-05T00:00:00+02:00", &t, &e);
	snprintf(p, sizeof(p), "%s/data/kn3.csv", community);
	CHECK_INT(dk_sim_source(p, &home, &r, t, &s, &e), 0);
	/* 2016-07-04 and 07-05, local: the data runs from 07-03 22:00 to
	 * 07-06 02:00 */
	CHECK_INT(s.spd, 48);
	CHECK_INT(s.n, 96);
	/* the counters' difference over 07-05 (local), in Wh: 1231.165 at
	 * 07-05T22:00Z less 1221.379 at 07-04T22:00Z (data/kn3.csv) */
	for (i = 48; i < 96; i++)
		sum += s.imp[i];
	CHECK_INT(sum, 1231165 - 1221379);
	dk_sim_series_free(&s);
	/* a midnight the data does not reach: no whole day */
	dk_time_parse("2016-07-05T00:17:00+02:00", &t, &e);
	CHECK_INT(dk_sim_source(p, &home, &r, t, &s, &e), -1);
	CHECK_HAS(e.msg, "not one whole day");
	dk_conf_free(&home);
}

int
main(void)
{
	struct dk_err e = { 0 };

	dk_init(&e);
	if (realpath("examples/community", community) == NULL) {
		perror("examples/community");
		return 2;
	}
	tmpdir_make("test-simulate");
	scenarios();
	homecsv();
	csvlines();
	follow();
	follow_plan();
	source();
	tmpdir_remove();
	return check_done("test-simulate");
}
