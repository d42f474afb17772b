/* denki-review: the trades held for review with their reasons and evidence,
 * and a reviewer's signed decision on one (with an approved trade's
 * contract) appended to the ledger. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "denki.h"
#include "prog.h"

static const char *prog = "denki-review";
static const char usage[] =
    "usage: denki-review [-c config] [-D key=value] [list]\n"
    "       denki-review [-n] [-c config] [-D key=value] approve|reject ID "
    "-k key -m comment\n"
    "       denki-review [-c config] [-D key=value] add [decision]\n";

/* The decision on the trade whose id starts with prefix, signed with the
 * reviewer's key at the time now and checked as a verifier will. */
static json_t *
decide(const struct dk_revq *q, const char *cmd, const char *prefix,
    const char *keyf, const char *comment, struct dk_err *e)
{
	struct dk_key k = { 0 };
	const struct dk_participant *p;
	const char *id;
	json_t *d = NULL;

	if ((id = dk_revq_find(q, prefix, e)) == NULL ||
	    dk_key_read_sec(&k, keyf, e) < 0)
		goto out;
	if ((p = dk_registry_key(q->reg, k.pk)) == NULL)
		dk_fail(e, DK_EX_NOPERM, "-k %s: not the key of a registered "
		    "participant", keyf);
	else
		d = dk_review_decision(q, cmd, id, comment, p->id,
		    (int64_t)time(NULL), &k, e);
out:
	dk_key_free(&k);
	return d;
}

/* Decision d appended, with the contract of an approved trade right after
 * it, under a checkpoint; both on stdout. */
static int
append(struct dk_coop *C, const struct dk_revq *q, json_t *d,
    struct dk_err *e)
{
	json_t *c = NULL;
	int rc = -1;

	if (strcmp(json_string_value(json_object_get(d, "decision")),
	    "approve") == 0 && (c = dk_revq_contract(q, d, e)) == NULL)
		return -1;
	if (dk_state_apply(&C->st, 0, 0, d, e) == 0 &&
	    dk_ledger_add(&C->l, d, e) == 0 && (c == NULL ||
	    (dk_state_apply(&C->st, 0, 0, c, e) == 0 &&
	    dk_ledger_add(&C->l, c, e) == 0)) &&
	    dk_ledger_finish(&C->l, 0, e) == 0) {
		dk_emit(stdout, d);
		if (c != NULL)
			dk_emit(stdout, c);
		rc = 0;
	}
	json_decref(c);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_coop C;
	struct dk_revq q;
	struct dk_state st;
	const char *cmd = "list", *keyf = NULL, *comment = NULL;
	json_t *out = NULL, *x;
	size_t i;
	int c, list, add, write;

	dk_prog_init(&P, prog, usage, DK_PROG_CONF | DK_PROG_DRY, argc);
	while ((c = dk_prog_opt(&P, argc, argv, "k:m:")) != -1) {
		if (c == 'k')
			keyf = optarg;
		else
			comment = optarg;
	}
	if (optind < argc)
		cmd = argv[optind++];
	list = strcmp(cmd, "list") == 0;
	add = strcmp(cmd, "add") == 0;
	if (list || add ? optind + add < argc || keyf != NULL ||
	    comment != NULL || P.dry : (strcmp(cmd, "approve") != 0 &&
	    strcmp(cmd, "reject") != 0) || optind + 1 != argc)
		dk_prog_usage(&P, DK_EX_USAGE);
	if (!list && !add && (keyf == NULL || comment == NULL)) {
		dk_warnx(prog, "%s: -k (the reviewer's secret key) and -m (why) "
		    "are required", cmd);
		return DK_EX_USAGE;
	}
	/* -n: the reviewer's side, on a copy of the ledger: nothing written */
	write = !list && !P.dry;
	dk_state_init(&st);
	dk_revq_init(&q, NULL);
	if (dk_prog_coop(&P, &C, 0, &e) < 0)
		goto fail;
	if (access(C.lpath, F_OK) != 0 && !list) {
		dk_fail(&e, DK_EX_NOINPUT, "%s: no ledger, so no trade waits "
		    "for review", C.lpath);
		goto fail;
	}
	/* the writer's lock first: the queue read is the one decided on */
	if ((write && dk_coop_open(&C, &e) < 0) ||
	    (access(C.lpath, F_OK) == 0 && dk_revq_ledger(&q, &st, write ?
	    C.l.fd : -1, C.lpath, &e) < 0))
		goto fail;
	if (list) {
		if ((out = dk_revq_list(&q, (int64_t)time(NULL), &e)) == NULL)
			goto fail;
		json_array_foreach(out, i, x)
			dk_emit(stdout, x);
	} else if ((out = add ? dk_request_read(optind < argc ? argv[optind] :
	    "-", &e) : decide(&q, cmd, argv[optind], keyf, comment, &e)) ==
	    NULL || (add && dk_review_check(&q, out, &e) < 0) ||
	    (write ? append(&C, &q, out, &e) : dk_emit(stdout, out)) < 0)
		goto fail;
	json_decref(out);
	dk_revq_free(&q);
	dk_state_free(&st);
	dk_coop_free(&C);
	dk_prog_free(&P);
	return dk_finish_stdout(prog);
fail:
	json_decref(out);
	dk_revq_free(&q);
	dk_state_free(&st);
	dk_coop_free(&C);
	return dk_prog_fail(&P, &e);
}
