/*
 * Proofs, as denki-proof-verify reads them: a JSON line, inclusion
 * {entry, index, size, checkpoint, proof} or consistency {size1, size2,
 * checkpoint1, checkpoint2, proof}.  The checkpoints are parsed and
 * opened under the golden operator's key; the Merkle verifiers run on the
 * proof's hashes against the roots the checkpoints' texts give, signed or
 * not, so that any index, size and proof reach them.
 */
#include <sodium.h>

#include "fuzz.h"

static const char vkeytext[] = "denki.local/ledger+1c0aa76c+"
    "AViPETrAOgqW8qBtDErAqgcWz6oPLAYJu1OHikj3dByc";

/* Every hash of a proof must be base64 of exactly 32 bytes. */
static int
hashes(json_t *a, unsigned char (*out)[32], size_t *n)
{
	json_t *x;
	size_t i, got;
	const char *s;

	if (!json_is_array(a) || json_array_size(a) > 64)
		return -1;
	*n = json_array_size(a);
	json_array_foreach(a, i, x) {
		s = json_string_value(x);
		if (s == NULL || sodium_base642bin(out[i], 32, s, strlen(s),
		    NULL, &got, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
		    got != 32)
			return -1;
	}
	return 0;
}

/* The checkpoint of a note: its text's, and whether the key signed it. */
static int
note(json_t *r, const char *key, const struct dk_vkey *vk,
    struct dk_checkpoint *cp)
{
	struct dk_err e = { 0 };
	const char *s = json_string_value(json_object_get(r, key));
	long tl;

	if (s == NULL || dk_checkpoint_parse(s, strlen(s), cp, &e) < 0)
		return -1;
	if ((tl = dk_note_open(s, strlen(s), vk, 1, &e)) >= 0)
		FZ_ASSERT(dk_checkpoint_parse(s, tl, cp, &e) == 0);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dk_vkey vk;
	static int init;
	struct dk_err e = { 0 };
	struct dk_checkpoint c1, c2;
	unsigned char p[64][32], leaf[32];
	const char *type, *entry;
	long long idx, sz, s1, s2;
	size_t np;
	json_error_t je;
	json_t *r;

	if (!init) {
		FZ_ASSERT(dk_init(&e) == 0);
		FZ_ASSERT(dk_vkey_parse(vkeytext, &vk, &e) == 0);
		init = 1;
	}
	r = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
	if (r == NULL)
		return 0;
	if (!json_is_object(r) || (type = dk_get_str(r, "type", &e)) == NULL)
		goto out;
	if (strcmp(type, "inclusion") == 0) {
		if (dk_get_int(r, "index", 0, DK_MAX_SAFE_INT, &idx, &e) < 0 ||
		    dk_get_int(r, "size", 1, DK_MAX_SAFE_INT, &sz, &e) < 0 ||
		    (entry = dk_get_str(r, "entry", &e)) == NULL ||
		    note(r, "checkpoint", &vk, &c1) < 0 ||
		    hashes(json_object_get(r, "proof"), p, &np) < 0)
			goto out;
		dk_merkle_leaf(entry, strlen(entry), leaf);
		dk_merkle_verify_inclusion(idx, sz, leaf,
		    (const unsigned char (*)[32])p, np, c1.root, &e);
	} else if (strcmp(type, "consistency") == 0) {
		if (dk_get_int(r, "size1", 0, DK_MAX_SAFE_INT, &s1, &e) < 0 ||
		    dk_get_int(r, "size2", 0, DK_MAX_SAFE_INT, &s2, &e) < 0 ||
		    note(r, "checkpoint1", &vk, &c1) < 0 ||
		    note(r, "checkpoint2", &vk, &c2) < 0 ||
		    hashes(json_object_get(r, "proof"), p, &np) < 0)
			goto out;
		dk_merkle_verify_consistency(s1, s2, c1.root, c2.root,
		    (const unsigned char (*)[32])p, np, &e);
	}
out:
	json_decref(r);
	return 0;
}
