/* echonet.c: ECHONET Lite format-1 frames, and a node's meters as samples. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "meter.h"

/*
 * A frame: EHD1 0x10, EHD2 0x81, TID (2, big-endian), SEOJ (3), DEOJ (3),
 * ESV, OPC, then OPC times EPC, PDC, PDC bytes of EDT.  A Get carries each
 * EPC with PDC 0; Get_Res (0x72) answers all of them, Get_SNA (0x52) only
 * some: the others come back with PDC 0.  Values are big-endian.
 *
 * What is read (ECHONET MRA v1.3.0, see meters.md sections 2 and 3):
 *  - 0x0288 low-voltage smart meter: D3 coefficient (optional: 1), D7
 *    digits (the counters wrap at 10^D7), E1 unit, E0/E3 cumulative import
 *    and export, E7 power (W, negative when feeding in), EA/EB the same
 *    counters at the last 30-minute boundary with the meter's date-time;
 *  - 0x0279 PV: E1 cumulative generation (Wh, wraps after 999 999 999),
 *    E0 generation power (W);
 *  - 0x027D battery (battery.c has the class): A8/A9 AC cumulative
 *    charge/discharge, or D8/D6 when those are missing (Wh); E4 state of
 *    charge (%), E2 remaining stored energy (Wh, DC); CF working
 *    operation status, DA operation mode setting when CF is missing; D3
 *    instantaneous charge/discharge power (W, signed, + charging), left
 *    out when CF contradicts its sign (meters.md section 9: the sign
 *    rests on secondary sources).
 * 0xFFFFFFFE is "no data" in every counter, and never becomes a value.
 */

#define NODATA32	0xFFFFFFFEu
#define MAX_SAFE	9007199254740991LL	/* 2^53 - 1 */

static const unsigned char node_profile[3] = { 0x0E, 0xF0, 0x01 };
static const unsigned char controller[3] = { 0x05, 0xFF, 0x01 };

/* A frame's 12-byte header. */
void
dk_el_head(unsigned char *buf, unsigned tid, const unsigned char seoj[3],
    const unsigned char deoj[3], int esv, int opc)
{
	buf[0] = 0x10;
	buf[1] = 0x81;
	buf[2] = tid >> 8 & 0xFF;
	buf[3] = tid & 0xFF;
	memcpy(buf + 4, seoj, 3);
	memcpy(buf + 7, deoj, 3);
	buf[10] = esv;
	buf[11] = opc;
}

size_t
dk_el_get(unsigned char *buf, size_t cap, unsigned tid,
    const unsigned char seoj[3], const unsigned char deoj[3],
    const unsigned char *epcs, int n)
{
	size_t len = 12 + 2 * (size_t)n;
	int i;

	if (n < 1 || n > 255 || cap < len)
		return 0;
	dk_el_head(buf, tid, seoj, deoj, DK_EL_GET, n);
	for (i = 0; i < n; i++) {
		buf[12 + 2 * i] = epcs[i];
		buf[13 + 2 * i] = 0;
	}
	return len;
}

int
dk_el_parse(const unsigned char *b, size_t len, struct dk_el_frame *f,
    char *why, size_t whylen)
{
	size_t off;
	int i;

	if (len < 12) {
		snprintf(why, whylen, "%zu bytes, shorter than the 12-byte "
		    "header", len);
		return -1;
	}
	if (b[0] != 0x10 || b[1] != 0x81) {
		snprintf(why, whylen, "EHD %02X%02X, not 1081 (ECHONET Lite "
		    "format 1)", b[0], b[1]);
		return -1;
	}
	f->tid = (unsigned)b[2] << 8 | b[3];
	memcpy(f->seoj, b + 4, 3);
	memcpy(f->deoj, b + 7, 3);
	f->esv = b[10];
	f->opc = b[11];
	off = 12;
	for (i = 0; i < f->opc; i++) {
		if (off + 2 > len) {
			snprintf(why, whylen, "OPC %d, but the frame ends after "
			    "%d properties (%zu bytes)", f->opc, i, len);
			return -1;
		}
		f->p[i].epc = b[off];
		f->p[i].pdc = b[off + 1];
		f->p[i].edt = b + off + 2;
		if (off + 2 + f->p[i].pdc > len) {
			snprintf(why, whylen, "property %02X: PDC %d, but only "
			    "%zu bytes follow", b[off], b[off + 1],
			    len - off - 2);
			return -1;
		}
		off += 2 + f->p[i].pdc;
	}
	if (off != len) {
		snprintf(why, whylen, "%zu bytes after the %d properties of "
		    "OPC", len - off, f->opc);
		return -1;
	}
	return 0;
}

/* The property epc if the frame carries it with a value (PDC > 0). */
const struct dk_el_prop *
dk_el_prop(const struct dk_el_frame *f, int epc)
{
	int i;

	for (i = 0; i < f->opc; i++)
		if (f->p[i].epc == epc && f->p[i].pdc > 0)
			return &f->p[i];
	return NULL;
}

/* E1's unit in milli-Wh: 0x00 1 kWh ... 0x04 0.0001 kWh, 0x0A 10 kWh ...
 * 0x0D 10 000 kWh; 0 for a code with no meaning. */
static int64_t
unit_mwh(int unit)
{
	switch (unit) {
	case 0x00: return 1000000;
	case 0x01: return 100000;
	case 0x02: return 10000;
	case 0x03: return 1000;
	case 0x04: return 100;
	case 0x0A: return 10000000;
	case 0x0B: return 100000000;
	case 0x0C: return 1000000000;
	case 0x0D: return 10000000000LL;
	}
	return 0;
}

static int
product(uint32_t raw, uint32_t coef, int unit, int64_t max, int64_t *mwh)
{
	int64_t u = unit_mwh(unit), v;

	if (u == 0 || __builtin_mul_overflow((int64_t)raw, (int64_t)coef, &v) ||
	    __builtin_mul_overflow(v, u, &v) || v > max)
		return -1;
	*mwh = v;
	return 0;
}

/* raw x coefficient x unit, exactly, in milli-Wh; -1 when the unit has no
 * meaning or the product passes 2^53 - 1 (what JSON carries exactly). */
int
dk_el_energy_mwh(uint32_t raw, uint32_t coef, int unit, int64_t *mwh)
{
	return product(raw, coef, unit, MAX_SAFE, mwh);
}

int64_t
dk_el_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct rd {
	struct dk_drv *d;
	struct dk_el_io *io;
	const char *tz;
	unsigned tid;
	int64_t now;
	unsigned char buf[1500];	/* the last answer; f points into it */
	struct dk_el_frame f;
};

static void
say(struct rd *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (r->d->warn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->d->warn(r->d->ctx, msg);
}

/* Get epcs of deoj; the answer (Get_Res or Get_SNA with our TID, from
 * deoj) in r->f.  Other frames are left alone (INF, answers to an earlier
 * attempt); malformed ones are refused and counted. */
static int
request(struct rd *r, const unsigned char deoj[3], const unsigned char *epcs,
    int n, struct dk_err *e)
{
	struct dk_el_io *io = r->io;
	unsigned char req[12 + 2 * 16];
	char why[160];
	size_t len;
	int64_t deadline;
	int attempt, attempts = io->retries + 1, rc, got;

	for (attempt = 1; attempt <= attempts; attempt++) {
		r->tid = (r->tid + 1) & 0xFFFF;
		len = dk_el_get(req, sizeof(req), r->tid, controller, deoj,
		    epcs, n);
		if ((rc = io->send(io->ctx, req, len, e)) < 0)
			return -1;
		if (rc == 1) {
			say(r, "%s: %02X%02X%02X: the Get was not sent "
			    "(attempt %d of %d)", io->peer, deoj[0], deoj[1],
			    deoj[2], attempt, attempts);
			continue;
		}
		deadline = dk_el_now_ms() + io->timeout_ms;
		while ((got = io->recv(io->ctx, r->buf, sizeof(r->buf),
		    deadline, e)) > 0) {
			if (dk_el_parse(r->buf, got, &r->f, why,
			    sizeof(why)) < 0) {
				r->d->rejected++;
				say(r, "%s: frame refused: %s", io->peer, why);
				continue;
			}
			if (r->f.tid != r->tid ||
			    memcmp(r->f.seoj, deoj, 3) != 0)
				continue;
			if (r->f.esv == DK_EL_GET_RES ||
			    r->f.esv == DK_EL_GET_SNA)
				return 0;
			r->d->rejected++;
			say(r, "%s: %02X%02X%02X: answer with ESV %02X refused "
			    "(72 Get_Res or 52 Get_SNA expected)", io->peer,
			    deoj[0], deoj[1], deoj[2], r->f.esv);
		}
		if (got < 0)
			return -1;
		say(r, "%s: %02X%02X%02X: no answer within %d ms (attempt %d "
		    "of %d)", io->peer, deoj[0], deoj[1], deoj[2],
		    io->timeout_ms, attempt, attempts);
	}
	return dk_fail(e, DK_EX_UNAVAILABLE, "%s: %02X%02X%02X: no answer "
	    "to Get after %d attempts of %d ms", io->peer, deoj[0], deoj[1],
	    deoj[2], attempts, io->timeout_ms);
}

/* Names the properties asked for that did not come (Get_SNA). */
static void
missing(struct rd *r, const unsigned char eoj[3], const unsigned char *epcs,
    int n)
{
	char list[3 * 16 + 1] = "";
	int i;

	for (i = 0; i < n; i++)
		if (dk_el_prop(&r->f, epcs[i]) == NULL)
			snprintf(list + strlen(list), sizeof(list) -
			    strlen(list), " %02X", epcs[i]);
	if (list[0] != '\0')
		say(r, "%s: %02X%02X%02X: %s without%s", r->io->peer, eoj[0],
		    eoj[1], eoj[2], r->f.esv == DK_EL_GET_SNA ? "Get_SNA" :
		    "Get_Res", list);
}

static uint32_t
be(const unsigned char *p, int n)
{
	uint32_t v = 0;

	while (n-- > 0)
		v = v << 8 | *p++;
	return v;
}

/* An unsigned property of pdc bytes: 1 got it, 0 missing or malformed. */
static int
uprop(struct rd *r, const unsigned char eoj[3], int epc, int pdc,
    uint32_t *v)
{
	const struct dk_el_prop *p = dk_el_prop(&r->f, epc);

	if (p == NULL)
		return 0;
	if (p->pdc != pdc) {
		say(r, "%s: %02X%02X%02X: %02X has %d bytes, not %d: left out",
		    r->io->peer, eoj[0], eoj[1], eoj[2], epc, p->pdc, pdc);
		return 0;
	}
	*v = be(p->edt, pdc);
	return 1;
}

/* The meter's local date-time in zone tz as Unix time: the offset is the
 * one dk_time_format gives the zone at that instant (twice, for DST). */
static int
local_time(const char *tz, int y, int mo, int d, int h, int mi, int s,
    int64_t *t)
{
	struct tm tm;
	char buf[64];
	int64_t naive, guess;
	int i, oh, om;
	size_t n;

	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h > 23 || mi > 59 || s > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	naive = timegm(&tm);
	if (tm.tm_mday != d)	/* 31 April */
		return -1;
	guess = naive;
	for (i = 0; i < 2; i++) {
		if (dk_time_format(guess, tz, buf, sizeof(buf)) < 0 ||
		    (n = strlen(buf)) < 6 ||
		    sscanf(buf + n - 5, "%2d:%2d", &oh, &om) != 2)
			return -1;
		oh = oh * 3600 + om * 60;
		guess = naive - (buf[n - 6] == '-' ? -oh : oh);
	}
	*t = guess;
	return 0;
}

/* A cumulative counter in mWh, or DK_NOVAL for "no data", a value past
 * the meter's own digits, or one too large to carry. */
static int64_t
counter(struct rd *r, const unsigned char eoj[3], const char *what,
    uint32_t raw, uint32_t coef, int unit, uint32_t limit)
{
	int64_t v;

	if (raw == NODATA32)
		return DK_NOVAL;
	if (limit != 0 && raw >= limit) {
		say(r, "%s: %02X%02X%02X: %s = %lu is past the counter's "
		    "%lu: left out", r->io->peer, eoj[0], eoj[1], eoj[2], what,
		    (unsigned long)raw, (unsigned long)limit - 1);
		return DK_NOVAL;
	}
	if (dk_el_energy_mwh(raw, coef, unit, &v) < 0) {
		say(r, "%s: %02X%02X%02X: %s = %lu x %lu x unit %02X is out of "
		    "range: left out", r->io->peer, eoj[0], eoj[1], eoj[2],
		    what, (unsigned long)raw, (unsigned long)coef, unit);
		return DK_NOVAL;
	}
	return v;
}

static void
sample_init(struct dk_sample *s, const char *kind, int64_t t)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->kind, sizeof(s->kind), "%s", kind);
	s->t = t;
	s->import_mwh = s->export_mwh = s->power_w = DK_NOVAL;
}

static int
put(struct rd *r, const struct dk_sample *s, struct dk_err *e)
{
	if (s->import_mwh == DK_NOVAL && s->export_mwh == DK_NOVAL &&
	    s->power_w == DK_NOVAL && !(s->batt && (s->soc_pct >= 0 ||
	    s->soc_wh >= 0 || s->mode >= 0)))
		return 0;
	return r->d->sample(r->d->ctx, s, e);
}

/* EA or EB: 1 a value (or "no data") stamped *t, 0 left out. */
static int
fixed_time(struct rd *r, const unsigned char eoj[3], int epc, uint32_t coef,
    int unit, uint32_t limit, int64_t *t, int64_t *mwh)
{
	const struct dk_el_prop *p = dk_el_prop(&r->f, epc);
	const unsigned char *x;
	char what[8];

	if (p == NULL)
		return 0;
	if (p->pdc != 11) {
		say(r, "%s: %02X%02X%02X: %02X has %d bytes, not 11: left out",
		    r->io->peer, eoj[0], eoj[1], eoj[2], epc, p->pdc);
		return 0;
	}
	x = p->edt;
	if (local_time(r->tz, x[0] << 8 | x[1], x[2], x[3], x[4], x[5], x[6],
	    t) < 0) {
		say(r, "%s: %02X%02X%02X: %02X: no date-time (%02X%02X-%02X-"
		    "%02X %02X:%02X:%02X): left out", r->io->peer, eoj[0],
		    eoj[1], eoj[2], epc, x[0], x[1], x[2], x[3], x[4], x[5],
		    x[6]);
		return 0;
	}
	snprintf(what, sizeof(what), "%02X", epc);
	*mwh = counter(r, eoj, what, be(x + 7, 4), coef, unit, limit);
	return 1;
}

static int
read_meter(struct rd *r, const unsigned char eoj[3], struct dk_err *e)
{
	static const unsigned char epcs[] = { 0xD3, 0xD7, 0xE1, 0xE0, 0xE3,
	    0xE7, 0xEA, 0xEB };
	struct dk_sample s, fx;
	uint32_t coef = 1, digits = 0, unit = 0, raw, limit = 0;
	int64_t wrap = 0, tea = 0, teb = 0, ea = DK_NOVAL, eb = DK_NOVAL;
	int have_unit, hea, heb;

	if (request(r, eoj, epcs, sizeof(epcs), e) < 0)
		return -1;
	missing(r, eoj, epcs, sizeof(epcs));
	if (uprop(r, eoj, 0xD3, 4, &coef) && (coef == 0 || coef > 999999)) {
		say(r, "%s: %02X%02X%02X: coefficient D3 = %lu is not 1 to "
		    "999999: energy left out", r->io->peer, eoj[0], eoj[1],
		    eoj[2], (unsigned long)coef);
		coef = 0;
	}
	if (uprop(r, eoj, 0xD7, 1, &digits) && (digits < 1 || digits > 8)) {
		say(r, "%s: %02X%02X%02X: digits D7 = %lu is not 1 to 8: the "
		    "wrap is unknown", r->io->peer, eoj[0], eoj[1], eoj[2],
		    (unsigned long)digits);
		digits = 0;
	}
	have_unit = uprop(r, eoj, 0xE1, 1, &unit);
	if (have_unit && unit_mwh(unit) == 0) {
		say(r, "%s: %02X%02X%02X: unit E1 = %02X has no meaning: "
		    "energy left out", r->io->peer, eoj[0], eoj[1], eoj[2],
		    unit);
		have_unit = 0;
	}
	if (!have_unit)
		coef = 0;
	if (digits > 0) {
		for (limit = 1; digits-- > 0; )
			limit *= 10;
		/* 10^8 x 999 999 x 10 000 kWh still fits in int64 mWh */
		if (coef != 0 && product(limit, coef, unit, INT64_MAX,
		    &wrap) < 0)
			wrap = 0;
	}

	sample_init(&s, "grid", r->now);
	s.wrap_mwh = wrap;
	if (coef != 0 && uprop(r, eoj, 0xE0, 4, &raw))
		s.import_mwh = counter(r, eoj, "E0", raw, coef, unit, limit);
	if (coef != 0 && uprop(r, eoj, 0xE3, 4, &raw))
		s.export_mwh = counter(r, eoj, "E3", raw, coef, unit, limit);
	if (uprop(r, eoj, 0xE7, 4, &raw) && raw != 0x7FFFFFFE &&
	    raw != 0x7FFFFFFF && raw != 0x80000000)
		s.power_w = (int32_t)raw;
	if (put(r, &s, e) < 0)
		return -1;
	if (coef == 0)
		return 0;

	hea = fixed_time(r, eoj, 0xEA, coef, unit, limit, &tea, &ea);
	heb = fixed_time(r, eoj, 0xEB, coef, unit, limit, &teb, &eb);
	if (hea && heb && tea == teb) {
		sample_init(&fx, "grid", tea);
		fx.import_mwh = ea;
		fx.export_mwh = eb;
		heb = 0;
	} else if (hea) {
		sample_init(&fx, "grid", tea);
		fx.import_mwh = ea;
	}
	if (hea) {
		fx.wrap_mwh = wrap;
		fx.exact = tea % 1800 == 0;
		if (put(r, &fx, e) < 0)
			return -1;
	}
	if (heb) {
		sample_init(&fx, "grid", teb);
		fx.export_mwh = eb;
		fx.wrap_mwh = wrap;
		fx.exact = teb % 1800 == 0;
		if (put(r, &fx, e) < 0)
			return -1;
	}
	return 0;
}

static int
read_pv(struct rd *r, const unsigned char eoj[3], struct dk_err *e)
{
	static const unsigned char epcs[] = { 0xE0, 0xE1 };
	struct dk_sample s;
	uint32_t raw;

	if (request(r, eoj, epcs, sizeof(epcs), e) < 0)
		return -1;
	missing(r, eoj, epcs, sizeof(epcs));
	sample_init(&s, "pv", r->now);
	s.wrap_mwh = 1000000000LL * 1000;	/* 999 999 999 Wh, then 0 */
	if (uprop(r, eoj, 0xE1, 4, &raw))
		s.import_mwh = counter(r, eoj, "E1", raw, 1, 0x03, 1000000000);
	if (uprop(r, eoj, 0xE0, 2, &raw) && raw <= 65533)
		s.power_w = raw;
	return put(r, &s, e);
}

static int
read_battery(struct rd *r, const unsigned char eoj[3], struct dk_err *e)
{
	static const unsigned char epcs[] = { 0xA8, 0xA9, 0xD8, 0xD6, 0xE4,
	    0xE2, 0xD3, 0xCF, 0xDA };
	struct dk_sample s;
	uint32_t raw;
	char why[160];

	if (request(r, eoj, epcs, sizeof(epcs), e) < 0)
		return -1;
	sample_init(&s, "battery", r->now);
	if (uprop(r, eoj, 0xA8, 4, &raw) || uprop(r, eoj, 0xD8, 4, &raw))
		s.import_mwh = counter(r, eoj, "charged", raw, 1, 0x03, 0);
	if (uprop(r, eoj, 0xA9, 4, &raw) || uprop(r, eoj, 0xD6, 4, &raw))
		s.export_mwh = counter(r, eoj, "discharged", raw, 1, 0x03, 0);
	if (s.import_mwh == DK_NOVAL || s.export_mwh == DK_NOVAL)
		missing(r, eoj, epcs, 4);
	s.batt = 1;
	s.soc_pct = s.mode = -1;
	s.soc_wh = -1;
	if (uprop(r, eoj, 0xE4, 1, &raw))
		s.soc_pct = raw;
	if (uprop(r, eoj, 0xE2, 4, &raw))
		s.soc_wh = raw;
	if (uprop(r, eoj, 0xCF, 1, &raw) || uprop(r, eoj, 0xDA, 1, &raw))
		s.mode = raw;
	if (uprop(r, eoj, 0xD3, 4, &raw))
		s.power_w = (int32_t)raw;
	if (dk_batt_state_check(&s, why, sizeof(why)) < 0)
		say(r, "%s: %02X%02X%02X: %s", r->io->peer, eoj[0], eoj[1],
		    eoj[2], why);
	return put(r, &s, e);
}

/* Asks the node profile for its instances (D6), then reads each smart
 * meter, PV and battery among them, in the node's order. */
int
dk_el_read(struct dk_drv *d, struct dk_el_io *io, const char *tz,
    struct dk_err *e)
{
	static struct rd r;
	static const unsigned char d6 = 0xD6;
	const struct dk_el_prop *p;
	unsigned char list[3 * 84];
	int i, n, found = 0;

	memset(&r, 0, sizeof(r));
	r.d = d;
	r.io = io;
	r.tz = tz;
	r.tid = (unsigned)time(NULL) & 0xFFFF;
	r.now = time(NULL);
	if (request(&r, node_profile, &d6, 1, e) < 0)
		return -1;
	if ((p = dk_el_prop(&r.f, 0xD6)) == NULL)
		return dk_fail(e, DK_EX_UNAVAILABLE, "%s: the node profile "
		    "gave no instance list (D6)", io->peer);
	n = p->edt[0];
	if (n > 84 || p->pdc != 1 + 3 * n) {
		d->rejected++;
		return dk_fail(e, DK_EX_DATAERR, "%s: instance list D6 of %d "
		    "bytes says %d instances", io->peer, p->pdc, n);
	}
	memcpy(list, p->edt + 1, 3 * n);
	for (i = 0; i < n; i++) {
		const unsigned char *eoj = list + 3 * i;
		int rc;

		if (eoj[0] != 0x02)
			continue;
		if (eoj[1] == 0x88)
			rc = read_meter(&r, eoj, e);
		else if (eoj[1] == 0x79)
			rc = read_pv(&r, eoj, e);
		else if (eoj[1] == 0x7D)
			rc = read_battery(&r, eoj, e);
		else
			continue;
		if (rc < 0)
			return -1;
		found++;
	}
	if (found == 0)
		return dk_fail(e, DK_EX_UNAVAILABLE, "%s: none of the %d "
		    "instances (D6) is a smart meter 0288, PV 0279 or battery "
		    "027D", io->peer, n);
	return 0;
}
