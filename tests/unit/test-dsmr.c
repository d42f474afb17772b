/* Unit tests for lib/meter/dsmr.c: P1 telegrams, CRC-16/ARC, units, tariffs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"
#include "check.h"

static const char *fixdir = "tests/fixtures/dsmr";

/* Expected values: reference/meters.md §6.4, by hand from each fixture. */
static const struct {
	const char *file;
	int crc, version, emucs;
	const char *ident;
	int64_t t;		/* DK_NOVAL: no timestamp (2.2) */
	int64_t imp, exp, power;
} fix[] = {
	/* 200512135409S: 13:54:09 CEST = 11:54:09Z */
	{ "be_fluvius_v171.txt", 1, 0, 1, "FLU5\\253769484_A", 1589284449,
	  34000 + 15758000, 0 + 11000, 0 },
	{ "v2_2_iskra_mt382.txt", 0, 0, 0, "ISk5\\2MT382-1004", DK_NOVAL,
	  1001000 + 1001000, 1001000 + 1001000, 1010 },
	/* 161113205757W: 20:57:57 CET = 19:57:57Z */
	{ "v4_2_kaifa.txt", 1, 42, 0, "KFM5KAIFA-METER", 1479067077,
	  1581123000LL + 1435706000LL, 0, 2027 },
	/* 170102192002W: 19:20:02 CET = 18:20:02Z */
	{ "v5_iskra_mt382.txt", 1, 50, 0, "ISk5\\2MT382-1000", 1483381202,
	  4426000 + 2399000, 2444000 + 0, 244 },
};

static char *
fixture(const char *name, size_t *len)
{
	char p[512];
	char *s;

	snprintf(p, sizeof(p), "%s/%s", fixdir, name);
	if ((s = slurp(p, len)) == NULL) {
		fprintf(stderr, "%s: cannot read\n", p);
		exit(2);
	}
	return s;
}

/* body (from '/' through the CR LF before '!') + "!" + its CRC + CR LF */
static char *
with_crc(const char *body, const char *fmt)
{
	size_t n = strlen(body);
	char *s = malloc(n + 16);

	memcpy(s, body, n);
	s[n] = '!';
	snprintf(s + n + 1, 15, fmt, dk_dsmr_crc(s, n + 1));
	return s;
}

static int
parse(const char *s, size_t n, struct dk_dsmr *m, struct dk_err *e)
{
	return dk_dsmr_parse(s, n, "Europe/Amsterdam", m, e);
}

static void
test_crc(void)
{
	/* the CRC-16/ARC check value */
	CHECK_INT(dk_dsmr_crc("123456789", 9), 0xBB3D);
	CHECK_INT(dk_dsmr_crc("", 0), 0);
}

static void
test_fixtures(void)
{
	size_t i, len;

	for (i = 0; i < sizeof(fix) / sizeof(fix[0]); i++) {
		struct dk_err e = { 0 };
		struct dk_dsmr m;
		char *s = fixture(fix[i].file, &len);
		int rc = parse(s, len, &m, &e);

		CHECKF(rc == 0, "%s: %s", fix[i].file, e.msg);
		CHECK_INT(m.crc, fix[i].crc);
		CHECK_INT(m.version, fix[i].version);
		CHECK_INT(m.emucs, fix[i].emucs);
		CHECK_STR(m.ident, fix[i].ident);
		CHECK_INT(m.t, fix[i].t);
		CHECK_INT(m.import_mwh, fix[i].imp);
		CHECK_INT(m.export_mwh, fix[i].exp);
		CHECK_INT(m.power_w, fix[i].power);
		free(s);
	}
}

/* Each byte of each telegram with a CRC, changed in each of its bits and
 * to each other printable character: never accepted. */
static void
test_corruption(void)
{
	size_t i, k, len, tried = 0, caught = 0;
	int b, c;

	for (i = 0; i < sizeof(fix) / sizeof(fix[0]); i++) {
		char *s;

		if (!fix[i].crc)
			continue;
		s = fixture(fix[i].file, &len);
		for (k = 0; k < len; k++) {
			char o = s[k];
			for (c = 0; c < 256 + 8; c++) {
				struct dk_err e = { 0 };
				struct dk_dsmr m;
				b = c < 8 ? o ^ (1 << c) : c - 8;
				if ((char)b == o || (c >= 8 &&
				    (b < 0x20 || b > 0x7e)))
					continue;
				s[k] = (char)b;
				tried++;
				if (parse(s, len, &m, &e) < 0)
					caught++;
				else
					fprintf(stderr, "%s: byte %zu %02x -> "
					    "%02x accepted\n", fix[i].file, k,
					    (unsigned char)o, b & 0xff);
			}
			s[k] = o;
		}
		free(s);
	}
	CHECK_INT(caught, tried);
	CHECK(tried > 100000);
}

static void
test_units_and_tariffs(void)
{
	struct dk_err e = { 0 };
	struct dk_dsmr m;
	char *s;

	/* LU Sagemcom style: Wh and W with no decimals, totals beside the
	 * tariffs (the tariffs win: they are the registers billed) */
	s = with_crc("/Sag5\\LU-T210-D\r\n\r\n"
	    "1-3:0.2.8(42)\r\n"
	    "0-0:1.0.0(221006155014S)\r\n"
	    "1-0:1.8.0(006545766*Wh)\r\n"
	    "1-0:1.8.1(005017120*Wh)\r\n"
	    "1-0:1.8.2(001528646*Wh)\r\n"
	    "1-0:2.8.1(000000000*Wh)\r\n"
	    "1-0:2.8.2(000000058*Wh)\r\n"
	    "1-0:1.7.0(000286*W)\r\n"
	    "1-0:2.7.0(000000*W)\r\n", "%04X\r\n");
	CHECKF(parse(s, strlen(s), &m, &e) == 0, "%s", e.msg);
	CHECK_INT(m.import_mwh, 6545766000LL);
	CHECK_INT(m.export_mwh, 58000);
	CHECK_INT(m.power_w, 286);
	CHECK_INT(m.t, 1665064214);	/* 15:50:14 CEST = 13:50:14Z */
	free(s);

	/* totals only (HU style), export power, three tariffs */
	s = with_crc("/XYZ5 test\r\n\r\n"
	    "1-0:1.8.0(000173.640*kWh)\r\n"
	    "1-0:2.8.1(000001.001*kWh)\r\n"
	    "1-0:2.8.2(000002.020*kWh)\r\n"
	    "1-0:2.8.3(000000.300*kWh)\r\n"
	    "1-0:2.8.0(000999.999*kWh)\r\n"
	    "1-0:1.7.0(00.000*kW)\r\n"
	    "1-0:2.7.0(02.601*kW)\r\n", "%04X\r\n");
	CHECKF(parse(s, strlen(s), &m, &e) == 0, "%s", e.msg);
	CHECK_INT(m.import_mwh, 173640000);
	CHECK_INT(m.export_mwh, 3321000);
	CHECK_INT(m.power_w, -2601);
	CHECK_INT(m.t, DK_NOVAL);
	free(s);

	/* power in kW with more decimals than W: rounded; upper-case unit */
	s = with_crc("/XYZ5 test\r\n\r\n"
	    "1-0:1.8.1(12.5*KWH)\r\n"
	    "1-0:1.7.0(0.0005*kW)\r\n", "%04X\r\n");
	CHECKF(parse(s, strlen(s), &m, &e) == 0, "%s", e.msg);
	CHECK_INT(m.import_mwh, 12500000);
	CHECK_INT(m.export_mwh, DK_NOVAL);
	CHECK_INT(m.power_w, 1);
	free(s);

	/* a unit that is not energy, no unit, a sub-mWh fraction */
	s = with_crc("/XYZ5 test\r\n\r\n1-0:1.8.1(000001.001*m3)\r\n",
	    "%04X\r\n");
	CHECK(parse(s, strlen(s), &m, &e) < 0);
	CHECK_HAS(e.msg, "line 3: 1-0:1.8.1(000001.001*m3): the unit must be "
	    "kWh or Wh");
	free(s);
	s = with_crc("/XYZ5 test\r\n\r\n1-0:2.8.1(000001.001)\r\n",
	    "%04X\r\n");
	CHECK(parse(s, strlen(s), &m, &e) < 0);
	CHECK_HAS(e.msg, "must be a decimal number and a unit");
	free(s);
	s = with_crc("/XYZ5 test\r\n\r\n1-0:1.8.1(1.0000001*kWh)\r\n",
	    "%04X\r\n");
	CHECK(parse(s, strlen(s), &m, &e) < 0);
	free(s);
	s = with_crc("/XYZ5 test\r\n\r\n1-0:1.7.0(00.416*kW)\r\n", "%04X\r\n");
	CHECK(parse(s, strlen(s), &m, &e) < 0);
	CHECK_HAS(e.msg, "no energy register");
	free(s);
}

static void
test_crc_forms(void)
{
	struct dk_err e = { 0 };
	struct dk_dsmr m;
	char body[256], *s;
	int i;
	size_t n;

	/* a NUL after the CRC (some meters send one) */
	s = with_crc("/XYZ5 t\r\n\r\n1-0:1.8.1(1.000*kWh)\r\n", "%04X");
	n = strlen(s);
	memcpy(s + n, "\0\r\n", 3);
	CHECKF(parse(s, n + 3, &m, &e) == 0, "%s", e.msg);
	free(s);
	/* lower-case hex is not the P1 format */
	s = with_crc("/XYZ5 t\r\n\r\n1-0:1.8.1(1.000*kWh)\r\n", "%04x\r\n");
	if (strpbrk(strchr(s, '!'), "abcdef") != NULL)
		CHECK(parse(s, strlen(s), &m, &e) < 0);
	free(s);
	/* a CRC below 0x1000 written with 3 digits (the IE meter's !B9F) */
	for (i = 0; i < 100000; i++) {
		snprintf(body, sizeof(body), "/XYZ5 t\r\n\r\n"
		    "1-0:1.8.1(%06d.000*kWh)\r\n", i);
		s = with_crc(body, "%X\r\n");
		if (strlen(strchr(s, '!')) == 6)
			break;
		free(s);
	}
	CHECKF(parse(s, strlen(s), &m, &e) == 0, "%s", e.msg);
	CHECK_INT(m.import_mwh, (int64_t)i * 1000000);
	free(s);
	/* DSMR 5 and e-MUCS without a CRC: refused; 2.2 without: accepted */
	CHECK(parse("/XYZ5 t\r\n\r\n1-3:0.2.8(50)\r\n1-0:1.8.1(1.000*kWh)\r\n"
	    "!\r\n", 51, &m, &e) < 0);
	CHECK_HAS(e.msg, "no CRC after the '!', but DSMR 5 sends one");
	s = "/FLU5 t\r\n\r\n0-0:96.1.4(50217)\r\n1-0:1.8.1(1.000*kWh)\r\n!\r\n";
	CHECK(parse(s, strlen(s), &m, &e) < 0);
	CHECK_HAS(e.msg, "e-MUCS");
	s = "/XYZ5 t\r\n\r\n1-0:1.8.1(1.000*kWh)\r\n!\r\n";
	CHECKF(parse(s, strlen(s), &m, &e) == 0, "%s", e.msg);
	CHECK_INT(m.crc, 0);
	/* five hex digits */
	s = "/XYZ5 t\r\n\r\n1-0:1.8.1(1.000*kWh)\r\n!12345\r\n";
	CHECK(parse(s, strlen(s), &m, &e) < 0);
	/* the fixture's CRC, changed by one: named */
	s = fixture("v4_2_kaifa.txt", &n);
	*strchr(s, '!') = '!';
	strchr(s, '!')[4] = '7';
	CHECK(parse(s, n, &m, &e) < 0);
	CHECK_STR(e.msg, "telegram: CRC 6797, but the telegram's bytes give "
	    "6796");
	free(s);
}

static void
test_time(void)
{
	struct dk_err e = { 0 };
	int64_t t;

	/* 2020-10-25: 03:00 CEST goes back to 02:00 CET; 02:30 twice */
	CHECK(dk_dsmr_time("201025023000S", 13, "Europe/Amsterdam", &t,
	    &e) == 0);
	CHECK_INT(t, 1603585800);	/* 00:30Z */
	CHECK(dk_dsmr_time("201025023000W", 13, "Europe/Amsterdam", &t,
	    &e) == 0);
	CHECK_INT(t, 1603589400);	/* 01:30Z */
	/* 2020-03-29 02:30 does not exist there */
	CHECK(dk_dsmr_time("200329023000W", 13, "Europe/Amsterdam", &t,
	    &e) < 0);
	CHECK_HAS(e.msg, "no such winter time in Europe/Amsterdam");
	/* Ireland: GMT in winter, IST in summer */
	CHECK(dk_dsmr_time("230202132747W", 13, "Europe/Dublin", &t, &e) == 0);
	CHECK_INT(t, 1675344467);
	CHECK(dk_dsmr_time("230724150730S", 13, "Europe/Budapest", &t,
	    &e) == 0);
	CHECK_INT(t, 1690204050);	/* 13:07:30Z */
	/* UTC has no summer time: the zone must be set right */
	CHECK(dk_dsmr_time("230724150730S", 13, "UTC", &t, &e) < 0);
	CHECK_HAS(e.msg, "set meter.dsmr.tz");
	/* no flag: the zone alone */
	CHECK(dk_dsmr_time("230724150730", 12, "Europe/Amsterdam", &t,
	    &e) == 0);
	CHECK_INT(t, 1690204050);
	CHECK(dk_dsmr_time("231324150730W", 13, "UTC", &t, &e) < 0);
	CHECK(dk_dsmr_time("230229000000W", 13, "UTC", &t, &e) < 0);
	CHECK(dk_dsmr_time("2307241507X", 11, "UTC", &t, &e) < 0);
	CHECK(dk_dsmr_time("230724150730X", 13, "UTC", &t, &e) < 0);
	/* TZ is left as it was */
	setenv("TZ", "Asia/Tokyo", 1);
	dk_dsmr_time("230724150730S", 13, "Europe/Amsterdam", &t, &e);
	CHECK_STR(getenv("TZ"), "Asia/Tokyo");
}

/* Irish meters (tests/data/dsmr-ie): S in February, where tzdata keeps
 * its daylight saving time (GMT); IST in summer is standard time. */
static void
test_ireland(void)
{
	struct dk_err e = { 0 };
	struct dk_dsmr m;
	int64_t t;
	size_t n;
	char *s = slurp("tests/data/dsmr-ie/ie_iskra_mie5t.txt", &n);

	CHECKF(s != NULL, "tests/data/dsmr-ie/ie_iskra_mie5t.txt: cannot read");
	if (s == NULL)
		return;
	/* 230202132747S: 13:27:47 GMT; its header holds a control byte */
	CHECKF(dk_dsmr_parse(s, n, "Europe/Dublin", &m, &e) == 0, "%s", e.msg);
	CHECK_INT(m.crc, 1);
	CHECK_INT(m.version, 0);
	CHECK_STR(m.ident, "ISk5\2MIE5T-200");
	CHECK_INT(m.t, 1675344467);
	CHECK_INT(m.import_mwh, 10181000 + 10182000);
	CHECK_INT(m.export_mwh, 10281000 + 10282000);
	CHECK_INT(m.power_w, 170 - 270);
	free(s);
	/* either flag, the year round, outside the hour that repeats */
	CHECK(dk_dsmr_time("230202132747W", 13, "Europe/Dublin", &t, &e) == 0);
	CHECK_INT(t, 1675344467);
	CHECK(dk_dsmr_time("230724150730S", 13, "Europe/Dublin", &t, &e) == 0);
	CHECK_INT(t, 1690207650);	/* 14:07:30Z */
	CHECK(dk_dsmr_time("230724150730W", 13, "Europe/Dublin", &t, &e) == 0);
	CHECK_INT(t, 1690207650);
	/* 2023-10-29 01:30 twice: S is daylight saving time, GMT */
	CHECK(dk_dsmr_time("231029013000S", 13, "Europe/Dublin", &t, &e) == 0);
	CHECK_INT(t, 1698543000);	/* 01:30Z */
	CHECK(dk_dsmr_time("231029013000W", 13, "Europe/Dublin", &t, &e) == 0);
	CHECK_INT(t, 1698539400);	/* 00:30Z, IST */
	/* where summer and daylight saving agree, S in winter is refused */
	CHECK(dk_dsmr_time("230202132747S", 13, "Europe/Amsterdam", &t,
	    &e) < 0);
	CHECK_HAS(e.msg, "no such summer time in Europe/Amsterdam");
}

static void
test_frame(void)
{
	size_t st, en, n;
	char *s = fixture("v5_iskra_mt382.txt", &n);
	char buf[8192];
	size_t k;

	/* the tail of a telegram, then a whole one, then half of one */
	memcpy(buf, "(0001)\r\n!1234\r\n", 15);
	memcpy(buf + 15, s, n);
	memcpy(buf + 15 + n, s, 100);
	CHECK_INT(dk_dsmr_frame(buf, 15 + n + 100, &st, &en), 1);
	CHECK_INT(st, 15);
	CHECK_INT(en, 15 + n);
	CHECK_INT(dk_dsmr_frame(buf + en, 100, &st, &en), 0);
	CHECK_INT(st, 0);
	/* every prefix of a telegram wants more */
	for (k = 0; k < n; k++)
		if (dk_dsmr_frame(s, k, &st, &en) != 0)
			break;
	CHECK_INT(k, n);
	/* cut short: a new '/' before the '!' */
	memcpy(buf, s, 200);
	memcpy(buf + 200, s, n);
	CHECK_INT(dk_dsmr_frame(buf, 200 + n, &st, &en), -1);
	CHECK_INT(st, 0);
	CHECK_INT(en, 200);
	CHECK_INT(dk_dsmr_frame(buf + 200, n, &st, &en), 1);
	/* junk after the '!' */
	CHECK_INT(dk_dsmr_frame("/a\r\n!12G4\r\n", 11, &st, &en), -1);
	CHECK_INT(dk_dsmr_frame("/a\r\n!\r\n", 7, &st, &en), 1);
	CHECK_INT(dk_dsmr_frame("/a\r\n!1\0\r\n", 9, &st, &en), 1);
	CHECK_INT(dk_dsmr_frame("/a\r\n!1\rX", 8, &st, &en), -1);
	CHECK_INT(dk_dsmr_frame("no start", 8, &st, &en), 0);
	CHECK_INT(st, 8);
	free(s);
}

/* A line that is not OBIS(value) is quoted up to its end, never past the
 * telegram: in a buffer of the telegram's bytes alone (no NUL after it),
 * as a serial read gives it, ASan saw "%.40s" read beyond. */
static void
test_bad_line_quote(void)
{
	struct dk_err e = { 0 };
	struct dk_dsmr m;
	char *t = with_crc("/ISk5\\2MT382-1000\r\n\r\nX\r\n", "%04X\r\n");
	size_t n = strlen(t);
	char *s = malloc(n);

	memcpy(s, t, n);
	CHECK(parse(s, n, &m, &e) < 0);
	CHECK_HAS(e.msg, "line 3: \"X\": must be OBIS(value)");
	free(s);
	free(t);
	/* a long one is cut at 40 bytes */
	t = with_crc("/ISk5\\2MT382-1000\r\n\r\n"
	    "0123456789012345678901234567890123456789ABC\r\n", "%04X\r\n");
	CHECK(parse(t, strlen(t), &m, &e) < 0);
	CHECK_HAS(e.msg, "\"0123456789012345678901234567890123456789\": must");
	free(t);
}

int
main(void)
{
	test_crc();
	test_fixtures();
	test_corruption();
	test_units_and_tariffs();
	test_crc_forms();
	test_time();
	test_ireland();
	test_frame();
	test_bad_line_quote();
	return check_done("test-dsmr");
}
