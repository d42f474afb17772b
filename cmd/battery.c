/* denki-battery: sets a home battery's operation mode, power and amount
 * by ECHONET Lite SetC, and checks its answer. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "meter/meter.h"
#include "prog.h"

static const char *prog = "denki-battery";
static const char usage[] =
    "usage: denki-battery [-n] [-c config] [-D key=value] [-w watts] "
    "[-e wh] mode\n"
    "       denki-battery [-n] [-c config] [-D key=value] -s slot|now\n"
    "       mode: charge, rapid-charge, discharge, standby or auto\n";

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 }
};

static void
warn(void *ctx, const char *msg)
{
	(void)ctx;
	dk_warnx(prog, "%s", msg);
}

/* -w and -e: 0 to 999999999 (the EDT's range, uint32) */
static long long
num(const struct dk_prog *P, const char *opt, const char *arg)
{
	char *end;
	long long v = strtoll(arg, &end, 10);

	if (*arg == '\0' || *end != '\0' || v < 0 || v > 999999999) {
		dk_warnx(prog, "%s %s: must be a whole number from 0 to "
		    "999999999", opt, arg);
		dk_prog_usage(P, DK_EX_USAGE);
	}
	return v;
}

static void
prop(struct dk_el_setprop *p, int epc, int pdc, long long v)
{
	int i;

	p->epc = epc;
	p->pdc = pdc;
	for (i = 0; i < pdc; i++)
		p->edt[i] = v >> 8 * (pdc - 1 - i) & 0xFF;
}

/* battery.eoj: six hex digits of class 027D */
static int
eoj_of(const struct dk_conf *c, unsigned char eoj[3], struct dk_err *e)
{
	const char *s = dk_conf_str(c, "battery.eoj", "027D01");
	unsigned v[3];
	int n = 0;

	if (strlen(s) != 6 || sscanf(s, "%2x%2x%2x%n", &v[0], &v[1], &v[2],
	    &n) != 3 || n != 6 || v[0] != 0x02 || v[1] != 0x7D)
		return dk_fail(e, DK_EX_CONFIG, "battery.eoj: must be six hex "
		    "digits of a storage battery, 027Dxx, got \"%.20s\"", s);
	eoj[0] = v[0];
	eoj[1] = v[1];
	eoj[2] = v[2];
	return 0;
}

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_conf conf;
	struct dk_el_setprop p[3];
	struct dk_el_io io;
	struct dk_el_udp *x;
	static const unsigned char controller[3] = { 0x05, 0xFF, 0x01 };
	unsigned char eoj[3], frame[64];
	const char *host, *slot = NULL;
	long long watts = -1, wh = -1;
	int c, mode, n = 0, rc;
	size_t len, i;

	dk_prog_init(&P, prog, usage, DK_PROG_CONF | DK_PROG_DRY, argc);
	P.lo = longopts;
	while ((c = dk_prog_opt(&P, argc, argv, "w:e:s:")) != -1)
		switch (c) {
		case 'w': watts = num(&P, "-w", optarg); break;
		case 'e': wh = num(&P, "-e", optarg); break;
		case 's': slot = optarg; break;
		}
	if (slot != NULL && (optind != argc || watts >= 0 || wh >= 0))
		dk_prog_usage(&P, DK_EX_USAGE);
	if (slot == NULL && optind != argc - 1)
		dk_prog_usage(&P, DK_EX_USAGE);
	mode = slot != NULL ? 0x44 : dk_batt_mode_code(argv[optind]);
	if (mode != 0x41 && mode != 0x42 && mode != 0x43 && mode != 0x44 &&
	    mode != 0x46) {
		dk_warnx(prog, "%s: not a mode to set: charge, rapid-charge, "
		    "discharge, standby or auto", argv[optind]);
		dk_prog_usage(&P, DK_EX_USAGE);
	}
	if ((watts >= 0 || wh >= 0) && (mode == 0x44 || mode == 0x46)) {
		dk_warnx(prog, "-w and -e go with charge, rapid-charge or "
		    "discharge, not %s", argv[optind]);
		dk_prog_usage(&P, DK_EX_USAGE);
	}
	memset(&conf, 0, sizeof(conf));
	if (dk_init(&e) < 0 || dk_prog_conf(&P, &conf, DK_CONF_HOME, &e) < 0 ||
	    eoj_of(&conf, eoj, &e) < 0 || (slot != NULL &&
	    dk_batt_follow(&conf, slot, &mode, &watts, &wh, &e) != 0))
		goto fail;
	/* the power and the amount first, then the mode that uses them */
	if (watts >= 0)
		prop(&p[n++], mode == 0x43 ? 0xEC : 0xEB, 4, watts);
	if (wh >= 0)
		prop(&p[n++], mode == 0x43 ? 0xE8 : 0xE7, 4, wh);
	prop(&p[n++], 0xDA, 1, mode);
	if (P.dry) {
		/* TID 0001: a real run numbers its frames from the clock */
		len = dk_el_setc(frame, sizeof(frame), 1, controller, eoj, p,
		    n);
		for (i = 0; i < len; i++)
			printf("%02x", frame[i]);
		putchar('\n');
		dk_conf_free(&conf);
		return dk_finish_stdout(prog);
	}
	host = dk_conf_str(&conf, "battery.host", dk_conf_str(&conf,
	    "meter.echonet.host", NULL));
	if (host == NULL) {
		dk_fail(&e, DK_EX_CONFIG, "battery.host (or meter.echonet.host): "
		    "the battery's node is not set");
		goto fail;
	}
	if ((x = dk_el_udp_open(&conf, host, &io, &e)) == NULL)
		goto fail;
	rc = dk_batt_set(&io, eoj, p, n, (unsigned)time(NULL) & 0xFFFF, warn,
	    NULL, &e);
	dk_el_udp_close(x);
	if (rc < 0)
		goto fail;
	dk_conf_free(&conf);
	return dk_finish_stdout(prog);
fail:
	dk_conf_free(&conf);
	return dk_prog_fail(&P, &e);
}
