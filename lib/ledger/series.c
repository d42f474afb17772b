/*
 * series.c: series of imbalance prices (prices.imbalance), one price per
 * slot, read from their CSV file and known by the SHA-256 of its bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

struct sentry {
	int64_t slot, price;
};
struct series {
	char hash[65];
	struct sentry *v;
	size_t n;
	char *path;
	int used;		/* a price was asked of it */
};

/*
 * The series read so far, kept for the program's life: a rules record names
 * its series by hash, and the settlement of any slot under those rules
 * finds the price here.  A program reads a handful of files at most.
 */
static struct series *known;
static size_t nknown;

static int
bytime(const void *a, const void *b)
{
	const struct sentry *x = a, *y = b;

	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

/* One line "slot,price" of path (line lineno) into *en. */
static int
line_parse(char *s, int slot_minutes, struct sentry *en, const char *path,
    long lineno, struct dk_err *e)
{
	char *comma = strchr(s, ','), *end;
	long long p;

	if (comma == NULL || strchr(comma + 1, ',') != NULL)
		return dk_fail(e, DK_EX_DATAERR, "%s:%ld: must be slot,price",
		    path, lineno);
	*comma = '\0';
	if (dk_slot_parse(s, slot_minutes, &en->slot, e) < 0)
		return dk_failpre(e, "%s:%ld: slot", path, lineno);
	errno = 0;
	p = strtoll(comma + 1, &end, 10);
	if (comma[1] < '0' || comma[1] > '9' || *end != '\0' || errno != 0 ||
	    p > DK_MAX_PRICE)
		return dk_fail(e, DK_EX_DATAERR, "%s:%ld: price: must be an "
		    "integer of micro-units per kWh, 0 to %lld, got \"%.40s\"",
		    path, lineno, DK_MAX_PRICE, comma + 1);
	en->price = p;
	return 0;
}

/* The series of text (len bytes, from path) into s, sorted by slot. */
static int
parse(struct series *s, char *text, size_t len, int slot_minutes,
    const char *path, struct dk_err *e)
{
	char *p = text, *nl, *end = text + len;
	size_t cap = 0, i;
	long lineno = 0;
	void *nv;

	if (memchr(text, '\0', len) != NULL)
		return dk_fail(e, DK_EX_DATAERR, "%s: not a text file", path);
	for (; p < end; p = nl + 1) {
		lineno++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		*nl = '\0';
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		if (lineno == 1 && strcmp(p, "slot,price") == 0)
			continue;
		if (s->n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = realloc(s->v, cap * sizeof(*s->v))) == NULL)
				return dk_fail(e, DK_EX_SOFTWARE, "out of "
				    "memory");
			s->v = nv;
		}
		if (line_parse(p, slot_minutes, &s->v[s->n], path, lineno,
		    e) < 0)
			return -1;
		s->n++;
	}
	if (s->n == 0)
		return dk_fail(e, DK_EX_DATAERR, "%s: no prices", path);
	qsort(s->v, s->n, sizeof(*s->v), bytime);
	for (i = 1; i < s->n; i++)
		if (s->v[i].slot == s->v[i - 1].slot)
			return dk_fail(e, DK_EX_DATAERR, "%s: a slot given twice "
			    "(%lld)", path, (long long)s->v[i].slot);
	return 0;
}

/*
 * Reads the series at path, its slots on boundaries of slot_minutes, and
 * keeps it; hash gets the SHA-256 of its bytes, by which the rules name it.
 */
int
dk_series_load(const char *path, int slot_minutes, char hash[65],
    struct dk_err *e)
{
	struct series s = { .v = NULL, .n = 0 };
	FILE *fp;
	char *text = NULL;
	size_t cap = 0, i;
	ssize_t len;
	void *nk;

	if ((fp = fopen(path, "r")) == NULL)
		return dk_fail(e, DK_EX_NOINPUT, "%s: %s", path,
		    strerror(errno));
	len = getdelim(&text, &cap, '\0', fp);
	fclose(fp);
	if (len <= 0) {
		free(text);
		return dk_fail(e, DK_EX_DATAERR, "%s: empty file", path);
	}
	dk_sha256_hex(text, (size_t)len, s.hash);
	memcpy(hash, s.hash, 65);
	for (i = 0; i < nknown; i++)
		if (strcmp(known[i].hash, s.hash) == 0) {
			free(text);
			return 0;
		}
	if (parse(&s, text, (size_t)len, slot_minutes, path, e) < 0 ||
	    (nk = realloc(known, (nknown + 1) * sizeof(*known))) == NULL) {
		if (e->status == 0)
			dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		free(text);
		free(s.v);
		return -1;
	}
	free(text);
	known = nk;
	if ((s.path = strdup(path)) == NULL) {
		free(s.v);
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	}
	known[nknown++] = s;
	return 0;
}

/*
 * The price of slot in the series of hash: 1 and *price, 0 when no series
 * of that hash was read, -1 when it has no price for the slot.
 */
int
dk_series_price(const char *hash, int64_t slot, int64_t *price,
    struct dk_err *e)
{
	struct sentry key = { .slot = slot }, *f;
	size_t i;

	for (i = 0; i < nknown; i++)
		if (strcmp(known[i].hash, hash) == 0)
			break;
	if (i == nknown)
		return 0;
	known[i].used = 1;
	f = bsearch(&key, known[i].v, known[i].n, sizeof(key), bytime);
	if (f == NULL)
		return dk_fail(e, DK_EX_DATAERR, "the imbalance series %.16s... "
		    "has no price for the slot", hash);
	*price = f->price;
	return 1;
}

/* The path of a series read but never asked for a price (no rules of a
 * slot settled named it), or NULL. */
const char *
dk_series_unused(void)
{
	size_t i;

	for (i = 0; i < nknown; i++)
		if (!known[i].used)
			return known[i].path;
	return NULL;
}
