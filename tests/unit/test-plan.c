/* Unit tests of lib/meter/plan.c: every plan of thousands of random
 * batteries and prices within its limits, its value recomputed apart, and
 * optimal against brute force on tiny grids. */
#include "check.h"
#include "meter/meter.h"

static uint64_t rs = 0x9E3779B97F4A7C15ULL;

static int64_t
rnd(int64_t lo, int64_t hi)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return lo + (int64_t)(rs % (uint64_t)(hi - lo + 1));
}

/* floor(a / 1000), written apart from plan.c's */
static int64_t
fl(int64_t a)
{
	int64_t q = a / 1000;

	return (a % 1000 != 0 && a < 0) ? q - 1 : q;
}

/* The value of moving from state a to state c (Wh) in slot s, or 0 with
 * *ok = 0 when the move breaks a limit; computed without plan.c. */
static int64_t
move(const struct dk_batt *b, int minutes, const struct dk_plan_slot *s,
    int64_t a, int64_t c, int *ok, int64_t *ac)
{
	int64_t d = c - a, acw = 0, grid, v;

	*ok = 0;
	if (c > b->cap_wh || c < 0)
		return 0;
	if (c < b->reserve_wh && c < a)
		return 0;
	if (d > 0) {
		acw = d * 1000 / b->eff_charge;
		if (acw * b->eff_charge < d * 1000)
			acw++;
		if (acw * 60 > b->max_charge_w * minutes)
			return 0;
	} else if (d < 0) {
		acw = -(-d * b->eff_discharge / 1000);
		if (-acw * 60 > b->max_discharge_w * minutes)
			return 0;
	}
	grid = s->load_wh - s->pv_wh + acw;
	v = grid > 0 ? -fl(grid * s->buy) : -fl(grid * s->sell);
	if (d < 0)
		v -= fl(-d * b->degradation);
	*ok = 1;
	if (ac != NULL)
		*ac = acw;
	return v;
}

static void
random_batt(struct dk_batt *b, int tiny)
{
	b->step_wh = tiny ? rnd(1, 3000) : rnd(10, 500);
	b->cap_wh = b->step_wh * (tiny ? rnd(1, 4) : rnd(1, 200)) +
	    (tiny ? 0 : rnd(0, b->step_wh - 1));
	b->reserve_wh = rnd(0, b->cap_wh);
	if (rnd(0, 3) == 0)
		b->reserve_wh = 0;
	b->max_charge_w = rnd(0, 3) == 0 ? 0 : rnd(0, 2 * b->cap_wh + 1);
	b->max_discharge_w = rnd(0, 3) == 0 ? 0 : rnd(0, 2 * b->cap_wh + 1);
	b->eff_charge = rnd(1, 10) == 1 ? 1000 : rnd(500, 1000);
	b->eff_discharge = rnd(1, 10) == 1 ? 1000 : rnd(500, 1000);
	b->degradation = rnd(0, 1) ? 0 : rnd(0, 50000000);
	b->end_price = rnd(0, 1) ? 0 : rnd(0, 40000000);
}

static void
random_slots(struct dk_plan_slot *s, int n)
{
	int t;

	for (t = 0; t < n; t++) {
		memset(&s[t], 0, sizeof(s[t]));
		s[t].load_wh = rnd(0, 3000);
		s[t].pv_wh = rnd(0, 2) ? 0 : rnd(0, 4000);
		s[t].buy = rnd(-5000000, 60000000);
		s[t].sell = rnd(0, 4) ? rnd(-5000000, s[t].buy) :
		    rnd(-DK_MAX_PRICE, DK_MAX_PRICE);
		if (rnd(0, 20) == 0)
			s[t].buy = rnd(-DK_MAX_PRICE, DK_MAX_PRICE);
	}
}

/* Every slot of the plan within the limits, and its value recomputed. */
static int
plan_ok(const struct dk_batt *b, int minutes, int64_t soc0,
    const struct dk_plan_slot *s, int n, int64_t value)
{
	int64_t prev = soc0 / b->step_wh * b->step_wh, sum, ac = 0;
	int t, ok;

	sum = 0;
	for (t = 0; t < n; t++) {
		sum += move(b, minutes, &s[t], prev, s[t].soc_wh, &ok, &ac);
		if (!ok || s[t].soc_wh % b->step_wh != 0 ||
		    s[t].soc_wh < 0 || s[t].soc_wh > b->cap_wh ||
		    (s[t].soc_wh < b->reserve_wh && s[t].soc_wh < prev) ||
		    s[t].charge_wh != (ac > 0 ? ac : 0) ||
		    s[t].discharge_wh != (ac < 0 ? -ac : 0) ||
		    s[t].charge_wh * 60 > b->max_charge_w * minutes ||
		    s[t].discharge_wh * 60 > b->max_discharge_w * minutes ||
		    s[t].grid_wh != s[t].load_wh - s[t].pv_wh +
		    s[t].charge_wh - s[t].discharge_wh) {
			fprintf(stderr, "slot %d of %d: soc %lld -> %lld, "
			    "charge %lld, discharge %lld, grid %lld (cap %lld "
			    "reserve %lld step %lld, max %lld/%lld W, eff "
			    "%lld/%lld, %d min)\n", t, n, (long long)prev,
			    (long long)s[t].soc_wh, (long long)s[t].charge_wh,
			    (long long)s[t].discharge_wh,
			    (long long)s[t].grid_wh, (long long)b->cap_wh,
			    (long long)b->reserve_wh, (long long)b->step_wh,
			    (long long)b->max_charge_w,
			    (long long)b->max_discharge_w,
			    (long long)b->eff_charge,
			    (long long)b->eff_discharge, minutes);
			return 0;
		}
		prev = s[t].soc_wh;
	}
	sum += fl(prev * b->end_price);
	if (sum != value)
		fprintf(stderr, "value %lld, recomputed %lld\n",
		    (long long)value, (long long)sum);
	return sum == value;
}

/* The best value over every sequence of states, by enumeration. */
static int64_t
brute(const struct dk_batt *b, int minutes, int64_t soc0,
    const struct dk_plan_slot *s, int n)
{
	int K = (int)(b->cap_wh / b->step_wh), t, ok, all;
	int64_t best = INT64_MIN, v, prev, c, code, total = 1;

	for (t = 0; t < n; t++)
		total *= K + 1;
	for (code = 0; code < total; code++) {
		int64_t x = code;

		prev = soc0 / b->step_wh * b->step_wh;
		v = 0;
		all = 1;
		for (t = 0; t < n && all; t++) {
			c = (x % (K + 1)) * b->step_wh;
			x /= K + 1;
			v += move(b, minutes, &s[t], prev, c, &ok, NULL);
			all = ok;
			prev = c;
		}
		if (!all)
			continue;
		v += fl(prev * b->end_price);
		if (v > best)
			best = v;
	}
	return best;
}

static void
test_known(void)
{
	struct dk_batt b = { .cap_wh = 10000, .reserve_wh = 1000,
	    .max_charge_w = 4000, .max_discharge_w = 4000, .eff_charge = 1000,
	    .eff_discharge = 1000, .step_wh = 1000 };
	struct dk_plan_slot s[3];
	struct dk_err e = { 0 };
	int64_t v;

	memset(s, 0, sizeof(s));
	/* cheap at night, dear in the evening: charge 2 kWh (30 minutes at
	 * 4 kW), then cover the evening's load from the battery */
	s[0].buy = 10000000; s[0].sell = 5000000;
	s[1].buy = 40000000; s[1].sell = 5000000; s[1].load_wh = 2000;
	s[2].buy = 40000000; s[2].sell = 5000000; s[2].load_wh = 0;
	CHECK_INT(dk_plan(&b, 1000, 30, s, 3, &v, &e), 0);
	CHECK_INT(s[0].charge_wh, 2000);
	CHECK_INT(s[0].soc_wh, 3000);
	CHECK_INT(s[1].discharge_wh, 2000);
	CHECK_INT(s[1].grid_wh, 0);
	/* the reserve stays */
	CHECK_INT(s[2].soc_wh, 1000);
	CHECK_INT(s[2].grid_wh, 0);
	CHECK_INT(v, -20000000);
	/* 90% each way and a degradation of 1 unit a kWh: 1112 Wh AC
	 * (rounded up) store 1 kWh, which gives 900 Wh: not worth it at 10
	 * and 11 (11.12 against 9.90 - 1) */
	b.eff_charge = b.eff_discharge = 900;
	b.max_charge_w = 5000;
	b.degradation = 1000000;
	s[1].buy = 11000000;
	CHECK_INT(dk_plan(&b, 1000, 30, s, 3, &v, &e), 0);
	CHECK_INT(s[0].charge_wh, 0);
	CHECK_INT(s[1].grid_wh, 2000);
	/* at 30 it is: 2223 Wh in (2500 the limit), 1800 out */
	s[1].buy = 30000000;
	CHECK_INT(dk_plan(&b, 1000, 30, s, 3, &v, &e), 0);
	CHECK_INT(s[0].charge_wh, 2223);
	CHECK_INT(s[1].discharge_wh, 1800);
	CHECK_INT(s[1].grid_wh, 200);
	/* a start below the reserve never goes lower */
	CHECK_INT(dk_plan(&b, 0, 30, s, 3, &v, &e), 0);
	CHECK(s[0].soc_wh >= 1000 || s[0].soc_wh >= 0);
	CHECK(s[1].soc_wh >= 1000 || s[1].soc_wh >= s[0].soc_wh);
	CHECK(s[2].soc_wh >= 1000 || s[2].soc_wh >= s[1].soc_wh);
	CHECK_INT(s[0].soc_wh, 2000);
	CHECK_INT(s[1].soc_wh, 1000);
	/* limits that make no sense are refused, by name */
	b.reserve_wh = 20000;
	CHECK_INT(dk_plan(&b, 0, 30, s, 3, &v, &e), -1);
	CHECK(strstr(e.msg, "reserve_wh") != NULL);
	b.reserve_wh = 0;
	b.step_wh = 1;
	CHECK_INT(dk_plan(&b, 0, 30, s, 3, &v, &e), -1);
	CHECK(strstr(e.msg, "step_wh") != NULL);
	b.step_wh = 1000;
	CHECK_INT(dk_plan(&b, 11000, 30, s, 3, &v, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
}

static void
test_random(void)
{
	static struct dk_plan_slot s[DK_PLAN_MAXSLOTS];
	struct dk_err e = { 0 };
	struct dk_batt b;
	int i, n, minutes, good = 0, best = 0;
	int64_t v, soc0;

	for (i = 0; i < 4000; i++) {
		random_batt(&b, 0);
		n = (int)rnd(1, 48);
		minutes = rnd(0, 1) ? 30 : (int)rnd(1, 120);
		soc0 = rnd(0, b.cap_wh);
		random_slots(s, n);
		if (dk_plan(&b, soc0, minutes, s, n, &v, &e) < 0) {
			fprintf(stderr, "case %d: %s\n", i, e.msg);
			continue;
		}
		good += plan_ok(&b, minutes, soc0, s, n, v);
	}
	CHECK_INT(good, 4000);
	/* tiny grids: the plan's value is the best there is */
	for (i = 0; i < 3000; i++) {
		random_batt(&b, 1);
		n = (int)rnd(1, 5);
		minutes = (int)rnd(1, 60);
		soc0 = rnd(0, b.cap_wh);
		random_slots(s, n);
		if (dk_plan(&b, soc0, minutes, s, n, &v, &e) < 0) {
			fprintf(stderr, "tiny case %d: %s\n", i, e.msg);
			continue;
		}
		if (!plan_ok(&b, minutes, soc0, s, n, v))
			continue;
		if (brute(&b, minutes, soc0, s, n) == v)
			best++;
		else
			fprintf(stderr, "tiny case %d: plan %lld, brute force "
			    "%lld\n", i, (long long)v,
			    (long long)brute(&b, minutes, soc0, s, n));
	}
	CHECK_INT(best, 3000);
}

int
main(void)
{
	test_known();
	test_random();
	return check_done("test-plan");
}
