/* membuf.c: a stream into memory, as open_memstream(3) makes one, grown
 * by realloc: open_memstream copies the whole of it into a new block and
 * zeroes the rest each time it grows (a month's contracts, 27 MB). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

struct membuf {
	char **buf;
	size_t *len, cap;
};

static ssize_t
membuf_write(void *c, const char *s, size_t n)
{
	struct membuf *m = c;
	size_t cap = m->cap < (1 << 16) ? 1 << 16 : m->cap;
	char *p;

	while (cap < *m->len + n + 1)
		if ((cap *= 2) > SIZE_MAX / 4)
			return 0;	/* an error, for stdio */
	if (cap != m->cap) {
		if ((p = realloc(*m->buf, cap)) == NULL)
			return 0;
		*m->buf = p;
		m->cap = cap;
	}
	memcpy(*m->buf + *m->len, s, n);
	*m->len += n;
	(*m->buf)[*m->len] = '\0';
	return (ssize_t)n;
}

static int
membuf_close(void *c)
{
	free(c);
	return 0;
}

/*
 * A stream whose bytes, after fflush or fclose, are *buf (*len of them,
 * a NUL after them: an empty string before any), as open_memstream's;
 * *buf is the caller's to free, after fclose.  NULL: out of memory.
 */
FILE *
dk_membuf(char **buf, size_t *len)
{
	cookie_io_functions_t io = { NULL, membuf_write, NULL, membuf_close };
	struct membuf *m = calloc(1, sizeof(*m));
	FILE *fp;

	if (m == NULL || (*buf = calloc(1, 1)) == NULL) {
		free(m);
		return NULL;
	}
	*len = 0;
	m->buf = buf;
	m->len = len;
	m->cap = 1;
	if ((fp = fopencookie(m, "w", io)) == NULL) {
		free(*buf);
		*buf = NULL;
		free(m);
	}
	return fp;
}
