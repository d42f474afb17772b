/* denki-proof-verify: a member checks a proof offline, with no ledger. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denki.h"
#include "prog.h"

static const char *prog = "denki-proof-verify";
static const char usage[] =
    "usage: denki-proof-verify [-q] [-w witness.vkey]... [-W policy] "
    "[-Q quorum] [-S skew]\n"
    "                          -p operator.pub [-o origin] [proof ...]\n";

/* the checkpoint a witness policy applies to: an inclusion proof's, a
 * consistency proof's newer one */
static const char *
proof_note(json_t *r)
{
	json_t *n = json_object_get(r, "checkpoint");

	if (n == NULL)
		n = json_object_get(r, "checkpoint2");
	return json_string_value(n) != NULL ? json_string_value(n) : "";
}

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_reader rd;
	struct dk_key op;
	struct dk_wpolicy W;
	const char *pub = NULL, *origin = NULL;
	char *line, ok[512];
	int c, quiet = 0, bad = 0, argi, n = 0;
	long len;
	json_t *r;
	json_error_t je;

	dk_prog_init(&P, prog, usage, 0, argc);
	dk_wpolicy_init(&W);
	P.many = "w";
	while ((c = dk_prog_opt(&P, argc, argv, "p:o:q" DK_WOPTS)) != -1)
		switch (c) {
		default:
			dk_prog_wopt(&P, &W, c, optarg);
			break;
		case 'p':
			pub = optarg;
			break;
		case 'o':
			origin = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		}
	if (pub == NULL) {
		dk_warnx(prog, "-p names the operator's public key");
		dk_prog_usage(&P, DK_EX_USAGE);
	}
	if (dk_init(&e) < 0 || dk_key_read_pub(&op, pub, &e) < 0) {
		dk_warnx(prog, "%s", e.msg);
		return e.status;
	}
	dk_prog_need_input(&P, argc, "proof");
	/* each line a proof; a bad one is a FAIL line, and the next is read */
	for (argi = optind; argi < argc || argi == optind; argi++) {
		if (dk_reader_open(&rd, argi < argc ? argv[argi] : "-",
		    &e) < 0) {
			dk_warnx(prog, "%s", e.msg);
			return e.status;
		}
		while ((len = dk_reader_next(&rd, &line, &e)) >= 0) {
			if (len == 0)
				continue;
			n++;
			r = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
			if (r == NULL || !json_is_object(r)) {
				dk_fail(&e, DK_EX_NO, "malformed JSON");
				json_decref(r);
			} else if (dk_proof_verify(r, op.pk, origin, ok,
			    sizeof(ok), &e) == 0 && dk_wpolicy_check(&W,
			    proof_note(r), &e) == 0) {
				if (!quiet)
					printf("%s:%ld: OK: %s\n", rd.name,
					    rd.line, ok);
				json_decref(r);
				continue;
			} else
				json_decref(r);
			printf("%s:%ld: FAIL: %s\n", rd.name, rd.line, e.msg);
			bad = 1;
		}
		dk_reader_close(&rd);
		if (argi >= argc)
			break;
	}
	if (n == 0) {
		printf("FAIL: no proof read\n");
		bad = 1;
	}
	c = dk_finish_stdout(prog);
	return c ? c : bad ? DK_EX_NO : DK_EX_OK;
}
