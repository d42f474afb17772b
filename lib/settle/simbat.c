/*
 * simbat.c: denki-simulate's batteries: a home's battery following the
 * plan denki-bid made (battery_plan in the home's state database) within
 * its limits, over the home's own import and export, day by day.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settle.h"

/* The battery simulate gives a home (add.NAME.battery_*), as its yaml
 * tells bid (the settings dk_sim_batt_conf writes). */
void
dk_sim_batt(const struct dk_scen_home *h, struct dk_batt *b)
{
	memset(b, 0, sizeof(*b));
	b->cap_wh = h->bat_wh;
	b->reserve_wh = h->bat_reserve;
	b->max_charge_w = b->max_discharge_w = h->bat_w;
	b->eff_charge = b->eff_discharge = h->bat_eff;
	b->step_wh = h->bat_wh / 200 > 0 ? h->bat_wh / 200 : 1;
}

/* battery.* for the home's yaml: its limits, a plan over the day. */
void
dk_sim_batt_conf(FILE *fp, const struct dk_scen_home *h, int spd)
{
	struct dk_batt b;

	dk_sim_batt(h, &b);
	fprintf(fp, "battery.capacity_wh: %lld\nbattery.reserve_wh: %lld\n"
	    "battery.max_charge_w: %lld\nbattery.max_discharge_w: %lld\n"
	    "battery.efficiency_charge: %lld\n"
	    "battery.efficiency_discharge: %lld\nbattery.step_wh: %lld\n"
	    "battery.horizon: %d\n", (long long)b.cap_wh,
	    (long long)b.reserve_wh, (long long)b.max_charge_w,
	    (long long)b.max_discharge_w, (long long)b.eff_charge,
	    (long long)b.eff_discharge, (long long)b.step_wh,
	    spd < DK_PLAN_MAXSLOTS ? spd :
	    DK_PLAN_MAXSLOTS);
}

/*
 * n slots of a plan followed from *soc (DC Wh) within the battery's
 * limits: charge[k] or discharge[k] (AC Wh, the plan's) become what the
 * battery did, at most its power a slot, what its room takes (DC:
 * floor(AC x efficiency / 1000)) and what it holds above the reserve
 * (AC: floor(DC x efficiency / 1000)); imp[k] and exp[k], the home's
 * own, become what the meter sees: a charge takes the slot's export
 * first, then imports; a discharge covers the import first, then
 * exports.
 */
void
dk_sim_batt_follow(const struct dk_batt *b, int slot_minutes, int64_t *soc,
    int64_t *charge, int64_t *discharge, int64_t *imp, int64_t *exp,
    size_t n)
{
	int64_t cmax = b->max_charge_w * slot_minutes / 60;
	int64_t dmax = b->max_discharge_w * slot_minutes / 60;
	int64_t c, x, dc, t;
	size_t k;

	for (k = 0; k < n; k++) {
		c = charge[k] < cmax ? charge[k] : cmax;
		x = c > 0 ? 0 : discharge[k] < dmax ? discharge[k] : dmax;
		c = c > 0 ? c : 0;
		x = x > 0 ? x : 0;
		if (c > 0) {
			dc = c * b->eff_charge / 1000;
			if (dc > b->cap_wh - *soc) {
				dc = b->cap_wh - *soc;
				c = (dc * 1000 + b->eff_charge - 1) /
				    b->eff_charge;
			}
			*soc += dc;
		} else if (x > 0) {
			dc = (x * 1000 + b->eff_discharge - 1) /
			    b->eff_discharge;
			t = *soc > b->reserve_wh ? *soc - b->reserve_wh : 0;
			if (dc > t) {
				dc = t;
				x = dc * b->eff_discharge / 1000;
			}
			*soc -= dc;
		}
		t = c < exp[k] ? c : exp[k];
		exp[k] -= t;
		imp[k] += c - t;
		t = x < imp[k] ? x : imp[k];
		imp[k] -= t;
		exp[k] += x - t;
		charge[k] = c;
		discharge[k] = x;
	}
}

/*
 * Day t0 of the home of yaml with a battery: its plan for the day's spd
 * slots read from the home's state database (a slot without one: idle),
 * followed from *soc over imp and exp (the home's own, then the
 * meter's); the battery's readings of the day (kind battery, meter
 * bmeter: import_wh charged, export_wh discharged) to bfp, which bid
 * takes the battery's part out of the grid's with; its state at the
 * day's end into the database, which bid plans the next day from.
 */
int
dk_sim_batt_day(const char *yaml, const struct dk_batt *b,
    const struct dk_rules *r, const char *bmeter, int64_t t0, int spd,
    int64_t *soc, int64_t *imp, int64_t *exp, FILE *bfp, struct dk_err *e)
{
	const int64_t len = (int64_t)r->slot_minutes * 60;
	struct dk_conf conf;
	struct dk_sample s;
	struct dk_db *db;
	int64_t *c, *x;
	char ts[40];
	int k, rc = 0;

	if ((c = calloc((size_t)spd * 2, sizeof(*c))) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	x = c + spd;
	if (dk_conf_open(&conf, yaml, DK_CONF_HOME, NULL, 0, e) < 0) {
		free(c);
		return -1;
	}
	if ((db = dk_home_db(&conf, e)) == NULL)
		rc = -1;
	for (k = 0; k < spd && rc == 0; k++)
		if (dk_db_batt_plan(db, t0 + k * len, &c[k], &x[k], e) < 0)
			rc = -1;
	if (rc == 0) {
		dk_sim_batt_follow(b, r->slot_minutes, soc, c, x, imp, exp,
		    (size_t)spd);
		memset(&s, 0, sizeof(s));
		snprintf(s.meter, sizeof(s.meter), "%s", bmeter);
		snprintf(s.kind, sizeof(s.kind), "battery");
		s.t = t0 + (int64_t)spd * len;
		s.import_mwh = s.export_mwh = s.power_w = DK_NOVAL;
		s.batt = 1;
		s.soc_pct = s.mode = -1;
		s.soc_wh = *soc;
		rc = dk_db_put_batt(db, &s, e);
	}
	for (k = 0; k < spd && rc == 0; k++) {
		dk_time_format(t0 + k * len, r->tz, ts, sizeof(ts));
		fprintf(bfp, "{\"type\":\"reading\",\"v\":1,\"kind\":\"battery\","
		    "\"meter\":\"%s\",\"slot\":\"%s\",\"import_wh\":%lld,"
		    "\"export_wh\":%lld}\n", bmeter, ts, (long long)c[k],
		    (long long)x[k]);
	}
	if (rc == 0 && (fflush(bfp) != 0 || ferror(bfp)))
		rc = dk_fail(e, DK_EX_IOERR, "%s: the battery's readings: "
		    "write error", yaml);
	dk_db_close(db);
	dk_conf_free(&conf);
	free(c);
	return rc;
}
