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
};

static int
collect(void *ctx, long long seq, long line, json_t *rec, struct dk_err *e)
{
	struct seen *s = ctx;

	(void)line;
	(void)rec;
	(void)e;
	if (s->n < 16)
		s->seq[s->n] = seq;
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
	char path[128], *buf, *q;
	struct dk_err e;
	struct seen s;
	FILE *fp;
	long n;

	snprintf(path, sizeof(path), "%s/nul.jsonl", dir);
	make(path, recs);
	CHECK((fp = fopen(path, "r+b")) != NULL);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	CHECK((buf = malloc((size_t)n)) != NULL);
	CHECK(fread(buf, 1, (size_t)n, fp) == (size_t)n);
	q = memmem(buf, (size_t)n, "keepQxyz", 8);
	CHECK(q != NULL);
	fseek(fp, (long)(q - buf) + 4, SEEK_SET);
	fputc('\0', fp);
	fclose(fp);
	free(buf);
	memset(&e, 0, sizeof(e));
	memset(&s, 0, sizeof(s));
	CHECK_INT(dk_ledger_scan_only(path, op.pk, keep, collect, &s, &e), -1);
	CHECK_INT(s.n, 0);
	CHECK(strstr(e.msg, "control character") != NULL);
	CHECK(strstr(e.msg, "nul.jsonl:2") != NULL);
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
	dk_key_free(&op);
	tmpdir_remove();
	return check_done("test-ledger-scan");
}
