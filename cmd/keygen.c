/* denki-keygen: Ed25519 key pairs in minisign's layout. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denki.h"
#include "prog.h"

static const char *prog = "denki-keygen";
static const char usage[] =
    "usage: denki-keygen [-f] [-C comment] NAME\n"
    "       writes NAME.key (secret, mode 0600) and NAME.pub\n";

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_key k;
	const char *comment = NULL;
	char *sec = NULL, *pub = NULL, *b64, cbuf[300];
	int c, force = 0;
	json_t *out;

	dk_prog_init(&P, prog, usage, 0, argc);
	while ((c = dk_prog_opt(&P, argc, argv, "fC:")) != -1)
		switch (c) {
		case 'f':
			force = 1;
			break;
		case 'C':
			comment = optarg;
			break;
		}
	if (argc - optind != 1)
		dk_prog_usage(&P, DK_EX_USAGE);
	if (comment != NULL && strchr(comment, '\n') != NULL) {
		dk_warnx(prog, "-C: the comment must be one line");
		return DK_EX_USAGE;
	}
	if (comment != NULL && strlen(comment) > DK_KEY_COMMENTMAX) {
		dk_warnx(prog, "-C: the comment must be at most %d bytes "
		    "(minisign's limit)", DK_KEY_COMMENTMAX);
		return DK_EX_USAGE;
	}
	if (dk_init(&e) < 0 || asprintf(&sec, "%s.key", argv[optind]) < 0 ||
	    asprintf(&pub, "%s.pub", argv[optind]) < 0)
		goto fail;
	if (comment == NULL) {
		snprintf(cbuf, sizeof(cbuf), "denki key %.200s", argv[optind]);
		comment = cbuf;
	}
	if (!force && access(pub, F_OK) == 0) {
		dk_fail(&e, DK_EX_CANTCREAT, "%s: exists; -f overwrites it",
		    pub);
		goto fail;
	}
	if (dk_key_generate(&k, &e) < 0)
		goto fail;
	if (dk_key_write_sec(&k, sec, comment, force, &e) < 0 ||
	    dk_key_write_pub(&k, pub, comment, force, &e) < 0) {
		dk_key_free(&k);
		goto fail;
	}
	b64 = dk_key_pub_b64(&k);
	dk_key_free(&k);
	out = json_pack("{s:s,s:i,s:s,s:s,s:s}", "type", "key", "v", 1,
	    "key", b64, "public", pub, "secret", sec);
	free(b64);
	dk_emit(stdout, out);
	json_decref(out);
	free(sec);
	free(pub);
	return dk_finish_stdout(prog);
fail:
	free(sec);
	free(pub);
	return dk_prog_fail(&P, &e);
}
