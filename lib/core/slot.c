/* slot.c: RFC 3339 times with zone offsets, civil dates, and delivery
 * slots (a time on a slot boundary of the rules' length). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
int64_t
dk_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* RFC 3339 date-time with an explicit offset (Z or +hh:mm), whole seconds. */
int
dk_time_parse(const char *s, int64_t *t, struct dk_err *e)
{
	int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	size_t n = strlen(s);

	if (n < 20 || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) ||
	    s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
	    digits(s + 17, 2, &se))
		goto bad;
	if (n == 20 && (s[19] == 'Z' || s[19] == 'z'))
		sign = 0;
	else if (n == 25 && (s[19] == '+' || s[19] == '-') &&
	    !digits(s + 20, 2, &oh) && s[22] == ':' && !digits(s + 23, 2, &om))
		sign = s[19] == '+' ? 1 : -1;
	else
		goto bad;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0))) || h > 23 || mi > 59 || se > 59 || oh > 23 ||
	    om > 59)
		goto bad;
	*t = dk_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se -
	    sign * (oh * 3600 + om * 60);
	return 0;
bad:
	return dk_fail(e, DK_EX_DATAERR,
	    "must be an RFC 3339 time with an offset, like "
	    "2016-07-05T10:30:00+02:00, got \"%.40s\"", s);
}

/* v (0 to 99) in two digits at p */
static void
two(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

/* The time in zone tz ("Europe/Berlin", "Asia/Tokyo", "UTC") as RFC 3339
 * with that zone's offset at that instant. */
int
dk_time_format(int64_t t, const char *tz, char *out, size_t len)
{
	static char cur[64];
	static int set;
	struct tm tm;
	time_t tt = (time_t)t;
	long off;
	char sign;

	if (!set || strcmp(cur, tz) != 0) {
		setenv("TZ", tz, 1);
		tzset();
		strncpy(cur, tz, sizeof(cur) - 1);
		set = 1;
	}
	if (localtime_r(&tt, &tm) == NULL)
		return -1;
	off = tm.tm_gmtoff;
	sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	/* its digits by hand (printf was a tenth of bid's work outside the
	 * signatures); printf's where they would not fit the pattern */
	if (len >= 26 && tm.tm_year >= -1900 && tm.tm_year <= 9999 - 1900 &&
	    off < 100 * 3600) {
		two(out, (tm.tm_year + 1900) / 100);
		two(out + 2, (tm.tm_year + 1900) % 100);
		out[4] = '-';
		two(out + 5, tm.tm_mon + 1);
		out[7] = '-';
		two(out + 8, tm.tm_mday);
		out[10] = 'T';
		two(out + 11, tm.tm_hour);
		out[13] = ':';
		two(out + 14, tm.tm_min);
		out[16] = ':';
		two(out + 17, tm.tm_sec);
		out[19] = sign;
		two(out + 20, (int)(off / 3600));
		out[22] = ':';
		two(out + 23, (int)(off % 3600 / 60));
		out[25] = '\0';
		return 0;
	}
	snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, sign, off / 3600, off % 3600 / 60);
	return 0;
}

/* A slot is named by its start, which must fall on a slot boundary (slot
 * boundaries are counted from the Unix epoch, so they are whole hours and
 * half hours in every zone with a whole-hour or half-hour offset). */
int
dk_slot_parse(const char *s, int slot_minutes, int64_t *t, struct dk_err *e)
{
	if (dk_time_parse(s, t, e) < 0)
		return -1;
	if (*t % (slot_minutes * 60) != 0)
		return dk_fail(e, DK_EX_DATAERR,
		    "must start a %d-minute slot, got \"%.40s\"", slot_minutes,
		    s);
	return 0;
}
