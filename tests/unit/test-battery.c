/* Unit tests of lib/meter/battery.c: the SetC frame, the answers to it
 * (real frames: Set_Res, SetC_SNA, a stranger's, a late one), the
 * battery's state in a sample. */
#include "check.h"
#include "meter/meter.h"

static const unsigned char batt[3] = { 0x02, 0x7D, 0x01 };
static const unsigned char ctl[3] = { 0x05, 0xFF, 0x01 };

static size_t
unhex(const char *h, unsigned char *b)
{
	size_t n = 0;
	unsigned x;

	while (sscanf(h + 2 * n, "%2x", &x) == 1)
		b[n++] = x;
	return n;
}

/* a fake node: the frames it answers with, one a recv, in order */
struct fake {
	const char *answers[4];
	int next, sent;
	unsigned char last[64];
	size_t lastlen;
};

static int
fsend(void *ctx, const unsigned char *b, size_t len, struct dk_err *e)
{
	struct fake *f = ctx;

	(void)e;
	f->sent++;
	memcpy(f->last, b, len);
	f->lastlen = len;
	return 0;
}

static int
frecv(void *ctx, unsigned char *b, size_t cap, int64_t deadline,
    struct dk_err *e)
{
	struct fake *f = ctx;
	char h[200];

	(void)cap;
	(void)deadline;
	(void)e;
	if (f->next >= 4 || f->answers[f->next] == NULL)
		return 0;
	/* "TID" in an answer stands for the TID of the frame just sent */
	snprintf(h, sizeof(h), "%s", f->answers[f->next++]);
	if (strncmp(h + 4, "TID", 3) == 0) {
		char t[5];

		snprintf(t, sizeof(t), "%02x%02x", f->last[2], f->last[3]);
		memmove(h + 8, h + 7, strlen(h + 7) + 1);
		memcpy(h + 4, t, 4);
	}
	return (int)unhex(h, b);
}

static void
noop(void *ctx, const char *msg)
{
	int *n = ctx;

	(void)msg;
	(*n)++;
}

static void
test_frames(void)
{
	struct dk_el_setprop p[2] = { { 0xEB, 4, { 0, 0, 0x07, 0xD0 } },
	    { 0xDA, 1, { 0x42 } } };
	unsigned char b[64], want[64];
	struct dk_el_frame f;
	struct dk_err e = { 0 };
	char why[100];
	size_t n;

	n = dk_el_setc(b, sizeof(b), 0x1234, ctl, batt, p, 2);
	CHECK_INT(n, unhex("1081123405ff01027d016102eb04000007d0da0142", want));
	CHECK(memcmp(b, want, n) == 0);
	CHECK_INT(dk_el_setc(b, 10, 1, ctl, batt, p, 2), 0);
	/* Set_Res: each EPC with PDC 0 */
	n = unhex("10811234027d0105ff017102eb00da00", b);
	CHECK_INT(dk_el_parse(b, n, &f, why, sizeof(why)), 0);
	CHECK_INT(dk_batt_answer(&f, p, 2, "node", &e), 0);
	/* a Set_Res without DA */
	n = unhex("10811234027d0105ff017101eb00", b);
	dk_el_parse(b, n, &f, why, sizeof(why));
	CHECK_INT(dk_batt_answer(&f, p, 2, "node", &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_STR(e.msg, "node: Set_Res without DA (operation mode)");
	/* SetC_SNA: EB refused (its EDT echoed), DA taken */
	n = unhex("10811234027d0105ff015102eb04000007d0da00", b);
	dk_el_parse(b, n, &f, why, sizeof(why));
	CHECK_INT(dk_batt_answer(&f, p, 2, "node", &e), -1);
	CHECK_INT(e.status, DK_EX_NO);
	CHECK_STR(e.msg, "node: 027D01 refused the setting (SetC_SNA): EB "
	    "(charging power)");
}

static void
test_set(void)
{
	struct dk_el_setprop p[1] = { { 0xDA, 1, { 0x44 } } };
	struct dk_el_io io = { 0 };
	struct dk_err e = { 0 };
	struct fake f;
	int warned = 0;

	io.ctx = &f;
	io.peer = "node";
	io.timeout_ms = 10;
	io.retries = 1;
	io.send = fsend;
	io.recv = frecv;
	/* an INF, another TID, another object, then the answer */
	memset(&f, 0, sizeof(f));
	f.answers[0] = "1081000a027d0105ff017301cf0144";
	f.answers[1] = "10810999027d0105ff017101da00";
	f.answers[2] = "1081TID027901" "05ff017101da00";
	f.answers[3] = "1081TID027d01" "05ff017101da00";
	CHECK_INT(dk_batt_set(&io, batt, p, 1, 0x0099, noop, &warned, &e), 0);
	CHECK_INT(f.sent, 1);
	CHECK_INT(warned, 0);
	CHECK_INT(f.last[2] << 8 | f.last[3], 0x009A);
	/* nothing, twice: both attempts said, 69 */
	memset(&f, 0, sizeof(f));
	CHECK_INT(dk_batt_set(&io, batt, p, 1, 0xFFFF, noop, &warned, &e),
	    -1);
	CHECK_INT(e.status, DK_EX_UNAVAILABLE);
	CHECK_INT(f.sent, 2);
	CHECK_INT(warned, 2);
	CHECK_INT(f.last[2] << 8 | f.last[3], 0x0001);
	/* a malformed frame is said and passed over */
	memset(&f, 0, sizeof(f));
	warned = 0;
	f.answers[0] = "1081";
	f.answers[1] = "1081TID027d01" "05ff015101da0144";
	CHECK_INT(dk_batt_set(&io, batt, p, 1, 7, noop, &warned, &e), -1);
	CHECK_INT(e.status, DK_EX_NO);
	CHECK_INT(warned, 1);
}

static void
test_sample(void)
{
	struct dk_sample s;
	struct dk_err e = { 0 };
	json_t *o;
	char why[300], *t;

	memset(&s, 0, sizeof(s));
	snprintf(s.kind, sizeof(s.kind), "battery");
	snprintf(s.meter, sizeof(s.meter), "m1");
	s.t = 1767225600;
	s.import_mwh = s.export_mwh = DK_NOVAL;
	s.power_w = -300;
	s.batt = 1;
	s.soc_pct = 40;
	s.soc_wh = 4000;
	s.mode = 0x43;
	CHECK_INT(dk_batt_state_check(&s, why, sizeof(why)), 0);
	o = dk_sample_json(&s, "UTC");
	t = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	CHECK_STR(t, "{\"exact\":false,\"kind\":\"battery\",\"meter\":\"m1\","
	    "\"mode\":\"discharge\",\"power_w\":-300,\"soc_pct\":40,"
	    "\"soc_wh\":4000,\"time\":\"2026-01-01T00:00:00+00:00\","
	    "\"type\":\"sample\",\"v\":2}");
	free(t);
	memset(&s, 0, sizeof(s));
	CHECK_INT(dk_sample_from_json(&s, o, &e), 0);
	CHECK_INT(s.batt, 1);
	CHECK_INT(s.soc_pct, 40);
	CHECK_INT(s.soc_wh, 4000);
	CHECK_INT(s.mode, 0x43);
	/* charging with a negative power: the power is left out */
	json_object_set_new(o, "mode", json_string("charge"));
	CHECK_INT(dk_sample_from_json(&s, o, &e), -1);
	CHECK(strstr(e.msg, "D3 = -300 W while the battery says charge") !=
	    NULL);
	json_decref(o);
	memset(&s, 0, sizeof(s));
	s.batt = 1;
	s.soc_pct = 101;
	s.soc_wh = 1000000000;
	s.mode = 0x47;
	s.power_w = DK_NOVAL;
	CHECK_INT(dk_batt_state_check(&s, why, sizeof(why)), -1);
	CHECK_STR(why, "E4 = 101% is past 100: left out; E2 = 1000000000 Wh "
	    "is past 999999999: left out; operation mode 47 has no meaning: "
	    "left out");
	CHECK(s.soc_pct == -1 && s.soc_wh == -1 && s.mode == -1);
	CHECK_STR(dk_batt_mode_name(0x49), "recalculate");
	CHECK_INT(dk_batt_mode_code("rapid-charge"), 0x41);
	CHECK_INT(dk_batt_mode_code("x"), -1);
}

int
main(void)
{
	test_frames();
	test_set();
	test_sample();
	return check_done("test-battery");
}
