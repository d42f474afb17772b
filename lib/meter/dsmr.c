/* dsmr.c: DSMR P1 telegrams (NL, BE, LU ...): framing, CRC-16/ARC, values. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "meter.h"

/* CRC-16/ARC: 0x8005 reflected (0xA001), init 0, no final XOR. */
unsigned
dk_dsmr_crc(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	unsigned crc = 0;
	size_t i;
	int b;

	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (b = 0; b < 8; b++)
			crc = crc & 1 ? (crc >> 1) ^ 0xA001 : crc >> 1;
	}
	return crc & 0xFFFF;
}

static int
ishex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/*
 * Finds the next telegram in buf: '/' ... '!' [1-4 hex] [NUL] CR LF.
 * Returns 0 when more bytes are needed (*start: where to keep from),
 * 1 with a whole telegram in [*start, *end), and -1 with a broken one in
 * [*start, *end) (a new '/' before the '!', or junk after the '!'), which
 * the caller refuses and skips.  Bytes before the first '/' are the tail
 * of a telegram begun before we listened; they are skipped silently.
 */
int
dk_dsmr_frame(const char *buf, size_t len, size_t *start, size_t *end)
{
	const char *s, *p;
	size_t i, j;

	if ((s = memchr(buf, '/', len)) == NULL) {
		*start = *end = len;
		return 0;
	}
	i = s - buf;
	*start = i;
	for (j = i + 1; j < len; j++) {
		if (buf[j] == '/') {
			*end = j;
			return -1;
		}
		if (buf[j] == '!')
			break;
	}
	if (j >= len) {
		*end = len;
		return 0;
	}
	p = buf + j + 1;
	for (j = j + 1; j < len && j - (p - buf) < 4 && ishex(buf[j]); j++)
		;
	if (j < len && buf[j] == '\0')
		j++;
	if (j < len && buf[j] != '\r') {
		*end = j + 1;
		return -1;
	}
	if (j + 1 >= len) {
		*end = len;
		return 0;
	}
	if (buf[j + 1] != '\n') {
		*end = j + 2;
		return -1;
	}
	*end = j + 2;
	return 1;
}

static int
num2(const char *s)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/*
 * YYMMDDhhmmss[SW], local time in zone tz, to unix time.  The meter says
 * whether summer time is in force, which settles the hour that repeats in
 * autumn; a time the zone cannot have (an S where it keeps no summer time,
 * an hour skipped in spring) is an error.  TZ is restored afterwards.
 */
int
dk_dsmr_time(const char *s, size_t n, const char *tz, int64_t *t,
    struct dk_err *e)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int v[6], k, pass, flag = 0, found = 0;
	int64_t local, cand[2];
	long jj[2];
	char *old = NULL;
	const char *o;

	if (n != 12 && n != 13)
		goto bad;
	for (k = 0; k < 6; k++)
		if ((v[k] = num2(s + 2 * k)) < 0)
			goto bad;
	if (n == 13) {
		if (s[12] != 'S' && s[12] != 'W')
			goto bad;
		flag = s[12];
	}
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > mdays[v[1] - 1] ||
	    (v[1] == 2 && v[2] == 29 && v[0] % 4 != 0) || v[3] > 23 ||
	    v[4] > 59 || v[5] > 59)
		goto bad;
	local = dk_days_from_civil(2000 + v[0], v[1], v[2]) * 86400 +
	    v[3] * 3600 + v[4] * 60 + v[5];

	if ((o = getenv("TZ")) != NULL && (old = strdup(o)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	setenv("TZ", tz, 1);
	tzset();
	/* The zone's offsets half a day either side are the candidates. */
	for (k = 0; k < 2; k++) {
		struct tm tm;
		time_t tt = (time_t)(local + (k ? 43200 : -43200));
		cand[k] = INT64_MIN;
		if (localtime_r(&tt, &tm) != NULL)
			cand[k] = local - tm.tm_gmtoff;
	}
	/* Summer is the larger of the year's offsets. */
	for (k = 0; k < 2; k++) {
		struct tm tm;
		time_t tt = (time_t)((dk_days_from_civil(2000 + v[0],
		    k ? 7 : 1, 15)) * 86400);
		jj[k] = localtime_r(&tt, &tm) != NULL ? tm.tm_gmtoff : 0;
	}
	/*
	 * The flag says whether daylight saving time is in force.  Ireland
	 * keeps IST as its standard time and GMT in winter as its daylight
	 * saving time (tzdata sets tm_isdst in the Irish winter), and Irish
	 * meters say S in February (an Iskra MIE5T: 230202132747S).  So S
	 * is either summer or tm_isdst, W either winter or not tm_isdst;
	 * where both of a repeated hour would do, tm_isdst decides (pass 0).
	 * Elsewhere the two readings agree.
	 */
	for (pass = 0; pass < 2 && !found; pass++)
		for (k = 0; k < 2 && !found; k++) {
			struct tm tm;
			time_t tt = (time_t)cand[k];
			int summer;
			if (cand[k] == INT64_MIN ||
			    localtime_r(&tt, &tm) == NULL ||
			    local - tm.tm_gmtoff != cand[k])
				continue;
			summer = jj[0] != jj[1] && tm.tm_gmtoff ==
			    (jj[0] > jj[1] ? jj[0] : jj[1]);
			if (flag == 'S' && (jj[0] == jj[1] || (pass == 0 ?
			    tm.tm_isdst <= 0 : !summer)))
				continue;
			if (flag == 'W' && (pass == 0 ? tm.tm_isdst > 0 :
			    summer))
				continue;
			*t = cand[k];
			found = 1;
		}
	if (old != NULL) {
		setenv("TZ", old, 1);
		free(old);
	} else
		unsetenv("TZ");
	tzset();
	if (!found)
		return dk_fail(e, DK_EX_DATAERR, "%.13s: no such %s time in "
		    "%s (set meter.dsmr.tz to the meter's zone)", s,
		    flag == 'S' ? "summer" : flag == 'W' ? "winter" : "local",
		    tz);
	return 0;
bad:
	return dk_fail(e, DK_EX_DATAERR, "\"%.*s\": must be YYMMDDhhmmss "
	    "and S or W", (int)(n > 20 ? 20 : n), s);
}

/*
 * "000233.793*kWh" to milli-units of the base unit (Wh or W): *out in mWh
 * for kWh/Wh, in W for kW/W (power is kept in whole W, rounded half up).
 */
static int
value(const char *s, size_t n, int energy, int64_t *out)
{
	int64_t ip = 0, frac = 0;
	int fd = 0, scale, i;
	size_t k = 0;
	const char *u;
	size_t un;

	if (n == 0 || s[0] < '0' || s[0] > '9')
		return -1;
	for (; k < n && s[k] >= '0' && s[k] <= '9'; k++) {
		if (ip > (INT64_MAX - 9) / 10 / 1000000)
			return -1;
		ip = ip * 10 + (s[k] - '0');
	}
	if (k < n && s[k] == '.') {
		for (k++; k < n && s[k] >= '0' && s[k] <= '9'; k++) {
			if (fd == 9)
				return -1;
			frac = frac * 10 + (s[k] - '0');
			fd++;
		}
		if (fd == 0)
			return -1;
	}
	if (k >= n || s[k] != '*')
		return -1;
	u = s + k + 1;
	un = n - k - 1;
	if (energy && un == 3 && strncasecmp(u, "kWh", 3) == 0)
		scale = 6;
	else if (energy && un == 2 && strncasecmp(u, "Wh", 2) == 0)
		scale = 3;
	else if (!energy && un == 2 && strncasecmp(u, "kW", 2) == 0)
		scale = 3;
	else if (!energy && un == 1 && (u[0] == 'W' || u[0] == 'w'))
		scale = 0;
	else
		return -2;
	/* ip * 10^scale + frac * 10^(scale - fd), exact or refused */
	for (i = 0; i < scale; i++)
		ip *= 10;
	if (fd > scale) {
		int64_t d = 1, r;
		for (i = 0; i < fd - scale; i++)
			d *= 10;
		r = frac % d;
		frac /= d;
		if (energy && r != 0)
			return -1;
		if (!energy && r * 2 >= d)
			frac++;
	} else
		for (i = fd; i < scale; i++)
			frac *= 10;
	*out = ip + frac;
	return 0;
}

/* "1-0:1.8.2" -> 1 for import (2 export), tariff 2; -1 if not a register */
static int
register_of(const char *o, size_t n, int *dir, int *tariff)
{
	size_t i;

	if (n < 9 || strncmp(o, "1-0:", 4) != 0 || (o[4] != '1' &&
	    o[4] != '2') || strncmp(o + 5, ".8.", 3) != 0)
		return -1;
	if (n - 8 > 3)
		return -1;
	for (i = 8; i < n; i++)
		if (o[i] < '0' || o[i] > '9')
			return -1;
	*dir = o[4] - '0';
	*tariff = atoi(o + 8);
	return 0;
}

/*
 * One telegram, from its '/' through the CR LF after its '!' (or its CRC).
 * Checks the CRC when there is one; a telegram without a CRC is accepted
 * only when it says neither a DSMR 4/5 version nor an e-MUCS one.  Sums
 * the tariff registers (1-0:1.8.1, 1.8.2, ...) into import and 2.8.x into
 * export, or takes the totals 1.8.0/2.8.0 when there are no tariffs.
 */
int
dk_dsmr_parse(const char *buf, size_t len, const char *tz,
    struct dk_dsmr *d, struct dk_err *e)
{
	const char *bang, *p, *end, *nl;
	int64_t tsum[2] = { 0, 0 }, total[2] = { DK_NOVAL, DK_NOVAL };
	int ntar[2] = { 0, 0 }, have_crc = 0, line = 1;
	int64_t pw[2] = { DK_NOVAL, DK_NOVAL };
	unsigned crc = 0;
	size_t k;

	memset(d, 0, sizeof(*d));
	d->t = DK_NOVAL;
	d->import_mwh = d->export_mwh = d->power_w = DK_NOVAL;
	if (len < 4 || buf[0] != '/')
		return dk_fail(e, DK_EX_DATAERR, "telegram: does not start "
		    "with '/'");
	if (len < 2 || buf[len - 2] != '\r' || buf[len - 1] != '\n')
		return dk_fail(e, DK_EX_DATAERR, "telegram: does not end in "
		    "CR LF");
	if ((bang = memchr(buf, '!', len)) == NULL)
		return dk_fail(e, DK_EX_DATAERR, "telegram: no '!' at its end");
	p = bang + 1;
	end = buf + len - 2;
	if (end > p && end[-1] == '\0')
		end--;
	if (end - p > 4)
		return dk_fail(e, DK_EX_DATAERR, "telegram: \"%.*s\" after "
		    "'!': must be a CRC of 1 to 4 hex digits", (int)(end - p),
		    p);
	for (; p < end; p++) {
		if (!ishex(*p))
			return dk_fail(e, DK_EX_DATAERR, "telegram: '%c' in "
			    "the CRC: must be 0-9 or A-F", *p);
		crc = crc * 16 + (*p <= '9' ? *p - '0' : *p - 'A' + 10);
		have_crc = 1;
	}
	if (have_crc) {
		unsigned got = dk_dsmr_crc(buf, bang - buf + 1);
		if (got != crc)
			return dk_fail(e, DK_EX_DATAERR, "telegram: CRC %04X, "
			    "but the telegram's bytes give %04X", crc, got);
	}
	d->crc = have_crc;
	nl = memchr(buf, '\n', bang - buf);
	k = nl ? (size_t)(nl - buf) : 0;
	if (nl == NULL || k < 6 || buf[k - 1] != '\r')
		return dk_fail(e, DK_EX_DATAERR, "telegram: the header line "
		    "(/XXX5...) has no CR LF");
	snprintf(d->ident, sizeof(d->ident), "%.*s", (int)(k - 2), buf + 1);

	for (p = nl + 1; p < bang; p = nl + 1) {
		const char *lp = p, *paren;
		size_t n;
		line++;
		if ((nl = memchr(p, '\n', bang - p)) == NULL ||
		    nl == p || nl[-1] != '\r')
			return dk_fail(e, DK_EX_DATAERR, "telegram line %d: "
			    "does not end in CR LF", line);
		n = nl - 1 - p;
		if (n == 0 || lp[0] == '(')
			continue;	/* the empty line; 2.2 gas value lines */
		if ((paren = memchr(lp, '(', n)) == NULL ||
		    lp[n - 1] != ')')
			return dk_fail(e, DK_EX_DATAERR, "telegram line %d: "
			    "\"%.*s\": must be OBIS(value)", line,
			    (int)(n < 40 ? n : 40), lp);
		{
			size_t on = paren - lp, vn;
			const char *v = paren + 1, *close;
			int dir, tar, rc;
			int64_t x;

			if ((close = memchr(v, ')', lp + n - v)) == NULL)
				return dk_fail(e, DK_EX_DATAERR, "telegram "
				    "line %d: no ')'", line);
			vn = close - v;
			if (on == 9 && strncmp(lp, "1-3:0.2.8", 9) == 0) {
				d->version = atoi(v);
				if (vn < 1 || vn > 3 || d->version < 1)
					return dk_fail(e, DK_EX_DATAERR,
					    "telegram line %d: 1-3:0.2.8"
					    "(%.*s): a bad version", line,
					    (int)vn, v);
			} else if (on == 10 &&
			    strncmp(lp, "0-0:96.1.4", 10) == 0) {
				d->emucs = 1;
			} else if (on == 9 && strncmp(lp, "0-0:1.0.0", 9) == 0) {
				if (dk_dsmr_time(v, vn, tz, &d->t, e) < 0)
					return dk_failpre(e, "telegram line "
					    "%d: 0-0:1.0.0", line);
			} else if (register_of(lp, on, &dir, &tar) == 0) {
				if ((rc = value(v, vn, 1, &x)) < 0)
					goto badval;
				if (tar == 0)
					total[dir - 1] = x;
				else {
					if (tsum[dir - 1] > INT64_MAX / 2 ||
					    x > INT64_MAX / 2)
						goto badval;
					tsum[dir - 1] += x;
					ntar[dir - 1]++;
				}
			} else if (on == 9 && (strncmp(lp, "1-0:1.7.0", 9) ==
			    0 || strncmp(lp, "1-0:2.7.0", 9) == 0)) {
				if ((rc = value(v, vn, 0, &x)) < 0)
					goto badval;
				pw[lp[4] - '1'] = x;
			}
			continue;
badval:
			return dk_fail(e, DK_EX_DATAERR, "telegram line %d: "
			    "%.*s(%.*s): %s", line, (int)on, lp, (int)vn, v,
			    rc == -2 ? "the unit must be kWh or Wh (kW or W "
			    "for power)" : "must be a decimal number and a "
			    "unit, like 000233.793*kWh");
		}
	}
	if (!have_crc && (d->version >= 40 || d->emucs))
		return dk_fail(e, DK_EX_DATAERR, "telegram: no CRC after the "
		    "'!', but DSMR %s sends one", d->emucs ? "e-MUCS" :
		    d->version >= 50 ? "5" : "4");
	for (k = 0; k < 2; k++) {
		int64_t v = ntar[k] ? tsum[k] : total[k];
		if (k == 0)
			d->import_mwh = v;
		else
			d->export_mwh = v;
	}
	if (pw[0] != DK_NOVAL || pw[1] != DK_NOVAL)
		d->power_w = (pw[0] != DK_NOVAL ? pw[0] : 0) -
		    (pw[1] != DK_NOVAL ? pw[1] : 0);
	if (d->import_mwh == DK_NOVAL && d->export_mwh == DK_NOVAL)
		return dk_fail(e, DK_EX_DATAERR, "telegram: no energy "
		    "register (1-0:1.8.x or 2.8.x)");
	return 0;
}
