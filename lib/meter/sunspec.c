/*
 * sunspec.c: SunSpec register maps over any Modbus transport.  The SunS
 * marker, the chain of models, and the integer models 101-103 (inverters)
 * and 201-204 (meters) decoded into samples.  The registers come through a
 * read function, so the same code walks a device and a test's image.
 *
 * Offsets are relative to a model's ID register, from the point sizes in
 * sunspec/models json/model_<n>.json; the "not implemented" values are
 * those of pysunspec2's sunspec2/mb.py.
 */
#include <stdio.h>
#include <string.h>

#include "meter.h"

#define SUNS_HI		0x5375		/* "Su" */
#define SUNS_LO		0x6e53		/* "nS" */
#define END_ID		0xffff
#define LAST_REG	65535UL

#define NOTIMPL_INT16	0x8000
#define NOTIMPL_SUNSSF	0x8000
#define NOTIMPL_ACC32	0
#define SF_MIN		(-10)
#define SF_MAX		10

/* inverters 101-103 (L 50) */
#define INV_W		14
#define INV_W_SF	15
#define INV_WH		24
#define INV_WH_SF	26
/* meters 201-204 (L 105) */
#define MTR_W		18
#define MTR_W_SF	22
#define MTR_TOTWHEXP	38
#define MTR_TOTWHIMP	46
#define MTR_TOTWH_SF	54

static const unsigned bases[] = { 40000, 0, 50000 };

/* The length a model must have, or 0 for a model whose length we take as
 * the device says. */
static int
known_len(unsigned id, unsigned len)
{
	switch (id) {
	case 1:
		/* 66 with the Pad register, 65 on older devices */
		return len == 65 || len == 66 ? 0 : 66;
	case 101: case 102: case 103:
		return len == 50 ? 0 : 50;
	case 201: case 202: case 203: case 204:
		return len == 105 ? 0 : 105;
	}
	return 0;
}

int
dk_sunspec_find(dk_regs_fn rd, void *ctx, long base, unsigned *found,
    struct dk_err *e)
{
	char seen[400] = "";
	uint16_t r[2];
	size_t i, n;
	int rc;

	n = base >= 0 ? 1 : sizeof(bases) / sizeof(bases[0]);
	for (i = 0; i < n; i++) {
		unsigned a = base >= 0 ? (unsigned)base : bases[i];
		size_t l = strlen(seen);

		if ((rc = rd(ctx, a, 2, r, e)) < 0)
			return -1;
		if (rc == 0 && r[0] == SUNS_HI && r[1] == SUNS_LO) {
			*found = a;
			return 0;
		}
		if (rc == 0)
			snprintf(seen + l, sizeof(seen) - l,
			    "%sregister %u holds 0x%04X 0x%04X",
			    l ? "; " : "", a, r[0], r[1]);
		else
			snprintf(seen + l, sizeof(seen) - l, "%sregister %u: "
			    "%.150s", l ? "; " : "", a, e->msg);
	}
	if (base >= 0)
		return dk_fail(e, DK_EX_DATAERR, "no SunS marker (0x5375 "
		    "0x6E53) at the configured base: %s", seen);
	return dk_fail(e, DK_EX_DATAERR, "no SunS marker (0x5375 0x6E53) at "
	    "register 40000, 0 or 50000: %s", seen);
}

int
dk_sunspec_walk(dk_regs_fn rd, void *ctx, unsigned base,
    struct dk_sunspec_model *m, size_t max, size_t *n, struct dk_err *e)
{
	unsigned long a = (unsigned long)base + 2;
	uint16_t h[2];
	int rc, want;

	*n = 0;
	for (;;) {
		if (a + 1 > LAST_REG)
			return dk_fail(e, DK_EX_DATAERR, "register %lu: the "
			    "model chain from %u runs past register 65535 "
			    "without its end (0xFFFF)", a, base);
		if ((rc = rd(ctx, (unsigned)a, 2, h, e)) < 0)
			return -1;
		if (rc > 0)
			return dk_failpre(e, "register %lu: the model chain "
			    "from %u ends without 0xFFFF", a, base);
		if (h[0] == END_ID)
			return 0;
		if (*n == 0 && h[0] != 1)
			return dk_fail(e, DK_EX_DATAERR, "register %lu: the "
			    "first model is %u, not 1 (Common)", a, h[0]);
		if (h[0] == 0)
			return dk_fail(e, DK_EX_DATAERR, "register %lu: model "
			    "ID 0 is no model: the chain from %u is broken",
			    a, base);
		if ((want = known_len(h[0], h[1])) != 0)
			return dk_fail(e, DK_EX_DATAERR, "register %lu: model "
			    "%u has length %u, must be %d%s", a + 1, h[0],
			    h[1], want, h[0] == 1 ? " or 65" : "");
		if (a + 1 + h[1] > LAST_REG)
			return dk_fail(e, DK_EX_DATAERR, "register %lu: model "
			    "%u of length %u runs past register 65535", a + 1,
			    h[0], h[1]);
		if (*n == max)
			return dk_fail(e, DK_EX_DATAERR, "register %lu: more "
			    "than %zu models from %u: the chain does not end",
			    a, max, base);
		m[*n].addr = (unsigned)a;
		m[*n].id = h[0];
		m[*n].len = h[1];
		(*n)++;
		a += 2 + (unsigned long)h[1];
	}
}

static int
sf_get(const uint16_t *r, unsigned addr, unsigned off, const char *name,
    int *sf, struct dk_err *e)
{
	int v = (int16_t)r[off];

	if (r[off] == NOTIMPL_SUNSSF) {
		*sf = INT16_MIN;
		return 0;
	}
	if (v < SF_MIN || v > SF_MAX)
		return dk_fail(e, DK_EX_DATAERR, "register %u: %s %d: a scale "
		    "factor must be from -10 to 10", addr + off, name, v);
	*sf = v;
	return 0;
}

static int64_t
pow10i(int n)
{
	int64_t p = 1;

	while (n-- > 0)
		p *= 10;
	return p;
}

/* v * 10^sf as an integer: exact when it is one; otherwise rounded to the
 * nearest, halves away from zero (round), or truncated toward zero. */
int
dk_sunspec_scale(int64_t v, int sf, int round, int64_t *out)
{
	int64_t p, q, r;

	if (sf < SF_MIN || sf > SF_MAX + 3)
		return -1;
	if (sf >= 0) {
		p = pow10i(sf);
		if (v > DK_MAX_SAFE_INT / p || v < -DK_MAX_SAFE_INT / p)
			return -1;
		*out = v * p;
		return 0;
	}
	p = pow10i(-sf);
	q = v / p;
	r = v % p;
	if (round && (r < 0 ? -r : r) * 2 >= p)
		q += v < 0 ? -1 : 1;
	*out = q;
	return 0;
}

static uint32_t
acc32(const uint16_t *r, unsigned off)
{
	return (uint32_t)r[off] << 16 | r[off + 1];
}

/* An acc32 of Wh at 10^sf, in milli-Wh; DK_NOVAL when not implemented. */
static int
energy(const uint16_t *r, unsigned addr, unsigned off, int sf,
    const char *name, int64_t *mwh, int64_t *wrap, struct dk_err *e)
{
	uint32_t v = acc32(r, off);
	int64_t w;

	*mwh = DK_NOVAL;
	if (v == NOTIMPL_ACC32 || sf == INT16_MIN)
		return 0;
	if (dk_sunspec_scale(v, sf + 3, 0, mwh) < 0)
		return dk_fail(e, DK_EX_DATAERR, "register %u: %s %lu Wh at "
		    "10^%d is out of range", addr + off, name,
		    (unsigned long)v, sf);
	/* acc32 counters roll over at 2^32; say where, when it is whole */
	if (sf + 3 >= 0 && dk_sunspec_scale(4294967296LL, sf + 3, 0, &w) == 0)
		*wrap = w;
	return 0;
}

static int64_t
power(const uint16_t *r, unsigned off, int sf)
{
	int64_t w;

	if (r[off] == NOTIMPL_INT16 || sf == INT16_MIN)
		return DK_NOVAL;
	dk_sunspec_scale((int16_t)r[off], sf, 1, &w);
	return w;
}

int
dk_sunspec_decode(const uint16_t *r, unsigned addr, int sign,
    struct dk_sample *s, struct dk_err *e)
{
	unsigned id = r[0];
	int wsf = 0, esf = 0;
	int64_t wrap = 0;

	memset(s, 0, sizeof(*s));
	s->import_mwh = s->export_mwh = s->power_w = DK_NOVAL;
	if (id >= 101 && id <= 103) {
		if (r[1] != 50)
			return dk_fail(e, DK_EX_DATAERR, "register %u: model "
			    "%u has length %u, must be 50", addr + 1, id, r[1]);
		snprintf(s->kind, sizeof(s->kind), "pv");
		if (sf_get(r, addr, INV_W_SF, "W_SF", &wsf, e) < 0 ||
		    sf_get(r, addr, INV_WH_SF, "WH_SF", &esf, e) < 0)
			return -1;
		if (energy(r, addr, INV_WH, esf, "WH", &s->import_mwh, &wrap,
		    e) < 0)
			return -1;
		s->power_w = power(r, INV_W, wsf);
	} else if (id >= 201 && id <= 204) {
		if (r[1] != 105)
			return dk_fail(e, DK_EX_DATAERR, "register %u: model "
			    "%u has length %u, must be 105", addr + 1, id,
			    r[1]);
		snprintf(s->kind, sizeof(s->kind), "grid");
		if (sf_get(r, addr, MTR_W_SF, "W_SF", &wsf, e) < 0 ||
		    sf_get(r, addr, MTR_TOTWH_SF, "TotWh_SF", &esf, e) < 0)
			return -1;
		if (energy(r, addr, MTR_TOTWHIMP, esf, "TotWhImp",
		    &s->import_mwh, &wrap, e) < 0 ||
		    energy(r, addr, MTR_TOTWHEXP, esf, "TotWhExp",
		    &s->export_mwh, &wrap, e) < 0)
			return -1;
		s->power_w = power(r, MTR_W, wsf);
		if (s->power_w != DK_NOVAL && sign < 0)
			s->power_w = -s->power_w;
	} else
		return 0;
	if (s->import_mwh != DK_NOVAL || s->export_mwh != DK_NOVAL)
		s->wrap_mwh = wrap;
	return 1;
}

int
dk_sunspec_poll(dk_regs_fn rd, void *ctx, long base, int sign, int64_t t,
    int (*put)(void *, const struct dk_sample *, struct dk_err *),
    void *pctx, unsigned *found, struct dk_err *e)
{
	struct dk_sunspec_model m[DK_SUNSPEC_MAXMODELS];
	struct dk_sample s[DK_SUNSPEC_MAXMODELS];
	uint16_t r[2 + 125];
	char ids[128] = "";
	size_t i, n, ns = 0, l;
	int rc;

	if (dk_sunspec_find(rd, ctx, base, found, e) < 0 ||
	    dk_sunspec_walk(rd, ctx, *found, m, DK_SUNSPEC_MAXMODELS, &n,
	    e) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		l = strlen(ids);
		snprintf(ids + l, sizeof(ids) - l, "%s%u", i ? ", " : "",
		    m[i].id);
		if (!(m[i].id >= 101 && m[i].id <= 103) &&
		    !(m[i].id >= 201 && m[i].id <= 204))
			continue;
		if ((rc = rd(ctx, m[i].addr, 2 + m[i].len, r, e)) < 0)
			return -1;
		if (rc > 0)
			return dk_failpre(e, "register %u: model %u",
			    m[i].addr, m[i].id);
		if (r[0] != m[i].id || r[1] != m[i].len)
			return dk_fail(e, DK_EX_TEMPFAIL, "register %u: model "
			    "%u of length %u changed to %u of length %u "
			    "while it was read", m[i].addr, m[i].id, m[i].len,
			    r[0], r[1]);
		if ((rc = dk_sunspec_decode(r, m[i].addr, sign, &s[ns],
		    e)) < 0)
			return -1;
		s[ns++].t = t;
	}
	if (ns == 0)
		return dk_fail(e, DK_EX_DATAERR, "register %u: no inverter "
		    "(101-103) or meter (201-204) among the models (%s)",
		    *found, ids);
	for (i = 0; i < ns; i++)
		if (put(pctx, &s[i], e) < 0)
			return -1;
	return 0;
}
