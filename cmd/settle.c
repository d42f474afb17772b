/* denki-settle: metered energy against contracts, money to the unit. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denki.h"

static const char *prog = "denki-settle";

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: denki-settle [-kn] [-c config] [-D key=value] "
	    "[readings ...]\n");
	exit(code);
}

struct rd {
	int64_t slot;
	json_t *rec;
	char *where;
};

static int
byslot(const void *a, const void *b)
{
	const struct rd *x = a, *y = b;
	int c;

	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	c = strcmp(json_string_value(json_object_get(x->rec, "meter")),
	    json_string_value(json_object_get(y->rec, "meter")));
	return c;
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
	struct dk_reader r;
	struct dk_key op;
	struct dk_slotstate *ss;
	struct rd *v = NULL;
	const char *cfg = NULL;
	char **defs, *lpath = NULL, *line, ts[40];
	size_t ndefs = 0, nv = 0, cap = 0, i, j, k;
	int c, keep = 0, dry = 0, argi, bad = 0;
	int64_t t;
	long n;
	json_t *rec, *readings, *res, *out = json_array(), *x;

	defs = calloc(argc, sizeof(*defs));
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
	if (dk_init(&e) < 0 || dk_conf_open(&conf, cfg, defs, ndefs, &e) < 0 ||
	    dk_rules_from_conf(&rules, &conf, &e) < 0 ||
	    dk_conf_key(&conf, "operator.key", 1, &op, &e) < 0)
		goto fail;
	if ((lpath = dk_conf_path(&conf, "ledger", "ledger.jsonl")) == NULL)
		goto fail;
	if (optind == argc && isatty(0)) {
		dk_warnx(prog, "no readings given and stdin is a terminal");
		usage(DK_EX_USAGE);
	}
	for (argi = optind; argi < argc || argi == optind; argi++) {
		if (dk_reader_open(&r, argi < argc ? argv[argi] : "-", &e) < 0)
			goto fail;
		while ((n = dk_reader_next(&r, &line, &e)) >= 0) {
			if (n == 0)
				continue;
			if ((rec = dk_parse(line, n, &e)) == NULL ||
			    dk_reading_check(rec, &rules, &t, &e) < 0) {
				json_decref(rec);
				dk_warnx(prog, "%s:%ld: rejected: %s", r.name,
				    r.line, e.msg);
				e.status = 0;
				bad = 1;
				if (!keep)
					return DK_EX_DATAERR;
				continue;
			}
			if (nv == cap) {
				cap = cap ? cap * 2 : 256;
				if ((v = realloc(v, cap * sizeof(*v))) == NULL)
					goto fail;
			}
			v[nv].slot = t;
			v[nv].rec = rec;
			if (asprintf(&v[nv].where, "%s:%ld", r.name,
			    r.line) < 0)
				goto fail;
			nv++;
		}
		if (e.status != 0)
			goto fail;
		dk_reader_close(&r);
		if (argi >= argc)
			break;
	}
	if (nv > 1)
		qsort(v, nv, sizeof(*v), byslot);

	dk_state_init(&st);
	if (dk_ledger_open(&l, lpath, &op, dk_state_apply, &st, &e) < 0 ||
	    dk_ledger_genesis(&l, dk_conf_str(&conf, "origin",
	    DK_ORIGIN), &e) < 0)
		goto fail;
	for (i = 0; i < nv; i = j) {
		for (j = i; j < nv && v[j].slot == v[i].slot; j++)
			;
		dk_time_format(v[i].slot, rules.tz, ts, sizeof(ts));
		ss = dk_state_slot(&st, v[i].slot);
		if (ss == NULL || ss->settled) {
			for (k = i; k < j; k++)
				dk_warnx(prog, "%s: rejected: slot %s %s",
				    v[k].where, ts, ss == NULL ? "was never "
				    "cleared; clear it first (denki-clear -s "
				    "clears a slot even when nobody bid)" :
				    "is already settled");
			bad = 1;
			if (!keep)
				goto done;
			continue;
		}
		readings = json_array();
		for (k = i; k < j; k++)
			json_array_append(readings, v[k].rec);
		res = json_array();
		if (dk_settle(v[i].slot, ss->contracts, readings, &st.reg,
		    &ss->rules, res, &e) < 0) {
			dk_warnx(prog, "%s: rejected: %s", e.item >= 0 &&
			    (size_t)e.item < j - i ? v[i + e.item].where :
			    v[i].where, e.msg);
			e.status = 0;
			bad = 1;
			json_decref(readings);
			json_decref(res);
			if (!keep)
				goto done;
			continue;
		}
		json_array_foreach(readings, k, x)
			if (dk_ledger_add(&l, x, &e) < 0)
				goto fail;
		json_array_foreach(res, k, x) {
			if (dk_state_apply(&st, 0, 0, x, &e) < 0 ||
			    dk_ledger_add(&l, x, &e) < 0)
				goto fail;
			json_array_append(out, x);
		}
		/* a checkpoint for every slot settled */
		if (dk_ledger_checkpoint(&l, &e) < 0)
			goto fail;
		json_decref(readings);
		json_decref(res);
	}
	if (l.npend > 0 && !l.last_cp && dk_ledger_checkpoint(&l, &e) < 0)
		goto fail;
	if (!dry && dk_ledger_commit(&l, &e) < 0)
		goto fail;
	json_array_foreach(out, i, x)
		dk_emit(stdout, x);
done:
	if (bad && !keep)
		dk_warnx(prog, "nothing was appended");
	dk_ledger_close(&l);
	dk_key_free(&op);
	dk_state_free(&st);
	for (i = 0; i < nv; i++) {
		json_decref(v[i].rec);
		free(v[i].where);
	}
	free(v);
	json_decref(out);
	free(lpath);
	c = dk_finish_stdout(prog);
	return c ? c : bad ? DK_EX_DATAERR : DK_EX_OK;
fail:
	dk_warnx(prog, "%s", e.msg);
	return e.status ? e.status : DK_EX_SOFTWARE;
}
