/* Unit tests for lib/ledger/state-cache.c: the state cache beside the
 * ledger, used when the ledger still holds what it was built from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "denki.h"
#include "check.h"

static char dir[64], lpath[96], cpath[112];
static struct dk_key op;

/* A writer's run ended: a checkpoint, the commit, the ledger closed. */
static void
done(struct dk_ledger *l, struct dk_state *st)
{
	struct dk_err e = { 0 };

	CHECK_INT(dk_ledger_checkpoint(l, &e), 0);
	CHECK_INT(dk_ledger_commit(l, &e), 0);
	dk_ledger_close(l);
	dk_state_free(st);
}

/* n terms entries of 2 KB each (the state keeps every text), and a
 * checkpoint */
static void
append(int from, int n)
{
	struct dk_err e = { 0 };
	struct dk_ledger l;
	struct dk_state st;
	char text[2100];
	json_t *r;
	int i;

	dk_state_init(&st);
	CHECK_INT(dk_ledger_open(&l, lpath, &op, dk_state_apply, &st, &e), 0);
	CHECK_INT(dk_ledger_genesis(&l, "test.example/log", 0, &e), 0);
	for (i = from; i < from + n; i++) {
		memset(text, 'a' + i % 26, 2048);
		snprintf(text + 2048, 40, " %d", i);
		r = json_pack("{s:s,s:i,s:s}", "type", "terms", "v", 1, "text",
		    text);
		CHECK_INT(dk_ledger_add(&l, r, &e), 0);
		json_decref(r);
	}
	done(&l, &st);
}

/* The ledger read through the cache: whether the cache was used, and the
 * state the same as a whole read's (its terms, its entries). */
static int
read_cached(void)
{
	struct dk_err e = { 0 };
	struct dk_state a, b;
	struct dk_scache sc;
	int used;

	dk_state_init(&a);
	dk_state_init(&b);
	dk_scache_init(&sc, &a);
	CHECK_INT(dk_ledger_scan(lpath, NULL, dk_scache_apply, &sc, &e), 0);
	used = sc.used;
	dk_scache_free(&sc);
	CHECK_INT(dk_ledger_scan(lpath, NULL, dk_state_apply, &b, &e), 0);
	CHECK(json_equal(a.terms, b.terms));
	CHECK_INT(a.entries, b.entries);
	dk_state_free(&a);
	dk_state_free(&b);
	return used;
}

static void
test_cache(void)
{
	FILE *fp;
	long size;
	char *buf;

	append(0, 140);		/* 290 KB: a cache is kept */
	CHECK_INT(read_cached(), 0);
	CHECK(access(cpath, F_OK) == 0);
	CHECK_INT(read_cached(), 1);
	/* appended to: what is new is read, the cache brought up to date */
	append(140, 10);
	CHECK_INT(read_cached(), 1);
	CHECK_INT(read_cached(), 1);
	/* a byte of the cache changed: read whole, written again */
	fp = fopen(cpath, "r+");
	fseek(fp, 0, SEEK_END);
	size = ftell(fp);
	buf = malloc(size);
	rewind(fp);
	CHECK_INT((long)fread(buf, 1, size, fp), size);
	buf[size / 2] ^= 1;
	rewind(fp);
	fwrite(buf, 1, size, fp);
	fclose(fp);
	free(buf);
	CHECK_INT(read_cached(), 0);
	CHECK_INT(read_cached(), 1);
	/* the ledger cut back to before the cache's end: read whole */
	CHECK_INT(truncate(lpath, 0), 0);
	append(0, 130);
	CHECK_INT(read_cached(), 0);
	CHECK_INT(read_cached(), 1);
}

static void
test_pair(void)
{
	unsigned char d[32];
	uint64_t v = 0;
	int i;

	crypto_hash_sha256(d, (const unsigned char *)"m-1\t2026-01-01T10:00:00Z",
	    strlen("m-1\t2026-01-01T10:00:00Z"));
	for (i = 0; i < 8; i++)
		v = v << 8 | d[i];
	CHECK(dk_scache_pair("m-1", "2026-01-01T10:00:00Z") == v);
	CHECK(dk_scache_pair("m-1", "2026-01-01T10:30:00Z") != v);
}

int
main(void)
{
	struct dk_err e;

	memset(&e, 0, sizeof(e));
	if (dk_init(&e) < 0 || dk_key_generate(&op, &e) < 0)
		return 1;
	snprintf(dir, sizeof(dir), "%s", tmpdir_make("test-state-cache"));
	snprintf(lpath, sizeof(lpath), "%s/ledger.jsonl", dir);
	snprintf(cpath, sizeof(cpath), "%s/ledger.jsonl.state", dir);
	test_cache();
	test_pair();
	dk_key_free(&op);
	tmpdir_remove();
	return check_done("test-state-cache");
}
