/*
 * battery.c: the ECHONET Lite storage battery class 0x027D: its state in a
 * sample (version 2), and the SetC that sets its operation mode, power
 * and amount, with the answer checked.
 */
#include <stdio.h>
#include <string.h>

#include "meter.h"

/*
 * ECHONET Device Object specification (Appendix, storage battery class
 * 0x027D; the MRA v1.3.0 0x027D.json, meters.md section 3):
 *   DA operation mode setting (set/get), CF working operation status
 *   (get), one byte: 0x40 other, 0x41 rapid charging, 0x42 charging,
 *   0x43 discharging, 0x44 standby, 0x45 test, 0x46 automatic,
 *   0x48 restart, 0x49 effective capacity recalculation;
 *   EB charging power setting, EC discharging power setting: uint32, W;
 *   E7 charging amount setting 1, E8 discharging amount setting 1:
 *   uint32, Wh;
 *   E4 remaining stored electricity 3: uint8, %; E2 remaining stored
 *   electricity 1: uint32, Wh; D3 instantaneous charge/discharge power:
 *   int32, W.
 * A SetC (0x61) is answered by Set_Res (0x71), each property with PDC 0,
 * or by SetC_SNA (0x51), the properties refused with their EDT again.
 */
static const struct {
	int code;
	const char *name;
} modes[] = {
	{ 0x40, "other" }, { 0x41, "rapid-charge" }, { 0x42, "charge" },
	{ 0x43, "discharge" }, { 0x44, "standby" }, { 0x45, "test" },
	{ 0x46, "auto" }, { 0x48, "restart" }, { 0x49, "recalculate" },
	{ 0, NULL }
};

const char *
dk_batt_mode_name(int code)
{
	int i;

	for (i = 0; modes[i].name != NULL; i++)
		if (modes[i].code == code)
			return modes[i].name;
	return NULL;
}

int
dk_batt_mode_code(const char *name)
{
	int i;

	for (i = 0; modes[i].name != NULL; i++)
		if (strcmp(modes[i].name, name) == 0)
			return modes[i].code;
	return -1;
}

/* What a device gave that makes no sense is left out (-1, why says
 * what); 0 when all of it stands. */
int
dk_batt_state_check(struct dk_sample *s, char *why, size_t len)
{
	int rc = 0, n = 0;

	*why = '\0';
#define SAY(...) do { \
	n += snprintf(why + n, len > (size_t)n ? len - n : 0, \
	    "%s", n ? "; " : ""); \
	n += snprintf(why + n, len > (size_t)n ? len - n : 0, __VA_ARGS__); \
	rc = -1; \
} while (0)
	if (s->soc_pct > 100) {
		SAY("E4 = %d%% is past 100: left out", s->soc_pct);
		s->soc_pct = -1;
	}
	if (s->soc_wh > 999999999) {
		SAY("E2 = %lld Wh is past 999999999: left out",
		    (long long)s->soc_wh);
		s->soc_wh = -1;
	}
	if (s->mode >= 0 && dk_batt_mode_name(s->mode) == NULL) {
		SAY("operation mode %02X has no meaning: left out", s->mode);
		s->mode = -1;
	}
	/* the sign of D3 rests on secondary sources: a contradiction with
	 * the working status leaves the power out rather than guess */
	if (s->power_w != DK_NOVAL && s->mode >= 0 &&
	    (((s->mode == 0x41 || s->mode == 0x42) && s->power_w < 0) ||
	    (s->mode == 0x43 && s->power_w > 0))) {
		SAY("D3 = %lld W while the battery says %s: the sign is not "
		    "the one assumed (+ charging): left out",
		    (long long)s->power_w, dk_batt_mode_name(s->mode));
		s->power_w = DK_NOVAL;
	}
#undef SAY
	return rc;
}

/* The battery's fields of a sample record; the record becomes v 2. */
int
dk_batt_sample_json(const struct dk_sample *s, json_t *o)
{
	if (!s->batt)
		return 0;
	if (s->soc_pct >= 0)
		json_object_set_new(o, "soc_pct", json_integer(s->soc_pct));
	if (s->soc_wh >= 0)
		json_object_set_new(o, "soc_wh", json_integer(s->soc_wh));
	if (s->mode >= 0)
		json_object_set_new(o, "mode",
		    json_string(dk_batt_mode_name(s->mode)));
	if (json_object_get(o, "soc_pct") != NULL ||
	    json_object_get(o, "soc_wh") != NULL ||
	    json_object_get(o, "mode") != NULL)
		json_object_set_new(o, "v", json_integer(2));
	return 0;
}

/* A sample record's battery fields (a v 2 battery sample), into s. */
int
dk_batt_sample_from_json(struct dk_sample *s, json_t *o, long long v,
    struct dk_err *e)
{
	json_t *x;
	long long n;
	const char *m;
	char why[300];

	s->batt = 0;
	s->soc_pct = s->mode = -1;
	s->soc_wh = -1;
	if (json_object_get(o, "soc_pct") == NULL &&
	    json_object_get(o, "soc_wh") == NULL &&
	    json_object_get(o, "mode") == NULL)
		return 0;
	if (v < 2 || strcmp(s->kind, "battery") != 0)
		return dk_fail(e, DK_EX_DATAERR, "soc_pct, soc_wh and mode: "
		    "fields of a battery's sample of version 2");
	s->batt = 1;
	if (json_object_get(o, "soc_pct") != NULL) {
		if (dk_get_int(o, "soc_pct", 0, 100, &n, e) < 0)
			return -1;
		s->soc_pct = n;
	}
	if (json_object_get(o, "soc_wh") != NULL) {
		if (dk_get_int(o, "soc_wh", 0, 999999999, &n, e) < 0)
			return -1;
		s->soc_wh = n;
	}
	if ((x = json_object_get(o, "mode")) != NULL) {
		if ((m = json_string_value(x)) == NULL ||
		    (s->mode = dk_batt_mode_code(m)) < 0)
			return dk_fail(e, DK_EX_DATAERR, "mode: must be one of "
			    "other, rapid-charge, charge, discharge, standby, "
			    "test, auto, restart, recalculate");
	}
	if (dk_batt_state_check(s, why, sizeof(why)) < 0)
		return dk_fail(e, DK_EX_DATAERR, "%s", why);
	return 0;
}

/* A SetC frame of n properties to deoj; its length, 0 when it does not
 * fit in cap. */
size_t
dk_el_setc(unsigned char *buf, size_t cap, unsigned tid,
    const unsigned char seoj[3], const unsigned char deoj[3],
    const struct dk_el_setprop *p, int n)
{
	size_t len = 12;
	int i;

	for (i = 0; i < n; i++)
		len += 2 + p[i].pdc;
	if (n < 1 || n > 255 || cap < len)
		return 0;
	dk_el_head(buf, tid, seoj, deoj, DK_EL_SETC, n);
	for (len = 12, i = 0; i < n; i++) {
		buf[len] = p[i].epc;
		buf[len + 1] = p[i].pdc;
		memcpy(buf + len + 2, p[i].edt, p[i].pdc);
		len += 2 + p[i].pdc;
	}
	return len;
}

static const char *
epc_name(int epc)
{
	switch (epc) {
	case 0xDA: return "operation mode";
	case 0xEB: return "charging power";
	case 0xEC: return "discharging power";
	case 0xE7: return "charging amount";
	case 0xE8: return "discharging amount";
	}
	return "property";
}

/*
 * Checks the answer f to the SetC of p[0..n-1]: 0 when it is a Set_Res
 * naming each of them; else DK_EX_NO with the properties the battery
 * refused (SetC_SNA), or DK_EX_DATAERR for an answer that is neither.
 */
int
dk_batt_answer(const struct dk_el_frame *f, const struct dk_el_setprop *p,
    int n, const char *peer, struct dk_err *e)
{
	char list[512] = "";
	size_t l = 0;
	int i, j;

	if (f->esv == DK_EL_SETC_SNA) {
		for (i = 0; i < f->opc; i++)
			if (f->p[i].pdc > 0 && l < sizeof(list))
				l += snprintf(list + l, sizeof(list) - l,
				    "%s%02X (%s)", l ? ", " : "",
				    f->p[i].epc, epc_name(f->p[i].epc));
		return dk_fail(e, DK_EX_NO, "%s: %02X%02X%02X refused the "
		    "setting (SetC_SNA): %s", peer, f->seoj[0], f->seoj[1],
		    f->seoj[2], l ? list : "no property named");
	}
	if (f->esv != DK_EL_SET_RES)
		return dk_fail(e, DK_EX_DATAERR, "%s: answer with ESV %02X "
		    "(71 Set_Res or 51 SetC_SNA expected)", peer, f->esv);
	for (i = 0; i < n; i++) {
		for (j = 0; j < f->opc; j++)
			if (f->p[j].epc == p[i].epc && f->p[j].pdc == 0)
				break;
		if (j == f->opc)
			return dk_fail(e, DK_EX_DATAERR, "%s: Set_Res without "
			    "%02X (%s)", peer, p[i].epc, epc_name(p[i].epc));
	}
	return 0;
}

/*
 * Sends the SetC of p[0..n-1] to eoj through io and checks the answer
 * (same TID, from eoj), with io->retries more attempts when none comes
 * in io->timeout_ms; warn is told of each attempt without an answer.
 */
int
dk_batt_set(struct dk_el_io *io, const unsigned char eoj[3],
    const struct dk_el_setprop *p, int n, unsigned tid,
    void (*warn)(void *, const char *), void *ctx, struct dk_err *e)
{
	static const unsigned char controller[3] = { 0x05, 0xFF, 0x01 };
	static unsigned char buf[1500];
	static struct dk_el_frame f;
	unsigned char req[512];
	char why[160], msg[300];
	size_t len;
	int64_t deadline;
	int attempt, attempts = io->retries + 1, rc, got;

	for (attempt = 1; attempt <= attempts; attempt++) {
		tid = (tid + 1) & 0xFFFF;
		if ((len = dk_el_setc(req, sizeof(req), tid, controller, eoj,
		    p, n)) == 0)
			return dk_fail(e, DK_EX_SOFTWARE, "SetC: too long");
		if ((rc = io->send(io->ctx, req, len, e)) < 0)
			return -1;
		deadline = dk_el_now_ms() + io->timeout_ms;
		while (rc == 0 && (got = io->recv(io->ctx, buf, sizeof(buf),
		    deadline, e)) != 0) {
			if (got < 0)
				return -1;
			if (dk_el_parse(buf, got, &f, why, sizeof(why)) < 0) {
				snprintf(msg, sizeof(msg), "%s: frame refused: "
				    "%s", io->peer, why);
				warn(ctx, msg);
				continue;
			}
			if (f.tid != tid || memcmp(f.seoj, eoj, 3) != 0 ||
			    (f.esv != DK_EL_SET_RES &&
			    f.esv != DK_EL_SETC_SNA))
				continue;	/* INF, an earlier answer */
			return dk_batt_answer(&f, p, n, io->peer, e);
		}
		snprintf(msg, sizeof(msg), "%s: %02X%02X%02X: %s within %d ms "
		    "(attempt %d of %d)", io->peer, eoj[0], eoj[1], eoj[2],
		    rc ? "the SetC was not sent" : "no answer to the SetC",
		    io->timeout_ms, attempt, attempts);
		warn(ctx, msg);
	}
	return dk_fail(e, DK_EX_UNAVAILABLE, "%s: %02X%02X%02X: no answer to "
	    "the SetC after %d attempts of %d ms: the battery's setting is "
	    "unknown", io->peer, eoj[0], eoj[1], eoj[2], attempts,
	    io->timeout_ms);
}
