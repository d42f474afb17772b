/* err.c: errors as lib/ reports them (struct dk_err: a status from the
 * exit table and a message), the meaning of each status, ids, and the
 * last check that stdout was written. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"

int
dk_fail(struct dk_err *e, int status, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	e->status = status;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* Puts a context ("orders.jsonl:17") in front of the message already there. */
int
dk_failpre(struct dk_err *e, const char *fmt, ...)
{
	char pre[256], old[sizeof(e->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	if (snprintf(e->msg, sizeof(e->msg), "%s: ", pre) < (int)sizeof(e->msg))
		strncat(e->msg, old, sizeof(e->msg) - strlen(e->msg) - 1);
	return -1;
}

void
dk_warnx(const char *prog, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", prog, buf);
}

/* The meaning of an exit status, in the words of the table in denki.h and
 * denki(7); NULL for a number that is not in it. */
const char *
dk_exit_text(int status)
{
#define DK_EX_TEXT(name, num, text)	case num: return text;
	switch (status) {
	DK_EXIT_TABLE(DK_EX_TEXT)
	}
#undef DK_EX_TEXT
	return NULL;
}

/* A failed write to stdout is an error (74), found only after a flush. */
int
dk_finish_stdout(const char *prog)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		dk_warnx(prog, "write error on stdout: %s", strerror(errno));
		return DK_EX_IOERR;
	}
	if (fclose(stdout) != 0) {
		dk_warnx(prog, "write error on stdout: %s", strerror(errno));
		return DK_EX_IOERR;
	}
	return DK_EX_OK;
}

/* Whether standard output is /dev/null (the device itself, however it
 * was named): what is printed there nobody reads, and a program whose
 * output must be read back from afar (denki-settle's and
 * denki-contract-sign's, from the ledger) may leave it unmade, as GNU tar
 * leaves unread what it would archive to /dev/null. */
int
dk_stdout_null(void)
{
	struct stat o, n;

	return fstat(STDOUT_FILENO, &o) == 0 && S_ISCHR(o.st_mode) &&
	    stat("/dev/null", &n) == 0 && S_ISCHR(n.st_mode) &&
	    o.st_rdev == n.st_rdev;
}

/* Participant, meter and zone ids: 1..32 of [A-Za-z0-9._-], not starting
 * with '.' or '-'. */
int
dk_valid_id(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0' || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];
		if (i >= DK_ID_MAX)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}
