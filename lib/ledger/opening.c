/*
 * opening.c: readings kept private in a ledger of committed readings: a
 * reading enters the ledger as a salted commitment, and its opening (the
 * reading and the salt) is kept in the operator's store beside the ledger.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "ledger.h"

/* The readings setting, or a genesis entry's "readings": committed (the
 * default of a new ledger) or open. */
int
dk_readings_mode(const char *s, int *committed, struct dk_err *e)
{
	if (strcmp(s, "committed") == 0)
		*committed = 1;
	else if (strcmp(s, "open") == 0)
		*committed = 0;
	else
		return dk_fail(e, DK_EX_CONFIG, "readings: must be committed "
		    "or open, got \"%.40s\"", s);
	return 0;
}

int
dk_readings_conf(const struct dk_conf *conf, int *committed,
    struct dk_err *e)
{
	return dk_readings_mode(dk_conf_str(conf, "readings", "committed"),
	    committed, e);
}

/* A new random salt: drawn from the system a pool of SALTS at a time,
 * each handed out once and wiped from the pool (a settle run commits
 * 144,000 readings a month: a getrandom call each was 0.1 CPU-s).  The
 * pool is a thread's own, and a child forked after a draw empties its
 * copy: no two threads or processes hand out the same salt. */
#define SALTS 128
static _Thread_local unsigned char salt_pool[SALTS][32];
static _Thread_local size_t salt_next = SALTS;
static pthread_once_t salt_once = PTHREAD_ONCE_INIT;

static void
salt_child(void)
{
	sodium_memzero(salt_pool, sizeof(salt_pool));
	salt_next = SALTS;
}

static void
salt_atfork(void)
{
	(void)pthread_atfork(NULL, NULL, salt_child);
}

static void
new_salt(unsigned char salt[32])
{
	if (salt_next == SALTS) {
		(void)pthread_once(&salt_once, salt_atfork);
		randombytes_buf(salt_pool, sizeof(salt_pool));
		salt_next = 0;
	}
	memcpy(salt, salt_pool[salt_next], 32);
	sodium_memzero(salt_pool[salt_next++], 32);
}

/* SHA-256(salt || c), c the n bytes of a canonical reading, in hex. */
static void
hash_canon(const unsigned char salt[32], const char *c, size_t n,
    char hex[65])
{
	unsigned char h[32];

	dk_sha256_2(salt, 32, c, n, h);
	dk_hash_hex(h, hex);
}

/* SHA-256(salt || canonical reading), in hex. */
static int
commit_hash(const unsigned char salt[32], json_t *reading, char hex[65])
{
	char *c;

	if ((c = dk_canon(reading)) == NULL)
		return -1;
	hash_canon(salt, c, strlen(c), hex);
	free(c);
	return 0;
}

/* The commitment record to a reading of hash hex. */
static json_t *
commitment(json_t *reading, const char *hex)
{
	json_t *c, *slot = json_object_get(reading, "slot");
	json_t *meter = json_object_get(reading, "meter");

	/* json_pack's object, not parsed from a format for each reading */
	if (slot == NULL || meter == NULL || (c = json_object()) == NULL)
		return NULL;
	if (json_object_set_new_nocheck(c, "type",
	    json_string_nocheck("commitment")) < 0 ||
	    json_object_set_new_nocheck(c, "v", json_integer(1)) < 0 ||
	    json_object_set_nocheck(c, "slot", slot) < 0 ||
	    json_object_set_nocheck(c, "meter", meter) < 0 ||
	    json_object_set_new_nocheck(c, "hash", json_string_nocheck(hex)) <
	    0) {
		json_decref(c);
		return NULL;
	}
	return c;
}

/*
 * The commitment to a reading (checked before) that will be entry seq of
 * the ledger, with a new random salt; its opening in *opening.  NULL: out
 * of memory.
 */
json_t *
dk_commit_reading(json_t *reading, long long seq, json_t **opening)
{
	unsigned char salt[32];
	char hex[65], shex[65];
	json_t *c;

	*opening = NULL;
	new_salt(salt);
	if (commit_hash(salt, reading, hex) < 0)
		return NULL;
	sodium_bin2hex(shex, sizeof(shex), salt, 32);
	sodium_memzero(salt, sizeof(salt));
	c = commitment(reading, hex);
	*opening = json_pack("{s:s,s:i,s:I,s:s,s:O}", "type", "opening", "v",
	    1, "seq", (json_int_t)seq, "salt", shex, "reading", reading);
	if (c == NULL || *opening == NULL) {
		json_decref(c);
		json_decref(*opening);
		*opening = NULL;
		return NULL;
	}
	return c;
}

/*
 * The same from the reading's canonical text rc (dk_canon's, n bytes),
 * the opening as its canonical line in *opening (no newline; *len
 * bytes): what dk_canon would write of dk_commit_reading's, built around
 * rc rather than written again.  NULL: out of memory.
 */
json_t *
dk_commit_canon(json_t *reading, const char *rc, size_t n, long long seq,
    char **opening, size_t *len)
{
	unsigned char salt[32];
	char hex[65], shex[65], tail[160];
	json_t *c;
	int tn;

	*opening = NULL;
	new_salt(salt);
	hash_canon(salt, rc, n, hex);
	sodium_bin2hex(shex, sizeof(shex), salt, 32);
	sodium_memzero(salt, sizeof(salt));
	/* the keys in order: reading, salt, seq, type, v */
	tn = snprintf(tail, sizeof(tail), ",\"salt\":\"%s\",\"seq\":%lld,"
	    "\"type\":\"opening\",\"v\":1}", shex, seq);
	if ((c = commitment(reading, hex)) == NULL ||
	    (*opening = malloc(12 + n + tn + 1)) == NULL) {
		json_decref(c);
		return NULL;
	}
	memcpy(*opening, "{\"reading\":", 11);
	memcpy(*opening + 11, rc, n);
	memcpy(*opening + 11 + n, tail, tn + 1);
	*len = 11 + n + tn;
	return c;
}

/* Whether s is written in JSON as it is: printable ASCII, no quote, no
 * backslash. */
static int
plain(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7E || *s == '"' || *s == '\\')
			return 0;
	return 1;
}

/* A commitment's canonical text (dk_canon's bytes), written around its
 * strings when they need no escape, as a meter's id and a slot's time do:
 * a settle run writes one for every reading.  NULL: out of memory. */
char *
dk_commitment_text(json_t *c)
{
	const char *h = json_string_value(json_object_get(c, "hash"));
	const char *m = json_string_value(json_object_get(c, "meter"));
	const char *t = json_string_value(json_object_get(c, "slot"));
	const char *y = json_string_value(json_object_get(c, "type"));
	const char *part[] = { "{\"hash\":\"", h, "\",\"meter\":\"", m,
		"\",\"slot\":\"", t, "\",\"type\":\"commitment\",\"v\":1}" };
	size_t len[7], n = 0, i;
	char *s, *p;

	if (h == NULL || m == NULL || t == NULL || y == NULL ||
	    strcmp(y, "commitment") != 0 || json_object_size(c) != 5 ||
	    !json_is_integer(json_object_get(c, "v")) ||
	    json_integer_value(json_object_get(c, "v")) != 1 ||
	    !plain(h) || !plain(m) || !plain(t))
		return dk_canon(c);
	for (i = 0; i < 7; i++)
		n += len[i] = strlen(part[i]);
	if ((s = p = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < 7; i++)	/* no printf: one a reading */
		p = (char *)memcpy(p, part[i], len[i]) + len[i];
	*p = '\0';
	return s;
}

/* 64 lowercase hex digits and nothing more: a SHA-256 in hex. */
int
dk_is_hex64(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

/* A commitment record's fields: type, v 1, slot, meter, hash. */
int
dk_commitment_check(json_t *rec, struct dk_err *e)
{
	const char *h;
	long long v;

	if (dk_check_type(rec, "commitment", e) < 0 ||
	    dk_get_int(rec, "v", 1, 1, &v, e) < 0 ||
	    dk_get_str(rec, "slot", e) == NULL ||
	    dk_get_id(rec, "meter", e) == NULL ||
	    (h = dk_get_str(rec, "hash", e)) == NULL)
		return -1;
	if (!dk_is_hex64(h))
		return dk_fail(e, DK_EX_DATAERR, "hash: must be 64 lowercase "
		    "hex digits");
	if (json_object_size(rec) != 5)
		return dk_fail(e, DK_EX_DATAERR, "a commitment has type, v, "
		    "slot, meter and hash, and nothing else");
	return 0;
}

/*
 * An opening against the commitment it names (rec, entry seq of the
 * ledger): its fields, its reading of the same slot and meter, and the
 * hash of its salt and reading the commitment's.  Status 1 (the answer
 * no) when it does not match.
 */
int
dk_opening_check(json_t *op, json_t *rec, long long seq, struct dk_err *e)
{
	const char *s, *h;
	unsigned char salt[32];
	json_t *rd;
	char hex[65];
	long long v;

	if (dk_check_type(op, "opening", e) < 0 ||
	    dk_get_int(op, "v", 1, 1, &v, e) < 0 ||
	    dk_get_int(op, "seq", 0, DK_MAX_SAFE_INT, &v, e) < 0 ||
	    (s = dk_get_str(op, "salt", e)) == NULL)
		return -1;
	rd = json_object_get(op, "reading");
	if (!dk_is_hex64(s) || sodium_hex2bin(salt, 32, s, 64, NULL, NULL,
	    NULL) != 0)
		return dk_fail(e, DK_EX_DATAERR, "salt: must be 64 lowercase "
		    "hex digits");
	if (!json_is_object(rd) || json_object_size(op) != 5)
		return dk_fail(e, DK_EX_DATAERR, "an opening has type, v, seq, "
		    "salt and reading (an object), and nothing else");
	if (v != seq)
		return dk_fail(e, DK_EX_SOFTWARE, "opening of entry %lld "
		    "checked against entry %lld", v, seq);
	h = json_string_value(json_object_get(rec, "hash"));
	if (commit_hash(salt, rd, hex) < 0)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if (h == NULL || strcmp(hex, h) != 0)
		return dk_fail(e, DK_EX_NO, "the opening does not "
		    "match its commitment (SHA-256 of its salt and reading "
		    "is %.16s..., the commitment's %.16s...)", hex,
		    h ? h : "");
	if (!json_equal(json_object_get(rd, "slot"),
	    json_object_get(rec, "slot")) ||
	    !json_equal(json_object_get(rd, "meter"),
	    json_object_get(rec, "meter")))
		return dk_fail(e, DK_EX_NO, "the opening's reading is of "
		    "another slot or meter than its commitment");
	return 0;
}

/*
 * The openings file at path, each by its seq ("N" -> opening) in
 * *byseq.  An opening named twice, or a line that is not one, is bad
 * input (65) named by file and line.
 */
int
dk_openings_load(const char *path, json_t **byseq, struct dk_err *e)
{
	struct dk_reader r;
	json_t *op;
	char *line, k[32];
	long n;
	long long seq;

	*byseq = NULL;
	if (dk_reader_open(&r, path, e) < 0)
		return -1;
	*byseq = json_object();
	while ((n = dk_reader_next(&r, &line, e)) >= 0) {
		if (n == 0)
			continue;
		if ((op = dk_parse(line, n, e)) == NULL ||
		    dk_check_type(op, "opening", e) < 0 ||
		    dk_get_int(op, "seq", 0, DK_MAX_SAFE_INT, &seq, e) < 0) {
			json_decref(op);
			goto bad;
		}
		snprintf(k, sizeof(k), "%lld", seq);
		if (json_object_get(*byseq, k) != NULL) {
			json_decref(op);
			dk_fail(e, DK_EX_DATAERR, "seq: entry %lld opened a "
			    "second time", seq);
			goto bad;
		}
		json_object_set_new(*byseq, k, op);
	}
	if (e->status != 0)
		goto bad;
	dk_reader_close(&r);
	return 0;
bad:
	dk_failpre(e, "%s:%ld", r.name, r.line);
	dk_reader_close(&r);
	json_decref(*byseq);
	*byseq = NULL;
	return -1;
}

/* The opening of entry seq in byseq, or NULL. */
json_t *
dk_openings_get(json_t *byseq, long long seq)
{
	char k[32];

	snprintf(k, sizeof(k), "%lld", seq);
	return json_object_get(byseq, k);
}

static int
seqcmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* Whether seq is one of the n seqs at cs, sorted. */
static int
among(long long seq, const long long *cs, size_t n)
{
	return n > 0 && bsearch(&seq, cs, n, sizeof(*cs), seqcmp) != NULL;
}

/*
 * The store at path read whole, its openings of entries that are not
 * commitments (not among the n seqs at cs) dropped: what dk_openings_trim
 * falls back on when the store's end is not whole lines of openings.
 */
static int
trim_whole(const char *path, const long long *cs, size_t ncs,
    struct dk_err *e)
{
	json_t *all, *op;
	const char *k;
	char *buf = NULL, *s;
	size_t n = 0, cap = 0;
	int rc = 0, drop = 0;

	if (dk_openings_load(path, &all, e) < 0)
		return -1;
	json_object_foreach(all, k, op) {
		if (!among(strtoll(k, NULL, 10), cs, ncs)) {
			drop = 1;
			continue;
		}
		if ((s = dk_canon(op)) == NULL)
			goto oom;
		if (n + strlen(s) + 2 > cap) {
			char *nb = realloc(buf, cap = (n + strlen(s) + 2) * 2);
			if (nb == NULL) {
				free(s);
				goto oom;
			}
			buf = nb;
		}
		n += sprintf(buf + n, "%s\n", s);
		free(s);
	}
	if (drop)
		rc = dk_file_write(path, buf ? buf : "", n, 0600,
		    DK_FILE_FORCE, e);
	free(buf);
	json_decref(all);
	return rc;
oom:
	free(buf);
	json_decref(all);
	return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
}

/*
 * The line of fd that ends at end (its newline at end - 1, left out)
 * read into *buf: where it starts in *buf, its start in the file in
 * *start, its length in *n.  NULL: a read error or out of memory.
 */
static char *
line_before(int fd, off_t end, char **buf, size_t *cap, off_t *start,
    size_t *n)
{
	size_t want = 4096;
	off_t from;
	char *nl, *nb;

	for (;;) {
		if (want > *cap) {
			if ((nb = realloc(*buf, want)) == NULL)
				return NULL;
			*buf = nb;
			*cap = want;
		}
		from = end - 1 > (off_t)want ? end - 1 - (off_t)want : 0;
		if (pread(fd, *buf, end - 1 - from, from) != end - 1 - from)
			return NULL;
		nl = memrchr(*buf, '\n', (size_t)(end - 1 - from));
		if (nl != NULL || from == 0) {
			nl = nl ? nl + 1 : *buf;
			*start = from + (nl - *buf);
			*n = (size_t)(end - 1 - *start);
			return nl;
		}
		want *= 2;
	}
}

/*
 * The operator's store at path before settle's run, under the ledger's
 * lock: openings of entries that are not commitments (not among the ncs
 * seqs at cs, sorted) are dropped.  They are what a run cut off after its
 * openings were written and before its entries were left behind; the
 * ledger may have given their seqs to other entries since.  Every run
 * appends its openings after those of the entries before it, and trims
 * first, so they can only be the store's last lines: it is read from
 * its end back to the first opening of a commitment and cut there,
 * not read whole (the cost does not grow with the season).  A store
 * whose last byte is not a newline, or with a line there that is not an
 * opening, is read whole (dk_openings_load names what is wrong).
 * Mode 0600.
 */
int
dk_openings_trim(const char *path, const long long *cs, size_t ncs,
    struct dk_err *e)
{
	struct stat sb;
	off_t end, start;
	size_t cap = 0, n;
	char *buf = NULL, *line, last;
	long long seq;
	json_t *op;
	int fd, whole = 0, rc = 0;

	if ((fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : dk_fail(e, DK_EX_IOERR, "%s: %s",
		    path, strerror(errno));
	if (fstat(fd, &sb) < 0)
		goto ioerr;
	end = sb.st_size;
	if (end > 0 && (pread(fd, &last, 1, end - 1) != 1 || last != '\n'))
		whole = 1;
	while (!whole && end > 0) {
		errno = 0;
		if ((line = line_before(fd, end, &buf, &cap, &start, &n)) ==
		    NULL)
			goto ioerr;
		if (n > 0) {
			if ((op = dk_parse(line, n, e)) == NULL ||
			    dk_check_type(op, "opening", e) < 0 ||
			    dk_get_int(op, "seq", 0, DK_MAX_SAFE_INT, &seq,
			    e) < 0) {
				json_decref(op);
				memset(e, 0, sizeof(*e));
				whole = 1;
				break;
			}
			json_decref(op);
			if (among(seq, cs, ncs))
				break;
		}
		end = start;	/* of no commitment, or empty: dropped */
	}
	free(buf);
	buf = NULL;
	if (!whole && end < sb.st_size && (ftruncate(fd, end) < 0 ||
	    fsync(fd) < 0))
		goto ioerr;
	close(fd);
	return whole ? trim_whole(path, cs, ncs, e) : 0;
ioerr:
	rc = dk_fail(e, DK_EX_IOERR, "%s: %s", path, strerror(errno ? errno :
	    EIO));
	free(buf);
	close(fd);
	return rc;
}

/*
 * Appends the n bytes of openings at buf to the store at path (made 0600)
 * and fsyncs it, before the ledger entries they open are written; *before
 * is its size before, for dk_openings_cut if the ledger's write fails.
 */
int
dk_openings_append(const char *path, const char *buf, size_t n,
    off_t *before, struct dk_err *e)
{
	struct stat sb;
	size_t off = 0;
	ssize_t w;
	int fd;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0 || fstat(fd, &sb) < 0)
		goto fail;
	*before = sb.st_size;
	if ((sb.st_mode & 077) != 0 && fchmod(fd, 0600) < 0)
		goto fail;
	while (off < n) {
		w = write(fd, buf + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += w;
	}
	if (fsync(fd) < 0)
		goto fail;
	close(fd);
	return 0;
fail:
	dk_fail(e, DK_EX_IOERR, "%s: write: %s; nothing of this run was "
	    "appended", path, strerror(errno ? errno : EIO));
	if (fd >= 0) {
		if (off > 0 && ftruncate(fd, *before) == 0)
			fsync(fd);
		close(fd);
	}
	return -1;
}

/* The store cut back to its size before a run whose ledger write failed. */
void
dk_openings_cut(const char *path, off_t before)
{
	int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return;
	if (ftruncate(fd, before) == 0)
		fsync(fd);
	close(fd);
}

/* What an export's selection of openings reads the ledger with. */
struct sel {
	struct dk_registry reg;
	json_t *store;		/* the operator's openings, by seq */
	const char *member;	/* NULL: every member's */
	long long entries;	/* the copy's */
	char *buf;
	size_t n, cap;
	long long count, missing;
};

static int
sel_entry(void *ctx, long long seq, long line, json_t *rec,
    struct dk_err *e)
{
	struct sel *s = ctx;
	const char *type = json_string_value(json_object_get(rec, "type"));
	const struct dk_participant *p;
	json_t *op;
	char *c;
	size_t len;

	(void)line;
	if (strcmp(type, "participant") == 0)
		return dk_registry_apply(&s->reg, rec, e);
	if (strcmp(type, "commitment") != 0 || seq >= s->entries)
		return 0;
	p = dk_registry_meter(&s->reg, json_string_value(json_object_get(rec,
	    "meter")));
	if (s->member != NULL && (p == NULL || strcmp(p->id, s->member) != 0))
		return 0;
	if ((op = dk_openings_get(s->store, seq)) == NULL) {
		s->missing++;
		return 0;
	}
	if (dk_opening_check(op, rec, seq, e) < 0) {
		e->status = DK_EX_DATAERR;
		return dk_failpre(e, "the operator's store of openings");
	}
	if ((c = dk_canon(op)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	len = strlen(c);
	if (s->n + len + 1 > s->cap) {
		char *nb = realloc(s->buf, s->cap = (s->n + len + 1) * 2);
		if (nb == NULL) {
			free(c);
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		}
		s->buf = nb;
	}
	memcpy(s->buf + s->n, c, len);
	s->buf[s->n + len] = '\n';
	s->n += len + 1;
	s->count++;
	free(c);
	return 0;
}

/*
 * For a copy of the first entries of the ledger at lpath (signed with
 * oppk): the openings in the operator's store of its commitments, of
 * every member or (member not NULL) of that member's meters only, as
 * lines in *buf (*n bytes, *count openings); *missing the commitments
 * selected that the store has no opening for.  A store whose opening
 * does not match its commitment is bad input.
 */
int
dk_openings_select(const char *lpath, const char *store,
    const unsigned char *oppk, long long entries, const char *member,
    char **buf, size_t *n, long long *count, long long *missing,
    struct dk_err *e)
{
	struct sel s;
	int rc;

	memset(&s, 0, sizeof(s));
	s.member = member;
	s.entries = entries;
	if (dk_openings_load(store, &s.store, e) < 0) {
		if (e->status != DK_EX_NOINPUT)
			return -1;
		memset(e, 0, sizeof(*e));
		s.store = json_object();
	}
	rc = dk_ledger_scan(lpath, oppk, sel_entry, &s, e);
	dk_registry_free(&s.reg);
	json_decref(s.store);
	if (rc < 0) {
		free(s.buf);
		return -1;
	}
	*buf = s.buf;
	*n = s.n;
	*count = s.count;
	*missing = s.missing;
	return 0;
}
