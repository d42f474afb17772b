/* Unit tests for lib/settle/scenario.c and simdata.c: denki-simulate's
 * scenario file and the meter data of a simulated home. */
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
	CHECK_INT(s.h[2].bat_wh, 0);
	CHECK(s.strategy == NULL);
	dk_scen_free(&s);

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

/* Four slots of six hours a day, by hand: the battery's 90%, its room,
 * its power, the PV's parabola, the days in turn. */
static void
homecsv(void)
{
	int64_t imp[8] = { 1000, 0, 0, 2000, 0, 0, 0, 0 };
	int64_t exp[8] = { 0, 500, 0, 0, 0, 0, 0, 0 };
	struct dk_sim_series src = { imp, exp, 8, 4 };
	struct dk_scen sc;
	struct dk_scen_home h;
	struct dk_err e = { 0 };
	char buf[1024];
	FILE *fp;
	size_t n;

	memset(&sc, 0, sizeof(sc));
	memset(&h, 0, sizeof(h));
	sc.days = 1;
	sc.shift = 1;
	h.load_pct = 100;
	h.pv_w = 1000;		/* 750 W at 09:00 and 15:00: 4500 Wh a slot */
	h.bat_wh = 5000;
	h.bat_w = 1000;		/* 6000 Wh a slot */
	fp = tmpfile();
	CHECK_INT(dk_sim_home_csv(fp, &src, &sc, &h, 86400 * 10, 360, &e), 0);
	rewind(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	CHECK_STR(buf, "start,import_wh,export_wh\n"
	    "1970-01-10T00:00:00+00:00,1000,0\n"
	    /* 5000 Wh of surplus charged: 4500 kept */
	    "1970-01-10T06:00:00+00:00,0,0\n"
	    /* room for 555 Wh more (4999.5 kept) */
	    "1970-01-10T12:00:00+00:00,0,3945\n"
	    "1970-01-10T18:00:00+00:00,0,0\n"
	    "1970-01-11T00:00:00+00:00,0,0\n"
	    "1970-01-11T06:00:00+00:00,0,2278\n"
	    "1970-01-11T12:00:00+00:00,0,4500\n"
	    "1970-01-11T18:00:00+00:00,0,0\n");
	/* copy 1, a day on: its history is day 1, its day day 0; half the
	 * import */
	memset(&h, 0, sizeof(h));
	h.copy = 1;
	h.load_pct = 50;
	fp = tmpfile();
	CHECK_INT(dk_sim_home_csv(fp, &src, &sc, &h, 86400 * 10, 360, &e), 0);
	rewind(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	CHECK_HAS(buf, "1970-01-10T18:00:00+00:00,0,0\n1970-01-11T00:00:00+00:00,500,0\n"
	    "1970-01-11T06:00:00+00:00,0,500\n1970-01-11T12:00:00+00:00,0,0\n"
	    "1970-01-11T18:00:00+00:00,1000,0\n");
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
	source();
	tmpdir_remove();
	return check_done("test-simulate");
}
