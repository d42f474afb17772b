/* denki-ledger-verify: the offline audit of a ledger. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denki.h"
#include "prog.h"

static const char *prog = "denki-ledger-verify";
static const char usage[] =
    "usage: denki-ledger-verify [-jqT] [-t threads] [-w witness.vkey]... "
    "[-W policy] [-Q quorum]\n"
    "                           [-S skew] -p operator.pub [-O openings] "
    "[-I imbalance.csv]...\n"
    "                           [-C checkpoint]... [-R receipts] [ledger]\n";

/* The answer no, as text or a verdict record: "FAIL: ", the reason (after
 * the ledger's name unless named is 0), and a fork's evidence if any. */
static int
fail(int json, const char *path, const char *msg, int named,
    const char *given, const char *latest)
{
	json_t *x;

	if (json) {
		x = json_pack("{s:s,s:i,s:b,s:s,s:s}", "type", "verdict", "v", 1,
		    "ok", 0, "ledger", path, "reason", msg);
		if (given != NULL)
			json_object_set_new(x, "evidence", json_pack("[s,s]",
			    given, latest != NULL ? latest : ""));
		dk_emit(stdout, x);
		json_decref(x);
	} else {
		if (!named || (strncmp(msg, path, strlen(path)) == 0 &&
		    msg[strlen(path)] == ':'))
			printf("FAIL: %s\n", msg);
		else
			printf("FAIL: %s: %s\n", path, msg);
		if (given != NULL)
			printf("--- the checkpoint given\n%s--- the ledger's "
			    "latest checkpoint\n%s", given,
			    latest != NULL ? latest : "(none)\n");
	}
	/* an answer that cannot be written is an I/O error */
	return dk_finish_stdout(prog) != 0 ? DK_EX_IOERR : DK_EX_NO;
}

/* A ledger of committed readings whose openings were not all given: the
 * slots whose settlement was replayed from its deviations, not readings. */
static void
unopened(const char *path, const struct dk_audit *a)
{
	size_t i, n = json_array_size(a->unopened);

	printf("%s: readings committed: %lld commitments, %lld opened; ",
	    path, a->commitments, a->opened);
	printf("%zu slot%s not recomputed from readings (no opening), only "
	    "from the deviations settled:", n, n == 1 ? "" : "s");
	for (i = 0; i < n; i++)
		printf(" %s", json_string_value(json_array_get(a->unopened, i)));
	printf("\n");
}

/* Every recovery of a member's key on a line of its own: whoever reads
 * the verdict sees each key that the member did not change itself. */
static void
recoveries(int json, const char *path, json_t *a)
{
	json_t *x;
	size_t i;

	json_array_foreach(a, i, x)
		if (json)
			dk_emit(stdout, x);
		else
			printf("%s: RECOVERY: entry %lld: participant %s: key "
			    "%s replaced by %s, countersigned by the recovery "
			    "key, %s: %s\n", path,
			    (long long)json_integer_value(json_object_get(x,
			    "entry")), json_string_value(
			    json_object_get(x, "id")), json_string_value(
			    json_object_get(x, "old_key")), json_string_value(
			    json_object_get(x, "key")), json_string_value(
			    json_object_get(x, "time")), json_string_value(
			    json_object_get(x, "reason")));
}

/* -T: each slot's timeline record; a warning for each limit it missed */
static int
timeline(const char *path, const unsigned char pk[32], struct dk_err *e)
{
	json_t *tl, *x, *late;
	size_t i;

	if ((tl = dk_timeline(path, pk, e)) == NULL)
		return -1;
	json_array_foreach(tl, i, x) {
		dk_emit(stdout, x);
		late = json_object_get(x, "late");
		if (json_array_size(late) > 0) {
			char *l = dk_json_dumps(late, JSON_COMPACT);
			dk_warnx(prog, "slot %s: late (the seed's limits: "
			    "cleared 15 and contracted 30 minutes after its "
			    "start, settled an hour after its end): %s",
			    json_string_value(json_object_get(x, "slot")), l);
			free(l);
		}
		if (json_is_true(json_object_get(x, "early")))
			dk_warnx(prog, "slot %s: settled provisionally before "
			    "the hour after its end was over, its readings not "
			    "waited for", json_string_value(json_object_get(x,
			    "slot")));
	}
	json_decref(tl);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_key op;
	struct dk_audit a;
	struct dk_wpolicy W, *wp;
	const char *pub = NULL, *path = "ledger.jsonl", *openings = NULL;
	const char *rf = NULL;
	char **cps, *given, rd[96], h[65];
	size_t ncps = 0, ci;
	int c, json = 0, quiet = 0, threads = 0, tl = 0, rc;
	json_t *x;

	dk_prog_init(&P, prog, usage, 0, argc);
	dk_wpolicy_init(&W);
	P.many = "wIC";
	cps = calloc(argc, sizeof(*cps));
	while ((c = dk_prog_opt(&P, argc, argv, "p:C:I:O:R:t:jqT" DK_WOPTS)) != -1)
		switch (c) {
		default:
			dk_prog_wopt(&P, &W, c, optarg);
			break;
		case 'O':
		case 'R':
			*(c == 'O' ? &openings : &rf) = optarg;
			break;
		case 'I':
			if (dk_series_load(optarg, 1, h, &e) < 0)
				return dk_prog_fail(&P, &e);
			break;
		case 't':
			threads = atoi(optarg);
			if (threads < 1 || threads > 256) {
				dk_warnx(prog, "-t %s: must be 1 to 256 threads",
				    optarg);
				return DK_EX_USAGE;
			}
			break;
		case 'C':
			cps[ncps++] = optarg;
			break;
		case 'p':
			pub = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'T':
			tl = quiet = 1;
			break;
		}
	if (pub == NULL || argc - optind > 1) {
		if (pub == NULL)
			dk_warnx(prog, "-p names the operator's public key");
		dk_prog_usage(&P, DK_EX_USAGE);
	}
	if (optind < argc)
		path = argv[optind];
	if (dk_init(&e) < 0 || dk_key_read_pub(&op, pub, &e) < 0)
		return dk_prog_fail(&P, &e);

	/* the whole ledger replayed; then the checkpoints kept from before */
	wp = W.n > 0 || W.quorum > 0 ? &W : NULL;
	rc = dk_audit_ledger(&a, path, op.pk, openings, threads, ncps > 0, wp,
	    &e);
	if (!quiet || json)
		recoveries(json, path, a.recoveries);
	for (ci = 0; rc == 0 && ci < ncps; ci++)
		if (dk_checkpoint_against(cps[ci], path, op.pk, &a.si, &given,
		    &e) < 0) {
			if (e.status == DK_EX_NOINPUT)
				return dk_prog_fail(&P, &e);
			return fail(json, path, e.msg, 0, given, a.si.note);
		}
	if (rc < 0) {
		if (e.status == DK_EX_NOINPUT || e.status == DK_EX_IOERR ||
		    (e.status == DK_EX_DATAERR && openings != NULL &&
		    strncmp(e.msg, openings, strlen(openings)) == 0))
			return dk_prog_fail(&P, &e);
		return fail(json, path, e.msg, 1, NULL, NULL);
	}

	/* cosignatures checked by the scan; the last checkpoint's quorum */
	if (wp != NULL && dk_wpolicy_last(wp, path, &a.si, &e) < 0)
		return fail(json, path, e.msg, 1, NULL, NULL);
	if (tl && timeline(path, op.pk, &e) < 0)
		return fail(json, path, e.msg, 1, NULL, NULL);
	if (rf != NULL && (rc = dk_receipts_check(rf, path, op.pk, stdout, &e)))
		return rc < 0 ? dk_prog_fail(&P, &e) : DK_EX_DATAERR;
	if (json) {
		x = dk_audit_json(&a, path);
		dk_emit(stdout, x);
		json_decref(x);
	} else if (!quiet) {
		/* a commitment's signature is in its opening: in a ledger
		 * of committed readings, only the opened are counted */
		if (a.si.committed)
			snprintf(rd, sizeof(rd), "%lld readings (%lld opened, "
			    "%lld of them unsigned)", a.readings, a.opened,
			    a.unsigned_readings);
		else
			snprintf(rd, sizeof(rd), "%lld readings (%lld "
			    "unsigned)", a.readings, a.unsigned_readings);
		printf("%s: OK: %lld entries, %zu participants, %lld orders, "
		    "%lld slots cleared, %lld contracts (%lld Wh), %lld slots "
		    "settled, %s, %lld transfers, %lld checkpoints of %s; "
		    "every hash link, signature, checkpoint and replay "
		    "checks%s\n",
		    path, a.entries, a.participants, a.orders, a.slots_cleared,
		    a.contracts, (long long)a.contract_wh, a.slots_settled,
		    rd, a.transfers, a.checkpoints, a.si.origin, dk_audit_note(&a));
	}
	if (!json && !quiet && json_array_size(a.unopened) > 0)
		unopened(path, &a);
	dk_audit_free(&a);
	free(cps);
	return dk_finish_stdout(prog);
}
