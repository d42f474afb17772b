/* Unit tests for lib/crypto/pool.c: signature checks on worker threads,
 * with the verdict of one thread (the first bad check by entry). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "denki.h"
#include "check.h"

static struct dk_key k, other;

/* Adds the check of message "m<seq>.<i>" signed by the key, or by the
 * other key when bad. */
static void
add(struct dk_pool *p, long long seq, int i, int bad, const char *what)
{
	unsigned char sig[64];
	char *msg;
	int n;

	n = asprintf(&msg, "m%lld.%d", seq, i);
	crypto_sign_detached(sig, NULL, (unsigned char *)msg, n,
	    bad ? other.sk : k.sk);
	CHECK_INT(dk_pool_add(p, seq, seq + 1, msg, n, sig, k.pk, what), 0);
}

/* n checks over entries 0..n-1; the ones whose entry is in bad[] fail;
 * returns what dk_pool_finish says, the entry in *seq and e. */
static int
run(int threads, long long n, const long long *bad, size_t nbad,
    long long *seq, struct dk_err *e)
{
	struct dk_pool *p = dk_pool_new(threads);
	long long i;
	size_t j;
	int rc, isbad;

	CHECK(p != NULL);
	for (i = n - 1; i >= 0; i--) {	/* added out of entry order */
		for (isbad = 0, j = 0; j < nbad; j++)
			if (bad[j] == i)
				isbad = 1;
		add(p, i, 0, isbad, isbad ? "order" : "reading");
	}
	rc = dk_pool_finish(p, "ledger.jsonl", seq, e);
	CHECK_INT(dk_pool_checked(p), n);
	dk_pool_free(p);
	return rc;
}

int
main(void)
{
	struct dk_err e = { 0 };
	struct dk_pool *p;
	long long seq, bad[3];
	int t;

	CHECK_INT(dk_init(&e), 0);
	CHECK_INT(dk_key_generate(&k, &e), 0);
	CHECK_INT(dk_key_generate(&other, &e), 0);

	/* nothing to check: no verdict against anyone */
	p = dk_pool_new(4);
	CHECK_INT(dk_pool_finish(p, "l", &seq, &e), 0);
	CHECK_INT(seq, -1);
	CHECK_INT(dk_pool_checked(p), 0);
	dk_pool_free(p);

	/* every signature good, on 1, 3 and 8 threads, several batches */
	for (t = 1; t <= 8; t += t < 3 ? 2 : 5) {
		seq = 99;
		CHECK_INT(run(t, 1000, NULL, 0, &seq, &e), 0);
		CHECK_INT(seq, -1);
	}

	/* bad ones: the first by entry is reported, on any number of
	 * threads, however the work was shared out */
	bad[0] = 777;
	bad[1] = 5;
	bad[2] = 300;
	for (t = 1; t <= 8; t += t < 3 ? 2 : 5) {
		memset(&e, 0, sizeof(e));
		CHECK_INT(run(t, 1000, bad, 3, &seq, &e), -1);
		CHECK_INT(seq, 5);
		CHECK_INT(e.status, DK_EX_DATAERR);
		CHECK_STR(e.msg, "ledger.jsonl:6: entry 5: order: sig: bad "
		    "signature: the record was not signed by this key, or was "
		    "changed after signing");
	}

	/* the last check of the last (partial) batch counts too */
	bad[0] = 0;
	CHECK_INT(run(2, 257, bad, 1, &seq, &e), -1);
	CHECK_INT(seq, 0);

	/* two checks of one entry: the first added is the one named; a
	 * changed message fails like a wrong key */
	p = dk_pool_new(3);
	add(p, 4, 0, 0, "reading");
	add(p, 9, 0, 1, "late");
	add(p, 4, 1, 1, "cosignature");
	add(p, 4, 2, 1, "third");
	{
		unsigned char sig[64];
		char *msg = strdup("hello");
		crypto_sign_detached(sig, NULL, (unsigned char *)msg, 5, k.sk);
		msg[0] = 'j';
		CHECK_INT(dk_pool_add(p, 2, 3, msg, 5, sig, k.pk,
		    "a very long description that is cut to fit the job"), 0);
	}
	CHECK_INT(dk_pool_finish(p, "x", &seq, &e), -1);
	CHECK_INT(seq, 2);
	CHECK_HAS(e.msg, "x:3: entry 2: a very long description that is "
	    "cut to fit the : sig");
	CHECK_INT(dk_pool_checked(p), 5);
	dk_pool_free(p);

	p = dk_pool_new(2);
	add(p, 4, 0, 0, "reading");
	add(p, 4, 1, 1, "cosignature");
	add(p, 4, 2, 1, "third");
	CHECK_INT(dk_pool_finish(p, "x", &seq, &e), -1);
	CHECK_HAS(e.msg, "entry 4: cosignature: sig");
	dk_pool_free(p);

	/* zero threads asked: one is used, the verdict the same */
	CHECK_INT(run(0, 10, NULL, 0, &seq, &e), 0);

	dk_key_free(&k);
	dk_key_free(&other);
	return check_done("test-pool");
}
