/* money.c: integer energy and money: the one rounding rule, value of
 * Wh at a price per kWh, overflow-checked sums, money for people. */
#include <stdio.h>

#include "core.h"

/*
 * The one rounding rule: a*b/d rounded to the nearest integer, halves away
 * from zero, computed exactly in 128 bits.  Every amount of money is made by
 * this function once and then moved whole between two parties, so what one
 * pays another receives and each slot sums to exactly zero.  A zero d, or a
 * quotient that int64 cannot hold, is refused rather than wrapped.
 */
int
dk_muldiv(int64_t a, int64_t b, int64_t d, int64_t *out)
{
	__int128 p = (__int128)a * b, ad = d, q;
	int neg = (p < 0) != (d < 0);

	if (d == 0)
		return -1;
	if (p < 0)
		p = -p;
	if (ad < 0)
		ad = -ad;
	q = (p + ad / 2) / ad;
	if (neg)
		q = -q;
	if (q > INT64_MAX || q < INT64_MIN)
		return -1;
	*out = (int64_t)q;
	return 0;
}

/*
 * Money in micro-units for energy in Wh at a price in micro-units per kWh;
 * -1 when it would be beyond +-(2^53-1), which no record can carry.
 */
int
dk_value(int64_t wh, int64_t price_per_kwh, int64_t *out)
{
	int64_t v;

	if (dk_muldiv(wh, price_per_kwh, 1000, &v) < 0 ||
	    v > DK_MAX_SAFE_INT || v < -DK_MAX_SAFE_INT)
		return -1;
	*out = v;
	return 0;
}

/*
 * A share of an amount of money by the same rule: amount * num / den,
 * rounded once; -1 when it would be beyond +-(2^53-1).  Basis points
 * (den 10000), halves (1 / 2: the odd micro-unit goes to the half asked
 * for first), an amount at an average price (value / Wh).
 */
int
dk_share(int64_t amount, int64_t num, int64_t den, int64_t *out)
{
	int64_t v;

	if (dk_muldiv(amount, num, den, &v) < 0 || v > DK_MAX_SAFE_INT ||
	    v < -DK_MAX_SAFE_INT)
		return -1;
	*out = v;
	return 0;
}

/*
 * Sums of energy and money: *sum += x, or -1 (and *sum unchanged) when the
 * result would be beyond +-(2^53-1).
 */
int
dk_add(int64_t *sum, int64_t x)
{
	int64_t s;

	if (__builtin_add_overflow(*sum, x, &s) || s > DK_MAX_SAFE_INT ||
	    s < -DK_MAX_SAFE_INT)
		return -1;
	*sum = s;
	return 0;
}

/* For people: micro-units as units with two decimals, rounded like money. */
void
dk_money_str(int64_t micro, char *out, size_t len)
{
	int64_t c = 0, a;

	dk_muldiv(micro, 1, 10000, &c);	/* never beyond int64 */
	a = c < 0 ? -c : c;
	snprintf(out, len, "%s%lld.%02lld", c < 0 ? "-" : "",
	    (long long)(a / 100), (long long)(a % 100));
}
