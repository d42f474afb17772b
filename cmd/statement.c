/* denki-statement: a member's or the community's statement for a period. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denki.h"
#include "prog.h"

static const char *prog = "denki-statement";
static const char usage[] =
    "usage: denki-statement -P period (-m member | --community)\n"
    "           [-f text|csv|json|html] [--pdf file] [-p operator.pub]\n"
    "           [-c config] [-D key=value] [ledger]\n";

/* --pdf FILE and --community as -O FILE and -C */
static const struct option lo[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "pdf", required_argument, NULL, 'O' },
	{ "community", no_argument, NULL, 'C' },
	{ NULL, 0, NULL, 0 }
};

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_conf conf;
	struct dk_key op;
	struct dk_report r;
	struct dk_stmt s = { 0 };
	const char *pub = NULL, *fmt = "text", *out = NULL, *period = NULL;
	char from[11], to[11], *cpath = NULL, *cpub = NULL;
	int c, community = 0, rc;

	dk_prog_init(&P, prog, usage, DK_PROG_CONF, argc);
	P.lo = lo;
	while ((c = dk_prog_opt(&P, argc, argv, "Cf:m:O:p:P:")) != -1)
		switch (c) {
		case 'C':
			community = 1;
			break;
		case 'f':
			fmt = optarg;
			break;
		case 'm':
			s.id = optarg;
			break;
		case 'O':
			out = optarg;
			break;
		case 'p':
			pub = optarg;
			break;
		case 'P':
			period = optarg;
			break;
		}
	if (argc - optind > 1 || period == NULL || (s.id == NULL) ==
	    !community || (strcmp(fmt, "text") && strcmp(fmt, "csv") &&
	    strcmp(fmt, "json") && strcmp(fmt, "html")))
		dk_prog_usage(&P, DK_EX_USAGE);
	if (dk_stmt_period(period, from, to, &e) < 0) {
		dk_prog_fail(&P, &e);
		dk_prog_usage(&P, DK_EX_USAGE);
	}
	if (dk_init(&e) < 0 || dk_prog_conf(&P, &conf, DK_CONF_COOP, &e) < 0)
		return dk_prog_fail(&P, &e);
	if (dk_conf_int(&conf, "emission_factor", -1, -1, 10000, &s.ef,
	    &e) < 0)
		return dk_prog_fail(&P, &e);
	cpath = dk_conf_path(&conf, "ledger", "ledger.jsonl");
	if (pub == NULL && dk_conf_str(&conf, "operator.pub", NULL) != NULL)
		pub = cpub = dk_conf_path(&conf, "operator.pub", NULL);
	s.ledger = optind < argc ? argv[optind] : cpath;
	if ((pub != NULL && dk_key_read_pub(&op, pub, &e) < 0) ||
	    dk_report_period(&r, s.ledger, pub ? op.pk : NULL, from, to,
	    DK_REPORT_DETAIL, &e) < 0)
		return dk_prog_fail(&P, &e);
	if (s.id != NULL && json_object_get(r.known, s.id) == NULL) {
		dk_warnx(prog, "%s: no participant %s in the ledger", s.ledger,
		    s.id);
		return DK_EX_DATAERR;
	}
	s.r = &r;
	s.m = s.id ? dk_report_member(&r, s.id) : NULL;
	s.period = period;
	s.checked = pub != NULL;
	if (out != NULL)
		rc = dk_stmt_pdf(&s, out, &e);
	else if (strcmp(fmt, "csv") == 0)
		rc = dk_stmt_csv(stdout, &s);
	else if (strcmp(fmt, "json") == 0)
		rc = dk_stmt_json(stdout, &s);
	else if (strcmp(fmt, "html") == 0)
		rc = dk_stmt_html(stdout, &s);
	else
		rc = dk_stmt_text(stdout, &s);
	free(cpath);
	free(cpub);
	dk_report_free(&r);
	dk_conf_free(&conf);
	if (rc < 0 && out != NULL)
		return dk_prog_fail(&P, &e);
	return dk_finish_stdout(prog);
}
