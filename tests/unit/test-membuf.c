/* Unit tests for lib/core/membuf.c: dk_membuf's bytes are those
 * open_memstream's stream holds after the same writes, across growth
 * (pieces of every size up to 3 MB) and after fflush, with a NUL after
 * them; nothing written: an empty string. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"
#include "check.h"

int
main(void)
{
	char *a, *b, *piece;
	size_t alen, blen, n, i, k;
	FILE *fa, *fb;

	CHECK((fa = dk_membuf(&a, &alen)) != NULL);
	CHECK(fclose(fa) == 0);
	CHECK(a != NULL && a[0] == '\0');
	CHECK_INT(alen, 0);
	free(a);
	if ((piece = malloc(3 << 20)) == NULL)
		return 1;
	for (i = 0; i < (3 << 20); i++)
		piece[i] = (char)('a' + i % 26);
	CHECK((fa = dk_membuf(&a, &alen)) != NULL);
	CHECK((fb = open_memstream(&b, &blen)) != NULL);
	for (k = 0, n = 1; n < (3 << 20); n = n * 3 + k++) {
		piece[0] = (char)('A' + k % 26);
		CHECK_INT(fwrite(piece, 1, n, fa), n);
		CHECK_INT(fwrite(piece, 1, n, fb), n);
		if (k % 4 == 0) {
			CHECK(fflush(fa) == 0 && fflush(fb) == 0);
			CHECK_INT(alen, blen);
			CHECK(memcmp(a, b, blen) == 0 && a[alen] == '\0');
		}
	}
	fputs("the end\n", fa);
	fputs("the end\n", fb);
	CHECK(fclose(fa) == 0 && fclose(fb) == 0);
	CHECK(alen > (2 << 20));
	CHECK_INT(alen, blen);
	CHECK(memcmp(a, b, blen) == 0 && a[alen] == '\0');
	free(a);
	free(b);
	free(piece);
	return check_done("test-membuf");
}
