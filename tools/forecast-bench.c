/*
 * tools/forecast-bench.c: make bench's part forecast: one home's series
 * (tests/data/forecast/HOME.csv, decompressed, on stdin) run through the
 * forecasts of lib/meter/forecast.c, the errors of each method printed.
 *
 * usage: forecast-bench [-t] < HOME.csv
 *
 * Every method sees only the slots before the one it forecasts, and the
 * choice is the library's (the smallest error over the 28 days before).
 * The slots scored are the held-out months: from the first month that
 * starts after two thirds of the series' values to its end.  -t scores the months
 * before them instead (where the settings were chosen), never both.  A
 * slot is scored when its value, yesterday's and last week's are known,
 * so the baseline is the same slot yesterday and nothing else.
 *
 * The methods forecast the next slot (bid's target after the newest
 * reading), and are chosen on it.  A line a home gives, beside, the
 * errors of yesterday and of the chosen method when the forecast is made
 * 2 slots ahead (bid's cron job in bid(1): the slot after the one that
 * has just begun) and a day ahead (every slot of tomorrow at once),
 * scored on the same slots.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "meter/meter.h"

#define MAXS 2

static char home[64], series[64];
static int64_t start;
static int minutes = 60, nser;
static double lat, lon;
static int64_t *val[MAXS];
static size_t n, cap;

static void
die(const char *msg, long line)
{
	fprintf(stderr, "forecast-bench: line %ld: %s\n", line, msg);
	exit(65);
}

static void
readin(void)
{
	char buf[512], *p, *q;
	long line = 0;
	int data = 0, i;
	struct tm tm;

	while (fgets(buf, sizeof(buf), stdin) != NULL) {
		line++;
		buf[strcspn(buf, "\n")] = '\0';
		if (buf[0] == '#')
			continue;
		if (!data) {
			if (sscanf(buf, "home %63s", home) == 1 ||
			    sscanf(buf, "slot_minutes %d", &minutes) == 1 ||
			    sscanf(buf, "latitude %lf", &lat) == 1 ||
			    sscanf(buf, "longitude %lf", &lon) == 1)
				continue;
			if (sscanf(buf, "series %63s", series) == 1) {
				nser = 1 + (strchr(series, ',') != NULL);
				continue;
			}
			if (strncmp(buf, "start ", 6) == 0) {
				memset(&tm, 0, sizeof(tm));
				if (strptime(buf + 6, "%Y-%m-%dT%H:%M:%SZ",
				    &tm) == NULL)
					die("start: not a UTC time", line);
				start = timegm(&tm);
				continue;
			}
			if (strcmp(buf, "data") == 0) {
				data = 1;
				continue;
			}
			continue;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 65536;
			for (i = 0; i < nser; i++)
				if ((val[i] = realloc(val[i], cap *
				    sizeof(int64_t))) == NULL)
					die("out of memory", line);
		}
		for (p = buf, i = 0; i < nser; i++) {
			if (*p == ',' || *p == '\0')
				val[i][n] = DK_NOVAL;
			else {
				val[i][n] = strtoll(p, &q, 10);
				p = q;
			}
			if (*p == ',')
				p++;
		}
		n++;
	}
	if (!data || nser == 0)
		die("no series", line);
}

/* The held-out months: from the first month starting after two thirds
 * of the values the series has (a meter may be silent for months). */
static size_t
split(void)
{
	size_t i, k = 0, all = 0;
	struct tm tm;
	time_t t;
	int s;

	for (s = 0; s < nser; s++)
		for (i = 0; i < n; i++)
			all += val[s][i] != DK_NOVAL;
	for (i = 0; i < n && 3 * k < 2 * all; i++)
		for (s = 0; s < nser; s++)
			k += val[s][i] != DK_NOVAL;
	t = start + (time_t)i * minutes * 60;

	gmtime_r(&t, &tm);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mon++;
	return (size_t)((timegm(&tm) - start) / (minutes * 60));
}

int
main(int argc, char *argv[])
{
	struct dk_fcopt o = { 0 };
	struct dk_err e = { 0 };
	struct dk_fc *f;
	int train = argc > 1 && strcmp(argv[1], "-t") == 0;
	int s, m, c, D, most[MAXS];
	double sum[MAXS][DK_FC_N + 1], hsum[2] = { 0, 0 };
	long cnt[MAXS], times[MAXS][DK_FC_N], hcnt = 0;
	size_t i, from, to;
	int64_t y, d;
	char when[2][32], meth[64] = "";
	time_t tt;
	char *sp, *names[MAXS];
	int hz[2];
	int64_t *ay[2], *ac[2];
	double asum[2][2] = { { 0, 0 }, { 0, 0 } };

	readin();
	from = split();
	to = n;
	if (train) {
		to = from;
		from = 0;
	}
	for (c = 0; c < 2; c++) {
		tt = start + (time_t)(c ? to - 1 : from) * minutes * 60;
		strftime(when[c], sizeof(when[c]), "%Y-%m-%d", gmtime(&tt));
	}
	D = 1440 / minutes;
	hz[0] = 2;
	hz[1] = D;
	for (c = 0; c < 2; c++)
		if ((ay[c] = calloc(n, sizeof(int64_t))) == NULL ||
		    (ac[c] = calloc(n, sizeof(int64_t))) == NULL)
			die("out of memory", 0);
	names[0] = strtok_r(series, ",", &sp);
	names[1] = strtok_r(NULL, ",", &sp);
	printf("forecast %s: %s %s to %s, %d-minute slots; MAE in Wh per "
	    "slot\n", home, train ? "training months" : "held-out months",
	    when[0], when[1], minutes);
	for (s = 0; s < nser; s++) {
		o.slot_minutes = minutes;
		o.geo = strcmp(names[s], "pv") == 0;
		o.lat = lat;
		o.lon = lon;
		if ((f = dk_fc_new(&o, start, &e)) == NULL)
			die(e.msg, 0);
		memset(sum[s], 0, sizeof(sum[s]));
		memset(times[s], 0, sizeof(times[s]));
		cnt[s] = 0;
		for (i = 0; i < n; i++) {
			/* the forecasts of slot i + h - 1 made now */
			for (c = 0; c < 2; c++)
				if (i + hz[c] - 1 < n) {
					ay[c][i + hz[c] - 1] = dk_fc_ahead(f,
					    DK_FC_YESTERDAY, hz[c]);
					ac[c][i + hz[c] - 1] = dk_fc_ahead(f,
					    dk_fc_chosen_ahead(f, hz[c]),
					    hz[c]);
				}
			y = val[s][i];
			if (i >= from && i < to && y != DK_NOVAL &&
			    i >= (size_t)(7 * D) &&
			    val[s][i - D] != DK_NOVAL &&
			    val[s][i - 7 * D] != DK_NOVAL) {
				for (m = 0; m <= DK_FC_N; m++) {
					d = dk_fc_next(f, m < DK_FC_N ? m :
					    dk_fc_chosen(f)) - y;
					sum[s][m] += (double)(d < 0 ? -d : d);
				}
				for (c = 0; c < 2; c++) {
					d = ay[c][i] - y;
					asum[c][0] += (double)(d < 0 ? -d : d);
					d = ac[c][i] - y;
					asum[c][1] += (double)(d < 0 ? -d : d);
				}
				times[s][dk_fc_chosen(f)]++;
				cnt[s]++;
			}
			dk_fc_feed(f, y);
		}
		dk_fc_free(f);
		if (cnt[s] == 0)
			continue;
		printf("forecast %s %s:", home, names[s]);
		for (m = 0; m < DK_FC_N; m++)
			if (m != DK_FC_CLEARSKY || o.geo)
				printf(" %s %.1f", dk_fc_name(m),
				    sum[s][m] / cnt[s]);
		for (most[s] = 0, m = 1; m < DK_FC_N; m++)
			if (times[s][m] > times[s][most[s]])
				most[s] = m;
		printf("; chosen %.1f (%ld slots; %s %.0f%% of them)\n",
		    sum[s][DK_FC_N] / cnt[s], cnt[s], dk_fc_name(most[s]),
		    100.0 * times[s][most[s]] / cnt[s]);
		hsum[0] += sum[s][DK_FC_YESTERDAY];
		hsum[1] += sum[s][DK_FC_N];
		hcnt += cnt[s];
		if (*meth != '\0')
			strcat(meth, "/");
		strcat(meth, dk_fc_name(most[s]));
	}
	if (hcnt == 0)
		die("no slot to score", 0);
	printf("forecast %s, made %d slots ahead: MAE yesterday %.1f chosen "
	    "%.1f; a day ahead: yesterday %.1f chosen %.1f\n", home, hz[0],
	    asum[0][0] / hcnt, asum[0][1] / hcnt, asum[1][0] / hcnt,
	    asum[1][1] / hcnt);
	printf("forecast %s: MAE yesterday %.1f chosen %.1f (%s)\n", home,
	    hsum[0] / hcnt, hsum[1] / hcnt, meth);
	for (c = 0; c < 2; c++) {
		free(ay[c]);
		free(ac[c]);
	}
	for (s = 0; s < nser; s++)
		free(val[s]);
	return 0;
}
