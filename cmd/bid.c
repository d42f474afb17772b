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
    "[-s slot [-N count]] [readings ...]\n";

static void
warn(void *ctx, const char *msg)
{
	(void)ctx;
	dk_warnx(prog, "%s", msg);
}

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 }, ce = { 0 };
	struct dk_conf conf;
	struct dk_reader rd;
	struct dk_bidder b;
	const char *slotarg = NULL, *ledger = NULL, *feed = NULL;
	struct dk_memcount mc;
	char *line, *end;
	int c, rc, bad = 0, argi;
	long count = 1, ci;
	int64_t t, slot;
	size_t i;
	long n;
	json_t *rec, *o, *orders;

	memset(&b, 0, sizeof(b));
	b.warn = warn;
	dk_prog_init(&P, prog, usage, DK_PROG_CONF | DK_PROG_KEEP | DK_PROG_DRY,
	    argc);
	while ((c = dk_prog_opt(&P, argc, argv, "s:N:fF:l:")) != -1)
		switch (c) {
		case 'F':
			feed = optarg;
			break;
		case 'l':
			ledger = optarg;
			break;
		case 's':
			slotarg = optarg;
			break;
		case 'N':
			count = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || count < 1 ||
			    count > 100000) {
				dk_warnx(prog, "-N %s: must be 1 to 100000 "
				    "slots", optarg);
				return DK_EX_USAGE;
			}
			break;
		case 'f':
			b.force = 1;
			break;
		}
	b.dry = P.dry;
	dk_db_one_thread();
	if (dk_init(&e) < 0 || dk_prog_conf(&P, &conf, DK_CONF_HOME, &e) < 0 ||
	    dk_bidder_open(&b, &conf, &e) < 0)
		goto fail;
	if (slotarg == NULL)
		dk_prog_need_input(&P, argc, "readings");
	/* the readings: into the history, refused ones named by file:line,
	 * a file's in one transaction (the ones kept before a refusal too) */
	for (argi = optind; argi < argc || (argi == optind &&
	    !(slotarg != NULL && isatty(0))); argi++) {
		if (dk_reader_open(&rd, argi < argc ? argv[argi] : "-",
		    &e) < 0 || dk_db_begin(b.db, &e) < 0)
			goto fail;
		while ((n = dk_reader_next(&rd, &line, &e)) >= 0) {
			if (n == 0)
				continue;
			rc = 1;
			if ((rec = dk_parse(line, n, &e)) != NULL)
				rc = dk_bidder_reading(&b, rec, &e);
			json_decref(rec);
			if (rc < 0)
				goto fail;
			if (rc == 0)
				continue;
			dk_warnx(prog, "%s:%ld: %s", rd.name, rd.line, e.msg);
			bad = 1;
			e.status = 0;
			if (!P.keep) {
				dk_reader_close(&rd);
				if (dk_db_commit(b.db, &e) < 0)
					goto fail;
				dk_bidder_close(&b);
				return DK_EX_DATAERR;
			}
		}
		if (dk_db_commit(b.db, e.status != 0 ? &ce : &e) < 0 ||
		    e.status != 0)
			goto fail;
		dk_reader_close(&rd);
		if (argi >= argc)
			break;
	}
	/* what happened to the orders before (the ledger, the feed): into
	 * the memory the strategy prices from; with -k, a bad one is only
	 * reported */
	if (dk_mem_read(&b, ledger, feed, &mc, &e) < 0) {
		if (e.status != DK_EX_DATAERR || !P.keep)
			goto fail;
		dk_warnx(prog, "%s; bidding from the memory as it was", e.msg);
		bad = 1;
		e.status = 0;
	}
	/* the slots: -s and -N, or the cron case: the slot after the newest
	 * reading */
	slot = b.rules.slot_minutes * 60LL;
	if (slotarg == NULL && b.latest != INT64_MIN &&
	    dk_bidder_want(&b, b.latest + slot, &e) < 0)
		goto fail;
	if (slotarg != NULL) {
		if (dk_slot_parse(slotarg, b.rules.slot_minutes, &t, &e) < 0) {
			dk_failpre(&e, "-s");
			e.status = DK_EX_USAGE;
			goto fail;
		}
		for (ci = 0; ci < count; ci++)
			if (dk_bidder_want(&b, t + ci * slot, &e) < 0)
				goto fail;
	}
	/* the orders: marked sent (committed) before they are printed */
	if (dk_bidder_orders(&b, &orders, &e) < 0)
		goto fail;
	json_array_foreach(orders, i, o)
		dk_emit(stdout, o);
	json_decref(orders);
	dk_bidder_close(&b);
	dk_conf_free(&conf);
	dk_prog_free(&P);
	c = dk_finish_stdout(prog);
	return c ? c : bad ? DK_EX_DATAERR : DK_EX_OK;
fail:
	dk_bidder_close(&b);
	return dk_prog_fail(&P, &e);
}
