/*
 * plan.c: a home battery's plan for the next slots: dynamic programming
 * over a grid of states of charge, in integers (Wh, micro-units), that
 * maximises the home's value at the forecast prices within the limits.
 */
#include <stdlib.h>
#include <string.h>

#include "meter.h"

/*
 * The model (denki-bid(1), Battery; every quantity an integer):
 *  - the state is the energy stored (DC, Wh), on the grid 0, step, 2 step
 *    ... capacity; the start is rounded down onto it (the plan believes
 *    the battery holds less than it does, never more);
 *  - a slot moves the state by d = s' - s.  Charging d > 0 draws
 *    ceil(d x 1000 / eff_charge) Wh of AC; discharging gives
 *    floor(-d x eff_discharge / 1000) Wh of AC.  Both are at most the
 *    power limit x the slot's length (AC side), and s' stays in
 *    [reserve, capacity]; a start below the reserve may only stay or rise
 *    while it is below;
 *  - the grid takes load - pv + charge - discharge (Wh, + import); an
 *    import costs its Wh x buy, an export earns its Wh x sell (prices in
 *    micro-units per kWh), each rounded down to a micro-unit (towards
 *    minus infinity: Wh x price / 1000);
 *  - every kWh discharged (DC) costs degradation (micro-units per kWh), and
 *    what is stored at the end is worth end_price per kWh (DC), each
 *    rounded down in the same way;
 *  - the value is -cost + earnings - degradation + end value; the plan is
 *    one with the highest value; of equal ones, each slot takes the
 *    smaller move, and of two equal moves the charge.
 */

/* 10 MWh, 10 MW: a home's battery and a slot's load and pv, at most, so
 * that a slot's grid energy x DK_MAX_PRICE fits in 64 bits */
#define LIM_WH	10000000LL

static int
bad(struct dk_err *e, const char *what, long long v)
{
	return dk_fail(e, DK_EX_DATAERR, "battery plan: %s: %lld is out of "
	    "range", what, v);
}

/* Checks the battery's limits; 0 when they make sense. */
int
dk_batt_check(const struct dk_batt *b, struct dk_err *e)
{
	if (b->cap_wh < 1 || b->cap_wh > LIM_WH)
		return bad(e, "capacity_wh", b->cap_wh);
	if (b->reserve_wh < 0 || b->reserve_wh > b->cap_wh)
		return bad(e, "reserve_wh (0 to the capacity)", b->reserve_wh);
	if (b->max_charge_w < 0 || b->max_charge_w > LIM_WH)
		return bad(e, "max_charge_w", b->max_charge_w);
	if (b->max_discharge_w < 0 || b->max_discharge_w > LIM_WH)
		return bad(e, "max_discharge_w", b->max_discharge_w);
	if (b->eff_charge < 1 || b->eff_charge > 1000)
		return bad(e, "efficiency_charge (per mille, 1 to 1000)",
		    b->eff_charge);
	if (b->eff_discharge < 1 || b->eff_discharge > 1000)
		return bad(e, "efficiency_discharge (per mille, 1 to 1000)",
		    b->eff_discharge);
	if (b->degradation < 0 || b->degradation > DK_MAX_PRICE)
		return bad(e, "degradation (micro-units per kWh)",
		    b->degradation);
	if (b->end_price < 0 || b->end_price > DK_MAX_PRICE)
		return bad(e, "end price", b->end_price);
	if (b->step_wh < 1 || b->cap_wh / b->step_wh > DK_PLAN_MAXSTATES)
		return bad(e, "step_wh (at most 4096 states)", b->step_wh);
	return 0;
}

/* The AC energy a move of d Wh (DC) draws (> 0) or gives (< 0). */
int64_t
dk_batt_ac(const struct dk_batt *b, int64_t d)
{
	if (d > 0)
		return (d * 1000 + b->eff_charge - 1) / b->eff_charge;
	return -(-d * b->eff_discharge / 1000);
}

/* Wh x micro-units per kWh, in micro-units rounded towards minus
 * infinity */
int64_t
dk_wh_money(int64_t wh, int64_t price)
{
	int64_t x = wh * price;

	return x >= 0 ? x / 1000 : -((-x + 999) / 1000);
}

/* What a slot's grid energy costs (< 0: earns), micro-units. */
static int64_t
grid_cost(int64_t grid, int64_t buy, int64_t sell)
{
	return dk_wh_money(grid, grid > 0 ? buy : sell);
}

/*
 * The plan for the n slots of s (load, pv, buy, sell given; charge,
 * discharge, soc and grid filled) from soc0 Wh stored, slot_minutes
 * each; *value its value in micro-units.
 */
int
dk_plan(const struct dk_batt *b, int64_t soc0, int slot_minutes,
    struct dk_plan_slot *s, int n, int64_t *value, struct dk_err *e)
{
	int64_t *v = NULL, *nv = NULL, *ac = NULL, *gain = NULL, cmax, dmax;
	int64_t best, x;
	int32_t *pick = NULL;
	int K, k, k2, t, lo, kmin, k0, dlo, dhi, d, rc = -1;

	if (dk_batt_check(b, e) < 0)
		return -1;
	if (n < 1 || n > DK_PLAN_MAXSLOTS)
		return bad(e, "slots", n);
	if (slot_minutes < 1 || slot_minutes > 1440)
		return bad(e, "slot_minutes", slot_minutes);
	if (soc0 < 0 || soc0 > b->cap_wh)
		return bad(e, "state of charge (Wh, 0 to the capacity)", soc0);
	for (t = 0; t < n; t++)
		if (s[t].load_wh < 0 || s[t].load_wh > LIM_WH ||
		    s[t].pv_wh < 0 || s[t].pv_wh > LIM_WH ||
		    s[t].buy < -DK_MAX_PRICE || s[t].buy > DK_MAX_PRICE ||
		    s[t].sell < -DK_MAX_PRICE || s[t].sell > DK_MAX_PRICE)
			return bad(e, "a slot's load, pv or price", t);
	K = (int)(b->cap_wh / b->step_wh);
	k0 = (int)(soc0 / b->step_wh);
	kmin = (int)((b->reserve_wh + b->step_wh - 1) / b->step_wh);
	cmax = b->max_charge_w * slot_minutes / 60;
	dmax = b->max_discharge_w * slot_minutes / 60;
	/* the moves the power limits allow: dlo..dhi states */
	for (dhi = 0; dhi < K && dk_batt_ac(b, (int64_t)(dhi + 1) *
	    b->step_wh) <= cmax; dhi++)
		;
	for (dlo = 0; dlo > -K && -dk_batt_ac(b, (int64_t)(dlo - 1) *
	    b->step_wh) <= dmax; dlo--)
		;
	v = calloc(K + 1, sizeof(*v));
	nv = calloc(K + 1, sizeof(*nv));
	ac = calloc(dhi - dlo + 1, sizeof(*ac));
	gain = calloc(dhi - dlo + 1, sizeof(*gain));
	pick = calloc((size_t)n * (K + 1), sizeof(*pick));
	if (v == NULL || nv == NULL || ac == NULL || gain == NULL ||
	    pick == NULL) {
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		goto out;
	}
	for (d = dlo; d <= dhi; d++)
		ac[d - dlo] = dk_batt_ac(b, (int64_t)d * b->step_wh);
	/* v[k]: the best value from the end of the slot onwards, stored k */
	for (k = 0; k <= K; k++)
		v[k] = dk_wh_money((int64_t)k * b->step_wh, b->end_price);
	for (t = n - 1; t >= 0; t--) {
		int64_t net = s[t].load_wh - s[t].pv_wh;

		/* what each move earns in this slot, whatever the state */
		for (d = dlo; d <= dhi; d++)
			gain[d - dlo] = -grid_cost(net + ac[d - dlo], s[t].buy,
			    s[t].sell) - (d < 0 ? dk_wh_money((int64_t)-d *
			    b->step_wh, b->degradation) : 0);
		for (k = 0; k <= K; k++) {
			int32_t *pk = &pick[(size_t)t * (K + 1) + k];
			const int64_t *g = gain - dlo;
			int up, down, m;

			/* below the reserve: stay or rise */
			lo = k < kmin ? k : kmin;
			up = K - k < dhi ? K - k : dhi;
			down = lo - k > dlo ? lo - k : dlo;
			/* moves in order 0, +1, -1, +2, -2 ...: of equal
			 * values, the smaller move, and charging first */
			best = v[k] + g[0];
			*pk = k;
			for (m = 1; m <= up || -m >= down; m++) {
				if (m <= up && (x = v[k + m] + g[m]) > best) {
					best = x;
					*pk = k + m;
				}
				if (-m >= down && (x = v[k - m] + g[-m]) >
				    best) {
					best = x;
					*pk = k - m;
				}
			}
			nv[k] = best;
		}
		memcpy(v, nv, (K + 1) * sizeof(*v));
	}
	*value = v[k0];
	for (t = 0, k = k0; t < n; t++) {
		k2 = pick[(size_t)t * (K + 1) + k];
		x = ac[k2 - k - dlo];
		s[t].charge_wh = x > 0 ? x : 0;
		s[t].discharge_wh = x < 0 ? -x : 0;
		s[t].soc_wh = (int64_t)k2 * b->step_wh;
		s[t].grid_wh = s[t].load_wh - s[t].pv_wh + x;
		k = k2;
	}
	rc = 0;
out:
	free(v);
	free(nv);
	free(ac);
	free(gain);
	free(pick);
	return rc;
}
