/* denki-bid: a household's readings become signed orders for the next slot. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "meter/meter.h"
#include "prog.h"

static const char *prog = "denki-bid";
static const char usage[] =
    "usage: denki-bid [-fkn] [-c config] [-D key=value] [-F feed] [-l ledger] "
    "[-s slot [-N count] [-r days]] [readings ...]\n";

struct run {
	struct dk_prog P;
	struct dk_bidder b;
	const char *ledger, *feed;
	int64_t first;		/* -s; INT64_MIN: after the newest reading */
	long count;		/* -N */
	long days, done;	/* -r: the days to bid (0: one run), bid */
	int bad;
};

static void
warn(void *ctx, const char *msg)
{
	(void)ctx;
	dk_warnx(prog, "%s", msg);
}

static long
number(const char *arg, char c, long max, const char *what)
{
	char *end;
	long n = strtol(arg, &end, 10);

	if (*arg != '\0' && *end == '\0' && n >= 1 && n <= max)
		return n;
	dk_warnx(prog, "-%c %s: must be 1 to %ld %s", c, arg, max, what);
	exit(DK_EX_USAGE);
}

/* A run's orders (day: -r's, from -s), printed once they are marked
 * sent (committed). */
static int
bid(struct run *R, long day, struct dk_err *e)
{
	char *text;
	size_t len;
	int rc;

	if ((rc = dk_bidder_run(&R->b, R->ledger, R->feed, R->P.keep,
	    R->first == INT64_MIN ? R->first : R->first + day * 86400,
	    R->count, &text, &len, e)) < 0)
		return -1;
	R->bad |= rc;
	if (len > 0)
		fwrite(text, 1, len, stdout);
	free(text);
	return 0;
}

/* -r: the days whose first slot is no later than slot bid, the
 * readings before committed (a fresh transaction after). */
static int
days_to(struct run *R, int64_t slot, struct dk_err *e)
{
	if (R->done >= R->days || slot < R->first + R->done * 86400)
		return 0;
	if (dk_db_commit(R->b.db, e) < 0)
		return -1;
	for (; R->done < R->days && slot >= R->first + R->done * 86400;
	    R->done++)
		if (bid(R, R->done, e) < 0)
			return -1;
	return dk_db_begin(R->b.db, e);
}

int
main(int argc, char *argv[])
{
	static struct run R;
	struct dk_err e = { 0 }, ce = { 0 };
	struct dk_conf conf = { 0 };
	struct dk_reader rd;
	struct dk_bidder *b = &R.b;
	const char *slotarg = NULL;
	char *line;
	int c, rc, argi;
	long n;
	json_t *rec;
	struct dk_flatreading fr;

	b->warn = warn;
	R.count = 1;
	R.first = INT64_MIN;
	dk_prog_init(&R.P, prog, usage, DK_PROG_CONF | DK_PROG_KEEP |
	    DK_PROG_DRY, argc);
	while ((c = dk_prog_opt(&R.P, argc, argv, "s:N:r:fF:l:")) != -1)
		switch (c) {
		case 'F':
			R.feed = optarg;
			break;
		case 'l':
			R.ledger = optarg;
			break;
		case 's':
			slotarg = optarg;
			break;
		case 'N':
			R.count = number(optarg, 'N', 100000, "slots");
			break;
		case 'r':
			R.days = number(optarg, 'r', 3660, "days");
			break;
		case 'f':
			b->force = 1;
			break;
		}
	/* -r: from -s; the feed read each day, not from standard input
	 * (it would take the readings after the first day) */
	if (R.days > 0 && (slotarg == NULL || (R.feed != NULL &&
	    strcmp(R.feed, "-") == 0))) {
		dk_warnx(prog, "-r %ld: %s", R.days, slotarg == NULL ? "the "
		    "days start at -s slot" : "-F -: the feed is read each "
		    "day, not from standard input");
		return DK_EX_USAGE;
	}
	b->dry = R.P.dry;
	dk_db_one_thread();
	if (dk_init(&e) < 0 || dk_prog_conf(&R.P, &conf, DK_CONF_HOME,
	    &e) < 0 || dk_bidder_open(b, &conf, &e) < 0)
		goto fail;
	if (slotarg != NULL && dk_slot_parse(slotarg, b->rules.slot_minutes,
	    &R.first, &e) < 0) {
		dk_failpre(&e, "-s");
		e.status = DK_EX_USAGE;
		goto fail;
	}
	if (slotarg == NULL)
		dk_prog_need_input(&R.P, argc, "readings");
	/* the readings: into the history, refused ones named by file:line,
	 * a file's in one transaction (the ones kept before a refusal too);
	 * with -r, a day's orders made at its first reading */
	for (argi = optind; argi < argc || (argi == optind &&
	    !(slotarg != NULL && isatty(0))); argi++) {
		if (dk_reader_open(&rd, argi < argc ? argv[argi] : "-",
		    &e) < 0 || dk_db_begin(b->db, &e) < 0)
			goto fail;
		while ((n = dk_reader_next(&rd, &line, &e)) >= 0) {
			if (n == 0)
				continue;
			/* a grid reading's line as meter-read writes it,
			 * read without a tree */
			if (dk_bidder_flat(b, line, (size_t)n, &fr)) {
				if ((rc = R.days > 0 ? days_to(&R, fr.slot,
				    &e) : 0) == 0)
					rc = dk_bidder_put(b, &fr, &e);
				if (rc < 0)
					goto fail;
				continue;
			}
			rc = 1;
			/* a meter's line, flat and canonical, built without
			 * the parser */
			if (((rec = dk_parse_flat(line, n)) != NULL ||
			    (rec = dk_parse(line, n, &e)) != NULL) && (rc =
			    R.days > 0 ? days_to(&R, dk_record_slot(rec), &e) :
			    0) == 0)
				rc = dk_bidder_reading(b, rec, &e);
			json_decref(rec);
			if (rc < 0)
				goto fail;
			if (rc == 0)
				continue;
			dk_warnx(prog, "%s:%ld: %s", rd.name, rd.line, e.msg);
			R.bad = 1;
			e.status = 0;
			if (!R.P.keep) {
				dk_reader_close(&rd);
				if (dk_db_commit(b->db, &e) < 0)
					goto fail;
				dk_bidder_close(b);
				dk_conf_free(&conf);
				return DK_EX_DATAERR;
			}
		}
		if (dk_db_commit(b->db, e.status != 0 ? &ce : &e) < 0 ||
		    e.status != 0)
			goto fail;
		dk_reader_close(&rd);
		if (argi >= argc)
			break;
	}
	/* the days left (all of them with no reading of theirs), or the
	 * one run */
	for (; R.done < (R.days > 0 ? R.days : 1); R.done++)
		if (bid(&R, R.done, &e) < 0)
			goto fail;
	dk_bidder_close(b);
	dk_conf_free(&conf);
	dk_prog_free(&R.P);
	c = dk_finish_stdout(prog);
	return c ? c : R.bad ? DK_EX_DATAERR : DK_EX_OK;
fail:
	dk_bidder_close(b);
	dk_conf_free(&conf);
	return dk_prog_fail(&R.P, &e);
}
