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

/* The sums over the household's meters of the n slots from `from`:
 * DK_NOVAL where a meter has no reading. */
static int
history(struct dk_bidder *b, int64_t from, size_t n, int64_t *imp,
    int64_t *exp, struct dk_err *e)
{
	int64_t step = b->rules.slot_minutes * 60LL, s;
	unsigned char *cnt;
	sqlite3_stmt *st;
	size_t i, k;
	int rc;

	if ((cnt = calloc(n, 1)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	memset(imp, 0, n * sizeof(*imp));
	memset(exp, 0, n * sizeof(*exp));
	if (sqlite3_prepare_v2(b->db->db, "SELECT slot, import_wh, export_wh "
	    "FROM reading WHERE meter = ? AND slot >= ? AND slot < ?", -1,
	    &st, NULL) != SQLITE_OK) {
		free(cnt);
		return dk_db_fail(b->db, e, "select");
	}
	for (k = 0; k < b->nmeters; k++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, b->meters[k], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, from);
		sqlite3_bind_int64(st, 3, from + (int64_t)n * step);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			s = sqlite3_column_int64(st, 0) - from;
			if (s % step != 0)
				continue;
			i = (size_t)(s / step);
			imp[i] += sqlite3_column_int64(st, 1);
			exp[i] += sqlite3_column_int64(st, 2);
			cnt[i]++;
		}
		if (rc != SQLITE_DONE) {
			sqlite3_finalize(st);
			free(cnt);
			return dk_db_fail(b->db, e, "select");
		}
	}
	sqlite3_finalize(st);
	for (i = 0; i < n; i++)
		if (cnt[i] != b->nmeters)
			imp[i] = exp[i] = DK_NOVAL;
	free(cnt);
	return 0;
}

/* One series' forecast of the slot after its n values, made from the
 * newest of them (a forecast made h slots ahead): by the pinned method,
 * else by the one its backtest for h chose (m says which); 1 when
 * yesterday is that method, yesterday has no value and the backtest has
 * not yet scored a week (as bid did before it had one). */
static int
one(const struct dk_bidder *b, const struct dk_fcopt *o, int64_t from,
    const int64_t *v, size_t n, int64_t *out, int *m, struct dk_err *e)
{
	struct dk_fc *f;
	size_t i, k, day = 86400 / (o->slot_minutes * 60);
	int rc, h;

	if ((f = dk_fc_new(o, from, e)) == NULL)
		return -1;
	/* up to the newest value: the target is h slots ahead of it */
	for (k = n; k > 0 && v[k - 1] == DK_NOVAL; k--)
		;
	for (i = 0; i < k; i++)
		dk_fc_feed(f, v[i]);
	h = (int)(n - k) + 1;
	*m = b->fc_pin >= 0 && (b->fc_pin != DK_FC_CLEARSKY || o->geo) ?
	    b->fc_pin : dk_fc_chosen_ahead(f, h);
	*out = dk_fc_ahead(f, *m, h);
	rc = *m == DK_FC_YESTERDAY && v[n - day] == DK_NOVAL &&
	    dk_fc_scored(f) < 7 * (int64_t)day;
	dk_fc_free(f);
	return rc;
}

/*
 * The forecast net export (export - import, Wh) of slot target over the
 * household's meters, from the readings of the HISTORY_DAYS before it
 * (8 for a pinned yesterday, lastweek, blend, mean7 or median7); 1 when
 * there is none (why says why).
 */
int
dk_bidder_forecast(struct dk_bidder *b, int64_t target, int64_t *net,
    char *why, size_t len, struct dk_err *e)
{
	struct dk_fcopt o = b->fc, oi = b->fc;
	/* a pinned method of the last week's slots needs no more */
	int days = b->fc_pin >= 0 && b->fc_pin <= DK_FC_MEDIAN7 ? 8 :
	    HISTORY_DAYS;
	size_t n = (size_t)days * 1440 / b->rules.slot_minutes;
	int64_t from = target - (int64_t)days * 86400, *imp, *exp;
	int64_t fi, fe;
	char ts[40];
	int mi, me, rc = -1;

	if ((imp = calloc(n, sizeof(*imp))) == NULL ||
	    (exp = calloc(n, sizeof(*exp))) == NULL) {
		free(imp);
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	}
	oi.geo = 0;	/* the sun's curve is generation's, not import's */
	if (history(b, from, n, imp, exp, e) < 0 ||
	    (rc = one(b, &oi, from, imp, n, &fi, &mi, e)) < 0 ||
	    (rc |= one(b, &o, from, exp, n, &fe, &me, e)) < 0)
		goto out;
	if (rc == 1) {
		dk_time_format(target - 86400, b->rules.tz, ts, sizeof(ts));
		snprintf(why, len, "no reading of %s yet to forecast from", ts);
		goto out;
	}
	*net = fe - fi;
out:
	free(imp);
	free(exp);
	return rc;
}
