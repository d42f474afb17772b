/*
 * Unit tests of the forecasts (lib/meter/forecast.c): each method on
 * synthetic series whose next value is known, the backtest's choice, the
 * sun's clear sky, and gaps and a meter reset that must not poison them.
 */
#include "check.h"
#include "meter/meter.h"

#define T0	1767225600	/* 2026-01-01T00:00:00Z */
#define H	3600
#define NW	52	/* weeks for ets to learn two seasons exactly */

static struct dk_fc *
hourly(int geo, double lat, double lon)
{
	struct dk_fcopt o = { 60, 0, geo, lat, lon };
	struct dk_err e = { 0 };
	struct dk_fc *f = dk_fc_new(&o, T0, &e);

	CHECK(f != NULL);
	return f;
}

/* day d, hour h: a different shape each weekday, the same every week */
static int64_t
weekly(int64_t i)
{
	int64_t d = i / 24 % 7, h = i % 24;

	return 100 + 10 * h + 50 * d;
}

static void
test_seasonal(void)
{
	struct dk_fc *f = hourly(0, 0, 0);
	int64_t i, n = 10 * 24 + 5, x[7], s = 0;
	int k;

	for (i = 0; i < n; i++)
		dk_fc_feed(f, weekly(i));
	/* slot n: hour 5 of day 10 (weekday 3) */
	CHECK_INT(dk_fc_next(f, DK_FC_YESTERDAY), weekly(n - 24));
	CHECK_INT(dk_fc_next(f, DK_FC_YESTERDAY), 100 + 50 + 50 * 2);
	CHECK_INT(dk_fc_next(f, DK_FC_LASTWEEK), weekly(n - 168));
	CHECK_INT(dk_fc_next(f, DK_FC_LASTWEEK), weekly(n));
	CHECK_INT(dk_fc_next(f, DK_FC_BLEND), (250 + 300 + 1) / 2);
	for (k = 1; k <= 7; k++) {
		x[k - 1] = weekly(n - 24 * k);
		s += x[k - 1];
	}
	/* the seven weekdays' hour 5: 150 + 50 d for d = 0..6 */
	CHECK_INT(dk_fc_next(f, DK_FC_MEAN7), (s + 3) / 7);
	CHECK_INT(dk_fc_next(f, DK_FC_MEAN7), 300);
	CHECK_INT(dk_fc_next(f, DK_FC_MEDIAN7), 300);
	CHECK_INT(dk_fc_chosen(f), DK_FC_LASTWEEK);
	CHECK(dk_fc_mae(f, DK_FC_LASTWEEK) < dk_fc_mae(f, DK_FC_YESTERDAY));
	dk_fc_free(f);
}

/* Forecasts made further ahead: the same days before the target, and
 * the backtest of those made a day ahead. */
static void
test_ahead(void)
{
	struct dk_fc *f = hourly(0, 0, 0);
	int64_t i, n = 20 * 24 + 5;

	for (i = 0; i < n; i++)
		dk_fc_feed(f, weekly(i));
	CHECK_INT(dk_fc_ahead(f, DK_FC_YESTERDAY, 1),
	    dk_fc_next(f, DK_FC_YESTERDAY));
	CHECK_INT(dk_fc_ahead(f, DK_FC_YESTERDAY, 3), weekly(n + 2 - 24));
	CHECK_INT(dk_fc_ahead(f, DK_FC_YESTERDAY, 24), weekly(n + 23 - 24));
	/* more than a day ahead: two days before the target */
	CHECK_INT(dk_fc_ahead(f, DK_FC_YESTERDAY, 30), weekly(n + 29 - 48));
	CHECK_INT(dk_fc_ahead(f, DK_FC_LASTWEEK, 30), weekly(n + 29));
	CHECK_INT(dk_fc_ahead(f, DK_FC_MEDIAN7, 24), 100 + 10 * 4 + 50 * 3);
	CHECK_INT(dk_fc_chosen_ahead(f, 24), DK_FC_LASTWEEK);
	CHECK_INT(dk_fc_chosen_ahead(f, 2), DK_FC_LASTWEEK);
	dk_fc_free(f);
	f = hourly(0, 0, 0);
	for (i = 0; i < 6 * 24; i++)
		dk_fc_feed(f, weekly(i));
	CHECK_INT(dk_fc_chosen_ahead(f, 24), DK_FC_YESTERDAY);
	dk_fc_free(f);
}

static void
test_median(void)
{
	struct dk_fc *f = hourly(0, 0, 0);
	int64_t i;

	/* 200 Wh at every hour, but 5000 at hour 7 of days 1 and 4 */
	for (i = 0; i < 8 * 24 + 7; i++)
		dk_fc_feed(f, i % 24 == 7 && (i / 24 == 1 ||
		    i / 24 == 4) ? 5000 : 200);
	CHECK_INT(dk_fc_next(f, DK_FC_MEDIAN7), 200);
	CHECK_INT(dk_fc_next(f, DK_FC_MEAN7), (5000 * 2 + 200 * 5 + 3) / 7);
	dk_fc_free(f);
}

static void
test_ets(void)
{
	struct dk_fc *f = hourly(0, 0, 0);
	int64_t i, d;

	for (i = 0; i < 30 * 24; i++)
		dk_fc_feed(f, 500);
	CHECK_INT(dk_fc_next(f, DK_FC_ETS), 500);
	CHECK_INT(dk_fc_next(f, DK_FC_COMBO), 500);
	dk_fc_free(f);
	/* a daily and a weekly season, no noise: learnt within 2 Wh in a
	 * year (slowly: its rates are for real, noisy households) */
	f = hourly(0, 0, 0);
	for (i = 0; i < NW * 7 * 24; i++)
		dk_fc_feed(f, weekly(i) + (i % 24 >= 18 ? 400 : 0));
	d = dk_fc_next(f, DK_FC_ETS) - weekly(i);
	CHECKF(d >= -2 && d <= 2, "ets off by %lld", (long long)d);
	dk_fc_free(f);
}

/* Before a week has been scored, yesterday; after, the best. */
static void
test_choice(void)
{
	struct dk_fc *f = hourly(0, 0, 0);
	int64_t i;

	for (i = 0; i < 7 * 24; i++) {
		dk_fc_feed(f, weekly(i));
		CHECK_INT(dk_fc_chosen(f), DK_FC_YESTERDAY);
	}
	for (; i < 7 * 24 + 7 * 24; i++)
		dk_fc_feed(f, weekly(i));
	CHECK_INT(dk_fc_chosen(f), DK_FC_LASTWEEK);
	/* the same shape every day: every seasonal method is exact, and
	 * of equal errors the first in the list is chosen (once the window
	 * has forgotten the weekdays: 28 days) */
	for (i = 0; i < 30 * 24; i++)
		dk_fc_feed(f, 100 + 10 * (i % 24));
	CHECK_INT(dk_fc_chosen(f), DK_FC_YESTERDAY);
	dk_fc_free(f);
	CHECK_INT(dk_fc_find("combo"), DK_FC_COMBO);
	CHECK_INT(dk_fc_find("clearsky"), DK_FC_CLEARSKY);
	CHECK_INT(dk_fc_find("tomorrow"), -1);
	CHECK_STR(dk_fc_name(DK_FC_MEDIAN7), "median7");
}

static void
test_clearsky(void)
{
	struct dk_fc *f;
	double cs;
	int64_t i, t, want, d;

	/* the equator at the March equinox, 12:00 UTC on the meridian: the
	 * sun near the zenith, 1098 e^-0.057 = 1037 W/m2 */
	cs = dk_fc_clearsky(0, 0, 1773748800 - 30 * 60, 60);
	CHECKF(cs > 1000 && cs < 1040, "%f", cs);
	/* Konstanz at midnight: nothing; at noon in June: about 900 */
	CHECK(dk_fc_clearsky(47.66, 9.18, 1781136000 - 1800, 60) == 0);
	cs = dk_fc_clearsky(47.66, 9.18, 1781092800 - 1800, 60);
	CHECKF(cs > 850 && cs < 950, "%f", cs);
	/* Sydney's noon in June is lower than its noon in December */
	CHECK(dk_fc_clearsky(-33.87, 151.21, 1781056800, 60) <
	    dk_fc_clearsky(-33.87, 151.21, 1797472800, 60));

	/* panels that get 2 Wh an hour for each W/m2 of a clear sky, under
	 * a clear sky for ten days, then a cloud taking half from noon */
	f = hourly(1, 47.66, 9.18);
	for (i = 0; i < 10 * 24 + 11; i++) {
		t = T0 + i * H;
		dk_fc_feed(f, (int64_t)(2 * dk_fc_clearsky(47.66, 9.18, t,
		    60) + 0.5));
	}
	want = (int64_t)(2 * dk_fc_clearsky(47.66, 9.18, T0 + i * H, 60) +
	    0.5);
	d = dk_fc_next(f, DK_FC_CLEARSKY) - want;
	CHECKF(want > 200 && d >= -5 && d <= 5, "want %lld, off by %lld",
	    (long long)want, (long long)d);
	dk_fc_feed(f, want / 2);
	i++;
	want = (int64_t)(2 * dk_fc_clearsky(47.66, 9.18, T0 + i * H, 60));
	d = dk_fc_next(f, DK_FC_CLEARSKY) - want * 3 / 4;
	CHECKF(d >= -15 && d <= 15, "a cloud: off by %lld", (long long)d);
	/* and a day ahead, most of the cloud has passed */
	want = (int64_t)(2 * dk_fc_clearsky(47.66, 9.18, T0 + (i + 23) * H,
	    60));
	d = dk_fc_ahead(f, DK_FC_CLEARSKY, 24) - want;
	CHECKF(d >= -want / 10 && d < 0, "a day ahead: off by %lld",
	    (long long)d);
	/* the night: nothing */
	for (i++; i < 11 * 24; i++)
		dk_fc_feed(f, 0);
	CHECK_INT(dk_fc_next(f, DK_FC_CLEARSKY), 0);
	dk_fc_free(f);
}

/* Gaps, a counter that went backwards (a negative step) and a meter reset
 * read as one huge step leave the forecasts where the household is. */
static void
test_bad(void)
{
	struct dk_fc *f = hourly(0, 0, 0);
	int64_t i, v;
	int m;

	for (i = 0; i < 21 * 24; i++) {
		v = 300;
		if (i % 24 == 3 || (i >= 10 * 24 && i < 12 * 24))
			v = DK_NOVAL;
		if (i == 15 * 24 + 5)
			v = -4000;
		if (i == 20 * 24 + 8)
			v = DK_MAX_WH;
		dk_fc_feed(f, v);
	}
	for (m = 0; m < DK_FC_N; m++)
		CHECKF(dk_fc_next(f, m) == 300, "%s: %lld", dk_fc_name(m),
		    (long long)dk_fc_next(f, m));
	CHECK(dk_fc_mae(f, DK_FC_ETS) == 0);
	dk_fc_free(f);
	/* a history of nothing at all forecasts 0 */
	f = hourly(0, 0, 0);
	for (i = 0; i < 3 * 24; i++)
		dk_fc_feed(f, DK_NOVAL);
	for (m = 0; m < DK_FC_N; m++)
		CHECK_INT(dk_fc_next(f, m), 0);
	CHECK(dk_fc_mae(f, DK_FC_ETS) < 0);
	dk_fc_free(f);
}

/* FNV-1a over v's 8 bytes, into *h. */
static void
fnv(uint64_t *h, int64_t v)
{
	int i;

	for (i = 0; i < 8; i++) {
		*h ^= (uint64_t)v >> (8 * i) & 0xff;
		*h *= 1099511628211ULL;
	}
}

/*
 * lead slots of nothing (the days before a history begins, which bid
 * feeds as it always feeds 56 days), then 15 days of a noisy weekly
 * series with a gap, a reset and a spike: every method's forecast of the
 * next slot, of 2, 24 and 30 ahead, the choices and the errors, slot by
 * slot, in a digest.
 */
static uint64_t
leading(int geo, int lead, int64_t *next)
{
	struct dk_fc *f = hourly(geo, 47.66, 9.18);
	static const int hs[] = { 2, 24, 30 };
	uint64_t h = 14695981039346656037ULL, r = 12345;
	int64_t i, v;
	int m, k;

	for (i = 0; i < lead + 15 * 24; i++) {
		r = r * 6364136223846793005ULL + 1442695040888963407ULL;
		v = weekly(i) + (int64_t)(r >> 33) % 80 - 40;
		if (i < lead || (i >= lead + 100 && i < lead + 130))
			v = DK_NOVAL;
		if (i == lead + 200)
			v = -5000;
		if (i == lead + 250)
			v = DK_MAX_WH;
		dk_fc_feed(f, v);
		for (m = 0; m < DK_FC_N; m++) {
			fnv(&h, dk_fc_next(f, m));
			for (k = 0; k < 3; k++)
				fnv(&h, dk_fc_ahead(f, m, hs[k]));
			fnv(&h, (int64_t)(dk_fc_mae(f, m) * 1e6));
		}
		fnv(&h, dk_fc_chosen(f));
		fnv(&h, dk_fc_chosen_ahead(f, 30));
		fnv(&h, dk_fc_scored(f));
	}
	for (m = 0; m < DK_FC_N; m++)
		next[m] = dk_fc_next(f, m);
	dk_fc_free(f);
	return h;
}

/* The slots of nothing before a history are passed quickly (forecast.c's
 * empty()): what follows is forecast as when each was fed in full (the
 * digests are those of forecast.c before that quick path). */
static void
test_leading(void)
{
	static const struct { int geo, lead; uint64_t h; } c[] = {
		{ 0, 0, 0x11342df6dea6fe24ULL },
		{ 0, 5, 0x5c1a018cf3857110ULL },
		{ 0, 24 * 20, 0xf0f136bf2c71ec02ULL },
		{ 1, 0, 0x796a1b1e494cdc50ULL },
		{ 1, 7, 0xbec9631579f30b4fULL },
		{ 1, 24 * 9 + 13, 0xf51ec81b763f1eecULL },
	};
	int64_t next[DK_FC_N];
	uint64_t h;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		h = leading(c[i].geo, c[i].lead, next);
		CHECKF(h == c[i].h, "geo %d lead %d: digest %016llx",
		    c[i].geo, c[i].lead, (unsigned long long)h);
		CHECK(next[DK_FC_MEAN7] > 0 && next[DK_FC_ETS] > 0);
	}
}

/* Everything a forecaster answers, into digest *h. */
static void
answers(uint64_t *h, const struct dk_fc *f)
{
	static const int hs[] = { 2, 13, 24, 30, 49 };
	int m, k;

	for (m = 0; m < DK_FC_N; m++) {
		fnv(h, dk_fc_next(f, m));
		for (k = 0; k < 5; k++) {
			fnv(h, dk_fc_ahead(f, m, hs[k]));
			fnv(h, (int64_t)(dk_fc_mae_ahead(f, m, hs[k]) * 1e6));
		}
		fnv(h, (int64_t)(dk_fc_mae(f, m) * 1e6));
	}
	for (k = 0; k < 5; k++)
		fnv(h, dk_fc_chosen_ahead(f, hs[k]));
	fnv(h, dk_fc_scored(f));
}

/*
 * dk_fc_feed_n leaves a forecaster as feeding each value does, to the
 * bit: after series shorter and longer than the window and a day (the
 * hourly one's 28 + 1 days), with a lead of nothing, gaps, a reset and
 * spikes, with and without the sun, and fed on slot by slot after; and
 * made by dk_fc_fed (no rows, fed no more) it answers the same.
 */
static void
test_feed_n(void)
{
	static const int days[] = { 3, 28, 29, 30, 45, 56, 80 };
	static const int leads[] = { 0, 7, 24 * 20 };
	struct dk_fcopt o[2] = { { 60, 0, 0, 47.66, 9.18 },
		{ 60, 0, 1, 47.66, 9.18 } };
	struct dk_err e = { 0 };
	struct dk_fc *a, *b, *c;
	uint64_t ha, hb, r;
	int64_t *v, i, n, quiet = 0;
	size_t di, li;
	int geo;

	for (geo = 0; geo < 2; geo++)
		for (di = 0; di < 7; di++)
			for (li = 0; li < 3; li++) {
				n = leads[li] + days[di] * 24;
				CHECK((v = calloc(n + 48, sizeof(*v))) != NULL);
				for (r = 99, i = 0; i < n + 48; i++) {
					r = r * 6364136223846793005ULL +
					    1442695040888963407ULL;
					v[i] = weekly(i) + (int64_t)(r >> 33) %
					    80 - 40;
					if (geo && (i % 24 < 6 || i % 24 > 19))
						v[i] = 0;
					if (i < leads[li] || i % 500 < 20)
						v[i] = DK_NOVAL;
					if (i % 777 == 5)
						v[i] = i % 2 ? -7 : DK_MAX_WH;
					/* below zero in a lead: none too */
					if (i == 3 && leads[li] > 3)
						v[i] = -3;
				}
				a = hourly(geo, 47.66, 9.18);
				b = hourly(geo, 47.66, 9.18);
				for (i = 0; i < n; i++)
					dk_fc_feed(a, v[i]);
				dk_fc_feed_n(b, v, n);
				/* fed once (dk_fc_fed), it answers the same */
				c = dk_fc_fed(&o[geo], T0, v, n, &e);
				CHECK(c != NULL);
				ha = hb = 14695981039346656037ULL;
				answers(&ha, a);
				answers(&hb, c);
				CHECKF(ha == hb, "geo %d, %lld slots: dk_fc_fed, "
				    "not the same", geo, (long long)n);
				dk_fc_free(c);
				for (i = n; i <= n + 48; i++) {
					ha = hb = 14695981039346656037ULL;
					answers(&ha, a);
					answers(&hb, b);
					CHECKF(ha == hb, "geo %d, %lld slots, "
					    "then %lld: not the same", geo,
					    (long long)n, (long long)(i - n));
					if (i < n + 48) {
						dk_fc_feed(a, v[i]);
						dk_fc_feed(b, v[i]);
					}
				}
				quiet += n > 28 * 24 + 24;
				dk_fc_free(a);
				dk_fc_free(b);
				free(v);
			}
	CHECK(quiet >= 12);	/* most series were longer than that */
}

/* Values of 2^50 Wh taken before a day's mean can call them spikes
 * (one a day, the rest none): the mean of the days that have them is the
 * most a slot holds.  2^50, not more: the backtests' error sums add up
 * a window of such values in 64 bits. */
/*
 * A home without solar panels exports nothing: only zeros fed (after a
 * lead of nothing, with a gap, a value below zero and a spike among
 * them) forecast 0 by every method (forecast.c's zero), and the values
 * after them as before that quick path: every answer after every feed
 * in a digest (those of forecast.c before it), with and without the
 * sun; dk_fc_fed answers the same at the end of the zeros and after.
 */
static void
test_zeros(void)
{
	static const uint64_t want[2] = { 0x04158aa21835993dULL,
		0x728d1c86d2f4302eULL };
	struct dk_fcopt o[2] = { { 60, 0, 0, 47.66, 9.18 },
		{ 60, 0, 1, 47.66, 9.18 } };
	struct dk_err e = { 0 };
	struct dk_fc *f, *c;
	uint64_t h, ha, hb, r;
	int64_t v[50 * 24], i, n = 50 * 24;
	int geo;

	for (i = 0, r = 7; i < n; i++) {
		r = r * 6364136223846793005ULL + 1442695040888963407ULL;
		v[i] = i < 30 || (i >= 300 && i < 320) ? DK_NOVAL : i == 400 ?
		    -4 : i == 500 ? 5000 : i < 40 * 24 ? 0 : weekly(i) +
		    (int64_t)(r >> 33) % 80 - 40;
	}
	for (geo = 0; geo < 2; geo++) {
		f = hourly(geo, 47.66, 9.18);
		h = 14695981039346656037ULL;
		for (i = 0; i < n; i++) {
			dk_fc_feed(f, v[i]);
			answers(&h, f);
			if (i == 40 * 24 - 1)
				CHECK(dk_fc_next(f, DK_FC_ETS) == 0 &&
				    dk_fc_ahead(f, DK_FC_MEAN7, 30) == 0);
			if (i != 40 * 24 - 1 && i != n - 1)
				continue;
			CHECK((c = dk_fc_fed(&o[geo], T0, v, (size_t)i + 1,
			    &e)) != NULL);
			ha = hb = 14695981039346656037ULL;
			answers(&ha, f);
			answers(&hb, c);
			CHECKF(ha == hb, "geo %d, %lld slots: dk_fc_fed, not "
			    "the same", geo, (long long)i + 1);
			dk_fc_free(c);
		}
		CHECKF(h == want[geo], "geo %d: digest %016llx", geo,
		    (unsigned long long)h);
		dk_fc_free(f);
	}
}

static void
test_huge(void)
{
	struct dk_fc *f = hourly(0, 0, 0);
	int i;

	for (i = 0; i < 48; i++)
		dk_fc_feed(f, i % 24 == 0 ? 1LL << 50 : i < 24 ? DK_NOVAL :
		    100);
	CHECK_INT(dk_fc_next(f, DK_FC_MEAN7), DK_MAX_WH);
	dk_fc_feed(f, 300);
	CHECK_INT(dk_fc_next(f, DK_FC_MEAN7), 100);
	dk_fc_free(f);
}

static void
test_new(void)
{
	struct dk_fcopt o = { 7, 0, 0, 0, 0 };
	struct dk_err e = { 0 };

	CHECK(dk_fc_new(&o, T0, &e) == NULL);
	CHECK_INT(e.status, DK_EX_CONFIG);
}

int
main(void)
{
	test_seasonal();
	test_ahead();
	test_huge();
	test_median();
	test_ets();
	test_choice();
	test_clearsky();
	test_bad();
	test_leading();
	test_zeros();
	test_feed_n();
	test_new();
	return check_done("test-forecast");
}
