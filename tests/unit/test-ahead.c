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
	int i, ok, pass;

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

	/* by the line a record will be read from (dk_ahead_add_key): good
	 * at that address by that key, not at a copy of it, not by another
	 * key; one bad line and none is */
	{
		char *line[N], *c, *msg;
		unsigned char sig[64];
		for (i = 0; i < N; i++) {
			json_object_set_new(r[i], "wh", json_integer(i + 1));
			json_object_del(r[i], "sig");
			CHECK(dk_sign_record(r[i], &k, &e) == 0);
			line[i] = dk_canon(r[i]);
		}
		for (pass = 0; pass < 2; pass++) {
			for (i = 0; i < N; i++) {
				CHECK(dk_unb64(json_string_value(json_object_get(
				    r[i], "sig")), 88, sig, 64) == 0);
				msg = dk_canon_without(r[i], "sig");
				if (pass == 1 && i == N / 2)
					msg[strlen(msg) - 2] ^= 1;
				dk_ahead_add_key(line[i], msg, strlen(msg), sig,
				    k.pk, 2);
			}
			dk_ahead_done();
			for (ok = 0, i = 0; i < N; i++)
				ok += dk_ahead_good(line[i], k.pk);
			CHECK_INT(ok, pass == 0 ? N : 0);
			c = strdup(line[5]);
			CHECK(!dk_ahead_good(c, k.pk));
			CHECK(!dk_ahead_good(line[5], other.pk));
			/* nor the record by its own address */
			CHECK(!dk_ahead_good(r[5], k.pk));
			free(c);
			dk_ahead_forget();
			CHECK(!dk_ahead_good(line[5], k.pk));
		}
		for (i = 0; i < N; i++)
			free(line[i]);
	}

	for (i = 0; i < N; i++)
		json_decref(r[i]);
	dk_key_free(&k);
	dk_key_free(&other);
	return check_done("test-ahead");
}
