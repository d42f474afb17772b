/* denki-meter-read: a meter's energy per slot, as reading records. */
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "denki.h"

static const char *prog = "denki-meter-read";

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: denki-meter-read [-u] [-c config] [-D key=value] "
	    "[-d csv] [-m meter] [file ...]\n"
	    "       denki-meter-read [-u] [-c config] [-D key=value] -d sim "
	    "[-m meter] -s start -n slots\n"
	    "       denki-meter-read [-u] [-c config] [-D key=value] -d driver "
	    "[-m meter] [file ...]\n"
	    "       denki-meter-read -p [-c config] [-D key=value] [-d driver] "
	    "[-m meter] [file ...]\n"
	    "drivers: %s\n", dk_driver_names());
	exit(code);
}

struct out {
	int unbuffered;
	long n;
};

static int
put(void *ctx, json_t *r, struct dk_err *e)
{
	struct out *o = ctx;

	if (dk_emit(stdout, r) < 0 || (o->unbuffered && fflush(stdout) != 0))
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

/* A device driver's run: store every sample, walk the counters into
 * slots, store the records, and only then print what is not delivered. */
struct store {
	struct dk_db *db;
	const char *meter;
	const char *tz;
	int64_t slot;		/* seconds */
	struct dk_key key;
	int signing;
	struct dk_sample *polled;	/* this poll's, not yet stored */
	size_t npolled, cap;
};

/* A poll's samples in one short transaction: the write lock is taken
 * only to store, never while the device is asked. */
static int
store_polled(struct store *st, struct dk_err *e)
{
	size_t i;

	if (st->npolled == 0)
		return 0;
	if (dk_db_begin(st->db, e) < 0)
		return -1;
	for (i = 0; i < st->npolled; i++)
		if (dk_db_put_sample(st->db, &st->polled[i], e) < 0) {
			dk_db_rollback(st->db);
			return -1;
		}
	if (dk_db_commit(st->db, e) < 0)
		return -1;
	st->npolled = 0;
	return 0;
}

static int
store_sample(void *ctx, const struct dk_sample *s, struct dk_err *e)
{
	struct store *st = ctx;
	struct dk_sample *c;

	/* a long file of samples is stored a part at a time */
	if (st->npolled == 4096 && store_polled(st, e) < 0)
		return -1;
	if (st->npolled == st->cap) {
		size_t n = st->cap ? st->cap * 2 : 16;
		if ((c = reallocarray(st->polled, n, sizeof(*c))) == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		st->polled = c;
		st->cap = n;
	}
	c = &st->polled[st->npolled++];
	*c = *s;
	if (c->meter[0] == '\0')
		snprintf(c->meter, sizeof(c->meter), "%s", st->meter);
	return 0;
}

static const char *
why(const char *gap)
{
	if (strcmp(gap, "no-sample") == 0)
		return "no sample within the tolerance after one of its "
		    "boundaries";
	if (strcmp(gap, "reset") == 0)
		return "a counter went backwards (meter replaced or reset?)";
	if (strcmp(gap, "registers") == 0)
		return "the export counter is known at one boundary only";
	return "more energy than a slot can hold, or less than none";
}

static json_t *
store_rec(void *ctx, const struct dk_slotres *r, struct dk_err *e)
{
	struct store *st = ctx;
	json_t *o;

	if ((o = dk_slotres_json(r, st->tz)) == NULL) {
		dk_fail(e, DK_EX_SOFTWARE, "slot %lld: out of range",
		    (long long)r->slot);
		return NULL;
	}
	if (r->gap != NULL && r->last > r->slot)
		dk_warnx(prog, "meter %s%s%s: slots %s to %s: a gap of %lld "
		    "slots, no reading: %s", r->meter,
		    strcmp(r->kind, "grid") ? " " : "",
		    strcmp(r->kind, "grid") ? r->kind : "",
		    json_string_value(json_object_get(o, "slot")),
		    json_string_value(json_object_get(o, "last")),
		    (long long)((r->last - r->slot) / st->slot + 1),
		    why(r->gap));
	else if (r->gap != NULL)
		dk_warnx(prog, "meter %s%s%s: slot %s: a gap, no reading: %s",
		    r->meter, strcmp(r->kind, "grid") ? " " : "",
		    strcmp(r->kind, "grid") ? r->kind : "",
		    json_string_value(json_object_get(o, "slot")), why(r->gap));
	if (st->signing && dk_sign_record(o, &st->key, e) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * A write to a pipe succeeds once the kernel holds the bytes, before any
 * reader has them: a reader that goes away (head -n 1, a kill) leaves
 * them unread.  So a line is handed only when the one before it has been
 * taken out of the pipe, and counts as delivered only once taken; when
 * the reader closes with it still in the pipe, it ends us as a write to a
 * closed pipe would (SIGPIPE, or 74 when that is ignored).
 */
static int
taken(int fd, struct dk_err *e)
{
	struct stat sb;
	struct pollfd p;
	struct timespec ts = { 0, 20000 };
	int n;

	if (fstat(fd, &sb) < 0 || !S_ISFIFO(sb.st_mode))
		return 0;
	for (;;) {
		if (ioctl(fd, FIONREAD, &n) < 0 || n == 0)
			return 0;
		p.fd = fd;
		p.events = 0;
		p.revents = 0;
		if (ppoll(&p, 1, &ts, NULL) > 0 &&
		    (p.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0 &&
		    ioctl(fd, FIONREAD, &n) == 0 && n > 0) {
			raise(SIGPIPE);
			errno = EPIPE;
			return dk_fail(e, DK_EX_IOERR, "write error on stdout: "
			    "%s (%d bytes unread)", strerror(errno), n);
		}
		if (ts.tv_nsec < 5000000)
			ts.tv_nsec *= 2;
	}
}

static int
put_line(void *ctx, const char *line, struct dk_err *e)
{
	struct stat sb;
	off_t off = -1;
	int err;

	(void)ctx;
	/* a file that fills up keeps no half line: cut back to the last
	 * whole one */
	if (line != NULL && fstat(fileno(stdout), &sb) == 0 &&
	    S_ISREG(sb.st_mode))
		off = lseek(fileno(stdout), 0, SEEK_CUR);
	/* one write(2) a line: a kill never leaves half of one */
	if ((line != NULL && (fputs(line, stdout) == EOF ||
	    putchar('\n') == EOF)) || fflush(stdout) != 0) {
		err = errno;
		if (off >= 0 && ftruncate(fileno(stdout), off) == 0)
			lseek(fileno(stdout), off, SEEK_SET);
		return dk_fail(e, DK_EX_IOERR, "write error on stdout: %s",
		    strerror(err));
	}
	if (line != NULL)
		return taken(fileno(stdout), e);
	/* a file: on the disk before the lines are marked delivered */
	if (fsync(fileno(stdout)) < 0 && errno != EINVAL && errno != EROFS &&
	    errno != ENOTSUP)
		return dk_fail(e, DK_EX_IOERR, "write error on stdout: %s",
		    strerror(errno));
	return 0;
}

static int
run_store(const char *driver, dk_driver_fn drv, struct dk_conf *conf,
    const struct dk_rules *rules, const char *meter, char **files,
    int nfiles, int each, struct dk_err *e)
{
	struct store st;
	struct dk_walkopt wo;
	struct dk_drv d;
	struct dk_err de = { 0 };
	char *path = NULL, *set = NULL;
	long long tol;
	long made = 0, n = 0;
	int i, rc = -1, drc = 0;

	memset(&st, 0, sizeof(st));
	st.meter = meter;
	st.tz = rules->tz;
	st.slot = rules->slot_minutes * 60LL;
	if (dk_conf_int(conf, "meter.tolerance", 60, 0,
	    rules->slot_minutes * 30LL, &tol, e) < 0)
		return -1;
	if (dk_conf_str(conf, "meter.key", NULL) != NULL) {
		if (dk_init(e) < 0 ||
		    dk_conf_key(conf, "meter.key", 1, &st.key, e) < 0)
			return -1;
		st.signing = 1;
	}
	if ((path = dk_conf_path(conf, "state", "denki-home.db")) == NULL) {
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if ((st.db = dk_db_open(path, e)) == NULL)
		goto out;
	memset(&d, 0, sizeof(d));
	d.conf = conf;
	d.sample = store_sample;
	d.warn = warn;
	d.ctx = &st;
	/* the samples of a poll stored in one transaction, kept even when
	 * the driver fails part way: what it said is not lost */
	for (i = 0; i < nfiles || i == 0; i++) {
		if (nfiles > 0) {
			free(set);
			if (asprintf(&set, "meter.samples.file=%s",
			    files[i]) < 0 || dk_conf_set(conf, set, e) < 0)
				goto out;
		}
		drc = drv(&d, &de);
		if (store_polled(&st, e) < 0)
			goto out;
		if (drc < 0)
			break;
	}
	if (d.rejected > 0)
		dk_warnx(prog, "-d %s: %ld refused (see above)", driver,
		    d.rejected);
	memset(&wo, 0, sizeof(wo));
	wo.slot_minutes = rules->slot_minutes;
	wo.tolerance = tol;
	wo.rec = store_rec;
	wo.warn = warn;
	wo.ctx = &st;
	if (dk_db_walk(st.db, &wo, &made, e) < 0)
		goto out;
	/* -u: each line marked delivered as soon as it is out */
	if (dk_db_deliver(st.db, each ? 1 : 64, put_line, NULL, &n, e) < 0)
		goto out;
	if (drc < 0) {
		*e = de;
		goto out;
	}
	rc = 0;
out:
	dk_db_close(st.db);
	free(st.polled);
	if (st.signing)
		dk_key_free(&st.key);
	free(path);
	free(set);
	return rc;
}

/* -p: what the device says now, one sample record per value */
struct probe {
	struct out *o;
	const char *meter;
	const char *tz;
};

static int
probe_put(void *ctx, const struct dk_sample *s, struct dk_err *e)
{
	struct probe *p = ctx;
	struct dk_sample c = *s;
	json_t *r;
	int rc;

	if (c.meter[0] == '\0')
		snprintf(c.meter, sizeof(c.meter), "%s", p->meter);
	if ((r = dk_sample_json(&c, p->tz)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "sample time %lld: out of "
		    "range", (long long)c.t);
	rc = put(p->o, r, e);
	json_decref(r);
	return rc;
}

int
main(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct dk_err e = { 0 };
	struct dk_conf conf;
	struct dk_rules rules;
	struct dk_csvopt opt;
	struct out o = { 0, 0 };
	const char *cfg = NULL, *driver = NULL, *meter = NULL, *start = NULL;
	char **defs;
	size_t ndefs = 0;
	long long nslots = -1, seed, peak, load;
	int64_t from;
	char *end;
	int c, i, probe = 0;
	FILE *fp;
	dk_driver_fn drv;

	defs = calloc(argc, sizeof(*defs));
	while ((c = getopt_long(argc, argv, "c:D:d:m:s:n:puh", lo, NULL)) != -1)
		switch (c) {
		case 'c':
			cfg = optarg;
			break;
		case 'D':
			defs[ndefs++] = optarg;
			break;
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
			probe = 1;
			break;
		case 'u':
			o.unbuffered = 1;
			break;
		case 'h':
			usage(0);
			break;
		case 'V':
			printf("%s %s\n", prog, DK_VERSION);
			return 0;
		default:
			usage(DK_EX_USAGE);
		}
	if (dk_conf_open(&conf, cfg, DK_CONF_HOME, defs, ndefs,
	    &e) < 0)
		goto fail;
	if (dk_conf_str(&conf, "prices.retail", NULL) == NULL)
		dk_conf_set(&conf, "prices.retail=0", &e);
	if (dk_conf_str(&conf, "prices.buyback", NULL) == NULL)
		dk_conf_set(&conf, "prices.buyback=0", &e);
	if (dk_rules_from_conf(&rules, &conf, &e) < 0)
		goto fail;
	if (driver == NULL)
		driver = dk_conf_str(&conf, "meter.driver", "csv");
	if (meter == NULL)
		meter = dk_conf_str(&conf, "meter.id", NULL);
	if (meter == NULL) {
		const char *ms = dk_conf_str(&conf, "meters", NULL);
		if (ms != NULL && strchr(ms, ',') == NULL)
			meter = ms;
	}
	if (meter == NULL || !dk_valid_id(meter)) {
		dk_warnx(prog, "%s: the meter id (-m, or meter.id in the "
		    "configuration) must be 1 to 32 of [A-Za-z0-9._-]",
		    meter ? meter : "no meter");
		return DK_EX_USAGE;
	}
	if ((drv = dk_driver_find(driver)) != NULL) {
		struct dk_drv d;
		struct probe pr = { &o, meter, rules.tz };

		if (optind != argc && strcmp(driver, "samples") != 0) {
			dk_warnx(prog, "-d %s: a device driver takes no files",
			    driver);
			usage(DK_EX_USAGE);
		}
		if (optind == argc && strcmp(driver, "samples") == 0 &&
		    dk_conf_str(&conf, "meter.samples.file", NULL) == NULL &&
		    isatty(0)) {
			dk_warnx(prog, "no file given and stdin is a terminal");
			usage(DK_EX_USAGE);
		}
		if (!probe) {
			if (run_store(driver, drv, &conf, &rules, meter,
			    argv + optind, argc - optind, o.unbuffered, &e) < 0)
				goto fail;
			dk_conf_free(&conf);
			free(defs);
			return dk_finish_stdout(prog);
		}
		for (i = optind; i < argc; i++) {
			char *set;
			if (asprintf(&set, "meter.samples.file=%s",
			    argv[i]) < 0 || dk_conf_set(&conf, set, &e) < 0)
				goto fail;
			free(set);
			break;
		}
		if (argc - optind > 1) {
			dk_warnx(prog, "-p -d samples: one file");
			usage(DK_EX_USAGE);
		}
		memset(&d, 0, sizeof(d));
		d.conf = &conf;
		d.sample = probe_put;
		d.warn = warn;
		d.ctx = &pr;
		if (drv(&d, &e) < 0)
			goto fail;
		if (d.rejected > 0)
			dk_warnx(prog, "-d %s: %ld refused (see above)", driver,
			    d.rejected);
		return dk_finish_stdout(prog);
	}
	if (probe && (strcmp(driver, "csv") == 0 || strcmp(driver, "sim") == 0)) {
		dk_warnx(prog, "-p: -d %s is not a device driver", driver);
		return DK_EX_USAGE;
	}
	if (strcmp(driver, "sim") == 0) {
		if (start == NULL)
			start = dk_conf_str(&conf, "sim.start", NULL);
		if (start == NULL || optind != argc) {
			dk_warnx(prog, "-d sim: -s start (a slot) is needed, "
			    "and no files");
			usage(DK_EX_USAGE);
		}
		if (nslots < 0 && dk_conf_int(&conf, "sim.slots", 48, 1,
		    1000000, &nslots, &e) < 0)
			goto fail;
		if (dk_slot_parse(start, rules.slot_minutes, &from, &e) < 0) {
			dk_failpre(&e, "-s");
			e.status = DK_EX_USAGE;
			goto fail;
		}
		if (dk_conf_int(&conf, "sim.seed", 1, 0, DK_MAX_SAFE_INT,
		    &seed, &e) < 0 ||
		    dk_conf_int(&conf, "sim.pv_peak_w", 4000, 0, 1000000,
		    &peak, &e) < 0 ||
		    dk_conf_int(&conf, "sim.load_w", 600, 0, 1000000, &load,
		    &e) < 0)
			goto fail;
		if (dk_meter_sim(meter, (uint64_t)seed, from, (int)nslots,
		    peak, load, &rules, put, &o, &e) < 0)
			goto fail;
		return dk_finish_stdout(prog);
	}
	if (strcmp(driver, "csv") != 0) {
		dk_warnx(prog, "-d %s: unknown driver (%s)", driver,
		    dk_driver_names());
		return DK_EX_USAGE;
	}
	memset(&opt, 0, sizeof(opt));
	opt.meter = meter;
	opt.rules = &rules;
	opt.warn = warn;
	opt.import_col = dk_conf_str(&conf, "meter.import_column", NULL);
	opt.export_col = dk_conf_str(&conf, "meter.export_column", NULL);
	if (optind == argc && isatty(0)) {
		dk_warnx(prog, "no file given and stdin is a terminal");
		usage(DK_EX_USAGE);
	}
	for (i = optind; i < argc || i == optind; i++) {
		const char *name = i < argc ? argv[i] : "-";
		if (strcmp(name, "-") == 0)
			fp = stdin;
		else if ((fp = fopen(name, "r")) == NULL) {
			dk_fail(&e, DK_EX_NOINPUT, "%s: %s", name,
			    strerror(errno));
			goto fail;
		}
		if (dk_meter_csv(fp, fp == stdin ? "stdin" : name, &opt, put,
		    &o, &e) < 0) {
			if (fp != stdin)
				fclose(fp);
			goto fail;
		}
		if (fp != stdin)
			fclose(fp);
		if (i >= argc)
			break;
	}
	dk_conf_free(&conf);
	free(defs);
	return dk_finish_stdout(prog);
fail:
	fflush(stdout);
	dk_warnx(prog, "%s", e.msg);
	return e.status ? e.status : DK_EX_SOFTWARE;
}
