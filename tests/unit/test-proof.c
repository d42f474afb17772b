/* Unit tests for lib/ledger/proof.c: the inclusion and consistency
 * proofs a member gets, checked as proof-verify checks them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"
#include "check.h"

static struct dk_key op;
static struct dk_err e;

/* n more entries, {"type":"terms","text":"<tag><i>"}, and a checkpoint,
 * appended to the ledger at path. */
static void
append(const char *path, const char *origin, const char *tag, int n)
{
	struct dk_ledger l;
	json_t *r;
	char t[64];
	int i;

	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_ledger_open(&l, path, &op, NULL, NULL, &e), 0);
	CHECK_INT(dk_ledger_genesis(&l, origin, 0, &e), 0);
	for (i = 0; i < n; i++) {
		snprintf(t, sizeof(t), "%s%d", tag, i);
		r = json_pack("{s:s,s:i,s:s}", "type", "note", "v", 1, "text",
		    t);
		CHECK_INT(dk_ledger_add(&l, r, &e), 0);
		json_decref(r);
	}
	CHECK_INT(dk_ledger_finish(&l, 0, &e), 0);
	dk_ledger_close(&l);
}

static void
scan(const char *path, struct dk_scaninfo *si)
{
	memset(si, 0, sizeof(*si));
	si->want_leaves = 1;
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_ledger_scan_info(path, op.pk, NULL, NULL, si, &e), 0);
}

/* The proof's hashes, decoded; how many. */
static size_t
proof(json_t *o, unsigned char (*p)[32])
{
	json_t *h;
	size_t i;

	json_array_foreach(json_object_get(o, "proof"), i, h)
		CHECK_INT(dk_unb64(json_string_value(h),
		    strlen(json_string_value(h)), p[i], 32), 0);
	return json_array_size(json_object_get(o, "proof"));
}

int
main(void)
{
	struct dk_scaninfo si, si2;
	struct dk_checkpoint cp, cp1;
	unsigned char p[64][32], leaf[32];
	unsigned long long size1 = 0;
	char a[256], b[256], *old;
	const char *entry;
	json_t *o = NULL;
	size_t np;

	CHECK_INT(dk_init(&e), 0);
	CHECK_INT(dk_key_generate(&op, &e), 0);
	tmpdir_make("test-proof");
	snprintf(a, sizeof(a), "%s/a.jsonl", ck_tmp);
	snprintf(b, sizeof(b), "%s/b.jsonl", ck_tmp);

	/* genesis, 5 entries, a checkpoint: a tree of 6 */
	append(a, "test/a", "x", 5);
	scan(a, &si);
	CHECK_INT(si.note_seq, 6);
	old = strdup(si.note);
	CHECK_INT(dk_checkpoint_parse(si.note, strlen(si.note), &cp, &e), 0);

	/* every entry under the checkpoint has a proof that verifies */
	for (long long seq = 0; seq < 6; seq++) {
		o = dk_proof_inclusion(&si, a, seq, &e);
		CHECK(o != NULL);
		CHECK_INT(json_integer_value(json_object_get(o, "index")), seq);
		CHECK_INT(json_integer_value(json_object_get(o, "size")), 6);
		CHECK_STR(json_string_value(json_object_get(o, "checkpoint")),
		    si.note);
		entry = json_string_value(json_object_get(o, "entry"));
		CHECK_HAS(entry, seq == 0 ? "\"type\":\"ledger\"" : "\"x");
		dk_merkle_leaf(entry, strlen(entry), leaf);
		np = proof(o, p);
		CHECK_INT(dk_merkle_verify_inclusion(seq, 6, leaf,
		    (const unsigned char (*)[32])p, np, cp.root, &e), 0);
		json_decref(o);
	}
	/* the checkpoint itself is not under its own tree */
	CHECK(dk_proof_inclusion(&si, a, 6, &e) == NULL);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_STR(e.msg, "entry 6 is not under the latest checkpoint yet (its "
	    "tree has 6 entries)");
	dk_scaninfo_free(&si);

	/* 4 more: the old checkpoint's tree is the start of the new one's */
	append(a, "test/a", "y", 4);
	scan(a, &si);
	CHECK_INT(si.note_seq, 11);
	CHECK_INT(dk_checkpoint_parse(si.note, strlen(si.note), &cp, &e), 0);
	CHECK_INT(dk_checkpoint_parse(old, strlen(old), &cp1, &e), 0);
	CHECK_INT(dk_proof_consistency(&si, op.pk, "old.note", old, &o,
	    &size1, &e), 0);
	CHECK_INT(size1, 6);
	CHECK_INT(json_integer_value(json_object_get(o, "size1")), 6);
	CHECK_INT(json_integer_value(json_object_get(o, "size2")), 11);
	CHECK_STR(json_string_value(json_object_get(o, "checkpoint1")), old);
	np = proof(o, p);
	CHECK_INT(dk_merkle_verify_consistency(6, 11, cp1.root, cp.root,
	    (const unsigned char (*)[32])p, np, &e), 0);
	json_decref(o);
	/* the latest against itself: an empty proof */
	CHECK_INT(dk_proof_consistency(&si, op.pk, "new.note", si.note, &o,
	    &size1, &e), 0);
	CHECK_INT(json_array_size(json_object_get(o, "proof")), 0);
	json_decref(o);

	/* another history under the same name and key: a fork, with the
	 * size of the tree the two disagree on */
	append(b, "test/a", "z", 7);
	scan(b, &si2);
	CHECK_INT(dk_proof_consistency(&si, op.pk, "b.note", si2.note, &o,
	    &size1, &e), 1);
	CHECK_INT(size1, 8);
	dk_scaninfo_free(&si2);

	/* a bigger tree than the ledger's: no proof */
	append(b, "test/a", "w", 5);
	scan(b, &si2);
	CHECK_INT(dk_proof_consistency(&si, op.pk, "b.note", si2.note, &o,
	    &size1, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_STR(e.msg, "b.note: tree size 14; a proof needs 0 < size <= 11");
	dk_scaninfo_free(&si2);

	/* another ledger's checkpoint, or not one at all */
	unlink(b);
	append(b, "test/b", "v", 1);
	scan(b, &si2);
	CHECK_INT(dk_proof_consistency(&si, op.pk, "b.note", si2.note, &o,
	    &size1, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK(strncmp(e.msg, "b.note: ", 8) == 0);
	dk_scaninfo_free(&si2);
	CHECK_INT(dk_proof_consistency(&si, op.pk, "junk", "hello\n", &o,
	    &size1, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK(strncmp(e.msg, "junk: ", 6) == 0);

	dk_scaninfo_free(&si);
	free(old);
	dk_key_free(&op);
	tmpdir_remove();
	return check_done("test-proof");
}
