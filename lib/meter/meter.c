/* meter.c: reading records from CSV files (OPSD, cumulative counters,
 * intervals) and from the simulator. */
#include <stdlib.h>
#include <string.h>

#include "meter.h"

/*
 * Reading records from files and from the simulator.
 *
 * CSV layouts, told apart by the header:
 *  - OPSD household data: "utc_timestamp" and cumulative kWh columns whose
 *    names end in _grid_import and _grid_export (or named by option);
 *  - plain cumulative: "time,import_total_wh,export_total_wh", counters in
 *    Wh read at each time;
 *  - plain interval: "start,import_wh,export_wh", Wh in the slot that
 *    starts at start.
 * A counter read at t0 and t1 gives the energy of [t0, t1).  An interval of
 * k slots is split so that slot i of it gets floor(E(i+1)/k) - floor(Ei/k):
 * whole Wh, nothing lost, the remainder in the later slots.  Intervals
 * shorter than a slot add up to it.  A missing row or an empty cell is a
 * gap, and a counter that goes backwards a reset: neither makes a reading.
 */

struct csvstate {
	const struct dk_csvopt *opt;
	const char *name;
	dk_reading_fn fn;
	void *ctx;
	int have;		/* a previous counter reading */
	int64_t t0, imp0, exp0;
	int64_t acc_start, acc_imp, acc_exp;	/* sub-slot accumulation */
	int64_t step;		/* the data's interval, from its first two rows */
	int acc;
	long line;
};

/* A run's state; with opt->line, its meter checked once to be an id
 * (written into each line as it is: nothing in it may need an escape). */
static int
begin(struct csvstate *st, const struct dk_csvopt *opt, const char *name,
    dk_reading_fn fn, void *ctx, struct dk_err *e)
{
	memset(st, 0, sizeof(*st));
	st->opt = opt;
	st->name = name;
	st->fn = fn;
	st->ctx = ctx;
	if (opt->line != NULL && !dk_valid_id(opt->meter))
		return dk_fail(e, DK_EX_SOFTWARE, "%.40s: not a meter id",
		    opt->meter);
	return 0;
}

/* s (n bytes) at p; then p after it */
static char *
put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

/* a string constant's bytes at p */
#define PUTS(p, lit)	put((p), (lit), sizeof(lit) - 1)

/* key (a constant: "key":) and v at p, 24 bytes of room after the key */
#define MEMBER(p, key, v) \
	((p) = PUTS((p), key), (p) + dk_lltoa((long long)(v), (p)))

/*
 * A reading's line, its keys in byte order as dk_canon writes them (the
 * meter a valid id and the slot a time: nothing to escape), signed by key
 * unless NULL: the record dk_sign_record and dk_emit would make, with
 * none built, and put together by hand, not by printf (two a reading:
 * a tenth of meter-read's own time), its "sig" cut in before "slot".
 */
static int
line(struct csvstate *st, const char *ts, int64_t imp, int64_t exp,
    int64_t impt, int64_t expt, int totals, struct dk_err *e)
{
	const struct dk_csvopt *o = st->opt;
	char msg[300], sig[DK_SIG_B64], l[400], *p = msg;
	size_t mlen = strlen(o->meter), tlen = strlen(ts), at, n;

	/* the numbers' keys and digits take 190 bytes at most */
	if (mlen + tlen > sizeof(msg) - 200)
		return dk_fail(e, DK_EX_SOFTWARE, "reading: too long a line");
	*p++ = '{';
	if (totals) {
		p = MEMBER(p, "\"export_total_wh\":", expt);
		*p++ = ',';
	}
	p = MEMBER(p, "\"export_wh\":", exp);
	*p++ = ',';
	if (totals) {
		p = MEMBER(p, "\"import_total_wh\":", impt);
		*p++ = ',';
	}
	p = MEMBER(p, "\"import_wh\":", imp);
	p = PUTS(p, ",\"meter\":\"");
	p = put(p, o->meter, mlen);
	p = PUTS(p, "\",");
	at = (size_t)(p - msg);
	p = PUTS(p, "\"slot\":\"");
	p = put(p, ts, tlen);
	p = PUTS(p, "\",\"type\":\"reading\",\"v\":1}");
	*p = '\0';
	n = (size_t)(p - msg);
	if (o->key == NULL)
		return o->line(st->ctx, msg, e);
	dk_sign_b64(msg, n, o->key, sig);
	p = put(l, msg, at);
	p = PUTS(p, "\"sig\":\"");
	p = put(p, sig, strlen(sig));
	p = PUTS(p, "\",");
	p = put(p, msg + at, n - at + 1);
	return o->line(st->ctx, l, e);
}

static int
emit(struct csvstate *st, int64_t slot, int64_t imp, int64_t exp,
    int64_t impt, int64_t expt, int totals, struct dk_err *e)
{
	char ts[40];
	json_t *r;
	int rc;

	dk_time_format(slot, st->opt->rules->tz, ts, sizeof(ts));
	if (st->opt->line != NULL)
		return line(st, ts, imp, exp, impt, expt, totals, e);
	r = json_pack("{s:s,s:i,s:s,s:s,s:I,s:I}", "type", "reading", "v", 1,
	    "meter", st->opt->meter, "slot", ts, "import_wh", (json_int_t)imp,
	    "export_wh", (json_int_t)exp);
	if (r == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if (totals) {
		json_object_set_new(r, "import_total_wh", json_integer(impt));
		json_object_set_new(r, "export_total_wh", json_integer(expt));
	}
	rc = st->fn(st->ctx, r, e);
	json_decref(r);
	return rc;
}

/* Energy over [t0, t1) between two counter readings. */
static int
interval(struct csvstate *st, int64_t t1, int64_t imp1, int64_t exp1,
    struct dk_err *e)
{
	int64_t s = st->opt->rules->slot_minutes * 60LL;
	int64_t len = t1 - st->t0, di = imp1 - st->imp0, de = exp1 - st->exp0;
	int64_t k, i, a, b, c, d;

	if (st->step == 0)
		st->step = len;
	if (len > st->step) {
		char m[300];
		snprintf(m, sizeof(m), "%s:%ld: %lld minutes since the row "
		    "before, where the data has %lld: a gap, no reading for "
		    "it", st->name, st->line, (long long)(len / 60),
		    (long long)(st->step / 60));
		if (st->opt->warn != NULL)
			st->opt->warn(st->ctx, m);
		st->acc = 0;
		return 0;
	}
	if (len < st->step)
		st->step = len;
	if (di < 0 || de < 0) {
		char m[300];
		snprintf(m, sizeof(m), "%s:%ld: counter went backwards "
		    "(meter replaced or reset?); no reading for this interval",
		    st->name, st->line);
		if (st->opt->warn != NULL)
			st->opt->warn(st->ctx, m);
		st->acc = 0;
		return 0;
	}
	if (len % s == 0 && st->t0 % s == 0) {
		k = len / s;
		for (i = 0; i < k; i++) {
			a = (di * i) / k;
			b = (di * (i + 1)) / k;
			c = (de * i) / k;
			d = (de * (i + 1)) / k;
			if (b - a > DK_MAX_WH || d - c > DK_MAX_WH)
				return dk_fail(e, DK_EX_DATAERR, "%s:%ld: more "
				    "than %lld Wh in one slot", st->name,
				    st->line, DK_MAX_WH);
			if (emit(st, st->t0 + i * s, b - a, d - c,
			    st->imp0 + b, st->exp0 + d, 1, e) < 0)
				return -1;
		}
		st->acc = 0;
		return 0;
	}
	if (len % s == 0) {
		char m[300];
		snprintf(m, sizeof(m), "%s:%ld: the interval before this row "
		    "does not start on a %d-minute slot boundary; no reading "
		    "for it", st->name, st->line, st->opt->rules->slot_minutes);
		if (st->opt->warn != NULL)
			st->opt->warn(st->ctx, m);
		st->acc = 0;
		return 0;
	}
	if (s % len == 0) {
		if (!st->acc) {
			if (st->t0 % s != 0) {
				char m[300];
				snprintf(m, sizeof(m), "%s:%ld: the interval "
				    "before this row is not inside a whole "
				    "%d-minute slot; no reading for it",
				    st->name, st->line,
				    st->opt->rules->slot_minutes);
				if (st->opt->warn != NULL)
					st->opt->warn(st->ctx, m);
				return 0;
			}
			st->acc = 1;
			st->acc_start = st->t0;
			st->acc_imp = 0;
			st->acc_exp = 0;
		}
		st->acc_imp += di;
		st->acc_exp += de;
		if (t1 % s == 0) {
			st->acc = 0;
			return emit(st, st->acc_start, st->acc_imp,
			    st->acc_exp, imp1, exp1, 1, e);
		}
		return 0;
	}
	return dk_fail(e, DK_EX_DATAERR, "%s:%ld: an interval of %lld "
	    "minutes does not fit %d-minute slots", st->name, st->line,
	    (long long)(len / 60), st->opt->rules->slot_minutes);
}

static int
split(char *s, char **f, int max)
{
	int n = 0;

	f[n++] = s;
	for (; *s != '\0'; s++)
		if (*s == ',' && n < max) {
			*s = '\0';
			f[n++] = s + 1;
		}
	return n;
}

/* "5253.548" kWh, or "12" Wh when scale is 1: exact, no floating point. */
static int
number(const char *s, int kwh, int64_t *out)
{
	int64_t v = 0;
	int dec = -1, digits = 0;

	if (*s == '\0')
		return 1;	/* empty: a gap */
	for (; *s != '\0' && *s != '\r'; s++) {
		if (*s == '.' && kwh && dec < 0) {
			dec = 0;
			continue;
		}
		if (*s < '0' || *s > '9')
			return -1;
		if (dec >= 0 && ++dec > 3)
			return -1;
		v = v * 10 + (*s - '0');
		digits++;
		if (v > DK_MAX_SAFE_INT)
			return -1;
	}
	if (digits == 0)
		return -1;
	if (kwh)
		for (dec = dec < 0 ? 0 : dec; dec < 3; dec++)
			if ((v *= 10) > DK_MAX_SAFE_INT)
				return -1;
	*out = v;
	return 0;
}

static int
endswith(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

int
dk_meter_csv(FILE *fp, const char *name, const struct dk_csvopt *opt,
    dk_reading_fn fn, void *ctx, struct dk_err *e)
{
	struct csvstate st;
	char *line = NULL, *f[64], *cr;
	size_t cap = 0;
	ssize_t n;
	int nf, ti = -1, ii = -1, xi = -1, kwh = 0, plain_interval = 0, i;
	int64_t t, imp, exp, prev_t = -1;
	int rc = -1;

	if (begin(&st, opt, name, fn, ctx, e) < 0)
		goto out;
	if ((n = getline(&line, &cap, fp)) <= 0) {
		dk_fail(e, DK_EX_DATAERR, "%s:1: empty file, no header", name);
		goto out;
	}
	st.line = 1;
	line[strcspn(line, "\r\n")] = '\0';
	nf = split(line, f, 64);
	for (i = 0; i < nf; i++) {
		if (strcmp(f[i], "utc_timestamp") == 0) {
			ti = i;
			kwh = 1;
		} else if (strcmp(f[i], "time") == 0)
			ti = i;
		else if (strcmp(f[i], "start") == 0) {
			ti = i;
			plain_interval = 1;
		}
		if (opt->import_col ? strcmp(f[i], opt->import_col) == 0 :
		    (endswith(f[i], "_grid_import") ||
		    strcmp(f[i], "import_total_wh") == 0 ||
		    strcmp(f[i], "import_wh") == 0))
			ii = i;
		if (opt->export_col ? strcmp(f[i], opt->export_col) == 0 :
		    (endswith(f[i], "_grid_export") ||
		    strcmp(f[i], "export_total_wh") == 0 ||
		    strcmp(f[i], "export_wh") == 0))
			xi = i;
	}
	if (ti < 0 || ii < 0) {
		dk_fail(e, DK_EX_DATAERR, "%s:1: header: not a known layout "
		    "(utc_timestamp + *_grid_import[, *_grid_export]; "
		    "time,import_total_wh,export_total_wh; "
		    "start,import_wh,export_wh)%s", name,
		    ti >= 0 ? "; no import column" : "");
		goto out;
	}
	while ((n = getline(&line, &cap, fp)) > 0) {
		st.line++;
		if ((cr = strpbrk(line, "\r\n")) != NULL)
			*cr = '\0';
		if (*line == '\0')
			continue;
		nf = split(line, f, 64);
		if (nf <= ti || nf <= ii || (xi >= 0 && nf <= xi)) {
			dk_fail(e, DK_EX_DATAERR, "%s:%ld: too few fields",
			    name, st.line);
			goto out;
		}
		if (dk_time_parse(f[ti], &t, e) < 0) {
			dk_failpre(e, "%s:%ld: %s", name, st.line,
			    kwh ? "utc_timestamp" : plain_interval ? "start" :
			    "time");
			goto out;
		}
		if (t <= prev_t) {
			dk_fail(e, DK_EX_DATAERR, "%s:%ld: time goes backwards "
			    "or repeats", name, st.line);
			goto out;
		}
		prev_t = t;
		int gi = number(f[ii], kwh, &imp);
		int gx = xi < 0 ? 0 : number(f[xi], kwh, &exp);
		if (xi < 0)
			exp = 0;
		if (gi < 0 || gx < 0) {
			dk_fail(e, DK_EX_DATAERR, "%s:%ld: %s: must be a "
			    "non-negative %s, got \"%.20s\"", name, st.line,
			    gi < 0 ? "import" : "export",
			    kwh ? "number of kWh with at most 3 decimals" :
			    "integer of Wh", gi < 0 ? f[ii] : f[xi]);
			goto out;
		}
		if (gi > 0 || gx > 0) {		/* a gap */
			char m[300];
			snprintf(m, sizeof(m), "%s:%ld: empty %s value: a gap, "
			    "no reading until the next full row", name, st.line,
			    gi > 0 ? "import" : "export");
			if (opt->warn != NULL)
				opt->warn(ctx, m);
			st.have = 0;
			st.acc = 0;
			continue;
		}
		if (plain_interval) {
			if (imp > DK_MAX_WH || exp > DK_MAX_WH) {
				dk_fail(e, DK_EX_DATAERR, "%s:%ld: more than "
				    "%lld Wh in one slot", name, st.line,
				    DK_MAX_WH);
				goto out;
			}
			if (t % (opt->rules->slot_minutes * 60) != 0) {
				dk_fail(e, DK_EX_DATAERR, "%s:%ld: start: not "
				    "on a %d-minute slot boundary", name,
				    st.line, opt->rules->slot_minutes);
				goto out;
			}
			if (emit(&st, t, imp, exp, 0, 0, 0, e) < 0)
				goto out;
			continue;
		}
		if (st.have && interval(&st, t, imp, exp, e) < 0)
			goto out;
		st.have = 1;
		st.t0 = t;
		st.imp0 = imp;
		st.exp0 = exp;
	}
	if (ferror(fp)) {
		dk_fail(e, DK_EX_IOERR, "%s: read error", name);
		goto out;
	}
	rc = 0;
out:
	free(line);
	return rc;
}

/* xorshift64*: the same stream from the same seed on every machine. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/*
 * Synthetic PV and load in integer arithmetic, so that a seed gives the
 * same Wh everywhere.  PV follows a parabola from 06:00 to 18:00 UTC (solar
 * time is taken as UTC), scaled by a cloud factor drawn per slot; load is a
 * base with morning and evening peaks, and noise.  Of opt: the meter, the
 * rules, and line and key.
 */
int
dk_meter_sim(const struct dk_csvopt *opt, uint64_t seed, int64_t from,
    int nslots, long long pv_peak_w, long long load_w, dk_reading_fn fn,
    void *ctx, struct dk_err *e)
{
	struct csvstate st;
	int64_t s = opt->rules->slot_minutes * 60LL, t, mid, pv, load, net;
	uint64_t state = seed * 0x9E3779B97F4A7C15ULL + 1;
	int i;

	if (begin(&st, opt, "sim", fn, ctx, e) < 0)
		return -1;
	for (i = 0; i < 16; i++)
		rnd(&state);
	for (i = 0; i < nslots; i++) {
		t = from + i * s;
		mid = ((t + s / 2) % 86400) / 60;	/* minute of the day */
		pv = 0;
		if (mid > 360 && mid < 1080)
			pv = pv_peak_w * (mid - 360) * (1080 - mid) / 129600;
		pv = pv * (40 + (int64_t)(rnd(&state) % 61)) / 100;
		load = load_w / 2;
		if (mid >= 390 && mid < 510)
			load += load_w / 2;
		if (mid >= 1080 && mid < 1320)
			load += load_w;
		load = load * (80 + (int64_t)(rnd(&state) % 41)) / 100;
		net = (pv - load) * (s / 60) / 60;	/* W over the slot -> Wh */
		if (emit(&st, t, net < 0 ? -net : 0, net > 0 ? net : 0, 0, 0,
		    0, e) < 0)
			return -1;
	}
	return 0;
}
