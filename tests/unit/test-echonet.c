/* ECHONET Lite frames: every frame of tests/fixtures/echonet and
 * broute parses to the fields it carries, every truncation of each is
 * refused with a reason, Get requests are rebuilt byte for byte, every E1
 * unit converts exactly, and dk_el_read against a node written here (TID
 * mismatches, INF, garbage, Get_SNA, no answer) gives exact samples. */
#include "check.h"

#include "denki.h"

static const char *fx_echonet =
    "tests/fixtures/echonet/frames_emulator_echonet-lite-2.16.2.txt";
static const char *fx_broute = "tests/fixtures/broute/bp35a1_lines.txt";

static size_t
unhex(const char *s, unsigned char *out, size_t cap)
{
	size_t n = 0;
	unsigned v;

	while (n < cap && sscanf(s, "%2x", &v) == 1 && s[0] != ' ' &&
	    s[1] != ' ' && s[1] != '\0') {
		out[n++] = v;
		s += 2;
	}
	return n;
}

/* Every strict prefix and one byte more are refused, each with a reason. */
static void
truncations(const unsigned char *b, size_t len)
{
	struct dk_el_frame f;
	unsigned char big[600];
	char why[160];
	size_t k;
	int refused = 0;

	for (k = 0; k < len; k++) {
		why[0] = '\0';
		if (dk_el_parse(b, k, &f, why, sizeof(why)) < 0 &&
		    why[0] != '\0')
			refused++;
		else
			fprintf(stderr, "prefix %zu of %zu accepted\n", k, len);
	}
	CHECK_INT(refused, len);
	memcpy(big, b, len);
	big[len] = 0x00;
	CHECK(dk_el_parse(big, len + 1, &f, why, sizeof(why)) < 0);
	CHECK_HAS(why, "after the");
}

static uint32_t
u32(const struct dk_el_prop *p)
{
	return (uint32_t)p->edt[0] << 24 | p->edt[1] << 16 | p->edt[2] << 8 |
	    p->edt[3];
}

static void
test_fixture_frames(void)
{
	static const unsigned char ctl[3] = { 0x05, 0xFF, 0x01 };
	static const unsigned char sm[3] = { 0x02, 0x88, 0x01 };
	static const unsigned char np[3] = { 0x0E, 0xF0, 0x01 };
	FILE *fp = fopen(fx_echonet, "r");
	char line[1024], dir[8], hex[900];
	unsigned char b[450], req[64];
	struct dk_el_frame f;
	const struct dk_el_prop *p;
	char why[160];
	size_t len, rl;
	int n = 0, i;
	unsigned char epcs[16];

	CHECK(fp != NULL);
	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (line[0] == '#' || sscanf(line, "%7s %899s", dir, hex) != 2)
			continue;
		len = unhex(hex, b, sizeof(b));
		CHECK_INT(len * 2, strlen(hex));
		CHECKF(dk_el_parse(b, len, &f, why, sizeof(why)) == 0, "%s: %s",
		    hex, why);
		truncations(b, len);
		n++;
		if (strcmp(dir, "REQ") == 0) {
			/* rebuilt byte for byte by dk_el_get */
			for (i = 0; i < f.opc; i++) {
				epcs[i] = f.p[i].epc;
				CHECK_INT(f.p[i].pdc, 0);
			}
			rl = dk_el_get(req, sizeof(req), f.tid, f.seoj, f.deoj,
			    epcs, f.opc);
			CHECK_INT(rl, len);
			CHECK(memcmp(req, b, len) == 0);
			CHECK_INT(f.esv, DK_EL_GET);
			CHECK(memcmp(f.seoj, ctl, 3) == 0);
		}
		switch (f.tid << 8 | f.esv) {
		case 0x0001 << 8 | 0x72:
			CHECK(memcmp(f.seoj, sm, 3) == 0);
			CHECK(memcmp(f.deoj, ctl, 3) == 0);
			CHECK_INT(f.opc, 5);
			CHECK_INT(u32(dk_el_prop(&f, 0xE0)), 123456);
			CHECK_INT(dk_el_prop(&f, 0xE1)->edt[0], 0x01);
			CHECK_INT(u32(dk_el_prop(&f, 0xD3)), 1);
			CHECK_INT((int32_t)u32(dk_el_prop(&f, 0xE7)), -500);
			p = dk_el_prop(&f, 0xEA);
			CHECK_INT(p->pdc, 11);
			CHECK_INT(p->edt[0] << 8 | p->edt[1], 2024);
			CHECK_INT(p->edt[2], 5);
			CHECK_INT(p->edt[3], 20);
			CHECK_INT(p->edt[4], 12);
			CHECK_INT(p->edt[5], 30);
			CHECK_INT(u32(&(struct dk_el_prop){ 0, 4, p->edt + 7 }),
			    123456);
			break;
		case 0x0002 << 8 | 0x72:
			CHECK(memcmp(f.seoj, np, 3) == 0);
			p = dk_el_prop(&f, 0xD6);
			CHECK_INT(p->pdc, 4);
			CHECK_INT(p->edt[0], 1);
			CHECK(memcmp(p->edt + 1, sm, 3) == 0);
			break;
		case 0x0003 << 8 | 0x52:
			CHECK_INT(f.opc, 2);
			CHECK_INT(u32(dk_el_prop(&f, 0xE0)), 123456);
			CHECK(dk_el_prop(&f, 0xE8) == NULL);
			CHECK_INT(f.p[1].epc, 0xE8);
			CHECK_INT(f.p[1].pdc, 0);
			break;
		case 0x0001 << 8 | 0x73:
			CHECK(memcmp(f.seoj, np, 3) == 0);
			CHECK(memcmp(f.deoj, np, 3) == 0);
			CHECK_INT(dk_el_prop(&f, 0xD5)->edt[0], 1);
			break;
		}
	}
	fclose(fp);
	CHECK_INT(n, 7);
}

/* The payload of the ERXUDP line: Get_Res of 9E, 3 EPCs 81 E5 ED. */
static void
test_broute_payload(void)
{
	FILE *fp = fopen(fx_broute, "r");
	char line[1024], *last;
	unsigned char b[400];
	struct dk_el_frame f;
	const struct dk_el_prop *p;
	char why[160];
	size_t len;
	int n = 0;

	CHECK(fp != NULL);
	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "ERXUDP ", 7) != 0)
			continue;
		line[strcspn(line, "\r\n")] = '\0';
		last = strrchr(line, ' ') + 1;
		len = unhex(last, b, sizeof(b));
		CHECK_INT(len, 0x12);
		CHECKF(dk_el_parse(b, len, &f, why, sizeof(why)) == 0, "%s",
		    why);
		CHECK_INT(f.tid, 0x001A);
		CHECK_INT(f.esv, DK_EL_GET_RES);
		p = dk_el_prop(&f, 0x9E);
		CHECK(p != NULL && p->pdc == 4 && p->edt[0] == 3 &&
		    p->edt[1] == 0x81 && p->edt[2] == 0xE5 &&
		    p->edt[3] == 0xED);
		truncations(b, len);
		n++;
	}
	fclose(fp);
	CHECK_INT(n, 1);
}

static void
test_malformed(void)
{
	/* EHD, a PDC past the end, OPC past the end, extra bytes */
	static const char *bad[][2] = {
		{ "1082000105ff0102880162 01e000", "EHD" },
		{ "1081000102880105ff017201e00400", "PDC 4" },
		{ "1081000102880105ff017202e00100", "OPC 2" },
		{ "1081000102880105ff017201e0010000", "after the" },
	};
	unsigned char b[64];
	struct dk_el_frame f;
	char why[160], hex[80];
	size_t i, j, k;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (j = k = 0; bad[i][0][j] != '\0'; j++)
			if (bad[i][0][j] != ' ')
				hex[k++] = bad[i][0][j];
		hex[k] = '\0';
		why[0] = '\0';
		CHECK(dk_el_parse(b, unhex(hex, b, sizeof(b)), &f, why,
		    sizeof(why)) < 0);
		CHECK_HAS(why, bad[i][1]);
	}
	/* OPC 255 of empty properties fits; a Get of 0 or 256 EPCs does not */
	CHECK_INT(dk_el_get(b, sizeof(b), 1, b, b, b, 0), 0);
	CHECK_INT(dk_el_get(b, 13, 1, b, b, b, 1), 0);
}

static void
test_units(void)
{
	static const struct { int unit; int64_t mwh; } u[] = {
		{ 0x00, 1000000 }, { 0x01, 100000 }, { 0x02, 10000 },
		{ 0x03, 1000 }, { 0x04, 100 }, { 0x0A, 10000000 },
		{ 0x0B, 100000000 }, { 0x0C, 1000000000 },
		{ 0x0D, 10000000000LL },
	};
	int64_t v;
	size_t i;
	int c;

	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		CHECK(dk_el_energy_mwh(1, 1, u[i].unit, &v) == 0);
		CHECK_INT(v, u[i].mwh);
		CHECK(dk_el_energy_mwh(99999999, 7, u[i].unit, &v) == 0 ||
		    u[i].unit >= 0x0B);
	}
	CHECK(dk_el_energy_mwh(99999999, 7, 0x04, &v) == 0);
	CHECK_INT(v, 69999999300LL);
	CHECK(dk_el_energy_mwh(123456, 1, 0x01, &v) == 0);
	CHECK_INT(v, 12345600000LL);
	for (c = 0; c < 256; c++)
		if (c > 0x04 && c != 0x0A && c != 0x0B && c != 0x0C &&
		    c != 0x0D)
			CHECK(dk_el_energy_mwh(1, 1, c, &v) < 0);
	/* 99 999 999 x 999 999 x 10 000 kWh is past 2^53 - 1 mWh */
	CHECK(dk_el_energy_mwh(99999999, 999999, 0x0D, &v) < 0);
	CHECK(dk_el_energy_mwh(0xFFFFFFFFu, 999999, 0x00, &v) < 0);
	CHECK(dk_el_energy_mwh(9007199, 1, 0x00, &v) == 0);
	CHECK_INT(v, 9007199000000LL);
}

/* A node in memory: answers each Get after an INF, a garbage frame and a
 * stale answer (an earlier TID); leaves the first Get to the meter
 * unanswered (a retry); answers the meter with Get_SNA without EB. */
struct node {
	unsigned char out[8][300];
	int outlen[8], nout, gets;
	struct dk_sample s[8];
	int ns;
	char warns[4096];
};

static void
frame(struct node *n, unsigned tid, const unsigned char seoj[3], int esv,
    const char *props)
{
	unsigned char *b = n->out[n->nout];
	size_t len = 12;
	int opc = 0;
	const char *p = props;

	b[0] = 0x10;
	b[1] = 0x81;
	b[2] = tid >> 8;
	b[3] = tid & 0xFF;
	memcpy(b + 4, seoj, 3);
	memcpy(b + 7, "\x05\xFF\x01", 3);
	b[10] = esv;
	/* props: "EPC:hex EPC:hex ..." */
	while (*p != '\0') {
		unsigned epc;
		size_t k;

		sscanf(p, "%2x:", &epc);
		b[len++] = epc;
		p += 3;
		k = strcspn(p, " ");
		b[len++] = k / 2;
		unhex(p, b + len, k / 2);
		len += k / 2;
		p += k;
		while (*p == ' ')
			p++;
		opc++;
	}
	b[11] = opc;
	n->outlen[n->nout++] = len;
}

static int
fake_send(void *ctx, const unsigned char *b, size_t len, struct dk_err *e)
{
	static const unsigned char np[3] = { 0x0E, 0xF0, 0x01 };
	struct node *n = ctx;
	struct dk_el_frame f;
	char why[160];
	unsigned tid;

	(void)e;
	CHECK(dk_el_parse(b, len, &f, why, sizeof(why)) == 0);
	tid = f.tid;
	n->nout = 0;
	n->gets++;
	frame(n, 0x7777, np, 0x73, "D5:0102880102790101");
	memcpy(n->out[n->nout], "\x10\x81\x00", 3);	/* 3 bytes of junk */
	n->outlen[n->nout++] = 3;
	frame(n, tid - 1, f.deoj, 0x72, "D6:00");
	if (memcmp(f.deoj, np, 3) == 0)
		frame(n, tid, np, 0x72, "D6:03028801027901027D01");
	else if (f.deoj[1] == 0x88 && n->gets == 2)
		;	/* no answer: the driver asks again */
	else if (f.deoj[1] == 0x88)
		frame(n, tid, f.deoj, 0x52, "D3:0000000A D7:05 E1:02 "
		    "E0:0001869F E3:FFFFFFFE E7:7FFFFFFE "
		    "EA:07E8010100000000000064 EB:");
	else if (f.deoj[1] == 0x79)
		frame(n, tid, f.deoj, 0x72, "E0:FFFF E1:3B9AC9FF");
	else
		frame(n, tid, f.deoj, 0x52, "A8: A9: D8:00000005 D6:FFFFFFFE");
	return 0;
}

static int
fake_recv(void *ctx, unsigned char *b, size_t cap, int64_t deadline,
    struct dk_err *e)
{
	struct node *n = ctx;
	int len;

	(void)cap;
	(void)deadline;
	(void)e;
	if (n->nout == 0)
		return 0;
	len = n->outlen[0];
	memcpy(b, n->out[0], len);
	n->nout--;
	memmove(n->out[0], n->out[1], sizeof(n->out[0]) * n->nout);
	memmove(n->outlen, n->outlen + 1, sizeof(n->outlen[0]) * n->nout);
	return len;
}

static int
fake_sample(void *ctx, const struct dk_sample *s, struct dk_err *e)
{
	struct node *n = ctx;

	(void)e;
	if (n->ns < 8)
		n->s[n->ns++] = *s;
	return 0;
}

static void
fake_warn(void *ctx, const char *msg)
{
	struct node *n = ctx;

	snprintf(n->warns + strlen(n->warns), sizeof(n->warns) -
	    strlen(n->warns), "%s\n", msg);
}

static void
test_read(void)
{
	static struct node n;
	struct dk_drv d = { 0 };
	struct dk_el_io io = { 0 };
	struct dk_err e = { 0 };

	d.sample = fake_sample;
	d.warn = fake_warn;
	d.ctx = &n;
	io.ctx = &n;
	io.peer = "fake";
	io.timeout_ms = 10;
	io.retries = 1;
	io.send = fake_send;
	io.recv = fake_recv;
	CHECKF(dk_el_read(&d, &io, "Asia/Tokyo", &e) == 0, "%s", e.msg);
	/* one garbage frame refused per answer: D6, meter (x2), PV, battery */
	CHECK_INT(d.rejected, 5);
	CHECK_INT(n.gets, 5);
	CHECK_INT(n.ns, 4);
	/* meter: 99999 x 10 x 0.01 kWh; E3 no data; E7 no data */
	CHECK_STR(n.s[0].kind, "grid");
	CHECK_INT(n.s[0].import_mwh, 9999900000LL);
	CHECK_INT(n.s[0].export_mwh, DK_NOVAL);
	CHECK_INT(n.s[0].power_w, DK_NOVAL);
	CHECK_INT(n.s[0].wrap_mwh, 100000LL * 10 * 10000);
	CHECK_INT(n.s[0].exact, 0);
	/* EA 2024-01-01 00:00:00 JST = 2023-12-31T15:00:00Z, 100 x 10 x 10 Wh */
	CHECK_INT(n.s[1].t, 1704034800);
	CHECK_INT(n.s[1].exact, 1);
	CHECK_INT(n.s[1].import_mwh, 10000000);
	CHECK_INT(n.s[1].export_mwh, DK_NOVAL);
	/* PV: 999 999 999 Wh; E0 0xFFFF is no data */
	CHECK_STR(n.s[2].kind, "pv");
	CHECK_INT(n.s[2].import_mwh, 999999999000LL);
	CHECK_INT(n.s[2].power_w, DK_NOVAL);
	CHECK_INT(n.s[2].wrap_mwh, 1000000000000LL);
	/* battery: D8 for the charge, D6 no data */
	CHECK_STR(n.s[3].kind, "battery");
	CHECK_INT(n.s[3].import_mwh, 5000);
	CHECK_INT(n.s[3].export_mwh, DK_NOVAL);
	CHECK_INT(n.s[3].power_w, DK_NOVAL);
	CHECK_HAS(n.warns, "fake: 028801: no answer within 10 ms (attempt 1 "
	    "of 2)");
	CHECK_HAS(n.warns, "028801: Get_SNA without EB");
	CHECK_HAS(n.warns, "fake: frame refused: 3 bytes, shorter than the "
	    "12-byte header");
	CHECK_HAS(n.warns, "027D01: Get_SNA without A8 A9");
}

int
main(void)
{
	test_fixture_frames();
	test_broute_payload();
	test_malformed();
	test_units();
	test_read();
	return check_done("test-echonet");
}
