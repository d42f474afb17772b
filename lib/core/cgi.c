/*
 * cgi.c: a request's body, as a CGI program gets it (CONTENT_LENGTH
 * bytes on stdin) or as a filter does (stdin to its end), within a limit,
 * what goes wrong as an HTTP status; a CGI program's answer.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* The media type of ct (a Content-Type, parameters after ';' aside) is
 * one of types (NULL-ended), compared without case. */
int
dk_cgi_media(const char *ct, const char *const *types)
{
	size_t n = ct != NULL ? strcspn(ct, "; \t") : 0, i;

	for (i = 0; ct != NULL && types[i] != NULL; i++)
		if (strlen(types[i]) == n && strncasecmp(ct, types[i], n) == 0)
			return 1;
	return 0;
}

/* A server may hand a CGI program non-blocking pipes: a short read would
 * be a short body, a short write a lost answer. */
void
dk_cgi_blocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0 && (fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
}

/* A request refused before its body was read: the body (CONTENT_LENGTH
 * bytes, up to max) read and dropped, so that the server does not find
 * the pipe closed while it writes it. */
void
dk_cgi_drain(FILE *fp, size_t max)
{
	const char *cl = getenv("CONTENT_LENGTH");
	long long n = cl != NULL ? atoll(cl) : 0;
	char buf[8192];
	size_t got;

	for (; n > 0 && n <= (long long)max; n -= (long long)got)
		if ((got = fread(buf, 1, sizeof(buf), fp)) == 0)
			break;
}

/* A CGI answer: the status line (reason its text), an Allow header when
 * allow is given, the content type and the body. */
void
dk_cgi_answer(FILE *out, int http, const char *reason, const char *allow,
    const char *ctype, const char *body, size_t len)
{
	fprintf(out, "Status: %d %s\r\n", http, reason);
	if (allow != NULL)
		fprintf(out, "Allow: %s\r\n", allow);
	fprintf(out, "Content-Type: %s\r\n\r\n", ctype);
	fwrite(body, 1, len, out);
}
