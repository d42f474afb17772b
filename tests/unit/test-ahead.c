/* Unit tests for lib/crypto/ahead.c: signatures checked ahead on threads
 * are taken as checked only when all were good, only by the same key, and
 * a bad one gets dk_verify_record's own error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"
#include "check.h"

#define N 600	/* more than a batch of the pool: several workers */

static json_t *
signed_rec(int i, const struct dk_key *k)
{
	json_t *r = json_pack("{s:s,s:i,s:i}", "type", "order", "v", 1, "wh",
	    i + 1);
	struct dk_err e = { 0 };

	if (r == NULL || dk_sign_record(r, k, &e) < 0)
		abort();
	return r;
}

int
main(void)
{
	struct dk_err e = { 0 }, e2 = { 0 };
	struct dk_key k, other;
	json_t *r[N];
	int i, ok;

	CHECK(dk_init(&e) == 0);
	CHECK(dk_key_generate(&k, &e) == 0);
	CHECK(dk_key_generate(&other, &e) == 0);
	for (i = 0; i < N; i++)
		r[i] = signed_rec(i, &k);

	/* all good: taken as checked by the same key, not by another */
	for (i = 0; i < N; i++)
		dk_ahead_add(r[i], k.pk, 2);
	dk_ahead_done();
	for (ok = 0, i = 0; i < N; i++)
		ok += dk_verify_record_ahead(r[i], k.pk, &e) == 0;
	CHECK_INT(ok, N);
	CHECK(dk_verify_record_ahead(r[7], other.pk, &e) < 0);
	CHECK(strstr(e.msg, "sig: bad signature") != NULL);
	dk_ahead_forget();

	/* one changed after signing, late in the set: nothing is taken as
	 * checked, and the bad one gets the error of a check made now */
	json_object_set_new(r[N - 3], "wh", json_integer(99999));
	for (i = 0; i < N; i++)
		dk_ahead_add(r[i], k.pk, 2);
	dk_ahead_done();
	memset(&e, 0, sizeof(e));
	CHECK(dk_verify_record_ahead(r[N - 3], k.pk, &e) < 0);
	CHECK(dk_verify_record(r[N - 3], k.pk, &e2) < 0);
	CHECK_STR(e.msg, e2.msg);
	CHECK(dk_verify_record_ahead(r[0], k.pk, &e) == 0);
	dk_ahead_forget();

	/* a sig that is not base64 is left to the check made later */
	json_object_set_new(r[1], "sig", json_string("!!"));
	dk_ahead_add(r[1], k.pk, 2);
	dk_ahead_done();
	memset(&e, 0, sizeof(e));
	CHECK(dk_verify_record_ahead(r[1], k.pk, &e) < 0);
	CHECK(strstr(e.msg, "base64") != NULL);
	dk_ahead_forget();

	for (i = 0; i < N; i++)
		json_decref(r[i]);
	dk_key_free(&k);
	dk_key_free(&other);
	return check_done("test-ahead");
}
