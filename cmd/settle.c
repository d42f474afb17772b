/* denki-settle: metered energy against contracts, money to the unit. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denki.h"
#include "prog.h"

static const char *prog = "denki-settle";
static const char usage[] =
    "usage: denki-settle [-kn] [-c config] [-D key=value] [readings ...]\n";

struct rd {
	int64_t slot;
	json_t *rec;
	char *where;
	char *canon;
};

/* The input readings already in the ledger, exact copies: delivered at
 * least once means some may come again. */
struct scan {
	struct dk_state *st;
	json_t *want;		/* canonical reading -> true once seen */
};

static int
scan_apply(void *ctx, long long seq, long line, json_t *rec,
    struct dk_err *e)
{
	struct scan *sc = ctx;
	char *c;

	if (strcmp(json_string_value(json_object_get(rec, "type")),
	    "reading") == 0 && (c = dk_canon(rec)) != NULL) {
		if (json_object_get(sc->want, c) != NULL)
			json_object_set_new(sc->want, c, json_true());
		free(c);
	}
	return dk_state_apply(sc->st, seq, line, rec, e);
}

static int
byslot(const void *a, const void *b)
{
	const struct rd *x = a, *y = b;
	int c;

	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	c = strcmp(json_string_value(json_object_get(x->rec, "meter")),
	    json_string_value(json_object_get(y->rec, "meter")));
	return c ? c : strcmp(x->canon, y->canon);
}

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_conf conf;
	struct dk_state st;
	struct dk_rules rules;
	struct dk_ledger l;
	struct dk_reader r;
	struct dk_key op;
	struct dk_slotstate *ss;
	struct rd *v = NULL;
	const char *signed_rule, *kind;
	struct scan sc;
	long nother = 0, ngap = 0, ndup = 0;
	int require = 0;
	char *lpath = NULL, *line, ts[40];
	size_t nv = 0, cap = 0, i, j, k;
	int c, keep = 0, dry = 0, argi, bad = 0;
	int64_t t;
	long n;
	json_t *rec, *readings, *res, *out = json_array(), *x, *cs;
	int rc;

	memset(&op, 0, sizeof(op));
	dk_prog_init(&P, prog, usage, DK_PROG_CONF, argc);
	while ((c = dk_prog_opt(&P, argc, argv, "kn")) != -1)
		switch (c) {
		case 'k':
			keep = 1;
			break;
		case 'n':
			dry = 1;
			break;
		}
	if (dk_init(&e) < 0 ||
	    dk_prog_conf(&P, &conf, DK_CONF_COOP, &e) < 0 ||
	    dk_rules_from_conf(&rules, &conf, &e) < 0)
		goto fail;
	if ((lpath = dk_conf_path(&conf, "ledger", "ledger.jsonl")) == NULL)
		goto fail;
	signed_rule = dk_conf_str(&conf, "settle.signed", "registered");
	if (strcmp(signed_rule, "required") == 0)
		require = 1;
	else if (strcmp(signed_rule, "registered") != 0) {
		dk_fail(&e, DK_EX_CONFIG, "settle.signed: must be registered "
		    "or required, got \"%.40s\"", signed_rule);
		goto fail;
	}
	dk_prog_need_input(&P, argc, "readings");
	for (argi = optind; argi < argc || argi == optind; argi++) {
		if (dk_reader_open(&r, argi < argc ? argv[argi] : "-", &e) < 0)
			goto fail;
		while ((n = dk_reader_next(&r, &line, &e)) >= 0) {
			if (n == 0)
				continue;
			/* a gap says there is no reading: nothing to settle */
			if ((rec = dk_parse(line, n, &e)) != NULL &&
			    json_is_string(json_object_get(rec, "type")) &&
			    strcmp(json_string_value(json_object_get(rec,
			    "type")), "gap") == 0) {
				/* a run of slots from slot to last */
				const char *first = json_string_value(
				    json_object_get(rec, "slot")), *last =
				    json_string_value(json_object_get(rec,
				    "last"));
				if (last != NULL && first != NULL &&
				    strcmp(last, first) == 0)
					last = NULL;
				dk_warnx(prog, "%s:%ld: meter %s: slot%s %s%s%s: "
				    "a gap (%s), no reading", r.name, r.line,
				    json_string_value(json_object_get(rec,
				    "meter")), last ? "s" : "", first,
				    last ? " to " : "", last ? last : "",
				    json_string_value(json_object_get(rec,
				    "reason")));
				json_decref(rec);
				ngap++;
				continue;
			}
			if (rec == NULL ||
			    dk_reading_check(rec, &rules, &t, &e) < 0 ||
			    (require && json_object_get(rec, "sig") == NULL &&
			    dk_fail(&e, DK_EX_DATAERR, "unsigned, and "
			    "settle.signed is required") < 0)) {
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
			kind = json_string_value(json_object_get(rec, "kind"));
			if (kind != NULL && strcmp(kind, "grid") != 0) {
				/* pv and battery: not what the grid metered */
				nother++;
				json_decref(rec);
				continue;
			}
			v[nv].slot = t;
			v[nv].rec = rec;
			if ((v[nv].canon = dk_canon(rec)) == NULL)
				goto fail;
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
	if (nother > 0)
		dk_warnx(prog, "%ld pv or battery reading%s: not billed, not "
		    "settled", nother, nother == 1 ? "" : "s");
	if (nv > 1)
		qsort(v, nv, sizeof(*v), byslot);
	/* an exact copy of a reading given before is the same reading */
	for (i = j = 0; i < nv; i++) {
		if (j > 0 && strcmp(v[j - 1].canon, v[i].canon) == 0) {
			json_decref(v[i].rec);
			free(v[i].where);
			free(v[i].canon);
			ndup++;
			continue;
		}
		v[j++] = v[i];
	}
	nv = j;

	dk_state_init(&st);
	sc.st = &st;
	sc.want = json_object();
	for (i = 0; i < nv; i++)
		json_object_set_new(sc.want, v[i].canon, json_false());
	/* the secret key only now, when it is about to sign */
	if (dk_conf_key(&conf, "operator.key", 1, &op, &e) < 0)
		goto fail;
	if (dk_ledger_open(&l, lpath, &op, scan_apply, &sc, &e) < 0 ||
	    dk_ledger_genesis(&l, dk_conf_str(&conf, "origin",
	    DK_ORIGIN), &e) < 0)
		goto fail;
	for (i = j = 0; i < nv; i++) {
		if (json_is_true(json_object_get(sc.want, v[i].canon))) {
			json_decref(v[i].rec);
			free(v[i].where);
			free(v[i].canon);
			ndup++;
			continue;
		}
		v[j++] = v[i];
	}
	nv = j;
	json_decref(sc.want);
	if (ndup > 0)
		dk_warnx(prog, "%ld reading%s given again, the same bytes: "
		    "counted once", ndup, ndup == 1 ? "" : "s");
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
		if ((cs = dk_state_contracts(ss)) == NULL) {
			dk_fail(&e, DK_EX_SOFTWARE, "out of memory");
			goto fail;
		}
		rc = dk_settle(v[i].slot, cs, readings, &st.reg, &ss->rules,
		    res, &e);
		json_decref(cs);
		if (rc < 0) {
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
		free(v[i].canon);
	}
	free(v);
	json_decref(out);
	free(lpath);
	c = dk_finish_stdout(prog);
	return c ? c : bad ? DK_EX_DATAERR : DK_EX_OK;
fail:
	dk_key_free(&op);
	return dk_prog_fail(&P, &e);
}
