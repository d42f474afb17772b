/*
 * verify.c: what a member checks with the ledger layer alone: a proof
 * (inclusion or consistency) against the operator's signed checkpoints,
 * and a checkpoint kept from before against the tree of a ledger.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ledger.h"

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
	if ((*out = calloc(*n + 1, 32)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
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

/* A proof's hashes as its records carry them: base64, in an array. */
json_t *
dk_proof_hashes(const unsigned char (*p)[32], size_t n)
{
	json_t *a = json_array();
	char b[64];
	size_t i;

	for (i = 0; a != NULL && i < n; i++) {
		sodium_bin2base64(b, sizeof(b), p[i], 32,
		    sodium_base64_VARIANT_ORIGINAL);
		json_array_append_new(a, json_string(b));
	}
	return a;
}

/*
 * A proof as denki-ledger-proof writes it, one JSON object: inclusion
 * {entry, index, size, checkpoint, proof} or consistency {size1, size2,
 * checkpoint1, checkpoint2, proof}, its checkpoints signed by pk (under
 * origin, unless NULL).  On success ok says what it proves.
 */
int
dk_proof_verify(json_t *r, const unsigned char pk[32], const char *origin,
    char *ok, size_t oklen, struct dk_err *e)
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

static char *
slurp(const char *path)
{
	char *buf = NULL;
	size_t cap = 0;
	FILE *fp = fopen(path, "r");

	if (fp == NULL)
		return NULL;
	if (getdelim(&buf, &cap, '\0', fp) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(fp);
	return buf;
}

/*
 * A checkpoint kept from before (a member's, a witness's), in file, must
 * be one of the states of the ledger at path that si scanned with its
 * leaves: same origin, and the root of its first size entries.  If not,
 * the operator signed two histories: the failure (status 1) then sets
 * *evidence to the checkpoint given, for the caller to show beside the
 * ledger's latest (si->note) and to free.  A file that cannot be read
 * fails with status 66.
 */
int
dk_checkpoint_against(const char *file, const char *path,
    const unsigned char pk[32], const struct dk_scaninfo *si,
    char **evidence, struct dk_err *e)
{
	struct dk_checkpoint cp;
	struct dk_vkey vk;
	struct dk_err ne = { 0 };
	unsigned char root[32];
	char vkb[512], *note;
	int rc = 0;

	*evidence = NULL;
	if ((note = slurp(file)) == NULL)
		return dk_fail(e, DK_EX_NOINPUT, "%s: cannot read it", file);
	if (dk_checkpoint_parse(note, strlen(note), &cp, &ne) < 0 ||
	    dk_vkey_make(cp.origin, pk, vkb, sizeof(vkb)) < 0 ||
	    dk_vkey_parse(vkb, &vk, &ne) < 0 ||
	    dk_note_open(note, strlen(note), &vk, 1, &ne) < 0) {
		free(note);
		return dk_fail(e, DK_EX_NO, "%s: %s", file, ne.msg);
	}
	if (strcmp(cp.origin, si->origin) != 0)
		rc = dk_fail(e, DK_EX_NO, "%s: a checkpoint of another origin, "
		    "\"%.100s\"; this ledger is \"%.100s\"", file, cp.origin,
		    si->origin);
	else if (cp.size > si->nleaves) {
		rc = dk_fail(e, DK_EX_NO, "%s covers %llu entries, %s has only "
		    "%zu: this copy is older than the checkpoint, or entries "
		    "were removed", file, (unsigned long long)cp.size, path,
		    si->nleaves);
		*evidence = note;
	} else {
		dk_merkle_root((const unsigned char (*)[32])si->leaves,
		    cp.size, root);
		if (memcmp(root, cp.root, 32) != 0) {
			rc = dk_fail(e, DK_EX_NO, "fork: %s and %s disagree on "
			    "the first %llu entries; no consistency proof can "
			    "join them", file, path,
			    (unsigned long long)cp.size);
			*evidence = note;
		}
	}
	if (*evidence == NULL)
		free(note);
	return rc;
}
