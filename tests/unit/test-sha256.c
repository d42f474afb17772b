/* Unit tests for lib/crypto/sha256.c: SHA-256 of two parts, with SHA-NI
 * and without, against libsodium's, every split of every length to 300
 * bytes; and the known answers of FIPS 180-2.  In parts (dk_sha256_init,
 * _update, _final): every length to 300 bytes cut at every byte and
 * again at every seventh after it, a copy of the state taken mid-way,
 * and a megabyte in uneven pieces. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "denki.h"
#include "check.h"

static int
hex_is(const unsigned char h[32], const char *want)
{
	char hex[65];

	sodium_bin2hex(hex, sizeof(hex), h, 32);
	return strcmp(hex, want) == 0;
}

int
main(void)
{
	unsigned char d[300], got[32], want[32], *big;
	char hex[65], whex[65];
	struct dk_sha256 t, c;
	size_t n, k, j, step;
	int pass, bad;

	if (sodium_init() < 0)
		return 1;
	for (n = 0; n < sizeof(d); n++)
		d[n] = (unsigned char)(n * 131 + 7);
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1 && !dk_sha256_ni(1)) {
			printf("no SHA-NI on this CPU: its pass skipped\n");
			break;
		}
		if (pass == 0)
			CHECK(dk_sha256_ni(0) == 0);
		dk_sha256_2("ab", 2, "c", 1, got);
		CHECK(hex_is(got, "ba7816bf8f01cfea414140de5dae2223b00361a3"
		    "96177a9cb410ff61f20015ad"));
		dk_sha256_2("", 0, "", 0, got);
		CHECK(hex_is(got, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4"
		    "649b934ca495991b7852b855"));
		dk_sha256_2("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnop"
		    "nopq", 56, "", 0, got);
		CHECK(hex_is(got, "248d6a61d20638b8e5c026930c3e6039a33ce459"
		    "64ff2167f6ecedd419db06c1"));
		for (n = 0, bad = 0; n <= sizeof(d); n++)
			for (k = 0; k <= 64 && k <= n; k++) {
				crypto_hash_sha256(want, d, n);
				dk_sha256_2(d, k, d + k, n - k, got);
				if (memcmp(got, want, 32) != 0)
					bad++;
			}
		/* the records' ids: dk_sha256_hex, on the same path */
		for (n = 0; n <= sizeof(d); n++) {
			crypto_hash_sha256(want, d, n);
			sodium_bin2hex(whex, sizeof(whex), want, 32);
			dk_sha256_hex(d, n, hex);
			if (strcmp(hex, whex) != 0)
				bad++;
		}
		CHECK_INT(bad, 0);
		/* in three parts, cut at k and j */
		for (n = 0, bad = 0; n <= sizeof(d); n++) {
			crypto_hash_sha256(want, d, n);
			for (k = 0; k <= n; k++)
				for (j = k; j <= n; j += 7) {
					dk_sha256_init(&t);
					dk_sha256_update(&t, d, k);
					dk_sha256_update(&t, d + k, j - k);
					c = t;	/* a copy goes on alone */
					dk_sha256_update(&t, d + j, n - j);
					dk_sha256_final(&t, got);
					if (memcmp(got, want, 32) != 0)
						bad++;
					memset(got, 0, 32);
					dk_sha256_update(&c, d + j, n - j);
					dk_sha256_final(&c, got);
					if (memcmp(got, want, 32) != 0)
						bad++;
				}
		}
		CHECK_INT(bad, 0);
		CHECK(t.ni == pass);
		/* a megabyte, in pieces of 1 to 1,000 bytes */
		CHECK((big = malloc(1 << 20)) != NULL);
		for (n = 0; n < 1 << 20; n++)
			big[n] = (unsigned char)(n * 2654435761u >> 13);
		crypto_hash_sha256(want, big, 1 << 20);
		dk_sha256_init(&t);
		for (n = 0, step = 1; n < 1 << 20; n += k, step++) {
			k = step * 37 % 1000 + 1;
			if (k > (1 << 20) - n)
				k = (1 << 20) - n;
			dk_sha256_update(&t, big + n, k);
		}
		dk_sha256_final(&t, got);
		CHECK(memcmp(got, want, 32) == 0);
		free(big);
	}
	dk_sha256_ni(1);
	return check_done("test-sha256");
}
