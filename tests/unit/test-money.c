/* Unit tests for lib/core/money.c: the one rounding rule, and money for people. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "denki.h"
#include "check.h"

/* a*b/d rounded half away from zero, by truncating division and a look at
 * the remainder (a different route from the library's). */
static __int128
ref_muldiv(int64_t a, int64_t b, int64_t d)
{
	__int128 p = (__int128)a * b, q = p / d, r = p % d;
	__int128 ar = r < 0 ? -r : r, ad = d < 0 ? -(__int128)d : d;

	if (2 * ar >= ad)
		q += ((p < 0) != (d < 0)) ? -1 : 1;
	return q;
}

/* the library's, where it must succeed */
static int64_t
val(int64_t wh, int64_t p)
{
	int64_t v = -42;

	CHECKF(dk_value(wh, p, &v) == 0, "dk_value(%lld, %lld) failed",
	    (long long)wh, (long long)p);
	return v;
}

static int64_t
mdv(int64_t a, int64_t b, int64_t d)
{
	int64_t q = -42;

	CHECKF(dk_muldiv(a, b, d, &q) == 0, "dk_muldiv(%lld, %lld, %lld) "
	    "failed", (long long)a, (long long)b, (long long)d);
	return q;
}

static uint64_t rs = 0x243F6A8885A308D3ULL;

static uint64_t
rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static void
test_value(void)
{
	/* halves go away from zero, on both sides */
	CHECK_INT(val(1, 500), 1);
	CHECK_INT(val(-1, 500), -1);
	CHECK_INT(val(1, -500), -1);
	CHECK_INT(val(-1, -500), 1);
	CHECK_INT(val(1, 499), 0);
	CHECK_INT(val(-1, 499), 0);
	CHECK_INT(val(1, 501), 1);
	CHECK_INT(val(1, 1500), 2);
	CHECK_INT(val(-1, 1500), -2);
	CHECK_INT(val(3, 2500), 8);	/* 7.5 */
	CHECK_INT(val(-3, 2500), -8);
	CHECK_INT(val(3, 166667), 500);	/* 500.001 */
	CHECK_INT(val(1000, 250000), 250000);
	CHECK_INT(val(0, DK_MAX_PRICE), 0);
	CHECK_INT(val(DK_MAX_WH, 0), 0);
	CHECK_INT(val(1234, 300000), 370200);
	CHECK_INT(val(1, 1), 0);		/* 0.001 */
	/* at the documented limits the product stays exact */
	CHECK_INT(val(DK_MAX_WH, DK_MAX_PRICE), 1000000000000000LL);
	CHECK_INT(val(-DK_MAX_WH, DK_MAX_PRICE), -1000000000000000LL);
	CHECK_INT(val(DK_MAX_WH - 1, DK_MAX_PRICE - 1),
	    999999989900000LL);		/* ...900000.001 */
	CHECK_INT(val(-(DK_MAX_WH - 1), DK_MAX_PRICE - 1),
	    -999999989900000LL);
	CHECK_INT(val(DK_MAX_WH, DK_MAX_PRICE - 499), 999999950100000LL);
	CHECK_INT(val(DK_MAX_WH - 1, DK_MAX_PRICE - 5),
	    999999989500000LL);		/* ...500000.005 */
	/* an exact half at the limits: 999999940000000.5 */
	CHECK_INT(val(DK_MAX_WH - 1, DK_MAX_PRICE - 500),
	    999999940000001LL);
	CHECK_INT(val(-(DK_MAX_WH - 1), DK_MAX_PRICE - 500),
	    -999999940000001LL);
}

static void
test_muldiv(void)
{
	int i, bad, wide = 0;

	CHECK_INT(mdv(7, 1, 2), 4);
	CHECK_INT(mdv(-7, 1, 2), -4);
	CHECK_INT(mdv(7, 1, -2), -4);
	CHECK_INT(mdv(-7, -1, -2), -4);
	CHECK_INT(mdv(-7, 1, -2), 4);
	CHECK_INT(mdv(5, 1, 3), 2);
	CHECK_INT(mdv(-5, 1, 3), -2);
	CHECK_INT(mdv(4, 1, 3), 1);
	CHECK_INT(mdv(-4, 1, 3), -1);
	CHECK_INT(mdv(1, 1, -2), -1);
	CHECK_INT(mdv(0, 5, 7), 0);
	CHECK_INT(mdv(6, 7, 1), 42);
	CHECK_INT(mdv(123456789, 987654321, 1000), 121932631112635LL);
	CHECK_INT(mdv(-123456789, 987654321, 1000), -121932631112635LL);
	/* products beyond 64 bits are exact (128-bit intermediate) */
	CHECK_INT(mdv(INT64_MAX, INT64_MAX, INT64_MAX), INT64_MAX);
	CHECK_INT(mdv(INT64_MAX, INT64_C(1) << 62, INT64_MAX),
	    INT64_C(1) << 62);
	CHECK_INT(mdv(INT64_MIN, 1, 1), INT64_MIN);
	CHECK_INT(mdv(INT64_MIN, -1, 2), INT64_C(1) << 62);
	CHECK_INT(mdv(INT64_C(3000000000), INT64_C(3000000000),
	    INT64_C(1000000000)), INT64_C(9000000000));

	/* against the reference, random signs and sizes */
	for (i = 0, bad = 0; i < 200000; i++) {
		int64_t a = (int64_t)(rnd() % 2000000000001ULL) - 1000000000000;
		int64_t b = (int64_t)(rnd() % 20000000001ULL) - 10000000000;
		int64_t d = (int64_t)(rnd() % 20001) - 10000;
		int64_t got = 7;
		__int128 want;
		int rc;

		if (i % 3 == 0)
			d = (int64_t)(rnd() % 8) - 4;	/* tiny: many ties */
		if (d == 0)
			d = 2;
		rc = dk_muldiv(a, b, d, &got);
		want = ref_muldiv(a, b, d);
		/* beyond int64: refused, where it used to wrap */
		if (want > INT64_MAX || want < INT64_MIN) {
			if ((rc != -1 || got != 7) && bad++ == 0)
				fprintf(stderr, "dk_muldiv(%lld, %lld, %lld) "
				    "gave %lld, want a refusal\n", (long long)a,
				    (long long)b, (long long)d, (long long)got);
			wide++;
			continue;
		}
		if ((rc != 0 || got != want) && bad++ == 0)
			fprintf(stderr, "mdv(%lld, %lld, %lld) = %lld, "
			    "want %lld\n", (long long)a, (long long)b,
			    (long long)d, (long long)got, (long long)want);
	}
	CHECK_INT(bad, 0);
	CHECK(wide > 10000 && wide < 100000);	/* both kinds were tried */
	/* dk_value is dk_muldiv by 1000, over the whole order range */
	for (i = 0, bad = 0; i < 200000; i++) {
		int64_t wh = (int64_t)(rnd() % (2 * DK_MAX_WH + 1)) - DK_MAX_WH;
		int64_t p = (int64_t)(rnd() % (DK_MAX_PRICE + 1));

		if (val(wh, p) != ref_muldiv(wh, p, 1000) && bad++ == 0)
			fprintf(stderr, "val(%lld, %lld) = %lld, want "
			    "%lld\n", (long long)wh, (long long)p,
			    (long long)val(wh, p),
			    (long long)ref_muldiv(wh, p, 1000));
	}
	CHECK_INT(bad, 0);
}

/* What used to wrap or trap: each is refused, and *out is left alone. */
static void
test_refused(void)
{
	int64_t q = 7, s;

	/* a zero divisor trapped (SIGFPE) */
	CHECK_INT(dk_muldiv(1, 1, 0, &q), -1);
	CHECK_INT(dk_muldiv(0, 0, 0, &q), -1);
	CHECK_INT(q, 7);
	/* quotients past int64 wrapped: INT64_MAX * 2 came back as -2 */
	CHECK_INT(dk_muldiv(INT64_MAX, 2, 1, &q), -1);
	CHECK_INT(dk_muldiv(INT64_MIN, -1, 1, &q), -1);	/* 2^63 */
	CHECK_INT(dk_muldiv(INT64_MIN, 1, -1, &q), -1);
	CHECK_INT(dk_muldiv(INT64_MAX, INT64_MAX, 1, &q), -1);
	CHECK_INT(dk_muldiv(INT64_MIN, INT64_MIN, 3, &q), -1);
	CHECK_INT(q, 7);
	/* a divisor of INT64_MIN was negated in 64 bits (undefined); the
	 * quotient came back 0 */
	CHECK_INT(mdv(INT64_MIN, 1, INT64_MIN), 1);
	CHECK_INT(mdv(INT64_MIN, -1, INT64_MIN), -1);
	CHECK_INT(mdv(INT64_MAX, 1, INT64_MIN), -1);	/* -0.99.. */
	CHECK_INT(mdv(5, 1, INT64_MIN), 0);
	/* the edges of int64 themselves */
	CHECK_INT(mdv(INT64_MAX, 1, 1), INT64_MAX);
	CHECK_INT(mdv(INT64_MIN, 1, 1), INT64_MIN);
	CHECK_INT(mdv(INT64_MAX, -1, 1), -INT64_MAX);
	CHECK_INT(mdv(INT64_MAX, 2, 2), INT64_MAX);
	/* 2^63 - 0.5 rounds away from zero, to 2^63: too far */
	CHECK_INT(dk_muldiv(INT64_MAX, 2, 2, &q), 0);
	CHECK_INT(dk_muldiv(2 * (INT64_MAX / 2) + 1, 2, 2, &q), 0);

	/* money stops at 2^53 - 1, what a record carries */
	CHECK_INT(val(DK_MAX_SAFE_INT, 1000), DK_MAX_SAFE_INT);
	CHECK_INT(val(-DK_MAX_SAFE_INT, 1000), -DK_MAX_SAFE_INT);
	CHECK_INT(val(INT64_C(9007199254740991499), 1), DK_MAX_SAFE_INT);
	q = 7;
	CHECK_INT(dk_value(INT64_C(9007199254740991500), 1, &q), -1);
	CHECK_INT(dk_value(-INT64_C(9007199254740991500), 1, &q), -1);
	CHECK_INT(dk_value(DK_MAX_SAFE_INT, 1001, &q), -1);
	CHECK_INT(dk_value(INT64_MAX, INT64_MAX, &q), -1);
	CHECK_INT(dk_value(INT64_MIN, 1000, &q), -1);
	CHECK_INT(q, 7);

	/* sums: within +-(2^53 - 1), or refused with the sum unchanged */
	s = DK_MAX_SAFE_INT - 1;
	CHECK_INT(dk_add(&s, 1), 0);
	CHECK_INT(s, DK_MAX_SAFE_INT);
	CHECK_INT(dk_add(&s, 1), -1);
	CHECK_INT(s, DK_MAX_SAFE_INT);
	CHECK_INT(dk_add(&s, INT64_MAX), -1);		/* past int64 too */
	CHECK_INT(dk_add(&s, -DK_MAX_SAFE_INT), 0);
	CHECK_INT(s, 0);
	CHECK_INT(dk_add(&s, -DK_MAX_SAFE_INT), 0);
	CHECK_INT(dk_add(&s, -1), -1);
	CHECK_INT(dk_add(&s, INT64_MIN), -1);
	CHECK_INT(s, -DK_MAX_SAFE_INT);
	CHECK_INT(dk_add(&s, DK_MAX_SAFE_INT), 0);
	CHECK_INT(dk_add(&s, INT64_MIN), -1);
	CHECK_INT(s, 0);
	/* a slot at its limits: every order and reading at DK_MAX_WH and
	 * DK_MAX_PRICE, six such values, stays below 2^53 */
	s = 0;
	for (q = 0; q < 6; q++)
		CHECK_INT(dk_add(&s, val(DK_MAX_WH, DK_MAX_PRICE)), 0);
	CHECK_INT(s, 6000000000000000LL);
}

/* Shares by the same rule: basis points, halves, an average price; the
 * results money can carry, or refused with *out left alone. */
static void
test_share(void)
{
	int64_t q, a, b, all;

	/* 2% of 1234 micro-units is 24.68: 25 */
	CHECK_INT(dk_share(1234, 200, 10000, &q), 0);
	CHECK_INT(q, 25);
	/* halves away from zero: 0.5 -> 1, 2.5 -> 3, -2.5 -> -3 */
	CHECK_INT(dk_share(1, 1, 2, &q), 0);
	CHECK_INT(q, 1);
	CHECK_INT(dk_share(5, 1, 2, &q), 0);
	CHECK_INT(q, 3);
	CHECK_INT(dk_share(-5, 1, 2, &q), 0);
	CHECK_INT(q, -3);
	/* 10% tax of 15 is 1.5: 2; of 14, 1.4: 1 */
	CHECK_INT(dk_share(15, 1000, 10000, &q), 0);
	CHECK_INT(q, 2);
	CHECK_INT(dk_share(14, 1000, 10000, &q), 0);
	CHECK_INT(q, 1);
	/* 10000 bps is the whole, 0 is nothing */
	CHECK_INT(dk_share(DK_MAX_SAFE_INT, 10000, 10000, &q), 0);
	CHECK_INT(q, DK_MAX_SAFE_INT);
	CHECK_INT(dk_share(DK_MAX_SAFE_INT, 0, 10000, &q), 0);
	CHECK_INT(q, 0);
	/* a split conserves: the first half and the rest make the whole */
	for (all = -7; all <= 7; all++) {
		CHECK_INT(dk_share(all, 1, 2, &a), 0);
		b = all - a;
		CHECK_INT(a + b, all);
		CHECK(a - b == 0 || a - b == (all > 0 ? 1 : -1));
	}
	/* 150 Wh at an average of 30000000 micro-units a kWh over 500 Wh
	 * of contracts worth 15000000: 150 * 15000000 / 500 = 4500000 */
	CHECK_INT(dk_share(150, 15000000, 500, &q), 0);
	CHECK_INT(q, 4500000);
	/* beyond 2^53 - 1, or int64, or a zero divisor: refused */
	q = 7;
	CHECK_INT(dk_share(DK_MAX_SAFE_INT, 10001, 10000, &q), -1);
	CHECK_INT(dk_share(-DK_MAX_SAFE_INT, 10001, 10000, &q), -1);
	CHECK_INT(dk_share(INT64_MAX, INT64_MAX, 1, &q), -1);
	CHECK_INT(dk_share(1, 1, 0, &q), -1);
	CHECK_INT(q, 7);
	/* 2^53 - 1 exactly, from a product past int64 */
	CHECK_INT(dk_share(DK_MAX_SAFE_INT, INT64_MAX, INT64_MAX, &q), 0);
	CHECK_INT(q, DK_MAX_SAFE_INT);
}

static void
test_money_str(void)
{
	static const struct {
		int64_t micro;
		const char *want;
	} v[] = {
		{ 0, "0.00" },
		{ 1234567, "1.23" },
		{ 1235000, "1.24" },		/* half a cent, away from 0 */
		{ -1235000, "-1.24" },
		{ 1234999, "1.23" },
		{ -1234999, "-1.23" },
		{ 4999, "0.00" },
		{ -4999, "0.00" },		/* no "-0.00" */
		{ 5000, "0.01" },
		{ -5000, "-0.01" },
		{ 1000000, "1.00" },
		{ -1000000, "-1.00" },
		{ 995000, "1.00" },
		{ 99990000, "99.99" },
		{ 123456789012, "123456.79" },
		{ INT64_MAX, "9223372036854.78" },
		{ INT64_MIN, "-9223372036854.78" },
	};
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memset(buf, 'X', sizeof(buf));
		dk_money_str(v[i].micro, buf, sizeof(buf));
		CHECKF(strcmp(buf, v[i].want) == 0, "dk_money_str(%lld) = "
		    "\"%s\", want \"%s\"", (long long)v[i].micro, buf,
		    v[i].want);
	}
	/* a short buffer is cut, still terminated */
	memset(buf, 'X', sizeof(buf));
	dk_money_str(123456789012, buf, 5);
	CHECK_STR(buf, "1234");
	CHECK_INT(buf[5], 'X');
}

int
main(void)
{
	test_value();
	test_muldiv();
	test_refused();
	test_share();
	test_money_str();
	return check_done("test-money");
}
