/*
 * Unit tests for lib/meter/sunspec.c on register images built here from the
 * model definitions (sunspec/models json/model_1, 101-103, 201-204.json):
 * offsets from the ID register, acc32 high word first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"
#include "check.h"

static uint16_t img[65536];
static unsigned char mapped[65536];
static int reads, down;

static void
clear(void)
{
	memset(img, 0, sizeof(img));
	memset(mapped, 0, sizeof(mapped));
	reads = down = 0;
}

static void
put(unsigned a, int v)
{
	img[a] = (uint16_t)(v & 0xffff);
	mapped[a] = 1;
}

static void
acc32(unsigned a, uint32_t v)
{
	put(a, (int)(v >> 16));
	put(a + 1, (int)(v & 0xffff));
}

/* ID, L and L registers of zeros */
static void
model(unsigned a, unsigned id, unsigned len)
{
	unsigned i;

	put(a, (int)id);
	put(a + 1, (int)len);
	for (i = 0; i < len; i++)
		put(a + 2 + i, 0);
}

static void
suns(unsigned a)
{
	put(a, 0x5375);
	put(a + 1, 0x6e53);
}

static void
end(unsigned a)
{
	put(a, 0xffff);
	put(a + 1, 0);
}

/* Refuses an unmapped register, as a device answers exception 2. */
static int
rd(void *ctx, unsigned addr, unsigned n, uint16_t *out, struct dk_err *e)
{
	unsigned i;

	(void)ctx;
	reads++;
	if (down)
		return dk_fail(e, DK_EX_TEMPFAIL, "connection reset");
	for (i = 0; i < n; i++) {
		if (addr + i > 65535 || !mapped[addr + i]) {
			dk_fail(e, DK_EX_DATAERR, "the device refuses "
			    "registers %u-%u", addr, addr + n - 1);
			return 1;
		}
		out[i] = img[addr + i];
	}
	return 0;
}

/* inverter 103 at a: W, W_SF, WH, WH_SF */
static void
inverter(unsigned a, unsigned id, int w, int wsf, uint32_t wh, int whsf)
{
	model(a, id, 50);
	put(a + 14, w);
	put(a + 15, wsf);
	acc32(a + 24, wh);
	put(a + 26, whsf);
	put(a + 38, 4);		/* St: MPPT */
}

/* meter 20x at a: W, W_SF, TotWhExp, TotWhImp, TotWh_SF */
static void
meter(unsigned a, unsigned id, int w, int wsf, uint32_t exp, uint32_t imp,
    int sf)
{
	model(a, id, 105);
	put(a + 18, w);
	put(a + 19, 0x8000);	/* WphA..C not implemented */
	put(a + 22, wsf);
	acc32(a + 38, exp);
	acc32(a + 46, imp);
	put(a + 54, sf);
}

static void
test_scale(void)
{
	int64_t v;

	CHECK(dk_sunspec_scale(12345, -3, 1, &v) == 0 && v == 12);
	CHECK(dk_sunspec_scale(12345, -2, 1, &v) == 0 && v == 123);
	CHECK(dk_sunspec_scale(12345, -1, 1, &v) == 0 && v == 1235);
	CHECK(dk_sunspec_scale(12345, -1, 0, &v) == 0 && v == 1234);
	CHECK(dk_sunspec_scale(-12345, -1, 1, &v) == 0 && v == -1235);
	CHECK(dk_sunspec_scale(-12344, -1, 1, &v) == 0 && v == -1234);
	CHECK(dk_sunspec_scale(12345, 0, 1, &v) == 0 && v == 12345);
	CHECK(dk_sunspec_scale(12345, 1, 1, &v) == 0 && v == 123450);
	CHECK(dk_sunspec_scale(12345, 2, 1, &v) == 0 && v == 1234500);
	CHECK(dk_sunspec_scale(12345, 3, 1, &v) == 0 && v == 12345000);
	CHECK(dk_sunspec_scale(-32768, 10, 1, &v) == 0 &&
	    v == -327680000000000LL);
	/* past 2^53-1 (the JSON profile) is refused, never wrapped */
	CHECK(dk_sunspec_scale(4294967295LL, 13, 0, &v) < 0);
	CHECK(dk_sunspec_scale(900719925LL, 7, 0, &v) == 0 &&
	    v == 9007199250000000LL);
	CHECK(dk_sunspec_scale(900719926LL, 7, 0, &v) < 0);
	CHECK(dk_sunspec_scale(1, 14, 0, &v) < 0);
	CHECK(dk_sunspec_scale(1, -11, 0, &v) < 0);
}

/* WH and W at every scale factor from -3 to +3, exactly */
static void
test_inverter_sf(void)
{
	static const int64_t mwh[] = { 1234567LL, 12345670LL, 123456700LL,
	    1234567000LL, 12345670000LL, 123456700000LL, 1234567000000LL };
	static const int64_t w[] = { 12, 123, 1235, 12345, 123450, 1234500,
	    12345000 };
	struct dk_sample s;
	struct dk_err e = { 0 };
	int sf;

	for (sf = -3; sf <= 3; sf++) {
		clear();
		inverter(100, 103, 12345, sf, 1234567, sf);
		CHECK_INT(dk_sunspec_decode(img + 100, 100, 1, &s, &e), 1);
		CHECK_STR(s.kind, "pv");
		CHECK_INT(s.import_mwh, mwh[sf + 3]);
		CHECK_INT(s.export_mwh, DK_NOVAL);
		CHECK_INT(s.power_w, w[sf + 3]);
		/* acc32 rolls over at 2^32 Wh x 10^sf */
		CHECK_INT(s.wrap_mwh, sf == -3 ? 4294967296LL :
		    4294967296LL * (int64_t)(mwh[sf + 3] / 1234567));
	}
	/* below a milli-Wh: truncated, so a counter never runs ahead */
	clear();
	inverter(100, 101, 0, 0, 1234567, -4);
	CHECK_INT(dk_sunspec_decode(img + 100, 100, 1, &s, &e), 1);
	CHECK_INT(s.import_mwh, 123456);
	CHECK_INT(s.wrap_mwh, 0);
	inverter(100, 102, 0, 0, 1234567, -5);
	CHECK_INT(dk_sunspec_decode(img + 100, 100, 1, &s, &e), 1);
	CHECK_INT(s.import_mwh, 12345);
	/* the high word comes first */
	inverter(100, 103, 0, 0, 0x00010002, 0);
	CHECK_INT(dk_sunspec_decode(img + 100, 100, 1, &s, &e), 1);
	CHECK_INT(s.import_mwh, 65538000);
	CHECK_INT(s.power_w, 0);
}

static void
test_meter(void)
{
	struct dk_sample s;
	struct dk_err e = { 0 };
	int sf;

	for (sf = -3; sf <= 3; sf++) {
		int64_t p = 1;
		int i;

		for (i = 0; i < sf + 3; i++)
			p *= 10;
		clear();
		meter(200, 203, -1234, -1, 987654, 4000000, sf);
		CHECK_INT(dk_sunspec_decode(img + 200, 200, 1, &s, &e), 1);
		CHECK_STR(s.kind, "grid");
		CHECK_INT(s.import_mwh, 4000000 * p);
		CHECK_INT(s.export_mwh, 987654 * p);
		CHECK_INT(s.power_w, -123);
	}
	clear();
	meter(200, 201, -12345, -1, 5, 6, 0);
	CHECK_INT(dk_sunspec_decode(img + 200, 200, 1, &s, &e), 1);
	CHECK_INT(s.power_w, -1235);
	/* power_sign export: the device's + is fed in, ours is drawn */
	CHECK_INT(dk_sunspec_decode(img + 200, 200, -1, &s, &e), 1);
	CHECK_INT(s.power_w, 1235);
	meter(200, 202, 32767, 2, 5, 6, 0);
	CHECK_INT(dk_sunspec_decode(img + 200, 200, 1, &s, &e), 1);
	CHECK_INT(s.power_w, 3276700);
	meter(200, 204, 1, 0, 5, 6, 0);
	CHECK_INT(dk_sunspec_decode(img + 200, 200, 1, &s, &e), 1);
	CHECK_INT(s.import_mwh, 6000);
	/* a model we do not decode */
	model(200, 120, 26);
	CHECK_INT(dk_sunspec_decode(img + 200, 200, 1, &s, &e), 0);
}

/* Not-implemented values give no value, never a number. */
static void
test_sentinels(void)
{
	struct dk_sample s;
	struct dk_err e = { 0 };

	clear();
	meter(200, 203, 0x8000, 0, 0, 4000, 0);
	CHECK_INT(dk_sunspec_decode(img + 200, 200, 1, &s, &e), 1);
	CHECK_INT(s.power_w, DK_NOVAL);
	CHECK_INT(s.export_mwh, DK_NOVAL);	/* acc32 0 */
	CHECK_INT(s.import_mwh, 4000000);
	meter(200, 203, 100, 0x8000, 10, 20, 0x8000);
	CHECK_INT(dk_sunspec_decode(img + 200, 200, 1, &s, &e), 1);
	CHECK_INT(s.power_w, DK_NOVAL);
	CHECK_INT(s.import_mwh, DK_NOVAL);
	CHECK_INT(s.export_mwh, DK_NOVAL);
	CHECK_INT(s.wrap_mwh, 0);
	inverter(100, 103, 0x8000, 0, 0, 0);
	CHECK_INT(dk_sunspec_decode(img + 100, 100, 1, &s, &e), 1);
	CHECK_INT(s.power_w, DK_NOVAL);
	CHECK_INT(s.import_mwh, DK_NOVAL);
	inverter(100, 103, 5, 0, 77, 0x8000);
	CHECK_INT(dk_sunspec_decode(img + 100, 100, 1, &s, &e), 1);
	CHECK_INT(s.power_w, 5);
	CHECK_INT(s.import_mwh, DK_NOVAL);
	/* a scale factor out of -10..10 is a bad map, named by register */
	inverter(100, 103, 5, 11, 77, 0);
	CHECK_INT(dk_sunspec_decode(img + 100, 100, 1, &s, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_HAS(e.msg, "register 115: W_SF 11");
	meter(200, 203, 1, 0, 1, 1, -11);
	CHECK_INT(dk_sunspec_decode(img + 200, 200, 1, &s, &e), -1);
	CHECK_HAS(e.msg, "register 254: TotWh_SF -11");
	/* 4294967295 Wh at 10^10 is past 2^53-1 mWh */
	inverter(100, 103, 5, 0, 4294967295U, 10);
	CHECK_INT(dk_sunspec_decode(img + 100, 100, 1, &s, &e), -1);
	CHECK_HAS(e.msg, "register 124: WH 4294967295 Wh at 10^10 is out of "
	    "range");
}

/* a device at base b: Common, an inverter, a meter, the end */
static void
device(unsigned b)
{
	suns(b);
	model(b + 2, 1, 66);
	inverter(b + 70, 103, 2345, 0, 123456789, 0);
	meter(b + 122, 203, -1234, -1, 987654, 4000000, -2);
	end(b + 229);
}

struct got {
	int n;
	struct dk_sample s[4];
};

static int
collect(void *ctx, const struct dk_sample *s, struct dk_err *e)
{
	struct got *g = ctx;

	(void)e;
	if (g->n < 4)
		g->s[g->n] = *s;
	g->n++;
	return 0;
}

static void
test_discovery(void)
{
	static const unsigned b[] = { 40000, 0, 50000 };
	struct dk_sunspec_model m[DK_SUNSPEC_MAXMODELS];
	struct dk_err e = { 0 };
	struct got g;
	unsigned found;
	size_t i, n;

	for (i = 0; i < 3; i++) {
		clear();
		device(b[i]);
		/* readable but no marker at 40000 when the map is elsewhere */
		if (b[i] != 40000) {
			put(40000, 0);
			put(40001, 0);
		}
		CHECK_INT(dk_sunspec_find(rd, NULL, -1, &found, &e), 0);
		CHECK_INT(found, b[i]);
		CHECK_INT(dk_sunspec_walk(rd, NULL, found, m,
		    DK_SUNSPEC_MAXMODELS, &n, &e), 0);
		CHECK_INT(n, 3);
		CHECK_INT(m[0].id, 1);
		CHECK_INT(m[0].addr, b[i] + 2);
		CHECK_INT(m[1].id, 103);
		CHECK_INT(m[1].addr, b[i] + 70);
		CHECK_INT(m[2].id, 203);
		CHECK_INT(m[2].addr, b[i] + 122);
		CHECK_INT(m[2].len, 105);
		memset(&g, 0, sizeof(g));
		CHECK_INT(dk_sunspec_poll(rd, NULL, -1, 1, 1767225600, collect,
		    &g, &found, &e), 0);
		CHECK_INT(g.n, 2);
		CHECK_STR(g.s[0].kind, "pv");
		CHECK_INT(g.s[0].import_mwh, 123456789000LL);
		CHECK_INT(g.s[0].power_w, 2345);
		CHECK_INT(g.s[0].t, 1767225600);
		CHECK_STR(g.s[1].kind, "grid");
		CHECK_INT(g.s[1].import_mwh, 40000000);
		CHECK_INT(g.s[1].export_mwh, 9876540);
		CHECK_INT(g.s[1].power_w, -123);
		CHECK_INT(g.s[1].meter[0], '\0');
	}
	/* a base given: only there */
	CHECK_INT(dk_sunspec_find(rd, NULL, 50000, &found, &e), 0);
	CHECK_INT(dk_sunspec_find(rd, NULL, 40000, &found, &e), -1);
	CHECK_HAS(e.msg, "configured base: register 40000 holds 0x0000 "
	    "0x0000");
	/* Model 1 with 65 registers (no Pad) is fine */
	clear();
	suns(40000);
	model(40002, 1, 65);
	meter(40069, 201, 10, 0, 1, 2, 0);
	end(40176);
	memset(&g, 0, sizeof(g));
	CHECK_INT(dk_sunspec_poll(rd, NULL, -1, 1, 0, collect, &g, &found,
	    &e), 0);
	CHECK_INT(g.n, 1);
	CHECK_INT(g.s[0].import_mwh, 2000);
}

static void
test_bad_maps(void)
{
	struct dk_sunspec_model m[DK_SUNSPEC_MAXMODELS];
	struct dk_err e = { 0 };
	struct got g;
	unsigned found, i;
	size_t n;

	/* no marker anywhere */
	clear();
	put(40000, 0x5375);
	put(40001, 0x6e54);
	CHECK_INT(dk_sunspec_find(rd, NULL, -1, &found, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_HAS(e.msg, "no SunS marker");
	CHECK_HAS(e.msg, "register 40000 holds 0x5375 0x6E54");
	CHECK_HAS(e.msg, "register 0: the device refuses registers 0-1");
	CHECK_HAS(e.msg, "register 50000: the device refuses");
	/* a model length that is wrong */
	clear();
	device(40000);
	put(40123, 100);
	CHECK_INT(dk_sunspec_walk(rd, NULL, 40000, m, DK_SUNSPEC_MAXMODELS,
	    &n, &e), -1);
	CHECK_STR(e.msg, "register 40123: model 203 has length 100, must be "
	    "105");
	put(40003, 60);
	CHECK_INT(dk_sunspec_walk(rd, NULL, 40000, m, DK_SUNSPEC_MAXMODELS,
	    &n, &e), -1);
	CHECK_STR(e.msg, "register 40003: model 1 has length 60, must be 66 "
	    "or 65");
	/* the chain ends without 0xFFFF: the next read is refused */
	clear();
	device(40000);
	mapped[40229] = mapped[40230] = 0;
	CHECK_INT(dk_sunspec_walk(rd, NULL, 40000, m, DK_SUNSPEC_MAXMODELS,
	    &n, &e), -1);
	CHECK_HAS(e.msg, "register 40229: the model chain from 40000 ends "
	    "without 0xFFFF: the device refuses registers 40229-40230");
	/* a chain that runs past the address space */
	clear();
	suns(50000);
	model(50002, 1, 66);
	put(50070, 64001);
	put(50071, 20000);
	CHECK_INT(dk_sunspec_walk(rd, NULL, 50000, m, DK_SUNSPEC_MAXMODELS,
	    &n, &e), -1);
	CHECK_STR(e.msg, "register 50071: model 64001 of length 20000 runs "
	    "past register 65535");
	/* ... or whose last model ends at 65535 with no room for the end */
	clear();
	suns(65000);
	model(65002, 1, 66);
	model(65070, 64001, 464);
	CHECK_INT(dk_sunspec_walk(rd, NULL, 65000, m, DK_SUNSPEC_MAXMODELS,
	    &n, &e), -1);
	CHECK_HAS(e.msg, "register 65536: the model chain from 65000 runs "
	    "past register 65535");
	/* a chain of empty models that never ends (a loop of zeros) */
	clear();
	suns(0);
	model(2, 1, 66);
	for (i = 70; i < 70 + 2 * 100; i += 2)
		model(i, 64000, 0);
	CHECK_INT(dk_sunspec_walk(rd, NULL, 0, m, DK_SUNSPEC_MAXMODELS, &n,
	    &e), -1);
	CHECK_STR(e.msg, "register 196: more than 64 models from 0: the "
	    "chain does not end");
	/* ID 0 and a first model that is not Common */
	clear();
	device(40000);
	put(40070, 0);
	CHECK_INT(dk_sunspec_walk(rd, NULL, 40000, m, DK_SUNSPEC_MAXMODELS,
	    &n, &e), -1);
	CHECK_STR(e.msg, "register 40070: model ID 0 is no model: the chain "
	    "from 40000 is broken");
	device(40000);
	put(40002, 103);
	CHECK_INT(dk_sunspec_walk(rd, NULL, 40000, m, DK_SUNSPEC_MAXMODELS,
	    &n, &e), -1);
	CHECK_STR(e.msg, "register 40002: the first model is 103, not 1 "
	    "(Common)");
	/* a chain with no inverter or meter */
	clear();
	suns(40000);
	model(40002, 1, 66);
	model(40070, 120, 26);
	end(40098);
	memset(&g, 0, sizeof(g));
	CHECK_INT(dk_sunspec_poll(rd, NULL, -1, 1, 0, collect, &g, &found,
	    &e), -1);
	CHECK_STR(e.msg, "register 40000: no inverter (101-103) or meter "
	    "(201-204) among the models (1, 120)");
	CHECK_INT(g.n, 0);
	/* a bad model after a good one: nothing is given */
	clear();
	device(40000);
	put(40122 + 54, 12);
	memset(&g, 0, sizeof(g));
	CHECK_INT(dk_sunspec_poll(rd, NULL, -1, 1, 0, collect, &g, &found,
	    &e), -1);
	CHECK_HAS(e.msg, "register 40176: TotWh_SF 12");
	CHECK_INT(g.n, 0);
	/* a transport failure is passed on as it is, after one read */
	down = 1;
	reads = 0;
	CHECK_INT(dk_sunspec_poll(rd, NULL, -1, 1, 0, collect, &g, &found,
	    &e), -1);
	CHECK_INT(e.status, DK_EX_TEMPFAIL);
	CHECK_STR(e.msg, "connection reset");
	CHECK_INT(reads, 1);
}

int
main(void)
{
	test_scale();
	test_inverter_sf();
	test_meter();
	test_sentinels();
	test_discovery();
	test_bad_maps();
	return check_done("test-sunspec");
}
