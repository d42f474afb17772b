/* denki-pay: a payment run: bank files, what members owe, the ledger's record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "denki.h"
#include "prog.h"

static const char *prog = "denki-pay";
static const char usage[] =
    "usage: denki-pay [-n] [-c config] [-D key=value] -P period "
    "-f pain.001|zengin\n"
    "                 -o file [-d date]\n"
    "       denki-pay [-c config] [-D key=value] -P period -r member\n"
    "       denki-pay [-c config] [-D key=value] -m member field=value ...\n";

struct opts {
	const char *period, *fmt, *out, *date, *ret, *member;
};

/* The writer's start: the operator's key, the witnesses, the ledger
 * locked and read into the report r and the pay book pb. */
static int
open_ledger(struct dk_coop *C, struct dk_report *r, struct dk_paybook *pb,
    struct dk_err *e)
{
	struct dk_payscan ps = { r, pb };

	if (dk_conf_key(&C->conf, "operator.key", 1, &C->op, e) < 0 ||
	    dk_coop_witnesses(C, e) < 0 ||
	    dk_ledger_open_w(&C->l, C->lpath, &C->op, dk_payscan_entry, &ps,
	    &C->wp, e) < 0)
		return -1;
	C->lopen = 1;
	dk_coop_witness_on(C);
	if (C->l.next == 0 || !r->have_rules)
		return dk_fail(e, DK_EX_NOINPUT, "%s: no ledger with rules "
		    "to pay from", C->lpath);
	return 0;
}

/* What the run says on stderr: the file, the sums, who is held. */
static void
tell(const struct dk_payrun *run, const struct opts *o, const char *store,
    const char *cur)
{
	char a[40], b[40];
	const char *m;
	size_t i;
	json_t *x;

	json_array_foreach(run->lines, i, x)
		if (json_object_get(x, "missing") != NULL) {
			dk_minor_str(json_integer_value(json_object_get(x,
			    "amount")), run->f.exp, a, sizeof(a));
			m = json_string_value(json_object_get(x, "missing"));
			dk_warnx(prog, "%s: not paid: %s %s held for the next "
			    "run; %s has no %s%s for a %s transfer (denki pay "
			    "-m %s field=value)", json_string_value(
			    json_object_get(x, "participant")), a, cur, store,
			    strcmp(m, "all") == 0 ? "bank details" : m,
			    strcmp(m, "all") == 0 ? " of it" : "", o->fmt,
			    json_string_value(json_object_get(x,
			    "participant")));
		}
	dk_minor_str(run->credit, run->f.exp, a, sizeof(a));
	dk_minor_str(run->debit, run->f.exp, b, sizeof(b));
	if (run->ncredit > 0)
		dk_warnx(prog, "%s: %zu credit transfer%s, %s %s", o->out,
		    run->ncredit, run->ncredit == 1 ? "" : "s", a, cur);
	else
		dk_warnx(prog, "nothing to transfer%s: no file written",
		    run->nheld ? " now" : "");
	if (run->ndebit > 0)
		dk_warnx(prog, "%zu member%s owe%s the cooperative %s %s "
		    "(status \"debit\" on stdout)", run->ndebit,
		    run->ndebit == 1 ? "" : "s", run->ndebit == 1 ? "s" : "", b,
		    cur);
}

/* A run: planned, its bank file written, then its record appended; the
 * file is removed again if the append fails. */
static int
pay(struct dk_coop *C, struct dk_report *r, struct dk_paybook *pb,
    json_t *members, const struct opts *o, int dry, const char *store,
    struct dk_err *e)
{
	struct dk_payrun run;
	char now[40], date[11];
	size_t i;
	json_t *x;
	int rc = -1;

	dk_time_format(time(NULL), r->rules.tz, now, sizeof(now));
	snprintf(date, sizeof(date), "%.10s", o->date ? o->date : now);
	if (dk_payrun_plan(&run, pb, members, o->fmt, o->period, r->rules.tz,
	    r->rules.currency, e) < 0)
		goto out;
	run.f.payer = json_object_get(members, "operator");
	run.f.currency = r->rules.currency;
	run.f.date = date;
	run.f.created = now;
	run.f.period = o->period;
	run.f.label = "denki";
	run.f.seq = C->l.next;
	if (dk_payrun_commit(&run, pb, &C->l, o->fmt, o->out, dry, e) < 0) {
		if (e->status == DK_EX_CONFIG)
			dk_failpre(e, "%s", store);
		goto out;
	}
	tell(&run, o, store, r->rules.currency);
	json_array_foreach(run.lines, i, x)
		dk_emit(stdout, x);
	rc = 0;
out:
	dk_payrun_free(&run);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_coop C;
	struct dk_report r;
	struct dk_paybook pb;
	struct opts o = { 0 };
	json_t *members = NULL, *x;
	char *store = NULL;
	int64_t from, to;
	int c;

	dk_prog_init(&P, prog, usage, DK_PROG_CONF | DK_PROG_DRY, argc);
	while ((c = dk_prog_opt(&P, argc, argv, "P:f:o:d:r:m:")) != -1)
		switch (c) {
		case 'P': o.period = optarg; break;
		case 'f': o.fmt = optarg; break;
		case 'o': o.out = optarg; break;
		case 'd': o.date = optarg; break;
		case 'r': o.ret = optarg; break;
		case 'm': o.member = optarg; break;
		}
	if (o.member != NULL ? o.period != NULL || o.fmt != NULL ||
	    o.ret != NULL || optind == argc : optind != argc ||
	    o.period == NULL || (o.ret != NULL ? o.fmt != NULL || o.out != NULL :
	    o.fmt == NULL || (o.out == NULL && !P.dry)))
		dk_prog_usage(&P, DK_EX_USAGE);
	if (o.fmt != NULL && strcmp(o.fmt, "pain.001") != 0 &&
	    strcmp(o.fmt, "zengin") != 0) {
		dk_warnx(prog, "-f %s: must be pain.001 or zengin", o.fmt);
		dk_prog_usage(&P, DK_EX_USAGE);
	}
	if (o.date != NULL && (strlen(o.date) != 10 ||
	    dk_period_parse(o.date, "UTC", &from, &to, &e) < 0)) {
		dk_warnx(prog, "-d %s: must be a day, YYYY-MM-DD", o.date);
		dk_prog_usage(&P, DK_EX_USAGE);
	}
	dk_paybook_init(&pb);
	if (dk_prog_coop(&P, &C, 0, &e) < 0 ||
	    (store = dk_conf_path(&C.conf, "members.store",
	    "members.jsonl")) == NULL ||
	    dk_members_load(store, &members, &e) < 0)
		goto fail;
	if (o.member != NULL) {
		if (dk_members_set(store, members, o.member, argv + optind,
		    argc - optind, &e) < 0)
			goto fail;
		dk_emit(stdout, json_object_get(members, o.member));
		goto done;
	}
	if (dk_report_init(&r) < 0) {
		dk_fail(&e, DK_EX_SOFTWARE, "out of memory");
		goto fail;
	}
	if (open_ledger(&C, &r, &pb, &e) < 0)
		goto fail;
	if (o.ret != NULL) {
		if ((x = dk_payrun_return(&pb, o.period, o.ret, &e)) == NULL ||
		    dk_paybook_record(&pb, C.l.next, x, r.rules.currency,
		    &e) < 0 || dk_ledger_add(&C.l, x, &e) < 0 ||
		    dk_ledger_finish(&C.l, P.dry, &e) < 0)
			goto fail;
		dk_emit(stdout, x);
		json_decref(x);
	} else if (pay(&C, &r, &pb, members, &o, P.dry, store, &e) < 0)
		goto fail;
	dk_report_free(&r);
done:
	json_decref(members);
	free(store);
	dk_paybook_free(&pb);
	dk_coop_free(&C);
	return dk_finish_stdout(prog);
fail:
	return dk_prog_fail(&P, &e);
}
