/*
 * ledger-scan.c: a ledger read from its first entry to its last, every
 * line checked (frame, chain, canonical bytes, checkpoints) and handed to
 * the caller's function; what it found goes into a struct dk_scaninfo.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "ledger-impl.h"

/* the prev of entry 0 */
#define ZERO64 \
    "0000000000000000000000000000000000000000000000000000000000000000"

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

/* The record of a framed line, if its bytes are its canonical form (a
 * flat one, most of them, read without the parser: canonical as read). */
static json_t *
framed_rec(const char *rt, size_t rl)
{
	struct dk_err pe = { 0 };
	json_t *v;

	if ((v = dk_parse_flat(rt, rl)) != NULL) {
		if (json_is_string(json_object_get(v, "type")))
			return v;
		json_decref(v);
		return NULL;
	}
	if ((v = dk_parse_member(rt, rl, "rec", &pe)) == NULL)
		return NULL;
	if (!json_is_object(v) || !json_is_string(json_object_get(v, "type")) ||
	    !dk_is_canonical(rt, rl)) {
		json_decref(v);
		return NULL;
	}
	return v;
}

/* The member "type" of a flat record's bytes s: the string after its
 * first ",\"type\":\"" (or a leading "{\"type\":\""), to the next '"' (tl
 * bytes); NULL without one.  Found by its comma: a record has a few,
 * and memmem's set-up costs more than looking at each. */
static const char *
type_member(const char *s, size_t n, size_t *tl)
{
	const char *t = NULL, *p = s, *end = s + n, *q;

	if (n > 9 && memcmp(s, "{\"type\":\"", 9) == 0)
		t = s + 9;
	while (t == NULL && (p = memchr(p, ',', (size_t)(end - p))) != NULL) {
		if ((size_t)(end - p) > 9 && memcmp(p, ",\"type\":\"", 9) == 0)
			t = p + 9;
		p++;
	}
	if (t == NULL || (q = memchr(t, '"', (size_t)(end - t))) == NULL)
		return NULL;
	*tl = (size_t)(q - t);
	return t;
}

/* Whether the caller asked for records of type t (tl bytes). */
static int
asked(const struct dk_scaninfo *si, const char *t, size_t tl)
{
	size_t i;

	if (si == NULL || si->only == NULL)
		return 1;
	/* strncmp stops at a NUL in t: a type with one is parsed, and the
	 * parser judges it */
	if (memchr(t, '\0', tl) != NULL)
		return 1;
	/* the first byte first: most types asked differ in it */
	for (i = 0; si->only[i] != NULL; i++)
		if ((tl == 0 || si->only[i][0] == t[0]) &&
		    strncmp(si->only[i], t, tl) == 0 && si->only[i][tl] == '\0')
			return 1;
	return 0;
}

/*
 * Whether a framed record is one to pass over unparsed (si->only): its
 * type plainly one not asked for, nor one the scan checks itself.  Its
 * type is plain from its bytes in a flat record with no escape (no '{',
 * '[' or '\\' past its first byte, so no '"' inside a string); any other
 * is parsed, and the parser judges it.  A type asked for is parsed
 * whatever the bytes, so those are looked at only for a type not asked.
 */
static int
passed_over(const struct dk_scaninfo *si, const char *rt, size_t rl)
{
	const char *t;
	size_t tl;

	return si != NULL && si->only != NULL && rl >= 2 && rt[0] == '{' &&
	    (t = type_member(rt, rl, &tl)) != NULL &&
	    !(tl == 6 && memcmp(t, "ledger", 6) == 0) &&
	    !(tl == 10 && memcmp(t, "checkpoint", 10) == 0) &&
	    !asked(si, t, tl) && memchr(rt + 1, '{', rl - 1) == NULL &&
	    memchr(rt, '[', rl) == NULL && memchr(rt, '\\', rl) == NULL;
}

/*
 * The lines of a ledger file read in windows of 1 MiB by pread(2) into
 * one buffer, where each line is hashed and its record parsed (no copy
 * through stdio's buffer into a line's): from fp's position on, fp set
 * after the last line taken at the end.  Not mapped: a file cut under a
 * mapping kills its reader with SIGBUS; one cut under pread reads short,
 * and the scan says so.  Anything but a regular file is read by stdio.
 */
#define WIN (1 << 20)

struct win {
	struct dk_reader r;	/* the name, the line number, torn; stdio's
				 * reader when fd < 0 */
	int fd;
	off_t at;		/* the file's offset of buf[0] */
	off_t size;		/* the file's size when the scan began */
	char *buf;
	size_t cap, len, pos;	/* len bytes in buf, the next line at pos */
	int eof;
};

static void
win_open(struct win *w, FILE *fp, const char *name, long line0)
{
	struct stat sb;

	memset(w, 0, sizeof(*w));
	w->r.fp = fp;
	w->r.name = name;
	w->r.line = line0;
	w->fd = -1;
	if (fstat(fileno(fp), &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (w->at = ftello(fp)) >= 0) {
		w->fd = fileno(fp);
		w->size = sb.st_size;
	}
}

/* The next line as dk_reader_next gives it (NUL-ended, without its
 * newline; r.torn when it has none): its length, or -1 at the end (e
 * untouched) or on an error. */
static long
win_next(struct win *w, char **line, struct dk_err *e)
{
	char *nl, *nb;
	ssize_t k;
	size_t n;

	if (w->fd < 0)
		return dk_reader_next(&w->r, line, e);
	for (;;) {
		if (w->pos < w->len && (nl = memchr(w->buf + w->pos, '\n',
		    w->len - w->pos)) != NULL) {
			n = (size_t)(nl - (w->buf + w->pos));
			*nl = '\0';
			w->r.torn = 0;
			break;
		}
		if (w->eof) {
			if ((n = w->len - w->pos) == 0) {
				e->status = 0;
				return -1;
			}
			w->buf[w->len] = '\0';
			w->r.torn = 1;
			break;
		}
		if (w->pos > 0) {
			memmove(w->buf, w->buf + w->pos, w->len - w->pos);
			w->at += (off_t)w->pos;
			w->len -= w->pos;
			w->pos = 0;
		}
		/* a line longer than the window: the window doubled */
		if (w->len + 1 >= w->cap) {
			if (w->cap > ((size_t)-1) / 4 || (nb = realloc(w->buf,
			    w->cap ? w->cap * 2 : WIN)) == NULL) {
				dk_fail(e, DK_EX_SOFTWARE, "%s: out of memory",
				    w->r.name);
				return -1;
			}
			w->buf = nb;
			w->cap = w->cap ? w->cap * 2 : WIN;
		}
		k = pread(w->fd, w->buf + w->len, w->cap - 1 - w->len,
		    w->at + (off_t)w->len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			dk_fail(e, DK_EX_IOERR, "%s: read error: %s",
			    w->r.name, strerror(errno));
			return -1;
		}
		if (k == 0 && w->at + (off_t)w->len < w->size) {
			dk_fail(e, DK_EX_IOERR, "%s: cut to %lld bytes while "
			    "it was read (it had %lld): another program "
			    "truncated it", w->r.name, (long long)(w->at +
			    (off_t)w->len), (long long)w->size);
			return -1;
		}
		w->eof = k == 0;
		w->len += (size_t)k;
	}
	*line = w->buf + w->pos;
	w->pos += n + !w->r.torn;
	w->r.line++;
	return (long)n;
}

/* fp after the last line taken, the buffers freed. */
static void
win_close(struct win *w)
{
	if (w->fd >= 0)
		(void)fseeko(w->r.fp, w->at + (off_t)w->pos, SEEK_SET);
	free(w->buf);
	free(w->r.buf);
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
broken_link(struct win *w, const char *name, long lineno, long long seq,
    const char *line, size_t n, json_t *rec, struct dk_scaninfo *si,
    const unsigned char *oppk, struct dk_err *e)
{
	struct dk_err ne = { 0 };
	unsigned char leaf[32];
	char h[65], *nl = NULL;
	long nn;
	int before = 0;
	const char *why = NULL;

	dk_merkle_leaf(line, n, leaf);
	dk_hash_hex(leaf, h);
	/* a look at the next line (its newline counted as getline(3)
	 * counts it), the line number and torn left at this one's */
	if ((nn = win_next(w, &nl, &ne)) >= 0) {
		nn += !w->r.torn;
		w->r.line--;
		w->r.torn = 0;
	}
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

		if (dk_ledger_cp_open(si, oppk, rec, seq, &cp, &ce) == 0) {
			dk_mtree_root(&si->tree, root);
			before = memcmp(root, cp.root, 32) != 0;
		}
		why = "the checkpoint there does not sign it as it is";
	}
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

/* From the first entry; with dk_scache_apply, from where the state cache
 * beside the ledger ends (state-cache.c). */
int
dk_ledger_scan_fp(FILE *fp, const char *name, const unsigned char *oppk,
    dk_entry_fn fn, void *ctx, char prev[65], long long *next,
    struct dk_scaninfo *si, struct dk_err *e)
{
	if (fn == dk_scache_apply)
		return dk_scache_scan(fp, name, oppk, ctx, prev, next, si, e);
	return dk_ledger_scan_plain(fp, name, oppk, fn, ctx, prev, next, si,
	    e);
}

int
dk_ledger_scan_plain(FILE *fp, const char *name, const unsigned char *oppk,
    dk_entry_fn fn, void *ctx, char prev[65], long long *next,
    struct dk_scaninfo *si, struct dk_err *e)
{
	strcpy(prev, ZERO64);
	*next = 0;
	return dk_ledger_scan_resume(fp, name, 0, oppk, fn, ctx, prev, next,
	    si, e);
}

/*
 * The same from where fp stands, after line line0 of the file: entry
 * *next, linked to prev, with si as a scan up to there left it (origin,
 * key, tree, good, last_start, cp_time and cp_time_seq, note and
 * note_seq, checkpoints, last_type_checkpoint): a reader that keeps what
 * it read before reads only what was appended since.
 */
int
dk_ledger_scan_resume(FILE *fp, const char *name, long line0,
    const unsigned char *oppk, dk_entry_fn fn, void *ctx, char prev[65],
    long long *next, struct dk_scaninfo *si, struct dk_err *e)
{
	struct win r;
	json_t *v = NULL, *rec;
	unsigned char leaf[32];
	char *line;
	const char *type, *rt;
	size_t rl;
	long long seq;
	long n;

	win_open(&r, fp, name, line0);
	while ((n = win_next(&r, &line, e)) >= 0) {
		if (si != NULL)
			si->rec_text = NULL;
		if (r.r.torn) {
			if (si != NULL)
				si->torn = 1;
			dk_fail(e, DK_EX_DATAERR, "%s:%ld: torn last line "
			    "(%ld bytes, no newline): an append was cut off; "
			    "see RECOVERY in denki-ledger-verify(1)", name,
			    r.r.line, n);
			goto fail;
		}
		/* the usual line: its frame as bytes, its record parsed (or
		 * not, of a type the caller did not ask for: chained alone) */
		if ((rt = rec_span(line, n, *next, &rl)) != NULL &&
		    memcmp(line + strlen(HEAD), prev, 64) == 0) {
			type = NULL;
			if (passed_over(si, rt, rl))
				goto chain;
			if ((v = framed_rec(rt, rl)) != NULL) {
				rec = v;
				seq = *next;
				if (si != NULL) {
					si->rec_text = rt;
					si->rec_len = rl;
				}
				goto framed;
			}
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
			if (*next > 0 && broken_link(&r, name, r.r.line, *next,
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
			    dk_ledger_genesis_check(si, oppk, rec, e) < 0)
				goto bad;
			if (seq != 0 && strcmp(type, "ledger") == 0) {
				dk_fail(e, DK_EX_DATAERR, "a genesis record "
				    "after the first entry");
				goto bad;
			}
			/* a reader of some types alone checks the last
			 * checkpoint's signature at the end (below) */
			if (strcmp(type, "checkpoint") == 0 && (si->only !=
			    NULL && si->policy == NULL ?
			    dk_ledger_cp_check_form(si, oppk, rec, seq, e) :
			    dk_ledger_cp_check(si, oppk, rec, seq, e)) < 0)
				goto bad;
		}
		if (fn != NULL && asked(si, type, strlen(type)) &&
		    fn(ctx, seq, r.r.line, rec, e) < 0) {
			if (strncmp(e->msg, name, strlen(name)) != 0)
				dk_failpre(e, "%s:%ld: entry %lld", name,
				    r.r.line, seq);
			goto fail;
		}
		if (si != NULL)
			si->rec_text = NULL;
chain:
		dk_merkle_leaf(line, n, leaf);
		dk_hash_hex(leaf, prev);
		(*next)++;
		if (si != NULL) {
			dk_mtree_append(&si->tree, leaf);
			if (dk_scaninfo_leaf(si, leaf, e) < 0)
				goto fail;
			si->last_start = si->good;
			si->good += n + 1;
			si->last_type_checkpoint = type != NULL &&
			    strcmp(type, "checkpoint") == 0;
			if (si->last_type_checkpoint)
				si->note_end = si->good;
		}
		json_decref(v);
		v = NULL;
	}
	if (e->status != 0)
		goto fail;
	/* a reader of some types alone took each checkpoint's form only:
	 * here, whoever set si->only, the last one's signature, which
	 * signs every entry before it */
	if (si != NULL && si->only != NULL && si->policy == NULL &&
	    dk_ledger_note_check(si, oppk, e) < 0) {
		dk_failpre(e, "%s:%lld: entry %lld", name, si->note_seq + 1,
		    si->note_seq);
		e->status = DK_EX_DATAERR;
		goto fail;
	}
	win_close(&r);
	return 0;
bad:
	dk_failpre(e, "%s:%ld: entry %lld", name, r.r.line, *next);
	e->status = DK_EX_DATAERR;
fail:
	if (si != NULL) {
		si->fail_seq = *next;
		si->rec_text = NULL;
	}
	json_decref(v);
	win_close(&r);
	return -1;
}

/* The whole of fp, which is then closed. */
static int
scan_close(FILE *fp, const char *path, const unsigned char *oppk,
    dk_entry_fn fn, void *ctx, struct dk_scaninfo *si, struct dk_err *e)
{
	char prev[65];
	long long next;
	int rc;

	rc = dk_ledger_scan_fp(fp, path, oppk, fn, ctx, prev, &next, si, e);
	if (si != NULL)
		si->entries = next;
	fclose(fp);
	return rc;
}

/* The ledger at path opened for reading, under a shared lock: NULL with
 * e filled.  Closed on exec: a program started meanwhile (denki-simulate
 * starts bids while it reads) would hold the lock as long as it runs. */
FILE *
dk_ledger_fopen(const char *path, struct dk_err *e)
{
	FILE *fp;

	if ((fp = fopen(path, "re")) == NULL) {
		dk_fail(e, DK_EX_NOINPUT, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (flock(fileno(fp), LOCK_SH) < 0) {
		dk_fail(e, DK_EX_IOERR, "%s: lock: %s", path, strerror(errno));
		fclose(fp);
		return NULL;
	}
	return fp;
}

int
dk_ledger_scan_info(const char *path, const unsigned char *oppk,
    dk_entry_fn fn, void *ctx, struct dk_scaninfo *si, struct dk_err *e)
{
	FILE *fp;

	if ((fp = dk_ledger_fopen(path, e)) == NULL)
		return -1;
	return scan_close(fp, path, oppk, fn, ctx, si, e);
}

/* The same over a file the caller opened and locked itself. */
int
dk_ledger_scan_fd(int fd, const char *path, const unsigned char *oppk,
    dk_entry_fn fn, void *ctx, struct dk_scaninfo *si, struct dk_err *e)
{
	FILE *fp;
	int fd2;

	if ((fd2 = dup(fd)) < 0 || (fp = fdopen(fd2, "r")) == NULL)
		return dk_fail(e, DK_EX_IOERR, "%s: %s", path,
		    strerror(errno));
	rewind(fp);
	return scan_close(fp, path, oppk, fn, ctx, si, e);
}

int
dk_ledger_scan(const char *path, const unsigned char *oppk, dk_entry_fn fn,
    void *ctx, struct dk_err *e)
{
	return dk_ledger_scan_only(path, oppk, NULL, fn, ctx, e);
}

/* What follows the last checkpoint was never acknowledged, and no
 * signature covers it: not read as part of the ledger (-1). */
static int
unacked(const struct dk_scaninfo *si, const char *path, struct dk_err *e)
{
	if (si->origin[0] != '\0' && !si->last_type_checkpoint)
		return dk_fail(e, DK_EX_DATAERR, "%s: entries %lld to %lld "
		    "follow the last checkpoint: an append that was never "
		    "acknowledged; run denki-ledger-recover first", path,
		    si->note != NULL ? si->note_seq + 1 : 0, si->entries - 1);
	return 0;
}

/*
 * The same, fn given only the records of the types named (NULL-ended;
 * NULL: every record): the others are chained and hashed into the tree
 * the checkpoints sign as every entry is, but not parsed when their type
 * is plain from their bytes, so not checked as JSON in the canonical
 * profile (denki-ledger-verify checks that).  Of the checkpoints, the
 * last one's signature alone is checked, at the end (before it, each
 * one's form, tree size, root and time): it signs the tree of every
 * entry before it, the earlier checkpoints as they are among them.
 */
int
dk_ledger_scan_only(const char *path, const unsigned char *oppk,
    const char *const *types, dk_entry_fn fn, void *ctx, struct dk_err *e)
{
	struct dk_follow f;

	dk_follow_init(&f, types);
	if (dk_follow(&f, path, oppk, fn, ctx, e) < 0) {
		dk_scaninfo_free(&f.si);
		return -1;
	}
	return dk_follow_end(&f, path, e);
}

/* A follower that has read nothing yet: of the records, those of types
 * (NULL-ended; NULL: all) go to the function each dk_follow is given. */
void
dk_follow_init(struct dk_follow *f, const char *const *types)
{
	memset(f, 0, sizeof(*f));
	f->si.only = types;
	strcpy(f->prev, ZERO64);
}

/* The last line the follower read is still where it was, as it was
 * (its hash the chain's), so what it read is the file's beginning still:
 * a ledger cut, replaced or changed there is refused (-1), not read as
 * one that nothing was appended to. */
static int
still_there(const struct dk_follow *f, int fd, const char *path,
    struct dk_err *e)
{
	size_t n = (size_t)(f->si.good - f->si.last_start);
	unsigned char leaf[32];
	char hex[65], *line;
	int ok;

	if (f->next == 0)
		return 0;
	if ((line = malloc(n)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	ok = pread(fd, line, n, f->si.last_start) == (ssize_t)n &&
	    line[n - 1] == '\n';
	if (ok) {
		dk_merkle_leaf(line, n - 1, leaf);
		dk_hash_hex(leaf, hex);
		ok = strcmp(hex, f->prev) == 0;
	}
	free(line);
	if (!ok)
		return dk_fail(e, DK_EX_DATAERR, "%s:%lld: entry %lld, the last "
		    "one read before, is no longer there as it was read: the "
		    "ledger was cut, replaced or changed", path, f->next,
		    f->next - 1);
	return 0;
}

/* What was appended to the ledger at path since the last call (from
 * the first entry at the first): the scan of a whole read goes on, its
 * chain, tree and checkpoints, and the last checkpoint's signature is
 * checked at the end of each call.  What was read before is not read
 * again: a follower holds what it read then, as it was. */
int
dk_follow(struct dk_follow *f, const char *path, const unsigned char *oppk,
    dk_entry_fn fn, void *ctx, struct dk_err *e)
{
	FILE *fp;
	int rc;

	if ((fp = dk_ledger_fopen(path, e)) == NULL)
		return -1;
	if ((rc = still_there(f, fileno(fp), path, e)) == 0 &&
	    fseeko(fp, f->si.good, SEEK_SET) != 0)
		rc = dk_fail(e, DK_EX_IOERR, "%s: %s", path, strerror(errno));
	/* the first from the first entry as every scan is (through the
	 * state cache, given dk_scache_apply); the others on from there */
	if (rc == 0)
		rc = f->next == 0 ? dk_ledger_scan_fp(fp, path, oppk, fn, ctx,
		    f->prev, &f->next, &f->si, e) :
		    dk_ledger_scan_resume(fp, path, (long)f->next, oppk, fn,
		    ctx, f->prev, &f->next, &f->si, e);
	f->si.entries = f->next;
	fclose(fp);
	return rc;
}

/* The follower's end: 0 when the ledger read ends with a checkpoint (or
 * has none); f freed either way. */
int
dk_follow_end(struct dk_follow *f, const char *path, struct dk_err *e)
{
	int rc = unacked(&f->si, path, e);

	dk_scaninfo_free(&f->si);
	return rc;
}

/* A leaf kept, when si keeps them. */
int
dk_scaninfo_leaf(struct dk_scaninfo *si, const unsigned char leaf[32],
    struct dk_err *e)
{
	size_t cap;
	void *nl;

	if (!si->want_leaves)
		return 0;
	if (si->nleaves == si->capleaves) {
		cap = si->capleaves ? si->capleaves * 2 : 1024;
		if ((nl = realloc(si->leaves, cap * 32)) == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		si->leaves = nl;
		si->capleaves = cap;
	}
	memcpy(si->leaves[si->nleaves++], leaf, 32);
	return 0;
}

void
dk_scaninfo_free(struct dk_scaninfo *si)
{
	free(si->leaves);
	free(si->note);
	si->leaves = NULL;
	si->note = NULL;
}
