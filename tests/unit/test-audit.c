/* Unit tests for lib/settle/audit.c (the audit of a whole ledger) and
 * lib/ledger/verify.c (proofs, checkpoints kept from before). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"
#include "check.h"
#include "community.h"

#define ORIGIN "denki.local/ledger"

static char good[128], other[128];

/* The audit of a variant of the community's ledger: its status (0 when it
 * passes) and message. */
static int
audit(int variant, struct dk_audit *a, struct dk_err *e)
{
	struct dk_err be = { 0 };

	if (community_ledger(other, ORIGIN, variant, &be) < 0) {
		fprintf(stderr, "variant %d: %s\n", variant, be.msg);
		exit(2);
	}
	memset(e, 0, sizeof(*e));
	if (dk_audit_ledger(a, other, cm_op.pk, NULL, 2, 1, NULL, e) == 0)
		return 0;
	return e->status;
}

static void
test_audit(void)
{
	struct dk_audit a;
	struct dk_err e = { 0 };
	json_t *x;

	CHECK_INT(dk_audit_ledger(&a, good, cm_op.pk, NULL, 0, 0, NULL, &e), 0);
	CHECK_STR(e.msg, "");
	/* 1 genesis, 3 participants and 3 checkpoints, terms, rules;
	 * slot 1: 3 orders, clearing, 2 contracts, checkpoint; slot 2: 2
	 * orders, clearing, 1 contract, checkpoint; settled: 3 readings,
	 * 3 settlements, transfers, checkpoint */
	CHECK_INT(a.participants, 3);
	CHECK_INT(a.orders, 5);
	CHECK_INT(a.slots_cleared, 2);
	CHECK_INT(a.contracts, 3);
	CHECK_INT(a.contract_wh, 1200);
	CHECK_INT(a.slots_settled, 1);
	CHECK_INT(a.checkpoints, 6);
	CHECK(a.transfers > 0);
	CHECK_INT(a.entries, 1 + 6 + 2 + 7 + 5 + 7 + a.transfers);
	CHECK_INT(a.signatures, 5 + 6);
	CHECK_STR(a.si.origin, ORIGIN);
	CHECK(a.si.leaves == NULL);
	x = dk_audit_json(&a, "l.jsonl");
	CHECK(x != NULL);
	CHECK_STR(json_string_value(json_object_get(x, "type")), "verdict");
	CHECK(json_is_true(json_object_get(x, "ok")));
	CHECK_STR(json_string_value(json_object_get(x, "ledger")), "l.jsonl");
	CHECK_INT(json_integer_value(json_object_get(x, "entries")), a.entries);
	CHECK_INT(json_integer_value(json_object_get(x, "signatures")), 11);
	CHECK_INT(json_integer_value(json_object_get(x, "contract_wh")), 1200);
	CHECK_STR(json_string_value(json_object_get(x, "origin")), ORIGIN);
	json_decref(x);
	dk_audit_free(&a);

	/* one thread or many, the same; with the leaves kept */
	CHECK_INT(dk_audit_ledger(&a, good, cm_op.pk, NULL, 1, 1, NULL, &e), 0);
	CHECK(a.si.leaves != NULL);
	CHECK_INT(a.si.nleaves, a.entries);
	dk_audit_free(&a);

	/* the replay's verdicts */
	CHECK_INT(audit(CM_CONTRACT_WH, &a, &e), DK_EX_NO);
	CHECK_HAS(e.msg, "contract of slot " S1 " differs from the replay: "
	    "field wh (found a contract record)");
	dk_audit_free(&a);
	CHECK_INT(audit(CM_CLEARING_PRICE, &a, &e), DK_EX_NO);
	CHECK_HAS(e.msg, "clearing differs from a replay of the market on "
	    "the 3 orders before it: field price");
	dk_audit_free(&a);
	CHECK_INT(audit(CM_NO_LAST_CHECKPOINT, &a, &e), DK_EX_NO);
	CHECK_HAS(e.msg, ": entries ");
	CHECK_HAS(e.msg, "follow the last checkpoint: an append that was "
	    "never acknowledged (see RECOVERY)");
	dk_audit_free(&a);
	CHECK_INT(audit(CM_ORDERS_AT_END, &a, &e), DK_EX_NO);
	CHECK_HAS(e.msg, ": orders at the end with no clearing after them "
	    "(truncated?)");
	dk_audit_free(&a);
	CHECK_INT(audit(CM_READINGS_AT_END, &a, &e), DK_EX_NO);
	CHECK_HAS(e.msg, ": readings at the end with no settlement after "
	    "them (truncated?)");
	dk_audit_free(&a);
	/* a bad record is 65, which the program answers as a no too */
	CHECK_INT(audit(CM_BAD_ORDER_SIG, &a, &e), DK_EX_DATAERR);
	CHECK_HAS(e.msg, "other.jsonl:11: entry 10: order: sig: bad "
	    "signature");
	dk_audit_free(&a);
	CHECK_INT(audit(CM_NO_RULES, &a, &e), DK_EX_NO);
	CHECK_HAS(e.msg, "order before any rules entry");
	dk_audit_free(&a);
	/* another operator's key */
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_audit_ledger(&a, good, cm_key[0].pk, NULL, 1, 0, NULL, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_HAS(e.msg, "good.jsonl:1: entry 0: key: the ledger names "
	    "another operator key");
	dk_audit_free(&a);
	/* a ledger that is not there, or empty */
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_audit_ledger(&a, "/nonexistent/l.jsonl", cm_op.pk, NULL, 1, 0,
	    NULL, &e), -1);
	CHECK_INT(e.status, DK_EX_NOINPUT);
	dk_audit_free(&a);
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_audit_ledger(&a, tmpfile_write("empty.jsonl", ""),
	    cm_op.pk, NULL, 1, 0, NULL, &e), -1);
	CHECK_INT(e.status, DK_EX_NO);
	CHECK_HAS(e.msg, "empty.jsonl: the ledger is empty");
	dk_audit_free(&a);
}

/* The latest checkpoint of a variant of the ledger, in a file of its own. */
static char *
note_of(const char *name, const char *origin, int variant, char **text)
{
	struct dk_scaninfo si;
	struct dk_err e = { 0 };
	char *path;

	memset(&si, 0, sizeof(si));
	community_ledger(other, origin, variant, &e);
	dk_ledger_scan_info(other, cm_op.pk, NULL, NULL, &si, &e);
	*text = strdup(si.note);
	path = strdup(tmpfile_write(name, si.note));
	dk_scaninfo_free(&si);
	return path;
}

static void
test_checkpoints(void)
{
	struct dk_audit a;
	struct dk_err e = { 0 };
	char *ev, *same, *longer, *fork, *origin, *t1, *t2, *t3, *t4;

	same = note_of("same.cp", ORIGIN, CM_GOOD, &t1);
	longer = note_of("longer.cp", ORIGIN, CM_ORDERS_AT_END, &t2);
	fork = note_of("fork.cp", ORIGIN, CM_CONTRACT_WH, &t3);
	origin = note_of("origin.cp", "other.example/ledger", CM_GOOD, &t4);
	CHECK_INT(dk_audit_ledger(&a, good, cm_op.pk, NULL, 1, 1, NULL, &e), 0);

	/* its own latest checkpoint, and one of a longer copy's prefix */
	CHECK_INT(dk_checkpoint_against(same, good, cm_op.pk, &a.si, &ev,
	    &e), 0);
	CHECK(ev == NULL);
	CHECK_STR(t1, a.si.note);

	/* a checkpoint beyond the end: this copy is older */
	CHECK_INT(dk_checkpoint_against(longer, good, cm_op.pk, &a.si, &ev,
	    &e), -1);
	CHECK_INT(e.status, DK_EX_NO);
	CHECK_HAS(e.msg, "longer.cp covers ");
	CHECK_HAS(e.msg, " entries, ");
	CHECK_HAS(e.msg, ": this copy is older than the checkpoint, or "
	    "entries were removed");
	CHECK_STR(ev, t2);
	free(ev);

	/* two histories under the same key */
	CHECK_INT(dk_checkpoint_against(fork, good, cm_op.pk, &a.si, &ev,
	    &e), -1);
	CHECK_INT(e.status, DK_EX_NO);
	CHECK_HAS(e.msg, "fork: ");
	CHECK_HAS(e.msg, "fork.cp and ");
	CHECK_HAS(e.msg, "; no consistency proof can join them");
	CHECK_STR(ev, t3);
	free(ev);

	/* another origin, another key, no checkpoint, no file: no evidence */
	CHECK_INT(dk_checkpoint_against(origin, good, cm_op.pk, &a.si, &ev,
	    &e), -1);
	CHECK_INT(e.status, DK_EX_NO);
	CHECK_HAS(e.msg, "origin.cp: a checkpoint of another origin, "
	    "\"other.example/ledger\"; this ledger is \"" ORIGIN "\"");
	CHECK(ev == NULL);
	CHECK_INT(dk_checkpoint_against(same, good, cm_key[1].pk, &a.si, &ev,
	    &e), -1);
	CHECK_INT(e.status, DK_EX_NO);
	CHECK_HAS(e.msg, "same.cp: ");
	CHECK(ev == NULL);
	CHECK_INT(dk_checkpoint_against(tmpfile_write("junk.cp", "junk"),
	    good, cm_op.pk, &a.si, &ev, &e), -1);
	CHECK_INT(e.status, DK_EX_NO);
	CHECK_HAS(e.msg, "junk.cp: checkpoint: line 1 is missing or empty");
	CHECK(ev == NULL);
	CHECK_INT(dk_checkpoint_against("/nonexistent/cp", good, cm_op.pk,
	    &a.si, &ev, &e), -1);
	CHECK_INT(e.status, DK_EX_NOINPUT);
	CHECK_STR(e.msg, "/nonexistent/cp: cannot read it");
	CHECK(ev == NULL);
	dk_audit_free(&a);
	free(same);
	free(longer);
	free(fork);
	free(origin);
	free(t1);
	free(t2);
	free(t3);
	free(t4);
}

/* Entry seq of the ledger at path, without its newline. */
static char *
entry_line(const char *path, long long seq)
{
	char *s = slurp(path, NULL), *p = s, *nl, *line;

	while (seq-- > 0 && p != NULL && (p = strchr(p, '\n')) != NULL)
		p++;
	if (p == NULL || (nl = strchr(p, '\n')) == NULL) {
		free(s);
		return NULL;
	}
	line = strndup(p, nl - p);
	free(s);
	return line;
}

#define P ((const unsigned char (*)[32])p)

static void
test_proofs(void)
{
	struct dk_audit a, b;
	struct dk_err e = { 0 };
	unsigned char p[64][32];
	char ok[512], want[256], *line;
	size_t np;
	long long size, size2;
	json_t *r;

	CHECK_INT(dk_audit_ledger(&a, good, cm_op.pk, NULL, 1, 1, NULL, &e), 0);
	size = a.si.note_seq;
	/* an inclusion proof of entry 10, as denki-ledger-proof makes it */
	CHECK((line = entry_line(good, 10)) != NULL);
	CHECK_INT(dk_merkle_inclusion((const unsigned char (*)[32])a.si.leaves,
	    size, 10, p, &np, &e), 0);
	r = json_pack("{s:s,s:i,s:I,s:I,s:s,s:o,s:s}", "type", "inclusion",
	    "v", 1, "index", (json_int_t)10, "size", (json_int_t)size,
	    "entry", line, "proof", dk_proof_hashes(P, np), "checkpoint",
	    a.si.note);
	CHECK_INT(dk_proof_verify(r, cm_op.pk, NULL, ok, sizeof(ok), &e), 0);
	snprintf(want, sizeof(want), "entry 10 is in " ORIGIN ", checkpoint "
	    "of %lld entries", size);
	CHECK_STR(ok, want);
	CHECK_INT(dk_proof_verify(r, cm_op.pk, ORIGIN, ok, sizeof(ok), &e), 0);
	/* another origin, another key, another entry, another size */
	CHECK_INT(dk_proof_verify(r, cm_op.pk, "x.example/l", ok, sizeof(ok),
	    &e), -1);
	CHECK_STR(e.msg, "checkpoint of another origin, \"" ORIGIN "\", not "
	    "\"x.example/l\"");
	CHECK_INT(dk_proof_verify(r, cm_key[0].pk, NULL, ok, sizeof(ok), &e),
	    -1);
	CHECK_INT(e.status, DK_EX_NO);
	json_object_set_new(r, "index", json_integer(11));
	CHECK_INT(dk_proof_verify(r, cm_op.pk, NULL, ok, sizeof(ok), &e), -1);
	CHECK_INT(e.status, DK_EX_NO);
	json_object_set_new(r, "index", json_integer(10));
	json_object_set_new(r, "size", json_integer(size - 1));
	CHECK_INT(dk_proof_verify(r, cm_op.pk, NULL, ok, sizeof(ok), &e), -1);
	CHECK_HAS(e.msg, "but the checkpoint's tree has");
	json_object_set_new(r, "size", json_integer(size));
	json_array_set_new(json_object_get(r, "proof"), 0, json_string("AAAA"));
	CHECK_INT(dk_proof_verify(r, cm_op.pk, NULL, ok, sizeof(ok), &e), -1);
	CHECK_STR(e.msg, "proof[0]: not base64 of a 32-byte hash");
	json_object_set_new(r, "proof", json_string("x"));
	CHECK_INT(dk_proof_verify(r, cm_op.pk, NULL, ok, sizeof(ok), &e), -1);
	CHECK_STR(e.msg, "proof: must be an array of at most 64 hashes");
	json_object_set_new(r, "type", json_string("exclusion"));
	CHECK_INT(dk_proof_verify(r, cm_op.pk, NULL, ok, sizeof(ok), &e), -1);
	CHECK_STR(e.msg, "type: must be inclusion or consistency, got "
	    "\"exclusion\"");
	json_decref(r);
	free(line);

	/* the ledger grown by two entries: a consistency proof */
	community_ledger(other, ORIGIN, CM_ORDERS_AT_END, &e);
	CHECK_INT(dk_audit_ledger(&b, other, cm_op.pk, NULL, 1, 1, NULL, &e), -1);
	size2 = b.si.note_seq;
	CHECK_INT(size2, size + 2);
	CHECK_INT(dk_merkle_consistency((const unsigned char (*)[32])
	    b.si.leaves, size2, size, p, &np, &e), 0);
	r = json_pack("{s:s,s:i,s:I,s:I,s:o,s:s,s:s}", "type", "consistency",
	    "v", 1, "size1", (json_int_t)size, "size2", (json_int_t)size2,
	    "proof", dk_proof_hashes(P, np), "checkpoint1", a.si.note,
	    "checkpoint2", b.si.note);
	CHECK_INT(dk_proof_verify(r, cm_op.pk, NULL, ok, sizeof(ok), &e), 0);
	snprintf(want, sizeof(want), ORIGIN " grew from %lld to %lld entries "
	    "without rewriting any", size, size2);
	CHECK_STR(ok, want);
	json_object_set_new(r, "size1", json_integer(size - 1));
	CHECK_INT(dk_proof_verify(r, cm_op.pk, NULL, ok, sizeof(ok), &e), -1);
	CHECK_STR(e.msg, "the sizes do not match the checkpoints");
	json_object_set_new(r, "size1", json_integer(size));
	json_object_set_new(r, "checkpoint2", json_string("junk"));
	CHECK_INT(dk_proof_verify(r, cm_op.pk, NULL, ok, sizeof(ok), &e), -1);
	CHECK_HAS(e.msg, "checkpoint2: checkpoint: ");
	json_decref(r);
	dk_audit_free(&a);
	dk_audit_free(&b);
}

int
main(void)
{
	struct dk_err e = { 0 };

	tmpdir_make("test-audit");
	snprintf(good, sizeof(good), "%s/good.jsonl", ck_tmp);
	snprintf(other, sizeof(other), "%s/other.jsonl", ck_tmp);
	community_keys();
	if (community_ledger(good, ORIGIN, CM_GOOD, &e) < 0) {
		fprintf(stderr, "community_ledger: %s\n", e.msg);
		return 2;
	}
	test_audit();
	test_checkpoints();
	test_proofs();
	community_free_keys();
	tmpdir_remove();
	return check_done("test-audit");
}
