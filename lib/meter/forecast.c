/*
 * forecast.c: a household's Wh in its next slot, forecast from the slots
 * before it by several methods at once, each scored on what came next; the
 * one with the smallest recent error is the one chosen (a rolling backtest).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "meter.h"

/*
 * Floating point inside, integer Wh in and out: the methods use only
 * +, -, * and / (correctly rounded in IEEE 754, and -std=c11 keeps GCC
 * from contracting them into fused multiply-adds), and the sun's position
 * and the passing clouds use sin, cos, exp and pow (glibc's, the same code
 * on x86-64 and arm64); a forecast is rounded to the nearest Wh.  A
 * forecast is a household's own guess and no one replays it, but the
 * same history gives the same order on every machine we know.
 */
#define ETS_ALPHA	0.02	/* the level */
#define ETS_DAY		0.10	/* the daily season */
#define ETS_WEEK	0.05	/* the weekly season */
#define ETS_PHI		0.60	/* how much of the last error carries on */
#define SKY_SHAPE	0.05	/* per day: a slot's share of the clear sky */
#define SKY_CLOUD	0.50	/* per daylight slot: the sky now */
#define SKY_KEEP	0.90	/* per hour ahead: how much of it stays */
#define SPIKE		20	/* times the week's mean (+1 kWh): not use */
#define PHN		64	/* ETS_PHI^h is below 1e-9 from h = 41 */

static const char *const names[DK_FC_N] = { "yesterday", "lastweek",
	"blend", "mean7", "median7", "ets", "combo", "clearsky" };

struct dk_fc {
	struct dk_fcopt o;
	int D, W;		/* slots a day, a week */
	int64_t n;		/* slots fed */
	int pos, dpos;		/* n % W, n % D: kept, not divided for */
	int64_t t;		/* the start of the next slot */
	int64_t *ring;		/* the last W values; DK_NOVAL: none */
	double wsum;		/* of the values in ring */
	int64_t wcnt;
	int64_t last;		/* the newest value; DK_NOVAL */
	int zero;		/* 1: no value but 0 fed yet (none at all,
				 * or only zeros): every forecast is 0 */
	/* ets */
	int init;
	double lev, *sd, *sw, eprev;
	/* clearsky */
	double *shape, cloud;
	/* the rolling backtests, of the forecasts made a slot ahead and a
	 * day ahead: each method's error over the last window */
	int64_t fc[DK_FC_N];	/* the forecasts of the next slot */
	int64_t *pend;		/* D x DK_FC_N: those made a day ahead */
	int64_t *ptag;		/* D: the slot (n) each row of pend is of;
				 * -1: none */
	struct backtest {
		int64_t *err;	/* window x DK_FC_N: the error + 1; 0: not
				 * scored (calloc's, untouched until then) */
		int64_t esum[DK_FC_N], ecnt;
	} bt[2];
	int win;
	double ph[PHN];		/* ETS_PHI^h, as ahead() multiplied it */
};

const char *
dk_fc_name(int m)
{
	return m >= 0 && m < DK_FC_N ? names[m] : "?";
}

int
dk_fc_find(const char *name)
{
	int m;

	for (m = 0; m < DK_FC_N; m++)
		if (strcmp(names[m], name) == 0)
			return m;
	return -1;
}

static int64_t
at(const struct dk_fc *f, int back)
{
	if (back > f->W || back > f->n)
		return DK_NOVAL;
	return f->ring[(f->n - back) % f->W];
}

/*
 * The clear sky's irradiance, W/m2 on a horizontal plane, averaged over a
 * slot: the sun's elevation from the NOAA approximations (declination,
 * equation of time), Haurwitz's model of the clear sky.
 */
double
dk_fc_clearsky(double lat, double lon, int64_t start, int minutes)
{
	const double pi = 3.14159265358979323846;
	double sum = 0, g, decl, eqt, ha, cz, hours;
	int64_t t, day;
	int i;

	for (i = 0; i < 4; i++) {
		t = start + (int64_t)minutes * 60 * (2 * i + 1) / 8;
		day = t / 86400;
		hours = (double)(t % 86400) / 3600;
		g = 2 * pi / 365.25 * ((double)(day % 1461) + hours / 24);
		decl = 0.006918 - 0.399912 * cos(g) + 0.070257 * sin(g) -
		    0.006758 * cos(2 * g) + 0.000907 * sin(2 * g) -
		    0.002697 * cos(3 * g) + 0.00148 * sin(3 * g);
		eqt = 229.18 * (0.000075 + 0.001868 * cos(g) -
		    0.032077 * sin(g) - 0.014615 * cos(2 * g) -
		    0.040849 * sin(2 * g));
		ha = (hours * 60 + eqt + 4 * lon) / 4 - 180;
		cz = sin(lat * pi / 180) * sin(decl) + cos(lat * pi / 180) *
		    cos(decl) * cos(ha * pi / 180);
		if (cz > 0.01)
			sum += 1098 * cz * exp(-0.057 / cz);
	}
	return sum / 4;
}

static int64_t
whole(double v)
{
	if (!(v > 0))
		return 0;
	if (v > DK_MAX_WH)
		return DK_MAX_WH;
	return (int64_t)(v + 0.5);
}

/* The same slot as the one h ahead, k days before it; DK_NOVAL if not
 * yet known. */
static int64_t
day(const struct dk_fc *f, int h, int k)
{
	int back = k * f->D - (h - 1);

	return back < 1 ? DK_NOVAL : at(f, back);
}

/* a[i] and a[j] in order: a min and a max, without a branch */
static inline void
cx(int64_t *a, int i, int j)
{
	int64_t lo = a[i] < a[j] ? a[i] : a[j], hi = a[i] < a[j] ? a[j] : a[i];

	a[i] = lo;
	a[j] = hi;
}

/* The middle of 7 values, none of them DK_NOVAL: a sorting network of
 * 16 exchanges (checked on every input of 0s and 1s), without the
 * insertion sort's branches to mispredict. */
static int64_t
middle7(const int64_t *x)
{
	int64_t a[7];

	memcpy(a, x, sizeof(a));
	cx(a, 0, 6), cx(a, 2, 3), cx(a, 4, 5);
	cx(a, 0, 2), cx(a, 1, 4), cx(a, 3, 6);
	cx(a, 0, 1), cx(a, 2, 5), cx(a, 3, 4);
	cx(a, 1, 2), cx(a, 4, 6);
	cx(a, 2, 3), cx(a, 4, 5);
	cx(a, 1, 2), cx(a, 3, 4), cx(a, 5, 6);
	return a[3];
}

/* The median of the same slot on the 7 days before the slot h ahead that
 * have it (of an even number, the mean of the middle two, rounded up):
 * x, those days' values from the latest. */
static int64_t
median7(const int64_t *x, int64_t v)
{
	int64_t a[7];
	int k, c = 0, j;

	for (k = 0; k < 7; k++) {
		if (x[k] == DK_NOVAL)
			continue;
		for (j = c++; j > 0 && a[j - 1] > x[k]; j--)
			a[j] = a[j - 1];
		a[j] = x[k];
	}
	if (c == 0)
		return v;
	if (c % 2)
		return a[c / 2];
	/* (lo + hi + 1) / 2, rounded toward zero, without overflowing */
	if (a[c / 2 - 1] >= 0)
		return a[c / 2 - 1] + (a[c / 2] - a[c / 2 - 1] + 1) / 2;
	if (a[c / 2] <= 0)
		return a[c / 2] + (a[c / 2 - 1] - a[c / 2] + 1) / 2;
	return (a[c / 2 - 1] + a[c / 2] + 1) / 2;
}

/* The forecast of the slot h ahead (1: the next) by each method, from
 * the slots fed so far; days before it that are not yet known are
 * skipped (yesterday is the latest day known).  The 7 days' values are
 * looked up once, and ETS_PHI^h taken from f->ph: the same operations in
 * the same order as when each method looked them up itself. */
static void
ahead(const struct dk_fc *f, int h, int64_t *fc)
{
	int k0 = 1, k, c = 0, i, di, j, r = f->pos, back;
	int64_t x[7], y, w, v, is = 0, *p;
	double s, cs, ph, cl;

	/* only zeros fed: every method's inputs are 0 or none, the
	 * newest value 0 or none, the level and seasons 0.0, the sky's
	 * shape 0 (a home without solar panels: its export) */
	if (f->zero) {
		for (k = 0; k < DK_FC_N; k++)
			fc[k] = 0;
		return;
	}

	/* the next slot, forecast a day ahead D - 1 slots ago (a feed's
	 * pend row, ptag its slot): the same days, the same values, so the
	 * same yesterday, lastweek, blend, mean7 and median7, unless
	 * neither yesterday nor last week has a value (then v is the
	 * newest value, which may have come since) */
	if (h == 1 && f->ptag != NULL && f->ptag[f->dpos] == f->n &&
	    ((f->n >= f->D && f->ring[r - f->D + (r < f->D ? f->W : 0)] !=
	    DK_NOVAL) || (f->n >= f->W && f->ring[r] != DK_NOVAL))) {
		p = f->pend + f->dpos * DK_FC_N;
		for (k = 0; k <= DK_FC_MEDIAN7; k++)
			fc[k] = p[k];
		v = fc[DK_FC_YESTERDAY];
		i = r;
		di = f->dpos;
		goto rest;
	}

	/* i: the ring's place of the slot h ahead, di: its slot of the day;
	 * the feeds' two (the next slot, the one a day ahead) without a
	 * division */
	if (h == 1) {
		i = r;
		di = f->dpos;
	} else if (h == f->D) {
		i = r + h - 1 >= f->W ? r + h - 1 - f->W : r + h - 1;
		di = f->dpos > 0 ? f->dpos - 1 : f->D - 1;
	} else {
		k0 = (h - 1) / f->D + 1;
		i = (int)(((int64_t)r + h - 1) % f->W);
		di = i % f->D;
	}
	back = k0 * f->D - (h - 1);

	/* day(f, h, k0 + k): at()'s slot, stepping back a day from r (the
	 * ring's place of the next slot) without a division each; when all
	 * 7 are in the ring (a week fed), without asking of each */
	if (back >= 1 && back + 6 * f->D <= f->W && back + 6 * f->D <=
	    f->n) {
		j = r - back + (r < back ? f->W : 0);
		for (k = 0; k < 7; k++) {
			x[k] = f->ring[j];
			j = j < f->D ? j - f->D + f->W : j - f->D;
		}
	} else
		for (k = 0; k < 7; k++, back += f->D)
			x[k] = back < 1 || back > f->W || back > f->n ?
			    DK_NOVAL : f->ring[r - back + (r < back ? f->W :
			    0)];
	y = x[0];
	w = k0 <= 7 ? x[7 - k0] : day(f, h, 7);
	/* without their own inputs, the seasonal ones fall back in turn:
	 * yesterday, last week, the newest value, nothing at all */
	v = y != DK_NOVAL ? y : w != DK_NOVAL ? w : f->last != DK_NOVAL ?
	    f->last : 0;
	fc[DK_FC_YESTERDAY] = v;
	fc[DK_FC_LASTWEEK] = w != DK_NOVAL ? w : v;
	fc[DK_FC_BLEND] = y != DK_NOVAL && w != DK_NOVAL ? (y + w + 1) / 2 :
	    v;
	/* the sum in integers: the same double as adding each in turn
	 * while the sum is below 2^53, as every history is (a slot's
	 * readings hold at most DK_MAX_WH, 2^27 a meter) */
	for (k = 0; k < 7; k++)
		if (x[k] != DK_NOVAL) {
			is += x[k];
			c++;
		}
	s = (double)is;
	fc[DK_FC_MEAN7] = c > 0 ? whole(s / c) : v;
	fc[DK_FC_MEDIAN7] = c == 7 ? middle7(x) : median7(x, v);
rest:
	ph = f->ph[h < PHN ? h : PHN - 1];
	fc[DK_FC_ETS] = f->init ? whole(f->lev + f->sd[di] + f->sw[i] +
	    ph * f->eprev) : v;
	fc[DK_FC_COMBO] = (fc[DK_FC_ETS] + fc[DK_FC_MEDIAN7] + 1) / 2;
	if (f->o.geo) {
		cs = dk_fc_clearsky(f->o.lat, f->o.lon, f->t + (int64_t)(h - 1) *
		    f->o.slot_minutes * 60, f->o.slot_minutes);
		/* the clouds now pass: toward the usual sky, 1 */
		cl = 1 + (f->cloud - 1) * pow(SKY_KEEP, (double)(h - 1) *
		    f->o.slot_minutes / 60);
		fc[DK_FC_CLEARSKY] = whole(cs * f->shape[di] * cl);
	} else
		fc[DK_FC_CLEARSKY] = v;
}

/* The forecast of method m for the slot h ahead (h >= 1). */
int64_t
dk_fc_ahead(const struct dk_fc *f, int m, int h)
{
	int64_t fc[DK_FC_N];

	if (h <= 1)
		return f->fc[m];
	ahead(f, h, fc);
	return fc[m];
}

/* A forecaster from t0; rows: with the backtests' rows (see dk_fc_fed). */
static struct dk_fc *
make(const struct dk_fcopt *o, int64_t t0, int rows, struct dk_err *e)
{
	struct dk_fc *f;
	int m;

	if (o->slot_minutes < 1 || 1440 % o->slot_minutes != 0) {
		dk_fail(e, DK_EX_CONFIG, "slot_minutes: %d does not divide a "
		    "day", o->slot_minutes);
		return NULL;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		goto oom;
	f->o = *o;
	f->D = 1440 / o->slot_minutes;
	f->W = 7 * f->D;
	f->win = (o->window_days > 0 ? o->window_days : 28) * f->D;
	f->t = t0;
	f->last = DK_NOVAL;
	f->zero = 1;
	f->cloud = 1;
	/* ETS_PHI multiplied in h times, or until below 1e-9 */
	f->ph[0] = 1;
	for (m = 1; m < PHN; m++)
		f->ph[m] = f->ph[m - 1] > 1e-9 ? f->ph[m - 1] * ETS_PHI :
		    f->ph[m - 1];
	if ((f->ring = calloc(f->W, sizeof(*f->ring))) == NULL ||
	    (f->sd = calloc(f->D, sizeof(*f->sd))) == NULL ||
	    (f->sw = calloc(f->W, sizeof(*f->sw))) == NULL ||
	    (f->shape = calloc(f->D, sizeof(*f->shape))) == NULL ||
	    (f->pend = malloc(sizeof(*f->pend) * f->D * DK_FC_N)) == NULL ||
	    (f->ptag = malloc(sizeof(*f->ptag) * f->D)) == NULL ||
	    (rows && (f->bt[0].err = calloc((size_t)f->win * DK_FC_N,
	    sizeof(int64_t))) == NULL) ||
	    (rows && (f->bt[1].err = calloc((size_t)f->win * DK_FC_N,
	    sizeof(int64_t))) == NULL)) {
		dk_fc_free(f);
		goto oom;
	}
	for (m = 0; m < f->D * DK_FC_N; m++)
		f->pend[m] = DK_NOVAL;
	for (m = 0; m < f->D; m++)
		f->ptag[m] = -1;
	ahead(f, 1, f->fc);
	ahead(f, f->D, f->pend + (f->D - 1) * DK_FC_N);
	f->ptag[f->D - 1] = f->D - 1;
	return f;
oom:
	dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	return NULL;
}

struct dk_fc *
dk_fc_new(const struct dk_fcopt *o, int64_t t0, struct dk_err *e)
{
	return make(o, t0, 1, e);
}

void
dk_fc_free(struct dk_fc *f)
{
	if (f == NULL)
		return;
	free(f->ring);
	free(f->sd);
	free(f->sw);
	free(f->shape);
	free(f->pend);
	free(f->ptag);
	free(f->bt[0].err);
	free(f->bt[1].err);
	free(f);
}

int64_t
dk_fc_next(const struct dk_fc *f, int m)
{
	return f->fc[m];
}

/* The backtest for forecasts made h slots ahead: of those made a slot
 * ahead up to half a day, else of those made a day ahead. */
static const struct backtest *
backtest(const struct dk_fc *f, int h)
{
	return &f->bt[2 * h > f->D];
}

/* The method of the smallest error over the window for a forecast made
 * h slots ahead (ties: the earlier in the list); yesterday until a week
 * has been scored (the seasons of a week need one to show their worth). */
int
dk_fc_chosen_ahead(const struct dk_fc *f, int h)
{
	const struct backtest *b = backtest(f, h);
	int m, best = DK_FC_YESTERDAY;

	if (b->ecnt < 7 * f->D)
		return best;
	for (m = 1; m < DK_FC_N; m++)
		if ((m != DK_FC_CLEARSKY || f->o.geo) &&
		    b->esum[m] < b->esum[best])
			best = m;
	return best;
}

int
dk_fc_chosen(const struct dk_fc *f)
{
	return dk_fc_chosen_ahead(f, 1);
}

/* The slots scored in the window (of forecasts made a slot ahead). */
int64_t
dk_fc_scored(const struct dk_fc *f)
{
	return f->bt[0].ecnt;
}

/* The window's mean absolute error of method m's forecasts made h slots
 * ahead (backtest()'s), Wh; -1: nothing scored. */
double
dk_fc_mae_ahead(const struct dk_fc *f, int m, int h)
{
	const struct backtest *b = backtest(f, h);

	return b->ecnt ? (double)b->esum[m] / b->ecnt : -1;
}

/* The same of the forecasts made a slot ahead. */
double
dk_fc_mae(const struct dk_fc *f, int m)
{
	return dk_fc_mae_ahead(f, m, 1);
}

/* The forecasts fc of the slot whose value is y, into backtest b. */
static void
score(struct dk_fc *f, struct backtest *b, const int64_t *fc, int64_t y)
{
	int64_t *row, d;
	int m;

	/* without rows (dk_fc_fed): the window never wraps */
	if (b->err == NULL) {
		if (y == DK_NOVAL || fc[0] == DK_NOVAL)
			return;
		for (m = 0; m < DK_FC_N; m++) {
			d = fc[m] - y;
			b->esum[m] += d < 0 ? -d : d;
		}
		b->ecnt++;
		return;
	}
	row = b->err + (f->n % f->win) * DK_FC_N;
	if (row[0] > 0) {
		for (m = 0; m < DK_FC_N; m++)
			b->esum[m] -= row[m] - 1;
		b->ecnt--;
	}
	for (m = 0; m < DK_FC_N; m++)
		row[m] = 0;
	if (y == DK_NOVAL || fc[0] == DK_NOVAL)
		return;
	for (m = 0; m < DK_FC_N; m++) {
		d = fc[m] - y;
		d = d < 0 ? -d : d;
		row[m] = d + 1;
		b->esum[m] += d;
	}
	b->ecnt++;
}

/* One slot on: n, its places in the ring and the day, the clock. */
static void
step(struct dk_fc *f)
{
	f->n++;
	if (++f->pos == f->W)
		f->pos = 0;
	if (++f->dpos == f->D)
		f->dpos = 0;
	f->t += f->o.slot_minutes * 60LL;
}

/*
 * No value yet fed, and none now (the slots before a history begins: bid
 * feeds 56 days whatever it has): nothing is scored (no slot had a value),
 * the seasons and the sky learn nothing, eprev stays 0, and every method
 * forecasts 0 (yesterday's fallback, the others' in turn; the sky's shape
 * is 0): the slot is passed without the work of dk_fc_feed's ahead().
 */
static void
empty(struct dk_fc *f)
{
	int64_t *p;
	int m;

	f->ring[f->pos] = DK_NOVAL;
	/* its place found once, not again after each store through it:
	 * (n + D - 1) % D of the new n */
	p = f->pend + f->dpos * DK_FC_N;
	f->ptag[f->dpos] = -1;
	step(f);
	for (m = 0; m < DK_FC_N; m++)
		f->fc[m] = p[m] = 0;
}

/*
 * The values at the head of v that empty() would pass one by one (none
 * fed yet, and none now: DK_NOVAL, or below zero), passed at once, as
 * many empty() calls leave f (a ring place or a row of pend each, the
 * last W and D of them the ones that stay): how many.  Bid's first days
 * have a history of a day or two in its 56: this was a third of its
 * forecasts' work.
 */
static size_t
lead(struct dk_fc *f, const int64_t *v, size_t n)
{
	size_t k, j;
	int m, d;

	if (f->last != DK_NOVAL)
		return 0;
	for (k = 0; k < n && (v[k] == DK_NOVAL || v[k] < 0); k++)
		;
	if (k == 0)
		return 0;
	for (j = 0; j < k && j < (size_t)f->W; j++)
		f->ring[(f->pos + j) % f->W] = DK_NOVAL;
	for (j = 0; j < k && j < (size_t)f->D; j++) {
		d = (int)((f->dpos + j) % f->D);
		for (m = 0; m < DK_FC_N; m++)
			f->pend[d * DK_FC_N + m] = 0;
		f->ptag[d] = -1;
	}
	for (m = 0; m < DK_FC_N; m++)
		f->fc[m] = 0;
	f->n += (int64_t)k;
	f->pos = (int)((f->pos + k) % f->W);
	f->dpos = (int)((f->dpos + k) % f->D);
	f->t += (int64_t)k * f->o.slot_minutes * 60;
	return k;
}

/* What a feed does beside teaching the seasons, the sky and the week:
 * score the forecasts made a slot and a day ahead, forecast the next slot
 * and the one a day ahead (FULL: all; dk_fc_feed_n and dk_fc_fed leave
 * out what later feeds do not need). */
enum { SCORE1 = 1, SCORED = 2, AHEAD1 = 4, AHEADD = 8, FULL = 15 };

/*
 * The next slot's value: DK_NOVAL when there is none (a gap, a meter
 * reset).  A value below zero or beyond SPIKE times the week's mean is
 * taken as none too: one broken reading must not teach the seasons.
 * what: FULL, or the parts of it wanted.
 */
static void
feed(struct dk_fc *f, int64_t y, int what)
{
	int i = f->pos, d = f->dpos;
	int64_t old;
	double base, eps, cs, r;

	if (y != DK_NOVAL && (y < 0 || (f->wcnt >= f->D &&
	    (double)y > SPIKE * (f->wsum / f->wcnt) + 1000)))
		y = DK_NOVAL;
	if (y == DK_NOVAL && f->last == DK_NOVAL) {
		empty(f);
		return;
	}
	if (y != DK_NOVAL && y != 0)
		f->zero = 0;
	if (f->n >= 1 && (what & SCORE1))
		score(f, &f->bt[0], f->fc, y);
	if (what & SCORED)	/* d: f->n % f->D, as W is 7 days */
		score(f, &f->bt[1], f->pend + d * DK_FC_N, y);
	if (y != DK_NOVAL) {
		if (!f->init) {
			f->lev = (double)y;
			f->init = 1;
		}
		base = f->lev + f->sd[d] + f->sw[i];
		eps = (double)y - base - ETS_PHI * f->eprev;
		f->lev += ETS_ALPHA * eps;
		f->sd[d] += ETS_DAY * eps;
		f->sw[i] += ETS_WEEK * eps;
		f->eprev = (double)y - base;
	} else
		f->eprev *= ETS_PHI;
	if (f->o.geo && y != DK_NOVAL) {
		cs = dk_fc_clearsky(f->o.lat, f->o.lon, f->t,
		    f->o.slot_minutes);
		if (cs > 50) {
			r = (double)y / cs;
			if (f->shape[d] == 0)
				f->shape[d] = r;	/* its first day */
			f->shape[d] += SKY_SHAPE * (r - f->shape[d]);
			if (f->shape[d] * cs > 1)
				f->cloud += SKY_CLOUD * (r / f->shape[d] -
				    f->cloud);
			if (f->cloud > 3)
				f->cloud = 3;
		}
	}
	old = f->n >= f->W ? f->ring[i] : DK_NOVAL;
	if (old != DK_NOVAL) {
		f->wsum -= (double)old;
		f->wcnt--;
	}
	f->ring[i] = y;
	if (y != DK_NOVAL) {
		f->wsum += (double)y;
		f->wcnt++;
		f->last = y;
	}
	step(f);
	if (what & AHEAD1)
		ahead(f, 1, f->fc);
	if (what & AHEADD) {	/* (f->n + D - 1) % D of the new f->n */
		ahead(f, f->D, f->pend + d * DK_FC_N);
		f->ptag[d] = f->n + f->D - 1;
	}
}

void
dk_fc_feed(struct dk_fc *f, int64_t y)
{
	feed(f, y, FULL);
}

/*
 * The n values of v fed in turn, leaving f as n dk_fc_feed calls leave
 * it, to the bit, in half the work for bid's 56 days: the backtests keep
 * the scores of the last window only (each score in a window's row, the
 * sums those of the rows), which score the forecasts made from win + D
 * slots before the end, so the slots before those only teach the seasons,
 * the sky and the week (what was scored from them drops out of the
 * window; the rows it would have filled are all filled again).
 */
void
dk_fc_feed_n(struct dk_fc *f, const int64_t *v, size_t n)
{
	size_t i, quiet = n > (size_t)(f->win + f->D) ? n - f->win - f->D :
	    0;

	for (i = lead(f, v, n); i < n; i++)
		feed(f, v[i], i >= quiet ? FULL : 0);
}

/*
 * A forecaster from t0 fed the n values of v and fed no more (bid's): it
 * answers as one dk_fc_feed_n fed, to the bit, without the backtests'
 * rows (win x DK_FC_N each, a third of a megabyte to zero for bid's two),
 * nor the work only later feeds would use: only the last win slots are
 * scored (the window never wraps, so no score leaves it: the sums are
 * those a full feed leaves), the next slot forecast only from the slot
 * before those, and the slot a day ahead only where one of those scores
 * it.  NULL with e filled.
 */
struct dk_fc *
dk_fc_fed(const struct dk_fcopt *o, int64_t t0, const int64_t *v, size_t n,
    struct dk_err *e)
{
	struct dk_fc *f;
	size_t i, win, D;
	int what;

	if ((f = make(o, t0, 0, e)) == NULL)
		return NULL;
	win = (size_t)f->win;
	D = (size_t)f->D;
	for (i = lead(f, v, n); i < n; i++) {
		what = i + win >= n ? SCORE1 | SCORED : 0;
		if (i + win + 1 >= n)
			what |= AHEAD1;
		if (i + win + D >= n && i + D < n)
			what |= AHEADD;
		feed(f, v[i], what);
	}
	free(f->pend);
	free(f->ptag);
	f->pend = NULL;
	f->ptag = NULL;
	return f;
}
