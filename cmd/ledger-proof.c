/* denki-ledger-proof: inclusion and consistency proofs from the ledger. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "denki.h"
#include "prog.h"

static const char *prog = "denki-ledger-proof";
static const char usage[] =
    "usage: denki-ledger-proof [-c config] [-D key=value] [-p operator.pub] "
    "inclusion SEQ\n"
    "       denki-ledger-proof [-c config] [-D key=value] [-p operator.pub] "
    "consistency OLD.note\n"
    "       denki-ledger-proof [-c config] [-D key=value] [-p operator.pub] "
    "checkpoint\n";

static json_t *
hashes(unsigned char (*p)[32], size_t n)
{
	json_t *a = json_array();
	char b[64];
	size_t i;

	for (i = 0; i < n; i++) {
		sodium_bin2base64(b, sizeof(b), p[i], 32,
		    sodium_base64_VARIANT_ORIGINAL);
		json_array_append_new(a, json_string(b));
	}
	return a;
}

/* The line of entry seq, without its newline. */
static char *
entry_line(const char *path, long long seq, struct dk_err *e)
{
	struct dk_reader r;
	char *line, *out = NULL;
	long n;

	if (dk_reader_open(&r, path, e) < 0)
		return NULL;
	while ((n = dk_reader_next(&r, &line, e)) >= 0)
		if (r.line - 1 == seq) {
			out = strdup(line);
			break;
		}
	dk_reader_close(&r);
	if (out == NULL)
		dk_fail(e, DK_EX_DATAERR, "%s: no entry %lld", path, seq);
	return out;
}

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_conf conf;
	struct dk_scaninfo si;
	struct dk_key op;
	struct dk_vkey vk;
	struct dk_checkpoint old;
	const char *pub = NULL, *cmd;
	char *lpath, *line, *note = NULL, vkb[512], *endp;
	unsigned char (*p)[32] = NULL, root[32];
	size_t np, len = 0;
	long long seq, size;
	long tl;
	int c, have_op = 0;
	json_t *out;
	FILE *fp;

	dk_prog_init(&P, prog, usage, DK_PROG_CONF, argc);
	while ((c = dk_prog_opt(&P, argc, argv, "+p:")) != -1)
		if (c == 'p')
			pub = optarg;
	if (optind >= argc)
		dk_prog_usage(&P, DK_EX_USAGE);
	cmd = argv[optind++];
	if (!((strcmp(cmd, "checkpoint") == 0 && optind == argc) ||
	    ((strcmp(cmd, "inclusion") == 0 || strcmp(cmd, "consistency") ==
	    0) && optind == argc - 1)))
		dk_prog_usage(&P, DK_EX_USAGE);
	if (dk_init(&e) < 0 || dk_prog_conf(&P, &conf, DK_CONF_COOP, &e) < 0)
		goto fail;
	if (pub != NULL) {
		if (dk_key_read_pub(&op, pub, &e) < 0)
			goto fail;
		have_op = 1;
	} else if (dk_conf_str(&conf, "operator.pub", NULL) != NULL) {
		if (dk_conf_key(&conf, "operator.pub", 0, &op, &e) < 0)
			goto fail;
		have_op = 1;
	}
	if ((lpath = dk_conf_path(&conf, "ledger", "ledger.jsonl")) == NULL)
		return DK_EX_SOFTWARE;
	memset(&si, 0, sizeof(si));
	si.want_leaves = 1;
	if (dk_ledger_scan_info(lpath, have_op ? op.pk : NULL, NULL, NULL, &si,
	    &e) < 0)
		goto fail;
	if (si.note == NULL) {
		dk_fail(&e, DK_EX_DATAERR, "%s: no checkpoint yet", lpath);
		goto fail;
	}
	size = si.note_seq;	/* the latest checkpoint's tree */
	p = calloc(64, 32);

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
		if (seq >= size) {
			dk_fail(&e, DK_EX_DATAERR, "entry %lld is not under the "
			    "latest checkpoint yet (its tree has %lld entries)",
			    seq, size);
			goto fail;
		}
		if ((line = entry_line(lpath, seq, &e)) == NULL ||
		    dk_merkle_inclusion((const unsigned char (*)[32])si.leaves,
		    size, seq, p, &np, &e) < 0)
			goto fail;
		out = json_pack("{s:s,s:i,s:I,s:I,s:s,s:o,s:s}", "type",
		    "inclusion", "v", 1, "index", (json_int_t)seq,
		    "size", (json_int_t)size, "entry", line,
		    "proof", hashes(p, np), "checkpoint", si.note);
		free(line);
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
	len = strlen(note);
	memset(&vk, 0, sizeof(vk));
	if (dk_vkey_make(si.origin, have_op ? op.pk : si.key.pk, vkb,
	    sizeof(vkb)) < 0 || dk_vkey_parse(vkb, &vk, &e) < 0)
		goto fail;
	if ((tl = dk_note_open(note, len, &vk, 1, &e)) < 0 ||
	    dk_checkpoint_parse(note, tl, &old, &e) < 0) {
		dk_failpre(&e, "%s", argv[optind]);
		e.status = DK_EX_DATAERR;
		goto fail;
	}
	if (strcmp(old.origin, si.origin) != 0) {
		dk_fail(&e, DK_EX_DATAERR, "%s: a checkpoint of \"%s\", not of "
		    "this ledger's \"%s\"", argv[optind], old.origin,
		    si.origin);
		goto fail;
	}
	if (old.size == 0 || old.size > (uint64_t)size) {
		dk_fail(&e, DK_EX_DATAERR, "%s: tree size %llu; a proof "
		    "needs 0 < size <= %lld", argv[optind],
		    (unsigned long long)old.size, size);
		goto fail;
	}
	dk_merkle_root((const unsigned char (*)[32])si.leaves, old.size,
	    root);
	if (memcmp(root, old.root, 32) != 0) {
		/* the operator signed two histories: both notes are evidence */
		printf("FORK: %s and the ledger's checkpoint disagree on the "
		    "first %llu entries\n%s\n%s", argv[optind],
		    (unsigned long long)old.size, note, si.note);
		return dk_finish_stdout(prog) != 0 ? DK_EX_IOERR : DK_EX_NO;
	}
	if (dk_merkle_consistency((const unsigned char (*)[32])si.leaves,
	    size, old.size, p, &np, &e) < 0)
		goto fail;
	out = json_pack("{s:s,s:i,s:I,s:I,s:o,s:s,s:s}", "type",
	    "consistency", "v", 1, "size1", (json_int_t)old.size,
	    "size2", (json_int_t)size, "proof", hashes(p, np),
	    "checkpoint1", note, "checkpoint2", si.note);
	dk_emit(stdout, out);
	json_decref(out);
	return dk_finish_stdout(prog);
fail:
	return dk_prog_fail(&P, &e);
}
