/* denki-settle: metered energy against contracts, money to the unit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denki.h"
#include "prog.h"

static const char *prog = "denki-settle";
static const char usage[] =
    "usage: denki-settle [-kn] [-c config] [-D key=value] [readings ...]\n";

static const char *
str(json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

/* The readings of every operand (stdin without one) into run: 0, or a
 * rejected reading without -k (DK_EX_DATAERR), or -1 with e filled. */
static int
read_input(struct dk_settle_run *run, int argc, char *argv[],
    const struct dk_rules *rules, int keep, int *bad, struct dk_err *e)
{
	struct dk_reader r;
	char *line;
	long n;
	int argi;

	for (argi = optind; argi < argc || argi == optind; argi++) {
		if (dk_reader_open(&r, argi < argc ? argv[argi] : "-", e) < 0)
			return -1;
		while ((n = dk_reader_next(&r, &line, e)) >= 0) {
			if (n == 0)
				continue;
			switch (dk_settle_run_add(run, line, n, r.name, r.line,
			    rules, e)) {
			case DK_SETTLE_GAP:
				dk_warnx(prog, "%s:%ld: %s", r.name, r.line,
				    e->msg);
				break;
			case DK_SETTLE_REJECTED:
				dk_warnx(prog, "%s:%ld: rejected: %s", r.name,
				    r.line, e->msg);
				e->status = 0;
				*bad = 1;
				if (!keep)
					return DK_EX_DATAERR;
				break;
			case -1:
				return -1;
			}
		}
		if (e->status != 0)
			return -1;
		dk_reader_close(&r);
		if (argi >= argc)
			break;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_coop C;
	struct dk_settle_run run = { 0 };
	size_t i, j, k;
	int c, bad = 0, rc, noprint = 0;
	json_t *out, *x;
	/* stdout's buffer not malloc's: freed by fclose after the run's
	 * millions of small blocks, it had malloc gather them all (0.18 s) */
	static char obuf[1 << 16];

	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	dk_jalloc_on();		/* before the first JSON value */
	out = json_array();
	dk_prog_init(&P, prog, usage, DK_PROG_CONF | DK_PROG_KEEP |
	    DK_PROG_DRY, argc);
	while (dk_prog_opt(&P, argc, argv, "") != -1)
		;
	if (dk_prog_coop(&P, &C, DK_COOP_RULES, &e) < 0 ||
	    dk_settle_run_init(&run, &C.conf, &e) < 0)
		goto fail;
	dk_prog_need_input(&P, argc, "readings");
	if ((rc = read_input(&run, argc, argv, &C.rules, P.keep, &bad, &e)) < 0)
		goto fail;
	if (rc > 0)
		return rc;
	if (run.nother > 0)
		dk_warnx(prog, "%ld pv or battery reading%s: not billed, not "
		    "settled", run.nother, run.nother == 1 ? "" : "s");
	dk_settle_run_sort(&run);
	/* to /dev/null: the records are not kept for it, nor read back */
	run.unread = dk_stdout_null();
	/* the secret key only now, when it is about to sign */
	run.wp = &C.wp;
	if (dk_conf_key(&C.conf, "operator.key", 1, &C.op, &e) < 0 ||
	    dk_coop_witnesses(&C, &e) < 0 ||
	    dk_settle_run_open(&run, &C.l, C.lpath, &C.op, dk_conf_str(&C.conf,
	    "origin", DK_ORIGIN), &C.st, &e) < 0)
		goto fail;
	C.lopen = 1;
	/* the ledger's entries written as they come, not held to the
	 * end (a month at 1,000 homes is 2 GB), the openings of their
	 * commitments synced to the store before them */
	if (!P.dry)
		dk_ledger_spill(&C.l, DK_LEDGER_HOLD, dk_settle_run_ahead,
		    &run);
	dk_coop_witness_on(&C);
	/* the meters' signatures on every core, while the slots are
	 * settled in order, each after the verdicts on its readings */
	dk_settle_run_precheck(&run, &C.st.reg, sysconf(_SC_NPROCESSORS_ONLN));
	if (run.ndup > 0)
		dk_warnx(prog, "%ld reading%s given again, the same bytes: "
		    "counted once", run.ndup, run.ndup == 1 ? "" : "s");
	for (i = 0; i < run.n; i = j) {
		rc = dk_settle_run_slot(&run, i, &j, &C.st, &C.l, C.rules.tz, out,
		    &e);
		if (rc < 0)
			goto fail;
		if (rc == DK_SETTLE_WAIT)
			dk_warnx(prog, "%s", e.msg);
		if (rc == DK_SETTLE_REJECTED) {
			for (k = i; k < j; k++) {
				if (e.item >= 0 && (size_t)e.item != k)
					continue;
				if (run.v[k].file == NULL)	/* a slot due */
					dk_warnx(prog, "rejected: %s", e.msg);
				else
					dk_warnx(prog, "%s:%ld: rejected: %s",
					    run.v[k].file, run.v[k].line, e.msg);
			}
			e.status = 0;
			bad = 1;
			if (!P.keep)
				goto done;
		}
	}
	/* the checks' threads ended: no slot is left to wait for them */
	dk_settle_run_check_stop(&run);
	if (dk_settle_run_finish(&run, &C.l, P.dry, &e) < 0)
		goto fail;
	json_array_foreach(out, i, x) {
		if (json_object_get(x, "provisional") != NULL)
			dk_warnx(prog, "slot %s: participant %s settled "
			    "provisionally, on its contracts: no reading of "
			    "meter %s by the deadline", str(x, "slot"),
			    str(x, "participant"), json_string_value(
			    json_array_get(json_object_get(x, "provisional"),
			    0)));
		else if (strcmp(str(x, "type"), "trueup") == 0)
			dk_warnx(prog, "slot %s: participant %s trued up: "
			    "deviation %lld Wh, net %+lld", str(x, "slot"),
			    str(x, "participant"), (long long)
			    json_integer_value(json_object_get(x,
			    "deviation_wh")), (long long)json_integer_value(
			    json_object_get(x, "net")));
	}
	/* the lines the ledger holds read there: it is closed below */
	if (dk_settle_run_print(&run, &C.l, stdout, &e) == -1) {
		dk_warnx(prog, "%s (it is appended: denki-ledger-export "
		    "shows it)", e.msg);
		noprint = e.status;
	}
done:
	if (bad && !P.keep)
		dk_warnx(prog, "nothing was appended");
	/* the state first: freed after the run's readings, its first big
	 * block had malloc gather every small one they left (0.3 s) */
	dk_coop_free(&C);
	dk_settle_run_free(&run);	/* the checks' threads stopped first */
	json_decref(out);
	c = dk_finish_stdout(prog);
	return c ? c : noprint ? noprint : bad ? DK_EX_DATAERR : DK_EX_OK;
fail:
	dk_key_free(&C.op);
	/* openings written ahead of a run that fails: cut, after the
	 * ledger's lines that they open */
	if (run.oahead) {
		if (C.lopen)
			dk_ledger_close(&C.l);
		dk_openings_cut(run.opath, run.obefore);
	}
	return dk_prog_fail(&P, &e);
}
