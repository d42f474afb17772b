/*
 * battery-db.c: the battery in the household's state database (its last
 * states from meter-read, its slot readings from bid), and what bid bids
 * once the battery's plan has taken its share of each slot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"

/* Tables an older database gains when first used: nothing else changes
 * (the migration of this file; lib/meter/db.c is left alone). */
static const char schema[] =
    "CREATE TABLE IF NOT EXISTS battery_state("
    " meter TEXT NOT NULL, t INTEGER NOT NULL, soc_pct INTEGER,"
    " soc_wh INTEGER, power_w INTEGER, mode INTEGER,"
    " PRIMARY KEY(meter, t));"
    "CREATE TABLE IF NOT EXISTS battery_reading("
    " meter TEXT NOT NULL, slot INTEGER NOT NULL,"
    " charged_wh INTEGER NOT NULL, discharged_wh INTEGER NOT NULL,"
    " PRIMARY KEY(meter, slot));"
    /* bid's latest plan of each slot, which denki-battery -s follows */
    "CREATE TABLE IF NOT EXISTS battery_plan("
    " slot INTEGER PRIMARY KEY, charge_wh INTEGER NOT NULL,"
    " discharge_wh INTEGER NOT NULL, soc_wh INTEGER NOT NULL,"
    " grid_wh INTEGER NOT NULL, made INTEGER NOT NULL);";

static int
migrate(struct dk_db *d, struct dk_err *e)
{
	if (sqlite3_exec(d->db, schema, NULL, NULL, NULL) != SQLITE_OK)
		return dk_db_fail(d, e, "battery tables");
	return 0;
}

static void
bind_opt(sqlite3_stmt *st, int i, int64_t v)
{
	if (v < 0 || v == DK_NOVAL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

/* A battery's state as a sample gave it (meter-read). */
int
dk_db_put_batt(struct dk_db *d, const struct dk_sample *s, struct dk_err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (migrate(d, e) < 0)
		return -1;
	if ((st = dk_db_stmt(d, "INSERT OR REPLACE INTO battery_state("
	    "meter, t, soc_pct, soc_wh, power_w, mode) VALUES(?,?,?,?,?,?)", e,
	    "insert battery state")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, s->meter, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, s->t);
	bind_opt(st, 3, s->soc_pct);
	bind_opt(st, 4, s->soc_wh);
	if (s->power_w == DK_NOVAL)
		sqlite3_bind_null(st, 5);
	else
		sqlite3_bind_int64(st, 5, s->power_w);
	bind_opt(st, 6, s->mode);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return dk_db_fail(d, e, "insert battery state");
	return 0;
}

/* The plan of slot (AC Wh in and out), as bid last made it: 0, or 1
 * when there is none. */
int
dk_db_batt_plan(struct dk_db *d, int64_t slot, int64_t *charge,
    int64_t *discharge, struct dk_err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (migrate(d, e) < 0)
		return -1;
	if ((st = dk_db_stmt(d, "SELECT charge_wh, discharge_wh FROM "
	    "battery_plan WHERE slot = ?", e,
	    "select battery plan")) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, slot);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*charge = sqlite3_column_int64(st, 0);
		*discharge = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dk_db_fail(d, e, "select battery plan");
	return rc == SQLITE_DONE;
}

/*
 * What to set for slot ("now": the slot under way) to follow bid's plan
 * in the state database of conf: charge or discharge its Wh at the power
 * that moves them in the slot (rounded up), else standby.  1 when there
 * is no plan for the slot (e says so).
 */
int
dk_batt_follow(const struct dk_conf *conf, const char *slot, int *mode,
    long long *watts, long long *wh, struct dk_err *e)
{
	struct dk_db *d;
	long long min;
	int64_t t, c = 0, x = 0;
	char ts[40];
	int rc;

	if (dk_conf_int(conf, "slot_minutes", 30, 1, 1440, &min, e) < 0)
		return -1;
	if (strcmp(slot, "now") == 0)
		t = (int64_t)time(NULL) / (min * 60) * (min * 60);
	else if (dk_slot_parse(slot, (int)min, &t, e) < 0)
		return dk_failpre(e, "-s");
	if ((d = dk_home_db(conf, e)) == NULL)
		return -1;
	rc = dk_db_batt_plan(d, t, &c, &x, e);
	dk_db_close(d);
	if (rc == 1) {
		dk_time_format(t, dk_conf_str(conf, "tz", "UTC"), ts,
		    sizeof(ts));
		dk_fail(e, DK_EX_NOINPUT, "slot %s: no plan in the state "
		    "database (denki-bid with battery.* makes it)", ts);
		return 1;
	}
	if (rc < 0)
		return -1;
	*mode = c > 0 ? 0x42 : x > 0 ? 0x43 : 0x44;
	*wh = c > 0 ? c : x;
	*watts = (*wh * 60 + min - 1) / min;
	if (*mode == 0x44)
		*wh = *watts = -1;
	return 0;
}

/* The plan's n slots from target, over what an earlier plan said. */
static int
keep_plan(struct dk_bidder *b, int64_t target, const struct dk_plan_slot *s,
    int n, struct dk_err *e)
{
	const int64_t len = (int64_t)b->rules.slot_minutes * 60;
	sqlite3_stmt *st;
	int i, rc = SQLITE_DONE;

	if ((st = dk_db_stmt(b->db, "INSERT OR REPLACE INTO "
	    "battery_plan(slot, charge_wh, discharge_wh, soc_wh, grid_wh, "
	    "made) VALUES(?,?,?,?,?,?)", e,
	    "insert battery plan")) == NULL)
		return -1;
	for (i = 0; i < n && rc == SQLITE_DONE; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, target + i * len);
		sqlite3_bind_int64(st, 2, s[i].charge_wh);
		sqlite3_bind_int64(st, 3, s[i].discharge_wh);
		sqlite3_bind_int64(st, 4, s[i].soc_wh);
		sqlite3_bind_int64(st, 5, s[i].grid_wh);
		sqlite3_bind_int64(st, 6, target);
		rc = sqlite3_step(st);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return dk_db_fail(b->db, e, "insert battery plan");
	return 0;
}

/* bid's battery: the limits (battery.*), and the plan's slots */
struct dk_bidbatt {
	struct dk_batt b;
	long long horizon;
	int64_t made;		/* the first slot of this run's plan, */
	int n;			/* and its slots (0: none yet) */
	struct dk_slotprice *prices;	/* battery.prices, by slot */
	size_t nprices;
	struct dk_plan_slot s[DK_PLAN_MAXSLOTS];
};

static void
say(const struct dk_bidder *b, const char *msg)
{
	if (b->warn != NULL)
		b->warn(b->ctx, msg);
}

/* The battery of conf (battery.capacity_wh set), or none. */
int
dk_bidbatt_open(struct dk_bidder *b, const struct dk_conf *conf,
    struct dk_err *e)
{
	const char *where = conf->path ? conf->path : "config";
	struct dk_bidbatt *x;
	long long cap, v[8];
	char *pf;
	int rc;

	b->batt = NULL;
	if (migrate(b->db, e) < 0)
		return -1;
	if (dk_conf_str(conf, "battery.capacity_wh", NULL) == NULL)
		return 0;
	if (dk_conf_int(conf, "battery.capacity_wh", 0, 0, 10000000, &cap,
	    e) < 0 ||
	    dk_conf_int(conf, "battery.reserve_wh", 0, 0, cap, &v[0], e) < 0 ||
	    dk_conf_int(conf, "battery.max_charge_w", cap, 0, 10000000, &v[1],
	    e) < 0 ||
	    dk_conf_int(conf, "battery.max_discharge_w", v[1], 0, 10000000,
	    &v[2], e) < 0 ||
	    dk_conf_int(conf, "battery.efficiency_charge", 950, 1, 1000,
	    &v[3], e) < 0 ||
	    dk_conf_int(conf, "battery.efficiency_discharge", v[3], 1, 1000,
	    &v[4], e) < 0 ||
	    dk_conf_int(conf, "battery.degradation", 0, 0, DK_MAX_PRICE, &v[5],
	    e) < 0 ||
	    dk_conf_int(conf, "battery.step_wh", cap / 200 > 0 ? cap / 200 : 1,
	    1, cap > 0 ? cap : 1, &v[6], e) < 0 ||
	    dk_conf_int(conf, "battery.horizon", 48, 1, DK_PLAN_MAXSLOTS,
	    &v[7], e) < 0)
		return -1;
	if (cap < 1)
		return dk_fail(e, DK_EX_CONFIG, "%s: battery.capacity_wh: must "
		    "be from 1 to 10000000 Wh, got 0", where);
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	x->b.cap_wh = cap;
	x->b.reserve_wh = v[0];
	x->b.max_charge_w = v[1];
	x->b.max_discharge_w = v[2];
	x->b.eff_charge = v[3];
	x->b.eff_discharge = v[4];
	x->b.degradation = v[5];
	x->b.step_wh = v[6];
	x->horizon = v[7];
	b->batt = x;
	if (dk_batt_check(&x->b, e) < 0)
		return dk_fail(e, DK_EX_CONFIG, "%s: battery.*: %s", where,
		    e->msg);
	if ((pf = dk_conf_path(conf, "battery.prices", NULL)) == NULL)
		return 0;
	rc = dk_batt_prices(pf, &b->rules, &x->prices, &x->nprices, e);
	free(pf);
	return rc;
}

/* The plan of a run forgotten (dk_bidder_fresh): the next slot plans
 * anew. */
void
dk_bidbatt_fresh(struct dk_bidder *b)
{
	if (b->batt != NULL)
		b->batt->n = 0;
}

void
dk_bidbatt_close(struct dk_bidder *b)
{
	if (b->batt != NULL)
		free(b->batt->prices);
	free(b->batt);
	b->batt = NULL;
}

/* A battery's slot reading (import_wh charged, export_wh discharged) into
 * the history, whatever its meter (a battery's meter need not be among
 * the grid's meters): 0 kept, 1 refused (e says why), -1 not kept. */
int
dk_bidbatt_reading(struct dk_bidder *b, json_t *rec, struct dk_err *e)
{
	sqlite3_stmt *st;
	int64_t t;
	int rc;

	if (dk_reading_check(rec, &b->rules, &t, e) < 0)
		return 1;
	if ((st = dk_db_stmt(b->db, "INSERT OR REPLACE INTO "
	    "battery_reading(meter, slot, charged_wh, discharged_wh) "
	    "VALUES(?,?,?,?)", e,
	    "insert battery reading")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, json_string_value(json_object_get(rec,
	    "meter")), -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, t);
	sqlite3_bind_int64(st, 3, json_integer_value(json_object_get(rec,
	    "import_wh")));
	sqlite3_bind_int64(st, 4, json_integer_value(json_object_get(rec,
	    "export_wh")));
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return dk_db_fail(b->db, e, "insert battery reading");
	return 0;
}

/* What the household's batteries did in a slot (discharged - charged,
 * Wh); 0 when nothing was read. */
static int
batt_net(struct dk_bidder *b, int64_t slot, int64_t *net, struct dk_err *e)
{
	sqlite3_stmt *st;
	int rc;

	*net = 0;
	if ((st = dk_db_stmt(b->db, "SELECT ifnull(sum(discharged_wh - "
	    "charged_wh), 0) FROM battery_reading WHERE slot = ?", e,
	    "select battery reading")) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, slot);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*net = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return dk_db_fail(b->db, e, "select battery reading");
	return 0;
}

/* The energy stored now: the newest state of the household's batteries
 * (soc_wh, else soc_pct of the capacity); 1 when none is known. */
static int
stored(struct dk_bidder *b, int64_t *wh, int64_t *when, struct dk_err *e)
{
	const int64_t cap = b->batt->b.cap_wh;
	sqlite3_stmt *st;
	int rc;

	if ((st = dk_db_stmt(b->db, "SELECT soc_wh, soc_pct, t FROM "
	    "battery_state WHERE soc_wh IS NOT NULL OR soc_pct IS NOT NULL "
	    "ORDER BY t DESC, meter LIMIT 1", e,
	    "select battery state")) == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_NULL)
			*wh = sqlite3_column_int64(st, 0);
		else
			*wh = sqlite3_column_int64(st, 1) * cap / 100;
		*when = sqlite3_column_int64(st, 2);
		if (*wh > cap)
			*wh = cap;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dk_db_fail(b->db, e, "select battery state");
	return rc == SQLITE_DONE;
}

/*
 * The battery's share of slot target, taken from *net (the grid's net
 * export forecast for it, Wh): the plan over the next battery.horizon
 * slots of the home's own net (the grid's the same slot yesterday, the
 * battery's part of it taken out), at battery.prices' prices (else the
 * rules' retail for what is bought, buyback for what is sold), from the
 * newest state of
 * charge; *net becomes what the plan leaves over (> 0, to sell) or
 * lacks (< 0, to buy) in the first slot, and (unless a dry run) the plan
 * is kept in battery_plan.  No battery: *net unchanged.
 */
int
dk_bidbatt_net(struct dk_bidder *b, int64_t target, int64_t *net,
    struct dk_err *e)
{
	struct dk_bidbatt *x = b->batt;
	const int64_t len = (int64_t)b->rules.slot_minutes * 60;
	int64_t home, g, bn, soc = 0, when = 0, v, low = INT64_MAX;
	char msg[200], ts[40];
	int n, rc;

	if (x == NULL)
		return 0;
	/* a later slot of this run's plan (-N): bid from that plan, so that
	 * the run's slots follow one plan, the energy stored carried
	 * through it */
	if (x->n > 0 && target > x->made && (target - x->made) % len == 0 &&
	    (target - x->made) / len < x->n) {
		*net = -x->s[(target - x->made) / len].grid_wh;
		return 0;
	}
	for (n = 0; n < x->horizon; n++) {
		int64_t y = target + n * len - 86400;

		if ((rc = dk_db_get_net(b->db, (const char *const *)b->meters,
		    b->nmeters, y, &g, e)) < 0)
			return -1;
		if (rc == 1)
			break;
		if (batt_net(b, y, &bn, e) < 0)
			return -1;
		home = g - bn;
		memset(&x->s[n], 0, sizeof(x->s[n]));
		x->s[n].pv_wh = home > 0 ? home : 0;
		x->s[n].load_wh = home < 0 ? -home : 0;
		if (x->s[n].pv_wh > 10000000 || x->s[n].load_wh > 10000000)
			break;
		dk_batt_price(x->prices, x->nprices, &b->rules, y + 86400,
		    &x->s[n].buy, &x->s[n].sell);
		if (x->s[n].sell < low)
			low = x->s[n].sell;
	}
	if (n == 0)
		return 0;
	if ((rc = stored(b, &soc, &when, e)) < 0)
		return -1;
	if (rc == 1) {
		soc = x->b.reserve_wh;
		say(b, "battery: no state of charge known yet (meter-read "
		    "stores it in the same state database): the plan starts "
		    "at the reserve");
	}
	/* what is left at the end is worth what it would surely fetch */
	x->b.end_price = low > 0 ? low * x->b.eff_discharge / 1000 : 0;
	if (dk_plan(&x->b, soc, b->rules.slot_minutes, x->s, n, &v, e) < 0)
		return -1;
	*net = -x->s[0].grid_wh;
	x->made = target;
	x->n = n;
	if (!b->dry && keep_plan(b, target, x->s, n, e) < 0)
		return -1;
	if (b->warn != NULL) {
		dk_time_format(target, b->rules.tz, ts, sizeof(ts));
		snprintf(msg, sizeof(msg), "battery: slot %s: %lld Wh stored, "
		    "plan %s %lld Wh over %d slots", ts, (long long)soc,
		    x->s[0].charge_wh ? "charge" : x->s[0].discharge_wh ?
		    "discharge" : "idle", (long long)(x->s[0].charge_wh +
		    x->s[0].discharge_wh), n);
		(void)when;
		say(b, msg);
	}
	return 0;
}
