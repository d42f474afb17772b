/* denki-ledger-export: a ledger file for people without denki. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "denki.h"

static const char *prog = "denki-ledger-export";

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: denki-ledger-export [-f] [-c config] [-D key=value] "
	    "[-o file]\n");
	exit(code);
}

static struct dk_key op;	/* the operator's: wiped however it ends */

static int
fail(struct dk_err *e)
{
	dk_key_free(&op);
	dk_warnx(prog, "%s", e->msg);
	return e->status ? e->status : DK_EX_SOFTWARE;
}

static int
put(const char *path, const void *buf, size_t n, int force, struct dk_err *e)
{
	size_t off = 0;
	ssize_t w;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    (force ? 0 : O_EXCL), 0644);
	if (fd < 0)
		return dk_fail(e, DK_EX_CANTCREAT, "%s: %s%s", path,
		    strerror(errno), errno == EEXIST ? "; -f overwrites it" :
		    "");
	while (off < n) {
		w = write(fd, (const char *)buf + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			dk_fail(e, DK_EX_IOERR, "%s: %s", path,
			    strerror(errno));
			close(fd);
			unlink(path);
			return -1;
		}
		off += w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		unlink(path);
		return dk_fail(e, DK_EX_IOERR, "%s: %s", path,
		    strerror(errno));
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct dk_err e = { 0 };
	struct dk_conf conf;
	struct dk_scaninfo si;
	struct dk_checkpoint cp;
	const char *cfg = NULL, *outp = NULL;
	char **defs, *lpath, *buf, *sig, *sigpath = NULL, trusted[512],
	    name[300], root[64];
	size_t ndefs = 0;
	int c, force = 0;
	json_t *out;
	FILE *fp;

	defs = calloc(argc, sizeof(*defs));
	while ((c = getopt_long(argc, argv, "c:D:o:fh", lo, NULL)) != -1)
		switch (c) {
		case 'c':
			cfg = optarg;
			break;
		case 'D':
			defs[ndefs++] = optarg;
			break;
		case 'o':
			outp = optarg;
			break;
		case 'f':
			force = 1;
			break;
		case 'h':
			usage(0);
			break;
		case 'V':
			printf("%s %s\n", prog, DK_VERSION);
			return 0;
		default:
			usage(DK_EX_USAGE);
		}
	if (optind != argc)
		usage(DK_EX_USAGE);
	if (dk_init(&e) < 0 ||
	    dk_conf_open(&conf, cfg, DK_CONF_COOP, defs, ndefs, &e) < 0 ||
	    dk_conf_key(&conf, "operator.key", 1, &op, &e) < 0)
		return fail(&e);
	if ((lpath = dk_conf_path(&conf, "ledger", "ledger.jsonl")) == NULL)
		return DK_EX_SOFTWARE;
	/* everything up to the latest checkpoint, checked as it is read */
	memset(&si, 0, sizeof(si));
	if (dk_ledger_scan_info(lpath, op.pk, NULL, NULL, &si, &e) < 0)
		return fail(&e);
	if (si.note == NULL) {
		dk_fail(&e, DK_EX_DATAERR, "%s: no checkpoint to export up to",
		    lpath);
		return fail(&e);
	}
	dk_checkpoint_parse(si.note, strlen(si.note), &cp, &e);
	if ((buf = malloc(si.note_end + 1)) == NULL ||
	    (fp = fopen(lpath, "r")) == NULL ||
	    fread(buf, 1, si.note_end, fp) != (size_t)si.note_end) {
		dk_fail(&e, DK_EX_IOERR, "%s: cannot read it back", lpath);
		return fail(&e);
	}
	fclose(fp);
	if (outp == NULL) {
		snprintf(name, sizeof(name), "ledger-%lld.jsonl",
		    si.note_seq + 1);
		outp = name;
	}
	sodium_bin2base64(root, sizeof(root), cp.root, 32,
	    sodium_base64_VARIANT_ORIGINAL);
	snprintf(trusted, sizeof(trusted), "origin=%s entries=%lld "
	    "tree_size=%llu root=%s", si.origin, si.note_seq + 1,
	    (unsigned long long)cp.size, root);
	if ((sig = dk_minisig(buf, si.note_end, &op, "verify with the "
	    "operator's public key: minisign -V or signify -V", trusted,
	    &e)) == NULL || asprintf(&sigpath, "%s.minisig", outp) < 0)
		return fail(&e);
	dk_key_free(&op);	/* signed: the secret is no longer needed */
	if (!force && (access(outp, F_OK) == 0 || access(sigpath, F_OK) == 0)) {
		dk_fail(&e, DK_EX_CANTCREAT, "%s: exists; -f overwrites it",
		    access(outp, F_OK) == 0 ? outp : sigpath);
		return fail(&e);
	}
	if (put(outp, buf, si.note_end, force, &e) < 0 ||
	    put(sigpath, sig, strlen(sig), force, &e) < 0)
		return fail(&e);
	out = json_pack("{s:s,s:i,s:s,s:s,s:I,s:s,s:s}", "type", "export",
	    "v", 1, "file", outp, "signature", sigpath,
	    "entries", (json_int_t)(si.note_seq + 1), "origin", si.origin,
	    "trusted_comment", trusted);
	dk_emit(stdout, out);
	json_decref(out);
	return dk_finish_stdout(prog);
}
