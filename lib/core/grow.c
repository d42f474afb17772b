/* grow.c: room for one more element at the end of a growable array,
 * the capacity doubled when it is full: the realloc step that lists of
 * sequence numbers, slots and values would each write out again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

/*
 * *arrp (a T *, passed as &array) holds n elements of size bytes in *cap:
 * when n has reached *cap, it is reallocated to twice *cap (first when
 * it is 0).  0: there is room for element n; -1: out of memory, or a
 * size that would overflow (*arrp and *cap as they were).
 */
int
dk_grow(void *arrp, size_t n, size_t *cap, size_t size, size_t first)
{
	void *old, *p;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : first;
	if (c <= *cap || size == 0 || c > SIZE_MAX / size)
		return -1;
	memcpy(&old, arrp, sizeof(old));
	if ((p = realloc(old, c * size)) == NULL)
		return -1;
	memcpy(arrp, &p, sizeof(p));
	*cap = c;
	return 0;
}
