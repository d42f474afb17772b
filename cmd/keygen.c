/* denki-keygen: Ed25519 key pairs in minisign's layout. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "denki.h"
#include "prog.h"

static const char *prog = "denki-keygen";
static const char usage[] =
    "usage: denki-keygen [-ef] [-C comment] [-P fd] NAME\n"
    "       writes NAME.key (secret, mode 0600) and NAME.pub\n"
    "       NAME.key is unencrypted, for unattended use (cron); -e encrypts\n"
    "       it with a passphrase from the terminal, or from fd with -P\n";

/* The passphrase for -e, sodium_malloc'd: once from fd, or twice from the
 * terminal. */
static char *
passphrase(int fd, struct dk_err *e)
{
	char *p = sodium_malloc(DK_PASSMAX), *again = NULL;

	if (p == NULL || (fd < 0 && (again = sodium_malloc(DK_PASSMAX)) ==
	    NULL)) {
		dk_fail(e, DK_EX_SOFTWARE, "out of secure memory");
		goto fail;
	}
	if (dk_pass_read(fd, "Passphrase for the new key: ", p, DK_PASSMAX,
	    e) < 0)
		goto fail;
	if (*p == '\0') {
		dk_fail(e, DK_EX_DATAERR, "the passphrase is empty");
		goto fail;
	}
	if (again != NULL) {
		if (dk_pass_read(fd, "The passphrase again: ", again,
		    DK_PASSMAX, e) < 0)
			goto fail;
		if (strcmp(p, again) != 0) {
			dk_fail(e, DK_EX_DATAERR, "the passphrases differ");
			goto fail;
		}
		sodium_free(again);
	}
	return p;
fail:
	sodium_free(p);
	sodium_free(again);
	return NULL;
}

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_key k;
	const char *comment = NULL;
	char *sec = NULL, *pub = NULL, *b64, cbuf[300], *pass = NULL, *end;
	int c, force = 0, enc = 0, fd = -1;
	long l;
	json_t *out;

	dk_prog_init(&P, prog, usage, 0, argc);
	while ((c = dk_prog_opt(&P, argc, argv, "efC:P:")) != -1)
		switch (c) {
		case 'e':
			enc = 1;
			break;
		case 'P':
			errno = 0;
			l = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || errno != 0 ||
			    l < 0 || l > 1000000) {
				dk_warnx(prog, "-P: must be the number of a "
				    "file descriptor");
				return DK_EX_USAGE;
			}
			fd = (int)l;
			break;
		case 'f':
			force = 1;
			break;
		case 'C':
			comment = optarg;
			break;
		}
	if (argc - optind != 1)
		dk_prog_usage(&P, DK_EX_USAGE);
	if (fd >= 0 && !enc) {
		dk_warnx(prog, "-P: only with -e");
		return DK_EX_USAGE;
	}
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
	if (enc && !force && access(sec, F_OK) == 0) {
		dk_fail(&e, DK_EX_CANTCREAT, "%s: exists; -f overwrites it",
		    sec);
		goto fail;
	}
	if (enc && (pass = passphrase(fd, &e)) == NULL)
		goto fail;
	if (dk_key_generate(&k, &e) < 0)
		goto fail;
	if (dk_key_write_sec_pass(&k, sec, comment, force, pass, &e) < 0 ||
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
	sodium_free(pass);
	return dk_finish_stdout(prog);
fail:
	sodium_free(pass);
	free(sec);
	free(pub);
	return dk_prog_fail(&P, &e);
}
