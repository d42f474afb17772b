/* denki-proof-verify: a member checks a proof offline, with no ledger. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "denki.h"

static const char *prog = "denki-proof-verify";

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: denki-proof-verify [-q] -p operator.pub [-o origin] "
	    "[proof ...]\n");
	exit(code);
}

/* A signed checkpoint by the operator's key, under the expected origin. */
static int
open_note(const char *note, const unsigned char pk[32], const char *origin,
    struct dk_checkpoint *cp, struct dk_err *e)
{
	struct dk_checkpoint peek;
	struct dk_vkey vk;
	char vkb[512];
	long tl;

	/* the key name is the origin: read it, then check the signature */
	if (dk_checkpoint_parse(note, strlen(note), &peek, e) < 0)
		return -1;
	if (origin != NULL && strcmp(peek.origin, origin) != 0)
		return dk_fail(e, DK_EX_NO, "checkpoint of another origin, "
		    "\"%.100s\", not \"%.100s\"", peek.origin, origin);
	if (dk_vkey_make(peek.origin, pk, vkb, sizeof(vkb)) < 0 ||
	    dk_vkey_parse(vkb, &vk, e) < 0)
		return dk_fail(e, DK_EX_NO, "checkpoint: bad origin");
	if ((tl = dk_note_open(note, strlen(note), &vk, 1, e)) < 0)
		return -1;
	return dk_checkpoint_parse(note, tl, cp, e);
}

/* Every hash of a proof must be base64 of exactly 32 bytes. */
static int
hashes(json_t *a, unsigned char (**out)[32], size_t *n, struct dk_err *e)
{
	json_t *x;
	size_t i, got;
	const char *s;

	if (!json_is_array(a) || json_array_size(a) > 64)
		return dk_fail(e, DK_EX_NO, "proof: must be an array of at "
		    "most 64 hashes");
	*n = json_array_size(a);
	*out = calloc(*n + 1, 32);
	json_array_foreach(a, i, x) {
		s = json_string_value(x);
		if (s == NULL || sodium_base642bin((*out)[i], 32, s,
		    strlen(s), NULL, &got, NULL,
		    sodium_base64_VARIANT_ORIGINAL) != 0 || got != 32)
			return dk_fail(e, DK_EX_NO, "proof[%zu]: not base64 "
			    "of a 32-byte hash", i);
	}
	return 0;
}

static int
verify(json_t *r, const unsigned char pk[32], const char *origin, char *ok,
    size_t oklen, struct dk_err *e)
{
	struct dk_checkpoint c1, c2;
	unsigned char (*p)[32] = NULL, leaf[32];
	const char *type, *entry, *n1, *n2;
	long long idx, size, s1, s2;
	size_t np;
	int rc = -1;

	if ((type = dk_get_str(r, "type", e)) == NULL)
		return -1;
	if (strcmp(type, "inclusion") == 0) {
		if (dk_get_int(r, "index", 0, DK_MAX_SAFE_INT, &idx, e) < 0 ||
		    dk_get_int(r, "size", 1, DK_MAX_SAFE_INT, &size, e) < 0 ||
		    (entry = dk_get_str(r, "entry", e)) == NULL ||
		    (n1 = dk_get_str(r, "checkpoint", e)) == NULL)
			return -1;
		if (open_note(n1, pk, origin, &c1, e) < 0)
			return -1;
		if (c1.size != (uint64_t)size)
			return dk_fail(e, DK_EX_NO, "size %lld, but the "
			    "checkpoint's tree has %llu", size,
			    (unsigned long long)c1.size);
		if (hashes(json_object_get(r, "proof"), &p, &np, e) < 0)
			goto out;
		dk_merkle_leaf(entry, strlen(entry), leaf);
		if (dk_merkle_verify_inclusion(idx, size, leaf,
		    (const unsigned char (*)[32])p, np, c1.root, e) < 0)
			goto out;
		snprintf(ok, oklen, "entry %lld is in %s, checkpoint of %lld "
		    "entries", idx, c1.origin, size);
		rc = 0;
	} else if (strcmp(type, "consistency") == 0) {
		if (dk_get_int(r, "size1", 0, DK_MAX_SAFE_INT, &s1, e) < 0 ||
		    dk_get_int(r, "size2", 0, DK_MAX_SAFE_INT, &s2, e) < 0 ||
		    (n1 = dk_get_str(r, "checkpoint1", e)) == NULL ||
		    (n2 = dk_get_str(r, "checkpoint2", e)) == NULL)
			return -1;
		if (open_note(n1, pk, origin, &c1, e) < 0)
			return dk_failpre(e, "checkpoint1");
		if (open_note(n2, pk, origin ? origin : c1.origin, &c2, e) < 0)
			return dk_failpre(e, "checkpoint2");
		if (c1.size != (uint64_t)s1 || c2.size != (uint64_t)s2)
			return dk_fail(e, DK_EX_NO, "the sizes do not match "
			    "the checkpoints");
		if (hashes(json_object_get(r, "proof"), &p, &np, e) < 0)
			goto out;
		if (dk_merkle_verify_consistency(s1, s2, c1.root, c2.root,
		    (const unsigned char (*)[32])p, np, e) < 0)
			goto out;
		snprintf(ok, oklen, "%s grew from %lld to %lld entries without "
		    "rewriting any", c1.origin, s1, s2);
		rc = 0;
	} else
		return dk_fail(e, DK_EX_NO, "type: must be inclusion or "
		    "consistency, got \"%.40s\"", type);
out:
	free(p);
	return rc;
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
	struct dk_reader rd;
	struct dk_key op;
	const char *pub = NULL, *origin = NULL;
	char *line, ok[512];
	int c, quiet = 0, bad = 0, argi, n = 0;
	long len;
	json_t *r;
	json_error_t je;

	while ((c = getopt_long(argc, argv, "p:o:qh", lo, NULL)) != -1)
		switch (c) {
		case 'p':
			pub = optarg;
			break;
		case 'o':
			origin = optarg;
			break;
		case 'q':
			quiet = 1;
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
	if (pub == NULL) {
		dk_warnx(prog, "-p names the operator's public key");
		usage(DK_EX_USAGE);
	}
	if (dk_init(&e) < 0 || dk_key_read_pub(&op, pub, &e) < 0) {
		dk_warnx(prog, "%s", e.msg);
		return e.status;
	}
	if (optind == argc && isatty(0)) {
		dk_warnx(prog, "no proof given and stdin is a terminal");
		usage(DK_EX_USAGE);
	}
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
			} else if (verify(r, op.pk, origin, ok, sizeof(ok),
			    &e) == 0) {
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
