/* denki-clear: the market for each slot, a uniform-price double auction. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denki.h"

static const char *prog = "denki-clear";

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: denki-clear [-k] [-c config] [-D key=value] [-s slot] "
	    "[orders ...]\n");
	exit(code);
}

struct src {
	struct dk_order o;
	char *where;		/* file:line, for messages */
};

struct ctx {
	struct src *v;
	size_t n, cap;
	int bad;
};

static void
reject(void *cp, const struct dk_order *o, const char *why)
{
	struct ctx *c = cp;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (&c->v[i].o == o || c->v[i].o.rec == o->rec)
			break;
	dk_warnx(prog, "%s: rejected: %s", i < c->n ? c->v[i].where : "?",
	    why);
	c->bad = 1;
}

static int
byslot(const void *a, const void *b)
{
	const struct src *x = a, *y = b;

	if (x->o.slot != y->o.slot)
		return x->o.slot < y->o.slot ? -1 : 1;
	return 0;
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
	struct dk_state st;
	struct dk_rules rules;
	struct dk_reader rd;
	struct ctx cx = { 0 };
	struct dk_clearing cl;
	struct dk_order *book;
	const char *cfg = NULL, *slotarg = NULL;
	char **defs, *lpath = NULL, *line;
	size_t ndefs = 0, i, j, k, nb, ng = 0, g;
	struct grp {
		size_t start, n;
		int64_t slot;
	} *grp;
	int c, keep = 0, argi;
	int64_t only = 0;
	long n;
	json_t *rec, *x;

	defs = calloc(argc, sizeof(*defs));
	while ((c = getopt_long(argc, argv, "c:D:s:kh", lo, NULL)) != -1)
		switch (c) {
		case 'c':
			cfg = optarg;
			break;
		case 'D':
			defs[ndefs++] = optarg;
			break;
		case 's':
			slotarg = optarg;
			break;
		case 'k':
			keep = 1;
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
	if (dk_init(&e) < 0 || dk_conf_open(&conf, cfg, defs, ndefs, &e) < 0 ||
	    dk_rules_from_conf(&rules, &conf, &e) < 0)
		goto fail;
	if (slotarg != NULL &&
	    dk_slot_parse(slotarg, rules.slot_minutes, &only, &e) < 0) {
		dk_failpre(&e, "-s");
		e.status = DK_EX_USAGE;
		goto fail;
	}
	dk_state_init(&st);
	if ((lpath = dk_conf_path(&conf, "ledger", "ledger.jsonl")) == NULL)
		goto fail;
	if (access(lpath, F_OK) == 0 &&
	    dk_ledger_scan(lpath, NULL, dk_state_apply, &st, &e) < 0)
		goto fail;
	if (optind == argc && isatty(0)) {
		dk_warnx(prog, "no orders given and stdin is a terminal");
		usage(DK_EX_USAGE);
	}
	for (argi = optind; argi < argc || argi == optind; argi++) {
		if (dk_reader_open(&rd, argi < argc ? argv[argi] : "-",
		    &e) < 0)
			goto fail;
		while ((n = dk_reader_next(&rd, &line, &e)) >= 0) {
			struct src s;

			if (n == 0)
				continue;
			memset(&s, 0, sizeof(s));
			if ((rec = dk_parse(line, n, &e)) == NULL)
				goto badrec;
			if (dk_order_check(&s.o, rec, &rules, &st.reg, &e) < 0) {
				json_decref(rec);
				goto badrec;
			}
			if (slotarg != NULL && s.o.slot != only) {
				dk_fail(&e, DK_EX_DATAERR, "slot: %s is not "
				    "the slot being cleared (%s)",
				    json_string_value(json_object_get(rec,
				    "slot")), slotarg);
				json_decref(rec);
				goto badrec;
			}
			if (dk_state_slot(&st, s.o.slot) != NULL) {
				dk_fail(&e, DK_EX_DATAERR, "slot: %s was "
				    "already cleared into the ledger",
				    json_string_value(json_object_get(rec,
				    "slot")));
				json_decref(rec);
				goto badrec;
			}
			if (asprintf(&s.where, "%s:%ld", rd.name, rd.line) < 0)
				goto fail;
			if (cx.n == cx.cap) {
				cx.cap = cx.cap ? cx.cap * 2 : 256;
				cx.v = realloc(cx.v, cx.cap * sizeof(*cx.v));
				if (cx.v == NULL)
					goto fail;
			}
			cx.v[cx.n++] = s;
			continue;
badrec:
			dk_warnx(prog, "%s:%ld: rejected: %s", rd.name,
			    rd.line, e.msg);
			e.status = 0;
			cx.bad = 1;
			if (!keep)
				return DK_EX_DATAERR;
		}
		if (e.status != 0)
			goto fail;
		dk_reader_close(&rd);
		if (argi >= argc)
			break;
	}
	if (cx.n > 1)
		qsort(cx.v, cx.n, sizeof(*cx.v), byslot);
	/* every slot's book is filtered before anything is printed, so that
	 * a rejection without -k leaves stdout empty */
	book = calloc(cx.n + 1, sizeof(*book));
	grp = calloc(cx.n + 2, sizeof(*grp));
	if (book == NULL || grp == NULL)
		goto fail;
	for (i = k = 0; i < cx.n; i = j) {
		for (j = i; j < cx.n && cx.v[j].o.slot == cx.v[i].o.slot; j++)
			book[k + j - i] = cx.v[j].o;
		nb = dk_book_filter(book + k, j - i, &st, reject, &cx);
		if (nb > 0) {
			grp[ng].start = k;
			grp[ng].n = nb;
			grp[ng].slot = cx.v[i].o.slot;
			ng++;
		}
		k += nb;
	}
	if (cx.bad && !keep)
		return DK_EX_DATAERR;
	/* with -s the slot is cleared even when nobody bid: it can settle */
	if (slotarg != NULL && ng == 0) {
		grp[0].start = 0;
		grp[0].n = 0;
		grp[0].slot = only;
		ng = 1;
	}
	for (g = 0; g < ng; g++) {
		struct dk_order *b = book + grp[g].start;

		if (dk_clear(b, grp[g].n, grp[g].slot, &rules, &cl, &e) < 0)
			goto fail;
		for (k = 0; k < grp[g].n; k++)
			dk_emit(stdout, b[k].rec);
		for (k = 0; k < cl.nt; k++) {
			x = dk_trade_json(&cl, b, &cl.t[k], &rules);
			dk_emit(stdout, x);
			json_decref(x);
		}
		x = dk_clearing_json(&cl, &rules);
		dk_emit(stdout, x);
		json_decref(x);
		dk_clearing_free(&cl);
	}
	free(grp);
	for (i = 0; i < cx.n; i++) {
		json_decref(cx.v[i].o.rec);
		free(cx.v[i].where);
	}
	free(cx.v);
	free(book);
	dk_state_free(&st);
	free(lpath);
	dk_conf_free(&conf);
	free(defs);
	c = dk_finish_stdout(prog);
	return c ? c : cx.bad ? DK_EX_DATAERR : DK_EX_OK;
fail:
	dk_warnx(prog, "%s", e.msg);
	return e.status ? e.status : DK_EX_SOFTWARE;
}
