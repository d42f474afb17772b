#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "ledger.h"

/*
 * The ledger is a file of JSON lines, one entry each:
 *   {"prev":H,"rec":{...},"seq":N,"type":"entry","v":2}
 * seq counts from 0; prev is the previous entry's leaf hash in the Merkle
 * tree, SHA-256(0x00 || line), in hex (the line without its newline; 64
 * zeros for entry 0).  Lines are canonical (sorted
 * keys, compact), so the bytes are the record.  The operator signs no
 * entry: it signs checkpoints, and a checkpoint's tree covers every byte
 * of every entry before it.
 */

#define ZERO64 "0000000000000000000000000000000000000000000000000000000000000000"

/*
 * Entry 0 is the ledger's genesis record, {"type":"ledger","origin":O,
 * "key":K}: the origin its checkpoints name and the operator key that
 * signs them.  A checkpoint entry, {"type":"checkpoint","note":N}, holds a
 * C2SP signed note of the RFC 6962 tree of every entry before it (leaf:
 * the entry's line without its newline).  Every commit ends with one, so
 * what follows the last checkpoint was never acknowledged.
 */
static int
checkpoint_open(struct dk_scaninfo *si, const unsigned char *oppk,
    json_t *rec, long long seq, struct dk_checkpoint *cpp, struct dk_err *e)
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
	memset(&vk, 0, sizeof(vk));
	snprintf(vk.name, sizeof(vk.name), "%s", si->origin);
	memcpy(vk.pk, oppk != NULL ? oppk : si->key.pk, 32);
	{
		char b[512];
		struct dk_err e2;
		if (dk_vkey_make(vk.name, vk.pk, b, sizeof(b)) < 0 ||
		    dk_vkey_parse(b, &vk, &e2) < 0)
			return dk_fail(e, DK_EX_DATAERR, "origin: not a note "
			    "key name");
	}
	if ((tl = dk_note_open(note, strlen(note), &vk, 1, e)) < 0) {
		if (dk_checkpoint_parse(note, strlen(note), &cp, NULL) == 0 &&
		    strcmp(cp.origin, si->origin) != 0)
			return dk_fail(e, DK_EX_DATAERR, "checkpoint of "
			    "another origin, \"%.100s\", in the ledger of "
			    "\"%.100s\"", cp.origin, si->origin);
		return dk_failpre(e, "checkpoint");
	}
	/* the operator's signature line and no other: the last checkpoint
	 * of a ledger is covered by nothing but its own signature */
	if (strchr(note + tl + 1, '\n') != note + strlen(note) - 1)
		return dk_fail(e, DK_EX_DATAERR, "checkpoint: note: a "
		    "signature line other than the operator's");
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

static int
checkpoint(struct dk_scaninfo *si, const unsigned char *oppk, json_t *rec,
    long long seq, struct dk_err *e)
{
	struct dk_checkpoint cp;
	unsigned char root[32];
	const char *note;

	if (checkpoint_open(si, oppk, rec, seq, &cp, e) < 0)
		return -1;
	note = json_string_value(json_object_get(rec, "note"));
	dk_mtree_root(&si->tree, root);
	if (memcmp(root, cp.root, 32) != 0)
		return dk_fail(e, DK_EX_DATAERR, "checkpoint: its root is not "
		    "the root of the %lld entries before it (an entry before "
		    "it was changed, or the history forked)", seq);
	free(si->note);
	si->note = strdup(note);
	si->note_seq = seq;
	si->checkpoints++;
	return 0;
}

static int
genesis(struct dk_scaninfo *si, const unsigned char *oppk, json_t *rec,
    struct dk_err *e)
{
	const char *o, *k;

	if (dk_check_type(rec, "ledger", e) < 0)
		return -1;
	if ((o = dk_get_str(rec, "origin", e)) == NULL ||
	    (k = dk_get_str(rec, "key", e)) == NULL)
		return -1;
	if (json_object_size(rec) != 5)
		return dk_fail(e, DK_EX_DATAERR, "a genesis record has type, v, "
		    "origin, key and vkey, and nothing else");
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

/*
 * Every line has this layout, and most are read by checking it as bytes:
 *   {"prev":"<64>","rec":REC,"seq":N,"type":"entry","v":2}
 * The frame (the prev this chain expects, the seq that comes next, the
 * fixed tail) is compared, only REC is parsed, and REC's bytes must be its
 * canonical form.  That is the entry a parse of the whole line gives, and
 * its checks pass; any other line takes the long way and its messages.
 */
#define HEAD "{\"prev\":\""
#define MID "\",\"rec\":"
#define TAIL ",\"type\":\"entry\",\"v\":2}"

static const char *
rec_span(const char *line, size_t n, long long seq, size_t *len)
{
	size_t tl = strlen(TAIL), hl = strlen(HEAD), ml = strlen(MID), sl;
	char sq[32], d[24];
	int nd = 0;

	if (seq < 0)
		return NULL;
	do
		d[nd++] = '0' + seq % 10;
	while ((seq /= 10) > 0);
	memcpy(sq, ",\"seq\":", 7);
	for (sl = 7; nd > 0; )
		sq[sl++] = d[--nd];
	if (n < hl + 64 + ml + 2 + sl + tl ||
	    memcmp(line, HEAD, hl) != 0 || memcmp(line + hl + 64, MID, ml) != 0 ||
	    memcmp(line + n - tl, TAIL, tl) != 0 ||
	    memcmp(line + n - tl - sl, sq, sl) != 0)
		return NULL;
	*len = n - tl - sl - (hl + 64 + ml);
	return line + hl + 64 + ml;
}

/* The record of a framed line, if its bytes are its canonical form. */
static json_t *
framed_rec(const char *rt, size_t rl)
{
	struct dk_err pe = { 0 };
	json_t *v;

	if ((v = dk_parse_member(rt, rl, "rec", &pe)) == NULL)
		return NULL;
	if (!json_is_object(v) || !json_is_string(json_object_get(v, "type")) ||
	    !dk_is_canonical(rt, rl)) {
		json_decref(v);
		return NULL;
	}
	return v;
}

/*
 * Entry seq's prev is not the hash of the line before it.  Either that
 * line was changed after it was written, or this entry's prev was.  If the
 * entry after this one links to it as it is, this one is as it was
 * written, and the one before is named; so too if this is the last entry,
 * a checkpoint whose signed tree does not hold the line before as it is.
 * Returns 1 when the entry before is the one named.
 */
static int
broken_link(FILE *fp, const char *name, long lineno, long long seq,
    const char *line, size_t n, json_t *rec, struct dk_scaninfo *si,
    const unsigned char *oppk, struct dk_err *e)
{
	unsigned char leaf[32];
	char h[65], *nl = NULL;
	size_t nc = 0;
	ssize_t nn;
	int before = 0;
	const char *why = NULL;

	dk_merkle_leaf(line, n, leaf);
	sodium_bin2hex(h, sizeof(h), leaf, 32);
	nn = getline(&nl, &nc, fp);
	if (nn > 0) {
		before = nn > (ssize_t)(strlen(HEAD) + 64) &&
		    memcmp(nl, HEAD, strlen(HEAD)) == 0 &&
		    memcmp(nl + strlen(HEAD), h, 64) == 0;
		why = "entry %lld links to it as it is";
	} else if (si != NULL && strcmp(json_string_value(json_object_get(rec,
	    "type")), "checkpoint") == 0) {
		/* a good note of the right size, whose root differs */
		struct dk_err ce = { 0 };
		struct dk_checkpoint cp;
		unsigned char root[32];

		if (checkpoint_open(si, oppk, rec, seq, &cp, &ce) == 0) {
			dk_mtree_root(&si->tree, root);
			before = memcmp(root, cp.root, 32) != 0;
		}
		why = "the checkpoint there does not sign it as it is";
	}
	free(nl);
	if (before) {
		char w[120];
		snprintf(w, sizeof(w), why, seq + 1);
		dk_fail(e, DK_EX_DATAERR, "%s:%ld: entry %lld: changed after "
		    "it was written: its hash is not entry %lld's prev, and %s",
		    name, lineno - 1, seq - 1, seq, w);
		return 1;
	}
	dk_fail(e, DK_EX_DATAERR, "prev: is not the hash of entry %lld (this "
	    "entry's prev, or entry %lld, was changed after it was written)",
	    seq - 1, seq - 1);
	return 0;
}

/* The envelope, from a parse of the whole line. */
static json_t *
envelope(json_t *v, long long next, struct dk_err *e)
{
	long long seq, ver;
	const char *s;
	json_t *rec;

	if (dk_get_str(v, "type", e) == NULL)
		return NULL;
	if (strcmp(json_string_value(json_object_get(v, "type")), "entry")
	    != 0) {
		dk_fail(e, DK_EX_DATAERR, "type: must be \"entry\", got "
		    "\"%.40s\"", json_string_value(json_object_get(v,
		    "type")));
		return NULL;
	}
	if (json_integer_value(json_object_get(v, "v")) == 1 &&
	    json_object_get(v, "sig") != NULL) {
		dk_fail(e, DK_EX_DATAERR, "v: 1, an entry of the first ledger "
		    "format (the operator's signature on every entry), which "
		    "this version no longer reads; its entries are v 2, "
		    "covered by the signed checkpoints");
		return NULL;
	}
	if (dk_get_int(v, "v", 2, 2, &ver, e) < 0)
		return NULL;
	if (dk_get_int(v, "seq", 0, DK_MAX_SAFE_INT, &seq, e) < 0)
		return NULL;
	if (seq != next) {
		dk_fail(e, DK_EX_DATAERR, "seq: must be %lld, got %lld (an "
		    "entry was deleted, duplicated or moved)", next, seq);
		return NULL;
	}
	if ((s = dk_get_str(v, "prev", e)) == NULL)
		return NULL;
	rec = json_object_get(v, "rec");
	if (!json_is_object(rec) ||
	    !json_is_string(json_object_get(rec, "type"))) {
		dk_fail(e, DK_EX_DATAERR, "rec: must be a record with a type");
		return NULL;
	}
	if (json_object_size(v) != 5) {
		dk_fail(e, DK_EX_DATAERR, "an entry has prev, rec, seq, type "
		    "and v, and nothing else");
		return NULL;
	}
	return rec;
}

static int
scan_fp(FILE *fp, const char *name, const unsigned char *oppk,
    dk_entry_fn fn, void *ctx, char prev[65], long long *next,
    struct dk_scaninfo *si, struct dk_err *e)
{
	struct dk_reader r;
	json_t *v = NULL, *rec;
	unsigned char leaf[32];
	char *line;
	const char *type, *rt;
	size_t rl;
	long long seq;
	long n;

	memset(&r, 0, sizeof(r));
	r.fp = fp;
	r.name = name;
	strcpy(prev, ZERO64);
	*next = 0;
	while ((n = dk_reader_next(&r, &line, e)) >= 0) {
		if (si != NULL)
			si->rec_text = NULL;
		if (r.torn) {
			if (si != NULL)
				si->torn = 1;
			dk_fail(e, DK_EX_DATAERR, "%s:%ld: torn last line "
			    "(%ld bytes, no newline): an append was cut off; "
			    "see RECOVERY in denki-ledger-verify(1)", name,
			    r.line, n);
			goto fail;
		}
		/* the usual line: its frame as bytes, its record parsed */
		if ((rt = rec_span(line, n, *next, &rl)) != NULL &&
		    memcmp(line + strlen(HEAD), prev, 64) == 0 &&
		    (v = framed_rec(rt, rl)) != NULL) {
			rec = v;
			seq = *next;
			if (si != NULL) {
				si->rec_text = rt;
				si->rec_len = rl;
			}
			goto framed;
		}
		if ((v = dk_parse(line, n, e)) == NULL)
			goto bad;
		if (!dk_is_canonical(line, n)) {
			dk_fail(e, DK_EX_DATAERR, "not in canonical form "
			    "(sorted keys, no spaces)");
			goto bad;
		}
		if ((rec = envelope(v, *next, e)) == NULL)
			goto bad;
		if (strcmp(json_string_value(json_object_get(v, "prev")),
		    prev) != 0) {
			if (*next > 0 && broken_link(fp, name, r.line, *next,
			    line, n, rec, si, oppk, e) == 1) {
				--*next;
				goto fail;
			}
			if (*next == 0)
				dk_fail(e, DK_EX_DATAERR, "prev: must be 64 "
				    "zeros in the first entry");
			goto bad;
		}
		seq = *next;
		if (si != NULL)
			si->rec_text = rec_span(line, n, seq, &si->rec_len);
framed:
		type = json_string_value(json_object_get(rec, "type"));
		if (si != NULL) {
			if (seq == 0 && strcmp(type, "ledger") == 0 &&
			    genesis(si, oppk, rec, e) < 0)
				goto bad;
			if (seq != 0 && strcmp(type, "ledger") == 0) {
				dk_fail(e, DK_EX_DATAERR, "a genesis record "
				    "after the first entry");
				goto bad;
			}
			if (strcmp(type, "checkpoint") == 0 &&
			    checkpoint(si, oppk, rec, seq, e) < 0)
				goto bad;
		}
		if (fn != NULL && fn(ctx, seq, r.line, rec, e) < 0) {
			if (strncmp(e->msg, name, strlen(name)) != 0)
				dk_failpre(e, "%s:%ld: entry %lld", name,
				    r.line, seq);
			goto fail;
		}
		if (si != NULL)
			si->rec_text = NULL;
		dk_merkle_leaf(line, n, leaf);
		sodium_bin2hex(prev, 65, leaf, 32);
		(*next)++;
		if (si != NULL) {
			dk_mtree_append(&si->tree, leaf);
			if (si->want_leaves) {
				if (si->nleaves == si->capleaves) {
					size_t cap = si->capleaves ?
					    si->capleaves * 2 : 1024;
					void *nl = realloc(si->leaves,
					    cap * 32);
					if (nl == NULL) {
						dk_fail(e, DK_EX_SOFTWARE,
						    "out of memory");
						goto fail;
					}
					si->leaves = nl;
					si->capleaves = cap;
				}
				memcpy(si->leaves[si->nleaves++], leaf, 32);
			}
			si->good += n + 1;
			if (strcmp(type, "checkpoint") == 0)
				si->note_end = si->good;
			si->last_type_checkpoint =
			    strcmp(type, "checkpoint") == 0;
		}
		json_decref(v);
		v = NULL;
	}
	if (e->status != 0)
		goto fail;
	free(r.buf);
	return 0;
bad:
	dk_failpre(e, "%s:%ld: entry %lld", name, r.line, *next);
	e->status = DK_EX_DATAERR;
fail:
	if (si != NULL) {
		si->fail_seq = *next;
		si->rec_text = NULL;
	}
	json_decref(v);
	free(r.buf);
	return -1;
}

int
dk_ledger_scan_info(const char *path, const unsigned char *oppk,
    dk_entry_fn fn, void *ctx, struct dk_scaninfo *si, struct dk_err *e)
{
	char prev[65];
	long long next;
	FILE *fp;
	int rc;

	if ((fp = fopen(path, "r")) == NULL)
		return dk_fail(e, DK_EX_NOINPUT, "%s: %s", path,
		    strerror(errno));
	if (flock(fileno(fp), LOCK_SH) < 0) {
		fclose(fp);
		return dk_fail(e, DK_EX_IOERR, "%s: lock: %s", path,
		    strerror(errno));
	}
	rc = scan_fp(fp, path, oppk, fn, ctx, prev, &next, si, e);
	if (si != NULL)
		si->entries = next;
	fclose(fp);
	return rc;
}

/* The same over a file the caller opened and locked itself. */
int
dk_ledger_scan_fd(int fd, const char *path, const unsigned char *oppk,
    dk_entry_fn fn, void *ctx, struct dk_scaninfo *si, struct dk_err *e)
{
	char prev[65];
	long long next;
	FILE *fp;
	int fd2, rc;

	if ((fd2 = dup(fd)) < 0 || (fp = fdopen(fd2, "r")) == NULL)
		return dk_fail(e, DK_EX_IOERR, "%s: %s", path,
		    strerror(errno));
	rewind(fp);
	rc = scan_fp(fp, path, oppk, fn, ctx, prev, &next, si, e);
	if (si != NULL)
		si->entries = next;
	fclose(fp);
	return rc;
}

int
dk_ledger_scan(const char *path, const unsigned char *oppk, dk_entry_fn fn,
    void *ctx, struct dk_err *e)
{
	struct dk_scaninfo si;
	int rc;

	memset(&si, 0, sizeof(si));
	rc = dk_ledger_scan_info(path, oppk, fn, ctx, &si, e);
	/* what follows the last checkpoint was never acknowledged, and no
	 * signature covers it: not read as part of the ledger */
	if (rc == 0 && si.origin[0] != '\0' && !si.last_type_checkpoint)
		rc = dk_fail(e, DK_EX_DATAERR, "%s: entries %lld to %lld follow "
		    "the last checkpoint: an append that was never "
		    "acknowledged; run denki-ledger-recover first", path,
		    si.note != NULL ? si.note_seq + 1 : 0, si.entries - 1);
	dk_scaninfo_free(&si);
	return rc;
}

void
dk_scaninfo_free(struct dk_scaninfo *si)
{
	free(si->leaves);
	free(si->note);
	si->leaves = NULL;
	si->note = NULL;
}

/* Opens for appending: one writer at a time (flock), and the callback sees
 * every entry already there, under the lock. */
int
dk_ledger_open(struct dk_ledger *l, const char *path, const struct dk_key *op,
    dk_entry_fn fn, void *ctx, struct dk_err *e)
{
	FILE *fp;
	int fd2;

	memset(l, 0, sizeof(*l));
	l->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (l->fd < 0)
		return dk_fail(e, DK_EX_CANTCREAT, "%s: %s", path,
		    strerror(errno));
	if (flock(l->fd, LOCK_EX) < 0) {
		dk_fail(e, DK_EX_IOERR, "%s: lock: %s", path, strerror(errno));
		goto fail;
	}
	if ((fd2 = dup(l->fd)) < 0 || (fp = fdopen(fd2, "r")) == NULL) {
		dk_fail(e, DK_EX_IOERR, "%s: %s", path, strerror(errno));
		goto fail;
	}
	rewind(fp);
	if (scan_fp(fp, path, op->pk, fn, ctx, l->prev, &l->next, &l->info,
	    e) < 0) {
		fclose(fp);
		dk_scaninfo_free(&l->info);
		goto fail;
	}
	fclose(fp);
	if (l->info.origin[0] != '\0' && !l->info.last_type_checkpoint) {
		dk_fail(e, DK_EX_DATAERR, "%s: entries follow the last "
		    "checkpoint: an append that was never acknowledged; run "
		    "denki-ledger-recover first", path);
		dk_scaninfo_free(&l->info);
		goto fail;
	}
	l->path = strdup(path);
	l->op = op;
	l->committed = l->info.good;
	return 0;
fail:
	close(l->fd);
	l->fd = -1;
	return -1;
}

/* A new ledger starts with its genesis: the origin and the operator key. */
int
dk_ledger_genesis(struct dk_ledger *l, const char *origin, struct dk_err *e)
{
	json_t *g;
	char *k, vk[512];
	int rc;

	if (l->next != 0)
		return 0;
	if (strlen(origin) >= sizeof(l->info.origin) ||
	    dk_vkey_make(origin, l->op->pk, vk, sizeof(vk)) < 0)
		return dk_fail(e, DK_EX_CONFIG, "origin: \"%.100s\" must be "
		    "1 to 255 bytes without spaces or '+', like "
		    "coop.example/ledger", origin);
	k = dk_key_pub_b64(l->op);
	g = json_pack("{s:s,s:i,s:s,s:s,s:s}", "type", "ledger", "v", 1,
	    "origin", origin, "key", k, "vkey", vk);
	free(k);
	rc = dk_ledger_add(l, g, e);
	json_decref(g);
	if (rc == 0) {
		snprintf(l->info.origin, sizeof(l->info.origin), "%s", origin);
		l->info.key = *l->op;
		l->info.key.sk = NULL;
	}
	return rc;
}

/* A checkpoint of every entry so far, as the next entry. */
int
dk_ledger_checkpoint(struct dk_ledger *l, struct dk_err *e)
{
	unsigned char root[32];
	char *text, *note;
	json_t *c;
	int rc;

	if (l->info.origin[0] == '\0')
		return dk_fail(e, DK_EX_DATAERR, "%s: the ledger has no "
		    "genesis entry, so no origin to sign checkpoints for",
		    l->path);
	dk_mtree_root(&l->info.tree, root);
	if ((text = dk_checkpoint_text(l->info.origin, l->info.tree.size,
	    root)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	note = dk_note_sign(text, l->info.origin, l->op, e);
	free(text);
	if (note == NULL)
		return -1;
	c = json_pack("{s:s,s:i,s:s}", "type", "checkpoint", "v", 1, "note",
	    note);
	free(note);
	rc = dk_ledger_add(l, c, e);
	json_decref(c);
	return rc;
}

int
dk_ledger_add(struct dk_ledger *l, json_t *rec, struct dk_err *e)
{
	json_t *ent;
	char *s, *np;
	size_t n;
	unsigned char leaf[32];

	if (dk_profile_check(rec, e) < 0)
		return -1;
	if (l->npend == 0) {
		memcpy(l->base_prev, l->prev, sizeof(l->prev));
		l->base_next = l->next;
		l->base_tree = l->info.tree;
	}
	ent = json_pack("{s:s,s:i,s:I,s:s,s:O}", "type", "entry", "v", 2,
	    "seq", (json_int_t)l->next, "prev", l->prev, "rec", rec);
	if (ent == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	s = dk_canon(ent);
	json_decref(ent);
	if (s == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	n = strlen(s);
	if (l->npend + n + 1 > l->cappend) {
		size_t cap = (l->cappend + n + 1) * 2;
		if ((np = realloc(l->pend, cap)) == NULL) {
			free(s);
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		}
		l->pend = np;
		l->cappend = cap;
	}
	memcpy(l->pend + l->npend, s, n);
	l->pend[l->npend + n] = '\n';
	l->npend += n + 1;
	dk_merkle_leaf(s, n, leaf);
	sodium_bin2hex(l->prev, sizeof(l->prev), leaf, 32);
	dk_mtree_append(&l->info.tree, leaf);
	l->last_cp = strcmp(json_string_value(json_object_get(rec, "type")),
	    "checkpoint") == 0;
	l->next++;
	free(s);
	return 0;
}

/* Writes what was added and fsyncs before anyone is told: an append that
 * was acknowledged survives a crash.  On a failed write (a full disk) the
 * file is cut back to the last acknowledged entry. */
int
dk_ledger_commit(struct dk_ledger *l, struct dk_err *e)
{
	size_t off = 0;
	ssize_t w;

	while (off < l->npend) {
		w = write(l->fd, l->pend + off, l->npend - off < 4096 ?
		    l->npend - off : 4096);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += w;
	}
	if (fsync(l->fd) < 0)
		goto fail;
	l->committed += l->npend;
	l->npend = 0;
	return 0;
fail:
	dk_fail(e, DK_EX_IOERR, "%s: write: %s; nothing of this run was "
	    "appended", l->path, strerror(errno ? errno : EIO));
	if (ftruncate(l->fd, l->committed) == 0)
		fsync(l->fd);
	l->npend = 0;
	memcpy(l->prev, l->base_prev, sizeof(l->prev));
	l->next = l->base_next;
	l->info.tree = l->base_tree;
	return -1;
}

void
dk_ledger_close(struct dk_ledger *l)
{
	if (l->fd >= 0)
		close(l->fd);	/* releases the lock */
	l->fd = -1;
	free(l->pend);
	free(l->path);
	dk_scaninfo_free(&l->info);
	l->pend = NULL;
	l->path = NULL;
}
