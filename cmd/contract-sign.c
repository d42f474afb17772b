/* denki-contract-sign: trades become operator-signed contracts in the ledger. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denki.h"

static const char *prog = "denki-contract-sign";

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: denki-contract-sign [-kn] [-c config] [-D key=value] "
	    "[cleared ...]\n");
	exit(code);
}

struct item {
	json_t *rec;
	char where[300];
};

struct group {
	int64_t slot;
	json_t *orders, *trades, *clearing;
	char where[300];	/* where its clearing record was read */
};

/* The first field in which two records differ, for the message. */
static const char *
first_diff(json_t *a, json_t *b)
{
	const char *k;
	json_t *v;

	json_object_foreach(a, k, v)
		if (!json_equal(v, json_object_get(b, k)))
			return k;
	json_object_foreach(b, k, v)
		if (json_object_get(a, k) == NULL)
			return k;
	return "(none)";
}

/* Replays the market on the group's orders and requires the same trades
 * and clearing, byte for byte. */
static int
replay(struct group *g, const struct dk_rules *r, struct dk_state *st,
    json_t *contracts, struct dk_err *e)
{
	size_t n = json_array_size(g->orders), i, nb;
	struct dk_order *book = calloc(n + 1, sizeof(*book));
	struct dk_clearing cl;
	json_t *x, *o;
	int rc = -1;
	char why[DK_REJECT_MAX];

	if (book == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	json_array_foreach(g->orders, i, o)
		if (dk_order_check(&book[i], o, r, st->reg.n ? &st->reg :
		    &st->reg, e) < 0) {
			dk_failpre(e, "order %zu of the slot", i + 1);
			goto out;
		}
	why[0] = '\0';
	nb = dk_book_filter(book, n, st, dk_reject_first, why);
	if (nb == (size_t)-1) {
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (nb != n) {
		dk_fail(e, DK_EX_DATAERR, "the book was refused: %s", why);
		goto out;
	}
	if (dk_clear(book, nb, g->slot, r, &cl, e) < 0)
		goto out;
	if (cl.nt != json_array_size(g->trades)) {
		dk_fail(e, DK_EX_DATAERR, "%zu trades given, the market makes "
		    "%zu", json_array_size(g->trades), cl.nt);
		goto done;
	}
	for (i = 0; i < cl.nt; i++) {
		x = dk_trade_json(&cl, book, &cl.t[i], r);
		if (!json_equal(x, json_array_get(g->trades, i))) {
			dk_fail(e, DK_EX_DATAERR, "trade %zu: %s differs from "
			    "a replay of the market", i + 1,
			    first_diff(x, json_array_get(g->trades, i)));
			json_decref(x);
			goto done;
		}
		json_array_append_new(contracts, dk_contract_json(x, r));
		json_decref(x);
	}
	x = dk_clearing_json(&cl, r);
	if (!json_equal(x, g->clearing)) {
		dk_fail(e, DK_EX_DATAERR, "clearing: %s differs from a replay "
		    "of the market", first_diff(x, g->clearing));
		json_decref(x);
		goto done;
	}
	json_decref(x);
	/* the ledger keeps the book in id order, as the clearing hashed it */
	x = json_array();
	for (i = 0; i < nb; i++)
		json_array_append(x, book[i].rec);
	json_decref(g->orders);
	g->orders = x;
	rc = 0;
done:
	dk_clearing_free(&cl);
out:
	free(book);
	return rc;
}

static void
group_free(struct group *g)
{
	json_decref(g->orders);
	json_decref(g->trades);
	json_decref(g->clearing);
	memset(g, 0, sizeof(*g));
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
	struct dk_ledger l;
	struct dk_reader rd;
	struct dk_key op;
	struct group g;
	const char *cfg = NULL, *type, *ss;
	char **defs, *lpath = NULL, *line, *tpath, *text = NULL, *a, *b;
	size_t ndefs = 0, i, cap = 0, nitems = 0, capitems = 0, ii;
	struct item *items = NULL;
	int c, keep = 0, dry = 0, argi, bad = 0, open_ledger = 0;
	int64_t t;
	long n;
	json_t *rec, *contracts = json_array(), *out = json_array(), *x;
	FILE *fp;

	defs = calloc(argc, sizeof(*defs));
	memset(&g, 0, sizeof(g));
	memset(&op, 0, sizeof(op));
	while ((c = getopt_long(argc, argv, "c:D:knh", lo, NULL)) != -1)
		switch (c) {
		case 'c':
			cfg = optarg;
			break;
		case 'D':
			defs[ndefs++] = optarg;
			break;
		case 'k':
			keep = 1;
			break;
		case 'n':
			dry = 1;
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
	if (dk_init(&e) < 0 ||
	    dk_conf_open(&conf, cfg, DK_CONF_COOP, defs, ndefs, &e) < 0 ||
	    dk_rules_from_conf(&rules, &conf, &e) < 0)
		goto fail;
	/* a contract names the terms its parties agreed to: none, no
	 * contract */
	if ((tpath = dk_conf_path(&conf, "terms", NULL)) == NULL) {
		dk_fail(&e, DK_EX_CONFIG, "%s: terms: missing (the path of "
		    "the written terms every contract names by their hash)",
		    conf.path ? conf.path : "config");
		goto fail;
	}
	if ((fp = fopen(tpath, "r")) == NULL ||
	    getdelim(&text, &cap, '\0', fp) < 0) {
		dk_fail(&e, DK_EX_CONFIG, "terms: %s: %s", tpath,
		    strerror(errno));
		goto fail;
	}
	fclose(fp);
	free(tpath);
	if ((lpath = dk_conf_path(&conf, "ledger", "ledger.jsonl")) == NULL)
		goto fail;
	if (optind == argc && isatty(0)) {
		dk_warnx(prog, "no input given and stdin is a terminal");
		usage(DK_EX_USAGE);
	}
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
			if ((rec = dk_parse(line, n, &e)) == NULL) {
				dk_warnx(prog, "%s:%ld: rejected: %s", rd.name,
				    rd.line, e.msg);
				e.status = 0;
				bad = 1;
				if (!keep) {
					dk_warnx(prog, "nothing was appended");
					return DK_EX_DATAERR;
				}
				continue;
			}
			if (nitems == capitems) {
				capitems = capitems ? capitems * 2 : 256;
				items = realloc(items, capitems *
				    sizeof(*items));
				if (items == NULL)
					goto fail;
			}
			items[nitems].rec = rec;
			snprintf(items[nitems].where,
			    sizeof(items[nitems].where), "%s:%ld", rd.name,
			    rd.line);
			nitems++;
		}
		if (e.status != 0)
			goto fail;
		dk_reader_close(&rd);
		if (argi >= argc)
			break;
	}
	/* the secret key only now, when it is about to sign */
	if (dk_conf_key(&conf, "operator.key", 1, &op, &e) < 0)
		goto fail;
	dk_state_init(&st);
	if (dk_ledger_open(&l, lpath, &op, dk_state_apply, &st, &e) < 0 ||
	    dk_ledger_genesis(&l, dk_conf_str(&conf, "origin",
	    DK_ORIGIN), &e) < 0)
		goto fail;
	open_ledger = 1;

	/* the rules in force, once, before the first contract under them */
	x = dk_rules_json(&rules);
	a = dk_canon(x);
	b = NULL;
	if (st.have_rules) {
		json_t *old = dk_rules_json(&st.rules);
		b = dk_canon(old);
		json_decref(old);
	}
	if (b == NULL || strcmp(a, b) != 0) {
		if (text != NULL &&
		    json_object_get(st.terms, rules.terms) == NULL) {
			json_t *tr = json_pack("{s:s,s:i,s:s}", "type",
			    "terms", "v", 1, "text", text);
			if (tr == NULL) {
				dk_fail(&e, DK_EX_CONFIG, "terms: the file is "
				    "not UTF-8 text");
				goto fail;
			}
			if (dk_profile_check(tr, &e) < 0) {
				dk_failpre(&e, "terms");
				e.status = DK_EX_CONFIG;
				goto fail;
			}
			if (dk_state_apply(&st, 0, 0, tr, &e) < 0 ||
			    dk_ledger_add(&l, tr, &e) < 0) {
				json_decref(tr);
				goto fail;
			}
			json_decref(tr);
		}
		if (dk_state_apply(&st, 0, 0, x, &e) < 0 ||
		    dk_ledger_add(&l, x, &e) < 0)
			goto fail;
	}
	free(a);
	free(b);
	json_decref(x);

	for (ii = 0; ii < nitems; ii++) {
		rec = items[ii].rec;
		items[ii].rec = NULL;
		type = json_string_value(json_object_get(rec, "type"));
		if (type == NULL || (strcmp(type, "order") != 0 &&
		    strcmp(type, "trade") != 0 &&
		    strcmp(type, "clearing") != 0)) {
			dk_fail(&e, DK_EX_DATAERR, "type: must be "
			    "order, trade or clearing (the output of "
			    "denki-clear)");
			json_decref(rec);
			goto badrec;
		}
		if ((ss = dk_get_str(rec, "slot", &e)) == NULL ||
		    dk_slot_parse(ss, rules.slot_minutes, &t,
		    &e) < 0) {
			json_decref(rec);
			goto badrec;
		}
		if (g.orders == NULL) {
			g.slot = t;
			g.orders = json_array();
			g.trades = json_array();
		} else if (t != g.slot) {
			dk_fail(&e, DK_EX_DATAERR, "slot %s: the slot "
			    "before it has no clearing record", ss);
			json_decref(rec);
			group_free(&g);
			goto badrec;
		}
		if (strcmp(type, "order") == 0)
			json_array_append_new(g.orders, rec);
		else if (strcmp(type, "trade") == 0)
			json_array_append_new(g.trades, rec);
		else {
			g.clearing = rec;
			snprintf(g.where, sizeof(g.where), "%s",
			    items[ii].where);
			json_array_clear(contracts);
			if (dk_state_slot(&st, g.slot) != NULL) {
				dk_fail(&e, DK_EX_DATAERR, "slot %s: "
				    "already in the ledger", ss);
				group_free(&g);
				goto badrec;
			}
			if (replay(&g, &rules, &st, contracts,
			    &e) < 0) {
				dk_failpre(&e, "slot %s", ss);
				group_free(&g);
				goto badrec;
			}
			json_array_foreach(g.orders, i, x)
				if (dk_ledger_add(&l, x, &e) < 0)
					goto fail;
			if (dk_state_apply(&st, 0, 0, g.clearing,
			    &e) < 0 ||
			    dk_ledger_add(&l, g.clearing, &e) < 0)
				goto fail;
			json_array_foreach(contracts, i, x) {
				if (dk_state_apply(&st, 0, 0, x,
				    &e) < 0 ||
				    dk_ledger_add(&l, x, &e) < 0)
					goto fail;
				json_array_append(out, x);
			}
			/* a checkpoint for every slot signed */
			if (dk_ledger_checkpoint(&l, &e) < 0)
				goto fail;
			group_free(&g);
		}
		continue;
badrec:
		dk_warnx(prog, "%s: rejected: %s", items[ii].where,
		    e.msg);
		e.status = 0;
		bad = 1;
		if (!keep) {
			dk_warnx(prog, "nothing was appended");
			goto done;
		}
	}
	if (g.orders != NULL) {
		dk_warnx(prog, "%s: the input ends before the clearing "
		    "record of its last slot (truncated?); that slot is not "
		    "signed", items[nitems - 1].where);
		bad = 1;
		group_free(&g);
		if (!keep) {
			dk_warnx(prog, "nothing was appended");
			goto done;
		}
	}
	if (l.npend > 0 && !l.last_cp && dk_ledger_checkpoint(&l, &e) < 0)
		goto fail;
	if (!dry && dk_ledger_commit(&l, &e) < 0)
		goto fail;
	json_array_foreach(out, i, x)
		dk_emit(stdout, x);
done:
	for (ii = 0; ii < nitems; ii++)
		json_decref(items[ii].rec);
	free(items);
	dk_ledger_close(&l);
	dk_key_free(&op);
	dk_state_free(&st);
	json_decref(out);
	json_decref(contracts);
	free(lpath);
	free(text);
	c = dk_finish_stdout(prog);
	return c ? c : bad ? DK_EX_DATAERR : DK_EX_OK;
fail:
	if (open_ledger)
		dk_ledger_close(&l);
	dk_key_free(&op);
	dk_warnx(prog, "%s", e.msg);
	return e.status ? e.status : DK_EX_SOFTWARE;
}
