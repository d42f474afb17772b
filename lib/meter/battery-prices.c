/*
 * battery-prices.c: the prices a battery's plan is made at, slot by slot
 * (battery.prices, a CSV file: a time-of-use tariff, a price forecast),
 * each row in the community's currency.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meter.h"

/*
 * The file: a header line "slot,currency,buy,sell", then one slot a line:
 * its start (RFC 3339, on a slot boundary), the currency (the
 * community's), what a kWh bought and sold costs and earns, in integer
 * micro-units (|price| at most DK_MAX_PRICE).  Each slot once.  A slot
 * the file does not name is planned at the rules' retail and buyback.
 */
static int
price(const char *f, long ln, const char *what, const char *s, int64_t *v,
    struct dk_err *e)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || x < -DK_MAX_PRICE ||
	    x > DK_MAX_PRICE)
		return dk_fail(e, DK_EX_DATAERR, "%s:%ld: %s: must be an "
		    "integer of micro-units per kWh, at most %lld either way, "
		    "got \"%.40s\"", f, ln, what, DK_MAX_PRICE, s);
	*v = x;
	return 0;
}

static int
by_slot(const void *a, const void *b)
{
	const struct dk_slotprice *x = a, *y = b;

	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

int
dk_batt_prices(const char *file, const struct dk_rules *r,
    struct dk_slotprice **out, size_t *n, struct dk_err *e)
{
	struct dk_slotprice *v = NULL, *nv;
	char line[512], *fld[5], *s;
	size_t cap = 0, k;
	long ln = 0;
	FILE *fp;
	int i;

	*out = NULL;
	*n = 0;
	if ((fp = fopen(file, "r")) == NULL)
		return dk_fail(e, DK_EX_NOINPUT, "battery.prices: %s: %s", file,
		    strerror(errno));
	while (fgets(line, sizeof(line), fp) != NULL) {
		ln++;
		line[strcspn(line, "\r\n")] = '\0';
		if (ln == 1) {
			if (strcmp(line, "slot,currency,buy,sell") != 0) {
				dk_fail(e, DK_EX_DATAERR, "%s:1: the header "
				    "must be \"slot,currency,buy,sell\"", file);
				goto fail;
			}
			continue;
		}
		for (i = 0, s = line; i < 5 && s != NULL; i++) {
			fld[i] = s;
			if ((s = strchr(s, ',')) != NULL)
				*s++ = '\0';
		}
		if (i != 4 || s != NULL) {
			dk_fail(e, DK_EX_DATAERR, "%s:%ld: must be 4 fields: "
			    "slot,currency,buy,sell", file, ln);
			goto fail;
		}
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL) {
				dk_fail(e, DK_EX_SOFTWARE, "out of memory");
				goto fail;
			}
			v = nv;
		}
		if (dk_slot_parse(fld[0], r->slot_minutes, &v[*n].slot,
		    e) < 0) {
			dk_failpre(e, "%s:%ld: slot", file, ln);
			goto fail;
		}
		if (strcmp(fld[1], r->currency) != 0) {
			dk_fail(e, DK_EX_DATAERR, "%s:%ld: currency: %.8s is "
			    "not the community's %s", file, ln, fld[1],
			    r->currency);
			goto fail;
		}
		if (price(file, ln, "buy", fld[2], &v[*n].buy, e) < 0 ||
		    price(file, ln, "sell", fld[3], &v[*n].sell, e) < 0)
			goto fail;
		(*n)++;
	}
	if (ferror(fp)) {
		dk_fail(e, DK_EX_IOERR, "%s: %s", file, strerror(errno));
		goto fail;
	}
	if (ln == 0) {
		dk_fail(e, DK_EX_DATAERR, "%s: empty: the header must be "
		    "\"slot,currency,buy,sell\"", file);
		goto fail;
	}
	fclose(fp);
	qsort(v, *n, sizeof(*v), by_slot);
	for (k = 1; k < *n; k++)
		if (v[k].slot == v[k - 1].slot) {
			char ts[40];

			dk_time_format(v[k].slot, r->tz, ts, sizeof(ts));
			dk_fail(e, DK_EX_DATAERR, "%s: slot %s given twice",
			    file, ts);
			free(v);
			*n = 0;
			return -1;
		}
	*out = v;
	return 0;
fail:
	fclose(fp);
	free(v);
	*n = 0;
	return -1;
}

/* The prices of slot t: the file's, else retail and buyback. */
void
dk_batt_price(const struct dk_slotprice *v, size_t n,
    const struct dk_rules *r, int64_t t, int64_t *buy, int64_t *sell)
{
	struct dk_slotprice key = { .slot = t }, *p;

	p = n ? bsearch(&key, v, n, sizeof(*v), by_slot) : NULL;
	*buy = p ? p->buy : r->retail;
	*sell = p ? p->sell : r->buyback;
}
