/* denki-dispute: a member's claim against its contract or settlement, the
 * mediator's bundle of evidence, a reviewer's decision with compensation. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "denki.h"
#include "prog.h"

static const char *prog = "denki-dispute";
static const char usage[] =
    "usage: denki-dispute [-c config] [-D key=value] open -k member.key "
    "[-i ID] -m reason [-t time] [-n]\n"
    "           ENTRY\n"
    "       denki-dispute [-c config] [-D key=value] resolve -k reviewer.key "
    "--upheld|--rejected\n"
    "           -m comment [--transfer FROM:TO:AMOUNT]... [-t time] [-n] "
    "DISPUTE\n"
    "       denki-dispute resolve -k reviewer.key --upheld|--rejected -m comment\n"
    "           [--transfer FROM:TO:AMOUNT]... [-t time] -B dir DISPUTE\n"
    "       denki-dispute claim -k member.key -i ID -m reason [-p operator.pub] "
    "[-t time]\n"
    "           proof\n"
    "       denki-dispute [-c config] [-D key=value] add [-n] [record]\n"
    "       denki-dispute [-c config] [-D key=value] list\n"
    "       denki-dispute [-c config] [-D key=value] bundle -o dir DISPUTE\n"
    "       denki-dispute verify dir\n";

static const struct option lo[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "upheld", no_argument, NULL, 'U' },
	{ "rejected", no_argument, NULL, 'R' },
	{ "transfer", required_argument, NULL, 'T' },
	{ NULL, 0, NULL, 0 }
};

/* ENTRY or DISPUTE: an entry's seq */
static int
seqarg(const char *s, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || *out < 0) {
		dk_warnx(prog, "%s: must be an entry's seq", s);
		return -1;
	}
	return 0;
}

struct args {			/* the options */
	const char *kf, *id, *msg, *out, *pub, *bdir;
	char **xf;			/* --transfer */
	size_t nxf;
	int decision;			/* 'U' or 'R' */
	int64_t now;			/* -t */
};

/* verify (a bundle), claim (a member's, from an inclusion proof) and
 * resolve -B (a reviewer's, from a bundle): no cooperative's
 * configuration, no ledger; the exit status */
static int
offline(struct dk_prog *P, const char *cmd, const char *arg,
    const struct args *a)
{
	struct dk_err e = { 0 };
	struct dk_key k = { 0 }, op;
	json_t *proof = NULL, *r = NULL;
	long long ds;

	if (dk_init(&e) < 0)
		return dk_prog_fail(P, &e);
	if (*cmd == 'v' && dk_bundle_verify(arg, stdout, &e) < 0) {
		if (e.status != DK_EX_NO)
			return dk_prog_fail(P, &e);
		printf("FAIL: %s\n", e.msg);
		return dk_finish_stdout(prog) ? DK_EX_IOERR : DK_EX_NO;
	}
	if (*cmd == 'r' && seqarg(arg, &ds) < 0)
		return DK_EX_USAGE;
	if (*cmd == 'c' && dk_key_read_sec(&k, a->kf, &e) == 0 &&
	    (a->pub == NULL || dk_key_read_pub(&op, a->pub, &e) == 0) &&
	    (proof = dk_request_read(arg, &e)) != NULL)
		r = dk_dispute_claim(proof, a->pub ? op.pk : NULL, a->id, &k,
		    a->msg, a->now, &e);
	else if (*cmd == 'r' && dk_key_read_sec(&k, a->kf, &e) == 0)
		r = dk_bundle_resolution(a->bdir, &k, ds, a->decision == 'U',
		    a->msg, a->xf, a->nxf, a->now, &e);
	if (r != NULL)
		dk_emit(stdout, r);
	dk_key_free(&k);
	json_decref(proof);
	json_decref(r);
	return e.status != 0 ? dk_prog_fail(P, &e) : dk_finish_stdout(prog);
}

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_coop C;
	struct dk_disputes d;
	struct dk_dreplay R = { &C.st, &d };
	struct dk_key k = { 0 };
	struct args A = { .xf = calloc(argc + 1, sizeof(char *)),
		.now = (int64_t)time(NULL) };
	const char *cmd;
	char *opath = NULL;
	size_t i;
	int c, nops;
	long long seq = 0, at;
	json_t *rec = NULL, *then = json_array();

	dk_prog_init(&P, prog, usage, DK_PROG_CONF | DK_PROG_DRY, argc);
	P.lo = lo;
	P.many = "T";
	while ((c = dk_prog_opt(&P, argc, argv, "k:i:m:t:o:p:B:")) != -1)
		switch (c) {
		case 'k': A.kf = optarg; break;
		case 'i': A.id = optarg; break;
		case 'm': A.msg = optarg; break;
		case 'o': A.out = optarg; break;
		case 'p': A.pub = optarg; break;
		case 'B': A.bdir = optarg; break;
		case 'T': A.xf[A.nxf++] = optarg; break;
		case 'U':
		case 'R':
			if (A.decision != 0 && A.decision != c)
				dk_prog_usage(&P, DK_EX_USAGE);
			A.decision = c;
			break;
		case 't':
			if (dk_time_parse(optarg, &A.now, &e) < 0) {
				dk_warnx(prog, "-t %s: %s", optarg, e.msg);
				return DK_EX_USAGE;
			}
			break;
		}
	if (optind >= argc)
		dk_prog_usage(&P, DK_EX_USAGE);
	cmd = argv[optind++];
	nops = argc - optind;
	if (nops == 1 && (strcmp(cmd, "verify") == 0 || (A.kf != NULL &&
	    A.msg != NULL && ((strcmp(cmd, "claim") == 0 && A.id != NULL) ||
	    (strcmp(cmd, "resolve") == 0 && A.bdir != NULL && A.decision)))))
		return offline(&P, cmd, argv[optind], &A);
	if (!((strcmp(cmd, "list") == 0 && nops == 0) || (strcmp(cmd, "add") ==
	    0 && nops <= 1) || (nops == 1 &&
	    (strcmp(cmd, "open") == 0 || strcmp(cmd, "resolve") == 0 ||
	    strcmp(cmd, "bundle") == 0))))
		dk_prog_usage(&P, DK_EX_USAGE);
	if (*cmd != 'a' && nops == 1 && seqarg(argv[optind], &seq) < 0)
		return DK_EX_USAGE;
	if (((*cmd == 'o' || *cmd == 'r') && (A.kf == NULL || A.msg == NULL ||
	    (*cmd == 'r') != (A.decision != 0))) || (*cmd == 'b' &&
	    A.out == NULL)) {
		dk_warnx(prog, "%s: needs %s", cmd, *cmd == 'b' ? "-o dir" :
		    *cmd == 'o' ? "-k member.key and -m reason" : "-k "
		    "reviewer.key, -m comment and --upheld or --rejected");
		dk_prog_usage(&P, DK_EX_USAGE);
	}
	dk_disputes_init(&d);
	if (dk_prog_coop(&P, &C, 0, &e) < 0)
		goto fail;
	if (*cmd == 'l' || *cmd == 'b') {
		if (dk_ledger_scan(C.lpath, NULL, dk_dispute_replay, &R,
		    &e) < 0)
			goto fail;
		if (*cmd == 'l')
			dk_disputes_print(stdout, &d);
		else if (asprintf(&opath, "%s.openings", C.lpath) < 0)
			dk_fail(&e, DK_EX_SOFTWARE, "out of memory");
		else if (dk_bundle_write(C.lpath, opath, &d, &C.st.reg, seq, A.out,
		    &e) == 0)
			dk_warnx(prog, "%s: the evidence of dispute %lld", A.out,
			    seq);
		goto fail;
	}
	/* a writer: the member's or reviewer's key signs, the operator's
	 * appends */
	if ((*cmd != 'a' && dk_key_read_sec(&k, A.kf, &e) < 0) ||
	    dk_conf_key(&C.conf, "operator.key", 1, &C.op, &e) < 0 ||
	    dk_coop_witnesses(&C, &e) < 0 ||
	    dk_ledger_open_w(&C.l, C.lpath, &C.op, dk_dispute_replay, &R,
	    &C.wp, &e) < 0)
		goto fail;
	C.lopen = 1;
	dk_coop_witness_on(&C);
	if (C.l.next == 0) {
		dk_fail(&e, DK_EX_NOINPUT, "%s: no ledger yet", C.lpath);
		goto fail;
	}
	at = C.l.next;
	if (*cmd == 'a')
		rec = dk_dispute_add(&d, &C.st.reg, nops ? argv[optind] : "-", at,
		    then, &e);
	else if (*cmd == 'o')
		rec = dk_dispute_make(&d, &C.st.reg, &k, A.id, seq, A.msg, A.now,
		    at, &e);
	else
		rec = dk_resolution_make(&d, &C.st.reg, &k, seq, A.decision ==
		    'U', A.msg, A.xf, A.nxf, A.now, at, then, &e);
	/* the record and the transfers it makes, appended together */
	if (rec == NULL || json_array_insert(then, 0, rec) < 0)
		goto fail;
	for (i = 0; i < json_array_size(then); i++)
		if (dk_ledger_add(&C.l, json_array_get(then, i), &e) < 0)
			goto fail;
	if (dk_ledger_finish(&C.l, P.dry, &e) < 0)
		goto fail;
	for (i = 0; i < json_array_size(then); i++)
		dk_emit(stdout, json_array_get(then, i));
	if (!P.dry)
		dk_warnx(prog, "%s", dk_dispute_said(rec, at));
fail:
	json_decref(rec);
	json_decref(then);
	dk_key_free(&k);
	dk_disputes_free(&d);
	dk_coop_free(&C);
	free(A.xf);
	free(opath);
	return e.status != 0 ? dk_prog_fail(&P, &e) : dk_finish_stdout(prog);
}
