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

/* verify (a bundle) and claim (a member's, from an inclusion proof): no
 * cooperative's configuration, no ledger; the exit status */
static int
offline(struct dk_prog *P, const char *cmd, const char *arg, const char *kf,
    const char *id, const char *msg, const char *pub, int64_t now)
{
	struct dk_err e = { 0 };
	struct dk_key k = { 0 }, op;
	json_t *proof = NULL, *r = NULL;

	if (dk_init(&e) < 0)
		return dk_prog_fail(P, &e);
	if (*cmd == 'v' && dk_bundle_verify(arg, stdout, &e) < 0) {
		if (e.status != DK_EX_NO)
			return dk_prog_fail(P, &e);
		printf("FAIL: %s\n", e.msg);
		return dk_finish_stdout(prog) ? DK_EX_IOERR : DK_EX_NO;
	}
	if (*cmd == 'c' && (dk_key_read_sec(&k, kf, &e) < 0 || (pub != NULL &&
	    dk_key_read_pub(&op, pub, &e) < 0) ||
	    (proof = dk_request_read(arg, &e)) == NULL ||
	    (r = dk_dispute_claim(proof, pub ? op.pk : NULL, id, &k, msg, now,
	    &e)) == NULL)) {
		dk_key_free(&k);
		json_decref(proof);
		return dk_prog_fail(P, &e);
	}
	if (r != NULL)
		dk_emit(stdout, r);
	dk_key_free(&k);
	json_decref(proof);
	json_decref(r);
	return dk_finish_stdout(prog);
}

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

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_coop C;
	struct dk_disputes d;
	struct dk_dreplay R;
	struct dk_key k = { 0 };
	const char *cmd, *kf = NULL, *id = NULL, *msg = NULL, *out = NULL;
	const char *pub = NULL;
	char **xf = calloc(argc + 1, sizeof(*xf)), *opath = NULL;
	size_t nxf = 0, i;
	int c, decision = 0, nops;
	long long seq = 0, at;
	int64_t now = (int64_t)time(NULL);
	json_t *rec = NULL, *then = json_array();

	dk_prog_init(&P, prog, usage, DK_PROG_CONF | DK_PROG_DRY, argc);
	P.lo = lo;
	while ((c = dk_prog_opt(&P, argc, argv, "k:i:m:t:o:p:")) != -1)
		switch (c) {
		case 'k': kf = optarg; break;
		case 'i': id = optarg; break;
		case 'm': msg = optarg; break;
		case 'o': out = optarg; break;
		case 'p': pub = optarg; break;
		case 'T': xf[nxf++] = optarg; break;
		case 'U':
		case 'R':
			if (decision != 0 && decision != c)
				dk_prog_usage(&P, DK_EX_USAGE);
			decision = c;
			break;
		case 't':
			if (dk_time_parse(optarg, &now, &e) < 0) {
				dk_warnx(prog, "-t %s: %s", optarg, e.msg);
				return DK_EX_USAGE;
			}
			break;
		}
	if (optind >= argc)
		dk_prog_usage(&P, DK_EX_USAGE);
	cmd = argv[optind++];
	nops = argc - optind;
	if ((strcmp(cmd, "verify") == 0 && nops == 1) || (strcmp(cmd, "claim")
	    == 0 && nops == 1 && kf != NULL && id != NULL && msg != NULL))
		return offline(&P, cmd, argv[optind], kf, id, msg, pub, now);
	if (!((strcmp(cmd, "list") == 0 && nops == 0) || (strcmp(cmd, "add") ==
	    0 && nops <= 1) || (nops == 1 &&
	    (strcmp(cmd, "open") == 0 || strcmp(cmd, "resolve") == 0 ||
	    strcmp(cmd, "bundle") == 0))))
		dk_prog_usage(&P, DK_EX_USAGE);
	if (*cmd != 'a' && nops == 1 && seqarg(argv[optind], &seq) < 0)
		return DK_EX_USAGE;
	if (((*cmd == 'o' || *cmd == 'r') && (kf == NULL || msg == NULL ||
	    (*cmd == 'r') != (decision != 0))) || (*cmd == 'b' && out == NULL)) {
		dk_warnx(prog, "%s: needs %s", cmd, *cmd == 'b' ? "-o dir" :
		    *cmd == 'o' ? "-k member.key and -m reason" : "-k "
		    "reviewer.key, -m comment and --upheld or --rejected");
		dk_prog_usage(&P, DK_EX_USAGE);
	}
	dk_disputes_init(&d);
	if (dk_prog_coop(&P, &C, 0, &e) < 0)
		goto fail;
	R.st = &C.st;
	R.d = &d;
	if (*cmd == 'l' || *cmd == 'b') {
		if (dk_ledger_scan(C.lpath, NULL, dk_dispute_replay, &R,
		    &e) < 0)
			goto fail;
		if (*cmd == 'l')
			dk_disputes_print(stdout, &d);
		else if (asprintf(&opath, "%s.openings", C.lpath) < 0)
			dk_fail(&e, DK_EX_SOFTWARE, "out of memory");
		else if (dk_bundle_write(C.lpath, opath, &d, &C.st.reg, seq, out,
		    &e) == 0)
			dk_warnx(prog, "%s: the evidence of dispute %lld", out,
			    seq);
		goto done;
	}
	/* a writer: the member's or reviewer's key signs, the operator's
	 * appends */
	if ((*cmd != 'a' && dk_key_read_sec(&k, kf, &e) < 0) ||
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
		rec = dk_dispute_make(&d, &C.st.reg, &k, id, seq, msg, now,
		    C.l.next, &e);
	else
		rec = dk_resolution_make(&d, &C.st.reg, &k, seq, decision == 'U',
		    msg, xf, nxf, now, C.l.next, then, &e);
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
	if (!P.dry && json_object_get(rec, "entry") != NULL)
		dk_warnx(prog, "dispute %lld opened against entry %lld", at,
		    (long long)json_integer_value(json_object_get(rec, "entry")));
	else if (!P.dry)
		dk_warnx(prog, "dispute %lld resolved by entry %lld",
		    (long long)json_integer_value(json_object_get(rec,
		    "dispute")), at);
done:
fail:
	json_decref(rec);
	json_decref(then);
	dk_key_free(&k);
	dk_disputes_free(&d);
	dk_coop_free(&C);
	free(xf);
	free(opath);
	return e.status != 0 ? dk_prog_fail(&P, &e) : dk_finish_stdout(prog);
}
