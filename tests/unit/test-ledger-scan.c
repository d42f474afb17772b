/* Unit tests for lib/ledger/ledger-scan.c: what a reader of some types
 * alone (dk_ledger_scan_only) is handed and passes over; the reading in
 * pread windows (lines across them and longer than one, a pipe read by
 * stdio, a torn last line, a file cut under the reader); a follower
 * (dk_follow) reading a ledger as it grows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "denki.h"
#include "check.h"

static char dir[64];
static struct dk_key op;

struct seen {
	int n;
	long long seq[16];
	int badline;	/* entries whose line was not seq + 1 */
};

static int
collect(void *ctx, long long seq, long line, json_t *rec, struct dk_err *e)
{
	struct seen *s = ctx;

	(void)rec;
	(void)e;
	if (s->n < 16)
		s->seq[s->n] = seq;
	s->n++;
	s->badline += line != seq + 1;
	return 0;
}

/* The records given as canonical text (json_loads) added to the ledger
 * at path, after the genesis (genesis) and before a checkpoint (cp),
 * then the commit. */
static void
grow(const char *path, const char *const *recs, int genesis, int cp)
{
	struct dk_ledger l;
	struct dk_err e;
	json_t *r;
	size_t i;

	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_ledger_open(&l, path, &op, NULL, NULL, &e), 0);
	if (genesis)
		CHECK_INT(dk_ledger_genesis(&l, "test.example/log", 0, &e), 0);
	for (i = 0; recs[i] != NULL; i++) {
		CHECK((r = json_loads(recs[i], 0, NULL)) != NULL);
		CHECK_INT(dk_ledger_add(&l, r, &e), 0);
		json_decref(r);
	}
	if (cp)
		CHECK_INT(dk_ledger_checkpoint(&l, &e), 0);
	CHECK_INT(dk_ledger_commit(&l, &e), 0);
	dk_ledger_close(&l);
}

/* A ledger at path of the records given: the genesis, each, a
 * checkpoint. */
static void
make(const char *path, const char *const *recs)
{
	grow(path, recs, 1, 1);
}

/* The byte at the offset'th after the first "what" (wl bytes) in the
 * file at path set to c. */
static void
poke(const char *path, const char *what, size_t wl, long offset, int c)
{
	char *buf, *q;
	FILE *fp;
	long n;

	CHECK((fp = fopen(path, "r+b")) != NULL);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	CHECK((buf = malloc((size_t)n)) != NULL);
	CHECK(fread(buf, 1, (size_t)n, fp) == (size_t)n);
	CHECK((q = memmem(buf, (size_t)n, what, wl)) != NULL);
	if (q != NULL) {
		fseek(fp, (long)(q - buf) + offset, SEEK_SET);
		fputc(c, fp);
	}
	fclose(fp);
	free(buf);
}

/*
 * A record's type read from its bytes is the first member "type" after a
 * comma; one inside a nested object comes first in these, so the bytes
 * alone do not say the record's type: each is parsed, and handed over by
 * the type the parser sees (a record passed over on its nested type
 * would be lost to the reader).
 */
static void
test_nested_type(void)
{
	static const char *const keep[] = { "keep", NULL };
	static const char *const recs[] = {
		"{\"a\":{\"b\":1,\"type\":\"skip\"},\"type\":\"keep\"}",
		"{\"a\":{\"b\":1,\"type\":\"keep\"},\"type\":\"skip\"}",
		"{\"a\":[1,{\"b\":2,\"type\":\"skip\"}],\"type\":\"keep\"}",
		"{\"a\":\"x,\\\"type\\\":\\\"skip\",\"type\":\"keep\"}",
		"{\"n\":5,\"type\":\"skip\",\"z\":\"keep\"}",
		"{\"n\":6,\"type\":\"keep\"}",
		NULL
	};
	char path[128];
	struct dk_err e;
	struct seen s;

	snprintf(path, sizeof(path), "%s/nested.jsonl", dir);
	make(path, recs);
	memset(&e, 0, sizeof(e));
	memset(&s, 0, sizeof(s));
	CHECK_INT(dk_ledger_scan_only(path, op.pk, keep, collect, &s, &e), 0);
	CHECK_INT(s.n, 4);
	CHECK_INT(s.seq[0], 1);
	CHECK_INT(s.seq[1], 3);
	CHECK_INT(s.seq[2], 4);
	CHECK_INT(s.seq[3], 6);
	unlink(path);
}

/*
 * A type with a raw NUL in its bytes ("keep\0xyz"): it is parsed, and
 * the parser refuses the line, naming it; strncmp alone would stop at
 * the NUL and read the asked type's string past its end.
 */
static void
test_nul_type(void)
{
	static const char *const keep[] = { "keep", NULL };
	static const char *const recs[] = {
		"{\"n\":7,\"type\":\"keepQxyz\"}",
		NULL
	};
	char path[128];
	struct dk_err e;
	struct seen s;

	snprintf(path, sizeof(path), "%s/nul.jsonl", dir);
	make(path, recs);
	poke(path, "keepQxyz", 8, 4, '\0');
	memset(&e, 0, sizeof(e));
	memset(&s, 0, sizeof(s));
	CHECK_INT(dk_ledger_scan_only(path, op.pk, keep, collect, &s, &e), -1);
	CHECK_INT(s.n, 0);
	CHECK(strstr(e.msg, "control character") != NULL);
	CHECK(strstr(e.msg, "nul.jsonl:2") != NULL);
	unlink(path);
}

/* A ledger at path of n records of about size bytes each (record big of
 * them, when big < n, of bigsize), the genesis and a checkpoint. */
static void
make_many(const char *path, int n, size_t size, int big, size_t bigsize)
{
	struct dk_ledger l;
	struct dk_err e;
	char *pad;
	json_t *r;
	int i;

	memset(&e, 0, sizeof(e));
	CHECK((pad = malloc(bigsize > size ? bigsize + 1 : size + 1)) != NULL);
	CHECK_INT(dk_ledger_open(&l, path, &op, NULL, NULL, &e), 0);
	CHECK_INT(dk_ledger_genesis(&l, "test.example/log", 0, &e), 0);
	for (i = 0; i < n; i++) {
		size_t k = i == big ? bigsize : size;
		memset(pad, 'a' + i % 26, k);
		pad[k] = '\0';
		CHECK((r = json_pack("{s:i,s:s,s:s}", "n", i, "pad", pad,
		    "type", "note")) != NULL);
		CHECK_INT(dk_ledger_add(&l, r, &e), 0);
		json_decref(r);
	}
	CHECK_INT(dk_ledger_checkpoint(&l, &e), 0);
	CHECK_INT(dk_ledger_commit(&l, &e), 0);
	dk_ledger_close(&l);
	free(pad);
}

/* The whole of fp from its first entry, by dk_ledger_scan_resume: 0 or
 * -1, what it found in s, prev, *next and si. */
static int
scan_from(FILE *fp, const char *path, struct seen *s, char prev[65],
    long long *next, struct dk_scaninfo *si)
{
	struct dk_err e;

	memset(&e, 0, sizeof(e));
	memset(s, 0, sizeof(*s));
	memset(si, 0, sizeof(*si));
	memset(prev, '0', 64);
	prev[64] = '\0';
	*next = 0;
	return dk_ledger_scan_resume(fp, path, 0, op.pk, collect, s, prev,
	    next, si, &e);
}

/*
 * Lines across the windows' edges and one three times a window long: every
 * entry handed over, in order, the chain and sizes as a reading by stdio
 * (a pipe, which pread cannot read) finds them; fp left at the end.
 */
static void
test_windows(void)
{
	char path[128], cmd[300], prev[65], prev2[65];
	struct dk_scaninfo si, si2;
	struct seen s, s2;
	struct stat sb;
	long long next, next2;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/windows.jsonl", dir);
	make_many(path, 2500, 1000, 1200, 3u << 20);
	CHECK_INT(stat(path, &sb), 0);
	CHECK(sb.st_size > (5 << 20));
	CHECK((fp = fopen(path, "r")) != NULL);
	CHECK_INT(scan_from(fp, path, &s, prev, &next, &si), 0);
	CHECK_INT(next, 2502);
	CHECK_INT(s.n, 2502);
	CHECK_INT(s.seq[15], 15);
	CHECK_INT(si.good, sb.st_size);
	CHECK_INT(si.last_type_checkpoint, 1);
	CHECK_INT(ftello(fp), sb.st_size);
	fclose(fp);
	/* the same through a pipe, by stdio */
	snprintf(cmd, sizeof(cmd), "cat %s", path);
	CHECK((fp = popen(cmd, "r")) != NULL);
	CHECK_INT(scan_from(fp, path, &s2, prev2, &next2, &si2), 0);
	pclose(fp);
	CHECK_INT(next2, next);
	CHECK_INT(s2.n, s.n);
	CHECK_STR(prev2, prev);
	CHECK_INT(si2.good, si.good);
	dk_scaninfo_free(&si);
	dk_scaninfo_free(&si2);
	unlink(path);
}

/* A torn last line past a window's edge: named, with its line, and
 * si.torn; the entries before it read. */
static void
test_torn(void)
{
	char path[128];
	struct dk_scaninfo si;
	struct dk_err e;
	struct seen s;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/torn.jsonl", dir);
	make_many(path, 2000, 1000, -1, 0);
	CHECK((fp = fopen(path, "a")) != NULL);
	fputs("{\"prev\":\"00", fp);
	fclose(fp);
	memset(&e, 0, sizeof(e));
	memset(&s, 0, sizeof(s));
	memset(&si, 0, sizeof(si));
	CHECK_INT(dk_ledger_scan_info(path, op.pk, collect, &s, &si, &e), -1);
	CHECK_INT(si.torn, 1);
	CHECK_INT(s.n, 2002);
	CHECK_HAS(e.msg, "torn.jsonl:2003: torn last line (11 bytes");
	dk_scaninfo_free(&si);
	unlink(path);
}

static const char *cut_path;

/* At entry 3, the file cut to 1.5 MiB under the reader. */
static int
cut(void *ctx, long long seq, long line, json_t *rec, struct dk_err *e)
{
	if (seq == 3)
		CHECK_INT(truncate(cut_path, 3 << 19), 0);
	return collect(ctx, seq, line, rec, e);
}

/* A ledger cut while it is read (mapped, its reader would die of SIGBUS):
 * a message naming the file and both sizes, the scan failed. */
static void
test_cut(void)
{
	char path[128];
	struct dk_err e;
	struct seen s;

	snprintf(path, sizeof(path), "%s/cut.jsonl", dir);
	make_many(path, 3000, 1000, -1, 0);
	cut_path = path;
	memset(&e, 0, sizeof(e));
	memset(&s, 0, sizeof(s));
	CHECK_INT(dk_ledger_scan(path, op.pk, cut, &s, &e), -1);
	CHECK_HAS(e.msg, "cut.jsonl: cut to 1572864 bytes while it was read");
	CHECK_INT(e.status, DK_EX_IOERR);
	CHECK(s.n > 3 && s.n < 3000);
	unlink(path);
}

static const char *const keep[] = { "keep", NULL };

/* A ledger at path of recs, read whole by f, a follower of keep. */
static void
followed(struct dk_follow *f, const char *path, const char *const *recs)
{
	struct dk_err e = { 0 };
	struct seen s = { 0 };

	unlink(path);
	make(path, recs);
	dk_follow_init(f, keep);
	CHECK_INT(dk_follow(f, path, op.pk, collect, &s, &e), 0);
}

/* f's next reading of path refused, its message holding msg; f freed. */
static void
refused(struct dk_follow *f, const char *path, const char *msg)
{
	struct dk_err e = { 0 };
	struct seen s = { 0 };

	CHECK_INT(dk_follow(f, path, op.pk, collect, &s, &e), -1);
	CHECK(strstr(e.msg, msg) != NULL);
	dk_scaninfo_free(&f->si);
}

/*
 * A follower is handed each record once, as a whole read hands them,
 * however the ledger grew between its calls; nothing new: nothing; a
 * line changed after the one before it was read: refused, named; an
 * append without its checkpoint: refused at the end.
 */
static void
test_follow(void)
{
	static const char *const a[] = { "{\"n\":1,\"type\":\"keep\"}",
		"{\"n\":2,\"type\":\"skip\"}", NULL };
	static const char *const b[] = { "{\"n\":3,\"type\":\"keep\"}",
		"{\"n\":4,\"type\":\"keep\"}", NULL };
	static const char *const c[] = { "{\"n\":5,\"type\":\"keep\"}",
		NULL };
	char path[128];
	struct dk_follow f;
	struct dk_err e;
	struct seen s, w;
	int i;

	snprintf(path, sizeof(path), "%s/follow.jsonl", dir);
	make(path, a);		/* 0 genesis, 1 keep, 2 skip, 3 checkpoint */
	memset(&e, 0, sizeof(e));
	memset(&s, 0, sizeof(s));
	dk_follow_init(&f, keep);
	CHECK_INT(dk_follow(&f, path, op.pk, collect, &s, &e), 0);
	CHECK_INT(s.n, 1);
	CHECK_INT(s.seq[0], 1);
	grow(path, b, 0, 1);	/* 4 and 5 keep, 6 checkpoint */
	CHECK_INT(dk_follow(&f, path, op.pk, collect, &s, &e), 0);
	CHECK_INT(dk_follow(&f, path, op.pk, collect, &s, &e), 0);
	CHECK_INT(s.n, 3);
	CHECK_INT(s.seq[1], 4);
	CHECK_INT(s.seq[2], 5);
	CHECK(f.next == 7 && f.si.checkpoints == 2);
	CHECK_INT(s.badline, 0);
	CHECK_INT(dk_follow_end(&f, path, &e), 0);
	/* the same as a whole read */
	memset(&w, 0, sizeof(w));
	CHECK_INT(dk_ledger_scan_only(path, op.pk, keep, collect, &w, &e), 0);
	CHECK_INT(w.n, s.n);
	for (i = 0; i < w.n; i++)
		CHECK_INT(w.seq[i], s.seq[i]);
	/* entry 7's record changed before the follower read it */
	dk_follow_init(&f, keep);
	CHECK_INT(dk_follow(&f, path, op.pk, collect, &s, &e), 0);
	grow(path, c, 0, 1);
	poke(path, "\"n\":5", 5, 4, '6');
	refused(&f, path, "follow.jsonl:8: entry 7: changed after it was "
	    "written");
	/* the ledger cut, or its last line read changed, nothing added:
	 * refused, not taken for one nothing was appended to */
	followed(&f, path, a);
	CHECK_INT(truncate(path, (off_t)f.si.good - 1), 0);
	refused(&f, path, "follow.jsonl:4: entry 3, the last one read "
	    "before, is no longer there as it was read");
	followed(&f, path, a);
	poke(path, "\"checkpoint\"", 12, 2, 'C');
	refused(&f, path, "no longer there as it was read");
	/* an append that no checkpoint acknowledged */
	followed(&f, path, a);
	grow(path, c, 0, 0);
	CHECK_INT(dk_follow(&f, path, op.pk, collect, &s, &e), 0);
	CHECK_INT(dk_follow_end(&f, path, &e), -1);
	CHECK(strstr(e.msg, "entries 4 to 4 follow the last checkpoint") !=
	    NULL);
	unlink(path);
}

int
main(void)
{
	struct dk_err e;

	memset(&e, 0, sizeof(e));
	if (dk_init(&e) < 0 || dk_key_generate(&op, &e) < 0)
		return 1;
	snprintf(dir, sizeof(dir), "%s", tmpdir_make("test-ledger-scan"));
	test_nested_type();
	test_nul_type();
	test_windows();
	test_torn();
	test_cut();
	test_follow();
	dk_key_free(&op);
	tmpdir_remove();
	return check_done("test-ledger-scan");
}
