/* denki-ledger-proof: inclusion and consistency proofs from the ledger. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denki.h"
#include "prog.h"

static const char *prog = "denki-ledger-proof";
static const char usage[] =
    "usage: denki-ledger-proof [-c config] [-D key=value] [-p operator.pub] "
    "[policy] inclusion SEQ\n"
    "       denki-ledger-proof [-c config] [-D key=value] [-p operator.pub] "
    "[policy] consistency OLD.note\n"
    "       denki-ledger-proof [-c config] [-D key=value] [-p operator.pub] "
    "[policy] checkpoint\n"
    "policy: [-w witness.vkey]... [-W policy] [-Q quorum] [-S skew]\n";

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_coop C;
	struct dk_scaninfo si;
	struct dk_key op;
	struct dk_wpolicy W;
	const char *pub = NULL, *cmd;
	char *note = NULL, *endp;
	unsigned long long size1;
	size_t len = 0;
	long long seq;
	int c, have_op = 0, rc;
	json_t *out = NULL;
	FILE *fp;

	dk_prog_init(&P, prog, usage, DK_PROG_CONF, argc);
	dk_wpolicy_init(&W);
	P.many = "w";
	while ((c = dk_prog_opt(&P, argc, argv, "+p:" DK_WOPTS)) != -1)
		if (c == 'p')
			pub = optarg;
		else
			dk_prog_wopt(&P, &W, c, optarg);
	if (optind >= argc)
		dk_prog_usage(&P, DK_EX_USAGE);
	cmd = argv[optind++];
	if (!((strcmp(cmd, "checkpoint") == 0 && optind == argc) ||
	    ((strcmp(cmd, "inclusion") == 0 || strcmp(cmd, "consistency") ==
	    0) && optind == argc - 1)))
		dk_prog_usage(&P, DK_EX_USAGE);
	if (dk_prog_coop(&P, &C, 0, &e) < 0)
		goto fail;
	if (pub != NULL) {
		if (dk_key_read_pub(&op, pub, &e) < 0)
			goto fail;
		have_op = 1;
	} else if (dk_conf_str(&C.conf, "operator.pub", NULL) != NULL) {
		if (dk_conf_key(&C.conf, "operator.pub", 0, &op, &e) < 0)
			goto fail;
		have_op = 1;
	}
	memset(&si, 0, sizeof(si));
	si.want_leaves = 1;
	si.policy = &W;
	if (dk_ledger_scan_info(C.lpath, have_op ? op.pk : NULL, NULL, NULL, &si,
	    &e) < 0)
		goto fail;
	if (si.note == NULL) {
		dk_fail(&e, DK_EX_DATAERR, "%s: no checkpoint yet", C.lpath);
		goto fail;
	}
	/* no proof under a checkpoint without the witnesses' quorum */
	if (dk_wpolicy_last(&W, C.lpath, &si, &e) < 0)
		goto fail;
	if (strcmp(cmd, "checkpoint") == 0) {
		fputs(si.note, stdout);
		return dk_finish_stdout(prog);
	}
	if (strcmp(cmd, "inclusion") == 0) {
		errno = 0;
		seq = strtoll(argv[optind], &endp, 10);
		if (*argv[optind] == '\0' || *endp != '\0' || seq < 0 ||
		    errno != 0) {
			dk_warnx(prog, "inclusion %s: must be an entry's seq",
			    argv[optind]);
			return DK_EX_USAGE;
		}
		if ((out = dk_proof_inclusion(&si, C.lpath, seq, &e)) == NULL)
			goto fail;
		dk_emit(stdout, out);
		json_decref(out);
		return dk_finish_stdout(prog);
	}

	/* consistency from a checkpoint the member kept */
	if ((fp = fopen(argv[optind], "r")) == NULL) {
		dk_fail(&e, DK_EX_NOINPUT, "%s: %s", argv[optind],
		    strerror(errno));
		goto fail;
	}
	if (getdelim(&note, &len, '\0', fp) < 0)
		note = strdup("");
	fclose(fp);
	rc = dk_proof_consistency(&si, have_op ? op.pk : si.key.pk,
	    argv[optind], note, &out, &size1, &e);
	if (rc < 0)
		goto fail;
	if (rc > 0) {
		/* the operator signed two histories: both notes are evidence */
		printf("FORK: %s and the ledger's checkpoint disagree on the "
		    "first %llu entries\n%s\n%s", argv[optind], size1, note,
		    si.note);
		return dk_finish_stdout(prog) != 0 ? DK_EX_IOERR : DK_EX_NO;
	}
	dk_emit(stdout, out);
	json_decref(out);
	return dk_finish_stdout(prog);
fail:
	return dk_prog_fail(&P, &e);
}
