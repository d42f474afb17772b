/*
 * proof.c: the proofs the ledger gives a member (denki-ledger-proof): an
 * entry is under the latest checkpoint (inclusion), and an older signed
 * checkpoint's tree is the start of the latest one's (consistency).
 */
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

/* The line of entry seq, without its newline. */
static char *
entry_line(const char *path, long long seq, struct dk_err *e)
{
	struct dk_reader r;
	char *line, *out = NULL;

	if (dk_reader_open(&r, path, e) < 0)
		return NULL;
	while (dk_reader_next(&r, &line, e) >= 0)
		if (r.line - 1 == seq) {
			out = strdup(line);
			break;
		}
	dk_reader_close(&r);
	if (out == NULL)
		dk_fail(e, DK_EX_DATAERR, "%s: no entry %lld", path, seq);
	return out;
}

/*
 * The inclusion proof of entry seq of the ledger at path under its latest
 * checkpoint; si is the scan of that ledger, with want_leaves.
 */
json_t *
dk_proof_inclusion(const struct dk_scaninfo *si, const char *path,
    long long seq, struct dk_err *e)
{
	unsigned char p[64][32];
	long long size = si->note_seq;	/* the latest checkpoint's tree */
	size_t np;
	char *line;
	json_t *out;

	if (seq >= size) {
		dk_fail(e, DK_EX_DATAERR, "entry %lld is not under the latest "
		    "checkpoint yet (its tree has %lld entries)", seq, size);
		return NULL;
	}
	if ((line = entry_line(path, seq, e)) == NULL)
		return NULL;
	if (dk_merkle_inclusion((const unsigned char (*)[32])si->leaves, size,
	    seq, p, &np, e) < 0) {
		free(line);
		return NULL;
	}
	out = json_pack("{s:s,s:i,s:I,s:I,s:s,s:o,s:s}", "type", "inclusion",
	    "v", 1, "index", (json_int_t)seq, "size", (json_int_t)size,
	    "entry", line, "proof", dk_proof_hashes((const unsigned char (*)[32])p, np), "checkpoint", si->note);
	free(line);
	return out;
}

/*
 * The consistency proof from note, a checkpoint a member kept (name, for
 * messages), signed by pk, to the latest checkpoint of the ledger si
 * scanned (with want_leaves): 0 and the proof in *out; 1 when the two
 * trees disagree on their first *size1 entries (a fork: the operator
 * signed two histories); -1 with e filled.
 */
int
dk_proof_consistency(const struct dk_scaninfo *si, const unsigned char *pk,
    const char *name, const char *note, json_t **out,
    unsigned long long *size1, struct dk_err *e)
{
	const unsigned char (*leaves)[32] =
	    (const unsigned char (*)[32])si->leaves;
	unsigned char p[64][32], root[32];
	long long size = si->note_seq;
	struct dk_checkpoint old;
	struct dk_vkey vk;
	char vkb[512];
	size_t np;
	long tl;

	memset(&vk, 0, sizeof(vk));
	if (dk_vkey_make(si->origin, pk, vkb, sizeof(vkb)) < 0 ||
	    dk_vkey_parse(vkb, &vk, e) < 0)
		return -1;
	if ((tl = dk_note_open(note, strlen(note), &vk, 1, e)) < 0 ||
	    dk_checkpoint_parse(note, tl, &old, e) < 0) {
		dk_failpre(e, "%s", name);
		e->status = DK_EX_DATAERR;
		return -1;
	}
	if (strcmp(old.origin, si->origin) != 0)
		return dk_fail(e, DK_EX_DATAERR, "%s: a checkpoint of \"%s\", "
		    "not of this ledger's \"%s\"", name, old.origin,
		    si->origin);
	if (old.size == 0 || old.size > (uint64_t)size)
		return dk_fail(e, DK_EX_DATAERR, "%s: tree size %llu; a proof "
		    "needs 0 < size <= %lld", name,
		    (unsigned long long)old.size, size);
	*size1 = old.size;
	dk_merkle_root(leaves, old.size, root);
	if (memcmp(root, old.root, 32) != 0)
		return 1;
	if (dk_merkle_consistency(leaves, size, old.size, p, &np, e) < 0)
		return -1;
	*out = json_pack("{s:s,s:i,s:I,s:I,s:o,s:s,s:s}", "type",
	    "consistency", "v", 1, "size1", (json_int_t)old.size,
	    "size2", (json_int_t)size, "proof", dk_proof_hashes((const unsigned char (*)[32])p, np),
	    "checkpoint1", note, "checkpoint2", si->note);
	return 0;
}
