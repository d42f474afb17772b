#include <stdio.h>

#include "denki.h"

/*
 * The one rounding rule: a*b/d rounded to the nearest integer, halves away
 * from zero, computed exactly in 128 bits.  Every amount of money is made by
 * this function once and then moved whole between two parties, so what one
 * pays another receives and each slot sums to exactly zero.
 */
int64_t
dk_muldiv(int64_t a, int64_t b, int64_t d)
{
	__int128 p = (__int128)a * b;
	int neg = (p < 0) != (d < 0);
	__int128 q;

	if (p < 0)
		p = -p;
	if (d < 0)
		d = -d;
	q = (p + d / 2) / d;
	return (int64_t)(neg ? -q : q);
}

/* Money in micro-units for energy in Wh at a price in micro-units per kWh. */
int64_t
dk_value(int64_t wh, int64_t price_per_kwh)
{
	return dk_muldiv(wh, price_per_kwh, 1000);
}

/* For people: micro-units as units with two decimals, rounded like money. */
void
dk_money_str(int64_t micro, char *out, size_t len)
{
	int64_t c = dk_muldiv(micro, 1, 10000);
	int64_t a = c < 0 ? -c : c;

	snprintf(out, len, "%s%lld.%02lld", c < 0 ? "-" : "",
	    (long long)(a / 100), (long long)(a % 100));
}
