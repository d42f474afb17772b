/*
 * cgi.c: a request's body, as a CGI program gets it (CONTENT_LENGTH
 * bytes on stdin) or as a filter does (stdin to its end), within a limit;
 * what goes wrong as an HTTP status.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core.h"

/*
 * The body into *buf (malloc'd, NUL after its *len bytes), from fp: with
 * cgi, CONTENT_LENGTH bytes, else to the end.  0, or the HTTP status of
 * what was wrong (400 no length or a short body, 413 over max, 500) with
 * e filled.
 */
int
dk_body_read(FILE *fp, int cgi, size_t max, char **buf, size_t *len,
    struct dk_err *e)
{
	const char *cl = getenv("CONTENT_LENGTH");
	char *end, *nb;
	long long want = -1;
	size_t n, cap;

	*buf = NULL;
	*len = 0;
	if (cgi && (cl == NULL || (want = strtoll(cl, &end, 10)) < 0 ||
	    *end != '\0' || end == cl))
		return dk_fail(e, DK_EX_DATAERR, "no CONTENT_LENGTH"), 400;
	if (want > (long long)max)
		return dk_fail(e, DK_EX_DATAERR, "body of %lld bytes, more "
		    "than %zu", want, max), 413;
	cap = want >= 0 ? (size_t)want + 1 : 65536;
	if ((*buf = malloc(cap)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory"), 500;
	for (;;) {
		if (*len + 1 >= cap && want < 0) {
			cap = cap * 2 > max + 2 ? max + 2 : cap * 2;
			if ((nb = realloc(*buf, cap)) == NULL)
				return dk_fail(e, DK_EX_SOFTWARE, "out of "
				    "memory"), 500;
			*buf = nb;
		}
		n = fread(*buf + *len, 1, (want >= 0 ? (size_t)want : cap - 1)
		    - *len, fp);
		if (n == 0)
			break;
		*len += n;
		if (*len > max)
			break;
	}
	(*buf)[*len] = '\0';
	if (ferror(fp))
		return dk_fail(e, DK_EX_IOERR, "reading the request: error"),
		    500;
	if (*len > max)
		return dk_fail(e, DK_EX_DATAERR, "more than %zu bytes", max),
		    413;
	if (want >= 0 && *len != (size_t)want)
		return dk_fail(e, DK_EX_DATAERR, "body of %zu bytes, not the "
		    "%lld of CONTENT_LENGTH", *len, want), 400;
	return 0;
}
