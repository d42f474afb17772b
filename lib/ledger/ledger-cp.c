/*
 * ledger-cp.c: the ledger's two entries of its own, checked as a scan
 * meets them: the genesis (origin and operator key) and the checkpoints
 * (signed notes of the Merkle tree of every entry before them).
 */
#include <stdlib.h>
#include <string.h>

#include "ledger-impl.h"

/* The first signature line of note (text of tl bytes) is a valid one by
 * the operator's key: that line alone after the text opens. */
static int
op_first(const char *note, long tl, const struct dk_vkey *vk)
{
	const char *nl = strchr(note + tl + 1, '\n');
	struct dk_err e2 = { 0 };
	char *one;
	int ok;

	if (nl == NULL)
		return 0;
	if (nl[1] == '\0')	/* the one line: dk_note_open checked it */
		return 1;
	if ((one = strndup(note, nl + 1 - note)) == NULL)
		return 0;
	ok = dk_note_open(one, strlen(one), vk, 1, &e2) >= 0;
	free(one);
	return ok;
}

/*
 * Entry 0 is the ledger's genesis record, {"type":"ledger","origin":O,
 * "key":K}: the origin its checkpoints name and the operator key that
 * signs them.  A checkpoint entry, {"type":"checkpoint","note":N}, holds a
 * C2SP signed note of the RFC 6962 tree of every entry before it (leaf:
 * the entry's line without its newline).  Every commit ends with one, so
 * what follows the last checkpoint was never acknowledged.  Its note is
 * signed by the operator first, then cosigned by the witnesses that were
 * asked (checked against a witness policy, when the scan has one).
 */
static int
cp_open(struct dk_scaninfo *si, const unsigned char *oppk, json_t *rec,
    long long seq, struct dk_checkpoint *cpp, int sigs, struct dk_err *e);

int
dk_ledger_cp_open(struct dk_scaninfo *si, const unsigned char *oppk,
    json_t *rec, long long seq, struct dk_checkpoint *cpp, struct dk_err *e)
{
	return cp_open(si, oppk, rec, seq, cpp, 1, e);
}

/* The verifier key of the ledger's operator, named by its origin. */
static int
op_vkey(const struct dk_scaninfo *si, const unsigned char *oppk,
    struct dk_vkey *vk, struct dk_err *e)
{
	char b[512];
	struct dk_err e2;

	memset(vk, 0, sizeof(*vk));
	snprintf(vk->name, sizeof(vk->name), "%s", si->origin);
	memcpy(vk->pk, oppk != NULL ? oppk : si->key.pk, 32);
	if (dk_vkey_make(vk->name, vk->pk, b, sizeof(b)) < 0 ||
	    dk_vkey_parse(b, vk, &e2) < 0)
		return dk_fail(e, DK_EX_DATAERR, "origin: not a note key name");
	return 0;
}

/* sigs 0: every check but the note's signatures (its form checked), for
 * a reader that checks the last checkpoint's at its end
 * (dk_ledger_note_check): that one signs a tree that holds every entry
 * before it, the earlier checkpoints among them. */
static int
cp_open(struct dk_scaninfo *si, const unsigned char *oppk, json_t *rec,
    long long seq, struct dk_checkpoint *cpp, int sigs, struct dk_err *e)
{
	struct dk_vkey vk;
	struct dk_checkpoint cp;
	const char *note;
	long tl;

	if (si->origin[0] == '\0')
		return dk_fail(e, DK_EX_DATAERR, "checkpoint in a ledger "
		    "without a genesis entry");
	if (dk_check_type(rec, "checkpoint", e) < 0)
		return -1;
	if ((note = dk_get_str(rec, "note", e)) == NULL)
		return -1;
	if (json_object_size(rec) != 3)
		return dk_fail(e, DK_EX_DATAERR, "a checkpoint record has type, "
		    "v and note, and nothing else");
	if (op_vkey(si, oppk, &vk, e) < 0)
		return -1;
	if ((tl = sigs ? dk_note_open(note, strlen(note), &vk, 1, e) :
	    dk_note_text(note, strlen(note), e)) < 0) {
		if (dk_checkpoint_parse(note, strlen(note), &cp, NULL) == 0 &&
		    strcmp(cp.origin, si->origin) != 0)
			return dk_fail(e, DK_EX_DATAERR, "checkpoint of "
			    "another origin, \"%.100s\", in the ledger of "
			    "\"%.100s\"", cp.origin, si->origin);
		return dk_failpre(e, "checkpoint");
	}
	/* the operator's signature line first; the witnesses' cosignatures
	 * after it (every line well-formed: dk_note_open) */
	if (sigs && !op_first(note, tl, &vk))
		return dk_fail(e, DK_EX_DATAERR, "checkpoint: note: the first "
		    "signature line must be the operator's");
	if (dk_checkpoint_parse(note, tl, &cp, e) < 0)
		return -1;
	if (strcmp(cp.origin, si->origin) != 0)
		return dk_fail(e, DK_EX_DATAERR, "checkpoint of another origin, "
		    "\"%.100s\", in the ledger of \"%.100s\"", cp.origin,
		    si->origin);
	if (cp.size != (uint64_t)seq)
		return dk_fail(e, DK_EX_DATAERR, "checkpoint: tree size %llu, "
		    "but %lld entries come before it", (unsigned long long)
		    cp.size, seq);
	*cpp = cp;
	return 0;
}

static int cp_check(struct dk_scaninfo *, const unsigned char *oppk,
    json_t *rec, long long seq, int sigs, struct dk_err *);

int
dk_ledger_cp_check(struct dk_scaninfo *si, const unsigned char *oppk,
    json_t *rec, long long seq, struct dk_err *e)
{
	return cp_check(si, oppk, rec, seq, 1, e);
}

/* The same but the note's signatures (cp_open's sigs 0). */
int
dk_ledger_cp_check_form(struct dk_scaninfo *si, const unsigned char *oppk,
    json_t *rec, long long seq, struct dk_err *e)
{
	return cp_check(si, oppk, rec, seq, 0, e);
}

/* The signatures of the last checkpoint's note (si->note), as
 * dk_ledger_cp_check checks them. */
int
dk_ledger_note_check(struct dk_scaninfo *si, const unsigned char *oppk,
    struct dk_err *e)
{
	struct dk_vkey vk;
	long tl;

	if (si->note == NULL)
		return 0;
	if (op_vkey(si, oppk, &vk, e) < 0)
		return -1;
	if ((tl = dk_note_open(si->note, strlen(si->note), &vk, 1, e)) < 0)
		return dk_failpre(e, "checkpoint");
	if (!op_first(si->note, tl, &vk))
		return dk_fail(e, DK_EX_DATAERR, "checkpoint: note: the first "
		    "signature line must be the operator's");
	return 0;
}

static int
cp_check(struct dk_scaninfo *si, const unsigned char *oppk, json_t *rec,
    long long seq, int sigs, struct dk_err *e)
{
	struct dk_checkpoint cp;
	unsigned char root[32];
	const char *note;

	if (cp_open(si, oppk, rec, seq, &cp, sigs, e) < 0)
		return -1;
	note = json_string_value(json_object_get(rec, "note"));
	dk_mtree_root(&si->tree, root);
	if (memcmp(root, cp.root, 32) != 0)
		return dk_fail(e, DK_EX_DATAERR, "checkpoint: its root is not "
		    "the root of the %lld entries before it (an entry before "
		    "it was changed, or the history forked)", seq);
	/* a checkpoint's time never goes back, and once a checkpoint has a
	 * time every later one has */
	if (cp.time >= 0 && si->cp_time_seq > 0 && cp.time < si->cp_time)
		return dk_fail(e, DK_EX_DATAERR, "checkpoint: time %lld is "
		    "earlier than the time %lld of the checkpoint at entry "
		    "%lld (a clock set back, or a backdated checkpoint)",
		    (long long)cp.time, (long long)si->cp_time,
		    si->cp_time_seq);
	if (cp.time < 0 && si->cp_time_seq > 0)
		return dk_fail(e, DK_EX_DATAERR, "checkpoint: no time line, "
		    "but the checkpoint at entry %lld has one",
		    si->cp_time_seq);
	if (cp.time >= 0) {
		si->cp_time = cp.time;
		si->cp_time_seq = seq;
	}
	si->note_cosigs = 0;
	if (si->policy != NULL && dk_wpolicy_note(si->policy, note, &cp,
	    &si->note_cosigs, e) < 0) {
		e->status = DK_EX_DATAERR;
		return dk_failpre(e, "checkpoint");
	}
	free(si->note);
	si->note = strdup(note);
	si->note_seq = seq;
	si->checkpoints++;
	return 0;
}

int
dk_ledger_genesis_check(struct dk_scaninfo *si,
    const unsigned char *oppk, json_t *rec, struct dk_err *e)
{
	const char *o, *k;

	if (dk_check_type(rec, "ledger", e) < 0)
		return -1;
	if ((o = dk_get_str(rec, "origin", e)) == NULL ||
	    (k = dk_get_str(rec, "key", e)) == NULL)
		return -1;
	/* optional: "readings"; absent, a ledger of
	 * open readings (all before it had) */
	si->committed = 0;
	if (json_object_get(rec, "readings") != NULL &&
	    (dk_get_str(rec, "readings", e) == NULL ||
	    dk_readings_mode(json_string_value(json_object_get(rec,
	    "readings")), &si->committed, e) < 0)) {
		e->status = DK_EX_DATAERR;
		return -1;
	}
	/* and the recovery key, a second authority for lost keys */
	if (json_object_size(rec) != 5 +
	    (size_t)(json_object_get(rec, "readings") != NULL) +
	    (size_t)(json_object_get(rec, "recovery") != NULL))
		return dk_fail(e, DK_EX_DATAERR, "a genesis record has type, v, "
		    "origin, key and vkey, and readings and recovery if it "
		    "names them, and nothing else");
	if (json_object_get(rec, "recovery") != NULL) {
		struct dk_key rk;
		const char *r = dk_get_str(rec, "recovery", e);
		if (r == NULL || dk_key_from_b64(&rk, r, e) < 0)
			return dk_failpre(e, "recovery");
	}
	if (*o == '\0' || strlen(o) >= sizeof(si->origin) ||
	    strchr(o, ' ') != NULL || strchr(o, '+') != NULL ||
	    strchr(o, '\n') != NULL)
		return dk_fail(e, DK_EX_DATAERR, "origin: must be a name "
		    "without spaces or '+'");
	if (dk_key_from_b64(&si->key, k, e) < 0)
		return dk_failpre(e, "key");
	{
		char vk[512];
		const char *have = json_string_value(json_object_get(rec,
		    "vkey"));
		if (dk_vkey_make(o, si->key.pk, vk, sizeof(vk)) < 0 ||
		    have == NULL || strcmp(have, vk) != 0)
			return dk_fail(e, DK_EX_DATAERR, "vkey: must be the "
			    "verifier key of the origin and key, %s", vk);
	}
	if (oppk != NULL && memcmp(si->key.pk, oppk, 32) != 0)
		return dk_fail(e, DK_EX_DATAERR, "key: the ledger names "
		    "another operator key");
	strcpy(si->origin, o);
	return 0;
}
