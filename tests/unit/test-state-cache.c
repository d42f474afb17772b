/* Unit tests for lib/ledger/state-cache.c: the state cache beside the
 * ledger, used when the ledger still holds what it was built from. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

/* The size in the cache's last mark, and how many marks it has. */
static long long
mark_size(const char *b, int *marks)
{
	const char *p = b, *m = NULL;

	*marks = 0;
	while ((p = strstr(p, "\nM\t")) != NULL) {
		m = p++;
		(*marks)++;
	}
	p = m != NULL ? strstr(m, "\"size\":") : NULL;
	return p != NULL ? strtoll(p + 7, NULL, 10) : -1;
}

static long long
file_size(const char *path)
{
	FILE *fp = fopen(path, "r");
	long long n;

	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fclose(fp);
	return n;
}

static int nread;	/* entries the writer's start read from the ledger */

static int
count_apply(void *ctx, long long seq, long line, json_t *rec,
    struct dk_err *e)
{
	nread++;
	return dk_state_apply(ctx, seq, line, rec, e);
}

/* A writer's record: into its state, then the ledger (as the programs
 * do); transfers, orders and readings go into the ledger only. */
static void
put_rec(struct dk_ledger *l, struct dk_state *st, json_t *r)
{
	struct dk_err e = { 0 };

	CHECK_INT(dk_state_apply(st, 0, 0, r, &e), 0);
	CHECK_INT(dk_ledger_add(l, r, &e), 0);
	json_decref(r);
}

#define T0 1767225600	/* 2026-01-01T00:00:00Z */

static void
slot_text(int k, char *b, size_t n)
{
	time_t t = T0 + (time_t)k * 1800;

	strftime(b, n, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
}

/*
 * A writer's run through the cache (as contract-sign's and settle's):
 * round 0 adds 130 terms texts of 2 KB (the ledger grows past the
 * size a cache is kept from) and rules; each round clears slots 2k and 2k+1
 * with a contract each (one a party of which is no id), settles slot
 * 2k-2 twice (the second not the slot's first) and provisionally, and
 * adds readings, commitments, transfers and an order.  fail: the commit
 * fails (a write to a descriptor that takes none).  Returns whether the
 * start read entries from the ledger.
 */
static int
writer(int k, int fail)
{
	static const char terms[] = "state cache writer terms\n";
	struct dk_err e = { 0 };
	struct dk_ledger l;
	struct dk_state st;
	struct dk_scache sc;
	struct dk_rules rules;
	char hash[65], s0[32], s1[32], sp[32], m[32], text[2100];
	json_t *x;
	int i;

	dk_state_init(&st);
	dk_scache_init(&sc, &st);
	sc.fn = count_apply;
	sc.ctx = &st;
	nread = 0;
	CHECK_INT(dk_ledger_open(&l, lpath, &op, dk_scache_apply, &sc, &e),
	    0);
	dk_scache_free(&sc);
	if (k == 0) {
		for (i = 0; i < 130; i++) {
			memset(text, 'a' + i % 26, 2048);
			snprintf(text + 2048, 40, " w%d", i);
			put_rec(&l, &st, json_pack("{s:s,s:i,s:s}", "type",
			    "terms", "v", 1, "text", text));
		}
		put_rec(&l, &st, json_pack("{s:s,s:i,s:s}", "type", "terms",
		    "v", 1, "text", terms));
		dk_sha256_hex(terms, strlen(terms), hash);
		x = json_pack("{s:s,s:i,s:s,s:s,s:i,s:s,s:i,s:i,s:i,s:s}",
		    "type", "rules", "v", 1, "currency", "JPY", "tz", "UTC",
		    "slot_minutes", 30, "mechanism", "uniform", "retail",
		    300000, "buyback", 100000, "fee", 1000, "terms", hash);
		CHECK_INT(dk_rules_from_json(&rules, x, &e), 0);
		json_decref(x);
		put_rec(&l, &st, dk_rules_json(&rules));
	}
	slot_text(2 * k, s0, sizeof(s0));
	slot_text(2 * k + 1, s1, sizeof(s1));
	put_rec(&l, &st, json_pack("{s:s,s:s}", "type", "clearing", "slot",
	    s0));
	put_rec(&l, &st, json_pack("{s:s,s:s,s:s,s:s,s:i,s:i,s:i,s:i,s:i}",
	    "type", "contract", "slot", s0, "seller", "alice", "buyer", "bob",
	    "wh", 600 + k, "price", 120000, "buy_price", 121000, "fee", 1000,
	    "wheeling", 7));
	put_rec(&l, &st, json_pack("{s:s,s:s}", "type", "clearing", "slot",
	    s1));
	put_rec(&l, &st, json_pack("{s:s,s:s,s:s,s:i,s:i,s:i,s:i}", "type",
	    "contract", "slot", s1, "seller", "a\tb", "wh", 300, "price",
	    100000, "fee", 0, "wheeling", 0));
	if (k > 0) {
		slot_text(2 * k - 2, sp, sizeof(sp));
		for (i = 0; i < 3; i++) {
			x = json_pack("{s:s,s:s,s:s,s:i}", "type",
			    "settlement", "slot", sp, "participant",
			    i ? "bob" : "alice", "net", 100 * i);
			if (i == 2)
				json_object_set_new(x, "provisional",
				    json_true());
			put_rec(&l, &st, x);
		}
	}
	for (i = 0; i < 3; i++) {
		snprintf(m, sizeof(m), "m-%d", i);
		x = json_pack("{s:s,s:s,s:s}", "type", i == 2 ? "commitment" :
		    "reading", "meter", m, "slot", s0);
		CHECK_INT(dk_ledger_add(&l, x, &e), 0);
		json_decref(x);
	}
	snprintf(m, sizeof(m), "2026-%02d", k + 1);
	put_rec(&l, &st, json_pack("{s:s,s:s,s:s,s:s}", "type", "transfer",
	    "reason", "membership", "month", m, "from", "bob"));
	put_rec(&l, &st, json_pack("{s:s,s:s}", "type", "transfer", "reason",
	    "payment"));
	put_rec(&l, &st, json_pack("{s:s,s:s}", "type", "order", "slot", s1));
	CHECK_INT(dk_ledger_checkpoint(&l, &e), 0);
	if (fail) {
		close(l.fd);
		l.fd = open("/dev/null", O_RDONLY);
		CHECK_INT(dk_ledger_commit(&l, &e), -1);
		CHECK_INT(e.status, DK_EX_IOERR);
	} else
		CHECK_INT(dk_ledger_commit(&l, &e), 0);
	dk_ledger_close(&l);
	dk_state_free(&st);
	return nread > 0;
}

/* The cache a writer leaves is byte for byte the one its next start would
 * have written from the cache before it, and that start reads nothing. */
static void
test_writer(void)
{
	char *before, *after, *reader;
	size_t nb, na, nr = 0;
	long long lsize;
	int k, marks, marks0;

	/* a ledger too small for a cache grown past it by a writer: the
	 * cache it leaves is the one a whole read writes */
	CHECK_INT(truncate(lpath, 0), 0);
	unlink(cpath);
	append(0, 10);
	CHECK_INT(writer(0, 0), 1);
	after = slurp(cpath, &na);
	CHECK(after != NULL && mark_size(after, &marks) == file_size(lpath));
	CHECK_INT(marks, 1);
	unlink(cpath);
	CHECK_INT(read_cached(), 0);
	reader = slurp(cpath, &nr);
	CHECK(reader != NULL && nr == na && memcmp(reader, after, na) == 0);
	free(after);
	free(reader);
	for (k = 1; k < 4; k++) {
		before = slurp(cpath, &nb);
		CHECK(before != NULL);
		mark_size(before, &marks0);
		CHECK_INT(writer(k, 0), 0);	/* nothing read */
		after = slurp(cpath, &na);
		lsize = file_size(lpath);
		/* one mark more, at the ledger's end, after the cache before */
		CHECK(mark_size(after, &marks) == lsize);
		CHECK_INT(marks, marks0 + 1);
		CHECK(na > nb && memcmp(after, before, nb) == 0);
		/* what a reader makes of the cache before: the same bytes */
		CHECK_INT(spit(cpath, before, nb), 0);
		CHECK_INT(read_cached(), 1);
		reader = slurp(cpath, &nr);
		CHECK(nr == na && memcmp(reader, after, na) == 0);
		free(before);
		free(after);
		free(reader);
	}
	/* a commit that fails leaves the cache as it was, which still holds */
	before = slurp(cpath, &nb);
	lsize = file_size(lpath);
	CHECK_INT(writer(4, 1), 0);
	CHECK(file_size(lpath) == lsize);
	after = slurp(cpath, &na);
	CHECK(na == nb && memcmp(after, before, nb) == 0);
	CHECK_INT(read_cached(), 1);
	free(after);
	/* the cache changed under a writer: it is left, read whole next */
	CHECK_INT(writer(4, 0), 0);
	CHECK_INT(read_cached(), 1);
	free(before);
	before = slurp(cpath, &nb);
	CHECK_INT(truncate(cpath, (off_t)nb - 1), 0);
	CHECK_INT(writer(5, 0), 1);	/* the cache's last mark is cut */
	after = slurp(cpath, &na);
	CHECK(mark_size(after, &marks) == file_size(lpath));
	CHECK_INT(read_cached(), 1);
	free(before);
	free(after);
}

/* A writer with witnesses reads the whole ledger (their proofs need every
 * leaf) and leaves the cache to the next start, as before. */
static void
test_witnessed(void)
{
	struct dk_err e = { 0 };
	struct dk_ledger l;
	struct dk_state st;
	struct dk_scache sc;
	struct dk_wpolicy wp;
	char *before, *after;
	size_t nb, na;
	json_t *r;

	before = slurp(cpath, &nb);
	CHECK(before != NULL);
	dk_wpolicy_init(&wp);
	wp.n = 1;	/* a witness no checkpoint has a line of */
	dk_state_init(&st);
	dk_scache_init(&sc, &st);
	CHECK_INT(dk_ledger_open_w(&l, lpath, &op, dk_scache_apply, &sc, &wp,
	    &e), 0);
	CHECK_INT(sc.used, 0);
	dk_scache_free(&sc);
	CHECK(l.sw == NULL);
	r = json_pack("{s:s,s:i,s:s}", "type", "terms", "v", 1, "text",
	    "witnessed");
	CHECK_INT(dk_ledger_add(&l, r, &e), 0);
	json_decref(r);
	done(&l, &st);
	after = slurp(cpath, &na);
	CHECK(na == nb && memcmp(after, before, nb) == 0);
	CHECK_INT(read_cached(), 1);
	free(before);
	free(after);
}

/* Settle's start: the entries of the commitments the cache holds (with
 * want_k; none kept for another caller), and the ledger read whole when
 * the cache holds a reading or commitment of a pair to avoid; among
 * 5,000 other pairs, so that the bits before the search are many. */
static void
test_avoid(void)
{
	static const struct {
		const char *meter;
		int slot, want_k, used;
		size_t nk;
	} c[] = {
		{ NULL, 0, 0, 1, 0 },
		{ NULL, 0, 1, 1, 6 },	/* rounds 0 to 5 (4 once) */
		{ "m-9", 0, 1, 1, 6 },
		{ "m-9", 0, 0, 1, 0 },	/* pairs avoided, none kept */
		{ "m-1", 1, 1, 1, 6 },	/* the meter's, another slot */
		{ "m-1", 2, 1, 0, 0 },	/* a reading the cache holds */
		{ "m-2", 10, 0, 0, 0 },	/* a commitment it holds */
	};
	struct dk_err e = { 0 };
	struct dk_state st, whole;
	struct dk_scache sc;
	char s[32], m[32];
	size_t i;
	int j;

	dk_state_init(&whole);
	CHECK_INT(dk_ledger_scan(lpath, NULL, dk_state_apply, &whole, &e), 0);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		dk_state_init(&st);
		dk_scache_init(&sc, &st);
		sc.want_k = c[i].want_k;
		for (j = 0; c[i].meter != NULL && j < 5000; j++) {
			snprintf(m, sizeof(m), "x-%d", j);
			slot_text(j, s, sizeof(s));
			CHECK_INT(dk_scache_avoid(&sc, m, s), 0);
		}
		slot_text(c[i].slot, s, sizeof(s));
		if (c[i].meter != NULL)
			CHECK_INT(dk_scache_avoid(&sc, c[i].meter, s), 0);
		CHECK_INT(dk_ledger_scan(lpath, NULL, dk_scache_apply, &sc, &e),
		    0);
		CHECK_INT(sc.used, c[i].used);
		CHECK(sc.nk == c[i].nk);
		/* the state a whole read makes, however it was read */
		CHECK_INT(st.entries, whole.entries);
		CHECK(st.nslots == whole.nslots);
		for (j = 0; j < (int)st.nslots && j < (int)whole.nslots; j++)
			CHECK(st.slots[j].slot == whole.slots[j].slot &&
			    st.slots[j].nc == whole.slots[j].nc &&
			    st.slots[j].settled == whole.slots[j].settled);
		dk_scache_free(&sc);
		dk_state_free(&st);
	}
	dk_state_free(&whole);
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
	test_writer();
	test_avoid();
	test_witnessed();
	test_pair();
	dk_key_free(&op);
	tmpdir_remove();
	return check_done("test-state-cache");
}
