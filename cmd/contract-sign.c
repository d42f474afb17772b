/* denki-contract-sign: trades become operator-signed contracts in the ledger. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "denki.h"
#include "prog.h"

static const char *prog = "denki-contract-sign";
static const char usage[] =
    "usage: denki-contract-sign [-kn] [-c config] [-D key=value] "
    "[cleared ...]\n";

struct item {
	json_t *rec;		/* NULL: a flat line, parsed at its slot */
	char *line;		/* the line it was read from */
	size_t len;
	const char *name;	/* its file, and its line there */
	long lineno;
};

/* "file:line" of an item, for messages. */
static const char *
where(const struct item *it)
{
	static char w[300];

	snprintf(w, sizeof(w), "%s:%ld", it->name, it->lineno);
	return w;
}

/* The text of the written terms every contract names by their hash. */
static char *
terms_text(struct dk_conf *conf, struct dk_err *e)
{
	char *tpath, *text = NULL;
	size_t cap = 0;
	FILE *fp;

	if ((tpath = dk_conf_path(conf, "terms", NULL)) == NULL) {
		dk_fail(e, DK_EX_CONFIG, "%s: terms: missing (the path of "
		    "the written terms every contract names by their hash)",
		    conf->path ? conf->path : "config");
		return NULL;
	}
	if ((fp = fopen(tpath, "r")) == NULL ||
	    getdelim(&text, &cap, '\0', fp) < 0) {
		dk_fail(e, DK_EX_CONFIG, "terms: %s: %s", tpath,
		    strerror(errno));
		return NULL;
	}
	fclose(fp);
	free(tpath);
	return text;
}

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_coop C;
	struct dk_reader rd;
	struct dk_cleared g;
	struct dk_revhist rv;
	char *line, *text = NULL;
	const char *lines = NULL;
	size_t nitems = 0, capitems = 0, ii;
	struct item *items = NULL, *ni;
	int c, argi, bad = 0;
	long n, cores = sysconf(_SC_NPROCESSORS_ONLN);
	json_t *rec;
	/* the contracts, printed once they are in the ledger: where their
	 * texts lie in its lines (dk_ledger_lines) */
	struct dk_pendtexts at = { 0 };
	static char obuf[1 << 16];

	/* before any output (an error on stdout: dk_finish_stdout's) */
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	memset(&g, 0, sizeof(g));
	memset(&rd, 0, sizeof(rd));
	memset(&C, 0, sizeof(C));
	dk_jalloc_on();		/* before the first JSON value */
	dk_revhist_init(&rv);
	dk_prog_init(&P, prog, usage, DK_PROG_CONF | DK_PROG_KEEP |
	    DK_PROG_DRY, argc);
	while (dk_prog_opt(&P, argc, argv, "") != -1)
		;
	if (dk_prog_coop(&P, &C, DK_COOP_RULES, &e) < 0)
		goto fail;
	/* a contract names the terms its parties agreed to: none, no
	 * contract */
	if ((text = terms_text(&C.conf, &e)) == NULL)
		goto fail;
	dk_prog_need_input(&P, argc, "input");
	/*
	 * All the input first, then the lock: "clear | contract-sign" on one
	 * ledger must not hold the writer's lock while clear waits to read.
	 */
	for (argi = optind; argi < argc || argi == optind; argi++) {
		if (dk_reader_open(&rd, argi < argc ? argv[argi] : "-",
		    &e) < 0)
			goto fail;
		while ((n = dk_reader_next(&rd, &line, &e)) >= 0) {
			if (n == 0)
				continue;
			/* a flat line (every order and trade clear writes)
			 * parses at its slot, its memory used again for the
			 * next: the others here, refused before anything */
			if (dk_line_flat(line, n))
				rec = NULL;
			else if ((rec = dk_parse_flat(line, n)) == NULL &&
			    (rec = dk_parse(line, n, &e)) == NULL) {
				dk_warnx(prog, "%s:%ld: rejected: %s", rd.name,
				    rd.line, e.msg);
				e.status = 0;
				bad = 1;
				if (!P.keep) {
					dk_warnx(prog, "nothing was appended");
					c = DK_EX_DATAERR;
					goto out;
				}
				continue;
			}
			if (nitems == capitems) {
				capitems = capitems ? capitems * 2 : 256;
				if ((ni = realloc(items, capitems *
				    sizeof(*items))) == NULL)
					goto fail;
				items = ni;
			}
			items[nitems].rec = rec;
			if ((items[nitems].line = malloc(n + 1)) == NULL) {
				dk_fail(&e, DK_EX_SOFTWARE, "out of memory");
				goto fail;
			}
			memcpy(items[nitems].line, line, n + 1);
			items[nitems].len = n;
			items[nitems].name = rd.name;
			items[nitems].lineno = rd.line;
			nitems++;
		}
		if (e.status != 0)
			goto fail;
		dk_reader_close(&rd);
		if (argi >= argc)
			break;
	}
	/* the review rules read the ledger before each slot (settle.h) */
	if (dk_coop_open(&C, &e) < 0 ||
	    dk_contract_rules(&C.l, &C.st, &C.rules, text, &e) < 0 ||
	    (C.rules.review.on && dk_revhist_ledger(&rv, C.l.fd, C.lpath,
	    &e) < 0))
		goto fail;
	if (!P.dry)
		dk_ledger_spill(&C.l, DK_LEDGER_HOLD, NULL, NULL);
	/* the orders' signatures on every core, before the slots */
	for (ii = 0; ii < nitems; ii++)
		dk_order_ahead_line(items[ii].rec, items[ii].line,
		    items[ii].len, &C.rules, &C.st.reg, cores);
	dk_ahead_done();

	/* each slot's orders, trades and clearing, checked by a replay */
	for (ii = 0; ii < nitems; ii++) {
		/* a flat line parsed there, unless it is an order */
		rec = items[ii].rec;
		items[ii].rec = NULL;
		if ((c = dk_cleared_add_line(&g, rec, items[ii].line,
		    items[ii].len, &C.rules, &C.st.reg, &e)) < 0)
			goto badrec;
		if (c == 0)
			continue;
		if (dk_cleared_check(&g, &C.rules, &C.st, &e) < 0) {
			dk_cleared_free(&g);
			goto badrec;
		}
		if ((c = dk_review_hold(&rv, &C.st, g.clearing, g.contracts,
		    g.slot, &e)) < 0 ||
		    dk_cleared_append_at(&g, &C.l, &C.st, &at, &e) < 0 ||
		    dk_revhist_note(&rv, C.l.cp_note, &e) < 0)
			goto fail;
		if (c > 0)	/* a slot's held trades share one deadline */
			dk_warnx(prog, "%s: %d trade(s) held for review%s",
			    where(&items[ii]), c, g.slot - 60 * (int64_t)
			    C.st.rules.review.lead_minutes < time(NULL) ?
			    ", past the deadline already: they expire" : "");
		dk_cleared_free(&g);
		continue;
badrec:
		dk_warnx(prog, "%s: rejected: %s", where(&items[ii]), e.msg);
		e.status = 0;
		bad = 1;
		if (!P.keep) {
			dk_warnx(prog, "nothing was appended");
			goto done;
		}
	}
	if (g.trades != NULL) {
		dk_warnx(prog, "%s: the input ends before the clearing "
		    "record of its last slot (truncated?); that slot is not "
		    "signed", where(&items[nitems - 1]));
		bad = 1;
		dk_cleared_free(&g);
		if (!P.keep) {
			dk_warnx(prog, "nothing was appended");
			goto done;
		}
	}
	if (C.l.npend > 0 && !C.l.last_cp &&
	    dk_ledger_checkpoint(&C.l, &e) < 0)
		goto fail;
	if (!P.dry && dk_ledger_commit(&C.l, &e) < 0)
		goto fail;
	if (dk_stdout_null())
		at.n = 0;	/* nobody reads them: not read back */
	if (at.n > 0 && (lines = dk_ledger_lines(&C.l, &e)) == NULL) {
		dk_warnx(prog, "%s (it is appended: denki-ledger-export "
		    "shows it)", e.msg);
		c = e.status;
		goto out;
	}
	for (ii = 0; ii < at.n; ii++) {
		fwrite(lines + at.v[ii].off, 1, at.v[ii].n, stdout);
		putc('\n', stdout);
	}
done:
	c = -1;			/* the status: stdout's, then bad's */
	goto out;
fail:
	c = dk_prog_fail(&P, &e);
out:
	dk_reader_close(&rd);
	dk_cleared_free(&g);
	dk_ahead_forget();	/* before the lines it holds are freed */
	for (ii = 0; ii < nitems; ii++) {
		json_decref(items[ii].rec);
		free(items[ii].line);
	}
	free(items);
	free(at.v);
	free(text);
	dk_coop_free(&C);
	dk_revhist_free(&rv);
	if (c != -1)
		return c;
	dk_prog_free(&P);
	c = dk_finish_stdout(prog);
	return c ? c : bad > 1 ? bad : bad ? DK_EX_DATAERR : DK_EX_OK;
}
