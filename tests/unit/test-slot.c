/* Unit tests for lib/core/slot.c: RFC 3339 times, zones, and slots. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "denki.h"
#include "check.h"

static void
parse_ok(const char *s, int64_t want, int line)
{
	struct dk_err e;
	int64_t t = -42;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = dk_time_parse(s, &t, &e);
	CHECKF(rc == 0 && t == want, "line %d: dk_time_parse(\"%s\") = %d, "
	    "t %lld, want %lld (%s)", line, s, rc, (long long)t,
	    (long long)want, e.msg);
}
#define PARSE_OK(s, w) parse_ok((s), (w), __LINE__)

static void
parse_bad(const char *s, int line)
{
	struct dk_err e;
	int64_t t = -42;
	int rc;
	char want[128];

	memset(&e, 0, sizeof(e));
	rc = dk_time_parse(s, &t, &e);
	CHECKF(rc == -1, "line %d: dk_time_parse(\"%s\") accepted: %lld",
	    line, s, (long long)t);
	CHECKF(e.status == DK_EX_DATAERR, "line %d: %s: status %d", line, s,
	    e.status);
	snprintf(want, sizeof(want), "got \"%.40s\"", s);
	CHECKF(strstr(e.msg, "must be an RFC 3339 time with an offset") !=
	    NULL && strstr(e.msg, want) != NULL, "line %d: message \"%s\"",
	    line, e.msg);
}
#define PARSE_BAD(s) parse_bad((s), __LINE__)

static void
test_parse(void)
{
	PARSE_OK("2016-07-05T10:30:00Z", 1467714600);
	PARSE_OK("2016-07-05t10:30:00z", 1467714600);
	PARSE_OK("2016-07-05T10:30:00+00:00", 1467714600);
	PARSE_OK("2016-07-05T10:30:00-00:00", 1467714600);
	PARSE_OK("2016-07-05T10:30:00+02:00", 1467707400);
	PARSE_OK("2016-07-05T10:30:00-05:30", 1467734400);
	PARSE_OK("2016-07-05T16:15:00+05:45", 1467714600);
	PARSE_OK("2017-01-01T00:00:00+23:59", 1483142460);
	PARSE_OK("2016-12-31T23:59:59-00:00", 1483228799);
	PARSE_OK("1970-01-01T00:00:00Z", 0);
	PARSE_OK("1970-01-01T00:00:00+01:00", -3600);
	PARSE_OK("2038-01-19T03:14:08Z", 2147483648LL);
	PARSE_OK("2026-12-31T23:30:00-10:00", 1798795800);
	/* leap years: every 4, not every 100, every 400 */
	PARSE_OK("2016-02-29T12:00:00+09:00", 1456714800);
	PARSE_OK("2000-02-29T23:59:59Z", 951868799);
	PARSE_OK("2400-02-29T00:00:00Z", 13574563200LL);
	PARSE_OK("2100-02-28T00:00:00Z", 4107456000LL);
	PARSE_OK("9999-12-31T23:59:59Z", 253402300799LL);

	PARSE_BAD("2015-02-29T00:00:00Z");
	PARSE_BAD("2100-02-29T00:00:00Z");
	PARSE_BAD("2016-02-30T00:00:00Z");
	PARSE_BAD("2016-04-31T00:00:00Z");
	PARSE_BAD("2016-06-31T00:00:00Z");
	PARSE_BAD("2016-13-01T00:00:00Z");
	PARSE_BAD("2016-00-01T00:00:00Z");
	PARSE_BAD("2016-01-00T00:00:00Z");
	PARSE_BAD("2016-01-32T00:00:00Z");
	PARSE_BAD("2016-07-05T24:00:00Z");
	PARSE_BAD("2016-07-05T10:60:00Z");
	PARSE_BAD("2016-07-05T10:30:00");		/* no offset */
	PARSE_BAD("2016-07-05T10:30:00+0200");
	PARSE_BAD("2016-07-05T10:30:00+02");
	PARSE_BAD("2016-07-05T10:30:00+24:00");
	PARSE_BAD("2016-07-05T10:30:00+02:60");
	PARSE_BAD("2016-07-05T10:30:00.5Z");	/* whole seconds only */
	PARSE_BAD("2016-07-05T10:30:00ZZ");
	PARSE_BAD("2016-07-05T10:30:00+02:00 ");
	PARSE_BAD("2016-07-05T10:30Z");
	PARSE_BAD("2016-07-05");
	PARSE_BAD("2016-7-5T10:30:00Z");
	PARSE_BAD("2016/07/05T10:30:00Z");
	PARSE_BAD("2016-07-05X10:30:00Z");
	PARSE_BAD("2016-07-05T1a:30:00Z");
	PARSE_BAD("+016-07-05T10:30:00Z");
	PARSE_BAD("1969-12-31T23:59:59Z");
	PARSE_BAD("");
}

static void
fmt(int64_t t, const char *tz, const char *want, int line)
{
	char buf[64];
	int rc;

	memset(buf, 0, sizeof(buf));
	rc = dk_time_format(t, tz, buf, sizeof(buf));
	CHECKF(rc == 0 && strcmp(buf, want) == 0, "line %d: dk_time_format("
	    "%lld, %s) = %d \"%s\", want \"%s\"", line, (long long)t, tz, rc,
	    buf, want);
}
#define FMT(t, z, w) fmt((t), (z), (w), __LINE__)

static void
test_format(void)
{
	FMT(1467714600, "UTC", "2016-07-05T10:30:00+00:00");
	FMT(0, "UTC", "1970-01-01T00:00:00+00:00");
	FMT(1467714600, "Europe/Berlin", "2016-07-05T12:30:00+02:00");
	FMT(1452000000, "Europe/Berlin", "2016-01-05T14:20:00+01:00");
	/* around the changes of 2016 */
	FMT(1459040399, "Europe/Berlin", "2016-03-27T01:59:59+01:00");
	FMT(1459040400, "Europe/Berlin", "2016-03-27T03:00:00+02:00");
	FMT(1477789199, "Europe/Berlin", "2016-10-30T02:59:59+02:00");
	FMT(1477789200, "Europe/Berlin", "2016-10-30T02:00:00+01:00");
	FMT(1467714600, "Asia/Tokyo", "2016-07-05T19:30:00+09:00");
	FMT(0, "Asia/Tokyo", "1970-01-01T09:00:00+09:00");
	FMT(1467714600, "America/New_York", "2016-07-05T06:30:00-04:00");
	FMT(1467714600, "Asia/Kolkata", "2016-07-05T16:00:00+05:30");
	FMT(1467714600, "Asia/Kathmandu", "2016-07-05T16:15:00+05:45");
	FMT(1467714600, "America/St_Johns", "2016-07-05T08:00:00-02:30");
	/* switching back and forth between zones */
	FMT(1467714600, "UTC", "2016-07-05T10:30:00+00:00");
	FMT(1467714600, "Asia/Tokyo", "2016-07-05T19:30:00+09:00");
	FMT(1467714600, "Europe/Berlin", "2016-07-05T12:30:00+02:00");
}

/* What dk_time_format writes, dk_time_parse reads back to the instant. */
static void
test_roundtrip(void)
{
	static const char *zones[] = { "UTC", "Europe/Berlin", "Asia/Tokyo",
		"America/New_York", "Asia/Kolkata", "Asia/Kathmandu",
		"America/St_Johns", "Australia/Lord_Howe",
		"Pacific/Chatham", "America/Sao_Paulo", NULL };
	uint64_t s = 88172645463325252ULL;
	char buf[64];
	int64_t t, back;
	struct dk_err e;
	int i, z, bad = 0;

	for (z = 0; zones[z] != NULL; z++)
		for (i = 0; i < 2000; i++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			/* 1980 .. 2100 */
			t = 315532800 + (int64_t)(s % 3786912000ULL);
			if (i % 4 == 0)
				t -= t % 1800;
			if (dk_time_format(t, zones[z], buf, sizeof(buf)) < 0 ||
			    dk_time_parse(buf, &back, &e) < 0 || back != t) {
				if (bad++ == 0)
					fprintf(stderr, "round trip %lld %s: "
					    "\"%s\"\n", (long long)t, zones[z],
					    buf);
			}
		}
	CHECK_INT(bad, 0);
}

/* The digits dk_time_format writes by hand are printf's pattern's, in
 * every zone, from the year 1 to beyond 9999 (printf's own there), and
 * cut as snprintf cuts them when out is short. */
static void
test_digits(void)
{
	static const char *zones[] = { "UTC", "Europe/Berlin",
		"America/St_Johns", "Asia/Kathmandu", "Pacific/Chatham",
		NULL };
	uint64_t s = 2463534242ULL;
	char buf[64], want[64];
	struct tm tm;
	time_t tt;
	long off;
	int i, z, bad = 0;
	size_t len;

	for (z = 0; zones[z] != NULL; z++)
		for (i = 0; i < 3000; i++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			/* the year 1 to 12000; a few short buffers */
			tt = (time_t)(-62135596800LL + (int64_t)(s %
			    316539648000ULL));
			len = i % 10 == 0 ? (size_t)(s >> 40) % 27 + 1 :
			    sizeof(buf);
			memset(buf, 'x', sizeof(buf));
			if (dk_time_format((int64_t)tt, zones[z], buf, len) < 0 ||
			    localtime_r(&tt, &tm) == NULL) {
				bad++;
				continue;
			}
			off = tm.tm_gmtoff < 0 ? -tm.tm_gmtoff : tm.tm_gmtoff;
			snprintf(want, len, "%04d-%02d-%02dT%02d:%02d:%02d%c"
			    "%02ld:%02ld", tm.tm_year + 1900, tm.tm_mon + 1,
			    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			    tm.tm_gmtoff < 0 ? '-' : '+', off / 3600,
			    off % 3600 / 60);
			if (strcmp(buf, want) != 0 && bad++ == 0)
				fprintf(stderr, "%lld %s (%zu): \"%s\", want "
				    "\"%s\"\n", (long long)tt, zones[z], len,
				    buf, want);
		}
	CHECK_INT(bad, 0);
}

static void
test_slot(void)
{
	struct dk_err e;
	int64_t t;

	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_slot_parse("2016-07-05T10:30:00+02:00", 30, &t, &e), 0);
	CHECK_INT(t, 1467707400);
	CHECK_INT(dk_slot_parse("2016-07-05T10:00:00Z", 60, &t, &e), 0);
	CHECK_INT(t, 1467712800);
	CHECK_INT(dk_slot_parse("2016-07-05T10:45:00Z", 15, &t, &e), 0);
	/* a Nepal time that starts a UTC half hour */
	CHECK_INT(dk_slot_parse("2016-07-05T16:15:00+05:45", 30, &t, &e), 0);
	CHECK_INT(t, 1467714600);
	CHECK_INT(dk_slot_parse("1970-01-01T00:30:00+01:00", 30, &t, &e), 0);
	CHECK_INT(t, -1800);

	CHECK_INT(dk_slot_parse("2016-07-05T10:30:00Z", 60, &t, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_STR(e.msg, "must start a 60-minute slot, got "
	    "\"2016-07-05T10:30:00Z\"");
	CHECK_INT(dk_slot_parse("2016-07-05T10:15:00Z", 30, &t, &e), -1);
	CHECK_STR(e.msg, "must start a 30-minute slot, got "
	    "\"2016-07-05T10:15:00Z\"");
	CHECK_INT(dk_slot_parse("2016-07-05T10:30:01Z", 30, &t, &e), -1);
	CHECK_INT(dk_slot_parse("2016-07-05T10:30:00+05:45", 30, &t, &e), -1);
	CHECK_INT(dk_slot_parse("1970-01-01T00:15:00+01:00", 30, &t, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	/* a bad time fails as a time */
	CHECK_INT(dk_slot_parse("2016-02-30T10:30:00Z", 30, &t, &e), -1);
	CHECK_HAS(e.msg, "must be an RFC 3339 time");
}

int
main(void)
{
	test_parse();
	test_format();
	test_roundtrip();
	test_digits();
	test_slot();
	return check_done("test-slot");
}
