/* denki-clear: the market for each slot, under the mechanism of the rules. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denki.h"
#include "prog.h"

static const char *prog = "denki-clear";
static const char usage[] =
    "usage: denki-clear [-kS] [-c config] [-D key=value] [-s slot] "
    "[-t threads] [orders ...]\n";

static void
reject(void *ctx, const char *where, const char *why)
{
	(void)ctx;
	if (strncmp(why, DK_HELD, strlen(DK_HELD)) == 0)
		dk_warnx(prog, "%s: %s", where, why);
	else
		dk_warnx(prog, "%s: rejected: %s", where, why);
}

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_coop C;
	struct dk_scache sc;
	struct dk_reader rd;
	struct dk_intake in;
	char *line, *end;
	size_t g;
	int c, argi, rc;
	long n;

	memset(&in, 0, sizeof(in));
	memset(&sc, 0, sizeof(sc));
	memset(&rd, 0, sizeof(rd));
	in.threads = sysconf(_SC_NPROCESSORS_ONLN);
	dk_jalloc_on();		/* before the first JSON value */
	dk_prog_init(&P, prog, usage, DK_PROG_CONF | DK_PROG_KEEP, argc);
	while ((c = dk_prog_opt(&P, argc, argv, "s:t:S")) != -1)
		switch (c) {
		case 's':
			in.only = optarg;
			break;
		case 'S':
			in.nosig = 1;
			break;
		case 't':
			in.threads = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || in.threads < 1 ||
			    in.threads > 256) {
				dk_warnx(prog, "-t %s: must be 1 to 256 threads",
				    optarg);
				return DK_EX_USAGE;
			}
			break;
		}
	in.keep = P.keep;
	if (in.threads < 1)
		in.threads = 1;
	if (dk_prog_coop(&P, &C, DK_COOP_RULES, &e) < 0)
		goto fail;
	if (in.only != NULL &&
	    dk_slot_parse(in.only, C.rules.slot_minutes, &in.only_t, &e) < 0) {
		dk_failpre(&e, "-s");
		e.status = DK_EX_USAGE;
		goto fail;
	}
	dk_scache_init(&sc, &C.st);	/* from LEDGER.state on */
	if (access(C.lpath, F_OK) == 0 &&
	    dk_ledger_scan(C.lpath, NULL, dk_scache_apply, &sc, &e) < 0)
		goto fail;
	dk_scache_free(&sc);
	dk_prog_need_input(&P, argc, "orders");
	in.r = &C.rules;
	in.st = &C.st;
	in.reject = reject;
	/* every line read, as it is; then the canonical ones read and their
	 * signatures checked on every core; then in input order, so that
	 * the messages come in the order of the input, the others through
	 * the JSON parser (they are few), and every order's slot */
	for (argi = optind; argi < argc || argi == optind; argi++) {
		if (dk_reader_open(&rd, argi < argc ? argv[argi] : "-",
		    &e) < 0)
			goto fail;
		while ((n = dk_reader_next(&rd, &line, &e)) >= 0)
			if (n > 0 && dk_intake_line(&in, line, (size_t)n,
			    rd.name, rd.line, &e) < 0)
				goto fail;
		if (e.status != 0)
			goto fail;
		dk_reader_close(&rd);
		if (argi >= argc)
			break;
	}
	if ((c = dk_intake_orders(&in, &e)) > 0) {
		rc = DK_EX_DATAERR;
		goto out;
	}
	/* every slot's book is filtered before anything is printed, so that
	 * a rejection without -k leaves stdout empty */
	if (c < 0 || dk_intake_books(&in, &e) < 0)
		goto fail;
	if (in.bad && !in.keep) {
		rc = DK_EX_DATAERR;
		goto out;
	}
	for (g = 0; g < in.nbooks; g++)
		if (dk_book_print(stdout, &in.books[g], &C.rules, &e) < 0)
			goto fail;
	c = in.bad;
	dk_intake_free(&in);
	dk_coop_free(&C);
	dk_prog_free(&P);
	n = dk_finish_stdout(prog);
	return n ? (int)n : c ? DK_EX_DATAERR : DK_EX_OK;
fail:
	rc = dk_prog_fail(&P, &e);
out:
	dk_reader_close(&rd);
	dk_scache_free(&sc);
	dk_intake_free(&in);
	dk_coop_free(&C);
	return rc;
}
