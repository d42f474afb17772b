/* denki-kpi: the platform's KPIs for a period beside their targets, and
 * each member's credit score, from the ledger alone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denki.h"
#include "prog.h"

static const char *prog = "denki-kpi";
static const char usage[] =
    "usage: denki-kpi [-j] [-P period] [-R receipts]... [-w witness.vkey]...\n"
    "                 [-W policy] [-Q quorum] [-S skew] [-p operator.pub]\n"
    "                 [-c config] [-D key=value] [ledger]\n"
    "       denki-kpi --credit [-j] [-m member] [-t time] [-e entries]\n"
    "                 [-w witness.vkey]... [-W policy] [-Q quorum] [-S skew]\n"
    "                 [-p operator.pub] [-c config] [-D key=value] "
    "[ledger]\n";

static const struct option lo[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "credit", no_argument, NULL, 'C' },
	{ NULL, 0, NULL, 0 }
};

/* The credit score of one member, or of every member, as of entries
 * (-1: all) and time at (-1: the last checkpoint's). */
static int
credit(const char *path, const unsigned char *pk, const struct dk_wpolicy *wp,
    const char *id, long long entries, int64_t at, int json, struct dk_err *e)
{
	struct dk_credit c;
	struct dk_credit_score s;
	size_t i;
	json_t *x;
	int rc = 0;

	dk_credit_init(&c, entries);
	c.wp = wp;
	if (dk_ledger_scan(path, pk, dk_credit_entry, &c, e) < 0) {
		dk_credit_free(&c);
		return -1;
	}
	if (at < 0)
		at = c.cp_time;
	if (!json)
		printf("%-12s %5s %6s %8s %8s %8s %6s\n", "member", "score",
		    "tenure", "delivery", "payments", "disputes", "days");
	for (i = 0; i < c.n && rc == 0; i++) {
		if ((id != NULL && strcmp(id, c.m[i].id) != 0) ||
		    c.m[i].enrol_seq < 0)
			continue;
		if ((rc = dk_credit_score(&c, c.m[i].id, at, &s, e)) < 0)
			break;
		if (json) {
			x = dk_credit_json(&c, &s);
			dk_emit(stdout, x);
			json_decref(x);
		} else
			printf("%-12s %5d %6d %8d %8d %8d %6lld\n", c.m[i].id,
			    s.score, s.tenure, s.delivery, s.payments,
			    s.disputes, (long long)s.days);
	}
	if (rc == 0 && id != NULL && dk_credit_score(&c, id, at, &s, e) < 0)
		rc = -1;
	dk_credit_free(&c);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_conf conf;
	struct dk_key op;
	struct dk_kpi k;
	struct dk_wpolicy W;
	const char *pub = NULL, *period = NULL, *id = NULL, *path;
	char **rpaths, *cpath = NULL, *cpub = NULL, *end;
	size_t nr = 0, i;
	long long entries = -1;
	int64_t at = -1;
	int c, json = 0, cr = 0, rc = 0;
	json_t *a;

	dk_prog_init(&P, prog, usage, DK_PROG_CONF, argc);
	P.lo = lo;
	P.many = "Rw";
	if ((rpaths = calloc(argc > 0 ? argc : 1, sizeof(*rpaths))) == NULL)
		return DK_EX_SOFTWARE;
	dk_wpolicy_init(&W);
	while ((c = dk_prog_opt(&P, argc, argv, "Ce:jm:p:P:R:t:" DK_WOPTS))
	    != -1)
		switch (c) {
		case 'C':
			cr = 1;
			break;
		case 'e':
			errno = 0;
			entries = strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || entries < 0 ||
			    errno != 0)
				dk_prog_usage(&P, DK_EX_USAGE);
			break;
		case 'j':
			json = 1;
			break;
		case 'm':
			id = optarg;
			break;
		case 'p':
			pub = optarg;
			break;
		case 'P':
			period = optarg;
			break;
		case 'R':
			rpaths[nr++] = optarg;
			break;
		case 't':
			if (dk_time_parse(optarg, &at, &e) < 0) {
				dk_prog_fail(&P, &e);
				dk_prog_usage(&P, DK_EX_USAGE);
			}
			break;
		default:
			dk_prog_wopt(&P, &W, c, optarg);
		}
	if (argc - optind > 1 || (cr && (period != NULL || nr > 0)) ||
	    (!cr && (id != NULL || entries >= 0 || at >= 0)))
		dk_prog_usage(&P, DK_EX_USAGE);
	if (dk_init(&e) < 0 || dk_prog_conf(&P, &conf, DK_CONF_COOP, &e) < 0)
		return dk_prog_fail(&P, &e);
	cpath = dk_conf_path(&conf, "ledger", "ledger.jsonl");
	if (pub == NULL && dk_conf_str(&conf, "operator.pub", NULL) != NULL)
		pub = cpub = dk_conf_path(&conf, "operator.pub", NULL);
	path = optind < argc ? argv[optind] : cpath;
	if (pub != NULL && dk_key_read_pub(&op, pub, &e) < 0)
		return dk_prog_fail(&P, &e);
	if (W.n > 0 && dk_wpolicy_ledger(&W, path, pub ? op.pk : NULL, &e) < 0)
		return dk_prog_fail(&P, &e);
	if (cr) {
		if (credit(path, pub ? op.pk : NULL, W.n > 0 ? &W : NULL, id,
		    entries, at, json, &e) < 0)
			return dk_prog_fail(&P, &e);
		goto done;
	}
	dk_kpi_init(&k);
	k.wp = W.n > 0 ? &W : NULL;
	if (dk_ledger_scan(path, pub ? op.pk : NULL, dk_kpi_entry, &k, &e) < 0)
		return dk_prog_fail(&P, &e);
	if (period != NULL && dk_period_parse(period, k.tz, &k.from, &k.to,
	    &e) < 0) {
		dk_prog_fail(&P, &e);
		dk_prog_usage(&P, DK_EX_USAGE);
	}
	for (i = 0; i < nr; i++)
		if (dk_kpi_receipts(&k, rpaths[i], &e) < 0)
			return dk_prog_fail(&P, &e);
	if (dk_kpi_figures(&k, &e) < 0) {
		dk_warnx(prog, "%s: period %s: %s", path, period ? period :
		    "(all)", e.msg);
		return e.status;
	}
	if (json) {
		a = dk_kpi_json(&k, period);
		for (i = 0; i < json_array_size(a); i++)
			dk_emit(stdout, json_array_get(a, i));
		json_decref(a);
	} else
		dk_kpi_text(stdout, &k, period);
	rc = k.met ? DK_EX_OK : DK_EX_NO;
	dk_kpi_free(&k);
done:
	free(rpaths);
	free(cpath);
	free(cpub);
	dk_conf_free(&conf);
	dk_wpolicy_free(&W);
	dk_prog_free(&P);
	c = dk_finish_stdout(prog);
	return c != 0 ? c : rc;
}
