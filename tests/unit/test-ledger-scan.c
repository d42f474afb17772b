/* Unit tests for lib/ledger/ledger-scan.c: what a reader of some types
 * alone (dk_ledger_scan_only) is handed and passes over. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denki.h"
#include "check.h"

static char dir[64];
static struct dk_key op;

struct seen {
	int n;
	long long seq[16];
	long line[16];
};

static int
collect(void *ctx, long long seq, long line, json_t *rec, struct dk_err *e)
{
	struct seen *s = ctx;

	(void)rec;
	(void)e;
	if (s->n < 16) {
		s->seq[s->n] = seq;
		s->line[s->n] = line;
	}
	s->n++;
	return 0;
}

/* A ledger at path of the records given as canonical text (json_loads):
 * the genesis, each, a checkpoint. */
static void
make(const char *path, const char *const *recs)
{
	struct dk_ledger l;
	struct dk_err e;
	json_t *r;
	size_t i;

	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_ledger_open(&l, path, &op, NULL, NULL, &e), 0);
	CHECK_INT(dk_ledger_genesis(&l, "test.example/log", 0, &e), 0);
	for (i = 0; recs[i] != NULL; i++) {
		CHECK((r = json_loads(recs[i], 0, NULL)) != NULL);
		CHECK_INT(dk_ledger_add(&l, r, &e), 0);
		json_decref(r);
	}
	CHECK_INT(dk_ledger_checkpoint(&l, &e), 0);
	CHECK_INT(dk_ledger_commit(&l, &e), 0);
	dk_ledger_close(&l);
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

/* One reading of the ledger at path by the whole-file scan (mapped) and
 * by the scan of an open FILE (stdio's lines): 1 when they differ in
 * anything (result, status, message, records handed over, bytes found
 * good, where it failed). */
static int
differ(const char *path, const char *const *types)
{
	struct dk_scaninfo a, b;
	struct dk_err ea, eb;
	struct seen sa, sb;
	char prev[65];
	long long next;
	int ra, rb, d;
	FILE *fp;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&ea, 0, sizeof(ea));
	memset(&eb, 0, sizeof(eb));
	memset(&sa, 0, sizeof(sa));
	memset(&sb, 0, sizeof(sb));
	a.only = b.only = types;
	ra = dk_ledger_scan_info(path, op.pk, collect, &sa, &a, &ea);
	if ((fp = fopen(path, "r")) == NULL)
		return 1;
	memset(prev, '0', 64);
	prev[64] = '\0';
	next = 0;
	rb = dk_ledger_scan_resume(fp, path, 0, op.pk, collect, &sb, prev,
	    &next, &b, &eb);
	fclose(fp);
	d = ra != rb || ea.status != eb.status || strcmp(ea.msg, eb.msg) != 0 ||
	    sa.n != sb.n || memcmp(sa.seq, sb.seq, sizeof(sa.seq)) != 0 ||
	    memcmp(sa.line, sb.line, sizeof(sa.line)) != 0 ||
	    a.good != b.good || a.fail_seq != b.fail_seq || a.torn != b.torn;
	if (d)
		fprintf(stderr, "mapped %d \"%s\", stdio %d \"%s\"\n", ra,
		    ea.msg, rb, eb.msg);
	dk_scaninfo_free(&a);
	dk_scaninfo_free(&b);
	return d;
}

/*
 * A ledger read whole is mapped, its lines read where they lie: it reads
 * as the lines read through stdio do, every byte of it changed in turn
 * (a link broken names the entry changed, which reads the line after it
 * from the file), cut short at each length (a torn last line), and with
 * some types alone asked for.
 */
static void
test_mapped(void)
{
	static const char *const keep[] = { "keep", NULL };
	static const char *const recs[] = {
		"{\"n\":1,\"type\":\"keep\"}",
		"{\"n\":2,\"type\":\"skip\"}",
		"{\"n\":3,\"note\":\"a\\nb\",\"type\":\"keep\"}",
		NULL
	};
	char path[128], *orig, *buf;
	size_t len = 0, i;
	int bad = 0;

	snprintf(path, sizeof(path), "%s/mapped.jsonl", dir);
	make(path, recs);
	orig = slurp(path, &len);
	buf = malloc(len + 1);
	CHECK(orig != NULL && buf != NULL && len > 0);
	if (orig == NULL || buf == NULL)
		return;
	bad += differ(path, NULL) + differ(path, keep);
	for (i = 0; i < len; i++) {
		memcpy(buf, orig, len);
		buf[i] ^= 0x01;
		spit(path, buf, len);
		bad += differ(path, NULL);
		if (i % 5 == 0)
			bad += differ(path, keep);
	}
	for (i = 0; i < len; i += 3) {
		spit(path, orig, i);
		bad += differ(path, NULL);
	}
	CHECK_INT(bad, 0);
	unlink(path);
	free(buf);
	free(orig);
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
	test_mapped();
	dk_key_free(&op);
	tmpdir_remove();
	return check_done("test-ledger-scan");
}
