/* Unit tests for lib/ledger/ledger.c: the append-only, hash-linked, signed ledger. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "denki.h"
#include "check.h"

#define ZERO64 "0000000000000000000000000000000000000000000000000000000000000000"

static char dir[64], lpath[96];
static struct dk_key op, other;

struct seen {
	int n;
	long long seq[64];
	long line[64];
	char *rec[64];
	long long fail_at;	/* make the callback fail at this seq */
};

static int
collect(void *ctx, long long seq, long line, json_t *rec, struct dk_err *e)
{
	struct seen *s = ctx;

	if (seq == s->fail_at)
		return dk_fail(e, DK_EX_CONFIG, "the callback says no");
	if (s->n < 64) {
		s->seq[s->n] = seq;
		s->line[s->n] = line;
		s->rec[s->n] = dk_canon(rec);
	}
	s->n++;
	return 0;
}

static void
seen_free(struct seen *s)
{
	int i;

	for (i = 0; i < s->n && i < 64; i++)
		free(s->rec[i]);
	memset(s, 0, sizeof(*s));
	s->fail_at = -1;
}

static json_t *
note(int n)
{
	return json_pack("{s:s,s:i,s:i,s:s}", "type", "note", "v", 1, "n", n,
	    "text", "caf\xc3\xa9 \"q\"");
}

static int
scan(const unsigned char *pk, struct seen *s, struct dk_err *e)
{
	memset(e, 0, sizeof(*e));
	return dk_ledger_scan(lpath, pk, s ? collect : NULL, s, e);
}

/* Splits a buffer into line offsets; returns the count. */
static int
lines_of(const char *buf, size_t len, size_t *start, int max)
{
	size_t i;
	int n = 0;

	for (i = 0; i < len && n < max; i++)
		if (i == 0 || buf[i - 1] == '\n')
			start[n++] = i;
	return n;
}

static void
test_write_and_scan(void)
{
	struct dk_ledger l;
	struct dk_err e;
	struct seen s;
	json_t *r;
	char *buf, h[65], want[200];
	size_t len, st[16];
	int n, i;
	size_t offs[3];

	memset(&s, 0, sizeof(s));
	s.fail_at = -1;
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_ledger_open(&l, lpath, &op, collect, &s, &e), 0);
	CHECK_INT(s.n, 0);
	CHECK_INT(l.next, 0);
	CHECK_STR(l.prev, ZERO64);
	for (i = 0; i < 3; i++) {
		char *c;

		r = note(i);
		c = dk_canon(r);
		CHECK_INT(dk_ledger_add(&l, r, &e), 0);
		/* the record's text, where dk_ledger_last_text says, in its
		 * entry's line: {"prev":"...","rec":TEXT,"seq":... */
		offs[i] = dk_ledger_last_text(&l);
		CHECK(c != NULL && offs[i] < l.npend &&
		    strncmp(l.pend + offs[i], c, strlen(c)) == 0 &&
		    strncmp(l.pend + offs[i] - 7, ",\"rec\":", 7) == 0 &&
		    strncmp(l.pend + offs[i] + strlen(c), ",\"seq\":", 7) == 0);
		free(c);
		json_decref(r);
	}
	CHECK_INT(l.next, 3);
	/* added is not written until committed */
	buf = slurp(lpath, &len);
	CHECK_INT(len, 0);
	free(buf);
	/* a record outside the profile is refused, nothing added */
	r = json_pack("{s:s,s:f}", "type", "note", "x", 0.5);
	CHECK_INT(dk_ledger_add(&l, r, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	json_decref(r);
	CHECK_INT(l.next, 3);
	CHECK_INT(dk_ledger_commit(&l, &e), 0);
	/* after the commit the texts are where they were, until the close */
	for (i = 0; i < 3; i++) {
		char *c;

		r = note(i);
		c = dk_canon(r);
		CHECK(c != NULL && strncmp(l.pend + offs[i], c, strlen(c)) ==
		    0);
		free(c);
		json_decref(r);
	}
	dk_ledger_close(&l);

	/* the bytes: canonical entries, each linked to the one before by its
	 * leaf hash, SHA-256(0x00 || line) */
	buf = slurp(lpath, &len);
	n = lines_of(buf, len, st, 16);
	CHECK_INT(n, 3);
	CHECK(len > 0 && buf[len - 1] == '\n');
	for (i = 0; i < n; i++) {
		size_t end = i + 1 < n ? st[i + 1] - 1 : len - 1;
		json_t *v = json_loadb(buf + st[i], end - st[i], 0, NULL);
		unsigned char hh[32];
		char *canon;

		canon = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT);
		CHECK(canon != NULL && strlen(canon) == end - st[i] &&
		    memcmp(canon, buf + st[i], end - st[i]) == 0);
		free(canon);
		CHECK_STR(json_string_value(json_object_get(v, "type")),
		    "entry");
		CHECK_INT(json_integer_value(json_object_get(v, "v")), 2);
		CHECK_INT(json_object_size(v), 5);
		CHECK_INT(json_integer_value(json_object_get(v, "seq")), i);
		CHECK_INT(json_integer_value(json_object_get(json_object_get(v,
		    "rec"), "n")), i);
		if (i == 0)
			CHECK_STR(json_string_value(json_object_get(v, "prev")),
			    ZERO64);
		else {
			size_t pe = st[i] - 1;
			crypto_hash_sha256_state hs;
			crypto_hash_sha256_init(&hs);
			crypto_hash_sha256_update(&hs, (unsigned char *)"", 1);
			crypto_hash_sha256_update(&hs, (unsigned char *)buf +
			    st[i - 1], pe - st[i - 1]);
			crypto_hash_sha256_final(&hs, hh);
			sodium_bin2hex(h, sizeof(h), hh, 32);
			CHECK_STR(json_string_value(json_object_get(v, "prev")),
			    h);
		}
		json_decref(v);
	}
	free(buf);

	/* scanned back with the operator's key */
	CHECK_INT(scan(op.pk, &s, &e), 0);
	CHECK_INT(s.n, 3);
	for (i = 0; i < 3 && i < s.n; i++) {
		char *c;

		r = note(i);
		c = dk_canon(r);
		CHECK_INT(s.seq[i], i);
		CHECK_INT(s.line[i], i + 1);
		CHECK_STR(s.rec[i], c);
		free(c);
		json_decref(r);
	}
	seen_free(&s);

	/* reopened: the callback sees what is there, appends continue */
	CHECK_INT(dk_ledger_open(&l, lpath, &op, collect, &s, &e), 0);
	CHECK_INT(s.n, 3);
	CHECK_INT(l.next, 3);
	buf = slurp(lpath, &len);
	n = lines_of(buf, len, st, 16);
	dk_merkle_leaf(buf + st[2], len - 1 - st[2], (unsigned char *)want);
	sodium_bin2hex(h, sizeof(h), (unsigned char *)want, 32);
	CHECK_STR(l.prev, h);
	free(buf);
	for (i = 3; i < 5; i++) {
		r = note(i);
		CHECK_INT(dk_ledger_add(&l, r, &e), 0);
		json_decref(r);
	}
	CHECK_INT(dk_ledger_commit(&l, &e), 0);
	/* a commit with nothing added writes nothing */
	CHECK_INT(dk_ledger_commit(&l, &e), 0);
	dk_ledger_close(&l);
	seen_free(&s);
	CHECK_INT(scan(op.pk, &s, &e), 0);
	CHECK_INT(s.n, 5);
	CHECK_INT(s.seq[4], 4);
	CHECK_INT(s.line[4], 5);
	seen_free(&s);

	/* added, never committed: lost, the file untouched */
	buf = slurp(lpath, &len);
	CHECK_INT(dk_ledger_open(&l, lpath, &op, NULL, NULL, &e), 0);
	r = note(99);
	CHECK_INT(dk_ledger_add(&l, r, &e), 0);
	json_decref(r);
	dk_ledger_close(&l);
	{
		size_t len2;
		char *buf2 = slurp(lpath, &len2);
		CHECK(len2 == len && memcmp(buf, buf2, len) == 0);
		free(buf2);
	}
	free(buf);

	/* without a key the chain is still checked */
	CHECK_INT(scan(NULL, NULL, &e), 0);

	/* a callback that says no: its message, where, and its status */
	memset(&s, 0, sizeof(s));
	s.fail_at = 2;
	CHECK_INT(scan(op.pk, &s, &e), -1);
	CHECK_INT(e.status, DK_EX_CONFIG);
	snprintf(want, sizeof(want), "%s:3: entry 2: the callback says no",
	    lpath);
	CHECK_STR(e.msg, want);
	CHECK_INT(s.n, 2);
	seen_free(&s);
	/* and dk_ledger_open passes the failure on, and holds nothing */
	s.fail_at = 0;
	CHECK_INT(dk_ledger_open(&l, lpath, &op, collect, &s, &e), -1);
	CHECK_INT(l.fd, -1);
	dk_ledger_close(&l);
	seen_free(&s);

	/* no file */
	{
		char p[160];
		snprintf(p, sizeof(p), "%s/none.jsonl", dir);
		CHECK_INT(dk_ledger_scan(p, op.pk, NULL, NULL, &e), -1);
		CHECK_INT(e.status, DK_EX_NOINPUT);
	}
}

/*
 * A sealed ledger, as the writers leave one (its genesis, three entries,
 * a checkpoint), in a file of its own: every single-byte change anywhere
 * fails the scan naming its line, or (a change of the last checkpoint's
 * type) leaves a ledger that does not end with a checkpoint, which every
 * reader refuses.
 */
static void
test_flips(void)
{
	char *orig, *buf, want[400], path[160];
	size_t len, st[16], i;
	int n, line, bad = 0, badmsg = 0, tails = 0, rc;
	struct dk_ledger l;
	struct dk_scaninfo si;
	struct dk_err e;
	json_t *r;

	snprintf(path, sizeof(path), "%s/sealed.jsonl", dir);
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_ledger_open(&l, path, &op, NULL, NULL, &e), 0);
	CHECK_INT(dk_ledger_genesis(&l, "test.example/log", 0, &e), 0);
	for (i = 0; i < 3; i++) {
		r = note(i);
		CHECK_INT(dk_ledger_add(&l, r, &e), 0);
		json_decref(r);
	}
	CHECK_INT(dk_ledger_checkpoint(&l, &e), 0);
	CHECK_INT(dk_ledger_commit(&l, &e), 0);
	dk_ledger_close(&l);
	CHECK_INT(dk_ledger_scan(path, op.pk, NULL, NULL, &e), 0);
	/* the wrong operator key fails at the first entry */
	CHECK_INT(dk_ledger_scan(path, other.pk, NULL, NULL, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	snprintf(want, sizeof(want), "%s:1: entry 0: key: the ledger names "
	    "another operator key", path);
	CHECK_STR(e.msg, want);

	orig = slurp(path, &len);
	n = lines_of(orig, len, st, 16);
	CHECK_INT(n, 5);
	buf = malloc(len);
	for (i = 0; i < len; i++) {
		memcpy(buf, orig, len);
		buf[i] ^= 0x01;
		spit(path, buf, len);
		for (line = n; line > 1 && st[line - 1] > i; line--)
			;
		snprintf(want, sizeof(want), "%s:%d: ", path, line);
		memset(&si, 0, sizeof(si));
		memset(&e, 0, sizeof(e));
		rc = dk_ledger_scan_info(path, op.pk, NULL, NULL, &si, &e);
		if (rc == 0 && line == n && !si.last_type_checkpoint)
			tails++;
		else if (rc != -1 || e.status != DK_EX_DATAERR) {
			if (bad++ == 0)
				fprintf(stderr, "flip at byte %zu (line %d, "
				    "'%c') passed\n", i, line, orig[i]);
		} else if (strncmp(e.msg, want, strlen(want)) != 0) {
			if (badmsg++ == 0)
				fprintf(stderr, "flip at byte %zu: \"%s\" does "
				    "not start \"%s\"\n", i, e.msg, want);
		}
		dk_scaninfo_free(&si);
	}
	CHECK_INT(bad, 0);
	CHECK_INT(badmsg, 0);
	/* "checkpoint" in the last line's record: 10 bytes */
	CHECK_INT(tails, 10);
	/* the byte changed to each other printable: the same */
	for (bad = 0, i = st[2]; i < st[3]; i++) {
		int c;
		for (c = 0x20; c < 0x7f; c += 7) {
			if (c == orig[i])
				continue;
			memcpy(buf, orig, len);
			buf[i] = (char)c;
			spit(path, buf, len);
			memset(&e, 0, sizeof(e));
			if (dk_ledger_scan(path, op.pk, NULL, NULL, &e) != -1 ||
			    strstr(e.msg, ":3: ") == NULL) {
				if (bad++ == 0)
					fprintf(stderr, "byte %zu = '%c': "
					    "\"%s\"\n", i, c, e.msg);
			}
		}
	}
	CHECK_INT(bad, 0);
	spit(path, orig, len);
	CHECK_INT(dk_ledger_scan(path, op.pk, NULL, NULL, &e), 0);
	unlink(path);
	free(buf);
	free(orig);
}

static void
test_damage(void)
{
	struct dk_ledger l;
	struct dk_err e;
	char *orig, *buf, want[200];
	size_t len, st[16], k;
	int n;

	orig = slurp(lpath, &len);
	n = lines_of(orig, len, st, 16);
	buf = malloc(len * 2 + 100);

	/* a torn last line: an append cut off before its newline */
	memcpy(buf, orig, len);
	memcpy(buf + len, "{\"prev\":\"00", 11);
	spit(lpath, buf, len + 11);
	CHECK_INT(scan(op.pk, NULL, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	snprintf(want, sizeof(want), "%s:6: torn last line (11 bytes, no "
	    "newline)", lpath);
	CHECK_HAS(e.msg, want);
	/* nobody appends after it */
	CHECK_INT(dk_ledger_open(&l, lpath, &op, NULL, NULL, &e), -1);
	CHECK_HAS(e.msg, "torn last line");
	/* the last entry itself cut short */
	spit(lpath, orig, len - 10);
	CHECK_INT(scan(op.pk, NULL, &e), -1);
	snprintf(want, sizeof(want), "%s:5: torn last line", lpath);
	CHECK_HAS(e.msg, want);
	/* only its newline lost */
	spit(lpath, orig, len - 1);
	CHECK_INT(scan(op.pk, NULL, &e), -1);
	CHECK_HAS(e.msg, want);

	/* line 2 deleted */
	memcpy(buf, orig, st[1]);
	memcpy(buf + st[1], orig + st[2], len - st[2]);
	spit(lpath, buf, len - (st[2] - st[1]));
	CHECK_INT(scan(op.pk, NULL, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	snprintf(want, sizeof(want), "%s:2: entry 1: seq: must be 1, got 2",
	    lpath);
	CHECK_HAS(e.msg, want);
	/* the last line deleted: a shorter ledger, still valid (what the
	 * checkpoints are for) */
	spit(lpath, orig, st[4]);
	CHECK_INT(scan(op.pk, NULL, &e), 0);
	/* the first line deleted */
	spit(lpath, orig + st[1], len - st[1]);
	CHECK_INT(scan(op.pk, NULL, &e), -1);
	snprintf(want, sizeof(want), "%s:1: entry 0: seq: must be 0, got 1",
	    lpath);
	CHECK_HAS(e.msg, want);

	/* lines 2 and 3 swapped */
	k = 0;
	memcpy(buf + k, orig, st[1]);
	k += st[1];
	memcpy(buf + k, orig + st[2], st[3] - st[2]);
	k += st[3] - st[2];
	memcpy(buf + k, orig + st[1], st[2] - st[1]);
	k += st[2] - st[1];
	memcpy(buf + k, orig + st[3], len - st[3]);
	k += len - st[3];
	spit(lpath, buf, k);
	CHECK_INT(scan(op.pk, NULL, &e), -1);
	snprintf(want, sizeof(want), "%s:2: entry 1: seq: must be 1, got 2",
	    lpath);
	CHECK_HAS(e.msg, want);

	/* line 2 twice */
	memcpy(buf, orig, st[2]);
	memcpy(buf + st[2], orig + st[1], st[2] - st[1]);
	memcpy(buf + st[2] + (st[2] - st[1]), orig + st[2], len - st[2]);
	spit(lpath, buf, len + (st[2] - st[1]));
	CHECK_INT(scan(op.pk, NULL, &e), -1);
	snprintf(want, sizeof(want), "%s:3: entry 2: seq: must be 2, got 1",
	    lpath);
	CHECK_HAS(e.msg, want);

	/* an entry re-signed by the operator but with a broken chain */
	{
		json_t *v = json_loadb(orig + st[1], st[2] - st[1] - 1, 0, NULL);
		char *s;

		json_object_set_new(v, "prev", json_string(ZERO64));
		s = dk_canon(v);
		k = 0;
		memcpy(buf, orig, st[1]);
		k = st[1];
		memcpy(buf + k, s, strlen(s));
		k += strlen(s);
		buf[k++] = '\n';
		memcpy(buf + k, orig + st[2], len - st[2]);
		k += len - st[2];
		spit(lpath, buf, k);
		CHECK_INT(scan(op.pk, NULL, &e), -1);
		snprintf(want, sizeof(want), "%s:2: entry 1: prev: is not the "
		    "hash of entry 0", lpath);
		CHECK_HAS(e.msg, want);
		free(s);
		/* and one that is signed and linked but not canonical */
		s = json_dumps(v, JSON_SORT_KEYS);	/* with spaces */
		json_decref(v);
		v = json_loadb(orig + st[1], st[2] - st[1] - 1, 0, NULL);
		free(s);
		s = json_dumps(v, 0);			/* keys unsorted */
		k = st[1];
		memcpy(buf, orig, st[1]);
		memcpy(buf + k, s, strlen(s));
		k += strlen(s);
		buf[k++] = '\n';
		memcpy(buf + k, orig + st[2], len - st[2]);
		k += len - st[2];
		spit(lpath, buf, k);
		CHECK_INT(scan(NULL, NULL, &e), -1);
		snprintf(want, sizeof(want), "%s:2: entry 1: not in canonical "
		    "form", lpath);
		CHECK_HAS(e.msg, want);
		free(s);
		json_decref(v);
	}

	/* an empty file is an empty ledger */
	spit(lpath, "", 0);
	CHECK_INT(scan(op.pk, NULL, &e), 0);
	/* an empty line is not an entry */
	spit(lpath, "\n", 1);
	CHECK_INT(scan(op.pk, NULL, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);

	spit(lpath, orig, len);
	CHECK_INT(scan(op.pk, NULL, &e), 0);
	(void)n;
	free(buf);
	free(orig);
}

/*
 * A commit that cannot be written (here: the file-size limit) cuts the
 * file back to what was acknowledged; the ledger must stay usable: what is
 * added and committed next continues the chain from the last entry on
 * disk.
 */
static void
test_failed_commit(void)
{
	struct dk_ledger l;
	struct dk_err e;
	struct rlimit old, lim;
	struct stat st;
	json_t *r;
	char *orig;
	off_t size;
	int i, rc;

	CHECK_INT(stat(lpath, &st), 0);
	size = st.st_size;
	orig = slurp(lpath, NULL);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_ledger_open(&l, lpath, &op, NULL, NULL, &e), 0);
	CHECK_INT(l.next, 5);
	for (i = 100; i < 110; i++) {
		r = note(i);
		dk_ledger_add(&l, r, &e);
		json_decref(r);
	}
	lim = old;
	lim.rlim_cur = size + 100;	/* room for part of one entry */
	setrlimit(RLIMIT_FSIZE, &lim);
	rc = dk_ledger_commit(&l, &e);
	setrlimit(RLIMIT_FSIZE, &old);
	CHECK_INT(rc, -1);
	CHECK_INT(e.status, DK_EX_IOERR);
	CHECK_HAS(e.msg, "nothing of this run was appended");
	CHECK_INT(stat(lpath, &st), 0);
	CHECK_INT(st.st_size, size);
	{
		/* the bytes are those acknowledged before (no flock: the
		 * handle holds the lock) */
		size_t n;
		char *now = slurp(lpath, &n);
		CHECK(n == (size_t)size && memcmp(now, orig, n) == 0);
		free(now);
	}
	/* the same ledger handle, used again */
	r = note(200);
	CHECK_INT(dk_ledger_add(&l, r, &e), 0);
	json_decref(r);
	CHECK_INT(dk_ledger_commit(&l, &e), 0);
	dk_ledger_close(&l);
	rc = scan(op.pk, NULL, &e);
	CHECKF(rc == 0, "after a failed commit, the next commit broke the "
	    "ledger: %s", e.msg);
	signal(SIGXFSZ, SIG_DFL);
	free(orig);
}

/* Each byte of orig's [a, b) flipped in turn into the ledger at path:
 * how many dk_ledger_scan_only did not refuse (named on stderr). */
static int
flips(const char *path, const char *orig, size_t len, size_t a, size_t b,
    const char *const *types)
{
	char *buf = malloc(len);
	struct dk_err e;
	struct seen s;
	size_t i;
	int bad = 0;

	memset(&s, 0, sizeof(s));
	s.fail_at = -1;
	for (i = a; i < b; i++) {
		memcpy(buf, orig, len);
		buf[i] ^= 0x01;
		spit(path, buf, len);
		memset(&e, 0, sizeof(e));
		if ((dk_ledger_scan_only(path, op.pk, types, collect, &s,
		    &e) != -1 || e.status != DK_EX_DATAERR) && bad++ == 0)
			fprintf(stderr, "scan_only: flip at byte %zu passed\n",
			    i);
		seen_free(&s);
	}
	free(buf);
	return bad;
}

/* dk_ledger_scan_only: the callback sees the records of the types asked
 * for and no other (a type inside a nested value or a string is not the
 * record's); those passed over unparsed are still chained: a byte of
 * theirs changed fails the scan. */
static void
test_scan_only(void)
{
	static const char *const keep[] = { "keep", NULL };
	static const char *const keepcp[] = { "keep", "checkpoint", NULL };
	char path[160], *orig;
	size_t len, st[16], i;
	struct dk_ledger l;
	struct dk_err e;
	struct seen s;
	json_t *r[6];
	int n, k, bad = 0;

	snprintf(path, sizeof(path), "%s/only.jsonl", dir);
	memset(&e, 0, sizeof(e));
	r[0] = json_pack("{s:s,s:i}", "type", "keep", "n", 1);
	r[1] = json_pack("{s:s,s:i,s:i}", "type", "skip", "n", 2, "x", -7);
	r[2] = json_pack("{s:{s:s},s:s,s:i}", "enrol", "type", "skip", "type",
	    "keep", "n", 3);
	r[3] = json_pack("{s:s,s:s}", "a", "x\",\"type\":\"keep", "type",
	    "skip");
	r[4] = json_pack("{s:s,s:[{s:s}]}", "type", "ke\"ep", "z", "type",
	    "keep");
	r[5] = json_pack("{s:s,s:{s:s}}", "type", "keep", "z", "type", "skip");
	CHECK_INT(dk_ledger_open(&l, path, &op, NULL, NULL, &e), 0);
	CHECK_INT(dk_ledger_genesis(&l, "test.example/log", 0, &e), 0);
	for (i = 0; i < 6; i++) {
		CHECK_INT(dk_ledger_add(&l, r[i], &e), 0);
		json_decref(r[i]);
	}
	CHECK_INT(dk_ledger_checkpoint(&l, &e), 0);
	CHECK_INT(dk_ledger_commit(&l, &e), 0);
	dk_ledger_close(&l);
	memset(&s, 0, sizeof(s));
	s.fail_at = -1;
	CHECK_INT(dk_ledger_scan_only(path, op.pk, keep, collect, &s, &e), 0);
	CHECK_INT(s.n, 3);
	CHECK_INT(s.seq[0], 1);
	CHECK_INT(s.seq[1], 3);
	CHECK_INT(s.seq[2], 6);
	CHECK_STR(s.rec[1], "{\"enrol\":{\"type\":\"skip\"},\"n\":3,"
	    "\"type\":\"keep\"}");
	seen_free(&s);
	CHECK_INT(dk_ledger_scan_only(path, op.pk, keepcp, collect, &s, &e),
	    0);
	CHECK_INT(s.n, 4);
	CHECK_INT(s.seq[3], 7);
	seen_free(&s);
	/* every byte of the records passed over, flipped: refused */
	orig = slurp(path, &len);
	n = lines_of(orig, len, st, 16);
	CHECK_INT(n, 8);
	for (k = 2; k <= 4; k += 2)
		bad += flips(path, orig, len, st[k], st[k + 1] - 1, keep);
	CHECK_INT(bad, 0);
	unlink(path);
	free(orig);
}

/* dk_ledger_scan_only checks the last checkpoint's signature at its end,
 * the others' form, size, root and time as it meets them: a byte of
 * either checkpoint changed (its signature's too) is still refused, the
 * last one's signature named. */
static void
test_scan_only_checkpoints(void)
{
	static const char *const keep[] = { "keep", NULL };
	char path[160], *orig, *buf, *sig;
	size_t len, st[16];
	struct dk_scaninfo si;
	struct dk_ledger l;
	struct dk_err e;
	struct seen s;
	json_t *r;
	int n, k, c, bad = 0;

	snprintf(path, sizeof(path), "%s/only-cp.jsonl", dir);
	memset(&e, 0, sizeof(e));
	memset(&s, 0, sizeof(s));
	s.fail_at = -1;
	CHECK_INT(dk_ledger_open(&l, path, &op, NULL, NULL, &e), 0);
	CHECK_INT(dk_ledger_genesis(&l, "test.example/log", 0, &e), 0);
	for (c = 0; c < 2; c++) {
		r = json_pack("{s:s,s:i}", "type", "keep", "n", c);
		CHECK_INT(dk_ledger_add(&l, r, &e), 0);
		json_decref(r);
		CHECK_INT(dk_ledger_checkpoint(&l, &e), 0);
		CHECK_INT(dk_ledger_commit(&l, &e), 0);
	}
	dk_ledger_close(&l);
	CHECK_INT(dk_ledger_scan_only(path, op.pk, keep, collect, &s, &e), 0);
	CHECK_INT(s.n, 2);
	seen_free(&s);
	/* another operator key: the last signature is not its */
	CHECK_INT(dk_ledger_scan_only(path, other.pk, keep, collect, &s, &e),
	    -1);
	seen_free(&s);
	orig = slurp(path, &len);
	n = lines_of(orig, len, st, 16);
	CHECK_INT(n, 5);
	st[n] = len;
	buf = malloc(len + 1);
	/* the last checkpoint's signature, one base64 letter changed: the
	 * check at the end names it */
	memcpy(buf, orig, len);
	buf[len] = '\0';
	CHECK((sig = strstr(buf + st[4], "\xe2\x80\x94 test.example/log ")) !=
	    NULL);
	if (sig != NULL) {
		sig += strlen("\xe2\x80\x94 test.example/log ") + 10;
		*sig = *sig == 'A' ? 'B' : 'A';
		spit(path, buf, len);
		memset(&e, 0, sizeof(e));
		CHECK_INT(dk_ledger_scan_only(path, op.pk, keep, collect, &s,
		    &e), -1);
		CHECK_INT(e.status, DK_EX_DATAERR);
		CHECKF(strstr(e.msg, ":5: entry 4: checkpoint: note: invalid "
		    "signature") != NULL, "%s", e.msg);
		seen_free(&s);
		/* so too for a reader that sets si.only itself and scans
		 * with dk_ledger_scan_info: the check is the scan's own */
		memset(&si, 0, sizeof(si));
		si.only = keep;
		memset(&e, 0, sizeof(e));
		CHECK_INT(dk_ledger_scan_info(path, op.pk, collect, &s, &si,
		    &e), -1);
		CHECK_INT(e.status, DK_EX_DATAERR);
		CHECKF(strstr(e.msg, "checkpoint: note: invalid signature") !=
		    NULL, "%s", e.msg);
		dk_scaninfo_free(&si);
		seen_free(&s);
	}
	/* every byte of both checkpoints, flipped: refused */
	for (k = 2; k <= 4; k += 2)
		bad += flips(path, orig, len, st[k], st[k + 1] - 1, keep);
	CHECK_INT(bad, 0);
	unlink(path);
	free(buf);
	free(orig);
}

/* what must be on disk before lines are written ahead: counted, the
 * file's size then noted, refused at call fail */
struct first {
	const char *path;
	int calls, fail;
	off_t size[64];
};

static int
first(void *ctx, struct dk_err *e)
{
	struct first *f = ctx;
	struct stat st;

	if (f->calls < 64)
		f->size[f->calls] = stat(f->path, &st) == 0 ? st.st_size : -1;
	if (++f->calls == f->fail)
		return dk_fail(e, DK_EX_IOERR, "first: refused");
	return 0;
}

/* a witness that cosigns every checkpoint with the same line */
static char *
cosign(void *ctx, const struct dk_ledger *l, const char *note,
    struct dk_err *e)
{
	(void)ctx;
	(void)l;
	(void)note;
	(void)e;
	return strdup("\xe2\x80\x94 w.example AAAA\n");
}

/* dk_ledger_add_flat: a flat text is added with its head; another (an
 * integer of 16 digits, a key out of order, an escape) is not, 1, and
 * nothing changes */
static void
test_add_flat(void)
{
	struct dk_ledger l;
	struct dk_err e = { 0 };
	char path[128];
	const char *bad[] = {
		"{\"n\":1234567890123456,\"type\":\"note\"}",
		"{\"type\":\"note\",\"n\":1}",
		"{\"n\":1,\"t\":\"a\\\"b\",\"type\":\"note\"}",
	};
	const char *good = "{\"n\":123456789012345,\"type\":\"note\",\"v\":1}";
	json_t *head = json_pack("{s:s}", "type", "note");
	size_t i, np;
	long long next;

	snprintf(path, sizeof(path), "%s/flat.jsonl", dir);
	CHECK_INT(dk_ledger_open(&l, path, &op, NULL, NULL, &e), 0);
	CHECK_INT(dk_ledger_genesis(&l, "test.local/ledger", 0, &e), 0);
	next = l.next;
	np = l.npend;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(dk_ledger_add_flat(&l, head, bad[i], strlen(bad[i]),
		    &e), 1);
		CHECK(l.next == next && l.npend == np && e.status == 0);
	}
	/* n bytes of c, whatever follows them */
	{
		char more[128];

		snprintf(more, sizeof(more), "%sXYZ", good);
		CHECK_INT(dk_ledger_add_flat(&l, head, more, strlen(good), &e),
		    0);
	}
	CHECK(l.next == next + 1 && strncmp(l.pend + dk_ledger_last_text(&l),
	    good, strlen(good)) == 0 && strncmp(l.pend +
	    dk_ledger_last_text(&l) + strlen(good), ",\"seq\":", 7) == 0);
	CHECK_INT(dk_ledger_finish(&l, 0, &e), 0);
	dk_ledger_close(&l);
	CHECK_INT(dk_ledger_scan(path, op.pk, NULL, NULL, &e), 0);
	json_decref(head);
}

/* n notes from k into a ledger at path, spilling beyond hold bytes
 * (0: none): the file's size once they are added, before the commit;
 * their texts' offsets in offs. */
static off_t
add_notes(struct dk_ledger *l, const char *path, size_t hold, int k, int n,
    size_t *offs)
{
	struct dk_err e = { 0 };
	struct stat st;
	json_t *r;
	int i;

	CHECK_INT(dk_ledger_open(l, path, &op, NULL, NULL, &e), 0);
	dk_ledger_spill(l, hold, NULL, NULL);
	if (l->next == 0)	/* a checkpoint names the ledger's origin */
		CHECK_INT(dk_ledger_genesis(l, "test.local/ledger", 0, &e), 0);
	for (i = 0; i < n; i++) {
		r = note(k + i);
		CHECK_INT(dk_ledger_add(l, r, &e), 0);
		if (offs != NULL)
			offs[i] = dk_ledger_last_text(l);
		json_decref(r);
	}
	CHECK_INT(stat(path, &st), 0);
	return st.st_size;
}

/*
 * dk_ledger_spill: the pending lines beyond the hold are written as they
 * are added, not at the commit, and the file ends as one that held them
 * all: the same bytes; after the commit the texts are read back from it
 * at the offsets dk_ledger_last_text gave.  What is written ahead of a
 * commit that does not come is cut: at the close, at a dry finish, at a
 * failed write, and at exit from a run that closed nothing.
 */
static void
test_spill(void)
{
	struct dk_ledger a, b;
	struct dk_err e = { 0 };
	struct rlimit old, lim;
	struct stat st;
	char pa[128], pb[128], *x, *y;
	const char *lines;
	size_t offs[40], offa[40], na, nb;
	off_t size;
	pid_t pid;
	long long next0;
	int i, status, rc;

	snprintf(pa, sizeof(pa), "%s/held.jsonl", dir);
	snprintf(pb, sizeof(pb), "%s/spilt.jsonl", dir);
	CHECK_INT(add_notes(&a, pa, 0, 0, 40, offa), 0);
	size = add_notes(&b, pb, 300, 0, 40, offs);
	/* 40 lines of some 190 bytes: all but the last 300 bytes or so
	 * are in the file already */
	CHECK(size > 6000 && (size_t)size < b.npend &&
	    b.npend - (size_t)size <= 300);
	CHECK(b.pout == (size_t)size && b.cappend < 1024);
	CHECK_INT(dk_ledger_checkpoint(&a, &e), 0);
	CHECK_INT(dk_ledger_checkpoint(&b, &e), 0);
	CHECK_INT(dk_ledger_commit(&a, &e), 0);
	CHECK_INT(dk_ledger_commit(&b, &e), 0);
	CHECK(b.run_out && !a.run_out);
	x = slurp(pa, &na);
	y = slurp(pb, &nb);
	CHECK(na > 0 && na == nb && memcmp(x, y, na) == 0);
	free(y);
	lines = dk_ledger_lines(&b, &e);
	CHECK(lines != NULL && dk_ledger_lines(&a, &e) == a.pend);
	for (i = 0; i < 40 && lines != NULL; i++) {
		json_t *r = note(i);
		char *c = dk_canon(r);

		CHECK(offs[i] == offa[i] && c != NULL &&
		    strncmp(lines + offs[i], c, strlen(c)) == 0 &&
		    strncmp(a.pend + offa[i], c, strlen(c)) == 0);
		free(c);
		json_decref(r);
	}
	dk_ledger_close(&a);
	dk_ledger_close(&b);

	/* a second run written ahead, from an offset in a page: its texts
	 * read back where they are */
	CHECK(na % 4096 != 0);
	size = add_notes(&b, pb, 300, 0, 40, offs);
	add_notes(&a, pa, 0, 0, 40, offa);
	CHECK((size_t)size > na + 6000);
	CHECK_INT(dk_ledger_finish(&a, 0, &e), 0);
	CHECK_INT(dk_ledger_finish(&b, 0, &e), 0);
	CHECK(b.run_out && b.run_at == (off_t)na);
	lines = dk_ledger_lines(&b, &e);
	for (i = 0; i < 40 && lines != NULL; i++) {
		json_t *r = note(i);
		char *c = dk_canon(r);

		CHECK(offs[i] == offa[i] && c != NULL &&
		    strncmp(lines + offs[i], c, strlen(c)) == 0);
		free(c);
		json_decref(r);
	}
	CHECK(lines != NULL);
	dk_ledger_close(&a);
	dk_ledger_close(&b);
	free(x);
	x = slurp(pa, &na);
	y = slurp(pb, &nb);
	CHECK(na == nb && memcmp(x, y, na) == 0);
	free(y);

	/* closed without the commit: the file as it was */
	size = add_notes(&b, pb, 300, 40, 20, NULL);
	CHECK((size_t)size > nb);
	dk_ledger_close(&b);
	y = slurp(pb, &nb);
	CHECK(nb == na && memcmp(x, y, na) == 0);
	free(y);

	/* a dry finish: the same, and nothing to read back */
	CHECK((size_t)add_notes(&b, pb, 300, 40, 20, NULL) > nb);
	CHECK_INT(dk_ledger_finish(&b, 1, &e), 0);
	CHECK_INT(stat(pb, &st), 0);
	CHECK_INT(st.st_size, (off_t)na);
	CHECK(dk_ledger_lines(&b, &e) == NULL);
	CHECK_HAS(e.msg, "what this run added was cut off again");
	memset(&e, 0, sizeof(e));
	dk_ledger_close(&b);

	/* with witnesses: the checkpoint made again with their lines, after
	 * the lines before it were written; the same bytes either way */
	{
		struct dk_ledger w[2];
		char pw[2][128];
		char *z;

		for (i = 0; i < 2; i++) {
			snprintf(pw[i], sizeof(pw[i]), "%s/witnessed%d.jsonl",
			    dir, i);
			CHECK((add_notes(&w[i], pw[i], i ? 300 : 0, 60, 30,
			    NULL) > 0) == i);
			dk_ledger_witnesses(&w[i], cosign, NULL, 1);
			CHECK_INT(dk_ledger_checkpoint(&w[i], &e), 0);
			CHECK_INT(dk_ledger_commit(&w[i], &e), 0);
			dk_ledger_close(&w[i]);
		}
		z = slurp(pw[0], &na);
		y = slurp(pw[1], &nb);
		CHECK(na > 0 && na == nb && memcmp(z, y, na) == 0 &&
		    memmem(z, na, "w.example AAAA", 14) != NULL);
		free(y);
		free(z);
	}

	/* more ledgers written ahead at once than the cut can note: the
	 * fifth holds its lines, as without a hold, and ends the same */
	{
		struct dk_ledger m[5];
		char pm[5][128];
		off_t sz[5];

		for (i = 0; i < 5; i++) {
			snprintf(pm[i], sizeof(pm[i]), "%s/many%d.jsonl", dir,
			    i);
			sz[i] = add_notes(&m[i], pm[i], 300, 0, 40, NULL);
		}
		CHECK(sz[0] > 6000 && sz[3] == sz[0] && sz[4] == 0 &&
		    m[4].hold == 0);
		for (i = 0; i < 5; i++) {
			CHECK_INT(dk_ledger_finish(&m[i], 0, &e), 0);
			dk_ledger_close(&m[i]);
		}
		y = slurp(pm[4], &nb);
		{
			size_t n0;
			char *z = slurp(pm[0], &n0);

			CHECK(n0 == nb && memcmp(z, y, nb) == 0);
			free(z);
		}
		free(y);
	}
	free(x);
	x = slurp(pa, &na);

	/* a write ahead that fails (a full disk): refused at the add that
	 * spills, named, the file cut back; the handle goes on from there */
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	CHECK_INT(add_notes(&b, pb, 300, 40, 1, NULL), (off_t)na);
	next0 = b.next - 1;	/* before the run */
	lim = old;
	lim.rlim_cur = na + 1000;
	setrlimit(RLIMIT_FSIZE, &lim);
	for (i = 0, rc = 0; i < 40 && rc == 0; i++) {
		json_t *r = note(41 + i);

		rc = dk_ledger_add(&b, r, &e);
		json_decref(r);
	}
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	CHECK_INT(rc, -1);
	CHECK_INT(e.status, DK_EX_IOERR);
	CHECK_HAS(e.msg, "spilt.jsonl: write: File too large; nothing of "
	    "this run was appended");
	CHECK_INT(stat(pb, &st), 0);
	CHECK_INT(st.st_size, (off_t)na);
	CHECK(b.npend == 0 && b.pout == 0 && b.next == next0);
	{
		json_t *r = note(99);

		memset(&e, 0, sizeof(e));
		CHECK_INT(dk_ledger_add(&b, r, &e), 0);
		json_decref(r);
	}
	CHECK_INT(dk_ledger_finish(&b, 0, &e), 0);
	dk_ledger_close(&b);
	memset(&e, 0, sizeof(e));
	rc = dk_ledger_scan(pb, op.pk, NULL, NULL, &e);
	CHECKF(rc == 0, "after a failed write ahead: %s", e.msg);
	CHECK_INT(stat(pb, &st), 0);
	size = st.st_size;

	/* a run that returns from main, its ledger not closed: cut at exit;
	 * one ended by SIGTERM: cut, the signal its end still; a child it
	 * forked that exits: nothing cut; one killed: left, entries no
	 * checkpoint follows (each child exits 3 when it wrote nothing
	 * ahead) */
	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < 4; i++) {
		if ((pid = fork()) == 0) {
			if (add_notes(&b, pb, 300, 100, 20, NULL) <= size)
				_exit(3);
			if (i == 1)
				raise(SIGTERM);
			if (i == 2) {
				pid_t kid = fork();

				if (kid == 0)
					exit(0);	/* the child's exit */
				if (kid < 0 || waitpid(kid, &status, 0) != kid ||
				    stat(pb, &st) < 0 || st.st_size <= size)
					_exit(4);
				exit(0);
			}
			if (i == 3)
				_exit(0);
			exit(0);
		}
		CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
		if (i == 1)
			CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
		else
			CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			    "child %d: status %d", i, status);
		CHECK_INT(stat(pb, &st), 0);
		if (i < 3)
			CHECK_INT(st.st_size, size);
		else
			CHECK(st.st_size > size);
	}
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_ledger_open(&b, pb, &op, NULL, NULL, &e), -1);
	CHECK_HAS(e.msg, "an append that was never acknowledged");
	free(x);

	/* first, before each write ahead: called with the file as the
	 * writes before left it (never after this one's); refused, the run
	 * is cut back and the add fails with its words */
	{
		struct first f = { NULL, 0, 0, { 0 } };
		char pf[128];
		json_t *r;

		snprintf(pf, sizeof(pf), "%s/first.jsonl", dir);
		f.path = pf;
		CHECK_INT(dk_ledger_open(&b, pf, &op, NULL, NULL, &e), 0);
		dk_ledger_spill(&b, 300, first, &f);
		CHECK_INT(dk_ledger_genesis(&b, "test.local/ledger", 0, &e),
		    0);
		for (i = 0; i < 40; i++) {
			r = note(i);
			CHECK_INT(dk_ledger_add(&b, r, &e), 0);
			json_decref(r);
		}
		CHECK(f.calls > 10 && f.size[0] == 0);
		for (i = 1; i < f.calls && i < 64; i++)
			CHECK(f.size[i] > f.size[i - 1]);
		CHECK_INT(stat(pf, &st), 0);
		CHECK(st.st_size > f.size[f.calls - 1]);
		f.fail = f.calls + 1;
		for (i = 0, rc = 0; i < 10 && rc == 0; i++) {
			r = note(100 + i);
			rc = dk_ledger_add(&b, r, &e);
			json_decref(r);
		}
		CHECK_INT(rc, -1);
		CHECK_STR(e.msg, "first: refused");
		CHECK_INT(stat(pf, &st), 0);
		CHECK_INT(st.st_size, 0);
		dk_ledger_close(&b);
	}
}

int
main(void)
{
	struct dk_err e;

	memset(&e, 0, sizeof(e));
	if (dk_init(&e) < 0 || dk_key_generate(&op, &e) < 0 ||
	    dk_key_generate(&other, &e) < 0)
		return 1;
	snprintf(dir, sizeof(dir), "%s", tmpdir_make("test-ledger"));
	snprintf(lpath, sizeof(lpath), "%s/ledger.jsonl", dir);
	test_write_and_scan();
	test_flips();
	test_damage();
	test_failed_commit();
	test_scan_only();
	test_scan_only_checkpoints();
	test_spill();
	test_add_flat();
	dk_key_free(&op);
	dk_key_free(&other);
	tmpdir_remove();
	return check_done("test-ledger");
}
