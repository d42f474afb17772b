/*
 * simdata.c: denki-simulate's meter data: a home's CSV read into Wh a
 * slot (meter-read's own parser), its whole days, and the CSV of a
 * simulated home: days taken in turn, load scaled, PV added.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "settle.h"

struct collect {
	struct dk_sim_series *s;
	const struct dk_rules *r;
	size_t cap;
	int64_t *t;		/* the slots as read, in order */
};

static int
put(void *ctx, json_t *rec, struct dk_err *e)
{
	struct collect *c = ctx;
	struct dk_sim_series *s = c->s;
	int64_t t;

	if (dk_time_parse(json_string_value(json_object_get(rec, "slot")), &t,
	    e) < 0)
		return -1;
	if (s->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1024;
		int64_t *a = realloc(c->t, cap * sizeof(*a)),
		    *b = a ? realloc(s->imp, cap * sizeof(*b)) : NULL,
		    *d = b ? realloc(s->exp, cap * sizeof(*d)) : NULL;
		if (a != NULL)
			c->t = a;
		if (b != NULL)
			s->imp = b;
		if (d == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		s->exp = d;
		c->cap = cap;
	}
	c->t[s->n] = t;
	s->imp[s->n] = json_integer_value(json_object_get(rec, "import_wh"));
	s->exp[s->n] = json_integer_value(json_object_get(rec, "export_wh"));
	s->n++;
	return 0;
}

static void
nowarn(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg;
}

/*
 * The whole days of the home's data file: a day starts at tstart plus a
 * whole number of days (days of 24 hours from the scenario's first
 * midnight, as the simulated clock counts them) and has every slot.
 */
int
dk_sim_source(const char *csv, const struct dk_conf *home,
    const struct dk_rules *r, int64_t tstart, struct dk_sim_series *out,
    struct dk_err *e)
{
	struct dk_sim_series raw = { 0 };
	struct collect c = { &raw, r, 0, NULL };
	struct dk_csvopt opt;
	int64_t step = r->slot_minutes * 60LL, d, first;
	size_t spd = (size_t)(86400 / step), i, j, run;
	FILE *fp;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&opt, 0, sizeof(opt));
	opt.meter = "source";
	opt.rules = r;
	opt.warn = nowarn;
	opt.import_col = dk_conf_str(home, "meter.import_column", NULL);
	opt.export_col = dk_conf_str(home, "meter.export_column", NULL);
	if ((fp = fopen(csv, "r")) == NULL)
		return dk_fail(e, DK_EX_NOINPUT, "%s: cannot open", csv);
	rc = dk_meter_csv(fp, csv, &opt, put, &c, e);
	fclose(fp);
	out->spd = spd;
	if (rc == 0 && (out->imp = malloc((raw.n + 1) * sizeof(int64_t))) !=
	    NULL && (out->exp = malloc((raw.n + 1) * sizeof(int64_t))) !=
	    NULL) {
		/* runs of spd slots in a row, each starting a day */
		for (i = 0; i < raw.n; i = j) {
			d = c.t[i] - tstart;
			first = d >= 0 ? d % 86400 : (86400 - (-d) % 86400) %
			    86400;
			for (j = i + 1; j < raw.n && c.t[j] == c.t[j - 1] +
			    step; j++)
				;
			if (first != 0) {
				/* slots that start off the day's grid */
				if ((86400 - first) % step != 0)
					continue;
				run = (size_t)((86400 - first) / step);
				if (run >= j - i)
					continue;
				i += run;
			}
			for (; i + spd <= j; i += spd) {
				memcpy(out->imp + out->n, raw.imp + i, spd *
				    sizeof(int64_t));
				memcpy(out->exp + out->n, raw.exp + i, spd *
				    sizeof(int64_t));
				out->n += spd;
			}
		}
	} else if (rc == 0)
		rc = dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	free(c.t);
	free(raw.imp);
	free(raw.exp);
	if (rc == 0 && out->n == 0)
		rc = dk_fail(e, DK_EX_DATAERR, "%s: not one whole day of "
		    "readings (%zu slots from midnight)", csv, spd);
	if (rc < 0)
		dk_sim_series_free(out);
	return rc;
}

void
dk_sim_series_free(struct dk_sim_series *s)
{
	free(s->imp);
	free(s->exp);
	memset(s, 0, sizeof(*s));
}

/* W of PV at minute m of the local day: a clear-sky parabola from 06:00
 * to 18:00 peaking at peak (the shape of meter-read's simulator). */
static int64_t
pv(long long peak, int64_t m)
{
	return m > 360 && m < 1080 ? peak * (m - 360) * (1080 - m) / 129600 :
	    0;
}

/*
 * The home's data for the simulated days -1 (the history bid starts
 * from) to days - 1, into out (Wh a slot, import and export).  Simulated
 * day d of copy k is the source's whole day (d + 1 + k * shift) mod its
 * number of days; its grid import is scaled by load_pct; PV (pv_w at
 * its peak) is used in the home first, the rest exported.  A slot keeps
 * its import and export apart, as the meter counted them: with nothing
 * added, the data are the home's own.  A battery is not in them: it
 * follows bid's plan day by day (simbat.c).
 */
int
dk_sim_home_series(const struct dk_sim_series *src, const struct dk_scen *sc,
    const struct dk_scen_home *h, int slot_minutes, struct dk_sim_series *out,
    struct dk_err *e)
{
	size_t ndays = src->n / src->spd, sd, k, n = 0;
	int64_t step = slot_minutes * 60LL, in, g, x;
	int d;

	memset(out, 0, sizeof(*out));
	out->spd = src->spd;
	out->n = ((size_t)sc->days + 1) * src->spd;
	if ((out->imp = malloc(out->n * sizeof(int64_t))) == NULL ||
	    (out->exp = malloc(out->n * sizeof(int64_t))) == NULL) {
		dk_sim_series_free(out);
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	}
	for (d = -1; d < sc->days; d++) {
		sd = (size_t)(d + 1 + (int64_t)h->copy * sc->shift) % ndays;
		for (k = 0; k < src->spd; k++, n++) {
			in = src->imp[sd * src->spd + k] * h->load_pct / 100;
			g = pv(h->pv_w, ((int64_t)k * step + step / 2) / 60) *
			    slot_minutes / 60;
			x = g < in ? g : in;
			out->imp[n] = in - x;
			out->exp[n] = src->exp[sd * src->spd + k] + g - x;
		}
	}
	return 0;
}

/* v in at least w decimal digits, zeros first, into p: their number. */
static size_t
digits(char *p, long long v, size_t w)
{
	char d[24];
	size_t n = 0, i;

	do
		d[n++] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	while (n < w)
		d[n++] = '0';
	for (i = 0; i < n; i++)
		p[i] = d[n - 1 - i];
	return n;
}

/*
 * Slots [from, from + n) of s as meter-read's plain interval CSV
 * (start,import_wh,export_wh; with its header when head), slot 0 at
 * tstart.
 */
int
dk_sim_csv(FILE *fp, const struct dk_sim_series *s, size_t from, size_t n,
    int head, int64_t tstart, int slot_minutes, struct dk_err *e)
{
	char line[96];
	size_t k, m;
	struct tm tm;
	time_t t;

	if (head)
		fputs("start,import_wh,export_wh\n", fp);
	/* each line as dk_time_format(t, "UTC") and "%lld" write it, by
	 * hand: a run writes a home's whole period, a line a slot */
	for (k = from; k < from + n && k < s->n; k++) {
		t = (time_t)(tstart + (int64_t)k * slot_minutes * 60);
		if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 0 ||
		    tm.tm_year + 1900 > 9999)
			return dk_fail(e, DK_EX_SOFTWARE, "a slot's time "
			    "beyond the years 0 to 9999");
		m = digits(line, tm.tm_year + 1900, 4);
		line[m++] = '-';
		m += digits(line + m, tm.tm_mon + 1, 2);
		line[m++] = '-';
		m += digits(line + m, tm.tm_mday, 2);
		line[m++] = 'T';
		m += digits(line + m, tm.tm_hour, 2);
		line[m++] = ':';
		m += digits(line + m, tm.tm_min, 2);
		line[m++] = ':';
		m += digits(line + m, tm.tm_sec, 2);
		memcpy(line + m, "+00:00,", 7);
		m += 7;
		m += dk_lltoa(s->imp[k], line + m);
		line[m++] = ',';
		m += dk_lltoa(s->exp[k], line + m);
		line[m++] = '\n';
		fwrite(line, 1, m, fp);
	}
	if (fflush(fp) != 0 || ferror(fp))
		return dk_fail(e, DK_EX_IOERR, "writing a home's data: "
		    "write error");
	return 0;
}
