/*
 * bench-plan: the battery planner's time for one plan (make bench, part
 * battery): a 10 kWh battery on a 50 Wh grid (201 states), 5 kW each way,
 * over 24, 48 and 96 slots of 30 minutes of a day-shaped load, PV and
 * time-of-use prices; the median of many runs, in milliseconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "meter/meter.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char *argv[])
{
	static struct dk_plan_slot s[DK_PLAN_MAXSLOTS];
	struct dk_batt b = { .cap_wh = 10000, .reserve_wh = 1000,
	    .max_charge_w = 5000, .max_discharge_w = 5000, .eff_charge = 950,
	    .eff_discharge = 950, .degradation = 5000000, .end_price = 0,
	    .step_wh = 50 };
	struct dk_err e = { 0 };
	static const int sizes[] = { 24, 48, 96 };
	int runs = argc > 1 ? atoi(argv[1]) : 200, i, j, t, n;
	double *ms;
	int64_t v;

	if (runs < 1 || (ms = calloc(runs, sizeof(*ms))) == NULL)
		return 1;
	for (j = 0; j < 3; j++) {
		n = sizes[j];
		for (i = 0; i < runs; i++) {
			for (t = 0; t < n; t++) {
				int h = t / 2 % 24;

				memset(&s[t], 0, sizeof(s[t]));
				s[t].load_wh = 150 + (h >= 17 && h < 22 ? 600 :
				    0) + (t * 37 + i) % 90;
				s[t].pv_wh = h >= 7 && h < 17 ? 1200 - 100 *
				    (h > 12 ? h - 12 : 12 - h) : 0;
				s[t].buy = h < 7 ? 18000000 : h >= 17 &&
				    h < 22 ? 42000000 : 30000000;
				s[t].sell = 8000000 + t % 5 * 100000;
			}
			double a = now();
			if (dk_plan(&b, 4000, 30, s, n, &v, &e) < 0) {
				fprintf(stderr, "bench-plan: %s\n", e.msg);
				return 1;
			}
			ms[i] = (now() - a) * 1000;
		}
		qsort(ms, runs, sizeof(*ms), cmp);
		printf("battery plan: %d slots, 201 states of charge: median "
		    "%.3f ms, max %.3f ms over %d runs%s\n", n, ms[runs / 2],
		    ms[runs - 1], runs, n != 48 ? "" : ms[runs / 2] < 10 ?
		    " (goal: under 10 ms: met)" : " (goal: under 10 ms: NOT "
		    "met)");
	}
	free(ms);
	return 0;
}
