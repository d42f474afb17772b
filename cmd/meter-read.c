/* denki-meter-read: a meter's energy per slot, as reading records. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "meter/meter.h"
#include "prog.h"

static const char *prog = "denki-meter-read";
static const char usage_fmt[] =
    "usage: denki-meter-read [-u] [-c config] [-D key=value] "
    "[-d csv] [-m meter] [file ...]\n"
    "       denki-meter-read [-u] [-c config] [-D key=value] -d sim "
    "[-m meter] -s start -n slots\n"
    "       denki-meter-read [-u] [-c config] [-D key=value] -d driver "
    "[-m meter] [file ...]\n"
    "       denki-meter-read -p [-c config] [-D key=value] [-d driver] "
    "[-m meter] [file ...]\n"
    "       denki-meter-read -P [-c config] [-D key=value] [-m meter]\n"
    "drivers: %s\n";

struct out {
	int unbuffered;
	long n;
	const struct dk_key *key;	/* signs readings; NULL: unsigned */
};

/* A record to stdout, signed with the device key, flushed with -u. */
static int
put(void *ctx, json_t *r, struct dk_err *e)
{
	struct out *o = ctx;

	if (o->key != NULL && dk_sign_record(r, o->key, e) < 0)
		return -1;
	if (dk_emit(stdout, r) < 0 || (o->unbuffered && fflush(stdout) != 0))
		return dk_fail(e, DK_EX_IOERR, "write error on stdout: %s",
		    strerror(errno));
	o->n++;
	return 0;
}

/* A reading's line (csv, sim: signed where it was made), the same. */
static int
put_line(void *ctx, const char *line, struct dk_err *e)
{
	struct out *o = ctx;
	size_t n = strlen(line);

	if (fwrite(line, 1, n, stdout) != n || putchar('\n') == EOF ||
	    (o->unbuffered && fflush(stdout) != 0))
		return dk_fail(e, DK_EX_IOERR, "write error on stdout: %s",
		    strerror(errno));
	o->n++;
	return 0;
}

static void
warn(void *ctx, const char *msg)
{
	(void)ctx;
	dk_warnx(prog, "%s", msg);
}

/* A device driver: its samples stored, walked and delivered; or with -p
 * (probe) what the device says now, printed as sample records. */
static int
device(struct dk_prog *P, struct dk_storeopt *so, int probe, struct out *o,
    int argc, char *argv[], struct dk_err *e)
{
	int samples = strcmp(so->driver, "samples") == 0;

	if (optind != argc && !samples) {
		dk_warnx(prog, "-d %s: a device driver takes no files",
		    so->driver);
		dk_prog_usage(P, DK_EX_USAGE);
	}
	if (optind == argc && samples &&
	    dk_conf_str(so->conf, "meter.samples.file", NULL) == NULL)
		dk_prog_need_input(P, argc, "file");
	if (!probe) {
		so->files = argv + optind;
		so->nfiles = argc - optind;
		so->each = o->unbuffered;
		so->out = dk_stdout_line;
		return dk_store_run(so, e);
	}
	if (optind < argc && dk_drv_file(so->conf, argv[optind], e) < 0)
		return -1;
	if (argc - optind > 1) {
		dk_warnx(prog, "-p -d samples: one file");
		dk_prog_usage(P, DK_EX_USAGE);
	}
	return dk_store_probe(so, put, o, e);
}

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	static struct dk_conf conf;	/* reachable at every exit */
	struct dk_rules rules;
	struct dk_storeopt so;
	struct dk_csvopt co;
	struct dk_devkey dev;
	struct out o = { 0, 0, NULL };
	const char *driver = NULL, *meter = NULL, *start = NULL;
	char usage[1024], *end, *pub;
	long long nslots = -1;
	int c, probe = 0, rc;

	snprintf(usage, sizeof(usage), usage_fmt, dk_driver_names());
	dk_prog_init(&P, prog, usage, DK_PROG_CONF, argc);
	while ((c = dk_prog_opt(&P, argc, argv, "d:m:s:n:pPu")) != -1)
		switch (c) {
		case 'd':
			driver = optarg;
			break;
		case 'm':
			meter = optarg;
			break;
		case 's':
			start = optarg;
			break;
		case 'n':
			nslots = strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || nslots < 1 ||
			    nslots > 1000000) {
				dk_warnx(prog, "-n %s: must be 1 to 1000000 "
				    "slots", optarg);
				return DK_EX_USAGE;
			}
			break;
		case 'p':
		case 'P':
			probe = c;
			break;
		case 'u':
			o.unbuffered = 1;
			break;
		default:
			dk_prog_usage(&P, DK_EX_USAGE);
		}
	memset(&dev, 0, sizeof(dev));
	if (dk_prog_conf(&P, &conf, DK_CONF_HOME, &e) < 0 ||
	    dk_home_rules(&conf, &rules, &e) < 0)
		goto fail;
	if (driver == NULL)
		driver = dk_conf_str(&conf, "meter.driver", "csv");
	meter = dk_home_meter(&conf, meter);
	if (meter == NULL || !dk_valid_id(meter)) {
		dk_warnx(prog, "%s: the meter id (-m, or meter.id in the "
		    "configuration) must be 1 to 32 of [A-Za-z0-9._-]",
		    meter ? meter : "no meter");
		return DK_EX_USAGE;
	}
	memset(&so, 0, sizeof(so));
	so.driver = driver;
	so.conf = &conf;
	so.rules = &rules;
	so.meter = meter;
	so.warn = warn;
	so.dev = &dev;
	so.drv = dk_driver_find(driver);
	if (so.drv == NULL && strcmp(driver, "csv") != 0 &&
	    strcmp(driver, "sim") != 0) {
		dk_warnx(prog, "-d %s: unknown driver (%s)", driver,
		    dk_driver_names());
		return DK_EX_USAGE;
	}
	if (probe == 'p' && so.drv == NULL) {
		dk_warnx(prog, "-p: -d %s is not a device driver", driver);
		return DK_EX_USAGE;
	}
	if (start == NULL)
		start = dk_conf_str(&conf, "sim.start", NULL);
	if (probe == 0 && strcmp(driver, "sim") == 0 &&
	    (start == NULL || optind != argc)) {
		dk_warnx(prog, "-d sim: -s start (a slot) is needed, and no "
		    "files");
		dk_prog_usage(&P, DK_EX_USAGE);
	}
	if (probe == 0 && so.drv == NULL)
		dk_prog_need_input(&P, argc, "file");
	if (probe == 'P' && optind != argc)
		dk_prog_usage(&P, DK_EX_USAGE);
	/* csv and sim sign as they go: the key first (a device driver's
	 * run opens it once the samples are stored) */
	rc = -1;
	if ((probe == 'P' || so.drv == NULL) &&
	    dk_devkey_open(&dev, &conf, meter, &e) < 0)
		goto done;
	o.key = dev.path != NULL ? &dev.key : NULL;
	if (probe == 'P' && (pub = dk_devkey_pub_text(&dev, meter, &e)) == NULL)
		dk_failpre(&e, "-P");
	else if (probe == 'P') {
		fputs(pub, stdout);	/* a write error: dk_finish_stdout */
		free(pub);
		rc = 0;
	} else if (so.drv != NULL)
		rc = device(&P, &so, probe, &o, argc, argv, &e);
	else {
		memset(&co, 0, sizeof(co));
		co.meter = meter;
		co.rules = &rules;
		co.warn = warn;
		co.line = put_line;
		co.key = o.key;
		rc = strcmp(driver, "sim") == 0 ?
		    dk_read_sim(&conf, &co, start, nslots, NULL, &o, &e) :
		    dk_read_csv(&conf, &co, argv + optind, argc - optind,
		    NULL, &o, &e);
	}
done:
	/* once, on the run that made the key: where its public half is */
	if (dev.made)
		dk_warnx(prog, "made the device key of meter %s: %s (0600); "
		    "its public key %s goes in the meter's enrolment request",
		    meter, dev.path, dev.pub);
	dk_devkey_free(&dev);
	if (rc < 0)
		goto fail;
	dk_conf_free(&conf);
	dk_prog_free(&P);
	return dk_finish_stdout(prog);
fail:
	fflush(stdout);
	return dk_prog_fail(&P, &e);
}
