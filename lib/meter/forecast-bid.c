/*
 * forecast-bid.c: bid's forecast of a slot: the household's grid import
 * and export over its meters, from the history in the state database, each
 * run through forecast.c and forecast by the method its backtest chose.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

#define HISTORY_DAYS	56	/* the backtest's 28 days, and as many before */

static int
degrees(const struct dk_conf *conf, const char *key, double max, double *out,
    struct dk_err *e)
{
	const char *s = dk_conf_str(conf, key, NULL);
	char *end;

	if (s == NULL)
		return 0;
	*out = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || !(*out >= -max && *out <= max))
		return dk_fail(e, DK_EX_CONFIG, "%s: %s: must be decimal degrees "
		    "from %g to %g, got \"%.40s\"", conf->path ? conf->path :
		    "config", key, -max, max, s);
	return 1;
}

/* bid.forecast, bid.latitude and bid.longitude into b->fc and b->fc_pin. */
int
dk_bidder_fc_conf(struct dk_bidder *b, const struct dk_conf *conf,
    struct dk_err *e)
{
	const char *where = conf->path ? conf->path : "config";
	const char *m = dk_conf_str(conf, "bid.forecast", "auto");
	int la, lo;

	b->fc.slot_minutes = b->rules.slot_minutes;
	if ((la = degrees(conf, "bid.latitude", 90, &b->fc.lat, e)) < 0 ||
	    (lo = degrees(conf, "bid.longitude", 180, &b->fc.lon, e)) < 0)
		return -1;
	if (la != lo)
		return dk_fail(e, DK_EX_CONFIG, "%s: bid.latitude and "
		    "bid.longitude: give both or neither", where);
	b->fc.geo = la;
	b->fc_pin = -1;
	if (strcmp(m, "auto") != 0 && (b->fc_pin = dk_fc_find(m)) < 0)
		return dk_fail(e, DK_EX_CONFIG, "%s: bid.forecast: must be auto, "
		    "yesterday, lastweek, blend, mean7, median7, ets, combo or "
		    "clearsky, got \"%.40s\"", where, m);
	if (b->fc_pin == DK_FC_CLEARSKY && !b->fc.geo)
		return dk_fail(e, DK_EX_CONFIG, "%s: bid.forecast: clearsky "
		    "needs bid.latitude and bid.longitude", where);
	return 0;
}

/*
 * The history as the database holds it from slot from on, read once and
 * kept for the run's later days (bid -r): each reading bid keeps is put
 * into it too (dk_bidder_hist_put), and another connection's commit
 * (PRAGMA data_version) has it read again, so that a day's forecasters
 * are fed what a fresh run would read.  (A rollback of readings ends the
 * run.)  Slot i of it, meter k: has and v at i * nmeters + k.
 */
struct dk_fchist {
	int64_t from;		/* the first slot held */
	int64_t dv;		/* data_version when it was read */
	size_t n, cap;		/* the slots held, from from on */
	unsigned char *has;	/* 0: no reading */
	int64_t (*v)[2];	/* import, export */
};

void
dk_bidder_hist_free(struct dk_bidder *b)
{
	if (b->hist == NULL)
		return;
	free(b->hist->has);
	free(b->hist->v);
	free(b->hist);
	b->hist = NULL;
}

/* Room for n slots in h, the new ones without readings. */
static int
hist_grow(struct dk_bidder *b, struct dk_fchist *h, size_t n,
    struct dk_err *e)
{
	size_t m = b->nmeters, cap = h->cap;
	unsigned char *has;
	int64_t (*v)[2];

	if (n > cap) {
		for (cap = cap ? cap : 64; cap < n; cap *= 2)
			;
		if ((has = realloc(h->has, cap * m)) == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		h->has = has;
		if ((v = reallocarray(h->v, cap * m, sizeof(*v))) == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		h->v = v;
		h->cap = cap;
	}
	if (n > h->n) {
		memset(h->has + h->n * m, 0, (n - h->n) * m);
		h->n = n;
	}
	return 0;
}

static int
data_version(struct dk_bidder *b, int64_t *dv, struct dk_err *e)
{
	sqlite3_stmt *st;

	if ((st = dk_db_stmt(b->db, "PRAGMA data_version", e,
	    "select")) == NULL)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return dk_db_fail(b->db, e, "select");
	}
	*dv = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

/* The readings of the household's meters from slot from on, into a new
 * b->hist (rows off the slots from from skipped, as history skips them). */
static int
hist_read(struct dk_bidder *b, int64_t from, int64_t dv, struct dk_err *e)
{
	int64_t step = b->rules.slot_minutes * 60LL, s;
	struct dk_fchist *h;
	sqlite3_stmt *st;
	size_t i, k;
	int rc;

	dk_bidder_hist_free(b);
	if ((h = b->hist = calloc(1, sizeof(*h))) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	h->from = from;
	h->dv = dv;
	if ((st = dk_db_stmt(b->db, "SELECT slot, import_wh, export_wh "
	    "FROM reading WHERE meter = ? AND slot >= ?", e,
	    "select")) == NULL)
		return -1;
	for (k = 0; k < b->nmeters; k++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, b->meters[k], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, from);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			s = sqlite3_column_int64(st, 0) - from;
			if (s % step != 0)
				continue;
			i = (size_t)(s / step);
			if (hist_grow(b, h, i + 1, e) < 0) {
				sqlite3_reset(st);
				return -1;
			}
			h->has[i * b->nmeters + k] = 1;
			h->v[i * b->nmeters + k][0] =
			    sqlite3_column_int64(st, 1);
			h->v[i * b->nmeters + k][1] =
			    sqlite3_column_int64(st, 2);
		}
		if (rc != SQLITE_DONE) {
			sqlite3_reset(st);
			return dk_db_fail(b->db, e, "select");
		}
	}
	sqlite3_reset(st);
	return 0;
}

/* A reading of meter m bid has just kept (INSERT OR REPLACE) into the
 * history held, if one is. */
int
dk_bidder_hist_put(struct dk_bidder *b, const char *m, int64_t slot,
    int64_t imp, int64_t exp, struct dk_err *e)
{
	int64_t step = b->rules.slot_minutes * 60LL;
	struct dk_fchist *h = b->hist;
	size_t i, k;

	if (h == NULL || slot < h->from || (slot - h->from) % step != 0)
		return 0;
	i = (size_t)((slot - h->from) / step);
	if (hist_grow(b, h, i + 1, e) < 0) {
		dk_bidder_hist_free(b);
		return -1;
	}
	for (k = 0; k < b->nmeters; k++)
		if (strcmp(b->meters[k], m) == 0) {
			h->has[i * b->nmeters + k] = 1;
			h->v[i * b->nmeters + k][0] = imp;
			h->v[i * b->nmeters + k][1] = exp;
		}
	return 0;
}

/* The sums over the household's meters of the n slots from `from`:
 * DK_NOVAL where a meter has no reading (from the history held, read
 * again when it starts later, off these slots, or another connection
 * has committed since). */
static int
history(struct dk_bidder *b, int64_t from, size_t n, int64_t *imp,
    int64_t *exp, struct dk_err *e)
{
	int64_t step = b->rules.slot_minutes * 60LL, dv = 0;
	struct dk_fchist *h = b->hist;
	size_t i, j, k, m = b->nmeters;

	if (data_version(b, &dv, e) < 0)
		return -1;
	if ((h == NULL || from < h->from || (from - h->from) % step != 0 ||
	    dv != h->dv) && hist_read(b, from, dv, e) < 0)
		return -1;
	h = b->hist;
	for (i = 0; i < n; i++) {
		j = (size_t)((from - h->from) / step) + i;
		imp[i] = exp[i] = 0;
		for (k = 0; k < m && j < h->n && h->has[j * m + k]; k++) {
			imp[i] += h->v[j * m + k][0];
			exp[i] += h->v[j * m + k][1];
		}
		if (k < m)
			imp[i] = exp[i] = DK_NOVAL;
	}
	return 0;
}

/* What bid keeps between the slots of one run: the forecasters fed up to
 * the newest reading before a slot, which serve every later slot until a
 * newer reading comes before one. */
struct dk_fcstate {
	int64_t newest;		/* the last slot fed */
	int64_t from;		/* the first */
	int top;		/* 1: a meter has no reading after newest */
	size_t n;
	int64_t *v[2];		/* the slots fed: import, export */
	struct dk_fc *f[2];
};

void
dk_bidder_fc_free(struct dk_bidder *b)
{
	int k;

	if (b->fcs == NULL)
		return;
	for (k = 0; k < 2; k++) {
		free(b->fcs->v[k]);
		dk_fc_free(b->fcs->f[k]);
	}
	free(b->fcs);
	b->fcs = NULL;
}

/* The newest slot before target in which every meter has a reading; 1
 * when there is none. */
static int
newest(struct dk_bidder *b, int64_t target, int64_t *slot, struct dk_err *e)
{
	sqlite3_stmt *st;
	size_t k;
	int rc = 0;

	if ((st = dk_db_stmt(b->db, "SELECT max(slot) FROM reading "
	    "WHERE meter = ? AND slot <= ?", e, "select")) == NULL)
		return -1;
	*slot = target - 1;
	/* the newest of the first meter no later than the others' */
	for (k = 0; k < b->nmeters; k = rc == 2 ? 0 : k + 1) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, b->meters[k], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, *slot);
		if (sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_reset(st);
			return dk_db_fail(b->db, e, "select");
		}
		if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
			rc = 1;
			break;
		}
		rc = sqlite3_column_int64(st, 0) < *slot && k > 0 ? 2 : 0;
		*slot = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	return rc;
}

/* The forecasters fed the history up to slot last, kept in b->fcs. */
static int
build(struct dk_bidder *b, int64_t last, struct dk_err *e)
{
	int64_t step = b->rules.slot_minutes * 60LL;
	/* a pinned method of the last week's slots needs no more */
	int days = b->fc_pin >= 0 && b->fc_pin <= DK_FC_MEDIAN7 ? 8 :
	    HISTORY_DAYS;
	struct dk_fcstate *c;
	struct dk_fcopt o[2] = { b->fc, b->fc };
	sqlite3_stmt *st;
	int k;

	dk_bidder_fc_free(b);
	if ((c = b->fcs = calloc(1, sizeof(*c))) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	c->newest = last;
	c->n = (size_t)days * 86400 / step;
	c->from = last + step - (int64_t)c->n * step;
	o[0].geo = 0;	/* the sun's curve is generation's, not import's */
	for (k = 0; k < 2; k++)
		if ((c->v[k] = calloc(c->n, sizeof(int64_t))) == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if (history(b, c->from, c->n, c->v[0], c->v[1], e) < 0)
		return -1;
	/* a meter with no reading after last: last serves every later
	 * slot (bid's 48 slots of a day ask newest() once, not each) */
	c->top = 0;
	for (k = 0; k < (int)b->nmeters && !c->top; k++) {
		if ((st = dk_db_stmt(b->db, "SELECT max(slot) FROM reading "
		    "WHERE meter = ?", e, "select")) == NULL)
			return -1;
		sqlite3_bind_text(st, 1, b->meters[k], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_reset(st);
			return dk_db_fail(b->db, e, "select");
		}
		c->top = sqlite3_column_int64(st, 0) == last;
		sqlite3_reset(st);
	}
	/* fed no more: without the backtests' rows */
	for (k = 0; k < 2; k++)
		if ((c->f[k] = dk_fc_fed(&o[k], c->from, c->v[k], c->n,
		    e)) == NULL)
			return -1;
	return 0;
}

/*
 * The forecast net export (export - import, Wh) of slot target over the
 * household's meters, made from the newest reading before it and the
 * HISTORY_DAYS up to it (8 for a pinned yesterday, lastweek, blend, mean7
 * or median7), import and export each by the pinned method, else by the
 * one its backtest chose for a forecast made so far ahead; 1 when there
 * is none (why says why): no reading at all, or yesterday the method and
 * its slot missing while the backtest has not yet scored a week (as bid
 * did before it had one).
 */
int
dk_bidder_forecast(struct dk_bidder *b, int64_t target, int64_t *net,
    char *why, size_t len, struct dk_err *e)
{
	int64_t step = b->rules.slot_minutes * 60LL, y = target - 86400;
	int64_t last = 0, fc[2], day = 86400 / step, yv;
	struct dk_fcstate *c;
	char ts[40];
	int k, m, h, rc;

	if (b->fcs != NULL && b->fcs->top && target > b->fcs->newest) {
		last = b->fcs->newest;
		rc = 0;
	} else if ((rc = newest(b, target, &last, e)) < 0)
		return -1;
	if (rc == 0 && (b->fcs == NULL || b->fcs->newest != last) &&
	    build(b, last, e) < 0)
		return -1;
	c = b->fcs;
	for (k = 0; k < 2 && rc == 0; k++) {
		h = (int)((target - last) / step);
		m = b->fc_pin >= 0 && (b->fc_pin != DK_FC_CLEARSKY || k == 1) ?
		    b->fc_pin : dk_fc_chosen_ahead(c->f[k], h);
		fc[k] = dk_fc_ahead(c->f[k], m, h);
		yv = y >= c->from && y <= last ? c->v[k][(y - c->from) / step] :
		    DK_NOVAL;
		rc = m == DK_FC_YESTERDAY && yv == DK_NOVAL &&
		    dk_fc_scored(c->f[k]) < 7 * day;
	}
	if (rc == 1) {
		dk_time_format(y, b->rules.tz, ts, sizeof(ts));
		snprintf(why, len, "no reading of %s yet to forecast from", ts);
		return 1;
	}
	*net = fc[1] - fc[0];
	return 0;
}
