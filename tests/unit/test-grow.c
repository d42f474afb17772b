/* Unit tests for lib/core/grow.c: dk_grow doubles an array when it is
 * full, keeps what it held, and refuses a size that would overflow,
 * leaving the array as it was. */
#include <stdint.h>
#include <stdlib.h>

#include "denki.h"
#include "check.h"

int
main(void)
{
	long long *v = NULL, *before;
	size_t n, cap = 0, big;
	int bad = 0;

	/* 1, 2, 4, ...: 1000 pushed, each kept */
	for (n = 0; n < 1000; n++) {
		if (dk_grow(&v, n, &cap, sizeof(*v), 1) < 0)
			break;
		v[n] = (long long)n * 3;
	}
	CHECK(n == 1000);
	CHECK(cap == 1024);
	for (n = 0; n < 1000; n++)
		bad += v[n] != (long long)n * 3;
	CHECK_INT(bad, 0);
	/* room left: nothing moves */
	before = v;
	CHECK_INT(dk_grow(&v, 1000, &cap, sizeof(*v), 1), 0);
	CHECK(v == before && cap == 1024);
	/* a size that would overflow size_t: refused, v and cap kept */
	big = SIZE_MAX / 1024 + 1;
	CHECK_INT(dk_grow(&v, 1024, &cap, big, 1), -1);
	CHECK(v == before && cap == 1024);
	free(v);
	/* the first capacity when there is none */
	v = NULL;
	cap = 0;
	CHECK_INT(dk_grow(&v, 0, &cap, sizeof(*v), 1024), 0);
	CHECK(v != NULL && cap == 1024);
	free(v);
	return check_done("test-grow");
}
