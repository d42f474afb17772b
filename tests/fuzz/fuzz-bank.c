/*
 * Issue 15's bank details: an IBAN (ISO 7064 mod 97-10), a BIC, a name
 * into Zengin's half-width katakana, and the operator's member store (a
 * memfd) with each member's details as dk_bank_check reads them.
 */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct dk_err e = { 0 };
	char *s = fz_str(data, size), out[64], path[64], k2[64];
	const char *id;
	json_t *m, *d;
	size_t n = 0, n2 = 0;
	int fd;

	if (!init) {
		FZ_ASSERT(dk_init(&e) == 0);
		init = 1;
	}
	/* an IBAN that checks is 15 to 34 characters */
	if (dk_iban_check(s, &e) == 0)
		FZ_ASSERT(strlen(s) >= 15 && strlen(s) <= 34);
	dk_bic_check(s, &e);
	/* within max, and the same bytes each time */
	if (dk_kana(s, out, sizeof(out), &n, &e) == 0) {
		FZ_ASSERT(n <= sizeof(out));
		FZ_ASSERT(dk_kana(s, k2, sizeof(k2), &n2, &e) == 0 &&
		    n2 == n && memcmp(out, k2, n) == 0);
	}
	fd = fz_file(data, size, path, sizeof(path));
	if (dk_members_load(path, &m, &e) == 0) {
		json_object_foreach(m, id, d)
			dk_bank_check(d, &e);
		json_decref(m);
	}
	close(fd);
	free(s);
	return 0;
}
